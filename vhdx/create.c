/*
 * create.c - new fixed, dynamic and differencing images.
 *
 * Layout (every object 1 MiB-aligned, 2.1): the header section, a 1 MiB
 * log at 1 MiB, the metadata region at 2 MiB, the BAT at 3 MiB, then
 * payload.  The BAT has room for every chunk's payload and sector-bitmap
 * entries, as qemu sizes it, so a dynamic image could become a
 * differencing one without moving it.  New dynamic and differencing
 * blocks are NOT_PRESENT (all-zero BAT, as Hyper-V writes it: zeros for a
 * dynamic image, the parent's data for a differencing one).  A fixed image
 * has every block FULLY_PRESENT and its payload allocated on disk; qemu's
 * sparse fixed images are refused by Windows (qemu issue #136).
 *
 * The file is written under a temporary name beside the target, flushed,
 * and then moved into place only if the target still does not exist
 * (renameat2 RENAME_NOREPLACE, or link()), so a crash or a race never
 * leaves a partial image under the requested name or replaces a file.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/bytes.h"
#include "util/fileio.h"
#include "util/tmpname.h"
#include "util/utf.h"
#include "vhdx/internal.h"

#define CREATE_LOG_OFFSET  (1 * VHDX_MiB)
#define CREATE_LOG_LENGTH  (1 * VHDX_MiB)
#define CREATE_META_OFFSET (2 * VHDX_MiB)
#define CREATE_META_LENGTH (1 * VHDX_MiB)
#define CREATE_BAT_OFFSET  (3 * VHDX_MiB)
/* Hyper-V's defaults: 32 MiB blocks, 2 MiB for differencing disks. */
#define DEFAULT_BLOCK_SIZE	(32 * VHDX_MiB)
#define DEFAULT_DIFF_BLOCK_SIZE (2 * VHDX_MiB)

/* Metadata item placement inside the region (after the 64 KiB table). */
#define ITEM_BASE (64 * VHDX_KiB)

struct builder {
	int fd;
	const char *tmp;
	struct vhdx_error *err;
};

static enum vhdx_err put(struct builder *b, const void *buf, size_t len,
			 uint64_t off)
{
	int e = hvo_int_pwrite_all(b->fd, buf, len, off);
	if (e != 0)
		return vhdx_int_seterr(
			b->err, e == ENOMEM ? VHDX_ERR_NOMEM : VHDX_ERR_IO,
			"write %s: %s", b->tmp, strerror(e));
	return VHDX_OK;
}

/* Relative path from directory @from to file @to (both absolute and
 * canonical), Windows style: "..\\dir\\parent.vhdx". */
static char *relative_path(const char *from, const char *to)
{
	size_t common = 0, i = 0;
	/* Longest common prefix ending at a component boundary. */
	while (from[i] && to[i] && from[i] == to[i]) {
		i++;
		if (from[i] == '/' || from[i] == '\0')
			if (to[i] == '/')
				common = i;
	}
	size_t ups = 0;
	const char *rest = to + common + 1;
	if (strcmp(from, "/") == 0) {
		rest = to + 1;
	} else {
		for (const char *p = from + common; *p; p++)
			if (*p == '/')
				ups++;
	}
	size_t len = ups * 3 + strlen(rest) + 3;
	char *out = malloc(len);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	if (ups == 0)
		strcat(out, ".\\");
	for (size_t k = 0; k < ups; k++)
		strcat(out, "..\\");
	strcat(out, rest);
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '\\';
	return out;
}

struct kv {
	const char *key;
	char *value;
};

/* Builds the parent locator item (2.6.2.6) into @buf (@cap bytes). */
static enum vhdx_err build_locator(struct kv *kv, size_t n, uint8_t *buf,
				   size_t cap, uint32_t *len_ret,
				   struct vhdx_error *err)
{
	static const struct vhdx_guid type = GUID_LOCATOR_TYPE_VHDX;
	memcpy(buf + PL_LOCATOR_TYPE, type.b, 16);
	put_le16(buf + PL_RESERVED, 0);
	put_le16(buf + PL_KEY_VALUE_COUNT, (uint16_t)n);
	size_t pos = PL_ENTRIES + n * PLE_SIZE;
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = buf + PL_ENTRIES + i * PLE_SIZE;
		const char *strs[2] = { kv[i].key, kv[i].value };
		for (int s = 0; s < 2; s++) {
			uint8_t *u;
			size_t ulen;
			int rc = hvo_int_utf8_to_utf16le(
				strs[s], strlen(strs[s]), &u, &ulen);
			if (rc != 0)
				return vhdx_int_seterr(
					err,
					rc == ENOMEM ? VHDX_ERR_NOMEM
						     : VHDX_ERR_INVALID,
					"parent locator: \"%s\" is not "
					"valid UTF-8",
					strs[s]);
			if (pos + ulen > cap || ulen > UINT16_MAX) {
				free(u);
				return vhdx_int_seterr(
					err, VHDX_ERR_INVALID,
					"parent locator: path too long");
			}
			memcpy(buf + pos, u, ulen);
			free(u);
			put_le32(e + (s ? PLE_VALUE_OFFSET : PLE_KEY_OFFSET),
				 (uint32_t)pos);
			put_le16(e + (s ? PLE_VALUE_LENGTH : PLE_KEY_LENGTH),
				 (uint16_t)ulen);
			pos += ulen;
		}
	}
	*len_ret = (uint32_t)pos;
	return VHDX_OK;
}

static void table_entry(uint8_t *table, unsigned i, const struct vhdx_guid *g,
			uint32_t off, uint32_t len, uint32_t flags)
{
	uint8_t *e = table + MT_ENTRIES + (size_t)i * MTE_SIZE;
	memcpy(e + MTE_ITEM_ID, g->b, 16);
	put_le32(e + MTE_OFFSET, off);
	put_le32(e + MTE_LENGTH, len);
	put_le32(e + MTE_FLAGS, flags);
}

struct geometry {
	enum vhdx_type type;
	uint64_t vsize;
	uint32_t bs, lss, pss;
	struct vhdx_guid disk_id;
	uint64_t nblocks, nchunks;
	uint32_t ratio;
	uint64_t bat_len;
	uint64_t data_start;
	uint64_t file_size;
};

static enum vhdx_err write_image(struct builder *b, const struct geometry *g,
				 const uint8_t *locator, uint32_t locator_len)
{
	enum vhdx_err r;
	uint8_t *buf = calloc(1, VHDX_MiB);
	if (buf == NULL)
		return vhdx_int_seterr(b->err, VHDX_ERR_NOMEM, "out of memory");

	/* File type identifier (2.2.1). */
	memcpy(buf + FILEID_SIGNATURE, "vhdxfile", 8);
	const char *creator = "hvoffline " PACKAGE_VERSION;
	uint8_t *u;
	size_t ulen;
	if (hvo_int_utf8_to_utf16le(creator, strlen(creator), &u, &ulen) == 0) {
		memcpy(buf + FILEID_CREATOR, u,
		       ulen < FILEID_CREATOR_BYTES ? ulen
						   : FILEID_CREATOR_BYTES);
		free(u);
	}
	/* Headers (2.2.2): both valid, the second current. */
	struct vhdx_guid fw, dw;
	if (vhdx_int_guid_random(&fw) != 0 || vhdx_int_guid_random(&dw) != 0) {
		free(buf);
		return vhdx_int_seterr(b->err, VHDX_ERR_IO, "no random GUID");
	}
	for (int i = 0; i < 2; i++) {
		uint8_t *h =
			buf + (i ? VHDX_HEADER2_OFFSET : VHDX_HEADER1_OFFSET);
		memcpy(h + HDR_SIGNATURE, "head", 4);
		put_le64(h + HDR_SEQUENCE, (uint64_t)i + 1);
		memcpy(h + HDR_FILE_WRITE_GUID, fw.b, 16);
		memcpy(h + HDR_DATA_WRITE_GUID, dw.b, 16);
		put_le16(h + HDR_LOG_VERSION, VHDX_LOG_VERSION);
		put_le16(h + HDR_VERSION, VHDX_VERSION);
		put_le32(h + HDR_LOG_LENGTH, (uint32_t)CREATE_LOG_LENGTH);
		put_le64(h + HDR_LOG_OFFSET, CREATE_LOG_OFFSET);
		put_le32(h + HDR_CHECKSUM,
			 vhdx_int_crc32c(0, h, VHDX_HEADER_SIZE));
	}
	/* Region tables (2.2.3): two identical copies. */
	static const struct vhdx_guid bat_guid = GUID_REGION_BAT;
	static const struct vhdx_guid meta_guid = GUID_REGION_METADATA;
	for (int i = 0; i < 2; i++) {
		uint8_t *t =
			buf + (i ? VHDX_REGION2_OFFSET : VHDX_REGION1_OFFSET);
		memcpy(t + RT_SIGNATURE, "regi", 4);
		put_le32(t + RT_ENTRY_COUNT, 2);
		uint8_t *e = t + RT_ENTRIES;
		memcpy(e + RTE_GUID, bat_guid.b, 16);
		put_le64(e + RTE_FILE_OFFSET, CREATE_BAT_OFFSET);
		put_le32(e + RTE_LENGTH, (uint32_t)g->bat_len);
		put_le32(e + RTE_REQUIRED, 1);
		e += RTE_SIZE;
		memcpy(e + RTE_GUID, meta_guid.b, 16);
		put_le64(e + RTE_FILE_OFFSET, CREATE_META_OFFSET);
		put_le32(e + RTE_LENGTH, (uint32_t)CREATE_META_LENGTH);
		put_le32(e + RTE_REQUIRED, 1);
		put_le32(t + RT_CHECKSUM,
			 vhdx_int_crc32c(0, t, VHDX_REGION_TABLE_SIZE));
	}
	r = put(b, buf, VHDX_MiB, 0);

	/* Metadata region (2.6). */
	memset(buf, 0, VHDX_MiB);
	static const struct vhdx_guid fp = GUID_FILE_PARAMETERS,
				      vs = GUID_VIRTUAL_DISK_SIZE,
				      id = GUID_VIRTUAL_DISK_ID,
				      ls = GUID_LOGICAL_SECTOR_SIZE,
				      ps = GUID_PHYSICAL_SECTOR_SIZE,
				      pl = GUID_PARENT_LOCATOR;
	const uint32_t req = MTE_FLAG_IS_REQUIRED;
	const uint32_t vreq = MTE_FLAG_IS_REQUIRED | MTE_FLAG_IS_VIRTUAL_DISK;
	memcpy(buf + MT_SIGNATURE, "metadata", 8);
	unsigned n = 0;
	uint32_t at = ITEM_BASE;
	table_entry(buf, n++, &fp, at, FP_SIZE, req);
	put_le32(buf + at + FP_BLOCK_SIZE, g->bs);
	put_le32(buf + at + FP_FLAGS,
		 g->type == VHDX_TYPE_FIXED ? FP_FLAG_LEAVE_BLOCK_ALLOCATED
		 : g->type == VHDX_TYPE_DIFFERENCING ? FP_FLAG_HAS_PARENT
						     : 0);
	at += 8;
	table_entry(buf, n++, &vs, at, 8, vreq);
	put_le64(buf + at, g->vsize);
	at += 8;
	table_entry(buf, n++, &id, at, 16, vreq);
	memcpy(buf + at, g->disk_id.b, 16);
	at += 16;
	table_entry(buf, n++, &ls, at, 4, vreq);
	put_le32(buf + at, g->lss);
	at += 4;
	table_entry(buf, n++, &ps, at, 4, vreq);
	put_le32(buf + at, g->pss);
	at += 4;
	if (locator) {
		table_entry(buf, n++, &pl, at, locator_len, req);
		memcpy(buf + at, locator, locator_len);
	}
	put_le16(buf + MT_ENTRY_COUNT, (uint16_t)n);
	if (r == VHDX_OK)
		r = put(b, buf, VHDX_MiB, CREATE_META_OFFSET);

	/* BAT (2.5): a fixed image maps every block, in order. */
	if (r == VHDX_OK && g->type == VHDX_TYPE_FIXED) {
		uint64_t entries = VHDX_MiB / BAT_ENTRY_SIZE;
		for (uint64_t base = 0;
		     base * BAT_ENTRY_SIZE < g->bat_len && r == VHDX_OK;
		     base += entries) {
			memset(buf, 0, VHDX_MiB);
			for (uint64_t k = 0; k < entries; k++) {
				uint64_t idx = base + k;
				uint64_t per = (uint64_t)g->ratio + 1;
				if (idx % per == g->ratio)
					continue; /* sector bitmap: none */
				uint64_t blk = idx / per * g->ratio + idx % per;
				if (blk >= g->nblocks)
					continue;
				put_le64(buf + k * BAT_ENTRY_SIZE,
					 (g->data_start + blk * g->bs) |
						 PAYLOAD_BLOCK_FULLY_PRESENT);
			}
			r = put(b, buf, VHDX_MiB,
				CREATE_BAT_OFFSET + base * BAT_ENTRY_SIZE);
		}
	}
	free(buf);
	if (r != VHDX_OK)
		return r;
	if (ftruncate(b->fd, (off_t)g->file_size) != 0)
		return vhdx_int_seterr(b->err, VHDX_ERR_IO, "extend %s: %s",
				       b->tmp, strerror(errno));
	if (g->type == VHDX_TYPE_FIXED) {
		int e = posix_fallocate(b->fd, (off_t)g->data_start,
					(off_t)(g->file_size - g->data_start));
		if (e != 0)
			return vhdx_int_seterr(
				b->err, VHDX_ERR_IO,
				"allocate %llu bytes for %s: %s",
				(unsigned long long)(g->file_size -
						     g->data_start),
				b->tmp, strerror(e));
	}
	if (fsync(b->fd) != 0)
		return vhdx_int_seterr(b->err, VHDX_ERR_IO, "flush %s: %s",
				       b->tmp, strerror(errno));
	return VHDX_OK;
}

static enum vhdx_err parent_geometry(const struct vhdx_create_opts *o,
				     const char *path, struct geometry *g,
				     uint8_t *loc, uint32_t *loc_len,
				     struct vhdx_error *err)
{
	struct vhdx_image *p;
	struct vhdx_error perr = { 0 };
	enum vhdx_err r = vhdx_open(o->parent_path, 0, NULL, &p, &perr);
	if (r != VHDX_OK)
		return vhdx_int_seterr(err, r, "parent %s: %s", o->parent_path,
				       perr.msg);
	if ((o->logical_sector_size && o->logical_sector_size != p->lss) ||
	    (o->physical_sector_size && o->physical_sector_size != p->pss)) {
		vhdx_close(p, NULL);
		return vhdx_int_seterr(
			err, VHDX_ERR_INVALID,
			"a differencing image has its parent's sector "
			"sizes (%u/%u)",
			p->lss, p->pss);
	}
	g->vsize = p->virtual_size;
	g->lss = p->lss;
	g->pss = p->pss;
	/* The virtual disk is the same disk: its ID carries over (the
	 * DataWriteGuid is what links the two files). */
	g->disk_id = p->disk_id;
	if (!p->has_disk_id)
		vhdx_int_guid_random(&g->disk_id);
	char linkage[40], gs[37];
	vhdx_guid_format(&p->data_write_guid, gs);
	snprintf(linkage, sizeof(linkage), "{%s}", gs);
	vhdx_close(p, NULL);

	char *dircopy = strdup(path);
	char *dir = dircopy ? realpath(dirname(dircopy), NULL) : NULL;
	char *parent_abs = realpath(o->parent_path, NULL);
	free(dircopy);
	char *rel = dir && parent_abs ? relative_path(dir, parent_abs) : NULL;
	free(dir);
	free(parent_abs);
	if (rel == NULL)
		return vhdx_int_seterr(
			err, VHDX_ERR_IO,
			"cannot compute the parent's relative path: %s",
			strerror(errno ? errno : ENOMEM));
	struct kv kv[] = { { "parent_linkage", linkage },
			   { "relative_path", rel } };
	r = build_locator(kv, HVO_ARRAY_SIZE(kv), loc,
			  CREATE_META_LENGTH - ITEM_BASE - 64, loc_len, err);
	free(rel);
	return r;
}

enum vhdx_err vhdx_create(const char *path, const struct vhdx_create_opts *o,
			  struct vhdx_error *err)
{
	struct geometry g = { .type = o->type };
	if (o->type != VHDX_TYPE_FIXED && o->type != VHDX_TYPE_DYNAMIC &&
	    o->type != VHDX_TYPE_DIFFERENCING)
		return vhdx_int_seterr(err, VHDX_ERR_INVALID,
				       "unknown image type");
	if ((o->type == VHDX_TYPE_DIFFERENCING) != (o->parent_path != NULL))
		return vhdx_int_seterr(
			err, VHDX_ERR_INVALID,
			"a parent is needed for, and only for, a "
			"differencing image");
	struct stat st;
	if (lstat(path, &st) == 0)
		return vhdx_int_seterr(err, VHDX_ERR_EXISTS,
				       "exists already (not overwritten)");
	uint8_t *loc = NULL;
	uint32_t loc_len = 0;
	enum vhdx_err r;
	if (o->type == VHDX_TYPE_DIFFERENCING) {
		loc = calloc(1, CREATE_META_LENGTH);
		if (loc == NULL)
			return vhdx_int_seterr(err, VHDX_ERR_NOMEM,
					       "out of memory");
		r = parent_geometry(o, path, &g, loc, &loc_len, err);
		if (r != VHDX_OK) {
			free(loc);
			return r;
		}
	} else {
		g.vsize = o->virtual_size;
		g.lss = o->logical_sector_size ? o->logical_sector_size : 512;
		g.pss = o->physical_sector_size ? o->physical_sector_size
						: 4096;
		if (vhdx_int_guid_random(&g.disk_id) != 0)
			return vhdx_int_seterr(err, VHDX_ERR_IO,
					       "no random GUID");
	}
	g.bs = o->block_size			   ? o->block_size
	       : o->type == VHDX_TYPE_DIFFERENCING ? DEFAULT_DIFF_BLOCK_SIZE
						   : DEFAULT_BLOCK_SIZE;
	r = VHDX_OK;
	if ((g.lss != 512 && g.lss != 4096) || (g.pss != 512 && g.pss != 4096))
		r = vhdx_int_seterr(err, VHDX_ERR_INVALID,
				    "sector sizes must be 512 or 4096");
	else if ((g.bs & (g.bs - 1)) != 0 || g.bs < VHDX_MIN_BLOCK_SIZE ||
		 g.bs > VHDX_MAX_BLOCK_SIZE)
		r = vhdx_int_seterr(
			err, VHDX_ERR_INVALID,
			"block size %u is not a power of two from 1 MiB "
			"to 256 MiB",
			g.bs);
	else if (g.vsize == 0 || g.vsize % g.lss != 0 ||
		 g.vsize > VHDX_MAX_VIRTUAL_SIZE)
		r = vhdx_int_seterr(
			err, VHDX_ERR_INVALID,
			"size %llu is not a non-zero multiple of the "
			"%u-byte sector up to 64 TiB",
			(unsigned long long)g.vsize, g.lss);
	if (r != VHDX_OK) {
		free(loc);
		return r;
	}
	g.nblocks = (g.vsize + g.bs - 1) / g.bs;
	g.ratio = (uint32_t)(VHDX_SECTORS_PER_CHUNK * g.lss / g.bs);
	g.nchunks = (g.nblocks + g.ratio - 1) / g.ratio;
	g.bat_len = vhdx_int_round_up(
		g.nchunks * ((uint64_t)g.ratio + 1) * BAT_ENTRY_SIZE, VHDX_MiB);
	g.data_start = CREATE_BAT_OFFSET + g.bat_len;
	g.file_size = g.data_start;
	if (g.type == VHDX_TYPE_FIXED)
		g.file_size += g.nblocks * g.bs;

	/* Built under ".<name>.hvo-<pid>-XXXXXX" (util/tmpname.h): what an
	 * earlier, killed create left goes first, and every exit path here
	 * removes ours. */
	hvo_int_tmp_sweep(path);
	char *tmp = NULL;
	struct builder b = { .fd = hvo_int_tmp_create(path, &tmp), .err = err };
	if (b.fd < 0) {
		r = vhdx_int_seterr(err, VHDX_ERR_IO,
				    "create a file beside %s: %s", path,
				    strerror(errno));
		free(loc);
		return r;
	}
	b.tmp = tmp;
	fchmod(b.fd, 0644);
	r = write_image(&b, &g, loc, loc_len);
	free(loc);
	/* Moved into place while the descriptor (and its flock) is still
	 * open, so that no sweeper can take the file for a stale one. */
	bool moved = false;
	if (r == VHDX_OK) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
			      RENAME_NOREPLACE) == 0) {
			moved = true;
		} else {
			int e = errno;
			if (e == EINVAL || e == ENOSYS) {
				/* Filesystem without RENAME_NOREPLACE. */
				e = link(tmp, path) == 0 ? 0 : errno;
			}
			if (e == EEXIST)
				r = vhdx_int_seterr(err, VHDX_ERR_EXISTS,
						    "exists already (not "
						    "overwritten)");
			else if (e != 0)
				r = vhdx_int_seterr(err, VHDX_ERR_IO,
						    "move %s into place: %s",
						    tmp, strerror(e));
		}
	}
	if (!moved)
		hvo_int_tmp_remove(tmp);
	else
		hvo_int_tmp_forget(tmp);
	if (close(b.fd) != 0 && r == VHDX_OK)
		r = vhdx_int_seterr(err, VHDX_ERR_IO, "close %s: %s", path,
				    strerror(errno));
	if (r == VHDX_OK)
		hvo_int_fsync_parent_dir(path);
	free(tmp);
	return r;
}

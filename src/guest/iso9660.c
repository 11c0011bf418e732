/*
 * iso9660.c - the ISO 9660 reader (see iso9660.h): volume descriptors,
 * directory records, Joliet and Rock Ridge names, the checked tree.
 *
 * Sections cited are ECMA-119 (4th edition, 2019), the Joliet
 * specification (Microsoft, 1995), SUSP (IEEE P1281) and Rock Ridge
 * (IEEE P1282).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/iso9660_int.h"
#include "util/grow.h"

/* ECMA-119 6.1.2: a logical sector is 2048 bytes; the volume descriptor
 * set starts at sector 16 (6.2.1). */
#define ISO_SECTOR   2048u
#define ISO_VD_FIRST 16u
/* Descriptors read before a terminator must have come: real images have
 * 3 to 5 (primary, Joliet, El Torito, terminator). */
#define ISO_VD_MAX 64u
/* Volume descriptor fields (8.4, 8.5). */
#define VD_TYPE		0
#define VD_ID		1
#define VD_ESCAPES	88
#define VD_SPACE_SIZE	80
#define VD_BLOCK_SIZE	128
#define VD_ROOT		156
#define VD_TYPE_PRIMARY 1
#define VD_TYPE_SUPPL	2
#define VD_TYPE_END	255

/* Directory record fields (9.1). */
#define DR_LEN	      0
#define DR_EAR_LEN    1
#define DR_EXTENT     2
#define DR_SIZE	      10
#define DR_FLAGS      25
#define DR_UNIT	      26
#define DR_GAP	      27
#define DR_NAME_LEN   32
#define DR_NAME	      33
#define DR_MIN	      34 /* with a one-byte name */
#define DR_FLAG_DIR   0x02
#define DR_FLAG_ASSOC 0x04
#define DR_FLAG_MULTI 0x80

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int fail(struct guest_iso *iso, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct guest_iso *iso, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(iso->why, iso->whysize, fmt, ap);
	va_end(ap);
	return err;
}

/* The one accessor for image bytes: [@off, @off + @len) must lie inside
 * the image, which every caller has checked against the size; reading
 * past it is refused again here. */
static int read_at(struct guest_iso *iso, uint64_t off, size_t len,
		   uint8_t *buf)
{
	if (off > iso->size || len > iso->size - off)
		return fail(iso, GUEST_ISO_CORRUPT,
			    "a read of %zu bytes at %llu is past the end of "
			    "the image (%llu bytes)",
			    len, (unsigned long long)off,
			    (unsigned long long)iso->size);
	if (len > 0 && iso->rd(iso->ctx, off, len, buf) != 0)
		return fail(iso, GUEST_ISO_IO, "read at %llu: %s",
			    (unsigned long long)off, strerror(errno));
	return GUEST_ISO_OK;
}

/* Whether @len bytes at block @blk lie inside the image; their offset in
 * *@off_ret. */
static bool extent_ok(const struct guest_iso *iso, uint64_t blk, uint64_t len,
		      uint64_t *off_ret)
{
	uint64_t off = blk * iso->block; /* blk < 2^33: no overflow */
	*off_ret = off;
	return off <= iso->size && len <= iso->size - off;
}

/* ------------------------------------------------------------------ */
/* Names.                                                              */
/* ------------------------------------------------------------------ */

/* Appends code point @c to @out (size ISO_UTF8_MAX at least) at *@n. */
static void put_utf8(char *out, size_t cap, size_t *n, uint32_t c)
{
	uint8_t b[4];
	size_t k;
	if (c < 0x80) {
		b[0] = (uint8_t)c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = (uint8_t)(0xc0 | c >> 6);
		b[1] = (uint8_t)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		b[0] = (uint8_t)(0xe0 | c >> 12);
		b[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | c >> 18);
		b[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		b[3] = (uint8_t)(0x80 | (c & 0x3f));
		k = 4;
	}
	if (*n + k < cap) {
		memcpy(out + *n, b, k);
		*n += k;
	}
	out[*n] = '\0';
}

/* Joliet names are UCS-2 big-endian (Joliet 3.3); UTF-16 surrogate pairs
 * are decoded, a lone surrogate becomes U+FFFD. */
static void joliet_name(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint32_t c = (uint32_t)p[i] << 8 | p[i + 1];
		if (c >= 0xd800 && c < 0xdc00 && i + 3 < len) {
			uint32_t d = (uint32_t)p[i + 2] << 8 | p[i + 3];
			if (d >= 0xdc00 && d < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (d - 0xdc00);
				i += 2;
			} else {
				c = 0xfffd;
			}
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd;
		}
		put_utf8(out, cap, &n, c);
	}
}

/* Primary names are d-characters (7.4.1); a byte outside printable ASCII
 * (non-conforming mastering tools) becomes '_', so names stay UTF-8. */
static void primary_name(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < cap; i++)
		out[n++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '_';
	out[n] = '\0';
}

/* A file identifier's ";1" version and an empty extension's '.' (7.5.1:
 * "NAME.;1" for a name without one) are not part of the name. */
static void strip_version(char *name, bool dir)
{
	if (dir)
		return;
	char *semi = strrchr(name, ';');
	if (semi != NULL)
		*semi = '\0';
	size_t n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		name[n - 1] = '\0';
}

/*
 * Rock Ridge: the name from the NM entries of a record's system use area
 * @su/@len (SUSP 4, RRIP 4.1.4), following CE continuation areas.  Leaves
 * @out empty when there is none.
 */
static int rr_name(struct guest_iso *iso, const uint8_t *su, size_t len,
		   char *out)
{
	uint8_t area[ISO_SECTOR];
	size_t n = 0;
	unsigned ce = 0;
	out[0] = '\0';
	for (;;) {
		uint64_t next_off = 0, next_len = 0;
		size_t i = 0;
		while (i + 4 <= len) {
			size_t el = su[i + 2];
			if (el < 4 || el > len - i)
				break; /* padding, or the end (SUSP 4.1) */
			const uint8_t *e = su + i;
			if (e[0] == 'S' && e[1] == 'T')
				break;
			if (e[0] == 'C' && e[1] == 'E' && el >= 28) {
				next_off = (uint64_t)le32(e + 4) * iso->block +
					   le32(e + 12);
				next_len = le32(e + 20);
			} else if (e[0] == 'N' && e[1] == 'M' && el >= 5) {
				/* Flags: CURRENT (2) and PARENT (4) name
				 * "." and ".."; no file is named so. */
				if (e[4] & 0x06)
					return fail(iso, GUEST_ISO_CORRUPT,
						    "a Rock Ridge name of "
						    "\".\" or \"..\"");
				size_t k = el - 5;
				if (n + k > ISO_NAME_MAX)
					return fail(iso, GUEST_ISO_CORRUPT,
						    "a Rock Ridge name longer "
						    "than %u bytes",
						    ISO_NAME_MAX);
				memcpy(out + n, e + 5, k);
				n += k;
				out[n] = '\0';
			}
			i += el;
		}
		if (next_len == 0)
			break;
		if (++ce > ISO_MAX_CE || next_len > sizeof(area) ||
		    next_off > iso->size || next_len > iso->size - next_off)
			return fail(iso, GUEST_ISO_CORRUPT,
				    "a Rock Ridge continuation area (%u) of "
				    "%llu bytes at %llu is past the end or "
				    "too many",
				    ce, (unsigned long long)next_len,
				    (unsigned long long)next_off);
		int r = read_at(iso, next_off, (size_t)next_len, area);
		if (r != GUEST_ISO_OK)
			return r;
		su = area;
		len = (size_t)next_len;
	}
	if (memchr(out, '\0', n) != NULL)
		return fail(iso, GUEST_ISO_CORRUPT,
			    "a Rock Ridge name holds a NUL byte");
	return GUEST_ISO_OK;
}

/* The name of directory record @dr (its length checked). */
static int record_name(struct guest_iso *iso, const uint8_t *dr, bool dir,
		       char *out)
{
	size_t nl = dr[DR_NAME_LEN];
	const uint8_t *id = dr + DR_NAME;
	if (iso->names == GUEST_ISO_NAMES_JOLIET) {
		joliet_name(id, nl, out, ISO_UTF8_MAX);
		strip_version(out, dir);
	} else {
		out[0] = '\0';
		if (iso->names == GUEST_ISO_NAMES_ROCK_RIDGE) {
			/* The system use area follows the name, padded to
			 * an even offset (9.1.12, 9.1.13). */
			size_t su = DR_NAME + nl + (nl % 2 == 0);
			size_t len = dr[DR_LEN];
			su += iso->susp_skip;
			if (su < len) {
				int r = rr_name(iso, dr + su, len - su, out);
				if (r != GUEST_ISO_OK)
					return r;
			}
		}
		if (out[0] == '\0') {
			primary_name(id, nl, out, ISO_UTF8_MAX);
			strip_version(out, dir);
		}
	}
	if (out[0] == '\0' || strcmp(out, ".") == 0 || strcmp(out, "..") == 0 ||
	    strchr(out, '/') != NULL)
		return fail(iso, GUEST_ISO_CORRUPT,
			    "an impossible file name \"%.64s\"", out);
	return GUEST_ISO_OK;
}

/* ------------------------------------------------------------------ */
/* The tree.                                                           */
/* ------------------------------------------------------------------ */

static int add_node(struct guest_iso *iso, uint32_t *idx_ret)
{
	if (iso->nnodes == ISO_MAX_NODES)
		return fail(iso, GUEST_ISO_UNSUPPORTED,
			    "more than %u files and directories",
			    ISO_MAX_NODES);
	struct iso_node *n = hvo_int_grow(iso->nodes, iso->nnodes,
					  &iso->capnodes, sizeof(*n), 64);
	if (n == NULL)
		return fail(iso, GUEST_ISO_NOMEM, "out of memory");
	iso->nodes = n;
	memset(&iso->nodes[iso->nnodes], 0, sizeof(iso->nodes[0]));
	*idx_ret = iso->nnodes++;
	return GUEST_ISO_OK;
}

static int add_extent(struct guest_iso *iso, uint64_t off, uint64_t len)
{
	if (iso->next == iso->capext && iso->capext * 2 > ISO_MAX_NODES * 2u)
		return fail(iso, GUEST_ISO_UNSUPPORTED,
			    "too many file extents");
	struct iso_extent *e =
		hvo_int_grow(iso->ext, iso->next, &iso->capext, sizeof(*e), 64);
	if (e == NULL)
		return fail(iso, GUEST_ISO_NOMEM, "out of memory");
	iso->ext = e;
	iso->ext[iso->next++] = (struct iso_extent){ off, len };
	return GUEST_ISO_OK;
}

/* Marks the blocks of a directory's records; a block marked already
 * belongs to another directory (or to this one, met again): the tree
 * would loop or share records. */
static bool claim_dir(struct guest_iso *iso, uint64_t off, uint64_t len)
{
	uint64_t b0 = off / iso->block;
	uint64_t b1 = (off + len + iso->block - 1) / iso->block;
	for (uint64_t b = b0; b < b1; b++)
		if (iso->dirmap[b / 8] & (1u << (b % 8)))
			return false;
	for (uint64_t b = b0; b < b1; b++)
		iso->dirmap[b / 8] |= (uint8_t)(1u << (b % 8));
	return true;
}

static const char *node_name(const struct guest_iso *iso, uint32_t i)
{
	return i == GUEST_ISO_ROOT ? "(root)" : iso->nodes[i].name;
}

/* One directory record @dr of @len bytes (checked to hold its name) in
 * directory @parent: a new child, or one more extent of the previous
 * child (a multi-extent file, 6.5.1). */
static int add_record(struct guest_iso *iso, uint32_t parent, const uint8_t *dr,
		      bool *multi_open)
{
	uint8_t flags = dr[DR_FLAGS];
	bool dir = (flags & DR_FLAG_DIR) != 0;
	if (flags & DR_FLAG_ASSOC)
		return GUEST_ISO_OK; /* an associated file (Mac resource) */
	char name[ISO_UTF8_MAX + ISO_NAME_MAX + 1];
	int r = record_name(iso, dr, dir, name);
	if (r != GUEST_ISO_OK)
		return r;
	uint64_t blk = (uint64_t)le32(dr + DR_EXTENT) + dr[DR_EAR_LEN];
	uint64_t len = le32(dr + DR_SIZE), off = 0;
	if (len > 0 && !extent_ok(iso, blk, len, &off))
		return fail(iso, GUEST_ISO_CORRUPT,
			    "\"%s\" in %s: its extent (%llu bytes at block "
			    "%llu) is past the end of the image",
			    name, node_name(iso, parent),
			    (unsigned long long)len, (unsigned long long)blk);
	if (!dir && (dr[DR_UNIT] != 0 || dr[DR_GAP] != 0))
		return fail(iso, GUEST_ISO_UNSUPPORTED,
			    "\"%s\": interleaved files are not supported",
			    name);
	struct iso_node *prev = iso->nodes[parent].count > 0
					? &iso->nodes[iso->nnodes - 1]
					: NULL;
	if (*multi_open) {
		/* The records of one file follow each other, with one
		 * name; all but the last carry the flag (9.1.6). */
		if (prev == NULL || dir || strcmp(prev->name, name) != 0)
			return fail(iso, GUEST_ISO_CORRUPT,
				    "\"%s\" in %s: a multi-extent file ends "
				    "without its last extent",
				    name, node_name(iso, parent));
		if (prev->count == ISO_MAX_EXTENTS_PER_FILE ||
		    prev->size + len < prev->size)
			return fail(iso, GUEST_ISO_UNSUPPORTED,
				    "\"%s\": too many extents", name);
		r = add_extent(iso, off, len);
		if (r != GUEST_ISO_OK)
			return r;
		prev->count++;
		prev->size += len;
		*multi_open = (flags & DR_FLAG_MULTI) != 0;
		return GUEST_ISO_OK;
	}
	if (dir && (flags & DR_FLAG_MULTI))
		return fail(iso, GUEST_ISO_CORRUPT,
			    "directory \"%s\" has several extents", name);
	uint32_t idx;
	if ((r = add_node(iso, &idx)) != GUEST_ISO_OK)
		return r;
	struct iso_node *n = &iso->nodes[idx];
	iso->nodes[parent].count++;
	if ((n->name = strdup(name)) == NULL)
		return fail(iso, GUEST_ISO_NOMEM, "out of memory");
	n->dir = dir;
	n->size = len;
	if (dir) {
		n->dir_off = off;
	} else {
		n->first = iso->next;
		n->count = 1;
		if ((r = add_extent(iso, off, len)) != GUEST_ISO_OK)
			return r;
	}
	*multi_open = (flags & DR_FLAG_MULTI) != 0;
	return GUEST_ISO_OK;
}

/* Reads directory @d's records (9.1; none crosses a logical sector,
 * 6.8.1.1) into children, then walks its subdirectories. */
static int walk(struct guest_iso *iso, uint32_t d, unsigned depth)
{
	if (depth > ISO_MAX_DEPTH)
		return fail(iso, GUEST_ISO_UNSUPPORTED,
			    "directories nested more than %u deep",
			    ISO_MAX_DEPTH);
	uint64_t off = iso->nodes[d].dir_off, len = iso->nodes[d].size;
	if (len > ISO_MAX_DIR_BYTES)
		return fail(iso, GUEST_ISO_UNSUPPORTED,
			    "directory %s: %llu bytes of records",
			    node_name(iso, d), (unsigned long long)len);
	if (!claim_dir(iso, off, len))
		return fail(iso, GUEST_ISO_CORRUPT,
			    "directory %s at block %llu overlaps another "
			    "directory (a loop)",
			    node_name(iso, d),
			    (unsigned long long)(off / iso->block));
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return fail(iso, GUEST_ISO_NOMEM, "out of memory");
	int r = read_at(iso, off, (size_t)len, buf);
	iso->nodes[d].first = iso->nnodes;
	iso->nodes[d].count = 0;
	bool multi = false;
	size_t pos = 0, nrec = 0;
	while (r == GUEST_ISO_OK && pos < len) {
		size_t end = (pos / ISO_SECTOR + 1) * ISO_SECTOR;
		if (end > len)
			end = (size_t)len;
		size_t rl = buf[pos];
		if (rl == 0) { /* the rest of the sector is padding */
			pos = end;
			continue;
		}
		const uint8_t *dr = buf + pos;
		if (rl < DR_MIN || rl > end - pos ||
		    DR_NAME + (size_t)dr[DR_NAME_LEN] > rl) {
			r = fail(iso, GUEST_ISO_CORRUPT,
				 "directory %s: a record of %zu bytes at "
				 "offset %zu is malformed",
				 node_name(iso, d), rl, pos);
			break;
		}
		/* The first two records are "." and ".." (6.8.2.2). */
		bool self = dr[DR_NAME_LEN] == 1 && dr[DR_NAME] <= 1;
		if (!self)
			r = add_record(iso, d, dr, &multi);
		else if (nrec >= 2)
			r = fail(iso, GUEST_ISO_CORRUPT,
				 "directory %s: a \".\" or \"..\" record "
				 "after the first two",
				 node_name(iso, d));
		nrec++;
		pos += rl;
	}
	free(buf);
	if (r == GUEST_ISO_OK && multi)
		r = fail(iso, GUEST_ISO_CORRUPT,
			 "directory %s: a multi-extent file ends without its "
			 "last extent",
			 node_name(iso, d));
	uint32_t first = iso->nodes[d].first, count = iso->nodes[d].count;
	for (uint32_t k = 0; r == GUEST_ISO_OK && k < count; k++)
		if (iso->nodes[first + k].dir)
			r = walk(iso, first + k, depth + 1);
	return r;
}

/* ------------------------------------------------------------------ */
/* Volume descriptors.                                                 */
/* ------------------------------------------------------------------ */

/* Joliet: a supplementary descriptor with escape sequence %/@, %/C or
 * %/E (UCS-2 levels 1 to 3; Joliet 2.2). */
static bool is_joliet(const uint8_t *vd)
{
	const uint8_t *e = vd + VD_ESCAPES;
	return e[0] == '%' && e[1] == '/' &&
	       (e[2] == '@' || e[2] == 'C' || e[2] == 'E');
}

/* Rock Ridge: the root's "." record starts its system use area with the
 * SUSP "SP" entry (SUSP 5.3: BE EF, then the bytes to skip). */
static int detect_rr(struct guest_iso *iso, uint64_t root_off,
		     uint64_t root_len)
{
	uint8_t dr[255];
	if (root_len < DR_MIN)
		return GUEST_ISO_OK;
	size_t n = root_len < sizeof(dr) ? (size_t)root_len : sizeof(dr);
	int r = read_at(iso, root_off, n, dr);
	if (r != GUEST_ISO_OK)
		return r;
	size_t rl = dr[DR_LEN], nl = dr[DR_NAME_LEN];
	size_t su = DR_NAME + nl + (nl % 2 == 0);
	if (rl > n || su + 7 > rl)
		return GUEST_ISO_OK;
	const uint8_t *e = dr + su;
	if (e[0] == 'S' && e[1] == 'P' && e[2] >= 7 && e[4] == 0xbe &&
	    e[5] == 0xef) {
		iso->names = GUEST_ISO_NAMES_ROCK_RIDGE;
		iso->susp_skip = e[6];
	}
	return GUEST_ISO_OK;
}

/* The tree of descriptor @vd: block size, volume size, root. */
static int open_tree(struct guest_iso *iso, const uint8_t *vd)
{
	uint32_t bs = le16(vd + VD_BLOCK_SIZE);
	if (bs != 512 && bs != 1024 && bs != 2048)
		return fail(iso, GUEST_ISO_CORRUPT,
			    "a logical block size of %u bytes (6.1.2: 512, "
			    "1024 or 2048)",
			    bs);
	iso->block = bs;
	uint64_t space = (uint64_t)le32(vd + VD_SPACE_SIZE) * bs;
	if (space > iso->size)
		return fail(iso, GUEST_ISO_CORRUPT,
			    "truncated: the volume is %llu bytes, the file "
			    "%llu",
			    (unsigned long long)space,
			    (unsigned long long)iso->size);
	const uint8_t *root = vd + VD_ROOT;
	if (root[DR_LEN] < DR_MIN || !(root[DR_FLAGS] & DR_FLAG_DIR))
		return fail(iso, GUEST_ISO_CORRUPT,
			    "the root directory record is malformed");
	uint64_t blk = (uint64_t)le32(root + DR_EXTENT) + root[DR_EAR_LEN];
	uint64_t len = le32(root + DR_SIZE), off;
	if (!extent_ok(iso, blk, len, &off))
		return fail(iso, GUEST_ISO_CORRUPT,
			    "the root directory (%llu bytes at block %llu) is "
			    "past the end of the image",
			    (unsigned long long)len, (unsigned long long)blk);
	size_t nblocks = (size_t)((iso->size + bs - 1) / bs);
	iso->dirmap = calloc(nblocks / 8 + 1, 1);
	if (iso->dirmap == NULL)
		return fail(iso, GUEST_ISO_NOMEM, "out of memory");
	uint32_t idx;
	int r = add_node(iso, &idx);
	if (r == GUEST_ISO_OK && (iso->nodes[0].name = strdup("")) == NULL)
		r = fail(iso, GUEST_ISO_NOMEM, "out of memory");
	if (r != GUEST_ISO_OK)
		return r;
	iso->nodes[0].dir = true;
	iso->nodes[0].dir_off = off;
	iso->nodes[0].size = len;
	if (iso->names != GUEST_ISO_NAMES_JOLIET &&
	    (r = detect_rr(iso, off, len)) != GUEST_ISO_OK)
		return r;
	return walk(iso, GUEST_ISO_ROOT, 0);
}

static int read_descriptors(struct guest_iso *iso)
{
	uint8_t vd[ISO_SECTOR], pvd[ISO_SECTOR], svd[ISO_SECTOR];
	bool have_pvd = false, have_joliet = false;
	for (uint32_t i = 0;; i++) {
		uint64_t off = (uint64_t)(ISO_VD_FIRST + i) * ISO_SECTOR;
		if (i == ISO_VD_MAX)
			return fail(iso, GUEST_ISO_CORRUPT,
				    "no volume descriptor set terminator in "
				    "%u descriptors",
				    ISO_VD_MAX);
		if (off + ISO_SECTOR > iso->size)
			return fail(iso,
				    i == 0 ? GUEST_ISO_NOT_ISO
					   : GUEST_ISO_CORRUPT,
				    "truncated: volume descriptor %u is past "
				    "the end of the file (%llu bytes)",
				    i, (unsigned long long)iso->size);
		int r = read_at(iso, off, sizeof(vd), vd);
		if (r != GUEST_ISO_OK)
			return r;
		if (memcmp(vd + VD_ID, "CD001", 5) != 0)
			return fail(iso,
				    i == 0 ? GUEST_ISO_NOT_ISO
					   : GUEST_ISO_CORRUPT,
				    "volume descriptor %u has no \"CD001\" "
				    "identifier",
				    i);
		if (vd[VD_TYPE] == VD_TYPE_END)
			break;
		if (vd[VD_TYPE] == VD_TYPE_PRIMARY && !have_pvd) {
			memcpy(pvd, vd, sizeof(vd));
			have_pvd = true;
		} else if (vd[VD_TYPE] == VD_TYPE_SUPPL && !have_joliet &&
			   is_joliet(vd)) {
			memcpy(svd, vd, sizeof(vd));
			have_joliet = true;
		}
	}
	if (!have_pvd)
		return fail(iso, GUEST_ISO_CORRUPT,
			    "no primary volume descriptor");
	if (have_joliet) {
		iso->names = GUEST_ISO_NAMES_JOLIET;
		return open_tree(iso, svd);
	}
	return open_tree(iso, pvd);
}

int guest_iso_open(guest_iso_read_fn rd, void *ctx, uint64_t size,
		   struct guest_iso **iso_ret, char *why, size_t whysize)
{
	*iso_ret = NULL;
	struct guest_iso *iso = calloc(1, sizeof(*iso));
	if (iso == NULL) {
		snprintf(why, whysize, "out of memory");
		return GUEST_ISO_NOMEM;
	}
	*iso = (struct guest_iso){
		.rd = rd,
		.ctx = ctx,
		.size = size,
		.why = why,
		.whysize = whysize,
		.block = ISO_SECTOR,
	};
	int r = read_descriptors(iso);
	free(iso->dirmap);
	iso->dirmap = NULL;
	iso->why = NULL;
	if (r != GUEST_ISO_OK) {
		guest_iso_free(iso);
		return r;
	}
	*iso_ret = iso;
	return GUEST_ISO_OK;
}

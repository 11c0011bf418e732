/*
 * lvm.c - an LVM2 physical volume's label and metadata area, its current
 * metadata text, and the map from a logical volume's bytes to the disk's
 * (see lvm.h for the sources).
 *
 * On-disk layout (lib/format_text/layout.h), all little-endian:
 *
 *   label_header, in one of sectors 0-3 (512 bytes each):
 *     0  id "LABELONE"      8  sector_xl (this sector's number)
 *     16 crc_xl (over bytes 20-511 of the sector)
 *     20 offset_xl (of the pv_header, from the sector's start)
 *     24 type "LVM2 001"
 *   pv_header, at offset_xl:
 *     0  pv_uuid[32]        32 device_size_xl (bytes)
 *     40 disk_locn { offset, size } data areas, ended by a zero offset,
 *        then the same list of metadata areas
 *   mda_header, at a metadata area's offset (512 bytes):
 *     0  checksum_xl (over bytes 4-511)   4 magic[16]   20 version (1)
 *     24 start (the area's offset in the PV)   32 size (of the area)
 *     40 raw_locn { offset, size, checksum, flags } list; the first is
 *        the current metadata
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/lvm.h"
#include "util/bytes.h"

#define LH_ID		0
#define LH_SECTOR	8
#define LH_CRC		16
#define LH_OFFSET	20
#define LH_TYPE		24
#define LH_SIZE		32
#define PVH_UUID	0
#define PVH_DEVSZ	32
#define PVH_AREAS	40
#define LOCN_SIZE	16
#define MDA_CSUM	0
#define MDA_MAGIC	4
#define MDA_VER		20
#define MDA_START	24
#define MDA_SIZE	32
#define MDA_RLOCN	40
#define RLOCN_SIZE	24

#define LVM_MAGIC	" LVM2 x[5A%r0N*>"
#define LVM_INITIAL_CRC 0xf597a6cfu
/* raw_locn flags: this metadata copy is not used (pvchange
 * --metadataignore). */
#define RAW_LOCN_IGNORED 0x1u

const char *lvm_strerror(int err)
{
	static const char *const msg[] = {
		[LVM_OK] = "ok",
		[LVM_E_NOT] = "not an LVM2 physical volume",
		[LVM_E_CORRUPT] = "corrupt LVM2 metadata",
		[LVM_E_UNSUPPORTED] = "unsupported LVM2 metadata",
		[LVM_E_NOMEM] = "out of memory",
		[LVM_E_IO] = "read error",
	};
	return (unsigned)err < HVO_ARRAY_SIZE(msg) && msg[err] ? msg[err]
							       : "unknown";
}

/* lib/misc/crc.c: reflected CRC-32, no inversions, chained. */
static uint32_t lvm_crc(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return crc;
}

static int bad(char *why, size_t whysize, const char *what)
{
	snprintf(why, whysize, "%s", what);
	return LVM_E_CORRUPT;
}

/* The areas list at @p (bytes left @left): up to a zero offset. */
static int read_areas(const uint8_t *p, size_t left, size_t *used,
		      struct lvm_area *a, size_t *n, char *why, size_t whysize)
{
	*n = 0;
	for (size_t o = 0;; o += LOCN_SIZE) {
		if (o + LOCN_SIZE > left)
			return bad(why, whysize,
				   "PV header: area list runs off its sector");
		uint64_t off = get_le64(p + o), size = get_le64(p + o + 8);
		if (off == 0) {
			*used = o + LOCN_SIZE;
			return LVM_OK;
		}
		if (*n == LVM_MAX_AREAS)
			return bad(why, whysize, "PV header: too many areas");
		a[*n].offset = off;
		a[(*n)++].size = size;
	}
}

static int parse_sector(const uint8_t *s, uint64_t sector,
			struct lvm_label *out, char *why, size_t whysize)
{
	if (get_le64(s + LH_SECTOR) != sector)
		return bad(why, whysize, "label: wrong sector number");
	if (lvm_crc(LVM_INITIAL_CRC, s + LH_OFFSET, LVM_SECTOR - LH_OFFSET) !=
	    get_le32(s + LH_CRC))
		return bad(why, whysize, "label: checksum mismatch");
	if (memcmp(s + LH_TYPE, "LVM2 001", 8) != 0) {
		snprintf(why, whysize, "label type is not LVM2 001");
		return LVM_E_UNSUPPORTED;
	}
	uint32_t off = get_le32(s + LH_OFFSET);
	if (off < LH_SIZE || off > LVM_SECTOR - PVH_AREAS)
		return bad(why, whysize, "label: PV header out of its sector");
	const uint8_t *pvh = s + off;
	memset(out, 0, sizeof(*out));
	out->sector = sector;
	for (size_t i = 0; i < LVM_ID_LEN; i++) {
		uint8_t c = pvh[PVH_UUID + i];
		if (c <= 0x20 || c >= 0x7f)
			return bad(why, whysize,
				   "label: PV UUID not printable");
		out->pv_uuid[i] = (char)c;
	}
	out->device_size = get_le64(pvh + PVH_DEVSZ);
	size_t left = LVM_SECTOR - off - PVH_AREAS, used;
	const uint8_t *p = pvh + PVH_AREAS;
	int r = read_areas(p, left, &used, out->data, &out->ndata, why,
			   whysize);
	if (r == LVM_OK)
		r = read_areas(p + used, left - used, &used, out->meta,
			       &out->nmeta, why, whysize);
	return r;
}

int lvm_label_parse(const uint8_t *buf, size_t len, struct lvm_label *out,
		    char *why, size_t whysize)
{
	for (uint64_t s = 0; s < LVM_LABEL_SCAN_SECTORS; s++) {
		if ((s + 1) * LVM_SECTOR > len)
			break;
		const uint8_t *sec = buf + s * LVM_SECTOR;
		if (memcmp(sec + LH_ID, "LABELONE", 8) == 0)
			return parse_sector(sec, s, out, why, whysize);
	}
	snprintf(why, whysize, "no LVM2 label in the first %u sectors",
		 LVM_LABEL_SCAN_SECTORS);
	return LVM_E_NOT;
}

int lvm_mda_parse(const uint8_t *hdr, size_t len, const struct lvm_area *area,
		  struct lvm_text_loc *loc, bool *empty, char *why,
		  size_t whysize)
{
	memset(loc, 0, sizeof(*loc));
	*empty = false;
	if (len < LVM_MDA_HEADER_SIZE)
		return bad(why, whysize, "metadata area header: short");
	if (memcmp(hdr + MDA_MAGIC, LVM_MAGIC, 16) != 0)
		return bad(why, whysize, "metadata area header: bad magic");
	if (lvm_crc(LVM_INITIAL_CRC, hdr + MDA_MAGIC,
		    LVM_MDA_HEADER_SIZE - MDA_MAGIC) !=
	    get_le32(hdr + MDA_CSUM))
		return bad(why, whysize,
			   "metadata area header: checksum mismatch");
	if (get_le32(hdr + MDA_VER) != 1) {
		snprintf(why, whysize, "metadata area version %u",
			 get_le32(hdr + MDA_VER));
		return LVM_E_UNSUPPORTED;
	}
	uint64_t size = get_le64(hdr + MDA_SIZE);
	if (get_le64(hdr + MDA_START) != area->offset || size != area->size ||
	    size <= LVM_MDA_HEADER_SIZE)
		return bad(why, whysize,
			   "metadata area header: start or size differ from "
			   "the PV header's");
	const uint8_t *rl = hdr + MDA_RLOCN;
	loc->offset = get_le64(rl);
	loc->size = get_le64(rl + 8);
	loc->checksum = get_le32(rl + 16);
	loc->ignored = (get_le32(rl + 20) & RAW_LOCN_IGNORED) != 0;
	if (loc->offset == 0) {
		*empty = true;
		return LVM_OK;
	}
	if (loc->offset < LVM_MDA_HEADER_SIZE || loc->offset >= size ||
	    loc->size == 0 || loc->size > size - LVM_MDA_HEADER_SIZE)
		return bad(why, whysize,
			   "metadata area header: text outside the area");
	if (loc->size > LVM_META_MAX) {
		snprintf(why, whysize, "metadata text of %llu bytes",
			 (unsigned long long)loc->size);
		return LVM_E_UNSUPPORTED;
	}
	return LVM_OK;
}

/* The text of one metadata area, checksum verified. */
static int read_text(lvm_read_fn rd, void *ctx, const struct lvm_area *a,
		     const struct lvm_text_loc *loc, char **text_ret,
		     size_t *len_ret, char *why, size_t whysize)
{
	uint64_t first = loc->size, wrap = 0;
	if (loc->offset + loc->size > a->size) {
		/* Runs past the area's end: the rest follows its header. */
		wrap = loc->offset + loc->size - a->size;
		first = loc->size - wrap;
	}
	char *t = malloc((size_t)loc->size + 1);
	if (t == NULL) {
		snprintf(why, whysize, "out of memory");
		return LVM_E_NOMEM;
	}
	if (rd(ctx, a->offset + loc->offset, (size_t)first, (uint8_t *)t) !=
		    0 ||
	    (wrap && rd(ctx, a->offset + LVM_MDA_HEADER_SIZE, (size_t)wrap,
			(uint8_t *)t + first) != 0)) {
		free(t);
		snprintf(why, whysize, "cannot read the metadata text");
		return LVM_E_IO;
	}
	if (lvm_crc(LVM_INITIAL_CRC, (uint8_t *)t, (size_t)loc->size) !=
	    loc->checksum) {
		free(t);
		return bad(why, whysize, "metadata text: checksum mismatch");
	}
	size_t n = (size_t)loc->size;
	/* lvm2 stores the text with its terminating NUL. */
	while (n > 0 && t[n - 1] == '\0')
		n--;
	t[n] = '\0';
	*text_ret = t;
	*len_ret = n;
	return LVM_OK;
}

int lvm_pv_read(lvm_read_fn rd, void *ctx, uint64_t pv_size,
		struct lvm_label *label, char **text_ret, size_t *len_ret,
		char *why, size_t whysize)
{
	*text_ret = NULL;
	*len_ret = 0;
	uint8_t head[LVM_LABEL_SCAN_SIZE];
	size_t n = pv_size < sizeof(head) ? (size_t)pv_size : sizeof(head);
	if (n < LVM_SECTOR || rd(ctx, 0, n, head) != 0) {
		snprintf(why, whysize, "cannot read the label");
		return n < LVM_SECTOR ? LVM_E_NOT : LVM_E_IO;
	}
	int r = lvm_label_parse(head, n, label, why, whysize);
	if (r != LVM_OK)
		return r;
	int last = LVM_OK;
	for (size_t i = 0; i < label->nmeta; i++) {
		const struct lvm_area *a = &label->meta[i];
		if (a->offset > pv_size || a->size > pv_size - a->offset ||
		    a->size <= LVM_MDA_HEADER_SIZE) {
			last = bad(why, whysize,
				   "PV header: metadata area outside the PV");
			continue;
		}
		uint8_t hdr[LVM_MDA_HEADER_SIZE];
		if (rd(ctx, a->offset, sizeof(hdr), hdr) != 0) {
			snprintf(why, whysize, "cannot read a metadata area");
			last = LVM_E_IO;
			continue;
		}
		struct lvm_text_loc loc;
		bool empty;
		last = lvm_mda_parse(hdr, sizeof(hdr), a, &loc, &empty, why,
				     whysize);
		if (last != LVM_OK || empty || loc.ignored)
			continue;
		last = read_text(rd, ctx, a, &loc, text_ret, len_ret, why,
				 whysize);
		if (last == LVM_OK)
			return LVM_OK;
	}
	/* No area with text: a PV without metadata is fine, a damaged one
	 * is reported. */
	return last;
}

/* ------------------------------------------------------------------ */
/* Logical volumes.                                                    */
/* ------------------------------------------------------------------ */

uint64_t lvm_lv_size(const struct lvm_vg *vg, const struct lvm_lv *lv)
{
	return lv->extents * vg->extent_size * LVM_SECTOR;
}

int lvm_lv_map(const struct lvm_vg *vg, const struct lvm_lv *lv, uint64_t off,
	       uint64_t *disk_off, uint64_t *contig)
{
	uint64_t ext_bytes = vg->extent_size * LVM_SECTOR;
	if (!lv->readable || ext_bytes == 0 || off >= lvm_lv_size(vg, lv))
		return LVM_E_CORRUPT;
	uint64_t ext = off / ext_bytes;
	/* Segments are sorted and contiguous (lvm_vg_check): bisect. */
	size_t lo = 0, hi = lv->nsegs;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (lv->segs[mid].start_extent <= ext)
			lo = mid;
		else
			hi = mid;
	}
	const struct lvm_segment *s = &lv->segs[lo];
	uint64_t in = off - s->start_extent * ext_bytes; /* in the segment */
	uint64_t seg_bytes = s->extent_count * ext_bytes;
	uint64_t area_off, run;
	const struct lvm_stripe *st;
	if (s->stripe_count == 1) {
		st = &s->stripes[0];
		area_off = in;
		run = seg_bytes - in;
	} else {
		/* Chunks of stripe_size sectors go round the stripes. */
		uint64_t chunk = s->stripe_size * LVM_SECTOR;
		uint64_t c = in / chunk;
		st = &s->stripes[c % s->stripe_count];
		area_off = (c / s->stripe_count) * chunk + in % chunk;
		run = chunk - in % chunk;
		if (run > seg_bytes - in)
			run = seg_bytes - in;
	}
	const struct lvm_pv *pv = &vg->pvs[st->pv];
	*disk_off = pv->disk_start + pv->pe_start * LVM_SECTOR +
		    st->pe * ext_bytes + area_off;
	*contig = run;
	return LVM_OK;
}

void lvm_dm_name(const char *vg, const char *lv, char *out, size_t size)
{
	size_t o = 0;
	const char *parts[2] = { vg, lv };
	if (size == 0)
		return;
	for (int k = 0; k < 2; k++) {
		if (k == 1 && o + 1 < size)
			out[o++] = '-';
		for (const char *c = parts[k]; *c && o + 1 < size; c++) {
			if (*c == '-') {
				if (o + 2 >= size)
					break;
				out[o++] = '-';
			}
			out[o++] = *c;
		}
	}
	out[o] = '\0';
}

bool lvm_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= LVM_NAME_MAX || s[0] == '-' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '_' ||
		      c == '.' || c == '-'))
			return false;
	}
	return true;
}

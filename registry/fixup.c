/*
 * fixup.c - making libhivex's output what Windows expects.
 *
 * libhivex writes correct cells for what Windows reads in almost every
 * case.  Three cases it gets wrong are fixed here, on the committed image
 * and before it is checked and renamed into place:
 *
 * 1. Big values.  From hive version 1.4 on, Windows reads value data
 *    larger than 16344 bytes through a big-data record ("db": a list of
 *    segments of at most 16344 bytes, "Big data"); libhivex stores any
 *    length in one cell, which Windows would misread as a db record.
 *    Such a value is moved into a new hive bin as segments + segment list
 *    + db record, and its old cell is freed.  We chose converting over
 *    refusing: REG_BINARY blobs and long REG_MULTI_SZ lists above 16 KB
 *    are real (driver and CBS data), and the conversion is the layout
 *    Windows itself writes (yarp's BigDataHive: 16345 and 81725 bytes).
 *    Hives of version 1.3 keep single cells, as Windows does there.
 *
 * 2. Names outside ASCII.  libhivex hashes a new key's name over its
 *    UTF-8 bytes and sorts by ASCII-folded bytes; Windows finds subkeys
 *    by the hash of the upper-cased UTF-16 name (lh leaves) and by binary
 *    search in upper-cased UTF-16 order.  Each key created in the session
 *    is moved to its Windows position in its parent's list, and its hint
 *    or hash recomputed.  Entries Windows wrote keep their hints.
 *
 * 3. Times.  libhivex leaves key and base-block timestamps as they were;
 *    keys whose subkeys or values changed get the current time, as
 *    Windows gives them.
 *
 * The base block then gets both sequence numbers, the hive bins size and
 * the checksum.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry/internal.h"
#include "util/bytes.h"
#include "util/utf.h"

uint64_t reg_int_filetime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* 100 ns ticks since 1601-01-01. */
	return ((uint64_t)ts.tv_sec + 11644473600ull) * 10000000ull +
	       (uint64_t)ts.tv_nsec / 100;
}

static uint32_t align8(uint32_t v)
{
	return (v + 7) & ~7u;
}

/* ---- 1. Big values ---- */

struct big_list {
	uint32_t *vk;
	size_t n, cap;
	struct hive_image *im;
};

static int collect_big(void *ctx, uint32_t nk, uint32_t vk)
{
	(void)nk;
	struct big_list *bl = ctx;
	uint32_t size;
	const uint8_t *v = reg_int_himg_cell(bl->im, vk, &size);
	uint32_t dsize = get_le32(v + VK_DATA_SIZE);
	if (dsize & VK_SIZE_INLINE || dsize <= REGF_BIG_SEGMENT)
		return 0;
	uint32_t dcell;
	if (reg_int_himg_cell(bl->im, get_le32(v + VK_DATA), &dcell) == NULL ||
	    dcell < dsize)
		return 0; /* already a db record (the check verified it) */
	if (bl->n == bl->cap) {
		size_t nc = bl->cap ? bl->cap * 2 : 8;
		uint32_t *p = realloc(bl->vk, nc * sizeof(*p));
		if (p == NULL)
			return 1;
		bl->vk = p;
		bl->cap = nc;
	}
	bl->vk[bl->n++] = vk;
	return 0;
}

/* Writes a cell header of @size bytes at @p (negative: allocated). */
static void put_cell(uint8_t *p, uint32_t size, bool allocated)
{
	put_le32(p, allocated ? (uint32_t) - (int32_t)size : size);
}

/* Moves the data of value @vk into a new bin of big-data cells. */
static int convert_big(uint8_t **bufp, size_t *lenp, uint32_t *hbs, uint32_t vk,
		       struct reg_err *e)
{
	uint8_t *buf = *bufp;
	uint8_t *v = buf + REGF_BASE_SIZE + vk + 4;
	uint32_t dsize = get_le32(v + VK_DATA_SIZE);
	uint32_t doff = get_le32(v + VK_DATA);
	uint32_t nseg = (dsize + REGF_BIG_SEGMENT - 1) / REGF_BIG_SEGMENT;
	if (nseg > 0xffff)
		return reg_int_err_set(e, REG_ERR_TOO_BIG,
				       "value data of %u bytes needs more than "
				       "65535 big-data segments",
				       dsize);
	uint64_t need = REGF_HBIN_HDR;
	uint32_t left = dsize;
	for (uint32_t i = 0; i < nseg; i++) {
		uint32_t chunk =
			left < REGF_BIG_SEGMENT ? left : REGF_BIG_SEGMENT;
		need += align8(4 + chunk);
		left -= chunk;
	}
	uint32_t list_cell = align8(4 + 4 * nseg);
	uint32_t db_cell = align8(4 + 8);
	need += list_cell + db_cell;
	uint64_t bin_size = (need + REGF_HBIN_ALIGN - 1) / REGF_HBIN_ALIGN *
			    REGF_HBIN_ALIGN;
	uint64_t bin = *hbs;
	uint64_t end = REGF_BASE_SIZE + bin + bin_size;
	if (end > REG_MAX_HIVE_SIZE)
		return reg_int_err_set(e, REG_ERR_TOO_BIG, "hive too large");
	if (end > *lenp) {
		uint8_t *n = realloc(buf, (size_t)end);
		if (n == NULL)
			return reg_int_err_set(e, REG_ERR_NOMEM,
					       "out of memory");
		memset(n + *lenp, 0, (size_t)end - *lenp);
		buf = *bufp = n;
		*lenp = (size_t)end;
		v = buf + REGF_BASE_SIZE + vk + 4;
	}
	uint8_t *b = buf + REGF_BASE_SIZE + bin;
	memset(b, 0, (size_t)bin_size);
	memcpy(b + HB_SIGNATURE, "hbin", 4);
	put_le32(b + HB_OFFSET, (uint32_t)bin);
	put_le32(b + HB_SIZE, (uint32_t)bin_size);
	const uint8_t *src = buf + REGF_BASE_SIZE + doff + 4;
	uint32_t pos = REGF_HBIN_HDR;
	uint32_t list_pos = pos;
	uint32_t seg_start = pos + list_cell + db_cell;
	/* Segment list and db record first, then the segments. */
	put_cell(b + list_pos, list_cell, true);
	uint32_t db_pos = list_pos + list_cell;
	put_cell(b + db_pos, db_cell, true);
	memcpy(b + db_pos + 4 + DB_SIG, "db", 2);
	put_le16(b + db_pos + 4 + DB_NSEGMENTS, (uint16_t)nseg);
	put_le32(b + db_pos + 4 + DB_LIST, (uint32_t)bin + list_pos);
	pos = seg_start;
	left = dsize;
	for (uint32_t i = 0; i < nseg; i++) {
		uint32_t chunk =
			left < REGF_BIG_SEGMENT ? left : REGF_BIG_SEGMENT;
		uint32_t cs = align8(4 + chunk);
		put_cell(b + pos, cs, true);
		memcpy(b + pos + 4, src + (dsize - left), chunk);
		put_le32(b + list_pos + 4 + 4 * i, (uint32_t)bin + pos);
		pos += cs;
		left -= chunk;
	}
	if (pos < bin_size)
		put_cell(b + pos, (uint32_t)bin_size - pos, false);
	/* Switch the value over, then free its old cell. */
	put_le32(v + VK_DATA, (uint32_t)bin + db_pos);
	uint8_t *old = buf + REGF_BASE_SIZE + doff;
	put_le32(old, (uint32_t) - (int32_t)get_le32(old));
	*hbs = (uint32_t)(bin + bin_size);
	return 0;
}

static int fix_big_values(struct hive_image *im, uint8_t **bufp, size_t *lenp,
			  struct reg_err *e)
{
	if (im->minor < REGF_MINOR_BIG_DATA)
		return 0;
	struct big_list bl = { .im = im };
	struct reg_int_himg_visitor vis = { .value = collect_big, .ctx = &bl };
	int rc = reg_int_himg_check(im, &vis, NULL, e);
	if (rc) {
		free(bl.vk);
		return rc;
	}
	uint32_t hbs = im->hbins_size;
	for (size_t i = 0; i < bl.n && rc == 0; i++)
		rc = convert_big(bufp, lenp, &hbs, bl.vk[i], e);
	free(bl.vk);
	if (rc == 0 && bl.n > 0) {
		put_le32(*bufp + RB_HBINS_SIZE, hbs);
		im->buf = *bufp;
		im->len = *lenp;
		im->hbins_size = hbs;
		rc = reg_int_himg_map(im, e);
	}
	return rc;
}

/* ---- 2. Names: position and hint of created keys ---- */

struct list_entry {
	uint32_t nk;
	uint8_t hint[4];
	bool fresh; /* hint to recompute */
};

struct leaf {
	uint8_t *p; /* cell data */
	char sig;   /* 'i' (li), 'f' (lf), 'h' (lh) */
	uint16_t count;
};

static char *nk_name(struct hive_image *im, uint32_t nk)
{
	uint32_t size;
	const uint8_t *k = reg_int_himg_cell(im, nk, &size);
	if (k == NULL || size < NK_NAME)
		return NULL;
	uint16_t nlen = get_le16(k + NK_NAME_LEN);
	if ((uint32_t)NK_NAME + nlen > size)
		return NULL;
	return reg_int_himg_name_utf8(k + NK_NAME, nlen,
				      get_le16(k + NK_FLAGS) & NK_FLAG_COMP);
}

static void lf_hint(const char *name, uint8_t hint[4])
{
	/* "Fast leaf": the first 4 characters as extended ASCII, or a
	 * leading NUL if they are not all below U+0100. */
	memset(hint, 0, 4);
	const unsigned char *p = (const unsigned char *)name;
	size_t left = strlen(name);
	uint8_t tmp[4] = { 0 };
	for (int i = 0; i < 4 && left > 0; i++) {
		size_t n = hvo_int_utf8_valid_prefix(p, left);
		if (n == 0)
			return;
		uint32_t cp = hvo_int_utf8_decode(&p);
		left -= n;
		if (cp >= 0x100)
			return;
		tmp[i] = (uint8_t)cp;
	}
	memcpy(hint, tmp, 4);
}

static int fix_created(struct hive_image *im, uint32_t parent, uint32_t node)
{
	uint32_t size;
	uint8_t *pk = reg_int_himg_cell(im, parent, &size);
	if (pk == NULL || size < NK_NAME || memcmp(pk, "nk", 2) != 0)
		return 0;
	uint32_t nsub = get_le32(pk + NK_NSUBKEYS);
	if (nsub == 0)
		return 0;
	uint32_t loff = get_le32(pk + NK_SUBKEYS);
	uint32_t lsize;
	uint8_t *l = reg_int_himg_cell(im, loff, &lsize);
	if (l == NULL)
		return 0;
	/* The leaves, in order (the structural check validated them). */
	struct leaf leaves_one[1], *leaves = leaves_one;
	size_t nleaves = 1;
	if (memcmp(l, "ri", 2) == 0) {
		nleaves = get_le16(l + LIST_COUNT);
		leaves = calloc(nleaves ? nleaves : 1, sizeof(*leaves));
		if (leaves == NULL)
			return REG_ERR_NOMEM;
		for (size_t i = 0; i < nleaves; i++) {
			uint32_t s;
			leaves[i].p = reg_int_himg_cell(
				im, get_le32(l + LIST_ITEMS + 4 * i), &s);
		}
	} else {
		leaves[0].p = l;
	}
	size_t total = 0;
	for (size_t i = 0; i < nleaves; i++) {
		leaves[i].sig = (char)leaves[i].p[1];
		leaves[i].count = get_le16(leaves[i].p + LIST_COUNT);
		total += leaves[i].count;
	}
	struct list_entry *ents = calloc(total ? total : 1, sizeof(*ents));
	if (ents == NULL) {
		if (leaves != leaves_one)
			free(leaves);
		return REG_ERR_NOMEM;
	}
	size_t k = 0, at = (size_t)-1;
	for (size_t i = 0; i < nleaves; i++) {
		unsigned step = leaves[i].sig == 'i' ? 4 : 8;
		for (size_t j = 0; j < leaves[i].count; j++, k++) {
			const uint8_t *e = leaves[i].p + LIST_ITEMS + j * step;
			ents[k].nk = get_le32(e);
			if (step == 8)
				memcpy(ents[k].hint, e + 4, 4);
			if (ents[k].nk == node)
				at = k;
		}
	}
	int rc = 0;
	char *name = at != (size_t)-1 ? nk_name(im, node) : NULL;
	if (name != NULL) {
		/* Take the entry out and insert it before the first name
		 * that sorts after it in Windows' order. */
		struct list_entry moved = ents[at];
		moved.fresh = true;
		memmove(ents + at, ents + at + 1,
			(total - at - 1) * sizeof(*ents));
		size_t pos = total - 1;
		for (size_t i = 0; i < total - 1; i++) {
			char *other = nk_name(im, ents[i].nk);
			int c = other ? reg_int_name_cmp(other, name) : -1;
			free(other);
			if (c > 0) {
				pos = i;
				break;
			}
		}
		memmove(ents + pos + 1, ents + pos,
			(total - 1 - pos) * sizeof(*ents));
		ents[pos] = moved;
		/* Write the entries back, keeping every leaf's count. */
		k = 0;
		for (size_t i = 0; i < nleaves; i++) {
			unsigned step = leaves[i].sig == 'i' ? 4 : 8;
			for (size_t j = 0; j < leaves[i].count; j++, k++) {
				uint8_t *e =
					leaves[i].p + LIST_ITEMS + j * step;
				put_le32(e, ents[k].nk);
				if (step == 4)
					continue;
				if (ents[k].fresh && leaves[i].sig == 'h')
					put_le32(e + 4,
						 reg_int_name_hash(name));
				else if (ents[k].fresh)
					lf_hint(name, e + 4);
				else
					memcpy(e + 4, ents[k].hint, 4);
			}
		}
	}
	free(name);
	free(ents);
	if (leaves != leaves_one)
		free(leaves);
	return rc;
}

/* ---- Putting it together ---- */

int reg_int_fixup_image(struct reg_hive *h, uint8_t **bufp, size_t *lenp,
			uint32_t seq, struct reg_err *e)
{
	if (*lenp < REGF_BASE_SIZE)
		return reg_int_err_set(e, REG_ERR_CORRUPT,
				       "libhivex wrote %zu bytes", *lenp);
	struct regf_base b;
	reg_int_regf_base_decode(*bufp, &b);
	struct hive_image im = {
		.buf = *bufp,
		.len = *lenp,
		.hbins_size = b.hbins_size,
		.minor = b.minor,
		.root = b.root,
	};
	int rc = reg_int_himg_map(&im, e);
	if (rc)
		return rc;
	/* Hive node handles are file offsets; cells are relative to the
	 * hive bins. */
	for (size_t i = 0; i < h->ncreated && rc == 0; i++) {
		const struct created_key *c = &h->created[i];
		if (c->parent < REGF_BASE_SIZE || c->node < REGF_BASE_SIZE)
			continue;
		rc = fix_created(&im, (uint32_t)(c->parent - REGF_BASE_SIZE),
				 (uint32_t)(c->node - REGF_BASE_SIZE));
		if (rc == REG_ERR_NOMEM)
			rc = reg_int_err_set(e, rc, "out of memory");
	}
	if (rc == 0)
		rc = fix_big_values(&im, bufp, lenp, e);
	if (rc == 0) {
		uint64_t now = reg_int_filetime_now();
		for (size_t i = 0; i < h->ntouched; i++) {
			hive_node_h n = h->touched[i];
			if (n < REGF_BASE_SIZE)
				continue;
			uint32_t size;
			uint8_t *k = reg_int_himg_cell(
				&im, (uint32_t)(n - REGF_BASE_SIZE), &size);
			if (k != NULL && size >= NK_NAME &&
			    memcmp(k, "nk", 2) == 0)
				put_le64(k + NK_TIMESTAMP, now);
		}
		uint8_t *base = *bufp;
		put_le32(base + RB_SEQ1, seq);
		put_le32(base + RB_SEQ2, seq);
		put_le64(base + RB_TIMESTAMP, now);
		reg_int_regf_base_seal(base);
	}
	reg_int_himg_free(&im);
	return rc;
}

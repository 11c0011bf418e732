/*
 * compact.c - rewriting a hive without its free space.
 *
 * libhivex never reuses a freed cell: every edit of a key's values
 * allocates a new value list, new value records and new data at the end
 * of the hive, and the old ones stay behind as free cells.  Windows
 * reorganises a hive that has grown so ("Reorganization" in the regf
 * specification: the hive is rebuilt from its tree and written as a
 * whole); this file does the same for a hive image in memory, in one of
 * two ways (layout.c places the cells):
 *
 *   - compaction (reg compact, or a write-back that leaves much of the
 *     hive free): every cell reachable from the root (key nodes, subkey
 *     lists, value lists, values, data, big-data records and segments,
 *     security records and class names), in depth-first order, packed
 *     into new bins;
 *   - reuse (every other write-back): the cells of the hive as it was
 *     opened stay where they are, and the cells libhivex appended move
 *     into the free cells it left between them.
 *
 * Each cell keeps its allocated size, and every offset inside the copies
 * is mapped to the new place.  What nothing reaches is left behind (free).
 * The security records that are kept are linked in a ring in the order
 * they were first reached and get a reference count equal to the keys
 * that use them; volatile subkey lists (meaningless in a file) are
 * cleared.  The base block is copied with the new root and hive-bins size
 * and sealed (checksum).
 *
 * The caller checks the result like every write-back (commit.c): the new
 * image must open, check, and read back key for key and value for value
 * as the old one (both read through libhivex side by side, readback.c).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "registry/layout.h"
#include "util/bytes.h"

/* sk: security record (offsets in the cell data). */
#define SK_FLINK    4
#define SK_BLINK    8
#define SK_REFCOUNT 12

/* Bins of a compaction: four pages each (layout.c). */
#define COMPACT_BIN_SIZE (4 * REGF_HBIN_ALIGN)

struct compactor {
	struct hive_image *im;
	struct reg_err *e;
	struct cell *cells;
	size_t n, cap;
	uint8_t *seen; /* one bit per 8-byte unit of the old bins */
	/* Sorted by old offset, for the mapping. */
	struct cell **by_old;
};

static int add(struct compactor *c, uint32_t off, enum cell_kind kind,
	       uint32_t count, bool *added)
{
	if (added)
		*added = false;
	uint32_t size;
	if (reg_int_himg_cell(c->im, off, &size) == NULL)
		return reg_int_err_set(c->e, REG_ERR_CORRUPT,
				       "cell 0x%x is not allocated", off);
	uint32_t unit = off / REGF_CELL_ALIGN;
	if (c->seen[unit >> 3] >> (unit & 7) & 1)
		return 0;
	c->seen[unit >> 3] |= (uint8_t)(1u << (unit & 7));
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 4096;
		struct cell *p = realloc(c->cells, nc * sizeof(*p));
		if (p == NULL)
			return reg_int_err_set(c->e, REG_ERR_NOMEM,
					       "out of memory");
		c->cells = p;
		c->cap = nc;
	}
	c->cells[c->n++] = (struct cell){
		.old = off, .size = size + 4, .count = count, .kind = kind
	};
	if (added)
		*added = true;
	return 0;
}

static const uint8_t *cell_at(struct compactor *c, uint32_t off, uint32_t *size)
{
	return reg_int_himg_cell(c->im, off, size);
}

static int collect_value(struct compactor *c, uint32_t vk)
{
	int rc = add(c, vk, C_VK, 0, NULL);
	if (rc)
		return rc;
	uint32_t size;
	const uint8_t *v = cell_at(c, vk, &size);
	uint32_t dsize = get_le32(v + VK_DATA_SIZE);
	uint32_t doff = get_le32(v + VK_DATA);
	if (dsize & VK_SIZE_INLINE)
		return 0;
	uint32_t dcell;
	const uint8_t *d = cell_at(c, doff, &dcell);
	/* Empty data that still names a cell: libhivex reads a value whose
	 * size is 0 but not inline only when its data offset is an
	 * allocated cell, so that cell moves with the value. */
	if (dsize == 0)
		return d != NULL ? add(c, doff, C_RAW, 0, NULL) : 0;
	if (d == NULL)
		return reg_int_err_set(c->e, REG_ERR_CORRUPT,
				       "value 0x%x: data 0x%x not allocated",
				       vk, doff);
	/* The same test as the structural check (hiveimg.c). */
	bool big = c->im->minor >= REGF_MINOR_BIG_DATA &&
		   dsize > REGF_BIG_SEGMENT && dcell < dsize;
	if (!big)
		return add(c, doff, C_RAW, 0, NULL);
	uint16_t nseg = get_le16(d + DB_NSEGMENTS);
	rc = add(c, doff, C_DB, nseg, NULL);
	uint32_t loff = get_le32(d + DB_LIST);
	if (rc == 0)
		rc = add(c, loff, C_DBLIST, nseg, NULL);
	const uint8_t *l = cell_at(c, loff, &dcell);
	for (uint32_t i = 0; i < nseg && rc == 0; i++)
		rc = add(c, get_le32(l + 4 * i), C_RAW, 0, NULL);
	return rc;
}

static int collect_key(struct compactor *c, uint32_t nk, unsigned depth);

static int collect_leaf(struct compactor *c, uint32_t list, unsigned depth)
{
	uint32_t size;
	const uint8_t *p = cell_at(c, list, &size);
	uint16_t n = get_le16(p + LIST_COUNT);
	unsigned step = memcmp(p, "li", 2) == 0 ? 4 : 8;
	int rc = add(c, list, C_LEAF, n, NULL);
	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = collect_key(c, get_le32(p + LIST_ITEMS + i * step),
				 depth + 1);
	return rc;
}

static int collect_key(struct compactor *c, uint32_t nk, unsigned depth)
{
	if (depth > REG_MAX_DEPTH)
		return reg_int_err_set(c->e, REG_ERR_CORRUPT, "too deep");
	bool added;
	int rc = add(c, nk, C_NK, 0, &added);
	if (rc || !added)
		return rc;
	uint32_t size;
	const uint8_t *k = cell_at(c, nk, &size);
	uint32_t sk = get_le32(k + NK_SECURITY);
	rc = add(c, sk, C_SK, 0, NULL);
	if (rc)
		return rc;
	if (get_le16(k + NK_CLASS_LEN) > 0) {
		rc = add(c, get_le32(k + NK_CLASS), C_RAW, 0, NULL);
		if (rc)
			return rc;
	}
	uint32_t nvalues = get_le32(k + NK_NVALUES);
	if (nvalues > 0) {
		uint32_t loff = get_le32(k + NK_VALUES);
		rc = add(c, loff, C_VLIST, nvalues, NULL);
		const uint8_t *l = cell_at(c, loff, &size);
		for (uint32_t i = 0; i < nvalues && rc == 0; i++)
			rc = collect_value(c, get_le32(l + 4 * i));
		if (rc)
			return rc;
	}
	if (get_le32(k + NK_NSUBKEYS) == 0)
		return 0;
	uint32_t list = get_le32(k + NK_SUBKEYS);
	const uint8_t *p = cell_at(c, list, &size);
	if (memcmp(p, "ri", 2) != 0)
		return collect_leaf(c, list, depth);
	uint16_t n = get_le16(p + LIST_COUNT);
	rc = add(c, list, C_RI, n, NULL);
	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = collect_leaf(c, get_le32(p + LIST_ITEMS + 4 * i), depth);
	return rc;
}

static int cmp_old(const void *a, const void *b)
{
	const struct cell *x = *(struct cell *const *)a;
	const struct cell *y = *(struct cell *const *)b;
	return x->old < y->old ? -1 : x->old > y->old;
}

static struct cell *find(struct compactor *c, uint32_t old)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->by_old[mid]->old < old)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->by_old[lo]->old == old ? c->by_old[lo] : NULL;
}

/* The new offset of the cell the old offset at @p points to. */
static void remap(struct compactor *c, uint8_t *p)
{
	struct cell *t = find(c, get_le32(p));
	if (t != NULL)
		put_le32(p, t->new_off);
}

static void patch(struct compactor *c, struct cell *t, uint8_t *d,
		  struct cell *sk_prev, struct cell *sk_next)
{
	switch (t->kind) {
	case C_NK:
		remap(c, d + NK_PARENT);
		if (get_le32(d + NK_NSUBKEYS) > 0)
			remap(c, d + NK_SUBKEYS);
		else
			put_le32(d + NK_SUBKEYS, REGF_OFFSET_NONE);
		/* Volatile subkeys live in memory only. */
		put_le32(d + NK_NVSUBKEYS, 0);
		put_le32(d + NK_SUBKEYS + 4, REGF_OFFSET_NONE);
		if (get_le32(d + NK_NVALUES) > 0)
			remap(c, d + NK_VALUES);
		else
			put_le32(d + NK_VALUES, REGF_OFFSET_NONE);
		remap(c, d + NK_SECURITY);
		if (get_le16(d + NK_CLASS_LEN) > 0)
			remap(c, d + NK_CLASS);
		break;
	case C_SK:
		put_le32(d + SK_FLINK, sk_next->new_off);
		put_le32(d + SK_BLINK, sk_prev->new_off);
		put_le32(d + SK_REFCOUNT, t->refs);
		break;
	case C_VLIST:
	case C_RI:
	case C_DBLIST: {
		uint32_t base = t->kind == C_VLIST ? 0 : LIST_ITEMS;
		if (t->kind == C_DBLIST)
			base = 0;
		for (uint32_t i = 0; i < t->count; i++)
			remap(c, d + base + 4 * i);
		break;
	}
	case C_LEAF: {
		unsigned step = memcmp(d, "li", 2) == 0 ? 4 : 8;
		for (uint32_t i = 0; i < t->count; i++)
			remap(c, d + LIST_ITEMS + i * step);
		break;
	}
	case C_VK: {
		uint32_t dsize = get_le32(d + VK_DATA_SIZE);
		/* Also when empty: its data cell, if any, was kept. */
		if (!(dsize & VK_SIZE_INLINE))
			remap(c, d + VK_DATA);
		break;
	}
	case C_DB:
		remap(c, d + DB_LIST);
		break;
	case C_RAW:
		break;
	}
}

/* The largest bin boundary of the checked bins at @bins at or below
 * @keep. */
static uint32_t bin_boundary(const uint8_t *bins, uint32_t hbs, uint32_t keep)
{
	uint32_t pos = 0;
	while (pos < hbs) {
		uint32_t next = pos + get_le32(bins + pos + HB_SIZE);
		if (next > keep)
			break;
		pos = next;
	}
	return pos;
}

static int cmp_new(const void *a, const void *b)
{
	const struct cell *x = *(struct cell *const *)a;
	const struct cell *y = *(struct cell *const *)b;
	return x->new_off < y->new_off ? -1 : x->new_off > y->new_off;
}

/* Copies every cell to its new place and maps the offsets in it. */
static void copy_cells(struct compactor *c, uint8_t *bins)
{
	/* The security records kept, as a ring in the order reached. */
	size_t first_sk = c->n, prev_sk = c->n;
	for (size_t i = 0; i < c->n; i++) {
		if (c->cells[i].kind != C_SK)
			continue;
		if (first_sk == c->n)
			first_sk = i;
		c->cells[i].count = (uint32_t)prev_sk; /* index of previous */
		prev_sk = i;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct cell *t = &c->cells[i];
		uint32_t size;
		const uint8_t *src = cell_at(c, t->old, &size);
		uint8_t *dst = bins + t->new_off;
		put_le32(dst, (uint32_t) - (int32_t)t->size);
		memcpy(dst + 4, src, t->size - 4);
		struct cell *sk_prev = NULL, *sk_next = NULL;
		if (t->kind == C_SK) {
			sk_prev = &c->cells[t->count == c->n ? prev_sk
							     : t->count];
			/* The next one: the first later SK, else the first. */
			sk_next = &c->cells[first_sk];
			for (size_t j = i + 1; j < c->n; j++)
				if (c->cells[j].kind == C_SK) {
					sk_next = &c->cells[j];
					break;
				}
		}
		patch(c, t, dst + 4, sk_prev, sk_next);
	}
}

/* Writes the image of layout @L: the base block of @buf, the bins, every
 * cell at its new place (@order: the cells, sorted here by new offset). */
static uint8_t *write_image(struct compactor *c, const struct layout *L,
			    struct cell **order, const uint8_t *buf,
			    size_t *out_len_ret)
{
	size_t out_len = REGF_BASE_SIZE + (size_t)L->end;
	uint8_t *out = calloc(out_len, 1);
	if (out == NULL)
		return NULL;
	memcpy(out, buf, REGF_BASE_SIZE);
	uint8_t *bins = out + REGF_BASE_SIZE;
	qsort(order, c->n, sizeof(*order), cmp_new);
	reg_int_layout_write(L, order, c->n, bins, buf + REGF_BASE_SIZE);
	copy_cells(c, bins);
	struct cell *root = find(c, c->im->root);
	put_le32(out + RB_ROOT, root->new_off);
	put_le32(out + RB_HBINS_SIZE, L->end);
	reg_int_regf_base_seal(out);
	*out_len_ret = out_len;
	return out;
}

/*
 * The one rewrite of @buf that @ch asks for (NULL: reuse above @keep when
 * @keep > 0, else pack).  The image is mapped, checked and walked once;
 * with @ch both layouts are planned (offsets only) and only the chosen
 * one is written.
 */
static int relayout(const uint8_t *buf, size_t len, uint32_t keep,
		    struct reg_relayout_choice *ch, uint8_t **out_ret,
		    size_t *out_len_ret, struct reg_err *e)
{
	*out_ret = NULL;
	struct regf_base base;
	reg_int_regf_base_decode(buf, &base);
	struct hive_image im = {
		.buf = (uint8_t *)buf,
		.len = len,
		.hbins_size = base.hbins_size,
		.minor = base.minor,
		.root = base.root,
	};
	int rc = reg_int_himg_map(&im, e);
	if (rc == 0)
		rc = reg_int_himg_check(&im, NULL, NULL, e);
	if (rc) {
		reg_int_himg_free(&im);
		return rc;
	}
	struct compactor c = {
		.im = &im,
		.e = e,
		.seen = calloc((size_t)im.hbins_size / REGF_CELL_ALIGN / 8 + 1,
			       1),
	};
	struct layout L = { 0 }, P = { 0 };
	struct cell **order = NULL;
	uint32_t *reuse_off = NULL;
	if (c.seen == NULL) {
		rc = reg_int_err_set(e, REG_ERR_NOMEM, "out of memory");
		goto done;
	}
	rc = collect_key(&c, im.root, 0);
	if (rc)
		goto done;
	c.by_old = malloc((c.n ? c.n : 1) * sizeof(*c.by_old));
	order = malloc((c.n ? c.n : 1) * sizeof(*order));
	if (c.by_old == NULL || order == NULL) {
		rc = reg_int_err_set(e, REG_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < c.n; i++)
		c.by_old[i] = order[i] = &c.cells[i];
	qsort(c.by_old, c.n, sizeof(*c.by_old), cmp_old);
	/* Reference counts of the security records kept. */
	for (size_t i = 0; i < c.n; i++) {
		if (c.cells[i].kind != C_NK)
			continue;
		uint32_t size;
		const uint8_t *k = cell_at(&c, c.cells[i].old, &size);
		struct cell *sk = find(&c, get_le32(k + NK_SECURITY));
		if (sk != NULL)
			sk->refs++;
	}
	const uint8_t *old_bins = buf + REGF_BASE_SIZE;
	keep = keep > 0 ? bin_boundary(old_bins, im.hbins_size, keep) : 0;
	struct layout *use = &P;
	if (ch == NULL) {
		int lr = keep > 0 ? reg_int_layout_reuse(&L, c.cells, c.n,
							 old_bins,
							 im.hbins_size, keep)
				  : reg_int_layout_pack(&P, order, c.n,
							COMPACT_BIN_SIZE);
		use = keep > 0 ? &L : &P;
		if (lr)
			goto too_big;
	} else {
		/* The candidates: the image as it is (@len), the reuse
		 * layout when asked for and no larger, the packed one. */
		size_t cur = len;
		bool reuse = false;
		if (keep > 0 && !ch->want_pack) {
			if (reg_int_layout_reuse(&L, c.cells, c.n, old_bins,
						 im.hbins_size, keep))
				goto too_big;
			size_t rlen = REGF_BASE_SIZE + (size_t)L.end;
			if (rlen <= len) {
				reuse = true;
				cur = rlen;
				reuse_off = malloc((c.n ? c.n : 1) *
						   sizeof(*reuse_off));
				if (reuse_off == NULL) {
					rc = reg_int_err_set(e, REG_ERR_NOMEM,
							     "out of memory");
					goto done;
				}
				for (size_t i = 0; i < c.n; i++)
					reuse_off[i] = c.cells[i].new_off;
			}
		}
		if (reg_int_layout_pack(&P, order, c.n, COMPACT_BIN_SIZE))
			goto too_big;
		size_t plen = REGF_BASE_SIZE + (size_t)P.end;
		/* Packed when asked and no larger, and whenever it is a page
		 * or more smaller (a hive Windows packed into 4 KiB bins has
		 * no free space for what an edit adds, but a bin header per
		 * page to spare). */
		ch->packed = plen + REGF_HBIN_ALIGN <= cur ||
			     (ch->want_pack && plen <= cur);
		if (!ch->packed && !reuse)
			goto done; /* the image as it is */
		if (!ch->packed) {
			for (size_t i = 0; i < c.n; i++)
				c.cells[i].new_off = reuse_off[i];
			use = &L;
		}
	}
	*out_ret = write_image(&c, use, order, buf, out_len_ret);
	if (*out_ret == NULL)
		rc = reg_int_err_set(e, REG_ERR_NOMEM, "out of memory");
	goto done;
too_big:
	rc = reg_int_err_set(e, REG_ERR_TOO_BIG,
			     "hive too big, or out of memory");
done:
	free(reuse_off);
	free(order);
	reg_int_layout_free(&L);
	reg_int_layout_free(&P);
	free(c.by_old);
	free(c.cells);
	free(c.seen);
	reg_int_himg_free(&im);
	return rc;
}

int reg_int_relayout_image(const uint8_t *buf, size_t len, uint32_t keep,
			   uint8_t **out_ret, size_t *out_len_ret,
			   struct reg_err *e)
{
	return relayout(buf, len, keep, NULL, out_ret, out_len_ret, e);
}

int reg_int_relayout_best(const uint8_t *buf, size_t len, uint32_t keep,
			  struct reg_relayout_choice *ch, uint8_t **out_ret,
			  size_t *out_len_ret, struct reg_err *e)
{
	ch->packed = false;
	return relayout(buf, len, keep, ch, out_ret, out_len_ret, e);
}

int reg_int_compact_image(const uint8_t *buf, size_t len, uint8_t **out_ret,
			  size_t *out_len_ret, struct reg_err *e)
{
	return reg_int_relayout_image(buf, len, 0, out_ret, out_len_ret, e);
}

/*
 * hiveimg.c - a hive image in memory: hive bins, cells, structural check.
 *
 * libhivex edits hives, but it trusts them: it casts structures onto the
 * file and checks at each use.  Before any hive reaches it (and before a
 * hive we wrote replaces the original), this file checks the whole
 * structure once, with one bounds-checked cell accessor (reg_int_himg_cell) for
 * every offset read from the file: the hive bins must tile the hive bins
 * data exactly, cells must tile every bin, and every record reachable
 * from the root must be an allocated cell of the right kind and size.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/bytes.h"
#include "util/utf.h"

static inline bool bit_get(const uint8_t *map, uint32_t i)
{
	return map[i >> 3] >> (i & 7) & 1;
}

static inline void bit_set(uint8_t *map, uint32_t i)
{
	map[i >> 3] |= (uint8_t)(1u << (i & 7));
}

int reg_int_himg_map(struct hive_image *im, struct reg_err *e)
{
	free(im->cellmap);
	im->cellmap = NULL;
	uint32_t hbs = im->hbins_size;
	if (hbs == 0 || hbs % REGF_HBIN_ALIGN != 0)
		return reg_int_err_set(
			e, REG_ERR_CORRUPT,
			"hive bins data size %u is not a positive "
			"multiple of 4096",
			hbs);
	if (!hvo_in_bounds(REGF_BASE_SIZE, hbs, im->len))
		return reg_int_err_set(
			e, REG_ERR_TRUNCATED,
			"truncated: the base block gives %u bytes of "
			"hive bins, but the file ends %zu bytes "
			"after the base block",
			hbs,
			im->len > REGF_BASE_SIZE ? im->len - REGF_BASE_SIZE
						 : (size_t)0);
	im->cellmap = calloc((size_t)hbs / REGF_CELL_ALIGN / 8 + 1, 1);
	if (im->cellmap == NULL)
		return reg_int_err_set(e, REG_ERR_NOMEM, "out of memory");
	const uint8_t *bins = im->buf + REGF_BASE_SIZE;
	uint32_t pos = 0;
	while (pos < hbs) {
		const uint8_t *b = bins + pos;
		if (!hvo_in_bounds(pos, REGF_HBIN_HDR, hbs) ||
		    memcmp(b + HB_SIGNATURE, "hbin", 4) != 0)
			return reg_int_err_set(e, REG_ERR_CORRUPT,
					       "hive bin at 0x%x: no 'hbin' "
					       "signature",
					       pos);
		uint32_t boff = get_le32(b + HB_OFFSET);
		uint32_t bsize = get_le32(b + HB_SIZE);
		if (boff != pos)
			return reg_int_err_set(
				e, REG_ERR_CORRUPT,
				"hive bin at 0x%x: says it is at "
				"0x%x",
				pos, boff);
		if (bsize < REGF_HBIN_ALIGN || bsize % REGF_HBIN_ALIGN != 0 ||
		    !hvo_in_bounds(pos, bsize, hbs))
			return reg_int_err_set(
				e, REG_ERR_CORRUPT,
				"hive bin at 0x%x: size 0x%x is "
				"invalid or runs past the hive bins "
				"(0x%x bytes)",
				pos, bsize, hbs);
		/* Cells tile the bin: sizes are multiples of 8, negative
		 * when allocated ("Cell"). */
		uint32_t c = pos + REGF_HBIN_HDR;
		uint32_t end = pos + bsize;
		while (c < end) {
			if (!hvo_in_bounds(c, 4, end))
				return reg_int_err_set(
					e, REG_ERR_CORRUPT,
					"cell at 0x%x: header runs "
					"past its bin",
					c);
			int32_t raw = (int32_t)get_le32(bins + c);
			int64_t sz = raw < 0 ? -(int64_t)raw : (int64_t)raw;
			if (sz < 8 || sz % REGF_CELL_ALIGN != 0 ||
			    (uint64_t)sz > end - c)
				return reg_int_err_set(
					e, REG_ERR_CORRUPT,
					"cell at 0x%x: invalid size "
					"%d in the bin at 0x%x",
					c, raw, pos);
			if (raw < 0)
				bit_set(im->cellmap, c / REGF_CELL_ALIGN);
			c += (uint32_t)sz;
		}
		pos = end;
	}
	return 0;
}

void reg_int_himg_free(struct hive_image *im)
{
	if (im == NULL)
		return;
	free(im->cellmap);
	im->cellmap = NULL;
}

uint8_t *reg_int_himg_cell(const struct hive_image *im, uint32_t off,
			   uint32_t *size_ret)
{
	if (off % REGF_CELL_ALIGN != 0 || off >= im->hbins_size ||
	    !bit_get(im->cellmap, off / REGF_CELL_ALIGN))
		return NULL;
	uint8_t *p = im->buf + REGF_BASE_SIZE + off;
	/* reg_int_himg_map() checked that the cell lies inside its bin. */
	*size_ret = (uint32_t)(-(int64_t)(int32_t)get_le32(p)) - 4;
	return p + 4;
}

char *reg_int_himg_name_utf8(const uint8_t *p, size_t len, bool latin1)
{
	if (!latin1) {
		char *s = NULL;
		if (hvo_int_utf16le_to_utf8(p, len, 0, &s, NULL) != 0)
			return NULL;
		return s;
	}
	char *s = malloc(len * 2 + 1);
	if (s == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++)
		o += hvo_int_utf8_encode(p[i], s + o);
	s[o] = '\0';
	return s;
}

/* ---- The structural walk ---- */

struct walk {
	struct hive_image *im;
	const struct reg_int_himg_visitor *vis;
	struct reg_int_himg_stats *stats;
	struct reg_err *e;
	uint8_t *visited; /* one bit per 8-byte unit: key node seen */
};

static const uint8_t *cell_of(struct walk *w, uint32_t off, uint32_t need,
			      const char *sig, const char *what, uint32_t from,
			      uint32_t *size_ret)
{
	uint32_t size;
	const uint8_t *p = reg_int_himg_cell(w->im, off, &size);
	if (p == NULL) {
		reg_int_err_set(w->e, REG_ERR_CORRUPT,
				"%s 0x%x (from 0x%x) is not an allocated cell",
				what, off, from);
		return NULL;
	}
	if (size < need) {
		reg_int_err_set(w->e, REG_ERR_CORRUPT,
				"%s 0x%x (from 0x%x): cell of %u bytes, "
				"needs %u",
				what, off, from, size, need);
		return NULL;
	}
	if (sig != NULL && memcmp(p, sig, 2) != 0) {
		reg_int_err_set(w->e, REG_ERR_CORRUPT,
				"%s 0x%x (from 0x%x): expected '%s', found "
				"0x%02x 0x%02x",
				what, off, from, sig, p[0], p[1]);
		return NULL;
	}
	if (size_ret)
		*size_ret = size;
	return p;
}

static int walk_value(struct walk *w, uint32_t nk, uint32_t vk)
{
	uint32_t size;
	const uint8_t *v = cell_of(w, vk, VK_NAME, "vk", "value", nk, &size);
	if (v == NULL)
		return REG_ERR_CORRUPT;
	uint16_t nlen = get_le16(v + VK_NAME_LEN);
	if ((uint32_t)VK_NAME + nlen > size)
		return reg_int_err_set(w->e, REG_ERR_CORRUPT,
				       "value 0x%x: name of %u bytes overruns "
				       "its cell",
				       vk, nlen);
	uint32_t dsize = get_le32(v + VK_DATA_SIZE);
	uint32_t doff = get_le32(v + VK_DATA);
	if (dsize & VK_SIZE_INLINE) {
		if ((dsize & ~VK_SIZE_INLINE) > 4)
			return reg_int_err_set(w->e, REG_ERR_CORRUPT,
					       "value 0x%x: %u bytes of inline "
					       "data (at most 4)",
					       vk, dsize & ~VK_SIZE_INLINE);
	} else if (dsize > 0) {
		uint32_t dcell;
		const uint8_t *d =
			cell_of(w, doff, 0, NULL, "value data", vk, &dcell);
		if (d == NULL)
			return REG_ERR_CORRUPT;
		bool big = w->im->minor >= REGF_MINOR_BIG_DATA &&
			   dsize > REGF_BIG_SEGMENT;
		if (big && dcell >= dsize) {
			/* One cell, as libhivex writes: readable, and
			 * converted to big data when we commit. */
			w->stats->single_cell_big++;
		} else if (big) {
			if (dcell < 8 || memcmp(d, "db", 2) != 0)
				return reg_int_err_set(
					w->e, REG_ERR_CORRUPT,
					"value 0x%x: %u bytes of "
					"data need a big-data "
					"record at 0x%x",
					vk, dsize, doff);
			uint16_t nseg = get_le16(d + DB_NSEGMENTS);
			uint32_t need = (dsize + REGF_BIG_SEGMENT - 1) /
					REGF_BIG_SEGMENT;
			if (nseg < need)
				return reg_int_err_set(
					w->e, REG_ERR_CORRUPT,
					"value 0x%x: big data of %u "
					"bytes in %u segments",
					vk, dsize, nseg);
			uint32_t loff = get_le32(d + DB_LIST);
			const uint8_t *l =
				cell_of(w, loff, (uint32_t)nseg * 4, NULL,
					"big-data segment list", doff, NULL);
			if (l == NULL)
				return REG_ERR_CORRUPT;
			uint32_t left = dsize;
			for (uint32_t i = 0; i < need; i++) {
				uint32_t chunk = left < REGF_BIG_SEGMENT
							 ? left
							 : REGF_BIG_SEGMENT;
				if (cell_of(w, get_le32(l + 4 * i), chunk, NULL,
					    "big-data segment", loff,
					    NULL) == NULL)
					return REG_ERR_CORRUPT;
				left -= chunk;
			}
		} else if (dcell < dsize) {
			return reg_int_err_set(
				w->e, REG_ERR_CORRUPT,
				"value 0x%x: %u bytes of data in a "
				"cell of %u",
				vk, dsize, dcell);
		}
	}
	w->stats->nvalues++;
	if (w->vis && w->vis->value && w->vis->value(w->vis->ctx, nk, vk))
		return reg_int_err_set(w->e, REG_ERR_CORRUPT,
				       "walk stopped at value 0x%x", vk);
	return 0;
}

static int walk_key(struct walk *w, uint32_t nk, uint32_t parent,
		    unsigned depth);

/* The subkeys of one leaf (li/lf/lh); *@seen counts them. */
static int walk_leaf(struct walk *w, uint32_t nk, uint32_t list,
		     const uint8_t *p, uint32_t size, unsigned depth,
		     uint64_t *seen)
{
	uint16_t n = get_le16(p + LIST_COUNT);
	unsigned step = memcmp(p, "li", 2) == 0 ? 4 : 8;
	if ((uint64_t)LIST_ITEMS + (uint64_t)n * step > size)
		return reg_int_err_set(
			w->e, REG_ERR_CORRUPT,
			"subkey list 0x%x: %u entries overrun its "
			"cell",
			list, n);
	for (uint32_t i = 0; i < n; i++) {
		int rc = walk_key(w, get_le32(p + LIST_ITEMS + i * step), nk,
				  depth + 1);
		if (rc)
			return rc;
	}
	*seen += n;
	return 0;
}

static bool is_leaf(const uint8_t *p)
{
	return memcmp(p, "li", 2) == 0 || memcmp(p, "lf", 2) == 0 ||
	       memcmp(p, "lh", 2) == 0;
}

static int walk_subkeys(struct walk *w, uint32_t nk, uint32_t list,
			uint32_t count, unsigned depth)
{
	uint32_t size;
	const uint8_t *p =
		cell_of(w, list, LIST_ITEMS, NULL, "subkey list", nk, &size);
	if (p == NULL)
		return REG_ERR_CORRUPT;
	uint64_t seen = 0;
	int rc;
	if (is_leaf(p)) {
		rc = walk_leaf(w, nk, list, p, size, depth, &seen);
	} else if (memcmp(p, "ri", 2) == 0) {
		/* An index root points to leaves, never to another root
		 * ("Index root", Notes 1-2). */
		uint16_t n = get_le16(p + LIST_COUNT);
		if ((uint64_t)LIST_ITEMS + (uint64_t)n * 4 > size)
			return reg_int_err_set(w->e, REG_ERR_CORRUPT,
					       "index root 0x%x: %u entries "
					       "overrun its cell",
					       list, n);
		rc = 0;
		for (uint32_t i = 0; i < n && rc == 0; i++) {
			uint32_t loff = get_le32(p + LIST_ITEMS + 4 * i);
			uint32_t lsize;
			const uint8_t *l = cell_of(w, loff, LIST_ITEMS, NULL,
						   "subkey leaf", list, &lsize);
			if (l == NULL)
				return REG_ERR_CORRUPT;
			if (!is_leaf(l))
				return reg_int_err_set(
					w->e, REG_ERR_CORRUPT,
					"index root 0x%x points to "
					"0x%x, which is not a leaf",
					list, loff);
			rc = walk_leaf(w, nk, loff, l, lsize, depth, &seen);
		}
	} else {
		return reg_int_err_set(w->e, REG_ERR_CORRUPT,
				       "key 0x%x: subkey list 0x%x has no "
				       "li/lf/lh/ri signature",
				       nk, list);
	}
	if (rc)
		return rc;
	if (seen != count)
		return reg_int_err_set(
			w->e, REG_ERR_CORRUPT,
			"key 0x%x: says %u subkeys, its list has "
			"%llu",
			nk, count, (unsigned long long)seen);
	return 0;
}

static int walk_key(struct walk *w, uint32_t nk, uint32_t parent,
		    unsigned depth)
{
	if (depth > REG_MAX_DEPTH)
		return reg_int_err_set(w->e, REG_ERR_CORRUPT,
				       "key 0x%x: nested deeper than %u levels",
				       nk, REG_MAX_DEPTH);
	uint32_t size;
	const uint8_t *k = cell_of(w, nk, NK_NAME, "nk", "key", parent, &size);
	if (k == NULL)
		return REG_ERR_CORRUPT;
	if (bit_get(w->visited, nk / REGF_CELL_ALIGN))
		return reg_int_err_set(
			w->e, REG_ERR_CORRUPT,
			"key 0x%x is reached twice (a cycle or a "
			"shared subkey)",
			nk);
	bit_set(w->visited, nk / REGF_CELL_ALIGN);
	uint16_t nlen = get_le16(k + NK_NAME_LEN);
	if ((uint32_t)NK_NAME + nlen > size)
		return reg_int_err_set(
			w->e, REG_ERR_CORRUPT,
			"key 0x%x: name of %u bytes overruns its "
			"cell",
			nk, nlen);
	if (depth > 0 && get_le32(k + NK_PARENT) != parent)
		return reg_int_err_set(
			w->e, REG_ERR_CORRUPT,
			"key 0x%x: parent field 0x%x, but it is a "
			"subkey of 0x%x",
			nk, get_le32(k + NK_PARENT), parent);
	if (cell_of(w, get_le32(k + NK_SECURITY), 20, "sk", "security record",
		    nk, NULL) == NULL)
		return REG_ERR_CORRUPT;
	uint16_t clen = get_le16(k + NK_CLASS_LEN);
	if (clen > 0 && cell_of(w, get_le32(k + NK_CLASS), clen, NULL,
				"class name", nk, NULL) == NULL)
		return REG_ERR_CORRUPT;
	w->stats->nkeys++;
	if (w->vis && w->vis->key && w->vis->key(w->vis->ctx, nk, depth))
		return reg_int_err_set(w->e, REG_ERR_CORRUPT,
				       "walk stopped at key 0x%x", nk);

	uint32_t nvalues = get_le32(k + NK_NVALUES);
	if (nvalues > 0) {
		uint32_t loff = get_le32(k + NK_VALUES);
		uint32_t lsize;
		if (cell_of(w, loff, 0, NULL, "value list", nk, &lsize) == NULL)
			return REG_ERR_CORRUPT;
		if ((uint64_t)nvalues * 4 > lsize)
			return reg_int_err_set(
				w->e, REG_ERR_CORRUPT,
				"key 0x%x: %u values overrun the "
				"value list 0x%x",
				nk, nvalues, loff);
		const uint8_t *l = reg_int_himg_cell(w->im, loff, &lsize);
		for (uint32_t i = 0; i < nvalues; i++) {
			int rc = walk_value(w, nk, get_le32(l + 4 * i));
			if (rc)
				return rc;
		}
	}
	uint32_t nsub = get_le32(k + NK_NSUBKEYS);
	if (nsub > 0)
		return walk_subkeys(w, nk, get_le32(k + NK_SUBKEYS), nsub,
				    depth);
	return 0;
}

int reg_int_himg_check(struct hive_image *im,
		       const struct reg_int_himg_visitor *vis,
		       struct reg_int_himg_stats *stats, struct reg_err *e)
{
	struct reg_int_himg_stats local = { 0 };
	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	struct walk w = {
		.im = im,
		.vis = vis,
		.stats = stats,
		.e = e,
		.visited = calloc(
			(size_t)im->hbins_size / REGF_CELL_ALIGN / 8 + 1, 1),
	};
	if (w.visited == NULL)
		return reg_int_err_set(e, REG_ERR_NOMEM, "out of memory");
	uint32_t size;
	const uint8_t *root = reg_int_himg_cell(im, im->root, &size);
	int rc;
	if (root == NULL || size < NK_NAME || memcmp(root, "nk", 2) != 0)
		rc = reg_int_err_set(e, REG_ERR_CORRUPT,
				     "root cell 0x%x is not a key node",
				     im->root);
	else
		rc = walk_key(&w, im->root, REGF_OFFSET_NONE, 0);
	free(w.visited);
	return rc;
}

uint64_t reg_int_himg_free_bytes(const struct hive_image *im)
{
	const uint8_t *bins = im->buf + REGF_BASE_SIZE;
	uint64_t free_bytes = 0;
	uint32_t pos = 0;
	/* reg_int_himg_map() validated the bins and their cells. */
	while (pos < im->hbins_size) {
		uint32_t bsize = get_le32(bins + pos + HB_SIZE);
		uint32_t c = pos + REGF_HBIN_HDR, end = pos + bsize;
		while (c < end) {
			int32_t raw = (int32_t)get_le32(bins + c);
			uint32_t sz = raw < 0 ? (uint32_t) - (int64_t)raw
					      : (uint32_t)raw;
			if (raw > 0)
				free_bytes += sz;
			c += sz;
		}
		pos = end;
	}
	return free_bytes;
}

/*
 * layout.c - placing the cells of a rewritten hive (layout.h).
 *
 * Two ways, both leaving every cell inside one hive bin, 8-byte aligned,
 * with its allocated size, and the rest of each bin one free cell per gap:
 *
 * Packed (reg compact, and a write-back that leaves the hive mostly free):
 * cells are taken in the order given (depth first from the root, so a key
 * is near its values) and each goes into the first bin opened so far
 * (among the last PACK_WINDOW) with room for it, else into a new bin.
 * Small cells (value lists, small data) fill what large ones leave, so
 * the bins end nearly full; the last bin is cut to the 4 KiB pages it
 * uses.  Bins are bin_size bytes (16 KiB for a compaction: one header per
 * four pages instead of one per page, as in the big-data bins Windows
 * writes; any multiple of 4 KiB is a valid bin, "Hive bin" note 1).
 *
 * Reused (every other write-back): libhivex keeps every cell of the hive
 * it opened where it was and appends what it allocates; this keeps the
 * cells below the old end in place and moves the appended ones, largest
 * first, into the smallest free gap between the kept cells that holds
 * them (the cells libhivex freed when it rewrote a key's values are the
 * right size for their replacements).  What does not fit is packed into
 * 4 KiB bins after the old end, so a write-back grows the hive by about
 * what it adds.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "registry/layout.h"
#include "util/bytes.h"
#include "util/grow.h"

/* Open bins first fit looks at (the older ones are nearly full). */
#define PACK_WINDOW 256

struct open_bin {
	uint32_t pos, end;
};

static int add_bin(struct layout *L, uint32_t size)
{
	if ((uint64_t)L->end + size > REG_MAX_HIVE_SIZE - REGF_BASE_SIZE)
		return -1;
	struct hbin_span *p =
		hvo_int_grow(L->bins, L->nbins, &L->cap, sizeof(*p), 256);
	if (p == NULL)
		return -1;
	L->bins = p;
	L->bins[L->nbins++] = (struct hbin_span){ L->end, size };
	L->end += size;
	return 0;
}

static uint32_t pages(uint64_t n)
{
	return (uint32_t)((n + REGF_HBIN_ALIGN - 1) / REGF_HBIN_ALIGN *
			  REGF_HBIN_ALIGN);
}

int reg_int_layout_pack(struct layout *L, struct cell **cells, size_t n,
			uint32_t bin_size)
{
	struct open_bin *ob = NULL;
	size_t nob = 0, cap = 0, lo = 0;
	size_t first_new = L->nbins;
	for (size_t i = 0; i < n; i++) {
		uint32_t sz = cells[i]->size;
		size_t j = nob > PACK_WINDOW && nob - PACK_WINDOW > lo
				   ? nob - PACK_WINDOW
				   : lo;
		while (j < nob && ob[j].end - ob[j].pos < sz)
			j++;
		if (j == nob) {
			uint32_t bs = pages((uint64_t)REGF_HBIN_HDR + sz);
			if (bs < bin_size)
				bs = bin_size;
			struct open_bin *p =
				hvo_int_grow(ob, nob, &cap, sizeof(*p), 256);
			if (p == NULL)
				goto fail;
			ob = p;
			uint32_t start = L->end;
			if (add_bin(L, bs))
				goto fail;
			ob[nob++] = (struct open_bin){ start + REGF_HBIN_HDR,
						       start + bs };
		}
		cells[i]->new_off = ob[j].pos;
		ob[j].pos += sz;
		while (lo < nob && ob[lo].end - ob[lo].pos < 16)
			lo++;
	}
	/* The last bin: only the pages it uses. */
	if (nob > 0 && L->nbins > first_new) {
		struct hbin_span *b = &L->bins[L->nbins - 1];
		uint32_t used = pages(ob[nob - 1].pos - b->start);
		L->end -= b->size - used;
		b->size = used;
	}
	free(ob);
	return 0;
fail:
	free(ob);
	return -1;
}

struct gap {
	uint32_t off, size;
};

static int cmp_old(const void *a, const void *b)
{
	const struct cell *x = *(struct cell *const *)a;
	const struct cell *y = *(struct cell *const *)b;
	return x->old < y->old ? -1 : x->old > y->old;
}

/* Largest first; the same size in tree order (old offset). */
static int cmp_size_desc(const void *a, const void *b)
{
	const struct cell *x = *(struct cell *const *)a;
	const struct cell *y = *(struct cell *const *)b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->old < y->old ? -1 : x->old > y->old;
}

static int cmp_gap(const void *a, const void *b)
{
	const struct gap *x = a, *y = b;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* The first gap of @g[lo..hi) with size >= @sz (hi if none). */
static size_t gap_search(const struct gap *g, size_t lo, size_t hi, uint32_t sz)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g[mid].size < sz)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The free gaps between the kept cells (@kept sorted by old offset) in
 * the bins of L, sorted by size. */
static struct gap *gaps_of(const struct layout *L, struct cell *const *kept,
			   size_t nkept, size_t *ngaps)
{
	size_t n = 0, cap = 1024;
	struct gap *g = malloc(cap * sizeof(*g));
	size_t k = 0;
	for (size_t b = 0; g != NULL && b < L->nbins; b++) {
		uint32_t cur = L->bins[b].start + REGF_HBIN_HDR;
		uint32_t end = L->bins[b].start + L->bins[b].size;
		for (;;) {
			uint32_t next = k < nkept && kept[k]->old < end
						? kept[k]->old
						: end;
			if (next > cur) {
				if (n == cap) {
					struct gap *p = realloc(
						g, 2 * cap * sizeof(*g));
					if (p == NULL) {
						free(g);
						return NULL;
					}
					g = p;
					cap *= 2;
				}
				g[n++] = (struct gap){ cur, next - cur };
			}
			if (next == end)
				break;
			cur = kept[k]->old + kept[k]->size;
			k++;
		}
	}
	if (g != NULL)
		qsort(g, n, sizeof(*g), cmp_gap);
	*ngaps = n;
	return g;
}

int reg_int_layout_reuse(struct layout *L, struct cell *cells, size_t n,
			 const uint8_t *bins, uint32_t hbs, uint32_t keep)
{
	for (uint32_t pos = 0; pos < keep && pos < hbs;) {
		uint32_t size = get_le32(bins + pos + HB_SIZE);
		if (add_bin(L, size))
			return -1;
		pos += size;
	}
	struct cell **kept = malloc((n ? n : 1) * sizeof(*kept));
	struct cell **move = malloc((n ? n : 1) * sizeof(*move));
	struct gap *g = NULL;
	int rc = -1;
	if (kept == NULL || move == NULL)
		goto done;
	size_t nkept = 0, nmove = 0;
	for (size_t i = 0; i < n; i++) {
		if (cells[i].old < L->end) {
			cells[i].new_off = cells[i].old;
			kept[nkept++] = &cells[i];
		} else {
			move[nmove++] = &cells[i];
		}
	}
	qsort(kept, nkept, sizeof(*kept), cmp_old);
	size_t ngaps;
	g = gaps_of(L, kept, nkept, &ngaps);
	if (g == NULL)
		goto done;
	qsort(move, nmove, sizeof(*move), cmp_size_desc);
	size_t ntail = 0;
	for (size_t i = 0; i < nmove; i++) {
		uint32_t sz = move[i]->size;
		size_t j = gap_search(g, 0, ngaps, sz);
		if (j == ngaps) {
			move[ntail++] = move[i];
			continue;
		}
		move[i]->new_off = g[j].off;
		struct gap rest = { g[j].off + sz, g[j].size - sz };
		/* The gap shrank: back to its place in size order. */
		memmove(g + j, g + j + 1, (ngaps - j - 1) * sizeof(*g));
		ngaps--;
		if (rest.size > 0) {
			size_t at = gap_search(g, 0, ngaps, rest.size);
			while (at < ngaps && g[at].size == rest.size &&
			       g[at].off < rest.off)
				at++;
			memmove(g + at + 1, g + at, (ngaps - at) * sizeof(*g));
			g[at] = rest;
			ngaps++;
		}
	}
	rc = reg_int_layout_pack(L, move, ntail, REGF_HBIN_ALIGN);
done:
	free(g);
	free(kept);
	free(move);
	return rc;
}

void reg_int_layout_write(const struct layout *L, struct cell *const *sorted,
			  size_t n, uint8_t *out, const uint8_t *first_bin_old)
{
	size_t i = 0;
	for (size_t b = 0; b < L->nbins; b++) {
		uint32_t start = L->bins[b].start,
			 end = start + L->bins[b].size;
		uint8_t *h = out + start;
		memcpy(h + HB_SIGNATURE, "hbin", 4);
		put_le32(h + HB_OFFSET, start);
		put_le32(h + HB_SIZE, end - start);
		if (start == 0)
			memcpy(h + HB_TIMESTAMP, first_bin_old + HB_TIMESTAMP,
			       8);
		uint32_t cur = start + REGF_HBIN_HDR;
		for (; i < n && sorted[i]->new_off < end; i++) {
			if (sorted[i]->new_off > cur)
				put_le32(out + cur, sorted[i]->new_off - cur);
			cur = sorted[i]->new_off + sorted[i]->size;
		}
		if (cur < end) /* the rest of the bin is one free cell */
			put_le32(out + cur, end - cur);
	}
}

void reg_int_layout_free(struct layout *L)
{
	free(L->bins);
	L->bins = NULL;
	L->nbins = L->cap = 0;
	L->end = 0;
}

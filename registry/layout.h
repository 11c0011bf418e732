/*
 * layout.h - where the cells of a rewritten hive go (internal to
 * registry/; used by compact.c, implemented in layout.c).
 *
 * A rewrite (compact.c) knows every cell reachable from the root and its
 * allocated size; layout.c gives each one its new offset and says which
 * hive bins the new image has:
 *
 *   - packed: every cell into fresh bins, first fit over the bins opened
 *     so far, so that the small cells fill what the large ones leave
 *     (a fresh regf, as Windows' reorganisation writes one);
 *   - reused: the cells below a boundary (the hive as it was opened) stay
 *     where they are, and those above it (what libhivex appended) go into
 *     the free space between them, best fit, and only what does not fit
 *     into new bins after the boundary (the free-cell-reusing allocator
 *     libhivex does not have).
 *
 * Sizes and offsets are those of the hive bins data (REGF_*, regf.h).
 */
#ifndef HVO_REGISTRY_LAYOUT_H
#define HVO_REGISTRY_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* What a copied cell is, which says where its offsets are. */
enum cell_kind {
	C_RAW,	 /* data, big-data segment, class name: no offsets */
	C_NK,	 /* key node */
	C_SK,	 /* security record */
	C_VLIST, /* value list: count offsets */
	C_VK,	 /* value */
	C_LEAF,	 /* li (4-byte entries), lf/lh (8-byte entries) */
	C_RI,	 /* index root: 4-byte entries */
	C_DB,	 /* big-data record */
	C_DBLIST /* big-data segment list: count offsets */
};

struct cell {
	uint32_t old, new_off;
	uint32_t size; /* allocated size, header included */
	uint32_t count;
	uint32_t refs; /* C_SK: keys using it */
	enum cell_kind kind;
};

struct hbin_span {
	uint32_t start, size;
};

/* The bins of a new image; end is its hive bins size. */
struct layout {
	struct hbin_span *bins;
	size_t nbins, cap;
	uint32_t end;
};

/* Fresh bins of at least @bin_size bytes (a multiple of 4096) for the
 * cells @cells[0..n-1], in that order of preference, after L->end.
 * 0, or -1 when out of memory or past the 2 GiB cap. */
int reg_int_layout_pack(struct layout *L, struct cell **cells, size_t n,
			uint32_t bin_size);

/* The bins of the image @bins (hive bins data, @hbs bytes, checked) up to
 * @keep (a bin boundary) become L's; every cell with old + size <= keep
 * stays; the others go into the free space between those, else into 4 KiB
 * bins after @keep.  0, or -1 when out of memory or too big. */
int reg_int_layout_reuse(struct layout *L, struct cell *cells, size_t n,
			 const uint8_t *bins, uint32_t hbs, uint32_t keep);

/* Writes the bin headers of L into @out (L->end bytes, zeroed) and a free
 * cell over every part of a bin no cell of @sorted (by new_off) covers;
 * the first bin keeps the timestamp at @first_bin_old. */
void reg_int_layout_write(const struct layout *L, struct cell *const *sorted,
			  size_t n, uint8_t *out, const uint8_t *first_bin_old);

void reg_int_layout_free(struct layout *L);

#endif /* HVO_REGISTRY_LAYOUT_H */

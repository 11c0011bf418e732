/*
 * bat.c - the block allocation table (MS-VHDX 2.5) and the cache of 4 KiB
 * metadata pages (BAT pages and sector-bitmap pages).
 *
 * The BAT is never read into memory as a whole: a 64 TiB image with 1 MiB
 * blocks has a 513 MiB BAT, which is what makes `qemu-img info` need
 * ~530 MB there.  Pages are loaded on demand into a bounded cache (clock
 * eviction; pages changed by a write stay until the log commit), and each
 * BAT page is validated the first time it is loaded:
 *
 *   - state: a defined payload or sector-bitmap state for this image type;
 *     reserved bits zero;
 *   - bounds: an allocated block lies after the header section and inside
 *     the file (otherwise the file was truncated);
 *   - overlap: an allocated block overlaps no other block or structure.
 *     Overlap is tracked in a bitmap of 1 MiB units of the *file* (every
 *     object is 1 MiB-aligned, 2.1), which is small because it is bounded
 *     by the file's size, not the virtual disk's: a block is claimed when
 *     its page is validated, and a page is validated only once (a bitmap of
 *     validated pages), so evicting and reloading it never claims twice.
 *
 * A BAT of at most VHDX_INT_OPEN_FULL_BAT_MAX is validated whole at open;
 * vhdx_check() validates every page of any BAT.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "vhdx/internal.h"

#define CACHE_BUCKETS 2048u

uint64_t vhdx_int_bat_payload_index(const struct vhdx_image *img, uint64_t b)
{
	return b + b / img->chunk_ratio;
}

uint64_t vhdx_int_bat_sb_index(const struct vhdx_image *img, uint64_t c)
{
	return c * ((uint64_t)img->chunk_ratio + 1) + img->chunk_ratio;
}

static bool bit_get(const uint8_t *bits, uint64_t i)
{
	return bits[i / 8] >> (i % 8) & 1;
}

static void bit_set(uint8_t *bits, uint64_t i)
{
	bits[i / 8] = (uint8_t)(bits[i / 8] | 1u << (i % 8));
}

bool vhdx_int_claimed(const struct vhdx_image *img, uint64_t offset)
{
	uint64_t u = offset / VHDX_MiB;
	return u < img->used_mb_bits && bit_get(img->used_mb, u);
}

enum vhdx_err vhdx_int_claim(struct vhdx_image *img, uint64_t offset,
			     uint64_t length, const char *what)
{
	uint64_t first = offset / VHDX_MiB;
	uint64_t end = (offset + length + VHDX_MiB - 1) / VHDX_MiB;
	if (end > img->used_mb_bits) {
		/* The file grew (allocation) past the bitmap: extend it. */
		uint64_t nbits = end + 1024;
		size_t oldb = (size_t)((img->used_mb_bits + 7) / 8);
		size_t newb = (size_t)((nbits + 7) / 8);
		uint8_t *n = realloc(img->used_mb, newb);
		if (n == NULL)
			return vhdx_int_fail(img, VHDX_ERR_NOMEM,
					     "out of memory");
		memset(n + oldb, 0, newb - oldb);
		img->used_mb = n;
		img->used_mb_bits = nbits;
	}
	for (uint64_t u = first; u < end; u++)
		if (bit_get(img->used_mb, u))
			return vhdx_int_fail(
				img, VHDX_ERR_CORRUPT,
				"%s at file offset %#llx overlaps another "
				"block or structure",
				what, (unsigned long long)offset);
	for (uint64_t u = first; u < end; u++)
		bit_set(img->used_mb, u);
	return VHDX_OK;
}

/*
 * Classifies BAT entry @index: returns 'p' (payload block *@n), 's'
 * (sector bitmap of chunk *@n) or 0 (an entry past the disk's last block
 * in a partial chunk, which nothing reads).
 */
static int classify(const struct vhdx_image *img, uint64_t index, uint64_t *n)
{
	uint64_t per = (uint64_t)img->chunk_ratio + 1;
	uint64_t chunk = index / per, pos = index % per;
	if (pos == img->chunk_ratio) {
		*n = chunk;
		return chunk < img->nchunks ? 's' : 0;
	}
	*n = chunk * img->chunk_ratio + pos;
	return *n < img->nblocks ? 'p' : 0;
}

const char *vhdx_int_bat_entry_problem(const struct vhdx_image *img,
				       uint64_t index, uint64_t entry,
				       enum vhdx_err *code, char *buf,
				       size_t buflen)
{
	uint64_t n;
	int kind = classify(img, index, &n);
	unsigned state = (unsigned)(entry & BAT_STATE_MASK);
	uint64_t off = entry & BAT_OFFSET_MASK;
	*code = VHDX_ERR_CORRUPT;
	if (kind == 0)
		return NULL;
	if (kind == 's' && !img->has_parent)
		/* Fixed and dynamic images never use sector bitmaps (2.5);
		 * their entries are not interpreted (qemu ignores them too). */
		return NULL;
	if (entry & BAT_RESERVED_MASK) {
		snprintf(buf, buflen,
			 "BAT entry %" PRIu64 ": reserved bits set (%#" PRIx64
			 ")",
			 index, entry);
		return buf;
	}
	bool present;
	uint64_t len;
	if (kind == 'p') {
		switch (state) {
		case PAYLOAD_BLOCK_NOT_PRESENT:
		case PAYLOAD_BLOCK_UNDEFINED:
		case PAYLOAD_BLOCK_ZERO:
		case PAYLOAD_BLOCK_UNMAPPED:
		case PAYLOAD_BLOCK_UNMAPPED_V095:
			/* FileOffsetMB is reserved in these states; early
			 * qemu left offsets here (fixed in 2015), so it is
			 * ignored rather than checked. */
			return NULL;
		case PAYLOAD_BLOCK_FULLY_PRESENT:
			break;
		case PAYLOAD_BLOCK_PARTIALLY_PRESENT:
			if (!img->has_parent) {
				snprintf(buf, buflen,
					 "BAT entry %" PRIu64 " (block %" PRIu64
					 "): partially present in an image "
					 "without a parent",
					 index, n);
				return buf;
			}
			break;
		default:
			snprintf(buf, buflen,
				 "BAT entry %" PRIu64 " (block %" PRIu64
				 "): invalid state %u",
				 index, n, state);
			return buf;
		}
		present = true;
		len = img->block_size;
	} else {
		if (state == SB_BLOCK_NOT_PRESENT)
			return NULL;
		if (state != SB_BLOCK_PRESENT) {
			snprintf(buf, buflen,
				 "BAT entry %" PRIu64 " (sector bitmap %" PRIu64
				 "): invalid state %u",
				 index, n, state);
			return buf;
		}
		present = true;
		len = VHDX_SB_BLOCK_SIZE;
	}
	if (present && off < VHDX_HEADER_SECTION_SIZE) {
		snprintf(buf, buflen,
			 "BAT entry %" PRIu64 ": %s %" PRIu64
			 " at file offset %#" PRIx64 " (inside the header "
			 "section)",
			 index, kind == 'p' ? "block" : "sector bitmap", n,
			 off);
		return buf;
	}
	if (present && !hvo_in_bounds(off, len, img->eff_size)) {
		*code = VHDX_ERR_TRUNCATED;
		snprintf(buf, buflen,
			 "BAT entry %" PRIu64 ": %s %" PRIu64 " at [%#" PRIx64
			 ", +%#" PRIx64
			 ") is past the end of the file (%#" PRIx64 " bytes)",
			 index, kind == 'p' ? "block" : "sector bitmap", n, off,
			 len, img->eff_size);
		return buf;
	}
	return NULL;
}

/* Validates the entries of BAT page @p (loaded at @data) and claims the
 * file space of its allocated blocks. */
static enum vhdx_err validate_page(struct vhdx_image *img, uint64_t p,
				   const uint8_t *data)
{
	uint64_t first = p * (VHDX_SECTOR / BAT_ENTRY_SIZE);
	char msg[256];
	for (uint64_t k = 0; k < VHDX_SECTOR / BAT_ENTRY_SIZE; k++) {
		uint64_t index = first + k;
		if (index >= img->bat_entries)
			break;
		uint64_t e = get_le64(data + k * BAT_ENTRY_SIZE);
		enum vhdx_err code;
		const char *why = vhdx_int_bat_entry_problem(
			img, index, e, &code, msg, sizeof(msg));
		if (why)
			return vhdx_int_fail(img, code, "%s", why);
		uint64_t n;
		int kind = classify(img, index, &n);
		unsigned st = (unsigned)(e & BAT_STATE_MASK);
		bool claim = (kind == 'p' &&
			      (st == PAYLOAD_BLOCK_FULLY_PRESENT ||
			       st == PAYLOAD_BLOCK_PARTIALLY_PRESENT)) ||
			     (kind == 's' && img->has_parent &&
			      st == SB_BLOCK_PRESENT);
		if (claim) {
			char what[96];
			snprintf(what, sizeof(what),
				 "BAT entry %" PRIu64 " (%s %" PRIu64 ")",
				 index, kind == 'p' ? "block" : "sector bitmap",
				 n);
			enum vhdx_err r =
				vhdx_int_claim(img, e & BAT_OFFSET_MASK,
					       kind == 'p' ? img->block_size
							   : VHDX_SB_BLOCK_SIZE,
					       what);
			if (r != VHDX_OK)
				return r;
		}
	}
	bit_set(img->page_validated, p);
	return VHDX_OK;
}

static uint32_t bucket_of(uint64_t key)
{
	return (uint32_t)(((key >> 12) * 0x9E3779B97F4A7C15ULL) >> 40) %
	       CACHE_BUCKETS;
}

static void unlink_page(struct vhdx_int_cache *c, uint32_t slot)
{
	uint32_t *pp = &c->buckets[bucket_of(c->pages[slot].key)];
	while (*pp != VHDX_INT_NONE) {
		if (*pp == slot) {
			*pp = c->pages[slot].hnext;
			break;
		}
		pp = &c->pages[*pp].hnext;
	}
	c->pages[slot].used = false;
}

static enum vhdx_err free_slot(struct vhdx_image *img, uint32_t *slot_ret)
{
	struct vhdx_int_cache *c = &img->cache;
	if (c->npages < VHDX_INT_CACHE_PAGES) {
		struct vhdx_int_page *pg = &c->pages[c->npages];
		pg->data = malloc(VHDX_SECTOR);
		if (pg->data == NULL)
			return vhdx_int_fail(img, VHDX_ERR_NOMEM,
					     "out of memory");
		*slot_ret = c->npages++;
		return VHDX_OK;
	}
	/* Clock: at most two sweeps (the first clears reference bits). */
	for (uint32_t n = 0; n < 2 * c->npages; n++) {
		uint32_t s = c->hand;
		c->hand = (c->hand + 1) % c->npages;
		struct vhdx_int_page *pg = &c->pages[s];
		if (!pg->used) {
			*slot_ret = s;
			return VHDX_OK;
		}
		if (pg->dirty)
			continue;
		if (pg->ref) {
			pg->ref = false;
			continue;
		}
		unlink_page(c, s);
		*slot_ret = s;
		return VHDX_OK;
	}
	return vhdx_int_fail(
		img, VHDX_ERR_STATE,
		"internal error: every cached page is awaiting commit");
}

enum vhdx_err vhdx_int_page(struct vhdx_image *img, uint64_t key, bool dirty,
			    uint8_t **data_ret)
{
	struct vhdx_int_cache *c = &img->cache;
	uint32_t b = bucket_of(key);
	for (uint32_t s = c->buckets[b]; s != VHDX_INT_NONE;
	     s = c->pages[s].hnext) {
		struct vhdx_int_page *pg = &c->pages[s];
		if (pg->key == key) {
			pg->ref = true;
			if (dirty && !pg->dirty) {
				pg->dirty = true;
				c->ndirty++;
			}
			*data_ret = pg->data;
			return VHDX_OK;
		}
	}
	uint32_t s = 0;
	enum vhdx_err r = free_slot(img, &s);
	if (r != VHDX_OK)
		return r;
	struct vhdx_int_page *pg = &c->pages[s];
	bool is_bat = key >= img->bat_offset &&
		      key < img->bat_offset + img->bat_length;
	r = vhdx_int_read(img, pg->data, VHDX_SECTOR, key,
			  is_bat ? "BAT" : "sector bitmap");
	if (r == VHDX_OK && is_bat) {
		uint64_t p = (key - img->bat_offset) / VHDX_SECTOR;
		if (p < img->npages_bat && !bit_get(img->page_validated, p))
			r = validate_page(img, p, pg->data);
	}
	if (r != VHDX_OK)
		return r;
	pg->key = key;
	pg->used = true;
	pg->ref = true;
	pg->dirty = dirty;
	if (dirty)
		c->ndirty++;
	pg->hnext = c->buckets[b];
	c->buckets[b] = s;
	*data_ret = pg->data;
	return VHDX_OK;
}

/* The cached page of BAT entry @index, and the entry's place in it. */
static enum vhdx_err entry_slot(struct vhdx_image *img, uint64_t index,
				bool dirty, uint8_t **p)
{
	if (index >= img->bat_entries)
		return vhdx_int_fail(img, VHDX_ERR_CORRUPT,
				     "BAT: entry %llu is past the BAT region",
				     (unsigned long long)index);
	uint64_t byte = index * BAT_ENTRY_SIZE;
	uint8_t *page = NULL;
	enum vhdx_err r = vhdx_int_page(
		img, img->bat_offset + byte / VHDX_SECTOR * VHDX_SECTOR, dirty,
		&page);
	if (r == VHDX_OK)
		*p = page + byte % VHDX_SECTOR;
	return r;
}

enum vhdx_err vhdx_int_bat_get(struct vhdx_image *img, uint64_t index,
			       uint64_t *entry_ret)
{
	uint8_t *p = NULL;
	enum vhdx_err r = entry_slot(img, index, false, &p);
	if (r == VHDX_OK)
		*entry_ret = get_le64(p);
	return r;
}

enum vhdx_err vhdx_int_bat_set(struct vhdx_image *img, uint64_t index,
			       uint64_t entry)
{
	uint8_t *p = NULL;
	enum vhdx_err r = entry_slot(img, index, true, &p);
	if (r == VHDX_OK)
		put_le64(p, entry);
	return r;
}

enum vhdx_err vhdx_int_bat_validate_all(struct vhdx_image *img)
{
	for (uint64_t p = 0; p < img->npages_bat; p++) {
		if (bit_get(img->page_validated, p))
			continue;
		uint8_t *d;
		enum vhdx_err r = vhdx_int_page(
			img, img->bat_offset + p * VHDX_SECTOR, false, &d);
		if (r != VHDX_OK)
			return r;
	}
	return VHDX_OK;
}

enum vhdx_err vhdx_int_bat_init(struct vhdx_image *img)
{
	struct vhdx_int_cache *c = &img->cache;
	c->pages = calloc(VHDX_INT_CACHE_PAGES, sizeof(*c->pages));
	c->buckets = malloc(CACHE_BUCKETS * sizeof(*c->buckets));
	img->npages_bat =
		(img->bat_entries * BAT_ENTRY_SIZE + VHDX_SECTOR - 1) /
		VHDX_SECTOR;
	img->page_validated = calloc((size_t)(img->npages_bat + 7) / 8 + 1, 1);
	img->used_mb_bits = (img->eff_size + VHDX_MiB - 1) / VHDX_MiB;
	img->used_mb = calloc((size_t)(img->used_mb_bits + 7) / 8 + 1, 1);
	if (!c->pages || !c->buckets || !img->page_validated || !img->used_mb)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < CACHE_BUCKETS; i++)
		c->buckets[i] = VHDX_INT_NONE;
	c->nbuckets = CACHE_BUCKETS;

	enum vhdx_err r = vhdx_int_claim(img, 0, VHDX_HEADER_SECTION_SIZE,
					 "header section");
	if (r == VHDX_OK && img->log_length)
		r = vhdx_int_claim(img, img->log_offset, img->log_length,
				   "log");
	if (r == VHDX_OK)
		r = vhdx_int_claim(img, img->bat_offset, img->bat_length,
				   "BAT region");
	if (r == VHDX_OK)
		r = vhdx_int_claim(img, img->meta_offset, img->meta_length,
				   "metadata region");
	if (r == VHDX_OK &&
	    img->bat_entries * BAT_ENTRY_SIZE <= VHDX_INT_OPEN_FULL_BAT_MAX)
		r = vhdx_int_bat_validate_all(img);
	return r;
}

void vhdx_int_bat_free(struct vhdx_image *img)
{
	struct vhdx_int_cache *c = &img->cache;
	for (uint32_t i = 0; i < c->npages; i++)
		free(c->pages[i].data);
	free(c->pages);
	free(c->buckets);
	memset(c, 0, sizeof(*c));
	free(img->page_validated);
	img->page_validated = NULL;
	free(img->used_mb);
	img->used_mb = NULL;
}

/*
 * io.c - reading the virtual disk, and the allocation map.
 *
 * Address translation (2.4, 2.5): virtual offset V is in payload block
 * b = V / BlockSize, whose BAT entry is b + b / ChunkRatio; the sector
 * bitmap of chunk c = b / ChunkRatio is entry c * (ChunkRatio + 1) +
 * ChunkRatio (qemu and libvhdi index it the same way).  What a block's
 * state means for a read (2.5.1.1):
 *
 *   FULLY_PRESENT      the block in this file;
 *   PARTIALLY_PRESENT  per sector: this file if its bitmap bit is 1, else
 *                      the parent;
 *   NOT_PRESENT        the parent of a differencing image, else zeros;
 *   ZERO               zeros;
 *   UNDEFINED, UNMAPPED and the v0.95 value 5
 *                      zeros (one of the behaviours the specification
 *                      allows, and what qemu returns).
 */
#include <config.h>

#include <string.h>

#include "util/bytes.h"
#include "vhdx/internal.h"

static enum vhdx_err io_allowed(struct vhdx_image *img)
{
	if (img->state == VHDX_INT_STATE_HANDED_OVER)
		return vhdx_int_fail(
			img, VHDX_ERR_STATE,
			"the image was handed over to another program");
	if (img->state == VHDX_INT_STATE_FAILED)
		return vhdx_int_fail(
			img, VHDX_ERR_STATE,
			"an earlier write failed; close and reopen the "
			"image (the log makes it consistent)");
	return VHDX_OK;
}

enum vhdx_err vhdx_int_io_check(struct vhdx_image *img, uint64_t len,
				uint64_t offset)
{
	enum vhdx_err r = io_allowed(img);
	if (r != VHDX_OK)
		return r;
	if (offset > img->virtual_size || len > img->virtual_size - offset)
		return vhdx_int_fail(
			img, VHDX_ERR_RANGE,
			"[%llu, +%llu) is outside the %llu-byte virtual "
			"disk",
			(unsigned long long)offset, (unsigned long long)len,
			(unsigned long long)img->virtual_size);
	return VHDX_OK;
}

enum vhdx_err vhdx_int_block_entry(struct vhdx_image *img, uint64_t b,
				   unsigned *state, uint64_t *file_off)
{
	uint64_t e;
	enum vhdx_err r =
		vhdx_int_bat_get(img, vhdx_int_bat_payload_index(img, b), &e);
	if (r != VHDX_OK)
		return r;
	*state = (unsigned)(e & BAT_STATE_MASK);
	*file_off = e & BAT_OFFSET_MASK;
	return VHDX_OK;
}

enum vhdx_err vhdx_int_piece(struct vhdx_image *img, uint64_t off, uint64_t len,
			     struct vhdx_int_piece *p)
{
	p->block = off / img->block_size;
	p->in = off % img->block_size;
	p->len = img->block_size - p->in;
	if (p->len > len)
		p->len = len;
	return vhdx_int_block_entry(img, p->block, &p->state, &p->file_off);
}

/* File offset of the sector bitmap of block @b (which is partially
 * present), i.e. of the bits of its first sector. */
enum vhdx_err vhdx_int_bitmap_offset(struct vhdx_image *img, uint64_t b,
				     uint64_t *off_ret)
{
	uint64_t c = b / img->chunk_ratio, e;
	enum vhdx_err r =
		vhdx_int_bat_get(img, vhdx_int_bat_sb_index(img, c), &e);
	if (r != VHDX_OK)
		return r;
	if ((e & BAT_STATE_MASK) != SB_BLOCK_PRESENT)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"block %llu is partially present but the sector "
			"bitmap of chunk %llu is not allocated",
			(unsigned long long)b, (unsigned long long)c);
	*off_ret = (e & BAT_OFFSET_MASK) +
		   (b % img->chunk_ratio) * img->bitmap_bytes_per_block;
	return VHDX_OK;
}

/* Bit @s (sector within the block) of the bitmap at @bm. */
static enum vhdx_err bitmap_bit(struct vhdx_image *img, uint64_t bm, uint64_t s,
				bool *bit)
{
	uint64_t byte = bm + s / 8;
	uint8_t *page;
	enum vhdx_err r = vhdx_int_page(img, byte / VHDX_SECTOR * VHDX_SECTOR,
					false, &page);
	if (r != VHDX_OK)
		return r;
	*bit = page[byte % VHDX_SECTOR] >> (s % 8) & 1;
	return VHDX_OK;
}

/* Length of the run of sectors from @s0 (< @s_end) whose bits equal the
 * first one; the bit goes to *@bit. */
static enum vhdx_err bitmap_run(struct vhdx_image *img, uint64_t bm,
				uint64_t s0, uint64_t s_end, bool *bit,
				uint64_t *run)
{
	enum vhdx_err r = bitmap_bit(img, bm, s0, bit);
	if (r != VHDX_OK)
		return r;
	uint64_t s = s0 + 1;
	while (s < s_end) {
		/* Whole bytes at once where possible. */
		if (s % 8 == 0 && s + 8 <= s_end) {
			uint64_t byte = bm + s / 8;
			uint8_t *page;
			r = vhdx_int_page(img, byte / VHDX_SECTOR * VHDX_SECTOR,
					  false, &page);
			if (r != VHDX_OK)
				return r;
			uint8_t v = page[byte % VHDX_SECTOR];
			if (v == (*bit ? 0xff : 0x00)) {
				s += 8;
				continue;
			}
		}
		bool b;
		r = bitmap_bit(img, bm, s, &b);
		if (r != VHDX_OK)
			return r;
		if (b != *bit)
			break;
		s++;
	}
	*run = s - s0;
	return VHDX_OK;
}

static enum vhdx_err read_range(struct vhdx_image *img, uint8_t *buf,
				uint64_t len, uint64_t off);

/* Reads [off, off + len) from the parent; past the parent's end, zeros. */
static enum vhdx_err read_parent(struct vhdx_image *img, uint8_t *buf,
				 uint64_t len, uint64_t off)
{
	struct vhdx_image *p = img->parent;
	if (p == NULL)
		return vhdx_int_fail(
			img, VHDX_ERR_PARENT_MISSING,
			"[%llu, +%llu) is stored in the parent image, "
			"which was not opened",
			(unsigned long long)off, (unsigned long long)len);
	uint64_t in = 0;
	if (off < p->virtual_size)
		in = len < p->virtual_size - off ? len : p->virtual_size - off;
	if (in) {
		enum vhdx_err r = read_range(p, buf, in, off);
		if (r != VHDX_OK)
			return vhdx_int_fail(img, r, "parent %s: %s", p->path,
					     vhdx_errmsg(p));
	}
	memset(buf + in, 0, len - in);
	return VHDX_OK;
}

static enum vhdx_err read_partial(struct vhdx_image *img, uint64_t b,
				  uint64_t foff, uint8_t *buf, uint64_t n,
				  uint64_t in)
{
	uint64_t bm;
	enum vhdx_err r = vhdx_int_bitmap_offset(img, b, &bm);
	if (r != VHDX_OK)
		return r;
	uint64_t vbase = b * img->block_size;
	uint64_t pos = in, end = in + n;
	while (pos < end) {
		uint64_t s0 = pos / img->lss;
		uint64_t s_end = (end + img->lss - 1) / img->lss;
		bool bit;
		uint64_t run;
		r = bitmap_run(img, bm, s0, s_end, &bit, &run);
		if (r != VHDX_OK)
			return r;
		uint64_t stop = (s0 + run) * img->lss;
		if (stop > end)
			stop = end;
		uint8_t *dst = buf + (pos - in);
		r = bit ? vhdx_int_read(img, dst, stop - pos, foff + pos,
					"block")
			: read_parent(img, dst, stop - pos, vbase + pos);
		if (r != VHDX_OK)
			return r;
		pos = stop;
	}
	return VHDX_OK;
}

static enum vhdx_err read_range(struct vhdx_image *img, uint8_t *buf,
				uint64_t len, uint64_t off)
{
	while (len > 0) {
		struct vhdx_int_piece pc;
		enum vhdx_err r = vhdx_int_piece(img, off, len, &pc);
		if (r != VHDX_OK)
			return r;
		uint64_t b = pc.block, in = pc.in, n = pc.len;
		uint64_t foff = pc.file_off;
		switch (pc.state) {
		case PAYLOAD_BLOCK_FULLY_PRESENT: {
			/* Merge following blocks that are contiguous in the
			 * file into one read. */
			uint64_t total = n;
			while (total < len) {
				unsigned st2;
				uint64_t f2;
				r = vhdx_int_block_entry(img, b + 1, &st2, &f2);
				if (r != VHDX_OK)
					return r;
				if (st2 != PAYLOAD_BLOCK_FULLY_PRESENT ||
				    f2 != foff + (b + 1 -
						  off / img->block_size) *
							    img->block_size)
					break;
				b++;
				total += len - total < img->block_size
						 ? len - total
						 : img->block_size;
			}
			n = total;
			r = vhdx_int_read(img, buf, n, foff + in, "block");
			break;
		}
		case PAYLOAD_BLOCK_PARTIALLY_PRESENT:
			r = read_partial(img, b, foff, buf, n, in);
			break;
		case PAYLOAD_BLOCK_NOT_PRESENT:
			if (img->has_parent) {
				r = read_parent(img, buf, n, off);
				break;
			}
			memset(buf, 0, n);
			break;
		default:
			/* ZERO, UNDEFINED, UNMAPPED, 5 (validated already). */
			memset(buf, 0, n);
			break;
		}
		if (r != VHDX_OK)
			return r;
		buf += n;
		off += n;
		len -= n;
	}
	return VHDX_OK;
}

enum vhdx_err vhdx_int_read_virtual(struct vhdx_image *img, uint8_t *buf,
				    uint64_t len, uint64_t off)
{
	return read_range(img, buf, len, off);
}

enum vhdx_err vhdx_pread(struct vhdx_image *img, void *buf, size_t len,
			 uint64_t offset)
{
	enum vhdx_err r = vhdx_int_io_check(img, len, offset);
	if (r != VHDX_OK)
		return r;
	return read_range(img, buf, len, offset);
}

/* ---- Allocation map ---- */

static enum vhdx_err map_range(struct vhdx_image *img, uint64_t off,
			       uint64_t len, struct vhdx_extent *x);

static enum vhdx_err map_parent(struct vhdx_image *img, uint64_t off,
				uint64_t len, struct vhdx_extent *x)
{
	struct vhdx_image *p = img->parent;
	if (p == NULL && (img->flags & VHDX_OPEN_NO_PARENT)) {
		/* Not ours: report it as data of the unopened parent. */
		*x = (struct vhdx_extent){ off,	 len, VHDX_EXTENT_DATA,
					   NULL, 0,   false };
		return VHDX_OK;
	}
	if (p == NULL || off >= p->virtual_size) {
		*x = (struct vhdx_extent){ off,	 len, VHDX_EXTENT_ZERO,
					   NULL, 0,   false };
		return VHDX_OK;
	}
	if (len > p->virtual_size - off)
		len = p->virtual_size - off;
	enum vhdx_err r = map_range(p, off, len, x);
	if (r != VHDX_OK)
		return vhdx_int_fail(img, r, "parent %s: %s", p->path,
				     vhdx_errmsg(p));
	return VHDX_OK;
}

/* The extent of the first piece of [off, off + len) inside one block. */
static enum vhdx_err map_piece(struct vhdx_image *img, uint64_t off,
			       uint64_t len, struct vhdx_extent *x)
{
	struct vhdx_int_piece pc;
	enum vhdx_err r = vhdx_int_piece(img, off, len, &pc);
	if (r != VHDX_OK)
		return r;
	uint64_t b = pc.block, in = pc.in, n = pc.len, foff = pc.file_off;
	switch (pc.state) {
	case PAYLOAD_BLOCK_FULLY_PRESENT:
		*x = (struct vhdx_extent){
			off,
			n,
			VHDX_EXTENT_DATA,
			img,
			foff + in,
			!vhdx_int_overlay_covers(&img->overlay, foff + in, n) &&
				!vhdx_int_txn_covers(img, foff + in, n)
		};
		return VHDX_OK;
	case PAYLOAD_BLOCK_PARTIALLY_PRESENT: {
		uint64_t bm, run;
		bool bit;
		r = vhdx_int_bitmap_offset(img, b, &bm);
		if (r == VHDX_OK)
			r = bitmap_run(img, bm, in / img->lss,
				       (in + n + img->lss - 1) / img->lss, &bit,
				       &run);
		if (r != VHDX_OK)
			return r;
		uint64_t stop = (in / img->lss + run) * img->lss;
		if (stop > in + n)
			stop = in + n;
		if (!bit)
			return map_parent(img, off, stop - in, x);
		*x = (struct vhdx_extent){
			off,
			stop - in,
			VHDX_EXTENT_DATA,
			img,
			foff + in,
			!vhdx_int_overlay_covers(&img->overlay, foff + in,
						 stop - in) &&
				!vhdx_int_txn_covers(img, foff + in, stop - in)
		};
		return VHDX_OK;
	}
	case PAYLOAD_BLOCK_NOT_PRESENT:
		if (img->has_parent)
			return map_parent(img, off, n, x);
		break;
	default:
		break;
	}
	*x = (struct vhdx_extent){ off, n, VHDX_EXTENT_ZERO, NULL, 0, false };
	return VHDX_OK;
}

static enum vhdx_err map_range(struct vhdx_image *img, uint64_t off,
			       uint64_t len, struct vhdx_extent *x)
{
	enum vhdx_err r = map_piece(img, off, len, x);
	/* Extend while the next piece continues the same extent. */
	while (r == VHDX_OK && x->length < len) {
		struct vhdx_extent y;
		r = map_piece(img, off + x->length, len - x->length, &y);
		if (r != VHDX_OK)
			break;
		bool same = y.kind == x->kind &&
			    (x->kind == VHDX_EXTENT_ZERO ||
			     (y.image == x->image && y.direct == x->direct &&
			      y.file_offset == x->file_offset + x->length));
		if (!same)
			break;
		x->length += y.length;
	}
	return r;
}

enum vhdx_err vhdx_map(struct vhdx_image *img, uint64_t offset,
		       uint64_t max_len, struct vhdx_extent *ext_ret)
{
	enum vhdx_err r = io_allowed(img);
	if (r != VHDX_OK)
		return r;
	if (offset >= img->virtual_size || max_len == 0)
		return vhdx_int_fail(
			img, VHDX_ERR_RANGE,
			"%llu is outside the %llu-byte virtual disk",
			(unsigned long long)offset,
			(unsigned long long)img->virtual_size);
	if (max_len > img->virtual_size - offset)
		max_len = img->virtual_size - offset;
	return map_range(img, offset, max_len, ext_ret);
}

int vhdx_fd(const struct vhdx_image *img)
{
	return img->fd;
}

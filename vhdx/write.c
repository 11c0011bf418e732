/*
 * write.c - writing the virtual disk.
 *
 * Crash safety.  The rule is: new data first, the switch-over last, and
 * each switch-over through the log (MS-VHDX 2.3).  For one write:
 *
 *   0. At the first user-visible change of a session, both headers get a
 *      new FileWriteGuid and DataWriteGuid (2.2.2, 2.2.2.1), each header
 *      write followed by a flush, before any other byte changes.
 *   1. Payload goes straight to its place in the file.  In a block the BAT
 *      already maps (fully present, or partially present with the sector's
 *      bitmap bit set) it overwrites the sector in place; a crash leaves
 *      each sector old or new.  A new block is allocated at the 1 MiB-
 *      aligned end of the file, past everything the BAT maps, so the bytes
 *      written there are invisible until the BAT says otherwise: a crash
 *      leaves the old content (zeros, or the parent's sectors).
 *   2. The BAT entry (and, for a differencing image, the sector-bitmap
 *      bits) change only in cached pages, marked dirty.
 *   3. vhdx_int_log_commit(), at vhdx_flush(), vhdx_close(), or when a batch of
 *      dirty pages would fill a quarter of the log:
 *        a. fdatasync: the payload of step 1 is durable (and the file's
 *           new size with it);
 *        b. one log entry carries every dirty page; fdatasync;
 *        c. the first time in a session, the headers take the log's GUID
 *           (header protocol, each copy flushed);
 *        d. the pages are written to their places (the BAT, the bitmaps).
 *      A crash before (b) is durable leaves the old BAT: old content.  A
 *      crash after it replays the entry at the next open: new content,
 *      whose payload (a) made durable.  Replaying an entry twice writes
 *      the same pages again.  Each entry is its own tail: the fdatasync of
 *      (a) before entry N+1 made entry N's step (d) durable.
 *   4. vhdx_close() flushes, then clears the log through the header
 *      protocol (LogGuid = 0) only after the applied pages are durable.
 *
 * Write transactions (txn.c) hold step 1's overwrites of blocks mapped
 * before them, and commit them with step 3's pages as one sequence of log
 * entries, so that a group of writes lands all-or-nothing.
 *
 * Step (c) after (b) departs from the letter of 2.2.2 ("update LogGuid
 * ... before overwriting existing space within the log region"), which
 * protects a log that may still need replay.  Ours never does: a writable
 * open replays and clears the log first, so the header's LogGuid is zero
 * while we write the first entry, and the stale entries we overwrite are
 * ignored either way.  The order matters for crash safety: a header that
 * names a log with no valid entry yet is, per 2.3.3, a corrupt file, and
 * that is exactly what the literal order leaves behind a crash between
 * its two steps (qemu does, and reads such files as clean, as we do).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "vhdx/internal.h"

/* Sets the bitmap bits of sectors [s0, s1) of block @b. */
static enum vhdx_err set_bits(struct vhdx_image *img, uint64_t b, uint64_t s0,
			      uint64_t s1)
{
	uint64_t bm;
	enum vhdx_err r = vhdx_int_bitmap_offset(img, b, &bm);
	uint64_t s = s0;
	while (r == VHDX_OK && s < s1) {
		uint64_t byte = bm + s / 8;
		uint64_t key = byte / VHDX_SECTOR * VHDX_SECTOR;
		uint8_t *page;
		r = vhdx_int_page(img, key, true, &page);
		if (r != VHDX_OK)
			break;
		/* Every bit of this page that falls in [s, s1). */
		uint64_t page_end_s = (key + VHDX_SECTOR - bm) * 8;
		uint64_t stop = s1 < page_end_s ? s1 : page_end_s;
		for (; s < stop; s++) {
			if (s % 8 == 0 && s + 8 <= stop) {
				page[(bm + s / 8) % VHDX_SECTOR] = 0xff;
				s += 7;
				continue;
			}
			uint8_t *p = &page[(bm + s / 8) % VHDX_SECTOR];
			*p = (uint8_t)(*p | 1u << (s % 8));
		}
	}
	return r;
}

/* Allocates @len bytes (a block, or a 1 MiB sector bitmap) at the end of
 * the file and grows the file over it (reads as zeros). */
static enum vhdx_err allocate(struct vhdx_image *img, uint64_t len,
			      const char *what, uint64_t *off_ret)
{
	/* The first allocation of a session starts from the end of the
	 * last referenced region: space an interrupted writer left past it
	 * is reused, not leaked for good (reclaim.c). */
	if (!img->tail_checked) {
		uint64_t freed;
		enum vhdx_err r0 = vhdx_int_reclaim_tail(img, &freed);
		if (r0 != VHDX_OK)
			return r0;
	}
	uint64_t off = vhdx_int_round_up(img->file_size, VHDX_ALIGN);
	if (off + len > VHDX_INT_MAX_FILE_SIZE)
		return vhdx_int_fail(
			img, VHDX_ERR_INVALID,
			"%s: the file would exceed the VHDX maximum", what);
	/* Grow first: if that fails nothing is claimed, and a claimed range
	 * is always inside the file, so the next allocation goes past it. */
	enum vhdx_err r = vhdx_int_extend(img, off + len);
	if (r == VHDX_OK)
		r = vhdx_int_claim(img, off, len, what);
	if (r == VHDX_OK)
		*off_ret = off;
	return r;
}

/* The sector-bitmap block of chunk @c, allocated if needed. */
static enum vhdx_err ensure_bitmap(struct vhdx_image *img, uint64_t c)
{
	uint64_t idx = vhdx_int_bat_sb_index(img, c), e;
	enum vhdx_err r = vhdx_int_bat_get(img, idx, &e);
	if (r != VHDX_OK || (e & BAT_STATE_MASK) == SB_BLOCK_PRESENT)
		return r;
	uint64_t off;
	r = allocate(img, VHDX_SB_BLOCK_SIZE, "sector bitmap", &off);
	if (r == VHDX_OK)
		r = vhdx_int_bat_set(img, idx, off | SB_BLOCK_PRESENT);
	return r;
}

/* Writes whole logical sectors: the piece @pc of one block. */
static enum vhdx_err write_in_block(struct vhdx_image *img,
				    const struct vhdx_int_piece *pc,
				    const uint8_t *buf)
{
	uint64_t b = pc->block, in = pc->in, n = pc->len;
	uint64_t foff = pc->file_off;
	unsigned st = pc->state;
	enum vhdx_err r;
	uint64_t idx = vhdx_int_bat_payload_index(img, b);
	if (st == PAYLOAD_BLOCK_FULLY_PRESENT ||
	    st == PAYLOAD_BLOCK_PARTIALLY_PRESENT) {
		/* In a transaction, a block mapped before it is held (txn.c);
		 * one it allocated is written through, and so are unlogged
		 * writes (vhdx_txn_pwrite_unlogged) not held already. */
		if (vhdx_int_txn_holds(img) &&
		    !vhdx_int_txn_new_block(img, b) &&
		    !(img->txn.unlogged &&
		      !vhdx_int_txn_covers(img, foff + in, n)))
			r = vhdx_int_txn_hold(img, buf, n, foff + in);
		else
			r = vhdx_int_write_payload(img, buf, n, foff + in);
		img->unsynced = true;
		if (r == VHDX_OK && st == PAYLOAD_BLOCK_PARTIALLY_PRESENT)
			r = set_bits(img, b, in / img->lss,
				     (in + n) / img->lss);
		return r;
	}
	/* A new block.  In a differencing image a block that was not
	 * present keeps reading its other sectors from the parent, through
	 * the sector bitmap, unless this write covers all of it.  Every
	 * other state reads as zeros, which a new block holds already. */
	bool partial = img->has_parent && st == PAYLOAD_BLOCK_NOT_PRESENT &&
		       n < img->block_size;
	if (partial) {
		r = ensure_bitmap(img, b / img->chunk_ratio);
		if (r != VHDX_OK)
			return r;
	}
	char what[48];
	snprintf(what, sizeof(what), "block %llu", (unsigned long long)b);
	uint64_t off;
	r = allocate(img, img->block_size, what, &off);
	if (r == VHDX_OK)
		r = vhdx_int_write_payload(img, buf, n, off + in);
	if (r != VHDX_OK)
		return r;
	img->unsynced = true;
	vhdx_int_txn_note_block(img, b);
	VHDX_INT_CRASH_POINT("payload");
	r = vhdx_int_bat_set(img, idx,
			     off | (partial ? PAYLOAD_BLOCK_PARTIALLY_PRESENT
					    : PAYLOAD_BLOCK_FULLY_PRESENT));
	if (r == VHDX_OK && partial)
		r = set_bits(img, b, in / img->lss, (in + n) / img->lss);
	return r;
}

/* Writes whole logical sectors. */
static enum vhdx_err write_sectors(struct vhdx_image *img, const uint8_t *buf,
				   uint64_t len, uint64_t off)
{
	while (len > 0) {
		struct vhdx_int_piece pc;
		enum vhdx_err r = vhdx_int_piece(img, off, len, &pc);
		uint64_t n = pc.len;
		if (r == VHDX_OK && vhdx_int_txn_holds(img))
			r = vhdx_int_txn_room(img);
		if (r == VHDX_OK)
			r = write_in_block(img, &pc, buf);
		if (r == VHDX_OK && !vhdx_int_txn_holds(img) &&
		    img->cache.ndirty >= img->max_batch) {
			r = vhdx_int_log_commit(img);
			/* A failed commit leaves the cache out of step with
			 * the file; the log on disk still describes a
			 * consistent image, which the next open restores. */
			if (r != VHDX_OK)
				img->state = VHDX_INT_STATE_FAILED;
		}
		if (r != VHDX_OK)
			return r;
		buf += n;
		off += n;
		len -= n;
	}
	return VHDX_OK;
}

/* One logical sector, partly overwritten: read, merge, write. */
static enum vhdx_err write_partial_sector(struct vhdx_image *img,
					  const uint8_t *buf, uint64_t len,
					  uint64_t off)
{
	uint8_t tmp[4096];
	uint64_t s = off / img->lss * img->lss;
	enum vhdx_err r = vhdx_int_read_virtual(img, tmp, img->lss, s);
	if (r != VHDX_OK)
		return r;
	memcpy(tmp + (off - s), buf, len);
	return write_sectors(img, tmp, img->lss, s);
}

enum vhdx_err vhdx_pwrite(struct vhdx_image *img, const void *buf, size_t len,
			  uint64_t offset)
{
	if (!img->writable)
		return vhdx_int_fail(img, VHDX_ERR_READ_ONLY,
				     "the image was opened read-only");
	enum vhdx_err r = vhdx_int_io_check(img, len, offset);
	if (r != VHDX_OK || len == 0)
		return r;
	if (!img->data_guid_changed) {
		r = vhdx_int_update_headers(img, true, &img->log_guid);
		if (r != VHDX_OK) {
			img->state = VHDX_INT_STATE_FAILED;
			return r;
		}
	}
	const uint8_t *p = buf;
	uint64_t head = offset % img->lss;
	if (r == VHDX_OK && head) {
		uint64_t n = img->lss - head;
		if (n > len)
			n = len;
		r = write_partial_sector(img, p, n, offset);
		p += n;
		offset += n;
		len -= n;
	}
	uint64_t whole = len / img->lss * img->lss;
	if (r == VHDX_OK && whole) {
		r = write_sectors(img, p, whole, offset);
		p += whole;
		offset += whole;
		len -= whole;
	}
	if (r == VHDX_OK && len)
		r = write_partial_sector(img, p, len, offset);
	return r;
}

enum vhdx_err vhdx_flush(struct vhdx_image *img)
{
	if (!img->writable || img->state == VHDX_INT_STATE_HANDED_OVER)
		return VHDX_OK;
	if (img->state == VHDX_INT_STATE_FAILED)
		return vhdx_int_fail(
			img, VHDX_ERR_STATE,
			"an earlier write failed; close and reopen the "
			"image (the log makes it consistent)");
	/* Inside a transaction only what is outside it is made durable:
	 * committing now would split it. */
	if (vhdx_int_txn_holds(img))
		return img->unsynced ? vhdx_int_sync(img) : VHDX_OK;
	enum vhdx_err r = vhdx_int_log_commit(img);
	if (r != VHDX_OK)
		img->state = VHDX_INT_STATE_FAILED;
	return r;
}

/* vhdx check --repair: here, beside vhdx_flush(), so that reclaim.c
 * (the tail itself) calls nothing in this file. */
enum vhdx_err vhdx_reclaim(struct vhdx_image *img, uint64_t *freed_ret)
{
	*freed_ret = 0;
	enum vhdx_err r = vhdx_int_check_writable(img);
	if (r != VHDX_OK)
		return r;
	/* Commit what this session wrote, so the BAT on disk is complete. */
	r = vhdx_flush(img);
	uint64_t end;
	if (r == VHDX_OK)
		r = vhdx_int_referenced_end(img, &end);
	if (r != VHDX_OK || img->file_size <= end)
		return r;
	/* A change to the file: a new FileWriteGuid first (2.2.2). */
	if (!img->session_started)
		r = vhdx_int_update_headers(img, false, &img->log_guid);
	if (r == VHDX_OK)
		r = vhdx_int_reclaim_tail(img, freed_ret);
	if (r == VHDX_OK)
		r = vhdx_int_sync(img);
	if (r == VHDX_OK)
		img->unsynced = false;
	return r;
}

/* A write inside a transaction that is not held for the log unless a page
 * of it is held already (vhdx.h; txn.c keeps the flag). */
enum vhdx_err vhdx_txn_pwrite_unlogged(struct vhdx_image *img, const void *buf,
				       size_t len, uint64_t offset)
{
	img->txn.unlogged = img->txn.depth > 0;
	enum vhdx_err r = vhdx_pwrite(img, buf, len, offset);
	if (img->txn.unlogged)
		img->txn.unlogged_since = true;
	img->txn.unlogged = false;
	return r;
}

/*
 * txn.c - write transactions: a group of vhdx_pwrite() calls that reaches
 * the file all-or-nothing.
 *
 * Outside a transaction, payload written over an allocated block goes to
 * its place at once, so a crash between two writes keeps the first and
 * loses the second.  A caller whose data is itself a structure (a guest
 * filesystem: a directory entry in one sector, the file record it names
 * in another) needs more: every write of one operation, or none.
 *
 * Inside a transaction:
 *   - writes to payload the BAT already maps are held in memory, as
 *     4 KiB pages keyed by file offset (reads see them: read-your-writes,
 *     through vhdx_int_read());
 *   - writes to a block allocated in this transaction go to the file at
 *     once: nothing maps that block until the BAT update, which is held
 *     like any other page of the transaction (the cache keeps it dirty);
 *   - vhdx_txn_commit() writes the held pages and the dirty BAT/bitmap
 *     pages as one log sequence under a fresh log GUID, makes it durable,
 *     then names that GUID in the header, then writes the pages in place
 *     (log.c, vhdx_int_log_commit_txn).  Before the header names the GUID
 *     the sequence is never replayed (2.3.3: entries of another LogGuid
 *     are ignored): a crash leaves the old state.  After it, the next
 *     open replays the whole sequence: the new state.
 *
 * The log is small (Hyper-V makes it 1 MiB), so a transaction holds at
 * most what one sequence can carry (vhdx_int_txn_capacity()).  When a
 * write would exceed that, what is held so far is committed first as one
 * group, and the transaction goes on with a new group: the groups of a
 * transaction reach the file in order, each all-or-nothing, so a crash
 * leaves a prefix of them.  vhdx.h states this for callers.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "vhdx/internal.h"

/* Room reserved, at each check, for the BAT and sector-bitmap pages that
 * one piece of a write can dirty: its BAT page, the sector-bitmap block's
 * BAT entry and at most two pages of bitmap bits. */
#define TXN_PIECE_PAGES 4u

static enum vhdx_err setup(struct vhdx_image *img)
{
	struct vhdx_int_txn *t = &img->txn;
	if (t->held != NULL)
		return VHDX_OK;
	t->cap = vhdx_int_txn_capacity(img);
	t->nbuckets = 1;
	while (t->nbuckets < 2 * t->cap)
		t->nbuckets *= 2;
	t->held = calloc(t->cap ? t->cap : 1, sizeof(*t->held));
	t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
	t->new_blocks = malloc(t->cap * sizeof(*t->new_blocks) + 1);
	if (t->held == NULL || t->buckets == NULL || t->new_blocks == NULL)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < t->cap; i++) {
		t->held[i].data = malloc(VHDX_SECTOR);
		if (t->held[i].data == NULL)
			return vhdx_int_fail(img, VHDX_ERR_NOMEM,
					     "out of memory");
	}
	memset(t->buckets, 0xff, t->nbuckets * sizeof(*t->buckets));
	return VHDX_OK;
}

void vhdx_int_txn_free(struct vhdx_image *img)
{
	struct vhdx_int_txn *t = &img->txn;
	if (t->held != NULL)
		for (uint32_t i = 0; i < t->cap; i++)
			free(t->held[i].data);
	free(t->held);
	free(t->buckets);
	free(t->new_blocks);
	memset(t, 0, sizeof(*t));
}

uint32_t vhdx_int_txn_capacity(const struct vhdx_image *img)
{
	uint32_t n = vhdx_int_log_seq_capacity(img->log_length, img->max_batch);
	return n > TXN_PIECE_PAGES ? n - TXN_PIECE_PAGES : 0;
}

bool vhdx_int_txn_holds(const struct vhdx_image *img)
{
	return img->txn.depth > 0;
}

bool vhdx_int_txn_new_block(const struct vhdx_image *img, uint64_t b)
{
	const struct vhdx_int_txn *t = &img->txn;
	for (uint32_t i = 0; i < t->nnew; i++)
		if (t->new_blocks[i] == b)
			return true;
	return false;
}

void vhdx_int_txn_note_block(struct vhdx_image *img, uint64_t b)
{
	struct vhdx_int_txn *t = &img->txn;
	/* Past the array the block's later writes are held, which is
	 * correct, only dearer (and committed reads cannot be told). */
	if (t->depth > 0 && t->nnew < t->cap)
		t->new_blocks[t->nnew++] = b;
	else if (t->depth > 0)
		t->new_overflow = true;
}

/* Pages written in place by one write when a transaction is applied. */
#define TXN_RUN_PAGES 64u

/* By file offset (qsort() of the pages to log). */
static int cmp_lpage(const void *a, const void *b)
{
	uint64_t ka = ((const struct vhdx_int_lpage *)a)->key;
	uint64_t kb = ((const struct vhdx_int_lpage *)b)->key;
	return ka < kb ? -1 : ka > kb;
}

/*
 * One group: @nheld held payload pages and every dirty cache
 * page, as one sequence of entries under a new log GUID.
 *   a. the entries (each at most max_batch pages; the first is the tail
 *      of every one);
 *   b. fdatasync: the entries are durable, and with them the payload
 *      written to new blocks and what earlier commits applied in place
 *      (one flush for all three: none of them is needed before the header
 *      switch of (c), which alone makes this sequence replayable and the
 *      previous one obsolete);
 *   c. the header takes the new GUID (header protocol, each copy
 *      flushed): from here a replay applies the whole sequence;
 *   d. the pages are written to their places.
 * A crash before (c) leaves a header that names no entry of the sequence:
 * nothing of it is replayed, every page keeps its old content.  A crash
 * after it replays all of it.
 */
static enum vhdx_err log_commit(struct vhdx_image *img,
				const struct vhdx_int_held *held,
				uint32_t nheld)
{
	struct vhdx_int_cache *c = &img->cache;
	uint32_t n = nheld + c->ndirty;
	if (n == 0)
		return VHDX_OK;
	if (n > vhdx_int_log_seq_capacity(img->log_length, img->max_batch))
		return vhdx_int_fail(img, VHDX_ERR_UNSUPPORTED,
				     "log: a transaction of %u pages does not "
				     "fit in the log",
				     n);
	struct vhdx_int_lpage *lp = malloc(n * sizeof(*lp));
	uint32_t *slot = malloc((c->ndirty + 1) * sizeof(*slot));
	if (lp == NULL || slot == NULL) {
		free(lp);
		free(slot);
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	}
	uint32_t k = 0, ns = 0;
	for (uint32_t i = 0; i < nheld; i++)
		lp[k++] = (struct vhdx_int_lpage){ held[i].key, held[i].data };
	for (uint32_t i = 0; i < c->npages; i++)
		if (c->pages[i].used && c->pages[i].dirty) {
			slot[ns++] = i;
			lp[k++] = (struct vhdx_int_lpage){ c->pages[i].key,
							   c->pages[i].data };
		}
	qsort(lp, n, sizeof(*lp), cmp_lpage);
	uint32_t size = 0;
	for (uint32_t done = 0; done < n;) {
		uint32_t m =
			n - done < img->max_batch ? n - done : img->max_batch;
		size += vhdx_int_log_entry_size(m);
		done += m;
	}
	struct vhdx_guid guid;
	uint32_t pos = 0, at = 0, last = 0;
	uint64_t seq = 1;
	enum vhdx_err r = vhdx_int_log_place(img, size, &pos);
	int err = r == VHDX_OK ? vhdx_int_guid_random(&guid) : 0;
	if (err != 0)
		r = vhdx_int_fail_errno(img, err, "new log GUID");
	at = pos;
	for (uint32_t done = 0; done < n && r == VHDX_OK; seq++) {
		uint32_t m =
			n - done < img->max_batch ? n - done : img->max_batch;
		r = vhdx_int_log_write_entry(img, lp + done, m, at, pos, seq,
					     &guid);
		last = at;
		at += vhdx_int_log_entry_size(m);
		done += m;
		VHDX_INT_CRASH_POINT("txn-entry");
	}
	if (r == VHDX_OK)
		r = vhdx_int_sync(img);
	VHDX_INT_CRASH_POINT("txn-logged");
	if (r == VHDX_OK)
		r = vhdx_int_update_headers(img, false, &guid);
	VHDX_INT_CRASH_POINT("txn-header");
	if (r == VHDX_OK) {
		img->session_log_guid = guid;
		img->log_active = true;
		img->log_seq = seq;
		img->log_live_pos = pos;
		img->log_pos = at;
		img->log_head_pos = last;
		img->log_head_len = at - last;
		img->log_has_head = true;
	}
	/* In place, a run of adjacent pages per write. */
	uint8_t *run =
		r == VHDX_OK ? malloc(TXN_RUN_PAGES * VHDX_SECTOR) : NULL;
	if (r == VHDX_OK && run == NULL)
		r = vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0, j; i < n && r == VHDX_OK; i = j) {
		for (j = i;
		     j < n && j - i < TXN_RUN_PAGES &&
		     lp[j].key == lp[i].key + (uint64_t)(j - i) * VHDX_SECTOR;
		     j++)
			memcpy(run + (size_t)(j - i) * VHDX_SECTOR, lp[j].data,
			       VHDX_SECTOR);
		r = vhdx_int_write(img, run, (size_t)(j - i) * VHDX_SECTOR,
				   lp[i].key, "transaction");
		VHDX_INT_CRASH_POINT("apply");
	}
	free(run);
	for (uint32_t i = 0; i < ns && r == VHDX_OK; i++) {
		c->pages[slot[i]].dirty = false;
		c->ndirty--;
	}
	VHDX_INT_CRASH_POINT("applied");
	img->unsynced = true;
	free(lp);
	free(slot);
	return r;
}

/* Commits what the transaction holds as one group. */
static enum vhdx_err commit_group(struct vhdx_image *img)
{
	struct vhdx_int_txn *t = &img->txn;
	enum vhdx_err r = log_commit(img, t->held, t->nheld);
	t->unlogged_since = false; /* log_commit flushed them first */
	if (r != VHDX_OK) {
		/* The cache and the held pages are out of step with the
		 * file; the log on disk still describes a consistent image,
		 * which the next open restores. */
		img->state = VHDX_INT_STATE_FAILED;
		return r;
	}
	for (uint32_t i = 0; i < t->nheld; i++)
		t->held[i].hnext = VHDX_INT_NONE;
	memset(t->buckets, 0xff, t->nbuckets * sizeof(*t->buckets));
	t->nheld = 0;
	t->nnew = 0;
	t->new_overflow = false;
	t->clean = true;
	t->groups++;
	return VHDX_OK;
}

enum vhdx_err vhdx_int_txn_room(struct vhdx_image *img)
{
	struct vhdx_int_txn *t = &img->txn;
	if (t->nheld + img->cache.ndirty + TXN_PIECE_PAGES <= t->cap)
		return VHDX_OK;
	return commit_group(img);
}

enum vhdx_err vhdx_int_txn_hold(struct vhdx_image *img, const uint8_t *buf,
				uint64_t len, uint64_t off)
{
	struct vhdx_int_txn *t = &img->txn;
	while (len > 0) {
		uint64_t key = off / VHDX_SECTOR * VHDX_SECTOR;
		uint64_t in = off - key;
		uint64_t n = VHDX_SECTOR - in < len ? VHDX_SECTOR - in : len;
		struct vhdx_int_held *h = vhdx_int_txn_find(t, key);
		if (h == NULL) {
			enum vhdx_err r = vhdx_int_txn_room(img);
			if (r != VHDX_OK)
				return r;
			h = &t->held[t->nheld];
			/* A part of a page: the rest is what reads see now
			 * (nothing held at @key, so the file's bytes). */
			if (n < VHDX_SECTOR) {
				r = vhdx_int_read(img, h->data, VHDX_SECTOR,
						  key, "block");
				if (r != VHDX_OK)
					return r;
			}
			h->key = key;
			uint32_t bk = vhdx_int_txn_bucket(t, key);
			h->hnext = t->buckets[bk];
			t->buckets[bk] = t->nheld++;
		}
		memcpy(h->data + in, buf, n);
		buf += n;
		off += n;
		len -= n;
	}
	return VHDX_OK;
}

enum vhdx_err vhdx_int_check_writable(struct vhdx_image *img)
{
	if (!img->writable)
		return vhdx_int_fail(img, VHDX_ERR_READ_ONLY,
				     "the image was opened read-only");
	if (img->state != VHDX_INT_STATE_OPEN)
		return vhdx_int_fail(img, VHDX_ERR_STATE,
				     "the handle can do no more I/O");
	return VHDX_OK;
}

enum vhdx_err vhdx_txn_begin(struct vhdx_image *img)
{
	enum vhdx_err r = vhdx_int_check_writable(img);
	if (r != VHDX_OK)
		return r;
	if (img->txn.depth > 0) {
		img->txn.depth++;
		return VHDX_OK;
	}
	if (vhdx_int_txn_capacity(img) == 0)
		return vhdx_int_fail(img, VHDX_ERR_UNSUPPORTED,
				     "the log is too small for transactions");
	r = setup(img);
	if (r != VHDX_OK)
		return r;
	img->txn.depth = 1;
	img->txn.groups = 0;
	img->txn.nnew = 0;
	img->txn.new_overflow = false;
	img->txn.clean = img->cache.ndirty == 0;
	return VHDX_OK;
}

enum vhdx_err vhdx_txn_commit(struct vhdx_image *img, unsigned *groups_ret)
{
	struct vhdx_int_txn *t = &img->txn;
	if (groups_ret != NULL)
		*groups_ret = 0;
	if (t->depth == 0)
		return vhdx_int_fail(img, VHDX_ERR_STATE,
				     "no transaction to commit");
	if (--t->depth > 0)
		return VHDX_OK;
	if (img->state != VHDX_INT_STATE_OPEN)
		return vhdx_int_fail(
			img, VHDX_ERR_STATE,
			"an earlier write failed; close and reopen the "
			"image (the log makes it consistent)");
	enum vhdx_err r = VHDX_OK;
	if (t->nheld > 0 || img->cache.ndirty > 0)
		r = commit_group(img);
	else if (t->unlogged_since)
		/* Unlogged data after the last group and nothing held since:
		 * no commit flushes it, so this does (the caller counts a
		 * commit as durable). */
		r = vhdx_int_sync(img);
	t->unlogged_since = false;
	t->nnew = 0;
	if (groups_ret != NULL)
		*groups_ret = t->groups;
	return r;
}

uint32_t vhdx_txn_capacity(const struct vhdx_image *img)
{
	return img->writable ? vhdx_int_txn_capacity(img) : 0;
}

uint32_t vhdx_txn_pending(const struct vhdx_image *img)
{
	return img->txn.depth > 0 ? img->txn.nheld + img->cache.ndirty : 0;
}

enum vhdx_err vhdx_txn_pread_committed(struct vhdx_image *img, void *buf,
				       size_t len, uint64_t offset,
				       bool *known_ret)
{
	struct vhdx_int_txn *t = &img->txn;
	*known_ret = false;
	enum vhdx_err r = vhdx_int_io_check(img, len, offset);
	if (r != VHDX_OK || t->depth == 0 || !t->clean || t->new_overflow)
		return r;
	/* What the file holds outside the held pages is the committed state
	 * except in blocks this group allocated (unmapped before it) and, in
	 * a differencing image, blocks whose sector bitmap it may have
	 * changed. */
	for (uint64_t off = offset, left = len; left > 0;) {
		struct vhdx_int_piece pc;
		r = vhdx_int_piece(img, off, left, &pc);
		if (r != VHDX_OK)
			return r;
		if (vhdx_int_txn_new_block(img, pc.block) ||
		    (img->has_parent &&
		     pc.state != PAYLOAD_BLOCK_FULLY_PRESENT))
			return VHDX_OK;
		off += pc.len;
		left -= pc.len;
	}
	t->committed_view = true;
	r = vhdx_pread(img, buf, len, offset);
	t->committed_view = false;
	*known_ret = r == VHDX_OK;
	return r;
}

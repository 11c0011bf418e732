/*
 * file.c - reads and writes of the host file.
 *
 * Every read of VHDX structures and payload goes through vhdx_int_read(), so
 * that a read-only open of a dirty image sees the log replayed in memory
 * (MS-VHDX 2.3.3, footnote 5) without the file being touched.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/bytes.h"
#include "util/fileio.h"
#include "vhdx/internal.h"

/* Applies the replayed log's descriptors (in order: later ones win) to a
 * buffer read from [offset, offset + len). */
static void overlay_apply(const struct vhdx_int_overlay *ov, uint8_t *buf,
			  size_t len, uint64_t offset)
{
	uint64_t end = offset + len;
	if (ov->nops == 0 || end <= ov->min_offset || offset >= ov->max_end)
		return;
	for (size_t i = 0; i < ov->nops; i++) {
		const struct vhdx_int_overlay_op *op = &ov->ops[i];
		uint64_t a = op->offset > offset ? op->offset : offset;
		uint64_t b = op->offset + op->length < end
				     ? op->offset + op->length
				     : end;
		if (a >= b)
			continue;
		if (op->data)
			memcpy(buf + (a - offset), op->data + (a - op->offset),
			       b - a);
		else
			memset(buf + (a - offset), 0, b - a);
	}
}

bool vhdx_int_overlay_covers(const struct vhdx_int_overlay *ov, uint64_t offset,
			     uint64_t len)
{
	uint64_t end = offset + len;
	if (ov->nops == 0 || end <= ov->min_offset || offset >= ov->max_end)
		return false;
	for (size_t i = 0; i < ov->nops; i++) {
		const struct vhdx_int_overlay_op *op = &ov->ops[i];
		if (op->offset < end && offset < op->offset + op->length)
			return true;
	}
	return false;
}

enum vhdx_err vhdx_int_overlay_add(struct vhdx_image *img, uint64_t offset,
				   uint64_t length, const uint8_t *data)
{
	struct vhdx_int_overlay *ov = &img->overlay;
	if (ov->nops >= VHDX_INT_MAX_OVERLAY_OPS ||
	    (data && ov->bytes + VHDX_SECTOR > VHDX_INT_MAX_OVERLAY_BYTES))
		return vhdx_int_fail(
			img, VHDX_ERR_UNSUPPORTED,
			"log: too large to replay in memory (more than "
			"%u descriptors or %llu MiB); open the image "
			"read-write to replay it in place",
			VHDX_INT_MAX_OVERLAY_OPS,
			(unsigned long long)(VHDX_INT_MAX_OVERLAY_BYTES >> 20));
	if (ov->nops == ov->cap) {
		size_t cap = ov->cap ? ov->cap * 2 : 64;
		struct vhdx_int_overlay_op *n =
			realloc(ov->ops, cap * sizeof(*n));
		if (n == NULL)
			return vhdx_int_fail(img, VHDX_ERR_NOMEM,
					     "log: out of memory for replay");
		ov->ops = n;
		ov->cap = cap;
	}
	uint8_t *copy = NULL;
	if (data) {
		copy = malloc(VHDX_SECTOR);
		if (copy == NULL)
			return vhdx_int_fail(img, VHDX_ERR_NOMEM,
					     "log: out of memory for replay");
		memcpy(copy, data, VHDX_SECTOR);
		length = VHDX_SECTOR;
		ov->bytes += VHDX_SECTOR;
	}
	if (ov->nops == 0 || offset < ov->min_offset)
		ov->min_offset = offset;
	if (offset + length > ov->max_end)
		ov->max_end = offset + length;
	ov->ops[ov->nops++] =
		(struct vhdx_int_overlay_op){ offset, length, copy };
	return VHDX_OK;
}

void vhdx_int_overlay_free(struct vhdx_int_overlay *ov)
{
	for (size_t i = 0; i < ov->nops; i++)
		free(ov->ops[i].data);
	free(ov->ops);
	memset(ov, 0, sizeof(*ov));
}

/* The held pages of a write transaction (txn.c holds them; every read
 * sees them, here). */
uint32_t vhdx_int_txn_bucket(const struct vhdx_int_txn *t, uint64_t key)
{
	return (uint32_t)((key / VHDX_SECTOR * 0x9e3779b97f4a7c15ull) >> 32) &
	       (t->nbuckets - 1);
}

struct vhdx_int_held *vhdx_int_txn_find(const struct vhdx_int_txn *t,
					uint64_t key)
{
	if (t->nheld == 0)
		return NULL;
	for (uint32_t i = t->buckets[vhdx_int_txn_bucket(t, key)];
	     i != VHDX_INT_NONE; i = t->held[i].hnext)
		if (t->held[i].key == key)
			return &t->held[i];
	return NULL;
}

/* Copies the held pages over a buffer read from the file at @offset:
 * few pages asked for are looked up one by one, many by going through
 * what is held. */
static void txn_apply(const struct vhdx_int_txn *t, uint8_t *buf, size_t len,
		      uint64_t offset)
{
	if (t->nheld == 0 || len == 0)
		return;
	uint64_t end = offset + len;
	uint64_t first = offset / VHDX_SECTOR * VHDX_SECTOR;
	uint64_t npages = (end - first + VHDX_SECTOR - 1) / VHDX_SECTOR;
	bool lookup = npages <= t->nheld;
	uint64_t count = lookup ? npages : t->nheld;
	for (uint64_t i = 0; i < count; i++) {
		const struct vhdx_int_held *h =
			lookup ? vhdx_int_txn_find(t, first + i * VHDX_SECTOR)
			       : &t->held[i];
		if (h == NULL)
			continue;
		uint64_t a = h->key > offset ? h->key : offset;
		uint64_t b =
			h->key + VHDX_SECTOR < end ? h->key + VHDX_SECTOR : end;
		if (a < b)
			memcpy(buf + (a - offset), h->data + (a - h->key),
			       b - a);
	}
}

bool vhdx_int_txn_covers(const struct vhdx_image *img, uint64_t offset,
			 uint64_t len)
{
	const struct vhdx_int_txn *t = &img->txn;
	for (uint32_t i = 0; i < t->nheld; i++)
		if (t->held[i].key < offset + len &&
		    offset < t->held[i].key + VHDX_SECTOR)
			return true;
	return false;
}

enum vhdx_err vhdx_int_read(struct vhdx_image *img, void *buf, size_t len,
			    uint64_t offset, const char *what)
{
	if (!hvo_in_bounds(offset, len, img->eff_size))
		return vhdx_int_fail(
			img, VHDX_ERR_TRUNCATED,
			"%s: [%#llx, +%#zx) is past the end of the file "
			"(%#llx bytes)",
			what, (unsigned long long)offset, len,
			(unsigned long long)img->eff_size);
	ssize_t n = hvo_int_pread_full(img->fd, buf, len, offset);
	if (n < 0)
		return vhdx_int_fail_errno(img, errno, "%s: read at %#llx",
					   what, (unsigned long long)offset);
	/* Only a read-only replay can make eff_size exceed the file: those
	 * bytes are the zeros that extending the file would give. */
	if ((size_t)n < len)
		memset((uint8_t *)buf + n, 0, len - (size_t)n);
	overlay_apply(&img->overlay, buf, len, offset);
	if (!img->txn.committed_view)
		txn_apply(&img->txn, buf, len, offset);
	return VHDX_OK;
}

enum vhdx_err vhdx_int_write(struct vhdx_image *img, const void *buf,
			     size_t len, uint64_t offset, const char *what)
{
	int e = hvo_int_pwrite_all(img->fd, buf, len, offset);
	if (e != 0)
		return vhdx_int_fail_errno(img, e, "%s: write at %#llx", what,
					   (unsigned long long)offset);
	VHDX_INT_IO(VHDX_INT_IO_WRITE, buf, len, offset);
	if (offset + len > img->file_size) {
		img->file_size = offset + len;
		if (img->file_size > img->eff_size)
			img->eff_size = img->file_size;
	}
	return VHDX_OK;
}

void vhdx_int_open_direct(struct vhdx_image *img)
{
	/* The same file, not whatever has its name now: reopen the
	 * descriptor through /proc, else the path, checked by inode. */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", img->fd);
	int fd = open(self, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		fd = open(img->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_dev != img->dev ||
			st.st_ino != img->ino)) {
		close(fd);
		fd = -1;
	}
	img->dfd = fd;
}

enum vhdx_err vhdx_int_write_payload(struct vhdx_image *img, const void *buf,
				     size_t len, uint64_t offset)
{
	if (img->dfd >= 0 && len >= VHDX_INT_DIRECT_MIN &&
	    ((uintptr_t)buf | len | offset) % VHDX_INT_DIRECT_ALIGN == 0) {
		int e = hvo_int_pwrite_all(img->dfd, buf, len, offset);
		if (e == 0) {
			VHDX_INT_IO(VHDX_INT_IO_WRITE, buf, len, offset);
			if (offset + len > img->file_size)
				img->file_size = offset + len;
			if (img->file_size > img->eff_size)
				img->eff_size = img->file_size;
			return VHDX_OK;
		}
		/* The filesystem wants another alignment (or no O_DIRECT):
		 * a short direct write leaves nothing that the buffered one
		 * below does not overwrite. */
		if (e != EINVAL)
			return vhdx_int_fail_errno(img, e,
						   "block: write at %#llx",
						   (unsigned long long)offset);
		close(img->dfd);
		img->dfd = -1;
	}
	return vhdx_int_write(img, buf, len, offset, "block");
}

enum vhdx_err vhdx_int_sync(struct vhdx_image *img)
{
	/* fdatasync() also makes a grown file size durable, which is all the
	 * metadata our ordering depends on. */
	if (fdatasync(img->fd) != 0)
		return vhdx_int_fail_errno(img, errno, "flush");
	VHDX_INT_IO(VHDX_INT_IO_SYNC, NULL, 0, 0);
	img->unsynced = false;
	img->header_unsynced = false;
	return VHDX_OK;
}

enum vhdx_err vhdx_int_extend(struct vhdx_image *img, uint64_t size)
{
	if (size <= img->file_size)
		return VHDX_OK;
	if (ftruncate(img->fd, (off_t)size) != 0)
		return vhdx_int_fail_errno(img, errno,
					   "extend the file to %#llx",
					   (unsigned long long)size);
	VHDX_INT_IO(VHDX_INT_IO_SIZE, NULL, 0, size);
	img->file_size = size;
	if (size > img->eff_size)
		img->eff_size = size;
	return VHDX_OK;
}

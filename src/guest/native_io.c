/*
 * native_io.c - one image for the native backend: a VHDX through vhdx/
 * (its parent chain included) or a raw file.
 *
 * Everything that makes a Hyper-V disk safe to write lives in vhdx/: a
 * writable open replays a dirty log in place and locks the image, writes
 * go to the leaf of a chain only (a parent is opened read-only and never
 * written: writing it would change its DataWriteGuid and break every
 * child's parent_linkage, MS-VHDX 2.6.2.6.3), new blocks are committed
 * through the log, so a crash leaves each sector old or new.  A read-only
 * open replays a dirty log in memory and leaves the file untouched.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/native_int.h"

struct native_img {
	struct vhdx_image *vhdx; /* or NULL: a raw file on @fd */
	int fd;
	uint64_t size;
	uint32_t sector;
	bool readonly;
	char path[256];
	char error[GUEST_ERROR_MAX];
	/* A mapped image (native_int_img_mapped): reads go through @map to
	 * @under; never written. */
	struct native_img *under;
	native_map_fn map;
	void *map_ctx;
};

static int open_raw(struct native_img *img, const char *path, char *why,
		    size_t whysize)
{
	img->fd = open(path, (img->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	struct stat st;
	if (img->fd < 0 || fstat(img->fd, &st) != 0) {
		int e = errno;
		snprintf(why, whysize, "%s: %s", path, strerror(e));
		return guest_int_errno_class(e);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(why, whysize, "%s: not a regular file", path);
		return GUEST_E_UNSUPPORTED;
	}
	off_t end = lseek(img->fd, 0, SEEK_END);
	if (end < 0) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		return GUEST_E_IO;
	}
	img->size = (uint64_t)end;
	img->sector = 512;
	return GUEST_OK;
}

static int open_vhdx(struct native_img *img, const char *path, char *why,
		     size_t whysize)
{
	struct vhdx_error err = { 0 };
	enum vhdx_err r = vhdx_open(path, img->readonly ? 0 : VHDX_OPEN_WRITE,
				    NULL, &img->vhdx, &err);
	if (r != VHDX_OK) {
		snprintf(why, whysize, "%s", err.msg);
		switch (vhdx_exit_class(r)) {
		case HVO_EXIT_REFUSED:
			return GUEST_E_ROFS;
		case HVO_EXIT_CORRUPT:
			return GUEST_E_UNSUPPORTED;
		default:
			return r == VHDX_ERR_NOMEM ? GUEST_E_NOMEM : GUEST_E_IO;
		}
	}
	struct vhdx_info info;
	vhdx_get_info(img->vhdx, &info);
	img->size = info.virtual_size;
	img->sector = info.logical_sector_size;
	if (img->sector != 512 && img->sector != 4096) {
		snprintf(why, whysize, "%s: logical sector size %u", path,
			 img->sector);
		return GUEST_E_UNSUPPORTED;
	}
	return GUEST_OK;
}

int native_int_img_open(const char *path, const char *format, bool readonly,
			struct native_img **img_ret, char *why, size_t whysize)
{
	*img_ret = NULL;
	struct native_img *img = calloc(1, sizeof(*img));
	if (img == NULL) {
		snprintf(why, whysize, "out of memory");
		return GUEST_E_NOMEM;
	}
	img->fd = -1;
	img->readonly = readonly;
	snprintf(img->path, sizeof(img->path), "%s", path);
	int r;
	if (format != NULL && strcmp(format, "vhdx") == 0) {
		r = open_vhdx(img, path, why, whysize);
	} else if (format == NULL || strcmp(format, "raw") == 0) {
		r = open_raw(img, path, why, whysize);
	} else {
		snprintf(why, whysize,
			 "%s: format %s is read by the appliance only", path,
			 format);
		r = GUEST_E_UNSUPPORTED;
	}
	if (r != GUEST_OK) {
		native_int_img_close(img, NULL, 0);
		return r;
	}
	*img_ret = img;
	return GUEST_OK;
}

int native_int_img_mapped(struct native_img *under, uint64_t size,
			  native_map_fn map, void *ctx, const char *name,
			  struct native_img **img_ret)
{
	struct native_img *img = calloc(1, sizeof(*img));
	*img_ret = img;
	if (img == NULL)
		return GUEST_E_NOMEM;
	img->fd = -1;
	img->readonly = true;
	img->size = size;
	img->sector = under->sector;
	img->under = under;
	img->map = map;
	img->map_ctx = ctx;
	/* Messages name the LV; the disk's name comes with them. */
	snprintf(img->path, sizeof(img->path), "%s", name);
	return GUEST_OK;
}

/* A mapped image's read: piece by piece, each contiguous on @under. */
static int mapped_pread(struct native_img *img, uint8_t *buf, size_t len,
			uint64_t off)
{
	while (len > 0) {
		uint64_t at, run;
		if (img->map(img->map_ctx, off, &at, &run) != 0 || run == 0) {
			snprintf(img->error, sizeof(img->error),
				 "%s: no mapping for byte %llu", img->path,
				 (unsigned long long)off);
			errno = EIO;
			return -1;
		}
		size_t n = run < len ? (size_t)run : len;
		if (native_int_img_pread(img->under, buf, n, at) != 0) {
			snprintf(img->error, sizeof(img->error), "%s",
				 img->under->error);
			return -1;
		}
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}

int native_int_img_close(struct native_img *img, char *why, size_t whysize)
{
	if (img == NULL)
		return GUEST_OK;
	int r = GUEST_OK;
	if (img->vhdx != NULL) {
		struct vhdx_error err = { 0 };
		if (vhdx_close(img->vhdx, &err) != VHDX_OK) {
			r = GUEST_E_IO;
			if (why != NULL)
				snprintf(why, whysize, "%s", err.msg);
		}
	}
	if (img->fd >= 0) {
		if (!img->readonly && fsync(img->fd) != 0 && r == GUEST_OK) {
			r = GUEST_E_IO;
			if (why != NULL)
				snprintf(why, whysize, "%s: fsync: %s",
					 img->path, strerror(errno));
		}
		close(img->fd);
	}
	free(img);
	return r;
}

uint64_t native_int_img_size(const struct native_img *img)
{
	return img->size;
}

uint32_t native_int_img_sector(const struct native_img *img)
{
	return img->sector;
}

bool native_int_img_readonly(const struct native_img *img)
{
	return img->readonly;
}

struct vhdx_image *native_int_img_vhdx(struct native_img *img)
{
	return img->vhdx;
}

const char *native_int_img_errmsg(const struct native_img *img)
{
	return img->error;
}

static int io_fail(struct native_img *img, int e, const char *what,
		   uint64_t off, size_t len, const char *why)
{
	snprintf(img->error, sizeof(img->error),
		 "%s: %s of %zu bytes at %llu: %s", img->path, what, len,
		 (unsigned long long)off, why);
	errno = e;
	return -1;
}

static bool in_range(const struct native_img *img, size_t len, uint64_t off)
{
	return off <= img->size && len <= img->size - off;
}

int native_int_img_pread(struct native_img *img, void *buf, size_t len,
			 uint64_t off)
{
	if (!in_range(img, len, off))
		return io_fail(img, EINVAL, "read", off, len, "past the end");
	if (img->map != NULL)
		return mapped_pread(img, buf, len, off);
	if (img->vhdx != NULL) {
		if (vhdx_pread(img->vhdx, buf, len, off) != VHDX_OK)
			return io_fail(img, EIO, "read", off, len,
				       vhdx_errmsg(img->vhdx));
		return 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(img->fd, (uint8_t *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return io_fail(img, EIO, "read", off, len,
				       n < 0 ? strerror(errno) : "short read");
		done += (size_t)n;
	}
	return 0;
}

int native_int_img_pwrite(struct native_img *img, const void *buf, size_t len,
			  uint64_t off)
{
	if (img->readonly)
		return io_fail(img, EROFS, "write", off, len,
			       "the image was opened read-only");
	if (!in_range(img, len, off))
		return io_fail(img, EINVAL, "write", off, len, "past the end");
	if (img->vhdx != NULL) {
		if (vhdx_pwrite(img->vhdx, buf, len, off) != VHDX_OK)
			return io_fail(img, EIO, "write", off, len,
				       vhdx_errmsg(img->vhdx));
		return 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(img->fd, (const uint8_t *)buf + done,
				   len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return io_fail(img, n < 0 ? errno : EIO, "write", off,
				       len,
				       n < 0 ? strerror(errno) : "short write");
		done += (size_t)n;
	}
	return 0;
}

int native_int_img_flush(struct native_img *img)
{
	if (img->readonly)
		return 0;
	if (img->vhdx != NULL) {
		if (vhdx_flush(img->vhdx) != VHDX_OK)
			return io_fail(img, EIO, "flush", 0, 0,
				       vhdx_errmsg(img->vhdx));
		return 0;
	}
	if (fdatasync(img->fd) != 0)
		return io_fail(img, errno, "flush", 0, 0, strerror(errno));
	return 0;
}

int native_int_img_txn_begin(struct native_img *img)
{
	if (img->readonly || img->vhdx == NULL)
		return 0;
	if (vhdx_txn_begin(img->vhdx) != VHDX_OK)
		return io_fail(img, EIO, "transaction", 0, 0,
			       vhdx_errmsg(img->vhdx));
	return 0;
}

int native_int_img_txn_commit(struct native_img *img, unsigned *groups_ret)
{
	*groups_ret = 0;
	if (img->readonly || img->vhdx == NULL)
		return 0;
	if (vhdx_txn_commit(img->vhdx, groups_ret) != VHDX_OK)
		return io_fail(img, EIO, "transaction", 0, 0,
			       vhdx_errmsg(img->vhdx));
	return 0;
}

uint32_t native_int_img_txn_pending(const struct native_img *img)
{
	return img->vhdx != NULL ? vhdx_txn_pending(img->vhdx) : 0;
}

uint32_t native_int_img_txn_capacity(const struct native_img *img)
{
	return img->vhdx != NULL ? vhdx_txn_capacity(img->vhdx) : 0;
}

int native_int_img_pwrite_unlogged(struct native_img *img, const void *buf,
				   size_t len, uint64_t off)
{
	if (img->vhdx == NULL || img->readonly || !in_range(img, len, off))
		return native_int_img_pwrite(img, buf, len, off);
	if (vhdx_txn_pwrite_unlogged(img->vhdx, buf, len, off) != VHDX_OK)
		return io_fail(img, EIO, "write", off, len,
			       vhdx_errmsg(img->vhdx));
	return 0;
}

int native_int_img_pread_committed(struct native_img *img, void *buf,
				   size_t len, uint64_t off, bool *known_ret)
{
	*known_ret = false;
	if (img->vhdx == NULL || img->readonly || !in_range(img, len, off))
		return 0;
	if (vhdx_txn_pread_committed(img->vhdx, buf, len, off, known_ret) !=
	    VHDX_OK)
		return io_fail(img, EIO, "read", off, len,
			       vhdx_errmsg(img->vhdx));
	return 0;
}

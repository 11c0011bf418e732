/*
 * native_dev.c - a volume as a libntfs-3g device: the byte range of one
 * partition of an image, read and written through native_io.c (and so
 * through vhdx/).  No FUSE, no kernel mount, no qemu.
 *
 * What libntfs-3g asks of a device (libntfs-3g/device.c, volume.c): open
 * with O_RDWR, retrying O_RDONLY when that fails with EROFS (the volume is
 * then read-only); pread and pwrite; one seek and read near the end to
 * check that the volume is not truncated; sync and close at umount; the
 * size through ioctl(BLKGETSIZE64).  open must set NDevOpen and close
 * clear it, or ntfs_device_free() refuses with EBUSY.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>

#include "guest/native_int.h"

struct native_dev {
	struct native_img *img;
	uint64_t start, size;
	enum native_dev_mode mode;
	int64_t pos;
	bool txn_open; /* a transaction spans the operations since the last
			  sync (native_int_dev_op_begin) */
	ntfs_volume *data_vol; /* native_int_dev_data() */
};

static struct native_dev *ND(struct ntfs_device *dev)
{
	return dev->d_private;
}

/* Commits the transaction open over the operations so far; *@groups_ret
 * (may be NULL): how many groups reached the image (0: nothing). */
static int txn_commit(struct native_dev *nd, unsigned *groups_ret)
{
	unsigned groups = 0;
	int r = 0;
	if (nd->txn_open) {
		nd->txn_open = false;
		r = native_int_img_txn_commit(nd->img, &groups);
	}
	if (groups_ret != NULL)
		*groups_ret = groups;
	return r;
}

static int dev_open(struct ntfs_device *dev, int flags)
{
	if (NDevOpen(dev)) {
		errno = EBUSY;
		return -1;
	}
	struct native_dev *nd = ND(dev);
	if ((flags & O_ACCMODE) != O_RDONLY) {
		if (nd->mode == NATIVE_DEV_RO) {
			errno = EROFS;
			return -1;
		}
		NDevClearReadOnly(dev);
	} else {
		NDevSetReadOnly(dev);
	}
	nd->pos = 0;
	NDevSetOpen(dev);
	return 0;
}

static int dev_sync(struct ntfs_device *dev)
{
	struct native_dev *nd = ND(dev);
	if (NDevReadOnly(dev) || nd->mode != NATIVE_DEV_RW) {
		NDevClearDirty(dev);
		return 0;
	}
	/* A commit is durable once it returns (vhdx/txn.c: its log entries
	 * and the header naming them are flushed; what it then wrote in
	 * place a replay redoes): a flush after it would only add an
	 * fdatasync.  Without one, what was written outside a transaction
	 * is flushed. */
	unsigned groups;
	if (txn_commit(nd, &groups) != 0 ||
	    (groups == 0 && native_int_img_flush(nd->img) != 0))
		return -1;
	NDevClearDirty(dev);
	return 0;
}

static int dev_close(struct ntfs_device *dev)
{
	if (!NDevOpen(dev)) {
		errno = EBADF;
		return -1;
	}
	int r = 0;
	if (NDevDirty(dev) || ND(dev)->txn_open)
		r = dev_sync(dev);
	NDevClearOpen(dev);
	return r;
}

static s64 dev_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct native_dev *nd = ND(dev);
	int64_t base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = nd->pos;
		break;
	case SEEK_END:
		base = (int64_t)nd->size;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if ((offset < 0 && -offset > base) ||
	    (offset > 0 && (uint64_t)(base + offset) > nd->size)) {
		errno = EINVAL;
		return -1;
	}
	nd->pos = base + offset;
	return nd->pos;
}

/* Clips [@off, @off + @count) to the volume; the bytes to move, or -1
 * with EINVAL for an impossible request.  A read at the end returns 0
 * bytes, as a read() at the end of a device does. */
static s64 clip(const struct native_dev *nd, s64 count, s64 off)
{
	if (count < 0 || off < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)off >= nd->size)
		return 0;
	uint64_t left = nd->size - (uint64_t)off;
	return (uint64_t)count < left ? count : (s64)left;
}

static s64 dev_pread(struct ntfs_device *dev, void *buf, s64 count, s64 offset)
{
	struct native_dev *nd = ND(dev);
	s64 n = clip(nd, count, offset);
	if (n <= 0)
		return n;
	if (native_int_img_pread(nd->img, buf, (size_t)n,
				 nd->start + (uint64_t)offset) != 0)
		return -1;
	return n;
}

/* Bytes of $Bitmap looked at per read (one per 8 clusters). */
#define BITMAP_CHUNK 4096u

/*
 * Whether [@off, @off + @len) of the volume is whole clusters, every one
 * free in the $Bitmap the last commit left (read past the held pages of
 * the open transaction).  False whenever that cannot be told.
 */
static bool committed_free(struct native_dev *nd, uint64_t off, uint64_t len)
{
	ntfs_volume *vol = nd->data_vol;
	ntfs_attr *bm = vol->lcnbmp_na;
	uint32_t cs = vol->cluster_size;
	if (bm == NULL || !NAttrNonResident(bm) || len == 0 || off % cs != 0 ||
	    len % cs != 0)
		return false;
	uint64_t lcn = off / cs, last = (off + len) / cs - 1;
	if (last >= (uint64_t)vol->nr_clusters)
		return false;
	uint8_t buf[BITMAP_CHUNK];
	while (lcn <= last) {
		/* The bitmap bytes of [lcn, last] inside one bitmap
		 * cluster, at most BITMAP_CHUNK of them. */
		uint64_t byte = lcn / 8;
		uint64_t in = byte % cs;
		uint64_t n = last / 8 - byte + 1;
		if (n > cs - in)
			n = cs - in;
		if (n > BITMAP_CHUNK)
			n = BITMAP_CHUNK;
		LCN where = ntfs_attr_vcn_to_lcn(bm, (VCN)(byte / cs));
		bool known;
		if (where < 0 || (uint64_t)where * cs + in + n > nd->size ||
		    native_int_img_pread_committed(
			    nd->img, buf, (size_t)n,
			    nd->start + (uint64_t)where * cs + in,
			    &known) != 0 ||
		    !known)
			return false;
		for (; lcn <= last && lcn / 8 < byte + n; lcn++)
			if (buf[lcn / 8 - byte] & (1u << (lcn % 8)))
				return false;
	}
	return true;
}

static s64 dev_pwrite(struct ntfs_device *dev, const void *buf, s64 count,
		      s64 offset)
{
	struct native_dev *nd = ND(dev);
	if (NDevReadOnly(dev) || nd->mode == NATIVE_DEV_RO) {
		errno = EROFS;
		return -1;
	}
	s64 n = clip(nd, count, offset);
	if (n < 0)
		return n;
	if (n < count) {
		/* Past the end of the volume: never into the next one. */
		errno = ENOSPC;
		return -1;
	}
	if (n == 0 || nd->mode == NATIVE_DEV_DISCARD)
		return count;
	NDevSetDirty(dev);
	int r;
	if (nd->data_vol != NULL && nd->txn_open &&
	    committed_free(nd, (uint64_t)offset, (uint64_t)n))
		r = native_int_img_pwrite_unlogged(
			nd->img, buf, (size_t)n, nd->start + (uint64_t)offset);
	else
		r = native_int_img_pwrite(nd->img, buf, (size_t)n,
					  nd->start + (uint64_t)offset);
	return r == 0 ? n : -1;
}

static s64 dev_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct native_dev *nd = ND(dev);
	s64 n = dev_pread(dev, buf, count, nd->pos);
	if (n > 0)
		nd->pos += n;
	return n;
}

static s64 dev_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	struct native_dev *nd = ND(dev);
	s64 n = dev_pwrite(dev, buf, count, nd->pos);
	if (n > 0)
		nd->pos += n;
	return n;
}

static int dev_stat(struct ntfs_device *dev, struct stat *st)
{
	struct native_dev *nd = ND(dev);
	memset(st, 0, sizeof(*st));
	/* A regular file: libntfs-3g then sizes it through ioctl and
	 * does not ask for a block device's geometry. */
	st->st_mode = S_IFREG | 0600;
	st->st_size = (off_t)nd->size;
	st->st_blksize = 4096;
	return 0;
}

static int dev_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	struct native_dev *nd = ND(dev);
	switch (request) {
	case BLKGETSIZE64:
		*(uint64_t *)argp = nd->size;
		return 0;
	case BLKGETSIZE:
		*(unsigned long *)argp = (unsigned long)(nd->size / 512);
		return 0;
	case BLKSSZGET:
		*(int *)argp = (int)native_int_img_sector(nd->img);
		return 0;
	case BLKBSZSET:
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static struct ntfs_device_operations native_dev_ops = {
	.open = dev_open,
	.close = dev_close,
	.seek = dev_seek,
	.read = dev_read,
	.write = dev_write,
	.pread = dev_pread,
	.pwrite = dev_pwrite,
	.sync = dev_sync,
	.stat = dev_stat,
	.ioctl = dev_ioctl,
};

struct ntfs_device *native_int_dev_new(struct native_img *img, uint64_t start,
				       uint64_t size, enum native_dev_mode mode,
				       const char *name)
{
	struct native_dev *nd = calloc(1, sizeof(*nd));
	if (nd == NULL)
		return NULL;
	nd->img = img;
	nd->start = start;
	nd->size = size;
	nd->mode = mode;
	struct ntfs_device *dev =
		ntfs_device_alloc(name, 0, &native_dev_ops, nd);
	if (dev == NULL)
		free(nd);
	return dev;
}

int native_int_dev_op_begin(struct ntfs_device *dev)
{
	struct native_dev *nd = ND(dev);
	if (nd->mode != NATIVE_DEV_RW || NDevReadOnly(dev))
		return 0;
	/* Room for an operation of half the capacity: it then never
	 * straddles two groups. */
	if (nd->txn_open &&
	    native_int_img_txn_pending(nd->img) * 2 >
		    native_int_img_txn_capacity(nd->img) &&
	    txn_commit(nd, NULL) != 0)
		return -1;
	if (nd->txn_open)
		return 0;
	if (native_int_img_txn_begin(nd->img) != 0)
		return -1;
	nd->txn_open = true;
	return 0;
}

void native_int_dev_data(struct ntfs_device *dev, ntfs_volume *vol)
{
	ND(dev)->data_vol = native_int_dev_ordered(dev) ? vol : NULL;
}

bool native_int_dev_ordered(struct ntfs_device *dev)
{
	struct native_dev *nd = ND(dev);
	return nd->mode == NATIVE_DEV_RW && !NDevReadOnly(dev) &&
	       native_int_img_txn_capacity(nd->img) > 0;
}

const char *native_int_dev_errmsg(struct ntfs_device *dev)
{
	return native_int_img_errmsg(ND(dev)->img);
}

/* ------------------------------------------------------------------ */
/* Messages.                                                           */
/* ------------------------------------------------------------------ */

static char lastmsg[256];

static int keep_message(const char *function, const char *file, int line,
			u32 level, void *data, const char *format, va_list args)
	__attribute__((format(printf, 6, 0)));

static int keep_message(const char *function, const char *file, int line,
			u32 level, void *data, const char *format, va_list args)
{
	int e = errno;
	if ((level & (NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_PERROR |
		      NTFS_LOG_LEVEL_CRITICAL)) == 0)
		return 0;
	int n = vsnprintf(lastmsg, sizeof(lastmsg), format, args);
	if (n < 0)
		n = 0;
	size_t len = strnlen(lastmsg, sizeof(lastmsg));
	while (len > 0 && (lastmsg[len - 1] == '\n' || lastmsg[len - 1] == ' '))
		lastmsg[--len] = '\0';
	if ((level & NTFS_LOG_LEVEL_PERROR) != 0 && len < sizeof(lastmsg))
		snprintf(lastmsg + len, sizeof(lastmsg) - len, ": %s",
			 strerror(e));
	errno = e;
	return n;
}

void native_int_ntfs_log_init(void)
{
	ntfs_log_set_handler(keep_message);
}

const char *native_int_ntfs_lastmsg(void)
{
	return lastmsg;
}

void native_int_ntfs_lastmsg_clear(void)
{
	lastmsg[0] = '\0';
}

/*
 * native_int.h - the native guest backend (internal): disks through vhdx/,
 * NTFS through libntfs-3g, no appliance.
 *
 * Layers, each calling only those before it (no two files call each
 * other):
 *
 *   native_io.c       one image: a VHDX (with its parent chain, through
 *                     vhdx/) or a raw file; byte reads and writes, flush
 *   native_dev.c      a struct ntfs_device_operations over a byte range of
 *                     an image (one volume), with libntfs-3g's messages
 *   native_path.c     names: UTF-8 <-> UTF-16, case-insensitive lookup,
 *                     walking a normalised guest path to an inode
 *   native_fs.c       guest_fs reads: resolve, stat, read, pread, list,
 *                     sha256(_many), copy_out
 *   native_write.c    guest_fs writes: write_new, put_many, write_atomic,
 *                     copy_in_atomic, mkdir, rename, remove, sync
 *   native_sd.c       guest_fs security descriptors (system.ntfs_acl)
 *   native_disk.c     guest_disk: layout from the partition table, raw
 *                     reads, the read-write probe, mount (the fs ops table)
 *   native_session.c  guest_session on this backend: add, "launch" (open
 *                     and discover), disks, shutdown
 *
 * libntfs-3g keeps no locks; one thread at a time uses a native session.
 */
#ifndef HVO_GUEST_NATIVE_INT_H
#define HVO_GUEST_NATIVE_INT_H

/* libntfs-3g's headers use these types without including them, and define
 * their own struct timespec unless <sys/stat.h> came first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/security.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>

#include "guest/guest_int.h"
#include "vhdx/vhdx.h"

/* ------------------------------------------------------------------ */
/* native_io.c: one image.                                             */
/* ------------------------------------------------------------------ */

struct native_img;

/*
 * Opens @path as @format ("vhdx": through vhdx/, with its whole parent
 * chain, a dirty log replayed in memory when @readonly and in place
 * otherwise; "raw": a plain file).  Parents of a chain are only ever
 * opened read-only by vhdx/; writes reach the leaf alone.  On failure
 * returns a guest_error and a message in @why.
 */
int native_int_img_open(const char *path, const char *format, bool readonly,
			struct native_img **img_ret, char *why, size_t whysize);

/* Where byte @off of a mapped image is on the image under it, and how
 * many bytes from there are contiguous; 0, or -1 when unmapped. */
typedef int (*native_map_fn)(void *ctx, uint64_t off, uint64_t *under_off,
			     uint64_t *contig);

/*
 * A read-only image of @size bytes whose bytes are those of @under that
 * @map gives (an LVM logical volume, native_lvm.c), named @name in
 * messages.  @under and @ctx stay the caller's and outlive it;
 * closing it frees it alone.
 */
int native_int_img_mapped(struct native_img *under, uint64_t size,
			  native_map_fn map, void *ctx, const char *name,
			  struct native_img **img_ret);

/* Flushes (when writable) and closes; returns GUEST_E_IO if the final
 * flush failed (the message in @why, which may be NULL).  NULL is
 * accepted. */
int native_int_img_close(struct native_img *img, char *why, size_t whysize);

uint64_t native_int_img_size(const struct native_img *img);
/* The logical sector size the guest sees: 512 or 4096. */
uint32_t native_int_img_sector(const struct native_img *img);
bool native_int_img_readonly(const struct native_img *img);
/* The vhdx/ handle, or NULL for a raw file. */
struct vhdx_image *native_int_img_vhdx(struct native_img *img);

/*
 * One guest filesystem operation as a VHDX write transaction (vhdx.h,
 * vhdx_txn_begin): its writes reach the image all-or-nothing, or, when
 * they outgrow the log, as groups in order (*@groups_ret > 1; 0 when
 * nothing was held).  No-ops (groups 0: nothing made durable) for a raw
 * file and a read-only image.  0, or -1 with errno
 * set and the message kept on the image.
 */
int native_int_img_txn_begin(struct native_img *img);
int native_int_img_txn_commit(struct native_img *img, unsigned *groups_ret);
/* vhdx_txn_pending() and vhdx_txn_capacity() of the image (0 for raw). */
uint32_t native_int_img_txn_pending(const struct native_img *img);
uint32_t native_int_img_txn_capacity(const struct native_img *img);

/* Whole-length reads and writes; 0 or -1 with errno set (EIO, EROFS,
 * EINVAL past the end) and a message kept on the image. */
int native_int_img_pread(struct native_img *img, void *buf, size_t len,
			 uint64_t off);
int native_int_img_pwrite(struct native_img *img, const void *buf, size_t len,
			  uint64_t off);
int native_int_img_flush(struct native_img *img);
/* vhdx_txn_pwrite_unlogged() and vhdx_txn_pread_committed() (vhdx.h) of
 * a VHDX; for a raw file, a plain write and "cannot be told". */
int native_int_img_pwrite_unlogged(struct native_img *img, const void *buf,
				   size_t len, uint64_t off);
int native_int_img_pread_committed(struct native_img *img, void *buf,
				   size_t len, uint64_t off, bool *known_ret);
/* The last I/O error's message (owned by @img), or "". */
const char *native_int_img_errmsg(const struct native_img *img);

/* ------------------------------------------------------------------ */
/* native_dev.c: a volume as an ntfs_device.                           */
/* ------------------------------------------------------------------ */

enum native_dev_mode {
	NATIVE_DEV_RW = 0,	/* reads and writes reach the image */
	NATIVE_DEV_RO = 1,	/* opened read-only: libntfs-3g mounts ro */
	NATIVE_DEV_DISCARD = 2, /* writes accepted and dropped (the probe) */
};

/*
 * A libntfs-3g device over bytes [@start, @start + @size) of @img, named
 * @name in libntfs-3g's messages.  NULL when out of memory.  The device
 * is freed by ntfs_umount(), or by ntfs_device_free() when the mount
 * failed; its d_private is not (libntfs-3g never frees it): the caller
 * keeps that pointer and frees it afterwards.
 */
struct ntfs_device *native_int_dev_new(struct native_img *img, uint64_t start,
				       uint64_t size, enum native_dev_mode mode,
				       const char *name);

/*
 * Operations of a writable device (no-ops unless NATIVE_DEV_RW) as VHDX
 * write transactions.  One transaction stays open over consecutive
 * operations, committed (as one group: all-or-nothing) when the device
 * is synced or closed, and before an operation that begins while it
 * holds more than half its capacity.  So every operation of at most half
 * the capacity lands whole, operations land in their order, and an
 * operation is durable once the device was synced after it.
 * native_int_dev_op_begin: 0, or -1 (message on the image).
 */
int native_int_dev_op_begin(struct ntfs_device *dev);
/* Whether operations of @dev are transactions (a writable VHDX): they
 * then reach the image in their order, each whole, without a sync
 * between them. */
bool native_int_dev_ordered(struct ntfs_device *dev);
/*
 * Between native_int_dev_data(dev, vol) and native_int_dev_data(dev,
 * NULL), writes of whole clusters that are all free in volume @vol as the
 * last commit left it (its $Bitmap read without the transaction's held
 * pages) go to their place unlogged (vhdx_txn_pwrite_unlogged): a file's
 * data in newly allocated clusters costs no log space, so an operation
 * that writes a large file still fits one transaction.  Clusters freed
 * by the open transaction read as in use there, and are logged.
 */
void native_int_dev_data(struct ntfs_device *dev, ntfs_volume *vol);
/* The image's last I/O error message. */
const char *native_int_dev_errmsg(struct ntfs_device *dev);

/* Installs the library-wide libntfs-3g log handler that keeps the last
 * error message instead of printing it (the library never prints).  */
void native_int_ntfs_log_init(void);
/* The last message libntfs-3g logged at error level, or "". */
const char *native_int_ntfs_lastmsg(void);
void native_int_ntfs_lastmsg_clear(void);

/* ------------------------------------------------------------------ */
/* native_path.c: names and paths.                                     */
/* ------------------------------------------------------------------ */

/* One directory's entries, as listed (cached per filesystem). */
struct native_dent {
	char *name; /* UTF-8, as stored */
	MFT_REF mref;
	unsigned dt_type; /* NTFS_DT_* */
};

struct native_dir {
	u64 ino; /* 0: an empty slot */
	struct native_dent *e;
	size_t n, cap;
};

/* Directories kept listed: the servicing engine looks up hundreds of
 * names in a few directories (System32, drivers, Packages, WinSxS). */
#define NATIVE_DIRCACHE 32

/* The filesystem object of a mounted volume. */
struct native_fs {
	struct guest_fs base;
	ntfs_volume *vol;
	struct native_dir dirs[NATIVE_DIRCACHE];
	unsigned next_slot;
	/* Security descriptors of new files: inherited from the parent
	 * directory, as Windows does (not libntfs-3g's "Everyone" default). */
	struct SECURITY_CONTEXT scx;
	struct PERMISSIONS_CACHE *seccache; /* scx.pseccache points here */
	bool secure_open;
	bool dirty; /* written since the last sync */
};

static inline struct native_fs *native_int_fs(struct guest_fs *fs)
{
	return (struct native_fs *)fs;
}

/* UTF-8 -> UTF-16LE (malloc'ed, *@len_ret units); -1 with errno set. */
int native_int_to_utf16(const char *s, ntfschar **out_ret, int *len_ret);
/* UTF-16LE -> UTF-8 (malloc'ed); NULL with errno set. */
char *native_int_to_utf8(const ntfschar *s, int len);

/* The entries of directory @dir (cached; valid until the next call that
 * may list a directory, or native_int_dir_forget()).  Hidden like
 * ntfs-3g's FUSE driver hides them: DOS 8.3 names, "." and "..", and the
 * metadata files ($MFT, ...).  -1 with errno set on a read error. */
int native_int_dir_get(struct native_fs *nf, ntfs_inode *dir,
		       const struct native_dir **d_ret);
/* Drops directory @ino's cached listing (it was changed). */
void native_int_dir_forget(struct native_fs *nf, u64 ino);
void native_int_dircache_free(struct native_fs *nf);

/*
 * Finds @name in directory @dir without regard to case, as Windows does
 * (guest_name_eq(); names in the POSIX namespace included, which
 * libntfs-3g's own lookup compares case-sensitively).  An exact match
 * wins, then the first match in index order.  Returns the MFT
 * reference, or 0 with *@found false; *@stored_ret (may be NULL) gets the
 * stored spelling (caller frees).  -1 on a read error (errno set).
 */
int native_int_lookup(struct native_fs *nf, ntfs_inode *dir, const char *name,
		      MFT_REF *mref_ret, char **stored_ret);

/*
 * Walks the normalised path @path ("" = the root) and opens its inode in
 * *@ni_ret (caller closes).  GUEST_E_NOENT when a component is missing,
 * GUEST_E_NOTDIR when a non-directory is in the way; the message on @fs.
 * @real_ret (may be NULL) receives the stored spelling.
 */
int native_int_walk(struct native_fs *nf, const char *path, ntfs_inode **ni_ret,
		    char **real_ret);

/* The parent directory of a path, open, and the path's last component
 * (pointing into copy). */
struct native_parent {
	ntfs_inode *dir;
	char *copy;
	const char *base;
};

/* Opens the parent directory of @path into *@p (release it with
 * native_int_parent_close()); on failure *@p holds nothing. */
int native_int_walk_parent(struct native_fs *nf, const char *path,
			   struct native_parent *p);

/* Closes the directory (when still open) and frees the copy. */
void native_int_parent_close(struct native_parent *p);

/* What libntfs-3g said, for messages: its last logged error, else
 * strerror(@e). */
const char *native_int_why(int e);

bool native_int_is_dir(const ntfs_inode *ni);

/* IO_REPARSE_TAG_WOF: Windows Overlay Filter, the reparse tag of files
 * that CompactOS stores compressed (their data lives in the named stream
 * "WofCompressedData"; the unnamed one is empty and sparse). */
#define NATIVE_REPARSE_TAG_WOF 0x80000017u

/* The reparse tag of @ni, or 0 when it is not a reparse point. */
uint32_t native_int_reparse_tag(ntfs_inode *ni);

/* ------------------------------------------------------------------ */
/* native_fs.c / native_write.c: the guest_fs operations.              */
/* ------------------------------------------------------------------ */

int native_int_fs_resolve(struct guest_fs *fs, const char *path,
			  bool may_be_missing, char **real_ret);
int native_int_fs_stat(struct guest_fs *fs, const char *path,
		       struct guest_stat *st);
int native_int_fs_read(struct guest_fs *fs, const char *path, size_t max,
		       uint8_t **buf_ret, size_t *len_ret);
int native_int_fs_pread(struct guest_fs *fs, const char *path, uint64_t off,
			size_t len, uint8_t *buf, size_t *got_ret);
int native_int_fs_list(struct guest_fs *fs, const char *path, char ***names_ret,
		       size_t *n_ret);
int native_int_fs_copy_out(struct guest_fs *fs, const char *path,
			   const char *host_path);
int native_int_fs_sha256(struct guest_fs *fs, const char *path, uint8_t out[32],
			 uint64_t *size_ret);
int native_int_fs_sha256_many(struct guest_fs *fs, const char *const *paths,
			      size_t n, struct guest_digest *out);
/* Opens the regular file @path for reading: its inode and unnamed $DATA.
 * Refuses directories, encrypted and system-compressed files. */
int native_int_open_data(struct native_fs *nf, const char *path,
			 ntfs_inode **ni_ret, ntfs_attr **na_ret);

int native_int_fs_write_atomic(struct guest_fs *fs, const char *path,
			       const void *data, size_t len);
int native_int_fs_copy_in_atomic(struct guest_fs *fs, const char *host_path,
				 const char *path);
int native_int_fs_write_new(struct guest_fs *fs, const char *path,
			    const void *data, size_t len,
			    const char *host_path);
int native_int_fs_put_many(struct guest_fs *fs, const struct guest_put *items,
			   size_t n);
int native_int_fs_mkdir(struct guest_fs *fs, const char *path);
int native_int_fs_rename(struct guest_fs *fs, const char *from, const char *to);
int native_int_fs_remove(struct guest_fs *fs, const char *path);
int native_int_fs_sync(struct guest_fs *fs);
/* Begins one mutating operation (native_int_dev_op_begin); a
 * guest_error. */
int native_int_op_begin(struct native_fs *nf);

/* native_sd.c: security descriptors (system.ntfs_acl). */
int native_int_fs_get_sd(struct guest_fs *fs, const char *path,
			 uint8_t **sd_ret, size_t *len_ret);
int native_int_fs_set_sd(struct guest_fs *fs, const char *path,
			 const uint8_t *sd, size_t len);

/* ------------------------------------------------------------------ */
/* native_disk.c: one image as a guest_disk.                           */
/* ------------------------------------------------------------------ */

/*
 * Opens the image @path (see native_int_img_open) and reads its partition
 * table and volumes.  @name is how messages refer to it; volumes are named
 * @devname ("/dev/sda") plus their partition number, as the appliance
 * names them.  A partition
 * table that cannot be read is reported in the layout (ptable OTHER,
 * problem), as the appliance does; only I/O errors fail here.  The disk
 * is closed with guest_disk_close() unless @owned_by_session.
 */
int native_int_disk_open(const char *path, const char *format, bool readonly,
			 const char *name, const char *devname,
			 bool owned_by_session, struct guest_disk **disk_ret,
			 char *why, size_t whysize);

/* Unmounts every volume and closes the image; returns GUEST_E_IO (message
 * in @why) if a volume or the image did not close cleanly.  The disk
 * stays allocated until guest_disk_close()/native_int_disk_free(). */
int native_int_disk_shutdown(struct guest_disk *disk, char *why,
			     size_t whysize);
void native_int_disk_free(struct guest_disk *disk);

#endif /* HVO_GUEST_NATIVE_INT_H */

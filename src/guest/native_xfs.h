/*
 * native_xfs.h - XFS volumes on the native backend (internal): read-only,
 * in-process, by a reader of our own on a byte range of an image read
 * through native_io.c (and so vhdx/).
 *
 * Why our own reader: XFS is the default root and /boot filesystem of
 * RHEL, CentOS, Rocky, Alma and Oracle Linux, and no packaged library
 * reads it (xfsprogs' libxfs is internal to xfsprogs and not installed).
 * What inspection needs is small: the superblock, inodes, the extent map
 * of a fork (in the inode or in a bmbt), the four directory forms, files
 * and symbolic links.  The on-disk format is the one described in "XFS
 * Algorithms & Data Structures" (the kernel's
 * Documentation/filesystems/xfs/ and xfs-documentation); the files cite
 * its chapters.  Nothing is written, and the log is not replayed: a
 * volume not cleanly unmounted is read as its metadata stands.
 *
 * Files: native_xfs.c (the guest_fs, open and close), native_xfs_core.c
 * (superblock, inodes, extent maps, file bytes), native_xfs_dir.c
 * (directories, path walk), native_xfs_int.h (what they share).
 */
#ifndef HVO_GUEST_NATIVE_XFS_H
#define HVO_GUEST_NATIVE_XFS_H

#include <stddef.h>
#include <stdint.h>

#include "guest/guest_int.h"

struct native_img;

/*
 * What an XFS superblock (@len bytes from the start of a volume) says
 * the volume is: "xfs" (named as blkid names it) when it has XFS's magic,
 * else NULL.  Checks nothing else: opening does.
 */
const char *native_int_xfs_probe(const uint8_t *sb, size_t len);

/*
 * Opens the XFS volume at bytes [@start, @start + @size) of @img
 * read-only and returns it as a guest_fs in *@fs_ret (owned by the
 * caller's disk: closed with native_int_xfs_close()).  Paths are
 * case-sensitive; symbolic links are followed inside the volume (an
 * absolute target starts at the volume's root), never out of it.
 * GUEST_E_MOUNT with the reason in @why when the superblock is not one
 * this reader takes (damaged, checksum wrong, unknown features).
 */
int native_int_xfs_open(struct native_img *img, uint64_t start, uint64_t size,
			const char *name, struct guest_fs **fs_ret, char *why,
			size_t whysize);

/* Closes a volume opened by native_int_xfs_open().  NULL is accepted. */
void native_int_xfs_close(struct guest_fs *fs);

#endif /* HVO_GUEST_NATIVE_XFS_H */

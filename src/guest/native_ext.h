/*
 * native_ext.h - ext2/3/4 volumes on the native backend (internal):
 * read-only, in-process, through libext2fs on a byte range of an image
 * read through native_io.c (and so vhdx/).
 *
 * Why libext2fs: it is e2fsprogs' own library, the reference reader and
 * writer of the format (e2fsck, debugfs, mke2fs and fuse2fs are built on
 * it), packaged everywhere (Debian: libext2fs-dev), and it takes a custom
 * io_manager, so the volume never meets a kernel driver, a loop device or
 * FUSE.  A reader of our own would repeat extents, htree directories,
 * inline data and checksums for nothing.
 *
 * Kept apart from native_int.h so that libext2fs' headers and
 * libntfs-3g's never meet in one file.
 */
#ifndef HVO_GUEST_NATIVE_EXT_H
#define HVO_GUEST_NATIVE_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "guest/guest_int.h"

struct native_img;

/* Where an ext superblock sits in a volume, and how long it is. */
#define NATIVE_EXT_SB_OFFSET 1024u
#define NATIVE_EXT_SB_SIZE   1024u

/*
 * What an ext superblock (@len bytes from NATIVE_EXT_SB_OFFSET of a
 * volume) says the volume is, named as blkid names it: "ext4", "ext3",
 * "ext2", "jbd" (an external journal), or NULL when it is not one.
 */
const char *native_int_ext_probe(const uint8_t *sb, size_t len);

/*
 * Opens the ext volume at bytes [@start, @start + @size) of @img
 * read-only and returns it as a guest_fs in *@fs_ret (owned by the
 * caller's disk: closed with native_int_ext_close()).  Paths are
 * case-sensitive, as Linux has them; symbolic links are followed inside
 * the volume (an absolute target starts at the volume's root), never out
 * of it.  GUEST_E_MOUNT with the reason in @why when libext2fs refuses.
 */
int native_int_ext_open(struct native_img *img, uint64_t start, uint64_t size,
			const char *name, struct guest_fs **fs_ret, char *why,
			size_t whysize);

/* Closes a volume opened by native_int_ext_open().  NULL is accepted. */
void native_int_ext_close(struct guest_fs *fs);

#endif /* HVO_GUEST_NATIVE_EXT_H */

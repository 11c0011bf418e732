/*
 * native_xfs_int.h - what the files of the XFS reader share (internal;
 * see native_xfs.h).
 *
 * Every number read from the volume is big-endian (XFS Algorithms & Data
 * Structures, "Common XFS Types") and is checked against the volume
 * before it is used as an offset, a length or a count.
 */
#ifndef HVO_GUEST_NATIVE_XFS_INT_H
#define HVO_GUEST_NATIVE_XFS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct native_img;

static inline uint16_t xfs_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t xfs_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t xfs_be64(const uint8_t *p)
{
	return (uint64_t)xfs_be32(p) << 32 | xfs_be32(p + 4);
}

/* The longest symbolic link target (XFS_SYMLINK_MAXLEN, MAXPATHLEN). */
#define XFS_INT_MAX_LINK 1024u

/* The most extents one fork is read with: 16 MiB of map.  A real file
 * has a few; a hostile inode may claim 2^32. */
#define XFS_INT_MAX_EXTENTS (1u << 20)

/* The mounted volume: what the superblock says ("Superblocks"). */
struct xfs_vol {
	struct native_img *img;
	uint64_t start, size; /* the byte range of the image */
	uint32_t blocksize;
	unsigned blocklog;
	uint32_t agblocks, agcount;
	unsigned agblklog, inopblog;
	uint32_t inodesize;
	uint32_t dirblksize; /* blocksize << sb_dirblklog */
	unsigned dirblklog;
	uint64_t dblocks, rootino;
	bool v5;    /* CRCs and self-describing metadata */
	bool ftype; /* directory entries carry the file type */
	uint8_t uuid
		[16];  /* what v5 metadata carries: sb_meta_uuid or sb_uuid */
	char why[256]; /* the last failure */
};

/* Inode formats (xfs_dinode_fmt_t). */
enum {
	XFS_INT_FMT_DEV = 0,
	XFS_INT_FMT_LOCAL = 1,
	XFS_INT_FMT_EXTENTS = 2,
	XFS_INT_FMT_BTREE = 3,
};

/* Mode bits (the kernel's S_IFMT). */
#define XFS_INT_IFMT  0170000u
#define XFS_INT_IFDIR 0040000u
#define XFS_INT_IFREG 0100000u
#define XFS_INT_IFLNK 0120000u

/* An inode: its core and a copy of its data fork ("On-disk Inode"). */
struct xfs_inode {
	uint64_t ino;
	uint16_t mode;
	uint8_t format;
	uint64_t size;
	uint64_t nextents;
	uint8_t fork[2048]; /* the data fork's literal area */
	uint32_t forksize;
};

/* A mapping of file blocks [off, off + len) to volume blocks (fsb). */
struct xfs_ext {
	uint64_t off, fsb, len;
	bool unwritten; /* allocated, never written: reads as zeros */
};

/* Records a failure in @v->why and returns @err (a guest_error). */
int xfs_int_fail(struct xfs_vol *v, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reads the superblock of the volume at [@start, @start + @size) of
 * @img into @v. */
int xfs_int_mount(struct xfs_vol *v, struct native_img *img, uint64_t start,
		  uint64_t size);

/* Reads inode @ino. */
int xfs_int_inode(struct xfs_vol *v, uint64_t ino, struct xfs_inode *ip);

/* The data fork's extent map of @ip (extents or btree format), sorted
 * and checked: *@ext_ret (caller frees) of *@n_ret. */
int xfs_int_extents(struct xfs_vol *v, const struct xfs_inode *ip,
		    struct xfs_ext **ext_ret, size_t *n_ret);

/* Reads @len bytes at byte @off of the data mapped by @ext (holes and
 * unwritten extents read as zeros). */
int xfs_int_read_mapped(struct xfs_vol *v, const struct xfs_ext *ext, size_t n,
			uint64_t off, size_t len, uint8_t *buf);

/* Whether the CRC-32C at @crc_off of @buf (of @len) is right (v5). */
bool xfs_int_crc_ok(const uint8_t *buf, size_t len, size_t crc_off);

/* A directory entry met by xfs_int_dir_iter(). */
typedef int (*xfs_dirent_fn)(void *ctx, const uint8_t *name, size_t len,
			     uint64_t ino);

/* Calls @fn for every entry of directory @dir but "." and "..", in any
 * form; stops early when @fn returns non-zero, and returns that (a
 * negative value, so as not to be taken for a guest_error). */
int xfs_int_dir_iter(struct xfs_vol *v, const struct xfs_inode *dir,
		     xfs_dirent_fn fn, void *ctx);

/* The inode of normalised @path ("" is the root), links in the middle
 * followed, the last one too when @follow. */
int xfs_int_namei(struct xfs_vol *v, const char *path, bool follow,
		  struct xfs_inode *ip);

/* The target of symbolic link @ip (malloc'ed, NUL-terminated). */
int xfs_int_readlink(struct xfs_vol *v, const struct xfs_inode *ip,
		     char **target);

#endif /* HVO_GUEST_NATIVE_XFS_INT_H */

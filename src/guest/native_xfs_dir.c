/*
 * native_xfs_dir.c - XFS directories, symbolic links and the path walk
 * (see native_xfs.h).  Section names are those of "XFS Algorithms & Data
 * Structures", chapter "Directories".
 *
 * Every form but the short form keeps its entries in directory data
 * blocks below XFS_DIR2_LEAF_OFFSET (32 GiB into the fork); the leaf,
 * node and free-index blocks above it only index them (by name hash and
 * free space).  So a listing, and a lookup, read the data blocks of the
 * block, leaf, node and btree forms alike; names are compared bytewise
 * (case-sensitive, as Linux has them), which needs no hash.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "guest/guest.h"
#include "guest/native_xfs_int.h"

/* ------------------------------------------------------------------ */
/* "Shortform Directories" (xfs_dir2_sf_hdr, xfs_dir2_sf_entry).       */
/* ------------------------------------------------------------------ */

/* A directory entry that does not fit where it is, at byte @at. */
static int damaged(struct xfs_vol *v, const struct xfs_inode *dir,
		   const char *what, size_t at)
{
	return xfs_int_fail(v, GUEST_E_IO, "directory %llu: damaged %s at %zu",
			    (unsigned long long)dir->ino, what, at);
}

static int sf_iter(struct xfs_vol *v, const struct xfs_inode *dir,
		   xfs_dirent_fn fn, void *ctx)
{
	const uint8_t *b = dir->fork;
	uint64_t size = dir->size;
	if (size < 6 || size > dir->forksize)
		return xfs_int_fail(v, GUEST_E_IO,
				    "directory %llu: short form of %llu bytes",
				    (unsigned long long)dir->ino,
				    (unsigned long long)size);
	unsigned count = b[0], i8 = b[1];
	size_t inosize = i8 ? 8 : 4;
	size_t p = 2 + inosize; /* count, i8count, parent */
	for (unsigned i = 0; i < count; i++) {
		/* namelen, offset (2), name, [ftype], inumber */
		if (p + 3 > size)
			goto bad;
		size_t namelen = b[p];
		size_t ent = 3 + namelen + (v->ftype ? 1 : 0) + inosize;
		if (namelen == 0 || ent > size - p)
			goto bad;
		const uint8_t *in = b + p + 3 + namelen + (v->ftype ? 1 : 0);
		uint64_t ino = i8 ? xfs_be64(in) : xfs_be32(in);
		int r = fn(ctx, b + p + 3, namelen, ino);
		if (r != 0)
			return r;
		p += ent;
	}
	return GUEST_OK;
bad:
	return damaged(v, dir, "short-form entry", p);
}

/* ------------------------------------------------------------------ */
/* "Block Directories", "Leaf Directories", "Node Directories": data    */
/* blocks (xfs_dir2_data_hdr / xfs_dir3_data_hdr, xfs_dir2_data_entry). */
/* ------------------------------------------------------------------ */

#define XD2B_MAGIC  0x58443242u /* "XD2B": a block directory, v4 */
#define XD2D_MAGIC  0x58443244u /* "XD2D": a data block, v4 */
#define XDB3_MAGIC  0x58444233u /* "XDB3": a block directory, v5 */
#define XDD3_MAGIC  0x58444433u /* "XDD3": a data block, v5 */
#define DATA_HDR_V4 16		/* magic, 3 bestfree */
#define DATA_HDR_V5 64		/* xfs_dir3_blk_hdr, bestfree, pad */
#define DIR3_CRC    4
#define DIR3_UUID   24
#define DIR3_OWNER  40
#define FREE_TAG    0xffffu
/* XFS_DIR2_LEAF_OFFSET: where the leaf and free blocks start. */
#define LEAF_OFFSET_BYTES (32ull << 30)

/* The entries of one data block @b of @len bytes (a block directory's
 * too, its leaf and tail at the end left out). */
static int data_block(struct xfs_vol *v, const struct xfs_inode *dir,
		      const uint8_t *b, size_t len, xfs_dirent_fn fn, void *ctx)
{
	uint32_t magic = xfs_be32(b);
	bool block = magic == (v->v5 ? XDB3_MAGIC : XD2B_MAGIC);
	if (!block && magic != (v->v5 ? XDD3_MAGIC : XD2D_MAGIC))
		return xfs_int_fail(v, GUEST_E_IO,
				    "directory %llu: not a data block",
				    (unsigned long long)dir->ino);
	if (v->v5 && (!xfs_int_crc_ok(b, len, DIR3_CRC) ||
		      xfs_be64(b + DIR3_OWNER) != dir->ino ||
		      memcmp(b + DIR3_UUID, v->uuid, 16) != 0))
		return xfs_int_fail(v, GUEST_E_IO,
				    "directory %llu: block checksum or owner "
				    "mismatch",
				    (unsigned long long)dir->ino);
	size_t p = v->v5 ? DATA_HDR_V5 : DATA_HDR_V4;
	size_t end = len;
	if (block) {
		/* xfs_dir2_block_tail (count, stale) ends the block; the
		 * leaf entries (8 bytes each) come before it. */
		uint64_t count = xfs_be32(b + len - 8);
		if (count > (len - p - 8) / 8)
			return xfs_int_fail(v, GUEST_E_IO,
					    "directory %llu: damaged block "
					    "tail",
					    (unsigned long long)dir->ino);
		end = len - 8 - (size_t)count * 8;
	}
	while (p + 8 <= end) {
		if (xfs_be16(b + p) == FREE_TAG) {
			/* xfs_dir2_data_unused: tag, length, ..., tag */
			size_t ulen = xfs_be16(b + p + 2);
			if (ulen < 8 || ulen % 8 != 0 || ulen > end - p)
				goto bad;
			p += ulen;
			continue;
		}
		/* inumber, namelen, name, [ftype], tag; 8-byte aligned,
		 * 16 bytes at least */
		if (end - p < 16)
			goto bad;
		size_t namelen = b[p + 8];
		size_t ent = (8 + 1 + namelen + (v->ftype ? 1 : 0) + 2 + 7) &
			     ~(size_t)7;
		if (namelen == 0 || ent > end - p)
			goto bad;
		const uint8_t *name = b + p + 9;
		bool dot = (namelen == 1 && name[0] == '.') ||
			   (namelen == 2 && name[0] == '.' && name[1] == '.');
		if (!dot) {
			int r = fn(ctx, name, namelen, xfs_be64(b + p));
			if (r != 0)
				return r;
		}
		p += ent;
	}
	return GUEST_OK;
bad:
	return damaged(v, dir, "entry", p);
}

/* The extent map of @ip's data fork and a buffer of @size bytes to read
 * it through (both the caller's to free). */
static int mapped(struct xfs_vol *v, const struct xfs_inode *ip, size_t size,
		  struct xfs_ext **ext, size_t *n, uint8_t **buf)
{
	int r = xfs_int_extents(v, ip, ext, n);
	if (r != GUEST_OK)
		return r;
	*buf = malloc(size);
	if (*buf == NULL) {
		free(*ext);
		return xfs_int_fail(v, GUEST_E_NOMEM, "out of memory");
	}
	return GUEST_OK;
}

static int blocks_iter(struct xfs_vol *v, const struct xfs_inode *dir,
		       xfs_dirent_fn fn, void *ctx)
{
	struct xfs_ext *ext;
	size_t n;
	uint8_t *b;
	int r = mapped(v, dir, v->dirblksize, &ext, &n, &b);
	if (r != GUEST_OK)
		return r;
	uint64_t leaf = LEAF_OFFSET_BYTES >> v->blocklog;
	uint64_t per = 1ull << v->dirblklog; /* blocks per directory block */
	uint64_t next = 0, read = 0; /* first directory block not read */
	for (size_t i = 0; i < n && r == GUEST_OK; i++) {
		uint64_t first = ext[i].off / per;
		uint64_t endb = ext[i].off + ext[i].len;
		if (endb > leaf)
			endb = leaf;
		for (uint64_t db = first > next ? first : next;
		     db * per < endb && r == GUEST_OK; db++) {
			/* Each block once, and no more of them than the
			 * volume has. */
			if (++read > v->dblocks) {
				r = xfs_int_fail(v, GUEST_E_IO,
						 "directory %llu: too many "
						 "blocks",
						 (unsigned long long)dir->ino);
				break;
			}
			r = xfs_int_read_mapped(v, ext, n, db * v->dirblksize,
						v->dirblksize, b);
			if (r == GUEST_OK)
				r = data_block(v, dir, b, v->dirblksize, fn,
					       ctx);
			next = db + 1;
		}
	}
	free(b);
	free(ext);
	return r;
}

int xfs_int_dir_iter(struct xfs_vol *v, const struct xfs_inode *dir,
		     xfs_dirent_fn fn, void *ctx)
{
	if ((dir->mode & XFS_INT_IFMT) != XFS_INT_IFDIR)
		return xfs_int_fail(v, GUEST_E_NOTDIR, "not a directory");
	if (dir->format == XFS_INT_FMT_LOCAL)
		return sf_iter(v, dir, fn, ctx);
	return blocks_iter(v, dir, fn, ctx);
}

/* ------------------------------------------------------------------ */
/* "Symbolic Links": in the inode, or in blocks (v5: xfs_dsymlink_hdr  */
/* before each block's part of the target).                            */
/* ------------------------------------------------------------------ */

#define XSLM_MAGIC  0x58534c4du /* "XSLM" */
#define SYMLINK_HDR 56
#define SL_OFFSET   4
#define SL_BYTES    8
#define SL_CRC	    12
#define SL_UUID	    16
#define SL_OWNER    32

static int remote_link(struct xfs_vol *v, const struct xfs_inode *ip, char *out,
		       size_t size)
{
	struct xfs_ext *ext;
	size_t n;
	uint8_t *b;
	int r = mapped(v, ip, v->blocksize, &ext, &n, &b);
	if (r != GUEST_OK)
		return r;
	size_t got = 0;
	for (uint64_t blk = 0; got < size && r == GUEST_OK; blk++) {
		r = xfs_int_read_mapped(v, ext, n, blk << v->blocklog,
					v->blocksize, b);
		if (r != GUEST_OK)
			break;
		if (!v->v5) {
			size_t take = size - got < v->blocksize ? size - got
								: v->blocksize;
			memcpy(out + got, b, take);
			got += take;
			continue;
		}
		size_t bytes = xfs_be32(b + SL_BYTES);
		if (xfs_be32(b) != XSLM_MAGIC ||
		    !xfs_int_crc_ok(b, v->blocksize, SL_CRC) ||
		    xfs_be64(b + SL_OWNER) != ip->ino ||
		    memcmp(b + SL_UUID, v->uuid, 16) != 0 ||
		    xfs_be32(b + SL_OFFSET) != got || bytes == 0 ||
		    bytes > v->blocksize - SYMLINK_HDR || bytes > size - got)
			r = xfs_int_fail(v, GUEST_E_IO,
					 "symbolic link %llu: damaged block",
					 (unsigned long long)ip->ino);
		else {
			memcpy(out + got, b + SYMLINK_HDR, bytes);
			got += bytes;
		}
	}
	free(b);
	free(ext);
	return r;
}

int xfs_int_readlink(struct xfs_vol *v, const struct xfs_inode *ip,
		     char **target)
{
	*target = NULL;
	if ((ip->mode & XFS_INT_IFMT) != XFS_INT_IFLNK)
		return xfs_int_fail(v, GUEST_E_UNSUPPORTED,
				    "not a symbolic link");
	if (ip->size == 0 || ip->size > XFS_INT_MAX_LINK)
		return xfs_int_fail(v, GUEST_E_IO,
				    "a link target of %llu bytes",
				    (unsigned long long)ip->size);
	size_t size = (size_t)ip->size;
	char *buf = malloc(size + 1);
	if (buf == NULL)
		return xfs_int_fail(v, GUEST_E_NOMEM, "out of memory");
	int r = GUEST_OK;
	if (ip->format == XFS_INT_FMT_LOCAL) {
		if (size > ip->forksize)
			r = xfs_int_fail(v, GUEST_E_IO,
					 "damaged link in the inode");
		else
			memcpy(buf, ip->fork, size);
	} else {
		r = remote_link(v, ip, buf, size);
	}
	buf[size] = '\0';
	if (r == GUEST_OK && strlen(buf) != size)
		r = xfs_int_fail(v, GUEST_E_IO, "a NUL in the link target");
	if (r != GUEST_OK) {
		free(buf);
		return r;
	}
	*target = buf;
	return GUEST_OK;
}

/* ------------------------------------------------------------------ */
/* The path walk.                                                      */
/* ------------------------------------------------------------------ */

/* The kernel's limit on links followed in one walk (MAXSYMLINKS). */
#define MAX_LINKS 40
#define MAX_DEPTH 256
#define MAX_PATH  4096

struct find {
	const char *name;
	size_t len;
	uint64_t ino;
	bool found;
};

static int find_one(void *ctx, const uint8_t *name, size_t len, uint64_t ino)
{
	struct find *f = ctx;
	if (len != f->len || memcmp(name, f->name, len) != 0)
		return 0;
	f->ino = ino;
	f->found = true;
	return -1; /* stop */
}

/* Replaces what is left of the walk (@rest) by @target/@rest in @cur. */
static bool splice(char *cur, const char *target, const char *rest)
{
	char next[MAX_PATH];
	size_t t = strlen(target), n = strlen(rest);
	if (t + 1 + n + 1 > sizeof(next))
		return false;
	memcpy(next, target, t);
	next[t] = '/';
	memcpy(next + t + 1, rest, n + 1);
	memcpy(cur, next, t + n + 2);
	return true;
}

int xfs_int_namei(struct xfs_vol *v, const char *path, bool follow,
		  struct xfs_inode *ip)
{
	char cur[MAX_PATH];
	uint64_t stack[MAX_DEPTH];
	size_t depth = 1;
	int links = 0;
	if (strlen(path) >= sizeof(cur))
		return xfs_int_fail(v, GUEST_E_NOENT, "path too long");
	memcpy(cur, path, strlen(path) + 1);
	stack[0] = v->rootino;
	const char *p = cur;
	int r = xfs_int_inode(v, stack[0], ip);
	while (r == GUEST_OK) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *rest = p + n;
		while (*rest == '/')
			rest++;
		if (n == 1 && p[0] == '.') {
			p = rest;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			depth -= depth > 1;
			r = xfs_int_inode(v, stack[depth - 1], ip);
			p = rest;
			continue;
		}
		/* @ip is the directory the component is looked up in. */
		if ((ip->mode & XFS_INT_IFMT) != XFS_INT_IFDIR)
			return xfs_int_fail(v, GUEST_E_NOTDIR,
					    "not a directory");
		struct find f = { .name = p, .len = n };
		r = xfs_int_dir_iter(v, ip, find_one, &f);
		if (r != GUEST_OK && r != -1)
			return r;
		if (!f.found)
			return xfs_int_fail(v, GUEST_E_NOENT,
					    "no such file or directory");
		r = xfs_int_inode(v, f.ino, ip);
		if (r != GUEST_OK)
			return r;
		bool link = (ip->mode & XFS_INT_IFMT) == XFS_INT_IFLNK;
		if (link && (*rest != '\0' || follow)) {
			char *target;
			if (++links > MAX_LINKS)
				return xfs_int_fail(v, GUEST_E_NOENT,
						    "too many levels of "
						    "symbolic links");
			r = xfs_int_readlink(v, ip, &target);
			if (r != GUEST_OK)
				return r;
			if (target[0] == '/')
				depth = 1;
			bool ok = splice(cur, target, rest);
			free(target);
			if (!ok)
				return xfs_int_fail(v, GUEST_E_NOENT,
						    "path too long");
			p = cur;
			r = xfs_int_inode(v, stack[depth - 1], ip);
			continue;
		}
		if (depth == MAX_DEPTH)
			return xfs_int_fail(v, GUEST_E_NOENT, "path too deep");
		stack[depth++] = f.ino;
		p = rest;
	}
	return r;
}

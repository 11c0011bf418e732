/*
 * native_xfs.c - an XFS volume as a read-only guest_fs (see native_xfs.h
 * for why a reader of our own, native_xfs_core.c and native_xfs_dir.c
 * for the format).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/native_xfs.h"
#include "guest/native_ro.h"
#include "guest/native_xfs_int.h"

/* The largest regular file read: a sparse file may claim 8 EiB, and
 * copying out its zeros would never end. */
#define XFS_MAX_FILE (1ull << 40)

/* Parameters a callback must take and does not use. */
#define UNUSED __attribute__((unused))

const char *native_int_xfs_probe(const uint8_t *sb, size_t len)
{
	/* "Superblocks": sb_magicnum.  A damaged superblock is still
	 * named, so that opening it says what is wrong. */
	return len >= 4 && xfs_be32(sb) == 0x58465342u ? "xfs" : NULL;
}

struct xfs_fs {
	struct guest_fs base;
	struct xfs_vol vol;
};

static struct xfs_vol *XV(struct guest_fs *fs)
{
	return &((struct xfs_fs *)fs)->vol;
}

/* Copies the volume's last failure into @fs's error, for @path. */
static int failed(struct guest_fs *fs, const char *path, int r)
{
	return guest_int_fs_fail(fs, r, "%s: %s", path[0] ? path : "/",
				 XV(fs)->why);
}

static bool is_type(const struct xfs_inode *ip, unsigned type)
{
	return (ip->mode & XFS_INT_IFMT) == type;
}

/* The inode of @path, which must be of @type (0: any). */
static int lookup(struct guest_fs *fs, const char *path, bool follow,
		  unsigned type, struct xfs_inode *ip)
{
	int r = xfs_int_namei(XV(fs), path, follow, ip);
	if (r != GUEST_OK)
		return failed(fs, path, r);
	if (type == 0 || is_type(ip, type))
		return GUEST_OK;
	if (type == XFS_INT_IFDIR)
		return guest_int_fs_fail(fs, GUEST_E_NOTDIR,
					 "%s: not a directory", path);
	if (type == XFS_INT_IFREG && is_type(ip, XFS_INT_IFDIR))
		return guest_int_fs_fail(fs, GUEST_E_ISDIR,
					 "%s: is a directory", path);
	return guest_int_fs_fail(fs, GUEST_E_UNSUPPORTED, "%s: not a %s", path,
				 type == XFS_INT_IFLNK ? "symbolic link"
						       : "regular file");
}

static int xfs_resolve(struct guest_fs *fs, const char *path,
		       bool may_be_missing, char **real_ret)
{
	struct xfs_inode *ip = malloc(sizeof(*ip));
	*real_ret = NULL;
	if (ip == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	int r = lookup(fs, path, false, 0, ip);
	if (r == GUEST_E_NOENT && may_be_missing) {
		/* The parent must be there. */
		char *copy;
		const char *dir, *base;
		r = guest_int_path_split(path, &copy, &dir, &base);
		if (r == GUEST_OK) {
			r = lookup(fs, dir, true, XFS_INT_IFDIR, ip);
			free(copy);
		}
	}
	free(ip);
	if (r != GUEST_OK)
		return r;
	/* Names are case-sensitive: the stored spelling is the one asked. */
	*real_ret = strdup(path);
	return *real_ret
		       ? GUEST_OK
		       : guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
}

static int xfs_stat(struct guest_fs *fs, const char *path,
		    struct guest_stat *st)
{
	struct xfs_inode ip;
	int r = lookup(fs, path, false, 0, &ip);
	if (r != GUEST_OK)
		return r;
	st->type = is_type(&ip, XFS_INT_IFREG)	 ? GUEST_FT_FILE
		   : is_type(&ip, XFS_INT_IFDIR) ? GUEST_FT_DIR
						 : GUEST_FT_OTHER;
	st->size = ip.size;
	return GUEST_OK;
}

/* An open regular file: its size and extent map. */
struct xfs_file {
	struct xfs_inode ip;
	struct xfs_ext *ext;
	size_t n;
};

static int open_file(struct guest_fs *fs, const char *path, struct xfs_file *f)
{
	f->ext = NULL;
	f->n = 0;
	int r = lookup(fs, path, true, XFS_INT_IFREG, &f->ip);
	if (r != GUEST_OK)
		return r;
	if (f->ip.size > XFS_MAX_FILE)
		return guest_int_fs_fail(fs, GUEST_E_TOO_BIG, "%s: %llu bytes",
					 path, (unsigned long long)f->ip.size);
	/* A file of no extents may be kept as extents or, empty, as
	 * local (mkfs's protofile leaves some so). */
	if (f->ip.format == XFS_INT_FMT_LOCAL && f->ip.size == 0)
		return GUEST_OK;
	r = xfs_int_extents(XV(fs), &f->ip, &f->ext, &f->n);
	return r == GUEST_OK ? r : failed(fs, path, r);
}

/* Reads up to @len bytes at @off (short at the end of the file). */
static int read_at(struct guest_fs *fs, const char *path,
		   const struct xfs_file *f, uint64_t off, size_t len,
		   uint8_t *buf, size_t *got_ret)
{
	*got_ret = 0;
	if (off >= f->ip.size)
		return GUEST_OK;
	if (len > f->ip.size - off)
		len = (size_t)(f->ip.size - off);
	int r = xfs_int_read_mapped(XV(fs), f->ext, f->n, off, len, buf);
	if (r != GUEST_OK)
		return failed(fs, path, r);
	*got_ret = len;
	return GUEST_OK;
}

static int xfs_read(struct guest_fs *fs, const char *path, size_t max,
		    uint8_t **buf_ret, size_t *len_ret)
{
	*buf_ret = NULL;
	struct xfs_file *f = malloc(sizeof(*f));
	if (f == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	int r = open_file(fs, path, f);
	uint8_t *buf = NULL;
	if (r == GUEST_OK && f->ip.size > max)
		r = guest_int_fs_fail(fs, GUEST_E_TOO_BIG,
				      "%s: %llu bytes, more than %zu", path,
				      (unsigned long long)f->ip.size, max);
	if (r == GUEST_OK && (buf = malloc((size_t)f->ip.size + 1)) == NULL)
		r = guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
				      path);
	if (r == GUEST_OK)
		r = read_at(fs, path, f, 0, (size_t)f->ip.size, buf, len_ret);
	free(f->ext);
	free(f);
	if (r != GUEST_OK) {
		free(buf);
		return r;
	}
	buf[*len_ret] = '\0';
	*buf_ret = buf;
	return GUEST_OK;
}

static int xfs_pread(struct guest_fs *fs, const char *path, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret)
{
	*got_ret = 0;
	struct xfs_file *f = malloc(sizeof(*f));
	if (f == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	int r = open_file(fs, path, f);
	if (r == GUEST_OK)
		r = read_at(fs, path, f, off, len, buf, got_ret);
	free(f->ext);
	free(f);
	return r;
}

/* A name as Linux makes them: no NUL, no '/'. */
static int list_one(void *ctx, const uint8_t *name, size_t len,
		    uint64_t ino UNUSED)
{
	struct native_ro_names *l = ctx;
	if (memchr(name, '\0', len) != NULL || memchr(name, '/', len) != NULL) {
		l->err = GUEST_E_IO;
		return -1;
	}
	return native_int_ro_names_add(l, (const char *)name, len) ? 0 : -1;
}

static int xfs_list(struct guest_fs *fs, const char *path, char ***names_ret,
		    size_t *n_ret)
{
	struct xfs_inode ip;
	int r = lookup(fs, path, true, XFS_INT_IFDIR, &ip);
	if (r != GUEST_OK)
		return r;
	struct native_ro_names l = { 0 };
	r = xfs_int_dir_iter(XV(fs), &ip, list_one, &l);
	if (r != GUEST_OK || l.err != GUEST_OK) {
		guest_names_free(l.names, l.n);
		if (l.err != GUEST_OK)
			return guest_int_fs_fail(
				fs, l.err, "%s: %s", path,
				l.err == GUEST_E_TOO_BIG ? "too many directory "
							   "entries"
				: l.err == GUEST_E_NOMEM ? "out of memory"
							 : "a damaged name (a "
							   "NUL or '/' in it)");
		return failed(fs, path, r);
	}
	*names_ret = l.names; /* fs.c sorts them */
	*n_ret = l.n;
	return GUEST_OK;
}

static int xfs_readlink(struct guest_fs *fs, const char *path, char **target)
{
	struct xfs_inode ip;
	int r = lookup(fs, path, false, XFS_INT_IFLNK, &ip);
	if (r != GUEST_OK)
		return r;
	r = xfs_int_readlink(XV(fs), &ip, target);
	return r == GUEST_OK ? r : failed(fs, path, r);
}

struct copy {
	struct guest_fs *fs;
	const char *path;
	const struct xfs_file *f;
};

static int copy_read(void *ctx, uint64_t off, size_t len, uint8_t *buf,
		     size_t *got)
{
	struct copy *c = ctx;
	return read_at(c->fs, c->path, c->f, off, len, buf, got);
}

static int xfs_copy_out(struct guest_fs *fs, const char *path,
			const char *host_path)
{
	struct xfs_file *f = malloc(sizeof(*f));
	if (f == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	int r = open_file(fs, path, f);
	struct copy c = { fs, path, f };
	if (r == GUEST_OK)
		r = native_int_ro_copy_out(fs, host_path, f->ip.size, copy_read,
					   &c);
	free(f->ext);
	free(f);
	return r;
}

static const struct guest_fs_ops xfs_fs_ops = {
	.resolve = xfs_resolve,
	.stat = xfs_stat,
	.read = xfs_read,
	.pread = xfs_pread,
	.write_atomic = native_int_ro_write_atomic,
	.mkdir = native_int_ro_mkdir,
	.list = xfs_list,
	.rename = native_int_ro_rename,
	.remove = native_int_ro_remove,
	.copy_out = xfs_copy_out,
	.copy_in_atomic = native_int_ro_copy_in_atomic,
	.close = native_int_ro_close,
	.readlink = xfs_readlink,
};

int native_int_xfs_open(struct native_img *img, uint64_t start, uint64_t size,
			const char *name, struct guest_fs **fs_ret, char *why,
			size_t whysize)
{
	*fs_ret = NULL;
	struct xfs_fs *xf = calloc(1, sizeof(*xf));
	if (xf == NULL) {
		snprintf(why, whysize, "out of memory");
		return GUEST_E_NOMEM;
	}
	int r = xfs_int_mount(&xf->vol, img, start, size);
	if (r != GUEST_OK) {
		snprintf(why, whysize, "%s: %s", name, xf->vol.why);
		free(xf);
		return r == GUEST_E_NOMEM ? r : GUEST_E_MOUNT;
	}
	xf->base.ops = &xfs_fs_ops;
	xf->base.readonly = true;
	xf->base.owned_by_disk = true;
	snprintf(xf->base.name, sizeof(xf->base.name), "%s", name);
	*fs_ret = &xf->base;
	return GUEST_OK;
}

void native_int_xfs_close(struct guest_fs *fs)
{
	free(fs);
}

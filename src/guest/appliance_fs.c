/*
 * appliance_fs.c - the guest_fs operations of the libguestfs backend:
 * reads, atomic writes (temp name beside the target, then rename), and
 * directory operations, keeping the listings of appliance_path.c current.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/appliance_int.h"

/* The path an operation works on: the appliance's handle and
 * the path resolved in it (guest_int_app_resolve_full). */
struct app_path {
	guestfs_h *g;
	const char *path; /* the guest path asked for */
	char *full;	  /* its appliance path (app_path_open's caller
			     frees it) */
};

/* Resolves @path for an operation (a missing path is GUEST_E_NOENT when
 * @must_exist); GUEST_OK, or the error with nothing to free. */
static int app_path_open(struct guest_fs *fs, const char *path, bool must_exist,
			 struct app_path *p)
{
	p->g = A(fs)->s->g;
	p->path = path;
	return guest_int_app_resolve_full(fs, path, must_exist, &p->full, NULL);
}

/* app_path_open() for a regular file, with its size in *@size_ret
 * (guest_int_app_resolve_file). */
static int app_path_open_file(struct guest_fs *fs, const char *path,
			      struct app_path *p, uint64_t *size_ret)
{
	p->g = A(fs)->s->g;
	p->path = path;
	return guest_int_app_resolve_file(fs, path, &p->full, size_ret);
}

/* Records the failure of the libguestfs call on @p ("<path>: <what>:
 * <why>", or "<path>: <why>" when @what is NULL). */
static int app_path_fail(struct guest_fs *fs, const struct app_path *p,
			 const char *what)
{
	return guest_int_fs_fail(fs, g_class(p->g), "%s: %s%s%s", p->path,
				 what ? what : "", what ? ": " : "",
				 g_msg(p->g));
}

static int app_resolve(struct guest_fs *fs, const char *path,
		       bool may_be_missing, char **real_ret)
{
	struct app_fs *a = A(fs);
	char *full;
	int r = guest_int_app_resolve_full(fs, path, !may_be_missing, &full,
					   NULL);
	if (r != GUEST_OK)
		return r;
	size_t mlen = strlen(a->mountpoint);
	const char *rel = full + mlen;
	if (*rel == '/')
		rel++;
	*real_ret = strdup(rel);
	free(full);
	if (*real_ret == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
					 path);
	return GUEST_OK;
}

static int app_stat(struct guest_fs *fs, const char *path,
		    struct guest_stat *st)
{
	char *full;
	int r = guest_int_app_resolve_full(fs, path, true, &full, NULL);
	if (r != GUEST_OK)
		return r;
	/* Only directories have listings: no need to ask. */
	if (guest_int_app_dir_cached(A(fs), path) != NULL) {
		st->type = GUEST_FT_DIR;
		st->size = 0;
		free(full);
		return GUEST_OK;
	}
	r = guest_int_app_stat_full(fs, path, full, st);
	free(full);
	return r;
}

/* Linux guests' symbolic links (a masked systemd unit is one to
 * /dev/null); the link itself, not followed. */
static int app_readlink(struct guest_fs *fs, const char *path, char **target)
{
	struct app_path p;
	int r = app_path_open(fs, path, true, &p);
	if (r != GUEST_OK)
		return r;
	*target = guestfs_readlink(p.g, p.full);
	free(p.full);
	if (*target == NULL)
		return app_path_fail(fs, &p, NULL);
	return GUEST_OK;
}

struct sink_buf {
	uint8_t *buf;
	size_t len, cap, max;
};

static int sink_buf(void *ctx, const void *p, size_t n)
{
	struct sink_buf *b = ctx;
	if (n > b->max - b->len)
		return GUEST_E_TOO_BIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->len + n + 1;
		uint8_t *nb = realloc(b->buf, cap);
		if (nb == NULL)
			return GUEST_E_NOMEM;
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

static int app_read(struct guest_fs *fs, const char *path, size_t max,
		    uint8_t **buf_ret, size_t *len_ret)
{
	struct app_path p;
	uint64_t size;
	int r = app_path_open_file(fs, path, &p, &size);
	if (r != GUEST_OK)
		return r;
	if (size > max) {
		free(p.full);
		return guest_int_fs_fail(fs, GUEST_E_TOO_BIG,
					 "%s: %llu bytes (the limit is %zu)",
					 path, (unsigned long long)size, max);
	}
	/* The size stated is the usual size read: no growing. */
	struct sink_buf b = { .max = max,
			      .buf = malloc(size + 1),
			      .cap = size + 1 };
	if (b.buf == NULL)
		b.cap = 0;
	int e = guest_int_app_read_pieces(p.g, p.full, sink_buf, &b, NULL);
	free(p.full);
	if (e == 0 && b.buf == NULL)
		e = GUEST_E_NOMEM; /* malloc failed, and nothing came */
	if (e != 0) {
		free(b.buf);
		if (e == GUEST_E_TOO_BIG)
			return guest_int_fs_fail(
				fs, e, "%s: grew beyond %zu bytes", path, max);
		if (e == GUEST_E_NOMEM)
			return guest_int_fs_fail(fs, e, "%s: out of memory",
						 path);
		return app_path_fail(fs, &p, "read");
	}
	b.buf[b.len] = '\0';
	*buf_ret = b.buf;
	*len_ret = b.len;
	return GUEST_OK;
}

static int app_pread(struct guest_fs *fs, const char *path, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret)
{
	struct app_path p;
	uint64_t size;
	int r = app_path_open_file(fs, path, &p, &size);
	if (r != GUEST_OK)
		return r;
	if (guest_int_app_pread(p.g, p.full, false, buf, len, off, size,
				got_ret) != 0)
		r = app_path_fail(fs, &p, "read");
	free(p.full);
	return r;
}

int guest_int_app_pread(guestfs_h *g, const char *full, bool device,
			uint8_t *buf, size_t len, uint64_t off, uint64_t end,
			size_t *got_ret)
{
	size_t got = 0;
	int r = 0;
	while (got < len && off + got < end) {
		size_t want = len - got < APP_CHUNK ? len - got : APP_CHUNK;
		int64_t at = (int64_t)(off + got);
		size_t n;
		char *p = device ? guestfs_pread_device(g, full, (int)want, at,
							&n)
				 : guestfs_pread(g, full, (int)want, at, &n);
		if (p == NULL) {
			r = -1;
			break;
		}
		if (n > want)
			n = want;
		memcpy(buf + got, p, n);
		free(p);
		got += n;
		if (n == 0)
			break;
	}
	*got_ret = got;
	return r;
}

/* Splits a resolved target into its directory and a temporary name
 * beside it (both caller-freed). */
static int temp_beside(struct guest_fs *fs, const char *path, const char *full,
		       char **tmp_ret)
{
	const char *slash = strrchr(full, '/');
	const char *base = slash ? slash + 1 : full;
	char *tname = guest_int_tmp_name(base);
	char *tmp = NULL;
	if (tname != NULL &&
	    asprintf(&tmp, "%.*s/%s", (int)(base - full - 1), full, tname) < 0)
		tmp = NULL;
	free(tname);
	if (tmp == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
					 path);
	*tmp_ret = tmp;
	return GUEST_OK;
}

/* Resolves the target of a write: its directory must exist, and an
 * existing target must be a regular file. */
static int write_target(struct guest_fs *fs, const char *path, char **full_ret)
{
	bool exists;
	int r = guest_int_app_resolve_full(fs, path, false, full_ret, &exists);
	if (r != GUEST_OK)
		return r;
	if (exists) {
		struct guest_stat st;
		r = guest_int_app_stat_full(fs, path, *full_ret, &st);
		if (r == GUEST_OK && st.type != GUEST_FT_FILE)
			r = guest_int_fs_fail(fs, GUEST_E_ISDIR,
					      "%s: exists and is not a regular "
					      "file",
					      path);
		if (r != GUEST_OK) {
			free(*full_ret);
			*full_ret = NULL;
		}
	}
	return r;
}

/*
 * The switch-over of an atomic write: the new content is complete in @tmp;
 * rename it over @full (one directory-index update in ntfs-3g) and flush.
 * On failure the temporary file is removed and the target is unchanged.
 */
static int commit_temp(struct guest_fs *fs, const char *path, const char *tmp,
		       const char *full)
{
	guestfs_h *g = A(fs)->s->g;
	if (guestfs_rename(g, tmp, full) != 0) {
		int r = guest_int_fs_fail(fs, g_class(g), "%s: rename: %s",
					  path, g_msg(g));
		guestfs_rm_f(g, tmp);
		return r;
	}
	if (guestfs_sync(g) != 0)
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: sync: %s", path,
					 g_msg(g));
	return GUEST_OK;
}

/*
 * Creates or truncates the appliance file @full with @len bytes at @data,
 * or with the content of host file @host_path: guestfs_write for the
 * first APP_CHUNK bytes, guestfs_write_append for each further piece.
 * Both run in the daemon itself; under TCG, 35 driver files (2.6 MB)
 * took 0.48-0.59 s this way against 1.29-1.31 s for the same files
 * unpacked from one archive by tar-in (whose upload protocol moves 8 KiB
 * per message), and guestfs_upload costs that protocol per file.
 * Returns 0, -1 for a failed call (the handle has the message), or an
 * errno value for the host file.
 */
static int put_file(guestfs_h *g, const char *full, const void *data,
		    size_t len, const char *host_path)
{
	int fd = -1;
	char *buf = NULL;
	if (host_path != NULL) {
		fd = open(host_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno;
		if ((buf = malloc(APP_CHUNK)) == NULL) {
			close(fd);
			return ENOMEM;
		}
	}
	int r = 0;
	for (size_t off = 0;; off += APP_CHUNK) {
		/* The next piece, from memory or from the host file. */
		const char *p;
		size_t n = 0;
		if (host_path == NULL) {
			p = data != NULL ? (const char *)data + off : "";
			n = len - off < APP_CHUNK ? len - off : APP_CHUNK;
		} else {
			p = buf;
			while (n < APP_CHUNK) {
				ssize_t k = read(fd, buf + n, APP_CHUNK - n);
				if (k < 0 && errno == EINTR)
					continue;
				if (k < 0)
					r = errno;
				if (k <= 0)
					break;
				n += (size_t)k;
			}
		}
		if (r != 0 || (n == 0 && off != 0))
			break;
		if ((off == 0 ? guestfs_write
			      : guestfs_write_append)(g, full, p, n) != 0) {
			r = -1;
			break;
		}
		if (n < APP_CHUNK)
			break;
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

/* The failure of put_file() for @path, as the fs's error. */
static int put_fail(struct guest_fs *fs, int e, const char *path,
		    const char *host_path)
{
	if (e > 0)
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", host_path,
					 strerror(e));
	guestfs_h *g = A(fs)->s->g;
	return guest_int_fs_fail(fs, g_class(g), "%s: write%s%s: %s", path,
				 host_path ? " from " : "",
				 host_path ? host_path : "", g_msg(g));
}

/* The new content of an atomic replace (put_file()). */
struct fill {
	const void *data;
	size_t len;
	const char *host_path; /* instead of @data, when not NULL */
};

/*
 * Replaces @path atomically: the new content goes to a temporary name in
 * the same directory, then commit_temp() renames it over the target.
 */
static int atomic_replace(struct guest_fs *fs, const char *path,
			  const struct fill *fill)
{
	guestfs_h *g = A(fs)->s->g;
	char *full = NULL, *tmp = NULL;
	int r = write_target(fs, path, &full);
	if (r != GUEST_OK)
		return r;
	r = temp_beside(fs, path, full, &tmp);
	if (r != GUEST_OK) {
		free(full);
		return r;
	}
	int e = put_file(g, tmp, fill->data, fill->len, fill->host_path);
	if (e != 0) {
		r = put_fail(fs, e, path, fill->host_path);
		guestfs_rm_f(g, tmp);
	} else {
		r = commit_temp(fs, path, tmp, full);
	}
	if (r == GUEST_OK)
		guest_int_app_note_added(fs, path);
	free(tmp);
	free(full);
	return r;
}

static int app_write_atomic(struct guest_fs *fs, const char *path,
			    const void *data, size_t len)
{
	struct fill fill = { .data = data, .len = len };
	return atomic_replace(fs, path, &fill);
}

static int app_mkdir(struct guest_fs *fs, const char *path)
{
	struct app_path p;
	int r = app_path_open(fs, path, false, &p);
	if (r != GUEST_OK)
		return r;
	if (guestfs_mkdir(p.g, p.full) != 0) {
		r = app_path_fail(fs, &p, "mkdir");
	} else {
		guest_int_app_note_added(fs, path);
		guest_int_app_dir_new_empty(A(fs), path, p.full);
	}
	free(p.full);
	return r;
}

static int app_list(struct guest_fs *fs, const char *path, char ***names_ret,
		    size_t *n_ret)
{
	struct app_path p;
	int r = app_path_open(fs, path, true, &p);
	if (r != GUEST_OK)
		return r;
	char **list = guestfs_ls(p.g, p.full);
	free(p.full);
	if (list == NULL)
		return app_path_fail(fs, &p, NULL);
	size_t n = 0;
	while (list[n] != NULL)
		n++;
	/* guestfs_ls returns a NULL-terminated array of strings: the same
	 * ownership as ours, minus the terminator, which we keep. */
	*names_ret = list;
	*n_ret = n;
	return GUEST_OK;
}

static int app_rename(struct guest_fs *fs, const char *from, const char *to)
{
	guestfs_h *g = A(fs)->s->g;
	char *ffrom, *fto;
	int r = guest_int_app_resolve_full(fs, from, true, &ffrom, NULL);
	if (r != GUEST_OK)
		return r;
	r = guest_int_app_resolve_full(fs, to, false, &fto, NULL);
	if (r != GUEST_OK) {
		free(ffrom);
		return r;
	}
	if (guestfs_rename(g, ffrom, fto) != 0) {
		r = guest_int_fs_fail(fs, g_class(g), "rename %s to %s: %s",
				      from, to, g_msg(g));
	} else {
		guest_int_app_note_removed(fs, from);
		guest_int_app_note_added(fs, to);
	}
	free(ffrom);
	free(fto);
	return r;
}

static int app_remove(struct guest_fs *fs, const char *path)
{
	struct app_path p;
	int r = app_path_open(fs, path, true, &p);
	if (r != GUEST_OK)
		return r;
	int dir = guestfs_is_dir(p.g, p.full);
	if ((dir == 1 ? guestfs_rmdir(p.g, p.full) : guestfs_rm(p.g, p.full)) !=
	    0)
		r = app_path_fail(fs, &p, "remove");
	else
		guest_int_app_note_removed(fs, path);
	free(p.full);
	return r;
}

struct sink_fd {
	int fd;
	int err; /* errno of a failed write */
};

static int sink_fd(void *ctx, const void *p, size_t n)
{
	struct sink_fd *f = ctx;
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(f->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			f->err = w < 0 ? errno : EIO;
			return GUEST_E_IO;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read with pread (guest_int_app_read_pieces) rather than guestfs_download, which is
 * several times slower for the small files (hives, logs) copied out. */
static int app_copy_out(struct guest_fs *fs, const char *path,
			const char *host_path)
{
	struct app_path p;
	uint64_t size;
	int r = app_path_open_file(fs, path, &p, &size);
	if (r != GUEST_OK)
		return r;
	struct sink_fd f = {
		.fd = open(host_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0600),
	};
	if (f.fd < 0) {
		r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", host_path,
				      strerror(errno));
		free(p.full);
		return r;
	}
	int e = guest_int_app_read_pieces(p.g, p.full, sink_fd, &f, NULL);
	if (close(f.fd) != 0 && e == 0) {
		f.err = errno;
		e = GUEST_E_IO;
	}
	if (e < 0)
		r = guest_int_fs_fail(fs, g_class(p.g), "%s to %s: %s", path,
				      host_path, g_msg(p.g));
	else if (e != 0)
		r = guest_int_fs_fail(fs, GUEST_E_IO, "%s to %s: %s", path,
				      host_path, strerror(f.err));
	free(p.full);
	return r;
}

static int app_copy_in_atomic(struct guest_fs *fs, const char *host_path,
			      const char *path)
{
	struct fill fill = { .host_path = host_path };
	return atomic_replace(fs, path, &fill);
}

/* Writes in place, unflushed (guest_fs_write_new). */
static int app_write_new(struct guest_fs *fs, const char *path,
			 const void *data, size_t len, const char *host_path)
{
	guestfs_h *g = A(fs)->s->g;
	char *full = NULL;
	int r = write_target(fs, path, &full);
	if (r != GUEST_OK)
		return r;
	int e = put_file(g, full, data, len, host_path);
	if (e != 0)
		r = put_fail(fs, e, path, host_path);
	else
		guest_int_app_note_added(fs, path);
	free(full);
	return r;
}

/*
 * Many files, each with put_file(): a call per file, which under TCG is
 * cheaper than one tar-in of them all (see put_file()).
 */
static int app_put_many(struct guest_fs *fs, const struct guest_put *items,
			size_t n)
{
	struct app_fs *a = A(fs);
	guestfs_h *g = a->s->g;
	int r = GUEST_OK;
	for (size_t i = 0; i < n && r == GUEST_OK; i++) {
		char *full;
		r = guest_int_app_resolve_in(fs, items[i].path, false, &full,
					     NULL, NULL);
		if (r != GUEST_OK)
			break;
		int e = put_file(g, full, items[i].data, items[i].len,
				 items[i].host_path);
		free(full);
		if (e == 0) {
			guest_int_app_note_added(fs, items[i].path);
			continue;
		}
		r = put_fail(fs, e, items[i].path, items[i].host_path);
		/* Whether this one arrived, in part, is unknown: list its
		 * directory again. */
		char *copy;
		const char *base;
		if (guest_int_app_cached_parent(a, items[i].path, &copy, &base))
			guest_int_app_dir_forget(a, copy);
		free(copy);
	}
	return r;
}

/*
 * Writes out the volume's device, and only that one.  ntfs-3g writes
 * through the page cache of the partition device it mounted (the name of
 * this fs), so that is where everything written so far waits; flushing
 * it (BLKFLSBUF) costs about 0.3 s under TCG however many disks the
 * appliance has, where sync(2) costs about 0.1 s per attached disk
 * (0.28 s with one, 0.95 s with eight, measured with five fresh writes
 * before each).
 */
static int app_sync(struct guest_fs *fs)
{
	guestfs_h *g = A(fs)->s->g;
	if (guestfs_blockdev_flushbufs(g, fs->name) != 0)
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: flush: %s",
					 fs->name, g_msg(g));
	return GUEST_OK;
}

/* Security descriptors: ntfs-3g's system.ntfs_acl attribute, the
 * self-relative descriptor NTFS stores. */
#define NTFS_ACL_XATTR "system.ntfs_acl"

static int app_get_sd(struct guest_fs *fs, const char *path, uint8_t **sd_ret,
		      size_t *len_ret)
{
	guestfs_h *g = A(fs)->s->g;
	char *full;
	int r = guest_int_app_resolve_full(fs, path, true, &full, NULL);
	if (r != GUEST_OK)
		return r;
	size_t len = 0;
	char *v = guestfs_getxattr(g, full, NTFS_ACL_XATTR, &len);
	free(full);
	if (v == NULL)
		return guest_int_fs_fail(fs, g_class(g), "%s: getxattr %s: %s",
					 path, NTFS_ACL_XATTR, g_msg(g));
	*sd_ret = (uint8_t *)v;
	*len_ret = len;
	return GUEST_OK;
}

/* The largest descriptor sent: its hex must fit the daemon's 4 MiB
 * message (NTFS descriptors stay far below: ACL sizes are 16-bit). */
#define APP_SD_MAX (1u << 20)

/* Writes @s single-quoted for sh to @out (every ' becomes '\''), which has
 * room for 4 * strlen(s) + 3 bytes. */
static void sh_quote(char *out, const char *s)
{
	*out++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(out, "'\\''", 4);
			out += 4;
		} else {
			*out++ = *s;
		}
	}
	*out++ = '\'';
	*out = '\0';
}

/*
 * guestfs_setxattr() sends the value as a C string, cut at its first NUL,
 * and every binary descriptor holds NULs; guestfs_command() runs chrooted
 * into the guest (which needs a root mounted at "/", and has no setfattr).
 * So the descriptor goes as hex through the appliance's own setfattr
 * (package attr), run by the daemon's "debug sh" outside the chroot,
 * where $root names the sysroot our paths live under.  The daemon joins
 * its arguments with spaces into one "sh -c" string: the path is
 * single-quoted, every other word is letters, digits, dots and dashes.
 * -h sets the attribute of a symbolic link itself, as lsetxattr does.
 */
static int app_set_sd(struct guest_fs *fs, const char *path, const uint8_t *sd,
		      size_t len)
{
	static const char digits[] = "0123456789abcdef";
	static const char root[] = "\"${root:?}\"";
	guestfs_h *g = A(fs)->s->g;
	if (len > APP_SD_MAX)
		return guest_int_fs_fail(fs, GUEST_E_TOO_BIG,
					 "%s: a security descriptor of %zu "
					 "bytes",
					 path, len);
	char *full;
	int r = guest_int_app_resolve_full(fs, path, true, &full, NULL);
	if (r != GUEST_OK)
		return r;
	char *value = malloc(2 * len + 3);
	char *target = malloc(sizeof(root) + 4 * strlen(full) + 3);
	if (value == NULL || target == NULL) {
		r = guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
				      path);
		goto out;
	}
	value[0] = '0';
	value[1] = 'x';
	for (size_t i = 0; i < len; i++) {
		value[2 + 2 * i] = digits[sd[i] >> 4];
		value[3 + 2 * i] = digits[sd[i] & 15];
	}
	value[2 + 2 * len] = '\0';
	/* "${root:?}"'/hvo-d0-v0/...': one word for sh. */
	memcpy(target, root, sizeof(root) - 1);
	sh_quote(target + sizeof(root) - 1, full);
	char *argv[] = { "setfattr", "-h",   "-n", NTFS_ACL_XATTR, "-v", value,
			 "--",	     target, NULL };
	char *o = guestfs_debug(g, "sh", argv);
	if (o == NULL)
		r = guest_int_fs_fail(fs, g_class(g), "%s: setfattr %s: %s",
				      path, NTFS_ACL_XATTR, g_msg(g));
	free(o);
out:
	free(value);
	free(target);
	free(full);
	return r;
}

void guest_int_app_fs_close(struct guest_fs *fs)
{
	guest_int_app_dirs_free(A(fs));
	free(fs);
}

const struct guest_fs_ops guest_int_app_fs_ops = {
	.resolve = app_resolve,
	.stat = app_stat,
	.read = app_read,
	.pread = app_pread,
	.write_atomic = app_write_atomic,
	.mkdir = app_mkdir,
	.list = app_list,
	.rename = app_rename,
	.remove = app_remove,
	.copy_out = app_copy_out,
	.copy_in_atomic = app_copy_in_atomic,
	.close = guest_int_app_fs_close,
	.write_new = app_write_new,
	.sha256_many = guest_int_app_sha256_many,
	.put_many = app_put_many,
	.sync = app_sync,
	.sha256 = guest_int_app_sha256,
	.readlink = app_readlink,
	.get_sd = app_get_sd,
	.set_sd = app_set_sd,
};

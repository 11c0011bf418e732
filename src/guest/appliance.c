/*
 * appliance.c - the libguestfs backend: one appliance launch for every
 * image and ISO of a command.
 *
 * The session adds each image with an explicit format (never probed by
 * qemu) and, for inspection, read-only: libguestfs then puts a throw-away
 * overlay in front of it, so the image file is never opened for writing.
 * After the launch (through guest_launch(), with its KVM -> TCG fallback)
 * it reads every disk's partition table and volumes and creates one mount
 * point per volume ("/hvo-d<disk>-v<volume>") before anything is mounted,
 * which is what lets unrelated filesystems of several images be mounted at
 * once (guestfs_mkmountpoint).  Guest paths are resolved with
 * guestfs_case_sensitive_path(), because ntfs-3g exports NTFS names
 * case-sensitively.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <guestfs.h>

#include "guest/guest_int.h"
#include "guest/ptable.h"
#include "guest/volume.h"
#include "util/sha256.h"

/* The protocol moves at most ~4 MB per message (guestfs(3), PROTOCOL
 * LIMITS); raw and partial reads go in 2 MiB pieces. */
#define APP_CHUNK (2u * 1024 * 1024)
/* Fewest files of a tree hashed by one checksums-out (hash_wanted_trees). */
#define APP_TREE_MIN_FILES 64
/* statvfs f_flag bit for a read-only mount (ST_RDONLY). */
#define APP_ST_RDONLY 1

struct app_drive {
	char *path, *format, *name;
	bool readonly;
	uint64_t size; /* as the caller knows it (guest_session_set_size) */
	const struct guest_disk_head *head; /* guest_session_set_head() */
};

/*
 * What a directory holds, as listed once.  Every libguestfs call is a
 * round trip to the appliance (milliseconds under KVM, tens of them under
 * TCG), and resolving a Windows path case-insensitively took two per
 * call (case_sensitive_path, exists).  A filesystem is only ever changed
 * through its guest_fs while mounted, so each directory is listed once and
 * the listing kept current by our own mkdir, write, rename and remove.
 */
struct app_dir {
	char *key;    /* normalised guest path, ASCII lower case; "" root */
	char *real;   /* appliance path */
	char **names; /* entries, as stored */
	size_t n, cap;
};

struct app_fs {
	struct guest_fs base;
	struct guest_session *s;
	char mountpoint[64];
	struct app_dir *dirs;
	size_t ndirs, capdirs;
};

struct app_vol {
	char mountpoint[64];
	struct app_fs *fs; /* mounted filesystem, or NULL */
	bool probed;
	int probe_code;
	/* The boot sector and $Volume record, as read when the volume was
	 * found (struct guest_vol_head); dropped once the volume is mounted
	 * for writing. */
	uint8_t head[GUEST_VOL_BOOT_SIZE];
	size_t head_len;
	uint8_t *rec;
	size_t rec_len;
	uint64_t rec_off;
};

struct app_disk {
	struct guest_disk base;
	struct guest_session *s;
	char device[64]; /* "/dev/sda" */
	bool readonly;
	struct app_vol *vols;
};

struct guest_session {
	struct guest_session_opts opts;
	guestfs_h *g;
	struct app_drive *drives;
	size_t ndrives;
	struct app_disk **disks;
	struct guest_launch_result res;
	unsigned launches;
	bool launched;
	char error[GUEST_ERROR_MAX];
};

static int session_fail(struct guest_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int session_fail(struct guest_session *s, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return err;
}

/* The last libguestfs error as a guest_error class. */
static int g_class(guestfs_h *g)
{
	int e = guestfs_last_errno(g);
	return e != 0 ? guest_int_errno_class(e) : GUEST_E_IO;
}

static const char *g_msg(guestfs_h *g)
{
	const char *m = guestfs_last_error(g);
	return m ? m : "unknown libguestfs error";
}

/* ------------------------------------------------------------------ */
/* Filesystems.                                                        */
/* ------------------------------------------------------------------ */

static struct app_fs *A(struct guest_fs *fs)
{
	return (struct app_fs *)fs;
}

static char *lower_dup(const char *s, size_t n)
{
	char *k = strndup(s, n);
	for (char *p = k; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return k;
}

static void dir_free(struct app_dir *d)
{
	free(d->key);
	free(d->real);
	for (size_t i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
}

/* Forgets @path's listing and those below it (after it was renamed or
 * removed). */
static void dir_forget(struct app_fs *a, const char *path)
{
	char *k = lower_dup(path, strlen(path));
	size_t kl = k ? strlen(k) : 0, out = 0;
	for (size_t i = 0; i < a->ndirs; i++) {
		const char *dk = a->dirs[i].key;
		bool below = k == NULL || (strncmp(dk, k, kl) == 0 &&
					   (dk[kl] == '\0' || dk[kl] == '/'));
		if (below)
			dir_free(&a->dirs[i]);
		else
			a->dirs[out++] = a->dirs[i];
	}
	a->ndirs = out;
	free(k);
}

/* The index of @name in @d (matched as Windows does), or -1. */
static ssize_t dir_find(const struct app_dir *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (guest_name_eq(d->names[i], name))
			return (ssize_t)i;
	return -1;
}

static void dir_add(struct app_dir *d, const char *name)
{
	if (d == NULL || dir_find(d, name) >= 0)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		char **v = realloc(d->names, cap * sizeof(*v));
		if (v == NULL)
			return; /* a later lookup lists the directory again */
		d->names = v;
		d->cap = cap;
	}
	char *n = strdup(name);
	if (n != NULL)
		d->names[d->n++] = n;
}

static void dir_del(struct app_dir *d, const char *name)
{
	ssize_t i = d ? dir_find(d, name) : -1;
	if (i < 0)
		return;
	free(d->names[i]);
	d->names[i] = d->names[--d->n];
}

/* The kept listing of directory @path, if there is one (lists nothing). */
static struct app_dir *dir_cached(struct app_fs *a, const char *path)
{
	size_t len = strlen(path);
	for (size_t i = 0; i < a->ndirs; i++)
		if (strlen(a->dirs[i].key) == len &&
		    guest_name_eq(a->dirs[i].key, path))
			return &a->dirs[i];
	return NULL;
}

/* A zeroed slot at the end of the kept listings (not yet counted). */
static struct app_dir *dir_slot(struct app_fs *a)
{
	if (a->ndirs == a->capdirs) {
		size_t cap = a->capdirs ? a->capdirs * 2 : 16;
		struct app_dir *v = realloc(a->dirs, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		a->dirs = v;
		a->capdirs = cap;
	}
	struct app_dir *d = &a->dirs[a->ndirs];
	memset(d, 0, sizeof(*d));
	return d;
}

/*
 * The listing of directory @dir (a normalised guest path), made on first
 * use; NULL if it does not exist (or is not a directory).  @dir points
 * into a writable copy that is restored before returning.
 */
static struct app_dir *dir_get(struct app_fs *a, char *dir)
{
	struct app_dir *known = dir_cached(a, dir);
	if (known != NULL)
		return known;
	size_t len = strlen(dir);
	char *real = NULL;
	if (len == 0) {
		real = strdup(a->mountpoint);
	} else {
		char *slash = strrchr(dir, '/');
		const char *base = slash ? slash + 1 : dir;
		if (slash)
			*slash = '\0';
		struct app_dir *parent = dir_get(a, slash ? dir : (char *)"");
		if (slash)
			*slash = '/';
		ssize_t k = parent ? dir_find(parent, base) : -1;
		if (k < 0 || asprintf(&real, "%s/%s", parent->real,
				      parent->names[k]) < 0)
			return NULL;
	}
	if (real == NULL)
		return NULL;
	char **list = guestfs_ls(a->s->g, real);
	if (list == NULL) {
		free(real);
		return NULL;
	}
	struct app_dir *d = dir_slot(a);
	if (d == NULL) {
		free(real);
		for (size_t i = 0; list[i] != NULL; i++)
			free(list[i]);
		free(list);
		return NULL;
	}
	d->key = lower_dup(dir, len);
	d->real = real;
	d->names = list;
	while (list[d->n] != NULL)
		d->n++;
	d->cap = d->n;
	if (d->key == NULL) {
		dir_free(d);
		return NULL;
	}
	a->ndirs++;
	return d;
}

/* A directory we just created: its listing is empty, no need to ask. */
static void dir_new_empty(struct app_fs *a, const char *path, const char *real)
{
	struct app_dir *d = dir_slot(a);
	if (d == NULL)
		return; /* listed when first used */
	d->key = lower_dup(path, strlen(path));
	d->real = strdup(real);
	if (d->key == NULL || d->real == NULL) {
		dir_free(d);
		return;
	}
	a->ndirs++;
}

/*
 * Resolves a normalised guest path to its appliance path (*@full_ret,
 * caller frees), through the directory listings.  When @must_exist, a
 * missing path is GUEST_E_NOENT; *@exists_ret says whether it exists.
 * *@dir_ret (if not NULL) is the parent's listing, or NULL for the root.
 */
static int resolve_in(struct guest_fs *fs, const char *path, bool must_exist,
		      char **full_ret, bool *exists_ret,
		      struct app_dir **dir_ret)
{
	struct app_fs *a = A(fs);
	*full_ret = NULL;
	if (dir_ret)
		*dir_ret = NULL;
	if (path[0] == '\0') {
		*full_ret = strdup(a->mountpoint);
		if (exists_ret)
			*exists_ret = true;
		return *full_ret ? GUEST_OK
				 : guest_int_fs_fail(fs, GUEST_E_NOMEM,
						     "out of memory");
	}
	char *copy = strdup(path);
	if (copy == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
					 path);
	char *slash = strrchr(copy, '/');
	const char *base = slash ? slash + 1 : copy;
	if (slash)
		*slash = '\0';
	struct app_dir *d = dir_get(a, slash ? copy : (char *)"");
	if (d == NULL) {
		free(copy);
		return guest_int_fs_fail(fs, GUEST_E_NOENT,
					 "%s: no such file or directory", path);
	}
	ssize_t k = dir_find(d, base);
	if (must_exist && k < 0) {
		free(copy);
		return guest_int_fs_fail(fs, GUEST_E_NOENT,
					 "%s: no such file or directory", path);
	}
	int r = asprintf(full_ret, "%s/%s", d->real,
			 k >= 0 ? d->names[k] : base);
	free(copy);
	if (r < 0) {
		*full_ret = NULL;
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
					 path);
	}
	if (exists_ret)
		*exists_ret = k >= 0;
	if (dir_ret)
		*dir_ret = d;
	return GUEST_OK;
}

static int app_resolve_full(struct guest_fs *fs, const char *path,
			    bool must_exist, char **full_ret, bool *exists_ret)
{
	return resolve_in(fs, path, must_exist, full_ret, exists_ret, NULL);
}

/* The cached listing of @path's parent, if any (never lists anything),
 * and @path's last component in *@base_ret (points into *@copy_ret, which
 * the caller frees). */
static struct app_dir *cached_parent(struct app_fs *a, const char *path,
				     char **copy_ret, const char **base_ret)
{
	char *copy = strdup(path);
	*copy_ret = copy;
	if (copy == NULL)
		return NULL;
	char *slash = strrchr(copy, '/');
	*base_ret = slash ? slash + 1 : copy;
	const char *dir = slash ? copy : "";
	if (slash)
		*slash = '\0';
	return dir_cached(a, dir);
}

/* Keeps the listings current after we created or removed @path. */
static void note_added(struct guest_fs *fs, const char *path)
{
	char *copy;
	const char *base;
	struct app_dir *d = cached_parent(A(fs), path, &copy, &base);
	dir_add(d, base);
	free(copy);
}

static void note_removed(struct guest_fs *fs, const char *path)
{
	char *copy;
	const char *base;
	struct app_dir *d = cached_parent(A(fs), path, &copy, &base);
	dir_del(d, base);
	free(copy);
	dir_forget(A(fs), path);
}

static int app_resolve(struct guest_fs *fs, const char *path,
		       bool may_be_missing, char **real_ret)
{
	struct app_fs *a = A(fs);
	char *full;
	int r = app_resolve_full(fs, path, !may_be_missing, &full, NULL);
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

static enum guest_ftype mode_type(int64_t mode)
{
	switch (mode & 0170000) {
	case 0100000:
		return GUEST_FT_FILE;
	case 0040000:
		return GUEST_FT_DIR;
	default:
		return GUEST_FT_OTHER;
	}
}

static int stat_full(struct guest_fs *fs, const char *path, const char *full,
		     struct guest_stat *st)
{
	guestfs_h *g = A(fs)->s->g;
	struct guestfs_statns *sn = guestfs_lstatns(g, full);
	if (sn == NULL)
		return guest_int_fs_fail(fs, g_class(g), "%s: %s", path,
					 g_msg(g));
	st->type = mode_type(sn->st_mode);
	st->size = sn->st_size < 0 ? 0 : (uint64_t)sn->st_size;
	guestfs_free_statns(sn);
	return GUEST_OK;
}

static int app_stat(struct guest_fs *fs, const char *path,
		    struct guest_stat *st)
{
	char *full;
	int r = app_resolve_full(fs, path, true, &full, NULL);
	if (r != GUEST_OK)
		return r;
	/* Only directories have listings: no need to ask. */
	if (dir_cached(A(fs), path) != NULL) {
		st->type = GUEST_FT_DIR;
		st->size = 0;
		free(full);
		return GUEST_OK;
	}
	r = stat_full(fs, path, full, st);
	free(full);
	return r;
}

/* Resolves an existing regular file. */
static int resolve_file(struct guest_fs *fs, const char *path, char **full_ret,
			uint64_t *size_ret)
{
	int r = app_resolve_full(fs, path, true, full_ret, NULL);
	if (r != GUEST_OK)
		return r;
	struct guest_stat st;
	r = stat_full(fs, path, *full_ret, &st);
	if (r == GUEST_OK && st.type != GUEST_FT_FILE)
		r = guest_int_fs_fail(fs, GUEST_E_ISDIR,
				      "%s: not a regular file", path);
	if (r != GUEST_OK) {
		free(*full_ret);
		*full_ret = NULL;
		return r;
	}
	*size_ret = st.size;
	return GUEST_OK;
}

/*
 * Reads the whole of the appliance file @full, in pieces of APP_CHUNK,
 * into @sink.  A short piece is the end of the file, so a file shorter
 * than a piece costs one call.  pread runs in the daemon itself: under
 * TCG a call is a few milliseconds plus the bytes, where download (a
 * chunked upload protocol) costs about 0.15 s and checksum (a sha256sum
 * process) about 0.06 s for a small file; for files of a few MB pread is
 * still the fastest of the three.  Returns 0, or -1 for a failed call
 * (its message is the handle's), or the sink's nonzero answer.
 */
static int read_pieces(guestfs_h *g, const char *full,
		       int (*sink)(void *ctx, const void *p, size_t n),
		       void *ctx, uint64_t *total_ret)
{
	uint64_t off = 0;
	for (;;) {
		size_t n;
		char *p = guestfs_pread(g, full, (int)APP_CHUNK, (int64_t)off,
					&n);
		if (p == NULL)
			return -1;
		if (n > APP_CHUNK)
			n = APP_CHUNK;
		int e = n ? sink(ctx, p, n) : 0;
		free(p);
		if (e != 0)
			return e;
		off += n;
		if (n < APP_CHUNK)
			break;
	}
	if (total_ret)
		*total_ret = off;
	return 0;
}

static int sink_sha256(void *ctx, const void *p, size_t n)
{
	hvo_int_sha256_update(ctx, p, n);
	return 0;
}

/* SHA-256 of an appliance file, hashed here from its bytes. */
static int hash_full(guestfs_h *g, const char *full, uint8_t out[32],
		     uint64_t *size_ret)
{
	struct hvo_sha256 ctx;
	hvo_int_sha256_init(&ctx);
	if (read_pieces(g, full, sink_sha256, &ctx, size_ret) != 0)
		return -1;
	hvo_int_sha256_final(&ctx, out);
	return 0;
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
	guestfs_h *g = A(fs)->s->g;
	char *full;
	uint64_t size;
	int r = resolve_file(fs, path, &full, &size);
	if (r != GUEST_OK)
		return r;
	if (size > max) {
		free(full);
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
	int e = read_pieces(g, full, sink_buf, &b, NULL);
	free(full);
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
		return guest_int_fs_fail(fs, g_class(g), "%s: read: %s", path,
					 g_msg(g));
	}
	b.buf[b.len] = '\0';
	*buf_ret = b.buf;
	*len_ret = b.len;
	return GUEST_OK;
}

static int app_pread(struct guest_fs *fs, const char *path, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret)
{
	guestfs_h *g = A(fs)->s->g;
	char *full;
	uint64_t size;
	int r = resolve_file(fs, path, &full, &size);
	if (r != GUEST_OK)
		return r;
	size_t got = 0;
	while (got < len && off + got < size) {
		size_t want = len - got < APP_CHUNK ? len - got : APP_CHUNK;
		size_t n;
		char *p = guestfs_pread(g, full, (int)want,
					(int64_t)(off + got), &n);
		if (p == NULL) {
			r = guest_int_fs_fail(fs, g_class(g), "%s: read: %s",
					      path, g_msg(g));
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
	free(full);
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
	int r = app_resolve_full(fs, path, false, full_ret, &exists);
	if (r != GUEST_OK)
		return r;
	if (exists) {
		struct guest_stat st;
		r = stat_full(fs, path, *full_ret, &st);
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
		note_added(fs, path);
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
	guestfs_h *g = A(fs)->s->g;
	char *full;
	int r = app_resolve_full(fs, path, false, &full, NULL);
	if (r != GUEST_OK)
		return r;
	if (guestfs_mkdir(g, full) != 0) {
		r = guest_int_fs_fail(fs, g_class(g), "%s: mkdir: %s", path,
				      g_msg(g));
	} else {
		note_added(fs, path);
		dir_new_empty(A(fs), path, full);
	}
	free(full);
	return r;
}

static int app_list(struct guest_fs *fs, const char *path, char ***names_ret,
		    size_t *n_ret)
{
	guestfs_h *g = A(fs)->s->g;
	char *full;
	int r = app_resolve_full(fs, path, true, &full, NULL);
	if (r != GUEST_OK)
		return r;
	char **list = guestfs_ls(g, full);
	free(full);
	if (list == NULL)
		return guest_int_fs_fail(fs, g_class(g), "%s: %s", path,
					 g_msg(g));
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
	int r = app_resolve_full(fs, from, true, &ffrom, NULL);
	if (r != GUEST_OK)
		return r;
	r = app_resolve_full(fs, to, false, &fto, NULL);
	if (r != GUEST_OK) {
		free(ffrom);
		return r;
	}
	if (guestfs_rename(g, ffrom, fto) != 0) {
		r = guest_int_fs_fail(fs, g_class(g), "rename %s to %s: %s",
				      from, to, g_msg(g));
	} else {
		note_removed(fs, from);
		note_added(fs, to);
	}
	free(ffrom);
	free(fto);
	return r;
}

static int app_remove(struct guest_fs *fs, const char *path)
{
	guestfs_h *g = A(fs)->s->g;
	char *full;
	int r = app_resolve_full(fs, path, true, &full, NULL);
	if (r != GUEST_OK)
		return r;
	int dir = guestfs_is_dir(g, full);
	int rc = dir == 1 ? guestfs_rmdir(g, full) : guestfs_rm(g, full);
	if (rc != 0)
		r = guest_int_fs_fail(fs, g_class(g), "%s: remove: %s", path,
				      g_msg(g));
	else
		note_removed(fs, path);
	free(full);
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

/* Read with pread (read_pieces) rather than guestfs_download, which is
 * several times slower for the small files (hives, logs) copied out. */
static int app_copy_out(struct guest_fs *fs, const char *path,
			const char *host_path)
{
	guestfs_h *g = A(fs)->s->g;
	char *full;
	uint64_t size;
	int r = resolve_file(fs, path, &full, &size);
	if (r != GUEST_OK)
		return r;
	struct sink_fd f = {
		.fd = open(host_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0600),
	};
	if (f.fd < 0) {
		r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", host_path,
				      strerror(errno));
		free(full);
		return r;
	}
	int e = read_pieces(g, full, sink_fd, &f, NULL);
	if (close(f.fd) != 0 && e == 0) {
		f.err = errno;
		e = GUEST_E_IO;
	}
	if (e < 0)
		r = guest_int_fs_fail(fs, g_class(g), "%s to %s: %s", path,
				      host_path, g_msg(g));
	else if (e != 0)
		r = guest_int_fs_fail(fs, GUEST_E_IO, "%s to %s: %s", path,
				      host_path, strerror(f.err));
	free(full);
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
		note_added(fs, path);
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
		r = resolve_in(fs, items[i].path, false, &full, NULL, NULL);
		if (r != GUEST_OK)
			break;
		int e = put_file(g, full, items[i].data, items[i].len,
				 items[i].host_path);
		free(full);
		if (e == 0) {
			note_added(fs, items[i].path);
			continue;
		}
		r = put_fail(fs, e, items[i].path, items[i].host_path);
		/* Whether this one arrived, in part, is unknown: list its
		 * directory again. */
		char *copy;
		const char *base;
		if (cached_parent(a, items[i].path, &copy, &base))
			dir_forget(a, copy);
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

/* Hashed here from pread pieces: cheaper under TCG than a sha256sum
 * process in the appliance (read_pieces). */
static int app_sha256(struct guest_fs *fs, const char *path, uint8_t out[32],
		      uint64_t *size_ret)
{
	guestfs_h *g = A(fs)->s->g;
	char *full;
	uint64_t size;
	int r = resolve_file(fs, path, &full, &size);
	if (r != GUEST_OK)
		return r;
	if (hash_full(g, full, out, size_ret) != 0)
		r = guest_int_fs_fail(fs, g_class(g), "%s: read: %s", path,
				      g_msg(g));
	free(full);
	return r;
}

/* SHA-256 sums of whole trees, each from one checksums-out. */
struct tree_sum {
	char *full; /* appliance path */
	uint8_t sha256[HVO_SHA256_LEN];
};

struct tree_sums {
	struct tree_sum *v;
	size_t n, cap;
};

static void tree_sums_free(struct tree_sums *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].full);
	free(t->v);
}

/* The digest of appliance path @full, or NULL if the trees hashed did
 * not hold it. */
static const uint8_t *tree_sums_find(const struct tree_sums *t,
				     const char *full)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].full, full) == 0)
			return t->v[i].sha256;
	return NULL;
}

/*
 * Adds to @t the SHA-256 of every regular file below the directory at
 * appliance path @root, in one call (checksums-out, which prints as
 * sha256sum does: "<hex>  ./<relative path>").  A failed call adds
 * nothing: each file is then hashed by itself.
 */
static void tree_sums_add(guestfs_h *g, const char *root, struct tree_sums *t)
{
	const char *tmp = getenv("TMPDIR");
	char path[4200];
	snprintf(path, sizeof(path), "%s/hvoffline-sums-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return;
	close(fd);
	FILE *f = guestfs_checksums_out(g, "sha256", root, path) == 0
			  ? fopen(path, "r")
			  : NULL;
	char line[4400];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		size_t len = strcspn(line, "\n");
		line[len] = '\0';
		struct tree_sum ts;
		if (len < 64 + 4 || memcmp(line + 64, "  ./", 4) != 0 ||
		    !hvo_int_sha256_from_hex(line, ts.sha256))
			continue;
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct tree_sum *v = realloc(t->v, cap * sizeof(*v));
			if (v == NULL)
				break;
			t->v = v;
			t->cap = cap;
		}
		if (asprintf(&ts.full, "%s/%s", root, line + 68) < 0)
			break;
		t->v[t->n++] = ts;
	}
	if (f != NULL)
		fclose(f);
	unlink(path);
}

/* Whether @path (normalised) is one of @paths[0..n). */
static bool path_wanted(const char *path, const char *const *paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (guest_name_eq(paths[i], path))
			return true;
	return false;
}

/*
 * Whether the listed directory @d holds nothing but wanted files and
 * listed directories that do the same (a folder of ours, a staged driver
 * package): hashing the whole tree then costs one call and hashes nothing
 * unwanted.  Adds the wanted files found to *@nfiles.
 */
static bool tree_all_wanted(struct app_fs *a, const struct app_dir *d,
			    const char *const *paths, size_t n, size_t *nfiles,
			    int depth)
{
	if (depth > 32)
		return false;
	for (size_t i = 0; i < d->n; i++) {
		char *child;
		if (asprintf(&child, "%s%s%s", d->key, d->key[0] ? "/" : "",
			     d->names[i]) < 0)
			return false;
		struct app_dir *sub = dir_cached(a, child);
		bool ok = sub != NULL ? tree_all_wanted(a, sub, paths, n,
							nfiles, depth + 1)
				      : path_wanted(child, paths, n);
		if (sub == NULL && ok)
			++*nfiles;
		free(child);
		if (!ok)
			return false;
	}
	return true;
}

/*
 * Hashes into @t, one call per tree, every highest listed directory that
 * tree_all_wanted() accepts and that holds at least APP_TREE_MIN_FILES
 * wanted files: checksums-out starts find and sha256sum processes, where
 * a file read with pread costs a call.  Under TCG, the 51 files (2.8 MB)
 * of a staged package took 0.57 s by checksums-out and about 0.45 s by
 * pread (7.7 ms a file plus the bytes).
 */
static void hash_wanted_trees(struct app_fs *a, const char *const *paths,
			      size_t n, struct tree_sums *t)
{
	char **roots = calloc(n ? n : 1, sizeof(*roots));
	size_t nroots = 0;
	for (size_t i = 0; roots != NULL && i < n; i++) {
		bool covered = false;
		for (size_t r = 0; r < nroots && !covered; r++) {
			size_t rl = strlen(roots[r]);
			covered = strlen(paths[i]) > rl &&
				  paths[i][rl] == '/' &&
				  strncasecmp(paths[i], roots[r], rl) == 0;
		}
		if (covered)
			continue;
		/* Up from the parent while the tree is still all wanted. */
		char *dir = strdup(paths[i]);
		struct app_dir *best = NULL;
		size_t best_files = 0;
		char *slash;
		while (dir != NULL && (slash = strrchr(dir, '/')) != NULL) {
			*slash = '\0';
			struct app_dir *d = dir_cached(a, dir);
			size_t files = 0;
			if (d == NULL ||
			    !tree_all_wanted(a, d, paths, n, &files, 0))
				break;
			best = d;
			best_files = files;
		}
		free(dir);
		if (best == NULL || best_files < APP_TREE_MIN_FILES)
			continue;
		roots[nroots] = strdup(best->key);
		if (roots[nroots] == NULL)
			break;
		nroots++;
		tree_sums_add(a->s->g, best->real, t);
	}
	for (size_t r = 0; r < nroots; r++)
		free(roots[r]);
	free(roots);
}

/*
 * SHA-256 of many files with fewer round trips: existence comes from the
 * cached listings, types and sizes from one lstatnslist per directory,
 * hashes from one call per large tree of nothing but wanted files, and
 * the other files read with pread and hashed here (libguestfs has no
 * batch hash short of hashing whole trees, and its shell commands run
 * chrooted in the guest, which has no shell).  Anything unexpected
 * returns an error and fs.c asks path by path, so that the error names
 * the path.
 */
static int app_sha256_many(struct guest_fs *fs, const char *const *paths,
			   size_t n, struct guest_digest *out)
{
	guestfs_h *g = A(fs)->s->g;
	int r = GUEST_OK;
	struct tree_sums sums = { 0 };
	/* Every parent listed first, so that whole trees of wanted files
	 * are seen and hashed in one call each. */
	for (size_t i = 0; i < n; i++) {
		char *full = NULL;
		if (resolve_in(fs, paths[i], false, &full, NULL, NULL) ==
		    GUEST_OK)
			free(full);
	}
	hash_wanted_trees(A(fs), paths, n, &sums);
	for (size_t i = 0; i < n && r == GUEST_OK; i++) {
		char *full = NULL;
		bool exists = false;
		if (out[i].exists)
			continue; /* done with an earlier path's directory */
		r = resolve_in(fs, paths[i], false, &full, &exists, NULL);
		if (r == GUEST_E_NOENT)
			r = GUEST_OK; /* the parent is missing */
		if (r != GUEST_OK || !exists) {
			free(full);
			continue;
		}
		/* Type and size of every wanted name of this directory. */
		const char *slash = strrchr(full, '/');
		char *dir = strndup(full, (size_t)(slash - full));
		size_t k = 0;
		const char **names = calloc(n - i + 1, sizeof(*names));
		size_t *which = calloc(n - i + 1, sizeof(*which));
		char **fulls = calloc(n - i + 1, sizeof(*fulls));
		if (dir == NULL || names == NULL || which == NULL ||
		    fulls == NULL) {
			r = GUEST_E_NOMEM;
		} else {
			fulls[k] = full;
			names[k] = slash + 1;
			which[k++] = i;
			full = NULL;
			for (size_t j = i + 1; j < n; j++) {
				char *fj;
				bool ej;
				if (out[j].exists ||
				    resolve_in(fs, paths[j], false, &fj, &ej,
					       NULL) != GUEST_OK)
					continue;
				const char *sj = strrchr(fj, '/');
				if (ej && (size_t)(sj - fj) == strlen(dir) &&
				    strncmp(fj, dir, strlen(dir)) == 0) {
					fulls[k] = fj;
					names[k] = sj + 1;
					which[k++] = j;
				} else {
					free(fj);
				}
			}
			struct guestfs_statns_list *st = guestfs_lstatnslist(
				g, dir, (char *const *)names);
			if (st == NULL || st->len != k)
				r = GUEST_E_IO;
			for (size_t q = 0; q < k && r == GUEST_OK; q++)
				if (mode_type(st->val[q].st_mode) !=
				    GUEST_FT_FILE)
					r = GUEST_E_ISDIR;
			for (size_t q = 0; q < k && r == GUEST_OK; q++) {
				struct guest_digest *d = &out[which[q]];
				const uint8_t *known =
					tree_sums_find(&sums, fulls[q]);
				if (known != NULL) {
					memcpy(d->sha256, known, 32);
				} else {
					if (hash_full(g, fulls[q], d->sha256,
						      NULL) != 0) {
						r = GUEST_E_IO;
						break;
					}
				}
				d->exists = true;
				d->size =
					st->val[q].st_size < 0
						? 0
						: (uint64_t)st->val[q].st_size;
			}
			if (st != NULL)
				guestfs_free_statns_list(st);
		}
		for (size_t q = 0; fulls && q < k; q++)
			free(fulls[q]);
		free(full);
		free(fulls);
		free(names);
		free(which);
		free(dir);
	}
	tree_sums_free(&sums);
	return r;
}

static void app_fs_close(struct guest_fs *fs)
{
	struct app_fs *a = A(fs);
	for (size_t i = 0; i < a->ndirs; i++)
		dir_free(&a->dirs[i]);
	free(a->dirs);
	free(fs);
}

static const struct guest_fs_ops app_fs_ops = {
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
	.close = app_fs_close,
	.write_new = app_write_new,
	.sha256_many = app_sha256_many,
	.put_many = app_put_many,
	.sync = app_sync,
	.sha256 = app_sha256,
};

/* ------------------------------------------------------------------ */
/* Disks.                                                              */
/* ------------------------------------------------------------------ */

static struct app_disk *AD(struct guest_disk *d)
{
	return (struct app_disk *)d;
}

static int appd_pread(struct guest_disk *disk, size_t vol, uint64_t off,
		      size_t len, uint8_t *buf, size_t *got_ret)
{
	guestfs_h *g = AD(disk)->s->g;
	const struct guest_volume *v = &disk->layout.volumes[vol];
	const struct app_vol *av = &AD(disk)->vols[vol];
	if (off < av->head_len && len <= av->head_len - off) {
		memcpy(buf, av->head + off, len);
		*got_ret = len;
		return GUEST_OK;
	}
	if (off >= av->rec_off && off - av->rec_off < av->rec_len &&
	    len <= av->rec_len - (off - av->rec_off)) {
		memcpy(buf, av->rec + (off - av->rec_off), len);
		*got_ret = len;
		return GUEST_OK;
	}
	size_t got = 0;
	while (got < len && off + got < v->size) {
		size_t want = len - got < APP_CHUNK ? len - got : APP_CHUNK;
		size_t n;
		char *p = guestfs_pread_device(g, v->device, (int)want,
					       (int64_t)(off + got), &n);
		if (p == NULL)
			return guest_int_disk_fail(disk, g_class(g),
						   "%s: %s: %s", disk->name,
						   v->device, g_msg(g));
		if (n > want)
			n = want;
		memcpy(buf + got, p, n);
		free(p);
		got += n;
		if (n == 0)
			break;
	}
	*got_ret = got;
	return GUEST_OK;
}

static int appd_probe_rw(struct guest_disk *disk, size_t vol, int *code_ret)
{
	struct app_disk *ad = AD(disk);
	guestfs_h *g = ad->s->g;
	const struct guest_volume *v = &disk->layout.volumes[vol];
	struct app_vol *av = &ad->vols[vol];
	if (strcmp(v->fstype, "ntfs") != 0)
		return guest_int_disk_fail(disk, GUEST_E_UNSUPPORTED,
					   "%s: %s is not NTFS", disk->name,
					   v->device);
	if (!av->probed) {
		/* A mounted volume answers "in use": probe before mounting. */
		if (av->fs != NULL)
			return guest_int_disk_fail(
				disk, GUEST_E_STATE,
				"%s: %s: probe before mounting", disk->name,
				v->device);
		int code = guestfs_ntfs_3g_probe(g, 1, v->device);
		if (code < 0)
			return guest_int_disk_fail(
				disk, g_class(g), "%s: %s: ntfs-3g probe: %s",
				disk->name, v->device, g_msg(g));
		av->probed = true;
		av->probe_code = code;
	}
	*code_ret = av->probe_code;
	return GUEST_OK;
}

static int appd_umount(struct app_disk *ad, size_t vol)
{
	struct app_vol *av = &ad->vols[vol];
	if (av->fs == NULL)
		return GUEST_OK;
	int r = GUEST_OK;
	if (guestfs_umount(ad->s->g, av->mountpoint) != 0)
		r = guest_int_disk_fail(&ad->base, GUEST_E_IO,
					"%s: umount %s: %s", ad->base.name,
					ad->base.layout.volumes[vol].device,
					g_msg(ad->s->g));
	app_fs_close(&av->fs->base);
	av->fs = NULL;
	return r;
}

static int appd_mount(struct guest_disk *disk, size_t vol, bool readonly,
		      struct guest_fs **fs_ret)
{
	struct app_disk *ad = AD(disk);
	guestfs_h *g = ad->s->g;
	const struct guest_volume *v = &disk->layout.volumes[vol];
	struct app_vol *av = &ad->vols[vol];
	if (av->fs != NULL && av->fs->base.readonly == readonly) {
		*fs_ret = &av->fs->base;
		return GUEST_OK;
	}
	if (!readonly && ad->readonly)
		return guest_int_disk_fail(disk, GUEST_E_ROFS,
					   "%s: the image was opened read-only",
					   disk->name);
	int r = appd_umount(ad, vol);
	if (r != GUEST_OK)
		return r;
	if (!readonly) {
		av->head_len = 0;
		free(av->rec);
		av->rec = NULL;
		av->rec_len = 0;
	}
	/* NTFS goes through ntfs-3g explicitly: its refusals and its
	 * read-only fallback are what the safety checks are built on. */
	bool ntfs = strcmp(v->fstype, "ntfs") == 0;
	/* Writable NTFS: big_writes lets a write reach ntfs-3g in pieces
	 * of up to 128 KiB instead of 4 KiB (a quarter less time for the
	 * staged files under TCG); noatime keeps our own reads from
	 * writing access times into the guest. */
	const char *opts = readonly ? "ro" : ntfs ? "big_writes,noatime" : "";
	int rc = guestfs_mount_vfs(g, opts, ntfs ? "ntfs-3g" : "", v->device,
				   av->mountpoint);
	if (rc != 0)
		return guest_int_disk_fail(disk, GUEST_E_MOUNT, "%s: %s: %s",
					   disk->name, v->device, g_msg(g));
	if (!readonly) {
		/* ntfs-3g mounts a hibernated or unclean volume read-only
		 * instead of failing: a write would fail later, or worse. */
		struct guestfs_statvfs *sv = guestfs_statvfs(g, av->mountpoint);
		bool ro = sv == NULL || (sv->flag & APP_ST_RDONLY) != 0;
		if (sv)
			guestfs_free_statvfs(sv);
		if (ro) {
			guestfs_umount(g, av->mountpoint);
			return guest_int_disk_fail(
				disk, GUEST_E_ROFS,
				"%s: %s mounts only read-only "
				"(hibernated, Fast Startup or "
				"not cleanly unmounted)",
				disk->name, v->device);
		}
	}
	struct app_fs *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		guestfs_umount(g, av->mountpoint);
		return guest_int_disk_fail(disk, GUEST_E_NOMEM,
					   "out of memory");
	}
	a->base.ops = &app_fs_ops;
	a->base.readonly = readonly;
	a->base.owned_by_disk = true;
	snprintf(a->base.name, sizeof(a->base.name), "%s", v->device);
	a->s = ad->s;
	snprintf(a->mountpoint, sizeof(a->mountpoint), "%s", av->mountpoint);
	av->fs = a;
	*fs_ret = &a->base;
	return GUEST_OK;
}

static void appd_close(struct guest_disk *disk)
{
	struct app_disk *ad = AD(disk);
	for (size_t i = 0; i < disk->layout.nvolumes; i++) {
		if (ad->vols[i].fs != NULL)
			app_fs_close(&ad->vols[i].fs->base);
		free(ad->vols[i].rec);
	}
	free(ad->vols);
	free(disk->volumes);
	free(disk->name);
	free(ad);
}

static const struct guest_disk_ops app_disk_ops = {
	.pread = appd_pread,
	.probe_rw = appd_probe_rw,
	.mount = appd_mount,
	.close = appd_close,
};

/* ------------------------------------------------------------------ */
/* Session.                                                            */
/* ------------------------------------------------------------------ */

struct guest_session *guest_session_new(const struct guest_session_opts *opts)
{
	struct guest_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (opts != NULL)
		s->opts = *opts;
	return s;
}

const char *guest_session_errmsg(const struct guest_session *s)
{
	return s->error;
}

int guest_session_add(struct guest_session *s, const char *path,
		      const char *format, bool readonly, const char *name)
{
	if (s->launched) {
		session_fail(s, GUEST_E_STATE,
			     "%s: images must be added before launch",
			     name ? name : path);
		return -1;
	}
	if (format == NULL || format[0] == '\0') {
		session_fail(s, GUEST_E_STATE, "%s: no image format given",
			     path);
		return -1;
	}
	struct app_drive *nd =
		realloc(s->drives, (s->ndrives + 1) * sizeof(*nd));
	if (nd == NULL) {
		session_fail(s, GUEST_E_NOMEM, "out of memory");
		return -1;
	}
	s->drives = nd;
	struct app_drive *d = &s->drives[s->ndrives];
	*d = (struct app_drive){ .readonly = readonly };
	d->path = strdup(path);
	d->format = strdup(format);
	d->name = strdup(name ? name : path);
	if (d->path == NULL || d->format == NULL || d->name == NULL) {
		free(d->path);
		free(d->format);
		free(d->name);
		{
			session_fail(s, GUEST_E_NOMEM, "out of memory");
			return -1;
		}
	}
	return (int)s->ndrives++;
}

int guest_session_set_size(struct guest_session *s, int disk, uint64_t size)
{
	if (s->launched || disk < 0 || (size_t)disk >= s->ndrives ||
	    size > INT64_MAX)
		return session_fail(s, GUEST_E_STATE,
				    "disk %d: no size to set before launch",
				    disk);
	s->drives[disk].size = size;
	return GUEST_OK;
}

int guest_session_set_head(struct guest_session *s, int disk,
			   const struct guest_disk_head *head)
{
	if (s->launched || disk < 0 || (size_t)disk >= s->ndrives ||
	    s->drives[disk].size == 0 || head->size != s->drives[disk].size)
		return session_fail(s, GUEST_E_STATE,
				    "disk %d: no head to set before launch "
				    "but one read with the disk's size",
				    disk);
	s->drives[disk].head = head;
	return GUEST_OK;
}

static void on_launch_done(guestfs_h *g, void *opaque, uint64_t event,
			   int event_handle, int flags, const char *buf,
			   size_t buf_len, const uint64_t *array,
			   size_t array_len)
{
	(void)g;
	(void)event;
	(void)event_handle;
	(void)flags;
	(void)buf;
	(void)buf_len;
	(void)array;
	(void)array_len;
	struct guest_session *s = opaque;
	s->launches++;
	if (s->opts.event) {
		char msg[64];
		snprintf(msg, sizeof(msg), "appliance launch #%u done",
			 s->launches);
		s->opts.event(s->opts.event_ctx, "launch-done", msg);
	}
}

static void on_notice(void *ctx, const char *msg)
{
	struct guest_session *s = ctx;
	if (s->opts.event)
		s->opts.event(s->opts.event_ctx, "notice", msg);
}

/* guest_launch() setup: may run twice (the TCG retry), on fresh handles. */
static int setup_drives(guestfs_h *g, void *ctx)
{
	struct guest_session *s = ctx;
	if (guestfs_set_event_callback(g, on_launch_done,
				       GUESTFS_EVENT_LAUNCH_DONE, 0, s) < 0)
		return -1;
	for (size_t i = 0; i < s->ndrives; i++) {
		const struct app_drive *d = &s->drives[i];
		if (guestfs_add_drive_opts(
			    g, d->path, GUESTFS_ADD_DRIVE_OPTS_FORMAT,
			    d->format, GUESTFS_ADD_DRIVE_OPTS_READONLY,
			    d->readonly ? 1 : 0, -1) != 0)
			return -1;
	}
	return 0;
}

static void copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Adds one volume to a disk's list. */
static int add_volume(struct app_disk *ad, const struct guest_volume *v,
		      const struct guest_vol_head *vh)
{
	struct guest_disk *d = &ad->base;
	size_t n = d->layout.nvolumes;
	struct guest_volume *nv = realloc(d->volumes, (n + 1) * sizeof(*nv));
	if (nv == NULL)
		return GUEST_E_NOMEM;
	d->volumes = nv;
	d->layout.volumes = d->volumes;
	struct app_vol *na = realloc(ad->vols, (n + 1) * sizeof(*na));
	if (na == NULL)
		return GUEST_E_NOMEM;
	ad->vols = na;
	memset(&na[n], 0, sizeof(na[n]));
	memcpy(na[n].head, vh->boot, vh->boot_len);
	na[n].head_len = vh->boot_len;
	if (vh->rec != NULL) {
		na[n].rec = malloc(vh->rec_len);
		if (na[n].rec == NULL)
			return GUEST_E_NOMEM;
		memcpy(na[n].rec, vh->rec, vh->rec_len);
		na[n].rec_len = vh->rec_len;
		na[n].rec_off = vh->rec_off;
	}
	d->volumes[n] = *v;
	d->layout.nvolumes = n + 1;
	return GUEST_OK;
}

/*
 * What filesystem a volume holds, from its boot sector (in @vh, read by
 * guest_disk_head_read).  Under TCG blkid costs about two tenths of a
 * second, so a boot sector our own parsers accept as NTFS or FAT, or
 * recognise as BitLocker's, names the filesystem, and a Microsoft
 * reserved partition holds none by definition; anything else is asked of
 * blkid.
 */
static void probe_fs(guestfs_h *g, struct guest_volume *v,
		     const struct guest_vol_head *vh)
{
	if (strcmp(v->gpt_type, GUEST_GPT_TYPE_MSR) == 0) {
		v->fstype[0] = '\0';
		return;
	}
	if (vh->boot_len != 0) {
		struct guest_ntfs_geometry geo;
		char why[128];
		if (guest_vol_is_bitlocker(vh->boot, vh->boot_len)) {
			copy_field(v->fstype, sizeof(v->fstype), "BitLocker");
			return;
		}
		if (guest_ntfs_parse_boot(vh->boot, vh->boot_len, &geo, why,
					  sizeof(why)) == GUEST_VOL_OK) {
			copy_field(v->fstype, sizeof(v->fstype), "ntfs");
			return;
		}
		if (guest_vol_is_fat(vh->boot, vh->boot_len)) {
			copy_field(v->fstype, sizeof(v->fstype), "vfat");
			return;
		}
	}
	char *t = guestfs_vfs_type(g, v->device);
	copy_field(v->fstype, sizeof(v->fstype), t);
	free(t);
}

/* What the partition table reader reads first: MBR, GPT header and
 * entries, for 512 and 4096-byte sectors alike. */
#define DEV_HEAD_SIZE (32u * 1024)

struct dev_reader {
	guestfs_h *g;
	const char *device;
	uint64_t size;
	uint8_t head[DEV_HEAD_SIZE]; /* the first bytes, read in one call */
	size_t head_len;
	bool head_tried;
};

/* guest_read_fn over a whole appliance device. */
static int read_device(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	struct dev_reader *r = ctx;
	if (!r->head_tried) {
		r->head_tried = true;
		size_t want = r->size < DEV_HEAD_SIZE ? (size_t)r->size
						      : DEV_HEAD_SIZE;
		size_t n = 0;
		char *p = want ? guestfs_pread_device(r->g, r->device,
						      (int)want, 0, &n)
			       : NULL;
		if (p != NULL && n == want) {
			memcpy(r->head, p, n);
			r->head_len = n;
		}
		free(p);
	}
	if (off < r->head_len && len <= r->head_len - off) {
		memcpy(buf, r->head + off, len);
		return 0;
	}
	size_t got = 0;
	while (got < len) {
		size_t want = len - got < APP_CHUNK ? len - got : APP_CHUNK;
		size_t n;
		char *p = guestfs_pread_device(r->g, r->device, (int)want,
					       (int64_t)(off + got), &n);
		if (p == NULL)
			return -1;
		if (n > want)
			n = want;
		memcpy(buf + got, p, n);
		free(p);
		if (n == 0)
			return -1;
		got += n;
	}
	return 0;
}

/* Finds @ad's volumes; @drv says what the caller already read. */
static int discover_disk(struct guest_session *s, struct app_disk *ad,
			 const struct app_drive *drv)
{
	guestfs_h *g = s->g;
	struct guest_disk *d = &ad->base;
	/* A size the caller read from the image saves a blockdev process
	 * (about 0.2 s under TCG). */
	int64_t size = drv->size ? (int64_t)drv->size
				 : guestfs_blockdev_getsize64(g, ad->device);
	if (size < 0)
		return session_fail(s, GUEST_E_IO, "%s: %s", d->name, g_msg(g));
	d->layout.size = (uint64_t)size;

	/* The partition table is read natively from the raw sectors: one
	 * read instead of a parted or sfdisk process per partition; on the
	 * host when the caller read it there. */
	struct guest_disk_head own;
	const struct guest_disk_head *h = drv->head;
	if (h == NULL) {
		struct dev_reader *rd = calloc(1, sizeof(*rd));
		if (rd == NULL)
			return session_fail(s, GUEST_E_NOMEM, "out of memory");
		rd->g = g;
		rd->device = ad->device;
		rd->size = d->layout.size;
		int e = guest_disk_head_read(read_device, rd, d->layout.size,
					     &own);
		free(rd);
		if (e != GUEST_OK)
			return session_fail(s, e, "out of memory");
		h = &own;
	}
	int r = GUEST_OK;
	if (h->result == GUEST_PTABLE_IO) {
		r = session_fail(s, GUEST_E_IO, "%s: %s", d->name, h->why);
	} else if (h->result != GUEST_PTABLE_OK) {
		/* Reported by inspection; the disk has no volumes. */
		d->layout.ptable = GUEST_PTABLE_OTHER;
		copy_field(d->layout.problem, sizeof(d->layout.problem),
			   h->why);
	} else {
		/* No partition table is not an error: a whole-disk
		 * filesystem (an ISO, a bare NTFS volume) or an empty disk,
		 * one volume with partnum 0. */
		d->layout.ptable = h->type;
		d->layout.problem[0] = '\0';
		for (size_t i = 0; i < h->nparts && r == GUEST_OK; i++) {
			const struct guest_partition *p = &h->parts[i];
			struct guest_volume v = {
				.partnum = p->partnum,
				.start = p->start,
				.size = p->size,
				.mbr_id = p->mbr_id,
			};
			copy_field(v.gpt_type, sizeof(v.gpt_type), p->gpt_type);
			/* Partition devices of /dev/sdX are /dev/sdXN,
			 * numbered as guest_ptable_read() numbers them (the
			 * kernel's way). */
			if (p->partnum == 0)
				copy_field(v.device, sizeof(v.device),
					   ad->device);
			else
				snprintf(v.device, sizeof(v.device), "%s%u",
					 ad->device, p->partnum);
			probe_fs(g, &v, &h->vols[i]);
			if (add_volume(ad, &v, &h->vols[i]) != GUEST_OK)
				r = session_fail(s, GUEST_E_NOMEM,
						 "out of memory");
		}
	}
	if (h == &own)
		guest_disk_head_free(&own);
	return r;
}

static int discover(struct guest_session *s)
{
	guestfs_h *g = s->g;
	char **devs = guestfs_list_devices(g);
	if (devs == NULL)
		return session_fail(s, GUEST_E_IO, "list devices: %s",
				    g_msg(g));
	s->disks = calloc(s->ndrives ? s->ndrives : 1, sizeof(*s->disks));
	int r = s->disks ? GUEST_OK : GUEST_E_NOMEM;
	for (size_t i = 0; devs[i] != NULL && r == GUEST_OK; i++) {
		int idx = guestfs_device_index(g, devs[i]);
		if (idx < 0 || (size_t)idx >= s->ndrives ||
		    s->disks[idx] != NULL)
			continue;
		struct app_disk *ad = calloc(1, sizeof(*ad));
		if (ad == NULL) {
			r = GUEST_E_NOMEM;
			break;
		}
		s->disks[idx] = ad;
		ad->base.ops = &app_disk_ops;
		ad->base.owned_by_session = true;
		ad->base.name = strdup(s->drives[idx].name);
		ad->s = s;
		ad->readonly = s->drives[idx].readonly;
		copy_field(ad->device, sizeof(ad->device), devs[i]);
		if (ad->base.name == NULL)
			r = GUEST_E_NOMEM;
	}
	for (size_t i = 0; devs[i] != NULL; i++)
		free(devs[i]);
	free(devs);
	if (r != GUEST_OK)
		return session_fail(s, r, "out of memory");
	for (size_t i = 0; i < s->ndrives; i++) {
		if (s->disks[i] == NULL)
			return session_fail(s, GUEST_E_IO,
					    "%s: the appliance does not show "
					    "this disk",
					    s->drives[i].name);
		r = discover_disk(s, s->disks[i], &s->drives[i]);
		if (r != GUEST_OK)
			return r;
	}
	/* Mount points for every volume, before the first mount. */
	for (size_t i = 0; i < s->ndrives; i++) {
		struct app_disk *ad = s->disks[i];
		size_t n = ad->base.layout.nvolumes;
		if (ad->vols == NULL) /* no volume */
			ad->vols = calloc(1, sizeof(*ad->vols));
		if (ad->vols == NULL)
			return session_fail(s, GUEST_E_NOMEM, "out of memory");
		for (size_t j = 0; j < n; j++) {
			struct app_vol *av = &ad->vols[j];
			snprintf(av->mountpoint, sizeof(av->mountpoint),
				 "/hvo-d%zu-v%zu", i, j);
			if (guestfs_mkmountpoint(g, av->mountpoint) != 0)
				return session_fail(s, GUEST_E_IO,
						    "mount point %s: %s",
						    av->mountpoint, g_msg(g));
		}
	}
	return GUEST_OK;
}

int guest_session_launch(struct guest_session *s)
{
	if (s->launched)
		return session_fail(s, GUEST_E_STATE, "already launched");
	struct guest_launch_opts lo = s->opts.launch;
	lo.notice = on_notice;
	lo.notice_ctx = s;
	int r;
	if (guest_launch(&lo, setup_drives, s, &s->g, &s->res) != 0) {
		r = session_fail(s, GUEST_E_LAUNCH, "%s", s->res.error);
	} else {
		s->launched = true;
		r = discover(s);
	}
	/* The caller's heads are not used after the launch. */
	for (size_t i = 0; i < s->ndrives; i++)
		s->drives[i].head = NULL;
	return r;
}

const struct guest_launch_result *guest_session_launch_result(
	const struct guest_session *s)
{
	return &s->res;
}

unsigned guest_session_launches(const struct guest_session *s)
{
	return s->launches;
}

size_t guest_session_ndisks(const struct guest_session *s)
{
	return s->ndrives;
}

struct guest_disk *guest_session_disk(struct guest_session *s, size_t i)
{
	if (!s->launched || s->disks == NULL || i >= s->ndrives ||
	    s->disks[i] == NULL)
		return NULL;
	return &s->disks[i]->base;
}

int guest_session_shutdown(struct guest_session *s)
{
	if (s->g == NULL)
		return GUEST_OK;
	int r = GUEST_OK;
	for (size_t i = 0; s->disks != NULL && i < s->ndrives; i++) {
		struct app_disk *ad = s->disks[i];
		if (ad == NULL || ad->vols == NULL)
			continue;
		for (size_t j = 0; j < ad->base.layout.nvolumes; j++)
			if (appd_umount(ad, j) != GUEST_OK && r == GUEST_OK)
				r = session_fail(s, GUEST_E_IO, "%s",
						 ad->base.error);
	}
	/* With every volume unmounted cleanly, ntfs-3g has written and
	 * closed each device (the last close of a block device writes its
	 * page cache out): the umount-all and sync(2) of libguestfs's
	 * autosync would cost about 0.1 s per attached disk for nothing.
	 * After a failed umount they stay, as a last attempt. */
	if (r == GUEST_OK)
		guestfs_set_autosync(s->g, 0);
	if (guestfs_shutdown(s->g) != 0 && r == GUEST_OK)
		r = session_fail(s, GUEST_E_IO, "appliance shutdown: %s",
				 g_msg(s->g));
	guestfs_close(s->g);
	s->g = NULL;
	return r;
}

void guest_session_close(struct guest_session *s)
{
	if (s == NULL)
		return;
	guest_session_shutdown(s);
	for (size_t i = 0; i < s->ndrives; i++) {
		if (s->disks != NULL && s->disks[i] != NULL)
			appd_close(&s->disks[i]->base);
		free(s->drives[i].path);
		free(s->drives[i].format);
		free(s->drives[i].name);
	}
	free(s->disks);
	free(s->drives);
	free(s);
}

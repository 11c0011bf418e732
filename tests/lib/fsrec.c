/*
 * fsrec.c - recording the file system calls of this process under a root,
 * and rebuilding the states a power cut could leave (fsrec.h).
 *
 * The interposed functions are defined in the test program itself, so
 * that the library linked into it (libhvo_internal) calls them; each
 * calls the next definition (ASan's interceptor, then libc's) through
 * dlsym(RTLD_NEXT).  Link this file only into the power-loss tests.
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tests/lib/fsrec.h"

#include "tests/lib/fsrec_int.h"

struct op *fsrec_int_ops;
size_t fsrec_int_nops;
struct ent *fsrec_int_base; /* the snapshot's files, by inode */
size_t fsrec_int_nbase;
char fsrec_int_snap[PATH_MAX];
static size_t capops;
static unsigned long *known; /* inodes created while recording */
static size_t nknown, capknown;
static char root[PATH_MAX];
static size_t rootlen;
static volatile int on;

void fsrec_int_die(const char *what)
{
	fprintf(stderr, "fsrec: %s: %s\n", what, strerror(errno));
	abort();
}

void *fsrec_int_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		fsrec_int_die("out of memory");
	return p;
}

char *fsrec_int_xstrdup(const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		fsrec_int_die("out of memory");
	return d;
}

#define REAL(ret, name, args)                                     \
	static ret(*real_##name) args;                            \
	if (real_##name == NULL)                                  \
		*(void **)&real_##name = dlsym(RTLD_NEXT, #name); \
	if (real_##name == NULL)                                  \
	abort()

/* ---- Paths and inodes ---- */

void fsrec_int_join(char *out, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la + 1 + lb >= PATH_MAX) {
		errno = ENAMETOOLONG;
		fsrec_int_die(a);
	}
	memmove(out, a, la);
	out[la] = '/';
	memcpy(out + la + 1, b, lb + 1);
}

/* @full under the root: its relative name ("" for the root) in @rel. */
static bool under_root(const char *full, char *rel)
{
	if (strncmp(full, root, rootlen) != 0)
		return false;
	if (full[rootlen] == '\0') {
		rel[0] = '\0';
		return true;
	}
	if (full[rootlen] != '/')
		return false;
	snprintf(rel, PATH_MAX, "%s", full + rootlen + 1);
	return true;
}

/* @path (relative to @dfd) resolved through its directory; the last
 * component is kept as named. */
static bool rel_of_path(int dfd, const char *path, char *rel)
{
	char abs[PATH_MAX], dir[PATH_MAX], rdir[PATH_MAX];
	if (path[0] == '/') {
		snprintf(abs, sizeof(abs), "%s", path);
	} else if (dfd == AT_FDCWD) {
		if (getcwd(dir, sizeof(dir)) == NULL)
			return false;
		fsrec_int_join(abs, dir, path);
	} else {
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dfd);
		ssize_t n = readlink(link, dir, sizeof(dir) - 1);
		if (n < 0)
			return false;
		dir[n] = '\0';
		fsrec_int_join(abs, dir, path);
	}
	char *slash = strrchr(abs, '/');
	const char *name = slash + 1;
	if (slash == abs)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - abs), abs);
	if (realpath(dir, rdir) == NULL)
		return false;
	if (strcmp(name, ".") == 0 || name[0] == '\0')
		snprintf(abs, sizeof(abs), "%s", rdir);
	else
		fsrec_int_join(abs, rdir, name);
	return under_root(abs, rel);
}

/* The open file @fd when it lies under the root. */
static bool rel_of_fd(int fd, char *rel, struct stat *st)
{
	char link[64], full[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, full, sizeof(full) - 1);
	if (n < 0 || fstat(fd, st) != 0)
		return false;
	full[n] = '\0';
	const char *del = " (deleted)";
	size_t dl = strlen(del);
	if ((size_t)n > dl && strcmp(full + n - dl, del) == 0)
		full[n - dl] = '\0';
	return under_root(full, rel);
}

static struct op *add(enum kind kind)
{
	if (fsrec_int_nops == capops) {
		capops = capops ? capops * 2 : 256;
		fsrec_int_ops = fsrec_int_xrealloc(
			fsrec_int_ops, capops * sizeof(*fsrec_int_ops));
	}
	struct op *o = &fsrec_int_ops[fsrec_int_nops++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	return o;
}

static bool is_base(unsigned long ino)
{
	for (size_t i = 0; i < fsrec_int_nbase; i++)
		if (fsrec_int_base[i].ino == ino)
			return true;
	return false;
}

/* A file first seen now (made inside libc) is created now. */
static void ensure_known(unsigned long ino, const char *rel)
{
	if (is_base(ino))
		return;
	for (size_t i = 0; i < nknown; i++)
		if (known[i] == ino)
			return;
	if (nknown == capknown) {
		capknown = capknown ? capknown * 2 : 64;
		known = fsrec_int_xrealloc(known, capknown * sizeof(*known));
	}
	known[nknown++] = ino;
	struct op *o = add(K_CREATE);
	o->ino = ino;
	o->path = fsrec_int_xstrdup(rel);
}

static void rec_data(int fd, const void *buf, uint64_t len, uint64_t off,
		     enum kind kind)
{
	char rel[PATH_MAX];
	struct stat st;
	if (!rel_of_fd(fd, rel, &st) || !S_ISREG(st.st_mode))
		return;
	ensure_known(st.st_ino, rel);
	struct op *o = add(kind);
	o->ino = st.st_ino;
	o->off = off;
	o->len = len;
	if (kind == K_WRITE) {
		o->data = fsrec_int_xrealloc(NULL, len);
		memcpy(o->data, buf, len);
	}
}

static void rec_open(int fd, int flags)
{
	if (fd < 0 || !on || !(flags & (O_CREAT | O_TRUNC)))
		return;
	char rel[PATH_MAX];
	struct stat st;
	if (!rel_of_fd(fd, rel, &st) || !S_ISREG(st.st_mode))
		return;
	ensure_known(st.st_ino, rel);
	if (flags & O_TRUNC) {
		struct op *o = add(K_TRUNC);
		o->ino = st.st_ino;
	}
}

static void rec_sync(int fd)
{
	char rel[PATH_MAX];
	struct stat st;
	if (!on || !rel_of_fd(fd, rel, &st))
		return;
	if (S_ISDIR(st.st_mode)) {
		add(K_FSYNC_DIR)->path = fsrec_int_xstrdup(rel);
	} else if (S_ISREG(st.st_mode)) {
		ensure_known(st.st_ino, rel);
		add(K_FSYNC)->ino = st.st_ino;
	}
}

/* ---- The interposed calls ---- */

static int open_common(int dfd, const char *path, int flags, mode_t mode,
		       bool at)
{
	int fd;
	if (at) {
		REAL(int, openat, (int, const char *, int, ...));
		fd = real_openat(dfd, path, flags, mode);
	} else {
		REAL(int, open, (const char *, int, ...));
		fd = real_open(path, flags, mode);
	}
	int e = errno;
	rec_open(fd, flags);
	errno = e;
	return fd;
}

int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);
int openat(int dfd, const char *path, int flags, ...);
int openat64(int dfd, const char *path, int flags, ...);

#define MODE_ARG(flags)                         \
	mode_t mode = 0;                        \
	if ((flags) & (O_CREAT | O_TMPFILE)) {  \
		va_list ap;                     \
		va_start(ap, flags);            \
		mode = (mode_t)va_arg(ap, int); \
		va_end(ap);                     \
	}

int open(const char *path, int flags, ...)
{
	MODE_ARG(flags);
	return open_common(AT_FDCWD, path, flags, mode, false);
}

int open64(const char *path, int flags, ...)
{
	MODE_ARG(flags);
	return open_common(AT_FDCWD, path, flags, mode, false);
}

int openat(int dfd, const char *path, int flags, ...)
{
	MODE_ARG(flags);
	return open_common(dfd, path, flags, mode, true);
}

int openat64(int dfd, const char *path, int flags, ...)
{
	MODE_ARG(flags);
	return open_common(dfd, path, flags, mode, true);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL(ssize_t, write, (int, const void *, size_t));
	off_t off = on ? lseek(fd, 0, SEEK_CUR) : -1;
	if (on && off >= 0 && (fcntl(fd, F_GETFL) & O_APPEND)) {
		struct stat st;
		off = fstat(fd, &st) == 0 ? st.st_size : -1;
	}
	ssize_t r = real_write(fd, buf, n);
	int e = errno;
	if (on && r > 0 && off >= 0)
		rec_data(fd, buf, (uint64_t)r, (uint64_t)off, K_WRITE);
	errno = e;
	return r;
}

static ssize_t pwrite_common(int fd, const void *buf, size_t n, off_t off)
{
	REAL(ssize_t, pwrite, (int, const void *, size_t, off_t));
	ssize_t r = real_pwrite(fd, buf, n, off);
	int e = errno;
	if (on && r > 0)
		rec_data(fd, buf, (uint64_t)r, (uint64_t)off, K_WRITE);
	errno = e;
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite_common(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite_common(fd, buf, n, off);
}

static int ftruncate_common(int fd, off_t len)
{
	REAL(int, ftruncate, (int, off_t));
	int r = real_ftruncate(fd, len);
	int e = errno;
	if (on && r == 0)
		rec_data(fd, NULL, 0, (uint64_t)len, K_TRUNC);
	errno = e;
	return r;
}

int ftruncate(int fd, off_t len)
{
	return ftruncate_common(fd, len);
}

int ftruncate64(int fd, off_t len)
{
	return ftruncate_common(fd, len);
}

/* After a successful fsync or fdatasync of @fd, errno kept. */
static int synced(int r, int fd)
{
	int e = errno;
	if (r == 0)
		rec_sync(fd);
	errno = e;
	return r;
}

int fsync(int fd)
{
	REAL(int, fsync, (int));
	return synced(real_fsync(fd), fd);
}

int fdatasync(int fd)
{
	REAL(int, fdatasync, (int));
	return synced(real_fdatasync(fd), fd);
}

void sync(void)
{
	REAL(void, sync, (void));
	real_sync();
	if (on)
		add(K_SYNC);
}

int syncfs(int fd)
{
	REAL(int, syncfs, (int));
	int r = real_syncfs(fd);
	if (on && r == 0)
		add(K_SYNC);
	return r;
}

/* Name operations: resolved before the call (the name goes away). */
static bool name_op(int dfd, const char *path, char *rel, unsigned long *ino)
{
	if (!on || !rel_of_path(dfd, path, rel))
		return false;
	struct stat st;
	*ino = fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_ino
								 : 0;
	return true;
}

int rename(const char *from, const char *to)
{
	REAL(int, rename, (const char *, const char *));
	char r1[PATH_MAX], r2[PATH_MAX];
	unsigned long i1 = 0, i2 = 0;
	bool w1 = name_op(AT_FDCWD, from, r1, &i1);
	bool w2 = name_op(AT_FDCWD, to, r2, &i2);
	int r = real_rename(from, to);
	int e = errno;
	if (r == 0 && w1 && w2) {
		struct stat st;
		if (stat(to, &st) == 0 && S_ISREG(st.st_mode))
			ensure_known(i1, r1);
		struct op *o = add(K_RENAME);
		o->ino = i1;
		o->ino2 = i2;
		o->path = fsrec_int_xstrdup(r1);
		o->path2 = fsrec_int_xstrdup(r2);
	} else if (r == 0 && (w1 || w2)) {
		fprintf(stderr, "fsrec: rename across the root not modelled\n");
		abort();
	}
	errno = e;
	return r;
}

static int unlink_common(int dfd, const char *path, int flags)
{
	REAL(int, unlinkat, (int, const char *, int));
	char rel[PATH_MAX];
	unsigned long ino = 0;
	bool w = name_op(dfd, path, rel, &ino);
	int r = real_unlinkat(dfd, path, flags);
	int e = errno;
	if (r == 0 && w) {
		struct op *o = add(flags & AT_REMOVEDIR ? K_RMDIR : K_UNLINK);
		o->ino = ino;
		o->path = fsrec_int_xstrdup(rel);
	}
	errno = e;
	return r;
}

int unlink(const char *path)
{
	return unlink_common(AT_FDCWD, path, 0);
}

int unlinkat(int dfd, const char *path, int flags)
{
	return unlink_common(dfd, path, flags);
}

int rmdir(const char *path)
{
	return unlink_common(AT_FDCWD, path, AT_REMOVEDIR);
}

int mkdir(const char *path, mode_t mode)
{
	REAL(int, mkdir, (const char *, mode_t));
	int r = real_mkdir(path, mode);
	int e = errno;
	char rel[PATH_MAX];
	if (r == 0 && on && rel_of_path(AT_FDCWD, path, rel))
		add(K_MKDIR)->path = fsrec_int_xstrdup(rel);
	errno = e;
	return r;
}

/* ---- Recording ---- */

static int scan(const char *path, const struct stat *st, int type,
		struct FTW *ftw)
{
	(void)type;
	(void)ftw;
	char rel[PATH_MAX];
	if (!S_ISREG(st->st_mode) || !under_root(path, rel))
		return 0;
	fsrec_int_base = fsrec_int_xrealloc(fsrec_int_base,
					    (fsrec_int_nbase + 1) *
						    sizeof(*fsrec_int_base));
	fsrec_int_base[fsrec_int_nbase].ino = st->st_ino;
	fsrec_int_base[fsrec_int_nbase].path = fsrec_int_xstrdup(rel);
	fsrec_int_nbase++;
	return 0;
}

static void run(const char *fmt, ...)
{
	char cmd[3 * PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "fsrec: failed: %s\n", cmd);
		abort();
	}
}

void fsrec_reset(void)
{
	on = 0;
	for (size_t i = 0; i < fsrec_int_nops; i++) {
		free(fsrec_int_ops[i].path);
		free(fsrec_int_ops[i].path2);
		free(fsrec_int_ops[i].data);
	}
	free(fsrec_int_ops);
	fsrec_int_ops = NULL;
	fsrec_int_nops = capops = 0;
	for (size_t i = 0; i < fsrec_int_nbase; i++)
		free(fsrec_int_base[i].path);
	free(fsrec_int_base);
	fsrec_int_base = NULL;
	fsrec_int_nbase = 0;
	free(known);
	known = NULL;
	nknown = capknown = 0;
}

void fsrec_start(const char *r, const char *snapshot)
{
	fsrec_reset();
	if (realpath(r, root) == NULL)
		fsrec_int_die(r);
	rootlen = strlen(root);
	snprintf(fsrec_int_snap, sizeof(fsrec_int_snap), "%s", snapshot);
	run("rm -rf '%s' && cp -a '%s' '%s'", fsrec_int_snap, root,
	    fsrec_int_snap);
	if (nftw(root, scan, 32, FTW_PHYS) != 0)
		fsrec_int_die("scan the root");
	on = 1;
}

void fsrec_stop(void)
{
	on = 0;
}

void fsrec_counts(size_t *n, size_t *changes, size_t *barriers)
{
	size_t c = 0, b = 0;
	for (size_t i = 0; i < fsrec_int_nops; i++) {
		c += fsrec_int_ops[i].kind < K_FSYNC;
		b += fsrec_int_ops[i].kind >= K_FSYNC;
	}
	*n = fsrec_int_nops;
	if (changes != NULL)
		*changes = c;
	if (barriers != NULL)
		*barriers = b;
}

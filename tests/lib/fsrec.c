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

#define PAGE 4096u

enum kind {
	K_CREATE,
	K_MKDIR,
	K_RENAME,
	K_UNLINK,
	K_RMDIR, /* name operations: < K_WRITE */
	K_WRITE,
	K_TRUNC, /* data */
	K_FSYNC,
	K_FSYNC_DIR,
	K_SYNC /* barriers */
};

struct op {
	enum kind kind;
	unsigned long ino, ino2; /* ino2: a rename's victim */
	char *path, *path2;
	uint64_t off, len;
	uint8_t *data;
};

struct ent {
	unsigned long ino;
	char *path;
};

static struct op *ops;
static size_t nops, capops;
static struct ent *base; /* the snapshot's files, by inode */
static size_t nbase;
static unsigned long *known; /* inodes created while recording */
static size_t nknown, capknown;
static char root[PATH_MAX], snap[PATH_MAX];
static size_t rootlen;
static volatile int on;

static void die(const char *what)
{
	fprintf(stderr, "fsrec: %s: %s\n", what, strerror(errno));
	abort();
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		die("out of memory");
	return d;
}

#define REAL(ret, name, args)                                     \
	static ret(*real_##name) args;                            \
	if (real_##name == NULL)                                  \
		*(void **)&real_##name = dlsym(RTLD_NEXT, #name); \
	if (real_##name == NULL)                                  \
	abort()

/* ---- Paths and inodes ---- */

/* "@a/@b" into @out (PATH_MAX); aborts when too long. */
static void join(char *out, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la + 1 + lb >= PATH_MAX) {
		errno = ENAMETOOLONG;
		die(a);
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
		join(abs, dir, path);
	} else {
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dfd);
		ssize_t n = readlink(link, dir, sizeof(dir) - 1);
		if (n < 0)
			return false;
		dir[n] = '\0';
		join(abs, dir, path);
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
		join(abs, rdir, name);
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
	if (nops == capops) {
		capops = capops ? capops * 2 : 256;
		ops = xrealloc(ops, capops * sizeof(*ops));
	}
	struct op *o = &ops[nops++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	return o;
}

static bool is_base(unsigned long ino)
{
	for (size_t i = 0; i < nbase; i++)
		if (base[i].ino == ino)
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
		known = xrealloc(known, capknown * sizeof(*known));
	}
	known[nknown++] = ino;
	struct op *o = add(K_CREATE);
	o->ino = ino;
	o->path = xstrdup(rel);
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
		o->data = xrealloc(NULL, len);
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
		add(K_FSYNC_DIR)->path = xstrdup(rel);
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

int fsync(int fd)
{
	REAL(int, fsync, (int));
	int r = real_fsync(fd);
	int e = errno;
	if (r == 0)
		rec_sync(fd);
	errno = e;
	return r;
}

int fdatasync(int fd)
{
	REAL(int, fdatasync, (int));
	int r = real_fdatasync(fd);
	int e = errno;
	if (r == 0)
		rec_sync(fd);
	errno = e;
	return r;
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
		o->path = xstrdup(r1);
		o->path2 = xstrdup(r2);
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
		o->path = xstrdup(rel);
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
		add(K_MKDIR)->path = xstrdup(rel);
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
	base = xrealloc(base, (nbase + 1) * sizeof(*base));
	base[nbase].ino = st->st_ino;
	base[nbase].path = xstrdup(rel);
	nbase++;
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
	for (size_t i = 0; i < nops; i++) {
		free(ops[i].path);
		free(ops[i].path2);
		free(ops[i].data);
	}
	free(ops);
	ops = NULL;
	nops = capops = 0;
	for (size_t i = 0; i < nbase; i++)
		free(base[i].path);
	free(base);
	base = NULL;
	nbase = 0;
	free(known);
	known = NULL;
	nknown = capknown = 0;
}

void fsrec_start(const char *r, const char *snapshot)
{
	fsrec_reset();
	if (realpath(r, root) == NULL)
		die(r);
	rootlen = strlen(root);
	snprintf(snap, sizeof(snap), "%s", snapshot);
	run("rm -rf '%s' && cp -a '%s' '%s'", snap, root, snap);
	if (nftw(root, scan, 32, FTW_PHYS) != 0)
		die("scan the root");
	on = 1;
}

void fsrec_stop(void)
{
	on = 0;
}

void fsrec_counts(size_t *n, size_t *changes, size_t *barriers)
{
	*n = nops;
	*changes = *barriers = 0;
	for (size_t i = 0; i < nops; i++) {
		*changes += ops[i].kind < K_FSYNC;
		*barriers += ops[i].kind >= K_FSYNC;
	}
}

/* ---- Rebuilding states ---- */

static uint64_t rng;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The replayed tree: which path each inode has now. */
static struct ent *map;
static size_t nmap;
static char state[PATH_MAX];

static void map_drop(const char *path)
{
	for (size_t i = 0; i < nmap; i++)
		if (map[i].path && strcmp(map[i].path, path) == 0) {
			free(map[i].path);
			map[i].path = NULL;
		}
}

static const char *map_find(unsigned long ino)
{
	for (size_t i = nmap; i-- > 0;)
		if (map[i].ino == ino)
			return map[i].path;
	return NULL;
}

static void map_set(unsigned long ino, const char *path)
{
	for (size_t i = 0; i < nmap; i++)
		if (map[i].ino == ino) {
			free(map[i].path);
			map[i].path = xstrdup(path);
			return;
		}
	map = xrealloc(map, (nmap + 1) * sizeof(*map));
	map[nmap].ino = ino;
	map[nmap].path = xstrdup(path);
	nmap++;
}

static void at(char *buf, const char *rel)
{
	join(buf, state, rel);
}

static void replay_name(const struct op *o)
{
	char p1[PATH_MAX], p2[PATH_MAX];
	at(p1, o->path);
	switch (o->kind) {
	case K_CREATE: {
		unlink(p1);
		map_drop(o->path);
		int fd = open(p1, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			break; /* its directory is not there */
		close(fd);
		map_set(o->ino, o->path);
		break;
	}
	case K_MKDIR:
		mkdir(p1, 0755);
		break;
	case K_RENAME: {
		at(p2, o->path2);
		if (rename(p1, p2) != 0)
			break;
		map_drop(o->path2);
		size_t l = strlen(o->path);
		for (size_t i = 0; i < nmap; i++) {
			char *p = map[i].path;
			if (p == NULL || strncmp(p, o->path, l) != 0 ||
			    (p[l] != '\0' && p[l] != '/'))
				continue;
			char *n;
			if (asprintf(&n, "%s%s", o->path2, p + l) < 0)
				die("out of memory");
			free(p);
			map[i].path = n;
		}
		break;
	}
	case K_UNLINK:
		if (unlink(p1) == 0)
			map_drop(o->path);
		break;
	case K_RMDIR:
		rmdir(p1);
		break;
	default:
		break;
	}
}

static void replay_data(const struct op *o, bool torn)
{
	const char *rel = map_find(o->ino);
	if (rel == NULL)
		return; /* not (or no longer) linked in the tree */
	char p[PATH_MAX];
	at(p, rel);
	int fd = open(p, O_WRONLY);
	if (fd < 0)
		die(p);
	if (o->kind == K_TRUNC) {
		if (ftruncate(fd, (off_t)o->off) != 0)
			die(p);
	} else {
		for (uint64_t a = 0; a < o->len; a += PAGE) {
			uint64_t b = a + PAGE < o->len ? a + PAGE : o->len;
			if (torn && !(next_rand() & 1))
				continue;
			if (pwrite(fd, o->data + a, b - a,
				   (off_t)(o->off + a)) != (ssize_t)(b - a))
				die(p);
		}
	}
	close(fd);
}

/* ---- Copying trees in process (a fork per state is slow) ---- */

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP ? rmdir(path) : unlink(path))
		die(path);
	return 0;
}

static const char *copy_from, *copy_to;

static int copy_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)ftw;
	char dst[PATH_MAX];
	const char *rest = path + strlen(copy_from);
	if (rest[0] == '\0')
		snprintf(dst, sizeof(dst), "%s", copy_to);
	else
		join(dst, copy_to, rest + 1);
	if (type == FTW_D) {
		if (mkdir(dst, st->st_mode & 07777) != 0)
			die(dst);
		return 0;
	}
	if (!S_ISREG(st->st_mode))
		return 0;
	int in = open(path, O_RDONLY);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & 07777);
	if (in < 0 || out < 0)
		die(dst);
	static uint8_t buf[1 << 16];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die(dst);
	close(in);
	close(out);
	return 0;
}

/* rm -rf @to; cp -r @from @to (modes kept; the recorder is off). */
static void copy_tree(const char *from, const char *to)
{
	struct stat st;
	if (lstat(to, &st) == 0 &&
	    nftw(to, rm_one, 32, FTW_DEPTH | FTW_PHYS) != 0)
		die(to);
	copy_from = from;
	copy_to = to;
	if (nftw(from, copy_one, 32, FTW_PHYS) != 0)
		die(from);
}

/* Operation i of the first k is followed by a flush of its data. */
static bool data_durable(size_t i, size_t k)
{
	for (size_t j = i + 1; j < k; j++)
		if (ops[j].kind == K_SYNC ||
		    (ops[j].kind == K_FSYNC && ops[j].ino == ops[i].ino))
			return true;
	return false;
}

/*
 * One state of a cut after @k operations: the durable ones, the first
 * @meta pending name operations, and the pending data changes @pick
 * (indexes into @pend, in that order; torn when @torn).
 */
static void build(size_t k, size_t meta, const size_t *pick, size_t npick,
		  bool torn)
{
	copy_tree(snap, state);
	for (size_t i = 0; i < nmap; i++)
		free(map[i].path);
	free(map);
	map = xrealloc(NULL, nbase * sizeof(*map));
	nmap = nbase;
	for (size_t i = 0; i < nbase; i++) {
		map[i].ino = base[i].ino;
		map[i].path = xstrdup(base[i].path);
	}
	size_t barrier = 0; /* name operations before it are durable */
	for (size_t i = 0; i < k; i++)
		if (ops[i].kind == K_FSYNC_DIR || ops[i].kind == K_SYNC)
			barrier = i;
	size_t seen = 0;
	for (size_t i = 0; i < k; i++) {
		const struct op *o = &ops[i];
		if (o->kind < K_WRITE) {
			if (i < barrier || seen++ < meta)
				replay_name(o);
		} else if (o->kind <= K_TRUNC && data_durable(i, k)) {
			replay_data(o, false);
		}
	}
	for (size_t j = 0; j < npick; j++)
		replay_data(&ops[pick[j]], torn);
}

/* Whether the states of a cut after @k operations are explored. */
static bool chosen(size_t k, unsigned every, size_t *nbarrier)
{
	if (every <= 1 || k == nops)
		return every == 1 || k == nops || ops[k].kind >= K_FSYNC;
	if (ops[k].kind < K_FSYNC)
		return false;
	return (*nbarrier)++ % every == 0;
}

unsigned fsrec_explore(const char *work, unsigned nrandom, unsigned every,
		       unsigned seed, fsrec_judge_fn judge, void *ctx,
		       unsigned *failed_ret)
{
	size_t nbarrier = 0;
	on = 0;
	rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed * 0x100000001b3ull);
	join(state, work, "state");
	unsigned states = 0, failed = 0;
	size_t *pend = xrealloc(NULL, (nops + 1) * sizeof(*pend));
	size_t *pick = xrealloc(NULL, (nops + 1) * sizeof(*pick));
	for (size_t k = 0; k <= nops; k++) {
		if (!chosen(k, every, &nbarrier))
			continue;
		size_t barrier = 0, q = 0, m = 0;
		for (size_t i = 0; i < k; i++)
			if (ops[i].kind == K_FSYNC_DIR || ops[i].kind == K_SYNC)
				barrier = i;
		for (size_t i = 0; i < k; i++) {
			if (ops[i].kind < K_WRITE && i >= barrier)
				q++;
			else if (ops[i].kind >= K_WRITE &&
				 ops[i].kind <= K_TRUNC && !data_durable(i, k))
				pend[m++] = i;
		}
		/* Variants: none; all; each name prefix; all data but one
		 * and one alone; random. */
		size_t nvar = 2 + (q > 1 ? q - 1 : 0) + (m > 1 ? 2 * m : 0) +
			      ((q || m) ? nrandom : 0);
		for (size_t v = 0; v < nvar; v++) {
			const char *how;
			size_t meta = q, np = 0;
			bool torn = false;
			size_t v2 = v;
			if (v2 == 0) {
				how = "durable operations only";
				meta = 0;
			} else if (v2 == 1) {
				how = "every pending operation";
				memcpy(pick, pend, m * sizeof(*pick));
				np = m;
			} else if ((v2 -= 2) < (q > 1 ? q - 1 : 0)) {
				how = "a prefix of the pending name operations";
				meta = v2 + 1;
				memcpy(pick, pend, m * sizeof(*pick));
				np = m;
			} else if ((v2 -= (q > 1 ? q - 1 : 0)) < 2 * m &&
				   m > 1) {
				if (v2 < m) {
					how = "all pending data but one";
					for (size_t j = 0; j < m; j++)
						if (j != v2)
							pick[np++] = pend[j];
				} else {
					how = "one pending data change alone";
					pick[np++] = pend[v2 - m];
				}
			} else {
				how = "random: name prefix, data torn and "
				      "reordered";
				meta = q ? (size_t)(next_rand() % (q + 1)) : 0;
				for (size_t j = 0; j < m; j++)
					if (next_rand() % 3)
						pick[np++] = pend[j];
				for (size_t j = np; j > 1; j--) {
					size_t r = (size_t)(next_rand() % j);
					size_t t = pick[j - 1];
					pick[j - 1] = pick[r];
					pick[r] = t;
				}
				torn = true;
			}
			build(k, meta, pick, np, torn);
			states++;
			if (!judge(ctx, state, k, nops, how))
				failed++;
		}
	}
	free(pend);
	free(pick);
	*failed_ret = failed;
	return states;
}

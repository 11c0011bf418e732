/*
 * tmpname.c - writer-named temporary files and their cleanup (tmpname.h).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/tmpname.h"

/* Temporary files one process has open at a time: a few per command (a
 * hive and its logs, one image).  Past this they are still created, only
 * not removed by the signal cleanup (the next run's sweep does it). */
#define TMP_REGISTRY_SLOTS 32

static char *volatile registry[TMP_REGISTRY_SLOTS];

static void (*notice_fn)(void *ctx, const char *msg);
static void *notice_ctx;

void hvo_int_tmp_set_notice(void (*fn)(void *ctx, const char *msg), void *ctx)
{
	notice_fn = fn;
	notice_ctx = ctx;
}

static void reg_add(char *copy)
{
	for (size_t i = 0; i < TMP_REGISTRY_SLOTS; i++) {
		if (registry[i] == NULL) {
			registry[i] = copy;
			return;
		}
	}
	free(copy);
}

void hvo_int_tmp_forget(const char *tmp)
{
	if (tmp == NULL)
		return;
	for (size_t i = 0; i < TMP_REGISTRY_SLOTS; i++) {
		char *p = registry[i];
		if (p && strcmp(p, tmp) == 0) {
			registry[i] = NULL;
			free(p);
			return;
		}
	}
}

void hvo_int_tmp_remove(const char *tmp)
{
	if (tmp == NULL)
		return;
	unlink(tmp);
	hvo_int_tmp_forget(tmp);
}

/* Splits @path into a malloc'ed directory and base name. */
static int split(const char *path, char **dir_ret, char **base_ret)
{
	char *c1 = strdup(path), *c2 = strdup(path);
	char *dir = NULL, *base = NULL;
	if (c1 && c2) {
		dir = strdup(dirname(c1));
		base = strdup(basename(c2));
	}
	free(c1);
	free(c2);
	if (dir == NULL || base == NULL) {
		free(dir);
		free(base);
		return ENOMEM;
	}
	*dir_ret = dir;
	*base_ret = base;
	return 0;
}

int hvo_int_tmp_create(const char *path, char **tmp_ret)
{
	char *dir, *base, *tmpl = NULL;
	int e = split(path, &dir, &base);
	if (e != 0) {
		errno = e;
		return -1;
	}
	int rc = asprintf(&tmpl, "%s/.%s.hvo-%ld-XXXXXX", dir, base,
			  (long)getpid());
	free(dir);
	free(base);
	if (rc < 0) {
		errno = ENOMEM;
		return -1;
	}
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		free(tmpl);
		errno = e;
		return -1;
	}
	/* Held until the descriptor closes: tells a sweeper the file is
	 * still being written, whatever its pid now belongs to. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		e = errno;
		close(fd);
		unlink(tmpl);
		free(tmpl);
		errno = e;
		return -1;
	}
	char *copy = strdup(tmpl);
	if (copy)
		reg_add(copy);
	*tmp_ret = tmpl;
	return fd;
}

bool hvo_int_tmp_parse(const char *name, const char *base, pid_t *pid_ret)
{
	if (name[0] != '.')
		return false;
	const char *mark = strstr(name + 1, ".hvo-");
	/* The base name may itself contain ".hvo-": take the last one that
	 * parses. */
	while (mark) {
		const char *next = strstr(mark + 1, ".hvo-");
		size_t blen = (size_t)(mark - (name + 1));
		const char *p = mark + 5;
		if (blen > 0 &&
		    (base == NULL || (strlen(base) == blen &&
				      memcmp(base, name + 1, blen) == 0)) &&
		    *p >= '1' && *p <= '9') {
			char *end;
			errno = 0;
			long v = strtol(p, &end, 10);
			if (errno == 0 && *end == '-' && end[1] != '\0' &&
			    v > 0 && v <= INT32_MAX) {
				*pid_ret = (pid_t)v;
				return true;
			}
		}
		mark = next;
	}
	return false;
}

static void notice(const char *full, long pid, bool gone)
{
	if (notice_fn == NULL)
		return;
	char msg[4300];
	snprintf(msg, sizeof(msg),
		 "removed stale temporary file %s (%spid %ld%s)", full,
		 gone ? "its writer, " : "", pid,
		 gone ? ", is gone" : " no longer writes it");
	notice_fn(notice_ctx, msg);
}

/* Is the temporary file @full (of writer @pid) stale?  See tmpname.h. */
static bool is_stale(int dfd, const char *name, pid_t pid, bool *gone_ret)
{
	*gone_ret = false;
	if (kill(pid, 0) != 0 && errno == ESRCH) {
		*gone_ret = true;
		return true;
	}
	if (pid == getpid())
		return false; /* ours: a handle of this process writes it */
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	bool stale = false;
	struct stat st;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode) &&
	    time(NULL) - st.st_mtime >= HVO_TMP_STALE_SECONDS)
		stale = true;
	close(fd); /* releases the flock */
	return stale;
}

unsigned hvo_int_tmp_sweep(const char *path)
{
	return hvo_int_tmp_sweep_each(path, NULL, NULL);
}

/* The sweep of the directory @d (closed here) for @base; @shown names
 * the directory in notices and for @fn. */
static unsigned sweep_dir(DIR *d, const char *shown, const char *base,
			  void (*fn)(void *ctx, const char *full), void *ctx)
{
	unsigned removed = 0;
	int dfd = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		pid_t pid;
		if (!hvo_int_tmp_parse(de->d_name, base, &pid))
			continue;
		bool gone;
		if (!is_stale(dfd, de->d_name, pid, &gone))
			continue;
		if (unlinkat(dfd, de->d_name, 0) != 0)
			continue;
		removed++;
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", shown, de->d_name);
		/* A caller with @fn reports the removal itself. */
		if (fn != NULL)
			fn(ctx, full);
		else
			notice(full, (long)pid, gone);
	}
	closedir(d);
	return removed;
}

unsigned hvo_int_tmp_sweep_each(const char *path,
				void (*fn)(void *ctx, const char *full),
				void *ctx)
{
	char *dir, *base;
	if (split(path, &dir, &base) != 0)
		return 0;
	unsigned removed = 0;
	DIR *d = opendir(dir);
	if (d != NULL)
		removed = sweep_dir(d, dir, base, fn, ctx);
	free(dir);
	free(base);
	return removed;
}

unsigned hvo_int_tmp_sweep_at(int dfd, const char *base, const char *shown)
{
	int fd = dup(dfd);
	if (fd < 0)
		return 0;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	return sweep_dir(d, shown, base, NULL, NULL);
}

int hvo_int_tmp_create_at(int dfd, const char *base, char *name, size_t namelen)
{
	for (int tries = 0; tries < 100; tries++) {
		int n = snprintf(name, namelen, ".%s.hvo-%ld-%06lx", base,
				 (long)getpid(),
				 (unsigned long)random() & 0xffffffUL);
		if (n < 0 || (size_t)n >= namelen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		int fd = openat(dfd, name,
				O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC,
				0644);
		if (fd >= 0) {
			/* Held until closed: a sweeper leaves it alone. */
			flock(fd, LOCK_EX | LOCK_NB);
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* ---- signal cleanup ---- */

static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction old_actions[3];
static volatile sig_atomic_t installed;

static void on_signal(int sig)
{
	/* unlink() is async-signal-safe; the registry is only read. */
	for (size_t i = 0; i < TMP_REGISTRY_SLOTS; i++) {
		char *p = registry[i];
		if (p)
			unlink(p);
	}
	for (size_t i = 0; i < 3; i++)
		if (cleanup_signals[i] == sig)
			sigaction(sig, &old_actions[i], NULL);
	raise(sig);
}

void hvo_int_tmp_cleanup_on_signal(void)
{
	if (installed)
		return;
	installed = 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < 3; i++) {
		/* A signal the caller ignores (nohup) stays ignored. */
		if (sigaction(cleanup_signals[i], NULL, &old_actions[i]) != 0 ||
		    old_actions[i].sa_handler == SIG_IGN)
			continue;
		sigaction(cleanup_signals[i], &sa, NULL);
	}
}

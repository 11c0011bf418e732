/*
 * extract.c - safe extraction of members into a host directory.
 *
 * Cabinets come from the internet and are hostile until proven otherwise:
 *   - every name is checked first (cab_safe_path) and an unsafe one stops
 *     the extraction before anything is written -- we refuse rather than
 *     rewrite, so that what lands on disk is what the cabinet says;
 *   - the caps (total bytes, file count) and the free space of the target
 *     filesystem are checked against the listed sizes up front, so a
 *     26 kB cabinet that claims 6.4 GB is refused without writing a byte;
 *     the running total is enforced again while writing;
 *   - paths are walked component by component with openat(O_NOFOLLOW), so
 *     a symlink already in the target tree is never followed, and no
 *     symlink is ever created;
 *   - each file is written under a temporary name in its directory and
 *     renamed over the final name only when complete and verified, so a
 *     failure never leaves a partial file under a member's name.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cab/cab_internal.h"
#include "util/fileio.h"
#include "util/tmpname.h"

struct xctx {
	struct cab *cab;
	const struct cab_extract_opts *opts;
	int dirfd;
	const char *dir; /* as given, for messages */
	uint64_t max_total;
	uint64_t total;	  /* selected bytes, for progress */
	uint64_t written; /* bytes written so far */
	struct cab_extract_stats *stats;
	/* The directory of the last file, kept open: members of a folder
	 * are usually stored together, and walking the path again costs an
	 * openat per component. */
	char *lastdir;
	int lastdirfd;
	/* The file being written; its directory is lastdirfd itself unless
	 * parent_owned. */
	int parentfd;
	bool parent_owned;
	int fd;
	char tmpname[320]; /* ".<base>.hvo-<pid>-XXXXXX" (util/tmpname.h) */
	char *path;
	const char *base;
	int err;
	char msg[512]; /* the message of err, kept from later overwrites */
};

/* Records the extraction's own failure and its message. */
static int xsave(struct xctx *x, int err)
{
	x->err = err;
	memcpy(x->msg, x->cab->errmsg, sizeof(x->msg));
	return err;
}

/* Closes the member's directory, unless it is the kept one. */
static void parent_release(struct xctx *x)
{
	if (x->parentfd >= 0 && x->parent_owned)
		close(x->parentfd);
	x->parentfd = -1;
	x->parent_owned = false;
}

/*
 * Opens (creating as needed) the directory that will hold @path, without
 * following symlinks.  Returns an fd or -1 with the handle's error set.
 * The fd is kept for the next member (*@owned false) unless it could not
 * be remembered (*@owned true: the caller closes it).
 */
static int open_parent(struct xctx *x, char *path, const char **base_ret,
		       bool *owned)
{
	char *last = strrchr(path, '/');
	size_t dlen = last ? (size_t)(last - path) : 0;
	*owned = false;
	if (x->lastdir != NULL && strlen(x->lastdir) == dlen &&
	    strncmp(x->lastdir, path, dlen) == 0) {
		*base_ret = last ? last + 1 : path;
		return x->lastdirfd;
	}
	int fd = dup(x->dirfd);
	if (fd < 0) {
		xsave(x, cab_int_set_error(x->cab, CAB_ERR_IO, "dup: %s",
					   strerror(errno)));
		return -1;
	}
	char *comp = path;
	for (;;) {
		char *slash = strchr(comp, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
		int nfd =
			openat(fd, comp,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT) {
			if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
				int e = errno;
				*slash = '/';
				xsave(x, cab_int_set_error(x->cab, CAB_ERR_IO,
							   "%s: mkdir: %s",
							   path, strerror(e)));
				close(fd);
				return -1;
			}
			nfd = openat(fd, comp,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					     O_CLOEXEC);
		}
		int e = errno;
		struct stat st;
		bool is_link =
			nfd < 0 &&
			fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			S_ISLNK(st.st_mode);
		*slash = '/';
		close(fd);
		if (nfd < 0) {
			/* O_NOFOLLOW|O_DIRECTORY fails on a symlink with
			 * ENOTDIR or ELOOP depending on the kernel. */
			xsave(x,
			      cab_int_set_error(
				      x->cab,
				      is_link || e == ENOTDIR ? CAB_ERR_EXISTS
							      : CAB_ERR_IO,
				      "%s: %s", path,
				      is_link ? "a symlink is in the way "
						"(never followed)"
				      : e == ENOTDIR ? "a file is in the way "
						       "of a directory"
						     : strerror(e)));
			return -1;
		}
		fd = nfd;
		comp = slash + 1;
	}
	*base_ret = comp;
	/* Remembered for the next member. */
	char *d = strndup(path, dlen);
	if (d == NULL) {
		*owned = true;
		return fd;
	}
	free(x->lastdir);
	if (x->lastdirfd >= 0)
		close(x->lastdirfd);
	x->lastdir = d;
	x->lastdirfd = fd;
	return fd;
}

static int x_begin(void *ctx, size_t index, const struct cab_entry *e)
{
	struct xctx *x = ctx;
	const char *why = NULL;
	free(x->path);
	x->path = NULL;
	int err = cab_safe_path(e, &x->path, &why);
	if (err) {
		xsave(x, cab_int_set_error(x->cab, err, "%s: unsafe name: %s",
					   e->name, why ? why : ""));
		return -1;
	}
	x->parentfd = open_parent(x, x->path, &x->base, &x->parent_owned);
	if (x->parentfd < 0)
		return -1;
	struct stat st;
	if (fstatat(x->parentfd, x->base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode) || !x->opts->overwrite) {
			xsave(x,
			      cab_int_set_error(
				      x->cab, CAB_ERR_EXISTS, "%s: %s", x->path,
				      S_ISLNK(st.st_mode)
					      ? "exists as a symlink"
				      : !S_ISREG(st.st_mode)
					      ? "exists and is not a regular "
						"file"
					      : "exists (use overwrite)"));
			parent_release(x);
			return -1;
		}
	}
	/* Temporary files of killed extractions of this member go first
	 * (said through the notice hook); ours is named for this process. */
	char shown[4200];
	const char *slash = strrchr(x->path, '/');
	snprintf(shown, sizeof(shown), "%s%s%.*s", x->dir, slash ? "/" : "",
		 slash ? (int)(slash - x->path) : 0, x->path);
	hvo_int_tmp_sweep_at(x->parentfd, x->base, shown);
	x->fd = hvo_int_tmp_create_at(x->parentfd, x->base, x->tmpname,
				      sizeof(x->tmpname));
	if (x->fd < 0) {
		xsave(x, cab_int_set_error(x->cab, CAB_ERR_IO, "%s: create: %s",
					   x->path, strerror(errno)));
		parent_release(x);
		return -1;
	}
	return 0;
}

static int x_write(void *ctx, const void *buf, size_t len)
{
	struct xctx *x = ctx;
	if (x->written + len > x->max_total) {
		xsave(x, cab_int_set_error(x->cab, CAB_ERR_LIMIT,
					   "%s: output would exceed the cap of "
					   "%llu bytes",
					   x->path,
					   (unsigned long long)x->max_total));
		return -1;
	}
	int e = hvo_int_write_all(x->fd, buf, len);
	if (e) {
		xsave(x, cab_int_set_error(
				 x->cab,
				 e == ENOSPC ? CAB_ERR_NOSPACE : CAB_ERR_IO,
				 "%s: write: %s", x->path, strerror(e)));
		return -1;
	}
	x->written += len;
	return 0;
}

static void set_mtime(int fd, const struct cab_entry *e)
{
	/* DOS dates are local time, as makecab records them and cabextract
	 * restores them. */
	struct tm tm = { 0 };
	tm.tm_year = e->year - 1900;
	tm.tm_mon = e->month - 1;
	tm.tm_mday = e->day;
	tm.tm_hour = e->hour;
	tm.tm_min = e->minute;
	tm.tm_sec = e->second;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return;
	struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };
	futimens(fd, ts);
}

static int x_end(void *ctx, size_t index, int err)
{
	struct xctx *x = ctx;
	const struct cab_entry *e = &x->cab->entries[index];
	if (x->fd < 0)
		return -1;
	if (!err && !x->opts->keep_mtime_now)
		set_mtime(x->fd, e);
	if (close(x->fd) != 0 && !err)
		err = xsave(x, cab_int_set_error(x->cab, CAB_ERR_IO,
						 "%s: close: %s", x->path,
						 strerror(errno)));
	x->fd = -1;
	if (!err &&
	    renameat(x->parentfd, x->tmpname, x->parentfd, x->base) != 0)
		err = xsave(x, cab_int_set_error(x->cab, CAB_ERR_IO,
						 "%s: rename: %s", x->path,
						 strerror(errno)));
	if (err) {
		unlinkat(x->parentfd, x->tmpname, 0);
		if (!x->err)
			xsave(x, err);
	} else {
		x->stats->files++;
		x->stats->bytes += e->size;
	}
	parent_release(x);
	if (!err && x->opts->progress &&
	    x->opts->progress(x->opts->progress_ctx, index, x->path, x->written,
			      x->total) != 0) {
		xsave(x, cab_int_set_error(x->cab, CAB_ERR_ABORTED,
					   "stopped by the caller"));
		return -1;
	}
	return err ? -1 : 0;
}

int cab_extract(struct cab *cab, const char *dir,
		const struct cab_extract_opts *opts,
		struct cab_extract_stats *stats)
{
	static const struct cab_extract_opts defaults = { 0 };
	struct cab_extract_stats dummy;
	if (opts == NULL)
		opts = &defaults;
	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	if (cab == NULL || cab->err)
		return cab ? cab_int_set_error(cab, CAB_ERR_INVALID,
					       "the cabinet is not open")
			   : CAB_ERR_INVALID;
	uint64_t max_total =
		opts->max_total ? opts->max_total : CAB_DEFAULT_MAX_TOTAL;
	uint64_t max_files =
		opts->max_files ? opts->max_files : CAB_DEFAULT_MAX_FILES;
	size_t n = opts->indices ? opts->nindices : cab->nentries;

	/* Names, caps and space first: nothing is written if one fails. */
	uint64_t total = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = opts->indices ? opts->indices[k] : k;
		if (i >= cab->nentries)
			return cab_int_set_error(cab, CAB_ERR_INVALID,
						 "no entry %zu", i);
		const struct cab_entry *e = &cab->entries[i];
		char *p = NULL;
		const char *why = NULL;
		int err = cab_safe_path(e, &p, &why);
		free(p);
		if (err == CAB_ERR_NOMEM)
			return cab_int_set_error(cab, err, "out of memory");
		if (err)
			return cab_int_set_error(
				cab, err, "member %zu \"%s\": unsafe name: %s",
				i, e->name, why);
		total += e->size;
	}
	if (n > max_files)
		return cab_int_set_error(cab, CAB_ERR_LIMIT,
					 "%zu files, more than the cap of %llu",
					 n, (unsigned long long)max_files);
	if (total > max_total)
		return cab_int_set_error(
			cab, CAB_ERR_LIMIT,
			"the members add up to %llu bytes, more "
			"than the cap of %llu",
			(unsigned long long)total,
			(unsigned long long)max_total);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cab_int_set_error(cab, CAB_ERR_IO, "%s: %s", dir,
					 strerror(errno));
	struct statvfs sv;
	if (!opts->no_space_check && fstatvfs(dirfd, &sv) == 0) {
		uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		if (total > avail) {
			close(dirfd);
			return cab_int_set_error(
				cab, CAB_ERR_NOSPACE,
				"%s: the members need %llu bytes, only %llu "
				"are free",
				dir, (unsigned long long)total,
				(unsigned long long)avail);
		}
	}
	struct xctx x = {
		.cab = cab,
		.opts = opts,
		.dir = dir,
		.dirfd = dirfd,
		.max_total = max_total,
		.total = total,
		.stats = stats,
		.lastdirfd = -1,
		.parentfd = -1,
		.fd = -1,
	};
	struct cab_visitor v = {
		.begin = x_begin,
		.write = x_write,
		.end = x_end,
	};
	int err = cab_read_entries(cab, opts->indices, n, &v, &x);
	if (x.fd >= 0) {
		close(x.fd);
		unlinkat(x.parentfd, x.tmpname, 0);
	}
	parent_release(&x);
	if (x.lastdirfd >= 0)
		close(x.lastdirfd);
	free(x.lastdir);
	free(x.path);
	close(dirfd);
	if (x.err) {
		memcpy(cab->errmsg, x.msg, sizeof(cab->errmsg));
		return x.err;
	}
	return err;
}

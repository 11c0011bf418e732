/*
 * tempfile.c - the temporary file of a hive write-back, and the ones a
 * killed writer left behind.
 *
 * A write-back goes to a temporary file beside the hive, which is renamed
 * over it (commit.c).  Its name carries the writer's process id,
 *
 *     .<hive name>.hvo-<pid>-XXXXXX
 *
 * and the writer holds an exclusive flock() on it until it is renamed or
 * removed.  Every failure path removes it; only a writer killed between
 * its creation and the rename (kill -9, power loss) leaves one.  The next
 * writer of the same hive removes such files when their writer is gone:
 * no process with that id exists (kill(pid, 0) fails with ESRCH) and
 * nobody holds the lock on it (a lock held means a live writer, whatever
 * its id; a process id reused by another program holds no lock, but the
 * file is then left for a later run, the safe side).  The names removed
 * are reported through reg_info (the CLI says so).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/fileio.h"

/* The directory and the file name of @path (caller frees both). */
static int split_path(const char *path, char **dir_ret, char **base_ret)
{
	const char *slash = strrchr(path, '/');
	*dir_ret =
		slash ? strndup(path, (size_t)(slash - path ? slash - path : 1))
		      : strdup(".");
	*base_ret = strdup(slash ? slash + 1 : path);
	if (*dir_ret == NULL || *base_ret == NULL) {
		free(*dir_ret);
		free(*base_ret);
		return ENOMEM;
	}
	return 0;
}

int reg_int_temp_open(const char *path, mode_t mode, struct reg_temp *t)
{
	t->fd = -1;
	t->tmp_path = NULL;
	char *dir, *base;
	if (split_path(path, &dir, &base))
		return ENOMEM;
	int n = asprintf(&t->tmp_path, "%s/.%s.hvo-%ld-XXXXXX", dir, base,
			 (long)getpid());
	free(dir);
	free(base);
	if (n < 0) {
		t->tmp_path = NULL;
		return ENOMEM;
	}
	int fd = mkostemp(t->tmp_path, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(t->tmp_path);
		t->tmp_path = NULL;
		return e;
	}
	/* Held until the file is renamed or removed: a live writer's
	 * temporary file is never taken for a stale one. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fchmod(fd, mode) != 0) {
		int e = errno;
		close(fd);
		unlink(t->tmp_path);
		free(t->tmp_path);
		t->tmp_path = NULL;
		return e;
	}
	t->fd = fd;
	return 0;
}

void reg_int_temp_abort(struct reg_temp *t)
{
	if (t->tmp_path != NULL)
		unlink(t->tmp_path);
	if (t->fd >= 0)
		close(t->fd);
	free(t->tmp_path);
	t->fd = -1;
	t->tmp_path = NULL;
}

int reg_int_temp_commit(struct reg_temp *t, const char *path)
{
	int e = 0;
	if (fsync(t->fd) != 0)
		e = errno;
	if (e == 0 && rename(t->tmp_path, path) != 0)
		e = errno;
	if (e) {
		reg_int_temp_abort(t);
		return e;
	}
	/* The rename is durable once the directory is. */
	hvo_int_fsync_parent_dir(path);
	close(t->fd);
	free(t->tmp_path);
	t->fd = -1;
	t->tmp_path = NULL;
	return 0;
}

/* Whether the name is ".<base>.hvo-<pid>-XXXXXX"; its pid in *@pid_ret. */
static bool temp_name(const char *name, const char *base, long *pid_ret)
{
	size_t bl = strlen(base);
	if (name[0] != '.' || strncmp(name + 1, base, bl) != 0 ||
	    strncmp(name + 1 + bl, ".hvo-", 5) != 0)
		return false;
	const char *p = name + 1 + bl + 5;
	char *end;
	errno = 0;
	long pid = strtol(p, &end, 10);
	if (end == p || *end != '-' || errno || pid <= 0 ||
	    strlen(end + 1) != 6)
		return false;
	*pid_ret = pid;
	return true;
}

/* Whether the temporary file @path of process @pid is abandoned. */
static bool stale(const char *path, long pid)
{
	if (pid != (long)getpid() && kill((pid_t)pid, 0) == 0)
		return false; /* its writer (or a reuse of its id) runs */
	if (pid != (long)getpid() && errno != ESRCH)
		return false; /* EPERM: a process of another user has it */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	/* A lock held (by a writer in this process, for one) means live. */
	bool free_ = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return free_;
}

int reg_int_temp_sweep(struct reg_hive *h, const char *path)
{
	char *dir, *base;
	if (split_path(path, &dir, &base))
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	DIR *d = opendir(dir);
	int rc = 0;
	if (d == NULL)
		goto out; /* nothing to sweep where we cannot list */
	struct dirent *de;
	while ((de = readdir(d)) != NULL && rc == 0) {
		long pid;
		if (!temp_name(de->d_name, base, &pid))
			continue;
		char *full;
		if (asprintf(&full, "%s/%s", dir, de->d_name) < 0) {
			rc = reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
			break;
		}
		struct stat st;
		if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    stale(full, pid) && unlink(full) == 0) {
			char **p = realloc(h->info.stale_removed,
					   (h->info.nstale_removed + 1) *
						   sizeof(*p));
			if (p == NULL) {
				free(full);
				rc = reg_int_fail(h, REG_ERR_NOMEM,
						  "out of memory");
				break;
			}
			h->info.stale_removed = p;
			p[h->info.nstale_removed++] = full;
			full = NULL;
		}
		free(full);
	}
	closedir(d);
out:
	free(dir);
	free(base);
	return rc;
}

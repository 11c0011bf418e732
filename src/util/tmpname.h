/*
 * tmpname.h - temporary files beside the file they will replace, named for
 * their writer, so that a crash leaves nothing the next run cannot clean.
 *
 * Every temporary file hvoffline makes on the host (atomic rewrites of
 * hives and extracted files, a VHDX under construction) is named
 *
 *	<dir>/.<base>.hvo-<pid>-XXXXXX
 *
 * and its writer holds an exclusive flock on it while the file is open.
 * Ordinary exit paths unlink it (and, where the program installed
 * hvo_int_tmp_cleanup_on_signal(), SIGINT/SIGTERM/SIGHUP do too); a
 * kill -9 or a power cut cannot, so the next writer of the same target
 * calls hvo_int_tmp_sweep() first, which removes the temporary files
 * whose writer is gone:
 *   - kill(pid, 0) fails with ESRCH: the process is gone; or
 *   - the pid is alive (reused by an unrelated process) but nobody holds
 *     the file's flock and it has not changed for HVO_TMP_STALE_SECONDS
 *     (the grace covers a live writer between creating the file and
 *     taking the flock).
 * A file whose flock is held is never removed.
 */
#ifndef HVO_UTIL_TMPNAME_H
#define HVO_UTIL_TMPNAME_H

#include <stdbool.h>
#include <sys/types.h>

/* See the rule above: a live pid's unlocked file must be this old. */
#define HVO_TMP_STALE_SECONDS 10

/*
 * Creates and opens (read-write, close-on-exec, mode 0600) a new temporary
 * file beside @path, named as above, and takes an exclusive flock on it.
 * On success returns the descriptor and sets *@tmp_ret (caller frees); on
 * failure returns -1 with errno set.  The file is registered for the
 * signal cleanup until hvo_int_tmp_forget().
 */
int hvo_int_tmp_create(const char *path, char **tmp_ret);

/* Unregisters @tmp from the signal cleanup (after it was renamed into
 * place or unlinked).  Accepts NULL. */
void hvo_int_tmp_forget(const char *tmp);

/* Unlinks @tmp and unregisters it.  Accepts NULL. */
void hvo_int_tmp_remove(const char *tmp);

/*
 * Parses a temporary name's writer pid: @name is a file name (no
 * directory) ".<base>.hvo-<pid>-<suffix>"; with @base not NULL the name
 * must be for that base.  Returns false for any other name.
 */
bool hvo_int_tmp_parse(const char *name, const char *base, pid_t *pid_ret);

/*
 * Removes the stale temporary files of @path (those for its base name in
 * its directory; see the rule above).  Each removal is announced through
 * the notice hook.  Returns the number removed (0 when the directory
 * cannot be read).
 */
unsigned hvo_int_tmp_sweep(const char *path);

/*
 * The same, but @fn (when not NULL) gets the full name of each file removed
 * instead of the notice hook (the registry keeps them for its caller,
 * reg_info.stale_removed, which reports each once).
 */
unsigned hvo_int_tmp_sweep_each(const char *path,
				void (*fn)(void *ctx, const char *full),
				void *ctx);

/*
 * The same as hvo_int_tmp_sweep() for the target @base in the directory
 * open as @dfd (for writers that walk directories by descriptor, not by
 * path: cab extract); @shown names that directory in the notices.
 */
unsigned hvo_int_tmp_sweep_at(int dfd, const char *base, const char *shown);

/*
 * Creates ".@base.hvo-<pid>-XXXXXX" (mode 0644, O_EXCL, not following
 * symlinks) in the directory open as @dfd and takes its flock; its name
 * goes into @name (@namelen bytes).  Returns the read-write descriptor, or
 * -1 with errno set.  Not registered for the signal cleanup.
 */
int hvo_int_tmp_create_at(int dfd, const char *base, char *name,
			  size_t namelen);

/*
 * Where the sweep announces what it removed ("removed stale temporary
 * file X (writer pid N is gone)").  Libraries never print, so the program
 * sets this (the CLI: to its notice output); NULL (the default) is quiet.
 */
void hvo_int_tmp_set_notice(void (*fn)(void *ctx, const char *msg), void *ctx);

/*
 * Installs handlers for SIGINT, SIGTERM and SIGHUP that unlink every
 * registered temporary file and then re-raise the signal with its
 * previous disposition.  For programs (the CLI), not for library callers;
 * calling it twice is harmless.
 */
void hvo_int_tmp_cleanup_on_signal(void);

#endif /* HVO_UTIL_TMPNAME_H */

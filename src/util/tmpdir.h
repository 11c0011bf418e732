/*
 * tmpdir.h - a private scratch directory on the host.
 *
 * Commands copy hives and package files out of a guest into a directory
 * only they can read (mode 0700), and remove it when they finish.
 */
#ifndef HVO_UTIL_TMPDIR_H
#define HVO_UTIL_TMPDIR_H

/* Creates "$TMPDIR/hvoffline-<what>-XXXXXX" (or under /tmp) and returns its
 * path in *@path_ret (caller frees).  Returns 0 or an errno value. */
int hvo_int_tmpdir_create(const char *what, char **path_ret);

/* Removes a directory tree created by hvo_int_tmpdir_create() (symbolic links
 * are removed, never followed).  NULL is accepted.  Returns 0 or the first
 * errno value met. */
int hvo_int_tmpdir_remove(const char *path);

#endif /* HVO_UTIL_TMPDIR_H */

/*
 * fileio.h - careful host file I/O.
 *
 * Every file hvoffline creates or replaces on the host (extracted cabinet
 * members, recovered or edited hives) is written under a temporary name in
 * the same directory, flushed, and renamed over its final name, so that a
 * crash leaves either the old file or the complete new one, never a partial
 * file under the final name (STYLE.md, Writes).
 */
#ifndef HVO_UTIL_FILEIO_H
#define HVO_UTIL_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hvo_atomic_file {
	int fd;		  /* open on the temporary file, or -1 */
	char *final_path; /* owned */
	char *tmp_path;	  /* owned */
	/* Set by the caller after hvo_int_atomic_open() for a file in a
	 * scratch directory, which nothing reads after a crash: the
	 * commit renames without flushing (no fsync of file or folder). */
	bool no_sync;
};

/*
 * Creates a temporary file beside @path (same directory, so the final
 * rename is atomic) with permissions @mode, named for its writer
 * (".<base>.hvo-<pid>-XXXXXX", see tmpname.h), after removing the stale
 * temporary files of @path that earlier writers left behind a crash.
 * Returns 0 or an errno value.
 */
int hvo_int_atomic_open(const char *path, mode_t mode,
			struct hvo_atomic_file *af);

/*
 * Flushes the temporary file to disk, renames it over the final path and
 * flushes the directory.  The handle is closed either way.  Returns 0 or an
 * errno value (on failure the temporary file is removed and the final path
 * is untouched).
 */
int hvo_int_atomic_commit(struct hvo_atomic_file *af);

/* Closes and removes the temporary file.  Accepts a closed handle. */
void hvo_int_atomic_abort(struct hvo_atomic_file *af);

/* Writes all @len bytes (retrying short writes).  Returns 0 or errno. */
int hvo_int_write_all(int fd, const void *buf, size_t len);

/* pwrite() of all @len bytes at @off.  Returns 0 or errno. */
int hvo_int_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/*
 * pread() of up to @len bytes at @off, retrying short reads; returns the
 * number of bytes read (less than @len only at end of file), or -1 with
 * errno set.
 */
ssize_t hvo_int_pread_full(int fd, void *buf, size_t len, uint64_t off);

/*
 * Reads a whole host file of at most @max bytes into a new buffer (caller
 * frees; one NUL byte is appended, not counted).  Returns 0, an errno value,
 * or EFBIG if the file is larger than @max.
 */
int hvo_int_read_file(const char *path, size_t max, uint8_t **buf_ret,
		      size_t *len_ret);

/* fsync() the directory that contains @path.  Returns 0 or errno. */
int hvo_int_fsync_parent_dir(const char *path);

/* Creates directory @path and any missing parents (mode @mode), like
 * `mkdir -p`.  Returns 0 (also when it exists as a directory), or -1 with
 * errno set (ENOTDIR when a component is not a directory). */
int hvo_int_mkdir_p(const char *path, mode_t mode);

#endif /* HVO_UTIL_FILEIO_H */

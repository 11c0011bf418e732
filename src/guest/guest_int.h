/*
 * guest_int.h - what the guest backends share (internal).
 *
 * The public functions in fs.c validate and normalise guest paths, check
 * the read-only flag and then call the backend through these tables, so a
 * backend only ever sees paths of the form "Windows/System32/config" (no
 * leading or doubled separators, no "." or "..", "" for the root).
 */
#ifndef HVO_GUEST_GUEST_INT_H
#define HVO_GUEST_GUEST_INT_H

#include <stdarg.h>

#include "guest/guest.h"

#define GUEST_ERROR_MAX 512

struct guest_fs_ops {
	int (*resolve)(struct guest_fs *fs, const char *path,
		       bool may_be_missing, char **real_ret);
	int (*stat)(struct guest_fs *fs, const char *path,
		    struct guest_stat *st);
	int (*read)(struct guest_fs *fs, const char *path, size_t max,
		    uint8_t **buf_ret, size_t *len_ret);
	int (*pread)(struct guest_fs *fs, const char *path, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret);
	int (*write_atomic)(struct guest_fs *fs, const char *path,
			    const void *data, size_t len);
	/* Creates one directory; its parent exists, it does not. */
	int (*mkdir)(struct guest_fs *fs, const char *path);
	int (*list)(struct guest_fs *fs, const char *path, char ***names_ret,
		    size_t *n_ret);
	int (*rename)(struct guest_fs *fs, const char *from, const char *to);
	int (*remove)(struct guest_fs *fs, const char *path);
	int (*copy_out)(struct guest_fs *fs, const char *path,
			const char *host_path);
	int (*copy_in_atomic)(struct guest_fs *fs, const char *host_path,
			      const char *path);
	void (*close)(struct guest_fs *fs);
	/* Optional (NULL: fs.c falls back on the operations above). */
	/* Creates or replaces a file in place, without flushing: from
	 * @data/@len, or from @host_path when it is not NULL. */
	int (*write_new)(struct guest_fs *fs, const char *path,
			 const void *data, size_t len, const char *host_path);
	int (*sync)(struct guest_fs *fs);
	/* SHA-256 of many paths (normalised); see guest_fs_sha256_many. */
	int (*sha256_many)(struct guest_fs *fs, const char *const *paths,
			   size_t n, struct guest_digest *out);
	/* Writes many files as write_new does (paths normalised). */
	int (*put_many)(struct guest_fs *fs, const struct guest_put *items,
			size_t n);
	/* SHA-256 of a regular file, computed where the file is. */
	int (*sha256)(struct guest_fs *fs, const char *path, uint8_t out[32],
		      uint64_t *size_ret);
	/* The target of symbolic link @path (malloc'ed); NULL: the
	 * backend has no symbolic links (GUEST_E_UNSUPPORTED). */
	int (*readlink)(struct guest_fs *fs, const char *path, char **target);
	/* The Windows security descriptor of a file or directory, as the
	 * self-relative bytes of system.ntfs_acl (see guest_fs_get_sd). */
	int (*get_sd)(struct guest_fs *fs, const char *path, uint8_t **sd_ret,
		      size_t *len_ret);
	int (*set_sd)(struct guest_fs *fs, const char *path, const uint8_t *sd,
		      size_t len);
};

/* The common part; a backend's filesystem embeds it first. */
struct guest_fs {
	const struct guest_fs_ops *ops;
	char name[256];
	bool readonly;
	bool owned_by_disk;
	char error[GUEST_ERROR_MAX];
};

struct guest_disk_ops {
	int (*pread)(struct guest_disk *disk, size_t vol, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret);
	int (*probe_rw)(struct guest_disk *disk, size_t vol, int *code_ret);
	int (*mount)(struct guest_disk *disk, size_t vol, bool readonly,
		     struct guest_fs **fs_ret);
	void (*close)(struct guest_disk *disk);
};

struct guest_disk {
	const struct guest_disk_ops *ops;
	char *name;
	struct guest_disk_layout layout;
	struct guest_volume *volumes; /* layout.volumes points here */
	bool owned_by_session;
	char error[GUEST_ERROR_MAX];
};

/*
 * A session backend.  session.c implements guest_session_* by calling the
 * backend chosen when the session was made (see guest_session_new()).
 * Every operation but launch_result and launches is required; they have
 * the meaning of the guest_session_* function of the same name.
 */
struct guest_int_session_ops {
	const char *name; /* "appliance", "native" */
	/* A new session of this backend, zeroed but for what the backend
	 * sets up; NULL only when out of memory.  session.c then fills in
	 * the common part (ops, opts).  @opts may be NULL. */
	struct guest_session *(*create)(const struct guest_session_opts *opts);
	int (*add)(struct guest_session *s, const char *path,
		   const char *format, bool readonly, const char *name);
	int (*set_size)(struct guest_session *s, int disk, uint64_t size);
	int (*set_head)(struct guest_session *s, int disk,
			const struct guest_disk_head *head);
	int (*launch)(struct guest_session *s);
	/* Optional: NULL reports an empty result and no launches. */
	const struct guest_launch_result *(*launch_result)(
		const struct guest_session *s);
	unsigned (*launches)(const struct guest_session *s);
	size_t (*ndisks)(const struct guest_session *s);
	struct guest_disk *(*disk)(struct guest_session *s, size_t i);
	int (*shutdown)(struct guest_session *s);
	/* Shuts down if needed and frees @s and all it owns. */
	void (*close)(struct guest_session *s);
};

/* The common part; a backend's session embeds it first. */
struct guest_session {
	const struct guest_int_session_ops *ops;
	/* The caller's options; opts.backend is the name of the backend
	 * chosen (a static string). */
	struct guest_session_opts opts;
	char error[GUEST_ERROR_MAX];
};

/* The libguestfs appliance (appliance.c). */
extern const struct guest_int_session_ops guest_int_appliance_session_ops;

/* The native backend (native_session.c). */
extern const struct guest_int_session_ops guest_int_native_session_ops;

/* Sets @s's error message and returns @err. */
int guest_int_session_fail(struct guest_session *s, int err, const char *fmt,
			   ...) __attribute__((format(printf, 3, 4)));

/* An image added to a session, as either backend keeps it (the first
 * member of its own drive struct). */
struct guest_int_drive {
	char *path, *format, *name;
	bool readonly;
};

/* What adding an image does in either backend: refuses it after the
 * launch (@launched) or without a format, and appends a drive of @size
 * bytes (a struct that starts with a struct guest_int_drive, the rest
 * zeroed) to the *@n at *@drives, with copies of @path, @format and
 * @name (NULL: @path).  Returns its index, or -1 with @s's error set and
 * the drives unchanged. */
int guest_int_drive_add(struct guest_session *s, bool launched, void **drives,
			size_t *n, size_t size, const char *path,
			const char *format, bool readonly, const char *name);

/* Frees what guest_int_drive_add() copied into @d. */
void guest_int_drive_free(struct guest_int_drive *d);

/* Sets @fs's error message ("<path>: <why>") and returns @err. */
int guest_int_fs_fail(struct guest_fs *fs, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int guest_int_disk_fail(struct guest_disk *disk, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Maps an errno value to a guest_error. */
int guest_int_errno_class(int e);

/* Splits a normalised path into its parent ("" for the root) and last
 * component; returns pointers into a copy in *@copy_ret (caller frees). */
int guest_int_path_split(const char *path, char **copy_ret,
			 const char **dir_ret, const char **base_ret);

/* Sorts names bytewise. */
void guest_int_names_sort(char **names, size_t n);

/* Name for a temporary file beside @base in the same directory:
 * ".<base>.hvo-<pid>-<n>" (caller frees).  The leading dot keeps it out of
 * the way; the pid and counter keep two writers apart. */
char *guest_int_tmp_name(const char *base);

#endif /* HVO_GUEST_GUEST_INT_H */

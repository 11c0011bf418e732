/*
 * appliance_int.h - what the files of the libguestfs backend share
 * (internal).
 *
 * The backend is one appliance launch for every image and ISO of a
 * command (appliance.c, the session), split by job:
 *
 *   appliance_path.c  the directory listings kept per mounted filesystem,
 *                     and guest path -> appliance path resolution
 *   appliance_hash.c  whole-file reads in pieces and SHA-256, one file or
 *                     many (whole trees from one checksums-out)
 *   appliance_fs.c    the guest_fs operations
 *   appliance_disk.c  the guest_disk operations (raw reads, probe, mount)
 *                     and the discovery of disks and volumes after launch
 *   appliance.c       the session backend: drives, launch, shutdown
 *
 * Each file calls only those listed above it.
 */
#ifndef HVO_GUEST_APPLIANCE_INT_H
#define HVO_GUEST_APPLIANCE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <guestfs.h>

#include "guest/appliance_nbdkit.h"
#include "guest/guest_int.h"
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
	struct guest_int_drive d; /* first (guest_int_drive_add) */
	uint64_t size; /* as the caller knows it (guest_session_set_size) */
	const struct guest_disk_head *head; /* guest_session_set_head() */
	struct guest_nbd nbd; /* a VHDX served by nbdkit (appliance_nbdkit.c) */
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
	struct app_session *s;
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
	struct app_session *s;
	char device[64]; /* "/dev/sda" */
	bool readonly;
	struct app_vol *vols;
};

struct app_session {
	struct guest_session base;
	guestfs_h *g;
	struct app_drive *drives;
	size_t ndrives;
	struct app_disk **disks;
	struct guest_launch_result res;
	unsigned launches;
	bool launched;
};

static inline struct app_fs *A(struct guest_fs *fs)
{
	return (struct app_fs *)fs;
}

/* The last libguestfs error as a guest_error class. */
static inline int g_class(guestfs_h *g)
{
	int e = guestfs_last_errno(g);
	return e != 0 ? guest_int_errno_class(e) : GUEST_E_IO;
}

static inline const char *g_msg(guestfs_h *g)
{
	const char *m = guestfs_last_error(g);
	return m ? m : "unknown libguestfs error";
}

/* appliance_path.c */

/* Frees every kept listing of @a. */
void guest_int_app_dirs_free(struct app_fs *a);
/* Forgets @path's listing and those below it. */
void guest_int_app_dir_forget(struct app_fs *a, const char *path);
/* The kept listing of directory @path, if there is one (lists nothing). */
struct app_dir *guest_int_app_dir_cached(struct app_fs *a, const char *path);
/* A directory we just created: its listing is empty, no need to ask. */
void guest_int_app_dir_new_empty(struct app_fs *a, const char *path,
				 const char *real);
/*
 * Resolves a normalised guest path to its appliance path (*@full_ret,
 * caller frees), through the directory listings.  When @must_exist, a
 * missing path is GUEST_E_NOENT; *@exists_ret says whether it exists.
 * *@dir_ret (if not NULL) is the parent's listing, or NULL for the root.
 */
int guest_int_app_resolve_in(struct guest_fs *fs, const char *path,
			     bool must_exist, char **full_ret, bool *exists_ret,
			     struct app_dir **dir_ret);
int guest_int_app_resolve_full(struct guest_fs *fs, const char *path,
			       bool must_exist, char **full_ret,
			       bool *exists_ret);
/* The kept listing of @path's parent, if any (never lists anything),
 * and @path's last component in *@base_ret (points into *@copy_ret, which
 * the caller frees). */
struct app_dir *guest_int_app_cached_parent(struct app_fs *a, const char *path,
					    char **copy_ret,
					    const char **base_ret);
/* Keep the listings current after we created or removed @path. */
void guest_int_app_note_added(struct guest_fs *fs, const char *path);
void guest_int_app_note_removed(struct guest_fs *fs, const char *path);
/* A guestfs st_mode as a guest file type. */
enum guest_ftype guest_int_app_mode_type(int64_t mode);
/* lstat of appliance path @full (guest path @path, for messages). */
int guest_int_app_stat_full(struct guest_fs *fs, const char *path,
			    const char *full, struct guest_stat *st);
/* Resolves an existing regular file: its appliance path (caller frees)
 * and size. */
int guest_int_app_resolve_file(struct guest_fs *fs, const char *path,
			       char **full_ret, uint64_t *size_ret);

/* appliance_hash.c */

/* Reads the whole of appliance file @full into @sink (see the function). */
int guest_int_app_read_pieces(guestfs_h *g, const char *full,
			      int (*sink)(void *ctx, const void *p, size_t n),
			      void *ctx, uint64_t *total_ret);
/* SHA-256 of appliance file @full; 0 or -1 (the handle has the error). */
int guest_int_app_hash_full(guestfs_h *g, const char *full, uint8_t out[32],
			    uint64_t *size_ret);
/* The guest_fs_ops sha256 and sha256_many of this backend. */
int guest_int_app_sha256(struct guest_fs *fs, const char *path, uint8_t out[32],
			 uint64_t *size_ret);
int guest_int_app_sha256_many(struct guest_fs *fs, const char *const *paths,
			      size_t n, struct guest_digest *out);

/* appliance_fs.c */

extern const struct guest_fs_ops guest_int_app_fs_ops;
void guest_int_app_fs_close(struct guest_fs *fs);

/* Reads up to @len bytes at @off of the appliance's file or (@device)
 * block device @full, in pieces of APP_CHUNK, never at or past @end;
 * *@got_ret is how many (short at the end, or at a piece of none).
 * Returns 0, or -1 when a read failed (@g's error says why). */
int guest_int_app_pread(guestfs_h *g, const char *full, bool device,
			uint8_t *buf, size_t len, uint64_t off, uint64_t end,
			size_t *got_ret);

/* appliance_disk.c */

/* Unmounts volume @vol of @ad if it is mounted, closing its guest_fs. */
int guest_int_app_disk_umount(struct app_disk *ad, size_t vol);
void guest_int_app_disk_close(struct guest_disk *disk);
/* After launch: finds every drive's disk, partitions and volumes and
 * makes one mount point per volume. */
int guest_int_app_discover(struct app_session *s);

#endif /* HVO_GUEST_APPLIANCE_INT_H */

/*
 * guest.h - access to a guest's disks and filesystems behind one small
 * interface.
 *
 * Three objects:
 *
 *   guest_session  one libguestfs appliance launch holding every disk image
 *                  and ISO a command needs (ARCHITECTURE.md: "One launch").
 *   guest_disk     one image: its partition table and volumes, raw reads
 *                  of a volume, and mounting a volume.
 *   guest_fs       one mounted filesystem: read, atomic write, mkdir -p,
 *                  stat, list, rename, remove, exists, copy to and from the
 *                  host.
 *
 * Two backends implement guest_disk and guest_fs: the libguestfs appliance
 * (the real one; NTFS is only ever touched inside it) and a host directory
 * that stands for a Windows volume, so that everything above this layer
 * (detection, safety checks, the servicing engine) runs in unit tests
 * without an appliance.
 *
 * Guest paths are Windows paths relative to the volume root: '\' or '/'
 * separate components, a leading separator is optional, and components
 * are matched case-insensitively, as Windows does (ntfs-3g exports NTFS
 * case-sensitively: "Windows\System32" may be stored as "WINDOWS\system32").
 * Empty, "." and ".." components, ':' (NTFS streams) and control characters
 * are refused, so a path can never leave the volume.
 *
 * Errors: every function returns 0 or a guest_error; the detailed message
 * is kept on the object (guest_fs_errmsg() etc.) until its next error.  The
 * library never prints.
 */
#ifndef HVO_GUEST_GUEST_H
#define HVO_GUEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/launch.h"
#include "hvoffline.h"

/* Fixed values: they appear in messages, logs and tests. */
enum guest_error {
	GUEST_OK = 0,
	GUEST_E_NOENT = 1,	  /* no such file or directory */
	GUEST_E_EXIST = 2,	  /* a file is in the way */
	GUEST_E_NOTDIR = 3,	  /* a path component is not a directory */
	GUEST_E_ISDIR = 4,	  /* a directory where a file was expected */
	GUEST_E_ROFS = 5,	  /* the filesystem is (only) read-only */
	GUEST_E_IO = 6,		  /* an I/O or appliance call failed */
	GUEST_E_NOMEM = 7,	  /* out of memory */
	GUEST_E_PATH = 8,	  /* not a valid guest path */
	GUEST_E_TOO_BIG = 9,	  /* a file larger than the caller's limit */
	GUEST_E_LAUNCH = 10,	  /* the appliance did not launch */
	GUEST_E_MOUNT = 11,	  /* the volume cannot be mounted */
	GUEST_E_UNSUPPORTED = 12, /* not possible on this backend or volume */
	GUEST_E_STATE = 13, /* called in the wrong state (before launch) */
	/* A file stored with Windows' system compression (CompactOS: a WOF
	 * reparse point), which the native backend refuses to replace. */
	GUEST_E_SYSCOMPRESSED = 14,
};

/* A static description of an error code ("no such file or directory"). */
const char *guest_strerror(int err);

/* The exit class of an error (SERVICING.md section 4). */
enum hvo_exit guest_exit_class(int err);

/* Whether two names are the same to Windows.  NTFS folds case through its
 * $UpCase table; ASCII folding covers every name the servicing code looks
 * up (Windows, System32, config, drivers, package names, ...). */
bool guest_name_eq(const char *a, const char *b);

/* ------------------------------------------------------------------ */
/* Filesystems.                                                        */
/* ------------------------------------------------------------------ */

struct guest_fs;

enum guest_ftype {
	GUEST_FT_NONE = 0,
	GUEST_FT_FILE,
	GUEST_FT_DIR,
	GUEST_FT_OTHER, /* symlink, device, reparse point */
};

struct guest_stat {
	enum guest_ftype type;
	uint64_t size;
};

/* The largest file guest_fs_read() is ever asked for by the library: hives
 * of real systems reach a few hundred MiB (SOFTWARE with many updates);
 * larger files go through guest_fs_copy_out(). */
#define GUEST_READ_MAX (512u * 1024 * 1024)

/* Where the filesystem is, for messages ("/dev/sda2", a host directory). */
const char *guest_fs_name(const struct guest_fs *fs);

/* Whether writes are refused (mounted read-only). */
bool guest_fs_readonly(const struct guest_fs *fs);

/* The last error's detailed message (owned by @fs; valid until its next
 * error or close), or "" if none. */
const char *guest_fs_errmsg(const struct guest_fs *fs);

/*
 * The stored spelling of @path, e.g. "Windows/System32/config/SOFTWARE" for
 * "windows\system32\CONFIG\software", in *@real_ret (caller frees).  All
 * components must exist, except that a missing last one is returned as
 * given when @may_be_missing.
 */
int guest_fs_resolve(struct guest_fs *fs, const char *path, bool may_be_missing,
		     char **real_ret);

/* File type and size; GUEST_E_NOENT if absent.  Symlinks are not
 * followed. */
int guest_fs_stat(struct guest_fs *fs, const char *path, struct guest_stat *st);

/* Whether @path exists (false also on errors; use guest_fs_stat() to tell
 * them apart). */
bool guest_fs_exists(struct guest_fs *fs, const char *path);

/* Reads a whole file of at most @max bytes into *@buf_ret (caller frees;
 * one NUL is appended, not counted).  GUEST_E_TOO_BIG if larger. */
int guest_fs_read(struct guest_fs *fs, const char *path, size_t max,
		  uint8_t **buf_ret, size_t *len_ret);

/* Reads up to @len bytes at @off into @buf; *@got_ret is short only at the
 * end of the file. */
int guest_fs_pread(struct guest_fs *fs, const char *path, uint64_t off,
		   size_t len, uint8_t *buf, size_t *got_ret);

/*
 * Replaces (or creates) a file with @len bytes, atomically: the data goes
 * to a temporary name in the same directory, is flushed, and is renamed
 * over the target, so that a crash leaves the old file or the new one,
 * never a mixture.  The parent directory must exist.
 */
int guest_fs_write_atomic(struct guest_fs *fs, const char *path,
			  const void *data, size_t len);

/* Creates a directory and its missing parents; existing ones are fine. */
int guest_fs_mkdir_p(struct guest_fs *fs, const char *path);

/* The names in a directory (not "." or ".."), sorted bytewise, in
 * *@names_ret (free with guest_names_free()). */
int guest_fs_list(struct guest_fs *fs, const char *path, char ***names_ret,
		  size_t *n_ret);
void guest_names_free(char **names, size_t n);

/* Renames within the filesystem, replacing an existing file at @to.  The
 * rename is not flushed by itself: guest_fs_sync() does that, once for a
 * whole series. */
int guest_fs_rename(struct guest_fs *fs, const char *from, const char *to);

/*
 * Creates or replaces a file in place, from memory or from host file
 * @host_path, without a temporary name and without flushing: for files
 * under names of their own that nothing else uses yet (the staged copies
 * of a transaction, which guest_fs_sync() makes durable before they are
 * switched in).  The parent directory must exist.
 */
int guest_fs_write_new(struct guest_fs *fs, const char *path, const void *data,
		       size_t len);
int guest_fs_copy_in(struct guest_fs *fs, const char *host_path,
		     const char *path);

/* One file of guest_fs_put_many(). */
struct guest_put {
	const char *path; /* guest path; its directory exists */
	const void *data; /* content, when @host_path is NULL */
	size_t len;
	const char *host_path; /* or the content of this host file */
};

/*
 * Writes @n files as guest_fs_write_new() does, in as few round trips as
 * the backend allows.  On failure any of them may exist, complete or
 * not: the caller removes them.
 */
int guest_fs_put_many(struct guest_fs *fs, const struct guest_put *items,
		      size_t n);

/* What guest_fs_sha256_many() found for one path. */
struct guest_digest {
	bool exists; /* a regular file is there */
	uint64_t size;
	uint8_t sha256[32];
};

/*
 * guest_fs_sha256() of many paths at once, in as few round trips as the
 * backend allows.  A missing path is not an error: its exists is
 * false.  Anything else in the way (a directory) is GUEST_E_ISDIR.
 */
int guest_fs_sha256_many(struct guest_fs *fs, const char *const *paths,
			 size_t n, struct guest_digest *out);

/* Flushes everything written to the filesystem so far. */
int guest_fs_sync(struct guest_fs *fs);

/* The SHA-256 and size of a regular file, computed where the file lives
 * (the appliance hashes it without sending it). */
int guest_fs_sha256(struct guest_fs *fs, const char *path, uint8_t out[32],
		    uint64_t *size_ret);

/* The target of the symbolic link @path, as stored, in *@target_ret
 * (caller frees).  GUEST_E_UNSUPPORTED when @path is not a link or the
 * backend has none (NTFS volumes; Linux guests' ext volumes have them). */
int guest_fs_readlink(struct guest_fs *fs, const char *path, char **target_ret);

/*
 * The Windows security descriptor of a file or directory: the
 * self-relative SECURITY_DESCRIPTOR bytes NTFS stores (ntfs-3g's
 * system.ntfs_acl).  *@sd_ret is caller-freed.  GUEST_E_UNSUPPORTED when
 * the backend (or the host filesystem of a host directory) keeps none.
 */
int guest_fs_get_sd(struct guest_fs *fs, const char *path, uint8_t **sd_ret,
		    size_t *len_ret);
/* Sets it (not flushed: guest_fs_sync() does that). */
int guest_fs_set_sd(struct guest_fs *fs, const char *path, const uint8_t *sd,
		    size_t len);

/* Removes a file or an empty directory. */
int guest_fs_remove(struct guest_fs *fs, const char *path);

/* Copies a guest file to a new host file @host_path (any size). */
int guest_fs_copy_out(struct guest_fs *fs, const char *path,
		      const char *host_path);

/* Replaces a guest file by the host file @host_path, atomically as
 * guest_fs_write_atomic() does. */
int guest_fs_copy_in_atomic(struct guest_fs *fs, const char *host_path,
			    const char *path);

/* Closes a filesystem opened with guest_hostdir_fs_open().  A filesystem
 * returned by guest_disk_mount() belongs to its disk: closing it does
 * nothing.  NULL is accepted. */
void guest_fs_close(struct guest_fs *fs);

/* ------------------------------------------------------------------ */
/* Disks and volumes.                                                  */
/* ------------------------------------------------------------------ */

struct guest_disk;

enum guest_ptable {
	GUEST_PTABLE_NONE = 0, /* no partition table (a whole-disk volume) */
	GUEST_PTABLE_MBR,
	GUEST_PTABLE_GPT,
	GUEST_PTABLE_OTHER,
};

/* "none", "mbr", "gpt", "other". */
const char *guest_ptable_name(enum guest_ptable t);

struct guest_volume {
	unsigned partnum;     /* partition number, 1-based; 0: whole disk */
	char device[80];      /* "/dev/sda2", or the host-dir stand-in */
	uint64_t start, size; /* bytes on the disk */
	char fstype[32];      /* blkid's name: "ntfs", "vfat", "iso9660",
				 "BitLocker", ... ; "" when unknown */
	uint8_t mbr_id;	      /* MBR partition type; 0 if not MBR */
	char gpt_type[40];    /* GPT type GUID, upper case; "" if not GPT */
	/* GPT: the partition's unique GUID, upper case, as Windows' mount
	 * manager names the volume in SYSTEM\MountedDevices ("DMIO:ID:"
	 * and these 16 bytes); "" if not GPT. */
	char gpt_guid[40];
};

/* GPT type of an EFI system partition, and MBR type 0xEF (UEFI spec,
 * "Partition Type GUIDs" and "Legacy MBR"). */
#define GUEST_GPT_TYPE_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GUEST_MBR_ID_ESP   0xef
/* GPT type of a Microsoft reserved partition, which holds no filesystem
 * (Microsoft, "Windows and GPT FAQ"). */
#define GUEST_GPT_TYPE_MSR "E3C9E316-0B5C-4DB8-817D-F92DF00215AE"
/* GPT type and MBR type of the recovery tools (Windows RE) partition,
 * which holds Winre.wim, never a Windows installation (Microsoft,
 * "Configure UEFI/GPT-based hard drive partitions" and "Configure
 * BIOS/MBR-based hard drive partitions": set id=de94bba4-... and
 * set id=27). */
#define GUEST_GPT_TYPE_WINRE "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC"
#define GUEST_MBR_ID_WINRE   0x27

struct guest_disk_layout {
	enum guest_ptable ptable;
	uint64_t size; /* bytes */
	size_t nvolumes;
	const struct guest_volume *volumes;
	char disk_guid[40]; /* GPT: the disk GUID, upper case; else "" */
	/* A partition table that could not be read (impossible fields, bad
	 * CRCs in both GPT headers): ptable is GUEST_PTABLE_OTHER, there
	 * are no volumes, and this says why. */
	char problem[160];
};

/* The disk's name as the user gave it (the image path). */
const char *guest_disk_name(const struct guest_disk *disk);

/* The last error's detailed message (owned by @disk), or "". */
const char *guest_disk_errmsg(const struct guest_disk *disk);

/* Partition table and volumes (owned by @disk). */
const struct guest_disk_layout *guest_disk_layout(const struct guest_disk *d);

/* Reads raw bytes of volume @vol (an index into the layout); *@got_ret is
 * short at the end of the volume.  GUEST_E_UNSUPPORTED where the backend
 * has no raw bytes for it. */
int guest_disk_pread(struct guest_disk *disk, size_t vol, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret);

/*
 * Asks ntfs-3g whether volume @vol could be mounted read-write, without
 * mounting it: *@code_ret is ntfs-3g.probe's exit code (0: yes; 14:
 * hibernated or Fast Startup; 15: not cleanly unmounted; see
 * ntfs-3g.probe(8)).  Nothing is written.
 */
int guest_disk_probe_rw(struct guest_disk *disk, size_t vol, int *code_ret);

/* What an ntfs-3g.probe exit code means ("hibernated", ...). */
const char *guest_ntfs_probe_meaning(int code);

/*
 * Mounts volume @vol (read-only when @readonly) and returns its filesystem
 * in *@fs_ret, owned by @disk and valid until the disk is closed.  A
 * volume is mounted once; asking again with the same mode returns the same
 * filesystem.  A read-write request on a disk added read-only fails with
 * GUEST_E_ROFS, and so does one that the filesystem driver would only
 * satisfy read-only (ntfs-3g's fallback for hibernated volumes).
 */
int guest_disk_mount(struct guest_disk *disk, size_t vol, bool readonly,
		     struct guest_fs **fs_ret);

/* Closes a host-directory disk; session disks are closed with their
 * session (this does nothing for them).  NULL is accepted. */
void guest_disk_close(struct guest_disk *disk);

/* ------------------------------------------------------------------ */
/* The libguestfs backend: one session, one launch.                    */
/* ------------------------------------------------------------------ */

struct guest_session;

/* Notices from the session (launch done, fallback), for the log.  @what is
 * a short event name ("launch-done", "notice"), @msg a sentence. */
typedef void (*guest_event_fn)(void *ctx, const char *what, const char *msg);

struct guest_session_opts {
	struct guest_launch_opts launch; /* its notice is routed to @event */
	guest_event_fn event;
	void *event_ctx;
	/* "native", "appliance", or NULL: $HVOFFLINE_BACKEND, else native. */
	const char *backend;
};

/* Creates a session (nothing is launched yet).  Returns NULL only when out
 * of memory.  @opts may be NULL. */
struct guest_session *guest_session_new(const struct guest_session_opts *opts);

/*
 * Whether the appliance reaches VHDX images through nbdkit-hvoffline-plugin
 * (installed, nbdkit on the PATH, $HVOFFLINE_NBDKIT not "0"): then it can
 * attach differencing disks (checkpoints), 4 KiB-sector images and images
 * whose log needs replay, which qemu cannot open on its own.
 */
bool guest_appliance_serves_vhdx(void);

/* The backend guest_session_new() would choose for @want (a name, or NULL:
 * $HVOFFLINE_BACKEND, else "native"): "native" or "appliance", or NULL
 * when the name is unknown. */
const char *guest_backend_choose(const char *want);

/* Whether that backend opens VHDX images itself (checkpoints, dirty logs
 * read-only, 4 KiB sectors): the native backend always, the appliance
 * when guest_appliance_serves_vhdx(). */
bool guest_backend_opens_vhdx(const char *want);

/* Whether that backend is the native one, which opens a writable image
 * (and takes its lock) itself. */
bool guest_backend_is_native(const char *want);

/* The last error's detailed message (owned by @s), or "". */
const char *guest_session_errmsg(const struct guest_session *s);

/*
 * Adds an image before launch.  @format is the qemu format ("raw", "vhdx",
 * "qcow2", "vpc"): always explicit, because letting qemu guess the format
 * of an untrusted image is a security hole (CVE-2010-3851).  A read-only
 * image gets a throw-away overlay: the file is never written.  @name is
 * how messages refer to it (the path the user gave).  Returns the disk's
 * index, or -1 with the session's error set.
 */
int guest_session_add(struct guest_session *s, const char *path,
		      const char *format, bool readonly, const char *name);

/*
 * The size in bytes of the virtual disk that disk @disk (an index from
 * guest_session_add) presents, as the caller read it from the image (a
 * VHDX's VirtualDiskSize), so that the launch need not ask the appliance;
 * 0 (the default) asks it.  Before launch only.
 */
int guest_session_set_size(struct guest_session *s, int disk, uint64_t size);

/*
 * Disk @disk's partition table, boot sectors and NTFS $Volume records, as
 * the caller read them from the image on the host (guest_disk_head_read()
 * in guest/ptable.h) with the size given to guest_session_set_size(),
 * which must come first.  The launch then does not read them in the
 * appliance, where each device read costs about a tenth of a second under
 * TCG.  The caller promises that nothing writes the image between its
 * read and the launch, and keeps @head alive until guest_session_launch()
 * returns; the session does not use it after.  Before launch only.
 */
struct guest_disk_head;
int guest_session_set_head(struct guest_session *s, int disk,
			   const struct guest_disk_head *head);

/*
 * Launches the appliance once, through guest_launch() (KVM -> TCG
 * fallback, watchdog, cache), then reads every disk's partition table and
 * volumes and prepares a mount point for each volume.
 */
int guest_session_launch(struct guest_session *s);

/* How the launch went (valid after guest_session_launch()). */
const struct guest_launch_result *guest_session_launch_result(
	const struct guest_session *s);

/* Appliance launches completed by this session, counted from libguestfs'
 * own GUESTFS_EVENT_LAUNCH_DONE events. */
unsigned guest_session_launches(const struct guest_session *s);

size_t guest_session_ndisks(const struct guest_session *s);

/* Disk @i in the order added (owned by the session), or NULL before launch
 * or out of range. */
struct guest_disk *guest_session_disk(struct guest_session *s, size_t i);

/* Unmounts everything, flushes and shuts the appliance down.  Returns 0, or
 * GUEST_E_IO if a filesystem or the appliance did not shut down cleanly
 * (after writes, that is an error the caller must report). */
int guest_session_shutdown(struct guest_session *s);

/* Closes the session (shutting down first if needed).  NULL is accepted. */
void guest_session_close(struct guest_session *s);

/* ------------------------------------------------------------------ */
/* The host-directory backend (for tests).                             */
/* ------------------------------------------------------------------ */

/* Opens a host directory as a guest filesystem (caller closes). */
int guest_hostdir_fs_open(const char *root, bool readonly,
			  struct guest_fs **fs_ret);

/* One volume of a host-directory disk. */
struct guest_hostdir_volume {
	const char *root; /* directory standing for the filesystem, or
				 NULL: not mountable */
	const char *raw;  /* host file with the volume's raw first bytes
				 (boot sector, MFT), or NULL */
	unsigned partnum;
	uint64_t size;
	const char *fstype; /* as blkid names it, or NULL */
	const char *label;
	uint8_t mbr_id;
	const char *gpt_type;
	const char *gpt_guid; /* the unique partition GUID, or NULL */
	int rw_probe;	      /* what ntfs-3g.probe --readwrite answers */
	bool readonly_only;   /* the volume only mounts read-only */
};

struct guest_hostdir_disk {
	const char *name;
	enum guest_ptable ptable;
	uint64_t size;
	size_t nvolumes;
	const struct guest_hostdir_volume *volumes;
};

/* Opens a disk described by @spec (copied; caller closes the disk). */
int guest_hostdir_disk_open(const struct guest_hostdir_disk *spec,
			    struct guest_disk **disk_ret);

#endif /* HVO_GUEST_GUEST_H */

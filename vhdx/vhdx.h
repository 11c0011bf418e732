/*
 * vhdx.h - native VHDX (MS-VHDX v1) images: validate, replay the log, read
 * and write virtual sectors of fixed, dynamic and differencing images,
 * create new ones.
 *
 * The library depends on libc only.  It exists because the usual tools
 * stop short of what servicing Hyper-V disks needs: qemu (and so
 * libguestfs) cannot open differencing disks (Hyper-V checkpoints,
 * .avhdx), refuses 4 KiB logical sectors, and refuses a read-only open of
 * an image whose log needs replay.  Here a read-only open replays the log
 * in memory (the file is not touched) and a writable open replays it in
 * place.
 *
 * Conventions:
 *   - Functions return enum vhdx_err (VHDX_OK is 0).  The detailed message
 *     of the last error is kept on the handle (vhdx_errmsg()) or, for the
 *     functions without a handle, in a caller-provided struct vhdx_error.
 *   - Handles are not thread-safe: one thread at a time per handle.
 *   - The I/O calls are shaped like pread/pwrite on the virtual disk, plus
 *     flush and an allocation map, so that the same handle can later back
 *     a block-device export (NBD) as well as the CLI.
 */
#ifndef HVO_VHDX_H
#define HVO_VHDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvoffline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes.  The values are fixed (scripts and logs may record them). */
enum vhdx_err {
	VHDX_OK = 0,
	VHDX_ERR_NOMEM = 1,	  /* out of memory */
	VHDX_ERR_IO = 2,	  /* the host file could not be read/written */
	VHDX_ERR_NOT_VHDX = 3,	  /* no "vhdxfile" signature */
	VHDX_ERR_CORRUPT = 4,	  /* a structure is invalid */
	VHDX_ERR_TRUNCATED = 5,	  /* the file is shorter than it must be */
	VHDX_ERR_UNSUPPORTED = 6, /* valid, but a feature we cannot honour */
	VHDX_ERR_LOCKED = 7,	  /* another process uses the image */
	VHDX_ERR_READ_ONLY = 8,	  /* write through a read-only handle */
	VHDX_ERR_RANGE = 9,	  /* offset/length outside the disk */
	VHDX_ERR_INVALID = 10,	  /* invalid argument */
	VHDX_ERR_EXISTS = 11,	  /* create: the file exists */
	VHDX_ERR_PARENT_MISSING = 12,  /* differencing: parent not found */
	VHDX_ERR_PARENT_MISMATCH = 13, /* parent found, but not the right one */
	VHDX_ERR_STATE = 14,	       /* handle failed or handed over */
};

/* Room for one detailed message. */
#define VHDX_ERRMSG_MAX 512

struct vhdx_error {
	enum vhdx_err code;
	char msg[VHDX_ERRMSG_MAX];
};

/* Short static description of a code ("corrupt VHDX structure"). */
HVO_API const char *vhdx_strerror(enum vhdx_err code);

/*
 * The exit class of an error (SERVICING.md section 4): corrupt, truncated,
 * not-a-VHDX and unsupported structures are corrupt input (5); a locked
 * image or a differencing disk whose parent is not the one it was made
 * from is refused (4); usage-like errors (range, invalid argument) are 2;
 * the rest are failures (1).
 */
HVO_API enum hvo_exit vhdx_exit_class(enum vhdx_err code);

/* ---- Opening ---- */

struct vhdx_image;

/* Open for writing (default: read-only). */
#define VHDX_OPEN_WRITE 0x1u
/* Open a differencing image without its parent: metadata, check and the
 * allocation map work; reading sectors that live in the parent fails with
 * VHDX_ERR_PARENT_MISSING. */
#define VHDX_OPEN_NO_PARENT 0x2u
/* Read-only, taking no lock (neither the flock nor qemu's lock bytes):
 * for looking at an image that another process may be using, such as the
 * siblings a disk's folder holds when looking for its checkpoints, without
 * making that process see it in use.  A concurrent writer can make the
 * open fail its checks; the handle never writes.  Not with
 * VHDX_OPEN_WRITE. */
#define VHDX_OPEN_NO_LOCK 0x4u

struct vhdx_open_opts {
	/* Use this file as the (first) parent instead of the parent
	 * locator's paths.  Its DataWriteGuid must still match. */
	const char *parent_path;
};

/*
 * Opens and validates @path: file identifier, both headers, the log
 * (replayed in memory for a read-only open, in place for a writable one,
 * then cleared through the header-update protocol), both region tables,
 * the metadata table and its items, and the BAT (whole when it is small,
 * otherwise page by page as it is used; see bat.c), then the parent chain
 * of a differencing image.  The image is locked: exclusively for writing
 * (refused with VHDX_ERR_LOCKED if any other process, hvoffline or qemu,
 * uses it), shared for reading (refused if someone writes it).  See
 * lock.c.  @opts may be NULL.
 *
 * On success *@img_ret is a new handle (free with vhdx_close()).  On
 * failure @err (if not NULL) holds the code and a message that names the
 * structure at fault.
 */
HVO_API enum vhdx_err vhdx_open(const char *path, unsigned flags,
				const struct vhdx_open_opts *opts,
				struct vhdx_image **img_ret,
				struct vhdx_error *err);

/*
 * Flushes pending writes, clears the log of a writable handle (LogGuid = 0
 * in both headers), releases the locks and frees the handle (and its
 * parents).  Accepts NULL.  Returns the first error of the final flush
 * (the handle is freed either way; @err may be NULL).
 */
HVO_API enum vhdx_err vhdx_close(struct vhdx_image *img,
				 struct vhdx_error *err);

/* The last error on the handle: its code and message (owned by the
 * handle, valid until the next failing call or close). */
HVO_API enum vhdx_err vhdx_errcode(const struct vhdx_image *img);
HVO_API const char *vhdx_errmsg(const struct vhdx_image *img);

/* ---- Information ---- */

enum vhdx_type {
	VHDX_TYPE_FIXED = 0,   /* every block allocated (LeaveBlockAllocated) */
	VHDX_TYPE_DYNAMIC = 1, /* blocks allocated on write */
	VHDX_TYPE_DIFFERENCING = 2, /* HasParent: a child of another image */
};

/* How the log was found at open, and what was done with it. */
enum vhdx_log_state {
	VHDX_LOG_CLEAN = 0,	      /* LogGuid was zero */
	VHDX_LOG_REPLAYED_MEMORY = 1, /* replayed in memory (read-only open) */
	VHDX_LOG_REPLAYED_FILE = 2,   /* replayed in place and cleared */
	VHDX_LOG_EMPTY_GUID = 3,      /* LogGuid set, but no valid entry */
};

/* A GUID as its 16 on-disk bytes (Microsoft mixed-endian order). */
struct vhdx_guid {
	uint8_t b[16];
};

/* Lower-case "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into @buf (37 bytes). */
HVO_API void vhdx_guid_format(const struct vhdx_guid *g, char buf[37]);

struct vhdx_info {
	enum vhdx_type type;
	uint64_t virtual_size;
	uint32_t block_size;
	uint32_t logical_sector_size;
	uint32_t physical_sector_size;
	uint32_t chunk_ratio;
	uint64_t payload_blocks;
	bool leave_block_allocated;
	bool has_parent;
	struct vhdx_guid virtual_disk_id;
	/* Current header. */
	int current_header; /* 1 or 2 */
	uint64_t header_sequence;
	struct vhdx_guid file_write_guid;
	struct vhdx_guid data_write_guid;
	struct vhdx_guid log_guid;
	uint64_t log_offset;
	uint32_t log_length;
	/* Log found at open. */
	enum vhdx_log_state log_state;
	uint32_t log_entries_replayed;
	uint64_t log_head_sequence;
	/* Regions. */
	uint64_t bat_offset;
	uint32_t bat_length;
	uint64_t metadata_offset;
	uint32_t metadata_length;
	uint64_t file_size;
	/* Creator string of the file identifier (UTF-8, owned by the
	 * handle). */
	const char *creator;
	/* Depth of this image in its chain (0 for the image opened). */
	unsigned depth;
};

HVO_API void vhdx_get_info(const struct vhdx_image *img,
			   struct vhdx_info *info);

/* The path the image was opened with (owned by the handle). */
HVO_API const char *vhdx_path(const struct vhdx_image *img);

/* The parent of a differencing image, or NULL (owned by @img). */
HVO_API struct vhdx_image *vhdx_parent(const struct vhdx_image *img);

/* Parent locator entries, as UTF-8 (owned by the handle); index from 0.
 * Returns false past the last entry. */
HVO_API bool vhdx_parent_locator(const struct vhdx_image *img, size_t index,
				 const char **key_ret, const char **value_ret);

/*
 * The paths vhdx_open() tries, in order, for the parent of the image at
 * @child_path whose parent locator has the @nlocator entries @lkeys and
 * @lvalues (2.6.2.6.3; see open.c).  Up to @max malloc'd paths go to
 * @out (caller frees each); returns how many.  Nothing is opened: for
 * callers that must know the chain's files before a confined process
 * opens them (src/servicing/child_paths.c).
 */
HVO_API size_t vhdx_parent_candidates(const char *child_path,
				      const char *const *lkeys,
				      const char *const *lvalues,
				      size_t nlocator, char **out, size_t max);

/* ---- Virtual disk I/O ---- */

/*
 * Reads @len bytes of the virtual disk at @offset into @buf (any alignment).
 * Sectors that a differencing image does not hold come from its parent;
 * unallocated sectors of the last image read as zeros.
 */
HVO_API enum vhdx_err vhdx_pread(struct vhdx_image *img, void *buf, size_t len,
				 uint64_t offset);

/*
 * Writes @len bytes at @offset (any alignment; partial logical sectors are
 * read, merged and written whole).  New payload blocks (and, for a
 * differencing image, sector-bitmap blocks) are allocated at the 1 MiB-
 * aligned end of the file; the BAT and sector-bitmap changes are batched
 * and committed through the log by vhdx_flush(), by vhdx_close(), or when
 * a batch fills up.  Until then a crash leaves the previous content of
 * each sector; see write.c for the ordering.
 */
HVO_API enum vhdx_err vhdx_pwrite(struct vhdx_image *img, const void *buf,
				  size_t len, uint64_t offset);

/* Makes every completed vhdx_pwrite() durable (payload, log, BAT).
 * Inside a transaction, only what was written before it began or was
 * committed by it: the held pages stay held. */
HVO_API enum vhdx_err vhdx_flush(struct vhdx_image *img);

/* ---- Write transactions (txn.c) ---- */

/*
 * Begins a write transaction on a writable handle: the vhdx_pwrite()
 * calls until the matching vhdx_txn_commit() reach the file
 * all-or-nothing.  Transactions nest; only the outermost commit commits.
 *
 * The guarantee, precisely.  Let C be the transaction capacity: the
 * 4 KiB pages one log sequence carries (vhdx_txn_capacity(); about 250
 * with Hyper-V's 1 MiB log).  A transaction's pages are the 4 KiB pages
 * of the file it changes in payload blocks that were allocated before
 * it began, plus the BAT and sector-bitmap pages it changes; payload in
 * blocks it allocates itself costs nothing.  While those pages number at
 * most C, a crash (kill or power loss) at any moment before
 * vhdx_txn_commit() returns leaves, at the next open, either every write
 * of the transaction or none of them; after it returns, every write.
 * When a write would take the transaction past C, the pages held so far
 * are committed first as one group and the transaction goes on with a
 * new group: the groups reach the file in order, each all-or-nothing, so
 * a crash leaves every write of the first k groups and none of the rest
 * (for some k).  *@groups_ret of the commit says how many groups it took
 * (1 when all-or-nothing held; 0 when nothing was written).
 *
 * Reads through the handle see the transaction's writes.  vhdx_flush()
 * inside a transaction does not commit it; vhdx_close() and
 * vhdx_handover() do.  There is no abort: a caller whose own state went
 * with the writes (a filesystem driver's caches) cannot drop them.  A
 * failed commit leaves the handle failed (VHDX_ERR_STATE); the next open
 * finds the last group whole or absent.
 */
HVO_API enum vhdx_err vhdx_txn_begin(struct vhdx_image *img);
HVO_API enum vhdx_err vhdx_txn_commit(struct vhdx_image *img,
				      unsigned *groups_ret);
/* The capacity C above, in 4 KiB pages (0: the log is too small for
 * transactions, and vhdx_txn_begin() fails). */
HVO_API uint32_t vhdx_txn_capacity(const struct vhdx_image *img);
/* The pages the open transaction would commit now (0 outside one): a
 * caller that keeps one transaction open over several operations of its
 * own commits it before the next operation when this nears C, so that no
 * operation straddles two groups. */
HVO_API uint32_t vhdx_txn_pending(const struct vhdx_image *img);

enum vhdx_extent_kind {
	VHDX_EXTENT_DATA = 0, /* stored in some image of the chain */
	VHDX_EXTENT_ZERO = 1, /* reads as zeros (unallocated or zero block) */
};

struct vhdx_extent {
	uint64_t offset; /* virtual offset (= the one asked for) */
	uint64_t length; /* > 0 */
	enum vhdx_extent_kind kind;
	/* For DATA: the image of the chain that holds it, and where.  When
	 * @direct is set, the bytes are exactly the host file's bytes at
	 * [file_offset, file_offset + length) of vhdx_fd(image) (no in-memory
	 * log replay covers them), so a caller may copy them with
	 * copy_file_range() or splice(); otherwise use vhdx_pread(). */
	const struct vhdx_image *image;
	uint64_t file_offset;
	bool direct;
};

/*
 * Describes the virtual range starting at @offset (at most @max_len bytes):
 * the longest prefix that is uniformly DATA in one contiguous file range,
 * or uniformly ZERO.  For block-status queries and zero-copy readers.
 */
HVO_API enum vhdx_err vhdx_map(struct vhdx_image *img, uint64_t offset,
			       uint64_t max_len, struct vhdx_extent *ext_ret);

/* The host file descriptor of an image, for reading @direct extents only.
 * Owned by the handle. */
HVO_API int vhdx_fd(const struct vhdx_image *img);

/* ---- Streaming (stream.c) ---- */

/* Bytes per vhdx_pwrite() of vhdx_write_from_fd(): a 1 MiB-block image
 * gets one allocating write per MiB, as qemu-img bench issues them. */
#define VHDX_STREAM_CHUNK (1u << 20)

/*
 * Copies @len bytes of the virtual disk from @offset (clipped at the end
 * of the disk) to @out_fd.  A regular output file is written at its
 * current position, sparse (zero extents become holes; its size is set to
 * the end of the copy) and with in-kernel copies where the bytes are
 * plain host-file bytes; a pipe gets splice() where it can, anything else
 * every byte written.  On failure the handle holds the message; *@out_errno
 * is set (non-zero) when writing @out_fd was what failed, and is 0 when
 * the image was.
 */
HVO_API enum vhdx_err vhdx_copy_to_fd(struct vhdx_image *img, uint64_t offset,
				      uint64_t len, int out_fd, int *out_errno);

/*
 * Reads @in_fd to its end (or @max_len bytes; UINT64_MAX for no limit)
 * and writes the bytes into the virtual disk from @offset, in
 * VHDX_STREAM_CHUNK vhdx_pwrite() calls.  *@written_ret is the number of
 * bytes written (also on failure).  *@in_errno is set (non-zero) when
 * reading @in_fd failed.  The caller makes it durable (vhdx_flush() or
 * vhdx_close()).
 */
HVO_API enum vhdx_err vhdx_write_from_fd(struct vhdx_image *img,
					 uint64_t offset, int in_fd,
					 uint64_t max_len,
					 uint64_t *written_ret, int *in_errno);

/* ---- Create ---- */

struct vhdx_create_opts {
	enum vhdx_type type;
	/* Virtual size in bytes (a multiple of the logical sector size, at
	 * most 64 TiB).  Ignored for differencing: the parent's size. */
	uint64_t virtual_size;
	/* 1 MiB - 256 MiB, a power of two; 0 picks Hyper-V's defaults
	 * (32 MiB; 2 MiB for differencing). */
	uint32_t block_size;
	/* 512 or 4096; 0 means 512 (differencing: the parent's). */
	uint32_t logical_sector_size;
	/* 512 or 4096; 0 means 4096 (differencing: the parent's). */
	uint32_t physical_sector_size;
	/* Differencing: the parent image (opened read-only and checked). */
	const char *parent_path;
};

/*
 * Creates a new image at @path, which must not exist.  The file is built
 * under a temporary name in the same directory, flushed, and linked into
 * place only when complete.  A fixed image has its payload allocated on
 * disk (fallocate), as Hyper-V expects.  A differencing image records the
 * parent's DataWriteGuid (parent_linkage) and its path relative to the
 * child (relative_path).
 */
HVO_API enum vhdx_err vhdx_create(const char *path,
				  const struct vhdx_create_opts *opts,
				  struct vhdx_error *err);

/* ---- Check ---- */

struct vhdx_check_report {
	/* Problems make the image corrupt; warnings do not. Each message is
	 * a malloc'ed string. */
	size_t nproblems;
	char **problems;
	size_t nwarnings;
	char **warnings;
	/* Payload-block counts by state. */
	uint64_t blocks_fully_present;
	uint64_t blocks_partially_present;
	uint64_t blocks_not_present;
	uint64_t blocks_zero;
	uint64_t blocks_unmapped; /* UNDEFINED, UNMAPPED and legacy 5 */
	uint64_t sector_bitmap_blocks;
	/* Bytes of the file that nothing refers to (space leaked by an
	 * interrupted allocation, or free space left by other writers). */
	uint64_t unreferenced_bytes;
	/* CRC-valid log entries that belong to an older log (another
	 * LogGuid): normal, never replayed. */
	unsigned stale_log_entries;
	/* Leaked space: bytes of the file past the end of the last region
	 * anything references (header section, log, BAT, metadata, blocks,
	 * sector bitmaps), in whole MiB, which is what an interrupted
	 * allocation leaves.
	 * Part of unreferenced_bytes; the next write session reuses it,
	 * vhdx_reclaim() truncates it. */
	uint64_t leaked_bytes;
	uint64_t referenced_end; /* end of the last referenced region */
	uint64_t file_size;
};

/*
 * Full consistency check beyond what open verifies: every BAT entry (state,
 * bounds, overlap), partially-present blocks against their sector-bitmap
 * entries, the second header and region table, stale log entries, and the
 * parent chain.  Returns VHDX_OK when it ran (look at nproblems) or an
 * error when it could not read the image.
 */
HVO_API enum vhdx_err vhdx_check(struct vhdx_image *img,
				 struct vhdx_check_report *rep);

HVO_API void vhdx_check_report_free(struct vhdx_check_report *rep);

/*
 * Truncates the leaked space of a writable image (see leaked_bytes):
 * commits pending writes, then cuts the file at the end of the last
 * referenced region and makes it durable.  Crash-safe: nothing durable or
 * pending refers to what is cut (see reclaim.c).  *@freed_ret is the
 * number of bytes removed.
 */
HVO_API enum vhdx_err vhdx_reclaim(struct vhdx_image *img, uint64_t *freed_ret);

/* ---- Locking (see lock.c for the scheme) ---- */

/*
 * Pre-flight: is @path in use by another process?  Detects hvoffline's
 * own lock (flock) and qemu's image locks (OFD byte-range locks at offsets
 * 100+ and 200+).  *@in_use_ret tells; @who (may be NULL) receives a short
 * description ("qemu holds write permission").  Any user counts, readers
 * too: the question a writer asks (vhdx_in_use_for with VHDX_OPEN_WRITE).
 */
HVO_API enum vhdx_err vhdx_in_use(const char *path, bool *in_use_ret, char *who,
				  size_t who_len, struct vhdx_error *err);

/*
 * The same question for an open with @flags (vhdx_open's): whether it
 * would be refused because another process uses the image, without taking
 * any lock that lasts.  With VHDX_OPEN_WRITE anyone counts (vhdx_in_use).
 * Without it only writers count, since readers share: another hvoffline
 * handle open for writing (a read-only nbdkit export, a read-only
 * `inspect` do not), or a qemu that holds the write or resize permission
 * or does not share consistent read (a running VM; a read-only qemu-img
 * does not).  A writer still excludes readers and a reader writers.
 */
HVO_API enum vhdx_err vhdx_in_use_for(const char *path, unsigned flags,
				      bool *in_use_ret, char *who,
				      size_t who_len, struct vhdx_error *err);

/*
 * Hands the image over to another program (the appliance's qemu) that
 * will open it read-write itself: flushes and clears the log, releases the
 * qemu-visible byte-range locks, and keeps the flock so that no other
 * hvoffline process can open the image until vhdx_close().  After this the
 * handle does no more I/O (VHDX_ERR_STATE).
 */
HVO_API enum vhdx_err vhdx_handover(struct vhdx_image *img);

#ifdef __cplusplus
}
#endif

#endif /* HVO_VHDX_H */

/*
 * internal.h - the VHDX handle and the functions the vhdx/ files share.
 *
 * Cross-file internal functions use the prefix vhdx_int_ (the shared library
 * exports only vhdx_*).  Every function that can fail returns enum vhdx_err
 * and has set the handle's message (vhdx_int_fail) exactly once on the way.
 */
#ifndef HVO_VHDX_INTERNAL_H
#define HVO_VHDX_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vhdx/format.h"
#include "vhdx/vhdx.h"

/*
 * Limits, each with its reason.
 */
/* BAT and sector-bitmap pages kept in memory per image: 1024 x 4 KiB =
 * 4 MiB.  Each BAT page maps 512 blocks (512 MiB of a 1 MiB-block disk,
 * 16 GiB of a 32 MiB-block one), so sequential I/O almost never misses,
 * while a 64 TiB image (a 513 MiB BAT) opens in a few MiB of memory. */
#define VHDX_INT_CACHE_PAGES 1024u
/* A BAT this small is read and validated whole at open, so that corruption
 * is found before any I/O; larger ones are validated page by page on first
 * use (and completely by vhdx_check()). */
#define VHDX_INT_OPEN_FULL_BAT_MAX (64 * VHDX_MiB)
/* Data replayed in memory for a read-only open of a dirty image.  Real
 * logs are 1 MiB; a multi-GiB log must be replayed in place instead. */
#define VHDX_INT_MAX_OVERLAY_BYTES (128 * VHDX_MiB)
#define VHDX_INT_MAX_OVERLAY_OPS   262144u
/* Logs up to this size are read whole while searching for the active
 * sequence (one read instead of one per 4 KiB position). */
#define VHDX_INT_LOG_INMEM_MAX (16 * VHDX_MiB)
/* Payload writes at least this large, and aligned to VHDX_INT_DIRECT_ALIGN in
 * memory, length and file offset, bypass the page cache (O_DIRECT): a bulk
 * import then goes to the disk at its speed, with no page-cache copy and
 * no dirty-page throttling, while small writes stay cached. */
#define VHDX_INT_DIRECT_MIN   (256 * VHDX_KiB)
#define VHDX_INT_DIRECT_ALIGN 4096u
/* Depth of a differencing chain.  Hyper-V chains are tens of checkpoints
 * deep; the limit only stops a hand-made parent loop that the inode check
 * cannot see (e.g. through different bind mounts). */
#define VHDX_INT_MAX_CHAIN_DEPTH 256u
/* No valid VHDX file is larger: 64 TiB of payload plus its BAT, sector
 * bitmaps (16 GiB at 512-byte sectors), metadata and a 4 GiB log. */
#define VHDX_INT_MAX_FILE_SIZE (64 * VHDX_TiB + 64 * 1024 * VHDX_MiB)

/* A 4 KiB page of the BAT or of a sector-bitmap block, cached. */
struct vhdx_int_page {
	uint64_t key;	/* file offset (4 KiB-aligned) */
	uint8_t *data;	/* VHDX_SECTOR bytes */
	uint32_t hnext; /* next in hash chain, or VHDX_INT_NONE */
	bool used;
	bool dirty; /* changed, not yet committed through the log */
	bool ref;   /* clock bit */
};
#define VHDX_INT_NONE UINT32_MAX

struct vhdx_int_cache {
	struct vhdx_int_page *pages; /* up to VHDX_INT_CACHE_PAGES */
	uint32_t npages;	     /* allocated so far */
	uint32_t *buckets;
	uint32_t nbuckets;
	uint32_t hand; /* clock hand */
	uint32_t ndirty;
};

/* One descriptor of the replayed log, kept for a read-only open. */
struct vhdx_int_overlay_op {
	uint64_t offset;
	uint64_t length;
	uint8_t *data; /* VHDX_SECTOR bytes, or NULL for a zero range */
};

struct vhdx_int_overlay {
	struct vhdx_int_overlay_op *ops; /* in replay order: later ones win */
	size_t nops, cap;
	uint64_t min_offset, max_end;
	uint64_t bytes;
};

/* A payload page held by a write transaction (txn.c). */
struct vhdx_int_held {
	uint64_t key;	/* file offset (4 KiB-aligned) */
	uint8_t *data;	/* VHDX_SECTOR bytes */
	uint32_t hnext; /* next in hash chain, or VHDX_INT_NONE */
};

struct vhdx_int_txn {
	unsigned depth;		    /* vhdx_txn_begin() nesting; 0: none */
	unsigned groups;	    /* groups committed by this transaction */
	struct vhdx_int_held *held; /* cap pages, nheld in use */
	uint32_t nheld, cap;
	uint32_t *buckets;
	uint32_t nbuckets;
	uint64_t *new_blocks; /* blocks allocated in the current group */
	uint32_t nnew;
	bool new_overflow; /* more of them than new_blocks holds */
	/* The file is the committed state outside the held pages: no
	 * dirty cache page predates the current group (txn.c). */
	bool clean;
	bool unlogged;	     /* in vhdx_txn_pwrite_unlogged() */
	bool unlogged_since; /* it wrote since the last group commit */
	bool committed_view; /* in vhdx_txn_pread_committed() */
};

/* Locks held on the image file (lock.c). */
struct vhdx_int_lock {
	bool flocked;
	unsigned perm_locked;	/* qemu permission bytes (100 + bit) held */
	unsigned shared_locked; /* qemu "not shared" bytes (200 + bit) held */
};

/* A parent-locator key/value pair, converted to UTF-8. */
struct vhdx_int_locator_entry {
	char *key;
	char *value;
};

enum vhdx_int_state {
	VHDX_INT_STATE_OPEN = 0,
	VHDX_INT_STATE_FAILED, /* a write path failed midway: no more I/O */
	VHDX_INT_STATE_HANDED_OVER, /* vhdx_handover(): no more I/O */
};

struct vhdx_image {
	char *path;
	int fd;
	int dfd; /* O_DIRECT descriptor of the same file, or -1 */
	bool writable;
	unsigned flags;
	enum vhdx_int_state state;
	struct vhdx_error err;
	struct vhdx_int_lock lock;
	dev_t dev;
	ino_t ino;

	/* Host file size now, and the size reads may use: a read-only replay
	 * can extend the file in memory up to the log's LastFileOffset. */
	uint64_t file_size;
	uint64_t eff_size;
	char *creator;

	/* Current header (2.2.2), 0-based slot. */
	uint8_t header[VHDX_HEADER_SIZE];
	int cur_header;
	uint64_t sequence;
	struct vhdx_guid file_write_guid, data_write_guid, log_guid;
	uint64_t log_offset;
	uint32_t log_length;
	bool other_header_valid;

	/* Regions (2.2.3). */
	uint64_t bat_offset;
	uint32_t bat_length;
	uint64_t meta_offset;
	uint32_t meta_length;
	bool region_tables_differ;
	bool region1_invalid;
	unsigned unknown_regions;

	/* Metadata (2.6). */
	uint32_t block_size;
	uint32_t lss; /* logical sector size */
	uint32_t pss;
	uint64_t virtual_size;
	bool has_parent;
	bool leave_allocated;
	bool has_disk_id;
	struct vhdx_guid disk_id;
	struct vhdx_guid parent_linkage, parent_linkage2;
	bool has_linkage2;
	struct vhdx_int_locator_entry *locator;
	size_t nlocator;

	/* Derived geometry. */
	uint64_t nblocks;     /* payload blocks */
	uint32_t chunk_ratio; /* payload blocks per sector-bitmap block */
	uint64_t nchunks;     /* sector-bitmap blocks */
	uint64_t bat_entries; /* entries we index (payload and SB) */
	uint32_t sectors_per_block;
	uint32_t bitmap_bytes_per_block;

	/* BAT/bitmap page cache and validation state (bat.c). */
	struct vhdx_int_cache cache;
	uint8_t *page_validated; /* one bit per BAT page */
	uint64_t npages_bat;
	uint8_t *used_mb; /* one bit per MiB of the file: claimed */
	uint64_t used_mb_bits;

	/* Log found at open (log.c). */
	enum vhdx_log_state log_state;
	uint32_t log_entries_replayed;
	uint64_t log_head_seq;
	struct vhdx_int_overlay overlay; /* read-only replay */

	/* Write session (write.c, log.c). */
	bool session_started; /* FileWriteGuid changed */
	bool data_guid_changed;
	bool log_active; /* the header carries session_log_guid */
	struct vhdx_guid session_log_guid;
	uint64_t log_seq;
	uint32_t log_pos;
	uint32_t log_head_pos, log_head_len; /* last entry written */
	uint32_t log_live_pos; /* tail of the sequence a replay needs now */
	bool log_has_head;
	bool unsynced;	      /* payload written since the last fdatasync */
	bool header_unsynced; /* a header copy written since then (header.c) */
	bool tail_checked;    /* reclaim.c ran this session */
	uint32_t max_batch;
	struct vhdx_int_txn txn; /* write transaction (txn.c) */

	/* Chain. */
	struct vhdx_image *parent;
	unsigned depth;
};

/*
 * Test support: called at the named points of the write path where a
 * crash matters ("payload", "log-written", "log-synced", "header-half",
 * "header", "apply", "applied", "clear", and in a transaction's commit
 * "txn-entry", "txn-logged", "txn-header").  NULL in production; the
 * crash-safety test sets it to kill the process at a chosen point.
 */
extern void (*vhdx_int_crash_hook)(const char *point);
#define VHDX_INT_CRASH_POINT(name)                 \
	do {                                       \
		if (vhdx_int_crash_hook)           \
			vhdx_int_crash_hook(name); \
	} while (0)

/*
 * Test support: every change the library makes to an image file, in the
 * order it makes them, for the power-loss harness (tests/vhdx/
 * test_vhdx_powerloss.c), which rebuilds the file as a power cut could
 * leave it.  WRITE: @len bytes of @buf at @off; ZERO: @len zero bytes at
 * @off (fallocate, size unchanged); SIZE: the file is truncated or
 * extended to @off; SYNC: fdatasync (a flush barrier).  NULL in
 * production.
 */
enum vhdx_int_io {
	VHDX_INT_IO_WRITE = 1,
	VHDX_INT_IO_ZERO = 2,
	VHDX_INT_IO_SIZE = 3,
	VHDX_INT_IO_SYNC = 4,
};
extern void (*vhdx_int_io_hook)(enum vhdx_int_io kind, const void *buf,
				uint64_t len, uint64_t off);
#define VHDX_INT_IO(kind, buf, len, off)                       \
	do {                                                   \
		if (vhdx_int_io_hook)                          \
			vhdx_int_io_hook(kind, buf, len, off); \
	} while (0)

/* ---- error.c ---- */
enum vhdx_err vhdx_int_fail(struct vhdx_image *img, enum vhdx_err code,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
enum vhdx_err vhdx_int_failv(struct vhdx_error *err, enum vhdx_err code,
			     const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
enum vhdx_err vhdx_int_seterr(struct vhdx_error *err, enum vhdx_err code,
			      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An I/O failure: "<what>: <strerror(errnum)>". */
enum vhdx_err vhdx_int_fail_errno(struct vhdx_image *img, int errnum,
				  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- crc32c.c ---- */
/* CRC-32C (Castagnoli), initial value and final XOR 0xFFFFFFFF; chain
 * calls by passing the previous result as @crc (start with 0). */
uint32_t vhdx_int_crc32c(uint32_t crc, const void *buf, size_t len);
/* CRC of @buf with the 4-byte checksum field at @csum_off taken as zero. */
uint32_t vhdx_int_crc32c_with_hole(const uint8_t *buf, size_t len,
				   size_t csum_off);

/* ---- guid.c ---- */
bool vhdx_int_guid_is_zero(const struct vhdx_guid *g);
bool vhdx_int_guid_eq(const struct vhdx_guid *a, const struct vhdx_guid *b);
/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", optionally in braces,
 * either case.  Returns false if it is not one. */
bool vhdx_int_guid_parse(const char *s, struct vhdx_guid *g);
/* A new random version-4 GUID (getrandom).  Returns 0 or an errno. */
int vhdx_int_guid_random(struct vhdx_guid *g);

/* ---- file.c: host-file access ---- */
/* Reads through the in-memory replay; bytes past the end of the host file
 * (but below eff_size) read as zeros.  Fails past eff_size. */
enum vhdx_err vhdx_int_read(struct vhdx_image *img, void *buf, size_t len,
			    uint64_t offset, const char *what);
enum vhdx_err vhdx_int_write(struct vhdx_image *img, const void *buf,
			     size_t len, uint64_t offset, const char *what);
/* vhdx_int_write() for payload: large aligned writes go through O_DIRECT. */
enum vhdx_err vhdx_int_write_payload(struct vhdx_image *img, const void *buf,
				     size_t len, uint64_t offset);
/* Opens the O_DIRECT descriptor of a writable handle (best effort). */
void vhdx_int_open_direct(struct vhdx_image *img);
enum vhdx_err vhdx_int_sync(struct vhdx_image *img);
/* Grows the host file to at least @size. */
enum vhdx_err vhdx_int_extend(struct vhdx_image *img, uint64_t size);
bool vhdx_int_overlay_covers(const struct vhdx_int_overlay *ov, uint64_t offset,
			     uint64_t len);
enum vhdx_err vhdx_int_overlay_add(struct vhdx_image *img, uint64_t offset,
				   uint64_t length, const uint8_t *data);
void vhdx_int_overlay_free(struct vhdx_int_overlay *ov);

/* ---- header.c ---- */
enum vhdx_err vhdx_int_read_headers(struct vhdx_image *img);
enum vhdx_err vhdx_int_read_region_tables(struct vhdx_image *img);
/*
 * The header-update protocol (2.2.2.1): writes the non-current header
 * with sequence + 1 and the new field values, flushes, and does it a
 * second time so that both copies are current.  The first update of a
 * session sets a new FileWriteGuid; @new_data_guid sets a new
 * DataWriteGuid; @log_guid is the LogGuid to record.
 */
enum vhdx_err vhdx_int_update_headers(struct vhdx_image *img,
				      bool new_data_guid,
				      const struct vhdx_guid *log_guid);
/* Checks a header buffer; NULL if valid, else why not (static). */
const char *vhdx_int_header_invalid(const uint8_t *h);

/* ---- metadata.c ---- */
enum vhdx_err vhdx_int_read_metadata(struct vhdx_image *img);
void vhdx_int_free_metadata(struct vhdx_image *img);

/* ---- bat.c ---- */
enum vhdx_err vhdx_int_bat_init(struct vhdx_image *img);
void vhdx_int_bat_free(struct vhdx_image *img);
/* Payload entry index of block @b, sector-bitmap entry of chunk @c. */
uint64_t vhdx_int_bat_payload_index(const struct vhdx_image *img, uint64_t b);
uint64_t vhdx_int_bat_sb_index(const struct vhdx_image *img, uint64_t c);
enum vhdx_err vhdx_int_bat_get(struct vhdx_image *img, uint64_t index,
			       uint64_t *entry_ret);
enum vhdx_err vhdx_int_bat_set(struct vhdx_image *img, uint64_t index,
			       uint64_t entry);
/* A cached 4 KiB metadata page (BAT or sector bitmap) at @key; the
 * pointer stays valid until the next cache call.  @dirty marks it for the
 * next log commit. */
enum vhdx_err vhdx_int_page(struct vhdx_image *img, uint64_t key, bool dirty,
			    uint8_t **data_ret);
/* Claims [offset, offset + length) of the file for a block; fails (corrupt)
 * if any of it is already claimed. */
enum vhdx_err vhdx_int_claim(struct vhdx_image *img, uint64_t offset,
			     uint64_t length, const char *what);
bool vhdx_int_claimed(const struct vhdx_image *img, uint64_t offset);
/* Validates every BAT page not validated yet. */
enum vhdx_err vhdx_int_bat_validate_all(struct vhdx_image *img);
/* Checks one entry; NULL if valid, else a message in @buf. */
const char *vhdx_int_bat_entry_problem(const struct vhdx_image *img,
				       uint64_t index, uint64_t entry,
				       enum vhdx_err *code, char *buf,
				       size_t buflen);

/* ---- log.c ---- */
/* Finds the active sequence; replays it in place (writable) or in memory. */
enum vhdx_err vhdx_int_log_open(struct vhdx_image *img);
/* Commits the dirty cache pages through one log entry (write.c's
 * ordering comment). */
enum vhdx_err vhdx_int_log_commit(struct vhdx_image *img);
/* Clears the log at close / handover: LogGuid = 0 in both headers. */
enum vhdx_err vhdx_int_log_clear(struct vhdx_image *img);
/* Entries of the log with a CRC-valid header but another LogGuid (stale),
 * for check. */
unsigned vhdx_int_log_count_stale(struct vhdx_image *img);
/* Largest number of 4 KiB pages one log entry may carry. */
uint32_t vhdx_int_log_max_batch(uint32_t log_length);
/* Largest number of pages one sequence of entries of at most @max_batch
 * pages each can carry in a log of @log_length bytes. */
uint32_t vhdx_int_log_seq_capacity(uint32_t log_length, uint32_t max_batch);
/* A page for a log entry: its place in the file and its 4 KiB. */
struct vhdx_int_lpage {
	uint64_t key;
	const uint8_t *data;
};
/* Bytes of an entry carrying @n pages. */
uint32_t vhdx_int_log_entry_size(uint32_t n);
/* Writes (without flushing) one entry carrying @n pages at ring position
 * @pos, with tail @tail, sequence number @seq and log GUID @guid. */
enum vhdx_err vhdx_int_log_write_entry(struct vhdx_image *img,
				       const struct vhdx_int_lpage *lp,
				       uint32_t n, uint32_t pos, uint32_t tail,
				       uint64_t seq,
				       const struct vhdx_guid *guid);
/* Where the next @size bytes of entries go in the ring (clearing the log
 * first when they would overwrite the sequence a replay needs). */
enum vhdx_err vhdx_int_log_place(struct vhdx_image *img, uint32_t size,
				 uint32_t *pos_ret);

/* ---- txn.c ---- */
/* Fails (read-only, or a failed or handed-over handle) unless the handle
 * may write. */
enum vhdx_err vhdx_int_check_writable(struct vhdx_image *img);
/* Pages a transaction may hold before it commits a group early. */
uint32_t vhdx_int_txn_capacity(const struct vhdx_image *img);
/* Whether a transaction is open (payload writes are held). */
bool vhdx_int_txn_holds(const struct vhdx_image *img);
/* Whether block @b was allocated in the transaction's current group
 * (its writes go to the file: nothing maps it yet). */
bool vhdx_int_txn_new_block(const struct vhdx_image *img, uint64_t b);
void vhdx_int_txn_note_block(struct vhdx_image *img, uint64_t b);
/* Holds a payload write of @len bytes at file offset @off. */
enum vhdx_err vhdx_int_txn_hold(struct vhdx_image *img, const uint8_t *buf,
				uint64_t len, uint64_t off);
/* Commits a group early when the held and dirty pages near capacity. */
enum vhdx_err vhdx_int_txn_room(struct vhdx_image *img);
void vhdx_int_txn_free(struct vhdx_image *img);
/* file.c keeps the held pages' lookup, which every read goes through. */
uint32_t vhdx_int_txn_bucket(const struct vhdx_int_txn *t, uint64_t key);
struct vhdx_int_held *vhdx_int_txn_find(const struct vhdx_int_txn *t,
					uint64_t key);
bool vhdx_int_txn_covers(const struct vhdx_image *img, uint64_t offset,
			 uint64_t len);

/* ---- io.c ---- */
/* Checks the handle's state and that [offset, offset + len) is on disk. */
enum vhdx_err vhdx_int_io_check(struct vhdx_image *img, uint64_t len,
				uint64_t offset);
enum vhdx_err vhdx_int_block_entry(struct vhdx_image *img, uint64_t b,
				   unsigned *state, uint64_t *file_off);
/* The part of [off, off + len) that lies in one payload block, and that
 * block's BAT state and file offset. */
struct vhdx_int_piece {
	uint64_t block; /* payload block number */
	uint64_t in;	/* offset inside the block */
	uint64_t len;	/* bytes of the range inside the block */
	unsigned state;
	uint64_t file_off;
};
enum vhdx_err vhdx_int_piece(struct vhdx_image *img, uint64_t off, uint64_t len,
			     struct vhdx_int_piece *p);
/* File offset of the first sector-bitmap byte of partially present block
 * @b; fails (corrupt) if its chunk has no sector bitmap. */
enum vhdx_err vhdx_int_bitmap_offset(struct vhdx_image *img, uint64_t b,
				     uint64_t *off_ret);
/* vhdx_pread() without the argument checks. */
enum vhdx_err vhdx_int_read_virtual(struct vhdx_image *img, uint8_t *buf,
				    uint64_t len, uint64_t off);

/* ---- reclaim.c ---- */
/* End of the last region anything references (validates the whole BAT). */
enum vhdx_err vhdx_int_referenced_end(struct vhdx_image *img,
				      uint64_t *end_ret);
/* Truncates the file at vhdx_int_referenced_end(); *@freed_ret bytes. */
enum vhdx_err vhdx_int_reclaim_tail(struct vhdx_image *img,
				    uint64_t *freed_ret);

/* ---- lock.c ---- */
enum vhdx_err vhdx_int_lock_acquire(struct vhdx_image *img, bool exclusive);
void vhdx_int_lock_release_qemu(struct vhdx_image *img);
void vhdx_int_lock_release(struct vhdx_image *img);

/* ---- open.c ---- */
void vhdx_int_image_free(struct vhdx_image *img);

/* Geometry helpers. */
static inline uint64_t vhdx_int_round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

#endif /* HVO_VHDX_INTERNAL_H */

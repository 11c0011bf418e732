/*
 * internal.h - shared between the files of registry/ (not installed).
 */
#ifndef HVO_REGISTRY_INTERNAL_H
#define HVO_REGISTRY_INTERNAL_H

#include <hivex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "registry/reg.h"
#include "registry/regf.h"

/*
 * Largest hive file we read.  Offsets inside a hive are 32-bit, and
 * Windows refuses to load hives above 2 GiB (the largest real ones, the
 * COMPONENTS and SOFTWARE hives of old servicing stacks, stay far below);
 * the limit also bounds what a hostile file can make us allocate.
 */
#define REG_MAX_HIVE_SIZE (2ull << 30)
/* Largest log file we read: a log never holds more than the hive. */
#define REG_MAX_LOG_SIZE REG_MAX_HIVE_SIZE
/* Deepest key nesting Windows allows (512 levels, "Registry Element Size
 * Limits"); deeper trees are corrupt, and the limit bounds recursion. */
#define REG_MAX_DEPTH 512
/* Longest key name (characters) Windows allows. */
#define REG_MAX_KEY_NAME 255
/* Longest value name (characters) Windows allows. */
#define REG_MAX_VALUE_NAME 16383

/* An error code with its detailed message, set once per error path. */
struct reg_err {
	int code;
	char msg[512];
};

/* Stores @code and the formatted message (unless one is already set);
 * returns @code. */
int reg_int_err_set(struct reg_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void reg_int_err_clear(struct reg_err *e);

/* ---- A hive image in memory (hiveimg.c) ---- */

struct hive_image {
	uint8_t *buf; /* the whole file: base block at 0 (not owned) */
	size_t len;
	uint32_t hbins_size; /* bins are [4096, 4096 + hbins_size) */
	uint32_t minor;
	uint32_t root;
	/* One bit per 8-byte unit of the bins: an allocated cell starts
	 * here.  Built by reg_int_himg_map(). */
	uint8_t *cellmap;
};

/* Validates the hive bins (headers, cell sizes tiling every bin) and
 * builds the cell map.  @im->buf/len/hbins_size/minor/root are set by
 * the caller.  Returns 0, REG_ERR_TRUNCATED or REG_ERR_CORRUPT. */
int reg_int_himg_map(struct hive_image *im, struct reg_err *e);
void reg_int_himg_free(struct hive_image *im);

/* The data of the allocated cell at @off (relative to the bins), with its
 * usable size in *@size_ret; NULL when @off is not the start of an
 * allocated cell.  The one accessor for offsets read from the hive. */
uint8_t *reg_int_himg_cell(const struct hive_image *im, uint32_t off,
			   uint32_t *size_ret);

/* Bytes in free cells of a mapped image (reg_int_himg_map()). */
uint64_t reg_int_himg_free_bytes(const struct hive_image *im);

/* Callbacks of the structural walk (any may be NULL; nonzero stops). */
struct reg_int_himg_visitor {
	int (*key)(void *ctx, uint32_t nk, unsigned depth);
	int (*value)(void *ctx, uint32_t nk, uint32_t vk);
	void *ctx;
};

struct reg_int_himg_stats {
	uint64_t nkeys, nvalues;
	uint64_t single_cell_big; /* > 16344 bytes in one cell (hivex) */
};

/*
 * Checks everything reachable from the root: every key node, subkey list
 * (li/lf/lh/ri), value list, value, data cell, big-data record, security
 * and class cell is an allocated cell of the right kind and size, subkey
 * counts match their lists, parents match, there are no cycles, and the
 * nesting is at most REG_MAX_DEPTH.  Calls @vis for each key and value.
 * Returns 0 or REG_ERR_CORRUPT.
 */
int reg_int_himg_check(struct hive_image *im,
		       const struct reg_int_himg_visitor *vis,
		       struct reg_int_himg_stats *stats, struct reg_err *e);

/* A key or value name as stored (Latin-1 when @latin1, else UTF-16LE)
 * converted to UTF-8 (caller frees).  NULL on ENOMEM. */
char *reg_int_himg_name_utf8(const uint8_t *p, size_t len, bool latin1);

/* ---- Transaction logs (txlog.c) ---- */

struct reg_int_txlog_entry {
	size_t off; /* in the log file */
	uint32_t size, flags, seq, hbins_size, npages;
};

struct txlog {
	char *path;   /* owned */
	uint8_t *buf; /* whole file, owned */
	size_t len;
	bool present;
	enum reg_log_kind kind;
	struct regf_base base; /* of its 512-byte base block copy */
	char problem[256];     /* why invalid, or where parsing stopped */
	/* New format: the valid entries in file order, up to the first
	 * invalid one. */
	struct reg_int_txlog_entry *entries;
	size_t nentries;
	uint32_t max_seq; /* highest sequence number seen in the file */
	/* Old format: the dirty vector. */
	const uint8_t *bitmap;
	uint32_t npages_bits; /* bits in the bitmap */
	uint32_t ndirty;      /* bits set = pages stored */
	size_t pages_off;     /* first dirty page */
	uint32_t applied;     /* set by recovery */
};

/* Classifies and validates a log held in @lg->buf/len (@lg->present).
 * Never fails on content (problems go to lg->kind/problem); returns 0 or
 * REG_ERR_NOMEM. */
int reg_int_txlog_parse(struct txlog *lg);
void reg_int_txlog_free(struct txlog *lg);

/* Result of a recovery. */
struct recovery {
	uint8_t *image; /* the recovered hive file (caller frees) */
	size_t len;
	bool new_format;
	uint32_t applied;  /* entries (new) or pages (old) */
	uint32_t last_seq; /* of the last applied entry (new format) */
	uint32_t seq;	   /* sequence numbers written to the result */
};

/*
 * Recovers the primary @prim (@prim_len bytes, base block decoded in
 * @base, dirty) from @logs, following the regf specification (see
 * recover.c).  The result is a clean hive image, not yet structurally
 * checked.  Returns 0, REG_ERR_NO_LOGS (nothing usable: reason in @e),
 * REG_ERR_UNSUPPORTED or REG_ERR_NOMEM.
 */
int reg_int_recover(const uint8_t *prim, size_t prim_len,
		    const struct regf_base *base, struct txlog *logs,
		    size_t nlogs, struct recovery *res, struct reg_err *e);

/* ---- Windows name comparison (upcase.c) ---- */

/* Windows' upper-case mapping of one UTF-16 code unit. */
uint16_t reg_int_upcase(uint16_t c);
/* Compares two UTF-8 names as Windows does (code unit by code unit after
 * upper-casing); <0, 0, >0.  Invalid UTF-8 compares bytewise. */
int reg_int_name_cmp(const char *a, const char *b);
/* Whether two UTF-8 names are equal ignoring case. */
bool reg_int_name_eq(const char *a, const char *b);
/* The lh hash of a UTF-8 name ("Hash leaf", Note). */
uint32_t reg_int_name_hash(const char *name);
/* A canonical upper-cased copy of a name, for hashing and equality
 * (caller frees; NULL on ENOMEM). */
char *reg_int_name_upcase(const char *s);

/* ---- The handle (hive.c) ---- */

enum journal_kind {
	J_CREATE_KEY,
	J_DELETE_KEY,
	J_SET_VALUE,
	J_DELETE_VALUE,
};

/* One edit of this session, for the read-back check before commit. */
struct journal_entry {
	enum journal_kind kind;
	char *key;  /* as given, normalised */
	char *name; /* values */
	uint32_t type;
	uint8_t *data;
	size_t len;
};

/* A key this session created, for the fix-ups of non-ASCII names. */
struct created_key {
	hive_node_h parent, node;
};

struct reg_hive {
	char *path;
	unsigned flags;
	struct reg_err err;
	struct reg_info info;
	/* The hive as reads see it (recovered when recovery applied); the
	 * memory is owned here. */
	uint8_t *image;
	size_t image_len;
	struct regf_base base;
	bool recovered;	      /* @image came from the logs */
	uint32_t max_log_seq; /* highest sequence number in any log */
	struct txlog logs[REG_MAX_LOGS];
	size_t nlogs;
	hive_h *hx;
	int hx_fd; /* the memfd (or temp file) hivex reads */
	bool writable;
	bool in_memory;		 /* reg_int_open_mem(): no file of its own */
	bool committed_recovery; /* a recovered image reached the disk */
	/* Edits of this session. */
	struct journal_entry *journal;
	size_t njournal, journal_cap;
	hive_node_h *touched; /* keys whose timestamps change */
	size_t ntouched, touched_cap;
	struct created_key *created;
	size_t ncreated, created_cap;
	/* Value edits staged per key (pending.c). */
	struct pending_key **pending;
	size_t npending, pending_cap;
	size_t *pending_index; /* hash of node -> index + 1 */
	size_t pending_slots;
	/* Rewrite compactly at the next commit whatever the free space
	 * (reg_compact()). */
	bool compact_always;
	/* Free space of the hive as opened and after the last commit. */
	uint64_t free_bytes;
	bool compacted; /* the last commit rewrote the hive compactly */
};

/* A hive and its logs in memory (the fuzz targets' way in). */
struct reg_int_mem_input {
	const uint8_t *hive;
	size_t len;
	const uint8_t *log[REG_MAX_LOGS]; /* .LOG, .LOG1, .LOG2; NULL: none */
	size_t loglen[REG_MAX_LOGS];
};

/* reg_open() on memory: the same checks, recovery and libhivex view; the
 * handle cannot be committed in place (its path is "(memory)"). */
int reg_int_open_mem(const struct reg_int_mem_input *in, unsigned flags,
		     struct reg_hive **hive_ret);

/* Sets the handle's error (once per path); returns @code (errors.c). */
int reg_int_fail(struct reg_hive *h, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An anonymous scratch file (a memfd, else an unlinked file in $TMPDIR)
 * that libhivex reaches as /proc/self/fd/N; -1 with errno on failure. */
int reg_int_scratch_fd(void);

/* (Re)opens libhivex on @image (via a memfd or an unlinked temp file). */
int reg_int_attach_hivex(struct reg_hive *h, const uint8_t *image, size_t len);
void reg_int_detach_hivex(struct reg_hive *h);

/*
 * (commit.c) Writes @img to @path atomically: a temporary file beside it, fsync,
 * re-open it (a clean hive whose whole structure checks) and, with
 * @verify_journal, read every edit of this session back; then rename over
 * @path and flush the directory.  On failure @path is untouched.
 */
int reg_int_write_checked(struct reg_hive *h, const char *path,
			  const uint8_t *img, size_t len, bool verify_journal);

/* Reads the whole host file at @path (at most @max bytes) into a new
 * buffer; *@present_ret is false (and 0 returned) when it does not
 * exist and @may_be_absent. */
int reg_int_read_file(struct reg_hive *h, const char *path, uint64_t max,
		      bool may_be_absent, uint8_t **buf_ret, size_t *len_ret,
		      bool *present_ret);

/* Maps a first component CurrentControlSet of the in-hive @key to
 * ControlSet%03u (Select\Current); other keys are copied. */
int reg_int_resolve_ccs(struct reg_hive *h, const char *key, char **key_ret);

/* ---- Write-back temporary files (tempfile.c) ---- */

/* A write-back goes through util/fileio.h's hvo_int_atomic_open/commit
 * (one implementation of writer-named temporary files, util/tmpname.h).
 * This removes the temporary files of @path's dead writers first, adding
 * their names to h->info.stale_removed.  Returns 0 or REG_ERR_NOMEM. */
int reg_int_temp_sweep(struct reg_hive *h, const char *path);

/* (path.c) The prefix a hive file stands for by default:
 * HKEY_LOCAL_MACHINE\<its file name> (caller frees; NULL on ENOMEM). */
char *reg_int_default_prefix(const char *path);

/* Splits and validates a key path into components (caller frees the
 * array and each string). */
int reg_int_key_split(struct reg_hive *h, const char *key, char ***comps_ret,
		      size_t *n_ret);

/* ---- Editing internals (edit.c) ---- */

/* Finds the node for @key; REG_ERR_NOT_FOUND when a component is
 * missing (unless @create, which adds missing keys). */
int reg_int_lookup(struct reg_hive *h, const char *key, bool create,
		   hive_node_h *node_ret);

/* ---- The session's changes (journal.c) ---- */

/* Records one edit for the read-back check. */
int reg_int_journal_add(struct reg_hive *h, enum journal_kind kind,
			const char *key, const char *name, uint32_t type,
			const void *data, size_t len);
void reg_int_journal_free(struct reg_hive *h);
/* Records a key whose timestamp changes at commit. */
int reg_int_note_touched(struct reg_hive *h, hive_node_h node);
/* Records a key this session created under @parent (both touched). */
int reg_int_note_created(struct reg_hive *h, hive_node_h parent,
			 hive_node_h node);
/* Forgets the session's changes once committed; frees them on close. */
void reg_int_session_reset(struct reg_hive *h);
void reg_int_session_free(struct reg_hive *h);

/* ---- Staged value edits (pending.c) ---- */

struct pending_key;
/* The staged values of @node, or NULL when none are staged. */
struct pending_key *reg_int_pending_find(const struct reg_hive *h,
					 hive_node_h node);
/* The staged value @name (matched as Windows does), or NULL. */
const hive_set_value *reg_int_pending_value(const struct pending_key *pk,
					    const char *name);
/* All staged values of a key, in order. */
const hive_set_value *reg_int_pending_values(const struct pending_key *pk,
					     size_t *n_ret);
/* Sets (replaces, keeping its spelling, or adds) value @name of @node. */
int reg_int_pending_set(struct reg_hive *h, hive_node_h node, const char *name,
			uint32_t type, const void *data, size_t len);
/* Deletes value @name of @node; *@found_ret says whether it existed. */
int reg_int_pending_delete(struct reg_hive *h, hive_node_h node,
			   const char *name, bool *found_ret);
/* Writes every staged key with one hivex_node_set_values() each. */
int reg_int_pending_flush(struct reg_hive *h);
/* Drops what is staged. */
void reg_int_pending_free(struct reg_hive *h);

/* ---- Compaction (compact.c) ---- */

/*
 * A hive image rebuilt from its tree, without free space: every cell
 * reachable from the root copied in depth-first order into new bins
 * (*@out_ret, caller frees).  @buf must be a clean image.  Returns 0,
 * REG_ERR_CORRUPT, REG_ERR_TOO_BIG or REG_ERR_NOMEM.
 */
int reg_int_compact_image(const uint8_t *buf, size_t len, uint8_t **out_ret,
			  size_t *out_len_ret, struct reg_err *e);

/*
 * The same with @keep > 0: the cells below the hive bin boundary at or
 * below @keep stay where they are, the others move into the free space
 * between them, and only what does not fit goes into new bins after it
 * (layout.c); unreachable cells become free.  @keep 0 is
 * reg_int_compact_image().
 */
int reg_int_relayout_image(const uint8_t *buf, size_t len, uint32_t keep,
			   uint8_t **out_ret, size_t *out_len_ret,
			   struct reg_err *e);

/* What a write-back asks of reg_int_relayout_best(). */
struct reg_relayout_choice {
	bool want_pack; /* in: pack (compact) unless that is larger */
	bool packed;	/* out: the result is the packed layout */
};

/*
 * The smaller of the rewrites of @buf, in one walk of it: the reuse
 * layout above @keep (when @keep > 0, @ch->want_pack is false and it is
 * no larger than @len) and the packed one, which wins when
 * @ch->want_pack and no larger, or a page or more smaller.  *@out_ret is
 * NULL (and 0 returned) when @buf as it is beats both.  Errors as
 * reg_int_relayout_image().
 */
int reg_int_relayout_best(const uint8_t *buf, size_t len, uint32_t keep,
			  struct reg_relayout_choice *ch, uint8_t **out_ret,
			  size_t *out_len_ret, struct reg_err *e);

/*
 * Whether the hive images @a and @b hold the same tree as libhivex reads
 * them: every key name and subkey order, every value name, type and
 * byte.  0; REG_ERR_VERIFY when @b differs or libhivex cannot read in @b
 * what it reads in @a (the first difference in @why); REG_ERR_HIVEX when
 * libhivex cannot read @a itself there, so that nothing judges @b (a
 * write-back then keeps @a); REG_ERR_IO when a scratch copy fails
 * (readback.c).
 */
int reg_int_same_tree(const uint8_t *a, size_t alen, const uint8_t *b,
		      size_t blen, char *why, size_t whylen);

/* ---- Read-back (verify.c) ---- */

/* Verifies the journal against another open handle (the written hive). */
int reg_int_journal_verify(struct reg_hive *h, struct reg_hive *written);

/* ---- Fix-ups after libhivex wrote a hive (fixup.c) ---- */

/*
 * Post-processes the hive file image libhivex committed, in memory:
 * values above 16344 bytes become big-data records (hive 1.4 and later),
 * created keys with non-ASCII names get Windows' hash and sort position,
 * touched keys and the base block get the current time, both sequence
 * numbers become @seq, the checksum is recomputed.  *@buf may be
 * reallocated.  Returns 0, REG_ERR_CORRUPT or REG_ERR_NOMEM.
 */
int reg_int_fixup_image(struct reg_hive *h, uint8_t **buf, size_t *len,
			uint32_t seq, struct reg_err *e);

/* FILETIME of now. */
uint64_t reg_int_filetime_now(void);

/* ---- .reg files (regfile_text.c) ---- */

/* Windows-1252 byte -> Unicode code point. */
uint32_t reg_int_cp1252(uint8_t b);
/* A .reg file's bytes (UTF-16LE with or without BOM, UTF-8 with or
 * without BOM, else Windows-1252) -> NUL-terminated UTF-8 (caller frees).
 * Returns 0, REG_ERR_UNSUPPORTED (UTF-16BE) or REG_ERR_NOMEM. */
int reg_int_regfile_decode(const uint8_t *buf, size_t len, char **text_ret,
			   size_t *len_ret);

#endif /* HVO_REGISTRY_INTERNAL_H */

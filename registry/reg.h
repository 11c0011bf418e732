/*
 * reg.h - offline Windows registry hives: check, recover, edit, write back.
 *
 * A hive is a host file (a guest's SYSTEM or SOFTWARE copied out of the
 * image, with its .LOG/.LOG1/.LOG2 transaction logs beside it).  This
 * library
 *
 *   - validates the base block and every cell reachable from the root, and
 *     tells a clean hive from a dirty one (its last write did not finish:
 *     on Windows 8.1 and later recent changes may live only in the logs);
 *   - recovers a dirty hive from its logs, both formats (old: DIRT dirty
 *     vector; new: HvLE entries with Marvin32 hashes), following the regf
 *     specification and validated against hives Windows recovered itself;
 *   - reads and edits keys and values through libhivex, with Windows'
 *     case-insensitive name matching, and big values stored the way
 *     Windows reads them; a key's value edits are staged and written in
 *     one call, and a hive left mostly free is rewritten compactly;
 *   - writes back crash-safely: temp file beside the original, fsync,
 *     re-open and read every edit back, rename over the original;
 *   - imports and exports .reg files (reg_import/reg_export).
 *
 * Key paths are relative to the hive root, components separated by '\'
 * ("Microsoft\Windows NT\CurrentVersion"; "" is the root).  Names are
 * UTF-8.  Value data is raw bytes as stored (REG_SZ is UTF-16LE with its
 * terminator); helpers encode and decode the common types.
 *
 * Every function returning int returns 0 (REG_OK) or an enum reg_error;
 * the detailed message is kept on the handle (reg_errmsg()).
 */
#ifndef HVOFFLINE_REG_H
#define HVOFFLINE_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <hvoffline.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors ---- */

/* Fixed values: scripts and later modules may rely on them. */
enum reg_error {
	REG_OK = 0,
	REG_ERR_NOMEM = 1,	 /* out of memory */
	REG_ERR_IO = 2,		 /* reading or writing a host file failed */
	REG_ERR_NOT_HIVE = 3,	 /* not a registry hive (primary file) */
	REG_ERR_CORRUPT = 4,	 /* the hive's structure is invalid */
	REG_ERR_TRUNCATED = 5,	 /* the file is shorter than the hive */
	REG_ERR_UNSUPPORTED = 6, /* a hive version or form we do not handle */
	REG_ERR_DIRTY = 7,	 /* dirty: refused for writing, recover first */
	REG_ERR_NO_LOGS = 8,	 /* dirty, and no usable transaction log */
	REG_ERR_NOT_DIRTY = 9,	 /* recovery asked of a clean hive */
	REG_ERR_NOT_FOUND = 10,	 /* key or value does not exist */
	REG_ERR_INVALID = 11,	 /* bad argument (name, path, data, type) */
	REG_ERR_READ_ONLY = 12,	 /* edit on a handle not opened for writing */
	REG_ERR_VERIFY = 13,	 /* written hive did not read back as edited */
	REG_ERR_SYNTAX = 14,	 /* .reg file syntax error */
	REG_ERR_HIVEX = 15,	 /* libhivex failed */
	REG_ERR_TOO_BIG = 16,	 /* value or hive above our limits */
};

/* Short description of an error code ("hive is dirty").  Static. */
HVO_API const char *reg_strerror(int err);

/* Exit class of an error (SERVICING.md section 4): corrupt input -> 5,
 * dirty without usable logs -> 4, bad argument -> 2, others -> 1. */
HVO_API enum hvo_exit reg_exit_class(int err);

/* ---- Opening a hive ---- */

enum reg_state {
	REG_STATE_CLEAN = 0, /* sequence numbers equal, checksum ok */
	REG_STATE_DIRTY_RECOVERABLE = 1, /* dirty; its logs recover it */
	REG_STATE_DIRTY_NO_LOGS = 2,	 /* dirty; no usable log */
	REG_STATE_CORRUPT = 3,		 /* not usable at all */
};

/* "clean", "dirty-recoverable", "dirty-no-logs", "corrupt".  Static. */
HVO_API const char *reg_state_name(enum reg_state s);

enum reg_log_kind {
	REG_LOG_ABSENT = 0,  /* no such file */
	REG_LOG_EMPTY = 1,   /* zero bytes (normal for an unused log) */
	REG_LOG_INVALID = 2, /* present but unusable (see .problem) */
	REG_LOG_OLD = 3,     /* old format: base block + DIRT vector */
	REG_LOG_NEW = 4,     /* new format: base block + HvLE entries */
};

/* "absent", "empty", "invalid", "old", "new".  Static. */
HVO_API const char *reg_log_kind_name(enum reg_log_kind k);

/* One transaction log file as examined. */
struct reg_log_info {
	char *path; /* owned by the handle */
	enum reg_log_kind kind;
	uint32_t seq;	    /* primary sequence number of its base block */
	uint32_t entries;   /* new: valid entries; old: dirty pages */
	uint32_t first_seq; /* new: sequence numbers of the valid */
	uint32_t last_seq;  /*      entries (0 when none) */
	uint32_t applied;   /* entries/pages recovery applies from it */
	char *problem;	    /* why invalid or unused, or NULL (owned) */
};

#define REG_MAX_LOGS 3 /* .LOG, .LOG1, .LOG2 */

/* What reg_open() found.  Owned by the handle. */
struct reg_info {
	enum reg_state state;
	char *problem; /* why dirty, refused or corrupt; or NULL */
	uint64_t file_size;
	uint32_t seq1, seq2;   /* primary / secondary sequence numbers */
	uint32_t major, minor; /* hive format version, 1.3 .. 1.6 */
	uint32_t hbins_size;   /* size of the hive bins data */
	uint64_t last_written; /* FILETIME from the base block */
	bool checksum_ok;
	char *root_name; /* UTF-8, or NULL when not reached */
	uint64_t nkeys;	 /* keys and values reached by the check */
	uint64_t nvalues;
	size_t nlogs; /* logs examined, in .LOG, .LOG1, .LOG2 order */
	struct reg_log_info logs[REG_MAX_LOGS];
	/* Recovery (state DIRTY_RECOVERABLE): */
	bool recovery_new_format;   /* HvLE entries, else a DIRT vector */
	uint32_t recovery_applied;  /* log entries (new) or pages (old) */
	uint32_t recovery_last_seq; /* sequence number of the last entry */
	uint32_t recovered_seq;	    /* sequence numbers of the result */
	/* Bytes in free cells of the hive bins (as read: recovered when
	 * recovery applies); compare with hbins_size. */
	uint64_t free_bytes;
	/* Temporary files of killed writers (".<name>.hvo-<pid>-XXXXXX",
	 * their writer gone) that opening for writing or committing
	 * removed. */
	char **stale_removed;
	size_t nstale_removed;
};

/* reg_open() flags. */
#define REG_OPEN_WRITE	 0x1u /* edits and reg_commit() allowed */
#define REG_OPEN_RECOVER 0x2u /* with WRITE: recover a dirty hive first */
#define REG_OPEN_NO_LOGS 0x4u /* do not look for logs beside the hive */
/* The file is a working copy that nothing needs after a crash (a scratch
 * directory): reg_commit() still writes a temporary file and renames it
 * over the hive, but does not flush either to disk. */
#define REG_OPEN_SCRATCH 0x8u

struct reg_open_opts {
	unsigned flags;
	/*
	 * Transaction logs.  A NULL entry is looked for beside the hive:
	 * <name>.LOG, <name>.LOG1, <name>.LOG2, matched case-insensitively
	 * as NTFS does (unless REG_OPEN_NO_LOGS).
	 */
	const char *log, *log1, *log2;
};

struct reg_hive;

/*
 * Opens the hive at @path (@opts may be NULL: read-only, logs found beside
 * it).  The hive and its logs are read and checked completely first:
 *
 *   - clean: opened as it is;
 *   - dirty with usable logs: reads see the hive as recovered from its
 *     logs (in memory; nothing is written).  Opening for writing needs
 *     REG_OPEN_RECOVER, else REG_ERR_DIRTY;
 *   - dirty without usable logs: reads see the primary file as it is
 *     (possibly stale); writing is refused with REG_ERR_NO_LOGS;
 *   - corrupt: REG_ERR_CORRUPT, REG_ERR_TRUNCATED, REG_ERR_NOT_HIVE...
 *
 * *@hive_ret is set even when an error is returned (for reg_get_info()
 * and reg_errmsg()), except on REG_ERR_NOMEM where it may be NULL.
 * The caller closes it with reg_close().
 */
HVO_API int reg_open(const char *path, const struct reg_open_opts *opts,
		     struct reg_hive **hive_ret);

/* Closes the handle, dropping uncommitted edits.  Accepts NULL. */
HVO_API void reg_close(struct reg_hive *h);

/* What the open found (owned by the handle, valid until reg_close). */
HVO_API const struct reg_info *reg_get_info(const struct reg_hive *h);

/* The path the hive was opened from (owned by the handle). */
HVO_API const char *reg_path(const struct reg_hive *h);

/* The last error's code and detailed message ("" when none); the message
 * is owned by the handle and valid until the next call on it. */
HVO_API int reg_errno(const struct reg_hive *h);
HVO_API const char *reg_errmsg(const struct reg_hive *h);

/* ---- Recovery and the logs ---- */

/*
 * Writes the hive as recovered from its logs to @out_path, atomically
 * (temp file beside it, fsync, check, rename).  Needs state
 * DIRTY_RECOVERABLE (else REG_ERR_NOT_DIRTY or REG_ERR_NO_LOGS).  When
 * @out_path is the hive's own path the primary is replaced; then call
 * reg_reset_logs() (see reg_logs_after_commit()).
 */
HVO_API int reg_write_recovered(struct reg_hive *h, const char *out_path);

enum reg_logs_action {
	/* The committed hive is clean and its sequence numbers exceed every
	 * entry of its logs: Windows ignores the logs of a clean hive and
	 * could never chain a stale entry.  Leave them. */
	REG_LOGS_KEEP = 0,
	/* The logs were replayed into the hive now in place of the primary:
	 * empty them (zero bytes, as Windows' own install images ship them)
	 * after the new primary is in place, never before. */
	REG_LOGS_RESET = 1,
};

/* What to do with this hive's logs once its primary file has been
 * replaced by reg_commit() or an in-place reg_write_recovered(). */
HVO_API enum reg_logs_action reg_logs_after_commit(const struct reg_hive *h);

/* Truncates every log file the handle examined (and found non-empty) to
 * zero bytes and flushes it.  For host files; call only after the new
 * primary is in place. */
HVO_API int reg_reset_logs(struct reg_hive *h);

/* ---- Values ---- */

/* Value types (winnt.h REG_*). */
enum reg_type {
	REG_TYPE_NONE = 0,
	REG_TYPE_SZ = 1,
	REG_TYPE_EXPAND_SZ = 2,
	REG_TYPE_BINARY = 3,
	REG_TYPE_DWORD = 4,
	REG_TYPE_DWORD_BE = 5,
	REG_TYPE_LINK = 6,
	REG_TYPE_MULTI_SZ = 7,
	REG_TYPE_RESOURCE_LIST = 8,
	REG_TYPE_FULL_RESOURCE_DESCRIPTOR = 9,
	REG_TYPE_RESOURCE_REQUIREMENTS_LIST = 10,
	REG_TYPE_QWORD = 11,
};

/* "REG_SZ", ...; NULL for a type number without a name.  Static. */
HVO_API const char *reg_type_name(uint32_t type);

/* Parses "REG_SZ", "sz", "expand_sz", "dword", "0x4", "4"... into
 * *@type_ret (case-insensitive).  Returns 0 or REG_ERR_INVALID. */
HVO_API int reg_type_parse(const char *s, uint32_t *type_ret);

/* Largest value data we write: libhivex's single-allocation limit. */
#define REG_MAX_VALUE_SIZE (1000u * 1000u - 64u)

struct reg_value {
	char *name; /* UTF-8; "" for the default value */
	uint32_t type;
	size_t len;
	uint8_t *data; /* raw bytes as stored (NUL appended, not counted) */
};

/* Frees one value returned by reg_get_value().  Accepts NULL. */
HVO_API void reg_value_free(struct reg_value *v);
/* Frees an array returned by reg_list_values().  Accepts NULL. */
HVO_API void reg_values_free(struct reg_value *v, size_t n);
/* Frees an array returned by reg_list_subkeys().  Accepts NULL. */
HVO_API void reg_names_free(char **names, size_t n);

/* REG_SZ / EXPAND_SZ / LINK data -> UTF-8 up to the first NUL (caller
 * frees).  REG_ERR_INVALID for other types. */
HVO_API int reg_value_string(const struct reg_value *v, char **s_ret);
/* REG_MULTI_SZ -> array of UTF-8 strings (free with reg_names_free);
 * the terminating empty string is not included. */
HVO_API int reg_value_multi(const struct reg_value *v, char ***strs_ret,
			    size_t *n_ret);
/* REG_DWORD (or DWORD_BE) of exactly 4 bytes; REG_QWORD of 8. */
HVO_API int reg_value_dword(const struct reg_value *v, uint32_t *ret);
HVO_API int reg_value_qword(const struct reg_value *v, uint64_t *ret);

/* Whether the decoders above represent @v exactly: encoding what they
 * return gives back the same bytes (a well-formed string with its
 * terminator, a multi-string list with its final empty string, a DWORD
 * of 4 bytes, a QWORD of 8).  Exporters write other data as bytes. */
HVO_API bool reg_value_is_exact(const struct reg_value *v);

/* UTF-8 -> UTF-16LE with its NUL terminator (caller frees). */
HVO_API int reg_encode_string(const char *utf8, uint8_t **data_ret,
			      size_t *len_ret);
/* UTF-8 strings -> REG_MULTI_SZ data (each NUL-terminated, then an
 * empty string).  Empty strings inside the list are refused (Windows
 * would read the list as ending there). */
HVO_API int reg_encode_multi(const char *const *strs, size_t n,
			     uint8_t **data_ret, size_t *len_ret);

/*
 * Value data spelt as words, the way `hvoffline reg set` takes it, for a
 * value of @type: REG_SZ, REG_EXPAND_SZ and REG_LINK one UTF-8 word;
 * REG_MULTI_SZ one word per string; REG_DWORD, REG_DWORD_BE and
 * REG_QWORD one decimal or 0x-hex number; any other type hex bytes in
 * any number of words ("01,02,ff" or "0102ff").  *@data_ret (caller
 * frees) and *@len_ret receive the bytes as stored.  Returns 0,
 * REG_ERR_NOMEM, or REG_ERR_INVALID with a static reason in *@why_ret
 * (if not NULL).
 */
HVO_API int reg_value_parse(uint32_t type, const char *const *words, size_t n,
			    uint8_t **data_ret, size_t *len_ret,
			    const char **why_ret);

/* ---- Reading ---- */

/* Whether @key exists. */
HVO_API int reg_key_exists(struct reg_hive *h, const char *key,
			   bool *exists_ret);

/* The value @name ("" or NULL: the default value) of @key (caller frees
 * with reg_value_free).  REG_ERR_NOT_FOUND when key or value is absent. */
HVO_API int reg_get_value(struct reg_hive *h, const char *key, const char *name,
			  struct reg_value **value_ret);

/* All values of @key, in stored order (caller frees, reg_values_free). */
HVO_API int reg_list_values(struct reg_hive *h, const char *key,
			    struct reg_value **values_ret, size_t *n_ret);

/* Names of @key's subkeys, in stored (Windows-sorted) order (caller
 * frees with reg_names_free). */
HVO_API int reg_list_subkeys(struct reg_hive *h, const char *key,
			     char ***names_ret, size_t *n_ret);

/* ---- Editing (REG_OPEN_WRITE; in memory until reg_commit) ---- */

/* Creates @key and any missing parents; an existing key is fine. */
HVO_API int reg_create_key(struct reg_hive *h, const char *key);
/* Deletes @key with all its subkeys and values.  Not the root. */
HVO_API int reg_delete_key(struct reg_hive *h, const char *key);
/* Sets value @name ("" or NULL: default) of @key, creating the key and its
 * parents when missing.  An existing value is matched case-insensitively
 * and keeps its spelling, as Windows does. */
HVO_API int reg_set_value(struct reg_hive *h, const char *key, const char *name,
			  uint32_t type, const void *data, size_t len);
HVO_API int reg_set_string(struct reg_hive *h, const char *key,
			   const char *name, uint32_t type, const char *utf8);
HVO_API int reg_set_multi(struct reg_hive *h, const char *key, const char *name,
			  const char *const *strs, size_t n);
HVO_API int reg_set_dword(struct reg_hive *h, const char *key, const char *name,
			  uint32_t v);
HVO_API int reg_set_qword(struct reg_hive *h, const char *key, const char *name,
			  uint64_t v);
/* Deletes value @name of @key.  REG_ERR_NOT_FOUND when absent. */
HVO_API int reg_delete_value(struct reg_hive *h, const char *key,
			     const char *name);

/* ---- Batches ---- */

enum reg_op_kind {
	REG_OP_CREATE_KEY = 0,
	REG_OP_DELETE_KEY = 1, /* absent key: not an error */
	REG_OP_SET_VALUE = 2,
	REG_OP_DELETE_VALUE = 3, /* absent value or key: not an error */
};

struct reg_op {
	enum reg_op_kind kind;
	const char *key;
	const char *name; /* values only; "" or NULL: default value */
	uint32_t type;	  /* SET_VALUE */
	const void *data; /* SET_VALUE */
	size_t len;
};

/*
 * Applies @ops in order to the in-memory hive.  Stops at the first
 * failure and stores its index in *@failed_ret (if not NULL).  Nothing
 * reaches the file before reg_commit(), so a failed batch is dropped by
 * closing the handle: one open, one batch, one commit.
 */
HVO_API int reg_apply(struct reg_hive *h, const struct reg_op *ops, size_t n,
		      size_t *failed_ret);

/* ---- Write-back ---- */

/*
 * Writes the edited hive over the file it was opened from, crash-safely:
 * the whole hive goes to a temporary file in the same directory (big
 * values converted to big-data records, non-ASCII key names hashed and
 * sorted as Windows expects, touched keys time-stamped, both sequence
 * numbers set above every log entry, checksum), which is flushed,
 * re-opened and checked (structure, and every edit of this session read
 * back), then renamed over the original and the directory flushed.  Any
 * failure before the rename leaves the original untouched.
 */
HVO_API int reg_commit(struct reg_hive *h);

/* Same, to another file (which is created or replaced). */
HVO_API int reg_commit_to(struct reg_hive *h, const char *path);

/*
 * Free space.  libhivex never reuses a freed cell: it appends every value
 * list, value and data it rewrites.  Every write-back therefore lays the
 * image out again before it is written (registry/layout.c): the cells of
 * the hive as it was opened stay where they are and what libhivex
 * appended moves into the free cells between them, so a write-back grows
 * the hive by about what it adds.  When the write-back would leave more
 * than REG_COMPACT_FREE_PERCENT of the hive bins free, or when a fresh
 * layout is at least a 4 KiB page smaller, reg_commit() rewrites the hive
 * compactly instead: a new hive built from its tree (every reachable cell
 * copied in depth-first order and packed into 16 KiB bins, as Windows
 * reorganises a hive).  Either must read back as the old one (every key
 * name, subkey order, value name, type and byte, both read through
 * libhivex) before it is written and checked like every write-back.
 */
#define REG_COMPACT_FREE_PERCENT 25
/* ... and more than this many bytes: a hive of a few bins is left as it
 * is (its last bin is mostly free by nature). */
#define REG_COMPACT_MIN_FREE (256u * 1024u)

/* reg_commit() with the compact rewrite whatever the free space (REG_OPEN_WRITE;
 * no edits needed). */
HVO_API int reg_compact(struct reg_hive *h);

/* Whether the last commit rewrote the hive compactly. */
HVO_API bool reg_was_compacted(const struct reg_hive *h);

/* ---- Registry paths ---- */

/*
 * Splits a full machine path ("HKLM\SOFTWARE\Microsoft",
 * "HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services",
 * "\Registry\Machine\SYSTEM\...") into the hive name (upper-case:
 * "SOFTWARE", "SYSTEM", "SAM", "SECURITY", "BCD00000000"...) and the path
 * inside that hive (both caller-freed).  A path without such a prefix
 * gives *@hive_ret = NULL and the path itself, normalised (no leading or
 * trailing '\').  REG_ERR_INVALID for empty components or invalid UTF-8.
 */
HVO_API int reg_path_split(const char *path, char **hive_ret, char **key_ret);

/* Current control set of a SYSTEM hive (Select\Current), e.g. 1. */
HVO_API int reg_current_control_set(struct reg_hive *h, unsigned *n_ret);

/*
 * Resolves a path for this hive (caller frees *@key_ret): strips a
 * machine prefix (HKLM\<hive>\...) and maps a first component
 * CurrentControlSet to ControlSet%03u from Select\Current.
 */
HVO_API int reg_resolve_path(struct reg_hive *h, const char *path,
			     char **key_ret);

/* ---- .reg files ---- */

/*
 * Applies a .reg file to the hive as one batch (in memory until
 * reg_commit()), as `regedit /s` or `virt-win-reg --merge` would: REGEDIT4
 * or "Windows Registry Editor Version 5.00", UTF-16LE with BOM or UTF-8
 * (REGEDIT4 files may be ANSI: Windows-1252); [key], [-key], "name"=...,
 * @=..., "string", dword:, hex:, hex(N):, "name"=- deletions, ';'
 * comments, '\' line continuations.
 *
 * @prefix is the key the hive's root stands for
 * ("HKEY_LOCAL_MACHINE\SOFTWARE"; HKLM\ is accepted); a key outside it is
 * an error.  NULL means HKEY_LOCAL_MACHINE\<file name in upper case> for
 * a file named as a machine hive (SYSTEM, SOFTWARE, SAM, ...); for any
 * other name, the hive the file's first HKLM\<hive> key names (all its
 * keys must then name that hive).
 * CurrentControlSet maps to the current control set.  The whole file is
 * parsed before anything is applied: a syntax error (REG_ERR_SYNTAX,
 * naming the line) changes nothing.  *@nops_ret (if not NULL) receives
 * the number of operations applied.
 */
HVO_API int reg_import(struct reg_hive *h, const char *reg_file,
		       const char *prefix, size_t *nops_ret);
/* Same, from memory; @what names the input in messages. */
HVO_API int reg_import_buffer(struct reg_hive *h, const uint8_t *buf,
			      size_t len, const char *what, const char *prefix,
			      size_t *nops_ret);

/* reg_export() flags. */
#define REG_EXPORT_UTF8 \
	0x1u /* UTF-8 and LF (hivexregedit --merge reads
				it); default: UTF-16LE with BOM and CRLF,
				as regedit writes */

/*
 * Writes @key ("" or NULL: the whole hive) and everything below it as a
 * "Windows Registry Editor Version 5.00" file to @out, keys named
 * @prefix\path (NULL: as for reg_import).  Strings that survive a round
 * trip are written as "text", DWORDs as dword:, everything else as hex.
 * A name containing a line break cannot be written: REG_ERR_UNSUPPORTED.
 */
HVO_API int reg_export(struct reg_hive *h, const char *key, const char *prefix,
		       unsigned flags, FILE *out);

/* Same, to the file @path, replaced atomically (temporary file beside it,
 * flushed, renamed): a reader sees the old file or the whole export. */
HVO_API int reg_export_file(struct reg_hive *h, const char *key,
			    const char *prefix, unsigned flags,
			    const char *path);

#ifdef __cplusplus
}
#endif

#endif /* HVOFFLINE_REG_H */

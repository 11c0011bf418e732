/*
 * cab.h - Microsoft cabinet (.cab) reader and writer.
 *
 * The reader opens one cabinet, or a whole cabinet set from any of its
 * parts (it follows the previous/next cabinet names in the same
 * directory), lists its entries and decodes them: stored, MSZIP (zlib),
 * LZX (windows 2^15-2^21) and Quantum.  Memory use is bounded by the
 * decoder window (at most 2 MiB for LZX:21) and one CFDATA block; nothing
 * is ever buffered per folder or per file unless the caller asks for a
 * buffer with a size cap.
 *
 * Safe extraction (cab_extract) refuses unsafe member names, never
 * creates or follows symlinks, stays inside the target directory, caps
 * the total output and the number of files, checks free space first, and
 * writes every file under a temporary name that is renamed only once the
 * file is complete and verified.
 *
 * The writer makes one cabinet, stored or MSZIP, with valid checksums.
 *
 * Conventions: functions return 0 (CAB_OK) or a positive enum cab_error;
 * the detailed message of the last error is kept on the handle
 * (cab_errmsg); free functions accept NULL; output parameters end in
 * _ret.  The library never prints.
 */
#ifndef HVOFFLINE_CAB_H
#define HVOFFLINE_CAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hvoffline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes.  The values are fixed (they may be logged or stored). */
enum cab_error {
	CAB_OK = 0,
	CAB_ERR_NOMEM = 1,	    /* out of memory */
	CAB_ERR_IO = 2,		    /* host read/write error (errno kept) */
	CAB_ERR_NOT_CAB = 3,	    /* no "MSCF" cabinet header */
	CAB_ERR_CORRUPT = 4,	    /* malformed header, folder or file */
	CAB_ERR_CHECKSUM = 5,	    /* CFDATA checksum mismatch */
	CAB_ERR_DATA = 6,	    /* compressed data cannot be decoded */
	CAB_ERR_UNSUPPORTED = 7,    /* unknown compression method */
	CAB_ERR_SET_INCOMPLETE = 8, /* a part of the cabinet set is missing */
	CAB_ERR_LIMIT = 9,	    /* a size or file-count cap was reached */
	CAB_ERR_UNSAFE_NAME = 10,   /* member name unsafe to extract */
	CAB_ERR_NOSPACE = 11,	    /* not enough free space on the target */
	CAB_ERR_EXISTS = 12,	    /* target file exists (no overwrite) */
	CAB_ERR_ABORTED = 13,	    /* a callback asked to stop */
	CAB_ERR_NOT_FOUND = 14,	    /* no entry of that name */
	CAB_ERR_INVALID = 15,	    /* invalid argument or handle state */
	CAB_ERR_TOO_LARGE = 16,	    /* too large for the caller's buffer cap */
	CAB_ERR_MAX = CAB_ERR_TOO_LARGE,
};

/* A short static description of @err ("CFDATA checksum mismatch"). */
HVO_API const char *cab_strerror(int err);

/*
 * The exit class of an error (SERVICING.md section 4): corrupt input
 * (NOT_CAB, CORRUPT, CHECKSUM, DATA, UNSUPPORTED) -> HVO_EXIT_CORRUPT;
 * refusals (LIMIT, UNSAFE_NAME, EXISTS, NOSPACE) -> HVO_EXIT_REFUSED;
 * INVALID -> HVO_EXIT_USAGE; everything else -> HVO_EXIT_FAILED.
 */
HVO_API enum hvo_exit cab_exit_class(int err);

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

struct cab; /* an open cabinet or cabinet set (opaque) */

/* cab_open flags. */
enum {
	/* Accept CFDATA blocks whose checksum does not match (the data is
	 * still decoded; a decoder error still fails). */
	CAB_OPEN_IGNORE_CHECKSUMS = 1u << 0,
	/* Open only the named file, even if its header names a previous or
	 * next cabinet; continued folders then fail as CAB_ERR_SET_INCOMPLETE. */
	CAB_OPEN_NO_SET = 1u << 1,
	/* If the file does not start with a cabinet, look for the first one
	 * inside it (self-extracting archives, cabinets appended to other
	 * data), as cabextract does. */
	CAB_OPEN_SEARCH = 1u << 2,
};

/*
 * Opens the cabinet at @path and, unless CAB_OPEN_NO_SET, every other
 * cabinet of its set that its header chain names (looked up in the same
 * directory, first by exact name, then ignoring ASCII case).  Returns 0 or
 * an error.  *@cab_ret is set in both cases except CAB_ERR_NOMEM: on error
 * it is a failed handle whose only uses are cab_errmsg() and cab_close().
 * The caller closes it.
 */
HVO_API int cab_open(const char *path, unsigned flags, struct cab **cab_ret);

/*
 * Opens a single cabinet held in memory (@data, @len bytes; not copied:
 * it must stay valid until cab_close).  No set is followed.  Same return
 * convention as cab_open.
 */
HVO_API int cab_open_mem(const void *data, size_t len, unsigned flags,
			 struct cab **cab_ret);

/* Closes a handle; NULL is accepted. */
HVO_API void cab_close(struct cab *cab);

/*
 * The detailed message of the last error on @cab, e.g. "Split-2.cab:
 * folder 0: CFDATA block 7: checksum mismatch (stored 0x1234abcd,
 * computed 0x0badf00d)".  Owned by the handle; valid until the next call
 * that fails or cab_close.  Never NULL ("" before any error).
 */
HVO_API const char *cab_errmsg(const struct cab *cab);

/* Attribute bits of a member (CFFILE attribs). */
enum {
	CAB_ATTR_READONLY = 0x01,
	CAB_ATTR_HIDDEN = 0x02,
	CAB_ATTR_SYSTEM = 0x04,
	CAB_ATTR_ARCHIVE = 0x20,
	CAB_ATTR_EXEC = 0x40,
	CAB_ATTR_UTF_NAME = 0x80, /* name is UTF-8, not a code page */
};

/* Compression methods (CFFOLDER typeCompress & 0xF). */
enum cab_method {
	CAB_METHOD_NONE = 0,
	CAB_METHOD_MSZIP = 1,
	CAB_METHOD_QUANTUM = 2,
	CAB_METHOD_LZX = 3,
};

/* One member file, as listed.  Owned by the handle. */
struct cab_entry {
	/* The name as UTF-8 with '\' kept as stored.  Names with the UTF-8
	 * flag are taken as they are, invalid sequences replaced by U+FFFD;
	 * 8-bit names without the flag are decoded as ISO-8859-1 (the
	 * meaning the format gives them), so every byte is shown and the
	 * listing is always valid UTF-8. */
	const char *name;
	const uint8_t *raw_name; /* the stored bytes, NUL-terminated */
	size_t raw_name_len;
	uint32_t size;	   /* cbFile */
	uint32_t offset;   /* uoffFolderStart: offset in the folder */
	uint16_t attribs;  /* CAB_ATTR_* */
	uint16_t dos_date; /* as stored */
	uint16_t dos_time; /* as stored */
	unsigned folder;   /* index into the set's (merged) folders */
	unsigned cabinet;  /* which cabinet of the set lists it */
	/* Broken-down date: year 1980-2107, month 1-12, day 1-31 (as
	 * stored: not checked for validity), hour, minute, second. */
	int year, month, day, hour, minute, second;
};

/* One folder (a compressed stream), merged across the set. */
struct cab_folder_info {
	enum cab_method method;
	unsigned window_bits; /* LZX/Quantum window 2^bits; 0 otherwise */
	unsigned level;	      /* Quantum level; 0 otherwise */
	uint16_t type_compress;
	uint32_t blocks; /* CFDATA blocks (split blocks count once) */
	unsigned first_cabinet, last_cabinet;
};

/* One cabinet of the set, in set order. */
struct cab_cabinet_info {
	const char *path;   /* host path (NULL for cab_open_mem) */
	uint32_t size;	    /* cbCabinet */
	uint64_t file_size; /* bytes in the file (more: trailing data) */
	uint16_t set_id;
	uint16_t index; /* iCabinet */
	uint16_t flags; /* header flags: 1 prev, 2 next, 4 reserve */
	uint16_t header_reserve;
	uint8_t folder_reserve, data_reserve;
	const char *prev_name, *next_name; /* NULL when absent */
};

HVO_API size_t cab_entry_count(const struct cab *cab);
/* Entry @i (0 <= i < cab_entry_count), or NULL. */
HVO_API const struct cab_entry *cab_entry_get(const struct cab *cab, size_t i);

HVO_API size_t cab_folder_count(const struct cab *cab);
HVO_API const struct cab_folder_info *cab_folder_get(const struct cab *cab,
						     size_t i);

HVO_API size_t cab_cabinet_count(const struct cab *cab);
HVO_API const struct cab_cabinet_info *cab_cabinet_get(const struct cab *cab,
						       size_t i);

/* Short name of a method ("MSZIP", "LZX:21", "Quantum:2:18"); static or
 * owned by the handle. */
HVO_API const char *cab_folder_method_name(const struct cab *cab,
					   size_t folder);

/*
 * Finds an entry by name: '\' and '/' are equivalent and ASCII case is
 * ignored (as Windows does).  The first match in listing order wins.
 * Returns 0 and the index in *@index_ret, or CAB_ERR_NOT_FOUND.
 */
HVO_API int cab_find(const struct cab *cab, const char *name,
		     size_t *index_ret);

/*
 * Receives decoded member data in order.  Returns 0 to go on, non-zero to
 * stop (the read then fails with CAB_ERR_ABORTED).
 */
typedef int (*cab_write_fn)(void *ctx, const void *buf, size_t len);

/*
 * Decodes entry @index and passes its bytes to @write in pieces of at
 * most 32 KiB.  The bytes are verified as they come (CFDATA checksums,
 * decoder consistency); on error part of the entry may already have been
 * passed, so a caller writing a file must discard it (cab_extract does).
 * Returns 0 or an error.
 */
HVO_API int cab_read_entry(struct cab *cab, size_t index, cab_write_fn write,
			   void *ctx);

/*
 * Decodes entry @index into a new buffer of cbFile bytes plus one NUL
 * byte, not counted (caller frees *@buf_ret).  Fails with
 * CAB_ERR_TOO_LARGE, before decoding anything, if the entry is larger
 * than @max bytes.
 */
HVO_API int cab_read_entry_alloc(struct cab *cab, size_t index, size_t max,
				 uint8_t **buf_ret, size_t *len_ret);

/*
 * Reading many entries in one pass.  cab_read_entries() visits the
 * selected entries in folder order, decoding each folder once (an entry
 * that overlaps the previous one restarts its folder).
 */
struct cab_visitor {
	/* Called before an entry's data; return 0 to read it, 1 to skip it,
	 * anything else to stop (CAB_ERR_ABORTED).  May be NULL (read all). */
	int (*begin)(void *ctx, size_t index, const struct cab_entry *e);
	/* Receives the entry's data, as cab_write_fn. */
	int (*write)(void *ctx, const void *buf, size_t len);
	/* Called after an entry with its result (0 or an error; the
	 * message is in cab_errmsg).  Return 0 to go on with the next entry
	 * (after an error in a folder, the rest of that folder fails too
	 * unless a restart can reach it), non-zero to stop.  May be NULL: the
	 * first error then stops the pass. */
	int (*end)(void *ctx, size_t index, int err);
};

/*
 * Visits the entries whose indices are in @indices (@n of them), or every
 * entry when @indices is NULL.  Returns 0 if every visited entry was read
 * without error, otherwise the first error.
 */
HVO_API int cab_read_entries(struct cab *cab, const size_t *indices, size_t n,
			     const struct cab_visitor *visitor, void *ctx);

/* ------------------------------------------------------------------ */
/* Safe extraction                                                     */
/* ------------------------------------------------------------------ */

/* Defaults of the extraction caps (cab_extract_opts with 0 fields).  The
 * integration-services packages expand to about 3 MiB in 73 files; a
 * Windows cumulative update to a few GiB in some ten thousand.  Each
 * cabinet of a set lists at most 65535 files. */
#define CAB_DEFAULT_MAX_TOTAL (4ULL << 30) /* 4 GiB of output */
#define CAB_DEFAULT_MAX_FILES 100000ULL

/*
 * Checks a member name for extraction and converts it to a relative path
 * with '/' separators (caller frees *@path_ret).  Refused, as
 * CAB_ERR_UNSAFE_NAME: empty names or components, absolute paths ('\' or
 * '/' first), drive letters and other ':' (NTFS streams), '.' and '..'
 * components, control characters, invalid UTF-8, Windows device names
 * (CON, NUL, COM1, ... with or without extension), and components ending
 * in '.' or ' '.  @entry is used for the flag and the raw name.
 */
HVO_API int cab_safe_path(const struct cab_entry *entry, char **path_ret,
			  const char **why_ret);

struct cab_extract_opts {
	uint64_t max_total; /* cap on the sum of sizes; 0 = default */
	uint64_t max_files; /* cap on the number of files; 0 = default */
	bool overwrite;	    /* replace existing files (never symlinks) */
	bool no_space_check;
	bool keep_mtime_now; /* don't set mtimes from the cabinet dates */
	/* Only the entries whose index is listed (NULL: all). */
	const size_t *indices;
	size_t nindices;
	/* Progress: called once per file written; non-zero stops
	 * (CAB_ERR_ABORTED).  May be NULL. */
	int (*progress)(void *ctx, size_t index, const char *path,
			uint64_t done_bytes, uint64_t total_bytes);
	void *progress_ctx;
};

struct cab_extract_stats {
	uint64_t files; /* files written */
	uint64_t bytes; /* bytes written */
};

/*
 * Extracts entries under the existing directory @dir.  Every name is
 * checked (cab_safe_path) and the caps and the free space of @dir's
 * filesystem are checked against the listed sizes before anything is
 * written.  Directories are created as needed (never through a symlink:
 * every component is opened with O_NOFOLLOW relative to @dir).  Each file
 * is written under a temporary name and renamed once complete and
 * verified, so a failed extraction leaves no partial file under a final
 * name.  Stops at the first error.  Returns 0 or an error; @stats (may be
 * NULL) counts what was written.
 */
HVO_API int cab_extract(struct cab *cab, const char *dir,
			const struct cab_extract_opts *opts,
			struct cab_extract_stats *stats);

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

struct cab_writer; /* opaque */

enum cab_write_method {
	CAB_WRITE_NONE = 0,
	CAB_WRITE_MSZIP = 1,
};

/*
 * Starts a cabinet to be written to @path (created under a temporary name
 * beside it and renamed by cab_writer_finish).  *@w_ret is set except on
 * CAB_ERR_NOMEM; on error it is a failed writer for
 * cab_writer_errmsg()/cab_writer_free().
 */
HVO_API int cab_writer_open(const char *path, enum cab_write_method method,
			    struct cab_writer **w_ret);

/*
 * Adds a member read from host file @src at finish time (streamed; not
 * held in memory).  @name uses '\' or '/' (stored as '\'); non-ASCII
 * names are stored as UTF-8 with the UTF-8 flag.  The date and the
 * read-only bit come from the file.
 */
HVO_API int cab_writer_add_file(struct cab_writer *w, const char *name,
				const char *src);

/* Adds a member from memory (copied).  @mtime is stored as a DOS local
 * date; @attribs are CAB_ATTR_* bits (UTF_NAME is set as needed). */
HVO_API int cab_writer_add_buffer(struct cab_writer *w, const char *name,
				  const void *data, size_t len, time_t mtime,
				  uint16_t attribs);

/* Writes the cabinet and renames it into place.  Returns 0 or an error;
 * on error nothing is left at the final path. */
HVO_API int cab_writer_finish(struct cab_writer *w);

/* Frees a writer; an unfinished cabinet's temporary file is removed.
 * NULL is accepted. */
HVO_API void cab_writer_free(struct cab_writer *w);

HVO_API const char *cab_writer_errmsg(const struct cab_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* HVOFFLINE_CAB_H */

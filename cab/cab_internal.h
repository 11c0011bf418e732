/*
 * cab_internal.h - shared internals of the cabinet reader.
 *
 * Layout references: [MS-CAB] (CFHEADER, CFFOLDER, CFFILE, CFDATA) and
 * the behaviour of libmspack's cabd.c where readers disagree (noted at
 * each place).  Field offsets are named here and read with get_le16/32.
 */
#ifndef HVO_CAB_INTERNAL_H
#define HVO_CAB_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cab/cab.h"

/* CFHEADER ([MS-CAB] 2.2) */
#define CFHEADER_SIGNATURE 0x00 /* "MSCF" */
#define CFHEADER_CBCABINET 0x08
#define CFHEADER_COFFFILES 0x10
#define CFHEADER_VERMINOR  0x18
#define CFHEADER_VERMAJOR  0x19
#define CFHEADER_CFOLDERS  0x1A
#define CFHEADER_CFILES	   0x1C
#define CFHEADER_FLAGS	   0x1E
#define CFHEADER_SETID	   0x20
#define CFHEADER_ICABINET  0x22
#define CFHEADER_SIZE	   0x24
/* Present when CFHDR_RESERVE_PRESENT is set. */
#define CFHEADER_CBCFHEADER	0x24
#define CFHEADER_CBCFFOLDER	0x26
#define CFHEADER_CBCFDATA	0x27
#define CFHEADER_RESERVE_FIELDS 4

#define CFHDR_PREV_CABINET	0x0001
#define CFHDR_NEXT_CABINET	0x0002
#define CFHDR_RESERVE_PRESENT	0x0004

/* CFFOLDER */
#define CFFOLDER_COFFCABSTART 0x00
#define CFFOLDER_CCFDATA      0x04
#define CFFOLDER_TYPECOMPRESS 0x06
#define CFFOLDER_SIZE	      0x08

/* CFFILE */
#define CFFILE_CBFILE		      0x00
#define CFFILE_UOFFFOLDERSTART	      0x04
#define CFFILE_IFOLDER		      0x08
#define CFFILE_DATE		      0x0A
#define CFFILE_TIME		      0x0C
#define CFFILE_ATTRIBS		      0x0E
#define CFFILE_SIZE		      0x10

#define IFOLD_CONTINUED_FROM_PREV     0xFFFD
#define IFOLD_CONTINUED_TO_NEXT	      0xFFFE
#define IFOLD_CONTINUED_PREV_AND_NEXT 0xFFFF

/* CFDATA */
#define CFDATA_CSUM	0x00
#define CFDATA_CBDATA	0x04
#define CFDATA_CBUNCOMP 0x06
#define CFDATA_SIZE	0x08

/* Limits, each with its reason. */
/* [MS-CAB]: a CFDATA block holds at most 32 KiB uncompressed. */
#define CAB_BLOCK_MAX 32768u
/* Largest cbData: LZX may expand a 32 KiB frame by up to 6 KiB
 * (libmspack CAB_INPUTMAX); MSZIP by 12 bytes. */
#define CAB_INPUT_MAX (32768u + 6144u)
/* Zero bytes kept after every compressed block so that the bit readers
 * may look ahead without bounds checks; they detect running past the real
 * end by position. */
#define CAB_INPUT_PAD 16u
/* A folder has at most 65535 blocks of 32 KiB: the largest member. */
#define CAB_FOLDER_MAX_BYTES (65535ull * 32768ull)
/* Microsoft documents cbCFHeader as 0..60000 (CCAB, fci.h). */
#define CAB_HEADER_RESERVE_MAX 60000u
/* Names (file, cabinet, disk) are read from at most 256 bytes including
 * the NUL, as Microsoft's CAB_MAX_FILENAME and libmspack do. */
#define CAB_NAME_MAX 256u
/* CAB_OPEN_SEARCH gives up after this many false "MSCF" candidates, so
 * that a file full of them cannot take quadratic time. */
#define CAB_SEARCH_MAX_CANDIDATES 4096u
/* A cabinet set longer than this is refused (loops are refused anyway). */
#define CAB_MAX_SET 1024u

/* One cabinet file of a set. */
struct cab_part {
	struct cab_cabinet_info info;
	char *path;	    /* owned, NULL for memory */
	int fd;		    /* -1 for memory */
	const uint8_t *mem; /* for cab_open_mem */
	uint64_t base;	    /* offset of the cabinet in the file (search) */
	char *prev_name, *next_name; /* owned */
	unsigned nfolders;	     /* folders in this cabinet */
	unsigned first_folder;	     /* index of its first folder in the set */
	bool cont_from_prev;	     /* a file has iFolder 0xFFFD/0xFFFF */
	bool cont_to_next;	     /* a file has iFolder 0xFFFE/0xFFFF */
	/* Read-ahead for cab_int_part_read (made on first use): the data
	 * blocks come in order, so one read serves many. */
	uint8_t *ra;
	uint64_t ra_off; /* file offset of ra[0] */
	size_t ra_len;
};

/* Size of a part's read-ahead buffer. */
#define CAB_READ_AHEAD (64u * 1024)

/* One stretch of a folder's CFDATA blocks inside one cabinet. */
struct cab_span {
	unsigned part;	  /* cabinet index in the set */
	uint64_t offset;  /* coffCabStart (+ cabinet base for search) */
	uint16_t nblocks; /* cCFData in that cabinet */
};

struct cab_folder {
	struct cab_folder_info info;
	struct cab_span *spans;
	unsigned nspans;
	uint64_t max_bytes; /* nblocks * 32 KiB: what the blocks can hold */
	bool missing_prev;  /* continued from a cabinet we do not have */
	bool missing_next;  /* continued into a cabinet we do not have */
	char method_name[24];
};

struct cab_codec;
struct cab_stream;

struct cab {
	int err; /* open error, if the handle is a failed one */
	char errmsg[512];
	unsigned flags;
	struct cab_part *parts;
	size_t nparts;
	struct cab_folder *folders;
	size_t nfolders;
	struct cab_entry *entries;
	size_t nentries;
	struct cab_stream *stream; /* decoding state of one folder */
	uint64_t blocks_decoded;   /* for tests: each folder decoded once */
};

/* Sets the handle's message (printf-style) and returns @err. */
int cab_int_set_error(struct cab *cab, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reads @len bytes at @off of cabinet @part into @buf.  Returns 0, or an
 * error (short read -> CAB_ERR_CORRUPT with "@what past end of file"). */
int cab_int_part_read(struct cab *cab, unsigned part, uint64_t off, void *buf,
		      size_t len, const char *what);

/* CFDATA checksum ([MS-CAB] 2.5; libmspack cabd_checksum): XOR of the
 * data as little-endian 32-bit words, the 1-3 trailing bytes folded in
 * big-end first, seeded with @seed. */
uint32_t cab_int_checksum(const uint8_t *data, size_t len, uint32_t seed);

/* Name conversion (name.c): the display name of a raw member name. */
char *cab_int_name_to_utf8(const uint8_t *raw, size_t len, bool utf8_flag);

/* ---- Folder streams (stream.c) ---- */

/* Opens (or reuses) the decoding stream for @folder positioned so that
 * the next byte produced is folder offset @offset.  Returns 0 or an error
 * (message set). */
int cab_int_stream_seek(struct cab *cab, unsigned folder, uint64_t offset);
/* Produces @len bytes from the current stream to @write.  Returns 0 or an
 * error; CAB_ERR_ABORTED when @write stopped. */
int cab_int_stream_read(struct cab *cab, uint64_t len, cab_write_fn write,
			void *ctx);
void cab_int_stream_free(struct cab_stream *s);

/* ---- Decoders: one small table per method (stored is in stream.c) ---- */

struct cab_codec_ops {
	/* Creates a decoder for the folder's typeCompress.  Returns 0, or
	 * CAB_ERR_UNSUPPORTED / CAB_ERR_NOMEM with @why set. */
	int (*create)(uint16_t type_compress, void **state_ret,
		      const char **why);
	/*
	 * Decodes one CFDATA block: @in holds @in_len bytes followed by at
	 * least CAB_INPUT_PAD zero bytes; exactly @out_len bytes (at most
	 * 32 KiB) are written to @out.  *@consumed_ret gets the input bytes
	 * used (the rest is fed again before the next block, which is how
	 * libmspack's continuous input stream behaves).  Returns 0 or
	 * CAB_ERR_DATA with @why (a static string) set.
	 */
	int (*decode)(void *state, const uint8_t *in, size_t in_len,
		      uint8_t *out, size_t out_len, size_t *consumed_ret,
		      const char **why);
	void (*free)(void *state);
};

extern const struct cab_codec_ops cab_int_mszip_ops;
extern const struct cab_codec_ops cab_int_lzx_ops;
extern const struct cab_codec_ops cab_int_quantum_ops;

#endif /* HVO_CAB_INTERNAL_H */

/*
 * lzx.c - LZX decoder for cabinets (windows 2^15..2^21).
 *
 * Sources: Microsoft's LZX format document (1997) with the corrections
 * that real data needs (libmspack lzxd.c is the reference behaviour):
 * position slots 42 and 50 for 1 and 2 MiB windows; the aligned-offset
 * tree comes before the main tree; a 24-bit block length; an empty length
 * tree is legal until a symbol needs it.
 *
 * In a cabinet the stream is never reset, output comes in 32 KiB frames
 * (one per CFDATA block), the bit stream is realigned to 16 bits after
 * every frame, and no match may cross a frame.  The E8 (x86 call)
 * translation is undone on each frame's output copy, never in the window,
 * only for the first 32768 frames, and not in the last 10 bytes of a
 * frame (EXPAND.EXE's rule; libmspack ChangeLog 2020-01-08).
 *
 * Speed: table-driven Huffman decoding (12-bit main and length tables),
 * a 64-bit bit buffer refilled 16 bits at a time, matches copied with
 * memcpy when they do not overlap.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cab/cab_internal.h"
#include "cab/huffman.h"
#include "util/bytes.h"

#define LZX_MIN_MATCH		2
#define LZX_NUM_CHARS		256
#define LZX_PRETREE_SYMS	20
#define LZX_ALIGNED_SYMS	8
#define LZX_NUM_PRIMARY_LENGTHS 7
#define LZX_LENGTH_SYMS		249
#define LZX_MAX_SLOTS		50
#define LZX_MAIN_MAX		(LZX_NUM_CHARS + LZX_MAX_SLOTS * 8)
#define LZX_FRAME		32768u
/* The E8 translation stops after 32768 frames (1 GiB of output). */
#define LZX_E8_FRAMES	  32768u

#define LZX_MAIN_TBITS	  12
#define LZX_LENGTH_TBITS  12
#define LZX_ALIGNED_TBITS 7
#define LZX_PRETREE_TBITS 6

enum { BLOCK_VERBATIM = 1, BLOCK_ALIGNED = 2, BLOCK_UNCOMPRESSED = 3 };

struct lzx {
	uint32_t window_size;
	uint8_t *window;
	uint32_t window_posn;
	uint64_t total; /* bytes output before the current frame */
	uint32_t r0, r1, r2;
	unsigned main_syms;
	bool header_read;
	bool intel_started;
	int32_t intel_filesize;
	unsigned block_type; /* 0 before the first block */
	uint32_t block_length, block_remaining;
	uint32_t frame_index;
	bool length_empty;
	uint32_t position_base[LZX_MAX_SLOTS + 1];
	uint8_t extra_bits[LZX_MAX_SLOTS + 1];

	uint8_t main_len[LZX_MAIN_MAX];
	uint8_t length_len[LZX_LENGTH_SYMS];
	uint8_t aligned_len[LZX_ALIGNED_SYMS];
	uint8_t pretree_len[LZX_PRETREE_SYMS];
	struct huff main, length, aligned, pretree;
	uint16_t main_table[1 << LZX_MAIN_TBITS];
	uint16_t length_table[1 << LZX_LENGTH_TBITS];
	uint16_t aligned_table[1 << LZX_ALIGNED_TBITS];
	uint16_t pretree_table[1 << LZX_PRETREE_TBITS];
	uint16_t main_sorted[LZX_MAIN_MAX];
	uint16_t length_sorted[LZX_LENGTH_SYMS];
	uint16_t aligned_sorted[LZX_ALIGNED_SYMS];
	uint16_t pretree_sorted[LZX_PRETREE_SYMS];
};

static int lzx_create(uint16_t type, void **state_ret, const char **why)
{
	unsigned wbits = (type >> 8) & 0x1F;
	/* Cabinets use windows of 2^15..2^21 (TCOMPfromLZXWindow). */
	static const unsigned slots[] = { 30, 32, 34, 36, 38, 42, 50 };
	if (wbits < 15 || wbits > 21) {
		*why = "LZX window size out of range (2^15..2^21)";
		return CAB_ERR_UNSUPPORTED;
	}
	struct lzx *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		*why = "out of memory";
		return CAB_ERR_NOMEM;
	}
	z->window_size = 1u << wbits;
	/* Not zeroed: no match may reach before the first byte written. */
	z->window = malloc(z->window_size);
	if (z->window == NULL) {
		free(z);
		*why = "out of memory";
		return CAB_ERR_NOMEM;
	}
	z->main_syms = LZX_NUM_CHARS + slots[wbits - 15] * 8;
	z->r0 = z->r1 = z->r2 = 1;
	/* Extra bits per position slot: 0,0,0,0,1,1,2,2,...,16,16, then 17. */
	uint32_t base = 0;
	for (unsigned i = 0; i <= LZX_MAX_SLOTS; i++) {
		unsigned e = i < 4 ? 0 : i < 36 ? (i - 2) / 2 : 17;
		z->extra_bits[i] = (uint8_t)e;
		z->position_base[i] = base;
		base += 1u << e;
	}
	z->main = (struct huff){ .table_bits = LZX_MAIN_TBITS,
				 .table = z->main_table,
				 .sorted = z->main_sorted };
	z->length = (struct huff){ .table_bits = LZX_LENGTH_TBITS,
				   .table = z->length_table,
				   .sorted = z->length_sorted };
	z->aligned = (struct huff){ .table_bits = LZX_ALIGNED_TBITS,
				    .table = z->aligned_table,
				    .sorted = z->aligned_sorted };
	z->pretree = (struct huff){ .table_bits = LZX_PRETREE_TBITS,
				    .table = z->pretree_table,
				    .sorted = z->pretree_sorted };
	*state_ret = z;
	return 0;
}

static void lzx_free(void *state)
{
	struct lzx *z = state;
	if (z == NULL)
		return;
	free(z->window);
	free(z);
}

/*
 * Reads code lengths [first, last) of @lens through a pretree: each
 * length is coded as a difference (mod 17) from the previous block's,
 * with runs of zeros (17, 18) and runs of one value (19).
 */
static int read_lengths(struct lzx *z, struct bitrd *b, uint8_t *lens,
			unsigned first, unsigned last, const char **why)
{
	for (unsigned i = 0; i < LZX_PRETREE_SYMS; i++)
		z->pretree_len[i] = (uint8_t)br_read(b, 4);
	if (cab_int_huff_build(&z->pretree, z->pretree_len, LZX_PRETREE_SYMS) !=
	    HUFF_OK) {
		*why = "invalid pretree";
		return CAB_ERR_DATA;
	}
	for (unsigned x = first; x < last;) {
		br_refill(b);
		int sym = cab_int_huff_decode(&z->pretree, b);
		unsigned run;
		if (sym == 17 || sym == 18) {
			run = sym == 17 ? br_read(b, 4) + 4
					: br_read(b, 5) + 20;
			if (run > last - x) {
				*why = "code length run overflows the tree";
				return CAB_ERR_DATA;
			}
			memset(lens + x, 0, run);
			x += run;
		} else if (sym == 19) {
			run = br_read(b, 1) + 4;
			br_refill(b);
			int d = cab_int_huff_decode(&z->pretree, b);
			if (d < 0 || d > 16 || run > last - x) {
				*why = "invalid code length run";
				return CAB_ERR_DATA;
			}
			uint8_t v = (uint8_t)((lens[x] + 17 - d) % 17);
			memset(lens + x, v, run);
			x += run;
		} else if (sym >= 0 && sym <= 16) {
			lens[x] = (uint8_t)((lens[x] + 17 - sym) % 17);
			x++;
		} else {
			*why = "invalid pretree code";
			return CAB_ERR_DATA;
		}
	}
	return 0;
}

/* Reads a block header; the bit reader is positioned at it. */
static int read_block_header(struct lzx *z, struct bitrd *b, const char **why)
{
	z->block_type = br_read(b, 3);
	uint32_t hi = br_read(b, 16), lo = br_read(b, 8);
	z->block_length = z->block_remaining = hi << 8 | lo;
	switch (z->block_type) {
	case BLOCK_ALIGNED:
		for (unsigned i = 0; i < LZX_ALIGNED_SYMS; i++)
			z->aligned_len[i] = (uint8_t)br_read(b, 3);
		if (cab_int_huff_build(&z->aligned, z->aligned_len,
				       LZX_ALIGNED_SYMS) != HUFF_OK) {
			*why = "invalid aligned offset tree";
			return CAB_ERR_DATA;
		}
		/* The main and length trees follow, as in a verbatim block. */
		__attribute__((fallthrough));
	case BLOCK_VERBATIM: {
		int err;
		if ((err = read_lengths(z, b, z->main_len, 0, LZX_NUM_CHARS,
					why)) ||
		    (err = read_lengths(z, b, z->main_len, LZX_NUM_CHARS,
					z->main_syms, why)))
			return err;
		if (cab_int_huff_build(&z->main, z->main_len, z->main_syms) !=
		    HUFF_OK) {
			*why = "invalid main tree";
			return CAB_ERR_DATA;
		}
		if (z->main_len[0xE8] != 0)
			z->intel_started = true;
		if ((err = read_lengths(z, b, z->length_len, 0, LZX_LENGTH_SYMS,
					why)))
			return err;
		int r = cab_int_huff_build(&z->length, z->length_len,
					   LZX_LENGTH_SYMS);
		if (r == HUFF_BAD) {
			*why = "invalid length tree";
			return CAB_ERR_DATA;
		}
		z->length_empty = r == HUFF_EMPTY;
		return 0;
	}
	case BLOCK_UNCOMPRESSED:
		z->intel_started = true;
		return 0;
	default:
		*why = "invalid block type";
		return CAB_ERR_DATA;
	}
}

static void e8_translate(uint8_t *data, uint32_t size, uint32_t curpos,
			 int32_t filesize)
{
	uint8_t *p = data, *end = data + size - 10;
	while (p < end) {
		if (*p++ != 0xE8) {
			curpos++;
			continue;
		}
		int32_t abs_off = (int32_t)get_le32(p);
		if (abs_off >= -(int32_t)curpos && abs_off < filesize) {
			int32_t rel = abs_off >= 0 ? abs_off - (int32_t)curpos
						   : abs_off + filesize;
			put_le32(p, (uint32_t)rel);
		}
		p += 4;
		curpos += 5;
	}
}

/* Copies a match of @len bytes from @off back, within the window. */
static inline void copy_match(uint8_t *window, uint32_t wsize, uint32_t posn,
			      uint32_t off, uint32_t len)
{
	uint8_t *dst = window + posn;
	if (off <= posn) {
		const uint8_t *src = dst - off;
		if (off >= len) {
			memcpy(dst, src, len);
		} else {
			for (uint32_t i = 0; i < len; i++)
				dst[i] = src[i];
		}
		return;
	}
	/* The source starts in the previous pass over the window. */
	uint32_t from = wsize - (off - posn);
	uint32_t first = wsize - from;
	if (first > len)
		first = len;
	for (uint32_t i = 0; i < first; i++)
		dst[i] = window[from + i];
	for (uint32_t i = first; i < len; i++)
		dst[i] = window[i - first];
}

/* Decodes @run bytes of a verbatim or aligned block into the window. */
static int decode_run(struct lzx *z, struct bitrd *b, uint32_t run,
		      uint64_t frame_total, const char **why)
{
	uint8_t *window = z->window;
	uint32_t posn = z->window_posn;
	uint32_t r0 = z->r0, r1 = z->r1, r2 = z->r2;
	const bool aligned = z->block_type == BLOCK_ALIGNED;
	int err = 0;
	while (run > 0) {
		br_refill(b);
		int sym = cab_int_huff_decode(&z->main, b);
		if (sym < LZX_NUM_CHARS) {
			if (sym < 0) {
				*why = "invalid main tree code";
				err = CAB_ERR_DATA;
				break;
			}
			window[posn++] = (uint8_t)sym;
			run--;
			continue;
		}
		sym -= LZX_NUM_CHARS;
		uint32_t len = (uint32_t)sym & LZX_NUM_PRIMARY_LENGTHS;
		if (len == LZX_NUM_PRIMARY_LENGTHS) {
			if (z->length_empty) {
				*why = "match length from an empty length tree";
				err = CAB_ERR_DATA;
				break;
			}
			int l = cab_int_huff_decode(&z->length, b);
			if (l < 0) {
				*why = "invalid length tree code";
				err = CAB_ERR_DATA;
				break;
			}
			len += (uint32_t)l;
		}
		len += LZX_MIN_MATCH;
		unsigned slot = (unsigned)sym >> 3;
		uint32_t off;
		if (slot > 2) {
			unsigned extra = z->extra_bits[slot];
			br_refill(b);
			if (aligned && extra >= 3) {
				off = z->position_base[slot] - 2;
				if (extra > 3)
					off += br_read(b, extra - 3) << 3;
				br_refill(b);
				int a = cab_int_huff_decode(&z->aligned, b);
				if (a < 0) {
					*why = "invalid aligned tree code";
					err = CAB_ERR_DATA;
					break;
				}
				off += (uint32_t)a;
			} else if (extra > 0) {
				off = z->position_base[slot] - 2 +
				      br_read(b, extra);
			} else {
				off = 1;
			}
			r2 = r1;
			r1 = r0;
			r0 = off;
		} else if (slot == 0) {
			off = r0;
		} else if (slot == 1) {
			off = r1;
			r1 = r0;
			r0 = off;
		} else {
			off = r2;
			r2 = r0;
			r0 = off;
		}
		if (len > run) {
			*why = "match runs past the end of its block or frame";
			err = CAB_ERR_DATA;
			break;
		}
		/* No reference before the start of the stream, nor further
		 * back than the window. */
		uint64_t produced = frame_total + (posn - z->window_posn);
		if (off > produced || off > z->window_size) {
			*why = "match refers to data before the stream start";
			err = CAB_ERR_DATA;
			break;
		}
		copy_match(window, z->window_size, posn, off, len);
		posn += len;
		run -= len;
	}
	/* Keep the output position relative to the frame for the caller. */
	z->r0 = r0;
	z->r1 = r1;
	z->r2 = r2;
	z->window_posn = posn;
	return err;
}

static int lzx_decode(void *state, const uint8_t *in, size_t in_len,
		      uint8_t *out, size_t out_len, size_t *consumed_ret,
		      const char **why)
{
	struct lzx *z = state;
	uint32_t frame_size = (uint32_t)out_len;
	uint32_t frame_start = z->window_posn;
	*consumed_ret = in_len;
	if (frame_size > LZX_FRAME ||
	    frame_start + frame_size > z->window_size) {
		*why = "frame crosses the end of the window";
		return CAB_ERR_DATA;
	}
	struct bitrd b;
	/* An uncompressed block continues byte-wise from the start. */
	size_t bpos = 0;
	br_init(&b, in, in_len, 0);
	bool bytemode = z->block_type == BLOCK_UNCOMPRESSED;
	if (!z->header_read) {
		/* One bit, then the E8 translation size as two 16-bit
		 * halves when it is set. */
		if (br_read(&b, 1)) {
			uint32_t hi = br_read(&b, 16), lo = br_read(&b, 16);
			z->intel_filesize = (int32_t)(hi << 16 | lo);
		}
		z->header_read = true;
	}
	uint32_t todo = frame_size;
	int err;
	while (todo > 0) {
		if (z->block_remaining == 0) {
			if (bytemode) {
				/* Odd-sized uncompressed blocks have a pad
				 * byte; then bits start again. */
				if (z->block_length & 1)
					bpos++;
				br_init(&b, in, in_len, bpos);
				bytemode = false;
			}
			if ((err = read_block_header(z, &b, why)))
				return err;
			if (z->block_type == BLOCK_UNCOMPRESSED) {
				/* Realign to 16 bits, dropping 1-16 bits
				 * (16 when already aligned), then R0-R2. */
				uint64_t cb = br_consumed_bits(&b);
				uint64_t words = cb / 16 + 1;
				bpos = (size_t)(words * 2);
				if (bpos + 12 > in_len) {
					*why = "uncompressed block header "
					       "past the end of its block";
					return CAB_ERR_DATA;
				}
				z->r0 = get_le32(in + bpos);
				z->r1 = get_le32(in + bpos + 4);
				z->r2 = get_le32(in + bpos + 8);
				bpos += 12;
				bytemode = true;
			}
			continue;
		}
		uint32_t run =
			z->block_remaining < todo ? z->block_remaining : todo;
		if (bytemode) {
			if (bpos + run > in_len) {
				*why = "uncompressed data past the end of its "
				       "block";
				return CAB_ERR_DATA;
			}
			memcpy(z->window + z->window_posn, in + bpos, run);
			bpos += run;
			z->window_posn += run;
		} else {
			uint64_t frame_total =
				z->total + (z->window_posn - frame_start);
			if ((err = decode_run(z, &b, run, frame_total, why)))
				return err;
		}
		todo -= run;
		z->block_remaining -= run;
	}
	size_t consumed;
	if (bytemode) {
		consumed = bpos;
	} else {
		/* Realign to 16 bits after every frame. */
		uint64_t cb = br_consumed_bits(&b);
		consumed = (size_t)((cb + 15) / 16 * 2);
	}
	/* libmspack pads the end of the input with 2 zero bytes, so a
	 * stream may end up to 16 bits short. */
	if (consumed > in_len + 2) {
		*why = "frame needs more input than its CFDATA block holds";
		return CAB_ERR_DATA;
	}
	*consumed_ret = consumed < in_len ? consumed : in_len;

	memcpy(out, z->window + frame_start, frame_size);
	if (z->intel_started && z->intel_filesize != 0 &&
	    z->frame_index < LZX_E8_FRAMES && frame_size > 10)
		e8_translate(out, frame_size, (uint32_t)z->total,
			     z->intel_filesize);
	z->total += frame_size;
	z->frame_index++;
	if (z->window_posn == z->window_size)
		z->window_posn = 0;
	return 0;
}

const struct cab_codec_ops cab_int_lzx_ops = {
	.create = lzx_create,
	.decode = lzx_decode,
	.free = lzx_free,
};

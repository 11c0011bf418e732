/*
 * huffman.h - canonical Huffman decoding with a lookup table, and an
 * MSB-first bit reader over 16-bit little-endian words (LZX).
 *
 * Codes of up to HUFF_TABLE_BITS bits are decoded with one table lookup;
 * longer ones (rare by construction: each has probability below
 * 2^-TABLE_BITS) fall back to a walk over the canonical code ranges.
 */
#ifndef HVO_CAB_HUFFMAN_H
#define HVO_CAB_HUFFMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HUFF_MAX_LEN 16

/* Bit reader: the next bits are at the top of @buf. */
struct bitrd {
	const uint8_t *in;
	size_t len; /* real input bytes (padding follows, never read) */
	size_t pos; /* next byte to load (may pass len: zeros are used) */
	uint64_t buf;
	unsigned bits;
};

static inline void br_init(struct bitrd *b, const uint8_t *in, size_t len,
			   size_t pos)
{
	b->in = in;
	b->len = len;
	b->pos = pos;
	b->buf = 0;
	b->bits = 0;
}

/* Tops the buffer up to at least 49 bits, 16-bit LE words MSB first.
 * Past the end of the input zeros are shifted in; callers check the
 * consumed position against the length. */
static inline void br_refill(struct bitrd *b)
{
	while (b->bits <= 48) {
		uint64_t w = 0;
		if (b->pos + 2 <= b->len)
			w = (uint64_t)b->in[b->pos] |
			    (uint64_t)b->in[b->pos + 1] << 8;
		b->pos += 2;
		b->buf |= w << (48 - b->bits);
		b->bits += 16;
	}
}

/* The next @n (1..32) bits, after a refill guaranteeing them. */
static inline uint32_t br_peek(const struct bitrd *b, unsigned n)
{
	return (uint32_t)(b->buf >> (64 - n));
}

static inline void br_skip(struct bitrd *b, unsigned n)
{
	b->buf <<= n;
	b->bits -= n;
}

/* Reads @n bits, 0..32. */
static inline uint32_t br_read(struct bitrd *b, unsigned n)
{
	if (n == 0)
		return 0;
	br_refill(b);
	uint32_t v = br_peek(b, n);
	br_skip(b, n);
	return v;
}

/* Bits consumed so far from the start of the input. */
static inline uint64_t br_consumed_bits(const struct bitrd *b)
{
	return (uint64_t)b->pos * 8 - b->bits;
}

struct huff {
	unsigned table_bits;
	unsigned nsyms;
	/* Table entry: symbol << 5 | length, or 0 for a longer code. */
	uint16_t *table;
	uint16_t count[HUFF_MAX_LEN + 1];
	uint16_t first_code[HUFF_MAX_LEN + 1];
	uint16_t first_index[HUFF_MAX_LEN + 1];
	uint16_t *sorted; /* symbols ordered by (length, symbol) */
};

/* Result of cab_int_huff_build. */
enum { HUFF_OK = 0, HUFF_EMPTY = 1, HUFF_BAD = -1 };

/*
 * Builds the decoder for @nsyms code lengths (0 = unused, max 16).
 * Returns HUFF_OK for a complete code, HUFF_EMPTY if every length is 0,
 * and HUFF_BAD for an over-subscribed or incomplete code (libmspack
 * refuses incomplete codes too).  @h's arrays are sized by the caller
 * (table: 1 << table_bits entries; sorted: nsyms).
 */
int cab_int_huff_build(struct huff *h, const uint8_t *lens, unsigned nsyms);

/* Slow path for codes longer than the table: returns the symbol or -1. */
int cab_int_huff_decode_slow(const struct huff *h, struct bitrd *b);

/* Decodes one symbol; the caller has refilled (>= 16 bits available). */
static inline int cab_int_huff_decode(const struct huff *h, struct bitrd *b)
{
	uint16_t e = h->table[br_peek(b, h->table_bits)];
	if (e & 31) {
		br_skip(b, e & 31);
		return e >> 5;
	}
	return cab_int_huff_decode_slow(h, b);
}

#endif /* HVO_CAB_HUFFMAN_H */

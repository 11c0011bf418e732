/*
 * huffman.c - building canonical Huffman decode tables (LZX).
 */
#include <config.h>

#include <string.h>

#include "cab/huffman.h"

int cab_int_huff_build(struct huff *h, const uint8_t *lens, unsigned nsyms)
{
	memset(h->count, 0, sizeof(h->count));
	h->nsyms = nsyms;
	for (unsigned s = 0; s < nsyms; s++)
		h->count[lens[s]]++;
	h->count[0] = 0;
	/* Kraft sum in units of 2^-16. */
	uint32_t used = 0;
	for (unsigned l = 1; l <= HUFF_MAX_LEN; l++)
		used += (uint32_t)h->count[l] << (HUFF_MAX_LEN - l);
	if (used == 0)
		return HUFF_EMPTY;
	if (used != 1u << HUFF_MAX_LEN)
		return HUFF_BAD;
	uint32_t code = 0;
	unsigned idx = 0;
	for (unsigned l = 1; l <= HUFF_MAX_LEN; l++) {
		h->first_code[l] = (uint16_t)code;
		h->first_index[l] = (uint16_t)idx;
		idx += h->count[l];
		code = (code + h->count[l]) << 1;
	}
	/* Symbols by (length, value): canonical order. */
	uint16_t next[HUFF_MAX_LEN + 1];
	memcpy(next, h->first_index, sizeof(next));
	for (unsigned s = 0; s < nsyms; s++)
		if (lens[s])
			h->sorted[next[lens[s]]++] = (uint16_t)s;
	unsigned tb = h->table_bits;
	memset(h->table, 0, sizeof(uint16_t) << tb);
	for (unsigned l = 1; l <= tb; l++) {
		for (unsigned k = 0; k < h->count[l]; k++) {
			unsigned s = h->sorted[h->first_index[l] + k];
			uint32_t c = (uint32_t)h->first_code[l] + k;
			uint32_t lo = c << (tb - l), n = 1u << (tb - l);
			uint16_t e = (uint16_t)(s << 5 | l);
			for (uint32_t j = 0; j < n; j++)
				h->table[lo + j] = e;
		}
	}
	return HUFF_OK;
}

int cab_int_huff_decode_slow(const struct huff *h, struct bitrd *b)
{
	uint32_t bits16 = br_peek(b, HUFF_MAX_LEN);
	for (unsigned l = h->table_bits + 1; l <= HUFF_MAX_LEN; l++) {
		uint32_t c = bits16 >> (HUFF_MAX_LEN - l);
		uint32_t d = c - h->first_code[l];
		if (d < h->count[l]) {
			br_skip(b, l);
			return h->sorted[h->first_index[l] + d];
		}
	}
	return -1;
}

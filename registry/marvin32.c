/*
 * marvin32.c - the Marvin32 hash (see marvin32.h).
 */
#include <config.h>

#include "registry/marvin32.h"
#include "util/bytes.h"

static inline uint32_t rotl32(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

static inline void marvin_block(uint32_t *p0, uint32_t *p1)
{
	*p1 ^= *p0;
	*p0 = rotl32(*p0, 20);
	*p0 += *p1;
	*p1 = rotl32(*p1, 9);
	*p1 ^= *p0;
	*p0 = rotl32(*p0, 27);
	*p0 += *p1;
	*p1 = rotl32(*p1, 19);
}

uint64_t reg_int_marvin32(const uint8_t *data, size_t len, uint64_t seed)
{
	uint32_t p0 = (uint32_t)seed;
	uint32_t p1 = (uint32_t)(seed >> 32);
	size_t i = 0;
	for (; len - i >= 4; i += 4) {
		p0 += get_le32(data + i);
		marvin_block(&p0, &p1);
	}
	/* The 0-3 remaining bytes, little-endian, then a 0x80 byte. */
	uint32_t last = 0x80;
	size_t rem = len - i;
	for (size_t j = rem; j > 0; j--)
		last = last << 8 | data[i + j - 1];
	p0 += last;
	marvin_block(&p0, &p1);
	marvin_block(&p0, &p1);
	return (uint64_t)p1 << 32 | p0;
}

/*
 * bytes.h - little-endian field access for on-disk formats.
 *
 * Every on-disk field is read with these helpers at a named offset, never
 * by casting a pointer into a file buffer (STYLE.md, On-disk formats).  They
 * go through unsigned temporaries so that no shift promotes to signed int.
 */
#ifndef HVO_UTIL_BYTES_H
#define HVO_UTIL_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t get_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)((uint16_t)b[0] | (uint16_t)b[1] << 8);
}

static inline uint32_t get_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t get_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)get_le32(b) | (uint64_t)get_le32(b + 4) << 32;
}

static inline void put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void put_le64(void *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/*
 * Bounds check for a field of @len bytes at @off inside a buffer of @size
 * bytes, written so that it cannot overflow: use it before every read of an
 * offset or length that came from a file.
 */
static inline int hvo_in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

#define HVO_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An intended fall-through between switch cases, in a form both gcc and
 * clang accept under -Wimplicit-fallthrough (clang ignores comments). */
#define HVO_FALLTHROUGH __attribute__((fallthrough))

#endif /* HVO_UTIL_BYTES_H */

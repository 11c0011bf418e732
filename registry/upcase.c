/*
 * upcase.c - comparing key and value names as Windows does.
 *
 * Windows matches names case-insensitively by upper-casing each UTF-16
 * code unit with its one-to-one table and comparing code units; subkey
 * lists are sorted that way and lh leaves carry a hash of the upper-cased
 * name ("Index leaf", "Hash leaf").  libhivex folds ASCII only and hashes
 * UTF-8 bytes, which is right for ASCII names only; these functions are
 * what the lookups and the fix-ups of non-ASCII names use instead.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/utf.h"

struct upcase_run {
	uint16_t first, last;
	uint8_t step;
	int32_t delta;
};

#include "registry/upcase-table.h"

uint16_t reg_int_upcase(uint16_t c)
{
	if (c < 0x80)
		return c >= 'a' && c <= 'z' ? (uint16_t)(c - 32) : c;
	size_t lo = 0, hi = sizeof(upcase_runs) / sizeof(upcase_runs[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct upcase_run *r = &upcase_runs[mid];
		if (c < r->first) {
			hi = mid;
		} else if (c > r->last) {
			lo = mid + 1;
		} else {
			if ((c - r->first) % r->step != 0)
				return c;
			return (uint16_t)(c + r->delta);
		}
	}
	return c;
}

/*
 * Iterates over the UTF-16 code units of a UTF-8 string.  Invalid bytes
 * come out as themselves (so that two different invalid names never
 * compare equal to a valid one by accident).
 */
struct u16_iter {
	const unsigned char *p, *end;
	uint16_t pending; /* low surrogate still to return, or 0 */
};

static int u16_next(struct u16_iter *it, uint16_t *u)
{
	if (it->pending) {
		*u = it->pending;
		it->pending = 0;
		return 1;
	}
	if (it->p >= it->end)
		return 0;
	size_t n = hvo_int_utf8_valid_prefix(it->p, (size_t)(it->end - it->p));
	if (n == 0) {
		*u = *it->p++;
		return 1;
	}
	uint32_t cp = hvo_int_utf8_decode(&it->p);
	if (cp >= 0x10000) {
		cp -= 0x10000;
		*u = (uint16_t)(0xd800 + (cp >> 10));
		it->pending = (uint16_t)(0xdc00 + (cp & 0x3ff));
	} else {
		*u = (uint16_t)cp;
	}
	return 1;
}

int reg_int_name_cmp(const char *a, const char *b)
{
	struct u16_iter x = { (const unsigned char *)a,
			      (const unsigned char *)a + strlen(a), 0 };
	struct u16_iter y = { (const unsigned char *)b,
			      (const unsigned char *)b + strlen(b), 0 };
	for (;;) {
		uint16_t cx, cy;
		int hx = u16_next(&x, &cx);
		int hy = u16_next(&y, &cy);
		if (!hx || !hy)
			return hx - hy;
		cx = reg_int_upcase(cx);
		cy = reg_int_upcase(cy);
		if (cx != cy)
			return cx < cy ? -1 : 1;
	}
}

bool reg_int_name_eq(const char *a, const char *b)
{
	return reg_int_name_cmp(a, b) == 0;
}

uint32_t reg_int_name_hash(const char *name)
{
	struct u16_iter it = { (const unsigned char *)name,
			       (const unsigned char *)name + strlen(name), 0 };
	uint32_t h = 0;
	uint16_t c;
	while (u16_next(&it, &c))
		h = h * 37 + reg_int_upcase(c);
	return h;
}

char *reg_int_name_upcase(const char *s)
{
	size_t len = strlen(s);
	/* Each code unit becomes at most 3 UTF-8 bytes; a pair (4 input
	 * bytes) becomes two 3-byte units, and an invalid byte 2 bytes. */
	char *out = malloc(len * 3 + 1);
	if (out == NULL)
		return NULL;
	struct u16_iter it = { (const unsigned char *)s,
			       (const unsigned char *)s + len, 0 };
	size_t o = 0;
	uint16_t c;
	while (u16_next(&it, &c))
		o += hvo_int_utf8_encode(reg_int_upcase(c), out + o);
	out[o] = '\0';
	return out;
}

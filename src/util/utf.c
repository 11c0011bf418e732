/*
 * utf.c - UTF-8 / UTF-16LE conversion (policy in utf.h).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "util/bytes.h"
#include "util/utf.h"

size_t hvo_int_utf8_valid_prefix(const unsigned char *p, size_t len)
{
	if (len == 0)
		return 0;
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t min, cp;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
		cp = c & 0x07;
	} else {
		return 0; /* continuation byte, 0xc0/0xc1 or 0xf5..0xff */
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int hvo_int_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	while (len > 0) {
		size_t n = hvo_int_utf8_valid_prefix(p, len);
		if (n == 0)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

uint32_t hvo_int_utf8_decode(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	uint32_t cp;
	if (p[0] < 0x80) {
		cp = p[0];
		*pp = p + 1;
	} else if (p[0] < 0xe0) {
		cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		*pp = p + 2;
	} else if (p[0] < 0xf0) {
		cp = (uint32_t)(p[0] & 0x0f) << 12 |
		     (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		*pp = p + 3;
	} else {
		cp = (uint32_t)(p[0] & 0x07) << 18 |
		     (uint32_t)(p[1] & 0x3f) << 12 |
		     (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		*pp = p + 4;
	}
	return cp;
}

size_t hvo_int_utf8_encode(uint32_t cp, char *buf)
{
	unsigned char *b = (unsigned char *)buf;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (unsigned char)(0xf0 | cp >> 18);
	b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	b[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int hvo_int_utf16le_to_utf8(const uint8_t *in, size_t nbytes, int stop_at_nul,
			    char **out_ret, size_t *len_ret)
{
	size_t units = nbytes / 2;
	/* Each UTF-16 unit yields at most 3 UTF-8 bytes (a pair yields 4). */
	if (units > (SIZE_MAX - 1) / 3)
		return ENOMEM;
	char *out = malloc(units * 3 + 1);
	if (out == NULL)
		return ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < units; i++) {
		uint32_t u = get_le16(in + 2 * i);
		if (u == 0 && stop_at_nul)
			break;
		if (u >= 0xd800 && u <= 0xdbff && i + 1 < units) {
			uint32_t lo = get_le16(in + 2 * (i + 1));
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i++;
			} else {
				u = 0xfffd;
			}
		} else if (u >= 0xd800 && u <= 0xdfff) {
			u = 0xfffd;
		}
		o += hvo_int_utf8_encode(u, out + o);
	}
	out[o] = '\0';
	*out_ret = out;
	if (len_ret)
		*len_ret = o;
	return 0;
}

int hvo_int_utf8_to_utf16le(const char *in, size_t len, uint8_t **out_ret,
			    size_t *nbytes_ret)
{
	if (!hvo_int_utf8_valid(in, len))
		return EILSEQ;
	/* At most one UTF-16 unit per input byte, plus the terminator. */
	if (len > SIZE_MAX / 2 - 1)
		return ENOMEM;
	uint8_t *out = malloc(2 * len + 2);
	if (out == NULL)
		return ENOMEM;
	const unsigned char *p = (const unsigned char *)in;
	const unsigned char *end = p + len;
	size_t o = 0;
	while (p < end) {
		uint32_t cp = hvo_int_utf8_decode(&p);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_le16(out + o, (uint16_t)(0xd800 + (cp >> 10)));
			put_le16(out + o + 2,
				 (uint16_t)(0xdc00 + (cp & 0x3ff)));
			o += 4;
		} else {
			put_le16(out + o, (uint16_t)cp);
			o += 2;
		}
	}
	put_le16(out + o, 0);
	*out_ret = out;
	*nbytes_ret = o;
	return 0;
}

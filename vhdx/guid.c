/*
 * guid.c - GUIDs as VHDX stores them.
 *
 * On disk a GUID is Microsoft's mixed-endian form: Data1 (32 bits), Data2
 * and Data3 (16 bits each) little-endian, then Data4's eight bytes as
 * written.  BAT's 2DC27766-F623-4200-9D64-115E9BFD4A08 is stored as
 * 66 77 C2 2D 23 F6 00 42 9D 64 11 5E 9B FD 4A 08.  We keep the disk bytes
 * and convert only to print or parse text.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "util/bytes.h"
#include "vhdx/internal.h"

bool vhdx_int_guid_is_zero(const struct vhdx_guid *g)
{
	static const struct vhdx_guid zero;
	return memcmp(g->b, zero.b, sizeof(g->b)) == 0;
}

bool vhdx_int_guid_eq(const struct vhdx_guid *a, const struct vhdx_guid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

void vhdx_guid_format(const struct vhdx_guid *g, char buf[37])
{
	const uint8_t *b = g->b;
	snprintf(buf, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 get_le32(b), get_le16(b + 4), get_le16(b + 6), b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool vhdx_int_guid_parse(const char *s, struct vhdx_guid *g)
{
	size_t n = strlen(s);
	if (n == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		n = 36;
	}
	if (n != 36)
		return false;
	/* Text order of the 16 bytes; groups 1-3 are then stored reversed. */
	uint8_t t[16];
	size_t k = 0;
	for (size_t i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
			i++;
			continue;
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		t[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	static const uint8_t order[16] = { 3, 2, 1,  0,	 5,  4,	 7,  6,
					   8, 9, 10, 11, 12, 13, 14, 15 };
	for (size_t i = 0; i < 16; i++)
		g->b[i] = t[order[i]];
	return true;
}

int vhdx_int_guid_random(struct vhdx_guid *g)
{
	size_t got = 0;
	while (got < sizeof(g->b)) {
		ssize_t n = getrandom(g->b + got, sizeof(g->b) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		got += (size_t)n;
	}
	/* RFC 4122 version 4: the version is the high nibble of Data3, whose
	 * high byte is stored second (little-endian); the variant is the top
	 * two bits of Data4[0]. */
	g->b[7] = (uint8_t)((g->b[7] & 0x0f) | 0x40);
	g->b[8] = (uint8_t)((g->b[8] & 0x3f) | 0x80);
	return 0;
}

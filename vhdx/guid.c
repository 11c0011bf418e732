/*
 * guid.c - GUIDs as VHDX stores them.
 *
 * On disk a GUID is Microsoft's mixed-endian form: Data1 (32 bits), Data2
 * and Data3 (16 bits each) little-endian, then Data4's eight bytes as
 * written.  BAT's 2DC27766-F623-4200-9D64-115E9BFD4A08 is stored as
 * 66 77 C2 2D 23 F6 00 42 9D 64 11 5E 9B FD 4A 08.  We keep the disk bytes
 * and convert only to print or parse text (src/util/guid.c).
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "util/guid.h"
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
	hvo_int_guid_format(g->b, false, buf);
}

bool vhdx_int_guid_parse(const char *s, struct vhdx_guid *g)
{
	return hvo_int_guid_parse(s, g->b);
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

/*
 * guid.c - GUIDs as Windows stores them, to and from text (see guid.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "util/bytes.h"
#include "util/guid.h"
#include "util/hex.h"

void hvo_int_guid_format(const uint8_t g[16], bool upper,
			 char out[HVO_GUID_TEXT_SIZE])
{
	snprintf(out, HVO_GUID_TEXT_SIZE,
		 upper ? "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X"
		       : "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 get_le32(g), get_le16(g + 4), get_le16(g + 6), g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

bool hvo_int_guid_parse(const char *s, uint8_t out[16])
{
	if (s == NULL)
		return false;
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
		int v = hvo_int_hex_byte(s + i);
		if (v < 0)
			return false;
		t[k++] = (uint8_t)v;
		i += 2;
	}
	static const uint8_t order[16] = { 3, 2, 1,  0,	 5,  4,	 7,  6,
					   8, 9, 10, 11, 12, 13, 14, 15 };
	for (size_t i = 0; i < 16; i++)
		out[i] = t[order[i]];
	return true;
}

/*
 * regfile_text.c - a .reg file's bytes to UTF-8 text.
 *
 * Files come as UTF-16LE with a BOM (what regedit writes), UTF-8 (what
 * virt-win-reg and hivexregedit users write), or, for REGEDIT4,
 * Windows-1252; UTF-16BE is refused (regedit never writes it).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/utf.h"

/* Windows-1252 0x80..0x9f (0 = undefined: kept as the C1 control). */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0,	0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,	0x017d, 0,
	0,	0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,	0x017e, 0x0178,
};

uint32_t reg_int_cp1252(uint8_t b)
{
	if (b >= 0x80 && b < 0xa0 && cp1252_c1[b - 0x80] != 0)
		return cp1252_c1[b - 0x80];
	return b;
}

/* ---- Decoding the file to UTF-8 text ---- */

int reg_int_regfile_decode(const uint8_t *buf, size_t len, char **text_ret,
			   size_t *len_ret)
{
	if (len >= 2 && buf[0] == 0xfe && buf[1] == 0xff)
		return REG_ERR_UNSUPPORTED; /* UTF-16BE: regedit never */
	bool utf16 = false;
	if (len >= 2 && buf[0] == 0xff && buf[1] == 0xfe) {
		buf += 2;
		len -= 2;
		utf16 = true;
	} else if (len >= 2 && buf[0] != 0 && buf[1] == 0) {
		utf16 = true; /* UTF-16LE without its BOM */
	}
	if (utf16) {
		if (hvo_int_utf16le_to_utf8(buf, len, 0, text_ret, len_ret))
			return REG_ERR_NOMEM;
		return 0;
	}
	if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
		buf += 3;
		len -= 3;
	}
	if (hvo_int_utf8_valid((const char *)buf, len)) {
		char *t = malloc(len + 1);
		if (t == NULL)
			return REG_ERR_NOMEM;
		memcpy(t, buf, len);
		t[len] = '\0';
		*text_ret = t;
		*len_ret = len;
		return 0;
	}
	/* Not UTF-8: an ANSI (Windows-1252) file. */
	char *t = malloc(len * 3 + 1);
	if (t == NULL)
		return REG_ERR_NOMEM;
	size_t o = 0;
	for (size_t i = 0; i < len; i++)
		o += hvo_int_utf8_encode(reg_int_cp1252(buf[i]), t + o);
	t[o] = '\0';
	*text_ret = t;
	*len_ret = o;
	return 0;
}

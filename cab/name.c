/*
 * name.c - member names: display form and safe extraction paths.
 *
 * CFFILE names are bytes.  With attribute 0x80 they are UTF-8; without
 * it, [MS-CAB] leaves the code page to the system that made the cabinet
 * (libmspack's mspack.h calls it ISO-8859-1).  We show 8-bit names as
 * ISO-8859-1, which maps every byte to one character (so nothing is lost
 * or hidden and the result is valid UTF-8) -- the same reading cabextract
 * gives them without --encoding.  Invalid sequences in flagged names
 * become U+FFFD, as cabextract shows them.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cab/cab_internal.h"
#include "util/utf.h"

char *cab_int_name_to_utf8(const uint8_t *raw, size_t len, bool utf8_flag)
{
	/* Worst case: every byte becomes U+FFFD (3 bytes). */
	char *out = malloc(len * 3 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		if (raw[i] < 0x80) {
			out[o++] = (char)raw[i++];
			continue;
		}
		if (!utf8_flag) {
			o += hvo_int_utf8_encode(raw[i++], out + o);
			continue;
		}
		size_t n = hvo_int_utf8_valid_prefix(raw + i, len - i);
		if (n == 0) {
			o += hvo_int_utf8_encode(0xFFFD, out + o);
			i++;
		} else {
			memcpy(out + o, raw + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

/* Windows device names, refused with or without an extension. */
static bool is_device_name(const char *comp, size_t len)
{
	static const char *const devs[] = {
		"CON",	"PRN",	  "AUX",     "NUL",    "COM1", "COM2", "COM3",
		"COM4", "COM5",	  "COM6",    "COM7",   "COM8", "COM9", "LPT1",
		"LPT2", "LPT3",	  "LPT4",    "LPT5",   "LPT6", "LPT7", "LPT8",
		"LPT9", "CONIN$", "CONOUT$", "CLOCK$",
	};
	size_t base = 0;
	while (base < len && comp[base] != '.')
		base++;
	/* "COM1 .txt" is also the device on Windows: trailing spaces. */
	while (base > 0 && comp[base - 1] == ' ')
		base--;
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		size_t dl = strlen(devs[i]);
		if (dl != base)
			continue;
		size_t k;
		for (k = 0; k < dl; k++) {
			char c = comp[k];
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			if (c != devs[i][k])
				break;
		}
		if (k == dl)
			return true;
	}
	return false;
}

int cab_safe_path(const struct cab_entry *entry, char **path_ret,
		  const char **why_ret)
{
	const char *why = NULL;
	const uint8_t *raw = entry->raw_name;
	size_t len = entry->raw_name_len;
	*path_ret = NULL;
	if (len == 0) {
		why = "empty name";
		goto bad;
	}
	if ((entry->attribs & CAB_ATTR_UTF_NAME) &&
	    !hvo_int_utf8_valid((const char *)raw, len)) {
		why = "invalid UTF-8";
		goto bad;
	}
	for (size_t i = 0; i < len; i++) {
		if (raw[i] < 0x20 || raw[i] == 0x7F) {
			why = "control character";
			goto bad;
		}
		if (raw[i] == ':') {
			why = "drive letter or stream name (':')";
			goto bad;
		}
	}
	if (raw[0] == '\\' || raw[0] == '/') {
		why = "absolute path";
		goto bad;
	}
	/* The display name is the UTF-8 path (8-bit names as ISO-8859-1). */
	char *p = strdup(entry->name);
	if (p == NULL)
		return CAB_ERR_NOMEM;
	for (char *q = p; *q; q++)
		if (*q == '\\')
			*q = '/';
	for (char *c = p;;) {
		char *end = strchr(c, '/');
		size_t cl = end ? (size_t)(end - c) : strlen(c);
		if (cl == 0) {
			why = "empty path component";
		} else if ((cl == 1 && c[0] == '.') ||
			   (cl == 2 && c[0] == '.' && c[1] == '.')) {
			why = "'.' or '..' component";
		} else if (c[cl - 1] == '.' || c[cl - 1] == ' ') {
			/* Windows drops these, so "..." or "a. " would
			 * name something else there. */
			why = "component ends in '.' or ' '";
		} else if (is_device_name(c, cl)) {
			why = "Windows device name";
		}
		if (why) {
			free(p);
			goto bad;
		}
		if (end == NULL)
			break;
		c = end + 1;
	}
	*path_ret = p;
	return 0;
bad:
	if (why_ret)
		*why_ret = why;
	return CAB_ERR_UNSAFE_NAME;
}

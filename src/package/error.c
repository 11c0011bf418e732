/*
 * error.c - error codes and messages of src/package, and the small text
 * helpers every parser here uses.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/internal.h"
#include "util/bytes.h"

static const char *const err_text[] = {
	[PKG_OK] = "success",
	[PKG_ERR_NOMEM] = "out of memory",
	[PKG_ERR_IO] = "read error",
	[PKG_ERR_NOT_PACKAGE] = "not a CBS package",
	[PKG_ERR_XML] = "malformed XML",
	[PKG_ERR_MANIFEST] = "invalid manifest",
	[PKG_ERR_INF] = "malformed INF file",
	[PKG_ERR_LIMIT] = "input exceeds a limit",
	[PKG_ERR_HOSTILE] = "refused: DTD or entity declarations",
	[PKG_ERR_UNSUPPORTED] = "unsupported",
	[PKG_ERR_MISSING] = "file missing from the package",
	[PKG_ERR_DIGEST] = "SHA-256 digest mismatch",
	[PKG_ERR_KEY] = "component key does not match",
	[PKG_ERR_CAB] = "unreadable cabinet",
	[PKG_ERR_INVALID_ARG] = "invalid argument",
};

const char *pkg_strerror(enum pkg_err code)
{
	if ((unsigned)code < HVO_ARRAY_SIZE(err_text) && err_text[code])
		return err_text[code];
	return "unknown error";
}

enum hvo_exit pkg_exit_class(const struct pkg_error *err)
{
	switch (err->code) {
	case PKG_OK:
		return HVO_EXIT_OK;
	case PKG_ERR_NOT_PACKAGE:
	case PKG_ERR_XML:
	case PKG_ERR_MANIFEST:
	case PKG_ERR_INF:
	case PKG_ERR_LIMIT:
	case PKG_ERR_HOSTILE:
	case PKG_ERR_MISSING:
	case PKG_ERR_DIGEST:
	case PKG_ERR_KEY:
		return HVO_EXIT_CORRUPT;
	case PKG_ERR_CAB:
		return err->exit_class != HVO_EXIT_OK ? err->exit_class
						      : HVO_EXIT_CORRUPT;
	case PKG_ERR_INVALID_ARG:
		return HVO_EXIT_USAGE;
	case PKG_ERR_NOMEM:
	case PKG_ERR_IO:
	case PKG_ERR_UNSUPPORTED:
	default:
		return HVO_EXIT_FAILED;
	}
}

void pkg_error_clear(struct pkg_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

const char *pkg_errmsg(const struct pkg_error *err, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	const char *msg = err->msg[0] ? err->msg : pkg_strerror(err->code);
	if (err->file[0] && err->line)
		snprintf(buf, size, "%s:%u: %s", err->file, err->line, msg);
	else if (err->file[0])
		snprintf(buf, size, "%s: %s", err->file, msg);
	else
		snprintf(buf, size, "%s", msg);
	return buf;
}

enum pkg_err pkg_int_fail(struct pkg_error *err, enum pkg_err code,
			  const char *file, unsigned line, const char *fmt, ...)
{
	if (err == NULL)
		return code;
	/* Keep the first error of a path: callers may fail again on the
	 * way out (libguestfs's rule: one error per path). */
	if (err->code != PKG_OK)
		return err->code;
	err->code = code;
	err->line = line;
	err->exit_class = HVO_EXIT_OK;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* ---- Case-insensitive ASCII ---- */

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int pkg_int_strcasecmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;
	for (;; p++, q++) {
		int d = lc(*p) - lc(*q);
		if (d != 0 || *p == '\0')
			return d;
	}
}

int pkg_int_strncasecmp(const char *a, const char *b, size_t n)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;
	for (; n > 0; n--, p++, q++) {
		int d = lc(*p) - lc(*q);
		if (d != 0 || *p == '\0')
			return d;
	}
	return 0;
}

bool pkg_int_strcaseeq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return pkg_int_strcasecmp(a, b) == 0;
}

char *pkg_int_lower(struct pkg_arena *a, const char *s)
{
	char *d = pkg_int_strdup(a, s);
	if (d)
		for (char *p = d; *p; p++)
			*p = (char)lc((unsigned char)*p);
	return d;
}

/* ---- Numbers ---- */

bool pkg_int_parse_u64(const char *s, uint64_t *out)
{
	while (*s == ' ' || *s == '\t')
		s++;
	bool neg = false;
	if (*s == '-') {
		neg = true;
		s++;
	}
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	uint64_t v = 0;
	size_t digits = 0;
	for (; *s; s++, digits++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && lc((unsigned char)*s) >= 'a' &&
			 lc((unsigned char)*s) <= 'f')
			d = lc((unsigned char)*s) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (digits == 0 || *s != '\0')
		return false;
	if (neg && v > (uint64_t)INT64_MAX + 1)
		return false;
	*out = neg ? (uint64_t)0 - v : v;
	return true;
}

bool pkg_int_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	if (!pkg_int_parse_u64(s, &v))
		return false;
	/* A negative number fits if it fits as a signed 32-bit one
	 * (Windows INF parsers take "-1" for 0xFFFFFFFF). */
	int64_t sv = (int64_t)v;
	if (v > UINT32_MAX && (sv < INT32_MIN || sv >= 0))
		return false;
	*out = (uint32_t)v;
	return true;
}

/*
 * error.c - trust errors: messages, names, exit classes.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "trust/internal.h"

static const char *const messages[] = {
	[TRUST_OK] = "success",
	[TRUST_ERR_NOMEM] = "out of memory",
	[TRUST_ERR_IO] = "read error",
	[TRUST_ERR_STORE] = "no usable certificate in the trust store",
	[TRUST_ERR_UNSIGNED] = "the cabinet is not signed",
	[TRUST_ERR_MALFORMED] = "malformed Authenticode signature",
	[TRUST_ERR_DIGEST] = "digest mismatch: the cabinet was changed after "
			     "it was signed",
	[TRUST_ERR_SIGNATURE] = "the signature does not verify",
	[TRUST_ERR_TIMESTAMP] = "the timestamp countersignature does not "
				"verify",
	[TRUST_ERR_CHAIN] = "the certificate chain is not valid",
	[TRUST_ERR_UNTRUSTED] = "the certificate chain ends at no trusted "
				"root",
};

static const char *const names[] = {
	[TRUST_OK] = "ok",
	[TRUST_ERR_NOMEM] = "error",
	[TRUST_ERR_IO] = "error",
	[TRUST_ERR_STORE] = "error",
	[TRUST_ERR_UNSIGNED] = "unsigned",
	[TRUST_ERR_MALFORMED] = "malformed",
	[TRUST_ERR_DIGEST] = "digest",
	[TRUST_ERR_SIGNATURE] = "signature",
	[TRUST_ERR_TIMESTAMP] = "timestamp",
	[TRUST_ERR_CHAIN] = "chain",
	[TRUST_ERR_UNTRUSTED] = "untrusted",
};

const char *trust_strerror(int err)
{
	if (err < 0 || err > TRUST_ERR_MAX)
		return "unknown error";
	return messages[err];
}

const char *trust_error_name(int err)
{
	if (err < 0 || err > TRUST_ERR_MAX)
		return "error";
	return names[err];
}

bool trust_error_allowable(int err)
{
	return err == TRUST_ERR_UNSIGNED || err == TRUST_ERR_UNTRUSTED;
}

enum hvo_exit trust_exit_class(int err, bool allow_unsigned)
{
	switch (err) {
	case TRUST_OK:
		return HVO_EXIT_OK;
	case TRUST_ERR_UNSIGNED:
	case TRUST_ERR_UNTRUSTED:
		return allow_unsigned ? HVO_EXIT_OK : HVO_EXIT_CORRUPT;
	case TRUST_ERR_MALFORMED:
	case TRUST_ERR_DIGEST:
	case TRUST_ERR_SIGNATURE:
	case TRUST_ERR_TIMESTAMP:
	case TRUST_ERR_CHAIN:
		return HVO_EXIT_CORRUPT;
	default:
		return HVO_EXIT_FAILED;
	}
}

int trust_int_error(struct trust *t, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->errmsg, sizeof(t->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *trust_errmsg(const struct trust *t)
{
	return t ? t->errmsg : "";
}

char *trust_int_hex(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[2 * n] = 0;
	return s;
}

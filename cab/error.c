/*
 * error.c - error messages and exit classes of the cabinet library.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>

#include "cab/cab_internal.h"
#include "util/bytes.h"

static const char *const messages[] = {
	[CAB_OK] = "success",
	[CAB_ERR_NOMEM] = "out of memory",
	[CAB_ERR_IO] = "input/output error",
	[CAB_ERR_NOT_CAB] = "not a cabinet file",
	[CAB_ERR_CORRUPT] = "corrupt cabinet",
	[CAB_ERR_CHECKSUM] = "CFDATA checksum mismatch",
	[CAB_ERR_DATA] = "compressed data is corrupt",
	[CAB_ERR_UNSUPPORTED] = "unsupported compression method",
	[CAB_ERR_SET_INCOMPLETE] = "cabinet set is incomplete",
	[CAB_ERR_LIMIT] = "extraction limit reached",
	[CAB_ERR_UNSAFE_NAME] = "unsafe member name",
	[CAB_ERR_NOSPACE] = "not enough free space",
	[CAB_ERR_EXISTS] = "file exists",
	[CAB_ERR_ABORTED] = "aborted",
	[CAB_ERR_NOT_FOUND] = "no such member",
	[CAB_ERR_INVALID] = "invalid argument",
	[CAB_ERR_TOO_LARGE] = "member too large",
};

const char *cab_strerror(int err)
{
	if (err < 0 || (size_t)err >= HVO_ARRAY_SIZE(messages) ||
	    messages[err] == NULL)
		return "unknown error";
	return messages[err];
}

enum hvo_exit cab_exit_class(int err)
{
	switch (err) {
	case CAB_OK:
		return HVO_EXIT_OK;
	case CAB_ERR_NOT_CAB:
	case CAB_ERR_CORRUPT:
	case CAB_ERR_CHECKSUM:
	case CAB_ERR_DATA:
	case CAB_ERR_UNSUPPORTED:
		return HVO_EXIT_CORRUPT;
	case CAB_ERR_LIMIT:
	case CAB_ERR_UNSAFE_NAME:
	case CAB_ERR_NOSPACE:
	case CAB_ERR_EXISTS:
		return HVO_EXIT_REFUSED;
	case CAB_ERR_INVALID:
		return HVO_EXIT_USAGE;
	default:
		return HVO_EXIT_FAILED;
	}
}

int cab_int_set_error(struct cab *cab, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cab->errmsg, sizeof(cab->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *cab_errmsg(const struct cab *cab)
{
	return cab ? cab->errmsg : "out of memory";
}

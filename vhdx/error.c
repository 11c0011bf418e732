/*
 * error.c - error codes, their messages and exit classes.
 *
 * The detailed message is set once along each error path, by the function
 * that found the problem; callers pass the code up unchanged (libguestfs'
 * rule: the handle can only store a single error).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/bytes.h"
#include "vhdx/internal.h"

void (*vhdx_int_crash_hook)(const char *point);
void (*vhdx_int_io_hook)(enum vhdx_int_io kind, const void *buf, uint64_t len,
			 uint64_t off);

static const char *const messages[] = {
	[VHDX_OK] = "success",
	[VHDX_ERR_NOMEM] = "out of memory",
	[VHDX_ERR_IO] = "I/O error",
	[VHDX_ERR_NOT_VHDX] = "not a VHDX file",
	[VHDX_ERR_CORRUPT] = "corrupt VHDX structure",
	[VHDX_ERR_TRUNCATED] = "truncated VHDX file",
	[VHDX_ERR_UNSUPPORTED] = "unsupported VHDX feature",
	[VHDX_ERR_LOCKED] = "image in use by another process",
	[VHDX_ERR_READ_ONLY] = "image opened read-only",
	[VHDX_ERR_RANGE] = "outside the virtual disk",
	[VHDX_ERR_INVALID] = "invalid argument",
	[VHDX_ERR_EXISTS] = "file exists",
	[VHDX_ERR_PARENT_MISSING] = "parent image not found",
	[VHDX_ERR_PARENT_MISMATCH] = "parent image does not match",
	[VHDX_ERR_STATE] = "handle unusable after an earlier failure",
};

const char *vhdx_strerror(enum vhdx_err code)
{
	if ((unsigned)code < HVO_ARRAY_SIZE(messages) && messages[code])
		return messages[code];
	return "unknown error";
}

enum hvo_exit vhdx_exit_class(enum vhdx_err code)
{
	switch (code) {
	case VHDX_OK:
		return HVO_EXIT_OK;
	case VHDX_ERR_NOT_VHDX:
	case VHDX_ERR_CORRUPT:
	case VHDX_ERR_TRUNCATED:
	case VHDX_ERR_UNSUPPORTED:
		return HVO_EXIT_CORRUPT;
	case VHDX_ERR_LOCKED:
	case VHDX_ERR_PARENT_MISMATCH:
		return HVO_EXIT_REFUSED;
	case VHDX_ERR_RANGE:
	case VHDX_ERR_INVALID:
		return HVO_EXIT_USAGE;
	case VHDX_ERR_NOMEM:
	case VHDX_ERR_IO:
	case VHDX_ERR_READ_ONLY:
	case VHDX_ERR_EXISTS:
	case VHDX_ERR_PARENT_MISSING:
	case VHDX_ERR_STATE:
		break;
	}
	return HVO_EXIT_FAILED;
}

enum vhdx_err vhdx_int_failv(struct vhdx_error *err, enum vhdx_err code,
			     const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

enum vhdx_err vhdx_int_seterr(struct vhdx_error *err, enum vhdx_err code,
			      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vhdx_int_failv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

enum vhdx_err vhdx_int_fail(struct vhdx_image *img, enum vhdx_err code,
			    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vhdx_int_failv(&img->err, code, fmt, ap);
	va_end(ap);
	return code;
}

enum vhdx_err vhdx_int_fail_errno(struct vhdx_image *img, int errnum,
				  const char *fmt, ...)
{
	char what[VHDX_ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	enum vhdx_err code = errnum == ENOMEM ? VHDX_ERR_NOMEM : VHDX_ERR_IO;
	return vhdx_int_fail(img, code, "%s: %s", what, strerror(errnum));
}

enum vhdx_err vhdx_errcode(const struct vhdx_image *img)
{
	return img ? img->err.code : VHDX_ERR_INVALID;
}

const char *vhdx_errmsg(const struct vhdx_image *img)
{
	if (img == NULL)
		return "no image";
	return img->err.msg[0] ? img->err.msg : vhdx_strerror(img->err.code);
}

/*
 * error.c - the error codes of src/servicing, their messages and exit
 * classes, and the names of commands and statuses (see error.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "servicing/error.h"
#include "util/bytes.h"

static const char *const messages[] = {
	[SVC_OK] = "success",
	[SVC_ERR_NOMEM] = "out of memory",
	[SVC_ERR_IO] = "input/output error",
	[SVC_ERR_INVALID] = "invalid argument",
	[SVC_ERR_SOURCE] = "the source cannot be used",
	[SVC_ERR_CORRUPT] = "corrupt input",
	[SVC_ERR_UNSUPPORTED] = "not possible offline",
	[SVC_ERR_LAUNCH] = "the guest backend did not start",
	[SVC_ERR_GUEST] = "guest access failed",
	[SVC_ERR_REFUSED] = "refused: in use or unsafe",
	[SVC_ERR_NOT_APPLICABLE] = "no package applies",
	[SVC_ERR_DIFFERENCES] = "the guest differs from the plan",
	[SVC_ERR_ABORTED] = "stopped at the caller's request",
	[SVC_ERR_SHUTDOWN] = "the guest backend did not shut down cleanly",
};

const char *svc_strerror(enum svc_err err)
{
	if ((size_t)err >= HVO_ARRAY_SIZE(messages) || messages[err] == NULL)
		return "unknown error";
	return messages[err];
}

enum hvo_exit svc_exit_class(enum svc_err err)
{
	switch (err) {
	case SVC_OK:
		return HVO_EXIT_OK;
	case SVC_ERR_INVALID:
		return HVO_EXIT_USAGE;
	case SVC_ERR_NOT_APPLICABLE:
		return HVO_EXIT_NOT_APPLICABLE;
	case SVC_ERR_REFUSED:
		return HVO_EXIT_REFUSED;
	case SVC_ERR_CORRUPT:
		return HVO_EXIT_CORRUPT;
	default:
		return HVO_EXIT_FAILED;
	}
}

enum svc_err svc_int_err_of_exit(enum hvo_exit cls, enum svc_err failed)
{
	switch (cls) {
	case HVO_EXIT_OK:
		return SVC_OK;
	case HVO_EXIT_USAGE:
		return SVC_ERR_INVALID;
	case HVO_EXIT_NOT_APPLICABLE:
		return SVC_ERR_NOT_APPLICABLE;
	case HVO_EXIT_REFUSED:
		return SVC_ERR_REFUSED;
	case HVO_EXIT_CORRUPT:
		return SVC_ERR_CORRUPT;
	default:
		return failed;
	}
}

static const char *const command_names[] = {
	[SVC_COMMAND_INSPECT] = "inspect",
	[SVC_COMMAND_APPLY] = "apply",
	[SVC_COMMAND_VERIFY] = "verify",
};

const char *svc_command_name(enum svc_command command)
{
	if ((size_t)command >= HVO_ARRAY_SIZE(command_names) ||
	    command_names[command] == NULL)
		return "unknown";
	return command_names[command];
}

static const char *const status_names[] = {
	[SVC_STATUS_NONE] = "none",
	[SVC_STATUS_OK] = "ok",
	[SVC_STATUS_UNSAFE] = "unsafe",
	[SVC_STATUS_CORRUPT] = "corrupt",
	[SVC_STATUS_NO_WINDOWS] = "no-windows",
	[SVC_STATUS_ERROR] = "error",
	[SVC_STATUS_APPLIED] = "applied",
	[SVC_STATUS_UP_TO_DATE] = "up-to-date",
	[SVC_STATUS_DRY_RUN] = "dry-run",
	[SVC_STATUS_VERIFIED] = "verified",
	[SVC_STATUS_DIFFERENCES] = "differences",
	[SVC_STATUS_NOT_APPLICABLE] = "not-applicable",
	[SVC_STATUS_REFUSED] = "refused",
	[SVC_STATUS_FAILED] = "failed",
};

const char *svc_status_name(enum svc_status status)
{
	if ((size_t)status >= HVO_ARRAY_SIZE(status_names))
		return "unknown";
	return status_names[status];
}

enum svc_err svc_int_vfail(struct svc_error *e, enum svc_err code,
			   const char *fmt, va_list ap)
{
	if (e == NULL)
		return code;
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	free(e->msg);
	e->msg = msg;
	e->code = code;
	return code;
}

enum svc_err svc_int_fail(struct svc_error *e, enum svc_err code,
			  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	svc_int_vfail(e, code, fmt, ap);
	va_end(ap);
	return code;
}

enum hvo_exit svc_int_fail_exit(struct svc_error *e, enum hvo_exit *exit_ret,
				enum hvo_exit cls, enum svc_err failed,
				const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	svc_int_vfail(e, svc_int_err_of_exit(cls, failed), fmt, ap);
	va_end(ap);
	*exit_ret = cls;
	return cls;
}

enum svc_err svc_int_fail_class(struct svc_error *e, enum hvo_exit cls,
				enum svc_err failed, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum svc_err code =
		svc_int_vfail(e, svc_int_err_of_exit(cls, failed), fmt, ap);
	va_end(ap);
	return code;
}

enum hvo_exit svc_int_exit_set(enum hvo_exit *exit_ret, enum svc_err code)
{
	*exit_ret = svc_exit_class(code);
	return *exit_ret;
}

const char *svc_int_errmsg_or_empty(const struct svc_error *e)
{
	return e->code == SVC_OK ? "" : svc_int_errtext(e);
}

const char *svc_int_errtext(const struct svc_error *e)
{
	if (e->msg != NULL && e->msg[0] != '\0')
		return e->msg;
	return svc_strerror(e->code);
}

void svc_int_error_clear(struct svc_error *e)
{
	if (e == NULL)
		return;
	free(e->msg);
	e->msg = NULL;
	e->code = SVC_OK;
}

void svc_int_error_move(struct svc_error *to, struct svc_error *from)
{
	svc_int_error_clear(to);
	*to = *from;
	from->msg = NULL;
	from->code = SVC_OK;
}

void svc_int_vemit(void (*fn)(void *ctx, const char *msg), void *ctx,
		   const char *fmt, va_list ap)
{
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	fn(ctx, msg);
	free(msg);
}

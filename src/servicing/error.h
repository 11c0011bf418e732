/*
 * error.h - the one error type of src/servicing.
 *
 * Conventions (as in vhdx/, cab/ and registry/):
 *   - Every servicing function that can fail returns an enum svc_err
 *     (SVC_OK is 0).  The values are fixed: scripts and the JSON report
 *     may keep them.
 *   - The detailed message ("<file>: <what>: <why>") is kept on the object
 *     the call worked on (a session, a source, an apply result) in a
 *     struct svc_error, set once per error path, and read back through
 *     that object's svc_*_errmsg() accessor.  Nothing here prints.
 *   - svc_exit_class() grades an error into the exit classes of
 *     SERVICING.md section 4 (enum hvo_exit).
 */
#ifndef HVO_SERVICING_ERROR_H
#define HVO_SERVICING_ERROR_H

#include <stdarg.h>

#include "hvoffline.h"

enum svc_err {
	SVC_OK = 0,
	SVC_ERR_NOMEM = 1,	 /* out of memory */
	SVC_ERR_IO = 2,		 /* a host file could not be read or written */
	SVC_ERR_INVALID = 3,	 /* the caller's arguments (usage) */
	SVC_ERR_SOURCE = 4,	 /* the --source cannot be used */
	SVC_ERR_CORRUPT = 5,	 /* corrupt input (cabinet, hive, image) */
	SVC_ERR_UNSUPPORTED = 6, /* the package asks for what offline can't */
	SVC_ERR_LAUNCH = 7,	 /* the guest backend did not start */
	SVC_ERR_GUEST = 8,	 /* a guest operation failed */
	SVC_ERR_REFUSED = 9,	 /* in use, or unsafe to touch */
	SVC_ERR_NOT_APPLICABLE = 10, /* no package applies */
	SVC_ERR_DIFFERENCES = 11,    /* verify: the guest differs */
	SVC_ERR_ABORTED = 12,	     /* a callback asked to stop */
	SVC_ERR_SHUTDOWN = 13,	     /* the backend did not shut down cleanly */
};

/* A static sentence for @err ("corrupt input"). */
const char *svc_strerror(enum svc_err err);

/* The exit class of @err (SERVICING.md section 4). */
enum hvo_exit svc_exit_class(enum svc_err err);

/* What a session does. */
enum svc_command {
	SVC_COMMAND_INSPECT = 0,
	SVC_COMMAND_APPLY = 1,
	SVC_COMMAND_VERIFY = 2,
};

/* "inspect", "apply", "verify". */
const char *svc_command_name(enum svc_command command);

/* The outcome of one image, as the reports name it. */
enum svc_status {
	SVC_STATUS_NONE = 0, /* not run yet */
	/* inspect */
	SVC_STATUS_OK = 1,
	SVC_STATUS_UNSAFE = 2,
	SVC_STATUS_CORRUPT = 3,
	SVC_STATUS_NO_WINDOWS = 4,
	SVC_STATUS_ERROR = 5,
	/* apply and verify */
	SVC_STATUS_APPLIED = 6,
	SVC_STATUS_UP_TO_DATE = 7,
	SVC_STATUS_DRY_RUN = 8,
	SVC_STATUS_VERIFIED = 9,
	SVC_STATUS_DIFFERENCES = 10,
	SVC_STATUS_NOT_APPLICABLE = 11,
	SVC_STATUS_REFUSED = 12,
	SVC_STATUS_FAILED = 13,
};

/* "ok", "unsafe", ..., "applied", "up-to-date", "dry-run", ... */
const char *svc_status_name(enum svc_status status);

/* An error with its message, kept on the object that failed.  Zeroed is
 * "no error"; release with svc_int_error_clear(). */
struct svc_error {
	enum svc_err code;
	char *msg; /* malloc'd, or NULL (then svc_strerror(code) is shown) */
};

/* Internal: record an error (replacing any earlier one) and return @code.
 * @e may be NULL.  Out of memory while formatting keeps the code. */
enum svc_err svc_int_fail(struct svc_error *e, enum svc_err code,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
enum svc_err svc_int_vfail(struct svc_error *e, enum svc_err code,
			   const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Internal: for the results that carry an exit class beside their error
 * (services, reg --image, rollback): records the message as svc_int_fail()
 * does, with the error graded from @cls (svc_int_err_of_exit, else
 * @failed), sets *@exit_ret to @cls and returns @cls. */
enum hvo_exit svc_int_fail_exit(struct svc_error *e, enum hvo_exit *exit_ret,
				enum hvo_exit cls, enum svc_err failed,
				const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Internal: records the message as svc_int_fail() does, with the error
 * graded from the exit class @cls of the layer that failed
 * (svc_int_err_of_exit, else @failed); returns that error. */
enum svc_err svc_int_fail_class(struct svc_error *e, enum hvo_exit cls,
				enum svc_err failed, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Internal: for the results that carry an exit class beside their error,
 * when a callee recorded the error on the result's svc_error itself:
 * sets *@exit_ret to the exit class of @code and returns it. */
enum hvo_exit svc_int_exit_set(enum hvo_exit *exit_ret, enum svc_err code);

/* Internal: the message of @e, or the code's sentence (never NULL). */
const char *svc_int_errtext(const struct svc_error *e);

/* Internal: the message of @e, or "" when there is no error (for the
 * svc_*_errmsg() accessors). */
const char *svc_int_errmsg_or_empty(const struct svc_error *e);

/* Internal: frees the message; @e becomes "no error". */
void svc_int_error_clear(struct svc_error *e);

/* Internal: moves @from into @to (clearing @to first, then @from). */
void svc_int_error_move(struct svc_error *to, struct svc_error *from);

/* Internal: the error of an exit class from another layer (a pkg_ or
 * cab_ error graded by its *_exit_class()); @failed for plain failures. */
enum svc_err svc_int_err_of_exit(enum hvo_exit cls, enum svc_err failed);

/* Internal: formats @fmt and hands the message to @fn(@ctx, message);
 * nothing when memory runs out (a progress line or notice is not worth
 * failing for).  The one place servicing's printf-style callbacks
 * format (apply progress, session notices). */
void svc_int_vemit(void (*fn)(void *ctx, const char *msg), void *ctx,
		   const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif /* HVO_SERVICING_ERROR_H */

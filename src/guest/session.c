/*
 * session.c - the front of guest sessions: guest_session_* dispatched to
 * a backend through struct guest_int_session_ops (guest_int.h).
 *
 * Backends:
 *   "appliance"  one libguestfs appliance launch for every image
 *                (appliance.c and the appliance_*.c files)
 *   "native"     each image serviced in its own process, no appliance
 *                (native_*.c; guest_int_native_session_ops)
 *
 * The backend is the one struct guest_session_opts names, else the one
 * $HVOFFLINE_BACKEND names, else native (asked() holds the rule).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/guest_int.h"

int guest_int_session_fail(struct guest_session *s, int err, const char *fmt,
			   ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return err;
}

int guest_int_drive_add(struct guest_session *s, bool launched, void **drives,
			size_t *n, size_t size, const char *path,
			const char *format, bool readonly, const char *name)
{
	if (launched)
		return guest_int_session_fail(
			s, -1, "%s: images must be added before launch",
			name ? name : path);
	if (format == NULL || format[0] == '\0')
		return guest_int_session_fail(
			s, -1, "%s: no image format given", path);
	struct guest_int_drive d = {
		strdup(path),
		strdup(format),
		strdup(name ? name : path),
		readonly,
	};
	char *v = d.path && d.format && d.name
			  ? realloc(*drives, (*n + 1) * size)
			  : NULL;
	if (v == NULL) {
		guest_int_drive_free(&d);
		return guest_int_session_fail(s, -1, "out of memory");
	}
	*drives = v;
	memset(v + *n * size, 0, size);
	memcpy(v + *n * size, &d, sizeof(d));
	return (int)(*n)++;
}

void guest_int_drive_free(struct guest_int_drive *d)
{
	free(d->path);
	free(d->format);
	free(d->name);
}

/* ------------------------------------------------------------------ */
/* A session that cannot be: an unknown or missing backend.  Every     */
/* call fails with the message set when it was made.                   */
/* ------------------------------------------------------------------ */

static struct guest_session *none_create(const struct guest_session_opts *o)
{
	(void)o;
	return calloc(1, sizeof(struct guest_session));
}

static int none_add(struct guest_session *s, const char *path,
		    const char *format, bool readonly, const char *name)
{
	(void)s;
	(void)path;
	(void)format;
	(void)readonly;
	(void)name;
	return -1;
}

static int none_set_size(struct guest_session *s, int disk, uint64_t size)
{
	(void)s;
	(void)disk;
	(void)size;
	return GUEST_E_UNSUPPORTED;
}

static int none_set_head(struct guest_session *s, int disk,
			 const struct guest_disk_head *head)
{
	(void)s;
	(void)disk;
	(void)head;
	return GUEST_E_UNSUPPORTED;
}

static int none_launch(struct guest_session *s)
{
	(void)s;
	return GUEST_E_UNSUPPORTED;
}

static size_t none_ndisks(const struct guest_session *s)
{
	(void)s;
	return 0;
}

static struct guest_disk *none_disk(struct guest_session *s, size_t i)
{
	(void)s;
	(void)i;
	return NULL;
}

static int none_shutdown(struct guest_session *s)
{
	(void)s;
	return GUEST_OK;
}

static void none_close(struct guest_session *s)
{
	free(s);
}

static const struct guest_int_session_ops none_ops = {
	.name = "none",
	.create = none_create,
	.add = none_add,
	.set_size = none_set_size,
	.set_head = none_set_head,
	.launch = none_launch,
	.ndisks = none_ndisks,
	.disk = none_disk,
	.shutdown = none_shutdown,
	.close = none_close,
};

/* ------------------------------------------------------------------ */
/* The public functions.                                               */
/* ------------------------------------------------------------------ */

/* The native backend's table (native_session.c, linked in). */
static const struct guest_int_session_ops *native_ops(void)
{
	return &guest_int_native_session_ops;
}

/* The default backend when nothing names one: native, now that the
 * servicing engine hands writable images to it unlocked (inspect_run.c). */
#define DEFAULT_BACKEND "native"

/* The backend's name as asked: @want, else $HVOFFLINE_BACKEND, else the
 * default.  The one rule; guest_backend_choose and guest_session_new both
 * go through it. */
static const char *asked(const char *want)
{
	if (want == NULL || want[0] == '\0')
		want = getenv("HVOFFLINE_BACKEND");
	if (want == NULL || want[0] == '\0')
		want = DEFAULT_BACKEND;
	return want;
}

const char *guest_backend_choose(const char *want)
{
	want = asked(want);
	if (strcmp(want, "appliance") == 0)
		return "appliance";
	if (strcmp(want, "native") == 0)
		return "native";
	return NULL;
}

bool guest_backend_is_native(const char *want)
{
	const char *b = guest_backend_choose(want);
	return b != NULL && strcmp(b, "native") == 0;
}

bool guest_backend_opens_vhdx(const char *want)
{
	const char *b = guest_backend_choose(want);
	if (b == NULL)
		return false;
	return strcmp(b, "native") == 0 || guest_appliance_serves_vhdx();
}

struct guest_session *guest_session_new(const struct guest_session_opts *opts)
{
	const char *want = asked(opts != NULL ? opts->backend : NULL);

	const struct guest_int_session_ops *ops = NULL;
	char problem[GUEST_ERROR_MAX] = "";
	if (strcmp(want, "appliance") == 0) {
		ops = &guest_int_appliance_session_ops;
	} else if (strcmp(want, "native") == 0) {
		ops = native_ops();
		if (ops == NULL)
			snprintf(problem, sizeof(problem),
				 "guest backend \"native\": not built into "
				 "this hvoffline (use \"appliance\")");
	} else {
		snprintf(problem, sizeof(problem),
			 "guest backend \"%s\": unknown (want \"native\" or "
			 "\"appliance\")",
			 want);
	}
	if (ops == NULL)
		ops = &none_ops;

	struct guest_session *s = ops->create(opts);
	if (s == NULL)
		return NULL;
	s->ops = ops;
	if (opts != NULL)
		s->opts = *opts;
	/* The name chosen, not the caller's string, which may not outlive
	 * the session. */
	s->opts.backend = ops == &none_ops ? NULL : ops->name;
	snprintf(s->error, sizeof(s->error), "%s", problem);
	return s;
}

const char *guest_session_errmsg(const struct guest_session *s)
{
	return s->error;
}

int guest_session_add(struct guest_session *s, const char *path,
		      const char *format, bool readonly, const char *name)
{
	return s->ops->add(s, path, format, readonly, name);
}

int guest_session_set_size(struct guest_session *s, int disk, uint64_t size)
{
	return s->ops->set_size(s, disk, size);
}

int guest_session_set_head(struct guest_session *s, int disk,
			   const struct guest_disk_head *head)
{
	return s->ops->set_head(s, disk, head);
}

int guest_session_launch(struct guest_session *s)
{
	return s->ops->launch(s);
}

const struct guest_launch_result *guest_session_launch_result(
	const struct guest_session *s)
{
	/* A backend that launches nothing reports an empty result. */
	static const struct guest_launch_result none;
	return s->ops->launch_result ? s->ops->launch_result(s) : &none;
}

unsigned guest_session_launches(const struct guest_session *s)
{
	return s->ops->launches ? s->ops->launches(s) : 0;
}

size_t guest_session_ndisks(const struct guest_session *s)
{
	return s->ops->ndisks(s);
}

struct guest_disk *guest_session_disk(struct guest_session *s, size_t i)
{
	return s->ops->disk(s, i);
}

int guest_session_shutdown(struct guest_session *s)
{
	return s->ops->shutdown(s);
}

void guest_session_close(struct guest_session *s)
{
	if (s == NULL)
		return;
	s->ops->close(s);
}

/*
 * native_session.c - guest_session on the native backend: the images a
 * command needs, opened through vhdx/ and read with libntfs-3g in this
 * process, with no appliance.  "Launch" opens every image and reads its
 * partition table; nothing is started.
 *
 * The calls mirror guest_session_* one for one (guest.h), so that the
 * session front (session.c) can dispatch to either backend.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "guest/native_int.h"
#include "guest/native_session.h"

struct native_drive {
	char *path, *format, *name;
	bool readonly;
};

struct native_session {
	struct guest_session_opts opts;
	struct native_drive *drives;
	size_t ndrives;
	struct guest_disk **disks;
	bool launched, shut;
	struct guest_launch_result res;
	char error[GUEST_ERROR_MAX];
};

static int session_fail(struct native_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int session_fail(struct native_session *s, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return err;
}

struct native_session *native_int_session_new(
	const struct guest_session_opts *opts)
{
	struct native_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (opts != NULL)
		s->opts = *opts;
	return s;
}

const char *native_int_session_errmsg(const struct native_session *s)
{
	return s->error;
}

int native_int_session_add(struct native_session *s, const char *path,
			   const char *format, bool readonly, const char *name)
{
	if (s->launched) {
		session_fail(s, GUEST_E_STATE,
			     "%s: images must be added before launch",
			     name ? name : path);
		return -1;
	}
	if (format == NULL || format[0] == '\0') {
		session_fail(s, GUEST_E_STATE, "%s: no image format given",
			     path);
		return -1;
	}
	struct native_drive *nd =
		realloc(s->drives, (s->ndrives + 1) * sizeof(*nd));
	if (nd == NULL) {
		session_fail(s, GUEST_E_NOMEM, "out of memory");
		return -1;
	}
	s->drives = nd;
	struct native_drive *d = &s->drives[s->ndrives];
	*d = (struct native_drive){ .readonly = readonly };
	d->path = strdup(path);
	d->format = strdup(format);
	d->name = strdup(name ? name : path);
	if (d->path == NULL || d->format == NULL || d->name == NULL) {
		free(d->path);
		free(d->format);
		free(d->name);
		session_fail(s, GUEST_E_NOMEM, "out of memory");
		return -1;
	}
	return (int)s->ndrives++;
}

/* The size and head the caller read are not needed: the images are read
 * here directly.  The calls are checked as the appliance checks them. */
int native_int_session_set_size(struct native_session *s, int disk,
				uint64_t size)
{
	if (s->launched || disk < 0 || (size_t)disk >= s->ndrives)
		return session_fail(s, GUEST_E_STATE,
				    "disk %d: no size to set before launch",
				    disk);
	(void)size;
	return GUEST_OK;
}

int native_int_session_set_head(struct native_session *s, int disk,
				const struct guest_disk_head *head)
{
	if (s->launched || disk < 0 || (size_t)disk >= s->ndrives ||
	    head == NULL)
		return session_fail(s, GUEST_E_STATE,
				    "disk %d: no head to set before launch",
				    disk);
	return GUEST_OK;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int native_int_session_launch(struct native_session *s)
{
	if (s->launched)
		return session_fail(s, GUEST_E_STATE, "already launched");
	double t0 = now();
	s->disks = calloc(s->ndrives ? s->ndrives : 1, sizeof(*s->disks));
	if (s->disks == NULL)
		return session_fail(s, GUEST_E_NOMEM, "out of memory");
	for (size_t i = 0; i < s->ndrives; i++) {
		struct native_drive *d = &s->drives[i];
		/* Named as the appliance names its drives: sda, sdb, ...,
		 * sdz, sdaa, ... */
		char dev[32];
		if (i < 26)
			snprintf(dev, sizeof(dev), "/dev/sd%c", (int)('a' + i));
		else
			snprintf(dev, sizeof(dev), "/dev/sd%c%c",
				 (int)('a' + i / 26 - 1), (int)('a' + i % 26));
		char why[GUEST_ERROR_MAX];
		int r = native_int_disk_open(d->path, d->format, d->readonly,
					     d->name, dev, true, &s->disks[i],
					     why, sizeof(why));
		if (r != GUEST_OK) {
			snprintf(s->res.error, sizeof(s->res.error), "%s", why);
			return session_fail(s,
					    r == GUEST_E_NOMEM ? GUEST_E_NOMEM
							       : GUEST_E_LAUNCH,
					    "%s: %s", d->name, why);
		}
	}
	s->launched = true;
	s->res.accel = GUEST_ACCEL_UNKNOWN;
	s->res.seconds = now() - t0;
	return GUEST_OK;
}

const struct guest_launch_result *native_int_session_launch_result(
	const struct native_session *s)
{
	return &s->res;
}

unsigned native_int_session_launches(const struct native_session *s)
{
	(void)s;
	return 0; /* no appliance, ever */
}

size_t native_int_session_ndisks(const struct native_session *s)
{
	return s->ndrives;
}

struct guest_disk *native_int_session_disk(struct native_session *s, size_t i)
{
	if (!s->launched || s->disks == NULL || i >= s->ndrives)
		return NULL;
	return s->disks[i];
}

int native_int_session_shutdown(struct native_session *s)
{
	if (!s->launched || s->shut)
		return GUEST_OK;
	int r = GUEST_OK;
	for (size_t i = 0; i < s->ndrives; i++) {
		if (s->disks[i] == NULL)
			continue;
		char why[GUEST_ERROR_MAX];
		if (native_int_disk_shutdown(s->disks[i], why, sizeof(why)) !=
			    GUEST_OK &&
		    r == GUEST_OK)
			r = session_fail(s, GUEST_E_IO, "%s", why);
	}
	s->shut = true;
	return r;
}

void native_int_session_close(struct native_session *s)
{
	if (s == NULL)
		return;
	native_int_session_shutdown(s);
	for (size_t i = 0; i < s->ndrives; i++) {
		if (s->disks != NULL)
			native_int_disk_free(s->disks[i]);
		free(s->drives[i].path);
		free(s->drives[i].format);
		free(s->drives[i].name);
	}
	free(s->disks);
	free(s->drives);
	free(s);
}

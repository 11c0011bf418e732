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

struct native_session {
	struct guest_session base; /* first: the front's common part */
	struct guest_int_drive *drives;
	size_t ndrives;
	struct guest_disk **disks;
	bool launched, shut;
	struct guest_launch_result res;
};

/* Sets @s's error message and returns @err. */
#define session_fail(s, err, ...) \
	guest_int_session_fail(&(s)->base, (err), __VA_ARGS__)

struct native_session *native_int_session_new(
	const struct guest_session_opts *opts)
{
	struct native_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (opts != NULL)
		s->base.opts = *opts;
	return s;
}

const char *native_int_session_errmsg(const struct native_session *s)
{
	return s->base.error;
}

int native_int_session_add(struct native_session *s, const char *path,
			   const char *format, bool readonly, const char *name)
{
	return guest_int_drive_add(&s->base, s->launched, (void **)&s->drives,
				   &s->ndrives, sizeof(*s->drives), path,
				   format, readonly, name);
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
		struct guest_int_drive *d = &s->drives[i];
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
		guest_int_drive_free(&s->drives[i]);
	}
	free(s->disks);
	free(s->drives);
	free(s);
}

/* ------------------------------------------------------------------ */
/* The session front's table (session.c).                              */
/* ------------------------------------------------------------------ */

static struct native_session *NS(struct guest_session *s)
{
	return (struct native_session *)s;
}

static const struct native_session *CNS(const struct guest_session *s)
{
	return (const struct native_session *)s;
}

static struct guest_session *ops_create(const struct guest_session_opts *o)
{
	struct native_session *s = native_int_session_new(o);
	return s ? &s->base : NULL;
}

static int ops_add(struct guest_session *s, const char *path,
		   const char *format, bool readonly, const char *name)
{
	return native_int_session_add(NS(s), path, format, readonly, name);
}

static int ops_set_size(struct guest_session *s, int disk, uint64_t size)
{
	return native_int_session_set_size(NS(s), disk, size);
}

static int ops_set_head(struct guest_session *s, int disk,
			const struct guest_disk_head *head)
{
	return native_int_session_set_head(NS(s), disk, head);
}

static int ops_launch(struct guest_session *s)
{
	return native_int_session_launch(NS(s));
}

static const struct guest_launch_result *ops_launch_result(
	const struct guest_session *s)
{
	return native_int_session_launch_result(CNS(s));
}

static unsigned ops_launches(const struct guest_session *s)
{
	return native_int_session_launches(CNS(s));
}

static size_t ops_ndisks(const struct guest_session *s)
{
	return native_int_session_ndisks(CNS(s));
}

static struct guest_disk *ops_disk(struct guest_session *s, size_t i)
{
	return native_int_session_disk(NS(s), i);
}

static int ops_shutdown(struct guest_session *s)
{
	return native_int_session_shutdown(NS(s));
}

static void ops_close(struct guest_session *s)
{
	native_int_session_close(NS(s));
}

const struct guest_int_session_ops guest_int_native_session_ops = {
	.name = "native",
	.create = ops_create,
	.add = ops_add,
	.set_size = ops_set_size,
	.set_head = ops_set_head,
	.launch = ops_launch,
	.launch_result = ops_launch_result,
	.launches = ops_launches,
	.ndisks = ops_ndisks,
	.disk = ops_disk,
	.shutdown = ops_shutdown,
	.close = ops_close,
};

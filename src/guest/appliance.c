/*
 * appliance.c - the libguestfs session backend: one appliance launch for
 * every image and ISO of a command (guest_int_appliance_session_ops,
 * chosen by session.c).
 *
 * The session adds each image with an explicit format (never probed by
 * qemu) and, for inspection, read-only: libguestfs then puts a throw-away
 * overlay in front of it, so the image file is never opened for writing.
 * After the launch (through guest_launch(), with its KVM -> TCG fallback)
 * appliance_disk.c finds every disk's partition table and volumes and
 * prepares their mount points.  The other files of the backend are listed
 * in appliance_int.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/appliance_int.h"
#include "guest/ptable.h"

static struct app_session *AS(struct guest_session *s)
{
	return (struct app_session *)s;
}

static const struct app_session *ASC(const struct guest_session *s)
{
	return (const struct app_session *)s;
}

static struct guest_session *app_create(const struct guest_session_opts *opts)
{
	(void)opts; /* the front keeps them in the common part */
	struct app_session *s = calloc(1, sizeof(*s));
	return s ? &s->base : NULL;
}

static int app_add(struct guest_session *gs, const char *path,
		   const char *format, bool readonly, const char *name)
{
	struct app_session *s = AS(gs);
	return guest_int_drive_add(&s->base, s->launched, (void **)&s->drives,
				   &s->ndrives, sizeof(*s->drives), path,
				   format, readonly, name);
}

static int app_set_size(struct guest_session *gs, int disk, uint64_t size)
{
	struct app_session *s = AS(gs);
	if (s->launched || disk < 0 || (size_t)disk >= s->ndrives ||
	    size > INT64_MAX)
		return guest_int_session_fail(
			&s->base, GUEST_E_STATE,
			"disk %d: no size to set before launch", disk);
	s->drives[disk].size = size;
	return GUEST_OK;
}

static int app_set_head(struct guest_session *gs, int disk,
			const struct guest_disk_head *head)
{
	struct app_session *s = AS(gs);
	if (s->launched || disk < 0 || (size_t)disk >= s->ndrives ||
	    s->drives[disk].size == 0 || head->size != s->drives[disk].size)
		return guest_int_session_fail(
			&s->base, GUEST_E_STATE,
			"disk %d: no head to set before launch "
			"but one read with the disk's size",
			disk);
	s->drives[disk].head = head;
	return GUEST_OK;
}

static void on_launch_done(guestfs_h *g, void *opaque, uint64_t event,
			   int event_handle, int flags, const char *buf,
			   size_t buf_len, const uint64_t *array,
			   size_t array_len)
{
	(void)g;
	(void)event;
	(void)event_handle;
	(void)flags;
	(void)buf;
	(void)buf_len;
	(void)array;
	(void)array_len;
	struct app_session *s = opaque;
	s->launches++;
	if (s->base.opts.event) {
		char msg[64];
		snprintf(msg, sizeof(msg), "appliance launch #%u done",
			 s->launches);
		s->base.opts.event(s->base.opts.event_ctx, "launch-done", msg);
	}
}

static void on_notice(void *ctx, const char *msg)
{
	struct app_session *s = ctx;
	if (s->base.opts.event)
		s->base.opts.event(s->base.opts.event_ctx, "notice", msg);
}

/* guest_launch() setup: may run twice (the TCG retry), on fresh handles. */
static int setup_drives(guestfs_h *g, void *ctx)
{
	struct app_session *s = ctx;
	if (guestfs_set_event_callback(g, on_launch_done,
				       GUESTFS_EVENT_LAUNCH_DONE, 0, s) < 0)
		return -1;
	for (size_t i = 0; i < s->ndrives; i++) {
		const struct app_drive *d = &s->drives[i];
		if (d->nbd.pid > 0) {
			if (guest_int_nbd_add_drive(g, &d->nbd) != 0)
				return -1;
			continue;
		}
		if (guestfs_add_drive_opts(
			    g, d->d.path, GUESTFS_ADD_DRIVE_OPTS_FORMAT,
			    d->d.format, GUESTFS_ADD_DRIVE_OPTS_READONLY,
			    d->d.readonly ? 1 : 0, -1) != 0)
			return -1;
	}
	return 0;
}

/* Every VHDX goes to the appliance through nbdkit-hvoffline-plugin when
 * it is installed (appliance_nbdkit.c): started once, before the first
 * launch, and kept across the TCG retry. */
static int start_nbd(struct app_session *s)
{
	if (!guest_int_nbd_available())
		return GUEST_OK;
	for (size_t i = 0; i < s->ndrives; i++) {
		struct app_drive *d = &s->drives[i];
		char err[GUEST_ERROR_MAX];
		if (strcmp(d->d.format, "vhdx") != 0 || d->nbd.pid > 0)
			continue;
		if (guest_int_nbd_start(&d->nbd, d->d.path, d->d.readonly, err,
					sizeof(err)) != 0)
			return guest_int_session_fail(&s->base, GUEST_E_LAUNCH,
						      "%s", err);
	}
	return GUEST_OK;
}

/* After the appliance is gone: each nbdkit flushes and closes its image. */
static int stop_nbd(struct app_session *s)
{
	int r = GUEST_OK;
	for (size_t i = 0; i < s->ndrives; i++) {
		struct app_drive *d = &s->drives[i];
		if (d->nbd.pid > 0 && guest_int_nbd_stop(&d->nbd) != 0 &&
		    r == GUEST_OK)
			r = guest_int_session_fail(
				&s->base, GUEST_E_IO,
				"%s: nbdkit did not close the image cleanly",
				d->d.name);
	}
	return r;
}

static int app_launch(struct guest_session *gs)
{
	struct app_session *s = AS(gs);
	if (s->launched)
		return guest_int_session_fail(&s->base, GUEST_E_STATE,
					      "already launched");
	struct guest_launch_opts lo = s->base.opts.launch;
	lo.notice = on_notice;
	lo.notice_ctx = s;
	int r = start_nbd(s);
	if (r != GUEST_OK) {
		stop_nbd(s);
		return r;
	}
	if (guest_launch(&lo, setup_drives, s, &s->g, &s->res) != 0) {
		r = guest_int_session_fail(&s->base, GUEST_E_LAUNCH, "%s",
					   s->res.error);
	} else {
		s->launched = true;
		r = guest_int_app_discover(s);
	}
	/* The caller's heads are not used after the launch. */
	for (size_t i = 0; i < s->ndrives; i++)
		s->drives[i].head = NULL;
	return r;
}

static const struct guest_launch_result *app_launch_result(
	const struct guest_session *gs)
{
	const struct app_session *s = ASC(gs);
	return &s->res;
}

static unsigned app_launches(const struct guest_session *gs)
{
	const struct app_session *s = ASC(gs);
	return s->launches;
}

static size_t app_ndisks(const struct guest_session *gs)
{
	const struct app_session *s = ASC(gs);
	return s->ndrives;
}

static struct guest_disk *app_disk(struct guest_session *gs, size_t i)
{
	struct app_session *s = AS(gs);
	if (!s->launched || s->disks == NULL || i >= s->ndrives ||
	    s->disks[i] == NULL)
		return NULL;
	return &s->disks[i]->base;
}

static int app_shutdown(struct guest_session *gs)
{
	struct app_session *s = AS(gs);
	if (s->g == NULL)
		return GUEST_OK;
	int r = GUEST_OK;
	for (size_t i = 0; s->disks != NULL && i < s->ndrives; i++) {
		struct app_disk *ad = s->disks[i];
		if (ad == NULL || ad->vols == NULL)
			continue;
		for (size_t j = 0; j < ad->base.layout.nvolumes; j++)
			if (guest_int_app_disk_umount(ad, j) != GUEST_OK &&
			    r == GUEST_OK)
				r = guest_int_session_fail(&s->base, GUEST_E_IO,
							   "%s",
							   ad->base.error);
	}
	/* With every volume unmounted cleanly, ntfs-3g has written and
	 * closed each device (the last close of a block device writes its
	 * page cache out): the umount-all and sync(2) of libguestfs's
	 * autosync would cost about 0.1 s per attached disk for nothing.
	 * After a failed umount they stay, as a last attempt. */
	if (r == GUEST_OK)
		guestfs_set_autosync(s->g, 0);
	if (guestfs_shutdown(s->g) != 0 && r == GUEST_OK)
		r = guest_int_session_fail(&s->base, GUEST_E_IO,
					   "appliance shutdown: %s",
					   g_msg(s->g));
	guestfs_close(s->g);
	s->g = NULL;
	if (stop_nbd(s) != GUEST_OK && r == GUEST_OK)
		r = GUEST_E_IO;
	return r;
}

static void app_close(struct guest_session *gs)
{
	struct app_session *s = AS(gs);
	if (s == NULL)
		return;
	app_shutdown(gs);
	stop_nbd(s);
	for (size_t i = 0; i < s->ndrives; i++) {
		if (s->disks != NULL && s->disks[i] != NULL)
			guest_int_app_disk_close(&s->disks[i]->base);
		guest_int_drive_free(&s->drives[i].d);
	}
	free(s->disks);
	free(s->drives);
	free(s);
}

const struct guest_int_session_ops guest_int_appliance_session_ops = {
	.name = "appliance",
	.create = app_create,
	.add = app_add,
	.set_size = app_set_size,
	.set_head = app_set_head,
	.launch = app_launch,
	.launch_result = app_launch_result,
	.launches = app_launches,
	.ndisks = app_ndisks,
	.disk = app_disk,
	.shutdown = app_shutdown,
	.close = app_close,
};

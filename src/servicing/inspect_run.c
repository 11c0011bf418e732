/*
 * inspect_run.c - several images, one launch (see inspect_run.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/image.h"
#include "servicing/inspect_run.h"

/*
 * Whether the appliance may open an image.  Not: one that failed the
 * pre-flight; a differencing VHDX (qemu cannot open one on its own); a
 * VHDX whose log needs a replay (cannot be opened read-only) or with
 * 4 KiB logical sectors (qemu refuses those); one that
 * another process holds (qemu would fail to lock it, failing the launch
 * for every image).  Those are reported from the pre-flight alone.
 */
static bool launchable(const struct svc_facts *f)
{
	return f->preflight_ok && !f->differencing && !f->vhdx_log_dirty &&
	       !f->vhdx_4k_sectors && !f->in_use;
}

int svc_inspect_images(const struct svc_run_opts *opts,
		       const char *const *images, size_t n,
		       struct svc_facts *facts, struct svc_run *run)
{
	memset(run, 0, sizeof(*run));
	run->image_disk = calloc(n ? n : 1, sizeof(*run->image_disk));
	run->iso_disk =
		calloc(opts->nisos ? opts->nisos : 1, sizeof(*run->iso_disk));
	if (run->image_disk == NULL || run->iso_disk == NULL) {
		snprintf(run->error, sizeof(run->error), "out of memory");
		run->launch_failed = true;
		return -1;
	}
	size_t to_launch = 0;
	for (size_t i = 0; i < n; i++) {
		run->image_disk[i] = -1;
		svc_facts_init(&facts[i], images[i]);
		svc_inspect_preflight(&facts[i], images[i]);
		if (launchable(&facts[i]))
			to_launch++;
	}
	for (size_t i = 0; i < opts->nisos; i++)
		run->iso_disk[i] = -1;
	if (to_launch == 0 && opts->nisos == 0) {
		for (size_t i = 0; i < n; i++)
			svc_inspect_evaluate(&facts[i]);
		return 0;
	}

	run->session = guest_session_new(&opts->guest);
	if (run->session == NULL) {
		snprintf(run->error, sizeof(run->error), "out of memory");
		run->launch_failed = true;
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct svc_facts *f = &facts[i];
		if (!launchable(f))
			continue;
		struct guest_image_info info;
		if (guest_image_sniff(images[i], &info) != 0) {
			snprintf(f->preflight_error, sizeof(f->preflight_error),
				 "changed while being inspected");
			f->preflight_ok = false;
			continue;
		}
		run->image_disk[i] =
			guest_session_add(run->session, images[i], info.format,
					  !opts->writable, images[i]);
		if (run->image_disk[i] < 0)
			r = -1;
	}
	for (size_t i = 0; i < opts->nisos && r == 0; i++) {
		run->iso_disk[i] =
			guest_session_add(run->session, opts->isos[i], "raw",
					  true, opts->isos[i]);
		if (run->iso_disk[i] < 0)
			r = -1;
	}
	if (r == 0 && guest_session_launch(run->session) != GUEST_OK)
		r = -1;
	if (r != 0) {
		snprintf(run->error, sizeof(run->error), "%s",
			 guest_session_error(run->session));
		run->launch_failed = true;
	}

	struct svc_inspect_opts io = { .tmpdir = opts->tmpdir };
	for (size_t i = 0; i < n; i++) {
		struct svc_facts *f = &facts[i];
		if (run->image_disk[i] >= 0 && r == 0) {
			struct guest_disk *d = guest_session_disk(
				run->session, (size_t)run->image_disk[i]);
			if (d != NULL)
				svc_inspect_disk(d, &io, f);
		} else if (run->image_disk[i] >= 0) {
			snprintf(f->disk_error, sizeof(f->disk_error),
				 "the appliance did not start: %.200s",
				 run->error);
		}
		svc_inspect_evaluate(f);
	}
	return r;
}

int svc_run_close(struct svc_run *run)
{
	int r = 0;
	if (run->session != NULL) {
		r = guest_session_shutdown(run->session);
		guest_session_close(run->session);
		run->session = NULL;
	}
	free(run->image_disk);
	free(run->iso_disk);
	run->image_disk = run->iso_disk = NULL;
	return r;
}

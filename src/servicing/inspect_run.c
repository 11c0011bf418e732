/*
 * inspect_run.c - several images, one launch (see inspect_run.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/image.h"
#include "guest/ptable.h"
#include "servicing/inspect_int.h"
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
	if (f->backend_opens_vhdx)
		return f->preflight_ok && !f->in_use;
	return f->preflight_ok && !f->differencing && !f->vhdx_log_dirty &&
	       !f->vhdx_4k_sectors && !f->in_use;
}

static int read_vhdx(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	return vhdx_pread(ctx, buf, len, off) == VHDX_OK ? 0 : -1;
}

static void free_head(struct guest_disk_head *h)
{
	guest_disk_head_free(h);
	free(h);
}

/*
 * The partition table, boot sectors and $Volume records of an image the
 * appliance will open, read here through vhdx/ so that the launch need
 * not read them device by device (guest_session_set_head).  NULL when out
 * of memory or when vhdx/ cannot read the table: the launch then reads it
 * itself, as it always did, and reports what qemu makes of it.
 */
static struct guest_disk_head *read_head(struct vhdx_image *img)
{
	struct vhdx_info info;
	vhdx_get_info(img, &info);
	struct guest_disk_head *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	if (guest_disk_head_read_sectors(read_vhdx, img, info.virtual_size,
					 info.logical_sector_size,
					 h) != GUEST_OK ||
	    h->result == GUEST_PTABLE_IO) {
		free_head(h);
		return NULL;
	}
	return h;
}

/*
 * For a writing run: opens a VHDX for writing through vhdx/, which
 * replays a dirty log in place (as Hyper-V does when it opens the disk)
 * and locks the image, then hands it over to the appliance's qemu while
 * keeping other hvoffline runs out.  The parent of a differencing disk
 * is never opened for writing (that would break the checkpoint chain;
 * inspection refuses it with exit 4).  The partition table and boot
 * sectors are read into *@head_ret before the handover, after which the
 * handle does no more I/O.
 */
static void lock_for_writing(struct svc_facts *f, const char *path,
			     struct vhdx_image **img_ret,
			     struct guest_disk_head **head_ret)
{
	*img_ret = NULL;
	*head_ret = NULL;
	/* Through nbdkit, the plugin opens and locks the image itself (its
	 * parents read-only): here the log is replayed and the head read,
	 * then the image is closed for nbdkit to take. */
	bool via_nbd = f->backend_opens_vhdx;
	if (!f->preflight_ok || f->in_use ||
	    (!via_nbd && (f->differencing || f->vhdx_4k_sectors)) ||
	    strcmp(f->format, "vhdx") != 0)
		return;
	if (f->parent_of_child)
		return;
	struct vhdx_error err;
	struct vhdx_image *img;
	enum vhdx_err r = vhdx_open(path, VHDX_OPEN_WRITE, NULL, &img, &err);
	if (r == VHDX_ERR_LOCKED) {
		f->in_use = true;
		svc_int_text(&f->in_use_by, "%.200s", err.msg);
		return;
	}
	bool opened = r == VHDX_OK;
	if (opened) {
		*head_ret = read_head(img);
		if (via_nbd) {
			struct vhdx_error cerr;
			r = vhdx_close(img, &cerr);
			opened = false;
			snprintf(err.msg, sizeof(err.msg), "%s", cerr.msg);
			img = NULL;
		} else {
			r = vhdx_handover(img);
		}
	}
	if (r != VHDX_OK) {
		f->preflight_ok = false;
		f->preflight_corrupt = vhdx_exit_class(r) == HVO_EXIT_CORRUPT;
		svc_int_text(&f->preflight_error, "%.200s",
			     opened ? vhdx_errmsg(img) : err.msg);
		if (opened)
			vhdx_close(img, NULL);
		free_head(*head_ret);
		*head_ret = NULL;
		return;
	}
	f->vhdx_log_dirty = false;
	*img_ret = img;
}

enum svc_err svc_inspect_images(const struct svc_run_opts *opts,
				const char *const *images, size_t n,
				struct svc_facts *facts, struct svc_run *run)
{
	memset(run, 0, sizeof(*run));
	run->image_disk = calloc(n ? n : 1, sizeof(*run->image_disk));
	run->iso_disk =
		calloc(opts->nisos ? opts->nisos : 1, sizeof(*run->iso_disk));
	run->locks = calloc(n ? n : 1, sizeof(*run->locks));
	run->heads = calloc(n ? n : 1, sizeof(*run->heads));
	run->nimages = n;
	if (run->image_disk == NULL || run->iso_disk == NULL ||
	    run->locks == NULL || run->heads == NULL) {
		run->launch_failed = true;
		return svc_int_fail(&run->error, SVC_ERR_NOMEM,
				    "out of memory");
	}
	size_t to_launch = 0;
	for (size_t i = 0; i < n; i++) {
		run->image_disk[i] = -1;
		svc_facts_init(&facts[i], images[i]);
		facts[i].backend_opens_vhdx =
			guest_backend_opens_vhdx(opts->guest.backend);
		svc_inspect_preflight(&facts[i], images[i], opts->writable);
		/* The native backend opens (replaying the log) and locks a
		 * writable image itself. */
		if (opts->writable &&
		    !guest_backend_is_native(opts->guest.backend))
			lock_for_writing(&facts[i], images[i], &run->locks[i],
					 &run->heads[i]);
		if (opts->writable && facts[i].parent_of_child)
			continue; /* refused; never opened for writing */
		if (launchable(&facts[i]))
			to_launch++;
	}
	for (size_t i = 0; i < opts->nisos; i++)
		run->iso_disk[i] = -1;
	if (to_launch == 0 && opts->nisos == 0) {
		for (size_t i = 0; i < n; i++)
			svc_inspect_evaluate(&facts[i]);
		return SVC_OK;
	}

	run->session = guest_session_new(&opts->guest);
	if (run->session == NULL) {
		run->launch_failed = true;
		return svc_int_fail(&run->error, SVC_ERR_NOMEM,
				    "out of memory");
	}
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct svc_facts *f = &facts[i];
		if (!launchable(f) || (opts->writable && f->parent_of_child))
			continue;
		struct guest_image_info info;
		if (guest_image_sniff(images[i], &info) != 0) {
			svc_int_text(&f->preflight_error,
				     "changed while being inspected");
			f->preflight_ok = false;
			continue;
		}
		run->image_disk[i] =
			guest_session_add(run->session, images[i], info.format,
					  !opts->writable, images[i]);
		if (run->image_disk[i] < 0) {
			r = -1;
			continue;
		}
		if (info.kind != GUEST_IMAGE_VHDX || f->vhdx_virtual_size == 0)
			continue;
		if (!opts->writable) {
			/* Read-only, as the appliance's qemu will open it. */
			struct vhdx_image *img;
			if (vhdx_open(images[i], 0, NULL, &img, NULL) ==
			    VHDX_OK) {
				run->heads[i] = read_head(img);
				vhdx_close(img, NULL);
			}
		}
		if (guest_session_set_size(run->session, run->image_disk[i],
					   f->vhdx_virtual_size) != GUEST_OK ||
		    (run->heads[i] != NULL &&
		     guest_session_set_head(run->session, run->image_disk[i],
					    run->heads[i]) != GUEST_OK))
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
		svc_int_fail(&run->error, SVC_ERR_LAUNCH, "%s",
			     guest_session_errmsg(run->session));
		run->launch_failed = true;
	}

	struct svc_inspect_opts io = { .tmpdir = opts->tmpdir };
	for (size_t i = 0; i < n; i++) {
		struct svc_facts *f = &facts[i];
		if (opts->progress != NULL)
			opts->progress(opts->progress_ctx, images[i]);
		if (run->image_disk[i] >= 0 && r == 0) {
			struct guest_disk *d = guest_session_disk(
				run->session, (size_t)run->image_disk[i]);
			if (d != NULL)
				svc_inspect_disk(d, &io, f);
		} else if (run->image_disk[i] >= 0) {
			svc_int_text(&f->disk_error,
				     "the appliance did not start: %.200s",
				     svc_int_errtext(&run->error));
		}
		svc_inspect_evaluate(f);
	}
	return r == 0 ? SVC_OK : SVC_ERR_LAUNCH;
}

enum svc_err svc_run_close(struct svc_run *run)
{
	int r = 0;
	if (run->session != NULL) {
		r = guest_session_shutdown(run->session);
		guest_session_close(run->session);
		run->session = NULL;
	}
	/* After the appliance is gone: the images are unlocked last. */
	for (size_t i = 0; run->locks && i < run->nimages; i++)
		vhdx_close(run->locks[i], NULL);
	for (size_t i = 0; run->heads && i < run->nimages; i++)
		free_head(run->heads[i]);
	free(run->locks);
	free(run->heads);
	run->locks = NULL;
	run->heads = NULL;
	free(run->image_disk);
	free(run->iso_disk);
	run->image_disk = run->iso_disk = NULL;
	svc_int_error_clear(&run->error);
	return r == 0 ? SVC_OK : SVC_ERR_SHUTDOWN;
}

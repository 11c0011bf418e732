/*
 * inspect_run.h - inspecting several images in one appliance launch.
 *
 * The whole of steps 1 to 3 for a command's images: the native pre-flight
 * of each file, one session holding every image that may be opened (and
 * any ISO the command needs as a source), the launch, the facts of each
 * disk and their evaluation.  The session stays open for the caller: the
 * source ISOs are read from it, and `apply` writes through it.
 */
#ifndef HVO_SERVICING_INSPECT_RUN_H
#define HVO_SERVICING_INSPECT_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "guest/guest.h"
#include "vhdx/vhdx.h"
#include "servicing/error.h"
#include "servicing/inspect.h"

struct svc_run_opts {
	struct guest_session_opts guest;
	/* Images read-write (apply).  Each VHDX is then opened for writing
	 * through vhdx/ first: a dirty log is replayed in place, and the
	 * image stays locked against other hvoffline runs until
	 * svc_run_close() (vhdx_handover lets the appliance's qemu in).  The
	 * parent of a differencing disk is not opened at all. */
	bool writable;
	const char *tmpdir; /* private host directory for hive copies */
	/* Called as each image begins to be read (NULL: not). */
	void (*progress)(void *ctx, const char *image);
	void *progress_ctx;
	/* ISO images added read-only after the images (sources). */
	const char *const *isos;
	size_t nisos;
};

struct svc_run {
	struct guest_session *session;	/* NULL if nothing was launched */
	int *image_disk;		/* per image: disk index, or -1 */
	int *iso_disk;			/* per ISO: disk index, or -1 */
	struct vhdx_image **locks;	/* per image: held for writing, or
					  NULL */
	struct guest_disk_head **heads; /* per image: read on the host for
					   the launch, or NULL */
	size_t nimages;
	struct svc_error error; /* why the launch failed, if it did */
	bool launch_failed;
};

/*
 * Inspects @n images into @facts (initialised here).  Images that fail the
 * pre-flight, or that the appliance cannot open (differencing disks), are
 * not added to the session.  Returns SVC_OK when the appliance launched (or
 * had nothing to open), or SVC_ERR_LAUNCH when it failed (@run->error says
 * why; every launchable image then has a disk error).  Release with
 * svc_run_close() in either case.
 */
enum svc_err svc_inspect_images(const struct svc_run_opts *opts,
				const char *const *images, size_t n,
				struct svc_facts *facts, struct svc_run *run);

/* Closes the session and frees @run's arrays.  SVC_ERR_SHUTDOWN when the
 * backend did not shut down cleanly (writes may be lost). */
enum svc_err svc_run_close(struct svc_run *run);

#endif /* HVO_SERVICING_INSPECT_RUN_H */

/*
 * services_child.h - the managing commands (services, reg --image,
 * rollback) on the native backend: each image in a sandboxed child of its
 * own, --jobs at once, as inspect, apply and verify run
 * (session_child.c; the policy is in doc/security.md).
 *
 *   parent   makes a scratch directory per image and works out what its
 *            child may open (child_paths.h), forks up to @jobs children;
 *   child    enters the confinement (no-new-privileges, limits, Landlock:
 *            read the image, its checkpoints and parent chain and the
 *            extra files named; list the image's folder; write its
 *            scratch directory and, when writing, the image; seccomp),
 *            opens its image alone (services_open.h), runs the command's
 *            step and sends its result as bytes (services_wire.h), after
 *            the backend's notices;
 *   parent   collects the children in the order of the images, replays
 *            their notices and hands each result to the command to
 *            decode.  A child that dies or sends what cannot be read
 *            fails its image with exit 1 and a sentence that says so;
 *            the others go on.
 */
#ifndef HVO_SERVICING_SERVICES_CHILD_H
#define HVO_SERVICING_SERVICES_CHILD_H

#include <stdbool.h>
#include <stddef.h>

#include "servicing/inspect_run.h"
#include "servicing/services_open.h"
#include "servicing/services_wire.h"

struct svc_manage_jobs {
	/* The backend options; its event callback gets the children's
	 * notices, replayed in the parent. */
	const struct svc_run_opts *ro;
	bool write; /* images read-write */
	const char *const *images;
	size_t n;
	unsigned jobs;	    /* children at once; 0: 1 */
	const char *tmpdir; /* the run's scratch directory */
	/* Host files the step reads (reg import's .reg file). */
	const char *const *read_extra;
	size_t nread_extra;
	/* In the child: the work on image @i, opened alone in @m (its
	 * index 0; @opened: svc_manage_open() succeeded), with the private
	 * scratch directory @dir. */
	void (*step)(void *opaque, size_t i, struct svc_manage *m, bool opened,
		     const char *dir);
	/* In the child, after the backend was shut down (@closed_ok false:
	 * not cleanly): image @i's result into @w. */
	void (*put)(void *opaque, size_t i, bool closed_ok,
		    struct svc_mwire *w);
	/* In the parent, in the order of the images: image @i's result from
	 * @r; or, with @r NULL, why its child failed (the result may have
	 * been half decoded before: free it first). */
	void (*get)(void *opaque, size_t i, struct svc_mread *r,
		    const char *why);
	void *opaque;
	/* Tests: the child of this image makes a forbidden system call once
	 * confined; -1 (or any index past the last): none. */
	long test_forbidden_call;
};

/* Runs every image of @j as above.  Returns 0, or -1 when nothing could
 * be started (out of memory; every image was then failed through
 * @j->get). */
int svc_manage_children(const struct svc_manage_jobs *j);

#endif /* HVO_SERVICING_SERVICES_CHILD_H */

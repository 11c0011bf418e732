/*
 * services_open.h - the images of a managing command (services, reg
 * --image, rollback), opened the way inspect and apply open them.
 *
 * One run over every image (svc_inspect_images: the native pre-flight,
 * one guest session, the facts of each disk), then each image's Windows
 * volume mounted on demand.  Works with whichever backend the session
 * uses (guest_session_opts), since everything past the open goes through
 * guest_fs.
 */
#ifndef HVO_SERVICING_SERVICES_OPEN_H
#define HVO_SERVICING_SERVICES_OPEN_H

#include <stdbool.h>
#include <stddef.h>

#include "guest/guest.h"
#include "hvoffline.h"
#include "servicing/inspect.h"
#include "servicing/error.h"
#include "servicing/inspect_run.h"

struct svc_manage {
	size_t n;
	struct svc_facts *facts;
	struct svc_run run;
	bool launched; /* svc_inspect_images succeeded */
	bool writable;
};

/*
 * Opens @n images (read-write when @writable) with @opts (its writable
 * field is set from @writable).  Returns 0, or -1 when the session could
 * not start (@m->run.error says why); @m is to be closed in either case.
 */
int svc_manage_open(struct svc_run_opts *opts, bool writable,
		    const char *const *images, size_t n, struct svc_manage *m);

/*
 * The Windows volume of image @i, mounted read-write when @write.  A
 * write needs a safe image (the inspection verdict); a read only needs
 * Windows to be found.  Returns SVC_OK, or the error with its message on
 * @err (may be NULL): svc_exit_class() of it is the exit class (the
 * verdict's class; 3 when there is no Windows, 4 when the volume can
 * only be mounted read-only, else 1).
 */
enum svc_err svc_manage_fs(struct svc_manage *m, size_t i, bool write,
			   struct guest_fs **fs_ret, struct svc_error *err);

/* Why svc_manage_open() failed ("" if it did not; owned by @m). */
const char *svc_manage_errmsg(const struct svc_manage *m);

/* Shuts the session down (its result: 0, or a guest_error after which
 * written images must be reported as failed) and frees @m. */
int svc_manage_close(struct svc_manage *m);

#endif /* HVO_SERVICING_SERVICES_OPEN_H */

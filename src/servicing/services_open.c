/*
 * services_open.c - opening the images of a managing command (see
 * services_open.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "servicing/inspect_linux.h"
#include "servicing/services_open.h"

int svc_manage_open(struct svc_run_opts *opts, bool writable,
		    const char *const *images, size_t n, struct svc_manage *m)
{
	memset(m, 0, sizeof(*m));
	m->n = n;
	m->writable = writable;
	m->facts = calloc(n ? n : 1, sizeof(*m->facts));
	if (m->facts == NULL) {
		memset(&m->run, 0, sizeof(m->run));
		svc_int_fail(&m->run.error, SVC_ERR_NOMEM, "out of memory");
		return -1;
	}
	opts->writable = writable;
	int r = svc_inspect_images(opts, images, n, m->facts, &m->run);
	m->launched = r == 0;
	return r;
}

/* Records the first problem of the verdict's class, as a sentence, and
 * returns the error of the verdict's exit class. */
static enum svc_err verdict_fail(const struct svc_facts *f,
				 struct svc_error *err)
{
	enum svc_err code = svc_int_err_of_exit(f->verdict, SVC_ERR_GUEST);
	for (size_t i = 0; i < f->nproblems; i++)
		if (f->problems[i].exit == f->verdict)
			return svc_int_fail(err, code, "%s: %s",
					    f->problems[i].code,
					    f->problems[i].message);
	return svc_int_fail(err, code, "%s",
			    f->preflight_error ? f->preflight_error
			    : f->disk_error    ? f->disk_error
					       : "cannot be opened");
}

enum svc_err svc_manage_fs(struct svc_manage *m, size_t i, bool write,
			   struct guest_fs **fs_ret, struct svc_error *err)
{
	*fs_ret = NULL;
	const struct svc_facts *f = &m->facts[i];
	if (write && f->verdict != HVO_EXIT_OK)
		return verdict_fail(f, err);
	if (!f->windows_found) {
		if (f->verdict != HVO_EXIT_OK)
			return verdict_fail(f, err);
		if (f->linux_guest != NULL) {
			/* Linux guests' integration services are their
			 * kernel's and daemons': say so, with its code. */
			char why[640];
			svc_int_linux_not_windows(f, why, sizeof(why));
			return svc_int_fail(err, SVC_ERR_NOT_APPLICABLE,
					    "linux-guest: %s", why);
		}
		return svc_int_fail(err, SVC_ERR_NOT_APPLICABLE,
				    "no Windows installation was found");
	}
	if (write && !m->writable) /* exit class 1, as before */
		return svc_int_fail(err, SVC_ERR_GUEST, "opened read-only");
	if (m->run.session == NULL || m->run.image_disk[i] < 0)
		return svc_int_fail(err, SVC_ERR_GUEST,
				    "the image was not opened");
	struct guest_disk *disk = guest_session_disk(
		m->run.session, (size_t)m->run.image_disk[i]);
	int e;
	if (disk == NULL ||
	    (e = guest_disk_mount(disk, f->windows_volume, !write, fs_ret)) !=
		    GUEST_OK) {
		*fs_ret = NULL;
		return svc_int_fail(err,
				    disk && e == GUEST_E_ROFS ? SVC_ERR_REFUSED
							      : SVC_ERR_GUEST,
				    "the Windows volume cannot be mounted: %s",
				    disk ? guest_disk_errmsg(disk) : "no disk");
	}
	return SVC_OK;
}

const char *svc_manage_errmsg(const struct svc_manage *m)
{
	return svc_int_errtext(&m->run.error);
}

int svc_manage_close(struct svc_manage *m)
{
	int r = svc_run_close(&m->run);
	for (size_t i = 0; m->facts != NULL && i < m->n; i++)
		svc_facts_free(&m->facts[i]);
	free(m->facts);
	m->facts = NULL;
	return r;
}

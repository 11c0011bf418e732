/*
 * services_set.h - turning the guest's integration services on and off
 * (`hvoffline services --enable/--disable`).
 *
 * Disable sets Start 4 (SERVICE_DISABLED) in the current control set;
 * enable gives back the Start the service had before it was disabled, as
 * the newest record of such a change in the guest keeps it, else the one
 * its package defines (services.h).  The SYSTEM hive is edited in place
 * with apply's safety (services_guest.h); each run that changes something
 * leaves a record and its undo data in the guest.
 */
#ifndef HVO_SERVICING_SERVICES_SET_H
#define HVO_SERVICING_SERVICES_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"
#include "hvoffline.h"
#include "servicing/error.h"
#include "servicing/services.h"
#include "util/json.h"

struct svc_services_opts {
	const char *image;	/* for the record */
	const char *systemroot; /* stored spelling, "Windows" */
	const char *tmpdir;	/* private host scratch directory */
	const char *const *enable;
	size_t nenable;
	const char *const *disable;
	size_t ndisable;
	bool dry_run; /* decide and report, write nothing */
};

struct svc_service_change {
	char *service;
	const char *hyperv_name;
	bool enable;
	bool prev_known;
	uint32_t prev_start;
	uint32_t start;
	bool changed;
	/* Where the new Start comes from: "disabled", "record",
	 * "package default", or why nothing changed. */
	const char *why;
};

struct svc_services_result {
	enum hvo_exit exit;
	struct svc_error error;	 /* why it failed (the errmsg accessor) */
	struct svc_ic_list list; /* as found (binaries checked) */
	size_t n;
	struct svc_service_change *v;
	size_t nchanged;
	bool hive_recovered; /* SYSTEM replayed from its logs first */
	char *record;	     /* guest path of the record written */
};

/*
 * Lists the integration services on @fs (the Windows volume; read-only is
 * fine when nothing is to change) and carries out @o's changes.  Returns
 * the exit class, also in @res->exit: 2 for a name that is no integration
 * service of the guest, 4 for a hive that is dirty without logs or a
 * volume mounted read-only, 5 for a corrupt hive.  Free @res with
 * svc_services_result_free().
 */
enum hvo_exit svc_services_run(struct guest_fs *fs,
			       const struct svc_services_opts *o,
			       struct svc_services_result *res);

void svc_services_result_free(struct svc_services_result *res);

/* Why the run failed ("" when it did not; owned by @res). */
const char *svc_services_errmsg(const struct svc_services_result *res);

/* The changes as a JSON array. */
void svc_services_changes_json(const struct svc_services_result *res,
			       struct json_writer *w);

#endif /* HVO_SERVICING_SERVICES_SET_H */

/*
 * inspect_source.h - the --source of a command: a cabinet, a directory of
 * cabinets, or vmguest.iso.
 *
 * Microsoft ships the integration-services packages as cabinets in
 * vmguest.iso (support\amd64\ and support\x86\) and in KB3071740.  A source
 * is classified natively from its bytes; an ISO is added to the command's
 * one appliance launch (never loop-mounted on the host), and its cabinets
 * are copied into the command's private scratch directory.
 */
#ifndef HVO_SERVICING_INSPECT_SOURCE_H
#define HVO_SERVICING_INSPECT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "guest/guest.h"

enum svc_source_kind {
	SVC_SOURCE_CAB = 1,
	SVC_SOURCE_DIR,
	SVC_SOURCE_ISO,
};

/* The most cabinets a source may offer: vmguest.iso has four (two per
 * architecture on older ISOs); a directory of a few hundred updates is
 * still a mistake worth stopping at. */
#define SVC_SOURCE_MAX_CABS 256

struct svc_source_cab {
	char *path;  /* host path (in the scratch directory for an ISO) */
	char *where; /* as shown to the user: "vmguest.iso:support/x86/..." */
};

struct svc_source {
	char *path; /* as the user gave it */
	enum svc_source_kind kind;
	size_t ncabs;
	struct svc_source_cab *cabs;
	char error[512];
};

/* Classifies @path.  Returns 0, or -1 with @src->error set (a missing
 * file, a file that is neither a cabinet nor an ISO image). */
int svc_source_open(const char *path, struct svc_source *src);

/*
 * Lists the cabinets: for a CAB itself, for a directory its *.cab files
 * (any case; not recursive), for an ISO the *.cab files under support\ on
 * @iso_disk (mounted read-only), copied to @tmpdir.  Returns 0, or -1 with
 * @src->error set.
 */
int svc_source_collect(struct svc_source *src, struct guest_disk *iso_disk,
		       const char *tmpdir);

/* "cab", "directory", "iso". */
const char *svc_source_kind_name(enum svc_source_kind k);

void svc_source_free(struct svc_source *src);

#endif /* HVO_SERVICING_INSPECT_SOURCE_H */

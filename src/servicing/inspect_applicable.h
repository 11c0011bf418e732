/*
 * inspect_applicable.h - which integration-services package of a source
 * applies to a guest, and why or why not (SERVICING.md section 3, steps 4
 * and 5).
 *
 * A package applies when its architecture fits the guest's and every one
 * of its <parent> elements is satisfied by an installed package (CBS
 * Packages key or Windows\servicing\Packages); DISM refuses the others
 * with 0x800f081e without touching the image.  Among the packages that
 * apply, the newest is chosen, and compared with what is installed: the
 * file version of vmbus.sys, cross-checked with IntegrationServicesVersion
 * and the installed integration-services packages.
 *
 * Pure: the packages are read once (src/package), the facts were collected
 * by inspection; nothing here does I/O.
 */
#ifndef HVO_SERVICING_INSPECT_APPLICABLE_H
#define HVO_SERVICING_INSPECT_APPLICABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "package/package.h"
#include "servicing/error.h"
#include "servicing/inspect.h"
#include "servicing/inspect_source.h"
#include "util/json.h"

/* Why a package does or does not apply to one guest. */
enum svc_verdict {
	SVC_APPLIES = 0,
	SVC_NO_WINDOWS,	  /* nothing to apply it to */
	SVC_UNREADABLE,	  /* the cabinet is not a readable package */
	SVC_ARCH,	  /* built for another architecture */
	SVC_ARCH_UNKNOWN, /* the guest's architecture is unknown */
	SVC_PARENTS,	  /* no installed package satisfies a <parent> */
	SVC_SKIPPED,	  /* not a candidate: svc_source_package.skip */
};

struct svc_candidate {
	const struct svc_source_package *sp;
	enum svc_verdict verdict;
	char parent[256]; /* the installed package that satisfied a parent */
	char reason[640];
};

struct svc_applicability {
	size_t ncandidates;
	struct svc_candidate *candidates;
	int chosen;		    /* index of the package to apply, or -1 */
	char installed[64];	    /* installed IC version, "" if none */
	const char *installed_from; /* "vmbus.sys", "registry", "package" */
	bool up_to_date;	    /* installed >= chosen package's version */
	char summary[640];	    /* one sentence for people */
};

/* Evaluates every package of @pkgs for the guest of @f into @a (free with
 * svc_applicability_free()).  Returns SVC_OK, or SVC_ERR_NOMEM. */
enum svc_err svc_applicability(const struct svc_facts *f,
			       const struct svc_source_package *pkgs, size_t n,
			       struct svc_applicability *a);

void svc_applicability_free(struct svc_applicability *a);

/* Writes the members of a "packages" object into the object @w has open. */
void svc_applicability_json(const struct svc_applicability *a,
			    struct json_writer *w);

/* True if @name is the update.mum identity of an integration-services
 * package (SERVICING.md section 1). */
bool svc_ic_package_name(const char *name);

/* "applies", "no-windows", "unreadable", "architecture",
 * "architecture-unknown", "parents", "skipped". */
const char *svc_verdict_name(enum svc_verdict v);

#endif /* HVO_SERVICING_INSPECT_APPLICABLE_H */

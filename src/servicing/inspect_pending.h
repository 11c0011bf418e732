/*
 * inspect_pending.h - what an earlier hvoffline run left pending in a
 * guest (issue 18: `inspect` shows what is pending).
 *
 * Read from the guest as it is, with no JSON parsing: the staged
 * packages (%SystemRoot%\hvoffline\Packages\<identity>) that Windows has
 * not installed yet, the first-boot step (doc/firstboot.md: its script,
 * the hook that runs it, and its log), the newest in-guest record (its
 * undo data, services_undo.h) and whether the integration services are
 * still in the state the last apply left them: every Start value a later
 * `services` or `reg --image` change touched is compared with the one it
 * replaced, and the SYSTEM hive with the SHA-256 the newest change left
 * (a hive written since means Windows has run, and nothing can be said).
 */
#ifndef HVO_SERVICING_INSPECT_PENDING_H
#define HVO_SERVICING_INSPECT_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "guest/guest.h"
#include "util/json.h"

#define SVC_PENDING_MAX_STAGED 8
#define SVC_PENDING_MAX_NOTES  8

/* The first-boot step's own markers (doc/firstboot.md). */
struct svc_firstboot_state {
	bool script;	/* %SystemRoot%\hvoffline\firstboot.cmd exists */
	bool log;	/* Logs\hvoffline\firstboot.log exists */
	bool done;	/* ... and holds a "done:" line */
	char last[200]; /* its last line, or "" */
	char script_path[160];
	char log_path[160];
};

/* Reads the markers of the guest whose system root is @systemroot. */
void svc_int_firstboot_state(struct guest_fs *fs, const char *systemroot,
			     struct svc_firstboot_state *st);

/* Whether the markers say the step has run (or started to). */
bool svc_int_firstboot_ran(const struct svc_firstboot_state *st);

struct svc_staged_package {
	char id[256]; /* the folder's name, Name~Token~Arch~Lang~Version */
	char version[32];
	bool installed; /* Windows has it installed (CBS) */
};

struct svc_pending {
	bool read; /* Windows was found and this was filled */
	bool any;  /* something is pending */
	size_t nstaged;
	struct svc_staged_package staged[SVC_PENDING_MAX_STAGED];
	size_t staged_pending; /* staged and not installed */
	/* The first-boot step: "setup-cmdline", "setupcomplete" or "" */
	char firstboot_hook[24];
	struct svc_firstboot_state firstboot;
	bool firstboot_pending; /* its script waits for the next boot */
	/* The newest record. */
	bool have_record;
	char record[300]; /* guest path of its undo data */
	char record_command[32];
	char record_time[32];
	char package[256]; /* the newest apply's package, or "" */
	char version[32];
	char apply_time[32];
	size_t records; /* records not undone */
	size_t files_created, files_replaced, dirs_created, values_changed,
		hives_saved;
	/* The integration services against the last apply: "as-applied",
	 * "changed", "unknown" (no apply recorded, or Windows has run). */
	char ic_state[16];
	size_t nnotes;
	char notes[SVC_PENDING_MAX_NOTES][200];
};

struct svc_facts;

/*
 * Fills @f->pending from the guest's Windows volume @fs.  @hive_dir is
 * the host directory holding inspection's copy of the SYSTEM hive (with
 * its logs).  Reads only.
 */
void svc_int_read_pending(struct guest_fs *fs, struct svc_facts *f,
			  const char *hive_dir);

/* The "pending" object (@w has its key written). */
void svc_pending_json(const struct svc_pending *p, struct json_writer *w);

/* The "pending" lines of the text report. */
void svc_pending_text(const struct svc_pending *p, FILE *out);

#endif /* HVO_SERVICING_INSPECT_PENDING_H */

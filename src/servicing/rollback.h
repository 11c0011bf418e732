/*
 * rollback.h - returning a guest to its state before the last apply
 * (`hvoffline rollback`; issue 18, SERVICING.md section 5).
 *
 * Every recorded change keeps its undo data beside its JSON record in
 * %SystemRoot%\Logs\hvoffline (services_undo.h).  Rollback takes the
 * newest apply's undo data and every one made after it (services, reg
 * --image), or every one when no apply left any, and undoes them in
 * reverse order: each value back as it was (or deleted when it was
 * absent), each hive saved whole put back.  Each hive is edited once in
 * memory; then every new byte is staged in the guest and one journal
 * carries out the switch (files back, hives in, records renamed
 * "*.undone", the rollback record and state): a run that dies at any
 * point is finished by the next run that opens the guest for writing
 * (rollback_journal.h), so that the guest is as before the rollback or
 * as after it, and a second rollback has nothing to do.
 *
 * A guest that changed since (Windows booted and wrote its hives: a hive
 * is no longer the one the newest change left) is refused with exit 4 and
 * a list of what changed, unless forced.
 */
#ifndef HVO_SERVICING_ROLLBACK_H
#define HVO_SERVICING_ROLLBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "guest/guest.h"
#include "hvoffline.h"
#include "servicing/error.h"
#include "util/json.h"

struct svc_rollback_opts {
	const char *image;	/* for the record */
	const char *systemroot; /* stored spelling, "Windows" */
	const char *tmpdir;	/* private host scratch directory */
	bool force;		/* undo even if the guest changed since */
	bool dry_run;		/* say what would be undone */
	/* Tests: the run dies (no clean-up) after this many steps of its
	 * journal (rollback_journal.h); 0: never. */
	unsigned crash_after;
	/* Tests: the run dies (no clean-up) after this many of its staged
	 * writes (each hive edited, its record, its state), before its
	 * journal is written; 0: never. */
	unsigned crash_stage_at;
};

struct svc_rollback_item {
	char *undo;	  /* guest path of the undo data */
	char command[32]; /* "apply", "services", "reg" */
	char time[32];	  /* when the change was made */
	size_t nops;	  /* operations undone */
	bool undone;	  /* renamed .undone */
};

struct svc_rollback_result {
	enum hvo_exit exit;
	struct svc_error error; /* why it failed (the errmsg accessor) */
	size_t n;		/* records undone, newest first */
	struct svc_rollback_item *v;
	char **changed; /* what changed since the newest record */
	size_t nchanged;
	size_t values_restored, hives_restored;
	size_t files_restored, files_removed, dirs_removed;
	char *record; /* guest path of the rollback record */
};

/*
 * Undoes the recorded changes on @fs (the Windows volume, read-write
 * unless @o->dry_run).  Nothing recorded: exit 0 with @res->n = 0.
 * Returns the exit class, also in @res->exit.
 */
enum hvo_exit svc_rollback(struct guest_fs *fs,
			   const struct svc_rollback_opts *o,
			   struct svc_rollback_result *res);

void svc_rollback_result_free(struct svc_rollback_result *res);

/* Why the run failed ("" when it did not; owned by @res). */
const char *svc_rollback_errmsg(const struct svc_rollback_result *res);

/* The result's members, into the JSON object @w has open. */
void svc_rollback_result_json(const struct svc_rollback_result *res,
			      struct json_writer *w);

#endif /* HVO_SERVICING_ROLLBACK_H */

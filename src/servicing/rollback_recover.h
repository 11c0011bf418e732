/*
 * rollback_recover.h - what every run that opens a guest for writing
 * (apply, services, reg --image, rollback) does first: finish or undo
 * what an interrupted earlier run left, and say what that was (issue 18).
 *
 *   rollback   a rollback that died after its journal was written is
 *              finished from the journal (rollback_journal.h);
 *   apply      an apply that died while switching files in has its
 *              originals put back (svc_apply_recover, apply.h);
 *   staged     a rollback that died before its journal was whole left
 *              only staged files: its record and state
 *              ("staged-rollback-*" in the record folder) and the hives it
 *              edited (".SYSTEM.hvo-new" beside each hive, as services
 *              and reg --image also stage theirs).  No journal names
 *              them, so nothing uses them: they are removed.
 *
 * Each thing done is one sentence in the result, for the command to show
 * as a warning; the sentence names the kind of run that was interrupted
 * and the files removed.  A guest with nothing left over gives none.
 */
#ifndef HVO_SERVICING_ROLLBACK_RECOVER_H
#define HVO_SERVICING_ROLLBACK_RECOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "guest/guest.h"
#include "servicing/error.h"

struct svc_recovery {
	bool rollback_finished; /* a rollback's journal was carried out */
	bool apply_recovered;	/* an apply's journal was cleaned up */
	unsigned restored;	/* originals the latter put back */
	size_t removed;		/* leftover staged files removed */
	char **notes;		/* what was done, a sentence each */
	size_t nnotes;
};

/*
 * The recovery above on @fs (read-write), Windows in @systemroot: the
 * rollback's part is svc_int_rollback_recover_noted() (rollback_journal.h),
 * which svc_apply_recover(), and so every library write-open, also runs
 * (without the sentences); this adds the apply's and the sentences.
 * Returns SVC_OK (@rec filled; free it with svc_int_recovery_free), or
 * the error, in @err (@rec then holds what was done before it).
 */
enum svc_err svc_int_recover(struct guest_fs *fs, const char *systemroot,
			     struct svc_recovery *rec, struct svc_error *err);

/* (Defined in rollback_journal.c.) */
void svc_int_recovery_free(struct svc_recovery *rec);

#endif /* HVO_SERVICING_ROLLBACK_RECOVER_H */

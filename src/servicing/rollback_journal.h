/*
 * rollback_journal.h - a rollback's changes to the guest, made
 * all-or-nothing across a crash (issue 18).
 *
 * A rollback first works out everything it will change and writes every
 * new byte into the guest under names of its own: the hives it edited
 * (".SYSTEM.hvo-new" beside each), its record and the state `verify`
 * compares with (staged names in the record folder).  Then it writes this
 * journal, one line per remaining step, and flushes:
 *
 *   R<TAB>from<TAB>to   rename (a kept copy back over its file, a staged
 *                       hive over the hive, a record to "*.undone", the
 *                       staged record and state to their names)
 *   D<TAB>path          remove a file the undone change created
 *   d<TAB>path          remove a directory it created, if empty
 *   E<TAB>path          empty a recovered hive's log (after its hive)
 *
 * From that flush on the rollback is decided: the steps are carried out
 * in order, flushed, and the journal removed.  A run that dies in between
 * leaves the journal, and the next run that opens the guest for writing
 * (rollback, services, reg --image, apply: svc_apply_recover() calls
 * svc_int_rollback_recover()) carries out the rest: every step is skipped
 * when it is already done (a rename whose source is gone, a removal of
 * what is absent), so a replay after any crash ends in the state the
 * whole rollback gives.  A run that dies before the journal is whole
 * changed nothing but staged names, which the next run removes (and
 * names: rollback_recover.h).
 */
#ifndef HVO_SERVICING_ROLLBACK_JOURNAL_H
#define HVO_SERVICING_ROLLBACK_JOURNAL_H

#include <stddef.h>

#include "guest/guest.h"
#include "hvoffline.h"
#include "servicing/error.h"

struct svc_rjournal {
	char *text; /* the lines so far */
	size_t len;
	FILE *m;
	unsigned nsteps;
	/* Staged names to remove if the run gives up before committing. */
	char **staged;
	size_t nstaged;
	/* Tests: the run dies (no clean-up) after this many steps of the
	 * replay (1-based); 0: never. */
	unsigned crash_after;
};

/* "<systemroot>\Logs\hvoffline\rollback-journal.txt" (caller frees). */
char *svc_int_rjournal_path(const char *systemroot);

/* Adds a step.  0, or -1 when out of memory. */
int svc_int_rj_step(struct svc_rjournal *j, char op, const char *a,
		    const char *b);
/* Remembers a staged name (removed by svc_int_rj_abort). */
int svc_int_rj_staged(struct svc_rjournal *j, const char *path);

/* Writes the journal, flushes, carries the steps out, flushes, removes
 * it.  Returns SVC_OK or the error, its message in @err; past the flush
 * of the journal a failure leaves it for the next run to finish. */
enum svc_err svc_int_rj_commit(struct guest_fs *fs, const char *systemroot,
			       struct svc_rjournal *j, struct svc_error *err);

/* Before the commit: removes what was staged. */
void svc_int_rj_abort(struct guest_fs *fs, struct svc_rjournal *j);

void svc_int_rj_free(struct svc_rjournal *j);

/*
 * Finishes a rollback that died after its journal was written: each
 * step not yet done is done, then the journal goes.  Then removes what a
 * rollback killed before its journal was whole left, which no journal
 * names: its staged record and state ("staged-rollback-*" in the record
 * folder) and hives staged beside SYSTEM, SOFTWARE or DEFAULT
 * (".NAME.hvo-new", as services and reg --image stage theirs too).
 * Each thing done is a sentence in @rec (rollback_recover.h; NULL: not
 * kept).  Returns SVC_OK, or the error with its message in @err.
 */
struct svc_recovery;
enum svc_err svc_int_rollback_recover_noted(struct guest_fs *fs,
					    const char *systemroot,
					    struct svc_recovery *rec,
					    struct svc_error *err);
enum svc_err svc_int_rollback_recover(struct guest_fs *fs,
				      const char *systemroot,
				      struct svc_error *err);

#endif /* HVO_SERVICING_ROLLBACK_JOURNAL_H */

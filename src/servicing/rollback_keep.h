/*
 * rollback_keep.h - what apply keeps for rollback (internal to apply).
 *
 * Called by svc_apply() once every item is switched in, in place of
 * removing the set-aside originals: they are moved into a folder beside
 * the run's record ("<record>.saved\N"), the logs of a recovered hive
 * too (before apply empties them), and the undo data of the run is
 * written as "apply-<stamp>-<seq>.undo" (services_undo.h): a file line
 * per item (its previous bytes, or none when it was new, and the SHA-256
 * apply left), a dir line per directory apply created.  Failures here
 * change nothing that matters to the guest and become warnings; the run
 * is then reported as not undoable.
 */
#ifndef HVO_SERVICING_ROLLBACK_KEEP_H
#define HVO_SERVICING_ROLLBACK_KEEP_H

#include <stdbool.h>

#include "guest/guest.h"
#include "servicing/apply_int.h"

/* @hives: apply's hive work, SVC_NHIVES of them.  Returns 0, or -1 when
 * a test stops the run dead here (svc_apply_opts.crash_keep_at).  The
 * kept copies are named by their item's place in the journal
 * ("<record>.saved\N" for item N), so that a recovery finds them. */
int svc_int_rollback_keep(struct guest_fs *fs, const struct svc_plan *p,
			  struct txn *t, const struct hive_work *hives,
			  struct svc_apply_result *res);

/*
 * An apply that died after its switch, before its undo data was written
 * (svc_apply_recover() calls this with the journal's lines, @text, before
 * it clears the journal): when every item of the journal is switched in
 * and no undo data names this run's kept copies yet, the set-aside
 * originals are kept and the undo data written as the run would have
 * (files back byte-identical, files it created removed, the directories
 * of its "D" lines removed), so that rollback can undo it.  A switch that
 * did not complete is left to svc_apply_recover().  Failures leave the
 * run not undoable, as in the run itself.
 */
void svc_int_rollback_keep_recover(struct guest_fs *fs, const char *systemroot,
				   const char *text);

#endif /* HVO_SERVICING_ROLLBACK_KEEP_H */

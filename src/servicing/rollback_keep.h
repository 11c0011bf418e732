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

/* @hives: apply's hive work, SVC_NHIVES of them. */
void svc_int_rollback_keep(struct guest_fs *fs, const struct svc_plan *p,
			   struct txn *t, const struct hive_work *hives,
			   struct svc_apply_result *res);

#endif /* HVO_SERVICING_ROLLBACK_KEEP_H */

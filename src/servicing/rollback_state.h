/*
 * rollback_state.h - the state a rollback restored, kept beside its
 * record so that `verify` after a rollback compares the guest with the
 * recorded previous state (issue 18).
 *
 * "<rollback record>.state" holds, in the undo line format
 * (services_undo.h, parsed by the same strict parser):
 *
 *   file x<path> x <SHA-256>   the file is there with these bytes (its
 *                              previous bytes, put back)
 *   file x<path> x -           the file is absent (the change created it)
 *   dir x<path>                the directory is absent
 *   value <hive> ...           the value as it was before the oldest
 *                              undone change (absent: no such value);
 *                              only for hives not put back whole
 *
 * one line per path or value, for everything the undone records touched.
 */
#ifndef HVO_SERVICING_ROLLBACK_STATE_H
#define HVO_SERVICING_ROLLBACK_STATE_H

#include <stddef.h>

#include "guest/guest.h"
#include "hvoffline.h"
#include "servicing/apply.h"
#include "servicing/services_undo.h"

/* Where a path's bytes will be once a rollback's journal has run
 * (rollback_journal.h): the file @from now holds them (a kept copy), or
 * the path will be gone (@from NULL). */
struct svc_rstate_move {
	const char *path, *from;
};

/*
 * Writes the state after a rollback of the records @u[0..@n) (oldest
 * first) beside the rollback record @record ("...json"), as @state
 * (NULL: "<record>.state").  Each path among the @nmoves @moves is taken
 * as it will be (see above), any other as it is.  Returns SVC_OK, or
 * the error with its message in @err.
 */
enum svc_err svc_int_rollback_state_write(struct guest_fs *fs,
					  const char *systemroot,
					  const struct svc_undo *u, size_t n,
					  const char *record, const char *state,
					  const struct svc_rstate_move *moves,
					  size_t nmoves, struct svc_error *err);

/*
 * When the newest thing recorded in the guest is a rollback (no record
 * made after it is left to undo), compares the guest with the state that
 * rollback kept: each difference into @res (nchecked counts the items),
 * its time into @when.  @tmpdir: a private host directory for hive
 * copies.  Returns SVC_OK with *@compared true when compared, false
 * when the guest's newest record is not a rollback (or no rollback kept
 * a state); or the error, its message in @err (the kept state could not
 * be read: SVC_ERR_GUEST, or parsed: SVC_ERR_CORRUPT).
 */
enum svc_err svc_rollback_verify(struct guest_fs *fs, const char *systemroot,
				 const char *tmpdir,
				 struct svc_verify_result *res, char *when,
				 size_t whenlen, bool *compared,
				 struct svc_error *err);

/* What `verify` found on one image: its status, error class and a
 * sentence for people.  Freed with svc_int_verify_outcome_free(). */
struct svc_verify_outcome {
	enum svc_status status;
	enum svc_err err; /* SVC_OK, SVC_ERR_DIFFERENCES, SVC_ERR_CORRUPT */
	char *msg;	  /* malloc'd; NULL only when memory ran out (then
		      svc_strerror(err) says it) */
};

/* `verify` of one image: after a rollback (svc_rollback_verify), against
 * the state it recorded; else against the plan @p (svc_verify).  The
 * differences into @res, the outcome into @out (whatever it held is
 * overwritten; free it with svc_int_verify_outcome_free()). */
void svc_int_verify_image(struct guest_fs *fs, const struct svc_plan *p,
			  const struct svc_verify_opts *vo, const char *root,
			  struct svc_verify_result *res,
			  struct svc_verify_outcome *out);

/* Frees @out's sentence. */
void svc_int_verify_outcome_free(struct svc_verify_outcome *out);

#endif /* HVO_SERVICING_ROLLBACK_STATE_H */

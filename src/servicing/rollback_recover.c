/*
 * rollback_recover.c - finishing what an interrupted run left, before a
 * run writes to the guest (see rollback_recover.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/apply.h"
#include "servicing/rollback_journal.h"
#include "servicing/rollback_recover.h"
#include "util/strv.h"

enum svc_err svc_int_recover(struct guest_fs *fs, const char *systemroot,
			     struct svc_recovery *rec, struct svc_error *err)
{
	memset(rec, 0, sizeof(*rec));
	/* The rollback's journal first, then what no journal names
	 * (rollback_journal.c), then the apply's journal. */
	enum svc_err r =
		svc_int_rollback_recover_noted(fs, systemroot, rec, err);
	if (r != SVC_OK)
		return r;
	char *aj = svc_apply_journal_path(systemroot);
	if (aj == NULL)
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	bool apply = guest_fs_exists(fs, aj);
	enum svc_err rc =
		svc_apply_recover(fs, systemroot, &rec->restored, err);
	rec->apply_recovered =
		rc == SVC_OK && apply && !guest_fs_exists(fs, aj);
	free(aj);
	if (rec->apply_recovered &&
	    hvo_int_strv_appendf(&rec->notes, &rec->nnotes,
				 "an earlier apply was interrupted while "
				 "switching files in; %u original%s put back",
				 rec->restored,
				 rec->restored == 1 ? "" : "s") != 0)
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	return rc;
}

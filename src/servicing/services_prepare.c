/*
 * services_prepare.c - before a managing command writes to a guest (see
 * services_guest.h).  Kept apart from services_guest.c, which apply
 * itself uses (rollback_keep.c), so that no two files call each other.
 */
#include <config.h>

#include "servicing/apply.h"
#include "servicing/services_guest.h"

enum svc_err svc_int_guest_prepare(struct guest_fs *fs, const char *systemroot,
				   struct svc_error *err)
{
	if (guest_fs_readonly(fs))
		return svc_int_fail(err, SVC_ERR_REFUSED,
				    "%s: the Windows volume is mounted "
				    "read-only",
				    guest_fs_name(fs));
	unsigned restored = 0;
	struct svc_error why = { 0 };
	if (svc_apply_recover(fs, systemroot, &restored, &why) != SVC_OK) {
		/* Graded as before: a failure, whatever stopped it. */
		svc_int_fail(err, SVC_ERR_GUEST,
			     "cleaning up an interrupted apply: %s",
			     svc_int_errtext(&why));
		svc_int_error_clear(&why);
		return SVC_ERR_GUEST;
	}
	return SVC_OK;
}

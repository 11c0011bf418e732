/*
 * services_prepare.c - before a managing command writes to a guest (see
 * services_guest.h).  Kept apart from services_guest.c, which apply
 * itself uses (rollback_keep.c), so that no two files call each other.
 */
#include <config.h>

#include <stdio.h>

#include "servicing/apply.h"
#include "servicing/services_guest.h"

enum hvo_exit svc_int_guest_prepare(struct guest_fs *fs, const char *systemroot,
				    char *err, size_t errlen)
{
	if (guest_fs_readonly(fs)) {
		snprintf(err, errlen,
			 "%s: the Windows volume is mounted read-only",
			 guest_fs_name(fs));
		return HVO_EXIT_REFUSED;
	}
	unsigned restored = 0;
	struct svc_error why = { 0 };
	if (svc_apply_recover(fs, systemroot, &restored, &why) != SVC_OK) {
		snprintf(err, errlen, "cleaning up an interrupted apply: %s",
			 svc_int_errtext(&why));
		svc_int_error_clear(&why);
		return HVO_EXIT_FAILED;
	}
	return HVO_EXIT_OK;
}

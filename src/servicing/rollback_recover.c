/*
 * rollback_recover.c - finishing what an interrupted run left, before a
 * run writes to the guest (see rollback_recover.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "servicing/apply.h"
#include "servicing/apply_int.h"
#include "servicing/rollback_journal.h"
#include "servicing/rollback_recover.h"
#include "servicing/services_guest.h"
#include "util/strv.h"

/* The prefix of a rollback's staged record and state (rollback.c). */
#define STAGED_ROLLBACK "staged-rollback-"

static const char *const hives[] = { "SYSTEM", "SOFTWARE", "DEFAULT" };

/* Removes @path, noting it with @why.  0, or -1 with @err set. */
static int remove_noted(struct guest_fs *fs, const char *path, const char *why,
			struct svc_recovery *rec, struct svc_error *err)
{
	if (guest_fs_remove(fs, path) != GUEST_OK) {
		svc_int_fail(err, SVC_ERR_GUEST, "%s: %s", path,
			     guest_fs_errmsg(fs));
		return -1;
	}
	rec->removed++;
	return hvo_int_strv_appendf(&rec->notes, &rec->nnotes,
				    "removed %s, left in the guest by %s", path,
				    why) == 0
		       ? 0
		       : (svc_int_fail(err, SVC_ERR_NOMEM, "out of memory"),
			  -1);
}

/*
 * What no journal names any more (both were handled before): a
 * rollback's staged record and state in the record folder, and a hive
 * staged beside SYSTEM, SOFTWARE or DEFAULT but never renamed in.
 */
static int sweep(struct guest_fs *fs, const char *systemroot,
		 struct svc_recovery *rec, struct svc_error *err)
{
	char *dir = svc_int_record_dir(systemroot);
	char **names = NULL;
	size_t nn = 0;
	if (dir == NULL) {
		svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
		return -1;
	}
	int e = guest_fs_list(fs, dir, &names, &nn);
	if (e != GUEST_OK && e != GUEST_E_NOENT && e != GUEST_E_NOTDIR) {
		svc_int_fail(err, SVC_ERR_GUEST, "%s: %s", dir,
			     guest_fs_errmsg(fs));
		free(dir);
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < nn && r == 0; i++) {
		if (strncasecmp(names[i], STAGED_ROLLBACK,
				strlen(STAGED_ROLLBACK)) != 0)
			continue;
		char *path;
		if (asprintf(&path, "%s\\%s", dir, names[i]) < 0) {
			svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
			r = -1;
			break;
		}
		r = remove_noted(fs, path,
				 "a rollback interrupted before its journal "
				 "was written (nothing of it had been done)",
				 rec, err);
		free(path);
	}
	guest_names_free(names, nn);
	free(dir);
	for (size_t i = 0; i < sizeof(hives) / sizeof(hives[0]) && r == 0;
	     i++) {
		char *hive = NULL, *tmp = NULL;
		if (asprintf(&hive, "%s\\System32\\config\\%s", systemroot,
			     hives[i]) < 0)
			hive = NULL;
		tmp = hive != NULL ? svc_int_sibling(hive, "hvo-new") : NULL;
		free(hive);
		if (tmp == NULL) {
			svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
			return -1;
		}
		if (guest_fs_exists(fs, tmp))
			r = remove_noted(fs, tmp,
					 "an interrupted run (a copy of the "
					 "hive staged, never switched in)",
					 rec, err);
		free(tmp);
	}
	return r;
}

enum svc_err svc_int_recover(struct guest_fs *fs, const char *systemroot,
			     struct svc_recovery *rec, struct svc_error *err)
{
	memset(rec, 0, sizeof(*rec));
	char *rj = svc_int_rjournal_path(systemroot);
	char *aj = svc_apply_journal_path(systemroot);
	if (rj == NULL || aj == NULL) {
		free(rj);
		free(aj);
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	}
	bool rollback = guest_fs_exists(fs, rj);
	bool apply = guest_fs_exists(fs, aj);
	/* The rollback's journal first (svc_apply_recover() does it so),
	 * then the apply's. */
	enum svc_err rc =
		svc_apply_recover(fs, systemroot, &rec->restored, err);
	if (rc == SVC_OK) {
		rec->rollback_finished = rollback && !guest_fs_exists(fs, rj);
		rec->apply_recovered = apply && !guest_fs_exists(fs, aj);
	}
	int m = 0;
	if (rec->rollback_finished)
		m |= hvo_int_strv_appendf(
			&rec->notes, &rec->nnotes,
			"an earlier rollback was interrupted after its "
			"journal %s was written: finished it (every step "
			"left was carried out)",
			rj);
	if (rec->apply_recovered)
		m |= hvo_int_strv_appendf(
			&rec->notes, &rec->nnotes,
			"an earlier apply was interrupted while switching "
			"files in; %u original%s put back",
			rec->restored, rec->restored == 1 ? "" : "s");
	free(rj);
	free(aj);
	if (m != 0)
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	if (rc != SVC_OK)
		return rc;
	if (sweep(fs, systemroot, rec, err) != 0)
		return err->code != SVC_OK ? err->code : SVC_ERR_GUEST;
	if (rec->removed > 0 && guest_fs_sync(fs) != GUEST_OK)
		return svc_int_fail(err, SVC_ERR_GUEST, "%s",
				    guest_fs_errmsg(fs));
	return SVC_OK;
}

void svc_int_recovery_free(struct svc_recovery *rec)
{
	for (size_t i = 0; i < rec->nnotes; i++)
		free(rec->notes[i]);
	free(rec->notes);
	memset(rec, 0, sizeof(*rec));
}

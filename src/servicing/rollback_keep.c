/*
 * rollback_keep.c - apply's previous bytes and undo data (see
 * rollback_keep.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "servicing/rollback_keep.h"
#include "servicing/services_guest.h"
#include "servicing/services_undo.h"
#include "util/sha256.h"

/* The SHA-256 of what an item put in place. */
static bool item_sha(const struct item *it, uint8_t sha[32])
{
	uint64_t size;
	if (it->host_path != NULL)
		return hvo_int_sha256_file(it->host_path, sha, &size) == 0;
	hvo_int_sha256_buf(it->buf, it->len, sha);
	return true;
}

/* Moves @path into the saved folder as its @n-th copy; the new name, or
 * NULL (with a warning) when it could not be moved. */
static char *keep(struct guest_fs *fs, const char *dir, unsigned n,
		  const char *path, struct svc_apply_result *res)
{
	char *to;
	if (asprintf(&to, "%s\\%u", dir, n) < 0)
		return NULL;
	if (guest_fs_rename(fs, path, to) != GUEST_OK) {
		svc_int_apply_warn(res,
				   "%s: could not keep it for rollback: %s",
				   path, guest_fs_errmsg(fs));
		free(to);
		return NULL;
	}
	return to;
}

/* Whether the run changed anything but its record. */
static bool changed_more(const struct svc_plan *p, const struct txn *t)
{
	if (t->ndirs > 0)
		return true;
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->items[i].target, p->record) != 0)
			return true;
	return false;
}

void svc_int_rollback_keep(struct guest_fs *fs, const struct svc_plan *p,
			   struct txn *t, const struct hive_work *hives,
			   struct svc_apply_result *res)
{
	/* The record's own set-aside copy goes: the record stays, and is
	 * no part of what rollback restores. */
	for (size_t i = 0; i < t->n; i++) {
		struct item *it = &t->items[i];
		if (strcasecmp(it->target, p->record) == 0 && it->set_aside &&
		    guest_fs_remove(fs, it->old) != GUEST_OK)
			svc_int_apply_warn(res, "%s: could not remove: %s",
					   it->old, guest_fs_errmsg(fs));
	}
	/* A run that only rewrote its record (everything was already in
	 * place) leaves no undo data: rollback then undoes the apply that
	 * did the work. */
	if (!changed_more(p, t))
		return;

	struct svc_undo u;
	memset(&u, 0, sizeof(u));
	snprintf(u.command, sizeof(u.command), "apply");
	svc_int_now_iso(u.time, sizeof(u.time));
	char *dir = NULL;
	bool ok = true;
	size_t rl = strlen(p->record);
	if (rl > 5 && strcasecmp(p->record + rl - 5, ".json") == 0)
		rl -= 5;
	if (asprintf(&dir, "%.*s.saved", (int)rl, p->record) < 0)
		dir = NULL;
	if (dir == NULL || guest_fs_mkdir_p(fs, dir) != GUEST_OK) {
		svc_int_apply_warn(res,
				   "%s: cannot keep previous files for "
				   "rollback",
				   dir ? dir : p->record);
		ok = false;
	} else {
		/* The folder is the store's (the originals in it keep their
		 * own descriptors: they were renamed, not copied). */
		if (svc_int_sd_store(fs, dir, true) != GUEST_OK)
			svc_int_apply_warn(res, "%s: security descriptor: %s",
					   dir, guest_fs_errmsg(fs));
	}
	for (size_t i = 0; ok && i < t->ndirs; i++)
		ok = svc_undo_add_dir(&u, t->dirs[i]) == 0;
	unsigned n = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct item *it = &t->items[i];
		if (!ok) {
			/* As before: the set-aside original goes. */
			if (it->set_aside)
				guest_fs_remove(fs, it->old);
			continue;
		}
		if (strcasecmp(it->target, p->record) == 0)
			continue; /* handled above */
		uint8_t sha[32];
		bool has = item_sha(it, sha);
		char *saved = NULL;
		if (it->set_aside &&
		    (saved = keep(fs, dir, ++n, it->old, res)) == NULL) {
			ok = false;
			guest_fs_remove(fs, it->old);
			continue;
		}
		if (svc_undo_add_file(&u, it->target, saved,
				      has ? sha : NULL) != 0)
			ok = false;
		free(saved);
	}
	/* The logs of a recovered hive, which apply empties next. */
	static const uint8_t empty_sha[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
		0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	for (int hv = 0; ok && hv < SVC_NHIVES; hv++) {
		if (!res->hive_written[hv] || !res->hive_recovered[hv])
			continue;
		for (int k = 0; ok && k < 3; k++) {
			if (!hives[hv].log_present[k])
				continue;
			char *g, *saved;
			if (asprintf(&g, "%s%s", hives[hv].guest,
				     svc_int_log_suffix[k]) < 0) {
				ok = false;
				break;
			}
			if ((saved = keep(fs, dir, ++n, g, res)) == NULL ||
			    svc_undo_add_file(&u, g, saved, empty_sha) != 0)
				ok = false;
			free(saved);
			free(g);
		}
	}
	/* The rule of every descriptor apply set, for verify. */
	if (ok && svc_int_sd_undo(t, &u) != 0)
		ok = false;
	char err[600];
	if (ok && svc_int_record_write(fs, p->systemroot, "apply", NULL, &u,
				       NULL, err, sizeof(err)) != HVO_EXIT_OK) {
		svc_int_apply_warn(res, "the undo data: %s", err);
		ok = false;
	}
	if (!ok)
		svc_int_apply_warn(res, "rollback cannot undo this run");
	svc_undo_free(&u);
	free(dir);
}

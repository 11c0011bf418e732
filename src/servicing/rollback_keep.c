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
#include "util/strv.h"

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

int svc_int_rollback_keep(struct guest_fs *fs, const struct svc_plan *p,
			  struct txn *t, const struct hive_work *hives,
			  struct svc_apply_result *res)
{
	unsigned moves = 0, crash = t->opts->crash_keep_at;
	if (crash == 1)
		return -1;
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
		return 0;

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
		if (it->set_aside && crash != 0 && ++moves + 1 == crash) {
			svc_undo_free(&u);
			free(dir);
			return -1;
		}
		if (it->set_aside && (saved = keep(fs, dir, (unsigned)i + 1,
						   it->old, res)) == NULL) {
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
			unsigned n = (unsigned)t->n + 1 + (unsigned)hv * 3 +
				     (unsigned)k;
			if ((saved = keep(fs, dir, n, g, res)) == NULL ||
			    svc_undo_add_file(&u, g, saved, empty_sha) != 0)
				ok = false;
			free(saved);
			free(g);
		}
	}
	/* The rule of every descriptor apply set, for verify. */
	if (ok && svc_int_sd_undo(t, &u) != 0)
		ok = false;
	struct svc_error why = { 0 };
	if (ok && svc_int_record_write(fs, p->systemroot, "apply", NULL, &u,
				       NULL, &why) != SVC_OK) {
		svc_int_apply_warn(res, "the undo data: %s",
				   svc_int_errtext(&why));
		svc_int_error_clear(&why);
		ok = false;
	}
	if (!ok)
		svc_int_apply_warn(res, "rollback cannot undo this run");
	svc_undo_free(&u);
	free(dir);
	return 0;
}

/* One item of an apply journal (apply_switch.c). */
struct jitem {
	char *target, *tmp, *old;
};

/* Whether an undo file in the record folder names @dir (a kept copy of
 * the run whose copies are kept there): then the run wrote its undo
 * data.  Every apply sets hives aside, so its undo data names @dir. */
static bool undo_names(struct guest_fs *fs, const char *systemroot,
		       const char *dir)
{
	char **paths = NULL;
	size_t n = 0;
	bool found = false;
	if (svc_int_record_list(fs, systemroot, &paths, &n) != GUEST_OK)
		return true; /* cannot tell: write nothing */
	size_t dl = strlen(dir);
	for (size_t i = n; !found && i-- > 0;) {
		uint8_t *buf = NULL;
		size_t len = 0;
		struct svc_undo u;
		if (guest_fs_read(fs, paths[i], SVC_UNDO_MAX_BYTES, &buf,
				  &len) != GUEST_OK)
			continue;
		enum svc_err pe = svc_undo_parse(buf, len, &u, NULL);
		free(buf);
		if (pe != SVC_OK)
			continue;
		for (size_t k = 0; !found && k < u.n; k++) {
			const char *sv = u.ops[k].saved;
			found = sv != NULL && strncasecmp(sv, dir, dl) == 0 &&
				sv[dl] == '\\';
		}
		svc_undo_free(&u);
	}
	guest_names_free(paths, n);
	return found;
}

void svc_int_rollback_keep_recover(struct guest_fs *fs, const char *systemroot,
				   const char *text)
{
	char *copy = strdup(text), *save = NULL;
	struct jitem *it = NULL;
	char **dirs = NULL;
	size_t n = 0, nd = 0;
	bool ok = copy != NULL;
	for (char *line = ok ? strtok_r(copy, "\n", &save) : NULL;
	     ok && line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *a = strchr(line, '\t');
		char *b = a ? strchr(a + 1, '\t') : NULL;
		if (a == line + 1 && line[0] == 'D' && b == NULL) {
			ok = hvo_int_strv_appendf(&dirs, &nd, "%s", a + 1) == 0;
			continue;
		}
		if (a == NULL || b == NULL)
			continue;
		*a++ = '\0';
		*b++ = '\0';
		struct jitem *v = realloc(it, (n + 1) * sizeof(*v));
		if (v == NULL) {
			ok = false;
			break;
		}
		it = v;
		it[n++] = (struct jitem){ line, a, b };
	}
	/* Switched in whole: every target there, nothing left staged. */
	for (size_t i = 0; ok && i < n; i++)
		ok = guest_fs_exists(fs, it[i].target) &&
		     !guest_fs_exists(fs, it[i].tmp);
	/* The run's record, by its name in the record folder. */
	char *rdir = ok ? svc_int_record_dir(systemroot) : NULL;
	const char *record = NULL;
	size_t rl = rdir ? strlen(rdir) : 0;
	for (size_t i = 0; rdir != NULL && i < n; i++) {
		const char *t = it[i].target;
		size_t tl = strlen(t);
		if (tl > rl + 11 && strncasecmp(t, rdir, rl) == 0 &&
		    t[rl] == '\\' && strncmp(t + rl + 1, "apply-", 6) == 0 &&
		    strcasecmp(t + tl - 5, ".json") == 0)
			record = t;
	}
	char *dir = NULL;
	if (record != NULL &&
	    asprintf(&dir, "%.*s.saved", (int)(strlen(record) - 5), record) < 0)
		dir = NULL;
	if (dir != NULL && !undo_names(fs, systemroot, dir) &&
	    guest_fs_mkdir_p(fs, dir) == GUEST_OK) {
		struct svc_undo u;
		memset(&u, 0, sizeof(u));
		snprintf(u.command, sizeof(u.command), "apply");
		svc_int_now_iso(u.time, sizeof(u.time));
		bool good = true;
		for (size_t i = 0; good && i < nd; i++)
			good = svc_undo_add_dir(&u, dirs[i]) == 0;
		for (size_t i = 0; good && i < n; i++) {
			if (it[i].target == record) {
				if (guest_fs_exists(fs, it[i].old))
					guest_fs_remove(fs, it[i].old);
				continue;
			}
			char *saved;
			if (asprintf(&saved, "%s\\%zu", dir, i + 1) < 0) {
				good = false;
				break;
			}
			if (guest_fs_exists(fs, it[i].old) &&
			    guest_fs_rename(fs, it[i].old, saved) != GUEST_OK)
				good = false;
			uint8_t sha[32];
			uint64_t size;
			bool has = guest_fs_sha256(fs, it[i].target, sha,
						   &size) == GUEST_OK;
			if (good &&
			    svc_undo_add_file(&u, it[i].target,
					      guest_fs_exists(fs, saved) ? saved
									 : NULL,
					      has ? sha : NULL) != 0)
				good = false;
			free(saved);
		}
		struct svc_error why = { 0 };
		if (good)
			svc_int_record_write(fs, systemroot, "apply", NULL, &u,
					     NULL, &why);
		svc_int_error_clear(&why);
		svc_undo_free(&u);
		guest_fs_sync(fs);
	}
	free(dir);
	free(rdir);
	free(it);
	for (size_t i = 0; i < nd; i++)
		free(dirs[i]);
	free(dirs);
	free(copy);
}

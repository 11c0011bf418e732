/*
 * rollback.c - undoing the recorded changes (see rollback.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/reg.h"
#include "servicing/inspect_pending.h"
#include "servicing/rollback.h"
#include "servicing/rollback_state.h"
#include "servicing/services_guest.h"
#include "servicing/services_undo.h"
#include "util/sha256.h"
#include "util/strv.h"

#define NHIVES 3
static const char *const hive_names[NHIVES] = { "SYSTEM", "SOFTWARE",
						"DEFAULT" };

static int hive_index(const char *name)
{
	for (int i = 0; i < NHIVES; i++)
		if (strcmp(hive_names[i], name) == 0)
			return i;
	return -1;
}

/* The hive a guest path is ("Windows\System32\config\SYSTEM"), or -1. */
static int hive_of_path(const char *systemroot, const char *path)
{
	for (int i = 0; i < NHIVES; i++) {
		char p[300];
		snprintf(p, sizeof(p), "%s\\System32\\config\\%s", systemroot,
			 hive_names[i]);
		if (strcasecmp(p, path) == 0)
			return i;
	}
	return -1;
}

/* Whether @path is in @v (ignoring case); adds it if not. */
static bool seen_path(char ***v, size_t *n, const char *path)
{
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp((*v)[i], path) == 0)
			return true;
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL)
		return true; /* out of memory: check it no more */
	*v = nv;
	if (((*v)[*n] = strdup(path)) != NULL)
		(*n)++;
	return false;
}

/* Records why @res failed (its exit class and message) and returns the
 * class. */
#define fail(res, cls, ...)                                                  \
	svc_int_fail_exit(&(res)->error, &(res)->exit, (cls), SVC_ERR_GUEST, \
			  __VA_ARGS__)

static void changed(struct svc_rollback_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void changed(struct svc_rollback_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hvo_int_strv_vappendf(&res->changed, &res->nchanged, fmt, ap);
	va_end(ap);
}

/* The records to undo: the newest apply's and all after it, else all.
 * *@first_ret is the index of the oldest to undo. */
static size_t first_to_undo(const struct svc_undo *u, size_t n)
{
	for (size_t i = n; i-- > 0;)
		if (strcmp(u[i].command, "apply") == 0)
			return i;
	return 0;
}

/* Whether the first-boot step of an apply in @u ran: its script, which
 * the apply wrote, is gone (the script deletes itself at the end) or
 * changed.  Says so first in @res->changed, with the log's last line, and
 * marks the script's path seen. */
static void first_boot_ran(struct guest_fs *fs,
			   const struct svc_rollback_opts *o,
			   const struct svc_undo *u, size_t n, char ***seen,
			   size_t *nseen, struct svc_rollback_result *res)
{
	struct svc_firstboot_state st;
	svc_int_firstboot_state(fs, o->systemroot, &st);
	for (size_t i = n; i-- > 0;)
		for (size_t k = 0; k < u[i].n; k++) {
			const struct svc_undo_op *op = &u[i].ops[k];
			if (op->kind != SVC_UNDO_FILE || !op->has_sha256 ||
			    strcasecmp(op->path, st.script_path) != 0 ||
			    seen_path(seen, nseen, op->path))
				continue;
			uint8_t sha[32];
			uint64_t size;
			if (st.script &&
			    guest_fs_sha256(fs, op->path, sha, &size) ==
				    GUEST_OK &&
			    memcmp(sha, op->sha256, 32) == 0)
				continue;
			changed(res,
				"the first-boot step of the %s of %s ran "
				"(Windows has booted): %s is %s%s%s%s%s",
				u[i].command, u[i].time, op->path,
				st.script ? "changed" : "gone",
				st.log ? "; " : "", st.log ? st.log_path : "",
				st.log ? ": " : "", st.log ? st.last : "");
		}
}

/* Puts a saved hive in place of @g's working copy. */
static enum hvo_exit load_saved(struct guest_fs *fs, struct svc_ghive *g,
				const char *saved, unsigned k,
				struct svc_rollback_result *res)
{
	char host[1300];
	snprintf(host, sizeof(host), "%s/saved-%u", g->host_dir, k);
	int e = guest_fs_copy_out(fs, saved, host);
	if (e != GUEST_OK)
		return fail(res, guest_exit_class(e), "%s: %s", saved,
			    guest_fs_errmsg(fs));
	struct reg_hive *h = NULL;
	struct reg_open_opts ro = { .flags = REG_OPEN_WRITE | REG_OPEN_RECOVER |
					     REG_OPEN_NO_LOGS };
	e = reg_open(host, &ro, &h);
	if (e != REG_OK) {
		enum hvo_exit x = fail(res, reg_exit_class(e), "%s: %s", saved,
				       h ? reg_errmsg(h) : reg_strerror(e));
		reg_close(h);
		return x;
	}
	reg_close(g->h);
	g->h = h;
	return HVO_EXIT_OK;
}

static enum hvo_exit undo_value(struct svc_ghive *g,
				const struct svc_undo_op *op,
				struct svc_rollback_result *res)
{
	int e = op->existed ? reg_set_value(g->h, op->key, op->name, op->type,
					    op->data, op->len)
			    : reg_delete_value(g->h, op->key, op->name);
	if (e == REG_ERR_NOT_FOUND && !op->existed)
		e = REG_OK; /* already absent */
	if (e != REG_OK)
		return fail(res, reg_exit_class(e), "%s: %s\\%s: %s", g->guest,
			    op->key, op->name, reg_errmsg(g->h));
	res->values_restored++;
	return HVO_EXIT_OK;
}

/*
 * A file the change wrote gets its previous bytes back (the saved copy is
 * renamed over it: byte-identical), a file it created goes, a directory
 * it created goes if empty.  A hive put back whole this way replaces any
 * edits made in memory to it so far (those were of later changes, which
 * the restored bytes predate).
 */
static enum hvo_exit undo_file(struct guest_fs *fs,
			       const struct svc_rollback_opts *o,
			       const struct svc_undo_op *op,
			       struct svc_ghive *g, bool *opened,
			       struct svc_rollback_result *res)
{
	if (op->kind == SVC_UNDO_DIR) {
		if (!o->dry_run && guest_fs_exists(fs, op->path) &&
		    guest_fs_remove(fs, op->path) == GUEST_OK)
			res->dirs_removed++;
		return HVO_EXIT_OK;
	}
	int hx = hive_of_path(o->systemroot, op->path);
	if (hx >= 0 && opened[hx]) {
		svc_int_ghive_close(&g[hx]);
		opened[hx] = false;
	}
	if (op->saved != NULL) {
		res->files_restored++;
		if (o->dry_run)
			return HVO_EXIT_OK;
		int e = guest_fs_rename(fs, op->saved, op->path);
		if (e != GUEST_OK)
			return fail(res, guest_exit_class(e), "%s: %s",
				    op->path, guest_fs_errmsg(fs));
		return HVO_EXIT_OK;
	}
	if (!guest_fs_exists(fs, op->path))
		return HVO_EXIT_OK;
	res->files_removed++;
	if (o->dry_run)
		return HVO_EXIT_OK;
	int e = guest_fs_remove(fs, op->path);
	if (e != GUEST_OK)
		return fail(res, guest_exit_class(e), "%s: %s", op->path,
			    guest_fs_errmsg(fs));
	return HVO_EXIT_OK;
}

static char *make_record(const struct svc_rollback_opts *o,
			 const struct svc_rollback_result *res)
{
	struct svc_record_json r;
	if (svc_int_record_begin(&r, "rollback", NULL, o->image) != 0)
		return NULL;
	hvo_int_json_kv_bool(&r.w, "forced", o->force);
	svc_rollback_result_json(res, &r.w);
	return svc_int_record_end(&r);
}

enum hvo_exit svc_rollback(struct guest_fs *fs,
			   const struct svc_rollback_opts *o,
			   struct svc_rollback_result *res)
{
	memset(res, 0, sizeof(*res));
	char err[900];
	char **paths = NULL;
	size_t npaths = 0;
	struct svc_undo *u = NULL;
	struct svc_ghive g[NHIVES];
	memset(g, 0, sizeof(g));
	bool opened[NHIVES] = { false };
	enum hvo_exit rc = HVO_EXIT_OK;
	if (!o->dry_run &&
	    (rc = svc_int_guest_prepare(fs, o->systemroot, err, sizeof(err))) !=
		    HVO_EXIT_OK)
		return fail(res, rc, "%s", err);
	int e = svc_int_record_list(fs, o->systemroot, &paths, &npaths);
	if (e != GUEST_OK)
		return fail(res, guest_exit_class(e), "%s",
			    guest_fs_errmsg(fs));
	if (npaths == 0)
		goto out; /* nothing recorded, or all undone */
	u = calloc(npaths, sizeof(*u));
	if (u == NULL) {
		rc = fail(res, HVO_EXIT_FAILED, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < npaths; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		e = guest_fs_read(fs, paths[i], SVC_UNDO_MAX_BYTES, &buf, &len);
		if (e != GUEST_OK) {
			rc = fail(res, guest_exit_class(e), "%s: %s", paths[i],
				  guest_fs_errmsg(fs));
			goto out;
		}
		int pe = svc_undo_parse(buf, len, &u[i], err, sizeof(err));
		free(buf);
		if (pe != 0) {
			rc = fail(res, HVO_EXIT_CORRUPT, "%s: %s", paths[i],
				  err);
			goto out;
		}
	}
	size_t first = first_to_undo(u, npaths);
	res->v = calloc(npaths - first, sizeof(*res->v));
	if (res->v == NULL) {
		rc = fail(res, HVO_EXIT_FAILED, "out of memory");
		goto out;
	}
	for (size_t i = npaths; i-- > first;) {
		struct svc_rollback_item *it = &res->v[res->n++];
		it->undo = strdup(paths[i]);
		snprintf(it->command, sizeof(it->command), "%s", u[i].command);
		snprintf(it->time, sizeof(it->time), "%s", u[i].time);
		for (size_t k = 0; k < u[i].n; k++)
			it->nops += u[i].ops[k].kind != SVC_UNDO_AFTER &&
				    u[i].ops[k].kind != SVC_UNDO_SD;
	}

	/* Has anything written the hives or files since the newest change
	 * that touched each did?  First the first-boot step's own markers
	 * (doc/firstboot.md): the script an apply wrote is gone or changed
	 * once it ran. */
	char **seen = NULL;
	size_t nseen = 0;
	first_boot_ran(fs, o, u + first, npaths - first, &seen, &nseen, res);
	for (size_t i = npaths; i-- > first;)
		for (size_t k = u[i].n; k-- > 0;) {
			const struct svc_undo_op *op = &u[i].ops[k];
			char path[300];
			if (op->kind == SVC_UNDO_AFTER &&
			    hive_index(op->hive) >= 0)
				snprintf(path, sizeof(path),
					 "%s\\System32\\config\\%s",
					 o->systemroot, op->hive);
			else if (op->kind == SVC_UNDO_FILE && op->has_sha256)
				snprintf(path, sizeof(path), "%s", op->path);
			else
				continue;
			if (seen_path(&seen, &nseen, path))
				continue;
			bool exists;
			uint8_t sha[32];
			uint64_t size;
			struct guest_stat st;
			e = guest_fs_stat(fs, path, &st);
			exists = e == GUEST_OK;
			if (exists)
				e = guest_fs_sha256(fs, path, sha, &size);
			if (e != GUEST_OK && e != GUEST_E_NOENT)
				changed(res, "%s: %s", path,
					guest_fs_errmsg(fs));
			else if (!exists || memcmp(sha, op->sha256, 32) != 0)
				changed(res,
					"%s %s since the %s of %s "
					"(Windows has run?)",
					path,
					exists ? "was written" : "is gone",
					u[i].command, u[i].time);
		}
	guest_names_free(seen, nseen);
	if (res->nchanged > 0 && !o->force) {
		rc = fail(res, HVO_EXIT_REFUSED,
			  "the guest changed since the last recorded change "
			  "(%s); --force undoes anyway",
			  res->changed[0]);
		goto out;
	}

	/* Undo, newest first, each record's operations in reverse. */
	unsigned nsaved = 0;
	for (size_t i = npaths; i-- > first;)
		for (size_t k = u[i].n; k-- > 0;) {
			const struct svc_undo_op *op = &u[i].ops[k];
			if (op->kind == SVC_UNDO_FILE ||
			    op->kind == SVC_UNDO_DIR) {
				rc = undo_file(fs, o, op, g, opened, res);
				if (rc != HVO_EXIT_OK)
					goto out;
				continue;
			}
			int hx = hive_index(op->hive);
			if (op->kind == SVC_UNDO_AFTER || hx < 0)
				continue;
			if (!opened[hx]) {
				rc = svc_int_ghive_open(
					fs, o->systemroot, op->hive, o->tmpdir,
					true, &g[hx], err, sizeof(err));
				if (rc != HVO_EXIT_OK) {
					fail(res, rc, "%s", err);
					goto out;
				}
				opened[hx] = true;
			}
			if (op->kind == SVC_UNDO_HIVE) {
				rc = load_saved(fs, &g[hx], op->saved, nsaved++,
						res);
				res->hives_restored++;
			} else {
				rc = undo_value(&g[hx], op, res);
			}
			if (rc != HVO_EXIT_OK)
				goto out;
		}
	if (o->dry_run)
		goto out;
	uint8_t sha[32];
	for (int hx = 0; hx < NHIVES; hx++)
		if (opened[hx] &&
		    (rc = svc_int_ghive_stage(&g[hx], sha, err, sizeof(err))) !=
			    HVO_EXIT_OK) {
			fail(res, rc, "%s", err);
			goto out;
		}
	/* The hives first (SOFTWARE before SYSTEM, as apply switches
	 * them), then the records are marked undone: a run that dies in
	 * between leaves records whose undo is already done, which the
	 * next rollback refuses (the hives changed) or redoes with
	 * --force (the same values again). */
	static const int order[NHIVES] = { 2, 1, 0 };
	for (int j = 0; j < NHIVES; j++) {
		int hx = order[j];
		if (opened[hx] &&
		    (rc = svc_int_ghive_switch(fs, &g[hx], err, sizeof(err))) !=
			    HVO_EXIT_OK) {
			fail(res, rc, "%s", err);
			goto out;
		}
	}
	for (size_t i = 0; i < res->n; i++) {
		char *to;
		if (asprintf(&to, "%.*sundone",
			     (int)(strlen(res->v[i].undo) - 4),
			     res->v[i].undo) < 0) {
			rc = fail(res, HVO_EXIT_FAILED, "out of memory");
			goto out;
		}
		e = guest_fs_rename(fs, res->v[i].undo, to);
		free(to);
		if (e != GUEST_OK) {
			rc = fail(res, guest_exit_class(e), "%s: %s",
				  res->v[i].undo, guest_fs_errmsg(fs));
			goto out;
		}
		res->v[i].undone = true;
	}
	char *json = make_record(o, res);
	char *dir = svc_int_record_dir(o->systemroot);
	if (json == NULL || dir == NULL ||
	    asprintf(&res->record, "%s\\rollback-%s.json", dir,
		     res->v[0].time) < 0) {
		res->record = NULL;
		free(json);
		free(dir);
		rc = fail(res, HVO_EXIT_FAILED, "out of memory");
		goto out;
	}
	free(dir);
	/* Named after the newest record it undid: one per state. */
	for (char *p = strrchr(res->record, '\\'); p && *p; p++)
		if (*p == ':')
			*p = '-';
	e = guest_fs_write_atomic(fs, res->record, json, strlen(json));
	free(json);
	/* What was restored, for `verify` (rollback_state.h). */
	enum hvo_exit kept = HVO_EXIT_OK;
	if (e == GUEST_OK)
		kept = svc_int_rollback_state_write(
			fs, o->systemroot, u + first, npaths - first,
			res->record, err, sizeof(err));
	if (e == GUEST_OK)
		e = guest_fs_sync(fs);
	if (e != GUEST_OK)
		rc = fail(res, guest_exit_class(e), "%s: %s", res->record,
			  guest_fs_errmsg(fs));
	else if (kept != HVO_EXIT_OK)
		rc = fail(res, kept,
			  "rolled back, but the state for verify was not "
			  "kept: %s",
			  err);
out:
	for (int hx = 0; hx < NHIVES; hx++)
		svc_int_ghive_close(&g[hx]);
	for (size_t i = 0; u != NULL && i < npaths; i++)
		svc_undo_free(&u[i]);
	free(u);
	guest_names_free(paths, npaths);
	res->exit = rc;
	return rc;
}

void svc_rollback_result_free(struct svc_rollback_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		free(res->v[i].undo);
	free(res->v);
	for (size_t i = 0; i < res->nchanged; i++)
		free(res->changed[i]);
	free(res->changed);
	free(res->record);
	svc_int_error_clear(&res->error);
	memset(res, 0, sizeof(*res));
}

const char *svc_rollback_errmsg(const struct svc_rollback_result *res)
{
	return svc_int_errmsg_or_empty(&res->error);
}

void svc_rollback_result_json(const struct svc_rollback_result *res,
			      struct json_writer *w)
{
	hvo_int_json_key(w, "undone");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < res->n; i++) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "record", res->v[i].undo);
		hvo_int_json_kv_string(w, "command", res->v[i].command);
		hvo_int_json_kv_string(w, "time", res->v[i].time);
		hvo_int_json_kv_uint(w, "operations", res->v[i].nops);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_kv_uint(w, "values_restored", res->values_restored);
	hvo_int_json_kv_uint(w, "hives_restored", res->hives_restored);
	hvo_int_json_kv_uint(w, "files_restored", res->files_restored);
	hvo_int_json_kv_uint(w, "files_removed", res->files_removed);
	hvo_int_json_kv_uint(w, "dirs_removed", res->dirs_removed);
	hvo_int_json_kv_strings(w, "changed_since", res->changed,
				res->nchanged);
}

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
#include "servicing/apply_int.h"
#include "servicing/inspect_pending.h"
#include "servicing/rollback.h"
#include "servicing/rollback_journal.h"
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
	for (size_t i = n; st.script_path != NULL && i-- > 0;)
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
				st.log ? ": " : "",
				st.log && st.last ? st.last : "");
		}
	svc_int_firstboot_state_free(&st);
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
 * it created goes if empty: as steps of the journal, carried out once
 * everything is staged.  A hive put back whole this way replaces any
 * edits made in memory to it so far (those were of later changes, which
 * the restored bytes predate); should an older change edit it again, its
 * working copy starts from the saved bytes (@whole).
 */
static enum hvo_exit undo_file(struct guest_fs *fs,
			       const struct svc_rollback_opts *o,
			       const struct svc_undo_op *op,
			       struct svc_ghive *g, bool *opened,
			       const char **whole, struct svc_rjournal *j,
			       struct svc_rollback_result *res)
{
	int r = 0;
	if (op->kind == SVC_UNDO_DIR) {
		if (guest_fs_exists(fs, op->path)) {
			res->dirs_removed++;
			r = svc_int_rj_step(j, 'd', op->path, NULL);
		}
		return r == 0 ? HVO_EXIT_OK
			      : fail(res, HVO_EXIT_FAILED, "out of memory");
	}
	int hx = hive_of_path(o->systemroot, op->path);
	if (hx >= 0 && opened[hx]) {
		svc_int_ghive_close(&g[hx]);
		opened[hx] = false;
	}
	if (op->saved != NULL) {
		res->files_restored++;
		if (hx >= 0)
			whole[hx] = op->saved;
		r = svc_int_rj_step(j, 'R', op->saved, op->path);
	} else if (guest_fs_exists(fs, op->path)) {
		res->files_removed++;
		if (hx >= 0)
			whole[hx] = NULL;
		r = svc_int_rj_step(j, 'D', op->path, NULL);
	}
	return r == 0 ? HVO_EXIT_OK
		      : fail(res, HVO_EXIT_FAILED, "out of memory");
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

/* @path's name in the record folder with "staged-" before it: new
 * bytes waiting for the journal (caller frees). */
static char *staged_name(const char *path)
{
	const char *b = strrchr(path, '\\');
	char *s;
	return asprintf(&s, "%.*sstaged-%s", b ? (int)(b + 1 - path) : 0, path,
			b ? b + 1 : path) < 0
		       ? NULL
		       : s;
}

/* The moves of @j's file steps, for the state (rollback_state.h). */
static struct svc_rstate_move *moves_of(struct svc_rjournal *j, size_t *n_ret)
{
	*n_ret = 0;
	struct svc_rstate_move *m = calloc(j->nsteps + 1, sizeof(*m));
	if (m == NULL || j->m == NULL || fflush(j->m) != 0 || j->text == NULL)
		return m;
	for (const char *p = j->text; *p;) {
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		const char *a = p + 2, *tab = memchr(a, '\t', (size_t)(nl - a));
		if (*p == 'R' && tab != NULL) {
			m[*n_ret].from = strndup(a, (size_t)(tab - a));
			m[*n_ret].path =
				strndup(tab + 1, (size_t)(nl - tab - 1));
			++*n_ret;
		} else if (*p == 'D') {
			/* A directory ('d') goes only if it is empty then:
			 * taken as it is now, the state does not name it. */
			m[*n_ret].path = strndup(a, (size_t)(nl - a));
			++*n_ret;
		}
		p = nl + 1;
	}
	return m;
}

static void moves_free(struct svc_rstate_move *m, size_t n)
{
	for (size_t i = 0; m != NULL && i < n; i++) {
		free((char *)m[i].path);
		free((char *)m[i].from);
	}
	free(m);
}

/* Tests: whether the run is to die now, after its @n-th staged write
 * (crash_stage_at). */
static bool dies_staged(const struct svc_rollback_opts *o, unsigned *n)
{
	return o->crash_stage_at != 0 && ++*n == o->crash_stage_at;
}

/*
 * Stages every new byte of the rollback in the guest (the hives edited in
 * memory beside their files, the record and the state under staged
 * names), adds the steps that put them in place, the records' renames to
 * "*.undone", and commits the journal (rollback_journal.h).  Before the
 * commit a failure removes what was staged: the guest is as it was.
 */
static enum hvo_exit stage_and_commit(struct guest_fs *fs,
				      const struct svc_rollback_opts *o,
				      const struct svc_undo *u, size_t nu,
				      struct svc_ghive *g, const bool *opened,
				      struct svc_rjournal *j,
				      struct svc_rollback_result *res)
{
	struct svc_error err = { 0 };
	uint8_t sha[32];
	enum hvo_exit rc = HVO_EXIT_OK;
	unsigned nstaged = 0;
	bool killed = false;
	/* DEFAULT, SOFTWARE, then SYSTEM (the hive Windows boots from
	 * last), as apply switches them. */
	static const int order[NHIVES] = { 2, 1, 0 };
	for (int k = 0; k < NHIVES && rc == HVO_EXIT_OK; k++) {
		struct svc_ghive *h = &g[order[k]];
		if (!opened[order[k]])
			continue;
		char *tmp = NULL;
		int e;
		if ((rc = svc_exit_class(svc_int_ghive_stage(
			     h, sha, &res->error))) != HVO_EXIT_OK) {
			res->exit = rc;
		} else if ((e = svc_int_ghive_stage_in(fs, h, &tmp)) !=
			   GUEST_OK) {
			rc = fail(res, guest_exit_class(e), "%s: %s", h->guest,
				  guest_fs_errmsg(fs));
		} else if (svc_int_rj_staged(j, tmp) != 0 ||
			   svc_int_rj_step(j, 'R', tmp, h->guest) != 0) {
			rc = fail(res, HVO_EXIT_FAILED, "out of memory");
		} else if ((killed = dies_staged(o, &nstaged))) {
			rc = fail(res, HVO_EXIT_FAILED, "killed (test)");
		}
		/* The logs of a recovered hive are emptied after it. */
		for (int l = 0; rc == HVO_EXIT_OK && h->recovered && l < 3;
		     l++) {
			char gl[320];
			snprintf(gl, sizeof(gl), "%s%s", h->guest,
				 svc_int_ghive_log_suffix(l));
			if (h->log_present[l] &&
			    svc_int_rj_step(j, 'E', gl, NULL) != 0)
				rc = fail(res, HVO_EXIT_FAILED,
					  "out of memory");
		}
		free(tmp);
	}
	for (size_t i = 0; rc == HVO_EXIT_OK && i < res->n; i++) {
		char *to;
		if (asprintf(&to, "%.*sundone",
			     (int)(strlen(res->v[i].undo) - 4),
			     res->v[i].undo) < 0 ||
		    svc_int_rj_step(j, 'R', res->v[i].undo, to) != 0)
			rc = fail(res, HVO_EXIT_FAILED, "out of memory");
		else
			res->v[i].undone = true;
		free(to);
	}
	/* The record, named after the newest record it undid (one per
	 * state), and the state `verify` compares with. */
	char *dir = svc_int_record_dir(o->systemroot);
	char *json = rc == HVO_EXIT_OK ? make_record(o, res) : NULL;
	char *srec = NULL, *state = NULL, *sstate = NULL;
	if (rc == HVO_EXIT_OK && (json == NULL || dir == NULL ||
				  asprintf(&res->record, "%s\\rollback-%s.json",
					   dir, res->v[0].time) < 0)) {
		res->record = NULL;
		rc = fail(res, HVO_EXIT_FAILED, "out of memory");
	}
	for (char *p = res->record ? strrchr(res->record, '\\') : NULL; p && *p;
	     p++)
		if (*p == ':')
			*p = '-';
	if (rc == HVO_EXIT_OK &&
	    ((srec = staged_name(res->record)) == NULL ||
	     asprintf(&state, "%.*s.state", (int)(strlen(res->record) - 5),
		      res->record) < 0 ||
	     (sstate = staged_name(state)) == NULL))
		rc = fail(res, HVO_EXIT_FAILED, "out of memory");
	/* The record gets the store descriptor, SYSTEM and Administrators
	 * only, as every record does (apply_sd.c); the rename that puts it
	 * in place keeps it. */
	int e = GUEST_OK;
	if (rc == HVO_EXIT_OK &&
	    ((e = guest_fs_write_atomic(fs, srec, json, strlen(json))) !=
		     GUEST_OK ||
	     svc_int_rj_staged(j, srec) != 0 ||
	     (e = svc_int_sd_store(fs, srec, false)) != GUEST_OK))
		rc = fail(res,
			  e != GUEST_OK ? guest_exit_class(e) : HVO_EXIT_FAILED,
			  "%s: %s", srec,
			  e != GUEST_OK ? guest_fs_errmsg(fs)
					: "out of memory");
	else if (rc == HVO_EXIT_OK && (killed = dies_staged(o, &nstaged)))
		rc = fail(res, HVO_EXIT_FAILED, "killed (test)");
	size_t nm = 0;
	struct svc_rstate_move *m = rc == HVO_EXIT_OK ? moves_of(j, &nm) : NULL;
	if (rc == HVO_EXIT_OK && m == NULL)
		rc = fail(res, HVO_EXIT_FAILED, "out of memory");
	enum svc_err se;
	if (rc == HVO_EXIT_OK && (se = svc_int_rollback_state_write(
					  fs, o->systemroot, u, nu, res->record,
					  sstate, m, nm, &err)) != SVC_OK)
		rc = fail(res, svc_exit_class(se), "the state for verify: %s",
			  svc_int_errtext(&err));
	moves_free(m, nm);
	if (rc == HVO_EXIT_OK &&
	    (svc_int_rj_staged(j, sstate) != 0 ||
	     svc_int_rj_step(j, 'R', srec, res->record) != 0 ||
	     svc_int_rj_step(j, 'R', sstate, state) != 0))
		rc = fail(res, HVO_EXIT_FAILED, "out of memory");
	else if (rc == HVO_EXIT_OK && (killed = dies_staged(o, &nstaged)))
		rc = fail(res, HVO_EXIT_FAILED, "killed (test)");
	free(json);
	free(dir);
	free(srec);
	free(state);
	free(sstate);
	svc_int_error_clear(&err);
	if (rc != HVO_EXIT_OK) {
		if (!killed) /* a killed run cleans nothing up */
			svc_int_rj_abort(fs, j);
		for (size_t i = 0; i < res->n; i++)
			res->v[i].undone = false;
		return rc;
	}
	if ((se = svc_int_rj_commit(fs, o->systemroot, j, &err)) != SVC_OK)
		rc = fail(res, svc_exit_class(se),
			  "%s (the next run finishes the rollback)",
			  svc_int_errtext(&err));
	svc_int_error_clear(&err);
	return rc;
}

enum hvo_exit svc_rollback(struct guest_fs *fs,
			   const struct svc_rollback_opts *o,
			   struct svc_rollback_result *res)
{
	memset(res, 0, sizeof(*res));
	char **paths = NULL;
	size_t npaths = 0;
	struct svc_undo *u = NULL;
	struct svc_ghive g[NHIVES];
	memset(g, 0, sizeof(g));
	bool opened[NHIVES] = { false };
	const char *whole[NHIVES] = { NULL };
	struct svc_rjournal j = { .crash_after = o->crash_after };
	enum hvo_exit rc = HVO_EXIT_OK;
	if (!o->dry_run &&
	    (rc = svc_int_exit_set(
		     &res->exit,
		     svc_int_guest_prepare(fs, o->systemroot, &res->error))) !=
		    HVO_EXIT_OK)
		return rc;
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
		struct svc_error perr = { 0 };
		enum svc_err pe = svc_undo_parse(buf, len, &u[i], &perr);
		free(buf);
		if (pe != SVC_OK) {
			rc = fail(res, svc_exit_class(pe), "%s: %s", paths[i],
				  svc_int_errtext(&perr));
			svc_int_error_clear(&perr);
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

	/* Undo, newest first, each record's operations in reverse: values
	 * in memory, files as steps of the journal. */
	unsigned nsaved = 0;
	for (size_t i = npaths; i-- > first;)
		for (size_t k = u[i].n; k-- > 0;) {
			const struct svc_undo_op *op = &u[i].ops[k];
			if (op->kind == SVC_UNDO_FILE ||
			    op->kind == SVC_UNDO_DIR) {
				rc = undo_file(fs, o, op, g, opened, whole, &j,
					       res);
				if (rc != HVO_EXIT_OK)
					goto out;
				continue;
			}
			int hx = hive_index(op->hive);
			if (op->kind == SVC_UNDO_AFTER || hx < 0)
				continue;
			if (!opened[hx]) {
				rc = svc_exit_class(svc_int_ghive_open(
					fs, o->systemroot, op->hive, o->tmpdir,
					true, &g[hx], &res->error));
				if (rc != HVO_EXIT_OK)
					goto out;
				opened[hx] = true;
				if (whole[hx] != NULL &&
				    (rc = load_saved(fs, &g[hx], whole[hx],
						     nsaved++, res)) !=
					    HVO_EXIT_OK)
					goto out;
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
	rc = stage_and_commit(fs, o, u + first, npaths - first, g, opened, &j,
			      res);
out:
	svc_int_rj_free(&j);
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

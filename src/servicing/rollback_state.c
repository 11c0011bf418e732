/*
 * rollback_state.c - the state a rollback restored, and `verify` against
 * it (see rollback_state.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/reg.h"
#include "servicing/apply_int.h"
#include "servicing/rollback_state.h"
#include "servicing/services_guest.h"
#include "util/sha256.h"

#define NHIVES 3
static const char *const hive_names[NHIVES] = { "SYSTEM", "SOFTWARE",
						"DEFAULT" };

/* Whether a hive was put back whole by the records: a file line for the
 * hive file itself, or a hive line. */
static bool hive_whole(const char *systemroot, const struct svc_undo *u,
		       size_t n, const char *hive)
{
	char path[300];
	snprintf(path, sizeof(path), "%s\\System32\\config\\%s", systemroot,
		 hive);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < u[i].n; k++) {
			const struct svc_undo_op *op = &u[i].ops[k];
			if ((op->kind == SVC_UNDO_HIVE &&
			     strcasecmp(op->hive, hive) == 0) ||
			    (op->kind == SVC_UNDO_FILE &&
			     strcasecmp(op->path, path) == 0))
				return true;
		}
	return false;
}

/* Whether @st already has a line for @op's path or value. */
static bool has(const struct svc_undo *st, const struct svc_undo_op *op)
{
	for (size_t k = 0; k < st->n; k++) {
		const struct svc_undo_op *o = &st->ops[k];
		if (op->kind == SVC_UNDO_VALUE && o->kind == SVC_UNDO_VALUE &&
		    strcasecmp(o->hive, op->hive) == 0 &&
		    strcasecmp(o->key, op->key) == 0 &&
		    strcasecmp(o->name, op->name) == 0)
			return true;
		if (op->kind != SVC_UNDO_VALUE && o->kind != SVC_UNDO_VALUE &&
		    o->path != NULL && strcasecmp(o->path, op->path) == 0)
			return true;
	}
	return false;
}

/* The move of @path among @moves, or NULL. */
static const struct svc_rstate_move *move_of(
	const struct svc_rstate_move *moves, size_t n, const char *path)
{
	for (size_t i = n; i-- > 0;) /* the last step wins */
		if (strcasecmp(moves[i].path, path) == 0)
			return &moves[i];
	return NULL;
}

enum svc_err svc_int_rollback_state_write(struct guest_fs *fs,
					  const char *systemroot,
					  const struct svc_undo *u, size_t n,
					  const char *record, const char *state,
					  const struct svc_rstate_move *moves,
					  size_t nmoves, struct svc_error *err)
{
	struct svc_undo st;
	memset(&st, 0, sizeof(st));
	snprintf(st.command, sizeof(st.command), "rollback");
	svc_int_now_iso(st.time, sizeof(st.time));
	bool whole[NHIVES];
	for (int h = 0; h < NHIVES; h++)
		whole[h] = hive_whole(systemroot, u, n, hive_names[h]);
	int bad = 0;
	/* Oldest first: a value's first line holds its state before all. */
	for (size_t i = 0; i < n && bad == 0; i++)
		for (size_t k = 0; k < u[i].n && bad == 0; k++) {
			const struct svc_undo_op *op = &u[i].ops[k];
			if (op->kind == SVC_UNDO_VALUE) {
				int h = 0;
				while (h < NHIVES &&
				       strcmp(hive_names[h], op->hive) != 0)
					h++;
				if (h == NHIVES || whole[h] || has(&st, op))
					continue;
				bad = svc_undo_add_value(&st, op->hive, op->key,
							 op->name, op->existed,
							 op->type, op->data,
							 op->len);
				continue;
			}
			if ((op->kind != SVC_UNDO_FILE &&
			     op->kind != SVC_UNDO_DIR) ||
			    has(&st, op))
				continue;
			const struct svc_rstate_move *mv =
				move_of(moves, nmoves, op->path);
			const char *at = mv ? mv->from : op->path;
			struct guest_stat gs;
			bool there = at != NULL &&
				     guest_fs_stat(fs, at, &gs) == GUEST_OK;
			if (op->kind == SVC_UNDO_DIR) {
				if (!there)
					bad = svc_undo_add_dir(&st, op->path);
				continue;
			}
			uint8_t sha[32];
			uint64_t size;
			if (there &&
			    guest_fs_sha256(fs, at, sha, &size) != GUEST_OK) {
				svc_int_fail(err, SVC_ERR_GUEST, "%s: %s", at,
					     guest_fs_errmsg(fs));
				svc_undo_free(&st);
				return SVC_ERR_GUEST;
			}
			bad = svc_undo_add_file(&st, op->path, NULL,
						there ? sha : NULL);
		}
	char *text = bad ? NULL : svc_undo_format(&st);
	svc_undo_free(&st);
	size_t rl = strlen(record);
	if (rl > 5 && strcasecmp(record + rl - 5, ".json") == 0)
		rl -= 5;
	char *path = NULL;
	if (text == NULL || (state != NULL ? (path = strdup(state)) == NULL
					   : asprintf(&path, "%.*s.state",
						      (int)rl, record) < 0)) {
		free(text);
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	}
	int e = guest_fs_write_atomic(fs, path, text, strlen(text));
	if (e == GUEST_OK) /* SYSTEM's and Administrators' (apply_sd.c) */
		e = svc_int_sd_store(fs, path, false);
	free(text);
	if (e != GUEST_OK) {
		enum svc_err code = svc_int_guest_fail(err, fs, e, path);
		free(path);
		return code;
	}
	free(path);
	return SVC_OK;
}

/* The newest "rollback-*.state" of the record folder, when no record
 * is left to undo (guest path, caller frees), or NULL. */
static char *newest_state(struct guest_fs *fs, const char *systemroot)
{
	char **undo = NULL;
	size_t nundo = 0;
	int e = svc_int_record_list(fs, systemroot, &undo, &nundo);
	guest_names_free(undo, nundo);
	if (e != GUEST_OK || nundo > 0)
		return NULL;
	char *dir = svc_int_record_dir(systemroot);
	char **names = NULL;
	size_t n = 0;
	if (dir == NULL || guest_fs_list(fs, dir, &names, &n) != GUEST_OK) {
		free(dir);
		return NULL;
	}
	const char *best = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]);
		if (l > 15 && strncmp(names[i], "rollback-", 9) == 0 &&
		    strcmp(names[i] + l - 6, ".state") == 0 &&
		    (best == NULL || strcmp(names[i], best) > 0))
			best = names[i];
	}
	char *path = NULL;
	if (best != NULL && asprintf(&path, "%s\\%s", dir, best) < 0)
		path = NULL;
	guest_names_free(names, n);
	free(dir);
	return path;
}

static void hex_text(const uint8_t *d, size_t len, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 3 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", d[i]);
	if (o + 3 >= size && len * 2 + 1 > size)
		snprintf(out + (size > 4 ? size - 4 : 0), 4, "...");
}

static void value_text(bool exists, uint32_t type, const uint8_t *d, size_t len,
		       char *out, size_t size)
{
	if (!exists) {
		snprintf(out, size, "absent");
		return;
	}
	int n = snprintf(out, size, "type %u data ", type);
	if (n > 0 && (size_t)n < size)
		hex_text(d, len, out + n, size - (size_t)n);
}

static void check_value(struct guest_fs *fs, const char *systemroot,
			const char *tmpdir, struct svc_ghive *g, bool *opened,
			const struct svc_undo_op *op,
			struct svc_verify_result *res)
{
	int h = 0;
	while (h < NHIVES && strcmp(hive_names[h], op->hive) != 0)
		h++;
	char what[600], want[300], got[300];
	snprintf(what, sizeof(what), "value HKLM\\%s\\%s\\%s", op->hive,
		 op->key, op->name);
	value_text(op->existed, op->type, op->data, op->len, want,
		   sizeof(want));
	res->nchecked++;
	/* Why it could not be read is not shown: the difference is. */
	struct svc_error why = { 0 };
	if (h == NHIVES ||
	    (!opened[h] && svc_int_ghive_open(fs, systemroot, op->hive, tmpdir,
					      false, &g[h], &why) != SVC_OK)) {
		svc_int_error_clear(&why);
		svc_int_verify_diff(res, what, want, "unreadable hive");
		return;
	}
	opened[h] = true;
	struct reg_value *v = NULL;
	int e = reg_get_value(g[h].h, op->key, op->name, &v);
	bool same = e == REG_ERR_NOT_FOUND
			    ? !op->existed
			    : e == REG_OK && op->existed &&
				      v->type == op->type &&
				      v->len == op->len &&
				      memcmp(v->data, op->data, op->len) == 0;
	if (!same) {
		if (e == REG_OK || e == REG_ERR_NOT_FOUND)
			value_text(e == REG_OK, v ? v->type : 0,
				   v ? v->data : NULL, v ? v->len : 0, got,
				   sizeof(got));
		else
			snprintf(got, sizeof(got), "%s", reg_errmsg(g[h].h));
		svc_int_verify_diff(res, what, want, "%s", got);
	}
	reg_value_free(v);
}

enum svc_err svc_rollback_verify(struct guest_fs *fs, const char *systemroot,
				 const char *tmpdir,
				 struct svc_verify_result *res, char *when,
				 size_t whenlen, bool *compared,
				 struct svc_error *err)
{
	*compared = false;
	char *path = newest_state(fs, systemroot);
	if (path == NULL)
		return SVC_OK;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct svc_undo st;
	struct svc_error perr = { 0 };
	int e = guest_fs_read(fs, path, SVC_UNDO_MAX_BYTES, &buf, &len);
	if (e != GUEST_OK || svc_undo_parse(buf, len, &st, &perr) != SVC_OK) {
		enum svc_err code = svc_int_fail(
			err, e != GUEST_OK ? SVC_ERR_GUEST : SVC_ERR_CORRUPT,
			"%s: %s", path,
			e != GUEST_OK ? guest_fs_errmsg(fs)
				      : svc_int_errtext(&perr));
		svc_int_error_clear(&perr);
		free(buf);
		free(path);
		return code;
	}
	free(buf);
	free(path);
	snprintf(when, whenlen, "%s", st.time);
	struct svc_ghive g[NHIVES];
	memset(g, 0, sizeof(g));
	bool opened[NHIVES] = { false };
	for (size_t k = 0; k < st.n; k++) {
		const struct svc_undo_op *op = &st.ops[k];
		if (op->kind == SVC_UNDO_VALUE) {
			check_value(fs, systemroot, tmpdir, g, opened, op, res);
			continue;
		}
		char what[400], want[80], got[80];
		snprintf(what, sizeof(what), "%s %s",
			 op->kind == SVC_UNDO_DIR ? "directory" : "file",
			 op->path);
		res->nchecked++;
		struct guest_stat gs;
		bool there = guest_fs_stat(fs, op->path, &gs) == GUEST_OK;
		if (op->kind == SVC_UNDO_DIR || !op->has_sha256) {
			if (there)
				svc_int_verify_diff(res, what, "absent",
						    "present");
			continue;
		}
		memcpy(want, "sha256 ", 7);
		hvo_int_sha256_hex(op->sha256, want + 7);
		uint8_t sha[32];
		uint64_t size;
		if (!there) {
			svc_int_verify_diff(res, what, want, "absent");
		} else if (guest_fs_sha256(fs, op->path, sha, &size) !=
			   GUEST_OK) {
			svc_int_verify_diff(res, what, want, "unreadable: %s",
					    guest_fs_errmsg(fs));
		} else if (memcmp(sha, op->sha256, 32) != 0) {
			memcpy(got, "sha256 ", 7);
			hvo_int_sha256_hex(sha, got + 7);
			svc_int_verify_diff(res, what, want, "%s", got);
		}
	}
	for (int h = 0; h < NHIVES; h++)
		svc_int_ghive_close(&g[h]);
	svc_undo_free(&st);
	*compared = true;
	return SVC_OK;
}

/* Sets @out's status, error and sentence (formatted; NULL when memory
 * runs out, see struct svc_verify_outcome). */
static void outcome_set(struct svc_verify_outcome *out, enum svc_status status,
			enum svc_err err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void outcome_set(struct svc_verify_outcome *out, enum svc_status status,
			enum svc_err err, const char *fmt, ...)
{
	out->status = status;
	out->err = err;
	free(out->msg);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&out->msg, fmt, ap) < 0)
		out->msg = NULL;
	va_end(ap);
}

void svc_int_verify_image(struct guest_fs *fs, const struct svc_plan *p,
			  const struct svc_verify_opts *vo, const char *root,
			  struct svc_verify_result *res,
			  struct svc_verify_outcome *out)
{
	char when[32];
	bool k;
	struct svc_error why = { 0 };
	out->msg = NULL;
	if (svc_rollback_verify(fs, root, vo->tmpdir, res, when, sizeof(when),
				&k, &why) != SVC_OK) {
		outcome_set(out, SVC_STATUS_FAILED, SVC_ERR_CORRUPT, "%s",
			    svc_int_errtext(&why));
		svc_int_error_clear(&why);
		return;
	}
	if (!k)
		svc_verify(fs, p, vo, res);
	enum svc_err err = res->ndiffs ? SVC_ERR_DIFFERENCES : SVC_OK;
	enum svc_status status =
		res->ndiffs ? SVC_STATUS_DIFFERENCES : SVC_STATUS_VERIFIED;
	if (k && res->ndiffs)
		outcome_set(out, status, err,
			    "rolled back at %s: %zu of %zu items differ from "
			    "the recorded previous state",
			    when, res->ndiffs, res->nchecked);
	else if (k)
		outcome_set(out, status, err,
			    "rolled back at %s: all %zu items match the "
			    "recorded previous state",
			    when, res->nchecked);
	else if (res->ndiffs)
		outcome_set(out, status, err,
			    "%zu of %zu items differ from %s %s", res->ndiffs,
			    res->nchecked, p->package, p->version);
	else
		outcome_set(out, status, err, "all %zu items match %s %s",
			    res->nchecked, p->package, p->version);
}

void svc_int_verify_outcome_free(struct svc_verify_outcome *out)
{
	free(out->msg);
	out->msg = NULL;
}

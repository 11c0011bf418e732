/*
 * services_reg.c - `reg --image`: the guest's hives edited in place (see
 * services_reg.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "servicing/apply_int.h"
#include "servicing/services_reg.h"
#include "servicing/services_undo.h"
#include "util/json.h"

/* Records why @res failed (its exit class and message) and returns the
 * class. */
#define fail(res, cls, ...)                                                  \
	svc_int_fail_exit(&(res)->error, &(res)->exit, (cls), SVC_ERR_GUEST, \
			  __VA_ARGS__)

static const struct {
	const char *prefix, *hive, *canonical;
} roots[] = {
	{ "HKLM\\SOFTWARE", "SOFTWARE", "HKEY_LOCAL_MACHINE\\SOFTWARE" },
	{ "HKEY_LOCAL_MACHINE\\SOFTWARE", "SOFTWARE",
	  "HKEY_LOCAL_MACHINE\\SOFTWARE" },
	{ "HKLM\\SYSTEM", "SYSTEM", "HKEY_LOCAL_MACHINE\\SYSTEM" },
	{ "HKEY_LOCAL_MACHINE\\SYSTEM", "SYSTEM",
	  "HKEY_LOCAL_MACHINE\\SYSTEM" },
	{ "HKU\\.DEFAULT", "DEFAULT", "HKEY_USERS\\.DEFAULT" },
	{ "HKEY_USERS\\.DEFAULT", "DEFAULT", "HKEY_USERS\\.DEFAULT" },
};

static const char *canonical_prefix(const char *hive)
{
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strcmp(roots[i].hive, hive) == 0)
			return roots[i].canonical;
	return NULL;
}

int svc_reg_image_split(const char *path, char hive[16], char **rest_ret)
{
	*rest_ret = NULL;
	while (*path == '\\')
		path++;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		size_t n = strlen(roots[i].prefix);
		if (strncasecmp(path, roots[i].prefix, n) != 0 ||
		    (path[n] != '\0' && path[n] != '\\'))
			continue;
		const char *rest = path + n;
		while (*rest == '\\')
			rest++;
		size_t len = strlen(rest);
		while (len > 0 && rest[len - 1] == '\\')
			len--;
		if ((*rest_ret = strndup(rest, len)) == NULL)
			return -1;
		snprintf(hive, 16, "%s", roots[i].hive);
		return 0;
	}
	return -1;
}

/* The key of @o->path inside the open hive: CurrentControlSet mapped in
 * SYSTEM (caller frees). */
static int resolve_key(struct svc_ghive *g, const char *rest, char **key_ret)
{
	if (strcmp(g->name, "SYSTEM") != 0)
		return (*key_ret = strdup(rest)) ? REG_OK : REG_ERR_NOMEM;
	return reg_resolve_path(g->h, rest, key_ret);
}

/*
 * Keeps the hive as it is now (recovered, before any edit) in the guest
 * beside the records, for undo: "<record dir>\reg-<stamp>-<HIVE>.hive".
 */
static enum hvo_exit save_hive(struct guest_fs *fs, const char *systemroot,
			       struct svc_ghive *g,
			       struct svc_reg_image_result *res)
{
	char host[1300];
	const char *src = g->host;
	if (g->recovered) {
		snprintf(host, sizeof(host), "%s.before", g->host);
		int e = reg_write_recovered(g->h, host);
		if (e != REG_OK)
			return fail(res, reg_exit_class(e), "%s: %s", g->guest,
				    reg_errmsg(g->h));
		src = host;
	}
	char *dir = svc_int_record_dir(systemroot);
	if (dir == NULL)
		return fail(res, HVO_EXIT_FAILED, "out of memory");
	int e = guest_fs_mkdir_p(fs, dir);
	if (e != GUEST_OK) {
		fail(res, guest_exit_class(e), "%s: %s", dir,
		     guest_fs_errmsg(fs));
		free(dir);
		return res->exit;
	}
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned k = 1; k < 100; k++) {
		free(res->hive_saved);
		if (asprintf(&res->hive_saved, "%s\\reg-%s-%02u-%s.hive", dir,
			     stamp, k, g->name) < 0) {
			res->hive_saved = NULL;
			free(dir);
			return fail(res, HVO_EXIT_FAILED, "out of memory");
		}
		if (!guest_fs_exists(fs, res->hive_saved))
			break;
	}
	free(dir);
	e = guest_fs_copy_in_atomic(fs, src, res->hive_saved);
	if (e == GUEST_OK) /* SYSTEM's and Administrators' (apply_sd.c) */
		e = svc_int_sd_store(fs, res->hive_saved, false);
	if (e != GUEST_OK)
		return fail(res, guest_exit_class(e), "%s: %s", res->hive_saved,
			    guest_fs_errmsg(fs));
	return HVO_EXIT_OK;
}

static const char *const op_names[] = {
	[SVC_REGOP_GET] = "get",       [SVC_REGOP_SET] = "set",
	[SVC_REGOP_DELETE] = "delete", [SVC_REGOP_IMPORT] = "import",
	[SVC_REGOP_EXPORT] = "export",
};

static char *make_record(const struct svc_reg_image_opts *o,
			 const struct svc_reg_image_result *res,
			 const struct svc_undo *u)
{
	struct svc_record_json r;
	if (svc_int_record_begin(&r, "reg", u->time, o->image) != 0)
		return NULL;
	hvo_int_json_kv_string(&r.w, "operation", op_names[o->op]);
	hvo_int_json_kv_string(&r.w, "hive", res->g.name);
	hvo_int_json_kv_string(&r.w, "key", res->key);
	hvo_int_json_kv_string(&r.w, "value", o->value);
	if (o->op == SVC_REGOP_SET && o->value != NULL) {
		hvo_int_json_kv_string(&r.w, "type", reg_type_name(o->type));
		hvo_int_json_key(&r.w, "data");
		hvo_int_json_hex(&r.w, o->data, o->len);
	}
	hvo_int_json_kv_string(&r.w, "file", o->reg_file);
	hvo_int_json_kv_uint(&r.w, "operations", res->nops);
	hvo_int_json_kv_bool(&r.w, "hive_recovered_from_logs",
			     res->g.recovered);
	hvo_int_json_kv_string(&r.w, "saved_hive", res->hive_saved);
	hvo_int_json_key(&r.w, "previous");
	hvo_int_json_begin_array(&r.w);
	for (size_t i = 0; i < u->n; i++) {
		const struct svc_undo_op *op = &u->ops[i];
		if (op->kind != SVC_UNDO_VALUE)
			continue;
		hvo_int_json_begin_object(&r.w);
		hvo_int_json_kv_string(&r.w, "key", op->key);
		hvo_int_json_kv_string(&r.w, "name", op->name);
		hvo_int_json_kv_bool(&r.w, "existed", op->existed);
		if (op->existed) {
			hvo_int_json_kv_string(&r.w, "type",
					       reg_type_name(op->type));
			hvo_int_json_key(&r.w, "data");
			hvo_int_json_hex(&r.w, op->data, op->len);
		}
		hvo_int_json_end_object(&r.w);
	}
	hvo_int_json_end_array(&r.w);
	return svc_int_record_end(&r);
}

/* Import: the hive whose root the file's keys lie under, found by
 * merging it into each in turn (in memory); registry/ refuses a key
 * outside the prefix before anything is applied. */
static enum hvo_exit import_somewhere(struct guest_fs *fs,
				      const struct svc_reg_image_opts *o,
				      struct svc_reg_image_result *res)
{
	static const char *const hives[] = { "SOFTWARE", "SYSTEM", "DEFAULT" };
	for (size_t i = 0; i < 3; i++) {
		enum hvo_exit x = svc_exit_class(svc_int_ghive_open(
			fs, o->systemroot, hives[i], o->tmpdir, true, &res->g,
			&res->error));
		if (x != HVO_EXIT_OK) {
			/* A guest without a DEFAULT hive: the file is for
			 * another one, or for none (the error below
			 * replaces the one recorded). */
			if (strcmp(hives[i], "DEFAULT") == 0 &&
			    x == HVO_EXIT_FAILED)
				break;
			return res->exit = x;
		}
		if (!o->dry_run && (x = save_hive(fs, o->systemroot, &res->g,
						  res)) != HVO_EXIT_OK)
			return x;
		int e = reg_import(res->g.h, o->reg_file,
				   canonical_prefix(hives[i]), &res->nops);
		if (e == REG_OK)
			return HVO_EXIT_OK;
		const char *why = reg_errmsg(res->g.h);
		if (e != REG_ERR_SYNTAX || strstr(why, "is outside") == NULL)
			return fail(res, reg_exit_class(e), "%s: %s",
				    o->reg_file, why);
		svc_int_ghive_close(&res->g);
		if (res->hive_saved != NULL) {
			guest_fs_remove(fs, res->hive_saved);
			free(res->hive_saved);
			res->hive_saved = NULL;
		}
	}
	return fail(res, HVO_EXIT_USAGE,
		    "%s: its keys must all lie in one of HKLM\\SOFTWARE, "
		    "HKLM\\SYSTEM or HKU\\.DEFAULT (split the file by hive)",
		    o->reg_file);
}

enum hvo_exit svc_reg_image_run(struct guest_fs *fs,
				const struct svc_reg_image_opts *o,
				struct svc_reg_image_result *res)
{
	memset(res, 0, sizeof(*res));
	bool writer = o->op == SVC_REGOP_SET || o->op == SVC_REGOP_DELETE ||
		      o->op == SVC_REGOP_IMPORT;
	bool write = writer && !o->dry_run;
	struct svc_undo u;
	memset(&u, 0, sizeof(u));
	snprintf(u.command, sizeof(u.command), "reg");
	svc_int_now_iso(u.time, sizeof(u.time));
	enum hvo_exit rc;
	if (write &&
	    (rc = svc_int_exit_set(
		     &res->exit,
		     svc_int_guest_prepare(fs, o->systemroot, &res->error))) !=
		    HVO_EXIT_OK)
		return rc;
	if (o->op == SVC_REGOP_IMPORT) {
		rc = import_somewhere(fs, o, res);
		if (rc != HVO_EXIT_OK)
			goto out;
		if (res->hive_saved &&
		    svc_undo_add_hive(&u, res->g.name, res->hive_saved) != 0) {
			rc = fail(res, HVO_EXIT_FAILED, "out of memory");
			goto out;
		}
		res->key = strdup("");
		res->prefix = strdup(canonical_prefix(res->g.name));
		goto commit;
	}
	char hive[16], *rest;
	if (svc_reg_image_split(o->path, hive, &rest) != 0)
		return fail(res, HVO_EXIT_USAGE,
			    "%s: not a key of the guest's HKLM\\SOFTWARE, "
			    "HKLM\\SYSTEM or HKU\\.DEFAULT",
			    o->path);
	rc = svc_int_exit_set(&res->exit,
			      svc_int_ghive_open(fs, o->systemroot, hive,
						 o->tmpdir, writer, &res->g,
						 &res->error));
	if (rc != HVO_EXIT_OK) {
		free(rest);
		return rc;
	}
	int e = resolve_key(&res->g, rest, &res->key);
	free(rest);
	res->prefix = strdup(canonical_prefix(hive));
	if (e != REG_OK || res->prefix == NULL) {
		rc = fail(res, reg_exit_class(e), "%s: %s", o->path,
			  reg_errmsg(res->g.h));
		goto out;
	}
	if (!writer) {
		bool ex = false;
		e = reg_key_exists(res->g.h, res->key, &ex);
		if (e == REG_OK && !ex)
			e = REG_ERR_NOT_FOUND;
		if (e != REG_OK)
			rc = fail(res, reg_exit_class(e), "%s: %s", o->path,
				  reg_strerror(e));
		goto out;
	}

	/* The state before, for the undo data. */
	bool key_existed = false;
	if ((e = reg_key_exists(res->g.h, res->key, &key_existed)) != REG_OK) {
		rc = fail(res, reg_exit_class(e), "%s: %s", o->path,
			  reg_errmsg(res->g.h));
		goto out;
	}
	bool value_level = key_existed && o->value != NULL;
	if (o->op == SVC_REGOP_SET && o->value == NULL && key_existed)
		goto out; /* the key is there: nothing to do */
	if (value_level) {
		struct reg_value *prev = NULL;
		e = reg_get_value(res->g.h, res->key, o->value, &prev);
		if (e != REG_OK &&
		    (e != REG_ERR_NOT_FOUND || o->op == SVC_REGOP_DELETE)) {
			rc = fail(res, reg_exit_class(e), "%s: %s: %s", o->path,
				  o->value, reg_strerror(e));
			goto out;
		}
		if (prev != NULL && o->op == SVC_REGOP_SET &&
		    prev->type == o->type && prev->len == o->len &&
		    memcmp(prev->data, o->data, o->len) == 0) {
			reg_value_free(prev);
			goto out; /* already so */
		}
		int ue = svc_undo_add_value(&u, hive, res->key, o->value,
					    prev != NULL, prev ? prev->type : 0,
					    prev ? prev->data : NULL,
					    prev ? prev->len : 0);
		reg_value_free(prev);
		if (ue != 0) {
			rc = fail(res, HVO_EXIT_FAILED, "out of memory");
			goto out;
		}
	} else if (!key_existed && o->op == SVC_REGOP_DELETE) {
		rc = fail(res, HVO_EXIT_FAILED, "%s: %s", o->path,
			  reg_strerror(REG_ERR_NOT_FOUND));
		goto out;
	} else if (!o->dry_run) {
		if ((rc = save_hive(fs, o->systemroot, &res->g, res)) !=
		    HVO_EXIT_OK)
			goto out;
		if (svc_undo_add_hive(&u, hive, res->hive_saved) != 0) {
			rc = fail(res, HVO_EXIT_FAILED, "out of memory");
			goto out;
		}
	}
	if (o->op == SVC_REGOP_SET)
		e = o->value ? reg_set_value(res->g.h, res->key, o->value,
					     o->type, o->data, o->len)
			     : reg_create_key(res->g.h, res->key);
	else
		e = o->value ? reg_delete_value(res->g.h, res->key, o->value)
			     : reg_delete_key(res->g.h, res->key);
	if (e != REG_OK) {
		rc = fail(res, reg_exit_class(e), "%s: %s", o->path,
			  reg_errmsg(res->g.h));
		goto out;
	}
commit:
	if (o->dry_run)
		goto out;
	rc = svc_exit_class(svc_int_record_commit(
		fs, o->systemroot, "reg", make_record(o, res, &u), &u, &res->g,
		&res->record, &res->error));
	if (rc != HVO_EXIT_OK)
		goto out;
	res->changed = true;
out:
	svc_undo_free(&u);
	if (rc != HVO_EXIT_OK && res->hive_saved != NULL && !res->changed &&
	    res->record == NULL)
		guest_fs_remove(fs, res->hive_saved);
	res->exit = rc;
	return rc;
}

void svc_reg_image_result_free(struct svc_reg_image_result *res)
{
	svc_int_ghive_close(&res->g);
	free(res->key);
	free(res->prefix);
	free(res->record);
	free(res->hive_saved);
	svc_int_error_clear(&res->error);
	memset(res, 0, sizeof(*res));
}

const char *svc_reg_image_errmsg(const struct svc_reg_image_result *res)
{
	return svc_int_errmsg_or_empty(&res->error);
}

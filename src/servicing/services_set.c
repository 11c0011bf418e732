/*
 * services_set.c - enable and disable integration services (see
 * services_set.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "servicing/services_guest.h"
#include "servicing/services_set.h"
#include "servicing/services_undo.h"

/* Records why @res failed (its exit class and message) and returns the
 * class. */
#define fail(res, cls, ...)                                                  \
	svc_int_fail_exit(&(res)->error, &(res)->exit, (cls), SVC_ERR_GUEST, \
			  __VA_ARGS__)

/*
 * The Start that @key had before its newest disable, from the undo data
 * of the guest's records (newest first): the newest value line for
 * @key\Start whose previous value was a start other than 4.
 */
static bool start_from_records(struct guest_fs *fs, const char *systemroot,
			       const char *key, uint32_t *start)
{
	char **paths = NULL;
	size_t n = 0;
	bool found = false;
	if (svc_int_record_list(fs, systemroot, &paths, &n) != GUEST_OK)
		return false;
	for (size_t i = n; i-- > 0 && !found;) {
		uint8_t *buf = NULL;
		size_t len = 0;
		if (guest_fs_read(fs, paths[i], SVC_UNDO_MAX_BYTES, &buf,
				  &len) != GUEST_OK)
			continue;
		struct svc_undo u;
		if (svc_undo_parse(buf, len, &u, NULL) == SVC_OK) {
			for (size_t k = u.n; k-- > 0 && !found;) {
				const struct svc_undo_op *op = &u.ops[k];
				if (op->kind != SVC_UNDO_VALUE ||
				    strcmp(op->hive, "SYSTEM") != 0 ||
				    !op->existed ||
				    op->type != REG_TYPE_DWORD ||
				    op->len != 4 ||
				    strcasecmp(op->key, key) != 0 ||
				    strcasecmp(op->name, "Start") != 0)
					continue;
				uint32_t v = (uint32_t)op->data[0] |
					     (uint32_t)op->data[1] << 8 |
					     (uint32_t)op->data[2] << 16 |
					     (uint32_t)op->data[3] << 24;
				if (v < SVC_START_DISABLED) {
					*start = v;
					found = true;
				}
			}
			svc_undo_free(&u);
		}
		free(buf);
	}
	guest_names_free(paths, n);
	return found;
}

static char *make_record(const struct svc_services_opts *o,
			 const struct svc_services_result *res,
			 const char *when)
{
	struct svc_record_json r;
	if (svc_int_record_begin(&r, "services", when, o->image) != 0)
		return NULL;
	hvo_int_json_kv_uint(&r.w, "control_set", res->list.control_set);
	hvo_int_json_kv_bool(&r.w, "hive_recovered_from_logs",
			     res->hive_recovered);
	hvo_int_json_key(&r.w, "changes");
	svc_services_changes_json(res, &r.w);
	return svc_int_record_end(&r);
}

/* Adds @name's change to @res (once per service: the last asked wins). */
static enum hvo_exit want(struct svc_services_result *res, const char *name,
			  bool enable)
{
	struct svc_ic_service *s = svc_ic_find(&res->list, name);
	if (s == NULL)
		return fail(res, HVO_EXIT_USAGE,
			    "%s: no integration service of the guest has "
			    "this name (see `hvoffline services IMAGE`)",
			    name);
	for (size_t i = 0; i < res->n; i++)
		if (strcmp(res->v[i].service, s->name) == 0) {
			res->v[i].enable = enable;
			return HVO_EXIT_OK;
		}
	struct svc_service_change *v =
		realloc(res->v, (res->n + 1) * sizeof(*v));
	if (v == NULL)
		return fail(res, HVO_EXIT_FAILED, "out of memory");
	res->v = v;
	struct svc_service_change *c = &res->v[res->n];
	memset(c, 0, sizeof(*c));
	if ((c->service = strdup(s->name)) == NULL)
		return fail(res, HVO_EXIT_FAILED, "out of memory");
	c->hyperv_name = s->hyperv_name;
	c->enable = enable;
	c->prev_known = s->start_known;
	c->prev_start = s->start;
	res->n++;
	return HVO_EXIT_OK;
}

enum hvo_exit svc_services_run(struct guest_fs *fs,
			       const struct svc_services_opts *o,
			       struct svc_services_result *res)
{
	memset(res, 0, sizeof(*res));
	bool change = (o->nenable + o->ndisable) > 0;
	bool write = change && !o->dry_run;
	struct svc_ghive g;
	memset(&g, 0, sizeof(g));
	struct svc_undo u;
	memset(&u, 0, sizeof(u));
	char when[32];
	enum svc_err r =
		write ? svc_int_guest_prepare(fs, o->systemroot, &res->error)
		      : SVC_OK;
	if (r == SVC_OK)
		r = svc_int_ghive_open(fs, o->systemroot, "SYSTEM", o->tmpdir,
				       write, &g, &res->error);
	enum hvo_exit rc = svc_exit_class(r);
	if (rc != HVO_EXIT_OK)
		goto out;
	res->hive_recovered = g.recovered;
	int e = svc_ic_list_read(g.h, 0, o->systemroot, &res->list);
	if (e != REG_OK) {
		rc = fail(res, reg_exit_class(e), "%s: %s", g.guest,
			  reg_errmsg(g.h));
		goto out;
	}
	e = svc_ic_list_check_binaries(fs, &res->list);
	if (e != GUEST_OK) {
		rc = fail(res, guest_exit_class(e), "%s", guest_fs_errmsg(fs));
		goto out;
	}
	for (size_t i = 0; i < o->ndisable && rc == HVO_EXIT_OK; i++)
		rc = want(res, o->disable[i], false);
	for (size_t i = 0; i < o->nenable && rc == HVO_EXIT_OK; i++)
		rc = want(res, o->enable[i], true);
	if (rc != HVO_EXIT_OK || !change)
		goto out;

	svc_int_now_iso(when, sizeof(when));
	snprintf(u.command, sizeof(u.command), "services");
	snprintf(u.time, sizeof(u.time), "%s", when);
	for (size_t i = 0; i < res->n; i++) {
		struct svc_service_change *c = &res->v[i];
		char key[300];
		snprintf(key, sizeof(key), "ControlSet%03u\\Services\\%s",
			 res->list.control_set, c->service);
		c->start = c->prev_start;
		if (!c->enable) {
			if (c->prev_known &&
			    c->prev_start == SVC_START_DISABLED) {
				c->why = "already disabled";
				continue;
			}
			c->start = SVC_START_DISABLED;
			c->why = "disabled";
		} else {
			if (c->prev_known &&
			    c->prev_start != SVC_START_DISABLED) {
				c->why = "already enabled";
				continue;
			}
			if (start_from_records(fs, o->systemroot, key,
					       &c->start)) {
				c->why = "record";
			} else {
				c->start = svc_ic_find(&res->list, c->service)
						   ->package_start;
				c->why = "package default";
			}
		}
		c->changed = true;
		res->nchanged++;
		struct reg_value *prev = NULL;
		e = reg_get_value(g.h, key, "Start", &prev);
		if (e != REG_OK && e != REG_ERR_NOT_FOUND) {
			rc = fail(res, reg_exit_class(e), "%s: %s", g.guest,
				  reg_errmsg(g.h));
			goto out;
		}
		int ue = svc_undo_add_value(&u, "SYSTEM", key, "Start",
					    prev != NULL, prev ? prev->type : 0,
					    prev ? prev->data : NULL,
					    prev ? prev->len : 0);
		reg_value_free(prev);
		if (ue != 0) {
			rc = fail(res, HVO_EXIT_FAILED, "out of memory");
			goto out;
		}
		if (write && (e = reg_set_dword(g.h, key, "Start", c->start)) !=
				     REG_OK) {
			rc = fail(res, reg_exit_class(e), "%s: %s", g.guest,
				  reg_errmsg(g.h));
			goto out;
		}
	}
	if (!write || res->nchanged == 0)
		goto out;
	rc = svc_exit_class(svc_int_record_commit(
		fs, o->systemroot, "services", make_record(o, res, when), &u,
		&g, &res->record, &res->error));
	if (rc != HVO_EXIT_OK)
		goto out;
	/* What the list shows is what is now in the guest. */
	for (size_t i = 0; i < res->n; i++) {
		struct svc_ic_service *s =
			svc_ic_find(&res->list, res->v[i].service);
		if (s != NULL && res->v[i].changed) {
			s->start = res->v[i].start;
			s->start_known = true;
		}
	}
out:
	svc_undo_free(&u);
	svc_int_ghive_close(&g);
	res->exit = rc;
	return rc;
}

void svc_services_result_free(struct svc_services_result *res)
{
	svc_ic_list_free(&res->list);
	for (size_t i = 0; i < res->n; i++)
		free(res->v[i].service);
	free(res->v);
	free(res->record);
	svc_int_error_clear(&res->error);
	memset(res, 0, sizeof(*res));
}

const char *svc_services_errmsg(const struct svc_services_result *res)
{
	return svc_int_errmsg_or_empty(&res->error);
}

void svc_services_changes_json(const struct svc_services_result *res,
			       struct json_writer *w)
{
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < res->n; i++) {
		const struct svc_service_change *c = &res->v[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "service", c->service);
		hvo_int_json_kv_string(w, "hyperv_name", c->hyperv_name);
		hvo_int_json_kv_string(w, "action",
				       c->enable ? "enable" : "disable");
		hvo_int_json_key(w, "previous_start");
		if (c->prev_known)
			hvo_int_json_uint(w, c->prev_start);
		else
			hvo_int_json_null(w);
		hvo_int_json_kv_uint(w, "start", c->start);
		hvo_int_json_kv_string(w, "start_type",
				       svc_start_name(c->start));
		hvo_int_json_kv_bool(w, "changed", c->changed);
		hvo_int_json_kv_string(w, "reason", c->why);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

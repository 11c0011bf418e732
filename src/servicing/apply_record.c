/*
 * apply_record.c - the record of an apply, kept in the guest, and the result as
 * JSON (see apply.h).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "registry/reg.h"
#include "servicing/apply.h"
#include "servicing/apply_int.h"
#include "util/sha256.h"

/* ------------------------------------------------------------------ */
/* The record.                                                         */
/* ------------------------------------------------------------------ */

static void json_hex(struct json_writer *w, const uint8_t *d, size_t len)
{
	char *s = malloc(len * 2 + 1);
	if (s == NULL) {
		hvo_int_json_null(w);
		return;
	}
	for (size_t i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", d[i]);
	s[2 * len] = '\0';
	hvo_int_json_string(w, s);
	free(s);
}

static void json_sha(struct json_writer *w, const char *key, const uint8_t *sha)
{
	char hex[HVO_SHA256_HEX_LEN + 1];
	hvo_int_json_key(w, key);
	if (sha == NULL) {
		hvo_int_json_null(w);
		return;
	}
	hvo_int_sha256_hex(sha, hex);
	hvo_int_json_string(w, hex);
}

/* A descriptor as SDDL and as its bytes (what rollback would need). */
static void sd_json(struct json_writer *w, const char *key, const uint8_t *sd,
		    size_t len)
{
	if (sd == NULL)
		return;
	char *s = svc_int_sd_text(sd, len);
	hvo_int_json_key(w, key);
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "sddl", s ? s : "");
	hvo_int_json_key(w, "bytes");
	json_hex(w, sd, len);
	hvo_int_json_end_object(w);
	free(s);
}

/* The changes as JSON members (shared by the record and --json). */
static void changes_json(const struct svc_apply_result *res,
			 struct json_writer *w, bool all)
{
	hvo_int_json_key(w, "files");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < res->nfiles; i++) {
		const struct svc_file_change *c = &res->files[i];
		const struct svc_plan_file *f = c->file;
		if (!all && !c->written)
			continue;
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "path", f->dest);
		hvo_int_json_kv_string(w, "action",
				       !c->written  ? "unchanged"
				       : c->existed ? "replaced"
						    : "created");
		json_sha(w, "sha256", f->has_sha256 ? f->sha256 : NULL);
		json_sha(w, "previous_sha256",
			 c->existed ? c->prev_sha256 : NULL);
		if (c->existed)
			hvo_int_json_kv_uint(w, "previous_size", c->prev_size);
		sd_json(w, "security_descriptor", c->sd, c->sd_len);
		if (c->sd_rule != NULL)
			hvo_int_json_kv_string(w, "security_descriptor_rule",
					       c->sd_rule);
		sd_json(w, "previous_security_descriptor", c->prev_sd,
			c->prev_sd_len);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "registry");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < res->nregs; i++) {
		const struct svc_reg_change *c = &res->regs[i];
		const struct svc_plan_reg *r = c->reg;
		if (r == NULL || (!all && !c->changed))
			continue;
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "hive", svc_hive_name(r->hive));
		hvo_int_json_kv_string(w, "key", r->key);
		if (r->kind != SVC_REG_KEY)
			hvo_int_json_kv_string(w, "name", r->name);
		hvo_int_json_kv_string(w, "op", svc_reg_kind_name(r->kind));
		hvo_int_json_kv_string(w, "action",
				       c->changed ? "changed" : c->skip);
		if (r->kind == SVC_REG_SET) {
			hvo_int_json_kv_string(w, "type",
					       reg_type_name(r->type));
			hvo_int_json_key(w, "data");
			json_hex(w, r->data, r->len);
		} else if (r->kind != SVC_REG_KEY &&
			   r->kind != SVC_REG_DELETE) {
			hvo_int_json_kv_string(w, "entry", r->text);
		}
		hvo_int_json_key(w, "previous");
		if (c->existed && r->kind != SVC_REG_KEY) {
			hvo_int_json_begin_object(w);
			hvo_int_json_kv_string(w, "type",
					       reg_type_name(c->prev_type));
			hvo_int_json_key(w, "data");
			json_hex(w, c->prev_data, c->prev_len);
			hvo_int_json_end_object(w);
		} else {
			hvo_int_json_bool(w, c->existed);
		}
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

char *svc_int_make_record(const struct svc_plan *p,
			  const struct svc_apply_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m == NULL)
		return NULL;
	struct json_writer w;
	hvo_int_json_init(&w, m, true);
	hvo_int_json_begin_object(&w);
	hvo_int_json_kv_string(&w, "tool", "hvoffline");
	hvo_int_json_kv_string(&w, "tool_version", hvo_version());
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	hvo_int_json_kv_string(&w, "time", when);
	hvo_int_json_kv_string(&w, "image", p->image);
	hvo_int_json_kv_string(&w, "package", p->package_id);
	hvo_int_json_kv_string(&w, "identifier", p->identifier);
	hvo_int_json_kv_string(&w, "version", p->version);
	hvo_int_json_kv_string(&w, "staged_cabinet", p->staged_cab);
	hvo_int_json_kv_string(&w, "firstboot",
			       svc_firstboot_name(p->firstboot));
	hvo_int_json_key(&w, "hives_recovered_from_logs");
	hvo_int_json_begin_array(&w);
	for (int i = 0; i < SVC_NHIVES; i++)
		if (res->hive_recovered[i])
			hvo_int_json_string(&w,
					    svc_hive_name((enum svc_hive)i));
	hvo_int_json_end_array(&w);
	changes_json(res, &w, true);
	hvo_int_json_key(&w, "deferred");
	hvo_int_json_begin_array(&w);
	for (size_t i = 0; i < p->ndeferred; i++)
		hvo_int_json_string(&w, p->deferred[i].what);
	hvo_int_json_end_array(&w);
	hvo_int_json_end_object(&w);
	int e = hvo_int_json_finish(&w);
	fputc('\n', m);
	if (fclose(m) != 0 || e != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void svc_apply_result_json(const struct svc_apply_result *res,
			   struct json_writer *w)
{
	hvo_int_json_kv_bool(w, "guest_changed", res->guest_changed);
	hvo_int_json_kv_bool(w, "rolled_back", res->rolled_back);
	hvo_int_json_kv_uint(w, "files_written", res->files_written);
	hvo_int_json_kv_uint(w, "registry_changes", res->regs_changed);
	hvo_int_json_kv_uint(w, "directories_created",
			     res->guest_changed ? res->dirs_created : 0);
	hvo_int_json_key(w, "security_descriptors");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "set", res->sds_set);
	hvo_int_json_kv_uint(w, "skipped", res->sds_skipped);
	hvo_int_json_kv_string(w, "skip_reason", res->sd_skip_reason);
	hvo_int_json_end_object(w);
	hvo_int_json_key(w, "hives");
	hvo_int_json_begin_object(w);
	for (int i = 0; i < SVC_NHIVES; i++) {
		hvo_int_json_key(w, svc_hive_name((enum svc_hive)i));
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_bool(w, "written", res->hive_written[i]);
		hvo_int_json_kv_bool(w, "recovered_from_logs",
				     res->hive_recovered[i]);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_object(w);
	hvo_int_json_key(w, "changes");
	hvo_int_json_begin_object(w);
	changes_json(res, w, false);
	hvo_int_json_end_object(w);
	hvo_int_json_key(w, "warnings");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < res->nwarnings; i++)
		hvo_int_json_string(w, res->warnings[i]);
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "verify");
	hvo_int_json_begin_object(w);
	svc_verify_result_json(&res->verify, w);
	hvo_int_json_end_object(w);
}

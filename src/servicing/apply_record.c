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
#include "servicing/services_guest.h"
#include "util/sha256.h"

/* ------------------------------------------------------------------ */
/* The record.                                                         */
/* ------------------------------------------------------------------ */

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
	hvo_int_json_hex(w, sd, len);
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
		/* The record is made before the descriptors are set: it
		 * names the rule apply is about to use (apply_sd.c). */
		const char *rule = c->sd_rule;
		if (rule == NULL && all && c->written)
			rule = svc_int_sd_rule(f, c);
		if (rule != NULL)
			hvo_int_json_kv_string(w, "security_descriptor_rule",
					       rule);
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
			hvo_int_json_hex(w, r->data, r->len);
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
			hvo_int_json_hex(w, c->prev_data, c->prev_len);
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
	struct svc_record_json r;
	if (svc_int_record_begin(&r, NULL, NULL, p->image) != 0)
		return NULL;
	hvo_int_json_kv_string(&r.w, "package", p->package_id);
	hvo_int_json_kv_string(&r.w, "identifier", p->identifier);
	hvo_int_json_kv_string(&r.w, "version", p->version);
	hvo_int_json_kv_string(&r.w, "staged_cabinet", p->staged_cab);
	/* The verdict on the package's signature, and whether it went in
	 * only because of --allow-unsigned (issue 17). */
	svc_signature_json(&p->sig, &r.w);
	hvo_int_json_kv_string(&r.w, "firstboot",
			       svc_firstboot_name(p->firstboot));
	hvo_int_json_key(&r.w, "hives_recovered_from_logs");
	hvo_int_json_begin_array(&r.w);
	for (int i = 0; i < SVC_NHIVES; i++)
		if (res->hive_recovered[i])
			hvo_int_json_string(&r.w,
					    svc_hive_name((enum svc_hive)i));
	hvo_int_json_end_array(&r.w);
	changes_json(res, &r.w, true);
	hvo_int_json_key(&r.w, "deferred");
	hvo_int_json_begin_array(&r.w);
	for (size_t i = 0; i < p->ndeferred; i++)
		hvo_int_json_string(&r.w, p->deferred[i].what);
	hvo_int_json_end_array(&r.w);
	return svc_int_record_end(&r);
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
	hvo_int_json_kv_strings(w, "warnings", res->warnings, res->nwarnings);
	hvo_int_json_key(w, "verify");
	hvo_int_json_begin_object(w);
	svc_verify_result_json(&res->verify, w);
	hvo_int_json_end_object(w);
}

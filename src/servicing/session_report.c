/*
 * session_report.c - a session's results as the JSON document and the
 * text of `hvoffline inspect|apply|verify` (see session.h).
 */
#include <config.h>

#include <stdio.h>

#include "servicing/inspect_report.h"
#include "servicing/session_int.h"

enum hvo_exit svc_session_exit(const struct svc_session *s)
{
	return s->exit;
}

size_t svc_session_nimages(const struct svc_session *s)
{
	return s->results ? s->n : 0;
}

const struct svc_image_result *svc_session_image(const struct svc_session *s,
						 size_t i)
{
	return s->results && i < s->n ? &s->results[i] : NULL;
}

const struct svc_source *svc_session_source(const struct svc_session *s)
{
	return s->have_source ? &s->src : NULL;
}

void svc_session_backend(const struct svc_session *s,
			 struct svc_backend_info *info)
{
	*info = s->backend;
}

const struct svc_session_opts *svc_session_options(const struct svc_session *s)
{
	return &s->opts;
}

static void backend_json(const struct svc_session *s, struct json_writer *w,
			 bool seconds)
{
	struct svc_backend_info b;
	svc_session_backend(s, &b);
	hvo_int_json_key(w, "appliance");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "launches", b.launches);
	hvo_int_json_kv_string(w, "accelerator", b.accelerator);
	hvo_int_json_kv_bool(w, "fell_back", b.fell_back);
	if (seconds) {
		hvo_int_json_key(w, "launch_seconds");
		if (b.accelerator != NULL)
			hvo_int_json_double(w, b.seconds, 3);
		else
			hvo_int_json_null(w);
	}
	hvo_int_json_end_object(w);
}

static void source_json(const struct svc_source *src, struct json_writer *w,
			bool with_error)
{
	hvo_int_json_key(w, "source");
	if (src == NULL) {
		hvo_int_json_null(w);
		return;
	}
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "path", src->path);
	hvo_int_json_kv_string(w, "kind", svc_source_kind_name(src->kind));
	hvo_int_json_key(w, "cabinets");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < src->ncabs; i++)
		hvo_int_json_string(w, src->cabs[i].where);
	hvo_int_json_end_array(w);
	if (with_error)
		hvo_int_json_kv_string(w, "error",
				       src->error.code != SVC_OK
					       ? svc_source_errmsg(src)
					       : NULL);
	hvo_int_json_end_object(w);
}

static void windows_json(const struct svc_facts *f, struct json_writer *w)
{
	hvo_int_json_key(w, "windows");
	if (!f->windows_found) {
		hvo_int_json_null(w);
		return;
	}
	char v[32];
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "product_name",
			       f->product_name ? f->product_name : "");
	snprintf(v, sizeof(v), "%u.%u", f->nt_major, f->nt_minor);
	hvo_int_json_kv_string(w, "version", v);
	hvo_int_json_kv_uint(w, "build", f->build);
	hvo_int_json_kv_string(w, "arch", f->arch);
	hvo_int_json_kv_uint(w, "current_control_set", f->current_control_set);
	hvo_int_json_end_object(w);
}

static void package_json(const struct svc_image_result *r,
			 struct json_writer *w)
{
	hvo_int_json_key(w, "package");
	if (r->package == NULL) {
		hvo_int_json_null(w);
		return;
	}
	const struct pkg_package *p = r->package->pkg;
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "name", p->identity.name);
	hvo_int_json_kv_string(w, "version", p->identity.version);
	hvo_int_json_kv_string(w, "arch", p->identity.arch);
	hvo_int_json_kv_string(w, "identifier", p->identifier);
	hvo_int_json_kv_string(w, "cabinet", r->package->where);
	hvo_int_json_kv_string(w, "installed_version", r->installed);
	svc_signature_json(&r->package->sig, w);
	hvo_int_json_end_object(w);
}

static void plan_json(const struct svc_session_opts *o,
		      const struct svc_plan *p, struct json_writer *w)
{
	hvo_int_json_key(w, "plan");
	if (p == NULL) {
		hvo_int_json_null(w);
		return;
	}
	hvo_int_json_begin_object(w);
	if (o->dry_run || o->command == SVC_COMMAND_VERIFY) {
		svc_plan_json(p, w);
	} else {
		hvo_int_json_kv_uint(w, "files", p->nfiles);
		hvo_int_json_kv_uint(w, "registry_operations", p->nregs);
		hvo_int_json_kv_uint(w, "deferred", p->ndeferred);
		hvo_int_json_kv_string(w, "record", p->record);
		hvo_int_json_kv_string(w, "staged_cabinet", p->staged_cab);
		hvo_int_json_kv_string(w, "firstboot",
				       svc_firstboot_name(p->firstboot));
		hvo_int_json_kv_string(w, "firstboot_script",
				       p->firstboot_script);
	}
	hvo_int_json_end_object(w);
}

/* One image of apply or verify. */
static void servicing_image_json(const struct svc_session_opts *o,
				 const struct svc_image_result *r,
				 struct json_writer *w)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "image", r->facts.image);
	hvo_int_json_kv_string(w, "status", svc_status_name(r->status));
	hvo_int_json_kv_int(w, "exit_code", r->exit);
	hvo_int_json_kv_string(w, "message", r->message);
	windows_json(&r->facts, w);
	svc_int_problems_json(&r->facts, w);
	package_json(r, w);
	if (r->have_applicability) {
		hvo_int_json_key(w, "packages");
		hvo_int_json_begin_object(w);
		svc_applicability_json(&r->applicability, w);
		hvo_int_json_end_object(w);
	}
	plan_json(o, r->plan, w);
	hvo_int_json_key(w,
			 o->command == SVC_COMMAND_APPLY ? "result" : "verify");
	if (r->applied) {
		hvo_int_json_begin_object(w);
		svc_apply_result_json(&r->apply, w);
		hvo_int_json_end_object(w);
	} else if (r->verified) {
		hvo_int_json_begin_object(w);
		svc_verify_result_json(&r->verify, w);
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	hvo_int_json_end_object(w);
}

/* One image of inspect. */
static void inspect_image_json(const struct svc_image_result *r,
			       struct json_writer *w)
{
	hvo_int_json_begin_object(w);
	svc_facts_json(&r->facts, w);
	hvo_int_json_key(w, "packages");
	if (r->have_applicability) {
		hvo_int_json_begin_object(w);
		svc_applicability_json(&r->applicability, w);
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	hvo_int_json_end_object(w);
}

void svc_session_json(const struct svc_session *s, struct json_writer *w)
{
	const struct svc_session_opts *o = svc_session_options(s);
	bool inspect = o->command == SVC_COMMAND_INSPECT;
	enum hvo_exit rc = svc_session_exit(s);
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "command", svc_command_name(o->command));
	hvo_int_json_kv_string(w, "status",
			       rc == HVO_EXIT_OK ? "ok" : "problems");
	hvo_int_json_kv_int(w, "exit_code", rc);
	if (!inspect)
		hvo_int_json_kv_bool(w, "dry_run", o->dry_run);
	backend_json(s, w, inspect);
	source_json(svc_session_source(s), w, inspect);
	hvo_int_json_key(w, "images");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < svc_session_nimages(s); i++) {
		const struct svc_image_result *r = svc_session_image(s, i);
		if (inspect)
			inspect_image_json(r, w);
		else
			servicing_image_json(o, r, w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_end_object(w);
}

static void diffs_text(const struct svc_verify_result *v, FILE *out)
{
	for (size_t k = 0; k < v->ndiffs; k++)
		fprintf(out, "  differs: %s: expected %s, found %s\n",
			v->diffs[k].what, v->diffs[k].expected,
			v->diffs[k].found);
}

static void servicing_image_text(const struct svc_session_opts *o,
				 const struct svc_image_result *r, FILE *out)
{
	fprintf(out, "%s: %s: %s\n", r->facts.image, svc_status_name(r->status),
		r->message ? r->message : "");
	if (r->plan != NULL && o->dry_run)
		svc_plan_text(r->plan, out);
	if (r->applied) {
		if (r->apply.guest_changed)
			fprintf(out, "  record: %s\n", r->plan->record);
		if (r->apply.guest_changed)
			fprintf(out,
				"  security descriptors: %zu set, %zu "
				"skipped%s%s\n",
				r->apply.sds_set, r->apply.sds_skipped,
				r->apply.sd_skip_reason ? ": " : "",
				r->apply.sd_skip_reason
					? r->apply.sd_skip_reason
					: "");
		for (size_t k = 0; k < r->apply.nwarnings; k++)
			fprintf(out, "  warning: %s\n", r->apply.warnings[k]);
		diffs_text(&r->apply.verify, out);
	}
	if (r->verified) {
		diffs_text(&r->verify, out);
		if (r->verify.firstboot_done)
			fprintf(out, "  first boot ran: %s\n",
				r->verify.firstboot_status);
	}
}

void svc_session_text(const struct svc_session *s, FILE *out)
{
	const struct svc_session_opts *o = svc_session_options(s);
	for (size_t i = 0; i < svc_session_nimages(s); i++) {
		const struct svc_image_result *r = svc_session_image(s, i);
		if (o->command != SVC_COMMAND_INSPECT) {
			servicing_image_text(o, r, out);
			continue;
		}
		if (i > 0)
			fputc('\n', out);
		svc_facts_text(&r->facts, out);
		if (r->have_applicability)
			fprintf(out, "  package:       %s\n",
				r->applicability.summary);
	}
}

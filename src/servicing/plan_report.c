/*
 * plan_report.c - a plan as JSON and as text (`apply --dry-run`).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/reg.h"
#include "servicing/plan.h"
#include "util/bytes.h"
#include "util/sha256.h"

static const char *role_name(enum svc_file_role r)
{
	switch (r) {
	case SVC_ROLE_INSTALL:
		return "install";
	case SVC_ROLE_STAGE:
		return "stage";
	case SVC_ROLE_FIRSTBOOT:
		return "firstboot";
	case SVC_ROLE_RECORD:
		return "record";
	}
	return "?";
}

static const char *source_name(enum svc_file_source s)
{
	switch (s) {
	case SVC_SRC_CAB_ENTRY:
		return "cabinet-entry";
	case SVC_SRC_CABINET:
		return "cabinet";
	case SVC_SRC_TEXT:
		return "generated";
	case SVC_SRC_RECORD:
		return "record";
	case SVC_SRC_GUEST_FILE:
		return "guest-file";
	}
	return "?";
}

const char *svc_reg_kind_name(enum svc_reg_kind k)
{
	switch (k) {
	case SVC_REG_SET:
		return "set";
	case SVC_REG_KEY:
		return "create-key";
	case SVC_REG_MULTI_ADD:
		return "add-to-list";
	case SVC_REG_PATH_ADD:
		return "add-to-path";
	case SVC_REG_DELETE:
		return "delete-value";
	}
	return "?";
}

/* The data of a SET as text: strings as such, numbers in hex, the rest
 * as hex bytes (at most 64 shown). */
static char *data_text(const struct svc_plan_reg *r)
{
	char *s = NULL;
	int n = -1;
	switch (r->type) {
	case REG_TYPE_SZ:
	case REG_TYPE_EXPAND_SZ:
	case REG_TYPE_LINK:
		if (r->text)
			n = asprintf(&s, "\"%s\"", r->text);
		break;
	case REG_TYPE_DWORD:
		if (r->len == 4)
			n = asprintf(&s, "0x%x", get_le32(r->data));
		break;
	case REG_TYPE_QWORD:
		if (r->len == 8)
			n = asprintf(&s, "0x%llx",
				     (unsigned long long)get_le64(r->data));
		break;
	case REG_TYPE_MULTI_SZ: {
		struct reg_value v = { .type = REG_TYPE_MULTI_SZ,
				       .len = r->len,
				       .data = r->data };
		char **strs;
		size_t k;
		if (reg_value_multi(&v, &strs, &k) != REG_OK)
			break;
		size_t len = 3;
		for (size_t i = 0; i < k; i++)
			len += strlen(strs[i]) + 4;
		s = malloc(len);
		if (s != NULL) {
			char *p = s;
			*p++ = '[';
			for (size_t i = 0; i < k; i++)
				p += sprintf(p, "%s\"%s\"", i ? ", " : "",
					     strs[i]);
			*p++ = ']';
			*p = '\0';
			n = 0;
		}
		reg_names_free(strs, k);
		break;
	}
	default:
		break;
	}
	if (n >= 0)
		return s;
	size_t shown = r->len < 64 ? r->len : 64;
	s = malloc(shown * 3 + 8);
	if (s == NULL)
		return NULL;
	char *p = s;
	for (size_t i = 0; i < shown; i++)
		p += sprintf(p, "%s%02x", i ? "," : "", r->data[i]);
	if (shown < r->len)
		strcpy(p, ",...");
	else
		*p = '\0';
	return s;
}

char *svc_plan_reg_describe(const struct svc_plan_reg *r)
{
	char *s = NULL, *d = NULL;
	const char *name = r->name[0] ? r->name : "(default)";
	const char *tn = reg_type_name(r->type);
	int n;
	switch (r->kind) {
	case SVC_REG_SET:
		d = data_text(r);
		n = asprintf(&s, "%s\\%s: %s = %s %s%s%s",
			     svc_hive_name(r->hive), r->key, name,
			     tn ? tn : "REG_?", d ? d : "",
			     r->noclobber ? " (if absent)" : "",
			     r->only_existing ? " (if present)" : "");
		break;
	case SVC_REG_KEY:
		n = asprintf(&s, "%s\\%s: create key", svc_hive_name(r->hive),
			     r->key);
		break;
	case SVC_REG_MULTI_ADD:
		n = asprintf(&s, "%s\\%s: %s += \"%s\" (REG_MULTI_SZ)",
			     svc_hive_name(r->hive), r->key, name, r->text);
		break;
	case SVC_REG_PATH_ADD:
		n = asprintf(&s, "%s\\%s: %s += \";%s\"",
			     svc_hive_name(r->hive), r->key, name, r->text);
		break;
	case SVC_REG_DELETE:
		n = asprintf(&s, "%s\\%s: delete %s", svc_hive_name(r->hive),
			     r->key, name);
		break;
	default:
		n = -1;
	}
	free(d);
	return n < 0 ? NULL : s;
}

void svc_plan_json(const struct svc_plan *p, struct json_writer *w)
{
	char hex[2 * HVO_SHA256_LEN + 1];
	hvo_int_json_kv_string(w, "package", p->package);
	hvo_int_json_kv_string(w, "version", p->version);
	hvo_int_json_kv_string(w, "package_id", p->package_id);
	hvo_int_json_kv_string(w, "identifier", p->identifier);
	hvo_int_json_key(w, "target");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "arch", p->target.arch);
	snprintf(hex, sizeof(hex), "%u.%u", (unsigned)p->target.nt_major,
		 (unsigned)p->target.nt_minor);
	hvo_int_json_kv_string(w, "nt_version", hex);
	hvo_int_json_kv_uint(w, "build", p->target.build);
	hvo_int_json_kv_uint(w, "control_set", p->control_set);
	hvo_int_json_kv_bool(w, "critical_device_database", p->cdd);
	hvo_int_json_end_object(w);
	hvo_int_json_kv_string(w, "staged_cabinet", p->staged_cab);
	hvo_int_json_kv_string(w, "record", p->record);
	hvo_int_json_key(w, "firstboot");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "mechanism",
			       svc_firstboot_name(p->firstboot));
	hvo_int_json_kv_string(w, "script", p->firstboot_script);
	hvo_int_json_kv_string(w, "log", p->firstboot_log);
	hvo_int_json_end_object(w);

	hvo_int_json_key(w, "files");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct svc_plan_file *f = &p->files[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "path", f->dest);
		hvo_int_json_kv_string(w, "role", role_name(f->role));
		hvo_int_json_kv_string(w, "source", source_name(f->source));
		if (f->cab_entry)
			hvo_int_json_kv_string(w, "cabinet_entry",
					       f->cab_entry);
		if (f->from)
			hvo_int_json_kv_string(w, "from", f->from);
		hvo_int_json_key(w, "sha256");
		if (f->has_sha256) {
			hvo_int_sha256_hex(f->sha256, hex);
			hvo_int_json_string(w, hex);
		} else {
			hvo_int_json_null(w);
		}
		if (f->source != SVC_SRC_RECORD &&
		    f->source != SVC_SRC_GUEST_FILE)
			hvo_int_json_kv_uint(w, "size", f->size);
		hvo_int_json_kv_string(w, "origin", f->origin);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);

	hvo_int_json_key(w, "registry");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < p->nregs; i++) {
		const struct svc_plan_reg *r = &p->regs[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "op", svc_reg_kind_name(r->kind));
		hvo_int_json_kv_string(w, "hive", svc_hive_name(r->hive));
		hvo_int_json_kv_string(w, "key", r->key);
		if (r->kind != SVC_REG_KEY)
			hvo_int_json_kv_string(w, "name", r->name);
		if (r->kind == SVC_REG_SET) {
			const char *tn = reg_type_name(r->type);
			hvo_int_json_kv_string(w, "type", tn);
			char *d = data_text(r);
			hvo_int_json_kv_string(w, "data", d);
			free(d);
			/* The bytes as stored, for scripts. */
			char *raw = malloc(r->len * 2 + 1);
			if (raw != NULL) {
				for (size_t k = 0; k < r->len; k++)
					sprintf(raw + 2 * k, "%02x",
						r->data[k]);
				raw[2 * r->len] = '\0';
			}
			hvo_int_json_kv_string(w, "data_hex", raw);
			free(raw);
			if (r->noclobber)
				hvo_int_json_kv_bool(w, "if_absent", true);
			if (r->only_existing)
				hvo_int_json_kv_bool(w, "if_present", true);
		} else if (r->kind == SVC_REG_MULTI_ADD ||
			   r->kind == SVC_REG_PATH_ADD) {
			hvo_int_json_kv_string(w, "entry", r->text);
		}
		hvo_int_json_kv_string(w, "origin", r->origin);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);

	hvo_int_json_key(w, "deferred");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < p->ndeferred; i++) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "what", p->deferred[i].what);
		hvo_int_json_kv_string(w, "reason", p->deferred[i].reason);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_kv_strings(w, "notes", p->notes, p->nnotes);
}

void svc_plan_text(const struct svc_plan *p, FILE *out)
{
	char hex[2 * HVO_SHA256_LEN + 1];
	fprintf(out, "plan for %s: %s %s (%s)\n", p->image, p->package,
		p->version, p->identifier ? p->identifier : "no KB");
	fprintf(out, "  target: %s, NT %u.%u build %u, ControlSet%03u%s\n",
		p->target.arch, (unsigned)p->target.nt_major,
		(unsigned)p->target.nt_minor, (unsigned)p->target.build,
		p->control_set, p->cdd ? ", CriticalDeviceDatabase" : "");
	fprintf(out,
		"  files: %zu install, %zu staged, %zu first boot, "
		"record %s\n",
		svc_plan_count_files(p, SVC_ROLE_INSTALL),
		svc_plan_count_files(p, SVC_ROLE_STAGE),
		svc_plan_count_files(p, SVC_ROLE_FIRSTBOOT), p->record);
	fprintf(out, "  registry: %zu SYSTEM, %zu SOFTWARE\n",
		svc_plan_count_regs(p, SVC_HIVE_SYSTEM),
		svc_plan_count_regs(p, SVC_HIVE_SOFTWARE));
	fprintf(out, "  first boot: %s\n", svc_firstboot_name(p->firstboot));
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct svc_plan_file *f = &p->files[i];
		if (f->has_sha256)
			hvo_int_sha256_hex(f->sha256, hex);
		else
			strcpy(hex, "-");
		fprintf(out, "file  %-9s %s  sha256 %.16s  (%s)\n",
			role_name(f->role), f->dest, hex, f->origin);
	}
	for (size_t i = 0; i < p->nregs; i++) {
		char *d = svc_plan_reg_describe(&p->regs[i]);
		fprintf(out, "reg   %s  (%s)\n", d ? d : "?",
			p->regs[i].origin);
		free(d);
	}
	for (size_t i = 0; i < p->ndeferred; i++)
		fprintf(out, "defer %s: %s\n", p->deferred[i].what,
			p->deferred[i].reason);
	for (size_t i = 0; i < p->nnotes; i++)
		fprintf(out, "note  %s\n", p->notes[i]);
}

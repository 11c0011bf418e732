/*
 * report.c - a CBS package as `hvoffline package info` shows it, in text
 * or JSON, beside the model it renders: identity, KB, restart, parents,
 * each update (drivers through report_driver.c; component closures with
 * their files, registry values, services and svchost groups) and the
 * digest check of every file.  The caller opens the output and handles
 * errors; nothing here fails.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/report.h"
#include "util/sha256.h"

static const char *digest_name(enum pkg_digest_state s)
{
	static const char *const names[] = { "unchecked", "ok", "mismatch",
					     "none", "missing" };
	return (unsigned)s < 5 ? names[s] : "?";
}

static const char *role_name(enum pkg_entry_role r)
{
	static const char *const names[] = { "unaccounted", "package-manifest",
					     "catalog", "manifest", "payload" };
	return (unsigned)r < 5 ? names[r] : "?";
}

/* The target: defaults from the package. */
void pkg_int_default_target(const struct pkg_package *p, struct pkg_target *t)
{
	t->arch = p->identity.arch;
	uint32_t major = 0, minor = 0;
	bool any = false;
	for (size_t i = 0; i < p->nparents; i++)
		for (size_t k = 0; k < p->parents[i].nids; k++) {
			struct pkg_version v;
			if (!pkg_version_parse(p->parents[i].ids[k].version,
					       &v))
				continue;
			if (!any || v.part[0] < major ||
			    (v.part[0] == major && v.part[1] < minor)) {
				major = v.part[0];
				minor = v.part[1];
				any = true;
			}
		}
	/* A package without parents: the newest decorations apply. */
	t->nt_major = any ? major : 10;
	t->nt_minor = any ? minor : 0;
}

/* ---- Components ---- */

void pkg_int_report_identity_json(struct json_writer *w,
				  const struct pkg_identity *id)
{
	hvo_int_json_kv_string(w, "name", id->name);
	hvo_int_json_kv_string(w, "version", id->version);
	hvo_int_json_kv_string(w, "arch", id->arch);
	hvo_int_json_kv_string(w, "language", id->language);
	hvo_int_json_kv_string(w, "public_key_token", id->public_key_token);
	if (id->type)
		hvo_int_json_kv_string(w, "type", id->type);
}

static void json_component(struct json_writer *w, const struct pkg_manifest *m)
{
	char hexbuf[HVO_SHA256_HEX_LEN + 1];
	hvo_int_json_begin_object(w);
	pkg_int_report_identity_json(w, &m->identity);
	hvo_int_json_kv_string(w, "key", m->key);
	hvo_int_json_key(w, "files");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct pkg_file *f = &m->files[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "name", f->name);
		hvo_int_json_kv_string(w, "source", f->source_name);
		hvo_int_json_kv_string(w, "destination", f->destination_path);
		hvo_int_json_kv_bool(w, "inf", f->inf);
		hvo_int_json_kv_uint(w, "size", f->size);
		hvo_int_json_kv_string(w, "digest", digest_name(f->digest));
		if (f->has_sha256) {
			hvo_int_sha256_hex(f->sha256, hexbuf);
			hvo_int_json_kv_string(w, "sha256", hexbuf);
		}
		hvo_int_json_kv_string(w, "security_descriptor",
				       f->security_descriptor);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "services");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < m->nservices; i++) {
		const struct pkg_service *s = &m->services[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "name", s->name);
		hvo_int_json_kv_string(w, "type", s->type);
		hvo_int_json_kv_uint(w, "service_type", s->type_value);
		hvo_int_json_kv_string(w, "start", s->start);
		hvo_int_json_kv_uint(w, "start_type", s->start_value);
		hvo_int_json_kv_bool(w, "delayed_auto_start",
				     s->delayed_auto_start);
		hvo_int_json_kv_uint(w, "error_control",
				     s->error_control_value);
		hvo_int_json_kv_string(w, "image_path", s->image_path);
		hvo_int_json_kv_string(w, "account", s->object_name);
		hvo_int_json_kv_string(w, "group", s->group);
		hvo_int_json_kv_string(w, "display_name", s->display_name);
		hvo_int_json_kv_string(w, "description", s->description);
		hvo_int_json_kv_string(w, "sid_type", s->sid_type);
		hvo_int_json_kv_strings(w, "dependencies", s->depend_on_service,
					s->ndepend_on_service);
		hvo_int_json_kv_strings(w, "required_privileges",
					s->required_privileges,
					s->nrequired_privileges);
		hvo_int_json_key(w, "triggers");
		hvo_int_json_begin_array(w);
		for (size_t k = 0; k < s->ntriggers; k++) {
			hvo_int_json_begin_object(w);
			hvo_int_json_kv_string(w, "action",
					       s->triggers[k].action);
			hvo_int_json_kv_string(w, "type", s->triggers[k].type);
			hvo_int_json_kv_string(w, "subtype",
					       s->triggers[k].subtype);
			hvo_int_json_end_object(w);
		}
		hvo_int_json_end_array(w);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "svchost");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < m->nsvchost; i++) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "group", m->svchost[i].group);
		hvo_int_json_kv_string(w, "service", m->svchost[i].service);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "registry");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < m->nreg_keys; i++) {
		const struct pkg_reg_key *k = &m->reg_keys[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "key", k->key_name);
		hvo_int_json_kv_string(w, "security_descriptor",
				       k->security_descriptor);
		hvo_int_json_key(w, "values");
		hvo_int_json_begin_array(w);
		for (size_t v = 0; v < k->nvalues; v++) {
			hvo_int_json_begin_object(w);
			hvo_int_json_kv_string(w, "name", k->values[v].name);
			pkg_int_report_reg_data_json(w, &k->values[v].data,
						     false);
			hvo_int_json_end_object(w);
		}
		hvo_int_json_end_array(w);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "security_descriptors");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < m->nsds; i++) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "name", m->sds[i].name);
		hvo_int_json_kv_string(w, "sddl", m->sds[i].sddl);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "dependencies");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < m->ndeps; i++) {
		hvo_int_json_begin_object(w);
		pkg_int_report_identity_json(w, &m->deps[i].identity);
		hvo_int_json_kv_string(w, "dependency_type",
				       m->deps[i].dependency_type);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "unmodelled");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < m->nunmodelled; i++)
		hvo_int_json_string(w, m->unmodelled[i].element);
	hvo_int_json_end_array(w);
	hvo_int_json_end_object(w);
}

static void text_component(FILE *out, const struct pkg_manifest *m)
{
	fprintf(out, "  component %s %s\n", m->identity.name,
		m->identity.version);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct pkg_file *f = &m->files[i];
		fprintf(out, "    file %s -> %s%s [%s]\n", f->source_name,
			f->destination_path ? f->destination_path : "(none)",
			f->destination_path ? f->name : "",
			digest_name(f->digest));
	}
	for (size_t i = 0; i < m->nservices; i++) {
		const struct pkg_service *s = &m->services[i];
		fprintf(out,
			"    service %s: %s, start %s, image %s, account %s, "
			"%zu "
			"trigger(s)\n",
			s->name, s->type, s->start,
			s->image_path ? s->image_path : "(none)",
			s->object_name ? s->object_name : "(default)",
			s->ntriggers);
	}
	for (size_t i = 0; i < m->nsvchost; i++)
		fprintf(out, "    svchost group %s: %s\n", m->svchost[i].group,
			m->svchost[i].service);
	for (size_t i = 0; i < m->nreg_keys; i++) {
		const struct pkg_reg_key *k = &m->reg_keys[i];
		fprintf(out, "    registry %s%s%s\n", k->key_name,
			k->security_descriptor ? " sd=" : "",
			k->security_descriptor ? k->security_descriptor : "");
		for (size_t v = 0; v < k->nvalues; v++) {
			fprintf(out, "      %s = ",
				k->values[v].name[0] ? k->values[v].name
						     : "(default)");
			pkg_int_report_reg_data_text(out, &k->values[v].data,
						     false);
			fprintf(out, "\n");
		}
	}
	for (size_t i = 0; i < m->nunmodelled; i++)
		fprintf(out, "    not modelled: %s (line %u)\n",
			m->unmodelled[i].element, m->unmodelled[i].line);
}

static const char *kind_name(enum pkg_update_kind k)
{
	return k == PKG_UPDATE_DRIVER	   ? "driver"
	       : k == PKG_UPDATE_COMPONENT ? "component"
					   : "package";
}

void pkg_int_report_json(struct json_writer *w, const struct pkg_package *p,
			 const struct pkg_target *t,
			 struct pkg_driver *const *drv)
{
	char nt[32];
	hvo_int_json_key(w, "package");
	hvo_int_json_begin_object(w);
	pkg_int_report_identity_json(w, &p->identity);
	hvo_int_json_end_object(w);
	hvo_int_json_kv_string(w, "identifier", p->identifier);
	hvo_int_json_kv_string(w, "description", p->description);
	hvo_int_json_kv_string(w, "release_type", p->release_type);
	hvo_int_json_kv_string(w, "restart", p->restart);
	hvo_int_json_key(w, "parents");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < p->nparents; i++) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "integrate", p->parents[i].integrate);
		hvo_int_json_key(w, "any_of");
		hvo_int_json_begin_array(w);
		for (size_t k = 0; k < p->parents[i].nids; k++) {
			hvo_int_json_begin_object(w);
			pkg_int_report_identity_json(w, &p->parents[i].ids[k]);
			hvo_int_json_end_object(w);
		}
		hvo_int_json_end_array(w);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "target");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "arch", t->arch);
	snprintf(nt, sizeof(nt), "%u.%u", t->nt_major, t->nt_minor);
	hvo_int_json_kv_string(w, "nt", nt);
	hvo_int_json_end_object(w);

	hvo_int_json_key(w, "updates");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < p->nupdates; i++) {
		const struct pkg_update *u = &p->updates[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "kind", kind_name(u->kind));
		hvo_int_json_kv_string(w, "name", u->name);
		hvo_int_json_kv_string(w, "display_name", u->display_name);
		hvo_int_json_kv_string(w, "restart", u->restart);
		hvo_int_json_key(w, "identity");
		hvo_int_json_begin_object(w);
		pkg_int_report_identity_json(w, &u->identity);
		hvo_int_json_end_object(w);
		hvo_int_json_kv_string(w, "component",
				       u->manifest ? u->manifest->key : NULL);
		if (u->kind == PKG_UPDATE_DRIVER) {
			hvo_int_json_kv_string(w, "inf", u->inf);
			hvo_int_json_kv_string(w, "ranking", u->ranking);
			hvo_int_json_kv_bool(w, "device_install_required",
					     u->device_install_required);
			if (drv && drv[i])
				pkg_int_report_driver_json(w, drv[i]);
		} else {
			hvo_int_json_key(w, "closure");
			hvo_int_json_begin_array(w);
			for (size_t k = 0; k < u->nclosure; k++)
				json_component(w, u->closure[k]);
			hvo_int_json_end_array(w);
		}
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);

	hvo_int_json_key(w, "files");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "total", p->nentries);
	hvo_int_json_kv_uint(w, "digests_ok", p->digests_ok);
	hvo_int_json_kv_uint(w, "digests_mismatch", p->digests_bad);
	hvo_int_json_kv_uint(w, "digests_none", p->digests_none);
	hvo_int_json_kv_uint(w, "payloads_missing", p->payloads_missing);
	hvo_int_json_kv_uint(w, "unaccounted", p->unaccounted);
	hvo_int_json_key(w, "entries");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < p->nentries; i++) {
		const struct pkg_entry *e = &p->entries[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "name", e->name);
		hvo_int_json_kv_uint(w, "size", e->size);
		hvo_int_json_kv_string(w, "role", role_name(e->role));
		if (e->file) {
			hvo_int_json_kv_string(w, "digest",
					       digest_name(e->file->digest));
			char hexbuf[HVO_SHA256_HEX_LEN + 1];
			hvo_int_sha256_hex(e->file->actual_sha256, hexbuf);
			hvo_int_json_kv_string(w, "sha256", hexbuf);
		}
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_end_object(w);
}

void pkg_int_report_text(FILE *out, const struct pkg_package *p,
			 const struct pkg_target *t,
			 struct pkg_driver *const *drv)
{
	fprintf(out, "package:      %s %s (%s)\n", p->identity.name,
		p->identity.version, p->identity.arch);
	fprintf(out, "identifier:   %s\n",
		p->identifier ? p->identifier : "(none)");
	if (p->description)
		fprintf(out, "description:  %s\n", p->description);
	fprintf(out, "restart:      %s\n",
		p->restart ? p->restart : "(unspecified)");
	for (size_t i = 0; i < p->nparents; i++) {
		fprintf(out, "parents:      any of\n");
		for (size_t k = 0; k < p->parents[i].nids; k++) {
			const struct pkg_identity *id = &p->parents[i].ids[k];
			fprintf(out, "  %s %s (%s)\n", id->name, id->version,
				id->arch);
		}
	}
	fprintf(out, "target:       %s, Windows NT %u.%u\n", t->arch,
		t->nt_major, t->nt_minor);
	size_t nd = 0, nc = 0;
	for (size_t i = 0; i < p->nupdates; i++)
		nd += p->updates[i].kind == PKG_UPDATE_DRIVER;
	nc = p->nupdates - nd;
	fprintf(out, "updates:      %zu (drivers: %zu, components: %zu)\n",
		p->nupdates, nd, nc);
	for (size_t i = 0; i < p->nupdates; i++) {
		const struct pkg_update *u = &p->updates[i];
		fprintf(out, "\n%s %s (%s%s%s)\n", kind_name(u->kind),
			u->kind == PKG_UPDATE_DRIVER ? u->inf
						     : u->identity.name,
			u->name ? u->name : "", u->ranking ? ", ranking " : "",
			u->ranking ? u->ranking : "");
		if (u->manifest)
			fprintf(out, "  key: %s\n", u->manifest->key);
		if (u->kind == PKG_UPDATE_DRIVER) {
			if (drv && drv[i])
				pkg_int_report_driver_text(out, drv[i]);
		} else {
			for (size_t k = 0; k < u->nclosure; k++)
				text_component(out, u->closure[k]);
		}
	}
	fprintf(out, "\nfiles:        %zu in the cabinet, %zu unaccounted\n",
		p->nentries, p->unaccounted);
	fprintf(out,
		"digests:      %zu ok, %zu mismatch, %zu missing, %zu without "
		"SHA-256\n",
		p->digests_ok, p->digests_bad, p->payloads_missing,
		p->digests_none);
	for (size_t i = 0; i < p->nentries; i++) {
		const struct pkg_entry *e = &p->entries[i];
		fprintf(out, "  %-11s %-16s %s\n",
			e->file ? digest_name(e->file->digest) : "-",
			role_name(e->role), e->name);
	}
}

/*
 * cmd_package.c - `hvoffline package info`: what a CBS package contains.
 *
 * Reads the package through src/package (which reads the cabinet through
 * cab/ and checks every payload's SHA-256) and shows everything an
 * installation would do: identity, KB, restart, parents, each update (a
 * driver INF with its services, start types, hardware IDs per decoration,
 * files and their destinations; or a component closure with its files,
 * registry values, services and svchost groups), the directives deferred
 * to first boot, and the digest check of every file.
 *
 * INF decorations depend on the Windows version; by default the package's
 * own architecture and the lowest NT version among its parents are used
 * (the oldest Windows it applies to), --arch and --nt choose another.
 *
 * Exit codes: 0; 5 for a malformed manifest or INF (the message names the
 * file and line), a missing payload or a digest mismatch; others from the
 * cabinet (SERVICING.md section 4).
 *
 * `hvoffline package key` prints the component key of an identity given
 * on the command line, with the same function that names manifests when
 * a package is read (pkg_component_key), so that packages made by the
 * project (tests/fixtures/icpkg) name their manifests and payload folders
 * exactly as the reader will look for them.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "package/package.h"
#include "trust/report.h"
#include "util/sha256.h"

const char cmd_package_help[] =
	"Usage: hvoffline package info [--json] [--arch ARCH] [--nt X.Y] "
	"CABINET\n"
	"       hvoffline package key [--json] --name N --version V --arch A "
	"...\n"
	"\n"
	"Read a CBS package (update.mum, component manifests, driver INF "
	"files)\n"
	"and show what installing it does, or print the component key of an\n"
	"assembly identity.  See `hvoffline package COMMAND --help`.\n";

const char cmd_package_info_help[] =
	"Usage: hvoffline package info [--json] [--arch ARCH] [--nt X.Y] "
	"CABINET\n"
	"\n"
	"Show a CBS package: identity, KB, restart, parents; each driver "
	"update\n"
	"(its INF's services, start types, hardware IDs per decoration, files "
	"and\n"
	"destinations) and each component update (the dependency closure "
	"with\n"
	"files, registry values, services and svchost groups); the "
	"directives\n"
	"deferred to first boot; and the SHA-256 check of every file.\n"
	"\n"
	"INF decorations are chosen for ARCH and Windows NT version X.Y "
	"(default:\n"
	"the package's architecture and the lowest NT version among its "
	"parents).\n"
	"\n"
	"Exits 5 when a manifest or INF is malformed, a payload is missing "
	"or a\n"
	"digest does not match, or the cabinet's Authenticode signature is\n"
	"tampered, missing or untrusted.\n"
	"\n"
	"Options:\n"
	"  --arch ARCH  target architecture (amd64, x86, arm64)\n"
	"  --nt X.Y     target Windows NT version, e.g. "
	"6.1\n" TRUST_OPTIONS_HELP;

static const char *start_names[] = { "boot", "system", "auto", "demand",
				     "disabled" };

/* Verifies @path's signature for a command: a refusal is an error naming
 * the failure, a waived one (--allow-unsigned) a loud warning. */
static enum hvo_exit cli_trust_check(struct cli_ctx *ctx,
				     const struct trust_opts *to,
				     const char *path,
				     struct trust_verdict **sig)
{
	char msg[1200];
	enum hvo_exit rc = trust_check_cab(to, path, sig, msg, sizeof(msg));
	if (rc)
		cli_error(ctx, path, "%s", msg);
	else if (trust_verdict_waived(*sig, to))
		cli_warn(ctx, path,
			 "%s; ACCEPTED only because of "
			 "--allow-unsigned",
			 msg);
	return rc;
}

static const char *start_name(uint32_t v)
{
	return v < 5 ? start_names[v] : "?";
}

static const char *root_name(enum pkg_inf_root r)
{
	static const char *const names[] = { "HKR", "HKLM", "HKCR", "HKCU",
					     "HKU" };
	return (unsigned)r < 5 ? names[r] : "?";
}

static const char *context_name(enum pkg_inf_regctx c)
{
	static const char *const names[] = { "driver", "service", "eventlog",
					     "hardware" };
	return (unsigned)c < 4 ? names[c] : "?";
}

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

/* An INF template as text: "%%" -> "%", DIRID tokens kept ("%12%"). */
static char *untemplate(const char *t)
{
	if (t == NULL)
		return NULL;
	char *s = malloc(strlen(t) + 1);
	if (s == NULL)
		abort();
	char *o = s;
	for (const char *p = t; *p; p++) {
		*o++ = *p;
		if (p[0] == '%' && p[1] == '%')
			p++;
	}
	*o = '\0';
	return s;
}

/* The target: defaults from the package. */
static void default_target(const struct pkg_package *p, struct pkg_target *t)
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

/* ---- Registry data ---- */

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static void json_reg_data(struct json_writer *w, const struct pkg_reg_data *d,
			  bool inf)
{
	const char *tn = pkg_reg_type_name(d->type);
	char buf[32];
	if (tn == NULL) {
		snprintf(buf, sizeof(buf), "0x%x", d->type);
		tn = buf;
	}
	hvo_int_json_kv_string(w, "type", tn);
	hvo_int_json_key(w, "data");
	if (d->raw ||
	    (d->type != PKG_REG_SZ && d->type != PKG_REG_EXPAND_SZ &&
	     d->type != PKG_REG_LINK && d->type != PKG_REG_MULTI_SZ &&
	     d->type != PKG_REG_DWORD && d->type != PKG_REG_DWORD_BIG_ENDIAN &&
	     d->type != PKG_REG_QWORD)) {
		char *h = malloc(d->nbin * 2 + 1);
		if (h == NULL)
			abort();
		hex(h, d->bin, d->nbin);
		hvo_int_json_string(w, h);
		free(h);
	} else if (d->type == PKG_REG_MULTI_SZ) {
		hvo_int_json_begin_array(w);
		for (size_t i = 0; i < d->nstrv; i++) {
			char *s = inf ? untemplate(d->strv[i]) : NULL;
			hvo_int_json_string(w, s ? s : d->strv[i]);
			free(s);
		}
		hvo_int_json_end_array(w);
	} else if (d->type == PKG_REG_SZ || d->type == PKG_REG_EXPAND_SZ ||
		   d->type == PKG_REG_LINK) {
		char *s = inf ? untemplate(d->str) : NULL;
		hvo_int_json_string(w, s ? s : d->str);
		free(s);
	} else {
		hvo_int_json_uint(w, d->num);
	}
}

static void text_reg_data(const struct pkg_reg_data *d, bool inf)
{
	const char *tn = pkg_reg_type_name(d->type);
	if (tn)
		printf("%s", tn);
	else
		printf("type 0x%x", d->type);
	if (d->raw || d->type == PKG_REG_BINARY || d->type == PKG_REG_NONE) {
		printf(" ");
		for (size_t i = 0; i < d->nbin; i++)
			printf("%02x", d->bin[i]);
	} else if (d->type == PKG_REG_MULTI_SZ) {
		for (size_t i = 0; i < d->nstrv; i++) {
			char *s = inf ? untemplate(d->strv[i]) : NULL;
			printf("%s\"%s\"", i ? ", " : " ", s ? s : d->strv[i]);
			free(s);
		}
	} else if (d->type == PKG_REG_SZ || d->type == PKG_REG_EXPAND_SZ ||
		   d->type == PKG_REG_LINK) {
		char *s = inf ? untemplate(d->str) : NULL;
		printf(" \"%s\"", s ? s : d->str);
		free(s);
	} else {
		printf(" 0x%llx", (unsigned long long)d->num);
	}
}

static void json_inf_regs(struct json_writer *w, const char *key,
			  const struct pkg_inf_reg *regs, size_t n)
{
	hvo_int_json_key(w, key);
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < n; i++) {
		const struct pkg_inf_reg *g = &regs[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "root", root_name(g->root));
		hvo_int_json_kv_string(w, "hkr", context_name(g->context));
		hvo_int_json_kv_string(w, "subkey", g->subkey);
		hvo_int_json_kv_string(w, "name", g->value_name);
		hvo_int_json_kv_uint(w, "flags", g->flags);
		if (g->value_name &&
		    !(g->flags & (PKG_ADDREG_KEYONLY | PKG_ADDREG_DELVAL)))
			json_reg_data(w, &g->data, true);
		hvo_int_json_kv_string(w, "security", g->security);
		hvo_int_json_kv_string(w, "section", g->section);
		hvo_int_json_kv_uint(w, "line", g->line);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

static void text_inf_regs(const char *indent, const struct pkg_inf_reg *regs,
			  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pkg_inf_reg *g = &regs[i];
		printf("%sregistry %s%s%s", indent, root_name(g->root),
		       g->subkey[0] ? "\\" : "", g->subkey);
		if (g->value_name == NULL)
			printf(" (key)");
		else if (g->flags & PKG_ADDREG_DELVAL)
			printf(": delete %s", g->value_name);
		else {
			printf(": %s = ",
			       g->value_name[0] ? g->value_name : "(default)");
			text_reg_data(&g->data, true);
		}
		printf("\n");
	}
}

/* ---- Drivers ---- */

static void json_driver(struct json_writer *w, const struct pkg_driver *d)
{
	hvo_int_json_key(w, "driver");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "encoding", d->inf->encoding);
	hvo_int_json_kv_string(w, "class", d->version.cls);
	hvo_int_json_kv_string(w, "class_guid", d->version.class_guid);
	hvo_int_json_kv_string(w, "provider", d->version.provider);
	hvo_int_json_kv_string(w, "driver_date", d->version.driver_date);
	hvo_int_json_kv_string(w, "driver_version", d->version.driver_version);
	hvo_int_json_kv_string(w, "catalog_file", d->version.catalog_file);
	hvo_int_json_key(w, "manufacturers");
	hvo_int_json_begin_array(w);
	for (size_t m = 0; m < d->nmanufacturers; m++) {
		const struct pkg_inf_manufacturer *man = &d->manufacturers[m];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "name", man->name);
		hvo_int_json_kv_string(w, "chosen",
				       d->chosen[m] ? d->chosen[m]->section
						    : NULL);
		hvo_int_json_key(w, "models");
		hvo_int_json_begin_array(w);
		for (size_t k = 0; k < man->ndecorated; k++) {
			const struct pkg_inf_models *mo = &man->decorated[k];
			hvo_int_json_begin_object(w);
			hvo_int_json_kv_string(w, "decoration",
					       mo->decoration.text);
			hvo_int_json_kv_string(w, "section", mo->section);
			hvo_int_json_kv_bool(w, "present", mo->present);
			hvo_int_json_kv_bool(w, "chosen", mo == d->chosen[m]);
			hvo_int_json_key(w, "devices");
			hvo_int_json_begin_array(w);
			for (size_t v = 0; v < mo->ndevices; v++) {
				const struct pkg_inf_device *dev =
					&mo->devices[v];
				hvo_int_json_begin_object(w);
				hvo_int_json_kv_string(w, "description",
						       dev->description);
				hvo_int_json_kv_string(w, "install",
						       dev->install_section);
				hvo_int_json_key(w, "hardware_ids");
				hvo_int_json_begin_array(w);
				for (size_t h = 0; h < dev->nhwids; h++)
					hvo_int_json_string(w, dev->hwids[h]);
				hvo_int_json_end_array(w);
				hvo_int_json_end_object(w);
			}
			hvo_int_json_end_array(w);
			hvo_int_json_end_object(w);
		}
		hvo_int_json_end_array(w);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);

	hvo_int_json_key(w, "installs");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < d->ninstalls; i++) {
		const struct pkg_inf_install *in = &d->installs[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "section", in->section);
		hvo_int_json_kv_bool(w, "null_service", in->null_service);
		hvo_int_json_key(w, "files");
		hvo_int_json_begin_array(w);
		for (size_t c = 0; c < in->ncopies; c++) {
			const struct pkg_inf_copy *cp = &in->copies[c];
			hvo_int_json_begin_object(w);
			hvo_int_json_kv_string(w, "name", cp->dest_name);
			hvo_int_json_kv_string(w, "source", cp->source_name);
			hvo_int_json_kv_int(w, "dirid", cp->dirid);
			hvo_int_json_kv_string(w, "subdir", cp->subdir);
			hvo_int_json_kv_uint(w, "flags", cp->flags);
			hvo_int_json_end_object(w);
		}
		hvo_int_json_end_array(w);
		hvo_int_json_key(w, "services");
		hvo_int_json_begin_array(w);
		for (size_t s = 0; s < in->nservices; s++) {
			const struct pkg_inf_service *sv = &in->services[s];
			char *disp = untemplate(sv->display_name);
			char *desc = untemplate(sv->description);
			char *bin = untemplate(sv->binary);
			hvo_int_json_begin_object(w);
			hvo_int_json_kv_string(w, "name", sv->name);
			hvo_int_json_kv_uint(w, "flags", sv->flags);
			hvo_int_json_kv_uint(w, "service_type",
					     sv->service_type);
			hvo_int_json_kv_uint(w, "start_type", sv->start_type);
			hvo_int_json_kv_string(w, "start",
					       start_name(sv->start_type));
			hvo_int_json_kv_uint(w, "error_control",
					     sv->error_control);
			hvo_int_json_kv_string(w, "binary", bin);
			hvo_int_json_kv_int(w, "binary_dirid",
					    sv->binary_dirid);
			hvo_int_json_kv_string(w, "load_order_group",
					       sv->load_order_group);
			hvo_int_json_kv_string(w, "display_name", disp);
			hvo_int_json_kv_string(w, "description", desc);
			hvo_int_json_kv_string(w, "start_name", sv->start_name);
			hvo_int_json_kv_string(w, "security", sv->security);
			hvo_int_json_key(w, "dependencies");
			hvo_int_json_begin_array(w);
			for (size_t k = 0; k < sv->ndependencies; k++)
				hvo_int_json_string(w, sv->dependencies[k]);
			hvo_int_json_end_array(w);
			json_inf_regs(w, "registry", sv->regs, sv->nregs);
			if (sv->eventlog_section) {
				hvo_int_json_key(w, "event_log");
				hvo_int_json_begin_object(w);
				hvo_int_json_kv_string(w, "log",
						       sv->eventlog_type);
				hvo_int_json_kv_string(w, "source",
						       sv->eventlog_name);
				json_inf_regs(w, "registry", sv->eventlog_regs,
					      sv->neventlog_regs);
				hvo_int_json_end_object(w);
			}
			hvo_int_json_end_object(w);
			free(disp);
			free(desc);
			free(bin);
		}
		hvo_int_json_end_array(w);
		json_inf_regs(w, "registry", in->regs, in->nregs);
		hvo_int_json_key(w, "deferred");
		hvo_int_json_begin_array(w);
		for (size_t k = 0; k < in->ndeferred; k++) {
			const struct pkg_inf_deferred *df = &in->deferred[k];
			hvo_int_json_begin_object(w);
			hvo_int_json_kv_string(w, "section", df->section);
			hvo_int_json_kv_string(w, "directive", df->directive);
			hvo_int_json_kv_string(w, "value", df->value);
			hvo_int_json_kv_string(w, "reason", df->reason);
			hvo_int_json_kv_uint(w, "line", df->line);
			hvo_int_json_end_object(w);
		}
		hvo_int_json_end_array(w);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_end_object(w);
}

static void text_driver(const struct pkg_driver *d)
{
	printf("  class: %s %s, version %s, %s\n",
	       d->version.cls ? d->version.cls : "?",
	       d->version.class_guid ? d->version.class_guid : "",
	       d->version.driver_version ? d->version.driver_version : "?",
	       d->inf->encoding);
	for (size_t m = 0; m < d->nmanufacturers; m++) {
		const struct pkg_inf_manufacturer *man = &d->manufacturers[m];
		printf("  manufacturer %s:\n", man->name);
		for (size_t k = 0; k < man->ndecorated; k++) {
			const struct pkg_inf_models *mo = &man->decorated[k];
			if (!mo->present)
				continue;
			printf("    [%s]%s:", mo->section,
			       mo == d->chosen[m] ? " (chosen)" : "");
			size_t nids = 0;
			for (size_t v = 0; v < mo->ndevices; v++)
				for (size_t h = 0; h < mo->devices[v].nhwids;
				     h++)
					printf("%s%s", nids++ ? ", " : " ",
					       mo->devices[v].hwids[h]);
			printf("%s\n", nids ? "" : " (no devices)");
		}
	}
	for (size_t i = 0; i < d->ninstalls; i++) {
		const struct pkg_inf_install *in = &d->installs[i];
		printf("  install [%s]%s\n", in->section,
		       in->null_service ? " (null service)" : "");
		for (size_t s = 0; s < in->nservices; s++) {
			const struct pkg_inf_service *sv = &in->services[s];
			char *bin = untemplate(sv->binary);
			printf("    service %s: type 0x%x, start %u (%s), "
			       "error "
			       "control %u, binary %s",
			       sv->name, sv->service_type, sv->start_type,
			       start_name(sv->start_type), sv->error_control,
			       bin);
			if (sv->load_order_group)
				printf(", group \"%s\"", sv->load_order_group);
			printf("\n");
			free(bin);
			text_inf_regs("      ", sv->regs, sv->nregs);
			if (sv->eventlog_section) {
				printf("      event log %s\\%s\n",
				       sv->eventlog_type, sv->eventlog_name);
				text_inf_regs("        ", sv->eventlog_regs,
					      sv->neventlog_regs);
			}
		}
		for (size_t c = 0; c < in->ncopies; c++) {
			const struct pkg_inf_copy *cp = &in->copies[c];
			printf("    file %s -> DIRID %d%s%s\n", cp->dest_name,
			       cp->dirid, cp->subdir[0] ? "\\" : "",
			       cp->subdir);
		}
		text_inf_regs("    ", in->regs, in->nregs);
		for (size_t k = 0; k < in->ndeferred; k++) {
			const struct pkg_inf_deferred *df = &in->deferred[k];
			printf("    deferred [%s] %s=%s: %s\n", df->section,
			       df->directive, df->value, df->reason);
		}
	}
}

/* ---- Components ---- */

static void json_identity(struct json_writer *w, const struct pkg_identity *id)
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
	json_identity(w, &m->identity);
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
		hvo_int_json_key(w, "dependencies");
		hvo_int_json_begin_array(w);
		for (size_t k = 0; k < s->ndepend_on_service; k++)
			hvo_int_json_string(w, s->depend_on_service[k]);
		hvo_int_json_end_array(w);
		hvo_int_json_key(w, "required_privileges");
		hvo_int_json_begin_array(w);
		for (size_t k = 0; k < s->nrequired_privileges; k++)
			hvo_int_json_string(w, s->required_privileges[k]);
		hvo_int_json_end_array(w);
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
			json_reg_data(w, &k->values[v].data, false);
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
		json_identity(w, &m->deps[i].identity);
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

static void text_component(const struct pkg_manifest *m)
{
	printf("  component %s %s\n", m->identity.name, m->identity.version);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct pkg_file *f = &m->files[i];
		printf("    file %s -> %s%s [%s]\n", f->source_name,
		       f->destination_path ? f->destination_path : "(none)",
		       f->destination_path ? f->name : "",
		       digest_name(f->digest));
	}
	for (size_t i = 0; i < m->nservices; i++) {
		const struct pkg_service *s = &m->services[i];
		printf("    service %s: %s, start %s, image %s, account %s, "
		       "%zu "
		       "trigger(s)\n",
		       s->name, s->type, s->start,
		       s->image_path ? s->image_path : "(none)",
		       s->object_name ? s->object_name : "(default)",
		       s->ntriggers);
	}
	for (size_t i = 0; i < m->nsvchost; i++)
		printf("    svchost group %s: %s\n", m->svchost[i].group,
		       m->svchost[i].service);
	for (size_t i = 0; i < m->nreg_keys; i++) {
		const struct pkg_reg_key *k = &m->reg_keys[i];
		printf("    registry %s%s%s\n", k->key_name,
		       k->security_descriptor ? " sd=" : "",
		       k->security_descriptor ? k->security_descriptor : "");
		for (size_t v = 0; v < k->nvalues; v++) {
			printf("      %s = ", k->values[v].name[0]
						      ? k->values[v].name
						      : "(default)");
			text_reg_data(&k->values[v].data, false);
			printf("\n");
		}
	}
	for (size_t i = 0; i < m->nunmodelled; i++)
		printf("    not modelled: %s (line %u)\n",
		       m->unmodelled[i].element, m->unmodelled[i].line);
}

/* ---- The command ---- */

static const char *kind_name(enum pkg_update_kind k)
{
	return k == PKG_UPDATE_DRIVER	   ? "driver"
	       : k == PKG_UPDATE_COMPONENT ? "component"
					   : "package";
}

/* Resolves every driver update for @t; NULL on error (reported). */
static struct pkg_driver **resolve_all(struct cli_ctx *ctx, const char *path,
				       struct pkg_package *p,
				       const struct pkg_target *t,
				       enum hvo_exit *rc)
{
	struct pkg_driver **drv = calloc(p->nupdates + 1, sizeof(*drv));
	if (drv == NULL)
		abort();
	for (size_t i = 0; i < p->nupdates; i++) {
		const struct pkg_update *u = &p->updates[i];
		if (u->kind != PKG_UPDATE_DRIVER || u->inf_file == NULL)
			continue;
		struct pkg_error e = { 0 };
		if (pkg_inf_resolve(p->arena, u->inf_file, t, &drv[i], &e)) {
			char msg[PKG_ERROR_MSG_MAX + 300];
			cli_error(ctx, path, "%s",
				  pkg_error_format(&e, msg, sizeof(msg)));
			*rc = pkg_exit_class(&e);
			free(drv);
			return NULL;
		}
	}
	return drv;
}

static enum hvo_exit emit_json(struct cli_ctx *ctx, const char *path,
			       const struct pkg_package *p,
			       const struct pkg_target *t,
			       struct pkg_driver **drv, enum hvo_exit rc,
			       const struct trust_verdict *sig,
			       const struct trust_opts *to)
{
	struct json_writer w;
	char nt[32];
	cli_json_begin(ctx, &w);
	hvo_int_json_begin_object(&w);
	hvo_int_json_kv_string(&w, "status",
			       rc == HVO_EXIT_OK ? "ok" : "error");
	hvo_int_json_kv_string(&w, "cabinet", path);
	trust_render_json(&w, sig, to);
	hvo_int_json_key(&w, "package");
	hvo_int_json_begin_object(&w);
	json_identity(&w, &p->identity);
	hvo_int_json_end_object(&w);
	hvo_int_json_kv_string(&w, "identifier", p->identifier);
	hvo_int_json_kv_string(&w, "description", p->description);
	hvo_int_json_kv_string(&w, "release_type", p->release_type);
	hvo_int_json_kv_string(&w, "restart", p->restart);
	hvo_int_json_key(&w, "parents");
	hvo_int_json_begin_array(&w);
	for (size_t i = 0; i < p->nparents; i++) {
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "integrate",
				       p->parents[i].integrate);
		hvo_int_json_key(&w, "any_of");
		hvo_int_json_begin_array(&w);
		for (size_t k = 0; k < p->parents[i].nids; k++) {
			hvo_int_json_begin_object(&w);
			json_identity(&w, &p->parents[i].ids[k]);
			hvo_int_json_end_object(&w);
		}
		hvo_int_json_end_array(&w);
		hvo_int_json_end_object(&w);
	}
	hvo_int_json_end_array(&w);
	hvo_int_json_key(&w, "target");
	hvo_int_json_begin_object(&w);
	hvo_int_json_kv_string(&w, "arch", t->arch);
	snprintf(nt, sizeof(nt), "%u.%u", t->nt_major, t->nt_minor);
	hvo_int_json_kv_string(&w, "nt", nt);
	hvo_int_json_end_object(&w);

	hvo_int_json_key(&w, "updates");
	hvo_int_json_begin_array(&w);
	for (size_t i = 0; i < p->nupdates; i++) {
		const struct pkg_update *u = &p->updates[i];
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "kind", kind_name(u->kind));
		hvo_int_json_kv_string(&w, "name", u->name);
		hvo_int_json_kv_string(&w, "display_name", u->display_name);
		hvo_int_json_kv_string(&w, "restart", u->restart);
		hvo_int_json_key(&w, "identity");
		hvo_int_json_begin_object(&w);
		json_identity(&w, &u->identity);
		hvo_int_json_end_object(&w);
		hvo_int_json_kv_string(&w, "component",
				       u->manifest ? u->manifest->key : NULL);
		if (u->kind == PKG_UPDATE_DRIVER) {
			hvo_int_json_kv_string(&w, "inf", u->inf);
			hvo_int_json_kv_string(&w, "ranking", u->ranking);
			hvo_int_json_kv_bool(&w, "device_install_required",
					     u->device_install_required);
			if (drv && drv[i])
				json_driver(&w, drv[i]);
		} else {
			hvo_int_json_key(&w, "closure");
			hvo_int_json_begin_array(&w);
			for (size_t k = 0; k < u->nclosure; k++)
				json_component(&w, u->closure[k]);
			hvo_int_json_end_array(&w);
		}
		hvo_int_json_end_object(&w);
	}
	hvo_int_json_end_array(&w);

	hvo_int_json_key(&w, "files");
	hvo_int_json_begin_object(&w);
	hvo_int_json_kv_uint(&w, "total", p->nentries);
	hvo_int_json_kv_uint(&w, "digests_ok", p->digests_ok);
	hvo_int_json_kv_uint(&w, "digests_mismatch", p->digests_bad);
	hvo_int_json_kv_uint(&w, "digests_none", p->digests_none);
	hvo_int_json_kv_uint(&w, "payloads_missing", p->payloads_missing);
	hvo_int_json_kv_uint(&w, "unaccounted", p->unaccounted);
	hvo_int_json_key(&w, "entries");
	hvo_int_json_begin_array(&w);
	for (size_t i = 0; i < p->nentries; i++) {
		const struct pkg_entry *e = &p->entries[i];
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "name", e->name);
		hvo_int_json_kv_uint(&w, "size", e->size);
		hvo_int_json_kv_string(&w, "role", role_name(e->role));
		if (e->file) {
			hvo_int_json_kv_string(&w, "digest",
					       digest_name(e->file->digest));
			char hexbuf[HVO_SHA256_HEX_LEN + 1];
			hvo_int_sha256_hex(e->file->actual_sha256, hexbuf);
			hvo_int_json_kv_string(&w, "sha256", hexbuf);
		}
		hvo_int_json_end_object(&w);
	}
	hvo_int_json_end_array(&w);
	hvo_int_json_end_object(&w);
	hvo_int_json_end_object(&w);
	return cli_json_end(ctx, &w, rc);
}

static void emit_text(const struct pkg_package *p, const struct pkg_target *t,
		      struct pkg_driver **drv)
{
	printf("package:      %s %s (%s)\n", p->identity.name,
	       p->identity.version, p->identity.arch);
	printf("identifier:   %s\n", p->identifier ? p->identifier : "(none)");
	if (p->description)
		printf("description:  %s\n", p->description);
	printf("restart:      %s\n", p->restart ? p->restart : "(unspecified)");
	for (size_t i = 0; i < p->nparents; i++) {
		printf("parents:      any of\n");
		for (size_t k = 0; k < p->parents[i].nids; k++) {
			const struct pkg_identity *id = &p->parents[i].ids[k];
			printf("  %s %s (%s)\n", id->name, id->version,
			       id->arch);
		}
	}
	printf("target:       %s, Windows NT %u.%u\n", t->arch, t->nt_major,
	       t->nt_minor);
	size_t nd = 0, nc = 0;
	for (size_t i = 0; i < p->nupdates; i++)
		nd += p->updates[i].kind == PKG_UPDATE_DRIVER;
	nc = p->nupdates - nd;
	printf("updates:      %zu (drivers: %zu, components: %zu)\n",
	       p->nupdates, nd, nc);
	for (size_t i = 0; i < p->nupdates; i++) {
		const struct pkg_update *u = &p->updates[i];
		printf("\n%s %s (%s%s%s)\n", kind_name(u->kind),
		       u->kind == PKG_UPDATE_DRIVER ? u->inf : u->identity.name,
		       u->name ? u->name : "", u->ranking ? ", ranking " : "",
		       u->ranking ? u->ranking : "");
		if (u->manifest)
			printf("  key: %s\n", u->manifest->key);
		if (u->kind == PKG_UPDATE_DRIVER) {
			if (drv && drv[i])
				text_driver(drv[i]);
		} else {
			for (size_t k = 0; k < u->nclosure; k++)
				text_component(u->closure[k]);
		}
	}
	printf("\nfiles:        %zu in the cabinet, %zu unaccounted\n",
	       p->nentries, p->unaccounted);
	printf("digests:      %zu ok, %zu mismatch, %zu missing, %zu without "
	       "SHA-256\n",
	       p->digests_ok, p->digests_bad, p->payloads_missing,
	       p->digests_none);
	for (size_t i = 0; i < p->nentries; i++) {
		const struct pkg_entry *e = &p->entries[i];
		printf("  %-11s %-16s %s\n",
		       e->file ? digest_name(e->file->digest) : "-",
		       role_name(e->role), e->name);
	}
}

enum hvo_exit cmd_package_info(struct cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_ARCH = 0x100, OPT_NT };
	static const struct option longopts[] = {
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ "nt", required_argument, NULL, OPT_NT },
		TRUST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *arch = NULL, *nt = NULL;
	struct trust_opts to = { 0 };
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longopts)) != -1) {
		if (trust_opts_parse(&to, c, optarg))
			continue;
		switch (c) {
		case OPT_ARCH:
			arch = optarg;
			break;
		case OPT_NT:
			nt = optarg;
			break;
		case 'h':
			fputs(cmd_package_info_help, stdout);
			return HVO_EXIT_OK;
		default:
			return HVO_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_usage(ctx, "expected one CABINET argument");
	struct pkg_version ntv = { { 0, 0, 0, 0 }, 0 };
	if (nt && (!pkg_version_parse(nt, &ntv) || ntv.nparts != 2))
		return cli_usage(ctx, "--nt: '%s' is not a version like 6.1",
				 nt);
	const char *path = argv[optind];
	/* The signature first: a refused package is not read further. */
	struct trust_verdict *sig = NULL;
	enum hvo_exit trc = cli_trust_check(ctx, &to, path, &sig);
	if (trc) {
		if (ctx->json) {
			struct json_writer w;
			cli_json_begin(ctx, &w);
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "status", "error");
			hvo_int_json_kv_string(&w, "cabinet", path);
			trust_render_json(&w, sig, &to);
			hvo_int_json_end_object(&w);
			trc = cli_json_end(ctx, &w, trc);
		} else {
			trust_render_text(stdout, "", sig, &to);
		}
		trust_verdict_free(sig);
		return trc;
	}

	struct pkg_package *p;
	struct pkg_error e = { 0 };
	enum pkg_err perr = pkg_package_open(path, &p, &e);
	char msg[PKG_ERROR_MSG_MAX + 300];
	enum hvo_exit rc = HVO_EXIT_OK;
	if (perr != PKG_OK) {
		cli_error(ctx, path, "%s",
			  pkg_error_format(&e, msg, sizeof(msg)));
		rc = pkg_exit_class(&e);
		if (p == NULL) {
			trust_verdict_free(sig);
			return rc;
		}
	}
	if (p->unaccounted)
		cli_warn(ctx, path,
			 "%zu file(s) of the cabinet are named by no manifest",
			 p->unaccounted);
	struct pkg_target t = { 0 };
	default_target(p, &t);
	if (arch)
		t.arch = arch;
	if (nt) {
		t.nt_major = ntv.part[0];
		t.nt_minor = ntv.part[1];
	}
	enum hvo_exit rrc = HVO_EXIT_OK;
	struct pkg_driver **drv = resolve_all(ctx, path, p, &t, &rrc);
	if (drv == NULL) {
		trust_verdict_free(sig);
		pkg_package_free(p);
		return hvo_exit_max(rc, rrc);
	}
	if (ctx->json) {
		rc = emit_json(ctx, path, p, &t, drv, rc, sig, &to);
	} else {
		emit_text(p, &t, drv);
		trust_render_text(stdout, "", sig, &to);
	}
	trust_verdict_free(sig);
	free(drv);
	pkg_package_free(p);
	return rc;
}

/* ---- package key ---- */

static const char cmd_package_key_help[] =
	"Usage: hvoffline package key [--json] --name NAME --version A.B.C.D "
	"--arch ARCH\n"
	"                             [--token TOKEN] [--language LANG] "
	"[--type TYPE]\n"
	"                             [--version-scope SCOPE]\n"
	"\n"
	"Print the component key of an assembly identity, the name of its\n"
	"<key>.manifest and payload folder in a CBS cabinet:\n"
	"\n"
	"  <arch>_<name>_<publicKeyToken>_<version>_<culture|none>_<hash>\n"
	"\n"
	"The options are the attributes of <assemblyIdentity>; those that "
	"feed the\n"
	"hash are exactly these (buildType does not).\n"
	"\n"
	"Options:\n"
	"  --name NAME            name\n"
	"  --version A.B.C.D      version (four parts)\n"
	"  --arch ARCH            processorArchitecture (amd64, x86, wow64, "
	"msil, ...)\n"
	"  --token TOKEN          publicKeyToken, 16 hex digits (default: "
	"none)\n"
	"  --language LANG        language (culture); 'neutral' (the "
	"default) gives\n"
	"                         \"none\".  --culture is the same option\n"
	"  --type TYPE            type, e.g. driverUpdate (driver components)\n"
	"  --version-scope SCOPE  versionScope, e.g. nonSxS\n";

/* A publicKeyToken is 8 bytes written as 16 hex digits; anything else
 * would make a key no cabinet uses, so it is refused rather than hashed. */
static bool is_token(const char *s)
{
	if (strlen(s) != 16)
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789abcdefABCDEF", *p))
			return false;
	return true;
}

static enum hvo_exit cmd_package_key(struct cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_NAME = 0x100,
		OPT_VERSION,
		OPT_ARCH,
		OPT_TOKEN,
		OPT_LANGUAGE,
		OPT_TYPE,
		OPT_SCOPE
	};
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "version", required_argument, NULL, OPT_VERSION },
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "language", required_argument, NULL, OPT_LANGUAGE },
		{ "culture", required_argument, NULL, OPT_LANGUAGE },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "version-scope", required_argument, NULL, OPT_SCOPE },
		{ NULL, 0, NULL, 0 },
	};
	struct pkg_identity id = { 0 };
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_NAME:
			id.name = optarg;
			break;
		case OPT_VERSION:
			id.version = optarg;
			break;
		case OPT_ARCH:
			id.arch = optarg;
			break;
		case OPT_TOKEN:
			id.public_key_token = optarg;
			break;
		case OPT_LANGUAGE:
			id.language = optarg;
			break;
		case OPT_TYPE:
			id.type = optarg;
			break;
		case OPT_SCOPE:
			id.version_scope = optarg;
			break;
		case 'h':
			fputs(cmd_package_key_help, stdout);
			return HVO_EXIT_OK;
		default:
			return HVO_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage(ctx, "unexpected argument '%s'", argv[optind]);
	if (id.name == NULL || id.name[0] == '\0')
		return cli_usage(ctx, "--name is required");
	if (id.arch == NULL || id.arch[0] == '\0')
		return cli_usage(ctx, "--arch is required");
	/* Keys carry the version as written, so only the four-part form
	 * that every manifest uses is accepted. */
	struct pkg_version v;
	if (id.version == NULL || !pkg_version_parse(id.version, &v) ||
	    v.nparts != 4)
		return cli_usage(ctx,
				 "--version: '%s' is not a version like "
				 "6.3.9600.19456",
				 id.version ? id.version : "");
	if (id.public_key_token && !is_token(id.public_key_token))
		return cli_usage(ctx, "--token: '%s' is not 16 hex digits",
				 id.public_key_token);

	struct pkg_arena *arena = pkg_arena_new();
	char *key = arena ? pkg_component_key(arena, &id) : NULL;
	if (key == NULL) {
		pkg_arena_free(arena);
		cli_error(ctx, NULL, "out of memory");
		return HVO_EXIT_FAILED;
	}
	enum hvo_exit rc = HVO_EXIT_OK;
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "key", key);
		hvo_int_json_end_object(&w);
		rc = cli_json_end(ctx, &w, rc);
	} else {
		printf("%s\n", key);
	}
	pkg_arena_free(arena);
	return rc;
}

const struct cli_command cmd_package_subcommands[] = {
	{ .name = "info",
	  .summary = "show a CBS package and check every file's SHA-256",
	  .help = cmd_package_info_help,
	  .run = cmd_package_info },
	{ .name = "key",
	  .summary = "print the component key of an assembly identity",
	  .help = cmd_package_key_help,
	  .run = cmd_package_key },
	{ 0 },
};

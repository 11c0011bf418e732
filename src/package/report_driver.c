/*
 * report_driver.c - a driver update as `hvoffline package info` shows it
 * (text and JSON): the INF's version, models per decoration, install
 * sections with their files, registry values and services, and what is
 * deferred to first boot.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/report.h"

static const char *start_names[] = { "boot", "system", "auto", "demand",
				     "disabled" };

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

/* ---- Registry data ---- */

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

void pkg_int_report_reg_data_json(struct json_writer *w,
				  const struct pkg_reg_data *d, bool inf)
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

void pkg_int_report_reg_data_text(FILE *out, const struct pkg_reg_data *d,
				  bool inf)
{
	const char *tn = pkg_reg_type_name(d->type);
	if (tn)
		fprintf(out, "%s", tn);
	else
		fprintf(out, "type 0x%x", d->type);
	if (d->raw || d->type == PKG_REG_BINARY || d->type == PKG_REG_NONE) {
		fprintf(out, " ");
		for (size_t i = 0; i < d->nbin; i++)
			fprintf(out, "%02x", d->bin[i]);
	} else if (d->type == PKG_REG_MULTI_SZ) {
		for (size_t i = 0; i < d->nstrv; i++) {
			char *s = inf ? untemplate(d->strv[i]) : NULL;
			fprintf(out, "%s\"%s\"", i ? ", " : " ",
				s ? s : d->strv[i]);
			free(s);
		}
	} else if (d->type == PKG_REG_SZ || d->type == PKG_REG_EXPAND_SZ ||
		   d->type == PKG_REG_LINK) {
		char *s = inf ? untemplate(d->str) : NULL;
		fprintf(out, " \"%s\"", s ? s : d->str);
		free(s);
	} else {
		fprintf(out, " 0x%llx", (unsigned long long)d->num);
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
			pkg_int_report_reg_data_json(w, &g->data, true);
		hvo_int_json_kv_string(w, "security", g->security);
		hvo_int_json_kv_string(w, "section", g->section);
		hvo_int_json_kv_uint(w, "line", g->line);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

static void text_inf_regs(FILE *out, const char *indent,
			  const struct pkg_inf_reg *regs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pkg_inf_reg *g = &regs[i];
		fprintf(out, "%sregistry %s%s%s", indent, root_name(g->root),
			g->subkey[0] ? "\\" : "", g->subkey);
		if (g->value_name == NULL)
			fprintf(out, " (key)");
		else if (g->flags & PKG_ADDREG_DELVAL)
			fprintf(out, ": delete %s", g->value_name);
		else {
			fprintf(out, ": %s = ",
				g->value_name[0] ? g->value_name : "(default)");
			pkg_int_report_reg_data_text(out, &g->data, true);
		}
		fprintf(out, "\n");
	}
}

/* ---- Drivers ---- */

void pkg_int_report_driver_json(struct json_writer *w,
				const struct pkg_driver *d)
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
				hvo_int_json_kv_strings(w, "hardware_ids",
							dev->hwids,
							dev->nhwids);
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
			hvo_int_json_kv_strings(w, "dependencies",
						sv->dependencies,
						sv->ndependencies);
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

void pkg_int_report_driver_text(FILE *out, const struct pkg_driver *d)
{
	fprintf(out, "  class: %s %s, version %s, %s\n",
		d->version.cls ? d->version.cls : "?",
		d->version.class_guid ? d->version.class_guid : "",
		d->version.driver_version ? d->version.driver_version : "?",
		d->inf->encoding);
	for (size_t m = 0; m < d->nmanufacturers; m++) {
		const struct pkg_inf_manufacturer *man = &d->manufacturers[m];
		fprintf(out, "  manufacturer %s:\n", man->name);
		for (size_t k = 0; k < man->ndecorated; k++) {
			const struct pkg_inf_models *mo = &man->decorated[k];
			if (!mo->present)
				continue;
			fprintf(out, "    [%s]%s:", mo->section,
				mo == d->chosen[m] ? " (chosen)" : "");
			size_t nids = 0;
			for (size_t v = 0; v < mo->ndevices; v++)
				for (size_t h = 0; h < mo->devices[v].nhwids;
				     h++)
					fprintf(out, "%s%s",
						nids++ ? ", " : " ",
						mo->devices[v].hwids[h]);
			fprintf(out, "%s\n", nids ? "" : " (no devices)");
		}
	}
	for (size_t i = 0; i < d->ninstalls; i++) {
		const struct pkg_inf_install *in = &d->installs[i];
		fprintf(out, "  install [%s]%s\n", in->section,
			in->null_service ? " (null service)" : "");
		for (size_t s = 0; s < in->nservices; s++) {
			const struct pkg_inf_service *sv = &in->services[s];
			char *bin = untemplate(sv->binary);
			fprintf(out,
				"    service %s: type 0x%x, start %u (%s), "
				"error "
				"control %u, binary %s",
				sv->name, sv->service_type, sv->start_type,
				start_name(sv->start_type), sv->error_control,
				bin);
			if (sv->load_order_group)
				fprintf(out, ", group \"%s\"",
					sv->load_order_group);
			fprintf(out, "\n");
			free(bin);
			text_inf_regs(out, "      ", sv->regs, sv->nregs);
			if (sv->eventlog_section) {
				fprintf(out, "      event log %s\\%s\n",
					sv->eventlog_type, sv->eventlog_name);
				text_inf_regs(out, "        ",
					      sv->eventlog_regs,
					      sv->neventlog_regs);
			}
		}
		for (size_t c = 0; c < in->ncopies; c++) {
			const struct pkg_inf_copy *cp = &in->copies[c];
			fprintf(out, "    file %s -> DIRID %d%s%s\n",
				cp->dest_name, cp->dirid,
				cp->subdir[0] ? "\\" : "", cp->subdir);
		}
		text_inf_regs(out, "    ", in->regs, in->nregs);
		for (size_t k = 0; k < in->ndeferred; k++) {
			const struct pkg_inf_deferred *df = &in->deferred[k];
			fprintf(out, "    deferred [%s] %s=%s: %s\n",
				df->section, df->directive, df->value,
				df->reason);
		}
	}
}

/*
 * inf_services.c - DDInstall.Services: AddService, its service-install
 * and event-log sections.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/inf_resolve.h"
#include "util/bytes.h"

/* SPSVCINST_ASSOCSERVICE (setupapi.h): the service of a null install. */
#define SPSVCINST_ASSOCSERVICE 0x00000002u

/* Splits "%12%\vmbus.sys" into 12 and "vmbus.sys". */
static void split_dirid(struct pkg_inf_service *sv)
{
	sv->binary_dirid = 0;
	sv->binary_rest = sv->binary;
	const char *b = sv->binary;
	if (b[0] != '%' || b[1] == '%')
		return;
	const char *close = strchr(b + 1, '%');
	if (close == NULL || close == b + 1)
		return;
	char num[16];
	size_t n = (size_t)(close - b - 1);
	if (n >= sizeof(num))
		return;
	memcpy(num, b + 1, n);
	num[n] = '\0';
	uint32_t v;
	if (!pkg_int_parse_u32(num, &v))
		return;
	sv->binary_dirid = (int32_t)v;
	const char *rest = close + 1;
	if (*rest == '\\')
		rest++;
	sv->binary_rest = rest;
}

static enum pkg_err service_install(struct rctx *r, struct pkg_inf_service *sv,
				    struct install_acc *acc, unsigned line)
{
	const struct pkg_inf_section *s =
		pkg_inf_section(r->inf, sv->install_section);
	if (s == NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, line,
				    "AddService=%s: no section [%s]", sv->name,
				    sv->install_section);
	struct pkg_int_vec regs = { 0 }, deps = { 0 };
	enum pkg_err rc;
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		const char *k = ln->key;
		rc = PKG_OK;
		if (k == NULL) {
			rc = pkg_int_rctx_defer_line(r, acc, s, ln);
		} else if (pkg_int_strcaseeq(k, "DisplayName")) {
			sv->display_name = pkg_int_rctx_tmpl(
				r, pkg_int_rctx_field(ln, 0), ln->lineno);
			rc = sv->display_name ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "Description")) {
			sv->description = pkg_int_rctx_tmpl(
				r, pkg_int_rctx_field(ln, 0), ln->lineno);
			rc = sv->description ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "ServiceType")) {
			rc = pkg_int_rctx_number(r, pkg_int_rctx_field(ln, 0),
						 ln->lineno, "ServiceType",
						 &sv->service_type);
			sv->has_service_type = true;
		} else if (pkg_int_strcaseeq(k, "StartType")) {
			rc = pkg_int_rctx_number(r, pkg_int_rctx_field(ln, 0),
						 ln->lineno, "StartType",
						 &sv->start_type);
			sv->has_start_type = true;
		} else if (pkg_int_strcaseeq(k, "ErrorControl")) {
			rc = pkg_int_rctx_number(r, pkg_int_rctx_field(ln, 0),
						 ln->lineno, "ErrorControl",
						 &sv->error_control);
			sv->has_error_control = true;
		} else if (pkg_int_strcaseeq(k, "ServiceBinary")) {
			sv->binary = pkg_int_rctx_tmpl(
				r, pkg_int_rctx_field(ln, 0), ln->lineno);
			rc = sv->binary ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "LoadOrderGroup")) {
			sv->load_order_group = pkg_int_rctx_text(
				r, pkg_int_rctx_field(ln, 0), ln->lineno);
			rc = sv->load_order_group ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "StartName")) {
			sv->start_name = pkg_int_rctx_text(
				r, pkg_int_rctx_field(ln, 0), ln->lineno);
			rc = sv->start_name ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "Security")) {
			sv->security = pkg_int_rctx_text(
				r, pkg_int_rctx_field(ln, 0), ln->lineno);
			rc = sv->security ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "Dependencies")) {
			for (size_t d = 0; d < ln->nfields && rc == PKG_OK;
			     d++) {
				char *dep = pkg_int_rctx_text(r, ln->fields[d],
							      ln->lineno);
				if (dep == NULL)
					return r->err->code;
				if (dep[0] == '\0')
					continue;
				const char **slot = pkg_int_vec_push(
					r->arena, &deps, sizeof(*slot));
				if (slot == NULL)
					return pkg_int_rctx_nomem(r);
				*slot = dep;
			}
		} else if (pkg_int_strcaseeq(k, "AddReg")) {
			rc = pkg_int_inf_add_regs(r, ln, s->name,
						  PKG_REGCTX_SERVICE, &regs,
						  &acc->deferred);
		} else {
			rc = pkg_int_rctx_defer_line(r, acc, s, ln);
		}
		if (rc)
			return rc;
	}
	/* The INF AddService directive docs make these four required. */
	const char *missing = !sv->has_service_type    ? "ServiceType"
			      : !sv->has_start_type    ? "StartType"
			      : !sv->has_error_control ? "ErrorControl"
			      : sv->binary == NULL     ? "ServiceBinary"
						       : NULL;
	if (missing)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, s->lineno,
				    "[%s]: service %s has no %s", s->name,
				    sv->name, missing);
	split_dirid(sv);
	sv->regs = regs.items;
	sv->nregs = regs.n;
	sv->dependencies = deps.items;
	sv->ndependencies = deps.n;
	return PKG_OK;
}

static enum pkg_err eventlog_install(struct rctx *r, struct pkg_inf_service *sv,
				     struct install_acc *acc, unsigned line)
{
	const struct pkg_inf_section *s =
		pkg_inf_section(r->inf, sv->eventlog_section);
	if (s == NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, line,
				    "AddService=%s: no event-log section [%s]",
				    sv->name, sv->eventlog_section);
	struct pkg_int_vec regs = { 0 };
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		enum pkg_err rc;
		if (ln->key && pkg_int_strcaseeq(ln->key, "AddReg"))
			rc = pkg_int_inf_add_regs(r, ln, s->name,
						  PKG_REGCTX_EVENTLOG, &regs,
						  &acc->deferred);
		else
			rc = pkg_int_rctx_defer_line(r, acc, s, ln);
		if (rc)
			return rc;
	}
	sv->eventlog_regs = regs.items;
	sv->neventlog_regs = regs.n;
	return PKG_OK;
}

static enum pkg_err add_service(struct rctx *r, const struct pkg_inf_line *ln,
				const char *sec, struct install_acc *acc)
{
	/* AddService=name,[flags],service-install[,event-log[,type[,name]]] */
	char *name =
		pkg_int_rctx_text(r, pkg_int_rctx_field(ln, 0), ln->lineno);
	if (name == NULL)
		return r->err->code;
	uint32_t flags = 0;
	const char *fl = pkg_int_rctx_field(ln, 1);
	enum pkg_err rc;
	if (fl[0] && (rc = pkg_int_rctx_number(r, fl, ln->lineno,
					       "AddService flags", &flags)))
		return rc;
	if (name[0] == '\0') {
		/* A null service: the device needs no function driver. */
		acc->null_service = true;
		return PKG_OK;
	}
	struct pkg_inf_service *sv =
		pkg_int_vec_push(r->arena, &acc->services, sizeof(*sv));
	if (sv == NULL)
		return pkg_int_rctx_nomem(r);
	sv->name = name;
	sv->flags = flags;
	sv->line = ln->lineno;
	sv->install_section =
		pkg_int_rctx_text(r, pkg_int_rctx_field(ln, 2), ln->lineno);
	if (sv->install_section == NULL)
		return r->err->code;
	if (sv->install_section[0] == '\0')
		return pkg_int_fail(
			r->err, PKG_ERR_INF, r->file, ln->lineno,
			"AddService=%s has no service-install section", name);
	if (r->includes && !pkg_inf_section(r->inf, sv->install_section)) {
		acc->services.n--; /* drop the slot just taken */
		return pkg_int_rctx_defer(
			r, &acc->deferred, sec, "AddService", ln,
			"its service-install section is in an "
			"included INF");
	}
	if ((rc = service_install(r, sv, acc, ln->lineno)))
		return rc;
	char *ev = pkg_int_rctx_text(r, pkg_int_rctx_field(ln, 3), ln->lineno);
	if (ev == NULL)
		return r->err->code;
	if (ev[0]) {
		sv->eventlog_section = ev;
		const char *type = pkg_int_rctx_text(
			r, pkg_int_rctx_field(ln, 4), ln->lineno);
		const char *evname = pkg_int_rctx_text(
			r, pkg_int_rctx_field(ln, 5), ln->lineno);
		if (type == NULL || evname == NULL)
			return r->err->code;
		sv->eventlog_type = type[0] ? type : "System";
		sv->eventlog_name = evname[0] ? evname : name;
		if (r->includes && !pkg_inf_section(r->inf, ev))
			return pkg_int_rctx_defer(
				r, &acc->deferred, sec, "AddService", ln,
				"its event-log section is in an included "
				"INF");
		if ((rc = eventlog_install(r, sv, acc, ln->lineno)))
			return rc;
	}
	return PKG_OK;
}

enum pkg_err pkg_int_inf_service_section(struct rctx *r,
					 const struct pkg_inf_section *s,
					 struct install_acc *acc)
{
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		enum pkg_err rc;
		if (ln->key && pkg_int_strcaseeq(ln->key, "AddService"))
			rc = add_service(r, ln, s->name, acc);
		else if (ln->key && pkg_int_strcaseeq(ln->key, "Needs"))
			rc = pkg_int_rctx_needs(r, s, ln, acc,
						pkg_int_inf_service_section);
		else
			rc = pkg_int_rctx_defer_line(r, acc, s, ln);
		if (rc)
			return rc;
	}
	return PKG_OK;
}

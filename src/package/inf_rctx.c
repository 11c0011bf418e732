/*
 * inf_rctx.c - what every part of INF resolution shares: the resolution
 * context's helpers (substitution, numbers, joined fields), deferral of
 * what is not executed offline, and Needs= expansion.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/inf_resolve.h"
#include "util/bytes.h"

enum pkg_err pkg_int_rctx_nomem(struct rctx *r)
{
	return pkg_int_fail(r->err, PKG_ERR_NOMEM, r->file, 0, "out of memory");
}

char *pkg_int_rctx_text(struct rctx *r, const char *raw, unsigned line)
{
	return pkg_int_inf_subst_mode(r->arena, r->inf, raw, PKGI_SUBST_TEXT,
				      line, r->err);
}

char *pkg_int_rctx_tmpl(struct rctx *r, const char *raw, unsigned line)
{
	return pkg_int_inf_subst_mode(r->arena, r->inf, raw,
				      PKGI_SUBST_TEMPLATE, line, r->err);
}

enum pkg_err pkg_int_rctx_names(struct rctx *r, const struct pkg_inf_line *ln,
				struct rctx_names *out)
{
	out->n = 0;
	out->v = pkg_int_calloc(r->arena, ln->nfields ? ln->nfields : 1,
				sizeof(*out->v));
	if (out->v == NULL)
		return pkg_int_rctx_nomem(r);
	for (size_t i = 0; i < ln->nfields; i++) {
		char *name = pkg_int_rctx_text(r, ln->fields[i], ln->lineno);
		if (name == NULL)
			return r->err->code;
		if (name[0] != '\0')
			out->v[out->n++] = name;
	}
	return PKG_OK;
}

const char *pkg_int_rctx_field(const struct pkg_inf_line *ln, size_t i)
{
	return i < ln->nfields ? ln->fields[i] : "";
}

/* A numeric field after substitution ("%SERVICE_BOOT_START%" -> 0). */
enum pkg_err pkg_int_rctx_number(struct rctx *r, const char *raw, unsigned line,
				 const char *what, uint32_t *out)
{
	char *s = pkg_int_rctx_text(r, raw, line);
	if (s == NULL)
		return r->err->code ? r->err->code : pkg_int_rctx_nomem(r);
	if (!pkg_int_parse_u32(s, out))
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, line,
				    "%s: '%s' is not a number", what, s);
	return PKG_OK;
}

/* Joins the fields of @ln (substituted) with ",". */
static char *joined(struct rctx *r, const struct pkg_inf_line *ln)
{
	struct pkg_int_buf b = { 0 };
	for (size_t i = 0; i < ln->nfields; i++) {
		char *f = pkg_int_rctx_text(r, ln->fields[i], ln->lineno);
		if (f == NULL) {
			pkg_int_buf_free(&b);
			return NULL;
		}
		if (i)
			pkg_int_buf_putc(&b, ',');
		pkg_int_buf_puts(&b, f);
	}
	char *s =
		b.oom ? NULL : pkg_int_strndup(r->arena, b.s ? b.s : "", b.len);
	pkg_int_buf_free(&b);
	return s;
}

enum pkg_err pkg_int_rctx_defer(struct rctx *r, struct pkg_int_vec *v,
				const char *section, const char *directive,
				const struct pkg_inf_line *ln,
				const char *reason)
{
	struct pkg_inf_deferred *d = pkg_int_vec_push(r->arena, v, sizeof(*d));
	if (d == NULL)
		return pkg_int_rctx_nomem(r);
	d->section = section;
	d->directive = directive;
	d->value = ln ? joined(r, ln) : "";
	d->reason = reason;
	d->line = ln ? ln->lineno : 0;
	if (d->value == NULL)
		return r->err->code ? r->err->code : pkg_int_rctx_nomem(r);
	return PKG_OK;
}

/* ---- Deferred directives ---- */

static const struct {
	const char *directive;
	const char *reason;
} directive_reasons[] = {
	{ "Include", "names another INF; its sections are processed by "
		     "Windows at first boot" },
	{ "RegisterDlls", "registers DLLs by running their code" },
	{ "UnregisterDlls", "runs DLL code" },
	{ "DelReg", "registry deletions are not executed offline" },
	{ "DelFiles", "file deletions are not executed offline" },
	{ "RenFiles", "file renames are not executed offline" },
	{ "BitReg", "registry bit edits are not executed offline" },
	{ "UpdateInis", "INI edits are not executed offline" },
	{ "UpdateIniFields", "INI edits are not executed offline" },
	{ "Ini2Reg", "INI edits are not executed offline" },
	{ "ProfileItems", "Start-menu items are not executed offline" },
	{ "AddProperty", "device properties are set by Plug and Play" },
	{ "DelProperty", "device properties are set by Plug and Play" },
	{ "FeatureScore", "driver ranking; used by Plug and Play" },
	{ "DriverVer", "driver ranking; used by Plug and Play" },
	{ "Reboot", "installation hint" },
	{ "Restart", "installation hint" },
	{ "DelService", "service deletions are not executed offline" },
	{ "AddTrigger", "service triggers are set by the service installer "
			"at first boot" },
};

static const char *reason_for(const char *directive)
{
	for (size_t i = 0; i < HVO_ARRAY_SIZE(directive_reasons); i++)
		if (pkg_int_strcaseeq(directive,
				      directive_reasons[i].directive))
			return directive_reasons[i].reason;
	return "not executed offline (applied by Windows at first boot)";
}

/* Defers a line we do not execute: a directive by name, with its reason,
 * or an entry that is no directive at all. */
enum pkg_err pkg_int_rctx_defer_line(struct rctx *r, struct install_acc *acc,
				     const struct pkg_inf_section *s,
				     const struct pkg_inf_line *ln)
{
	if (ln->key == NULL)
		return pkg_int_rctx_defer(r, &acc->deferred, s->name, "(entry)",
					  ln, "not a directive");
	return pkg_int_rctx_defer(r, &acc->deferred, s->name, ln->key, ln,
				  reason_for(ln->key));
}

/* ---- Install sections ---- */

enum pkg_err pkg_int_rctx_push_needs(struct rctx *r,
				     const struct pkg_inf_section *s,
				     unsigned line)
{
	for (size_t i = 0; i < r->depth; i++)
		if (r->stack[i] == s)
			return pkg_int_fail(r->err, PKG_ERR_INF, r->file, line,
					    "section [%s] needs itself "
					    "(Needs= cycle)",
					    s->name);
	if (r->depth >= PKG_INF_MAX_NEEDS_DEPTH)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, line,
				    "Needs= nested deeper than %u sections",
				    PKG_INF_MAX_NEEDS_DEPTH);
	r->stack[r->depth++] = s;
	return PKG_OK;
}

/*
 * Needs=a,b: a section of this INF is processed in place (with @fn);
 * one that is not here belongs to an Include'd INF and is deferred.
 */
enum pkg_err pkg_int_rctx_needs(
	struct rctx *r, const struct pkg_inf_section *s,
	const struct pkg_inf_line *ln, struct install_acc *acc,
	enum pkg_err (*fn)(struct rctx *, const struct pkg_inf_section *,
			   struct install_acc *))
{
	struct rctx_names nm;
	enum pkg_err rc = pkg_int_rctx_names(r, ln, &nm);
	for (size_t i = 0; rc == PKG_OK && i < nm.n; i++) {
		char *name = nm.v[i];
		const struct pkg_inf_section *n = pkg_inf_section(r->inf, name);
		if (n == NULL) {
			struct pkg_inf_deferred *d = pkg_int_vec_push(
				r->arena, &acc->deferred, sizeof(*d));
			if (d == NULL)
				return pkg_int_rctx_nomem(r);
			d->section = s->name;
			d->directive = "Needs";
			d->value = name;
			d->reason = "a section of an included INF; processed "
				    "by Windows at first boot";
			d->line = ln->lineno;
			continue;
		}
		if ((rc = pkg_int_rctx_push_needs(r, n, ln->lineno)))
			return rc;
		rc = fn(r, n, acc);
		r->depth--;
		if (rc)
			return rc;
	}
	return rc; /* PKG_OK, or why the list could not be read */
}

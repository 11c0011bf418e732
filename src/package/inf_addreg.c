/*
 * inf_addreg.c - AddReg: add-registry sections, their lines and the data
 * of each value as the INF spells it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/inf_resolve.h"
#include "util/bytes.h"
#include "util/hex.h"

/* ---- Registry ---- */

static const struct {
	const char *name;
	enum pkg_inf_root root;
} roots[] = {
	{ "HKR", PKG_INF_HKR },	  { "HKLM", PKG_INF_HKLM },
	{ "HKCR", PKG_INF_HKCR }, { "HKCU", PKG_INF_HKCU },
	{ "HKU", PKG_INF_HKU },
};

/* A byte of binary registry data: hex, with or without "0x". */
static bool parse_byte(const char *s, uint8_t *out)
{
	while (*s == ' ')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	unsigned v = 0;
	size_t n = 0;
	for (; *s && *s != ' '; s++, n++) {
		int d = hvo_int_hex_digit((unsigned char)*s);
		if (d < 0)
			return false;
		v = v * 16 + (unsigned)d;
		if (v > 0xFF)
			return false;
	}
	while (*s == ' ')
		s++;
	if (n == 0 || *s)
		return false;
	*out = (uint8_t)v;
	return true;
}

enum pkg_err pkg_int_inf_reg_data(struct pkg_arena *arena,
				  const struct pkg_inf *inf,
				  const struct pkg_inf_line *ln, uint32_t flags,
				  struct pkg_reg_data *d, struct pkg_error *err)
{
	uint32_t tf = flags & PKG_ADDREG_TYPE_MASK;
	size_t nvals = ln->nfields > 4 ? ln->nfields - 4 : 0;
	const char *const *vals = ln->fields + (ln->nfields > 4 ? 4 : 0);
	memset(d, 0, sizeof(*d));
	if (tf == 0x00000000u || tf == 0x00020000u) {
		d->type = tf ? PKG_REG_EXPAND_SZ : PKG_REG_SZ;
		d->str = pkg_int_inf_subst_mode(
			arena, inf, nvals ? vals[0] : "", PKGI_SUBST_TEMPLATE,
			ln->lineno, err);
		return d->str ? PKG_OK : err->code;
	}
	if (tf == 0x00010000u) {
		d->type = PKG_REG_MULTI_SZ;
		const char **v =
			pkg_int_calloc(arena, nvals ? nvals : 1, sizeof(*v));
		if (v == NULL)
			return pkg_int_fail(err, PKG_ERR_NOMEM, inf->file, 0,
					    "out of memory");
		for (size_t i = 0; i < nvals; i++) {
			v[i] = pkg_int_inf_subst_mode(arena, inf, vals[i],
						      PKGI_SUBST_TEMPLATE,
						      ln->lineno, err);
			if (v[i] == NULL)
				return err->code;
		}
		d->strv = v;
		d->nstrv = nvals;
		return PKG_OK;
	}
	if (tf == 0x00010001u && nvals <= 1) {
		d->type = PKG_REG_DWORD;
		uint32_t v = 0;
		if (nvals) {
			char *s = pkg_int_inf_subst_mode(arena, inf, vals[0],
							 PKGI_SUBST_TEXT,
							 ln->lineno, err);
			if (s == NULL)
				return err->code;
			if (s[0] && !pkg_int_parse_u32(s, &v))
				return pkg_int_fail(err, PKG_ERR_INF, inf->file,
						    ln->lineno,
						    "'%s' is not a DWORD", s);
		}
		d->num = v;
		return PKG_OK;
	}
	if (tf == 0x00020001u && nvals == 0) {
		d->type = PKG_REG_NONE;
		d->raw = true;
		return PKG_OK;
	}
	if (!(tf & PKG_ADDREG_BINVALUETYPE))
		return pkg_int_fail(err, PKG_ERR_INF, inf->file, ln->lineno,
				    "AddReg flags 0x%08x name no registry type",
				    flags);
	/* Binary data: the type is the high word (0 = REG_BINARY), the data
	 * one hex byte per field (AddReg directive docs). */
	uint32_t type = tf >> 16;
	if (tf == 0x00010001u)
		type = PKG_REG_DWORD;
	else if (tf == 0x00020001u)
		type = PKG_REG_NONE;
	else if (type == 0)
		type = PKG_REG_BINARY;
	uint8_t *bytes = pkg_int_alloc(arena, nvals ? nvals : 1);
	if (bytes == NULL)
		return pkg_int_fail(err, PKG_ERR_NOMEM, inf->file, 0,
				    "out of memory");
	for (size_t i = 0; i < nvals; i++) {
		char *s = pkg_int_inf_subst_mode(
			arena, inf, vals[i], PKGI_SUBST_TEXT, ln->lineno, err);
		if (s == NULL)
			return err->code;
		if (!parse_byte(s, &bytes[i]))
			return pkg_int_fail(
				err, PKG_ERR_INF, inf->file, ln->lineno,
				"binary data: '%s' is not a byte", s);
	}
	d->type = type;
	if ((type == PKG_REG_DWORD && nvals == 4) ||
	    (type == PKG_REG_QWORD && nvals == 8)) {
		d->num = nvals == 4 ? get_le32(bytes) : get_le64(bytes);
		return PKG_OK;
	}
	d->raw = true;
	d->bin = bytes;
	d->nbin = nvals;
	return PKG_OK;
}

static enum pkg_err read_reg_line(struct rctx *r, const struct pkg_inf_line *ln,
				  const struct pkg_inf_section *s,
				  enum pkg_inf_regctx context,
				  const char *security, struct pkg_inf_reg *g)
{
	g->context = context;
	g->section = s->name;
	g->line = ln->lineno;
	g->security = security;
	/* A line written "HKR = ..." would shift the fields; no INF does
	 * that, so it is refused rather than guessed. */
	if (ln->key != NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, ln->lineno,
				    "[%s]: registry entries have no '='",
				    s->name);
	const char *root =
		pkg_int_rctx_text(r, pkg_int_rctx_field(ln, 0), ln->lineno);
	if (root == NULL)
		return r->err->code;
	bool found = false;
	for (size_t i = 0; i < HVO_ARRAY_SIZE(roots); i++)
		if (pkg_int_strcaseeq(root, roots[i].name)) {
			g->root = roots[i].root;
			found = true;
		}
	if (!found)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, ln->lineno,
				    "[%s]: unknown registry root '%s'", s->name,
				    root);
	g->subkey = pkg_int_rctx_text(r, pkg_int_rctx_field(ln, 1), ln->lineno);
	if (g->subkey == NULL)
		return r->err->code;
	if (ln->nfields > 2) {
		g->value_name = pkg_int_rctx_text(r, ln->fields[2], ln->lineno);
		if (g->value_name == NULL)
			return r->err->code;
	}
	if (ln->nfields > 3 && ln->fields[3][0]) {
		enum pkg_err rc =
			pkg_int_rctx_number(r, ln->fields[3], ln->lineno,
					    "AddReg flags", &g->flags);
		if (rc)
			return rc;
	}
	if (g->flags & (PKG_ADDREG_KEYONLY | PKG_ADDREG_KEYONLY_COMMON)) {
		g->value_name = NULL;
		return PKG_OK;
	}
	if (g->flags & PKG_ADDREG_DELVAL)
		return PKG_OK;
	if (g->value_name == NULL)
		return PKG_OK;
	uint32_t tf = g->flags & PKG_ADDREG_TYPE_MASK;
	bool string_type = tf == 0 || tf == 0x00020000u || tf == 0x00010000u;
	if (ln->nfields <= 4 && g->value_name[0] == '\0' && string_type) {
		/* Neither a value name nor a value: only the key. */
		g->value_name = NULL;
		return PKG_OK;
	}
	return pkg_int_inf_reg_data(r->arena, r->inf, ln, g->flags, &g->data,
				    r->err);
}

static enum pkg_err add_reg_section(struct rctx *r, const char *name,
				    const struct pkg_inf_line *ref,
				    const char *ref_section,
				    enum pkg_inf_regctx context,
				    struct pkg_int_vec *out,
				    struct pkg_int_vec *deferred)
{
	const struct pkg_inf_section *s = pkg_inf_section(r->inf, name);
	if (s == NULL && r->includes)
		return pkg_int_rctx_defer(r, deferred, ref_section, "AddReg",
					  ref,
					  "names a section of an included INF");
	if (s == NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, ref->lineno,
				    "AddReg=%s: no such section", name);
	char *secname = pkg_int_printf(r->arena, "%s.security", name);
	if (secname == NULL)
		return pkg_int_rctx_nomem(r);
	const struct pkg_inf_section *sec = pkg_inf_section(r->inf, secname);
	const char *security = NULL;
	if (sec && sec->nlines) {
		security = pkg_int_rctx_text(
			r, pkg_int_rctx_field(&sec->lines[0], 0),
			sec->lines[0].lineno);
		if (security == NULL)
			return r->err->code;
	}
	for (size_t i = 0; i < s->nlines; i++) {
		struct pkg_inf_reg *g =
			pkg_int_vec_push(r->arena, out, sizeof(*g));
		if (g == NULL)
			return pkg_int_rctx_nomem(r);
		enum pkg_err rc =
			read_reg_line(r, &s->lines[i], s, context, security, g);
		if (rc)
			return rc;
	}
	return PKG_OK;
}

/* AddReg=a,b,... in section @sec. */
enum pkg_err pkg_int_inf_add_regs(struct rctx *r, const struct pkg_inf_line *ln,
				  const char *sec, enum pkg_inf_regctx context,
				  struct pkg_int_vec *out,
				  struct pkg_int_vec *deferred)
{
	struct rctx_names nm;
	enum pkg_err rc = pkg_int_rctx_names(r, ln, &nm);
	for (size_t i = 0; rc == PKG_OK && i < nm.n; i++)
		rc = add_reg_section(r, nm.v[i], ln, sec, context, out,
				     deferred);
	return rc;
}

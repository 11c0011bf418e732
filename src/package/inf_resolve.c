/*
 * inf_resolve.c - what an INF installs on a given Windows.
 *
 * From the syntax (inf_parse.c) to the operations Windows would perform
 * for a device of the INF, following Microsoft's driver documentation:
 *
 *   [Manufacturer] -> models section (best TargetOSVersion decoration,
 *   "Combining platform extensions with operating system versions")
 *   -> DDInstall section (.NT<arch>, then .NT, then undecorated,
 *   "Creating INF files for multiple platforms and operating systems")
 *   -> CopyFiles (with [DestinationDirs]), AddReg, and
 *   DDInstall.Services -> AddService (service-install and event-log
 *   sections).
 *
 * Nothing is hard-coded about any driver: every name comes from the INF.
 * What cannot be done without a running Windows (co-installers, .HW
 * sections writing the device's hardware key, DLL registration, sections
 * of other INFs) is recorded as deferred, by section and directive, for
 * the report and the first-boot step.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/internal.h"
#include "util/bytes.h"
#include "util/hex.h"

/* SPSVCINST_ASSOCSERVICE (setupapi.h): the service of a null install. */
#define SPSVCINST_ASSOCSERVICE 0x00000002u

struct rctx {
	struct pkg_arena *arena;
	const struct pkg_inf *inf;
	const struct pkg_target *t;
	struct pkg_error *err;
	const char *file;
	const struct pkg_inf_section *destdirs;
	/* The INF has Include= entries: a section it names that is not in
	 * this file may be in an included one, so it is deferred, not an
	 * error. */
	bool includes;
	/* Sections being expanded through Needs=, to catch cycles. */
	const struct pkg_inf_section *stack[PKG_INF_MAX_NEEDS_DEPTH + 1];
	size_t depth;
};

/* What an install section's directives are collected into. */
struct install_acc {
	struct pkg_int_vec copies, regs, services, deferred;
	bool null_service;
};

static enum pkg_err nomem(struct rctx *r)
{
	return pkg_int_fail(r->err, PKG_ERR_NOMEM, r->file, 0, "out of memory");
}

static char *text(struct rctx *r, const char *raw, unsigned line)
{
	return pkg_int_inf_subst_mode(r->arena, r->inf, raw, PKGI_SUBST_TEXT,
				      line, r->err);
}

static char *tmpl(struct rctx *r, const char *raw, unsigned line)
{
	return pkg_int_inf_subst_mode(r->arena, r->inf, raw,
				      PKGI_SUBST_TEMPLATE, line, r->err);
}

static const char *field(const struct pkg_inf_line *ln, size_t i)
{
	return i < ln->nfields ? ln->fields[i] : "";
}

/* A numeric field after substitution ("%SERVICE_BOOT_START%" -> 0). */
static enum pkg_err number(struct rctx *r, const char *raw, unsigned line,
			   const char *what, uint32_t *out)
{
	char *s = text(r, raw, line);
	if (s == NULL)
		return r->err->code ? r->err->code : nomem(r);
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
		char *f = text(r, ln->fields[i], ln->lineno);
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

static enum pkg_err defer(struct rctx *r, struct pkg_int_vec *v,
			  const char *section, const char *directive,
			  const struct pkg_inf_line *ln, const char *reason)
{
	struct pkg_inf_deferred *d = pkg_int_vec_push(r->arena, v, sizeof(*d));
	if (d == NULL)
		return nomem(r);
	d->section = section;
	d->directive = directive;
	d->value = ln ? joined(r, ln) : "";
	d->reason = reason;
	d->line = ln ? ln->lineno : 0;
	if (d->value == NULL)
		return r->err->code ? r->err->code : nomem(r);
	return PKG_OK;
}

/* ---- Decorations ---- */

static bool parse_dec_number(const char *s, size_t n, uint32_t *out)
{
	char buf[16];
	if (n == 0) {
		*out = 0;
		return true;
	}
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return pkg_int_parse_u32(buf, out) && buf[0] != '-';
}

bool pkg_inf_decoration_parse(struct pkg_arena *arena, const char *txt,
			      struct pkg_inf_decoration *out)
{
	static const char *const arches[] = { "x86", "amd64", "ia64", "arm",
					      "arm64" };
	struct pkg_inf_decoration d;
	memset(&d, 0, sizeof(d));
	if (pkg_int_strncasecmp(txt, "nt", 2) != 0)
		return false;
	const char *p = txt + 2;
	const char *dot = strchr(p, '.');
	size_t alen = dot ? (size_t)(dot - p) : strlen(p);
	if (alen > 0) {
		bool known = false;
		for (size_t i = 0; i < HVO_ARRAY_SIZE(arches); i++)
			if (strlen(arches[i]) == alen &&
			    pkg_int_strncasecmp(p, arches[i], alen) == 0) {
				d.arch = arches[i];
				known = true;
			}
		if (!known)
			return false;
	}
	/* .major.minor.producttype.suitemask.build, each may be empty. */
	uint32_t *slots[] = { &d.major, &d.minor, &d.product_type,
			      &d.suite_mask, &d.build };
	size_t k = 0;
	while (dot != NULL) {
		if (k == HVO_ARRAY_SIZE(slots))
			return false;
		const char *s = dot + 1;
		dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		if (!parse_dec_number(s, n, slots[k]))
			return false;
		if (k == 0 && n > 0)
			d.has_version = true;
		k++;
	}
	d.text = pkg_int_strdup(arena, txt);
	if (d.text == NULL)
		return false;
	*out = d;
	return true;
}

bool pkg_inf_decoration_applies(const struct pkg_inf_decoration *d,
				const struct pkg_target *t)
{
	if (d->arch &&
	    (t->arch == NULL || !pkg_int_strcaseeq(d->arch, t->arch)))
		return false;
	if (d->has_version) {
		if (t->nt_major != d->major) {
			if (t->nt_major < d->major)
				return false;
		} else if (t->nt_minor != d->minor) {
			if (t->nt_minor < d->minor)
				return false;
		} else if (d->build && t->build < d->build) {
			/* A build number is only evaluated when major.minor
			 * match exactly. */
			return false;
		}
	}
	if (d->product_type && d->product_type != t->product_type)
		return false;
	if (d->suite_mask && (t->suite_mask & d->suite_mask) != d->suite_mask)
		return false;
	return true;
}

/* >0 when @a is a closer match than @b (both apply). */
static int closer(const struct pkg_inf_decoration *a,
		  const struct pkg_inf_decoration *b)
{
	uint64_t ka[] = { a->has_version,	a->major,	    a->minor,
			  a->product_type != 0, a->suite_mask != 0, a->build,
			  a->arch != NULL };
	uint64_t kb[] = { b->has_version,	b->major,	    b->minor,
			  b->product_type != 0, b->suite_mask != 0, b->build,
			  b->arch != NULL };
	for (size_t i = 0; i < HVO_ARRAY_SIZE(ka); i++)
		if (ka[i] != kb[i])
			return ka[i] > kb[i] ? 1 : -1;
	return 0;
}

const struct pkg_inf_models *pkg_inf_best_models(
	const struct pkg_inf_manufacturer *m, const struct pkg_target *t)
{
	const struct pkg_inf_models *best = NULL;
	for (size_t i = 1; i < m->ndecorated; i++) {
		const struct pkg_inf_models *c = &m->decorated[i];
		if (!pkg_inf_decoration_applies(&c->decoration, t))
			continue;
		if (best == NULL ||
		    closer(&c->decoration, &best->decoration) > 0)
			best = c;
	}
	if (best == NULL && m->ndecorated > 0 && t->arch &&
	    pkg_int_strcaseeq(t->arch, "x86"))
		best = &m->decorated[0];
	return best;
}

/* ---- Manufacturers and models ---- */

static enum pkg_err read_models(struct rctx *r, struct pkg_inf_models *mo)
{
	const struct pkg_inf_section *s = pkg_inf_section(r->inf, mo->section);
	mo->present = s != NULL;
	if (s == NULL)
		return PKG_OK;
	struct pkg_int_vec devs = { 0 };
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		if (ln->key == NULL)
			return pkg_int_fail(r->err, PKG_ERR_INF, r->file,
					    ln->lineno,
					    "[%s]: a model entry needs "
					    "'description = install-section, "
					    "hardware-id'",
					    s->name);
		struct pkg_inf_device *d =
			pkg_int_vec_push(r->arena, &devs, sizeof(*d));
		if (d == NULL)
			return nomem(r);
		d->line = ln->lineno;
		d->description = text(r, ln->key, ln->lineno);
		d->install_section = text(r, field(ln, 0), ln->lineno);
		if (d->description == NULL || d->install_section == NULL)
			return r->err->code;
		if (d->install_section[0] == '\0')
			return pkg_int_fail(r->err, PKG_ERR_INF, r->file,
					    ln->lineno,
					    "[%s]: model without an install "
					    "section",
					    s->name);
		struct pkg_int_vec ids = { 0 };
		for (size_t k = 1; k < ln->nfields; k++) {
			char *id = text(r, ln->fields[k], ln->lineno);
			if (id == NULL)
				return r->err->code;
			if (id[0] == '\0')
				continue;
			const char **slot =
				pkg_int_vec_push(r->arena, &ids, sizeof(*slot));
			if (slot == NULL)
				return nomem(r);
			*slot = id;
		}
		d->hwids = ids.items;
		d->nhwids = ids.n;
	}
	mo->devices = devs.items;
	mo->ndevices = devs.n;
	return PKG_OK;
}

static enum pkg_err read_manufacturers(struct rctx *r, struct pkg_driver *drv)
{
	const struct pkg_inf_section *s =
		pkg_inf_section(r->inf, "Manufacturer");
	if (s == NULL)
		return PKG_OK; /* an INF without devices (e.g. a filter) */
	struct pkg_int_vec mans = { 0 };
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		struct pkg_inf_manufacturer *m =
			pkg_int_vec_push(r->arena, &mans, sizeof(*m));
		if (m == NULL)
			return nomem(r);
		m->line = ln->lineno;
		/* "%strkey%=models[,decoration]..." or "manufacturer-name"
		 * (which names its models section too). */
		const char *raw_name = ln->key ? ln->key : field(ln, 0);
		m->name = text(r, raw_name, ln->lineno);
		m->models = text(r, field(ln, 0), ln->lineno);
		if (m->name == NULL || m->models == NULL)
			return r->err->code;
		if (m->models[0] == '\0')
			return pkg_int_fail(r->err, PKG_ERR_INF, r->file,
					    ln->lineno,
					    "[Manufacturer]: entry without a "
					    "models section");
		struct pkg_int_vec decs = { 0 };
		struct pkg_inf_models *mo =
			pkg_int_vec_push(r->arena, &decs, sizeof(*mo));
		if (mo == NULL)
			return nomem(r);
		mo->decoration.text = "";
		mo->section = m->models;
		for (size_t k = 1; ln->key && k < ln->nfields; k++) {
			char *dt = text(r, ln->fields[k], ln->lineno);
			if (dt == NULL)
				return r->err->code;
			if (dt[0] == '\0')
				continue;
			mo = pkg_int_vec_push(r->arena, &decs, sizeof(*mo));
			if (mo == NULL)
				return nomem(r);
			if (!pkg_inf_decoration_parse(r->arena, dt,
						      &mo->decoration))
				return pkg_int_fail(
					r->err, PKG_ERR_INF, r->file,
					ln->lineno,
					"[Manufacturer]: '%s' is not a "
					"TargetOSVersion decoration",
					dt);
			mo->section = pkg_int_printf(r->arena, "%s.%s",
						     m->models, dt);
			if (mo->section == NULL)
				return nomem(r);
		}
		m->decorated = decs.items;
		m->ndecorated = decs.n;
		for (size_t k = 0; k < m->ndecorated; k++) {
			enum pkg_err rc = read_models(r, &m->decorated[k]);
			if (rc)
				return rc;
		}
	}
	drv->manufacturers = mans.items;
	drv->nmanufacturers = mans.n;
	return PKG_OK;
}

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
	const char *root = text(r, field(ln, 0), ln->lineno);
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
	g->subkey = text(r, field(ln, 1), ln->lineno);
	if (g->subkey == NULL)
		return r->err->code;
	if (ln->nfields > 2) {
		g->value_name = text(r, ln->fields[2], ln->lineno);
		if (g->value_name == NULL)
			return r->err->code;
	}
	if (ln->nfields > 3 && ln->fields[3][0]) {
		enum pkg_err rc = number(r, ln->fields[3], ln->lineno,
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
		return defer(r, deferred, ref_section, "AddReg", ref,
			     "names a section of an included INF");
	if (s == NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, ref->lineno,
				    "AddReg=%s: no such section", name);
	char *secname = pkg_int_printf(r->arena, "%s.security", name);
	if (secname == NULL)
		return nomem(r);
	const struct pkg_inf_section *sec = pkg_inf_section(r->inf, secname);
	const char *security = NULL;
	if (sec && sec->nlines) {
		security =
			text(r, field(&sec->lines[0], 0), sec->lines[0].lineno);
		if (security == NULL)
			return r->err->code;
	}
	for (size_t i = 0; i < s->nlines; i++) {
		struct pkg_inf_reg *g =
			pkg_int_vec_push(r->arena, out, sizeof(*g));
		if (g == NULL)
			return nomem(r);
		enum pkg_err rc =
			read_reg_line(r, &s->lines[i], s, context, security, g);
		if (rc)
			return rc;
	}
	return PKG_OK;
}

/* AddReg=a,b,... in section @sec. */
static enum pkg_err add_regs(struct rctx *r, const struct pkg_inf_line *ln,
			     const char *sec, enum pkg_inf_regctx context,
			     struct pkg_int_vec *out,
			     struct pkg_int_vec *deferred)
{
	for (size_t i = 0; i < ln->nfields; i++) {
		char *name = text(r, ln->fields[i], ln->lineno);
		if (name == NULL)
			return r->err->code;
		if (name[0] == '\0')
			continue;
		enum pkg_err rc = add_reg_section(r, name, ln, sec, context,
						  out, deferred);
		if (rc)
			return rc;
	}
	return PKG_OK;
}

/* ---- Files ---- */

static bool plain_name(const char *s)
{
	return s[0] && !strchr(s, '\\') && !strchr(s, '/') && !strchr(s, ':') &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Destination of file-list section @name (NULL for @file copies). */
static enum pkg_err dest_dir(struct rctx *r, const char *name, unsigned line,
			     int32_t *dirid, const char **subdir)
{
	const struct pkg_inf_line *hit = NULL, *def = NULL;
	for (size_t i = 0; r->destdirs && i < r->destdirs->nlines; i++) {
		const struct pkg_inf_line *ln = &r->destdirs->lines[i];
		if (ln->key == NULL)
			continue;
		if (name && pkg_int_strcaseeq(ln->key, name))
			hit = ln;
		else if (pkg_int_strcaseeq(ln->key, "DefaultDestDir"))
			def = ln;
	}
	if (hit == NULL)
		hit = def;
	if (hit == NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, line,
				    "no destination for %s: not in "
				    "[DestinationDirs] and no DefaultDestDir",
				    name ? name : "a CopyFiles=@file copy");
	uint32_t v;
	enum pkg_err rc = number(r, field(hit, 0), hit->lineno, "DIRID", &v);
	if (rc)
		return rc;
	*dirid = (int32_t)v;
	*subdir = text(r, field(hit, 1), hit->lineno);
	return *subdir ? PKG_OK : r->err->code;
}

/* The line for @key in [<base>.<arch>], else [<base>], or NULL. */
static const struct pkg_inf_line *arch_lookup(struct rctx *r, const char *base,
					      const char *key)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *name = base;
		if (pass == 0) {
			if (r->t->arch == NULL)
				continue;
			name = pkg_int_printf(r->arena, "%s.%s", base,
					      r->t->arch);
			if (name == NULL)
				return NULL;
		}
		const struct pkg_inf_section *s = pkg_inf_section(r->inf, name);
		for (size_t i = 0; s && i < s->nlines; i++)
			if (s->lines[i].key &&
			    pkg_int_strcaseeq(s->lines[i].key, key))
				return &s->lines[i];
	}
	return NULL;
}

static void join_part(struct pkg_int_buf *b, const char *part)
{
	while (*part == '\\')
		part++;
	size_t n = strlen(part);
	while (n > 0 && part[n - 1] == '\\')
		n--;
	if (n == 0)
		return;
	if (b->len)
		pkg_int_buf_putc(b, '\\');
	pkg_int_buf_put(b, part, n);
}

/*
 * Where @src sits in the driver package: [SourceDisksFiles] gives its disk
 * and subdirectory, [SourceDisksNames] the disk's path ("INF
 * SourceDisksFiles section", "INF SourceDisksNames section"), both with
 * an optional .<arch> platform extension.
 */
static enum pkg_err source_path(struct rctx *r, struct pkg_inf_copy *c,
				unsigned line)
{
	const struct pkg_inf_line *f =
		arch_lookup(r, "SourceDisksFiles", c->source_name);
	c->source_path = c->source_name;
	c->source_listed = f != NULL;
	if (f == NULL)
		return PKG_OK;
	char *disk = text(r, field(f, 0), f->lineno);
	char *sub = text(r, field(f, 1), f->lineno);
	if (disk == NULL || sub == NULL)
		return r->err->code;
	const char *dpath = "";
	const struct pkg_inf_line *d = arch_lookup(r, "SourceDisksNames", disk);
	if (d) {
		dpath = text(r, field(d, 3), d->lineno);
		if (dpath == NULL)
			return r->err->code;
	}
	struct pkg_int_buf b = { 0 };
	join_part(&b, dpath);
	join_part(&b, sub);
	join_part(&b, c->source_name);
	char *path = b.oom ? NULL : pkg_int_strndup(r->arena, b.s, b.len);
	pkg_int_buf_free(&b);
	if (path == NULL)
		return nomem(r);
	/* A path that climbs out of the driver package is refused. */
	for (const char *p = path; *p;) {
		const char *e = strchr(p, '\\');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if ((n == 2 && p[0] == '.' && p[1] == '.') || strchr(p, ':') ||
		    strchr(p, '/'))
			return pkg_int_fail(r->err, PKG_ERR_INF, r->file, line,
					    "source path '%s' of %s leaves the "
					    "driver package",
					    path, c->source_name);
		p += n + (e ? 1 : 0);
	}
	c->source_path = path;
	return PKG_OK;
}

static enum pkg_err copy_one(struct rctx *r, struct pkg_int_vec *out,
			     const char *section, const char *dest,
			     const char *src, uint32_t flags, unsigned line)
{
	if (!plain_name(dest) || !plain_name(src))
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, line,
				    "CopyFiles: '%s' is not a plain file name",
				    plain_name(dest) ? src : dest);
	struct pkg_inf_copy *c = pkg_int_vec_push(r->arena, out, sizeof(*c));
	if (c == NULL)
		return nomem(r);
	c->dest_name = dest;
	c->source_name = src;
	c->flags = flags;
	c->section = section;
	c->line = line;
	enum pkg_err rc = source_path(r, c, line);
	if (rc)
		return rc;
	return dest_dir(r, section, line, &c->dirid, &c->subdir);
}

static enum pkg_err copy_files(struct rctx *r, const struct pkg_inf_line *ln,
			       const char *sec, struct pkg_int_vec *out,
			       struct pkg_int_vec *deferred)
{
	for (size_t i = 0; i < ln->nfields; i++) {
		char *f = text(r, ln->fields[i], ln->lineno);
		if (f == NULL)
			return r->err->code;
		if (f[0] == '\0')
			continue;
		enum pkg_err rc;
		if (f[0] == '@') {
			rc = copy_one(r, out, NULL, f + 1, f + 1, 0,
				      ln->lineno);
			if (rc)
				return rc;
			continue;
		}
		const struct pkg_inf_section *s = pkg_inf_section(r->inf, f);
		if (s == NULL && r->includes) {
			if ((rc = defer(r, deferred, sec, "CopyFiles", ln,
					"names a section of an included INF")))
				return rc;
			continue;
		}
		if (s == NULL)
			return pkg_int_fail(r->err, PKG_ERR_INF, r->file,
					    ln->lineno,
					    "CopyFiles=%s: no such section", f);
		for (size_t k = 0; k < s->nlines; k++) {
			const struct pkg_inf_line *e = &s->lines[k];
			const char *raw_dest = e->key ? e->key : field(e, 0);
			char *dest = text(r, raw_dest, e->lineno);
			char *src =
				text(r, field(e, e->key ? 0 : 1), e->lineno);
			if (dest == NULL || src == NULL)
				return r->err->code;
			if (dest[0] == '\0')
				continue;
			uint32_t flags = 0;
			const char *fl = field(e, e->key ? 2 : 3);
			if (fl[0] && (rc = number(r, fl, e->lineno,
						  "CopyFiles flags", &flags)))
				return rc;
			rc = copy_one(r, out, s->name, dest,
				      src[0] ? src : dest, flags, e->lineno);
			if (rc)
				return rc;
		}
	}
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

static const struct {
	const char *suffix;
	const char *reason;
} deferred_sections[] = {
	{ ".HW", "writes the device's hardware key; Plug and Play does it "
		 "at first boot" },
	{ ".CoInstallers", "co-installers run only during device "
			   "installation, at first boot" },
	{ ".Interfaces", "device interfaces are registered by Plug and Play" },
	{ ".WMI", "WMI security is applied at device installation" },
	{ ".LogConfig", "resource configuration of a legacy device" },
	{ ".FactDef", "factory-default resources of a legacy device" },
	{ ".Wdf", "framework settings applied at device installation" },
	{ ".Components", "software components are installed by Plug and Play" },
	{ ".Software", "software is installed by Plug and Play" },
	{ ".Filters", "class filters are registered by Plug and Play" },
	{ ".Events", "event providers are registered at device installation" },
	{ ".GeneralConfigData", "device-class settings applied at device "
				"installation" },
	{ ".SoftwareSettings", "device-class settings applied at device "
			       "installation" },
};

/* Defers a line we do not execute: a directive by name, with its reason,
 * or an entry that is no directive at all. */
static enum pkg_err defer_line(struct rctx *r, struct install_acc *acc,
			       const struct pkg_inf_section *s,
			       const struct pkg_inf_line *ln)
{
	if (ln->key == NULL)
		return defer(r, &acc->deferred, s->name, "(entry)", ln,
			     "not a directive");
	return defer(r, &acc->deferred, s->name, ln->key, ln,
		     reason_for(ln->key));
}

/* ---- Install sections ---- */

static enum pkg_err push_needs(struct rctx *r, const struct pkg_inf_section *s,
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

static enum pkg_err service_section(struct rctx *r,
				    const struct pkg_inf_section *s,
				    struct install_acc *acc);

/*
 * Needs=a,b: a section of this INF is processed in place (with @fn);
 * one that is not here belongs to an Include'd INF and is deferred.
 */
static enum pkg_err needs(struct rctx *r, const struct pkg_inf_section *s,
			  const struct pkg_inf_line *ln,
			  struct install_acc *acc,
			  enum pkg_err (*fn)(struct rctx *,
					     const struct pkg_inf_section *,
					     struct install_acc *))
{
	for (size_t i = 0; i < ln->nfields; i++) {
		char *name = text(r, ln->fields[i], ln->lineno);
		if (name == NULL)
			return r->err->code;
		if (name[0] == '\0')
			continue;
		const struct pkg_inf_section *n = pkg_inf_section(r->inf, name);
		enum pkg_err rc;
		if (n == NULL) {
			struct pkg_inf_deferred *d = pkg_int_vec_push(
				r->arena, &acc->deferred, sizeof(*d));
			if (d == NULL)
				return nomem(r);
			d->section = s->name;
			d->directive = "Needs";
			d->value = name;
			d->reason = "a section of an included INF; processed "
				    "by Windows at first boot";
			d->line = ln->lineno;
			continue;
		}
		if ((rc = push_needs(r, n, ln->lineno)))
			return rc;
		rc = fn(r, n, acc);
		r->depth--;
		if (rc)
			return rc;
	}
	return PKG_OK;
}

static enum pkg_err install_section(struct rctx *r,
				    const struct pkg_inf_section *s,
				    struct install_acc *acc)
{
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		enum pkg_err rc;
		if (ln->key == NULL)
			rc = defer_line(r, acc, s, ln);
		else if (pkg_int_strcaseeq(ln->key, "CopyFiles"))
			rc = copy_files(r, ln, s->name, &acc->copies,
					&acc->deferred);
		else if (pkg_int_strcaseeq(ln->key, "AddReg"))
			rc = add_regs(r, ln, s->name, PKG_REGCTX_DRIVER,
				      &acc->regs, &acc->deferred);
		else if (pkg_int_strcaseeq(ln->key, "Needs"))
			rc = needs(r, s, ln, acc, install_section);
		else
			rc = defer_line(r, acc, s, ln);
		if (rc)
			return rc;
	}
	return PKG_OK;
}

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
			rc = defer_line(r, acc, s, ln);
		} else if (pkg_int_strcaseeq(k, "DisplayName")) {
			sv->display_name = tmpl(r, field(ln, 0), ln->lineno);
			rc = sv->display_name ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "Description")) {
			sv->description = tmpl(r, field(ln, 0), ln->lineno);
			rc = sv->description ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "ServiceType")) {
			rc = number(r, field(ln, 0), ln->lineno, "ServiceType",
				    &sv->service_type);
			sv->has_service_type = true;
		} else if (pkg_int_strcaseeq(k, "StartType")) {
			rc = number(r, field(ln, 0), ln->lineno, "StartType",
				    &sv->start_type);
			sv->has_start_type = true;
		} else if (pkg_int_strcaseeq(k, "ErrorControl")) {
			rc = number(r, field(ln, 0), ln->lineno, "ErrorControl",
				    &sv->error_control);
			sv->has_error_control = true;
		} else if (pkg_int_strcaseeq(k, "ServiceBinary")) {
			sv->binary = tmpl(r, field(ln, 0), ln->lineno);
			rc = sv->binary ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "LoadOrderGroup")) {
			sv->load_order_group =
				text(r, field(ln, 0), ln->lineno);
			rc = sv->load_order_group ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "StartName")) {
			sv->start_name = text(r, field(ln, 0), ln->lineno);
			rc = sv->start_name ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "Security")) {
			sv->security = text(r, field(ln, 0), ln->lineno);
			rc = sv->security ? PKG_OK : r->err->code;
		} else if (pkg_int_strcaseeq(k, "Dependencies")) {
			for (size_t d = 0; d < ln->nfields && rc == PKG_OK;
			     d++) {
				char *dep = text(r, ln->fields[d], ln->lineno);
				if (dep == NULL)
					return r->err->code;
				if (dep[0] == '\0')
					continue;
				const char **slot = pkg_int_vec_push(
					r->arena, &deps, sizeof(*slot));
				if (slot == NULL)
					return nomem(r);
				*slot = dep;
			}
		} else if (pkg_int_strcaseeq(k, "AddReg")) {
			rc = add_regs(r, ln, s->name, PKG_REGCTX_SERVICE, &regs,
				      &acc->deferred);
		} else {
			rc = defer_line(r, acc, s, ln);
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
			rc = add_regs(r, ln, s->name, PKG_REGCTX_EVENTLOG,
				      &regs, &acc->deferred);
		else
			rc = defer_line(r, acc, s, ln);
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
	char *name = text(r, field(ln, 0), ln->lineno);
	if (name == NULL)
		return r->err->code;
	uint32_t flags = 0;
	const char *fl = field(ln, 1);
	enum pkg_err rc;
	if (fl[0] &&
	    (rc = number(r, fl, ln->lineno, "AddService flags", &flags)))
		return rc;
	if (name[0] == '\0') {
		/* A null service: the device needs no function driver. */
		acc->null_service = true;
		return PKG_OK;
	}
	struct pkg_inf_service *sv =
		pkg_int_vec_push(r->arena, &acc->services, sizeof(*sv));
	if (sv == NULL)
		return nomem(r);
	sv->name = name;
	sv->flags = flags;
	sv->line = ln->lineno;
	sv->install_section = text(r, field(ln, 2), ln->lineno);
	if (sv->install_section == NULL)
		return r->err->code;
	if (sv->install_section[0] == '\0')
		return pkg_int_fail(
			r->err, PKG_ERR_INF, r->file, ln->lineno,
			"AddService=%s has no service-install section", name);
	if (r->includes && !pkg_inf_section(r->inf, sv->install_section)) {
		acc->services.n--; /* drop the slot just taken */
		return defer(r, &acc->deferred, sec, "AddService", ln,
			     "its service-install section is in an "
			     "included INF");
	}
	if ((rc = service_install(r, sv, acc, ln->lineno)))
		return rc;
	char *ev = text(r, field(ln, 3), ln->lineno);
	if (ev == NULL)
		return r->err->code;
	if (ev[0]) {
		sv->eventlog_section = ev;
		const char *type = text(r, field(ln, 4), ln->lineno);
		const char *evname = text(r, field(ln, 5), ln->lineno);
		if (type == NULL || evname == NULL)
			return r->err->code;
		sv->eventlog_type = type[0] ? type : "System";
		sv->eventlog_name = evname[0] ? evname : name;
		if (r->includes && !pkg_inf_section(r->inf, ev))
			return defer(r, &acc->deferred, sec, "AddService", ln,
				     "its event-log section is in an included "
				     "INF");
		if ((rc = eventlog_install(r, sv, acc, ln->lineno)))
			return rc;
	}
	return PKG_OK;
}

static enum pkg_err service_section(struct rctx *r,
				    const struct pkg_inf_section *s,
				    struct install_acc *acc)
{
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		enum pkg_err rc;
		if (ln->key && pkg_int_strcaseeq(ln->key, "AddService"))
			rc = add_service(r, ln, s->name, acc);
		else if (ln->key && pkg_int_strcaseeq(ln->key, "Needs"))
			rc = needs(r, s, ln, acc, service_section);
		else
			rc = defer_line(r, acc, s, ln);
		if (rc)
			return rc;
	}
	return PKG_OK;
}

/* The DDInstall section Windows uses for @base on the target. */
static const struct pkg_inf_section *choose_install(struct rctx *r,
						    const char *base,
						    const char **name_ret)
{
	char *cands[3];
	cands[0] = r->t->arch ? pkg_int_printf(r->arena, "%s.NT%s", base,
					       r->t->arch)
			      : NULL;
	cands[1] = pkg_int_printf(r->arena, "%s.NT", base);
	cands[2] = (char *)base;
	for (size_t i = 0; i < 3; i++) {
		if (cands[i] == NULL)
			continue;
		const struct pkg_inf_section *s =
			pkg_inf_section(r->inf, cands[i]);
		if (s) {
			*name_ret = s->name;
			return s;
		}
	}
	*name_ret = base;
	return NULL;
}

static enum pkg_err build_install(struct rctx *r, struct pkg_inf_install *in)
{
	const struct pkg_inf_section *s =
		choose_install(r, in->base, &in->section);
	struct install_acc acc = { 0 };
	enum pkg_err rc;
	if (s) {
		r->depth = 0;
		if ((rc = push_needs(r, s, s->lineno)) ||
		    (rc = install_section(r, s, &acc)))
			return rc;
	}
	char *svc = pkg_int_printf(r->arena, "%s.Services", in->section);
	if (svc == NULL)
		return nomem(r);
	const struct pkg_inf_section *ss = pkg_inf_section(r->inf, svc);
	if (ss) {
		r->depth = 0;
		if ((rc = push_needs(r, ss, ss->lineno)) ||
		    (rc = service_section(r, ss, &acc)))
			return rc;
	}
	for (size_t i = 0; i < HVO_ARRAY_SIZE(deferred_sections); i++) {
		char *nm = pkg_int_printf(r->arena, "%s%s", in->section,
					  deferred_sections[i].suffix);
		if (nm == NULL)
			return nomem(r);
		const struct pkg_inf_section *ds = pkg_inf_section(r->inf, nm);
		if (ds == NULL)
			continue;
		for (size_t k = 0; k < ds->nlines; k++) {
			const struct pkg_inf_line *ln = &ds->lines[k];
			rc = defer(r, &acc.deferred, ds->name,
				   ln->key ? ln->key : "(entry)", ln,
				   deferred_sections[i].reason);
			if (rc)
				return rc;
		}
	}
	in->copies = acc.copies.items;
	in->ncopies = acc.copies.n;
	in->regs = acc.regs.items;
	in->nregs = acc.regs.n;
	in->services = acc.services.items;
	in->nservices = acc.services.n;
	in->null_service = acc.null_service;
	in->deferred = acc.deferred.items;
	in->ndeferred = acc.deferred.n;
	return PKG_OK;
}

/* ---- [Version] ---- */

static enum pkg_err read_version(struct rctx *r, struct pkg_inf_version *v)
{
	const struct pkg_inf_section *s = pkg_inf_section(r->inf, "Version");
	if (s == NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, 0,
				    "no [Version] section");
	const char *catalog_arch = NULL, *catalog_nt = NULL, *catalog = NULL;
	char arch_key[32] = "";
	if (r->t->arch)
		snprintf(arch_key, sizeof(arch_key), "CatalogFile.NT%s",
			 r->t->arch);
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		if (ln->key == NULL)
			continue;
		const char **dst = NULL;
		const char *k = ln->key;
		if (pkg_int_strcaseeq(k, "Signature"))
			dst = &v->signature;
		else if (pkg_int_strcaseeq(k, "Class"))
			dst = &v->cls;
		else if (pkg_int_strcaseeq(k, "ClassGuid"))
			dst = &v->class_guid;
		else if (pkg_int_strcaseeq(k, "Provider"))
			dst = &v->provider;
		else if (arch_key[0] && pkg_int_strcaseeq(k, arch_key))
			dst = &catalog_arch;
		else if (pkg_int_strcaseeq(k, "CatalogFile.NT"))
			dst = &catalog_nt;
		else if (pkg_int_strcaseeq(k, "CatalogFile"))
			dst = &catalog;
		else if (pkg_int_strcaseeq(k, "DriverVer")) {
			v->driver_date = text(r, field(ln, 0), ln->lineno);
			v->driver_version = text(r, field(ln, 1), ln->lineno);
			if (v->driver_date == NULL || v->driver_version == NULL)
				return r->err->code;
			continue;
		}
		if (dst == NULL)
			continue;
		*dst = text(r, field(ln, 0), ln->lineno);
		if (*dst == NULL)
			return r->err->code;
	}
	v->catalog_file = catalog_arch ? catalog_arch
			  : catalog_nt ? catalog_nt
				       : catalog;
	if (v->signature == NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, s->lineno,
				    "[Version] has no Signature");
	return PKG_OK;
}

enum pkg_err pkg_inf_resolve(struct pkg_arena *arena, const struct pkg_inf *inf,
			     const struct pkg_target *target,
			     struct pkg_driver **drv_ret, struct pkg_error *err)
{
	struct rctx r = { .arena = arena,
			  .inf = inf,
			  .t = target,
			  .err = err,
			  .file = inf->file };
	r.destdirs = pkg_inf_section(inf, "DestinationDirs");
	for (size_t i = 0; i < inf->nsections && !r.includes; i++)
		for (size_t k = 0; k < inf->sections[i].nlines; k++)
			if (inf->sections[i].lines[k].key &&
			    pkg_int_strcaseeq(inf->sections[i].lines[k].key,
					      "Include"))
				r.includes = true;
	struct pkg_driver *drv = pkg_int_alloc(arena, sizeof(*drv));
	if (drv == NULL)
		return nomem(&r);
	drv->inf = inf;
	drv->target = *target;
	enum pkg_err rc;
	if ((rc = read_version(&r, &drv->version)) ||
	    (rc = read_manufacturers(&r, drv)))
		return rc;
	drv->chosen = pkg_int_calloc(arena, drv->nmanufacturers + 1,
				     sizeof(*drv->chosen));
	if (drv->chosen == NULL)
		return nomem(&r);
	struct pkg_int_vec binds = { 0 }, installs = { 0 };
	struct pkg_int_map by_name = { 0 }; /* install base -> index + 1 */
	for (size_t m = 0; m < drv->nmanufacturers; m++) {
		const struct pkg_inf_manufacturer *man = &drv->manufacturers[m];
		const struct pkg_inf_models *mo =
			pkg_inf_best_models(man, target);
		drv->chosen[m] = mo;
		for (size_t d = 0; mo && d < mo->ndevices; d++) {
			const struct pkg_inf_device *dev = &mo->devices[d];
			uintptr_t idx = (uintptr_t)pkg_int_map_get(
				&by_name, dev->install_section);
			if (idx == 0) {
				struct pkg_inf_install *in = pkg_int_vec_push(
					arena, &installs, sizeof(*in));
				if (in == NULL)
					return nomem(&r);
				in->base = dev->install_section;
				idx = installs.n;
				if (!pkg_int_map_put(arena, &by_name, in->base,
						     (void *)idx))
					return nomem(&r);
			}
			struct pkg_inf_binding *b =
				pkg_int_vec_push(arena, &binds, sizeof(*b));
			if (b == NULL)
				return nomem(&r);
			b->device = dev;
			b->manufacturer = man->name;
			b->install = (const void *)idx; /* fixed up below */
		}
	}
	struct pkg_inf_install *ins = installs.items;
	for (size_t i = 0; i < installs.n; i++)
		if ((rc = build_install(&r, &ins[i])))
			return rc;
	struct pkg_inf_binding *bs = binds.items;
	for (size_t i = 0; i < binds.n; i++)
		bs[i].install = &ins[(uintptr_t)bs[i].install - 1];
	drv->bindings = bs;
	drv->nbindings = binds.n;
	drv->installs = ins;
	drv->ninstalls = installs.n;
	*drv_ret = drv;
	return PKG_OK;
}

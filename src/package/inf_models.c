/*
 * inf_models.c - [Manufacturer] and models sections: decorations
 * ("Combining platform extensions with operating system versions") and
 * the best models section for the target.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/inf_resolve.h"
#include "util/bytes.h"

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
			return pkg_int_rctx_nomem(r);
		d->line = ln->lineno;
		d->description = pkg_int_rctx_text(r, ln->key, ln->lineno);
		d->install_section = pkg_int_rctx_text(
			r, pkg_int_rctx_field(ln, 0), ln->lineno);
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
			char *id =
				pkg_int_rctx_text(r, ln->fields[k], ln->lineno);
			if (id == NULL)
				return r->err->code;
			if (id[0] == '\0')
				continue;
			const char **slot =
				pkg_int_vec_push(r->arena, &ids, sizeof(*slot));
			if (slot == NULL)
				return pkg_int_rctx_nomem(r);
			*slot = id;
		}
		d->hwids = ids.items;
		d->nhwids = ids.n;
	}
	mo->devices = devs.items;
	mo->ndevices = devs.n;
	return PKG_OK;
}

enum pkg_err pkg_int_inf_read_manufacturers(struct rctx *r,
					    struct pkg_driver *drv)
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
			return pkg_int_rctx_nomem(r);
		m->line = ln->lineno;
		/* "%strkey%=models[,decoration]..." or "manufacturer-name"
		 * (which names its models section too). */
		const char *raw_name =
			ln->key ? ln->key : pkg_int_rctx_field(ln, 0);
		m->name = pkg_int_rctx_text(r, raw_name, ln->lineno);
		m->models = pkg_int_rctx_text(r, pkg_int_rctx_field(ln, 0),
					      ln->lineno);
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
			return pkg_int_rctx_nomem(r);
		mo->decoration.text = "";
		mo->section = m->models;
		for (size_t k = 1; ln->key && k < ln->nfields; k++) {
			char *dt =
				pkg_int_rctx_text(r, ln->fields[k], ln->lineno);
			if (dt == NULL)
				return r->err->code;
			if (dt[0] == '\0')
				continue;
			mo = pkg_int_vec_push(r->arena, &decs, sizeof(*mo));
			if (mo == NULL)
				return pkg_int_rctx_nomem(r);
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
				return pkg_int_rctx_nomem(r);
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

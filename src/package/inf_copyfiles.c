/*
 * inf_copyfiles.c - CopyFiles: destination directories ([DestinationDirs])
 * and source paths ([SourceDisksFiles], per architecture) of every file.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/inf_resolve.h"
#include "util/bytes.h"

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
	enum pkg_err rc = pkg_int_rctx_number(r, pkg_int_rctx_field(hit, 0),
					      hit->lineno, "DIRID", &v);
	if (rc)
		return rc;
	*dirid = (int32_t)v;
	*subdir = pkg_int_rctx_text(r, pkg_int_rctx_field(hit, 1), hit->lineno);
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
	char *disk = pkg_int_rctx_text(r, pkg_int_rctx_field(f, 0), f->lineno);
	char *sub = pkg_int_rctx_text(r, pkg_int_rctx_field(f, 1), f->lineno);
	if (disk == NULL || sub == NULL)
		return r->err->code;
	const char *dpath = "";
	const struct pkg_inf_line *d = arch_lookup(r, "SourceDisksNames", disk);
	if (d) {
		dpath = pkg_int_rctx_text(r, pkg_int_rctx_field(d, 3),
					  d->lineno);
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
		return pkg_int_rctx_nomem(r);
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
		return pkg_int_rctx_nomem(r);
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

enum pkg_err pkg_int_inf_copy_files(struct rctx *r,
				    const struct pkg_inf_line *ln,
				    const char *sec, struct pkg_int_vec *out,
				    struct pkg_int_vec *deferred)
{
	struct rctx_names nm;
	enum pkg_err rc = pkg_int_rctx_names(r, ln, &nm);
	for (size_t i = 0; rc == PKG_OK && i < nm.n; i++) {
		char *f = nm.v[i];
		if (f[0] == '@') {
			rc = copy_one(r, out, NULL, f + 1, f + 1, 0,
				      ln->lineno);
			if (rc)
				return rc;
			continue;
		}
		const struct pkg_inf_section *s = pkg_inf_section(r->inf, f);
		if (s == NULL && r->includes) {
			if ((rc = pkg_int_rctx_defer(
				     r, deferred, sec, "CopyFiles", ln,
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
			const char *raw_dest =
				e->key ? e->key : pkg_int_rctx_field(e, 0);
			char *dest = pkg_int_rctx_text(r, raw_dest, e->lineno);
			char *src = pkg_int_rctx_text(
				r, pkg_int_rctx_field(e, e->key ? 0 : 1),
				e->lineno);
			if (dest == NULL || src == NULL)
				return r->err->code;
			if (dest[0] == '\0')
				continue;
			uint32_t flags = 0;
			const char *fl = pkg_int_rctx_field(e, e->key ? 2 : 3);
			if (fl[0] && (rc = pkg_int_rctx_number(
					      r, fl, e->lineno,
					      "CopyFiles flags", &flags)))
				return rc;
			rc = copy_one(r, out, s->name, dest,
				      src[0] ? src : dest, flags, e->lineno);
			if (rc)
				return rc;
		}
	}
	return rc; /* PKG_OK, or why the list could not be read */
}

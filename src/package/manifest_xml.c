/*
 * manifest_xml.c - what the readers of update.mum and component manifests
 * share: element and attribute access, identities, lists, and the record
 * of elements the model does not describe (->unmodelled).
 */
#include <config.h>

#include <string.h>

#include "package/manifest_int.h"
#include "util/bytes.h"

bool pkg_int_mf_is(const struct pkg_int_xnode *n, const char *name)
{
	return strcmp(n->name, name) == 0;
}

enum pkg_err pkg_int_mf_unmodelled(struct ctx *c, const struct pkg_int_xnode *n)
{
	/* Build the element's path from the root, e.g.
	 * "assembly/memberships/categoryMembership". */
	const struct pkg_int_xnode *chain[PKG_XML_MAX_DEPTH + 1];
	size_t depth = 0;
	for (const struct pkg_int_xnode *p = n;
	     p && depth < HVO_ARRAY_SIZE(chain); p = p->parent)
		chain[depth++] = p;
	struct pkg_int_buf b = { 0 };
	while (depth > 0) {
		pkg_int_buf_puts(&b, chain[--depth]->name);
		if (depth)
			pkg_int_buf_putc(&b, '/');
	}
	struct pkg_unmodelled *u =
		pkg_int_vec_push(c->arena, &c->unmodelled, sizeof(*u));
	if (u == NULL || b.oom) {
		pkg_int_buf_free(&b);
		return NOMEM(c);
	}
	u->element = pkg_int_strdup(c->arena, b.s ? b.s : "");
	u->line = n->line;
	pkg_int_buf_free(&b);
	return u->element ? PKG_OK : NOMEM(c);
}

/* A copy of attribute @name in the arena (NULL when absent). */
const char *pkg_int_mf_attr(struct ctx *c, const struct pkg_int_xnode *n,
			    const char *name)
{
	return pkg_int_xattr(n, name); /* already in the arena */
}

enum pkg_err pkg_int_mf_read_identity(struct ctx *c,
				      const struct pkg_int_xnode *n,
				      struct pkg_identity *id,
				      bool need_version)
{
	memset(id, 0, sizeof(*id));
	id->name = pkg_int_mf_attr(c, n, "name");
	id->version = pkg_int_mf_attr(c, n, "version");
	id->arch = pkg_int_mf_attr(c, n, "processorArchitecture");
	id->language = pkg_int_mf_attr(c, n, "language");
	id->public_key_token = pkg_int_mf_attr(c, n, "publicKeyToken");
	id->build_type = pkg_int_mf_attr(c, n, "buildType");
	id->version_scope = pkg_int_mf_attr(c, n, "versionScope");
	id->type = pkg_int_mf_attr(c, n, "type");
	if (id->name == NULL || *id->name == '\0')
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "assemblyIdentity has no name");
	if (need_version) {
		struct pkg_version v;
		if (id->version == NULL || !pkg_version_parse(id->version, &v))
			return pkg_int_fail(
				c->err, PKG_ERR_MANIFEST, c->file, n->line,
				"assemblyIdentity %s: bad or missing "
				"version '%s'",
				id->name, id->version ? id->version : "");
		if (id->arch == NULL || *id->arch == '\0')
			return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file,
					    n->line,
					    "assemblyIdentity %s has no "
					    "processorArchitecture",
					    id->name);
	}
	return PKG_OK;
}

/* The <assemblyIdentity> child of @n, required. */
enum pkg_err pkg_int_mf_child_identity(struct ctx *c,
				       const struct pkg_int_xnode *n,
				       struct pkg_identity *id)
{
	const struct pkg_int_xnode *ai = pkg_int_xchild(n, "assemblyIdentity");
	if (ai == NULL)
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "<%s> has no assemblyIdentity", n->name);
	return pkg_int_mf_read_identity(c, ai, id, true);
}

/* Splits "a,b,c" (spaces trimmed, empty items dropped) into the arena. */
enum pkg_err pkg_int_mf_split_list(struct ctx *c, const char *s,
				   const char *const **v_ret, size_t *n_ret)
{
	*v_ret = NULL;
	*n_ret = 0;
	if (s == NULL)
		return PKG_OK;
	struct pkg_int_vec v = { 0 };
	const char *p = s;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *start = p;
		while (*p && *p != ',')
			p++;
		const char *end = p;
		while (end > start && end[-1] == ' ')
			end--;
		if (end == start)
			continue;
		const char **slot =
			pkg_int_vec_push(c->arena, &v, sizeof(*slot));
		if (slot == NULL ||
		    (*slot = pkg_int_strndup(c->arena, start,
					     (size_t)(end - start))) == NULL)
			return NOMEM(c);
	}
	*v_ret = v.items;
	*n_ret = v.n;
	return PKG_OK;
}

enum pkg_err pkg_int_mf_begin(struct ctx *c, struct pkg_arena *arena,
			      const void *buf, size_t len, const char *file,
			      struct pkg_error *err, size_t size,
			      struct pkg_int_xnode **root_ret, void **obj_ret)
{
	*c = (struct ctx){ .arena = arena, .file = file, .err = err };
	enum pkg_err rc =
		pkg_int_xml_read(arena, buf, len, file, root_ret, err);
	if (rc)
		return rc;
	const struct pkg_int_xnode *root = *root_ret;
	if (!pkg_int_mf_is(root, "assembly"))
		return pkg_int_fail(
			c->err, PKG_ERR_MANIFEST, c->file, root->line,
			"root element is <%s>, not <assembly>", root->name);
	*obj_ret = pkg_int_alloc(arena, size);
	return *obj_ret == NULL ? NOMEM(c) : PKG_OK;
}

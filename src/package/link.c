/*
 * link.c - from a package manifest and its components to what installs.
 *
 * update.mum names components by identity; the cabinet names them by key
 * (identity.c).  Linking finds each update's manifest, checks that a
 * driver's component lists its INF, and computes the dependency closure
 * of component updates: the 6.2 IC package's single component update,
 * ...-Deployment, carries nothing itself and depends (dependencyType
 * "install") on the components that do.
 */
#include <config.h>

#include <string.h>

#include "package/internal.h"

struct pkg_manifest *pkg_package_manifest(const struct pkg_package *pkg,
					  const char *key)
{
	for (size_t i = 0; i < pkg->nmanifests; i++)
		if (pkg_int_strcaseeq(pkg->manifests[i].key, key))
			return &pkg->manifests[i];
	return NULL;
}

struct pkg_manifest *pkg_package_find(const struct pkg_package *pkg,
				      const struct pkg_identity *id)
{
	struct pkg_arena *tmp = pkg_arena_new();
	if (tmp == NULL)
		return NULL;
	char *key = pkg_component_key(tmp, id);
	struct pkg_manifest *m = key ? pkg_package_manifest(pkg, key) : NULL;
	pkg_arena_free(tmp);
	return m;
}

struct closure {
	struct pkg_arena *arena;
	const struct pkg_package *pkg;
	struct pkg_error *err;
	struct pkg_int_vec out; /* struct pkg_manifest * */
};

static bool in_closure(const struct closure *c, const struct pkg_manifest *m)
{
	struct pkg_manifest *const *v = c->out.items;
	for (size_t i = 0; i < c->out.n; i++)
		if (v[i] == m)
			return true;
	return false;
}

/* Follows "install" dependencies depth-first; each manifest once, so a
 * dependency cycle ends instead of looping. */
static enum pkg_err visit(struct closure *c, struct pkg_manifest *m)
{
	if (in_closure(c, m))
		return PKG_OK;
	struct pkg_manifest **slot =
		pkg_int_vec_push(c->arena, &c->out, sizeof(*slot));
	if (slot == NULL)
		return pkg_int_fail(c->err, PKG_ERR_NOMEM, m->file, 0,
				    "out of memory");
	*slot = m;
	for (size_t i = 0; i < m->ndeps; i++) {
		const struct pkg_dependency *d = &m->deps[i];
		if (d->dependency_type &&
		    !pkg_int_strcaseeq(d->dependency_type, "install"))
			continue;
		struct pkg_manifest *dm =
			pkg_package_find(c->pkg, &d->identity);
		if (dm == NULL) {
			char *key = pkg_component_key(c->arena, &d->identity);
			return pkg_int_fail(
				c->err, PKG_ERR_MISSING, m->file, d->line,
				"dependency %s (%s.manifest) is not "
				"in the package",
				d->identity.name, key ? key : "?");
		}
		enum pkg_err rc = visit(c, dm);
		if (rc)
			return rc;
	}
	return PKG_OK;
}

enum pkg_err pkg_package_link(struct pkg_arena *arena, struct pkg_package *pkg,
			      struct pkg_error *err)
{
	for (size_t i = 0; i < pkg->nupdates; i++) {
		struct pkg_update *u = &pkg->updates[i];
		if (u->kind == PKG_UPDATE_PACKAGE)
			return pkg_int_fail(
				err, PKG_ERR_UNSUPPORTED, "update.mum", u->line,
				"update %s installs a nested package "
				"(%s); nested packages are not "
				"supported",
				u->name ? u->name : "?", u->identity.name);
		struct pkg_manifest *m = pkg_package_find(pkg, &u->identity);
		if (m == NULL) {
			char *key = pkg_component_key(arena, &u->identity);
			return pkg_int_fail(
				err, PKG_ERR_MISSING, "update.mum", u->line,
				"update %s: component %s "
				"(%s.manifest) is not in the package",
				u->name ? u->name : "?", u->identity.name,
				key ? key : "?");
		}
		u->manifest = m;
		if (u->kind == PKG_UPDATE_DRIVER) {
			bool listed = false;
			for (size_t k = 0; k < m->nfiles && !listed; k++)
				listed = pkg_int_strcaseeq(m->files[k].name,
							   u->inf);
			if (!listed)
				return pkg_int_fail(
					err, PKG_ERR_MANIFEST, m->file, 0,
					"driver %s: the component does "
					"not list %s",
					u->identity.name, u->inf);
			u->inf_file = m->inf;
			continue;
		}
		struct closure c = { .arena = arena, .pkg = pkg, .err = err };
		enum pkg_err rc = visit(&c, m);
		if (rc)
			return rc;
		u->closure = c.out.items;
		u->nclosure = c.out.n;
	}
	return PKG_OK;
}

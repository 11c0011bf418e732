/*
 * mum.c - update.mum: the package's identity, its updates and the
 * components and packages each one installs (SERVICING.md section 2).
 */
#include <config.h>

#include <string.h>

#include "package/manifest_int.h"
#include "util/bytes.h"

/* ---- update.mum ---- */

static enum pkg_err read_update(struct ctx *c, const struct pkg_int_xnode *n,
				struct pkg_int_vec *updates)
{
	bool any = false;
	for (const struct pkg_int_xnode *k = n->first; k; k = k->next) {
		enum pkg_update_kind kind;
		if (pkg_int_mf_is(k, "driver"))
			kind = PKG_UPDATE_DRIVER;
		else if (pkg_int_mf_is(k, "component"))
			kind = PKG_UPDATE_COMPONENT;
		else if (pkg_int_mf_is(k, "package"))
			kind = PKG_UPDATE_PACKAGE;
		else if (pkg_int_mf_is(k, "applicable"))
			continue; /* detection rules; the driver repeats the
				     identity */
		else {
			enum pkg_err rc = pkg_int_mf_unmodelled(c, k);
			if (rc)
				return rc;
			continue;
		}
		any = true;
		struct pkg_update *u =
			pkg_int_vec_push(c->arena, updates, sizeof(*u));
		if (u == NULL)
			return NOMEM(c);
		u->kind = kind;
		u->name = pkg_int_mf_attr(c, n, "name");
		u->display_name = pkg_int_mf_attr(c, n, "displayName");
		u->description = pkg_int_mf_attr(c, n, "description");
		u->restart = pkg_int_mf_attr(c, n, "restart");
		u->line = k->line;
		enum pkg_err rc = pkg_int_mf_child_identity(c, k, &u->identity);
		if (rc)
			return rc;
		if (kind == PKG_UPDATE_DRIVER) {
			u->inf = pkg_int_mf_attr(c, k, "inf");
			u->ranking = pkg_int_mf_attr(c, k, "ranking");
			if (u->inf == NULL || *u->inf == '\0')
				return pkg_int_fail(c->err, PKG_ERR_MANIFEST,
						    c->file, k->line,
						    "driver without inf");
			if (strchr(u->inf, '\\') || strchr(u->inf, '/'))
				return pkg_int_fail(c->err, PKG_ERR_MANIFEST,
						    c->file, k->line,
						    "driver inf '%s' is not a "
						    "plain file name",
						    u->inf);
			const struct pkg_int_xnode *ext =
				pkg_int_xchild(k, "driverExtended");
			const char *dir =
				ext ? pkg_int_xattr(ext,
						    "deviceInstallRequired")
				    : NULL;
			u->device_install_required =
				dir && pkg_int_strcaseeq(dir, "true");
		}
	}
	if (!any)
		return pkg_int_mf_unmodelled(c, n);
	return PKG_OK;
}

enum pkg_err pkg_mum_parse(struct pkg_arena *arena, const void *buf, size_t len,
			   const char *file, struct pkg_package **pkg_ret,
			   struct pkg_error *err)
{
	struct ctx c;
	struct pkg_int_xnode *root;
	struct pkg_package *p;
	enum pkg_err rc = pkg_int_mf_begin(&c, arena, buf, len, file, err,
					   sizeof(*p), &root, (void **)&p);
	if (rc)
		return rc;
	p->description = pkg_int_mf_attr(&c, root, "description");
	p->support_information =
		pkg_int_mf_attr(&c, root, "supportInformation");
	p->manifest_version = pkg_int_mf_attr(&c, root, "manifestVersion");
	const struct pkg_int_xnode *ai = NULL, *pk = NULL;
	for (const struct pkg_int_xnode *n = root->first; n; n = n->next) {
		if (pkg_int_mf_is(n, "assemblyIdentity") && ai == NULL)
			ai = n;
		else if (pkg_int_mf_is(n, "package") && pk == NULL)
			pk = n;
		else if ((rc = pkg_int_mf_unmodelled(&c, n)))
			return rc;
	}
	if (ai == NULL)
		return pkg_int_fail(err, PKG_ERR_MANIFEST, file, root->line,
				    "no assemblyIdentity");
	if ((rc = pkg_int_mf_read_identity(&c, ai, &p->identity, true)))
		return rc;
	if (pk == NULL)
		return pkg_int_fail(err, PKG_ERR_NOT_PACKAGE, file, root->line,
				    "no <package> element: a component "
				    "manifest, not a package");
	p->identifier = pkg_int_mf_attr(&c, pk, "identifier");
	p->release_type = pkg_int_mf_attr(&c, pk, "releaseType");
	p->restart = pkg_int_mf_attr(&c, pk, "restart");

	struct pkg_int_vec parents = { 0 }, updates = { 0 }, ext = { 0 };
	for (const struct pkg_int_xnode *n = pk->first; n; n = n->next) {
		rc = PKG_OK;
		if (pkg_int_mf_is(n, "parent")) {
			struct pkg_parent *par =
				pkg_int_vec_push(arena, &parents, sizeof(*par));
			if (par == NULL)
				return NOMEM(&c);
			par->integrate = pkg_int_mf_attr(&c, n, "integrate");
			par->line = n->line;
			struct pkg_int_vec ids = { 0 };
			for (const struct pkg_int_xnode *k = n->first; k;
			     k = k->next) {
				if (!pkg_int_mf_is(k, "assemblyIdentity")) {
					if ((rc = pkg_int_mf_unmodelled(&c, k)))
						return rc;
					continue;
				}
				struct pkg_identity *id = pkg_int_vec_push(
					arena, &ids, sizeof(*id));
				if (id == NULL)
					return NOMEM(&c);
				if ((rc = pkg_int_mf_read_identity(&c, k, id,
								   true)))
					return rc;
			}
			if (ids.n == 0)
				return pkg_int_fail(
					err, PKG_ERR_MANIFEST, file, n->line,
					"<parent> names no package");
			par->ids = ids.items;
			par->nids = ids.n;
		} else if (pkg_int_mf_is(n, "update")) {
			rc = read_update(&c, n, &updates);
		} else if (pkg_int_mf_is(n, "packageExtended")) {
			for (size_t i = 0; i < n->nattrs; i++) {
				const char **kv = pkg_int_vec_push(
					arena, &ext, 2 * sizeof(*kv));
				if (kv == NULL)
					return NOMEM(&c);
				kv[0] = n->attrs[i].name;
				kv[1] = n->attrs[i].value;
			}
		} else {
			rc = pkg_int_mf_unmodelled(&c, n);
		}
		if (rc)
			return rc;
	}
	p->parents = parents.items;
	p->nparents = parents.n;
	p->updates = updates.items;
	p->nupdates = updates.n;
	p->extended = ext.items;
	p->nextended = ext.n * 2;
	p->unmodelled = c.unmodelled.items;
	p->nunmodelled = c.unmodelled.n;
	*pkg_ret = p;
	return PKG_OK;
}

/*
 * manifest.c - the model of update.mum and component manifests.
 *
 * Both are assembly manifests in urn:schemas-microsoft-com:asm.v3
 * (SERVICING.md section 2; reference/offline-ic.md 2.2-2.3).  Elements are
 * matched by local name: the IC manifests mix default and prefixed
 * namespaces (asmv2:hash, dsig:DigestValue) for the same vocabulary.
 *
 * Everything the model describes is read; every other element is listed in
 * ->unmodelled with its path and line, so a package that uses something we
 * do not handle is visible in `hvoffline package info` instead of being
 * dropped silently.
 *
 * This file reads component manifests (files, services, memberships,
 * trust, dependencies); registry values are read in manifest_registry.c,
 * update.mum in mum.c, over the helpers of manifest_xml.c.
 */
#include <config.h>

#include <string.h>

#include "package/manifest_int.h"
#include "util/bytes.h"
#include "util/sha256.h"

/* ---- Files ---- */

static enum pkg_err read_hash(struct ctx *c, const struct pkg_int_xnode *h,
			      struct pkg_file *f)
{
	const struct pkg_int_xnode *method = pkg_int_xchild(h, "DigestMethod");
	const struct pkg_int_xnode *value = pkg_int_xchild(h, "DigestValue");
	const char *alg = method ? pkg_int_xattr(method, "Algorithm") : NULL;
	if (alg == NULL || value == NULL)
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, h->line,
				    "file %s: hash without DigestMethod or "
				    "DigestValue",
				    f->name);
	/* Only SHA-256 is checked; an older SHA-1 digest is recorded as
	 * "no SHA-256" rather than refused. */
	if (strcmp(alg, "http://www.w3.org/2000/09/xmldsig#sha256") != 0 &&
	    strcmp(alg, "http://www.w3.org/2001/04/xmlenc#sha256") != 0)
		return PKG_OK;
	long n = hvo_int_base64_decode(value->text ? value->text : "",
				       f->sha256, sizeof(f->sha256));
	if (n != (long)sizeof(f->sha256))
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file,
				    value->line,
				    "file %s: DigestValue is not a base64 "
				    "SHA-256",
				    f->name);
	f->has_sha256 = true;
	return PKG_OK;
}

static enum pkg_err read_file(struct ctx *c, const struct pkg_int_xnode *n,
			      struct pkg_file *f)
{
	f->name = pkg_int_mf_attr(c, n, "name");
	if (f->name == NULL || *f->name == '\0')
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "file has no name");
	f->source_name = pkg_int_mf_attr(c, n, "sourceName");
	if (f->source_name == NULL || *f->source_name == '\0')
		f->source_name = f->name;
	f->source_path = pkg_int_mf_attr(c, n, "sourcePath");
	f->destination_path = pkg_int_mf_attr(c, n, "destinationPath");
	f->line = n->line;
	/* Payload names are single components inside the component folder;
	 * anything else could climb out of it when staged. */
	if (strchr(f->source_name, '\\') || strchr(f->source_name, '/') ||
	    strcmp(f->source_name, "..") == 0 ||
	    strcmp(f->source_name, ".") == 0)
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "file %s: sourceName '%s' is not a plain "
				    "file name",
				    f->name, f->source_name);
	for (const struct pkg_int_xnode *k = n->first; k; k = k->next) {
		enum pkg_err rc = PKG_OK;
		if (pkg_int_mf_is(k, "hash"))
			rc = read_hash(c, k, f);
		else if (pkg_int_mf_is(k, "securityDescriptor"))
			f->security_descriptor = pkg_int_mf_attr(c, k, "name");
		else if (pkg_int_mf_is(k, "infFile"))
			f->inf = true;
		else
			rc = pkg_int_mf_unmodelled(c, k);
		if (rc)
			return rc;
	}
	return PKG_OK;
}

/* ---- Services ---- */

struct name_value {
	const char *name;
	uint32_t value;
};

/* serviceData attribute values and their SERVICE_* numbers (winnt.h). */
static const struct name_value svc_types[] = {
	{ "kernelDriver", 0x1 },
	{ "fileSystemDriver", 0x2 },
	{ "adapter", 0x4 },
	{ "recognizerDriver", 0x8 },
	{ "win32OwnProcess", 0x10 },
	{ "win32ShareProcess", 0x20 },
	{ "win32UserOwnProcess", 0x50 },
	{ "win32UserShareProcess", 0x60 },
	{ "userServiceOwnProcess", 0x50 },
	{ "userServiceShareProcess", 0x60 },
};

static const struct name_value svc_starts[] = {
	{ "boot", 0 },	 { "system", 1 },   { "auto", 2 },
	{ "demand", 3 }, { "disabled", 4 }, { "delayedAuto", 2 },
};

static const struct name_value svc_errors[] = {
	{ "ignore", 0 },
	{ "normal", 1 },
	{ "severe", 2 },
	{ "critical", 3 },
};

static uint32_t lookup_enum(const struct name_value *t, size_t n, const char *s)
{
	if (s == NULL)
		return UINT32_MAX;
	for (size_t i = 0; i < n; i++)
		if (pkg_int_strcaseeq(s, t[i].name))
			return t[i].value;
	return UINT32_MAX;
}

static enum pkg_err read_service(struct ctx *c, const struct pkg_int_xnode *n,
				 struct pkg_service *s)
{
	enum pkg_err rc;
	s->name = pkg_int_mf_attr(c, n, "name");
	if (s->name == NULL || *s->name == '\0')
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "serviceData has no name");
	s->display_name = pkg_int_mf_attr(c, n, "displayName");
	s->description = pkg_int_mf_attr(c, n, "description");
	s->image_path = pkg_int_mf_attr(c, n, "imagePath");
	s->type = pkg_int_mf_attr(c, n, "type");
	s->start = pkg_int_mf_attr(c, n, "start");
	s->error_control = pkg_int_mf_attr(c, n, "errorControl");
	s->object_name = pkg_int_mf_attr(c, n, "objectName");
	s->group = pkg_int_mf_attr(c, n, "group");
	s->sid_type = pkg_int_mf_attr(c, n, "sidType");
	s->line = n->line;
	s->type_value =
		lookup_enum(svc_types, HVO_ARRAY_SIZE(svc_types), s->type);
	s->start_value =
		lookup_enum(svc_starts, HVO_ARRAY_SIZE(svc_starts), s->start);
	s->delayed_auto_start = pkg_int_strcaseeq(s->start, "delayedAuto");
	s->error_control_value = lookup_enum(
		svc_errors, HVO_ARRAY_SIZE(svc_errors), s->error_control);
	if (s->type_value == UINT32_MAX || s->start_value == UINT32_MAX)
		return pkg_int_fail(
			c->err, PKG_ERR_MANIFEST, c->file, n->line,
			"service %s: unknown type '%s' or start '%s'", s->name,
			s->type ? s->type : "", s->start ? s->start : "");
	if (s->error_control == NULL)
		s->error_control_value = 1; /* SERVICE_ERROR_NORMAL */
	else if (s->error_control_value == UINT32_MAX)
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "service %s: unknown errorControl '%s'",
				    s->name, s->error_control);
	if ((rc = pkg_int_mf_split_list(
		     c, pkg_int_mf_attr(c, n, "requiredPrivileges"),
		     &s->required_privileges, &s->nrequired_privileges)) ||
	    (rc = pkg_int_mf_split_list(
		     c, pkg_int_mf_attr(c, n, "dependOnService"),
		     &s->depend_on_service, &s->ndepend_on_service)) ||
	    (rc = pkg_int_mf_split_list(
		     c, pkg_int_mf_attr(c, n, "dependOnGroup"),
		     &s->depend_on_group, &s->ndepend_on_group)))
		return rc;

	struct pkg_int_vec trig = { 0 }, acts = { 0 };
	for (const struct pkg_int_xnode *k = n->first; k; k = k->next) {
		rc = PKG_OK;
		if (pkg_int_mf_is(k, "serviceTrigger")) {
			struct pkg_service_trigger *t =
				pkg_int_vec_push(c->arena, &trig, sizeof(*t));
			if (t == NULL)
				return NOMEM(c);
			t->action = pkg_int_mf_attr(c, k, "action");
			t->type = pkg_int_mf_attr(c, k, "type");
			t->subtype = pkg_int_mf_attr(c, k, "subtype");
			const struct pkg_int_xnode *td =
				pkg_int_xchild(k, "triggerData");
			if (td) {
				t->data_type = pkg_int_mf_attr(c, td, "type");
				t->data_value = pkg_int_mf_attr(c, td, "value");
			}
		} else if (pkg_int_mf_is(k, "failureActions")) {
			const char *rp = pkg_int_mf_attr(c, k, "resetPeriod");
			if (rp &&
			    !pkg_int_parse_u32(rp, &s->failure_reset_period))
				return pkg_int_fail(
					c->err, PKG_ERR_MANIFEST, c->file,
					k->line, "service %s: bad resetPeriod",
					s->name);
			const struct pkg_int_xnode *al =
				pkg_int_xchild(k, "actions");
			for (const struct pkg_int_xnode *a = al ? al->first
								: NULL;
			     a; a = a->next) {
				if (!pkg_int_mf_is(a, "action"))
					continue;
				struct pkg_failure_action *fa =
					pkg_int_vec_push(c->arena, &acts,
							 sizeof(*fa));
				if (fa == NULL)
					return NOMEM(c);
				fa->type = pkg_int_mf_attr(c, a, "type");
				const char *d = pkg_int_mf_attr(c, a, "delay");
				if (d && !pkg_int_parse_u32(d, &fa->delay_ms))
					return pkg_int_fail(
						c->err, PKG_ERR_MANIFEST,
						c->file, a->line,
						"service %s: bad action delay",
						s->name);
			}
		} else if (pkg_int_mf_is(k, "securityDescriptor")) {
			s->security_descriptor = pkg_int_mf_attr(c, k, "name");
		} else {
			rc = pkg_int_mf_unmodelled(c, k);
		}
		if (rc)
			return rc;
	}
	s->triggers = trig.items;
	s->ntriggers = trig.n;
	s->failure_actions = acts.items;
	s->nfailure_actions = acts.n;
	return PKG_OK;
}

struct component_vecs {
	struct pkg_int_vec files, keys, services, svchost, sds, deps;
};

static enum pkg_err read_memberships(struct ctx *c,
				     const struct pkg_int_xnode *n,
				     struct component_vecs *v)
{
	for (const struct pkg_int_xnode *cm = n->first; cm; cm = cm->next) {
		enum pkg_err rc;
		if (!pkg_int_mf_is(cm, "categoryMembership")) {
			if ((rc = pkg_int_mf_unmodelled(c, cm)))
				return rc;
			continue;
		}
		const struct pkg_int_xnode *id = pkg_int_xchild(cm, "id");
		const char *type_name =
			id ? pkg_int_xattr(id, "typeName") : NULL;
		bool services = pkg_int_strcaseeq(type_name, "Service");
		bool svchost = pkg_int_strcaseeq(type_name, "SvcHost");
		if (!services && !svchost) {
			if ((rc = pkg_int_mf_unmodelled(c, cm)))
				return rc;
			continue;
		}
		for (const struct pkg_int_xnode *ci = cm->first; ci;
		     ci = ci->next) {
			if (pkg_int_mf_is(ci, "id"))
				continue;
			if (!pkg_int_mf_is(ci, "categoryInstance")) {
				if ((rc = pkg_int_mf_unmodelled(c, ci)))
					return rc;
				continue;
			}
			const char *sub = pkg_int_mf_attr(c, ci, "subcategory");
			for (const struct pkg_int_xnode *k = ci->first; k;
			     k = k->next) {
				rc = PKG_OK;
				if (services &&
				    pkg_int_mf_is(k, "serviceData")) {
					struct pkg_service *s =
						pkg_int_vec_push(c->arena,
								 &v->services,
								 sizeof(*s));
					if (s == NULL)
						return NOMEM(c);
					rc = read_service(c, k, s);
				} else if (svchost &&
					   pkg_int_mf_is(k, "serviceGroup")) {
					struct pkg_svchost_member *m =
						pkg_int_vec_push(c->arena,
								 &v->svchost,
								 sizeof(*m));
					if (m == NULL)
						return NOMEM(c);
					m->group = sub;
					m->service = pkg_int_mf_attr(
						c, k, "serviceName");
					m->position = pkg_int_mf_attr(
						c, k, "position");
					m->line = k->line;
					if (m->group == NULL ||
					    *m->group == '\0' ||
					    m->service == NULL ||
					    *m->service == '\0')
						return pkg_int_fail(
							c->err,
							PKG_ERR_MANIFEST,
							c->file, k->line,
							"serviceGroup without "
							"subcategory or "
							"serviceName");
				} else {
					rc = pkg_int_mf_unmodelled(c, k);
				}
				if (rc)
					return rc;
			}
		}
	}
	return PKG_OK;
}

static enum pkg_err read_trust(struct ctx *c, const struct pkg_int_xnode *n,
			       struct component_vecs *v)
{
	/* trustInfo/security/accessControl/securityDescriptorDefinitions */
	const struct pkg_int_xnode *s = pkg_int_xchild(n, "security");
	const struct pkg_int_xnode *ac =
		s ? pkg_int_xchild(s, "accessControl") : NULL;
	const struct pkg_int_xnode *defs =
		ac ? pkg_int_xchild(ac, "securityDescriptorDefinitions") : NULL;
	if (defs == NULL)
		return pkg_int_mf_unmodelled(c, n);
	for (const struct pkg_int_xnode *d = defs->first; d; d = d->next) {
		if (!pkg_int_mf_is(d, "securityDescriptorDefinition"))
			continue;
		struct pkg_sd_definition *sd =
			pkg_int_vec_push(c->arena, &v->sds, sizeof(*sd));
		if (sd == NULL)
			return NOMEM(c);
		sd->name = pkg_int_mf_attr(c, d, "name");
		sd->sddl = pkg_int_mf_attr(c, d, "sddl");
		sd->operation_hint = pkg_int_mf_attr(c, d, "operationHint");
		sd->line = d->line;
		if (sd->name == NULL || sd->sddl == NULL)
			return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file,
					    d->line,
					    "securityDescriptorDefinition "
					    "without name or sddl");
	}
	return PKG_OK;
}

static enum pkg_err read_dependency(struct ctx *c,
				    const struct pkg_int_xnode *n,
				    struct component_vecs *v)
{
	const char *disc = pkg_int_mf_attr(c, n, "discoverable");
	const char *resource_type = pkg_int_mf_attr(c, n, "resourceType");
	for (const struct pkg_int_xnode *da = n->first; da; da = da->next) {
		enum pkg_err rc;
		if (!pkg_int_mf_is(da, "dependentAssembly")) {
			if ((rc = pkg_int_mf_unmodelled(c, da)))
				return rc;
			continue;
		}
		struct pkg_dependency *d =
			pkg_int_vec_push(c->arena, &v->deps, sizeof(*d));
		if (d == NULL)
			return NOMEM(c);
		d->dependency_type = pkg_int_mf_attr(c, da, "dependencyType");
		d->resource_type = resource_type;
		d->discoverable =
			disc == NULL || !pkg_int_strcaseeq(disc, "no");
		d->line = da->line;
		if ((rc = pkg_int_mf_child_identity(c, da, &d->identity)))
			return rc;
	}
	return PKG_OK;
}

enum pkg_err pkg_manifest_parse(struct pkg_arena *arena, const void *buf,
				size_t len, const char *file,
				struct pkg_manifest **man_ret,
				struct pkg_error *err)
{
	struct ctx c;
	struct pkg_int_xnode *root;
	struct pkg_manifest *m;
	enum pkg_err rc = pkg_int_mf_begin(&c, arena, buf, len, file, err,
					   sizeof(*m), &root, (void **)&m);
	if (rc)
		return rc;
	if ((m->file = pkg_int_strdup(arena, file)) == NULL)
		return NOMEM(&c);
	struct component_vecs v = { 0 };
	bool have_identity = false;
	for (const struct pkg_int_xnode *n = root->first; n; n = n->next) {
		rc = PKG_OK;
		if (pkg_int_mf_is(n, "assemblyIdentity")) {
			if (have_identity)
				return pkg_int_fail(err, PKG_ERR_MANIFEST, file,
						    n->line,
						    "more than one "
						    "assemblyIdentity");
			have_identity = true;
			rc = pkg_int_mf_read_identity(&c, n, &m->identity,
						      true);
		} else if (pkg_int_mf_is(n, "file")) {
			struct pkg_file *f =
				pkg_int_vec_push(arena, &v.files, sizeof(*f));
			rc = f ? read_file(&c, n, f) : NOMEM(&c);
		} else if (pkg_int_mf_is(n, "registryKeys")) {
			rc = pkg_int_mf_read_reg_keys(&c, n, &v.keys);
		} else if (pkg_int_mf_is(n, "memberships")) {
			rc = read_memberships(&c, n, &v);
		} else if (pkg_int_mf_is(n, "trustInfo")) {
			rc = read_trust(&c, n, &v);
		} else if (pkg_int_mf_is(n, "dependency")) {
			rc = read_dependency(&c, n, &v);
		} else if (pkg_int_mf_is(n, "deployment")) {
			/* The marker of a deployment component. */
		} else {
			rc = pkg_int_mf_unmodelled(&c, n);
		}
		if (rc)
			return rc;
	}
	if (!have_identity)
		return pkg_int_fail(err, PKG_ERR_MANIFEST, file, root->line,
				    "no assemblyIdentity");
	m->is_driver = pkg_int_strcaseeq(m->identity.type, "driverUpdate");
	m->key = pkg_component_key(arena, &m->identity);
	if (m->key == NULL)
		return NOMEM(&c);
	m->files = v.files.items;
	m->nfiles = v.files.n;
	m->reg_keys = v.keys.items;
	m->nreg_keys = v.keys.n;
	m->services = v.services.items;
	m->nservices = v.services.n;
	m->svchost = v.svchost.items;
	m->nsvchost = v.svchost.n;
	m->sds = v.sds.items;
	m->nsds = v.sds.n;
	m->deps = v.deps.items;
	m->ndeps = v.deps.n;
	m->unmodelled = c.unmodelled.items;
	m->nunmodelled = c.unmodelled.n;
	/* Two files of one component with the same payload name would make
	 * the digest check ambiguous. */
	for (size_t i = 0; i < m->nfiles; i++)
		for (size_t j = i + 1; j < m->nfiles; j++)
			if (pkg_int_strcaseeq(m->files[i].source_name,
					      m->files[j].source_name))
				return pkg_int_fail(
					err, PKG_ERR_MANIFEST, file,
					m->files[j].line,
					"payload %s is listed twice",
					m->files[j].source_name);
	*man_ret = m;
	return PKG_OK;
}

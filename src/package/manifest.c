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
 */
#include <config.h>

#include <string.h>

#include "package/internal.h"
#include "util/bytes.h"
#include "util/hex.h"
#include "util/sha256.h"

struct ctx {
	struct pkg_arena *arena;
	const char *file;
	struct pkg_error *err;
	struct pkg_int_vec unmodelled;
};

#define NOMEM(c) \
	pkg_int_fail((c)->err, PKG_ERR_NOMEM, (c)->file, 0, "out of memory")

static bool is(const struct pkg_int_xnode *n, const char *name)
{
	return strcmp(n->name, name) == 0;
}

static enum pkg_err unmodelled(struct ctx *c, const struct pkg_int_xnode *n)
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
static const char *attr(struct ctx *c, const struct pkg_int_xnode *n,
			const char *name)
{
	return pkg_int_xattr(n, name); /* already in the arena */
}

static enum pkg_err read_identity(struct ctx *c, const struct pkg_int_xnode *n,
				  struct pkg_identity *id, bool need_version)
{
	memset(id, 0, sizeof(*id));
	id->name = attr(c, n, "name");
	id->version = attr(c, n, "version");
	id->arch = attr(c, n, "processorArchitecture");
	id->language = attr(c, n, "language");
	id->public_key_token = attr(c, n, "publicKeyToken");
	id->build_type = attr(c, n, "buildType");
	id->version_scope = attr(c, n, "versionScope");
	id->type = attr(c, n, "type");
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
static enum pkg_err child_identity(struct ctx *c, const struct pkg_int_xnode *n,
				   struct pkg_identity *id)
{
	const struct pkg_int_xnode *ai = pkg_int_xchild(n, "assemblyIdentity");
	if (ai == NULL)
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "<%s> has no assemblyIdentity", n->name);
	return read_identity(c, ai, id, true);
}

/* Splits "a,b,c" (spaces trimmed, empty items dropped) into the arena. */
static enum pkg_err split_list(struct ctx *c, const char *s,
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

/* ---- Registry values ---- */

static const struct {
	const char *name;
	uint32_t type;
} reg_types[] = {
	{ "REG_NONE", PKG_REG_NONE },
	{ "REG_SZ", PKG_REG_SZ },
	{ "REG_EXPAND_SZ", PKG_REG_EXPAND_SZ },
	{ "REG_BINARY", PKG_REG_BINARY },
	{ "REG_DWORD", PKG_REG_DWORD },
	{ "REG_DWORD_BIG_ENDIAN", PKG_REG_DWORD_BIG_ENDIAN },
	{ "REG_LINK", PKG_REG_LINK },
	{ "REG_MULTI_SZ", PKG_REG_MULTI_SZ },
	{ "REG_RESOURCE_LIST", 8 },
	{ "REG_FULL_RESOURCE_DESCRIPTOR", 9 },
	{ "REG_RESOURCE_REQUIREMENTS_LIST", 10 },
	{ "REG_QWORD", PKG_REG_QWORD },
};

const char *pkg_reg_type_name(uint32_t type)
{
	for (size_t i = 0; i < HVO_ARRAY_SIZE(reg_types); i++)
		if (reg_types[i].type == type)
			return reg_types[i].name;
	return NULL;
}

/* REG_BINARY and friends: hex digit pairs, separators ignored. */
static enum pkg_err parse_hex_bytes(struct ctx *c, const char *s, unsigned line,
				    struct pkg_reg_data *d)
{
	size_t len = strlen(s);
	uint8_t *bytes = pkg_int_alloc(c->arena, len / 2 + 1);
	if (bytes == NULL)
		return NOMEM(c);
	size_t n = 0;
	int hi = -1;
	for (const char *p = s; *p; p++) {
		if (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n' ||
		    *p == '\r')
			continue;
		int v = hvo_int_hex_digit((unsigned char)*p);
		if (v < 0)
			return pkg_int_fail(
				c->err, PKG_ERR_MANIFEST, c->file, line,
				"binary value: '%c' is not hex", *p);
		if (hi < 0) {
			hi = v;
		} else {
			bytes[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, line,
				    "binary value has an odd number of digits");
	d->bin = bytes;
	d->nbin = n;
	return PKG_OK;
}

/* REG_MULTI_SZ: "a","b" (quoted, comma-separated; "" inside a quoted
 * item is a quote), or one unquoted string. */
static enum pkg_err parse_multi(struct ctx *c, const char *s, unsigned line,
				struct pkg_reg_data *d)
{
	struct pkg_int_vec v = { 0 };
	const char *p = s;
	while (*p == ' ')
		p++;
	if (*p != '"') {
		if (*p) {
			const char **slot =
				pkg_int_vec_push(c->arena, &v, sizeof(*slot));
			if (slot == NULL ||
			    (*slot = pkg_int_strdup(c->arena, s)) == NULL)
				return NOMEM(c);
		}
	} else {
		while (*p) {
			while (*p == ' ')
				p++;
			if (*p != '"')
				return pkg_int_fail(
					c->err, PKG_ERR_MANIFEST, c->file, line,
					"REG_MULTI_SZ value: expected "
					"a quoted string");
			p++;
			struct pkg_int_buf b = { 0 };
			for (;;) {
				if (*p == '\0') {
					pkg_int_buf_free(&b);
					return pkg_int_fail(
						c->err, PKG_ERR_MANIFEST,
						c->file, line,
						"REG_MULTI_SZ value: "
						"unterminated string");
				}
				if (*p == '"' && p[1] == '"') {
					pkg_int_buf_putc(&b, '"');
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					pkg_int_buf_putc(&b, *p++);
				}
			}
			const char **slot =
				pkg_int_vec_push(c->arena, &v, sizeof(*slot));
			if (slot == NULL || b.oom ||
			    (*slot = pkg_int_strndup(c->arena, b.s ? b.s : "",
						     b.len)) == NULL) {
				pkg_int_buf_free(&b);
				return NOMEM(c);
			}
			pkg_int_buf_free(&b);
			while (*p == ' ')
				p++;
			if (*p == ',')
				p++;
			else if (*p != '\0')
				return pkg_int_fail(
					c->err, PKG_ERR_MANIFEST, c->file, line,
					"REG_MULTI_SZ value: expected "
					"',' between strings");
		}
	}
	d->strv = v.items;
	d->nstrv = v.n;
	return PKG_OK;
}

static enum pkg_err read_reg_value(struct ctx *c, const struct pkg_int_xnode *n,
				   struct pkg_reg_value *rv)
{
	const char *name = attr(c, n, "name");
	const char *type = attr(c, n, "valueType");
	const char *value = attr(c, n, "value");
	rv->name = name ? name : "";
	rv->value_text = value;
	rv->operation_hint = attr(c, n, "operationHint");
	const char *owner = attr(c, n, "owner");
	rv->owner = owner && pkg_int_strcaseeq(owner, "true");
	rv->line = n->line;
	if (type == NULL)
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "registryValue %s has no valueType",
				    rv->name);
	bool known = false;
	for (size_t i = 0; i < HVO_ARRAY_SIZE(reg_types); i++)
		if (pkg_int_strcaseeq(type, reg_types[i].name)) {
			rv->data.type = reg_types[i].type;
			known = true;
		}
	if (!known)
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "registryValue %s: unknown valueType '%s'",
				    rv->name, type);
	if (value == NULL)
		value = "";
	switch (rv->data.type) {
	case PKG_REG_SZ:
	case PKG_REG_EXPAND_SZ:
	case PKG_REG_LINK:
		rv->data.str = value;
		return PKG_OK;
	case PKG_REG_MULTI_SZ:
		return parse_multi(c, value, n->line, &rv->data);
	case PKG_REG_DWORD:
	case PKG_REG_DWORD_BIG_ENDIAN: {
		uint32_t v;
		if (!pkg_int_parse_u32(value, &v))
			return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file,
					    n->line,
					    "registryValue %s: '%s' is not a "
					    "DWORD",
					    rv->name, value);
		rv->data.num = v;
		return PKG_OK;
	}
	case PKG_REG_QWORD:
		if (!pkg_int_parse_u64(value, &rv->data.num))
			return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file,
					    n->line,
					    "registryValue %s: '%s' is not a "
					    "QWORD",
					    rv->name, value);
		return PKG_OK;
	default:
		return parse_hex_bytes(c, value, n->line, &rv->data);
	}
}

static enum pkg_err read_reg_keys(struct ctx *c, const struct pkg_int_xnode *n,
				  struct pkg_int_vec *keys)
{
	for (const struct pkg_int_xnode *k = n->first; k; k = k->next) {
		if (!is(k, "registryKey")) {
			enum pkg_err rc = unmodelled(c, k);
			if (rc)
				return rc;
			continue;
		}
		struct pkg_reg_key *rk =
			pkg_int_vec_push(c->arena, keys, sizeof(*rk));
		if (rk == NULL)
			return NOMEM(c);
		rk->key_name = attr(c, k, "keyName");
		if (rk->key_name == NULL || *rk->key_name == '\0')
			return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file,
					    k->line,
					    "registryKey has no keyName");
		const char *owner = attr(c, k, "owner");
		rk->owner = owner && pkg_int_strcaseeq(owner, "true");
		rk->line = k->line;
		struct pkg_int_vec vals = { 0 };
		for (const struct pkg_int_xnode *v = k->first; v; v = v->next) {
			enum pkg_err rc = PKG_OK;
			if (is(v, "registryValue")) {
				struct pkg_reg_value *rv = pkg_int_vec_push(
					c->arena, &vals, sizeof(*rv));
				if (rv == NULL)
					return NOMEM(c);
				rc = read_reg_value(c, v, rv);
			} else if (is(v, "securityDescriptor")) {
				rk->security_descriptor = attr(c, v, "name");
			} else {
				rc = unmodelled(c, v);
			}
			if (rc)
				return rc;
		}
		rk->values = vals.items;
		rk->nvalues = vals.n;
	}
	return PKG_OK;
}

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
	f->name = attr(c, n, "name");
	if (f->name == NULL || *f->name == '\0')
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "file has no name");
	f->source_name = attr(c, n, "sourceName");
	if (f->source_name == NULL || *f->source_name == '\0')
		f->source_name = f->name;
	f->source_path = attr(c, n, "sourcePath");
	f->destination_path = attr(c, n, "destinationPath");
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
		if (is(k, "hash"))
			rc = read_hash(c, k, f);
		else if (is(k, "securityDescriptor"))
			f->security_descriptor = attr(c, k, "name");
		else if (is(k, "infFile"))
			f->inf = true;
		else
			rc = unmodelled(c, k);
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
	s->name = attr(c, n, "name");
	if (s->name == NULL || *s->name == '\0')
		return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file, n->line,
				    "serviceData has no name");
	s->display_name = attr(c, n, "displayName");
	s->description = attr(c, n, "description");
	s->image_path = attr(c, n, "imagePath");
	s->type = attr(c, n, "type");
	s->start = attr(c, n, "start");
	s->error_control = attr(c, n, "errorControl");
	s->object_name = attr(c, n, "objectName");
	s->group = attr(c, n, "group");
	s->sid_type = attr(c, n, "sidType");
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
	if ((rc = split_list(c, attr(c, n, "requiredPrivileges"),
			     &s->required_privileges,
			     &s->nrequired_privileges)) ||
	    (rc = split_list(c, attr(c, n, "dependOnService"),
			     &s->depend_on_service, &s->ndepend_on_service)) ||
	    (rc = split_list(c, attr(c, n, "dependOnGroup"),
			     &s->depend_on_group, &s->ndepend_on_group)))
		return rc;

	struct pkg_int_vec trig = { 0 }, acts = { 0 };
	for (const struct pkg_int_xnode *k = n->first; k; k = k->next) {
		rc = PKG_OK;
		if (is(k, "serviceTrigger")) {
			struct pkg_service_trigger *t =
				pkg_int_vec_push(c->arena, &trig, sizeof(*t));
			if (t == NULL)
				return NOMEM(c);
			t->action = attr(c, k, "action");
			t->type = attr(c, k, "type");
			t->subtype = attr(c, k, "subtype");
			const struct pkg_int_xnode *td =
				pkg_int_xchild(k, "triggerData");
			if (td) {
				t->data_type = attr(c, td, "type");
				t->data_value = attr(c, td, "value");
			}
		} else if (is(k, "failureActions")) {
			const char *rp = attr(c, k, "resetPeriod");
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
				if (!is(a, "action"))
					continue;
				struct pkg_failure_action *fa =
					pkg_int_vec_push(c->arena, &acts,
							 sizeof(*fa));
				if (fa == NULL)
					return NOMEM(c);
				fa->type = attr(c, a, "type");
				const char *d = attr(c, a, "delay");
				if (d && !pkg_int_parse_u32(d, &fa->delay_ms))
					return pkg_int_fail(
						c->err, PKG_ERR_MANIFEST,
						c->file, a->line,
						"service %s: bad action delay",
						s->name);
			}
		} else if (is(k, "securityDescriptor")) {
			s->security_descriptor = attr(c, k, "name");
		} else {
			rc = unmodelled(c, k);
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
		if (!is(cm, "categoryMembership")) {
			if ((rc = unmodelled(c, cm)))
				return rc;
			continue;
		}
		const struct pkg_int_xnode *id = pkg_int_xchild(cm, "id");
		const char *type_name =
			id ? pkg_int_xattr(id, "typeName") : NULL;
		bool services = pkg_int_strcaseeq(type_name, "Service");
		bool svchost = pkg_int_strcaseeq(type_name, "SvcHost");
		if (!services && !svchost) {
			if ((rc = unmodelled(c, cm)))
				return rc;
			continue;
		}
		for (const struct pkg_int_xnode *ci = cm->first; ci;
		     ci = ci->next) {
			if (is(ci, "id"))
				continue;
			if (!is(ci, "categoryInstance")) {
				if ((rc = unmodelled(c, ci)))
					return rc;
				continue;
			}
			const char *sub = attr(c, ci, "subcategory");
			for (const struct pkg_int_xnode *k = ci->first; k;
			     k = k->next) {
				rc = PKG_OK;
				if (services && is(k, "serviceData")) {
					struct pkg_service *s =
						pkg_int_vec_push(c->arena,
								 &v->services,
								 sizeof(*s));
					if (s == NULL)
						return NOMEM(c);
					rc = read_service(c, k, s);
				} else if (svchost && is(k, "serviceGroup")) {
					struct pkg_svchost_member *m =
						pkg_int_vec_push(c->arena,
								 &v->svchost,
								 sizeof(*m));
					if (m == NULL)
						return NOMEM(c);
					m->group = sub;
					m->service = attr(c, k, "serviceName");
					m->position = attr(c, k, "position");
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
					rc = unmodelled(c, k);
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
		return unmodelled(c, n);
	for (const struct pkg_int_xnode *d = defs->first; d; d = d->next) {
		if (!is(d, "securityDescriptorDefinition"))
			continue;
		struct pkg_sd_definition *sd =
			pkg_int_vec_push(c->arena, &v->sds, sizeof(*sd));
		if (sd == NULL)
			return NOMEM(c);
		sd->name = attr(c, d, "name");
		sd->sddl = attr(c, d, "sddl");
		sd->operation_hint = attr(c, d, "operationHint");
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
	const char *disc = attr(c, n, "discoverable");
	const char *resource_type = attr(c, n, "resourceType");
	for (const struct pkg_int_xnode *da = n->first; da; da = da->next) {
		enum pkg_err rc;
		if (!is(da, "dependentAssembly")) {
			if ((rc = unmodelled(c, da)))
				return rc;
			continue;
		}
		struct pkg_dependency *d =
			pkg_int_vec_push(c->arena, &v->deps, sizeof(*d));
		if (d == NULL)
			return NOMEM(c);
		d->dependency_type = attr(c, da, "dependencyType");
		d->resource_type = resource_type;
		d->discoverable =
			disc == NULL || !pkg_int_strcaseeq(disc, "no");
		d->line = da->line;
		if ((rc = child_identity(c, da, &d->identity)))
			return rc;
	}
	return PKG_OK;
}

static enum pkg_err check_root(struct ctx *c, const struct pkg_int_xnode *root)
{
	if (!is(root, "assembly"))
		return pkg_int_fail(
			c->err, PKG_ERR_MANIFEST, c->file, root->line,
			"root element is <%s>, not <assembly>", root->name);
	return PKG_OK;
}

enum pkg_err pkg_manifest_parse(struct pkg_arena *arena, const void *buf,
				size_t len, const char *file,
				struct pkg_manifest **man_ret,
				struct pkg_error *err)
{
	struct ctx c = { .arena = arena, .file = file, .err = err };
	struct pkg_int_xnode *root;
	enum pkg_err rc = pkg_int_xml_read(arena, buf, len, file, &root, err);
	if (rc || (rc = check_root(&c, root)))
		return rc;
	struct pkg_manifest *m = pkg_int_alloc(arena, sizeof(*m));
	if (m == NULL || (m->file = pkg_int_strdup(arena, file)) == NULL)
		return NOMEM(&c);
	struct component_vecs v = { 0 };
	bool have_identity = false;
	for (const struct pkg_int_xnode *n = root->first; n; n = n->next) {
		rc = PKG_OK;
		if (is(n, "assemblyIdentity")) {
			if (have_identity)
				return pkg_int_fail(err, PKG_ERR_MANIFEST, file,
						    n->line,
						    "more than one "
						    "assemblyIdentity");
			have_identity = true;
			rc = read_identity(&c, n, &m->identity, true);
		} else if (is(n, "file")) {
			struct pkg_file *f =
				pkg_int_vec_push(arena, &v.files, sizeof(*f));
			rc = f ? read_file(&c, n, f) : NOMEM(&c);
		} else if (is(n, "registryKeys")) {
			rc = read_reg_keys(&c, n, &v.keys);
		} else if (is(n, "memberships")) {
			rc = read_memberships(&c, n, &v);
		} else if (is(n, "trustInfo")) {
			rc = read_trust(&c, n, &v);
		} else if (is(n, "dependency")) {
			rc = read_dependency(&c, n, &v);
		} else if (is(n, "deployment")) {
			/* The marker of a deployment component. */
		} else {
			rc = unmodelled(&c, n);
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

/* ---- update.mum ---- */

static enum pkg_err read_update(struct ctx *c, const struct pkg_int_xnode *n,
				struct pkg_int_vec *updates)
{
	bool any = false;
	for (const struct pkg_int_xnode *k = n->first; k; k = k->next) {
		enum pkg_update_kind kind;
		if (is(k, "driver"))
			kind = PKG_UPDATE_DRIVER;
		else if (is(k, "component"))
			kind = PKG_UPDATE_COMPONENT;
		else if (is(k, "package"))
			kind = PKG_UPDATE_PACKAGE;
		else if (is(k, "applicable"))
			continue; /* detection rules; the driver repeats the
				     identity */
		else {
			enum pkg_err rc = unmodelled(c, k);
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
		u->name = attr(c, n, "name");
		u->display_name = attr(c, n, "displayName");
		u->description = attr(c, n, "description");
		u->restart = attr(c, n, "restart");
		u->line = k->line;
		enum pkg_err rc = child_identity(c, k, &u->identity);
		if (rc)
			return rc;
		if (kind == PKG_UPDATE_DRIVER) {
			u->inf = attr(c, k, "inf");
			u->ranking = attr(c, k, "ranking");
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
		return unmodelled(c, n);
	return PKG_OK;
}

enum pkg_err pkg_mum_parse(struct pkg_arena *arena, const void *buf, size_t len,
			   const char *file, struct pkg_package **pkg_ret,
			   struct pkg_error *err)
{
	struct ctx c = { .arena = arena, .file = file, .err = err };
	struct pkg_int_xnode *root;
	enum pkg_err rc = pkg_int_xml_read(arena, buf, len, file, &root, err);
	if (rc || (rc = check_root(&c, root)))
		return rc;
	struct pkg_package *p = pkg_int_alloc(arena, sizeof(*p));
	if (p == NULL)
		return NOMEM(&c);
	p->description = attr(&c, root, "description");
	p->support_information = attr(&c, root, "supportInformation");
	p->manifest_version = attr(&c, root, "manifestVersion");
	const struct pkg_int_xnode *ai = NULL, *pk = NULL;
	for (const struct pkg_int_xnode *n = root->first; n; n = n->next) {
		if (is(n, "assemblyIdentity") && ai == NULL)
			ai = n;
		else if (is(n, "package") && pk == NULL)
			pk = n;
		else if ((rc = unmodelled(&c, n)))
			return rc;
	}
	if (ai == NULL)
		return pkg_int_fail(err, PKG_ERR_MANIFEST, file, root->line,
				    "no assemblyIdentity");
	if ((rc = read_identity(&c, ai, &p->identity, true)))
		return rc;
	if (pk == NULL)
		return pkg_int_fail(err, PKG_ERR_NOT_PACKAGE, file, root->line,
				    "no <package> element: a component "
				    "manifest, not a package");
	p->identifier = attr(&c, pk, "identifier");
	p->release_type = attr(&c, pk, "releaseType");
	p->restart = attr(&c, pk, "restart");

	struct pkg_int_vec parents = { 0 }, updates = { 0 }, ext = { 0 };
	for (const struct pkg_int_xnode *n = pk->first; n; n = n->next) {
		rc = PKG_OK;
		if (is(n, "parent")) {
			struct pkg_parent *par =
				pkg_int_vec_push(arena, &parents, sizeof(*par));
			if (par == NULL)
				return NOMEM(&c);
			par->integrate = attr(&c, n, "integrate");
			par->line = n->line;
			struct pkg_int_vec ids = { 0 };
			for (const struct pkg_int_xnode *k = n->first; k;
			     k = k->next) {
				if (!is(k, "assemblyIdentity")) {
					if ((rc = unmodelled(&c, k)))
						return rc;
					continue;
				}
				struct pkg_identity *id = pkg_int_vec_push(
					arena, &ids, sizeof(*id));
				if (id == NULL)
					return NOMEM(&c);
				if ((rc = read_identity(&c, k, id, true)))
					return rc;
			}
			if (ids.n == 0)
				return pkg_int_fail(
					err, PKG_ERR_MANIFEST, file, n->line,
					"<parent> names no package");
			par->ids = ids.items;
			par->nids = ids.n;
		} else if (is(n, "update")) {
			rc = read_update(&c, n, &updates);
		} else if (is(n, "packageExtended")) {
			for (size_t i = 0; i < n->nattrs; i++) {
				const char **kv = pkg_int_vec_push(
					arena, &ext, 2 * sizeof(*kv));
				if (kv == NULL)
					return NOMEM(&c);
				kv[0] = n->attrs[i].name;
				kv[1] = n->attrs[i].value;
			}
		} else {
			rc = unmodelled(&c, n);
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

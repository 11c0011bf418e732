/*
 * manifest_registry.c - <registryKeys> of a component manifest: keys,
 * values and their data as the manifest spells it (REG_BINARY hex,
 * REG_MULTI_SZ lists, ...).
 */
#include <config.h>

#include <string.h>

#include "package/manifest_int.h"
#include "util/bytes.h"
#include "util/hex.h"

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
	const char *name = pkg_int_mf_attr(c, n, "name");
	const char *type = pkg_int_mf_attr(c, n, "valueType");
	const char *value = pkg_int_mf_attr(c, n, "value");
	rv->name = name ? name : "";
	rv->value_text = value;
	rv->operation_hint = pkg_int_mf_attr(c, n, "operationHint");
	const char *owner = pkg_int_mf_attr(c, n, "owner");
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

enum pkg_err pkg_int_mf_read_reg_keys(struct ctx *c,
				      const struct pkg_int_xnode *n,
				      struct pkg_int_vec *keys)
{
	for (const struct pkg_int_xnode *k = n->first; k; k = k->next) {
		if (!pkg_int_mf_is(k, "registryKey")) {
			enum pkg_err rc = pkg_int_mf_unmodelled(c, k);
			if (rc)
				return rc;
			continue;
		}
		struct pkg_reg_key *rk =
			pkg_int_vec_push(c->arena, keys, sizeof(*rk));
		if (rk == NULL)
			return NOMEM(c);
		rk->key_name = pkg_int_mf_attr(c, k, "keyName");
		if (rk->key_name == NULL || *rk->key_name == '\0')
			return pkg_int_fail(c->err, PKG_ERR_MANIFEST, c->file,
					    k->line,
					    "registryKey has no keyName");
		const char *owner = pkg_int_mf_attr(c, k, "owner");
		rk->owner = owner && pkg_int_strcaseeq(owner, "true");
		rk->line = k->line;
		struct pkg_int_vec vals = { 0 };
		for (const struct pkg_int_xnode *v = k->first; v; v = v->next) {
			enum pkg_err rc = PKG_OK;
			if (pkg_int_mf_is(v, "registryValue")) {
				struct pkg_reg_value *rv = pkg_int_vec_push(
					c->arena, &vals, sizeof(*rv));
				if (rv == NULL)
					return NOMEM(c);
				rc = read_reg_value(c, v, rv);
			} else if (pkg_int_mf_is(v, "securityDescriptor")) {
				rk->security_descriptor =
					pkg_int_mf_attr(c, v, "name");
			} else {
				rc = pkg_int_mf_unmodelled(c, v);
			}
			if (rc)
				return rc;
		}
		rk->values = vals.items;
		rk->nvalues = vals.n;
	}
	return PKG_OK;
}

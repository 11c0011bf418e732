/*
 * edit.c - reading and editing keys and values through libhivex.
 *
 * libhivex does the cell work; this file adds what Windows' semantics
 * need on top of it:
 *
 *   - name matching: libhivex folds ASCII only; a name with non-ASCII
 *     letters is matched with Windows' upcase table (upcase.c), and an
 *     existing value set under another spelling keeps its spelling;
 *   - missing parents are created on the way to a key;
 *   - value edits staged per key and written in one call (pending.c),
 *     reads of a staged key served from the staged set;
 *   - a journal of every edit, so that the written hive can be read back
 *     and compared before it replaces the original (commit.c), and the
 *     list of created and touched keys for the fix-ups (fixup.c).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/utf.h"

/* ---- Paths ---- */

static size_t utf16_units(const char *s)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp = hvo_int_utf8_decode(&p);
		n += cp >= 0x10000 ? 2 : 1;
	}
	return n;
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

int reg_int_key_split(struct reg_hive *h, const char *key, char ***comps_ret,
		      size_t *n_ret)
{
	*comps_ret = NULL;
	*n_ret = 0;
	if (key == NULL)
		key = "";
	if (!hvo_int_utf8_valid(key, strlen(key)))
		return reg_int_fail(h, REG_ERR_INVALID,
				    "key path is not valid UTF-8");
	while (*key == '\\')
		key++;
	size_t len = strlen(key);
	while (len > 0 && key[len - 1] == '\\')
		len--;
	if (len == 0)
		return 0;
	size_t cap = 1;
	for (size_t i = 0; i < len; i++)
		cap += key[i] == '\\';
	char **comps = calloc(cap, sizeof(*comps));
	if (comps == NULL)
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	size_t n = 0;
	const char *p = key, *end = key + len;
	while (p <= end) {
		const char *q = memchr(p, '\\', (size_t)(end - p));
		if (q == NULL)
			q = end;
		if (q == p) {
			reg_names_free(comps, n);
			return reg_int_fail(h, REG_ERR_INVALID,
					    "key path '%.*s' has an empty "
					    "component",
					    (int)len, key);
		}
		comps[n] = strndup(p, (size_t)(q - p));
		if (comps[n] == NULL) {
			reg_names_free(comps, n);
			return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
		}
		if (utf16_units(comps[n]) > REG_MAX_KEY_NAME) {
			reg_int_fail(h, REG_ERR_INVALID,
				     "key name '%.40s...' is longer than %u "
				     "characters",
				     comps[n], REG_MAX_KEY_NAME);
			reg_names_free(comps, n + 1);
			return REG_ERR_INVALID;
		}
		n++;
		p = q + 1;
	}
	*comps_ret = comps;
	*n_ret = n;
	return 0;
}

/* ---- Lookups ---- */

static int hivex_error(struct reg_hive *h, const char *what)
{
	return reg_int_fail(h, REG_ERR_HIVEX, "libhivex: %s: %s", what,
			    strerror(errno ? errno : EIO));
}

/*
 * Scans @items (a 0-terminated array from libhivex, freed here) for the
 * one whose name, read with @name_of, equals @name under Windows' rules;
 * *@found_ret is 0 when none does.
 */
static int scan_names(struct reg_hive *h, size_t *items,
		      char *(*name_of)(hive_h *, size_t), const char *name,
		      const char *what, size_t *found_ret)
{
	*found_ret = 0;
	if (items == NULL)
		return hivex_error(h, what);
	int rc = 0;
	for (size_t i = 0; items[i] != 0; i++) {
		char *n = name_of(h->hx, items[i]);
		if (n == NULL) {
			rc = hivex_error(h, what);
			break;
		}
		bool eq = reg_int_name_eq(n, name);
		free(n);
		if (eq) {
			*found_ret = items[i];
			break;
		}
	}
	free(items);
	return rc;
}

/*
 * libhivex matches names folding ASCII only.  Its lookup goes first; an
 * ASCII name can only equal ASCII names under Windows' table too, so only
 * a name with other letters needs the scan with Windows' comparison.
 */
static int find_child(struct reg_hive *h, hive_node_h node, const char *name,
		      hive_node_h *child_ret)
{
	errno = 0;
	*child_ret = hivex_node_get_child(h->hx, node, name);
	if (*child_ret != 0 || is_ascii(name))
		return errno && *child_ret == 0
			       ? hivex_error(h, "reading subkeys")
			       : 0;
	return scan_names(h, hivex_node_children(h->hx, node), hivex_node_name,
			  name, "reading subkeys", child_ret);
}

/* The value @name of @node (0 when absent), matched the same way. */
static int find_value(struct reg_hive *h, hive_node_h node, const char *name,
		      hive_value_h *val_ret)
{
	errno = 0;
	*val_ret = hivex_node_get_value(h->hx, node, name);
	if (*val_ret != 0 || is_ascii(name))
		return errno && *val_ret == 0 ? hivex_error(h, "reading values")
					      : 0;
	return scan_names(h, hivex_node_values(h->hx, node), hivex_value_key,
			  name, "reading values", val_ret);
}

static int add_child(struct reg_hive *h, hive_node_h parent, const char *name,
		     hive_node_h *child_ret)
{
	errno = 0;
	hive_node_h c = hivex_node_add_child(h->hx, parent, name);
	if (c == 0)
		return hivex_error(h, "creating a key");
	*child_ret = c;
	return reg_int_note_created(h, parent, c);
}

int reg_int_lookup(struct reg_hive *h, const char *key, bool create,
		   hive_node_h *node_ret)
{
	char **comps;
	size_t n;
	int rc = reg_int_key_split(h, key, &comps, &n);
	if (rc)
		return rc;
	hive_node_h node = hivex_root(h->hx);
	if (node == 0) {
		reg_names_free(comps, n);
		return hivex_error(h, "reading the root key");
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		hive_node_h child;
		rc = find_child(h, node, comps[i], &child);
		if (rc)
			break;
		if (child == 0) {
			if (!create) {
				rc = reg_int_fail(h, REG_ERR_NOT_FOUND,
						  "key '%s' not found (no "
						  "subkey '%s')",
						  key, comps[i]);
				break;
			}
			rc = add_child(h, node, comps[i], &child);
		}
		node = child;
	}
	reg_names_free(comps, n);
	if (rc == 0)
		*node_ret = node;
	return rc;
}

/* ---- Reading ---- */

static int read_value(struct reg_hive *h, hive_value_h vh,
		      struct reg_value *out)
{
	memset(out, 0, sizeof(*out));
	out->name = hivex_value_key(h->hx, vh);
	if (out->name == NULL)
		return hivex_error(h, "reading a value name");
	hive_type t;
	size_t len;
	errno = 0;
	char *data = hivex_value_value(h->hx, vh, &t, &len);
	if (data == NULL) {
		free(out->name);
		out->name = NULL;
		return hivex_error(h, "reading value data");
	}
	/* A NUL after the data, so that string helpers never overrun. */
	uint8_t *copy = malloc(len + 2);
	if (copy == NULL) {
		free(data);
		free(out->name);
		out->name = NULL;
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	}
	memcpy(copy, data, len);
	copy[len] = copy[len + 1] = 0;
	free(data);
	out->type = (uint32_t)t;
	out->len = len;
	out->data = copy;
	return 0;
}

/* A staged value (pending.c) as a reg_value. */
static int copy_staged(struct reg_hive *h, const hive_set_value *sv,
		       struct reg_value *out)
{
	memset(out, 0, sizeof(*out));
	out->name = strdup(sv->key);
	out->data = malloc(sv->len + 2);
	if (out->name == NULL || out->data == NULL) {
		free(out->name);
		free(out->data);
		out->name = NULL;
		out->data = NULL;
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	}
	memcpy(out->data, sv->value, sv->len);
	out->data[sv->len] = out->data[sv->len + 1] = 0;
	out->type = (uint32_t)sv->t;
	out->len = sv->len;
	return 0;
}

int reg_key_exists(struct reg_hive *h, const char *key, bool *exists_ret)
{
	hive_node_h node;
	int rc = reg_int_lookup(h, key, false, &node);
	if (rc == REG_ERR_NOT_FOUND) {
		reg_int_err_clear(&h->err);
		*exists_ret = false;
		return 0;
	}
	*exists_ret = rc == 0;
	return rc;
}

int reg_get_value(struct reg_hive *h, const char *key, const char *name,
		  struct reg_value **value_ret)
{
	*value_ret = NULL;
	if (name == NULL)
		name = "";
	hive_node_h node;
	int rc = reg_int_lookup(h, key, false, &node);
	if (rc)
		return rc;
	struct pending_key *pk = reg_int_pending_find(h, node);
	const hive_set_value *sv = NULL;
	hive_value_h vh = 0;
	if (pk != NULL)
		sv = reg_int_pending_value(pk, name);
	else
		rc = find_value(h, node, name, &vh);
	if (rc)
		return rc;
	if (vh == 0 && sv == NULL)
		return reg_int_fail(h, REG_ERR_NOT_FOUND,
				    "value '%s' of key '%s' not found",
				    *name ? name : "(default)", key ? key : "");
	struct reg_value *v = malloc(sizeof(*v));
	if (v == NULL)
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	rc = sv ? copy_staged(h, sv, v) : read_value(h, vh, v);
	if (rc) {
		free(v);
		return rc;
	}
	*value_ret = v;
	return 0;
}

static int list_staged(struct reg_hive *h, const struct pending_key *pk,
		       struct reg_value **values_ret, size_t *n_ret)
{
	size_t n;
	const hive_set_value *sv = reg_int_pending_values(pk, &n);
	struct reg_value *out = calloc(n ? n : 1, sizeof(*out));
	if (out == NULL)
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int rc = copy_staged(h, &sv[i], &out[i]);
		if (rc) {
			reg_values_free(out, i);
			return rc;
		}
	}
	*values_ret = out;
	*n_ret = n;
	return 0;
}

int reg_list_values(struct reg_hive *h, const char *key,
		    struct reg_value **values_ret, size_t *n_ret)
{
	*values_ret = NULL;
	*n_ret = 0;
	hive_node_h node;
	int rc = reg_int_lookup(h, key, false, &node);
	if (rc)
		return rc;
	struct pending_key *pk = reg_int_pending_find(h, node);
	if (pk != NULL)
		return list_staged(h, pk, values_ret, n_ret);
	hive_value_h *vals = hivex_node_values(h->hx, node);
	if (vals == NULL)
		return hivex_error(h, "reading values");
	size_t n = 0;
	while (vals[n] != 0)
		n++;
	struct reg_value *out = calloc(n ? n : 1, sizeof(*out));
	if (out == NULL) {
		free(vals);
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		rc = read_value(h, vals[i], &out[i]);
		if (rc) {
			reg_values_free(out, i);
			free(vals);
			return rc;
		}
	}
	free(vals);
	*values_ret = out;
	*n_ret = n;
	return 0;
}

int reg_list_subkeys(struct reg_hive *h, const char *key, char ***names_ret,
		     size_t *n_ret)
{
	*names_ret = NULL;
	*n_ret = 0;
	hive_node_h node;
	int rc = reg_int_lookup(h, key, false, &node);
	if (rc)
		return rc;
	hive_node_h *kids = hivex_node_children(h->hx, node);
	if (kids == NULL)
		return hivex_error(h, "reading subkeys");
	size_t n = 0;
	while (kids[n] != 0)
		n++;
	char **names = calloc(n ? n : 1, sizeof(*names));
	if (names == NULL) {
		free(kids);
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		names[i] = hivex_node_name(h->hx, kids[i]);
		if (names[i] == NULL) {
			reg_names_free(names, i);
			free(kids);
			return hivex_error(h, "reading a key name");
		}
	}
	free(kids);
	*names_ret = names;
	*n_ret = n;
	return 0;
}

/* ---- The journal ---- */

/* ---- Editing ---- */

static int need_write(struct reg_hive *h)
{
	if (!h->writable)
		return reg_int_fail(h, REG_ERR_READ_ONLY,
				    "not opened for writing");
	return 0;
}

static int check_value_name(struct reg_hive *h, const char *name)
{
	if (!hvo_int_utf8_valid(name, strlen(name)))
		return reg_int_fail(h, REG_ERR_INVALID,
				    "value name is not valid UTF-8");
	if (utf16_units(name) > REG_MAX_VALUE_NAME)
		return reg_int_fail(h, REG_ERR_INVALID,
				    "value name longer than %u characters",
				    REG_MAX_VALUE_NAME);
	return 0;
}

int reg_create_key(struct reg_hive *h, const char *key)
{
	int rc = need_write(h);
	if (rc)
		return rc;
	hive_node_h node;
	rc = reg_int_lookup(h, key, true, &node);
	if (rc)
		return rc;
	return reg_int_journal_add(h, J_CREATE_KEY, key, NULL, 0, NULL, 0);
}

int reg_delete_key(struct reg_hive *h, const char *key)
{
	int rc = need_write(h);
	if (rc)
		return rc;
	hive_node_h node;
	rc = reg_int_lookup(h, key, false, &node);
	if (rc)
		return rc;
	if (node == hivex_root(h->hx))
		return reg_int_fail(h, REG_ERR_INVALID,
				    "the root key of a hive cannot be deleted");
	/* Staged values of keys in the subtree go with it; libhivex must
	 * have them first (its handles stay valid until the delete). */
	rc = reg_int_pending_flush(h);
	if (rc)
		return rc;
	errno = 0;
	hive_node_h parent = hivex_node_parent(h->hx, node);
	if (parent == 0)
		return hivex_error(h, "finding a parent key");
	if (hivex_node_delete_child(h->hx, node) != 0)
		return hivex_error(h, "deleting a key");
	rc = reg_int_note_touched(h, parent);
	if (rc)
		return rc;
	return reg_int_journal_add(h, J_DELETE_KEY, key, NULL, 0, NULL, 0);
}

int reg_set_value(struct reg_hive *h, const char *key, const char *name,
		  uint32_t type, const void *data, size_t len)
{
	int rc = need_write(h);
	if (rc)
		return rc;
	if (name == NULL)
		name = "";
	rc = check_value_name(h, name);
	if (rc)
		return rc;
	if (len > REG_MAX_VALUE_SIZE)
		return reg_int_fail(
			h, REG_ERR_TOO_BIG,
			"value '%s': %zu bytes of data, more than the "
			"%u we write",
			name, len, REG_MAX_VALUE_SIZE);
	if (data == NULL && len > 0)
		return reg_int_fail(h, REG_ERR_INVALID, "value data missing");
	hive_node_h node;
	rc = reg_int_lookup(h, key, true, &node);
	if (rc)
		return rc;
	rc = reg_int_pending_set(h, node, name, type, data, len);
	if (rc)
		return rc;
	rc = reg_int_note_touched(h, node);
	if (rc)
		return rc;
	return reg_int_journal_add(h, J_SET_VALUE, key, name, type, data, len);
}

int reg_delete_value(struct reg_hive *h, const char *key, const char *name)
{
	int rc = need_write(h);
	if (rc)
		return rc;
	if (name == NULL)
		name = "";
	hive_node_h node;
	rc = reg_int_lookup(h, key, false, &node);
	if (rc)
		return rc;
	bool found;
	rc = reg_int_pending_delete(h, node, name, &found);
	if (rc)
		return rc;
	if (!found)
		return reg_int_fail(h, REG_ERR_NOT_FOUND,
				    "value '%s' of key '%s' not found",
				    *name ? name : "(default)", key ? key : "");
	rc = reg_int_note_touched(h, node);
	if (rc)
		return rc;
	return reg_int_journal_add(h, J_DELETE_VALUE, key, name, 0, NULL, 0);
}

int reg_set_string(struct reg_hive *h, const char *key, const char *name,
		   uint32_t type, const char *utf8)
{
	uint8_t *data;
	size_t len;
	int rc = reg_encode_string(utf8, &data, &len);
	if (rc)
		return reg_int_fail(h, rc,
				    "value '%s': string is not valid UTF-8",
				    name ? name : "");
	rc = reg_set_value(h, key, name, type, data, len);
	free(data);
	return rc;
}

int reg_set_multi(struct reg_hive *h, const char *key, const char *name,
		  const char *const *strs, size_t n)
{
	uint8_t *data;
	size_t len;
	int rc = reg_encode_multi(strs, n, &data, &len);
	if (rc)
		return reg_int_fail(
			h, rc,
			"value '%s': strings must be valid UTF-8 and "
			"not empty",
			name ? name : "");
	rc = reg_set_value(h, key, name, REG_TYPE_MULTI_SZ, data, len);
	free(data);
	return rc;
}

int reg_set_dword(struct reg_hive *h, const char *key, const char *name,
		  uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };
	return reg_set_value(h, key, name, REG_TYPE_DWORD, b, 4);
}

int reg_set_qword(struct reg_hive *h, const char *key, const char *name,
		  uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return reg_set_value(h, key, name, REG_TYPE_QWORD, b, 8);
}

int reg_apply(struct reg_hive *h, const struct reg_op *ops, size_t n,
	      size_t *failed_ret)
{
	for (size_t i = 0; i < n; i++) {
		const struct reg_op *op = &ops[i];
		int rc;
		bool exists;
		switch (op->kind) {
		case REG_OP_CREATE_KEY:
			rc = reg_create_key(h, op->key);
			break;
		case REG_OP_DELETE_KEY:
			rc = reg_key_exists(h, op->key, &exists);
			if (rc == 0 && exists)
				rc = reg_delete_key(h, op->key);
			break;
		case REG_OP_SET_VALUE:
			rc = reg_set_value(h, op->key, op->name, op->type,
					   op->data, op->len);
			break;
		case REG_OP_DELETE_VALUE:
			rc = reg_delete_value(h, op->key, op->name);
			if (rc == REG_ERR_NOT_FOUND) {
				reg_int_err_clear(&h->err);
				rc = 0;
			}
			break;
		default:
			rc = reg_int_fail(h, REG_ERR_INVALID,
					  "operation %zu: unknown kind %d", i,
					  (int)op->kind);
		}
		if (rc) {
			if (failed_ret)
				*failed_ret = i;
			return rc;
		}
	}
	return 0;
}

/*
 * verify.c - reading a written hive back against the session's edits.
 *
 * Before a written hive replaces the original, every edit of the session
 * must read back from the file on disk through a fresh handle: a set value
 * with exactly its type and bytes, a deleted value or key absent, a
 * created key present.  Only the final effect counts: an edit overridden
 * by a later one (same value set twice, a key deleted after its values
 * were set, a key re-created after it was deleted) is not checked.  The
 * journal is walked backwards with hash sets of upper-cased paths, so a
 * batch of 100 000 edits costs 100 000 checks, not their square.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

/* An open-addressing set of strings (owned). */
struct strset {
	char **slots;
	size_t cap, n;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static bool strset_has(const struct strset *set, const char *s)
{
	if (set->cap == 0)
		return false;
	for (size_t i = fnv1a(s) & (set->cap - 1);;
	     i = (i + 1) & (set->cap - 1)) {
		if (set->slots[i] == NULL)
			return false;
		if (strcmp(set->slots[i], s) == 0)
			return true;
	}
}

/* Adds a copy of @s; returns 0 or REG_ERR_NOMEM. */
static int strset_add(struct strset *set, const char *s)
{
	if (strset_has(set, s))
		return 0;
	if ((set->n + 1) * 2 > set->cap) {
		size_t nc = set->cap ? set->cap * 2 : 64;
		char **ns = calloc(nc, sizeof(*ns));
		if (ns == NULL)
			return REG_ERR_NOMEM;
		for (size_t i = 0; i < set->cap; i++) {
			char *e = set->slots[i];
			if (e == NULL)
				continue;
			size_t j = fnv1a(e) & (nc - 1);
			while (ns[j] != NULL)
				j = (j + 1) & (nc - 1);
			ns[j] = e;
		}
		free(set->slots);
		set->slots = ns;
		set->cap = nc;
	}
	char *copy = strdup(s);
	if (copy == NULL)
		return REG_ERR_NOMEM;
	size_t j = fnv1a(s) & (set->cap - 1);
	while (set->slots[j] != NULL)
		j = (j + 1) & (set->cap - 1);
	set->slots[j] = copy;
	set->n++;
	return 0;
}

static void strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
}

/* Whether the upper-cased key @k or one of its ancestors is in @set. */
static bool any_prefix_in(const struct strset *set, char *k)
{
	if (strset_has(set, ""))
		return true;
	size_t len = strlen(k);
	for (size_t i = 0; i <= len; i++) {
		if (k[i] != '\\' && k[i] != '\0')
			continue;
		char saved = k[i];
		k[i] = '\0';
		bool hit = strset_has(set, k);
		k[i] = saved;
		if (hit)
			return true;
	}
	return false;
}

/* Adds @k and all its ancestors (and the root "") to @set. */
static int add_with_prefixes(struct strset *set, char *k)
{
	int rc = strset_add(set, "");
	size_t len = strlen(k);
	for (size_t i = 0; i <= len && rc == 0 && len > 0; i++) {
		if (k[i] != '\\' && k[i] != '\0')
			continue;
		char saved = k[i];
		k[i] = '\0';
		rc = strset_add(set, k);
		k[i] = saved;
	}
	return rc;
}

static int check_entry(struct reg_hive *h, struct reg_hive *w,
		       const struct journal_entry *j)
{
	bool exists;
	struct reg_value *v = NULL;
	int rc;
	const char *vname = j->name && *j->name ? j->name : "(default)";
	switch (j->kind) {
	case J_CREATE_KEY:
	case J_DELETE_KEY:
		rc = reg_key_exists(w, j->key, &exists);
		if (rc)
			break;
		if (exists != (j->kind == J_CREATE_KEY))
			return reg_int_fail(h, REG_ERR_VERIFY,
					    "read-back: key '%s' is %s", j->key,
					    exists ? "still there" : "missing");
		return 0;
	case J_SET_VALUE:
		rc = reg_get_value(w, j->key, j->name, &v);
		if (rc == REG_ERR_NOT_FOUND)
			return reg_int_fail(h, REG_ERR_VERIFY,
					    "read-back: value '%s' of '%s' is "
					    "missing",
					    vname, j->key);
		if (rc)
			break;
		if (v->type != j->type || v->len != j->len ||
		    (j->len > 0 && memcmp(v->data, j->data, j->len) != 0)) {
			reg_int_fail(
				h, REG_ERR_VERIFY,
				"read-back: value '%s' of '%s' reads as type "
				"%u, %zu bytes; type %u, %zu bytes were "
				"written",
				vname, j->key, v->type, v->len, j->type,
				j->len);
			reg_value_free(v);
			return REG_ERR_VERIFY;
		}
		reg_value_free(v);
		return 0;
	case J_DELETE_VALUE:
		rc = reg_get_value(w, j->key, j->name, &v);
		reg_value_free(v);
		if (rc == REG_ERR_NOT_FOUND)
			return 0;
		if (rc == 0)
			return reg_int_fail(
				h, REG_ERR_VERIFY,
				"read-back: deleted value '%s' of '%s' "
				"is still there",
				vname, j->key);
		break;
	default:
		return 0;
	}
	return reg_int_fail(h, REG_ERR_VERIFY, "read-back of '%s': %s", j->key,
			    reg_errmsg(w));
}

int reg_int_journal_verify(struct reg_hive *h, struct reg_hive *w)
{
	struct strset values = { 0 };	 /* "KEY\x01NAME" set later */
	struct strset deleted = { 0 };	 /* keys deleted later */
	struct strset populated = { 0 }; /* keys (and ancestors) made later */
	int rc = 0;
	for (size_t i = h->njournal; i-- > 0 && rc == 0;) {
		const struct journal_entry *j = &h->journal[i];
		char *k = reg_int_name_upcase(j->key);
		char *vk = NULL;
		if (k == NULL) {
			rc = reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
			break;
		}
		bool shadowed = any_prefix_in(&deleted, k);
		if (j->kind == J_SET_VALUE || j->kind == J_DELETE_VALUE) {
			char *n = reg_int_name_upcase(j->name ? j->name : "");
			if (n == NULL || asprintf(&vk, "%s\x01%s", k, n) < 0)
				vk = NULL;
			free(n);
			if (vk == NULL) {
				free(k);
				rc = reg_int_fail(h, REG_ERR_NOMEM,
						  "out of memory");
				break;
			}
			shadowed |= strset_has(&values, vk);
			rc = strset_add(&values, vk);
		} else if (j->kind == J_DELETE_KEY) {
			shadowed |= strset_has(&populated, k);
		}
		if (rc == 0 && !shadowed)
			rc = check_entry(h, w, j);
		if (rc == 0) {
			if (j->kind == J_DELETE_KEY)
				rc = strset_add(&deleted, k);
			else if (j->kind != J_DELETE_VALUE)
				rc = add_with_prefixes(&populated, k);
			if (rc == REG_ERR_NOMEM)
				reg_int_fail(h, rc, "out of memory");
		}
		free(vk);
		free(k);
	}
	strset_free(&values);
	strset_free(&deleted);
	strset_free(&populated);
	return rc;
}

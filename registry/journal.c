/*
 * journal.c - what a session changed: its edits, and the keys it created
 * or touched.
 *
 * The journal lets the written hive be read back and compared before it
 * replaces the original (verify.c); the created and touched keys drive
 * the fix-ups of the image libhivex writes (fixup.c).  Plain bookkeeping:
 * nothing here reads or writes the hive.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

/* The normalised form of a key path (no leading/trailing '\'). */
static char *key_normalise(const char *key)
{
	if (key == NULL)
		key = "";
	while (*key == '\\')
		key++;
	size_t len = strlen(key);
	while (len > 0 && key[len - 1] == '\\')
		len--;
	return strndup(key, len);
}

static int push(void **arr, size_t *n, size_t *cap, size_t elem)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *p = realloc(*arr, nc * elem);
		if (p == NULL)
			return REG_ERR_NOMEM;
		*arr = p;
		*cap = nc;
	}
	(*n)++;
	return 0;
}

int reg_int_note_touched(struct reg_hive *h, hive_node_h node)
{
	if (h->ntouched > 0 && h->touched[h->ntouched - 1] == node)
		return 0;
	if (push((void **)&h->touched, &h->ntouched, &h->touched_cap,
		 sizeof(*h->touched)))
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	h->touched[h->ntouched - 1] = node;
	return 0;
}

int reg_int_journal_add(struct reg_hive *h, enum journal_kind kind,
			const char *key, const char *name, uint32_t type,
			const void *data, size_t len)
{
	if (push((void **)&h->journal, &h->njournal, &h->journal_cap,
		 sizeof(*h->journal)))
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	struct journal_entry *j = &h->journal[h->njournal - 1];
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->type = type;
	j->len = len;
	j->key = key_normalise(key);
	j->name = name ? strdup(name) : NULL;
	if (len > 0) {
		j->data = malloc(len);
		if (j->data)
			memcpy(j->data, data, len);
	}
	if (j->key == NULL || (name && j->name == NULL) ||
	    (len > 0 && j->data == NULL)) {
		free(j->key);
		free(j->name);
		free(j->data);
		h->njournal--;
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	}
	return 0;
}

void reg_int_journal_free(struct reg_hive *h)
{
	for (size_t i = 0; i < h->njournal; i++) {
		free(h->journal[i].key);
		free(h->journal[i].name);
		free(h->journal[i].data);
	}
	free(h->journal);
	h->journal = NULL;
	h->njournal = h->journal_cap = 0;
}

int reg_int_note_created(struct reg_hive *h, hive_node_h parent,
			 hive_node_h node)
{
	if (push((void **)&h->created, &h->ncreated, &h->created_cap,
		 sizeof(*h->created)))
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	h->created[h->ncreated - 1] =
		(struct created_key){ .parent = parent, .node = node };
	int rc = reg_int_note_touched(h, parent);
	return rc ? rc : reg_int_note_touched(h, node);
}

void reg_int_session_reset(struct reg_hive *h)
{
	reg_int_journal_free(h);
	h->ntouched = h->ncreated = 0;
}

void reg_int_session_free(struct reg_hive *h)
{
	reg_int_journal_free(h);
	free(h->touched);
	free(h->created);
	h->touched = NULL;
	h->created = NULL;
	h->ntouched = h->touched_cap = h->ncreated = h->created_cap = 0;
}

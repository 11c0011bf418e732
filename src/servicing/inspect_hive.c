/*
 * inspect_hive.c - hive reads for inspection (see inspect_hive.h), through
 * registry/: the hive is checked completely on open, a dirty hive whose
 * logs recover it is read as recovered (in memory; the copy is not
 * written), and one whose logs do not is read as it is, for the report.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/reg.h"
#include "servicing/inspect_hive.h"
#include "servicing/inspect_int.h"

struct ihive {
	struct reg_hive *h;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

void svc_int_hive_open(const char *path, struct svc_hive_facts *hf,
		       struct ihive **h_ret)
{
	*h_ret = NULL;
	struct reg_hive *h = NULL;
	int r = reg_open(path, NULL, &h);
	const struct reg_info *info = h != NULL ? reg_get_info(h) : NULL;
	if (info != NULL) {
		hf->seq1 = info->seq1;
		hf->seq2 = info->seq2;
		for (size_t i = 0; i < info->nlogs; i++) {
			const struct reg_log_info *l = &info->logs[i];
			if (l->kind == REG_LOG_ABSENT || l->path == NULL)
				continue;
			if (ends_with(l->path, ".LOG1"))
				hf->log1 = true;
			else if (ends_with(l->path, ".LOG2"))
				hf->log2 = true;
		}
		hf->dirty = info->state == REG_STATE_DIRTY_RECOVERABLE ||
			    info->state == REG_STATE_DIRTY_NO_LOGS;
		hf->logs_checked = hf->dirty;
		hf->logs_usable = info->state == REG_STATE_DIRTY_RECOVERABLE;
	}
	if (r != REG_OK || info == NULL || info->state == REG_STATE_CORRUPT) {
		hf->corrupt =
			r == REG_OK || reg_exit_class(r) == HVO_EXIT_CORRUPT;
		svc_int_text(&hf->problem, "%s",
			     h != NULL && reg_errmsg(h)[0] ? reg_errmsg(h)
							   : reg_strerror(r));
		reg_close(h);
		return;
	}
	if (hf->dirty && info->problem != NULL)
		svc_int_text(&hf->problem, "%s", info->problem);
	struct ihive *ih = calloc(1, sizeof(*ih));
	if (ih == NULL) {
		reg_close(h);
		svc_int_text(&hf->problem, "out of memory");
		return;
	}
	ih->h = h;
	hf->opened = true;
	*h_ret = ih;
}

void svc_int_hive_close(struct ihive *h)
{
	if (h == NULL)
		return;
	reg_close(h->h);
	free(h);
}

static int get(struct ihive *h, const char *key, const char *value,
	       struct reg_value **v_ret)
{
	int r = reg_get_value(h->h, key, value, v_ret);
	if (r == REG_ERR_NOT_FOUND)
		return 1;
	return r == REG_OK ? 0 : -1;
}

int svc_int_hive_get_string(struct ihive *h, const char *key, const char *value,
			    char *out, size_t size)
{
	out[0] = '\0';
	struct reg_value *v;
	int r = get(h, key, value, &v);
	if (r != 0)
		return r;
	char *s = NULL;
	if (v->type != REG_TYPE_SZ && v->type != REG_TYPE_EXPAND_SZ)
		r = 1;
	else if (reg_value_string(v, &s) != REG_OK)
		r = -1;
	else
		snprintf(out, size, "%s", s);
	free(s);
	reg_value_free(v);
	return r;
}

int svc_int_hive_get_dword(struct ihive *h, const char *key, const char *value,
			   uint32_t *out)
{
	struct reg_value *v;
	int r = get(h, key, value, &v);
	if (r != 0)
		return r;
	if (v->type != REG_TYPE_DWORD || reg_value_dword(v, out) != REG_OK)
		r = 1;
	reg_value_free(v);
	return r;
}

int svc_int_hive_get_bytes(struct ihive *h, const char *key, const char *value,
			   uint8_t *out, size_t size, size_t *len_ret)
{
	*len_ret = 0;
	struct reg_value *v;
	int r = get(h, key, value, &v);
	if (r != 0)
		return r;
	if (v->len > size) {
		r = 1;
	} else {
		memcpy(out, v->data, v->len);
		*len_ret = v->len;
	}
	reg_value_free(v);
	return r;
}

int svc_int_hive_has_key(struct ihive *h, const char *key)
{
	bool exists;
	if (reg_key_exists(h->h, key, &exists) != REG_OK)
		return -1;
	return exists ? 1 : 0;
}

int svc_int_hive_subkeys(struct ihive *h, const char *key, char ***names_ret,
			 size_t *n_ret)
{
	*names_ret = NULL;
	*n_ret = 0;
	int r = reg_list_subkeys(h->h, key, names_ret, n_ret);
	if (r == REG_ERR_NOT_FOUND)
		return 1;
	return r == REG_OK ? 0 : -1;
}

void svc_int_hive_names_free(char **names, size_t n)
{
	reg_names_free(names, n);
}

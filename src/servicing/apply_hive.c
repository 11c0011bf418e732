/*
 * apply_hive.c - the hives of an apply: copied out, recovered when their logs
 * allow, and edited in one batch each (SERVICING.md section 3, step 7).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "registry/reg.h"
#include "servicing/apply.h"
#include "servicing/apply_int.h"

/* ------------------------------------------------------------------ */
/* Hives.                                                              */
/* ------------------------------------------------------------------ */

enum svc_err svc_int_apply_hive_open(struct guest_fs *fs,
				     const struct svc_plan *p,
				     enum svc_hive which, const char *tmpdir,
				     struct hive_work *hw,
				     struct svc_apply_result *res)
{
	const char *name = svc_hive_name(which);
	if (asprintf(&hw->guest, "%s\\System32\\config\\%s", p->systemroot,
		     name) < 0 ||
	    asprintf(&hw->host_dir, "%s/hive-%s", tmpdir, name) < 0 ||
	    asprintf(&hw->host, "%s/%s", hw->host_dir, name) < 0 ||
	    asprintf(&hw->host_new, "%s/%s.new", hw->host_dir, name) < 0)
		return svc_int_apply_fail(res, SVC_ERR_NOMEM, "out of memory");
	if (mkdir(hw->host_dir, 0700) != 0 && errno != EEXIST)
		return svc_int_apply_fail(res, SVC_ERR_IO, "%s: %s",
					  hw->host_dir, strerror(errno));
	if (guest_fs_copy_out(fs, hw->guest, hw->host) != GUEST_OK)
		return svc_int_apply_fail(res, svc_int_guest_err(GUEST_E_IO),
					  "%s: %s", hw->guest,
					  guest_fs_errmsg(fs));
	for (int i = 0; i < 3; i++) {
		char *g = NULL, *h = NULL;
		if (asprintf(&g, "%s%s", hw->guest, svc_int_log_suffix[i]) <
			    0 ||
		    asprintf(&h, "%s%s", hw->host, svc_int_log_suffix[i]) < 0) {
			free(g);
			return svc_int_apply_fail(res, SVC_ERR_NOMEM,
						  "out of memory");
		}
		struct guest_stat st;
		enum svc_err rc = SVC_OK;
		if (guest_fs_stat(fs, g, &st) == GUEST_OK &&
		    st.type == GUEST_FT_FILE) {
			if (guest_fs_copy_out(fs, g, h) != GUEST_OK)
				rc = svc_int_apply_fail(res, SVC_ERR_GUEST,
							"%s: %s", g,
							guest_fs_errmsg(fs));
			else
				hw->log_present[i] = true;
		}
		free(g);
		free(h);
		if (rc != SVC_OK)
			return rc;
	}
	/* The host copy is scratch: the guest's copy is what must survive
	 * a crash (written through the guest backend, the VHDX log). */
	struct reg_open_opts ro = { .flags = REG_OPEN_WRITE | REG_OPEN_RECOVER |
					     REG_OPEN_SCRATCH };
	int e = reg_open(hw->host, &ro, &hw->h);
	if (e != REG_OK) {
		const char *why = hw->h ? reg_errmsg(hw->h) : "";
		return svc_int_apply_fail(res, svc_int_reg_err(e), "%s: %s%s%s",
					  hw->guest, reg_strerror(e),
					  why[0] ? ": " : "", why);
	}
	const struct reg_info *in = reg_get_info(hw->h);
	res->hive_recovered[which] = in->state == REG_STATE_DIRTY_RECOVERABLE;
	hw->used = true;
	return SVC_OK;
}

static bool list_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return true;
	return false;
}

/* Whether a ';'-separated path list holds @entry (ignoring case). */
bool svc_int_path_has(const char *list, const char *entry)
{
	size_t n = strlen(entry);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ';');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && (*p == ' ')) {
			p++;
			len--;
		}
		while (len && p[len - 1] == ' ')
			len--;
		if (len == n && strncasecmp(p, entry, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* Default DevicePath of every Windows since NT 5. */
#define DEFAULT_DEVICE_PATH "%SystemRoot%\\inf"

static int set_multi_list(struct reg_hive *h, const struct svc_plan_reg *r,
			  const struct reg_value *prev)
{
	char **v = NULL;
	size_t n = 0;
	if (prev != NULL && prev->type == REG_TYPE_MULTI_SZ) {
		if (reg_value_multi(prev, &v, &n) != REG_OK)
			n = 0;
	} else if (prev != NULL && (prev->type == REG_TYPE_SZ ||
				    prev->type == REG_TYPE_EXPAND_SZ)) {
		char *s;
		if (reg_value_string(prev, &s) == REG_OK && s[0]) {
			v = malloc(sizeof(*v));
			if (v != NULL) {
				v[0] = s;
				n = 1;
			} else {
				free(s);
			}
		} else if (s != NULL) {
			free(s);
		}
	}
	const char **all = calloc(n + 1, sizeof(*all));
	if (all == NULL) {
		reg_names_free(v, n);
		return REG_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		all[i] = v[i];
	all[n] = r->text;
	int e = reg_set_multi(h, r->key, r->name, all, n + 1);
	free(all);
	reg_names_free(v, n);
	return e;
}

/*
 * Reads the previous state for one operation and carries it out on the
 * in-memory hive.  Returns 0 or a reg_error.
 */
int svc_int_reg_op(struct reg_hive *h, const struct svc_plan_reg *r,
		   struct svc_reg_change *c)
{
	c->reg = r;
	if (r->kind == SVC_REG_KEY) {
		bool ex;
		int e = reg_key_exists(h, r->key, &ex);
		if (e)
			return e;
		c->existed = ex;
		if (ex) {
			c->skip = "exists";
			return REG_OK;
		}
		c->changed = true;
		return reg_create_key(h, r->key);
	}
	struct reg_value *prev = NULL;
	int e = reg_get_value(h, r->key, r->name, &prev);
	if (e != REG_OK && e != REG_ERR_NOT_FOUND)
		return e;
	if (prev != NULL) {
		c->existed = true;
		c->prev_type = prev->type;
		c->prev_len = prev->len;
		c->prev_data = malloc(prev->len ? prev->len : 1);
		if (c->prev_data == NULL) {
			reg_value_free(prev);
			return REG_ERR_NOMEM;
		}
		memcpy(c->prev_data, prev->data, prev->len);
	}
	e = REG_OK;
	switch (r->kind) {
	case SVC_REG_SET:
		if (prev != NULL && r->noclobber) {
			c->skip = "exists (not replaced)";
		} else if (prev == NULL && r->only_existing) {
			c->skip = "absent (only replaced)";
		} else if (prev != NULL && prev->type == r->type &&
			   prev->len == r->len &&
			   memcmp(prev->data, r->data, r->len) == 0) {
			c->skip = "unchanged";
		} else {
			c->changed = true;
			e = reg_set_value(h, r->key, r->name, r->type, r->data,
					  r->len);
		}
		break;
	case SVC_REG_MULTI_ADD: {
		char **v = NULL;
		size_t n = 0;
		if (prev != NULL && prev->type == REG_TYPE_MULTI_SZ &&
		    reg_value_multi(prev, &v, &n) == REG_OK &&
		    list_has(v, n, r->text)) {
			c->skip = "already listed";
		} else {
			c->changed = true;
			e = set_multi_list(h, r, prev);
		}
		reg_names_free(v, n);
		break;
	}
	case SVC_REG_PATH_ADD: {
		char *s = NULL;
		if (prev != NULL && reg_value_string(prev, &s) != REG_OK)
			s = NULL;
		if (s != NULL && svc_int_path_has(s, r->text)) {
			c->skip = "already listed";
		} else {
			const char *base = s && s[0] ? s : DEFAULT_DEVICE_PATH;
			size_t bl = strlen(base);
			char *nv;
			if (asprintf(&nv, "%s%s%s", base,
				     bl && base[bl - 1] == ';' ? "" : ";",
				     r->text) < 0) {
				free(s);
				reg_value_free(prev);
				return REG_ERR_NOMEM;
			}
			uint32_t type =
				prev && (prev->type == REG_TYPE_SZ ||
					 prev->type == REG_TYPE_EXPAND_SZ)
					? prev->type
					: r->type;
			c->changed = true;
			e = reg_set_string(h, r->key, r->name, type, nv);
			free(nv);
		}
		free(s);
		break;
	}
	case SVC_REG_DELETE:
		if (prev == NULL) {
			c->skip = "absent";
		} else {
			c->changed = true;
			e = reg_delete_value(h, r->key, r->name);
		}
		break;
	default:
		break;
	}
	reg_value_free(prev);
	return e;
}

void svc_int_apply_hive_close(struct hive_work *hw)
{
	reg_close(hw->h);
	free(hw->guest);
	free(hw->host_dir);
	free(hw->host);
	free(hw->host_new);
	memset(hw, 0, sizeof(*hw));
}

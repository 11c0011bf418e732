/*
 * apply_sd.c - the Windows security descriptors of what apply creates or
 * replaces, and their check in verify.
 *
 * Every file, hive and directory apply puts in the guest gets the
 * descriptor Windows would give it (issue 17):
 *
 *   manifest   a component file whose manifest names a
 *              securityDescriptor: that SDDL, combined with what the
 *              parent directory passes on unless the SDDL protects its
 *              DACL (sd_inherit), as setting it on Windows does;
 *   previous   else a file that is replaced keeps the descriptor it had;
 *   inherited  else a new file or directory inherits from its parent by
 *              Windows' rules (sd_inherit_bytes);
 *   store      except in hvoffline's record folder (the records, the
 *              undo data rollback writes back as SYSTEM, the originals
 *              kept for it): SYSTEM and Administrators only, protected,
 *              as Windows keeps its own servicing stores out of users'
 *              reach, whatever the folder above would pass on.
 *
 * The rule of each file and directory goes into the undo data beside the
 * record (an sd line, services_undo.h), from which `verify` computes the
 * descriptor again (verify_sd.c).
 * The descriptor goes on the staged file before the flush that precedes
 * the switch, so the rename puts content and descriptor in place at once
 * (a rename keeps an NTFS file's descriptor).  A backend that keeps no
 * descriptors (a host directory without user xattrs), or an object that
 * has none to inherit from, leaves the step undone: counted and reported
 * (sds_skipped, sd_skip_reason), never silently.  A descriptor that does
 * not parse, or that the guest refuses, fails the apply.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "secdesc/sd.h"
#include "servicing/apply_int.h"
#include "servicing/services_undo.h"

/* The store descriptors (see above): the folder passes its ACEs on to
 * what Windows may create in it later (OI|CI); a file's are its own. */
#define STORE_DIR_SDDL	"O:BAG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
#define STORE_FILE_SDDL "O:BAG:SYD:P(A;;FA;;;SY)(A;;FA;;;BA)"

int svc_int_sd_store_bytes(bool is_dir, uint8_t **sd_ret, size_t *len_ret)
{
	struct sd *d = NULL;
	int rc = sd_from_sddl(is_dir ? STORE_DIR_SDDL : STORE_FILE_SDDL, &d,
			      NULL);
	if (rc == SD_OK)
		rc = sd_to_self_relative(d, sd_ret, len_ret);
	sd_free(d);
	return rc == SD_OK ? 0 : -1;
}

int svc_int_sd_store(struct guest_fs *fs, const char *path, bool is_dir)
{
	uint8_t *sd;
	size_t len;
	if (svc_int_sd_store_bytes(is_dir, &sd, &len) != 0)
		return GUEST_E_NOMEM;
	int e = guest_fs_set_sd(fs, path, sd, len);
	free(sd);
	return e == GUEST_E_UNSUPPORTED ? GUEST_OK : e;
}

const char *svc_int_sd_rule(const struct svc_plan_file *f,
			    const struct svc_file_change *c)
{
	if (f->source == SVC_SRC_RECORD)
		return "store";
	if (f->sddl != NULL)
		return "manifest";
	return c->existed ? "previous" : "inherited";
}

char *svc_int_sd_text(const uint8_t *sd, size_t len)
{
	struct sd *d = NULL;
	if (sd_from_self_relative(sd, len, &d, NULL) == SD_OK) {
		char *s = sd_to_sddl(d);
		sd_free(d);
		return s;
	}
	char *s;
	return asprintf(&s, "(malformed, %zu bytes)", len) < 0 ? NULL : s;
}

/* Whether two descriptors say the same (compared in our own encoding,
 * so that the order of their parts does not matter). */
bool svc_int_sd_same(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen)
{
	struct sd *da = NULL, *db = NULL;
	uint8_t *ea = NULL, *eb = NULL;
	size_t la = 0, lb = 0;
	bool same;
	if (sd_from_self_relative(a, alen, &da, NULL) == SD_OK &&
	    sd_from_self_relative(b, blen, &db, NULL) == SD_OK &&
	    sd_to_self_relative(da, &ea, &la) == SD_OK &&
	    sd_to_self_relative(db, &eb, &lb) == SD_OK)
		same = la == lb && memcmp(ea, eb, la) == 0;
	else
		same = alen == blen && memcmp(a, b, alen) == 0;
	sd_free(da);
	sd_free(db);
	free(ea);
	free(eb);
	return same;
}

char *svc_int_parent_of(const char *path)
{
	const char *a = strrchr(path, '\\'), *b = strrchr(path, '/');
	const char *sep = a > b ? a : b;
	return strndup(path, sep ? (size_t)(sep - path) : 0);
}

void svc_int_parent_cache_free(struct parent_cache *pc)
{
	free(pc->dir);
	free(pc->sd);
	memset(pc, 0, sizeof(*pc));
}

int svc_int_parent_sd(struct guest_fs *fs, const char *path,
		      struct parent_cache *pc)
{
	char *dir = svc_int_parent_of(path);
	if (dir == NULL)
		return GUEST_E_NOMEM;
	if (pc->dir != NULL && strcmp(pc->dir, dir) == 0) {
		free(dir);
		return pc->e;
	}
	svc_int_parent_cache_free(pc);
	pc->dir = dir;
	pc->e = guest_fs_get_sd(fs, dir, &pc->sd, &pc->len);
	if (pc->e != GUEST_OK)
		snprintf(pc->why, sizeof(pc->why), "%s", guest_fs_errmsg(fs));
	return pc->e;
}

static void skipped(struct svc_apply_result *res, const char *why)
{
	res->sds_skipped++;
	if (res->sd_skip_reason == NULL)
		res->sd_skip_reason = strdup(why);
}

/* Whether guest error @e only means that there is no descriptor to
 * have (the step is skipped, not failed). */
static bool absent(int e)
{
	return e == GUEST_E_UNSUPPORTED || e == GUEST_E_NOENT;
}

enum svc_err svc_int_sd_previous(struct guest_fs *fs, const struct svc_plan *p,
				 struct svc_apply_result *res)
{
	for (size_t i = 0; i < p->nfiles; i++) {
		struct svc_file_change *c = &res->files[i];
		if (!c->existed || !c->written)
			continue;
		int e = guest_fs_get_sd(fs, p->files[i].dest, &c->prev_sd,
					&c->prev_sd_len);
		if (e == GUEST_E_UNSUPPORTED)
			return SVC_OK; /* none to keep; reported when set */
		if (e != GUEST_OK && !absent(e))
			return svc_int_apply_fail(res, svc_int_guest_err(e),
						  "%s", guest_fs_errmsg(fs));
	}
	return SVC_OK;
}

/* Sets @sd on @path; a backend without descriptors skips. */
static enum svc_err put(struct guest_fs *fs, const char *path,
			const uint8_t *sd, size_t len,
			struct svc_apply_result *res)
{
	int e = guest_fs_set_sd(fs, path, sd, len);
	if (e == GUEST_E_UNSUPPORTED) {
		skipped(res, guest_fs_errmsg(fs));
		return SVC_OK;
	}
	if (e != GUEST_OK)
		return svc_int_apply_fail(res, svc_int_guest_err(e), "%s",
					  guest_fs_errmsg(fs));
	res->sds_set++;
	return SVC_OK;
}

/* A manifest's SDDL where the parent has no descriptor to pass on. */
static int explicit_only(const char *sddl, bool is_dir, uint8_t **sd_ret,
			 size_t *len_ret, struct sd_errinfo *ei)
{
	struct sd *ex = NULL, *c = NULL;
	int rc = sd_from_sddl(sddl, &ex, ei);
	if (rc == SD_OK)
		rc = sd_inherit(NULL, ex, is_dir, &c);
	if (rc == SD_OK)
		rc = sd_to_self_relative(c, sd_ret, len_ret);
	sd_free(ex);
	sd_free(c);
	return rc;
}

/* The descriptor of a new object at @path (a directory when @is_dir),
 * from its parent's and @sddl (may be NULL).  *@sd_ret NULL (and SVC_OK)
 * when the parent has none: skipped. */
static enum svc_err derive(struct guest_fs *fs, const char *path,
			   const char *sddl, bool is_dir,
			   struct parent_cache *pc, uint8_t **sd_ret,
			   size_t *len_ret, struct svc_apply_result *res)
{
	*sd_ret = NULL;
	int e = svc_int_parent_sd(fs, path, pc);
	if (absent(e) && sddl == NULL) {
		skipped(res, pc->why);
		return SVC_OK;
	}
	if (e != GUEST_OK && !absent(e))
		return svc_int_apply_fail(res, svc_int_guest_err(e), "%s",
					  e == GUEST_E_NOMEM ? "out of memory"
							     : pc->why);
	struct sd_errinfo ei = { 0 };
	int rc = absent(e) ? explicit_only(sddl, is_dir, sd_ret, len_ret, &ei)
			   : sd_inherit_bytes(pc->sd, pc->len, sddl, is_dir,
					      sd_ret, len_ret, &ei);
	if (rc != SD_OK)
		return svc_int_apply_fail(
			res,
			rc == SD_ERR_NOMEM ? SVC_ERR_NOMEM : SVC_ERR_CORRUPT,
			"%s: security descriptor: %s (%s)", path,
			ei.msg[0] ? ei.msg : sd_strerror(rc),
			sddl ? sddl : pc->dir);
	return SVC_OK;
}

/* The record folder of @t: the parent of the plan's record (NULL when
 * the plan has none, or out of memory; caller frees). */
static char *record_dir(const struct txn *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->items[i].change != NULL &&
		    t->items[i].change->file->source == SVC_SRC_RECORD)
			return svc_int_parent_of(t->items[i].target);
	return NULL;
}

/* Whether directory @dir is the record folder or below it. */
static bool in_store(const struct txn *t, const char *dir)
{
	char *rd = record_dir(t);
	size_t n = rd ? strlen(rd) : 0;
	bool in = rd != NULL && strncasecmp(dir, rd, n) == 0 &&
		  (dir[n] == '\0' || dir[n] == '\\');
	free(rd);
	return in;
}

enum svc_err svc_int_sd_dir(struct txn *t, const char *dir,
			    struct svc_apply_result *res)
{
	struct parent_cache pc = { 0 };
	uint8_t *sd = NULL;
	size_t len;
	enum svc_err rc = SVC_OK;
	if (!in_store(t, dir))
		rc = derive(t->fs, dir, NULL, true, &pc, &sd, &len, res);
	else if (svc_int_sd_store_bytes(true, &sd, &len) != 0)
		rc = svc_int_apply_fail(res, SVC_ERR_NOMEM, "out of memory");
	if (rc == SVC_OK && sd != NULL)
		rc = put(t->fs, dir, sd, len, res);
	free(sd);
	svc_int_parent_cache_free(&pc);
	return rc;
}

/* What item @it gets: *@sd_ret (caller frees) by *@rule_ret, or NULL
 * when skipped. */
static enum svc_err item_sd(struct txn *t, const struct item *it,
			    struct parent_cache *pc, uint8_t **sd_ret,
			    size_t *len_ret, const char **rule_ret,
			    struct svc_apply_result *res)
{
	*sd_ret = NULL;
	*len_ret = 0;
	*rule_ret = it->change ? svc_int_sd_rule(it->change->file, it->change)
			       : "previous";
	if (strcmp(*rule_ret, "store") == 0) {
		if (svc_int_sd_store_bytes(false, sd_ret, len_ret) != 0)
			return svc_int_apply_fail(res, SVC_ERR_NOMEM,
						  "out of memory");
		return SVC_OK;
	}
	if (strcmp(*rule_ret, "manifest") == 0)
		return derive(t->fs, it->target, it->sddl, false, pc, sd_ret,
			      len_ret, res);
	if (strcmp(*rule_ret, "inherited") == 0)
		return derive(t->fs, it->target, NULL, false, pc, sd_ret,
			      len_ret, res);
	if (it->change != NULL) {
		if (it->change->prev_sd == NULL) {
			skipped(res, "no previous security descriptor");
			return SVC_OK;
		}
		*sd_ret = malloc(it->change->prev_sd_len);
		if (*sd_ret == NULL)
			return svc_int_apply_fail(res, SVC_ERR_NOMEM,
						  "out of memory");
		memcpy(*sd_ret, it->change->prev_sd, it->change->prev_sd_len);
		*len_ret = it->change->prev_sd_len;
		return SVC_OK;
	}
	/* A hive: the target is still the original while staging. */
	int e = guest_fs_get_sd(t->fs, it->target, sd_ret, len_ret);
	if (absent(e)) {
		skipped(res, guest_fs_errmsg(t->fs));
		return SVC_OK;
	}
	if (e != GUEST_OK)
		return svc_int_apply_fail(res, svc_int_guest_err(e), "%s",
					  guest_fs_errmsg(t->fs));
	return SVC_OK;
}

enum svc_err svc_int_sd_items(struct txn *t, size_t n,
			      struct svc_apply_result *res)
{
	struct parent_cache pc = { 0 };
	enum svc_err rc = SVC_OK;
	for (size_t i = 0; i < n && rc == SVC_OK; i++) {
		const struct item *it = &t->items[i];
		uint8_t *sd;
		size_t len;
		const char *rule;
		rc = item_sd(t, it, &pc, &sd, &len, &rule, res);
		if (rc != SVC_OK || sd == NULL)
			continue;
		size_t before = res->sds_set;
		rc = put(t->fs, it->tmp, sd, len, res);
		if (rc == SVC_OK && res->sds_set > before && it->change) {
			it->change->sd = sd;
			it->change->sd_len = len;
			it->change->sd_rule = rule;
			sd = NULL;
		}
		free(sd);
	}
	svc_int_parent_cache_free(&pc);
	return rc;
}

int svc_int_sd_undo(const struct txn *t, struct svc_undo *u)
{
	for (size_t i = 0; i < t->ndirs; i++)
		if (svc_undo_add_sd(u, t->dirs[i],
				    in_store(t, t->dirs[i]) ? "store"
							    : "inherited",
				    true, NULL, 0) != 0)
			return -1;
	for (size_t i = 0; i < t->n; i++) {
		const struct item *it = &t->items[i];
		const struct svc_file_change *c = it->change;
		if (c == NULL || c->sd_rule == NULL)
			continue; /* a hive, or a descriptor not set */
		const void *data = NULL;
		size_t len = 0;
		if (strcmp(c->sd_rule, "manifest") == 0) {
			data = it->sddl;
			len = strlen(it->sddl);
		} else if (strcmp(c->sd_rule, "previous") == 0) {
			data = c->prev_sd;
			len = c->prev_sd_len;
		}
		if (svc_undo_add_sd(u, it->target, c->sd_rule, false, data,
				    len) != 0)
			return -1;
	}
	return 0;
}

int svc_int_sd_expected(struct guest_fs *fs, const char *path, const char *rule,
			bool is_dir, const uint8_t *data, size_t len,
			struct parent_cache *pc, uint8_t **sd_ret,
			size_t *len_ret, char *why, size_t whylen)
{
	*sd_ret = NULL;
	*len_ret = 0;
	if (strcmp(rule, "store") == 0) {
		if (svc_int_sd_store_bytes(is_dir, sd_ret, len_ret) == 0)
			return 0;
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (strcmp(rule, "previous") == 0) {
		if (len == 0)
			return 1;
		if ((*sd_ret = malloc(len)) == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		memcpy(*sd_ret, data, len);
		*len_ret = len;
		return 0;
	}
	bool manifest = strcmp(rule, "manifest") == 0;
	if (!manifest && strcmp(rule, "inherited") != 0) {
		snprintf(why, whylen, "an unknown rule \"%s\"", rule);
		return -1;
	}
	char *sddl = manifest ? strndup((const char *)data, len) : NULL;
	if (manifest && sddl == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	int e = svc_int_parent_sd(fs, path, pc);
	int r = 0;
	struct sd_errinfo ei = { 0 };
	if (absent(e) && sddl == NULL) {
		r = 1; /* nothing to inherit: apply skipped it too */
	} else if (e != GUEST_OK && !absent(e)) {
		snprintf(why, whylen, "%s", pc->why);
		r = -1;
	} else {
		int rc = absent(e) ? explicit_only(sddl, is_dir, sd_ret,
						   len_ret, &ei)
				   : sd_inherit_bytes(pc->sd, pc->len, sddl,
						      is_dir, sd_ret, len_ret,
						      &ei);
		if (rc != SD_OK) {
			snprintf(why, whylen, "%s",
				 ei.msg[0] ? ei.msg : sd_strerror(rc));
			r = -1;
		}
	}
	free(sddl);
	return r;
}

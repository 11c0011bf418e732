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
 *              Windows' rules (sd_inherit_bytes).
 *
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

#include "secdesc/sd.h"
#include "servicing/apply_int.h"

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
static bool sd_same(const uint8_t *a, size_t alen, const uint8_t *b,
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

/* The parent directory of guest path @path ("" for the root; caller
 * frees; NULL if out of memory). */
static char *parent_of(const char *path)
{
	const char *a = strrchr(path, '\\'), *b = strrchr(path, '/');
	const char *sep = a > b ? a : b;
	return strndup(path, sep ? (size_t)(sep - path) : 0);
}

/* One parent's descriptor, kept while the next object is in the same
 * directory (apply writes most files into a few). */
struct parent_cache {
	char *dir;
	uint8_t *sd;
	size_t len;
	int e; /* guest_fs_get_sd's result */
	char why[512];
};

static void cache_free(struct parent_cache *pc)
{
	free(pc->dir);
	free(pc->sd);
	memset(pc, 0, sizeof(*pc));
}

/* The descriptor of @path's parent in @pc (GUEST_OK), or the error. */
static int parent_sd(struct guest_fs *fs, const char *path,
		     struct parent_cache *pc)
{
	char *dir = parent_of(path);
	if (dir == NULL)
		return GUEST_E_NOMEM;
	if (pc->dir != NULL && strcmp(pc->dir, dir) == 0) {
		free(dir);
		return pc->e;
	}
	cache_free(pc);
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
	int e = parent_sd(fs, path, pc);
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

enum svc_err svc_int_sd_dir(struct txn *t, const char *dir,
			    struct svc_apply_result *res)
{
	struct parent_cache pc = { 0 };
	uint8_t *sd;
	size_t len;
	enum svc_err rc = derive(t->fs, dir, NULL, true, &pc, &sd, &len, res);
	if (rc == SVC_OK && sd != NULL)
		rc = put(t->fs, dir, sd, len, res);
	free(sd);
	cache_free(&pc);
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
	if (it->sddl != NULL) {
		*rule_ret = "manifest";
		return derive(t->fs, it->target, it->sddl, false, pc, sd_ret,
			      len_ret, res);
	}
	if (!it->existed) {
		*rule_ret = "inherited";
		return derive(t->fs, it->target, NULL, false, pc, sd_ret,
			      len_ret, res);
	}
	*rule_ret = "previous";
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
	cache_free(&pc);
	return rc;
}

void svc_int_sd_verify(struct guest_fs *fs, const struct svc_plan *p,
		       const struct svc_verify_opts *o,
		       struct svc_verify_result *res)
{
	struct parent_cache pc = { 0 };
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct svc_plan_file *f = &p->files[i];
		if (f->role == SVC_ROLE_FIRSTBOOT && res->firstboot_done)
			continue;
		uint8_t *want = NULL, *got = NULL;
		size_t wlen = 0, glen = 0;
		bool own = false;
		if (o != NULL && o->changes != NULL) {
			want = o->changes[i].sd;
			wlen = o->changes[i].sd_len;
		} else if (o != NULL && o->manifest_sds && f->sddl != NULL &&
			   parent_sd(fs, f->dest, &pc) == GUEST_OK) {
			own = sd_inherit_bytes(pc.sd, pc.len, f->sddl, false,
					       &want, &wlen, NULL) == SD_OK;
		}
		if (want == NULL)
			continue;
		char what[600];
		snprintf(what, sizeof(what), "security descriptor of %s",
			 f->dest);
		int e = guest_fs_get_sd(fs, f->dest, &got, &glen);
		if (e == GUEST_E_NOENT && !guest_fs_exists(fs, f->dest)) {
			/* check_files reports the file missing */
		} else if (e != GUEST_OK) {
			svc_int_verify_add(res, what, "readable",
					   guest_fs_errmsg(fs));
		} else if (!sd_same(want, wlen, got, glen)) {
			char *ws = svc_int_sd_text(want, wlen);
			char *gs = svc_int_sd_text(got, glen);
			svc_int_verify_add(res, what, ws ? ws : "?",
					   gs ? gs : "?");
			free(ws);
			free(gs);
		}
		free(got);
		if (own)
			free(want);
	}
	cache_free(&pc);
}

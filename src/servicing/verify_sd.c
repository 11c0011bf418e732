/*
 * verify_sd.c - the security descriptors in verify (issue 17).
 *
 * Right after an apply, each file's descriptor is compared with the one
 * apply gave it (its svc_file_change).  On its own, `hvoffline verify`
 * has no such memory: it reads the undo data of the newest apply in the
 * guest's record folder, whose sd lines (services_undo.h) name the rule
 * apply used for every file and directory it created or replaced, and
 * computes each descriptor again by that rule (svc_int_sd_expected):
 *
 *   manifest   the manifest's SDDL (kept in the line) combined with what
 *              the parent passes on now;
 *   previous   the descriptor the file had before (kept in the line);
 *   inherited  what the parent passes on now;
 *   store      the record folder's SYSTEM-and-Administrators descriptor.
 *
 * A plan file with a manifest SDDL that no sd line covers (a guest
 * serviced by an older hvoffline, or no record at all) is checked by the
 * manifest rule.  Each difference names the object and gives the
 * expected and the found descriptor as SDDL.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "servicing/apply_int.h"
#include "servicing/services_guest.h"
#include "servicing/services_undo.h"

/* Compares @path's descriptor with @want (@wlen bytes). */
static void compare(struct guest_fs *fs, const char *path, const uint8_t *want,
		    size_t wlen, struct svc_verify_result *res)
{
	char what[600];
	snprintf(what, sizeof(what), "security descriptor of %s", path);
	uint8_t *got = NULL;
	size_t glen = 0;
	int e = guest_fs_get_sd(fs, path, &got, &glen);
	if (e == GUEST_E_UNSUPPORTED) {
		/* a backend that keeps none: nothing to compare */
	} else if (e == GUEST_E_NOENT && !guest_fs_exists(fs, path)) {
		/* check_files reports a planned file missing; the first-boot
		 * step removes its own */
	} else if (e != GUEST_OK) {
		svc_int_verify_add(res, what, "readable", guest_fs_errmsg(fs));
	} else if (!svc_int_sd_same(want, wlen, got, glen)) {
		char *ws = svc_int_sd_text(want, wlen);
		char *gs = svc_int_sd_text(got, glen);
		svc_int_verify_add(res, what, ws ? ws : "?", gs ? gs : "?");
		free(ws);
		free(gs);
	}
	free(got);
}

/* The undo data of the newest apply in the record folder, into @u;
 * false when there is none (or it cannot be read: then a difference). */
static bool newest_apply(struct guest_fs *fs, const char *systemroot,
			 struct svc_undo *u, struct svc_verify_result *res)
{
	char **paths = NULL;
	size_t n = 0;
	bool found = false;
	memset(u, 0, sizeof(*u));
	if (svc_int_record_list(fs, systemroot, &paths, &n) != GUEST_OK)
		return false;
	/* The newest undo file named after an apply; one that cannot be
	 * read is a difference (not a reason to judge by an older one). */
	for (size_t i = n; i-- > 0;) {
		const char *b = strrchr(paths[i], '\\');
		if (strncmp(b ? b + 1 : paths[i], "apply-", 6) != 0)
			continue;
		uint8_t *buf = NULL;
		size_t len = 0;
		struct svc_error err = { 0 };
		int e = guest_fs_read(fs, paths[i], SVC_UNDO_MAX_BYTES, &buf,
				      &len);
		if (e != GUEST_OK)
			svc_int_verify_add(res, paths[i], "readable",
					   guest_fs_errmsg(fs));
		else if (svc_undo_parse(buf, len, u, &err) != SVC_OK)
			svc_int_verify_add(res, paths[i], "valid undo data",
					   svc_int_errtext(&err));
		else
			found = true;
		svc_int_error_clear(&err);
		free(buf);
		break;
	}
	guest_names_free(paths, n);
	return found;
}

/* Whether @u has an sd line for @path. */
static bool covered(const struct svc_undo *u, const char *path)
{
	for (size_t k = 0; k < u->n; k++)
		if (u->ops[k].kind == SVC_UNDO_SD &&
		    strcasecmp(u->ops[k].path, path) == 0)
			return true;
	return false;
}

/* Every sd line of @u, by its rule. */
static void check_recorded(struct guest_fs *fs, const struct svc_undo *u,
			   struct svc_verify_result *res)
{
	struct parent_cache pc = { 0 };
	for (size_t k = 0; k < u->n; k++) {
		const struct svc_undo_op *op = &u->ops[k];
		if (op->kind != SVC_UNDO_SD)
			continue;
		uint8_t *want = NULL;
		size_t wlen = 0;
		char why[600];
		int r = svc_int_sd_expected(fs, op->path, op->rule, op->is_dir,
					    op->data, op->len, &pc, &want,
					    &wlen, why, sizeof(why));
		res->nchecked++;
		if (r < 0) {
			char what[600];
			snprintf(what, sizeof(what),
				 "security descriptor of %s (%s)", op->path,
				 op->rule);
			svc_int_verify_add(res, what, "computable", why);
		} else if (r == 0) {
			compare(fs, op->path, want, wlen, res);
		}
		free(want);
	}
	svc_int_parent_cache_free(&pc);
}

void svc_int_sd_verify(struct guest_fs *fs, const struct svc_plan *p,
		       const struct svc_verify_opts *o,
		       struct svc_verify_result *res)
{
	if (o == NULL || (o->changes == NULL && !o->manifest_sds))
		return;
	struct svc_undo u;
	memset(&u, 0, sizeof(u));
	if (o->changes == NULL && newest_apply(fs, p->systemroot, &u, res))
		check_recorded(fs, &u, res);
	struct parent_cache pc = { 0 };
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct svc_plan_file *f = &p->files[i];
		if (f->role == SVC_ROLE_FIRSTBOOT && res->firstboot_done)
			continue;
		uint8_t *want = NULL;
		size_t wlen = 0;
		bool own = false;
		if (o->changes != NULL) {
			want = o->changes[i].sd;
			wlen = o->changes[i].sd_len;
		} else if (f->sddl != NULL && !covered(&u, f->dest)) {
			char why[600];
			own = svc_int_sd_expected(
				      fs, f->dest, "manifest", false,
				      (const uint8_t *)f->sddl, strlen(f->sddl),
				      &pc, &want, &wlen, why, sizeof(why)) == 0;
		}
		if (want != NULL)
			compare(fs, f->dest, want, wlen, res);
		if (own)
			free(want);
	}
	svc_int_parent_cache_free(&pc);
	svc_undo_free(&u);
}

/*
 * apply.c - carrying out a plan (see apply.h for the three phases and why
 * they make a failure leave the guest as it was).
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

#include "cab/cab.h"
#include "registry/reg.h"
#include "servicing/apply.h"
#include "servicing/apply_int.h"
#include "servicing/rollback_keep.h"
#include "util/sha256.h"

/* ------------------------------------------------------------------ */
/* Apply.                                                              */
/* ------------------------------------------------------------------ */

/* The SHA-256 and size of what plan file @f will hold: the cabinet's
 * (from the package's one read of it), an extracted entry's (checked
 * against the plan), a guest file's (read now into *@copy) or the
 * text's. */
static enum svc_err new_content(struct guest_fs *fs,
				const struct svc_apply_opts *opts,
				const struct svc_plan_file *f, const char *host,
				uint8_t **copy, size_t *copy_len,
				uint8_t sha[32], uint64_t *size,
				struct svc_apply_result *res)
{
	int e;
	size_t len;
	switch (f->source) {
	case SVC_SRC_CABINET:
		if (opts->pkg == NULL)
			return svc_int_apply_fail(res, SVC_ERR_INVALID,
						  "%s: no package to stage",
						  f->dest);
		memcpy(sha, opts->pkg->cab_sha256, 32);
		*size = opts->pkg->cab_size;
		break;
	case SVC_SRC_CAB_ENTRY:
		if ((e = hvo_int_sha256_file(host, sha, size)) != 0)
			return svc_int_apply_fail(res, SVC_ERR_GUEST, "%s: %s",
						  host, strerror(e));
		break;
	case SVC_SRC_GUEST_FILE:
		e = guest_fs_read(fs, f->from, GUEST_READ_MAX, copy, &len);
		if (e != GUEST_OK)
			return svc_int_apply_fail(res, svc_int_guest_err(e),
						  "%s", guest_fs_errmsg(fs));
		hvo_int_sha256_buf(*copy, len, sha);
		*size = *copy_len = len;
		return SVC_OK;
	case SVC_SRC_TEXT:
		memcpy(sha, f->sha256, 32);
		*size = f->text_len;
		return SVC_OK;
	default:
		return SVC_OK;
	}
	if (f->has_sha256 && memcmp(sha, f->sha256, 32) != 0)
		return svc_int_apply_fail(
			res, SVC_ERR_CORRUPT,
			"%s: %s does not match the SHA-256 the package gives",
			opts->pkg->source,
			f->cab_entry ? f->cab_entry : "the cabinet");
	return SVC_OK;
}

enum svc_err svc_apply(struct guest_fs *fs, const struct svc_plan *p,
		       const struct svc_apply_opts *opts,
		       struct svc_apply_result *res)
{
	memset(res, 0, sizeof(*res));
	struct hive_work hives[SVC_NHIVES];
	memset(hives, 0, sizeof(hives));
	struct txn t = { .fs = fs, .opts = opts };
	char **host = NULL;
	uint8_t **guest_copies = NULL;
	size_t *guest_copy_len = NULL;
	struct guest_digest *prev = NULL;
	enum svc_err rc = SVC_OK;
	char *dir = NULL;

	res->nfiles = p->nfiles;
	res->files = calloc(p->nfiles ? p->nfiles : 1, sizeof(*res->files));
	res->nregs = p->nregs;
	res->regs = calloc(p->nregs ? p->nregs : 1, sizeof(*res->regs));
	guest_copies = calloc(p->nfiles ? p->nfiles : 1, sizeof(*guest_copies));
	guest_copy_len =
		calloc(p->nfiles ? p->nfiles : 1, sizeof(*guest_copy_len));
	if (res->files == NULL || res->regs == NULL || guest_copies == NULL ||
	    guest_copy_len == NULL) {
		rc = svc_int_apply_fail(res, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (guest_fs_readonly(fs)) {
		rc = svc_int_apply_fail(
			res, SVC_ERR_REFUSED,
			"%s: the Windows volume is mounted read-only",
			guest_fs_name(fs));
		goto out;
	}
	/* An earlier run that died while switching must be cleaned up
	 * first (svc_apply_recover(), which the session runs once, before
	 * it inspects the guest again): this plan was made from the facts
	 * of a whole guest. */
	if ((t.journal = svc_apply_journal_path(p->systemroot)) == NULL) {
		rc = svc_int_apply_fail(res, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (guest_fs_exists(fs, t.journal)) {
		rc = svc_int_apply_fail(
			res, SVC_ERR_REFUSED,
			"%s: an interrupted earlier run needs cleaning up "
			"first",
			t.journal);
		goto out;
	}

	/* ---- 1. Prepare, on the host. ---- */
	svc_int_apply_progress(opts, "extracting the package");
	if (asprintf(&dir, "%s/package", opts->tmpdir) < 0) {
		dir = NULL;
		rc = svc_int_apply_fail(res, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = svc_int_apply_fail(res, SVC_ERR_IO, "%s: %s", dir,
					strerror(errno));
		goto out;
	}
	rc = svc_int_extract(p, opts->pkg, dir, &host, &res->error);
	if (rc != SVC_OK)
		goto out;
	svc_int_apply_progress(opts, "reading the files the package replaces");
	/* Every destination at once: what is there, and its SHA-256. */
	const char **dests = calloc(p->nfiles ? p->nfiles : 1, sizeof(*dests));
	prev = calloc(p->nfiles ? p->nfiles : 1, sizeof(*prev));
	if (dests == NULL || prev == NULL) {
		free(dests);
		rc = svc_int_apply_fail(res, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->nfiles; i++)
		dests[i] = p->files[i].dest;
	int pe = guest_fs_sha256_many(fs, dests, p->nfiles, prev);
	free(dests);
	if (pe != GUEST_OK) {
		rc = svc_int_apply_fail(res, svc_int_guest_err(pe), "%s",
					guest_fs_errmsg(fs)[0]
						? guest_fs_errmsg(fs)
						: guest_strerror(pe));
		goto out;
	}
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct svc_plan_file *f = &p->files[i];
		struct svc_file_change *c = &res->files[i];
		c->file = f;
		uint8_t sha[32] = { 0 };
		uint64_t size = 0;
		rc = new_content(fs, opts, f, host[i], &guest_copies[i],
				 &guest_copy_len[i], sha, &size, res);
		if (rc != SVC_OK)
			goto out;
		c->existed = prev[i].exists;
		c->prev_size = prev[i].size;
		memcpy(c->prev_sha256, prev[i].sha256, 32);
		/* The record is always new; the rest only when it differs. */
		c->written = f->source == SVC_SRC_RECORD || !c->existed ||
			     c->prev_size != size ||
			     memcmp(c->prev_sha256, sha, 32) != 0;
	}
	rc = svc_int_sd_previous(fs, p, res);
	if (rc != SVC_OK)
		goto out;

	/* The hives to edit (recovered from their logs first, when dirty),
	 * counted as items. */
	uint64_t nhives = 0, hives_done = 0;
	for (int hv = 0; hv < SVC_NHIVES; hv++)
		for (size_t i = 0; i < p->nregs; i++)
			if (p->regs[i].hive == (enum svc_hive)hv) {
				nhives++;
				break;
			}
	if (opts->count != NULL && nhives > 0)
		opts->count(opts->count_ctx, "editing hives", 0, nhives, false);
	for (int hv = 0; hv < SVC_NHIVES; hv++) {
		bool need = false;
		for (size_t i = 0; i < p->nregs && !need; i++)
			need = p->regs[i].hive == (enum svc_hive)hv;
		if (!need)
			continue;
		if (opts->count != NULL && hives_done > 0)
			opts->count(opts->count_ctx, "editing hives",
				    hives_done, nhives, false);
		hives_done++;
		svc_int_apply_progress(opts, "editing the %s hive",
				       svc_hive_name((enum svc_hive)hv));
		rc = svc_int_apply_hive_open(fs, p, (enum svc_hive)hv,
					     opts->tmpdir, &hives[hv], res);
		if (rc != SVC_OK)
			goto out;
		for (size_t i = 0; i < p->nregs; i++) {
			if (p->regs[i].hive != (enum svc_hive)hv)
				continue;
			int e = svc_int_reg_op(hives[hv].h, &p->regs[i],
					       &res->regs[i]);
			if (e != REG_OK) {
				char *d = svc_plan_reg_describe(&p->regs[i]);
				rc = svc_int_apply_fail(
					res, svc_int_reg_err(e), "%s: %s: %s",
					hives[hv].guest, d ? d : "",
					reg_errmsg(hives[hv].h));
				free(d);
				goto out;
			}
			if (res->regs[i].changed) {
				hives[hv].changes++;
				res->regs_changed++;
			}
		}
		if (hives[hv].changes == 0)
			continue;
		int e = reg_commit_to(hives[hv].h, hives[hv].host_new);
		if (e != REG_OK) {
			rc = svc_int_apply_fail(res, svc_int_reg_err(e),
						"%s: %s", hives[hv].guest,
						reg_errmsg(hives[hv].h));
			goto out;
		}
	}

	if (opts->count != NULL && nhives > 0)
		opts->count(opts->count_ctx, "editing hives", nhives, nhives,
			    false);

	char *record = svc_int_make_record(p, res);
	if (record == NULL) {
		rc = svc_int_apply_fail(res, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	res->record_json = record;

	/* What goes into the guest, in switch order: files, then SOFTWARE,
	 * then SYSTEM (the hive Windows needs to boot comes last). */
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct svc_plan_file *f = &p->files[i];
		struct svc_file_change *c = &res->files[i];
		if (!c->written)
			continue;
		int e = 0;
		switch (f->source) {
		case SVC_SRC_CAB_ENTRY:
			e = svc_int_item_add(&t, f->dest, c->existed, host[i],
					     NULL, 0);
			break;
		case SVC_SRC_CABINET:
			e = svc_int_item_add(&t, f->dest, c->existed, NULL,
					     opts->pkg->cab_data,
					     opts->pkg->cab_size);
			break;
		case SVC_SRC_TEXT:
			e = svc_int_item_add(&t, f->dest, c->existed, NULL,
					     f->text, f->text_len);
			break;
		case SVC_SRC_GUEST_FILE:
			e = svc_int_item_add(&t, f->dest, c->existed, NULL,
					     guest_copies[i],
					     guest_copy_len[i]);
			break;
		case SVC_SRC_RECORD:
			e = svc_int_item_add(&t, f->dest, c->existed, NULL,
					     (const uint8_t *)record,
					     strlen(record));
			break;
		}
		if (e != 0) {
			rc = svc_int_apply_fail(res, SVC_ERR_NOMEM,
						"out of memory");
			goto out;
		}
		t.items[t.n - 1].change = c;
		t.items[t.n - 1].sddl = f->sddl;
	}
	for (int hv = SVC_HIVE_SOFTWARE; hv >= SVC_HIVE_SYSTEM; hv--) {
		if (!hives[hv].used || hives[hv].changes == 0)
			continue;
		if (svc_int_item_add(&t, hives[hv].guest, true,
				     hives[hv].host_new, NULL, 0) != 0) {
			rc = svc_int_apply_fail(res, SVC_ERR_NOMEM,
						"out of memory");
			goto out;
		}
	}

	/* ---- 2. Stage, in the guest. ---- */
	svc_int_apply_progress(
		opts, "writing %zu files and %d hives under temporary names",
		t.n, (hives[0].changes > 0) + (hives[1].changes > 0));
	rc = svc_int_stage(&t, p, res);
	if (rc != SVC_OK)
		goto out;

	/* ---- 3. Switch. ---- */
	svc_int_apply_progress(opts, "switching %zu files into place", t.n);
	rc = svc_int_switch_all(&t, res);
	if (rc != SVC_OK)
		goto out;
	res->guest_changed = true;
	for (size_t i = 0; i < p->nfiles; i++)
		res->files_written += res->files[i].written;
	for (int hv = 0; hv < SVC_NHIVES; hv++)
		res->hive_written[hv] = hives[hv].used && hives[hv].changes > 0;

	/* The set-aside originals are kept for rollback (or go); a failure
	 * here changes nothing that matters and is reported. */
	if (svc_int_rollback_keep(fs, p, &t, hives, res) != 0) {
		rc = svc_int_apply_fail(res, SVC_ERR_GUEST, "killed (test)");
		goto out; /* dead: no clean-up, the journal stays */
	}
	svc_int_journal_remove(&t);
	/* The clean-up needs no flush of its own (under TCG a flush costs
	 * half a second): everything that matters was flushed after the
	 * switch, a run that dies before the clean-up reaches the disk
	 * leaves its journal and the next run removes the leftovers, and
	 * unmounting flushes the rest (a failure then fails the run). */
	/* A hive recovered from its logs is now clean, with sequence
	 * numbers above every log entry: Windows ignores the logs of a
	 * clean hive, and they are emptied as registry/ does after an
	 * in-place recovery (reg_logs_after_commit). */
	for (int hv = 0; hv < SVC_NHIVES; hv++) {
		if (!res->hive_written[hv] || !res->hive_recovered[hv])
			continue;
		for (int k = 0; k < 3; k++) {
			if (!hives[hv].log_present[k])
				continue;
			char *g;
			if (asprintf(&g, "%s%s", hives[hv].guest,
				     svc_int_log_suffix[k]) < 0)
				continue;
			if (guest_fs_write_atomic(fs, g, "", 0) != GUEST_OK)
				svc_int_apply_warn(
					res, "%s: could not empty the log: %s",
					g, guest_fs_errmsg(fs));
			free(g);
		}
	}

	/* ---- Verify. ---- */
	svc_int_apply_progress(opts, "verifying");
	struct svc_verify_opts vo = { .tmpdir = opts->tmpdir,
				      .pkg = opts->pkg,
				      .changes = res->files,
				      .count = opts->count,
				      .count_ctx = opts->count_ctx };
	if (svc_verify(fs, p, &vo, &res->verify) != SVC_OK ||
	    res->verify.ndiffs > 0)
		rc = svc_int_apply_fail(
			res, SVC_ERR_GUEST,
			"verification found %zu difference%s after writing",
			res->verify.ndiffs, res->verify.ndiffs == 1 ? "" : "s");
out:
	free(dir);
	for (int hv = 0; hv < SVC_NHIVES; hv++)
		svc_int_apply_hive_close(&hives[hv]);
	for (size_t i = 0; host && i < p->nfiles; i++)
		free(host[i]);
	free(host);
	for (size_t i = 0; guest_copies && i < p->nfiles; i++)
		free(guest_copies[i]);
	free(guest_copies);
	free(guest_copy_len);
	free(prev);
	svc_int_txn_free(&t);
	return rc;
}

void svc_apply_result_free(struct svc_apply_result *res)
{
	for (size_t i = 0; res->regs && i < res->nregs; i++)
		free(res->regs[i].prev_data);
	free(res->regs);
	for (size_t i = 0; res->files && i < res->nfiles; i++) {
		free(res->files[i].prev_sd);
		free(res->files[i].sd);
	}
	free(res->files);
	free(res->sd_skip_reason);
	free(res->record_json);
	for (size_t i = 0; i < res->nwarnings; i++)
		free(res->warnings[i]);
	free(res->warnings);
	svc_verify_result_free(&res->verify);
	svc_int_error_clear(&res->error);
	memset(res, 0, sizeof(*res));
}

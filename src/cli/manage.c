/*
 * manage.c - the option parsing and the run over the images that the
 * managing commands share (see manage.h).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/manage.h"
#include "guest/sandbox.h"
#include "servicing/rollback_recover.h"
#include "servicing/services_child.h"
#include "servicing/services_open.h"
#include "util/strv.h"
#include "util/tmpdir.h"

/* Bounds on the notes of a child's cleanup (cli_manage_image). */
#define NOTES_MAX 256
#define NOTE_MAX  4096

static void on_event(void *opaque, const char *what, const char *msg)
{
	struct cli_ctx *ctx = opaque;
	if (strcmp(what, "notice") == 0)
		cli_info(ctx, "appliance: %s", msg);
	else
		cli_debug(ctx, 1, "appliance: %s", msg);
}

void cli_manage_opts_init(struct cli_ctx *ctx, struct cli_manage_opts *mo)
{
	memset(mo, 0, sizeof(*mo));
	mo->ro.guest.event = on_event;
	mo->ro.guest.event_ctx = ctx;
}

int cli_manage_option(struct cli_ctx *ctx, int c, const char *help,
		      struct cli_manage_opts *mo)
{
	if (c == 'h') {
		fputs(help, stdout);
		return 0;
	}
	if (c == 'j' || c == CLI_OPT_BACKEND) {
		/* Parsed as inspect, apply and verify parse them. */
		struct svc_session_opts so = { 0 };
		if (cli_session_option(ctx, c, optarg, &so) != 1)
			return -1;
		if (c == 'j')
			mo->jobs = so.jobs;
		else
			mo->ro.guest.backend = so.backend;
		return 1;
	}
	return cli_launch_option(ctx, c, optarg, &mo->ro.guest.launch) == 1
		       ? 1
		       : -1;
}

/* Before a command writes: what an interrupted earlier run left is
 * finished or removed, and noted in @st.  0, or -1 with @st failed. */
static int recover(struct guest_fs *fs, const char *systemroot,
		   struct cli_manage_image *st)
{
	struct svc_recovery rec;
	struct svc_error err = { 0 };
	enum svc_err e = svc_int_recover(fs, systemroot, &rec, &err);
	for (size_t i = 0; i < rec.nnotes; i++)
		hvo_int_strv_appendf(&st->notes, &st->nnotes, "%s",
				     rec.notes[i]);
	svc_int_recovery_free(&rec);
	if (e == SVC_OK)
		return 0;
	st->exit = HVO_EXIT_FAILED;
	snprintf(st->error, sizeof(st->error),
		 "cleaning up after an interrupted earlier run: %s",
		 svc_int_errtext(&err));
	svc_int_error_clear(&err);
	return -1;
}

/* Runs @cmd's step on image @i, whose Windows volume is image @k of @m
 * (see cli_manage_run), with the scratch directory @dir. */
static void run_one(const struct cli_manage_cmd *cmd, struct svc_manage *m,
		    size_t k, size_t i, const char *image, const char *dir,
		    struct cli_manage_image *st)
{
	struct guest_fs *fs;
	struct svc_error err = { 0 };
	enum svc_err e = svc_manage_fs(m, k, cmd->write, &fs, &err);
	st->exit = svc_exit_class(e);
	if (e != SVC_OK) {
		snprintf(st->error, sizeof(st->error), "%s",
			 svc_int_errtext(&err));
		svc_int_error_clear(&err);
		return;
	}
	if (cmd->write && recover(fs, m->facts[k].systemroot, st) != 0)
		return;
	const struct cli_manage_target t = { image, fs, m->facts[k].systemroot,
					     dir };
	const char *msg = NULL;
	st->exit = cmd->step(cmd->opaque, i, &t, &msg);
	if (st->exit != HVO_EXIT_OK && msg != NULL)
		snprintf(st->error, sizeof(st->error), "%s", msg);
}

/* ---- the native backend: a sandboxed child per image ---- */

struct native_run {
	struct cli_ctx *ctx;
	const struct cli_manage_cmd *cmd;
	const char *const *images;
	size_t n;
	struct cli_manage_image *st;
};

static void native_step(void *opaque, size_t i, struct svc_manage *m,
			bool opened, const char *dir)
{
	struct native_run *nr = opaque;
	struct cli_manage_image *st = &nr->st[i];
	if (!opened) {
		st->exit = HVO_EXIT_FAILED;
		snprintf(st->error, sizeof(st->error), "cannot be opened: %s",
			 svc_manage_errmsg(m));
		return;
	}
	run_one(nr->cmd, m, 0, i, nr->images[i], dir, st);
}

static void native_put(void *opaque, size_t i, bool closed_ok,
		       struct svc_mwire *w)
{
	struct native_run *nr = opaque;
	struct cli_manage_image *st = &nr->st[i];
	if (!closed_ok && nr->cmd->write && st->exit == HVO_EXIT_OK) {
		st->exit = HVO_EXIT_FAILED;
		snprintf(st->error, sizeof(st->error),
			 "the image was not closed cleanly: its changes may "
			 "be lost");
	}
	svc_int_mw_u(w, st->exit);
	svc_int_mw_s(w, st->error);
	svc_int_mw_u(w, st->nnotes);
	for (size_t k = 0; k < st->nnotes; k++)
		svc_int_mw_s(w, st->notes[k]);
	nr->cmd->put(nr->cmd->opaque, i, w);
}

static void native_get(void *opaque, size_t i, struct svc_mread *r,
		       const char *why)
{
	struct native_run *nr = opaque;
	struct cli_manage_image *st = &nr->st[i];
	cli_progress(nr->ctx, i, nr->n, nr->images[i], nr->cmd->doing);
	if (r != NULL) {
		st->exit = (enum hvo_exit)svc_int_mr_max(r, HVO_EXIT_WARNING);
		svc_int_mr_buf(r, st->error, sizeof(st->error));
		size_t nn = (size_t)svc_int_mr_max(r, NOTES_MAX);
		for (size_t k = 0; k < nn && !r->bad; k++) {
			char *s = svc_int_mr_s(r, NOTE_MAX);
			if (s != NULL)
				hvo_int_strv_appendf(&st->notes, &st->nnotes,
						     "%s", s);
			free(s);
		}
		nr->cmd->get(nr->cmd->opaque, i, r);
		return;
	}
	nr->cmd->get(nr->cmd->opaque, i, NULL);
	st->exit = HVO_EXIT_FAILED;
	snprintf(st->error, sizeof(st->error), "%s", why);
}

static void native_run(struct cli_ctx *ctx, const struct cli_manage_cmd *cmd,
		       struct cli_manage_opts *mo, const char *tmpdir,
		       const char *const *images, size_t n,
		       struct cli_manage_image *st)
{
	struct native_run nr = { ctx, cmd, images, n, st };
	const struct svc_manage_jobs j = {
		.ro = &mo->ro,
		.write = cmd->write,
		.images = images,
		.n = n,
		.jobs = mo->jobs,
		.tmpdir = tmpdir,
		.read_extra = cmd->read_extra,
		.nread_extra = cmd->nread_extra,
		.step = native_step,
		.put = native_put,
		.get = native_get,
		.opaque = &nr,
		.test_forbidden_call = -1,
	};
	if (guest_sandbox_landlock() == 0)
		cli_warn(ctx, NULL,
			 "this kernel has no Landlock: the sandboxed children "
			 "may open any file you can (doc/security.md)");
	svc_manage_children(&j);
}

/* ---- the appliance: one launch for every image ---- */

static enum hvo_exit launch_run(struct cli_ctx *ctx,
				const struct cli_manage_cmd *cmd,
				struct cli_manage_opts *mo, const char *tmpdir,
				const char *const *images, size_t n,
				struct cli_manage_image *st)
{
	enum hvo_exit rc = HVO_EXIT_OK;
	struct svc_manage m;
	if (svc_manage_open(&mo->ro, cmd->write, images, n, &m) != 0) {
		cli_error(ctx, "appliance", "launch failed: %s",
			  svc_manage_errmsg(&m));
		rc = HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		char dir[1100];
		snprintf(dir, sizeof(dir), "%s/image-%zu", tmpdir, i);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			st[i].exit = HVO_EXIT_FAILED;
			snprintf(st[i].error, sizeof(st[i].error), "%s: %s",
				 dir, strerror(errno));
			continue;
		}
		cli_progress(ctx, i, n, images[i], cmd->doing);
		run_one(cmd, &m, i, i, images[i], dir, &st[i]);
	}
	if (svc_manage_close(&m) != 0) {
		cli_error(ctx, "appliance", "did not shut down cleanly");
		rc = HVO_EXIT_FAILED;
		for (size_t i = 0; cmd->write && i < n; i++)
			if (st[i].exit == HVO_EXIT_OK)
				st[i].exit = HVO_EXIT_FAILED;
	}
	return rc;
}

enum hvo_exit cli_manage_run(struct cli_ctx *ctx,
			     const struct cli_manage_cmd *cmd,
			     struct cli_manage_opts *mo,
			     const char *const *images, size_t n,
			     struct cli_manage_image *st)
{
	char *tmpdir = NULL;
	int e = hvo_int_tmpdir_create(cmd->what, &tmpdir);
	if (e != 0) {
		cli_error(ctx, NULL, "cannot make a scratch directory: %s",
			  strerror(e));
		return HVO_EXIT_FAILED;
	}
	mo->ro.tmpdir = tmpdir;
	enum hvo_exit rc = HVO_EXIT_OK;
	if (guest_backend_is_native(mo->ro.guest.backend))
		native_run(ctx, cmd, mo, tmpdir, images, n, st);
	else
		rc = launch_run(ctx, cmd, mo, tmpdir, images, n, st);
	cli_progress(ctx, n, n, NULL, "done");
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < st[i].nnotes; k++) {
			cli_warn(ctx, images[i], "%s", st[i].notes[k]);
			free(st[i].notes[k]);
		}
		free(st[i].notes);
		st[i].notes = NULL;
		st[i].nnotes = 0;
		rc = hvo_exit_max(rc, st[i].exit);
		if (st[i].exit != HVO_EXIT_OK && st[i].error[0] != '\0')
			cli_error(ctx, images[i], "%s", st[i].error);
	}
	hvo_int_tmpdir_remove(tmpdir);
	free(tmpdir);
	mo->ro.tmpdir = NULL;
	return rc;
}

void *cli_manage_alloc(struct cli_ctx *ctx, size_t n, size_t size,
		       struct cli_manage_image **st)
{
	void *out = calloc(n, size);
	*st = calloc(n, sizeof(**st));
	if (out != NULL && *st != NULL)
		return out;
	free(out);
	free(*st);
	*st = NULL;
	cli_error(ctx, NULL, "out of memory");
	return NULL;
}

bool cli_manage_get_ran(struct svc_mread *r, bool *ran)
{
	*ran = r != NULL && svc_int_mr_max(r, 1) != 0;
	return r != NULL;
}

void cli_manage_json_begin(struct cli_ctx *ctx, struct json_writer *w,
			   const char *command, enum hvo_exit rc, bool dry_run)
{
	cli_json_begin(ctx, w);
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "command", command);
	hvo_int_json_kv_int(w, "exit_code", rc);
	hvo_int_json_kv_bool(w, "dry_run", dry_run);
	hvo_int_json_key(w, "images");
	hvo_int_json_begin_array(w);
}

void cli_manage_json_image(struct json_writer *w, const char *image,
			   const struct cli_manage_image *st)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "image", image);
	hvo_int_json_kv_int(w, "exit_code", st->exit);
	hvo_int_json_kv_string(w, "error", st->exit ? st->error : NULL);
}

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
#include "servicing/services_open.h"
#include "util/tmpdir.h"

static void on_event(void *opaque, const char *what, const char *msg)
{
	struct cli_ctx *ctx = opaque;
	if (strcmp(what, "notice") == 0)
		cli_info(ctx, "appliance: %s", msg);
	else
		cli_debug(ctx, 1, "appliance: %s", msg);
}

void cli_manage_opts_init(struct cli_ctx *ctx, struct svc_run_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->guest.event = on_event;
	ro->guest.event_ctx = ctx;
}

int cli_manage_option(struct cli_ctx *ctx, int c, const char *help,
		      struct svc_run_opts *ro)
{
	if (c == 'h') {
		fputs(help, stdout);
		return 0;
	}
	return cli_launch_option(ctx, c, optarg, &ro->guest.launch) == 1 ? 1
									 : -1;
}

/* Runs @step on image @i (see cli_manage_run). */
static void run_one(struct cli_ctx *ctx, const char *doing,
		    struct svc_manage *m, size_t i, size_t n, bool write,
		    const char *image, const char *tmpdir,
		    struct cli_manage_image *st, cli_manage_step step,
		    void *opaque)
{
	struct guest_fs *fs;
	st->exit =
		svc_manage_fs(m, i, write, &fs, st->error, sizeof(st->error));
	if (st->exit != HVO_EXIT_OK)
		return;
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/image-%zu", tmpdir, i);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		st->exit = HVO_EXIT_FAILED;
		snprintf(st->error, sizeof(st->error), "%s: %s", dir,
			 strerror(errno));
		return;
	}
	cli_progress(ctx, i, n, image, doing);
	const struct cli_manage_target t = { image, fs, m->facts[i].systemroot,
					     dir };
	const char *msg = NULL;
	st->exit = step(opaque, i, &t, &msg);
	if (st->exit != HVO_EXIT_OK && msg != NULL)
		snprintf(st->error, sizeof(st->error), "%s", msg);
}

enum hvo_exit cli_manage_run(struct cli_ctx *ctx, const char *what,
			     const char *doing, struct svc_run_opts *ro,
			     bool write, const char *const *images, size_t n,
			     struct cli_manage_image *st, cli_manage_step step,
			     void *opaque)
{
	char *tmpdir = NULL;
	int e = hvo_int_tmpdir_create(what, &tmpdir);
	if (e != 0) {
		cli_error(ctx, NULL, "cannot make a scratch directory: %s",
			  strerror(e));
		return HVO_EXIT_FAILED;
	}
	ro->tmpdir = tmpdir;
	enum hvo_exit rc = HVO_EXIT_OK;
	struct svc_manage m;
	if (svc_manage_open(ro, write, images, n, &m) != 0) {
		cli_error(ctx, "appliance", "launch failed: %s",
			  svc_manage_errmsg(&m));
		rc = HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++)
		run_one(ctx, doing, &m, i, n, write, images[i], tmpdir, &st[i],
			step, opaque);
	cli_progress(ctx, n, n, NULL, "done");
	if (svc_manage_close(&m) != 0) {
		cli_error(ctx, "appliance", "did not shut down cleanly");
		rc = HVO_EXIT_FAILED;
		for (size_t i = 0; write && i < n; i++)
			if (st[i].exit == HVO_EXIT_OK)
				st[i].exit = HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		rc = hvo_exit_max(rc, st[i].exit);
		if (st[i].exit != HVO_EXIT_OK && st[i].error[0] != '\0')
			cli_error(ctx, images[i], "%s", st[i].error);
	}
	hvo_int_tmpdir_remove(tmpdir);
	free(tmpdir);
	ro->tmpdir = NULL;
	return rc;
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

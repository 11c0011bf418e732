/*
 * cmd_rollback.c - `hvoffline rollback`: undo the last apply and every
 * recorded change made after it (services, reg --image), from the undo
 * data kept in the guest beside each record.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "servicing/rollback.h"
#include "servicing/services_open.h"
#include "util/tmpdir.h"

const char cmd_rollback_help[] =
	"Usage: hvoffline rollback IMAGE... [--force] [--dry-run] [--json]\n"
	"                          [launch options]\n"
	"\n"
	"Return each image's Windows to its state before the last apply: "
	"undo, newest\n"
	"first, every change recorded in %SystemRoot%\\Logs\\hvoffline since "
	"(and\n"
	"including) that apply (services --enable/--disable, reg --image), "
	"from the\n"
	"previous values and hives kept beside the records.  Hives are "
	"written back\n"
	"crash-safely; the undone records are renamed *.undone and a "
	"rollback record\n"
	"is written, so a second rollback has nothing to do.\n"
	"\n"
	"Options:\n"
	"  --force           undo even though the guest changed since (it "
	"booted)\n"
	"  --dry-run         say what would be undone, change "
	"nothing\n" CLI_LAUNCH_HELP "\n"
	"Exit status: 0 undone or nothing to do, 1 failed, 3 no Windows, 4 "
	"refused\n"
	"(the guest changed since, unsafe or in use), 5 corrupt record or "
	"hive.\n";

static void on_event(void *opaque, const char *what, const char *msg)
{
	struct cli_ctx *ctx = opaque;
	if (strcmp(what, "notice") == 0)
		cli_info(ctx, "appliance: %s", msg);
	else
		cli_debug(ctx, 1, "appliance: %s", msg);
}

struct image_out {
	enum hvo_exit exit;
	char error[1200];
	bool ran;
	struct svc_rollback_result res;
};

enum hvo_exit cmd_rollback(struct cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_FORCE = 0x100,
		OPT_DRY_RUN,
	};
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		CLI_LAUNCH_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct svc_run_opts ro = {
		.guest = { .event = on_event, .event_ctx = ctx },
	};
	bool force = false, dry_run = false;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_FORCE:
			force = true;
			continue;
		case OPT_DRY_RUN:
			dry_run = true;
			continue;
		case 'h':
			fputs(cmd_rollback_help, stdout);
			return HVO_EXIT_OK;
		default:
			if (cli_launch_option(ctx, c, optarg,
					      &ro.guest.launch) == 1)
				continue;
			return HVO_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no image given");
	size_t n = (size_t)(argc - optind);
	const char *const *images = (const char *const *)argv + optind;
	struct image_out *out = calloc(n, sizeof(*out));
	char *tmpdir = NULL;
	int e = out ? hvo_int_tmpdir_create("rollback", &tmpdir) : ENOMEM;
	if (e != 0) {
		free(out);
		cli_error(ctx, NULL, "cannot make a scratch directory: %s",
			  strerror(e));
		return HVO_EXIT_FAILED;
	}
	ro.tmpdir = tmpdir;
	enum hvo_exit rc = HVO_EXIT_OK;
	struct svc_manage m;
	if (svc_manage_open(&ro, !dry_run, images, n, &m) != 0) {
		cli_error(ctx, "appliance", "launch failed: %s",
			  svc_manage_errmsg(&m));
		rc = HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		struct image_out *io = &out[i];
		struct guest_fs *fs;
		io->exit = svc_manage_fs(&m, i, !dry_run, &fs, io->error,
					 sizeof(io->error));
		if (io->exit != HVO_EXIT_OK)
			continue;
		char dir[1100];
		snprintf(dir, sizeof(dir), "%s/image-%zu", tmpdir, i);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			io->exit = HVO_EXIT_FAILED;
			snprintf(io->error, sizeof(io->error), "%s: %s", dir,
				 strerror(errno));
			continue;
		}
		cli_progress(ctx, i, n, images[i], "rolling back");
		struct svc_rollback_opts so = {
			.image = images[i],
			.systemroot = m.facts[i].systemroot,
			.tmpdir = dir,
			.force = force,
			.dry_run = dry_run,
		};
		io->exit = svc_rollback(fs, &so, &io->res);
		io->ran = true;
		if (io->exit != HVO_EXIT_OK)
			snprintf(io->error, sizeof(io->error), "%s",
				 io->res.error);
	}
	cli_progress(ctx, n, n, NULL, "done");
	if (svc_manage_close(&m) != 0) {
		cli_error(ctx, "appliance", "did not shut down cleanly");
		rc = HVO_EXIT_FAILED;
		for (size_t i = 0; !dry_run && i < n; i++)
			if (out[i].exit == HVO_EXIT_OK)
				out[i].exit = HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		rc = hvo_exit_max(rc, out[i].exit);
		if (out[i].exit != HVO_EXIT_OK)
			cli_error(ctx, images[i], "%s", out[i].error);
		for (size_t k = 0; k < out[i].res.nchanged; k++)
			cli_warn(ctx, images[i], "changed since: %s",
				 out[i].res.changed[k]);
	}
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "command", "rollback");
		hvo_int_json_kv_int(&w, "exit_code", rc);
		hvo_int_json_kv_bool(&w, "dry_run", dry_run);
		hvo_int_json_key(&w, "images");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < n; i++) {
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "image", images[i]);
			hvo_int_json_kv_int(&w, "exit_code", out[i].exit);
			hvo_int_json_kv_string(
				&w, "error", out[i].exit ? out[i].error : NULL);
			if (out[i].ran) {
				svc_rollback_result_json(&out[i].res, &w);
				hvo_int_json_kv_string(&w, "record",
						       out[i].res.record);
			}
			hvo_int_json_end_object(&w);
		}
		hvo_int_json_end_array(&w);
		hvo_int_json_end_object(&w);
		rc = cli_json_end(ctx, &w, rc);
	} else {
		for (size_t i = 0; i < n; i++) {
			const struct svc_rollback_result *r = &out[i].res;
			if (!out[i].ran || out[i].exit != HVO_EXIT_OK)
				continue;
			if (r->n == 0) {
				printf("%s: nothing to roll back\n", images[i]);
				continue;
			}
			printf("%s: %s %zu record%s (%zu values, %zu hives "
			       "restored)\n",
			       images[i], dry_run ? "would undo" : "undid",
			       r->n, r->n == 1 ? "" : "s", r->values_restored,
			       r->hives_restored);
			for (size_t k = 0; k < r->n; k++)
				printf("  %s %s (%zu operations)\n",
				       r->v[k].command, r->v[k].time,
				       r->v[k].nops);
			if (r->record != NULL)
				printf("  record: %s\n", r->record);
		}
	}
	for (size_t i = 0; i < n; i++)
		svc_rollback_result_free(&out[i].res);
	free(out);
	hvo_int_tmpdir_remove(tmpdir);
	free(tmpdir);
	return rc;
}

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
#include "cli/manage.h"
#include "servicing/rollback.h"

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
	"nothing\n" CLI_MANAGE_HELP "\n"
	"Exit status: 0 undone or nothing to do, 1 failed, 3 no Windows, 4 "
	"refused\n"
	"(the guest changed since, unsafe or in use), 5 corrupt record or "
	"hive.\n";

struct image_out {
	bool ran;
	struct svc_rollback_result res;
};

struct rollback_run {
	struct image_out *out;
	bool force, dry_run;
};

static enum hvo_exit rollback_step(void *opaque, size_t i,
				   const struct cli_manage_target *t,
				   const char **errmsg)
{
	struct rollback_run *rr = opaque;
	struct image_out *io = &rr->out[i];
	struct svc_rollback_opts so = {
		CLI_MANAGE_TARGET_OPTS(t),
		.force = rr->force,
		.dry_run = rr->dry_run,
	};
	enum hvo_exit x = svc_rollback(t->fs, &so, &io->res);
	io->ran = true;
	*errmsg = svc_rollback_errmsg(&io->res);
	return x;
}

/* Image @i's result, from its sandboxed child to the parent. */
static void rollback_put(void *opaque, size_t i, struct svc_mwire *w)
{
	struct rollback_run *rr = opaque;
	svc_int_mw_u(w, rr->out[i].ran);
	svc_int_mw_rollback(w, &rr->out[i].res);
}

static void rollback_get(void *opaque, size_t i, struct svc_mread *r)
{
	struct image_out *io = &((struct rollback_run *)opaque)->out[i];
	svc_rollback_result_free(&io->res);
	if (cli_manage_get_ran(r, &io->ran))
		svc_int_mr_rollback(r, &io->res);
}

enum hvo_exit cmd_rollback(struct cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_FORCE = 0x100,
		OPT_DRY_RUN,
	};
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		CLI_MANAGE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_manage_opts mo;
	cli_manage_opts_init(ctx, &mo);
	bool force = false, dry_run = false;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, CLI_MANAGE_SHORTOPTS,
			       longopts)) != -1) {
		switch (c) {
		case OPT_FORCE:
			force = true;
			continue;
		case OPT_DRY_RUN:
			dry_run = true;
			continue;
		default:
			if ((c = cli_manage_option(ctx, c, cmd_rollback_help,
						   &mo)) == 1)
				continue;
			return CLI_MANAGE_OPTION_EXIT(c);
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no image given");
	size_t n = (size_t)(argc - optind);
	const char *const *images = (const char *const *)argv + optind;
	struct cli_manage_image *st;
	struct image_out *out = cli_manage_alloc(ctx, n, sizeof(*out), &st);
	if (out == NULL)
		return HVO_EXIT_FAILED;
	struct rollback_run rr = { out, force, dry_run };
	const struct cli_manage_cmd cmd = {
		.what = "rollback",
		.doing = "rolling back",
		.write = !dry_run,
		.step = rollback_step,
		.put = rollback_put,
		.get = rollback_get,
		.opaque = &rr,
	};
	enum hvo_exit rc = cli_manage_run(ctx, &cmd, &mo, images, n, st);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < out[i].res.nchanged; k++)
			cli_warn(ctx, images[i], "changed since: %s",
				 out[i].res.changed[k]);
	if (ctx->json) {
		struct json_writer w;
		cli_manage_json_begin(ctx, &w, "rollback", rc, dry_run);
		for (size_t i = 0; i < n; i++) {
			cli_manage_json_image(&w, images[i], &st[i]);
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
			if (!out[i].ran || st[i].exit != HVO_EXIT_OK)
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
	free(st);
	return rc;
}

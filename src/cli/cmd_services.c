/*
 * cmd_services.c - `hvoffline services`: the offline `Get-Service vm*`,
 * and `Enable-`/`Disable-VMIntegrationService` for the guest's half.
 *
 * Every image is opened in one session (as inspect does), read-only when
 * only listing.  Each image is reported separately; the exit code is the
 * highest of the images' (SERVICING.md section 4).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/manage.h"
#include "servicing/services_set.h"

const char cmd_services_help[] =
	"Usage: hvoffline services IMAGE... [--enable NAME]... "
	"[--disable NAME]...\n"
	"                          [--dry-run] [--json] [launch options]\n"
	"\n"
	"List the integration services of each image's Windows: every "
	"service whose\n"
	"binary is an integration-services DLL or driver, with its Hyper-V "
	"name,\n"
	"service name, display name, start type (trigger start too) and "
	"whether\n"
	"its binary is present.  Read-only unless --enable or --disable is "
	"given.\n"
	"\n"
	"Options:\n"
	"  --disable NAME    set the service's Start to 4 (disabled); NAME is "
	"a\n"
	"                    Hyper-V name (\"Time Synchronization\") or a "
	"service\n"
	"                    name (vmictimesync), any case; repeatable\n"
	"  --enable NAME     give it back the start type it had before it "
	"was\n"
	"                    disabled (from the guest's records), else the "
	"one its\n"
	"                    package defines; repeatable\n"
	"  --dry-run         say what would change, change "
	"nothing\n" CLI_MANAGE_HELP "\n"
	"Changes are written like apply's: the SYSTEM hive (recovered from "
	"its logs\n"
	"first when dirty) is replaced crash-safely, and a record goes to\n"
	"%SystemRoot%\\Logs\\hvoffline in the guest; `hvoffline rollback` "
	"undoes it.\n"
	"The host must also enable a service (Enable-VMIntegrationService) for "
	"it\n"
	"to work.\n"
	"\n"
	"Exit status: 0 done, 1 failed, 2 bad usage or unknown service, 3 no\n"
	"Windows, 4 refused (unsafe or in use), 5 corrupt; with several "
	"images,\n"
	"the highest.\n";

struct names {
	const char **v;
	size_t n;
};

static bool names_add(struct names *l, const char *s)
{
	const char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL)
		return false;
	v[l->n++] = s;
	l->v = v;
	return true;
}

struct image_out {
	bool done;
	struct svc_services_result res;
};

static void print_text(const char *image, const struct image_out *io,
		       const struct cli_manage_image *st, bool change,
		       bool dry_run)
{
	printf("%s:\n", image);
	if (!io->done) {
		printf("  error: %s\n", st->error);
		return;
	}
	const struct svc_services_result *r = &io->res;
	printf("  control set: ControlSet%03u%s\n", r->list.control_set,
	       r->hive_recovered ? " (hive recovered from its logs)" : "");
	svc_ic_list_text(&r->list, stdout);
	if (!change)
		return;
	for (size_t i = 0; i < r->n; i++) {
		const struct svc_service_change *c = &r->v[i];
		if (c->changed)
			printf("  %s %s (%s): Start %u -> %u (%s, %s)\n",
			       dry_run ? "would" : "",
			       c->enable ? "enable" : "disable", c->service,
			       c->prev_start, c->start,
			       svc_start_name(c->start), c->why);
		else
			printf("  %s: unchanged (%s)\n", c->service, c->why);
	}
	if (r->record != NULL)
		printf("  record: %s\n", r->record);
	if (r->nchanged > 0)
		printf("  note: the host must also enable an integration "
		       "service for it to work\n"
		       "        (Enable-VMIntegrationService on the Hyper-V "
		       "host)\n");
}

struct services_run {
	struct image_out *out;
	const struct names *en, *dis;
	bool dry_run;
};

static enum hvo_exit services_step(void *opaque, size_t i,
				   const struct cli_manage_target *t,
				   const char **errmsg)
{
	struct services_run *sr = opaque;
	struct image_out *io = &sr->out[i];
	struct svc_services_opts so = {
		CLI_MANAGE_TARGET_OPTS(t), .enable = sr->en->v,
		.nenable = sr->en->n,	   .disable = sr->dis->v,
		.ndisable = sr->dis->n,	   .dry_run = sr->dry_run,
	};
	enum hvo_exit x = svc_services_run(t->fs, &so, &io->res);
	io->done = io->res.list.v != NULL;
	*errmsg = svc_services_errmsg(&io->res);
	return x;
}

/* Image @i's result, from its sandboxed child to the parent. */
static void services_put(void *opaque, size_t i, struct svc_mwire *w)
{
	struct services_run *sr = opaque;
	svc_int_mw_u(w, sr->out[i].done);
	svc_int_mw_services(w, &sr->out[i].res);
}

static void services_get(void *opaque, size_t i, struct svc_mread *r)
{
	struct image_out *io = &((struct services_run *)opaque)->out[i];
	svc_services_result_free(&io->res);
	if (!cli_manage_get_ran(r, &io->done))
		return;
	svc_int_mr_services(r, &io->res);
	/* A listing to show needs its list. */
	if (io->done && io->res.list.v == NULL)
		r->bad = true;
}

enum hvo_exit cmd_services(struct cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_ENABLE = 0x100,
		OPT_DISABLE,
		OPT_DRY_RUN,
	};
	static const struct option longopts[] = {
		{ "enable", required_argument, NULL, OPT_ENABLE },
		{ "disable", required_argument, NULL, OPT_DISABLE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		CLI_MANAGE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_manage_opts mo;
	cli_manage_opts_init(ctx, &mo);
	struct names en = { 0 }, dis = { 0 };
	bool dry_run = false;
	enum hvo_exit rc = HVO_EXIT_OK;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, CLI_MANAGE_SHORTOPTS,
			       longopts)) != -1) {
		switch (c) {
		case OPT_ENABLE:
		case OPT_DISABLE:
			if (!names_add(c == OPT_ENABLE ? &en : &dis, optarg)) {
				free(en.v);
				free(dis.v);
				cli_error(ctx, NULL, "out of memory");
				return HVO_EXIT_FAILED;
			}
			continue;
		case OPT_DRY_RUN:
			dry_run = true;
			continue;
		default:
			if ((c = cli_manage_option(ctx, c, cmd_services_help,
						   &mo)) == 1)
				continue;
			free(en.v);
			free(dis.v);
			return CLI_MANAGE_OPTION_EXIT(c);
		}
	}
	if (optind >= argc) {
		free(en.v);
		free(dis.v);
		return cli_usage(ctx, "no image given");
	}
	bool change = en.n + dis.n > 0;
	bool write = change && !dry_run;
	size_t n = (size_t)(argc - optind);
	const char *const *images = (const char *const *)argv + optind;
	struct cli_manage_image *st;
	struct image_out *out = cli_manage_alloc(ctx, n, sizeof(*out), &st);
	if (out == NULL) {
		free(en.v);
		free(dis.v);
		return HVO_EXIT_FAILED;
	}
	cli_info(ctx, "opening %zu image%s", n, n == 1 ? "" : "s");
	struct services_run sr = { out, &en, &dis, dry_run };
	const struct cli_manage_cmd cmd = {
		.what = "services",
		.doing = write ? "changing integration services"
			       : "reading integration services",
		.write = write,
		.step = services_step,
		.put = services_put,
		.get = services_get,
		.opaque = &sr,
	};
	rc = cli_manage_run(ctx, &cmd, &mo, images, n, st);

	if (ctx->json) {
		struct json_writer w;
		cli_manage_json_begin(ctx, &w, "services", rc, dry_run);
		for (size_t i = 0; i < n; i++) {
			const struct image_out *io = &out[i];
			cli_manage_json_image(&w, images[i], &st[i]);
			if (io->done) {
				hvo_int_json_kv_uint(&w, "control_set",
						     io->res.list.control_set);
				hvo_int_json_kv_bool(&w,
						     "hive_recovered_from_logs",
						     io->res.hive_recovered);
				hvo_int_json_key(&w, "services");
				svc_ic_list_json(&io->res.list, &w);
				hvo_int_json_key(&w, "changes");
				svc_services_changes_json(&io->res, &w);
				hvo_int_json_kv_string(&w, "record",
						       io->res.record);
			}
			hvo_int_json_end_object(&w);
		}
		hvo_int_json_end_array(&w);
		hvo_int_json_kv_string(
			&w, "note",
			change ? "the host must also enable an integration "
				 "service for it to work "
				 "(Enable-VMIntegrationService)"
			       : NULL);
		hvo_int_json_end_object(&w);
		rc = cli_json_end(ctx, &w, rc);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				putchar('\n');
			print_text(images[i], &out[i], &st[i], change, dry_run);
		}
	}

	for (size_t i = 0; i < n; i++)
		svc_services_result_free(&out[i].res);
	free(out);
	free(st);
	free(en.v);
	free(dis.v);
	return rc;
}

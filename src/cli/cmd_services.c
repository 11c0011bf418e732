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
#include "servicing/services_open.h"
#include "servicing/services_set.h"
#include "util/tmpdir.h"

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
	"nothing\n" CLI_LAUNCH_HELP "\n"
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

static void on_event(void *opaque, const char *what, const char *msg)
{
	struct cli_ctx *ctx = opaque;
	if (strcmp(what, "notice") == 0)
		cli_info(ctx, "appliance: %s", msg);
	else
		cli_debug(ctx, 1, "appliance: %s", msg);
}

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
	enum hvo_exit exit;
	char error[1200];
	bool done;
	struct svc_services_result res;
};

static void print_text(const char *image, const struct image_out *io,
		       bool change, bool dry_run)
{
	printf("%s:\n", image);
	if (!io->done) {
		printf("  error: %s\n", io->error);
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
		CLI_LAUNCH_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct svc_run_opts ro = {
		.guest = { .event = on_event, .event_ctx = ctx },
	};
	struct names en = { 0 }, dis = { 0 };
	bool dry_run = false;
	enum hvo_exit rc = HVO_EXIT_OK;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longopts)) != -1) {
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
		case 'h':
			fputs(cmd_services_help, stdout);
			free(en.v);
			free(dis.v);
			return HVO_EXIT_OK;
		default:
			if (cli_launch_option(ctx, c, optarg,
					      &ro.guest.launch) == 1)
				continue;
			free(en.v);
			free(dis.v);
			return HVO_EXIT_USAGE;
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
	struct image_out *out = calloc(n, sizeof(*out));
	char *tmpdir = NULL;
	int e = out ? hvo_int_tmpdir_create("services", &tmpdir) : ENOMEM;
	if (e != 0) {
		free(out);
		free(en.v);
		free(dis.v);
		cli_error(ctx, NULL, "cannot make a scratch directory: %s",
			  strerror(e));
		return HVO_EXIT_FAILED;
	}
	ro.tmpdir = tmpdir;

	cli_info(ctx, "opening %zu image%s", n, n == 1 ? "" : "s");
	struct svc_manage m;
	if (svc_manage_open(&ro, write, images, n, &m) != 0) {
		cli_error(ctx, "appliance", "launch failed: %s",
			  svc_manage_errmsg(&m));
		rc = HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		struct image_out *io = &out[i];
		struct guest_fs *fs;
		io->exit = svc_manage_fs(&m, i, write, &fs, io->error,
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
		cli_progress(ctx, i, n, images[i],
			     write ? "changing integration services"
				   : "reading integration services");
		struct svc_services_opts so = {
			.image = images[i],
			.systemroot = m.facts[i].systemroot,
			.tmpdir = dir,
			.enable = en.v,
			.nenable = en.n,
			.disable = dis.v,
			.ndisable = dis.n,
			.dry_run = dry_run,
		};
		io->exit = svc_services_run(fs, &so, &io->res);
		io->done = io->res.list.v != NULL;
		if (io->exit != HVO_EXIT_OK)
			snprintf(io->error, sizeof(io->error), "%s",
				 io->res.error);
	}
	cli_progress(ctx, n, n, NULL, "done");
	if (svc_manage_close(&m) != 0) {
		cli_error(ctx, "appliance", "did not shut down cleanly");
		rc = HVO_EXIT_FAILED;
		for (size_t i = 0; write && i < n; i++)
			if (out[i].exit == HVO_EXIT_OK)
				out[i].exit = HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		rc = hvo_exit_max(rc, out[i].exit);
		if (out[i].exit != HVO_EXIT_OK)
			cli_error(ctx, images[i], "%s", out[i].error);
	}

	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "command", "services");
		hvo_int_json_kv_int(&w, "exit_code", rc);
		hvo_int_json_kv_bool(&w, "dry_run", dry_run);
		hvo_int_json_key(&w, "images");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < n; i++) {
			const struct image_out *io = &out[i];
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "image", images[i]);
			hvo_int_json_kv_int(&w, "exit_code", io->exit);
			hvo_int_json_kv_string(&w, "error",
					       io->exit ? io->error : NULL);
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
			print_text(images[i], &out[i], change, dry_run);
		}
	}

	for (size_t i = 0; i < n; i++)
		svc_services_result_free(&out[i].res);
	free(out);
	free(en.v);
	free(dis.v);
	hvo_int_tmpdir_remove(tmpdir);
	free(tmpdir);
	return rc;
}

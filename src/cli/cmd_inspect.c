/*
 * cmd_inspect.c - `hvoffline inspect`: what each image is, and whether
 * servicing it is safe, without changing anything.
 *
 * All images (and a vmguest.iso source) are opened in one appliance
 * launch.  Each image is reported separately; the exit code is the highest
 * of the images' (SERVICING.md section 4): 4 for an image that cannot be
 * serviced safely, 5 for a corrupt one, 1 when the appliance failed.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "servicing/inspect_applicable.h"
#include "servicing/inspect_report.h"
#include "servicing/inspect_run.h"
#include "servicing/inspect_source.h"
#include "trust/report.h"
#include "util/tmpdir.h"

const char cmd_inspect_help[] =
	"Usage: hvoffline inspect IMAGE... [--source CAB|DIR|ISO] [--json]\n"
	"                         [--no-cache] [--kvm-timeout S] "
	"[--tcg-timeout S] [--trace]\n"
	"\n"
	"Report what each disk image holds and whether servicing it is "
	"safe,\n"
	"without writing to it: partition table and Hyper-V generation, the\n"
	"Windows volume, product, NT version and build, architecture, current\n"
	"control set, installed integration services (vmbus.sys version,\n"
	"IntegrationServicesVersion, packages), and the safety state\n"
	"(hibernation or Fast Startup, BitLocker, unclean NTFS, dirty hives,\n"
	"in use, differencing disks).  All images are opened in one appliance\n"
	"launch.\n"
	"\n"
	"Options:\n"
	"  --source S        also say which integration-services package in S\n"
	"                    (a CAB, a directory of CABs, or vmguest.iso) "
	"applies\n" TRUST_OPTIONS_HELP CLI_LAUNCH_HELP "\n"
	"Exit status: 0 safe (or no Windows found), 4 unsafe to service, 5 "
	"corrupt,\n"
	"1 failure; with several images, the highest.\n";

static void on_event(void *opaque, const char *what, const char *msg)
{
	struct cli_ctx *ctx = opaque;
	if (strcmp(what, "notice") == 0)
		cli_info(ctx, "appliance: %s", msg);
	else
		cli_debug(ctx, 1, "appliance: %s", msg);
}

static void report_problems(struct cli_ctx *ctx, const struct svc_facts *f)
{
	for (size_t i = 0; i < f->nproblems; i++) {
		const struct svc_problem *p = &f->problems[i];
		if (p->exit == HVO_EXIT_OK)
			cli_log(ctx, "NOTE", "%s: %s", f->image, p->message);
		else
			cli_error(ctx, f->image, "%s: %s", p->code, p->message);
	}
}

/* Verifies the signature of the source cabinet at @path (shown as
 * @where): a refusal is an error naming the failure, a waived one
 * (--allow-unsigned) a loud warning. */
static enum hvo_exit cli_trust_check(struct cli_ctx *ctx,
				     const struct trust_opts *to,
				     const char *path, const char *where)
{
	char msg[1200];
	struct trust_verdict *v = NULL;
	enum hvo_exit rc = trust_check_cab(to, path, &v, msg, sizeof(msg));
	if (rc)
		cli_error(ctx, where, "%s", msg);
	else if (trust_verdict_waived(v, to))
		cli_warn(ctx, where,
			 "%s; ACCEPTED only because of "
			 "--allow-unsigned",
			 msg);
	trust_verdict_free(v);
	return rc;
}

enum hvo_exit cmd_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_SOURCE = 0x100,
	};
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, OPT_SOURCE },
		CLI_LAUNCH_LONGOPTS,
		TRUST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct svc_run_opts ro = {
		.guest = { .event = on_event, .event_ctx = ctx },
	};
	const char *source = NULL;
	struct trust_opts to = { 0 };
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longopts)) != -1) {
		if (trust_opts_parse(&to, c, optarg))
			continue;
		switch (c) {
		case OPT_SOURCE:
			source = optarg;
			break;
		case 'h':
			fputs(cmd_inspect_help, stdout);
			return HVO_EXIT_OK;
		default:
			switch (cli_launch_option(ctx, c, optarg,
						  &ro.guest.launch)) {
			case 1:
				continue;
			case -1:
				return HVO_EXIT_USAGE;
			}
			return HVO_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no image given");
	struct svc_source src = { 0 };
	if (source != NULL) {
		if (svc_source_open(source, &src) != 0) {
			cli_error(ctx, source, "%s", src.error);
			svc_source_free(&src);
			return HVO_EXIT_FAILED;
		}
		/* vmguest.iso is opened in the same appliance launch. */
		if (src.kind == SVC_SOURCE_ISO) {
			ro.isos = (const char *const *)&src.path;
			ro.nisos = 1;
		}
	}

	size_t n = (size_t)(argc - optind);
	const char *const *images = (const char *const *)argv + optind;
	struct svc_facts *facts = calloc(n, sizeof(*facts));
	char *tmpdir = NULL;
	int e = facts ? hvo_int_tmpdir_create("inspect", &tmpdir) : ENOMEM;
	if (e != 0) {
		free(facts);
		svc_source_free(&src);
		cli_error(ctx, NULL, "cannot make a scratch directory: %s",
			  strerror(e));
		return HVO_EXIT_FAILED;
	}
	ro.tmpdir = tmpdir;

	cli_info(ctx, "inspecting %zu image%s", n, n == 1 ? "" : "s");
	struct svc_run run;
	int r = svc_inspect_images(&ro, images, n, facts, &run);
	if (r != 0)
		cli_error(ctx, "appliance", "launch failed: %s", run.error);
	const struct guest_launch_result *lr =
		run.session ? guest_session_launch_result(run.session) : NULL;
	unsigned launches =
		run.session ? guest_session_launches(run.session) : 0;

	enum hvo_exit source_rc = HVO_EXIT_OK;
	if (source != NULL && r == 0) {
		struct guest_disk *iso =
			ro.nisos ? guest_session_disk(run.session,
						      (size_t)run.iso_disk[0])
				 : NULL;
		if (svc_source_collect(&src, iso, tmpdir) != 0) {
			cli_error(ctx, source, "%s", src.error);
			source_rc = HVO_EXIT_FAILED;
		}
		for (size_t i = 0; i < src.ncabs; i++)
			cli_debug(ctx, 1, "source: %s", src.cabs[i].where);
	}
	/* Which package applies to each image (the cabinets are read once;
	 * an ISO's were copied out before the appliance shuts down). */
	struct svc_source_package *pkgs = NULL;
	size_t npkgs = 0;
	struct svc_applicability *appl = NULL;
	if (source != NULL && source_rc == HVO_EXIT_OK && src.ncabs > 0) {
		appl = calloc(n, sizeof(*appl));
		if (appl == NULL ||
		    svc_source_packages_load(&src, &pkgs, &npkgs) != 0) {
			cli_error(ctx, source, "out of memory");
			source_rc = HVO_EXIT_FAILED;
		}
		for (size_t i = 0; i < npkgs; i++) {
			if (pkgs[i].pkg != NULL) {
				source_rc = hvo_exit_max(
					source_rc,
					cli_trust_check(ctx, &to,
							src.cabs[i].path,
							pkgs[i].where));
				continue;
			}
			char msg[700];
			cli_error(ctx, pkgs[i].where, "%s",
				  pkg_error_format(&pkgs[i].error, msg,
						   sizeof(msg)));
			source_rc = hvo_exit_max(
				source_rc, pkg_exit_class(&pkgs[i].error));
		}
		for (size_t i = 0; appl != NULL && pkgs != NULL && i < n; i++)
			if (svc_applicability(&facts[i], pkgs, npkgs,
					      &appl[i]) != 0)
				source_rc = HVO_EXIT_FAILED;
	}
	bool fell_back = lr && lr->fell_back;
	const char *accel = lr && launches ? guest_accel_name(lr->accel) : NULL;
	double seconds = lr ? lr->seconds : 0;
	enum hvo_exit rc = source_rc;
	if (r != 0)
		rc = HVO_EXIT_FAILED;
	if (svc_run_close(&run) != 0) {
		cli_error(ctx, "appliance", "did not shut down cleanly");
		rc = HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		rc = hvo_exit_max(rc, facts[i].verdict);
		report_problems(ctx, &facts[i]);
	}

	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "command", "inspect");
		hvo_int_json_kv_string(&w, "status",
				       rc == HVO_EXIT_OK ? "ok" : "problems");
		hvo_int_json_kv_int(&w, "exit_code", rc);
		hvo_int_json_key(&w, "appliance");
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_uint(&w, "launches", launches);
		hvo_int_json_kv_string(&w, "accelerator", accel);
		hvo_int_json_kv_bool(&w, "fell_back", fell_back);
		hvo_int_json_key(&w, "launch_seconds");
		if (accel != NULL)
			hvo_int_json_double(&w, seconds, 3);
		else
			hvo_int_json_null(&w);
		hvo_int_json_end_object(&w);
		hvo_int_json_key(&w, "source");
		if (source != NULL) {
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "path", source);
			hvo_int_json_kv_string(&w, "kind",
					       svc_source_kind_name(src.kind));
			hvo_int_json_key(&w, "cabinets");
			hvo_int_json_begin_array(&w);
			for (size_t i = 0; i < src.ncabs; i++)
				hvo_int_json_string(&w, src.cabs[i].where);
			hvo_int_json_end_array(&w);
			hvo_int_json_kv_string(&w, "error",
					       src.error[0] ? src.error : NULL);
			hvo_int_json_end_object(&w);
		} else {
			hvo_int_json_null(&w);
		}
		hvo_int_json_key(&w, "images");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < n; i++) {
			hvo_int_json_begin_object(&w);
			svc_facts_json(&facts[i], &w);
			hvo_int_json_key(&w, "packages");
			if (appl != NULL) {
				hvo_int_json_begin_object(&w);
				svc_applicability_json(&appl[i], &w);
				hvo_int_json_end_object(&w);
			} else {
				hvo_int_json_null(&w);
			}
			hvo_int_json_end_object(&w);
		}
		hvo_int_json_end_array(&w);
		hvo_int_json_end_object(&w);
		rc = cli_json_end(ctx, &w, rc);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				putchar('\n');
			svc_facts_text(&facts[i], stdout);
			if (appl != NULL)
				printf("  package:       %s\n",
				       appl[i].summary);
		}
	}

	for (size_t i = 0; appl != NULL && i < n; i++)
		svc_applicability_free(&appl[i]);
	free(appl);
	svc_source_packages_free(pkgs, npkgs);
	for (size_t i = 0; i < n; i++)
		svc_facts_free(&facts[i]);
	free(facts);
	svc_source_free(&src);
	hvo_int_tmpdir_remove(tmpdir);
	free(tmpdir);
	return rc;
}

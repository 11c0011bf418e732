/*
 * cmd_apply.c - `hvoffline apply` and `hvoffline verify`: install the
 * integration-services package into offline images the way DISM's
 * offline Add-Package does, and check an image against the package.
 *
 * The work is a servicing session (servicing/session.h): every image (and
 * a vmguest.iso source) in one launch, inspected, the package that applies
 * chosen, planned, then applied or re-read.  Here: the options, and the
 * report.  Each image gets its own result; the exit code is the highest.
 */
#include <config.h>

#include <stdlib.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"

const char cmd_apply_help[] =
	"Usage: hvoffline apply IMAGE... --source CAB|DIR|ISO [--dry-run] "
	"[--force]\n"
	"                       [--no-firstboot] [--json] [launch options]\n"
	"\n"
	"Install the Hyper-V integration-services package into each offline "
	"image,\n"
	"as DISM /Image:... /Add-Package does: drivers from their INFs "
	"(files,\n"
	"services, CriticalDeviceDatabase on NT 6.1 and older), components "
	"(files,\n"
	"registry, services, svchost groups), the package staged for "
	"Windows'\n"
	"servicing with a first-boot step that completes it through DISM, "
	"and\n"
	"IntegrationServicesVersion.  A record of every change is kept in the\n"
	"guest under %SystemRoot%\\Logs\\hvoffline.  Unsafe images "
	"(hibernated,\n"
	"BitLocker, dirty hives without logs, in use, checkpoints) are "
	"refused\n"
	"untouched; any failure before the final renames leaves the guest as "
	"it was.\n"
	"\n"
	"Options:\n"
	"  --source S        the package: a CAB, a directory of CABs, or "
	"vmguest.iso\n"
	"  --dry-run         print the plan and change nothing\n"
	"  --force           apply even when the guest is already up to date\n"
	"  --no-firstboot    do not arrange the first-boot DISM "
	"step\n" CLI_BACKEND_HELP TRUST_OPTIONS_HELP CLI_LAUNCH_HELP "\n"
	"Exit status: 0 applied or up to date, 1 failed, 3 no package applies,"
	"\n"
	"4 refused (unsafe or in use), 5 corrupt input; with several images, "
	"the\n"
	"highest.\n";

const char cmd_verify_help[] =
	"Usage: hvoffline verify IMAGE... --source CAB|DIR|ISO "
	"[--no-firstboot] [--json]\n"
	"                        [launch options]\n"
	"\n"
	"Re-read from each image every item that `apply` plans for the "
	"package of\n"
	"the source that applies to it (files by SHA-256, registry values, "
	"keys and\n"
	"list entries) and report each difference.  Nothing is written.  "
	"Once the\n"
	"first-boot step has run, its own items are gone by design and are "
	"not\n"
	"checked.\n"
	"\n"
	"Options: --source, --no-firstboot, --backend, --trust, "
	"--allow-unsigned\n"
	"and the launch options "
	"of apply.\n"
	"\n"
	"Exit status: 0 no differences, 1 differences or failure, 3 no "
	"package\n"
	"applies, 4 unsafe, 5 corrupt input; with several images, the "
	"highest.\n";

static enum hvo_exit run_command(struct cli_ctx *ctx, int argc, char **argv,
				 enum svc_command command)
{
	enum {
		OPT_SOURCE = 0x100,
		OPT_DRY_RUN,
		OPT_FORCE,
		OPT_NO_FIRSTBOOT,
	};
	static const struct option apply_opts[] = {
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "no-firstboot", no_argument, NULL, OPT_NO_FIRSTBOOT },
		CLI_BACKEND_LONGOPT,
		TRUST_LONGOPTS,
		CLI_LAUNCH_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct option verify_opts[] = {
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "no-firstboot", no_argument, NULL, OPT_NO_FIRSTBOOT },
		CLI_BACKEND_LONGOPT,
		TRUST_LONGOPTS,
		CLI_LAUNCH_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	bool apply = command == SVC_COMMAND_APPLY;
	struct svc_session_opts so = { .command = command };
	cli_session_opts_init(ctx, &so);
	const char *source = NULL;
	int c;
	while ((c = cli_getopt(ctx, argc, argv,
			       "j:", apply ? apply_opts : verify_opts)) != -1) {
		switch (c) {
		case OPT_SOURCE:
			source = optarg;
			break;
		case OPT_DRY_RUN:
			so.dry_run = true;
			break;
		case OPT_FORCE:
			so.force = true;
			break;
		case OPT_NO_FIRSTBOOT:
			so.no_firstboot = true;
			break;
		case 'h':
			fputs(apply ? cmd_apply_help : cmd_verify_help, stdout);
			return HVO_EXIT_OK;
		default:
			if (cli_session_option(ctx, c, optarg, &so) != 1)
				return HVO_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no image given");
	if (source == NULL)
		return cli_usage(ctx, "--source is required");
	struct svc_session *s;
	enum hvo_exit rc = cli_session_new(ctx, &so, source, argc - optind,
					   argv + optind, &s);
	if (rc != HVO_EXIT_OK)
		return rc;
	enum svc_err e = apply ? svc_session_apply(s) : svc_session_verify(s);
	return cli_session_report(ctx, s, e);
}

enum hvo_exit cmd_apply(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_command(ctx, argc, argv, SVC_COMMAND_APPLY);
}

enum hvo_exit cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_command(ctx, argc, argv, SVC_COMMAND_VERIFY);
}

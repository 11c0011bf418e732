/*
 * cmd_inspect.c - `hvoffline inspect`: what each image is, and whether
 * servicing it is safe, without changing anything.
 *
 * Natively each image is read in a sandboxed child of its own; with the
 * appliance, all images (and a vmguest.iso source) are opened in one
 * launch.  Each image is reported separately; the exit code is the highest
 * of the images' (SERVICING.md section 4): 4 for an image that cannot be
 * serviced safely, 5 for a corrupt one, 1 when the appliance failed.
 */
#include <config.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"

const char cmd_inspect_help[] =
	"Usage: hvoffline inspect IMAGE... [--source CAB|DIR|ISO] [--json]\n"
	"                         [--backend B] [--no-cache] [--kvm-timeout S]"
	"\n                         [--tcg-timeout S] [--trace]\n"
	"\n"
	"Report what each disk image holds and whether servicing it is "
	"safe,\n"
	"without writing to it: partition table and Hyper-V generation, the\n"
	"Windows volume, product, NT version and build, architecture, current\n"
	"control set, installed integration services (vmbus.sys version,\n"
	"IntegrationServicesVersion, packages), and the safety state\n"
	"(hibernation or Fast Startup, BitLocker, unclean NTFS, dirty hives,\n"
	"in use, differencing disks), and what an earlier run left pending\n"
	"(a staged package, the first-boot step, the last record, whether the\n"
	"integration services are as the last apply left them).  Natively\n"
	"each image is read in a sandboxed child of its own; with --backend\n"
	"appliance, all in one launch.\n"
	"\n"
	"Options:\n"
	"  --source S        also say which integration-services package in S\n"
	"                    (a CAB, a directory of CABs, or vmguest.iso) "
	"applies\n" CLI_BACKEND_HELP TRUST_OPTIONS_HELP CLI_LAUNCH_HELP "\n"
	"Exit status: 0 safe (or no Windows found), 4 unsafe to service, 5 "
	"corrupt,\n"
	"1 failure; with several images, the highest.\n";

enum hvo_exit cmd_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_SOURCE = 0x100,
	};
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, OPT_SOURCE },
		CLI_BACKEND_LONGOPT,
		TRUST_LONGOPTS,
		CLI_LAUNCH_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct svc_session_opts so = { .command = SVC_COMMAND_INSPECT };
	cli_session_opts_init(ctx, &so);
	const char *source = NULL;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "j:", longopts)) != -1) {
		switch (c) {
		case OPT_SOURCE:
			source = optarg;
			break;
		case 'h':
			fputs(cmd_inspect_help, stdout);
			return HVO_EXIT_OK;
		default:
			if (cli_session_option(ctx, c, optarg, &so) != 1)
				return HVO_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no image given");
	struct svc_session *s;
	enum hvo_exit rc = cli_session_new(ctx, &so, source, argc - optind,
					   argv + optind, &s);
	if (rc != HVO_EXIT_OK)
		return rc;
	return cli_session_report(ctx, s, svc_session_inspect(s));
}

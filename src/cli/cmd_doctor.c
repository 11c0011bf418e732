/*
 * cmd_doctor.c - `hvoffline doctor`: can this machine run the appliance?
 *
 * Every command that touches a guest filesystem launches the libguestfs
 * appliance.  `doctor` does exactly that launch (with the KVM -> TCG
 * fallback) and one call into the running appliance, and reports what was
 * used, so that an image-build pipeline can check a worker before sending
 * it real images.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "guest/launch.h"

const char cmd_doctor_help[] =
	"Usage: hvoffline doctor [--no-cache] [--kvm-timeout S] [--tcg-timeout "
	"S]\n"
	"                        [--trace]\n"
	"\n"
	"Launch the guest appliance once, make and use an NTFS filesystem on "
	"a\n"
	"scratch disk inside it, and report how it ran: KVM, or TCG\n"
	"software emulation after a failed or hung KVM launch (the outcome is\n"
	"remembered in ~/.cache/hvoffline/launch.conf so later runs go "
	"straight\n"
	"to what works).\n"
	"\n"
	"Options:\n"
	"  --no-cache        neither read nor write the remembered outcome\n"
	"  --kvm-timeout S   treat a KVM launch as hung after S seconds (60)\n"
	"  --tcg-timeout S   give up on a TCG launch after S seconds (900)\n"
	"  --trace           show libguestfs's own debug output\n";

struct notice_ctx {
	struct cli_ctx *cli;
};

/* The appliance needs a drive: a small scratch disk (deleted on close),
 * on which doctor also checks that a filesystem can be made and used. */
static int add_scratch(guestfs_h *g, void *ctx)
{
	(void)ctx;
	return guestfs_add_drive_scratch(g, 16 * 1024 * 1024, -1);
}

static void on_notice(void *opaque, const char *msg)
{
	struct notice_ctx *n = opaque;
	cli_info(n->cli, "appliance: %s", msg);
}

enum hvo_exit cmd_doctor(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LAUNCH_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct notice_ctx nctx = { .cli = ctx };
	struct guest_launch_opts opts = {
		.notice = on_notice,
		.notice_ctx = &nctx,
	};
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'h':
			fputs(cmd_doctor_help, stdout);
			return HVO_EXIT_OK;
		default:
			switch (cli_launch_option(ctx, c, optarg, &opts)) {
			case 1:
				continue;
			case -1:
				return HVO_EXIT_USAGE;
			}
			return HVO_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage(ctx, "unexpected argument '%s'", argv[optind]);

	cli_info(ctx, "launching the guest appliance");
	guestfs_h *g;
	struct guest_launch_result res;
	if (guest_launch(&opts, add_scratch, NULL, &g, &res) != 0) {
		cli_error(ctx, "appliance", "launch failed: %s", res.error);
		return HVO_EXIT_FAILED;
	}

	/* Real work inside the running appliance: make an NTFS filesystem
	 * (what guests use) on the scratch disk, mount it, write and read. */
	char *content = NULL;
	bool ntfs_ok = guestfs_mkfs(g, "ntfs", "/dev/sda") == 0 &&
		       guestfs_mount(g, "/dev/sda", "/") == 0 &&
		       guestfs_write(g, "/probe.txt", "hvoffline", 9) == 0 &&
		       (content = guestfs_cat(g, "/probe.txt")) != NULL &&
		       strcmp(content, "hvoffline") == 0 &&
		       guestfs_umount(g, "/") == 0;
	free(content);
	if (!ntfs_ok) {
		const char *e = guestfs_last_error(g);
		cli_error(ctx, "appliance", "cannot use an NTFS filesystem: %s",
			  e ? e : "content mismatch");
		guestfs_close(g);
		return HVO_EXIT_FAILED;
	}
	struct guestfs_utsname *uts = guestfs_utsname(g);
	if (uts == NULL) {
		cli_error(ctx, "appliance", "does not answer: %s",
			  guestfs_last_error(g));
		guestfs_close(g);
		return HVO_EXIT_FAILED;
	}
	struct guestfs_version *ver = guestfs_version(g);
	char version[64] = "unknown";
	if (ver != NULL) {
		snprintf(version, sizeof(version), "%lld.%lld.%lld",
			 (long long)ver->major, (long long)ver->minor,
			 (long long)ver->release);
		guestfs_free_version(ver);
	}
	char *cache = opts.no_cache ? NULL : guest_launch_cache_path(&opts);
	int shut = guestfs_shutdown(g);
	guestfs_close(g);

	enum hvo_exit rc = HVO_EXIT_OK;
	if (shut != 0) {
		cli_error(ctx, "appliance", "did not shut down cleanly");
		rc = HVO_EXIT_FAILED;
	}
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "status",
				       rc == HVO_EXIT_OK ? "ok" : "error");
		hvo_int_json_kv_string(&w, "accelerator",
				       guest_accel_name(res.accel));
		hvo_int_json_kv_bool(&w, "fell_back", res.fell_back);
		hvo_int_json_kv_bool(&w, "from_cache", res.from_cache);
		hvo_int_json_key(&w, "launch_seconds");
		hvo_int_json_double(&w, res.seconds, 3);
		hvo_int_json_kv_string(&w, "libguestfs", version);
		hvo_int_json_kv_string(&w, "appliance_kernel",
				       uts->uts_release);
		hvo_int_json_kv_bool(&w, "ntfs", true);
		hvo_int_json_kv_string(&w, "cache_file", cache);
		hvo_int_json_end_object(&w);
		rc = cli_json_end(ctx, &w, rc);
	} else {
		printf("appliance:    ok\n");
		printf("accelerator:  %s%s\n", guest_accel_name(res.accel),
		       res.fell_back	? " (KVM failed here; fell back)"
		       : res.from_cache ? " (KVM failed earlier; remembered)"
					: "");
		printf("launch time:  %.1f s\n", res.seconds);
		printf("libguestfs:   %s\n", version);
		printf("kernel:       %s\n", uts->uts_release);
		printf("ntfs:         ok (mkfs, mount, write, read)\n");
		printf("cache file:   %s\n", cache ? cache : "(none)");
	}
	guestfs_free_utsname(uts);
	free(cache);
	return rc;
}

/*
 * options.c - command option parsing with the global options mixed in.
 *
 * Scripts put --json and -q wherever they like ("hvoffline --json cab list
 * X" and "hvoffline cab list X --json" must mean the same), so every
 * command's parser also accepts the global options.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "guest/launch.h"

enum {
	OPT_JSON = 0x1001,
	OPT_LOG,
};

static const struct option global_longopts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "help", no_argument, NULL, 'h' },
};

#define MAX_OPTIONS 96
#define NGLOBAL	    (sizeof(global_longopts) / sizeof(global_longopts[0]))

int cli_getopt(struct cli_ctx *ctx, int argc, char **argv,
	       const char *shortopts, const struct option *longopts)
{
	static struct option combined[MAX_OPTIONS];
	static char shorts[128];
	static char **current_argv;

	if (argv != current_argv) {
		/* A new command line: rebuild the tables, restart getopt. */
		current_argv = argv;
		optind = 0;
		size_t n = 0;
		for (const struct option *o = longopts; o && o->name; o++)
			if (n < MAX_OPTIONS - NGLOBAL - 1)
				combined[n++] = *o;
		for (size_t i = 0; i < NGLOBAL; i++)
			combined[n++] = global_longopts[i];
		memset(&combined[n], 0, sizeof(combined[n]));
		snprintf(shorts, sizeof(shorts), ":%svqh",
			 shortopts ? shortopts : "");
	}
	opterr = 0;

	for (;;) {
		int c = getopt_long(argc, argv, shorts, combined, NULL);
		switch (c) {
		case OPT_JSON:
			ctx->json = true;
			continue;
		case 'v':
			ctx->verbose++;
			continue;
		case 'q':
			ctx->quiet = true;
			continue;
		case OPT_LOG:
			if (ctx->log_fd < 0) {
				int e = cli_log_open(ctx, optarg);
				if (e != 0) {
					cli_error(ctx, optarg,
						  "cannot open log file: %s",
						  strerror(e));
					return '?';
				}
			}
			continue;
		case 'h':
			current_argv = NULL;
			return 'h';
		case ':':
			cli_usage(ctx, "option '%s' needs a value",
				  argv[optind - 1]);
			current_argv = NULL;
			return '?';
		case '?':
			if (optopt != 0 && optopt < 0x100)
				cli_usage(ctx, "unknown option '-%c'", optopt);
			else
				cli_usage(ctx, "unknown option '%s'",
					  argv[optind - 1]);
			current_argv = NULL;
			return '?';
		case -1:
			current_argv = NULL;
			return -1;
		default:
			return c;
		}
	}
}

bool cli_parse_uint(struct cli_ctx *ctx, const char *opt, const char *s,
		    unsigned long long min, unsigned long long max,
		    unsigned long long *out)
{
	char *end;
	errno = 0;
	if (s == NULL || *s == '\0' || *s == '-') {
		cli_usage(ctx, "%s: '%s' is not a number", opt, s ? s : "");
		return false;
	}
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0') {
		cli_usage(ctx, "%s: '%s' is not a number", opt, s);
		return false;
	}
	if (v < min || v > max) {
		cli_usage(ctx, "%s: %llu is out of range (%llu to %llu)", opt,
			  v, min, max);
		return false;
	}
	*out = v;
	return true;
}

int cli_launch_option(struct cli_ctx *ctx, int c, const char *arg,
		      struct guest_launch_opts *lo)
{
	unsigned long long v;
	switch (c) {
	case CLI_OPT_NO_CACHE:
		lo->no_cache = true;
		return 1;
	case CLI_OPT_KVM_TIMEOUT:
		if (!cli_parse_uint(ctx, "--kvm-timeout", arg, 1, 86400, &v))
			return -1;
		lo->kvm_timeout_s = (unsigned)v;
		return 1;
	case CLI_OPT_TCG_TIMEOUT:
		if (!cli_parse_uint(ctx, "--tcg-timeout", arg, 1, 86400, &v))
			return -1;
		lo->tcg_timeout_s = (unsigned)v;
		return 1;
	case CLI_OPT_TRACE:
		lo->trace = true;
		return 1;
	default:
		return 0;
	}
}

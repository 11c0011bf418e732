/*
 * main.c - hvoffline: entry point, global options, dispatch, exit status.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/tmpname.h"

static const char global_help[] =
	"Usage: hvoffline [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"Service stopped Hyper-V virtual machines' disks from Linux.\n"
	"\n"
	"Global options (accepted before or after the command):\n"
	"  --json          machine-readable output on stdout\n"
	"  -v, --verbose   more detail on stderr (repeat for more)\n"
	"  -q, --quiet     no progress or notices on stderr\n"
	"  --log FILE      append a timestamped record of the run to FILE\n"
	"  -h, --help      show help (for a command: hvoffline COMMAND "
	"--help)\n"
	"  -V, --version   show the version and exit\n"
	"\n"
	"Exit status:\n"
	"  0 success or already up to date   1 failed\n"
	"  2 bad usage                        3 no package applies\n"
	"  4 refused (in use or unsafe)       5 corrupt input\n";

static void print_global_help(void)
{
	fputs(global_help, stdout);
	fputs("\nCommands:\n", stdout);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		printf("  %-10s  %s\n", c->name, c->summary);
	fputs("\nSee hvoffline(1) for details.\n", stdout);
}

void cli_print_help(const struct cli_command *cmd, const char *prefix)
{
	fputs(cmd->help, stdout);
	if (cmd->subcommands) {
		fputs("\nCommands:\n", stdout);
		for (const struct cli_command *s = cmd->subcommands; s->name;
		     s++)
			printf("  %s %-10s  %s\n", prefix, s->name, s->summary);
	}
}

static void print_version(struct cli_ctx *ctx)
{
	const char *deps = HVO_DEP_VERSIONS;
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "name", PACKAGE_NAME);
		hvo_int_json_kv_string(&w, "version", PACKAGE_VERSION);
		hvo_int_json_key(&w, "built_with");
		hvo_int_json_begin_object(&w);
		const char *p = deps;
		while (*p) {
			const char *eq = strchr(p, '=');
			const char *sp = strchr(p, ' ');
			if (sp == NULL)
				sp = p + strlen(p);
			if (eq == NULL || eq > sp)
				break;
			char key[64];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p);
			hvo_int_json_key(&w, key);
			hvo_int_json_string_len(&w, eq + 1,
						(size_t)(sp - eq - 1));
			p = *sp ? sp + 1 : sp;
		}
		hvo_int_json_end_object(&w);
		hvo_int_json_end_object(&w);
		cli_json_end(ctx, &w, HVO_EXIT_OK);
		return;
	}
	printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	printf("built with: %s\n", deps);
}

static const struct cli_command *find_command(const struct cli_command *table,
					      const char *name)
{
	for (const struct cli_command *c = table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/*
 * Consumes global options that sit between a command group and its
 * subcommand ("hvoffline cab --json list X").  Returns the index of the
 * first other argument, or -1 after a usage error, or 0 if help was asked.
 */
static int group_globals(struct cli_ctx *ctx, int argc, char **argv)
{
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 0;
		if (strcmp(a, "--json") == 0)
			ctx->json = true;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			ctx->verbose++;
		else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			ctx->quiet = true;
		else if (strcmp(a, "--log") == 0 && i + 1 < argc) {
			int e = ctx->log_fd < 0 ? cli_log_open(ctx, argv[i + 1])
						: 0;
			if (e != 0) {
				cli_error(ctx, argv[i + 1],
					  "cannot open log file: %s",
					  strerror(e));
				return -1;
			}
			i++;
		} else {
			cli_usage(ctx, "unknown option '%s'", a);
			return -1;
		}
		i++;
	}
	return i;
}

enum hvo_exit cli_run_command(struct cli_ctx *ctx,
			      const struct cli_command *cmd, const char *prefix,
			      int argc, char **argv)
{
	ctx->command = prefix;
	if (cmd->run != NULL)
		return cmd->run(ctx, argc, argv);

	/* A group: the next word names the subcommand. */
	int i = group_globals(ctx, argc, argv);
	if (i < 0)
		return HVO_EXIT_USAGE;
	if (i == 0) {
		cli_print_help(cmd, prefix);
		return HVO_EXIT_OK;
	}
	if (i >= argc)
		return cli_usage(ctx, "'%s' needs a command", prefix);
	const struct cli_command *sub = find_command(cmd->subcommands, argv[i]);
	if (sub == NULL)
		return cli_usage(ctx, "unknown command '%s %s'", prefix,
				 argv[i]);
	char name[128];
	snprintf(name, sizeof(name), "%s %s", prefix, sub->name);
	/* Keep the storage alive for the whole run (messages use it). */
	static char names[4][128];
	static int slot;
	char *stable = names[slot++ % 4];
	memcpy(stable, name, sizeof(name));
	return cli_run_command(ctx, sub, stable, argc - i, argv + i);
}

static enum hvo_exit run_help(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2) {
		print_global_help();
		return HVO_EXIT_OK;
	}
	const struct cli_command *c = find_command(cli_commands, argv[1]);
	if (c == NULL)
		return cli_usage(ctx, "unknown command '%s'", argv[1]);
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "%s", c->name);
	for (int i = 2; i < argc && c->subcommands; i++) {
		const struct cli_command *s =
			find_command(c->subcommands, argv[i]);
		if (s == NULL)
			return cli_usage(ctx, "unknown command '%s %s'", prefix,
					 argv[i]);
		size_t len = strlen(prefix);
		snprintf(prefix + len, sizeof(prefix) - len, " %s", s->name);
		c = s;
	}
	cli_print_help(c, prefix);
	return HVO_EXIT_OK;
}

const struct cli_command cli_help_command = {
	.name = "help",
	.summary = "show help for a command",
	.help = "Usage: hvoffline help [COMMAND [SUBCOMMAND]]\n"
		"\nShow the help of a command.\n",
	.run = run_help,
};

/* Writes the error report that --json callers read when a command failed
 * before producing its own document. */
static void json_error_report(struct cli_ctx *ctx, enum hvo_exit rc)
{
	struct json_writer w;
	hvo_int_json_init(&w, stdout, true);
	hvo_int_json_begin_object(&w);
	hvo_int_json_kv_string(&w, "command", ctx->command);
	hvo_int_json_kv_string(&w, "status", "error");
	hvo_int_json_kv_int(&w, "exit_code", rc);
	hvo_int_json_kv_string(&w, "exit_meaning", hvo_exit_describe(rc));
	hvo_int_json_key(&w, "errors");
	hvo_int_json_begin_array(&w);
	for (int i = 0; i < ctx->nerrors; i++)
		hvo_int_json_string(&w, ctx->errors[i]);
	hvo_int_json_end_array(&w);
	hvo_int_json_end_object(&w);
	hvo_int_json_finish(&w);
}

static enum hvo_exit finish(struct cli_ctx *ctx, enum hvo_exit rc)
{
	if (ctx->json && rc != HVO_EXIT_OK && !ctx->json_written)
		json_error_report(ctx, rc);

	/* Output that cannot be written is a failure, not a success:
	 * check the close of stdout (a full disk, a closed pipe). */
	int out_err = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		out_err = errno ? errno : EIO;
	if (fclose(stdout) != 0 && out_err == 0)
		out_err = errno ? errno : EIO;
	if (out_err != 0) {
		cli_error(ctx, "standard output", "write error: %s",
			  strerror(out_err));
		rc = hvo_exit_max(rc, HVO_EXIT_FAILED);
	}

	cli_log(ctx, "END", "exit %d (%s) after %.3f s", (int)rc,
		hvo_exit_describe(rc), cli_now() - ctx->start_time);
	cli_log_close(ctx);
	for (int i = 0; i < ctx->nerrors; i++)
		free(ctx->errors[i]);
	return rc;
}

static void tmp_notice(void *ctx, const char *msg)
{
	cli_info(ctx, "%s", msg);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	struct cli_ctx ctx = {
		.log_fd = -1,
		.start_time = cli_now(),
		.argc = argc,
		.argv = argv,
	};

	enum { OPT_JSON = 0x1001, OPT_LOG };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool help = false, version = false;
	int c;
	opterr = 0;
	/* '+': stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			ctx.json = true;
			break;
		case 'v':
			ctx.verbose++;
			break;
		case 'q':
			ctx.quiet = true;
			break;
		case OPT_LOG:
			if (ctx.log_fd < 0) {
				int e = cli_log_open(&ctx, optarg);
				if (e != 0) {
					cli_error(&ctx, optarg,
						  "cannot open log file: %s",
						  strerror(e));
					return finish(&ctx, HVO_EXIT_FAILED);
				}
			}
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			version = true;
			break;
		case ':':
			return finish(&ctx,
				      cli_usage(&ctx,
						"option '%s' needs a value",
						argv[optind - 1]));
		default:
			if (optopt != 0 && optopt < 0x100)
				return finish(&ctx,
					      cli_usage(&ctx,
							"unknown option '-%c'",
							optopt));
			return finish(&ctx,
				      cli_usage(&ctx, "unknown option '%s'",
						argv[optind - 1]));
		}
	}

	if (version) {
		print_version(&ctx);
		return finish(&ctx, HVO_EXIT_OK);
	}
	if (optind >= argc) {
		if (help) {
			print_global_help();
			return finish(&ctx, HVO_EXIT_OK);
		}
		return finish(&ctx, cli_usage(&ctx, "no command given"));
	}

	const char *name = argv[optind];
	const struct cli_command *cmd = NULL;
	if (strcmp(name, "help") == 0)
		cmd = &cli_help_command;
	else
		cmd = find_command(cli_commands, name);
	if (cmd == NULL)
		return finish(&ctx,
			      cli_usage(&ctx, "unknown command '%s'", name));
	if (help) {
		cli_print_help(cmd, cmd->name);
		return finish(&ctx, HVO_EXIT_OK);
	}
	/* Every host-side writer sweeps the temporary files of killed
	 * writers of its target (util/tmpname.h): say so. */
	hvo_int_tmp_set_notice(tmp_notice, &ctx);
	enum hvo_exit rc = cli_run_command(&ctx, cmd, cmd->name, argc - optind,
					   argv + optind);
	return finish(&ctx, rc);
}

/*
 * cli.h - the hvoffline command-line frame.
 *
 * Commands are entries in one table (commands.c).  Each gets the shared
 * context, parses its own options with cli_getopt() (which also accepts the
 * global options anywhere on the line), writes its result to stdout (text,
 * or JSON with --json) and returns an exit class from <hvoffline.h>.
 * Diagnostics go to stderr as "hvoffline: <object>: <problem>" and, with
 * --log FILE, into a timestamped log that deployment scripts keep, as DISM's
 * /LogPath does.
 */
#ifndef HVO_CLI_H
#define HVO_CLI_H

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "hvoffline.h"
#include "trust/report.h"
#include "util/json.h"

#define CLI_MAX_ERRORS 32

struct cli_ctx {
	bool json;	     /* --json */
	int verbose;	     /* -v, repeatable */
	bool quiet;	     /* -q: no progress or notices */
	int log_fd;	     /* --log FILE, or -1 */
	const char *command; /* "cab list", for messages */
	/* Errors reported so far, kept for the JSON error report. */
	int nerrors;
	char *errors[CLI_MAX_ERRORS];
	bool json_written; /* the command wrote its JSON document */
	double start_time;
	int argc; /* the whole command line, for the log */
	char **argv;
	/* --trust, --allow-unsigned of the servicing commands. */
	struct trust_opts trust;
	bool bar_open; /* a progress bar line is on stderr (progress.c) */
	/* The images of a servicing session, for its progress. */
	char *const *images;
	size_t nimages;
};

struct cli_command {
	const char *name;
	const char *summary; /* one line, for `hvoffline --help` */
	const char *help;    /* full text for `hvoffline CMD --help` */
	/* Runs the command; argv[0] is the command's name.  NULL for a
	 * group whose subcommands are dispatched by the frame. */
	enum hvo_exit (*run)(struct cli_ctx *ctx, int argc, char **argv);
	const struct cli_command *subcommands; /* NULL-name terminated */
};

/* The top-level command table (commands.c). */
extern const struct cli_command cli_commands[];

/* ---- Diagnostics (stderr and the log) ---- */

/* "hvoffline: <object>: <message>"; @object may be NULL.  Always shown. */
void cli_error(struct cli_ctx *ctx, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "hvoffline: <object>: warning: <message>".  Always shown. */
void cli_warn(struct cli_ctx *ctx, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Progress and notices; silenced by -q, always logged. */
void cli_info(struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Shown with -v (level 1) or -vv (level 2); always logged. */
void cli_debug(struct cli_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A usage error: message plus a pointer to --help; returns HVO_EXIT_USAGE. */
enum hvo_exit cli_usage(struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends one timestamped record to the --log file, if any. */
void cli_log(struct cli_ctx *ctx, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cli_vlog(struct cli_ctx *ctx, const char *level, const char *fmt,
	      va_list ap);

/* Opens the --log file for appending.  Returns 0 or an errno value. */
int cli_log_open(struct cli_ctx *ctx, const char *path);
void cli_log_close(struct cli_ctx *ctx);

/* ---- Progress (progress.c) ---- */

/* @done of @total images are finished and @object's @step begins: a bar
 * on a terminal, a line elsewhere, nothing with -q; logged always. */
void cli_progress(struct cli_ctx *ctx, size_t done, size_t total,
		  const char *object, const char *step);

/* Ends a bar line left open (before other output). */
void cli_progress_end(struct cli_ctx *ctx);

/* Progress within an image's long step (the session's count callback):
 * the bar on a terminal, one line per step and image elsewhere, nothing
 * with -q; each step's end logged. */
struct svc_progress;
void cli_progress_count(struct cli_ctx *ctx, const struct svc_progress *p);

/* ---- Options ---- */

/*
 * getopt_long() for a command: @shortopts/@longopts are the command's own;
 * the global options (--json, -v, -q, --log, --help) are accepted too and
 * handled here.  Returns the command's option character, -1 at the end of
 * options, 'h' when help was asked for (the caller prints its help and
 * returns 0), or '?' after reporting a bad option (the caller returns
 * HVO_EXIT_USAGE).
 */
int cli_getopt(struct cli_ctx *ctx, int argc, char **argv,
	       const char *shortopts, const struct option *longopts);

/* Parses an unsigned decimal option value into *@out.  Returns false (after
 * reporting a usage error) if @s is not a number in [@min, @max]. */
bool cli_parse_uint(struct cli_ctx *ctx, const char *opt, const char *s,
		    unsigned long long min, unsigned long long max,
		    unsigned long long *out);

/* ---- The appliance launch options (doctor, inspect, apply, verify) ---- */

enum {
	CLI_OPT_NO_CACHE = 0x180,
	CLI_OPT_KVM_TIMEOUT,
	CLI_OPT_TCG_TIMEOUT,
	CLI_OPT_TRACE,
};

/* Their getopt_long() entries, to put in a command's table. */
#define CLI_LAUNCH_LONGOPTS                                  \
	{ "no-cache", no_argument, NULL, CLI_OPT_NO_CACHE }, \
		{ "kvm-timeout", required_argument, NULL,    \
		  CLI_OPT_KVM_TIMEOUT },                     \
		{ "tcg-timeout", required_argument, NULL,    \
		  CLI_OPT_TCG_TIMEOUT },                     \
	{                                                    \
		"trace", no_argument, NULL, CLI_OPT_TRACE    \
	}

/* Their help lines. */
#define CLI_LAUNCH_HELP                                                       \
	"  --no-cache        neither read nor write the remembered launch "   \
	"outcome\n"                                                           \
	"  --kvm-timeout S   treat a KVM launch as hung after S seconds "     \
	"(60)\n"                                                              \
	"  --tcg-timeout S   give up on a TCG launch after S seconds (900)\n" \
	"  --trace           show libguestfs's own debug output\n"

struct guest_launch_opts;

/* Takes option @c (from cli_getopt) into @lo if it is a launch option.
 * Returns 1 when it was one, 0 when not, -1 after a usage error. */
int cli_launch_option(struct cli_ctx *ctx, int c, const char *arg,
		      struct guest_launch_opts *lo);

/* ---- Output ---- */

/* Starts the command's JSON document on stdout. */
void cli_json_begin(struct cli_ctx *ctx, struct json_writer *w);
/* Finishes it; a write error is reported and turns @rc into a failure. */
enum hvo_exit cli_json_end(struct cli_ctx *ctx, struct json_writer *w,
			   enum hvo_exit rc);

/* Prints a command's help text to stdout. */
void cli_print_help(const struct cli_command *cmd, const char *prefix);

/* Runs a command (or dispatches to its subcommand). */
enum hvo_exit cli_run_command(struct cli_ctx *ctx,
			      const struct cli_command *cmd, const char *prefix,
			      int argc, char **argv);

/* Formats a UNIX time as ISO 8601 UTC into @buf (at least 32 bytes). */
void cli_format_time(double t, char *buf, size_t size);

double cli_now(void);

/* Verifies the Authenticode signature of the cabinet at @path (shown as
 * @where): a refusal is an error naming the failure (with
 * @refusal_is_error; else only -v shows it, for a cabinet that is merely
 * skipped) and its exit class is returned; a waived one (--allow-unsigned)
 * is a loud warning.  The verdict goes to *@sig_ret (the caller frees it)
 * unless @sig_ret is NULL. */
enum hvo_exit cli_trust_check(struct cli_ctx *ctx, const struct trust_opts *to,
			      const char *path, const char *where,
			      bool refusal_is_error,
			      struct trust_verdict **sig_ret);
/* The same for a cabinet already read (a source's package: its bytes,
 * pkg->cab_data), so that the file is not read again. */
enum hvo_exit cli_trust_check_mem(struct cli_ctx *ctx,
				  const struct trust_opts *to,
				  const uint8_t *buf, size_t len,
				  const char *where, bool refusal_is_error,
				  struct trust_verdict **sig_ret);

#endif /* HVO_CLI_H */

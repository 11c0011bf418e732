/*
 * output.h - what the commands share to write their results: the --json
 * document, and the servicing session's options, notices and report
 * (inspect, apply, verify).
 */
#ifndef HVO_CLI_OUTPUT_H
#define HVO_CLI_OUTPUT_H

#include "cli/cli.h"
#include "servicing/session.h"

/* ---- The guest backend option (inspect, apply, verify) ---- */

enum {
	CLI_OPT_BACKEND = 0x190,
};

/* With it, -j N / --jobs N (short option "j:"). */
#define CLI_BACKEND_LONGOPT                                      \
	{ "backend", required_argument, NULL, CLI_OPT_BACKEND }, \
	{                                                        \
		"jobs", required_argument, NULL, 'j'             \
	}

#define CLI_BACKEND_HELP                                                 \
	"  --backend B       the guest backend: native or appliance "    \
	"(default:\n"                                                    \
	"                    $HVOFFLINE_BACKEND, else native)\n"         \
	"  -j, --jobs N      native: service N images at once, each in " \
	"its own\n"                                                      \
	"                    sandboxed child (default 1; 0: one per "    \
	"CPU)\n"

/* Session options for a command: notices routed to @ctx. */
void cli_session_opts_init(struct cli_ctx *ctx, struct svc_session_opts *so);

/* Takes option @c (from cli_getopt) into @so if it is --backend, --jobs or
 * a launch option.  Returns 1 when it was one, 0 when not, -1 after a
 * usage error. */
int cli_session_option(struct cli_ctx *ctx, int c, const char *arg,
		       struct svc_session_opts *so);

/* A session for @nimages images and @source (or NULL).  Returns
 * HVO_EXIT_OK and *@s_ret, or the exit code after reporting why. */
enum hvo_exit cli_session_new(struct cli_ctx *ctx,
			      const struct svc_session_opts *so,
			      const char *source, int nimages,
			      char *const *images, struct svc_session **s_ret);

/* Reports a session that ran (@e: what its run returned) as JSON or text,
 * frees it, and returns the command's exit code. */
enum hvo_exit cli_session_report(struct cli_ctx *ctx, struct svc_session *s,
				 enum svc_err e);

#endif /* HVO_CLI_OUTPUT_H */

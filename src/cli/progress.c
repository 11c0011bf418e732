/*
 * progress.c - per-image progress of the servicing commands (inspect,
 * apply, verify, services, rollback) on stderr.
 *
 * On a terminal a bar on one line, redrawn in place ("\r", erase to the
 * end of line) as each image's step begins, and ended by a newline when
 * the last image is done or before any other message (diag.c); elsewhere
 * (a pipe, a log being captured) one plain line per step, as cli_info().
 * Nothing at all with -q; nothing ever on stdout, which holds the report
 * (text or --json).  Every step is logged with --log.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define BAR_WIDTH 20

/* Whether stderr is a terminal that can redraw a line. */
static bool bar_terminal(void)
{
	const char *term = getenv("TERM");
	return isatty(STDERR_FILENO) &&
	       (term == NULL || strcmp(term, "dumb") != 0);
}

void cli_progress_end(struct cli_ctx *ctx)
{
	if (!ctx->bar_open)
		return;
	fputc('\n', stderr);
	fflush(stderr);
	ctx->bar_open = false;
}

void cli_progress(struct cli_ctx *ctx, size_t done, size_t total,
		  const char *object, const char *step)
{
	if (total == 0)
		total = 1;
	if (done > total)
		done = total;
	cli_log(ctx, "INFO", "%s%s%s (%zu/%zu)", object ? object : "",
		object ? ": " : "", step, done, total);
	if (ctx->quiet)
		return;
	bool last = done == total && object == NULL;
	if (!bar_terminal()) {
		if (last)
			return; /* the lines said it all */
		fflush(stdout);
		/* The image's number, counting from 1. */
		fprintf(stderr, "hvoffline: %s%s%s (%zu/%zu)\n",
			object ? object : "", object ? ": " : "", step,
			done + 1, total);
		return;
	}
	char bar[BAR_WIDTH + 1];
	size_t fill = done * BAR_WIDTH / total;
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR_WIDTH - fill);
	bar[BAR_WIDTH] = '\0';
	fflush(stdout);
	/* The image's name shortened from the left to fit a line. */
	const char *o = object ? object : "";
	size_t ol = strlen(o);
	if (last && !ctx->bar_open)
		return;
	fprintf(stderr, "\r\033[K[%s] %zu/%zu %s%.40s%s%s", bar, done, total,
		ol > 40 ? "..." : "", ol > 40 ? o + ol - 40 : o,
		object ? ": " : "", step);
	fflush(stderr);
	ctx->bar_open = true;
	if (done == total)
		cli_progress_end(ctx);
}

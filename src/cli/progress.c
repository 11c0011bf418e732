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
 *
 * Within an image, the long steps (staging files, hashing them, editing
 * hives) count bytes or items (struct svc_progress, from the session or
 * its sandboxed children as they run): on a terminal the bar shows the
 * step's share and its count, with how many other images are busy under
 * -j; elsewhere one line per step per image, when it begins, and the
 * log gets the step's end.
 */
#include <config.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "servicing/session.h"

#define BAR_WIDTH 20

/* Per image of the command: the step it counts now, and whether that
 * step is under way (for the bar's "+N busy" under -j, and for one plain
 * line per step).  Lives as long as the process: one command per run. */
struct step_state {
	char step[64];
	bool busy;
};
static struct step_state *steps;
static size_t nsteps;

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

/* "1.5 of 3.2 MiB", "12 of 40" (items). */
static void amount(const struct svc_progress *p, char *out, size_t size)
{
	if (!p->bytes) {
		snprintf(out, size, "%" PRIu64 " of %" PRIu64, p->done,
			 p->total);
		return;
	}
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB",
					    "TiB" };
	int u = 0;
	double scale = 1;
	while (u < 4 && (double)p->total >= scale * 1024 * 10)
		scale *= 1024, u++;
	if (u == 0)
		snprintf(out, size, "%" PRIu64 " of %" PRIu64 " bytes", p->done,
			 p->total);
	else
		snprintf(out, size, "%.1f of %.1f %s", (double)p->done / scale,
			 (double)p->total / scale, unit[u]);
}

void cli_progress_count(struct cli_ctx *ctx, const struct svc_progress *p)
{
	size_t i = 0;
	while (i < ctx->nimages && strcmp(ctx->images[i], p->image) != 0)
		i++;
	if (i == ctx->nimages)
		return; /* not an image of this command */
	if (steps == NULL || nsteps != ctx->nimages) {
		free(steps);
		nsteps = 0;
		steps = calloc(ctx->nimages, sizeof(*steps));
		if (steps == NULL)
			return;
		nsteps = ctx->nimages;
	}
	struct step_state *st = &steps[i];
	bool new_step = strcmp(st->step, p->step) != 0;
	snprintf(st->step, sizeof(st->step), "%s", p->step);
	st->busy = p->done < p->total;
	char am[64];
	amount(p, am, sizeof(am));
	if (p->done == p->total)
		cli_log(ctx, "INFO", "%s: %s: %s", p->image, p->step, am);
	if (ctx->quiet)
		return;
	if (!bar_terminal()) {
		if (!new_step)
			return; /* one line per step and image */
		fflush(stdout);
		fprintf(stderr, "hvoffline: %s: %s (%s)\n", p->image, p->step,
			am);
		return;
	}
	size_t busy = 0;
	for (size_t k = 0; k < nsteps; k++)
		busy += k != i && steps[k].busy;
	char bar[BAR_WIDTH + 1];
	size_t fill = p->total ? (size_t)((double)p->done / (double)p->total *
					  BAR_WIDTH)
			       : BAR_WIDTH;
	if (fill > BAR_WIDTH)
		fill = BAR_WIDTH;
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR_WIDTH - fill);
	bar[BAR_WIDTH] = '\0';
	char others[32] = "";
	if (busy > 0)
		snprintf(others, sizeof(others), " (+%zu busy)", busy);
	const char *o = p->image;
	size_t ol = strlen(o);
	fflush(stdout);
	/* The image's place as cli_progress() shows it with its steps (the
	 * images before it), so that its lines read alike. */
	fprintf(stderr, "\r\033[K[%s] %zu/%zu %s%.40s: %s %s%s", bar, i,
		ctx->nimages, ol > 40 ? "..." : "", ol > 40 ? o + ol - 40 : o,
		p->step, am, others);
	fflush(stderr);
	ctx->bar_open = true;
}

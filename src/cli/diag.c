/*
 * diag.c - diagnostics on stderr and the --log file.
 *
 * The log is for deployment scripts that keep a record of each run, as
 * DISM's /LogPath does: every record is one line, written with a single
 * write() on an O_APPEND descriptor so that concurrent runs sharing a log
 * file interleave whole lines.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

double cli_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void cli_format_time(double t, char *buf, size_t size)
{
	time_t secs = (time_t)t;
	struct tm tm;
	gmtime_r(&secs, &tm);
	int ms = (int)((t - (double)secs) * 1000.0);
	if (ms < 0)
		ms = 0;
	if (ms > 999)
		ms = 999;
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, ms);
}

int cli_log_open(struct cli_ctx *ctx, const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	ctx->log_fd = fd;

	/* The start record: version and the exact command line, quoted so
	 * that a script's log shows what was run. */
	char line[3000];
	size_t len = 0;
	line[0] = '\0';
	for (int i = 0; i < ctx->argc && len + 4 < sizeof(line); i++) {
		const char *a = ctx->argv[i];
		bool quote = a[0] == '\0' || strpbrk(a, " \t\"'\\$") != NULL;
		int n = snprintf(line + len, sizeof(line) - len,
				 quote ? "%s'%s'" : "%s%s", i ? " " : "", a);
		if (n < 0)
			break;
		len += (size_t)n;
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
	}
	cli_log(ctx, "START", "%s %s: %s", PACKAGE_NAME, PACKAGE_VERSION, line);
	return 0;
}

void cli_log_close(struct cli_ctx *ctx)
{
	if (ctx->log_fd >= 0)
		close(ctx->log_fd);
	ctx->log_fd = -1;
}

void cli_vlog(struct cli_ctx *ctx, const char *level, const char *fmt,
	      va_list ap)
{
	if (ctx->log_fd < 0)
		return;
	char stamp[48];
	cli_format_time(cli_now(), stamp, sizeof(stamp));
	char line[4096];
	int n = snprintf(line, sizeof(line), "%s [%ld] %-5s ", stamp,
			 (long)getpid(), level);
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	size_t len = strlen(line);
	/* One record per line: fold embedded newlines. */
	for (size_t i = (size_t)n; i < len; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	if (len + 1 >= sizeof(line))
		len = sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t w = write(ctx->log_fd, line, len);
	(void)w; /* a failing log must not fail the run */
}

void cli_log(struct cli_ctx *ctx, const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vlog(ctx, level, fmt, ap);
	va_end(ap);
}

static void emit(struct cli_ctx *ctx, const char *level, const char *object,
		 const char *tag, const char *fmt, va_list ap, bool show)
{
	char msg[2048];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	char full[2600];
	if (object != NULL && tag != NULL)
		snprintf(full, sizeof(full), "%s: %s: %s", object, tag, msg);
	else if (object != NULL)
		snprintf(full, sizeof(full), "%s: %s", object, msg);
	else if (tag != NULL)
		snprintf(full, sizeof(full), "%s: %s", tag, msg);
	else
		snprintf(full, sizeof(full), "%s", msg);
	if (show) {
		cli_progress_end(ctx);
		fflush(stdout);
		fprintf(stderr, "hvoffline: %s\n", full);
	}
	cli_log(ctx, level, "%s", full);
	if (strcmp(level, "ERROR") == 0 && ctx->nerrors < CLI_MAX_ERRORS) {
		char *copy = strdup(full);
		if (copy)
			ctx->errors[ctx->nerrors++] = copy;
	}
}

void cli_error(struct cli_ctx *ctx, const char *object, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(ctx, "ERROR", object, NULL, fmt, ap, true);
	va_end(ap);
}

void cli_warn(struct cli_ctx *ctx, const char *object, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(ctx, "WARN", object, "warning", fmt, ap, true);
	va_end(ap);
}

void cli_info(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(ctx, "INFO", NULL, NULL, fmt, ap, !ctx->quiet);
	va_end(ap);
}

void cli_debug(struct cli_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(ctx, "DEBUG", NULL, NULL, fmt, ap,
	     ctx->verbose >= level && !ctx->quiet);
	va_end(ap);
}

enum hvo_exit cli_usage(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(ctx, "ERROR", NULL, NULL, fmt, ap, true);
	va_end(ap);
	if (ctx->command)
		fprintf(stderr,
			"Try 'hvoffline %s --help' for more information.\n",
			ctx->command);
	else
		fprintf(stderr,
			"Try 'hvoffline --help' for more information.\n");
	return HVO_EXIT_USAGE;
}

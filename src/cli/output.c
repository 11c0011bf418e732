/*
 * output.c - the JSON document a command writes with --json.
 */
#include <config.h>

#include <string.h>

#include "cli/cli.h"

void cli_json_begin(struct cli_ctx *ctx, struct json_writer *w)
{
	hvo_int_json_init(w, stdout, true);
	ctx->json_written = true;
}

enum hvo_exit cli_json_end(struct cli_ctx *ctx, struct json_writer *w,
			   enum hvo_exit rc)
{
	int e = hvo_int_json_finish(w);
	if (e != 0) {
		cli_error(ctx, "standard output", "cannot write JSON: %s",
			  strerror(e));
		return hvo_exit_max(rc, HVO_EXIT_FAILED);
	}
	return rc;
}

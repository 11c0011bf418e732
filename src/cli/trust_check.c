/*
 * trust_check.c - the signature check of a cabinet as the commands report
 * it (cab test, package info, and the sources of inspect, apply and
 * verify): src/trust judges, this file says what it judged.
 */
#include <config.h>

#include "cli/cli.h"

/* The cabinet's @len bytes at @buf, or (@buf NULL) the file @path. */
static enum hvo_exit check(struct cli_ctx *ctx, const struct trust_opts *to,
			   const uint8_t *buf, size_t len, const char *path,
			   const char *where, bool refusal_is_error,
			   struct trust_verdict **sig_ret)
{
	char msg[1200];
	struct trust_verdict *v = NULL;
	enum hvo_exit rc =
		trust_check_cab_mem(to, buf, len, path, &v, msg, sizeof(msg));
	if (rc && refusal_is_error)
		cli_error(ctx, where, "%s", msg);
	else if (rc)
		cli_debug(ctx, 1, "%s: %s", where, msg);
	else if (trust_verdict_waived(v, to))
		cli_warn(ctx, where,
			 "%s; ACCEPTED only because of --allow-unsigned", msg);
	else if (v)
		cli_debug(ctx, 1, "%s: signature trusted, signer %s", where,
			  v->signer ? v->signer : "?");
	if (sig_ret != NULL)
		*sig_ret = v;
	else
		trust_verdict_free(v);
	return rc;
}

enum hvo_exit cli_trust_check(struct cli_ctx *ctx, const struct trust_opts *to,
			      const char *path, const char *where,
			      bool refusal_is_error,
			      struct trust_verdict **sig_ret)
{
	return check(ctx, to, NULL, 0, path, where, refusal_is_error, sig_ret);
}

enum hvo_exit cli_trust_check_mem(struct cli_ctx *ctx,
				  const struct trust_opts *to,
				  const uint8_t *buf, size_t len,
				  const char *where, bool refusal_is_error,
				  struct trust_verdict **sig_ret)
{
	return check(ctx, to, buf, len, where, where, refusal_is_error,
		     sig_ret);
}

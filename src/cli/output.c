/*
 * output.c - the JSON document a command writes with --json.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/output.h"
#include "servicing/inspect_applicable.h"

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

/* ------------------------------------------------------------------ */
/* Servicing sessions (inspect, apply, verify).                        */
/* ------------------------------------------------------------------ */

static void on_notice(void *opaque, enum svc_notice kind, const char *object,
		      const char *msg)
{
	struct cli_ctx *ctx = opaque;
	/* An image's step: progress over the command's images. */
	for (size_t i = 0;
	     kind == SVC_NOTICE_PROGRESS && object != NULL && i < ctx->nimages;
	     i++)
		if (strcmp(ctx->images[i], object) == 0) {
			cli_progress(ctx, i, ctx->nimages, object, msg);
			return;
		}
	switch (kind) {
	case SVC_NOTICE_PROGRESS:
	case SVC_NOTICE_BACKEND:
		if (object != NULL)
			cli_info(ctx, "%s: %s", object, msg);
		else
			cli_info(ctx, "%s", msg);
		break;
	case SVC_NOTICE_WARNING:
		cli_warn(ctx, object, "%s", msg);
		break;
	case SVC_NOTICE_ERROR:
		cli_error(ctx, object, "%s", msg);
		break;
	case SVC_NOTICE_NOTE:
	case SVC_NOTICE_RESULT:
		cli_log(ctx, kind == SVC_NOTICE_NOTE ? "NOTE" : "INFO",
			"%s: %s", object ? object : "", msg);
		break;
	case SVC_NOTICE_DEBUG:
	default:
		if (object != NULL)
			cli_debug(ctx, 1, "%s: %s", object, msg);
		else
			cli_debug(ctx, 1, "%s", msg);
		break;
	}
}

/* True if the cabinet of @pkg verifies with the --trust roots but not
 * with the shipped (Microsoft) roots alone: its chain ends at a root the
 * user gave. */
static bool chains_to_user_root(struct cli_ctx *ctx,
				const struct pkg_package *pkg)
{
	if (ctx->trust.nroots == 0)
		return false;
	struct trust_opts shipped = ctx->trust;
	shipped.nroots = 0;
	shipped.allow_unsigned = false;
	char msg[1200];
	struct trust_verdict *v = NULL;
	enum hvo_exit rc =
		trust_check_cab_mem(&shipped, pkg->cab_data, pkg->cab_size,
				    pkg->source, &v, msg, sizeof(msg));
	bool user = rc != HVO_EXIT_OK && v != NULL &&
		    v->status == TRUST_ERR_UNTRUSTED;
	trust_verdict_free(v);
	return user;
}

/* The source's cabinets are candidates only if their signature is
 * trusted (src/trust, reported by cli_trust_check) and their update.mum
 * identity is an integration-services package (SERVICING.md section 1).
 * A refused single cabinet is an error; one of a directory or ISO is
 * skipped, which the session reports as a notice (only -v shows why the
 * signature was refused).  Another identity -- the project's demo
 * package, Hvoffline-Demo-Integration-Services-Package, is not
 * Microsoft's -- is accepted only when its signature chains to a root
 * given by --trust: the user vouched for its signer, not for every signer
 * Microsoft has. */
/* What the report and the in-guest record keep of verdict @v. */
static void note_signature(struct svc_signature *s,
			   const struct trust_verdict *v, bool waived)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->verdict, sizeof(s->verdict), "%s",
		 v ? trust_verdict_word(v) : "error");
	if (v == NULL)
		return;
	snprintf(s->signer, sizeof(s->signer), "%s",
		 v->signer ? v->signer : "");
	for (size_t i = 0; i < v->nchain && i < SVC_SIG_CHAIN_MAX; i++)
		snprintf(s->chain[s->nchain++], sizeof(s->chain[0]), "%s",
			 v->chain[i].cn ? v->chain[i].cn : "?");
	s->chain_complete = v->chain_complete;
	struct tm tm;
	if (v->ts_verified && gmtime_r(&v->ts_time, &tm) != NULL)
		strftime(s->timestamp, sizeof(s->timestamp),
			 "%Y-%m-%dT%H:%M:%SZ", &tm);
	s->allowed_unsigned = waived;
}

static enum hvo_exit check_cabinet(void *opaque, struct svc_source_package *p,
				   const char **skip)
{
	struct cli_ctx *ctx = opaque;
	struct trust_verdict *v = NULL;
	/* The bytes the package was read from: the file is read once. */
	enum hvo_exit rc = cli_trust_check_mem(
		ctx, &ctx->trust, p->pkg->cab_data, p->pkg->cab_size, p->where,
		!p->optional, &v);
	const char *name = p->pkg ? p->pkg->identity.name : NULL;
	if (rc) {
		*skip = v && v->status == TRUST_ERR_UNSIGNED ? "unsigned"
							     : "untrusted";
	} else if (!svc_ic_package_name(name) &&
		   (trust_verdict_waived(v, &ctx->trust) ||
		    !chains_to_user_root(ctx, p->pkg))) {
		*skip = "not an integration-services package";
		rc = HVO_EXIT_NOT_APPLICABLE;
		if (!p->optional)
			cli_error(ctx, p->where,
				  "%s is not an integration-services package "
				  "(and not signed by a root given with "
				  "--trust)",
				  name ? name : "?");
	}
	bool waived = trust_verdict_waived(v, &ctx->trust);
	note_signature(&p->sig, v, rc == HVO_EXIT_OK && waived);
	trust_verdict_free(v);
	return rc;
}

static void on_count(void *opaque, const struct svc_progress *p)
{
	cli_progress_count(opaque, p);
}

void cli_session_opts_init(struct cli_ctx *ctx, struct svc_session_opts *so)
{
	so->notice = on_notice;
	so->notice_ctx = ctx;
	so->count = on_count;
	so->count_ctx = ctx;
	/* Tests see every count with HVOFFLINE_PROGRESS_INTERVAL_MS=-1. */
	const char *iv = getenv("HVOFFLINE_PROGRESS_INTERVAL_MS");
	if (iv != NULL)
		so->count_interval_ms = atoi(iv);
	so->check_cabinet = check_cabinet;
	so->check_ctx = ctx;
}

int cli_session_option(struct cli_ctx *ctx, int c, const char *arg,
		       struct svc_session_opts *so)
{
	if (trust_opts_parse(&ctx->trust, c, arg))
		return 1;
	if (c == 'j') {
		char *end;
		errno = 0;
		unsigned long n = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || n > 1024) {
			cli_usage(ctx,
				  "--jobs: '%s' is not a number from 0 "
				  "to 1024",
				  arg);
			return -1;
		}
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		so->jobs = n ? (unsigned)n : cpus > 0 ? (unsigned)cpus : 1;
		return 1;
	}
	if (c != CLI_OPT_BACKEND)
		return cli_launch_option(ctx, c, arg, &so->launch);
	if (strcmp(arg, "native") != 0 && strcmp(arg, "appliance") != 0) {
		cli_usage(ctx,
			  "--backend: '%s' is neither native nor appliance",
			  arg);
		return -1;
	}
	so->backend = arg;
	return 1;
}

enum hvo_exit cli_session_new(struct cli_ctx *ctx,
			      const struct svc_session_opts *so,
			      const char *source, int nimages,
			      char *const *images, struct svc_session **s_ret)
{
	struct svc_session *s;
	enum svc_err e = svc_session_new(so, &s);
	if (e != SVC_OK) {
		cli_error(ctx, NULL, "%s", svc_strerror(e));
		return svc_exit_class(e);
	}
	for (int i = 0; i < nimages && e == SVC_OK; i++)
		e = svc_session_add_image(s, images[i]);
	ctx->images = images;
	ctx->nimages = (size_t)nimages;
	if (e != SVC_OK) {
		cli_error(ctx, NULL, "%s", svc_session_errmsg(s));
	} else if (source != NULL &&
		   (e = svc_session_set_source(s, source)) != SVC_OK) {
		cli_error(ctx, source, "%s", svc_session_errmsg(s));
		e = SVC_ERR_SOURCE; /* exit 1, as before anything ran */
	}
	if (e != SVC_OK) {
		svc_session_free(s);
		return svc_exit_class(e);
	}
	*s_ret = s;
	return HVO_EXIT_OK;
}

enum hvo_exit cli_session_report(struct cli_ctx *ctx, struct svc_session *s,
				 enum svc_err e)
{
	if (e != SVC_OK) {
		cli_error(ctx, NULL, "%s", svc_session_errmsg(s));
		svc_session_free(s);
		return svc_exit_class(e);
	}
	enum hvo_exit rc = svc_session_exit(s);
	cli_progress(ctx, ctx->nimages, ctx->nimages, NULL, "done");
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		svc_session_json(s, &w);
		rc = cli_json_end(ctx, &w, rc);
	} else {
		svc_session_text(s, stdout);
	}
	svc_session_free(s);
	return rc;
}

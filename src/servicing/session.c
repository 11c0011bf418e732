/*
 * session.c - the session handle: images, source and options in; inspect,
 * apply or verify of every image (session_image.c in this process, or
 * session_child.c in a sandboxed child per image); results out (see
 * session.h).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "servicing/inspect_int.h"
#include "servicing/session_int.h"
#include "util/tmpdir.h"

/* ------------------------------------------------------------------ */
/* The handle.                                                         */
/* ------------------------------------------------------------------ */

enum svc_err svc_session_new(const struct svc_session_opts *opts,
			     struct svc_session **s_ret)
{
	*s_ret = NULL;
	if (opts->backend != NULL && strcmp(opts->backend, "native") != 0 &&
	    strcmp(opts->backend, "appliance") != 0)
		return SVC_ERR_INVALID;
	struct svc_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SVC_ERR_NOMEM;
	s->opts = *opts;
	*s_ret = s;
	return SVC_OK;
}

const char *svc_session_errmsg(const struct svc_session *s)
{
	return svc_int_errmsg_or_empty(&s->error);
}

enum svc_err svc_session_add_image(struct svc_session *s, const char *path)
{
	if (s->ran)
		return svc_int_fail(&s->error, SVC_ERR_INVALID,
				    "the session has run");
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **p = realloc(s->paths, cap * sizeof(*p));
		if (p == NULL)
			return svc_int_fail(&s->error, SVC_ERR_NOMEM,
					    "out of memory");
		s->paths = p;
		s->cap = cap;
	}
	if ((s->paths[s->n] = strdup(path)) == NULL)
		return svc_int_fail(&s->error, SVC_ERR_NOMEM, "out of memory");
	s->n++;
	return SVC_OK;
}

enum svc_err svc_session_set_source(struct svc_session *s, const char *path)
{
	if (s->have_source)
		svc_source_free(&s->src);
	s->have_source = true;
	enum svc_err e = svc_source_open(path, &s->src);
	if (e != SVC_OK)
		svc_int_fail(&s->error, e, "%s", svc_source_errmsg(&s->src));
	return e;
}

void svc_session_free(struct svc_session *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; s->results && i < s->n; i++)
		svc_int_session_result_free(&s->results[i]);
	if (s->launched)
		svc_run_close(&s->run);
	free(s->results);
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	free(s->paths);
	svc_source_packages_free(s->pkgs, s->npkgs);
	if (s->have_source)
		svc_source_free(&s->src);
	if (s->tmpdir != NULL)
		hvo_int_tmpdir_remove(s->tmpdir);
	free(s->tmpdir);
	svc_int_error_clear(&s->error);
	free(s);
}

/* Everything up to the launch's facts: the scratch directory, the
 * results, the source when it is read natively, and the launch. */
static enum svc_err start(struct svc_session *s, enum svc_command command)
{
	if (s->ran)
		return svc_int_fail(&s->error, SVC_ERR_INVALID,
				    "the session has run");
	if (s->opts.command != command)
		return svc_int_fail(&s->error, SVC_ERR_INVALID,
				    "the session was made for %s, not %s",
				    svc_command_name(s->opts.command),
				    svc_command_name(command));
	s->ran = true;
	s->results = calloc(s->n ? s->n : 1, sizeof(*s->results));
	if (s->results == NULL)
		return svc_int_fail(&s->error, SVC_ERR_NOMEM,
				    "cannot make a scratch directory: %s",
				    strerror(ENOMEM));
	int e = hvo_int_tmpdir_create(svc_command_name(command), &s->tmpdir);
	if (e != 0) {
		free(s->results);
		s->results = NULL;
		return svc_int_fail(&s->error, SVC_ERR_IO,
				    "cannot make a scratch directory: %s",
				    strerror(e));
	}
	for (size_t i = 0; i < s->n; i++)
		s->results[i].image = s->paths[i];
	return SVC_OK;
}

/* ---- inspect ---- */

static enum svc_status inspect_status(const struct svc_facts *f)
{
	const char *st = svc_facts_status(f);
	if (strcmp(st, "ok") == 0)
		return SVC_STATUS_OK;
	if (strcmp(st, "unsafe") == 0)
		return SVC_STATUS_UNSAFE;
	if (strcmp(st, "corrupt") == 0)
		return SVC_STATUS_CORRUPT;
	if (strcmp(st, "no-windows") == 0)
		return SVC_STATUS_NO_WINDOWS;
	return SVC_STATUS_ERROR;
}

/*
 * A tampered, untrusted or corrupt source stops inspect before anything
 * is launched or any image is opened (SERVICING.md 3.4), as it stops
 * apply: every image is reported not inspected (status "error"); the run
 * exits with the source's class (5).
 * A cabinet or directory is read first for that reason; vmguest.iso too
 * on the native backend, inside the appliance's launch on the other.
 */
static void not_inspected(struct svc_session *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct svc_facts *f = &s->results[i].facts;
		svc_facts_init(f, s->paths[i]);
		svc_int_add_problem(f, "source-refused", HVO_EXIT_FAILED,
				    "not inspected: the source %s cannot be "
				    "used, so no image was opened",
				    s->src.path);
	}
}

enum svc_err svc_session_inspect(struct svc_session *s)
{
	enum svc_err e = start(s, SVC_COMMAND_INSPECT);
	if (e != SVC_OK)
		return e;
	svc_int_session_notice(s, SVC_NOTICE_PROGRESS, NULL,
			       "inspecting %zu image%s", s->n,
			       s->n == 1 ? "" : "s");
	enum hvo_exit rc = HVO_EXIT_OK;
	/* Which package applies to each image (the cabinets are read once;
	 * an ISO's are copied out before the backend shuts down). */
	if (svc_int_session_sandboxed(s)) {
		if (s->have_source)
			rc = svc_int_session_read_source(s);
		if (rc == HVO_EXIT_CORRUPT)
			not_inspected(s);
		else
			svc_int_session_children(s);
	} else if (s->have_source && s->src.kind != SVC_SOURCE_ISO &&
		   (rc = svc_int_session_load_source(s, NULL)) ==
			   HVO_EXIT_CORRUPT) {
		not_inspected(s);
	} else {
		svc_int_session_launch(s);
		if (s->have_source && s->src.kind == SVC_SOURCE_ISO &&
		    s->launch_err == SVC_OK)
			rc = svc_int_session_load_source(
				s, svc_int_session_iso_disk(s));
	}
	bool refused = rc == HVO_EXIT_CORRUPT;
	for (size_t i = 0; s->pkgs != NULL && !refused && i < s->n; i++) {
		struct svc_image_result *r = &s->results[i];
		if (svc_applicability(&r->facts, s->pkgs, s->npkgs,
				      &r->applicability) != SVC_OK)
			rc = HVO_EXIT_FAILED;
		else
			r->have_applicability = true;
	}
	if (s->launch_err != SVC_OK)
		rc = HVO_EXIT_FAILED;
	if (!svc_int_session_finish(s))
		rc = HVO_EXIT_FAILED;
	for (size_t i = 0; i < s->n; i++) {
		struct svc_image_result *r = &s->results[i];
		const struct svc_facts *f = &r->facts;
		r->status = inspect_status(f);
		r->exit = f->verdict;
		r->err = svc_int_err_of_exit(f->verdict, SVC_ERR_GUEST);
		rc = hvo_exit_max(rc, f->verdict);
		for (size_t k = 0; k < f->nproblems; k++) {
			const struct svc_problem *p = &f->problems[k];
			if (p->exit == HVO_EXIT_OK)
				svc_int_session_notice(s, SVC_NOTICE_NOTE,
						       f->image, "%s",
						       p->message);
			else
				svc_int_session_notice(s, SVC_NOTICE_ERROR,
						       f->image, "%s: %s",
						       p->code, p->message);
		}
	}
	s->exit = rc;
	return SVC_OK;
}

static enum svc_err run_servicing(struct svc_session *s,
				  enum svc_command command)
{
	enum svc_err e = start(s, command);
	if (e != SVC_OK)
		return e;
	if (!s->have_source)
		return svc_int_fail(&s->error, SVC_ERR_INVALID,
				    "--source is required");
	/* A cabinet or a directory is read before anything is launched: a
	 * source that cannot be used stops the run with every image
	 * untouched.  vmguest.iso is read inside the launch. */
	bool source_read = false, children = svc_int_session_sandboxed(s);
	if (s->src.kind != SVC_SOURCE_ISO || children) {
		s->source_exit = svc_int_session_read_source(s);
		source_read = true;
	}
	svc_int_session_notice(s, SVC_NOTICE_PROGRESS, NULL, "%s %zu image%s",
			       command == SVC_COMMAND_APPLY ? "servicing"
							    : "verifying",
			       s->n, s->n == 1 ? "" : "s");
	if (s->source_exit == HVO_EXIT_OK && !children) {
		svc_int_session_launch(s);
	} else if (s->source_exit != HVO_EXIT_OK) {
		for (size_t i = 0; i < s->n; i++)
			svc_facts_init(&s->results[i].facts, s->paths[i]);
	}
	if (s->launched && s->launch_err == SVC_OK &&
	    s->source_exit == HVO_EXIT_OK && !source_read)
		s->source_exit = svc_int_session_load_source(
			s, svc_int_session_iso_disk(s));

	if (s->source_exit == HVO_EXIT_OK && children) {
		svc_int_session_children(s);
	} else {
		for (size_t i = 0; i < s->n; i++)
			svc_int_session_one(s, i);
		svc_int_session_finish(s);
	}
	enum hvo_exit rc = HVO_EXIT_OK;
	for (size_t i = 0; i < s->n; i++)
		rc = hvo_exit_max(rc, s->results[i].exit);
	s->exit = rc;
	return SVC_OK;
}

enum svc_err svc_session_apply(struct svc_session *s)
{
	return run_servicing(s, SVC_COMMAND_APPLY);
}

enum svc_err svc_session_verify(struct svc_session *s)
{
	return run_servicing(s, SVC_COMMAND_VERIFY);
}

/*
 * services_child.c - the managing commands' images, each in a sandboxed
 * child (see services_child.h).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guest/sandbox.h"
#include "servicing/child_paths.h"
#include "servicing/services_child.h"
#include "util/fileio.h"
#include "util/tmpdir.h"

/* A child's result is bounded: a service list, a rollback's items, or
 * the values of one key (reg get) or the export of one (reg export). */
#define RESULT_MAX (256u << 20)
/* Bounds on a notice replayed from a child. */
#define NOTICE_MAX 4096

struct job {
	const struct svc_manage_jobs *j;
	size_t i;
	char *dir; /* its scratch directory */
	struct svc_child_paths cp;
	const char **read;
	size_t nread;
	const char *write[2];
	size_t nwrite;
	struct guest_sandbox_child c;
	int started; /* a guest_sandbox_status */
	char why[512];
};

/* ---- the child ---- */

static void child_event(void *ctx, const char *what, const char *msg)
{
	struct svc_mwire *w = ctx;
	svc_int_mw_put(w, "E", 1);
	svc_int_mw_s(w, what);
	svc_int_mw_s(w, msg);
}

static int child_main(void *opaque, int out)
{
	struct job *jb = opaque;
	const struct svc_manage_jobs *j = jb->j;
	struct svc_mwire w = { 0 };
	struct svc_run_opts ro = *j->ro;
	ro.tmpdir = jb->dir;
	ro.guest.event = child_event;
	ro.guest.event_ctx = &w;
	ro.progress = NULL;
	const char *image = j->images[jb->i];
	struct svc_manage m;
	bool opened = svc_manage_open(&ro, j->write, &image, 1, &m) == 0;
	j->step(j->opaque, jb->i, &m, opened, jb->dir);
	bool closed = svc_manage_close(&m) == 0;
	svc_int_mw_put(&w, "R", 1);
	j->put(j->opaque, jb->i, closed, &w);
	int e = svc_int_mw_close(&w) == 0 ? 0 : 3;
	if (e == 0 && hvo_int_write_all(out, w.buf, w.len) != 0)
		e = 4;
	free(w.buf);
	return e;
}

/* ---- the parent ---- */

static void job_free(struct job *jb)
{
	free(jb->read);
	svc_int_child_paths_free(&jb->cp);
	free(jb->dir);
}

/* What the child may open (services_child.h). */
static int job_paths(struct job *jb)
{
	const struct svc_manage_jobs *j = jb->j;
	const char *image = j->images[jb->i];
	if (svc_int_child_paths(image, &jb->cp) != 0)
		return -1;
	for (size_t k = 0; k < j->nread_extra; k++)
		if (svc_int_child_paths_add(&jb->cp, j->read_extra[k]) != 0)
			return -1;
	jb->read = calloc(jb->cp.nread ? jb->cp.nread : 1, sizeof(*jb->read));
	if (jb->read == NULL)
		return -1;
	for (size_t k = 0; k < jb->cp.nread; k++)
		jb->read[jb->nread++] = jb->cp.read[k];
	jb->write[jb->nwrite++] = jb->dir;
	if (j->write)
		jb->write[jb->nwrite++] = image;
	return 0;
}

static void start(struct job *jb)
{
	const struct svc_manage_jobs *j = jb->j;
	jb->started = GUEST_SANDBOX_SETUP;
	if (asprintf(&jb->dir, "%s/child-%zu", j->tmpdir, jb->i) < 0) {
		jb->dir = NULL;
		snprintf(jb->why, sizeof(jb->why), "out of memory");
		return;
	}
	if (mkdir(jb->dir, 0700) != 0 || job_paths(jb) != 0) {
		snprintf(jb->why, sizeof(jb->why), "%s: %s", jb->dir,
			 strerror(errno));
		return;
	}
	const char *folder = jb->cp.folder;
	struct guest_sandbox_opts o = {
		.max_result = RESULT_MAX,
		.read_paths = { jb->read, jb->nread },
		.list_paths = { &folder, 1 },
		.write_paths = { jb->write, jb->nwrite },
		.landlock_optional = true,
		.test_forbidden_call = j->test_forbidden_call >= 0 &&
				       (size_t)j->test_forbidden_call == jb->i,
	};
	jb->started = guest_sandbox_start(&o, child_main, jb, &jb->c, jb->why,
					  sizeof(jb->why));
}

/* Replays the child's notices and hands its result to the command.
 * 0, or -1 when the bytes do not add up. */
static int unwire(struct job *jb, const char *buf, size_t len)
{
	const struct svc_manage_jobs *j = jb->j;
	struct svc_mread r = { buf, len, false };
	while (r.left > 0) {
		char tag = *r.p;
		r.p++;
		r.left--;
		if (tag == 'E') {
			char *what = svc_int_mr_s(&r, NOTICE_MAX);
			char *msg = svc_int_mr_s(&r, NOTICE_MAX);
			if (!r.bad && what != NULL && msg != NULL &&
			    j->ro->guest.event != NULL)
				j->ro->guest.event(j->ro->guest.event_ctx, what,
						   msg);
			free(what);
			free(msg);
			if (r.bad || what == NULL || msg == NULL)
				return -1;
			continue;
		}
		if (tag != 'R')
			return -1;
		j->get(j->opaque, jb->i, &r, NULL);
		return r.bad || r.left != 0 ? -1 : 0;
	}
	return -1; /* no result */
}

static void finish(struct job *jb)
{
	const struct svc_manage_jobs *j = jb->j;
	if (jb->started != GUEST_SANDBOX_OK) {
		j->get(j->opaque, jb->i, NULL, jb->why);
	} else {
		char *buf = NULL;
		size_t len = 0;
		int st = guest_sandbox_wait(&jb->c, &buf, &len, jb->why,
					    sizeof(jb->why));
		if (st == GUEST_SANDBOX_OK && unwire(jb, buf, len) != 0) {
			snprintf(jb->why, sizeof(jb->why),
				 "the sandboxed child's result cannot be "
				 "read");
			st = GUEST_SANDBOX_FAILED;
		}
		free(buf);
		if (st != GUEST_SANDBOX_OK)
			j->get(j->opaque, jb->i, NULL, jb->why);
	}
	/* Its hive copies: hundreds of images do not pile up. */
	if (jb->dir != NULL)
		hvo_int_tmpdir_remove(jb->dir);
}

int svc_manage_children(const struct svc_manage_jobs *j)
{
	size_t jobs = j->jobs ? j->jobs : 1;
	struct job *jb = calloc(j->n ? j->n : 1, sizeof(*jb));
	if (jb == NULL) {
		for (size_t i = 0; i < j->n; i++)
			j->get(j->opaque, i, NULL, "out of memory");
		return -1;
	}
	size_t next = 0;
	for (size_t i = 0; i < j->n; i++) {
		/* Up to @jobs running; collected in the order given. */
		for (; next < j->n && next < i + jobs; next++) {
			jb[next].j = j;
			jb[next].i = next;
			start(&jb[next]);
		}
		finish(&jb[i]);
		job_free(&jb[i]);
	}
	free(jb);
	return 0;
}

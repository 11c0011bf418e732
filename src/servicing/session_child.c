/*
 * session_child.c - with the native backend, each image is inspected,
 * applied or verified in a sandboxed child of its own
 * (guest/sandbox.h; the policy is in doc/security.md):
 *
 *   parent   reads the source (an ISO through guest/iso9660.h, with no
 *            launch), makes a scratch directory per image, forks up to
 *            --jobs children;
 *   child    enters the confinement (no-new-privileges, limits,
 *            Landlock: read the image, the virtual disks beside it and
 *            its parent chain (child_paths.h) (not the source's
 *            cabinets: the parent read them once, and the child works on
 *            those bytes), list the image's folder, write the image
 *            (apply) and its scratch directory; seccomp: no exec,
 *            sockets, ptrace, fork), then
 *            opens the image and runs the unchanged workflow of
 *            session_image.c on a view of the session holding only
 *            its image;
 *            its notices and result go back over a pipe
 *            (session_wire.c);
 *   parent   collects the children in the order of the images, replays
 *            their notices and decodes their results.  A child that dies
 *            fails its image with exit 1 ("IMAGE: the sandboxed child
 *            was killed by signal SIGSYS (...)"); the others go on.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest/iso9660.h"
#include "guest/sandbox.h"
#include "servicing/child_paths.h"
#include "servicing/folder_probe.h"
#include "servicing/inspect_int.h"
#include "servicing/pkg_bytes.h"
#include "servicing/session_int.h"
#include "util/fileio.h"
#include "util/tmpdir.h"

/* A child's result is bounded: facts, verify differences, notices. */
#define RESULT_MAX (64u << 20)

bool svc_int_session_sandboxed(const struct svc_session *s)
{
	const char *b = guest_backend_choose(s->opts.backend);
	return b != NULL && strcmp(b, "native") == 0;
}

enum hvo_exit svc_int_session_read_source(struct svc_session *s)
{
	if (s->src.kind != SVC_SOURCE_ISO || !svc_int_session_sandboxed(s))
		return svc_int_session_load_source(s, NULL);
	/* vmguest.iso: read in this process by our own ISO 9660 reader
	 * (guest/iso9660.h, fuzzed as fuzz/fuzz_iso), which checks the
	 * whole tree when it opens the image: no appliance, no launch.  A
	 * malformed image is corrupt input (exit 5). */
	struct guest_disk *iso;
	char why[1024];
	int e = guest_iso_disk_open(s->src.path, &iso, why, sizeof(why));
	if (e != GUEST_ISO_OK) {
		/* why starts with the path: the notice names the file. */
		const char *msg = why;
		size_t n = strlen(s->src.path);
		if (strncmp(why, s->src.path, n) == 0 && why[n] == ':')
			msg = why + n + 1 + (why[n + 1] == ' ');
		svc_int_session_notice(s, SVC_NOTICE_ERROR, s->src.path, "%s",
				       msg);
		return guest_iso_exit_class(e);
	}
	enum hvo_exit rc = svc_int_session_load_source(s, iso);
	guest_disk_close(iso);
	return rc;
}

/* ---- the child ---- */

struct child {
	struct svc_session *s;
	size_t i;
	char *dir;    /* its scratch directory */
	char *folder; /* its image's */
	const char **read, **write;
	size_t nread, nwrite;
	struct guest_sandbox_child c;
	int started;	/* a guest_sandbox_status */
	bool collected; /* it ended (or never started) */
	int status;	/* then: a guest_sandbox_status */
	char *buf;	/* and its result */
	size_t len;
	char why[512];
	/* Its progress pipe (session_progress.c), when the session asks
	 * for progress: the parent reads @pfd, the child writes @pwrite;
	 * -1 when closed or none. */
	int pfd, pwrite;
	struct svc_progress_reader progress;
	size_t progress_bytes; /* read from @pfd so far */
};

/* What a child's notices go to: its result, and its progress pipe. */
struct child_out {
	struct svc_wire *w;
	const struct child *c;
};

/* A step of the child's image shows as it begins, over the progress
 * pipe; what cannot go there (and every other notice) goes with the
 * result. */
static void child_notice(void *ctx, enum svc_notice kind, const char *object,
			 const char *msg)
{
	const struct child_out *o = ctx;
	const struct svc_session *s = o->c->s;
	if (kind == SVC_NOTICE_PROGRESS && o->c->pwrite >= 0 &&
	    object != NULL && strcmp(object, s->paths[0]) == 0 &&
	    svc_int_progress_send_step(o->c->pwrite, msg) == 0)
		return;
	svc_int_wire_notice(o->w, kind, object, msg);
}

/* In the child: progress goes to the parent as it happens. */
static void child_count(void *ctx, const struct svc_progress *p)
{
	const struct child *c = ctx;
	svc_int_progress_send(c->pwrite, p);
}

/* In the child, confined: the session's workflow on image @c->i alone. */
static int child_main(void *opaque, int out)
{
	struct child *c = opaque;
	struct svc_session *s = c->s;
	struct svc_wire w = { 0 };
	s->paths += c->i;
	s->results += c->i;
	s->n = 1;
	s->tmpdir = c->dir;
	struct child_out co = { &w, c };
	s->opts.notice = child_notice;
	s->opts.notice_ctx = &co;
	/* The read ends of its own progress pipe and of those of the
	 * children started before it (@c is in the parent's array, whose
	 * later entries are not started yet) are the parent's. */
	for (const struct child *o = c - c->i; o <= c; o++)
		if (o->s != NULL && o->pfd >= 0)
			close(o->pfd);
	/* The parent asked for progress (it made the pipe): counts go
	 * there. */
	s->opts.count = c->pwrite >= 0 ? child_count : NULL;
	s->opts.count_ctx = c;
	s->have_source = false; /* read by the parent: no ISO to open */
	svc_int_session_launch(s);
	if (s->opts.command != SVC_COMMAND_INSPECT)
		svc_int_session_one(s, 0);
	svc_int_session_finish(s);
	svc_int_wire_result(&w, &s->results[0], s);
	if (w.failed || fclose(w.f) != 0)
		return 3;
	return hvo_int_write_all(out, w.buf, w.len) == 0 ? 0 : 4;
}

/* ---- the parent ---- */

/* A child's progress is bounded: what one wakeup reads (so a child that
 * keeps its pipe full cannot keep the parent from its other children),
 * and all it may send (so it cannot fill the log; an honest child sends a
 * record per 100 ms at most: 16 MiB is hours of them). */
#define PROGRESS_READS_PER_WAKEUP 16
#define PROGRESS_MAX_BYTES	  (16u << 20)

/* Reads what child @c's progress pipe holds now, without waiting, and
 * passes it on; at its end (or once it broke the rules or sent too
 * much), closes it. */
static void drain_progress(struct child *c)
{
	struct svc_session *s = c->s;
	for (int reads = 0; c->pfd >= 0 && reads < PROGRESS_READS_PER_WAKEUP;
	     reads++) {
		uint8_t b[1024];
		ssize_t n = read(c->pfd, b, sizeof(b));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0)
			c->progress_bytes += (size_t)n;
		if (n <= 0 || c->progress_bytes > PROGRESS_MAX_BYTES ||
		    svc_int_progress_feed(&c->progress, b, (size_t)n,
					  s->paths[c->i], &s->opts) != 0) {
			close(c->pfd);
			c->pfd = -1;
		}
	}
}

static void child_free(struct child *c)
{
	if (c->pfd >= 0)
		close(c->pfd);
	c->pfd = -1;
	for (size_t k = 0; k < c->nread; k++)
		free((char *)c->read[k]);
	free(c->read);
	free(c->write);
	free(c->folder);
	free(c->dir);
}

static int add_read(struct child *c, const char *path)
{
	const char **r = realloc(c->read, (c->nread + 1) * sizeof(*r));
	if (r == NULL)
		return -1;
	c->read = r;
	if ((r[c->nread] = strdup(path)) == NULL)
		return -1;
	c->nread++;
	return 0;
}

/* What child @c may open: its image, the virtual disks beside it (the
 * checkpoints based on it), the listing of their folder and its parent
 * chain wherever it is (child_paths.h); writes go to its scratch
 * directory and, for apply, its image.  No image is parsed here: the
 * chain is probed by confined children. */
static int child_paths(struct child *c)
{
	struct svc_session *s = c->s;
	const char *image = s->paths[c->i];
	c->write = calloc(2, sizeof(*c->write));
	struct svc_child_paths cp;
	if (c->write == NULL || svc_int_child_paths(image, &cp) != 0)
		return -1;
	c->folder = cp.folder;
	cp.folder = NULL;
	for (size_t k = 0; k < cp.nread; k++)
		if (add_read(c, cp.read[k]) != 0) {
			svc_int_child_paths_free(&cp);
			return -1;
		}
	svc_int_child_paths_free(&cp);
	/* No cabinet: the parent read each once (pkg_package_open), and
	 * the child extracts from those bytes, inherited. */
	c->write[c->nwrite++] = c->dir;
	if (s->opts.command == SVC_COMMAND_APPLY && !s->opts.dry_run)
		c->write[c->nwrite++] = image;
	return 0;
}

#ifdef HVO_TEST_HOOKS
/* A file "package" where apply extracts the package, in scratch
 * directory @dir (see start()). */
static void test_no_extract(const char *dir)
{
	char *p;
	if (asprintf(&p, "%s/image-0", dir) < 0)
		return;
	FILE *f = NULL;
	char *q = NULL;
	if (mkdir(p, 0700) == 0 && asprintf(&q, "%s/package", p) >= 0)
		f = fopen(q, "w");
	if (f != NULL)
		fclose(f);
	free(q);
	free(p);
}
#endif

static void start(struct child *c)
{
	struct svc_session *s = c->s;
	c->started = GUEST_SANDBOX_SETUP;
	if (asprintf(&c->dir, "%s/child-%zu", s->tmpdir, c->i) < 0) {
		c->dir = NULL;
		snprintf(c->why, sizeof(c->why), "out of memory");
		return;
	}
	if (mkdir(c->dir, 0700) != 0 || child_paths(c) != 0) {
		snprintf(c->why, sizeof(c->why), "%s: %s", c->dir,
			 strerror(errno));
		return;
	}
	struct guest_sandbox_opts o = {
		.max_result = RESULT_MAX,
		.read_paths = { c->read, c->nread },
		.list_paths = { (const char *const *)&c->folder, 1 },
		.write_paths = { c->write, c->nwrite },
		.landlock_optional = true,
	};
#ifdef HVO_TEST_HOOKS
	/* Tests only (tests/servicing/local.mk builds this file again with
	 * HVO_TEST_HOOKS): the child of image N makes a forbidden call
	 * once confined. */
	const char *t = getenv("HVOFFLINE_TEST_FORBIDDEN_CALL");
	char idx[32];
	snprintf(idx, sizeof(idx), "%zu", c->i);
	o.test_forbidden_call = t != NULL && strcmp(t, idx) == 0;
	/* ... and with HVOFFLINE_TEST_CHILD_NO_EXTRACT=N, the child of
	 * image N finds a file where its apply extracts the package
	 * (<scratch>/image-0/package): svc_apply() fails before it reaches
	 * any of the plan's files. */
	t = getenv("HVOFFLINE_TEST_CHILD_NO_EXTRACT");
	if (t != NULL && strcmp(t, idx) == 0)
		test_no_extract(c->dir);
#endif
	/* The progress pipe: non-blocking at both ends (a full pipe drops
	 * a record rather than stop the child; the parent drains it as it
	 * polls). */
	int pp[2];
	if (s->opts.count != NULL && pipe2(pp, O_CLOEXEC | O_NONBLOCK) == 0) {
		c->pfd = pp[0];
		c->pwrite = pp[1];
	}
	c->started = guest_sandbox_start(&o, child_main, c, &c->c, c->why,
					 sizeof(c->why));
	if (c->pwrite >= 0)
		close(c->pwrite);
	c->pwrite = -1;
}

/* Image @r failed in its child: exit @exit (error @err, status
 * @status), the reason as its message, as its one problem (inspect
 * reports the facts) and as a notice. */
static void child_failed_as(struct svc_session *s, struct svc_image_result *r,
			    enum svc_status status, enum svc_err err,
			    enum hvo_exit exit, const char *why)
{
	svc_int_session_result_free(r);
	memset(r, 0, sizeof(*r));
	r->image = s->paths[r - s->results];
	struct svc_facts *f = &r->facts;
	svc_facts_init(f, r->image);
	f->verdict = exit;
	svc_int_add_problem(f, "sandboxed-child", exit, "%.200s: %.300s",
			    r->image, why);
	svc_int_text(&f->disk_error, "%s", why);
	r->status = status;
	r->err = err;
	r->exit = exit;
	if (asprintf(&r->message, "%s: %s", r->image, why) < 0)
		r->message = NULL;
	if (s->opts.notice != NULL && s->opts.command != SVC_COMMAND_INSPECT)
		s->opts.notice(s->opts.notice_ctx, SVC_NOTICE_ERROR, r->image,
			       r->message ? r->message : why);
}

static void child_failed(struct svc_session *s, struct svc_image_result *r,
			 const char *why)
{
	child_failed_as(s, r, SVC_STATUS_FAILED, SVC_ERR_GUEST, HVO_EXIT_FAILED,
			why);
}

/* The child's result could not be decoded in full (@why).  A failure it
 * reported still reaches the user with its own exit code and message;
 * anything else fails the image. */
static void unwire_failed(struct svc_session *s, struct svc_image_result *r,
			  const char *why)
{
	char *text = NULL;
	if (r->message != NULL && r->exit != HVO_EXIT_OK &&
	    r->exit != HVO_EXIT_WARNING &&
	    asprintf(&text,
		     "%s (the rest of the sandboxed child's result cannot be "
		     "read: %s)",
		     r->message, why) >= 0) {
		enum svc_status st = r->status;
		enum svc_err err = r->err;
		child_failed_as(s, r, st, err, r->exit, text);
		free(text);
		return;
	}
	char msg[300];
	snprintf(msg, sizeof(msg),
		 "the sandboxed child's result cannot be read (%s)", why);
	child_failed(s, r, msg);
}

#ifdef HVO_TEST_HOOKS
/* Tests only: HVOFFLINE_TEST_WIRE_DUMP=PREFIX writes each child's bytes
 * to PREFIX-N as they came (fuzz/wire_seeds.c makes fuzz_wire's seeds
 * so, from real runs). */
static void test_dump(const struct child *c, const char *buf, size_t len)
{
	const char *prefix = getenv("HVOFFLINE_TEST_WIRE_DUMP");
	char *path;
	if (prefix == NULL || asprintf(&path, "%s-%zu", prefix, c->i) < 0)
		return;
	FILE *f = fopen(path, "wb");
	bool ok = f != NULL && fwrite(buf, 1, len, f) == len;
	if ((f != NULL && fclose(f) != 0) || !ok)
		fprintf(stderr, "%s: cannot be written\n", path);
	free(path);
}
#endif

/* Child @c has ended (or never started): its result is read and it is
 * waited for (decoding waits for finish(), once the freed slot is
 * taken by the next child). */
static void collect(struct child *c)
{
	/* Its last counts (the child wrote them before its result). */
	drain_progress(c);
	if (c->pfd >= 0)
		close(c->pfd);
	c->pfd = -1;
	if (c->started == GUEST_SANDBOX_OK)
		c->status = guest_sandbox_wait(&c->c, &c->buf, &c->len, c->why,
					       sizeof(c->why));
	else
		c->status = c->started;
	c->collected = true;
}

/* The result of collected child @c into the session, in image order. */
static void finish(struct child *c)
{
	struct svc_session *s = c->s;
	struct svc_image_result *r = &s->results[c->i];
	if (c->status == GUEST_SANDBOX_OK) {
		char why[200];
#ifdef HVO_TEST_HOOKS
		test_dump(c, c->buf, c->len);
#endif
		if (svc_int_unwire(s, r, c->buf, c->len, why, sizeof(why)) != 0)
			unwire_failed(s, r, why);
	} else {
		child_failed(s, r, c->why);
	}
	free(c->buf);
	c->buf = NULL;
	/* Its hive copies and extracted package: hundreds of images do not
	 * pile up in the scratch directory. */
	if (c->dir != NULL)
		hvo_int_tmpdir_remove(c->dir);
}

/* Waits until one of the running children among @c[@from..@to) ends, and
 * collects it (or every one that ended).  Whichever ends first frees its
 * slot: a slow image does not hold up the next ones. */
static void collect_any(struct child *c, size_t from, size_t to)
{
	/* Each running child's result pipe, and its progress pipe. */
	struct pollfd *fds = calloc(2 * (to - from) + 1, sizeof(*fds));
	size_t *who = calloc(2 * (to - from) + 1, sizeof(*who)), n = 0;
	size_t nres = 0;
	for (size_t k = from; fds && who && k < to; k++)
		if (!c[k].collected) {
			fds[n] = (struct pollfd){ .fd = c[k].c.fd,
						  .events = POLLIN };
			who[n++] = k;
		}
	nres = n;
	for (size_t k = from; fds && who && k < to; k++)
		if (!c[k].collected && c[k].pfd >= 0) {
			fds[n] = (struct pollfd){ .fd = c[k].pfd,
						  .events = POLLIN };
			who[n++] = k;
		}
	int r = -1;
	while (n > 0 && (r = poll(fds, n, -1)) < 0 && errno == EINTR)
		;
	if (r > 0) {
		/* A child writes its result once, at its end: readable (or
		 * hung up) means it is ending. */
		for (size_t k = nres; k < n; k++)
			if (fds[k].revents != 0)
				drain_progress(&c[who[k]]);
		for (size_t k = 0; k < nres; k++)
			if (fds[k].revents != 0)
				collect(&c[who[k]]);
	} else {
		/* Cannot wait for any: the oldest, then. */
		for (size_t k = from; k < to; k++)
			if (!c[k].collected) {
				collect(&c[k]);
				break;
			}
	}
	free(fds);
	free(who);
}

void svc_int_session_children(struct svc_session *s)
{
	/* The plan the parent rebuilds is the child's: the same time. */
	if (s->opts.now == 0)
		s->opts.now = (int64_t)time(NULL);
	if (guest_sandbox_landlock() == 0 && s->opts.notice != NULL)
		s->opts.notice(s->opts.notice_ctx, SVC_NOTICE_WARNING, NULL,
			       "this kernel has no Landlock: the sandboxed "
			       "children may open any file you can "
			       "(doc/security.md)");
	size_t jobs = s->opts.jobs ? s->opts.jobs : 1;
	struct child *c = calloc(s->n ? s->n : 1, sizeof(*c));
	if (c == NULL) {
		for (size_t i = 0; i < s->n; i++)
			child_failed(s, &s->results[i], "out of memory");
		return;
	}
	/* Once per run, not per child: the disks of each image's folder
	 * (folder_probe.h: one probe child per folder, where each image's
	 * child opened every disk beside it) and, for apply, the packages'
	 * bytes (pkg_bytes.h: the children write them where each decoded
	 * the cabinet again). */
	svc_int_folders_begin();
	if (s->opts.command == SVC_COMMAND_APPLY && !s->opts.dry_run)
		for (size_t k = 0; k < s->npkgs; k++)
			if (s->pkgs[k].skip == NULL)
				svc_int_pkg_bytes_load(s->pkgs[k].pkg);
	/* Up to @jobs running, started in the order given as slots free
	 * up, no further than WINDOW images past the oldest one not yet
	 * reported (its finished successors wait for it, each holding its
	 * result and scratch directory); results are decoded, reported and
	 * cleaned up in the order given, after the free slots are taken, so
	 * the parent's share of an image (decoding, rebuilding its plan,
	 * removing its scratch directory) overlaps the running children. */
	size_t window = jobs * 4, next = 0;
	for (size_t i = 0; i < s->n;) {
		size_t running = 0;
		for (size_t k = i; k < next; k++)
			running += !c[k].collected;
		for (; next < s->n && running < jobs && next < i + window;
		     next++) {
			c[next].s = s;
			c[next].i = next;
			c[next].pfd = c[next].pwrite = -1;
			start(&c[next]);
			if (c[next].started == GUEST_SANDBOX_OK)
				running++;
			else
				collect(&c[next]);
		}
		if (!c[i].collected) {
			collect_any(c, i, next);
			continue;
		}
		finish(&c[i]);
		child_free(&c[i]);
		i++;
	}
	free(c);
	svc_int_pkg_bytes_free();
	svc_int_folders_end();
}

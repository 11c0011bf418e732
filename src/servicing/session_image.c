/*
 * session_image.c - one image's workflow under a session (session.c) or
 * in a sandboxed child (session_child.c): the backend's launch and
 * shutdown, the source's packages, then per image recovery of an
 * interrupted run, choose, plan, and apply or verify.  Results are set
 * here; notices go to the session's callback.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "servicing/inspect_linux.h"
#include "servicing/rollback_recover.h"
#include "servicing/rollback_state.h"
#include "servicing/session_int.h"
#include "util/tmpdir.h"

/* ------------------------------------------------------------------ */
/* Notices and results.                                                */
/* ------------------------------------------------------------------ */

/* One notice of svc_int_session_notice(), for svc_int_vemit(). */
struct notice_call {
	const struct svc_session *s;
	enum svc_notice kind;
	const char *object;
};

static void notice_emit(void *opaque, const char *msg)
{
	const struct notice_call *nc = opaque;
	nc->s->opts.notice(nc->s->opts.notice_ctx, nc->kind, nc->object, msg);
}

void svc_int_session_notice(const struct svc_session *s, enum svc_notice kind,
			    const char *object, const char *fmt, ...)
{
	if (s->opts.notice == NULL)
		return;
	struct notice_call nc = { s, kind, object };
	va_list ap;
	va_start(ap, fmt);
	svc_int_vemit(notice_emit, &nc, fmt, ap);
	va_end(ap);
}

static void inspect_progress(void *opaque, const char *image)
{
	svc_int_session_notice(opaque, SVC_NOTICE_PROGRESS, image,
			       "inspecting");
}

static void on_event(void *opaque, const char *what, const char *msg)
{
	const struct svc_session *s = opaque;
	svc_int_session_notice(s,
			       strcmp(what, "notice") == 0 ? SVC_NOTICE_BACKEND
							   : SVC_NOTICE_DEBUG,
			       "appliance", "%s", msg);
}

static void result_set(struct svc_image_result *r, enum svc_status status,
		       enum svc_err err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void result_set(struct svc_image_result *r, enum svc_status status,
		       enum svc_err err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->message);
	if (vasprintf(&r->message, fmt, ap) < 0)
		r->message = NULL;
	va_end(ap);
	r->status = status;
	r->err = err;
	r->exit = svc_exit_class(err);
}

/* The status of a failure of class @exit. */
static enum svc_status failed_status(enum hvo_exit exit)
{
	switch (exit) {
	case HVO_EXIT_CORRUPT:
		return SVC_STATUS_CORRUPT;
	case HVO_EXIT_REFUSED:
		return SVC_STATUS_REFUSED;
	case HVO_EXIT_NOT_APPLICABLE:
		return SVC_STATUS_NOT_APPLICABLE;
	default:
		return SVC_STATUS_FAILED;
	}
}

/* Why an image cannot be serviced, from its inspection problems. */
static void refuse(struct svc_image_result *r)
{
	const struct svc_facts *f = &r->facts;
	enum svc_err err = svc_int_err_of_exit(f->verdict, SVC_ERR_GUEST);
	enum svc_status st = f->verdict == HVO_EXIT_CORRUPT ? SVC_STATUS_CORRUPT
			     : f->verdict == HVO_EXIT_REFUSED
				     ? SVC_STATUS_REFUSED
				     : SVC_STATUS_FAILED;
	for (size_t i = 0; i < f->nproblems; i++)
		if (f->problems[i].exit == f->verdict) {
			result_set(r, st, err, "%s: %s", f->problems[i].code,
				   f->problems[i].message);
			r->exit = f->verdict;
			return;
		}
	result_set(r, st, err, "%s",
		   f->preflight_error ? f->preflight_error
		   : f->disk_error    ? f->disk_error
				      : "cannot inspect");
	r->exit = f->verdict;
}

/* ------------------------------------------------------------------ */
/* The source.                                                         */
/* ------------------------------------------------------------------ */

/* Asks check_cabinet about each readable package.  A refused single
 * cabinet is the source's exit class (a tampered or untrusted package
 * given alone is corrupt input, exit 5); a directory's or ISO's refused
 * ones are skipped, each named, and if none is left no package applies:
 * HVO_EXIT_NOT_APPLICABLE (SERVICING.md sections 3.4 and 4). */
static enum hvo_exit check_candidates(struct svc_session *s)
{
	if (s->opts.check_cabinet == NULL)
		return HVO_EXIT_OK;
	enum hvo_exit rc = HVO_EXIT_OK;
	size_t left = 0, nread = 0;
	for (size_t i = 0; i < s->npkgs; i++) {
		struct svc_source_package *p = &s->pkgs[i];
		if (p->pkg == NULL)
			continue;
		nread++;
		p->optional = s->src.kind != SVC_SOURCE_CAB;
		const char *why = NULL;
		enum hvo_exit c =
			s->opts.check_cabinet(s->opts.check_ctx, p, &why);
		left += c == HVO_EXIT_OK;
		if (c == HVO_EXIT_OK)
			continue;
		if (s->src.kind == SVC_SOURCE_CAB) {
			rc = hvo_exit_max(rc, c);
			continue;
		}
		p->skip = why ? why : "untrusted";
		svc_int_session_notice(s, SVC_NOTICE_WARNING, p->where,
				       "skipped: %s", p->skip);
	}
	if (rc != HVO_EXIT_OK || left > 0 || nread == 0)
		return rc;
	svc_int_session_notice(
		s, SVC_NOTICE_ERROR, s->src.path,
		"no cabinet of the source is a trusted integration-services "
		"package");
	return HVO_EXIT_NOT_APPLICABLE;
}

/* Reads the source's cabinets as packages (an ISO's from @iso).  A
 * cabinet that cannot be read makes the whole source unusable: its exit
 * class is returned; so does check_candidates(). */
enum hvo_exit svc_int_session_load_source(struct svc_session *s,
					  struct guest_disk *iso)
{
	enum hvo_exit rc = HVO_EXIT_OK;
	if (svc_source_collect(&s->src, iso, s->tmpdir) != SVC_OK) {
		svc_int_session_notice(s, SVC_NOTICE_ERROR, s->src.path, "%s",
				       svc_source_errmsg(&s->src));
		return HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < s->src.ncabs; i++)
		svc_int_session_notice(s, SVC_NOTICE_DEBUG, "source", "%s",
				       s->src.cabs[i].where);
	if (svc_source_packages_load(&s->src, &s->pkgs, &s->npkgs) != SVC_OK) {
		svc_int_session_notice(s, SVC_NOTICE_ERROR, s->src.path,
				       "out of memory");
		return HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < s->npkgs; i++) {
		const struct svc_source_package *p = &s->pkgs[i];
		if (p->pkg != NULL)
			continue;
		char msg[PKG_ERROR_MSG_MAX + 300];
		svc_int_session_notice(
			s, SVC_NOTICE_ERROR, p->where, "%s",
			pkg_error_format(&p->error, msg, sizeof(msg)));
		rc = hvo_exit_max(rc, pkg_exit_class(&p->error));
	}
	return hvo_exit_max(rc, check_candidates(s));
}

/* ------------------------------------------------------------------ */
/* The run.                                                            */
/* ------------------------------------------------------------------ */

static bool writing(const struct svc_session *s)
{
	return s->opts.command == SVC_COMMAND_APPLY && !s->opts.dry_run;
}

void svc_int_session_launch(struct svc_session *s)
{
	struct svc_run_opts ro = {
		.guest = { .launch = s->opts.launch,
			   .event = on_event,
			   .event_ctx = s,
			   .backend = s->opts.backend },
		.writable = writing(s),
		.tmpdir = s->tmpdir,
		.progress = inspect_progress,
		.progress_ctx = s,
	};
	if (s->have_source && s->src.kind == SVC_SOURCE_ISO) {
		/* vmguest.iso is opened in the same launch. */
		ro.isos = (const char *const *)&s->src.path;
		ro.nisos = 1;
	}
	struct svc_facts *facts = calloc(s->n ? s->n : 1, sizeof(*facts));
	if (facts == NULL) {
		s->launch_err = svc_int_fail(&s->run.error, SVC_ERR_NOMEM,
					     "out of memory");
		for (size_t i = 0; i < s->n; i++)
			svc_facts_init(&s->results[i].facts, s->paths[i]);
		return;
	}
	s->launch_err = svc_inspect_images(&ro, (const char *const *)s->paths,
					   s->n, facts, &s->run);
	s->launched = true;
	/* The facts live in the results from here on. */
	for (size_t i = 0; i < s->n; i++)
		s->results[i].facts = facts[i];
	free(facts);
	if (s->launch_err != SVC_OK)
		svc_int_session_notice(s, SVC_NOTICE_ERROR, "appliance",
				       "launch failed: %s",
				       svc_int_errtext(&s->run.error));
	if (s->run.session != NULL) {
		const struct guest_launch_result *lr =
			guest_session_launch_result(s->run.session);
		s->backend.launches = guest_session_launches(s->run.session);
		s->backend.accelerator = lr && s->backend.launches
						 ? guest_accel_name(lr->accel)
						 : NULL;
		s->backend.fell_back = lr && lr->fell_back;
		s->backend.seconds = lr ? lr->seconds : 0;
	}
}

struct guest_disk *svc_int_session_iso_disk(const struct svc_session *s)
{
	if (s->run.session == NULL || s->src.kind != SVC_SOURCE_ISO)
		return NULL;
	return guest_session_disk(s->run.session, (size_t)s->run.iso_disk[0]);
}

static struct guest_disk *image_disk(const struct svc_session *s, size_t i)
{
	if (s->run.session == NULL || s->run.image_disk[i] < 0)
		return NULL;
	return guest_session_disk(s->run.session, (size_t)s->run.image_disk[i]);
}

/* Closes the backend.  After writes, an unclean shutdown may have lost
 * them. */
static bool finish_backend(struct svc_session *s)
{
	if (!s->launched)
		return true;
	s->launched = false;
	if (svc_run_close(&s->run) == SVC_OK)
		return true;
	svc_int_session_notice(s, SVC_NOTICE_ERROR, "appliance",
			       "did not shut down cleanly");
	return false;
}

/* ---- apply and verify ---- */

/* "<tmpdir>/<what>-<i>", made (caller frees); NULL: @r failed. */
static char *image_dir(const struct svc_session *s, struct svc_image_result *r,
		       const char *what, size_t i)
{
	char *dir;
	if (asprintf(&dir, "%s/%s-%zu", s->tmpdir, what, i) < 0) {
		result_set(r, SVC_STATUS_FAILED, SVC_ERR_NOMEM,
			   "out of memory");
		return NULL;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		result_set(r, SVC_STATUS_FAILED, SVC_ERR_IO, "%s: %s", dir,
			   strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

/*
 * An earlier apply died while switching files in: put every original back
 * and inspect the guest again, before anything is decided from facts that
 * describe a half-switched guest (its SYSTEM hive may even be set aside).
 * The one place recovery runs.
 */
static void recover_interrupted(struct svc_session *s, size_t i)
{
	struct svc_image_result *r = &s->results[i];
	struct svc_facts *f = &r->facts;
	struct guest_disk *disk = image_disk(s, i);
	struct guest_fs *fs;
	if (disk == NULL ||
	    guest_disk_mount(disk, f->windows_volume, false, &fs) != GUEST_OK) {
		result_set(r, SVC_STATUS_FAILED, SVC_ERR_GUEST,
			   "an interrupted earlier run needs cleaning up, but "
			   "the volume cannot be mounted: %s",
			   disk ? guest_disk_errmsg(disk) : "no disk");
		return;
	}
	/* An apply's or a rollback's journal (rollback_recover.h): each
	 * warning names which run was interrupted and what was done. */
	struct svc_recovery rec;
	struct svc_error err = { 0 };
	if (svc_int_recover(fs, f->systemroot, &rec, &err) != SVC_OK) {
		result_set(r, SVC_STATUS_FAILED, err.code,
			   "cleaning up an interrupted earlier run: %s",
			   svc_int_errtext(&err));
		svc_int_error_clear(&err);
		svc_int_recovery_free(&rec);
		return;
	}
	size_t journals = (size_t)rec.rollback_finished + rec.apply_recovered;
	for (size_t k = 0; k < rec.nnotes; k++)
		svc_int_session_notice(
			s, SVC_NOTICE_WARNING, f->image, "%s%s", rec.notes[k],
			journals > 0 && k + 1 == rec.nnotes ? ", applying again"
							    : "");
	svc_int_recovery_free(&rec);
	char *dir = image_dir(s, r, "reinspect", i);
	if (dir == NULL)
		return;
	struct svc_inspect_opts io = { .tmpdir = dir };
	svc_inspect_again(disk, &io, f);
	free(dir);
	/* Applied again below, whatever the versions say now. */
	f->apply_interrupted = true;
}

/* Inspect (done), choose and plan.  Returns false when the image is
 * finished (its result set). */
static bool choose_and_plan(struct svc_session *s, size_t i)
{
	struct svc_image_result *r = &s->results[i];
	struct svc_facts *f = &r->facts;
	bool apply = s->opts.command == SVC_COMMAND_APPLY;
	if (f->verdict != HVO_EXIT_OK) {
		refuse(r);
		return false;
	}
	if (!f->windows_found && f->linux_guest != NULL) {
		/* Exit 3 (no package applies), with its own code. */
		char why[640];
		svc_int_linux_not_windows(f, why, sizeof(why));
		result_set(r, SVC_STATUS_NOT_APPLICABLE, SVC_ERR_NOT_APPLICABLE,
			   "linux-guest: %s", why);
		return false;
	}
	if (!f->windows_found) {
		result_set(r, SVC_STATUS_NOT_APPLICABLE, SVC_ERR_NOT_APPLICABLE,
			   "no Windows installation was found");
		return false;
	}
	/* Kept for the report: every candidate, skipped ones with why. */
	struct svc_applicability *a = &r->applicability;
	if (svc_applicability(f, s->pkgs, s->npkgs, a) != SVC_OK) {
		result_set(r, SVC_STATUS_FAILED, SVC_ERR_NOMEM,
			   "out of memory");
		return false;
	}
	r->have_applicability = true;
	r->installed = a->installed[0] ? strdup(a->installed) : NULL;
	if (a->chosen < 0) {
		result_set(r, SVC_STATUS_NOT_APPLICABLE, SVC_ERR_NOT_APPLICABLE,
			   "%s", a->summary);
		return false;
	}
	r->package = a->candidates[a->chosen].sp;
	bool up_to_date = a->up_to_date;
	const struct pkg_package *pkg = r->package->pkg;
	/* After an interrupted run the versions say little: apply again. */
	if (apply && up_to_date && !s->opts.force && !f->apply_interrupted) {
		result_set(r, SVC_STATUS_UP_TO_DATE, SVC_OK,
			   "integration services %s are installed; the package "
			   "is %s (--force applies it anyway)",
			   r->installed ? r->installed : "",
			   pkg->identity.version);
		return false;
	}
	struct svc_plan_opts po = {
		.firstboot = !s->opts.no_firstboot,
		.now = s->opts.now ? s->opts.now : (int64_t)time(NULL),
	};
	struct svc_error err = { 0 };
	enum svc_err e = svc_plan_build(f, r->package, &po, &r->plan, &err);
	if (e != SVC_OK) {
		result_set(r, failed_status(svc_exit_class(e)), e, "%s",
			   svc_int_errtext(&err));
		r->status = SVC_STATUS_FAILED;
		svc_int_error_clear(&err);
		return false;
	}
	if (apply && s->opts.dry_run) {
		result_set(r, SVC_STATUS_DRY_RUN, SVC_OK,
			   "would install %s %s: %zu files, %zu registry "
			   "operations",
			   r->plan->package, r->plan->version, r->plan->nfiles,
			   r->plan->nregs);
		return false;
	}
	return true;
}

struct progress_ctx {
	const struct svc_session *s;
	const char *image;
	/* The counts passed on: the last step and when (rate limit). */
	char step[64];
	struct timespec last;
};

/* Progress within a long step, to the session's count callback: the
 * step's first and last counts always, between them at most one every
 * SVC_PROGRESS_INTERVAL_MS. */
static void step_count(void *opaque, const char *step, uint64_t done,
		       uint64_t total, bool bytes)
{
	struct progress_ctx *pc = opaque;
	if (pc->s->opts.count == NULL)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t)(now.tv_sec - pc->last.tv_sec) * 1000 +
		     (now.tv_nsec - pc->last.tv_nsec) / 1000000;
	bool edge = done == 0 || done >= total ||
		    strncmp(pc->step, step, sizeof(pc->step) - 1) != 0;
	int limit = pc->s->opts.count_interval_ms;
	if (limit == 0)
		limit = SVC_PROGRESS_INTERVAL_MS;
	if (!edge && ms < limit)
		return;
	pc->last = now;
	snprintf(pc->step, sizeof(pc->step), "%s", step);
	struct svc_progress pr = { pc->image, step, done, total, bytes };
	pc->s->opts.count(pc->s->opts.count_ctx, &pr);
}

/* Progress of the apply's steps, as notices about the image. */
static void apply_progress(void *opaque, const char *msg)
{
	const struct progress_ctx *pc = opaque;
	svc_int_session_notice(pc->s, SVC_NOTICE_PROGRESS, pc->image, "%s",
			       msg);
}

/* The count callback of apply and verify: none when nobody listens, so
 * that they keep their fewest round trips (one batch per step). */
static svc_step_count_fn counted(const struct svc_session *s)
{
	return s->opts.count != NULL ? step_count : NULL;
}

/* Apply or verify the plan on the image's Windows volume. */
static void carry_out(struct svc_session *s, size_t i)
{
	struct svc_image_result *r = &s->results[i];
	struct svc_facts *f = &r->facts;
	bool verify = s->opts.command == SVC_COMMAND_VERIFY;
	struct guest_disk *disk = image_disk(s, i);
	struct guest_fs *fs;
	int e = GUEST_E_IO;
	if (disk == NULL || (e = guest_disk_mount(disk, f->windows_volume,
						  verify, &fs)) != GUEST_OK) {
		bool rofs = disk != NULL && e == GUEST_E_ROFS;
		result_set(r, rofs ? SVC_STATUS_REFUSED : SVC_STATUS_FAILED,
			   rofs ? SVC_ERR_REFUSED : SVC_ERR_GUEST, "%s",
			   disk ? guest_disk_errmsg(disk) : "no disk");
		return;
	}
	char *dir = image_dir(s, r, "image", i);
	if (dir == NULL)
		return;
	const struct svc_plan *p = r->plan;
	if (verify) {
		/* Both backends set descriptors: those the manifests
		 * define are checked too. */
		struct progress_ctx vpc = { .s = s, .image = f->image };
		struct svc_verify_opts vo = { .tmpdir = dir,
					      .pkg = r->package->pkg,
					      .manifest_sds = true,
					      .count = counted(s),
					      .count_ctx = &vpc };
		svc_int_session_notice(s, SVC_NOTICE_PROGRESS, f->image,
				       "verifying");
		struct svc_verify_outcome out;
		svc_int_verify_image(fs, p, &vo, f->systemroot, &r->verify,
				     &out);
		r->verified = true;
		result_set(r, out.status, out.err, "%s",
			   out.msg ? out.msg : svc_strerror(out.err));
		svc_int_verify_outcome_free(&out);
		free(dir);
		return;
	}
	struct progress_ctx pc = { .s = s, .image = f->image };
	struct svc_apply_opts ao = {
		.tmpdir = dir,
		.pkg = r->package->pkg,
		.progress = apply_progress,
		.progress_ctx = &pc,
		.count = counted(s),
		.count_ctx = &pc,
	};
	enum svc_err x = svc_apply(fs, p, &ao, &r->apply);
	r->applied = true;
	free(dir);
	if (x != SVC_OK) {
		result_set(r, SVC_STATUS_FAILED, x, "%s%s",
			   svc_apply_errmsg(&r->apply),
			   r->apply.rolled_back ? " (the guest was left as it "
						  "was)"
						: "");
		r->status = SVC_STATUS_FAILED;
		return;
	}
	result_set(r, SVC_STATUS_APPLIED, SVC_OK,
		   "%s %s installed: %zu files written, %zu registry changes%s",
		   p->package, p->version, r->apply.files_written,
		   r->apply.regs_changed,
		   p->firstboot != SVC_FIRSTBOOT_NONE
			   ? "; DISM completes it at first boot"
			   : "");
}

static void service_image(struct svc_session *s, size_t i)
{
	struct svc_image_result *r = &s->results[i];
	struct svc_facts *f = &r->facts;
	if (f->apply_interrupted && writing(s) && s->run.image_disk[i] >= 0 &&
	    f->windows_found) {
		recover_interrupted(s, i);
		if (r->status != SVC_STATUS_NONE)
			return;
	}
	if (choose_and_plan(s, i))
		carry_out(s, i);
}

void svc_int_session_one(struct svc_session *s, size_t i)
{
	struct svc_image_result *r = &s->results[i];
	if (s->source_exit != HVO_EXIT_OK) {
		/* A source that cannot be read fully is not used at all: the
		 * images stay untouched. */
		result_set(r, SVC_STATUS_FAILED,
			   svc_int_err_of_exit(s->source_exit, SVC_ERR_SOURCE),
			   "the source %s cannot be used", s->src.path);
		r->exit = s->source_exit;
	} else if (s->launch_err != SVC_OK) {
		result_set(r, SVC_STATUS_FAILED, SVC_ERR_LAUNCH,
			   "the appliance did not start: %s",
			   svc_int_errtext(&s->run.error));
	} else {
		service_image(s, i);
	}
	svc_int_session_notice(
		s,
		r->exit != HVO_EXIT_OK ? SVC_NOTICE_ERROR : SVC_NOTICE_RESULT,
		r->image, "%s: %s", svc_status_name(r->status), r->message);
}

bool svc_int_session_finish(struct svc_session *s)
{
	if (finish_backend(s))
		return true;
	for (size_t i = 0; i < s->n; i++)
		if (s->results[i].applied && s->results[i].apply.guest_changed)
			result_set(&s->results[i], SVC_STATUS_FAILED,
				   SVC_ERR_SHUTDOWN,
				   "the appliance did not shut down cleanly "
				   "after writing");
	return false;
}

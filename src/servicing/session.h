/*
 * session.h - the servicing workflow behind one handle: inspect, apply and
 * verify of offline images (SERVICING.md section 3).
 *
 * A session takes images, a source (a cabinet, a directory of cabinets or
 * vmguest.iso) and options, and runs per image:
 *
 *   inspect   pre-flight, guest facts, verdict (steps 1 to 5);
 *   choose    the package of the source that applies (steps 4 and 5);
 *   plan      what apply changes, from the package model alone (step 6);
 *   apply     or verify (steps 7 to 9).
 *
 * With the appliance, every image is opened in one launch; natively, each
 * image in a sandboxed child process of its own, opts.jobs at once
 * (doc/security.md), its result sent back as data.  An apply that
 * was interrupted while switching files in is cleaned up once, here,
 * before the guest is inspected again and planned for.
 *
 * Results are data: one struct svc_image_result per image, in the order
 * the images were added, read after the run.  Progress and notices go to
 * one callback as they happen.  A session runs once.
 *
 *	struct svc_session *s;
 *	svc_session_new(&opts, &s);
 *	svc_session_add_image(s, "vm.vhdx");
 *	svc_session_set_source(s, "vmguest.iso");
 *	if (svc_session_apply(s) != SVC_OK)
 *		fprintf(stderr, "%s\n", svc_session_errmsg(s));
 *	... svc_session_image(s, 0)->status, svc_session_exit(s) ...
 *	svc_session_free(s);
 */
#ifndef HVO_SERVICING_SESSION_H
#define HVO_SERVICING_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guest/guest.h"
#include "hvoffline.h"
#include "servicing/apply.h"
#include "servicing/error.h"
#include "servicing/inspect.h"
#include "servicing/inspect_applicable.h"
#include "servicing/inspect_source.h"
#include "servicing/plan.h"
#include "util/json.h"

struct svc_session;

/* What a notice is, for the caller to decide how to show it. */
enum svc_notice {
	SVC_NOTICE_PROGRESS = 0, /* a step begins ("verifying") */
	SVC_NOTICE_WARNING = 1,	 /* something people should know */
	SVC_NOTICE_ERROR = 2,	 /* a failure about @object */
	SVC_NOTICE_NOTE = 3,	 /* an inspection note (no failure) */
	SVC_NOTICE_RESULT = 4,	 /* an image's outcome, when not a failure */
	SVC_NOTICE_BACKEND = 5,	 /* the guest backend's own notice */
	SVC_NOTICE_DEBUG = 6,	 /* detail (backend events, source files) */
};

/* @object names what the notice is about (an image, the source,
 * "appliance"), or is NULL. */
typedef void (*svc_notice_fn)(void *ctx, enum svc_notice kind,
			      const char *object, const char *msg);

/*
 * Progress within one image's long step (staging the payload files,
 * hashing them, writing hives back), counted in bytes or items.  A step
 * reports 0 of @total when it begins and @total of @total when it ends,
 * and in between at most about every SVC_PROGRESS_INTERVAL_MS; from a
 * sandboxed child the records come over a pipe of their own, while the
 * child runs (session_child.c).
 */
struct svc_progress {
	const char *image; /* as added */
	const char *step;  /* "staging files", "hashing files", ... */
	uint64_t done, total;
	bool bytes; /* counts bytes; else items */
};
typedef void (*svc_progress_count_fn)(void *ctx, const struct svc_progress *p);
#define SVC_PROGRESS_INTERVAL_MS 100

struct svc_session_opts {
	enum svc_command command;
	bool dry_run;	   /* apply: plan only, change nothing */
	bool force;	   /* apply: even when up to date */
	bool no_firstboot; /* plan without the first-boot DISM step */
	/* The guest backend: "native", "appliance", or NULL
	 * ($HVOFFLINE_BACKEND, else the guest layer's default). */
	const char *backend;
	struct guest_launch_opts launch;
	svc_notice_fn notice;
	void *notice_ctx;
	/* Called for each cabinet of the source that reads as a package
	 * (@p->path, shown as @p->where) before it is used, to verify its
	 * signature and identity.  HVO_EXIT_OK: a candidate.  Another class
	 * refuses it, with a static reason in *@skip ("unsigned",
	 * "untrusted", "not an integration-services package"): a single
	 * cabinet source is then unusable (that exit class, before anything
	 * is launched or written); a directory or ISO skips it with a
	 * notice.  It notes what the signature check found in @p->sig
	 * (reported, and kept in the in-guest record).  NULL: every
	 * readable package is a candidate. */
	enum hvo_exit (*check_cabinet)(void *ctx, struct svc_source_package *p,
				       const char **skip);
	void *check_ctx;
	/* The time of the run (UNIX seconds); 0: now. */
	int64_t now;
	/* The native backend services each image in a sandboxed child
	 * (doc/security.md): how many children run at once; 0: 1. */
	unsigned jobs;
	/* Progress within long steps (struct svc_progress); NULL: none. */
	svc_progress_count_fn count;
	void *count_ctx;
	/* The least time between two counts of a step, in milliseconds:
	 * 0 is SVC_PROGRESS_INTERVAL_MS, negative no limit (tests). */
	int count_interval_ms;
};

/* The outcome of one image. */
struct svc_image_result {
	const char *image; /* as added */
	enum svc_status status;
	enum svc_err err;   /* SVC_OK, or why the image failed */
	enum hvo_exit exit; /* its exit class */
	char *message;	    /* one sentence for people */
	struct svc_facts facts;
	/* inspect --source: which package applies (have_applicability). */
	bool have_applicability;
	struct svc_applicability applicability;
	/* apply, verify: the package chosen, and what is installed. */
	const struct svc_source_package *package; /* or NULL */
	char *installed;			  /* IC version, or NULL */
	struct svc_plan *plan;			  /* or NULL */
	bool applied, verified;
	struct svc_apply_result apply;	 /* when applied */
	struct svc_verify_result verify; /* when verified */
};

/* How the guest backend ran. */
struct svc_backend_info {
	unsigned launches;
	const char *accelerator; /* "kvm", "tcg", or NULL: not launched */
	bool fell_back;
	double seconds; /* of the launch */
};

/* Creates a session.  Returns SVC_OK and *@s_ret, or SVC_ERR_NOMEM (or
 * SVC_ERR_INVALID for a backend name that is neither "native" nor
 * "appliance"; *@s_ret is then NULL). */
enum svc_err svc_session_new(const struct svc_session_opts *opts,
			     struct svc_session **s_ret);

/* Releases everything; accepts NULL. */
void svc_session_free(struct svc_session *s);

/* The message of the last failure ("" if none; owned by @s). */
const char *svc_session_errmsg(const struct svc_session *s);

/* Adds an image (the path is copied).  Before the run. */
enum svc_err svc_session_add_image(struct svc_session *s, const char *path);

/* Sets the source and classifies it (nothing is read yet).  Returns
 * SVC_OK, or SVC_ERR_SOURCE with the reason in svc_session_errmsg(). */
enum svc_err svc_session_set_source(struct svc_session *s, const char *path);

/*
 * Runs the session's command (inspect, apply or verify; the _inspect,
 * _apply and _verify entry points check it is the one @opts named).
 * Returns SVC_OK when the images were dealt with, each with its result,
 * or the error that kept the run from starting (no scratch directory,
 * out of memory; svc_session_errmsg() says why).
 */
enum svc_err svc_session_inspect(struct svc_session *s);
enum svc_err svc_session_apply(struct svc_session *s);
enum svc_err svc_session_verify(struct svc_session *s);

/* The highest exit class of the run (SERVICING.md section 4). */
enum hvo_exit svc_session_exit(const struct svc_session *s);

/* The results, in the order the images were added. */
size_t svc_session_nimages(const struct svc_session *s);
const struct svc_image_result *svc_session_image(const struct svc_session *s,
						 size_t i);

/* The source (NULL when none was set) and how the backend ran. */
const struct svc_source *svc_session_source(const struct svc_session *s);
void svc_session_backend(const struct svc_session *s,
			 struct svc_backend_info *info);

const struct svc_session_opts *svc_session_options(const struct svc_session *s);

/* ---- Reports (session_report.c) ---- */

/* The whole run as the JSON document of `hvoffline <command> --json`. */
void svc_session_json(const struct svc_session *s, struct json_writer *w);

/* The whole run as text, for people. */
void svc_session_text(const struct svc_session *s, FILE *out);

#endif /* HVO_SERVICING_SESSION_H */

/*
 * session_int.h - the session handle, shared by session.c (the handle),
 * session_image.c (the workflow) and session_child.c (the same workflow,
 * one sandboxed child per image).
 */
#ifndef HVO_SERVICING_SESSION_INT_H
#define HVO_SERVICING_SESSION_INT_H

#include "servicing/inspect_run.h"
#include "servicing/session.h"

struct svc_session {
	struct svc_session_opts opts;
	struct svc_error error;
	bool ran;
	/* The images. */
	char **paths;
	struct svc_image_result *results;
	size_t n, cap;
	/* The source. */
	bool have_source;
	struct svc_source src;
	struct svc_source_package *pkgs;
	size_t npkgs;
	enum hvo_exit source_exit; /* a source that cannot be used */
	/* The run. */
	char *tmpdir;
	struct svc_run run;
	bool launched; /* svc_inspect_images ran */
	enum svc_err launch_err;
	struct svc_backend_info backend;
	enum hvo_exit exit;
};

/* session_image.c */
/* A notice about @object to the session's callback, if it has one. */
void svc_int_session_notice(const struct svc_session *s, enum svc_notice kind,
			    const char *object, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void svc_int_session_launch(struct svc_session *s);
enum hvo_exit svc_int_session_load_source(struct svc_session *s,
					  struct guest_disk *iso);
struct guest_disk *svc_int_session_iso_disk(const struct svc_session *s);
/* Services image @i (launched) and reports its outcome as a notice. */
void svc_int_session_one(struct svc_session *s, size_t i);
/* Closes the backend; after writes, an unclean shutdown fails the images
 * that changed.  False when it did not shut down cleanly. */
bool svc_int_session_finish(struct svc_session *s);

/* session_child.c */
/* Whether images run in sandboxed children (the native backend). */
bool svc_int_session_sandboxed(const struct svc_session *s);
/* Reads the source's packages before any image is opened (an ISO in a
 * launch of its own when images run in children). */
enum hvo_exit svc_int_session_read_source(struct svc_session *s);
/* Runs the command for every image, one sandboxed child per image,
 * s->opts.jobs at once, each running session_image.c's steps on its
 * image; fills s->results and replays each child's notices, in the
 * order of the images. */
void svc_int_session_children(struct svc_session *s);

/* session_wire.c: freeing one result (session.c, session_image.c,
 * session_child.c)... */
void svc_int_session_result_free(struct svc_image_result *r);
/* ... and an image's result as bytes and back.  The parent
 * rebuilds the applicability and the plan from the facts and its own
 * packages; decoding checks every length and index. */
struct svc_wire {
	FILE *f; /* open_memstream() on buf and len */
	char *buf;
	size_t len;
	bool failed;
};
void svc_int_wire_result(struct svc_wire *w, const struct svc_image_result *r,
			 const struct svc_session *s);
void svc_int_wire_notice(struct svc_wire *w, enum svc_notice kind,
			 const char *object, const char *msg);
/* Decodes a child's bytes: notices go to @s's callback, the result into
 * @r.  0, or -1 with @why set; then, if the child's own outcome could
 * still be read (status, error, exit code, message), @r->message is
 * set and @r's status, err and exit are the child's. */
int svc_int_unwire(struct svc_session *s, struct svc_image_result *r,
		   const char *buf, size_t len, char *why, size_t whysize);

#endif /* HVO_SERVICING_SESSION_INT_H */

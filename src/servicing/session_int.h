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

/* session_progress.c: progress records from a sandboxed child, over a
 * pipe of their own, while it runs. */
#define SVC_PROGRESS_STEP_MAX	200
#define SVC_PROGRESS_RECORD_MAX (19 + SVC_PROGRESS_STEP_MAX)
/* @p as a record into @out: its length, or -1 (a step of no or too many
 * characters). */
int svc_int_progress_encode(const struct svc_progress *p,
			    uint8_t out[SVC_PROGRESS_RECORD_MAX]);
/* Writes @p's record to @fd in one write; -1 if it could not (a full
 * non-blocking pipe: the record is dropped). */
int svc_int_progress_send(int fd, const struct svc_progress *p);
/* The same for the sentence @msg of a step that begins (an
 * SVC_NOTICE_PROGRESS notice about the child's image); -1 also when
 * @msg cannot travel (empty, too long, not printable ASCII): it then goes
 * with the result. */
int svc_int_progress_send_step(int fd, const char *msg);
/* The parent's side: bytes as they come, in any pieces. */
struct svc_progress_reader {
	uint8_t buf[2 * SVC_PROGRESS_RECORD_MAX];
	size_t len;
	bool bad; /* a record broke the rules: nothing more is read */
};
/* Adds @n bytes of @data and passes every complete record on, as about
 * image @image: a count to @o->count, a step to @o->notice (either may
 * be NULL).  0, or -1 once a record broke the rules. */
int svc_int_progress_feed(struct svc_progress_reader *r, const void *data,
			  size_t n, const char *image,
			  const struct svc_session_opts *o);

#endif /* HVO_SERVICING_SESSION_INT_H */

/*
 * session_progress.c - progress within an image's long steps, from a
 * sandboxed child to the parent while the child runs (session_child.c).
 *
 * The child's result goes over its result pipe once, at its end
 * (session_wire.c); progress cannot wait for that, so each child has a
 * second pipe for it.  One record per write(2), shorter than PIPE_BUF, so
 * records never interleave or tear on the writer's side.  The child's end
 * is non-blocking and a record that does not fit is dropped: progress
 * never holds up the work, and a parent busy elsewhere cannot deadlock a
 * child.
 *
 * A record: 'P' (a count) or 'S' (a step begins: the sentence of an
 * SVC_NOTICE_PROGRESS notice about the image, sent here rather than with
 * the result so that it shows while the child runs; done and total 0);
 * done and total (64-bit, host order: the child is a fork of the parent);
 * the unit (0 items, 1 bytes); the step's length (1 to
 * SVC_PROGRESS_STEP_MAX) and its bytes, printable ASCII.  The parent
 * reads them as untrusted input: a record that breaks any of these rules
 * (or counts more done than total) stops the reading of that child's
 * progress for good, and its text is shown only once checked, so a child
 * cannot write terminal escapes to the user's screen.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "servicing/session_int.h"

#define REC_TAG	 'P'
#define STEP_TAG 'S'
#define REC_HEAD (1 + 8 + 8 + 1 + 1)

_Static_assert(SVC_PROGRESS_RECORD_MAX == REC_HEAD + SVC_PROGRESS_STEP_MAX,
	       "the largest record");
_Static_assert(SVC_PROGRESS_RECORD_MAX <= 512, "one write under PIPE_BUF");

/* Whether @s can travel: 1 to SVC_PROGRESS_STEP_MAX printable ASCII
 * characters (what the parent accepts). */
static bool sendable(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return n > 0 && n <= SVC_PROGRESS_STEP_MAX;
}

static int encode(char tag, const struct svc_progress *p,
		  uint8_t out[SVC_PROGRESS_RECORD_MAX])
{
	if (!sendable(p->step))
		return -1;
	size_t n = strlen(p->step);
	uint8_t unit = p->bytes ? 1 : 0;
	out[0] = (uint8_t)tag;
	memcpy(out + 1, &p->done, 8);
	memcpy(out + 9, &p->total, 8);
	out[17] = unit;
	out[18] = (uint8_t)n;
	memcpy(out + REC_HEAD, p->step, n);
	return (int)(REC_HEAD + n);
}

int svc_int_progress_encode(const struct svc_progress *p,
			    uint8_t out[SVC_PROGRESS_RECORD_MAX])
{
	return encode(REC_TAG, p, out);
}

static int send_rec(int fd, const uint8_t *rec, int n)
{
	if (n < 0)
		return -1;
	ssize_t w;
	while ((w = write(fd, rec, (size_t)n)) < 0 && errno == EINTR)
		;
	/* EAGAIN: the pipe is full, the record is dropped. */
	return w == n ? 0 : -1;
}

int svc_int_progress_send(int fd, const struct svc_progress *p)
{
	uint8_t rec[SVC_PROGRESS_RECORD_MAX];
	return send_rec(fd, rec, encode(REC_TAG, p, rec));
}

int svc_int_progress_send_step(int fd, const char *msg)
{
	uint8_t rec[SVC_PROGRESS_RECORD_MAX];
	struct svc_progress p = { .step = msg };
	return send_rec(fd, rec, encode(STEP_TAG, &p, rec));
}

/* One complete record at @b (@n bytes, at least REC_HEAD): its length,
 * or -1 if it breaks a rule, or 0 if it is not all there yet. */
static int record(const uint8_t *b, size_t n, struct svc_progress *p,
		  char step[SVC_PROGRESS_STEP_MAX + 1])
{
	if ((b[0] != REC_TAG && b[0] != STEP_TAG) || b[17] > 1 || b[18] == 0 ||
	    b[18] > SVC_PROGRESS_STEP_MAX)
		return -1;
	size_t len = REC_HEAD + b[18];
	if (n < len)
		return 0;
	for (size_t i = REC_HEAD; i < len; i++)
		if (b[i] < 0x20 || b[i] > 0x7e)
			return -1;
	memcpy(&p->done, b + 1, 8);
	memcpy(&p->total, b + 9, 8);
	if (p->done > p->total ||
	    (b[0] == STEP_TAG && (p->total != 0 || b[17] != 0)))
		return -1;
	p->bytes = b[17] == 1;
	memcpy(step, b + REC_HEAD, b[18]);
	step[b[18]] = '\0';
	p->step = step;
	return (int)len;
}

int svc_int_progress_feed(struct svc_progress_reader *r, const void *data,
			  size_t n, const char *image,
			  const struct svc_session_opts *o)
{
	const uint8_t *d = data;
	while (n > 0 && !r->bad) {
		size_t k = sizeof(r->buf) - r->len;
		if (k > n)
			k = n;
		memcpy(r->buf + r->len, d, k);
		r->len += k;
		d += k;
		n -= k;
		size_t at = 0;
		while (!r->bad && r->len - at >= REC_HEAD) {
			struct svc_progress p = { .image = image };
			char step[SVC_PROGRESS_STEP_MAX + 1];
			int m = record(r->buf + at, r->len - at, &p, step);
			if (m < 0)
				r->bad = true;
			if (m <= 0)
				break;
			at += (size_t)m;
			if (r->buf[at - (size_t)m] == STEP_TAG) {
				if (o->notice != NULL)
					o->notice(o->notice_ctx,
						  SVC_NOTICE_PROGRESS, image,
						  p.step);
			} else if (o->count != NULL) {
				o->count(o->count_ctx, &p);
			}
		}
		memmove(r->buf, r->buf + at, r->len - at);
		r->len -= at;
	}
	return r->bad ? -1 : 0;
}

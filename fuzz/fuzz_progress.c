/*
 * fuzz_progress.c - the parent's reader of a sandboxed child's progress
 * records (src/servicing/session_progress.c) on arbitrary bytes.  The
 * first byte says where the bytes are cut into two reads (as a pipe may
 * hand them over); the rest are what the child wrote.
 *
 * Invariants: every count passed on counts no more done than total, and
 * its step (and every step notice's sentence) is 1 to
 * SVC_PROGRESS_STEP_MAX printable ASCII characters (what reaches the
 * user's terminal); once the reader refuses, nothing more is passed on;
 * a count read encodes again to a record of the same length.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "servicing/session_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t n;
	bool after_bad;
	const struct svc_progress_reader *r;
};

static void check_text(const char *t)
{
	size_t len = strlen(t);
	if (len == 0 || len > SVC_PROGRESS_STEP_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		if (t[i] < 0x20 || t[i] > 0x7e)
			abort();
}

static void on_notice(void *ctx, enum svc_notice kind, const char *object,
		      const char *msg)
{
	struct seen *s = ctx;
	if (kind != SVC_NOTICE_PROGRESS || strcmp(object, "img") != 0 ||
	    s->r->bad)
		abort();
	check_text(msg);
	s->n++;
}

static void on_count(void *ctx, const struct svc_progress *p)
{
	struct seen *s = ctx;
	size_t len = strlen(p->step);
	if (p->done > p->total || strcmp(p->image, "img") != 0 || s->r->bad)
		abort();
	check_text(p->step);
	/* What was read is written again as the same record. */
	uint8_t rec[SVC_PROGRESS_RECORD_MAX];
	if (svc_int_progress_encode(p, rec) != (int)(19 + len))
		abort();
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t cut = data[0];
	data++;
	size--;
	if (cut > size)
		cut = size;
	struct svc_progress_reader r = { 0 };
	struct seen s = { .r = &r };
	struct svc_session_opts o = { .notice = on_notice,
				      .notice_ctx = &s,
				      .count = on_count,
				      .count_ctx = &s };
	int a = svc_int_progress_feed(&r, data, cut, "img", &o);
	int b = svc_int_progress_feed(&r, data + cut, size - cut, "img", &o);
	if (a != 0 && b == 0)
		abort(); /* a refusal is for good */
	return 0;
}

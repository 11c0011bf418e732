/*
 * plan_pool.c - the plan's pool: every allocation of a plan, and the
 * operations appended to it (see plan_int.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "registry/reg.h"
#include "servicing/plan_int.h"
#include "util/bytes.h"
#include "util/grow.h"

const char *svc_hive_name(enum svc_hive h)
{
	return h == SVC_HIVE_SYSTEM ? "SYSTEM" : "SOFTWARE";
}

/* ------------------------------------------------------------------ */
/* The pool.                                                           */
/* ------------------------------------------------------------------ */

void *svc_int_plan_own(struct plan_build *b, void *p)
{
	if (p == NULL) {
		b->oom = true;
		return NULL;
	}
	void **n =
		hvo_int_grow(b->pool, b->npool, &b->cap_pool, sizeof(*n), 256);
	if (n == NULL) {
		free(p);
		b->oom = true;
		return NULL;
	}
	b->pool = n;
	b->pool[b->npool++] = p;
	return p;
}

void *svc_int_plan_alloc(struct plan_build *b, size_t size)
{
	return svc_int_plan_own(b, calloc(1, size ? size : 1));
}

char *svc_int_plan_strdup(struct plan_build *b, const char *s)
{
	return s ? svc_int_plan_own(b, strdup(s)) : NULL;
}

char *svc_int_plan_printf(struct plan_build *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return svc_int_plan_own(b, r < 0 ? NULL : s);
}

static void *grow(struct plan_build *b, void *items, size_t n, size_t *cap,
		  size_t size)
{
	void *p = hvo_int_grow(items, n, cap, size, 64);
	if (p == NULL)
		b->oom = true;
	return p;
}

void svc_int_plan_add_file(struct plan_build *b, const struct svc_plan_file *f)
{
	struct svc_plan *p = b->plan;
	struct svc_plan_file *v =
		grow(b, p->files, p->nfiles, &b->cap_files, sizeof(*v));
	if (v == NULL)
		return;
	p->files = v;
	p->files[p->nfiles++] = *f;
}

void svc_int_plan_add_reg(struct plan_build *b, const struct svc_plan_reg *r)
{
	struct svc_plan *p = b->plan;
	struct svc_plan_reg *v =
		grow(b, p->regs, p->nregs, &b->cap_regs, sizeof(*v));
	if (v == NULL)
		return;
	p->regs = v;
	p->regs[p->nregs++] = *r;
}

void svc_int_plan_defer(struct plan_build *b, const char *reason,
			const char *fmt, ...)
{
	struct svc_plan *p = b->plan;
	va_list ap;
	char *what;
	va_start(ap, fmt);
	int r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (svc_int_plan_own(b, r < 0 ? NULL : what) == NULL)
		return;
	struct svc_plan_deferred *v = grow(b, p->deferred, p->ndeferred,
					   &b->cap_deferred, sizeof(*v));
	if (v == NULL)
		return;
	p->deferred = v;
	p->deferred[p->ndeferred].what = what;
	p->deferred[p->ndeferred++].reason = svc_int_plan_strdup(b, reason);
}

void svc_int_plan_note(struct plan_build *b, const char *fmt, ...)
{
	struct svc_plan *p = b->plan;
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (svc_int_plan_own(b, r < 0 ? NULL : s) == NULL)
		return;
	char **v = grow(b, p->notes, p->nnotes, &b->cap_notes, sizeof(*v));
	if (v == NULL)
		return;
	p->notes = v;
	p->notes[p->nnotes++] = s;
}

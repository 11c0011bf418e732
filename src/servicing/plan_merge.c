/*
 * plan_merge.c - duplicates merged: a file or value planned twice
 * (two components sharing a file, an INF and a manifest writing the same
 * value) is written once, conflicts noted.
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

/* ------------------------------------------------------------------ */
/* Merging duplicates.                                                 */
/* ------------------------------------------------------------------ */

/* The same destination twice: identical files collapse into one; for
 * different ones the later wins, as it would when Windows copies them in
 * order, and a note says so. */
void svc_int_plan_merge_files(struct plan_build *b)
{
	struct svc_plan *p = b->plan;
	size_t out = 0;
	for (size_t i = 0; i < p->nfiles; i++) {
		struct svc_plan_file *f = &p->files[i];
		bool dup = false;
		for (size_t j = i + 1; j < p->nfiles && !dup; j++) {
			struct svc_plan_file *g = &p->files[j];
			if (strcasecmp(f->dest, g->dest) != 0)
				continue;
			dup = true;
			if (!(f->has_sha256 && g->has_sha256 &&
			      memcmp(f->sha256, g->sha256, 32) == 0) &&
			    !(f->source == g->source && f->cab_entry &&
			      g->cab_entry &&
			      strcasecmp(f->cab_entry, g->cab_entry) == 0))
				svc_int_plan_note(
					b,
					"%s is written twice with "
					"different content (%s, then %s); "
					"the later one is kept",
					f->dest, f->origin, g->origin);
		}
		if (!dup)
			p->files[out++] = *f;
	}
	p->nfiles = out;
}

static bool same_reg_target(const struct svc_plan_reg *a,
			    const struct svc_plan_reg *c)
{
	return a->hive == c->hive && strcasecmp(a->key, c->key) == 0 &&
	       strcasecmp(a->name, c->name) == 0;
}

/* A value set twice keeps the later setting; keys created twice and
 * identical list additions collapse. */
void svc_int_plan_merge_regs(struct svc_plan *p)
{
	size_t out = 0;
	for (size_t i = 0; i < p->nregs; i++) {
		struct svc_plan_reg *r = &p->regs[i];
		bool dup = false;
		for (size_t j = i + 1; j < p->nregs && !dup; j++) {
			struct svc_plan_reg *q = &p->regs[j];
			if (r->kind != q->kind)
				continue;
			if (r->kind == SVC_REG_KEY)
				dup = r->hive == q->hive &&
				      strcasecmp(r->key, q->key) == 0;
			else if (r->kind == SVC_REG_SET ||
				 r->kind == SVC_REG_DELETE)
				dup = same_reg_target(r, q);
			else
				dup = same_reg_target(r, q) &&
				      strcasecmp(r->text, q->text) == 0;
		}
		if (!dup)
			p->regs[out++] = *r;
	}
	p->nregs = out;
}

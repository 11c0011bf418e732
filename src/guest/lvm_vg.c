/*
 * lvm_vg.c - a volume group from its metadata text (see lvm.h), as
 * lib/format_text/import_vsn1.c reads it:
 *
 *   contents = "Text Format Volume Group"   version = 1   (top level)
 *   VGNAME {
 *     id = "..."  seqno = N  extent_size = SECTORS
 *     physical_volumes { pv0 { id = "..." device = "/dev/sda2"
 *                              flags = [] pe_start = S pe_count = N } }
 *     logical_volumes { LV { status = ["READ", "WRITE", "VISIBLE"]
 *       segment1 { start_extent = 0 extent_count = N type = "striped"
 *                  stripe_count = 1 stripes = [ "pv0", PE ] } } }
 *   }
 *
 * Whatever is wrong with one LV (an unknown segment type, an area off its
 * PV, a gap) makes that LV unreadable with the reason; only a text that
 * is not a VG at all fails the parse.  Linear LVs are "striped" segments
 * with one stripe (lvm2 writes no "linear" type; it reads one).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/lvm.h"
#include "util/bytes.h"

/* Largest extent lvm2 allows is 16 GiB (vgcreate -s); in sectors. */
#define LVM_MAX_EXTENT_SECTORS (32ull * 1024 * 1024)

__attribute__((format(printf, 3, 4))) static int corrupt(char *why,
							 size_t whysize,
							 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	return LVM_E_CORRUPT;
}

static bool get_int(const struct lvm_cfg *sec, const char *key, uint64_t *v)
{
	const struct lvm_cfg *n = lvm_cfg_get(sec, key);
	if (n == NULL || n->type != LVM_CFG_INT || n->i < 0)
		return false;
	*v = (uint64_t)n->i;
	return true;
}

static const char *get_str(const struct lvm_cfg *sec, const char *key)
{
	const struct lvm_cfg *n = lvm_cfg_get(sec, key);
	return n != NULL && n->type == LVM_CFG_STRING ? n->s : NULL;
}

/* Whether array @key of @sec holds the string @flag. */
static bool has_flag(const struct lvm_cfg *sec, const char *key,
		     const char *flag)
{
	const struct lvm_cfg *n = lvm_cfg_get(sec, key);
	if (n == NULL || n->type != LVM_CFG_ARRAY)
		return false;
	for (const struct lvm_cfg *v = n->child; v; v = v->next)
		if (v->type == LVM_CFG_STRING && strcmp(v->s, flag) == 0)
			return true;
	return false;
}

/* A UUID "xxxxxx-xxxx-...-xxxxxx" without its dashes; false unless 32
 * printable characters remain. */
static bool uuid_strip(const char *s, char out[LVM_ID_LEN + 1])
{
	size_t o = 0;
	for (; s != NULL && *s; s++) {
		if (*s == '-')
			continue;
		if (o == LVM_ID_LEN || (unsigned char)*s <= 0x20 ||
		    (unsigned char)*s >= 0x7f)
			return false;
		out[o++] = *s;
	}
	out[o] = '\0';
	return o == LVM_ID_LEN;
}

static size_t count_sections(const struct lvm_cfg *sec)
{
	size_t n = 0;
	for (const struct lvm_cfg *c = sec ? sec->child : NULL; c; c = c->next)
		n += c->type == LVM_CFG_SECTION;
	return n;
}

static int read_pvs(const struct lvm_cfg *pvs, struct lvm_vg *vg, char *why,
		    size_t whysize)
{
	size_t n = count_sections(pvs);
	if (n == 0)
		return corrupt(why, whysize, "VG %s has no physical volumes",
			       vg->name);
	if (n > LVM_MAX_PVS)
		return corrupt(why, whysize, "VG %s: too many physical volumes",
			       vg->name);
	vg->pvs = calloc(n, sizeof(*vg->pvs));
	if (vg->pvs == NULL)
		return LVM_E_NOMEM;
	for (const struct lvm_cfg *c = pvs->child; c; c = c->next) {
		if (c->type != LVM_CFG_SECTION)
			continue;
		struct lvm_pv *pv = &vg->pvs[vg->npvs++];
		snprintf(pv->name, sizeof(pv->name), "%s", c->key);
		const char *dev = get_str(c, "device");
		snprintf(pv->device, sizeof(pv->device), "%s", dev ? dev : "");
		if (!uuid_strip(get_str(c, "id"), pv->uuid))
			return corrupt(why, whysize,
				       "physical volume %s: bad id", c->key);
		if (!get_int(c, "pe_start", &pv->pe_start) ||
		    !get_int(c, "pe_count", &pv->pe_count))
			return corrupt(why, whysize,
				       "physical volume %s: no pe_start or "
				       "pe_count",
				       c->key);
		/* Both in sectors later: keep the products in range. */
		if (pv->pe_start > UINT64_MAX / 4 / LVM_SECTOR ||
		    pv->pe_count >
			    UINT64_MAX / 4 / LVM_SECTOR / vg->extent_size)
			return corrupt(why, whysize,
				       "physical volume %s: impossible size",
				       c->key);
		pv->missing = has_flag(c, "flags", "MISSING");
	}
	return LVM_OK;
}

static size_t find_pv(const struct lvm_vg *vg, const char *name)
{
	for (size_t i = 0; i < vg->npvs; i++)
		if (strcmp(vg->pvs[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/* The first problem of an LV is the one kept. */
__attribute__((format(printf, 2, 3))) static void lv_bad(struct lvm_lv *lv,
							 const char *fmt, ...)
{
	if (lv->problem[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lv->problem, sizeof(lv->problem), fmt, ap);
	va_end(ap);
}

/* The stripes of a striped segment; problems go to the LV. */
static int read_stripes(const struct lvm_cfg *c, const struct lvm_vg *vg,
			struct lvm_lv *lv, struct lvm_segment *s)
{
	uint64_t count = 0, size = 0;
	if (!get_int(c, "stripe_count", &count) || count == 0 ||
	    count > LVM_MAX_STRIPES) {
		lv_bad(lv, "segment %s: bad stripe_count", c->key);
		return LVM_OK;
	}
	/* lvm2 makes the chunk a power of two that divides the extent
	 * size; any other chunk would map the end of a stripe past its
	 * extents (into another LV's). */
	if (count > 1 &&
	    (!get_int(c, "stripe_size", &size) || size == 0 ||
	     size > LVM_MAX_EXTENT_SECTORS || (size & (size - 1)) != 0 ||
	     vg->extent_size % size != 0)) {
		lv_bad(lv, "segment %s: bad stripe_size", c->key);
		return LVM_OK;
	}
	if (s->extent_count % count != 0) {
		lv_bad(lv, "segment %s: extents not a multiple of the stripes",
		       c->key);
		return LVM_OK;
	}
	const struct lvm_cfg *a = lvm_cfg_get(c, "stripes");
	s->stripes = calloc((size_t)count, sizeof(*s->stripes));
	if (s->stripes == NULL)
		return LVM_E_NOMEM;
	const struct lvm_cfg *v =
		a && a->type == LVM_CFG_ARRAY ? a->child : NULL;
	for (size_t i = 0; i < count; i++) {
		const struct lvm_cfg *pe = v ? v->next : NULL;
		if (v == NULL || pe == NULL || v->type != LVM_CFG_STRING ||
		    pe->type != LVM_CFG_INT || pe->i < 0) {
			lv_bad(lv, "segment %s: bad stripes list", c->key);
			return LVM_OK;
		}
		size_t pv = find_pv(vg, v->s);
		if (pv == SIZE_MAX) {
			lv_bad(lv, "segment on an unknown physical volume %s",
			       v->s);
			return LVM_OK;
		}
		uint64_t per = s->extent_count / count;
		if ((uint64_t)pe->i > vg->pvs[pv].pe_count ||
		    per > vg->pvs[pv].pe_count - (uint64_t)pe->i) {
			lv_bad(lv,
			       "segment %s: extents beyond its physical "
			       "volume",
			       c->key);
			return LVM_OK;
		}
		s->stripes[i].pv = pv;
		s->stripes[i].pe = (uint64_t)pe->i;
		v = pe->next;
	}
	s->stripe_count = (uint32_t)count;
	s->stripe_size = size;
	return LVM_OK;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct lvm_segment *x = a, *y = b;
	return x->start_extent < y->start_extent   ? -1
	       : x->start_extent > y->start_extent ? 1
						   : 0;
}

static int read_lv(const struct lvm_cfg *c, const struct lvm_vg *vg,
		   struct lvm_lv *lv)
{
	snprintf(lv->name, sizeof(lv->name), "%s", c->key);
	if (!lvm_name_valid(c->key))
		lv_bad(lv, "%s", "invalid LV name");
	lv->visible = has_flag(c, "status", "VISIBLE");
	size_t n = 0;
	for (const struct lvm_cfg *s = c->child; s; s = s->next)
		n += s->type == LVM_CFG_SECTION &&
		     strncmp(s->key, "segment", 7) == 0;
	if (n == 0 || n > LVM_MAX_SEGMENTS) {
		lv_bad(lv, "%s", n ? "too many segments" : "no segments");
		return LVM_OK;
	}
	lv->segs = calloc(n, sizeof(*lv->segs));
	if (lv->segs == NULL)
		return LVM_E_NOMEM;
	for (const struct lvm_cfg *s = c->child; s; s = s->next) {
		if (s->type != LVM_CFG_SECTION ||
		    strncmp(s->key, "segment", 7) != 0)
			continue;
		struct lvm_segment *g = &lv->segs[lv->nsegs++];
		const char *type = get_str(s, "type");
		snprintf(g->type, sizeof(g->type), "%s", type ? type : "");
		if (!get_int(s, "start_extent", &g->start_extent) ||
		    !get_int(s, "extent_count", &g->extent_count) ||
		    g->extent_count == 0 ||
		    g->start_extent >
			    UINT64_MAX / 4 / LVM_SECTOR / vg->extent_size ||
		    g->extent_count >
			    UINT64_MAX / 4 / LVM_SECTOR / vg->extent_size) {
			lv_bad(lv, "segment %s: bad extents", s->key);
			continue;
		}
		const char *cow = get_str(s, "cow_store");
		const char *origin = get_str(s, "origin");
		snprintf(g->cow_store, sizeof(g->cow_store), "%s",
			 cow ? cow : "");
		snprintf(g->origin, sizeof(g->origin), "%s",
			 origin ? origin : "");
		if (strcmp(g->type, "striped") == 0 ||
		    strcmp(g->type, "linear") == 0) {
			int r = read_stripes(s, vg, lv, g);
			if (r != LVM_OK)
				return r;
		}
	}
	qsort(lv->segs, lv->nsegs, sizeof(*lv->segs), seg_cmp);
	return LVM_OK;
}

static int read_lvs(const struct lvm_cfg *lvs, struct lvm_vg *vg, char *why,
		    size_t whysize)
{
	size_t n = count_sections(lvs);
	if (n == 0)
		return LVM_OK;
	if (n > LVM_MAX_LVS)
		return corrupt(why, whysize, "VG %s: too many logical volumes",
			       vg->name);
	vg->lvs = calloc(n, sizeof(*vg->lvs));
	if (vg->lvs == NULL)
		return LVM_E_NOMEM;
	for (const struct lvm_cfg *c = lvs->child; c; c = c->next) {
		if (c->type != LVM_CFG_SECTION)
			continue;
		int r = read_lv(c, vg, &vg->lvs[vg->nlvs++]);
		if (r != LVM_OK)
			return r;
	}
	return LVM_OK;
}

static int read_vg(const struct lvm_cfg *root, struct lvm_vg *vg, char *why,
		   size_t whysize)
{
	const char *contents = get_str(root, "contents");
	if (contents != NULL &&
	    strcmp(contents, "Text Format Volume Group") != 0)
		return corrupt(why, whysize, "metadata contents \"%s\"",
			       contents);
	const struct lvm_cfg *sec = root->child;
	while (sec != NULL && sec->type != LVM_CFG_SECTION)
		sec = sec->next;
	if (sec == NULL)
		return corrupt(why, whysize, "%s", "no volume group section");
	if (!lvm_name_valid(sec->key))
		return corrupt(why, whysize, "%s", "invalid VG name");
	snprintf(vg->name, sizeof(vg->name), "%s", sec->key);
	if (!uuid_strip(get_str(sec, "id"), vg->uuid))
		return corrupt(why, whysize, "VG %s: bad id", vg->name);
	if (!get_int(sec, "seqno", &vg->seqno))
		return corrupt(why, whysize, "VG %s: no seqno", vg->name);
	if (!get_int(sec, "extent_size", &vg->extent_size) ||
	    vg->extent_size == 0 || vg->extent_size > LVM_MAX_EXTENT_SECTORS)
		return corrupt(why, whysize, "VG %s: bad extent_size",
			       vg->name);
	const struct lvm_cfg *pvs = lvm_cfg_get(sec, "physical_volumes");
	if (pvs == NULL || pvs->type != LVM_CFG_SECTION)
		return corrupt(why, whysize, "VG %s: no physical_volumes",
			       vg->name);
	int r = read_pvs(pvs, vg, why, whysize);
	if (r != LVM_OK)
		return r;
	const struct lvm_cfg *lvs = lvm_cfg_get(sec, "logical_volumes");
	if (lvs != NULL && lvs->type == LVM_CFG_SECTION)
		r = read_lvs(lvs, vg, why, whysize);
	return r;
}

int lvm_vg_parse(const char *text, size_t len, struct lvm_vg **vg_ret,
		 char *why, size_t whysize)
{
	*vg_ret = NULL;
	struct lvm_cfg *root;
	int r = lvm_cfg_parse(text, len, &root, why, whysize);
	if (r != LVM_OK)
		return r;
	struct lvm_vg *vg = calloc(1, sizeof(*vg));
	if (vg == NULL) {
		lvm_cfg_free(root);
		return LVM_E_NOMEM;
	}
	r = read_vg(root, vg, why, whysize);
	lvm_cfg_free(root);
	if (r == LVM_E_NOMEM)
		snprintf(why, whysize, "out of memory");
	if (r != LVM_OK) {
		lvm_vg_free(vg);
		return r;
	}
	*vg_ret = vg;
	return LVM_OK;
}

void lvm_vg_free(struct lvm_vg *vg)
{
	if (vg == NULL)
		return;
	for (size_t i = 0; i < vg->nlvs; i++) {
		for (size_t s = 0; s < vg->lvs[i].nsegs; s++)
			free(vg->lvs[i].segs[s].stripes);
		free(vg->lvs[i].segs);
	}
	free(vg->lvs);
	free(vg->pvs);
	free(vg);
}

/* The snapshot whose exception store is LV @name, or NULL. */
static const struct lvm_segment *cow_of(const struct lvm_vg *vg,
					const char *name)
{
	for (size_t i = 0; i < vg->nlvs; i++)
		for (size_t s = 0; s < vg->lvs[i].nsegs; s++)
			if (strcmp(vg->lvs[i].segs[s].type, "snapshot") == 0 &&
			    strcmp(vg->lvs[i].segs[s].cow_store, name) == 0)
				return &vg->lvs[i].segs[s];
	return NULL;
}

static void check_lv(struct lvm_vg *vg, struct lvm_lv *lv)
{
	uint64_t ext_bytes = vg->extent_size * LVM_SECTOR, next = 0;
	bool striped = false;
	snprintf(lv->kind, sizeof(lv->kind), "linear");
	const struct lvm_segment *snap = cow_of(vg, lv->name);
	if (snap != NULL) {
		snprintf(lv->kind, sizeof(lv->kind), "snapshot");
		lv_bad(lv,
		       "a snapshot of %s (its exception store is read "
		       "by device-mapper only)",
		       snap->origin);
	}
	for (size_t s = 0; s < lv->nsegs; s++) {
		const struct lvm_segment *g = &lv->segs[s];
		/* Each below a quarter of the range over the extent size
		 * (read_lv): the sum stays in range. */
		if (g->start_extent + g->extent_count > lv->extents)
			lv->extents = g->start_extent + g->extent_count;
		if (strcmp(g->type, "snapshot") == 0) {
			/* What lvs shows as the snapshot: its exception
			 * store's name, a snapshot of the origin. */
			snprintf(lv->kind, sizeof(lv->kind), "snapshot");
			lv_bad(lv,
			       "a snapshot of %s (its exception store is read "
			       "by device-mapper only)",
			       g->origin);
			continue;
		}
		if (strcmp(g->type, "striped") != 0 &&
		    strcmp(g->type, "linear") != 0) {
			snprintf(lv->kind, sizeof(lv->kind), "%s",
				 g->type[0] ? g->type : "unknown");
			lv_bad(lv, "segment type %s is not read",
			       g->type[0] ? g->type : "(none)");
			continue;
		}
		if (g->stripes == NULL)
			continue; /* its problem is already set */
		if (g->start_extent != next)
			lv_bad(lv, "%s", "its segments leave a gap");
		next = g->start_extent + g->extent_count;
		striped |= g->stripe_count > 1;
		for (uint32_t i = 0; i < g->stripe_count; i++) {
			const struct lvm_pv *pv = &vg->pvs[g->stripes[i].pv];
			if (!pv->found || pv->missing) {
				lv_bad(lv,
				       "physical volume %s (%s) is not on "
				       "this disk",
				       pv->name, pv->uuid);
				continue;
			}
			uint64_t end = pv->pe_start * LVM_SECTOR +
				       (g->stripes[i].pe +
					g->extent_count / g->stripe_count) *
					       ext_bytes;
			if (end > pv->disk_size)
				lv_bad(lv, "segment beyond the end of %s",
				       pv->name);
		}
	}
	if (striped && strcmp(lv->kind, "linear") == 0)
		snprintf(lv->kind, sizeof(lv->kind), "striped");
	if (lv->nsegs == 0)
		lv_bad(lv, "%s", "no segments");
	lv->readable = lv->problem[0] == '\0';
}

void lvm_vg_check(struct lvm_vg *vg)
{
	for (size_t i = 0; i < vg->nlvs; i++)
		check_lv(vg, &vg->lvs[i]);
}

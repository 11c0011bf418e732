/*
 * native_lvm.c - a disk's LVM logical volumes as volumes of the native
 * backend (see native_lvm.h).
 *
 * What the kernel and lvm2 do at boot, without them: every PV's label
 * and current metadata text is read (lvm.c), the text parsed into its VG
 * (lvm_vg.c); where several PVs carry a copy of one VG's metadata (same
 * VG UUID), the copy with the highest seqno wins, as lvm2's
 * vg_read picks it.  The VG's PVs are matched to the PVs found on this
 * disk by their UUID; an LV is read through the extents of its segments
 * (lvm_lv_map), as device-mapper's linear and striped targets map them.
 * Nothing is ever written, and only this disk's PVs are looked at: an LV
 * that spans another disk is reported as having a PV missing.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/lvm.h"
#include "guest/native_int.h"
#include "guest/native_lvm.h"

/* What a mapped image of an LV reads through. */
struct lv_map {
	const struct lvm_vg *vg;
	const struct lvm_lv *lv;
};

struct native_lvm {
	struct lvm_vg **vgs;
	size_t nvgs;
	struct native_lvm_volume *out;
	struct lv_map *maps;
	size_t nout;
};

/* A PV label found on the disk. */
struct found_pv {
	char uuid[LVM_ID_LEN + 1];
	uint64_t start, size;
};

struct pv_reader {
	struct native_img *img;
	uint64_t start, size;
};

static int pv_read(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	struct pv_reader *r = ctx;
	if (off > r->size || len > r->size - off)
		return -1;
	return native_int_img_pread(r->img, buf, len, r->start + off);
}

static int lv_map(void *ctx, uint64_t off, uint64_t *under, uint64_t *contig)
{
	const struct lv_map *m = ctx;
	return lvm_lv_map(m->vg, m->lv, off, under, contig) == LVM_OK ? 0 : -1;
}

/* Keeps @vg (taking it) unless a newer copy of it is kept already. */
static int keep_vg(struct native_lvm *l, struct lvm_vg *vg)
{
	for (size_t i = 0; i < l->nvgs; i++) {
		if (strcmp(l->vgs[i]->uuid, vg->uuid) != 0)
			continue;
		if (vg->seqno > l->vgs[i]->seqno) {
			lvm_vg_free(l->vgs[i]);
			l->vgs[i] = vg;
		} else {
			lvm_vg_free(vg);
		}
		return GUEST_OK;
	}
	struct lvm_vg **n = realloc(l->vgs, (l->nvgs + 1) * sizeof(*n));
	if (n == NULL) {
		lvm_vg_free(vg);
		return GUEST_E_NOMEM;
	}
	l->vgs = n;
	l->vgs[l->nvgs++] = vg;
	return GUEST_OK;
}

/* Reads PV volume @v: its label into @found, its VG kept. */
static int read_pv(struct native_lvm *l, struct native_img *img,
		   struct guest_volume *v, struct found_pv *found,
		   bool *have_label)
{
	struct pv_reader r = { img, v->start, v->size };
	struct lvm_label label;
	memset(&label, 0, sizeof(label));
	char *text = NULL, why[160] = "";
	size_t len;
	*have_label = false;
	int e = lvm_pv_read(pv_read, &r, v->size, &label, &text, &len, why,
			    sizeof(why));
	if (e == LVM_E_NOMEM)
		return GUEST_E_NOMEM;
	if (e == LVM_OK || (e != LVM_E_NOT && label.pv_uuid[0] != '\0')) {
		/* The label was good even if its metadata area is not: the
		 * PV's extents can still be used with another PV's copy. */
		*have_label = true;
		memcpy(found->uuid, label.pv_uuid, sizeof(found->uuid));
		found->start = v->start;
		found->size = v->size;
	}
	if (e != LVM_OK) {
		snprintf(v->problem, sizeof(v->problem), "LVM: %s: %s",
			 lvm_strerror(e), why);
		return GUEST_OK;
	}
	if (text == NULL)
		return GUEST_OK; /* no metadata copy here */
	struct lvm_vg *vg;
	e = lvm_vg_parse(text, len, &vg, why, sizeof(why));
	free(text);
	if (e == LVM_E_NOMEM)
		return GUEST_E_NOMEM;
	if (e != LVM_OK) {
		snprintf(v->problem, sizeof(v->problem), "LVM metadata: %s: %s",
			 lvm_strerror(e), why);
		return GUEST_OK;
	}
	return keep_vg(l, vg);
}

/* The volume entry of LV @lv of @vg (its image made when readable). */
static int add_lv(struct native_lvm *l, struct native_img *img,
		  const struct lvm_vg *vg, const struct lvm_lv *lv)
{
	struct native_lvm_volume *o = &l->out[l->nout];
	struct lv_map *m = &l->maps[l->nout];
	struct guest_volume *v = &o->vol;
	memset(o, 0, sizeof(*o));
	m->vg = vg;
	m->lv = lv;
	/* A snapshot is the LV holding its "snapshot" segment, named as
	 * lvs names it: after its exception store. */
	const char *name = lv->name;
	if (strcmp(lv->kind, "snapshot") == 0 && lv->nsegs > 0 &&
	    lvm_name_valid(lv->segs[0].cow_store))
		name = lv->segs[0].cow_store;
	/* Names of 127 characters each do not fit: messages show the
	 * start, matching uses lv_vg and lv_name. */
	if (snprintf(v->device, sizeof(v->device), "/dev/%s/%s", vg->name,
		     name) >= (int)sizeof(v->device))
		memcpy(v->device + sizeof(v->device) - 4, "...", 4);
	snprintf(v->lv_vg, sizeof(v->lv_vg), "%s", vg->name);
	snprintf(v->lv_name, sizeof(v->lv_name), "%s", name);
	snprintf(v->lv_kind, sizeof(v->lv_kind), "%s", lv->kind);
	snprintf(v->problem, sizeof(v->problem), "%s", lv->problem);
	v->size = lvm_lv_size(vg, lv);
	uint64_t contig;
	if (lv->readable &&
	    lvm_lv_map(vg, lv, 0, &v->start, &contig) == LVM_OK) {
		int r = native_int_img_mapped(img, v->size, lv_map, m,
					      v->device, &o->img);
		if (r != GUEST_OK)
			return r;
	}
	l->nout++;
	return GUEST_OK;
}

static int add_lvs(struct native_lvm *l, struct native_img *img)
{
	size_t n = 0;
	for (size_t g = 0; g < l->nvgs; g++)
		for (size_t i = 0; i < l->vgs[g]->nlvs; i++)
			n += l->vgs[g]->lvs[i].visible;
	if (n == 0)
		return GUEST_OK;
	l->out = calloc(n, sizeof(*l->out));
	l->maps = calloc(n, sizeof(*l->maps));
	if (l->out == NULL || l->maps == NULL)
		return GUEST_E_NOMEM;
	for (size_t g = 0; g < l->nvgs; g++) {
		const struct lvm_vg *vg = l->vgs[g];
		for (size_t i = 0; i < vg->nlvs; i++) {
			if (!vg->lvs[i].visible)
				continue;
			int r = add_lv(l, img, vg, &vg->lvs[i]);
			if (r != GUEST_OK)
				return r;
		}
	}
	return GUEST_OK;
}

int native_int_lvm_scan(struct native_img *img, struct guest_volume *vols,
			size_t nvols, struct native_lvm **lvm_ret,
			struct native_lvm_volume **out_ret, size_t *n_ret)
{
	*lvm_ret = NULL;
	*out_ret = NULL;
	*n_ret = 0;
	struct native_lvm *l = calloc(1, sizeof(*l));
	struct found_pv *found = calloc(nvols ? nvols : 1, sizeof(*found));
	size_t nfound = 0;
	int r = l && found ? GUEST_OK : GUEST_E_NOMEM;
	for (size_t i = 0; i < nvols && r == GUEST_OK; i++) {
		if (strcmp(vols[i].fstype, "LVM2_member") != 0)
			continue;
		bool have;
		r = read_pv(l, img, &vols[i], &found[nfound], &have);
		nfound += have;
	}
	for (size_t g = 0; r == GUEST_OK && g < l->nvgs; g++) {
		struct lvm_vg *vg = l->vgs[g];
		for (size_t p = 0; p < vg->npvs; p++)
			for (size_t k = 0; k < nfound; k++) {
				if (strcmp(vg->pvs[p].uuid, found[k].uuid) != 0)
					continue;
				vg->pvs[p].found = true;
				vg->pvs[p].disk_start = found[k].start;
				vg->pvs[p].disk_size = found[k].size;
			}
		lvm_vg_check(vg);
	}
	free(found);
	if (r == GUEST_OK)
		r = add_lvs(l, img);
	if (r != GUEST_OK) {
		native_int_lvm_free(l);
		return GUEST_E_NOMEM;
	}
	*lvm_ret = l;
	*out_ret = l->out;
	*n_ret = l->nout;
	return GUEST_OK;
}

void native_int_lvm_free(struct native_lvm *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nout; i++)
		native_int_img_close(l->out[i].img, NULL, 0);
	for (size_t g = 0; g < l->nvgs; g++)
		lvm_vg_free(l->vgs[g]);
	free(l->vgs);
	free(l->out);
	free(l->maps);
	free(l);
}

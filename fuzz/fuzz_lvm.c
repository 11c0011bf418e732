/*
 * fuzz_lvm.c - LVM2 physical volumes and VG metadata text
 * (src/guest/lvm.c, lvm_config.c, lvm_vg.c) on arbitrary bytes.  The
 * first byte chooses what the rest is: even, the first bytes of a PV
 * (label, metadata area, text; the PV reads as zeroes beyond them, up to
 * 4 MiB); odd, a metadata text alone (what the CRCs keep a mutated PV
 * from reaching).
 *
 * Invariants: a parsed VG's LVs that lvm_vg_check() finds readable map
 * every byte asked (the first, the last, and a spread between) into
 * their PV's byte range on the disk, with a contiguous run of at least
 * one byte that does not pass the LV's end nor the PV's.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "guest/lvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PV_MAX (4u * 1024 * 1024)

struct pv {
	const uint8_t *p;
	size_t len;
};

/* The PV's bytes: the input, then zeroes up to PV_MAX. */
static int rd(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	const struct pv *d = ctx;
	if (off > PV_MAX || len > PV_MAX - off)
		return -1;
	for (size_t i = 0; i < len; i++)
		buf[i] = off + i < d->len ? d->p[off + i] : 0;
	return 0;
}

static void check_lv(const struct lvm_vg *vg, const struct lvm_lv *lv)
{
	uint64_t size = lvm_lv_size(vg, lv);
	if (size == 0)
		abort();
	for (unsigned k = 0; k <= 16; k++) {
		uint64_t off = k == 16 ? size - 1 : size / 16 * k + k;
		if (off >= size)
			continue;
		uint64_t at, run;
		if (lvm_lv_map(vg, lv, off, &at, &run) != LVM_OK)
			abort();
		if (run == 0 || run > size - off)
			abort();
		/* Inside one of the VG's PVs. */
		bool inside = false;
		for (size_t p = 0; p < vg->npvs && !inside; p++) {
			const struct lvm_pv *pv = &vg->pvs[p];
			inside = pv->found && at >= pv->disk_start &&
				 at - pv->disk_start < pv->disk_size &&
				 run <= pv->disk_size - (at - pv->disk_start);
		}
		if (!inside)
			abort();
	}
	uint64_t at, run;
	if (lvm_lv_map(vg, lv, size, &at, &run) == LVM_OK)
		abort();
}

static void check_text(const char *text, size_t len)
{
	char why[256];
	struct lvm_vg *vg;
	if (lvm_vg_parse(text, len, &vg, why, sizeof(why)) != LVM_OK)
		return;
	/* Every PV on the disk, one after another, 1 GiB each, the last
	 * one missing. */
	for (size_t p = 0; p < vg->npvs; p++) {
		vg->pvs[p].found = p + 1 < vg->npvs || vg->npvs == 1;
		vg->pvs[p].disk_start = (uint64_t)p << 30;
		vg->pvs[p].disk_size = 1u << 30;
	}
	lvm_vg_check(vg);
	for (size_t i = 0; i < vg->nlvs; i++)
		if (vg->lvs[i].readable)
			check_lv(vg, &vg->lvs[i]);
	lvm_vg_free(vg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		check_text((const char *)data + 1, size - 1);
		return 0;
	}
	struct pv d = { .p = data + 1, .len = size - 1 };
	struct lvm_label label;
	char *text = NULL, why[256];
	size_t len;
	if (lvm_pv_read(rd, &d, PV_MAX, &label, &text, &len, why,
			sizeof(why)) == LVM_OK &&
	    text != NULL) {
		if (strlen(text) != len)
			abort();
		check_text(text, len);
	}
	free(text);
	return 0;
}

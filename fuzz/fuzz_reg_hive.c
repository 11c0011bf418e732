/*
 * fuzz_reg_hive.c - the hive parsers: base block, hive bins and cells, the
 * structural check, both transaction-log formats and recovery, then
 * libhivex reading what the check let through.
 *
 * Input: a raw file, or a hive with its logs in a container:
 *
 *   "HVOREG1\n"                 8 bytes
 *   3 x u32 LE                  sizes of the hive, LOG1, LOG2
 *                               (0xffffffff: that log is absent)
 *   the three files back to back (cut short by the end of the input).
 *
 * A raw file is opened as a hive without logs and, when it starts with a
 * base block, also applied as the LOG1 of a small built-in dirty hive, so
 * that real logs listed in reg_hive.fixtures are fuzzed as logs too.
 *
 * Invariants (abort when broken):
 *   - a hive that opens can be walked through our API (and so libhivex);
 *   - a clean hive put through the commit fix-ups still passes the
 *     structural check;
 *   - that image rewritten (registry/compact.c: compacted, and with the
 *     cells of its second half moved into the free space of its first)
 *     passes it too, with as many keys and values;
 *   - the rewrite a write-back picks (reg_int_relayout_best) reads back
 *     through libhivex as the same tree (reg_int_same_tree: names,
 *     values, key flags, times, security descriptors and class names)
 *     whenever libhivex opens the input.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/internal.h"
#include "tests/registry/regtest.h"
#include "util/bytes.h"
#include "util/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Lists a key's values and subkeys, a few levels deep. */
static void walk(struct reg_hive *h, const char *key, unsigned depth)
{
	struct reg_value *vals;
	size_t nv;
	if (reg_list_values(h, key, &vals, &nv) == 0) {
		for (size_t i = 0; i < nv; i++) {
			char *s;
			char **strs;
			size_t n;
			if (reg_value_string(&vals[i], &s) == 0)
				free(s);
			if (reg_value_multi(&vals[i], &strs, &n) == 0)
				reg_names_free(strs, n);
			(void)reg_value_is_exact(&vals[i]);
		}
		reg_values_free(vals, nv);
	}
	char **kids;
	size_t nk;
	if (depth >= 3 || reg_list_subkeys(h, key, &kids, &nk) != 0)
		return;
	for (size_t i = 0; i < nk && i < 16; i++) {
		char *child;
		if (asprintf(&child, "%s%s%s", key, *key ? "\\" : "", kids[i]) <
		    0)
			abort();
		walk(h, child, depth + 1);
		free(child);
	}
	reg_names_free(kids, nk);
}

/* The structural check of an image and its counts; false if it fails. */
static bool counts_of(uint8_t *img, size_t len, struct reg_int_himg_stats *st)
{
	struct hive_image im;
	struct reg_err e = { 0 };
	bool ok = rt_himg_map(&im, img, len) == 0 &&
		  reg_int_himg_check(&im, NULL, st, &e) == 0;
	reg_int_himg_free(&im);
	return ok;
}

/* Whether libhivex opens @img on its own (side a of a read-back). */
static bool hivex_opens(const uint8_t *img, size_t len)
{
	int fd = reg_int_scratch_fd();
	if (fd < 0)
		return false;
	bool ok = false;
	if (hvo_int_pwrite_all(fd, img, len, 0) == 0) {
		char fdpath[64];
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		hive_h *hx = hivex_open(fdpath, 0);
		ok = hx != NULL;
		if (hx != NULL)
			hivex_close(hx);
	}
	close(fd);
	return ok;
}

static void check_relayout(uint8_t *img, size_t len)
{
	struct reg_int_himg_stats want, got;
	if (!counts_of(img, len, &want))
		return;
	uint32_t keeps[2] = { 0, get_le32(img + RB_HBINS_SIZE) / 2 };
	for (int i = 0; i < 2; i++) {
		uint8_t *out;
		size_t olen;
		struct reg_err e = { 0 };
		if (reg_int_relayout_image(img, len, keeps[i], &out, &olen,
					   &e) != 0)
			continue; /* refused (too big) is allowed */
		if (!counts_of(out, olen, &got) || got.nkeys != want.nkeys ||
		    got.nvalues != want.nvalues)
			abort(); /* the rewrite broke a valid hive */
		free(out);
	}
	/* A write-back's choice: whatever it keeps reads back as the hive
	 * through libhivex.  Libhivex refusing the input is not ours; once
	 * it opens the input, only "a part of the input is unreadable"
	 * (REG_ERR_HIVEX) may stop the judgement: a rewrite libhivex
	 * refuses, or that reads back otherwise, or any other failure, is a
	 * bug. */
	bool judged = hivex_opens(img, len);
	for (int i = 0; i < 2; i++) {
		uint8_t *out;
		size_t olen;
		struct reg_err e = { 0 };
		struct reg_relayout_choice ch = { .want_pack = i == 1 };
		if (reg_int_relayout_best(img, len, keeps[1], &ch, &out, &olen,
					  &e) != 0 ||
		    out == NULL)
			continue;
		char why[256];
		if (!counts_of(out, olen, &got) || got.nkeys != want.nkeys)
			abort();
		int rc = judged ? reg_int_same_tree(img, len, out, olen, why,
						    sizeof(why))
				: 0;
		if (rc != 0 && rc != REG_ERR_HIVEX)
			abort();
		free(out);
	}
}

static void check_fixups(struct reg_hive *h)
{
	size_t len = h->image_len;
	uint8_t *copy = malloc(len);
	if (copy == NULL)
		abort();
	memcpy(copy, h->image, len);
	struct reg_err e = { 0 };
	if (reg_int_fixup_image(h, &copy, &len, 7, &e) == 0) {
		struct hive_image im;
		struct reg_err e2 = { 0 };
		struct reg_int_himg_stats st;
		if (rt_himg_map(&im, copy, len) != 0 ||
		    reg_int_himg_check(&im, NULL, &st, &e2) ||
		    st.single_cell_big != 0)
			abort(); /* the fix-ups broke a valid hive */
		reg_int_himg_free(&im);
		check_relayout(copy, len);
	}
	free(copy);
}

static void run(const struct reg_int_mem_input *in)
{
	struct reg_hive *h;
	if (reg_int_open_mem(in, 0, &h) == 0) {
		walk(h, "", 0);
		if (reg_get_info(h)->state == REG_STATE_CLEAN)
			check_fixups(h);
	}
	reg_close(h);
}

static uint32_t take(const uint8_t **p, size_t *left, uint32_t want,
		     const uint8_t **out)
{
	*out = NULL;
	if (want == UINT32_MAX)
		return 0;
	uint32_t n = want < *left ? want : (uint32_t)*left;
	*out = *p;
	*p += n;
	*left -= n;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reg_int_mem_input in = { 0 };
	if (size >= 20 && memcmp(data, "HVOREG1\n", 8) == 0) {
		const uint8_t *p = data + 20;
		size_t left = size - 20;
		const uint8_t *files[3];
		uint32_t lens[3];
		for (int i = 0; i < 3; i++)
			lens[i] = take(&p, &left, get_le32(data + 8 + 4 * i),
				       &files[i]);
		in.hive = files[0] ? files[0] : (const uint8_t *)"";
		in.len = lens[0];
		for (int i = 1; i < 3; i++) {
			in.log[i] = files[i];
			in.loglen[i] = lens[i];
		}
		run(&in);
		return 0;
	}
	in.hive = data;
	in.len = size;
	run(&in);
	if (size >= 512 && memcmp(data, "regf", 4) == 0) {
		/* As the LOG1 of a built-in dirty hive (2/1). */
		static uint8_t hive[RT_HIVE_SIZE];
		rt_build_hive(hive, 2, 1, 5);
		struct reg_int_mem_input dirty = { .hive = hive,
						   .len = sizeof(hive) };
		dirty.log[1] = data;
		dirty.loglen[1] = size;
		run(&dirty);
	}
	return 0;
}

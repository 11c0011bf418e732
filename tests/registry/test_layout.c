/*
 * test_layout.c - hive rewrites (registry/compact.c, layout.c) on every
 * real hive among the fixtures (issue 19):
 *
 *   - compaction: the image rebuilt from the tree is no larger than the
 *     hive, exports (reg_export) byte for byte as it, and hivexregedit (an
 *     independent reader) exports the same keys, values, class names and
 *     security descriptors (hivexsh) from both;
 *   - the Windows-side invariants of every rewritten image, checked here
 *     with our own loop, not the library's check: the base block signature
 *     and checksum, hive bins that tile the bins data (offset field = place,
 *     size a multiple of 4096), cells that tile each bin (8-byte sizes,
 *     8-byte aligned), every offset reached from the root an allocated
 *     cell, and the security records one ring (flink/blink agree) holding
 *     exactly the records keys use, each with the count of its keys;
 *   - write-backs of values set on the real Windows 7 SYSTEM hive
 *     (libhivex rewrites each touched key's values and appends them):
 *     the first lays the packed Windows hive out afresh, the second
 *     reuses the space libhivex freed; each grows the hive by less than
 *     the data added plus 10%.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "registry/internal.h"
#include "tests/lib/hvotest.h"
#include "tests/registry/regtest.h"
#include "util/bytes.h"
#include "util/sha256.h"

#define SK_FLINK    4
#define SK_BLINK    8
#define SK_REFCOUNT 12

/* ---- The invariants, read with our own loop ---- */

struct inv {
	const uint8_t *bins;
	uint32_t hbs;
	uint8_t *alloc; /* one byte per 8-byte unit: 1 allocated cell start */
	uint32_t *sk_users; /* per 8-byte unit: keys using the sk there */
	size_t nkeys;
	/* Key names, class names and security descriptors in tree order. */
	struct hvo_sha256 meta;
};

/* The data of the allocated cell at @off, its data size in *size. */
static const uint8_t *inv_cell(struct inv *v, uint32_t off, uint32_t *size)
{
	if (off % 8 != 0 || off >= v->hbs || !v->alloc[off / 8])
		fail_msg("offset 0x%x is not an allocated cell", off);
	*size = (uint32_t) - (int32_t)get_le32(v->bins + off) - 4;
	return v->bins + off + 4;
}

static void inv_key(struct inv *v, uint32_t nk, unsigned depth);

static void inv_list(struct inv *v, uint32_t off, unsigned depth)
{
	uint32_t size;
	const uint8_t *l = inv_cell(v, off, &size);
	uint16_t n = get_le16(l + LIST_COUNT);
	if (memcmp(l, "ri", 2) == 0) {
		for (uint16_t i = 0; i < n; i++)
			inv_list(v, get_le32(l + 4 + 4 * i), depth);
		return;
	}
	unsigned step = memcmp(l, "li", 2) == 0 ? 4 : 8;
	assert_true(4 + (size_t)n * step <= size);
	for (uint16_t i = 0; i < n; i++)
		inv_key(v, get_le32(l + 4 + i * step), depth + 1);
}

static void inv_key(struct inv *v, uint32_t nk, unsigned depth)
{
	assert_true(depth < 600);
	uint32_t size;
	const uint8_t *k = inv_cell(v, nk, &size);
	assert_memory_equal(k, "nk", 2);
	v->nkeys++;
	uint32_t sk = get_le32(k + NK_SECURITY);
	const uint8_t *s = inv_cell(v, sk, &size);
	assert_memory_equal(s, "sk", 2);
	v->sk_users[sk / 8]++;
	uint32_t sdlen = get_le32(s + 16);
	assert_true(20 + (uint64_t)sdlen <= size);
	uint16_t nlen = get_le16(k + NK_NAME_LEN);
	hvo_int_sha256_update(&v->meta, k + NK_NAME, nlen);
	hvo_int_sha256_update(&v->meta, s + 20, sdlen);
	uint16_t clen = get_le16(k + NK_CLASS_LEN);
	if (clen > 0) {
		const uint8_t *cl = inv_cell(v, get_le32(k + NK_CLASS), &size);
		assert_true(clen <= size);
		hvo_int_sha256_update(&v->meta, cl, clen);
	}
	hvo_int_sha256_update(&v->meta, "|", 1);
	uint32_t nval = get_le32(k + NK_NVALUES);
	if (nval > 0) {
		const uint8_t *vl = inv_cell(v, get_le32(k + NK_VALUES), &size);
		assert_true((uint64_t)nval * 4 <= size);
		for (uint32_t i = 0; i < nval; i++) {
			const uint8_t *vk =
				inv_cell(v, get_le32(vl + 4 * i), &size);
			assert_memory_equal(vk, "vk", 2);
			uint32_t ds = get_le32(vk + VK_DATA_SIZE);
			if (!(ds & VK_SIZE_INLINE) && ds > 0)
				inv_cell(v, get_le32(vk + VK_DATA), &size);
		}
	}
	if (get_le32(k + NK_NSUBKEYS) > 0)
		inv_list(v, get_le32(k + NK_SUBKEYS), depth);
}

/* Checks the Windows-side invariants of the hive file image @img; the
 * digest of its key names, class names and descriptors into @meta.  A
 * file we wrote ends with its bins (@exact); Windows' may have slack. */
static void check_invariants(const uint8_t *img, size_t len, bool exact,
			     char meta[65])
{
	assert_true(len >= 8192);
	assert_memory_equal(img, "regf", 4);
	uint32_t x = 0;
	for (int i = 0; i < 508; i += 4)
		x ^= get_le32(img + i);
	if (x == 0)
		x = 1;
	else if (x == 0xffffffffu)
		x = 0xfffffffe;
	assert_int_equal(get_le32(img + RB_CHECKSUM), x);
	struct inv v = { .bins = img + 4096, .hbs = get_le32(img + 40) };
	if (exact)
		assert_int_equal((size_t)v.hbs + 4096, len);
	else
		assert_true((size_t)v.hbs + 4096 <= len);
	v.alloc = calloc(v.hbs / 8, 1);
	v.sk_users = calloc(v.hbs / 8, sizeof(uint32_t));
	assert_non_null(v.alloc);
	assert_non_null(v.sk_users);
	uint32_t pos = 0;
	while (pos < v.hbs) {
		const uint8_t *b = v.bins + pos;
		assert_memory_equal(b, "hbin", 4);
		assert_int_equal(get_le32(b + HB_OFFSET), pos);
		uint32_t bs = get_le32(b + HB_SIZE);
		assert_true(bs >= 4096 && bs % 4096 == 0 && bs <= v.hbs - pos);
		uint32_t c = pos + 32;
		while (c < pos + bs) {
			int32_t raw = (int32_t)get_le32(v.bins + c);
			uint32_t sz = raw < 0 ? (uint32_t)-raw : (uint32_t)raw;
			assert_true(c % 8 == 0 && sz >= 8 && sz % 8 == 0 &&
				    sz <= pos + bs - c);
			if (raw < 0)
				v.alloc[c / 8] = 1;
			c += sz;
		}
		pos += bs;
	}
	uint32_t root = get_le32(img + RB_ROOT);
	hvo_int_sha256_init(&v.meta);
	inv_key(&v, root, 0);
	uint8_t d[HVO_SHA256_LEN];
	hvo_int_sha256_final(&v.meta, d);
	hvo_int_sha256_hex(d, meta);
	/* The sk ring, from the root key's record. */
	uint32_t size;
	const uint8_t *rk = inv_cell(&v, root, &size);
	uint32_t first = get_le32(rk + NK_SECURITY), cur = first;
	size_t in_ring = 0, used = 0;
	for (uint32_t u = 0; u < v.hbs / 8; u++)
		used += v.sk_users[u] > 0;
	do {
		const uint8_t *s = inv_cell(&v, cur, &size);
		assert_memory_equal(s, "sk", 2);
		if (v.sk_users[cur / 8] == 0)
			fail_msg("sk 0x%x in the ring is used by no key", cur);
		assert_int_equal(get_le32(s + SK_REFCOUNT),
				 v.sk_users[cur / 8]);
		uint32_t next = get_le32(s + SK_FLINK);
		const uint8_t *n = inv_cell(&v, next, &size);
		assert_int_equal(get_le32(n + SK_BLINK), cur);
		cur = next;
		assert_true(++in_ring <= used);
	} while (cur != first);
	assert_int_equal(in_ring, used);
	free(v.alloc);
	free(v.sk_users);
}

/* ---- Compaction of every real hive ---- */

/* The .reg export of an image (NULL when a name cannot be written in a
 * .reg file, as in yarp's BogusKeyNamesHive: hivexregedit and the walk
 * of check_invariants() judge those). */
static char *export_of(const uint8_t *img, size_t len)
{
	struct reg_hive *h;
	assert_int_equal(
		reg_int_open_mem(
			&(struct reg_int_mem_input){ .hive = img, .len = len },
			0, &h),
		0);
	char *text = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	assert_non_null(f);
	int rc = reg_export(h, "", "HKEY_LOCAL_MACHINE\\H", REG_EXPORT_UTF8, f);
	fclose(f);
	reg_close(h);
	if (rc != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* What hivexregedit (not our code) reads from @path: every key and
 * value, as a digest. */
static char *oracle_of(const char *path)
{
	char cmd[1024], *out = NULL;
	snprintf(cmd, sizeof(cmd),
		 "hivexregedit --export '%s' '\\' | sha256sum", path);
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	return out;
}

/* Compacts the fixture @rel (xz-compressed when @xz) in memory and judges
 * the result; dirty hives are skipped (they are rewritten after
 * recovery, tests/registry/test_recover_real). */
static void compact_one(const char *rel, bool xz)
{
	char *path = xz ? rt_unxz_fixture(rel, rt_tmpdir, "h.orig")
			: rt_copy_fixture(rel, rt_tmpdir, "h.orig");
	size_t len;
	uint8_t *img = hvo_test_read_file(path, &len);
	struct regf_base b;
	reg_int_regf_base_decode(img, &b);
	if (b.seq1 != b.seq2 || !b.checksum_ok) {
		/* Dirty hives are rewritten after recovery, elsewhere. */
		free(img);
		free(path);
		return;
	}
	uint8_t *out;
	size_t olen;
	struct reg_err e = { 0 };
	int rc = reg_int_compact_image(img, len, &out, &olen, &e);
	if (rc)
		fail_msg("%s: %s", rel, e.msg);
	char meta_old[65], meta_new[65];
	check_invariants(out, olen, true, meta_new);
	/* The same walk on the original (Windows' own counts and ring). */
	check_invariants(img, len, false, meta_old);
	assert_string_equal(meta_old, meta_new);
	print_message("%s: %zu -> %zu bytes\n", rel, len, olen);
	if (olen > len)
		fail_msg("%s: compaction grew it: %zu -> %zu", rel, len, olen);
	char *a = export_of(img, len), *c = export_of(out, olen);
	assert_true((a == NULL) == (c == NULL));
	if (a != NULL)
		assert_string_equal(a, c);
	free(a);
	free(c);
	char *opath = rt_write(rt_tmpdir, "h.compact", out, olen);
	char *oa = oracle_of(path), *oc = oracle_of(opath);
	assert_string_equal(oa, oc);
	free(oa);
	free(oc);
	free(opath);
	free(out);
	free(img);
	free(path);
}

static void test_compact_real(void **state)
{
	(void)state;
	if (!hvo_test_have_program("hivexregedit") ||
	    !hvo_test_have_program("xz"))
		skip();
	static const char *const plain[] = {
		"hive/hivex/minimal",
		"hive/hivex/special",
		"hive/hivex/rlenvalue_test_hive",
		"hive/yarp/BigDataHive",
		"hive/yarp/BogusKeyNamesHive",
		"hive/yarp/EmptyHive",
		"hive/yarp/ExtendedASCIIHive",
		"hive/yarp/ManySubkeysHive",
		"hive/yarp/MultiSzHive",
		"hive/yarp/NewFlagsHive",
		"hive/yarp/StringValuesHive",
		"hive/yarp/UnicodeHive",
		"hive/yarp/UpcaseHive",
		"hive/yarp/NewDirtyHive1/RecoveredHive_Windows10",
		"hive/yarp/OldDirtyHive/RecoveredHive_Windows7",
	};
	static const char *const xz[] = {
		"hive/regipy/SYSTEM.xz",
		"hive/regipy/NTUSER.DAT.xz",
		"hive/regipy/SAM.xz",
		"hive/regipy/SECURITY.xz",
		"hive/regipy/BCD.xz",
		"hive/regipy/SYSTEM_B.xz",
		"hive/regipy/ntuser_software_partial.xz",
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		compact_one(plain[i], false);
	for (size_t i = 0; i < sizeof(xz) / sizeof(xz[0]); i++)
		compact_one(xz[i], true);
}

/* ---- Reuse: a write-back grows the hive by what it adds ---- */

/* One value more (named @name, 400 bytes) in each of 40 services with 4
 * values or more: libhivex rewrites every value of those keys.  The
 * registry data added (UTF-16 name and data), as the apply test counts
 * it. */
static size_t add_values(struct reg_hive *h, const char *name, char first[512])
{
	char **subs = NULL;
	size_t nsubs = 0, added = 0, done = 0;
	const char *svc = "ControlSet001\\Services";
	char text[200];
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(reg_list_subkeys(h, svc, &subs, &nsubs), 0);
	for (size_t i = 0; i < nsubs && done < 40; i++) {
		char key[512];
		snprintf(key, sizeof(key), "%s\\%s", svc, subs[i]);
		struct reg_value *vals = NULL;
		size_t nv = 0;
		assert_int_equal(reg_list_values(h, key, &vals, &nv), 0);
		reg_values_free(vals, nv);
		if (nv < 4)
			continue;
		assert_int_equal(
			reg_set_string(h, key, name, REG_TYPE_SZ, text), 0);
		added += 2 * strlen(name) + 2 * (strlen(text) + 1);
		if (done++ == 0)
			snprintf(first, 512, "%s", key);
	}
	reg_names_free(subs, nsubs);
	assert_int_equal(done, 40);
	return added;
}

/*
 * The real Windows 7 SYSTEM hive, packed by Windows into 4 KiB bins with
 * 4.6 KB free: the first write-back lays it out afresh (16 KiB bins save
 * a header per page, more than the edit adds); the second one, on that
 * layout, reuses the space libhivex freed.  Each grows the hive by less
 * than the data added plus 10% (the data is above one 4 KiB page, the
 * unit a hive grows by; 400 bytes a value keep the vk record, cell
 * headers and value list entry, ~40 bytes, within the 10%).
 */
static void test_reuse_win7(void **state)
{
	(void)state;
	if (!hvo_test_have_program("hivexsh") || !hvo_test_have_program("xz"))
		skip();
	char *path =
		rt_unxz_fixture("hive/regipy/SYSTEM.xz", rt_tmpdir, "SYSTEM");
	char first[512] = "";
	for (int round = 0; round < 2; round++) {
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		off_t before = st.st_size;
		struct reg_hive *h = rt_open_rw(path);
		size_t added = add_values(
			h, round ? "HvoLayout2" : "HvoLayout1", first);
		if (reg_commit(h) != 0)
			fail_msg("commit: %s", reg_errmsg(h));
		bool compacted = reg_was_compacted(h);
		reg_close(h);
		assert_int_equal(stat(path, &st), 0);
		long grew = (long)(st.st_size - before);
		print_message("write-back %d (%s): %ld -> %ld bytes (%+ld) "
			      "for %zu bytes of data\n",
			      round + 1, compacted ? "compacted" : "reused",
			      (long)before, (long)st.st_size, grew, added);
		assert_int_equal(compacted, round == 0);
		if (grew > 0 && (size_t)grew >= added + added / 10)
			fail_msg("grew by %ld for %zu bytes of data", grew,
				 added);
		size_t len;
		uint8_t *img = hvo_test_read_file(path, &len);
		char meta[65];
		check_invariants(img, len, true, meta);
		free(img);
	}
	/* hivexsh reads both values back, and the Start value beside. */
	char script[600];
	snprintf(script, sizeof(script), "cd %s\nlsval", first);
	char *out = rt_hivexsh(path, script);
	assert_non_null(strstr(out, "\"HvoLayout1\"=\"xxxx"));
	assert_non_null(strstr(out, "\"HvoLayout2\"=\"xxxx"));
	assert_non_null(strstr(out, "\"Start\"=dword:"));
	free(out);
	free(path);
}

/* ---- Read-back: the side-by-side walk a write-back checks with ---- */

static char *tmp_path(const char *name)
{
	char *p;
	assert_true(asprintf(&p, "%s/%s", rt_tmpdir, name) > 0);
	return p;
}

/* @path's image after @edit (a reg_set_* or reg_create_key on a fresh
 * handle), committed to @out (caller frees the image). */
static uint8_t *edited(const char *path, const char *out, int what, size_t *len)
{
	struct reg_hive *h = rt_open_rw(path);
	int rc = what == 0   ? reg_set_string(h, "Key1", "HvoRb", REG_TYPE_SZ,
					      "HvoReadbackMarkeR")
		 : what == 1 ? reg_set_string(h, "Key1", "HvoRb",
					      REG_TYPE_EXPAND_SZ,
					      "HvoReadbackMarkeR")
			     : reg_create_key(h, "Key1\\HvoRbKey");
	assert_int_equal(rc, 0);
	if (reg_commit_to(h, out) != 0)
		fail_msg("commit: %s", reg_errmsg(h));
	reg_close(h);
	return hvo_test_read_file(out, len);
}

/*
 * reg_int_same_tree() (readback.c), which replaced the two .reg exports
 * of every rewrite: a compaction reads back as its source; a value whose
 * data, type or name differs, a subkey more, and one flipped byte in a
 * value's data inside the compacted image (what a layout bug would do)
 * each read back as a difference.
 */
static void test_same_tree(void **state)
{
	(void)state;
	char *src =
		rt_copy_fixture("hive/yarp/NewFlagsHive", rt_tmpdir, "RbSrc");
	struct reg_hive *h = rt_open_rw(src);
	assert_int_equal(reg_create_key(h, "Key1"), 0);
	assert_int_equal(reg_commit(h), 0);
	reg_close(h);
	size_t len, sl, tl, kl;
	uint8_t *base = hvo_test_read_file(src, &len);
	char *p1 = tmp_path("RbSet");
	char *p2 = tmp_path("RbType");
	char *p3 = tmp_path("RbKey");
	uint8_t *set = edited(src, p1, 0, &sl);
	uint8_t *typ = edited(src, p2, 1, &tl);
	uint8_t *key = edited(src, p3, 2, &kl);
	char why[256];
	assert_int_equal(
		reg_int_same_tree(base, len, base, len, why, sizeof(why)), 0);
	assert_int_equal(
		reg_int_same_tree(base, len, set, sl, why, sizeof(why)),
		REG_ERR_VERIFY);
	print_message("value added: %s\n", why);
	assert_non_null(strstr(why, "number of values"));
	assert_int_equal(reg_int_same_tree(set, sl, typ, tl, why, sizeof(why)),
			 REG_ERR_VERIFY);
	print_message("type changed: %s\n", why);
	assert_non_null(strstr(why, "type or data"));
	assert_int_equal(
		reg_int_same_tree(base, len, key, kl, why, sizeof(why)),
		REG_ERR_VERIFY);
	print_message("subkey added: %s\n", why);
	assert_non_null(strstr(why, "number of subkeys"));
	/* A compaction of the edited hive reads back as it... */
	uint8_t *c;
	size_t cl;
	struct reg_err e = { 0 };
	if (reg_int_compact_image(set, sl, &c, &cl, &e) != 0)
		fail_msg("compact: %s", e.msg);
	assert_int_equal(reg_int_same_tree(set, sl, c, cl, why, sizeof(why)),
			 0);
	/* ...and not with one byte of the value's data changed. */
	static const char marker[] = "M\0a\0r\0k\0e\0R";
	uint8_t *m = memmem(c, cl, marker, sizeof(marker) - 1);
	assert_non_null(m);
	assert_null(memmem(m + 1, cl - (size_t)(m + 1 - c), marker,
			   sizeof(marker) - 1));
	m[10] = 'r';
	assert_int_equal(reg_int_same_tree(set, sl, c, cl, why, sizeof(why)),
			 REG_ERR_VERIFY);
	print_message("one data byte flipped: %s\n", why);
	assert_non_null(strstr(why, "type or data"));
	free(c);
	free(base);
	free(set);
	free(typ);
	free(key);
	free(p1);
	free(p2);
	free(p3);
	free(src);
}

/* ---- Read-back of what libhivex does not show, on NTUSER.DAT ----
 *
 * Each case changes bytes of the real hive (regipy NTUSER.DAT) that
 * libhivex reads through but the old comparison did not look at; each
 * read back as the same tree before readback.c read the key cells.
 */

/* The key handles the cases below change bytes of: hivex's handle is the
 * nk cell's offset from the start of the file (checked on the root). */
struct nt {
	char *path;
	uint8_t *img;
	size_t len;
	hive_node_h root, child, cls;
};

static hive_node_h first_with_class(hive_h *hx, const uint8_t *img,
				    hive_node_h n, unsigned depth)
{
	assert_true(depth < 600);
	assert_memory_equal(img + n + 4, "nk", 2);
	if (get_le16(img + n + 4 + NK_CLASS_LEN) > 0)
		return n;
	hive_node_h *c = hivex_node_children(hx, n);
	assert_non_null(c);
	hive_node_h found = 0;
	for (size_t i = 0; c[i] != 0 && found == 0; i++)
		found = first_with_class(hx, img, c[i], depth + 1);
	free(c);
	return found;
}

static void nt_load(struct nt *t)
{
	if (!hvo_test_have_program("xz"))
		skip();
	t->path =
		rt_unxz_fixture("hive/regipy/NTUSER.DAT.xz", rt_tmpdir, "RbNt");
	t->img = hvo_test_read_file(t->path, &t->len);
	hive_h *hx = hivex_open(t->path, 0);
	assert_non_null(hx);
	struct regf_base b;
	reg_int_regf_base_decode(t->img, &b);
	t->root = hivex_root(hx);
	assert_int_equal(t->root, (hive_node_h)REGF_BASE_SIZE + b.root);
	hive_node_h *c = hivex_node_children(hx, t->root);
	assert_non_null(c);
	t->child = 0;
	for (size_t i = 0; c[i] != 0 && t->child == 0; i++) {
		const uint8_t *k = t->img + c[i] + 4;
		if ((get_le16(k + NK_FLAGS) & NK_FLAG_COMP) &&
		    get_le16(k + NK_NAME_LEN) >= 3)
			t->child = c[i];
	}
	free(c);
	assert_true(t->child != 0);
	t->cls = first_with_class(hx, t->img, t->root, 0);
	assert_true(t->cls != 0);
	hivex_close(hx);
	char why[256];
	assert_int_equal(reg_int_same_tree(t->img, t->len, t->img, t->len, why,
					   sizeof(why)),
			 0);
}

static uint8_t *nt_copy(const struct nt *t)
{
	uint8_t *c = malloc(t->len);
	assert_non_null(c);
	memcpy(c, t->img, t->len);
	return c;
}

static void nt_free(struct nt *t)
{
	free(t->img);
	free(t->path);
}

/* Compares @a with @b: a difference whose message holds @want, or @rc. */
static void expect_diff(const struct nt *t, const uint8_t *a, const uint8_t *b,
			int rc, const char *want)
{
	char why[256] = "";
	assert_int_equal(
		reg_int_same_tree(a, t->len, b, t->len, why, sizeof(why)), rc);
	print_message("%s: %s\n", want, why);
	assert_non_null(strstr(why, want));
}

/* A compaction of NTUSER.DAT (22 security records, 15 class names) reads
 * back as it, and a key pointed at another security record does not. */
static void test_same_tree_sk(void **state)
{
	(void)state;
	struct nt t;
	nt_load(&t);
	uint8_t *c;
	size_t cl;
	struct reg_err e = { 0 };
	if (reg_int_compact_image(t.img, t.len, &c, &cl, &e) != 0)
		fail_msg("compact: %s", e.msg);
	char why[256];
	assert_int_equal(
		reg_int_same_tree(t.img, t.len, c, cl, why, sizeof(why)), 0);
	free(c);
	uint8_t *b = nt_copy(&t);
	uint8_t *k = b + t.child + 4;
	uint32_t sk0 = get_le32(k + NK_SECURITY);
	const uint8_t *s0 = b + REGF_BASE_SIZE + sk0 + 4;
	uint32_t other = get_le32(s0 + SK_FLINK);
	for (int n = 0; other != sk0 && n < 100; n++) {
		const uint8_t *s = b + REGF_BASE_SIZE + other + 4;
		assert_memory_equal(s, "sk", 2);
		if (get_le32(s + 16) != get_le32(s0 + 16) ||
		    memcmp(s + 20, s0 + 20, get_le32(s0 + 16)) != 0)
			break;
		other = get_le32(s + SK_FLINK);
	}
	assert_true(other != sk0);
	put_le32(k + NK_SECURITY, other);
	expect_diff(&t, t.img, b, REG_ERR_VERIFY,
		    "security descriptor differs");
	free(b);
	nt_free(&t);
}

/* KEY_SYM_LINK set on a key. */
static void test_same_tree_flags(void **state)
{
	(void)state;
	struct nt t;
	nt_load(&t);
	uint8_t *b = nt_copy(&t);
	uint8_t *k = b + t.child + 4;
	put_le16(k + NK_FLAGS, get_le16(k + NK_FLAGS) | 0x10);
	expect_diff(&t, t.img, b, REG_ERR_VERIFY, "flags differ");
	free(b);
	nt_free(&t);
}

/* Two key names equal up to an embedded NUL, then not. */
static void test_same_tree_name_nul(void **state)
{
	(void)state;
	struct nt t;
	nt_load(&t);
	uint8_t *a = nt_copy(&t);
	a[t.child + 4 + NK_NAME + 1] = 0;
	uint8_t *b = nt_copy(&t);
	memcpy(b, a, t.len);
	b[t.child + 4 + NK_NAME + 2] ^= 0x01;
	expect_diff(&t, a, b, REG_ERR_VERIFY, "the name differs");
	free(a);
	free(b);
	nt_free(&t);
}

/* One byte of a class name. */
static void test_same_tree_class(void **state)
{
	(void)state;
	struct nt t;
	nt_load(&t);
	uint8_t *b = nt_copy(&t);
	uint32_t cls = get_le32(b + t.cls + 4 + NK_CLASS);
	b[REGF_BASE_SIZE + cls + 4] ^= 0x01;
	expect_diff(&t, t.img, b, REG_ERR_VERIFY, "class name differs");
	free(b);
	nt_free(&t);
}

/* One byte of the root key's last-write time. */
static void test_same_tree_time(void **state)
{
	(void)state;
	struct nt t;
	nt_load(&t);
	uint8_t *b = nt_copy(&t);
	b[t.root + 4 + NK_TIMESTAMP] ^= 0x01;
	expect_diff(&t, t.img, b, REG_ERR_VERIFY, "last-write time differs");
	free(b);
	nt_free(&t);
}

/* A security offset past the image: a difference in the rewrite, nothing
 * to judge against in the hive as written. */
static void test_same_tree_bounds(void **state)
{
	(void)state;
	struct nt t;
	nt_load(&t);
	uint8_t *b = nt_copy(&t);
	put_le32(b + t.child + 4 + NK_SECURITY, 0x7ffffff0);
	expect_diff(&t, t.img, b, REG_ERR_VERIFY,
		    "security descriptor cannot be read");
	expect_diff(&t, b, t.img, REG_ERR_HIVEX,
		    "security descriptor cannot be read");
	memcpy(b, t.img, t.len);
	put_le16(b + t.cls + 4 + NK_CLASS_LEN, 0xffff);
	expect_diff(&t, t.img, b, REG_ERR_VERIFY, "class name cannot be read");
	free(b);
	nt_free(&t);
}

/*
 * A value of size 0 that is not inline but names a data cell (a fuzzed
 * hive, fuzz/corpus/reg_hive/regress-compact-empty-data-cell): libhivex reads it
 * only while that offset is an allocated cell, so the rewrite keeps the
 * cell and maps the offset.  Built byte by byte on the small test hive.
 */
static void test_compact_empty_data_cell(void **state)
{
	(void)state;
	uint8_t *h = calloc(1, RT_HIVE_SIZE);
	assert_non_null(h);
	rt_build_hive(h, 1, 1, 5);
	uint8_t *bin = h + REGF_BASE_SIZE;
	const uint32_t list = RT_FREE, vk = RT_FREE + 8, data = RT_FREE + 40;
	uint8_t *root = bin + RT_ROOT + 4;
	put_le32(root + NK_NVALUES, 1);
	put_le32(root + NK_VALUES, list);
	put_le32(bin + list, (uint32_t)-8);
	put_le32(bin + list + 4, vk);
	uint8_t *v = bin + vk + 4;
	put_le32(v - 4, (uint32_t)-32);
	memcpy(v + VK_SIG, "vk", 2);
	put_le16(v + VK_NAME_LEN, 1);
	put_le32(v + VK_DATA_SIZE, 0); /* empty, not inline */
	put_le32(v + VK_DATA, data);
	put_le32(v + VK_TYPE, 7); /* REG_MULTI_SZ */
	put_le16(v + VK_FLAGS, VK_FLAG_COMP);
	v[VK_NAME] = 'E';
	put_le32(bin + data, (uint32_t)-16);
	memcpy(bin + data + 4, "x\0y\0", 4);
	put_le32(bin + data + 16, 0x1000 - (data + 16)); /* free */
	char why[256];
	assert_int_equal(reg_int_same_tree(h, RT_HIVE_SIZE, h, RT_HIVE_SIZE,
					   why, sizeof(why)),
			 0);
	uint8_t *out;
	size_t olen;
	struct reg_err e = { 0 };
	if (reg_int_compact_image(h, RT_HIVE_SIZE, &out, &olen, &e) != 0)
		fail_msg("compact: %s", e.msg);
	if (reg_int_same_tree(h, RT_HIVE_SIZE, out, olen, why, sizeof(why)) !=
	    0)
		fail_msg("the compaction does not read back: %s", why);
	free(out);
	free(h);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact_real),
		cmocka_unit_test(test_reuse_win7),
		cmocka_unit_test(test_same_tree),
		cmocka_unit_test(test_same_tree_sk),
		cmocka_unit_test(test_same_tree_flags),
		cmocka_unit_test(test_same_tree_name_nul),
		cmocka_unit_test(test_same_tree_class),
		cmocka_unit_test(test_same_tree_time),
		cmocka_unit_test(test_same_tree_bounds),
		cmocka_unit_test(test_compact_empty_data_cell),
	};
	return cmocka_run_group_tests(tests, rt_setup, rt_teardown);
}

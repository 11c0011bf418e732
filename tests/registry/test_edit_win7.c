/*
 * test_edit_win7.c - keys and values on real Windows hives:
 *
 *   - our name comparison and lh hash reproduce what Windows stored in
 *     every subkey list of real SYSTEM and NTUSER hives, and non-ASCII
 *     key names we add get Windows' hash and position;
 *   - every value type set on the real Windows 7 SYSTEM hive reads back
 *     through hivexsh with its type, and a whole-hive export by
 *     hivexregedit before and after differs only in the keys we touched.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "registry/internal.h"
#include "tests/lib/hvotest.h"
#include "tests/registry/regtest.h"
#include "util/bytes.h"

static char *win7; /* Windows 7 SYSTEM, decompressed once */

static int setup(void **state)
{
	rt_setup(state);
	win7 = rt_unxz_fixture("hive/regipy/SYSTEM.xz", rt_tmpdir,
			       "SYSTEM.orig");
	return 0;
}

static int teardown(void **state)
{
	free(win7);
	return rt_teardown(state);
}

/* ---- Our name order and hash against what Windows stored ---- */

struct list_check {
	struct hive_image *im;
	size_t lists, entries, hashed;
};

static char *name_at(struct hive_image *im, uint32_t nk)
{
	uint32_t size;
	const uint8_t *k = reg_int_himg_cell(im, nk, &size);
	assert_non_null(k);
	return reg_int_himg_name_utf8(k + NK_NAME, get_le16(k + NK_NAME_LEN),
				      get_le16(k + NK_FLAGS) & NK_FLAG_COMP);
}

static void check_leaf(struct list_check *lc, const uint8_t *l, char **prev)
{
	bool lh = memcmp(l, "lh", 2) == 0;
	unsigned step = memcmp(l, "li", 2) == 0 ? 4 : 8;
	uint16_t n = get_le16(l + LIST_COUNT);
	for (uint16_t i = 0; i < n; i++) {
		char *name = name_at(lc->im, get_le32(l + 4 + i * step));
		if (lh) {
			uint32_t stored = get_le32(l + 4 + i * step + 4);
			if (stored != reg_int_name_hash(name))
				fail_msg("'%s': Windows' hash 0x%08x, ours "
					 "0x%08x",
					 name, stored, reg_int_name_hash(name));
			lc->hashed++;
		}
		if (*prev != NULL && reg_int_name_cmp(*prev, name) >= 0)
			fail_msg("'%s' before '%s' in a Windows list", *prev,
				 name);
		free(*prev);
		*prev = name;
		lc->entries++;
	}
}

static int check_key_lists(void *ctx, uint32_t nk, unsigned depth)
{
	(void)depth;
	struct list_check *lc = ctx;
	uint32_t size;
	const uint8_t *k = reg_int_himg_cell(lc->im, nk, &size);
	if (get_le32(k + NK_NSUBKEYS) == 0)
		return 0;
	const uint8_t *l =
		reg_int_himg_cell(lc->im, get_le32(k + NK_SUBKEYS), &size);
	char *prev = NULL;
	if (memcmp(l, "ri", 2) == 0) {
		for (uint16_t i = 0; i < get_le16(l + LIST_COUNT); i++) {
			uint32_t s2;
			check_leaf(lc,
				   reg_int_himg_cell(lc->im,
						     get_le32(l + 4 + 4 * i),
						     &s2),
				   &prev);
		}
	} else {
		check_leaf(lc, l, &prev);
	}
	free(prev);
	lc->lists++;
	return 0;
}

static void check_windows_lists(const char *path, size_t min_hashed)
{
	size_t len;
	uint8_t *buf = hvo_test_read_file(path, &len);
	struct hive_image im;
	assert_int_equal(rt_himg_map(&im, buf, len), 0);
	struct reg_err e = { 0 };
	struct list_check lc = { .im = &im };
	struct reg_int_himg_visitor vis = { .key = check_key_lists,
					    .ctx = &lc };
	assert_int_equal(reg_int_himg_check(&im, &vis, NULL, &e), 0);
	if (lc.hashed < min_hashed)
		fail_msg("%s: only %zu hashes checked", path, lc.hashed);
	reg_int_himg_free(&im);
	free(buf);
}

static void test_windows_order_and_hashes(void **state)
{
	(void)state;
	/* 30 000 keys of a real SYSTEM hive (lh lists, version 1.5). */
	check_windows_lists(win7, 20000);
	/* Non-ASCII names sorted by Windows (lf lists, version 1.3). */
	check_windows_lists(hvo_fixture("hive/yarp/UnicodeHive"), 0);
	check_windows_lists(hvo_fixture("hive/yarp/UpcaseHive"), 0);
	check_windows_lists(hvo_fixture("hive/yarp/ManySubkeysHive"), 0);
	char *nt =
		rt_unxz_fixture("hive/regipy/NTUSER.DAT.xz", rt_tmpdir, "NT");
	check_windows_lists(nt, 0);
	free(nt);
}

/* ---- Editing ---- */

static const char *const all_types_script = "cd ControlSet001\\Services\\"
					    "HvoTest\nlsval";

static void set_all_types(struct reg_hive *h, const char *key,
			  const uint8_t *big, size_t biglen)
{
	assert_int_equal(reg_set_string(h, key, "Sz", REG_TYPE_SZ,
					"Hyper-V \xc3\xbc\xe2\x84\xa2"),
			 0);
	assert_int_equal(reg_set_string(h, key, "ExpandSz", REG_TYPE_EXPAND_SZ,
					"%SystemRoot%\\system32\\x.sys"),
			 0);
	const char *m[] = { "a", "bb", "Ωmega" };
	assert_int_equal(reg_set_multi(h, key, "MultiSz", m, 3), 0);
	assert_int_equal(reg_set_dword(h, key, "Dword", 0x20), 0);
	assert_int_equal(reg_set_qword(h, key, "Qword", 0x123456789abcdef0ull),
			 0);
	assert_int_equal(reg_set_value(h, key, "Binary", REG_TYPE_BINARY,
				       "\x00\x01\xfe\xff", 4),
			 0);
	assert_int_equal(reg_set_value(h, key, "None", REG_TYPE_NONE, "", 0),
			 0);
	assert_int_equal(
		reg_set_value(h, key, "Big", REG_TYPE_BINARY, big, biglen), 0);
	assert_int_equal(reg_set_string(h, key, NULL, REG_TYPE_SZ, "default"),
			 0);
}

static char *hex_list(const uint8_t *d, size_t n)
{
	char *s = malloc(n * 3 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(s + o, "%s%02x", i ? "," : "", d[i]);
	s[o] = '\0';
	return s;
}

/* A .reg text split into sections: "[key]" line -> section text. */
struct sections {
	char **names, **bodies;
	size_t n;
};

/* The next "\n[" at or after @p (a manual scan: ASan's strstr measures
 * the whole rest of an 18 MB string on every call). */
static char *next_section(char *p)
{
	for (; *p; p++)
		if (p[0] == '\n' && p[1] == '[')
			return p;
	return NULL;
}

static void split_sections(char *text, struct sections *s)
{
	memset(s, 0, sizeof(*s));
	size_t cap = 0;
	char *p = text;
	while ((p = next_section(p)) != NULL) {
		p++;
		char *end = next_section(p);
		char *nl = strchr(p, '\n');
		if (s->n == cap) {
			cap = cap ? cap * 2 : 1024;
			s->names = realloc(s->names, cap * sizeof(char *));
			s->bodies = realloc(s->bodies, cap * sizeof(char *));
		}
		s->names[s->n] = strndup(p, (size_t)(nl - p));
		s->bodies[s->n] =
			end ? strndup(p, (size_t)(end - p + 1)) : strdup(p);
		s->n++;
		if (end == NULL)
			break;
		p = end;
	}
}

static void free_sections(struct sections *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->names[i]);
		free(s->bodies[i]);
	}
	free(s->names);
	free(s->bodies);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* Sorts the sections by name (bodies follow) for bsearch. */
static void sort_sections(struct sections *s)
{
	char ***idx = malloc(s->n * sizeof(*idx));
	for (size_t i = 0; i < s->n; i++)
		idx[i] = &s->names[i];
	qsort(idx, s->n, sizeof(*idx), cmp_names);
	char **names = malloc(s->n * sizeof(char *));
	char **bodies = malloc(s->n * sizeof(char *));
	for (size_t i = 0; i < s->n; i++) {
		size_t k = (size_t)(idx[i] - s->names);
		names[i] = s->names[k];
		bodies[i] = s->bodies[k];
	}
	free(idx);
	free(s->names);
	free(s->bodies);
	s->names = names;
	s->bodies = bodies;
}

/* The section named @name, compared case-insensitively (the Windows 7
 * hive spells "services" in lower case). */
static const char *section(const struct sections *s, const char *name)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->names[mid], name);
		if (c == 0)
			return s->bodies[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < s->n; i++)
		if (strcasecmp(s->names[i], name) == 0)
			return s->bodies[i];
	return NULL;
}

static char *hivexregedit_export(const char *hive)
{
	char *cmd, *out;
	assert_true(asprintf(&cmd,
			     "hivexregedit --export --prefix 'HKLM\\SYSTEM' "
			     "'%s' '\\'",
			     hive) > 0);
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	free(cmd);
	return out;
}

static void test_win7_all_types(void **state)
{
	(void)state;
	char *path = rt_copy_file(win7, rt_tmpdir, "SYSTEM");
	char *before = hivexregedit_export(path);
	static uint8_t big[40000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);

	struct reg_hive *h = rt_open_rw(path);
	const char *key = "ControlSet001\\Services\\HvoTest";
	set_all_types(h, key, big, sizeof(big));
	/* An existing value, named in another case: keeps its spelling. */
	assert_int_equal(
		reg_set_dword(h, "controlset001\\services\\VMBUS", "start", 3),
		0);
	assert_int_equal(reg_delete_value(h, "ControlSet001\\Services\\storvsc",
					  "driverpackageid"),
			 0);
	assert_int_equal(reg_delete_key(h, "ControlSet001\\Services\\VMTools"),
			 0);
	assert_int_equal(reg_commit(h), 0);
	reg_close(h);

	/* hivexsh, an independent reader, sees every value with its type. */
	char *out = rt_hivexsh(path, all_types_script);
	char *bighex = hex_list(big, sizeof(big));
	char *expect[] = {
		"\"Sz\"=\"Hyper-V \xc3\xbc\xe2\x84\xa2\"",
		"\"ExpandSz\"=str(2):\"%SystemRoot%\\\\system32\\\\x.sys\"",
		"\"MultiSz\"=hex(7):61,00,00,00,62,00,62,00,00,00,a9,03,6d,00,"
		"65,00,67,00,61,00,00,00,00,00",
		"\"Dword\"=dword:00000020",
		"\"Qword\"=hex(11):f0,de,bc,9a,78,56,34,12",
		"\"Binary\"=hex(3):00,01,fe,ff",
		"\"None\"=hex(0):",
		NULL,
		"\"@\"=\"default\"",
	};
	char *bigline;
	assert_true(asprintf(&bigline, "\"Big\"=hex(3):%s", bighex) > 0);
	expect[7] = bigline;
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (strstr(out, expect[i]) == NULL)
			fail_msg("hivexsh does not show %.80s", expect[i]);
	free(out);
	free(bighex);
	free(bigline);

	/* A whole-hive export differs only in the keys we touched. */
	char *after = hivexregedit_export(path);
	struct sections sb, sa;
	split_sections(before, &sb);
	split_sections(after, &sa);
	sort_sections(&sb);
	sort_sections(&sa);
	assert_true(sb.n > 30000);
	const char *vmbus = "[HKLM\\SYSTEM\\ControlSet001\\Services\\vmbus]";
	const char *storvsc =
		"[HKLM\\SYSTEM\\ControlSet001\\Services\\storvsc]";
	const char *vmtools =
		"[HKLM\\SYSTEM\\ControlSet001\\Services\\VMTools]";
	const char *test = "[HKLM\\SYSTEM\\ControlSet001\\Services\\HvoTest]";
	size_t same = 0;
	for (size_t i = 0; i < sb.n; i++) {
		const char *n = sb.names[i];
		if (!strcasecmp(n, vmbus) || !strcasecmp(n, storvsc) ||
		    !strcasecmp(n, vmtools))
			continue;
		const char *b2 = section(&sa, n);
		if (b2 == NULL || strcmp(b2, sb.bodies[i]) != 0)
			fail_msg("section %s changed", n);
		same++;
	}
	assert_int_equal(sa.n, sb.n); /* VMTools out, HvoTest in */
	assert_null(section(&sa, vmtools));
	assert_non_null(section(&sa, test));
	char *exp = strdup(section(&sb, vmbus));
	char *at = strstr(exp, "\"Start\"=dword:00000000");
	assert_non_null(at);
	at[strlen("\"Start\"=dword:0000000")] = '3';
	assert_string_equal(section(&sa, vmbus), exp);
	free(exp);
	exp = strdup(section(&sb, storvsc));
	at = strstr(exp, "\"DriverPackageId\"=");
	assert_non_null(at);
	memmove(at, strchr(at, '\n') + 1, strlen(strchr(at, '\n') + 1) + 1);
	assert_string_equal(section(&sa, storvsc), exp);
	free(exp);
	assert_int_equal(same, sb.n - 3);
	free_sections(&sb);
	free_sections(&sa);
	free(before);
	free(after);
	free(path);
}

static void test_unicode_key_names(void **state)
{
	(void)state;
	for (int v13 = 0; v13 < 2; v13++) {
		char *path = rt_copy_fixture(v13 ? "hive/yarp/UpcaseHive"
						 : "hive/hivex/minimal",
					     rt_tmpdir, "names");
		struct reg_hive *h = rt_open_rw(path);
		const char *names[] = { "zeta",	 "Ärger", "Привет", "ÿ",
					"alpha", "Ωmega", "ß9",	    "SS0" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			assert_int_equal(reg_create_key(h, names[i]), 0);
		/* Case-insensitive: these name existing keys. */
		assert_int_equal(reg_create_key(h, "äRGER\\Ünter"), 0);
		assert_int_equal(reg_set_dword(h, "пРИВЕТ", "x", 1), 0);
		assert_int_equal(reg_commit(h), 0);
		reg_close(h);
		/* Sorted and hashed as Windows does, next to the keys
		 * Windows wrote (ss1, SS3, ß2 in UpcaseHive). */
		check_windows_lists(path, 0);
		h = rt_open_ro(path);
		char **kids;
		size_t n;
		assert_int_equal(reg_list_subkeys(h, "", &kids, &n), 0);
		assert_int_equal(n, (v13 ? 3 : 0) + 8);
		reg_names_free(kids, n);
		rt_expect_key(h, "ÄRGER\\üNTER", true);
		rt_expect_key(h, "Ÿ", true);
		reg_close(h);
		/* libhivex finds them too. */
		char *out = rt_hivexsh(path, "ls");
		assert_non_null(strstr(out, "Привет"));
		assert_non_null(strstr(out, "Ωmega"));
		free(out);
		free(path);
	}
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows_order_and_hashes),
		cmocka_unit_test(test_win7_all_types),
		cmocka_unit_test(test_unicode_key_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

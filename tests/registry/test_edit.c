/*
 * test_edit.c - reading and editing keys and values.
 *
 *   - yarp's format hives, written by Windows, read back the values
 *     PROVENANCE lists (big data, 5000 subkeys in an index root, Unicode
 *     and Latin-1 names, Windows' upcase order, multi-strings, strings);
 *   - big values become big-data records; deletes; case-insensitive
 *     lookups.
 *
 * Name order and hashes (against real Windows hives, and of non-ASCII
 * names we add) and every value type are in test_edit_win7.c.
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

static char *get_string(struct reg_hive *h, const char *key, const char *name)
{
	struct reg_value *v;
	int rc = reg_get_value(h, key, name, &v);
	if (rc)
		fail_msg("%s\\%s: %s", key, name, reg_errmsg(h));
	char *s;
	assert_int_equal(reg_value_string(v, &s), 0);
	reg_value_free(v);
	return s;
}

/* ---- Windows-written format hives (yarp) ---- */

static void test_yarp_bigdata(void **state)
{
	(void)state;
	struct reg_hive *h = rt_open_ro(hvo_fixture("hive/yarp/BigDataHive"));
	struct reg_value *v;
	assert_int_equal(reg_get_value(h, "key_with_bigdata", NULL, &v), 0);
	assert_int_equal(v->len, 16345);
	for (size_t i = 0; i < v->len; i++)
		assert_int_equal(v->data[i], '1');
	reg_value_free(v);
	assert_int_equal(reg_get_value(h, "KEY_WITH_BIGDATA", "v", &v), 0);
	assert_int_equal(v->len, 81725);
	for (size_t i = 0; i < v->len; i++)
		assert_int_equal(v->data[i], '2');
	reg_value_free(v);
	assert_int_equal(
		reg_get_value(h, "key_with_bigdata", "doesnt_exist", &v),
		REG_ERR_NOT_FOUND);
	reg_close(h);
}

static void test_yarp_many_subkeys(void **state)
{
	(void)state;
	struct reg_hive *h =
		rt_open_ro(hvo_fixture("hive/yarp/ManySubkeysHive"));
	char **names;
	size_t n;
	assert_int_equal(
		reg_list_subkeys(h, "key_with_many_subkeys", &names, &n), 0);
	assert_int_equal(n, 5000);
	reg_names_free(names, n);
	bool ex;
	const char *found[] = { "key_with_MAny_subkeys\\2119\\find_me",
				"\\key_with_maNY_sUBkeys\\2119\\Find_me",
				"key_with_many_subkeys\\3000" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(reg_key_exists(h, found[i], &ex), 0);
		assert_true(ex);
	}
	assert_int_equal(reg_key_exists(h,
					"key_with_many_subkeys\\3000\\doesnt_"
					"exist",
					&ex),
			 0);
	assert_false(ex);
	reg_close(h);
}

static void test_yarp_names(void **state)
{
	(void)state;
	bool ex;
	/* Case folding beyond ASCII: Cyrillic. */
	struct reg_hive *h = rt_open_ro(hvo_fixture("hive/yarp/UnicodeHive"));
	assert_int_equal(reg_key_exists(h, "ПриВет\\КлюЧ", &ex), 0);
	assert_true(ex);
	assert_int_equal(reg_key_exists(h, "\\привеТ", &ex), 0);
	assert_true(ex);
	char **names;
	size_t n;
	assert_int_equal(reg_list_subkeys(h, "привет", &names, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "Ключ");
	reg_names_free(names, n);
	reg_close(h);

	/* Latin-1 (COMP_NAME) key and value names. */
	h = rt_open_ro(hvo_fixture("hive/yarp/ExtendedASCIIHive"));
	char *s = get_string(h, "ëigenaardig", "ëigenaardig");
	assert_string_equal(s, "ëigenaardig");
	free(s);
	s = get_string(h, "ËIGENAARDIG", "ËigenAardig");
	assert_string_equal(s, "ëigenaardig");
	free(s);
	reg_close(h);

	/* Windows' upcase order: 'ß' has no one-to-one upper case. */
	h = rt_open_ro(hvo_fixture("hive/yarp/UpcaseHive"));
	assert_int_equal(reg_list_subkeys(h, "", &names, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "ss1");
	assert_string_equal(names[1], "SS3");
	assert_string_equal(names[2], "ß2");
	assert_true(reg_int_name_cmp(names[0], names[1]) < 0);
	assert_true(reg_int_name_cmp(names[1], names[2]) < 0);
	reg_names_free(names, n);
	reg_close(h);
}

static void test_yarp_strings(void **state)
{
	(void)state;
	struct reg_hive *h = rt_open_ro(hvo_fixture("hive/yarp/MultiSzHive"));
	struct reg_value *v;
	char **strs;
	size_t n;
	assert_int_equal(reg_get_value(h, "key", "1", &v), 0);
	assert_int_equal(reg_value_multi(v, &strs, &n), 0);
	assert_int_equal(n, 0);
	reg_names_free(strs, n);
	reg_value_free(v);
	assert_int_equal(reg_get_value(h, "key", "2", &v), 0);
	assert_int_equal(reg_value_multi(v, &strs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(strs[0], "привет");
	assert_string_equal(strs[1], "как дела?");
	reg_names_free(strs, n);
	reg_value_free(v);
	assert_int_equal(reg_get_value(h, "key", NULL, &v), REG_ERR_NOT_FOUND);
	reg_close(h);

	h = rt_open_ro(hvo_fixture("hive/yarp/StringValuesHive"));
	char *s = get_string(h, "key", "");
	assert_string_equal(s, "test тест");
	free(s);
	s = get_string(h, "key", "2");
	assert_string_equal(s, "test тест");
	free(s);
	s = get_string(h, "key", "3");
	assert_string_equal(s, "test тест ");
	free(s);
	assert_int_equal(reg_get_value(h, "key", "1", &v), 0);
	assert_int_equal(v->len, 4);
	assert_memory_equal(v->data, "test", 4);
	reg_value_free(v);
	reg_close(h);
}

/* The big value is stored as Windows reads it: a db record. */
struct find_value {
	struct hive_image *im;
	const char *name;
	uint32_t vk;
};

static int find_vk(void *ctx, uint32_t nk, uint32_t vk)
{
	(void)nk;
	struct find_value *f = ctx;
	uint32_t size;
	const uint8_t *v = reg_int_himg_cell(f->im, vk, &size);
	uint16_t nl = get_le16(v + VK_NAME_LEN);
	if (nl == strlen(f->name) && memcmp(v + VK_NAME, f->name, nl) == 0)
		f->vk = vk;
	return 0;
}

/* The data cell of value @name (the first found) and its size. */
static const uint8_t *data_cell(const char *path, const char *name,
				uint32_t *dsize, uint32_t *csize, uint8_t **buf)
{
	size_t len;
	*buf = hvo_test_read_file(path, &len);
	static struct hive_image im;
	assert_int_equal(rt_himg_map(&im, *buf, len), 0);
	struct reg_err e = { 0 };
	struct find_value f = { .im = &im, .name = name };
	struct reg_int_himg_visitor vis = { .value = find_vk, .ctx = &f };
	struct reg_int_himg_stats st;
	assert_int_equal(reg_int_himg_check(&im, &vis, &st, &e), 0);
	assert_int_equal(st.single_cell_big, 0);
	assert_true(f.vk != 0);
	uint32_t size;
	const uint8_t *v = reg_int_himg_cell(&im, f.vk, &size);
	*dsize = get_le32(v + VK_DATA_SIZE);
	const uint8_t *d = reg_int_himg_cell(&im, get_le32(v + VK_DATA), csize);
	reg_int_himg_free(&im);
	return d;
}

static void test_big_values(void **state)
{
	(void)state;
	static uint8_t big[81725];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i % 253);
	/* Version 1.5: db record with 16344-byte segments. */
	char *path =
		rt_copy_fixture("hive/hivex/minimal", rt_tmpdir, "big-minimal");
	struct reg_hive *h = rt_open_rw(path);
	assert_int_equal(reg_set_value(h, "K", "BigV", REG_TYPE_BINARY, big,
				       sizeof(big)),
			 0);
	/* Exactly one segment's worth stays in one cell. */
	assert_int_equal(reg_set_value(h, "K", "Edge", REG_TYPE_BINARY, big,
				       REGF_BIG_SEGMENT),
			 0);
	assert_int_equal(reg_commit(h), 0);
	/* A second commit re-reads and keeps them right (libhivex rewrites
	 * every value of a key it touches). */
	assert_int_equal(reg_set_dword(h, "K", "Other", 1), 0);
	assert_int_equal(reg_commit(h), 0);
	reg_close(h);
	uint8_t *buf;
	uint32_t dsize, csize;
	const uint8_t *d = data_cell(path, "BigV", &dsize, &csize, &buf);
	assert_int_equal(dsize, sizeof(big));
	assert_memory_equal(d, "db", 2);
	assert_int_equal(get_le16(d + DB_NSEGMENTS), 6); /* ceil(81725/16344) */
	free(buf);
	d = data_cell(path, "Edge", &dsize, &csize, &buf);
	assert_int_equal(dsize, REGF_BIG_SEGMENT);
	assert_true(csize >= REGF_BIG_SEGMENT);
	free(buf);
	h = rt_open_ro(path);
	struct reg_value *v;
	assert_int_equal(reg_get_value(h, "k", "bigv", &v), 0);
	assert_int_equal(v->len, sizeof(big));
	assert_memory_equal(v->data, big, sizeof(big));
	reg_value_free(v);
	reg_close(h);
	free(path);

	/* Version 1.3 has no db records: one cell, as Windows writes. */
	path = rt_copy_fixture("hive/yarp/EmptyHive", rt_tmpdir, "big-13");
	h = rt_open_rw(path);
	assert_int_equal(
		reg_set_value(h, "K", "BigV", REG_TYPE_BINARY, big, 20000), 0);
	assert_int_equal(reg_commit(h), 0);
	reg_close(h);
	d = data_cell(path, "BigV", &dsize, &csize, &buf);
	assert_int_equal(dsize, 20000);
	assert_true(csize >= 20000);
	assert_memory_equal(d, big, 20000);
	free(buf);
	free(path);
}

static void test_edit_semantics(void **state)
{
	(void)state;
	char *path = rt_copy_fixture("hive/hivex/minimal", rt_tmpdir, "sem");
	struct reg_hive *h = rt_open_rw(path);
	/* Parents are created on the way. */
	assert_int_equal(reg_set_dword(h, "A\\B\\C", "v", 1), 0);
	bool ex;
	assert_int_equal(reg_key_exists(h, "a\\b", &ex), 0);
	assert_true(ex);
	/* Overridden edits: only the final state is read back. */
	assert_int_equal(reg_delete_key(h, "A"), 0);
	assert_int_equal(reg_create_key(h, "A\\B"), 0);
	assert_int_equal(reg_set_dword(h, "A\\B", "w", 1), 0);
	assert_int_equal(reg_delete_value(h, "a\\b", "W"), 0);
	assert_int_equal(reg_set_dword(h, "A\\B", "w", 2), 0);
	assert_int_equal(reg_set_dword(h, "A\\B", "", 3), 0);
	assert_int_equal(reg_delete_value(h, "A\\B", NULL), 0);
	/* Errors. */
	assert_int_equal(reg_delete_value(h, "A\\B", "nope"),
			 REG_ERR_NOT_FOUND);
	assert_int_equal(reg_delete_key(h, "nope"), REG_ERR_NOT_FOUND);
	assert_int_equal(reg_delete_key(h, ""), REG_ERR_INVALID);
	assert_int_equal(reg_create_key(h, "A\\\\B"), REG_ERR_INVALID);
	assert_int_equal(reg_set_dword(h, "A", "\xff", 1), REG_ERR_INVALID);
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(reg_create_key(h, longname), REG_ERR_INVALID);
	assert_int_equal(reg_set_value(h, "A", "huge", REG_TYPE_BINARY, "",
				       REG_MAX_VALUE_SIZE + 1),
			 REG_ERR_TOO_BIG);
	const char *empty_inside[] = { "a", "", "b" };
	assert_int_equal(reg_set_multi(h, "A", "m", empty_inside, 3),
			 REG_ERR_INVALID);
	assert_int_equal(reg_commit(h), 0);
	reg_close(h);
	h = rt_open_ro(path);
	struct reg_value *v;
	assert_int_equal(reg_get_value(h, "A\\B", "w", &v), 0);
	uint32_t dw;
	assert_int_equal(reg_value_dword(v, &dw), 0);
	assert_int_equal(dw, 2);
	reg_value_free(v);
	assert_int_equal(reg_get_value(h, "A\\B", "", &v), REG_ERR_NOT_FOUND);
	assert_int_equal(reg_key_exists(h, "A\\B\\C", &ex), 0);
	assert_false(ex);
	/* Read-only handles refuse edits. */
	assert_int_equal(reg_set_dword(h, "A", "x", 1), REG_ERR_READ_ONLY);
	assert_int_equal(reg_commit(h), REG_ERR_READ_ONLY);
	reg_close(h);
	free(path);
}

static void test_batch_failure_changes_nothing(void **state)
{
	(void)state;
	char *path = rt_copy_fixture("hive/hivex/minimal", rt_tmpdir, "batch");
	char before[65], after[65];
	hvo_test_sha256_file(path, before);
	struct reg_hive *h = rt_open_rw(path);
	const struct reg_op ops[] = {
		{ .kind = REG_OP_SET_VALUE,
		  .key = "X",
		  .name = "a",
		  .type = REG_TYPE_DWORD,
		  .data = "\1\0\0\0",
		  .len = 4 },
		{ .kind = REG_OP_DELETE_KEY, .key = "Absent" }, /* fine */
		{ .kind = REG_OP_DELETE_VALUE, .key = "X", .name = "zz" },
		{ .kind = REG_OP_CREATE_KEY, .key = "bad\\\\path" },
		{ .kind = REG_OP_CREATE_KEY, .key = "never" },
	};
	size_t failed = 99;
	assert_int_equal(reg_apply(h, ops, 5, &failed), REG_ERR_INVALID);
	assert_int_equal(failed, 3);
	reg_close(h); /* no commit */
	hvo_test_sha256_file(path, after);
	assert_string_equal(before, after);
	/* The same batch without the bad op: one commit. */
	h = rt_open_rw(path);
	assert_int_equal(reg_apply(h, ops, 3, &failed), 0);
	assert_int_equal(reg_commit(h), 0);
	reg_close(h);
	h = rt_open_ro(path);
	bool ex;
	assert_int_equal(reg_key_exists(h, "x", &ex), 0);
	assert_true(ex);
	reg_close(h);
	free(path);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yarp_bigdata),
		cmocka_unit_test(test_yarp_many_subkeys),
		cmocka_unit_test(test_yarp_names),
		cmocka_unit_test(test_yarp_strings),
		cmocka_unit_test(test_big_values),
		cmocka_unit_test(test_edit_semantics),
		cmocka_unit_test(test_batch_failure_changes_nothing),
	};
	return cmocka_run_group_tests(tests, rt_setup, rt_teardown);
}

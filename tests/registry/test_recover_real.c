/*
 * test_recover_real.c - transaction-log recovery on real dirty hives: the
 * results Windows itself produced (yarp) and a real Windows 10 SYSTEM
 * hive with its two logs (regipy), with hivexsh/hivexregedit as
 * independent readers.  The rules one at a time, on hives built byte by
 * byte, are in test_recover.c.
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

#include "registry/reg.h"
#include "tests/lib/hvotest.h"
#include "tests/registry/regtest.h"
#include "util/bytes.h"

/* ---- Real hives recovered by Windows (yarp) ---- */

/* A case directory with yarp's hive @sub/@hive as HIVE and its two logs
 * (@hive.LOG1, @hive.LOG2) as HIVE.LOG1 and HIVE.LOG2. */
static char *yarp_case(const char *sub, const char *hive)
{
	char *d = rt_case_dir(sub);
	static const char *const ext[] = { "", ".LOG1", ".LOG2" };
	for (size_t i = 0; i < 3; i++) {
		char rel[256], name[16];
		snprintf(rel, sizeof(rel), "hive/yarp/%s/%s%s", sub, hive,
			 ext[i]);
		snprintf(name, sizeof(name), "HIVE%s", ext[i]);
		free(rt_copy_fixture(rel, d, name));
	}
	return d;
}

/* That case opened (it must open); its directory in *@dir. */
static struct reg_hive *yarp_open(const char *sub, const char *hive, char **dir)
{
	*dir = yarp_case(sub, hive);
	return rt_open_dir(*dir, 0, 0);
}

/* The fixture @rel alone (decompressed when it ends in ".xz") as HIVE in
 * case directory @name, opened with @flags: the open must give @want, an
 * error of exit class @exit.  The directory in *@dir. */
static struct reg_hive *open_alone(const char *name, const char *rel,
				   unsigned flags, int want, enum hvo_exit exit,
				   char **dir)
{
	*dir = rt_case_dir(name);
	size_t n = strlen(rel);
	if (n > 3 && strcmp(rel + n - 3, ".xz") == 0)
		free(rt_unxz_fixture(rel, *dir, "HIVE"));
	else
		free(rt_copy_fixture(rel, *dir, "HIVE"));
	struct reg_hive *h = rt_open_dir(*dir, flags, want);
	assert_int_equal(reg_exit_class(reg_errno(h)), exit);
	return h;
}

/* yarp's NewDirtyHive of case @sub opened: dirty and recoverable, with
 * @applied log entries replayed, @log1 of them from LOG1 and @log2 from
 * LOG2. */
static struct reg_hive *open_new_dirty(const char *sub, unsigned applied,
				       unsigned log1, unsigned log2, char **d)
{
	struct reg_hive *h = yarp_open(sub, "NewDirtyHive", d);
	const struct reg_info *in = reg_get_info(h);
	assert_int_equal(in->state, REG_STATE_DIRTY_RECOVERABLE);
	assert_int_equal(in->recovery_applied, applied);
	assert_int_equal(in->logs[0].applied, log1);
	assert_int_equal(in->logs[1].applied, log2);
	return h;
}

static void test_yarp_new_dirty_1(void **state)
{
	(void)state;
	char *d;
	/* 4 entries (upstream test): LOG1's entry 2, LOG2's 3, 4 and 5. */
	struct reg_hive *h = open_new_dirty("NewDirtyHive1", 4, 1, 3, &d);
	char *out;
	assert_true(asprintf(&out, "%s/recovered", d) > 0);
	assert_int_equal(reg_write_recovered(h, out), 0);
	reg_close(h);

	/* Byte-identical to Windows 10's own recovery from 4096 on. */
	size_t la, lb;
	uint8_t *a = hvo_test_read_file(out, &la);
	uint8_t *b = hvo_test_read_file(
		hvo_fixture("hive/yarp/NewDirtyHive1/RecoveredHive_Windows10"),
		&lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a + 4096, b + 4096, la - 4096);
	/* And Windows' sequence numbers: 6/6. */
	assert_int_equal(get_le32(a + 4), 6);
	assert_int_equal(get_le32(a + 8), 6);
	free(a);
	free(b);

	/* The keys PROVENANCE lists, read by hivexsh. */
	char *ls = rt_hivexsh(out, "ls");
	assert_null(strstr(ls, "Key1"));
	assert_null(strstr(ls, "Key2"));
	assert_non_null(strstr(ls, "Key3"));
	free(ls);
	ls = rt_hivexsh(out, "cd Key3\nls");
	assert_non_null(strstr(ls, "Key3_1"));
	assert_non_null(strstr(ls, "Key3_2"));
	assert_non_null(strstr(ls, "Key3_3"));
	free(ls);
	/* Key3's default: 1440 x '1' and a NUL. */
	h = NULL;
	assert_int_equal(reg_open(out, NULL, &h), 0);
	struct reg_value *v;
	assert_int_equal(reg_get_value(h, "Key3", "", &v), 0);
	char *s;
	assert_int_equal(reg_value_string(v, &s), 0);
	assert_int_equal(strlen(s), 1440);
	assert_int_equal(strspn(s, "1"), 1440);
	assert_int_equal(v->len, 1441 * 2);
	free(s);
	reg_value_free(v);
	reg_close(h);
	free(out);
	free(d);
}

static void test_yarp_new_dirty_2(void **state)
{
	(void)state;
	char *d;
	/* 3 entries, all LOG2's: LOG1 is skipped. */
	struct reg_hive *h = open_new_dirty("NewDirtyHive2", 3, 0, 3, &d);
	assert_int_equal(reg_get_info(h)->recovery_last_seq, 5); /* upstream */
	reg_close(h);
	free(d);
}

/* hivexregedit's export of a whole hive, for content comparisons. */
static char *export_with_hivexregedit(const char *hive)
{
	char *cmd, *out;
	assert_true(asprintf(&cmd, "hivexregedit --export '%s' '\\'", hive) >
		    0);
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	free(cmd);
	return out;
}

/* The key of OldDirtyHive that only its log holds. */
#define FOUND_IN_LOG "key_with_many_subkeys\\5000\\find_me_in_log"

/* Whether key @key exists in @h must be @want. */
static void expect_key(struct reg_hive *h, const char *key, bool want)
{
	bool ex;
	assert_int_equal(reg_key_exists(h, key, &ex), 0);
	if (ex != want)
		fail_msg("%s: %s", key, want ? "missing" : "present");
}

static void test_yarp_old_dirty(void **state)
{
	(void)state;
	char *d;
	struct reg_hive *h = yarp_open("OldDirtyHive", "OldDirtyHive", &d);
	assert_false(reg_get_info(h)->recovery_new_format);
	expect_key(h, "key_with_many_subkeys\\1", false);
	expect_key(h, FOUND_IN_LOG, true);
	struct reg_value *v;
	assert_int_equal(
		reg_get_value(h, "key_with_many_subkeys\\4500", "V", &v), 0);
	char **strs;
	size_t n;
	assert_int_equal(reg_value_multi(v, &strs, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(strs[0], "a");
	assert_string_equal(strs[1], "bb");
	assert_string_equal(strs[2], "ccc");
	reg_names_free(strs, n);
	reg_value_free(v);
	char *out;
	assert_true(asprintf(&out, "%s/recovered", d) > 0);
	assert_int_equal(reg_write_recovered(h, out), 0);
	reg_close(h);
	/* The same content as Windows 7's recovery, read by hivexregedit. */
	char *ours = export_with_hivexregedit(out);
	char *win = export_with_hivexregedit(
		hvo_fixture("hive/yarp/OldDirtyHive/RecoveredHive_Windows7"));
	assert_true(strlen(ours) > 10000);
	assert_string_equal(ours, win);
	free(ours);
	free(win);
	free(out);
	free(d);
}

static void test_yarp_bad_base_block(void **state)
{
	(void)state;
	char *d;
	struct reg_hive *h =
		yarp_open("BadBaseBlockHive", "BadBaseBlockHive", &d);
	const struct reg_info *in = reg_get_info(h);
	assert_false(in->checksum_ok);
	assert_int_equal(in->state, REG_STATE_DIRTY_RECOVERABLE);
	char *out;
	assert_true(asprintf(&out, "%s/recovered", d) > 0);
	assert_int_equal(reg_write_recovered(h, out), 0);
	reg_close(h);
	assert_int_equal(reg_open(out, NULL, &h), 0);
	/* The base block rebuilt from LOG1: version 1.3 again. */
	assert_int_equal(reg_get_info(h)->minor, 3);
	/* The same primary and log as OldDirtyHive: key "1" replayed away
	 * (4999 left), find_me_in_log replayed in. */
	char **names;
	size_t n;
	assert_int_equal(
		reg_list_subkeys(h, "key_with_many_subkeys", &names, &n), 0);
	assert_int_equal(n, 4999);
	reg_names_free(names, n);
	expect_key(h, FOUND_IN_LOG, true);
	reg_close(h);
	char *ours = export_with_hivexregedit(out);
	char *win = export_with_hivexregedit(
		hvo_fixture("hive/yarp/OldDirtyHive/RecoveredHive_Windows7"));
	assert_string_equal(ours, win);
	free(ours);
	free(win);
	free(out);
	free(d);
}

static void test_yarp_refused(void **state)
{
	(void)state;
	struct {
		const char *sub, *hive;
		int want;
		enum hvo_exit exit;
	} cases[] = {
		{ "BadLogHive1", "BadLogHive", REG_ERR_NO_LOGS,
		  HVO_EXIT_REFUSED },
		{ "BadLogHive3", "BadLogHive", REG_ERR_NO_LOGS,
		  HVO_EXIT_REFUSED },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = yarp_case(cases[i].sub, cases[i].hive);
		struct reg_hive *h = rt_open_dir(
			d, REG_OPEN_WRITE | REG_OPEN_RECOVER, cases[i].want);
		assert_int_equal(reg_exit_class(reg_errno(h)), cases[i].exit);
		assert_non_null(strstr(reg_errmsg(h), "refused"));
		/* Recovery is refused too, and nothing is written. */
		char *out;
		assert_true(asprintf(&out, "%s/recovered", d) > 0);
		assert_int_equal(reg_write_recovered(h, out), REG_ERR_NO_LOGS);
		struct stat st;
		assert_int_not_equal(stat(out, &st), 0);
		free(out);
		reg_close(h);
		free(d);
	}
	/* Truncated, dirty, no logs: corrupt, exit 5. */
	char *d;
	struct reg_hive *h =
		open_alone("truncated", "hive/yarp/TruncatedDirtyHive", 0,
			   REG_ERR_TRUNCATED, HVO_EXIT_CORRUPT, &d);
	assert_non_null(strstr(reg_errmsg(h), "truncated"));
	reg_close(h);
	free(d);
}

/* ---- A real Windows 10 SYSTEM hive with its logs (regipy) ---- */

static void test_regipy_system_b(void **state)
{
	(void)state;
	char *d = rt_case_dir("systemb");
	free(rt_unxz_fixture("hive/regipy/SYSTEM_B.xz", d, "HIVE"));
	free(rt_unxz_fixture("hive/regipy/SYSTEM_B.LOG1.xz", d, "HIVE.LOG1"));
	free(rt_unxz_fixture("hive/regipy/SYSTEM_B.LOG2.xz", d, "HIVE.LOG2"));
	struct reg_hive *h = rt_open_dir(d, 0, 0);
	const struct reg_info *in = reg_get_info(h);
	assert_int_equal(in->state, REG_STATE_DIRTY_RECOVERABLE);
	assert_int_equal(in->logs[0].first_seq, 2107);
	assert_int_equal(in->logs[1].last_seq, 2130);
	assert_int_equal(in->recovery_applied, 24);
	assert_int_equal(in->recovered_seq, 2131);
	char *out;
	assert_true(asprintf(&out, "%s/recovered", d) > 0);
	assert_int_equal(reg_write_recovered(h, out), 0);
	reg_close(h);
	/* hivexsh opens it and finds the services PROVENANCE lists. */
	char *s = rt_hivexsh(out, "cd ControlSet001\\Services\nls");
	const char *services[] = {
		"vmickvpexchange", "vmicvmsession", "HvHost",
		"hvservice",	   "vmbus",	    "storvsc"
	};
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strstr(s, services[i]) == NULL)
			fail_msg("service %s missing", services[i]);
	free(s);
	s = rt_hivexsh(out,
		       "cd ControlSet001\\Services\\vmickvpexchange\nlsval");
	assert_non_null(strstr(s, "LocalSystemNetworkRestricted -p"));
	free(s);
	s = rt_hivexsh(out, "cd ControlSet001\\Services\\vmbus\nlsval");
	assert_non_null(strstr(s, "\"Start\"=dword:00000000"));
	free(s);
	s = rt_hivexsh(out, "cd ControlSet001\\Services\\storvsc\nlsval");
	assert_non_null(strstr(s, "\"Start\"=dword:00000000"));
	free(s);
	free(out);
	free(d);
}

static void test_regipy_system_2_refused(void **state)
{
	(void)state;
	char *d;
	struct reg_hive *h = open_alone("system2", "hive/regipy/SYSTEM_2.xz",
					REG_OPEN_WRITE | REG_OPEN_RECOVER,
					REG_ERR_NO_LOGS, HVO_EXIT_REFUSED, &d);
	reg_close(h);
	/* Readable as it is. */
	h = rt_open_dir(d, 0, 0);
	assert_int_equal(reg_get_info(h)->state, REG_STATE_DIRTY_NO_LOGS);
	struct reg_value *v;
	assert_int_equal(reg_get_value(h,
				       "ControlSet001\\Services\\"
				       "vmickvpexchange",
				       "Type", &v),
			 0);
	uint32_t t;
	assert_int_equal(reg_value_dword(v, &t), 0);
	assert_int_equal(t, 0x20);
	reg_value_free(v);
	reg_close(h);
	free(d);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yarp_new_dirty_1),
		cmocka_unit_test(test_yarp_new_dirty_2),
		cmocka_unit_test(test_yarp_old_dirty),
		cmocka_unit_test(test_yarp_bad_base_block),
		cmocka_unit_test(test_yarp_refused),
		cmocka_unit_test(test_regipy_system_b),
		cmocka_unit_test(test_regipy_system_2_refused),
	};
	return cmocka_run_group_tests(tests, rt_setup, rt_teardown);
}

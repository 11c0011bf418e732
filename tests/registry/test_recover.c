/*
 * test_recover.c - transaction-log recovery on hives and logs built byte
 * by byte (regtest.c), one rule of the specification at a time: new and
 * old log formats, and what writing a recovered hive does to its logs.
 * Real dirty hives are in test_recover_real.c.
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

/* The bin page of a built hive with the root renamed. */
static void page_named(uint8_t page[4096], const char name[4])
{
	uint8_t hive[RT_HIVE_SIZE];
	rt_build_hive(hive, 1, 1, 5);
	rt_set_root_name(hive, name);
	memcpy(page, hive + 4096, 4096);
}

/* A case directory holding a built hive named HIVE. */
static char *hive_case(const char *name, uint32_t seq1, uint32_t seq2,
		       uint32_t minor)
{
	char *d = rt_case_dir(name);
	uint8_t hive[RT_HIVE_SIZE];
	rt_build_hive(hive, seq1, seq2, minor);
	free(rt_write(d, "HIVE", hive, sizeof(hive)));
	return d;
}

/* A new-format log of @n entries from @seq whose page renames the root
 * key to @root (caller frees). */
static uint8_t *new_log(uint32_t seq, unsigned n, const char root[4],
			size_t *len)
{
	uint8_t page[4096];
	page_named(page, root);
	return rt_build_new_log(seq, n, page, len);
}

static char *root_name(struct reg_hive *h)
{
	return reg_get_info(h)->root_name;
}

/* ---- New format, built byte by byte ---- */

static void test_new_single_log(void **state)
{
	(void)state;
	char *d = hive_case("new1", 2, 1, 5); /* dirty: 2/1 */
	size_t len;
	uint8_t *log = new_log(1, 1, "RCVD", &len);
	/* The name is matched case-insensitively, as on NTFS. */
	free(rt_write(d, "hive.log1", log, len));
	free(log);
	struct reg_hive *h = rt_open_dir(d, 0, 0);
	const struct reg_info *in = reg_get_info(h);
	assert_int_equal(in->state, REG_STATE_DIRTY_RECOVERABLE);
	assert_true(in->recovery_new_format);
	assert_int_equal(in->recovery_applied, 1);
	assert_int_equal(in->recovery_last_seq, 1);
	/* One above everything seen: primary 2, log 1. */
	assert_int_equal(in->recovered_seq, 3);
	assert_string_equal(root_name(h), "RCVD");
	assert_int_equal(in->nlogs, 1);
	assert_int_equal(in->logs[0].kind, REG_LOG_NEW);
	assert_non_null(strstr(in->logs[0].path, "hive.log1"));
	reg_close(h);
	free(d);
}

static void test_new_two_logs_any_order(void **state)
{
	(void)state;
	for (int swap = 0; swap < 2; swap++) {
		char *d = rt_case_dir(swap ? "new2b" : "new2a");
		uint8_t hive[RT_HIVE_SIZE], p1[4096], p2[4096];
		rt_build_hive(hive, 2, 1, 5);
		free(rt_write(d, "HIVE", hive, sizeof(hive)));
		page_named(p1, "AAAA");
		page_named(p2, "CCCC");
		size_t l1, l2;
		uint8_t *older = rt_build_new_log(1, 1, p1, &l1); /* 1 */
		uint8_t *newer = rt_build_new_log(2, 2, p2, &l2); /* 2, 3 */
		/* LOG1 and LOG2 swap roles: order comes from sequence
		 * numbers, not names. */
		free(rt_write(d, "HIVE.LOG1", swap ? newer : older,
			      swap ? l2 : l1));
		free(rt_write(d, "HIVE.LOG2", swap ? older : newer,
			      swap ? l1 : l2));
		free(older);
		free(newer);
		struct reg_hive *h = rt_open_dir(d, 0, 0);
		const struct reg_info *in = reg_get_info(h);
		assert_int_equal(in->state, REG_STATE_DIRTY_RECOVERABLE);
		assert_int_equal(in->recovery_applied, 3);
		assert_int_equal(in->recovery_last_seq, 3);
		assert_int_equal(in->recovered_seq, 4);
		assert_string_equal(root_name(h), "CCCC");
		reg_close(h);
		free(d);
	}
}

static void test_new_stale_and_gap(void **state)
{
	(void)state;
	uint8_t hive[RT_HIVE_SIZE], page[4096];
	size_t len;
	uint8_t *log;
	page_named(page, "STAL");

	/* Stale: the log's entries (2, 3) precede the hive (5/4). */
	char *d = rt_case_dir("stale");
	rt_build_hive(hive, 5, 4, 5);
	free(rt_write(d, "HIVE", hive, sizeof(hive)));
	log = rt_build_new_log(2, 2, page, &len);
	free(rt_write(d, "HIVE.LOG1", log, len));
	free(log);
	struct reg_hive *h = rt_open_dir(d, REG_OPEN_WRITE, REG_ERR_NO_LOGS);
	assert_int_equal(reg_get_info(h)->state, REG_STATE_DIRTY_NO_LOGS);
	assert_non_null(strstr(reg_get_info(h)->logs[0].problem, "stale"));
	reg_close(h);
	free(d);

	/* A gap: 1 in LOG1, 3 in LOG2; recovery stops after 1. */
	d = rt_case_dir("gap");
	rt_build_hive(hive, 2, 1, 5);
	free(rt_write(d, "HIVE", hive, sizeof(hive)));
	page_named(page, "ONE_");
	log = rt_build_new_log(1, 1, page, &len);
	free(rt_write(d, "HIVE.LOG1", log, len));
	free(log);
	page_named(page, "THRE");
	log = rt_build_new_log(3, 1, page, &len);
	free(rt_write(d, "HIVE.LOG2", log, len));
	free(log);
	h = rt_open_dir(d, 0, 0);
	assert_int_equal(reg_get_info(h)->recovery_applied, 1);
	assert_string_equal(root_name(h), "ONE_");
	assert_non_null(
		strstr(reg_get_info(h)->logs[1].problem, "3, 2 expected"));
	/* The result is still above every sequence number seen (3). */
	assert_int_equal(reg_get_info(h)->recovered_seq, 4);
	reg_close(h);
	free(d);
}

/* Entry damage: recovery applies the entries before the damaged one. */
static void test_new_damaged_entries(void **state)
{
	(void)state;
	struct {
		const char *what;
		size_t off; /* in the second entry */
		uint32_t value;
		bool rehash;
		const char *problem;
	} cases[] = {
		{ "page data changed", 48 + 100, 0x41414141, false, "Hash-1" },
		{ "header changed", 12, 9, false, "Hash-2" },
		{ "size not a multiple of 512", 4, RT_ENTRY_SIZE - 1, true,
		  "multiple of 512" },
		{ "hive bins size 0x1001", 16, 0x1001, true,
		  "multiple of 4096" },
		{ "page outside the hive bins", 40, 0x1000, true,
		  "outside the hive bins" },
		{ "page not sector-aligned", 44, 4000, true,
		  "outside the hive bins" },
		{ "too many page references", 20, 600, true, "overrun" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = rt_case_dir("damaged");
		uint8_t hive[RT_HIVE_SIZE], page[4096];
		rt_build_hive(hive, 2, 1, 5);
		free(rt_write(d, "HIVE", hive, sizeof(hive)));
		page_named(page, "GOOD");
		size_t len;
		uint8_t *log = rt_build_new_log(1, 2, page, &len);
		uint8_t *e = log + rt_new_log_entry(1);
		memcpy(e + 48 + RT_ROOT + 4 + 76, "EVIL", 4);
		rt_rehash_entry(e);
		put_le32(e + cases[i].off, cases[i].value);
		if (cases[i].rehash)
			rt_rehash_entry(e);
		free(rt_write(d, "HIVE.LOG1", log, len));
		free(log);
		struct reg_hive *h = rt_open_dir(d, 0, 0);
		const struct reg_info *in = reg_get_info(h);
		if (in->recovery_applied != 1 ||
		    strcmp(root_name(h), "GOOD") != 0 ||
		    in->logs[0].problem == NULL ||
		    strstr(in->logs[0].problem, cases[i].problem) == NULL)
			fail_msg("%s: applied %u, root %s, problem '%s'",
				 cases[i].what, in->recovery_applied,
				 root_name(h),
				 in->logs[0].problem ? in->logs[0].problem
						     : "(none)");
		reg_close(h);
		free(d);
	}
}

static void test_bad_log_base_blocks(void **state)
{
	(void)state;
	struct {
		const char *what;
		size_t off;
		uint32_t value;
		bool reseal;
		const char *problem;
	} cases[] = {
		{ "checksum", 508, 0x4c564e49, false, "checksum" },
		{ "sequence numbers differ", 8, 7, true, "differ" },
		{ "signature", 0, 0x12345678, true, "signature" },
		{ "file type 0", 28, 0, true, "not a transaction log" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = rt_case_dir("badbase");
		uint8_t hive[RT_HIVE_SIZE], page[4096];
		rt_build_hive(hive, 2, 1, 5);
		free(rt_write(d, "HIVE", hive, sizeof(hive)));
		page_named(page, "NOPE");
		size_t len;
		uint8_t *log = rt_build_new_log(1, 1, page, &len);
		put_le32(log + cases[i].off, cases[i].value);
		if (cases[i].reseal)
			rt_seal(log);
		free(rt_write(d, "HIVE.LOG1", log, len));
		free(log);
		struct reg_hive *h =
			rt_open_dir(d, REG_OPEN_WRITE, REG_ERR_NO_LOGS);
		const struct reg_info *in = reg_get_info(h);
		assert_int_equal(in->logs[0].kind, REG_LOG_INVALID);
		if (strstr(in->logs[0].problem, cases[i].problem) == NULL)
			fail_msg("%s: '%s'", cases[i].what,
				 in->logs[0].problem);
		assert_int_equal(reg_exit_class(reg_errno(h)),
				 HVO_EXIT_REFUSED);
		reg_close(h);
		free(d);
	}
	/* A log shorter than its base block copy. */
	char *d = rt_case_dir("shortlog");
	uint8_t hive[RT_HIVE_SIZE];
	rt_build_hive(hive, 2, 1, 5);
	free(rt_write(d, "HIVE", hive, sizeof(hive)));
	free(rt_write(d, "HIVE.LOG1", "regf", 4));
	struct reg_hive *h = rt_open_dir(d, REG_OPEN_WRITE, REG_ERR_NO_LOGS);
	assert_non_null(strstr(reg_get_info(h)->logs[0].problem, "shorter"));
	reg_close(h);
	free(d);
}

static void test_new_bad_primary_base_block(void **state)
{
	(void)state;
	char *d = rt_case_dir("badprimary");
	uint8_t hive[RT_HIVE_SIZE], page[4096];
	rt_build_hive(hive, 1, 1, 5);
	put_le32(hive + 24, 1); /* minor version 1: ... */
	/* ... and the checksum no longer matches: dirty, base block bad */
	free(rt_write(d, "HIVE", hive, sizeof(hive)));
	page_named(page, "BASE");
	size_t l1, l2;
	uint8_t *a = rt_build_new_log(1, 1, page, &l1);
	page_named(page, "LAST");
	uint8_t *b = rt_build_new_log(2, 1, page, &l2);
	free(rt_write(d, "HIVE.LOG1", a, l1));
	free(rt_write(d, "HIVE.LOG2", b, l2));
	free(a);
	free(b);
	struct reg_hive *h = rt_open_dir(d, 0, 0);
	const struct reg_info *in = reg_get_info(h);
	assert_int_equal(in->state, REG_STATE_DIRTY_RECOVERABLE);
	/* Only the log with the latest entries, base block from it. */
	assert_int_equal(in->recovery_applied, 1);
	assert_int_equal(in->logs[0].applied, 0);
	assert_int_equal(in->logs[1].applied, 1);
	assert_string_equal(root_name(h), "LAST");
	reg_close(h);
	free(d);
}

static void test_new_grows_hive(void **state)
{
	(void)state;
	char *d = hive_case("grow", 2, 1, 5);
	size_t len;
	uint8_t *log = new_log(1, 1, "GROW", &len);
	/* Second page: a new empty bin at 0x1000; hive bins 0x2000. */
	uint8_t *big = calloc(1, len + 4096);
	memcpy(big, log, len);
	uint8_t *e = big + 512;
	put_le32(e + 4, RT_ENTRY_SIZE + 4096); /* entry size */
	put_le32(e + 16, 0x2000);	       /* hive bins size */
	put_le32(e + 20, 2);		       /* two pages */
	memmove(e + 56, e + 48, 4096);	       /* page 0 after 2 refs */
	put_le32(e + 48, 0x1000);	       /* page 1: offset */
	put_le32(e + 52, 4096);		       /* page 1: size */
	uint8_t *bin = e + 56 + 4096;	       /* page 1: a free bin */
	memcpy(bin, "hbin", 4);
	put_le32(bin + 4, 0x1000);
	put_le32(bin + 8, 0x1000);
	put_le32(bin + 32, 0x1000 - 32);
	rt_rehash_entry(e);
	free(rt_write(d, "HIVE.LOG1", big, len + 4096));
	free(big);
	free(log);
	struct reg_hive *h = rt_open_dir(d, 0, 0);
	assert_int_equal(reg_get_info(h)->hbins_size, 0x1000);
	assert_string_equal(root_name(h), "GROW");
	char *out;
	assert_true(asprintf(&out, "%s/out", d) > 0);
	assert_int_equal(reg_write_recovered(h, out), 0);
	reg_close(h);
	struct stat st;
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_size, 4096 + 0x2000);
	free(out);
	free(d);
}

/* A valid entry claiming a huge hive cannot make us allocate it: the
 * result can never be larger than the primary and its logs together. */
static void test_new_growth_bounded(void **state)
{
	(void)state;
	char *d = hive_case("hugegrow", 2, 1, 5);
	size_t len;
	uint8_t *log = new_log(1, 1, "HUGE", &len);
	put_le32(log + 512 + 16, 0x40000000); /* hive bins: 1 GiB */
	rt_rehash_entry(log + 512);
	free(rt_write(d, "HIVE.LOG1", log, len));
	free(log);
	struct reg_hive *h = rt_open_dir(d, REG_OPEN_WRITE, REG_ERR_NO_LOGS);
	assert_non_null(strstr(reg_get_info(h)->problem, "beyond"));
	reg_close(h);
	free(d);
}

static void test_recovery_result_checked(void **state)
{
	(void)state;
	char *d = hive_case("badresult", 2, 1, 5);
	uint8_t page[4096];
	page_named(page, "XXXX");
	memcpy(page, "hbim", 4); /* the logged bin is broken */
	size_t len;
	uint8_t *log = rt_build_new_log(1, 1, page, &len);
	free(rt_write(d, "HIVE.LOG1", log, len));
	free(log);
	struct reg_hive *h = rt_open_dir(d, REG_OPEN_WRITE, REG_ERR_NO_LOGS);
	assert_non_null(strstr(reg_get_info(h)->problem,
			       "replaying the logs gives an invalid hive"));
	reg_close(h);
	free(d);
}

/* ---- Old format, built byte by byte ---- */

static void test_old_format(void **state)
{
	(void)state;
	const uint64_t ts = 0x01d0000000000000ull; /* rt_build_hive's */
	uint8_t hive[RT_HIVE_SIZE], page[4096];
	size_t len;
	uint8_t *log;

	char *d = rt_case_dir("old");
	rt_build_hive(hive, 3, 2, 3);
	free(rt_write(d, "HIVE", hive, sizeof(hive)));
	page_named(page, "OLD_");
	log = rt_build_old_log(3, ts, page, &len);
	free(rt_write(d, "HIVE.LOG", log, len)); /* single-log scheme */
	free(log);
	struct reg_hive *h = rt_open_dir(d, 0, 0);
	const struct reg_info *in = reg_get_info(h);
	assert_int_equal(in->state, REG_STATE_DIRTY_RECOVERABLE);
	assert_false(in->recovery_new_format);
	assert_int_equal(in->recovery_applied, 8); /* 8 dirty pages */
	assert_int_equal(in->recovered_seq, 4);
	assert_string_equal(root_name(h), "OLD_");
	reg_close(h);
	free(d);

	/* A timestamp that does not match the primary's: not applied. */
	d = rt_case_dir("oldts");
	free(rt_write(d, "HIVE", hive, sizeof(hive)));
	log = rt_build_old_log(3, ts + 1, page, &len);
	free(rt_write(d, "HIVE.LOG1", log, len));
	free(log);
	h = rt_open_dir(d, REG_OPEN_WRITE, REG_ERR_NO_LOGS);
	assert_non_null(strstr(reg_get_info(h)->problem, "timestamp"));
	reg_close(h);
	free(d);

	/* LOG1 stale, LOG2 more recent: LOG2 (the Windows 8 rule). */
	d = rt_case_dir("oldlog2");
	free(rt_write(d, "HIVE", hive, sizeof(hive)));
	page_named(page, "ONE_");
	log = rt_build_old_log(3, ts - 10, page, &len);
	free(rt_write(d, "HIVE.LOG1", log, len));
	free(log);
	page_named(page, "TWO_");
	log = rt_build_old_log(3, ts + 10, page, &len);
	free(rt_write(d, "HIVE.LOG2", log, len));
	free(log);
	h = rt_open_dir(d, 0, 0);
	assert_string_equal(root_name(h), "TWO_");
	reg_close(h);
	free(d);

	/* Vector announcing more pages than the file holds; no DIRT. */
	const struct {
		size_t off;
		uint8_t byte;
		const char *problem;
	} bad[] = {
		{ 517, 0x01, "fewer" }, /* bit 8: a ninth page */
		{ 512, 'X', "DIRT" },	/* signature */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = rt_case_dir("oldbad");
		free(rt_write(d, "HIVE", hive, sizeof(hive)));
		log = rt_build_old_log(3, ts, page, &len);
		/* Hive bins of 0x2000 make room for bit 8. */
		put_le32(log + 40, 0x2000);
		rt_seal(log);
		log[bad[i].off] = bad[i].byte;
		free(rt_write(d, "HIVE.LOG1", log, len));
		free(log);
		h = rt_open_dir(d, REG_OPEN_WRITE, REG_ERR_NO_LOGS);
		if (strstr(reg_get_info(h)->logs[0].problem, bad[i].problem) ==
		    NULL)
			fail_msg("case %zu: '%s'", i,
				 reg_get_info(h)->logs[0].problem);
		reg_close(h);
		free(d);
	}
}

/* ---- Writing recovered hives; what happens to the logs ---- */

static void test_write_back_and_logs(void **state)
{
	(void)state;
	char *d = hive_case("writeback", 2, 1, 5);
	char *path;
	assert_true(asprintf(&path, "%s/HIVE", d) > 0);
	size_t len;
	uint8_t *log = new_log(1, 1, "WBCK", &len);
	char *logpath = rt_write(d, "HIVE.LOG1", log, len);
	free(log);

	/* A dirty hive is refused for writing (exit 4) without RECOVER. */
	struct reg_hive *h = rt_open_dir(d, REG_OPEN_WRITE, REG_ERR_DIRTY);
	assert_int_equal(reg_exit_class(REG_ERR_DIRTY), HVO_EXIT_REFUSED);
	reg_close(h);

	/* Recovered, edited and committed in place in one go. */
	h = rt_open_dir(d, REG_OPEN_WRITE | REG_OPEN_RECOVER, 0);
	assert_int_equal(reg_set_dword(h, "After\\Recovery", "Edit", 7), 0);
	assert_int_equal(reg_logs_after_commit(h), REG_LOGS_KEEP);
	assert_int_equal(reg_commit(h), 0);
	assert_int_equal(reg_logs_after_commit(h), REG_LOGS_RESET);
	assert_int_equal(reg_reset_logs(h), 0);
	reg_close(h);
	struct stat st;
	assert_int_equal(stat(logpath, &st), 0);
	assert_int_equal(st.st_size, 0);
	h = rt_open_dir(d, 0, 0);
	assert_int_equal(reg_get_info(h)->state, REG_STATE_CLEAN);
	assert_string_equal(root_name(h), "WBCK");
	assert_true(reg_get_info(h)->seq1 > 2);
	struct reg_value *v;
	assert_int_equal(reg_get_value(h, "after\\recovery", "edit", &v), 0);
	reg_value_free(v);
	/* Nothing left to recover. */
	assert_int_equal(reg_write_recovered(h, path), REG_ERR_NOT_DIRTY);
	reg_close(h);
	free(path);
	free(logpath);
	free(d);
}

/* A clean hive's logs are ignored by Windows, but an edit still gets a
 * sequence number above every entry in them. */
static void test_clean_hive_with_logs(void **state)
{
	(void)state;
	char *d = hive_case("cleanlogs", 5, 5, 5);
	uint8_t page[4096];
	page_named(page, "LOGD");
	size_t len;
	uint8_t *log = rt_build_new_log(9, 2, page, &len); /* 9, 10 */
	char *logpath = rt_write(d, "HIVE.LOG1", log, len);
	free(log);
	struct reg_hive *h = rt_open_dir(d, REG_OPEN_WRITE, 0);
	const struct reg_info *in = reg_get_info(h);
	assert_int_equal(in->state, REG_STATE_CLEAN);
	assert_string_equal(root_name(h), "ROOT"); /* the log is not used */
	assert_int_equal(in->nlogs, 1);
	assert_int_equal(in->logs[0].last_seq, 10);
	assert_int_equal(reg_set_dword(h, "K", "v", 1), 0);
	assert_int_equal(reg_commit(h), 0);
	assert_int_equal(reg_logs_after_commit(h), REG_LOGS_KEEP);
	reg_close(h);
	h = rt_open_dir(d, 0, 0);
	assert_int_equal(reg_get_info(h)->seq1, 11);
	assert_int_equal(reg_get_info(h)->seq2, 11);
	reg_close(h);
	/* The log itself was left alone. */
	struct stat st;
	assert_int_equal(stat(logpath, &st), 0);
	assert_int_equal((size_t)st.st_size, len);
	free(logpath);
	free(d);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_single_log),
		cmocka_unit_test(test_new_two_logs_any_order),
		cmocka_unit_test(test_new_stale_and_gap),
		cmocka_unit_test(test_new_damaged_entries),
		cmocka_unit_test(test_bad_log_base_blocks),
		cmocka_unit_test(test_new_bad_primary_base_block),
		cmocka_unit_test(test_new_grows_hive),
		cmocka_unit_test(test_new_growth_bounded),
		cmocka_unit_test(test_recovery_result_checked),
		cmocka_unit_test(test_old_format),
		cmocka_unit_test(test_write_back_and_logs),
		cmocka_unit_test(test_clean_hive_with_logs),
	};
	return cmocka_run_group_tests(tests, rt_setup, rt_teardown);
}

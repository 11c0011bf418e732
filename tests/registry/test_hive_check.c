/*
 * test_hive_check.c - base block validation and the structural check, on
 * hives built byte by byte (one comment per field in regtest.c) and broken
 * one field at a time.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry/internal.h"
#include "registry/marvin32.h"
#include "tests/lib/hvotest.h"
#include "tests/registry/regtest.h"
#include "util/bytes.h"

/* Opens @buf written as a file; returns the error and the state. */
static int open_buf(const uint8_t *buf, size_t len, unsigned flags,
		    enum reg_state *state, char *msg, size_t msglen)
{
	char *path = rt_write(rt_tmpdir, "hive", buf, len);
	struct reg_hive *h;
	struct reg_open_opts o = { .flags = flags | REG_OPEN_NO_LOGS };
	int rc = reg_open(path, &o, &h);
	assert_non_null(h);
	if (state)
		*state = reg_get_info(h)->state;
	if (msg)
		snprintf(msg, msglen, "%s", reg_errmsg(h));
	reg_close(h);
	free(path);
	return rc;
}

static void test_checksum(void **state)
{
	(void)state;
	uint8_t b[512] = { 0 };
	/* All zero: XOR is 0, which is stored as 1. */
	assert_int_equal(reg_int_regf_checksum(b), 1);
	/* XOR -1 is stored as -2. */
	put_le32(b, 0xffffffffu);
	assert_int_equal(reg_int_regf_checksum(b), 0xfffffffeu);
	put_le32(b, 0x12345678);
	put_le32(b + 504, 0x0000ffff);
	assert_int_equal(reg_int_regf_checksum(b), 0x1234a987u);
	/* The checksum field itself is not covered. */
	put_le32(b + 508, 0xdeadbeef);
	assert_int_equal(reg_int_regf_checksum(b), 0x1234a987u);
}

/* The hashes Windows stored in real log entries are the reference. */
static void test_marvin32_windows_entries(void **state)
{
	(void)state;
	size_t len;
	uint8_t *log = hvo_test_read_file(
		hvo_fixture("hive/yarp/NewDirtyHive1/NewDirtyHive.LOG2"), &len);
	size_t off = 512;
	unsigned n = 0;
	while (off + 40 <= len && memcmp(log + off, "HvLE", 4) == 0) {
		uint32_t size = get_le32(log + off + 4);
		assert_int_equal(reg_int_marvin32(log + off + 40, size - 40,
						  MARVIN32_REGISTRY_SEED),
				 get_le64(log + off + 24));
		assert_int_equal(
			reg_int_marvin32(log + off, 32, MARVIN32_REGISTRY_SEED),
			get_le64(log + off + 32));
		off += size;
		n++;
	}
	assert_int_equal(n, 3);
	free(log);
	/* Tails of 0-3 bytes take the padding path: hashes differ. */
	const uint8_t d[4] = { 1, 2, 3, 4 };
	uint64_t h[5];
	for (int i = 0; i <= 4; i++)
		h[i] = reg_int_marvin32(d, (size_t)i, MARVIN32_REGISTRY_SEED);
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			assert_true(h[i] != h[j]);
}

static void test_valid_built_hive(void **state)
{
	(void)state;
	uint8_t hive[RT_HIVE_SIZE];
	rt_build_hive(hive, 1, 1, 5);
	enum reg_state st;
	char msg[512];
	assert_int_equal(open_buf(hive, sizeof(hive), 0, &st, msg, sizeof(msg)),
			 0);
	assert_int_equal(st, REG_STATE_CLEAN);
	/* libhivex, the independent reader, agrees. */
	char *path = rt_write(rt_tmpdir, "hive", hive, sizeof(hive));
	char *out = rt_hivexsh(path, "lsval");
	free(out);
	free(path);
}

struct breakage {
	const char *what;
	size_t off;	 /* offset in the file */
	uint32_t value;	 /* 32-bit value put there */
	int size;	 /* 4, 2 or 1 bytes */
	bool reseal;	 /* recompute the base block checksum */
	int want;	 /* reg_open() result */
	const char *msg; /* part of the message */
};

static void test_broken_hives(void **state)
{
	(void)state;
	const uint32_t bin = 4096, root = 4096 + RT_ROOT + 4,
		       sk = 4096 + RT_SK + 4;
	const struct breakage cases[] = {
		{ "signature", 0, 0x66676572 + 1, 4, true, REG_ERR_NOT_HIVE,
		  "not a registry hive" },
		{ "major version 2", 20, 2, 4, true, REG_ERR_UNSUPPORTED,
		  "version 2." },
		{ "minor version 7", 24, 7, 4, true, REG_ERR_UNSUPPORTED,
		  "1.7" },
		{ "minor version 2 (NT 3.x cells)", 24, 2, 4, true,
		  REG_ERR_UNSUPPORTED, "1.2" },
		{ "file format 2", 32, 2, 4, true, REG_ERR_UNSUPPORTED,
		  "file format 2" },
		{ "file type 6 (a log)", 28, 6, 4, true, REG_ERR_NOT_HIVE,
		  "transaction log" },
		{ "hive bins size not a multiple of 4096", 40, 0x1001, 4, true,
		  REG_ERR_CORRUPT, "multiple of 4096" },
		{ "hive bins size zero", 40, 0, 4, true, REG_ERR_CORRUPT,
		  "multiple of 4096" },
		{ "hive bins beyond the file", 40, 0x2000, 4, true,
		  REG_ERR_TRUNCATED, "truncated" },
		{ "root offset unaligned", 36, RT_ROOT + 4, 4, true,
		  REG_ERR_CORRUPT, "root cell" },
		{ "root offset outside the bins", 36, 0x5000, 4, true,
		  REG_ERR_CORRUPT, "root cell" },
		{ "root is the security cell", 36, RT_SK, 4, true,
		  REG_ERR_CORRUPT, "root cell" },
		{ "hbin signature", bin, 0x6e696268 + 1, 4, false,
		  REG_ERR_CORRUPT, "hbin" },
		{ "hbin offset field", bin + 4, 0x1000, 4, false,
		  REG_ERR_CORRUPT, "says it is at" },
		{ "hbin size larger than the bins", bin + 8, 0x2000, 4, false,
		  REG_ERR_CORRUPT, "size 0x2000" },
		{ "hbin size not a multiple of 4096", bin + 8, 0x800, 4, false,
		  REG_ERR_CORRUPT, "size 0x800" },
		{ "root cell size zero", bin + RT_ROOT, 0, 4, false,
		  REG_ERR_CORRUPT, "invalid size" },
		{ "root cell size not a multiple of 8", bin + RT_ROOT,
		  (uint32_t)-84, 4, false, REG_ERR_CORRUPT, "invalid size" },
		{ "root cell runs past its bin", bin + RT_ROOT,
		  (uint32_t)-0x2000, 4, false, REG_ERR_CORRUPT,
		  "invalid size" },
		{ "root cell free", bin + RT_ROOT, 88, 4, false,
		  REG_ERR_CORRUPT, "root cell" },
		{ "root name longer than its cell", root + 72, 200, 2, false,
		  REG_ERR_CORRUPT, "overruns" },
		{ "subkey count without a list", root + 20, 1, 4, false,
		  REG_ERR_CORRUPT, "subkey list" },
		{ "value count without a list", root + 36, 3, 4, false,
		  REG_ERR_CORRUPT, "value list" },
		{ "security offset to a free cell", root + 44, RT_FREE, 4,
		  false, REG_ERR_CORRUPT, "security record" },
		{ "security cell signature", sk, 0x6b74, 2, false,
		  REG_ERR_CORRUPT, "expected 'sk'" },
		{ "class name without a cell", root + 74, 8, 2, false,
		  REG_ERR_CORRUPT, "class name" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct breakage *c = &cases[i];
		uint8_t hive[RT_HIVE_SIZE];
		rt_build_hive(hive, 1, 1, 5);
		if (c->size == 4)
			put_le32(hive + c->off, c->value);
		else if (c->size == 2)
			put_le16(hive + c->off, (uint16_t)c->value);
		else
			hive[c->off] = (uint8_t)c->value;
		if (c->reseal)
			rt_seal(hive);
		char msg[512];
		enum reg_state st;
		int rc = open_buf(hive, sizeof(hive), 0, &st, msg, sizeof(msg));
		if (rc != c->want || strstr(msg, c->msg) == NULL)
			fail_msg("%s: got %d '%s', want %d '%s'", c->what, rc,
				 msg, c->want, c->msg);
		assert_int_equal(st, REG_STATE_CORRUPT);
		/* Corrupt input is exit 5. */
		assert_int_equal(reg_exit_class(rc), HVO_EXIT_CORRUPT);
	}
}

static void test_short_files(void **state)
{
	(void)state;
	uint8_t hive[RT_HIVE_SIZE];
	rt_build_hive(hive, 1, 1, 5);
	const size_t lens[] = { 0, 3, 4, 511, 4095, 4096, 4097, 8191 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		int rc = open_buf(hive, lens[i], 0, NULL, NULL, 0);
		int want = lens[i] < 4 ? REG_ERR_NOT_HIVE : REG_ERR_TRUNCATED;
		if (rc != want)
			fail_msg("%zu bytes: got %d, want %d", lens[i], rc,
				 want);
	}
}

/* Subkey structures: a list made by hand in the free cell. */
static void build_with_list(uint8_t *hive, const char *sig, uint16_t count,
			    uint32_t target)
{
	rt_build_hive(hive, 1, 1, 5);
	uint8_t *root = hive + 4096 + RT_ROOT + 4;
	uint8_t *list = hive + 4096 + RT_FREE;
	put_le32(list, (uint32_t)-16); /* allocated cell, 16 bytes */
	memcpy(list + 4, sig, 2);      /* li / lf / lh / ri */
	put_le16(list + 6, count);     /* entries */
	put_le32(list + 8, target);    /* entry 0: key node */
	put_le32(list + 12, 0);	       /* entry 0: hint / hash */
	put_le32(hive + 4096 + RT_FREE + 16, 0x1000 - RT_FREE - 16);
	put_le32(root + 20, count);   /* subkeys */
	put_le32(root + 28, RT_FREE); /* subkey list */
}

static void test_broken_lists(void **state)
{
	(void)state;
	uint8_t hive[RT_HIVE_SIZE];
	char msg[512];
	/* The root as its own subkey: a cycle. */
	build_with_list(hive, "lh", 1, RT_ROOT);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "reached twice"));
	/* A list that is not a list. */
	build_with_list(hive, "zz", 1, RT_ROOT);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "li/lf/lh/ri"));
	/* More entries than the cell holds. */
	build_with_list(hive, "lf", 50, RT_ROOT);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "overrun"));
	/* A subkey that is the security cell (too small for a key). */
	build_with_list(hive, "li", 1, RT_SK);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "key 0x78 (from 0x20): cell of 44"));
	/* A subkey that is a big enough cell of another kind. */
	build_with_list(hive, "li", 1, RT_FREE + 16);
	put_le32(hive + 4096 + RT_FREE + 16, (uint32_t)-96); /* 96 bytes */
	memcpy(hive + 4096 + RT_FREE + 20, "vk", 2);	     /* not "nk" */
	put_le32(hive + 4096 + RT_FREE + 112, 0x1000 - RT_FREE - 112);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "expected 'nk'"));
	/* An index root pointing to itself (ri -> ri). */
	build_with_list(hive, "ri", 1, RT_FREE);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "not a leaf"));
	/* Count in the key differs from the list's. */
	build_with_list(hive, "lh", 0, RT_ROOT);
	put_le32(hive + 4096 + RT_ROOT + 4 + 20, 1);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "says 1 subkeys"));
}

static void test_broken_values(void **state)
{
	(void)state;
	uint8_t hive[RT_HIVE_SIZE];
	char msg[512];
	/* A value list in the free cell pointing at a vk after it. */
	const uint32_t list = RT_FREE, vk = RT_FREE + 8, data = vk + 32;
	rt_build_hive(hive, 1, 1, 5);
	uint8_t *bin = hive + 4096;
	put_le32(bin + list, (uint32_t)-8);  /* value list cell, 8 bytes */
	put_le32(bin + list + 4, vk);	     /* value 0 */
	put_le32(bin + vk, (uint32_t)-32);   /* vk cell, 32 bytes */
	memcpy(bin + vk + 4, "vk", 2);	     /* signature */
	put_le16(bin + vk + 6, 1);	     /* name length */
	put_le32(bin + vk + 8, 8);	     /* data size */
	put_le32(bin + vk + 12, data);	     /* data cell */
	put_le32(bin + vk + 16, 3);	     /* REG_BINARY */
	put_le16(bin + vk + 20, 1);	     /* COMP_NAME */
	bin[vk + 24] = 'v';		     /* name */
	put_le32(bin + data, (uint32_t)-16); /* data cell, 16 bytes */
	put_le32(bin + data + 16, 0x1000 - data - 16); /* free rest */
	put_le32(bin + RT_ROOT + 4 + 36, 1);	       /* values */
	put_le32(bin + RT_ROOT + 4 + 40, list);	       /* value list */
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)), 0);

	/* Data larger than its cell. */
	put_le32(bin + vk + 8, 13);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "13 bytes of data"));
	/* Inline data of 5 bytes. */
	put_le32(bin + vk + 8, 0x80000005u);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "inline"));
	/* Big data (> 16344 bytes) whose cell is no db record. */
	put_le32(bin + vk + 8, 20000);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "big-data record"));
	/* A db record with too few segments. */
	memcpy(bin + data + 4, "db", 2);
	put_le16(bin + data + 6, 1);	/* 1 segment for 20000 bytes */
	put_le32(bin + data + 8, list); /* segment list */
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "in 1 segments"));
	/* Value name overrunning its cell. */
	put_le32(bin + vk + 8, 8);
	put_le16(bin + vk + 6, 100);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "name of 100 bytes"));
	/* The value list pointing at the root key. */
	put_le16(bin + vk + 6, 1);
	put_le32(bin + list + 4, RT_ROOT);
	assert_int_equal(
		open_buf(hive, sizeof(hive), 0, NULL, msg, sizeof(msg)),
		REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "expected 'vk'"));
}

static void test_deep_nesting(void **state)
{
	(void)state;
	/* REG_MAX_DEPTH + 2 keys in a chain, each in its own cells. */
	const unsigned n = REG_MAX_DEPTH + 2;
	const uint32_t per = 88 + 16; /* nk + one-entry li */
	uint32_t hbs = ((32 + RT_FREE + n * per) / 4096 + 1) * 4096;
	size_t len = 4096 + hbs;
	uint8_t *hive = calloc(1, len);
	assert_non_null(hive);
	uint8_t small[RT_HIVE_SIZE];
	rt_build_hive(small, 1, 1, 5);
	memcpy(hive, small, 4096 + RT_FREE);
	put_le32(hive + 40, hbs);
	rt_seal(hive);
	uint8_t *bin = hive + 4096;
	put_le32(bin + 8, hbs);
	uint32_t parent = RT_ROOT, pos = RT_FREE;
	for (unsigned i = 0; i < n; i++) {
		uint32_t li = pos, nk = pos + 16;
		put_le32(bin + li, (uint32_t)-16);
		memcpy(bin + li + 4, "li", 2);
		put_le16(bin + li + 6, 1);
		put_le32(bin + li + 8, nk);
		put_le32(bin + parent + 4 + 20, 1);
		put_le32(bin + parent + 4 + 28, li);
		memcpy(bin + nk, bin + RT_ROOT, 88);
		put_le16(bin + nk + 6, 0x20); /* COMP_NAME */
		put_le32(bin + nk + 4 + 16, parent);
		put_le32(bin + nk + 4 + 20, 0);
		parent = nk;
		pos += per;
	}
	put_le32(bin + pos, hbs - pos);
	char msg[512];
	assert_int_equal(open_buf(hive, len, 0, NULL, msg, sizeof(msg)),
			 REG_ERR_CORRUPT);
	assert_non_null(strstr(msg, "deeper than 512"));
	free(hive);
}

static void test_dirty_without_logs(void **state)
{
	(void)state;
	uint8_t hive[RT_HIVE_SIZE];
	rt_build_hive(hive, 2, 1, 5);
	enum reg_state st;
	char msg[512];
	/* Readable (as it is)... */
	assert_int_equal(open_buf(hive, sizeof(hive), 0, &st, msg, sizeof(msg)),
			 0);
	assert_int_equal(st, REG_STATE_DIRTY_NO_LOGS);
	/* ...refused for writing, exit 4. */
	int rc = open_buf(hive, sizeof(hive), REG_OPEN_WRITE, &st, msg,
			  sizeof(msg));
	assert_int_equal(rc, REG_ERR_NO_LOGS);
	assert_int_equal(reg_exit_class(rc), HVO_EXIT_REFUSED);
	assert_non_null(strstr(msg, "sequence numbers differ (2/1)"));
	/* A bad checksum is dirty too ("Dirty state of a hive"). */
	rt_build_hive(hive, 1, 1, 5);
	hive[508] ^= 1;
	rc = open_buf(hive, sizeof(hive), REG_OPEN_WRITE, &st, msg,
		      sizeof(msg));
	assert_int_equal(rc, REG_ERR_NO_LOGS);
	assert_non_null(strstr(msg, "checksum"));
	/* Dirty and truncated: corrupt. */
	rt_build_hive(hive, 2, 1, 5);
	rc = open_buf(hive, 6000, 0, &st, msg, sizeof(msg));
	assert_int_equal(rc, REG_ERR_TRUNCATED);
	assert_int_equal(st, REG_STATE_CORRUPT);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_marvin32_windows_entries),
		cmocka_unit_test(test_valid_built_hive),
		cmocka_unit_test(test_broken_hives),
		cmocka_unit_test(test_short_files),
		cmocka_unit_test(test_broken_lists),
		cmocka_unit_test(test_broken_values),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_dirty_without_logs),
	};
	return cmocka_run_group_tests(tests, rt_setup, rt_teardown);
}

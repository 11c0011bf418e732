/*
 * test_sha256_fileio.c - SHA-256/base64 wrappers and careful file writes.
 *
 * Digest expectations are the FIPS 180-2 test vectors and values computed by
 * coreutils' sha256sum, not by our own code.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/lib/hvotest.h"
#include "util/fileio.h"
#include "util/sha256.h"

static void test_vectors(void **state)
{
	(void)state;
	char hex[65];
	hvo_test_sha256_buf("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	hvo_test_sha256_buf("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
}

/* Hex back to a digest: the inverse of hvo_int_sha256_hex, either case,
 * and nothing that is not exactly 64 hex digits. */
static void test_from_hex(void **state)
{
	(void)state;
	uint8_t d[32], back[32];
	char hex[65];
	hvo_int_sha256_buf("abc", 3, d);
	hvo_int_sha256_hex(d, hex);
	assert_true(hvo_int_sha256_from_hex(hex, back));
	assert_memory_equal(d, back, 32);
	assert_true(hvo_int_sha256_from_hex("BA7816BF8F01CFEA414140DE5DAE2223"
					    "B00361A396177A9CB410FF61F20015AD"
					    "  ./name",
					    back));
	assert_memory_equal(d, back, 32);
	assert_false(hvo_int_sha256_from_hex("ba7816bf", back)); /* short */
	assert_false(hvo_int_sha256_from_hex("ga7816bf8f01cfea414140de5dae2223"
					     "b00361a396177a9cb410ff61f20015ad",
					     back));
	assert_false(
		hvo_int_sha256_from_hex("ba7816bf8f01cfea414140de5dae2223"
					"b00361a396177a9cb410ff61f20015ad0",
					back)); /* 65 digits */
}

static void test_base64(void **state)
{
	(void)state;
	uint8_t out[32];
	/* SHA-256("abc") in base64, as manifests store DigestValue. */
	long n = hvo_int_base64_decode(
		" ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\n", out,
		sizeof(out));
	assert_int_equal(n, 32);
	assert_int_equal(out[0], 0xba);
	assert_int_equal(out[31], 0xad);
	assert_int_equal(hvo_int_base64_decode("not base64!", out, sizeof(out)),
			 -1);
	assert_int_equal(hvo_int_base64_decode("", out, sizeof(out)), -1);
	/* Too long for the buffer. */
	assert_int_equal(hvo_int_base64_decode("QUJDRA==", out, 3), -1);
}

static void test_atomic_commit_and_abort(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char path[4200];
	snprintf(path, sizeof(path), "%s/target", dir);
	hvo_test_write_file(path, "old", 3);

	/* Abort: the original stays, no temporary file is left. */
	struct hvo_atomic_file af;
	assert_int_equal(hvo_int_atomic_open(path, 0640, &af), 0);
	assert_int_equal(hvo_int_write_all(af.fd, "new!", 4), 0);
	hvo_int_atomic_abort(&af);
	size_t len;
	uint8_t *buf = hvo_test_read_file(path, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "old", 3);
	free(buf);
	assert_int_equal(hvo_test_dir_count(dir, ""), 1);

	/* Commit: the new content replaces it, with the requested mode. */
	assert_int_equal(hvo_int_atomic_open(path, 0640, &af), 0);
	assert_int_equal(hvo_int_write_all(af.fd, "new!", 4), 0);
	assert_int_equal(hvo_int_atomic_commit(&af), 0);
	buf = hvo_test_read_file(path, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "new!", 4);
	free(buf);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(hvo_test_dir_count(dir, ""), 1);

	/* hvo_int_read_file: limits and content. */
	uint8_t *rb;
	assert_int_equal(hvo_int_read_file(path, 3, &rb, &len), EFBIG);
	assert_int_equal(hvo_int_read_file(path, 4, &rb, &len), 0);
	assert_int_equal(len, 4);
	assert_int_equal(rb[4], 0);
	free(rb);
	assert_int_equal(hvo_int_read_file(dir, 100, &rb, &len), EISDIR);

	char hex[65];
	hvo_test_sha256_file(path, hex);
	/* printf 'new!' | sha256sum */
	assert_string_equal(hex, "bdd1e524e5c90bee91a4f1ac4a087ca0"
				 "012e36235ab24b5136d2a6388e7ad58b");

	hvo_test_rmtree(dir);
	free(dir);
}

static void test_atomic_open_missing_dir(void **state)
{
	(void)state;
	struct hvo_atomic_file af;
	assert_int_equal(
		hvo_int_atomic_open("/nonexistent-hvo/dir/file", 0644, &af),
		ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_from_hex),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_atomic_commit_and_abort),
		cmocka_unit_test(test_atomic_open_missing_dir),
	};
	return cmocka_run_group_tests_name("util/sha256+fileio", tests, NULL,
					   NULL);
}

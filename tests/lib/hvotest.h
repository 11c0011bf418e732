/*
 * hvotest.h - helpers shared by the cmocka unit tests.
 *
 * Tests read the real-world inputs in place at ../shared/fixtures (beside
 * the project checkout).  A test that needs them calls
 * hvo_test_fixtures_or_exit() from main(): when the fixtures are missing it
 * skips (exit 77), except under CI=true, where it fails loudly (exit 99) so
 * that a broken CI checkout can never pass by skipping.
 */
#ifndef HVO_TESTS_HVOTEST_H
#define HVO_TESTS_HVOTEST_H

#include <stddef.h>
#include <stdint.h>

/* Automake's exit codes for a skipped test and a hard error. */
#define HVO_TEST_SKIP	    77
#define HVO_TEST_HARD_ERROR 99

/* The fixtures directory, or NULL if it does not exist. */
const char *hvo_test_fixtures(void);

/* The fixtures directory; exits 77 (skip) or, under CI=true, 99. */
const char *hvo_test_fixtures_or_exit(void);

/* Path of a fixture, "<fixtures>/<rel>" (static buffer, overwritten by the
 * next call); exits like hvo_test_fixtures_or_exit() when missing. */
const char *hvo_fixture(const char *rel);

/* The source and build trees (from the test environment or configure). */
const char *hvo_test_srcdir(void);
const char *hvo_test_builddir(void);

/* Makes a fresh temporary directory (removed by hvo_test_rmtree). */
char *hvo_test_mkdtemp(void);
/* Removes a directory tree; NULL is accepted. */
void hvo_test_rmtree(const char *dir);

/* How many entries of directory @dir (but "." and "..") have a name
 * starting with @prefix ("" for all); fails the test when @dir cannot be
 * read. */
unsigned hvo_test_dir_count(const char *dir, const char *prefix);

/* Writes @len bytes to @path, creating or truncating it; aborts the test
 * on failure. */
void hvo_test_write_file(const char *path, const void *data, size_t len);

/* Reads a whole file (caller frees); aborts the test on failure. */
uint8_t *hvo_test_read_file(const char *path, size_t *len_ret);

/* Lower-case hex SHA-256 of a file or buffer into @hex (65 bytes). */
void hvo_test_sha256_file(const char *path, char hex[65]);
void hvo_test_sha256_buf(const void *data, size_t len, char hex[65]);

/* The SHA-256 of @path must still be @before (taken with
 * hvo_test_sha256_file): the file was left byte-identical.  A difference
 * fails the test. */
void hvo_test_expect_sha256(const char *path, const char before[65]);

/*
 * Runs a shell command and returns its exit status (or -1); the command's
 * stdout is captured into *@out_ret (caller frees) when @out_ret is not
 * NULL.  For tests that consult an independent tool (cabextract,
 * qemu-img, hivexsh).
 */
int hvo_test_run(const char *cmd, char **out_ret);

/* Whether a program is on PATH. */
int hvo_test_have_program(const char *name);

#endif /* HVO_TESTS_HVOTEST_H */

/*
 * pkgtest.h - helpers shared by the tests of src/package.
 *
 * The real IC cabinets are unpacked with cabextract (an independent tool,
 * the test oracle) into a temporary directory, so that buffer-level
 * parsers can be checked file by file and expected values can be read
 * with iconv, xmllint and grep rather than from our own output.
 */
#ifndef HVO_TESTS_PKGTEST_H
#define HVO_TESTS_PKGTEST_H

#include <stddef.h>
#include <stdint.h>

#include "package/package.h"

/* The 6.2 x64 and 6.x x86 packages of ../shared/fixtures/ic. */
#define IC62_CAB "ic/Windows6.2-HyperVIntegrationServices-x64.cab"
#define IC6X_CAB "ic/Windows6.x-HyperVIntegrationServices-x86.cab"

/*
 * Unpacks fixture @rel with cabextract into a new temporary directory
 * (remove with hvo_test_rmtree).  Skips the test (77) when cabextract or
 * the fixtures are missing, except under CI=true where that is fatal.
 */
char *pkgtest_extract(const char *rel);

/* Exits 77 (99 under CI=true) unless every program named is on PATH. */
void pkgtest_require(const char *const *programs);

/* Every regular file below @dir, relative, '/'-separated, sorted; the
 * array is NULL-terminated (free with pkgtest_free_list). */
char **pkgtest_list(const char *dir, size_t *n_ret);
void pkgtest_free_list(char **list);

/* Reads "<dir>/<rel>" (caller frees). */
uint8_t *pkgtest_read(const char *dir, const char *rel, size_t *len_ret);

/* Runs a shell command built from @fmt; asserts it exits 0 and returns
 * its stdout with trailing newlines removed (caller frees). */
char *pkgtest_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Splits @text at newlines into a NULL-terminated array (caller frees
 * with pkgtest_free_list); empty lines are dropped. */
char **pkgtest_lines(const char *text, size_t *n_ret);

/* Whether @s is in the NULL-terminated @list. */
int pkgtest_in_list(char **list, const char *s);

/* The peak resident set size of this process, in KiB. */
long pkgtest_maxrss_kib(void);

/* Fails the test with the message of @e. */
void pkgtest_fail_err(const struct pkg_error *e);

/* The driver @inf resolves to, in @arena, for @arch NT @major.@minor; an
 * error fails the test. */
const struct pkg_driver *pkgtest_resolve(struct pkg_arena *arena,
					 const struct pkg_inf *inf,
					 const char *arch, unsigned major,
					 unsigned minor);

#endif /* HVO_TESTS_PKGTEST_H */

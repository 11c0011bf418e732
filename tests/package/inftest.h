/*
 * inftest.h - helpers shared by the INF tests (test_inf.c,
 * test_inf_install.c): parse and resolve INF texts in one arena per test
 * program, failing the test with the library's message on an error.
 */
#ifndef HVO_TESTS_INFTEST_H
#define HVO_TESTS_INFTEST_H

#include <stddef.h>

#include "package/package.h"

/* The arena of the test program: a group setup makes it, the teardown
 * frees it. */
extern struct pkg_arena *inft_arena;
int inft_setup(void **state);
int inft_teardown(void **state);

/* The INF @text (of @len bytes) parsed as "t.inf"; an error fails the
 * test. */
struct pkg_inf *inft_parse_len(const void *text, size_t len);
struct pkg_inf *inft_parse(const char *text);

/* The driver @inf resolves to for @arch NT @major.@minor; an error fails
 * the test. */
const struct pkg_driver *inft_resolve(const struct pkg_inf *inf,
				      const char *arch, unsigned major,
				      unsigned minor);

/* Expects parse (and, when it parses, resolve for amd64 6.2) to fail
 * with @want and a message containing @text, of exit class "corrupt". */
void inft_fails(const void *buf, size_t len, enum pkg_err want,
		const char *text);
void inft_fails_str(const char *text, enum pkg_err want, const char *msg);

/* Line @i of section @sec, which must exist. */
const struct pkg_inf_line *inft_line(const struct pkg_inf *inf, const char *sec,
				     size_t i);

/* @raw with the INF's %strkey% substituted; an error fails the test. */
char *inft_subst(const struct pkg_inf *inf, const char *raw);

#endif /* HVO_TESTS_INFTEST_H */

/*
 * inftest.c - helpers shared by the INF tests (see inftest.h).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "package/package.h"
#include "tests/package/inftest.h"
#include "tests/package/pkgtest.h"

struct pkg_arena *inft_arena;

int inft_setup(void **state)
{
	(void)state;
	inft_arena = pkg_arena_new();
	return inft_arena ? 0 : -1;
}

int inft_teardown(void **state)
{
	(void)state;
	pkg_arena_free(inft_arena);
	return 0;
}

struct pkg_inf *inft_parse_len(const void *text, size_t len)
{
	struct pkg_inf *inf;
	struct pkg_error e = { 0 };
	if (pkg_inf_parse(inft_arena, text, len, "t.inf", &inf, &e))
		pkgtest_fail_err(&e);
	return inf;
}

struct pkg_inf *inft_parse(const char *text)
{
	return inft_parse_len(text, strlen(text));
}

const struct pkg_driver *inft_resolve(const struct pkg_inf *inf,
				      const char *arch, unsigned major,
				      unsigned minor)
{
	return pkgtest_resolve(inft_arena, inf, arch, major, minor);
}

/* Expects parse (and, when it parses, resolve for amd64 6.2) to fail
 * with @want and a message containing @text. */
void inft_fails(const void *buf, size_t len, enum pkg_err want,
		const char *text)
{
	struct pkg_inf *inf;
	struct pkg_error e = { 0 };
	enum pkg_err rc =
		pkg_inf_parse(inft_arena, buf, len, "t.inf", &inf, &e);
	if (rc == PKG_OK) {
		struct pkg_target t = { .arch = "amd64",
					.nt_major = 6,
					.nt_minor = 2 };
		struct pkg_driver *d;
		rc = pkg_inf_resolve(inft_arena, inf, &t, &d, &e);
	}
	char msg[700];
	pkg_errmsg(&e, msg, sizeof(msg));
	if (rc != want || strstr(msg, text) == NULL)
		fail_msg("expected %d '%s', got %d '%s'", want, text, rc, msg);
	assert_int_equal(pkg_exit_class(&e), HVO_EXIT_CORRUPT);
}

void inft_fails_str(const char *text, enum pkg_err want, const char *msg)
{
	inft_fails(text, strlen(text), want, msg);
}

const struct pkg_inf_line *inft_line(const struct pkg_inf *inf, const char *sec,
				     size_t i)
{
	const struct pkg_inf_section *s = pkg_inf_section(inf, sec);
	assert_non_null(s);
	assert_true(i < s->nlines);
	return &s->lines[i];
}

char *inft_subst(const struct pkg_inf *inf, const char *raw)
{
	struct pkg_error e = { 0 };
	char *s = pkg_inf_subst(inft_arena, inf, raw, 1, &e);
	if (s == NULL)
		pkgtest_fail_err(&e);
	return s;
}

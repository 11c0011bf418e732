/*
 * pkgtest.c - helpers shared by the tests of src/package (see pkgtest.h).
 */
#include <config.h>

#include <dirent.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tests/lib/hvotest.h"
#include "tests/package/pkgtest.h"

static void skip_or_fail(const char *what)
{
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "true") == 0) {
		fprintf(stderr, "FATAL: %s, and CI=true: refusing to skip\n",
			what);
		exit(HVO_TEST_HARD_ERROR);
	}
	fprintf(stderr, "SKIP: %s\n", what);
	exit(HVO_TEST_SKIP);
}

void pkgtest_require(const char *const *programs)
{
	for (size_t i = 0; programs[i]; i++)
		if (!hvo_test_have_program(programs[i])) {
			char msg[256];
			snprintf(msg, sizeof(msg), "%s is not installed",
				 programs[i]);
			skip_or_fail(msg);
		}
}

char *pkgtest_extract(const char *rel)
{
	static const char *const need[] = { "cabextract", NULL };
	pkgtest_require(need);
	const char *cab = hvo_fixture(rel);
	char *dir = hvo_test_mkdtemp();
	char *cmd;
	if (asprintf(&cmd, "cabextract -q -d '%s' '%s' 2>/dev/null", dir, cab) <
	    0)
		abort();
	int rc = hvo_test_run(cmd, NULL);
	free(cmd);
	if (rc != 0) {
		fprintf(stderr, "cabextract %s failed (%d)\n", cab, rc);
		abort();
	}
	return dir;
}

struct list {
	char **v;
	size_t n, cap;
};

static void push(struct list *l, char *s)
{
	if (l->n + 2 > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			abort();
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

static void walk(const char *root, const char *rel, struct list *l)
{
	char *path;
	if (asprintf(&path, "%s%s%s", root, rel[0] ? "/" : "", rel) < 0)
		abort();
	DIR *d = opendir(path);
	if (d == NULL)
		abort();
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *child, *full;
		if (asprintf(&child, "%s%s%s", rel, rel[0] ? "/" : "",
			     e->d_name) < 0 ||
		    asprintf(&full, "%s/%s", path, e->d_name) < 0)
			abort();
		struct stat st;
		if (lstat(full, &st) != 0)
			abort();
		if (S_ISDIR(st.st_mode)) {
			walk(root, child, l);
			free(child);
		} else {
			push(l, child);
		}
		free(full);
	}
	closedir(d);
	free(path);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **pkgtest_list(const char *dir, size_t *n_ret)
{
	struct list l = { 0 };
	push(&l, NULL);
	l.n = 0;
	walk(dir, "", &l);
	qsort(l.v, l.n, sizeof(*l.v), cmp);
	if (n_ret)
		*n_ret = l.n;
	return l.v;
}

void pkgtest_free_list(char **list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; list[i]; i++)
		free(list[i]);
	free(list);
}

uint8_t *pkgtest_read(const char *dir, const char *rel, size_t *len_ret)
{
	char *path;
	if (asprintf(&path, "%s/%s", dir, rel) < 0)
		abort();
	uint8_t *b = hvo_test_read_file(path, len_ret);
	free(path);
	return b;
}

char *pkgtest_sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	char *out;
	int rc = hvo_test_run(cmd, &out);
	if (rc != 0) {
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
		abort();
	}
	free(cmd);
	size_t n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return out;
}

char **pkgtest_lines(const char *text, size_t *n_ret)
{
	struct list l = { 0 };
	push(&l, NULL);
	l.n = 0;
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0)
			push(&l, strndup(p, n));
		p += e ? (size_t)(e - p) + 1 : strlen(p);
	}
	if (n_ret)
		*n_ret = l.n;
	return l.v;
}

int pkgtest_in_list(char **list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

long pkgtest_maxrss_kib(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_maxrss;
}

void pkgtest_fail_err(const struct pkg_error *e)
{
	char buf[700];
	fail_msg("%s", pkg_errmsg(e, buf, sizeof(buf)));
}

const struct pkg_driver *pkgtest_resolve(struct pkg_arena *arena,
					 const struct pkg_inf *inf,
					 const char *arch, unsigned major,
					 unsigned minor)
{
	struct pkg_target t = { .arch = arch,
				.nt_major = major,
				.nt_minor = minor };
	struct pkg_driver *d;
	struct pkg_error e = { 0 };
	if (pkg_inf_resolve(arena, inf, &t, &d, &e))
		pkgtest_fail_err(&e);
	return d;
}

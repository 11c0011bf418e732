/*
 * hvotest.c - helpers shared by the unit tests (see hvotest.h).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/sha256.h"
#include "tests/lib/hvotest.h"

const char *hvo_test_srcdir(void)
{
	const char *s = getenv("HVO_TOP_SRCDIR");
	return s && *s ? s : HVO_ABS_TOP_SRCDIR;
}

const char *hvo_test_builddir(void)
{
	const char *s = getenv("HVO_TOP_BUILDDIR");
	return s && *s ? s : HVO_ABS_TOP_BUILDDIR;
}

const char *hvo_test_fixtures(void)
{
	static char path[4096];
	const char *env = getenv("HVO_FIXTURES");
	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "%s/../shared/fixtures",
			 hvo_test_srcdir());
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return path;
}

const char *hvo_test_fixtures_or_exit(void)
{
	const char *dir = hvo_test_fixtures();
	if (dir != NULL)
		return dir;
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "true") == 0) {
		fprintf(stderr,
			"FATAL: fixtures not found at %s/../shared/fixtures "
			"(or $HVO_FIXTURES), and CI=true: refusing to skip\n",
			hvo_test_srcdir());
		exit(HVO_TEST_HARD_ERROR);
	}
	fprintf(stderr, "SKIP: fixtures not found at %s/../shared/fixtures\n",
		hvo_test_srcdir());
	exit(HVO_TEST_SKIP);
}

const char *hvo_fixture(const char *rel)
{
	static char path[4096];
	const char *dir = hvo_test_fixtures_or_exit();
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "FATAL: fixture %s is missing\n", path);
		exit(HVO_TEST_HARD_ERROR);
	}
	return path;
}

char *hvo_test_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl;
	if (asprintf(&tmpl, "%s/hvotest-XXXXXX",
		     base && *base ? base : "/tmp") < 0)
		abort();
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return tmpl;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void hvo_test_rmtree(const char *dir)
{
	if (dir == NULL)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void hvo_test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
}

unsigned hvo_test_dir_count(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "cannot read %s: %s\n", dir, strerror(errno));
		abort();
	}
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

uint8_t *hvo_test_read_file(const char *path, size_t *len_ret)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
		abort();
	}
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (buf == NULL)
			abort();
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
	}
	fclose(f);
	*len_ret = len;
	return buf;
}

void hvo_test_sha256_file(const char *path, char hex[65])
{
	uint8_t d[HVO_SHA256_LEN];
	if (hvo_int_sha256_file(path, d, NULL) != 0) {
		fprintf(stderr, "cannot hash %s\n", path);
		abort();
	}
	hvo_int_sha256_hex(d, hex);
}

void hvo_test_sha256_buf(const void *data, size_t len, char hex[65])
{
	uint8_t d[HVO_SHA256_LEN];
	hvo_int_sha256_buf(data, len, d);
	hvo_int_sha256_hex(d, hex);
}

int hvo_test_run(const char *cmd, char **out_ret)
{
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		abort();
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
	}
	buf[len] = '\0';
	int status = pclose(p);
	if (out_ret)
		*out_ret = buf;
	else
		free(buf);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int hvo_test_have_program(const char *name)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", name);
	return hvo_test_run(cmd, NULL) == 0;
}

void hvo_test_expect_sha256(const char *path, const char before[65])
{
	char now[65];
	hvo_test_sha256_file(path, now);
	if (strcmp(now, before) != 0)
		fail_msg("%s changed: SHA-256 %s, was %s", path, now, before);
}

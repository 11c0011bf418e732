/*
 * test_cab_writer.c - cabinets made by our writer, checked by cabextract.
 *
 * Stored and MSZIP, one file and 1000 files, 0 bytes to 200 MB: every
 * cabinet must pass `cabextract -t` (so its checksums are valid), and
 * what cabextract extracts must be byte for byte the source files, with
 * their dates (DOS dates have 2-second resolution).  Our own reader must
 * read the same.  The sources are generated here; nothing is committed.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cab/cab.h"
#include "tests/lib/hvotest.h"
#include "util/sha256.h"

static uint64_t rng = 88172645463325252ull;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* Writes @size bytes of text-like data (compressible about 3:1) or, with
 * @random, incompressible bytes. */
static void make_file(const char *path, uint64_t size, bool random)
{
	static const char *const words[] = {
		"hyper-v ", "integration ", "services ", "cabinet ", "\n",
		"vmbus ",   "driver ",	    "0x1503 ",	 "LZX ",     "MSZIP ",
	};
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	char buf[65536];
	while (size > 0) {
		size_t n = 0;
		while (n < sizeof(buf) - 16) {
			if (random) {
				uint32_t r = next_rand();
				memcpy(buf + n, &r, 4);
				n += 4;
			} else {
				const char *w = words[next_rand() % 10];
				size_t l = strlen(w);
				memcpy(buf + n, w, l);
				n += l;
				if (next_rand() % 8 == 0)
					buf[n++] =
						(char)('0' + next_rand() % 10);
			}
		}
		if (n > size)
			n = (size_t)size;
		assert_int_equal(fwrite(buf, 1, n, f), n);
		size -= n;
	}
	assert_int_equal(fclose(f), 0);
}

struct src {
	char *name; /* member name, '/' separated */
	char *path;
	char sha[65];
	struct stat st;
};

/* Builds the cabinet, checks it with cabextract and our reader. */
static void roundtrip(const char *dir, struct src *s, size_t n,
		      enum cab_write_method m)
{
	char *cab, *out, *cmd;
	assert_true(asprintf(&cab, "%s/out-%d.cab", dir, (int)m) > 0);
	struct cab_writer *w = NULL;
	assert_int_equal(cab_writer_open(cab, m, &w), 0);
	for (size_t i = 0; i < n; i++)
		if (cab_writer_add_file(w, s[i].name, s[i].path))
			fail_msg("%s", cab_writer_errmsg(w));
	if (cab_writer_finish(w))
		fail_msg("%s", cab_writer_errmsg(w));
	cab_writer_free(w);

	/* cabextract -t checks every CFDATA checksum and the data. */
	assert_true(asprintf(&cmd, "cabextract -q -t '%s' >/dev/null 2>&1",
			     cab) > 0);
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);
	out = hvo_test_mkdtemp();
	assert_true(asprintf(&cmd, "cabextract -q -d '%s' '%s' 2>&1", out,
			     cab) > 0);
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);
	for (size_t i = 0; i < n; i++) {
		char *p, hex[65];
		assert_true(asprintf(&p, "%s/%s", out, s[i].name) > 0);
		hvo_test_sha256_file(p, hex);
		assert_string_equal(hex, s[i].sha);
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		/* cabextract restores the DOS date we stored. */
		long d = (long)(st.st_mtime - s[i].st.st_mtime);
		assert_true(d >= -2 && d <= 2);
		free(p);
	}
	hvo_test_rmtree(out);
	free(out);

	/* Our reader, with checksums verified, in one pass. */
	struct cab *c = NULL;
	assert_int_equal(cab_open(cab, 0, &c), 0);
	assert_int_equal(cab_entry_count(c), n);
	for (size_t i = 0; i < n; i++) {
		const struct cab_entry *e = cab_entry_get(c, i);
		char *want = strdup(s[i].name);
		for (char *q = want; *q; q++)
			if (*q == '/')
				*q = '\\';
		assert_string_equal(e->name, want);
		free(want);
		assert_int_equal(e->size, (uint32_t)s[i].st.st_size);
	}
	char *xdir = hvo_test_mkdtemp();
	struct cab_extract_opts o = { .max_total = 1ull << 40 };
	assert_int_equal(cab_extract(c, xdir, &o, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		char *p, hex[65];
		assert_true(asprintf(&p, "%s/%s", xdir, s[i].name) > 0);
		hvo_test_sha256_file(p, hex);
		assert_string_equal(hex, s[i].sha);
		free(p);
	}
	cab_close(c);
	hvo_test_rmtree(xdir);
	free(xdir);
	unlink(cab);
	free(cab);
}

static void add_src(struct src *s, const char *dir, const char *name,
		    uint64_t size, bool random)
{
	s->name = strdup(name);
	assert_true(asprintf(&s->path, "%s/%s", dir, name) > 0);
	char *slash = strrchr(s->path, '/');
	*slash = '\0';
	mkdir(s->path, 0755);
	*slash = '/';
	make_file(s->path, size, random);
	hvo_test_sha256_file(s->path, s->sha);
	assert_int_equal(stat(s->path, &s->st), 0);
}

static void free_src(struct src *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unlink(s[i].path);
		free(s[i].name);
		free(s[i].path);
	}
}

static void test_one_empty_file(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	struct src s[1];
	add_src(&s[0], dir, "empty.txt", 0, false);
	roundtrip(dir, s, 1, CAB_WRITE_NONE);
	roundtrip(dir, s, 1, CAB_WRITE_MSZIP);
	free_src(s, 1);
	hvo_test_rmtree(dir);
	free(dir);
}

static void test_thousand_files(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	static struct src s[1000];
	for (size_t i = 0; i < 1000; i++) {
		char name[64];
		snprintf(name, sizeof(name), "d%02zu/f%04zu.%s", i / 50, i,
			 i % 7 ? "txt" : "bin");
		add_src(&s[i], dir, name, next_rand() % 5000, i % 7 == 0);
	}
	roundtrip(dir, s, 1000, CAB_WRITE_NONE);
	roundtrip(dir, s, 1000, CAB_WRITE_MSZIP);
	free_src(s, 1000);
	hvo_test_rmtree(dir);
	free(dir);
}

static void test_incompressible(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	struct src s[2];
	/* MSZIP blocks of random data are stored deflate blocks. */
	add_src(&s[0], dir, "random.bin", 3 * 32768 + 17, true);
	add_src(&s[1], dir, "text.txt", 100000, false);
	roundtrip(dir, s, 2, CAB_WRITE_MSZIP);
	free_src(s, 2);
	hvo_test_rmtree(dir);
	free(dir);
}

static void test_200mb(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	struct src s[1];
	add_src(&s[0], dir, "big/large.txt", 200ull << 20, false);
	roundtrip(dir, s, 1, CAB_WRITE_MSZIP);
	roundtrip(dir, s, 1, CAB_WRITE_NONE);
	free_src(s, 1);
	hvo_test_rmtree(dir);
	free(dir);
}

static void test_errors(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp(), *p;
	struct cab_writer *w = NULL;
	assert_true(asprintf(&p, "%s/x.cab", dir) > 0);
	assert_int_equal(cab_writer_open(p, CAB_WRITE_MSZIP, &w), 0);
	assert_int_equal(cab_writer_add_buffer(w, "", "x", 1, 0, 0),
			 CAB_ERR_INVALID);
	cab_writer_free(w);
	/* No members: refused, nothing written. */
	assert_int_equal(cab_writer_open(p, CAB_WRITE_NONE, &w), 0);
	assert_int_equal(cab_writer_finish(w), CAB_ERR_INVALID);
	cab_writer_free(w);
	struct stat st;
	assert_int_not_equal(stat(p, &st), 0);
	/* A missing source. */
	assert_int_equal(cab_writer_open(p, CAB_WRITE_NONE, &w), 0);
	assert_int_equal(cab_writer_add_file(w, "a", "/nonexistent/zz"),
			 CAB_ERR_IO);
	cab_writer_free(w);
	/* Buffers, UTF-8 names get the flag. */
	assert_int_equal(cab_writer_open(p, CAB_WRITE_MSZIP, &w), 0);
	assert_int_equal(cab_writer_add_buffer(w, "d\xc3\xa9j\xc3\xa0/vu.txt",
					       "abc", 3, 1700000000, 0),
			 0);
	assert_int_equal(cab_writer_finish(w), 0);
	cab_writer_free(w);
	struct cab *c = NULL;
	assert_int_equal(cab_open(p, 0, &c), 0);
	const struct cab_entry *e = cab_entry_get(c, 0);
	assert_string_equal(e->name, "d\xc3\xa9j\xc3\xa0\\vu.txt");
	assert_true(e->attribs & CAB_ATTR_UTF_NAME);
	cab_close(c);
	free(p);
	hvo_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	if (!hvo_test_have_program("cabextract"))
		return getenv("CI") && !strcmp(getenv("CI"), "true")
			       ? HVO_TEST_HARD_ERROR
			       : HVO_TEST_SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_one_empty_file),
		cmocka_unit_test(test_incompressible),
		cmocka_unit_test(test_thousand_files),
		cmocka_unit_test(test_200mb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

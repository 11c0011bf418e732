/*
 * test_vhdx_diff.c - differencing images (Hyper-V checkpoints): chains
 * made by vhdx_create(), written at every level, read back against raw
 * mirrors; parent identity (DataWriteGuid against parent_linkage),
 * missing parents, parent loops, and an explicit parent path.
 *
 * qemu cannot open differencing VHDX, so the mirrors are the oracle: each
 * level's mirror is the parent's mirror plus that level's writes.
 */
#include <config.h>

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

#include "tests/lib/hvotest.h"
#include "tests/vhdx/vhdxtest.h"
#include "vhdx/vhdx.h"

#define MiB (1u << 20)

static char *tmp;

static char *tpath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *tpath(const char *fmt, ...)
{
	char *rel, *p;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&rel, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(&p, "%s/%s", tmp, rel) < 0)
		abort();
	free(rel);
	return p;
}

static void create(const char *path, enum vhdx_type type, uint64_t size,
		   uint32_t bs, uint32_t lss, const char *parent)
{
	struct vhdx_create_opts o = { .type = type,
				      .virtual_size = size,
				      .block_size = bs,
				      .logical_sector_size = lss,
				      .parent_path = parent };
	struct vhdx_error err = { 0 };
	enum vhdx_err r = vhdx_create(path, &o, &err);
	if (r != VHDX_OK)
		fprintf(stderr, "create %s: %s\n", path, err.msg);
	assert_int_equal(r, VHDX_OK);
}

/* Random writes into @image and into the in-memory @mirror. */
static void scribble(const char *image, uint8_t *mirror, uint64_t size, int n,
		     uint64_t seed, uint32_t max_len)
{
	struct vhdx_image *img = vt_open(image, VHDX_OPEN_WRITE, NULL);
	uint8_t *buf = malloc(max_len);
	uint64_t x = seed + 1;
	for (int i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t len = 1 + (x >> 33) % max_len;
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t off = (x >> 17) % (size - len + 1);
		vt_fill(buf, len, seed * 7919 + (uint64_t)i);
		assert_int_equal(vhdx_pwrite(img, buf, len, off), VHDX_OK);
		memcpy(mirror + off, buf, len);
		if (i % 9 == 8)
			assert_int_equal(vhdx_flush(img), VHDX_OK);
	}
	free(buf);
	assert_int_equal(vhdx_close(img, NULL), VHDX_OK);
}

static void reads_as(const char *image, const uint8_t *mirror, uint64_t size)
{
	struct vhdx_image *img = vt_open(image, 0, NULL);
	uint8_t *buf = malloc(size);
	assert_int_equal(vhdx_pread(img, buf, size, 0), VHDX_OK);
	assert_memory_equal(buf, mirror, size);
	/* And in odd pieces, across blocks and sector runs. */
	for (uint64_t off = 0; off < size; off += 777777) {
		uint64_t n = size - off < 99999 ? size - off : 99999;
		assert_int_equal(vhdx_pread(img, buf, n, off), VHDX_OK);
		assert_memory_equal(buf, mirror + off, n);
	}
	struct vhdx_check_report rep;
	assert_int_equal(vhdx_check(img, &rep), VHDX_OK);
	for (size_t i = 0; i < rep.nproblems; i++)
		fprintf(stderr, "problem: %s\n", rep.problems[i]);
	assert_int_equal(rep.nproblems, 0);
	vhdx_check_report_free(&rep);
	free(buf);
	vhdx_close(img, NULL);
}

static void chain(uint32_t lss, uint32_t base_bs)
{
	const uint64_t size = 24 * MiB;
	uint8_t *m[4];
	char *base = tpath("base-%u.vhdx", lss);
	char *sub = tpath("sub-%u", lss);
	mkdir(sub, 0755);
	char *c1 = tpath("sub-%u/c1.avhdx", lss);
	char *c2 = tpath("c2-%u.avhdx", lss);
	char *c3 = tpath("sub-%u/c3.avhdx", lss);
	m[0] = calloc(1, size);
	create(base, VHDX_TYPE_DYNAMIC, size, base_bs, lss, NULL);
	scribble(base, m[0], size, 40, 100 + lss, 2 * MiB);
	reads_as(base, m[0], size);

	const char *levels[3] = { c1, c2, c3 };
	const char *parents[3] = { base, c1, c2 };
	for (int l = 0; l < 3; l++) {
		create(levels[l], VHDX_TYPE_DIFFERENCING, 0, 0, 0, parents[l]);
		m[l + 1] = malloc(size);
		memcpy(m[l + 1], m[l], size);
		/* A fresh child reads as its parent. */
		reads_as(levels[l], m[l + 1], size);
		/* Small writes (partially present blocks, sector bitmaps)
		 * and large ones (whole blocks). */
		scribble(levels[l], m[l + 1], size, 60, 200 + l * 10 + lss,
			 l == 1 ? 5 * MiB : 70000);
		reads_as(levels[l], m[l + 1], size);
	}
	/* Every level still reads as its own mirror. */
	reads_as(base, m[0], size);
	reads_as(c1, m[1], size);
	reads_as(c2, m[2], size);
	reads_as(c3, m[3], size);

	struct vhdx_image *img = vt_open(c3, 0, NULL);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	assert_int_equal(in.type, VHDX_TYPE_DIFFERENCING);
	assert_int_equal(in.logical_sector_size, lss);
	int depth = 0;
	for (struct vhdx_image *p = vhdx_parent(img); p; p = vhdx_parent(p))
		depth++;
	assert_int_equal(depth, 3);
	vhdx_close(img, NULL);

	/* Writing into c1 changes its DataWriteGuid: c2 (and so c3) no longer
	 * match their parent and are refused, naming it. */
	uint8_t z = 1;
	img = vt_open(c1, VHDX_OPEN_WRITE, NULL);
	assert_int_equal(vhdx_pwrite(img, &z, 1, 0), VHDX_OK);
	vhdx_close(img, NULL);
	struct vhdx_error err = { 0 };
	assert_int_equal(vhdx_open(c3, 0, NULL, &img, &err),
			 VHDX_ERR_PARENT_MISMATCH);
	assert_non_null(strstr(err.msg, "c1.avhdx"));
	assert_int_equal(vhdx_exit_class(err.code), HVO_EXIT_REFUSED);

	for (int i = 0; i < 4; i++)
		free(m[i]);
	free(base);
	free(sub);
	free(c1);
	free(c2);
	free(c3);
}

static void test_chain_512(void **state)
{
	(void)state;
	chain(512, MiB);
}

static void test_chain_4096(void **state)
{
	(void)state;
	chain(4096, 4 * MiB);
}

static void test_parent_identity(void **state)
{
	(void)state;
	const uint64_t size = 8 * MiB;
	char *p = tpath("p.vhdx"), *q = tpath("q.vhdx"), *c = tpath("c.avhdx");
	char *moved = tpath("moved.vhdx");
	create(p, VHDX_TYPE_DYNAMIC, size, MiB, 512, NULL);
	create(q, VHDX_TYPE_DYNAMIC, size, MiB, 512, NULL);
	create(c, VHDX_TYPE_DIFFERENCING, 0, 0, 0, p);
	struct vhdx_image *img = vt_open(c, 0, NULL);
	const char *k, *v;
	assert_true(vhdx_parent_locator(img, 0, &k, &v));
	assert_string_equal(k, "parent_linkage");
	assert_true(vhdx_parent_locator(img, 1, &k, &v));
	assert_string_equal(k, "relative_path");
	assert_string_equal(v, ".\\p.vhdx");
	vhdx_close(img, NULL);

	/* Another image under the parent's name: refused (exit class 4). */
	assert_int_equal(rename(p, moved), 0);
	assert_int_equal(vt_sh("cp '%s' '%s'", q, p), 0);
	struct vhdx_error err = { 0 };
	assert_int_equal(vhdx_open(c, 0, NULL, &img, &err),
			 VHDX_ERR_PARENT_MISMATCH);
	assert_non_null(strstr(err.msg, "DataWriteGuid"));
	/* The right parent, named explicitly, is accepted; a wrong one
	 * named explicitly is still refused. */
	img = vt_open(c, 0, moved);
	vhdx_close(img, NULL);
	struct vhdx_open_opts o = { .parent_path = q };
	assert_int_equal(vhdx_open(c, 0, &o, &img, &err),
			 VHDX_ERR_PARENT_MISMATCH);
	/* No parent at all. */
	unlink(p);
	assert_int_equal(vhdx_open(c, 0, NULL, &img, &err),
			 VHDX_ERR_PARENT_MISSING);
	assert_non_null(strstr(err.msg, "p.vhdx"));
	/* Creating a child of a missing or non-VHDX parent fails. */
	char *c2 = tpath("c2.avhdx");
	struct vhdx_create_opts co = { .type = VHDX_TYPE_DIFFERENCING,
				       .parent_path = p };
	assert_int_not_equal(vhdx_create(c2, &co, &err), VHDX_OK);
	struct stat st;
	assert_int_not_equal(stat(c2, &st), 0);
	free(p);
	free(q);
	free(c);
	free(c2);
	free(moved);
}

/* A child whose locator names itself: a loop, refused as corrupt. */
static void test_parent_loop(void **state)
{
	(void)state;
	char *a = tpath("loop-a.vhdx"), *b = tpath("loop-b.avhdx");
	create(a, VHDX_TYPE_DYNAMIC, 4 * MiB, MiB, 512, NULL);
	create(b, VHDX_TYPE_DIFFERENCING, 0, 0, 0, a);
	/* b's locator says ".\loop-a.vhdx"; make loop-a.vhdx be b itself. */
	unlink(a);
	assert_int_equal(vt_sh("ln -s loop-b.avhdx '%s'", a), 0);
	struct vhdx_image *img;
	struct vhdx_error err = { 0 };
	assert_int_equal(vhdx_open(b, 0, NULL, &img, &err), VHDX_ERR_CORRUPT);
	assert_non_null(strstr(err.msg, "loops"));
	free(a);
	free(b);
}

/* A deeper chain, written at every level: still every byte right. */
static void test_deep_chain(void **state)
{
	(void)state;
	const uint64_t size = 6 * MiB;
	enum { DEPTH = 12 };
	uint8_t *m = calloc(1, size);
	char *prev = tpath("deep-0.vhdx");
	create(prev, VHDX_TYPE_DYNAMIC, size, MiB, 512, NULL);
	scribble(prev, m, size, 5, 900, 300000);
	for (int l = 1; l <= DEPTH; l++) {
		char *cur = tpath("deep-%d.avhdx", l);
		create(cur, VHDX_TYPE_DIFFERENCING, 0, MiB, 0, prev);
		scribble(cur, m, size, 5, 900 + (uint64_t)l, 300000);
		free(prev);
		prev = cur;
	}
	reads_as(prev, m, size);
	free(prev);
	free(m);
}

int main(void)
{
	tmp = hvo_test_mkdtemp();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_512),
		cmocka_unit_test(test_chain_4096),
		cmocka_unit_test(test_parent_identity),
		cmocka_unit_test(test_parent_loop),
		cmocka_unit_test(test_deep_chain),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	hvo_test_rmtree(tmp);
	free(tmp);
	return rc;
}

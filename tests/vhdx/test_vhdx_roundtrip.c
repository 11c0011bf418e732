/*
 * test_vhdx_roundtrip.c - images we create and write, checked by qemu;
 * images qemu creates and writes, read by us.
 *
 * The oracle is qemu-img: `check` on our images, `convert` for their
 * content, `compare` against a raw mirror that received the same writes.
 * For 4096-byte logical sectors, which qemu 7.2 refuses, the mirror alone
 * is the oracle.
 */
#include <config.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/lib/hvotest.h"
#include "tests/vhdx/vhdxtest.h"
#include "vhdx/vhdx.h"

#define MiB (1u << 20)

static char *tmp;

static char *tmp_path(const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", tmp, name) < 0)
		abort();
	unlink(p);
	return p;
}

/* Our read of the whole disk equals the raw mirror. */
static void same_as_mirror(const char *image, const char *mirror)
{
	struct vhdx_image *img = vt_open(image, 0, NULL);
	char a[65], b[65];
	vt_sha256_virtual(img, a);
	hvo_test_sha256_file(mirror, b);
	assert_string_equal(a, b);
	struct vhdx_check_report rep;
	assert_int_equal(vhdx_check(img, &rep), VHDX_OK);
	for (size_t i = 0; i < rep.nproblems; i++)
		fprintf(stderr, "problem: %s\n", rep.problems[i]);
	assert_int_equal(rep.nproblems, 0);
	vhdx_check_report_free(&rep);
	vhdx_close(img, NULL);
}

/*
 * @n random writes (random offsets, lengths up to 3 MiB, often unaligned
 * and crossing blocks) into @image and the raw @mirror, with flushes and
 * reopens in between.  Returns nothing; the caller compares.
 */
static void random_writes(const char *image, const char *mirror, uint64_t vsize,
			  int n, uint64_t seed)
{
	int mfd = open(mirror, O_WRONLY);
	assert_true(mfd >= 0);
	struct vhdx_image *img = vt_open(image, VHDX_OPEN_WRITE, NULL);
	uint8_t *buf = malloc(3 * MiB);
	assert_non_null(buf);
	uint64_t x = seed;
	for (int i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t len = 1 + (x >> 33) % (3 * MiB);
		if (i % 3 == 0)
			len = (len + 511) / 512 * 512; /* some whole sectors */
		if (len > vsize)
			len = vsize;
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t off = (x >> 20) % (vsize - len + 1);
		if (i % 5 == 0)
			off = off / MiB * MiB; /* some block-aligned */
		vt_fill(buf, len, seed * 1000 + (uint64_t)i);
		assert_int_equal(vhdx_pwrite(img, buf, len, off), VHDX_OK);
		assert_int_equal(pwrite(mfd, buf, len, (off_t)off),
				 (ssize_t)len);
		if (i % 17 == 16)
			assert_int_equal(vhdx_flush(img), VHDX_OK);
		if (i % 40 == 39) { /* persist, reopen */
			assert_int_equal(vhdx_close(img, NULL), VHDX_OK);
			img = vt_open(image, VHDX_OPEN_WRITE, NULL);
		}
		/* Read back what was just written. */
		uint8_t *chk = malloc(len);
		assert_int_equal(vhdx_pread(img, chk, len, off), VHDX_OK);
		assert_memory_equal(chk, buf, len);
		free(chk);
	}
	free(buf);
	assert_int_equal(vhdx_close(img, NULL), VHDX_OK);
	close(mfd);
}

static void make_mirror(const char *path, uint64_t size)
{
	assert_int_equal(
		vt_sh("truncate -s %llu '%s'", (unsigned long long)size, path),
		0);
}

/* Our images: created, written at random, then judged by qemu. */
static void ours(enum vhdx_type type, uint64_t vsize, uint32_t bs, uint32_t lss,
		 uint64_t seed)
{
	char *img = tmp_path("ours.vhdx");
	char *mirror = tmp_path("ours.raw");
	struct vhdx_create_opts o = { .type = type,
				      .virtual_size = vsize,
				      .block_size = bs,
				      .logical_sector_size = lss };
	struct vhdx_error err;
	assert_int_equal(vhdx_create(img, &o, &err), VHDX_OK);
	/* Never over an existing file. */
	assert_int_equal(vhdx_create(img, &o, &err), VHDX_ERR_EXISTS);
	make_mirror(mirror, vsize);
	if (lss == 512) {
		assert_int_equal(
			vt_sh("qemu-img check '%s' >/dev/null 2>&1", img), 0);
		char a[65], b[65];
		assert_true(vt_qemu_sha256(img, tmp, a));
		hvo_test_sha256_file(mirror, b);
		assert_string_equal(a, b);
	}
	random_writes(img, mirror, vsize, 120, seed);
	same_as_mirror(img, mirror);
	if (lss == 512) {
		/* qemu-img check and compare: the independent verdict. */
		assert_int_equal(
			vt_sh("qemu-img check '%s' >/dev/null 2>&1", img), 0);
		assert_int_equal(vt_sh("qemu-img compare -f vhdx -F raw '%s' "
				       "'%s' >/dev/null 2>&1",
				       img, mirror),
				 0);
	}
	unlink(img);
	unlink(mirror);
	free(img);
	free(mirror);
}

static void test_ours_dynamic_1m(void **state)
{
	(void)state;
	ours(VHDX_TYPE_DYNAMIC, 64 * MiB, MiB, 512, 1);
}

static void test_ours_dynamic_32m(void **state)
{
	(void)state;
	/* Not a multiple of the block size: a partial last block. */
	ours(VHDX_TYPE_DYNAMIC, 100 * MiB + 512, 32 * MiB, 512, 2);
}

static void test_ours_fixed(void **state)
{
	(void)state;
	ours(VHDX_TYPE_FIXED, 24 * MiB, 2 * MiB, 512, 3);
}

static void test_ours_4k_sectors(void **state)
{
	(void)state;
	ours(VHDX_TYPE_DYNAMIC, 48 * MiB, MiB, 4096, 4);
	ours(VHDX_TYPE_FIXED, 16 * MiB, 4 * MiB, 4096, 5);
}

/* qemu's images: created and written by qemu, read by us, then written by
 * us and judged by qemu again. */
static void theirs(const char *opts, uint64_t vsize, uint64_t seed)
{
	char *img = tmp_path("theirs.vhdx");
	char *mirror = tmp_path("theirs.raw");
	assert_int_equal(vt_sh("qemu-img create -q -f vhdx -o %s '%s' %llu",
			       opts, img, (unsigned long long)vsize),
			 0);
	/* qemu writes patterns, including one that allocates mid-block. */
	assert_int_equal(vt_sh("qemu-io -f vhdx -c 'write -P 0x11 0 3M' -c "
			       "'write -P 0x22 5000k 1234k' -c 'write -P 0x33 "
			       "%llu 512' '%s' >/dev/null",
			       (unsigned long long)(vsize - 512), img),
			 0);
	assert_int_equal(
		vt_sh("qemu-img convert -O raw '%s' '%s'", img, mirror), 0);
	same_as_mirror(img, mirror);
	random_writes(img, mirror, vsize, 80, seed);
	same_as_mirror(img, mirror);
	assert_int_equal(vt_sh("qemu-img check '%s' >/dev/null 2>&1", img), 0);
	assert_int_equal(vt_sh("qemu-img compare -f vhdx -F raw '%s' '%s' "
			       ">/dev/null 2>&1",
			       img, mirror),
			 0);
	unlink(img);
	unlink(mirror);
	free(img);
	free(mirror);
}

static void test_theirs_dynamic(void **state)
{
	(void)state;
	theirs("subformat=dynamic,block_size=1M", 64 * MiB, 11);
	theirs("subformat=dynamic", 40 * MiB, 12); /* 8 MiB blocks, ZERO */
	theirs("subformat=dynamic,block_state_zero=off,block_size=2M", 32 * MiB,
	       13);
}

static void test_theirs_fixed(void **state)
{
	(void)state;
	theirs("subformat=fixed,block_size=1M", 20 * MiB, 14);
}

/* Large aligned writes go through O_DIRECT (vhdx_int_write_payload), mixed with
 * small cached ones over the same blocks: qemu must see every byte. */
static void test_direct_writes(void **state)
{
	(void)state;
	const uint64_t size = 48 * MiB;
	char *img_path = tmp_path("direct.vhdx");
	char *mirror = tmp_path("direct.raw");
	struct vhdx_create_opts o = { .type = VHDX_TYPE_DYNAMIC,
				      .virtual_size = size,
				      .block_size = MiB };
	struct vhdx_error err;
	assert_int_equal(vhdx_create(img_path, &o, &err), VHDX_OK);
	make_mirror(mirror, size);
	int mfd = open(mirror, O_WRONLY);
	uint8_t *buf = NULL;
	assert_int_equal(posix_memalign((void **)&buf, 4096, 4 * MiB), 0);
	struct vhdx_image *img = vt_open(img_path, VHDX_OPEN_WRITE, NULL);
	static const struct {
		uint64_t off, len;
	} w[] = {
		{ 0, MiB },		/* a whole new block */
		{ 3 * MiB, 4 * MiB },	/* four new blocks at once */
		{ 3 * MiB + 512, 100 }, /* cached, inside a direct one */
		{ 20 * MiB + 4096, 256 * 1024 }, /* part of a new block */
		{ 20 * MiB, 2 * MiB }, /* over it, and the next block */
		{ 5 * MiB + 8192,
		  300 * 1024 },	   /* cached (not a 4 KiB length) */
		{ 47 * MiB, MiB }, /* the last block */
	};
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		vt_fill(buf, w[i].len, 500 + i);
		assert_int_equal(vhdx_pwrite(img, buf, w[i].len, w[i].off),
				 VHDX_OK);
		assert_int_equal(pwrite(mfd, buf, w[i].len, (off_t)w[i].off),
				 (ssize_t)w[i].len);
	}
	assert_int_equal(vhdx_close(img, NULL), VHDX_OK);
	close(mfd);
	free(buf);
	same_as_mirror(img_path, mirror);
	assert_int_equal(vt_sh("qemu-img compare -f vhdx -F raw '%s' '%s' "
			       ">/dev/null 2>&1",
			       img_path, mirror),
			 0);
	unlink(img_path);
	unlink(mirror);
	free(img_path);
	free(mirror);
}

/* The allocation map agrees with the data: ZERO extents read as zeros and
 * direct DATA extents are the file's bytes. */
static void test_map(void **state)
{
	(void)state;
	char *img_path = tmp_path("map.vhdx");
	struct vhdx_create_opts o = { .type = VHDX_TYPE_DYNAMIC,
				      .virtual_size = 16 * MiB,
				      .block_size = MiB };
	struct vhdx_error err;
	assert_int_equal(vhdx_create(img_path, &o, &err), VHDX_OK);
	struct vhdx_image *img = vt_open(img_path, VHDX_OPEN_WRITE, NULL);
	uint8_t *buf = malloc(3 * MiB);
	vt_fill(buf, 3 * MiB, 7);
	assert_int_equal(vhdx_pwrite(img, buf, 3 * MiB, 5 * MiB), VHDX_OK);
	assert_int_equal(vhdx_pwrite(img, buf, 100, 12 * MiB + 10), VHDX_OK);
	uint64_t off = 0, data = 0;
	uint8_t *chk = malloc(16 * MiB), *ref = malloc(16 * MiB);
	assert_int_equal(vhdx_pread(img, ref, 16 * MiB, 0), VHDX_OK);
	while (off < 16 * MiB) {
		struct vhdx_extent x;
		assert_int_equal(vhdx_map(img, off, 16 * MiB - off, &x),
				 VHDX_OK);
		assert_int_equal(x.offset, off);
		assert_true(x.length > 0);
		if (x.kind == VHDX_EXTENT_ZERO) {
			for (uint64_t i = 0; i < x.length; i++)
				assert_int_equal(ref[off + i], 0);
		} else {
			data += x.length;
			assert_true(x.direct);
			assert_int_equal(pread(vhdx_fd(x.image), chk, x.length,
					       (off_t)x.file_offset),
					 (ssize_t)x.length);
			assert_memory_equal(chk, ref + off, x.length);
		}
		off += x.length;
	}
	/* Blocks 5-7 and 12 are allocated: 4 MiB of data. */
	assert_int_equal(data, 4 * MiB);
	assert_int_equal(vhdx_map(img, 16 * MiB, 1, &(struct vhdx_extent){ 0 }),
			 VHDX_ERR_RANGE);
	free(buf);
	free(chk);
	free(ref);
	vhdx_close(img, NULL);
	unlink(img_path);
	free(img_path);
}

int main(void)
{
	vt_require_qemu();
	tmp = hvo_test_mkdtemp();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ours_dynamic_1m),
		cmocka_unit_test(test_ours_dynamic_32m),
		cmocka_unit_test(test_ours_fixed),
		cmocka_unit_test(test_ours_4k_sectors),
		cmocka_unit_test(test_theirs_dynamic),
		cmocka_unit_test(test_theirs_fixed),
		cmocka_unit_test(test_direct_writes),
		cmocka_unit_test(test_map),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	hvo_test_rmtree(tmp);
	free(tmp);
	return rc;
}

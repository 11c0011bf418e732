/*
 * test_apply_powerloss_avhdx.c - writes to a differencing image (a .avhdx
 * leaf, as Hyper-V checkpoints leave a VM's disk) against power loss
 * (issue 19).
 *
 * A parent image with known data and a differencing child are made in a
 * directory; tests/lib/fsrec records every file system call of a write
 * session on the child (opened for writing, its parent read-only: new
 * blocks, partial blocks whose other sectors stay in the parent, an
 * overwrite, a flush between, close) and rebuilds every state a power cut
 * could leave (fsrec.h).  Each state must:
 *   - leave the parent byte for byte as it was (its SHA-256);
 *   - open the child with its parent (read-only: the log replayed in
 *     memory) and pass vhdx_check with no problem;
 *   - read, in every sector of the virtual disk, the old content (the
 *     parent's) or the content a write of the session gave it, and the
 *     new content for every write a completed vhdx_flush made durable
 *     before the cut.
 * Every REOPEN_EVERY-th state is also opened for writing (the log
 * replayed in place) and must then read the same and check clean.
 *
 * Usage: test_apply_powerloss_avhdx [RANDOM_PER_POINT [REOPEN_EVERY]]
 * (defaults 2 and 10; bench/crash.sh runs more).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tests/lib/fsrec.h"
#include "tests/lib/hvotest.h"
#include "vhdx/vhdx.h"

#define MiB    (1u << 20)
#define VSIZE  (16 * MiB)
#define SECTOR 512u
#define NSECT  (VSIZE / SECTOR)

static unsigned nrandom = 2, reopen_every = 10;
static unsigned nstates, nreopened;
static char parent_sha[65];
static uint8_t *old_disk; /* the virtual disk before the session */
static uint8_t *mid_disk; /* after the writes the first flush covered */
static uint8_t *new_disk; /* after the session */
static size_t flush_op;	  /* operations recorded when the flush returned */
/* Disk reads (each state, each open) all old, all new, in between. */
static unsigned n_old, n_new, n_between;

/* The session's writes: offset, length, a fill byte. */
static const struct {
	uint64_t off;
	uint32_t len;
	uint8_t fill;
	bool flush_after;
} writes[] = {
	{ 0, 64 * 1024, 0xa1, false },	      /* a new block, partly */
	{ 3 * MiB + 512, 4096, 0xb2, false }, /* inside a parent block */
	{ 9 * MiB - 1024, 8192, 0xc3, true }, /* across two blocks */
	{ 0, 4096, 0xd4, false },	      /* overwrite, after a flush */
	{ 14 * MiB, 2 * MiB, 0xe5, false },   /* two whole blocks */
};
#define NWRITES (sizeof(writes) / sizeof(writes[0]))

static void apply_writes(uint8_t *disk, size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		memset(disk + writes[i].off, writes[i].fill, writes[i].len);
}

/* Each sector of @now is old or new (the content of one of the writes
 * that cover it, or the one before them); every sector @durable gave is
 * there. */
static const char *judge_disk(const uint8_t *now, const uint8_t *durable,
			      char *why, size_t whylen)
{
	for (uint32_t s = 0; s < NSECT; s++) {
		const uint8_t *p = now + (size_t)s * SECTOR;
		bool ok = memcmp(p, old_disk + (size_t)s * SECTOR, SECTOR) == 0;
		uint64_t off = (uint64_t)s * SECTOR;
		for (size_t i = 0; !ok && i < NWRITES; i++) {
			if (off < writes[i].off ||
			    off >= writes[i].off + writes[i].len)
				continue;
			size_t k = 0;
			while (k < SECTOR && p[k] == writes[i].fill)
				k++;
			ok = k == SECTOR;
		}
		if (!ok) {
			snprintf(why, whylen,
				 "sector %u is neither old nor new", s);
			return why;
		}
		if (durable != old_disk &&
		    memcmp(durable + off, old_disk + off, SECTOR) != 0 &&
		    memcmp(p, durable + off, SECTOR) != 0 &&
		    memcmp(p, new_disk + off, SECTOR) != 0) {
			snprintf(why, whylen,
				 "sector %u lost a write a flush made durable",
				 s);
			return why;
		}
	}
	if (memcmp(now, old_disk, VSIZE) == 0)
		n_old++;
	else if (memcmp(now, new_disk, VSIZE) == 0)
		n_new++;
	else
		n_between++;
	return NULL;
}

static const char *read_and_check(const char *child, unsigned flags,
				  const uint8_t *durable, char *why,
				  size_t whylen)
{
	struct vhdx_image *img;
	struct vhdx_error err = { 0 };
	if (vhdx_open(child, flags, NULL, &img, &err) != VHDX_OK) {
		snprintf(why, whylen, "open: %.400s", err.msg);
		return why;
	}
	const char *bad = NULL;
	struct vhdx_check_report rep = { 0 };
	uint8_t *now = malloc(VSIZE);
	assert_non_null(now);
	if (vhdx_check(img, &rep) != VHDX_OK || rep.nproblems > 0) {
		snprintf(why, whylen, "vhdx check: %.400s",
			 rep.nproblems ? rep.problems[0] : vhdx_errmsg(img));
		bad = why;
	} else if (vhdx_pread(img, now, VSIZE, 0) != VHDX_OK) {
		snprintf(why, whylen, "read: %.400s", vhdx_errmsg(img));
		bad = why;
	} else {
		bad = judge_disk(now, durable, why, whylen);
	}
	vhdx_check_report_free(&rep);
	free(now);
	vhdx_close(img, NULL);
	return bad;
}

static bool judge(void *ctx, const char *state, size_t cut, size_t nops,
		  const char *how)
{
	(void)ctx;
	char why[600] = "", path[4200], sha[65];
	const char *bad = NULL;
	nstates++;
	snprintf(path, sizeof(path), "%s/base.vhdx", state);
	hvo_test_sha256_file(path, sha);
	if (strcmp(sha, parent_sha) != 0)
		bad = "the parent changed";
	/* What a flush made durable before the cut. */
	const uint8_t *durable = cut >= flush_op ? mid_disk : old_disk;
	if (cut == nops && strcmp(how, "durable operations only") == 0)
		durable = new_disk; /* closed: everything */
	snprintf(path, sizeof(path), "%s/disk.avhdx", state);
	if (bad == NULL)
		bad = read_and_check(path, 0, durable, why, sizeof(why));
	if (bad == NULL && reopen_every && nstates % reopen_every == 0) {
		nreopened++;
		bad = read_and_check(path, VHDX_OPEN_WRITE, durable, why,
				     sizeof(why));
		if (bad == NULL)
			bad = read_and_check(path, 0, durable, why,
					     sizeof(why));
		snprintf(path, sizeof(path), "%s/base.vhdx", state);
		hvo_test_sha256_file(path, sha);
		if (bad == NULL && strcmp(sha, parent_sha) != 0)
			bad = "the parent changed on a writable open of the "
			      "child";
	}
	if (bad != NULL)
		fprintf(stderr,
			"FAIL: cut after %zu of %zu operations (%s): %s\n", cut,
			nops, how, bad);
	return bad == NULL;
}

static void make_images(const char *dir)
{
	char base[4200], child[4200];
	snprintf(base, sizeof(base), "%s/base.vhdx", dir);
	snprintf(child, sizeof(child), "%s/disk.avhdx", dir);
	struct vhdx_error err = { 0 };
	struct vhdx_create_opts co = { .type = VHDX_TYPE_DYNAMIC,
				       .virtual_size = VSIZE,
				       .block_size = 2 * MiB };
	assert_int_equal(vhdx_create(base, &co, &err), VHDX_OK);
	struct vhdx_image *img;
	assert_int_equal(vhdx_open(base, VHDX_OPEN_WRITE, NULL, &img, &err),
			 VHDX_OK);
	/* Parent data the child's partial blocks must keep showing. */
	for (uint32_t s = 0; s < NSECT; s += 7) {
		uint8_t sec[SECTOR];
		memset(sec, (int)(s * 13 + 1), sizeof(sec));
		memcpy(sec, &s, sizeof(s));
		assert_int_equal(
			vhdx_pwrite(img, sec, SECTOR, (uint64_t)s * SECTOR),
			VHDX_OK);
	}
	assert_int_equal(vhdx_pread(img, old_disk, VSIZE, 0), VHDX_OK);
	assert_int_equal(vhdx_close(img, &err), VHDX_OK);
	struct vhdx_create_opts cd = { .type = VHDX_TYPE_DIFFERENCING,
				       .parent_path = base };
	assert_int_equal(vhdx_create(child, &cd, &err), VHDX_OK);
	hvo_test_sha256_file(base, parent_sha);
}

static void test_avhdx_powerloss(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char root[2048], snap[2048], work[2048], child[4200];
	snprintf(root, sizeof(root), "%s/vm", dir);
	snprintf(snap, sizeof(snap), "%s/snapshot", dir);
	snprintf(work, sizeof(work), "%s/work", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(work, 0755), 0);
	old_disk = malloc(VSIZE);
	mid_disk = malloc(VSIZE);
	new_disk = malloc(VSIZE);
	assert_true(old_disk && mid_disk && new_disk);
	make_images(root);
	memcpy(mid_disk, old_disk, VSIZE);
	memcpy(new_disk, old_disk, VSIZE);
	size_t nflushed = 0;
	for (size_t i = 0; i < NWRITES; i++)
		if (writes[i].flush_after)
			nflushed = i + 1;
	apply_writes(mid_disk, nflushed);
	apply_writes(new_disk, NWRITES);

	snprintf(child, sizeof(child), "%s/disk.avhdx", root);
	fsrec_start(root, snap);
	struct vhdx_image *img;
	struct vhdx_error err = { 0 };
	assert_int_equal(vhdx_open(child, VHDX_OPEN_WRITE, NULL, &img, &err),
			 VHDX_OK);
	uint8_t *buf = malloc(2 * MiB);
	assert_non_null(buf);
	for (size_t i = 0; i < NWRITES; i++) {
		memset(buf, writes[i].fill, writes[i].len);
		assert_int_equal(
			vhdx_pwrite(img, buf, writes[i].len, writes[i].off),
			VHDX_OK);
		if (writes[i].flush_after) {
			assert_int_equal(vhdx_flush(img), VHDX_OK);
			fsrec_counts(&flush_op, NULL, NULL);
		}
	}
	free(buf);
	assert_int_equal(vhdx_close(img, &err), VHDX_OK);
	fsrec_stop();
	/* The recorded session itself: new content, parent untouched. */
	char why[600];
	const char *bad = read_and_check(child, 0, new_disk, why, sizeof(why));
	if (bad != NULL)
		fail_msg("the recorded session: %s", bad);
	size_t n, changes, barriers;
	fsrec_counts(&n, &changes, &barriers);
	unsigned failed;
	unsigned s = fsrec_explore(work, nrandom, 0, 1, judge, NULL, &failed);
	printf("power-loss states (vhdx write to a differencing image): %u "
	       "tried, %u failed (%zu operations, %zu changes, %zu flush "
	       "barriers, %u random per point, %u re-opened for writing; "
	       "disk reads: %u all old, %u all new, %u in between)\n",
	       s, failed, n, changes, barriers, nrandom, nreopened, n_old,
	       n_new, n_between);
	/* The states are not all alike: the harness sees the cut. */
	assert_true(n_old > 0 && n_new > 0 && n_between > 0);
	assert_int_equal(failed, 0);
	assert_true(s > 0);
	free(old_disk);
	free(mid_disk);
	free(new_disk);
	hvo_test_rmtree(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		nrandom = (unsigned)atoi(argv[1]);
	if (argc > 2)
		reopen_every = (unsigned)atoi(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_avhdx_powerloss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_native_atomic.c - one guest operation lands whole whatever the
 * size of the file it writes (issue 16).
 *
 * A VHDX write transaction holds at most C log pages (about 250 with a
 * 1 MiB log); a file's data written into VHDX blocks that are allocated
 * already used to be held and logged page by page, so a file larger than
 * C/2 pages was committed in several groups, and a kill between two of
 * them left the file's record with part of its data.  Now data written
 * into clusters that are free in the volume as the last commit left it
 * goes to its place unlogged (native_int_dev_data, vhdx_txn_pwrite_
 * unlogged): only the metadata is logged, and the operation is one
 * group.
 *
 * The image: a copy of ws2012-x64 in which a first run wrote a large
 * file and a second removed it, so that its clusters are free and their
 * VHDX blocks allocated (measured below: the new file's data lands in
 * such blocks, or the test proves nothing and says so).  Then a run
 * writes a new large file in one operation and syncs, and is stopped
 * (_exit, as a kill leaves it) at each crash point of vhdx/ in turn
 * (vhdx_int_crash_hook: after each log entry, the flush, each header
 * copy, each run of pages written in place, ...).  Each state must pass
 * `hvoffline vhdx check`, and the file must be absent or whole: never its
 * record with part of its data.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hvoffline.h"
#include "guest/guest.h"
#include "guest/native_int.h"
#include "guest/native_session.h"
#include "vhdx/internal.h"

#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"

#define BIG	(6u << 20) /* about 1500 pages: six times C */
#define NEWFILE "Windows/hvo-atomic/new.bin"

static char image_dir[4096];
static char hvo[4096];

/* A native session on @path with its NTFS volume mounted (@rw). */
static struct native_session *open_fs(const char *path, bool rw,
				      struct guest_fs **fs_ret)
{
	struct native_session *s = native_int_session_new(NULL);
	if (s == NULL || native_int_session_add(s, path, "vhdx", !rw, path) ||
	    native_int_session_launch(s) != GUEST_OK)
		return NULL;
	struct guest_disk *d = native_int_session_disk(s, 0);
	if (d == NULL || guest_disk_mount(d, 2, !rw, fs_ret) != GUEST_OK) {
		native_int_session_close(s);
		return NULL;
	}
	return s;
}

static void fill(uint8_t *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)((i * 2654435761u >> 13) + seed);
}

/* The crash hook of the child: stops at the @stop_at-th point once
 * armed, and counts the group commits ("txn-header"). */
static bool armed;
static unsigned points, stop_at, headers;

static void hook(const char *point)
{
	if (!armed)
		return;
	if (strcmp(point, "txn-header") == 0)
		headers++;
	if (++points == stop_at)
		_exit(0);
}

/* In a child: writes NEWFILE on @img as one operation and syncs,
 * stopping at crash point @k (0: never) with exit 0.  Exits 100 + the
 * number of group commits when it got to the end, 4 or 5 on failure. */
static void writer(const char *img, unsigned k)
{
	struct guest_fs *fs;
	struct native_session *s = open_fs(img, true, &fs);
	uint8_t *b = malloc(BIG);
	if (s == NULL || b == NULL)
		_exit(4);
	fill(b, BIG, 2);
	vhdx_int_crash_hook = hook;
	stop_at = k;
	armed = true;
	if (guest_fs_write_new(fs, NEWFILE, b, BIG) != GUEST_OK ||
	    guest_fs_sync(fs) != GUEST_OK)
		_exit(5);
	armed = false;
	printf("the write and its sync: %u crash points, %u group "
	       "commits\n",
	       points, headers);
	fflush(stdout);
	_exit(100 + (headers > 100 ? 100 : (int)headers));
}

/* The writer's exit: 0 stopped at point @k, else 100 + group commits. */
static int run_writer(const char *img, unsigned k)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		writer(img, k);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) < 100))
		fail_msg("point %u: the writer failed (status %#x)", k, st);
	return WEXITSTATUS(st);
}

/* NEWFILE on @img: 0 absent, 1 whole; fails the test otherwise. */
static int judge(const char *img, unsigned k)
{
	hvo_fg_sh("'%s' vhdx check '%s' >/dev/null", hvo, img);
	struct guest_fs *fs;
	struct native_session *s = open_fs(img, false, &fs);
	if (s == NULL)
		fail_msg("point %u: the image does not mount", k);
	struct guest_stat st;
	int r = guest_fs_stat(fs, NEWFILE, &st);
	int verdict = 0;
	if (r == GUEST_OK) {
		uint8_t *got, *want = malloc(BIG);
		size_t len;
		assert_non_null(want);
		fill(want, BIG, 2);
		assert_int_equal(
			guest_fs_read(fs, NEWFILE, 2 * BIG, &got, &len),
			GUEST_OK);
		if (len != BIG || memcmp(got, want, BIG) != 0)
			fail_msg("point %u: %s is there with %zu bytes, not "
				 "the whole file",
				 k, NEWFILE, len);
		free(got);
		free(want);
		verdict = 1;
	} else if (r != GUEST_E_NOENT) {
		fail_msg("point %u: stat %s: %s", k, NEWFILE,
			 guest_fs_errmsg(fs));
	}
	native_int_session_close(s);
	return verdict;
}

static void test_big_file_whole(void **state)
{
	(void)state;
	char base[4200];
	snprintf(base, sizeof(base), "%s", hvo_fg_at("base.vhdx"));
	hvo_fg_sh("cp --sparse=always '%s/ws2012-x64.vhdx' '%s'", image_dir,
		  base);
	/* A first run writes a large file, a second removes it. */
	uint8_t *b = malloc(BIG);
	assert_non_null(b);
	fill(b, BIG, 1);
	struct guest_fs *fs;
	struct native_session *s = open_fs(base, true, &fs);
	assert_non_null(s);
	assert_int_equal(guest_fs_mkdir_p(fs, "Windows/hvo-atomic"), GUEST_OK);
	assert_int_equal(
		guest_fs_write_new(fs, "Windows/hvo-atomic/old.bin", b, BIG),
		GUEST_OK);
	assert_int_equal(native_int_session_shutdown(s), GUEST_OK);
	native_int_session_close(s);
	free(b);
	s = open_fs(base, true, &fs);
	assert_non_null(s);
	assert_int_equal(guest_fs_remove(fs, "Windows/hvo-atomic/old.bin"),
			 GUEST_OK);
	assert_int_equal(native_int_session_shutdown(s), GUEST_OK);
	native_int_session_close(s);

	char img[4300];
	snprintf(img, sizeof(img), "%s", hvo_fg_at("k.vhdx"));
	/* Stopped at each crash point: absent or whole. */
	unsigned absent = 0, whole = 0;
	for (unsigned k = 1;; k++) {
		hvo_fg_sh("cp --sparse=always '%s' '%s'", base, img);
		if (run_writer(img, k) != 0)
			break; /* past the last point */
		if (judge(img, k))
			whole++;
		else
			absent++;
	}
	fprintf(stderr,
		"%u crash states: the file absent in %u, whole in %u, "
		"partial in none\n",
		absent + whole, absent, whole);
	assert_true(absent > 0 && whole > 0);

	/* The whole write, counted: one group commit. */
	hvo_fg_sh("cp --sparse=always '%s' '%s'", base, img);
	int groups = run_writer(img, 0) - 100;
	assert_int_equal(judge(img, 0), 1);
	if (groups != 1)
		fail_msg("writing a %u MiB file took %d group commits, not "
			 "one",
			 BIG >> 20, groups);
}

int main(void)
{
	snprintf(image_dir, sizeof(image_dir), "%s/tests/fixtures/images",
		 hvo_test_builddir());
	snprintf(hvo, sizeof(hvo), "%s/hvoffline", hvo_test_builddir());
	if (access(image_dir, R_OK) != 0) {
		fprintf(stderr, "%s: not built (make fixture-images)\n",
			image_dir);
		return HVO_TEST_SKIP;
	}
	hvo_fg_begin();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_file_whole),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	hvo_fg_end();
	return r;
}

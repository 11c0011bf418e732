/*
 * test_vhdx_lock.c - image locking against other hvoffline handles and
 * against qemu (qemu-img, qemu-io, qemu-nbd, the real programs).
 *
 * See vhdx/lock.c for the scheme: flock for hvoffline, qemu's own OFD
 * lock bytes (100 + permission, 200 + unshared permission) for qemu.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/lib/hvotest.h"
#include "tests/vhdx/vhdxtest.h"
#include "vhdx/vhdx.h"

extern char **environ;

static char *tmp;
static char *image;

static enum vhdx_err try_open(unsigned flags, struct vhdx_image **img,
			      char *msg, size_t len)
{
	struct vhdx_error err = { 0 };
	enum vhdx_err r = vhdx_open(image, flags, NULL, img, &err);
	if (msg)
		snprintf(msg, len, "%s", err.msg);
	return r;
}

static struct vhdx_image *must_open(unsigned flags)
{
	struct vhdx_image *img;
	char msg[VHDX_ERRMSG_MAX];
	enum vhdx_err r = try_open(flags, &img, msg, sizeof(msg));
	if (r != VHDX_OK)
		fprintf(stderr, "open: %s\n", msg);
	assert_int_equal(r, VHDX_OK);
	return img;
}

static bool in_use(char *who, size_t len)
{
	bool busy;
	struct vhdx_error err;
	assert_int_equal(vhdx_in_use(image, &busy, who, len, &err), VHDX_OK);
	return busy;
}

/* Whether a reader (vhdx_open without VHDX_OPEN_WRITE) would be refused. */
static bool in_use_for_reading(char *who, size_t len)
{
	bool busy;
	struct vhdx_error err;
	assert_int_equal(vhdx_in_use_for(image, 0, &busy, who, len, &err),
			 VHDX_OK);
	return busy;
}

/* Starts a program in the background (output discarded). */
static pid_t spawn(const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	pid_t pid;
	assert_int_equal(posix_spawnp(&pid, argv[0], &fa, NULL,
				      (char *const *)argv, environ),
			 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* Waits until the spawned program holds its locks (it opens the image
 * after starting up). */
static void wait_locked(pid_t pid)
{
	for (int i = 0; i < 400; i++) {
		if (in_use(NULL, 0))
			return;
		int st;
		assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
		usleep(25000);
	}
	fail_msg("the qemu program never locked the image");
}

/* Grace period for a program to exit on SIGTERM before it is killed:
 * qemu-nbd under load has been seen to take longer, or not to exit at
 * all, which hung the test until run-bounded's limit. */
#define STOP_GRACE_MS 5000

static void stop(pid_t pid)
{
	kill(pid, SIGTERM);
	int st;
	for (int waited = 0; waited < STOP_GRACE_MS; waited += 50) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static void test_between_handles(void **state)
{
	(void)state;
	struct vhdx_image *a = must_open(VHDX_OPEN_WRITE), *b;
	char msg[VHDX_ERRMSG_MAX];
	assert_int_equal(try_open(0, &b, msg, sizeof(msg)), VHDX_ERR_LOCKED);
	assert_non_null(strstr(msg, "another hvoffline process"));
	assert_int_equal(vhdx_exit_class(VHDX_ERR_LOCKED), HVO_EXIT_REFUSED);
	assert_int_equal(try_open(VHDX_OPEN_WRITE, &b, NULL, 0),
			 VHDX_ERR_LOCKED);
	char who[200];
	assert_true(in_use(who, sizeof(who)));
	assert_non_null(strstr(who, "hvoffline"));
	assert_true(in_use_for_reading(who, sizeof(who)));
	assert_non_null(strstr(who, "open for writing"));
	vhdx_close(a, NULL);
	assert_false(in_use(NULL, 0));
	assert_false(in_use_for_reading(NULL, 0));

	/* Readers share; a writer is refused while they read, and the
	 * pre-flight says so to a writer only. */
	a = must_open(0);
	b = must_open(0);
	struct vhdx_image *c;
	assert_int_equal(try_open(VHDX_OPEN_WRITE, &c, NULL, 0),
			 VHDX_ERR_LOCKED);
	assert_true(in_use(NULL, 0));
	assert_false(in_use_for_reading(NULL, 0));
	bool busy;
	struct vhdx_error err;
	assert_int_equal(
		vhdx_in_use_for(image, VHDX_OPEN_WRITE, &busy, NULL, 0, &err),
		VHDX_OK);
	assert_true(busy);
	vhdx_close(a, NULL);
	vhdx_close(b, NULL);
	c = must_open(VHDX_OPEN_WRITE);
	vhdx_close(c, NULL);
}

/* VHDX_OPEN_NO_LOCK looks without being seen: it opens an image a
 * writer holds, and while it is open the image is not in use for
 * anyone else (the sibling scan of inspect_preflight.c). */
static void test_no_lock_is_not_seen(void **state)
{
	(void)state;
	struct vhdx_image *w = must_open(VHDX_OPEN_WRITE);
	struct vhdx_image *peek = must_open(VHDX_OPEN_NO_LOCK);
	vhdx_close(peek, NULL);
	vhdx_close(w, NULL);
	peek = must_open(VHDX_OPEN_NO_LOCK | VHDX_OPEN_NO_PARENT);
	assert_false(in_use(NULL, 0));
	w = must_open(VHDX_OPEN_WRITE);
	vhdx_close(w, NULL);
	vhdx_close(peek, NULL);
	struct vhdx_image *bad;
	assert_int_equal(
		try_open(VHDX_OPEN_WRITE | VHDX_OPEN_NO_LOCK, &bad, NULL, 0),
		VHDX_ERR_INVALID);
}

static void test_qemu_refuses_us(void **state)
{
	(void)state;
	struct vhdx_image *a = must_open(VHDX_OPEN_WRITE);
	/* qemu-img info and a read-only qemu-io: refused by our locks. */
	char *cmd;
	if (asprintf(&cmd, "qemu-img info '%s' 2>&1", image) < 0)
		abort();
	char *out = NULL;
	assert_int_not_equal(hvo_test_run(cmd, &out), 0);
	assert_non_null(strstr(out, "Failed to get shared \"write\" lock"));
	free(out);
	free(cmd);
	assert_int_not_equal(vt_sh("qemu-io -r -f vhdx -c 'read 0 512' '%s' "
				   ">/dev/null 2>&1",
				   image),
			     0);

	/* Handed over: qemu may open it read-write (and writes), other
	 * hvoffline handles are still refused, ours does no more I/O. */
	uint8_t b = 7;
	assert_int_equal(vhdx_pwrite(a, &b, 1, 8192), VHDX_OK);
	assert_int_equal(vhdx_handover(a), VHDX_OK);
	assert_int_equal(vt_sh("qemu-img info '%s' >/dev/null 2>&1", image), 0);
	assert_int_equal(vt_sh("qemu-io -f vhdx -c 'write -P 0x42 0 4096' "
			       "'%s' >/dev/null 2>&1",
			       image),
			 0);
	struct vhdx_image *other;
	assert_int_equal(try_open(0, &other, NULL, 0), VHDX_ERR_LOCKED);
	assert_true(in_use(NULL, 0));
	assert_int_equal(vhdx_pread(a, &b, 1, 0), VHDX_ERR_STATE);
	assert_int_equal(vhdx_close(a, NULL), VHDX_OK);
	/* What qemu wrote, and what we wrote before the handover. */
	a = must_open(0);
	assert_int_equal(vhdx_pread(a, &b, 1, 4095), VHDX_OK);
	assert_int_equal(b, 0x42);
	assert_int_equal(vhdx_pread(a, &b, 1, 8192), VHDX_OK);
	assert_int_equal(b, 7);
	vhdx_close(a, NULL);
}

static void test_we_refuse_qemu(void **state)
{
	(void)state;
	/* qemu-io with the image open read-write. */
	const char *rw[] = { "qemu-io",	     "-f",  "vhdx", "-c",
			     "sleep 100000", image, NULL };
	pid_t pid = spawn(rw);
	wait_locked(pid);
	char who[200], msg[VHDX_ERRMSG_MAX];
	assert_true(in_use(who, sizeof(who)));
	assert_non_null(strstr(who, "qemu"));
	assert_true(in_use_for_reading(who, sizeof(who)));
	assert_non_null(strstr(who, "qemu"));
	struct vhdx_image *img;
	assert_int_equal(try_open(0, &img, msg, sizeof(msg)), VHDX_ERR_LOCKED);
	assert_non_null(strstr(msg, "qemu"));
	assert_int_equal(try_open(VHDX_OPEN_WRITE, &img, NULL, 0),
			 VHDX_ERR_LOCKED);
	stop(pid);

	/* qemu-io read-only: we may read along, not write. */
	const char *ro[] = { "qemu-io", "-r",		"-f",  "vhdx",
			     "-c",	"sleep 100000", image, NULL };
	pid = spawn(ro);
	wait_locked(pid);
	assert_false(in_use_for_reading(NULL, 0));
	img = must_open(0);
	vhdx_close(img, NULL);
	assert_int_equal(try_open(VHDX_OPEN_WRITE, &img, NULL, 0),
			 VHDX_ERR_LOCKED);
	stop(pid);

	/* qemu-nbd serving the image. */
	char *sock;
	if (asprintf(&sock, "%s/nbd.sock", tmp) < 0)
		abort();
	const char *nbd[] = {
		"qemu-nbd", "-f", "vhdx", "-k", sock, image, NULL
	};
	pid = spawn(nbd);
	wait_locked(pid);
	assert_int_equal(try_open(0, &img, NULL, 0), VHDX_ERR_LOCKED);
	assert_int_equal(try_open(VHDX_OPEN_WRITE, &img, NULL, 0),
			 VHDX_ERR_LOCKED);
	stop(pid);
	free(sock);

	/* Nobody left: free again. */
	assert_false(in_use(NULL, 0));
	img = must_open(VHDX_OPEN_WRITE);
	vhdx_close(img, NULL);
}

int main(void)
{
	vt_require_qemu();
	if (!hvo_test_have_program("qemu-nbd")) {
		fprintf(stderr, "SKIP: qemu-nbd not installed\n");
		return HVO_TEST_SKIP;
	}
	tmp = hvo_test_mkdtemp();
	if (asprintf(&image, "%s/locked.vhdx", tmp) < 0)
		abort();
	struct vhdx_create_opts o = { .type = VHDX_TYPE_DYNAMIC,
				      .virtual_size = 8 << 20,
				      .block_size = 1 << 20 };
	struct vhdx_error err;
	if (vhdx_create(image, &o, &err) != VHDX_OK) {
		fprintf(stderr, "create: %s\n", err.msg);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_between_handles),
		cmocka_unit_test(test_no_lock_is_not_seen),
		cmocka_unit_test(test_qemu_refuses_us),
		cmocka_unit_test(test_we_refuse_qemu),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	hvo_test_rmtree(tmp);
	free(tmp);
	free(image);
	return rc;
}

/*
 * test_native_sandbox.c - the confined child (src/guest/sandbox.c): a
 * result comes back over the pipe; a descriptor opened before the fork
 * is still usable; a forbidden call (the test hook: socket after the
 * filter) kills the child and is reported as such; so are a crash, a
 * failure exit and an oversized result.
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

#include "guest/sandbox.h"
#include "tests/lib/hvotest.h"

static int write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads 5 bytes of the descriptor in @ctx and sends them back as JSON. */
static int child_read(void *ctx, int out)
{
	int fd = *(int *)ctx;
	char buf[6] = { 0 };
	if (pread(fd, buf, 5, 0) != 5)
		return 3;
	char json[64];
	int n = snprintf(json, sizeof(json), "{\"read\":\"%s\"}", buf);
	/* Memory still works: malloc and free a megabyte. */
	char *big = malloc(1u << 20);
	if (big == NULL)
		return 4;
	memset(big, 1, 1u << 20);
	free(big);
	return write_all(out, json, (size_t)n) == 0 ? 0 : 5;
}

static int child_abort(void *ctx, int out)
{
	(void)ctx;
	(void)out;
	abort();
}

static int child_fail(void *ctx, int out)
{
	(void)ctx;
	return write_all(out, "{}", 2) == 0 ? 7 : 8;
}

static int child_flood(void *ctx, int out)
{
	(void)ctx;
	char buf[4096];
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 64; i++)
		if (write_all(out, buf, sizeof(buf)) != 0)
			return 1;
	return 0;
}

static void test_result_and_fd(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char path[4200];
	snprintf(path, sizeof(path), "%s/in", dir);
	hvo_test_write_file(path, "hello world", 11);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	char *res, why[256];
	size_t len;
	assert_int_equal(guest_sandbox_run(NULL, child_read, &fd, &res, &len,
					   why, sizeof(why)),
			 GUEST_SANDBOX_OK);
	assert_string_equal(res, "{\"read\":\"hello\"}");
	assert_int_equal(len, strlen(res));
	free(res);
	close(fd);
	hvo_test_rmtree(dir);
	free(dir);
}

static void test_forbidden_call(void **state)
{
	(void)state;
	struct guest_sandbox_opts o = { .test_forbidden_call = true };
	int fd = -1;
	char *res, why[256];
	size_t len;
	assert_int_equal(guest_sandbox_run(&o, child_read, &fd, &res, &len, why,
					   sizeof(why)),
			 GUEST_SANDBOX_FILTERED);
	assert_string_equal(why, "the sandboxed child was killed by signal "
				 "SIGSYS (its seccomp filter: a forbidden "
				 "system call)");
	assert_int_equal(len, 0);
	free(res);
}

static void test_crash_fail_flood(void **state)
{
	(void)state;
	char *res, why[256];
	size_t len;
	assert_int_equal(guest_sandbox_run(NULL, child_abort, NULL, &res, &len,
					   why, sizeof(why)),
			 GUEST_SANDBOX_CRASHED);
	assert_string_equal(why, "the sandboxed child was killed by signal "
				 "SIGABRT (Aborted)");
	free(res);
	assert_int_equal(guest_sandbox_run(NULL, child_fail, NULL, &res, &len,
					   why, sizeof(why)),
			 GUEST_SANDBOX_FAILED);
	assert_string_equal(why, "the sandboxed child failed (exit 7)");
	free(res);
	struct guest_sandbox_opts o = { .max_result = 1024 };
	assert_int_equal(guest_sandbox_run(&o, child_flood, NULL, &res, &len,
					   why, sizeof(why)),
			 GUEST_SANDBOX_TOO_BIG);
	free(res);
}

/* With paths, the child may open what Landlock lets it: reading beneath
 * @ctx's "ro" directory, changing beneath "rw", listing @ctx itself (but
 * not reading its files); nothing else. */
static int child_files(void *ctx, int out)
{
	const char *dir = ctx;
	char p[4200], res[64];
	snprintf(p, sizeof(p), "%s/ro/in", dir);
	int a = open(p, O_RDONLY | O_CLOEXEC);
	int b = open(p, O_WRONLY | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s/rw/new", dir);
	int c = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	snprintf(p, sizeof(p), "%s/outside", dir);
	int d = open(p, O_RDONLY | O_CLOEXEC);
	int e = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	int f = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int n = snprintf(res, sizeof(res), "%d%d%d%d%d%d", a >= 0, b >= 0,
			 c >= 0, d >= 0, e >= 0, f >= 0);
	return write_all(out, res, (size_t)n) == 0 ? 0 : 5;
}

static void test_landlock(void **state)
{
	(void)state;
	if (guest_sandbox_landlock() == 0)
		skip();
	char *dir = hvo_test_mkdtemp();
	char ro[4200], rw[4200], p[4300];
	snprintf(ro, sizeof(ro), "%s/ro", dir);
	snprintf(rw, sizeof(rw), "%s/rw", dir);
	assert_int_equal(mkdir(ro, 0700), 0);
	assert_int_equal(mkdir(rw, 0700), 0);
	snprintf(p, sizeof(p), "%s/in", ro);
	hvo_test_write_file(p, "x", 1);
	snprintf(p, sizeof(p), "%s/outside", dir);
	hvo_test_write_file(p, "x", 1);
	const char *reads[] = { ro }, *writes[] = { rw }, *lists[] = { dir };
	struct guest_sandbox_opts o = { .read_paths = { reads, 1 },
					.list_paths = { lists, 1 },
					.write_paths = { writes, 1 } };
	char *res, why[256];
	size_t len;
	assert_int_equal(guest_sandbox_run(&o, child_files, dir, &res, &len,
					   why, sizeof(why)),
			 GUEST_SANDBOX_OK);
	/* read ro: yes; write ro: no; create in rw: yes; read a file of
	 * the listed directory or elsewhere: no; list it: yes. */
	assert_string_equal(res, "101001");
	free(res);
	hvo_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_and_fd),
		cmocka_unit_test(test_forbidden_call),
		cmocka_unit_test(test_crash_fail_flood),
		cmocka_unit_test(test_landlock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

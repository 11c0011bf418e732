/*
 * test_native_sandbox.c - the confined child (src/guest/sandbox.c): a
 * result comes back over the pipe; a descriptor opened before the fork
 * is still usable; a forbidden call (the test hook: openat after the
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
	assert_string_equal(why, "the sandboxed child was killed by its "
				 "seccomp filter (a forbidden system call)");
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
	assert_non_null(strstr(why, "crashed"));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_and_fd),
		cmocka_unit_test(test_forbidden_call),
		cmocka_unit_test(test_crash_fail_flood),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

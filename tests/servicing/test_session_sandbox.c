/*
 * test_session_sandbox.c - the native backend's sandboxed child per image
 * (src/servicing/session_child.c), through the session API, on the
 * project's test images (`make fixture-images`):
 *
 *   - the test hook (this program builds session_child.c again with
 *     HVO_TEST_HOOKS): the child of image 0 makes a forbidden system call
 *     once confined; it is killed, image 0 reports exit 1 with the
 *     documented message naming it and the signal, image 1 is inspected
 *     as usual, and the run's exit code is 1;
 *   - -j 2: the results of verify come back in the order given, each
 *     with the facts, the package, the plan rebuilt by the parent and
 *     the verify result the child sent;
 *   - an apply that fails inside the child (the second test hook puts a
 *     file where the child extracts the package, so svc_apply() stops
 *     before it reaches any of the plan's files) reaches the user with the child's own
 *     error, exit code and message, not "the sandboxed child's result
 *     cannot be read"; the image is left as it was.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "servicing/session.h"
#include "tests/lib/hvotest.h"

#define CAB62 "ic/Windows6.2-HyperVIntegrationServices-x64.cab"

/* The error notices of a run, one per line: "<object>: <msg>". */
static char errors[16384];

static void on_notice(void *ctx, enum svc_notice kind, const char *object,
		      const char *msg)
{
	(void)ctx;
	size_t used = strlen(errors);
	if (kind == SVC_NOTICE_ERROR)
		snprintf(errors + used, sizeof(errors) - used, "%s: %s\n",
			 object ? object : "-", msg);
}

static char img[2][4200];

/* The two images, or the test fails: they are built before the tests. */
static int find_images(void **state)
{
	(void)state;
	static const char *const names[] = { "ws2012-x64.vhdx",
					     "win7-x86.vhdx" };
	for (int i = 0; i < 2; i++) {
		snprintf(img[i], sizeof(img[i]), "%s/tests/fixtures/images/%s",
			 hvo_test_builddir(), names[i]);
		if (access(img[i], R_OK) != 0) {
			fprintf(stderr, "%s: not built (make fixture-images)\n",
				img[i]);
			return -1;
		}
	}
	return 0;
}

static struct svc_session *session(enum svc_command cmd, unsigned jobs)
{
	errors[0] = '\0';
	struct svc_session_opts o = { .command = cmd,
				      .backend = "native",
				      .jobs = jobs,
				      .notice = on_notice };
	struct svc_session *s = NULL;
	assert_int_equal(svc_session_new(&o, &s), SVC_OK);
	for (int i = 0; i < 2; i++)
		assert_int_equal(svc_session_add_image(s, img[i]), SVC_OK);
	return s;
}

static void test_forbidden_call_fails_its_image_only(void **state)
{
	(void)state;
	setenv("HVOFFLINE_TEST_FORBIDDEN_CALL", "0", 1);
	struct svc_session *s = session(SVC_COMMAND_INSPECT, 2);
	assert_int_equal(svc_session_inspect(s), SVC_OK);
	unsetenv("HVOFFLINE_TEST_FORBIDDEN_CALL");
	char want[8500];
	snprintf(want, sizeof(want),
		 "%s: the sandboxed child was killed by signal SIGSYS (its "
		 "seccomp filter: a forbidden system call)",
		 img[0]);
	const struct svc_image_result *r = svc_session_image(s, 0);
	assert_int_equal(r->exit, HVO_EXIT_FAILED);
	assert_string_equal(r->message, want);
	assert_int_equal(r->facts.nproblems, 1);
	assert_string_equal(r->facts.problems[0].code, "sandboxed-child");
	assert_string_equal(r->facts.problems[0].message, want);
	assert_false(r->facts.windows_found);
	/* The other image was inspected in its own child. */
	r = svc_session_image(s, 1);
	assert_int_equal(r->exit, HVO_EXIT_OK);
	assert_int_equal(r->status, SVC_STATUS_OK);
	assert_true(r->facts.windows_found);
	assert_string_equal(r->facts.arch, "x86");
	assert_true(r->facts.nvolumes >= 2);
	assert_int_equal(svc_session_exit(s), HVO_EXIT_FAILED);
	/* The reason is told, naming the image. */
	assert_non_null(strstr(errors, want));
	svc_session_free(s);
}

static void test_jobs_results_in_order(void **state)
{
	(void)state;
	struct svc_session *s = session(SVC_COMMAND_VERIFY, 2);
	assert_int_equal(svc_session_set_source(s, hvo_fixture(CAB62)), SVC_OK);
	assert_int_equal(svc_session_verify(s), SVC_OK);
	const struct svc_image_result *r = svc_session_image(s, 0);
	assert_string_equal(r->image, img[0]);
	assert_string_equal(r->facts.image, img[0]);
	assert_string_equal(r->facts.arch, "amd64");
	assert_non_null(r->package);
	assert_non_null(r->plan);
	assert_true(r->have_applicability);
	assert_true(r->verified);
	/* Not serviced: the package's items differ. */
	assert_true(r->verify.nchecked > 0);
	assert_true(r->verify.ndiffs > 0);
	assert_non_null(r->verify.diffs[0].what);
	assert_int_equal(r->status, SVC_STATUS_DIFFERENCES);
	r = svc_session_image(s, 1);
	assert_string_equal(r->image, img[1]);
	assert_string_equal(r->facts.arch, "x86");
	assert_int_equal(r->status, SVC_STATUS_NOT_APPLICABLE);
	assert_null(r->plan);
	svc_session_free(s);
}

static void test_failed_apply_tells_its_own_error(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char image[4400], before[65];
	snprintf(image, sizeof(image), "%s/copy.vhdx", dir);
	size_t len;
	uint8_t *b = hvo_test_read_file(img[0], &len);
	hvo_test_write_file(image, b, len);
	free(b);
	hvo_test_sha256_file(image, before);
	setenv("HVOFFLINE_TEST_CHILD_NO_EXTRACT", "0", 1);
	errors[0] = '\0';
	struct svc_session_opts o = { .command = SVC_COMMAND_APPLY,
				      .backend = "native",
				      .jobs = 1,
				      .notice = on_notice };
	struct svc_session *s = NULL;
	assert_int_equal(svc_session_new(&o, &s), SVC_OK);
	assert_int_equal(svc_session_add_image(s, image), SVC_OK);
	assert_int_equal(svc_session_set_source(s, hvo_fixture(CAB62)), SVC_OK);
	assert_int_equal(svc_session_apply(s), SVC_OK);
	unsetenv("HVOFFLINE_TEST_CHILD_NO_EXTRACT");
	const struct svc_image_result *r = svc_session_image(s, 0);
	fprintf(stderr, "exit %d err %d: %s\n", r->exit, r->err, r->message);
	/* The child's own result, decoded in full: its error (not the
	 * parent's SVC_ERR_GUEST for a child it cannot read), naming the
	 * file in the way. */
	assert_null(strstr(r->message, "cannot be read"));
	assert_non_null(strstr(r->message, "/image-0/package"));
	assert_int_equal(r->status, SVC_STATUS_FAILED);
	assert_int_equal(r->err, SVC_ERR_IO);
	assert_true(r->applied);
	assert_non_null(r->plan);
	assert_int_equal(r->apply.error.code, SVC_ERR_IO);
	assert_non_null(strstr(r->message, svc_apply_errmsg(&r->apply)));
	assert_int_equal(r->exit, svc_exit_class(r->err));
	assert_int_equal(svc_session_exit(s), HVO_EXIT_FAILED);
	assert_false(r->apply.guest_changed);
	assert_int_equal(r->apply.files_written, 0);
	assert_null(r->apply.files[0].file);
	assert_true(r->facts.windows_found);
	/* Told as the child told it. */
	assert_non_null(strstr(errors, svc_apply_errmsg(&r->apply)));
	svc_session_free(s);
	hvo_test_expect_sha256(image, before);
	hvo_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forbidden_call_fails_its_image_only),
		cmocka_unit_test(test_jobs_results_in_order),
		cmocka_unit_test(test_failed_apply_tells_its_own_error),
	};
	return cmocka_run_group_tests(tests, find_images, NULL);
}

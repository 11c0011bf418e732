/*
 * test_session.c - the servicing session API (servicing/session.h) on the
 * paths that need no guest backend: arguments, sources that cannot be
 * used and images that cannot be opened, each stopped before anything is
 * launched, with the outcome as data and the reasons as notices.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "servicing/session.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"

#define CAB62 "ic/Windows6.2-HyperVIntegrationServices-x64.cab"

/* The notices of a run, one line each: "<kind> <object>: <msg>". */
struct notices {
	char *text;
	size_t len;
	FILE *f;
};

static void on_notice(void *ctx, enum svc_notice kind, const char *object,
		      const char *msg)
{
	struct notices *n = ctx;
	fprintf(n->f, "%d %s: %s\n", (int)kind, object ? object : "-", msg);
}

static int setup(void **state)
{
	struct notices *n = calloc(1, sizeof(*n));
	n->f = open_memstream(&n->text, &n->len);
	*state = n;
	hvo_fg_begin();
	return 0;
}

static int teardown(void **state)
{
	struct notices *n = *state;
	fclose(n->f);
	free(n->text);
	free(n);
	hvo_fg_end();
	return 0;
}

static struct svc_session *session(struct notices *n, enum svc_command cmd)
{
	struct svc_session_opts o = { .command = cmd,
				      .notice = on_notice,
				      .notice_ctx = n };
	struct svc_session *s = NULL;
	assert_int_equal(svc_session_new(&o, &s), SVC_OK);
	return s;
}

static const char *notices(struct notices *n)
{
	fflush(n->f);
	return n->text ? n->text : "";
}

static void test_unknown_backend_is_invalid(void **state)
{
	(void)state;
	struct svc_session_opts o = { .command = SVC_COMMAND_INSPECT,
				      .backend = "qemu" };
	struct svc_session *s = (struct svc_session *)&o;
	assert_int_equal(svc_session_new(&o, &s), SVC_ERR_INVALID);
	assert_null(s);
	o.backend = "appliance";
	assert_int_equal(svc_session_new(&o, &s), SVC_OK);
	svc_session_free(s);
}

static void test_a_session_runs_its_own_command(void **state)
{
	struct svc_session *s = session(*state, SVC_COMMAND_INSPECT);
	assert_int_equal(svc_session_apply(s), SVC_ERR_INVALID);
	assert_non_null(strstr(svc_session_errmsg(s), "inspect"));
	svc_session_free(s);
}

static void test_missing_source_is_named(void **state)
{
	struct svc_session *s = session(*state, SVC_COMMAND_APPLY);
	assert_int_equal(svc_session_set_source(s, hvo_fg_at("missing.cab")),
			 SVC_ERR_SOURCE);
	assert_non_null(strstr(svc_session_errmsg(s), "No such file"));
	assert_int_equal(svc_exit_class(SVC_ERR_SOURCE), HVO_EXIT_FAILED);
	svc_session_free(s);
}

static void test_apply_needs_a_source(void **state)
{
	struct svc_session *s = session(*state, SVC_COMMAND_APPLY);
	assert_int_equal(svc_session_add_image(s, hvo_fg_at("a.vhdx")), SVC_OK);
	assert_int_equal(svc_session_apply(s), SVC_ERR_INVALID);
	assert_non_null(strstr(svc_session_errmsg(s), "--source"));
	svc_session_free(s);
}

/* A corrupt cabinet stops the run before anything is launched: every
 * image fails with the cabinet's class (5), and the cabinet is named. */
static void test_corrupt_cabinet_stops_the_run_before_launch(void **state)
{
	struct notices *n = *state;
	hvo_fg_sh("cp '%s' bad.cab && chmod u+w bad.cab && printf '\\377' | "
		  "dd of=bad.cab bs=1 seek=300000 conv=notrunc 2>/dev/null",
		  hvo_fixture(CAB62));
	hvo_fg_sh("mkdir img");
	struct svc_session *s = session(n, SVC_COMMAND_APPLY);
	assert_int_equal(svc_session_add_image(s, hvo_fg_at("img")), SVC_OK);
	assert_int_equal(svc_session_set_source(s, hvo_fg_at("bad.cab")),
			 SVC_OK);
	assert_int_equal(svc_session_apply(s), SVC_OK);
	assert_int_equal(svc_session_exit(s), HVO_EXIT_CORRUPT);
	const struct svc_image_result *r = svc_session_image(s, 0);
	assert_int_equal(r->status, SVC_STATUS_FAILED);
	assert_int_equal(r->exit, HVO_EXIT_CORRUPT);
	assert_null(r->plan);
	struct svc_backend_info b;
	svc_session_backend(s, &b);
	assert_int_equal(b.launches, 0);
	assert_non_null(strstr(notices(n), "bad.cab: "));
	svc_session_free(s);
}

/* An image that is not one fails its pre-flight; nothing is launched. */
static void test_image_that_is_not_one_fails_without_launch(void **state)
{
	struct notices *n = *state;
	hvo_fg_sh("mkdir img");
	struct svc_session *s = session(n, SVC_COMMAND_INSPECT);
	assert_int_equal(svc_session_add_image(s, hvo_fg_at("img")), SVC_OK);
	assert_int_equal(svc_session_inspect(s), SVC_OK);
	assert_int_equal(svc_session_nimages(s), 1);
	const struct svc_image_result *r = svc_session_image(s, 0);
	assert_int_not_equal(r->exit, HVO_EXIT_OK);
	assert_false(r->facts.preflight_ok);
	assert_int_equal(svc_session_exit(s), r->exit);
	struct svc_backend_info b;
	svc_session_backend(s, &b);
	assert_int_equal(b.launches, 0);
	assert_null(b.accelerator);
	/* The problem is a notice about the image, as it happens. */
	assert_non_null(strstr(notices(n), "img: "));
	/* A session runs once. */
	assert_int_equal(svc_session_inspect(s), SVC_ERR_INVALID);
	svc_session_free(s);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_backend_is_invalid,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_session_runs_its_own_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_source_is_named,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_needs_a_source,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_corrupt_cabinet_stops_the_run_before_launch, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_image_that_is_not_one_fails_without_launch, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

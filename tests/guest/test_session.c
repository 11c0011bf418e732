/*
 * test_session.c - the session front (src/guest/session.c): which backend
 * a session gets, and the clear failure of one that cannot be made.
 * Nothing here launches an appliance.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest/guest.h"
#include "guest/guest_int.h"

static struct guest_session *make(const char *backend)
{
	struct guest_session_opts o = { .backend = backend };
	struct guest_session *s = guest_session_new(&o);
	assert_non_null(s);
	return s;
}

static void test_appliance_by_name(void **state)
{
	(void)state;
	unsetenv("HVOFFLINE_BACKEND");
	struct guest_session *s = make("appliance");
	assert_ptr_equal(s->ops, &guest_int_appliance_session_ops);
	assert_string_equal(s->opts.backend, "appliance");
	assert_string_equal(guest_session_errmsg(s), "");
	/* Adding needs no launch; a disk appears only after one. */
	assert_int_equal(guest_session_add(s, "/nonexistent.vhdx", "vhdx", true,
					   "x.vhdx"),
			 0);
	assert_int_equal(guest_session_ndisks(s), 1);
	assert_null(guest_session_disk(s, 0));
	assert_int_equal(guest_session_launches(s), 0);
	guest_session_close(s);
}

static void test_default_and_environment(void **state)
{
	(void)state;
	/* With nothing named, the native backend (session.c); the session
	 * and guest_backend_choose agree. */
	unsetenv("HVOFFLINE_BACKEND");
	struct guest_session *s = guest_session_new(NULL);
	assert_non_null(s);
	assert_ptr_equal(s->ops, &guest_int_native_session_ops);
	assert_string_equal(s->opts.backend, "native");
	guest_session_close(s);
	assert_string_equal(guest_backend_choose(NULL), "native");
	assert_true(guest_backend_is_native(NULL));
	setenv("HVOFFLINE_BACKEND", "", 1);
	assert_string_equal(guest_backend_choose(NULL), "native");

	setenv("HVOFFLINE_BACKEND", "native", 1);
	s = make(NULL);
	assert_ptr_equal(s->ops, &guest_int_native_session_ops);
	guest_session_close(s);
	assert_true(guest_backend_is_native(NULL));
	assert_true(guest_backend_opens_vhdx(NULL));

	setenv("HVOFFLINE_BACKEND", "appliance", 1);
	s = make(NULL);
	assert_ptr_equal(s->ops, &guest_int_appliance_session_ops);
	guest_session_close(s);
	/* The options win over the environment. */
	setenv("HVOFFLINE_BACKEND", "bogus", 1);
	s = make("appliance");
	assert_ptr_equal(s->ops, &guest_int_appliance_session_ops);
	guest_session_close(s);
	unsetenv("HVOFFLINE_BACKEND");
}

static void test_unknown_backend_fails_clearly(void **state)
{
	(void)state;
	unsetenv("HVOFFLINE_BACKEND");
	struct guest_session *s = make("bogus");
	assert_non_null(strstr(guest_session_errmsg(s), "\"bogus\""));
	assert_int_equal(guest_session_add(s, "/x.vhdx", "vhdx", true, NULL),
			 -1);
	assert_int_equal(guest_session_launch(s), GUEST_E_UNSUPPORTED);
	assert_int_equal(guest_session_ndisks(s), 0);
	assert_null(guest_session_disk(s, 0));
	assert_int_equal(guest_session_shutdown(s), GUEST_OK);
	assert_non_null(guest_session_launch_result(s));
	guest_session_close(s);
}

static void test_native_by_name(void **state)
{
	(void)state;
	setenv("HVOFFLINE_BACKEND", "appliance", 1);
	struct guest_session *s = make("native");
	assert_ptr_equal(s->ops, &guest_int_native_session_ops);
	assert_string_equal(guest_session_errmsg(s), "");
	guest_session_close(s);
	assert_true(guest_backend_is_native("native"));
	assert_false(guest_backend_is_native("appliance"));
	assert_null(guest_backend_choose("bogus"));
	assert_false(guest_backend_opens_vhdx("bogus"));
	unsetenv("HVOFFLINE_BACKEND");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appliance_by_name),
		cmocka_unit_test(test_default_and_environment),
		cmocka_unit_test(test_unknown_backend_fails_clearly),
		cmocka_unit_test(test_native_by_name),
	};
	return cmocka_run_group_tests_name("guest/session", tests, NULL, NULL);
}

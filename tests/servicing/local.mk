# Tests of src/servicing: inspection, choice, plan, apply and verify.
# test_plan feeds the planner synthetic facts, one rule per test;
# test_inspect and test_apply run on the host-directory backend (no
# appliance); the shell tests launch the real appliance on the project's
# test images.
SERVICING_UNIT_TESTS = tests/servicing/test_plan tests/servicing/test_inspect \
	tests/servicing/test_apply tests/servicing/test_session
check_PROGRAMS += $(SERVICING_UNIT_TESTS)
TESTS += $(SERVICING_UNIT_TESTS)

tests_servicing_test_apply_SOURCES = tests/servicing/test_apply.c
tests_servicing_test_apply_CFLAGS = $(TEST_CFLAGS)
tests_servicing_test_apply_LDADD = $(TEST_LDADD)

tests_servicing_test_plan_SOURCES = tests/servicing/test_plan.c
tests_servicing_test_plan_CFLAGS = $(TEST_CFLAGS)
tests_servicing_test_plan_LDADD = $(TEST_LDADD)

tests_servicing_test_inspect_SOURCES = tests/servicing/test_inspect.c
tests_servicing_test_inspect_CFLAGS = $(TEST_CFLAGS)
tests_servicing_test_inspect_LDADD = $(TEST_LDADD)

tests_servicing_test_session_SOURCES = tests/servicing/test_session.c
tests_servicing_test_session_CFLAGS = $(TEST_CFLAGS)
tests_servicing_test_session_LDADD = $(TEST_LDADD)

# The sandboxed child per image, with its test hook: session_child.c is
# built again into the test with HVO_TEST_HOOKS (the library's copy has
# no hook), on the images of tests/fixtures.
check_PROGRAMS += tests/servicing/test_session_sandbox
TESTS += tests/servicing/test_session_sandbox
tests_servicing_test_session_sandbox_SOURCES = \
	tests/servicing/test_session_sandbox.c src/servicing/session_child.c
tests_servicing_test_session_sandbox_CPPFLAGS = $(AM_CPPFLAGS) -DHVO_TEST_HOOKS
tests_servicing_test_session_sandbox_CFLAGS = $(TEST_CFLAGS)
tests_servicing_test_session_sandbox_LDADD = $(TEST_LDADD)

# End to end, with the appliance, on the images of tests/fixtures.
SERVICING_SH_TESTS = tests/servicing/apply-cli.sh \
	tests/servicing/apply-images.sh
TESTS += $(SERVICING_SH_TESTS)
EXTRA_DIST += $(SERVICING_SH_TESTS)

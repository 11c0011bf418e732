# Tests of managing commands (issue 18): services, reg --image, rollback.
# The unit tests run on the host-directory backend (no appliance); the
# shell test launches the appliance once on the project's test image.
MANAGE_UNIT_TESTS = tests/manage/test_services
check_PROGRAMS += $(MANAGE_UNIT_TESTS)
TESTS += $(MANAGE_UNIT_TESTS)

tests_manage_test_services_SOURCES = tests/manage/test_services.c
tests_manage_test_services_CFLAGS = $(TEST_CFLAGS)
tests_manage_test_services_LDADD = $(TEST_LDADD)

MANAGE_UNIT_TESTS += tests/manage/test_reg_rollback
check_PROGRAMS += tests/manage/test_reg_rollback
TESTS += tests/manage/test_reg_rollback
tests_manage_test_reg_rollback_SOURCES = tests/manage/test_reg_rollback.c
tests_manage_test_reg_rollback_CFLAGS = $(TEST_CFLAGS)
tests_manage_test_reg_rollback_LDADD = $(TEST_LDADD)

MANAGE_UNIT_TESTS += tests/manage/test_apply_rollback
check_PROGRAMS += tests/manage/test_apply_rollback
TESTS += tests/manage/test_apply_rollback
tests_manage_test_apply_rollback_SOURCES = tests/manage/test_apply_rollback.c
tests_manage_test_apply_rollback_CFLAGS = $(TEST_CFLAGS)
tests_manage_test_apply_rollback_LDADD = $(TEST_LDADD)

# End to end: one appliance launch on the ws2012-x64 test image.
MANAGE_SH_TESTS = tests/manage/manage-cli.sh tests/manage/reg-image-cli.sh \
	tests/manage/rollback-cli.sh
TESTS += $(MANAGE_SH_TESTS)
EXTRA_DIST += $(MANAGE_SH_TESTS)

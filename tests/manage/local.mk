# Tests of managing commands (issue 18): services, reg --image, rollback.
# The unit tests run on the host-directory backend (no appliance); the
# shell test launches the appliance once on the project's test image.
# Each unit test is tests/manage/NAME.c with the test flags (Makefile.am).
MANAGE_UNIT_TESTS = tests/manage/test_services tests/manage/test_reg_rollback \
	tests/manage/test_apply_rollback tests/manage/test_manage_children
check_PROGRAMS += $(MANAGE_UNIT_TESTS)
TESTS += $(MANAGE_UNIT_TESTS)

# End to end: one appliance launch on the ws2012-x64 test image.
MANAGE_SH_TESTS = tests/manage/manage-cli.sh tests/manage/reg-image-cli.sh \
	tests/manage/rollback-cli.sh tests/manage/manage-jobs.sh \
	tests/manage/firstboot-vhdx.sh
TESTS += $(MANAGE_SH_TESTS)
EXTRA_DIST += $(MANAGE_SH_TESTS)

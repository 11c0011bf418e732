# Tests of src/servicing: inspection, choice, plan, apply and verify.
# test_plan feeds the planner synthetic facts, one rule per test;
# test_inspect and test_apply run on the host-directory backend (no
# appliance); the shell tests launch the real appliance on the project's
# test images.
SERVICING_UNIT_TESTS = tests/servicing/test_plan tests/servicing/test_choose \
	tests/servicing/test_inspect tests/servicing/test_inspect_safety \
	tests/servicing/test_applicable tests/servicing/test_apply \
	tests/servicing/test_apply_failures tests/servicing/test_session
check_PROGRAMS += $(SERVICING_UNIT_TESTS)
TESTS += $(SERVICING_UNIT_TESTS)
EXTRA_DIST += tests/servicing/svctest.h

# Each unit test is its .c file with the test flags (Makefile.am), and
# svctest.c (the shared fixtures) but for test_session.
tests_servicing_test_plan_SOURCES = tests/servicing/test_plan.c tests/servicing/svctest.c
tests_servicing_test_choose_SOURCES = tests/servicing/test_choose.c tests/servicing/svctest.c
tests_servicing_test_inspect_SOURCES = tests/servicing/test_inspect.c tests/servicing/svctest.c
tests_servicing_test_inspect_safety_SOURCES = tests/servicing/test_inspect_safety.c tests/servicing/svctest.c
tests_servicing_test_applicable_SOURCES = tests/servicing/test_applicable.c tests/servicing/svctest.c
tests_servicing_test_apply_SOURCES = tests/servicing/test_apply.c tests/servicing/svctest.c
tests_servicing_test_apply_failures_SOURCES = tests/servicing/test_apply_failures.c tests/servicing/svctest.c

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

# Every kind of result a sandboxed child sends, as bytes and back
# (src/servicing/session_wire.c): failures keep their own code and message.
check_PROGRAMS += tests/servicing/test_session_sandbox_wire
TESTS += tests/servicing/test_session_sandbox_wire
tests_servicing_test_session_sandbox_wire_SOURCES = \
	tests/servicing/test_session_sandbox_wire.c tests/servicing/svctest.c

# End to end, with the appliance, on the images of tests/fixtures
# (cab-read-once.sh: natively, counting the source's opens with strace).
SERVICING_SH_TESTS = tests/servicing/apply-cli.sh \
	tests/servicing/apply-images.sh tests/servicing/cab-read-once.sh \
	tests/servicing/folder-probe-once.sh
TESTS += $(SERVICING_SH_TESTS)
EXTRA_DIST += $(SERVICING_SH_TESTS)

# Power loss (issue 19): the crash states of an apply on the host-directory
# backend rebuilt from its recorded file system calls (tests/lib/fsrec.c
# interposes them, so it is linked into this program only).  Reduced
# here; bench/crash.sh runs more.
check_PROGRAMS += tests/servicing/test_apply_powerloss
TESTS += tests/servicing/test_apply_powerloss
tests_servicing_test_apply_powerloss_SOURCES = \
	tests/servicing/test_apply_powerloss.c tests/lib/fsrec.c \
	tests/lib/fsrec_replay.c tests/lib/fsrec_int.h \
	tests/lib/fsrec.h
tests_servicing_test_apply_powerloss_CFLAGS = $(TEST_CFLAGS)
tests_servicing_test_apply_powerloss_LDADD = $(TEST_LDADD) -ldl
# Its hive growth test reads cell space with this (not our reader).
EXTRA_DIST += tests/lib/regf-cells.py

# Power loss during writes to a differencing image (.avhdx leaf).
check_PROGRAMS += tests/servicing/test_apply_powerloss_avhdx
TESTS += tests/servicing/test_apply_powerloss_avhdx
tests_servicing_test_apply_powerloss_avhdx_SOURCES = \
	tests/servicing/test_apply_powerloss_avhdx.c tests/lib/fsrec.c \
	tests/lib/fsrec.h tests/lib/fsrec_replay.c tests/lib/fsrec_int.h
tests_servicing_test_apply_powerloss_avhdx_CFLAGS = $(TEST_CFLAGS)
tests_servicing_test_apply_powerloss_avhdx_LDADD = $(TEST_LDADD) -ldl

# kill -9 of a native apply at random moments (issue 16): 5 trials here
# (HVO_KILL_TRIALS), 200 from bench/kill-apply.sh.  Each guest_fs
# operation of the native backend is a VHDX write transaction, so a kill
# no longer tears NTFS (200 kills: 0 failed, against 1 to 3 before).
TESTS += tests/servicing/kill-apply.sh
EXTRA_DIST += tests/servicing/kill-apply.sh
BENCH_SCRIPTS += bench/kill-apply.sh bench/fleet.sh
EXTRA_DIST += bench/kill-apply.sh

# The system drive from MountedDevices on a GPT disk (issue 18).
check_PROGRAMS += tests/servicing/test_mounted_gpt
TESTS += tests/servicing/test_mounted_gpt
tests_servicing_test_mounted_gpt_SOURCES = tests/servicing/test_mounted_gpt.c tests/servicing/svctest.c
TESTS += tests/servicing/mounted-gpt-cli.sh
EXTRA_DIST += tests/servicing/mounted-gpt-cli.sh
TESTS += tests/servicing/progress-cli.sh
EXTRA_DIST += tests/servicing/progress-cli.sh

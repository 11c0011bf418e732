# Tests of registry/: unit tests (cmocka) on hives built byte by byte and
# on the real hives in ../shared/fixtures/hive, with hivexsh/hivexregedit
# as independent oracles; CLI tests; the crash-safety test.
noinst_LTLIBRARIES += tests/registry/libregtest.la
tests_registry_libregtest_la_SOURCES = \
	tests/registry/regtest.c tests/registry/regtest.h
tests_registry_libregtest_la_CFLAGS = $(TEST_CFLAGS)

REGISTRY_TESTS = \
	tests/registry/test_hive_check \
	tests/registry/test_recover \
	tests/registry/test_recover_real \
	tests/registry/test_edit \
	tests/registry/test_edit_win7 \
	tests/registry/test_regfile \
	tests/registry/test_path \
	tests/registry/test_layout
check_PROGRAMS += $(REGISTRY_TESTS)
TESTS += $(REGISTRY_TESTS)
REGTEST_LDADD = tests/registry/libregtest.la $(TEST_LDADD)

tests_registry_test_hive_check_SOURCES = tests/registry/test_hive_check.c
tests_registry_test_hive_check_CFLAGS = $(TEST_CFLAGS)
tests_registry_test_hive_check_LDADD = $(REGTEST_LDADD)

tests_registry_test_recover_SOURCES = tests/registry/test_recover.c
tests_registry_test_recover_CFLAGS = $(TEST_CFLAGS)
tests_registry_test_recover_LDADD = $(REGTEST_LDADD)

tests_registry_test_recover_real_SOURCES = tests/registry/test_recover_real.c
tests_registry_test_recover_real_CFLAGS = $(TEST_CFLAGS)
tests_registry_test_recover_real_LDADD = $(REGTEST_LDADD)

tests_registry_test_edit_SOURCES = tests/registry/test_edit.c
tests_registry_test_edit_CFLAGS = $(TEST_CFLAGS)
tests_registry_test_edit_LDADD = $(REGTEST_LDADD)

tests_registry_test_edit_win7_SOURCES = tests/registry/test_edit_win7.c
tests_registry_test_edit_win7_CFLAGS = $(TEST_CFLAGS)
tests_registry_test_edit_win7_LDADD = $(REGTEST_LDADD)

tests_registry_test_regfile_SOURCES = tests/registry/test_regfile.c
tests_registry_test_regfile_CFLAGS = $(TEST_CFLAGS)
tests_registry_test_regfile_LDADD = $(REGTEST_LDADD)

tests_registry_test_path_SOURCES = tests/registry/test_path.c
tests_registry_test_path_CFLAGS = $(TEST_CFLAGS)
tests_registry_test_path_LDADD = $(REGTEST_LDADD)

tests_registry_test_layout_SOURCES = tests/registry/test_layout.c
tests_registry_test_layout_CFLAGS = $(TEST_CFLAGS)
tests_registry_test_layout_LDADD = $(REGTEST_LDADD)

# CLI tests (shell, JSON read with jq).
REGISTRY_SH_TESTS = tests/registry/reg-cli.sh tests/registry/compact.sh \
	tests/registry/stale-temps.sh
TESTS += $(REGISTRY_SH_TESTS)
EXTRA_DIST += $(REGISTRY_SH_TESTS) tests/lib/bulk-reg.awk

# Crash safety: a writer killed with SIGKILL at random points.
check_PROGRAMS += tests/registry/crash_writer
tests_registry_crash_writer_SOURCES = tests/registry/crash_writer.c
tests_registry_crash_writer_CFLAGS = $(TEST_CFLAGS)
tests_registry_crash_writer_LDADD = $(TEST_LDADD)
REGISTRY_CRASH_TESTS = tests/registry/crash-safety.sh \
	tests/registry/kill-import.sh
TESTS += $(REGISTRY_CRASH_TESTS)
EXTRA_DIST += $(REGISTRY_CRASH_TESTS)


# Power loss (issue 19): the crash states of `reg import` rebuilt from its
# recorded file system calls (tests/lib/fsrec.c interposes them, so it is
# linked into this program only).  Reduced here; bench/crash.sh runs more.
check_PROGRAMS += tests/registry/test_reg_powerloss
TESTS += tests/registry/test_reg_powerloss
tests_registry_test_reg_powerloss_SOURCES = \
	tests/registry/test_reg_powerloss.c tests/lib/fsrec.c tests/lib/fsrec.h \
	tests/lib/fsrec_replay.c tests/lib/fsrec_int.h
tests_registry_test_reg_powerloss_CFLAGS = $(TEST_CFLAGS)
tests_registry_test_reg_powerloss_LDADD = $(TEST_LDADD) -ldl

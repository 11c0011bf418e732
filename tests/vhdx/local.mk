# Tests of vhdx/ (the library, its CLI, crash safety, locking).
VHDX_TEST_HELPERS = tests/vhdx/vhdxtest.c tests/vhdx/vhdxtest.h
VHDX_TESTS = \
	tests/vhdx/test_vhdx_basics \
	tests/vhdx/test_vhdx_fixtures \
	tests/vhdx/test_vhdx_hostile \
	tests/vhdx/test_vhdx_roundtrip \
	tests/vhdx/test_vhdx_diff \
	tests/vhdx/test_vhdx_crash \
	tests/vhdx/test_vhdx_lock \
	tests/vhdx/test_vhdx_powerloss
check_PROGRAMS += $(VHDX_TESTS)
TESTS += $(VHDX_TESTS)

tests_vhdx_test_vhdx_basics_SOURCES = tests/vhdx/test_vhdx_basics.c
tests_vhdx_test_vhdx_basics_CFLAGS = $(TEST_CFLAGS)
tests_vhdx_test_vhdx_basics_LDADD = $(TEST_LDADD)

tests_vhdx_test_vhdx_fixtures_SOURCES = tests/vhdx/test_vhdx_fixtures.c \
	$(VHDX_TEST_HELPERS)
tests_vhdx_test_vhdx_fixtures_CFLAGS = $(TEST_CFLAGS)
tests_vhdx_test_vhdx_fixtures_LDADD = $(TEST_LDADD)

tests_vhdx_test_vhdx_hostile_SOURCES = tests/vhdx/test_vhdx_hostile.c \
	$(VHDX_TEST_HELPERS)
tests_vhdx_test_vhdx_hostile_CFLAGS = $(TEST_CFLAGS)
tests_vhdx_test_vhdx_hostile_LDADD = $(TEST_LDADD)

tests_vhdx_test_vhdx_roundtrip_SOURCES = tests/vhdx/test_vhdx_roundtrip.c \
	$(VHDX_TEST_HELPERS)
tests_vhdx_test_vhdx_roundtrip_CFLAGS = $(TEST_CFLAGS)
tests_vhdx_test_vhdx_roundtrip_LDADD = $(TEST_LDADD)

tests_vhdx_test_vhdx_diff_SOURCES = tests/vhdx/test_vhdx_diff.c \
	$(VHDX_TEST_HELPERS)
tests_vhdx_test_vhdx_diff_CFLAGS = $(TEST_CFLAGS)
tests_vhdx_test_vhdx_diff_LDADD = $(TEST_LDADD)

# Crash safety: forks a writer and kills it with SIGKILL (>= 50 trials).
tests_vhdx_test_vhdx_crash_SOURCES = tests/vhdx/test_vhdx_crash.c \
	$(VHDX_TEST_HELPERS)
tests_vhdx_test_vhdx_crash_CFLAGS = $(TEST_CFLAGS)
tests_vhdx_test_vhdx_crash_LDADD = $(TEST_LDADD)

tests_vhdx_test_vhdx_lock_SOURCES = tests/vhdx/test_vhdx_lock.c \
	$(VHDX_TEST_HELPERS)
tests_vhdx_test_vhdx_lock_CFLAGS = $(TEST_CFLAGS)
tests_vhdx_test_vhdx_lock_LDADD = $(TEST_LDADD)

VHDX_SCRIPT_TESTS = tests/vhdx/vhdx-cli.sh tests/vhdx/leak.sh
TESTS += $(VHDX_SCRIPT_TESTS)
EXTRA_DIST += $(VHDX_SCRIPT_TESTS)


# Power loss: rebuilds the file states a power cut could leave from the
# recorded I/O of a write session (reduced here; bench/crash.sh runs more).
tests_vhdx_test_vhdx_powerloss_SOURCES = tests/vhdx/test_vhdx_powerloss.c
tests_vhdx_test_vhdx_powerloss_CFLAGS = $(TEST_CFLAGS)
tests_vhdx_test_vhdx_powerloss_LDADD = $(TEST_LDADD)

# Tests of vhdx/ (the library, its CLI, crash safety, locking).
VHDX_TEST_HELPERS = tests/vhdx/vhdxtest.c tests/vhdx/vhdxtest.h
VHDX_TESTS = \
	tests/vhdx/test_vhdx_basics \
	tests/vhdx/test_vhdx_fixtures \
	tests/vhdx/test_vhdx_hostile \
	tests/vhdx/test_vhdx_roundtrip \
	tests/vhdx/test_vhdx_diff \
	tests/vhdx/test_vhdx_crash \
	tests/vhdx/test_vhdx_lock
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

VHDX_SCRIPT_TESTS = tests/vhdx/vhdx-cli.sh
TESTS += $(VHDX_SCRIPT_TESTS)
EXTRA_DIST += $(VHDX_SCRIPT_TESTS)

# The libFuzzer target of vhdx/ (fuzz/fuzz_vhdx.c), following the pattern of
# fuzz/local.mk: `make check` replays fuzz/corpus/vhdx/; --enable-fuzzing
# builds the fuzzer.  Seeds come from fuzz/corpus/vhdx-seeds.py.
check_PROGRAMS += fuzz/fuzz_vhdx_replay
TESTS += fuzz/fuzz_vhdx_replay
fuzz_fuzz_vhdx_replay_SOURCES = fuzz/fuzz_vhdx.c fuzz/replay.c
fuzz_fuzz_vhdx_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_vhdx_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_vhdx
fuzz_fuzz_vhdx_SOURCES = fuzz/fuzz_vhdx.c
fuzz_fuzz_vhdx_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_vhdx_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_vhdx_LDADD = $(TEST_LDADD)
endif
EXTRA_DIST += fuzz/corpus/vhdx-seeds.py

# Benchmark against qemu-img (make bench; not part of make check).
BENCH_SCRIPTS += bench/vhdx.sh
EXTRA_DIST += bench/vhdx.sh

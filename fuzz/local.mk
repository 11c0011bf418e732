# fuzz/: one libFuzzer target per parser.  A module adds its target in its
# own fragment, following this pattern (for a target named NAME):
#
#   check_PROGRAMS += fuzz/fuzz_NAME_replay
#   TESTS += fuzz/fuzz_NAME_replay
#   fuzz_fuzz_NAME_replay_SOURCES = fuzz/fuzz_NAME.c fuzz/replay.c
#   fuzz_fuzz_NAME_replay_CFLAGS = $(TEST_CFLAGS)
#   fuzz_fuzz_NAME_replay_LDADD = $(TEST_LDADD)
#   if FUZZING
#   noinst_PROGRAMS += fuzz/fuzz_NAME
#   fuzz_fuzz_NAME_SOURCES = fuzz/fuzz_NAME.c
#   fuzz_fuzz_NAME_CFLAGS = $(TEST_CFLAGS)
#   fuzz_fuzz_NAME_LDFLAGS = -fsanitize=fuzzer
#   fuzz_fuzz_NAME_LDADD = $(TEST_LDADD)
#   endif
#
# and a seed corpus in fuzz/corpus/NAME/ (plus, optionally, a list of
# fixture files in fuzz/corpus/NAME.fixtures).  `make check` replays it;
# `./configure --enable-fuzzing CC=clang` builds the real fuzzers
# (see fuzz/README.md).
EXTRA_DIST += fuzz/replay.c fuzz/README.md fuzz/corpus

# Tests of cab/: the real integration-services cabinets, a differential
# test against cabextract over every fixture, hostile inputs built byte by
# byte, the writer, and the `hvoffline cab` command.
CAB_TESTS = \
	tests/cab/test_cab_ic \
	tests/cab/test_cab_diff \
	tests/cab/test_cab_hostile \
	tests/cab/test_cab_writer
check_PROGRAMS += $(CAB_TESTS)
TESTS += $(CAB_TESTS)

tests_cab_test_cab_ic_SOURCES = tests/cab/test_cab_ic.c
tests_cab_test_cab_ic_CFLAGS = $(TEST_CFLAGS)
tests_cab_test_cab_ic_LDADD = $(TEST_LDADD)

tests_cab_test_cab_diff_SOURCES = tests/cab/test_cab_diff.c
tests_cab_test_cab_diff_CFLAGS = $(TEST_CFLAGS)
tests_cab_test_cab_diff_LDADD = $(TEST_LDADD)

tests_cab_test_cab_hostile_SOURCES = tests/cab/test_cab_hostile.c
tests_cab_test_cab_hostile_CFLAGS = $(TEST_CFLAGS)
tests_cab_test_cab_hostile_LDADD = $(TEST_LDADD)

tests_cab_test_cab_writer_SOURCES = tests/cab/test_cab_writer.c
tests_cab_test_cab_writer_CFLAGS = $(TEST_CFLAGS)
tests_cab_test_cab_writer_LDADD = $(TEST_LDADD)

CAB_SH_TESTS = tests/cab/cab-cli.sh
TESTS += $(CAB_SH_TESTS)
EXTRA_DIST += $(CAB_SH_TESTS)

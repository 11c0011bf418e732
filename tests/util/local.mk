# Unit tests of src/util.
UTIL_TESTS = \
	tests/util/test_json \
	tests/util/test_utf \
	tests/util/test_sha256_fileio \
	tests/util/test_hex_guid
check_PROGRAMS += $(UTIL_TESTS)
TESTS += $(UTIL_TESTS)

tests_util_test_json_SOURCES = tests/util/test_json.c
tests_util_test_json_CFLAGS = $(TEST_CFLAGS)
tests_util_test_json_LDADD = $(TEST_LDADD)

tests_util_test_utf_SOURCES = tests/util/test_utf.c
tests_util_test_utf_CFLAGS = $(TEST_CFLAGS)
tests_util_test_utf_LDADD = $(TEST_LDADD)

tests_util_test_sha256_fileio_SOURCES = tests/util/test_sha256_fileio.c
tests_util_test_sha256_fileio_CFLAGS = $(TEST_CFLAGS)
tests_util_test_sha256_fileio_LDADD = $(TEST_LDADD)

tests_util_test_hex_guid_SOURCES = tests/util/test_hex_guid.c
tests_util_test_hex_guid_CFLAGS = $(TEST_CFLAGS)
tests_util_test_hex_guid_LDADD = $(TEST_LDADD)

# Tests of src/secdesc/: SDDL round trips and errors, self-relative bytes
# written out from [MS-DTYP], hostile binary descriptors, inheritance.
SECDESC_TESTS = tests/secdesc/test_sd
check_PROGRAMS += $(SECDESC_TESTS)
TESTS += $(SECDESC_TESTS)
tests_secdesc_test_sd_SOURCES = tests/secdesc/test_sd.c
tests_secdesc_test_sd_CFLAGS = $(TEST_CFLAGS)
tests_secdesc_test_sd_LDADD = $(TEST_LDADD)

# Tests of src/secdesc/: SDDL round trips and errors, self-relative bytes
# written out from [MS-DTYP], hostile binary descriptors, inheritance.
SECDESC_TESTS = tests/secdesc/test_sd
check_PROGRAMS += $(SECDESC_TESTS)
TESTS += $(SECDESC_TESTS)

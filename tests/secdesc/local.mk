# Tests of src/secdesc/: SDDL round trips and errors, self-relative bytes
# written out from [MS-DTYP], hostile binary descriptors, inheritance.
SECDESC_TESTS = tests/secdesc/test_sd tests/secdesc/test_apply_sd
check_PROGRAMS += $(SECDESC_TESTS)
TESTS += $(SECDESC_TESTS)

# End to end: apply's descriptors on a test image, judged by ntfssecaudit.
TESTS += tests/secdesc/apply-sd.sh
EXTRA_DIST += tests/secdesc/apply-sd.sh tests/secdesc/sdtool.py \
	tests/secdesc/volume.sh

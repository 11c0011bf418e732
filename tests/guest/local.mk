# Guest-layer and inspection tests.  The shell tests launch the real
# appliance; the cmocka tests (test_*) never do.
GUEST_SH_TESTS = tests/guest/launch-fallback.sh tests/guest/launch-hang.sh \
	tests/guest/inspect-images.sh tests/guest/inspect-cli.sh
TESTS += $(GUEST_SH_TESTS)
EXTRA_DIST += $(GUEST_SH_TESTS) tests/guest/inspect-lib.sh

GUEST_UNIT_TESTS = \
	tests/guest/test_appliance \
	tests/guest/test_hostdir \
	tests/guest/test_inspect \
	tests/guest/test_pe \
	tests/guest/test_volume
check_PROGRAMS += $(GUEST_UNIT_TESTS)
TESTS += $(GUEST_UNIT_TESTS)

tests_guest_test_pe_SOURCES = tests/guest/test_pe.c
tests_guest_test_pe_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_pe_LDADD = $(TEST_LDADD)

tests_guest_test_volume_SOURCES = tests/guest/test_volume.c
tests_guest_test_volume_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_volume_LDADD = $(TEST_LDADD)

tests_guest_test_appliance_SOURCES = tests/guest/test_appliance.c
tests_guest_test_appliance_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_appliance_LDADD = $(TEST_LDADD)

tests_guest_test_hostdir_SOURCES = tests/guest/test_hostdir.c
tests_guest_test_hostdir_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_hostdir_LDADD = $(TEST_LDADD)

tests_guest_test_inspect_SOURCES = tests/guest/test_inspect.c
tests_guest_test_inspect_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_inspect_LDADD = $(TEST_LDADD)

# Fuzz targets of the guest layer's native readers (fuzz/README.md):
# PE images, NTFS boot sector and $Volume record (+ hiberfil.sys and
# BitLocker signatures), MBR/GPT partition tables.
check_PROGRAMS += fuzz/fuzz_pe_replay fuzz/fuzz_ntfs_replay fuzz/fuzz_ptable_replay
TESTS += fuzz/fuzz_pe_replay fuzz/fuzz_ntfs_replay fuzz/fuzz_ptable_replay
fuzz_fuzz_pe_replay_SOURCES = fuzz/fuzz_pe.c fuzz/replay.c
fuzz_fuzz_pe_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_pe_replay_LDADD = $(TEST_LDADD)
fuzz_fuzz_ntfs_replay_SOURCES = fuzz/fuzz_ntfs.c fuzz/replay.c
fuzz_fuzz_ntfs_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_ntfs_replay_LDADD = $(TEST_LDADD)
fuzz_fuzz_ptable_replay_SOURCES = fuzz/fuzz_ptable.c fuzz/replay.c
fuzz_fuzz_ptable_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_ptable_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_pe fuzz/fuzz_ntfs fuzz/fuzz_ptable
fuzz_fuzz_pe_SOURCES = fuzz/fuzz_pe.c
fuzz_fuzz_pe_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_pe_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_pe_LDADD = $(TEST_LDADD)
fuzz_fuzz_ntfs_SOURCES = fuzz/fuzz_ntfs.c
fuzz_fuzz_ntfs_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_ntfs_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ntfs_LDADD = $(TEST_LDADD)
fuzz_fuzz_ptable_SOURCES = fuzz/fuzz_ptable.c
fuzz_fuzz_ptable_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_ptable_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ptable_LDADD = $(TEST_LDADD)
endif

BENCH_SCRIPTS += bench/inspect.sh
EXTRA_DIST += bench/inspect.sh

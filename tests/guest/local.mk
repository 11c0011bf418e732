# Guest-layer and inspection tests.  The shell tests launch the real
# appliance; the cmocka tests (test_*) never do.
GUEST_SH_TESTS = tests/guest/launch-fallback.sh tests/guest/launch-hang.sh \
	tests/guest/inspect-images.sh tests/guest/inspect-cli.sh
TESTS += $(GUEST_SH_TESTS)
EXTRA_DIST += $(GUEST_SH_TESTS) tests/guest/inspect-lib.sh

GUEST_UNIT_TESTS = \
	tests/guest/test_appliance \
	tests/guest/test_hostdir \
	tests/guest/test_pe \
	tests/guest/test_session \
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

tests_guest_test_session_SOURCES = tests/guest/test_session.c
tests_guest_test_session_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_session_LDADD = $(TEST_LDADD)

tests_guest_test_hostdir_SOURCES = tests/guest/test_hostdir.c
tests_guest_test_hostdir_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_hostdir_LDADD = $(TEST_LDADD)

BENCH_SCRIPTS += bench/inspect.sh
EXTRA_DIST += bench/inspect.sh

# The native backend (vhdx/ + libntfs-3g), on the fixture images.
check_PROGRAMS += tests/guest/test_native
TESTS += tests/guest/test_native
tests_guest_test_native_SOURCES = tests/guest/test_native.c
tests_guest_test_native_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_native_LDADD = $(TEST_LDADD)
EXTRA_DIST += tests/guest/native-gpt4k.py
# ... and end to end through the servicing engine beside the appliance
# (one appliance launch), so `make check` runs the native path.
TESTS += tests/guest/native-backends.sh
EXTRA_DIST += tests/guest/native-backends.sh

# The GNU parallel recipe of doc/fleet.md, and -j, on three test images.
TESTS += tests/guest/fleet-parallel.sh
EXTRA_DIST += tests/guest/fleet-parallel.sh

# Torn NTFS states a killed native run could leave (issue 16), built
# directly; the next apply recovers or refuses with its defined code.
check_PROGRAMS += tests/guest/test_native_torn
TESTS += tests/guest/test_native_torn
tests_guest_test_native_torn_SOURCES = tests/guest/test_native_torn.c
tests_guest_test_native_torn_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_native_torn_LDADD = $(TEST_LDADD)

# The sandboxed child (seccomp, limits, result over a pipe).
check_PROGRAMS += tests/guest/test_native_sandbox
TESTS += tests/guest/test_native_sandbox
tests_guest_test_native_sandbox_SOURCES = tests/guest/test_native_sandbox.c
tests_guest_test_native_sandbox_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_native_sandbox_LDADD = $(TEST_LDADD)

# GPT disk and partition GUIDs from byte-built tables (issue 18).
check_PROGRAMS += tests/guest/test_ptable_ids
TESTS += tests/guest/test_ptable_ids

# The ISO 9660 reader (vmguest.iso on the native backend): images built
# byte by byte, and genisoimage images of the real packages against
# isoinfo.
check_PROGRAMS += tests/guest/test_iso9660
TESTS += tests/guest/test_iso9660
tests_guest_test_iso9660_SOURCES = tests/guest/test_iso9660.c
tests_guest_test_iso9660_CFLAGS = $(TEST_CFLAGS)
tests_guest_test_iso9660_LDADD = $(TEST_LDADD)
# ... and as the --source of inspect and apply --dry-run on the native
# backend (no appliance), malformed ones included.
TESTS += tests/guest/iso-source.sh
EXTRA_DIST += tests/guest/iso-source.sh

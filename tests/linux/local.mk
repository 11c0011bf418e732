# Linux guests (issue 18): the parsers of a guest's text files, and
# inspect on images built from text recipes (mklinux.sh: mkfs.ext4 -d,
# sfdisk, hvoffline vhdx) on the native backend, without an appliance.
LINUX_UNIT_TESTS = tests/linux/test_linux_parse tests/linux/test_rpm \
	tests/linux/test_lvm
check_PROGRAMS += $(LINUX_UNIT_TESTS)
TESTS += $(LINUX_UNIT_TESTS)
tests_linux_test_linux_parse_SOURCES = tests/linux/test_linux_parse.c
tests_linux_test_linux_parse_CFLAGS = $(TEST_CFLAGS)
tests_linux_test_linux_parse_LDADD = $(TEST_LDADD)
tests_linux_test_rpm_SOURCES = tests/linux/test_rpm.c
tests_linux_test_rpm_CFLAGS = $(TEST_CFLAGS)
tests_linux_test_rpm_LDADD = $(TEST_LDADD)
tests_linux_test_lvm_SOURCES = tests/linux/test_lvm.c
tests_linux_test_lvm_CFLAGS = $(TEST_CFLAGS)
tests_linux_test_lvm_LDADD = $(TEST_LDADD)

LINUX_TESTS = tests/linux/inspect-linux.sh tests/linux/inspect-lvm.sh \
	tests/linux/xfs-reader.sh tests/linux/inspect-rhel-lvm.sh
TESTS += $(LINUX_TESTS)
EXTRA_DIST += $(LINUX_TESTS) tests/linux/mklinux.sh tests/linux/mkrpmdb.sh \
	tests/linux/mkproto.sh

# The XFS reader (native_xfs*.c) against mkfs.xfs images and xfs_db:
# xfs_walk prints what the reader sees, xfs-reader.sh compares.
check_PROGRAMS += tests/linux/xfs_walk
tests_linux_xfs_walk_SOURCES = tests/linux/xfs_walk.c
tests_linux_xfs_walk_CFLAGS = $(TEST_CFLAGS)
tests_linux_xfs_walk_LDADD = $(TEST_LDADD)

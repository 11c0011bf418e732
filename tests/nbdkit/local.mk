# Tests of nbdkit-hvoffline-plugin (nbdkit/).  They skip (77) only when
# nbdkit is not installed; tools/setup-debian.sh installs it, so CI runs
# them.  HVO_NBDKIT_PLUGIN is the plugin they load (the build tree's).
# appliance-avhdx.sh launches the appliance three times (apply and verify
# on a checkpoint and a 4 KiB-sector image, inspect of a dirty-log image)
# and guestfish once (the independent read).  shared-lock.sh needs the
# test images, no launch.
NBDKIT_SCRIPT_TESTS = tests/nbdkit/plugin.sh tests/nbdkit/kill9.sh \
	tests/nbdkit/appliance-avhdx.sh tests/nbdkit/shared-lock.sh
TESTS += $(NBDKIT_SCRIPT_TESTS)
EXTRA_DIST += $(NBDKIT_SCRIPT_TESTS) tests/nbdkit/nbdlib.sh \
	tests/nbdkit/sectors.py

# The plugin's reading of nbdkit's -r (nbdkit/cmdline.c), compiled in.
check_PROGRAMS += tests/nbdkit/test_cmdline
TESTS += tests/nbdkit/test_cmdline
tests_nbdkit_test_cmdline_SOURCES = tests/nbdkit/test_cmdline.c \
	nbdkit/cmdline.c nbdkit/cmdline.h
tests_nbdkit_test_cmdline_CFLAGS = $(TEST_CFLAGS)
tests_nbdkit_test_cmdline_LDADD = $(CMOCKA_LIBS)

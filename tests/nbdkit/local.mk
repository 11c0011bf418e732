# Tests of nbdkit-hvoffline-plugin (nbdkit/).  They skip (77) only when
# nbdkit is not installed; tools/setup-debian.sh installs it, so CI runs
# them.  HVO_NBDKIT_PLUGIN is the plugin they load (the build tree's).
NBDKIT_SCRIPT_TESTS = tests/nbdkit/plugin.sh tests/nbdkit/kill9.sh
TESTS += $(NBDKIT_SCRIPT_TESTS)
EXTRA_DIST += $(NBDKIT_SCRIPT_TESTS) tests/nbdkit/nbdlib.sh \
	tests/nbdkit/sectors.py

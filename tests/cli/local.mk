# CLI tests: exit codes and output of the program, JSON parsed with jq.
CLI_TESTS = tests/cli/cli-basics.sh tests/cli/man-page.sh tests/cli/install.sh \
	tests/cli/lazy-libs.sh tests/cli/exports.sh
TESTS += $(CLI_TESTS)
EXTRA_DIST += $(CLI_TESTS) tests/lib/testlib.sh

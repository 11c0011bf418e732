# Unit tests of src/package.  Tests that need the real IC packages unpack
# them with cabextract (an independent tool) and take expected values from
# xmllint, iconv and grep.
PACKAGE_TESTS = \
	tests/package/test_ic \
	tests/package/test_manifest \
	tests/package/test_inf \
	tests/package/test_inf_install \
	tests/package/test_applicability \
	tests/package/test_package_open
check_PROGRAMS += $(PACKAGE_TESTS)
TESTS += $(PACKAGE_TESTS)
EXTRA_DIST += tests/package/pkgtest.h tests/package/inftest.h

tests_package_test_ic_SOURCES = tests/package/test_ic.c tests/package/pkgtest.c
tests_package_test_ic_CFLAGS = $(TEST_CFLAGS)
tests_package_test_ic_LDADD = $(TEST_LDADD)

tests_package_test_manifest_SOURCES = tests/package/test_manifest.c tests/package/pkgtest.c
tests_package_test_manifest_CFLAGS = $(TEST_CFLAGS)
tests_package_test_manifest_LDADD = $(TEST_LDADD)

tests_package_test_inf_SOURCES = tests/package/test_inf.c tests/package/inftest.c tests/package/pkgtest.c
tests_package_test_inf_CFLAGS = $(TEST_CFLAGS)
tests_package_test_inf_LDADD = $(TEST_LDADD)

tests_package_test_inf_install_SOURCES = tests/package/test_inf_install.c tests/package/inftest.c tests/package/pkgtest.c
tests_package_test_inf_install_CFLAGS = $(TEST_CFLAGS)
tests_package_test_inf_install_LDADD = $(TEST_LDADD)

tests_package_test_applicability_SOURCES = tests/package/test_applicability.c tests/package/pkgtest.c
tests_package_test_applicability_CFLAGS = $(TEST_CFLAGS)
tests_package_test_applicability_LDADD = $(TEST_LDADD)

tests_package_test_package_open_SOURCES = tests/package/test_package_open.c tests/package/pkgtest.c
tests_package_test_package_open_CFLAGS = $(TEST_CFLAGS)
tests_package_test_package_open_LDADD = $(TEST_LDADD)

# The `hvoffline package info` and `package key` commands, and the demo
# package built from tests/fixtures/icpkg.
PACKAGE_CLI_TESTS = \
	tests/package/package-info.sh \
	tests/package/package-key.sh \
	tests/package/icpkg.sh
TESTS += $(PACKAGE_CLI_TESTS)
EXTRA_DIST += $(PACKAGE_CLI_TESTS)

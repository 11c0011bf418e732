/*
 * test_cmdline.c - the plugin reads nbdkit's -r from the command line
 * (nbdkit/cmdline.c): short clusters, long forms, options whose argument
 * looks like -r, and "--".
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "nbdkit/cmdline.h"

#define RO(...)                                                            \
	hvo_nbd_int_argv_read_only(                                        \
		(int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)), \
		(char *[]){ __VA_ARGS__ })

static void test_read_only(void **state)
{
	(void)state;
	assert_true(RO("nbdkit", "-r", "hvoffline", "file=a.vhdx"));
	assert_true(RO("nbdkit", "--readonly", "hvoffline", "a.vhdx"));
	assert_true(RO("nbdkit", "--read-only", "hvoffline", "a.vhdx"));
	assert_true(RO("nbdkit", "-fr", "-U", "s", "hvoffline", "a.vhdx"));
	assert_true(RO("nbdkit", "-vfr", "hvoffline", "a.vhdx"));
	/* getopt permutes: options may follow the plugin. */
	assert_true(RO("nbdkit", "hvoffline", "a.vhdx", "-r"));
}

static void test_writable(void **state)
{
	(void)state;
	assert_false(RO("nbdkit", "hvoffline", "file=a.vhdx"));
	assert_false(RO("nbdkit", "-f", "-U", "/tmp/s", "hvoffline", "x"));
	/* Arguments of options are not flags. */
	assert_false(RO("nbdkit", "-U", "-r", "hvoffline", "x"));
	assert_false(RO("nbdkit", "--unix", "-r", "hvoffline", "x"));
	assert_false(RO("nbdkit", "-U-r", "hvoffline", "x"));
	assert_false(RO("nbdkit", "--run", "-r", "hvoffline", "x"));
	assert_false(RO("nbdkit", "--filter=-r", "hvoffline", "x"));
	assert_false(RO("nbdkit", "-e", "-r", "hvoffline", "x"));
	/* After "--", nothing is an option of nbdkit's. */
	assert_false(RO("nbdkit", "hvoffline", "--", "-r"));
	assert_false(RO("nbdkit", "hvoffline", "readonly=-r"));
	assert_false(RO("nbdkit"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_writable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

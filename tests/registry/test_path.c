/*
 * test_path.c - machine registry paths and control sets.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry/reg.h"
#include "tests/lib/hvotest.h"
#include "tests/registry/regtest.h"

static void test_split(void **state)
{
	(void)state;
	const struct {
		const char *in, *hive, *key;
	} ok[] = {
		{ "HKLM\\SOFTWARE\\Microsoft\\Windows NT", "SOFTWARE",
		  "Microsoft\\Windows NT" },
		{ "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services",
		  "SYSTEM", "CurrentControlSet\\Services" },
		{ "hklm\\software", "SOFTWARE", "" },
		{ "HKLM\\SOFTWARE\\", "SOFTWARE", "" },
		{ "\\Registry\\Machine\\SYSTEM\\Select", "SYSTEM", "Select" },
		{ "Registry\\Machine\\BCD00000000\\Objects", "BCD00000000",
		  "Objects" },
		{ "Microsoft\\Windows", NULL, "Microsoft\\Windows" },
		{ "\\Microsoft\\Windows\\", NULL, "Microsoft\\Windows" },
		{ "", NULL, "" },
		{ "HKLMX\\SOFTWARE", NULL, "HKLMX\\SOFTWARE" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *hive, *key;
		assert_int_equal(reg_path_split(ok[i].in, &hive, &key), 0);
		if (ok[i].hive == NULL)
			assert_null(hive);
		else
			assert_string_equal(hive, ok[i].hive);
		assert_string_equal(key, ok[i].key);
		free(hive);
		free(key);
	}
	const char *bad[] = { "HKLM",
			      "HKEY_LOCAL_MACHINE",
			      "HKLM\\\\SOFTWARE",
			      "HKLM\\SOFTWARE\\A\\\\B",
			      "A\\\\B",
			      "\xff\xfe" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *hive, *key;
		assert_int_equal(reg_path_split(bad[i], &hive, &key),
				 REG_ERR_INVALID);
	}
}

static void test_control_set(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char *path = rt_copy_fixture("hive/hivex/minimal", dir, "SYSTEM");
	struct reg_hive *h;
	struct reg_open_opts o = { .flags = REG_OPEN_WRITE };
	assert_int_equal(reg_open(path, &o, &h), 0);
	char *key;
	/* Not a SYSTEM hive (yet): no Select\Current. */
	assert_int_equal(
		reg_resolve_path(h, "HKLM\\SYSTEM\\CurrentControlSet", &key),
		REG_ERR_NOT_FOUND);
	assert_non_null(strstr(reg_errmsg(h), "Select\\Current"));
	/* Windows XP images have ControlSet001 and 003. */
	assert_int_equal(reg_set_dword(h, "Select", "Current", 3), 0);
	assert_int_equal(reg_resolve_path(h,
					  "HKLM\\SYSTEM\\currentcontrolset\\"
					  "Services\\vmbus",
					  &key),
			 0);
	assert_string_equal(key, "ControlSet003\\Services\\vmbus");
	free(key);
	/* Only the first component, and only the whole word. */
	assert_int_equal(reg_resolve_path(h, "CurrentControlSetX\\A", &key), 0);
	assert_string_equal(key, "CurrentControlSetX\\A");
	free(key);
	assert_int_equal(reg_resolve_path(h, "A\\CurrentControlSet", &key), 0);
	assert_string_equal(key, "A\\CurrentControlSet");
	free(key);
	assert_int_equal(reg_resolve_path(h, "CurrentControlSet", &key), 0);
	assert_string_equal(key, "ControlSet003");
	free(key);
	unsigned cs;
	assert_int_equal(reg_current_control_set(h, &cs), 0);
	assert_int_equal(cs, 3);
	/* A control set number that is not one. */
	assert_int_equal(reg_set_dword(h, "Select", "Current", 0), 0);
	assert_int_equal(reg_current_control_set(h, &cs), REG_ERR_CORRUPT);
	reg_close(h);
	/* The real Windows 7 SYSTEM hive: Select\Current = 1. */
	char *win7 = rt_unxz_fixture("hive/regipy/SYSTEM.xz", dir, "W7");
	assert_int_equal(reg_open(win7, NULL, &h), 0);
	assert_int_equal(reg_current_control_set(h, &cs), 0);
	assert_int_equal(cs, 1);
	assert_int_equal(reg_resolve_path(h,
					  "HKLM\\SYSTEM\\CurrentControlSet\\"
					  "Services\\vmbus",
					  &key),
			 0);
	struct reg_value *v;
	assert_int_equal(reg_get_value(h, key, "Group", &v), 0);
	char *s;
	assert_int_equal(reg_value_string(v, &s), 0);
	assert_string_equal(s, "System Bus Extender");
	free(s);
	reg_value_free(v);
	free(key);
	reg_close(h);
	free(win7);
	free(path);
	hvo_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_control_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

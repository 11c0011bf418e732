/*
 * test_hex_guid.c - hex digits and GUID text, the one copy in src/util.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/guid.h"
#include "util/hex.h"

static void test_hex_digit(void **state)
{
	(void)state;
	assert_int_equal(hvo_int_hex_digit('0'), 0);
	assert_int_equal(hvo_int_hex_digit('9'), 9);
	assert_int_equal(hvo_int_hex_digit('a'), 10);
	assert_int_equal(hvo_int_hex_digit('F'), 15);
	assert_int_equal(hvo_int_hex_digit('g'), -1);
	assert_int_equal(hvo_int_hex_digit('\0'), -1);
	assert_int_equal(hvo_int_hex_digit(0xc3), -1);
}

static void test_hex_byte(void **state)
{
	(void)state;
	assert_int_equal(hvo_int_hex_byte("00"), 0);
	assert_int_equal(hvo_int_hex_byte("fF"), 255);
	assert_int_equal(hvo_int_hex_byte("7a tail"), 0x7a);
	assert_int_equal(hvo_int_hex_byte("x1"), -1);
	assert_int_equal(hvo_int_hex_byte("1"), -1); /* stops at the NUL */
	assert_int_equal(hvo_int_hex_byte(""), -1);
}

/* The BAT region GUID of the VHDX specification, section 2.2.3.1, as it
 * is stored. */
static const uint8_t bat_stored[16] = { 0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6,
					0x00, 0x42, 0x9D, 0x64, 0x11, 0x5E,
					0x9B, 0xFD, 0x4A, 0x08 };

static void test_guid_format(void **state)
{
	(void)state;
	char text[HVO_GUID_TEXT_SIZE];
	hvo_int_guid_format(bat_stored, false, text);
	assert_string_equal(text, "2dc27766-f623-4200-9d64-115e9bfd4a08");
	hvo_int_guid_format(bat_stored, true, text);
	assert_string_equal(text, "2DC27766-F623-4200-9D64-115E9BFD4A08");
}

static void test_guid_parse(void **state)
{
	(void)state;
	uint8_t g[16];
	assert_true(
		hvo_int_guid_parse("2DC27766-F623-4200-9D64-115E9BFD4A08", g));
	assert_memory_equal(g, bat_stored, 16);
	memset(g, 0, sizeof(g));
	assert_true(hvo_int_guid_parse("{2dc27766-f623-4200-9d64-115e9bfd4a08}",
				       g));
	assert_memory_equal(g, bat_stored, 16);

	static const char *const bad[] = {
		"",
		"2dc27766-f623-4200-9d64-115e9bfd4a0",	 /* short */
		"2dc27766-f623-4200-9d64-115e9bfd4a088", /* long */
		"2dc27766f623-4200-9d64-115e9bfd4a08-",	 /* dash moved */
		"{2dc27766-f623-4200-9d64-115e9bfd4a08", /* open brace */
		"2dc27766-f623-4200-9d64-115e9bfd4a0g",	 /* not hex */
		"2dc27766-f623-4200-9d64-115e9bfd4a08 ", /* trailing */
	};
	uint8_t keep[16];
	memset(keep, 0xaa, sizeof(keep));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(g, keep, sizeof(g));
		assert_false(hvo_int_guid_parse(bad[i], g));
		assert_memory_equal(g, keep, 16);
	}
	assert_false(hvo_int_guid_parse(NULL, g));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_digit),
		cmocka_unit_test(test_hex_byte),
		cmocka_unit_test(test_guid_format),
		cmocka_unit_test(test_guid_parse),
	};
	return cmocka_run_group_tests_name("util/hex_guid", tests, NULL, NULL);
}

/*
 * test_vhdx_basics.c - CRC-32C, GUIDs, error classes.
 *
 * CRC-32C expectations are the standard check value ("123456789" ->
 * 0xE3069283, RFC 3720 appendix B.4) and the 32-byte vectors of RFC 3720
 * B.4; the GUID byte order is the one MS-VHDX and qemu's MSGUID use (the
 * BAT region GUID example of the reference notes).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "vhdx/internal.h"

static void test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(vhdx_int_crc32c(0, "123456789", 9), 0xE3069283u);
	uint8_t zeros[32] = { 0 }, ones[32], inc[32];
	memset(ones, 0xff, sizeof(ones));
	for (int i = 0; i < 32; i++)
		inc[i] = (uint8_t)i;
	assert_int_equal(vhdx_int_crc32c(0, zeros, 32), 0x8A9136AAu);
	assert_int_equal(vhdx_int_crc32c(0, ones, 32), 0x62A8AB43u);
	assert_int_equal(vhdx_int_crc32c(0, inc, 32), 0x46DD794Eu);
	/* Chaining equals one pass, at every split. */
	for (size_t k = 0; k <= 32; k++)
		assert_int_equal(vhdx_int_crc32c(vhdx_int_crc32c(0, inc, k),
						 inc + k, 32 - k),
				 0x46DD794Eu);
	/* The checksum-field hole. */
	uint8_t buf[64];
	for (int i = 0; i < 64; i++)
		buf[i] = (uint8_t)(i * 7);
	uint32_t want;
	uint8_t copy[64];
	memcpy(copy, buf, 64);
	memset(copy + 4, 0, 4);
	want = vhdx_int_crc32c(0, copy, 64);
	assert_int_equal(vhdx_int_crc32c_with_hole(buf, 64, 4), want);
}

static void test_guid(void **state)
{
	(void)state;
	/* The BAT region GUID and its on-disk bytes (mixed-endian). */
	static const struct vhdx_guid bat = GUID_REGION_BAT;
	static const uint8_t disk[16] = { 0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6,
					  0x00, 0x42, 0x9D, 0x64, 0x11, 0x5E,
					  0x9B, 0xFD, 0x4A, 0x08 };
	assert_memory_equal(bat.b, disk, 16);
	char s[37];
	vhdx_guid_format(&bat, s);
	assert_string_equal(s, "2dc27766-f623-4200-9d64-115e9bfd4a08");
	struct vhdx_guid g;
	assert_true(vhdx_int_guid_parse(
		"{2DC27766-F623-4200-9D64-115E9BFD4A08}", &g));
	assert_memory_equal(g.b, disk, 16);
	assert_true(vhdx_int_guid_parse("2dc27766-f623-4200-9d64-115e9bfd4a08",
					&g));
	assert_memory_equal(g.b, disk, 16);
	assert_false(
		vhdx_int_guid_parse("2dc27766-f623-4200-9d64-115e9bfd4a0", &g));
	assert_false(vhdx_int_guid_parse("2dc27766+f623-4200-9d64-115e9bfd4a08",
					 &g));
	assert_false(vhdx_int_guid_parse(
		"{2dc27766-f623-4200-9d64-115e9bfd4a08", &g));
	assert_false(vhdx_int_guid_parse("2dc27766-f623-4200-9d64-115e9bfd4a0g",
					 &g));

	/* Random GUIDs: version 4, RFC 4122 variant, all different. */
	struct vhdx_guid a, b;
	assert_int_equal(vhdx_int_guid_random(&a), 0);
	assert_int_equal(vhdx_int_guid_random(&b), 0);
	assert_false(vhdx_int_guid_eq(&a, &b));
	vhdx_guid_format(&a, s);
	assert_int_equal(s[14], '4');
	assert_true(strchr("89ab", s[19]) != NULL);
	assert_false(vhdx_int_guid_is_zero(&a));
}

static void test_exit_classes(void **state)
{
	(void)state;
	assert_int_equal(vhdx_exit_class(VHDX_OK), HVO_EXIT_OK);
	assert_int_equal(vhdx_exit_class(VHDX_ERR_CORRUPT), HVO_EXIT_CORRUPT);
	assert_int_equal(vhdx_exit_class(VHDX_ERR_TRUNCATED), HVO_EXIT_CORRUPT);
	assert_int_equal(vhdx_exit_class(VHDX_ERR_NOT_VHDX), HVO_EXIT_CORRUPT);
	assert_int_equal(vhdx_exit_class(VHDX_ERR_UNSUPPORTED),
			 HVO_EXIT_CORRUPT);
	assert_int_equal(vhdx_exit_class(VHDX_ERR_LOCKED), HVO_EXIT_REFUSED);
	assert_int_equal(vhdx_exit_class(VHDX_ERR_PARENT_MISMATCH),
			 HVO_EXIT_REFUSED);
	assert_int_equal(vhdx_exit_class(VHDX_ERR_IO), HVO_EXIT_FAILED);
	assert_int_equal(vhdx_exit_class(VHDX_ERR_RANGE), HVO_EXIT_USAGE);
	for (int c = 0; c <= VHDX_ERR_STATE; c++)
		assert_string_not_equal(vhdx_strerror((enum vhdx_err)c),
					"unknown error");
	assert_string_equal(vhdx_strerror((enum vhdx_err)99), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_guid),
		cmocka_unit_test(test_exit_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

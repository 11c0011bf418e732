/*
 * test_utf.c - UTF-8 validation and UTF-16LE conversion.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/utf.h"

static void test_valid_prefix(void **state)
{
	(void)state;
	struct {
		const char *s;
		size_t len;
		size_t want;
	} cases[] = {
		{ "A", 1, 1 },
		{ "\xc3\xa4", 2, 2 },
		{ "\xe2\x84\xa2", 3, 3 },
		{ "\xf0\x9f\x98\x80", 4, 4 },
		{ "\xf4\x8f\xbf\xbf", 4, 4 }, /* U+10FFFF */
		{ "\xf4\x90\x80\x80", 4, 0 }, /* above U+10FFFF */
		{ "\xc0\xaf", 2, 0 },	      /* overlong '/' */
		{ "\xe0\x80\xaf", 3, 0 },     /* overlong '/' */
		{ "\xed\xa0\x80", 3, 0 },     /* surrogate D800 */
		{ "\x80", 1, 0 },	      /* lone continuation */
		{ "\xe2\x84", 2, 0 },	      /* truncated */
		{ "\xc3\x28", 2, 0 },	      /* bad continuation */
		{ "\xff", 1, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(hvo_int_utf8_valid_prefix(
					 (const unsigned char *)cases[i].s,
					 cases[i].len),
				 cases[i].want);
	assert_true(hvo_int_utf8_valid("abc\xc3\xa4", 5));
	assert_false(hvo_int_utf8_valid("abc\xc3", 4));
}

static void test_roundtrip(void **state)
{
	(void)state;
	const char *s = "Hyper-V \xc3\xa4\xe2\x84\xa2 \xf0\x9f\x98\x80";
	uint8_t *u16;
	size_t n;
	assert_int_equal(hvo_int_utf8_to_utf16le(s, strlen(s), &u16, &n), 0);
	/* "Hyper-V " 8 + ä 1 + ™ 1 + ' ' 1 + surrogate pair 2 = 13 units */
	assert_int_equal(n, 26);
	assert_int_equal(u16[n], 0);
	assert_int_equal(u16[n + 1], 0);
	/* The pair for U+1F600 is D83D DE00. */
	assert_int_equal(u16[22], 0x3d);
	assert_int_equal(u16[23], 0xd8);
	assert_int_equal(u16[24], 0x00);
	assert_int_equal(u16[25], 0xde);
	char *back;
	size_t blen;
	assert_int_equal(hvo_int_utf16le_to_utf8(u16, n, 0, &back, &blen), 0);
	assert_string_equal(back, s);
	assert_int_equal(blen, strlen(s));
	free(back);
	free(u16);
}

static void test_utf16_repair(void **state)
{
	(void)state;
	/* 'a', lone high surrogate, 'b', lone low surrogate, NUL, 'c' */
	const uint8_t in[] = { 'a',  0, 0x00, 0xd8, 'b', 0,  0x00,
			       0xdc, 0, 0,    'c',  0,	 'x' /* odd byte */ };
	char *out;
	size_t len;
	assert_int_equal(hvo_int_utf16le_to_utf8(in, sizeof(in), 1, &out, &len),
			 0);
	assert_string_equal(out, "a\xef\xbf\xbd"
				 "b\xef\xbf\xbd");
	free(out);
	assert_int_equal(hvo_int_utf16le_to_utf8(in, sizeof(in), 0, &out, &len),
			 0);
	assert_int_equal(len, 1 + 3 + 1 + 3 + 1 + 1);
	assert_memory_equal(out,
			    "a\xef\xbf\xbd"
			    "b\xef\xbf\xbd\0c",
			    len);
	free(out);
}

static void test_utf8_invalid_refused(void **state)
{
	(void)state;
	uint8_t *u16 = NULL;
	size_t n;
	assert_int_equal(hvo_int_utf8_to_utf16le("a\xff", 2, &u16, &n), EILSEQ);
	assert_null(u16);
	assert_int_equal(hvo_int_utf8_to_utf16le("", 0, &u16, &n), 0);
	assert_int_equal(n, 0);
	free(u16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_prefix),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_utf16_repair),
		cmocka_unit_test(test_utf8_invalid_refused),
	};
	return cmocka_run_group_tests_name("util/utf", tests, NULL, NULL);
}

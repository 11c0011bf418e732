/*
 * test_json.c - the JSON writer: structure, escaping, misuse, write errors.
 *
 * Every document written here is also checked with an independent parser
 * (jq) when it is installed, so "valid JSON" is not judged by our own code.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/lib/hvotest.h"
#include "util/json.h"

/* Writes with @fn into memory and returns the text (caller frees). */
static char *render(void (*fn)(struct json_writer *), bool pretty, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct json_writer w;
	hvo_int_json_init(&w, f, pretty);
	fn(&w);
	*err = hvo_int_json_finish(&w);
	fclose(f);
	return buf;
}

/* Checks @text with jq (if present): it must parse, and @filter must be
 * true. */
static void jq_check(const char *text, const char *filter)
{
	if (!hvo_test_have_program("jq"))
		return;
	char *dir = hvo_test_mkdtemp();
	char path[4200], cmd[8600];
	snprintf(path, sizeof(path), "%s/doc.json", dir);
	hvo_test_write_file(path, text, strlen(text));
	snprintf(cmd, sizeof(cmd), "jq -e '%s' '%s'", filter, path);
	char *out = NULL;
	int rc = hvo_test_run(cmd, &out);
	if (rc != 0)
		fprintf(stderr, "jq '%s' failed on:\n%s\n", filter, text);
	assert_int_equal(rc, 0);
	free(out);
	hvo_test_rmtree(dir);
	free(dir);
}

static void doc_nested(struct json_writer *w)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "name", "hvoffline");
	hvo_int_json_kv_int(w, "neg", -42);
	hvo_int_json_kv_uint(w, "big", 18446744073709551615ULL);
	hvo_int_json_kv_bool(w, "yes", true);
	hvo_int_json_key(w, "nothing");
	hvo_int_json_null(w);
	hvo_int_json_key(w, "list");
	hvo_int_json_begin_array(w);
	hvo_int_json_int(w, 1);
	hvo_int_json_begin_object(w);
	hvo_int_json_end_object(w);
	hvo_int_json_begin_array(w);
	hvo_int_json_end_array(w);
	hvo_int_json_string(w, NULL);
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "ratio");
	hvo_int_json_double(w, 1.5, 3);
	hvo_int_json_end_object(w);
}

static void test_nested(void **state)
{
	(void)state;
	for (int pretty = 0; pretty <= 1; pretty++) {
		int err;
		char *s = render(doc_nested, pretty, &err);
		assert_int_equal(err, 0);
		if (!pretty)
			assert_string_equal(
				s, "{\"name\":\"hvoffline\",\"neg\":-42,"
				   "\"big\":18446744073709551615,\"yes\":true,"
				   "\"nothing\":null,\"list\":[1,{},[],null],"
				   "\"ratio\":1.500}\n");
		jq_check(s, ".name == \"hvoffline\" and .neg == -42 and "
			    ".list[0] == 1 and (.list | length) == 4 and "
			    ".ratio == 1.5");
		free(s);
	}
}

static void doc_escapes(struct json_writer *w)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "q\"uote", "a\"b\\c\n\r\t\b\f\x01\x1f\x7f");
	/* Valid UTF-8 passes through; invalid bytes become U+FFFD. */
	hvo_int_json_kv_string(w, "utf8",
			       "\xc3\xa4\xe2\x84\xa2\xf0\x9f\x98\x80");
	hvo_int_json_kv_string(w, "bad",
			       "a\xff"
			       "b\xc0\xaf"
			       "c\xed\xa0\x80"
			       "d\xe2\x84");
	hvo_int_json_key(w, "nul");
	hvo_int_json_string_len(w, "x\0y", 3);
	hvo_int_json_end_object(w);
}

static void test_escapes(void **state)
{
	(void)state;
	int err;
	char *s = render(doc_escapes, false, &err);
	assert_int_equal(err, 0);
	assert_non_null(strstr(s, "\"q\\\"uote\":\"a\\\"b\\\\c\\n\\r\\t\\b\\f"
				  "\\u0001\\u001f\\u007f\""));
	assert_non_null(strstr(s, "\"utf8\":\"\xc3\xa4\xe2\x84\xa2\xf0\x9f\x98"
				  "\x80\""));
	/* 0xff -> U+FFFD; overlong c0 af -> two U+FFFD; a surrogate
	 * encoded in UTF-8 -> three; a truncated sequence -> two. */
	assert_non_null(strstr(s, "\"bad\":\"a\xef\xbf\xbd"
				  "b\xef\xbf\xbd\xef\xbf\xbd"
				  "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				  "d\xef\xbf\xbd\xef\xbf\xbd\""));
	assert_non_null(strstr(s, "\"nul\":\"x\\u0000y\""));
	jq_check(s, ".nul == \"x\\u0000y\" and .utf8 == \"ä™😀\"");
	free(s);
}

static void misuse_value_without_key(struct json_writer *w)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_int(w, 1);
	hvo_int_json_end_object(w);
}

static void misuse_unbalanced(struct json_writer *w)
{
	hvo_int_json_begin_array(w);
	hvo_int_json_begin_object(w);
	hvo_int_json_end_array(w);
}

static void misuse_unclosed(struct json_writer *w)
{
	hvo_int_json_begin_array(w);
}

static void misuse_two_documents(struct json_writer *w)
{
	hvo_int_json_int(w, 1);
	hvo_int_json_int(w, 2);
}

static void misuse_key_in_array(struct json_writer *w)
{
	hvo_int_json_begin_array(w);
	hvo_int_json_key(w, "k");
	hvo_int_json_end_array(w);
}

static void misuse_dangling_key(struct json_writer *w)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_key(w, "k");
	hvo_int_json_end_object(w);
}

static void misuse_too_deep(struct json_writer *w)
{
	for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
		hvo_int_json_begin_array(w);
	for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
		hvo_int_json_end_array(w);
}

static void test_misuse(void **state)
{
	(void)state;
	void (*cases[])(struct json_writer *) = {
		misuse_value_without_key, misuse_unbalanced,
		misuse_unclosed,	  misuse_two_documents,
		misuse_key_in_array,	  misuse_dangling_key,
		misuse_too_deep,
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err;
		char *s = render(cases[i], false, &err);
		assert_int_equal(err, EINVAL);
		free(s);
	}
}

static void test_write_error(void **state)
{
	(void)state;
	FILE *f = fopen("/dev/full", "w");
	if (f == NULL)
		skip();
	/* Unbuffered, so the failure shows at the first write. */
	setvbuf(f, NULL, _IONBF, 0);
	struct json_writer w;
	hvo_int_json_init(&w, f, false);
	hvo_int_json_begin_object(&w);
	hvo_int_json_kv_string(&w, "k", "v");
	hvo_int_json_end_object(&w);
	assert_int_equal(hvo_int_json_finish(&w), ENOSPC);
	fclose(f);
}

static void test_double(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer w;
	hvo_int_json_init(&w, f, false);
	hvo_int_json_begin_array(&w);
	hvo_int_json_double(&w, 0.0 / 0.0, 3);
	hvo_int_json_double(&w, 2.0, 0);
	hvo_int_json_double(&w, -0.125, 3);
	hvo_int_json_end_array(&w);
	assert_int_equal(hvo_int_json_finish(&w), 0);
	fclose(f);
	assert_string_equal(buf, "[null,2,-0.125]\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_double),
	};
	return cmocka_run_group_tests_name("util/json", tests, NULL, NULL);
}

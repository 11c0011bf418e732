/*
 * test_regfile.c - .reg import and export.
 *
 * Inputs are written out byte by byte here (every syntax regedit and
 * virt-win-reg users feed: headers, encodings, continuations, deletions,
 * comments); results are read back through our API and hivexsh.  The
 * libguestfs recipe is imported both by us and by hivexregedit --merge and
 * the two hives must export identically; our export must import back
 * unchanged and be accepted by hivexregedit --merge.
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
#include "util/utf.h"

/* A writable copy of hivex's minimal hive named @name (the file name is
 * the default prefix's hive). */
static char *fresh(const char *name)
{
	return rt_copy_fixture("hive/hivex/minimal", rt_tmpdir, name);
}

static struct reg_hive *open_rw(const char *path)
{
	struct reg_hive *h;
	struct reg_open_opts o = { .flags = REG_OPEN_WRITE };
	if (reg_open(path, &o, &h) != 0)
		fail_msg("%s: %s", path, reg_errmsg(h));
	return h;
}

/* Imports @text (as bytes) and commits; returns the import result. */
static int import_text(const char *hive, const void *text, size_t len,
		       const char *prefix, char *msg, size_t msglen)
{
	struct reg_hive *h = open_rw(hive);
	int rc = reg_import_buffer(h, text, len, "test.reg", prefix, NULL);
	if (msg)
		snprintf(msg, msglen, "%s", reg_errmsg(h));
	if (rc == 0)
		assert_int_equal(reg_commit(h), 0);
	reg_close(h);
	return rc;
}

static const char full_reg[] =
	"Windows Registry Editor Version 5.00\r\n"
	"\r\n"
	"; a comment\r\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test]\r\n"
	"@=\"default\"\r\n"
	"\"Str\"=\"with \\\"quotes\\\" and \\\\ backslash\"\r\n"
	"\"Unicode\"=\"Grüße ™\"\r\n"
	"\"Dw\"=dword:0000001a\r\n"
	"\"Short\"=dword:1a\r\n"
	"\"Bin\"=hex:00,01,02,\\\r\n"
	"  ff,fe\r\n"
	"\"Empty\"=hex:\r\n"
	"\"Exp\"=hex(2):25,00,77,00,69,00,6e,00,64,00,69,00,72,00,25,00,00,"
	"00\r\n"
	"\"Multi\"=hex(7):61,00,00,00,62,00,62,00,00,00,00,00\r\n"
	"\"Q\"=hex(b):01,02,03,04,05,06,07,08\r\n"
	"\"None\"=hex(0):\r\n"
	"\"Odd\"=hex(1234abcd):01\r\n"
	"\"Spaced\" = \"ok\"\r\n"
	"\r\n"
	"[HKLM\\SOFTWARE\\Test\\Sub\\Deeper]\r\n"
	"\"x\"=dword:00000001\r\n"
	"\r\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Gone]\r\n"
	"\"v\"=dword:00000001\r\n"
	"[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Gone]\r\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test]\r\n"
	"\"Spaced\"=-\r\n"
	"\"NotThere\"=-\r\n"
	"[-HKEY_LOCAL_MACHINE\\SOFTWARE\\NeverWas]\r\n";

static void check_full(const char *hive)
{
	struct reg_hive *h;
	assert_int_equal(reg_open(hive, NULL, &h), 0);
	struct reg_value *v;
	char *s;
	const struct {
		const char *name, *text;
	} strs[] = {
		{ "", "default" },
		{ "Str", "with \"quotes\" and \\ backslash" },
		{ "Unicode", "Grüße ™" },
	};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(reg_get_value(h, "Test", strs[i].name, &v), 0);
		assert_int_equal(v->type, REG_TYPE_SZ);
		assert_int_equal(reg_value_string(v, &s), 0);
		assert_string_equal(s, strs[i].text);
		free(s);
		reg_value_free(v);
	}
	uint32_t dw;
	assert_int_equal(reg_get_value(h, "Test", "Short", &v), 0);
	assert_int_equal(reg_value_dword(v, &dw), 0);
	assert_int_equal(dw, 0x1a);
	reg_value_free(v);
	assert_int_equal(reg_get_value(h, "Test", "Bin", &v), 0);
	assert_int_equal(v->type, REG_TYPE_BINARY);
	assert_int_equal(v->len, 5);
	assert_memory_equal(v->data, "\x00\x01\x02\xff\xfe", 5);
	reg_value_free(v);
	assert_int_equal(reg_get_value(h, "Test", "Empty", &v), 0);
	assert_int_equal(v->len, 0);
	reg_value_free(v);
	assert_int_equal(reg_get_value(h, "Test", "Odd", &v), 0);
	assert_int_equal(v->type, 0x1234abcd);
	reg_value_free(v);
	assert_int_equal(reg_get_value(h, "Test", "Spaced", &v),
			 REG_ERR_NOT_FOUND);
	rt_expect_key(h, "Gone", false);
	rt_expect_key(h, "Test\\Sub\\Deeper", true);
	reg_close(h);
	/* hivexsh sees the types. */
	char *out = rt_hivexsh(hive, "cd Test\nlsval");
	assert_non_null(strstr(out, "\"Exp\"=str(2):\"%windir%\""));
	assert_non_null(strstr(out, "\"Multi\"=hex(7):61,00,00,00,62,00,62,00,"
				    "00,00,00,00"));
	assert_non_null(strstr(out, "\"Q\"=hex(11):01,02,03,04,05,06,07,08"));
	assert_non_null(strstr(out, "\"Dw\"=dword:0000001a"));
	free(out);
}

static void test_import_utf8(void **state)
{
	(void)state;
	char *hive = fresh("SOFTWARE");
	char msg[512];
	int rc = import_text(hive, full_reg, strlen(full_reg), NULL, msg,
			     sizeof(msg));
	if (rc)
		fail_msg("%s", msg);
	check_full(hive);
	free(hive);
	/* With a UTF-8 BOM and LF line ends. */
	hive = fresh("SOFTWARE");
	char *lf = malloc(sizeof(full_reg) + 3);
	memcpy(lf, "\xef\xbb\xbf", 3);
	size_t o = 3;
	for (const char *p = full_reg; *p; p++)
		if (*p != '\r')
			lf[o++] = *p;
	assert_int_equal(import_text(hive, lf, o, NULL, NULL, 0), 0);
	check_full(hive);
	free(lf);
	free(hive);
}

static void test_import_utf16(void **state)
{
	(void)state;
	uint8_t *u16;
	size_t n;
	assert_int_equal(
		hvo_int_utf8_to_utf16le(full_reg, strlen(full_reg), &u16, &n),
		0);
	uint8_t *withbom = malloc(n + 2);
	withbom[0] = 0xff; /* BOM, as regedit writes */
	withbom[1] = 0xfe;
	memcpy(withbom + 2, u16, n);
	char *hive = fresh("SOFTWARE");
	assert_int_equal(import_text(hive, withbom, n + 2, NULL, NULL, 0), 0);
	check_full(hive);
	free(hive);
	/* Without its BOM. */
	hive = fresh("SOFTWARE");
	assert_int_equal(import_text(hive, u16, n, NULL, NULL, 0), 0);
	check_full(hive);
	free(hive);
	free(u16);
	free(withbom);
}

static void test_import_regedit4(void **state)
{
	(void)state;
	/* Windows-1252 text; string bytes in hex(2)/hex(7) are ANSI and are
	 * widened to UTF-16 as regedit does. */
	static const char r4[] = "REGEDIT4\r\n"
				 "\r\n"
				 "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]\r\n"
				 "\"Cafe\"=\"caf\xe9 \x80\"\r\n"
				 "\"Exp\"=hex(2):25,77,69,6e,64,69,72,25,00\r\n"
				 "\"Multi\"=hex(7):61,00,e9,00,00\r\n"
				 "\"Bin\"=hex:e9\r\n";
	char *hive = fresh("SOFTWARE");
	char msg[512];
	if (import_text(hive, r4, sizeof(r4) - 1, NULL, msg, sizeof(msg)))
		fail_msg("%s", msg);
	struct reg_hive *h;
	assert_int_equal(reg_open(hive, NULL, &h), 0);
	struct reg_value *v;
	char *s;
	assert_int_equal(reg_get_value(h, "Old", "Cafe", &v), 0);
	assert_int_equal(reg_value_string(v, &s), 0);
	assert_string_equal(s, "café €");
	free(s);
	reg_value_free(v);
	assert_int_equal(reg_get_value(h, "Old", "Exp", &v), 0);
	assert_int_equal(v->type, REG_TYPE_EXPAND_SZ);
	assert_int_equal(v->len, 18);
	assert_int_equal(reg_value_string(v, &s), 0);
	assert_string_equal(s, "%windir%");
	free(s);
	reg_value_free(v);
	char **strs;
	size_t n;
	assert_int_equal(reg_get_value(h, "Old", "Multi", &v), 0);
	assert_int_equal(reg_value_multi(v, &strs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(strs[0], "a");
	assert_string_equal(strs[1], "é");
	reg_names_free(strs, n);
	reg_value_free(v);
	/* Binary data is never widened. */
	assert_int_equal(reg_get_value(h, "Old", "Bin", &v), 0);
	assert_int_equal(v->len, 1);
	reg_value_free(v);
	reg_close(h);
	free(hive);
}

static void test_import_errors(void **state)
{
	(void)state;
	const struct {
		const char *text;
		unsigned line;
		const char *msg;
	} cases[] = {
		{ "REGEDIT5\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\n", 1,
		  "not a .reg file" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=str(1)\"x\"\n", 3,
		  "quoted string after str" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=str(1):x\n", 3,
		  "quoted string after str" },
		{ "", 0, "empty file" },
		{ "REGEDIT4\n\"v\"=dword:00000001\n", 2, "outside a [key]" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v=\"x\"\n", 3,
		  "expected '='" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=\"x\n", 3,
		  "unterminated" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=\"x\" y\n", 3,
		  "after the closing quote" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=hex:0g\n", 3, "hex" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=hex:01,,02\n", 3,
		  "empty byte" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=dword:123456789\n", 3,
		  "1 to 8" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=hex(zz):00\n", 3,
		  "type" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=qword:1\n", 3,
		  "unknown value data" },
		{ "REGEDIT4\n\n[HKLM\\SYSTEM\\A]\n", 3, "outside" },
		{ "REGEDIT4\n\n[HKEY_CURRENT_USER\\A]\n", 3, "outside" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A\n", 2, "closing ']'" },
		{ "REGEDIT4\n[-HKLM\\SOFTWARE]\n", 2, "root" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A\\\\B]\n", 2, "invalid key" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n\"v\"=hex:01,\\\n  zz\n", 3,
		  "hex" },
		{ "REGEDIT4\n[HKLM\\SOFTWARE\\A]\n; ok\nnonsense\n", 4,
		  "expected" },
	};
	char *hive = fresh("SOFTWARE");
	char before[65], after[65];
	hvo_test_sha256_file(hive, before);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[512], want[32];
		int rc = import_text(hive, cases[i].text, strlen(cases[i].text),
				     NULL, msg, sizeof(msg));
		snprintf(want, sizeof(want), "line %u:", cases[i].line);
		if (rc != REG_ERR_SYNTAX || strstr(msg, cases[i].msg) == NULL ||
		    strstr(msg, want) == NULL)
			fail_msg("case %zu: %d '%s'", i, rc, msg);
		assert_int_equal(reg_exit_class(rc), HVO_EXIT_CORRUPT);
	}
	/* Nothing was ever written. */
	hvo_test_sha256_file(hive, after);
	assert_string_equal(before, after);
	free(hive);
}

static void test_prefix_and_control_set(void **state)
{
	(void)state;
	/* The libguestfs SYSTEM recipe: Select\Current = 1. */
	char *sys = fresh("SYSTEM");
	size_t len;
	uint8_t *rec = hvo_test_read_file(
		hvo_fixture("hive/libguestfs/windows-system.reg"), &len);
	assert_int_equal(import_text(sys, rec, len,
				     "HKEY_LOCAL_MACHINE\\SYSTEM", NULL, 0),
			 0);
	free(rec);
	static const char ccs[] =
		"Windows Registry Editor Version 5.00\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\"
		"Hvo]\n"
		"\"Start\"=dword:00000003\n";
	assert_int_equal(
		import_text(sys, ccs, sizeof(ccs) - 1, "HKLM\\SYSTEM", NULL, 0),
		0);
	struct reg_hive *h;
	assert_int_equal(reg_open(sys, NULL, &h), 0);
	rt_expect_key(h, "ControlSet001\\Services\\Hvo", true);
	unsigned cs;
	assert_int_equal(reg_current_control_set(h, &cs), 0);
	assert_int_equal(cs, 1);
	char *k;
	assert_int_equal(reg_resolve_path(h,
					  "HKEY_LOCAL_MACHINE\\SYSTEM\\"
					  "CurrentControlSet\\Services\\Tcpip",
					  &k),
			 0);
	assert_string_equal(k, "ControlSet001\\Services\\Tcpip");
	free(k);
	reg_close(h);
	/* A prefix deeper in the hive: keys are relative to it. */
	static const char deep[] =
		"REGEDIT4\n"
		"[HKLM\\SYSTEM\\ControlSet001\\Services\\Hvo\\"
		"Parameters]\n"
		"\"p\"=dword:00000001\n";
	/* The prefix is compared as written: ControlSet001 is not under
	 * the words CurrentControlSet. */
	assert_int_equal(
		import_text(sys, deep, sizeof(deep) - 1,
			    "HKLM\\SYSTEM\\CurrentControlSet\\Services", NULL,
			    0),
		REG_ERR_SYNTAX);
	free(sys);
	sys = fresh("X");
	static const char rel[] = "REGEDIT4\n"
				  "[HKLM\\SYSTEM\\Services\\Hvo\\Parameters]\n"
				  "\"p\"=dword:00000001\n";
	assert_int_equal(import_text(sys, rel, sizeof(rel) - 1,
				     "HKLM\\SYSTEM\\Services", NULL, 0),
			 0);
	assert_int_equal(reg_open(sys, NULL, &h), 0);
	rt_expect_key(h, "Hvo\\Parameters", true);
	reg_close(h);
	free(sys);
}

/* hivexregedit's view of a hive, for comparisons. */
static char *hivexregedit_export(const char *hive, const char *prefix)
{
	char *cmd, *out;
	assert_true(asprintf(&cmd,
			     "hivexregedit --export --prefix '%s' '%s' '\\'",
			     prefix, hive) > 0);
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	free(cmd);
	return out;
}

static void test_same_as_hivexregedit_merge(void **state)
{
	(void)state;
	/* hvo_fixture() returns a static buffer: keep a copy. */
	char *recipe =
		strdup(hvo_fixture("hive/libguestfs/windows-software.reg"));
	char *ours = fresh("SOFTWARE");
	struct reg_hive *h = open_rw(ours);
	size_t nops;
	if (reg_import(h, recipe, "HKEY_LOCAL_MACHINE\\SOFTWARE", &nops) != 0)
		fail_msg("%s", reg_errmsg(h));
	assert_true(nops > 10);
	assert_int_equal(reg_commit(h), 0);
	reg_close(h);
	char *theirs =
		rt_copy_fixture("hive/hivex/minimal", rt_tmpdir, "theirs");
	char *cmd;
	assert_true(asprintf(&cmd,
			     "hivexregedit --merge --prefix "
			     "'HKEY_LOCAL_MACHINE\\SOFTWARE' '%s' '%s'",
			     theirs, recipe) > 0);
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);
	char *a = hivexregedit_export(ours, "HKLM\\SOFTWARE");
	char *b = hivexregedit_export(theirs, "HKLM\\SOFTWARE");
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "CurrentVersion"));
	free(a);
	free(b);
	char *out = rt_hivexsh(
		ours, "cd Microsoft\\Windows NT\\CurrentVersion\nlsval");
	assert_non_null(strstr(out,
			       "\"ProductName\"=\"Microsoft Windows 7 Phony "
			       "Edition\""));
	free(out);
	free(ours);
	free(theirs);
	free(recipe);
}

/* A hive with values export has to be careful with. */
static char *tricky_hive(void)
{
	char *path = fresh("SOFTWARE");
	struct reg_hive *h = open_rw(path);
	assert_int_equal(reg_set_string(h, "T", "q", REG_TYPE_SZ,
					"a \"quoted\" \\ path\\"),
			 0);
	assert_int_equal(
		reg_set_string(h, "T", "nl", REG_TYPE_SZ, "two\r\nlines"), 0);
	assert_int_equal(
		reg_set_value(h, "T", "noterm", REG_TYPE_SZ, "a\0b", 3), 0);
	assert_int_equal(
		reg_set_value(h, "T", "dw5", REG_TYPE_DWORD, "\1\2\3\4\5", 5),
		0);
	static uint8_t big[50000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	assert_int_equal(reg_set_value(h, "T\\Größe", "big", REG_TYPE_BINARY,
				       big, sizeof(big)),
			 0);
	assert_int_equal(
		reg_set_string(h, "T\\Größe", "", REG_TYPE_EXPAND_SZ, "%x%"),
		0);
	const char *m[] = { "one", "two" };
	assert_int_equal(reg_set_multi(h, "T\\Größe\\Ω", "m", m, 2), 0);
	assert_int_equal(reg_set_qword(h, "T", "q64", 1ull << 63), 0);
	assert_int_equal(reg_set_value(h, "T", "empty", REG_TYPE_NONE, NULL, 0),
			 0);
	assert_int_equal(reg_commit(h), 0);
	reg_close(h);
	return path;
}

static char *export_text(const char *hive, unsigned flags, size_t *len)
{
	struct reg_hive *h;
	assert_int_equal(reg_open(hive, NULL, &h), 0);
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	assert_int_equal(reg_export(h, NULL, NULL, flags, f), 0);
	fclose(f);
	reg_close(h);
	*len = n;
	return text;
}

static void test_export_round_trip(void **state)
{
	(void)state;
	char *src = tricky_hive();
	for (int utf8 = 0; utf8 < 2; utf8++) {
		unsigned flags = utf8 ? REG_EXPORT_UTF8 : 0;
		size_t l1, l2;
		char *t1 = export_text(src, flags, &l1);
		if (!utf8) {
			assert_memory_equal(t1, "\xff\xfe", 2); /* BOM */
		} else {
			assert_non_null(strstr(t1, "\"q\"=\"a \\\"quoted\\\" "
						   "\\\\ path\\\\\""));
			assert_non_null(strstr(t1, "\"dw5\"=hex(4):01,02,03,"
						   "04,05"));
			assert_non_null(strstr(t1, ",\\\n  "));
		}
		char *dst = fresh("SOFTWARE");
		assert_int_equal(import_text(dst, t1, l1, NULL, NULL, 0), 0);
		char *t2 = export_text(dst, flags, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(t1, t2, l1);
		free(t1);
		free(t2);
		free(dst);
	}
	/* hivexregedit --merge accepts our UTF-8 export, and what it builds
	 * exports the same again. */
	size_t l1, l2;
	char *t1 = export_text(src, REG_EXPORT_UTF8, &l1);
	char *regpath = rt_write(rt_tmpdir, "ours.reg", t1, l1);
	char *theirs =
		rt_copy_fixture("hive/hivex/minimal", rt_tmpdir, "SOFTWARE");
	char *cmd;
	assert_true(asprintf(&cmd,
			     "hivexregedit --merge --prefix "
			     "'HKEY_LOCAL_MACHINE\\SOFTWARE' '%s' '%s'",
			     theirs, regpath) > 0);
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);
	char *t2 = export_text(theirs, REG_EXPORT_UTF8, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(t1, t2, l1);
	free(t1);
	free(t2);
	free(regpath);
	free(theirs);
	free(src);
}

static void test_export_subtree_and_names(void **state)
{
	(void)state;
	char *src = tricky_hive();
	struct reg_hive *h;
	assert_int_equal(reg_open(src, NULL, &h), 0);
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	assert_int_equal(
		reg_export(h, "t\\GRÖSSE", "HKLM\\X\\", REG_EXPORT_UTF8, f),
		REG_ERR_NOT_FOUND);
	assert_int_equal(
		reg_export(h, "t\\GRÖßE", "HKLM\\X\\", REG_EXPORT_UTF8, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "[HKLM\\X\\t\\GRÖßE]\n"));
	assert_non_null(strstr(text, "[HKLM\\X\\t\\GRÖßE\\Ω]\n"));
	assert_null(strstr(text, "\"q64\""));
	free(text);
	reg_close(h);
	/* A name with a line break cannot be written. */
	h = open_rw(src);
	assert_int_equal(reg_create_key(h, "bad\nname"), 0);
	text = NULL;
	f = open_memstream(&text, &n);
	assert_int_equal(reg_export(h, "", NULL, 0, f), REG_ERR_UNSUPPORTED);
	fclose(f);
	free(text);
	reg_close(h);
	free(src);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_utf8),
		cmocka_unit_test(test_import_utf16),
		cmocka_unit_test(test_import_regedit4),
		cmocka_unit_test(test_import_errors),
		cmocka_unit_test(test_prefix_and_control_set),
		cmocka_unit_test(test_same_as_hivexregedit_merge),
		cmocka_unit_test(test_export_round_trip),
		cmocka_unit_test(test_export_subtree_and_names),
	};
	return cmocka_run_group_tests(tests, rt_setup, rt_teardown);
}

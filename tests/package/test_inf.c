/*
 * test_inf.c - INF syntax on INF files written here: lines, strings,
 * encodings, decorations, and hostile INFs.
 *
 * Each case is a small INF text made for the rule it checks (Microsoft's
 * "General syntax rules for INF files", "INF Strings section", "INF
 * Manufacturer section").  The install sections are in
 * test_inf_install.c; the real IC INFs are covered by test_ic.c.  Hostile
 * INFs (unterminated quote, self-referencing strings, a 1 MB line, a
 * section that needs itself) must fail cleanly naming the file and line,
 * in bounded memory.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "package/package.h"
#include "tests/package/inftest.h"
#include "tests/package/pkgtest.h"
#include "util/utf.h"

#define RSS_MARGIN_KIB (64 * 1024)

/* ---- Syntax ---- */

static void test_syntax(void **state)
{
	(void)state;
	const struct pkg_inf *inf =
		inft_parse("key = before any section ; ignored\r\n"
			   "[Version]\r\n"
			   "Signature=\"$Windows NT$\"   ; a comment\r\n"
			   "\r\n"
			   "[A]\r\n"
			   "  key  =  a ,  \" b \" , , c\"q\"d , \"x;y\"  \r\n"
			   "just,fields ; no key\r\n"
			   "quote = \"say \"\"hi\"\"\"\r\n"
			   "cont = one,\\\r\n"
			   "   two \\ ; continued, then a comment\r\n"
			   "   ,three\r\n"
			   "path = \"C:\\dir\\\"\\\r\n"
			   ",file\r\n"
			   "eq = a=b\r\n"
			   "[ a ]\r\n"
			   "second = body\r\n"
			   "[Strings]\r\n"
			   "Plain = text with, commas ; comment\r\n"
			   "Quoted = \"  spaced ; not a comment \"\r\n"
			   "Self = \"%Self%\"\r\n"
			   "Pct = \"100%% and %%\"\r\n");
	const struct pkg_inf_line *ln = inft_line(inf, "A", 0);
	assert_string_equal(ln->key, "key");
	assert_int_equal(ln->nfields, 5);
	assert_string_equal(ln->fields[0], "a");
	assert_string_equal(ln->fields[1], " b ");
	assert_string_equal(ln->fields[2], "");
	assert_string_equal(ln->fields[3], "cqd");
	assert_string_equal(ln->fields[4], "x;y");
	assert_int_equal(ln->lineno, 6);
	ln = inft_line(inf, "A", 1);
	assert_null(ln->key);
	assert_int_equal(ln->nfields, 2);
	assert_string_equal(inft_line(inf, "A", 2)->fields[0], "say \"hi\"");
	ln = inft_line(inf, "A", 3);
	assert_string_equal(ln->key, "cont");
	assert_int_equal(ln->nfields, 3);
	assert_string_equal(ln->fields[1], "two");
	assert_string_equal(ln->fields[2], "three");
	assert_int_equal(ln->lineno, 9);
	/* The documented way to end a path in a backslash before a
	 * continuation. */
	ln = inft_line(inf, "A", 4);
	assert_string_equal(ln->fields[0], "C:\\dir\\");
	assert_string_equal(ln->fields[1], "file");
	assert_string_equal(inft_line(inf, "A", 5)->fields[0], "a=b");
	/* [A] and [ a ] are one section, in order. */
	const struct pkg_inf_section *a = pkg_inf_section(inf, "a");
	assert_int_equal(a->nlines, 7);
	assert_string_equal(a->lines[6].key, "second");
	assert_null(pkg_inf_section(inf, "B"));

	/* [Strings]: commas belong to the value; substitution is one pass
	 * (a string naming itself does not loop); %% is a percent sign;
	 * unknown tokens and DIRIDs stay as written. */
	assert_string_equal(inft_subst(inf, "%Plain%"), "text with, commas");
	assert_string_equal(inft_subst(inf, "[%Quoted%]"),
			    "[  spaced ; not a comment ]");
	assert_string_equal(inft_subst(inf, "%Self%"), "%Self%");
	assert_string_equal(inft_subst(inf, "%PLAIN%!"), "text with, commas!");
	assert_string_equal(inft_subst(inf, "%%SystemRoot%%\\x"),
			    "%SystemRoot%\\x");
	assert_string_equal(inft_subst(inf, "%SystemRoot%\\x"),
			    "%SystemRoot%\\x");
	assert_string_equal(inft_subst(inf, "%12%\\a.sys"), "%12%\\a.sys");
	assert_string_equal(inft_subst(inf, "100%"), "100%");
	assert_string_equal(inft_subst(inf, "%Pct%"), "100%% and %%");
	assert_string_equal(inf->encoding, "ANSI");
}

/* The same INF in UTF-16LE (with BOM), UTF-8 (with and without BOM) and
 * ANSI gives the same text. */
static void test_encodings(void **state)
{
	(void)state;
	static const char utf8[] =
		"[Version]\r\nSignature=\"$Windows NT$\"\r\n"
		"[Strings]\r\nName = \"Caf\xc3\xa9 \xe2\x82\xac\"\r\n";
	uint8_t *u16;
	size_t n16;
	assert_int_equal(
		hvo_int_utf8_to_utf16le(utf8, strlen(utf8), &u16, &n16), 0);
	uint8_t *b16 = malloc(n16 + 2);
	b16[0] = 0xFF;
	b16[1] = 0xFE;
	memcpy(b16 + 2, u16, n16);
	const struct pkg_inf *inf = inft_parse_len(b16, n16 + 2);
	assert_string_equal(inf->encoding, "UTF-16LE");
	assert_string_equal(inft_subst(inf, "%Name%"),
			    "Caf\xc3\xa9 \xe2\x82\xac");
	free(b16);
	free(u16);

	char *b8 = malloc(strlen(utf8) + 3);
	memcpy(b8, "\xef\xbb\xbf", 3);
	memcpy(b8 + 3, utf8, strlen(utf8));
	inf = inft_parse_len(b8, strlen(utf8) + 3);
	assert_string_equal(inf->encoding, "UTF-8");
	assert_string_equal(inft_subst(inf, "%Name%"),
			    "Caf\xc3\xa9 \xe2\x82\xac");
	free(b8);
	inf = inft_parse(utf8);
	assert_string_equal(inf->encoding, "UTF-8");

	/* Windows-1252: 0xE9 is e-acute, 0x80 the euro sign. */
	inf = inft_parse("[Version]\r\nSignature=\"$Windows NT$\"\r\n"
			 "[Strings]\r\nName = \"Caf\xe9 \x80\"\r\n");
	assert_string_equal(inf->encoding, "ANSI");
	assert_string_equal(inft_subst(inf, "%Name%"),
			    "Caf\xc3\xa9 \xe2\x82\xac");

	/* UTF-16 big-endian is not an INF encoding Windows reads. */
	inft_fails("\xfe\xff\0[", 4, PKG_ERR_INF, "big-endian");
}

/* ---- Decorations ---- */

static const char decorated[] =
	"[Version]\nSignature=\"$Windows NT$\"\nClass=System\n"
	"DriverVer=06/21/2006,1.2.3.4\nProvider=%P%\n"
	"[Manufacturer]\n"
	"%P%=M, NTamd64.5.1, NTamd64.6.2, NTx86, NT.6.0 ,NTamd64.6.0.3\n"
	"Vendor2\n"
	"[M]\nd=I_undecorated, HW\\UNDEC\n"
	"[M.NTamd64.5.1]\nd=I_51, HW\\51, COMPAT\\51\n"
	"[M.NTamd64.6.2]\nd=I_62, HW\\62\n"
	"[M.NTx86]\nd=I_x86, HW\\X86\n"
	"[M.NT.6.0]\nd=I_nt60, HW\\NT60\n"
	"[M.NTamd64.6.0.3]\nd=I_srv, HW\\SRV\n"
	"[Vendor2]\nd=I_v2, HW\\V2\n"
	"[Strings]\nP=\"Contoso\"\n";

static const char *chosen(const struct pkg_inf *inf, struct pkg_target t)
{
	struct pkg_driver *d;
	struct pkg_error e = { 0 };
	if (pkg_inf_resolve(inft_arena, inf, &t, &d, &e))
		pkgtest_fail_err(&e);
	return d->chosen[0] ? d->chosen[0]->decoration.text : "(none)";
}

static void test_decorations(void **state)
{
	(void)state;
	const struct pkg_inf *inf = inft_parse(decorated);
	/* The closest OS version wins, whatever the architecture part:
	 * NT.6.0 over NTamd64.5.1 on 6.1 (and 6.0). */
	struct pkg_target t = { .arch = "amd64", .nt_major = 5, .nt_minor = 2 };
	assert_string_equal(chosen(inf, t), "NTamd64.5.1");
	t.nt_major = 6;
	t.nt_minor = 1;
	assert_string_equal(chosen(inf, t), "NT.6.0");
	t.nt_minor = 2;
	assert_string_equal(chosen(inf, t), "NTamd64.6.2");
	t.nt_major = 10;
	t.nt_minor = 0;
	assert_string_equal(chosen(inf, t), "NTamd64.6.2");
	t.nt_major = 6;
	t.nt_minor = 0;
	assert_string_equal(chosen(inf, t), "NT.6.0");
	/* A server (VER_NT_SERVER = 3) also matches NTamd64.6.0.3. */
	t.product_type = 3;
	assert_string_equal(chosen(inf, t), "NTamd64.6.0.3");
	/* x86: NTx86 has no version, NT.6.0 has one. */
	struct pkg_target x = { .arch = "x86", .nt_major = 6, .nt_minor = 1 };
	assert_string_equal(chosen(inf, x), "NT.6.0");
	x.nt_major = 5;
	assert_string_equal(chosen(inf, x), "NTx86");
	/* arm64 6.1: only NT.6.0 applies. */
	struct pkg_target arm = { .arch = "arm64",
				  .nt_major = 6,
				  .nt_minor = 1 };
	assert_string_equal(chosen(inf, arm), "NT.6.0");
	arm.nt_minor = 0;
	arm.nt_major = 5;
	assert_string_equal(chosen(inf, arm), "(none)");

	/* The undecorated models section: only for x86 (non-x86 models
	 * must be decorated since Windows Server 2003 SP1). */
	const struct pkg_driver *d = inft_resolve(inf, "amd64", 6, 2);
	assert_int_equal(d->nmanufacturers, 2);
	assert_string_equal(d->manufacturers[0].name, "Contoso");
	assert_string_equal(d->manufacturers[1].name, "Vendor2");
	assert_null(d->chosen[1]);
	d = inft_resolve(inf, "x86", 6, 2);
	assert_string_equal(d->chosen[1]->section, "Vendor2");
	/* Hardware IDs per decoration, all of them. */
	const struct pkg_inf_manufacturer *m = &d->manufacturers[0];
	assert_int_equal(m->ndecorated, 6);
	assert_string_equal(m->decorated[1].section, "M.NTamd64.5.1");
	assert_int_equal(m->decorated[1].devices[0].nhwids, 2);
	assert_string_equal(m->decorated[1].devices[0].hwids[1], "COMPAT\\51");
	assert_string_equal(m->decorated[5].decoration.arch, "amd64");
	assert_int_equal(m->decorated[5].decoration.product_type, 3);
	assert_string_equal(d->version.driver_version, "1.2.3.4");
	assert_string_equal(d->version.provider, "Contoso");

	struct pkg_inf_decoration dec;
	assert_true(pkg_inf_decoration_parse(inft_arena, "ntamd64.10.0...16299",
					     &dec));
	assert_int_equal(dec.major, 10);
	assert_int_equal(dec.build, 16299);
	struct pkg_target w10 = { .arch = "amd64",
				  .nt_major = 10,
				  .build = 15063 };
	assert_false(pkg_inf_decoration_applies(&dec, &w10));
	w10.build = 17763;
	assert_true(pkg_inf_decoration_applies(&dec, &w10));
	assert_false(pkg_inf_decoration_parse(inft_arena, "NTmips", &dec));
	assert_false(pkg_inf_decoration_parse(inft_arena, "Win98", &dec));
	assert_false(
		pkg_inf_decoration_parse(inft_arena, "NT.1.2.3.4.5.6", &dec));
}

/* ---- Hostile INFs ---- */

static void test_hostile(void **state)
{
	(void)state;
	long before = pkgtest_maxrss_kib();

	/* A 1 MB line. */
	size_t big = 1u << 20;
	char *text = malloc(big + 64);
	size_t n = (size_t)sprintf(text, "[Version]\nx = ");
	memset(text + n, 'a', big);
	n += big;
	text[n++] = '\n';
	inft_fails(text, n, PKG_ERR_INF, "t.inf:2: line longer than 65536");
	/* ... built from continuations. */
	n = (size_t)sprintf(text, "[Version]\nx = ");
	while (n < big) {
		memcpy(text + n, "aaaaaaaaa\\\n", 11);
		n += 11;
	}
	inft_fails(text, n, PKG_ERR_INF, "line longer than 65536");
	/* A field over 4095 characters. */
	n = (size_t)sprintf(text, "[Version]\nx = ");
	memset(text + n, 'a', 5000);
	n += 5000;
	inft_fails(text, n, PKG_ERR_INF, "t.inf:2: field longer than 4095");
	/* Self-referencing and mutually referencing strings, and one that
	 * would grow past the limit when substituted. */
	n = (size_t)sprintf(text, "[Version]\nSignature=\"$Windows NT$\"\n"
				  "[Manufacturer]\n%%A%%=%%B%%,NTamd64\n"
				  "[Strings]\nA=\"%%B%%\"\nB=\"%%A%%\"\nC=\"");
	for (int i = 0; i < 4000; i++)
		text[n++] = 'c';
	n += (size_t)sprintf(text + n, "\"\n[%%A%%.NTamd64]\nd=I,");
	for (int i = 0; i < 1000; i++)
		n += (size_t)sprintf(text + n, "%%C%%");
	text[n++] = '\n';
	inft_fails(text, n, PKG_ERR_INF, "t.inf:10: string longer than 4095");
	struct pkg_inf *inf = inft_parse_len(text, n);
	assert_string_equal(inft_subst(inf, "%A%"), "%B%");
	assert_string_equal(inft_subst(inf, "%B%"), "%A%");
	/* An unterminated quote in a UTF-16 file names its line too. */
	static const char u8[] =
		"[Version]\r\n\r\nSignature=\"$Windows NT$\r\n";
	uint8_t *u16;
	size_t n16;
	assert_int_equal(hvo_int_utf8_to_utf16le(u8, strlen(u8), &u16, &n16),
			 0);
	uint8_t *b = malloc(n16 + 2);
	b[0] = 0xFF;
	b[1] = 0xFE;
	memcpy(b + 2, u16, n16);
	inft_fails(b, n16 + 2, PKG_ERR_INF,
		   "t.inf:3: unterminated quoted string");
	free(b);
	free(u16);
	/* Too big a file. */
	inft_fails(text, PKG_INF_MAX_SIZE + 1u, PKG_ERR_LIMIT, "the limit is");
	free(text);
	assert_true(pkgtest_maxrss_kib() - before < RSS_MARGIN_KIB);
}

/* A million sections (repeated headers merge through a hash, not a
 * list), within the memory margin. */
static void test_many_sections(void **state)
{
	(void)state;
	long before = pkgtest_maxrss_kib();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fprintf(f, "[Version]\nSignature=\"$Windows NT$\"\n");
	for (int i = 0; i < 200000; i++)
		fprintf(f, "[S%d]\nx=%d\n[s0]\n", i, i);
	fclose(f);
	const struct pkg_inf *inf = inft_parse_len(text, len);
	assert_int_equal(inf->nsections, 200001);
	assert_int_equal(pkg_inf_section(inf, "S0")->nlines, 1);
	free(text);
	assert_true(pkgtest_maxrss_kib() - before < RSS_MARGIN_KIB * 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_decorations),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_many_sections),
	};
	return cmocka_run_group_tests(tests, inft_setup, inft_teardown);
}

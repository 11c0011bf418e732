/*
 * test_sd.c - SDDL, self-relative descriptors and inheritance
 * (src/secdesc/).
 *
 * Expected bytes are written out field by field from [MS-DTYP] 2.4.2
 * (SID), 2.4.4 (ACE), 2.4.5 (ACL) and 2.4.6 (SECURITY_DESCRIPTOR); the
 * inheritance cases follow Microsoft's "ACE Inheritance Rules" and what
 * icacls shows for a file created in System32\drivers: SYSTEM,
 * Administrators and TrustedInstaller-owned full control, Users read and
 * execute, every ACE inherited (I).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "secdesc/sd.h"
#include "tests/lib/hvotest.h"

/* NT SERVICE\TrustedInstaller. */
#define TI "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

static struct sd *parse(const char *s)
{
	struct sd *sd;
	struct sd_errinfo ei = { 0 };
	int rc = sd_from_sddl(s, &sd, &ei);
	if (rc)
		fail_msg("%s: %s at %zu", s, ei.msg, ei.pos);
	return sd;
}

static char *roundtrip(const char *s)
{
	struct sd *sd = parse(s);
	char *out = sd_to_sddl(sd);
	assert_non_null(out);
	sd_free(sd);
	return out;
}

static void test_sddl_roundtrip(void **state)
{
	(void)state;
	char *s = roundtrip("O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;;0x1200a9;;;BU)");
	assert_string_equal(s, "O:BAG:SYD:PAI(A;OICI;0x1f01ff;;;SY)"
			       "(A;;0x1200a9;;;BU)");
	free(s);
	/* Whitespace, decimal rights, SID strings, a SACL. */
	s = roundtrip(" O:" TI " D:(D;CIIO;GW;;;WD) S:(AU;SAFA;FA;;;WD)");
	assert_string_equal(s, "O:" TI "D:(D;CIIO;0x40000000;;;WD)"
			       "S:(AU;SAFA;0x1f01ff;;;WD)");
	free(s);
	s = roundtrip("D:(A;;1179817;;;S-1-5-21-1-2-3-1001)");
	assert_string_equal(s, "D:(A;;0x1200a9;;;S-1-5-21-1-2-3-1001)");
	free(s);
	s = roundtrip("D:NO_ACCESS_CONTROL");
	assert_string_equal(s, "D:NO_ACCESS_CONTROL");
	free(s);
}

static void expect_error(const char *s, int err, size_t pos)
{
	struct sd *sd = (struct sd *)1;
	struct sd_errinfo ei = { 0 };
	assert_int_equal(sd_from_sddl(s, &sd, &ei), err);
	assert_null(sd);
	assert_true(ei.msg[0] != 0);
	if (pos != (size_t)-1)
		assert_int_equal(ei.pos, pos);
}

static void test_sddl_errors(void **state)
{
	(void)state;
	expect_error("", SD_ERR_SYNTAX, 0);
	expect_error("X:BA", SD_ERR_SYNTAX, 0);
	expect_error("O:BAO:BA", SD_ERR_SYNTAX, 4);
	expect_error("O:ZZ", SD_ERR_UNSUPPORTED, 2);
	expect_error("O:DA", SD_ERR_UNSUPPORTED, 2); /* needs a domain */
	expect_error("D:(A;;FA;;;SY", SD_ERR_SYNTAX, (size_t)-1);
	expect_error("D:(Q;;FA;;;SY)", SD_ERR_SYNTAX, 3);
	expect_error("D:(OA;;FA;;;SY)", SD_ERR_UNSUPPORTED, 3);
	expect_error("D:(A;XX;FA;;;SY)", SD_ERR_SYNTAX, 5);
	expect_error("D:(A;;QQ;;;SY)", SD_ERR_SYNTAX, 6);
	expect_error("D:(A;;0x;;;SY)", SD_ERR_SYNTAX, 6);
	expect_error("D:(A;;0x123456789;;;SY)", SD_ERR_SYNTAX, 6);
	expect_error("D:(A;;FA;bf967aba-0de6-11d0-a285-00aa003049e2;;SY)",
		     SD_ERR_UNSUPPORTED, 9);
	expect_error("O:S-2-5", SD_ERR_SYNTAX, 2);
	expect_error("O:S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
		     SD_ERR_LIMIT, (size_t)-1);
	expect_error("O:S-1-5-99999999999", SD_ERR_SYNTAX, (size_t)-1);
}

/* O:BAG:SYD:(A;;FA;;;SY), self-relative. */
/* clang-format off */
static const uint8_t sr_bytes[] = {
	/* SECURITY_DESCRIPTOR_RELATIVE */
	0x01, 0x00, /* Revision 1, Sbz1 */
	0x04, 0x80, /* Control: SELF_RELATIVE | DACL_PRESENT */
	0x30, 0x00, 0x00, 0x00, /* OffsetOwner 48 */
	0x40, 0x00, 0x00, 0x00, /* OffsetGroup 64 */
	0x00, 0x00, 0x00, 0x00, /* OffsetSacl: none */
	0x14, 0x00, 0x00, 0x00, /* OffsetDacl 20 */
	/* ACL */
	0x02, 0x00, /* AclRevision 2, Sbz1 */
	0x1c, 0x00, /* AclSize 28 */
	0x01, 0x00, /* AceCount 1 */
	0x00, 0x00, /* Sbz2 */
	/* ACCESS_ALLOWED_ACE */
	0x00, 0x00, /* AceType 0, AceFlags 0 */
	0x14, 0x00, /* AceSize 20 */
	0xff, 0x01, 0x1f, 0x00, /* Mask FILE_ALL_ACCESS */
	0x01, 0x01, /* SID S-1-5-18: revision, 1 sub-auth */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /* authority 5 */
	0x12, 0x00, 0x00, 0x00, /* 18 */
	/* owner S-1-5-32-544 */
	0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /* 2 sub-auths, 5 */
	0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, /* 32, 544 */
	/* group S-1-5-18 */
	0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /* 1 sub-auth, 5 */
	0x12, 0x00, 0x00, 0x00, /* 18 */
};
/* clang-format on */

static void test_self_relative(void **state)
{
	(void)state;
	struct sd *sd = parse("O:BAG:SYD:(A;;FA;;;SY)");
	uint8_t *b;
	size_t len;
	assert_int_equal(sd_to_self_relative(sd, &b, &len), SD_OK);
	assert_int_equal(len, sizeof(sr_bytes));
	assert_memory_equal(b, sr_bytes, len);
	struct sd *back;
	assert_int_equal(sd_from_self_relative(b, len, &back, NULL), SD_OK);
	char *s = sd_to_sddl(back);
	assert_string_equal(s, "O:BAG:SYD:(A;;0x1f01ff;;;SY)");
	free(s);
	sd_free(back);
	free(b);
	sd_free(sd);
}

static void test_self_relative_hostile(void **state)
{
	(void)state;
	uint8_t b[sizeof(sr_bytes)];
	struct sd *sd;
	struct sd_errinfo ei;
	/* Truncated anywhere: refused or parsed within bounds. */
	for (size_t n = 0; n < sizeof(sr_bytes); n++) {
		int rc = sd_from_self_relative(sr_bytes, n, &sd, &ei);
		assert_int_not_equal(rc, SD_OK);
		assert_null(sd);
	}
	/* One byte changed: each is malformed. */
	static const struct {
		size_t off;
		uint8_t value;
		const char *what;
	} bad[] = {
		{ 4, 0xf0, "owner offset past the end" },
		{ 24, 5, "ACE count larger than the ACL holds" },
		{ 48 + 1, 16, "SID with 16 sub-authorities" },
		{ 3, 0, "not self-relative" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memcpy(b, sr_bytes, sizeof(b));
		b[bad[k].off] = bad[k].value;
		int rc = sd_from_self_relative(b, sizeof(b), &sd, &ei);
		if (rc != SD_ERR_MALFORMED)
			fail_msg("%s: %d, not SD_ERR_MALFORMED", bad[k].what,
				 rc);
	}
}

/* System32\drivers on Windows 8 / Server 2012. */
#define DRIVERS                                                     \
	"O:" TI "G:" TI "D:PAI(A;;FA;;;" TI ")(A;CIIO;GA;;;" TI ")" \
	"(A;;0x1301bf;;;SY)(A;OICIIO;GA;;;SY)(A;;0x1301bf;;;BA)"    \
	"(A;OICIIO;GA;;;BA)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)"  \
	"(A;OICIIO;GA;;;CO)"

static char *inherit(const char *parent, const char *ex, bool dir)
{
	struct sd *p = parse(parent), *e = ex ? parse(ex) : NULL, *c;
	assert_int_equal(sd_inherit(p, e, dir, &c), SD_OK);
	char *s = sd_to_sddl(c);
	assert_non_null(s);
	sd_free(p);
	sd_free(e);
	sd_free(c);
	return s;
}

static void test_inherit_file(void **state)
{
	(void)state;
	/* vmbus.sys: the OI ACEs, effective, generic rights mapped, CREATOR
	 * OWNER replaced by the owner; no write for Users. */
	char *s = inherit(DRIVERS, NULL, false);
	assert_string_equal(s, "O:" TI "G:" TI "D:AI(A;ID;0x1f01ff;;;SY)"
			       "(A;ID;0x1f01ff;;;BA)(A;ID;0x1200a9;;;BU)"
			       "(A;ID;0x1f01ff;;;" TI ")");
	free(s);
}

static void test_inherit_dir(void **state)
{
	(void)state;
	/* A new directory: CI ACEs with generic rights or CREATOR OWNER are
	 * split into an effective and an inherit-only ACE. */
	char *s = inherit(DRIVERS, NULL, true);
	assert_string_equal(
		s, "O:" TI "G:" TI "D:AI"
		   "(A;ID;0x1f01ff;;;" TI ")(A;CIIOID;0x10000000;;;" TI ")"
		   "(A;ID;0x1f01ff;;;SY)(A;OICIIOID;0x10000000;;;SY)"
		   "(A;ID;0x1f01ff;;;BA)(A;OICIIOID;0x10000000;;;BA)"
		   "(A;ID;0x1200a9;;;BU)(A;OICIIOID;0xa0000000;;;BU)"
		   "(A;ID;0x1f01ff;;;" TI ")(A;OICIIOID;0x10000000;;;CO)");
	free(s);
	/* OI only: inherit-only on a directory; NP stops at the child. */
	s = inherit("O:BAG:SYD:(A;OI;0x1200a9;;;BU)(A;CINP;FA;;;SY)"
		    "(A;OINP;FA;;;WD)",
		    NULL, true);
	assert_string_equal(s, "O:BAG:SYD:(A;OIIOID;0x1200a9;;;BU)"
			       "(A;ID;0x1f01ff;;;SY)");
	free(s);
	s = inherit("O:BAG:SYD:(A;OI;0x1200a9;;;BU)(A;CINP;FA;;;SY)"
		    "(A;OINP;FA;;;WD)",
		    NULL, false);
	assert_string_equal(s, "O:BAG:SYD:(A;ID;0x1200a9;;;BU)"
			       "(A;ID;0x1f01ff;;;WD)");
	free(s);
}

static void test_inherit_explicit(void **state)
{
	(void)state;
	/* A manifest's protected SDDL: exactly that, nothing inherited. */
	char *s = inherit(DRIVERS, "O:SYD:P(A;;FA;;;SY)(A;;FR;;;BU)", false);
	assert_string_equal(s, "O:SYG:" TI "D:P(A;;0x1f01ff;;;SY)"
			       "(A;;0x120089;;;BU)");
	free(s);
	/* Unprotected: explicit ACEs first, then the inherited ones. */
	s = inherit("O:BAG:SYD:AI(A;OICI;FA;;;SY)", "D:(D;;FW;;;WD)", false);
	assert_string_equal(s, "O:BAG:SYD:AI(D;;0x120116;;;WD)"
			       "(A;ID;0x1f01ff;;;SY)");
	free(s);
	/* Nothing inheritable: the default DACL. */
	s = inherit("O:BAG:SYD:(A;;FA;;;WD)", NULL, false);
	assert_string_equal(s, "O:BAG:SYD:(A;;0x1f01ff;;;SY)"
			       "(A;;0x1f01ff;;;BA)");
	free(s);
}

/* The bytes-to-bytes step servicing uses, and its error messages. */
static void test_inherit_bytes(void **state)
{
	(void)state;
	struct sd *p = parse(DRIVERS);
	uint8_t *pb, *cb;
	size_t pl, cl;
	assert_int_equal(sd_to_self_relative(p, &pb, &pl), SD_OK);
	struct sd_errinfo ei = { 0 };
	assert_int_equal(sd_inherit_bytes(pb, pl, NULL, false, &cb, &cl, &ei),
			 SD_OK);
	struct sd *c;
	assert_int_equal(sd_from_self_relative(cb, cl, &c, NULL), SD_OK);
	char *s = sd_to_sddl(c);
	char *want = inherit(DRIVERS, NULL, false);
	assert_string_equal(s, want);
	free(s);
	free(want);
	sd_free(c);
	free(cb);
	assert_int_equal(sd_inherit_bytes(pb, pl, "D:(Q;;FA;;;SY)", false, &cb,
					  &cl, &ei),
			 SD_ERR_SYNTAX);
	assert_non_null(strstr(ei.msg, "SDDL: "));
	assert_int_equal(sd_inherit_bytes(pb, 10, NULL, true, &cb, &cl, &ei),
			 SD_ERR_MALFORMED);
	assert_non_null(strstr(ei.msg, "parent descriptor: "));
	free(pb);
	sd_free(p);
}

/*
 * ntfs-3g's own decoder as the oracle: `ntfssecaudit -h` reads a hex dump
 * of a descriptor (its -v output format: a 6-digit offset, two spaces,
 * four groups of four bytes) and explains it.  The descriptor a new
 * vmbus.sys gets in System32\drivers must read back as four inherited
 * ACEs, Users with read and execute (0x1200a9) only.
 */
static void test_ntfssecaudit_oracle(void **state)
{
	(void)state;
	if (!hvo_test_have_program("ntfssecaudit"))
		skip();
	struct sd *p = parse(DRIVERS);
	uint8_t *pb, *cb;
	size_t pl, cl;
	assert_int_equal(sd_to_self_relative(p, &pb, &pl), SD_OK);
	assert_int_equal(sd_inherit_bytes(pb, pl, NULL, false, &cb, &cl, NULL),
			 SD_OK);
	char *dir = hvo_test_mkdtemp(), *hex, *cmd, *out = NULL;
	assert_true(asprintf(&hex, "%s/sd.hex", dir) > 0);
	FILE *f = fopen(hex, "w");
	assert_non_null(f);
	for (size_t i = 0; i < cl; i += 16) {
		fprintf(f, "%06zx ", i);
		for (size_t k = i; k < i + 16 && k < cl; k++)
			fprintf(f, "%s%02x", k % 4 == 0 ? " " : "", cb[k]);
		fprintf(f, "\n");
	}
	fprintf(f, "end\n");
	fclose(f);
	assert_true(asprintf(&cmd, "ntfssecaudit -h '%s' 2>&1", hex) > 0);
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	assert_non_null(strstr(out, "ACE cnt  4"));
	assert_non_null(strstr(out, "Owner SID"));
	/* Every ACE inherited: the flags line says 0x10 four times. */
	size_t inherited = 0;
	for (const char *q = out; (q = strstr(q, "flags    0x10")); q++)
		inherited++;
	assert_int_equal(inherited, 4);
	assert_non_null(strstr(out, "Acc rgts 0x1200a9"));
	size_t full = 0;
	for (const char *q = out; (q = strstr(q, "Acc rgts 0x1f01ff")); q++)
		full++;
	assert_int_equal(full, 3);
	/* Nothing for Everyone (S-1-1-0), and Users only the one ACE. */
	assert_null(strstr(out, "dec S-1-1-0\n"));
	free(out);
	free(cmd);
	free(hex);
	hvo_test_rmtree(dir);
	free(dir);
	free(cb);
	free(pb);
	sd_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sddl_roundtrip),
		cmocka_unit_test(test_sddl_errors),
		cmocka_unit_test(test_self_relative),
		cmocka_unit_test(test_self_relative_hostile),
		cmocka_unit_test(test_inherit_file),
		cmocka_unit_test(test_inherit_dir),
		cmocka_unit_test(test_inherit_explicit),
		cmocka_unit_test(test_inherit_bytes),
		cmocka_unit_test(test_ntfssecaudit_oracle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

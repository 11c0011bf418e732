/*
 * test_inf.c - INF syntax and interpretation on INF files written here.
 *
 * Each case is a small INF text made for the rule it checks (Microsoft's
 * "General syntax rules for INF files", "INF Strings section", "INF
 * Manufacturer section", "INF AddReg/AddService/CopyFiles directive").
 * The real IC INFs are covered by test_ic.c.  Hostile INFs (unterminated
 * quote, self-referencing strings, a 1 MB line, a section that needs
 * itself) must fail cleanly naming the file and line, in bounded memory.
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
#include "tests/package/pkgtest.h"
#include "util/utf.h"

#define RSS_MARGIN_KIB (64 * 1024)

static struct pkg_arena *arena;

static int setup(void **state)
{
	(void)state;
	arena = pkg_arena_new();
	return arena ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pkg_arena_free(arena);
	return 0;
}

static void fail_err(const struct pkg_error *e)
{
	char buf[700];
	fail_msg("%s", pkg_errmsg(e, buf, sizeof(buf)));
}

static struct pkg_inf *parse_len(const void *text, size_t len)
{
	struct pkg_inf *inf;
	struct pkg_error e = { 0 };
	if (pkg_inf_parse(arena, text, len, "t.inf", &inf, &e))
		fail_err(&e);
	return inf;
}

static struct pkg_inf *parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static const struct pkg_driver *resolve(const struct pkg_inf *inf,
					const char *arch, unsigned major,
					unsigned minor)
{
	struct pkg_target t = { .arch = arch,
				.nt_major = major,
				.nt_minor = minor };
	struct pkg_driver *d;
	struct pkg_error e = { 0 };
	if (pkg_inf_resolve(arena, inf, &t, &d, &e))
		fail_err(&e);
	return d;
}

/* Expects parse (and, when it parses, resolve for amd64 6.2) to fail
 * with @want and a message containing @text. */
static void fails(const void *buf, size_t len, enum pkg_err want,
		  const char *text)
{
	struct pkg_inf *inf;
	struct pkg_error e = { 0 };
	enum pkg_err rc = pkg_inf_parse(arena, buf, len, "t.inf", &inf, &e);
	if (rc == PKG_OK) {
		struct pkg_target t = { .arch = "amd64",
					.nt_major = 6,
					.nt_minor = 2 };
		struct pkg_driver *d;
		rc = pkg_inf_resolve(arena, inf, &t, &d, &e);
	}
	char msg[700];
	pkg_errmsg(&e, msg, sizeof(msg));
	if (rc != want || strstr(msg, text) == NULL)
		fail_msg("expected %d '%s', got %d '%s'", want, text, rc, msg);
	assert_int_equal(pkg_exit_class(&e), HVO_EXIT_CORRUPT);
}

static void fails_str(const char *text, enum pkg_err want, const char *msg)
{
	fails(text, strlen(text), want, msg);
}

static const struct pkg_inf_line *line(const struct pkg_inf *inf,
				       const char *sec, size_t i)
{
	const struct pkg_inf_section *s = pkg_inf_section(inf, sec);
	assert_non_null(s);
	assert_true(i < s->nlines);
	return &s->lines[i];
}

static char *subst(const struct pkg_inf *inf, const char *raw)
{
	struct pkg_error e = { 0 };
	char *s = pkg_inf_subst(arena, inf, raw, 1, &e);
	if (s == NULL)
		fail_err(&e);
	return s;
}

/* ---- Syntax ---- */

static void test_syntax(void **state)
{
	(void)state;
	const struct pkg_inf *inf =
		parse("key = before any section ; ignored\r\n"
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
	const struct pkg_inf_line *ln = line(inf, "A", 0);
	assert_string_equal(ln->key, "key");
	assert_int_equal(ln->nfields, 5);
	assert_string_equal(ln->fields[0], "a");
	assert_string_equal(ln->fields[1], " b ");
	assert_string_equal(ln->fields[2], "");
	assert_string_equal(ln->fields[3], "cqd");
	assert_string_equal(ln->fields[4], "x;y");
	assert_int_equal(ln->lineno, 6);
	ln = line(inf, "A", 1);
	assert_null(ln->key);
	assert_int_equal(ln->nfields, 2);
	assert_string_equal(line(inf, "A", 2)->fields[0], "say \"hi\"");
	ln = line(inf, "A", 3);
	assert_string_equal(ln->key, "cont");
	assert_int_equal(ln->nfields, 3);
	assert_string_equal(ln->fields[1], "two");
	assert_string_equal(ln->fields[2], "three");
	assert_int_equal(ln->lineno, 9);
	/* The documented way to end a path in a backslash before a
	 * continuation. */
	ln = line(inf, "A", 4);
	assert_string_equal(ln->fields[0], "C:\\dir\\");
	assert_string_equal(ln->fields[1], "file");
	assert_string_equal(line(inf, "A", 5)->fields[0], "a=b");
	/* [A] and [ a ] are one section, in order. */
	const struct pkg_inf_section *a = pkg_inf_section(inf, "a");
	assert_int_equal(a->nlines, 7);
	assert_string_equal(a->lines[6].key, "second");
	assert_null(pkg_inf_section(inf, "B"));

	/* [Strings]: commas belong to the value; substitution is one pass
	 * (a string naming itself does not loop); %% is a percent sign;
	 * unknown tokens and DIRIDs stay as written. */
	assert_string_equal(subst(inf, "%Plain%"), "text with, commas");
	assert_string_equal(subst(inf, "[%Quoted%]"),
			    "[  spaced ; not a comment ]");
	assert_string_equal(subst(inf, "%Self%"), "%Self%");
	assert_string_equal(subst(inf, "%PLAIN%!"), "text with, commas!");
	assert_string_equal(subst(inf, "%%SystemRoot%%\\x"), "%SystemRoot%\\x");
	assert_string_equal(subst(inf, "%SystemRoot%\\x"), "%SystemRoot%\\x");
	assert_string_equal(subst(inf, "%12%\\a.sys"), "%12%\\a.sys");
	assert_string_equal(subst(inf, "100%"), "100%");
	assert_string_equal(subst(inf, "%Pct%"), "100%% and %%");
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
	const struct pkg_inf *inf = parse_len(b16, n16 + 2);
	assert_string_equal(inf->encoding, "UTF-16LE");
	assert_string_equal(subst(inf, "%Name%"), "Caf\xc3\xa9 \xe2\x82\xac");
	free(b16);
	free(u16);

	char *b8 = malloc(strlen(utf8) + 3);
	memcpy(b8, "\xef\xbb\xbf", 3);
	memcpy(b8 + 3, utf8, strlen(utf8));
	inf = parse_len(b8, strlen(utf8) + 3);
	assert_string_equal(inf->encoding, "UTF-8");
	assert_string_equal(subst(inf, "%Name%"), "Caf\xc3\xa9 \xe2\x82\xac");
	free(b8);
	inf = parse(utf8);
	assert_string_equal(inf->encoding, "UTF-8");

	/* Windows-1252: 0xE9 is e-acute, 0x80 the euro sign. */
	inf = parse("[Version]\r\nSignature=\"$Windows NT$\"\r\n"
		    "[Strings]\r\nName = \"Caf\xe9 \x80\"\r\n");
	assert_string_equal(inf->encoding, "ANSI");
	assert_string_equal(subst(inf, "%Name%"), "Caf\xc3\xa9 \xe2\x82\xac");

	/* UTF-16 big-endian is not an INF encoding Windows reads. */
	fails("\xfe\xff\0[", 4, PKG_ERR_INF, "big-endian");
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
	if (pkg_inf_resolve(arena, inf, &t, &d, &e))
		fail_err(&e);
	return d->chosen[0] ? d->chosen[0]->decoration.text : "(none)";
}

static void test_decorations(void **state)
{
	(void)state;
	const struct pkg_inf *inf = parse(decorated);
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
	const struct pkg_driver *d = resolve(inf, "amd64", 6, 2);
	assert_int_equal(d->nmanufacturers, 2);
	assert_string_equal(d->manufacturers[0].name, "Contoso");
	assert_string_equal(d->manufacturers[1].name, "Vendor2");
	assert_null(d->chosen[1]);
	d = resolve(inf, "x86", 6, 2);
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
	assert_true(
		pkg_inf_decoration_parse(arena, "ntamd64.10.0...16299", &dec));
	assert_int_equal(dec.major, 10);
	assert_int_equal(dec.build, 16299);
	struct pkg_target w10 = { .arch = "amd64",
				  .nt_major = 10,
				  .build = 15063 };
	assert_false(pkg_inf_decoration_applies(&dec, &w10));
	w10.build = 17763;
	assert_true(pkg_inf_decoration_applies(&dec, &w10));
	assert_false(pkg_inf_decoration_parse(arena, "NTmips", &dec));
	assert_false(pkg_inf_decoration_parse(arena, "Win98", &dec));
	assert_false(pkg_inf_decoration_parse(arena, "NT.1.2.3.4.5.6", &dec));
}

/* ---- Install sections ---- */

static const char driver[] =
	"[Version]\nSignature=\"$WINDOWS NT$\"\nClass=System\n"
	"[Manufacturer]\n%Mfg%=M,NTamd64,NTx86\n"
	"[M.NTamd64]\n%Dev%=Dev, ROOT\\DEV, *COMPAT\n%Null%=Nul, ROOT\\NULL\n"
	"[M.NTx86]\n%Dev%=Dev, ROOT\\DEV\n"
	"[DestinationDirs]\nDefaultDestDir = 12\nSysFiles = 11, sub\\dir\n"
	"[SourceDisksNames]\n1 = %Mfg%,,,\\disk1\n"
	"[SourceDisksFiles]\ndev.sys = 1\ndev.dll = 1,,\n"
	"[SourceDisksFiles.amd64]\ndev.sys = 1,amd64\n"
	"[Dev]\nCopyFiles=Undecorated\n"
	"[Dev.NT]\nCopyFiles=@ntonly.sys\n"
	"[Dev.NTamd64]\n"
	"CopyFiles=Drivers,SysFiles\n"
	"CopyFiles=@single.sys\n"
	"AddReg=Dev.AddReg\n"
	"Needs=Common\n"
	"RegisterDlls=Regs\n"
	"Include=other.inf\n"
	"FeatureScore=0x80\n"
	"[Common]\nAddReg=Common.AddReg\n"
	"[Drivers]\ndev.sys\nrenamed.sys,orig.sys,,0x4\n"
	"[SysFiles]\ndev.dll\n"
	"[Dev.AddReg]\n"
	"HKR,,Sz,,\"%%SystemRoot%%\\x\"\n"
	"HKR,Sub,Expand,0x00020000,\"%11%\\y.dll\"\n"
	"HKLM,\"SOFTWARE\\Contoso\",Multi,0x00010000,\"a\",b,\"c,d\"\n"
	"HKLM,SOFTWARE\\Contoso,Append,0x00010008,more\n"
	"HKCR,Sub,Dword,0x00010001,0x10\n"
	"HKR,,DwordDec,%REG_DWORD%,42\n"
	"HKR,,Bin,1,00,0x01,ff\n"
	"HKR,,Qword,0x000B0001,1,0,0,0,0,0,0,0x80\n"
	"HKR,,Custom,0x00380001,1,2\n"
	"HKR,,None,0x00020001\n"
	"HKLM,SOFTWARE\\KeyOnly,,0x00000010 ; FLG_ADDREG_KEYONLY\n"
	"HKLM,SOFTWARE\\Contoso,Gone,0x00000004\n"
	"HKLM,SOFTWARE\\Contoso\\Programmable,\"\"\n"
	"[Dev.AddReg.security]\n\"D:P(A;;GA;;;SY)\"\n"
	"[Common.AddReg]\nHKR,,FromNeeds,,yes\n"
	"[Dev.NTamd64.Services]\n"
	"AddService = dev, %SPSVCINST_ASSOCSERVICE%, Dev_Svc, Dev_Log, "
	"Application, DevSource\n"
	"AddService = helper,,Helper_Svc\n"
	"DelService = old\n"
	"[Dev_Svc]\n"
	"DisplayName = %Dev%\n"
	"Description = \"%%SystemRoot%%\\res.dll,-1\"\n"
	"ServiceType = %SERVICE_KERNEL_DRIVER%\n"
	"StartType = 0\n"
	"ErrorControl = 0x1\n"
	"ServiceBinary = %12%\\dev.sys\n"
	"LoadOrderGroup = \"Base\"\n"
	"Dependencies = +Group, OtherSvc\n"
	"StartName = \"NT AUTHORITY\\LocalService\"\n"
	"Security = \"D:P(A;;GA;;;SY)\"\n"
	"AddReg = Svc.AddReg\n"
	"AddTrigger = Trig\n"
	"[Svc.AddReg]\nHKR,Parameters,Level,0x00010001,3\n"
	"[Dev_Log]\nAddReg = Log.AddReg\n"
	"[Log.AddReg]\nHKR,,TypesSupported,0x00010001,7\n"
	"[Helper_Svc]\nServiceType=0x20\nStartType=3\nErrorControl=1\n"
	"ServiceBinary=\"%%SystemRoot%%\\System32\\svchost.exe -k G\"\n"
	"[Dev.NTamd64.HW]\nAddReg=Hw.AddReg\n"
	"[Dev.NTamd64.CoInstallers]\nCopyFiles=@co.dll\n"
	"[Nul.Services]\nAddService = ,0x00000002\n"
	"[Strings]\nMfg=Contoso\nDev=\"Contoso Device\"\nNull=\"Null\"\n"
	"SPSVCINST_ASSOCSERVICE=0x00000002\nSERVICE_KERNEL_DRIVER=1\n"
	"REG_DWORD=0x00010001\n";

static const struct pkg_inf_reg *reg(const struct pkg_inf_install *in,
				     const char *name)
{
	for (size_t i = 0; i < in->nregs; i++)
		if (in->regs[i].value_name &&
		    strcmp(in->regs[i].value_name, name) == 0)
			return &in->regs[i];
	fail_msg("no AddReg value %s", name);
	return NULL;
}

static bool deferred(const struct pkg_inf_install *in, const char *section,
		     const char *directive)
{
	for (size_t i = 0; i < in->ndeferred; i++)
		if (strcasecmp(in->deferred[i].section, section) == 0 &&
		    strcasecmp(in->deferred[i].directive, directive) == 0)
			return true;
	return false;
}

static void test_install(void **state)
{
	(void)state;
	const struct pkg_inf *inf = parse(driver);
	const struct pkg_driver *d = resolve(inf, "amd64", 6, 2);
	assert_int_equal(d->nbindings, 2);
	assert_int_equal(d->ninstalls, 2);
	assert_string_equal(d->bindings[0].device->hwids[0], "ROOT\\DEV");
	assert_string_equal(d->bindings[0].device->hwids[1], "*COMPAT");
	const struct pkg_inf_install *in = d->bindings[0].install;
	assert_string_equal(in->base, "Dev");
	assert_string_equal(in->section, "Dev.NTamd64");

	/* CopyFiles: list sections with [DestinationDirs], and @file. */
	assert_int_equal(in->ncopies, 4);
	assert_string_equal(in->copies[0].dest_name, "dev.sys");
	assert_int_equal(in->copies[0].dirid, 12);
	/* Where the file is in the package: [SourceDisksNames] path,
	 * [SourceDisksFiles.amd64] subdirectory. */
	assert_true(in->copies[0].source_listed);
	assert_string_equal(in->copies[0].source_path, "disk1\\amd64\\dev.sys");
	assert_false(in->copies[1].source_listed);
	assert_string_equal(in->copies[1].source_path, "orig.sys");
	assert_string_equal(in->copies[2].source_path, "disk1\\dev.dll");
	assert_string_equal(in->copies[1].dest_name, "renamed.sys");
	assert_string_equal(in->copies[1].source_name, "orig.sys");
	assert_int_equal(in->copies[1].flags, 4);
	assert_int_equal(in->copies[2].dirid, 11);
	assert_string_equal(in->copies[2].subdir, "sub\\dir");
	assert_string_equal(in->copies[3].dest_name, "single.sys");
	assert_null(in->copies[3].section);
	assert_int_equal(in->copies[3].dirid, 12);

	/* AddReg, with types from the flags. */
	const struct pkg_inf_reg *g = reg(in, "Sz");
	assert_int_equal(g->root, PKG_INF_HKR);
	assert_int_equal(g->context, PKG_REGCTX_DRIVER);
	assert_int_equal(g->data.type, PKG_REG_SZ);
	assert_string_equal(g->data.str, "%%SystemRoot%%\\x"); /* template */
	assert_string_equal(g->security, "D:P(A;;GA;;;SY)");
	g = reg(in, "Expand");
	assert_string_equal(g->subkey, "Sub");
	assert_int_equal(g->data.type, PKG_REG_EXPAND_SZ);
	struct pkg_windows_paths wp = { "C:\\Windows", "C:", false };
	char *txt;
	struct pkg_error e = { 0 };
	assert_int_equal(pkg_inf_expand(arena, g->data.str, &wp, &txt, &e),
			 PKG_OK);
	assert_string_equal(txt, "C:\\Windows\\System32\\y.dll");
	assert_int_equal(
		pkg_inf_expand(arena, reg(in, "Sz")->data.str, &wp, &txt, &e),
		PKG_OK);
	assert_string_equal(txt, "%SystemRoot%\\x");
	g = reg(in, "Multi");
	assert_int_equal(g->root, PKG_INF_HKLM);
	assert_string_equal(g->subkey, "SOFTWARE\\Contoso");
	assert_int_equal(g->data.type, PKG_REG_MULTI_SZ);
	assert_int_equal(g->data.nstrv, 3);
	assert_string_equal(g->data.strv[2], "c,d");
	assert_int_equal(reg(in, "Append")->flags & PKG_ADDREG_APPEND,
			 PKG_ADDREG_APPEND);
	g = reg(in, "Dword");
	assert_int_equal(g->root, PKG_INF_HKCR);
	assert_int_equal(g->data.type, PKG_REG_DWORD);
	assert_int_equal(g->data.num, 16);
	assert_int_equal(reg(in, "DwordDec")->data.num, 42);
	g = reg(in, "Bin");
	assert_int_equal(g->data.type, PKG_REG_BINARY);
	assert_int_equal(g->data.nbin, 3);
	assert_int_equal(g->data.bin[2], 0xff);
	g = reg(in, "Qword");
	assert_int_equal(g->data.type, PKG_REG_QWORD);
	assert_false(g->data.raw);
	assert_int_equal(g->data.num, 0x8000000000000001ull);
	g = reg(in, "Custom");
	assert_int_equal(g->data.type, 0x38);
	assert_true(g->data.raw);
	assert_int_equal(g->data.nbin, 2);
	assert_int_equal(reg(in, "None")->data.type, PKG_REG_NONE);
	assert_int_equal(reg(in, "Gone")->flags & PKG_ADDREG_DELVAL,
			 PKG_ADDREG_DELVAL);
	reg(in, "FromNeeds"); /* Needs= of a section of this INF */
	size_t keyonly = 0;
	for (size_t i = 0; i < in->nregs; i++)
		if (in->regs[i].value_name == NULL)
			keyonly++;
	assert_int_equal(keyonly, 2); /* KeyOnly, and "Programmable","" */

	/* Services. */
	assert_int_equal(in->nservices, 2);
	const struct pkg_inf_service *sv = &in->services[0];
	assert_string_equal(sv->name, "dev");
	assert_int_equal(sv->flags, 2);
	assert_string_equal(sv->display_name, "Contoso Device");
	assert_string_equal(sv->description, "%%SystemRoot%%\\res.dll,-1");
	assert_int_equal(sv->service_type, 1);
	assert_int_equal(sv->start_type, 0);
	assert_int_equal(sv->error_control, 1);
	assert_int_equal(sv->binary_dirid, 12);
	assert_string_equal(sv->binary_rest, "dev.sys");
	assert_string_equal(sv->load_order_group, "Base");
	assert_int_equal(sv->ndependencies, 2);
	assert_string_equal(sv->dependencies[0], "+Group");
	assert_string_equal(sv->start_name, "NT AUTHORITY\\LocalService");
	assert_string_equal(sv->security, "D:P(A;;GA;;;SY)");
	assert_int_equal(sv->nregs, 1);
	assert_int_equal(sv->regs[0].context, PKG_REGCTX_SERVICE);
	assert_string_equal(sv->regs[0].subkey, "Parameters");
	assert_string_equal(sv->eventlog_type, "Application");
	assert_string_equal(sv->eventlog_name, "DevSource");
	assert_int_equal(sv->neventlog_regs, 1);
	assert_int_equal(sv->eventlog_regs[0].context, PKG_REGCTX_EVENTLOG);
	sv = &in->services[1];
	assert_int_equal(sv->binary_dirid, 0);
	assert_null(sv->eventlog_section);

	/* Deferred, by section and directive. */
	assert_true(deferred(in, "Dev.NTamd64", "RegisterDlls"));
	assert_true(deferred(in, "Dev.NTamd64", "Include"));
	assert_true(deferred(in, "Dev.NTamd64", "FeatureScore"));
	assert_true(deferred(in, "Dev.NTamd64.HW", "AddReg"));
	assert_true(deferred(in, "Dev.NTamd64.CoInstallers", "CopyFiles"));
	assert_true(deferred(in, "Dev.NTamd64.Services", "DelService"));
	assert_true(deferred(in, "Dev_Svc", "AddTrigger"));

	/* The null service of the second device. */
	assert_true(d->bindings[1].install->null_service);
	assert_int_equal(d->bindings[1].install->nservices, 0);

	/* x86 has no Dev.NTx86: Dev.NT is used. */
	d = resolve(inf, "x86", 6, 1);
	assert_string_equal(d->installs[0].section, "Dev.NT");
	assert_int_equal(d->installs[0].ncopies, 1);
	assert_string_equal(d->installs[0].copies[0].dest_name, "ntonly.sys");
}

static void test_needs(void **state)
{
	(void)state;
	static const char base[] =
		"[Version]\nSignature=\"$Windows NT$\"\n"
		"[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n";
	char *text;
	/* A section that needs itself (the "section that includes itself"
	 * of the issue) and a longer cycle. */
	assert_true(asprintf(&text, "%s[I.NTamd64]\nNeeds=I.NTamd64\n", base) >
		    0);
	fails_str(text, PKG_ERR_INF,
		  "t.inf:8: section [I.NTamd64] needs itself");
	free(text);
	assert_true(asprintf(&text,
			     "%s[I]\nNeeds=A\n[A]\nNeeds=B\n[B]\nNeeds=A\n",
			     base) > 0);
	fails_str(text, PKG_ERR_INF, "t.inf:12: section [A] needs itself");
	free(text);
	/* A chain deeper than the limit. */
	char *chain = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&chain, &len);
	fprintf(f, "%s[I]\nNeeds=S0\n", base);
	for (int i = 0; i < 20; i++)
		fprintf(f, "[S%d]\nNeeds=S%d\n", i, i + 1);
	fprintf(f, "[S20]\n");
	fclose(f);
	fails_str(chain, PKG_ERR_INF, "Needs= nested deeper than 8");
	free(chain);
}

static void test_errors(void **state)
{
	(void)state;
	static const char ver[] = "[Version]\nSignature=\"$Windows NT$\"\n";
	struct {
		const char *body;
		const char *msg;
	} cases[] = {
		{ "[A]\nx = \"unterminated\n", "t.inf:4: unterminated quoted "
					       "string" },
		{ "[A\n", "t.inf:3: section name without ']'" },
		{ "[A]\nx = a\0b\n", "t.inf:4: NUL character" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nnot a model\n",
		  "t.inf:6: [M.NTamd64]: a model entry needs" },
		{ "[Manufacturer]\nM=M,Win95\n", "t.inf:4: [Manufacturer]: "
						 "'Win95' is not" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[I]\nCopyFiles=Missing\n",
		  "t.inf:8: CopyFiles=Missing: no such section" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[I]\nCopyFiles=L\n[L]\nx.sys\n",
		  "t.inf:10: no destination for L" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[DestinationDirs]\nDefaultDestDir=12\n"
		  "[I]\nCopyFiles=L\n[L]\n..\\..\\evil.sys\n",
		  "t.inf:12: CopyFiles: '..\\..\\evil.sys' is not a plain" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[DestinationDirs]\nDefaultDestDir=12\n"
		  "[SourceDisksFiles]\nx.sys=1,..\\..\n"
		  "[I]\nCopyFiles=@x.sys\n",
		  "t.inf:12: source path '..\\..\\x.sys' of x.sys leaves" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[I]\nAddReg=R\n[R]\nHKXX,a,b\n",
		  "t.inf:10: [R]: unknown registry root 'HKXX'" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[I]\nAddReg=R\n[R]\nHKR,,v,0x00030000,x\n",
		  "t.inf:10: AddReg flags 0x00030000" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[I]\nAddReg=R\n[R]\nHKR,,v,0x00010001,nope\n",
		  "t.inf:10: 'nope' is not a DWORD" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[I.Services]\nAddService=s,,Missing\n",
		  "t.inf:8: AddService=s: no section [Missing]" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[I.Services]\nAddService=s,,S\n[S]\nServiceType=1\n"
		  "StartType=3\nErrorControl=1\n",
		  "t.inf:9: [S]: service s has no ServiceBinary" },
		{ "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nd=I,HW\n"
		  "[I.Services]\nAddService=s,,S\n[S]\nServiceType=kernel\n",
		  "t.inf:10: ServiceType: 'kernel' is not a number" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* The NUL case needs its length counted by hand. */
		size_t blen = strlen(cases[i].body);
		if (strstr(cases[i].msg, "NUL"))
			blen = strlen("[A]\nx = a") + 1 + strlen("b\n");
		size_t vlen = strlen(ver);
		char *text = malloc(vlen + blen);
		memcpy(text, ver, vlen);
		memcpy(text + vlen, cases[i].body, blen);
		fails(text, vlen + blen, PKG_ERR_INF, cases[i].msg);
		free(text);
	}
	fails_str("[A]\nx=1\n", PKG_ERR_INF, "no [Version] section");
	fails_str("[Version]\nClass=x\n", PKG_ERR_INF, "no Signature");
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
	fails(text, n, PKG_ERR_INF, "t.inf:2: line longer than 65536");
	/* ... built from continuations. */
	n = (size_t)sprintf(text, "[Version]\nx = ");
	while (n < big) {
		memcpy(text + n, "aaaaaaaaa\\\n", 11);
		n += 11;
	}
	fails(text, n, PKG_ERR_INF, "line longer than 65536");
	/* A field over 4095 characters. */
	n = (size_t)sprintf(text, "[Version]\nx = ");
	memset(text + n, 'a', 5000);
	n += 5000;
	fails(text, n, PKG_ERR_INF, "t.inf:2: field longer than 4095");
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
	fails(text, n, PKG_ERR_INF, "t.inf:10: string longer than 4095");
	struct pkg_inf *inf = parse_len(text, n);
	assert_string_equal(subst(inf, "%A%"), "%B%");
	assert_string_equal(subst(inf, "%B%"), "%A%");
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
	fails(b, n16 + 2, PKG_ERR_INF, "t.inf:3: unterminated quoted string");
	free(b);
	free(u16);
	/* Too big a file. */
	fails(text, PKG_INF_MAX_SIZE + 1u, PKG_ERR_LIMIT, "the limit is");
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
	const struct pkg_inf *inf = parse_len(text, len);
	assert_int_equal(inf->nsections, 200001);
	assert_int_equal(pkg_inf_section(inf, "S0")->nlines, 1);
	free(text);
	assert_true(pkgtest_maxrss_kib() - before < RSS_MARGIN_KIB * 4);
}

/* ---- Guest paths ---- */

static void test_paths(void **state)
{
	(void)state;
	struct pkg_windows_paths wp = { "C:\\Windows", "C:", false };
	struct pkg_error e = { 0 };
	char *p;
	/* "Using Dirids" */
	static const struct {
		int32_t dirid;
		const char *path;
	} dirids[] = {
		{ 10, "C:\\Windows" },
		{ 11, "C:\\Windows\\System32" },
		{ 12, "C:\\Windows\\System32\\drivers" },
		{ 17, "C:\\Windows\\INF" },
		{ 18, "C:\\Windows\\Help" },
		{ 20, "C:\\Windows\\Fonts" },
		{ 24, "C:" },
		{ 50, "C:\\Windows\\System" },
		{ 16422, "C:\\Program Files" },
		{ 16425, "C:\\Windows\\SysWOW64" },
		{ 16426, "C:\\Program Files (x86)" },
		{ -1, "" },
	};
	for (size_t i = 0; i < sizeof(dirids) / sizeof(dirids[0]); i++) {
		assert_int_equal(
			pkg_dirid_path(arena, dirids[i].dirid, &wp, &p, &e),
			PKG_OK);
		assert_string_equal(p, dirids[i].path);
	}
	assert_int_equal(pkg_dirid_path(arena, 13, &wp, &p, &e),
			 PKG_ERR_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "driver store"));
	pkg_error_clear(&e);
	assert_int_equal(
		pkg_inf_expand(arena, "%12%\\a.sys;%%x%%;%1%", &wp, &p, &e),
		PKG_ERR_UNSUPPORTED);
	pkg_error_clear(&e);
	assert_int_equal(
		pkg_inf_expand(arena, "%12%\\a.sys;%%x%%", &wp, &p, &e),
		PKG_OK);
	assert_string_equal(p, "C:\\Windows\\System32\\drivers\\a.sys;%x%");

	assert_int_equal(pkg_runtime_expand(arena,
					    "$(runtime.system32)\\a.dll|"
					    "$(RUNTIME.DRIVERS)\\b.sys|"
					    "$(runtime.programFilesX86)|"
					    "$(runtime.bootDrive)\\",
					    &wp, &p, &e),
			 PKG_OK);
	assert_string_equal(p, "C:\\Windows\\System32\\a.dll|"
			       "C:\\Windows\\System32\\drivers\\b.sys|"
			       "C:\\Program Files (x86)|C:\\");
	wp.wow64 = true;
	assert_int_equal(
		pkg_runtime_expand(arena, "$(runtime.system32)", &wp, &p, &e),
		PKG_OK);
	assert_string_equal(p, "C:\\Windows\\SysWOW64");
	assert_int_equal(pkg_runtime_expand(arena, "$(runtime.userProfile)\\x",
					    &wp, &p, &e),
			 PKG_ERR_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "runtime.userProfile"));
	pkg_error_clear(&e);
	assert_int_equal(
		pkg_runtime_expand(arena, "$(runtime.system32", &wp, &p, &e),
		PKG_ERR_MANIFEST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_decorations),
		cmocka_unit_test(test_install),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_many_sections),
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_inf_install.c - INF interpretation on INF files written here: the
 * install sections (Microsoft's "INF AddReg/AddService/CopyFiles
 * directive"), Needs/Include, their errors, and guest paths (DIRIDs).
 *
 * Each case is a small INF text made for the rule it checks; the syntax
 * is in test_inf.c, the real IC INFs are covered by test_ic.c.
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
	const struct pkg_inf *inf = inft_parse(driver);
	const struct pkg_driver *d = inft_resolve(inf, "amd64", 6, 2);
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
	assert_int_equal(pkg_inf_expand(inft_arena, g->data.str, &wp, &txt, &e),
			 PKG_OK);
	assert_string_equal(txt, "C:\\Windows\\System32\\y.dll");
	assert_int_equal(pkg_inf_expand(inft_arena, reg(in, "Sz")->data.str,
					&wp, &txt, &e),
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
	d = inft_resolve(inf, "x86", 6, 1);
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
	inft_fails_str(text, PKG_ERR_INF,
		       "t.inf:8: section [I.NTamd64] needs itself");
	free(text);
	assert_true(asprintf(&text,
			     "%s[I]\nNeeds=A\n[A]\nNeeds=B\n[B]\nNeeds=A\n",
			     base) > 0);
	inft_fails_str(text, PKG_ERR_INF, "t.inf:12: section [A] needs itself");
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
	inft_fails_str(chain, PKG_ERR_INF, "Needs= nested deeper than 8");
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
		inft_fails(text, vlen + blen, PKG_ERR_INF, cases[i].msg);
		free(text);
	}
	inft_fails_str("[A]\nx=1\n", PKG_ERR_INF, "no [Version] section");
	inft_fails_str("[Version]\nClass=x\n", PKG_ERR_INF, "no Signature");
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
		assert_int_equal(pkg_dirid_path(inft_arena, dirids[i].dirid,
						&wp, &p, &e),
				 PKG_OK);
		assert_string_equal(p, dirids[i].path);
	}
	assert_int_equal(pkg_dirid_path(inft_arena, 13, &wp, &p, &e),
			 PKG_ERR_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "driver store"));
	pkg_error_clear(&e);
	assert_int_equal(pkg_inf_expand(inft_arena, "%12%\\a.sys;%%x%%;%1%",
					&wp, &p, &e),
			 PKG_ERR_UNSUPPORTED);
	pkg_error_clear(&e);
	assert_int_equal(
		pkg_inf_expand(inft_arena, "%12%\\a.sys;%%x%%", &wp, &p, &e),
		PKG_OK);
	assert_string_equal(p, "C:\\Windows\\System32\\drivers\\a.sys;%x%");

	assert_int_equal(pkg_runtime_expand(inft_arena,
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
	assert_int_equal(pkg_runtime_expand(inft_arena, "$(runtime.system32)",
					    &wp, &p, &e),
			 PKG_OK);
	assert_string_equal(p, "C:\\Windows\\SysWOW64");
	assert_int_equal(pkg_runtime_expand(inft_arena,
					    "$(runtime.userProfile)\\x", &wp,
					    &p, &e),
			 PKG_ERR_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "runtime.userProfile"));
	pkg_error_clear(&e);
	assert_int_equal(pkg_runtime_expand(inft_arena, "$(runtime.system32",
					    &wp, &p, &e),
			 PKG_ERR_MANIFEST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, inft_setup, inft_teardown);
}

/*
 * test_inspect.c - Windows detection (src/servicing/inspect.c) on the
 * host-directory backend: no appliance.  The safety verdicts are in
 * test_inspect_safety.c, the choice among real packages in
 * test_applicable.c.
 *
 * Each test lays out volumes as host directories, with hives merged from
 * the same .reg recipes the test images use (tests/fixtures/reg, through
 * hivexregedit) and PE stubs from tests/fixtures/mkpe.py.  The expected
 * values are the recipes' own.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "servicing/inspect_report.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "tests/servicing/svctest.h"

static void test_win7_mbr(void **state)
{
	(void)state;
	/* System Reserved first, Windows second: order must not matter. */
	hvo_fg_sh("mkdir -p v1/Boot v2; echo boot > v1/bootmgr");
	svct_windows("v2", "Windows", "win7-x86", "i386", "6.2.9200.16433");
	hvo_fg_sh("touch 'v2/Windows/servicing/Packages/"
		  "Microsoft-Hyper-V-Integration-Services-Package~"
		  "31bf3856ad364e35~"
		  "x86~~6.2.9200.16433.mum' "
		  "'v2/Windows/servicing/Packages/not-a-package.mum' "
		  "'v2/Windows/servicing/Packages/readme.txt'");
	struct guest_hostdir_volume vols[] = {
		svct_volume("v1", 1, 2 << 20),
		svct_volume("v2", 2, 9 << 20),
	};
	struct guest_hostdir_disk spec = { "win7.vhdx", GUEST_PTABLE_MBR,
					   12 << 20, 2, vols };
	struct svc_facts f;
	svct_inspect(&spec, &f);
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_string_equal(svc_facts_status(&f), "ok");
	assert_true(f.windows_found);
	assert_int_equal(f.windows_count, 1);
	assert_int_equal(f.windows_volume, 1);
	assert_false(f.volumes[0].windows);
	assert_string_equal(f.systemroot, "Windows");
	assert_int_equal(f.generation, 1);
	assert_int_equal(f.esp_partnum, -1);
	assert_string_equal(f.product_name, "Windows 7 Ultimate");
	assert_string_equal(f.edition_id, "Ultimate");
	assert_string_equal(f.installation_type, "Client");
	assert_string_equal(f.current_version, "6.1");
	assert_string_equal(f.csd_version, "Service Pack 1");
	assert_int_equal(f.nt_major, 6);
	assert_int_equal(f.nt_minor, 1);
	assert_int_equal(f.build, 7601);
	assert_string_equal(f.arch, "x86");
	assert_string_equal(f.arch_source, "ntoskrnl.exe");
	assert_int_equal(f.current_control_set, 1);
	assert_true(f.control_set_present);
	assert_true(f.vmbus_service);
	assert_int_equal(f.vmbus_start, 0);
	assert_true(f.vmbus_version_known);
	char v[32];
	guest_pe_version_format(&f.vmbus_version, v, sizeof(v));
	assert_string_equal(v, "6.2.9200.16433");
	assert_string_equal(f.ic_registry_version, "6.2.9200.16433");
	/* Three packages from CBS, one of them also a .mum file. */
	assert_int_equal(f.npackages, 3);
	const struct svc_installed_package *p = svc_facts_find_package(
		&f, "microsoft-hyper-v-integration-services-package", "X86");
	assert_non_null(p);
	assert_string_equal(p->version, "6.2.9200.16433");
	assert_true(p->in_servicing);
	assert_true(p->in_cbs);
	assert_int_equal(p->cbs_state, 0x70);
	p = svc_facts_find_package(&f, "Microsoft-Windows-Foundation-Package",
				   "x86");
	assert_non_null(p);
	assert_false(p->in_servicing);
	assert_null(svc_facts_find_package(
		&f, "Microsoft-Windows-Foundation-Package", "amd64"));
	assert_false(f.software.dirty);
	assert_false(f.system.dirty);
	assert_false(f.hiberfil_present);
	svct_check_json_parses(&f);
	svc_facts_free(&f);
}

static void test_ws2012_gpt(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir -p esp/EFI/Microsoft/Boot v3");
	svct_windows("v3", "Windows", "ws2012-x64", "amd64", "6.2.9200.16384");
	/* A zeroed hiberfil.sys: hibernation enabled, clean boot. */
	hvo_fg_sh("truncate -s 64K v3/hiberfil.sys");
	struct guest_hostdir_volume vols[] = {
		{ .root = hvo_fg_at("esp"),
		  .partnum = 1,
		  .size = 1 << 20,
		  .fstype = "vfat",
		  .gpt_type = GUEST_GPT_TYPE_ESP },
		{ .partnum = 2,
		  .size = 1 << 20,
		  .gpt_type = "E3C9E316-0B5C-4DB8-817D-F92DF00215AE" },
		{ .root = hvo_fg_at("v3"),
		  .partnum = 3,
		  .size = 13 << 20,
		  .fstype = "ntfs",
		  .gpt_type = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" },
	};
	struct guest_hostdir_disk spec = { "ws2012.vhdx", GUEST_PTABLE_GPT,
					   16 << 20, 3, vols };
	struct svc_facts f;
	svct_inspect(&spec, &f);
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_int_equal(f.generation, 2);
	assert_int_equal(f.esp_partnum, 1);
	assert_true(f.volumes[0].esp);
	assert_false(f.volumes[0].mount_tried); /* boot loaders only */
	assert_false(f.volumes[1].mount_tried); /* the MSR has no fs */
	assert_int_equal(f.windows_volume, 2);
	assert_string_equal(f.product_name, "Windows Server 2012 Standard");
	assert_string_equal(f.installation_type, "Server");
	assert_int_equal(f.nt_major, 6);
	assert_int_equal(f.nt_minor, 2);
	assert_int_equal(f.build, 9200);
	assert_string_equal(f.arch, "amd64");
	/* The current control set is 2: its vmbus starts at boot (0); the
	 * one in ControlSet001 would say 3. */
	assert_int_equal(f.current_control_set, 2);
	assert_int_equal(f.vmbus_start, 0);
	assert_true(f.hiberfil_present);
	assert_int_equal(f.hiber, GUEST_HIBER_NONE);
	assert_null(svc_facts_find_package(
		&f, "Microsoft-Hyper-V-Integration-Services-Package", NULL));
	assert_non_null(svc_facts_find_package(
		&f, "Microsoft-Hyper-V-Guest-Integration-Drivers-Package",
		"amd64"));
	svc_facts_free(&f);
}

static void test_xp(void **state)
{
	(void)state;
	/* XP: WINDOWS\system32\config\software, lower case; no kernel here,
	 * so the architecture comes from cmd.exe, which has no version. */
	hvo_fg_sh("mkdir -p v/WINDOWS/system32/config");
	hvo_fg_hive("winxp-x86-software", "v/WINDOWS/system32/config/software");
	hvo_fg_hive("winxp-x86-system", "v/WINDOWS/system32/config/system");
	hvo_fg_pe("i386", NULL, "v/WINDOWS/system32/cmd.exe");
	struct svc_facts f;
	svct_inspect_dir("v", "xp.vhdx", &f);
	assert_true(f.windows_found);
	assert_string_equal(f.systemroot, "WINDOWS");
	assert_string_equal(f.product_name, "Microsoft Windows XP");
	assert_int_equal(f.nt_major, 5);
	assert_int_equal(f.nt_minor, 1);
	assert_int_equal(f.build, 2600);
	assert_string_equal(f.edition_id, "");
	assert_string_equal(f.arch, "x86");
	assert_string_equal(f.arch_source, "cmd.exe");
	assert_int_equal(f.current_control_set, 3);
	assert_true(f.control_set_present);
	assert_int_equal(f.npackages, 0);
	assert_false(f.vmbus_present);
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	svc_facts_free(&f);
}

static void test_no_windows_and_several(void **state)
{
	(void)state;
	/* A folder named Windows without the hives is not a system root. */
	hvo_fg_sh("mkdir -p a/Windows/System32/config b c");
	hvo_fg_sh("echo x > a/Windows/System32/config/SOFTWARE");
	struct guest_hostdir_volume vols[] = {
		{ .root = hvo_fg_at("a"),
		  .partnum = 1,
		  .size = 4 << 20,
		  .fstype = "ntfs" },
		{ .root = hvo_fg_at("b"),
		  .partnum = 2,
		  .size = 4 << 20,
		  .fstype = "ext4" }, /* not a Windows filesystem */
	};
	struct guest_hostdir_disk spec = { "none.vhdx", GUEST_PTABLE_MBR,
					   8 << 20, 2, vols };
	struct svc_facts f;
	svct_inspect(&spec, &f);
	assert_false(f.windows_found);
	assert_true(f.volumes[0].mounted);
	/* The ext4 volume is only looked at for a Linux root (inspect_linux.c)
	 * and holds none: still no-windows. */
	assert_true(f.volumes[1].mount_tried);
	assert_null(f.linux_guest);
	assert_true(svc_facts_has_problem(&f, "no-windows"));
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_string_equal(svc_facts_status(&f), "no-windows");
	svct_check_json_parses(&f);
	svc_facts_free(&f);

	/* Two installations: which one to service is not ours to guess. */
	svct_windows("b", "Windows", "win7-x86", "i386", NULL);
	svct_windows("c", "WINNT", "ws2012-x64", "amd64", NULL);
	vols[1].fstype = "ntfs";
	struct guest_hostdir_volume more[] = { vols[0],
					       vols[1],
					       { .root = hvo_fg_at("c"),
						 .partnum = 3,
						 .size = 4 << 20,
						 .fstype = "ntfs" } };
	struct guest_hostdir_disk spec2 = { "two.vhdx", GUEST_PTABLE_MBR,
					    12 << 20, 3, more };
	svct_inspect(&spec2, &f);
	assert_int_equal(f.windows_count, 2);
	assert_int_equal(f.windows_volume, 1); /* the first is described */
	assert_string_equal(f.arch, "x86");
	assert_true(svc_facts_has_problem(&f, "several-windows"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	svc_facts_free(&f);
}

static void test_missing_control_set(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	svct_windows("v", "Windows", "win7-x86", "i386", NULL);
	/* Select\Current names a control set that is not there. */
	hvo_fg_sh("printf '[HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\Select]\\n"
		  "\"Current\"=dword:00000007\\n' > sel.reg;"
		  "hivexregedit --merge v/Windows/System32/config/SYSTEM "
		  "--prefix 'HKEY_LOCAL_MACHINE\\SYSTEM' sel.reg");
	struct svc_facts f;
	svct_inspect_dir("v", "cs.vhdx", &f);
	assert_int_equal(f.current_control_set, 7);
	assert_false(f.control_set_present);
	assert_true(svc_facts_has_problem(&f, "no-control-set"));
	assert_int_equal(f.verdict, HVO_EXIT_CORRUPT);
	svc_facts_free(&f);
}

static void test_unknown_arch_and_vmbus(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	svct_windows("v", "Windows", "win7-x86", "i386", NULL);
	hvo_fg_sh("echo 'not a PE' > v/Windows/System32/ntoskrnl.exe;"
		  "echo 'MZ only' > v/Windows/System32/drivers/vmbus.sys");
	struct svc_facts f;
	svct_inspect_dir("v", "pe.vhdx", &f);
	assert_string_equal(f.arch, "");
	assert_true(svc_facts_has_problem(&f, "unknown-arch"));
	assert_true(f.vmbus_present);
	assert_false(f.vmbus_version_known);
	assert_true(svc_facts_has_problem(&f, "vmbus-version-unknown"));
	/* Notes, not refusals. */
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	svc_facts_free(&f);
}

/* The text report says what the JSON says. */
static void test_text_report(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	svct_windows("v", "Windows", "win7-x86", "i386", "6.2.9200.16433");
	hvo_fg_sh("printf HIBR > v/hiberfil.sys");
	struct svc_facts f;
	svct_inspect_dir("v", "text.vhdx", &f);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	svc_facts_text(&f, out);
	fclose(out);
	static const char *const want[] = {
		"text.vhdx: unsafe\n",
		"mbr (Hyper-V generation 1)",
		"Windows 7 Ultimate (NT 6.1 build 7601, Service Pack 1)",
		"architecture:  x86 (from ntoskrnl.exe)",
		"control set:   ControlSet001",
		"vmbus.sys:     6.2.9200.16433",
		"IC package:    Microsoft-Hyper-V-Integration-Services-Package "
		"x86 6.2.9200.16433",
		"problem: Windows is hibernated",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("'%s' not in:\n%s", want[i], text);
	free(text);
	svc_facts_free(&f);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_win7_mbr, svct_setup_inspect, hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(
			test_ws2012_gpt, svct_setup_inspect, hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_xp, svct_setup_inspect,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_no_windows_and_several,
						svct_setup_inspect,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_missing_control_set,
						svct_setup_inspect,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_arch_and_vmbus,
						svct_setup_inspect,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(
			test_text_report, svct_setup_inspect, hvo_fg_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

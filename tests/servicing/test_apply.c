/*
 * test_apply.c - plan, apply and verify (src/servicing) with the real
 * integration-services packages, on the host-directory backend: no
 * appliance.
 *
 * A guest is a host directory laid out like the project's test images
 * (hives merged from tests/fixtures/reg recipes into hivex's minimal
 * hive, PE stubs from mkpe.py).  What apply wrote is read back with
 * independent tools: hivexsh for the hives, cabextract and sha256sum for
 * the files.  Failures are injected at every stage of the write and each
 * must leave the tree byte-identical (names and contents): those tests
 * are in test_apply_failures.c.
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
#include "servicing/apply.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "tests/servicing/svctest.h"
#include "util/sha256.h"

/* ------------------------------------------------------------------ */
/* Plans.                                                              */
/* ------------------------------------------------------------------ */

static void test_plan_ws2012(void **state)
{
	(void)state;
	hvo_fg_ws2012();
	struct hvo_fg_guest g;
	hvo_fg_guest_open(&g, CAB62, true);
	assert_false(g.up_to_date);
	const struct svc_plan *p = g.plan;
	assert_string_equal(p->version, "6.3.9600.19456");
	assert_int_equal(p->control_set, 2);
	assert_false(p->cdd); /* NT 6.2: no CriticalDeviceDatabase */
	assert_int_equal(p->firstboot, SVC_FIRSTBOOT_SETUP_CMDLINE);
	/* vmbus.sys from wvmbus.inf's CopyFiles (DIRID 12), with the SHA-256
	 * cabextract gives for the payload. */
	const struct svc_plan_file *f =
		hvo_fg_plan_file(p, "Windows\\System32\\drivers\\vmbus.sys");
	assert_non_null(f);
	assert_int_equal(f->role, SVC_ROLE_INSTALL);
	char hex[65];
	hvo_int_sha256_hex(f->sha256, hex);
	char *want = hvo_fg_out(
		"cabextract -q -p -F '*wvmbus.inf*/vmbus.sys' '%s' | "
		"sha256sum | cut -c1-64 | tr -d '\\n'",
		g.cab);
	assert_string_equal(hex, want);
	free(want);
	/* Component files go to $(runtime.system32). */
	assert_non_null(hvo_fg_plan_file(p, "Windows\\System32\\icsvc.dll"));
	/* The staged package. */
	assert_non_null(p->staged_cab);
	assert_non_null(hvo_fg_plan_file(p, p->staged_cab));
	/* Services from the INF and from serviceData. */
	const struct svc_plan_reg *r = hvo_fg_plan_reg(
		p, SVC_HIVE_SYSTEM, "ControlSet002\\Services\\vmbus", "Start");
	assert_non_null(r);
	assert_int_equal(r->data[0], 0);
	r = hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM,
			    "ControlSet002\\Services\\vmbus", "Group");
	assert_string_equal(r->text, "System Bus Extender");
	static const char *const vmic[] = {
		"vmicheartbeat",     "vmickvpexchange", "vmicshutdown",
		"vmictimesync",	     "vmicvss",		"vmicrdv",
		"vmicguestinterface"
	};
	for (size_t i = 0; i < 7; i++) {
		char key[128];
		snprintf(key, sizeof(key), "ControlSet002\\Services\\%s",
			 vmic[i]);
		assert_non_null(
			hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM, key, "ImagePath"));
		snprintf(key, sizeof(key),
			 "ControlSet002\\Services\\%s\\"
			 "TriggerInfo\\0",
			 vmic[i]);
		assert_non_null(
			hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM, key, "GUID"));
		bool member = false;
		for (size_t k = 0; k < p->nregs; k++)
			member |= p->regs[k].kind == SVC_REG_MULTI_ADD &&
				  strcmp(p->regs[k].text, vmic[i]) == 0;
		assert_true(member);
	}
	/* No CriticalDeviceDatabase and no DriverDatabase on NT 6.2. */
	for (size_t k = 0; k < p->nregs; k++) {
		assert_null(strstr(p->regs[k].key, "CriticalDeviceDatabase"));
		assert_null(strstr(p->regs[k].key, "DriverDatabase"));
	}
	r = hvo_fg_plan_reg(p, SVC_HIVE_SOFTWARE,
			    "Microsoft\\Virtual Machine\\Auto",
			    "IntegrationServicesVersion");
	assert_string_equal(r->text, "6.3.9600.19456");
	r = hvo_fg_plan_reg(p, SVC_HIVE_SOFTWARE,
			    "Microsoft\\Windows\\CurrentVersion", "DevicePath");
	assert_int_equal(r->kind, SVC_REG_PATH_ADD);
	r = hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM, "Setup", "SetupType");
	assert_true(r->firstboot);
	/* Co-installers and .HW sections are deferred, by name. */
	bool hw = false;
	for (size_t k = 0; k < p->ndeferred; k++)
		hw |= strstr(p->deferred[k].what, ".HW]") != NULL;
	assert_true(hw);
	/* The plan is plain data: JSON that jq reads. */
	FILE *o = fopen(hvo_fg_at("plan.json"), "w");
	struct json_writer w;
	hvo_int_json_init(&w, o, false);
	hvo_int_json_begin_object(&w);
	svc_plan_json(p, &w);
	hvo_int_json_end_object(&w);
	assert_int_equal(hvo_int_json_finish(&w), 0);
	fclose(o);
	if (hvo_test_have_program("jq"))
		hvo_fg_sh("jq -e '.files | length > 50' plan.json >/dev/null");
	hvo_fg_guest_close(&g);
}

static void test_plan_win7_cdd(void **state)
{
	(void)state;
	svct_win7();
	struct hvo_fg_guest g;
	hvo_fg_guest_open(&g, CAB6X, true);
	const struct svc_plan *p = g.plan;
	assert_int_equal(p->control_set, 1);
	/* The boot-start bus and storage drivers bind before PnP runs;
	 * demand-start drivers get no entry. */
	svct_expect_boot_drivers_bound(p);
	svct_expect_no_demand_start_cdd(p);
	const struct svc_plan_reg *r = hvo_fg_plan_reg(
		p, SVC_HIVE_SYSTEM,
		"ControlSet001\\Control\\CriticalDeviceDatabase\\"
		"vmbus#{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}",
		"ClassGUID");
	assert_non_null(r);
	hvo_fg_guest_close(&g);
}

/* ------------------------------------------------------------------ */
/* Apply and verify.                                                   */
/* ------------------------------------------------------------------ */

static void test_apply_ws2012(void **state)
{
	(void)state;
	hvo_fg_ws2012();
	struct hvo_fg_guest g;
	hvo_fg_guest_open(&g, CAB62, true);
	struct svc_apply_result r;
	assert_int_equal(hvo_fg_guest_apply(&g, 0, 0, &r), HVO_EXIT_OK);
	assert_true(r.guest_changed);
	assert_int_equal(r.verify.ndiffs, 0);
	assert_true(r.verify.nchecked > 300);
	assert_true(r.hive_written[SVC_HIVE_SYSTEM]);
	assert_false(r.hive_recovered[SVC_HIVE_SYSTEM]);
	svc_apply_result_free(&r);

	/* Read back with independent tools. */
	char *s =
		hvo_fg_out("sha256sum vol/Windows/System32/drivers/vmbus.sys | "
			   "cut -c1-64");
	char *want = hvo_fg_out(
		"cabextract -q -p -F '*wvmbus.inf*/vmbus.sys' '%s' | "
		"sha256sum | cut -c1-64",
		g.cab);
	assert_string_equal(s, want);
	free(s);
	free(want);
	s = svct_hivexsh("vol/Windows/System32/config/SYSTEM",
			 "cd ControlSet002\\\\Services\\\\vmbus\\nlsval\\n");
	assert_non_null(strstr(s, "\"Start\"=dword:00000000"));
	assert_non_null(strstr(s, "\"Group\"=\"System Bus Extender\""));
	free(s);
	s = svct_hivexsh("vol/Windows/System32/config/SYSTEM",
			 "cd Setup\\nlsval\\n");
	assert_non_null(strstr(s, "\"SetupType\"=dword:00000002"));
	assert_non_null(strstr(s, "hvoffline\\\\firstboot.cmd"));
	free(s);
	s = svct_hivexsh("vol/Windows/System32/config/SOFTWARE",
			 "cd Microsoft\\\\Virtual Machine\\\\Auto\\nlsval\\n");
	assert_non_null(
		strstr(s, "\"IntegrationServicesVersion\"=\"6.3.9600.19456\""));
	free(s);
	s = hvo_fg_out("hivexget vol/Windows/System32/config/SOFTWARE "
		       "'\\Microsoft\\Windows NT\\CurrentVersion\\Svchost' "
		       "LocalSystemNetworkRestricted");
	assert_non_null(strstr(s, "vmickvpexchange"));
	assert_non_null(strstr(s, "vmicguestinterface"));
	free(s);
	/* The record, as JSON, names the previous vmbus.sys. */
	s = hvo_fg_out("cat vol/Windows/Logs/hvoffline/apply-*.json");
	assert_non_null(strstr(s, "\"previous_sha256\""));
	free(s);
	if (hvo_test_have_program("jq"))
		hvo_fg_sh("jq -e '.files[] | select(.path == "
			  "\"Windows\\\\System32\\\\drivers\\\\vmbus.sys\") "
			  "| .action == \"replaced\"' "
			  "vol/Windows/Logs/hvoffline/apply-*.json >/dev/null");
	/* No temporary or set-aside file is left behind. */
	s = hvo_fg_out("find vol -name '*.hvo-*' | wc -l");
	assert_int_equal(atoi(s), 0);
	free(s);

	/* verify on its own: clean; then a changed file is found. */
	struct svc_verify_opts vo = { .tmpdir = hvo_fg_at("scratch"),
				      .pkg = g.sp.pkg };
	struct svc_verify_result v;
	assert_int_equal(svc_verify(g.fs, g.plan, &vo, &v), 0);
	assert_int_equal(v.ndiffs, 0);
	svc_verify_result_free(&v);
	hvo_fg_sh("echo x >> vol/Windows/System32/icsvc.dll");
	assert_int_equal(svc_verify(g.fs, g.plan, &vo, &v), 0);
	assert_int_equal(v.ndiffs, 1);
	assert_non_null(strstr(v.diffs[0].what, "icsvc.dll"));
	svc_verify_result_free(&v);

	/* Applying the same plan again changes nothing but the record
	 * (named after the same time, so it is replaced): every file and
	 * value is already as planned. */
	hvo_fg_sh("cabextract -q -p -F '*integration-services_*/icsvc.dll' "
		  "'%s' > "
		  "vol/Windows/System32/icsvc.dll",
		  g.cab);
	char *before = svct_listing_but_records();
	assert_int_equal(hvo_fg_guest_apply(&g, 0, 0, &r), HVO_EXIT_OK);
	assert_int_equal(r.files_written, 1); /* the record */
	assert_int_equal(r.regs_changed, 0);
	assert_false(r.hive_written[SVC_HIVE_SYSTEM]);
	assert_false(r.hive_written[SVC_HIVE_SOFTWARE]);
	svc_apply_result_free(&r);
	char *after = svct_listing_but_records();
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* After the first boot ran: its hook and script are gone, its log
	 * says done, and verify checks the rest. */
	hvo_fg_sh("rm vol/Windows/hvoffline/firstboot.cmd; "
		  "printf 'Wed 12/03/2025  8:01:02.03 done: exit=0 "
		  "result=installed\\r\\n' > "
		  "vol/Windows/Logs/hvoffline/firstboot.log");
	hvo_fg_sh(
		"printf 'Windows Registry Editor Version 5.00\\n\\n"
		"[HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\Setup]\\n\"SetupType\"=dword:"
		"00000000\\n"
		"\"CmdLine\"=\"\"\\n' > fb.reg; "
		"hivexregedit --merge vol/Windows/System32/config/SYSTEM "
		"--prefix 'HKEY_LOCAL_MACHINE\\SYSTEM' fb.reg");
	assert_int_equal(svc_verify(g.fs, g.plan, &vo, &v), 0);
	assert_true(v.firstboot_done);
	assert_int_equal(v.ndiffs, 0);
	assert_non_null(strstr(v.firstboot_status, "result=installed"));
	svc_verify_result_free(&v);
	hvo_fg_guest_close(&g);
}

/* A generalized (sysprepped) image keeps Winlogon's hook for Windows
 * Setup: the first-boot step goes through SetupComplete.cmd, and an
 * existing SetupComplete.cmd is kept and still called. */
static void test_firstboot_generalized(void **state)
{
	(void)state;
	hvo_fg_ws2012();
	hvo_fg_sh(
		"printf 'Windows Registry Editor Version 5.00\\n\\n"
		"[HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\Setup]\\n\"SetupType\"=dword:"
		"00000001\\n"
		"\"CmdLine\"=\"oobe\\\\\\\\windeploy.exe\"\\n"
		"\"SystemSetupInProgress\"=dword:00000001\\n' > gen.reg; "
		"hivexregedit --merge vol/Windows/System32/config/SYSTEM "
		"--prefix 'HKEY_LOCAL_MACHINE\\SYSTEM' gen.reg");
	hvo_fg_sh(
		"mkdir -p vol/Windows/Setup/Scripts; printf 'echo oem\\r\\n' > "
		"vol/Windows/Setup/Scripts/SetupComplete.cmd");
	struct hvo_fg_guest g;
	hvo_fg_guest_open(&g, CAB62, true);
	assert_int_equal(g.f.setup_type, 1);
	assert_string_equal(g.f.setup_cmdline, "oobe\\windeploy.exe");
	assert_int_equal(g.plan->firstboot, SVC_FIRSTBOOT_SETUPCOMPLETE);
	assert_null(
		hvo_fg_plan_reg(g.plan, SVC_HIVE_SYSTEM, "Setup", "CmdLine"));
	struct svc_apply_result r;
	assert_int_equal(hvo_fg_guest_apply(&g, 0, 0, &r), HVO_EXIT_OK);
	svc_apply_result_free(&r);
	char *s = hvo_fg_out("cat vol/Windows/Setup/Scripts/"
			     "SetupComplete.hvoffline-orig.cmd");
	assert_string_equal(s, "echo oem\r\n");
	free(s);
	s = hvo_fg_out("cat vol/Windows/Setup/Scripts/SetupComplete.cmd");
	assert_non_null(strstr(s, "firstboot.cmd\" /setupcomplete"));
	assert_non_null(strstr(s, "SetupComplete.hvoffline-orig.cmd"));
	free(s);
	/* Winlogon's hook is Windows Setup's own still. */
	s = svct_hivexsh("vol/Windows/System32/config/SYSTEM",
			 "cd Setup\\nlsval CmdLine\\n");
	assert_non_null(strstr(s, "windeploy.exe"));
	free(s);
	hvo_fg_guest_close(&g);

	/* A second run (--force: the guest is up to date now) finds its
	 * own wrapper and does not keep it as "the image's own". */
	hvo_fg_guest_open(&g, CAB62, true);
	assert_true(g.up_to_date);
	assert_true(g.f.setupcomplete_ours);
	for (size_t i = 0; i < g.plan->nfiles; i++)
		assert_int_not_equal(g.plan->files[i].source,
				     SVC_SRC_GUEST_FILE);
	hvo_fg_guest_close(&g);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_ws2012, svct_setup,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_plan_win7_cdd, svct_setup,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_apply_ws2012, svct_setup,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_firstboot_generalized,
						svct_setup, hvo_fg_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

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
 * must leave the tree byte-identical (names and contents).
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
#include "servicing/inspect.h"
#include "servicing/inspect_applicable.h"
#include "servicing/inspect_source.h"
#include "servicing/plan.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "util/sha256.h"

#define CAB62 "ic/Windows6.2-HyperVIntegrationServices-x64.cab"
#define CAB6X "ic/Windows6.x-HyperVIntegrationServices-x86.cab"

/* A Windows volume in directory "vol": hives from the recipes @name-*,
 * ntoskrnl.exe and vmbus.sys of @machine, installed packages as .mum
 * files. */
static void windows(const char *name, const char *machine, const char *vmbus,
		    const char *const *packages)
{
	hvo_fg_windows("vol", "Windows", name, machine, "6.2.9200.16384",
		       vmbus);
	for (size_t i = 0; packages && packages[i]; i++)
		hvo_fg_sh("touch 'vol/Windows/servicing/Packages/%s.mum'",
			  packages[i]);
}

static const char *const ws2012_packages[] = {
	"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~6.2."
	"9200.16384",
	"Microsoft-Hyper-V-Guest-Integration-Drivers-Package~31bf3856ad364e35~"
	"amd64~~6.2.9200.16384",
	NULL
};

static void ws2012(void)
{
	windows("ws2012-x64", "amd64", "6.2.9200.16384", ws2012_packages);
}

static void win7(void)
{
	static const char *const pk[] = {
		"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~x86~~6."
		"1.7601.17514",
		NULL
	};
	windows("win7-x86", "i386", "6.2.9200.16433", pk);
}

static int setup(void **state)
{
	(void)state;
	if (!hvo_test_have_program("hivexregedit") ||
	    !hvo_test_have_program("hivexsh") ||
	    !hvo_test_have_program("cabextract") ||
	    !hvo_test_have_program("python3"))
		skip();
	hvo_fg_begin();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hvo_fg_end();
	return 0;
}

/* ------------------------------------------------------------------ */
/* The pipeline up to the plan, as the apply command runs it.          */
/* ------------------------------------------------------------------ */

struct guest {
	struct guest_disk *disk;
	struct guest_fs *fs;
	struct svc_facts f;
	struct svc_source_package sp;
	struct svc_plan *plan;
	bool up_to_date; /* what apply would decide */
	char cab[4096];
};

static void open_guest(struct guest *g, const char *cab, bool firstboot)
{
	memset(g, 0, sizeof(*g));
	hvo_fg_disk("vol", &g->disk);
	svc_facts_init(&g->f, "guest.vhdx");
	g->f.preflight_ok = true;
	struct svc_inspect_opts io = { .tmpdir = hvo_fg_at("scratch") };
	assert_int_equal(svc_inspect_disk(g->disk, &io, &g->f), SVC_OK);
	svc_inspect_evaluate(&g->f);
	for (size_t i = 0; i < g->f.nproblems; i++)
		if (g->f.problems[i].exit != HVO_EXIT_OK)
			fail_msg("%s: %s", g->f.problems[i].code,
				 g->f.problems[i].message);
	assert_int_equal(g->f.verdict, HVO_EXIT_OK);
	snprintf(g->cab, sizeof(g->cab), "%s", hvo_fixture(cab));
	assert_int_equal(svc_source_package_load(g->cab, g->cab, &g->sp),
			 SVC_OK);
	/* The applicability decision apply makes. */
	struct svc_applicability a;
	assert_int_equal(svc_applicability(&g->f, &g->sp, 1, &a), SVC_OK);
	if (a.chosen != 0)
		fail_msg("not applicable: %s", a.summary);
	g->up_to_date = a.up_to_date;
	svc_applicability_free(&a);
	struct svc_plan_opts po = {
		.firstboot = firstboot,
		.now = 1764748800, /* 2025-12-03T08:00:00Z */
	};
	struct svc_error err = { 0 };
	if (svc_plan_build(&g->f, &g->sp, &po, &g->plan, &err) != SVC_OK)
		fail_msg("plan: %s", svc_int_errtext(&err));
	assert_int_equal(guest_disk_mount(g->disk, 0, false, &g->fs), GUEST_OK);
}

static void close_guest(struct guest *g)
{
	svc_plan_free(g->plan);
	svc_source_package_free(&g->sp);
	svc_facts_free(&g->f);
	guest_disk_close(g->disk);
}

static enum hvo_exit apply(struct guest *g, unsigned fail_stage,
			   unsigned fail_switch, struct svc_apply_result *r)
{
	hvo_fg_sh("rm -rf work; mkdir work");
	struct svc_apply_opts ao = { .tmpdir = hvo_fg_at("work"),
				     .cab_path = g->cab,
				     .fail_stage_at = fail_stage,
				     .fail_switch_at = fail_switch };
	return svc_exit_class(svc_apply(g->fs, g->plan, &ao, r));
}

/* Every name and every file's SHA-256 under vol (caller frees). */
static char *listing(void)
{
	return hvo_fg_out("cd vol && find . | LC_ALL=C sort && find . -type f "
			  "-print0 | LC_ALL=C sort -z | xargs -0 sha256sum");
}

static char *listing_but_records(void)
{
	return hvo_fg_out(
		"cd vol && find . -type f ! -name 'apply-*.json' -print0 "
		"| LC_ALL=C sort -z | xargs -0 sha256sum");
}

static char *hivexsh(const char *hive_rel, const char *script)
{
	return hvo_fg_out("printf '%s' | hivexsh '%s'", script, hive_rel);
}

static const struct svc_plan_reg *find_reg(const struct svc_plan *p,
					   enum svc_hive hive, const char *key,
					   const char *name)
{
	for (size_t i = 0; i < p->nregs; i++)
		if (p->regs[i].hive == hive &&
		    strcasecmp(p->regs[i].key, key) == 0 &&
		    strcasecmp(p->regs[i].name, name) == 0)
			return &p->regs[i];
	return NULL;
}

static const struct svc_plan_file *find_file(const struct svc_plan *p,
					     const char *dest)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcasecmp(p->files[i].dest, dest) == 0)
			return &p->files[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Plans.                                                              */
/* ------------------------------------------------------------------ */

static void test_plan_ws2012(void **state)
{
	(void)state;
	ws2012();
	struct guest g;
	open_guest(&g, CAB62, true);
	assert_false(g.up_to_date);
	const struct svc_plan *p = g.plan;
	assert_string_equal(p->version, "6.3.9600.19456");
	assert_int_equal(p->control_set, 2);
	assert_false(p->cdd); /* NT 6.2: no CriticalDeviceDatabase */
	assert_int_equal(p->firstboot, SVC_FIRSTBOOT_SETUP_CMDLINE);
	/* vmbus.sys from wvmbus.inf's CopyFiles (DIRID 12), with the SHA-256
	 * cabextract gives for the payload. */
	const struct svc_plan_file *f =
		find_file(p, "Windows\\System32\\drivers\\vmbus.sys");
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
	assert_non_null(find_file(p, "Windows\\System32\\icsvc.dll"));
	/* The staged package. */
	assert_non_null(p->staged_cab);
	assert_non_null(find_file(p, p->staged_cab));
	/* Services from the INF and from serviceData. */
	const struct svc_plan_reg *r = find_reg(
		p, SVC_HIVE_SYSTEM, "ControlSet002\\Services\\vmbus", "Start");
	assert_non_null(r);
	assert_int_equal(r->data[0], 0);
	r = find_reg(p, SVC_HIVE_SYSTEM, "ControlSet002\\Services\\vmbus",
		     "Group");
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
		assert_non_null(find_reg(p, SVC_HIVE_SYSTEM, key, "ImagePath"));
		snprintf(key, sizeof(key),
			 "ControlSet002\\Services\\%s\\"
			 "TriggerInfo\\0",
			 vmic[i]);
		assert_non_null(find_reg(p, SVC_HIVE_SYSTEM, key, "GUID"));
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
	r = find_reg(p, SVC_HIVE_SOFTWARE, "Microsoft\\Virtual Machine\\Auto",
		     "IntegrationServicesVersion");
	assert_string_equal(r->text, "6.3.9600.19456");
	r = find_reg(p, SVC_HIVE_SOFTWARE, "Microsoft\\Windows\\CurrentVersion",
		     "DevicePath");
	assert_int_equal(r->kind, SVC_REG_PATH_ADD);
	r = find_reg(p, SVC_HIVE_SYSTEM, "Setup", "SetupType");
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
	close_guest(&g);
}

static void test_plan_win7_cdd(void **state)
{
	(void)state;
	win7();
	struct guest g;
	open_guest(&g, CAB6X, true);
	const struct svc_plan *p = g.plan;
	assert_true(p->cdd);
	assert_int_equal(p->control_set, 1);
	/* The boot-start bus and storage drivers bind before PnP runs. */
	const struct svc_plan_reg *r =
		find_reg(p, SVC_HIVE_SYSTEM,
			 "ControlSet001\\Control\\CriticalDeviceDatabase\\"
			 "vmbus#{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}",
			 "Service");
	assert_non_null(r);
	assert_string_equal(r->text, "storvsc");
	r = find_reg(p, SVC_HIVE_SYSTEM,
		     "ControlSet001\\Control\\CriticalDeviceDatabase\\"
		     "vmbus#{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}",
		     "ClassGUID");
	assert_non_null(r);
	assert_non_null(find_reg(p, SVC_HIVE_SYSTEM,
				 "ControlSet001\\Control\\"
				 "CriticalDeviceDatabase\\acpi#vmbus",
				 "Service"));
	/* Demand-start drivers get no entry. */
	for (size_t k = 0; k < p->nregs; k++)
		if (strstr(p->regs[k].key, "CriticalDeviceDatabase") &&
		    strcmp(p->regs[k].name, "Service") == 0)
			assert_true(strcmp(p->regs[k].text, "vmbus") == 0 ||
				    strcmp(p->regs[k].text, "storvsc") == 0 ||
				    strcmp(p->regs[k].text, "storflt") == 0);
	close_guest(&g);
}

/* ------------------------------------------------------------------ */
/* Apply and verify.                                                   */
/* ------------------------------------------------------------------ */

static void test_apply_ws2012(void **state)
{
	(void)state;
	ws2012();
	struct guest g;
	open_guest(&g, CAB62, true);
	struct svc_apply_result r;
	assert_int_equal(apply(&g, 0, 0, &r), HVO_EXIT_OK);
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
	s = hivexsh("vol/Windows/System32/config/SYSTEM",
		    "cd ControlSet002\\\\Services\\\\vmbus\\nlsval\\n");
	assert_non_null(strstr(s, "\"Start\"=dword:00000000"));
	assert_non_null(strstr(s, "\"Group\"=\"System Bus Extender\""));
	free(s);
	s = hivexsh("vol/Windows/System32/config/SYSTEM",
		    "cd Setup\\nlsval\\n");
	assert_non_null(strstr(s, "\"SetupType\"=dword:00000002"));
	assert_non_null(strstr(s, "hvoffline\\\\firstboot.cmd"));
	free(s);
	s = hivexsh("vol/Windows/System32/config/SOFTWARE",
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
				      .cab_path = g.cab };
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
	char *before = listing_but_records();
	assert_int_equal(apply(&g, 0, 0, &r), HVO_EXIT_OK);
	assert_int_equal(r.files_written, 1); /* the record */
	assert_int_equal(r.regs_changed, 0);
	assert_false(r.hive_written[SVC_HIVE_SYSTEM]);
	assert_false(r.hive_written[SVC_HIVE_SOFTWARE]);
	svc_apply_result_free(&r);
	char *after = listing_but_records();
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
	close_guest(&g);
}

/* Every injected failure, while staging or while switching, leaves the
 * guest exactly as it was. */
static void test_rollback(void **state)
{
	(void)state;
	ws2012();
	hvo_fg_sh("tar cf snap.tar vol");
	struct guest g;
	open_guest(&g, CAB62, true);
	char *before = listing();
	/* A run that succeeds tells how many guest changes staging makes
	 * and how many renames the switch does. */
	struct svc_apply_result r;
	assert_int_equal(apply(&g, 0, 0, &r), HVO_EXIT_OK);
	unsigned nstage = r.stage_ops, nswitch = r.renames;
	svc_apply_result_free(&r);
	assert_true(nstage > g.plan->nfiles);
	assert_true(nswitch > g.plan->nfiles);
	close_guest(&g);
	hvo_fg_sh("rm -rf vol && tar xf snap.tar");
	open_guest(&g, CAB62, true);

	const unsigned stage_at[] = {
		1, 2, 3, 10, nstage / 2, nstage - 2, nstage - 1, nstage
	};
	for (size_t k = 0; k < sizeof(stage_at) / sizeof(stage_at[0]); k++) {
		assert_int_equal(apply(&g, stage_at[k], 0, &r),
				 HVO_EXIT_FAILED);
		assert_false(r.guest_changed);
		assert_true(r.rolled_back);
		svc_apply_result_free(&r);
		char *now = listing();
		if (strcmp(before, now) != 0)
			fail_msg("a failure at staging step %u of %u changed "
				 "the guest",
				 stage_at[k], nstage);
		free(now);
	}
	/* The last renames put the hives in place. */
	const unsigned switch_at[] = { 1,	    2,		 3,
				       nswitch / 2, nswitch - 3, nswitch - 2,
				       nswitch - 1, nswitch };
	for (size_t k = 0; k < sizeof(switch_at) / sizeof(switch_at[0]); k++) {
		assert_int_equal(apply(&g, 0, switch_at[k], &r),
				 HVO_EXIT_FAILED);
		assert_false(r.guest_changed);
		assert_true(r.rolled_back);
		svc_apply_result_free(&r);
		char *now = listing();
		if (strcmp(before, now) != 0)
			fail_msg("a failure at rename %u of %u changed the "
				 "guest",
				 switch_at[k], nswitch);
		free(now);
	}
	free(before);
	close_guest(&g);
}

/* Names only, without contents (caller frees). */
static char *names(void)
{
	return hvo_fg_out("cd vol && find . -type f ! -name '*.hvo-*' ! -name "
			  "'apply-in-progress.txt' | LC_ALL=C sort");
}

/* A run killed while switching files in leaves its journal; the next run
 * puts every missing original back, clears the leftovers and completes
 * the install.  Killed before the very first rename, between the two
 * renames of an item, and before the last. */
static void test_crash_recovery(void **state)
{
	(void)state;
	ws2012();
	hvo_fg_sh("tar cf snap.tar vol");
	struct guest g;
	open_guest(&g, CAB62, true);
	struct svc_apply_result r;
	assert_int_equal(apply(&g, 0, 0, &r), HVO_EXIT_OK);
	unsigned nswitch = r.renames;
	svc_apply_result_free(&r);
	close_guest(&g);
	const unsigned points[] = {
		1, 2, 3, nswitch / 2, nswitch - 1, nswitch
	};
	for (size_t k = 0; k < sizeof(points) / sizeof(points[0]); k++) {
		hvo_fg_sh("rm -rf vol && tar xf snap.tar");
		char *before = names();
		open_guest(&g, CAB62, true);
		hvo_fg_sh("rm -rf work; mkdir work");
		struct svc_apply_opts ao = { .tmpdir = hvo_fg_at("work"),
					     .cab_path = g.cab,
					     .crash_switch_at = points[k] };
		assert_int_equal(svc_apply(g.fs, g.plan, &ao, &r),
				 SVC_ERR_GUEST);
		assert_false(r.rolled_back);
		svc_apply_result_free(&r);
		close_guest(&g);
		hvo_fg_sh(
			"test -f vol/Windows/hvoffline/apply-in-progress.txt");

		/* Inspection finds the guest and says so, even when the
		 * SYSTEM hive is the file set aside. */
		struct guest_hostdir_volume vol = { .root = hvo_fg_at("vol"),
						    .partnum = 1,
						    .size = 64 << 20,
						    .fstype = "ntfs" };
		struct guest_hostdir_disk spec = { "crash.vhdx",
						   GUEST_PTABLE_MBR, 64 << 20,
						   1, &vol };
		struct guest_disk *d;
		assert_int_equal(guest_hostdir_disk_open(&spec, &d), GUEST_OK);
		struct svc_facts f;
		svc_facts_init(&f, "crash.vhdx");
		f.preflight_ok = true;
		struct svc_inspect_opts io = { .tmpdir = hvo_fg_at("scratch") };
		svc_inspect_disk(d, &io, &f);
		svc_inspect_evaluate(&f);
		assert_true(f.windows_found);
		assert_true(f.apply_interrupted);
		assert_true(svc_facts_has_problem(&f, "apply-interrupted"));
		/* Recovery: every original file is in place again. */
		struct guest_fs *fs;
		assert_int_equal(guest_disk_mount(d, 0, false, &fs), GUEST_OK);
		unsigned restored;
		assert_int_equal(
			svc_apply_recover(fs, f.systemroot, &restored, NULL),
			SVC_OK);
		svc_facts_free(&f);
		guest_disk_close(d);
		char *now = names();
		/* Every name the guest had is still there. */
		for (char *line = before; line && *line;) {
			char *nl = strchr(line, '\n');
			size_t n = nl ? (size_t)(nl - line) : strlen(line);
			char want[600];
			snprintf(want, sizeof(want), "%.*s\n", (int)n, line);
			if (strstr(now, want) == NULL)
				fail_msg("killed before rename %u: %s is "
					 "missing after recovery",
					 points[k], want);
			line = nl ? nl + 1 : NULL;
		}
		free(now);
		free(before);
		/* And a complete run then leaves nothing behind. */
		open_guest(&g, CAB62, true);
		assert_false(g.f.apply_interrupted);
		assert_int_equal(apply(&g, 0, 0, &r), HVO_EXIT_OK);
		assert_int_equal(r.verify.ndiffs, 0);
		svc_apply_result_free(&r);
		char *left = hvo_fg_out("find vol -name '*.hvo-*' -o -name "
					"'apply-in-progress.txt' | wc -l");
		assert_int_equal(atoi(left), 0);
		free(left);
		close_guest(&g);
	}

	/* Killed while staging: the journal (flushed with the staged files,
	 * before any rename) may be torn or empty.  Nothing was switched,
	 * so recovery puts nothing back and clears it; the guest is whole.
	 * The last one ends in a line cut short, whose set-aside name is cut
	 * to an (empty) directory that exists: it must not be removed. */
	const char *torn[] = {
		"",
		"hvoffline apply jou",
		"\\0\\0\\0\\0\\0\\0\\0\\0",
		"hvoffline apply journal 1\\n"
		"Windows\\\\System32\\\\drivers\\\\vmbus.sys\\t"
		"Windows\\\\System32\\\\drivers\\\\.vmbus.sys.hvo-new\\t"
		"Windows\\\\hvoffline\\\\Drivers\\\\wvmbus",
	};
	for (size_t k = 0; k < sizeof(torn) / sizeof(torn[0]); k++) {
		hvo_fg_sh("rm -rf vol && tar xf snap.tar && "
			  "mkdir -p vol/Windows/hvoffline/Drivers/wvmbus");
		char *before = listing();
		hvo_fg_sh("printf '%s' > "
			  "vol/Windows/hvoffline/apply-in-progress.txt",
			  torn[k]);
		struct guest_fs *fs;
		assert_int_equal(
			guest_hostdir_fs_open(hvo_fg_at("vol"), false, &fs),
			GUEST_OK);
		unsigned restored = 99;
		assert_int_equal(
			svc_apply_recover(fs, "Windows", &restored, NULL),
			SVC_OK);
		assert_int_equal(restored, 0);
		guest_fs_close(fs);
		hvo_fg_sh("test ! -e "
			  "vol/Windows/hvoffline/apply-in-progress.txt");
		char *now = listing();
		assert_string_equal(before, now);
		free(now);
		free(before);
	}
}

/* A dirty SYSTEM hive with valid logs (the real SYSTEM_B of Windows 10
 * 1709) is recovered, then edited; a change that lived only in its logs
 * survives, and the logs are emptied once the new hive is in place.
 * Without logs (SYSTEM_2) the hive is refused and nothing changes. */
static void test_dirty_hives(void **state)
{
	(void)state;
	ws2012();
	/* hvo_fixture() returns a static buffer: one call per command. */
	hvo_fg_sh("xz -dc '%s' > vol/Windows/System32/config/SYSTEM",
		  hvo_fixture("hive/regipy/SYSTEM_B.xz"));
	hvo_fg_sh("xz -dc '%s' > vol/Windows/System32/config/SYSTEM.LOG1",
		  hvo_fixture("hive/regipy/SYSTEM_B.LOG1.xz"));
	hvo_fg_sh("xz -dc '%s' > vol/Windows/System32/config/SYSTEM.LOG2",
		  hvo_fixture("hive/regipy/SYSTEM_B.LOG2.xz"));
	/* The key is not in the primary file: it lives in the logs. */
	char *s = hvo_fg_out(
		"printf 'cd ControlSet001\\\\Control\\\\Class\\\\"
		"{4d36e96c-e325-11ce-bfc1-08002be10318}\\\\0016\\n' | "
		"hivexsh vol/Windows/System32/config/SYSTEM 2>&1 || "
		"true");
	assert_non_null(strstr(s, "not found"));
	free(s);
	struct guest g;
	open_guest(&g, CAB62, true);
	assert_true(g.f.system.dirty);
	assert_true(g.f.system.logs_usable);
	struct svc_apply_result r;
	assert_int_equal(apply(&g, 0, 0, &r), HVO_EXIT_OK);
	assert_true(r.hive_recovered[SVC_HIVE_SYSTEM]);
	assert_true(r.hive_written[SVC_HIVE_SYSTEM]);
	svc_apply_result_free(&r);
	s = hivexsh("vol/Windows/System32/config/SYSTEM",
		    "cd ControlSet001\\\\Control\\\\Class\\\\"
		    "{4d36e96c-e325-11ce-bfc1-08002be10318}\\\\0016\\n"
		    "lsval Driver\\n");
	assert_non_null(strstr(s, "nvhda64v.sys"));
	free(s);
	s = hivexsh("vol/Windows/System32/config/SYSTEM",
		    "cd ControlSet001\\\\Services\\\\vmbus\\nlsval Group\\n");
	assert_non_null(strstr(s, "System Bus Extender"));
	free(s);
	s = hvo_fg_out("stat -c %%s vol/Windows/System32/config/SYSTEM.LOG1 "
		       "vol/Windows/System32/config/SYSTEM.LOG2");
	assert_string_equal(s, "0\n0\n");
	free(s);
	close_guest(&g);

	/* Dirty without logs: inspection refuses it (4), apply too. */
	hvo_fg_sh("rm -rf vol");
	ws2012();
	hvo_fg_sh("xz -dc '%s' > vol/Windows/System32/config/SYSTEM",
		  hvo_fixture("hive/regipy/SYSTEM_2.xz"));
	char *before = listing();
	struct guest_hostdir_volume vol = { .root = hvo_fg_at("vol"),
					    .partnum = 1,
					    .size = 64 << 20,
					    .fstype = "ntfs" };
	struct guest_hostdir_disk spec = { "nologs.vhdx", GUEST_PTABLE_MBR,
					   64 << 20, 1, &vol };
	struct guest_disk *d;
	assert_int_equal(guest_hostdir_disk_open(&spec, &d), GUEST_OK);
	struct svc_facts f;
	svc_facts_init(&f, "nologs.vhdx");
	f.preflight_ok = true;
	struct svc_inspect_opts io = { .tmpdir = hvo_fg_at("scratch") };
	assert_int_equal(svc_inspect_disk(d, &io, &f), SVC_OK);
	svc_inspect_evaluate(&f);
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	assert_true(svc_facts_has_problem(&f, "hive-dirty-no-logs"));
	/* Even asked directly, apply refuses to write over it. */
	struct svc_source_package sp;
	char cab[4096];
	snprintf(cab, sizeof(cab), "%s", hvo_fixture(CAB62));
	assert_int_equal(svc_source_package_load(cab, "x.cab", &sp), SVC_OK);
	struct svc_plan_opts po = { .firstboot = true, .now = 1764748800 };
	struct svc_plan *plan;
	assert_int_equal(svc_plan_build(&f, &sp, &po, &plan, NULL), SVC_OK);
	struct guest_fs *fs;
	assert_int_equal(guest_disk_mount(d, 0, false, &fs), GUEST_OK);
	hvo_fg_sh("rm -rf work; mkdir work");
	struct svc_apply_opts ao = { .tmpdir = hvo_fg_at("work"),
				     .cab_path = hvo_fixture(CAB62) };
	assert_int_equal(svc_apply(fs, plan, &ao, &r), SVC_ERR_REFUSED);
	assert_false(r.guest_changed);
	assert_non_null(strstr(svc_apply_errmsg(&r), "SYSTEM"));
	svc_apply_result_free(&r);
	char *now = listing();
	assert_string_equal(before, now);
	free(now);
	free(before);
	svc_plan_free(plan);
	svc_source_package_free(&sp);
	svc_facts_free(&f);
	guest_disk_close(d);
}

/* A generalized (sysprepped) image keeps Winlogon's hook for Windows
 * Setup: the first-boot step goes through SetupComplete.cmd, and an
 * existing SetupComplete.cmd is kept and still called. */
static void test_firstboot_generalized(void **state)
{
	(void)state;
	ws2012();
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
	struct guest g;
	open_guest(&g, CAB62, true);
	assert_int_equal(g.f.setup_type, 1);
	assert_string_equal(g.f.setup_cmdline, "oobe\\windeploy.exe");
	assert_int_equal(g.plan->firstboot, SVC_FIRSTBOOT_SETUPCOMPLETE);
	assert_null(find_reg(g.plan, SVC_HIVE_SYSTEM, "Setup", "CmdLine"));
	struct svc_apply_result r;
	assert_int_equal(apply(&g, 0, 0, &r), HVO_EXIT_OK);
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
	s = hivexsh("vol/Windows/System32/config/SYSTEM",
		    "cd Setup\\nlsval CmdLine\\n");
	assert_non_null(strstr(s, "windeploy.exe"));
	free(s);
	close_guest(&g);

	/* A second run (--force: the guest is up to date now) finds its
	 * own wrapper and does not keep it as "the image's own". */
	open_guest(&g, CAB62, true);
	assert_true(g.up_to_date);
	assert_true(g.f.setupcomplete_ours);
	for (size_t i = 0; i < g.plan->nfiles; i++)
		assert_int_not_equal(g.plan->files[i].source,
				     SVC_SRC_GUEST_FILE);
	close_guest(&g);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_ws2012, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_win7_cdd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply_ws2012, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_recovery, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dirty_hives, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_firstboot_generalized,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

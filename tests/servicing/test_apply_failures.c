/*
 * test_apply_failures.c - apply (src/servicing) when something goes wrong,
 * with the real integration-services package, on the host-directory
 * backend: no appliance.  Failures are injected at every stage of the
 * write and each must leave the tree byte-identical (names and contents);
 * a run killed while switching is completed by the next; dirty hives are
 * recovered before they are edited.  The guests and the readers are those
 * of test_apply.c (tests/lib/fakeguest.h, svctest.h): hivexsh for the
 * hives, sha256sum listings for the files.
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

/* Every injected failure, while staging or while switching, leaves the
 * guest exactly as it was. */
static void test_rollback(void **state)
{
	(void)state;
	hvo_fg_ws2012();
	hvo_fg_sh("tar cf snap.tar vol");
	struct hvo_fg_guest g;
	hvo_fg_guest_open(&g, CAB62, true);
	char *before = svct_listing();
	/* A run that succeeds tells how many guest changes staging makes
	 * and how many renames the switch does. */
	struct svc_apply_result r;
	assert_int_equal(hvo_fg_guest_apply(&g, 0, 0, &r), HVO_EXIT_OK);
	unsigned nstage = r.stage_ops, nswitch = r.renames;
	svc_apply_result_free(&r);
	assert_true(nstage > g.plan->nfiles);
	assert_true(nswitch > g.plan->nfiles);
	hvo_fg_guest_close(&g);
	hvo_fg_sh("rm -rf vol && tar xf snap.tar");
	hvo_fg_guest_open(&g, CAB62, true);

	/* Every stage, then every rename; the last renames put the hives in
	 * place. */
	const struct {
		unsigned stage, sw;
	} at[] = {
		{ 1, 0 },	    { 2, 0 },		{ 3, 0 },
		{ 10, 0 },	    { nstage / 2, 0 },	{ nstage - 2, 0 },
		{ nstage - 1, 0 },  { nstage, 0 },	{ 0, 1 },
		{ 0, 2 },	    { 0, 3 },		{ 0, nswitch / 2 },
		{ 0, nswitch - 3 }, { 0, nswitch - 2 }, { 0, nswitch - 1 },
		{ 0, nswitch },
	};
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		assert_int_equal(
			hvo_fg_guest_apply(&g, at[k].stage, at[k].sw, &r),
			HVO_EXIT_FAILED);
		assert_false(r.guest_changed);
		assert_true(r.rolled_back);
		svc_apply_result_free(&r);
		char *now = svct_listing();
		if (strcmp(before, now) != 0)
			fail_msg("a failure at %s %u of %u changed the guest",
				 at[k].stage ? "staging step" : "rename",
				 at[k].stage ? at[k].stage : at[k].sw,
				 at[k].stage ? nstage : nswitch);
		free(now);
	}
	free(before);
	hvo_fg_guest_close(&g);
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
	hvo_fg_ws2012();
	hvo_fg_sh("tar cf snap.tar vol");
	struct hvo_fg_guest g;
	hvo_fg_guest_open(&g, CAB62, true);
	struct svc_apply_result r;
	assert_int_equal(hvo_fg_guest_apply(&g, 0, 0, &r), HVO_EXIT_OK);
	unsigned nswitch = r.renames;
	svc_apply_result_free(&r);
	hvo_fg_guest_close(&g);
	const unsigned points[] = {
		1, 2, 3, nswitch / 2, nswitch - 1, nswitch
	};
	for (size_t k = 0; k < sizeof(points) / sizeof(points[0]); k++) {
		hvo_fg_sh("rm -rf vol && tar xf snap.tar");
		char *before = names();
		hvo_fg_guest_open(&g, CAB62, true);
		hvo_fg_sh("rm -rf work; mkdir work");
		struct svc_apply_opts ao = { .tmpdir = hvo_fg_at("work"),
					     .pkg = g.sp.pkg,
					     .crash_switch_at = points[k] };
		assert_int_equal(svc_apply(g.fs, g.plan, &ao, &r),
				 SVC_ERR_GUEST);
		assert_false(r.rolled_back);
		svc_apply_result_free(&r);
		hvo_fg_guest_close(&g);
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
		hvo_fg_guest_open(&g, CAB62, true);
		assert_false(g.f.apply_interrupted);
		assert_int_equal(hvo_fg_guest_apply(&g, 0, 0, &r), HVO_EXIT_OK);
		assert_int_equal(r.verify.ndiffs, 0);
		svc_apply_result_free(&r);
		char *left = hvo_fg_out("find vol -name '*.hvo-*' -o -name "
					"'apply-in-progress.txt' | wc -l");
		assert_int_equal(atoi(left), 0);
		free(left);
		hvo_fg_guest_close(&g);
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
		char *before = svct_listing();
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
		char *now = svct_listing();
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
	hvo_fg_ws2012();
	hvo_fg_dirty_system("vol");
	/* The key is not in the primary file: it lives in the logs. */
	char *s = hvo_fg_out(
		"printf 'cd ControlSet001\\\\Control\\\\Class\\\\"
		"{4d36e96c-e325-11ce-bfc1-08002be10318}\\\\0016\\n' | "
		"hivexsh vol/Windows/System32/config/SYSTEM 2>&1 || "
		"true");
	assert_non_null(strstr(s, "not found"));
	free(s);
	struct hvo_fg_guest g;
	hvo_fg_guest_open(&g, CAB62, true);
	assert_true(g.f.system.dirty);
	assert_true(g.f.system.logs_usable);
	struct svc_apply_result r;
	assert_int_equal(hvo_fg_guest_apply(&g, 0, 0, &r), HVO_EXIT_OK);
	assert_true(r.hive_recovered[SVC_HIVE_SYSTEM]);
	assert_true(r.hive_written[SVC_HIVE_SYSTEM]);
	svc_apply_result_free(&r);
	s = svct_hivexsh("vol/Windows/System32/config/SYSTEM",
			 "cd ControlSet001\\\\Control\\\\Class\\\\"
			 "{4d36e96c-e325-11ce-bfc1-08002be10318}\\\\0016\\n"
			 "lsval Driver\\n");
	assert_non_null(strstr(s, "nvhda64v.sys"));
	free(s);
	s = svct_hivexsh(
		"vol/Windows/System32/config/SYSTEM",
		"cd ControlSet001\\\\Services\\\\vmbus\\nlsval Group\\n");
	assert_non_null(strstr(s, "System Bus Extender"));
	free(s);
	s = hvo_fg_out("stat -c %%s vol/Windows/System32/config/SYSTEM.LOG1 "
		       "vol/Windows/System32/config/SYSTEM.LOG2");
	assert_string_equal(s, "0\n0\n");
	free(s);
	hvo_fg_guest_close(&g);

	/* Dirty without logs: inspection refuses it (4), apply too. */
	hvo_fg_sh("rm -rf vol");
	hvo_fg_ws2012();
	hvo_fg_sh("xz -dc '%s' > vol/Windows/System32/config/SYSTEM",
		  hvo_fixture("hive/regipy/SYSTEM_2.xz"));
	char *before = svct_listing();
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
				     .pkg = sp.pkg };
	assert_int_equal(svc_apply(fs, plan, &ao, &r), SVC_ERR_REFUSED);
	assert_false(r.guest_changed);
	assert_non_null(strstr(svc_apply_errmsg(&r), "SYSTEM"));
	svc_apply_result_free(&r);
	char *now = svct_listing();
	assert_string_equal(before, now);
	free(now);
	free(before);
	svc_plan_free(plan);
	svc_source_package_free(&sp);
	svc_facts_free(&f);
	guest_disk_close(d);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rollback, svct_setup,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_crash_recovery, svct_setup,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_dirty_hives, svct_setup,
						hvo_fg_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

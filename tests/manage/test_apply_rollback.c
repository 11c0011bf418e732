/*
 * test_apply_rollback.c - apply with the real 6.2 package, then services
 * and reg --image changes, then rollback, on the host-directory backend
 * (issue 18): the volume's checksum listing (the record folder aside)
 * and the hives byte for byte equal those before apply; a second
 * rollback has nothing to do; after a simulated first boot rollback
 * refuses with exit 4 naming the first-boot step (--force undoes anyway);
 * verify after rollback compares with the recorded previous state; what
 * inspect reports pending after apply, later changes and rollback.  And
 * the guest's own system drive (D:\WINNT) in the plan's paths.
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
#include "servicing/rollback.h"
#include "servicing/rollback_recover.h"
#include "servicing/rollback_state.h"
#include "servicing/services_reg.h"
#include "servicing/services_set.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "util/bytes.h"

#define CAB62 "ic/Windows6.2-HyperVIntegrationServices-x64.cab"

static const char *const ws2012_packages[] = {
	"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~6.2."
	"9200.16384",
	"Microsoft-Hyper-V-Guest-Integration-Drivers-Package~31bf3856ad364e35~"
	"amd64~~6.2.9200.16384",
	NULL
};

/* A ws2012 guest in vol/@root; its SOFTWARE SystemRoot value set to
 * @value (.reg escaped) unless NULL. */
static void guest(const char *root, const char *value)
{
	hvo_fg_windows("vol", root, "ws2012-x64", "amd64", "6.2.9200.16384",
		       "6.2.9200.16384");
	for (size_t i = 0; ws2012_packages[i]; i++)
		hvo_fg_sh("touch 'vol/%s/servicing/Packages/%s.mum'", root,
			  ws2012_packages[i]);
	if (value == NULL)
		return;
	char reg[512];
	snprintf(reg, sizeof(reg),
		 "Windows Registry Editor Version 5.00\n\n"
		 "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\"
		 "CurrentVersion]\n\"SystemRoot\"=\"%s\"\n",
		 value);
	hvo_test_write_file(hvo_fg_at("root.reg"), reg, strlen(reg));
	hvo_fg_sh("hivexregedit --merge vol/%s/System32/config/SOFTWARE "
		  "--prefix 'HKEY_LOCAL_MACHINE\\SOFTWARE' root.reg",
		  root);
}

static int setup(void **state)
{
	(void)state;
	if (!hvo_test_have_program("hivexregedit") ||
	    !hvo_test_have_program("cabextract") ||
	    !hvo_test_have_program("python3"))
		skip();
	hvo_fg_begin();
	guest("Windows", NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hvo_fg_end();
	return 0;
}

/* Every file of the volume with its checksum, and every directory; the
 * record folder (and the Logs folder that holds it) aside. */
static char *listing(void)
{
	return hvo_fg_out("cd vol && find . -path ./Windows/Logs/hvoffline "
			  "-prune -o -type f -print0 | LC_ALL=C sort -z | "
			  "xargs -0 sha256sum; find . -path "
			  "./Windows/Logs/hvoffline -prune -o -type d -print "
			  "| grep -v '^./Windows/Logs$' | LC_ALL=C sort");
}

static struct guest_disk *open_disk(void)
{
	struct guest_disk *disk;
	hvo_fg_disk_open("vol", &disk);
	return disk;
}

/* What `inspect` reads (into @f; free with svc_facts_free). */
static void inspect(struct guest_disk *disk, struct svc_facts *f)
{
	svc_facts_init(f, "guest.vhdx");
	f->preflight_ok = true;
	hvo_fg_sh("rm -rf scratch work; mkdir scratch work");
	struct svc_inspect_opts io = { .tmpdir = hvo_fg_at("scratch") };
	assert_int_equal(svc_inspect_disk(disk, &io, f), SVC_OK);
	svc_inspect_evaluate(f);
	assert_int_equal(f->verdict, HVO_EXIT_OK);
}

/* The plan of the 6.2 package for @f (@sp holds the package; @cab its
 * path, 4096 bytes). */
static struct svc_plan *plan_for(const struct svc_facts *f, char *cab,
				 struct svc_source_package *sp)
{
	snprintf(cab, 4096, "%s", hvo_fixture(CAB62));
	assert_int_equal(svc_source_package_load(cab, cab, sp), SVC_OK);
	struct svc_plan_opts po = { .firstboot = true, .now = 1764748800 };
	struct svc_plan *plan;
	struct svc_error err = { 0 };
	if (svc_plan_build(f, sp, &po, &plan, &err) != SVC_OK)
		fail_msg("plan: %s", svc_int_errtext(&err));
	return plan;
}

/* The apply command's pipeline on the host-directory guest, stopped dead
 * by a test hook when @crash_keep_at is not 0: whether it died.  Its
 * warnings go to *@warn (with @nwarn) when @warn is not NULL; else any
 * warning fails the test. */
static bool apply_warned(unsigned crash_keep_at, char ***warn, size_t *nwarn)
{
	struct guest_disk *disk = open_disk();
	struct guest_fs *fs;
	struct svc_facts f;
	inspect(disk, &f);
	char cab[4096];
	struct svc_source_package sp;
	struct svc_plan *plan = plan_for(&f, cab, &sp);
	assert_int_equal(guest_disk_mount(disk, 0, false, &fs), GUEST_OK);
	struct svc_apply_opts ao = { .tmpdir = hvo_fg_at("work"),
				     .pkg = sp.pkg,
				     .crash_keep_at = crash_keep_at };
	struct svc_apply_result r;
	bool died = false;
	if (svc_apply(fs, plan, &ao, &r) != SVC_OK) {
		died = strstr(svc_apply_errmsg(&r), "killed (test)") != NULL;
		if (!died || crash_keep_at == 0)
			fail_msg("apply: %s", svc_apply_errmsg(&r));
	}
	for (size_t i = 0; i < r.nwarnings; i++)
		if (warn == NULL)
			fail_msg("apply warned: %s", r.warnings[i]);
	if (warn != NULL) {
		*warn = r.warnings;
		*nwarn = r.nwarnings;
		r.warnings = NULL;
		r.nwarnings = 0;
	}
	svc_apply_result_free(&r);
	svc_plan_free(plan);
	svc_source_package_free(&sp);
	svc_facts_free(&f);
	guest_disk_close(disk);
	return died;
}

static bool apply_until(unsigned crash_keep_at)
{
	return apply_warned(crash_keep_at, NULL, NULL);
}

static void do_apply(void)
{
	apply_until(0);
}

/* The pending report of the guest as it is now. */
static void pending_now(struct svc_pending *p)
{
	struct guest_disk *disk = open_disk();
	struct svc_facts f;
	inspect(disk, &f);
	svc_int_pending_free(p); /* the last one's texts */
	/* Its texts move to @p (owned strings, issue 15). */
	*p = f.pending;
	memset(&f.pending, 0, sizeof(f.pending));
	svc_facts_free(&f);
	guest_disk_close(disk);
}

/* reg set --image @key @value dword 1. */
static void reg_set(const char *key, const char *value)
{
	struct guest_fs *fs = hvo_fg_fs("vol");
	uint8_t d[4] = { 1, 0, 0, 0 };
	struct svc_reg_image_opts ro = {
		.image = "g",
		.systemroot = "Windows",
		.tmpdir = hvo_fg_at("scratch"),
		.op = SVC_REGOP_SET,
		.path = key,
		.value = value,
		.type = REG_TYPE_DWORD,
		.data = d,
		.len = 4,
	};
	struct svc_reg_image_result rr;
	assert_int_equal(svc_reg_image_run(fs, &ro, &rr), HVO_EXIT_OK);
	svc_reg_image_result_free(&rr);
	guest_fs_close(fs);
}

static void later_changes(void)
{
	assert_int_equal(hvo_fg_disable("Time Synchronization"), 1);
	reg_set("HKLM\\SOFTWARE\\Microsoft\\Virtual Machine\\Auto", "Later");
}

/* 1 when compared with a rollback's state, 0 when there is none. */
static int verify_rolled_back(struct svc_verify_result *vr, char *when)
{
	struct guest_fs *fs = hvo_fg_fs("vol");
	bool compared = false;
	struct svc_error err = { 0 };
	enum svc_err r =
		svc_rollback_verify(fs, "Windows", hvo_fg_at("scratch"), vr,
				    when, 32, &compared, &err);
	guest_fs_close(fs);
	if (r != SVC_OK)
		fail_msg("verify after rollback: %s", svc_int_errtext(&err));
	return compared ? 1 : 0;
}

static void test_apply_then_rollback(void **state)
{
	(void)state;
	char *before = listing();
	struct svc_pending p = { 0 };
	pending_now(&p);
	assert_false(p.any);
	assert_false(p.have_record);
	do_apply();
	char *mid = listing();
	assert_string_not_equal(before, mid);
	free(mid);

	/* inspect after apply: the first-boot step and the staged package
	 * are pending; the record is the apply's. */
	pending_now(&p);
	assert_true(p.any);
	assert_true(p.firstboot_pending);
	assert_string_equal(p.firstboot_hook, "setup-cmdline");
	assert_int_equal(p.nstaged, 1);
	assert_int_equal(p.staged_pending, 1);
	assert_non_null(strstr(p.staged[0].id,
			       "Microsoft-Hyper-V-Integration-Services-"
			       "Package-2~31bf3856ad364e35~amd64~~"));
	assert_true(p.have_record);
	assert_string_equal(p.record_command, "apply");
	assert_string_equal(p.package, p.staged[0].id);
	assert_true(p.version[0] == '6');
	assert_true(p.files_created + p.files_replaced > 10);
	assert_string_equal(p.ic_state, "as-applied");

	struct svc_verify_result vr0 = { 0 };
	char when0[32];
	assert_int_equal(verify_rolled_back(&vr0, when0), 0);
	later_changes();
	pending_now(&p);
	assert_true(p.firstboot_pending);
	assert_string_equal(p.record_command, "reg");
	assert_int_equal(p.records, 3);
	assert_string_equal(p.ic_state, "changed");
	assert_int_equal(p.nnotes, 1);
	assert_non_null(strstr(p.notes[0], "vmictimesync: disabled now"));

	struct svc_rollback_result r;
	assert_int_equal(hvo_fg_rollback(false, &r), HVO_EXIT_OK);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[2].command, "apply");
	svc_rollback_result_free(&r);
	char *after = listing();
	assert_string_equal(before, after);
	free(after);
	free(before);
	/* verify after rollback compares with the recorded previous state:
	 * all of it matches; a file changed since is a difference. */
	struct svc_verify_result vr = { 0 };
	char when[32];
	assert_int_equal(verify_rolled_back(&vr, when), 1);
	assert_int_equal(vr.ndiffs, 0);
	assert_true(vr.nchecked > 10);
	size_t checked = vr.nchecked;
	svc_verify_result_free(&vr);
	memset(&vr, 0, sizeof(vr));
	hvo_fg_sh("echo x >> vol/Windows/System32/config/SOFTWARE");
	assert_int_equal(verify_rolled_back(&vr, when), 1);
	assert_int_equal(vr.nchecked, checked);
	assert_int_equal(vr.ndiffs, 1);
	assert_non_null(strstr(vr.diffs[0].what, "config\\SOFTWARE"));
	svc_verify_result_free(&vr);
	hvo_fg_sh("truncate -s -2 vol/Windows/System32/config/SOFTWARE");

	/* inspect after rollback: nothing pending. */
	pending_now(&p);
	assert_false(p.any);
	assert_false(p.firstboot_pending);
	assert_int_equal(p.nstaged, 0);
	assert_false(p.have_record);
	svc_int_pending_free(&p);

	assert_int_equal(hvo_fg_rollback(false, &r), HVO_EXIT_OK);
	assert_int_equal(r.n, 0);
	svc_rollback_result_free(&r);
}

static void test_refused_after_first_boot(void **state)
{
	(void)state;
	char *before = listing();
	do_apply();
	/* The first-boot step ran (doc/firstboot.md): it unhooked itself
	 * from SYSTEM\Setup, logged, and deleted its script. */
	static const char reg[] =
		"Windows Registry Editor Version 5.00\n\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\Setup]\n\"CmdLine\"=\"\"\n"
		"\"SetupType\"=dword:00000000\n";
	hvo_test_write_file(hvo_fg_at("boot.reg"), reg, strlen(reg));
	hvo_fg_sh("hivexregedit --merge vol/Windows/System32/config/SYSTEM "
		  "--prefix 'HKEY_LOCAL_MACHINE\\SYSTEM' boot.reg");
	hvo_fg_sh("rm vol/Windows/hvoffline/firstboot.cmd && printf "
		  "'start: x\\r\\ndone: exit=0 result=installed\\r\\n' > "
		  "vol/Windows/Logs/hvoffline/firstboot.log");
	struct svc_pending p = { 0 };
	pending_now(&p);
	assert_false(p.firstboot_pending);
	assert_true(svc_int_firstboot_ran(&p.firstboot));
	assert_string_equal(p.firstboot.last, "done: exit=0 result=installed");
	assert_string_equal(p.ic_state, "unknown");
	svc_int_pending_free(&p);

	struct svc_rollback_result r;
	assert_int_equal(hvo_fg_rollback(false, &r), HVO_EXIT_REFUSED);
	assert_true(r.nchanged >= 2);
	assert_non_null(strstr(r.changed[0], "first-boot step"));
	assert_non_null(strstr(r.changed[0], "firstboot.cmd is gone"));
	assert_non_null(strstr(r.changed[0], "result=installed"));
	assert_non_null(strstr(svc_rollback_errmsg(&r), "first-boot step"));
	bool system = false;
	for (size_t i = 0; i < r.nchanged; i++)
		system |= strstr(r.changed[i], "config\\SYSTEM") != NULL;
	assert_true(system);
	svc_rollback_result_free(&r);
	char *mid = listing();
	assert_string_not_equal(before, mid); /* refused: untouched */
	free(mid);

	/* --force undoes anyway: the volume as before apply (the record
	 * folder, where the step's log stays, aside). */
	assert_int_equal(hvo_fg_rollback(true, &r), HVO_EXIT_OK);
	assert_int_equal(r.n, 1);
	svc_rollback_result_free(&r);
	char *after = listing();
	assert_string_equal(before, after);
	free(after);
	free(before);
}

/* Whether @notes name the guest path of every "./a/b" line of @left
 * (as "a\b"), each with @why when it is a staged-rollback file. */
static void named(const char *left, char **notes, size_t nnotes,
		  const char *why, const char *what, unsigned k)
{
	char *copy = strdup(left), *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save)) {
		char *g = strdup(l + 2);
		for (char *p = g; *p; p++)
			if (*p == '/')
				*p = '\\';
		bool found = false;
		for (size_t i = 0; i < nnotes && !found; i++)
			found = strstr(notes[i], g) != NULL &&
				(strstr(g, "staged-rollback-") == NULL ||
				 strstr(notes[i], why) != NULL);
		if (!found)
			fail_msg("%s %u: no notice names %s", what, k, g);
		free(g);
	}
	free(copy);
}

/*
 * The cleanup every write-open runs first (rollback_recover.h; the
 * managing commands and apply run it): with @left (leftovers()), it names
 * each leftover and removes it (returns how many); with @left NULL, its
 * one notice says @journal was finished.
 */
static size_t recover_check(const char *left, const char *journal, unsigned k)
{
	struct guest_fs *fs = hvo_fg_fs("vol");
	struct svc_recovery rec;
	struct svc_error err = { 0 };
	if (svc_int_recover(fs, "Windows", &rec, &err) != SVC_OK)
		fail_msg("crash %u: %s", k, svc_int_errtext(&err));
	guest_fs_close(fs);
	if (left == NULL &&
	    (rec.nnotes != 1 || strstr(rec.notes[0], journal) == NULL))
		fail_msg("crash %u: %zu notices, not \"%s\": %s", k, rec.nnotes,
			 journal, rec.nnotes ? rec.notes[0] : "");
	if (left != NULL) {
		assert_false(rec.rollback_finished || rec.apply_recovered);
		assert_int_equal(rec.removed, rec.nnotes);
		named(left, rec.notes, rec.nnotes,
		      "by a rollback interrupted before its journal was "
		      "written",
		      "stage crash", k);
	}
	size_t n = rec.removed;
	svc_int_recovery_free(&rec);
	return n;
}

/* After a recovered crash at @what @k: the volume as @before (before
 * apply), and verify clean against the rollback's state. */
static void as_before_apply(const char *before, const char *what, unsigned k)
{
	char *after = listing();
	if (strcmp(before, after) != 0)
		fail_msg("%s %u: not as before apply", what, k);
	free(after);
	struct svc_verify_result vr = { 0 };
	char when[32];
	assert_int_equal(verify_rolled_back(&vr, when), 1);
	if (vr.ndiffs != 0)
		fail_msg("%s %u: verify: %s", what, k, vr.diffs[0].what);
	svc_verify_result_free(&vr);
}

/* A rollback that dies (test hooks) after its @after-th journal step
 * (the journal stays) or its @stage-th staged write (before any journal):
 * whether it died (else it ran through). */
static bool rollback_dies(unsigned after, unsigned stage)
{
	struct guest_fs *fs = hvo_fg_fs("vol");
	struct svc_rollback_opts o = { .image = "g",
				       .systemroot = "Windows",
				       .tmpdir = hvo_fg_at("scratch"),
				       .crash_after = after,
				       .crash_stage_at = stage };
	struct svc_rollback_result r;
	enum hvo_exit x = svc_rollback(fs, &o, &r);
	guest_fs_close(fs);
	if (x != HVO_EXIT_OK &&
	    strstr(svc_rollback_errmsg(&r), "killed (test)") == NULL)
		fail_msg("rollback: %s", svc_rollback_errmsg(&r));
	svc_rollback_result_free(&r);
	if (x == HVO_EXIT_OK)
		return false;
	hvo_fg_sh("test %s -f vol/Windows/Logs/hvoffline/rollback-journal.txt",
		  stage != 0 ? "!" : "");
	return true;
}

/* A rollback that dies after each step of its journal in turn
 * (rollback_journal.h: kept copies back, hives in, records renamed, its
 * record and state), from the same guest each time; the next run that
 * opens the guest for writing (here a second rollback) finishes it: the
 * volume equals the one before apply, nothing is left to undo, and verify
 * compares clean with the recorded state.  All new, never a mixture. */
static void test_rollback_crash_points(void **state)
{
	(void)state;
	char *before = listing();
	do_apply();
	later_changes();
	hvo_fg_sh("rm -rf mid && cp -a vol mid");
	unsigned k;
	for (k = 1; k < 1000; k++) {
		hvo_fg_sh("rm -rf vol && cp -a mid vol");
		if (!rollback_dies(k, 0))
			break;	/* fewer steps than k: it ran through */
		if (k % 2 == 1) /* the cleanup alone: its notice */
			recover_check(NULL,
				      "an earlier rollback was interrupted", k);
		struct svc_rollback_result r;
		assert_int_equal(hvo_fg_rollback(false, &r), HVO_EXIT_OK);
		assert_int_equal(r.n, 0);
		svc_rollback_result_free(&r);
		as_before_apply(before, "crash after rollback step", k);
	}
	/* Every step was a crash point: files, hives, records, record. */
	print_message("%u crash points, each finished by the next run\n",
		      k - 1);
	assert_true(k > 10);
	free(before);
}

/* An apply that dies after its switch, before its undo data is written
 * (before the originals are kept, or after each of them in turn): the
 * next run that opens the guest for writing (here rollback) keeps the
 * originals and writes the undo data the apply would have, so the
 * rollback that follows puts the volume back as before apply, and verify
 * is clean. */
static void test_apply_keep_crash_points(void **state)
{
	(void)state;
	char *before = listing();
	hvo_fg_sh("rm -rf pre && cp -a vol pre");
	unsigned k;
	for (k = 1; k < 1000; k++) {
		hvo_fg_sh("rm -rf vol && cp -a pre vol");
		if (!apply_until(k))
			break; /* fewer originals than k: it ran through */
		hvo_fg_sh(
			"test -f vol/Windows/hvoffline/apply-in-progress.txt");
		recover_check(NULL, "an earlier apply was interrupted", k);
		struct svc_rollback_result r;
		assert_int_equal(hvo_fg_rollback(false, &r), HVO_EXIT_OK);
		if (r.n != 1 || strcmp(r.v[0].command, "apply") != 0)
			fail_msg("apply died at keep %u: %zu records undone", k,
				 r.n);
		svc_rollback_result_free(&r);
		as_before_apply(before, "apply died at keep", k);
	}
	print_message("%u crash points after the switch\n", k - 1);
	assert_true(k > 3);
	free(before);
}

/* A killed rollback's staged record, state and hives, one "./path" a
 * line (caller frees; "" when none). */
static char *leftovers(void)
{
	return hvo_fg_out("cd vol && find . \\( -name 'staged-rollback-*' "
			  "-o -name '*.hvo-new' \\) -print | LC_ALL=C sort");
}

static void none_left(const char *what, unsigned k)
{
	char *left = leftovers();
	if (left[0] != '\0')
		fail_msg("%s %u: left: %s", what, k, left);
	free(left);
}

/* A rollback killed after each staged write (record, state; the hives go
 * back whole by the journal), before its journal: only staged-rollback-*
 * files changed.  The next write-open removes and names them: the cleanup
 * (notices checked), then rollback (as before apply, verify clean);
 * rollback; services; reg --image; apply (its warnings name them). */
static void test_rollback_stage_crash_points(void **state)
{
	(void)state;
	char *before = listing();
	do_apply();
	later_changes();
	hvo_fg_sh("rm -rf mid && cp -a vol mid");
	char *mid = listing();
	unsigned k;
	for (k = 1; k < 100; k++) {
		for (int next = 0; next < 5; next++) {
			hvo_fg_sh("rm -rf vol && cp -a mid vol");
			if (!rollback_dies(0, k))
				goto done;     /* fewer staged writes than k */
			char *now = listing(); /* only staged files */
			assert_string_equal(now, mid);
			free(now);
			char *left = leftovers();
			assert_non_null(strstr(left, "staged-rollback-"));
			struct svc_rollback_result r;
			char **w = NULL;
			size_t nw = 0;
			switch (next) {
			case 0: /* the cleanup, then rollback */
				assert_int_equal(recover_check(left, NULL, k),
						 k);
				none_left("stage crash, cleanup", k);
				HVO_FALLTHROUGH;
			case 1:
				assert_int_equal(hvo_fg_rollback(false, &r),
						 HVO_EXIT_OK);
				assert_int_equal(r.n, 3);
				svc_rollback_result_free(&r);
				none_left("stage crash, rollback", k);
				as_before_apply(before, "stage crash", k);
				break;
			case 2:
				hvo_fg_disable("Time Synchronization");
				none_left("stage crash, services", k);
				break;
			case 3:
				reg_set("HKLM\\SOFTWARE\\Microsoft\\Virtual "
					"Machine\\Auto",
					"Next");
				none_left("stage crash, reg --image", k);
				break;
			default:
				apply_warned(0, &w, &nw);
				named(left, w, nw, "left in the guest", "apply",
				      k);
				for (size_t i = 0; i < nw; i++)
					free(w[i]);
				free(w);
				none_left("stage crash, apply", k);
				break;
			}
			free(left);
		}
	}
done:
	print_message("%u crash points while staging, each cleaned up by "
		      "the next rollback, services, reg --image and apply\n",
		      k - 1);
	assert_true(k > 2);
	free(mid);
	free(before);
}

/* The same where rollback edits hives in memory (undoing two reg --image
 * changes, no apply): killed after staging SOFTWARE, SYSTEM, record,
 * state; the staged hives are named and removed too; values put back. */
static void test_rollback_stage_crash_hives(void **state)
{
	(void)state;
	reg_set("HKLM\\SOFTWARE\\Microsoft\\Virtual Machine\\Auto", "One");
	reg_set("HKLM\\SYSTEM\\Setup", "Two");
	hvo_fg_sh("rm -rf mid && cp -a vol mid");
	unsigned k;
	size_t most = 0;
	for (k = 1; k < 100; k++) {
		hvo_fg_sh("rm -rf vol && cp -a mid vol");
		if (!rollback_dies(0, k))
			break;
		char *left = leftovers();
		size_t n = recover_check(left, NULL, k);
		assert_true(n >= 1);
		most = n > most ? n : most;
		none_left("hive stage crash, cleanup", k);
		free(left);
		struct svc_rollback_result r;
		assert_int_equal(hvo_fg_rollback(false, &r), HVO_EXIT_OK);
		assert_int_equal(r.n, 2);
		svc_rollback_result_free(&r);
		none_left("hive stage crash, rollback", k);
		hvo_fg_expect("", "hivexget vol/Windows/System32/config/"
				  "SOFTWARE 'Microsoft\\Virtual Machine\\Auto' "
				  "One 2>/dev/null || :");
		hvo_fg_expect("", "hivexget vol/Windows/System32/config/SYSTEM "
				  "Setup Two 2>/dev/null || :");
	}
	print_message("%u crash points while staging hives\n", k - 1);
	assert_int_equal(k - 1, 4); /* SOFTWARE, SYSTEM, record, state */
	assert_int_equal(most, 4);
}

/* SYSTEM\MountedDevices merged into the guest's SYSTEM hive: letters
 * @a and @b on the Windows volume's MBR offset (0 on the test disk), C:
 * on another disk's 1 MiB, E: a GPT-style entry.  @b 0: only @a. */
static void mounted_devices(char a, char b)
{
	char reg[1024];
	int n = snprintf(
		reg, sizeof(reg),
		"Windows Registry Editor Version 5.00\n\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]\n"
		"\"\\\\DosDevices\\\\C:\"=hex:aa,bb,cc,dd,00,00,10,00,00,00,00,"
		"00\n"
		"\"\\\\DosDevices\\\\E:\"=hex:44,4d,49,4f,3a,49,44,3a,01,02,03,"
		"04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10\n"
		"\"\\\\DosDevices\\\\%c:\"=hex:12,34,56,78,00,00,00,00,00,00,"
		"00,"
		"00\n",
		a);
	if (b != 0)
		snprintf(
			reg + n, sizeof(reg) - (size_t)n,
			"\"\\\\DosDevices\\\\%c:\"=hex:12,34,56,78,00,00,00,00,"
			"00,00,00,00\n",
			b);
	hvo_test_write_file(hvo_fg_at("md.reg"), reg, strlen(reg));
	hvo_fg_sh("hivexregedit --merge vol/Windows/System32/config/SYSTEM "
		  "--prefix 'HKEY_LOCAL_MACHINE\\SYSTEM' md.reg");
}

/* The plan for a guest installed as @value, in folder @root, as text
 * (caller frees); its facts in @f.  With @md_a, its MountedDevices as
 * mounted_devices(@md_a, @md_b) writes them. */
static char *plan_text_of(const char *root, const char *value,
			  struct svc_facts *f, char md_a, char md_b)
{
	hvo_fg_sh("rm -rf vol");
	guest(root, value);
	if (md_a != 0)
		mounted_devices(md_a, md_b);
	struct guest_disk *disk = open_disk();
	inspect(disk, f);
	guest_disk_close(disk);
	char cab[4096];
	struct svc_source_package sp;
	struct svc_plan *plan = plan_for(f, cab, &sp);
	char *text = hvo_fg_plan_text(plan);
	svc_source_package_free(&sp);
	return text;
}

/* $(runtime.*) and full paths use the guest's own drive and system root
 * from its SOFTWARE hive, never a fixed C:. */
static void test_system_drive(void **state)
{
	(void)state;
	struct svc_facts f;
	char *t = plan_text_of("WINNT", "D:\\\\WINNT", &f, 0, 0);
	assert_string_equal(f.systemroot, "WINNT");
	assert_string_equal(f.systemroot_value, "D:\\WINNT");
	assert_string_equal(f.system_drive, "D:");
	assert_non_null(strstr(t, "D:\\WINNT\\"));
	assert_null(strstr(t, "C:\\"));
	assert_non_null(strstr(t, "WINNT\\System32\\drivers\\"));
	free(t);
	svc_facts_free(&f);
	/* A value that does not name the system root found is not taken:
	 * the plan says C:, as without one. */
	t = plan_text_of("Windows", "E:\\\\Other", &f, 0, 0);
	assert_string_equal(f.systemroot_value, "E:\\Other");
	assert_string_equal(f.system_drive, "");
	assert_null(strstr(t, "E:\\"));
	assert_non_null(strstr(t, "C:\\Windows\\"));
	free(t);
	svc_facts_free(&f);
}

/* SOFTWARE's SystemRoot not usable (naming another folder, or no drive):
 * the letter comes from SYSTEM\MountedDevices, the one whose MBR entry is
 * the Windows volume's offset; two such letters say nothing (C:). */
static void test_system_drive_mounted_devices(void **state)
{
	(void)state;
	static const struct {
		const char *value; /* SystemRoot (the recipe's: C:\Windows) */
		char a, b;
		const char *drive;
	} cases[] = {
		{ "E:\\\\Other", 'D', 0, "D:" },
		{ "Windows", 'G', 0, "G:" }, /* no drive in it */
		{ "E:\\\\Other", 'D', 'F', "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct svc_facts f;
		char *text = plan_text_of("Windows", cases[i].value, &f,
					  cases[i].a, cases[i].b);
		assert_string_equal(f.system_drive, cases[i].drive);
		assert_int_equal(f.system_drive_from_mounted_devices,
				 cases[i].drive[0] != '\0');
		char want[16];
		snprintf(want, sizeof(want), "%s\\Windows\\",
			 cases[i].drive[0] ? cases[i].drive : "C:");
		assert_non_null(strstr(text, want));
		free(text);
		svc_facts_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_then_rollback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_after_first_boot,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_drive, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_system_drive_mounted_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_crash_points,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_keep_crash_points,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_rollback_stage_crash_points, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_stage_crash_hives,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

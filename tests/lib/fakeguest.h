/*
 * fakeguest.h - fake guests for the servicing tests, shared by the unit
 * tests of tests/servicing/ (they were copied between test files).
 *
 * Two kinds, and the servicing pipeline run on the first:
 *
 *   - A Windows tree in a host directory, for the host-directory backend
 *     of the guest layer: hives merged from tests/fixtures/reg recipes
 *     into hivex's minimal hive (hivexregedit), PE stubs from mkpe.py.
 *     The builders run shell commands in the test's directory
 *     (hvo_fg_begin) and fail the test when one fails.
 *
 *   - Synthetic facts (struct svc_facts) with no disk at all, for the
 *     planner and the applicability rules: exactly the facts a rule reads.
 */
#ifndef HVO_TESTS_FAKEGUEST_H
#define HVO_TESTS_FAKEGUEST_H

#include <stdint.h>

#include "servicing/apply.h"
#include "servicing/inspect.h"
#include "servicing/inspect_applicable.h"
#include "servicing/inspect_source.h"
#include "servicing/plan.h"
#include "servicing/rollback.h"

/* ---- Host-directory guests ---- */

/* A fresh temporary directory for one test (with "scratch" in it);
 * removed by hvo_fg_end().  Returns its path. */
const char *hvo_fg_begin(void);
void hvo_fg_end(void);

/* cmocka fixtures around hvo_fg_begin() and hvo_fg_end(): hvo_fg_setup
 * skips the test unless every program of the NULL-terminated list in
 * *@state (cmocka's prestate; NULL for none) is installed.  A test
 * entry with them: HVO_FG_TEST(test, programs). */
int hvo_fg_setup(void **state);
int hvo_fg_teardown(void **state);
#define HVO_FG_TEST(test, programs)               \
	cmocka_unit_test_prestate_setup_teardown( \
		test, hvo_fg_setup, hvo_fg_teardown, (void *)(programs))

/* "<test dir>/<rel>" (one of 8 rotating static buffers). */
char *hvo_fg_at(const char *rel);

/* Runs a shell command in the test directory (set -e); a failure fails
 * the test.  hvo_fg_out() returns its stdout (caller frees). */
void hvo_fg_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *hvo_fg_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens host directory @vol (relative to the test directory) as the one
 * NTFS volume of an MBR disk "guest.vhdx" on the host-directory backend
 * (caller closes *@disk_ret). */
struct guest_disk;
void hvo_fg_disk_open(const char *vol, struct guest_disk **disk_ret);

/* Runs a shell command like hvo_fg_sh(); its stdout must be @want. */
void hvo_fg_expect(const char *want, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* hvo_fg_out() without the trailing newlines (caller frees). */
char *hvo_fg_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A hive at @dest (relative to the test directory) from the recipe
 * tests/fixtures/reg/@recipe.reg ("*-software" recipes are SOFTWARE). */
void hvo_fg_hive(const char *recipe, const char *dest);

/* Merges the .reg text @reg into the hive @hive (relative to the test
 * directory) under HKEY_LOCAL_MACHINE\@root ("SYSTEM", "SOFTWARE"). */
void hvo_fg_merge(const char *hive, const char *root, const char *reg);

/* The value @value of key @key in @hive as hivexget prints it (caller
 * frees). */
char *hvo_fg_hivexget(const char *hive, const char *key, const char *value);

/* A PE file for @machine ("amd64", "i386"), with a version resource of
 * @version (and FileVersion), or none when @version is NULL. */
void hvo_fg_pe(const char *machine, const char *version, const char *dest);

/* A Windows tree under volume directory @vol with system root @root:
 * hives from the recipes @name-software and @name-system, ntoskrnl.exe of
 * @kernel_version and, unless NULL, vmbus.sys of @vmbus, and the folders
 * System32\drivers and servicing\Packages. */
void hvo_fg_windows(const char *vol, const char *root, const char *name,
		    const char *machine, const char *kernel_version,
		    const char *vmbus);

/* Installed packages of the guest in "vol" (system root "Windows"): a
 * .mum file in servicing\Packages for each name of the NULL-terminated
 * @packages. */
void hvo_fg_packages(const char *const *packages);

/* The Server 2012 x64 guest in "vol" as the test images have it: hives of
 * the ws2012-x64 recipes, ntoskrnl.exe and vmbus.sys of 6.2.9200.16384,
 * the Foundation and inbox integration drivers packages. */
void hvo_fg_ws2012(void);

/* The real, dirty Windows 10 SYSTEM hive of the fixtures (regipy
 * SYSTEM_B) with the logs that recover it, in the Windows\System32\config
 * of volume directory @vol; the test is skipped without fixtures. */
void hvo_fg_dirty_system(const char *vol);

/* The host-directory filesystem of directory @vol (writable), with a
 * fresh "scratch" directory beside it. */
struct guest_fs *hvo_fg_fs(const char *vol);

/* `rollback` (with --force when @force) on the guest in "vol". */
enum hvo_exit hvo_fg_rollback(bool force, struct svc_rollback_result *r);

/* Disables service @name with `services` on the guest in "vol" (asserting
 * it succeeds); returns how many services it changed. */
size_t hvo_fg_disable(const char *name);

/* ---- The servicing pipeline on a host-directory guest ---- */

/* A disk "guest.vhdx" (MBR, 64 MiB) whose one volume is directory @vol;
 * @v is the volume, filled in. */
struct guest_hostdir_disk hvo_fg_disk(struct guest_hostdir_volume *v,
				      const char *vol);

/* Opens the host-directory disk @spec, inspects and evaluates it into @f
 * (the file checks taken as passed); returns the open disk. */
struct guest_disk *hvo_fg_inspect(const struct guest_hostdir_disk *spec,
				  struct svc_facts *f);

/* A guest in "vol" inspected (a safe verdict required), the package @cab
 * (a fixture path) found applicable and planned, the volume mounted: the
 * apply command's pipeline up to svc_apply. */
struct hvo_fg_guest {
	struct guest_disk *disk;
	struct guest_fs *fs;
	struct svc_facts f;
	struct svc_source_package sp;
	struct svc_plan *plan;
	bool up_to_date; /* what apply would decide */
	char cab[4096];
};
void hvo_fg_guest_open(struct hvo_fg_guest *g, const char *cab, bool firstboot);
void hvo_fg_guest_close(struct hvo_fg_guest *g);

/* svc_apply on the guest, in a fresh "work" directory; failures injected
 * at the @fail_stage-th stage and @fail_switch-th switch step (0: none).
 * Returns the exit class. */
enum hvo_exit hvo_fg_guest_apply(struct hvo_fg_guest *g, unsigned fail_stage,
				 unsigned fail_switch,
				 struct svc_apply_result *r);

/* The plan's value @name of @key in @hive, or NULL. */
const struct svc_plan_reg *hvo_fg_plan_reg(const struct svc_plan *p,
					   enum svc_hive hive, const char *key,
					   const char *name);

/* The plan's file written to @dest, or NULL. */
const struct svc_plan_file *hvo_fg_plan_file(const struct svc_plan *p,
					     const char *dest);

/* @plan as svc_plan_text() renders it (malloc'd); the plan is freed. */
char *hvo_fg_plan_text(struct svc_plan *plan);

/* A one-volume MBR disk of the host-directory backend whose volume 1 is
 * the directory @root, named @name; its facts inspected (with "scratch"
 * of the test directory) into @f, which the caller frees.  The disk is
 * returned (guest_disk_close()). */
struct guest_disk *hvo_fg_inspect_root(const char *root, const char *name,
				       struct svc_facts *f);

/* ---- Synthetic facts ---- */

/* Facts of an inspected, safe guest: Windows found on volume 0 with
 * system root "Windows", @arch ("amd64", "x86"), NT @major.@minor build
 * @build, a server installation, control set 1, no integration services
 * installed and no packages.  Free with svc_facts_free(). */
void hvo_fg_facts(struct svc_facts *f, const char *arch, unsigned major,
		  unsigned minor, unsigned build);

/* Adds an installed package (in Windows\servicing\Packages and the CBS
 * key, state installed). */
void hvo_fg_facts_package(struct svc_facts *f, const char *name,
			  const char *arch, const char *version);

/* Integration services of @version installed: vmbus.sys's file version. */
void hvo_fg_facts_vmbus(struct svc_facts *f, const char *version);

#endif /* HVO_TESTS_FAKEGUEST_H */

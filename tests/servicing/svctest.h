/*
 * svctest.h - helpers shared by the unit tests of tests/servicing/ (the
 * fake guests themselves are in tests/lib/fakeguest.h).
 *
 *   - host-directory guests: fixtures (setup, teardown) that skip when an
 *     independent tool is missing, and readers of what a run left there;
 *   - synthetic facts against the real integration-services packages,
 *     loaded once per test program: the planner and the choice rules.
 */
#ifndef HVO_TESTS_SVCTEST_H
#define HVO_TESTS_SVCTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "servicing/inspect.h"
#include "servicing/inspect_applicable.h"
#include "servicing/inspect_source.h"
#include "servicing/plan.h"

#define CAB62 "ic/Windows6.2-HyperVIntegrationServices-x64.cab"
#define CAB6X "ic/Windows6.x-HyperVIntegrationServices-x86.cab"

/* The 6.2 package's version (update.mum assemblyIdentity). */
#define VERSION62 "6.3.9600.19456"

/* ---- Host-directory guests ---- */

/* cmocka fixtures: a fresh test directory (hvo_fg_begin); the test is
 * skipped unless hivexregedit, hivexsh, cabextract and python3 are
 * installed (svct_setup), or hivexregedit and python3 (svct_setup_inspect,
 * for tests that read no package); the teardown is hvo_fg_teardown. */
int svct_setup(void **state);
int svct_setup_inspect(void **state);

/* A Windows tree under volume directory @vol (hvo_fg_windows with a
 * kernel of 6.0.0.1), for the inspection tests. */
void svct_windows(const char *vol, const char *root, const char *name,
		  const char *machine, const char *vmbus);

/* Inspects the host-directory disk @spec and evaluates it into @f. */
void svct_inspect(const struct guest_hostdir_disk *spec, struct svc_facts *f);

/* svc_facts_json of @f is JSON with a status (jq, when installed). */
void svct_check_json_parses(const struct svc_facts *f);

/* An NTFS volume of an MBR disk (type 0x07): partition @partnum of @size
 * bytes, whose filesystem is directory @dir (NULL: not mountable). */
struct guest_hostdir_volume svct_volume(const char *dir, unsigned partnum,
					uint64_t size);

/* A disk @name (MBR, 8 MiB) of the one volume @v (partition 1, 8 MiB,
 * NTFS unless @v says otherwise). */
struct guest_hostdir_disk svct_one_volume(struct guest_hostdir_volume *v,
					  const char *name);

/* Inspects the disk @image of one NTFS volume, directory @dir, into @f. */
void svct_inspect_dir(const char *dir, const char *image, struct svc_facts *f);

/* The Windows 7 SP1 x86 guest in "vol": hives of the win7-x86 recipes,
 * ntoskrnl.exe of 6.2.9200.16384, vmbus.sys of 6.2.9200.16433, the
 * Foundation package. */
void svct_win7(void);

/* Every name and every file's SHA-256 under vol (caller frees). */
char *svct_listing(void);
/* Every file's SHA-256 under vol, apply's records aside (caller frees). */
char *svct_listing_but_records(void);
/* What hivexsh prints for @script on the hive @hive_rel (caller frees). */
char *svct_hivexsh(const char *hive_rel, const char *script);

/* ---- Synthetic facts and the real packages ---- */

/* Both packages, loaded by svct_load_packages (a group setup) the way a
 * session loads a source; svct_cab62 is the 6.2 cabinet's path. */
extern struct svc_source_package svct_x64, svct_x86;
extern char svct_cab62[4096];
int svct_load_packages(void **state);
int svct_free_packages(void **state);

/* Server 2012 x64 with its inbox integration drivers package (the parent
 * of the 6.2 package). */
void svct_ws2012_facts(struct svc_facts *f);
/* Windows 7 SP1 x86 with its Foundation package (the parent of the 6.x
 * package: 6.1.7600.16385 or later within 6.1). */
void svct_win7_facts(struct svc_facts *f);

/* The plan of @sp for @f (a failure fails the test), with or without a
 * first-boot step; svct_plan() plans one. */
struct svc_plan *svct_plan_opts(const struct svc_facts *f,
				const struct svc_source_package *sp,
				bool firstboot);
struct svc_plan *svct_plan(const struct svc_facts *f,
			   const struct svc_source_package *sp);

/* The applicability of @sp (alone) to @f; the verdict of its candidate. */
enum svc_verdict svct_verdict(const struct svc_facts *f,
			      const struct svc_source_package *sp,
			      struct svc_applicability *a);

/* How many of the plan's values are in keys whose path holds @part. */
size_t svct_count_keys_with(const struct svc_plan *p, const char *part);

/* The rules of the CriticalDeviceDatabase on NT 6.1 (x86 6.x package,
 * control set 1), checked on a plan: the boot-start bus and storage
 * drivers are bound in it (storvsc for VMBus children, the ACPI VMBus
 * device); no demand-start driver is. */
void svct_expect_boot_drivers_bound(const struct svc_plan *p);
void svct_expect_no_demand_start_cdd(const struct svc_plan *p);

#endif /* HVO_TESTS_SVCTEST_H */

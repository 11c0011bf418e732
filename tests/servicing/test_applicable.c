/*
 * test_applicable.c - which integration-services package applies
 * (src/servicing/inspect_applicable.c): the real packages of
 * ../shared/fixtures/ic, and a broken cabinet, against guests detected on
 * the host-directory backend (no appliance).  The rules one at a time, on
 * synthetic facts, are in test_choose.c.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "tests/servicing/svctest.h"

static struct svc_source_package real[3];

static void load_real_packages(void)
{
	static const char *const cabs[] = {
		"ic/Windows6.2-HyperVIntegrationServices-x64.cab",
		"ic/Windows6.x-HyperVIntegrationServices-x86.cab",
	};
	for (size_t i = 0; i < 2; i++) {
		real[i].where = cabs[i];
		if (pkg_package_open(hvo_fixture(cabs[i]), &real[i].pkg,
				     &real[i].error) != PKG_OK)
			fail_msg("%s: %s", cabs[i], real[i].error.msg);
	}
	/* A cabinet that is not one, kept with its error. */
	real[2].where = "broken.cab";
	hvo_test_write_file(hvo_fg_at("broken.cab"), "MSCF\0\0\0\0garbage", 15);
	assert_int_not_equal(pkg_package_open(hvo_fg_at("broken.cab"),
					      &real[2].pkg, &real[2].error),
			     PKG_OK);
}

static void free_real_packages(void)
{
	for (size_t i = 0; i < 3; i++) {
		pkg_package_free(real[i].pkg);
		real[i].pkg = NULL;
	}
}

static const struct svc_candidate *candidate(const struct svc_applicability *a,
					     const char *where)
{
	for (size_t i = 0; i < a->ncandidates; i++)
		if (strcmp(a->candidates[i].sp->where, where) == 0)
			return &a->candidates[i];
	fail_msg("no candidate %s", where);
	return NULL;
}

#define X64 "ic/Windows6.2-HyperVIntegrationServices-x64.cab"
#define X86 "ic/Windows6.x-HyperVIntegrationServices-x86.cab"

static void test_applicability(void **state)
{
	(void)state;
	load_real_packages();
	struct svc_applicability a;
	struct svc_facts f;

	/* Windows 7 SP1 x86: the 6.x x86 package, through its Foundation
	 * parent (6.1.7601.17514 >= 6.1.7600.16385, same 6.1). */
	hvo_fg_sh("mkdir w7");
	svct_windows("w7", "Windows", "win7-x86", "i386", "6.2.9200.16433");
	struct guest_hostdir_volume v = { .root = hvo_fg_at("w7") };
	struct guest_hostdir_disk spec = svct_one_volume(&v, "w7.vhdx");
	svct_inspect(&spec, &f);
	assert_int_equal(svc_applicability(&f, real, 3, &a), 0);
	assert_int_equal(a.ncandidates, 3);
	assert_int_equal(a.chosen, 1);
	assert_int_equal(candidate(&a, X86)->verdict, SVC_APPLIES);
	assert_string_equal(candidate(&a, X86)->parent,
			    "Microsoft-Windows-Foundation-Package "
			    "6.1.7601.17514 (x86)");
	assert_int_equal(candidate(&a, X64)->verdict, SVC_ARCH);
	assert_int_equal(candidate(&a, "broken.cab")->verdict, SVC_UNREADABLE);
	assert_string_equal(a.installed, "6.2.9200.16433");
	assert_string_equal(a.installed_from, "vmbus.sys");
	assert_false(a.up_to_date);
	assert_non_null(strstr(a.summary, "would update"));
	svc_applicability_free(&a);

	/* Already at the package's version: up to date. */
	f.vmbus_version = (struct guest_pe_version){ { 6, 3, 9600, 19456 } };
	assert_int_equal(svc_applicability(&f, real, 2, &a), 0);
	assert_true(a.up_to_date);
	svc_applicability_free(&a);
	/* Without vmbus.sys, IntegrationServicesVersion stands in. */
	f.vmbus_version_known = false;
	assert_int_equal(svc_applicability(&f, real, 2, &a), 0);
	assert_string_equal(a.installed_from, "registry");
	assert_string_equal(a.installed, "6.2.9200.16433");
	svc_applicability_free(&a);

	/* The Foundation package superseded (CBS state 0x50) no longer
	 * satisfies the parent, and nothing else does. */
	for (size_t i = 0; i < f.npackages; i++)
		if (strcmp(f.packages[i].name,
			   "Microsoft-Windows-Foundation-Package") == 0)
			f.packages[i].cbs_state = 0x50;
	assert_int_equal(svc_applicability(&f, real, 2, &a), 0);
	assert_int_equal(a.chosen, -1);
	assert_int_equal(candidate(&a, X86)->verdict, SVC_PARENTS);
	assert_non_null(strstr(candidate(&a, X86)->reason,
			       "Microsoft-Windows-Foundation-Package"));
	svc_applicability_free(&a);
	/* The architecture is unknown: nothing is guessed. */
	f.arch[0] = '\0';
	assert_int_equal(svc_applicability(&f, real, 2, &a), 0);
	assert_int_equal(candidate(&a, X86)->verdict, SVC_ARCH_UNKNOWN);
	svc_applicability_free(&a);
	svc_facts_free(&f);

	/* Server 2012 x64: the 6.2 x64 package, through the inbox
	 * Guest-Integration-Drivers package. */
	hvo_fg_sh("mkdir s12");
	svct_windows("s12", "Windows", "ws2012-x64", "amd64", "6.2.9200.16384");
	v.root = hvo_fg_at("s12");
	spec = svct_one_volume(&v, "s12.vhdx");
	svct_inspect(&spec, &f);
	assert_int_equal(svc_applicability(&f, real, 2, &a), 0);
	assert_int_equal(a.chosen, 0);
	assert_string_equal(candidate(&a, X64)->parent,
			    "Microsoft-Hyper-V-Guest-Integration-Drivers-"
			    "Package 6.2.9200.16384 (amd64)");
	assert_int_equal(candidate(&a, X86)->verdict, SVC_ARCH);
	svc_applicability_free(&a);
	svc_facts_free(&f);

	/* XP: x86, but no CBS at all; none applies, and says why. */
	hvo_fg_sh("mkdir -p xp/WINDOWS/system32/config");
	hvo_fg_hive("winxp-x86-software",
		    "xp/WINDOWS/system32/config/software");
	hvo_fg_hive("winxp-x86-system", "xp/WINDOWS/system32/config/system");
	hvo_fg_pe("i386", NULL, "xp/WINDOWS/system32/cmd.exe");
	v.root = hvo_fg_at("xp");
	spec = svct_one_volume(&v, "xp.vhdx");
	svct_inspect(&spec, &f);
	assert_int_equal(svc_applicability(&f, real, 2, &a), 0);
	assert_int_equal(a.chosen, -1);
	assert_int_equal(candidate(&a, X64)->verdict, SVC_ARCH);
	assert_int_equal(candidate(&a, X86)->verdict, SVC_PARENTS);
	assert_non_null(strstr(candidate(&a, X86)->reason,
			       "no component-based servicing packages at all: "
			       "NT 5.1"));
	assert_non_null(strstr(a.summary, "no package of the source applies"));
	assert_string_equal(a.installed, "");
	svc_applicability_free(&a);
	svc_facts_free(&f);

	/* No Windows: nothing applies to nothing. */
	svc_facts_init(&f, "empty.vhdx");
	assert_int_equal(svc_applicability(&f, real, 2, &a), 0);
	assert_int_equal(candidate(&a, X64)->verdict, SVC_NO_WINDOWS);
	assert_string_equal(svc_verdict_name(SVC_NO_WINDOWS), "no-windows");
	svc_applicability_free(&a);
	svc_facts_free(&f);
	free_real_packages();
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_applicability,
						svct_setup_inspect,
						hvo_fg_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

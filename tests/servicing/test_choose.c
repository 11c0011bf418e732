/*
 * test_choose.c - the rules of choosing the package (SERVICING.md section
 * 3, steps 4 and 5), one rule per test: architecture, parents, installed
 * version.  The planning rules are in test_plan.c.
 *
 * The guests are synthetic facts (tests/lib/fakeguest.h): no disk, no
 * appliance, only the facts a rule reads.  The packages are the real
 * integration-services cabinets of ../shared/fixtures/ic, loaded once the
 * way a session loads a source (svc_source_package_load).  Expected
 * values come from the packages' own manifests, as SERVICING.md
 * describes them.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "tests/servicing/svctest.h"

/* ------------------------------------------------------------------ */
/* Choosing the package (steps 4 and 5).                               */
/* ------------------------------------------------------------------ */

static void test_x86_package_refused_on_x64_guest(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_applicability a;
	assert_int_equal(svct_verdict(&f, &svct_x86, &a), SVC_ARCH);
	assert_int_equal(a.chosen, -1);
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_x64_package_refused_on_x86_guest(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_win7_facts(&f);
	struct svc_applicability a;
	assert_int_equal(svct_verdict(&f, &svct_x64, &a), SVC_ARCH);
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_unknown_architecture_guesses_nothing(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_win7_facts(&f);
	f.arch[0] = '\0';
	struct svc_applicability a;
	assert_int_equal(svct_verdict(&f, &svct_x86, &a), SVC_ARCH_UNKNOWN);
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_parent_satisfied_by_newer_build_of_same_major_minor(
	void **state)
{
	(void)state;
	struct svc_facts f;
	svct_win7_facts(
		&f); /* Foundation 6.1.7601.17514 >= parent 6.1.7600.16385 */
	struct svc_applicability a;
	assert_int_equal(svct_verdict(&f, &svct_x86, &a), SVC_APPLIES);
	assert_int_equal(a.chosen, 0);
	assert_non_null(strstr(a.candidates[0].parent,
			       "Microsoft-Windows-Foundation-Package"));
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_parent_of_another_major_minor_does_not_satisfy(void **state)
{
	(void)state;
	struct svc_facts f;
	hvo_fg_facts(&f, "x86", 6, 0, 6002); /* Vista SP2's Foundation */
	hvo_fg_facts_package(&f, "Microsoft-Windows-Foundation-Package", "x86",
			     "6.0.6002.18005");
	struct svc_applicability a;
	enum svc_verdict v = svct_verdict(&f, &svct_x86, &a);
	/* The 6.x package lists a parent for 6.0 as well: then it is that
	 * parent that must be met, by its own major.minor. */
	bool six0 = false;
	for (size_t i = 0; i < svct_x86.pkg->nparents; i++)
		for (size_t k = 0; k < svct_x86.pkg->parents[i].nids; k++)
			six0 |= svct_x86.pkg->parents[i].ids[k].version !=
					NULL &&
				strncmp(svct_x86.pkg->parents[i].ids[k].version,
					"6.0.", 4) == 0;
	if (six0)
		assert_int_equal(v, SVC_APPLIES);
	else
		assert_int_equal(v, SVC_PARENTS);
	svc_applicability_free(&a);
	/* A 6.2 Foundation never satisfies a 6.1 parent. */
	svc_facts_free(&f);
	hvo_fg_facts(&f, "x86", 6, 1, 7601);
	hvo_fg_facts_package(&f, "Microsoft-Windows-Foundation-Package", "x86",
			     "6.2.9200.16384");
	assert_int_equal(svct_verdict(&f, &svct_x86, &a), SVC_PARENTS);
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_superseded_parent_does_not_satisfy(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_win7_facts(&f);
	f.packages[0].cbs_state = 0x50; /* superseded */
	struct svc_applicability a;
	assert_int_equal(svct_verdict(&f, &svct_x86, &a), SVC_PARENTS);
	assert_non_null(strstr(a.candidates[0].reason,
			       "Microsoft-Windows-Foundation-Package"));
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_install_pending_parent_satisfies(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_win7_facts(&f);
	f.packages[0].cbs_state = 0x60; /* offline DISM leaves it so */
	struct svc_applicability a;
	assert_int_equal(svct_verdict(&f, &svct_x86, &a), SVC_APPLIES);
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_guest_without_servicing_packages_gets_none(void **state)
{
	(void)state;
	struct svc_facts f;
	hvo_fg_facts(&f, "x86", 5, 1, 2600); /* XP: no CBS */
	struct svc_applicability a;
	assert_int_equal(svct_verdict(&f, &svct_x86, &a), SVC_PARENTS);
	assert_non_null(strstr(a.candidates[0].reason,
			       "no component-based servicing packages at all: "
			       "NT 5.1"));
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_no_windows_nothing_applies(void **state)
{
	(void)state;
	struct svc_facts f;
	svc_facts_init(&f, "empty.vhdx");
	struct svc_applicability a;
	assert_int_equal(svct_verdict(&f, &svct_x64, &a), SVC_NO_WINDOWS);
	assert_int_equal(a.chosen, -1);
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_newer_installed_version_is_up_to_date(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	hvo_fg_facts_vmbus(&f, "6.3.9600.20000");
	struct svc_applicability a;
	assert_int_equal(svct_verdict(&f, &svct_x64, &a), SVC_APPLIES);
	assert_true(a.up_to_date);
	assert_string_equal(a.installed_from, "vmbus.sys");
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_same_installed_version_is_up_to_date(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	hvo_fg_facts_vmbus(&f, VERSION62);
	struct svc_applicability a;
	svct_verdict(&f, &svct_x64, &a);
	assert_true(a.up_to_date);
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_older_installed_version_would_update(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	hvo_fg_facts_vmbus(&f, "6.2.9200.16384"); /* inbox */
	struct svc_applicability a;
	svct_verdict(&f, &svct_x64, &a);
	assert_false(a.up_to_date);
	assert_string_equal(a.installed, "6.2.9200.16384");
	assert_non_null(strstr(a.summary, "would update"));
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_registry_version_stands_in_without_vmbus(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	snprintf(f.ic_registry_version, sizeof(f.ic_registry_version), "%s",
		 VERSION62);
	struct svc_applicability a;
	svct_verdict(&f, &svct_x64, &a);
	assert_string_equal(a.installed_from, "registry");
	assert_true(a.up_to_date);
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

static void test_vmbus_version_wins_over_registry(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	snprintf(f.ic_registry_version, sizeof(f.ic_registry_version), "%s",
		 VERSION62);
	hvo_fg_facts_vmbus(&f, "6.2.9200.16384");
	struct svc_applicability a;
	svct_verdict(&f, &svct_x64, &a);
	assert_string_equal(a.installed_from, "vmbus.sys");
	assert_false(a.up_to_date);
	svc_applicability_free(&a);
	svc_facts_free(&f);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86_package_refused_on_x64_guest),
		cmocka_unit_test(test_x64_package_refused_on_x86_guest),
		cmocka_unit_test(test_unknown_architecture_guesses_nothing),
		cmocka_unit_test(
			test_parent_satisfied_by_newer_build_of_same_major_minor),
		cmocka_unit_test(
			test_parent_of_another_major_minor_does_not_satisfy),
		cmocka_unit_test(test_superseded_parent_does_not_satisfy),
		cmocka_unit_test(test_install_pending_parent_satisfies),
		cmocka_unit_test(
			test_guest_without_servicing_packages_gets_none),
		cmocka_unit_test(test_no_windows_nothing_applies),
		cmocka_unit_test(test_newer_installed_version_is_up_to_date),
		cmocka_unit_test(test_same_installed_version_is_up_to_date),
		cmocka_unit_test(test_older_installed_version_would_update),
		cmocka_unit_test(test_registry_version_stands_in_without_vmbus),
		cmocka_unit_test(test_vmbus_version_wins_over_registry),
	};
	return cmocka_run_group_tests(tests, svct_load_packages,
				      svct_free_packages);
}

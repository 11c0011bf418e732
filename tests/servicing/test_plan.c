/*
 * test_plan.c - the rules of planning (SERVICING.md section 3, step 6),
 * one rule per test; the rules of choosing the package are in
 * test_choose.c.
 *
 * The guests are synthetic facts (tests/lib/fakeguest.h): no disk, no
 * appliance, only the facts a rule reads.  The packages are the real
 * integration-services cabinets of ../shared/fixtures/ic, loaded once the
 * way a session loads a source (svc_source_package_load).  Expected
 * values come from the packages' own manifests and INFs, as
 * SERVICING.md describes them, and from sha256sum for digests.
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

#include "servicing/plan.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "tests/servicing/svctest.h"
#include "util/sha256.h"

/* ------------------------------------------------------------------ */
/* Planning (step 6).                                                  */
/* ------------------------------------------------------------------ */

static void test_nt62_writes_no_critical_device_database(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	assert_false(p->cdd);
	assert_int_equal(svct_count_keys_with(p, "CriticalDeviceDatabase"), 0);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_no_driver_database_is_written(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	assert_int_equal(svct_count_keys_with(p, "DriverDatabase"), 0);
	svc_plan_free(p);
	svc_facts_free(&f);
	svct_win7_facts(&f);
	p = svct_plan(&f, &svct_x86);
	assert_int_equal(svct_count_keys_with(p, "DriverDatabase"), 0);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_nt61_binds_boot_drivers_in_critical_device_database(
	void **state)
{
	(void)state;
	struct svc_facts f;
	svct_win7_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x86);
	svct_expect_boot_drivers_bound(p);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_nt61_demand_start_drivers_get_no_cdd_entry(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_win7_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x86);
	svct_expect_no_demand_start_cdd(p);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_current_control_set_maps_to_select_current(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	f.current_control_set = 3;
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	assert_int_equal(p->control_set, 3);
	assert_non_null(hvo_fg_plan_reg(
		p, SVC_HIVE_SYSTEM, "ControlSet003\\Services\\vmbus", "Start"));
	assert_int_equal(svct_count_keys_with(p, "CurrentControlSet"), 0);
	assert_int_equal(svct_count_keys_with(p, "ControlSet001"), 0);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_boot_bus_driver_starts_at_boot(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	const struct svc_plan_reg *r = hvo_fg_plan_reg(
		p, SVC_HIVE_SYSTEM, "ControlSet001\\Services\\vmbus", "Start");
	assert_non_null(r);
	assert_int_equal(r->type, 4); /* REG_DWORD */
	assert_int_equal(r->data[0], 0);
	r = hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM,
			    "ControlSet001\\Services\\vmbus", "Group");
	assert_string_equal(r->text, "System Bus Extender");
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_integration_services_version_is_the_package_version(
	void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	const struct svc_plan_reg *r = hvo_fg_plan_reg(
		p, SVC_HIVE_SOFTWARE, "Microsoft\\Virtual Machine\\Auto",
		"IntegrationServicesVersion");
	assert_non_null(r);
	assert_int_equal(r->type, 1); /* REG_SZ */
	assert_string_equal(r->text, VERSION62);
	assert_string_equal(p->version, VERSION62);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_cabinet_is_staged_with_its_digest(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	const struct svc_plan_file *c = hvo_fg_plan_file(p, p->staged_cab);
	assert_non_null(c);
	assert_int_equal(c->source, SVC_SRC_CABINET);
	assert_int_equal(c->role, SVC_ROLE_STAGE);
	assert_true(c->has_sha256);
	char got[65], want[65];
	hvo_int_sha256_hex(c->sha256, got);
	hvo_test_sha256_file(svct_cab62, want);
	assert_string_equal(got, want);
	assert_non_null(strstr(p->staged_cab,
			       "Windows6.2-HyperVIntegrationServices-x64.cab"));
	svc_plan_free(p);
	svc_facts_free(&f);
}

/* update.mum and update.cat have no manifest digest: their SHA-256 comes
 * from the one read of the cabinet when the source was loaded. */
static void test_package_manifest_and_catalog_staged_with_digests(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	static const char *const names[] = { "update.mum", "update.cat" };
	for (size_t i = 0; i < 2; i++) {
		char *dest;
		assert_true(asprintf(&dest, "%s\\%s", p->package_dir,
				     names[i]) > 0);
		const struct svc_plan_file *m = hvo_fg_plan_file(p, dest);
		free(dest);
		assert_non_null(m);
		assert_true(m->has_sha256);
		char got[65];
		hvo_int_sha256_hex(m->sha256, got);
		char *want = NULL;
		char cmd[4400];
		snprintf(cmd, sizeof(cmd),
			 "cabextract -q -p -F '%s' '%s' | sha256sum | "
			 "cut -c1-64 | tr -d '\\n'",
			 names[i], svct_cab62);
		if (!hvo_test_have_program("cabextract"))
			skip();
		assert_int_equal(hvo_test_run(cmd, &want), 0);
		assert_string_equal(got, want);
		free(want);
	}
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_every_file_but_the_record_has_a_digest(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_win7_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x86);
	size_t records = 0;
	for (size_t i = 0; i < p->nfiles; i++) {
		if (p->files[i].source == SVC_SRC_RECORD) {
			records++;
			continue;
		}
		if (!p->files[i].has_sha256)
			fail_msg("%s has no digest", p->files[i].dest);
	}
	assert_int_equal(records, 1);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_driver_folder_added_to_device_path(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	const struct svc_plan_reg *r = hvo_fg_plan_reg(
		p, SVC_HIVE_SOFTWARE, "Microsoft\\Windows\\CurrentVersion",
		"DevicePath");
	assert_non_null(r);
	assert_int_equal(r->kind, SVC_REG_PATH_ADD);
	assert_string_equal(r->text, "%SystemRoot%\\hvoffline\\Drivers");
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_component_services_join_svchost_groups(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	size_t adds = 0;
	for (size_t k = 0; k < p->nregs; k++)
		if (p->regs[k].kind == SVC_REG_MULTI_ADD &&
		    strstr(p->regs[k].key, "Svchost") != NULL &&
		    strncmp(p->regs[k].text, "vmic", 4) == 0)
			adds++;
	assert_true(adds >= 7); /* the seven vmic* services */
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_plug_and_play_sections_are_deferred(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	bool hw = false;
	for (size_t k = 0; k < p->ndeferred; k++)
		hw |= strstr(p->deferred[k].what, ".HW]") != NULL;
	assert_true(hw);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_each_destination_is_written_once(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	for (size_t i = 0; i < p->nfiles; i++)
		for (size_t k = i + 1; k < p->nfiles; k++)
			if (strcasecmp(p->files[i].dest, p->files[k].dest) == 0)
				fail_msg("%s planned twice", p->files[i].dest);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_system_root_keeps_its_spelling(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	snprintf(f.systemroot, sizeof(f.systemroot), "WINDOWS");
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	assert_non_null(
		hvo_fg_plan_file(p, "WINDOWS\\System32\\drivers\\vmbus.sys"));
	for (size_t i = 0; i < p->nfiles; i++)
		assert_int_equal(strncmp(p->files[i].dest, "WINDOWS\\", 8), 0);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_record_is_named_after_the_run(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	assert_string_equal(p->record, "Windows\\Logs\\hvoffline\\"
				       "apply-20251203T080000Z.json");
	const struct svc_plan_file *r = hvo_fg_plan_file(p, p->record);
	assert_non_null(r);
	assert_int_equal(r->source, SVC_SRC_RECORD);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_firstboot_hooks_winlogon_when_setup_is_free(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	assert_int_equal(p->firstboot, SVC_FIRSTBOOT_SETUP_CMDLINE);
	const struct svc_plan_reg *r =
		hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM, "Setup", "SetupType");
	assert_non_null(r);
	assert_true(r->firstboot);
	assert_int_equal(r->data[0], 2);
	r = hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM, "Setup", "CmdLine");
	assert_non_null(r);
	assert_non_null(strstr(r->text, "\\hvoffline\\firstboot.cmd"));
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_firstboot_uses_setupcomplete_in_generalized_image(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	snprintf(f.image_state, sizeof(f.image_state),
		 "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE");
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	assert_int_equal(p->firstboot, SVC_FIRSTBOOT_SETUPCOMPLETE);
	assert_null(hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM, "Setup", "SetupType"));
	assert_non_null(hvo_fg_plan_file(
		p, "Windows\\Setup\\Scripts\\SetupComplete.cmd"));
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_existing_setupcomplete_is_kept(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	f.setup_type = 1; /* a setup pass pending */
	f.setupcomplete_present = true;
	struct svc_plan *p = svct_plan(&f, &svct_x64);
	assert_int_equal(p->firstboot, SVC_FIRSTBOOT_SETUPCOMPLETE);
	size_t kept = 0;
	for (size_t i = 0; i < p->nfiles; i++)
		kept += p->files[i].source == SVC_SRC_GUEST_FILE;
	assert_int_equal(kept, 1);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_no_firstboot_plans_no_hook(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	struct svc_plan *p = svct_plan_opts(&f, &svct_x64, false);
	assert_int_equal(p->firstboot, SVC_FIRSTBOOT_NONE);
	assert_int_equal(svc_plan_count_files(p, SVC_ROLE_FIRSTBOOT), 0);
	assert_null(hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM, "Setup", "CmdLine"));
	for (size_t k = 0; k < p->nregs; k++)
		assert_false(p->regs[k].firstboot);
	svc_plan_free(p);
	svc_facts_free(&f);
}

static void test_plan_needs_a_control_set(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	f.current_control_set = 0;
	struct svc_plan_opts po = { .firstboot = true, .now = 1 };
	struct svc_plan *p = NULL;
	struct svc_error err = { 0 };
	assert_int_equal(svc_plan_build(&f, &svct_x64, &po, &p, &err),
			 SVC_ERR_INVALID);
	assert_null(p);
	assert_non_null(strstr(svc_int_errtext(&err), "control set"));
	assert_int_equal(svc_exit_class(err.code), HVO_EXIT_USAGE);
	svc_int_error_clear(&err);
	svc_facts_free(&f);
}

static void test_plan_needs_an_architecture(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_ws2012_facts(&f);
	f.arch[0] = '\0';
	struct svc_plan_opts po = { .firstboot = true, .now = 1 };
	struct svc_plan *p = NULL;
	assert_int_equal(svc_plan_build(&f, &svct_x64, &po, &p, NULL),
			 SVC_ERR_INVALID);
	assert_null(p);
	svc_facts_free(&f);
}

static void test_plan_needs_windows(void **state)
{
	(void)state;
	struct svc_facts f;
	svc_facts_init(&f, "empty.vhdx");
	struct svc_plan_opts po = { .firstboot = true, .now = 1 };
	struct svc_plan *p = NULL;
	assert_int_equal(svc_plan_build(&f, &svct_x64, &po, &p, NULL),
			 SVC_ERR_INVALID);
	svc_facts_free(&f);
}

/* The plan is a pure function of its inputs. */
static void test_same_facts_give_the_same_plan(void **state)
{
	(void)state;
	struct svc_facts f;
	svct_win7_facts(&f);
	char *text[2];
	for (int k = 0; k < 2; k++) {
		struct svc_plan *p = svct_plan(&f, &svct_x86);
		size_t len;
		FILE *m = open_memstream(&text[k], &len);
		struct json_writer w;
		hvo_int_json_init(&w, m, false);
		hvo_int_json_begin_object(&w);
		svc_plan_json(p, &w);
		hvo_int_json_end_object(&w);
		assert_int_equal(hvo_int_json_finish(&w), 0);
		fclose(m);
		svc_plan_free(p);
	}
	assert_string_equal(text[0], text[1]);
	free(text[0]);
	free(text[1]);
	svc_facts_free(&f);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nt62_writes_no_critical_device_database),
		cmocka_unit_test(test_no_driver_database_is_written),
		cmocka_unit_test(
			test_nt61_binds_boot_drivers_in_critical_device_database),
		cmocka_unit_test(
			test_nt61_demand_start_drivers_get_no_cdd_entry),
		cmocka_unit_test(
			test_current_control_set_maps_to_select_current),
		cmocka_unit_test(test_boot_bus_driver_starts_at_boot),
		cmocka_unit_test(
			test_integration_services_version_is_the_package_version),
		cmocka_unit_test(test_cabinet_is_staged_with_its_digest),
		cmocka_unit_test(
			test_package_manifest_and_catalog_staged_with_digests),
		cmocka_unit_test(test_every_file_but_the_record_has_a_digest),
		cmocka_unit_test(test_driver_folder_added_to_device_path),
		cmocka_unit_test(test_component_services_join_svchost_groups),
		cmocka_unit_test(test_plug_and_play_sections_are_deferred),
		cmocka_unit_test(test_each_destination_is_written_once),
		cmocka_unit_test(test_system_root_keeps_its_spelling),
		cmocka_unit_test(test_record_is_named_after_the_run),
		cmocka_unit_test(
			test_firstboot_hooks_winlogon_when_setup_is_free),
		cmocka_unit_test(
			test_firstboot_uses_setupcomplete_in_generalized_image),
		cmocka_unit_test(test_existing_setupcomplete_is_kept),
		cmocka_unit_test(test_no_firstboot_plans_no_hook),
		cmocka_unit_test(test_plan_needs_a_control_set),
		cmocka_unit_test(test_plan_needs_an_architecture),
		cmocka_unit_test(test_plan_needs_windows),
		cmocka_unit_test(test_same_facts_give_the_same_plan),
	};
	return cmocka_run_group_tests(tests, svct_load_packages,
				      svct_free_packages);
}

/*
 * test_apply_rollback.c - apply with the real 6.2 package, then services
 * and reg --image changes, then rollback, on the host-directory backend
 * (issue 18): the volume's checksum listing (the record folder aside)
 * and the hives byte for byte equal those before apply; a second
 * rollback has nothing to do; after a simulated first boot rollback
 * refuses with exit 4.
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
#include "servicing/rollback.h"
#include "servicing/services_reg.h"
#include "servicing/services_set.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"

#define CAB62 "ic/Windows6.2-HyperVIntegrationServices-x64.cab"

/* A Server 2012 guest, when hivexregedit, cabextract and python3 are
 * installed. */
static int setup(void **state)
{
	static const char *const tools[] = { "hivexregedit", "cabextract",
					     "python3", NULL };
	*state = (void *)tools;
	hvo_fg_setup(state);
	hvo_fg_ws2012();
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

/* The apply command's pipeline on the host-directory guest. */
static void do_apply(void)
{
	struct hvo_fg_guest g;
	hvo_fg_guest_open(&g, CAB62, true);
	struct svc_apply_result r;
	if (hvo_fg_guest_apply(&g, 0, 0, &r) != HVO_EXIT_OK)
		fail_msg("apply: %s", svc_apply_errmsg(&r));
	for (size_t i = 0; i < r.nwarnings; i++)
		fail_msg("apply warned: %s", r.warnings[i]);
	svc_apply_result_free(&r);
	hvo_fg_guest_close(&g);
}

static void later_changes(void)
{
	struct guest_fs *fs = hvo_fg_fs("vol");
	const char *dis[] = { "Time Synchronization" };
	struct svc_services_opts so = { .image = "g",
					.systemroot = "Windows",
					.tmpdir = hvo_fg_at("scratch"),
					.disable = dis,
					.ndisable = 1 };
	struct svc_services_result sr;
	assert_int_equal(svc_services_run(fs, &so, &sr), HVO_EXIT_OK);
	assert_int_equal(sr.nchanged, 1);
	svc_services_result_free(&sr);
	guest_fs_close(fs);
	fs = hvo_fg_fs("vol");
	uint8_t d[4] = { 1, 0, 0, 0 };
	struct svc_reg_image_opts ro = {
		.image = "g",
		.systemroot = "Windows",
		.tmpdir = hvo_fg_at("scratch"),
		.op = SVC_REGOP_SET,
		.path = "HKLM\\SOFTWARE\\Microsoft\\Virtual Machine\\Auto",
		.value = "Later",
		.type = REG_TYPE_DWORD,
		.data = d,
		.len = 4,
	};
	struct svc_reg_image_result rr;
	assert_int_equal(svc_reg_image_run(fs, &ro, &rr), HVO_EXIT_OK);
	svc_reg_image_result_free(&rr);
	guest_fs_close(fs);
}

static void test_apply_then_rollback(void **state)
{
	(void)state;
	char *before = listing();
	do_apply();
	char *mid = listing();
	assert_string_not_equal(before, mid);
	free(mid);
	later_changes();

	struct svc_rollback_result r;
	assert_int_equal(hvo_fg_rollback(false, &r), HVO_EXIT_OK);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[2].command, "apply");
	svc_rollback_result_free(&r);
	char *after = listing();
	assert_string_equal(before, after);
	free(after);
	free(before);

	assert_int_equal(hvo_fg_rollback(false, &r), HVO_EXIT_OK);
	assert_int_equal(r.n, 0);
	svc_rollback_result_free(&r);
}

static void test_refused_after_first_boot(void **state)
{
	(void)state;
	do_apply();
	/* The first-boot step ran: Windows wrote its SYSTEM hive (Setup
	 * CmdLine cleared). */
	static const char reg[] =
		"Windows Registry Editor Version 5.00\n\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\Setup]\n\"CmdLine\"=\"\"\n";
	hvo_fg_merge("vol/Windows/System32/config/SYSTEM", "SYSTEM", reg);
	struct svc_rollback_result r;
	assert_int_equal(hvo_fg_rollback(false, &r), HVO_EXIT_REFUSED);
	assert_true(r.nchanged >= 1);
	assert_non_null(strstr(r.changed[0], "SYSTEM"));
	svc_rollback_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_then_rollback, setup,
						hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_refused_after_first_boot,
						setup, hvo_fg_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

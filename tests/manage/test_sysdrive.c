/*
 * test_sysdrive.c - $(runtime.*) expansions use the guest's own system
 * drive and SystemRoot, read from its SOFTWARE hive, never a fixed C:
 * (issue 18): a guest installed as D:\WINNT is inspected on the
 * host-directory backend, and the plan of the real 6.2 package for it
 * says D:\WINNT wherever a full path is written.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "servicing/inspect.h"
#include "servicing/inspect_source.h"
#include "servicing/plan.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"

#define CAB62 "ic/Windows6.2-HyperVIntegrationServices-x64.cab"

static const char *const ws2012_packages[] = {
	"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~6.2."
	"9200.16384",
	"Microsoft-Hyper-V-Guest-Integration-Drivers-Package~31bf3856ad364e35~"
	"amd64~~6.2.9200.16384",
	NULL
};

/* A ws2012 guest whose SystemRoot value is @value, in folder @root. */
static void guest(const char *root, const char *value)
{
	hvo_fg_windows("vol", root, "ws2012-x64", "amd64", "6.2.9200.16384",
		       "6.2.9200.16384");
	for (size_t i = 0; ws2012_packages[i]; i++)
		hvo_fg_sh("touch 'vol/%s/servicing/Packages/%s.mum'", root,
			  ws2012_packages[i]);
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

static void inspect(struct svc_facts *f)
{
	struct guest_disk *disk;
	struct guest_hostdir_volume vol = { .root = hvo_fg_at("vol"),
					    .partnum = 1,
					    .size = 64 << 20,
					    .fstype = "ntfs",
					    .mbr_id = 0x07 };
	struct guest_hostdir_disk spec = { "guest.vhdx", GUEST_PTABLE_MBR,
					   64 << 20, 1, &vol };
	assert_int_equal(guest_hostdir_disk_open(&spec, &disk), GUEST_OK);
	svc_facts_init(f, "guest.vhdx");
	f->preflight_ok = true;
	struct svc_inspect_opts io = { .tmpdir = hvo_fg_at("scratch") };
	assert_int_equal(svc_inspect_disk(disk, &io, f), SVC_OK);
	svc_inspect_evaluate(f);
	guest_disk_close(disk);
}

/* The plan of the 6.2 package for @f, as text (caller frees). */
static char *plan_text(const struct svc_facts *f)
{
	char cab[4096];
	snprintf(cab, sizeof(cab), "%s", hvo_fixture(CAB62));
	struct svc_source_package sp;
	assert_int_equal(svc_source_package_load(cab, cab, &sp), SVC_OK);
	struct svc_plan_opts po = { .firstboot = true, .now = 1764748800 };
	struct svc_plan *plan;
	struct svc_error err = { 0 };
	if (svc_plan_build(f, &sp, &po, &plan, &err) != SVC_OK)
		fail_msg("plan: %s", svc_int_errtext(&err));
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	struct json_writer w;
	hvo_int_json_init(&w, m, true);
	hvo_int_json_begin_object(&w);
	svc_plan_json(plan, &w);
	hvo_int_json_end_object(&w);
	assert_int_equal(hvo_int_json_finish(&w), 0);
	svc_plan_text(plan, m);
	fclose(m);
	svc_plan_free(plan);
	svc_source_package_free(&sp);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	if (!hvo_test_have_program("hivexregedit") ||
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

static void test_d_winnt(void **state)
{
	(void)state;
	guest("WINNT", "D:\\\\WINNT");
	struct svc_facts f;
	inspect(&f);
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_string_equal(f.systemroot, "WINNT");
	assert_string_equal(f.systemroot_value, "D:\\WINNT");
	assert_string_equal(f.system_drive, "D:");
	char *t = plan_text(&f);
	/* Full paths name the guest's drive; none names C:. */
	assert_non_null(strstr(t, "D:\\\\WINNT\\\\")); /* JSON */
	assert_non_null(strstr(t, "D:\\WINNT\\"));     /* text */
	assert_null(strstr(t, "C:\\"));
	/* Files land below the guest's own system root. */
	assert_non_null(strstr(t, "WINNT\\\\System32\\\\drivers\\\\"));
	free(t);
	svc_facts_free(&f);
}

/* A value that does not name the system root found is not trusted: the
 * drive stays unknown and the plan uses C:. */
static void test_value_elsewhere(void **state)
{
	(void)state;
	guest("Windows", "E:\\\\Other");
	struct svc_facts f;
	inspect(&f);
	assert_string_equal(f.systemroot_value, "E:\\Other");
	assert_string_equal(f.system_drive, "");
	char *t = plan_text(&f);
	assert_null(strstr(t, "E:\\"));
	free(t);
	svc_facts_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_d_winnt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_elsewhere, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

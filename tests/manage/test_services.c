/*
 * test_services.c - listing, disabling and enabling integration services
 * (src/servicing/services*.c) on the host-directory backend: no
 * appliance.
 *
 * A guest is a host directory laid out like the ws2012-x64 test image
 * (hives merged from tests/fixtures/reg recipes into hivex's minimal hive,
 * current control set 2), with IC services added by a .reg written here;
 * and the real, dirty Windows 10 SYSTEM_B hive with its logs from
 * ../shared/fixtures.  What was written is judged by hivexsh.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "servicing/services.h"
#include "servicing/services_set.h"
#include "servicing/services_undo.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"

/* Services of the test guest, beside the recipe's vmbus: the 6.2
 * manifest's time sync (trigger start) and heartbeat (disabled, no
 * trigger), a driver whose binary is missing, and VMware's vmci.sys,
 * which must not count as an integration service. */
static const char extra_reg[] =
	"Windows Registry Editor Version 5.00\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\vmictimesync]\n"
	"\"Type\"=dword:00000020\n"
	"\"Start\"=dword:00000003\n"
	"\"DisplayName\"=\"@%systemroot%\\\\system32\\\\icsvc.dll,-2301\"\n"
	"\"ImagePath\"=\"%systemroot%\\\\system32\\\\svchost.exe -k "
	"LocalServiceNetworkRestricted\"\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\vmictimesync\\"
	"Parameters]\n"
	"\"ServiceDll\"=\"%SystemRoot%\\\\System32\\\\ICSvc.dll\"\n"
	"\"ServiceMain\"=\"TimesyncServiceMain\"\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\vmictimesync\\"
	"TriggerInfo]\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\vmictimesync\\"
	"TriggerInfo\\0]\n"
	"\"Type\"=dword:00000001\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\vmicheartbeat]\n"
	"\"Type\"=dword:00000020\n"
	"\"Start\"=dword:00000004\n"
	"\"DisplayName\"=\"Hyper-V Heartbeat Service\"\n"
	"\"ImagePath\"=\"%systemroot%\\\\system32\\\\svchost.exe -k "
	"ICService\"\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\vmicheartbeat\\"
	"Parameters]\n"
	"\"ServiceDll\"=\"%SystemRoot%\\\\System32\\\\ICSvc.dll\"\n"
	"\"ServiceMain\"=\"HeartbeatServiceMain\"\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\storvsc]\n"
	"\"Type\"=dword:00000001\n"
	"\"Start\"=dword:00000000\n"
	"\"ImagePath\"=\"System32\\\\drivers\\\\storvsc.sys\"\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\vmci]\n"
	"\"Type\"=dword:00000001\n"
	"\"Start\"=dword:00000003\n"
	"\"ImagePath\"=\"system32\\\\DRIVERS\\\\vmci.sys\"\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\vmictimesync]\n"
	"\"Type\"=dword:00000020\n"
	"\"Start\"=dword:00000003\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\vmictimesync\\"
	"Parameters]\n"
	"\"ServiceDll\"=\"%SystemRoot%\\\\System32\\\\ICSvc.dll\"\n";

static void ws2012_guest(void)
{
	hvo_fg_sh("mkdir -p vol/Windows/System32/config "
		  "vol/Windows/System32/drivers");
	const char *sys = "vol/Windows/System32/config/SYSTEM";
	hvo_fg_hive("ws2012-x64-system", sys);
	hvo_fg_merge(sys, "SYSTEM", extra_reg);
	hvo_fg_sh("echo stub > vol/Windows/System32/icsvc.dll;"
		  "echo stub > vol/Windows/System32/drivers/vmbus.sys;"
		  "echo stub > vol/Windows/System32/drivers/vmci.sys");
}

/* The guest's SYSTEM hive on the host, in a buffer of its own
 * (hvo_fg_at() reuses its buffers). */
static const char *system_hive(void)
{
	static char sys[4096];
	snprintf(sys, sizeof(sys), "%s",
		 hvo_fg_at("vol/Windows/System32/config/SYSTEM"));
	return sys;
}

static enum hvo_exit run(const char *const *en, size_t nen,
			 const char *const *dis, size_t ndis, bool dry,
			 struct svc_services_result *res)
{
	struct guest_fs *fs = hvo_fg_fs("vol");
	struct svc_services_opts o = {
		.image = "guest.vhdx",
		.systemroot = "Windows",
		.tmpdir = hvo_fg_at("scratch"),
		.enable = en,
		.nenable = nen,
		.disable = dis,
		.ndisable = ndis,
		.dry_run = dry,
	};
	enum hvo_exit x = svc_services_run(fs, &o, res);
	guest_fs_close(fs);
	return x;
}

static void test_list(void **state)
{
	(void)state;
	ws2012_guest();
	struct svc_services_result r;
	assert_int_equal(run(NULL, 0, NULL, 0, false, &r), HVO_EXIT_OK);
	const struct svc_ic_list *l = &r.list;
	assert_int_equal(l->control_set, 2);
	assert_int_equal(l->n, 4); /* not vmci */
	assert_null(svc_ic_find(l, "vmci"));
	/* Sorted: user-mode services by Hyper-V name, then drivers. */
	assert_string_equal(l->v[0].name, "vmicheartbeat");
	assert_string_equal(l->v[0].hyperv_name, "Heartbeat");
	assert_int_equal(l->v[0].start, SVC_START_DISABLED);
	const struct svc_ic_service *t = &l->v[1];
	assert_string_equal(t->name, "vmictimesync");
	assert_string_equal(t->hyperv_name, "Time Synchronization");
	assert_true(t->trigger);
	assert_int_equal(t->start, SVC_START_MANUAL);
	assert_true(t->display_unresolved);
	assert_string_equal(t->binary_path, "Windows\\System32\\ICSvc.dll");
	assert_true(t->binary_checked && t->binary_present);
	const struct svc_ic_service *vb = svc_ic_find(l, "VMBUS");
	assert_non_null(vb);
	assert_true(vb->driver);
	assert_false(vb->display_unresolved);
	assert_string_equal(vb->display_name,
			    "Microsoft Hyper-V Virtual Machine Bus");
	assert_int_equal(vb->start, SVC_START_BOOT);
	assert_true(vb->binary_present);
	const struct svc_ic_service *sv = svc_ic_find(l, "storvsc");
	assert_non_null(sv);
	assert_true(sv->binary_checked);
	assert_false(sv->binary_present);
	assert_ptr_equal(svc_ic_find(l, "time SYNCHRONIZATION"), t);
	svc_services_result_free(&r);
}

/* A run that succeeds with @nchanged changes but leaves the SYSTEM hive
 * byte-identical and writes no record (a dry run, or nothing to do). */
static void run_unchanged(const char *const *en, size_t nen,
			  const char *const *dis, size_t ndis, bool dry,
			  size_t nchanged)
{
	const char *sys = system_hive();
	char before[65];
	hvo_test_sha256_file(sys, before);
	struct svc_services_result r;
	assert_int_equal(run(en, nen, dis, ndis, dry, &r), HVO_EXIT_OK);
	assert_int_equal(r.nchanged, nchanged);
	assert_null(r.record);
	svc_services_result_free(&r);
	hvo_test_expect_sha256(sys, before);
}

static void test_disable_enable(void **state)
{
	(void)state;
	ws2012_guest();
	const char *sys = system_hive();
	const char *dis[] = { "vmictimesync" };
	const char *en[] = { "Time Synchronization", "heartbeat" };
	struct svc_services_result r;

	/* A dry run writes nothing. */
	run_unchanged(NULL, 0, dis, 1, true, 1);

	assert_int_equal(run(NULL, 0, dis, 1, false, &r), HVO_EXIT_OK);
	assert_int_equal(r.nchanged, 1);
	assert_non_null(r.record);
	svc_services_result_free(&r);
	char *v = hvo_fg_hivexget(
		sys, "\\ControlSet002\\Services\\vmictimesync", "Start");
	assert_string_equal(v, "4");
	free(v);
	/* Not the control set that is not current. */
	v = hvo_fg_hivexget(sys, "\\ControlSet001\\Services\\vmictimesync",
			    "Start");
	assert_string_equal(v, "3");
	free(v);
	v = hvo_fg_line("ls vol/Windows/Logs/hvoffline | sed "
			"'s/-[0-9TZ]*-000001\\./-X./' "
			"| sort | tr '\\n' ' '");
	assert_string_equal(v, "services-X.json services-X.undo ");
	free(v);

	/* Enable: time sync from the record, heartbeat (no record, no
	 * trigger) the 6.x package's automatic start. */
	assert_int_equal(run(en, 2, NULL, 0, false, &r), HVO_EXIT_OK);
	assert_int_equal(r.nchanged, 2);
	for (size_t i = 0; i < r.n; i++) {
		if (strcmp(r.v[i].service, "vmictimesync") == 0)
			assert_string_equal(r.v[i].why, "record");
		else
			assert_string_equal(r.v[i].why, "package default");
	}
	svc_services_result_free(&r);
	v = hvo_fg_hivexget(sys, "\\ControlSet002\\Services\\vmictimesync",
			    "Start");
	assert_string_equal(v, "3");
	free(v);
	v = hvo_fg_hivexget(sys, "\\ControlSet002\\Services\\vmicheartbeat",
			    "Start");
	assert_string_equal(v, "2");
	free(v);

	/* Enabling again changes nothing and leaves no record. */
	run_unchanged(en, 2, NULL, 0, false, 0);
}

static void test_unknown_name(void **state)
{
	(void)state;
	ws2012_guest();
	const char *sys = system_hive();
	char before[65];
	hvo_test_sha256_file(sys, before);
	const char *dis[] = { "vmictimesync", "vmci" };
	struct svc_services_result r;
	assert_int_equal(run(NULL, 0, dis, 2, false, &r), HVO_EXIT_USAGE);
	assert_non_null(strstr(svc_services_errmsg(&r), "vmci"));
	svc_services_result_free(&r);
	hvo_test_expect_sha256(sys, before);
	/* No record folder either (the path is the test directory's: the
	 * check ran in the working directory before, where it always held). */
	assert_int_equal(access(hvo_fg_at("vol/Windows/Logs"), F_OK), -1);
}

/* The real Windows 10 SYSTEM_B: dirty, with the logs that recover it. */
static void test_real_dirty_hive(void **state)
{
	(void)state;
	hvo_fg_dirty_system("vol");
	struct svc_services_result r;
	assert_int_equal(run(NULL, 0, NULL, 0, false, &r), HVO_EXIT_OK);
	assert_true(r.hive_recovered);
	static const char *const expect[][2] = {
		{ "vmicguestinterface", "Guest Service Interface" },
		{ "vmicheartbeat", "Heartbeat" },
		{ "vmickvpexchange", "Key-Value Pair Exchange" },
		{ "vmicshutdown", "Shutdown" },
		{ "vmictimesync", "Time Synchronization" },
		{ "vmicvss", "VSS" },
		{ "vmicvmsession", "PowerShell Direct" },
		{ "vmicrdv", "Remote Desktop Virtualization" },
	};
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		const struct svc_ic_service *s =
			svc_ic_find(&r.list, expect[i][1]);
		assert_non_null(s);
		assert_string_equal(s->name, expect[i][0]);
		assert_true(s->trigger);
		assert_int_equal(s->start, SVC_START_MANUAL);
	}
	assert_non_null(svc_ic_find(&r.list, "vmbus"));
	assert_non_null(svc_ic_find(&r.list, "storflt"));
	svc_services_result_free(&r);

	const char *dis[] = { "VSS" };
	assert_int_equal(run(NULL, 0, dis, 1, false, &r), HVO_EXIT_OK);
	assert_true(r.hive_recovered);
	svc_services_result_free(&r);
	const char *sys = system_hive();
	char *v = hvo_fg_hivexget(sys, "\\ControlSet001\\Services\\vmicvss",
				  "Start");
	assert_string_equal(v, "4");
	free(v);
	/* Clean now, with its logs emptied after the switch. */
	v = hvo_fg_line(
		"stat -c %%s vol/Windows/System32/config/SYSTEM.LOG1 "
		"vol/Windows/System32/config/SYSTEM.LOG2 | tr '\\n' ' '");
	assert_string_equal(v, "0 0 ");
	free(v);
}

static void test_undo_format(void **state)
{
	(void)state;
	struct svc_undo u = { .command = "reg", .time = "t" };
	uint8_t d[] = { 3, 0, 0, 0 };
	assert_int_equal(
		svc_undo_add_value(&u, "SYSTEM", "A\\B c", "", true, 4, d, 4),
		0);
	assert_int_equal(
		svc_undo_add_value(&u, "SOFTWARE", "K", "n", false, 0, NULL, 0),
		0);
	assert_int_equal(svc_undo_add_hive(&u, "DEFAULT", "W\\x y"), 0);
	char *text = svc_undo_format(&u);
	assert_non_null(text);
	struct svc_undo p;
	assert_int_equal(
		svc_undo_parse((const uint8_t *)text, strlen(text), &p, NULL),
		SVC_OK);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.ops[0].key, "A\\B c");
	assert_string_equal(p.ops[0].name, "");
	assert_true(p.ops[0].existed);
	assert_int_equal(p.ops[0].len, 4);
	assert_false(p.ops[1].existed);
	assert_string_equal(p.ops[2].saved, "W\\x y");
	svc_undo_free(&p);
	svc_undo_free(&u);
	free(text);
	/* Each malformed text is corrupt input, with the message the
	 * rollback and verify reports quote (the line and what is wrong). */
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "truncated header" },
		{ "hvoffline-undo 1\n", "truncated header" },
		{ "hvoffline-undo 2\ncommand a\ntime b\n",
		  "line 1: not an hvoffline undo file" },
		{ "hvoffline-undo 1\ncommand a\ntime b\nvalue SYSTEM x4 x "
		  "absent",
		  "line 4: no line end" },
		{ "hvoffline-undo 1\ncommand a\ntime b\nvalue SAM x41 x "
		  "absent\n",
		  "line 4: unknown line" },
		{ "hvoffline-undo 1\ncommand a\ntime b\nvalue SYSTEM x4 x 4 "
		  "x1\n",
		  "line 4: bad value line" },
		{ "hvoffline-undo 1\ncommand a\ntime b\nvalue SYSTEM x4100 x "
		  "absent\n",
		  "line 4: bad value line" },
		{ "hvoffline-undo 1\ncommand a\ntime b\nvalue SYSTEM x41 x -1 "
		  "x\n",
		  "line 4: bad value line" },
		{ "hvoffline-undo 1\ncommand a\ntime b\nhive SYSTEM x\n",
		  "line 4: bad hive line" },
		{ "hvoffline-undo 1\ncommand a\ntime b\nfile x41\n",
		  "line 4: unknown line" },
		{ "hvoffline-undo 1\ncommand\ntime b\n",
		  "line 2: expected command" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct svc_error err = { 0 };
		assert_int_equal(svc_undo_parse((const uint8_t *)bad[i].text,
						strlen(bad[i].text), &p, &err),
				 SVC_ERR_CORRUPT);
		assert_int_equal(err.code, SVC_ERR_CORRUPT);
		assert_string_equal(svc_int_errtext(&err), bad[i].why);
		assert_int_equal(p.n, 0);
		svc_int_error_clear(&err);
	}
}

/* What every test needs installed. */
static const char *const tools[] = { "hivexregedit", "hivexget", NULL };

int main(void)
{
	const struct CMUnitTest tests[] = {
		HVO_FG_TEST(test_list, tools),
		HVO_FG_TEST(test_disable_enable, tools),
		HVO_FG_TEST(test_unknown_name, tools),
		HVO_FG_TEST(test_real_dirty_hive, tools),
		cmocka_unit_test(test_undo_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

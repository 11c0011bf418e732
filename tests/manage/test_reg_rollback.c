/*
 * test_reg_rollback.c - `reg --image` (src/servicing/services_reg.c) and
 * `rollback` (src/servicing/rollback.c) on the host-directory backend.
 *
 * The guest is laid out like the ws2012-x64 test image (current control
 * set 2).  Results are judged by hivexget and hivexregedit --export; the
 * rollback round trip compares exports of both hives and a checksum
 * listing of the volume (the record folder aside) with those taken before
 * the changes.
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
#include "servicing/rollback.h"
#include "servicing/services_reg.h"
#include "servicing/services_set.h"
#include "servicing/services_undo.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"

#define SYS  "vol/Windows/System32/config/SYSTEM"
#define SOFT "vol/Windows/System32/config/SOFTWARE"

static void ws2012_guest(void)
{
	hvo_fg_sh("mkdir -p vol/Windows/System32/config");
	hvo_fg_hive("ws2012-x64-system", SYS);
	hvo_fg_hive("ws2012-x64-software", SOFT);
	/* One integration service to turn off and on. */
	static const char reg[] =
		"Windows Registry Editor Version 5.00\n\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\"
		"vmicheartbeat]\n"
		"\"Type\"=dword:00000020\n\"Start\"=dword:00000003\n\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\"
		"vmicheartbeat\\Parameters]\n"
		"\"ServiceDll\"=\"%SystemRoot%\\\\System32\\\\icsvc.dll\"\n";
	hvo_fg_merge(SYS, "SYSTEM", reg);
	hvo_fg_sh("echo kernel > vol/Windows/System32/ntoskrnl.exe");
}

static enum hvo_exit reg_image(struct svc_reg_image_opts *o)
{
	struct guest_fs *fs = hvo_fg_fs("vol");
	o->image = "guest.vhdx";
	o->systemroot = "Windows";
	o->tmpdir = hvo_fg_at("scratch");
	struct svc_reg_image_result r;
	enum hvo_exit x = svc_reg_image_run(fs, o, &r);
	if (x != HVO_EXIT_OK)
		print_message("reg --image: %s\n", svc_reg_image_errmsg(&r));
	svc_reg_image_result_free(&r);
	guest_fs_close(fs);
	return x;
}

static enum hvo_exit set_dword(const char *path, const char *name, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };
	struct svc_reg_image_opts o = { .op = SVC_REGOP_SET,
					.path = path,
					.value = name,
					.type = REG_TYPE_DWORD,
					.data = d,
					.len = 4 };
	return reg_image(&o);
}

/* Both hives as hivexregedit exports them, and every other file's
 * checksum (the record folder aside). */
static char *state_of_guest(void)
{
	return hvo_fg_line(
		"hivexregedit --export " SYS
		" '\\' --prefix 'HKEY_LOCAL_MACHINE\\SYSTEM' | md5sum;"
		"hivexregedit --export " SOFT
		" '\\' --prefix 'HKEY_LOCAL_MACHINE\\SOFTWARE' | md5sum;"
		"cd vol && find . -type f ! -path './Windows/Logs/*' "
		"! -name SYSTEM ! -name SOFTWARE | sort | xargs md5sum");
}

static void test_ccs_lands_in_current(void **state)
{
	(void)state;
	ws2012_guest();
	assert_int_equal(set_dword("HKLM\\SYSTEM\\CurrentControlSet\\Services"
				   "\\vmbus",
				   "Start", 3),
			 HVO_EXIT_OK);
	char *v = hvo_fg_line("hivexget " SYS
			      " '\\ControlSet002\\Services\\vmbus' "
			      "Start");
	assert_string_equal(v, "3");
	free(v);
	/* ControlSet001's vmbus already had 3: it must be untouched. */
	v = hvo_fg_line("hivexget " SYS " '\\ControlSet001\\Services\\vmbus' "
			"ImagePath");
	assert_string_equal(v, "system32\\drivers\\old.sys");
	free(v);
	/* A key of no hive we edit: usage error, nothing written. */
	assert_int_equal(set_dword("HKLM\\SAM\\X", "v", 1), HVO_EXIT_USAGE);
	/* HKEY_LOCAL_MACHINE spelled out, and a get. */
	struct svc_reg_image_opts g = {
		.op = SVC_REGOP_GET,
		.path = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT"
			"\\CurrentVersion",
		.value = "CurrentBuild",
	};
	assert_int_equal(reg_image(&g), HVO_EXIT_OK);
}

static void test_dirty_hive_keeps_logged_changes(void **state)
{
	(void)state;
	hvo_fg_dirty_system("vol");
	/* What Windows would read: the hive recovered from its logs, by
	 * registry/'s host-side recovery, exported by hivexregedit. */
	hvo_fg_sh("mkdir ref; cp vol/Windows/System32/config/SYSTEM* ref/;"
		  "'%s/hvoffline' reg recover --in-place ref/SYSTEM >/dev/null;"
		  "hivexregedit --export ref/SYSTEM '\\' > ref.reg",
		  hvo_test_builddir());
	assert_int_equal(set_dword("HKLM\\SYSTEM\\CurrentControlSet\\Control",
				   "HvoTest", 7),
			 HVO_EXIT_OK);
	char *v = hvo_fg_line("hivexget " SYS
			      " '\\ControlSet001\\Control' HvoTest");
	assert_string_equal(v, "7");
	free(v);
	/* Everything else is as recovered: the logged changes survive. */
	hvo_fg_sh("hivexregedit --export " SYS
		  " '\\' | grep -v '^\"HvoTest\"=' "
		  "> now.reg; cmp ref.reg now.reg");
}

static void test_rollback_round_trip(void **state)
{
	(void)state;
	ws2012_guest();
	char *before = state_of_guest();

	/* Nothing recorded yet. */
	struct svc_rollback_result rb;
	assert_int_equal(hvo_fg_rollback(false, &rb), HVO_EXIT_OK);
	assert_int_equal(rb.n, 0);
	svc_rollback_result_free(&rb);

	/* A service disabled, a value changed, a new key, a deleted value,
	 * an import into SOFTWARE. */
	hvo_fg_disable("vmicheartbeat");
	assert_int_equal(set_dword("HKLM\\SYSTEM\\CurrentControlSet\\Services"
				   "\\vmbus",
				   "Start", 1),
			 HVO_EXIT_OK);
	assert_int_equal(set_dword("HKLM\\SOFTWARE\\Hvo\\New", "x", 1),
			 HVO_EXIT_OK);
	struct svc_reg_image_opts del = {
		.op = SVC_REGOP_DELETE,
		.path = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
		.value = "EditionID",
	};
	assert_int_equal(reg_image(&del), HVO_EXIT_OK);
	static const char imp[] =
		"Windows Registry Editor Version 5.00\n\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Imported]\n\"a\"=\"b\"\n";
	hvo_test_write_file(hvo_fg_at("imp.reg"), imp, strlen(imp));
	struct svc_reg_image_opts io = { .op = SVC_REGOP_IMPORT,
					 .reg_file = hvo_fg_at("imp.reg") };
	assert_int_equal(reg_image(&io), HVO_EXIT_OK);
	char *v = hvo_fg_line("hivexget " SOFT " '\\Imported' a");
	assert_string_equal(v, "b");
	free(v);
	char *mid = state_of_guest();
	assert_string_not_equal(before, mid);
	free(mid);

	/* Windows ran: a hive changed behind our back.  Refused. */
	hvo_fg_sh("cp " SOFT " soft.keep");
	hvo_fg_sh("printf 'Windows Registry Editor Version 5.00\\n\\n"
		  "[HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Booted]\\n' > boot.reg;"
		  "hivexregedit --merge " SOFT
		  " --prefix 'HKEY_LOCAL_MACHINE\\SOFTWARE' boot.reg");
	assert_int_equal(hvo_fg_rollback(false, &rb), HVO_EXIT_REFUSED);
	assert_true(rb.nchanged > 0);
	svc_rollback_result_free(&rb);
	hvo_fg_sh("cp soft.keep " SOFT);

	assert_int_equal(hvo_fg_rollback(false, &rb), HVO_EXIT_OK);
	assert_int_equal(rb.n, 5);
	assert_non_null(rb.record);
	svc_rollback_result_free(&rb);
	char *after = state_of_guest();
	assert_string_equal(before, after);
	free(after);
	free(before);

	/* A second rollback has nothing to do. */
	assert_int_equal(hvo_fg_rollback(false, &rb), HVO_EXIT_OK);
	assert_int_equal(rb.n, 0);
	svc_rollback_result_free(&rb);
}

/* SHA-256 of a host file, as bytes. */
static void sha_of(const char *rel, uint8_t sha[32])
{
	char hex[65];
	hvo_test_sha256_file(hvo_fg_at(rel), hex);
	for (int i = 0; i < 32; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		sha[i] = (uint8_t)v;
	}
}

/*
 * What apply leaves (its undo data in the same format): a directory and
 * a file it created, a file and the SOFTWARE hive it replaced, their
 * previous bytes kept beside the record.
 */
static void fake_apply(void)
{
	hvo_fg_sh("L=vol/Windows/Logs/hvoffline; mkdir -p $L/apply-1.saved "
		  "vol/Windows/hvoffline;"
		  "echo staged > vol/Windows/hvoffline/new.txt;"
		  "mv vol/Windows/System32/ntoskrnl.exe $L/apply-1.saved/1;"
		  "echo new kernel > vol/Windows/System32/ntoskrnl.exe;"
		  "cp " SOFT " $L/apply-1.saved/2;"
		  "hivexregedit --merge " SOFT
		  " --prefix 'HKEY_LOCAL_MACHINE\\SOFTWARE' imp.reg");
	struct svc_undo u = { .command = "apply", .time = "t0" };
	uint8_t a[32], b[32], c[32];
	sha_of("vol/Windows/hvoffline/new.txt", a);
	sha_of("vol/Windows/System32/ntoskrnl.exe", b);
	sha_of(SOFT, c);
	const char *sv = "Windows\\Logs\\hvoffline\\apply-1.saved\\";
	char s1[200], s2[200];
	snprintf(s1, sizeof(s1), "%s1", sv);
	snprintf(s2, sizeof(s2), "%s2", sv);
	assert_int_equal(svc_undo_add_dir(&u, "Windows\\hvoffline"), 0);
	assert_int_equal(
		svc_undo_add_file(&u, "Windows\\hvoffline\\new.txt", NULL, a),
		0);
	assert_int_equal(
		svc_undo_add_file(&u, "Windows\\System32\\ntoskrnl.exe", s1, b),
		0);
	assert_int_equal(svc_undo_add_file(&u,
					   "Windows\\System32\\config\\"
					   "SOFTWARE",
					   s2, c),
			 0);
	char *text = svc_undo_format(&u);
	hvo_test_write_file(hvo_fg_at("vol/Windows/Logs/hvoffline/"
				      "apply-20261207T000000Z-000001.undo"),
			    text, strlen(text));
	free(text);
	svc_undo_free(&u);
}

static void test_rollback_apply_files(void **state)
{
	(void)state;
	ws2012_guest();
	static const char imp[] =
		"Windows Registry Editor Version 5.00\n\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\ByApply]\n\"a\"=\"b\"\n";
	hvo_test_write_file(hvo_fg_at("imp.reg"), imp, strlen(imp));
	hvo_fg_sh("cp " SOFT " soft.orig");
	char *before = state_of_guest();
	fake_apply();
	/* Then a change recorded after it, to the same hive. */
	assert_int_equal(set_dword("HKLM\\SOFTWARE\\ByApply", "later", 1),
			 HVO_EXIT_OK);

	struct svc_rollback_result rb;
	assert_int_equal(hvo_fg_rollback(false, &rb), HVO_EXIT_OK);
	assert_int_equal(rb.n, 2);
	assert_string_equal(rb.v[1].command, "apply");
	assert_int_equal(rb.files_restored, 2);
	assert_int_equal(rb.files_removed, 1);
	assert_int_equal(rb.dirs_removed, 1);
	svc_rollback_result_free(&rb);
	char *after = state_of_guest();
	assert_string_equal(before, after);
	free(after);
	/* The hive byte-identical, not just equal in content. */
	hvo_fg_sh("cmp soft.orig " SOFT);

	/* After a simulated first boot (a file apply wrote changed),
	 * refused with exit 4 and the file named; --force undoes. */
	fake_apply();
	hvo_fg_sh("echo booted > vol/Windows/hvoffline/new.txt");
	assert_int_equal(hvo_fg_rollback(false, &rb), HVO_EXIT_REFUSED);
	assert_int_equal(rb.nchanged, 1);
	assert_non_null(strstr(rb.changed[0], "new.txt"));
	svc_rollback_result_free(&rb);
	assert_int_equal(hvo_fg_rollback(true, &rb), HVO_EXIT_OK);
	svc_rollback_result_free(&rb);
	hvo_fg_sh("cmp soft.orig " SOFT);
	free(before);
}

/* What every test needs installed. */
static const char *const tools[] = { "hivexregedit", "hivexget", NULL };

int main(void)
{
	const struct CMUnitTest tests[] = {
		HVO_FG_TEST(test_ccs_lands_in_current, tools),
		HVO_FG_TEST(test_dirty_hive_keeps_logged_changes, tools),
		HVO_FG_TEST(test_rollback_round_trip, tools),
		HVO_FG_TEST(test_rollback_apply_files, tools),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

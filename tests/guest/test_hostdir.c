/*
 * test_hostdir.c - the guest interface (src/guest/guest.h) on its
 * host-directory backend: path rules, case-insensitive resolution, atomic
 * writes, read-only refusals, and host-directory disks.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/guest.h"
#include "tests/lib/hvotest.h"

struct ctx {
	char *dir;
	struct guest_fs *fs;
};

static char *hpath(const struct ctx *c, const char *rel)
{
	char *p;
	if (asprintf(&p, "%s/%s", c->dir, rel) < 0)
		abort();
	return p;
}

static void hmkdir(const struct ctx *c, const char *rel)
{
	char *p = hpath(c, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static void hwrite(const struct ctx *c, const char *rel, const char *text)
{
	char *p = hpath(c, rel);
	hvo_test_write_file(p, text, strlen(text));
	free(p);
}

static bool hexists(const struct ctx *c, const char *rel)
{
	char *p = hpath(c, rel);
	struct stat st;
	bool e = lstat(p, &st) == 0;
	free(p);
	return e;
}

/* A tree as ntfs-3g would show a Windows volume: stored case differs from
 * what callers ask for. */
static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	c->dir = hvo_test_mkdtemp();
	hmkdir(c, "Windows");
	hmkdir(c, "Windows/System32");
	hmkdir(c, "Windows/System32/config");
	hwrite(c, "Windows/System32/config/SOFTWARE", "software hive");
	hwrite(c, "Windows/System32/config/SYSTEM", "system");
	hmkdir(c, "Users");
	hwrite(c, "pagefile.sys", "0123456789");
	assert_int_equal(guest_hostdir_fs_open(c->dir, false, &c->fs),
			 GUEST_OK);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	guest_fs_close(c->fs);
	hvo_test_rmtree(c->dir);
	free(c->dir);
	free(c);
	return 0;
}

static void test_path_rules(void **state)
{
	struct ctx *c = *state;
	struct guest_stat st;
	/* The root, spelled three ways. */
	assert_int_equal(guest_fs_stat(c->fs, "", &st), GUEST_OK);
	assert_int_equal(st.type, GUEST_FT_DIR);
	assert_int_equal(guest_fs_stat(c->fs, "/", &st), GUEST_OK);
	assert_int_equal(guest_fs_stat(c->fs, "\\", &st), GUEST_OK);
	/* Separators of both kinds, one trailing separator. */
	assert_int_equal(guest_fs_stat(c->fs, "\\Windows\\System32\\", &st),
			 GUEST_OK);
	assert_int_equal(st.type, GUEST_FT_DIR);
	/* Paths that could leave the volume, or are not Windows paths. */
	static const char *const bad[] = {
		"Windows/../..",
		"..",
		"Windows/./System32",
		"Windows//System32",
		"C:\\Windows",
		"Windows/file:stream",
		"a\x01b",
		"a\nb",
		"Windows/\\System32",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = guest_fs_stat(c->fs, bad[i], &st);
		if (r != GUEST_E_PATH)
			fail_msg("'%s': got %d", bad[i], r);
		assert_true(guest_fs_errmsg(c->fs)[0] != '\0');
	}
	/* "../x" is beside the test's directory, where another program may
	 * have made an x: what counts is that we did not change it. */
	bool outside_before = hexists(c, "../x");
	assert_int_equal(guest_fs_write_atomic(c->fs, "../x", "x", 1),
			 GUEST_E_PATH);
	assert_int_equal(guest_fs_mkdir_p(c->fs, "a/../../b"), GUEST_E_PATH);
	assert_int_equal(guest_fs_remove(c->fs, "/"), GUEST_E_PATH);
	assert_int_equal(guest_fs_rename(c->fs, "", "x"), GUEST_E_PATH);
	assert_int_equal(hexists(c, "../x"), outside_before);
}

static void test_resolve(void **state)
{
	struct ctx *c = *state;
	char *real;
	assert_int_equal(guest_fs_resolve(c->fs,
					  "WINDOWS\\system32\\CONFIG\\software",
					  false, &real),
			 GUEST_OK);
	assert_string_equal(real, "Windows/System32/config/SOFTWARE");
	free(real);
	/* A missing last component keeps the caller's spelling. */
	assert_int_equal(guest_fs_resolve(c->fs, "windows/system32/NewFile",
					  true, &real),
			 GUEST_OK);
	assert_string_equal(real, "Windows/System32/NewFile");
	free(real);
	assert_int_equal(guest_fs_resolve(c->fs, "windows/system32/NewFile",
					  false, &real),
			 GUEST_E_NOENT);
	/* A missing middle component is missing, even when allowed last. */
	assert_int_equal(guest_fs_resolve(c->fs, "windows/nope/x", true, &real),
			 GUEST_E_NOENT);
	/* Through a file. */
	assert_int_equal(guest_fs_resolve(c->fs, "pagefile.sys/x", true, &real),
			 GUEST_E_NOTDIR);
	assert_true(guest_fs_exists(c->fs, "windows/SYSTEM32/config/System"));
	assert_false(guest_fs_exists(c->fs, "windows/SYSTEM32/config/SAM"));
}

static void test_exact_match_wins(void **state)
{
	struct ctx *c = *state;
	/* A case-sensitive host directory may hold both spellings; the
	 * exact one is taken, then the first in byte order. */
	hwrite(c, "Users/readme", "lower");
	hwrite(c, "Users/README", "upper");
	uint8_t *buf;
	size_t len;
	assert_int_equal(guest_fs_read(c->fs, "users/readme", 100, &buf, &len),
			 GUEST_OK);
	assert_string_equal((char *)buf, "lower");
	free(buf);
	assert_int_equal(guest_fs_read(c->fs, "users/README", 100, &buf, &len),
			 GUEST_OK);
	assert_string_equal((char *)buf, "upper");
	free(buf);
	assert_int_equal(guest_fs_read(c->fs, "users/Readme", 100, &buf, &len),
			 GUEST_OK);
	assert_string_equal((char *)buf, "upper"); /* "README" < "readme" */
	free(buf);
}

static void test_stat_read_pread(void **state)
{
	struct ctx *c = *state;
	struct guest_stat st;
	assert_int_equal(guest_fs_stat(c->fs, "PAGEFILE.SYS", &st), GUEST_OK);
	assert_int_equal(st.type, GUEST_FT_FILE);
	assert_int_equal(st.size, 10);
	assert_int_equal(guest_fs_stat(c->fs, "hiberfil.sys", &st),
			 GUEST_E_NOENT);
	assert_non_null(strstr(guest_fs_errmsg(c->fs), "hiberfil.sys"));

	uint8_t *buf;
	size_t len;
	assert_int_equal(guest_fs_read(c->fs, "pagefile.sys", 10, &buf, &len),
			 GUEST_OK);
	assert_int_equal(len, 10);
	assert_int_equal(buf[10], '\0'); /* NUL appended */
	free(buf);
	assert_int_equal(guest_fs_read(c->fs, "pagefile.sys", 9, &buf, &len),
			 GUEST_E_TOO_BIG);
	assert_null(buf);
	assert_int_equal(guest_fs_read(c->fs, "Windows", 100, &buf, &len),
			 GUEST_E_ISDIR);

	uint8_t b[8];
	size_t got;
	assert_int_equal(guest_fs_pread(c->fs, "pagefile.sys", 3, 4, b, &got),
			 GUEST_OK);
	assert_int_equal(got, 4);
	assert_memory_equal(b, "3456", 4);
	assert_int_equal(guest_fs_pread(c->fs, "pagefile.sys", 8, 8, b, &got),
			 GUEST_OK);
	assert_int_equal(got, 2); /* short only at the end */
	assert_int_equal(guest_fs_pread(c->fs, "pagefile.sys", 50, 8, b, &got),
			 GUEST_OK);
	assert_int_equal(got, 0);
}

static void test_write_atomic(void **state)
{
	struct ctx *c = *state;
	/* Replacing through another spelling writes the stored file. */
	assert_int_equal(guest_fs_write_atomic(c->fs,
					       "windows/system32/config/system",
					       "new", 3),
			 GUEST_OK);
	char **names;
	size_t n;
	assert_int_equal(
		guest_fs_list(c->fs, "Windows/System32/config", &names, &n),
		GUEST_OK);
	/* No second spelling, no temporary file left behind. */
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "SOFTWARE");
	assert_string_equal(names[1], "SYSTEM");
	guest_names_free(names, n);
	uint8_t *buf;
	size_t len;
	assert_int_equal(guest_fs_read(c->fs, "Windows/System32/config/SYSTEM",
				       100, &buf, &len),
			 GUEST_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "new", 3);
	free(buf);
	/* A new file. */
	assert_int_equal(guest_fs_write_atomic(c->fs, "Users/New.txt", "", 0),
			 GUEST_OK);
	assert_true(hexists(c, "Users/New.txt"));
	/* Its directory must exist; a directory is not replaced. */
	assert_int_equal(guest_fs_write_atomic(c->fs, "Nope/x", "x", 1),
			 GUEST_E_NOENT);
	assert_int_equal(guest_fs_write_atomic(c->fs, "windows", "x", 1),
			 GUEST_E_ISDIR);
	assert_int_equal(guest_fs_write_atomic(c->fs, "", "x", 1),
			 GUEST_E_ISDIR);
}

static void test_mkdir_list_rename_remove(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(guest_fs_mkdir_p(c->fs, "windows\\Logs\\hvoffline"),
			 GUEST_OK);
	assert_true(hexists(c, "Windows/Logs/hvoffline"));
	assert_int_equal(guest_fs_mkdir_p(c->fs, "WINDOWS/logs/HVOFFLINE"),
			 GUEST_OK); /* exists: fine, no second spelling */
	assert_false(hexists(c, "Windows/logs"));
	assert_int_equal(guest_fs_mkdir_p(c->fs, "pagefile.sys/x"),
			 GUEST_E_NOTDIR);
	assert_int_equal(guest_fs_mkdir_p(c->fs, "pagefile.sys"),
			 GUEST_E_EXIST);

	char **names;
	size_t n;
	assert_int_equal(guest_fs_list(c->fs, "", &names, &n), GUEST_OK);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "Users"); /* sorted bytewise */
	assert_string_equal(names[1], "Windows");
	assert_string_equal(names[2], "pagefile.sys");
	guest_names_free(names, n);
	assert_int_equal(guest_fs_list(c->fs, "nope", &names, &n),
			 GUEST_E_NOENT);

	hwrite(c, "Users/a", "A");
	hwrite(c, "Users/b", "B");
	assert_int_equal(guest_fs_rename(c->fs, "users/A", "USERS/b"),
			 GUEST_OK);
	assert_false(hexists(c, "Users/a"));
	assert_true(hexists(c, "Users/b")); /* replaced, stored spelling */
	assert_false(hexists(c, "Users/B"));
	assert_int_equal(guest_fs_rename(c->fs, "users/a", "users/c"),
			 GUEST_E_NOENT);

	assert_int_equal(guest_fs_remove(c->fs, "users"), GUEST_E_EXIST);
	assert_int_equal(guest_fs_remove(c->fs, "users/B"), GUEST_OK);
	assert_int_equal(guest_fs_remove(c->fs, "USERS"), GUEST_OK);
	assert_false(hexists(c, "Users"));
	assert_int_equal(guest_fs_remove(c->fs, "users"), GUEST_E_NOENT);
}

static void test_copy(void **state)
{
	struct ctx *c = *state;
	char *host;
	if (asprintf(&host, "%s.copy", c->dir) < 0)
		abort();
	assert_int_equal(guest_fs_copy_out(c->fs,
					   "windows/system32/config/software",
					   host),
			 GUEST_OK);
	size_t len;
	uint8_t *buf = hvo_test_read_file(host, &len);
	assert_int_equal(len, strlen("software hive"));
	free(buf);
	hvo_test_write_file(host, "replaced", 8);
	assert_int_equal(guest_fs_copy_in_atomic(c->fs, host,
						 "WINDOWS/SYSTEM32/CONFIG/"
						 "SOFTWARE"),
			 GUEST_OK);
	assert_int_equal(guest_fs_read(c->fs,
				       "Windows/System32/config/SOFTWARE", 100,
				       &buf, &len),
			 GUEST_OK);
	assert_memory_equal(buf, "replaced", 8);
	free(buf);
	assert_int_equal(guest_fs_copy_out(c->fs, "Windows", host),
			 GUEST_E_ISDIR);
	unlink(host);
	free(host);
}

static void test_symlinks_not_followed(void **state)
{
	struct ctx *c = *state;
	char *link = hpath(c, "escape");
	assert_int_equal(symlink("/etc", link), 0);
	free(link);
	struct guest_stat st;
	assert_int_equal(guest_fs_stat(c->fs, "escape/passwd", &st),
			 GUEST_E_PATH);
	assert_int_equal(guest_fs_stat(c->fs, "escape", &st), GUEST_OK);
	assert_int_equal(st.type, GUEST_FT_OTHER);
	uint8_t *buf;
	size_t len;
	assert_int_not_equal(guest_fs_read(c->fs, "escape", 100, &buf, &len),
			     GUEST_OK);
}

static void test_readonly(void **state)
{
	struct ctx *c = *state;
	struct guest_fs *ro;
	assert_int_equal(guest_hostdir_fs_open(c->dir, true, &ro), GUEST_OK);
	assert_true(guest_fs_readonly(ro));
	assert_int_equal(guest_fs_write_atomic(ro, "x", "x", 1), GUEST_E_ROFS);
	assert_int_equal(guest_fs_mkdir_p(ro, "d"), GUEST_E_ROFS);
	assert_int_equal(guest_fs_remove(ro, "pagefile.sys"), GUEST_E_ROFS);
	assert_int_equal(guest_fs_rename(ro, "pagefile.sys", "p"),
			 GUEST_E_ROFS);
	assert_int_equal(guest_fs_copy_in_atomic(ro, "/dev/null", "x"),
			 GUEST_E_ROFS);
	assert_int_equal(guest_exit_class(GUEST_E_ROFS), HVO_EXIT_REFUSED);
	assert_false(hexists(c, "x"));
	assert_false(hexists(c, "d"));
	assert_true(hexists(c, "pagefile.sys"));
	/* Reading still works. */
	assert_true(guest_fs_exists(ro, "windows/system32/config/system"));
	guest_fs_close(ro);
}

static void test_disk(void **state)
{
	struct ctx *c = *state;
	char *raw;
	if (asprintf(&raw, "%s.raw", c->dir) < 0)
		abort();
	hvo_test_write_file(raw, "BOOT", 4);
	struct guest_hostdir_volume vols[] = {
		{ .root = NULL,
		  .raw = raw,
		  .partnum = 1,
		  .size = 16,
		  .fstype = "BitLocker",
		  .mbr_id = 0x07 },
		{ .root = c->dir,
		  .partnum = 2,
		  .size = 1 << 20,
		  .fstype = "ntfs",
		  .mbr_id = 0x07,
		  .rw_probe = 14,
		  .readonly_only = true },
	};
	struct guest_hostdir_disk spec = {
		.name = "test.vhdx",
		.ptable = GUEST_PTABLE_MBR,
		.size = 2 << 20,
		.nvolumes = 2,
		.volumes = vols,
	};
	struct guest_disk *d;
	assert_int_equal(guest_hostdir_disk_open(&spec, &d), GUEST_OK);
	const struct guest_disk_layout *l = guest_disk_layout(d);
	assert_int_equal(l->ptable, GUEST_PTABLE_MBR);
	assert_int_equal(l->nvolumes, 2);
	assert_string_equal(l->volumes[1].fstype, "ntfs");
	assert_string_equal(guest_disk_name(d), "test.vhdx");

	/* Raw bytes, zeroes past the raw file up to the volume's size. */
	uint8_t b[32];
	size_t got;
	assert_int_equal(guest_disk_pread(d, 0, 0, sizeof(b), b, &got),
			 GUEST_OK);
	assert_int_equal(got, 16);
	assert_memory_equal(b, "BOOT\0\0\0\0", 8);
	assert_int_equal(guest_disk_pread(d, 1, 0, 4, b, &got),
			 GUEST_E_UNSUPPORTED);
	assert_int_equal(guest_disk_pread(d, 5, 0, 4, b, &got), GUEST_E_NOENT);

	int code;
	assert_int_equal(guest_disk_probe_rw(d, 0, &code), GUEST_E_UNSUPPORTED);
	assert_int_equal(guest_disk_probe_rw(d, 1, &code), GUEST_OK);
	assert_int_equal(code, 14);
	assert_string_equal(guest_ntfs_probe_meaning(14),
			    "hibernated (or shut down with Fast Startup)");

	struct guest_fs *fs, *again;
	assert_int_equal(guest_disk_mount(d, 0, true, &fs), GUEST_E_MOUNT);
	assert_int_equal(guest_disk_mount(d, 1, false, &fs), GUEST_E_ROFS);
	assert_non_null(strstr(guest_disk_errmsg(d), "read-only"));
	assert_int_equal(guest_disk_mount(d, 1, true, &fs), GUEST_OK);
	assert_int_equal(guest_disk_mount(d, 1, true, &again), GUEST_OK);
	assert_ptr_equal(fs, again);
	assert_true(guest_fs_exists(fs, "WINDOWS"));
	guest_fs_close(fs); /* owned by the disk: does nothing */
	assert_true(guest_fs_exists(fs, "WINDOWS"));
	guest_disk_close(d);
	unlink(raw);
	free(raw);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(guest_name_eq("System32", "SYSTEM32"));
	assert_false(guest_name_eq("System32", "System3"));
	assert_string_equal(guest_strerror(GUEST_E_NOENT),
			    "no such file or directory");
	assert_string_equal(guest_strerror(1000), "unknown guest error");
	assert_string_equal(guest_ptable_name(GUEST_PTABLE_GPT), "gpt");
	assert_int_equal(guest_exit_class(GUEST_E_IO), HVO_EXIT_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_match_wins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stat_read_pread, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_list_rename_remove,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_not_followed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk, setup, teardown),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

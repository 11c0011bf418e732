/*
 * test_native_torn.c - the states a killed native run could leave in NTFS
 * before issue 16's write transactions, built directly, and what the next
 * run does with them (deterministic: no kill, no timing).
 *
 * libntfs-3g journals nothing, so before each guest_fs operation became
 * one VHDX transaction a kill between two of its writes could leave:
 *
 *   - a directory entry naming a file record whose sequence number never
 *     reached the disk ("Record N has wrong SeqNo");
 *   - an entry naming a record that is not in use any more;
 *   - a staged file whose record is there but whose data attribute is
 *     not;
 *   - the same tears on a final name, which a run killed inside the
 *     switch (link the staged file under the final name, unlink the
 *     staged name) could leave.
 *
 * The states are made on a copy of the ws2012-x64 test image through
 * libntfs-3g itself (the record's sequence number or in-use flag changed
 * and written back through its MST-protected record write; the data
 * attribute removed).  Then `hvoffline apply` (native backend) must either
 * recover (exit 0, each leftover reported, `verify` clean, `vhdx check`
 * and ntfsls (not our code) show no .hvo- name left), or, for a torn
 * final name, which no run of ours may silently replace, refuse with
 * the defined exit code and leave the image as it was.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hvoffline.h"
#include "guest/guest.h"
#include "guest/native_int.h"
#include "guest/native_session.h"
#include "vhdx/internal.h"

#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"

#define DRIVERS "Windows/System32/drivers"

static char image_dir[4096];
static char hvo[4096];
static char cab[4096];

enum tear {
	TEAR_SEQNO,    /* the record's sequence number moves on */
	TEAR_NOT_USED, /* the record is marked not in use */
	TEAR_NO_DATA,  /* the record has no unnamed data attribute */
};

/* Writes @name in the drivers directory, then tears it as @how says. */
static void make_torn(struct guest_fs *fs, const char *name, enum tear how)
{
	char path[256];
	snprintf(path, sizeof(path), DRIVERS "/%s", name);
	assert_int_equal(guest_fs_write_new(fs, path, "torn", 4), GUEST_OK);
	struct native_fs *nf = native_int_fs(fs);
	ntfs_inode *ni;
	assert_int_equal(native_int_walk(nf, path, &ni, NULL), GUEST_OK);
	switch (how) {
	case TEAR_SEQNO:
		ni->mrec->sequence_number = cpu_to_le16(
			(u16)(le16_to_cpu(ni->mrec->sequence_number) + 1));
		ntfs_inode_mark_dirty(ni);
		break;
	case TEAR_NOT_USED:
		ni->mrec->flags &= ~MFT_RECORD_IN_USE;
		ntfs_inode_mark_dirty(ni);
		break;
	case TEAR_NO_DATA:
		assert_int_equal(ntfs_attr_remove(ni, AT_DATA, AT_UNNAMED, 0),
				 0);
		break;
	}
	assert_int_equal(ntfs_inode_close(ni), 0);
	assert_int_equal(guest_fs_sync(fs), GUEST_OK);
}

/* A file to tear: its name in the drivers directory, and how. */
struct torn {
	const char *name;
	enum tear how;
};

/* A copy of ws2012-x64 at @rel with the @n files of @t torn. */
static const char *torn_image(const char *rel, const struct torn *t, size_t n)
{
	if (access(image_dir, R_OK) != 0)
		skip();
	hvo_fg_sh("cp --sparse=always '%s/ws2012-x64.vhdx' '%s'", image_dir,
		  hvo_fg_at(rel));
	const char *img = hvo_fg_at(rel);
	struct native_session *s = native_int_session_new(NULL);
	assert_non_null(s);
	assert_int_equal(native_int_session_add(s, img, "vhdx", false, img), 0);
	if (native_int_session_launch(s) != GUEST_OK)
		fail_msg("launch: %s", native_int_session_errmsg(s));
	struct guest_disk *d = native_int_session_disk(s, 0);
	struct guest_fs *fs;
	assert_int_equal(guest_disk_mount(d, 2, false, &fs), GUEST_OK);
	for (size_t i = 0; i < n; i++)
		make_torn(fs, t[i].name, t[i].how);
	assert_int_equal(native_int_session_shutdown(s), GUEST_OK);
	native_int_session_close(s);
	return hvo_fg_at(rel);
}

/* The names ntfsls (ntfsprogs) lists in the drivers directory. */
static char *drivers_listing(const char *img)
{
	hvo_fg_sh("'%s' vhdx read '%s' > disk.raw && "
		  "start=$(sfdisk --json disk.raw | jq "
		  "'.partitiontable.partitions[2].start') && "
		  "size=$(sfdisk --json disk.raw | jq "
		  "'.partitiontable.partitions[2].size') && "
		  "dd if=disk.raw of=vol.raw bs=512 skip=$start count=$size "
		  "status=none && rm -f disk.raw",
		  hvo, img);
	char *out =
		hvo_fg_out("ntfsls -a -p /" DRIVERS " vol.raw; rm -f vol.raw");
	return out;
}

/* Runs `hvoffline CMD --source CAB IMG` on the native backend; its exit
 * code, and all its output in *@out_ret (caller frees). */
static int hvo_run(const char *cmd, const char *img, char **out_ret)
{
	char line[16384];
	snprintf(line, sizeof(line),
		 "HVOFFLINE_BACKEND=native '%s' %s --source '%s' '%s' "
		 "> '%s' 2>&1",
		 hvo, cmd, cab, img, hvo_fg_at("run.out"));
	char *ignored = NULL;
	int rc = hvo_test_run(line, &ignored);
	free(ignored);
	size_t len;
	uint8_t *out = hvo_test_read_file(hvo_fg_at("run.out"), &len);
	*out_ret = realloc(out, len + 1);
	assert_non_null(*out_ret);
	(*out_ret)[len] = '\0';
	return rc;
}

/* Staged and temporary names torn three ways: apply stages its own name
 * afresh and removes the others (reporting each), installs the package,
 * and verify is clean. */
static void test_torn_staging(void **state)
{
	(void)state;
	static const struct torn t[] = {
		{ ".vmbus.sys.hvo-new", TEAR_SEQNO },
		{ ".storvsc.sys.hvo-old", TEAR_NOT_USED },
		{ ".netvsc.sys.hvo-new", TEAR_NO_DATA },
		{ ".vmbus.sys.hvo-99999-1", TEAR_SEQNO },
	};
	const char *img = torn_image("staging.vhdx", t, 4);
	char *before = drivers_listing(img);
	for (size_t i = 0; i < 4; i++)
		if (strstr(before, t[i].name) == NULL)
			fail_msg("ntfsls does not list the torn %s", t[i].name);
	free(before);
	char *out = NULL;
	int rc = hvo_run("apply", img, &out);
	if (rc != 0)
		fail_msg("apply exit %d: %s", rc, out);
	/* The staged name of one of this run's own items is staged afresh
	 * (its dangling entry dropped, native_write.c); the others are
	 * removed, each reported. */
	for (size_t i = 1; i < 4; i++)
		if (strstr(out, t[i].name) == NULL)
			fail_msg("apply did not report %s: %s", t[i].name,
				 hvo_fg_out("grep -e warning -e removed "
					    "run.out || true"));
	free(out);
	rc = hvo_run("verify", img, &out);
	if (rc != 0)
		fail_msg("verify exit %d: %s", rc, out);
	free(out);
	hvo_fg_sh("'%s' vhdx check '%s' >/dev/null", hvo, img);
	hvo_fg_sh("qemu-img check -q -f vhdx '%s'", img);
	char *after = drivers_listing(img);
	if (strstr(after, "hvo-") != NULL)
		fail_msg("left in the guest: %s", after);
	if (strstr(after, "vmbus.sys") == NULL)
		fail_msg("vmbus.sys missing: %s", after);
	free(after);
}

/*
 * A final name torn: the driver apply replaces (vmbus.sys) named by a
 * directory entry whose record's sequence number moved on, as a killed
 * create or switch could leave it.  That file is not one of ours: apply
 * may neither replace nor remove it.  It stops while reading the files it
 * replaces, before writing anything: exit 1 (failed), libntfs-3g's
 * diagnosis naming the file, and the image byte-identical.  (The
 * sandboxed child's result of such a failure reaches the parent as "a
 * malformed result" today, a bug of session_wire.c fixed elsewhere; the
 * file's diagnosis is in the child's progress lines either way.)
 */
static void test_torn_final(void **state)
{
	(void)state;
	static const struct torn t = { "vmbus.sys", TEAR_SEQNO };
	const char *img = torn_image("final.vhdx", &t, 1);
	char before[65];
	hvo_test_sha256_file(img, before);
	char *out = NULL;
	int rc = hvo_run("apply", img, &out);
	if (rc != HVO_EXIT_FAILED ||
	    strstr(out, "drivers/vmbus.sys: Record ") == NULL ||
	    strstr(out, "has wrong SeqNo") == NULL)
		fail_msg("apply exit %d (want %d, naming vmbus.sys): %s", rc,
			 HVO_EXIT_FAILED, out);
	free(out);
	hvo_test_expect_sha256(img, before);
}

/* One test directory for the group (hvo_fg_begin). */
static int group_begin(void **state)
{
	(void)state;
	hvo_fg_begin();
	return 0;
}

static int group_end(void **state)
{
	(void)state;
	hvo_fg_end();
	return 0;
}

/* The crash point at which the child dies (test_crash_points). */
static unsigned crash_at, crash_seen;

static void crash_hook(const char *point)
{
	(void)point;
	if (++crash_seen == crash_at)
		_exit(42);
}

/* Child: a new file written through a temporary name and renamed into
 * place (write_atomic), a new directory, then sync; dies at crash point
 * crash_at of the VHDX write path, or exits 0. */
static void crash_child(const char *img)
{
	struct native_session *s = native_int_session_new(NULL);
	if (s == NULL || native_int_session_add(s, img, "vhdx", false, img) ||
	    native_int_session_launch(s) != GUEST_OK)
		_exit(2);
	struct guest_fs *fs;
	if (guest_disk_mount(native_int_session_disk(s, 0), 2, false, &fs) !=
	    GUEST_OK)
		_exit(3);
	static uint8_t data[64 * 1024];
	memset(data, 0x5a, sizeof(data));
	vhdx_int_crash_hook = crash_hook;
	if (guest_fs_write_atomic(fs, DRIVERS "/hvocrash.sys", data,
				  sizeof(data)) != GUEST_OK ||
	    guest_fs_mkdir_p(fs, "Windows/hvocrash") != GUEST_OK ||
	    guest_fs_sync(fs) != GUEST_OK)
		_exit(4);
	vhdx_int_crash_hook = NULL;
	_exit(native_int_session_shutdown(s) == GUEST_OK ? 0 : 5);
}

/*
 * The transactions at the NTFS level, deterministically: a run dies (as
 * kill -9 leaves it: the page cache kept) at each crash point of the
 * VHDX write path in turn, during a replace and a mkdir.  After each,
 * the next writable open replays the log and every name of the drivers
 * directory opens (no entry names a record that is not there), the new
 * file is absent or whole, and vhdx check passes.
 */
static void test_crash_points(void **state)
{
	(void)state;
	if (access(image_dir, R_OK) != 0)
		skip();
	unsigned n;
	for (n = 1; n < 200; n++) {
		const char *img = hvo_fg_at("crash.vhdx");
		hvo_fg_sh("cp --sparse=always '%s/ws2012-x64.vhdx' '%s'",
			  image_dir, img);
		fflush(NULL);
		crash_at = n;
		crash_seen = 0;
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			crash_child(img);
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) == 0)
			break;
		if (WEXITSTATUS(st) != 42)
			fail_msg("crash point %u: the child failed (%d)", n,
				 WEXITSTATUS(st));
		struct native_session *s = native_int_session_new(NULL);
		assert_non_null(s);
		assert_int_equal(
			native_int_session_add(s, img, "vhdx", false, img), 0);
		if (native_int_session_launch(s) != GUEST_OK)
			fail_msg("crash point %u: %s", n,
				 native_int_session_errmsg(s));
		struct guest_fs *fs;
		assert_int_equal(guest_disk_mount(native_int_session_disk(s, 0),
						  2, false, &fs),
				 GUEST_OK);
		char **names;
		size_t nn;
		assert_int_equal(guest_fs_list(fs, DRIVERS, &names, &nn),
				 GUEST_OK);
		for (size_t i = 0; i < nn; i++) {
			char p[300];
			struct guest_stat gs;
			snprintf(p, sizeof(p), DRIVERS "/%s", names[i]);
			if (guest_fs_stat(fs, p, &gs) != GUEST_OK)
				fail_msg("crash point %u: %s dangles: %s", n,
					 names[i], guest_fs_errmsg(fs));
		}
		guest_names_free(names, nn);
		uint8_t *buf;
		size_t len;
		if (guest_fs_read(fs, DRIVERS "/hvocrash.sys", GUEST_READ_MAX,
				  &buf, &len) == GUEST_OK) {
			assert_int_equal(len, 64 * 1024);
			for (size_t i = 0; i < len; i++)
				if (buf[i] != 0x5a)
					fail_msg("crash point %u: the file "
						 "is torn at %zu",
						 n, i);
			free(buf);
		}
		assert_int_equal(native_int_session_shutdown(s), GUEST_OK);
		native_int_session_close(s);
		hvo_fg_sh("'%s' vhdx check '%s' >/dev/null", hvo, img);
	}
	assert_true(n > 3 && n < 200);
	fprintf(stderr, "crash points: %u, every one left NTFS whole\n", n - 1);
}

int main(void)
{
	snprintf(image_dir, sizeof(image_dir), "%s/tests/fixtures/images",
		 hvo_test_builddir());
	snprintf(hvo, sizeof(hvo), "%s/hvoffline", hvo_test_builddir());
	snprintf(
		cab, sizeof(cab), "%s",
		hvo_fixture("ic/Windows6.2-HyperVIntegrationServices-x64.cab"));
	if (access(image_dir, R_OK) != 0)
		fprintf(stderr, "%s: not built (make fixture-images)\n",
			image_dir);
	if (!hvo_test_have_program("ntfsls") ||
	    !hvo_test_have_program("sfdisk") || !hvo_test_have_program("jq")) {
		fprintf(stderr, "ntfs-3g, fdisk and jq are needed\n");
		return HVO_TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torn_staging),
		cmocka_unit_test(test_torn_final),
		cmocka_unit_test(test_crash_points),
	};
	return cmocka_run_group_tests(tests, group_begin, group_end);
}

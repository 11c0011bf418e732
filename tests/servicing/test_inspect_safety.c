/*
 * test_inspect_safety.c - the safety verdict of inspection
 * (src/servicing/inspect.c) on the host-directory backend: hibernation,
 * dirty NTFS, BitLocker, dirty hives with and without their logs, and the
 * file-level checks.  No appliance.
 *
 * Volumes are host directories as in test_inspect.c; where a probe reads
 * raw volume bytes, boot sectors and $Volume records are built here, and
 * hives are made dirty as Windows leaves them.
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
#include "util/bytes.h"

static void test_hibernated(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	svct_windows("v", "Windows", "ws2012-x64", "amd64", "6.2.9200.16384");
	hvo_fg_sh(
		"printf HIBR > v/hiberfil.sys; truncate -s 64K v/hiberfil.sys");
	/* What ntfs-3g.probe answers for a hibernated volume. */
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v"),
					  .rw_probe = 14 };
	struct guest_hostdir_disk spec = svct_one_volume(&v, "hib.vhdx");
	struct svc_facts f;
	svct_inspect(&spec, &f);
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	assert_string_equal(svc_facts_status(&f), "unsafe");
	assert_int_equal(f.hiber, GUEST_HIBER_HIBERNATED);
	assert_string_equal(f.hiber_signature, "HIBR");
	assert_true(svc_facts_has_problem(&f, "hibernated"));
	assert_true(svc_facts_has_problem(&f, "read-only"));
	/* The facts are still read: a hibernated volume mounts read-only. */
	assert_string_equal(f.arch, "amd64");
	svct_check_json_parses(&f);
	svc_facts_free(&f);

	/* "wake": resumed, the file is stale; safe. */
	hvo_fg_sh(
		"printf wake | dd of=v/hiberfil.sys conv=notrunc 2>/dev/null");
	v.rw_probe = 0;
	svct_inspect(&spec, &f);
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_int_equal(f.hiber, GUEST_HIBER_RESUMED);
	svc_facts_free(&f);
}

/* Writes a raw volume: NTFS boot sector and a $Volume record whose
 * $VOLUME_INFORMATION has @flags; or BitLocker's OEM id. */
static void raw_volume(const char *rel, uint16_t flags, bool bitlocker)
{
	size_t size = 64 * 1024;
	uint8_t *b = calloc(1, size);
	memcpy(b + 3, bitlocker ? "-FVE-FS-" : "NTFS    ", 8); /* OEM id */
	put_le16(b + 0x0b, 512);   /* bytes per sector */
	b[0x0d] = 8;		   /* sectors per cluster */
	put_le64(b + 0x28, 16383); /* total sectors */
	put_le64(b + 0x30, 4);	   /* MFT at cluster 4 (16 KiB) */
	b[0x40] = 0xf6;		   /* 1 KiB records */
	b[0x1fe] = 0x55;
	b[0x1ff] = 0xaa;
	uint8_t *r = b + 16384 + 3 * 1024; /* record 3: $Volume */
	memcpy(r, "FILE", 4);
	put_le16(r + 0x04, 0x30); /* USA offset */
	put_le16(r + 0x06, 3);	  /* USA count */
	put_le16(r + 0x14, 0x38); /* first attribute */
	put_le16(r + 0x16, 1);	  /* in use */
	put_le32(r + 0x18, 0x68); /* bytes in use */
	put_le32(r + 0x38, 0x70); /* $VOLUME_INFORMATION */
	put_le32(r + 0x3c, 0x28); /* length */
	put_le32(r + 0x48, 12);	  /* value length */
	put_le16(r + 0x4c, 0x18); /* value offset */
	r[0x38 + 0x18 + 8] = 3;	  /* NTFS 3.1 */
	r[0x38 + 0x18 + 9] = 1;
	put_le16(r + 0x38 + 0x18 + 10, flags);
	put_le32(r + 0x60, 0xffffffff); /* end */
	put_le16(r + 0x30, 1);		/* USN 1 in both strides */
	put_le16(r + 510, 1);
	put_le16(r + 1022, 1);
	hvo_test_write_file(hvo_fg_at(rel), b, size);
	free(b);
}

static void test_ntfs_dirty(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	svct_windows("v", "Windows", "win7-x86", "i386", NULL);
	raw_volume("v.raw", GUEST_NTFS_VOLUME_DIRTY, false);
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v"),
					  .raw = hvo_fg_at("v.raw") };
	struct guest_hostdir_disk spec = svct_one_volume(&v, "dirty.vhdx");
	struct svc_facts f;
	svct_inspect(&spec, &f);
	assert_true(f.volumes[0].ntfs_readable);
	assert_int_equal(f.volumes[0].ntfs_info.major, 3);
	assert_true(svc_facts_has_problem(&f, "ntfs-dirty"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	assert_false(f.vmbus_present);
	svc_facts_free(&f);

	raw_volume("v.raw", 0, false);
	svct_inspect(&spec, &f);
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_false(svc_facts_has_problem(&f, "ntfs-dirty"));
	svc_facts_free(&f);
}

static void test_bitlocker(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v1");
	raw_volume("v2.raw", 0, true);
	struct guest_hostdir_volume vols[] = {
		svct_volume("v1", 1, 2 << 20),
		svct_volume(NULL, 2, 8 << 20),
	};
	/* blkid names a BitLocker volume "BitLocker"; nothing can mount
	 * it. */
	vols[1].raw = hvo_fg_at("v2.raw");
	vols[1].fstype = "BitLocker";
	struct guest_hostdir_disk spec = { "bl.vhdx", GUEST_PTABLE_MBR,
					   12 << 20, 2, vols };
	struct svc_facts f;
	svct_inspect(&spec, &f);
	assert_true(f.volumes[1].bitlocker);
	assert_false(f.volumes[1].mount_tried);
	assert_false(f.windows_found);
	assert_true(svc_facts_has_problem(&f, "bitlocker"));
	assert_true(svc_facts_has_problem(&f, "no-windows"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	svct_check_json_parses(&f);
	svc_facts_free(&f);
}

/* Makes the hive at @rel dirty as Windows leaves it between a flush to
 * the logs and the write of the primary: primary sequence number + 1, base
 * block checksum (XOR of the first 127 dwords, at 0x1fc) valid. */
static void make_dirty(const char *rel)
{
	size_t len;
	uint8_t *h = hvo_test_read_file(hvo_fg_at(rel), &len);
	put_le32(h + 4, get_le32(h + 4) + 1);
	uint32_t sum = 0;
	for (size_t i = 0; i < 0x1fc; i += 4)
		sum ^= get_le32(h + i);
	put_le32(h + 0x1fc, sum);
	hvo_test_write_file(hvo_fg_at(rel), h, len);
	free(h);
}

static void test_dirty_hives(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	svct_windows("v", "Windows", "win7-x86", "i386", "6.2.9200.16433");
	make_dirty("v/Windows/System32/config/SYSTEM");
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v") };
	struct guest_hostdir_disk spec = svct_one_volume(&v, "d.vhdx");
	struct svc_facts f;
	svct_inspect(&spec, &f);
	assert_true(f.system.dirty);
	assert_false(f.system.log1);
	assert_false(f.software.dirty);
	assert_true(svc_facts_has_problem(&f, "hive-dirty-no-logs"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	assert_int_equal(f.system.seq1, f.system.seq2 + 1);
	svc_facts_free(&f);

	/* Logs present (here: not valid logs) cannot be trusted unchecked. */
	hvo_fg_sh("echo junk > v/Windows/System32/config/SYSTEM.LOG1;"
		  "echo junk > v/Windows/System32/config/system.log2");
	svct_inspect(&spec, &f);
	assert_true(f.system.log1);
	assert_true(f.system.log2); /* found whatever its case */
	assert_false(f.system.logs_usable);
	assert_true(svc_facts_has_problem(&f, "hive-dirty-bad-logs"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	svc_facts_free(&f);

	/* The logs gone from the guest: no copy of an earlier run's logs
	 * may stand in for them (each run reads into its own directory). */
	hvo_fg_sh("rm v/Windows/System32/config/SYSTEM.LOG1 "
		  "v/Windows/System32/config/system.log2");
	svct_inspect(&spec, &f);
	assert_false(f.system.log1);
	assert_false(f.system.log2);
	assert_true(svc_facts_has_problem(&f, "hive-dirty-no-logs"));
	svc_facts_free(&f);

	/* A hive that is not one: corrupt (5). */
	hvo_fg_sh(
		"head -c 9000 /dev/zero > v/Windows/System32/config/SOFTWARE");
	svct_inspect(&spec, &f);
	assert_true(f.software.corrupt);
	assert_true(svc_facts_has_problem(&f, "hive-corrupt"));
	assert_int_equal(f.verdict, HVO_EXIT_CORRUPT);
	assert_string_equal(svc_facts_status(&f), "corrupt");
	svc_facts_free(&f);
}

/* A real dirty SYSTEM hive whose logs recover it (Windows 10 1709's
 * SYSTEM_B with LOG1/LOG2): safe, and read as recovered. */
static void test_dirty_recoverable(void **state)
{
	(void)state;
	hvo_fg_dirty_system("r");
	hvo_fg_hive("win10-x64-software", "r/Windows/System32/config/SOFTWARE");
	struct guest_hostdir_volume v = { .root = hvo_fg_at("r") };
	struct guest_hostdir_disk spec = svct_one_volume(&v, "r.vhdx");
	struct svc_facts f;
	svct_inspect(&spec, &f);
	assert_true(f.system.dirty);
	assert_int_equal(f.system.seq1, 1622); /* PROVENANCE.md */
	assert_int_equal(f.system.seq2, 1621);
	assert_true(f.system.log1);
	assert_true(f.system.log2);
	assert_true(f.system.logs_checked);
	assert_true(f.system.logs_usable);
	assert_true(f.system.opened);
	assert_true(svc_facts_has_problem(&f, "hive-dirty-recoverable"));
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_int_equal(f.current_control_set, 1);
	assert_true(f.control_set_present);
	assert_true(f.vmbus_service); /* PROVENANCE: vmbus, Start 0 */
	assert_int_equal(f.vmbus_start, 0);
	assert_int_equal(f.nt_major, 10);
	svc_facts_free(&f);

	/* The same hive without its logs: refused. */
	hvo_fg_sh("rm r/Windows/System32/config/SYSTEM.LOG1 "
		  "r/Windows/System32/config/SYSTEM.LOG2");
	svct_inspect(&spec, &f);
	assert_true(svc_facts_has_problem(&f, "hive-dirty-no-logs"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	svc_facts_free(&f);
}

/* The file-level checks, evaluated without any guest. */
static void test_evaluate_preflight(void **state)
{
	(void)state;
	struct svc_facts f;
	svc_facts_init(&f, "base.vhdx");
	svc_inspect_evaluate(&f); /* nothing known: unreadable */
	assert_true(svc_facts_has_problem(&f, "image-unreadable"));
	assert_int_equal(f.verdict, HVO_EXIT_FAILED);

	f.preflight_ok = true;
	f.differencing = true;
	f.parent = strdup("base.vhdx");
	f.parent_of_child = true;
	f.child = strdup("base_1234.avhdx");
	f.in_use = true;
	f.in_use_by = strdup("a write lock");
	f.vhdx_log_dirty = true;
	svc_inspect_evaluate(&f);
	assert_true(svc_facts_has_problem(&f, "differencing-disk"));
	assert_true(svc_facts_has_problem(&f, "parent-of-differencing-disk"));
	assert_true(svc_facts_has_problem(&f, "in-use"));
	assert_true(svc_facts_has_problem(&f, "vhdx-log-dirty"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	/* The message names the file to service instead. */
	for (size_t i = 0; i < f.nproblems; i++)
		if (strcmp(f.problems[i].code, "parent-of-differencing-disk") ==
		    0)
			assert_non_null(strstr(f.problems[i].message,
					       "service base_1234.avhdx"));
	/* Evaluating again gives the same, not twice the problems. */
	size_t n = f.nproblems;
	svc_inspect_evaluate(&f);
	assert_int_equal(f.nproblems, n);

	f.preflight_ok = false;
	f.preflight_corrupt = true;
	f.preflight_error = strdup("bad header");
	svc_inspect_evaluate(&f);
	assert_int_equal(f.verdict, HVO_EXIT_CORRUPT);
	svc_facts_free(&f);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_hibernated, svct_setup_inspect, hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(
			test_ntfs_dirty, svct_setup_inspect, hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(
			test_bitlocker, svct_setup_inspect, hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(
			test_dirty_hives, svct_setup_inspect, hvo_fg_teardown),
		cmocka_unit_test_setup_teardown(test_dirty_recoverable,
						svct_setup_inspect,
						hvo_fg_teardown),
		cmocka_unit_test(test_evaluate_preflight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

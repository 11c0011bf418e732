/*
 * test_inspect.c - Windows detection and the safety verdict
 * (src/servicing/inspect.c) on the host-directory backend: no appliance.
 *
 * Each test lays out volumes as host directories, with hives merged from
 * the same .reg recipes the test images use (tests/fixtures/reg, through
 * hivexregedit), PE stubs from tests/fixtures/mkpe.py and, where a probe
 * reads raw volume bytes, boot sectors and $Volume records built here.
 * The expected values are the recipes' own.
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
#include "servicing/inspect_applicable.h"
#include "servicing/inspect_report.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "util/bytes.h"

static int setup(void **state)
{
	(void)state;
	if (!hvo_test_have_program("hivexregedit") ||
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

/* A Windows tree under volume directory @vol. */
static void windows(const char *vol, const char *root, const char *name,
		    const char *machine, const char *vmbus)
{
	hvo_fg_windows(vol, root, name, machine, "6.0.0.1", vmbus);
}

/* Inspects a host-directory disk and evaluates it. */
static void inspect(const struct guest_hostdir_disk *spec, struct svc_facts *f)
{
	struct guest_disk *d;
	assert_int_equal(guest_hostdir_disk_open(spec, &d), GUEST_OK);
	svc_facts_init(f, spec->name);
	f->preflight_ok = true; /* the file checks are not under test */
	struct svc_inspect_opts o = { .tmpdir = hvo_fg_at("scratch") };
	assert_int_equal(svc_inspect_disk(d, &o, f), SVC_OK);
	svc_inspect_evaluate(f);
	guest_disk_close(d);
}

static void check_json_parses(const struct svc_facts *f)
{
	char *path = hvo_fg_at("report.json");
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	struct json_writer w;
	hvo_int_json_init(&w, out, true);
	hvo_int_json_begin_object(&w);
	svc_facts_json(f, &w);
	hvo_int_json_end_object(&w);
	assert_int_equal(hvo_int_json_finish(&w), 0);
	fclose(out);
	if (hvo_test_have_program("jq")) {
		char *cmd;
		if (asprintf(&cmd, "jq -e .status '%s' >/dev/null", path) < 0)
			abort();
		assert_int_equal(hvo_test_run(cmd, NULL), 0);
		free(cmd);
	}
}

/* ------------------------------------------------------------------ */

static void test_win7_mbr(void **state)
{
	(void)state;
	/* System Reserved first, Windows second: order must not matter. */
	hvo_fg_sh("mkdir -p v1/Boot v2; echo boot > v1/bootmgr");
	windows("v2", "Windows", "win7-x86", "i386", "6.2.9200.16433");
	hvo_fg_sh("touch 'v2/Windows/servicing/Packages/"
		  "Microsoft-Hyper-V-Integration-Services-Package~"
		  "31bf3856ad364e35~"
		  "x86~~6.2.9200.16433.mum' "
		  "'v2/Windows/servicing/Packages/not-a-package.mum' "
		  "'v2/Windows/servicing/Packages/readme.txt'");
	struct guest_hostdir_volume vols[] = {
		{ .root = hvo_fg_at("v1"),
		  .partnum = 1,
		  .size = 2 << 20,
		  .fstype = "ntfs",
		  .mbr_id = 0x07 },
		{ .root = hvo_fg_at("v2"),
		  .partnum = 2,
		  .size = 9 << 20,
		  .fstype = "ntfs",
		  .mbr_id = 0x07 },
	};
	struct guest_hostdir_disk spec = { "win7.vhdx", GUEST_PTABLE_MBR,
					   12 << 20, 2, vols };
	struct svc_facts f;
	inspect(&spec, &f);
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_string_equal(svc_facts_status(&f), "ok");
	assert_true(f.windows_found);
	assert_int_equal(f.windows_count, 1);
	assert_int_equal(f.windows_volume, 1);
	assert_false(f.volumes[0].windows);
	assert_string_equal(f.systemroot, "Windows");
	assert_int_equal(f.generation, 1);
	assert_int_equal(f.esp_partnum, -1);
	assert_string_equal(f.product_name, "Windows 7 Ultimate");
	assert_string_equal(f.edition_id, "Ultimate");
	assert_string_equal(f.installation_type, "Client");
	assert_string_equal(f.current_version, "6.1");
	assert_string_equal(f.csd_version, "Service Pack 1");
	assert_int_equal(f.nt_major, 6);
	assert_int_equal(f.nt_minor, 1);
	assert_int_equal(f.build, 7601);
	assert_string_equal(f.arch, "x86");
	assert_string_equal(f.arch_source, "ntoskrnl.exe");
	assert_int_equal(f.current_control_set, 1);
	assert_true(f.control_set_present);
	assert_true(f.vmbus_service);
	assert_int_equal(f.vmbus_start, 0);
	assert_true(f.vmbus_version_known);
	char v[32];
	guest_pe_version_format(&f.vmbus_version, v, sizeof(v));
	assert_string_equal(v, "6.2.9200.16433");
	assert_string_equal(f.ic_registry_version, "6.2.9200.16433");
	/* Three packages from CBS, one of them also a .mum file. */
	assert_int_equal(f.npackages, 3);
	const struct svc_installed_package *p = svc_facts_find_package(
		&f, "microsoft-hyper-v-integration-services-package", "X86");
	assert_non_null(p);
	assert_string_equal(p->version, "6.2.9200.16433");
	assert_true(p->in_servicing);
	assert_true(p->in_cbs);
	assert_int_equal(p->cbs_state, 0x70);
	p = svc_facts_find_package(&f, "Microsoft-Windows-Foundation-Package",
				   "x86");
	assert_non_null(p);
	assert_false(p->in_servicing);
	assert_null(svc_facts_find_package(
		&f, "Microsoft-Windows-Foundation-Package", "amd64"));
	assert_false(f.software.dirty);
	assert_false(f.system.dirty);
	assert_false(f.hiberfil_present);
	check_json_parses(&f);
	svc_facts_free(&f);
}

static void test_ws2012_gpt(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir -p esp/EFI/Microsoft/Boot v3");
	windows("v3", "Windows", "ws2012-x64", "amd64", "6.2.9200.16384");
	/* A zeroed hiberfil.sys: hibernation enabled, clean boot. */
	hvo_fg_sh("truncate -s 64K v3/hiberfil.sys");
	struct guest_hostdir_volume vols[] = {
		{ .root = hvo_fg_at("esp"),
		  .partnum = 1,
		  .size = 1 << 20,
		  .fstype = "vfat",
		  .gpt_type = GUEST_GPT_TYPE_ESP },
		{ .partnum = 2,
		  .size = 1 << 20,
		  .gpt_type = "E3C9E316-0B5C-4DB8-817D-F92DF00215AE" },
		{ .root = hvo_fg_at("v3"),
		  .partnum = 3,
		  .size = 13 << 20,
		  .fstype = "ntfs",
		  .gpt_type = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" },
	};
	struct guest_hostdir_disk spec = { "ws2012.vhdx", GUEST_PTABLE_GPT,
					   16 << 20, 3, vols };
	struct svc_facts f;
	inspect(&spec, &f);
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_int_equal(f.generation, 2);
	assert_int_equal(f.esp_partnum, 1);
	assert_true(f.volumes[0].esp);
	assert_false(f.volumes[0].mount_tried); /* boot loaders only */
	assert_false(f.volumes[1].mount_tried); /* the MSR has no fs */
	assert_int_equal(f.windows_volume, 2);
	assert_string_equal(f.product_name, "Windows Server 2012 Standard");
	assert_string_equal(f.installation_type, "Server");
	assert_int_equal(f.nt_major, 6);
	assert_int_equal(f.nt_minor, 2);
	assert_int_equal(f.build, 9200);
	assert_string_equal(f.arch, "amd64");
	/* The current control set is 2: its vmbus starts at boot (0); the
	 * one in ControlSet001 would say 3. */
	assert_int_equal(f.current_control_set, 2);
	assert_int_equal(f.vmbus_start, 0);
	assert_true(f.hiberfil_present);
	assert_int_equal(f.hiber, GUEST_HIBER_NONE);
	assert_null(svc_facts_find_package(
		&f, "Microsoft-Hyper-V-Integration-Services-Package", NULL));
	assert_non_null(svc_facts_find_package(
		&f, "Microsoft-Hyper-V-Guest-Integration-Drivers-Package",
		"amd64"));
	svc_facts_free(&f);
}

static struct guest_hostdir_disk one_volume(struct guest_hostdir_volume *v,
					    const char *name)
{
	v->partnum = 1;
	v->size = 8 << 20;
	if (v->fstype == NULL)
		v->fstype = "ntfs";
	v->mbr_id = 0x07;
	struct guest_hostdir_disk d = { name, GUEST_PTABLE_MBR, 8 << 20, 1, v };
	return d;
}

static void test_hibernated(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	windows("v", "Windows", "ws2012-x64", "amd64", "6.2.9200.16384");
	hvo_fg_sh(
		"printf HIBR > v/hiberfil.sys; truncate -s 64K v/hiberfil.sys");
	/* What ntfs-3g.probe answers for a hibernated volume. */
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v"),
					  .rw_probe = 14 };
	struct guest_hostdir_disk spec = one_volume(&v, "hib.vhdx");
	struct svc_facts f;
	inspect(&spec, &f);
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	assert_string_equal(svc_facts_status(&f), "unsafe");
	assert_int_equal(f.hiber, GUEST_HIBER_HIBERNATED);
	assert_string_equal(f.hiber_signature, "HIBR");
	assert_true(svc_facts_has_problem(&f, "hibernated"));
	assert_true(svc_facts_has_problem(&f, "read-only"));
	/* The facts are still read: a hibernated volume mounts read-only. */
	assert_string_equal(f.arch, "amd64");
	check_json_parses(&f);
	svc_facts_free(&f);

	/* "wake": resumed, the file is stale; safe. */
	hvo_fg_sh(
		"printf wake | dd of=v/hiberfil.sys conv=notrunc 2>/dev/null");
	v.rw_probe = 0;
	inspect(&spec, &f);
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
	windows("v", "Windows", "win7-x86", "i386", NULL);
	raw_volume("v.raw", GUEST_NTFS_VOLUME_DIRTY, false);
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v"),
					  .raw = hvo_fg_at("v.raw") };
	struct guest_hostdir_disk spec = one_volume(&v, "dirty.vhdx");
	struct svc_facts f;
	inspect(&spec, &f);
	assert_true(f.volumes[0].ntfs_readable);
	assert_int_equal(f.volumes[0].ntfs_info.major, 3);
	assert_true(svc_facts_has_problem(&f, "ntfs-dirty"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	assert_false(f.vmbus_present);
	svc_facts_free(&f);

	raw_volume("v.raw", 0, false);
	inspect(&spec, &f);
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
		{ .root = hvo_fg_at("v1"),
		  .partnum = 1,
		  .size = 2 << 20,
		  .fstype = "ntfs",
		  .mbr_id = 0x07 },
		/* blkid names a BitLocker volume "BitLocker"; nothing can
		 * mount it. */
		{ .raw = hvo_fg_at("v2.raw"),
		  .partnum = 2,
		  .size = 8 << 20,
		  .fstype = "BitLocker",
		  .mbr_id = 0x07 },
	};
	struct guest_hostdir_disk spec = { "bl.vhdx", GUEST_PTABLE_MBR,
					   12 << 20, 2, vols };
	struct svc_facts f;
	inspect(&spec, &f);
	assert_true(f.volumes[1].bitlocker);
	assert_false(f.volumes[1].mount_tried);
	assert_false(f.windows_found);
	assert_true(svc_facts_has_problem(&f, "bitlocker"));
	assert_true(svc_facts_has_problem(&f, "no-windows"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	check_json_parses(&f);
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
	windows("v", "Windows", "win7-x86", "i386", "6.2.9200.16433");
	make_dirty("v/Windows/System32/config/SYSTEM");
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v") };
	struct guest_hostdir_disk spec = one_volume(&v, "d.vhdx");
	struct svc_facts f;
	inspect(&spec, &f);
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
	inspect(&spec, &f);
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
	inspect(&spec, &f);
	assert_false(f.system.log1);
	assert_false(f.system.log2);
	assert_true(svc_facts_has_problem(&f, "hive-dirty-no-logs"));
	svc_facts_free(&f);

	/* A hive that is not one: corrupt (5). */
	hvo_fg_sh(
		"head -c 9000 /dev/zero > v/Windows/System32/config/SOFTWARE");
	inspect(&spec, &f);
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
	const char *fx = hvo_test_fixtures_or_exit();
	hvo_fg_sh("mkdir -p r/Windows/System32/config");
	hvo_fg_hive("win10-x64-software", "r/Windows/System32/config/SOFTWARE");
	hvo_fg_sh("xz -dc '%s/hive/regipy/SYSTEM_B.xz' > "
		  "r/Windows/System32/config/"
		  "SYSTEM;"
		  "xz -dc '%s/hive/regipy/SYSTEM_B.LOG1.xz' > "
		  "r/Windows/System32/config/SYSTEM.LOG1;"
		  "xz -dc '%s/hive/regipy/SYSTEM_B.LOG2.xz' > "
		  "r/Windows/System32/config/SYSTEM.LOG2",
		  fx, fx, fx);
	struct guest_hostdir_volume v = { .root = hvo_fg_at("r") };
	struct guest_hostdir_disk spec = one_volume(&v, "r.vhdx");
	struct svc_facts f;
	inspect(&spec, &f);
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
	inspect(&spec, &f);
	assert_true(svc_facts_has_problem(&f, "hive-dirty-no-logs"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	svc_facts_free(&f);
}

static void test_xp(void **state)
{
	(void)state;
	/* XP: WINDOWS\system32\config\software, lower case; no kernel here,
	 * so the architecture comes from cmd.exe, which has no version. */
	hvo_fg_sh("mkdir -p v/WINDOWS/system32/config");
	hvo_fg_hive("winxp-x86-software", "v/WINDOWS/system32/config/software");
	hvo_fg_hive("winxp-x86-system", "v/WINDOWS/system32/config/system");
	hvo_fg_pe("i386", NULL, "v/WINDOWS/system32/cmd.exe");
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v") };
	struct guest_hostdir_disk spec = one_volume(&v, "xp.vhdx");
	struct svc_facts f;
	inspect(&spec, &f);
	assert_true(f.windows_found);
	assert_string_equal(f.systemroot, "WINDOWS");
	assert_string_equal(f.product_name, "Microsoft Windows XP");
	assert_int_equal(f.nt_major, 5);
	assert_int_equal(f.nt_minor, 1);
	assert_int_equal(f.build, 2600);
	assert_string_equal(f.edition_id, "");
	assert_string_equal(f.arch, "x86");
	assert_string_equal(f.arch_source, "cmd.exe");
	assert_int_equal(f.current_control_set, 3);
	assert_true(f.control_set_present);
	assert_int_equal(f.npackages, 0);
	assert_false(f.vmbus_present);
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	svc_facts_free(&f);
}

static void test_no_windows_and_several(void **state)
{
	(void)state;
	/* A folder named Windows without the hives is not a system root. */
	hvo_fg_sh("mkdir -p a/Windows/System32/config b c");
	hvo_fg_sh("echo x > a/Windows/System32/config/SOFTWARE");
	struct guest_hostdir_volume vols[] = {
		{ .root = hvo_fg_at("a"),
		  .partnum = 1,
		  .size = 4 << 20,
		  .fstype = "ntfs" },
		{ .root = hvo_fg_at("b"),
		  .partnum = 2,
		  .size = 4 << 20,
		  .fstype = "ext4" }, /* not a Windows filesystem */
	};
	struct guest_hostdir_disk spec = { "none.vhdx", GUEST_PTABLE_MBR,
					   8 << 20, 2, vols };
	struct svc_facts f;
	inspect(&spec, &f);
	assert_false(f.windows_found);
	assert_true(f.volumes[0].mounted);
	/* The ext4 volume is only looked at for a Linux root (inspect_linux.c)
	 * and holds none: still no-windows. */
	assert_true(f.volumes[1].mount_tried);
	assert_null(f.linux_guest);
	assert_true(svc_facts_has_problem(&f, "no-windows"));
	assert_int_equal(f.verdict, HVO_EXIT_OK);
	assert_string_equal(svc_facts_status(&f), "no-windows");
	check_json_parses(&f);
	svc_facts_free(&f);

	/* Two installations: which one to service is not ours to guess. */
	windows("b", "Windows", "win7-x86", "i386", NULL);
	windows("c", "WINNT", "ws2012-x64", "amd64", NULL);
	vols[1].fstype = "ntfs";
	struct guest_hostdir_volume more[] = { vols[0],
					       vols[1],
					       { .root = hvo_fg_at("c"),
						 .partnum = 3,
						 .size = 4 << 20,
						 .fstype = "ntfs" } };
	struct guest_hostdir_disk spec2 = { "two.vhdx", GUEST_PTABLE_MBR,
					    12 << 20, 3, more };
	inspect(&spec2, &f);
	assert_int_equal(f.windows_count, 2);
	assert_int_equal(f.windows_volume, 1); /* the first is described */
	assert_string_equal(f.arch, "x86");
	assert_true(svc_facts_has_problem(&f, "several-windows"));
	assert_int_equal(f.verdict, HVO_EXIT_REFUSED);
	svc_facts_free(&f);
}

static void test_missing_control_set(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	windows("v", "Windows", "win7-x86", "i386", NULL);
	/* Select\Current names a control set that is not there. */
	hvo_fg_sh("printf '[HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\Select]\\n"
		  "\"Current\"=dword:00000007\\n' > sel.reg;"
		  "hivexregedit --merge v/Windows/System32/config/SYSTEM "
		  "--prefix 'HKEY_LOCAL_MACHINE\\SYSTEM' sel.reg");
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v") };
	struct guest_hostdir_disk spec = one_volume(&v, "cs.vhdx");
	struct svc_facts f;
	inspect(&spec, &f);
	assert_int_equal(f.current_control_set, 7);
	assert_false(f.control_set_present);
	assert_true(svc_facts_has_problem(&f, "no-control-set"));
	assert_int_equal(f.verdict, HVO_EXIT_CORRUPT);
	svc_facts_free(&f);
}

static void test_unknown_arch_and_vmbus(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	windows("v", "Windows", "win7-x86", "i386", NULL);
	hvo_fg_sh("echo 'not a PE' > v/Windows/System32/ntoskrnl.exe;"
		  "echo 'MZ only' > v/Windows/System32/drivers/vmbus.sys");
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v") };
	struct guest_hostdir_disk spec = one_volume(&v, "pe.vhdx");
	struct svc_facts f;
	inspect(&spec, &f);
	assert_string_equal(f.arch, "");
	assert_true(svc_facts_has_problem(&f, "unknown-arch"));
	assert_true(f.vmbus_present);
	assert_false(f.vmbus_version_known);
	assert_true(svc_facts_has_problem(&f, "vmbus-version-unknown"));
	/* Notes, not refusals. */
	assert_int_equal(f.verdict, HVO_EXIT_OK);
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
	snprintf(f.parent, sizeof(f.parent), "base.vhdx");
	f.parent_of_child = true;
	snprintf(f.child, sizeof(f.child), "base_1234.avhdx");
	f.in_use = true;
	snprintf(f.in_use_by, sizeof(f.in_use_by), "a write lock");
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
	snprintf(f.preflight_error, sizeof(f.preflight_error), "bad header");
	svc_inspect_evaluate(&f);
	assert_int_equal(f.verdict, HVO_EXIT_CORRUPT);
	svc_facts_free(&f);
}

/* ------------------------------------------------------------------ */
/* Which package applies: the real packages against detected guests.   */
/* ------------------------------------------------------------------ */

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
	windows("w7", "Windows", "win7-x86", "i386", "6.2.9200.16433");
	struct guest_hostdir_volume v = { .root = hvo_fg_at("w7") };
	struct guest_hostdir_disk spec = one_volume(&v, "w7.vhdx");
	inspect(&spec, &f);
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
	windows("s12", "Windows", "ws2012-x64", "amd64", "6.2.9200.16384");
	v.root = hvo_fg_at("s12");
	spec = one_volume(&v, "s12.vhdx");
	inspect(&spec, &f);
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
	spec = one_volume(&v, "xp.vhdx");
	inspect(&spec, &f);
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

/* The text report says what the JSON says. */
static void test_text_report(void **state)
{
	(void)state;
	hvo_fg_sh("mkdir v");
	windows("v", "Windows", "win7-x86", "i386", "6.2.9200.16433");
	hvo_fg_sh("printf HIBR > v/hiberfil.sys");
	struct guest_hostdir_volume v = { .root = hvo_fg_at("v") };
	struct guest_hostdir_disk spec = one_volume(&v, "text.vhdx");
	struct svc_facts f;
	inspect(&spec, &f);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	svc_facts_text(&f, out);
	fclose(out);
	static const char *const want[] = {
		"text.vhdx: unsafe\n",
		"mbr (Hyper-V generation 1)",
		"Windows 7 Ultimate (NT 6.1 build 7601, Service Pack 1)",
		"architecture:  x86 (from ntoskrnl.exe)",
		"control set:   ControlSet001",
		"vmbus.sys:     6.2.9200.16433",
		"IC package:    Microsoft-Hyper-V-Integration-Services-Package "
		"x86 6.2.9200.16433",
		"problem: Windows is hibernated",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("'%s' not in:\n%s", want[i], text);
	free(text);
	svc_facts_free(&f);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_win7_mbr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws2012_gpt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hibernated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ntfs_dirty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bitlocker, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dirty_hives, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dirty_recoverable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_xp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_windows_and_several,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_control_set, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_arch_and_vmbus,
						setup, teardown),
		cmocka_unit_test(test_evaluate_preflight),
		cmocka_unit_test_setup_teardown(test_applicability, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_text_report, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_linux_parse.c - the parsers of a Linux guest's text files
 * (src/servicing/inspect_linux_parse.c) and the ext superblock probe
 * (src/guest/native_ext.c), one rule per test.  Inputs are written out
 * here; the expected values are what os-release(5), deb-control(5),
 * depmod(8) and the ext4 superblock layout say they mean.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guest/native_ext.h"
#include "servicing/inspect_linux.h"

#define S(lit) lit, sizeof(lit) - 1

static void os_release_quoting(void **state)
{
	(void)state;
	struct svc_os_release os;
	/* Double quotes with escapes, single quotes literal, unquoted with
	 * a backslash, a comment, CRLF, an unknown key, leading blanks. */
	const char in[] = "# comment\n"
			  "NAME=\"A \\\"q\\\" \\$x \\n\"\r\n"
			  "ID='deb\\ian'\n"
			  "VERSION_ID=12\\.1   \n"
			  "  PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
			  "ID_LIKE=\n"
			  "OTHER=\"x\"\n"
			  "VERSION_CODENAME=bookworm";
	assert_true(svc_linux_parse_os_release(S(in), &os));
	assert_string_equal(os.name, "A \"q\" $x \\n");
	assert_string_equal(os.id, "deb\\ian");
	assert_string_equal(os.version_id, "12.1");
	assert_string_equal(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(os.id_like, "");
	assert_string_equal(os.codename, "bookworm");
	assert_false(svc_linux_parse_os_release(S("FOO=bar\n# ID=x\n"), &os));
	/* A key is matched whole: VERSION is not VERSION_ID. */
	assert_true(svc_linux_parse_os_release(S("VERSION=\"12 (b)\"\n"), &os));
	assert_string_equal(os.version, "12 (b)");
	assert_string_equal(os.version_id, "");
}

static void os_release_truncates(void **state)
{
	(void)state;
	struct svc_os_release os;
	char in[600] = "ID=";
	memset(in + 3, 'a', 500);
	in[503] = '\n';
	assert_true(svc_linux_parse_os_release(in, 504, &os));
	assert_int_equal(strlen(os.id), sizeof(os.id) - 1);
}

static void dpkg_status(void **state)
{
	(void)state;
	const char st[] = "Package: hyperv-daemons-doc\n"
			  "Status: install ok installed\n"
			  "Version: 1\n"
			  "\n"
			  "Package: hyperv-daemons\n"
			  "Status: deinstall ok config-files\n"
			  "Version: 2\n"
			  "\n"
			  "Package: hyperv-daemons\n"
			  "Description: x\n"
			  " Status: install ok installed\n"
			  "Version: 3\n"
			  "\n"
			  "Package: linux-cloud-tools-common\n"
			  "Version: 6.5.0-14.14\n"
			  "status: install ok installed";
	char v[32];
	/* Only a stanza of that exact name whose own Status says
	 * installed (a continuation line does not count). */
	assert_false(svc_linux_dpkg_installed(S(st), "hyperv-daemons", v,
					      sizeof(v)));
	assert_true(svc_linux_dpkg_installed(S(st), "hyperv-daemons-doc", v,
					     sizeof(v)));
	assert_string_equal(v, "1");
	/* Field names are case-insensitive; no final newline. */
	assert_true(svc_linux_dpkg_installed(S(st), "linux-cloud-tools-common",
					     v, sizeof(v)));
	assert_string_equal(v, "6.5.0-14.14");
}

static void modules_builtin_and_dep(void **state)
{
	(void)state;
	char p[64];
	const char b[] = "kernel/drivers/hv/hv_vmbus.ko\n"
			 "kernel/drivers/hv/hv_utils_extra.ko\n"
			 "kernel/drivers/scsi/hv-storvsc.ko\n";
	assert_true(svc_linux_builtin_find(S(b), "hv_vmbus", p, sizeof(p)));
	assert_string_equal(p, "kernel/drivers/hv/hv_vmbus.ko");
	/* A longer name is another module. */
	assert_false(svc_linux_builtin_find(S(b), "hv_utils", p, sizeof(p)));
	/* '-' and '_' are the same to modprobe. */
	assert_true(svc_linux_builtin_find(S(b), "hv_storvsc", p, sizeof(p)));
	const char d[] =
		"kernel/drivers/hv/hv_vmbus.ko.xz:\n"
		"extra/hv_netvsc.ko.zst: kernel/drivers/hv/hv_vmbus.ko.xz\n"
		"kernel/x/hv_utils.ko.bz2:\n"
		"kernel/y/hv_utils.ko.gz: kernel/drivers/hv/hv_vmbus.ko.xz";
	assert_true(svc_linux_dep_find(S(d), "hv_netvsc", p, sizeof(p)));
	assert_string_equal(p, "extra/hv_netvsc.ko.zst");
	/* A dependency is not the module's own line. */
	assert_true(svc_linux_dep_find(S(d), "hv_vmbus", p, sizeof(p)));
	assert_string_equal(p, "kernel/drivers/hv/hv_vmbus.ko.xz");
	/* Unknown compression suffixes are not modules. */
	assert_true(svc_linux_dep_find(S(d), "hv_utils", p, sizeof(p)));
	assert_string_equal(p, "kernel/y/hv_utils.ko.gz");
	assert_false(svc_linux_dep_find(S(d), "hv_storvsc", p, sizeof(p)));
}

/* The superblock probe names volumes as blkid does. */
static void ext_probe(void **state)
{
	(void)state;
	uint8_t sb[NATIVE_EXT_SB_SIZE] = { 0 };
	assert_null(native_int_ext_probe(sb, sizeof(sb)));
	sb[0x38] = 0x53; /* s_magic 0xEF53, little-endian */
	sb[0x39] = 0xef;
	assert_string_equal(native_int_ext_probe(sb, sizeof(sb)), "ext2");
	sb[0x5c] = 0x04; /* s_feature_compat: has_journal */
	assert_string_equal(native_int_ext_probe(sb, sizeof(sb)), "ext3");
	sb[0x60] = 0x02 | 0x04; /* incompat: filetype, recover (ext3's) */
	assert_string_equal(native_int_ext_probe(sb, sizeof(sb)), "ext3");
	sb[0x60] |= 0x40; /* incompat: extents */
	assert_string_equal(native_int_ext_probe(sb, sizeof(sb)), "ext4");
	sb[0x60] = 0x02;
	sb[0x64] = 0x08; /* s_feature_ro_compat: huge_file */
	assert_string_equal(native_int_ext_probe(sb, sizeof(sb)), "ext4");
	sb[0x60] = 0x08; /* incompat: journal_dev */
	assert_string_equal(native_int_ext_probe(sb, sizeof(sb)), "jbd");
	/* Too short to hold the feature words. */
	assert_null(native_int_ext_probe(sb, 0x64));
}

static void fstab_entries(void **state)
{
	(void)state;
	struct svc_fstab_entry e[4];
	/* A comment, a blank line, tabs, an octal-escaped space (fstab(5)),
	 * a line of two fields (skipped), no final newline; a fifth entry
	 * past the caller's four is not read. */
	const char in[] = "# /etc/fstab\n"
			  "\n"
			  "UUID=2c1f-01\t/boot\text4\tdefaults 1 2\n"
			  "  LABEL=My\\040Data /mnt/my\\040data ext4 ro 0 0\r\n"
			  "/dev/sda5 none\n"
			  "/dev/mapper/rhel-home /home xfs defaults 0 0\n"
			  "/dev/sda1 /usr ext4\n"
			  "/dev/sda9 /x ext4";
	assert_int_equal(svc_linux_parse_fstab(S(in), e, 4), 4);
	assert_string_equal(e[0].spec, "UUID=2c1f-01");
	assert_string_equal(e[0].file, "/boot");
	assert_string_equal(e[0].vfstype, "ext4");
	assert_string_equal(e[1].spec, "LABEL=My Data");
	assert_string_equal(e[1].file, "/mnt/my data");
	assert_string_equal(e[2].spec, "/dev/mapper/rhel-home");
	assert_string_equal(e[2].vfstype, "xfs");
	assert_string_equal(e[3].file, "/usr");
	/* An escape cut by the end of the field is kept as written. */
	const char cut[] = "LABEL=a\\04 /b ext4";
	assert_int_equal(svc_linux_parse_fstab(S(cut), e, 4), 1);
	assert_string_equal(e[0].spec, "LABEL=a\\04");
	assert_int_equal(svc_linux_parse_fstab("", 0, e, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(os_release_quoting),
		cmocka_unit_test(os_release_truncates),
		cmocka_unit_test(dpkg_status),
		cmocka_unit_test(modules_builtin_and_dep),
		cmocka_unit_test(ext_probe),
		cmocka_unit_test(fstab_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

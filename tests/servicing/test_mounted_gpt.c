/*
 * test_mounted_gpt.c - the guest's system drive from SYSTEM\MountedDevices
 * on a GPT disk (issue 18): the mount manager's "\DosDevices\X:" value of
 * a GPT volume is "DMIO:ID:" and the partition's unique GUID in Windows'
 * mixed-endian layout (Data1, Data2, Data3 little-endian), compared with
 * the GUID the partition table gives the volume.
 *
 *   - the matcher, on values built byte by byte: the right GUID, the same
 *     GUID in RFC 4122 byte order, Data4 swapped, another prefix, another
 *     length, an MBR value on a GPT disk and the reverse;
 *   - a ws2012 guest on a host-directory GPT disk whose SOFTWARE
 *     SystemRoot names no usable drive: the letter (and the plan's
 *     $(runtime.*) paths) come from MountedDevices; two letters naming
 *     the volume, or none, leave the default C:.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "servicing/inspect_int.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "tests/servicing/svctest.h"

/* The Windows volume's unique partition GUID in text... */
#define WIN_GUID "4E2B9A61-0C7D-4F38-9B15-A2C3D4E5F607"
/* ... and as the GPT entry and MountedDevices store it. */
static const uint8_t win_guid[16] = {
	0x61, 0x9a, 0x2b, 0x4e, /* Data1 0x4E2B9A61, little-endian */
	0x7d, 0x0c,		/* Data2 0x0C7D, little-endian */
	0x38, 0x4f,		/* Data3 0x4F38, little-endian */
	0x9b, 0x15, 0xa2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, /* Data4 */
};

/* "DMIO:ID:" and @g. */
static void dmio(uint8_t out[24], const uint8_t g[16])
{
	memcpy(out, "DMIO:ID:", 8);
	memcpy(out + 8, g, 16);
}

static void test_matcher(void **state)
{
	(void)state;
	struct guest_volume gpt = { .partnum = 3, .start = 1 << 20 };
	snprintf(gpt.gpt_guid, sizeof(gpt.gpt_guid), "%s", WIN_GUID);
	uint8_t v[24];
	dmio(v, win_guid);
	assert_true(svc_int_mounted_device_is(v, 24, GUEST_PTABLE_GPT, &gpt));
	/* The GUID's text order as bytes (RFC 4122): not the volume. */
	static const uint8_t rfc[16] = { 0x4e, 0x2b, 0x9a, 0x61, 0x0c, 0x7d,
					 0x4f, 0x38, 0x9b, 0x15, 0xa2, 0xc3,
					 0xd4, 0xe5, 0xf6, 0x07 };
	dmio(v, rfc);
	assert_false(svc_int_mounted_device_is(v, 24, GUEST_PTABLE_GPT, &gpt));
	/* Data4 is not swapped: its first two bytes reversed differ. */
	uint8_t swapped[16];
	memcpy(swapped, win_guid, 16);
	swapped[8] = 0x15;
	swapped[9] = 0x9b;
	dmio(v, swapped);
	assert_false(svc_int_mounted_device_is(v, 24, GUEST_PTABLE_GPT, &gpt));
	/* Another prefix, another length. */
	dmio(v, win_guid);
	v[0] = 'X';
	assert_false(svc_int_mounted_device_is(v, 24, GUEST_PTABLE_GPT, &gpt));
	dmio(v, win_guid);
	assert_false(svc_int_mounted_device_is(v, 23, GUEST_PTABLE_GPT, &gpt));
	/* A GPT volume with no GUID known matches nothing. */
	struct guest_volume noguid = { .partnum = 3 };
	assert_false(
		svc_int_mounted_device_is(v, 24, GUEST_PTABLE_GPT, &noguid));
	/* The right GUID, but the disk is MBR: not taken. */
	assert_false(svc_int_mounted_device_is(v, 24, GUEST_PTABLE_MBR, &gpt));
	/* MBR: signature 78563412, offset 1 MiB little-endian. */
	static const uint8_t mbr[12] = { 0x12, 0x34, 0x56, 0x78, 0x00, 0x00,
					 0x10, 0x00, 0x00, 0x00, 0x00, 0x00 };
	assert_true(svc_int_mounted_device_is(mbr, 12, GUEST_PTABLE_MBR, &gpt));
	assert_false(
		svc_int_mounted_device_is(mbr, 12, GUEST_PTABLE_GPT, &gpt));
	struct guest_volume other = { .start = 2 << 20 };
	assert_false(
		svc_int_mounted_device_is(mbr, 12, GUEST_PTABLE_MBR, &other));
}

/* The .reg hex of "DMIO:ID:" and @g. */
static void reg_hex(char *out, size_t size, const uint8_t g[16])
{
	uint8_t v[24];
	dmio(v, g);
	size_t n = 0;
	for (size_t i = 0; i < 24 && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%02x", i ? "," : "",
				      v[i]);
}

/* The ws2012 guest in vol, SOFTWARE's SystemRoot "E:\Other" (not its
 * folder: unusable), MountedDevices with the letters of @letters naming
 * the Windows volume by its GUID, K: by the RFC-order bytes, L: another
 * GUID, M: an MBR value at offset 0. */
static void guest(const char *letters)
{
	hvo_fg_sh("rm -rf vol");
	hvo_fg_ws2012();
	static const uint8_t rfc[16] = { 0x4e, 0x2b, 0x9a, 0x61, 0x0c, 0x7d,
					 0x4f, 0x38, 0x9b, 0x15, 0xa2, 0xc3,
					 0xd4, 0xe5, 0xf6, 0x07 };
	uint8_t another[16];
	memcpy(another, win_guid, 16);
	another[15] ^= 1;
	char h_win[100], h_rfc[100], h_other[100];
	reg_hex(h_win, sizeof(h_win), win_guid);
	reg_hex(h_rfc, sizeof(h_rfc), rfc);
	reg_hex(h_other, sizeof(h_other), another);
	char reg[2048];
	int n = snprintf(reg, sizeof(reg),
			 "Windows Registry Editor Version 5.00\n\n"
			 "[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]\n"
			 "\"\\\\DosDevices\\\\K:\"=hex:%s\n"
			 "\"\\\\DosDevices\\\\L:\"=hex:%s\n"
			 "\"\\\\DosDevices\\\\M:\"=hex:12,34,56,78,00,00,00,"
			 "00,00,00,00,00\n",
			 h_rfc, h_other);
	for (const char *c = letters; *c; c++)
		n += snprintf(reg + n, sizeof(reg) - (size_t)n,
			      "\"\\\\DosDevices\\\\%c:\"=hex:%s\n", *c, h_win);
	hvo_test_write_file(hvo_fg_at("md.reg"), reg, strlen(reg));
	hvo_fg_sh("hivexregedit --merge vol/Windows/System32/config/SYSTEM "
		  "--prefix 'HKEY_LOCAL_MACHINE\\SYSTEM' md.reg");
	static const char soft[] =
		"Windows Registry Editor Version 5.00\n\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\"
		"CurrentVersion]\n\"SystemRoot\"=\"E:\\\\Other\"\n";
	hvo_test_write_file(hvo_fg_at("root.reg"), soft, strlen(soft));
	hvo_fg_sh("hivexregedit --merge vol/Windows/System32/config/SOFTWARE "
		  "--prefix 'HKEY_LOCAL_MACHINE\\SOFTWARE' root.reg");
}

/* Inspects vol as partition 3 of a GPT disk (ESP, MSR, Windows), and
 * plans the 6.2 package for it: the plan as text (caller frees). */
static char *inspect_and_plan(struct svc_facts *f)
{
	hvo_fg_sh("mkdir -p esp/EFI/Microsoft/Boot");
	struct guest_hostdir_volume vols[] = {
		{ .root = hvo_fg_at("esp"),
		  .partnum = 1,
		  .size = 1 << 20,
		  .fstype = "vfat",
		  .gpt_type = GUEST_GPT_TYPE_ESP,
		  .gpt_guid = "11111111-2222-3333-4444-555555555555" },
		{ .partnum = 2,
		  .size = 1 << 20,
		  .gpt_type = GUEST_GPT_TYPE_MSR,
		  .gpt_guid = "66666666-7777-8888-9999-AAAAAAAAAAAA" },
		{ .root = hvo_fg_at("vol"),
		  .partnum = 3,
		  .size = 13 << 20,
		  .fstype = "ntfs",
		  .gpt_type = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
		  .gpt_guid = WIN_GUID },
	};
	struct guest_hostdir_disk spec = { "gpt.vhdx", GUEST_PTABLE_GPT,
					   16 << 20, 3, vols };
	svct_inspect(&spec, f);
	assert_int_equal(f->verdict, HVO_EXIT_OK);
	assert_int_equal(f->ptable, GUEST_PTABLE_GPT);
	assert_string_equal(f->systemroot_value, "E:\\Other");
	assert_string_equal(f->volumes[f->windows_volume].vol.gpt_guid,
			    WIN_GUID);
	struct svc_plan *plan = svct_plan(f, &svct_x64);
	return hvo_fg_plan_text(plan);
}

static void test_gpt_system_drive(void **state)
{
	(void)state;
	static const struct {
		const char *letters; /* naming the Windows volume */
		const char *drive;   /* what inspection finds */
	} cases[] = {
		{ "D", "D:" },
		{ "G", "G:" },
		{ "DG", "" }, /* two: ambiguous, the default */
		{ "", "" },   /* only the decoys: the default */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		guest(cases[i].letters);
		struct svc_facts f;
		char *text = inspect_and_plan(&f);
		assert_string_equal(f.system_drive, cases[i].drive);
		assert_int_equal(f.system_drive_from_mounted_devices,
				 cases[i].drive[0] != '\0');
		const char *d = cases[i].drive[0] ? cases[i].drive : "C:";
		char want[16];
		snprintf(want, sizeof(want), "%s\\Windows\\", d);
		if (strstr(text, want) == NULL)
			fail_msg("case %zu: no %s in the plan:\n%s", i, want,
				 text);
		/* No other drive in the plan's paths. */
		static const char *const drives[] = { "C:\\", "D:\\", "G:\\",
						      "K:\\", "L:\\", "M:\\" };
		for (size_t k = 0; k < 6; k++)
			if (drives[k][0] != d[0])
				assert_null(strstr(text, drives[k]));
		free(text);
		svc_facts_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matcher),
		cmocka_unit_test_setup_teardown(test_gpt_system_drive,
						svct_setup, hvo_fg_teardown),
	};
	return cmocka_run_group_tests(tests, svct_load_packages,
				      svct_free_packages);
}

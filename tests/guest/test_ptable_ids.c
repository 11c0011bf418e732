/*
 * test_ptable_ids.c - the identities a partition table gives its disk and
 * partitions (ptable.c): a GPT disk's GUID and each entry's unique
 * partition GUID, read from a table built here byte by byte, primary and
 * backup, and carried through guest_disk_head_read().
 *
 * The GUIDs are written in the mixed-endian layout of the UEFI
 * specification (Appendix A: Data1, Data2 and Data3 little-endian, Data4
 * as written), spelled out per field, so that a reader that printed the
 * bytes in order (RFC 4122 style) or swapped Data4 fails here.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "guest/ptable.h"

#define SECTOR	  512u
#define NSECTORS  2048u /* a 1 MiB disk */
#define NENTRIES  128u
#define ESIZE	  128u
#define ARRAY_LEN (NENTRIES * ESIZE) /* 32 sectors */

/* Partition 1's unique GUID 01234567-89AB-CDEF-0123-456789ABCDEF. */
static const uint8_t guid1[16] = {
	0x67, 0x45, 0x23, 0x01, /* Data1 0x01234567, little-endian */
	0xab, 0x89,		/* Data2 0x89AB, little-endian */
	0xef, 0xcd,		/* Data3 0xCDEF, little-endian */
	0x01, 0x23,		/* Data4[0..1], as written */
	0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* Data4[2..7] */
};
/* Partition 3's (entry 2): 00112233-4455-6677-8899-AABBCCDDEEFF. */
static const uint8_t guid3[16] = {
	0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
/* The disk GUID FEDCBA98-7654-3210-A1B2-C3D4E5F60718. */
static const uint8_t disk_guid[16] = {
	0x98, 0xba, 0xdc, 0xfe, 0x54, 0x76, 0x10, 0x32,
	0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18,
};
/* Basic data partition EBD0A0A2-B9E5-4433-87C0-68B6B72699C7. */
static const uint8_t basic_data[16] = {
	0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44,
	0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7,
};

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t crc(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/* A GPT header at @lba whose entry array is at @entries (UEFI 2.10
 * table 5-5), for entries with CRC @array_crc. */
static void header(uint8_t *disk, uint64_t lba, uint64_t alt, uint64_t entries,
		   uint32_t array_crc)
{
	uint8_t *h = disk + lba * SECTOR;
	memcpy(h + 0, "EFI PART", 8);  /* Signature */
	le32(h + 8, 0x00010000);       /* Revision 1.0 */
	le32(h + 12, 92);	       /* HeaderSize */
	le32(h + 16, 0);	       /* HeaderCRC32, computed last */
	le64(h + 24, lba);	       /* MyLBA */
	le64(h + 32, alt);	       /* AlternateLBA */
	le64(h + 40, 34);	       /* FirstUsableLBA */
	le64(h + 48, NSECTORS - 34);   /* LastUsableLBA */
	memcpy(h + 56, disk_guid, 16); /* DiskGUID */
	le64(h + 72, entries);	       /* PartitionEntryLBA */
	le32(h + 80, NENTRIES);	       /* NumberOfPartitionEntries */
	le32(h + 84, ESIZE);	       /* SizeOfPartitionEntry */
	le32(h + 88, array_crc);       /* PartitionEntryArrayCRC32 */
	le32(h + 16, crc(h, 92));
}

/* A 1 MiB GPT disk: entry 0 and entry 2 used, entry 1 empty. */
static uint8_t *gpt_disk(void)
{
	uint8_t *d = calloc(NSECTORS, SECTOR);
	assert_non_null(d);
	/* Protective MBR: one entry of type 0xEE over the disk. */
	uint8_t *e = d + 0x1be;
	e[4] = 0xee;		    /* OSType */
	le32(e + 8, 1);		    /* StartingLBA */
	le32(e + 12, NSECTORS - 1); /* SizeInLBA */
	d[0x1fe] = 0x55;
	d[0x1ff] = 0xaa;
	/* Entry array (table 5-6) at LBA 2 and, for the backup, at the 32
	 * sectors before the last. */
	uint8_t a[ARRAY_LEN] = { 0 };
	uint8_t *p = a;
	memcpy(p + 0, basic_data, 16); /* PartitionTypeGUID */
	memcpy(p + 16, guid1, 16);     /* UniquePartitionGUID */
	le64(p + 32, 40);	       /* StartingLBA */
	le64(p + 40, 999);	       /* EndingLBA */
	p = a + 2 * ESIZE;
	memcpy(p + 0, basic_data, 16);
	memcpy(p + 16, guid3, 16);
	le64(p + 32, 1000);
	le64(p + 40, 1999);
	uint32_t ac = crc(a, sizeof(a));
	memcpy(d + 2 * SECTOR, a, sizeof(a));
	memcpy(d + (NSECTORS - 33) * SECTOR, a, sizeof(a));
	header(d, 1, NSECTORS - 1, 2, ac);
	header(d, NSECTORS - 1, 1, NSECTORS - 33, ac);
	return d;
}

static int mem_read(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	const uint8_t *d = ctx;
	if (off > (uint64_t)NSECTORS * SECTOR ||
	    len > (uint64_t)NSECTORS * SECTOR - off)
		return -1;
	memcpy(buf, d + off, len);
	return 0;
}

/* Reads @d's table, which must read; its partitions in *@parts (caller
 * frees), the disk GUID in @dg. */
static size_t read_table(uint8_t *d, enum guest_ptable *type,
			 struct guest_partition **parts,
			 char dg[GUEST_PTABLE_GUID_SIZE])
{
	size_t n;
	char why[160] = "";
	assert_int_equal(
		guest_ptable_read_ids(mem_read, d, (uint64_t)NSECTORS * SECTOR,
				      type, parts, &n, dg, why, sizeof(why)),
		GUEST_PTABLE_OK);
	return n;
}

static void check_ids(uint8_t *d)
{
	enum guest_ptable type;
	struct guest_partition *parts;
	char dg[GUEST_PTABLE_GUID_SIZE];
	assert_int_equal(read_table(d, &type, &parts, dg), 2);
	assert_int_equal(type, GUEST_PTABLE_GPT);
	assert_string_equal(dg, "FEDCBA98-7654-3210-A1B2-C3D4E5F60718");
	assert_int_equal(parts[0].partnum, 1);
	assert_string_equal(parts[0].gpt_guid,
			    "01234567-89AB-CDEF-0123-456789ABCDEF");
	assert_string_equal(parts[0].gpt_type,
			    "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
	assert_int_equal(parts[1].partnum, 3);
	assert_string_equal(parts[1].gpt_guid,
			    "00112233-4455-6677-8899-AABBCCDDEEFF");
	free(parts);
}

static void test_gpt_guids(void **state)
{
	(void)state;
	uint8_t *d = gpt_disk();
	check_ids(d);
	/* The same through discovery's head read. */
	struct guest_disk_head h;
	assert_int_equal(guest_disk_head_read(mem_read, d,
					      (uint64_t)NSECTORS * SECTOR, &h),
			 GUEST_OK);
	assert_int_equal(h.result, GUEST_PTABLE_OK);
	assert_string_equal(h.disk_guid,
			    "FEDCBA98-7654-3210-A1B2-C3D4E5F60718");
	assert_int_equal(h.nparts, 2);
	assert_string_equal(h.parts[0].gpt_guid,
			    "01234567-89AB-CDEF-0123-456789ABCDEF");
	guest_disk_head_free(&h);
	free(d);
}

/* A primary header that fails its CRC: the identities come from the
 * backup header and array at the end of the disk. */
static void test_gpt_guids_backup(void **state)
{
	(void)state;
	uint8_t *d = gpt_disk();
	d[SECTOR + 56] ^= 0xff; /* the primary's disk GUID, CRC now wrong */
	memset(d + 2 * SECTOR, 0, ARRAY_LEN); /* and its array gone */
	check_ids(d);
	free(d);
}

/* An MBR disk has neither: "" for the disk and every partition. */
static void test_mbr_no_guids(void **state)
{
	(void)state;
	uint8_t *d = calloc(NSECTORS, SECTOR);
	assert_non_null(d);
	uint8_t *e = d + 0x1be;
	e[4] = 0x07;		     /* NTFS */
	le32(e + 8, 2048 / 2);	     /* StartingLBA */
	le32(e + 12, 512);	     /* SizeInLBA */
	le32(d + 0x1b8, 0x12345678); /* disk signature */
	d[0x1fe] = 0x55;
	d[0x1ff] = 0xaa;
	enum guest_ptable type;
	struct guest_partition *parts;
	char dg[GUEST_PTABLE_GUID_SIZE] = "junk";
	assert_int_equal(read_table(d, &type, &parts, dg), 1);
	assert_int_equal(type, GUEST_PTABLE_MBR);
	assert_string_equal(dg, "");
	assert_string_equal(parts[0].gpt_guid, "");
	free(parts);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpt_guids),
		cmocka_unit_test(test_gpt_guids_backup),
		cmocka_unit_test(test_mbr_no_guids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

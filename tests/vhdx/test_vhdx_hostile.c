/*
 * test_vhdx_hostile.c - invalid and adversarial images, built byte by
 * byte (vhdxtest.c writes every field at its MS-VHDX offset; each test
 * changes one thing, commented), and what the library must say about
 * them.  Every refused image must be left exactly as it was, also by a
 * writable open.
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

#include "tests/lib/hvotest.h"
#include "tests/vhdx/vhdxtest.h"
#include "util/bytes.h"
#include "vhdx/internal.h"

static char *tmp;
static char *path;

#define MiB (1u << 20)

static const uint8_t log_guid[16] = { 0xbc, 0x55, 0x27, 0xc8, 0x7f, 0x42,
				      0x45, 0x12, 0xb7, 0x2c, 0xda, 0x70,
				      0xaa, 0xab, 0xe0, 0x31 };
static const uint8_t other_guid[16] = { 1, 2,  3,  4,  5,  6,  7,  8,
					9, 10, 11, 12, 13, 14, 15, 16 };

/* Opens @v (saved to a file) read-only and writable; both must fail with
 * @code and a message containing @what, and leave the file unchanged. */
static void refused(const struct vt_image *v, enum vhdx_err code,
		    const char *what)
{
	vt_save(v, path);
	for (int w = 0; w < 2; w++) {
		struct vhdx_image *img = NULL;
		struct vhdx_error err = { 0 };
		enum vhdx_err r = vhdx_open(path, w ? VHDX_OPEN_WRITE : 0, NULL,
					    &img, &err);
		if (r != code || strstr(err.msg, what) == NULL)
			fprintf(stderr, "want %d \"%s\", got %d \"%s\"\n", code,
				what, r, err.msg);
		assert_int_equal(r, code);
		assert_non_null(strstr(err.msg, what));
		assert_null(img);
		size_t len;
		uint8_t *now = hvo_test_read_file(path, &len);
		assert_int_equal(len, v->size);
		assert_memory_equal(now, v->buf, len);
		free(now);
	}
}

/* Opens @v read-only; must succeed. */
static struct vhdx_image *opens(const struct vt_image *v, unsigned flags)
{
	vt_save(v, path);
	struct vhdx_image *img = NULL;
	struct vhdx_error err = { 0 };
	enum vhdx_err r = vhdx_open(path, flags, NULL, &img, &err);
	if (r != VHDX_OK)
		fprintf(stderr, "unexpected: %s\n", err.msg);
	assert_int_equal(r, VHDX_OK);
	return img;
}

static void build(struct vt_image *v)
{
	/* 64 MiB disk, 1 MiB blocks, 512-byte sectors. */
	vt_build(v, 64 * MiB, MiB, 512);
}

/* Metadata table entry @i (0 = file parameters ... 4 = physical sector). */
static uint8_t *mte(struct vt_image *v, int i)
{
	return v->buf + VT_META + 32 + i * 32;
}

static void test_valid_baseline(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	build(&v);
	struct vhdx_image *img = opens(&v, 0);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	assert_int_equal(in.virtual_size, 64 * MiB);
	assert_int_equal(in.block_size, MiB);
	assert_int_equal(in.chunk_ratio, 4096);
	assert_int_equal(in.current_header, 2);
	assert_string_equal(in.creator, "t");
	uint8_t buf[4096];
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(vhdx_pread(img, buf, sizeof(buf), 5 * MiB), VHDX_OK);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	/* Past the end of the disk. */
	assert_int_equal(vhdx_pread(img, buf, 2, 64 * MiB - 1), VHDX_ERR_RANGE);
	vhdx_close(img, NULL);
	vt_free(&v);
}

static void test_file_identifier(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	build(&v);
	memcpy(v.buf, "vhdxfilf", 8); /* Signature: one byte off */
	refused(&v, VHDX_ERR_NOT_VHDX, "vhdxfile");
	memcpy(v.buf, "vhdxfile", 8);
	vt_resize(&v, 512 * 1024); /* shorter than the header section */
	refused(&v, VHDX_ERR_TRUNCATED, "header section");
	vt_resize(&v, 4); /* shorter than the signature */
	refused(&v, VHDX_ERR_NOT_VHDX, "too short");
	vt_free(&v);
}

static void test_headers(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	build(&v);
	v.buf[VT_H2 + 100] ^= 1; /* header 2: a reserved byte, CRC now wrong */
	struct vhdx_image *img = opens(&v, 0);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	assert_int_equal(in.current_header, 1); /* falls back to header 1 */
	struct vhdx_check_report rep;
	assert_int_equal(vhdx_check(img, &rep), VHDX_OK);
	assert_int_equal(rep.nproblems, 0);
	assert_true(rep.nwarnings >= 1);
	vhdx_check_report_free(&rep);
	vhdx_close(img, NULL);

	v.buf[VT_H1 + 100] ^= 1; /* and header 1 too: none valid */
	refused(&v, VHDX_ERR_CORRUPT, "no valid header");
	v.buf[VT_H1 + 100] ^= 1;
	v.buf[VT_H2 + 100] ^= 1;

	memcpy(v.buf + VT_H1, "HEAD", 4); /* header 1: bad signature */
	vt_fix_header(&v, 1);
	img = opens(&v, 0);
	vhdx_close(img, NULL);
	memcpy(v.buf + VT_H1, "head", 4);

	/* Same sequence number, different contents: no current header. */
	put_le64(v.buf + VT_H1 + 8, 2);
	v.buf[VT_H1 + 32] ^= 0xff; /* and another DataWriteGuid */
	vt_fix_header(&v, 1);
	refused(&v, VHDX_ERR_CORRUPT, "no current header");
	/* Same sequence number and identical (Disk2VHD): accepted. */
	v.buf[VT_H1 + 32] ^= 0xff;
	memcpy(v.buf + VT_H1, v.buf + VT_H2, 4096);
	img = opens(&v, 0);
	vhdx_close(img, NULL);

	build(&v);
	put_le16(v.buf + VT_H2 + 66, 2); /* Version 2 */
	vt_fix_header(&v, 2);
	refused(&v, VHDX_ERR_UNSUPPORTED, "format version 2");

	build(&v);
	put_le16(v.buf + VT_H2 + 64, 1); /* LogVersion 1, LogGuid zero */
	vt_fix_header(&v, 2);
	img = opens(&v, 0); /* nothing to replay: readable */
	vhdx_close(img, NULL);
	vt_save(&v, path); /* but never written through an unknown log */
	struct vhdx_error err;
	assert_int_equal(vhdx_open(path, VHDX_OPEN_WRITE, NULL, &img, &err),
			 VHDX_ERR_UNSUPPORTED);
	vt_set_log_guid(&v, log_guid); /* LogVersion 1 with a log to replay */
	refused(&v, VHDX_ERR_UNSUPPORTED, "log version 1");

	build(&v);
	put_le64(v.buf + VT_H2 + 72, MiB + 4096); /* LogOffset not aligned */
	vt_fix_header(&v, 2);
	refused(&v, VHDX_ERR_CORRUPT, "log offset");
	put_le64(v.buf + VT_H2 + 72, 64 * MiB); /* LogOffset past the end */
	vt_fix_header(&v, 2);
	refused(&v, VHDX_ERR_TRUNCATED, "log");
	put_le64(v.buf + VT_H2 + 72, MiB);
	put_le32(v.buf + VT_H2 + 68, MiB / 2); /* LogLength not 1 MiB-aligned */
	vt_fix_header(&v, 2);
	refused(&v, VHDX_ERR_CORRUPT, "log length");
	vt_free(&v);
}

static void test_region_tables(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	build(&v);
	v.buf[VT_RT1 + 1000] ^= 1; /* table 1: CRC wrong; table 2 is used */
	struct vhdx_image *img = opens(&v, 0);
	vhdx_close(img, NULL);
	v.buf[VT_RT2 + 1000] ^= 1; /* both wrong */
	refused(&v, VHDX_ERR_CORRUPT, "no valid copy");

	build(&v);
	for (int t = 1; t <= 2; t++) {
		uint8_t *rt = v.buf + (t == 1 ? VT_RT1 : VT_RT2);
		put_le32(rt + 8, 2048); /* EntryCount > 2047 */
		vt_fix_region(&v, t);
	}
	refused(&v, VHDX_ERR_CORRUPT, "more than 2047 entries");

	/* A third, unknown region: required -> refused, optional -> fine. */
	build(&v);
	uint8_t *e = v.buf + VT_RT1 + 16 + 64;
	memcpy(e, other_guid, 16);	 /* Guid */
	put_le64(e + 16, 8 * MiB);	 /* FileOffset */
	put_le32(e + 24, MiB);		 /* Length */
	put_le32(e + 28, 1);		 /* Required */
	put_le32(v.buf + VT_RT1 + 8, 3); /* EntryCount */
	vt_fix_region(&v, 1);
	refused(&v, VHDX_ERR_UNSUPPORTED, "marked required");
	put_le32(e + 28, 0); /* Required = 0 */
	vt_fix_region(&v, 1);
	img = opens(&v, 0);
	vhdx_close(img, NULL);

	/* The known regions with Required = 0, as qemu writes them. */
	build(&v);
	put_le32(v.buf + VT_RT1 + 16 + 28, 0);
	put_le32(v.buf + VT_RT1 + 48 + 28, 0);
	vt_fix_region(&v, 1);
	img = opens(&v, 0);
	vhdx_close(img, NULL);

	/* The BAT listed twice. */
	build(&v);
	memcpy(v.buf + VT_RT1 + 16 + 64, v.buf + VT_RT1 + 16, 32);
	put_le32(v.buf + VT_RT1 + 8, 3);
	vt_fix_region(&v, 1);
	refused(&v, VHDX_ERR_CORRUPT, "listed twice");

	/* BAT region: misaligned, past the end, over the log, missing. */
	build(&v);
	put_le64(v.buf + VT_RT1 + 16 + 16, VT_BAT + 4096);
	vt_fix_region(&v, 1);
	refused(&v, VHDX_ERR_CORRUPT, "not 1 MiB-aligned");
	put_le64(v.buf + VT_RT1 + 16 + 16, 16 * MiB);
	vt_fix_region(&v, 1);
	refused(&v, VHDX_ERR_TRUNCATED, "past the end");
	put_le64(v.buf + VT_RT1 + 16 + 16, VT_LOG);
	vt_fix_region(&v, 1);
	refused(&v, VHDX_ERR_CORRUPT, "overlaps");
	put_le32(v.buf + VT_RT1 + 8, 1); /* only the BAT entry... */
	memcpy(v.buf + VT_RT1 + 16, v.buf + VT_RT1 + 48,
	       32); /* ...is metadata */
	vt_fix_region(&v, 1);
	refused(&v, VHDX_ERR_CORRUPT, "no BAT region");
	vt_free(&v);
}

static void test_metadata(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	build(&v);
	memcpy(v.buf + VT_META, "metadatA", 8); /* Signature */
	refused(&v, VHDX_ERR_CORRUPT, "no \"metadata\" signature");

	build(&v);
	put_le16(v.buf + VT_META + 10, 2048); /* EntryCount */
	refused(&v, VHDX_ERR_CORRUPT, "at most 2047");

	build(&v);
	put_le32(mte(&v, 0) + 16, 0x8000); /* Offset inside the table */
	refused(&v, VHDX_ERR_CORRUPT, "outside the metadata region");
	put_le32(mte(&v, 0) + 16, MiB - 4); /* Offset + Length past 1 MiB */
	refused(&v, VHDX_ERR_CORRUPT, "outside the metadata region");
	put_le32(mte(&v, 0) + 16, 0x10000);
	put_le32(mte(&v, 1) + 16, 0x10004); /* overlaps file parameters */
	refused(&v, VHDX_ERR_CORRUPT, "overlaps another item");

	build(&v);
	memcpy(mte(&v, 1), mte(&v, 0), 16); /* item ID of entry 0 twice */
	refused(&v, VHDX_ERR_CORRUPT, "listed twice");

	build(&v);
	memcpy(mte(&v, 2), other_guid, 16); /* disk ID -> unknown, required */
	refused(&v, VHDX_ERR_UNSUPPORTED, "marked required");
	put_le32(mte(&v, 2) + 24, 2); /* not required: ignored */
	struct vhdx_image *img = opens(&v, 0);
	vhdx_close(img, NULL);
	put_le32(mte(&v, 2) + 24, 1 | 4); /* a required *user* item */
	refused(&v, VHDX_ERR_UNSUPPORTED, "unknown user item");

	build(&v);
	memcpy(mte(&v, 0), other_guid, 16); /* no file parameters */
	put_le32(mte(&v, 0) + 24, 0);
	refused(&v, VHDX_ERR_CORRUPT, "no file parameters");

	build(&v);
	put_le32(mte(&v, 1) + 20, 4); /* virtual disk size: 4 bytes */
	refused(&v, VHDX_ERR_CORRUPT, "needs 8");
	vt_free(&v);
}

static void test_metadata_values(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	static const struct {
		uint32_t off; /* inside the metadata region */
		uint64_t value;
		int width;
		const char *what;
	} bad[] = {
		{ 0x10000, 3 * MiB, 4, "block size" },	  /* not a power of 2 */
		{ 0x10000, 512 * MiB, 4, "block size" },  /* > 256 MiB */
		{ 0x10000, 512 * 1024, 4, "block size" }, /* < 1 MiB */
		{ 0x10300, 1024, 4, "logical sector size 1024" },
		{ 0x10400, 2048, 4, "physical sector size 2048" },
		{ 0x10100, 64 * MiB + 100, 8, "virtual disk size" },
		{ 0x10100, 0, 8, "virtual disk size" },
		{ 0x10100, (64ULL << 40) + 512, 8, "virtual disk size" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build(&v);
		if (bad[i].width == 4)
			put_le32(v.buf + VT_META + bad[i].off,
				 (uint32_t)bad[i].value);
		else
			put_le64(v.buf + VT_META + bad[i].off, bad[i].value);
		refused(&v, VHDX_ERR_CORRUPT, bad[i].what);
		vt_free(&v);
	}
	/* 1 TiB of 1 MiB blocks needs an 8 MiB BAT; the region is 1 MiB. */
	build(&v);
	put_le64(v.buf + VT_META + 0x10100, 1ULL << 40);
	refused(&v, VHDX_ERR_CORRUPT, "region of 1048576 bytes holds");
	vt_free(&v);
}

/* A parent locator item of @n key/value pairs at metadata 0x20000. */
static void locator(struct vt_image *v, const char *const *kv, int n,
		    bool vhdx_type)
{
	uint8_t *p = v->buf + VT_META + 0x20000;
	memset(p, 0, 4096);
	if (vhdx_type) /* LocatorType B04AEFB7-D19E-4A81-B789-25B8E9445913 */
		memcpy(p,
		       "\xb7\xef\x4a\xb0\x9e\xd1\x81\x4a\xb7\x89\x25\xb8\xe9"
		       "\x44\x59\x13",
		       16);
	put_le16(p + 18, (uint16_t)n); /* KeyValueCount */
	uint32_t pos = 20 + 12 * (uint32_t)n;
	for (int i = 0; i < 2 * n; i++) {
		const char *s = kv[i];
		uint8_t *e = p + 20 + 12 * (i / 2);
		put_le32(e + (i % 2 ? 4 : 0), pos); /* offset */
		put_le16(e + (i % 2 ? 10 : 8),
			 (uint16_t)(2 * strlen(s))); /* len */
		for (size_t k = 0; s[k]; k++)
			put_le16(p + pos + 2 * k, (uint8_t)s[k]);
		pos += (uint32_t)(2 * strlen(s));
	}
	/* Table entry 5: the parent locator item, required. */
	uint8_t *e = mte(v, 5);
	memcpy(e,
	       "\x2d\x5f\xd3\xa8\x0b\xb3\x4d\x45\xab\xf7\xd3\xd8\x48\x34"
	       "\xab\x0c",
	       16);
	put_le32(e + 16, 0x20000);
	put_le32(e + 20, pos);
	put_le32(e + 24, 4);
	put_le16(v->buf + VT_META + 10, 6);
	put_le32(v->buf + VT_META + 0x10004, 2); /* HasParent */
}

static void test_parent_locator(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	build(&v);
	put_le32(v.buf + VT_META + 0x10004, 2); /* HasParent, no locator */
	refused(&v, VHDX_ERR_CORRUPT, "without a parent locator");

	static const char *const good[] = {
		"parent_linkage", "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}",
		"relative_path", ".\\nowhere.vhdx"
	};
	build(&v);
	locator(&v, good, 2, false); /* wrong LocatorType */
	refused(&v, VHDX_ERR_UNSUPPORTED, "not a VHDX parent");
	build(&v);
	locator(&v, good, 2, true); /* valid, but the parent is missing */
	refused(&v, VHDX_ERR_PARENT_MISSING, "nowhere.vhdx");
	/* ...which VHDX_OPEN_NO_PARENT allows, for info and check. */
	vt_save(&v, path);
	struct vhdx_image *img;
	struct vhdx_error err;
	assert_int_equal(vhdx_open(path, VHDX_OPEN_NO_PARENT, NULL, &img, &err),
			 VHDX_OK);
	const char *k, *val;
	assert_true(vhdx_parent_locator(img, 1, &k, &val));
	assert_string_equal(k, "relative_path");
	assert_string_equal(val, ".\\nowhere.vhdx");
	uint8_t b;
	assert_int_equal(vhdx_pread(img, &b, 1, 0), VHDX_ERR_PARENT_MISSING);
	vhdx_close(img, NULL);

	static const char *const no_linkage[] = { "relative_path", "x.vhdx" };
	build(&v);
	locator(&v, no_linkage, 1, true);
	refused(&v, VHDX_ERR_CORRUPT, "no parent_linkage");
	static const char *const bad_guid[] = { "parent_linkage", "{83ed0ec3}",
						"relative_path", "x.vhdx" };
	build(&v);
	locator(&v, bad_guid, 2, true);
	refused(&v, VHDX_ERR_CORRUPT, "is not a GUID");
	static const char *const no_path[] = {
		"parent_linkage", "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}"
	};
	build(&v);
	locator(&v, no_path, 1, true);
	refused(&v, VHDX_ERR_CORRUPT, "no relative_path");
	build(&v);
	locator(&v, good, 2, true);
	put_le32(v.buf + VT_META + 0x20000 + 20 + 12 + 4, 0xfff0); /* value
								   offset */
	refused(&v, VHDX_ERR_CORRUPT, "outside the item");
	build(&v);
	locator(&v, good, 2, true);
	put_le16(v.buf + VT_META + 0x20000 + 20 + 8, 27); /* odd key length */
	refused(&v, VHDX_ERR_CORRUPT, "not UTF-16");
	static const char *const dup[] = { "relative_path", "a",
					   "relative_path", "b" };
	build(&v);
	locator(&v, dup, 2, true);
	refused(&v, VHDX_ERR_CORRUPT, "appears twice");
	vt_free(&v);
}

static void test_bat_entries(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	build(&v);
	vt_resize(&v, VT_DATA + 2 * MiB);
	memset(v.buf + VT_DATA, 0x5a, MiB);
	vt_bat(&v, 0, VT_DATA | 6);	 /* block 0 FULLY_PRESENT at 4 MiB */
	vt_bat(&v, 1, 2);		 /* block 1 ZERO */
	vt_bat(&v, 2, 3);		 /* block 2 UNMAPPED */
	vt_bat(&v, 3, 5);		 /* block 3: v0.95 UNMAPPED */
	vt_bat(&v, 4, 1);		 /* block 4 UNDEFINED */
	vt_bat(&v, 5, (9ULL << 20) | 2); /* ZERO with a stale offset: fine */
	struct vhdx_image *img = opens(&v, 0);
	uint8_t buf[8];
	assert_int_equal(vhdx_pread(img, buf, 8, 100), VHDX_OK);
	assert_int_equal(buf[0], 0x5a);
	for (int blk = 1; blk <= 5; blk++) {
		assert_int_equal(
			vhdx_pread(img, buf, 8, (uint64_t)blk * MiB + 99),
			VHDX_OK);
		assert_int_equal(buf[0] | buf[7], 0);
	}
	vhdx_close(img, NULL);

	static const struct {
		uint64_t index, entry;
		enum vhdx_err code;
		const char *what;
	} bad[] = {
		{ 7, 4, VHDX_ERR_CORRUPT, "invalid state 4" },
		{ 7, (5ULL << 20) | (1 << 3) | 6, VHDX_ERR_CORRUPT,
		  "reserved" },
		{ 7, (5ULL << 20) | 7, VHDX_ERR_CORRUPT, "partially present" },
		{ 7, (64ULL << 20) | 6, VHDX_ERR_TRUNCATED, "past the end" },
		{ 7, 6, VHDX_ERR_CORRUPT, "header section" },
		{ 7, (2ULL << 20) | 6, VHDX_ERR_CORRUPT,
		  "overlaps" }, /* meta */
		{ 7, (4ULL << 20) | 6, VHDX_ERR_CORRUPT,
		  "overlaps" }, /* blk 0 */
		/* The sector-bitmap entry of a dynamic image is ignored, but
		 * a payload entry past block 63 is never read: both fine. */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vt_bat(&v, bad[i].index, bad[i].entry);
		refused(&v, bad[i].code, bad[i].what);
		vt_bat(&v, bad[i].index, 0);
	}
	vt_free(&v);
}

/* A dirty log whose entry maps block 17 (as in the qemu fixture). */
static void dirty_image(struct vt_image *v, uint8_t *page)
{
	build(v);
	vt_resize(v, VT_DATA + MiB);
	memset(v->buf + VT_DATA, 0xa5, MiB);
	memset(page, 0, 4096);
	put_le64(page + 17 * 8, VT_DATA | 6); /* BAT page with block 17 */
	vt_set_log_guid(v, log_guid);
}

static void test_log_replay(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	uint8_t page[4096];
	dirty_image(&v, page);
	struct vt_desc d = { .offset = VT_BAT, .data = page };
	vt_log_entry(&v, 0x3000, 7, 0x3000, log_guid, &d, 1, v.size, v.size);
	/* A stale entry with another GUID and a higher sequence number. */
	uint8_t junk[4096];
	memset(junk, 0x77, sizeof(junk));
	struct vt_desc dj = { .offset = VT_BAT, .data = junk };
	vt_log_entry(&v, 0x8000, 99, 0x8000, other_guid, &dj, 1, v.size,
		     v.size);

	/* Read-only: replayed in memory, file untouched. */
	struct vhdx_image *img = opens(&v, 0);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_REPLAYED_MEMORY);
	assert_int_equal(in.log_head_sequence, 7);
	uint8_t b[2];
	assert_int_equal(vhdx_pread(img, b, 2, 17 * MiB), VHDX_OK);
	assert_int_equal(b[0], 0xa5);
	assert_int_equal(vhdx_pread(img, b, 2, 18 * MiB), VHDX_OK);
	assert_int_equal(b[0], 0);
	vhdx_close(img, NULL);
	size_t len;
	uint8_t *now = hvo_test_read_file(path, &len);
	assert_memory_equal(now, v.buf, len);
	free(now);

	/* Writable: replayed into the file, log cleared. */
	img = opens(&v, VHDX_OPEN_WRITE);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_REPLAYED_FILE);
	vhdx_close(img, NULL);
	now = hvo_test_read_file(path, &len);
	assert_memory_equal(now + VT_BAT, page, 4096);
	assert_memory_equal(now, v.buf, 64 * 1024); /* identifier untouched */
	free(now);
	struct vhdx_error err;
	assert_int_equal(vhdx_open(path, 0, NULL, &img, &err), VHDX_OK);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_CLEAN);
	assert_int_equal(vhdx_pread(img, b, 2, 17 * MiB), VHDX_OK);
	assert_int_equal(b[0], 0xa5);
	vhdx_close(img, NULL);
	vt_free(&v);
}

static void test_log_sequences(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	uint8_t p1[4096], p2[4096], p3[4096];
	dirty_image(&v, p1);
	vt_resize(&v, v.size + MiB); /* a second MiB of payload */
	memset(v.buf + VT_DATA + MiB, 0xa5, MiB);
	memcpy(p2, p1, 4096);
	put_le64(p2 + 18 * 8, (VT_DATA + MiB) | 6); /* p2 also maps block 18 */
	memset(p3, 0, 4096);
	put_le64(p3 + 20 * 8, (VT_DATA + MiB) | 6); /* p3 maps block 20 */
	struct vt_desc d1 = { .offset = VT_BAT, .data = p1 };
	struct vt_desc d2 = { .offset = VT_BAT, .data = p2 };
	struct vt_desc d3 = { .offset = VT_BAT, .data = p3 };
	/* A sequence of two: seq 10 (its own tail) then 11 (tail -> 10): the
	 * head's tail lies in the sequence, so both replay, 11 last. */
	uint32_t l =
		vt_log_entry(&v, 0, 10, 0, log_guid, &d1, 1, v.size, v.size);
	vt_log_entry(&v, l, 11, 0, log_guid, &d2, 1, v.size, v.size);
	/* An older sequence elsewhere (seq 5) must lose to it. */
	vt_log_entry(&v, 0x40000, 5, 0x40000, log_guid, &d3, 1, v.size, v.size);
	struct vhdx_image *img = opens(&v, 0);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_entries_replayed, 2);
	assert_int_equal(in.log_head_sequence, 11);
	uint8_t b;
	assert_int_equal(vhdx_pread(img, &b, 1, 18 * MiB), VHDX_OK);
	assert_int_equal(b, 0xa5);
	assert_int_equal(vhdx_pread(img, &b, 1, 20 * MiB), VHDX_OK);
	assert_int_equal(b, 0);
	vhdx_close(img, NULL);

	/* Head's tail outside its sequence: the sequence 10-11 is invalid
	 * (2.3.3 step 4), so is 11 alone; the older seq-5 one is active. */
	vt_log_entry(&v, l, 11, 0x80000, log_guid, &d2, 1, v.size, v.size);
	img = opens(&v, 0);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_head_sequence, 5);
	assert_int_equal(vhdx_pread(img, &b, 1, 20 * MiB), VHDX_OK);
	assert_int_equal(b, 0xa5);
	assert_int_equal(vhdx_pread(img, &b, 1, 17 * MiB), VHDX_OK);
	assert_int_equal(b, 0);
	vhdx_close(img, NULL);

	/* An entry that wraps around the end of the 1 MiB log. */
	dirty_image(&v, p1);
	vt_log_entry(&v, MiB - 4096, 3, MiB - 4096, log_guid, &d1, 1, v.size,
		     v.size);
	img = opens(&v, 0);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_head_sequence, 3);
	assert_int_equal(vhdx_pread(img, &b, 1, 17 * MiB), VHDX_OK);
	assert_int_equal(b, 0xa5);
	vhdx_close(img, NULL);

	/* A zero descriptor after the data one: block 17's payload zeroed. */
	dirty_image(&v, p1);
	struct vt_desc dz[2] = {
		{ .offset = VT_BAT, .data = p1 },
		{ .zero = true, .offset = VT_DATA, .zero_len = 8192 }
	};
	vt_log_entry(&v, 0, 4, 0, log_guid, dz, 2, v.size, v.size);
	img = opens(&v, 0);
	uint8_t two[2];
	assert_int_equal(vhdx_pread(img, two, 2, 17 * MiB + 8191), VHDX_OK);
	assert_int_equal(two[0], 0);
	assert_int_equal(two[1], 0xa5);
	vhdx_close(img, NULL);
	vt_free(&v);
}

static void test_log_invalid(void **state)
{
	(void)state;
	struct vt_image v = { 0 };
	uint8_t page[4096];
	struct vt_desc d = { .offset = VT_BAT, .data = page };

	/* LogGuid set, log empty: lenient (qemu leaves this after a crash
	 * between its header write and its first log entry). */
	dirty_image(&v, page);
	struct vhdx_image *img = opens(&v, 0);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_EMPTY_GUID);
	vhdx_close(img, NULL);

	/* Entry with a bad CRC: ignored. */
	uint32_t l = vt_log_entry(&v, 0, 7, 0, log_guid, &d, 1, v.size, v.size);
	v.buf[VT_LOG + l - 10] ^= 1;
	img = opens(&v, 0);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_EMPTY_GUID);
	vhdx_close(img, NULL);

	/* Data sector whose SequenceLow disagrees (CRC fixed up). */
	dirty_image(&v, page);
	l = vt_log_entry(&v, 0, 7, 0, log_guid, &d, 1, v.size, v.size);
	put_le32(v.buf + VT_LOG + 4096 + 4092, 8);
	put_le32(v.buf + VT_LOG + 4, 0);
	put_le32(v.buf + VT_LOG + 4, vhdx_int_crc32c(0, v.buf + VT_LOG, l));
	img = opens(&v, 0);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_EMPTY_GUID);
	vhdx_close(img, NULL);

	/* A descriptor aimed at the header section (the file identifier):
	 * the entry is invalid, and a writable open must not apply it. */
	dirty_image(&v, page);
	uint8_t evil[4096];
	memset(evil, 0xcc, sizeof(evil));
	struct vt_desc de = { .offset = 0, .data = evil };
	vt_log_entry(&v, 0, 7, 0, log_guid, &de, 1, v.size, v.size);
	img = opens(&v, VHDX_OPEN_WRITE);
	vhdx_close(img, NULL);
	size_t len;
	uint8_t *now = hvo_test_read_file(path, &len);
	assert_memory_equal(now, v.buf, 64 * 1024);
	free(now);
	/* ... or at the log itself, or past LastFileOffset. */
	dirty_image(&v, page);
	de.offset = VT_LOG + 0x10000;
	vt_log_entry(&v, 0, 7, 0, log_guid, &de, 1, v.size, v.size);
	img = opens(&v, 0);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_EMPTY_GUID);
	vhdx_close(img, NULL);
	dirty_image(&v, page);
	de.offset = v.size; /* one sector past LastFileOffset */
	vt_log_entry(&v, 0, 7, 0, log_guid, &de, 1, v.size, v.size);
	img = opens(&v, 0);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_EMPTY_GUID);
	vhdx_close(img, NULL);

	/* The file is shorter than the entry's FlushedFileOffset. */
	dirty_image(&v, page);
	vt_log_entry(&v, 0, 7, 0, log_guid, &d, 1, v.size + MiB, v.size + MiB);
	refused(&v, VHDX_ERR_TRUNCATED, "truncated");

	/* LastFileOffset past the end: the file grows (in memory for a
	 * read-only open, on disk for a writable one). */
	dirty_image(&v, page);
	put_le64(page + 17 * 8, (uint64_t)(v.size + MiB) | 6);
	vt_log_entry(&v, 0, 7, 0, log_guid, &d, 1, v.size, v.size + 2 * MiB);
	img = opens(&v, 0);
	uint8_t b = 1;
	assert_int_equal(vhdx_pread(img, &b, 1, 17 * MiB), VHDX_OK);
	assert_int_equal(b, 0);
	vhdx_close(img, NULL);
	img = opens(&v, VHDX_OPEN_WRITE);
	vhdx_get_info(img, &in);
	assert_int_equal(in.file_size, v.size + 2 * MiB);
	vhdx_close(img, NULL);
	vt_free(&v);
}

int main(void)
{
	tmp = hvo_test_mkdtemp();
	if (asprintf(&path, "%s/hostile.vhdx", tmp) < 0)
		abort();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_baseline),
		cmocka_unit_test(test_file_identifier),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_region_tables),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_metadata_values),
		cmocka_unit_test(test_parent_locator),
		cmocka_unit_test(test_bat_entries),
		cmocka_unit_test(test_log_replay),
		cmocka_unit_test(test_log_sequences),
		cmocka_unit_test(test_log_invalid),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	hvo_test_rmtree(tmp);
	free(tmp);
	free(path);
	return rc;
}

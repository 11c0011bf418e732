/*
 * test_lvm.c - LVM2 physical volumes and VG metadata (src/guest/lvm*.c),
 * built byte by byte here: a PV's label, its metadata area header and
 * text, then damaged one field at a time.  Layouts and expected values
 * are those of lvm2's lib/format_text/layout.h and import_vsn1.c; the
 * checksum is lvm2's calc_crc(), checked below against a value computed
 * with zlib's independent CRC-32 (crc32(data, ~init) ^ ~0).
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest/lvm.h"
#include "util/bytes.h"

#define S(lit) lit, sizeof(lit) - 1

/* lvm2's calc_crc(), written out again for building inputs. */
static uint32_t crc(uint32_t c, const uint8_t *p, size_t n)
{
	while (n--) {
		c ^= *p++;
		for (int b = 0; b < 8; b++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c;
}

#define PV_SIZE	   (4u * 1024 * 1024)
#define MDA_OFF	   4096u
#define MDA_SIZE   (1024u * 1024 - 4096)
#define PV_UUID	   "Uvudo1ocTBf9fy4qWyb4vxo1iGUzRzUY"
#define PV_UUID_TX "Uvudo1-ocTB-f9fy-4qWy-b4vx-o1iG-UzRzUY"

static uint8_t pv[PV_SIZE];

/* The label in sector 1, as pvcreate writes it. */
static void put_label(void)
{
	uint8_t *s = pv + 512;
	memset(s, 0, 512);
	memcpy(s, "LABELONE", 8);      /* id */
	put_le64(s + 8, 1);	       /* sector_xl: this sector */
	put_le32(s + 20, 32);	       /* offset_xl: pv_header at 32 */
	memcpy(s + 24, "LVM2 001", 8); /* type */
	uint8_t *h = s + 32;
	memcpy(h, PV_UUID, 32);	       /* pv_uuid */
	put_le64(h + 32, PV_SIZE);     /* device_size_xl */
	put_le64(h + 40, 1024 * 1024); /* data area: offset (pe_start) */
	put_le64(h + 48, 0);	       /*   size 0: to the end */
	/* h + 56: 16 zero bytes end the data areas */
	put_le64(h + 72, MDA_OFF);  /* metadata area: offset */
	put_le64(h + 80, MDA_SIZE); /*   size */
	/* h + 88: 16 zero bytes end the metadata areas */
	put_le32(s + 16, crc(0xf597a6cfu, s + 20, 512 - 20)); /* crc_xl */
}

/* The metadata area header and @text at @off in the area (wrapping past
 * its end to just after the header, as lvm2 writes it). */
static void put_mda(const char *text, uint64_t off)
{
	size_t len = strlen(text) + 1; /* with its NUL, as lvm2 stores it */
	uint8_t *a = pv + MDA_OFF;
	memset(a, 0, 512);
	memcpy(a + 4, " LVM2 x[5A%r0N*>", 16); /* magic */
	put_le32(a + 20, 1);		       /* version */
	put_le64(a + 24, MDA_OFF);	       /* start */
	put_le64(a + 32, MDA_SIZE);	       /* size */
	put_le64(a + 40, off);		       /* raw_locns[0].offset */
	put_le64(a + 48, len);		       /*   size */
	put_le32(a + 56, crc(0xf597a6cfu, (const uint8_t *)text, len));
	put_le32(a + 60, 0); /* flags */
	size_t first = off + len > MDA_SIZE ? MDA_SIZE - off : len;
	memcpy(a + off, text, first);
	memcpy(a + 512, text + first, len - first);
	put_le32(a, crc(0xf597a6cfu, a + 4, 512 - 4)); /* checksum_xl */
}

static int rd(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	(void)ctx;
	if (off > PV_SIZE || len > PV_SIZE - off)
		return -1;
	memcpy(buf, pv + off, len);
	return 0;
}

/* A VG as lvm2 2.03 writes it: linear root in two segments on two PVs,
 * home striped over both (2 stripes of 128 sectors), a thin volume,
 * an LV on a PV the VG does not list. */
static const char vg_text[] =
	"deb-vg {\n"
	"id = \"HVyzeE-lX1F-MxSy-KBzm-9pTA-iA33-mkvl28\"\n"
	"seqno = 7\n"
	"format = \"lvm2\" # a comment\n"
	"status = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\n"
	"flags = []\n"
	"extent_size = 2048\n"
	"physical_volumes {\n"
	"pv0 {\n"
	"id = \"" PV_UUID_TX "\"\n"
	"device = \"/dev/sda2\"\n"
	"pe_start = 2048\n"
	"pe_count = 23\n"
	"}\n"
	"pv1 {\n"
	"id = \"eYuSEh-DRoi-KlMd-9Cnf-iWHF-07B9-k6Up24\"\n"
	"pe_start = 2048\n"
	"pe_count = 23\n"
	"}\n"
	"}\n"
	"logical_volumes {\n"
	"root {\n"
	"status = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
	"segment_count = 2\n"
	"segment2 {\n"
	"start_extent = 12\n"
	"extent_count = 8\n"
	"type = \"striped\"\n"
	"stripe_count = 1\n"
	"stripes = [\n\"pv1\", 0\n]\n"
	"}\n"
	"segment1 {\n"
	"start_extent = 0\n"
	"extent_count = 12\n"
	"type = \"striped\"\n"
	"stripe_count = 1\n"
	"stripes = [\n\"pv0\", 0\n]\n"
	"}\n"
	"}\n"
	"home {\n"
	"status = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
	"segment1 {\n"
	"start_extent = 0\n"
	"extent_count = 8\n"
	"type = \"striped\"\n"
	"stripe_count = 2\n"
	"stripe_size = 128\n"
	"stripes = [\n\"pv0\", 12,\n\"pv1\", 8\n]\n"
	"}\n"
	"}\n"
	"thin1 {\n"
	"status = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
	"segment1 {\n"
	"start_extent = 0\n"
	"extent_count = 4\n"
	"type = \"thin\"\n"
	"thin_pool = \"pool\"\n"
	"}\n"
	"}\n"
	"stray {\n"
	"status = [\"VISIBLE\"]\n"
	"segment1 {\n"
	"start_extent = 0\n"
	"extent_count = 1\n"
	"type = \"striped\"\n"
	"stripe_count = 1\n"
	"stripes = [\"pv9\", 0]\n"
	"}\n"
	"}\n"
	"}\n"
	"}\n"
	"contents = \"Text Format Volume Group\"\n"
	"version = 1\n"
	"creation_time = 1796680484\t# Mon Dec  7 21:54:44 2026\n";

static void crc_matches_zlib(void **state)
{
	(void)state;
	/* zlib.crc32(b"123456789", 0xf597a6cf ^ 0xffffffff) ^ 0xffffffff */
	assert_int_equal(crc(0xf597a6cfu, (const uint8_t *)"123456789", 9),
			 0x4991cf02u);
}

static int read_vg(struct lvm_vg **vg, char *why, size_t whysize)
{
	struct lvm_label l;
	char *text;
	size_t len;
	int r = lvm_pv_read(rd, NULL, PV_SIZE, &l, &text, &len, why, whysize);
	if (r != LVM_OK)
		return r;
	assert_non_null(text);
	assert_string_equal(l.pv_uuid, PV_UUID);
	assert_int_equal(l.sector, 1);
	assert_int_equal(l.ndata, 1);
	assert_int_equal(l.nmeta, 1);
	assert_int_equal(l.meta[0].offset, MDA_OFF);
	r = lvm_vg_parse(text, len, vg, why, whysize);
	free(text);
	return r;
}

static struct lvm_lv *lv_named(struct lvm_vg *vg, const char *name)
{
	for (size_t i = 0; i < vg->nlvs; i++)
		if (strcmp(vg->lvs[i].name, name) == 0)
			return &vg->lvs[i];
	fail_msg("no LV %s", name);
	return NULL;
}

/* The VG of a PV as pvcreate and vgcreate leave it. */
static struct lvm_vg *good_vg(void)
{
	char why[256];
	struct lvm_vg *vg = NULL;
	put_label();
	put_mda(vg_text, 11264);
	if (read_vg(&vg, why, sizeof(why)) != LVM_OK)
		fail_msg("%s", why);
	return vg;
}

static void pv_and_vg(void **state)
{
	(void)state;
	struct lvm_vg *vg = good_vg();
	assert_string_equal(vg->name, "deb-vg");
	assert_int_equal(vg->seqno, 7);
	assert_int_equal(vg->extent_size, 2048);
	assert_int_equal(vg->npvs, 2);
	assert_int_equal(vg->nlvs, 4);
	/* pv0 at 1 MiB of the disk, pv1 at 100 MiB; both 24 MiB. */
	vg->pvs[0].found = vg->pvs[1].found = true;
	vg->pvs[0].disk_start = 1u << 20;
	vg->pvs[1].disk_start = 100u << 20;
	vg->pvs[0].disk_size = vg->pvs[1].disk_size = 24u << 20;
	lvm_vg_check(vg);

	struct lvm_lv *root = lv_named(vg, "root");
	assert_true(root->readable);
	assert_string_equal(root->kind, "linear");
	assert_int_equal(lvm_lv_size(vg, root), 20u << 20);
	uint64_t at, run;
	/* Extent 0 of pv0: pe_start (1 MiB) into the PV. */
	assert_int_equal(lvm_lv_map(vg, root, 5, &at, &run), LVM_OK);
	assert_int_equal(at, (1u << 20) + (1u << 20) + 5);
	assert_int_equal(run, (12u << 20) - 5);
	/* Byte 12 MiB is segment 2 (sorted though listed first): pv1. */
	assert_int_equal(lvm_lv_map(vg, root, 12u << 20, &at, &run), LVM_OK);
	assert_int_equal(at, (100u << 20) + (1u << 20));
	assert_int_equal(run, 8u << 20);
	assert_int_equal(lvm_lv_map(vg, root, 20u << 20, &at, &run),
			 LVM_E_CORRUPT);

	struct lvm_lv *home = lv_named(vg, "home");
	assert_true(home->readable);
	assert_string_equal(home->kind, "striped");
	/* 64 KiB chunks: chunk 0 on pv0 extent 12, chunk 1 on pv1 extent
	 * 8, chunk 2 on pv0 after chunk 0. */
	assert_int_equal(lvm_lv_map(vg, home, 100, &at, &run), LVM_OK);
	assert_int_equal(at, (1u << 20) + (1u << 20) + (12u << 20) + 100);
	assert_int_equal(run, 65536 - 100);
	assert_int_equal(lvm_lv_map(vg, home, 65536 + 7, &at, &run), LVM_OK);
	assert_int_equal(at, (100u << 20) + (1u << 20) + (8u << 20) + 7);
	assert_int_equal(lvm_lv_map(vg, home, 2 * 65536, &at, &run), LVM_OK);
	assert_int_equal(at, (1u << 20) + (1u << 20) + (12u << 20) + 65536);

	struct lvm_lv *thin = lv_named(vg, "thin1");
	assert_false(thin->readable);
	assert_string_equal(thin->kind, "thin");
	assert_non_null(strstr(thin->problem, "thin is not read"));
	assert_int_equal(lvm_lv_map(vg, thin, 0, &at, &run), LVM_E_CORRUPT);
	struct lvm_lv *stray = lv_named(vg, "stray");
	assert_false(stray->readable);
	assert_non_null(strstr(stray->problem, "unknown physical volume pv9"));
	lvm_vg_free(vg);
}

static void missing_pv(void **state)
{
	(void)state;
	char why[256];
	struct lvm_vg *vg = good_vg();
	vg->pvs[0].found = true;
	vg->pvs[0].disk_start = 1u << 20;
	vg->pvs[0].disk_size = 24u << 20;
	lvm_vg_check(vg);
	struct lvm_lv *root = lv_named(vg, "root");
	assert_false(root->readable);
	assert_string_equal(root->problem,
			    "physical volume pv1 "
			    "(eYuSEhDRoiKlMd9CnfiWHF07B9k6Up24) is not on "
			    "this disk");
	lvm_vg_free(vg);
	/* A PV smaller than its extents say. */
	assert_int_equal(read_vg(&vg, why, sizeof(why)), LVM_OK);
	vg->pvs[0].found = vg->pvs[1].found = true;
	vg->pvs[0].disk_size = vg->pvs[1].disk_size = 4u << 20;
	lvm_vg_check(vg);
	assert_false(lv_named(vg, "root")->readable);
	assert_non_null(strstr(lv_named(vg, "root")->problem, "beyond"));
	lvm_vg_free(vg);
}

static void text_wraps(void **state)
{
	(void)state;
	char why[256];
	put_label();
	/* 100 bytes before the area's end: the rest after the header. */
	put_mda(vg_text, MDA_SIZE - 100);
	struct lvm_vg *vg;
	assert_int_equal(read_vg(&vg, why, sizeof(why)), LVM_OK);
	assert_int_equal(vg->nlvs, 4);
	lvm_vg_free(vg);
}

/* Each damage: the error class and words of the reason. */
static void damaged(void **state)
{
	(void)state;
	char why[256];
	struct lvm_vg *vg;
	struct lvm_label l;

	memset(pv, 0, 4096);
	assert_int_equal(lvm_label_parse(pv, 2048, &l, why, sizeof(why)),
			 LVM_E_NOT);

	put_label();
	pv[512 + 40] ^= 1; /* a byte of the PV UUID: the CRC fails */
	assert_int_equal(lvm_label_parse(pv, 2048, &l, why, sizeof(why)),
			 LVM_E_CORRUPT);
	assert_non_null(strstr(why, "checksum"));

	put_label();
	put_le64(pv + 512 + 8, 3); /* sector_xl not 1 */
	put_le32(pv + 512 + 16, crc(0xf597a6cfu, pv + 512 + 20, 492));
	assert_int_equal(lvm_label_parse(pv, 2048, &l, why, sizeof(why)),
			 LVM_E_CORRUPT);
	assert_non_null(strstr(why, "sector"));

	put_label();
	put_le32(pv + 512 + 20, 500); /* pv_header off the sector */
	put_le32(pv + 512 + 16, crc(0xf597a6cfu, pv + 512 + 20, 492));
	assert_int_equal(lvm_label_parse(pv, 2048, &l, why, sizeof(why)),
			 LVM_E_CORRUPT);

	put_label();
	put_mda(vg_text, 11264);
	pv[MDA_OFF + 5] = 'X'; /* magic */
	assert_int_equal(read_vg(&vg, why, sizeof(why)), LVM_E_CORRUPT);
	assert_non_null(strstr(why, "magic"));

	put_mda(vg_text, 11264);
	pv[MDA_OFF + 11264 + 3] ^= 0x20; /* a byte of the text */
	assert_int_equal(read_vg(&vg, why, sizeof(why)), LVM_E_CORRUPT);
	assert_non_null(strstr(why, "checksum"));

	put_mda(vg_text, 11264);
	put_le64(pv + MDA_OFF + 48, MDA_SIZE); /* text larger than area */
	put_le32(pv + MDA_OFF, crc(0xf597a6cfu, pv + MDA_OFF + 4, 508));
	assert_int_equal(read_vg(&vg, why, sizeof(why)), LVM_E_CORRUPT);
	assert_non_null(strstr(why, "outside"));

	put_mda(vg_text, 11264);
	put_le64(pv + MDA_OFF + 24, 8192); /* start differs from the PV's */
	put_le32(pv + MDA_OFF, crc(0xf597a6cfu, pv + MDA_OFF + 4, 508));
	assert_int_equal(read_vg(&vg, why, sizeof(why)), LVM_E_CORRUPT);

	/* A PV in no VG: an empty raw_locn. */
	put_mda(vg_text, 11264);
	put_le64(pv + MDA_OFF + 40, 0);
	put_le32(pv + MDA_OFF, crc(0xf597a6cfu, pv + MDA_OFF + 4, 508));
	char *text = (char *)1;
	size_t len;
	assert_int_equal(lvm_pv_read(rd, NULL, PV_SIZE, &l, &text, &len, why,
				     sizeof(why)),
			 LVM_OK);
	assert_null(text);
}

/* Texts that are not a VG: a clear reason, never a crash. */
static void bad_texts(void **state)
{
	(void)state;
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "vg { id = \"x", "unterminated string" },
		{ "vg { id = 1", "'}' missing" },
		{ "vg { id = }", "a value expected" },
		{ "vg { a = [1, 2 }", "',' or ']' expected" },
		{ "vg } ", "'=' or '{' expected" },
		{ "} ", "'}' without a section" },
		{ "= 3", "a name expected" },
		{ "contents = \"x\"\nvg { }", "metadata contents" },
		{ "version = 1\n", "no volume group section" },
		{ "-vg { }", "invalid VG name" },
		{ "vg { id = \"short\" }", "bad id" },
		{ "vg { id = \"HVyzeE-lX1F-MxSy-KBzm-9pTA-iA33-mkvl28\" "
		  "seqno = 1 extent_size = 0 }",
		  "bad extent_size" },
		{ "vg { id = \"HVyzeE-lX1F-MxSy-KBzm-9pTA-iA33-mkvl28\" "
		  "seqno = 1 extent_size = 8 }",
		  "no physical_volumes" },
		{ "vg { id = \"HVyzeE-lX1F-MxSy-KBzm-9pTA-iA33-mkvl28\" "
		  "seqno = 1 extent_size = 8 physical_volumes { pv0 { id = "
		  "\"HVyzeE-lX1F-MxSy-KBzm-9pTA-iA33-mkvl28\" pe_start = "
		  "-1 pe_count = 1 } } }",
		  "no pe_start" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256] = "";
		struct lvm_vg *vg = NULL;
		int r = lvm_vg_parse(cases[i].text, strlen(cases[i].text), &vg,
				     why, sizeof(why));
		if (r != LVM_E_CORRUPT || strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu: %d \"%s\"", i, r, why);
		assert_null(vg);
	}
	/* A NUL byte inside the text. */
	char why[256];
	struct lvm_vg *vg;
	assert_int_equal(lvm_vg_parse(S("vg {\0}"), &vg, why, sizeof(why)),
			 LVM_E_CORRUPT);
	/* Nesting deeper than any VG. */
	char deep[LVM_CFG_MAX_DEPTH * 4 + 8] = "";
	for (int i = 0; i < LVM_CFG_MAX_DEPTH + 1; i++)
		strcat(deep, "a {");
	assert_int_equal(
		lvm_vg_parse(deep, strlen(deep), &vg, why, sizeof(why)),
		LVM_E_UNSUPPORTED);
	assert_non_null(strstr(why, "nested too deep"));
}

/* Kinds not read are named; a PV flagged MISSING is missing even when a
 * PV with its UUID is found; mixed segments map each by its own rule. */
static void kinds(void **state)
{
	(void)state;
	static const char text[] =
		"vg0 { id = \"HVyzeE-lX1F-MxSy-KBzm-9pTA-iA33-mkvl28\"\n"
		"seqno = 3 extent_size = 8192\n"
		"physical_volumes {\n"
		"pv0 { id = \"" PV_UUID_TX "\" pe_start = 2048 pe_count = 100\n"
		"      flags = [\"MISSING\"] }\n"
		"pv1 { id = \"eYuSEh-DRoi-KlMd-9Cnf-iWHF-07B9-k6Up24\"\n"
		"      pe_start = 2048 pe_count = 100 } }\n"
		"logical_volumes {\n"
		"pool { status = [\"VISIBLE\"] segment1 { start_extent = 0\n"
		"  extent_count = 10 type = \"thin-pool\" } }\n"
		"r1 { status = [\"VISIBLE\"] segment1 { start_extent = 0\n"
		"  extent_count = 4 type = \"raid1\" } }\n"
		"c { status = [\"VISIBLE\"] segment1 { start_extent = 0\n"
		"  extent_count = 4 type = \"cache\" } }\n"
		"lin { status = [\"VISIBLE\"]\n"
		"  segment1 { start_extent = 0 extent_count = 4\n"
		"    type = \"striped\" stripe_count = 1 stripes = [\"pv1\", "
		"10] }\n"
		"  segment2 { start_extent = 4 extent_count = 6\n"
		"    type = \"striped\" stripe_count = 3 stripe_size = 16\n"
		"    stripes = [\"pv1\", 20, \"pv1\", 30, \"pv1\", 40] } }\n"
		"gap { status = [\"VISIBLE\"]\n"
		"  segment1 { start_extent = 1 extent_count = 1\n"
		"    type = \"striped\" stripe_count = 1 stripes = [\"pv1\", "
		"0] } }\n"
		"onmissing { status = [\"VISIBLE\"] segment1 { start_extent = "
		"0\n"
		"  extent_count = 1 type = \"striped\" stripe_count = 1\n"
		"  stripes = [\"pv0\", 0] } } } }\n";
	char why[256];
	struct lvm_vg *vg;
	assert_int_equal(lvm_vg_parse(S(text), &vg, why, sizeof(why)), LVM_OK);
	for (size_t p = 0; p < 2; p++) {
		vg->pvs[p].found = true;
		vg->pvs[p].disk_start = (uint64_t)p << 30;
		vg->pvs[p].disk_size = 1u << 30;
	}
	lvm_vg_check(vg);
	static const char *const unread[][2] = { { "pool", "thin-pool" },
						 { "r1", "raid1" },
						 { "c", "cache" } };
	for (size_t i = 0; i < 3; i++) {
		struct lvm_lv *lv = lv_named(vg, unread[i][0]);
		assert_false(lv->readable);
		assert_string_equal(lv->kind, unread[i][1]);
	}
	assert_false(lv_named(vg, "onmissing")->readable);
	assert_non_null(strstr(lv_named(vg, "onmissing")->problem,
			       "pv0 (" PV_UUID ") is not on this disk"));
	assert_false(lv_named(vg, "gap")->readable);
	assert_non_null(strstr(lv_named(vg, "gap")->problem, "gap"));
	struct lvm_lv *lin = lv_named(vg, "lin");
	assert_true(lin->readable);
	assert_string_equal(lin->kind, "striped");
	/* Extent size 4 MiB.  Byte 0: pv1 extent 10.  Byte 16 MiB (extent
	 * 4, the striped segment's start): stripe 0 = pv1 extent 20;
	 * +8 KiB (16 sectors) is stripe 1 = pv1 extent 30; +24 KiB is
	 * stripe 0 again, 8 KiB further. */
	uint64_t at, run, e = 4u << 20, pe = 2048 * 512, p1 = 1u << 30;
	assert_int_equal(lvm_lv_map(vg, lin, 0, &at, &run), LVM_OK);
	assert_int_equal(at, p1 + pe + 10 * e);
	assert_int_equal(run, 4 * e);
	assert_int_equal(lvm_lv_map(vg, lin, 4 * e, &at, &run), LVM_OK);
	assert_int_equal(at, p1 + pe + 20 * e);
	assert_int_equal(run, 8192);
	assert_int_equal(lvm_lv_map(vg, lin, 4 * e + 8192, &at, &run), LVM_OK);
	assert_int_equal(at, p1 + pe + 30 * e);
	assert_int_equal(lvm_lv_map(vg, lin, 4 * e + 24576 + 5, &at, &run),
			 LVM_OK);
	assert_int_equal(at, p1 + pe + 20 * e + 8192 + 5);
	assert_int_equal(run, 8192 - 5);
	lvm_vg_free(vg);
}

static void names(void **state)
{
	(void)state;
	char dm[64];
	lvm_dm_name("deb-vg", "my-root", dm, sizeof(dm));
	assert_string_equal(dm, "deb--vg-my--root");
	lvm_dm_name("rhel", "root", dm, sizeof(dm));
	assert_string_equal(dm, "rhel-root");
	assert_true(lvm_name_valid("vg_01.x+y-z"));
	assert_false(lvm_name_valid("a/b"));
	assert_false(lvm_name_valid(".."));
	assert_false(lvm_name_valid("-a"));
	assert_false(lvm_name_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc_matches_zlib),
		cmocka_unit_test(pv_and_vg),
		cmocka_unit_test(missing_pv),
		cmocka_unit_test(text_wraps),
		cmocka_unit_test(damaged),
		cmocka_unit_test(bad_texts),
		cmocka_unit_test(kinds),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

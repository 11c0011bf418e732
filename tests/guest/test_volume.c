/*
 * test_volume.c - raw-volume probes (src/guest/volume.c): NTFS boot
 * sector and $Volume record, BitLocker signature, FAT boot sectors,
 * hiberfil.sys states.
 *
 * Boot sectors and MFT records are built here byte by byte (one comment
 * per field) and broken field by field; real volumes are made with mkntfs
 * (userspace, on a plain file) and read back with ntfsinfo, the
 * independent reader we compare with, including after setting the dirty
 * flag; FAT volumes with mkfs.fat, checked against blkid.  A GPT disk
 * made with sfdisk holding those volumes is read the way discovery reads
 * it (guest_disk_head_read in ptable.c), through readers that fail at
 * chosen places.
 */
#include <config.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/ptable.h"
#include "guest/volume.h"
#include "tests/lib/hvotest.h"
#include "util/bytes.h"

/* ------------------------------------------------------------------ */
/* Boot sectors.                                                       */
/* ------------------------------------------------------------------ */

static void make_boot(uint8_t *b)
{
	memset(b, 0, 512);
	b[0] = 0xeb; /* jump */
	b[1] = 0x52;
	b[2] = 0x90;
	memcpy(b + 3, "NTFS    ", 8); /* OEM identifier */
	put_le16(b + 0x0b, 512);      /* bytes per sector */
	b[0x0d] = 8;		      /* sectors per cluster: 4 KiB */
	b[0x15] = 0xf8;		      /* media descriptor */
	put_le64(b + 0x28, 8191);     /* total sectors: 4 MiB - 1 */
	put_le64(b + 0x30, 4);	      /* MFT cluster number */
	put_le64(b + 0x38, 511);      /* MFT mirror cluster number */
	b[0x40] = 0xf6;		      /* MFT record: 2^10 bytes */
	b[0x44] = 1;		      /* index block: 1 cluster */
	b[0x1fe] = 0x55;	      /* end marker */
	b[0x1ff] = 0xaa;
}

static int parse_boot(const uint8_t *b, struct guest_ntfs_geometry *g)
{
	uint8_t exact[512];
	memcpy(exact, b, 512);
	char why[128] = "";
	return guest_ntfs_parse_boot(exact, sizeof(exact), g, why, sizeof(why));
}

static void test_boot_valid(void **state)
{
	(void)state;
	uint8_t b[512];
	make_boot(b);
	struct guest_ntfs_geometry g;
	assert_int_equal(parse_boot(b, &g), GUEST_VOL_OK);
	assert_int_equal(g.sector_size, 512);
	assert_int_equal(g.cluster_size, 4096);
	assert_int_equal(g.record_size, 1024);
	assert_int_equal(g.mft_offset, 4 * 4096);
	assert_int_equal(g.volrec_offset, 4 * 4096 + 3 * 1024);
	assert_int_equal(g.volume_size, 8191ull * 512);
	/* A positive clusters-per-record count (old format, 512-byte
	 * clusters, records of 2 clusters). */
	b[0x0d] = 1;
	b[0x40] = 2;
	assert_int_equal(parse_boot(b, &g), GUEST_VOL_OK);
	assert_int_equal(g.record_size, 1024);
	/* Windows 10 1709's large clusters: 0xf4 = 2^12 sectors (2 MiB). */
	make_boot(b);
	b[0x0d] = 0xf4;
	put_le64(b + 0x28, 1ull << 30);
	assert_int_equal(parse_boot(b, &g), GUEST_VOL_OK);
	assert_int_equal(g.cluster_size, 2u * 1024 * 1024);
	assert_false(guest_vol_is_bitlocker(b, sizeof(b)));
}

static void test_boot_hostile(void **state)
{
	(void)state;
	struct {
		size_t off;
		int width;
		uint64_t value;
		int want;
		const char *what;
	} cases[] = {
		{ 3, 1, 'X', GUEST_VOL_NOT_NTFS, "OEM id" },
		{ 0x1fe, 1, 0, GUEST_VOL_CORRUPT, "end marker" },
		{ 0x0b, 2, 0, GUEST_VOL_CORRUPT, "0 bytes per sector" },
		{ 0x0b, 2, 100, GUEST_VOL_CORRUPT, "100 bytes per sector" },
		{ 0x0b, 2, 8192, GUEST_VOL_CORRUPT, "8 KiB sectors" },
		{ 0x0d, 1, 0, GUEST_VOL_CORRUPT, "0 sectors per cluster" },
		{ 0x0d, 1, 3, GUEST_VOL_CORRUPT, "3 sectors per cluster" },
		{ 0x0d, 1, 0xe0, GUEST_VOL_CORRUPT, "2^32 sectors/cluster" },
		{ 0x0d, 1, 0xf3, GUEST_VOL_CORRUPT, "4 MiB clusters" },
		{ 0x40, 1, 0, GUEST_VOL_CORRUPT, "0 clusters per record" },
		{ 0x40, 1, 0x80, GUEST_VOL_CORRUPT, "2^128-byte records" },
		{ 0x40, 1, 0xf3, GUEST_VOL_CORRUPT, "8 KiB records" },
		{ 0x40, 1, 3, GUEST_VOL_CORRUPT, "3-cluster records" },
		{ 0x28, 8, 0, GUEST_VOL_CORRUPT, "0 sectors" },
		{ 0x28, 8, UINT64_MAX, GUEST_VOL_CORRUPT, "2^64 sectors" },
		{ 0x30, 8, 1023, GUEST_VOL_CORRUPT, "MFT at the end" },
		{ 0x30, 8, UINT64_MAX / 2, GUEST_VOL_CORRUPT, "MFT far off" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[512];
		make_boot(b);
		if (cases[i].width == 1)
			b[cases[i].off] = (uint8_t)cases[i].value;
		else if (cases[i].width == 2)
			put_le16(b + cases[i].off, (uint16_t)cases[i].value);
		else
			put_le64(b + cases[i].off, cases[i].value);
		struct guest_ntfs_geometry g;
		int got = parse_boot(b, &g);
		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].what, got,
				 cases[i].want);
	}
	/* Too short to be a boot sector. */
	uint8_t b[512];
	make_boot(b);
	struct guest_ntfs_geometry g;
	assert_int_equal(guest_ntfs_parse_boot(b, 511, &g, NULL, 0),
			 GUEST_VOL_NOT_NTFS);
}

static void test_bitlocker(void **state)
{
	(void)state;
	uint8_t b[512];
	make_boot(b);
	memcpy(b + 3, "-FVE-FS-", 8); /* BitLocker's OEM identifier */
	assert_true(guest_vol_is_bitlocker(b, sizeof(b)));
	assert_false(guest_vol_is_bitlocker(b, 10)); /* too short */
	struct guest_ntfs_geometry g;
	assert_int_equal(parse_boot(b, &g), GUEST_VOL_NOT_NTFS);
}

/*
 * FAT boot sectors as mkfs.fat writes them (FAT12, FAT16, FAT32, 512 and
 * 4096-byte sectors) are recognised; NTFS, BitLocker and damaged ones are
 * not, and blkid agrees where it is installed.
 */
static void test_fat(void **state)
{
	(void)state;
	uint8_t b[512];
	make_boot(b);
	assert_false(guest_vol_is_fat(b, sizeof(b))); /* NTFS */
	if (!hvo_test_have_program("mkfs.fat"))
		skip();
	static const struct {
		const char *opts, *size;
	} fats[] = {
		{ "-F 12", "1M" },
		{ "-F 16", "16M" },
		{ "-F 32", "40M" },
		{ "-F 32 -S 4096", "300M" },
	};
	char *dir = hvo_test_mkdtemp();
	for (size_t i = 0; i < sizeof(fats) / sizeof(fats[0]); i++) {
		char path[4096], *cmd, *out = NULL;
		snprintf(path, sizeof(path), "%s/f%zu.img", dir, i);
		if (asprintf(&cmd,
			     "truncate -s %s '%s' && mkfs.fat %s '%s' "
			     ">/dev/null 2>&1",
			     fats[i].size, path, fats[i].opts, path) < 0)
			abort();
		assert_int_equal(hvo_test_run(cmd, NULL), 0);
		free(cmd);
		if (hvo_test_have_program("blkid")) {
			if (asprintf(&cmd, "blkid -p -o value -s TYPE '%s'",
				     path) < 0)
				abort();
			assert_int_equal(hvo_test_run(cmd, &out), 0);
			assert_string_equal(out, "vfat\n");
			free(out);
			free(cmd);
		}
		int fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		uint8_t boot[512];
		assert_int_equal(read(fd, boot, sizeof(boot)), 512);
		close(fd);
		if (!guest_vol_is_fat(boot, sizeof(boot)))
			fail_msg("mkfs.fat %s: not recognised", fats[i].opts);
		assert_false(guest_vol_is_fat(boot, 511)); /* too short */
		assert_false(guest_vol_is_bitlocker(boot, sizeof(boot)));
		struct guest_ntfs_geometry g;
		assert_int_equal(parse_boot(boot, &g), GUEST_VOL_NOT_NTFS);
		/* One damaged field at a time. */
		static const struct {
			size_t off;
			uint8_t v;
		} bad[] = {
			{ 0x1fe, 0 },	/* end marker */
			{ 0x0b, 0x01 }, /* 513 or 4097-byte sectors */
			{ 0x0d, 3 },	/* 3 sectors per cluster */
			{ 0x0d, 0 },	/* none */
			{ 0x0e, 0 },	/* no reserved sector (low byte) */
			{ 0x10, 0 },	/* no FAT */
			{ 0x15, 0x12 }, /* media byte */
		};
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			uint8_t c[512];
			memcpy(c, boot, sizeof(c));
			c[bad[k].off] = bad[k].v;
			if (bad[k].off == 0x0e)
				c[0x0f] = 0;
			if (guest_vol_is_fat(c, sizeof(c)))
				fail_msg("mkfs.fat %s: byte 0x%zx = 0x%x "
					 "accepted",
					 fats[i].opts, bad[k].off, bad[k].v);
		}
		/* Without its type string (and boot signature), it is left
		 * to blkid. */
		uint8_t c[512];
		memcpy(c, boot, sizeof(c));
		memset(c + 0x36, ' ', 8);
		memset(c + 0x52, ' ', 8);
		assert_false(guest_vol_is_fat(c, sizeof(c)));
	}
	hvo_test_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* $Volume records.                                                    */
/* ------------------------------------------------------------------ */

#define REC 1024
#define USN 0x0007

/*
 * A $Volume record: header, $VOLUME_NAME "Sys", $VOLUME_INFORMATION 3.1
 * with @flags, end marker; fixups applied (the protected words hold the
 * USN, their values sit in the update sequence array).
 */
static void make_record(uint8_t *r, uint16_t flags)
{
	memset(r, 0, REC);
	memcpy(r, "FILE", 4);	  /* signature */
	put_le16(r + 0x04, 0x30); /* update sequence array offset */
	put_le16(r + 0x06, 3);	  /* USA count: 1 + 2 strides */
	put_le16(r + 0x10, 3);	  /* sequence number */
	put_le16(r + 0x12, 1);	  /* link count */
	put_le16(r + 0x14, 0x38); /* first attribute */
	put_le16(r + 0x16, 1);	  /* flags: in use */
	put_le32(r + 0x1c, REC);  /* bytes allocated */
	uint32_t o = 0x38;
	/* $VOLUME_NAME, resident, value "Sys" (6 bytes) */
	put_le32(r + o + 0x00, 0x60); /* type */
	put_le32(r + o + 0x04, 0x20); /* length */
	r[o + 0x08] = 0;	      /* resident */
	put_le32(r + o + 0x10, 6);    /* value length */
	put_le16(r + o + 0x14, 0x18); /* value offset */
	put_le16(r + o + 0x18, 'S');
	put_le16(r + o + 0x1a, 'y');
	put_le16(r + o + 0x1c, 's');
	o += 0x20;
	/* $VOLUME_INFORMATION, resident, 12 bytes */
	put_le32(r + o + 0x00, 0x70);	    /* type */
	put_le32(r + o + 0x04, 0x28);	    /* length */
	put_le32(r + o + 0x10, 12);	    /* value length */
	put_le16(r + o + 0x14, 0x18);	    /* value offset */
	r[o + 0x18 + 8] = 3;		    /* major version */
	r[o + 0x18 + 9] = 1;		    /* minor version */
	put_le16(r + o + 0x18 + 10, flags); /* flags */
	o += 0x28;
	put_le32(r + o, 0xffffffff); /* end of attributes */
	o += 8;
	put_le32(r + 0x18, o); /* bytes in use */
	/* Fixups: save each stride's last word into the USA, put the USN
	 * in its place. */
	put_le16(r + 0x30, USN);
	for (int i = 1; i <= 2; i++) {
		memcpy(r + 0x30 + 2 * i, r + i * 512 - 2, 2);
		put_le16(r + i * 512 - 2, USN);
	}
}

static int parse_record(uint8_t *r, struct guest_ntfs_volinfo *vi)
{
	uint8_t *exact = malloc(REC);
	assert_non_null(exact);
	memcpy(exact, r, REC);
	int got = guest_ntfs_parse_volume_record(exact, REC, vi, NULL, 0);
	free(exact);
	return got;
}

static void test_record_valid(void **state)
{
	(void)state;
	uint8_t r[REC];
	struct guest_ntfs_volinfo vi;
	make_record(r, 0);
	assert_int_equal(parse_record(r, &vi), GUEST_VOL_OK);
	assert_int_equal(vi.major, 3);
	assert_int_equal(vi.minor, 1);
	assert_int_equal(vi.flags, 0);
	assert_string_equal(vi.label, "Sys");
	make_record(r, GUEST_NTFS_VOLUME_DIRTY);
	assert_int_equal(parse_record(r, &vi), GUEST_VOL_OK);
	assert_int_equal(vi.flags, GUEST_NTFS_VOLUME_DIRTY);
}

static void test_record_hostile(void **state)
{
	(void)state;
	struct {
		size_t off;
		int width;
		uint32_t value;
		const char *what;
	} cases[] = {
		{ 0x00, 1, 'B', "BAAD signature" },
		{ 0x06, 2, 5, "USA count" },
		{ 0x04, 2, 0x3ff, "USA offset at the end" },
		{ 0x04, 2, 0x31, "odd USA offset" },
		{ 510, 2, 0x1234, "torn first stride" },
		{ 1022, 2, 0x1234, "torn second stride" },
		{ 0x16, 2, 0, "not in use" },
		{ 0x18, 4, REC + 8, "bytes in use > record" },
		{ 0x14, 2, 0x3fe, "first attribute at the end" },
		{ 0x38 + 4, 4, 0, "attribute length 0 (a loop)" },
		{ 0x38 + 4, 4, 0x21, "unaligned attribute length" },
		{ 0x38 + 4, 4, 0x10000, "attribute past the record" },
		{ 0x58 + 0x14, 2, 0x100, "value outside its attribute" },
		{ 0x58, 4, 0x80, "no $VOLUME_INFORMATION" },
		{ 0x80, 4, 0x90, "no end marker" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t r[REC];
		make_record(r, 0);
		if (cases[i].width == 1)
			r[cases[i].off] = (uint8_t)cases[i].value;
		else if (cases[i].width == 2)
			put_le16(r + cases[i].off, (uint16_t)cases[i].value);
		else
			put_le32(r + cases[i].off, cases[i].value);
		struct guest_ntfs_volinfo vi;
		int got = parse_record(r, &vi);
		if (got != GUEST_VOL_CORRUPT)
			fail_msg("%s: got %d, want corrupt", cases[i].what,
				 got);
	}
	/* Record sizes that are not a multiple of the stride. */
	uint8_t r[REC];
	make_record(r, 0);
	struct guest_ntfs_volinfo vi;
	assert_int_equal(guest_ntfs_parse_volume_record(r, 1000, &vi, NULL, 0),
			 GUEST_VOL_CORRUPT);
	assert_int_equal(guest_ntfs_parse_volume_record(r, 128, &vi, NULL, 0),
			 GUEST_VOL_CORRUPT);
}

/* ------------------------------------------------------------------ */
/* Real volumes made by mkntfs, read back by ntfsinfo.                 */
/* ------------------------------------------------------------------ */

/* The value of "Key: value" in ntfsinfo's output. */
static void info_field(const char *out, const char *key, char *val, size_t size)
{
	const char *p = strstr(out, key);
	assert_non_null(p);
	p += strlen(key);
	while (*p == ' ' || *p == '\t' || *p == ':')
		p++;
	size_t n = strcspn(p, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(val, p, n);
	val[n] = '\0';
}

/* Parses the volume in @path with our probes. */
static void probe_file(const char *path, struct guest_ntfs_geometry *g,
		       struct guest_ntfs_volinfo *vi, uint64_t *flags_off)
{
	size_t len;
	uint8_t *img = hvo_test_read_file(path, &len);
	char why[160] = "";
	int r = guest_ntfs_parse_boot(img, len, g, why, sizeof(why));
	if (r != GUEST_VOL_OK)
		fail_msg("%s: %s", path, why);
	uint64_t off = g->mft_offset +
		       (uint64_t)GUEST_NTFS_VOLUME_RECORD * g->record_size;
	assert_true(off + g->record_size <= len);
	uint8_t *rec = malloc(g->record_size);
	assert_non_null(rec);
	memcpy(rec, img + off, g->record_size);
	r = guest_ntfs_parse_volume_record(rec, g->record_size, vi, why,
					   sizeof(why));
	if (r != GUEST_VOL_OK)
		fail_msg("%s: %s", path, why);
	/* Where the flags are, found by an attribute walk of our own here
	 * (type 0x70, resident value offset at +0x14, flags at +10). */
	uint32_t a = get_le16(img + off + 0x14);
	while (get_le32(img + off + a) != 0x70)
		a += get_le32(img + off + a + 4);
	*flags_off = off + a + get_le16(img + off + a + 0x14) + 10;
	free(rec);
	free(img);
}

static void test_mkntfs_volumes(void **state)
{
	(void)state;
	if (!hvo_test_have_program("mkntfs") ||
	    !hvo_test_have_program("ntfsinfo"))
		skip();
	static const struct {
		unsigned sector, cluster;
		const char *size;
	} geos[] = {
		{ 512, 512, "2M" },
		{ 512, 4096, "4M" },
		{ 4096, 4096, "8M" },
		{ 512, 65536, "16M" },
	};
	char *dir = hvo_test_mkdtemp();
	for (size_t i = 0; i < sizeof(geos) / sizeof(geos[0]); i++) {
		char path[4096], *cmd, *out;
		snprintf(path, sizeof(path), "%s/v%zu.img", dir, i);
		if (asprintf(&cmd,
			     "truncate -s %s '%s' && mkntfs -q -F -Q -L Vol%zu "
			     "-s %u -c %u '%s' >/dev/null 2>&1",
			     geos[i].size, path, i, geos[i].sector,
			     geos[i].cluster, path) < 0)
			abort();
		assert_int_equal(hvo_test_run(cmd, NULL), 0);
		free(cmd);

		struct guest_ntfs_geometry g;
		struct guest_ntfs_volinfo vi;
		uint64_t flags_off;
		probe_file(path, &g, &vi, &flags_off);

		if (asprintf(&cmd, "ntfsinfo -f -m '%s' 2>&1", path) < 0)
			abort();
		assert_int_equal(hvo_test_run(cmd, &out), 0);
		free(cmd);
		char v[64], want[64];
		info_field(out, "Sector Size", v, sizeof(v));
		assert_int_equal(strtoul(v, NULL, 10), g.sector_size);
		info_field(out, "Cluster Size", v, sizeof(v));
		assert_int_equal(strtoul(v, NULL, 10), g.cluster_size);
		info_field(out, "MFT Record Size", v, sizeof(v));
		assert_int_equal(strtoul(v, NULL, 10), g.record_size);
		info_field(out, "LCN of Data Attribute for FILE_MFT", v,
			   sizeof(v));
		assert_int_equal(strtoull(v, NULL, 10) * g.cluster_size,
				 g.mft_offset);
		info_field(out, "Volume Version", v, sizeof(v));
		snprintf(want, sizeof(want), "%u.%u", vi.major, vi.minor);
		assert_string_equal(v, want);
		info_field(out, "Volume Name", v, sizeof(v));
		assert_string_equal(v, vi.label);
		info_field(out, "Volume Flags", v, sizeof(v));
		assert_int_equal(strtoul(v, NULL, 16), vi.flags);
		assert_int_equal(vi.flags & GUEST_NTFS_VOLUME_DIRTY, 0);
		free(out);

		/* Mark the volume dirty, as Windows does while it is
		 * mounted, in $MFT and in its mirror $MFTMirr (boot sector
		 * field 0x38): ntfsinfo must agree that it is dirty now,
		 * and so must we. */
		size_t len;
		uint8_t *img = hvo_test_read_file(path, &len);
		uint64_t mirror = get_le64(img + 0x38) * g.cluster_size +
				  (flags_off - g.mft_offset);
		assert_true(mirror + 2 <= len);
		put_le16(img + flags_off, (uint16_t)(get_le16(img + flags_off) |
						     GUEST_NTFS_VOLUME_DIRTY));
		put_le16(img + mirror, (uint16_t)(get_le16(img + mirror) |
						  GUEST_NTFS_VOLUME_DIRTY));
		hvo_test_write_file(path, img, len);
		free(img);
		if (asprintf(&cmd, "ntfsinfo -f -m '%s' 2>&1", path) < 0)
			abort();
		hvo_test_run(cmd, &out);
		free(cmd);
		info_field(out, "Volume Flags", v, sizeof(v));
		assert_int_equal(strtoul(v, NULL, 16) & 1, 1);
		free(out);
		probe_file(path, &g, &vi, &flags_off);
		assert_int_equal(vi.flags & GUEST_NTFS_VOLUME_DIRTY,
				 GUEST_NTFS_VOLUME_DIRTY);
	}
	hvo_test_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* hiberfil.sys                                                        */
/* ------------------------------------------------------------------ */

static void test_hiberfil(void **state)
{
	(void)state;
	static const struct {
		const char *sig;
		enum guest_hiber_state want;
		bool unsafe;
	} cases[] = {
		{ "hibr", GUEST_HIBER_HIBERNATED, true },
		{ "HIBR", GUEST_HIBER_HIBERNATED, true },
		{ "RSTR", GUEST_HIBER_RESTORING, true },
		{ "rstr", GUEST_HIBER_RESTORING, true },
		{ "link", GUEST_HIBER_LINK, true },
		{ "wake", GUEST_HIBER_RESUMED, false },
		{ "WAKE", GUEST_HIBER_RESUMED, false },
		{ "\x01\x02\x03\x04", GUEST_HIBER_UNKNOWN, true },
	};
	uint8_t *h = calloc(1, GUEST_HIBER_HEADER_SIZE);
	assert_non_null(h);
	char sig[5];
	/* A zeroed header: hibernation enabled, last boot was clean. */
	assert_int_equal(guest_hiber_classify(h, GUEST_HIBER_HEADER_SIZE, sig),
			 GUEST_HIBER_NONE);
	assert_string_equal(sig, "....");
	assert_false(guest_hiber_unsafe(GUEST_HIBER_NONE));
	/* Zeroes with something later in the header: not a known state. */
	h[100] = 1;
	assert_int_equal(guest_hiber_classify(h, GUEST_HIBER_HEADER_SIZE, sig),
			 GUEST_HIBER_UNKNOWN);
	h[100] = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(h, cases[i].sig, 4);
		enum guest_hiber_state s =
			guest_hiber_classify(h, GUEST_HIBER_HEADER_SIZE, sig);
		assert_int_equal(s, cases[i].want);
		assert_int_equal(guest_hiber_unsafe(s), cases[i].unsafe);
		/* Only the signature needs to be there. */
		assert_int_equal(guest_hiber_classify(h, 4, sig),
				 cases[i].want);
	}
	memcpy(h, "HIBR", 4);
	guest_hiber_classify(h, 4, sig);
	assert_string_equal(sig, "HIBR");
	assert_int_equal(guest_hiber_classify(h, 3, sig), GUEST_HIBER_NONE);
	assert_string_equal(guest_hiber_name(GUEST_HIBER_RESTORING),
			    "restoring");
	free(h);
}

/* ------------------------------------------------------------------ */
/* What discovery reads from a disk (guest_disk_head_read).           */
/* ------------------------------------------------------------------ */

#define MIB (1024u * 1024)

/* A disk image in memory, read through a reader that fails for any
 * byte at or past @fail_from, and records whether a read touched
 * [watch, watch + 512). */
struct mem_disk {
	const uint8_t *img;
	size_t len;
	uint64_t fail_from;
	uint64_t watch;
	bool watched;
};

static int mem_read(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	struct mem_disk *m = ctx;
	if (off < m->watch + 512 && off + len > m->watch)
		m->watched = true;
	if (off > m->len || len > m->len - off || off + len > m->fail_from)
		return -1;
	memcpy(buf, m->img + off, len);
	return 0;
}

/* Runs @cmd (then frees it), which makes disk.img and v.img in @dir, and
 * reads both. */
static void make_disk(char *cmd, const char *dir, uint8_t **img, size_t *len,
		      uint8_t **vol, size_t *vlen)
{
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);
	char path[4096];
	snprintf(path, sizeof(path), "%s/disk.img", dir);
	*img = hvo_test_read_file(path, len);
	snprintf(path, sizeof(path), "%s/v.img", dir);
	*vol = hvo_test_read_file(path, vlen);
}

/* A disk of 4 KiB logical sectors (GPT by native-gpt4k.py, written from
 * the UEFI specification): its LBAs count 4096-byte units, which
 * guest_disk_head_read_sectors() is told and guest_disk_head_read() is
 * not. */
static void check_disk_head_4k(const char *dir)
{
	char *cmd;
	if (asprintf(&cmd,
		     "cd '%s' && truncate -s 16M disk.img && python3 "
		     "'%s/tests/guest/native-gpt4k.py' disk.img 256 3584 && "
		     "truncate -s 14M v.img && mkntfs -q -F -Q -s 4096 -L K4 "
		     "v.img >/dev/null 2>&1 && dd if=v.img of=disk.img "
		     "bs=4096 seek=256 conv=notrunc status=none",
		     dir, hvo_test_srcdir()) < 0)
		abort();
	size_t len, vlen;
	uint8_t *img, *vol;
	make_disk(cmd, dir, &img, &len, &vol, &vlen);
	struct mem_disk m = { .img = img,
			      .len = len,
			      .fail_from = UINT64_MAX,
			      .watch = UINT64_MAX - 512 };
	struct guest_disk_head h;
	assert_int_equal(
		guest_disk_head_read_sectors(mem_read, &m, len, 4096, &h),
		GUEST_OK);
	assert_int_equal(h.result, GUEST_PTABLE_OK);
	assert_int_equal(h.type, GUEST_PTABLE_GPT);
	assert_int_equal(h.nparts, 1);
	assert_int_equal(h.parts[0].start, 256u * 4096);
	assert_int_equal(h.parts[0].size, 3584u * 4096);
	assert_int_equal(h.vols[0].boot_len, 512);
	assert_memory_equal(h.vols[0].boot, vol, 512);
	/* The $Volume record, where the boot sector puts it. */
	assert_non_null(h.vols[0].rec);
	assert_memory_equal(h.vols[0].rec, vol + h.vols[0].rec_off,
			    h.vols[0].rec_len);
	assert_memory_equal(h.vols[0].rec, "FILE", 4);
	guest_disk_head_free(&h);
	/* Read in 512-byte sectors, the GPT header is not at LBA 1. */
	assert_int_equal(guest_disk_head_read(mem_read, &m, len, &h), GUEST_OK);
	assert_int_not_equal(h.result, GUEST_PTABLE_OK);
	guest_disk_head_free(&h);
	free(img);
	free(vol);
}

static void test_disk_head(void **state)
{
	(void)state;
	if (!hvo_test_have_program("sfdisk") ||
	    !hvo_test_have_program("mkntfs") ||
	    !hvo_test_have_program("mkfs.fat"))
		skip();
	/* 16 MiB, GPT: an ESP at 1 MiB (FAT12, 1 MiB), a Microsoft reserved
	 * partition at 2 MiB (1 MiB, holding a copy of the NTFS boot sector
	 * that must not be read), NTFS at 3 MiB (4 MiB). */
	char *dir = hvo_test_mkdtemp(), *cmd;
	if (asprintf(&cmd,
		     "cd '%s' && truncate -s 16M disk.img && "
		     "printf 'label: gpt\\n"
		     "start=2048, size=2048, type=%s\\n"
		     "start=4096, size=2048, type=%s\\n"
		     "start=6144, size=8192, "
		     "type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\\n' | "
		     "sfdisk -q disk.img >/dev/null 2>&1 && "
		     "truncate -s 1M f.img && mkfs.fat -F 12 f.img "
		     ">/dev/null 2>&1 && "
		     "truncate -s 4M v.img && mkntfs -q -F -Q -L Sys v.img "
		     ">/dev/null 2>&1 && "
		     "dd if=f.img of=disk.img bs=1M seek=1 conv=notrunc "
		     "status=none && "
		     "dd if=v.img of=disk.img bs=512 count=1 seek=4096 "
		     "conv=notrunc status=none && "
		     "dd if=v.img of=disk.img bs=1M seek=3 conv=notrunc "
		     "status=none",
		     dir, GUEST_GPT_TYPE_ESP, GUEST_GPT_TYPE_MSR) < 0)
		abort();
	size_t len, vlen;
	uint8_t *img, *vol;
	make_disk(cmd, dir, &img, &len, &vol, &vlen);
	assert_int_equal(len, 16 * MIB);
	struct guest_ntfs_geometry g;
	assert_int_equal(parse_boot(vol, &g), GUEST_VOL_OK);
	uint64_t rec_off = g.mft_offset +
			   (uint64_t)GUEST_NTFS_VOLUME_RECORD * g.record_size;

	struct mem_disk m = { .img = img,
			      .len = len,
			      .fail_from = UINT64_MAX,
			      .watch = 2 * MIB };
	struct guest_disk_head h;
	assert_int_equal(guest_disk_head_read(mem_read, &m, len, &h), GUEST_OK);
	assert_int_equal(h.size, len);
	assert_int_equal(h.result, GUEST_PTABLE_OK);
	assert_int_equal(h.type, GUEST_PTABLE_GPT);
	assert_int_equal(h.nparts, 3);
	assert_int_equal(h.parts[0].start, 1 * MIB);
	assert_int_equal(h.parts[2].start, 3 * MIB);
	assert_int_equal(h.parts[2].size, 4 * MIB);
	/* The ESP: its boot sector, no record. */
	assert_int_equal(h.vols[0].boot_len, 512);
	assert_memory_equal(h.vols[0].boot, img + 1 * MIB, 512);
	assert_true(guest_vol_is_fat(h.vols[0].boot, 512));
	assert_null(h.vols[0].rec);
	/* The reserved partition is not read at all. */
	assert_int_equal(h.vols[1].boot_len, 0);
	assert_null(h.vols[1].rec);
	assert_false(m.watched);
	/* NTFS: boot sector and the $Volume record where mkntfs put it. */
	assert_int_equal(h.vols[2].boot_len, 512);
	assert_memory_equal(h.vols[2].boot, vol, 512);
	assert_non_null(h.vols[2].rec);
	assert_int_equal(h.vols[2].rec_len, g.record_size);
	assert_int_equal(h.vols[2].rec_off, rec_off);
	assert_memory_equal(h.vols[2].rec, vol + rec_off, g.record_size);
	struct guest_ntfs_volinfo vi;
	assert_int_equal(parse_record(h.vols[2].rec, &vi), GUEST_VOL_OK);
	assert_string_equal(vi.label, "Sys");
	guest_disk_head_free(&h);
	guest_disk_head_free(&h); /* twice is harmless */

	/* A volume whose boot sector cannot be read: left out, the rest
	 * is still read. */
	m.fail_from = 3 * MIB + 100;
	assert_int_equal(guest_disk_head_read(mem_read, &m, len, &h), GUEST_OK);
	assert_int_equal(h.result, GUEST_PTABLE_OK);
	assert_int_equal(h.vols[0].boot_len, 512);
	assert_int_equal(h.vols[2].boot_len, 0);
	assert_null(h.vols[2].rec);
	guest_disk_head_free(&h);
	/* Its record only. */
	m.fail_from = 3 * MIB + rec_off + 1;
	assert_int_equal(guest_disk_head_read(mem_read, &m, len, &h), GUEST_OK);
	assert_int_equal(h.vols[2].boot_len, 512);
	assert_null(h.vols[2].rec);
	assert_int_equal(h.vols[2].rec_len, 0);
	guest_disk_head_free(&h);
	/* The table itself: an I/O error, and no volumes. */
	m.fail_from = 100;
	assert_int_equal(guest_disk_head_read(mem_read, &m, len, &h), GUEST_OK);
	assert_int_equal(h.result, GUEST_PTABLE_IO);
	assert_true(h.why[0] != '\0');
	assert_int_equal(h.nparts, 0);
	guest_disk_head_free(&h);

	/* No partition table: one whole-disk volume, partnum 0. */
	struct mem_disk bare = { .img = vol,
				 .len = vlen,
				 .fail_from = UINT64_MAX,
				 .watch = UINT64_MAX - 512 };
	assert_int_equal(guest_disk_head_read(mem_read, &bare, vlen, &h),
			 GUEST_OK);
	assert_int_equal(h.type, GUEST_PTABLE_NONE);
	assert_int_equal(h.nparts, 1);
	assert_int_equal(h.parts[0].partnum, 0);
	assert_int_equal(h.parts[0].start, 0);
	assert_int_equal(h.parts[0].size, vlen);
	assert_memory_equal(h.vols[0].boot, vol, 512);
	assert_memory_equal(h.vols[0].rec, vol + rec_off, g.record_size);
	guest_disk_head_free(&h);
	/* A volume too small to hold the record its boot sector points at:
	 * the record is not read (nothing past the volume is). */
	assert_int_equal(guest_disk_head_read(mem_read, &bare,
					      rec_off + g.record_size - 1, &h),
			 GUEST_OK);
	assert_int_equal(h.vols[0].boot_len, 512);
	assert_null(h.vols[0].rec);
	guest_disk_head_free(&h);

	free(img);
	free(vol);
	check_disk_head_4k(dir);
	hvo_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_valid),
		cmocka_unit_test(test_boot_hostile),
		cmocka_unit_test(test_bitlocker),
		cmocka_unit_test(test_fat),
		cmocka_unit_test(test_record_valid),
		cmocka_unit_test(test_record_hostile),
		cmocka_unit_test(test_mkntfs_volumes),
		cmocka_unit_test(test_hiberfil),
		cmocka_unit_test(test_disk_head),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

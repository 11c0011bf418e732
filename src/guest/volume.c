/*
 * volume.c - raw-volume safety probes (see volume.h for the sources).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/volume.h"
#include "util/bytes.h"
#include "util/utf.h"

/* Boot sector (BIOS parameter block and its NTFS extension). */
#define BOOT_OEM_ID		 0x03 /* "NTFS    " or "-FVE-FS-" */
#define BOOT_BYTES_PER_SECTOR	 0x0b
#define BOOT_SECTORS_PER_CLUSTER 0x0d
#define BOOT_TOTAL_SECTORS	 0x28
#define BOOT_MFT_LCN		 0x30
#define BOOT_CLUSTERS_PER_RECORD 0x40
#define BOOT_END_MARKER		 0x1fe /* 0x55 0xaa */
#define BOOT_SIZE		 0x200

/* MFT ("FILE") record header. */
#define REC_MAGIC	 0x00
#define REC_USA_OFFSET	 0x04
#define REC_USA_COUNT	 0x06
#define REC_ATTRS_OFFSET 0x14
#define REC_FLAGS	 0x16
#define REC_BYTES_IN_USE 0x18
#define REC_FLAG_IN_USE	 0x0001
/* Fixups protect the last two bytes of every 512-byte stride, whatever the
 * sector size (NTFS_BLOCK_SIZE in ntfs-3g). */
#define REC_STRIDE 512

/* Attribute record header (resident form). */
#define ATTR_TYPE	   0x00
#define ATTR_LENGTH	   0x04
#define ATTR_NON_RESIDENT  0x08
#define ATTR_VALUE_LENGTH  0x10
#define ATTR_VALUE_OFFSET  0x14
#define ATTR_RESIDENT_SIZE 0x18
#define ATTR_END	   0xffffffffu
#define AT_VOLUME_NAME	   0x60
#define AT_VOLUME_INFO	   0x70
#define VOLINFO_MAJOR	   0x08
#define VOLINFO_MINOR	   0x09
#define VOLINFO_FLAGS	   0x0a
#define VOLINFO_SIZE	   0x0c

/*
 * Limits: sectors of 256 to 4096 bytes and clusters up to 2 MiB are what
 * Windows formats (Format's /A: options); MFT records are 1 KiB, or 4 KiB
 * on 4Kn disks, and never larger than a page.
 */
#define NTFS_MIN_SECTOR	 256
#define NTFS_MAX_SECTOR	 4096
#define NTFS_MAX_CLUSTER (2u * 1024 * 1024)
#define NTFS_MIN_RECORD	 256
#define NTFS_MAX_RECORD	 4096

static int why_set(char *why, size_t size, int err, const char *msg)
{
	if (why != NULL && size > 0)
		snprintf(why, size, "%s", msg);
	return err;
}

static bool is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

bool guest_vol_is_bitlocker(const uint8_t *boot, size_t len)
{
	return len >= BOOT_OEM_ID + 8 &&
	       memcmp(boot + BOOT_OEM_ID, "-FVE-FS-", 8) == 0;
}

/*
 * A FAT boot sector (Microsoft's FAT32 File System Specification,
 * fatgen103, "Boot Sector and BPB"): the filesystem type string of the
 * FAT12/16 or the FAT32 extended BPB behind its extended boot signature
 * 0x29, and a BPB whose fields could describe a volume.  Only a positive
 * answer is used (blkid is asked otherwise), so the check is strict.
 */
bool guest_vol_is_fat(const uint8_t *boot, size_t len)
{
	if (len < BOOT_SIZE || boot[BOOT_END_MARKER] != 0x55 ||
	    boot[BOOT_END_MARKER + 1] != 0xaa)
		return false;
	bool fat16 = boot[0x26] == 0x29 &&
		     (memcmp(boot + 0x36, "FAT12   ", 8) == 0 ||
		      memcmp(boot + 0x36, "FAT16   ", 8) == 0 ||
		      memcmp(boot + 0x36, "FAT     ", 8) == 0);
	bool fat32 =
		boot[0x42] == 0x29 && memcmp(boot + 0x52, "FAT32   ", 8) == 0;
	uint32_t bps = get_le16(boot + BOOT_BYTES_PER_SECTOR);
	uint32_t spc = boot[BOOT_SECTORS_PER_CLUSTER];
	uint32_t reserved = get_le16(boot + 0x0e);
	uint8_t nfats = boot[0x10], media = boot[0x15];
	return (fat16 || fat32) && is_pow2(bps) && bps >= 512 && bps <= 4096 &&
	       is_pow2(spc) && spc <= 128 && reserved != 0 && nfats != 0 &&
	       (media == 0xf0 || media >= 0xf8);
}

int guest_ntfs_parse_boot(const uint8_t *boot, size_t len,
			  struct guest_ntfs_geometry *geo, char *why,
			  size_t whysize)
{
	memset(geo, 0, sizeof(*geo));
	if (len < BOOT_SIZE || memcmp(boot + BOOT_OEM_ID, "NTFS    ", 8) != 0)
		return why_set(why, whysize, GUEST_VOL_NOT_NTFS,
			       "no NTFS boot sector");
	if (boot[BOOT_END_MARKER] != 0x55 || boot[BOOT_END_MARKER + 1] != 0xaa)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "boot sector has no 0x55aa end marker");
	uint32_t bps = get_le16(boot + BOOT_BYTES_PER_SECTOR);
	if (!is_pow2(bps) || bps < NTFS_MIN_SECTOR || bps > NTFS_MAX_SECTOR)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "impossible bytes per sector");
	/* Values above 0x80 are negative powers of two (clusters of 64 KiB
	 * and more, Windows 10 1709 and later). */
	uint32_t spc = boot[BOOT_SECTORS_PER_CLUSTER];
	uint64_t cluster;
	if (spc == 0)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "zero sectors per cluster");
	if (spc > 0x80) {
		unsigned shift = 256u - spc;
		if (shift > 31)
			return why_set(why, whysize, GUEST_VOL_CORRUPT,
				       "impossible sectors per cluster");
		cluster = (uint64_t)bps << shift;
	} else {
		if (!is_pow2(spc))
			return why_set(why, whysize, GUEST_VOL_CORRUPT,
				       "sectors per cluster is not a power "
				       "of two");
		cluster = (uint64_t)bps * spc;
	}
	if (cluster > NTFS_MAX_CLUSTER)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "clusters larger than 2 MiB");
	/* A positive count is clusters per record; a negative one, n, means
	 * records of 2^-n bytes. */
	int8_t cpr = (int8_t)boot[BOOT_CLUSTERS_PER_RECORD];
	uint64_t record;
	if (cpr > 0)
		record = cluster * (uint64_t)cpr;
	else if (cpr < 0 && cpr >= -31)
		record = (uint64_t)1 << -cpr;
	else
		record = 0;
	if (!is_pow2(record) || record < NTFS_MIN_RECORD ||
	    record > NTFS_MAX_RECORD)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "impossible MFT record size");
	uint64_t sectors = get_le64(boot + BOOT_TOTAL_SECTORS);
	uint64_t lcn = get_le64(boot + BOOT_MFT_LCN);
	if (sectors == 0 || sectors > UINT64_MAX / bps)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "impossible total sector count");
	uint64_t size = sectors * bps;
	if (lcn > size / cluster ||
	    !hvo_in_bounds(lcn * cluster,
			   (GUEST_NTFS_VOLUME_RECORD + 1) * record, size))
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "MFT lies outside the volume");
	geo->sector_size = bps;
	geo->cluster_size = (uint32_t)cluster;
	geo->record_size = (uint32_t)record;
	geo->volume_size = size;
	geo->mft_offset = lcn * cluster;
	geo->volrec_offset =
		geo->mft_offset + GUEST_NTFS_VOLUME_RECORD * record;
	return GUEST_VOL_OK;
}

/* Applies the update-sequence fixups of an MFT record in place. */
static int apply_fixups(uint8_t *rec, size_t len, char *why, size_t whysize)
{
	uint32_t usa_off = get_le16(rec + REC_USA_OFFSET);
	uint32_t usa_count = get_le16(rec + REC_USA_COUNT);
	if (usa_count != len / REC_STRIDE + 1 ||
	    !hvo_in_bounds(usa_off, (uint64_t)usa_count * 2, len) ||
	    (usa_off & 1) != 0)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "$Volume record: bad update sequence array");
	uint16_t usn = get_le16(rec + usa_off);
	for (uint32_t i = 1; i < usa_count; i++) {
		uint8_t *end = rec + i * REC_STRIDE - 2;
		if (get_le16(end) != usn)
			return why_set(why, whysize, GUEST_VOL_CORRUPT,
				       "$Volume record: torn write (update "
				       "sequence mismatch)");
		memcpy(end, rec + usa_off + 2 * i, 2);
	}
	return GUEST_VOL_OK;
}

int guest_ntfs_parse_volume_record(uint8_t *rec, size_t len,
				   struct guest_ntfs_volinfo *vi, char *why,
				   size_t whysize)
{
	memset(vi, 0, sizeof(*vi));
	if (len < NTFS_MIN_RECORD || len > NTFS_MAX_RECORD ||
	    len % REC_STRIDE != 0 || memcmp(rec + REC_MAGIC, "FILE", 4) != 0)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "$Volume record has no FILE signature");
	int r = apply_fixups(rec, len, why, whysize);
	if (r != GUEST_VOL_OK)
		return r;
	if ((get_le16(rec + REC_FLAGS) & REC_FLAG_IN_USE) == 0)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "$Volume record is not in use");
	uint32_t used = get_le32(rec + REC_BYTES_IN_USE);
	if (used > len)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "$Volume record: bytes in use exceed the "
			       "record");
	bool have_info = false;
	uint32_t off = get_le16(rec + REC_ATTRS_OFFSET);
	/* Each step moves forward by a checked, non-zero length; the walk
	 * ends inside the used part of the record. */
	for (;;) {
		if (!hvo_in_bounds(off, 4, used))
			return why_set(why, whysize, GUEST_VOL_CORRUPT,
				       "$Volume record: attribute list runs "
				       "past the record");
		uint32_t type = get_le32(rec + off + ATTR_TYPE);
		if (type == ATTR_END)
			break;
		if (!hvo_in_bounds(off, ATTR_RESIDENT_SIZE, used))
			return why_set(why, whysize, GUEST_VOL_CORRUPT,
				       "$Volume record: truncated attribute");
		uint32_t alen = get_le32(rec + off + ATTR_LENGTH);
		if (alen < ATTR_RESIDENT_SIZE || (alen & 7) != 0 ||
		    !hvo_in_bounds(off, alen, used))
			return why_set(why, whysize, GUEST_VOL_CORRUPT,
				       "$Volume record: bad attribute length");
		const uint8_t *a = rec + off;
		if ((type == AT_VOLUME_INFO || type == AT_VOLUME_NAME) &&
		    a[ATTR_NON_RESIDENT] == 0) {
			uint32_t vlen = get_le32(a + ATTR_VALUE_LENGTH);
			uint32_t voff = get_le16(a + ATTR_VALUE_OFFSET);
			if (!hvo_in_bounds(voff, vlen, alen))
				return why_set(why, whysize, GUEST_VOL_CORRUPT,
					       "$Volume record: attribute "
					       "value outside the attribute");
			const uint8_t *v = a + voff;
			if (type == AT_VOLUME_INFO && vlen >= VOLINFO_SIZE) {
				vi->major = v[VOLINFO_MAJOR];
				vi->minor = v[VOLINFO_MINOR];
				vi->flags = get_le16(v + VOLINFO_FLAGS);
				have_info = true;
			} else if (type == AT_VOLUME_NAME) {
				char *s;
				size_t slen;
				if (hvo_int_utf16le_to_utf8(v, vlen, 1, &s,
							    &slen) == 0) {
					if (slen >= sizeof(vi->label))
						slen = sizeof(vi->label) - 1;
					memcpy(vi->label, s, slen);
					vi->label[slen] = '\0';
					free(s);
				}
			}
		}
		off += alen;
	}
	if (!have_info)
		return why_set(why, whysize, GUEST_VOL_CORRUPT,
			       "$Volume record has no $VOLUME_INFORMATION");
	return GUEST_VOL_OK;
}

enum guest_hiber_state guest_hiber_classify(const uint8_t *hdr, size_t len,
					    char sig[5])
{
	for (size_t i = 0; i < 4; i++) {
		uint8_t c = i < len ? hdr[i] : 0;
		sig[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
	}
	sig[4] = '\0';
	if (len < 4)
		return GUEST_HIBER_NONE;
	static const struct {
		char sig[5];
		enum guest_hiber_state state;
	} known[] = {
		{ "hibr", GUEST_HIBER_HIBERNATED },
		{ "HIBR", GUEST_HIBER_HIBERNATED },
		{ "RSTR", GUEST_HIBER_RESTORING },
		{ "rstr", GUEST_HIBER_RESTORING },
		{ "link", GUEST_HIBER_LINK },
		{ "LINK", GUEST_HIBER_LINK },
		{ "wake", GUEST_HIBER_RESUMED },
		{ "WAKE", GUEST_HIBER_RESUMED },
	};
	for (size_t i = 0; i < HVO_ARRAY_SIZE(known); i++)
		if (memcmp(hdr, known[i].sig, 4) == 0)
			return known[i].state;
	/* Windows zeroes the header when it boots normally; ntfs-3g treats
	 * a zeroed header as safe, and so do we. */
	size_t n =
		len < GUEST_HIBER_HEADER_SIZE ? len : GUEST_HIBER_HEADER_SIZE;
	for (size_t i = 0; i < n; i++)
		if (hdr[i] != 0)
			return GUEST_HIBER_UNKNOWN;
	return GUEST_HIBER_NONE;
}

bool guest_hiber_unsafe(enum guest_hiber_state s)
{
	/* An unknown signature is treated as a saved session: refusing a
	 * safe image costs a re-run, writing to a hibernated one loses the
	 * guest's data. */
	return s == GUEST_HIBER_HIBERNATED || s == GUEST_HIBER_RESTORING ||
	       s == GUEST_HIBER_LINK || s == GUEST_HIBER_UNKNOWN;
}

const char *guest_hiber_name(enum guest_hiber_state s)
{
	static const char *const names[] = {
		[GUEST_HIBER_NONE] = "none",
		[GUEST_HIBER_HIBERNATED] = "hibernated",
		[GUEST_HIBER_RESTORING] = "restoring",
		[GUEST_HIBER_LINK] = "link",
		[GUEST_HIBER_RESUMED] = "resumed",
		[GUEST_HIBER_UNKNOWN] = "unknown",
	};
	if ((size_t)s >= HVO_ARRAY_SIZE(names))
		return "unknown";
	return names[s];
}

/*
 * header.c - the header section (MS-VHDX 2.2): file type identifier, the
 * two headers and the two region tables; and the header-update protocol.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/utf.h"
#include "vhdx/internal.h"

static const uint64_t header_offsets[2] = { VHDX_HEADER1_OFFSET,
					    VHDX_HEADER2_OFFSET };

const char *vhdx_int_header_invalid(const uint8_t *h)
{
	if (memcmp(h + HDR_SIGNATURE, "head", 4) != 0)
		return "no \"head\" signature";
	if (vhdx_int_crc32c_with_hole(h, VHDX_HEADER_SIZE, HDR_CHECKSUM) !=
	    get_le32(h + HDR_CHECKSUM))
		return "checksum mismatch";
	return NULL;
}

static enum vhdx_err read_creator(struct vhdx_image *img)
{
	uint8_t raw[FILEID_CREATOR_BYTES];
	enum vhdx_err r = vhdx_int_read(img, raw, sizeof(raw), FILEID_CREATOR,
					"file identifier");
	if (r != VHDX_OK)
		return r;
	/* Diagnostic only (2.2.1): never used to decide anything. */
	if (hvo_int_utf16le_to_utf8(raw, sizeof(raw), 1, &img->creator, NULL) !=
	    0)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	return VHDX_OK;
}

enum vhdx_err vhdx_int_read_headers(struct vhdx_image *img)
{
	uint8_t sig[8];
	if (img->file_size < sizeof(sig))
		return vhdx_int_fail(
			img, VHDX_ERR_NOT_VHDX,
			"file identifier: file too short (%llu bytes) "
			"to be a VHDX",
			(unsigned long long)img->file_size);
	enum vhdx_err r = vhdx_int_read(img, sig, sizeof(sig), FILEID_SIGNATURE,
					"file identifier");
	if (r != VHDX_OK)
		return r;
	if (memcmp(sig, "vhdxfile", 8) != 0)
		return vhdx_int_fail(
			img, VHDX_ERR_NOT_VHDX,
			"file identifier: no \"vhdxfile\" signature");
	if (img->file_size < VHDX_HEADER_SECTION_SIZE)
		return vhdx_int_fail(
			img, VHDX_ERR_TRUNCATED,
			"header section: file is %llu bytes, the header "
			"section alone is 1 MiB",
			(unsigned long long)img->file_size);
	r = read_creator(img);
	if (r != VHDX_OK)
		return r;

	uint8_t h[2][VHDX_HEADER_SIZE];
	const char *why[2];
	for (int i = 0; i < 2; i++) {
		r = vhdx_int_read(img, h[i], VHDX_HEADER_SIZE,
				  header_offsets[i],
				  i == 0 ? "header 1" : "header 2");
		if (r != VHDX_OK)
			return r;
		why[i] = vhdx_int_header_invalid(h[i]);
	}
	int cur;
	if (why[0] == NULL && why[1] == NULL) {
		uint64_t s0 = get_le64(h[0] + HDR_SEQUENCE);
		uint64_t s1 = get_le64(h[1] + HDR_SEQUENCE);
		if (s0 > s1) {
			cur = 0;
		} else if (s1 > s0) {
			cur = 1;
		} else if (memcmp(h[0], h[1], VHDX_HEADER_SIZE) == 0) {
			/* Sysinternals Disk2VHD writes both headers identical,
			 * with the same sequence number.  Strictly no header is
			 * current (2.2.2), but they say the same thing; qemu
			 * accepts this too (commit 6906046169). */
			cur = 0;
		} else {
			return vhdx_int_fail(
				img, VHDX_ERR_CORRUPT,
				"headers: both valid with sequence "
				"number %llu but different contents: "
				"no current header",
				(unsigned long long)s0);
		}
		img->other_header_valid = true;
	} else if (why[0] == NULL) {
		cur = 0;
	} else if (why[1] == NULL) {
		cur = 1;
	} else {
		return vhdx_int_fail(img, VHDX_ERR_CORRUPT,
				     "headers: no valid header (header 1: %s; "
				     "header 2: %s)",
				     why[0], why[1]);
	}

	const uint8_t *c = h[cur];
	memcpy(img->header, c, VHDX_HEADER_SIZE);
	img->cur_header = cur;
	img->sequence = get_le64(c + HDR_SEQUENCE);
	memcpy(img->file_write_guid.b, c + HDR_FILE_WRITE_GUID, 16);
	memcpy(img->data_write_guid.b, c + HDR_DATA_WRITE_GUID, 16);
	memcpy(img->log_guid.b, c + HDR_LOG_GUID, 16);
	uint16_t version = get_le16(c + HDR_VERSION);
	uint16_t log_version = get_le16(c + HDR_LOG_VERSION);
	img->log_length = get_le32(c + HDR_LOG_LENGTH);
	img->log_offset = get_le64(c + HDR_LOG_OFFSET);
	const char *name = cur == 0 ? "header 1" : "header 2";

	if (version != VHDX_VERSION)
		return vhdx_int_fail(img, VHDX_ERR_UNSUPPORTED,
				     "%s: format version %u (only version 1 is "
				     "defined)",
				     name, version);
	/* "MUST NOT continue to process the file unless the LogGuid field
	 * is zero" (2.2.2); nor write a log of a version we do not know. */
	if (log_version != VHDX_LOG_VERSION &&
	    (!vhdx_int_guid_is_zero(&img->log_guid) || img->writable))
		return vhdx_int_fail(
			img, VHDX_ERR_UNSUPPORTED,
			"%s: log version %u (only version 0 is defined)", name,
			log_version);
	if (img->log_length % VHDX_ALIGN != 0)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"%s: log length %#x is not a multiple of 1 MiB", name,
			img->log_length);
	if (img->log_length != 0) {
		if (img->log_offset % VHDX_ALIGN != 0 ||
		    img->log_offset < VHDX_HEADER_SECTION_SIZE)
			return vhdx_int_fail(
				img, VHDX_ERR_CORRUPT,
				"%s: log offset %#llx is not a multiple "
				"of 1 MiB after the header section",
				name, (unsigned long long)img->log_offset);
		if (!hvo_in_bounds(img->log_offset, img->log_length,
				   img->file_size))
			return vhdx_int_fail(
				img, VHDX_ERR_TRUNCATED,
				"log: [%#llx, +%#x) is past the end of "
				"the file (%#llx bytes)",
				(unsigned long long)img->log_offset,
				img->log_length,
				(unsigned long long)img->file_size);
	} else if (!vhdx_int_guid_is_zero(&img->log_guid)) {
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"%s: a log GUID is set but the log is empty", name);
	}
	return VHDX_OK;
}

/* ---- Region tables (2.2.3) ---- */

struct region_table {
	uint8_t raw[VHDX_REGION_TABLE_SIZE];
	uint32_t count;
};

static const char *region_table_invalid(const struct region_table *t)
{
	if (memcmp(t->raw + RT_SIGNATURE, "regi", 4) != 0)
		return "no \"regi\" signature";
	if (vhdx_int_crc32c_with_hole(t->raw, VHDX_REGION_TABLE_SIZE,
				      RT_CHECKSUM) !=
	    get_le32(t->raw + RT_CHECKSUM))
		return "checksum mismatch";
	if (get_le32(t->raw + RT_ENTRY_COUNT) > VHDX_MAX_REGION_ENTRIES)
		return "more than 2047 entries";
	return NULL;
}

enum vhdx_err vhdx_int_read_region_tables(struct vhdx_image *img)
{
	static const struct vhdx_guid bat_guid = GUID_REGION_BAT;
	static const struct vhdx_guid meta_guid = GUID_REGION_METADATA;
	struct region_table *t = malloc(2 * sizeof(*t));
	if (t == NULL)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	enum vhdx_err r = vhdx_int_read(img, t[0].raw, VHDX_REGION_TABLE_SIZE,
					VHDX_REGION1_OFFSET, "region table 1");
	if (r == VHDX_OK)
		r = vhdx_int_read(img, t[1].raw, VHDX_REGION_TABLE_SIZE,
				  VHDX_REGION2_OFFSET, "region table 2");
	if (r != VHDX_OK) {
		free(t);
		return r;
	}
	const char *why0 = region_table_invalid(&t[0]);
	const char *why1 = region_table_invalid(&t[1]);
	const struct region_table *use;
	const char *name;
	if (why0 == NULL) {
		use = &t[0];
		name = "region table 1";
		img->region_tables_differ =
			why1 != NULL ||
			memcmp(t[0].raw, t[1].raw, VHDX_REGION_TABLE_SIZE) != 0;
	} else if (why1 == NULL) {
		/* Both copies exist so that one damaged sector does not
		 * lose the file (2.2). */
		use = &t[1];
		name = "region table 2";
		img->region1_invalid = true;
		img->region_tables_differ = true;
	} else {
		r = vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"region tables: no valid copy (table 1: %s; table "
			"2: %s)",
			why0, why1);
		free(t);
		return r;
	}

	uint32_t count = get_le32(use->raw + RT_ENTRY_COUNT);
	bool have_bat = false, have_meta = false;
	for (uint32_t i = 0; i < count && r == VHDX_OK; i++) {
		const uint8_t *e = use->raw + RT_ENTRIES + (size_t)i * RTE_SIZE;
		struct vhdx_guid g;
		memcpy(g.b, e + RTE_GUID, 16);
		uint64_t off = get_le64(e + RTE_FILE_OFFSET);
		uint32_t len = get_le32(e + RTE_LENGTH);
		uint32_t required = get_le32(e + RTE_REQUIRED);
		char gs[37];
		vhdx_guid_format(&g, gs);
		for (uint32_t j = 0; j < i; j++)
			if (memcmp(use->raw + RT_ENTRIES + (size_t)j * RTE_SIZE,
				   g.b, 16) == 0) {
				r = vhdx_int_fail(img, VHDX_ERR_CORRUPT,
						  "%s: region %s listed twice",
						  name, gs);
				break;
			}
		if (r != VHDX_OK)
			break;
		bool is_bat = vhdx_int_guid_eq(&g, &bat_guid);
		bool is_meta = vhdx_int_guid_eq(&g, &meta_guid);
		if (!is_bat && !is_meta) {
			/* 2.2.3.2: an unknown region marked required must
			 * make us refuse the file.  qemu writes Required=0 for
			 * the known regions, so only unknown ones matter. */
			if (required != 0)
				r = vhdx_int_fail(
					img, VHDX_ERR_UNSUPPORTED,
					"%s: unknown region %s is marked "
					"required",
					name, gs);
			else
				img->unknown_regions++;
			continue;
		}
		if (off % VHDX_ALIGN != 0 || off < VHDX_HEADER_SECTION_SIZE ||
		    len % VHDX_ALIGN != 0 || len == 0) {
			r = vhdx_int_fail(
				img, VHDX_ERR_CORRUPT,
				"%s: %s region at %#llx, length %#x: not "
				"1 MiB-aligned after the header section",
				name, is_bat ? "BAT" : "metadata",
				(unsigned long long)off, len);
			break;
		}
		if (!hvo_in_bounds(off, len, img->eff_size)) {
			r = vhdx_int_fail(
				img, VHDX_ERR_TRUNCATED,
				"%s: %s region [%#llx, +%#x) is past the "
				"end of the file (%#llx bytes)",
				name, is_bat ? "BAT" : "metadata",
				(unsigned long long)off, len,
				(unsigned long long)img->eff_size);
			break;
		}
		if (is_bat) {
			img->bat_offset = off;
			img->bat_length = len;
			have_bat = true;
		} else {
			img->meta_offset = off;
			img->meta_length = len;
			have_meta = true;
		}
	}
	if (r == VHDX_OK && (!have_bat || !have_meta))
		r = vhdx_int_fail(img, VHDX_ERR_CORRUPT, "%s: no %s region",
				  name, have_bat ? "metadata" : "BAT");
	free(t);
	return r;
}

/* ---- Header update (2.2.2.1) ---- */

/* Writes header copy @slot; with @sync, makes it durable. */
static enum vhdx_err write_header(struct vhdx_image *img, uint8_t *h, int slot,
				  bool sync)
{
	put_le32(h + HDR_CHECKSUM, 0);
	put_le32(h + HDR_CHECKSUM, vhdx_int_crc32c(0, h, VHDX_HEADER_SIZE));
	enum vhdx_err r =
		vhdx_int_write(img, h, VHDX_HEADER_SIZE, header_offsets[slot],
			       slot == 0 ? "header 1" : "header 2");
	if (r == VHDX_OK && sync)
		r = vhdx_int_sync(img);
	return r;
}

enum vhdx_err vhdx_int_update_headers(struct vhdx_image *img,
				      bool new_data_guid,
				      const struct vhdx_guid *log_guid)
{
	uint8_t h[VHDX_HEADER_SIZE];
	memcpy(h, img->header, VHDX_HEADER_SIZE);
	if (!img->session_started) {
		int e = vhdx_int_guid_random(&img->file_write_guid);
		if (e != 0)
			return vhdx_int_fail_errno(img, e, "new FileWriteGuid");
		img->session_started = true;
	}
	if (new_data_guid) {
		int e = vhdx_int_guid_random(&img->data_write_guid);
		if (e != 0)
			return vhdx_int_fail_errno(img, e, "new DataWriteGuid");
		img->data_guid_changed = true;
	}
	img->log_guid = *log_guid;
	memcpy(h + HDR_FILE_WRITE_GUID, img->file_write_guid.b, 16);
	memcpy(h + HDR_DATA_WRITE_GUID, img->data_write_guid.b, 16);
	memcpy(h + HDR_LOG_GUID, log_guid->b, 16);
	/* The previous update's second copy must be durable before this
	 * one overwrites the other: then one good copy of the state before
	 * this update survives any crash during it. */
	if (img->header_unsynced) {
		enum vhdx_err r = vhdx_int_sync(img);
		if (r != VHDX_OK)
			return r;
	}
	/* Twice: after the first write the other copy is stale, and a file
	 * whose only good header is damaged could not be opened (2.2.2.1,
	 * "SHOULD perform the update procedure a second time").  The first
	 * copy is made durable at once: from then on it alone says the new
	 * state.  The second only repeats it, and is made durable by the
	 * next fdatasync of the session (the next update's, at the latest,
	 * above, or vhdx_close()'s), not by a flush of its own: a crash
	 * before that leaves it old or torn beside a good first copy. */
	for (int round = 0; round < 2; round++) {
		int slot = 1 - img->cur_header;
		put_le64(h + HDR_SEQUENCE, img->sequence + 1);
		enum vhdx_err r = write_header(img, h, slot, round == 0);
		if (r != VHDX_OK)
			return r;
		if (round == 1) {
			img->header_unsynced = true;
			img->unsynced = true;
		}
		img->cur_header = slot;
		img->sequence++;
		memcpy(img->header, h, VHDX_HEADER_SIZE);
		if (round == 0)
			VHDX_INT_CRASH_POINT("header-half");
	}
	img->other_header_valid = true;
	return VHDX_OK;
}

/*
 * metadata.c - the metadata region (MS-VHDX 2.6): the table, the known
 * system items, and the parent locator of a differencing image.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/utf.h"
#include "vhdx/internal.h"

enum item_kind {
	ITEM_FILE_PARAMETERS,
	ITEM_VIRTUAL_DISK_SIZE,
	ITEM_VIRTUAL_DISK_ID,
	ITEM_LOGICAL_SECTOR_SIZE,
	ITEM_PHYSICAL_SECTOR_SIZE,
	ITEM_PARENT_LOCATOR,
	ITEM_COUNT
};

static const struct {
	struct vhdx_guid guid;
	const char *name;
	uint32_t min_length;
} known_items[ITEM_COUNT] = {
	[ITEM_FILE_PARAMETERS] = { GUID_FILE_PARAMETERS, "file parameters",
				   FP_SIZE },
	[ITEM_VIRTUAL_DISK_SIZE] = { GUID_VIRTUAL_DISK_SIZE,
				     "virtual disk size", 8 },
	[ITEM_VIRTUAL_DISK_ID] = { GUID_VIRTUAL_DISK_ID, "virtual disk ID",
				   16 },
	[ITEM_LOGICAL_SECTOR_SIZE] = { GUID_LOGICAL_SECTOR_SIZE,
				       "logical sector size", 4 },
	[ITEM_PHYSICAL_SECTOR_SIZE] = { GUID_PHYSICAL_SECTOR_SIZE,
					"physical sector size", 4 },
	[ITEM_PARENT_LOCATOR] = { GUID_PARENT_LOCATOR, "parent locator",
				  PL_ENTRIES },
};

struct item {
	uint32_t offset, length;
	bool present;
};

void vhdx_int_free_metadata(struct vhdx_image *img)
{
	for (size_t i = 0; i < img->nlocator; i++) {
		free(img->locator[i].key);
		free(img->locator[i].value);
	}
	free(img->locator);
	img->locator = NULL;
	img->nlocator = 0;
}

static enum vhdx_err read_item(struct vhdx_image *img, const struct item *it,
			       enum item_kind k, uint8_t **buf_ret)
{
	uint8_t *buf = malloc(it->length ? it->length : 1);
	if (buf == NULL)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	enum vhdx_err r = vhdx_int_read(img, buf, it->length,
					img->meta_offset + it->offset,
					known_items[k].name);
	if (r != VHDX_OK) {
		free(buf);
		return r;
	}
	*buf_ret = buf;
	return VHDX_OK;
}

static enum vhdx_err utf16_field(struct vhdx_image *img, const uint8_t *item,
				 uint32_t item_len, uint32_t off, uint16_t len,
				 size_t index, const char *what, char **out)
{
	if (off == 0 || len == 0 || len % 2 != 0 ||
	    !hvo_in_bounds(off, len, item_len))
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"parent locator: entry %zu: %s at %#x, length "
			"%u: outside the item or not UTF-16",
			index, what, off, len);
	if (hvo_int_utf16le_to_utf8(item + off, len, 0, out, NULL) != 0)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	return VHDX_OK;
}

static enum vhdx_err parse_locator(struct vhdx_image *img, const uint8_t *p,
				   uint32_t len)
{
	static const struct vhdx_guid vhdx_type = GUID_LOCATOR_TYPE_VHDX;
	struct vhdx_guid type;
	memcpy(type.b, p + PL_LOCATOR_TYPE, 16);
	if (!vhdx_int_guid_eq(&type, &vhdx_type)) {
		char gs[37];
		vhdx_guid_format(&type, gs);
		return vhdx_int_fail(
			img, VHDX_ERR_UNSUPPORTED,
			"parent locator: type %s is not a VHDX parent", gs);
	}
	uint16_t count = get_le16(p + PL_KEY_VALUE_COUNT);
	if (!hvo_in_bounds(PL_ENTRIES, (uint64_t)count * PLE_SIZE, len))
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"parent locator: %u entries do not fit in the "
			"item (%u bytes)",
			count, len);
	img->locator = calloc(count ? count : 1, sizeof(*img->locator));
	if (img->locator == NULL)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	bool have_linkage = false, have_path = false;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *e = p + PL_ENTRIES + i * PLE_SIZE;
		struct vhdx_int_locator_entry *le = &img->locator[i];
		enum vhdx_err r = utf16_field(
			img, p, len, get_le32(e + PLE_KEY_OFFSET),
			get_le16(e + PLE_KEY_LENGTH), i, "key", &le->key);
		if (r != VHDX_OK)
			return r;
		img->nlocator = i + 1;
		r = utf16_field(img, p, len, get_le32(e + PLE_VALUE_OFFSET),
				get_le16(e + PLE_VALUE_LENGTH), i, "value",
				&le->value);
		if (r != VHDX_OK)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(img->locator[j].key, le->key) == 0)
				return vhdx_int_fail(
					img, VHDX_ERR_CORRUPT,
					"parent locator: key \"%s\" "
					"appears twice",
					le->key);
		if (strcmp(le->key, "parent_linkage") == 0) {
			if (!vhdx_int_guid_parse(le->value,
						 &img->parent_linkage))
				return vhdx_int_fail(
					img, VHDX_ERR_CORRUPT,
					"parent locator: parent_linkage "
					"\"%s\" is not a GUID",
					le->value);
			have_linkage = true;
		} else if (strcmp(le->key, "parent_linkage2") == 0) {
			if (!vhdx_int_guid_parse(le->value,
						 &img->parent_linkage2))
				return vhdx_int_fail(
					img, VHDX_ERR_CORRUPT,
					"parent locator: parent_linkage2 "
					"\"%s\" is not a GUID",
					le->value);
			img->has_linkage2 = true;
		} else if (strcmp(le->key, "relative_path") == 0 ||
			   strcmp(le->key, "volume_path") == 0 ||
			   strcmp(le->key, "absolute_win32_path") == 0) {
			have_path = true;
		}
	}
	if (!have_linkage)
		return vhdx_int_fail(img, VHDX_ERR_CORRUPT,
				     "parent locator: no parent_linkage entry");
	if (!have_path)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"parent locator: no relative_path, volume_path "
			"or absolute_win32_path entry");
	return VHDX_OK;
}

static enum vhdx_err parse_table(struct vhdx_image *img, const uint8_t *t,
				 struct item items[ITEM_COUNT])
{
	if (memcmp(t + MT_SIGNATURE, "metadata", 8) != 0)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"metadata table: no \"metadata\" signature");
	uint16_t count = get_le16(t + MT_ENTRY_COUNT);
	if (count > VHDX_MAX_METADATA_ENTRIES)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"metadata table: %u entries (at most 2047)", count);
	unsigned nuser = 0;
	for (uint16_t i = 0; i < count; i++) {
		const uint8_t *e = t + MT_ENTRIES + (size_t)i * MTE_SIZE;
		struct vhdx_guid id;
		memcpy(id.b, e + MTE_ITEM_ID, 16);
		uint32_t off = get_le32(e + MTE_OFFSET);
		uint32_t len = get_le32(e + MTE_LENGTH);
		uint32_t flags = get_le32(e + MTE_FLAGS);
		bool is_user = flags & MTE_FLAG_IS_USER;
		char gs[37];
		vhdx_guid_format(&id, gs);
		if (is_user && ++nuser > VHDX_MAX_USER_METADATA)
			return vhdx_int_fail(
				img, VHDX_ERR_CORRUPT,
				"metadata table: more than 1024 user "
				"items");
		if (len == 0 ? off != 0
			     : (off < VHDX_METADATA_TABLE_SIZE ||
				len > VHDX_MAX_METADATA_ITEM ||
				!hvo_in_bounds(off, len, img->meta_length)))
			return vhdx_int_fail(
				img, VHDX_ERR_CORRUPT,
				"metadata table: item %s at %#x, length "
				"%#x: outside the metadata region",
				gs, off, len);
		for (uint16_t j = 0; j < i; j++) {
			const uint8_t *o =
				t + MT_ENTRIES + (size_t)j * MTE_SIZE;
			uint32_t ooff = get_le32(o + MTE_OFFSET);
			uint32_t olen = get_le32(o + MTE_LENGTH);
			bool ouser = get_le32(o + MTE_FLAGS) & MTE_FLAG_IS_USER;
			if (memcmp(o + MTE_ITEM_ID, id.b, 16) == 0 &&
			    ouser == is_user)
				return vhdx_int_fail(
					img, VHDX_ERR_CORRUPT,
					"metadata table: item %s listed "
					"twice",
					gs);
			if (len && olen && off < ooff + olen &&
			    ooff < off + len)
				return vhdx_int_fail(img, VHDX_ERR_CORRUPT,
						     "metadata table: item %s "
						     "overlaps another item",
						     gs);
		}
		int k = -1;
		if (!is_user)
			for (int m = 0; m < ITEM_COUNT; m++)
				if (vhdx_int_guid_eq(&id, &known_items[m].guid))
					k = m;
		if (k < 0) {
			if (flags & MTE_FLAG_IS_REQUIRED)
				return vhdx_int_fail(
					img, VHDX_ERR_UNSUPPORTED,
					"metadata table: unknown %s item "
					"%s is marked required",
					is_user ? "user" : "system", gs);
			continue;
		}
		if (len < known_items[k].min_length)
			return vhdx_int_fail(
				img, VHDX_ERR_CORRUPT,
				"metadata: %s item is %u bytes (needs "
				"%u)",
				known_items[k].name, len,
				known_items[k].min_length);
		items[k] = (struct item){ off, len, true };
	}
	return VHDX_OK;
}

static bool is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Reads the small fixed-size items and checks their values (2.6.2). */
static enum vhdx_err parse_values(struct vhdx_image *img,
				  const struct item items[ITEM_COUNT])
{
	static const enum item_kind required[] = { ITEM_FILE_PARAMETERS,
						   ITEM_VIRTUAL_DISK_SIZE,
						   ITEM_LOGICAL_SECTOR_SIZE };
	for (size_t i = 0; i < HVO_ARRAY_SIZE(required); i++)
		if (!items[required[i]].present)
			return vhdx_int_fail(img, VHDX_ERR_CORRUPT,
					     "metadata: no %s item",
					     known_items[required[i]].name);
	uint8_t *b;
	enum vhdx_err r = read_item(img, &items[ITEM_FILE_PARAMETERS],
				    ITEM_FILE_PARAMETERS, &b);
	if (r != VHDX_OK)
		return r;
	img->block_size = get_le32(b + FP_BLOCK_SIZE);
	uint32_t fpflags = get_le32(b + FP_FLAGS);
	free(b);
	img->leave_allocated = fpflags & FP_FLAG_LEAVE_BLOCK_ALLOCATED;
	img->has_parent = fpflags & FP_FLAG_HAS_PARENT;

	r = read_item(img, &items[ITEM_VIRTUAL_DISK_SIZE],
		      ITEM_VIRTUAL_DISK_SIZE, &b);
	if (r != VHDX_OK)
		return r;
	img->virtual_size = get_le64(b);
	free(b);
	r = read_item(img, &items[ITEM_LOGICAL_SECTOR_SIZE],
		      ITEM_LOGICAL_SECTOR_SIZE, &b);
	if (r != VHDX_OK)
		return r;
	img->lss = get_le32(b);
	free(b);
	img->pss = img->lss;
	if (items[ITEM_PHYSICAL_SECTOR_SIZE].present) {
		r = read_item(img, &items[ITEM_PHYSICAL_SECTOR_SIZE],
			      ITEM_PHYSICAL_SECTOR_SIZE, &b);
		if (r != VHDX_OK)
			return r;
		img->pss = get_le32(b);
		free(b);
	}
	if (items[ITEM_VIRTUAL_DISK_ID].present) {
		r = read_item(img, &items[ITEM_VIRTUAL_DISK_ID],
			      ITEM_VIRTUAL_DISK_ID, &b);
		if (r != VHDX_OK)
			return r;
		memcpy(img->disk_id.b, b, 16);
		img->has_disk_id = true;
		free(b);
	}

	if (!is_pow2(img->block_size) ||
	    img->block_size < VHDX_MIN_BLOCK_SIZE ||
	    img->block_size > VHDX_MAX_BLOCK_SIZE)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"metadata: block size %u is not a power of two "
			"from 1 MiB to 256 MiB",
			img->block_size);
	if (img->lss != 512 && img->lss != 4096)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"metadata: logical sector size %u (must be 512 "
			"or 4096)",
			img->lss);
	if (img->pss != 512 && img->pss != 4096)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"metadata: physical sector size %u (must be 512 "
			"or 4096)",
			img->pss);
	if (img->virtual_size == 0 || img->virtual_size % img->lss != 0 ||
	    img->virtual_size > VHDX_MAX_VIRTUAL_SIZE)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"metadata: virtual disk size %llu is not a "
			"non-zero multiple of the %u-byte sector up to "
			"64 TiB",
			(unsigned long long)img->virtual_size, img->lss);
	if (img->has_parent) {
		if (!items[ITEM_PARENT_LOCATOR].present)
			return vhdx_int_fail(
				img, VHDX_ERR_CORRUPT,
				"metadata: differencing image without a "
				"parent locator");
		r = read_item(img, &items[ITEM_PARENT_LOCATOR],
			      ITEM_PARENT_LOCATOR, &b);
		if (r != VHDX_OK)
			return r;
		r = parse_locator(img, b, items[ITEM_PARENT_LOCATOR].length);
		free(b);
		if (r != VHDX_OK)
			return r;
	}

	/* Geometry (2.4, 2.5). */
	img->nblocks =
		(img->virtual_size + img->block_size - 1) / img->block_size;
	img->chunk_ratio = (uint32_t)((VHDX_SECTORS_PER_CHUNK * img->lss) /
				      img->block_size);
	img->nchunks = (img->nblocks + img->chunk_ratio - 1) / img->chunk_ratio;
	img->sectors_per_block = img->block_size / img->lss;
	img->bitmap_bytes_per_block = img->sectors_per_block / 8;
	uint64_t last = img->nblocks - 1;
	uint64_t payload_entries = last + last / img->chunk_ratio + 1;
	uint64_t have = img->bat_length / BAT_ENTRY_SIZE;
	/* 2.5: the region holds at least the last payload block's entry.  A
	 * differencing image also needs the last chunk's sector-bitmap entry,
	 * which follows that chunk's payload entries. */
	if (have < payload_entries)
		return vhdx_int_fail(
			img, VHDX_ERR_CORRUPT,
			"BAT: region of %u bytes holds %llu entries; "
			"%llu blocks need %llu",
			img->bat_length, (unsigned long long)have,
			(unsigned long long)img->nblocks,
			(unsigned long long)payload_entries);
	img->bat_entries = payload_entries;
	if (img->has_parent) {
		uint64_t full = img->nchunks * ((uint64_t)img->chunk_ratio + 1);
		img->bat_entries = full < have ? full : have;
	}
	return VHDX_OK;
}

enum vhdx_err vhdx_int_read_metadata(struct vhdx_image *img)
{
	uint8_t *t = malloc(VHDX_METADATA_TABLE_SIZE);
	if (t == NULL)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	enum vhdx_err r = vhdx_int_read(img, t, VHDX_METADATA_TABLE_SIZE,
					img->meta_offset, "metadata table");
	struct item items[ITEM_COUNT] = { { 0 } };
	if (r == VHDX_OK)
		r = parse_table(img, t, items);
	free(t);
	if (r == VHDX_OK)
		r = parse_values(img, items);
	return r;
}

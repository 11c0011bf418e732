/*
 * ptable.c - MBR and GPT partition tables (see ptable.h for sources),
 * and the first sectors of a disk's volumes that discovery reads with them.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "guest/ptable.h"
#include "util/bytes.h"
#include "util/guid.h"

/* Legacy MBR. */
#define MBR_ENTRIES	  0x1be
#define MBR_ENTRY_SIZE	  16
#define MBR_NENTRIES	  4
#define MBR_SIGNATURE	  0x1fe
#define MBRE_BOOT	  0
#define MBRE_TYPE	  4
#define MBRE_LBA	  8
#define MBRE_SECTORS	  12
#define MBR_TYPE_GPT	  0xee
#define MBR_FIRST_LOGICAL 5

/* GPT header (UEFI 2.10, table 5-5). */
#define GPT_SIGNATURE	    0
#define GPT_HEADER_SIZE	    12
#define GPT_HEADER_CRC	    16
#define GPT_MY_LBA	    24
#define GPT_ALTERNATE_LBA   32
#define GPT_DISK_GUID	    56
#define GPT_FIRST_USABLE    40
#define GPT_LAST_USABLE	    48
#define GPT_ENTRIES_LBA	    72
#define GPT_NENTRIES	    80
#define GPT_ENTRY_SIZE	    84
#define GPT_ENTRIES_CRC	    88
#define GPT_MIN_HEADER_SIZE 92
/* GPT partition entry (table 5-6). */
#define GPTE_TYPE  0
#define GPTE_GUID  16
#define GPTE_FIRST 32
#define GPTE_LAST  40

/*
 * Limits.  The specification requires room for at least 128 entries and
 * Windows writes exactly 128; 4096 entries of 128 bytes (512 KiB) is far
 * beyond any real table.  An entry is 128 * 2^n bytes; we accept up to
 * 4 KiB.  The kernel follows at most a few hundred logical partitions.
 */
#define GPT_MAX_ENTRIES	   4096
#define GPT_MAX_ENTRY_SIZE 4096
#define MAX_LOGICAL	   256

static int fail(char *why, size_t size, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t size, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why != NULL && size > 0)
		vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return err;
}

struct list {
	struct guest_partition *p;
	size_t n, cap;
};

static int add(struct list *l, const struct guest_partition *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct guest_partition *np = realloc(l->p, cap * sizeof(*np));
		if (np == NULL)
			return -1;
		l->p = np;
		l->cap = cap;
	}
	l->p[l->n++] = *p;
	return 0;
}

/* A boot sector of a filesystem that covers the whole disk ends with 0x55aa
 * too; these signatures tell it from an MBR. */
static bool filesystem_boot_sector(const uint8_t *s)
{
	return memcmp(s + 3, "NTFS    ", 8) == 0 ||
	       memcmp(s + 3, "-FVE-FS-", 8) == 0 ||
	       memcmp(s + 3, "EXFAT   ", 8) == 0 ||
	       memcmp(s + 0x36, "FAT", 3) == 0 ||
	       memcmp(s + 0x52, "FAT32", 5) == 0;
}

static bool is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

/* Follows the chain of extended boot records. */
static int read_logical(guest_read_fn rd, void *ctx, uint64_t ext_lba,
			uint64_t ext_sectors, struct list *l, char *why,
			size_t whysize)
{
	uint8_t s[GUEST_PTABLE_SECTOR];
	uint64_t ebr = ext_lba;
	unsigned num = MBR_FIRST_LOGICAL;
	for (int hops = 0;; hops++) {
		if (hops == MAX_LOGICAL)
			return fail(why, whysize, GUEST_PTABLE_CORRUPT,
				    "extended partition chain longer than %d "
				    "(a loop?)",
				    MAX_LOGICAL);
		if (rd(ctx, ebr * GUEST_PTABLE_SECTOR, sizeof(s), s) != 0)
			return fail(why, whysize, GUEST_PTABLE_IO,
				    "cannot read the extended boot record at "
				    "sector %llu",
				    (unsigned long long)ebr);
		if (s[MBR_SIGNATURE] != 0x55 || s[MBR_SIGNATURE + 1] != 0xaa)
			return fail(why, whysize, GUEST_PTABLE_CORRUPT,
				    "extended boot record at sector %llu has "
				    "no 0x55aa signature",
				    (unsigned long long)ebr);
		const uint8_t *e0 = s + MBR_ENTRIES;
		const uint8_t *e1 = e0 + MBR_ENTRY_SIZE;
		uint32_t lba0 = get_le32(e0 + MBRE_LBA);
		uint32_t n0 = get_le32(e0 + MBRE_SECTORS);
		if (e0[MBRE_TYPE] != 0 && n0 != 0) {
			uint64_t start = ebr + lba0;
			if (start < ext_lba ||
			    start + n0 > ext_lba + ext_sectors)
				return fail(why, whysize, GUEST_PTABLE_CORRUPT,
					    "logical partition %u lies "
					    "outside its extended partition",
					    num);
			struct guest_partition p = {
				.partnum = num,
				.start = start * GUEST_PTABLE_SECTOR,
				.size = (uint64_t)n0 * GUEST_PTABLE_SECTOR,
				.mbr_id = e0[MBRE_TYPE],
			};
			if (add(l, &p) != 0)
				return fail(why, whysize, GUEST_PTABLE_IO,
					    "out of memory");
		}
		num++;
		uint32_t next = get_le32(e1 + MBRE_LBA);
		if (!is_extended(e1[MBRE_TYPE]) || next == 0 ||
		    get_le32(e1 + MBRE_SECTORS) == 0)
			return GUEST_PTABLE_OK;
		if (next >= ext_sectors)
			return fail(why, whysize, GUEST_PTABLE_CORRUPT,
				    "extended boot record link past the "
				    "extended partition");
		ebr = ext_lba + next;
	}
}

static int read_mbr(guest_read_fn rd, void *ctx, const uint8_t *s,
		    uint64_t disk_sectors, struct list *l, char *why,
		    size_t whysize)
{
	for (int i = 0; i < MBR_NENTRIES; i++) {
		const uint8_t *e = s + MBR_ENTRIES + i * MBR_ENTRY_SIZE;
		uint8_t type = e[MBRE_TYPE];
		uint32_t lba = get_le32(e + MBRE_LBA);
		uint32_t n = get_le32(e + MBRE_SECTORS);
		if (type == 0 || n == 0)
			continue;
		if (lba == 0 || (uint64_t)lba + n > disk_sectors)
			return fail(why, whysize, GUEST_PTABLE_CORRUPT,
				    "MBR partition %d (sectors %u+%u) lies "
				    "outside the disk (%llu sectors)",
				    i + 1, lba, n,
				    (unsigned long long)disk_sectors);
		if (is_extended(type)) {
			int r = read_logical(rd, ctx, lba, n, l, why, whysize);
			if (r != GUEST_PTABLE_OK)
				return r;
			continue;
		}
		struct guest_partition p = {
			.partnum = (unsigned)i + 1,
			.start = (uint64_t)lba * GUEST_PTABLE_SECTOR,
			.size = (uint64_t)n * GUEST_PTABLE_SECTOR,
			.mbr_id = type,
		};
		if (add(l, &p) != 0)
			return fail(why, whysize, GUEST_PTABLE_IO,
				    "out of memory");
	}
	return GUEST_PTABLE_OK;
}

static uint32_t crc32_of(const uint8_t *p, size_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)len);
}

/* Reads and checks the GPT header at @lba and its entry array; fills @l
 * and @disk_guid. */
static int read_gpt_at(guest_read_fn rd, void *ctx, uint64_t lba,
		       uint64_t disk_sectors, struct list *l, char *disk_guid,
		       char *why, size_t whysize)
{
	uint8_t h[GUEST_PTABLE_SECTOR];
	if (rd(ctx, lba * GUEST_PTABLE_SECTOR, sizeof(h), h) != 0)
		return fail(why, whysize, GUEST_PTABLE_IO,
			    "cannot read the GPT header at sector %llu",
			    (unsigned long long)lba);
	if (memcmp(h + GPT_SIGNATURE, "EFI PART", 8) != 0)
		return fail(why, whysize, GUEST_PTABLE_CORRUPT,
			    "no GPT header at sector %llu",
			    (unsigned long long)lba);
	uint32_t hsize = get_le32(h + GPT_HEADER_SIZE);
	if (hsize < GPT_MIN_HEADER_SIZE || hsize > sizeof(h))
		return fail(why, whysize, GUEST_PTABLE_CORRUPT,
			    "GPT header size %u is impossible", hsize);
	uint32_t want = get_le32(h + GPT_HEADER_CRC);
	put_le32(h + GPT_HEADER_CRC, 0);
	if (crc32_of(h, hsize) != want)
		return fail(why, whysize, GUEST_PTABLE_CORRUPT,
			    "GPT header at sector %llu: CRC32 mismatch",
			    (unsigned long long)lba);
	uint64_t my_lba = get_le64(h + GPT_MY_LBA);
	uint64_t first = get_le64(h + GPT_FIRST_USABLE);
	uint64_t last = get_le64(h + GPT_LAST_USABLE);
	uint64_t entries_lba = get_le64(h + GPT_ENTRIES_LBA);
	uint32_t nentries = get_le32(h + GPT_NENTRIES);
	uint32_t esize = get_le32(h + GPT_ENTRY_SIZE);
	if (my_lba != lba || first > last || last >= disk_sectors)
		return fail(why, whysize, GUEST_PTABLE_CORRUPT,
			    "GPT header at sector %llu: impossible LBAs",
			    (unsigned long long)lba);
	if (nentries == 0 || nentries > GPT_MAX_ENTRIES || esize < 128 ||
	    esize > GPT_MAX_ENTRY_SIZE || esize % 128 != 0)
		return fail(why, whysize, GUEST_PTABLE_CORRUPT,
			    "GPT: %u entries of %u bytes is impossible",
			    nentries, esize);
	size_t bytes = (size_t)nentries * esize;
	if (entries_lba >= disk_sectors ||
	    !hvo_in_bounds(entries_lba * GUEST_PTABLE_SECTOR, bytes,
			   disk_sectors * GUEST_PTABLE_SECTOR))
		return fail(why, whysize, GUEST_PTABLE_CORRUPT,
			    "GPT entry array lies outside the disk");
	hvo_int_guid_format(h + GPT_DISK_GUID, true, disk_guid);
	uint8_t *a = malloc(bytes);
	if (a == NULL)
		return fail(why, whysize, GUEST_PTABLE_IO, "out of memory");
	int r = GUEST_PTABLE_OK;
	if (rd(ctx, entries_lba * GUEST_PTABLE_SECTOR, bytes, a) != 0)
		r = fail(why, whysize, GUEST_PTABLE_IO,
			 "cannot read the GPT entry array");
	else if (crc32_of(a, bytes) != get_le32(h + GPT_ENTRIES_CRC))
		r = fail(why, whysize, GUEST_PTABLE_CORRUPT,
			 "GPT entry array: CRC32 mismatch");
	static const uint8_t zero[16];
	for (uint32_t i = 0; i < nentries && r == GUEST_PTABLE_OK; i++) {
		const uint8_t *e = a + (size_t)i * esize;
		if (memcmp(e + GPTE_TYPE, zero, 16) == 0)
			continue;
		uint64_t s = get_le64(e + GPTE_FIRST);
		uint64_t t = get_le64(e + GPTE_LAST);
		if (s > t || s < first || t > last) {
			r = fail(why, whysize, GUEST_PTABLE_CORRUPT,
				 "GPT partition %u (sectors %llu-%llu) lies "
				 "outside the usable area",
				 i + 1, (unsigned long long)s,
				 (unsigned long long)t);
			break;
		}
		struct guest_partition p = {
			.partnum = i + 1,
			.start = s * GUEST_PTABLE_SECTOR,
			.size = (t - s + 1) * GUEST_PTABLE_SECTOR,
		};
		hvo_int_guid_format(e + GPTE_TYPE, true, p.gpt_type);
		hvo_int_guid_format(e + GPTE_GUID, true, p.gpt_guid);
		if (add(l, &p) != 0)
			r = fail(why, whysize, GUEST_PTABLE_IO,
				 "out of memory");
	}
	free(a);
	return r;
}

int guest_ptable_read(guest_read_fn rd, void *ctx, uint64_t disk_size,
		      enum guest_ptable *type,
		      struct guest_partition **parts_ret, size_t *n_ret,
		      char *why, size_t whysize)
{
	return guest_ptable_read_ids(rd, ctx, disk_size, type, parts_ret, n_ret,
				     NULL, why, whysize);
}

int guest_ptable_read_ids(guest_read_fn rd, void *ctx, uint64_t disk_size,
			  enum guest_ptable *type,
			  struct guest_partition **parts_ret, size_t *n_ret,
			  char *disk_guid, char *why, size_t whysize)
{
	char guid[GUEST_PTABLE_GUID_SIZE] = "";
	if (disk_guid != NULL)
		disk_guid[0] = '\0';
	*type = GUEST_PTABLE_NONE;
	*parts_ret = NULL;
	*n_ret = 0;
	uint64_t sectors = disk_size / GUEST_PTABLE_SECTOR;
	if (sectors < 2)
		return GUEST_PTABLE_OK;
	uint8_t s[GUEST_PTABLE_SECTOR];
	if (rd(ctx, 0, sizeof(s), s) != 0)
		return fail(why, whysize, GUEST_PTABLE_IO,
			    "cannot read sector 0");
	if (s[MBR_SIGNATURE] != 0x55 || s[MBR_SIGNATURE + 1] != 0xaa ||
	    filesystem_boot_sector(s))
		return GUEST_PTABLE_OK;
	bool protective = false;
	for (int i = 0; i < MBR_NENTRIES; i++) {
		const uint8_t *e = s + MBR_ENTRIES + i * MBR_ENTRY_SIZE;
		if (e[MBRE_BOOT] != 0 && e[MBRE_BOOT] != 0x80)
			return GUEST_PTABLE_OK; /* not an MBR */
		if (e[MBRE_TYPE] == MBR_TYPE_GPT)
			protective = true;
	}
	struct list l = { 0 };
	int r;
	if (protective) {
		*type = GUEST_PTABLE_GPT;
		r = read_gpt_at(rd, ctx, 1, sectors, &l, guid, why, whysize);
		if (r == GUEST_PTABLE_CORRUPT) {
			/* The backup header at the last sector. */
			char why2[160];
			l.n = 0;
			if (read_gpt_at(rd, ctx, sectors - 1, sectors, &l, guid,
					why2, sizeof(why2)) == GUEST_PTABLE_OK)
				r = GUEST_PTABLE_OK;
		}
	} else {
		*type = GUEST_PTABLE_MBR;
		r = read_mbr(rd, ctx, s, sectors, &l, why, whysize);
	}
	if (r != GUEST_PTABLE_OK) {
		free(l.p);
		return r;
	}
	*parts_ret = l.p;
	*n_ret = l.n;
	if (disk_guid != NULL && *type == GUEST_PTABLE_GPT)
		snprintf(disk_guid, GUEST_PTABLE_GUID_SIZE, "%s", guid);
	return GUEST_PTABLE_OK;
}

/*
 * The table reader counts 512-byte sectors.  A disk of larger logical
 * sectors is shown to it as a disk of 512-byte "sectors", each the first
 * 512 bytes of a real one: every read it makes starts on one of its
 * sectors and runs on contiguously (the GPT entry array), so LBA * 512 + k
 * is real byte LBA * sector + k.
 */
struct sector_view {
	guest_read_fn rd;
	void *ctx;
	uint64_t ratio; /* logical sector / 512 */
};

static int read_view(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	const struct sector_view *v = ctx;
	uint64_t lba = off / GUEST_PTABLE_SECTOR;
	return v->rd(v->ctx,
		     lba * v->ratio * GUEST_PTABLE_SECTOR +
			     off % GUEST_PTABLE_SECTOR,
		     len, buf);
}

int guest_disk_head_read(guest_read_fn rd, void *ctx, uint64_t disk_size,
			 struct guest_disk_head *h)
{
	return guest_disk_head_read_sectors(rd, ctx, disk_size,
					    GUEST_PTABLE_SECTOR, h);
}

int guest_disk_head_read_sectors(guest_read_fn rd, void *ctx,
				 uint64_t disk_size, uint32_t sector,
				 struct guest_disk_head *h)
{
	memset(h, 0, sizeof(*h));
	h->size = disk_size;
	struct sector_view view = { rd, ctx, 1 };
	if (sector > GUEST_PTABLE_SECTOR)
		view.ratio = sector / GUEST_PTABLE_SECTOR;
	h->result = guest_ptable_read_ids(
		read_view, &view, disk_size / view.ratio, &h->type, &h->parts,
		&h->nparts, h->disk_guid, h->why, sizeof(h->why));
	if (h->result != GUEST_PTABLE_OK)
		return GUEST_OK;
	for (size_t i = 0; i < h->nparts; i++) {
		h->parts[i].start *= view.ratio;
		h->parts[i].size *= view.ratio;
	}
	if (h->type == GUEST_PTABLE_NONE) {
		free(h->parts);
		h->parts = calloc(1, sizeof(*h->parts));
		if (h->parts == NULL)
			return GUEST_E_NOMEM;
		h->parts[0].size = disk_size;
		h->nparts = 1;
	}
	h->vols = calloc(h->nparts, sizeof(*h->vols));
	if (h->vols == NULL) {
		guest_disk_head_free(h);
		return GUEST_E_NOMEM;
	}
	for (size_t i = 0; i < h->nparts; i++) {
		const struct guest_partition *p = &h->parts[i];
		struct guest_vol_head *v = &h->vols[i];
		if (strcmp(p->gpt_type, GUEST_GPT_TYPE_MSR) == 0 ||
		    p->size < GUEST_VOL_BOOT_SIZE ||
		    rd(ctx, p->start, GUEST_VOL_BOOT_SIZE, v->boot) != 0)
			continue;
		v->boot_len = GUEST_VOL_BOOT_SIZE;
		struct guest_ntfs_geometry geo;
		char why[128];
		if (guest_ntfs_parse_boot(v->boot, v->boot_len, &geo, why,
					  sizeof(why)) != GUEST_VOL_OK)
			continue;
		uint64_t off = geo.volrec_offset;
		if (off > p->size || geo.record_size > p->size - off)
			continue;
		v->rec = malloc(geo.record_size);
		if (v->rec == NULL) {
			guest_disk_head_free(h);
			return GUEST_E_NOMEM;
		}
		if (rd(ctx, p->start + off, geo.record_size, v->rec) != 0) {
			free(v->rec);
			v->rec = NULL;
			continue;
		}
		v->rec_len = geo.record_size;
		v->rec_off = off;
	}
	return GUEST_OK;
}

void guest_disk_head_free(struct guest_disk_head *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; h->vols != NULL && i < h->nparts; i++)
		free(h->vols[i].rec);
	free(h->parts);
	free(h->vols);
	h->parts = NULL;
	h->vols = NULL;
	h->nparts = 0;
}

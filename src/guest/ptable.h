/*
 * ptable.h - MBR and GPT partition tables, read natively, and the disk
 * "head" discovery reads with them (guest_disk_head_read).
 *
 * Discovery needs each partition's number, extent and type (MBR type byte
 * or GPT type GUID) to find the EFI system partition and to skip extended
 * containers; inspection needs a GPT partition's unique GUID (and the
 * disk's) to find the guest's drive letter in SYSTEM\MountedDevices, which
 * names a GPT volume "DMIO:ID:" and that GUID.  Reading them from the raw sectors costs one read, where the
 * appliance's parted/sfdisk cost a process per partition (seconds under
 * TCG).  Numbering follows the kernel's (and parted's): MBR primary slots
 * are 1 to 4 whatever is empty, logical partitions 5 and up in chain order;
 * GPT partition N is entry N-1.
 *
 * Sources: UEFI Specification 2.10, section 5.2 "LBA 0 Format" (legacy and
 * protective MBR) and 5.3 "GUID Partition Table (GPT) Disk Layout" (header
 * fields, CRC32 of header and entry array, backup header at the last LBA);
 * the extended-partition chain as the Linux kernel reads it
 * (block/partitions/msdos.c: each EBR's first entry is a logical
 * partition relative to that EBR, the second links to the next EBR relative
 * to the start of the extended partition).
 */
#ifndef HVO_GUEST_PTABLE_H
#define HVO_GUEST_PTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"
#include "guest/volume.h"

/* Sector size assumed for the tables: qemu presents 512-byte logical
 * sectors, and VHDX images with 4 KiB logical sectors are not opened by
 * the appliance (ARCHITECTURE.md). */
#define GUEST_PTABLE_SECTOR 512

enum guest_ptable_error {
	GUEST_PTABLE_OK = 0,
	GUEST_PTABLE_CORRUPT = 1, /* a table whose fields are impossible */
	GUEST_PTABLE_IO = 2,	  /* the read callback failed */
};

struct guest_partition {
	unsigned partnum;
	uint64_t start, size; /* bytes */
	uint8_t mbr_id;	      /* MBR type; 0 on GPT */
	char gpt_type[40];    /* GPT type GUID, upper case; "" on MBR */
	/* The entry's unique partition GUID (UEFI table 5-6, offset 16),
	 * upper case; "" on MBR. */
	char gpt_guid[40];
};

/* Reads @len bytes at @off of the disk into @buf; returns 0, or -1. */
typedef int (*guest_read_fn)(void *ctx, uint64_t off, size_t len, uint8_t *buf);

/*
 * Reads the partition table of a disk of @disk_size bytes.  On success
 * *@type is NONE (no table: a whole-disk filesystem or an empty disk), MBR
 * or GPT, and *@parts_ret (caller frees) holds *@n_ret partitions, without
 * extended containers.  Returns a guest_ptable_error; @why says what was
 * wrong.
 */
int guest_ptable_read(guest_read_fn rd, void *ctx, uint64_t disk_size,
		      enum guest_ptable *type,
		      struct guest_partition **parts_ret, size_t *n_ret,
		      char *why, size_t whysize);
/* The same, and the GPT header's disk GUID (upper case; "" on MBR or no
 * table) into @disk_guid, GUEST_PTABLE_GUID_SIZE bytes, unless NULL. */
int guest_ptable_read_ids(guest_read_fn rd, void *ctx, uint64_t disk_size,
			  enum guest_ptable *type,
			  struct guest_partition **parts_ret, size_t *n_ret,
			  char *disk_guid, char *why, size_t whysize);
#define GUEST_PTABLE_GUID_SIZE 40

/*
 * What discovery and inspection read from a disk's raw sectors: the
 * partition table, the first GUEST_VOL_BOOT_SIZE bytes of every volume
 * (none of a Microsoft reserved partition, which holds no filesystem) and
 * the $Volume record of every NTFS volume.  The appliance reads it at
 * launch, one round trip per read; a caller that can read the image itself
 * reads it on the host beforehand (guest_session_set_head).
 */
struct guest_vol_head {
	uint8_t boot[GUEST_VOL_BOOT_SIZE];
	size_t boot_len; /* GUEST_VOL_BOOT_SIZE, or 0: not read */
	/* The $Volume MFT record (guest_ntfs_parse_volume_record) of an
	 * NTFS volume, at rec_off in the volume; NULL if not read. */
	uint8_t *rec;
	size_t rec_len;
	uint64_t rec_off;
};

struct guest_disk_head {
	uint64_t size;		/* the disk's size, as given to the read */
	int result;		/* guest_ptable_error */
	enum guest_ptable type; /* when result is GUEST_PTABLE_OK */
	char disk_guid[40];	/* GPT: the header's disk GUID; else "" */
	char why[160];		/* when it is not */
	/* The volumes: the partitions, or, when type is NONE, one entry for
	 * the whole disk (partnum 0). */
	struct guest_partition *parts;
	struct guest_vol_head *vols; /* one per volume */
	size_t nparts;
};

/*
 * Reads @h from a disk of @disk_size bytes through @rd.  A partition
 * table that cannot be read is reported in @h (result, why), and a boot
 * sector or record that cannot be read is left out.  Returns GUEST_OK, or
 * GUEST_E_NOMEM.  Free with guest_disk_head_free().
 */
int guest_disk_head_read(guest_read_fn rd, void *ctx, uint64_t disk_size,
			 struct guest_disk_head *h);
/* The same on a disk of @sector-byte logical sectors (512 or 4096): the
 * LBAs of its MBR and GPT count @sector-byte units. */
int guest_disk_head_read_sectors(guest_read_fn rd, void *ctx,
				 uint64_t disk_size, uint32_t sector,
				 struct guest_disk_head *h);
void guest_disk_head_free(struct guest_disk_head *h);

#endif /* HVO_GUEST_PTABLE_H */

/*
 * volume.h - raw-volume safety probes: BitLocker, NTFS unclean state,
 * hibernation.
 *
 * Before anything is mounted, inspection reads the first sector of every
 * volume and, for NTFS, the $Volume record of the MFT, and classifies the
 * first bytes of hiberfil.sys.  These are pure parsers of bytes the caller
 * read from the guest (through the appliance); they never mount or write.
 *
 * Sources: NTFS boot sector and MFT record layout as documented by the
 * Linux-NTFS project ("NTFS Documentation", Richard Russon and Yuval Fledel:
 * "Boot sector", "FILE record", "$Volume", "$VOLUME_INFORMATION") and by
 * ntfs-3g's layout.h; BitLocker's "-FVE-FS-" OEM identifier (libbde's
 * "BitLocker Drive Encryption (BDE) format", section "Volume header");
 * hibernation file signatures from ntfs-3g (volume.c,
 * ntfs_volume_check_hiberfile: "hibr"/"HIBR" refuse a read-write mount) and
 * from the hibernation file format notes of Matthieu Suiche (Sandman:
 * "hibr" hibernated, "wake" resumed, "RSTR" restore in progress, "link"
 * a hibernation image on another volume).
 */
#ifndef HVO_GUEST_VOLUME_H
#define HVO_GUEST_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum guest_vol_error {
	GUEST_VOL_OK = 0,
	GUEST_VOL_NOT_NTFS = 1, /* no NTFS boot sector */
	GUEST_VOL_CORRUPT = 2,	/* NTFS, but a field is impossible */
};

/* Bytes of a volume the probes need first: its boot sector. */
#define GUEST_VOL_BOOT_SIZE 512

/* What the boot sector says about the volume's layout. */
struct guest_ntfs_geometry {
	uint32_t sector_size;	/* bytes per sector */
	uint32_t cluster_size;	/* bytes per cluster */
	uint32_t record_size;	/* bytes per MFT record */
	uint64_t volume_size;	/* bytes, from the total sector count */
	uint64_t mft_offset;	/* byte offset of MFT record 0 */
	uint64_t volrec_offset; /* byte offset of the $Volume record */
};

/* MFT record number of $Volume (fixed by the format). */
#define GUEST_NTFS_VOLUME_RECORD 3

/* $VOLUME_INFORMATION flags. */
#define GUEST_NTFS_VOLUME_DIRTY		  0x0001
#define GUEST_NTFS_VOLUME_CHKDSK_UNDERWAY 0x4000
#define GUEST_NTFS_VOLUME_MODIFIED_CHKDSK 0x8000

struct guest_ntfs_volinfo {
	uint8_t major, minor; /* NTFS version, e.g. 3.1 */
	uint16_t flags;	      /* GUEST_NTFS_VOLUME_* */
	char label[128];      /* UTF-8, "" when none */
};

/* Whether a boot sector carries BitLocker's "-FVE-FS-" signature. */
bool guest_vol_is_bitlocker(const uint8_t *boot, size_t len);

/* Whether a boot sector is a FAT12, FAT16 or FAT32 one (blkid's "vfat"). */
bool guest_vol_is_fat(const uint8_t *boot, size_t len);

/*
 * Parses an NTFS boot sector.  Returns GUEST_VOL_OK, GUEST_VOL_NOT_NTFS or
 * GUEST_VOL_CORRUPT; @why (if not NULL) receives a reason.
 */
int guest_ntfs_parse_boot(const uint8_t *boot, size_t len,
			  struct guest_ntfs_geometry *geo, char *why,
			  size_t whysize);

/*
 * Parses the $Volume MFT record (@rec, @len = geo->record_size bytes read
 * from geo->mft_offset + 3 * record_size).  The update-sequence fixups are
 * applied to @rec in place.  Returns GUEST_VOL_OK or GUEST_VOL_CORRUPT.
 */
int guest_ntfs_parse_volume_record(uint8_t *rec, size_t len,
				   struct guest_ntfs_volinfo *vi, char *why,
				   size_t whysize);

/* State of a hiberfil.sys, from its first bytes. */
enum guest_hiber_state {
	GUEST_HIBER_NONE = 0,	/* no signature: zeroed, never used */
	GUEST_HIBER_HIBERNATED, /* "hibr"/"HIBR": a saved session (also the
				   Fast Startup kernel session) */
	GUEST_HIBER_RESTORING,	/* "RSTR"/"rstr": resume in progress */
	GUEST_HIBER_LINK,	/* "link"/"LINK": image on another volume */
	GUEST_HIBER_RESUMED,	/* "wake"/"WAKE": stale after a resume */
	GUEST_HIBER_UNKNOWN,	/* another signature */
};

/* Bytes of hiberfil.sys the classification reads. */
#define GUEST_HIBER_HEADER_SIZE 4096

/*
 * Classifies the first bytes of hiberfil.sys.  @sig (5 bytes) receives the
 * first four bytes as printable ASCII ('.' for others).  A file shorter
 * than the header cannot be a resumable image; it is reported as
 * GUEST_HIBER_NONE unless its first bytes carry a signature.
 */
enum guest_hiber_state guest_hiber_classify(const uint8_t *hdr, size_t len,
					    char sig[5]);

/* Whether a hibernation state means the volume holds a session that a
 * resume would bring back (so writing to the volume is unsafe). */
bool guest_hiber_unsafe(enum guest_hiber_state s);

/* "none", "hibernated", "restoring", "link", "resumed", "unknown". */
const char *guest_hiber_name(enum guest_hiber_state s);

#endif /* HVO_GUEST_VOLUME_H */

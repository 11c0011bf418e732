/*
 * lvm.h - LVM2 volume groups read from the physical volumes of one disk:
 * pure parsers of bytes the caller read (no I/O of their own but through
 * a read callback), and the map from a logical volume's bytes to the
 * disk's.
 *
 *   lvm.c         the PV label, the metadata area header, reading a PV's
 *                 current metadata text, the extent map of an LV
 *   lvm_config.c  LVM's text format (the "config tree"): a bounded parser
 *   lvm_vg.c      the VG of a metadata text: its PVs and LVs, with their
 *                 segments; what can be read and why not
 *
 * Sources: the LVM2 source tree, lib/format_text/layout.h (struct
 * label_header, pv_header, disk_locn, mda_header, raw_locn; the magic
 * " LVM2 x[5A%r0N*>"; MDA_HEADER_SIZE 512; INITIAL_CRC 0xf597a6cf),
 * lib/label/label.c (the label is in one of the first four 512-byte
 * sectors, its CRC covers the sector from offset_xl to its end),
 * lib/format_text/format-text.c (the current metadata is raw_locns[0];
 * text that runs past the end of the area continues after the header),
 * lib/misc/crc.c (CRC-32 with the reflected polynomial 0xedb88320, no
 * final inversion), lib/config/config.c (the text grammar),
 * lib/format_text/import_vsn1.c (sections and keys of a VG: extent_size,
 * physical_volumes, logical_volumes, segmentN, stripes = [ "pv0", pe ]),
 * and lib/metadata/segtype.h (segment types).  The VG metadata format is
 * also described in lvm(8)'s companion vgcfgbackup(8) files.
 */
#ifndef HVO_GUEST_LVM_H
#define HVO_GUEST_LVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lvm_err {
	LVM_OK = 0,
	LVM_E_NOT = 1,	       /* no LVM2 label: not a physical volume */
	LVM_E_CORRUPT = 2,     /* a field or the text is impossible */
	LVM_E_UNSUPPORTED = 3, /* valid, but not something we read */
	LVM_E_NOMEM = 4,
	LVM_E_IO = 5, /* the read callback failed */
};

/* "ok", "not LVM", "corrupt", ... */
const char *lvm_strerror(int err);

/* LVM counts sectors of 512 bytes whatever the disk's sector size
 * (SECTOR_SHIFT 9 in lib/device/dev-io.h). */
#define LVM_SECTOR 512u
/* The label is in one of sectors 0-3 (LABEL_SCAN_SECTORS). */
#define LVM_LABEL_SCAN_SECTORS 4u
#define LVM_LABEL_SCAN_SIZE    (LVM_LABEL_SCAN_SECTORS * LVM_SECTOR)
/* A UUID as LVM stores it: 32 characters, no dashes (ID_LEN). */
#define LVM_ID_LEN 32
/* VG and LV names: at most 127 characters (NAME_LEN 128). */
#define LVM_NAME_MAX 128
/* Data and metadata areas a pv_header lists: pvcreate makes one data
 * area and at most two metadata areas; more is not a real PV. */
#define LVM_MAX_AREAS 8
/* The header at the start of a metadata area (MDA_HEADER_SIZE). */
#define LVM_MDA_HEADER_SIZE 512u
/* The largest metadata text read: the default metadata area is 1 MiB
 * and a VG's text of a few thousand LVs stays under 4 MiB. */
#define LVM_META_MAX (16u * 1024 * 1024)
/* Bounds of a VG: lvm2 allows more, no real guest disk has them. */
#define LVM_MAX_PVS	 256
#define LVM_MAX_LVS	 4096
#define LVM_MAX_SEGMENTS 4096 /* of one LV */
#define LVM_MAX_STRIPES	 128  /* lvm2's MAX_STRIPES */

/* A data or metadata area of a PV: bytes from the PV's start; size 0
 * for a data area means "to the end of the PV". */
struct lvm_area {
	uint64_t offset, size;
};

struct lvm_label {
	uint64_t sector; /* where it was found: 0-3 */
	char pv_uuid[LVM_ID_LEN + 1];
	uint64_t device_size; /* bytes, as the PV header records it */
	size_t ndata, nmeta;
	struct lvm_area data[LVM_MAX_AREAS];
	struct lvm_area meta[LVM_MAX_AREAS];
};

/*
 * Parses the PV label in the first LVM_LABEL_SCAN_SIZE bytes of a volume
 * (@buf, @len; fewer bytes are scanned as far as they go): "LABELONE",
 * the sector number and CRC, type "LVM2 001", and the pv_header (UUID,
 * device size, the data and metadata area lists).  LVM_E_NOT when no
 * sector holds a label, LVM_E_CORRUPT with @why when one is damaged.
 */
int lvm_label_parse(const uint8_t *buf, size_t len, struct lvm_label *out,
		    char *why, size_t whysize);

/* Where the current metadata text is in a metadata area. */
struct lvm_text_loc {
	uint64_t offset; /* from the area's start */
	uint64_t size;	 /* bytes of text */
	uint32_t checksum;
	bool ignored; /* RAW_LOCN_IGNORED: this copy is not kept */
};

/*
 * Parses a metadata area's header (@hdr, LVM_MDA_HEADER_SIZE bytes read
 * at @area->offset of the PV): checksum, magic, version 1, start equal
 * to the area's offset, size, and the first raw_locn.  *@empty is set
 * when the area holds no metadata (a PV not in a VG).
 */
int lvm_mda_parse(const uint8_t *hdr, size_t len, const struct lvm_area *area,
		  struct lvm_text_loc *loc, bool *empty, char *why,
		  size_t whysize);

/* Reads @len bytes at @off of the PV (from its first byte); 0 or -1. */
typedef int (*lvm_read_fn)(void *ctx, uint64_t off, size_t len, uint8_t *buf);

/*
 * Reads a PV of @pv_size bytes through @rd: its label and the current
 * metadata text of its first usable metadata area (checksum verified;
 * text that wraps past the area's end continues after its header).
 * *@text_ret (caller frees, NUL-terminated, *@len_ret bytes) is NULL
 * when the PV keeps no metadata (pvcreate --metadatacopies 0, or a PV
 * in no VG).
 */
int lvm_pv_read(lvm_read_fn rd, void *ctx, uint64_t pv_size,
		struct lvm_label *label, char **text_ret, size_t *len_ret,
		char *why, size_t whysize);

/* ------------------------------------------------------------------ */
/* The volume group (lvm_vg.c).                                        */
/* ------------------------------------------------------------------ */

struct lvm_pv {
	char name[LVM_NAME_MAX];     /* "pv0": how segments name it */
	char uuid[LVM_ID_LEN + 1];   /* without dashes */
	char device[LVM_NAME_MAX];   /* its device hint ("/dev/sda2") */
	uint64_t pe_start, pe_count; /* sectors; extents */
	bool missing;		     /* flagged MISSING in the metadata */
	/* Set by the caller: the PV is on this disk at these bytes. */
	bool found;
	uint64_t disk_start, disk_size;
};

struct lvm_stripe {
	size_t pv; /* index into the VG's pvs */
	uint64_t pe;
};

struct lvm_segment {
	uint64_t start_extent, extent_count;
	char type[32];	       /* "striped", "linear", "thin", ... */
	uint32_t stripe_count; /* striped/linear: its stripes */
	uint64_t stripe_size;  /* sectors (stripe_count > 1) */
	struct lvm_stripe *stripes;
	char cow_store[LVM_NAME_MAX]; /* a snapshot segment's LVs */
	char origin[LVM_NAME_MAX];
};

struct lvm_lv {
	char name[LVM_NAME_MAX];
	bool visible; /* "VISIBLE" in status: not an internal LV */
	uint64_t extents;
	size_t nsegs;
	struct lvm_segment *segs;
	/* What lvm_vg_check() found: "linear", "striped", or the type that
	 * is not read ("thin", "thin-pool", "snapshot", "raid1", "mirror",
	 * "cache", ...); readable, or the reason in @problem. */
	char kind[32];
	bool readable;
	char problem[192];
};

struct lvm_vg {
	char name[LVM_NAME_MAX];
	char uuid[LVM_ID_LEN + 1];
	uint64_t seqno;
	uint64_t extent_size; /* sectors */
	size_t npvs, nlvs;
	struct lvm_pv *pvs;
	struct lvm_lv *lvs;
};

/*
 * Parses a VG's metadata text (@len bytes; what lvm_pv_read() returns)
 * into *@vg_ret (free with lvm_vg_free()).  Names are checked as lvm2
 * checks them ([A-Za-z0-9+_.-], not "." or "..", no leading '-'), extent
 * counts and stripe areas against the PVs' sizes.  LVM_E_CORRUPT with
 * @why when the text is not a VG's metadata.
 */
int lvm_vg_parse(const char *text, size_t len, struct lvm_vg **vg_ret,
		 char *why, size_t whysize);
void lvm_vg_free(struct lvm_vg *vg);

/*
 * Decides, once the caller has marked the PVs it found on the disk
 * (found, disk_start, disk_size), which LVs can be read: every segment
 * linear or striped, on PVs that are there, inside their data areas,
 * covering the LV without a gap, and the LV not a snapshot's exception
 * store.  Sets kind, readable and problem of every LV.
 */
void lvm_vg_check(struct lvm_vg *vg);

/* An LV's size in bytes. */
uint64_t lvm_lv_size(const struct lvm_vg *vg, const struct lvm_lv *lv);

/*
 * Where byte @off of readable LV @lv is on the disk: *@disk_off, and how
 * many bytes from there are contiguous on the disk (*@contig, at least
 * 1).  LVM_E_CORRUPT when @off is past the LV's end.
 */
int lvm_lv_map(const struct lvm_vg *vg, const struct lvm_lv *lv, uint64_t off,
	       uint64_t *disk_off, uint64_t *contig);

/* The device-mapper name of an LV: VG-LV with each '-' of either name
 * doubled (lvm2's dm_build_dm_name), so that /dev/mapper/<it> can be
 * matched.  Truncated to @size. */
void lvm_dm_name(const char *vg, const char *lv, char *out, size_t size);

/* Whether @s is a valid VG or LV name (lvm2's validate_name()). */
bool lvm_name_valid(const char *s);

/* ------------------------------------------------------------------ */
/* The text format (lvm_config.c).                                     */
/* ------------------------------------------------------------------ */

/* Bounds of a config tree: a VG's text nests four sections deep (vg,
 * logical_volumes, an LV, a segment); the node count bounds the memory a
 * hostile text can take (an LV with one segment is about 20 nodes). */
#define LVM_CFG_MAX_DEPTH 16
#define LVM_CFG_MAX_NODES (LVM_MAX_LVS * 64u)

enum lvm_cfg_type {
	LVM_CFG_SECTION = 0,
	LVM_CFG_INT,
	LVM_CFG_STRING,
	LVM_CFG_ARRAY, /* of INT and STRING values (no nesting) */
	LVM_CFG_FLOAT, /* kept as text, never used by the VG reader */
};

struct lvm_cfg {
	char *key;
	enum lvm_cfg_type type;
	int64_t i;	       /* INT */
	char *s;	       /* STRING, FLOAT (text) */
	struct lvm_cfg *child; /* SECTION: its first member; ARRAY: its
				  first value (keys NULL) */
	struct lvm_cfg *next;  /* the next member of the parent */
};

/*
 * Parses LVM's text format (@len bytes, NUL bytes refused) into a tree
 * whose root is a section without a key; free with lvm_cfg_free().
 * LVM_E_CORRUPT with a line number in @why.
 */
int lvm_cfg_parse(const char *text, size_t len, struct lvm_cfg **root_ret,
		  char *why, size_t whysize);
void lvm_cfg_free(struct lvm_cfg *n);

/* The member @key of section @sec, or NULL. */
const struct lvm_cfg *lvm_cfg_get(const struct lvm_cfg *sec, const char *key);

#endif /* HVO_GUEST_LVM_H */

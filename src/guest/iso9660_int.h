/*
 * iso9660_int.h - the ISO 9660 reader's tree (internal), shared by
 * iso9660.c, which reads and checks it, and iso9660_tree.c, which looks
 * it up and reads files from it (see iso9660.h).
 */
#ifndef HVO_GUEST_ISO9660_INT_H
#define HVO_GUEST_ISO9660_INT_H

#include "guest/iso9660.h"

/* Bounds.  ECMA-119 6.8.2.1 allows 8 directory levels; Joliet and Rock
 * Ridge trees go deeper, never near 64.  vmguest.iso holds about 30
 * entries; a distribution's install ISO some 100 000. */
#define ISO_MAX_DEPTH 64u
#define ISO_MAX_NODES (1u << 20)
/* A file of more than one extent has one per 4 GiB - 2 KiB (xorriso's
 * default); 1024 of them is 4 TiB. */
#define ISO_MAX_EXTENTS_PER_FILE 1024u
/* A directory is read whole; the largest real ones are a few MiB. */
#define ISO_MAX_DIR_BYTES (64u << 20)
/* Rock Ridge: continuation areas followed per record (SUSP 5.1), and the
 * longest name assembled from NM entries (POSIX NAME_MAX). */
#define ISO_MAX_CE   16u
#define ISO_NAME_MAX 255u
#define ISO_UTF8_MAX (3u * 127u + 1u) /* a Joliet name as UTF-8 */

struct iso_extent {
	uint64_t off, len; /* bytes in the image */
};

struct iso_node {
	char *name;
	bool dir;
	uint64_t size;
	uint32_t first, count; /* children (dir) or extents (file) */
	uint64_t dir_off;      /* a directory's records, before its walk */
};

struct guest_iso {
	guest_iso_read_fn rd;
	void *ctx;
	uint64_t size;
	uint32_t block; /* logical block size: 512, 1024 or 2048 */
	enum guest_iso_names names;
	size_t susp_skip; /* Rock Ridge: SUSP bytes to skip (SP entry) */
	struct iso_node *nodes;
	uint32_t nnodes;
	size_t capnodes;
	struct iso_extent *ext;
	uint32_t next;
	size_t capext;
	uint8_t *dirmap; /* one bit per block: holds a directory */
	char *why;
	size_t whysize;
};

#endif /* HVO_GUEST_ISO9660_INT_H */

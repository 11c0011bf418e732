/*
 * iso9660.h - a read-only ISO 9660 reader of our own (ECMA-119), and an
 * ISO image as a guest_disk whose one volume mounts as a read-only
 * guest_fs, so that the native backend reads vmguest.iso (support\<arch>\
 * *.cab) in-process, with no appliance.
 *
 * What is read: the volume descriptor set (ECMA-119 8: the primary
 * descriptor, and a Joliet supplementary one, whose UCS-2 names are
 * preferred when present), directory records (9.1) with multi-extent
 * files (flag bit 7) and extended attribute records skipped, and Rock
 * Ridge names (IEEE P1282 NM entries, SUSP continuation areas) when the
 * root carries the SUSP "SP" mark and there is no Joliet tree.  Without
 * either, the primary names are used with their ";1" version removed.
 *
 * The whole directory tree is read and checked when the image is opened:
 * every directory and file extent lies inside the image, no two
 * directories share a block (so a directory that points back at an
 * ancestor, or at another directory, is refused and no walk can loop),
 * depth, entries, names and continuation areas are bounded.  Every later
 * call only looks up that tree and reads file bytes already checked.
 *
 * Not read: Rock Ridge deep-directory relocation (CL/RE: a relocated
 * directory appears where it is stored, as on a reader without Rock
 * Ridge), interleaved files (refused: unsupported), El Torito boot images
 * (not files), the path tables (they repeat what the directory records
 * say; ECMA-119 readers such as Linux's isofs walk the records too).
 */
#ifndef HVO_GUEST_ISO9660_H
#define HVO_GUEST_ISO9660_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"

/* Fixed values: they grade failures (exit codes) and appear in tests. */
enum guest_iso_err {
	GUEST_ISO_OK = 0,
	GUEST_ISO_NOT_ISO = 1,	   /* no "CD001" descriptor at sector 16 */
	GUEST_ISO_CORRUPT = 2,	   /* impossible fields, truncated, a loop */
	GUEST_ISO_UNSUPPORTED = 3, /* a valid feature not read (interleave) */
	GUEST_ISO_IO = 4,	   /* the image could not be read */
	GUEST_ISO_NOMEM = 5,
};

/* A static description ("corrupt ISO 9660 image"). */
const char *guest_iso_strerror(int err);

/* The exit class of an error: NOT_ISO, CORRUPT and UNSUPPORTED are
 * corrupt input (5), the others failures (1). */
enum hvo_exit guest_iso_exit_class(int err);

/* Reads @len bytes at @off of the image into @buf: 0, or -1 with errno
 * set.  Reads asked for are always inside the size given to open. */
typedef int (*guest_iso_read_fn)(void *ctx, uint64_t off, size_t len,
				 uint8_t *buf);

/* Which names the tree carries. */
enum guest_iso_names {
	GUEST_ISO_NAMES_PRIMARY = 0,
	GUEST_ISO_NAMES_ROCK_RIDGE,
	GUEST_ISO_NAMES_JOLIET,
};

/* "primary", "rock-ridge", "joliet". */
const char *guest_iso_names_name(enum guest_iso_names n);

struct guest_iso;

/*
 * Reads and checks the image of @size bytes read through @rd/@ctx (kept
 * for later reads: it must outlive the handle).  Returns GUEST_ISO_OK and
 * the handle in *@iso_ret (free with guest_iso_free()), or an error with
 * the reason in @why ("directory support/amd64 at block 29 overlaps
 * directory support at block 25 (a loop)").
 */
int guest_iso_open(guest_iso_read_fn rd, void *ctx, uint64_t size,
		   struct guest_iso **iso_ret, char *why, size_t whysize);

/* NULL is accepted. */
void guest_iso_free(struct guest_iso *iso);

enum guest_iso_names guest_iso_names_used(const struct guest_iso *iso);

/* Nodes are numbered from 0, the root. */
#define GUEST_ISO_ROOT 0u

size_t guest_iso_nnodes(const struct guest_iso *iso);

/*
 * The node at normalised guest path @path ("support/amd64", "" for the
 * root), components matched without regard to case (guest_name_eq), the
 * first match winning.  0, or GUEST_E_NOENT / GUEST_E_NOTDIR.
 */
int guest_iso_lookup(const struct guest_iso *iso, const char *path,
		     uint32_t *node_ret);

/* A node's name as stored in the tree in use (UTF-8; "" for the root),
 * whether it is a directory, its size in bytes (a file's). */
const char *guest_iso_name(const struct guest_iso *iso, uint32_t node);
bool guest_iso_is_dir(const struct guest_iso *iso, uint32_t node);
uint64_t guest_iso_size(const struct guest_iso *iso, uint32_t node);

/* A directory's children, in the order recorded (0 for a file). */
uint32_t guest_iso_nchildren(const struct guest_iso *iso, uint32_t node);
uint32_t guest_iso_child(const struct guest_iso *iso, uint32_t node,
			 uint32_t k);

/* Reads up to @len bytes at @off of file @node; *@got_ret is short only
 * at the end of the file.  GUEST_ISO_OK or GUEST_ISO_IO. */
int guest_iso_pread(const struct guest_iso *iso, uint32_t node, uint64_t off,
		    size_t len, uint8_t *buf, size_t *got_ret);

/*
 * Opens ISO image file @path read-only as a guest_disk (closed with
 * guest_disk_close()): no partition table, one whole-disk volume of type
 * "iso9660" named @path, which mounts read-only only.  Returns a
 * guest_iso_err with the reason in @why ("<path>: <what>").
 */
int guest_iso_disk_open(const char *path, struct guest_disk **disk_ret,
			char *why, size_t whysize);

#endif /* HVO_GUEST_ISO9660_H */

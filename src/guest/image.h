/*
 * image.h - what kind of file an image or source is, from its bytes.
 *
 * libguestfs is always told an image's format (letting qemu guess is a
 * security hole, CVE-2010-3851), so the format comes from the file's own
 * signature, never from its name: "vhdxfile" (VHDX, MS-VHDX 2.2.1), the
 * qcow2 magic "QFI\xfb", a "conectix" VHD footer (dynamic VHDs also copy it
 * to offset 0), an ISO 9660 volume descriptor "CD001" at 32769 (ECMA-119
 * 8.1), and "MSCF" for a cabinet.  Anything else is a raw disk.
 */
#ifndef HVO_GUEST_IMAGE_H
#define HVO_GUEST_IMAGE_H

#include <stdint.h>

enum guest_image_kind {
	GUEST_IMAGE_RAW = 0,
	GUEST_IMAGE_VHDX,
	GUEST_IMAGE_VHD,
	GUEST_IMAGE_QCOW2,
	GUEST_IMAGE_ISO,
	GUEST_IMAGE_CAB,
};

struct guest_image_info {
	enum guest_image_kind kind;
	uint64_t size;	    /* bytes */
	const char *format; /* qemu's name: "raw", "vhdx", "vpc", "qcow2" */
};

/* Classifies a regular host file.  Returns 0 or an errno value (EISDIR for
 * a directory). */
int guest_image_sniff(const char *path, struct guest_image_info *info);

/* Classifies the first bytes of a file (@head, @len: at least the first
 * 32774 bytes for ISO detection) and its last 512 bytes (@tail, or NULL). */
enum guest_image_kind guest_image_kind_of(const uint8_t *head, size_t len,
					  const uint8_t *tail, size_t tail_len);

/* "raw", "vhdx", "vhd", "qcow2", "iso", "cab". */
const char *guest_image_kind_name(enum guest_image_kind k);

#endif /* HVO_GUEST_IMAGE_H */

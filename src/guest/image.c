/*
 * image.c - image kind from the file's signature (see image.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/image.h"
#include "util/fileio.h"

/* ECMA-119 8.1: the first volume descriptor at sector 16 (of 2048 bytes);
 * its standard identifier "CD001" follows the type byte. */
#define ISO_DESCRIPTOR_ID 32769
#define HEAD_SIZE	  (ISO_DESCRIPTOR_ID + 5)
/* A VHD footer is the last 512 bytes (VHD specification, "Hard Disk
 * Footer Format"). */
#define VHD_FOOTER_SIZE 512

enum guest_image_kind guest_image_kind_of(const uint8_t *head, size_t len,
					  const uint8_t *tail, size_t tail_len)
{
	if (len >= 8 && memcmp(head, "vhdxfile", 8) == 0)
		return GUEST_IMAGE_VHDX;
	if (len >= 4 && memcmp(head, "QFI\xfb", 4) == 0)
		return GUEST_IMAGE_QCOW2;
	if (len >= 8 && memcmp(head, "MSCF\0\0\0\0", 8) == 0)
		return GUEST_IMAGE_CAB;
	if (len >= 8 && memcmp(head, "conectix", 8) == 0)
		return GUEST_IMAGE_VHD;
	if (tail != NULL && tail_len >= 8 && memcmp(tail, "conectix", 8) == 0)
		return GUEST_IMAGE_VHD;
	if (len >= ISO_DESCRIPTOR_ID + 5 &&
	    memcmp(head + ISO_DESCRIPTOR_ID, "CD001", 5) == 0)
		return GUEST_IMAGE_ISO;
	return GUEST_IMAGE_RAW;
}

static const char *qemu_format(enum guest_image_kind k)
{
	switch (k) {
	case GUEST_IMAGE_VHDX:
		return "vhdx";
	case GUEST_IMAGE_VHD:
		return "vpc";
	case GUEST_IMAGE_QCOW2:
		return "qcow2";
	default:
		return "raw";
	}
}

int guest_image_sniff(const char *path, struct guest_image_info *info)
{
	memset(info, 0, sizeof(*info));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return e;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return EISDIR;
	}
	uint8_t *head = malloc(HEAD_SIZE);
	uint8_t tail[VHD_FOOTER_SIZE];
	if (head == NULL) {
		close(fd);
		return ENOMEM;
	}
	ssize_t n = hvo_int_pread_full(fd, head, HEAD_SIZE, 0);
	ssize_t t = -1;
	if (n >= 0 && st.st_size >= VHD_FOOTER_SIZE)
		t = hvo_int_pread_full(fd, tail, sizeof(tail),
				       (uint64_t)st.st_size - VHD_FOOTER_SIZE);
	int e = errno;
	close(fd);
	if (n < 0) {
		free(head);
		return e;
	}
	info->kind = guest_image_kind_of(head, (size_t)n, t > 0 ? tail : NULL,
					 t > 0 ? (size_t)t : 0);
	free(head);
	info->size = (uint64_t)st.st_size;
	info->format = qemu_format(info->kind);
	return 0;
}

const char *guest_image_kind_name(enum guest_image_kind k)
{
	static const char *const names[] = {
		[GUEST_IMAGE_RAW] = "raw", [GUEST_IMAGE_VHDX] = "vhdx",
		[GUEST_IMAGE_VHD] = "vhd", [GUEST_IMAGE_QCOW2] = "qcow2",
		[GUEST_IMAGE_ISO] = "iso", [GUEST_IMAGE_CAB] = "cab",
	};
	if ((unsigned)k >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[k];
}

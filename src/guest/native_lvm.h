/*
 * native_lvm.h - the LVM logical volumes of one disk on the native
 * backend (internal): the PVs among the disk's volumes are read through
 * lvm.h's parsers, their VGs put together, and every visible LV becomes
 * a volume of the disk, readable through a mapped image
 * (native_int_img_mapped) when it is linear or striped on PVs that are
 * there, else named with the reason it is not read.
 *
 * Between native_io.c (below) and native_disk.c (above): it includes
 * native_int.h for the image and lvm.h for the format, nothing else.
 */
#ifndef HVO_GUEST_NATIVE_LVM_H
#define HVO_GUEST_NATIVE_LVM_H

#include <stddef.h>

#include "guest/guest.h"

struct native_img;
struct native_lvm;

/* One LV as a volume: the layout entry, and the image to read it
 * through (NULL when it cannot be read: vol.problem says why). */
struct native_lvm_volume {
	struct guest_volume vol;
	struct native_img *img;
};

/*
 * Reads the PVs among @vols (fstype "LVM2_member"; bytes [start,
 * start + size) of @img) and returns the LVs of their VGs in *@lvm_ret
 * (free with native_int_lvm_free(), after the images are no longer
 * used): *@out_ret points into it, *@n_ret entries.  A PV whose label or
 * metadata cannot be used gets the reason in its vols[i].problem.  Only
 * running out of memory fails (GUEST_E_NOMEM).
 */
int native_int_lvm_scan(struct native_img *img, struct guest_volume *vols,
			size_t nvols, struct native_lvm **lvm_ret,
			struct native_lvm_volume **out_ret, size_t *n_ret);

/* Frees what native_int_lvm_scan() made, the LVs' images included.
 * NULL is accepted. */
void native_int_lvm_free(struct native_lvm *lvm);

#endif /* HVO_GUEST_NATIVE_LVM_H */

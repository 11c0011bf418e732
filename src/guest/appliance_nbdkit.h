/*
 * appliance_nbdkit.h - the appliance reaches VHDX images through
 * nbdkit-hvoffline-plugin (internal to the appliance backend).
 */
#ifndef HVO_GUEST_APPLIANCE_NBDKIT_H
#define HVO_GUEST_APPLIANCE_NBDKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <guestfs.h>

/* One nbdkit serving one image on a Unix socket in a private directory. */
struct guest_nbd {
	pid_t pid; /* 0: not running */
	bool readonly;
	uint32_t logical_sector_size;
	char dir[256];
	char sock[300];
};

/* The plugin the appliance uses: $HVOFFLINE_NBDKIT_PLUGIN, else the one
 * installed into nbdkit's plugin directory (configure). */
const char *guest_int_nbd_plugin(void);

/* Whether VHDX images go through nbdkit: nbdkit is on the PATH and the
 * plugin file exists.  $HVOFFLINE_NBDKIT=0 turns it off (qemu then opens
 * plain VHDX itself, as before). */
bool guest_int_nbd_available(void);

/*
 * Starts nbdkit with the plugin on @path (readonly=true when @readonly:
 * a dirty log is replayed in memory, nothing is written) and waits until
 * it serves.  nbdkit opens and locks the image itself, for as long as it
 * runs, so the caller must not hold a lock on it.  Returns 0, or -1 with
 * a message in @err (nbdkit's own, e.g. that the image is in use).
 */
int guest_int_nbd_start(struct guest_nbd *x, const char *path, bool readonly,
			char *err, size_t errlen);

/* Adds the export to @g as a raw NBD drive with the image's logical
 * sector size.  Returns guestfs_add_drive_opts()'s result. */
int guest_int_nbd_add_drive(guestfs_h *g, const struct guest_nbd *x);

/*
 * Stops nbdkit (SIGTERM: the plugin flushes and closes the image) and
 * removes the socket's directory.  Call after the appliance has shut down
 * (its qemu flushed the drive).  Returns nbdkit's exit status (0 when all
 * went well), or -1 if it had to be killed.  Accepts a stopped @x.
 */
int guest_int_nbd_stop(struct guest_nbd *x);

#endif /* HVO_GUEST_APPLIANCE_NBDKIT_H */

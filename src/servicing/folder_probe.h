/*
 * folder_probe.h - the virtual disks of an image's folder, read once per
 * run.
 *
 * Two things need every disk beside an image: the grants of its
 * sandboxed child (child_paths.h: its parent chain, from the parent
 * locators) and the child's own pre-flight (inspect_preflight.c: is a
 * checkpoint based on this image?).  Done per image, N images in one
 * folder cost N probe children in the parent and N * N opens in the image
 * children.  Between svc_int_folders_begin() and svc_int_folders_end(),
 * a folder is read once instead: one confined probe child (like
 * child_paths.c's: the parent never parses an image) opens each disk of
 * the folder without a lock (VHDX_OPEN_NO_LOCK: a sibling being serviced
 * at the same time is not disturbed) and sends back, per disk, whether it
 * has a parent, its DataWriteGuid and its parent locator's entries.  The
 * table stays in the parent's memory, which the image children inherit
 * (they are its forks).
 *
 * Outside begin/end nothing is cached: callers read the disks as before.
 */
#ifndef HVO_SERVICING_FOLDER_PROBE_H
#define HVO_SERVICING_FOLDER_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One disk of a probed folder. */
struct svc_folder_disk {
	char *path; /* folder "/" name */
	dev_t dev;  /* the parent's stat() of it */
	ino_t ino;
	bool opened; /* the probe opened it as a VHDX; then: */
	bool has_parent;
	char dwg[37]; /* DataWriteGuid, vhdx_guid_format()'s form */
	const char **keys, **values; /* parent locator entries */
	size_t nlocator;
};

struct svc_folder {
	char *path;
	dev_t dev;
	ino_t ino;
	bool complete; /* every disk of the folder is in the table */
	struct svc_folder_disk *disks;
	size_t n;
	char *buf; /* the probe's reply, which keys and values point into */
	size_t len_reply;
};

/* Starts caching (nested calls count); svc_int_folders_end() drops the
 * tables when the outermost caller ends. */
void svc_int_folders_begin(void);
void svc_int_folders_end(void);

/*
 * The table of @folder: probed now (in the parent, between begin and
 * end) if it was not yet; NULL outside begin/end or when the folder
 * cannot be listed or probed.  @probe false: only a table probed already
 * (in an image child).
 */
const struct svc_folder *svc_int_folder(const char *folder, bool probe);

/* The disk of @f that is the file @path (by device and inode), or NULL. */
const struct svc_folder_disk *svc_int_folder_disk(const struct svc_folder *f,
						  const char *path);

/* Virtual disk file names: .vhdx, .avhdx, .vhd, .avhd. */
bool svc_int_disk_name(const char *name);

#endif /* HVO_SERVICING_FOLDER_PROBE_H */

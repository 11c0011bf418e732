/*
 * child_paths.h - what a sandboxed child that services one image may
 * open (Landlock; guest/sandbox.h): the image, the virtual disks beside
 * it (its checkpoints, which apply to a base must see to refuse; not
 * when the run read them once for every image of the folder,
 * folder_probe.h), the listing of its folder, and its parent chain
 * wherever the parent locators put it.
 *
 * The parent process never parses an image: each level of the chain is
 * read by a probe child of its own, confined to reading that one file,
 * which sends back the parent locator's entries; the parent turns them
 * into candidate paths (vhdx_parent_candidates(), the rule vhdx_open()
 * follows) and grants the ones that exist as regular files, up to a
 * bounded depth (a disk of a folder the run probed needs no probe of its
 * own: the folder's table has its locator).  A hostile locator can thus
 * name files for the next probe to read, but only files that vhdx_open()
 * would try anyway, and only for reading as a VHDX in a confined child.
 */
#ifndef HVO_SERVICING_CHILD_PATHS_H
#define HVO_SERVICING_CHILD_PATHS_H

#include <stddef.h>

/* Paths granted to one child (strings owned). */
struct svc_child_paths {
	char **read; /* files and folders it may read */
	size_t nread;
	char *folder; /* the image's folder, listed */
};

/* Fills @p for @image.  0, or -1 (errno set) when out of memory; a probe
 * that fails grants nothing more (the child then reports the missing
 * parent as vhdx_open() words it). */
int svc_int_child_paths(const char *image, struct svc_child_paths *p);

/* Adds @path to what @p may read.  0 or -1. */
int svc_int_child_paths_add(struct svc_child_paths *p, const char *path);

void svc_int_child_paths_free(struct svc_child_paths *p);

#endif /* HVO_SERVICING_CHILD_PATHS_H */

/*
 * tarw.h - a minimal tar (ustar/pax) writer for regular files (internal
 * to the guest layer: many files go into the appliance in one call).
 */
#ifndef HVO_GUEST_TARW_H
#define HVO_GUEST_TARW_H

#include <stddef.h>
#include <stdint.h>

/* Appends a regular file named @path ('/'-separated, relative) to the
 * archive open for writing on @fd: its content is @data/@len, or host file
 * @host_path when not NULL.  Returns 0 or an errno value. */
int tarw_add(int fd, const char *path, const void *data, size_t len,
	     const char *host_path);

/* Writes the end-of-archive blocks.  Returns 0 or an errno value. */
int tarw_finish(int fd);

#endif /* HVO_GUEST_TARW_H */

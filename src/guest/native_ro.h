/*
 * native_ro.h - what the native backend's read-only Linux filesystems
 * (native_ext.c, native_xfs.c) share (internal): the write operations,
 * which refuse; a directory listing being gathered; copying a file out
 * through the filesystem's own reader.
 */
#ifndef HVO_GUEST_NATIVE_RO_H
#define HVO_GUEST_NATIVE_RO_H

#include <stddef.h>
#include <stdint.h>

#include "guest/guest_int.h"

/* guest_fs_ops members that refuse with GUEST_E_ROFS, and close, which
 * does nothing (the filesystem belongs to its disk). */
int native_int_ro_write_atomic(struct guest_fs *fs, const char *path,
			       const void *data, size_t len);
int native_int_ro_mkdir(struct guest_fs *fs, const char *path);
int native_int_ro_rename(struct guest_fs *fs, const char *from, const char *to);
int native_int_ro_remove(struct guest_fs *fs, const char *path);
int native_int_ro_copy_in_atomic(struct guest_fs *fs, const char *host_path,
				 const char *path);
void native_int_ro_close(struct guest_fs *fs);

/* The most entries one directory listing returns: a few thousand in real
 * systems (/usr/bin); a hostile directory could hold millions. */
#define NATIVE_RO_MAX_DIRENTS 200000u

/* A listing being gathered; err is GUEST_E_TOO_BIG or GUEST_E_NOMEM once
 * an add failed. */
struct native_ro_names {
	char **names;
	size_t n, cap;
	int err;
};

/* Adds [@name, @name + @len); false (and @l->err set) when it cannot. */
bool native_int_ro_names_add(struct native_ro_names *l, const char *name,
			     size_t len);

/* Reads up to @len bytes at @off of the file being copied out into
 * @buf; *@got short (0) at its end; a guest_error with @fs's error set. */
typedef int (*native_ro_read_fn)(void *ctx, uint64_t off, size_t len,
				 uint8_t *buf, size_t *got);

/* Copies @size bytes read by @fn into a new host file @host_path. */
int native_int_ro_copy_out(struct guest_fs *fs, const char *host_path,
			   uint64_t size, native_ro_read_fn fn, void *ctx);

#endif /* HVO_GUEST_NATIVE_RO_H */

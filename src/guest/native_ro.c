/*
 * native_ro.c - what the native backend's read-only Linux filesystems
 * share (see native_ro.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/native_ro.h"
#include "util/grow.h"
#include "util/fileio.h"

/* Bytes moved per read when copying a file out. */
#define RO_CHUNK (256u * 1024)

/* Parameters an operation must take and does not use. */
#define UNUSED __attribute__((unused))

/* Every write is refused: the volume is opened read-only. */
static int refuse(struct guest_fs *fs, const char *path)
{
	return guest_int_fs_fail(fs, GUEST_E_ROFS,
				 "%s: Linux volumes are read-only here (%s)",
				 path, fs->name);
}

int native_int_ro_write_atomic(struct guest_fs *fs, const char *path,
			       const void *data UNUSED, size_t len UNUSED)
{
	return refuse(fs, path);
}

int native_int_ro_mkdir(struct guest_fs *fs, const char *path)
{
	return refuse(fs, path);
}

int native_int_ro_rename(struct guest_fs *fs, const char *from,
			 const char *to UNUSED)
{
	return refuse(fs, from);
}

int native_int_ro_remove(struct guest_fs *fs, const char *path)
{
	return refuse(fs, path);
}

int native_int_ro_copy_in_atomic(struct guest_fs *fs,
				 const char *host_path UNUSED, const char *path)
{
	return refuse(fs, path);
}

void native_int_ro_close(struct guest_fs *fs UNUSED)
{
}

bool native_int_ro_names_add(struct native_ro_names *l, const char *name,
			     size_t len)
{
	if (l->n >= NATIVE_RO_MAX_DIRENTS) {
		l->err = GUEST_E_TOO_BIG;
		return false;
	}
	char **nn = hvo_int_grow(l->names, l->n, &l->cap, sizeof(*nn), 64);
	if (nn == NULL) {
		l->err = GUEST_E_NOMEM;
		return false;
	}
	l->names = nn;
	char *s = strndup(name, len);
	if (s == NULL) {
		l->err = GUEST_E_NOMEM;
		return false;
	}
	l->names[l->n++] = s;
	return true;
}

int native_int_ro_copy_out(struct guest_fs *fs, const char *host_path,
			   uint64_t size, native_ro_read_fn fn, void *ctx)
{
	uint8_t *buf = malloc(RO_CHUNK);
	if (buf == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	int r = GUEST_OK;
	int fd =
		open(host_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", host_path,
				      strerror(errno));
	for (uint64_t off = 0; r == GUEST_OK && off < size;) {
		size_t got;
		r = fn(ctx, off, RO_CHUNK, buf, &got);
		if (r != GUEST_OK || got == 0)
			break;
		int we = hvo_int_write_all(fd, buf, got);
		if (we != 0)
			r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s",
					      host_path, strerror(we));
		off += got;
	}
	if (fd >= 0 && close(fd) != 0 && r == GUEST_OK)
		r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", host_path,
				      strerror(errno));
	free(buf);
	return r;
}

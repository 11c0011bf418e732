/*
 * iso9660_fs.c - an ISO image file as a guest_disk with one read-only
 * guest_fs (see iso9660.h), on the tree iso9660.c read and checked when
 * the image was opened.  The image is read with pread() on one
 * descriptor; nothing is ever written to it.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/guest_int.h"
#include "guest/iso9660.h"
#include "util/fileio.h"

/* Bytes read at a time when streaming a file out. */
#define ISO_CHUNK (256u << 10)

struct iso_fs {
	struct guest_fs base; /* first: the common part */
	struct guest_iso *iso;
};

struct iso_disk {
	struct guest_disk base; /* first: the common part */
	int fd;
	struct guest_iso *iso;
	struct guest_volume vol;
	struct iso_fs fs;
};

static int read_fd(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	int fd = *(int *)ctx;
	ssize_t n = hvo_int_pread_full(fd, buf, len, off);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EIO; /* the file shrank since it was opened */
		return -1;
	}
	return 0;
}

static struct iso_fs *IFS(struct guest_fs *fs)
{
	return (struct iso_fs *)fs;
}

/* The node at @path, with the error set on @fs when there is none. */
static int node_of(struct guest_fs *fs, const char *path, uint32_t *node)
{
	int r = guest_iso_lookup(IFS(fs)->iso, path, node);
	if (r != GUEST_OK)
		return guest_int_fs_fail(fs, r, "%s: %s", path,
					 guest_strerror(r));
	return GUEST_OK;
}

static int file_of(struct guest_fs *fs, const char *path, uint32_t *node)
{
	int r = node_of(fs, path, node);
	if (r == GUEST_OK && guest_iso_is_dir(IFS(fs)->iso, *node))
		return guest_int_fs_fail(fs, GUEST_E_ISDIR, "%s: %s", path,
					 guest_strerror(GUEST_E_ISDIR));
	return r;
}

static int ifs_resolve(struct guest_fs *fs, const char *path,
		       bool may_be_missing, char **real_ret)
{
	const struct guest_iso *iso = IFS(fs)->iso;
	/* Each stored name is at most 4 bytes of UTF-8 per byte given. */
	size_t cap = 1, o = 0;
	for (const char *p = path; *p != '\0'; p += strcspn(p, "/")) {
		if (*p == '/')
			p++;
		cap += 4 * strcspn(p, "/") + 512;
	}
	char *out = malloc(cap);
	if (out == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	out[0] = '\0';
	uint32_t cur = GUEST_ISO_ROOT;
	const char *p = path;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		bool last = p[n] == '\0';
		const char *name = NULL;
		char comp[1024];
		if (n >= sizeof(comp) || !guest_iso_is_dir(iso, cur)) {
			free(out);
			int e = n >= sizeof(comp) ? GUEST_E_NOENT
						  : GUEST_E_NOTDIR;
			return guest_int_fs_fail(fs, e, "%s: %s", path,
						 guest_strerror(e));
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		uint32_t k, nc = guest_iso_nchildren(iso, cur);
		for (k = 0; k < nc; k++)
			if (guest_name_eq(
				    guest_iso_name(
					    iso, guest_iso_child(iso, cur, k)),
				    comp))
				break;
		if (k < nc) {
			cur = guest_iso_child(iso, cur, k);
			name = guest_iso_name(iso, cur);
		} else if (last && may_be_missing) {
			name = comp;
		} else {
			free(out);
			return guest_int_fs_fail(fs, GUEST_E_NOENT, "%s: %s",
						 path,
						 guest_strerror(GUEST_E_NOENT));
		}
		/* cap counted 512 bytes per component: a stored name is
		 * at most ISO_UTF8_MAX (382) bytes. */
		o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "/" : "",
				      name);
		p += n;
		if (*p == '/')
			p++;
	}
	*real_ret = out;
	return GUEST_OK;
}

static int ifs_stat(struct guest_fs *fs, const char *path,
		    struct guest_stat *st)
{
	uint32_t node;
	int r = node_of(fs, path, &node);
	if (r != GUEST_OK)
		return r;
	const struct guest_iso *iso = IFS(fs)->iso;
	st->type = guest_iso_is_dir(iso, node) ? GUEST_FT_DIR : GUEST_FT_FILE;
	st->size = guest_iso_size(iso, node);
	return GUEST_OK;
}

static int ifs_pread(struct guest_fs *fs, const char *path, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret)
{
	uint32_t node;
	*got_ret = 0;
	int r = file_of(fs, path, &node);
	if (r != GUEST_OK)
		return r;
	if (guest_iso_pread(IFS(fs)->iso, node, off, len, buf, got_ret) !=
	    GUEST_ISO_OK)
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", path,
					 strerror(errno));
	return GUEST_OK;
}

static int ifs_read(struct guest_fs *fs, const char *path, size_t max,
		    uint8_t **buf_ret, size_t *len_ret)
{
	uint32_t node;
	int r = file_of(fs, path, &node);
	if (r != GUEST_OK)
		return r;
	uint64_t size = guest_iso_size(IFS(fs)->iso, node);
	if (size > max)
		return guest_int_fs_fail(fs, GUEST_E_TOO_BIG,
					 "%s: %llu bytes, more than %zu", path,
					 (unsigned long long)size, max);
	uint8_t *buf = malloc((size_t)size + 1);
	if (buf == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	size_t got;
	r = ifs_pread(fs, path, 0, (size_t)size, buf, &got);
	if (r != GUEST_OK) {
		free(buf);
		return r;
	}
	buf[got] = '\0';
	*buf_ret = buf;
	*len_ret = got;
	return GUEST_OK;
}

static int ifs_list(struct guest_fs *fs, const char *path, char ***names_ret,
		    size_t *n_ret)
{
	const struct guest_iso *iso = IFS(fs)->iso;
	uint32_t node;
	int r = node_of(fs, path, &node);
	if (r != GUEST_OK)
		return r;
	if (!guest_iso_is_dir(iso, node))
		return guest_int_fs_fail(fs, GUEST_E_NOTDIR, "%s: %s", path,
					 guest_strerror(GUEST_E_NOTDIR));
	uint32_t n = guest_iso_nchildren(iso, node);
	char **names = calloc(n ? n : 1, sizeof(*names));
	if (names == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	for (uint32_t k = 0; k < n; k++) {
		names[k] = strdup(
			guest_iso_name(iso, guest_iso_child(iso, node, k)));
		if (names[k] == NULL) {
			guest_names_free(names, k);
			return guest_int_fs_fail(fs, GUEST_E_NOMEM,
						 "out of memory");
		}
	}
	*names_ret = names;
	*n_ret = n;
	return GUEST_OK;
}

/* Copies file @path out in chunks; no digest operation is offered:
 * fs.c then hashes what read() returns, and the cabinets of a vmguest.iso
 * are a few MiB. */
static int ifs_copy_out(struct guest_fs *fs, const char *path,
			const char *host_path)
{
	uint32_t node;
	int r = file_of(fs, path, &node);
	if (r != GUEST_OK)
		return r;
	const struct guest_iso *iso = IFS(fs)->iso;
	uint64_t size = guest_iso_size(iso, node), off = 0;
	uint8_t *buf = malloc(ISO_CHUNK);
	int fd = buf == NULL
			 ? -1
			 : open(host_path,
				O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(buf);
		return guest_int_fs_fail(
			fs, buf ? guest_int_errno_class(errno) : GUEST_E_NOMEM,
			"%s: %s", host_path,
			buf ? strerror(errno) : "no memory");
	}
	while (r == GUEST_OK && off < size) {
		size_t got = 0;
		if (guest_iso_pread(iso, node, off, ISO_CHUNK, buf, &got) !=
			    GUEST_ISO_OK ||
		    got == 0)
			r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", path,
					      got == 0 ? "short read"
						       : strerror(errno));
		else if (hvo_int_write_all(fd, buf, got) != 0)
			r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s",
					      host_path, strerror(errno));
		off += got;
	}
	free(buf);
	if (close(fd) != 0 && r == GUEST_OK)
		r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", host_path,
				      strerror(errno));
	return r;
}

/* Every write: the image is read-only (fs.c refuses them first). */
static int rofs(struct guest_fs *fs, const char *path)
{
	return guest_int_fs_fail(fs, GUEST_E_ROFS, "%s: %s", path,
				 guest_strerror(GUEST_E_ROFS));
}

static int ifs_write_atomic(struct guest_fs *fs, const char *path,
			    const void *data, size_t len)
{
	(void)data;
	(void)len;
	return rofs(fs, path);
}

static int ifs_mkdir(struct guest_fs *fs, const char *path)
{
	return rofs(fs, path);
}

static int ifs_rename(struct guest_fs *fs, const char *from, const char *to)
{
	(void)to;
	return rofs(fs, from);
}

static int ifs_remove(struct guest_fs *fs, const char *path)
{
	return rofs(fs, path);
}

static int ifs_copy_in_atomic(struct guest_fs *fs, const char *host_path,
			      const char *path)
{
	(void)host_path;
	return rofs(fs, path);
}

/* The filesystem belongs to its disk: closing it does nothing. */
static void ifs_close(struct guest_fs *fs)
{
	(void)fs;
}

static const struct guest_fs_ops iso_fs_ops = {
	.resolve = ifs_resolve,
	.stat = ifs_stat,
	.read = ifs_read,
	.pread = ifs_pread,
	.write_atomic = ifs_write_atomic,
	.mkdir = ifs_mkdir,
	.list = ifs_list,
	.rename = ifs_rename,
	.remove = ifs_remove,
	.copy_out = ifs_copy_out,
	.copy_in_atomic = ifs_copy_in_atomic,
	.close = ifs_close,
};

/* ------------------------------------------------------------------ */
/* The disk.                                                           */
/* ------------------------------------------------------------------ */

static struct iso_disk *IDK(struct guest_disk *d)
{
	return (struct iso_disk *)d;
}

static int idk_pread(struct guest_disk *disk, size_t vol, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret)
{
	struct iso_disk *d = IDK(disk);
	*got_ret = 0;
	(void)vol; /* one volume, checked by fs.c */
	if (off >= d->vol.size)
		return GUEST_OK;
	size_t n = d->vol.size - off < len ? (size_t)(d->vol.size - off) : len;
	if (read_fd(&d->fd, off, n, buf) != 0)
		return guest_int_disk_fail(disk, GUEST_E_IO, "%s: %s",
					   disk->name, strerror(errno));
	*got_ret = n;
	return GUEST_OK;
}

static int idk_probe_rw(struct guest_disk *disk, size_t vol, int *code_ret)
{
	(void)vol;
	(void)code_ret;
	return guest_int_disk_fail(disk, GUEST_E_UNSUPPORTED,
				   "%s: an ISO 9660 image is not NTFS",
				   disk->name);
}

static int idk_mount(struct guest_disk *disk, size_t vol, bool readonly,
		     struct guest_fs **fs_ret)
{
	(void)vol;
	if (!readonly)
		return guest_int_disk_fail(disk, GUEST_E_ROFS,
					   "%s: an ISO 9660 image mounts "
					   "read-only only",
					   disk->name);
	*fs_ret = &IDK(disk)->fs.base;
	return GUEST_OK;
}

static void idk_close(struct guest_disk *disk)
{
	struct iso_disk *d = IDK(disk);
	guest_iso_free(d->iso);
	if (d->fd >= 0)
		close(d->fd);
	free(disk->name);
	free(d);
}

static const struct guest_disk_ops iso_disk_ops = {
	.pread = idk_pread,
	.probe_rw = idk_probe_rw,
	.mount = idk_mount,
	.close = idk_close,
};

int guest_iso_disk_open(const char *path, struct guest_disk **disk_ret,
			char *why, size_t whysize)
{
	*disk_ret = NULL;
	struct iso_disk *d = calloc(1, sizeof(*d));
	if (d == NULL || (d->base.name = strdup(path)) == NULL) {
		free(d);
		snprintf(why, whysize, "%s: out of memory", path);
		return GUEST_ISO_NOMEM;
	}
	d->base.ops = &iso_disk_ops;
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (d->fd < 0 || fstat(d->fd, &st) != 0) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		idk_close(&d->base);
		return GUEST_ISO_IO;
	}
	char w[GUEST_ERROR_MAX];
	w[0] = '\0';
	int r = guest_iso_open(read_fd, &d->fd, (uint64_t)st.st_size, &d->iso,
			       w, sizeof(w));
	if (r != GUEST_ISO_OK) {
		snprintf(why, whysize, "%s: %s: %s", path,
			 guest_iso_strerror(r), w);
		idk_close(&d->base);
		return r;
	}
	d->vol = (struct guest_volume){ .partnum = 0,
					.start = 0,
					.size = (uint64_t)st.st_size };
	snprintf(d->vol.device, sizeof(d->vol.device), "%.79s", path);
	snprintf(d->vol.fstype, sizeof(d->vol.fstype), "iso9660");
	d->base.layout = (struct guest_disk_layout){
		.ptable = GUEST_PTABLE_NONE,
		.size = (uint64_t)st.st_size,
		.nvolumes = 1,
		.volumes = &d->vol,
	};
	d->base.volumes = &d->vol;
	d->fs.base.ops = &iso_fs_ops;
	d->fs.base.readonly = true;
	d->fs.base.owned_by_disk = true;
	snprintf(d->fs.base.name, sizeof(d->fs.base.name), "%s", path);
	d->fs.iso = d->iso;
	*disk_ret = &d->base;
	return GUEST_ISO_OK;
}

/*
 * hostdir.c - the host-directory backend: a directory on the host stands
 * for a guest volume, so that detection, safety checks and the servicing
 * engine can be unit-tested without an appliance.
 *
 * It behaves as the appliance backend does on NTFS: names are matched
 * without regard to case (an exact match wins, otherwise the first match in
 * byte order, for determinism), writes go through a temporary file and a
 * rename, and read-only filesystems refuse writes.  Symbolic links are
 * never followed, so a test directory cannot lead outside itself.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "guest/guest_int.h"
#include "util/fileio.h"

struct hostdir_fs {
	struct guest_fs base;
	char *root;
};

static struct hostdir_fs *H(struct guest_fs *fs)
{
	return (struct hostdir_fs *)fs;
}

static char *join(const char *a, const char *b)
{
	char *s;
	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

/* Finds @name in host directory @dir without regard to case; *@found_ret
 * is the stored name (caller frees) or NULL if there is none. */
static int find_name(const char *dir, const char *name, char **found_ret)
{
	*found_ret = NULL;
	DIR *d = opendir(dir);
	if (d == NULL)
		return errno;
	struct dirent *de;
	char *best = NULL;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (!guest_name_eq(de->d_name, name))
			continue;
		if (strcmp(de->d_name, name) == 0 || best == NULL ||
		    (strcmp(best, name) != 0 && strcmp(de->d_name, best) < 0)) {
			char *copy = strdup(de->d_name);
			if (copy == NULL) {
				free(best);
				closedir(d);
				return ENOMEM;
			}
			free(best);
			best = copy;
		}
	}
	closedir(d);
	*found_ret = best;
	return 0;
}

/*
 * Resolves a normalised guest path to a host path (*@host_ret) and its
 * stored spelling (*@real_ret, may be NULL), both caller-freed.  A missing
 * last component is kept as given when @may_be_missing; *@missing_ret then
 * says so.
 */
static int resolve_host(struct guest_fs *fs, const char *path,
			bool may_be_missing, char **host_ret, char **real_ret,
			bool *missing_ret)
{
	struct hostdir_fs *h = H(fs);
	*host_ret = NULL;
	if (real_ret)
		*real_ret = NULL;
	if (missing_ret)
		*missing_ret = false;
	char *host = strdup(h->root);
	char *real = strdup("");
	char *copy = strdup(path);
	int r = GUEST_OK;
	if (host == NULL || real == NULL || copy == NULL) {
		r = guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
				      path);
		goto out;
	}
	char *save = NULL;
	for (char *comp = strtok_r(copy, "/", &save); comp != NULL;
	     comp = strtok_r(NULL, "/", &save)) {
		bool last = save == NULL || *save == '\0';
		struct stat st;
		if (lstat(host, &st) != 0 || !S_ISDIR(st.st_mode)) {
			r = guest_int_fs_fail(fs, GUEST_E_NOTDIR,
					      "%s: '%s' is not a directory",
					      path, real[0] ? real : "/");
			goto out;
		}
		char *found;
		int e = find_name(host, comp, &found);
		if (e != 0) {
			r = guest_int_fs_fail(fs, guest_int_errno_class(e),
					      "%s: %s", path, strerror(e));
			goto out;
		}
		if (found == NULL) {
			if (!(last && may_be_missing)) {
				r = guest_int_fs_fail(fs, GUEST_E_NOENT,
						      "%s: no such file or "
						      "directory",
						      path);
				goto out;
			}
			if (missing_ret)
				*missing_ret = true;
			found = strdup(comp);
			if (found == NULL) {
				r = guest_int_fs_fail(fs, GUEST_E_NOMEM,
						      "%s: out of memory",
						      path);
				goto out;
			}
		}
		char *nhost = join(host, found);
		char *nreal = real[0] ? join(real, found) : strdup(found);
		free(found);
		free(host);
		free(real);
		host = nhost;
		real = nreal;
		if (host == NULL || real == NULL) {
			r = guest_int_fs_fail(fs, GUEST_E_NOMEM,
					      "%s: out of memory", path);
			goto out;
		}
		if (!last && lstat(host, &st) == 0 && S_ISLNK(st.st_mode)) {
			r = guest_int_fs_fail(fs, GUEST_E_PATH,
					      "%s: '%s' is a symbolic link",
					      path, real);
			goto out;
		}
	}
out:
	free(copy);
	if (r != GUEST_OK) {
		free(host);
		free(real);
		return r;
	}
	*host_ret = host;
	if (real_ret)
		*real_ret = real;
	else
		free(real);
	return GUEST_OK;
}

static int hd_resolve(struct guest_fs *fs, const char *path,
		      bool may_be_missing, char **real_ret)
{
	char *host;
	int r = resolve_host(fs, path, may_be_missing, &host, real_ret, NULL);
	free(host);
	return r;
}

static int hd_stat(struct guest_fs *fs, const char *path, struct guest_stat *st)
{
	char *host;
	int r = resolve_host(fs, path, false, &host, NULL, NULL);
	if (r != GUEST_OK)
		return r;
	struct stat s;
	if (lstat(host, &s) != 0) {
		int e = errno;
		free(host);
		return guest_int_fs_fail(fs, guest_int_errno_class(e), "%s: %s",
					 path, strerror(e));
	}
	free(host);
	st->type = S_ISREG(s.st_mode)	? GUEST_FT_FILE
		   : S_ISDIR(s.st_mode) ? GUEST_FT_DIR
					: GUEST_FT_OTHER;
	st->size = (uint64_t)s.st_size;
	return GUEST_OK;
}

/* Opens an existing regular file for reading. */
static int open_file(struct guest_fs *fs, const char *path, int *fd_ret,
		     uint64_t *size_ret)
{
	char *host;
	int r = resolve_host(fs, path, false, &host, NULL, NULL);
	if (r != GUEST_OK)
		return r;
	int fd = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	free(host);
	if (fd < 0)
		return guest_int_fs_fail(fs, guest_int_errno_class(e), "%s: %s",
					 path, strerror(e));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return guest_int_fs_fail(fs, GUEST_E_ISDIR,
					 "%s: not a regular file", path);
	}
	*fd_ret = fd;
	*size_ret = (uint64_t)st.st_size;
	return GUEST_OK;
}

static int hd_read(struct guest_fs *fs, const char *path, size_t max,
		   uint8_t **buf_ret, size_t *len_ret)
{
	int fd;
	uint64_t size;
	int r = open_file(fs, path, &fd, &size);
	if (r != GUEST_OK)
		return r;
	if (size > max) {
		close(fd);
		return guest_int_fs_fail(fs, GUEST_E_TOO_BIG,
					 "%s: %llu bytes (the limit is %zu)",
					 path, (unsigned long long)size, max);
	}
	uint8_t *buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		close(fd);
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
					 path);
	}
	ssize_t n = hvo_int_pread_full(fd, buf, (size_t)size, 0);
	int e = errno;
	close(fd);
	if (n < 0 || (uint64_t)n != size) {
		free(buf);
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: read: %s", path,
					 n < 0 ? strerror(e) : "file shrank");
	}
	buf[size] = '\0';
	*buf_ret = buf;
	*len_ret = (size_t)size;
	return GUEST_OK;
}

static int hd_pread(struct guest_fs *fs, const char *path, uint64_t off,
		    size_t len, uint8_t *buf, size_t *got_ret)
{
	int fd;
	uint64_t size;
	int r = open_file(fs, path, &fd, &size);
	if (r != GUEST_OK)
		return r;
	ssize_t n = hvo_int_pread_full(fd, buf, len, off);
	int e = errno;
	close(fd);
	if (n < 0)
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: read: %s", path,
					 strerror(e));
	*got_ret = (size_t)n;
	return GUEST_OK;
}

/* Resolves the target of a write: its parent must exist and the target,
 * if present, must be a regular file. */
static int write_target(struct guest_fs *fs, const char *path, char **host_ret)
{
	bool missing;
	int r = resolve_host(fs, path, true, host_ret, NULL, &missing);
	if (r != GUEST_OK)
		return r;
	struct stat st;
	if (!missing && lstat(*host_ret, &st) == 0 && !S_ISREG(st.st_mode)) {
		free(*host_ret);
		*host_ret = NULL;
		return guest_int_fs_fail(fs, GUEST_E_ISDIR,
					 "%s: exists and is not a regular file",
					 path);
	}
	return GUEST_OK;
}

static int copy_fd(int in, int out)
{
	uint8_t buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return 0;
		int e = hvo_int_write_all(out, buf, (size_t)n);
		if (e != 0)
			return e;
	}
}

/*
 * Replaces @path atomically: hvo_int_atomic_open() makes a temporary file in
 * the same directory, which gets @len bytes of @data or, when @in >= 0,
 * everything read from @in, and is then flushed and renamed over the
 * target (hvo_int_atomic_commit).
 */
static int atomic_replace(struct guest_fs *fs, const char *path,
			  const void *data, size_t len, int in)
{
	char *host;
	int r = write_target(fs, path, &host);
	if (r != GUEST_OK)
		return r;
	struct hvo_atomic_file af;
	int e = hvo_int_atomic_open(host, 0644, &af);
	if (e == 0) {
		e = in >= 0 ? copy_fd(in, af.fd)
			    : hvo_int_write_all(af.fd, data, len);
		if (e == 0)
			e = hvo_int_atomic_commit(&af);
		else
			hvo_int_atomic_abort(&af);
	}
	free(host);
	if (e != 0)
		return guest_int_fs_fail(fs, guest_int_errno_class(e),
					 "%s: write: %s", path, strerror(e));
	return GUEST_OK;
}

static int hd_write_atomic(struct guest_fs *fs, const char *path,
			   const void *data, size_t len)
{
	return atomic_replace(fs, path, data, len, -1);
}

static int hd_mkdir(struct guest_fs *fs, const char *path)
{
	char *host;
	int r = resolve_host(fs, path, true, &host, NULL, NULL);
	if (r != GUEST_OK)
		return r;
	if (mkdir(host, 0755) != 0) {
		int e = errno;
		r = guest_int_fs_fail(fs, guest_int_errno_class(e),
				      "%s: mkdir: %s", path, strerror(e));
	}
	free(host);
	return r;
}

static int hd_list(struct guest_fs *fs, const char *path, char ***names_ret,
		   size_t *n_ret)
{
	char *host;
	int r = resolve_host(fs, path, false, &host, NULL, NULL);
	if (r != GUEST_OK)
		return r;
	DIR *d = opendir(host);
	int e = errno;
	free(host);
	if (d == NULL)
		return guest_int_fs_fail(fs, guest_int_errno_class(e), "%s: %s",
					 path, strerror(e));
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL)
				goto nomem;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	closedir(d);
	*names_ret = names;
	*n_ret = n;
	return GUEST_OK;
nomem:
	closedir(d);
	guest_names_free(names, n);
	return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory", path);
}

static int hd_rename(struct guest_fs *fs, const char *from, const char *to)
{
	char *hfrom, *hto;
	int r = resolve_host(fs, from, false, &hfrom, NULL, NULL);
	if (r != GUEST_OK)
		return r;
	r = resolve_host(fs, to, true, &hto, NULL, NULL);
	if (r != GUEST_OK) {
		free(hfrom);
		return r;
	}
	if (rename(hfrom, hto) != 0) {
		int e = errno;
		r = guest_int_fs_fail(fs, guest_int_errno_class(e),
				      "rename %s to %s: %s", from, to,
				      strerror(e));
	} else if (hvo_int_fsync_parent_dir(hto) != 0) {
		r = guest_int_fs_fail(fs, GUEST_E_IO, "rename %s to %s: fsync",
				      from, to);
	}
	free(hfrom);
	free(hto);
	return r;
}

static int hd_remove(struct guest_fs *fs, const char *path)
{
	char *host;
	int r = resolve_host(fs, path, false, &host, NULL, NULL);
	if (r != GUEST_OK)
		return r;
	struct stat st;
	int rc = lstat(host, &st) == 0 && S_ISDIR(st.st_mode) ? rmdir(host)
							      : unlink(host);
	if (rc != 0) {
		int e = errno;
		r = guest_int_fs_fail(fs, guest_int_errno_class(e),
				      "%s: remove: %s", path, strerror(e));
	}
	free(host);
	return r;
}

static int hd_copy_out(struct guest_fs *fs, const char *path,
		       const char *host_path)
{
	int in;
	uint64_t size;
	int r = open_file(fs, path, &in, &size);
	if (r != GUEST_OK)
		return r;
	int out =
		open(host_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		int e = errno;
		close(in);
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", host_path,
					 strerror(e));
	}
	int e = copy_fd(in, out);
	close(in);
	if (close(out) != 0 && e == 0)
		e = errno;
	if (e != 0)
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s to %s: %s", path,
					 host_path, strerror(e));
	return GUEST_OK;
}

static int hd_copy_in_atomic(struct guest_fs *fs, const char *host_path,
			     const char *path)
{
	int in = open(host_path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		int e = errno;
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", host_path,
					 strerror(e));
	}
	int r = atomic_replace(fs, path, NULL, 0, in);
	close(in);
	return r;
}

/* Security descriptors: kept in a user extended attribute of the host
 * file, where the host filesystem has them. */
#define HOSTDIR_SD_XATTR "user.hvoffline.ntfs_acl"

static int sd_fail(struct guest_fs *fs, const char *path, int e)
{
	if (e == ENOTSUP)
		return guest_int_fs_fail(fs, GUEST_E_UNSUPPORTED,
					 "%s: the host directory keeps no "
					 "security descriptors (no user "
					 "extended attributes)",
					 path);
	if (e == ENODATA)
		return guest_int_fs_fail(fs, GUEST_E_NOENT,
					 "%s: no security descriptor", path);
	return guest_int_fs_fail(fs, guest_int_errno_class(e), "%s: %s", path,
				 strerror(e));
}

static int hd_get_sd(struct guest_fs *fs, const char *path, uint8_t **sd_ret,
		     size_t *len_ret)
{
	char *host;
	int r = resolve_host(fs, path, false, &host, NULL, NULL);
	if (r != GUEST_OK)
		return r;
	ssize_t n = lgetxattr(host, HOSTDIR_SD_XATTR, NULL, 0);
	uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
	if (n > 0 && buf != NULL)
		n = lgetxattr(host, HOSTDIR_SD_XATTR, buf, (size_t)n);
	int e = n < 0 ? errno : n == 0 ? ENODATA : buf == NULL ? ENOMEM : 0;
	free(host);
	if (e != 0) {
		free(buf);
		return sd_fail(fs, path, e);
	}
	*sd_ret = buf;
	*len_ret = (size_t)n;
	return GUEST_OK;
}

static int hd_set_sd(struct guest_fs *fs, const char *path, const uint8_t *sd,
		     size_t len)
{
	char *host;
	int r = resolve_host(fs, path, false, &host, NULL, NULL);
	if (r != GUEST_OK)
		return r;
	int e = lsetxattr(host, HOSTDIR_SD_XATTR, sd, len, 0) == 0 ? 0 : errno;
	free(host);
	return e == 0 ? GUEST_OK : sd_fail(fs, path, e);
}

static void hd_close(struct guest_fs *fs)
{
	struct hostdir_fs *h = H(fs);
	free(h->root);
	free(h);
}

static const struct guest_fs_ops hostdir_fs_ops = {
	.resolve = hd_resolve,
	.stat = hd_stat,
	.read = hd_read,
	.pread = hd_pread,
	.write_atomic = hd_write_atomic,
	.mkdir = hd_mkdir,
	.list = hd_list,
	.rename = hd_rename,
	.remove = hd_remove,
	.copy_out = hd_copy_out,
	.copy_in_atomic = hd_copy_in_atomic,
	.close = hd_close,
	.get_sd = hd_get_sd,
	.set_sd = hd_set_sd,
};

static int hostdir_fs_new(const char *root, bool readonly,
			  struct guest_fs **fs_ret)
{
	*fs_ret = NULL;
	struct stat st;
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
		return GUEST_E_NOENT;
	struct hostdir_fs *h = calloc(1, sizeof(*h));
	if (h == NULL || (h->root = strdup(root)) == NULL) {
		free(h);
		return GUEST_E_NOMEM;
	}
	h->base.ops = &hostdir_fs_ops;
	h->base.readonly = readonly;
	snprintf(h->base.name, sizeof(h->base.name), "%s", root);
	*fs_ret = &h->base;
	return GUEST_OK;
}

int guest_hostdir_fs_open(const char *root, bool readonly,
			  struct guest_fs **fs_ret)
{
	return hostdir_fs_new(root, readonly, fs_ret);
}

/* ------------------------------------------------------------------ */
/* Host-directory disks.                                               */
/* ------------------------------------------------------------------ */

struct hostdir_disk {
	struct guest_disk base;
	struct guest_hostdir_volume *spec; /* copied strings below */
	struct guest_fs **mounted;
};

static struct hostdir_disk *HD(struct guest_disk *d)
{
	return (struct hostdir_disk *)d;
}

static int hdd_pread(struct guest_disk *disk, size_t vol, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret)
{
	const struct guest_hostdir_volume *v = &HD(disk)->spec[vol];
	if (v->raw == NULL)
		return guest_int_disk_fail(
			disk, GUEST_E_UNSUPPORTED,
			"%s: volume %u has no raw bytes here", disk->name,
			v->partnum);
	int fd = open(v->raw, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return guest_int_disk_fail(disk, GUEST_E_IO, "%s: %s", v->raw,
					   strerror(e));
	}
	/* Beyond the raw file, the volume reads as zeroes up to its size. */
	ssize_t n = hvo_int_pread_full(fd, buf, len, off);
	int e = errno;
	close(fd);
	if (n < 0)
		return guest_int_disk_fail(disk, GUEST_E_IO, "%s: %s", v->raw,
					   strerror(e));
	size_t got = (size_t)n;
	uint64_t size = disk->layout.volumes[vol].size;
	if (got < len && off + got < size) {
		uint64_t room = size - (off + got);
		size_t fill = len - got < room ? len - got : (size_t)room;
		memset(buf + got, 0, fill);
		got += fill;
	}
	*got_ret = got;
	return GUEST_OK;
}

static int hdd_probe_rw(struct guest_disk *disk, size_t vol, int *code_ret)
{
	const struct guest_volume *v = &disk->layout.volumes[vol];
	if (strcmp(v->fstype, "ntfs") != 0)
		return guest_int_disk_fail(disk, GUEST_E_UNSUPPORTED,
					   "%s: volume %u is not NTFS",
					   disk->name, v->partnum);
	*code_ret = HD(disk)->spec[vol].rw_probe;
	return GUEST_OK;
}

static int hdd_mount(struct guest_disk *disk, size_t vol, bool readonly,
		     struct guest_fs **fs_ret)
{
	struct hostdir_disk *hd = HD(disk);
	const struct guest_hostdir_volume *v = &hd->spec[vol];
	if (v->root == NULL)
		return guest_int_disk_fail(disk, GUEST_E_MOUNT,
					   "%s: volume %u has no filesystem",
					   disk->name, v->partnum);
	if (!readonly && v->readonly_only)
		return guest_int_disk_fail(
			disk, GUEST_E_ROFS,
			"%s: volume %u mounts only read-only", disk->name,
			v->partnum);
	struct guest_fs *fs = hd->mounted[vol];
	if (fs != NULL && fs->readonly == readonly) {
		*fs_ret = fs;
		return GUEST_OK;
	}
	if (fs != NULL) {
		fs->owned_by_disk = false;
		guest_fs_close(fs);
		hd->mounted[vol] = NULL;
	}
	int r = hostdir_fs_new(v->root, readonly, &fs);
	if (r != GUEST_OK)
		return guest_int_disk_fail(disk, r, "%s: volume %u: %s: %s",
					   disk->name, v->partnum, v->root,
					   guest_strerror(r));
	fs->owned_by_disk = true;
	snprintf(fs->name, sizeof(fs->name), "%s",
		 disk->layout.volumes[vol].device);
	hd->mounted[vol] = fs;
	*fs_ret = fs;
	return GUEST_OK;
}

static void hdd_close(struct guest_disk *disk)
{
	struct hostdir_disk *hd = HD(disk);
	for (size_t i = 0; i < disk->layout.nvolumes; i++) {
		if (hd->mounted != NULL && hd->mounted[i] != NULL) {
			hd->mounted[i]->owned_by_disk = false;
			guest_fs_close(hd->mounted[i]);
		}
		if (hd->spec != NULL) {
			free((char *)hd->spec[i].root);
			free((char *)hd->spec[i].raw);
		}
	}
	free(hd->mounted);
	free(hd->spec);
	free(disk->volumes);
	free(disk->name);
	free(hd);
}

static const struct guest_disk_ops hostdir_disk_ops = {
	.pread = hdd_pread,
	.probe_rw = hdd_probe_rw,
	.mount = hdd_mount,
	.close = hdd_close,
};

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int guest_hostdir_disk_open(const struct guest_hostdir_disk *spec,
			    struct guest_disk **disk_ret)
{
	*disk_ret = NULL;
	struct hostdir_disk *hd = calloc(1, sizeof(*hd));
	if (hd == NULL)
		return GUEST_E_NOMEM;
	struct guest_disk *d = &hd->base;
	d->ops = &hostdir_disk_ops;
	size_t n = spec->nvolumes;
	d->name = strdup(spec->name ? spec->name : "hostdir");
	d->volumes = calloc(n ? n : 1, sizeof(*d->volumes));
	hd->spec = calloc(n ? n : 1, sizeof(*hd->spec));
	hd->mounted = calloc(n ? n : 1, sizeof(*hd->mounted));
	if (d->name == NULL || d->volumes == NULL || hd->spec == NULL ||
	    hd->mounted == NULL)
		goto nomem;
	d->layout.ptable = spec->ptable;
	d->layout.size = spec->size;
	d->layout.volumes = d->volumes;
	for (size_t i = 0; i < n; i++) {
		const struct guest_hostdir_volume *sv = &spec->volumes[i];
		struct guest_volume *v = &d->volumes[i];
		d->layout.nvolumes = i + 1; /* what hdd_close() frees */
		hd->spec[i] = *sv;
		hd->spec[i].root = NULL;
		hd->spec[i].raw = NULL;
		if ((sv->root && !(hd->spec[i].root = strdup(sv->root))) ||
		    (sv->raw && !(hd->spec[i].raw = strdup(sv->raw))))
			goto nomem;
		v->partnum = sv->partnum;
		v->size = sv->size;
		v->mbr_id = sv->mbr_id;
		copy_str(v->fstype, sizeof(v->fstype), sv->fstype);
		copy_str(v->gpt_type, sizeof(v->gpt_type), sv->gpt_type);
		copy_str(v->gpt_guid, sizeof(v->gpt_guid), sv->gpt_guid);
		snprintf(v->device, sizeof(v->device), "%s#%u", "hostdir",
			 sv->partnum);
	}
	*disk_ret = d;
	return GUEST_OK;
nomem:
	hdd_close(d);
	return GUEST_E_NOMEM;
}

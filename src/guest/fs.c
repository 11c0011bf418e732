/*
 * fs.c - the backend-independent half of guest.h: path rules, read-only
 * enforcement, errors, and dispatch to the backend.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/guest_int.h"
#include "util/sha256.h"
#include "util/bytes.h"

/* Windows' own limit on a path (MAX_PATH without the \\?\ prefix is 260;
 * NTFS itself allows 32767 UTF-16 units). */
#define GUEST_PATH_MAX 4096

const char *guest_strerror(int err)
{
	static const char *const msgs[] = {
		[GUEST_OK] = "success",
		[GUEST_E_NOENT] = "no such file or directory",
		[GUEST_E_EXIST] = "a file is in the way",
		[GUEST_E_NOTDIR] = "not a directory",
		[GUEST_E_ISDIR] = "is a directory",
		[GUEST_E_ROFS] = "read-only filesystem",
		[GUEST_E_IO] = "I/O error",
		[GUEST_E_NOMEM] = "out of memory",
		[GUEST_E_PATH] = "invalid guest path",
		[GUEST_E_TOO_BIG] = "file too large",
		[GUEST_E_LAUNCH] = "the appliance did not launch",
		[GUEST_E_MOUNT] = "cannot mount the volume",
		[GUEST_E_UNSUPPORTED] = "not supported here",
		[GUEST_E_STATE] = "called in the wrong state",
	};
	if (err < 0 || (size_t)err >= HVO_ARRAY_SIZE(msgs) || msgs[err] == NULL)
		return "unknown guest error";
	return msgs[err];
}

enum hvo_exit guest_exit_class(int err)
{
	switch (err) {
	case GUEST_OK:
		return HVO_EXIT_OK;
	case GUEST_E_ROFS:
		/* The volume refuses writes: hibernated or unclean. */
		return HVO_EXIT_REFUSED;
	default:
		return HVO_EXIT_FAILED;
	}
}

int guest_int_errno_class(int e)
{
	switch (e) {
	case 0:
		return GUEST_OK;
	case ENOENT:
		return GUEST_E_NOENT;
	case EEXIST:
	case ENOTEMPTY:
		return GUEST_E_EXIST;
	case ENOTDIR:
		return GUEST_E_NOTDIR;
	case EISDIR:
		return GUEST_E_ISDIR;
	case EROFS:
	case EPERM:
	case EACCES:
		return GUEST_E_ROFS;
	case ENOMEM:
		return GUEST_E_NOMEM;
	case EFBIG:
		return GUEST_E_TOO_BIG;
	case ENAMETOOLONG:
	case EINVAL:
	case ELOOP:
		return GUEST_E_PATH;
	default:
		return GUEST_E_IO;
	}
}

static int vfail(char *buf, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int vfail(char *buf, int err, const char *fmt, va_list ap)
{
	vsnprintf(buf, GUEST_ERROR_MAX, fmt, ap);
	return err;
}

int guest_int_fs_fail(struct guest_fs *fs, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(fs->error, err, fmt, ap);
	va_end(ap);
	return err;
}

int guest_int_disk_fail(struct guest_disk *disk, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(disk->error, err, fmt, ap);
	va_end(ap);
	return err;
}

bool guest_name_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

int guest_int_path_split(const char *path, char **copy_ret,
			 const char **dir_ret, const char **base_ret)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return GUEST_E_NOMEM;
	char *slash = strrchr(copy, '/');
	if (slash == NULL) {
		*dir_ret = "";
		*base_ret = copy;
	} else {
		*slash = '\0';
		*dir_ret = copy;
		*base_ret = slash + 1;
	}
	*copy_ret = copy;
	return GUEST_OK;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void guest_int_names_sort(char **names, size_t n)
{
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
}

void guest_names_free(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

char *guest_int_tmp_name(const char *base)
{
	static unsigned counter;
	char *name;
	if (asprintf(&name, ".%s.hvo-%ld-%u", base, (long)getpid(), ++counter) <
	    0)
		return NULL;
	return name;
}

/*
 * Normalises a guest path into *@out_ret (caller frees): separators become
 * '/', a leading one is dropped, and every component is checked.
 */
static int normalise(struct guest_fs *fs, const char *path, char **out_ret)
{
	if (path == NULL)
		return guest_int_fs_fail(fs, GUEST_E_PATH, "(null): no path");
	size_t len = strlen(path);
	if (len > GUEST_PATH_MAX)
		return guest_int_fs_fail(fs, GUEST_E_PATH,
					 "%.64s...: path too long", path);
	char *out = malloc(len + 1);
	if (out == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
					 path);
	const char *p = path;
	if (*p == '/' || *p == '\\')
		p++;
	size_t o = 0;
	while (*p != '\0') {
		const char *start = p;
		while (*p != '\0' && *p != '/' && *p != '\\') {
			unsigned char c = (unsigned char)*p;
			if (c < 0x20 || c == 0x7f || c == ':') {
				free(out);
				return guest_int_fs_fail(
					fs, GUEST_E_PATH,
					"%s: character 0x%02x is not allowed "
					"in a guest path",
					path, c);
			}
			p++;
		}
		size_t n = (size_t)(p - start);
		if (n == 0 || (n == 1 && start[0] == '.') ||
		    (n == 2 && start[0] == '.' && start[1] == '.')) {
			free(out);
			return guest_int_fs_fail(
				fs, GUEST_E_PATH,
				"%s: empty, '.' or '..' component", path);
		}
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, start, n);
		o += n;
		if (*p != '\0') {
			p++;
			/* One trailing separator is allowed ("dir\"). */
			if (*p == '\0')
				break;
		}
	}
	out[o] = '\0';
	*out_ret = out;
	return GUEST_OK;
}

static int check_writable(struct guest_fs *fs, const char *path)
{
	if (fs->readonly)
		return guest_int_fs_fail(fs, GUEST_E_ROFS,
					 "%s: %s is mounted read-only", path,
					 fs->name);
	return GUEST_OK;
}

const char *guest_fs_name(const struct guest_fs *fs)
{
	return fs->name;
}

bool guest_fs_readonly(const struct guest_fs *fs)
{
	return fs->readonly;
}

const char *guest_fs_errmsg(const struct guest_fs *fs)
{
	return fs->error;
}

int guest_fs_resolve(struct guest_fs *fs, const char *path, bool may_be_missing,
		     char **real_ret)
{
	char *norm;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	r = fs->ops->resolve(fs, norm, may_be_missing, real_ret);
	free(norm);
	return r;
}

int guest_fs_stat(struct guest_fs *fs, const char *path, struct guest_stat *st)
{
	char *norm;
	memset(st, 0, sizeof(*st));
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	r = fs->ops->stat(fs, norm, st);
	free(norm);
	return r;
}

bool guest_fs_exists(struct guest_fs *fs, const char *path)
{
	struct guest_stat st;
	return guest_fs_stat(fs, path, &st) == GUEST_OK;
}

int guest_fs_read(struct guest_fs *fs, const char *path, size_t max,
		  uint8_t **buf_ret, size_t *len_ret)
{
	char *norm;
	*buf_ret = NULL;
	*len_ret = 0;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	r = fs->ops->read(fs, norm, max, buf_ret, len_ret);
	free(norm);
	return r;
}

int guest_fs_pread(struct guest_fs *fs, const char *path, uint64_t off,
		   size_t len, uint8_t *buf, size_t *got_ret)
{
	char *norm;
	*got_ret = 0;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	r = fs->ops->pread(fs, norm, off, len, buf, got_ret);
	free(norm);
	return r;
}

int guest_fs_write_atomic(struct guest_fs *fs, const char *path,
			  const void *data, size_t len)
{
	char *norm;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	if (norm[0] == '\0')
		r = guest_int_fs_fail(fs, GUEST_E_ISDIR, "%s: is the root",
				      path);
	else
		r = check_writable(fs, path);
	if (r == GUEST_OK)
		r = fs->ops->write_atomic(fs, norm, data, len);
	free(norm);
	return r;
}

/*
 * One component at a time: each prefix is looked up as it exists (in its
 * stored spelling) and only a missing one is created, so that
 * "windows\\Logs" adds Logs inside the existing "Windows".
 */
static int mkdir_walk(struct guest_fs *fs, char *norm)
{
	int r = GUEST_OK;
	for (char *p = norm;; p++) {
		bool end = *p == '\0';
		if (!end && *p != '/')
			continue;
		*p = '\0';
		struct guest_stat st;
		r = fs->ops->stat(fs, norm, &st);
		if (r == GUEST_E_NOENT)
			r = fs->ops->mkdir(fs, norm);
		else if (r == GUEST_OK && st.type != GUEST_FT_DIR)
			r = guest_int_fs_fail(
				fs, end ? GUEST_E_EXIST : GUEST_E_NOTDIR,
				"%s: exists and is not a directory", norm);
		if (r != GUEST_OK || end)
			return r;
		*p = '/';
	}
}

int guest_fs_mkdir_p(struct guest_fs *fs, const char *path)
{
	char *norm;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	r = check_writable(fs, path);
	if (r == GUEST_OK && norm[0] != '\0')
		r = mkdir_walk(fs, norm);
	free(norm);
	return r;
}

int guest_fs_list(struct guest_fs *fs, const char *path, char ***names_ret,
		  size_t *n_ret)
{
	char *norm;
	*names_ret = NULL;
	*n_ret = 0;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	r = fs->ops->list(fs, norm, names_ret, n_ret);
	free(norm);
	if (r == GUEST_OK)
		guest_int_names_sort(*names_ret, *n_ret);
	return r;
}

int guest_fs_rename(struct guest_fs *fs, const char *from, const char *to)
{
	char *nfrom = NULL, *nto = NULL;
	int r = normalise(fs, from, &nfrom);
	if (r == GUEST_OK)
		r = normalise(fs, to, &nto);
	if (r == GUEST_OK && (nfrom[0] == '\0' || nto[0] == '\0'))
		r = guest_int_fs_fail(fs, GUEST_E_PATH,
				      "%s: cannot rename the root", from);
	if (r == GUEST_OK)
		r = check_writable(fs, from);
	if (r == GUEST_OK)
		r = fs->ops->rename(fs, nfrom, nto);
	free(nfrom);
	free(nto);
	return r;
}

int guest_fs_remove(struct guest_fs *fs, const char *path)
{
	char *norm;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	if (norm[0] == '\0')
		r = guest_int_fs_fail(fs, GUEST_E_PATH,
				      "%s: cannot remove the root", path);
	else
		r = check_writable(fs, path);
	if (r == GUEST_OK)
		r = fs->ops->remove(fs, norm);
	free(norm);
	return r;
}

int guest_fs_copy_out(struct guest_fs *fs, const char *path,
		      const char *host_path)
{
	char *norm;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	r = fs->ops->copy_out(fs, norm, host_path);
	free(norm);
	return r;
}

int guest_fs_readlink(struct guest_fs *fs, const char *path, char **target_ret)
{
	char *norm;
	*target_ret = NULL;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	if (fs->ops->readlink == NULL)
		r = guest_int_fs_fail(fs, GUEST_E_UNSUPPORTED,
				      "%s: no symbolic links on %s", path,
				      fs->name);
	else
		r = fs->ops->readlink(fs, norm, target_ret);
	free(norm);
	return r;
}

int guest_fs_copy_in_atomic(struct guest_fs *fs, const char *host_path,
			    const char *path)
{
	char *norm;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	if (norm[0] == '\0')
		r = guest_int_fs_fail(fs, GUEST_E_ISDIR, "%s: is the root",
				      path);
	else
		r = check_writable(fs, path);
	if (r == GUEST_OK)
		r = fs->ops->copy_in_atomic(fs, host_path, norm);
	free(norm);
	return r;
}

static int write_new(struct guest_fs *fs, const char *path, const void *data,
		     size_t len, const char *host_path)
{
	char *norm;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	if (norm[0] == '\0')
		r = guest_int_fs_fail(fs, GUEST_E_ISDIR, "%s: is the root",
				      path);
	else
		r = check_writable(fs, path);
	if (r == GUEST_OK && fs->ops->write_new != NULL)
		r = fs->ops->write_new(fs, norm, data, len, host_path);
	else if (r == GUEST_OK && host_path != NULL)
		r = fs->ops->copy_in_atomic(fs, host_path, norm);
	else if (r == GUEST_OK)
		r = fs->ops->write_atomic(fs, norm, data, len);
	free(norm);
	return r;
}

int guest_fs_write_new(struct guest_fs *fs, const char *path, const void *data,
		       size_t len)
{
	return write_new(fs, path, data, len, NULL);
}

int guest_fs_copy_in(struct guest_fs *fs, const char *host_path,
		     const char *path)
{
	return write_new(fs, path, NULL, 0, host_path);
}

int guest_fs_put_many(struct guest_fs *fs, const struct guest_put *items,
		      size_t n)
{
	if (n == 0)
		return GUEST_OK;
	int r = check_writable(fs, items[0].path);
	if (r != GUEST_OK)
		return r;
	if (fs->ops->put_many == NULL) {
		for (size_t i = 0; i < n && r == GUEST_OK; i++)
			r = write_new(fs, items[i].path, items[i].data,
				      items[i].len, items[i].host_path);
		return r;
	}
	struct guest_put *v = calloc(n, sizeof(*v));
	char **norm = calloc(n, sizeof(*norm));
	if (v == NULL || norm == NULL) {
		free(v);
		free(norm);
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && r == GUEST_OK; i++) {
		r = normalise(fs, items[i].path, &norm[i]);
		if (r == GUEST_OK && norm[i][0] == '\0')
			r = guest_int_fs_fail(fs, GUEST_E_ISDIR,
					      "%s: is the root", items[i].path);
		v[i] = items[i];
		v[i].path = norm[i];
	}
	if (r == GUEST_OK)
		r = fs->ops->put_many(fs, v, n);
	for (size_t i = 0; i < n; i++)
		free(norm[i]);
	free(norm);
	free(v);
	return r;
}

int guest_fs_sha256_many(struct guest_fs *fs, const char *const *paths,
			 size_t n, struct guest_digest *out)
{
	char **norm = calloc(n ? n : 1, sizeof(*norm));
	if (norm == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	int r = GUEST_OK;
	for (size_t i = 0; i < n && r == GUEST_OK; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		r = normalise(fs, paths[i], &norm[i]);
	}
	if (r == GUEST_OK && fs->ops->sha256_many != NULL &&
	    fs->ops->sha256_many(fs, (const char *const *)norm, n, out) ==
		    GUEST_OK)
		goto out;
	/* One by one: the backend has no batch, or the batch met something
	 * it does not handle (it is then asked again path by path, so the
	 * error names the path). */
	for (size_t i = 0; i < n && r == GUEST_OK; i++) {
		struct guest_stat st;
		r = fs->ops->stat(fs, norm[i], &st);
		if (r == GUEST_E_NOENT || r == GUEST_E_NOTDIR) {
			r = GUEST_OK;
			out[i].exists = false;
			continue;
		}
		if (r == GUEST_OK && st.type != GUEST_FT_FILE)
			r = guest_int_fs_fail(fs, GUEST_E_ISDIR,
					      "%s: not a regular file",
					      paths[i]);
		if (r == GUEST_OK)
			r = guest_fs_sha256(fs, paths[i], out[i].sha256,
					    &out[i].size);
		out[i].exists = r == GUEST_OK;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(norm[i]);
	free(norm);
	return r;
}

int guest_fs_sync(struct guest_fs *fs)
{
	if (fs->readonly || fs->ops->sync == NULL)
		return GUEST_OK;
	return fs->ops->sync(fs);
}

int guest_fs_sha256(struct guest_fs *fs, const char *path, uint8_t out[32],
		    uint64_t *size_ret)
{
	char *norm;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	if (fs->ops->sha256 != NULL) {
		r = fs->ops->sha256(fs, norm, out, size_ret);
	} else {
		uint8_t *buf;
		size_t len;
		r = fs->ops->read(fs, norm, GUEST_READ_MAX, &buf, &len);
		if (r == GUEST_OK) {
			hvo_int_sha256_buf(buf, len, out);
			*size_ret = len;
			free(buf);
		}
	}
	free(norm);
	return r;
}

int guest_fs_get_sd(struct guest_fs *fs, const char *path, uint8_t **sd_ret,
		    size_t *len_ret)
{
	*sd_ret = NULL;
	*len_ret = 0;
	if (fs->ops->get_sd == NULL)
		return guest_int_fs_fail(fs, GUEST_E_UNSUPPORTED,
					 "%s: %s keeps no security descriptors",
					 path, fs->name);
	char *norm;
	int r = normalise(fs, path, &norm);
	if (r != GUEST_OK)
		return r;
	r = fs->ops->get_sd(fs, norm, sd_ret, len_ret);
	free(norm);
	return r;
}

int guest_fs_set_sd(struct guest_fs *fs, const char *path, const uint8_t *sd,
		    size_t len)
{
	if (fs->ops->set_sd == NULL)
		return guest_int_fs_fail(fs, GUEST_E_UNSUPPORTED,
					 "%s: %s keeps no security descriptors",
					 path, fs->name);
	char *norm = NULL;
	int r = normalise(fs, path, &norm);
	if (r == GUEST_OK && (r = check_writable(fs, norm)) == GUEST_OK)
		r = fs->ops->set_sd(fs, norm, sd, len);
	free(norm);
	return r;
}

void guest_fs_close(struct guest_fs *fs)
{
	if (fs == NULL || fs->owned_by_disk)
		return;
	fs->ops->close(fs);
}

/* ------------------------------------------------------------------ */
/* Disks.                                                              */
/* ------------------------------------------------------------------ */

const char *guest_ptable_name(enum guest_ptable t)
{
	switch (t) {
	case GUEST_PTABLE_NONE:
		return "none";
	case GUEST_PTABLE_MBR:
		return "mbr";
	case GUEST_PTABLE_GPT:
		return "gpt";
	default:
		return "other";
	}
}

const char *guest_disk_name(const struct guest_disk *disk)
{
	return disk->name;
}

const char *guest_disk_errmsg(const struct guest_disk *disk)
{
	return disk->error;
}

const struct guest_disk_layout *guest_disk_layout(const struct guest_disk *d)
{
	return &d->layout;
}

static int check_vol(struct guest_disk *disk, size_t vol)
{
	if (vol >= disk->layout.nvolumes)
		return guest_int_disk_fail(
			disk, GUEST_E_NOENT,
			"%s: no volume %zu (the disk has %zu)", disk->name, vol,
			disk->layout.nvolumes);
	return GUEST_OK;
}

int guest_disk_pread(struct guest_disk *disk, size_t vol, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret)
{
	*got_ret = 0;
	int r = check_vol(disk, vol);
	if (r != GUEST_OK)
		return r;
	return disk->ops->pread(disk, vol, off, len, buf, got_ret);
}

int guest_disk_probe_rw(struct guest_disk *disk, size_t vol, int *code_ret)
{
	*code_ret = -1;
	int r = check_vol(disk, vol);
	if (r != GUEST_OK)
		return r;
	return disk->ops->probe_rw(disk, vol, code_ret);
}

int guest_disk_mount(struct guest_disk *disk, size_t vol, bool readonly,
		     struct guest_fs **fs_ret)
{
	*fs_ret = NULL;
	int r = check_vol(disk, vol);
	if (r != GUEST_OK)
		return r;
	return disk->ops->mount(disk, vol, readonly, fs_ret);
}

void guest_disk_close(struct guest_disk *disk)
{
	if (disk == NULL || disk->owned_by_session)
		return;
	disk->ops->close(disk);
}

const char *guest_ntfs_probe_meaning(int code)
{
	/* ntfs-3g.probe(8), EXIT CODES. */
	switch (code) {
	case 0:
		return "can be mounted";
	case 11:
		return "probe syntax error";
	case 12:
		return "not a valid NTFS";
	case 13:
		return "inconsistent NTFS or device fault";
	case 14:
		return "hibernated (or shut down with Fast Startup)";
	case 15:
		return "not cleanly unmounted";
	case 16:
		return "already opened exclusively by other software";
	case 17:
		return "unset-up software RAID member";
	case 19:
		return "not enough privilege";
	case 20:
		return "out of memory";
	default:
		return "cannot be mounted";
	}
}

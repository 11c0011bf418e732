/*
 * native_fs.c - the reading half of a guest_fs on libntfs-3g: resolve,
 * stat, read, pread, list, SHA-256 and copy-out.
 *
 * A file's content is its unnamed $DATA attribute, read with
 * ntfs_attr_pread (LZNT1-compressed and sparse files included).  Files
 * whose unnamed stream is not their content are refused instead of read
 * wrong: encrypted files (EFS) and files under a reparse point, such as
 * the CompactOS "system compression" of Windows 10 (the Windows Overlay
 * Filter keeps the data in a "WofCompressedData" stream that only the
 * FUSE driver's plugin decodes).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guest/native_int.h"
#include "util/sha256.h"

/* Bytes moved per libntfs-3g call when streaming a file. */
#define NATIVE_CHUNK (1024u * 1024)

int native_int_fs_resolve(struct guest_fs *fs, const char *path,
			  bool may_be_missing, char **real_ret)
{
	struct native_fs *nf = native_int_fs(fs);
	*real_ret = NULL;
	if (path[0] == '\0') {
		*real_ret = strdup("");
		return *real_ret ? GUEST_OK
				 : guest_int_fs_fail(fs, GUEST_E_NOMEM,
						     "out of memory");
	}
	char *copy;
	const char *dir, *base;
	int r = guest_int_path_split(path, &copy, &dir, &base);
	if (r != GUEST_OK)
		return guest_int_fs_fail(fs, r, "out of memory");
	ntfs_inode *ni;
	char *real_dir;
	r = native_int_walk(nf, dir, &ni, &real_dir);
	if (r != GUEST_OK) {
		free(copy);
		return r;
	}
	MFT_REF mref = 0;
	char *stored = NULL;
	if (!native_int_is_dir(ni)) {
		r = guest_int_fs_fail(fs, GUEST_E_NOTDIR, "%s: not a directory",
				      path);
	} else if (native_int_lookup(nf, ni, base, &mref, &stored) != 0) {
		int e = errno;
		r = guest_int_fs_fail(fs, guest_int_errno_class(e), "%s: %s",
				      path, native_int_why(e));
	} else if (mref == 0 && !may_be_missing) {
		r = guest_int_fs_fail(fs, GUEST_E_NOENT,
				      "%s: no such file or directory", path);
	}
	ntfs_inode_close(ni);
	if (r == GUEST_OK &&
	    asprintf(real_ret, "%s%s%s", real_dir, real_dir[0] ? "/" : "",
		     stored ? stored : base) < 0) {
		*real_ret = NULL;
		r = guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	}
	free(stored);
	free(real_dir);
	free(copy);
	return r;
}

/* The size of @ni's unnamed $DATA (0 when it has none). */
static int data_size(ntfs_inode *ni, uint64_t *size_ret)
{
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (na == NULL) {
		if (errno == ENOENT) {
			*size_ret = 0;
			return 0;
		}
		return -1;
	}
	*size_ret = na->data_size < 0 ? 0 : (uint64_t)na->data_size;
	ntfs_attr_close(na);
	return 0;
}

int native_int_fs_stat(struct guest_fs *fs, const char *path,
		       struct guest_stat *st)
{
	struct native_fs *nf = native_int_fs(fs);
	memset(st, 0, sizeof(*st));
	ntfs_inode *ni;
	int r = native_int_walk(nf, path, &ni, NULL);
	if (r != GUEST_OK)
		return r;
	uint32_t tag = native_int_reparse_tag(ni);
	if (native_int_is_dir(ni)) {
		st->type = tag ? GUEST_FT_OTHER : GUEST_FT_DIR;
	} else if (tag != 0 && tag != NATIVE_REPARSE_TAG_WOF) {
		st->type = GUEST_FT_OTHER;
	} else {
		/* A system-compressed file is a regular file to Windows;
		 * reading or replacing it is refused below. */
		st->type = GUEST_FT_FILE;
		if (data_size(ni, &st->size) != 0) {
			int e = errno;
			r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", path,
					      native_int_why(e));
		}
	}
	ntfs_inode_close(ni);
	return r;
}

int native_int_open_data(struct native_fs *nf, const char *path,
			 ntfs_inode **ni_ret, ntfs_attr **na_ret)
{
	struct guest_fs *fs = &nf->base;
	*ni_ret = NULL;
	*na_ret = NULL;
	ntfs_inode *ni;
	int r = native_int_walk(nf, path, &ni, NULL);
	if (r != GUEST_OK)
		return r;
	uint32_t tag = native_int_reparse_tag(ni);
	if (native_int_is_dir(ni))
		r = guest_int_fs_fail(fs, GUEST_E_ISDIR, "%s: is a directory",
				      path);
	else if (tag == NATIVE_REPARSE_TAG_WOF)
		r = guest_int_fs_fail(fs, GUEST_E_SYSCOMPRESSED,
				      "%s: stored with Windows system "
				      "compression (CompactOS); its data is "
				      "not readable here",
				      path);
	else if (tag != 0)
		r = guest_int_fs_fail(fs, GUEST_E_UNSUPPORTED,
				      "%s: a reparse point (tag 0x%08x)", path,
				      tag);
	else if (ni->flags & FILE_ATTR_ENCRYPTED)
		r = guest_int_fs_fail(fs, GUEST_E_UNSUPPORTED,
				      "%s: encrypted (EFS)", path);
	if (r != GUEST_OK) {
		ntfs_inode_close(ni);
		return r;
	}
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (na == NULL) {
		int e = errno;
		ntfs_inode_close(ni);
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: $DATA: %s", path,
					 native_int_why(e));
	}
	*ni_ret = ni;
	*na_ret = na;
	return GUEST_OK;
}

/* A file's unnamed data attribute, open for reading, and its size. */
struct data {
	ntfs_inode *ni;
	ntfs_attr *na;
	uint64_t size; /* 0 for a (corrupt) negative size */
};

static int open_data(struct guest_fs *fs, const char *path, struct data *d)
{
	int r = native_int_open_data(native_int_fs(fs), path, &d->ni, &d->na);
	if (r == GUEST_OK)
		d->size = d->na->data_size < 0 ? 0 : (uint64_t)d->na->data_size;
	return r;
}

static void close_data(struct data *d)
{
	ntfs_attr_close(d->na);
	ntfs_inode_close(d->ni);
}

/* Reads exactly @len bytes at @off (within the data size). */
static int read_exact(struct guest_fs *fs, const char *path, ntfs_attr *na,
		      uint64_t off, size_t len, uint8_t *buf)
{
	size_t done = 0;
	while (done < len) {
		size_t want = len - done;
		if (want > NATIVE_CHUNK)
			want = NATIVE_CHUNK;
		s64 n = ntfs_attr_pread(na, (s64)(off + done), (s64)want,
					buf + done);
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			return guest_int_fs_fail(
				fs, GUEST_E_IO, "%s: read at %llu: %s", path,
				(unsigned long long)(off + done),
				n < 0 ? native_int_why(e) : "short read");
		}
		done += (size_t)n;
	}
	return GUEST_OK;
}

int native_int_fs_read(struct guest_fs *fs, const char *path, size_t max,
		       uint8_t **buf_ret, size_t *len_ret)
{
	*buf_ret = NULL;
	*len_ret = 0;
	struct data d;
	int r = open_data(fs, path, &d);
	if (r != GUEST_OK)
		return r;
	uint64_t size = d.size;
	if (size > max) {
		close_data(&d);
		return guest_int_fs_fail(fs, GUEST_E_TOO_BIG,
					 "%s: %llu bytes, more than %zu", path,
					 (unsigned long long)size, max);
	}
	uint8_t *buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		close_data(&d);
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	}
	r = read_exact(fs, path, d.na, 0, (size_t)size, buf);
	close_data(&d);
	if (r != GUEST_OK) {
		free(buf);
		return r;
	}
	buf[size] = '\0';
	*buf_ret = buf;
	*len_ret = (size_t)size;
	return GUEST_OK;
}

int native_int_fs_pread(struct guest_fs *fs, const char *path, uint64_t off,
			size_t len, uint8_t *buf, size_t *got_ret)
{
	*got_ret = 0;
	struct data d;
	int r = open_data(fs, path, &d);
	if (r != GUEST_OK)
		return r;
	size_t n = 0;
	if (off < d.size)
		n = d.size - off < len ? (size_t)(d.size - off) : len;
	r = read_exact(fs, path, d.na, off, n, buf);
	close_data(&d);
	if (r == GUEST_OK)
		*got_ret = n;
	return r;
}

int native_int_fs_list(struct guest_fs *fs, const char *path, char ***names_ret,
		       size_t *n_ret)
{
	struct native_fs *nf = native_int_fs(fs);
	*names_ret = NULL;
	*n_ret = 0;
	ntfs_inode *ni;
	int r = native_int_walk(nf, path, &ni, NULL);
	if (r != GUEST_OK)
		return r;
	const struct native_dir *d = NULL;
	if (!native_int_is_dir(ni) || native_int_reparse_tag(ni) != 0) {
		r = guest_int_fs_fail(fs, GUEST_E_NOTDIR, "%s: not a directory",
				      path);
	} else if (native_int_dir_get(nf, ni, &d) != 0) {
		int e = errno;
		r = guest_int_fs_fail(fs, guest_int_errno_class(e), "%s: %s",
				      path, native_int_why(e));
	}
	ntfs_inode_close(ni);
	if (r != GUEST_OK)
		return r;
	char **names = calloc(d->n ? d->n : 1, sizeof(*names));
	if (names == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	for (size_t i = 0; i < d->n; i++) {
		names[i] = strdup(d->e[i].name);
		if (names[i] == NULL) {
			guest_names_free(names, i);
			return guest_int_fs_fail(fs, GUEST_E_NOMEM,
						 "out of memory");
		}
	}
	guest_int_names_sort(names, d->n);
	*names_ret = names;
	*n_ret = d->n;
	return GUEST_OK;
}

/* Streams @path's content to @sink in pieces. */
static int stream(struct native_fs *nf, const char *path,
		  int (*sink)(void *ctx, const uint8_t *p, size_t n), void *ctx,
		  uint64_t *size_ret)
{
	struct guest_fs *fs = &nf->base;
	struct data d;
	int r = open_data(fs, path, &d);
	if (r != GUEST_OK)
		return r;
	uint64_t size = d.size;
	size_t bufsize = size < NATIVE_CHUNK ? (size_t)size + 1 : NATIVE_CHUNK;
	uint8_t *buf = malloc(bufsize);
	if (buf == NULL) {
		close_data(&d);
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	}
	for (uint64_t off = 0; off < size && r == GUEST_OK;) {
		size_t n =
			size - off < bufsize ? (size_t)(size - off) : bufsize;
		r = read_exact(fs, path, d.na, off, n, buf);
		if (r == GUEST_OK && sink(ctx, buf, n) != 0)
			r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", path,
					      strerror(errno));
		off += n;
	}
	free(buf);
	close_data(&d);
	if (size_ret != NULL)
		*size_ret = size;
	return r;
}

static int sink_fd(void *ctx, const uint8_t *p, size_t n)
{
	int fd = *(int *)ctx;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int native_int_fs_copy_out(struct guest_fs *fs, const char *path,
			   const char *host_path)
{
	int fd =
		open(host_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return guest_int_fs_fail(fs, guest_int_errno_class(errno),
					 "%s: %s", host_path, strerror(errno));
	int r = stream(native_int_fs(fs), path, sink_fd, &fd, NULL);
	if (close(fd) != 0 && r == GUEST_OK)
		r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", host_path,
				      strerror(errno));
	return r;
}

static int sink_sha(void *ctx, const uint8_t *p, size_t n)
{
	hvo_int_sha256_update(ctx, p, n);
	return 0;
}

int native_int_fs_sha256(struct guest_fs *fs, const char *path, uint8_t out[32],
			 uint64_t *size_ret)
{
	struct hvo_sha256 ctx;
	hvo_int_sha256_init(&ctx);
	uint64_t size = 0;
	int r = stream(native_int_fs(fs), path, sink_sha, &ctx, &size);
	if (r != GUEST_OK)
		return r;
	hvo_int_sha256_final(&ctx, out);
	if (size_ret != NULL)
		*size_ret = size;
	return GUEST_OK;
}

int native_int_fs_sha256_many(struct guest_fs *fs, const char *const *paths,
			      size_t n, struct guest_digest *out)
{
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		struct guest_stat st;
		int r = native_int_fs_stat(fs, paths[i], &st);
		if (r == GUEST_E_NOENT || r == GUEST_E_NOTDIR)
			continue;
		if (r != GUEST_OK)
			return r;
		if (st.type != GUEST_FT_FILE)
			return guest_int_fs_fail(fs, GUEST_E_ISDIR,
						 "%s: not a regular file",
						 paths[i]);
		r = native_int_fs_sha256(fs, paths[i], out[i].sha256,
					 &out[i].size);
		if (r != GUEST_OK)
			return r;
		out[i].exists = true;
	}
	return GUEST_OK;
}

/*
 * fileio.c - careful host file I/O (see fileio.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/tmpname.h"

int hvo_int_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hvo_int_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

ssize_t hvo_int_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n =
			pread(fd, p + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int hvo_int_read_file(const char *path, size_t max, uint8_t **buf_ret,
		      size_t *len_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return EFBIG;
	}
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len + 1);
	if (buf == NULL) {
		close(fd);
		return ENOMEM;
	}
	ssize_t n = hvo_int_pread_full(fd, buf, len, 0);
	int e = n < 0 ? errno : 0;
	close(fd);
	if (n < 0) {
		free(buf);
		return e;
	}
	buf[n] = 0;
	*buf_ret = buf;
	*len_ret = (size_t)n;
	return 0;
}

int hvo_int_fsync_parent_dir(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return ENOMEM;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return errno;
	int e = fsync(fd) != 0 ? errno : 0;
	close(fd);
	/* Some filesystems cannot fsync a directory; that is not an error. */
	if (e == EINVAL || e == EROFS)
		e = 0;
	return e;
}

int hvo_int_atomic_open(const char *path, mode_t mode,
			struct hvo_atomic_file *af)
{
	af->fd = -1;
	af->no_sync = false;
	af->final_path = NULL;
	af->tmp_path = NULL;

	/* What an earlier writer of @path left behind a crash goes first. */
	hvo_int_tmp_sweep(path);
	char *tmp;
	int fd = hvo_int_tmp_create(path, &tmp);
	if (fd < 0)
		return errno;
	if (fchmod(fd, mode) != 0) {
		int e = errno;
		close(fd);
		hvo_int_tmp_remove(tmp);
		free(tmp);
		return e;
	}
	af->final_path = strdup(path);
	if (af->final_path == NULL) {
		close(fd);
		hvo_int_tmp_remove(tmp);
		free(tmp);
		return ENOMEM;
	}
	af->fd = fd;
	af->tmp_path = tmp;
	return 0;
}

static void atomic_free(struct hvo_atomic_file *af)
{
	free(af->final_path);
	free(af->tmp_path);
	af->final_path = NULL;
	af->tmp_path = NULL;
	af->fd = -1;
}

void hvo_int_atomic_abort(struct hvo_atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	hvo_int_tmp_remove(af->tmp_path);
	atomic_free(af);
}

int hvo_int_atomic_commit(struct hvo_atomic_file *af)
{
	/* New data first, then the switch-over: fsync before rename so a
	 * crash cannot expose a renamed file whose blocks never reached disk.
	 * The descriptor (and its flock, which tells a sweeper the file is
	 * being written) stays open until the rename is done. */
	int e = 0;
	if (!af->no_sync && fsync(af->fd) != 0)
		e = errno;
	if (e == 0 && rename(af->tmp_path, af->final_path) != 0)
		e = errno;
	if (e != 0) {
		close(af->fd);
		hvo_int_tmp_remove(af->tmp_path);
		atomic_free(af);
		return e;
	}
	hvo_int_tmp_forget(af->tmp_path);
	if (close(af->fd) != 0)
		e = errno;
	int e2 = af->no_sync ? 0 : hvo_int_fsync_parent_dir(af->final_path);
	atomic_free(af);
	return e ? e : e2;
}

int hvo_int_mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path);
	if (p == NULL)
		return -1;
	int r = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		struct stat st;
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			r = -1;
		} else if (stat(p, &st) != 0) {
			r = -1;
		} else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			r = -1;
		}
		*s = c;
		if (r != 0 || c == '\0')
			break;
		while (s[1] == '/')
			s++;
	}
	int saved = errno;
	free(p);
	errno = saved;
	return r;
}

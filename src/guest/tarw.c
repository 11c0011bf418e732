/*
 * tarw.c - a minimal tar writer: regular files only, for sending many
 * files into the appliance in one call (guestfs_tar_in).
 *
 * Format: POSIX ustar (IEEE Std 1003.1-2008, "pax" utility, ustar
 * Interchange Format): a 512-byte header per member, the data padded to
 * 512 bytes, two zero blocks at the end.  A path that does not fit the
 * 100-byte name (plus the 155-byte prefix split at a '/') goes in a pax
 * extended header ('x' member with a "path" record) before its member,
 * which GNU tar in the appliance reads.
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/tarw.h"
#include "util/fileio.h"

#define BLOCK 512

/* Header fields (offset, length). */
#define H_NAME	   0
#define H_MODE	   100
#define H_UID	   108
#define H_GID	   116
#define H_SIZE	   124
#define H_MTIME	   136
#define H_CHKSUM   148
#define H_TYPEFLAG 156
#define H_MAGIC	   257
#define H_VERSION  263
#define H_PREFIX   345

static void octal(uint8_t *field, size_t len, uint64_t v)
{
	/* len-1 digits and a NUL. */
	field[len - 1] = '\0';
	for (size_t i = len - 1; i-- > 0;) {
		field[i] = (uint8_t)('0' + (v & 7));
		v >>= 3;
	}
}

static int header(int fd, const char *name, const char *prefix, char type,
		  uint64_t size)
{
	uint8_t h[BLOCK];
	memset(h, 0, sizeof(h));
	memcpy(h + H_NAME, name, strlen(name));
	if (prefix != NULL)
		memcpy(h + H_PREFIX, prefix, strlen(prefix));
	octal(h + H_MODE, 8, 0644);
	octal(h + H_UID, 8, 0);
	octal(h + H_GID, 8, 0);
	octal(h + H_SIZE, 12, size);
	octal(h + H_MTIME, 12, 0);
	h[H_TYPEFLAG] = (uint8_t)type;
	memcpy(h + H_MAGIC, "ustar", 6);
	memcpy(h + H_VERSION, "00", 2);
	/* The checksum is computed with its own field as spaces. */
	memset(h + H_CHKSUM, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += h[i];
	octal(h + H_CHKSUM, 7, sum);
	h[H_CHKSUM + 7] = ' ';
	return hvo_write_all(fd, h, sizeof(h));
}

static int pad(int fd, uint64_t size)
{
	static const uint8_t zero[BLOCK];
	size_t n = (size_t)((BLOCK - size % BLOCK) % BLOCK);
	return n ? hvo_write_all(fd, zero, n) : 0;
}

/* Splits @path into ustar's prefix and name when it fits. */
static bool split_path(const char *path, char *prefix, char *name)
{
	size_t len = strlen(path);
	if (len <= 100) {
		prefix[0] = '\0';
		strcpy(name, path);
		return true;
	}
	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		size_t pl = (size_t)(s - path);
		if (pl <= 155 && len - pl - 1 <= 100 && len - pl - 1 > 0) {
			memcpy(prefix, path, pl);
			prefix[pl] = '\0';
			strcpy(name, s + 1);
			return true;
		}
	}
	return false;
}

static int pax_path(int fd, const char *path)
{
	/* "%d path=%s\n" where %d counts the whole record, itself too. */
	size_t body = strlen(" path=") + strlen(path) + 1;
	size_t n = body + 1;
	for (;;) {
		char digits[24];
		size_t total = body + (size_t)snprintf(digits, sizeof(digits),
						       "%zu", n);
		if (total == n)
			break;
		n = total;
	}
	char *rec;
	if (asprintf(&rec, "%zu path=%s\n", n, path) < 0)
		return ENOMEM;
	int e = header(fd, "PaxHeader", NULL, 'x', strlen(rec));
	if (e == 0)
		e = hvo_write_all(fd, rec, strlen(rec));
	if (e == 0)
		e = pad(fd, strlen(rec));
	free(rec);
	return e;
}

int tarw_add(int fd, const char *path, const void *data, size_t len,
	     const char *host_path)
{
	int in = -1, e = 0;
	uint64_t size = len;
	if (host_path != NULL) {
		in = open(host_path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (in < 0)
			return errno;
		if (fstat(in, &st) != 0) {
			e = errno;
			close(in);
			return e;
		}
		size = (uint64_t)st.st_size;
	}
	char prefix[156], name[101];
	if (split_path(path, prefix, name)) {
		e = header(fd, name, prefix[0] ? prefix : NULL, '0', size);
	} else {
		/* The name field keeps a truncated name for readers without
		 * pax support; GNU tar takes the pax "path". */
		e = pax_path(fd, path);
		snprintf(name, sizeof(name), "%.100s", path);
		if (e == 0)
			e = header(fd, name, NULL, '0', size);
	}
	if (e == 0 && in >= 0) {
		uint8_t buf[65536];
		uint64_t done = 0;
		while (e == 0 && done < size) {
			ssize_t n = read(in, buf, sizeof(buf));
			if (n < 0) {
				e = errno;
			} else if (n == 0) {
				e = EIO; /* the file shrank */
			} else {
				size_t k = (uint64_t)n > size - done
						   ? (size_t)(size - done)
						   : (size_t)n;
				e = hvo_write_all(fd, buf, k);
				done += k;
			}
		}
	} else if (e == 0 && len > 0) {
		e = hvo_write_all(fd, data, len);
	}
	if (in >= 0)
		close(in);
	if (e == 0)
		e = pad(fd, size);
	return e;
}

int tarw_finish(int fd)
{
	static const uint8_t zero[2 * BLOCK];
	return hvo_write_all(fd, zero, sizeof(zero));
}

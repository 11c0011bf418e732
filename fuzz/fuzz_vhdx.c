/*
 * fuzz_vhdx.c - libFuzzer target for vhdx/: open (with log replay in
 * memory), information, allocation map, reads, check; and, when the input
 * asks for it, a writable open (log replay in place) with writes that must
 * read back, also after closing and reopening.
 *
 * A VHDX file is at least a few MiB, mostly zeros, while a fuzzer works
 * best on small inputs, so an input is either a whole image (starting with
 * "vhdxfile") or a compact description of one:
 *
 *   "VXFZ"  magic
 *   u8      flags (bit 0: also exercise the write path; bit 1: recompute
 *           the CRC-32C of headers, region tables and log entries after
 *           laying out the records, so that mutations get past the
 *           checksums to the checks behind them)
 *   u16     file size in units of 64 KiB (at most FUZZ_MAX_FILE)
 *   then records until the end: u32 offset (taken modulo the file size),
 *   u16 length, and that many bytes (cut at the end of the input),
 *
 * laid over a zero-filled file.  The image lives in a memfd; the parent of
 * a differencing image is not opened (the fuzzer must not reach files of
 * the host).
 *
 * Invariants checked beyond "no crash": ranges the map calls ZERO read as
 * zeros; a direct DATA extent reads as the file's bytes; data written
 * through a writable handle reads back, before and after reopening.
 */
#include <config.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/bytes.h"
#include "vhdx/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Big enough for a header section, log, metadata, BAT and some blocks. */
#define FUZZ_MAX_FILE (64u << 20)
#define FUZZ_READ     (64u << 10)

static void fix_crc(int fd, uint64_t off, size_t len, size_t csum_off)
{
	uint8_t *b = malloc(len);
	if (b == NULL)
		abort();
	if (pread(fd, b, len, (off_t)off) == (ssize_t)len) {
		put_le32(b + csum_off, 0);
		put_le32(b + csum_off, vhdx_int_crc32c(0, b, len));
		if (pwrite(fd, b, len, (off_t)off) != (ssize_t)len)
			abort();
	}
	free(b);
}

/* Recomputes the checksums a mutation broke (flags bit 1). */
static void fix_checksums(int fd, uint64_t fsize)
{
	uint8_t h[4096];
	uint64_t log_off = 0, log_len = 0;
	for (int i = 1; i <= 2; i++) {
		uint64_t at = i * 65536;
		if (pread(fd, h, sizeof(h), (off_t)at) != (ssize_t)sizeof(h) ||
		    memcmp(h, "head", 4) != 0)
			continue;
		fix_crc(fd, at, 4096, 4);
		log_len = get_le32(h + 68);
		log_off = get_le64(h + 72);
	}
	for (int i = 3; i <= 4; i++) {
		if (pread(fd, h, 4, (off_t)(i * 65536)) == 4 &&
		    memcmp(h, "regi", 4) == 0)
			fix_crc(fd, (uint64_t)i * 65536, 65536, 4);
	}
	if (log_len == 0 || log_off >= fsize || log_len > fsize - log_off)
		return;
	for (uint64_t pos = 0; pos + 4096 <= log_len; pos += 4096) {
		if (pread(fd, h, 16, (off_t)(log_off + pos)) != 16 ||
		    memcmp(h, "loge", 4) != 0)
			continue;
		uint32_t len = get_le32(h + 8);
		if (len >= 4096 && len % 4096 == 0 && len <= log_len - pos)
			fix_crc(fd, log_off + pos, len, 4);
	}
}

static int make_file(const uint8_t *data, size_t size, bool *write_path)
{
	int fd = memfd_create("fuzz.vhdx", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	*write_path = false;
	if (size >= 8 && memcmp(data, "vhdxfile", 8) == 0) {
		if (pwrite(fd, data, size, 0) != (ssize_t)size)
			abort();
		return fd;
	}
	if (size < 7 || memcmp(data, "VXFZ", 4) != 0) {
		close(fd);
		return -1;
	}
	*write_path = data[4] & 1;
	uint64_t fsize = (uint64_t)get_le16(data + 5) << 16;
	if (fsize == 0 || fsize > FUZZ_MAX_FILE)
		fsize = FUZZ_MAX_FILE;
	if (ftruncate(fd, (off_t)fsize) != 0)
		abort();
	size_t pos = 7;
	while (pos + 6 <= size) {
		uint64_t off = get_le32(data + pos) % fsize;
		size_t len = get_le16(data + pos + 4);
		pos += 6;
		if (len > size - pos)
			len = size - pos;
		if (len > fsize - off)
			len = (size_t)(fsize - off);
		if (pwrite(fd, data + pos, len, (off_t)off) != (ssize_t)len)
			abort();
		pos += len;
	}
	if (data[4] & 2)
		fix_checksums(fd, fsize);
	return fd;
}

static void read_paths(struct vhdx_image *img, uint8_t *buf)
{
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	uint64_t vs = in.virtual_size;
	/* The map, with its invariants, over the first extents. */
	uint64_t off = 0;
	for (int i = 0; i < 64 && off < vs; i++) {
		struct vhdx_extent x;
		if (vhdx_map(img, off, vs - off, &x) != VHDX_OK)
			break;
		if (x.length == 0 || x.offset != off)
			abort();
		size_t n = x.length < FUZZ_READ ? (size_t)x.length : FUZZ_READ;
		if (vhdx_pread(img, buf, n, off) == VHDX_OK) {
			if (x.kind == VHDX_EXTENT_ZERO) {
				for (size_t k = 0; k < n; k++)
					if (buf[k] != 0)
						abort();
			} else if (x.direct && x.image == img) {
				uint8_t *f = malloc(n);
				if (f == NULL)
					abort();
				if (pread(vhdx_fd(img), f, n,
					  (off_t)x.file_offset) == (ssize_t)n &&
				    memcmp(f, buf, n) != 0)
					abort();
				free(f);
			}
		}
		off += x.length;
	}
	/* Reads at the edges, unaligned, and past the end. */
	vhdx_pread(img, buf, FUZZ_READ < vs ? FUZZ_READ : (size_t)vs, 0);
	if (vs > 1000)
		vhdx_pread(img, buf, 1000, vs - 1000);
	if (vs > 3 * 4096)
		vhdx_pread(img, buf, 2 * 4096 + 77, vs / 2 + 13);
	if (vhdx_pread(img, buf, 2, vs - 1) != VHDX_ERR_RANGE)
		abort();
	struct vhdx_check_report rep;
	if (vhdx_check(img, &rep) == VHDX_OK)
		vhdx_check_report_free(&rep);
	const char *k, *v;
	for (size_t i = 0; vhdx_parent_locator(img, i, &k, &v); i++)
		if (k == NULL || v == NULL)
			abort();
}

static void write_path(const char *path, uint8_t *buf)
{
	struct vhdx_image *img;
	struct vhdx_error err;
	if (vhdx_open(path, VHDX_OPEN_WRITE | VHDX_OPEN_NO_PARENT, NULL, &img,
		      &err) != VHDX_OK)
		return;
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	uint64_t vs = in.virtual_size;
	/* Three writes: the start, an unaligned middle, the end. */
	const uint64_t offs[3] = { 0, vs / 3 + 5, vs > 4096 ? vs - 4096 : 0 };
	const size_t lens[3] = { 4096, 10000, 4096 };
	bool ok[3] = { false, false, false };
	for (int i = 0; i < 3; i++) {
		size_t n = lens[i] < vs - offs[i] ? lens[i]
						  : (size_t)(vs - offs[i]);
		memset(buf, 0x41 + i, n);
		ok[i] = vhdx_pwrite(img, buf, n, offs[i]) == VHDX_OK;
	}
	bool flushed = vhdx_flush(img) == VHDX_OK;
	enum vhdx_err closed = vhdx_close(img, NULL);
	if (!flushed || closed != VHDX_OK)
		return;
	/* What was written reads back after reopening.  (Later writes may
	 * overlap earlier ones on a tiny disk: check in order.) */
	if (vhdx_open(path, VHDX_OPEN_NO_PARENT, NULL, &img, &err) != VHDX_OK)
		abort(); /* we produced a file we cannot open */
	for (int i = 0; i < 3; i++) {
		size_t n = lens[i] < vs - offs[i] ? lens[i]
						  : (size_t)(vs - offs[i]);
		if (!ok[i] || n == 0)
			continue;
		bool later = false;
		for (int j = i + 1; j < 3; j++)
			if (ok[j] && offs[j] < offs[i] + n &&
			    offs[i] < offs[j] + lens[j])
				later = true;
		if (later)
			continue;
		if (vhdx_pread(img, buf, n, offs[i]) == VHDX_OK)
			for (size_t k = 0; k < n; k++)
				if (buf[k] != 0x41 + i)
					abort();
	}
	vhdx_close(img, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool writes;
	int fd = make_file(data, size, &writes);
	if (fd < 0)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	uint8_t *buf = malloc(FUZZ_READ);
	if (buf == NULL)
		abort();
	struct vhdx_image *img;
	struct vhdx_error err;
	if (vhdx_open(path, VHDX_OPEN_NO_PARENT, NULL, &img, &err) == VHDX_OK) {
		read_paths(img, buf);
		vhdx_close(img, NULL);
	} else if (err.msg[0] == '\0') {
		abort(); /* every failure carries a message */
	}
	if (writes)
		write_path(path, buf);
	free(buf);
	close(fd);
	return 0;
}

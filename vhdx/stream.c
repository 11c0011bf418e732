/*
 * stream.c - the virtual disk to and from a file descriptor: what
 * `hvoffline vhdx read` and `vhdx write` do, beside the model they use.
 *
 * Reading walks the allocation map (vhdx_map): zero extents become holes
 * in a regular output file (or zeros in a pipe), extents that are plain
 * host-file bytes are copied inside the kernel (copy_file_range into a
 * file, splice into a pipe), and everything else goes through
 * vhdx_pread() (the parent chain, the in-memory log replay).  Writing
 * cuts the input into VHDX_STREAM_CHUNK writes, each one vhdx_pwrite().
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "vhdx/internal.h"

/* Buffer of large sequential reads. */
#define STREAM_READ_BUFFER (4u << 20)
/* Largest single copy_file_range()/splice() request. */
#define STREAM_KERNEL_COPY_MAX (1u << 30)

/* Copies @len bytes from @in_fd at @in_off to @out_fd at @out_off, inside
 * the kernel when it can (copy_file_range), else through *@buf (allocated
 * on first use, caller frees).  Returns 0 or an errno value; *@in_side
 * tells whether a failure was reading the image. */
static int copy_direct(int in_fd, uint64_t in_off, int out_fd, uint64_t out_off,
		       uint64_t len, uint8_t **buf, bool *use_cfr,
		       bool *in_side)
{
	while (len > 0 && *use_cfr) {
		loff_t io = (loff_t)in_off, oo = (loff_t)out_off;
		size_t want = len > STREAM_KERNEL_COPY_MAX
				      ? STREAM_KERNEL_COPY_MAX
				      : (size_t)len;
		ssize_t n = copy_file_range(in_fd, &io, out_fd, &oo, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Not supported here (or cross-filesystem on old
			 * kernels): fall back to read/write. */
			*use_cfr = false;
			break;
		}
		in_off += (uint64_t)n;
		out_off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	if (len > 0 && *buf == NULL &&
	    (*buf = malloc(STREAM_READ_BUFFER)) == NULL)
		return ENOMEM;
	while (len > 0) {
		size_t want = len > STREAM_READ_BUFFER ? STREAM_READ_BUFFER
						       : (size_t)len;
		ssize_t n = pread(in_fd, *buf, want, (off_t)in_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*in_side = true;
			return n < 0 ? errno : EIO;
		}
		int e = hvo_int_pwrite_all(out_fd, *buf, (size_t)n, out_off);
		if (e != 0)
			return e;
		in_off += (uint64_t)n;
		out_off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Streams file bytes into a pipe without copying them through user space
 * (splice); anything splice cannot take falls back to read/write.
 * Returns 0 or an errno value. */
static int splice_out(int in_fd, uint64_t in_off, int out_fd, uint64_t len,
		      uint8_t *buf, bool *use_splice, bool *in_side)
{
	while (len > 0 && *use_splice) {
		loff_t io = (loff_t)in_off;
		size_t want = len > STREAM_KERNEL_COPY_MAX
				      ? STREAM_KERNEL_COPY_MAX
				      : (size_t)len;
		ssize_t n = splice(in_fd, &io, out_fd, NULL, want,
				   SPLICE_F_MOVE | SPLICE_F_MORE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL) {
			*use_splice = false; /* not a pipe after all */
			break;
		}
		if (n <= 0)
			return n < 0 ? errno : EIO;
		in_off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	while (len > 0) {
		size_t want = len > STREAM_READ_BUFFER ? STREAM_READ_BUFFER
						       : (size_t)len;
		ssize_t n = pread(in_fd, buf, want, (off_t)in_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*in_side = true;
			return n < 0 ? errno : EIO;
		}
		int e = hvo_int_write_all(out_fd, buf, (size_t)n);
		if (e != 0)
			return e;
		in_off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Writes @n bytes of @buf at @pos (seekable) or at the descriptor's
 * position. */
static int put(int fd, bool seekable, const uint8_t *buf, size_t n,
	       uint64_t pos)
{
	return seekable ? hvo_int_pwrite_all(fd, buf, n, pos)
			: hvo_int_write_all(fd, buf, n);
}

/* One extent of the map to the output. */
struct copy_state {
	struct vhdx_image *img;
	int out;
	bool seekable, use_cfr, use_splice;
	uint8_t *buf, *zeros, *cbuf;
	int out_errno;
};

static enum vhdx_err copy_extent(struct copy_state *cs,
				 const struct vhdx_extent *x, uint64_t pos)
{
	struct vhdx_image *img = cs->img;
	int werr = 0;
	bool in_side = false;
	if (x->kind == VHDX_EXTENT_ZERO && cs->seekable) {
		/* A hole: the final ftruncate() sets the size. */
	} else if (x->kind == VHDX_EXTENT_ZERO) {
		for (uint64_t z = 0; z < x->length && werr == 0;) {
			size_t n = x->length - z > STREAM_READ_BUFFER
					   ? STREAM_READ_BUFFER
					   : (size_t)(x->length - z);
			werr = hvo_int_write_all(cs->out, cs->zeros, n);
			z += n;
		}
	} else if (x->direct && cs->seekable && x->image) {
		werr = copy_direct(vhdx_fd(x->image), x->file_offset, cs->out,
				   pos, x->length, &cs->cbuf, &cs->use_cfr,
				   &in_side);
	} else if (x->direct && cs->use_splice && x->image) {
		werr = splice_out(vhdx_fd(x->image), x->file_offset, cs->out,
				  x->length, cs->buf, &cs->use_splice,
				  &in_side);
	} else {
		for (uint64_t k = 0; k < x->length && werr == 0;) {
			size_t n = x->length - k > STREAM_READ_BUFFER
					   ? STREAM_READ_BUFFER
					   : (size_t)(x->length - k);
			enum vhdx_err r =
				vhdx_pread(img, cs->buf, n, x->offset + k);
			if (r != VHDX_OK)
				return r;
			werr = put(cs->out, cs->seekable, cs->buf, n, pos + k);
			k += n;
		}
	}
	if (werr == 0)
		return VHDX_OK;
	if (in_side)
		return vhdx_int_fail_errno(img, werr, "read %s", img->path);
	cs->out_errno = werr;
	return vhdx_int_fail_errno(img, werr, "write the output");
}

enum vhdx_err vhdx_copy_to_fd(struct vhdx_image *img, uint64_t offset,
			      uint64_t len, int out_fd, int *out_errno)
{
	*out_errno = 0;
	if (offset > img->virtual_size)
		return vhdx_int_fail(img, VHDX_ERR_RANGE,
				     "offset %llu is past the end of the disk",
				     (unsigned long long)offset);
	if (len > img->virtual_size - offset)
		len = img->virtual_size - offset;
	struct copy_state cs = { .img = img, .out = out_fd };
	struct stat st;
	/* A regular output file at a known position can take holes and
	 * in-kernel copies; a pipe or terminal gets every byte written. */
	off_t base = lseek(out_fd, 0, SEEK_CUR);
	bool have_st = fstat(out_fd, &st) == 0;
	cs.seekable = have_st && S_ISREG(st.st_mode) && base >= 0;
	cs.use_cfr = cs.seekable;
	cs.use_splice = have_st && S_ISFIFO(st.st_mode);
	/* A larger pipe means fewer wake-ups of the reader at the other
	 * end (best effort: the limit is /proc/sys/fs/pipe-max-size). */
	if (cs.use_splice)
		fcntl(out_fd, F_SETPIPE_SZ, 1 << 20);
	cs.buf = malloc(STREAM_READ_BUFFER);
	cs.zeros = calloc(1, STREAM_READ_BUFFER);
	enum vhdx_err r = VHDX_OK;
	if (cs.buf == NULL || cs.zeros == NULL)
		r = vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	for (uint64_t done = 0; r == VHDX_OK && done < len;) {
		struct vhdx_extent x = { 0 };
		r = vhdx_map(img, offset + done, len - done, &x);
		if (r == VHDX_OK)
			r = copy_extent(&cs, &x, (uint64_t)base + done);
		done += x.length;
	}
	if (r == VHDX_OK && cs.seekable) {
		off_t end = (off_t)((uint64_t)base + len);
		if (ftruncate(out_fd, end) != 0 ||
		    lseek(out_fd, end, SEEK_SET) < 0) {
			cs.out_errno = errno;
			r = vhdx_int_fail_errno(img, errno, "write the output");
		}
	}
	*out_errno = cs.out_errno;
	free(cs.cbuf);
	free(cs.buf);
	free(cs.zeros);
	return r;
}

enum vhdx_err vhdx_write_from_fd(struct vhdx_image *img, uint64_t offset,
				 int in_fd, uint64_t max_len,
				 uint64_t *written_ret, int *in_errno)
{
	*written_ret = 0;
	*in_errno = 0;
	/* Page-aligned, so whole-MiB writes can bypass the page cache. */
	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, VHDX_INT_DIRECT_ALIGN,
			   VHDX_STREAM_CHUNK) != 0)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	enum vhdx_err r = VHDX_OK;
	uint64_t pos = offset, total = 0;
	while (r == VHDX_OK && total < max_len) {
		size_t want = VHDX_STREAM_CHUNK;
		if (max_len - total < want)
			want = (size_t)(max_len - total);
		size_t got = 0;
		while (got < want) {
			ssize_t n = read(in_fd, buf + got, want - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				*in_errno = errno;
				r = vhdx_int_fail_errno(img, errno,
							"read the input");
				break;
			}
			if (n == 0)
				break;
			got += (size_t)n;
		}
		if (r != VHDX_OK || got == 0)
			break;
		r = vhdx_pwrite(img, buf, got, pos);
		if (r != VHDX_OK)
			break;
		pos += got;
		total += got;
		if (got < want)
			break;
	}
	free(buf);
	*written_ret = total;
	return r;
}

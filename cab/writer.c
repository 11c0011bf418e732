/*
 * writer.c - making one cabinet, stored or MSZIP.
 *
 * Members are listed first (file members are only stat()ed) and streamed
 * at cab_writer_finish, so memory stays at one 32 KiB block whatever the
 * sizes.  Members fill folders of at most 65535 blocks (the format's
 * limit, 2 GiB - 32 KiB); every block but the last of a folder holds
 * exactly 32 KiB, which is what readers that assume makecab's layout
 * (libmspack) need.  MSZIP blocks are raw deflate streams preceded by
 * "CK" and use the previous 32 KiB block as preset dictionary, like
 * makecab's output (readers that reset per block do not exist among the
 * ones we know; gcab/Wine writers reset, and every reader copes with
 * both).
 *
 * Crash safety: the cabinet is written under a temporary name beside the
 * target, data first and the header (which points at it) last, flushed,
 * then renamed into place (hvo_atomic_*).  A failure leaves nothing at
 * the final path.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cab/cab_internal.h"
#include "util/bytes.h"
#include "util/fileio.h"
#include "util/utf.h"

/* cFiles is 16 bits. */
#define WRITER_MAX_FILES 65535u
/* cFolders is 16 bits, but a cabinet is at most 4 GiB (cbCabinet). */
#define WRITER_MAX_CABINET 0xFFFFFFFFull
/* Largest MSZIP block: 32 KiB + 12 ([MS-MCI] 2.3). */
#define MSZIP_MAX_DATA (CAB_BLOCK_MAX + 12)

struct wfile {
	char *name; /* as stored: '\' separators */
	char *src;  /* host file, or NULL */
	uint8_t *data;
	uint32_t size;
	uint16_t date, time, attribs;
	unsigned folder;
	uint32_t offset;
};

struct cab_writer {
	int err;
	char errmsg[512];
	enum cab_write_method method;
	char *path;
	struct wfile *files;
	size_t nfiles, cap;
	unsigned nfolders;
	uint64_t folder_bytes;
	bool finished;
	/* Output state during finish. */
	struct hvo_atomic_file af;
	bool af_open;
	uint64_t pos;
	z_stream z;
	bool z_init;
	bool have_dict;
	uint8_t block[CAB_BLOCK_MAX];
	size_t block_len;
	uint8_t prev[CAB_BLOCK_MAX];
	uint8_t out[2 * CAB_BLOCK_MAX + 64];
	uint32_t folder_blocks;
};

static int werr(struct cab_writer *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int werr(struct cab_writer *w, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	w->err = err;
	return err;
}

const char *cab_writer_errmsg(const struct cab_writer *w)
{
	return w ? w->errmsg : "out of memory";
}

int cab_writer_open(const char *path, enum cab_write_method method,
		    struct cab_writer **w_ret)
{
	struct cab_writer *w = calloc(1, sizeof(*w));
	*w_ret = w;
	if (w == NULL)
		return CAB_ERR_NOMEM;
	w->af.fd = -1;
	if (method != CAB_WRITE_NONE && method != CAB_WRITE_MSZIP)
		return werr(w, CAB_ERR_INVALID, "unknown method %d",
			    (int)method);
	w->method = method;
	w->path = strdup(path);
	if (w->path == NULL)
		return werr(w, CAB_ERR_NOMEM, "out of memory");
	return 0;
}

static void dos_datetime(time_t t, uint16_t *date, uint16_t *tim)
{
	struct tm tm;
	if (localtime_r(&t, &tm) == NULL || tm.tm_year < 80) {
		*date = (0 << 9) | (1 << 5) | 1; /* 1980-01-01 */
		*tim = 0;
		return;
	}
	if (tm.tm_year > 207) {
		*date = (127 << 9) | (12 << 5) | 31; /* 2107-12-31 */
		*tim = (23 << 11) | (59 << 5) | 29;
		return;
	}
	*date = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 |
			   tm.tm_mday);
	*tim = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
}

static int add(struct cab_writer *w, const char *name, uint64_t size,
	       time_t mtime, uint16_t attribs, struct wfile **f_ret)
{
	if (w->err)
		return w->err;
	if (w->finished)
		return werr(w, CAB_ERR_INVALID, "cabinet already written");
	size_t nl = strlen(name);
	if (nl == 0 || nl >= CAB_NAME_MAX)
		return werr(w, CAB_ERR_INVALID,
			    "\"%s\": a member name has 1 to 255 bytes", name);
	if (!hvo_int_utf8_valid(name, nl))
		return werr(w, CAB_ERR_INVALID, "\"%s\": not valid UTF-8",
			    name);
	bool utf8 = false;
	for (size_t i = 0; i < nl; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch < 0x20 || ch == 0x7F)
			return werr(w, CAB_ERR_INVALID,
				    "\"%s\": control character in name", name);
		if (ch >= 0x80)
			utf8 = true;
	}
	if (w->nfiles >= WRITER_MAX_FILES)
		return werr(w, CAB_ERR_LIMIT, "more than %u members",
			    WRITER_MAX_FILES);
	if (size > CAB_FOLDER_MAX_BYTES)
		return werr(w, CAB_ERR_LIMIT,
			    "%s: %llu bytes: larger than a cabinet folder "
			    "can hold (%llu)",
			    name, (unsigned long long)size,
			    (unsigned long long)CAB_FOLDER_MAX_BYTES);
	if (w->nfiles == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 64;
		struct wfile *nf = realloc(w->files, nc * sizeof(*nf));
		if (nf == NULL)
			return werr(w, CAB_ERR_NOMEM, "out of memory");
		w->files = nf;
		w->cap = nc;
	}
	/* A member never spans folders: start a new one when it would
	 * overflow the current folder's 65535 blocks. */
	if (w->nfolders == 0 || w->folder_bytes + size > CAB_FOLDER_MAX_BYTES) {
		w->nfolders++;
		w->folder_bytes = 0;
	}
	struct wfile *f = &w->files[w->nfiles];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (f->name == NULL)
		return werr(w, CAB_ERR_NOMEM, "out of memory");
	for (char *p = f->name; *p; p++)
		if (*p == '/')
			*p = '\\';
	f->size = (uint32_t)size;
	f->folder = w->nfolders - 1;
	f->offset = (uint32_t)w->folder_bytes;
	w->folder_bytes += size;
	dos_datetime(mtime, &f->date, &f->time);
	f->attribs = (uint16_t)((attribs & ~CAB_ATTR_UTF_NAME) |
				(utf8 ? CAB_ATTR_UTF_NAME : 0));
	w->nfiles++;
	*f_ret = f;
	return 0;
}

int cab_writer_add_file(struct cab_writer *w, const char *name, const char *src)
{
	if (w == NULL)
		return CAB_ERR_INVALID;
	struct stat st;
	if (stat(src, &st) != 0)
		return werr(w, CAB_ERR_IO, "%s: %s", src, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return werr(w, CAB_ERR_INVALID, "%s: not a regular file", src);
	uint16_t attribs = CAB_ATTR_ARCHIVE;
	if (!(st.st_mode & 0222))
		attribs |= CAB_ATTR_READONLY;
	struct wfile *f;
	int err = add(w, name, (uint64_t)st.st_size, st.st_mtime, attribs, &f);
	if (err)
		return err;
	f->src = strdup(src);
	if (f->src == NULL)
		return werr(w, CAB_ERR_NOMEM, "out of memory");
	return 0;
}

int cab_writer_add_buffer(struct cab_writer *w, const char *name,
			  const void *data, size_t len, time_t mtime,
			  uint16_t attribs)
{
	if (w == NULL)
		return CAB_ERR_INVALID;
	struct wfile *f;
	int err = add(w, name, len, mtime, attribs, &f);
	if (err)
		return err;
	f->data = malloc(len ? len : 1);
	if (f->data == NULL)
		return werr(w, CAB_ERR_NOMEM, "out of memory");
	memcpy(f->data, data, len);
	return 0;
}

static int out_write(struct cab_writer *w, const void *buf, size_t len)
{
	if (w->pos + len > WRITER_MAX_CABINET)
		return werr(w, CAB_ERR_LIMIT,
			    "%s: the cabinet would exceed 4 GiB", w->path);
	int e = hvo_int_write_all(w->af.fd, buf, len);
	if (e)
		return werr(w, e == ENOSPC ? CAB_ERR_NOSPACE : CAB_ERR_IO,
			    "%s: write: %s", w->path, strerror(e));
	w->pos += len;
	return 0;
}

/* Compresses (or not) the pending block and writes it as one CFDATA. */
static int emit_block(struct cab_writer *w)
{
	const uint8_t *data = w->block;
	size_t dlen = w->block_len;
	if (w->method == CAB_WRITE_MSZIP) {
		uint8_t *o = w->out;
		o[0] = 'C';
		o[1] = 'K';
		if (deflateReset(&w->z) != Z_OK ||
		    (w->have_dict &&
		     deflateSetDictionary(&w->z, w->prev, CAB_BLOCK_MAX) !=
			     Z_OK))
			return werr(w, CAB_ERR_NOMEM, "zlib: deflate reset");
		w->z.next_in = w->block;
		w->z.avail_in = (uInt)w->block_len;
		w->z.next_out = o + 2;
		w->z.avail_out = (uInt)(sizeof(w->out) - 2);
		int r = deflate(&w->z, Z_FINISH);
		if (r != Z_STREAM_END)
			return werr(w, CAB_ERR_NOMEM, "zlib: deflate: %d", r);
		dlen = 2 + (sizeof(w->out) - 2 - w->z.avail_out);
		if (dlen > MSZIP_MAX_DATA) {
			/* Incompressible: one stored deflate block (BFINAL,
			 * BTYPE 00, LEN, NLEN) fits the limit. */
			o[2] = 1;
			put_le16(o + 3, (uint16_t)w->block_len);
			put_le16(o + 5, (uint16_t)~w->block_len);
			memcpy(o + 7, w->block, w->block_len);
			dlen = 7 + w->block_len;
		}
		data = o;
		/* Full blocks are the history of the next one. */
		if (w->block_len == CAB_BLOCK_MAX) {
			memcpy(w->prev, w->block, CAB_BLOCK_MAX);
			w->have_dict = true;
		}
	}
	uint8_t hdr[CFDATA_SIZE];
	put_le16(hdr + CFDATA_CBDATA, (uint16_t)dlen);
	put_le16(hdr + CFDATA_CBUNCOMP, (uint16_t)w->block_len);
	uint32_t sum = cab_int_checksum(data, dlen, 0);
	sum = cab_int_checksum(hdr + CFDATA_CBDATA, 4, sum);
	put_le32(hdr + CFDATA_CSUM, sum);
	int err;
	if ((err = out_write(w, hdr, sizeof(hdr))) ||
	    (err = out_write(w, data, dlen)))
		return err;
	w->block_len = 0;
	w->folder_blocks++;
	return 0;
}

static int feed(struct cab_writer *w, const uint8_t *p, size_t len)
{
	while (len > 0) {
		size_t n = CAB_BLOCK_MAX - w->block_len;
		if (n > len)
			n = len;
		memcpy(w->block + w->block_len, p, n);
		w->block_len += n;
		p += n;
		len -= n;
		if (w->block_len == CAB_BLOCK_MAX) {
			int err = emit_block(w);
			if (err)
				return err;
		}
	}
	return 0;
}

static int feed_file(struct cab_writer *w, const struct wfile *f)
{
	if (f->data)
		return feed(w, f->data, f->size);
	int fd = open(f->src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return werr(w, CAB_ERR_IO, "%s: %s", f->src, strerror(errno));
	uint64_t left = f->size;
	int err = 0;
	uint8_t buf[65536];
	while (left > 0 && !err) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t r = read(fd, buf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = werr(w, CAB_ERR_IO, "%s: %s", f->src,
				   r < 0 ? strerror(errno)
					 : "file shrank while being added");
			break;
		}
		err = feed(w, buf, (size_t)r);
		left -= (uint64_t)r;
	}
	close(fd);
	return err;
}

int cab_writer_finish(struct cab_writer *w)
{
	if (w == NULL)
		return CAB_ERR_INVALID;
	if (w->err)
		return w->err;
	if (w->finished)
		return werr(w, CAB_ERR_INVALID, "cabinet already written");
	if (w->nfiles == 0)
		return werr(w, CAB_ERR_INVALID,
			    "%s: a cabinet needs at least one member", w->path);
	w->finished = true;
	/* Header size: CFHEADER, CFFOLDERs, CFFILEs with names. */
	uint64_t hsize = CFHEADER_SIZE + (uint64_t)w->nfolders * CFFOLDER_SIZE;
	for (size_t i = 0; i < w->nfiles; i++)
		hsize += CFFILE_SIZE + strlen(w->files[i].name) + 1;
	uint8_t *hdr = calloc(1, (size_t)hsize);
	if (hdr == NULL)
		return werr(w, CAB_ERR_NOMEM, "out of memory");
	int e = hvo_int_atomic_open(w->path, 0644, &w->af);
	if (e) {
		free(hdr);
		return werr(w, CAB_ERR_IO, "%s: %s", w->path, strerror(e));
	}
	w->af_open = true;
	int err = 0;
	if (w->method == CAB_WRITE_MSZIP) {
		if (deflateInit2(&w->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15,
				 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			err = werr(w, CAB_ERR_NOMEM, "zlib: deflateInit2");
			goto out;
		}
		w->z_init = true;
	}
	/* Data first, from the end of the header on. */
	if (lseek(w->af.fd, (off_t)hsize, SEEK_SET) < 0) {
		err = werr(w, CAB_ERR_IO, "%s: seek: %s", w->path,
			   strerror(errno));
		goto out;
	}
	w->pos = hsize;
	uint8_t *fo = hdr + CFHEADER_SIZE;
	size_t fi = 0;
	for (unsigned k = 0; k < w->nfolders; k++) {
		put_le32(fo + CFFOLDER_COFFCABSTART, (uint32_t)w->pos);
		put_le16(fo + CFFOLDER_TYPECOMPRESS,
			 w->method == CAB_WRITE_MSZIP ? CAB_METHOD_MSZIP
						      : CAB_METHOD_NONE);
		w->folder_blocks = 0;
		w->block_len = 0;
		w->have_dict = false;
		for (; fi < w->nfiles && w->files[fi].folder == k; fi++)
			if ((err = feed_file(w, &w->files[fi])))
				goto out;
		if (w->block_len > 0 && (err = emit_block(w)))
			goto out;
		put_le16(fo + CFFOLDER_CCFDATA, (uint16_t)w->folder_blocks);
		fo += CFFOLDER_SIZE;
	}
	/* The file entries. */
	uint8_t *p = fo;
	uint32_t coff_files = (uint32_t)(p - hdr);
	for (size_t i = 0; i < w->nfiles; i++) {
		const struct wfile *f = &w->files[i];
		put_le32(p + CFFILE_CBFILE, f->size);
		put_le32(p + CFFILE_UOFFFOLDERSTART, f->offset);
		put_le16(p + CFFILE_IFOLDER, (uint16_t)f->folder);
		put_le16(p + CFFILE_DATE, f->date);
		put_le16(p + CFFILE_TIME, f->time);
		put_le16(p + CFFILE_ATTRIBS, f->attribs);
		size_t nl = strlen(f->name) + 1;
		memcpy(p + CFFILE_SIZE, f->name, nl);
		p += CFFILE_SIZE + nl;
	}
	/* The header last: it points at everything written before. */
	memcpy(hdr + CFHEADER_SIGNATURE, "MSCF", 4);
	put_le32(hdr + CFHEADER_CBCABINET, (uint32_t)w->pos);
	put_le32(hdr + CFHEADER_COFFFILES, coff_files);
	hdr[CFHEADER_VERMINOR] = 3;
	hdr[CFHEADER_VERMAJOR] = 1;
	put_le16(hdr + CFHEADER_CFOLDERS, (uint16_t)w->nfolders);
	put_le16(hdr + CFHEADER_CFILES, (uint16_t)w->nfiles);
	put_le16(hdr + CFHEADER_FLAGS, 0);
	/* A set ID from the clock, as makecab picks one per run. */
	put_le16(hdr + CFHEADER_SETID, (uint16_t)time(NULL));
	put_le16(hdr + CFHEADER_ICABINET, 0);
	if ((e = hvo_int_pwrite_all(w->af.fd, hdr, (size_t)hsize, 0))) {
		err = werr(w, CAB_ERR_IO, "%s: write: %s", w->path,
			   strerror(e));
		goto out;
	}
	e = hvo_int_atomic_commit(&w->af);
	w->af_open = false;
	if (e)
		err = werr(w, e == ENOSPC ? CAB_ERR_NOSPACE : CAB_ERR_IO,
			   "%s: %s", w->path, strerror(e));
out:
	free(hdr);
	if (err && w->af_open) {
		hvo_int_atomic_abort(&w->af);
		w->af_open = false;
	}
	return err;
}

void cab_writer_free(struct cab_writer *w)
{
	if (w == NULL)
		return;
	if (w->af_open)
		hvo_int_atomic_abort(&w->af);
	if (w->z_init)
		deflateEnd(&w->z);
	for (size_t i = 0; i < w->nfiles; i++) {
		free(w->files[i].name);
		free(w->files[i].src);
		free(w->files[i].data);
	}
	free(w->files);
	free(w->path);
	free(w);
}

/*
 * part.c - reads from one cabinet of a set: bounds-checked against the
 * file's size, from memory or through a read-ahead buffer.  Below both the
 * parser (parse.c) and the folder streams (stream.c).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cab/cab_internal.h"
#include "util/bytes.h"
#include "util/fileio.h"

int cab_int_part_read(struct cab *cab, unsigned part, uint64_t off, void *buf,
		      size_t len, const char *what)
{
	struct cab_part *p = &cab->parts[part];
	off += p->base;
	if (!hvo_in_bounds(off, len, p->info.file_size))
		return cab_int_set_error(cab, CAB_ERR_CORRUPT,
					 "%s: %s past end of file",
					 p->path ? p->path : "cabinet", what);
	if (p->mem) {
		memcpy(buf, p->mem + off, len);
		return 0;
	}
	if (p->ra == NULL && len <= CAB_READ_AHEAD)
		p->ra = malloc(CAB_READ_AHEAD); /* without it: no read-ahead */
	if (p->ra != NULL && len <= CAB_READ_AHEAD) {
		if (off < p->ra_off || off + len > p->ra_off + p->ra_len) {
			/* Refill from @off: at most to the end of the file. */
			size_t want = CAB_READ_AHEAD;
			if (p->info.file_size - off < want)
				want = (size_t)(p->info.file_size - off);
			ssize_t n = hvo_int_pread_full(p->fd, p->ra, want, off);
			p->ra_off = off;
			p->ra_len = n < 0 ? 0 : (size_t)n;
			if (n < 0)
				return cab_int_set_error(
					cab, CAB_ERR_IO, "%s: read: %s",
					p->path, strerror(errno));
			if ((size_t)n < len)
				return cab_int_set_error(
					cab, CAB_ERR_CORRUPT,
					"%s: %s past end of file (file "
					"shrank?)",
					p->path, what);
		}
		memcpy(buf, p->ra + (off - p->ra_off), len);
		return 0;
	}
	ssize_t n = hvo_int_pread_full(p->fd, buf, len, off);
	if (n < 0)
		return cab_int_set_error(cab, CAB_ERR_IO, "%s: read: %s",
					 p->path, strerror(errno));
	if ((size_t)n != len)
		return cab_int_set_error(
			cab, CAB_ERR_CORRUPT,
			"%s: %s past end of file (file shrank?)", p->path,
			what);
	return 0;
}

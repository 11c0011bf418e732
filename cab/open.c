/*
 * open.c - cabinet headers, folders and file lists; cabinet sets.
 *
 * A cabinet is parsed once at open: CFHEADER (with its optional reserve
 * fields and previous/next names), every CFFOLDER and every CFFILE.  A
 * set is opened from any part by following the previous and next names
 * of each header in the same directory; the last folder of one cabinet
 * and the first folder of the next are merged into one stream when files
 * are marked as continued across them (iFolder 0xFFFD/0xFFFE/0xFFFF).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cab/cab_internal.h"
#include "util/bytes.h"
#include "util/fileio.h"

struct raw_folder {
	uint32_t coff;
	uint16_t nblocks;
	uint16_t type;
};

struct raw_file {
	uint32_t size, offset;
	uint16_t ifolder, date, time, attribs;
	uint8_t *name; /* owned until moved into an entry */
	size_t name_len;
};

/* One parsed cabinet, before it is linked into the set. */
struct parsed {
	struct cab_part part;
	struct raw_folder *folders;
	struct raw_file *files;
	unsigned nfiles;
	dev_t dev;
	ino_t ino;
};

/* A buffered sequential reader over one cabinet. */
struct cursor {
	struct cab *cab;
	struct parsed *p;
	uint64_t off; /* file offset of buf[0] */
	size_t pos, len;
	uint8_t buf[65536];
};

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

/* Bytes from the cabinet's start to the end of its file. */
static uint64_t psize(const struct parsed *p)
{
	return p->part.info.file_size - p->part.base;
}

static const char *pname(const struct parsed *p)
{
	return p->part.path ? p->part.path : "cabinet";
}

/* Returns a pointer to the next @n bytes (n <= sizeof(buf)), or NULL with
 * the error set when fewer remain in the file. */
static const uint8_t *cur_get(struct cursor *c, size_t n, const char *what,
			      int *err)
{
	if (c->len - c->pos < n) {
		uint64_t at = c->off + c->pos;
		uint64_t size = psize(c->p);
		if (!hvo_in_bounds(at, n, size)) {
			*err = cab_int_set_error(c->cab, CAB_ERR_CORRUPT,
						 "%s: %s past end of file",
						 pname(c->p), what);
			return NULL;
		}
		size_t want = sizeof(c->buf);
		if (size - at < want)
			want = (size_t)(size - at);
		if (c->p->part.mem) {
			memcpy(c->buf, c->p->part.mem + c->p->part.base + at,
			       want);
		} else {
			ssize_t r =
				hvo_int_pread_full(c->p->part.fd, c->buf, want,
						   c->p->part.base + at);
			if (r < 0 || (size_t)r < n) {
				*err = cab_int_set_error(
					c->cab,
					r < 0 ? CAB_ERR_IO : CAB_ERR_CORRUPT,
					"%s: reading %s: %s", pname(c->p), what,
					r < 0 ? strerror(errno) : "short read");
				return NULL;
			}
			want = (size_t)r;
		}
		c->off = at;
		c->pos = 0;
		c->len = want;
	}
	const uint8_t *r = c->buf + c->pos;
	c->pos += n;
	return r;
}

static uint64_t cur_tell(const struct cursor *c)
{
	return c->off + c->pos;
}

static void cur_seek(struct cursor *c, uint64_t off)
{
	if (off >= c->off && off <= c->off + c->len) {
		c->pos = (size_t)(off - c->off);
	} else {
		c->off = off;
		c->pos = c->len = 0;
	}
}

/*
 * Reads a NUL-terminated string of at most CAB_NAME_MAX bytes with its
 * NUL (libmspack cabd_read_string: names longer than 255 bytes, or
 * without a NUL before the end of the file, are corrupt).
 */
static int cur_string(struct cursor *c, const char *what, bool permit_empty,
		      uint8_t **s_ret, size_t *len_ret)
{
	uint64_t at = cur_tell(c);
	uint64_t size = psize(c->p);
	size_t avail =
		at < size ? (size_t)(size - at < CAB_NAME_MAX ? size - at
							      : CAB_NAME_MAX)
			  : 0;
	int err = 0;
	if (avail == 0)
		return cab_int_set_error(c->cab, CAB_ERR_CORRUPT,
					 "%s: %s past end of file", pname(c->p),
					 what);
	const uint8_t *p = cur_get(c, avail, what, &err);
	if (p == NULL)
		return err;
	const uint8_t *nul = memchr(p, 0, avail);
	if (nul == NULL)
		return cab_int_set_error(c->cab, CAB_ERR_CORRUPT,
					 "%s: %s has no NUL within %u bytes",
					 pname(c->p), what, CAB_NAME_MAX);
	size_t len = (size_t)(nul - p);
	if (len == 0 && !permit_empty)
		return cab_int_set_error(c->cab, CAB_ERR_CORRUPT,
					 "%s: %s is empty", pname(c->p), what);
	uint8_t *s = malloc(len + 1);
	if (s == NULL)
		return cab_int_set_error(c->cab, CAB_ERR_NOMEM,
					 "out of memory");
	memcpy(s, p, len + 1);
	cur_seek(c, at + len + 1);
	*s_ret = s;
	if (len_ret)
		*len_ret = len;
	return 0;
}

static void parsed_free(struct parsed *p)
{
	if (p == NULL)
		return;
	if (p->files)
		for (unsigned i = 0; i < p->nfiles; i++)
			free(p->files[i].name);
	free(p->files);
	free(p->folders);
	free(p->part.path);
	free(p->part.prev_name);
	free(p->part.next_name);
	if (p->part.fd >= 0)
		close(p->part.fd);
	free(p);
}

/* Parses the cabinet in @p (path/fd or mem already set). */
static int parse_cabinet(struct cab *cab, struct parsed *p)
{
	struct cursor *c = malloc(sizeof(*c));
	if (c == NULL)
		return cab_int_set_error(cab, CAB_ERR_NOMEM, "out of memory");
	c->cab = cab;
	c->p = p;
	c->off = 0;
	c->pos = c->len = 0;
	int err = 0;
	const char *name = pname(p);
	struct cab_cabinet_info *info = &p->part.info;

	if (psize(p) < 4) {
		err = cab_int_set_error(cab, CAB_ERR_NOT_CAB,
					"%s: not a cabinet (file too short)",
					name);
		goto out;
	}
	const uint8_t *h = cur_get(c, 4, "signature", &err);
	if (h == NULL)
		goto out;
	if (memcmp(h, "MSCF", 4) != 0) {
		err = cab_int_set_error(cab, CAB_ERR_NOT_CAB,
					"%s: not a cabinet (no MSCF signature)",
					name);
		goto out;
	}
	cur_seek(c, 0);
	h = cur_get(c, CFHEADER_SIZE, "cabinet header", &err);
	if (h == NULL)
		goto out;
	info->size = get_le32(h + CFHEADER_CBCABINET);
	unsigned nfolders = get_le16(h + CFHEADER_CFOLDERS);
	unsigned nfiles = get_le16(h + CFHEADER_CFILES);
	info->flags = get_le16(h + CFHEADER_FLAGS);
	info->set_id = get_le16(h + CFHEADER_SETID);
	info->index = get_le16(h + CFHEADER_ICABINET);
	/* Versions other than 1.3 exist in the wild (libmspack only warns). */
	if (nfolders == 0) {
		err = cab_int_set_error(cab, CAB_ERR_CORRUPT,
					"%s: header: no folders", name);
		goto out;
	}
	if (nfiles == 0) {
		err = cab_int_set_error(cab, CAB_ERR_CORRUPT,
					"%s: header: no files", name);
		goto out;
	}
	if (info->flags & CFHDR_RESERVE_PRESENT) {
		h = cur_get(c, CFHEADER_RESERVE_FIELDS, "reserve sizes", &err);
		if (h == NULL)
			goto out;
		info->header_reserve = get_le16(h);
		info->folder_reserve = h[2];
		info->data_reserve = h[3];
		/* Microsoft documents at most 60000; libmspack warns only,
		 * and the bound against the file size below still holds. */
		uint64_t at = cur_tell(c);
		if (!hvo_in_bounds(at, info->header_reserve, psize(p))) {
			err = cab_int_set_error(cab, CAB_ERR_CORRUPT,
						"%s: header reserve (%u bytes) "
						"past end of file",
						name, info->header_reserve);
			goto out;
		}
		cur_seek(c, at + info->header_reserve);
	}
	uint8_t *disk = NULL;
	if (info->flags & CFHDR_PREV_CABINET) {
		/* The disk label may be empty (WiX writes that). */
		if ((err = cur_string(c, "previous cabinet name", false,
				      (uint8_t **)&p->part.prev_name, NULL)) ||
		    (err = cur_string(c, "previous disk name", true, &disk,
				      NULL)))
			goto out;
		free(disk);
		disk = NULL;
		info->prev_name = p->part.prev_name;
	}
	if (info->flags & CFHDR_NEXT_CABINET) {
		if ((err = cur_string(c, "next cabinet name", false,
				      (uint8_t **)&p->part.next_name, NULL)) ||
		    (err = cur_string(c, "next disk name", true, &disk, NULL)))
			goto out;
		free(disk);
		info->next_name = p->part.next_name;
	}

	/* Check the counts against the file before allocating. */
	uint64_t here = cur_tell(c);
	uint64_t left = psize(p) - here;
	if ((uint64_t)nfolders * (CFFOLDER_SIZE + info->folder_reserve) >
	    left) {
		err = cab_int_set_error(cab, CAB_ERR_CORRUPT,
					"%s: %u folders do not fit in the file",
					name, nfolders);
		goto out;
	}
	p->folders = calloc(nfolders, sizeof(*p->folders));
	if (p->folders == NULL) {
		err = cab_int_set_error(cab, CAB_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < nfolders; i++) {
		h = cur_get(c, CFFOLDER_SIZE, "folder entry", &err);
		if (h == NULL)
			goto out;
		p->folders[i].coff = get_le32(h + CFFOLDER_COFFCABSTART);
		p->folders[i].nblocks = get_le16(h + CFFOLDER_CCFDATA);
		p->folders[i].type = get_le16(h + CFFOLDER_TYPECOMPRESS);
		cur_seek(c, cur_tell(c) + info->folder_reserve);
	}
	p->part.nfolders = nfolders;

	/*
	 * The file entries are read right after the folders, not at
	 * coffFiles: that is what Microsoft's expand.exe and libmspack do,
	 * and readers that follow coffFiles disagree with them on crafted
	 * cabinets (kyz/libmspack#55, fixture hidden-files.cab).  Each entry
	 * has 16 bytes and a name of at least 2 (one character and NUL).
	 */
	here = cur_tell(c);
	left = here <= psize(p) ? psize(p) - here : 0;
	if ((uint64_t)nfiles * (CFFILE_SIZE + 2) > left) {
		err = cab_int_set_error(cab, CAB_ERR_CORRUPT,
					"%s: %u file entries do not fit in the "
					"file",
					name, nfiles);
		goto out;
	}
	p->files = calloc(nfiles, sizeof(*p->files));
	if (p->files == NULL) {
		err = cab_int_set_error(cab, CAB_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < nfiles; i++) {
		struct raw_file *f = &p->files[i];
		h = cur_get(c, CFFILE_SIZE, "file entry", &err);
		if (h == NULL)
			goto out;
		f->size = get_le32(h + CFFILE_CBFILE);
		f->offset = get_le32(h + CFFILE_UOFFFOLDERSTART);
		f->ifolder = get_le16(h + CFFILE_IFOLDER);
		f->date = get_le16(h + CFFILE_DATE);
		f->time = get_le16(h + CFFILE_TIME);
		f->attribs = get_le16(h + CFFILE_ATTRIBS);
		p->nfiles = i + 1;
		if ((err = cur_string(c, "file name", false, &f->name,
				      &f->name_len)))
			goto out;
		if (f->ifolder < IFOLD_CONTINUED_FROM_PREV &&
		    f->ifolder >= nfolders) {
			err = cab_int_set_error(cab, CAB_ERR_CORRUPT,
						"%s: file %u: folder index %u "
						"out of range (%u folders)",
						name, i, f->ifolder, nfolders);
			goto out;
		}
		/* No folder holds more than 65535 blocks of 32 KiB. */
		if ((uint64_t)f->offset + f->size > CAB_FOLDER_MAX_BYTES) {
			err = cab_int_set_error(
				cab, CAB_ERR_CORRUPT,
				"%s: file %u: offset %u + size %u "
				"is beyond the largest folder",
				name, i, f->offset, f->size);
			goto out;
		}
		if (f->ifolder == IFOLD_CONTINUED_FROM_PREV ||
		    f->ifolder == IFOLD_CONTINUED_PREV_AND_NEXT)
			p->part.cont_from_prev = true;
		if (f->ifolder == IFOLD_CONTINUED_TO_NEXT ||
		    f->ifolder == IFOLD_CONTINUED_PREV_AND_NEXT)
			p->part.cont_to_next = true;
	}
out:
	free(c);
	return err;
}

/* Forgets a failed parse so that another offset can be tried. */
static void parsed_reset(struct parsed *p)
{
	if (p->files)
		for (unsigned i = 0; i < p->nfiles; i++)
			free(p->files[i].name);
	free(p->files);
	free(p->folders);
	free(p->part.prev_name);
	free(p->part.next_name);
	p->files = NULL;
	p->folders = NULL;
	p->nfiles = 0;
	p->part.prev_name = p->part.next_name = NULL;
	p->part.info.prev_name = p->part.info.next_name = NULL;
	p->part.nfolders = 0;
	p->part.cont_from_prev = p->part.cont_to_next = false;
}

/* The next "MSCF" at or after @from, or UINT64_MAX. */
static uint64_t next_signature(struct parsed *p, uint64_t from)
{
	uint64_t size = p->part.info.file_size;
	static const uint8_t sig[4] = { 'M', 'S', 'C', 'F' };
	uint8_t buf[65536];
	while (from + 4 <= size) {
		size_t want = size - from < sizeof(buf) ? (size_t)(size - from)
							: sizeof(buf);
		const uint8_t *b;
		if (p->part.mem) {
			b = p->part.mem + from;
		} else {
			ssize_t r =
				hvo_int_pread_full(p->part.fd, buf, want, from);
			if (r < 4)
				return UINT64_MAX;
			want = (size_t)r;
			b = buf;
		}
		const uint8_t *hit = memmem(b, want, sig, 4);
		if (hit)
			return from + (uint64_t)(hit - b);
		from += want - 3;
	}
	return UINT64_MAX;
}

/* Parses @p at offset 0, or, with CAB_OPEN_SEARCH, at the first offset
 * that holds a valid cabinet (as cabextract does for every file). */
static int parse_or_search(struct cab *cab, struct parsed *p)
{
	int err = parse_cabinet(cab, p);
	if (!err || !(cab->flags & CAB_OPEN_SEARCH) ||
	    (err != CAB_ERR_NOT_CAB && err != CAB_ERR_CORRUPT))
		return err;
	int first_err = err;
	char first_msg[sizeof(cab->errmsg)];
	memcpy(first_msg, cab->errmsg, sizeof(first_msg));
	uint64_t at = 1;
	for (unsigned tries = 0; tries < CAB_SEARCH_MAX_CANDIDATES; tries++) {
		at = next_signature(p, at);
		if (at == UINT64_MAX)
			break;
		parsed_reset(p);
		p->part.base = at;
		err = parse_cabinet(cab, p);
		if (!err)
			return 0;
		if (err != CAB_ERR_NOT_CAB && err != CAB_ERR_CORRUPT)
			return err;
		at++;
	}
	parsed_reset(p);
	p->part.base = 0;
	memcpy(cab->errmsg, first_msg, sizeof(cab->errmsg));
	return first_err;
}

/* Opens and parses one cabinet file. */
static int load_file(struct cab *cab, const char *path, struct parsed **p_ret)
{
	struct parsed *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return cab_int_set_error(cab, CAB_ERR_NOMEM, "out of memory");
	p->part.fd = -1;
	p->part.path = strdup(path);
	if (p->part.path == NULL) {
		free(p);
		return cab_int_set_error(cab, CAB_ERR_NOMEM, "out of memory");
	}
	p->part.info.path = p->part.path;
	p->part.fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (p->part.fd < 0 || fstat(p->part.fd, &st) != 0) {
		int e = errno;
		parsed_free(p);
		return cab_int_set_error(cab, CAB_ERR_IO, "%s: %s", path,
					 strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		parsed_free(p);
		return cab_int_set_error(cab, CAB_ERR_IO,
					 "%s: not a regular file", path);
	}
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->part.info.file_size = (uint64_t)st.st_size;
	int err = parse_or_search(cab, p);
	if (err) {
		parsed_free(p);
		return err;
	}
	*p_ret = p;
	return 0;
}

/*
 * Finds the set member @name beside @ref_path: the exact name first, then
 * ignoring ASCII case (makecab writes "Split-2.CAB" into headers of files
 * named split-2.cab).  Names with path separators are refused: a header
 * must not send us to another directory.  Returns a new path or NULL.
 */
static char *find_sibling(const char *ref_path, const char *name)
{
	if (name[0] == '\0' || strchr(name, '/') || strchr(name, '\\') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return NULL;
	const char *slash = strrchr(ref_path, '/');
	char *dir = slash ? strndup(ref_path, (size_t)(slash - ref_path + 1))
			  : strdup("");
	if (dir == NULL)
		return NULL;
	char *path = NULL;
	if (asprintf(&path, "%s%s", dir, name) < 0) {
		free(dir);
		return NULL;
	}
	struct stat st;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		free(dir);
		return path;
	}
	free(path);
	path = NULL;
	DIR *d = opendir(dir[0] ? dir : ".");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (strcasecmp(de->d_name, name) == 0) {
				if (asprintf(&path, "%s%s", dir, de->d_name) <
				    0)
					path = NULL;
				break;
			}
		}
		closedir(d);
	}
	free(dir);
	return path;
}

static struct cab *cab_new(unsigned flags)
{
	struct cab *cab = calloc(1, sizeof(*cab));
	if (cab)
		cab->flags = flags;
	return cab;
}

static void set_method_name(struct cab_folder *f)
{
	struct cab_folder_info *i = &f->info;
	switch (i->method) {
	case CAB_METHOD_NONE:
		snprintf(f->method_name, sizeof(f->method_name), "none");
		break;
	case CAB_METHOD_MSZIP:
		snprintf(f->method_name, sizeof(f->method_name), "MSZIP");
		break;
	case CAB_METHOD_LZX:
		snprintf(f->method_name, sizeof(f->method_name), "LZX:%u",
			 i->window_bits);
		break;
	case CAB_METHOD_QUANTUM:
		snprintf(f->method_name, sizeof(f->method_name),
			 "Quantum:%u:%u", i->level, i->window_bits);
		break;
	default:
		snprintf(f->method_name, sizeof(f->method_name), "unknown(%u)",
			 (unsigned)i->method);
		break;
	}
}

/*
 * Links the parsed cabinets @ps[0..n) (in set order) into @cab: merged
 * folders and one entry per file (a file continued from the previous
 * cabinet was already listed by that cabinet and is not repeated).
 */
static int build_set(struct cab *cab, struct parsed **ps, size_t n,
		     bool missing_prev, bool missing_next)
{
	cab->parts = calloc(n, sizeof(*cab->parts));
	size_t maxfolders = 0, maxfiles = 0;
	for (size_t k = 0; k < n; k++) {
		maxfolders += ps[k]->part.nfolders;
		maxfiles += ps[k]->nfiles;
	}
	cab->folders = calloc(maxfolders, sizeof(*cab->folders));
	cab->entries = calloc(maxfiles, sizeof(*cab->entries));
	if (!cab->parts || !cab->folders || !cab->entries)
		return cab_int_set_error(cab, CAB_ERR_NOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		cab->parts[k] = ps[k]->part;
		/* The part now owns path, fd and names. */
		ps[k]->part.path = NULL;
		ps[k]->part.prev_name = ps[k]->part.next_name = NULL;
		ps[k]->part.fd = -1;
		cab->parts[k].info.path = cab->parts[k].path;
		cab->parts[k].info.prev_name = cab->parts[k].prev_name;
		cab->parts[k].info.next_name = cab->parts[k].next_name;
	}
	cab->nparts = n;

	size_t nf = 0;
	for (size_t k = 0; k < n; k++) {
		struct parsed *p = ps[k];
		bool merge = k > 0 && (ps[k - 1]->part.cont_to_next ||
				       p->part.cont_from_prev);
		for (unsigned i = 0; i < p->part.nfolders; i++) {
			struct raw_folder *rf = &p->folders[i];
			struct cab_folder *f;
			if (i == 0 && merge) {
				f = &cab->folders[nf - 1];
				if (f->info.type_compress != rf->type)
					return cab_int_set_error(
						cab, CAB_ERR_CORRUPT,
						"%s: folder 0 continues a "
						"folder of another "
						"compression type",
						pname(p));
			} else {
				f = &cab->folders[nf++];
				f->info.type_compress = rf->type;
				f->info.method = rf->type & 0xF;
				if (f->info.method == CAB_METHOD_LZX ||
				    f->info.method == CAB_METHOD_QUANTUM)
					f->info.window_bits =
						(rf->type >> 8) & 0x1F;
				if (f->info.method == CAB_METHOD_QUANTUM)
					f->info.level = (rf->type >> 4) & 0xF;
				f->info.first_cabinet = (unsigned)k;
				set_method_name(f);
			}
			struct cab_span *sp = realloc(
				f->spans, (f->nspans + 1) * sizeof(*sp));
			if (sp == NULL)
				return cab_int_set_error(cab, CAB_ERR_NOMEM,
							 "out of memory");
			f->spans = sp;
			sp[f->nspans].part = (unsigned)k;
			sp[f->nspans].offset = rf->coff;
			sp[f->nspans].nblocks = rf->nblocks;
			f->nspans++;
			f->info.blocks += rf->nblocks;
			f->max_bytes += (uint64_t)rf->nblocks * CAB_BLOCK_MAX;
			f->info.last_cabinet = (unsigned)k;
			if (i == 0)
				cab->parts[k].first_folder =
					(unsigned)(f - cab->folders);
		}
	}
	cab->nfolders = nf;
	if (nf > 0) {
		if (missing_prev && cab->parts[0].cont_from_prev)
			cab->folders[0].missing_prev = true;
		if (missing_next && cab->parts[n - 1].cont_to_next)
			cab->folders[nf - 1].missing_next = true;
	}

	size_t ne = 0;
	for (size_t k = 0; k < n; k++) {
		struct parsed *p = ps[k];
		unsigned first = cab->parts[k].first_folder;
		unsigned last = first + p->part.nfolders - 1;
		bool merged_prev = k > 0 && (ps[k - 1]->part.cont_to_next ||
					     p->part.cont_from_prev);
		if (merged_prev)
			last = first + p->part.nfolders - 1;
		for (unsigned i = 0; i < p->nfiles; i++) {
			struct raw_file *rf = &p->files[i];
			unsigned folder;
			switch (rf->ifolder) {
			case IFOLD_CONTINUED_FROM_PREV:
			case IFOLD_CONTINUED_PREV_AND_NEXT:
				/* Listed by the previous cabinet already. */
				if (merged_prev)
					continue;
				folder = first;
				break;
			case IFOLD_CONTINUED_TO_NEXT:
				folder = last;
				break;
			default:
				folder = first + rf->ifolder;
				break;
			}
			struct cab_entry *e = &cab->entries[ne++];
			e->raw_name = rf->name;
			e->raw_name_len = rf->name_len;
			rf->name = NULL;
			e->size = rf->size;
			e->offset = rf->offset;
			e->attribs = rf->attribs;
			e->dos_date = rf->date;
			e->dos_time = rf->time;
			e->folder = folder;
			e->cabinet = (unsigned)k;
			e->year = (rf->date >> 9) + 1980;
			e->month = (rf->date >> 5) & 15;
			e->day = rf->date & 31;
			e->hour = rf->time >> 11;
			e->minute = (rf->time >> 5) & 63;
			e->second = (rf->time & 31) * 2;
			e->name = cab_int_name_to_utf8(
				e->raw_name, e->raw_name_len,
				(rf->attribs & CAB_ATTR_UTF_NAME) != 0);
			if (e->name == NULL)
				return cab_int_set_error(cab, CAB_ERR_NOMEM,
							 "out of memory");
		}
	}
	cab->nentries = ne;
	return 0;
}

static bool same_file(struct parsed **ps, size_t n, const struct parsed *q)
{
	for (size_t i = 0; i < n; i++)
		if (ps[i]->dev == q->dev && ps[i]->ino == q->ino)
			return true;
	return false;
}

int cab_open(const char *path, unsigned flags, struct cab **cab_ret)
{
	struct cab *cab = cab_new(flags);
	*cab_ret = cab;
	if (cab == NULL)
		return CAB_ERR_NOMEM;
	/* The set, in order, built outwards from the named part. */
	struct parsed **ps = calloc(2 * CAB_MAX_SET + 1, sizeof(*ps));
	if (ps == NULL)
		return cab->err = cab_int_set_error(cab, CAB_ERR_NOMEM,
						    "out of memory");
	size_t lo = CAB_MAX_SET, hi = CAB_MAX_SET; /* ps[lo..hi] */
	bool missing_prev = false, missing_next = false;
	int err = load_file(cab, path, &ps[lo]);
	if (err)
		goto out;
	if (!(flags & CAB_OPEN_NO_SET)) {
		for (int dir = 0; dir < 2 && !err; dir++) {
			for (;;) {
				struct parsed *cur = dir == 0 ? ps[lo] : ps[hi];
				const char *nm = dir == 0 ? cur->part.prev_name
							  : cur->part.next_name;
				if (nm == NULL)
					break;
				if (hi - lo + 1 >= CAB_MAX_SET) {
					err = cab_int_set_error(
						cab, CAB_ERR_CORRUPT,
						"%s: cabinet set longer than "
						"%u cabinets",
						path, CAB_MAX_SET);
					break;
				}
				char *sib = find_sibling(cur->part.path, nm);
				if (sib == NULL) {
					if (dir == 0)
						missing_prev = true;
					else
						missing_next = true;
					break;
				}
				struct parsed *q = NULL;
				err = load_file(cab, sib, &q);
				free(sib);
				if (err)
					break;
				if (same_file(ps + lo, hi - lo + 1, q)) {
					/* A loop in the chain: stop here. */
					parsed_free(q);
					break;
				}
				if (dir == 0)
					ps[--lo] = q;
				else
					ps[++hi] = q;
			}
		}
	} else {
		missing_prev = ps[lo]->part.prev_name != NULL;
		missing_next = ps[lo]->part.next_name != NULL;
	}
	if (!err)
		err = build_set(cab, ps + lo, hi - lo + 1, missing_prev,
				missing_next);
out:
	for (size_t i = lo; i <= hi; i++)
		parsed_free(ps[i]);
	free(ps);
	cab->err = err;
	return err;
}

int cab_open_mem(const void *data, size_t len, unsigned flags,
		 struct cab **cab_ret)
{
	struct cab *cab = cab_new(flags | CAB_OPEN_NO_SET);
	*cab_ret = cab;
	if (cab == NULL)
		return CAB_ERR_NOMEM;
	struct parsed *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return cab->err = cab_int_set_error(cab, CAB_ERR_NOMEM,
						    "out of memory");
	p->part.fd = -1;
	p->part.mem = data;
	p->part.info.file_size = len;
	int err = parse_or_search(cab, p);
	if (!err)
		err = build_set(cab, &p, 1, p->part.prev_name != NULL,
				p->part.next_name != NULL);
	parsed_free(p);
	cab->err = err;
	return err;
}

void cab_close(struct cab *cab)
{
	if (cab == NULL)
		return;
	cab_int_stream_free(cab->stream);
	for (size_t i = 0; i < cab->nparts; i++) {
		struct cab_part *p = &cab->parts[i];
		if (p->fd >= 0)
			close(p->fd);
		free(p->path);
		free(p->prev_name);
		free(p->next_name);
		free(p->ra);
	}
	free(cab->parts);
	for (size_t i = 0; i < cab->nfolders; i++)
		free(cab->folders[i].spans);
	free(cab->folders);
	for (size_t i = 0; i < cab->nentries; i++) {
		free((void *)cab->entries[i].name);
		free((void *)cab->entries[i].raw_name);
	}
	free(cab->entries);
	free(cab);
}

size_t cab_entry_count(const struct cab *cab)
{
	return cab ? cab->nentries : 0;
}

const struct cab_entry *cab_entry_get(const struct cab *cab, size_t i)
{
	return cab && i < cab->nentries ? &cab->entries[i] : NULL;
}

size_t cab_folder_count(const struct cab *cab)
{
	return cab ? cab->nfolders : 0;
}

const struct cab_folder_info *cab_folder_get(const struct cab *cab, size_t i)
{
	return cab && i < cab->nfolders ? &cab->folders[i].info : NULL;
}

size_t cab_cabinet_count(const struct cab *cab)
{
	return cab ? cab->nparts : 0;
}

const struct cab_cabinet_info *cab_cabinet_get(const struct cab *cab, size_t i)
{
	return cab && i < cab->nparts ? &cab->parts[i].info : NULL;
}

const char *cab_folder_method_name(const struct cab *cab, size_t folder)
{
	if (cab == NULL || folder >= cab->nfolders)
		return "?";
	return cab->folders[folder].method_name;
}

static int name_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x == '\\')
			x = '/';
		if (y == '\\')
			y = '/';
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
		if (x == 0)
			return 1;
	}
}

int cab_find(const struct cab *cab, const char *name, size_t *index_ret)
{
	for (size_t i = 0; cab && i < cab->nentries; i++) {
		if (name_eq(cab->entries[i].name, name)) {
			*index_ret = i;
			return 0;
		}
	}
	return CAB_ERR_NOT_FOUND;
}

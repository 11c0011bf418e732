/*
 * open.c - cabinet sets: opening, and the entries, folders and cabinets
 * of an open set.
 *
 * Each cabinet is parsed once at open (parse.c).  A set is opened from any part by following the previous and next names
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
#include "cab/parse.h"
#include "util/bytes.h"
#include "util/fileio.h"

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
						cab_int_parsed_name(p));
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
	int err = cab_int_load_file(cab, path, &ps[lo]);
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
				err = cab_int_load_file(cab, sib, &q);
				free(sib);
				if (err)
					break;
				if (same_file(ps + lo, hi - lo + 1, q)) {
					/* A loop in the chain: stop here. */
					cab_int_parsed_free(q);
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
		cab_int_parsed_free(ps[i]);
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
	int err = cab_int_parse_or_search(cab, p);
	if (!err)
		err = build_set(cab, &p, 1, p->part.prev_name != NULL,
				p->part.next_name != NULL);
	cab_int_parsed_free(p);
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

/*
 * parse.h - one cabinet of a set as parse.c reads it, before open.c links
 * it into the set (internal to cab/).
 */
#ifndef HVO_CAB_PARSE_H
#define HVO_CAB_PARSE_H

#include <sys/types.h>

#include "cab/cab_internal.h"

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

/* How messages name the cabinet of @p. */
static inline const char *cab_int_parsed_name(const struct parsed *p)
{
	return p->part.path ? p->part.path : "cabinet";
}

/* Frees @p (NULL accepted). */
void cab_int_parsed_free(struct parsed *p);

/* Parses the cabinet of @p (its part's fd or mem and file_size set): at
 * offset 0, else at the first signature that parses. */
int cab_int_parse_or_search(struct cab *cab, struct parsed *p);

/* Opens and parses one cabinet file; *@p_ret is the caller's. */
int cab_int_load_file(struct cab *cab, const char *path, struct parsed **p_ret);

#endif /* HVO_CAB_PARSE_H */

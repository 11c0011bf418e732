/*
 * fuzz_iso.c - the ISO 9660 reader (src/guest/iso9660.c) on arbitrary
 * images.  The input is an image without its system area: the first 16
 * sectors (32 KiB), which the reader never reads, are zeroes, and the
 * input's bytes follow (the seeds, fuzz/corpus/iso/, are small
 * genisoimage images with those sectors cut; fuzz/corpus/iso-seeds.sh
 * makes them again).
 *
 * Invariants: every name is non-empty and holds no '/'; looking a node's
 * path up finds a node of that name (or, past a name repeated but for
 * case, none); every file reads back
 * exactly its size, and no read reaches past the image.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "guest/iso9660.h"
#include "util/bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The system area (ECMA-119 6.2.1): sectors 0 to 15. */
#define SYSTEM_AREA (16u * 2048u)
/* Bytes read back per input, at most: files may share extents. */
#define READ_BUDGET (8u << 20)

struct image {
	const uint8_t *p;
	size_t len;
	uint64_t size;
};

static int rd(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	const struct image *im = ctx;
	if (!hvo_in_bounds(off, len, im->size))
		abort(); /* the reader checks every extent first */
	memset(buf, 0, len);
	uint64_t end = off + len;
	if (end > SYSTEM_AREA) {
		uint64_t s = off > SYSTEM_AREA ? off : SYSTEM_AREA;
		memcpy(buf + (s - off), im->p + (s - SYSTEM_AREA),
		       (size_t)(end - s));
	}
	return 0;
}

/* Node @node's path (into @path, @cap bytes) from the walk's stack. */
static void walk(const struct guest_iso *iso, uint32_t node, char *path,
		 size_t plen, size_t cap, uint8_t *buf, size_t *budget,
		 unsigned depth)
{
	if (depth > 200)
		abort(); /* the reader bounds depth at 64 */
	uint32_t n = guest_iso_nchildren(iso, node);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t c = guest_iso_child(iso, node, k);
		const char *name = guest_iso_name(iso, c);
		if (name[0] == '\0' || strchr(name, '/') != NULL)
			abort();
		size_t nl = strlen(name);
		if (plen + nl + 2 > cap)
			continue;
		size_t l = plen;
		if (l > 0)
			path[l++] = '/';
		memcpy(path + l, name, nl + 1);
		uint32_t found;
		/* Names equal but for case make later ones unreachable
		 * (the first match wins): a lookup may fail, but what it
		 * finds has the name. */
		if (guest_iso_lookup(iso, path, &found) == 0 &&
		    !guest_name_eq(guest_iso_name(iso, found), name))
			abort();
		if (guest_iso_is_dir(iso, c)) {
			walk(iso, c, path, l + nl, cap, buf, budget, depth + 1);
		} else {
			uint64_t size = guest_iso_size(iso, c), off = 0;
			while (off<size && * budget> 0) {
				size_t want = 65536, got;
				if (want > *budget)
					want = *budget;
				if (guest_iso_pread(iso, c, off, want, buf,
						    &got) != GUEST_ISO_OK ||
				    got == 0 || got > want)
					abort();
				off += got;
				*budget -= got;
			}
			size_t got;
			if (off >= size &&
			    (guest_iso_pread(iso, c, size, 1, buf, &got) !=
				     GUEST_ISO_OK ||
			     got != 0))
				abort();
		}
		path[plen] = '\0';
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image im = { data, size, SYSTEM_AREA + (uint64_t)size };
	struct guest_iso *iso;
	char why[512];
	why[0] = '\0';
	if (guest_iso_open(rd, &im, im.size, &iso, why, sizeof(why)) !=
	    GUEST_ISO_OK) {
		if (why[0] == '\0')
			abort(); /* every failure says why */
		return 0;
	}
	static char path[4096];
	static uint8_t buf[65536];
	size_t budget = READ_BUDGET;
	path[0] = '\0';
	if (!guest_iso_is_dir(iso, GUEST_ISO_ROOT))
		abort();
	walk(iso, GUEST_ISO_ROOT, path, 0, sizeof(path), buf, &budget, 0);
	guest_iso_free(iso);
	return 0;
}

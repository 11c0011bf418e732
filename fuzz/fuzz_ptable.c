/*
 * fuzz_ptable.c - the MBR/GPT reader and the disk head reader
 * (src/guest/ptable.c) on arbitrary disks.  The first 8 bytes give the
 * disk's size (little-endian, at most 1 TiB); the rest are its first
 * bytes, and the disk reads as zeroes beyond them.
 *
 * Invariants: every partition lies inside the disk, has a non-zero size,
 * and partition numbers are unique; the head reader finds the same
 * volumes (one whole-disk volume without a table), and every $Volume
 * record it reads lies inside its volume.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "guest/ptable.h"
#include "util/bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct disk {
	const uint8_t *p;
	size_t len;
	uint64_t size;
};

static int rd(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	struct disk *d = ctx;
	if (!hvo_in_bounds(off, len, d->size))
		return -1;
	memset(buf, 0, len);
	if (off < d->len) {
		size_t n = d->len - off < len ? (size_t)(d->len - off) : len;
		memcpy(buf, d->p + off, n);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	struct disk d = { .p = data + 8,
			  .len = size - 8,
			  .size = get_le64(data) & ((1ull << 40) - 1) };
	enum guest_ptable type;
	struct guest_partition *parts;
	size_t n;
	char why[160];
	if (guest_ptable_read(rd, &d, d.size, &type, &parts, &n, why,
			      sizeof(why)) != GUEST_PTABLE_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (parts[i].size == 0 ||
		    !hvo_in_bounds(parts[i].start, parts[i].size, d.size))
			abort();
		for (size_t j = 0; j < i; j++)
			if (parts[j].partnum == parts[i].partnum)
				abort();
	}

	struct guest_disk_head h;
	if (guest_disk_head_read(rd, &d, d.size, &h) != GUEST_OK)
		abort();
	if (h.result != GUEST_PTABLE_OK ||
	    h.nparts != (type == GUEST_PTABLE_NONE ? 1 : n))
		abort();
	for (size_t i = 0; i < h.nparts; i++) {
		const struct guest_vol_head *v = &h.vols[i];
		if (v->rec != NULL &&
		    (v->rec_len == 0 ||
		     !hvo_in_bounds(v->rec_off, v->rec_len, h.parts[i].size)))
			abort();
	}
	guest_disk_head_free(&h);
	free(parts);
	return 0;
}

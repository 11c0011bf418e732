/*
 * check.c - vhdx_check(): everything open does not look at eagerly.
 *
 * The scan reads the BAT straight from the file (through the in-memory
 * replay, not the page cache), so that one bad entry is reported and the
 * scan goes on; it keeps its own bitmap of claimed 1 MiB units, so that
 * overlaps are found however the BAT was loaded before.  Memory stays
 * bounded: one 1 MiB slice of the BAT and a bit per MiB of file.
 */
#include <config.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "vhdx/internal.h"

/* Problems and warnings listed one by one; past this, only counted. */
#define CHECK_MAX_MESSAGES 100

static void add(struct vhdx_check_report *rep, bool problem, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

static void add(struct vhdx_check_report *rep, bool problem, const char *fmt,
		...)
{
	size_t *n = problem ? &rep->nproblems : &rep->nwarnings;
	char ***list = problem ? &rep->problems : &rep->warnings;
	char *msg = NULL;
	if (*n < CHECK_MAX_MESSAGES) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
	} else if (*n == CHECK_MAX_MESSAGES) {
		msg = strdup("(further messages omitted)");
	}
	if (msg) {
		char **l = realloc(*list, (*n + 1) * sizeof(*l));
		if (l == NULL) {
			free(msg);
			return;
		}
		l[*n] = msg;
		*list = l;
	}
	(*n)++;
}

void vhdx_check_report_free(struct vhdx_check_report *rep)
{
	if (rep == NULL)
		return;
	size_t np = rep->nproblems < CHECK_MAX_MESSAGES + 1
			    ? rep->nproblems
			    : CHECK_MAX_MESSAGES + 1;
	size_t nw = rep->nwarnings < CHECK_MAX_MESSAGES + 1
			    ? rep->nwarnings
			    : CHECK_MAX_MESSAGES + 1;
	for (size_t i = 0; i < np; i++)
		free(rep->problems[i]);
	for (size_t i = 0; i < nw; i++)
		free(rep->warnings[i]);
	free(rep->problems);
	free(rep->warnings);
	memset(rep, 0, sizeof(*rep));
}

struct claims {
	uint8_t *bits;
	uint64_t n;
};

/* Marks [off, off + len); false if any unit was marked before. */
static bool claim(struct claims *c, uint64_t off, uint64_t len)
{
	bool ok = true;
	uint64_t end = (off + len + VHDX_MiB - 1) / VHDX_MiB;
	for (uint64_t u = off / VHDX_MiB; u < end && u < c->n; u++) {
		if (c->bits[u / 8] >> (u % 8) & 1)
			ok = false;
		c->bits[u / 8] = (uint8_t)(c->bits[u / 8] | 1u << (u % 8));
	}
	return ok;
}

static void check_headers(struct vhdx_image *img, struct vhdx_check_report *rep)
{
	if (!img->other_header_valid)
		add(rep, false,
		    "header %d is not valid; the file opens from header %d, "
		    "and the next write repairs it",
		    2 - img->cur_header, img->cur_header + 1);
	if (img->region1_invalid)
		add(rep, false,
		    "region table 1 is not valid; region table 2 was used");
	else if (img->region_tables_differ)
		add(rep, false, "the two region tables differ");
	if (img->unknown_regions)
		add(rep, false, "%u unknown optional region(s) ignored",
		    img->unknown_regions);
	switch (img->log_state) {
	case VHDX_LOG_REPLAYED_MEMORY:
		add(rep, false,
		    "the log needs replay (%u entries, done in memory for "
		    "this read-only check); `hvoffline vhdx replay` writes it",
		    img->log_entries_replayed);
		break;
	case VHDX_LOG_EMPTY_GUID:
		add(rep, false,
		    "the header names a log that holds no valid entry "
		    "(nothing to replay)");
		break;
	default:
		break;
	}
	rep->stale_log_entries = vhdx_int_log_count_stale(img);
}

static void check_bat(struct vhdx_image *img, struct vhdx_check_report *rep,
		      struct claims *cl, const uint8_t *slice, uint64_t first,
		      uint64_t count)
{
	uint64_t per = (uint64_t)img->chunk_ratio + 1;
	for (uint64_t k = 0; k < count; k++) {
		uint64_t idx = first + k;
		uint64_t e = get_le64(slice + k * BAT_ENTRY_SIZE);
		char msg[256];
		enum vhdx_err code;
		const char *why = vhdx_int_bat_entry_problem(img, idx, e, &code,
							     msg, sizeof(msg));
		if (why) {
			add(rep, true, "%s", why);
			continue;
		}
		unsigned st = (unsigned)(e & BAT_STATE_MASK);
		uint64_t off = e & BAT_OFFSET_MASK;
		bool is_sb = idx % per == img->chunk_ratio;
		uint64_t n = is_sb ? idx / per
				   : idx / per * img->chunk_ratio + idx % per;
		if (is_sb) {
			if (n >= img->nchunks)
				continue;
			if (!img->has_parent) {
				if (e != 0)
					add(rep, false,
					    "BAT entry %" PRIu64
					    ": sector bitmap entry %#" PRIx64
					    " in an image without a parent "
					    "(ignored)",
					    idx, e);
				continue;
			}
			if (st != SB_BLOCK_PRESENT)
				continue;
			rep->sector_bitmap_blocks++;
			if (!claim(cl, off, VHDX_SB_BLOCK_SIZE))
				add(rep, true,
				    "sector bitmap %" PRIu64 " at %#" PRIx64
				    " overlaps another block or structure",
				    n, off);
			continue;
		}
		if (n >= img->nblocks)
			continue;
		switch (st) {
		case PAYLOAD_BLOCK_FULLY_PRESENT:
			rep->blocks_fully_present++;
			break;
		case PAYLOAD_BLOCK_PARTIALLY_PRESENT: {
			rep->blocks_partially_present++;
			uint64_t sbi = vhdx_int_bat_sb_index(
				img, n / img->chunk_ratio);
			uint64_t sbe;
			if (sbi >= img->bat_entries ||
			    vhdx_int_bat_get(img, sbi, &sbe) != VHDX_OK ||
			    (sbe & BAT_STATE_MASK) != SB_BLOCK_PRESENT)
				add(rep, true, "block %" PRIu64 "%s", n,
				    " is partially present but its chunk has "
				    "no sector bitmap");
			break;
		}
		case PAYLOAD_BLOCK_NOT_PRESENT:
			rep->blocks_not_present++;
			continue;
		case PAYLOAD_BLOCK_ZERO:
			rep->blocks_zero++;
			continue;
		default:
			rep->blocks_unmapped++;
			continue;
		}
		if (!claim(cl, off, img->block_size))
			add(rep, true,
			    "block %" PRIu64 " at %#" PRIx64
			    " overlaps another block or structure",
			    n, off);
	}
}

enum vhdx_err vhdx_check(struct vhdx_image *img, struct vhdx_check_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	check_headers(img, rep);
	struct claims cl = { .n = (img->eff_size + VHDX_MiB - 1) / VHDX_MiB };
	cl.bits = calloc((size_t)(cl.n + 7) / 8 + 1, 1);
	uint8_t *slice = malloc(VHDX_MiB);
	if (cl.bits == NULL || slice == NULL) {
		free(cl.bits);
		free(slice);
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	}
	claim(&cl, 0, VHDX_HEADER_SECTION_SIZE);
	if (img->log_length)
		claim(&cl, img->log_offset, img->log_length);
	claim(&cl, img->bat_offset, img->bat_length);
	claim(&cl, img->meta_offset, img->meta_length);

	enum vhdx_err r = VHDX_OK;
	const uint64_t per_slice = VHDX_MiB / BAT_ENTRY_SIZE;
	for (uint64_t first = 0; first < img->bat_entries; first += per_slice) {
		uint64_t count = img->bat_entries - first;
		if (count > per_slice)
			count = per_slice;
		r = vhdx_int_read(img, slice, count * BAT_ENTRY_SIZE,
				  img->bat_offset + first * BAT_ENTRY_SIZE,
				  "BAT");
		if (r != VHDX_OK)
			break;
		check_bat(img, rep, &cl, slice, first, count);
	}
	if (r == VHDX_OK) {
		uint64_t unref = 0;
		uint64_t units = img->file_size / VHDX_MiB;
		for (uint64_t u = 0; u < units && u < cl.n; u++)
			if (!(cl.bits[u / 8] >> (u % 8) & 1))
				unref++;
		rep->unreferenced_bytes = unref * VHDX_MiB;
		/* Leaked: past the last claimed unit. */
		uint64_t u = cl.n;
		while (u > 0 && !(cl.bits[(u - 1) / 8] >> ((u - 1) % 8) & 1))
			u--;
		rep->referenced_end = u * VHDX_MiB;
		rep->file_size = img->file_size;
		/* Whole MiB units only: every allocation is 1 MiB-aligned,
		 * and some writers end the file with a partial unit
		 * (Disk2VHD: 512 bytes). */
		uint64_t whole = img->file_size / VHDX_MiB * VHDX_MiB;
		if (whole > rep->referenced_end)
			rep->leaked_bytes = whole - rep->referenced_end;
	}
	free(cl.bits);
	free(slice);
	return r;
}

/*
 * txlog.c - transaction log files: classify, validate, index.
 *
 * A log starts with a copy of the hive's base block (its first 512 bytes,
 * "Format of transaction log files").  Its file type says the format:
 *
 *   - 1 (2 before Windows XP): old format.  At +512 "DIRT" and a bitmap
 *     with one bit per 512-byte page of the hive bins, then the dirty
 *     pages, one per set bit, from the next sector boundary.
 *   - 6: new format (Windows 8.1 and later).  From +512, HvLE entries:
 *     a 40-byte header (size, flags, sequence number, hive bins size,
 *     page count, two Marvin32 hashes), page references (offset, size),
 *     then the pages.
 *
 * A log is usable only with a valid base block: signature, checksum and
 * equal sequence numbers ("Old format", Base block, Notes 2).  New-format
 * entries are indexed up to the first one that fails its checks (bad
 * hash, size, hive bins size or page reference): recovery never goes
 * past it ("Log entries", Notes 8).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "registry/marvin32.h"
#include "util/bytes.h"

static void set_problem(struct txlog *lg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_problem(struct txlog *lg, const char *fmt, ...)
{
	if (lg->problem[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lg->problem, sizeof(lg->problem), fmt, ap);
	va_end(ap);
}

static void note_seq(struct txlog *lg, uint32_t seq)
{
	if (seq > lg->max_seq)
		lg->max_seq = seq;
}

/* Checks one HvLE entry at @off; returns NULL if valid, else why not. */
static const char *check_entry(const struct txlog *lg, size_t off,
			       struct reg_int_txlog_entry *ent, char *why,
			       size_t wlen)
{
	const uint8_t *p = lg->buf + off;
	if (!hvo_in_bounds(off, LE_REFS, lg->len))
		return "header runs past the end of the file";
	ent->off = off;
	ent->size = get_le32(p + LE_SIZE);
	ent->flags = get_le32(p + LE_FLAGS);
	ent->seq = get_le32(p + LE_SEQ);
	ent->hbins_size = get_le32(p + LE_HBINS_SIZE);
	ent->npages = get_le32(p + LE_NPAGES);
	if (ent->size < LE_REFS || ent->size % LOG_NEW_ALIGN != 0 ||
	    !hvo_in_bounds(off, ent->size, lg->len))
		return "size is not a multiple of 512 inside the file";
	if (ent->hbins_size == 0 || ent->hbins_size % REGF_HBIN_ALIGN != 0)
		return "hive bins data size is not a multiple of 4096";
	/* Hashes first: nothing below is trusted before they match. */
	if (get_le64(p + LE_HASH1) != reg_int_marvin32(p + LE_REFS,
						       ent->size - LE_REFS,
						       MARVIN32_REGISTRY_SEED))
		return "Hash-1 (Marvin32 of the page data) does not match";
	if (get_le64(p + LE_HASH2) !=
	    reg_int_marvin32(p, LE_HASH2_SPAN, MARVIN32_REGISTRY_SEED))
		return "Hash-2 (Marvin32 of the header) does not match";
	uint64_t used = LE_REFS + (uint64_t)ent->npages * 8;
	if (used > ent->size)
		return "page references overrun the entry";
	for (uint32_t i = 0; i < ent->npages; i++) {
		uint32_t poff = get_le32(p + LE_REFS + 8 * i);
		uint32_t psize = get_le32(p + LE_REFS + 8 * i + 4);
		if (psize == 0 || psize % LOG_OLD_PAGE != 0 ||
		    poff % LOG_OLD_PAGE != 0 ||
		    !hvo_in_bounds(poff, psize, ent->hbins_size)) {
			snprintf(why, wlen,
				 "page %u (offset 0x%x, %u bytes) lies outside "
				 "the hive bins (0x%x bytes)",
				 i, poff, psize, ent->hbins_size);
			return why;
		}
		used += psize;
	}
	if (used > ent->size)
		return "pages overrun the entry";
	return NULL;
}

static int parse_new(struct txlog *lg)
{
	size_t cap = 0;
	size_t off = LOG_NEW_FIRST;
	while (hvo_in_bounds(off, 4, lg->len) &&
	       memcmp(lg->buf + off, "HvLE", 4) == 0) {
		struct reg_int_txlog_entry ent;
		char why[160];
		const char *bad = check_entry(lg, off, &ent, why, sizeof(why));
		if (bad != NULL) {
			/* A damaged entry ends the usable part of the log;
			 * its header fields are not trusted. */
			set_problem(lg, "entry at offset %zu: %s", off, bad);
			break;
		}
		if (lg->nentries == cap) {
			cap = cap ? cap * 2 : 16;
			struct reg_int_txlog_entry *n =
				realloc(lg->entries, cap * sizeof(*n));
			if (n == NULL)
				return REG_ERR_NOMEM;
			lg->entries = n;
		}
		lg->entries[lg->nentries++] = ent;
		note_seq(lg, ent.seq);
		off += ent.size;
	}
	return 0;
}

static void parse_old(struct txlog *lg)
{
	const uint8_t *p = lg->buf;
	if (!hvo_in_bounds(LOG_OLD_VECTOR, 4, lg->len) ||
	    memcmp(p + LOG_OLD_VECTOR, "DIRT", 4) != 0) {
		lg->kind = REG_LOG_INVALID;
		set_problem(lg, "no 'DIRT' dirty vector at offset 512");
		return;
	}
	uint32_t hbs = lg->base.hbins_size;
	if (hbs == 0 || hbs % REGF_HBIN_ALIGN != 0) {
		lg->kind = REG_LOG_INVALID;
		set_problem(lg,
			    "hive bins data size %u is not a positive "
			    "multiple of 4096",
			    hbs);
		return;
	}
	/* "Dirty vector": one bit per 512-byte page of the hive bins. */
	uint32_t bits = hbs / LOG_OLD_PAGE;
	size_t bytes = (bits + 7) / 8;
	if (!hvo_in_bounds(LOG_OLD_VECTOR + 4, bytes, lg->len)) {
		lg->kind = REG_LOG_INVALID;
		set_problem(lg, "dirty vector of %u bits runs past the end",
			    bits);
		return;
	}
	lg->bitmap = p + LOG_OLD_VECTOR + 4;
	lg->npages_bits = bits;
	uint32_t n = 0;
	for (uint32_t i = 0; i < bits; i++)
		n += lg->bitmap[i >> 3] >> (i & 7) & 1;
	lg->ndirty = n;
	/* Pages start at the sector after the vector ("Dirty pages"). */
	size_t vec_end = LOG_OLD_VECTOR + 4 + bytes;
	lg->pages_off =
		(vec_end + LOG_OLD_PAGE - 1) / LOG_OLD_PAGE * LOG_OLD_PAGE;
	if (!hvo_in_bounds(lg->pages_off, (uint64_t)n * LOG_OLD_PAGE,
			   lg->len)) {
		lg->kind = REG_LOG_INVALID;
		set_problem(lg,
			    "%u dirty pages announced, the file holds "
			    "fewer",
			    n);
		return;
	}
	lg->kind = REG_LOG_OLD;
}

int reg_int_txlog_parse(struct txlog *lg)
{
	lg->problem[0] = '\0';
	lg->nentries = 0;
	lg->max_seq = 0;
	lg->applied = 0;
	if (!lg->present) {
		lg->kind = REG_LOG_ABSENT;
		return 0;
	}
	if (lg->len == 0) {
		lg->kind = REG_LOG_EMPTY;
		return 0;
	}
	lg->kind = REG_LOG_INVALID;
	if (lg->len < REGF_LOG_BASE_SIZE) {
		set_problem(lg, "%zu bytes: shorter than a base block copy",
			    lg->len);
		return 0;
	}
	reg_int_regf_base_decode(lg->buf, &lg->base);
	if (!lg->base.signature_ok) {
		set_problem(lg, "no 'regf' signature");
		return 0;
	}
	if (!lg->base.checksum_ok) {
		set_problem(lg, "base block checksum 0x%08x, computed 0x%08x",
			    lg->base.checksum, reg_int_regf_checksum(lg->buf));
		return 0;
	}
	if (lg->base.seq1 != lg->base.seq2) {
		set_problem(lg,
			    "base block sequence numbers differ (%u/%u): "
			    "the log itself was not completely written",
			    lg->base.seq1, lg->base.seq2);
		return 0;
	}
	note_seq(lg, lg->base.seq1);
	switch (lg->base.type) {
	case REGF_TYPE_LOG_NEW:
		lg->kind = REG_LOG_NEW;
		return parse_new(lg);
	case REGF_TYPE_LOG_OLD:
	case REGF_TYPE_LOG_OLD_NT5:
		parse_old(lg);
		return 0;
	default:
		set_problem(lg, "file type %u is not a transaction log",
			    lg->base.type);
		return 0;
	}
}

void reg_int_txlog_free(struct txlog *lg)
{
	free(lg->path);
	free(lg->buf);
	free(lg->entries);
	memset(lg, 0, sizeof(*lg));
}

/*
 * rpm_bdb.c - the "Packages" file of RHEL 7 and 8 (and CentOS): a
 * Berkeley DB hash database, walked read-only from a bounded buffer (see
 * rpm.h for why our own reader).
 *
 * Layout (Berkeley DB's dbinc/db_page.h, hash access method; rpm's
 * lib/backend/bdb_ro.c reads it the same way):
 *
 *   page 0     the hash meta page: magic 0x061561 at 12 (in the byte
 *              order of the machine that wrote it, which is how the
 *              order is told), page size at 20, encryption at 24, page
 *              type 8 (P_HASHMETA) at 25, meta flags at 26, last page
 *              number at 32
 *   page n     a 26-byte header: next page at 16, entries (u16) at 20,
 *              hf_offset (u16) at 22, type at 25; a hash page (type 13,
 *              or 2 from Berkeley DB < 4.6) then has an index of
 *              @entries u16 offsets into the page, key and data items
 *              alternating, each item running up to the previous one's
 *              offset (the first to the page's end); an item is
 *              H_KEYDATA (1: the bytes follow) or H_OFFPAGE (3: u32 page
 *              number at 4, u32 total length at 8, the bytes in a chain
 *              of overflow pages, type 7, each holding hf_offset bytes
 *              after its header)
 *
 * Every hash page is visited in file order (no bucket arithmetic: a
 * read-only walk needs none, and a damaged bucket chain cannot hide
 * records), every overflow chain is bounded by the page count and its
 * stated length, and a database that uses checksums or encryption (rpm's
 * never does) is refused as not supported.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/rpm.h"

#define BDB_HASHMAGIC 0x061561u

/* Meta page fields. */
#define META_MAGIC     12
#define META_PAGESIZE  20
#define META_ENCRYPT   24
#define META_TYPE      25
#define META_FLAGS     26
#define META_LAST_PGNO 32
#define DBMETA_CHKSUM  0x01u
#define META_SIZE      72 /* the generic part read above */

/* Page header fields. */
#define PG_NEXT	     16
#define PG_ENTRIES   20
#define PG_HF_OFFSET 22
#define PG_TYPE	     25
#define PG_HEADER    26

/* Page types. */
#define P_HASH_UNSORTED 2
#define P_OVERFLOW	7
#define P_HASHMETA	8
#define P_HASH		13

/* Hash item types. */
#define H_KEYDATA     1
#define H_OFFPAGE     3
#define HOFFPAGE_PGNO 4
#define HOFFPAGE_TLEN 8
#define HOFFPAGE_SIZE 12

/* Page sizes Berkeley DB allows (DB_MIN_PGSIZE .. DB_MAX_PGSIZE). */
#define BDB_MIN_PGSIZE 512u
#define BDB_MAX_PGSIZE 65536u

/* A header blob is at most rpm's index and data bounds. */
#define BDB_MAX_ITEM \
	(8u + SVC_RPM_HEADER_TAGS_MAX * 16u + SVC_RPM_HEADER_DATA_MAX)

struct bdb {
	const uint8_t *buf;
	size_t len;
	bool swapped; /* written on a machine of the other byte order */
	uint32_t pagesize;
	uint32_t npages;
	char *why;
	size_t whysize;
};

static int fail(struct bdb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct bdb *b, const char *fmt, ...)
{
	if (b->why != NULL && b->whysize > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b->why, b->whysize, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static uint32_t u32(const struct bdb *b, const uint8_t *p)
{
	return b->swapped ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				    (uint32_t)p[2] << 8 | p[3]
			  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
				    (uint32_t)p[1] << 8 | p[0];
}

static uint16_t u16(const struct bdb *b, const uint8_t *p)
{
	return b->swapped ? (uint16_t)(p[0] << 8 | p[1])
			  : (uint16_t)(p[1] << 8 | p[0]);
}

/* Page @n: the only way to a page, checked against the page count. */
static const uint8_t *page(const struct bdb *b, uint32_t n)
{
	return n < b->npages ? b->buf + (size_t)n * b->pagesize : NULL;
}

static int read_meta(struct bdb *b)
{
	if (b->len < META_SIZE)
		return fail(b, "%zu bytes, too short for a Berkeley DB file",
			    b->len);
	const uint8_t *m = b->buf;
	b->swapped = false;
	if (u32(b, m + META_MAGIC) != BDB_HASHMAGIC) {
		b->swapped = true;
		if (u32(b, m + META_MAGIC) != BDB_HASHMAGIC)
			return fail(b, "not a Berkeley DB hash database");
	}
	if (m[META_TYPE] != P_HASHMETA)
		return fail(b, "meta page of type %u, not a hash meta page",
			    m[META_TYPE]);
	uint32_t ps = u32(b, m + META_PAGESIZE);
	if (ps < BDB_MIN_PGSIZE || ps > BDB_MAX_PGSIZE || (ps & (ps - 1)))
		return fail(b, "page size %u", ps);
	if (m[META_ENCRYPT] != 0 || (m[META_FLAGS] & DBMETA_CHKSUM))
		return fail(b, "an encrypted or checksummed database (not "
			       "supported)");
	b->pagesize = ps;
	/* The pages the file holds; a last page number past them (a file
	 * cut short) leaves the missing pages unread, never read. */
	uint64_t have = b->len / ps;
	uint64_t last = (uint64_t)u32(b, m + META_LAST_PGNO) + 1;
	b->npages = (uint32_t)(have < last ? have : last);
	return 0;
}

/* The bytes of an H_OFFPAGE item: @tlen bytes from the overflow chain
 * that starts at page @pgno, into a buffer of the caller's (freed by
 * it).  NULL with the reason set when the chain is damaged. */
static uint8_t *overflow(struct bdb *b, uint32_t pgno, uint32_t tlen)
{
	if (tlen > BDB_MAX_ITEM || tlen > b->len) {
		fail(b, "overflow item of %u bytes", tlen);
		return NULL;
	}
	uint8_t *out = malloc(tlen ? tlen : 1);
	if (out == NULL) {
		fail(b, "out of memory");
		return NULL;
	}
	uint32_t got = 0;
	/* Each page of a chain is visited once at most. */
	for (uint32_t hops = 0; got < tlen; hops++) {
		const uint8_t *p = pgno != 0 ? page(b, pgno) : NULL;
		if (p == NULL || hops >= b->npages ||
		    p[PG_TYPE] != P_OVERFLOW) {
			fail(b,
			     "overflow chain broken at page %u after %u of "
			     "%u bytes",
			     pgno, got, tlen);
			free(out);
			return NULL;
		}
		uint32_t n = u16(b, p + PG_HF_OFFSET);
		if (n > b->pagesize - PG_HEADER || n > tlen - got) {
			fail(b, "overflow page %u holds %u bytes", pgno, n);
			free(out);
			return NULL;
		}
		if (n == 0 && got < tlen) {
			fail(b, "empty overflow page %u", pgno);
			free(out);
			return NULL;
		}
		memcpy(out + got, p + PG_HEADER, n);
		got += n;
		pgno = u32(b, p + PG_NEXT);
	}
	return out;
}

/* Item @i of hash page @p: [*@off, *@off + *@n) inside the page. */
static int item(struct bdb *b, const uint8_t *p, uint32_t pgno, uint16_t i,
		uint16_t entries, uint32_t *off, uint32_t *n)
{
	uint32_t lo = PG_HEADER + 2u * entries;
	uint32_t o = u16(b, p + PG_HEADER + 2u * i);
	uint32_t end =
		i == 0 ? b->pagesize : u16(b, p + PG_HEADER + 2u * (i - 1));
	if (o < lo || o >= end || end > b->pagesize)
		return fail(b, "page %u: item %u at offset %u out of place",
			    pgno, i, o);
	*off = o;
	*n = end - o;
	return 0;
}

/* Whether key item [@k, @k + @n) is rpm's header-number counter, key 0. */
static bool counter_key(const uint8_t *k, uint32_t n)
{
	return n == 5 && k[0] == H_KEYDATA && k[1] == 0 && k[2] == 0 &&
	       k[3] == 0 && k[4] == 0;
}

static int walk_page(struct bdb *b, uint32_t pgno, svc_rpm_blob_fn fn,
		     void *ctx)
{
	const uint8_t *p = page(b, pgno);
	uint16_t entries = u16(b, p + PG_ENTRIES);
	if (PG_HEADER + 2u * entries > b->pagesize)
		return fail(b, "page %u: %u entries do not fit", pgno, entries);
	for (uint16_t i = 0; i + 1 < entries; i += 2) {
		uint32_t ko, kn, doff, dn;
		if (item(b, p, pgno, i, entries, &ko, &kn) != 0 ||
		    item(b, p, pgno, (uint16_t)(i + 1), entries, &doff, &dn) !=
			    0)
			return -1;
		if (counter_key(p + ko, kn))
			continue;
		const uint8_t *d = p + doff;
		int r = 0;
		if (d[0] == H_KEYDATA) {
			r = fn(d + 1, dn - 1, ctx);
		} else if (d[0] == H_OFFPAGE) {
			if (dn < HOFFPAGE_SIZE)
				return fail(b, "page %u: short off-page item",
					    pgno);
			uint8_t *big = overflow(b, u32(b, d + HOFFPAGE_PGNO),
						u32(b, d + HOFFPAGE_TLEN));
			if (big == NULL)
				return -1;
			r = fn(big, u32(b, d + HOFFPAGE_TLEN), ctx);
			free(big);
		}
		/* Duplicates (H_DUPLICATE, H_OFFDUP) are not rpm's. */
		if (r != 0)
			return r;
	}
	return 0;
}

int svc_rpm_bdb_foreach(const uint8_t *db, size_t len, svc_rpm_blob_fn fn,
			void *ctx, char *why, size_t whysize)
{
	struct bdb b = {
		.buf = db, .len = len, .why = why, .whysize = whysize
	};
	if (read_meta(&b) != 0)
		return -1;
	for (uint32_t n = 1; n < b.npages; n++) {
		uint8_t type = page(&b, n)[PG_TYPE];
		if (type != P_HASH && type != P_HASH_UNSORTED)
			continue;
		int r = walk_page(&b, n, fn, ctx);
		if (r != 0)
			return r;
	}
	return 0;
}

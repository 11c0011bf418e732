/*
 * test_rpm.c - the RPM database readers (src/servicing/rpm_*.c) on
 * inputs built byte by byte here, one comment per field: a header blob as
 * rpm's lib/header.c lays it out, a Berkeley DB hash file as
 * dbinc/db_page.h lays it out, an SQLite database made with SQLite's own
 * API.  Databases made by rpm itself are read in tests/linux/
 * inspect-linux.sh, with rpm -qa as the oracle.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "servicing/rpm.h"

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* ------------------------------------------------------------------ */
/* Header blobs.                                                       */
/* ------------------------------------------------------------------ */

struct blob {
	uint8_t b[512];
	size_t len;
};

/*
 * A header of 5 entries: NAME, VERSION, RELEASE (STRING, type 6), EPOCH
 * (INT32, type 4, aligned to 4), ARCH (STRING).  Data store:
 *   0  "<name>\0"  then "6.1.0\0" "3.el9\0", padding to 4, epoch 1,
 *      "x86_64\0".
 */
static void make_header(struct blob *h, const char *name)
{
	memset(h, 0, sizeof(*h));
	uint8_t data[128];
	size_t d = 0;
	uint32_t off[5];
	const char *str[] = { name, "6.1.0", "3.el9" };
	for (int i = 0; i < 3; i++) {
		off[i] = (uint32_t)d;
		memcpy(data + d, str[i], strlen(str[i]) + 1);
		d += strlen(str[i]) + 1;
	}
	while (d % 4)
		data[d++] = 0;
	off[3] = (uint32_t)d;
	be32(data + d, 1); /* epoch 1 */
	d += 4;
	off[4] = (uint32_t)d;
	memcpy(data + d, "x86_64", 7);
	d += 7;
	static const uint32_t tags[5] = { 1000, 1001, 1002, 1003, 1022 };
	static const uint32_t types[5] = { 6, 6, 6, 4, 6 };
	be32(h->b, 5);		     /* il */
	be32(h->b + 4, (uint32_t)d); /* dl */
	for (int i = 0; i < 5; i++) {
		uint8_t *e = h->b + 8 + 16 * i;
		be32(e, tags[i]);      /* tag */
		be32(e + 4, types[i]); /* type */
		be32(e + 8, off[i]);   /* offset into the data store */
		be32(e + 12, 1);       /* count */
	}
	memcpy(h->b + 8 + 16 * 5, data, d);
	h->len = 8 + 16 * 5 + d;
}

static void header_parsed(void **state)
{
	(void)state;
	struct blob h;
	make_header(&h, "hyperv-daemons");
	struct svc_rpm_pkg p;
	char why[128] = "";
	assert_int_equal(svc_rpm_header_parse(h.b, h.len, &p, why, sizeof(why)),
			 0);
	assert_string_equal(p.name, "hyperv-daemons");
	assert_string_equal(p.version, "6.1.0");
	assert_string_equal(p.release, "3.el9");
	assert_string_equal(p.arch, "x86_64");
	assert_true(p.has_epoch);
	assert_int_equal(p.epoch, 1);
}

/* Parses @h, which must fail with @want in the reason. */
static void refused(const struct blob *h, const char *want)
{
	struct svc_rpm_pkg p;
	char why[128] = "";
	assert_int_equal(
		svc_rpm_header_parse(h->b, h->len, &p, why, sizeof(why)), -1);
	if (strstr(why, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", why, want);
}

static void header_hostile(void **state)
{
	(void)state;
	struct blob h;
	make_header(&h, "x");
	h.len = 7;
	refused(&h, "too short");
	make_header(&h, "x");
	be32(h.b, 0); /* il 0 */
	refused(&h, "0 index entries");
	make_header(&h, "x");
	be32(h.b, 0x10000); /* il past rpm's bound */
	refused(&h, "65536 index entries");
	make_header(&h, "x");
	be32(h.b + 4, 0x10000000); /* dl past rpm's bound */
	refused(&h, "data store of");
	make_header(&h, "x");
	h.len++; /* a byte more than il and dl say */
	refused(&h, "say");
	make_header(&h, "x");
	be32(h.b + 8 + 4, 10); /* NAME's type: 10 is no type */
	refused(&h, "unknown type 10");
	make_header(&h, "x");
	be32(h.b + 8 + 8, 4000); /* NAME's offset past the store */
	refused(&h, "outside");
	make_header(&h, "x");
	h.b[h.len - 1] = 'X'; /* ARCH's NUL, the store's last byte */
	refused(&h, "not ended");
	make_header(&h, "x");
	be32(h.b + 8 + 16 * 3 + 8, 5); /* EPOCH at an odd offset */
	refused(&h, "epoch");
	make_header(&h, "x");
	be32(h.b + 8, 999); /* NAME's tag: no NAME left */
	refused(&h, "without tag 1000");
}

/* ------------------------------------------------------------------ */
/* Berkeley DB hash files.                                             */
/* ------------------------------------------------------------------ */

#define PS 512

/*
 * Four pages of 512 bytes, little-endian:
 *   0  hash meta: magic 0x061561 at 12, page size at 20, type 8 at 25,
 *      last page 3 at 32
 *   1  hash page (type 13), 6 items: key 0 (rpm's counter) / its value,
 *      key 1 / a header inline (H_KEYDATA), key 2 / H_OFFPAGE to page 2
 *   2  overflow (type 7): the first 300 bytes of the second header,
 *      next page 3
 *   3  overflow: the rest
 */
struct bdbfile {
	uint8_t b[4 * PS];
	struct blob h1, h2;
};

static void put_item(uint8_t *pg, int i, uint16_t *hf, const uint8_t *item,
		     size_t n)
{
	*hf = (uint16_t)(*hf - n);
	memcpy(pg + *hf, item, n);
	le16(pg + 26 + 2 * i, *hf); /* the index entry */
}

static void make_bdb(struct bdbfile *f)
{
	memset(f, 0, sizeof(*f));
	uint8_t *m = f->b;
	le32(m + 12, 0x061561); /* magic */
	le32(m + 16, 9);	/* version */
	le32(m + 20, PS);	/* page size */
	m[25] = 8;		/* P_HASHMETA */
	le32(m + 32, 3);	/* last page */
	make_header(&f->h1, "bash");
	make_header(&f->h2, "hyperv-daemons");
	/* The second header (127 bytes) is split 100 + 27 over the two
	 * overflow pages. */
	uint8_t *pg = f->b + PS;
	le32(pg + 8, 1);  /* this page's number */
	pg[25] = 13;	  /* P_HASH */
	le16(pg + 20, 6); /* entries */
	uint16_t hf = PS;
	uint8_t key[5] = { 1, 0, 0, 0, 0 }; /* H_KEYDATA, key 0 */
	put_item(pg, 0, &hf, key, 5);
	uint8_t cnt[5] = { 1, 2, 0, 0, 0 }; /* the counter: 2 headers */
	put_item(pg, 1, &hf, cnt, 5);
	key[1] = 1; /* key 1 */
	put_item(pg, 2, &hf, key, 5);
	uint8_t inl[256];
	inl[0] = 1; /* H_KEYDATA: the header follows */
	memcpy(inl + 1, f->h1.b, f->h1.len);
	put_item(pg, 3, &hf, inl, f->h1.len + 1);
	key[1] = 2; /* key 2 */
	put_item(pg, 4, &hf, key, 5);
	uint8_t off[12] = { 3 };	    /* H_OFFPAGE */
	le32(off + 4, 2);		    /* first overflow page */
	le32(off + 8, (uint32_t)f->h2.len); /* total length */
	put_item(pg, 5, &hf, off, 12);
	le16(pg + 22, hf); /* hf_offset */
	uint8_t *o1 = f->b + 2 * PS, *o2 = f->b + 3 * PS;
	o1[25] = o2[25] = 7; /* P_OVERFLOW */
	le32(o1 + 16, 3);    /* next page */
	le16(o1 + 22, 100);  /* bytes here */
	memcpy(o1 + 26, f->h2.b, 100);
	le16(o2 + 22, (uint16_t)(f->h2.len - 100));
	memcpy(o2 + 26, f->h2.b + 100, f->h2.len - 100);
}

struct seen {
	int n;
	char names[4][64];
};

static int collect(const uint8_t *blob, size_t len, void *ctx)
{
	struct seen *s = ctx;
	struct svc_rpm_pkg p;
	assert_int_equal(svc_rpm_header_parse(blob, len, &p, NULL, 0), 0);
	assert_true(s->n < 4);
	strcpy(s->names[s->n++], p.name);
	return 0;
}

static void bdb_walked(void **state)
{
	(void)state;
	struct bdbfile f;
	make_bdb(&f);
	struct seen s = { 0 };
	char why[128] = "";
	assert_int_equal(svc_rpm_bdb_foreach(f.b, sizeof(f.b), collect, &s, why,
					     sizeof(why)),
			 0);
	assert_int_equal(s.n, 2); /* the counter skipped */
	assert_string_equal(s.names[0], "bash");
	assert_string_equal(s.names[1], "hyperv-daemons");
	static const char *const names[] = { "hyperv-daemons", "bash" };
	struct svc_rpm_pkg p;
	size_t bad = 9;
	assert_int_equal(svc_rpm_find(f.b, sizeof(f.b), SVC_RPM_BDB, names, 2,
				      &p, &bad, why, sizeof(why)),
			 0);
	assert_string_equal(p.version, "6.1.0");
	assert_int_equal(bad, 0);
	/* The second name only: found at index 1 of a list. */
	static const char *const other[] = { "hypervkvpd", "bash" };
	assert_int_equal(svc_rpm_find(f.b, sizeof(f.b), SVC_RPM_BDB, other, 2,
				      &p, NULL, why, sizeof(why)),
			 1);
	static const char *const none[] = { "hyper-v" };
	assert_int_equal(svc_rpm_find(f.b, sizeof(f.b), SVC_RPM_BDB, none, 1,
				      &p, NULL, why, sizeof(why)),
			 -1);
}

/* Walks @f, which must fail with @want in the reason. */
static void bdb_refused(const uint8_t *b, size_t len, const char *want)
{
	struct seen s = { 0 };
	char why[128] = "";
	assert_int_equal(
		svc_rpm_bdb_foreach(b, len, collect, &s, why, sizeof(why)), -1);
	if (strstr(why, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", why, want);
}

static void bdb_hostile(void **state)
{
	(void)state;
	struct bdbfile f;
	make_bdb(&f);
	f.b[12] = 0x62; /* magic */
	bdb_refused(f.b, sizeof(f.b), "not a Berkeley DB hash");
	make_bdb(&f);
	le32(f.b + 20, 1000); /* a page size not a power of two */
	bdb_refused(f.b, sizeof(f.b), "page size 1000");
	make_bdb(&f);
	f.b[26] = 1; /* DBMETA_CHKSUM */
	bdb_refused(f.b, sizeof(f.b), "checksummed");
	make_bdb(&f);
	le32(f.b + 3 * PS + 16, 0); /* cut the chain short: page 3 ends it */
	le16(f.b + 3 * PS + 22, 10);
	bdb_refused(f.b, sizeof(f.b), "overflow chain broken");
	make_bdb(&f);
	le32(f.b + 2 * PS + 16, 2); /* page 2 is its own next: a loop */
	bdb_refused(f.b, sizeof(f.b), "overflow");
	make_bdb(&f);
	le16(f.b + PS + 26 + 2 * 3, 20); /* item 3 inside the index */
	bdb_refused(f.b, sizeof(f.b), "out of place");
	make_bdb(&f);
	le16(f.b + PS + 20, 300); /* 300 entries cannot fit in 512 bytes */
	bdb_refused(f.b, sizeof(f.b), "do not fit");
	make_bdb(&f);
	/* H_OFFPAGE's first page: page 0, the meta page. */
	uint16_t o = (uint16_t)(f.b[PS + 26 + 10] | f.b[PS + 27 + 10] << 8);
	le32(f.b + PS + o + 4, 0);
	bdb_refused(f.b, sizeof(f.b), "overflow chain broken at page 0");
	/* A file cut after page 1: the pages past its end are not read. */
	make_bdb(&f);
	le32(f.b + PS + o + 4, 2);
	bdb_refused(f.b, 2 * PS, "overflow chain broken at page 2");
	bdb_refused(f.b, 40, "too short");
}

/* The same file written on a big-endian machine: every page field
 * swapped; the keys and the blobs are what they were. */
static void bdb_big_endian(void **state)
{
	(void)state;
	struct bdbfile f;
	make_bdb(&f);
	static const size_t f32[] = { 12, 16, 20, 32 };
	for (size_t i = 0; i < 4; i++) {
		uint8_t *p = f.b + f32[i];
		uint8_t t = p[0];
		p[0] = p[3];
		p[3] = t;
		t = p[1];
		p[1] = p[2];
		p[2] = t;
	}
	for (int pg = 1; pg < 4; pg++) {
		uint8_t *p = f.b + pg * PS;
		uint8_t t;
		for (int k = 0; k < 2; k++) { /* u32 at 8 and 16 */
			uint8_t *q = p + (k ? 16 : 8);
			t = q[0], q[0] = q[3], q[3] = t;
			t = q[1], q[1] = q[2], q[2] = t;
		}
		int nidx = pg == 1 ? 6 : 0;
		for (int k = 0; k < 2 + nidx; k++) { /* u16: 20, 22, index */
			uint8_t *q = p + (k == 0   ? 20
					  : k == 1 ? 22
						   : 26 + 2 * (k - 2));
			t = q[0], q[0] = q[1], q[1] = t;
		}
	}
	/* The H_OFFPAGE item's page and length. */
	uint16_t o = (uint16_t)(f.b[PS + 26 + 10] << 8 | f.b[PS + 27 + 10]);
	for (int k = 0; k < 2; k++) {
		uint8_t *q = f.b + PS + o + 4 + 4 * k;
		uint8_t t = q[0];
		q[0] = q[3], q[3] = t;
		t = q[1], q[1] = q[2], q[2] = t;
	}
	struct seen s = { 0 };
	char why[128] = "";
	assert_int_equal(svc_rpm_bdb_foreach(f.b, sizeof(f.b), collect, &s, why,
					     sizeof(why)),
			 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[1], "hyperv-daemons");
}

/* ------------------------------------------------------------------ */
/* rpmdb.sqlite.                                                       */
/* ------------------------------------------------------------------ */

/* An SQLite database as rpm's sqlite backend makes it (its Packages
 * table), in WAL mode as rpm leaves it, serialized to bytes. */
static unsigned char *make_sqlite(sqlite3_int64 *len, bool packages)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     packages ? "CREATE TABLE Packages (hnum INTEGER "
					"PRIMARY KEY AUTOINCREMENT, blob BLOB "
					"NOT NULL)"
				      : "CREATE TABLE Other (x)",
			     NULL, NULL, NULL),
		SQLITE_OK);
	if (packages) {
		const char *names[] = { "bash", "hyperv-daemons" };
		for (int i = 0; i < 2; i++) {
			struct blob h;
			make_header(&h, names[i]);
			sqlite3_stmt *st;
			assert_int_equal(sqlite3_prepare_v2(
						 db,
						 "INSERT INTO Packages (blob) "
						 "VALUES (?)",
						 -1, &st, NULL),
					 SQLITE_OK);
			sqlite3_bind_blob(st, 1, h.b, (int)h.len,
					  SQLITE_TRANSIENT);
			assert_int_equal(sqlite3_step(st), SQLITE_DONE);
			sqlite3_finalize(st);
		}
	}
	unsigned char *b = sqlite3_serialize(db, "main", len, 0);
	assert_non_null(b);
	sqlite3_close(db);
	b[18] = b[19] = 2; /* WAL, as rpm sets it */
	return b;
}

static void sqlite_read(void **state)
{
	(void)state;
	sqlite3_int64 len;
	unsigned char *b = make_sqlite(&len, true);
	struct seen s = { 0 };
	char why[128] = "";
	assert_int_equal(svc_rpm_sqlite_foreach(b, (size_t)len, collect, &s,
						why, sizeof(why)),
			 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[1], "hyperv-daemons");
	/* The caller's bytes are not changed (the WAL mark is patched in
	 * a copy). */
	assert_int_equal(b[18], 2);
	sqlite3_free(b);
	b = make_sqlite(&len, false);
	assert_int_equal(svc_rpm_sqlite_foreach(b, (size_t)len, collect, &s,
						why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "no Packages table"));
	b[0] = 'X';
	assert_int_equal(svc_rpm_sqlite_foreach(b, (size_t)len, collect, &s,
						why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "not an SQLite database"));
	sqlite3_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_parsed),
		cmocka_unit_test(header_hostile),
		cmocka_unit_test(bdb_walked),
		cmocka_unit_test(bdb_hostile),
		cmocka_unit_test(bdb_big_endian),
		cmocka_unit_test(sqlite_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

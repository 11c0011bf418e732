/*
 * test_cab_hostile.c - hostile and broken cabinets built byte by byte.
 *
 * Each cabinet is written field by field (one comment per field), then
 * damaged in one place.  Every case must fail with a clear error and
 * without a crash (the suite runs under ASan/UBSan); extraction must
 * leave nothing behind.  The positive controls are checked with
 * cabextract where it matters.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <nettle/md5.h>

#include "cab/cab.h"
#include "cab/cab_internal.h"
#include "tests/lib/hvotest.h"
#include "util/bytes.h"

/* A cabinet under construction. */
struct cb {
	uint8_t b[4096];
	size_t n;
};

static void u8(struct cb *c, unsigned v)
{
	c->b[c->n++] = (uint8_t)v;
}
static void u16(struct cb *c, unsigned v)
{
	put_le16(c->b + c->n, (uint16_t)v);
	c->n += 2;
}
static void u32(struct cb *c, uint32_t v)
{
	put_le32(c->b + c->n, v);
	c->n += 4;
}
static void str(struct cb *c, const char *s)
{
	memcpy(c->b + c->n, s, strlen(s) + 1);
	c->n += strlen(s) + 1;
}

/*
 * One folder (typeCompress @type), one CFDATA block holding @data
 * (@dlen bytes, @ulen uncompressed), and @nfiles files of @fsize bytes
 * each at consecutive offsets, named @names.  Checksum 0 (none).
 */
static void build(struct cb *c, uint16_t type, const uint8_t *data, size_t dlen,
		  size_t ulen, unsigned nfiles, const char *const *names,
		  const uint32_t *sizes)
{
	memset(c, 0, sizeof(*c));
	/* CFHEADER */
	u8(c, 'M'), u8(c, 'S'), u8(c, 'C'), u8(c, 'F'); /* signature */
	u32(c, 0);					/* reserved1 */
	u32(c, 0);	/* cbCabinet, patched below */
	u32(c, 0);	/* reserved2 */
	u32(c, 0);	/* coffFiles, patched below */
	u32(c, 0);	/* reserved3 */
	u8(c, 3);	/* versionMinor */
	u8(c, 1);	/* versionMajor */
	u16(c, 1);	/* cFolders */
	u16(c, nfiles); /* cFiles */
	u16(c, 0);	/* flags */
	u16(c, 1234);	/* setID */
	u16(c, 0);	/* iCabinet */
	/* CFFOLDER */
	size_t folder_at = c->n;
	u32(c, 0);    /* coffCabStart, patched below */
	u16(c, 1);    /* cCFData */
	u16(c, type); /* typeCompress */
	/* CFFILE entries */
	put_le32(c->b + 0x10, (uint32_t)c->n); /* coffFiles */
	uint32_t off = 0;
	for (unsigned i = 0; i < nfiles; i++) {
		u32(c, sizes[i]); /* cbFile */
		u32(c, off);	  /* uoffFolderStart */
		u16(c, 0);	  /* iFolder */
		u16(c, 0x5a8f);	  /* date: 2025-04-15 */
		u16(c, 0x6000);	  /* time: 12:00:00 */
		u16(c, 0x20);	  /* attribs: archive */
		str(c, names[i]); /* szName */
		off += sizes[i];
	}
	/* CFDATA */
	put_le32(c->b + folder_at, (uint32_t)c->n); /* coffCabStart */
	u32(c, 0);				    /* csum: none */
	u16(c, (unsigned)dlen);			    /* cbData */
	u16(c, (unsigned)ulen);			    /* cbUncomp */
	memcpy(c->b + c->n, data, dlen);
	c->n += dlen;
	put_le32(c->b + 8, (uint32_t)c->n); /* cbCabinet */
}

static void build_stored(struct cb *c, const char *name, const char *text)
{
	const char *names[] = { name };
	uint32_t sizes[] = { (uint32_t)strlen(text) };
	build(c, 0, (const uint8_t *)text, strlen(text), strlen(text), 1, names,
	      sizes);
}

/* Opens @c from memory, expects success. */
static struct cab *open_ok(const struct cb *c, unsigned flags)
{
	struct cab *cab = NULL;
	int err = cab_open_mem(c->b, c->n, flags, &cab);
	if (err)
		fail_msg("open: %s", cab_errmsg(cab));
	return cab;
}

static int expect_open_err(const uint8_t *b, size_t n)
{
	struct cab *cab = NULL;
	int err = cab_open_mem(b, n, 0, &cab);
	assert_int_not_equal(err, 0);
	assert_true(cab_errmsg(cab)[0] != '\0');
	cab_close(cab);
	return err;
}

static int sink(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

static int read0(struct cab *cab)
{
	return cab_read_entry(cab, 0, sink, NULL);
}

static void test_control(void **state)
{
	(void)state;
	struct cb c;
	build_stored(&c, "hello.txt", "hello, world\n");
	struct cab *cab = open_ok(&c, 0);
	uint8_t *buf;
	size_t len;
	assert_int_equal(cab_read_entry_alloc(cab, 0, 100, &buf, &len), 0);
	assert_int_equal(len, 13);
	assert_memory_equal(buf, "hello, world\n", 13);
	free(buf);
	const struct cab_entry *e = cab_entry_get(cab, 0);
	assert_int_equal(e->year, 2025);
	assert_int_equal(e->month, 4);
	assert_int_equal(e->day, 15);
	assert_int_equal(e->hour, 12);
	cab_close(cab);
}

static void test_truncated_header(void **state)
{
	(void)state;
	struct cb c;
	build_stored(&c, "a", "x");
	/* Every prefix shorter than the file entries fails to open. */
	for (size_t n = 0; n < 0x2c + 16 + 2; n++) {
		int err = expect_open_err(c.b, n);
		assert_true(err == CAB_ERR_NOT_CAB || err == CAB_ERR_CORRUPT);
	}
	/* Not a cabinet at all. */
	assert_int_equal(expect_open_err((const uint8_t *)"MSCX", 4),
			 CAB_ERR_NOT_CAB);
	assert_int_equal(cab_exit_class(CAB_ERR_NOT_CAB), HVO_EXIT_CORRUPT);
}

static void test_folder_data_past_eof(void **state)
{
	(void)state;
	struct cb c;
	build_stored(&c, "a", "hello");
	put_le32(c.b + 0x24, 100000); /* coffCabStart beyond the file */
	struct cab *cab = open_ok(&c, 0);
	assert_int_equal(read0(cab), CAB_ERR_CORRUPT);
	assert_non_null(strstr(cab_errmsg(cab), "past end of file"));
	cab_close(cab);
	/* The data itself cut short. */
	build_stored(&c, "a", "hello");
	c.n -= 2;
	cab = open_ok(&c, 0);
	assert_int_equal(read0(cab), CAB_ERR_CORRUPT);
	cab_close(cab);
}

static void test_cbuncomp_too_large(void **state)
{
	(void)state;
	struct cb c;
	build_stored(&c, "a", "hello");
	size_t cfdata = get_le32(c.b + 0x24);
	put_le16(c.b + cfdata + 6, 32769); /* cbUncomp > 32768 */
	struct cab *cab = open_ok(&c, 0);
	assert_int_equal(read0(cab), CAB_ERR_CORRUPT);
	assert_non_null(strstr(cab_errmsg(cab), "cbUncomp 32769"));
	cab_close(cab);
}

static void test_checksum(void **state)
{
	(void)state;
	struct cb c;
	build_stored(&c, "a", "hello");
	size_t cfdata = get_le32(c.b + 0x24);
	uint32_t sum = cab_int_checksum(c.b + cfdata + 8, 5, 0);
	sum = cab_int_checksum(c.b + cfdata + 4, 4, sum);
	put_le32(c.b + cfdata, sum); /* a correct checksum */
	struct cab *cab = open_ok(&c, 0);
	assert_int_equal(read0(cab), 0);
	cab_close(cab);
	c.b[cfdata + 8] ^= 1; /* one bit of data flipped */
	cab = open_ok(&c, 0);
	assert_int_equal(read0(cab), CAB_ERR_CHECKSUM);
	assert_non_null(strstr(cab_errmsg(cab), "checksum mismatch"));
	cab_close(cab);
	cab = open_ok(&c, CAB_OPEN_IGNORE_CHECKSUMS);
	assert_int_equal(read0(cab), 0);
	cab_close(cab);
}

static void test_lzx_window_range(void **state)
{
	(void)state;
	static const uint16_t bad[] = {
		0x0E03, /* LZX window 2^14 */
		0x1603, /* LZX window 2^22 */
		0x0003, /* LZX window 2^0 */
		0x0902, /* Quantum window 2^9 */
		0x000F, /* method 15 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cb c;
		const char *names[] = { "a" };
		uint32_t sizes[] = { 4 };
		build(&c, bad[i], (const uint8_t *)"abcd", 4, 4, 1, names,
		      sizes);
		struct cab *cab = open_ok(&c, 0);
		assert_int_equal(read0(cab), CAB_ERR_UNSUPPORTED);
		assert_int_equal(cab_exit_class(CAB_ERR_UNSUPPORTED),
				 HVO_EXIT_CORRUPT);
		cab_close(cab);
	}
}

/* MSB-first bits in 16-bit little-endian words, as LZX reads them. */
struct bw {
	uint8_t b[512];
	size_t n;
	uint32_t acc;
	unsigned nacc;
};

static void bits(struct bw *w, uint32_t v, unsigned n)
{
	while (n--) {
		w->acc = w->acc << 1 | ((v >> n) & 1);
		if (++w->nacc == 16) {
			put_le16(w->b + w->n, (uint16_t)w->acc);
			w->n += 2;
			w->acc = 0;
			w->nacc = 0;
		}
	}
}

static void flush16(struct bw *w)
{
	if (w->nacc)
		bits(w, 0, 16 - w->nacc);
}

/*
 * An LZX:15 frame with one verbatim block of @len bytes whose main tree
 * has two codes of one bit: '0' = literal 'A', '1' = symbol 256 (position
 * slot 0 = R0, initially 1; length 2), and an empty length tree.  The
 * bits after the trees are @code (@ncode bits).
 */
static size_t lzx_frame(uint8_t *out, unsigned len, uint32_t code,
			unsigned ncode)
{
	struct bw w = { 0 };
	bits(&w, 0, 1);	  /* no E8 translation header */
	bits(&w, 1, 3);	  /* block type 1: verbatim */
	bits(&w, 0, 16);  /* block length, high 16 bits */
	bits(&w, len, 8); /* block length, low 8 bits */
	/* Main tree symbols 0-255: pretree with '0' = sym 0 (delta 0,
	 * length stays 0) and '1' = sym 16 (0 - 16 mod 17 = length 1). */
	for (int i = 0; i < 20; i++)
		bits(&w, i == 0 || i == 16 ? 1 : 0, 4);
	for (int x = 0; x < 256; x++)
		bits(&w, x == 'A', 1);
	/* Main tree symbols 256-495 (30 slots x 8): a new pretree. */
	for (int i = 0; i < 20; i++)
		bits(&w, i == 0 || i == 16 ? 1 : 0, 4);
	for (int x = 256; x < 496; x++)
		bits(&w, x == 256, 1);
	/* Length tree: all 249 lengths stay 0 (an empty tree is legal). */
	for (int i = 0; i < 20; i++)
		bits(&w, i == 0 || i == 16 ? 1 : 0, 4);
	for (int x = 0; x < 249; x++)
		bits(&w, 0, 1);
	bits(&w, code, ncode); /* the symbols */
	flush16(&w);
	memcpy(out, w.b, w.n);
	return w.n;
}

static void test_lzx_match_before_data(void **state)
{
	(void)state;
	uint8_t frame[512];
	const char *names[] = { "a" };
	/* Control: 'A' then a match of 2 at distance 1: "AAA". */
	size_t n = lzx_frame(frame, 3, 0x1 /* 0 1 */, 2);
	uint32_t sizes[] = { 3 };
	struct cb c;
	build(&c, 0x0F03, frame, n, 3, 1, names, sizes);
	struct cab *cab = open_ok(&c, 0);
	uint8_t *buf;
	size_t len;
	assert_int_equal(cab_read_entry_alloc(cab, 0, 100, &buf, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "AAA", 3);
	free(buf);
	cab_close(cab);
	/* cabextract agrees on the control. */
	if (hvo_test_have_program("cabextract")) {
		char *dir = hvo_test_mkdtemp(), *p, *cmd, *out = NULL;
		assert_true(asprintf(&p, "%s/lzx.cab", dir) > 0);
		hvo_test_write_file(p, c.b, c.n);
		assert_true(asprintf(&cmd, "cabextract -q -p '%s'", p) > 0);
		assert_int_equal(hvo_test_run(cmd, &out), 0);
		assert_string_equal(out, "AAA");
		free(out);
		free(cmd);
		free(p);
		hvo_test_rmtree(dir);
		free(dir);
	}
	/* The match first: distance 1 with nothing before it. */
	n = lzx_frame(frame, 2, 0x1 /* 1 */, 1);
	sizes[0] = 2;
	build(&c, 0x0F03, frame, n, 2, 1, names, sizes);
	cab = open_ok(&c, 0);
	assert_int_equal(read0(cab), CAB_ERR_DATA);
	assert_non_null(strstr(cab_errmsg(cab), "before the stream start"));
	cab_close(cab);
	/* A match running past the block end (block of 2: 'A' + 2). */
	n = lzx_frame(frame, 2, 0x1, 2);
	build(&c, 0x0F03, frame, n, 2, 1, names, sizes);
	cab = open_ok(&c, 0);
	assert_int_equal(read0(cab), CAB_ERR_DATA);
	cab_close(cab);
}

static void test_mszip_match_before_data(void **state)
{
	(void)state;
	/* "CK", then a fixed-Huffman final deflate block whose first code
	 * is a match (length 3, distance 1) with no data before it:
	 * BFINAL=1, BTYPE=01, literal/length 257 = 0000001 (7 bits),
	 * distance code 0 = 00000 (5 bits), end of block 0000000. */
	const uint8_t data[] = { 'C', 'K', 0x03, 0x02, 0x00, 0x00 };
	const char *names[] = { "a" };
	uint32_t sizes[] = { 3 };
	struct cb c;
	build(&c, 1, data, sizeof(data), 3, 1, names, sizes);
	struct cab *cab = open_ok(&c, 0);
	assert_int_equal(read0(cab), CAB_ERR_DATA);
	cab_close(cab);
	/* No "CK" signature. */
	const uint8_t nock[] = { 'C', 'X', 0x03, 0x00 };
	build(&c, 1, nock, sizeof(nock), 0, 1, names, sizes);
	put_le16(c.b + get_le32(c.b + 0x24) + 6, 3);
	cab = open_ok(&c, 0);
	assert_int_equal(read0(cab), CAB_ERR_DATA);
	assert_non_null(strstr(cab_errmsg(cab), "CK"));
	cab_close(cab);
}

static void test_cfiles_too_large(void **state)
{
	(void)state;
	struct cb c;
	build_stored(&c, "a", "hello");
	put_le16(c.b + 0x1c, 65535); /* cFiles far larger than the file */
	assert_int_equal(expect_open_err(c.b, c.n), CAB_ERR_CORRUPT);
	build_stored(&c, "a", "hello");
	put_le16(c.b + 0x1a, 65535); /* cFolders likewise */
	assert_int_equal(expect_open_err(c.b, c.n), CAB_ERR_CORRUPT);
	build_stored(&c, "a", "hello");
	put_le16(c.b + 0x1c, 0); /* no files */
	assert_int_equal(expect_open_err(c.b, c.n), CAB_ERR_CORRUPT);
	build_stored(&c, "a", "hello");
	put_le16(c.b + 0x2c + 8, 7); /* iFolder 7 of 1 folder */
	assert_int_equal(expect_open_err(c.b, c.n), CAB_ERR_CORRUPT);
	/* A file said to end beyond the largest folder. */
	build_stored(&c, "a", "hello");
	put_le32(c.b + 0x2c, 0xFFFFFFF0u);
	assert_int_equal(expect_open_err(c.b, c.n), CAB_ERR_CORRUPT);
}

static void test_name_without_nul(void **state)
{
	(void)state;
	struct cb c;
	build_stored(&c, "abc", "x");
	/* Cut the file just after the name's last character. */
	size_t name_at = 0x2c + 16;
	assert_int_equal(expect_open_err(c.b, name_at + 3), CAB_ERR_CORRUPT);
	/* A 300-byte name: longer than the 255 the format allows. */
	char longname[301];
	memset(longname, 'n', 300);
	longname[300] = 0;
	build_stored(&c, longname, "x");
	int err = expect_open_err(c.b, c.n);
	assert_int_equal(err, CAB_ERR_CORRUPT);
	/* An empty name. */
	build_stored(&c, "", "x");
	assert_int_equal(expect_open_err(c.b, c.n), CAB_ERR_CORRUPT);
}

static void test_traversal_names(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"/etc/passwd",
		"\\windows\\system32\\x",
		"..\\x",
		"a/../../x",
		"a\\..\\x",
		"C:\\x",
		"C:x",
		"a/./b",
		"a//b",
		"con",
		"NUL.txt",
		"com1",
		"a\\lpt9.log",
		"x.",
		"x ",
		"a\x01"
		"b",
		"..",
		".",
	};
	char *dir = hvo_test_mkdtemp();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cb c;
		build_stored(&c, bad[i], "pwned");
		struct cab *cab = open_ok(&c, 0);
		/* Listing shows the name faithfully. */
		assert_non_null(cab_entry_get(cab, 0)->name);
		char *p = NULL;
		const char *why = NULL;
		if (cab_safe_path(cab_entry_get(cab, 0), &p, &why) !=
		    CAB_ERR_UNSAFE_NAME)
			fail_msg("\"%s\" accepted as \"%s\"", bad[i], p);
		assert_non_null(why);
		assert_int_equal(cab_extract(cab, dir, NULL, NULL),
				 CAB_ERR_UNSAFE_NAME);
		assert_int_equal(cab_exit_class(CAB_ERR_UNSAFE_NAME),
				 HVO_EXIT_REFUSED);
		cab_close(cab);
	}
	/* Nothing was written. */
	char *cmd, *out = NULL;
	assert_true(asprintf(&cmd, "find '%s' -mindepth 1 | wc -l", dir) > 0);
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	assert_int_equal(atoi(out), 0);
	free(out);
	free(cmd);
	/* A safe nested name maps '\' to '/'. */
	struct cb c;
	build_stored(&c, "dir1\\sub\\file.txt", "ok");
	struct cab *cab = open_ok(&c, 0);
	char *p;
	assert_int_equal(cab_safe_path(cab_entry_get(cab, 0), &p, NULL), 0);
	assert_string_equal(p, "dir1/sub/file.txt");
	free(p);
	assert_int_equal(cab_extract(cab, dir, NULL, NULL), 0);
	char *path;
	assert_true(asprintf(&path, "%s/dir1/sub/file.txt", dir) > 0);
	size_t len;
	uint8_t *b = hvo_test_read_file(path, &len);
	assert_int_equal(len, 2);
	free(b);
	/* Existing file: refused without overwrite, replaced with it. */
	assert_int_equal(cab_extract(cab, dir, NULL, NULL), CAB_ERR_EXISTS);
	struct cab_extract_opts o = { .overwrite = true };
	assert_int_equal(cab_extract(cab, dir, &o, NULL), 0);
	cab_close(cab);
	free(path);
	hvo_test_rmtree(dir);
	free(dir);
}

static void test_symlinks_never_followed(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp(), *outside = hvo_test_mkdtemp();
	char *link, *flink, *target;
	assert_true(asprintf(&link, "%s/d", dir) > 0);
	assert_int_equal(symlink(outside, link), 0);
	struct cb c;
	build_stored(&c, "d\\x", "pwned");
	struct cab *cab = open_ok(&c, 0);
	struct cab_extract_opts o = { .overwrite = true };
	assert_int_equal(cab_extract(cab, dir, &o, NULL), CAB_ERR_EXISTS);
	assert_non_null(strstr(cab_errmsg(cab), "symlink"));
	cab_close(cab);
	/* A symlink at the file's own name is not written through. */
	assert_true(asprintf(&flink, "%s/f", dir) > 0);
	assert_true(asprintf(&target, "%s/target", outside) > 0);
	assert_int_equal(symlink(target, flink), 0);
	build_stored(&c, "f", "pwned");
	cab = open_ok(&c, 0);
	assert_int_equal(cab_extract(cab, dir, &o, NULL), CAB_ERR_EXISTS);
	cab_close(cab);
	struct stat st;
	assert_int_not_equal(lstat(target, &st), 0);
	free(link);
	free(flink);
	free(target);
	hvo_test_rmtree(dir);
	hvo_test_rmtree(outside);
	free(dir);
	free(outside);
}

/* A failed extraction leaves no partial file under a member's name. */
static void test_failed_extraction_leaves_nothing(void **state)
{
	(void)state;
	/* Two files in one stored block; the block's checksum is wrong, so
	 * the first file's data is never valid. */
	const char *names[] = { "first.bin", "second.bin" };
	uint32_t sizes[] = { 3, 3 };
	struct cb c;
	build(&c, 0, (const uint8_t *)"abcdef", 6, 6, 2, names, sizes);
	put_le32(c.b + get_le32(c.b + 0x24), 0xdeadbeef);
	char *dir = hvo_test_mkdtemp();
	struct cab *cab = open_ok(&c, 0);
	assert_int_equal(cab_extract(cab, dir, NULL, NULL), CAB_ERR_CHECKSUM);
	cab_close(cab);
	char *cmd, *out = NULL;
	assert_true(asprintf(&cmd, "find '%s' -mindepth 1 | wc -l", dir) > 0);
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	assert_int_equal(atoi(out), 0);
	free(out);
	free(cmd);
	hvo_test_rmtree(dir);
	free(dir);
}

static void test_caps(void **state)
{
	(void)state;
	const char *names[] = { "a", "b", "c" };
	uint32_t sizes[] = { 2, 2, 2 };
	struct cb c;
	build(&c, 0, (const uint8_t *)"aabbcc", 6, 6, 3, names, sizes);
	char *dir = hvo_test_mkdtemp();
	struct cab *cab = open_ok(&c, 0);
	struct cab_extract_opts o = { .max_files = 2 };
	assert_int_equal(cab_extract(cab, dir, &o, NULL), CAB_ERR_LIMIT);
	o = (struct cab_extract_opts){ .max_total = 5 };
	assert_int_equal(cab_extract(cab, dir, &o, NULL), CAB_ERR_LIMIT);
	assert_non_null(strstr(cab_errmsg(cab), "cap"));
	o = (struct cab_extract_opts){ .max_total = 6, .max_files = 3 };
	struct cab_extract_stats st;
	assert_int_equal(cab_extract(cab, dir, &o, &st), 0);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.bytes, 6);
	cab_close(cab);
	hvo_test_rmtree(dir);
	free(dir);
}

/*
 * The decompression bomb: large-files-cab.cab (26.5 kB) holds
 * large-files.cab (14.7 MB), whose three members claim 3 x 2 GiB.  The
 * inner cabinet is made here, with our own extraction, and extracting it
 * must be refused by the default cap before anything is written.
 */
static void test_bomb(void **state)
{
	(void)state;
	struct cab *outer = NULL;
	assert_int_equal(cab_open(hvo_fixture("cab/cabextract/cabs/"
					      "large-files-cab.cab"),
				  0, &outer),
			 0);
	char *dir = hvo_test_mkdtemp(), *out = hvo_test_mkdtemp();
	struct cab_extract_stats st;
	assert_int_equal(cab_extract(outer, dir, NULL, &st), 0);
	assert_int_equal(st.bytes, 14689228);
	cab_close(outer);
	char *inner;
	assert_true(asprintf(&inner, "%s/large-files.cab", dir) > 0);
	struct cab *cab = NULL;
	assert_int_equal(cab_open(inner, 0, &cab), 0);
	assert_int_equal(cab_entry_count(cab), 3);
	assert_int_equal(cab_extract(cab, out, NULL, &st), CAB_ERR_LIMIT);
	assert_int_equal(st.files, 0);
	/* Even one member is refused under a smaller cap. */
	size_t one = 0;
	struct cab_extract_opts o = { .max_total = 1 << 20,
				      .indices = &one,
				      .nindices = 1 };
	assert_int_equal(cab_extract(cab, out, &o, &st), CAB_ERR_LIMIT);
	/* The members do decode (the first MiB of each folder). */
	for (size_t i = 0; i < 3; i++) {
		struct cab_folder_info const *f =
			cab_folder_get(cab, cab_entry_get(cab, i)->folder);
		assert_int_equal(f->blocks, 65535);
	}
	char *cmd, *res = NULL;
	assert_true(asprintf(&cmd, "find '%s' -mindepth 1 | wc -l", out) > 0);
	assert_int_equal(hvo_test_run(cmd, &res), 0);
	assert_int_equal(atoi(res), 0);
	free(res);
	free(cmd);
	cab_close(cab);
	free(inner);
	hvo_test_rmtree(dir);
	hvo_test_rmtree(out);
	free(dir);
	free(out);
}

struct upto {
	size_t left;
};

static int stop_after(void *ctx, const void *buf, size_t len)
{
	struct upto *u = ctx;
	(void)buf;
	if (len >= u->left)
		return 1;
	u->left -= len;
	return 0;
}

/* The bomb's inner cabinet, decoded into memory by our own reader and
 * opened from there (caller frees *@buf_ret after cab_close). */
static struct cab *open_inner_bomb(uint8_t **buf_ret)
{
	struct cab *outer = NULL;
	assert_int_equal(cab_open(hvo_fixture("cab/cabextract/cabs/"
					      "large-files-cab.cab"),
				  0, &outer),
			 0);
	size_t len;
	assert_int_equal(
		cab_read_entry_alloc(outer, 0, 16 << 20, buf_ret, &len), 0);
	cab_close(outer);
	struct cab *cab = NULL;
	assert_int_equal(cab_open_mem(*buf_ret, len, 0, &cab), 0);
	return cab;
}

static void test_bomb_members_decode(void **state)
{
	(void)state;
	uint8_t *inner;
	struct cab *cab = open_inner_bomb(&inner);
	for (size_t i = 0; i < 3; i++) {
		struct upto u = { 4 << 20 };
		/* Stopped by the callback after 4 MiB: aborted, not
		 * corrupt. */
		assert_int_equal(cab_read_entry(cab, i, stop_after, &u),
				 CAB_ERR_ABORTED);
	}
	cab_close(cab);
	free(inner);
}

static int to_md5(void *ctx, const void *buf, size_t len)
{
	md5_update(ctx, len, buf);
	return 0;
}

/*
 * The three members of the inner cabinet decoded in full: folders of
 * 65535 blocks (the format's maximum) in MSZIP, LZX:15 and LZX:21, each
 * 2,147,450,880 bytes with MD5 d64bf04a56027b97ac17d751aba2d291
 * (PROVENANCE.md, from cabextract's large-files.test).  LZX output past
 * 1 GiB is where the E8 translation must stop (frame 32768 on).
 */
static void test_bomb_members_full(void **state)
{
	(void)state;
	uint8_t *inner;
	struct cab *cab = open_inner_bomb(&inner);
	for (size_t i = 0; i < 3; i++) {
		struct md5_ctx md5;
		md5_init(&md5);
		assert_int_equal(cab_read_entry(cab, i, to_md5, &md5), 0);
		uint8_t d[MD5_DIGEST_SIZE];
		char hex[33];
		md5_digest(&md5, sizeof(d), d);
		for (int k = 0; k < MD5_DIGEST_SIZE; k++)
			sprintf(hex + 2 * k, "%02x", d[k]);
		assert_string_equal(hex, "d64bf04a56027b97ac17d751aba2d291");
	}
	cab_close(cab);
	free(inner);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_folder_data_past_eof),
		cmocka_unit_test(test_cbuncomp_too_large),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_lzx_window_range),
		cmocka_unit_test(test_lzx_match_before_data),
		cmocka_unit_test(test_mszip_match_before_data),
		cmocka_unit_test(test_cfiles_too_large),
		cmocka_unit_test(test_name_without_nul),
		cmocka_unit_test(test_traversal_names),
		cmocka_unit_test(test_symlinks_never_followed),
		cmocka_unit_test(test_failed_extraction_leaves_nothing),
		cmocka_unit_test(test_caps),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (rc)
		return rc;
	/* The bomb needs the fixtures. */
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest bomb[] = {
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_bomb_members_decode),
		cmocka_unit_test(test_bomb_members_full),
	};
	return cmocka_run_group_tests(bomb, NULL, NULL);
}

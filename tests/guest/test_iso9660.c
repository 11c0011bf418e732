/*
 * test_iso9660.c - the ISO 9660 reader (src/guest/iso9660.c) and the ISO
 * image as a guest_disk (iso9660_fs.c).
 *
 * Images are built here byte by byte (one comment per field): a primary
 * tree with a multi-extent file, the same with a Joliet tree, then broken
 * one field at a time (truncated, a directory that points back at its
 * parent or itself, an extent past the end, bad descriptors, a record
 * overrunning its sector, an unterminated multi-extent file, an
 * interleaved file).  Real images in the vmguest.iso layout are made with
 * genisoimage from the real packages in ../shared/fixtures/ic (grafted in
 * place, never copied) and read back against isoinfo, the independent
 * reader: the same paths (-f with -J, -R or neither) and the same bytes
 * for every file (-x); and one made by xorriso, where installed.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/guest.h"
#include "guest/iso9660.h"
#include "tests/lib/hvotest.h"

#define SEC	   2048u
#define NSECTORS   32u
#define S_PVD	   16u /* primary volume descriptor */
#define S_SVD	   17u /* Joliet supplementary, or the terminator */
#define S_ROOT	   20u /* the primary tree's root directory */
#define S_SUPPORT  21u /* its "SUPPORT" directory */
#define S_JROOT	   22u /* the Joliet tree's root */
#define S_JSUPPORT 23u
#define S_HELLO	   24u /* "HELLO.TXT": 5 bytes */
#define S_BIG1	   25u /* "BIG.BIN", extent 1: 2048 bytes of 'A' */
#define S_BIG2	   26u /* extent 2: 100 bytes of 'B' */

static void both16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v; /* little-endian, then big-endian (7.2.3) */
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void both32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++) { /* 7.3.3 */
		p[i] = (uint8_t)(v >> (8 * i));
		p[7 - i] = (uint8_t)(v >> (8 * i));
	}
}

/* A directory record (9.1) at @p; returns its length. */
static size_t record(uint8_t *p, uint32_t extent, uint32_t size, uint8_t flags,
		     const void *name, size_t namelen)
{
	size_t len = 33 + namelen + (namelen % 2 == 0);
	memset(p, 0, len);
	p[0] = (uint8_t)len;	  /* length of directory record */
	p[1] = 0;		  /* extended attribute record length */
	both32(p + 2, extent);	  /* location of extent */
	both32(p + 10, size);	  /* data length */
	p[18] = 126;		  /* recording date: 2026 ... */
	p[25] = flags;		  /* file flags */
	p[26] = 0;		  /* file unit size (not interleaved) */
	p[27] = 0;		  /* interleave gap size */
	both16(p + 28, 1);	  /* volume sequence number */
	p[32] = (uint8_t)namelen; /* length of file identifier */
	memcpy(p + 33, name, namelen);
	return len;
}

/* "." and ".." (6.8.2.2), then the records in @recs. */
static void directory(uint8_t *img, uint32_t sector, uint32_t parent)
{
	uint8_t *p = img + sector * SEC;
	p += record(p, sector, SEC, 0x02, "\0", 1);
	record(p, parent, SEC, 0x02, "\1", 1);
}

static size_t dir_end(const uint8_t *img, uint32_t sector)
{
	size_t o = 0;
	while (img[sector * SEC + o] != 0)
		o += img[sector * SEC + o];
	return o;
}

static size_t add(uint8_t *img, uint32_t dir, uint32_t extent, uint32_t size,
		  uint8_t flags, const char *name)
{
	size_t o = dir_end(img, dir);
	record(img + dir * SEC + o, extent, size, flags, name, strlen(name));
	return dir * SEC + o;
}

/* A Joliet name: UCS-2 big-endian. */
static size_t add_joliet(uint8_t *img, uint32_t dir, uint32_t extent,
			 uint32_t size, uint8_t flags, const char *name)
{
	uint8_t u[128];
	size_t n = strlen(name);
	for (size_t i = 0; i < n; i++) {
		u[2 * i] = 0;
		u[2 * i + 1] = (uint8_t)name[i];
	}
	size_t o = dir_end(img, dir);
	record(img + dir * SEC + o, extent, size, flags, u, 2 * n);
	return dir * SEC + o;
}

static void descriptor(uint8_t *img, uint32_t sector, uint8_t type,
		       uint32_t root)
{
	uint8_t *v = img + sector * SEC;
	v[0] = type;				   /* volume descriptor type */
	memcpy(v + 1, "CD001", 5);		   /* standard identifier */
	v[6] = 1;				   /* version */
	both32(v + 80, NSECTORS);		   /* volume space size */
	both16(v + 120, 1);			   /* volume set size */
	both16(v + 124, 1);			   /* volume sequence number */
	both16(v + 128, SEC);			   /* logical block size */
	record(v + 156, root, SEC, 0x02, "\0", 1); /* root directory */
	v[881] = 1;				   /* file structure version */
}

/* The primary tree: /SUPPORT/HELLO.TXT;1 and /BIG.BIN;1 (two extents);
 * with @joliet, the Joliet tree /Support/hello.txt and /big.bin too. */
static uint8_t *build(bool joliet)
{
	uint8_t *img = calloc(NSECTORS, SEC);
	assert_non_null(img);
	descriptor(img, S_PVD, 1, S_ROOT);
	uint32_t term = S_SVD;
	if (joliet) {
		descriptor(img, S_SVD, 2, S_JROOT);
		memcpy(img + S_SVD * SEC + 88, "%/E", 3); /* UCS-2 level 3 */
		term = S_SVD + 1;
	}
	img[term * SEC] = 255; /* volume descriptor set terminator */
	memcpy(img + term * SEC + 1, "CD001", 5);
	img[term * SEC + 6] = 1;

	directory(img, S_ROOT, S_ROOT);
	add(img, S_ROOT, S_BIG1, SEC, 0x80, "BIG.BIN;1"); /* multi-extent */
	add(img, S_ROOT, S_BIG2, 100, 0x00, "BIG.BIN;1");
	add(img, S_ROOT, S_SUPPORT, SEC, 0x02, "SUPPORT");
	directory(img, S_SUPPORT, S_ROOT);
	add(img, S_SUPPORT, S_HELLO, 5, 0x00, "HELLO.TXT;1");
	if (joliet) {
		directory(img, S_JROOT, S_JROOT);
		add_joliet(img, S_JROOT, S_BIG1, SEC, 0x80, "big.bin;1");
		add_joliet(img, S_JROOT, S_BIG2, 100, 0x00, "big.bin;1");
		add_joliet(img, S_JROOT, S_JSUPPORT, SEC, 0x02, "Support");
		directory(img, S_JSUPPORT, S_JROOT);
		add_joliet(img, S_JSUPPORT, S_HELLO, 5, 0x00, "hello.txt;1");
	}
	memcpy(img + S_HELLO * SEC, "hello", 5);
	memset(img + S_BIG1 * SEC, 'A', SEC);
	memset(img + S_BIG2 * SEC, 'B', 100);
	return img;
}

struct mem {
	const uint8_t *p;
	uint64_t size;
};

static int mem_read(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	const struct mem *m = ctx;
	assert_true(off <= m->size && len <= m->size - off);
	memcpy(buf, m->p + off, len);
	return 0;
}

static int open_mem(const uint8_t *img, uint64_t size, struct mem *m,
		    struct guest_iso **iso, char *why, size_t whysize)
{
	m->p = img;
	m->size = size;
	why[0] = '\0';
	return guest_iso_open(mem_read, m, size, iso, why, whysize);
}

static void check_tree(struct guest_iso *iso, const char *support,
		       const char *hello, const char *big)
{
	uint32_t n, r;
	char path[64];
	snprintf(path, sizeof(path), "%s/%s", support, hello);
	/* Case does not matter, either way. */
	assert_int_equal(guest_iso_lookup(iso, "support/HELLO.txt", &n), 0);
	assert_string_equal(guest_iso_name(iso, n), hello);
	assert_int_equal(guest_iso_lookup(iso, path, &r), 0);
	assert_int_equal(r, n);
	assert_false(guest_iso_is_dir(iso, n));
	assert_int_equal(guest_iso_size(iso, n), 5);
	uint8_t buf[4096];
	size_t got;
	assert_int_equal(guest_iso_pread(iso, n, 0, sizeof(buf), buf, &got),
			 GUEST_ISO_OK);
	assert_int_equal(got, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(guest_iso_lookup(iso, "support/nothere", &r),
			 GUEST_E_NOENT);
	assert_int_equal(guest_iso_lookup(iso, "support/hello.txt/x", &r),
			 GUEST_E_NOTDIR);

	/* The multi-extent file: one file of both extents, in order. */
	assert_int_equal(guest_iso_lookup(iso, "BIG.bin", &n), 0);
	assert_string_equal(guest_iso_name(iso, n), big);
	assert_int_equal(guest_iso_size(iso, n), SEC + 100);
	assert_int_equal(guest_iso_nchildren(iso, GUEST_ISO_ROOT), 2);
	assert_int_equal(guest_iso_pread(iso, n, SEC - 3, 10, buf, &got),
			 GUEST_ISO_OK);
	assert_int_equal(got, 10); /* across the two extents */
	assert_memory_equal(buf, "AAABBBBBBB", 10);
	assert_int_equal(guest_iso_pread(iso, n, SEC + 90, 50, buf, &got),
			 GUEST_ISO_OK);
	assert_int_equal(got, 10); /* short only at the end */
	assert_int_equal(guest_iso_pread(iso, n, SEC + 100, 1, buf, &got),
			 GUEST_ISO_OK);
	assert_int_equal(got, 0);
	assert_int_equal(guest_iso_lookup(iso, support, &n), 0);
	assert_true(guest_iso_is_dir(iso, n));
	assert_int_equal(guest_iso_nchildren(iso, n), 1);
}

/* The built image (@joliet or not) reads back with the names of @kind. */
static void check_built(bool joliet, enum guest_iso_names kind,
			const char *support, const char *hello, const char *big)
{
	uint8_t *img = build(joliet);
	struct mem m;
	struct guest_iso *iso;
	char why[256];
	assert_int_equal(
		open_mem(img, NSECTORS * SEC, &m, &iso, why, sizeof(why)),
		GUEST_ISO_OK);
	assert_int_equal(guest_iso_names_used(iso), kind);
	check_tree(iso, support, hello, big);
	guest_iso_free(iso);
	free(img);
}

static void test_primary(void **state)
{
	(void)state;
	/* The ";1" version is not part of the name. */
	check_built(false, GUEST_ISO_NAMES_PRIMARY, "SUPPORT", "HELLO.TXT",
		    "BIG.BIN");
}

static void test_joliet(void **state)
{
	(void)state;
	/* Joliet is preferred, with its case. */
	check_built(true, GUEST_ISO_NAMES_JOLIET, "Support", "hello.txt",
		    "big.bin");
}

/* Opens a broken image: @err, and a reason holding @word. */
static void expect_bad(const uint8_t *img, uint64_t size, int err,
		       const char *word)
{
	struct mem m;
	struct guest_iso *iso = (struct guest_iso *)1;
	char why[256];
	int r = open_mem(img, size, &m, &iso, why, sizeof(why));
	if (r != err || strstr(why, word) == NULL)
		fail_msg("expected %s with \"%s\", got %s: %s",
			 guest_iso_strerror(err), word, guest_iso_strerror(r),
			 why);
	assert_null(iso);
}

static void test_hostile(void **state)
{
	(void)state;
	uint64_t full = NSECTORS * SEC;
	uint8_t *img = build(true);

	/* Truncated: shorter than the volume space size. */
	expect_bad(img, full - SEC, GUEST_ISO_CORRUPT, "truncated");
	/* Truncated inside the descriptors, and before them. */
	expect_bad(img, (S_SVD + 1) * SEC, GUEST_ISO_CORRUPT, "truncated");
	expect_bad(img, S_PVD * SEC + 100, GUEST_ISO_NOT_ISO, "truncated");

	/* Bad descriptors: no identifier at 16 (not an ISO), after it
	 * (corrupt), an impossible block size, no primary. */
	img[S_PVD * SEC + 1] = 'X';
	expect_bad(img, full, GUEST_ISO_NOT_ISO, "CD001");
	img[S_PVD * SEC + 1] = 'C';
	img[(S_SVD + 1) * SEC + 5] = '2';
	expect_bad(img, full, GUEST_ISO_CORRUPT, "CD001");
	img[(S_SVD + 1) * SEC + 5] = '1';
	both16(img + S_SVD * SEC + 128, 3000);
	expect_bad(img, full, GUEST_ISO_CORRUPT, "block size");
	both16(img + S_SVD * SEC + 128, SEC);
	img[S_PVD * SEC] = 3; /* a volume partition descriptor */
	expect_bad(img, full, GUEST_ISO_CORRUPT, "no primary");
	img[S_PVD * SEC] = 1;
	img[S_SVD * SEC + 156 + 25] = 0; /* the root is not a directory */
	expect_bad(img, full, GUEST_ISO_CORRUPT, "root");
	img[S_SVD * SEC + 156 + 25] = 2;
	free(img);

	/* A directory that is its parent: Support -> the root's extent. */
	img = build(true);
	size_t at = S_JROOT * SEC + 34 + 34 + 52 + 52;
	assert_int_equal(img[at], 33 + 14 + 1); /* the "Support" record */
	both32(img + at + 2, S_JROOT);
	expect_bad(img, full, GUEST_ISO_CORRUPT, "loop");
	/* ... is itself (a subdirectory of Support pointing at Support). */
	both32(img + at + 2, S_JSUPPORT);
	add_joliet(img, S_JSUPPORT, S_JSUPPORT, SEC, 0x02, "again");
	expect_bad(img, full, GUEST_ISO_CORRUPT, "loop");
	free(img);

	/* An extent past the end of the image. */
	img = build(true);
	at = add_joliet(img, S_JSUPPORT, 1000, 5, 0x00, "far.cab;1");
	expect_bad(img, full, GUEST_ISO_CORRUPT, "past the end");
	both32(img + at + 2, NSECTORS - 1); /* the last sector: fine ... */
	both32(img + at + 10, SEC);
	struct mem m;
	struct guest_iso *iso;
	char why[256];
	assert_int_equal(open_mem(img, full, &m, &iso, why, sizeof(why)),
			 GUEST_ISO_OK);
	guest_iso_free(iso);
	both32(img + at + 10, SEC + 1); /* ... one byte more is not */
	expect_bad(img, full, GUEST_ISO_CORRUPT, "past the end");
	/* A record longer than what is left of its directory (made 200
	 * bytes long in the "Support" record of the root). */
	both32(img + at + 10, 5);
	both32(img + S_JROOT * SEC + 172 + 10, 200);
	img[at] = 100;
	expect_bad(img, full, GUEST_ISO_CORRUPT, "malformed");
	both32(img + S_JROOT * SEC + 172 + 10, SEC);
	/* A name longer than its record. */
	img[at] = 34;
	expect_bad(img, full, GUEST_ISO_CORRUPT, "malformed");
	free(img);

	/* A multi-extent file without its last extent. */
	img = build(false);
	at = add(img, S_SUPPORT, S_HELLO, 5, 0x80, "LAST.CAB;1");
	expect_bad(img, full, GUEST_ISO_CORRUPT, "multi-extent");
	/* Interleaved files are valid but not read. */
	img[at + 25] = 0;
	img[at + 26] = 1;
	expect_bad(img, full, GUEST_ISO_UNSUPPORTED, "interleaved");
	free(img);

	/* Grading: corrupt input is exit 5, I/O is 1. */
	assert_int_equal(guest_iso_exit_class(GUEST_ISO_CORRUPT),
			 HVO_EXIT_CORRUPT);
	assert_int_equal(guest_iso_exit_class(GUEST_ISO_NOT_ISO),
			 HVO_EXIT_CORRUPT);
	assert_int_equal(guest_iso_exit_class(GUEST_ISO_IO), HVO_EXIT_FAILED);
}

/* The image as a guest_disk from a file: the guest_fs calls that
 * inspect_source.c's collect_iso makes, and the refusals. */
static void test_disk(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char path[512], host[600];
	snprintf(path, sizeof(path), "%s/vmguest.iso", dir);
	uint8_t *img = build(true);
	hvo_test_write_file(path, img, NSECTORS * SEC);
	struct guest_disk *disk;
	char why[600];
	assert_int_equal(guest_iso_disk_open(path, &disk, why, sizeof(why)),
			 GUEST_ISO_OK);
	const struct guest_disk_layout *l = guest_disk_layout(disk);
	assert_int_equal(l->nvolumes, 1);
	assert_string_equal(l->volumes[0].fstype, "iso9660");
	struct guest_fs *fs;
	assert_int_equal(guest_disk_mount(disk, 0, false, &fs), GUEST_E_ROFS);
	assert_int_equal(guest_disk_mount(disk, 0, true, &fs), GUEST_OK);
	char **names;
	size_t n;
	assert_int_equal(guest_fs_list(fs, "\\", &names, &n), GUEST_OK);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "Support");
	assert_string_equal(names[1], "big.bin");
	guest_names_free(names, n);
	char *real;
	assert_int_equal(
		guest_fs_resolve(fs, "SUPPORT\\HELLO.TXT", false, &real),
		GUEST_OK);
	assert_string_equal(real, "Support/hello.txt");
	free(real);
	assert_int_equal(guest_fs_resolve(fs, "support/new.txt", true, &real),
			 GUEST_OK);
	assert_string_equal(real, "Support/new.txt");
	free(real);
	struct guest_stat st;
	assert_int_equal(guest_fs_stat(fs, "big.bin", &st), GUEST_OK);
	assert_int_equal(st.type, GUEST_FT_FILE);
	assert_int_equal(st.size, SEC + 100);
	snprintf(host, sizeof(host), "%s/out", dir);
	assert_int_equal(guest_fs_copy_out(fs, "BIG.BIN", host), GUEST_OK);
	size_t len;
	uint8_t *got = hvo_test_read_file(host, &len);
	assert_int_equal(len, SEC + 100);
	assert_memory_equal(got, img + S_BIG1 * SEC, SEC + 100);
	free(got);
	assert_int_equal(guest_fs_write_atomic(fs, "x", "y", 1), GUEST_E_ROFS);
	assert_int_equal(guest_fs_list(fs, "support/hello.txt", &names, &n),
			 GUEST_E_NOTDIR);
	guest_disk_close(disk);

	/* A broken image: the message names the file. */
	both32(img + S_JROOT * SEC + 34 + 34 + 52 + 52 + 2, S_JROOT);
	hvo_test_write_file(path, img, NSECTORS * SEC);
	assert_int_equal(guest_iso_disk_open(path, &disk, why, sizeof(why)),
			 GUEST_ISO_CORRUPT);
	assert_null(disk);
	assert_true(strncmp(why, path, strlen(path)) == 0);
	assert_non_null(strstr(why, "corrupt ISO 9660 image"));
	snprintf(host, sizeof(host), "%s/missing.iso", dir);
	assert_int_equal(guest_iso_disk_open(host, &disk, why, sizeof(why)),
			 GUEST_ISO_IO);
	free(img);
	hvo_test_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* Real images against isoinfo.                                        */
/* ------------------------------------------------------------------ */

static char **split_lines(char *text, size_t *n_ret)
{
	size_t n = 0, cap = 16;
	char **v = malloc(cap * sizeof(*v));
	assert_non_null(v);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save)) {
		if (n == cap)
			assert_non_null(
				v = realloc(v, (cap *= 2) * sizeof(*v)));
		v[n++] = l;
	}
	*n_ret = n;
	return v;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every path under @node as "/a/b", into @out. */
static void our_paths(const struct guest_iso *iso, uint32_t node,
		      const char *prefix, char ***out, size_t *n)
{
	for (uint32_t k = 0; k < guest_iso_nchildren(iso, node); k++) {
		uint32_t c = guest_iso_child(iso, node, k);
		char *p;
		assert_true(asprintf(&p, "%s/%s", prefix,
				     guest_iso_name(iso, c)) > 0);
		assert_non_null(*out = realloc(*out, (*n + 1) * sizeof(**out)));
		(*out)[(*n)++] = p;
		if (guest_iso_is_dir(iso, c))
			our_paths(iso, c, p, out, n);
	}
}

/* isoinfo's path without its version (";1"): the name we give. */
static void strip_isoinfo(char *p)
{
	char *semi = strrchr(p, ';');
	if (semi != NULL && strchr(semi, '/') == NULL)
		*semi = '\0';
}

/* One image made with genisoimage @opts: our tree equals isoinfo's
 * (@mode: -J, -R or "") in paths and bytes. */
#define CAB64 "Windows6.2-HyperVIntegrationServices-x64.cab"
#define CAB86 "Windows6.x-HyperVIntegrationServices-x86.cab"

static void compare(const char *dir, const char *fx, const char *opts,
		    const char *mode, enum guest_iso_names kind)
{
	char *cmd, *out, iso_path[512];
	snprintf(iso_path, sizeof(iso_path), "%s/t.iso", dir);
	if (strcmp(opts, "xorriso") == 0)
		/* xorriso's own writer: Joliet and Rock Ridge. */
		assert_true(
			asprintf(&cmd,
				 "rm -f '%s' && xorriso -outdev '%s' "
				 "-joliet on -rockridge on -map '%s/tree' / "
				 "-map '%s/ic/%s' /support/amd64/%s "
				 "-map '%s/ic/%s' /support/x86/%s "
				 ">/dev/null 2>&1",
				 iso_path, iso_path, dir, fx, CAB64, CAB64, fx,
				 CAB86, CAB86) > 0);
	else
		assert_true(asprintf(&cmd,
				     "genisoimage -quiet %s -V VMGUEST "
				     "-graft-points -o '%s' "
				     "support/amd64/%s='%s/ic/%s' "
				     "support/x86/%s='%s/ic/%s' '%s/tree'",
				     opts, iso_path, CAB64, fx, CAB64, CAB86,
				     fx, CAB86, dir) > 0);
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);

	struct guest_disk *disk;
	char why[600];
	assert_int_equal(guest_iso_disk_open(iso_path, &disk, why, sizeof(why)),
			 GUEST_ISO_OK);
	/* The reader inside the disk, for the node walk. */
	FILE *f = fopen(iso_path, "rb");
	assert_non_null(f);
	struct stat st;
	assert_int_equal(stat(iso_path, &st), 0);
	uint8_t *img = malloc((size_t)st.st_size);
	assert_non_null(img);
	assert_int_equal(fread(img, 1, (size_t)st.st_size, f),
			 (size_t)st.st_size);
	fclose(f);
	struct mem m;
	struct guest_iso *iso;
	assert_int_equal(
		open_mem(img, (uint64_t)st.st_size, &m, &iso, why, sizeof(why)),
		GUEST_ISO_OK);
	assert_int_equal(guest_iso_names_used(iso), kind);

	assert_true(asprintf(&cmd, "isoinfo %s -f -i '%s'", mode, iso_path) >
		    0);
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	free(cmd);
	size_t nraw;
	char **raw = split_lines(out, &nraw);
	char **theirs = calloc(nraw + 1, sizeof(*theirs));
	for (size_t i = 0; i < nraw; i++) {
		theirs[i] = strdup(raw[i]);
		strip_isoinfo(theirs[i]);
	}
	char **ours = NULL;
	size_t nours = 0;
	our_paths(iso, GUEST_ISO_ROOT, "", &ours, &nours);
	qsort(theirs, nraw, sizeof(*theirs), cmp_str);
	qsort(ours, nours, sizeof(*ours), cmp_str);
	assert_int_equal(nours, nraw);
	for (size_t i = 0; i < nraw; i++)
		assert_string_equal(ours[i], theirs[i]);

	/* Every file's bytes, by isoinfo -x, through the guest_fs. */
	struct guest_fs *fs;
	assert_int_equal(guest_disk_mount(disk, 0, true, &fs), GUEST_OK);
	size_t nfiles = 0;
	for (size_t i = 0; i < nraw; i++) {
		char *p = strdup(raw[i]);
		strip_isoinfo(p);
		struct guest_stat gs;
		assert_int_equal(guest_fs_stat(fs, p, &gs), GUEST_OK);
		if (gs.type == GUEST_FT_DIR) {
			free(p);
			continue;
		}
		char xpath[600];
		snprintf(xpath, sizeof(xpath), "%s/x", dir);
		assert_true(asprintf(&cmd, "isoinfo %s -i '%s' -x '%s' >'%s'",
				     mode, iso_path, raw[i], xpath) > 0);
		assert_int_equal(hvo_test_run(cmd, NULL), 0);
		free(cmd);
		size_t xlen, glen;
		uint8_t *x = hvo_test_read_file(xpath, &xlen), *g;
		assert_int_equal(
			guest_fs_read(fs, p, GUEST_READ_MAX, &g, &glen),
			GUEST_OK);
		assert_int_equal(glen, xlen);
		assert_int_equal(gs.size, xlen);
		assert_memory_equal(g, x, xlen);
		free(x);
		free(g);
		free(p);
		nfiles++;
	}
	assert_true(nfiles >= 3);
	/* What collect_iso lists: support\<arch>\*.cab, any case. */
	char **names;
	size_t n;
	assert_int_equal(guest_fs_list(fs, "SUPPORT/AMD64", &names, &n),
			 GUEST_OK);
	assert_int_equal(n, 1);
	guest_names_free(names, n);

	for (size_t i = 0; i < nraw; i++)
		free(theirs[i]);
	for (size_t i = 0; i < nours; i++)
		free(ours[i]);
	free(theirs);
	free(ours);
	free(raw);
	free(out);
	guest_iso_free(iso);
	free(img);
	guest_disk_close(disk);
}

static void test_real_images(void **state)
{
	(void)state;
	const char *fx = hvo_test_fixtures();
	if (fx == NULL || !hvo_test_have_program("genisoimage") ||
	    !hvo_test_have_program("isoinfo"))
		skip();
	char *dir = hvo_test_mkdtemp();
	char *cmd;
	/* Beside the real packages: a name with spaces and case, and a
	 * tree deeper than ECMA-119's 8 levels (relocated by Rock
	 * Ridge). */
	assert_true(asprintf(&cmd,
			     "mkdir -p '%s/tree/support/a/b/c/d/e/f/g/h' && "
			     "echo readme >'%s/tree/support/Read Me.txt' && "
			     "echo deep >'%s/tree/support/a/b/c/d/e/f/g/h/"
			     "deep.txt'",
			     dir, dir, dir) > 0);
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);
	compare(dir, fx, "-J -r", "-J", GUEST_ISO_NAMES_JOLIET);
	compare(dir, fx, "-J", "-J", GUEST_ISO_NAMES_JOLIET);
	compare(dir, fx, "-J -joliet-long", "-J", GUEST_ISO_NAMES_JOLIET);
	compare(dir, fx, "-r", "-R", GUEST_ISO_NAMES_ROCK_RIDGE);
	compare(dir, fx, "-iso-level 2", "", GUEST_ISO_NAMES_PRIMARY);
	if (hvo_test_have_program("xorriso"))
		compare(dir, fx, "xorriso", "-J", GUEST_ISO_NAMES_JOLIET);
	hvo_test_rmtree(dir);
	free(dir);
}

/* The fuzzer's seeds (fuzz/corpus/iso, iso-seeds.sh) are valid images,
 * so that fuzzing starts past the checks: each opens with its system area
 * put back, and the multi-extent seed holds its two-extent file. */
static void test_seeds(void **state)
{
	(void)state;
	static const char *const seeds[] = {
		"joliet",     "joliet-long", "joliet-rr", "multi-extent",
		"primary-l1", "primary-l4",  "rr",
	};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/fuzz/corpus/iso/%s",
			 hvo_test_srcdir(), seeds[i]);
		size_t len;
		uint8_t *seed = hvo_test_read_file(path, &len);
		uint8_t *img = calloc(1, 16 * SEC + len);
		assert_non_null(img);
		memcpy(img + 16 * SEC, seed, len);
		struct mem m;
		struct guest_iso *iso;
		char why[256];
		if (open_mem(img, 16 * SEC + len, &m, &iso, why, sizeof(why)) !=
		    GUEST_ISO_OK)
			fail_msg("seed %s: %s", seeds[i], why);
		uint32_t n;
		assert_int_equal(guest_iso_lookup(iso, "support", &n), 0);
		if (strcmp(seeds[i], "multi-extent") == 0) {
			assert_int_equal(guest_iso_lookup(iso, "big.bin", &n),
					 0);
			assert_int_equal(guest_iso_size(iso, n), SEC + 100);
		}
		guest_iso_free(iso);
		free(img);
		free(seed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primary),
		cmocka_unit_test(test_joliet),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_disk),
		cmocka_unit_test(test_real_images),
		cmocka_unit_test(test_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * regtest.c - helpers for the registry tests (see regtest.h).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "registry/internal.h"
#include "registry/marvin32.h"
#include "tests/lib/hvotest.h"
#include "tests/registry/regtest.h"
#include "util/bytes.h"

void rt_seal(uint8_t *p)
{
	uint32_t c = 0;
	for (int i = 0; i < 508; i += 4)
		c ^= get_le32(p + i);
	if (c == 0xffffffffu)
		c = 0xfffffffeu;
	if (c == 0)
		c = 1;
	put_le32(p + 508, c);
}

void rt_build_hive(uint8_t *buf, uint32_t seq1, uint32_t seq2, uint32_t minor)
{
	memset(buf, 0, RT_HIVE_SIZE);
	/* Base block. */
	memcpy(buf + 0, "regf", 4); /* signature */
	put_le32(buf + 4, seq1);    /* primary sequence number */
	put_le32(buf + 8, seq2);    /* secondary sequence number */
	put_le64(buf + 12, 0x01d0000000000000ull); /* last written */
	put_le32(buf + 20, 1);			   /* major version */
	put_le32(buf + 24, minor);		   /* minor version */
	put_le32(buf + 28, 0);			   /* file type: primary */
	put_le32(buf + 32, 1);	     /* file format: memory load */
	put_le32(buf + 36, RT_ROOT); /* root cell offset */
	put_le32(buf + 40, 0x1000);  /* hive bins data size */
	put_le32(buf + 44, 1);	     /* clustering factor */
	rt_seal(buf);

	/* The hive bin. */
	uint8_t *bin = buf + 4096;
	memcpy(bin + 0, "hbin", 4); /* signature */
	put_le32(bin + 4, 0);	    /* offset in the hive bins */
	put_le32(bin + 8, 0x1000);  /* size */

	/* Root key node: 4 (size) + 76 + 4 (name) = 84, aligned 88. */
	uint8_t *nk = bin + RT_ROOT;
	put_le32(nk, (uint32_t)-88);	   /* allocated, 88 bytes */
	memcpy(nk + 4, "nk", 2);	   /* signature */
	put_le16(nk + 6, 0x2c);		   /* ROOT | COMP_NAME | NO_DELETE */
	put_le32(nk + 4 + 16, 0xffffffff); /* parent: none */
	put_le32(nk + 4 + 20, 0);	   /* subkeys */
	put_le32(nk + 4 + 28, 0xffffffff); /* subkey list: none */
	put_le32(nk + 4 + 32, 0xffffffff); /* volatile list: none */
	put_le32(nk + 4 + 36, 0);	   /* values */
	put_le32(nk + 4 + 40, 0xffffffff); /* value list: none */
	put_le32(nk + 4 + 44, RT_SK);	   /* security cell */
	put_le32(nk + 4 + 48, 0xffffffff); /* class name: none */
	put_le16(nk + 4 + 72, 4);	   /* name length */
	memcpy(nk + 4 + 76, "ROOT", 4);	   /* name (Latin-1) */

	/* Security cell: 4 + 20 + 20-byte descriptor = 44, aligned 48. */
	uint8_t *sk = bin + RT_SK;
	put_le32(sk, (uint32_t)-48);   /* allocated, 48 bytes */
	memcpy(sk + 4, "sk", 2);       /* signature */
	put_le32(sk + 4 + 4, RT_SK);   /* flink: itself */
	put_le32(sk + 4 + 8, RT_SK);   /* blink: itself */
	put_le32(sk + 4 + 12, 1);      /* reference count */
	put_le32(sk + 4 + 16, 20);     /* descriptor size */
	sk[4 + 20] = 1;		       /* descriptor revision */
	put_le16(sk + 4 + 22, 0x8004); /* SE_SELF_RELATIVE | DACL_PRESENT */

	/* The rest of the bin is one free cell. */
	put_le32(bin + RT_FREE, 0x1000 - RT_FREE);
}

void rt_set_root_name(uint8_t *hive, const char name[4])
{
	memcpy(hive + 4096 + RT_ROOT + 4 + 76, name, 4);
}

size_t rt_new_log_entry(unsigned i)
{
	return 512 + (size_t)i * RT_ENTRY_SIZE;
}

void rt_rehash_entry(uint8_t *e)
{
	uint32_t size = get_le32(e + 4);
	put_le64(e + 24,
		 reg_int_marvin32(e + 40, size - 40, MARVIN32_REGISTRY_SEED));
	put_le64(e + 32, reg_int_marvin32(e, 32, MARVIN32_REGISTRY_SEED));
}

uint8_t *rt_build_new_log(uint32_t seq, unsigned nentries, const uint8_t *page,
			  size_t *len_ret)
{
	size_t len = rt_new_log_entry(nentries);
	uint8_t *log = calloc(1, len);
	assert_non_null(log);
	/* Base block copy. */
	memcpy(log + 0, "regf", 4);
	put_le32(log + 4, seq); /* primary sequence number */
	put_le32(log + 8, seq); /* secondary sequence number */
	put_le32(log + 20, 1);	/* major */
	put_le32(log + 24, 5);	/* minor */
	put_le32(log + 28, 6);	/* file type: new-format log */
	put_le32(log + 32, 1);	/* format */
	put_le32(log + 36, RT_ROOT);
	put_le32(log + 40, 0x1000); /* hive bins data size */
	put_le32(log + 44, 1);
	rt_seal(log);
	for (unsigned i = 0; i < nentries; i++) {
		uint8_t *e = log + rt_new_log_entry(i);
		memcpy(e + 0, "HvLE", 4);	/* signature */
		put_le32(e + 4, RT_ENTRY_SIZE); /* entry size */
		put_le32(e + 8, 0);		/* flags */
		put_le32(e + 12, seq + i);	/* sequence number */
		put_le32(e + 16, 0x1000);	/* hive bins data size */
		put_le32(e + 20, 1);		/* dirty pages */
		put_le32(e + 40, 0);		/* page 0: offset */
		put_le32(e + 44, 4096);		/* page 0: size */
		memcpy(e + 48, page, 4096);	/* the page */
		rt_rehash_entry(e);
	}
	*len_ret = len;
	return log;
}

uint8_t *rt_build_old_log(uint32_t seq, uint64_t ts, const uint8_t *page,
			  size_t *len_ret)
{
	/* base block copy, DIRT + 1 bitmap byte (8 pages of 512 bytes =
	 * the one 4 KiB bin) padded to the sector, then the 8 pages. */
	size_t len = 512 + 512 + 4096;
	uint8_t *log = calloc(1, len);
	assert_non_null(log);
	memcpy(log + 0, "regf", 4);
	put_le32(log + 4, seq);
	put_le32(log + 8, seq);
	put_le64(log + 12, ts); /* must match the primary's */
	put_le32(log + 20, 1);
	put_le32(log + 24, 3);
	put_le32(log + 28, 1); /* file type: old-format log */
	put_le32(log + 32, 1);
	put_le32(log + 36, RT_ROOT);
	put_le32(log + 40, 0x1000); /* hive bins: 8 pages of 512 */
	put_le32(log + 44, 1);
	rt_seal(log);
	memcpy(log + 512, "DIRT", 4); /* dirty vector signature */
	log[516] = 0xff;	      /* pages 0..7 dirty */
	memcpy(log + 1024, page, 4096);
	*len_ret = len;
	return log;
}

char *rt_write(const char *dir, const char *name, const void *data, size_t len)
{
	char *path;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	hvo_test_write_file(path, data, len);
	return path;
}

char *rt_copy_file(const char *src, const char *dir, const char *name)
{
	size_t len;
	uint8_t *data = hvo_test_read_file(src, &len);
	char *path = rt_write(dir, name, data, len);
	free(data);
	return path;
}

char *rt_copy_fixture(const char *rel, const char *dir, const char *name)
{
	return rt_copy_file(hvo_fixture(rel), dir, name);
}

char *rt_unxz_fixture(const char *rel, const char *dir, const char *name)
{
	char *path, *cmd;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	assert_true(asprintf(&cmd, "xz -dc '%s' > '%s'", hvo_fixture(rel),
			     path) > 0);
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);
	return path;
}

char *rt_hivexsh(const char *hive, const char *script)
{
	char *cmd, *out = NULL;
	assert_true(asprintf(&cmd, "printf '%%s\\n' '%s' | hivexsh '%s'",
			     script, hive) > 0);
	int rc = hvo_test_run(cmd, &out);
	if (rc != 0)
		fail_msg("hivexsh failed (%d): %s", rc, cmd);
	free(cmd);
	return out;
}

char *rt_tmpdir;

int rt_setup(void **state)
{
	(void)state;
	rt_tmpdir = hvo_test_mkdtemp();
	return 0;
}

int rt_teardown(void **state)
{
	(void)state;
	hvo_test_rmtree(rt_tmpdir);
	free(rt_tmpdir);
	return 0;
}

char *rt_case_dir(const char *name)
{
	char *d;
	assert_true(asprintf(&d, "%s/%s", rt_tmpdir, name) > 0);
	char *cmd;
	assert_true(asprintf(&cmd, "rm -rf '%s' && mkdir -p '%s'", d, d) > 0);
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);
	return d;
}

struct reg_hive *rt_open_dir(const char *dir, unsigned flags, int want)
{
	char *path;
	assert_true(asprintf(&path, "%s/HIVE", dir) > 0);
	struct reg_hive *h;
	struct reg_open_opts o = { .flags = flags };
	int rc = reg_open(path, &o, &h);
	if (rc != want)
		fail_msg("%s: open gave %d (%s), want %d", dir, rc,
			 reg_errmsg(h), want);
	free(path);
	return h;
}

struct reg_hive *rt_open_ro(const char *path)
{
	struct reg_hive *h;
	int rc = reg_open(path, NULL, &h);
	if (rc)
		fail_msg("%s: %s", path, reg_errmsg(h));
	return h;
}

struct reg_hive *rt_open_rw(const char *path)
{
	struct reg_hive *h;
	struct reg_open_opts o = { .flags = REG_OPEN_WRITE };
	int rc = reg_open(path, &o, &h);
	if (rc)
		fail_msg("%s: %s", path, reg_errmsg(h));
	return h;
}

int rt_himg_map(struct hive_image *im, uint8_t *buf, size_t len)
{
	struct regf_base b;
	reg_int_regf_base_decode(buf, &b);
	*im = (struct hive_image){ .buf = buf,
				   .len = len,
				   .hbins_size = b.hbins_size,
				   .minor = b.minor,
				   .root = b.root };
	struct reg_err e = { 0 };
	return reg_int_himg_map(im, &e);
}

void rt_expect_key(struct reg_hive *h, const char *path, bool want)
{
	bool ex;
	assert_int_equal(reg_key_exists(h, path, &ex), 0);
	if (ex != want)
		fail_msg("key %s: %s", path, want ? "missing" : "present");
}

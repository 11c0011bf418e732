/*
 * regtest.h - helpers for the registry tests: hives and logs built byte by
 * byte, and fixtures prepared in a scratch directory.
 */
#ifndef HVO_TESTS_REGTEST_H
#define HVO_TESTS_REGTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/reg.h"

/* A synthetic hive: base block + one 4 KiB bin holding a root key node
 * named "ROOT" (+0x20), its security cell (+0x78) and a free cell. */
#define RT_HIVE_SIZE 8192
#define RT_ROOT	     0x20
#define RT_SK	     0x78
#define RT_FREE	     0xa8

/* Builds that hive into @buf (RT_HIVE_SIZE bytes), sequence numbers
 * @seq1/@seq2, minor version @minor, checksum sealed. */
void rt_build_hive(uint8_t *buf, uint32_t seq1, uint32_t seq2, uint32_t minor);

/* Recomputes the base block checksum at @p. */
void rt_seal(uint8_t *p);

/* Renames the root key of a built hive (4 Latin-1 characters). */
void rt_set_root_name(uint8_t *hive, const char name[4]);

/*
 * Builds a new-format log: a 512-byte base block copy (file type 6,
 * sequence numbers @seq), then @nentries HvLE entries with sequence
 * numbers @seq, @seq+1, ..., each carrying @page (4096 bytes) as the
 * page at offset 0 of the hive bins, with valid Marvin32 hashes.  Returns
 * a malloc'd buffer and its size.
 */
uint8_t *rt_build_new_log(uint32_t seq, unsigned nentries, const uint8_t *page,
			  size_t *len_ret);

/* Offset of entry @i in a log built by rt_build_new_log(). */
size_t rt_new_log_entry(unsigned i);
/* Size of each entry of rt_build_new_log(). */
#define RT_ENTRY_SIZE 4608

/* Recomputes both Marvin32 hashes of the HvLE entry at @entry. */
void rt_rehash_entry(uint8_t *entry);

/*
 * Builds an old-format log: base block copy (file type 1, sequence
 * numbers @seq, timestamp @ts), "DIRT" with the first 8 bits set (page 0
 * of the hive bins, 8 x 512 bytes) and those pages from @page.
 */
uint8_t *rt_build_old_log(uint32_t seq, uint64_t ts, const uint8_t *page,
			  size_t *len_ret);

/* Writes a file in @dir named @name; returns the path (caller frees). */
char *rt_write(const char *dir, const char *name, const void *data, size_t len);

/* Copies a fixture (relative to the fixtures directory) into @dir under
 * @name, writable; returns the path (caller frees). */
char *rt_copy_fixture(const char *rel, const char *dir, const char *name);

/* Copies the host file @src into @dir/@name; returns the path. */
char *rt_copy_file(const char *src, const char *dir, const char *name);

/* Decompresses an .xz fixture into @dir/@name with xz(1); returns the
 * path (caller frees). */
char *rt_unxz_fixture(const char *rel, const char *dir, const char *name);

/* Runs hivexsh with @script (commands, one per line) on @hive and
 * returns its stdout (caller frees); fails the test if it fails. */
char *rt_hivexsh(const char *hive, const char *script);

/* A scratch directory for the test program: rt_setup (a group setup)
 * makes it, rt_teardown removes it. */
extern char *rt_tmpdir;
int rt_setup(void **state);
int rt_teardown(void **state);

/* A fresh directory "<rt_tmpdir>/@name" (caller frees), emptied first, so
 * that logs never leak between cases. */
char *rt_case_dir(const char *name);

/* Opens "@dir/HIVE" with @flags; the result must be @want (the message
 * otherwise fails the test).  The handle, NULL when the open failed. */
struct reg_hive *rt_open_dir(const char *dir, unsigned flags, int want);

/* Opens the hive @path read-only or for writing; a failure fails the test
 * with the library's message. */
struct reg_hive *rt_open_ro(const char *path);
struct reg_hive *rt_open_rw(const char *path);

/* Asserts that key @path of @h exists (@want) or not. */
void rt_expect_key(struct reg_hive *h, const char *path, bool want);

/* Maps the hive file image @buf of @len bytes (base block decoded, bins
 * checked, cell map built) into @im; the result of reg_int_himg_map (0 when
 * mapped; free with reg_int_himg_free). */
struct hive_image;
int rt_himg_map(struct hive_image *im, uint8_t *buf, size_t len);

#endif /* HVO_TESTS_REGTEST_H */

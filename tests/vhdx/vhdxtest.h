/*
 * vhdxtest.h - helpers of the vhdx/ tests: fixtures, hashing of a virtual
 * disk, the independent oracle (qemu-img), and a byte-by-byte builder of
 * small images for the hostile-input tests.
 *
 * The builder deliberately does not use the library's create(): it writes
 * every field itself at its MS-VHDX offset, so that a test of the reader
 * does not depend on the writer being right.
 */
#ifndef HVO_TESTS_VHDXTEST_H
#define HVO_TESTS_VHDXTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhdx/vhdx.h"

/* Decompresses fixture ../shared/fixtures/vhdx/@name.bz2 into @dir and
 * returns the new file's path (caller frees).  Skips (77) when the fixtures
 * are missing, like hvo_fixture(). */
char *vt_fixture(const char *dir, const char *name);

/* Copies a file (cp --sparse=always); returns the new path (caller
 * frees). */
char *vt_copy(const char *src, const char *dir, const char *name);

/* SHA-256 (hex) of the whole virtual disk, read through the library in
 * 4 MiB pieces (never held in memory). */
void vt_sha256_virtual(struct vhdx_image *img, char hex[65]);

/* SHA-256 (hex) of the raw image qemu-img converts @image to (written to
 * a temporary file in @dir, then removed).  Returns false if qemu-img
 * failed. */
bool vt_qemu_sha256(const char *image, const char *dir, char hex[65]);

/* Whether qemu-img and friends are installed (tests that need them skip
 * otherwise, except under CI=true). */
void vt_require_qemu(void);

/* Opens @path (with @parent as the explicit parent, if not NULL); on
 * failure prints the message and aborts (cmocka reports the test failed). */
struct vhdx_image *vt_open(const char *path, unsigned flags,
			   const char *parent);

/* Runs a shell command formatted like printf; returns its exit status. */
int vt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Deterministic pseudo-random bytes (xorshift), for test data. */
void vt_fill(uint8_t *buf, size_t len, uint64_t seed);

/* ---- Byte-by-byte builder of a small dynamic image ---- */

/*
 * Layout: header section (1 MiB), log at 1 MiB (1 MiB), metadata at 2 MiB
 * (1 MiB), BAT at 3 MiB (1 MiB), payload from 4 MiB.  vt_build() makes a
 * valid, clean image; tests then change fields and call vt_fix_*() to
 * recompute the checksums (or not).
 */
#define VT_LOG	(1u << 20)
#define VT_META (2u << 20)
#define VT_BAT	(3u << 20)
#define VT_DATA (4u << 20)
#define VT_H1	(64u << 10)
#define VT_H2	(128u << 10)
#define VT_RT1	(192u << 10)
#define VT_RT2	(256u << 10)

struct vt_image {
	uint8_t *buf;
	size_t size; /* file size */
	uint32_t block_size;
	uint32_t lss;
	uint64_t vsize;
};

/* @v must be zero-initialised or built before (it is rebuilt). */
void vt_build(struct vt_image *v, uint64_t vsize, uint32_t block_size,
	      uint32_t lss);
void vt_free(struct vt_image *v);
/* Grows the file (zero-filled). */
void vt_resize(struct vt_image *v, size_t size);
/* Recomputes a header's (1 or 2) or a region table's CRC. */
void vt_fix_header(struct vt_image *v, int which);
void vt_fix_region(struct vt_image *v, int which);
/* Sets BAT entry @index. */
void vt_bat(struct vt_image *v, uint64_t index, uint64_t entry);
/* Sets the LogGuid of both headers (and fixes them). */
void vt_set_log_guid(struct vt_image *v, const uint8_t guid[16]);

/* One descriptor of a log entry built by vt_log_entry(). */
struct vt_desc {
	bool zero;	     /* a zero descriptor, else data */
	uint64_t offset;     /* file offset */
	uint64_t zero_len;   /* zero: length */
	const uint8_t *data; /* data: 4096 bytes */
};

/* Writes a log entry at log position @pos (bytes); returns its length. */
uint32_t vt_log_entry(struct vt_image *v, uint32_t pos, uint64_t seq,
		      uint32_t tail, const uint8_t guid[16],
		      const struct vt_desc *d, unsigned n, uint64_t flushed,
		      uint64_t last);

/* Writes the image to @path. */
void vt_save(const struct vt_image *v, const char *path);

#endif /* HVO_TESTS_VHDXTEST_H */

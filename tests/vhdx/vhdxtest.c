/*
 * vhdxtest.c - helpers of the vhdx/ tests (see vhdxtest.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/hvotest.h"
#include "tests/vhdx/vhdxtest.h"
#include "util/bytes.h"
#include "util/sha256.h"
#include "vhdx/internal.h"

char *vt_fixture(const char *dir, const char *name)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "vhdx/%s.bz2", name);
	const char *src = hvo_fixture(rel);
	char *dst;
	if (asprintf(&dst, "%s/%s", dir, name) < 0)
		abort();
	if (vt_sh("bzip2 -dc '%s' > '%s'", src, dst) != 0) {
		fprintf(stderr, "cannot decompress %s\n", src);
		abort();
	}
	return dst;
}

char *vt_copy(const char *src, const char *dir, const char *name)
{
	char *dst;
	if (asprintf(&dst, "%s/%s", dir, name) < 0)
		abort();
	if (vt_sh("cp --sparse=always '%s' '%s'", src, dst) != 0)
		abort();
	return dst;
}

struct vhdx_image *vt_open(const char *path, unsigned flags, const char *parent)
{
	struct vhdx_open_opts o = { .parent_path = parent };
	struct vhdx_image *img = NULL;
	struct vhdx_error err = { 0 };
	if (vhdx_open(path, flags, &o, &img, &err) != VHDX_OK) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		abort();
	}
	return img;
}

int vt_sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	int rc = hvo_test_run(cmd, NULL);
	free(cmd);
	return rc;
}

void vt_require_qemu(void)
{
	if (hvo_test_have_program("qemu-img") &&
	    hvo_test_have_program("qemu-io"))
		return;
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "true") == 0) {
		fprintf(stderr,
			"FATAL: qemu-img/qemu-io missing and CI=true\n");
		exit(HVO_TEST_HARD_ERROR);
	}
	fprintf(stderr, "SKIP: qemu-img/qemu-io not installed\n");
	exit(HVO_TEST_SKIP);
}

void vt_sha256_virtual(struct vhdx_image *img, char hex[65])
{
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	const size_t chunk = 4u << 20;
	uint8_t *buf = malloc(chunk);
	if (buf == NULL)
		abort();
	struct hvo_sha256 ctx;
	hvo_int_sha256_init(&ctx);
	for (uint64_t off = 0; off < in.virtual_size; off += chunk) {
		size_t n = in.virtual_size - off < chunk
				   ? (size_t)(in.virtual_size - off)
				   : chunk;
		if (vhdx_pread(img, buf, n, off) != VHDX_OK) {
			fprintf(stderr, "read at %llu: %s\n",
				(unsigned long long)off, vhdx_errmsg(img));
			abort();
		}
		hvo_int_sha256_update(&ctx, buf, n);
	}
	free(buf);
	uint8_t d[HVO_SHA256_LEN];
	hvo_int_sha256_final(&ctx, d);
	hvo_int_sha256_hex(d, hex);
}

bool vt_qemu_sha256(const char *image, const char *dir, char hex[65])
{
	char *raw;
	if (asprintf(&raw, "%s/qemu-convert.raw", dir) < 0)
		abort();
	bool ok = vt_sh("qemu-img convert -U -O raw '%s' '%s' 2>&1", image,
			raw) == 0;
	if (ok)
		hvo_test_sha256_file(raw, hex);
	unlink(raw);
	free(raw);
	return ok;
}

void vt_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)(x >> 24);
	}
}

/* ---- Builder ---- */

static void guid(uint8_t *p, uint32_t d1, uint16_t d2, uint16_t d3,
		 uint64_t d4_be)
{
	put_le32(p, d1);
	put_le16(p + 4, d2);
	put_le16(p + 6, d3);
	for (int i = 0; i < 8; i++)
		p[8 + i] = (uint8_t)(d4_be >> (56 - 8 * i));
}

void vt_resize(struct vt_image *v, size_t size)
{
	v->buf = realloc(v->buf, size);
	if (v->buf == NULL)
		abort();
	if (size > v->size)
		memset(v->buf + v->size, 0, size - v->size);
	v->size = size;
}

void vt_fix_header(struct vt_image *v, int which)
{
	uint8_t *h = v->buf + (which == 1 ? VT_H1 : VT_H2);
	put_le32(h + 4, 0);
	put_le32(h + 4, vhdx_int_crc32c(0, h, 4096));
}

void vt_fix_region(struct vt_image *v, int which)
{
	uint8_t *t = v->buf + (which == 1 ? VT_RT1 : VT_RT2);
	put_le32(t + 4, 0);
	put_le32(t + 4, vhdx_int_crc32c(0, t, 65536));
}

void vt_bat(struct vt_image *v, uint64_t index, uint64_t entry)
{
	put_le64(v->buf + VT_BAT + index * 8, entry);
}

void vt_set_log_guid(struct vt_image *v, const uint8_t g[16])
{
	memcpy(v->buf + VT_H1 + 48, g, 16);
	memcpy(v->buf + VT_H2 + 48, g, 16);
	vt_fix_header(v, 1);
	vt_fix_header(v, 2);
}

void vt_build(struct vt_image *v, uint64_t vsize, uint32_t block_size,
	      uint32_t lss)
{
	free(v->buf); /* rebuilding: @v starts zeroed or built */
	memset(v, 0, sizeof(*v));
	v->block_size = block_size;
	v->lss = lss;
	v->vsize = vsize;
	vt_resize(v, VT_DATA);
	uint8_t *b = v->buf;

	/* File type identifier (2.2.1). */
	memcpy(b + 0, "vhdxfile", 8); /* Signature */
	put_le16(b + 8, 't');	      /* Creator, UTF-16LE "t" */

	/* Headers (2.2.2), both valid; header 2 is current (seq 2). */
	for (int i = 1; i <= 2; i++) {
		uint8_t *h = b + (i == 1 ? VT_H1 : VT_H2);
		memcpy(h + 0, "head", 4);		/* Signature */
		put_le64(h + 8, (uint64_t)i);		/* SequenceNumber */
		guid(h + 16, 0x11111111, 1, 0x4001, 1); /* FileWriteGuid */
		guid(h + 32, 0x22222222, 2, 0x4002, 2); /* DataWriteGuid */
		/* LogGuid (48) zero: the log is clean */
		put_le16(h + 64, 0);	    /* LogVersion */
		put_le16(h + 66, 1);	    /* Version */
		put_le32(h + 68, 1u << 20); /* LogLength */
		put_le64(h + 72, VT_LOG);   /* LogOffset */
		vt_fix_header(v, i);
	}

	/* Region tables (2.2.3): BAT and metadata, required. */
	for (int i = 1; i <= 2; i++) {
		uint8_t *t = b + (i == 1 ? VT_RT1 : VT_RT2);
		memcpy(t + 0, "regi", 4); /* Signature */
		put_le32(t + 8, 2);	  /* EntryCount */
		uint8_t *e = t + 16;
		guid(e, 0x2DC27766, 0xF623, 0x4200, 0x9D64115E9BFD4A08ULL);
		put_le64(e + 16, VT_BAT);   /* FileOffset */
		put_le32(e + 24, 1u << 20); /* Length */
		put_le32(e + 28, 1);	    /* Required */
		e += 32;
		guid(e, 0x8B7CA206, 0x4790, 0x4B9A, 0xB8FE575F050F886EULL);
		put_le64(e + 16, VT_META);
		put_le32(e + 24, 1u << 20);
		put_le32(e + 28, 1);
		vt_fix_region(v, i);
	}

	/* Metadata table (2.6.1) and the five system items (2.6.2). */
	uint8_t *m = b + VT_META;
	memcpy(m + 0, "metadata", 8); /* Signature */
	put_le16(m + 10, 5);	      /* EntryCount */
	struct {
		uint32_t d1;
		uint16_t d2, d3;
		uint64_t d4;
		uint32_t len, flags;
	} items[5] = {
		{ 0xCAA16737, 0xFA36, 0x4D43, 0xB3B633F0AA44E76BULL, 8, 4 },
		{ 0x2FA54224, 0xCD1B, 0x4876, 0xB2115DBED83BF4B8ULL, 8, 6 },
		{ 0xBECA12AB, 0xB2E6, 0x4523, 0x93EFC309E000C746ULL, 16, 6 },
		{ 0x8141BF1D, 0xA96F, 0x4709, 0xBA47F233A8FAAB5FULL, 4, 6 },
		{ 0xCDA348C7, 0x445D, 0x4471, 0x9CC9E9885251C556ULL, 4, 6 },
	};
	uint32_t at = 0x10000;
	for (int i = 0; i < 5; i++) {
		uint8_t *e = m + 32 + i * 32;
		guid(e, items[i].d1, items[i].d2, items[i].d3, items[i].d4);
		put_le32(e + 16, at);		  /* Offset */
		put_le32(e + 20, items[i].len);	  /* Length */
		put_le32(e + 24, items[i].flags); /* IsRequired.. */
		at += 0x100;
	}
	put_le32(m + 0x10000, block_size);	     /* BlockSize */
	put_le32(m + 0x10004, 0);		     /* flags */
	put_le64(m + 0x10100, vsize);		     /* VirtualDiskSize */
	guid(m + 0x10200, 0x33333333, 3, 0x4003, 3); /* VirtualDiskId */
	put_le32(m + 0x10300, lss);		     /* LogicalSectorSize */
	put_le32(m + 0x10400, 4096);		     /* PhysicalSectorSize */
	/* BAT: all zero = every block NOT_PRESENT. */
}

void vt_free(struct vt_image *v)
{
	free(v->buf);
	v->buf = NULL;
}

uint32_t vt_log_entry(struct vt_image *v, uint32_t pos, uint64_t seq,
		      uint32_t tail, const uint8_t g[16],
		      const struct vt_desc *d, unsigned n, uint64_t flushed,
		      uint64_t last)
{
	unsigned ndata = 0;
	for (unsigned i = 0; i < n; i++)
		ndata += !d[i].zero;
	unsigned dsect = n <= 126 ? 1 : 1 + (n - 126 + 127) / 128;
	uint32_t len = (dsect + ndata) * 4096;
	uint8_t *e = calloc(1, len);
	memcpy(e + 0, "loge", 4);  /* Signature */
	put_le32(e + 8, len);	   /* EntryLength */
	put_le32(e + 12, tail);	   /* Tail */
	put_le64(e + 16, seq);	   /* SequenceNumber */
	put_le32(e + 24, n);	   /* DescriptorCount */
	memcpy(e + 32, g, 16);	   /* LogGuid */
	put_le64(e + 48, flushed); /* FlushedFileOffset */
	put_le64(e + 56, last);	   /* LastFileOffset */
	unsigned di = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = i < 126 ? e + 64 + i * 32
				     : e + 4096 * (1 + (i - 126) / 128) +
					       ((i - 126) % 128) * 32;
		if (d[i].zero) {
			memcpy(p, "zero", 4);
			put_le64(p + 8, d[i].zero_len); /* ZeroLength */
		} else {
			memcpy(p, "desc", 4);
			memcpy(p + 4, d[i].data + 4092, 4); /* TrailingBytes */
			memcpy(p + 8, d[i].data, 8);	    /* LeadingBytes */
			uint8_t *s = e + 4096 * (dsect + di++);
			memcpy(s, "data", 4); /* DataSignature */
			put_le32(s + 4,
				 (uint32_t)(seq >> 32));    /* SequenceHigh */
			memcpy(s + 8, d[i].data + 8, 4084); /* Data */
			put_le32(s + 4092, (uint32_t)seq);  /* SequenceLow */
		}
		put_le64(p + 16, d[i].offset); /* FileOffset */
		put_le64(p + 24, seq);	       /* SequenceNumber */
	}
	put_le32(e + 4, vhdx_int_crc32c(0, e, len)); /* Checksum */
	for (uint32_t k = 0; k < len; k += 4096)
		memcpy(v->buf + VT_LOG + (pos + k) % (1u << 20), e + k, 4096);
	free(e);
	return len;
}

void vt_save(const struct vt_image *v, const char *path)
{
	hvo_test_write_file(path, v->buf, v->size);
}

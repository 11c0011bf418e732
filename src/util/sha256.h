/*
 * sha256.h - SHA-256 through nettle.
 *
 * CBS manifests carry a SHA-256 of every payload file, the change record
 * keeps hashes of replaced guest files, and tests compare extracted data.
 * The digest itself comes from nettle; this wrapper only keeps nettle's
 * types out of the rest of the code and adds hex/base64 helpers.
 */
#ifndef HVO_UTIL_SHA256_H
#define HVO_UTIL_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HVO_SHA256_LEN	   32
#define HVO_SHA256_HEX_LEN 64

/* Opaque enough for callers; sized for nettle's struct sha256_ctx. */
struct hvo_sha256 {
	_Alignas(8) unsigned char state[128];
};

void hvo_int_sha256_init(struct hvo_sha256 *ctx);
void hvo_int_sha256_update(struct hvo_sha256 *ctx, const void *data,
			   size_t len);
void hvo_int_sha256_final(struct hvo_sha256 *ctx, uint8_t out[HVO_SHA256_LEN]);

/* One-shot digest of a buffer. */
void hvo_int_sha256_buf(const void *data, size_t len,
			uint8_t out[HVO_SHA256_LEN]);

/*
 * Digest of a whole host file.  Returns 0 or an errno value; the file's
 * size goes to *@size_ret if not NULL.
 */
int hvo_int_sha256_file(const char *path, uint8_t out[HVO_SHA256_LEN],
			uint64_t *size_ret);

/* Lower-case hex of a digest into @hex (HVO_SHA256_HEX_LEN + 1 bytes). */
void hvo_int_sha256_hex(const uint8_t digest[HVO_SHA256_LEN],
			char hex[HVO_SHA256_HEX_LEN + 1]);

/* The digest written as @hex (64 hex digits, either case, then the end of
 * the string or a character that is not one) into @out; false if it is
 * not that.  The inverse of hvo_int_sha256_hex, for sha256sum's output. */
bool hvo_int_sha256_from_hex(const char *hex, uint8_t out[HVO_SHA256_LEN]);

/*
 * Decodes base64 text (as in a manifest's DigestValue) into @out, which has
 * room for @out_size bytes.  Surrounding white space is ignored.  Returns
 * the number of bytes decoded, or -1 if the text is not valid base64 or
 * does not fit.
 */
long hvo_int_base64_decode(const char *text, uint8_t *out, size_t out_size);

#endif /* HVO_UTIL_SHA256_H */

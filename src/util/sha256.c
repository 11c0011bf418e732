/*
 * sha256.c - SHA-256 and base64 through nettle (see sha256.h).
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/base64.h>
#include <nettle/sha2.h>

#include "util/hex.h"
#include "util/sha256.h"

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(struct hvo_sha256),
	       "struct hvo_sha256 is too small for nettle's context");
_Static_assert(SHA256_DIGEST_SIZE == HVO_SHA256_LEN, "digest size");

void hvo_int_sha256_init(struct hvo_sha256 *ctx)
{
	sha256_init((struct sha256_ctx *)ctx->state);
}

void hvo_int_sha256_update(struct hvo_sha256 *ctx, const void *data, size_t len)
{
	sha256_update((struct sha256_ctx *)ctx->state, len, data);
}

void hvo_int_sha256_final(struct hvo_sha256 *ctx, uint8_t out[HVO_SHA256_LEN])
{
	sha256_digest((struct sha256_ctx *)ctx->state, HVO_SHA256_LEN, out);
}

void hvo_int_sha256_buf(const void *data, size_t len,
			uint8_t out[HVO_SHA256_LEN])
{
	struct hvo_sha256 ctx;
	hvo_int_sha256_init(&ctx);
	hvo_int_sha256_update(&ctx, data, len);
	hvo_int_sha256_final(&ctx, out);
}

int hvo_int_sha256_file(const char *path, uint8_t out[HVO_SHA256_LEN],
			uint64_t *size_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	enum { BUFSZ = 1 << 16 };
	unsigned char *buf = malloc(BUFSZ);
	if (buf == NULL) {
		close(fd);
		return ENOMEM;
	}
	struct hvo_sha256 ctx;
	uint64_t total = 0;
	int err = 0;
	hvo_int_sha256_init(&ctx);
	for (;;) {
		ssize_t n = read(fd, buf, BUFSZ);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		if (n == 0)
			break;
		hvo_int_sha256_update(&ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	free(buf);
	close(fd);
	if (err)
		return err;
	hvo_int_sha256_final(&ctx, out);
	if (size_ret)
		*size_ret = total;
	return 0;
}

void hvo_int_sha256_hex(const uint8_t digest[HVO_SHA256_LEN],
			char hex[HVO_SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < HVO_SHA256_LEN; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[HVO_SHA256_HEX_LEN] = '\0';
}

bool hvo_int_sha256_from_hex(const char *hex, uint8_t out[HVO_SHA256_LEN])
{
	for (int i = 0; i < HVO_SHA256_LEN; i++) {
		int v = hvo_int_hex_byte(hex + 2 * i);
		if (v < 0)
			return false;
		out[i] = (uint8_t)v;
	}
	return hvo_int_hex_digit((unsigned char)hex[HVO_SHA256_HEX_LEN]) < 0;
}

long hvo_int_base64_decode(const char *text, uint8_t *out, size_t out_size)
{
	while (isspace((unsigned char)*text))
		text++;
	size_t len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len == 0 || len % 4 != 0)
		return -1;
	/* nettle may write up to BASE64_DECODE_LENGTH(len) bytes. */
	size_t need = BASE64_DECODE_LENGTH(len);
	uint8_t *tmp = malloc(need ? need : 1);
	if (tmp == NULL)
		return -1;
	struct base64_decode_ctx ctx;
	size_t done = need;
	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &done, tmp, len, text) ||
	    !base64_decode_final(&ctx) || done > out_size) {
		free(tmp);
		return -1;
	}
	memcpy(out, tmp, done);
	free(tmp);
	return (long)done;
}

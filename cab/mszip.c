/*
 * mszip.c - MSZIP decoder ([MS-MCI] 2.3) on zlib's raw inflate.
 *
 * Each CFDATA block is "CK" followed by a complete deflate stream (last
 * block marked final) that may refer back into the previous blocks'
 * output: makecab does not reset the history between blocks (fwupd
 * PR #6393), while gcab and Wine do.  Carrying the history decodes both.
 *
 * The history is kept the way libmspack's window is (the reference the
 * differential tests compare with): block N's output is written at the
 * start of a 32 KiB window, so after a short block the bytes beyond it
 * are still the older ones.  With makecab's full 32 KiB blocks this is
 * exactly "the previous 32 KiB of output".
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cab/cab_internal.h"

#define MSZIP_WINDOW 32768u

struct mszip {
	z_stream z;
	bool have_history;
	uint8_t window[MSZIP_WINDOW];
};

static int mszip_create(uint16_t type, void **state_ret, const char **why)
{
	(void)type;
	struct mszip *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		*why = "out of memory";
		return CAB_ERR_NOMEM;
	}
	/* Negative window bits: raw deflate, no zlib header. */
	if (inflateInit2(&m->z, -15) != Z_OK) {
		free(m);
		*why = "cannot initialise zlib";
		return CAB_ERR_NOMEM;
	}
	*state_ret = m;
	return 0;
}

static int mszip_decode(void *state, const uint8_t *in, size_t in_len,
			uint8_t *out, size_t out_len, size_t *consumed_ret,
			const char **why)
{
	struct mszip *m = state;
	*consumed_ret = in_len;
	if (in_len < 2 || in[0] != 'C' || in[1] != 'K') {
		*why = "no MSZIP \"CK\" signature";
		return CAB_ERR_DATA;
	}
	/* inflateReset forgets the window (zlib 1.2.13 inflate.c), so the
	 * history is given back as a preset dictionary, which raw inflate
	 * accepts at any time (zlib.h). */
	if (inflateReset(&m->z) != Z_OK) {
		*why = "zlib reset failed";
		return CAB_ERR_DATA;
	}
	if (m->have_history &&
	    inflateSetDictionary(&m->z, m->window, MSZIP_WINDOW) != Z_OK) {
		*why = "zlib refused the history";
		return CAB_ERR_DATA;
	}
	m->z.next_in = (Bytef *)(uintptr_t)(in + 2);
	m->z.avail_in = (uInt)(in_len - 2);
	m->z.next_out = out;
	m->z.avail_out = (uInt)out_len;
	int ret = inflate(&m->z, Z_FINISH);
	if (ret != Z_STREAM_END) {
		if (m->z.avail_out == 0 && (ret == Z_BUF_ERROR || ret == Z_OK))
			*why = "block inflates to more than cbUncomp bytes";
		else if (ret == Z_BUF_ERROR || ret == Z_OK)
			*why = "deflate stream truncated";
		else
			*why = m->z.msg ? m->z.msg : "inflate failed";
		return CAB_ERR_DATA;
	}
	if (m->z.avail_out != 0) {
		*why = "block inflates to fewer than cbUncomp bytes";
		return CAB_ERR_DATA;
	}
	memcpy(m->window, out, out_len);
	m->have_history = true;
	return 0;
}

static void mszip_free(void *state)
{
	struct mszip *m = state;
	if (m == NULL)
		return;
	inflateEnd(&m->z);
	free(m);
}

const struct cab_codec_ops cab_int_mszip_ops = {
	.create = mszip_create,
	.decode = mszip_decode,
	.free = mszip_free,
};

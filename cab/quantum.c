/*
 * quantum.c - Quantum decoder (David Stafford's format, cabinet method 2).
 *
 * No official specification exists; the behaviour follows libmspack's
 * qtmd.c, the reference decoder that the tests compare with: an
 * arithmetic coder with adaptive frequency models (7 selector symbols,
 * four literal models of 64 symbols, position-slot and length models),
 * windows of 2^10..2^21, 32 KiB frames.  At the end of each frame the
 * input is realigned to a byte and skipped up to and including a 0xFF
 * byte (cabinets pad Quantum blocks with 0-4 zero bytes; libmspack
 * appends a 0xFF trailer to each block so the search always ends inside
 * it -- here the end of the block plays that role).
 *
 * Quantum is only produced by old Microsoft tools, so this decoder is
 * written for clarity, not speed.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cab/cab_internal.h"

#define QTM_FRAME 32768u

struct qsym {
	uint16_t sym, cumfreq;
};

struct qmodel {
	int shiftsleft, entries;
	struct qsym *syms;
};

struct quantum {
	uint32_t window_size;
	uint8_t *window;
	uint32_t window_posn;
	uint32_t frame_todo;
	bool header_read;
	uint16_t H, L, C;
	struct qmodel model[4], model4, model5, model6, model6len, model7;
	struct qsym m[4][65], m4sym[25], m5sym[37], m6sym[43], m6lsym[28],
		m7sym[8];
};

static const uint32_t position_base[42] = {
	0,	1,	2,	3,	4,	 6,	  8,	 12,	 16,
	24,	32,	48,	64,	96,	 128,	  192,	 256,	 384,
	512,	768,	1024,	1536,	2048,	 3072,	  4096,	 6144,	 8192,
	12288,	16384,	24576,	32768,	49152,	 65536,	  98304, 131072, 196608,
	262144, 393216, 524288, 786432, 1048576, 1572864,
};
static const uint8_t extra_bits[42] = {
	0,  0,	0,  0,	1,  1,	2,  2,	3,  3,	4,  4,	5,  5,
	6,  6,	7,  7,	8,  8,	9,  9,	10, 10, 11, 11, 12, 12,
	13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 19,
};
static const uint8_t length_base[27] = {
	0,  1,	2,  3,	4,  5,	6,  8,	 10,  12,  14,	18,  22,  26,
	30, 38, 46, 54, 62, 78, 94, 110, 126, 158, 190, 222, 254,
};
static const uint8_t length_extra[27] = {
	0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};

static void init_model(struct qmodel *m, struct qsym *syms, int start, int len)
{
	m->shiftsleft = 4;
	m->entries = len;
	m->syms = syms;
	for (int i = 0; i <= len; i++) {
		syms[i].sym = (uint16_t)(start + i);
		syms[i].cumfreq = (uint16_t)(len - i);
	}
}

/* Rescales a model whose total frequency grew too large; every 50th
 * time it also re-sorts the symbols by frequency (a stable-enough
 * in-place selection sort, as the format's reference does). */
static void update_model(struct qmodel *m)
{
	if (--m->shiftsleft) {
		for (int i = m->entries - 1; i >= 0; i--) {
			m->syms[i].cumfreq >>= 1;
			if (m->syms[i].cumfreq <= m->syms[i + 1].cumfreq)
				m->syms[i].cumfreq =
					(uint16_t)(m->syms[i + 1].cumfreq + 1);
		}
		return;
	}
	m->shiftsleft = 50;
	for (int i = 0; i < m->entries; i++) {
		m->syms[i].cumfreq =
			(uint16_t)(m->syms[i].cumfreq - m->syms[i + 1].cumfreq);
		m->syms[i].cumfreq++;
		m->syms[i].cumfreq >>= 1;
	}
	for (int i = 0; i < m->entries - 1; i++) {
		for (int j = i + 1; j < m->entries; j++) {
			if (m->syms[i].cumfreq < m->syms[j].cumfreq) {
				struct qsym t = m->syms[i];
				m->syms[i] = m->syms[j];
				m->syms[j] = t;
			}
		}
	}
	for (int i = m->entries - 1; i >= 0; i--)
		m->syms[i].cumfreq =
			(uint16_t)(m->syms[i].cumfreq + m->syms[i + 1].cumfreq);
}

/* MSB-first byte reader; zeros past the end, position kept. */
struct qin {
	const uint8_t *in;
	size_t len, bitpos;
};

static inline unsigned qbit(struct qin *q)
{
	size_t byte = q->bitpos >> 3;
	unsigned bit = 0;
	if (byte < q->len)
		bit = (q->in[byte] >> (7 - (q->bitpos & 7))) & 1;
	q->bitpos++;
	return bit;
}

static inline uint32_t qbits(struct qin *q, unsigned n)
{
	uint32_t v = 0;
	while (n--)
		v = v << 1 | qbit(q);
	return v;
}

static unsigned get_symbol(struct quantum *z, struct qmodel *m, struct qin *q)
{
	unsigned H = z->H, L = z->L, C = z->C;
	uint32_t range = ((H - L) & 0xFFFF) + 1;
	uint32_t symf =
		((uint32_t)(((int)C - (int)L + 1) * (int)m->syms[0].cumfreq -
			    1) /
		 range) &
		0xFFFF;
	int i;
	for (i = 1; i < m->entries; i++)
		if (m->syms[i].cumfreq <= symf)
			break;
	unsigned sym = m->syms[i - 1].sym;
	range = (uint32_t)((int)H - (int)L + 1);
	symf = m->syms[0].cumfreq;
	H = (L + (m->syms[i - 1].cumfreq * range) / symf - 1) & 0xFFFF;
	L = (L + (m->syms[i].cumfreq * range) / symf) & 0xFFFF;
	do {
		m->syms[i - 1].cumfreq = (uint16_t)(m->syms[i - 1].cumfreq + 8);
	} while (i-- > 1);
	if (m->syms[0].cumfreq > 3800)
		update_model(m);
	for (;;) {
		if ((L & 0x8000) != (H & 0x8000)) {
			if ((L & 0x4000) && !(H & 0x4000)) {
				/* underflow */
				C ^= 0x4000;
				L &= 0x3FFF;
				H |= 0x4000;
			} else {
				break;
			}
		}
		L = (L << 1) & 0xFFFF;
		H = ((H << 1) | 1) & 0xFFFF;
		C = ((C << 1) | qbit(q)) & 0xFFFF;
	}
	z->H = (uint16_t)H;
	z->L = (uint16_t)L;
	z->C = (uint16_t)C;
	return sym;
}

static int quantum_create(uint16_t type, void **state_ret, const char **why)
{
	unsigned wbits = (type >> 8) & 0x1F;
	if (wbits < 10 || wbits > 21) {
		*why = "Quantum window size out of range (2^10..2^21)";
		return CAB_ERR_UNSUPPORTED;
	}
	struct quantum *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		*why = "out of memory";
		return CAB_ERR_NOMEM;
	}
	z->window_size = 1u << wbits;
	/* Zeroed: references before the first byte read zeros, as in the
	 * reference decoder. */
	z->window = calloc(1, z->window_size);
	if (z->window == NULL) {
		free(z);
		*why = "out of memory";
		return CAB_ERR_NOMEM;
	}
	z->frame_todo = QTM_FRAME;
	int i = (int)wbits * 2;
	for (int k = 0; k < 4; k++)
		init_model(&z->model[k], z->m[k], k * 64, 64);
	init_model(&z->model4, z->m4sym, 0, i > 24 ? 24 : i);
	init_model(&z->model5, z->m5sym, 0, i > 36 ? 36 : i);
	init_model(&z->model6, z->m6sym, 0, i);
	init_model(&z->model6len, z->m6lsym, 0, 27);
	init_model(&z->model7, z->m7sym, 0, 7);
	*state_ret = z;
	return 0;
}

static void quantum_free(void *state)
{
	struct quantum *z = state;
	if (z == NULL)
		return;
	free(z->window);
	free(z);
}

struct qout {
	uint8_t *out;
	size_t len, done;
	uint32_t flushed; /* window index from which output is pending */
};

/* Moves window bytes [flushed, upto) to the output (excess beyond the
 * block is dropped). */
static void flush(struct qout *o, const uint8_t *window, uint32_t upto)
{
	uint32_t n = upto - o->flushed;
	if (n > o->len - o->done)
		n = (uint32_t)(o->len - o->done);
	memcpy(o->out + o->done, window + o->flushed, n);
	o->done += n;
	o->flushed = upto;
}

static int quantum_decode(void *state, const uint8_t *in, size_t in_len,
			  uint8_t *out, size_t out_len, size_t *consumed_ret,
			  const char **why)
{
	struct quantum *z = state;
	struct qin q = { .in = in, .len = in_len, .bitpos = 0 };
	struct qout o = { .out = out,
			  .len = out_len,
			  .flushed = z->window_posn };
	uint32_t mask = z->window_size - 1;
	uint32_t posn = z->window_posn;
	*consumed_ret = in_len;
	/* Bytes produced: flushed output plus what is pending. */
	while (o.done + (posn - o.flushed) < out_len) {
		if (!z->header_read) {
			z->H = 0xFFFF;
			z->L = 0;
			z->C = (uint16_t)qbits(&q, 16);
			z->header_read = true;
		}
		unsigned selector = get_symbol(z, &z->model7, &q);
		uint32_t len;
		if (selector < 4) {
			unsigned sym = get_symbol(z, &z->model[selector], &q);
			z->window[posn++] = (uint8_t)sym;
			len = 1;
		} else {
			uint32_t off;
			unsigned sym;
			switch (selector) {
			case 4:
				sym = get_symbol(z, &z->model4, &q);
				off = position_base[sym] +
				      qbits(&q, extra_bits[sym]) + 1;
				len = 3;
				break;
			case 5:
				sym = get_symbol(z, &z->model5, &q);
				off = position_base[sym] +
				      qbits(&q, extra_bits[sym]) + 1;
				len = 4;
				break;
			case 6:
				sym = get_symbol(z, &z->model6len, &q);
				len = length_base[sym] +
				      qbits(&q, length_extra[sym]) + 5;
				sym = get_symbol(z, &z->model6, &q);
				off = position_base[sym] +
				      qbits(&q, extra_bits[sym]) + 1;
				break;
			default:
				*why = "invalid selector";
				return CAB_ERR_DATA;
			}
			if (off > z->window_size) {
				*why = "match offset beyond the window";
				return CAB_ERR_DATA;
			}
			for (uint32_t k = 0; k < len; k++) {
				z->window[posn] =
					z->window[(posn - off) & mask];
				if (++posn == z->window_size) {
					flush(&o, z->window, posn);
					posn = 0;
					o.flushed = 0;
				}
			}
		}
		if (posn == z->window_size) {
			flush(&o, z->window, posn);
			posn = 0;
			o.flushed = 0;
		}
		if (len > z->frame_todo) {
			*why = "match crosses the end of a frame";
			return CAB_ERR_DATA;
		}
		z->frame_todo -= len;
		if (z->frame_todo == 0) {
			/* Realign to a byte, then skip to the 0xFF trailer
			 * (or the end of the block, which stands for it). */
			size_t byte = (q.bitpos + 7) / 8;
			while (byte < in_len && in[byte] != 0xFF)
				byte++;
			q.bitpos = (byte + 1) * 8;
			z->header_read = false;
			z->frame_todo = QTM_FRAME;
		}
		/* A block that needs more than its bytes (plus the 0xFF
		 * trailer and the 2 zero bytes the reference pads the input
		 * with) is corrupt; this also bounds the work on garbage. */
		if (q.bitpos > (in_len + 3) * 8) {
			*why = "block needs more input than it holds";
			return CAB_ERR_DATA;
		}
	}
	flush(&o, z->window, posn);
	z->window_posn = posn;
	size_t used = (q.bitpos + 7) / 8;
	*consumed_ret = used < in_len ? used : in_len;
	return 0;
}

const struct cab_codec_ops cab_int_quantum_ops = {
	.create = quantum_create,
	.decode = quantum_decode,
	.free = quantum_free,
};

/*
 * stream.c - decoding one folder: CFDATA blocks, checksums, decoders.
 *
 * A folder is one compressed stream cut into CFDATA blocks of at most
 * 32 KiB of output each, possibly continued across the cabinets of a set
 * (a block whose cbUncomp is 0 continues in the first block of the next
 * cabinet and the fragments are joined).  The stream keeps one block of
 * input and one of output besides the decoder's own window, so memory is
 * bounded whatever the folder or member sizes.  Going forward only, so
 * members read in folder order decode the folder once; going back
 * restarts the folder.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cab/cab_internal.h"
#include "util/bytes.h"

/* Input buffer: bytes carried over from the previous block, the joined
 * fragments of this block, and the zero padding. */
#define STREAM_IN_SIZE (2 * CAB_INPUT_MAX + CAB_INPUT_PAD)

struct cab_stream {
	unsigned folder;
	const struct cab_codec_ops *ops; /* NULL: stored */
	void *codec;
	int fail_err; /* sticky: the folder cannot be decoded past here */
	char fail_msg[512];
	unsigned span;	      /* current span of the folder */
	unsigned span_block;  /* blocks of that span consumed */
	uint64_t next_off;    /* file offset of the next CFDATA header */
	uint32_t block_no;    /* blocks decoded so far (for messages) */
	uint64_t block_start; /* folder offset of out[0] */
	size_t out_len, out_off;
	size_t carry; /* unconsumed input at in[0..carry) */
	uint8_t in[STREAM_IN_SIZE];
	uint8_t out[CAB_BLOCK_MAX];
};

uint32_t cab_int_checksum(const uint8_t *data, size_t len, uint32_t seed)
{
	uint64_t acc = 0;
	size_t i = 0;
	for (; i + 8 <= len; i += 8)
		acc ^= get_le64(data + i);
	uint32_t sum = seed ^ (uint32_t)acc ^ (uint32_t)(acc >> 32);
	if (i + 4 <= len) {
		sum ^= get_le32(data + i);
		i += 4;
	}
	uint32_t ul = 0;
	switch (len - i) {
	case 3:
		ul |= (uint32_t)data[i++] << 16;
		HVO_FALLTHROUGH;
	case 2:
		ul |= (uint32_t)data[i++] << 8;
		HVO_FALLTHROUGH;
	case 1:
		ul |= data[i];
		break;
	default:
		break;
	}
	return sum ^ ul;
}

void cab_int_stream_free(struct cab_stream *s)
{
	if (s == NULL)
		return;
	if (s->ops && s->codec)
		s->ops->free(s->codec);
	free(s);
}

static const char *part_name(const struct cab *cab, unsigned part)
{
	const char *p = cab->parts[part].path;
	return p ? p : "cabinet";
}

/* Records a failure that makes the rest of the folder unreadable. */
static int stream_fail(struct cab *cab, struct cab_stream *s, int err)
{
	s->fail_err = err;
	memcpy(s->fail_msg, cab->errmsg, sizeof(s->fail_msg));
	return err;
}

/* (Re)starts decoding @folder at its first block. */
static int stream_start(struct cab *cab, unsigned folder)
{
	struct cab_folder *f = &cab->folders[folder];
	struct cab_stream *s = cab->stream;
	if (s == NULL) {
		s = malloc(sizeof(*s));
		if (s == NULL)
			return cab_int_set_error(cab, CAB_ERR_NOMEM,
						 "out of memory");
		s->ops = NULL;
		s->codec = NULL;
		cab->stream = s;
	}
	if (s->ops && s->codec)
		s->ops->free(s->codec);
	s->ops = NULL;
	s->codec = NULL;
	s->folder = folder;
	s->fail_err = 0;
	s->span = 0;
	s->span_block = 0;
	s->next_off = f->spans[0].offset;
	s->block_no = 0;
	s->block_start = 0;
	s->out_len = s->out_off = 0;
	s->carry = 0;
	if (f->missing_prev) {
		cab_int_set_error(
			cab, CAB_ERR_SET_INCOMPLETE,
			"%s: folder %u continues from cabinet \"%s\", "
			"which was not found",
			part_name(cab, f->spans[0].part), folder,
			cab->parts[f->spans[0].part].prev_name);
		return stream_fail(cab, s, CAB_ERR_SET_INCOMPLETE);
	}
	const char *why = NULL;
	int err = 0;
	switch (f->info.method) {
	case CAB_METHOD_NONE:
		break;
	case CAB_METHOD_MSZIP:
		s->ops = &cab_int_mszip_ops;
		break;
	case CAB_METHOD_LZX:
		s->ops = &cab_int_lzx_ops;
		break;
	case CAB_METHOD_QUANTUM:
		s->ops = &cab_int_quantum_ops;
		break;
	default:
		cab_int_set_error(
			cab, CAB_ERR_UNSUPPORTED,
			"%s: folder %u: unknown compression type 0x%04x",
			part_name(cab, f->spans[0].part), folder,
			f->info.type_compress);
		return stream_fail(cab, s, CAB_ERR_UNSUPPORTED);
	}
	if (s->ops) {
		err = s->ops->create(f->info.type_compress, &s->codec, &why);
		if (err) {
			s->ops = NULL;
			cab_int_set_error(cab, err, "%s: folder %u: %s",
					  part_name(cab, f->spans[0].part),
					  folder,
					  why ? why : cab_strerror(err));
			return stream_fail(cab, s, err);
		}
	}
	return 0;
}

/* Reads the next CFDATA block (joining split fragments) and decodes it
 * into s->out. */
static int next_block(struct cab *cab, struct cab_stream *s)
{
	struct cab_folder *f = &cab->folders[s->folder];
	size_t have = s->carry;
	unsigned fragments = 0;
	unsigned uncomp;
	int err;
	for (;;) {
		while (s->span < f->nspans &&
		       s->span_block >= f->spans[s->span].nblocks) {
			s->span++;
			s->span_block = 0;
			if (s->span < f->nspans)
				s->next_off = f->spans[s->span].offset;
		}
		if (s->span >= f->nspans) {
			if (f->missing_next)
				err = cab_int_set_error(
					cab, CAB_ERR_SET_INCOMPLETE,
					"folder %u continues in cabinet "
					"\"%s\", "
					"which was not found",
					s->folder,
					cab->parts[f->info.last_cabinet]
						.next_name);
			else
				err = cab_int_set_error(
					cab, CAB_ERR_CORRUPT,
					"folder %u: data ends after %u blocks "
					"(%llu bytes) but members need more",
					s->folder, s->block_no,
					(unsigned long long)(s->block_start +
							     s->out_len));
			return stream_fail(cab, s, err);
		}
		unsigned part = f->spans[s->span].part;
		const struct cab_part *p = &cab->parts[part];
		uint8_t hdr[CFDATA_SIZE];
		char what[64];
		snprintf(what, sizeof(what), "folder %u block %u", s->folder,
			 s->block_no);
		if ((err = cab_int_part_read(cab, part, s->next_off, hdr,
					     CFDATA_SIZE, what)))
			return stream_fail(cab, s, err);
		uint32_t csum = get_le32(hdr + CFDATA_CSUM);
		unsigned cbdata = get_le16(hdr + CFDATA_CBDATA);
		uncomp = get_le16(hdr + CFDATA_CBUNCOMP);
		if (cbdata > CAB_INPUT_MAX || uncomp > CAB_BLOCK_MAX ||
		    have + cbdata > STREAM_IN_SIZE - CAB_INPUT_PAD) {
			err = cab_int_set_error(cab, CAB_ERR_CORRUPT,
						"%s: %s: impossible sizes "
						"(cbData %u, cbUncomp %u)",
						part_name(cab, part), what,
						cbdata, uncomp);
			return stream_fail(cab, s, err);
		}
		uint64_t data_off =
			s->next_off + CFDATA_SIZE + p->info.data_reserve;
		if ((err = cab_int_part_read(cab, part, data_off, s->in + have,
					     cbdata, what)))
			return stream_fail(cab, s, err);
		if (csum != 0 && !(cab->flags & CAB_OPEN_IGNORE_CHECKSUMS)) {
			uint32_t c = cab_int_checksum(s->in + have, cbdata, 0);
			c = cab_int_checksum(hdr + CFDATA_CBDATA, 4, c);
			if (c != csum) {
				err = cab_int_set_error(
					cab, CAB_ERR_CHECKSUM,
					"%s: %s: checksum mismatch (stored "
					"0x%08x, computed 0x%08x)",
					part_name(cab, part), what, csum, c);
				return stream_fail(cab, s, err);
			}
		}
		have += cbdata;
		s->next_off = data_off + cbdata;
		s->span_block++;
		fragments++;
		if (uncomp != 0)
			break;
		/* cbUncomp 0: the block continues in the next cabinet; it
		 * must be the last block of this one. */
		if (s->span_block != f->spans[s->span].nblocks) {
			err = cab_int_set_error(cab, CAB_ERR_CORRUPT,
						"%s: %s: empty block inside a "
						"cabinet",
						part_name(cab, part), what);
			return stream_fail(cab, s, err);
		}
	}
	memset(s->in + have, 0, CAB_INPUT_PAD);
	s->block_start += s->out_len;
	s->out_off = 0;
	s->out_len = 0;
	if (s->ops == NULL) {
		if (have != uncomp) {
			err = cab_int_set_error(
				cab, CAB_ERR_DATA,
				"folder %u block %u: stored block "
				"of %zu bytes claims %u",
				s->folder, s->block_no, have, uncomp);
			return stream_fail(cab, s, err);
		}
		memcpy(s->out, s->in, have);
		s->carry = 0;
	} else {
		size_t consumed = 0;
		const char *why = NULL;
		err = s->ops->decode(s->codec, s->in, have, s->out, uncomp,
				     &consumed, &why);
		if (err) {
			cab_int_set_error(
				cab, err, "folder %u (%s) block %u: %s",
				s->folder, f->method_name, s->block_no,
				why ? why : cab_strerror(err));
			return stream_fail(cab, s, err);
		}
		if (consumed > have)
			consumed = have;
		s->carry = have - consumed;
		if (s->carry)
			memmove(s->in, s->in + consumed, s->carry);
	}
	s->out_len = uncomp;
	s->block_no++;
	cab->blocks_decoded++;
	return 0;
}

int cab_int_stream_seek(struct cab *cab, unsigned folder, uint64_t offset)
{
	struct cab_stream *s = cab->stream;
	int err;
	if (s == NULL || s->folder != folder ||
	    offset < s->block_start + s->out_off) {
		if ((err = stream_start(cab, folder)))
			return err;
		s = cab->stream;
	}
	for (;;) {
		if (s->fail_err) {
			memcpy(cab->errmsg, s->fail_msg, sizeof(cab->errmsg));
			return s->fail_err;
		}
		/* offset >= block_start here, or the folder was restarted. */
		if (offset <= s->block_start + s->out_len) {
			s->out_off = (size_t)(offset - s->block_start);
			return 0;
		}
		if ((err = next_block(cab, s)))
			return err;
	}
}

int cab_int_stream_read(struct cab *cab, uint64_t len, cab_write_fn write,
			void *ctx)
{
	struct cab_stream *s = cab->stream;
	int err;
	while (len > 0) {
		if (s->fail_err) {
			memcpy(cab->errmsg, s->fail_msg, sizeof(cab->errmsg));
			return s->fail_err;
		}
		if (s->out_off == s->out_len) {
			if ((err = next_block(cab, s)))
				return err;
			continue;
		}
		size_t n = s->out_len - s->out_off;
		if (n > len)
			n = (size_t)len;
		if (write(ctx, s->out + s->out_off, n) != 0)
			return cab_int_set_error(cab, CAB_ERR_ABORTED,
						 "stopped by the caller");
		s->out_off += n;
		len -= n;
	}
	return 0;
}

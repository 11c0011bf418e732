/*
 * read.c - reading members: one at a time, into a buffer, or many in one
 * pass over each folder.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cab/cab_internal.h"

/* Positions the folder stream at the start of entry @i after checking
 * that the entry can lie inside its folder. */
static int entry_seek(struct cab *cab, size_t i)
{
	const struct cab_entry *e = &cab->entries[i];
	const struct cab_folder *f = &cab->folders[e->folder];
	/* libmspack refuses the same way before decoding anything: no
	 * member can end beyond what the folder's blocks can hold. */
	if ((uint64_t)e->offset + e->size > f->max_bytes)
		return cab_int_set_error(
			cab,
			f->missing_next ? CAB_ERR_SET_INCOMPLETE
					: CAB_ERR_CORRUPT,
			"%s: ends at %llu, beyond the %u blocks of folder %u%s",
			e->name, (unsigned long long)e->offset + e->size,
			f->info.blocks, e->folder,
			f->missing_next ? " (the next cabinet was not found)"
					: "");
	if (e->size == 0)
		return 0;
	return cab_int_stream_seek(cab, e->folder, e->offset);
}

/* Prefixes the handle's message with the member name. */
static int entry_error(struct cab *cab, size_t i, int err)
{
	char tmp[sizeof(cab->errmsg)];
	memcpy(tmp, cab->errmsg, sizeof(tmp));
	return cab_int_set_error(cab, err, "%s: %s", cab->entries[i].name, tmp);
}

int cab_read_entry(struct cab *cab, size_t index, cab_write_fn write, void *ctx)
{
	if (cab == NULL || cab->err || index >= cab->nentries)
		return cab ? cab_int_set_error(cab, CAB_ERR_INVALID,
					       "no entry %zu", index)
			   : CAB_ERR_INVALID;
	int err = entry_seek(cab, index);
	if (!err && cab->entries[index].size)
		err = cab_int_stream_read(cab, cab->entries[index].size, write,
					  ctx);
	if (err && err != CAB_ERR_ABORTED &&
	    strncmp(cab->errmsg, cab->entries[index].name,
		    strlen(cab->entries[index].name)) != 0)
		err = entry_error(cab, index, err);
	return err;
}

struct membuf {
	uint8_t *buf;
	size_t len;
};

static int to_buffer(void *ctx, const void *buf, size_t len)
{
	struct membuf *m = ctx;
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

int cab_read_entry_alloc(struct cab *cab, size_t index, size_t max,
			 uint8_t **buf_ret, size_t *len_ret)
{
	*buf_ret = NULL;
	if (cab == NULL || cab->err || index >= cab->nentries)
		return cab ? cab_int_set_error(cab, CAB_ERR_INVALID,
					       "no entry %zu", index)
			   : CAB_ERR_INVALID;
	const struct cab_entry *e = &cab->entries[index];
	if (e->size > max)
		return cab_int_set_error(
			cab, CAB_ERR_TOO_LARGE,
			"%s: %u bytes, more than the %zu allowed", e->name,
			e->size, max);
	struct membuf m = { .buf = malloc((size_t)e->size + 1), .len = 0 };
	if (m.buf == NULL)
		return cab_int_set_error(cab, CAB_ERR_NOMEM, "out of memory");
	int err = cab_read_entry(cab, index, to_buffer, &m);
	if (err) {
		free(m.buf);
		return err;
	}
	m.buf[m.len] = 0;
	*buf_ret = m.buf;
	if (len_ret)
		*len_ret = m.len;
	return 0;
}

struct order_key {
	unsigned folder;
	uint32_t offset;
	size_t index;
};

static int cmp_key(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;
	if (x->folder != y->folder)
		return x->folder < y->folder ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int cab_read_entries(struct cab *cab, const size_t *indices, size_t n,
		     const struct cab_visitor *v, void *ctx)
{
	if (cab == NULL || cab->err || v == NULL || v->write == NULL)
		return cab ? cab_int_set_error(cab, CAB_ERR_INVALID,
					       "invalid arguments")
			   : CAB_ERR_INVALID;
	if (indices == NULL)
		n = cab->nentries;
	struct order_key *order = malloc((n ? n : 1) * sizeof(*order));
	if (order == NULL)
		return cab_int_set_error(cab, CAB_ERR_NOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		size_t i = indices ? indices[k] : k;
		if (i >= cab->nentries) {
			free(order);
			return cab_int_set_error(cab, CAB_ERR_INVALID,
						 "no entry %zu", i);
		}
		order[k].folder = cab->entries[i].folder;
		order[k].offset = cab->entries[i].offset;
		order[k].index = i;
	}
	/* Folder order, so that each folder is decoded once. */
	qsort(order, n, sizeof(*order), cmp_key);
	int first_err = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k].index;
		if (v->begin) {
			int b = v->begin(ctx, i, &cab->entries[i]);
			if (b == 1)
				continue;
			if (b != 0) {
				first_err = first_err ? first_err
						      : cab_int_set_error(
								cab,
								CAB_ERR_ABORTED,
								"stopped by "
								"the caller");
				break;
			}
		}
		int err = cab_read_entry(cab, i, v->write, ctx);
		if (err && !first_err)
			first_err = err;
		if (v->end) {
			if (v->end(ctx, i, err) != 0)
				break;
		} else if (err) {
			break;
		}
	}
	free(order);
	return first_err;
}

/*
 * fuzz_cab.c - libFuzzer target for the cabinet reader.
 *
 * Opens the input as a cabinet (searching inside it, as cabextract
 * does), lists every entry, checks every name for extraction, and decodes
 * every member twice: in one pass in folder order, then one by one in
 * reverse order (which restarts folders).  The first input byte's low
 * bit chooses whether checksums are ignored, so that the decoders are
 * reached even with random checksums.  Invariant: a member read without
 * error delivers exactly its listed size.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cab/cab.h"

/* Output is capped per input so that a cabinet of many tiny blocks that
 * expand to 32 KiB each cannot make one run slow. */
#define FUZZ_MAX_OUTPUT (4u << 20)

struct sink {
	uint64_t got;	/* bytes of the current member */
	uint64_t total; /* bytes of this input */
};

static int on_write(void *ctx, const void *buf, size_t len)
{
	struct sink *s = ctx;
	(void)buf;
	s->got += len;
	s->total += len;
	return s->total > FUZZ_MAX_OUTPUT;
}

static int on_begin(void *ctx, size_t i, const struct cab_entry *e)
{
	struct sink *s = ctx;
	(void)i;
	(void)e;
	s->got = 0;
	return 0;
}

static struct cab *g_cab;

static int on_end(void *ctx, size_t i, int err)
{
	struct sink *s = ctx;
	if (err == 0 && s->got != cab_entry_get(g_cab, i)->size)
		abort();
	return s->total > FUZZ_MAX_OUTPUT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags = CAB_OPEN_SEARCH;
	if (size > 0 && (data[0] & 1))
		flags |= CAB_OPEN_IGNORE_CHECKSUMS;
	struct cab *cab = NULL;
	if (cab_open_mem(data, size, flags, &cab) != 0) {
		(void)cab_errmsg(cab);
		cab_close(cab);
		return 0;
	}
	g_cab = cab;
	size_t n = cab_entry_count(cab);
	for (size_t i = 0; i < n; i++) {
		const struct cab_entry *e = cab_entry_get(cab, i);
		char *p = NULL;
		const char *why = NULL;
		if (cab_safe_path(e, &p, &why) == 0 && p[0] == '\0')
			abort();
		free(p);
		size_t k;
		if (cab_find(cab, e->name, &k) != 0 || k > i)
			abort();
	}
	for (size_t i = 0; i < cab_folder_count(cab); i++)
		(void)cab_folder_method_name(cab, i);
	struct sink s = { 0, 0 };
	struct cab_visitor v = { on_begin, on_write, on_end };
	cab_read_entries(cab, NULL, 0, &v, &s);
	/* The last few members again, backwards: each restarts a folder. */
	for (size_t i = n;
	     i-- > 0 && i + 4 >= n && s.total <= FUZZ_MAX_OUTPUT;) {
		s.got = 0;
		int err = cab_read_entry(cab, i, on_write, &s);
		if (err == 0 && s.got != cab_entry_get(cab, i)->size)
			abort();
	}
	cab_close(cab);
	g_cab = NULL;
	return 0;
}

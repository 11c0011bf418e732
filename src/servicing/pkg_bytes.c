/*
 * pkg_bytes.c - the source packages' entries decoded once per run (see
 * pkg_bytes.h).
 *
 * The table is process state, not the session's: the children are forks
 * of the parent and read it where the parent left it, and apply's
 * extraction (apply_common.c) finds a package's bytes by the package
 * alone.  The parent fills it before forking and drops it after the
 * last child; nothing writes it in a child.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cab/cab.h"
#include "servicing/pkg_bytes.h"

struct held_pkg {
	const struct pkg_package *pkg;
	uint8_t **data; /* per entry */
	size_t *len;
	size_t n;
};

static struct held_pkg *held;
static size_t nheld;
static uint64_t total;

static void drop(struct held_pkg *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->data[i]);
	free(h->data);
	free(h->len);
	memset(h, 0, sizeof(*h));
}

static struct held_pkg *find(const struct pkg_package *pkg)
{
	for (size_t i = 0; i < nheld; i++)
		if (held[i].pkg == pkg)
			return &held[i];
	return NULL;
}

struct fill {
	struct held_pkg *h;
	size_t cur, at;
	bool failed;
};

static int fill_begin(void *ctx, size_t index, const struct cab_entry *e)
{
	struct fill *f = ctx;
	f->cur = index;
	f->at = 0;
	f->h->len[index] = e->size;
	/* One byte more: a zero-length entry still gets a buffer. */
	f->h->data[index] = malloc((size_t)e->size + 1);
	if (f->h->data[index] == NULL) {
		f->failed = true;
		return -1;
	}
	return 0;
}

static int fill_write(void *ctx, const void *buf, size_t len)
{
	struct fill *f = ctx;
	struct held_pkg *h = f->h;
	if (len > h->len[f->cur] - f->at) {
		f->failed = true; /* more than the entry's listed size */
		return -1;
	}
	memcpy(h->data[f->cur] + f->at, buf, len);
	f->at += len;
	return 0;
}

static int fill_end(void *ctx, size_t index, int err)
{
	struct fill *f = ctx;
	if (err != 0 || f->at != f->h->len[index])
		f->failed = true;
	return f->failed ? -1 : 0;
}

bool svc_int_pkg_bytes_load(const struct pkg_package *pkg)
{
	if (pkg == NULL || pkg->cab == NULL)
		return false;
	if (find(pkg) != NULL)
		return true;
	size_t n = cab_entry_count(pkg->cab);
	uint64_t size = 0;
	for (size_t i = 0; i < n; i++)
		size += cab_entry_get(pkg->cab, i)->size;
	if (size > SVC_PKG_BYTES_MAX - total)
		return false;
	struct held_pkg *grown = realloc(held, (nheld + 1) * sizeof(*held));
	if (grown == NULL)
		return false;
	held = grown;
	struct held_pkg *h = &held[nheld];
	memset(h, 0, sizeof(*h));
	h->data = calloc(n ? n : 1, sizeof(*h->data));
	h->len = calloc(n ? n : 1, sizeof(*h->len));
	h->n = n;
	struct fill f = { .h = h };
	struct cab_visitor v = { fill_begin, fill_write, fill_end };
	if (h->data == NULL || h->len == NULL ||
	    cab_read_entries(pkg->cab, NULL, n, &v, &f) != 0 || f.failed) {
		drop(h);
		return false;
	}
	h->pkg = pkg;
	nheld++;
	total += size;
	return true;
}

const uint8_t *svc_int_pkg_bytes_get(const struct pkg_package *pkg,
				     size_t index, size_t *len_ret)
{
	const struct held_pkg *h = find(pkg);
	if (h == NULL || index >= h->n || h->data[index] == NULL)
		return NULL;
	*len_ret = h->len[index];
	return h->data[index];
}

void svc_int_pkg_bytes_free(void)
{
	for (size_t i = 0; i < nheld; i++)
		drop(&held[i]);
	free(held);
	held = NULL;
	nheld = 0;
	total = 0;
}

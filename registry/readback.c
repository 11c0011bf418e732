/*
 * readback.c - two hive images read side by side through libhivex.
 *
 * A write-back that lays the hive out again (compact.c) must not change
 * what the hive holds.  Both images are opened with libhivex (not our
 * reader, which the layout shares) and walked together, depth first:
 * each key's name, its subkeys in order, and each value's name, type and
 * data bytes must match.  One walk of each image, with no text in
 * between: the check a .reg export of each and a comparison of the two
 * texts made, without formatting either (and names a .reg file cannot
 * hold compare as well).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/fileio.h"

struct side {
	hive_h *hx;
	int fd;
};

static int open_side(const uint8_t *img, size_t len, struct side *s)
{
	s->hx = NULL;
	s->fd = reg_int_scratch_fd();
	if (s->fd < 0)
		return REG_ERR_IO;
	if (hvo_int_pwrite_all(s->fd, img, len, 0) != 0)
		return REG_ERR_IO;
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", s->fd);
	s->hx = hivex_open(fdpath, 0);
	return s->hx ? 0 : REG_ERR_HIVEX;
}

static void close_side(struct side *s)
{
	if (s->hx != NULL)
		hivex_close(s->hx);
	if (s->fd >= 0)
		close(s->fd);
}

struct walk {
	struct side a, b;
	char *why;
	size_t whylen;
};

static int differ(struct walk *w, const char *name, const char *what)
{
	snprintf(w->why, w->whylen, "key \"%.120s\": %s", name, what);
	return REG_ERR_VERIFY;
}

/* The old image (@a) itself cannot be read there: nothing to judge the
 * rewrite against, which is not a fault of the rewrite. */
static int unjudged(struct walk *w, const char *name, const char *what)
{
	snprintf(w->why, w->whylen, "key \"%.120s\" of the hive as written: %s",
		 name, what);
	return REG_ERR_HIVEX;
}

static int same_values(struct walk *w, hive_node_h na, hive_node_h nb,
		       const char *kname)
{
	hive_value_h *va = hivex_node_values(w->a.hx, na);
	hive_value_h *vb = hivex_node_values(w->b.hx, nb);
	int rc = 0;
	if (va == NULL || vb == NULL) {
		rc = va == NULL
			     ? unjudged(w, kname, "its values cannot be read")
			     : differ(w, kname, "its values cannot be read");
		goto out;
	}
	size_t i = 0;
	for (; va[i] != 0 && vb[i] != 0 && rc == 0; i++) {
		char *ka = hivex_value_key(w->a.hx, va[i]);
		char *kb = hivex_value_key(w->b.hx, vb[i]);
		hive_type ta, tb;
		size_t la, lb;
		char *da = hivex_value_value(w->a.hx, va[i], &ta, &la);
		char *db = hivex_value_value(w->b.hx, vb[i], &tb, &lb);
		if (ka == NULL || da == NULL)
			rc = unjudged(w, kname, "a value cannot be read");
		else if (kb == NULL || db == NULL)
			rc = differ(w, kname, "a value cannot be read");
		else if (strcmp(ka, kb) != 0)
			rc = differ(w, kname, "a value name differs");
		else if (ta != tb || la != lb || memcmp(da, db, la) != 0)
			rc = differ(w, kname, "a value's type or data differs");
		free(ka);
		free(kb);
		free(da);
		free(db);
	}
	if (rc == 0 && (va[i] != 0 || vb[i] != 0))
		rc = differ(w, kname, "the number of values differs");
out:
	free(va);
	free(vb);
	return rc;
}

static int same_key(struct walk *w, hive_node_h na, hive_node_h nb,
		    unsigned depth)
{
	if (depth > REG_MAX_DEPTH)
		return unjudged(w, "", "too deep");
	char *ka = hivex_node_name(w->a.hx, na);
	char *kb = hivex_node_name(w->b.hx, nb);
	int rc = 0;
	if (ka == NULL)
		rc = unjudged(w, "", "a key's name cannot be read");
	else if (kb == NULL)
		rc = differ(w, ka, "its name cannot be read");
	else if (strcmp(ka, kb) != 0)
		rc = differ(w, ka, "the name differs");
	if (rc == 0)
		rc = same_values(w, na, nb, ka);
	hive_node_h *ca = NULL, *cb = NULL;
	if (rc == 0) {
		ca = hivex_node_children(w->a.hx, na);
		cb = hivex_node_children(w->b.hx, nb);
		if (ca == NULL)
			rc = unjudged(w, ka, "its subkeys cannot be read");
		else if (cb == NULL)
			rc = differ(w, ka, "its subkeys cannot be read");
	}
	size_t i = 0;
	for (; rc == 0 && ca[i] != 0 && cb[i] != 0; i++)
		rc = same_key(w, ca[i], cb[i], depth + 1);
	if (rc == 0 && (ca[i] != 0 || cb[i] != 0))
		rc = differ(w, ka, "the number of subkeys differs");
	free(ca);
	free(cb);
	free(ka);
	free(kb);
	return rc;
}

int reg_int_same_tree(const uint8_t *a, size_t alen, const uint8_t *b,
		      size_t blen, char *why, size_t whylen)
{
	struct walk w = { .why = why, .whylen = whylen };
	int rc = open_side(a, alen, &w.a);
	if (rc == 0) {
		rc = open_side(b, blen, &w.b);
		if (rc == REG_ERR_HIVEX)
			rc = REG_ERR_VERIFY; /* @a opens, its rewrite not */
	} else {
		w.b = (struct side){ .fd = -1 };
	}
	if (rc)
		snprintf(why, whylen, "libhivex cannot open %s: %s",
			 w.b.hx == NULL && w.a.hx != NULL
				 ? "the rewrite"
				 : "the hive as written",
			 strerror(errno ? errno : EIO));
	else
		rc = same_key(&w, hivex_root(w.a.hx), hivex_root(w.b.hx), 0);
	close_side(&w.a);
	close_side(&w.b);
	return rc;
}

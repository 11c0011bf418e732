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
 * hold compare as well).  Names compare by their whole length (a name
 * may hold a NUL).
 *
 * What libhivex does not show is read from the image bytes at the key's
 * handle, which is the nk cell's offset from the start of the file (the
 * base block included: hivex reads h->addr + node): the key's flags, its
 * last-write time, its security descriptor (the bytes of the sk cell it
 * points at, not the offset, which a rewrite moves) and its class name.
 * Every such read is bounded by the image: a cell the hive as written
 * does not hold is REG_ERR_HIVEX, one the rewrite does not hold
 * REG_ERR_VERIFY.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/bytes.h"
#include "util/fileio.h"

struct side {
	hive_h *hx;
	int fd;
	const uint8_t *img;
	size_t len;
};

static int open_side(const uint8_t *img, size_t len, struct side *s)
{
	s->hx = NULL;
	s->img = img;
	s->len = len;
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

/* The data of the allocated cell at @off (from the start of the file) in
 * @s's image, its length in *dlen; NULL when the image does not hold one
 * there.  @off comes from the bytes: any value is bounded here. */
static const uint8_t *cell_at(const struct side *s, uint64_t off, size_t *dlen)
{
	if (off < REGF_BASE_SIZE || off % REGF_CELL_ALIGN != 0 ||
	    off > s->len || s->len - off < 4)
		return NULL;
	int64_t raw = (int32_t)get_le32(s->img + off);
	if (raw >= 0 || -raw < 4 || (uint64_t)-raw > s->len - off)
		return NULL; /* free, too small, or past the image */
	*dlen = (size_t)-raw - 4;
	return s->img + off + 4;
}

/* An offset stored in a cell (relative to the hive bins data). */
static const uint8_t *cell_ref(const struct side *s, uint32_t rel, size_t *dlen)
{
	if (rel == REGF_OFFSET_NONE)
		return NULL;
	return cell_at(s, (uint64_t)rel + REGF_BASE_SIZE, dlen);
}

/* The part of key @n libhivex does not show, from the image bytes. */
struct nk_meta {
	uint16_t flags;
	const uint8_t *stamp; /* 8 bytes */
	const uint8_t *sd;    /* security descriptor */
	uint32_t sdlen;
	const uint8_t *cls; /* class name */
	uint16_t clslen;
};

/* NULL when read, else what cannot be read. */
static const char *nk_meta(const struct side *s, hive_node_h n,
			   struct nk_meta *m)
{
	size_t len, sklen, cllen;
	const uint8_t *k = cell_at(s, n, &len);
	if (k == NULL || len < NK_NAME || memcmp(k, "nk", 2) != 0)
		return "its key cell cannot be read";
	m->flags = get_le16(k + NK_FLAGS);
	m->stamp = k + NK_TIMESTAMP;
	const uint8_t *sk = cell_ref(s, get_le32(k + NK_SECURITY), &sklen);
	if (sk == NULL || sklen < 20 || memcmp(sk, "sk", 2) != 0 ||
	    get_le32(sk + 16) > sklen - 20)
		return "its security descriptor cannot be read";
	m->sd = sk + 20;
	m->sdlen = get_le32(sk + 16);
	m->clslen = get_le16(k + NK_CLASS_LEN);
	m->cls = NULL;
	if (m->clslen > 0) {
		m->cls = cell_ref(s, get_le32(k + NK_CLASS), &cllen);
		if (m->cls == NULL || m->clslen > cllen)
			return "its class name cannot be read";
	}
	return NULL;
}

static int same_meta(struct walk *w, hive_node_h na, hive_node_h nb,
		     const char *kname)
{
	struct nk_meta ma, mb;
	const char *bad = nk_meta(&w->a, na, &ma);
	if (bad != NULL)
		return unjudged(w, kname, bad);
	bad = nk_meta(&w->b, nb, &mb);
	if (bad != NULL)
		return differ(w, kname, bad);
	if (ma.flags != mb.flags)
		return differ(w, kname, "its flags differ");
	if (memcmp(ma.stamp, mb.stamp, 8) != 0)
		return differ(w, kname, "its last-write time differs");
	if (ma.sdlen != mb.sdlen || memcmp(ma.sd, mb.sd, ma.sdlen) != 0)
		return differ(w, kname, "its security descriptor differs");
	if (ma.clslen != mb.clslen ||
	    (ma.clslen > 0 && memcmp(ma.cls, mb.cls, ma.clslen) != 0))
		return differ(w, kname, "its class name differs");
	return 0;
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
		size_t kla = ka ? hivex_value_key_len(w->a.hx, va[i]) : 0;
		size_t klb = kb ? hivex_value_key_len(w->b.hx, vb[i]) : 0;
		hive_type ta, tb;
		size_t la, lb;
		char *da = hivex_value_value(w->a.hx, va[i], &ta, &la);
		char *db = hivex_value_value(w->b.hx, vb[i], &tb, &lb);
		if (ka == NULL || da == NULL)
			rc = unjudged(w, kname, "a value cannot be read");
		else if (kb == NULL || db == NULL)
			rc = differ(w, kname, "a value cannot be read");
		else if (kla != klb || memcmp(ka, kb, kla) != 0 ||
			 strcmp(ka, kb) != 0) /* also if a length reads 0 */
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
	size_t la = ka ? hivex_node_name_len(w->a.hx, na) : 0;
	size_t lb = kb ? hivex_node_name_len(w->b.hx, nb) : 0;
	int rc = 0;
	if (ka == NULL)
		rc = unjudged(w, "", "a key's name cannot be read");
	else if (kb == NULL)
		rc = differ(w, ka, "its name cannot be read");
	else if (la != lb || memcmp(ka, kb, la) != 0 || strcmp(ka, kb) != 0)
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
	/* Last: an edit below a key also changes its time. */
	if (rc == 0)
		rc = same_meta(w, na, nb, ka);
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

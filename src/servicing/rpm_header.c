/*
 * rpm_header.c - an RPM header blob, as the database stores it, parsed
 * from a bounded buffer; and the look-up of named packages across a
 * database's headers (see rpm.h).
 *
 * Layout (rpm's lib/header.c, "Header blob" and hdrblobInit()):
 *
 *   0   il   u32 BE   number of index entries
 *   4   dl   u32 BE   length of the data store
 *   8   il x { tag u32 BE, type u32 BE, offset u32 BE, count u32 BE }
 *   8 + 16 il         the data store, dl bytes; an entry's value is at
 *                     data + offset (integers big-endian and aligned to
 *                     their size, strings NUL-terminated)
 *
 * The first entry is usually a region tag (HEADER_IMMUTABLE, 63) that
 * marks the signed part; entries rpm added at install time follow it.
 * Only the entries read here are checked, the way hdrblobVerifyInfo()
 * checks them: a known type, an offset inside the data store, the type's
 * alignment, a string ended before the end of the store.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "servicing/rpm.h"
#include "util/bytes.h"

/* Tags (rpm's include/rpm/rpmtag.h). */
#define RPMTAG_NAME    1000u
#define RPMTAG_VERSION 1001u
#define RPMTAG_RELEASE 1002u
#define RPMTAG_EPOCH   1003u
#define RPMTAG_ARCH    1022u

/* Types (rpmTagType). */
#define RPM_INT32_TYPE	4u
#define RPM_STRING_TYPE 6u
#define RPM_MAX_TYPE	9u

#define ENTRY_SIZE	16u

/* Header integers are big-endian ("network order") on every machine. */
static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int fail(char *why, size_t whysize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whysize, const char *fmt, ...)
{
	if (why != NULL && whysize > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, whysize, fmt, ap);
		va_end(ap);
	}
	return -1;
}

struct hdr {
	const uint8_t *index; /* il entries */
	uint32_t il;
	const uint8_t *data; /* dl bytes */
	uint32_t dl;
};

/* The index entry of @tag, or NULL. */
static const uint8_t *find_tag(const struct hdr *h, uint32_t tag)
{
	for (uint32_t i = 0; i < h->il; i++) {
		const uint8_t *e = h->index + (size_t)i * ENTRY_SIZE;
		if (get_be32(e) == tag)
			return e;
	}
	return NULL;
}

/* String tag @tag into @out; 0 when absent, 1 when read, -1 when bad. */
static int string_tag(const struct hdr *h, uint32_t tag, char *out, size_t size,
		      char *why, size_t whysize)
{
	const uint8_t *e = find_tag(h, tag);
	if (e == NULL)
		return 0;
	uint32_t type = get_be32(e + 4), off = get_be32(e + 8);
	if (type != RPM_STRING_TYPE || get_be32(e + 12) != 1)
		return fail(why, whysize, "tag %u: type %u is not a string",
			    tag, type);
	if (off >= h->dl)
		return fail(why, whysize,
			    "tag %u: offset %u outside the %u-byte data store",
			    tag, off, h->dl);
	const uint8_t *s = h->data + off;
	const uint8_t *nul = memchr(s, '\0', h->dl - off);
	if (nul == NULL)
		return fail(why, whysize,
			    "tag %u: string not ended inside the data store",
			    tag);
	/* Longer values are cut to the field (names and versions are far
	 * shorter in practice). */
	snprintf(out, size, "%s", (const char *)s);
	return 1;
}

int svc_rpm_header_parse(const uint8_t *blob, size_t len,
			 struct svc_rpm_pkg *out, char *why, size_t whysize)
{
	memset(out, 0, sizeof(*out));
	if (len < 8)
		return fail(why, whysize, "header of %zu bytes, too short",
			    len);
	struct hdr h = { .il = get_be32(blob), .dl = get_be32(blob + 4) };
	if (h.il == 0 || h.il > SVC_RPM_HEADER_TAGS_MAX)
		return fail(why, whysize, "header with %u index entries", h.il);
	if (h.dl > SVC_RPM_HEADER_DATA_MAX)
		return fail(why, whysize, "header data store of %u bytes",
			    h.dl);
	/* rpm's hdrblobRead(): the blob is exactly its index and store. */
	uint64_t want = 8 + (uint64_t)h.il * ENTRY_SIZE + h.dl;
	if (want != len)
		return fail(why, whysize,
			    "header of %zu bytes, its il %u and dl %u say "
			    "%llu",
			    len, h.il, h.dl, (unsigned long long)want);
	h.index = blob + 8;
	h.data = h.index + (size_t)h.il * ENTRY_SIZE;
	for (uint32_t i = 0; i < h.il; i++) {
		uint32_t type = get_be32(h.index + (size_t)i * ENTRY_SIZE + 4);
		if (type > RPM_MAX_TYPE)
			return fail(why, whysize,
				    "index entry %u has unknown type %u", i,
				    type);
	}
	static const struct {
		uint32_t tag;
		size_t off, size;
		bool required;
	} strings[] = {
#define S(t, f, r)                            \
	{ t, offsetof(struct svc_rpm_pkg, f), \
	  sizeof(((struct svc_rpm_pkg *)0)->f), r }
		S(RPMTAG_NAME, name, true),
		S(RPMTAG_VERSION, version, true),
		S(RPMTAG_RELEASE, release, true),
		S(RPMTAG_ARCH, arch, false),
#undef S
	};
	for (size_t i = 0; i < HVO_ARRAY_SIZE(strings); i++) {
		int r = string_tag(&h, strings[i].tag,
				   (char *)out + strings[i].off,
				   strings[i].size, why, whysize);
		if (r < 0)
			return -1;
		if (r == 0 && strings[i].required)
			return fail(why, whysize, "header without tag %u",
				    strings[i].tag);
	}
	const uint8_t *e = find_tag(&h, RPMTAG_EPOCH);
	if (e != NULL) {
		uint32_t off = get_be32(e + 8);
		if (get_be32(e + 4) != RPM_INT32_TYPE ||
		    get_be32(e + 12) != 1 || (off & 3) != 0 ||
		    (uint64_t)off + 4 > h.dl)
			return fail(why, whysize, "bad epoch entry");
		out->has_epoch = true;
		out->epoch = get_be32(h.data + off);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Looking up named packages.                                          */
/* ------------------------------------------------------------------ */

struct find_ctx {
	const char *const *names;
	size_t nnames;
	int best; /* index into names of the best found, or -1 */
	struct svc_rpm_pkg *out;
	size_t bad;
};

static int find_one(const uint8_t *blob, size_t len, void *opaque)
{
	struct find_ctx *c = opaque;
	struct svc_rpm_pkg pkg;
	if (svc_rpm_header_parse(blob, len, &pkg, NULL, 0) != 0) {
		c->bad++;
		return 0;
	}
	for (size_t i = 0; i < c->nnames; i++) {
		if (c->best >= 0 && (size_t)c->best <= i)
			break;
		if (strcmp(pkg.name, c->names[i]) == 0) {
			c->best = (int)i;
			*c->out = pkg;
			break;
		}
	}
	/* The first name can be bettered by nothing: stop there. */
	return c->best == 0 ? 1 : 0;
}

int svc_rpm_find(const uint8_t *db, size_t len, enum svc_rpm_format format,
		 const char *const *names, size_t nnames,
		 struct svc_rpm_pkg *out, size_t *bad, char *why,
		 size_t whysize)
{
	struct find_ctx c = { names, nnames, -1, out, 0 };
	memset(out, 0, sizeof(*out));
	int r = format == SVC_RPM_SQLITE
			? svc_rpm_sqlite_foreach(db, len, find_one, &c, why,
						 whysize)
			: svc_rpm_bdb_foreach(db, len, find_one, &c, why,
					      whysize);
	if (bad != NULL)
		*bad = c.bad;
	if (r < 0)
		return -2;
	return c.best;
}

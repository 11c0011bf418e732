/*
 * open.c - reading a whole package from its cabinet.
 *
 * The only I/O of this module, and all of it through cab/: update.mum,
 * every root-level <key>.manifest and every driver INF are decoded into
 * capped buffers (PKG_MANIFEST_MAX_SIZE, PKG_INF_MAX_SIZE: refused before
 * anything is decoded when the listed size is larger); payloads are never
 * held in memory, only streamed through SHA-256 in one pass over the
 * cabinet's folders (cab_read_entries decodes each folder once).  The
 * cabinet file itself is read into memory once, hashed, and kept open
 * with the package: its signature check, the plan's digests of update.mum
 * and update.cat and apply's extraction use those bytes, never the path.
 *
 * What is checked, each failure naming its file:
 *   - update.mum and every manifest parse (hardened XML, xml.c);
 *   - every manifest's computed key equals its file name;
 *   - every update finds its component, every install dependency too;
 *   - every driver INF parses;
 *   - every payload a manifest names is in the cabinet and its SHA-256
 *     equals the manifest's digest;
 *   - every file of the cabinet is accounted for (pkg->entries roles).
 * update.cat is listed, not verified: checking its Authenticode signature
 * is a job for Windows at first boot, which stages it with the .mum.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cab/cab.h"
#include "package/internal.h"
#include "util/fileio.h"
#include "util/sha256.h"

static enum pkg_err cab_fail(struct pkg_error *err, struct cab *cab, int rc,
			     const char *what)
{
	enum pkg_err code = pkg_int_fail(
		err, PKG_ERR_CAB, NULL, 0, "%s%s%s", what, what[0] ? ": " : "",
		cab && cab_errmsg(cab)[0] ? cab_errmsg(cab) : cab_strerror(rc));
	if (err && err->code == PKG_ERR_CAB)
		err->exit_class = cab_exit_class(rc);
	return code;
}

static bool is_root_manifest(const char *name)
{
	size_t n = strlen(name);
	return !strchr(name, '\\') && !strchr(name, '/') && n > 9 &&
	       pkg_int_strcasecmp(name + n - 9, ".manifest") == 0;
}

/* ---- The digest pass ---- */

struct digest_pass {
	struct pkg_package *pkg;
	struct pkg_file **by_entry; /* entry index -> file, or NULL */
	struct hvo_sha256 ctx;
	struct pkg_file *cur;
	int first_error;
};

static int dp_begin(void *arg, size_t index, const struct cab_entry *e)
{
	struct digest_pass *dp = arg;
	(void)e;
	dp->cur = dp->by_entry[index];
	hvo_int_sha256_init(&dp->ctx);
	return 0;
}

static int dp_write(void *arg, const void *buf, size_t len)
{
	struct digest_pass *dp = arg;
	hvo_int_sha256_update(&dp->ctx, buf, len);
	return 0;
}

static int dp_end(void *arg, size_t index, int err)
{
	struct digest_pass *dp = arg;
	if (err) {
		if (dp->first_error == 0)
			dp->first_error = err;
		return 1; /* a broken cabinet: stop */
	}
	struct pkg_entry *e = &dp->pkg->entries[index];
	hvo_int_sha256_final(&dp->ctx, e->sha256);
	e->hashed = true;
	struct pkg_file *f = dp->cur;
	if (f == NULL)
		return 0; /* not a payload: its digest is all we keep */
	memcpy(f->actual_sha256, e->sha256, 32);
	if (!f->has_sha256) {
		f->digest = PKG_DIGEST_NONE;
		dp->pkg->digests_none++;
	} else if (memcmp(f->actual_sha256, f->sha256, 32) == 0) {
		f->digest = PKG_DIGEST_OK;
		dp->pkg->digests_ok++;
	} else {
		f->digest = PKG_DIGEST_MISMATCH;
		dp->pkg->digests_bad++;
	}
	return 0;
}

/* ---- Open ---- */

struct opener {
	struct pkg_arena *arena;
	uint8_t *data; /* the cabinet file, read once */
	size_t len;
	struct cab *cab;
	struct pkg_error *err;
	struct pkg_package *pkg;
	size_t nentries;
	uint64_t text_total; /* bytes of manifests and INFs read so far */
	bool checked;	     /* every payload went through the digest pass */
};

/* Decodes entry @i into a buffer capped at @max (caller frees), within
 * the package's PKG_MAX_TEXT_TOTAL. */
static enum pkg_err read_capped(struct opener *o, size_t i, size_t max,
				const char *name, uint8_t **buf, size_t *len)
{
	uint32_t size = cab_entry_get(o->cab, i)->size;
	if (o->text_total + size > PKG_MAX_TEXT_TOTAL)
		return pkg_int_fail(
			o->err, PKG_ERR_LIMIT, name, 0,
			"the package's manifests and INF files pass "
			"%u bytes",
			PKG_MAX_TEXT_TOTAL);
	int rc = cab_read_entry_alloc(o->cab, i, max, buf, len);
	if (rc == CAB_ERR_TOO_LARGE)
		return pkg_int_fail(o->err, PKG_ERR_LIMIT, name, 0,
				    "%u bytes; the limit is %zu", size, max);
	if (rc)
		return cab_fail(o->err, o->cab, rc, name);
	o->text_total += *len;
	return PKG_OK;
}

/* The same name twice (ignoring case and '\' vs '/', as cab_find does)
 * would make the package ambiguous. */
static enum pkg_err check_unique(struct opener *o)
{
	struct pkg_int_map seen = { 0 };
	for (size_t i = 0; i < o->nentries; i++) {
		char *n = pkg_int_strdup(o->arena, o->pkg->entries[i].name);
		if (n == NULL)
			return pkg_int_fail(o->err, PKG_ERR_NOMEM, NULL, 0,
					    "out of memory");
		for (char *c = n; *c; c++)
			if (*c == '/')
				*c = '\\';
		if (pkg_int_map_get(&seen, n))
			return pkg_int_fail(o->err, PKG_ERR_CAB, NULL, 0,
					    "the cabinet lists %s twice", n);
		if (!pkg_int_map_put(o->arena, &seen, n, (void *)1))
			return pkg_int_fail(o->err, PKG_ERR_NOMEM, NULL, 0,
					    "out of memory");
	}
	return PKG_OK;
}

static enum pkg_err read_manifests(struct opener *o)
{
	struct pkg_package *pkg = o->pkg;
	size_t n = 0;
	for (size_t i = 0; i < o->nentries; i++)
		n += is_root_manifest(pkg->entries[i].name);
	pkg->manifests =
		pkg_int_calloc(o->arena, n ? n : 1, sizeof(*pkg->manifests));
	if (pkg->manifests == NULL)
		return pkg_int_fail(o->err, PKG_ERR_NOMEM, NULL, 0,
				    "out of memory");
	for (size_t i = 0; i < o->nentries; i++) {
		struct pkg_entry *e = &pkg->entries[i];
		if (!is_root_manifest(e->name))
			continue;
		uint8_t *buf;
		size_t len;
		enum pkg_err rc = read_capped(o, i, PKG_MANIFEST_MAX_SIZE,
					      e->name, &buf, &len);
		if (rc)
			return rc;
		struct pkg_manifest *m;
		rc = pkg_manifest_parse(o->arena, buf, len, e->name, &m,
					o->err);
		free(buf);
		if (rc)
			return rc;
		size_t klen = strlen(e->name) - 9;
		if (strlen(m->key) != klen ||
		    pkg_int_strncasecmp(m->key, e->name, klen) != 0)
			return pkg_int_fail(o->err, PKG_ERR_KEY, e->name, 0,
					    "its identity gives the key %s",
					    m->key);
		pkg->manifests[pkg->nmanifests] = *m;
		e->role = PKG_ENTRY_MANIFEST;
		e->manifest = &pkg->manifests[pkg->nmanifests];
		pkg->nmanifests++;
	}
	return PKG_OK;
}

/* Finds each payload's entry; parses driver INFs. */
static enum pkg_err find_payloads(struct opener *o, struct pkg_file **by_entry)
{
	struct pkg_package *pkg = o->pkg;
	size_t ninfs = 0;
	for (size_t m = 0; m < pkg->nmanifests; m++)
		for (size_t k = 0; k < pkg->manifests[m].nfiles; k++)
			ninfs += pkg->manifests[m].files[k].inf;
	pkg->infs =
		pkg_int_calloc(o->arena, ninfs ? ninfs : 1, sizeof(*pkg->infs));
	if (pkg->infs == NULL)
		return pkg_int_fail(o->err, PKG_ERR_NOMEM, NULL, 0,
				    "out of memory");
	for (size_t m = 0; m < pkg->nmanifests; m++) {
		struct pkg_manifest *man = &pkg->manifests[m];
		for (size_t k = 0; k < man->nfiles; k++) {
			struct pkg_file *f = &man->files[k];
			char *name = pkg_int_printf(o->arena, "%s\\%s",
						    man->key, f->source_name);
			if (name == NULL)
				return pkg_int_fail(o->err, PKG_ERR_NOMEM, NULL,
						    0, "out of memory");
			size_t idx;
			if (cab_find(o->cab, name, &idx) != CAB_OK) {
				f->digest = PKG_DIGEST_MISSING;
				pkg->payloads_missing++;
				continue;
			}
			struct pkg_entry *e = &pkg->entries[idx];
			f->cab_name = e->name;
			f->size = e->size;
			e->role = PKG_ENTRY_PAYLOAD;
			e->manifest = man;
			e->file = f;
			by_entry[idx] = f;
			if (!f->inf)
				continue;
			uint8_t *buf;
			size_t len;
			enum pkg_err rc = read_capped(o, idx, PKG_INF_MAX_SIZE,
						      name, &buf, &len);
			if (rc)
				return rc;
			struct pkg_inf *inf;
			rc = pkg_inf_parse(o->arena, buf, len, f->name, &inf,
					   o->err);
			free(buf);
			if (rc)
				return rc;
			pkg->infs[pkg->ninfs++] = *inf;
			man->inf = &pkg->infs[pkg->ninfs - 1];
		}
	}
	return PKG_OK;
}

static enum pkg_err open_package(struct opener *o, const char *path)
{
	struct pkg_error *err = o->err;
	int rc = cab_open_mem(o->data, o->len, 0, &o->cab);
	if (rc)
		return cab_fail(err, o->cab, rc, "");
	o->nentries = cab_entry_count(o->cab);
	if (o->nentries > PKG_MAX_ENTRIES)
		return pkg_int_fail(err, PKG_ERR_LIMIT, NULL, 0,
				    "%zu files; the limit is %u", o->nentries,
				    PKG_MAX_ENTRIES);
	size_t mum;
	if (cab_find(o->cab, "update.mum", &mum) != CAB_OK)
		return pkg_int_fail(err, PKG_ERR_NOT_PACKAGE, NULL, 0,
				    "no update.mum in the cabinet");
	uint8_t *buf;
	size_t len;
	enum pkg_err prc = read_capped(o, mum, PKG_MANIFEST_MAX_SIZE,
				       "update.mum", &buf, &len);
	if (prc)
		return prc;
	prc = pkg_mum_parse(o->arena, buf, len, "update.mum", &o->pkg, err);
	free(buf);
	if (prc)
		return prc;
	struct pkg_package *pkg = o->pkg;
	pkg->arena = o->arena;
	pkg->source = pkg_int_strdup(o->arena, path);
	pkg->entries = pkg_int_calloc(o->arena, o->nentries ? o->nentries : 1,
				      sizeof(*pkg->entries));
	if (pkg->source == NULL || pkg->entries == NULL)
		return pkg_int_fail(err, PKG_ERR_NOMEM, NULL, 0,
				    "out of memory");
	pkg->nentries = o->nentries;
	for (size_t i = 0; i < o->nentries; i++) {
		const struct cab_entry *ce = cab_entry_get(o->cab, i);
		pkg->entries[i].name = pkg_int_strdup(o->arena, ce->name);
		pkg->entries[i].size = ce->size;
		if (pkg->entries[i].name == NULL)
			return pkg_int_fail(err, PKG_ERR_NOMEM, NULL, 0,
					    "out of memory");
	}
	if ((prc = check_unique(o)))
		return prc;
	pkg->entries[mum].role = PKG_ENTRY_PACKAGE_MANIFEST;
	size_t cat;
	if (cab_find(o->cab, "update.cat", &cat) == CAB_OK)
		pkg->entries[cat].role = PKG_ENTRY_CATALOG;

	if ((prc = read_manifests(o)))
		return prc;
	struct pkg_file **by_entry = pkg_int_calloc(
		o->arena, o->nentries ? o->nentries : 1, sizeof(*by_entry));
	if (by_entry == NULL)
		return pkg_int_fail(err, PKG_ERR_NOMEM, NULL, 0,
				    "out of memory");
	if ((prc = find_payloads(o, by_entry)) ||
	    (prc = pkg_package_link(o->arena, pkg, err)))
		return prc;

	/* One streaming pass over every entry: the payloads' digests are
	 * checked, the others' kept (update.mum, update.cat). */
	size_t *indices = pkg_int_calloc(
		o->arena, o->nentries ? o->nentries : 1, sizeof(*indices));
	if (indices == NULL)
		return pkg_int_fail(err, PKG_ERR_NOMEM, NULL, 0,
				    "out of memory");
	for (size_t i = 0; i < o->nentries; i++)
		indices[i] = i;
	struct digest_pass dp = { .pkg = pkg, .by_entry = by_entry };
	struct cab_visitor v = { dp_begin, dp_write, dp_end };
	rc = cab_read_entries(o->cab, indices, o->nentries, &v, &dp);
	if (rc || dp.first_error)
		return cab_fail(err, o->cab, rc ? rc : dp.first_error,
				"reading the payloads");

	for (size_t i = 0; i < o->nentries; i++)
		if (pkg->entries[i].role == PKG_ENTRY_UNACCOUNTED)
			pkg->unaccounted++;
	o->checked = true;
	/* Report the first missing or mismatching payload (all of them are
	 * in the model). */
	for (size_t m = 0; m < pkg->nmanifests; m++) {
		const struct pkg_manifest *man = &pkg->manifests[m];
		for (size_t k = 0; k < man->nfiles; k++) {
			const struct pkg_file *f = &man->files[k];
			if (f->digest == PKG_DIGEST_MISSING)
				return pkg_int_fail(err, PKG_ERR_MISSING,
						    man->file, f->line,
						    "payload %s is not in the "
						    "cabinet (%zu missing)",
						    f->source_name,
						    pkg->payloads_missing);
			if (f->digest == PKG_DIGEST_MISMATCH)
				return pkg_int_fail(
					err, PKG_ERR_DIGEST, man->file, f->line,
					"payload %s: SHA-256 does not "
					"match the manifest (%zu "
					"mismatches)",
					f->cab_name, pkg->digests_bad);
		}
	}
	return PKG_OK;
}

enum pkg_err pkg_package_open(const char *path, struct pkg_package **pkg_ret,
			      struct pkg_error *err)
{
	*pkg_ret = NULL;
	uint8_t *data;
	size_t len;
	int e = hvo_int_read_file(path, PKG_MAX_CABINET_SIZE, &data, &len);
	if (e == EFBIG)
		return pkg_int_fail(err, PKG_ERR_LIMIT, NULL, 0,
				    "%s: larger than %u bytes", path,
				    PKG_MAX_CABINET_SIZE);
	if (e) {
		pkg_int_fail(err, PKG_ERR_CAB, NULL, 0, "%s: %s", path,
			     strerror(e));
		if (err)
			err->exit_class = HVO_EXIT_FAILED;
		return PKG_ERR_CAB;
	}
	return pkg_package_open_mem(path, data, len, pkg_ret, err);
}

enum pkg_err pkg_package_open_mem(const char *path, void *data, size_t len,
				  struct pkg_package **pkg_ret,
				  struct pkg_error *err)
{
	*pkg_ret = NULL;
	struct opener o = { .err = err, .data = data, .len = len };
	o.arena = pkg_arena_new();
	if (o.arena == NULL) {
		free(data);
		return pkg_int_fail(err, PKG_ERR_NOMEM, NULL, 0,
				    "out of memory");
	}
	enum pkg_err rc = open_package(&o, path);
	/* A package whose payloads fail their check is still returned, so
	 * that the caller can report every file. */
	if (rc == PKG_OK || o.checked) {
		struct pkg_package *pkg = o.pkg;
		struct hvo_sha256 h;
		hvo_int_sha256_init(&h);
		hvo_int_sha256_update(&h, o.data, o.len);
		hvo_int_sha256_final(&h, pkg->cab_sha256);
		pkg->cab_size = o.len;
		pkg->cab_data = o.data;
		pkg->cab = o.cab;
		*pkg_ret = pkg;
		return rc;
	}
	cab_close(o.cab);
	free(o.data);
	pkg_arena_free(o.arena);
	return rc;
}

void pkg_package_free(struct pkg_package *pkg)
{
	if (pkg == NULL)
		return;
	cab_close(pkg->cab);
	free((void *)pkg->cab_data);
	pkg_arena_free(pkg->arena);
}

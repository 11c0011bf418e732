/*
 * test_cab_diff.c - differential test against cabextract.
 *
 * Every cabinet under ../shared/fixtures/cab and ../shared/fixtures/ic is
 * extracted by cabextract (the independent oracle, run here) and read by
 * our library (opened with CAB_OPEN_SEARCH, since cabextract always
 * searches a file for cabinets):
 *   - where cabextract succeeds, we must read every member without error,
 *     and the contents (size and SHA-256) of what cabextract wrote must be
 *     exactly the set we decode; every member whose name is safe to
 *     extract must land at the same path with the same SHA-256;
 *   - where cabextract fails, we must return an error (at open or for some
 *     member).
 * Names: cabextract rewrites unsafe names ("../" -> "xx/", leading slashes
 * dropped) where hvoffline refuses them, and writes 8-bit names as raw
 * bytes; both are compared as cabextract would write them.  One known
 * difference is asserted as such: cabextract extracts every cabinet it
 * finds inside a file (search.cab holds several), we open the first.
 *
 * The MD5s that PROVENANCE.md records are asserted too, and the
 * multi_basic set is extracted completely after being given the names
 * its headers use.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <nettle/md5.h>

#include "cab/cab.h"
#include "tests/lib/hvotest.h"
#include "util/sha256.h"

#define MAX_FILES 4096

struct item {
	char *path; /* relative, '/' separators */
	uint64_t size;
	char sha[65];
	char md5[33];
	bool safe; /* name comparable with cabextract's */
	bool used;
};

struct list {
	struct item *v;
	size_t n;
};

static void list_add(struct list *l, const char *path, uint64_t size,
		     const char *sha, const char *md5, bool safe)
{
	assert_true(l->n < MAX_FILES);
	if (l->v == NULL)
		l->v = calloc(MAX_FILES, sizeof(*l->v));
	struct item *it = &l->v[l->n++];
	it->path = strdup(path);
	it->size = size;
	memcpy(it->sha, sha, 65);
	if (md5)
		memcpy(it->md5, md5, 33);
	it->safe = safe;
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- cabextract's output ---- */

static struct list *walk_list;
static size_t walk_root_len;

static int walk_cb(const char *p, const struct stat *st, int type,
		   struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F)
		return 0;
	char hex[65];
	hvo_test_sha256_file(p, hex);
	list_add(walk_list, p + walk_root_len + 1, (uint64_t)st->st_size, hex,
		 NULL, true);
	return 0;
}

/* Runs cabextract on @cab into a fresh directory; returns its status. */
static int run_cabextract(const char *cab, struct list *out)
{
	char *dir = hvo_test_mkdtemp(), *cmd;
	assert_true(asprintf(&cmd, "cabextract -q -d '%s' '%s' >/dev/null 2>&1",
			     dir, cab) > 0);
	int rc = hvo_test_run(cmd, NULL);
	walk_list = out;
	walk_root_len = strlen(dir);
	assert_int_equal(nftw(dir, walk_cb, 16, FTW_PHYS), 0);
	hvo_test_rmtree(dir);
	free(dir);
	free(cmd);
	return rc;
}

/* ---- our side ---- */

struct reader {
	struct hvo_sha256 sha;
	struct md5_ctx md5;
	uint64_t size;
	char sha_hex[MAX_FILES][65];
	char md5_hex[MAX_FILES][33];
	int err[MAX_FILES];
};

static int r_begin(void *c, size_t i, const struct cab_entry *e)
{
	struct reader *r = c;
	(void)i;
	(void)e;
	hvo_int_sha256_init(&r->sha);
	md5_init(&r->md5);
	r->size = 0;
	return 0;
}

static int r_write(void *c, const void *buf, size_t len)
{
	struct reader *r = c;
	hvo_int_sha256_update(&r->sha, buf, len);
	md5_update(&r->md5, len, buf);
	r->size += len;
	return 0;
}

static int r_end(void *c, size_t i, int err)
{
	struct reader *r = c;
	uint8_t d[HVO_SHA256_LEN], m[MD5_DIGEST_SIZE];
	hvo_int_sha256_final(&r->sha, d);
	hvo_int_sha256_hex(d, r->sha_hex[i]);
	md5_digest(&r->md5, sizeof(m), m);
	for (int k = 0; k < MD5_DIGEST_SIZE; k++)
		sprintf(r->md5_hex[i] + 2 * k, "%02x", m[k]);
	r->err[i] = err;
	return 0; /* go on: report every member */
}

/*
 * The path cabextract gives a member with a safe name: UTF-8 names as
 * UTF-8, others as their raw bytes; '\' is the separator unless some name
 * of the cabinet contains '/', in which case cabextract takes '/' as the
 * separator and keeps '\' literally.
 */
static char *cabextract_path(const struct cab_entry *e, bool unix_names)
{
	char *p = strdup((e->attribs & CAB_ATTR_UTF_NAME)
				 ? e->name
				 : (const char *)e->raw_name);
	if (!unix_names)
		for (char *q = p; *q; q++)
			if (*q == '\\')
				*q = '/';
	return p;
}

static bool comparable_name(const struct cab_entry *e)
{
	char *p = NULL;
	int err = cab_safe_path(e, &p, NULL);
	free(p);
	/* cabextract drops U+FFFE and U+FFFF. */
	return err == 0 && !strstr(e->name, "\xef\xbf\xbe") &&
	       !strstr(e->name, "\xef\xbf\xbf");
}

struct ours {
	int open_err;
	bool all_ok;
	struct list files; /* final paths, last one wins */
};

static void read_ours(const char *path, struct ours *o)
{
	static struct reader r;
	struct cab *cab = NULL;
	memset(o, 0, sizeof(*o));
	o->open_err = cab_open(path, CAB_OPEN_SEARCH, &cab);
	if (o->open_err) {
		cab_close(cab);
		return;
	}
	size_t n = cab_entry_count(cab);
	assert_true(n <= MAX_FILES);
	memset(r.err, 0, sizeof(r.err));
	struct cab_visitor v = { r_begin, r_write, r_end };
	int err = cab_read_entries(cab, NULL, 0, &v, &r);
	o->all_ok = err == 0;
	bool unix_names = false;
	for (size_t i = 0; i < n; i++)
		if (memchr(cab_entry_get(cab, i)->raw_name, '/',
			   cab_entry_get(cab, i)->raw_name_len))
			unix_names = true;
	for (size_t i = 0; i < n; i++) {
		const struct cab_entry *e = cab_entry_get(cab, i);
		if (r.err[i]) {
			o->all_ok = false;
			continue;
		}
		char *p = cabextract_path(e, unix_names);
		bool safe = comparable_name(e);
		/* A later member of the same path replaces an earlier one. */
		for (size_t k = 0; k < o->files.n; k++)
			if (o->files.v[k].safe && safe &&
			    strcmp(o->files.v[k].path, p) == 0)
				o->files.v[k].safe = false;
		list_add(&o->files, p, e->size, r.sha_hex[i], r.md5_hex[i],
			 safe);
		free(p);
	}
	cab_close(cab);
}

static const struct item *find_path(const struct list *l, const char *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, p) == 0)
			return &l->v[i];
	return NULL;
}

static bool has_content(const struct list *l, const struct item *it)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].size == it->size &&
		    strcmp(l->v[i].sha, it->sha) == 0)
			return true;
	return false;
}

static size_t nchecked, naccepted, nrejected;

static void compare_one(const char *path, const char *label)
{
	struct list ce = { 0 };
	struct ours o;
	int rc = run_cabextract(path, &ce);
	read_ours(path, &o);
	bool search_many = strstr(path, "cabextract/cabs/search.cab") != NULL;
	if (rc != 0) {
		if (o.open_err == 0 && o.all_ok)
			fail_msg("%s: cabextract fails, we read it", label);
		nrejected++;
	} else {
		if (o.open_err)
			fail_msg("%s: cabextract reads it, we fail to open",
				 label);
		if (!o.all_ok)
			fail_msg("%s: cabextract reads it, a member fails",
				 label);
		/* Everything cabextract wrote, we decoded. */
		for (size_t i = 0; i < ce.n; i++)
			if (!search_many && !has_content(&o.files, &ce.v[i]))
				fail_msg("%s: cabextract's %s (%s) not among "
					 "our members",
					 label, ce.v[i].path, ce.v[i].sha);
		/* Everything we decoded, cabextract wrote; safe names at
		 * the same path with the same bytes. */
		for (size_t i = 0; i < o.files.n; i++) {
			const struct item *it = &o.files.v[i];
			if (!has_content(&ce, it))
				fail_msg("%s: our %s (%s) not in cabextract's "
					 "output",
					 label, it->path, it->sha);
			if (!it->safe)
				continue;
			const struct item *c = find_path(&ce, it->path);
			if (c == NULL || strcmp(c->sha, it->sha) != 0)
				fail_msg("%s: %s: cabextract wrote %s", label,
					 it->path, c ? c->sha : "nothing");
		}
		naccepted++;
	}
	nchecked++;
	list_free(&ce);
	list_free(&o.files);
}

static char *paths[512];
static size_t npaths;

static int collect_cb(const char *p, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t l = strlen(p);
	if (type == FTW_F && l > 4 && strcmp(p + l - 4, ".cab") == 0 &&
	    npaths < 512)
		paths[npaths++] = strdup(p);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_every_fixture(void **state)
{
	(void)state;
	const char *fx = hvo_test_fixtures_or_exit();
	char *cabdir, *icdir;
	assert_true(asprintf(&cabdir, "%s/cab", fx) > 0);
	assert_true(asprintf(&icdir, "%s/ic", fx) > 0);
	npaths = 0;
	assert_int_equal(nftw(cabdir, collect_cb, 16, FTW_PHYS), 0);
	assert_int_equal(nftw(icdir, collect_cb, 16, FTW_PHYS), 0);
	qsort(paths, npaths, sizeof(paths[0]), cmp_str);
	/* PROVENANCE lists about 100 cabinets; the IC ones are 2. */
	assert_true(npaths >= 100);
	for (size_t i = 0; i < npaths; i++) {
		compare_one(paths[i], paths[i] + strlen(fx) + 1);
		free(paths[i]);
	}
	print_message("%zu cabinets: %zu read by both, %zu refused by both\n",
		      nchecked, naccepted, nrejected);
	free(cabdir);
	free(icdir);
}

/*
 * The MD5s in PROVENANCE.md's "Per-file MD5s" section, as
 * "- <fixture>: <name> <md5>; <name> <md5>; ...".
 */
static void test_provenance_md5(void **state)
{
	(void)state;
	size_t len;
	uint8_t *text =
		hvo_test_read_file(hvo_fixture("cab/PROVENANCE.md"), &len);
	char *sec = strstr((char *)text, "## Per-file MD5s");
	assert_non_null(sec);
	size_t nasserted = 0;
	char *save = NULL;
	for (char *line = strtok_r(sec, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "- ", 2) != 0)
			continue;
		char *colon = strstr(line, ".cab: ");
		assert_non_null(colon);
		colon[4] = '\0';
		const char *fixture = line + 2;
		char *rel;
		assert_true(asprintf(&rel, "cab/%s", fixture) > 0);
		struct ours o;
		read_ours(hvo_fixture(rel), &o);
		assert_int_equal(o.open_err, 0);
		char *isave = NULL;
		for (char *itm = strtok_r(colon + 6, ";", &isave); itm;
		     itm = strtok_r(NULL, ";", &isave)) {
			while (*itm == ' ')
				itm++;
			char *sp = strrchr(itm, ' ');
			assert_non_null(sp);
			*sp = '\0';
			const char *name = itm, *md5 = sp + 1;
			bool found = false;
			for (size_t i = 0; i < o.files.n; i++)
				if (strcmp(o.files.v[i].path, name) == 0 &&
				    strcmp(o.files.v[i].md5, md5) == 0)
					found = true;
			if (!found)
				fail_msg("%s: %s: no member with MD5 %s",
					 fixture, name, md5);
			nasserted++;
		}
		list_free(&o.files);
		free(rel);
	}
	print_message("%zu PROVENANCE MD5s asserted\n", nasserted);
	assert_true(nasserted > 50);
	free(text);
}

/* multi_basic_pt1..5 name each other cabd_multi_basic_ptN.cab: copy them
 * to those names, then open the set from each part. */
static void test_multi_basic_set(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	for (int k = 1; k <= 5; k++) {
		char rel[64], *dst;
		snprintf(rel, sizeof(rel),
			 "cab/libmspack/cabd/multi_basic_pt%d.cab", k);
		size_t len;
		uint8_t *b = hvo_test_read_file(hvo_fixture(rel), &len);
		assert_true(asprintf(&dst, "%s/cabd_multi_basic_pt%d.cab", dir,
				     k) > 0);
		hvo_test_write_file(dst, b, len);
		free(b);
		free(dst);
	}
	for (int k = 1; k <= 5; k++) {
		char *p;
		assert_true(asprintf(&p, "%s/cabd_multi_basic_pt%d.cab", dir,
				     k) > 0);
		struct cab *cab = NULL;
		if (cab_open(p, 0, &cab))
			fail_msg("%s", cab_errmsg(cab));
		assert_int_equal(cab_cabinet_count(cab), 5);
		cab_close(cab);
		compare_one(p, p);
		free(p);
	}
	/* Split-N.CAB headers vs split-N.cab files: every part opens the
	 * whole five-cabinet set. */
	for (int k = 1; k <= 5; k++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "cab/cabextract/cabs/split-%d.cab",
			 k);
		struct cab *cab = NULL;
		assert_int_equal(cab_open(hvo_fixture(rel), 0, &cab), 0);
		assert_int_equal(cab_cabinet_count(cab), 5);
		assert_int_equal(cab_entry_count(cab), 6);
		cab_close(cab);
	}
	hvo_test_rmtree(dir);
	free(dir);
}

static int sink(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

/* CVE-2014-9732 (folder state reuse): extracting files 1, 2, 1 of a
 * cabinet whose second folder is bad must give OK, error, OK. */
static void test_cve_2014_9732(void **state)
{
	(void)state;
	struct cab *cab = NULL;
	assert_int_equal(
		cab_open(hvo_fixture("cab/libmspack/cabd/"
				     "cve-2014-9732-folders-segfault.cab"),
			 0, &cab),
		0);
	assert_int_equal(cab_read_entry(cab, 0, sink, NULL), 0);
	assert_int_not_equal(cab_read_entry(cab, 1, sink, NULL), 0);
	assert_int_equal(cab_read_entry(cab, 0, sink, NULL), 0);
	assert_int_equal(cab_read_entry(cab, 2, sink, NULL), 0);
	cab_close(cab);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	if (!hvo_test_have_program("cabextract")) {
		if (getenv("CI") && strcmp(getenv("CI"), "true") == 0)
			return HVO_TEST_HARD_ERROR;
		return HVO_TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_fixture),
		cmocka_unit_test(test_provenance_md5),
		cmocka_unit_test(test_multi_basic_set),
		cmocka_unit_test(test_cve_2014_9732),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_package_open.c - reading whole packages through cab/.
 *
 * The two real IC cabinets must open with every file accounted for and
 * every payload's SHA-256 matching; the listing is compared with
 * cabextract's.  Broken packages are made at test time by gcab (so the
 * cabinet is not ours either) from text written here (manifests, an INF,
 * payload bytes): a wrong digest, a missing payload, a manifest under the
 * wrong name, a malformed INF, no update.mum, a corrupt cabinet.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "package/package.h"
#include "tests/lib/hvotest.h"
#include "tests/package/pkgtest.h"
#include "util/sha256.h"

static void check_real(const char *rel, size_t want_entries,
		       size_t want_manifests, size_t want_drivers,
		       size_t want_components)
{
	static const char *const need[] = { "cabextract", NULL };
	pkgtest_require(need);
	const char *cab = hvo_fixture(rel);
	struct pkg_package *p;
	struct pkg_error e = { 0 };
	if (pkg_package_open(cab, &p, &e))
		pkgtest_fail_err(&e);
	assert_string_equal(p->source, cab);
	/* PROVENANCE.md: 73 and 64 files. */
	assert_int_equal(p->nentries, want_entries);
	assert_int_equal(p->nmanifests, want_manifests);
	assert_int_equal(p->unaccounted, 0);
	assert_int_equal(p->payloads_missing, 0);
	assert_int_equal(p->digests_bad, 0);
	assert_int_equal(p->digests_none, 0);
	assert_int_equal(p->digests_ok, want_entries - 2 - want_manifests);

	/* The same names as cabextract lists ('\' shown as '/'). */
	char *out = pkgtest_sh("cabextract -q -l '%s' 2>/dev/null | "
			       "sed -n 's/^ *[0-9][0-9]* | [0-9.]* [0-9:]* "
			       "| //p' | sort",
			       cab);
	size_t n;
	char **names = pkgtest_lines(out, &n);
	free(out);
	assert_int_equal(n, p->nentries);
	size_t roles[5] = { 0 };
	for (size_t i = 0; i < p->nentries; i++) {
		char *name = strdup(p->entries[i].name);
		for (char *c = name; *c; c++)
			if (*c == '\\')
				*c = '/';
		assert_true(pkgtest_in_list(names, name));
		free(name);
		roles[p->entries[i].role]++;
		if (p->entries[i].role == PKG_ENTRY_PAYLOAD) {
			assert_int_equal(p->entries[i].file->digest,
					 PKG_DIGEST_OK);
			assert_int_equal(p->entries[i].file->size,
					 p->entries[i].size);
		}
	}
	pkgtest_free_list(names);
	assert_int_equal(roles[PKG_ENTRY_PACKAGE_MANIFEST], 1);
	assert_int_equal(roles[PKG_ENTRY_CATALOG], 1);
	assert_int_equal(roles[PKG_ENTRY_MANIFEST], want_manifests);

	size_t drivers = 0, components = 0;
	for (size_t i = 0; i < p->nupdates; i++) {
		const struct pkg_update *u = &p->updates[i];
		assert_non_null(u->manifest);
		if (u->kind == PKG_UPDATE_DRIVER) {
			drivers++;
			assert_non_null(u->inf_file);
			assert_int_equal(strcasecmp(u->inf_file->file, u->inf),
					 0);
			assert_string_equal(u->inf_file->encoding, "UTF-16LE");
		} else {
			components++;
			assert_true(u->nclosure > 0);
		}
	}
	assert_int_equal(drivers, want_drivers);
	assert_int_equal(components, want_components);
	assert_int_equal(p->ninfs, want_drivers);
	pkg_package_free(p);
}

static void test_real_62(void **state)
{
	(void)state;
	check_real(IC62_CAB, 73, 19, 16, 1);
}

static void test_real_6x(void **state)
{
	(void)state;
	check_real(IC6X_CAB, 64, 15, 15, 0);
}

/* ---- Packages made here ---- */

#define HEAD                                                    \
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"          \
	"<assembly xmlns=\"urn:schemas-microsoft-com:asm.v3\" " \
	"manifestVersion=\"1.0\">\n"
#define IDATTRS(name, extra)                                      \
	"name=\"" name                                            \
	"\" version=\"1.0.0.0\" processorArchitecture=\"amd64\" " \
	"language=\"neutral\" publicKeyToken=\"31bf3856ad364e35\" " extra

static const char mum[] = HEAD "<assemblyIdentity " IDATTRS(
	"Test-Package",
	"") "/>\n"
	    "<package identifier=\"KB1\" restart=\"required\">\n"
	    "<update name=\"d\"><driver "
	    "inf=\"t.inf\"><assemblyIdentity " IDATTRS(
		    "t.inf", "type=\"driverUpdate\"") "/></driver></update>\n"
						      "</package></assembly>\n";

static const char inf_ok[] =
	"[Version]\r\nSignature=\"$Windows NT$\"\r\n"
	"[Manufacturer]\r\nM=M,NTamd64\r\n[M.NTamd64]\r\nd=I,ROOT\\T\r\n";
static const char inf_bad[] =
	"[Version]\r\nSignature=\"$Windows NT$\"\r\n\r\nx = \"open\r\n";

struct made {
	char *dir;
	char *cab;
	char *key;
};

static char *driver_key(void)
{
	struct pkg_arena *a = pkg_arena_new();
	struct pkg_identity id = {
		.name = "t.inf",
		.version = "1.0.0.0",
		.arch = "amd64",
		.language = "neutral",
		.public_key_token = "31bf3856ad364e35",
		.type = "driverUpdate",
	};
	char *k = strdup(pkg_component_key(a, &id));
	pkg_arena_free(a);
	return k;
}

/* Base64 of the SHA-256 of @data, as a manifest's DigestValue. */
static char *b64_sha256(const void *data, size_t len)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789+/";
	uint8_t d[33] = { 0 };
	hvo_int_sha256_buf(data, len, d);
	char *out = malloc(45);
	size_t n = 0;
	for (size_t i = 0; i < 32; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 |
			     (i + 2 < 32 ? d[i + 2] : 0);
		out[n++] = abc[v >> 18 & 63];
		out[n++] = abc[v >> 12 & 63];
		out[n++] = abc[v >> 6 & 63];
		out[n++] = i + 2 < 32 ? abc[v & 63] : '=';
	}
	out[n] = '\0';
	return out;
}

/*
 * Makes a cabinet: update.mum (unless @no_mum), the driver manifest under
 * @manifest_name (NULL: its key), t.inf (@inf, NULL: left out) and
 * sys.sys with @payload, the manifest's digests computed from @digest_of
 * (NULL: the real contents).
 */
static struct made make(bool no_mum, const char *manifest_name, const char *inf,
			const char *payload, const char *digest_of,
			const char *extra_file)
{
	static const char *const need[] = { "gcab", NULL };
	pkgtest_require(need);
	struct made m = { 0 };
	m.dir = hvo_test_mkdtemp();
	m.key = driver_key();
	assert_true(asprintf(&m.cab, "%s/t.cab", m.dir) > 0);
	char *inf_b64 =
		b64_sha256(inf ? inf : inf_ok, strlen(inf ? inf : inf_ok));
	const char *dsrc = digest_of ? digest_of : payload;
	char *sys_b64 = b64_sha256(dsrc, strlen(dsrc));
	char *man;
	assert_true(
		asprintf(
			&man,
			HEAD "<assemblyIdentity " IDATTRS(
				"t.inf",
				"type=\"driverUpdate\"") "/>\n"
							 "<file name=\"t.inf\" "
							 "sourceName=\"t.inf\">"
							 "<infFile/>"
							 "<hash><DigestMethod "
							 "Algorithm=\"http://"
							 "www.w3.org"
							 "/2000/09/"
							 "xmldsig#sha256\"/"
							 "><DigestValue>%s"
							 "</DigestValue></"
							 "hash></file>\n"
							 "<file "
							 "name=\"sys.sys\" "
							 "sourceName=\"sys."
							 "sys\">"
							 "<hash><DigestMethod "
							 "Algorithm=\"http://"
							 "www.w3.org"
							 "/2000/09/"
							 "xmldsig#sha256\"/"
							 "><DigestValue>%s"
							 "</DigestValue></"
							 "hash></file>\n"
							 "</assembly>\n",
			inf_b64, sys_b64) > 0);
	free(inf_b64);
	free(sys_b64);

	/* The cabinet is made by gcab, an independent writer, from files
	 * staged under <dir>/in. */
	char *in;
	assert_true(asprintf(&in, "%s/in", m.dir) > 0);
	char *list = pkgtest_sh("mkdir -p '%s/%s' && echo ok", in, m.key);
	free(list);
	char *mname;
	if (manifest_name)
		mname = strdup(manifest_name);
	else
		assert_true(asprintf(&mname, "%s.manifest", m.key) > 0);
	struct pkg_int_files {
		const char *name;
		const char *data;
	} files[] = {
		{ no_mum ? NULL : "update.mum", mum },
		{ mname, man },
		{ inf ? "t.inf" : NULL, inf },
		{ "sys.sys", payload },
		{ extra_file, "x" },
	};
	char *args = strdup("");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i].name == NULL)
			continue;
		bool payload_file = i == 2 || i == 3;
		char *rel, *path, *more;
		assert_true(asprintf(&rel, "%s%s%s", payload_file ? m.key : "",
				     payload_file ? "/" : "",
				     files[i].name) > 0);
		assert_true(asprintf(&path, "%s/%s", in, rel) > 0);
		hvo_test_write_file(path, files[i].data, strlen(files[i].data));
		assert_true(asprintf(&more, "%s '%s'", args, rel) > 0);
		free(args);
		args = more;
		free(rel);
		free(path);
	}
	char *out = pkgtest_sh("cd '%s' && gcab -c -z '%s' %s && echo ok", in,
			       m.cab, args);
	free(out);
	free(args);
	free(in);
	free(mname);
	free(man);
	return m;
}

static void unmake(struct made *m)
{
	hvo_test_rmtree(m->dir);
	free(m->dir);
	free(m->cab);
	free(m->key);
}

static void expect(struct made *m, enum pkg_err want, const char *text,
		   struct pkg_package **pkg_ret)
{
	struct pkg_package *p = NULL;
	struct pkg_error e = { 0 };
	enum pkg_err rc = pkg_package_open(m->cab, &p, &e);
	char msg[700];
	pkg_errmsg(&e, msg, sizeof(msg));
	if (rc != want || (text && strstr(msg, text) == NULL))
		fail_msg("expected %d '%s', got %d '%s'", want,
			 text ? text : "", rc, msg);
	if (want != PKG_OK)
		assert_int_equal(pkg_exit_class(&e), HVO_EXIT_CORRUPT);
	if (pkg_ret)
		*pkg_ret = p;
	else
		pkg_package_free(p);
}

static void test_made_ok(void **state)
{
	(void)state;
	struct made m = make(false, NULL, inf_ok, "SYS", NULL, "extra.txt");
	struct pkg_package *p;
	expect(&m, PKG_OK, NULL, &p);
	assert_int_equal(p->nentries, 5);
	assert_int_equal(p->digests_ok, 2);
	/* A file no manifest names is listed, not fatal. */
	assert_int_equal(p->unaccounted, 1);
	assert_non_null(p->updates[0].inf_file);
	pkg_package_free(p);
	unmake(&m);
}

static void test_made_digest(void **state)
{
	(void)state;
	struct made m = make(false, NULL, inf_ok, "SYS", "OTHER", NULL);
	struct pkg_package *p;
	expect(&m, PKG_ERR_DIGEST, "sys.sys: SHA-256 does not match", &p);
	/* The package comes back with every file's state. */
	assert_non_null(p);
	assert_int_equal(p->digests_ok, 1);
	assert_int_equal(p->digests_bad, 1);
	const struct pkg_file *f = &p->manifests[0].files[1];
	assert_int_equal(f->digest, PKG_DIGEST_MISMATCH);
	uint8_t d[32];
	hvo_int_sha256_buf("SYS", 3, d);
	assert_memory_equal(f->actual_sha256, d, 32);
	pkg_package_free(p);
	unmake(&m);
}

static void test_made_errors(void **state)
{
	(void)state;
	struct made m = make(false, NULL, NULL, "SYS", NULL, NULL);
	struct pkg_package *p;
	expect(&m, PKG_ERR_MISSING, "payload t.inf is not in the cabinet", &p);
	assert_non_null(p);
	assert_int_equal(p->payloads_missing, 1);
	pkg_package_free(p);
	unmake(&m);

	m = make(false, NULL, inf_bad, "SYS", NULL, NULL);
	expect(&m, PKG_ERR_INF, "t.inf:4: unterminated quoted string", NULL);
	unmake(&m);

	m = make(false,
		 "amd64_t.inf_31bf3856ad364e35_1.0.0.0_none_"
		 "0000000000000000.manifest",
		 inf_ok, "SYS", NULL, NULL);
	expect(&m, PKG_ERR_KEY, "its identity gives the key", NULL);
	unmake(&m);

	m = make(true, NULL, inf_ok, "SYS", NULL, NULL);
	expect(&m, PKG_ERR_NOT_PACKAGE, "no update.mum", NULL);
	unmake(&m);

	/* Two names for one file (case differs): ambiguous, refused. */
	m = make(false, NULL, inf_ok, "SYS", NULL, "UPDATE.MUM");
	expect(&m, PKG_ERR_CAB, "the cabinet lists UPDATE.MUM twice", NULL);
	unmake(&m);

	/* A corrupt cabinet: cab/'s message and exit class. */
	m = make(false, NULL, inf_ok, "SYS", NULL, NULL);
	size_t len;
	uint8_t *b = hvo_test_read_file(m.cab, &len);
	b[0] = 'X'; /* "MSCF" -> "XSCF" */
	hvo_test_write_file(m.cab, b, len);
	free(b);
	expect(&m, PKG_ERR_CAB, NULL, NULL);
	unmake(&m);

	struct pkg_package *none;
	struct pkg_error e = { 0 };
	assert_int_equal(pkg_package_open("/nonexistent/x.cab", &none, &e),
			 PKG_ERR_CAB);
	assert_null(none);
	assert_int_equal(pkg_exit_class(&e), HVO_EXIT_FAILED);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_62),
		cmocka_unit_test(test_real_6x),
		cmocka_unit_test(test_made_ok),
		cmocka_unit_test(test_made_digest),
		cmocka_unit_test(test_made_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

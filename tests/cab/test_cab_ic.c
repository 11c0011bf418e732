/*
 * test_cab_ic.c - the real Hyper-V integration-services cabinets.
 *
 * Facts from ../shared/fixtures/ic/PROVENANCE.md: LZX with a 2^21 window
 * (typeCompress 0x1503), one folder, RESERVE_PRESENT, an Authenticode
 * signature after cbCabinet; 73 and 64 files.  Every payload file must
 * match the SHA-256 DigestValue that its component manifest (inside the
 * same cabinet) records: an independent check of the LZX decoder on real
 * Microsoft data.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cab/cab.h"
#include "cab/cab_internal.h"
#include "tests/lib/hvotest.h"
#include "util/sha256.h"

#define ASM_NS	"urn:schemas-microsoft-com:asm.v3"
#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

static const struct {
	const char *file;
	size_t nfiles;
} ic[] = {
	{ "ic/Windows6.2-HyperVIntegrationServices-x64.cab", 73 },
	{ "ic/Windows6.x-HyperVIntegrationServices-x86.cab", 64 },
};

static struct cab *open_ok(const char *rel)
{
	struct cab *cab = NULL;
	int err = cab_open(hvo_fixture(rel), 0, &cab);
	if (err)
		fail_msg("%s: %s", rel, cab_errmsg(cab));
	return cab;
}

static void test_headers(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(ic) / sizeof(ic[0]); k++) {
		struct cab *cab = open_ok(ic[k].file);
		assert_int_equal(cab_entry_count(cab), ic[k].nfiles);
		assert_int_equal(cab_folder_count(cab), 1);
		const struct cab_folder_info *f = cab_folder_get(cab, 0);
		assert_int_equal(f->type_compress, 0x1503);
		assert_int_equal(f->method, CAB_METHOD_LZX);
		assert_int_equal(f->window_bits, 21);
		assert_string_equal(cab_folder_method_name(cab, 0), "LZX:21");
		assert_int_equal(cab_cabinet_count(cab), 1);
		const struct cab_cabinet_info *c = cab_cabinet_get(cab, 0);
		assert_true(c->flags & 4); /* RESERVE_PRESENT */
		/* The signature is stored after cbCabinet. */
		assert_true(c->file_size > c->size);
		size_t i;
		assert_int_equal(cab_find(cab, "UPDATE.MUM", &i), 0);
		uint8_t *buf;
		size_t len;
		assert_int_equal(
			cab_read_entry_alloc(cab, i, 1 << 20, &buf, &len), 0);
		assert_int_equal(len, cab_entry_get(cab, i)->size);
		assert_non_null(strstr((char *)buf, "<assembly"));
		free(buf);
		/* The size cap is enforced before decoding. */
		assert_int_equal(cab_read_entry_alloc(cab, i, 10, &buf, &len),
				 CAB_ERR_TOO_LARGE);
		assert_null(buf);
		cab_close(cab);
	}
}

static xmlNode *child(xmlNode *n, const char *ns, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)c->name, name) == 0 && c->ns &&
		    strcmp((const char *)c->ns->href, ns) == 0)
			return c;
	return NULL;
}

/* Checks every <file> of one manifest against the payload; returns the
 * number of files checked. */
static size_t check_manifest(struct cab *cab, const char *key,
			     const uint8_t *xml, size_t len)
{
	xmlDoc *doc = xmlReadMemory((const char *)xml, (int)len, key, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	assert_non_null(doc);
	size_t checked = 0;
	xmlNode *root = xmlDocGetRootElement(doc);
	for (xmlNode *f = root ? root->children : NULL; f; f = f->next) {
		if (f->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)f->name, "file") != 0)
			continue;
		xmlChar *name = xmlGetProp(f, (const xmlChar *)"sourceName");
		if (name == NULL)
			name = xmlGetProp(f, (const xmlChar *)"name");
		assert_non_null(name);
		xmlNode *hash = NULL;
		for (xmlNode *c = f->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)c->name, "hash") == 0)
				hash = c;
		assert_non_null(hash);
		xmlNode *method = child(hash, DSIG_NS, "DigestMethod");
		xmlNode *value = child(hash, DSIG_NS, "DigestValue");
		assert_non_null(method);
		assert_non_null(value);
		xmlChar *alg = xmlGetProp(method, (const xmlChar *)"Algorithm");
		assert_non_null(strstr((const char *)alg, "sha256"));
		xmlChar *b64 = xmlNodeGetContent(value);
		uint8_t want[HVO_SHA256_LEN];
		assert_int_equal(hvo_int_base64_decode((const char *)b64, want,
						       sizeof(want)),
				 HVO_SHA256_LEN);

		char *member;
		assert_true(asprintf(&member, "%s\\%s", key, (char *)name) > 0);
		size_t i;
		if (cab_find(cab, member, &i) != 0)
			fail_msg("%s: payload file not in the cabinet", member);
		uint8_t *data;
		size_t dlen;
		if (cab_read_entry_alloc(cab, i, 64 << 20, &data, &dlen) != 0)
			fail_msg("%s: %s", member, cab_errmsg(cab));
		uint8_t got[HVO_SHA256_LEN];
		hvo_int_sha256_buf(data, dlen, got);
		if (memcmp(got, want, sizeof(got)) != 0)
			fail_msg("%s: SHA-256 differs from the manifest's "
				 "DigestValue",
				 member);
		checked++;
		free(data);
		free(member);
		xmlFree(b64);
		xmlFree(alg);
		xmlFree(name);
	}
	xmlFreeDoc(doc);
	return checked;
}

static void test_manifest_digests(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(ic) / sizeof(ic[0]); k++) {
		struct cab *cab = open_ok(ic[k].file);
		size_t payload = 0, checked = 0, manifests = 0;
		for (size_t i = 0; i < cab_entry_count(cab); i++) {
			const struct cab_entry *e = cab_entry_get(cab, i);
			if (strchr(e->name, '\\')) {
				payload++;
				continue;
			}
			size_t nl = strlen(e->name);
			if (nl < 9 || strcmp(e->name + nl - 9, ".manifest"))
				continue;
			char *key = strndup(e->name, nl - 9);
			uint8_t *xml;
			size_t len;
			assert_int_equal(cab_read_entry_alloc(cab, i, 16 << 20,
							      &xml, &len),
					 0);
			checked += check_manifest(cab, key, xml, len);
			manifests++;
			free(xml);
			free(key);
		}
		/* Every payload file is named by exactly one manifest. */
		assert_true(manifests > 10);
		assert_int_equal(checked, payload);
		cab_close(cab);
	}
}

/* Reading every member in one pass gives the same bytes as one by one,
 * and goes through the folder once. */
struct pass {
	struct hvo_sha256 sha;
	char hex[80][65];
	size_t n;
};

static int p_begin(void *c, size_t i, const struct cab_entry *e)
{
	(void)i;
	(void)e;
	hvo_int_sha256_init(&((struct pass *)c)->sha);
	return 0;
}

static int p_write(void *c, const void *buf, size_t len)
{
	hvo_int_sha256_update(&((struct pass *)c)->sha, buf, len);
	return 0;
}

static int p_end(void *c, size_t i, int err)
{
	struct pass *p = c;
	assert_int_equal(err, 0);
	uint8_t d[HVO_SHA256_LEN];
	hvo_int_sha256_final(&p->sha, d);
	hvo_int_sha256_hex(d, p->hex[i]);
	p->n++;
	return 0;
}

static void test_one_pass_matches_cabextract(void **state)
{
	(void)state;
	if (!hvo_test_have_program("cabextract"))
		skip();
	for (size_t k = 0; k < sizeof(ic) / sizeof(ic[0]); k++) {
		struct cab *cab = open_ok(ic[k].file);
		static struct pass p;
		memset(&p, 0, sizeof(p));
		struct cab_visitor v = { p_begin, p_write, p_end };
		assert_int_equal(cab_read_entries(cab, NULL, 0, &v, &p), 0);
		assert_int_equal(p.n, ic[k].nfiles);
		/* The folder was decoded once: each block exactly once. */
		assert_int_equal(cab->blocks_decoded,
				 cab_folder_get(cab, 0)->blocks);
		char *dir = hvo_test_mkdtemp(), *cmd;
		assert_true(asprintf(&cmd,
				     "cabextract -q -d '%s' '%s' 2>/dev/null",
				     dir, hvo_fixture(ic[k].file)) > 0);
		assert_int_equal(hvo_test_run(cmd, NULL), 0);
		for (size_t i = 0; i < p.n; i++) {
			char *path, hex[65];
			assert_true(asprintf(&path, "%s/%s", dir,
					     cab_entry_get(cab, i)->name) > 0);
			for (char *q = path; *q; q++)
				if (*q == '\\')
					*q = '/';
			hvo_test_sha256_file(path, hex);
			assert_string_equal(hex, p.hex[i]);
			free(path);
		}
		hvo_test_rmtree(dir);
		free(dir);
		free(cmd);
		cab_close(cab);
	}
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_manifest_digests),
		cmocka_unit_test(test_one_pass_matches_cabextract),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}

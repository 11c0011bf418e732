/*
 * test_trust.c - Authenticode verification of cabinets (src/trust/).
 *
 * Expected values come from outside our code: the root fingerprints from
 * ../shared/fixtures/trust/PROVENANCE.md (Microsoft's published ones), the
 * cabinets' digests from `osslsigncode verify` ("Calculated message
 * digest", equal to the signed one), the chain and timestamp from
 * PROVENANCE and `openssl pkcs7 -print_certs`.  Tampered copies are made
 * in memory: one byte of the header's set ID, one byte of the
 * SignerInfo's signature value, one byte of the timestamp's signature.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gnutls/pkcs7.h>

#include "tests/lib/hvotest.h"
#include "trust/der.h"
#include "trust/internal.h"
#include "trust/trust.h"
#include "util/bytes.h"

#define IC64 "ic/Windows6.2-HyperVIntegrationServices-x64.cab"
#define IC86 "ic/Windows6.x-HyperVIntegrationServices-x86.cab"

/* osslsigncode verify: "Calculated message digest". */
#define IC64_DIGEST \
	"3dbd7f6ac3606cbd0156f05815e2d561d09493d374aeb8c3cc8036e018d0c211"

/* PROVENANCE.md of ../shared/fixtures/trust. */
#define ROOT2010_SHA256 \
	"df545bf919a2439c36983b54cdfc903dfa4f37d3996d8d84b4c31eec6f3c163e"
#define ROOT2001_SHA256 \
	"885de64c340e3ea70658f01e1145f957fcda27aabeea1ab9faa9fdb0102d4077"

static struct trust *shipped_store(void)
{
	struct trust *t;
	assert_int_equal(trust_new(&t), TRUST_OK);
	char *dir;
	assert_true(asprintf(&dir, "%s/data/trust", hvo_test_srcdir()) > 0);
	assert_int_equal(trust_add_root_dir(t, dir), TRUST_OK);
	free(dir);
	return t;
}

static uint8_t *read_fixture(const char *rel, size_t *len)
{
	hvo_test_fixtures_or_exit();
	uint8_t *b = hvo_test_read_file(hvo_fixture(rel), len);
	assert_non_null(b);
	return b;
}

/* The shipped roots are exactly the two PROVENANCE names, by fingerprint
 * of the DER (as the trusted root program publishes them). */
static void test_shipped_roots(void **state)
{
	(void)state;
	static const struct {
		const char *file, *sha256;
	} roots[] = {
		{ "microsoft-root-ca-2010.pem", ROOT2010_SHA256 },
		{ "microsoft-root-ca-2001.pem", ROOT2001_SHA256 },
	};
	for (size_t i = 0; i < 2; i++) {
		char *p;
		assert_true(asprintf(&p, "%s/data/trust/%s", hvo_test_srcdir(),
				     roots[i].file) > 0);
		size_t len;
		uint8_t *pem = hvo_test_read_file(p, &len);
		assert_non_null(pem);
		gnutls_datum_t d = { pem, (unsigned)len }, der;
		assert_int_equal(
			gnutls_pem_base64_decode2("CERTIFICATE", &d, &der), 0);
		char hex[65];
		hvo_test_sha256_buf(der.data, der.size, hex);
		assert_string_equal(hex, roots[i].sha256);
		gnutls_free(der.data);
		free(pem);
		free(p);
	}
	struct trust *t = shipped_store();
	assert_int_equal(trust_root_count(t), 2);
	trust_free(t);
}

static void check_real(const char *rel, const char *digest)
{
	size_t len;
	uint8_t *b = read_fixture(rel, &len);
	struct trust *t = shipped_store();
	struct trust_verdict *v;
	int rc = trust_verify_cab_mem(t, b, len, rel, &v);
	if (rc)
		fail_msg("%s: %s", rel, trust_errmsg(t));
	assert_int_equal(v->status, TRUST_OK);
	assert_string_equal(trust_verdict_word(v), "trusted");
	assert_string_equal(v->signer, "Microsoft Windows");
	assert_string_equal(v->digest_algorithm, "SHA256");
	assert_string_equal(v->digest_signed, v->digest_computed);
	if (digest)
		assert_string_equal(v->digest_computed, digest);
	assert_int_equal(v->nchain, 3);
	assert_string_equal(v->chain[1].cn,
			    "Microsoft Windows Production PCA 2011");
	assert_string_equal(v->chain[2].cn,
			    "Microsoft Root Certificate Authority 2010");
	assert_string_equal(v->chain[2].sha256, ROOT2010_SHA256);
	assert_true(v->chain_complete);
	assert_int_equal(v->ts_kind, TRUST_TS_RFC3161);
	assert_true(v->ts_verified);
	/* Signed and timestamped in August 2019 (PROVENANCE); the chain is
	 * judged then: the signing certificate expired in 2020. */
	assert_true(v->ts_time > 1565000000 && v->ts_time < 1566000000);
	assert_int_equal(v->judged_at, v->ts_time);
	assert_true(v->chain[0].not_after < time(NULL));
	/* The signature sits at cbCabinet. */
	assert_int_equal(v->signature_offset, get_le32(b + 8));
	trust_verdict_free(v);
	trust_free(t);
	free(b);
}

static void test_real_x64(void **state)
{
	(void)state;
	check_real(IC64, IC64_DIGEST);
}

static void test_real_x86(void **state)
{
	(void)state;
	check_real(IC86, NULL);
}

static int verify_buf(const uint8_t *b, size_t len, struct trust *t, char **msg)
{
	struct trust_verdict *v;
	int rc = trust_verify_cab_mem(t, b, len, "test", &v);
	assert_non_null(v);
	assert_int_equal(v->status, rc);
	if (msg)
		*msg = strdup(trust_errmsg(t));
	trust_verdict_free(v);
	return rc;
}

/* One byte of the set ID (offset 32, covered by the digest). */
static void test_setid_changed(void **state)
{
	(void)state;
	size_t len;
	uint8_t *b = read_fixture(IC64, &len);
	b[32] ^= 0x01;
	struct trust *t = shipped_store();
	char *msg;
	assert_int_equal(verify_buf(b, len, t, &msg), TRUST_ERR_DIGEST);
	assert_non_null(strstr(msg, "digest mismatch"));
	free(msg);
	/* Bytes the digest skips (iCabinet, 34) change nothing. */
	b[32] ^= 0x01;
	b[34] ^= 0x01;
	assert_int_equal(verify_buf(b, len, t, NULL), TRUST_OK);
	trust_free(t);
	free(b);
}

/* Finds the SignerInfo's signature value inside the file and flips one
 * of its bytes. */
static void test_signature_flipped(void **state)
{
	(void)state;
	size_t len;
	uint8_t *b = read_fixture(IC64, &len);
	uint32_t off = get_le32(b + 44);
	gnutls_pkcs7_t p7;
	assert_int_equal(gnutls_pkcs7_init(&p7), 0);
	struct der d = { b + off, len - off };
	struct der_elem e;
	assert_true(trust_int_der_next(&d, &e));
	gnutls_datum_t blob = { (uint8_t *)e.raw, (unsigned)e.raw_len };
	assert_int_equal(gnutls_pkcs7_import(p7, &blob, GNUTLS_X509_FMT_DER),
			 0);
	gnutls_pkcs7_signature_info_st si;
	assert_int_equal(gnutls_pkcs7_get_signature_info(p7, 0, &si), 0);
	uint8_t *s = memmem(b + off, len - off, si.sig.data, si.sig.size);
	assert_non_null(s);
	s[100] ^= 0x01;
	gnutls_pkcs7_signature_info_deinit(&si);
	gnutls_pkcs7_deinit(p7);
	struct trust *t = shipped_store();
	char *msg;
	assert_int_equal(verify_buf(b, len, t, &msg), TRUST_ERR_SIGNATURE);
	assert_non_null(strstr(msg, "does not verify"));
	free(msg);
	trust_free(t);
	free(b);
}

/* The timestamp token's own signature is the last element of the DER:
 * one byte of it flipped. */
static void test_timestamp_flipped(void **state)
{
	(void)state;
	size_t len;
	uint8_t *b = read_fixture(IC64, &len);
	uint32_t off = get_le32(b + 44);
	struct der d = { b + off, len - off };
	struct der_elem e;
	assert_true(trust_int_der_next(&d, &e));
	b[off + e.raw_len - 10] ^= 0x01;
	struct trust *t = shipped_store();
	char *msg;
	assert_int_equal(verify_buf(b, len, t, &msg), TRUST_ERR_TIMESTAMP);
	assert_non_null(strstr(msg, "timestamp"));
	free(msg);
	trust_free(t);
	free(b);
}

/* Only the 2001 root: the 2010 chain ends at no trusted root. */
static void test_untrusted(void **state)
{
	(void)state;
	size_t len;
	uint8_t *b = read_fixture(IC64, &len);
	struct trust *t;
	assert_int_equal(trust_new(&t), TRUST_OK);
	char *p;
	assert_true(asprintf(&p, "%s/data/trust/microsoft-root-ca-2001.pem",
			     hvo_test_srcdir()) > 0);
	assert_int_equal(trust_add_root_file(t, p), TRUST_OK);
	free(p);
	assert_int_equal(verify_buf(b, len, t, NULL), TRUST_ERR_TIMESTAMP);
	trust_free(t);
	/* An empty store. */
	assert_int_equal(trust_new(&t), TRUST_OK);
	int rc = verify_buf(b, len, t, NULL);
	assert_true(rc == TRUST_ERR_TIMESTAMP || rc == TRUST_ERR_UNTRUSTED);
	trust_free(t);
	free(b);
}

/* A header built byte by byte: MSCF, sizes, RESERVE_PRESENT, a 20-byte
 * reserve naming a signature, the signature bytes. */
static size_t make_header(uint8_t *b, uint32_t sigoff, uint32_t siglen,
			  uint16_t cbcfheader)
{
	memset(b, 0, 128);
	memcpy(b, "MSCF", 4);
	put_le32(b + 8, 68);	      /* cbCabinet: header + one folder */
	put_le32(b + 16, 68);	      /* coffFiles */
	b[24] = 3;		      /* versionMinor */
	b[25] = 1;		      /* versionMajor */
	put_le16(b + 26, 1);	      /* cFolders */
	put_le16(b + 28, 0);	      /* cFiles */
	put_le16(b + 30, 0x0004);     /* flags: RESERVE_PRESENT */
	put_le16(b + 36, cbcfheader); /* cbCFHeader */
	put_le32(b + 40, 0x00100000); /* reserve: as signtool writes */
	put_le32(b + 44, sigoff);     /* signature offset */
	put_le32(b + 48, siglen);     /* signature size */
	/* 60..67: one CFFOLDER, zeros */
	return 68;
}

static void test_hostile_headers(void **state)
{
	(void)state;
	struct trust *t = shipped_store();
	uint8_t b[128];
	/* No reserve at all. */
	size_t n = make_header(b, 68, 8, 0);
	put_le16(b + 30, 0);
	assert_int_equal(verify_buf(b, n, t, NULL), TRUST_ERR_UNSIGNED);
	/* A reserve of another size: not Authenticode. */
	n = make_header(b, 68, 8, 6);
	assert_int_equal(verify_buf(b, n, t, NULL), TRUST_ERR_UNSIGNED);
	/* A reserve naming no signature. */
	n = make_header(b, 0, 0, 20);
	assert_int_equal(verify_buf(b, n, t, NULL), TRUST_ERR_UNSIGNED);
	/* A signature past the end of the file. */
	n = make_header(b, 68, 4096, 20);
	assert_int_equal(verify_buf(b, n + 8, t, NULL), TRUST_ERR_MALFORMED);
	/* A signature not at cbCabinet. */
	n = make_header(b, 64, 8, 20);
	assert_int_equal(verify_buf(b, n + 8, t, NULL), TRUST_ERR_MALFORMED);
	/* Eight bytes that are no DER. */
	n = make_header(b, 68, 8, 20);
	memset(b + n, 0xff, 8);
	assert_int_equal(verify_buf(b, n + 8, t, NULL), TRUST_ERR_MALFORMED);
	/* A DER SEQUENCE that is no SignedData. */
	static const uint8_t seq[8] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	memcpy(b + n, seq, 8);
	assert_int_equal(verify_buf(b, n + 8, t, NULL), TRUST_ERR_MALFORMED);
	/* Bytes after the signature. */
	assert_int_equal(verify_buf(b, n + 16, t, NULL), TRUST_ERR_MALFORMED);
	/* Too short to be a cabinet. */
	assert_int_equal(verify_buf(b, 20, t, NULL), TRUST_ERR_MALFORMED);
	trust_free(t);
}

static void test_der(void **state)
{
	(void)state;
	/* GeneralizedTime 20190810185651.123Z */
	static const uint8_t gt[] = "\x18\x13"
				    "20190810185651.123Z";
	struct der d = { gt, sizeof(gt) - 1 };
	struct der_elem e;
	assert_true(trust_int_der_next(&d, &e));
	time_t tt;
	assert_true(trust_int_der_time(&e, &tt));
	assert_int_equal(tt, 1565463411);
	/* Indefinite length (BER) and overlong lengths are refused. */
	static const uint8_t indef[] = { 0x30, 0x80, 0x00, 0x00 };
	d = (struct der){ indef, sizeof(indef) };
	assert_false(trust_int_der_next(&d, &e));
	static const uint8_t big[] = { 0x30, 0x84, 0xff, 0xff, 0xff, 0xff };
	d = (struct der){ big, sizeof(big) };
	assert_false(trust_int_der_next(&d, &e));
	/* OID 1.3.6.1.4.1.311.2.1.4 */
	static const uint8_t oid[] = { 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04,
				       0x01, 0x82, 0x37, 0x02, 0x01, 0x04 };
	d = (struct der){ oid, sizeof(oid) };
	assert_true(trust_int_der_next(&d, &e));
	char s[64];
	assert_true(trust_int_der_oid_str(&e, s, sizeof(s)));
	assert_string_equal(s, "1.3.6.1.4.1.311.2.1.4");
}

static void test_exit_classes(void **state)
{
	(void)state;
	assert_int_equal(trust_exit_class(TRUST_ERR_DIGEST, true),
			 HVO_EXIT_CORRUPT);
	assert_int_equal(trust_exit_class(TRUST_ERR_SIGNATURE, true),
			 HVO_EXIT_CORRUPT);
	assert_int_equal(trust_exit_class(TRUST_ERR_UNSIGNED, false),
			 HVO_EXIT_CORRUPT);
	assert_int_equal(trust_exit_class(TRUST_ERR_UNSIGNED, true),
			 HVO_EXIT_OK);
	assert_int_equal(trust_exit_class(TRUST_ERR_UNTRUSTED, true),
			 HVO_EXIT_OK);
	assert_int_equal(trust_exit_class(TRUST_ERR_STORE, true),
			 HVO_EXIT_FAILED);
	for (int i = 0; i <= TRUST_ERR_MAX; i++)
		assert_non_null(trust_strerror(i));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_roots),
		cmocka_unit_test(test_real_x64),
		cmocka_unit_test(test_real_x86),
		cmocka_unit_test(test_setid_changed),
		cmocka_unit_test(test_signature_flipped),
		cmocka_unit_test(test_timestamp_flipped),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_exit_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

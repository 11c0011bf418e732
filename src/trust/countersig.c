/*
 * countersig.c - the PKCS#9 countersignature (1.2.840.113549.1.9.6), the
 * older Authenticode timestamp: a SignerInfo, stored as an unsigned
 * attribute, whose messageDigest is the digest of the signature value it
 * countersigns and whose signingTime is the time (PKCS#9, RFC 2985 5.3.6).
 *
 * GnuTLS verifies SignerInfos only inside a SignedData, so one is built
 * around it here: version 1, the SignerInfo's digest algorithm, detached
 * "data" content (the countersigned signature value), the outer
 * signature's certificates, and the SignerInfo itself.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "trust/chain.h"
#include "trust/countersig.h"
#include "trust/der.h"

#define VERIFY_FLAGS                                 \
	(GNUTLS_VERIFY_DISABLE_TIME_CHECKS |         \
	 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | \
	 GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1)

/* 1.2.840.113549.1.7.2 and .1 */
static const uint8_t oid_signed_data[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x07, 0x02 };
static const uint8_t oid_data[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
				    0xf7, 0x0d, 0x01, 0x07, 0x01 };

struct dbuf {
	uint8_t *p;
	size_t len;
	bool oom;
};

static void dput(struct dbuf *b, const void *d, size_t n)
{
	if (b->oom)
		return;
	uint8_t *q = realloc(b->p, b->len + n + 1);
	if (q == NULL) {
		b->oom = true;
		return;
	}
	memcpy(q + b->len, d, n);
	b->p = q;
	b->len += n;
}

static void dhdr(struct dbuf *b, uint8_t tag, size_t len)
{
	uint8_t h[6] = { tag };
	size_t n;
	if (len < 0x80) {
		h[1] = (uint8_t)len;
		n = 2;
	} else if (len < 0x100) {
		h[1] = 0x81;
		h[2] = (uint8_t)len;
		n = 3;
	} else if (len < 0x10000) {
		h[1] = 0x82;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		n = 4;
	} else {
		h[1] = 0x83;
		h[2] = (uint8_t)(len >> 16);
		h[3] = (uint8_t)(len >> 8);
		h[4] = (uint8_t)len;
		n = 5;
	}
	dput(b, h, n);
}

/* Wraps @inner in a TLV of @tag (the result replaces @inner). */
static void dwrap(struct dbuf *inner, uint8_t tag)
{
	struct dbuf w = { NULL, 0, inner->oom };
	dhdr(&w, tag, inner->len);
	dput(&w, inner->p, inner->len);
	free(inner->p);
	*inner = w;
}

static bool build_signed_data(const struct trust_p7 *outer,
			      const gnutls_datum_t *si, struct dbuf *out)
{
	/* The SignerInfo's digestAlgorithm: its third element. */
	struct der d = { si->data, si->size }, s;
	struct der_elem top, ver, sid, alg;
	if (!trust_int_der_expect(&d, DER_SEQUENCE, &top) || d.len != 0)
		return false;
	s = trust_int_der_enter(&top);
	if (!trust_int_der_expect(&s, DER_INTEGER, &ver) ||
	    !trust_int_der_next(&s, &sid) ||
	    !trust_int_der_expect(&s, DER_SEQUENCE, &alg))
		return false;
	struct dbuf sd = { NULL, 0, false }, part = { NULL, 0, false };
	static const uint8_t version1[] = { 0x02, 0x01, 0x01 };
	dput(&sd, version1, sizeof(version1));
	dhdr(&sd, DER_SET, alg.raw_len);
	dput(&sd, alg.raw, alg.raw_len);
	dhdr(&sd, DER_SEQUENCE, sizeof(oid_data));
	dput(&sd, oid_data, sizeof(oid_data));
	int n = gnutls_pkcs7_get_crt_count(outer->p7);
	for (int i = 0; i < n && i < TRUST_MAX_P7_CERTS; i++) {
		gnutls_datum_t c = { NULL, 0 };
		if (gnutls_pkcs7_get_crt_raw2(outer->p7, (unsigned)i, &c) < 0)
			continue;
		dput(&part, c.data, c.size);
		gnutls_free(c.data);
	}
	if (part.len) {
		dwrap(&part, 0xa0); /* [0] IMPLICIT CertificateSet */
		dput(&sd, part.p, part.len);
	}
	free(part.p);
	dhdr(&sd, DER_SET, si->size);
	dput(&sd, si->data, si->size);
	dwrap(&sd, DER_SEQUENCE); /* SignedData */
	dwrap(&sd, 0xa0);	  /* [0] EXPLICIT content */
	struct dbuf ci = { NULL, 0, sd.oom };
	dput(&ci, oid_signed_data, sizeof(oid_signed_data));
	dput(&ci, sd.p, sd.len);
	free(sd.p);
	dwrap(&ci, DER_SEQUENCE); /* ContentInfo */
	*out = ci;
	return !ci.oom;
}

int trust_int_ts_signer_check(struct trust *t, const struct trust_p7 *ts,
			      const struct trust_p7 *outer,
			      const gnutls_datum_t *data, const char *who,
			      struct trust_verdict *v)
{
	gnutls_x509_crt_t crt = trust_int_p7_signer_cert(ts, outer);
	if (crt == NULL)
		return trust_int_error(t, TRUST_ERR_TIMESTAMP,
				       "timestamp: the %s certificate is not "
				       "in the signature",
				       who);
	int r = gnutls_pkcs7_verify_direct(ts->p7, crt, 0, data, VERIFY_FLAGS);
	if (r < 0)
		return trust_int_error(t, TRUST_ERR_TIMESTAMP,
				       "timestamp: the countersignature does "
				       "not verify: %s",
				       gnutls_strerror(r));
	gnutls_x509_crt_t pool[2 * TRUST_MAX_P7_CERTS];
	size_t np = 0;
	for (size_t i = 0; i < ts->ncerts; i++)
		pool[np++] = ts->certs[i];
	for (size_t i = 0; i < outer->ncerts; i++)
		pool[np++] = outer->certs[i];
	bool complete;
	int rc = trust_int_chain_check(t, "timestamp", crt, pool, np,
				       GNUTLS_KP_TIME_STAMPING, v->ts_time,
				       &v->ts_chain, &v->nts_chain, &complete);
	if (v->nts_chain)
		v->ts_signer = strdup(v->ts_chain[0].cn);
	if (rc == TRUST_ERR_UNTRUSTED || rc == TRUST_ERR_CHAIN)
		rc = TRUST_ERR_TIMESTAMP; /* the message names the chain */
	if (rc == TRUST_OK)
		v->ts_verified = true;
	return rc;
}

int trust_int_countersig(struct trust *t, const struct trust_p7 *outer,
			 const gnutls_datum_t *si, struct trust_verdict *v)
{
	struct dbuf b = { NULL, 0, false };
	if (!build_signed_data(outer, si, &b)) {
		free(b.p);
		return trust_int_error(t, TRUST_ERR_TIMESTAMP,
				       "timestamp: malformed countersignature");
	}
	gnutls_datum_t blob = { b.p, (unsigned)b.len };
	struct trust_p7 cs;
	int rc =
		trust_int_p7_load(t, "timestamp", &blob, "1.2.840.113549.1.7.1",
				  TRUST_ERR_TIMESTAMP, &cs);
	free(b.p);
	if (rc)
		goto out;
	if (cs.si.signing_time == (time_t)-1) {
		rc = trust_int_error(t, TRUST_ERR_TIMESTAMP,
				     "timestamp: the countersignature has no "
				     "signing time");
		goto out;
	}
	v->ts_time = cs.si.signing_time;
	/* The countersigned content: the signature value. */
	gnutls_datum_t data = outer->si.sig;
	rc = trust_int_ts_signer_check(t, &cs, outer, &data, "countersigner's",
				       v);
out:
	trust_int_p7_free(&cs);
	return rc;
}

/*
 * timestamp.c - the countersignature that dates an Authenticode signature.
 *
 * Windows judges the signer's chain at the time a verified timestamp
 * gives, so that a signature made while the certificates were valid stays
 * valid after they expire.  Two kinds exist as unsigned attributes of the
 * SignerInfo:
 *
 *   1.3.6.1.4.1.311.3.3.1  an RFC 3161 TimeStampToken (a SignedData over a
 *                          TSTInfo whose messageImprint is the digest of
 *                          the SignerInfo's signature value);
 *   1.2.840.113549.1.9.6   a PKCS#9 countersignature (a SignerInfo whose
 *                          messageDigest is that digest), the older
 *                          Authenticode kind.
 *
 * The real integration-services cabinets carry the first; older ones
 * (2017) the second (countersig.c).
 */
#include <config.h>

#include <string.h>

#include "trust/chain.h"
#include "trust/countersig.h"
#include "trust/der.h"
#include "trust/p7.h"
#include "trust/timestamp.h"

#define OID_RFC3161_TOKEN    "1.3.6.1.4.1.311.3.3.1"
#define OID_PKCS9_COUNTERSIG "1.2.840.113549.1.9.6"
#define OID_TSTINFO	     "1.2.840.113549.1.9.16.1.4"

/* TSTInfo (RFC 3161 2.4.2): version, policy, messageImprint, serial,
 * genTime, ... */
static bool parse_tstinfo(const gnutls_datum_t *d, char *alg, size_t algsz,
			  struct der_elem *hashed, time_t *gen)
{
	struct der top = { d->data, d->size }, s;
	struct der_elem tst, ver, pol, mi, ai, oid, ser, gt;
	if (!trust_int_der_expect(&top, DER_SEQUENCE, &tst) || top.len != 0)
		return false;
	s = trust_int_der_enter(&tst);
	if (!trust_int_der_expect(&s, DER_INTEGER, &ver) ||
	    !trust_int_der_expect(&s, DER_OID, &pol) ||
	    !trust_int_der_expect(&s, DER_SEQUENCE, &mi) ||
	    !trust_int_der_expect(&s, DER_INTEGER, &ser) ||
	    !trust_int_der_expect(&s, DER_GENERALIZEDTIME, &gt))
		return false;
	struct der m = trust_int_der_enter(&mi);
	if (!trust_int_der_expect(&m, DER_SEQUENCE, &ai) ||
	    !trust_int_der_expect(&m, DER_OCTET_STRING, hashed))
		return false;
	struct der a = trust_int_der_enter(&ai);
	return trust_int_der_expect(&a, DER_OID, &oid) &&
	       trust_int_der_oid_str(&oid, alg, algsz) &&
	       trust_int_der_time(&gt, gen);
}

static int rfc3161(struct trust *t, const struct trust_p7 *outer,
		   const gnutls_datum_t *tok, struct trust_verdict *v)
{
	struct trust_p7 ts;
	int rc = trust_int_p7_load(t, "timestamp", tok, OID_TSTINFO,
				   TRUST_ERR_TIMESTAMP, &ts);
	if (rc)
		goto out;
	gnutls_datum_t tst = { NULL, 0 };
	int r = gnutls_pkcs7_get_embedded_data(ts.p7, 0, &tst);
	char alg[64];
	struct der_elem hashed;
	time_t gen;
	if (r < 0 || !parse_tstinfo(&tst, alg, sizeof(alg), &hashed, &gen)) {
		gnutls_free(tst.data);
		rc = trust_int_error(t, TRUST_ERR_TIMESTAMP,
				     "timestamp: malformed TSTInfo");
		goto out;
	}
	/* The token must cover this signature: its imprint is the digest
	 * of the SignerInfo's signature value. */
	gnutls_digest_algorithm_t dig = gnutls_oid_to_digest(alg);
	uint8_t want[64];
	bool covers = dig != GNUTLS_DIG_UNKNOWN &&
		      gnutls_hash_get_len(dig) == hashed.body_len &&
		      gnutls_hash_fast(dig, outer->si.sig.data,
				       outer->si.sig.size, want) == 0 &&
		      memcmp(want, hashed.body, hashed.body_len) == 0;
	gnutls_free(tst.data);
	if (!covers) {
		rc = trust_int_error(t, TRUST_ERR_TIMESTAMP,
				     "timestamp: its message imprint (%s) is "
				     "not the digest of this signature",
				     alg);
		goto out;
	}
	v->ts_time = gen;
	rc = trust_int_ts_signer_check(t, &ts, outer, NULL, "signer's", v);
out:
	trust_int_p7_free(&ts);
	return rc;
}

int trust_int_timestamp(struct trust *t, const struct trust_p7 *outer,
			struct trust_verdict *v)
{
	v->ts_kind = TRUST_TS_NONE;
	for (unsigned i = 0;; i++) {
		char *oid = NULL; /* owned by the list */
		gnutls_datum_t val = { NULL, 0 };
		if (gnutls_pkcs7_get_attr(outer->si.unsigned_attrs, i, &oid,
					  &val, 0) < 0)
			return TRUST_OK; /* no (more) attributes */
		int rc = -1;
		if (strcmp(oid, OID_RFC3161_TOKEN) == 0) {
			v->ts_kind = TRUST_TS_RFC3161;
			rc = rfc3161(t, outer, &val, v);
		} else if (strcmp(oid, OID_PKCS9_COUNTERSIG) == 0) {
			v->ts_kind = TRUST_TS_AUTHENTICODE;
			rc = trust_int_countersig(t, outer, &val, v);
		}
		gnutls_free(val.data);
		if (rc >= 0)
			return rc;
	}
}

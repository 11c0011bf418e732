/*
 * p7.h - a PKCS#7 SignedData through GnuTLS, with its certificates.
 */
#ifndef HVO_TRUST_P7_H
#define HVO_TRUST_P7_H

#include <gnutls/pkcs7.h>

#include "trust/internal.h"

/* The most certificates we take from one SignedData: real ones carry 2-4. */
#define TRUST_MAX_P7_CERTS 32

struct trust_p7 {
	gnutls_pkcs7_t p7;
	gnutls_x509_crt_t certs[TRUST_MAX_P7_CERTS];
	size_t ncerts;
	gnutls_pkcs7_signature_info_st si; /* of SignerInfo 0 */
	bool have_si;
};

/*
 * Parses the DER SignedData in @data (@what names it in messages), whose
 * encapsulated content must have type @content_oid and which must hold
 * exactly one SignerInfo (Authenticode, RFC 3161).  Returns TRUST_OK or
 * @bad (the error to report for a malformed blob), message on @t.
 */
int trust_int_p7_load(struct trust *t, const char *what,
		      const gnutls_datum_t *data, const char *content_oid,
		      int bad, struct trust_p7 *p);

void trust_int_p7_free(struct trust_p7 *p);

/*
 * Finds the certificate that SignerInfo 0 names (issuer and serial, or
 * subject key identifier) among @p's certificates and then @extra's.
 * Returns it (owned by @p or @extra) or NULL.
 */
gnutls_x509_crt_t trust_int_p7_signer_cert(const struct trust_p7 *p,
					   const struct trust_p7 *extra);

/* The SHA-256 etc. digest of @data with @alg into a new hex string. */
char *trust_int_digest_hex(gnutls_digest_algorithm_t alg,
			   const gnutls_datum_t *data);

#endif /* HVO_TRUST_P7_H */

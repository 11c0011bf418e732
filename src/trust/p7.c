/*
 * p7.c - a PKCS#7 SignedData through GnuTLS, with its certificates.
 */
#include <config.h>

#include <string.h>

#include "trust/p7.h"

int trust_int_p7_load(struct trust *t, const char *what,
		      const gnutls_datum_t *data, const char *content_oid,
		      int bad, struct trust_p7 *p)
{
	memset(p, 0, sizeof(*p));
	int r = gnutls_pkcs7_init(&p->p7);
	if (r < 0) {
		p->p7 = NULL;
		return trust_int_error(t, TRUST_ERR_NOMEM, "out of memory");
	}
	r = gnutls_pkcs7_import(p->p7, data, GNUTLS_X509_FMT_DER);
	if (r < 0)
		return trust_int_error(t, bad,
				       "%s: not a PKCS#7 SignedData: %s", what,
				       gnutls_strerror(r));
	const char *oid = gnutls_pkcs7_get_embedded_data_oid(p->p7);
	if (oid == NULL || strcmp(oid, content_oid) != 0)
		return trust_int_error(t, bad,
				       "%s: signed content is %s, not %s", what,
				       oid ? oid : "absent", content_oid);
	int ns = gnutls_pkcs7_get_signature_count(p->p7);
	if (ns != 1)
		return trust_int_error(t, bad,
				       "%s: %d SignerInfos, expected exactly 1",
				       what, ns);
	r = gnutls_pkcs7_get_signature_info(p->p7, 0, &p->si);
	if (r < 0)
		return trust_int_error(t, bad, "%s: SignerInfo: %s", what,
				       gnutls_strerror(r));
	p->have_si = true;
	int nc = gnutls_pkcs7_get_crt_count(p->p7);
	if (nc < 0 || nc > TRUST_MAX_P7_CERTS)
		return trust_int_error(t, bad, "%s: %d certificates", what, nc);
	for (int i = 0; i < nc; i++) {
		/* An entry of the certificates set that is not an X.509
		 * certificate (RFC 5652 CertificateChoices: attribute or
		 * other certificates; Microsoft's timestamp tokens carry one)
		 * is skipped: it can never be part of a chain. */
		gnutls_datum_t c = { NULL, 0 };
		r = gnutls_pkcs7_get_crt_raw2(p->p7, (unsigned)i, &c);
		if (r < 0)
			continue;
		gnutls_x509_crt_t crt;
		if (gnutls_x509_crt_init(&crt) < 0) {
			gnutls_free(c.data);
			return trust_int_error(t, TRUST_ERR_NOMEM,
					       "out of memory");
		}
		r = gnutls_x509_crt_import(crt, &c, GNUTLS_X509_FMT_DER);
		gnutls_free(c.data);
		if (r < 0) {
			gnutls_x509_crt_deinit(crt);
			continue;
		}
		p->certs[p->ncerts++] = crt;
	}
	return TRUST_OK;
}

void trust_int_p7_free(struct trust_p7 *p)
{
	for (size_t i = 0; i < p->ncerts; i++)
		gnutls_x509_crt_deinit(p->certs[i]);
	p->ncerts = 0;
	if (p->have_si)
		gnutls_pkcs7_signature_info_deinit(&p->si);
	p->have_si = false;
	if (p->p7)
		gnutls_pkcs7_deinit(p->p7);
	p->p7 = NULL;
}

static bool datum_eq(const gnutls_datum_t *a, const void *b, size_t blen)
{
	return a->size == blen && blen > 0 && memcmp(a->data, b, blen) == 0;
}

static bool names_signer(const gnutls_pkcs7_signature_info_st *si,
			 gnutls_x509_crt_t crt)
{
	if (si->issuer_dn.size > 0) {
		uint8_t serial[128];
		size_t sl = sizeof(serial);
		gnutls_datum_t dn;
		if (gnutls_x509_crt_get_serial(crt, serial, &sl) < 0 ||
		    gnutls_x509_crt_get_raw_issuer_dn(crt, &dn) < 0)
			return false;
		bool eq = datum_eq(&si->signer_serial, serial, sl) &&
			  datum_eq(&si->issuer_dn, dn.data, dn.size);
		gnutls_free(dn.data);
		return eq;
	}
	uint8_t kid[128];
	size_t kl = sizeof(kid);
	unsigned crit;
	return si->issuer_keyid.size > 0 &&
	       gnutls_x509_crt_get_subject_key_id(crt, kid, &kl, &crit) == 0 &&
	       datum_eq(&si->issuer_keyid, kid, kl);
}

gnutls_x509_crt_t trust_int_p7_signer_cert(const struct trust_p7 *p,
					   const struct trust_p7 *extra)
{
	for (size_t i = 0; i < p->ncerts; i++)
		if (names_signer(&p->si, p->certs[i]))
			return p->certs[i];
	for (size_t i = 0; extra && i < extra->ncerts; i++)
		if (names_signer(&p->si, extra->certs[i]))
			return extra->certs[i];
	return NULL;
}

char *trust_int_digest_hex(gnutls_digest_algorithm_t alg,
			   const gnutls_datum_t *data)
{
	uint8_t out[64];
	if ((size_t)gnutls_hash_get_len(alg) > sizeof(out) ||
	    gnutls_hash_fast(alg, data->data, data->size, out) < 0)
		return NULL;
	return trust_int_hex(out, gnutls_hash_get_len(alg));
}

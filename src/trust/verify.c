/*
 * verify.c - verifying the Authenticode signature of a cabinet: digest,
 * signature, timestamp, chain, in that order (trust.h).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trust/chain.h"
#include "trust/der.h"
#include "trust/p7.h"
#include "trust/timestamp.h"
#include "util/fileio.h"

/* SPC_INDIRECT_DATA_OBJID: the content type of every Authenticode
 * signature. */
#define OID_SPC_INDIRECT_DATA "1.3.6.1.4.1.311.2.1.4"

/* The largest cabinet read whole: integration-services packages are
 * under 2 MiB; a CBS package of a few hundred MiB still fits. */
#define TRUST_MAX_CAB_FILE (1024u * 1024 * 1024)

#define VERIFY_FLAGS                                 \
	(GNUTLS_VERIFY_DISABLE_TIME_CHECKS |         \
	 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | \
	 GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1)

void trust_verdict_free(struct trust_verdict *v)
{
	if (v == NULL)
		return;
	free(v->message);
	free(v->digest_algorithm);
	free(v->digest_signed);
	free(v->digest_computed);
	free(v->signer);
	trust_int_cert_info_free(v->chain, v->nchain);
	free(v->ts_signer);
	trust_int_cert_info_free(v->ts_chain, v->nts_chain);
	free(v);
}

const char *trust_verdict_word(const struct trust_verdict *v)
{
	switch (v->status) {
	case TRUST_OK:
		return "trusted";
	case TRUST_ERR_UNSIGNED:
		return "unsigned";
	case TRUST_ERR_MALFORMED:
	case TRUST_ERR_DIGEST:
	case TRUST_ERR_SIGNATURE:
		return "tampered";
	case TRUST_ERR_TIMESTAMP:
		return "bad-timestamp";
	case TRUST_ERR_CHAIN:
	case TRUST_ERR_UNTRUSTED:
		return "untrusted";
	default:
		return "error";
	}
}

/*
 * SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptional
 * Value, messageDigest DigestInfo }.  GnuTLS hands back its contents
 * without the outer SEQUENCE header: exactly the bytes the SignerInfo's
 * messageDigest covers (Authenticode spec, "Authenticode-Specific
 * Structures").
 */
static bool parse_spc(const gnutls_datum_t *ed, char *alg, size_t algsz,
		      struct der_elem *digest)
{
	struct der d = { ed->data, ed->size };
	struct der_elem data, di, ai, oid;
	if (!trust_int_der_expect(&d, DER_SEQUENCE, &data) ||
	    !trust_int_der_expect(&d, DER_SEQUENCE, &di) || d.len != 0)
		return false;
	struct der s = trust_int_der_enter(&di);
	if (!trust_int_der_expect(&s, DER_SEQUENCE, &ai) ||
	    !trust_int_der_expect(&s, DER_OCTET_STRING, digest) || s.len != 0)
		return false;
	struct der a = trust_int_der_enter(&ai);
	return trust_int_der_expect(&a, DER_OID, &oid) &&
	       trust_int_der_oid_str(&oid, alg, algsz);
}

/* The DER length of the blob: the header records it padded to 8. */
static bool der_length(const uint8_t *p, size_t len, size_t *der_len)
{
	struct der d = { p, len };
	struct der_elem e;
	if (!trust_int_der_expect(&d, DER_SEQUENCE, &e))
		return false;
	for (size_t i = e.raw_len; i < len; i++)
		if (p[i] != 0)
			return false;
	*der_len = e.raw_len;
	return len - e.raw_len < 8;
}

static int check_digest(struct trust *t, const uint8_t *buf, size_t len,
			const struct trust_cab_sig *sig,
			const struct trust_p7 *p, struct trust_verdict *v)
{
	gnutls_datum_t ed = { NULL, 0 };
	int r = gnutls_pkcs7_get_embedded_data(p->p7, 0, &ed);
	char alg[64];
	struct der_elem want;
	if (r < 0 || !parse_spc(&ed, alg, sizeof(alg), &want)) {
		gnutls_free(ed.data);
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "signature: malformed "
				       "SpcIndirectDataContent");
	}
	gnutls_digest_algorithm_t dig = gnutls_oid_to_digest(alg);
	int rc = TRUST_OK;
	uint8_t got[64];
	size_t got_len = 0;
	/* MD5 is refused as Windows refuses it. */
	if (dig == GNUTLS_DIG_UNKNOWN || dig == GNUTLS_DIG_MD5 ||
	    gnutls_hash_get_len(dig) != want.body_len) {
		rc = trust_int_error(t, TRUST_ERR_MALFORMED,
				     "signature: unsupported digest algorithm "
				     "%s",
				     alg);
		goto out;
	}
	v->digest_algorithm = strdup(gnutls_digest_get_name(dig));
	v->digest_signed = trust_int_hex(want.body, want.body_len);
	rc = trust_int_cab_digest(t, buf, len, sig, dig, got, &got_len);
	if (rc)
		goto out;
	v->digest_computed = trust_int_hex(got, got_len);
	if (!v->digest_algorithm || !v->digest_signed || !v->digest_computed)
		rc = trust_int_error(t, TRUST_ERR_NOMEM, "out of memory");
	else if (got_len != want.body_len ||
		 memcmp(got, want.body, got_len) != 0)
		rc = trust_int_error(t, TRUST_ERR_DIGEST,
				     "digest mismatch: the cabinet's %s digest "
				     "is %s, the signed one %s: the cabinet "
				     "was changed after it was signed",
				     v->digest_algorithm, v->digest_computed,
				     v->digest_signed);
out:
	gnutls_free(ed.data);
	return rc;
}

static int verify(struct trust *t, const uint8_t *buf, size_t len,
		  struct trust_verdict *v)
{
	struct trust_cab_sig sig;
	int rc = trust_int_cab_locate(t, buf, len, &sig);
	if (rc)
		return rc;
	v->signature_offset = sig.offset;
	v->signature_size = sig.size;
	size_t dl;
	if (!der_length(buf + sig.offset, sig.size, &dl))
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "signature: the %zu bytes at %zu are "
				       "not one DER structure",
				       sig.size, sig.offset);
	gnutls_datum_t blob = { (unsigned char *)buf + sig.offset,
				(unsigned)dl };
	struct trust_p7 p;
	rc = trust_int_p7_load(t, "signature", &blob, OID_SPC_INDIRECT_DATA,
			       TRUST_ERR_MALFORMED, &p);
	if (rc)
		goto out;
	/* 1. digest */
	rc = check_digest(t, buf, len, &sig, &p, v);
	if (rc)
		goto out;
	/* 2. signature */
	gnutls_x509_crt_t signer = trust_int_p7_signer_cert(&p, NULL);
	if (signer == NULL) {
		rc = trust_int_error(t, TRUST_ERR_SIGNATURE,
				     "signature: the signer's certificate is "
				     "not in the signature");
		goto out;
	}
	struct trust_cert sc;
	if (trust_int_cert_info(signer, &sc))
		v->signer = strdup(sc.cn);
	free(sc.subject);
	free(sc.issuer);
	free(sc.cn);
	free(sc.serial);
	int r = gnutls_pkcs7_verify_direct(p.p7, signer, 0, NULL, VERIFY_FLAGS);
	if (r < 0) {
		rc = trust_int_error(
			t, TRUST_ERR_SIGNATURE,
			"signature: the SignerInfo does not verify "
			"with the certificate of '%s': %s",
			v->signer ? v->signer : "?", gnutls_strerror(r));
		goto out;
	}
	/* 3. timestamp */
	rc = trust_int_timestamp(t, &p, v);
	if (rc)
		goto out;
	/* 4. chain, at the verified timestamp or else now */
	v->judged_at = v->ts_verified ? v->ts_time : time(NULL);
	rc = trust_int_chain_check(t, "signer", signer, p.certs, p.ncerts,
				   GNUTLS_KP_CODE_SIGNING, v->judged_at,
				   &v->chain, &v->nchain, &v->chain_complete);
out:
	trust_int_p7_free(&p);
	return rc;
}

int trust_verify_cab_mem(struct trust *t, const uint8_t *buf, size_t len,
			 const char *name, struct trust_verdict **ret)
{
	(void)name;
	*ret = NULL;
	struct trust_verdict *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return trust_int_error(t, TRUST_ERR_NOMEM, "out of memory");
	t->errmsg[0] = 0;
	int rc = verify(t, buf, len, v);
	v->status = rc;
	if (rc)
		v->message = strdup(t->errmsg);
	*ret = v;
	return rc;
}

int trust_verify_cab_file(struct trust *t, const char *path,
			  struct trust_verdict **ret)
{
	*ret = NULL;
	uint8_t *buf;
	size_t len;
	int e = hvo_int_read_file(path, TRUST_MAX_CAB_FILE, &buf, &len);
	if (e) {
		int rc = trust_int_error(t, TRUST_ERR_IO, "%s",
					 e == EFBIG ? "file too large"
						    : strerror(e));
		struct trust_verdict *v = calloc(1, sizeof(*v));
		if (v) {
			v->status = rc;
			v->message = strdup(t->errmsg);
		}
		*ret = v;
		return rc;
	}
	int rc = trust_verify_cab_mem(t, buf, len, path, ret);
	free(buf);
	return rc;
}

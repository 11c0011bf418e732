/*
 * chain.c - building a certificate chain to the trust store and judging
 * it at a given time, for a purpose.
 *
 * GnuTLS verifies the signatures, basic constraints and key purposes of
 * the chain; its time checks are off because Windows judges an
 * Authenticode chain at the time of the verified timestamp, not now (the
 * signing certificates of real cabinets expired long ago).  The validity
 * periods are checked here against that time instead.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust/chain.h"

#define VERIFY_FLAGS                                                                                                       \
	(GNUTLS_VERIFY_DISABLE_TIME_CHECKS |                                                                               \
	 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | /* Microsoft's chains to the 2001 root are SHA-1 signed; Windows    \
	  * accepts them for signatures timestamped before the SHA-1         \
	  * deprecation. */ \
	 GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1)

static void fmt_time(time_t t, char *buf, size_t size)
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

static char *cn_of(gnutls_x509_crt_t crt)
{
	struct trust_cert c;
	if (!trust_int_cert_info(crt, &c)) {
		free(c.subject);
		free(c.issuer);
		free(c.cn);
		free(c.serial);
		return NULL;
	}
	char *cn = c.cn;
	free(c.subject);
	free(c.issuer);
	free(c.serial);
	return cn;
}

/* Appends @crt's description to @out/@n (grown by one). */
static bool add_info(struct trust_cert **out, size_t *n, gnutls_x509_crt_t crt)
{
	struct trust_cert *a = realloc(*out, (*n + 1) * sizeof(**out));
	if (a == NULL)
		return false;
	*out = a;
	if (!trust_int_cert_info(crt, &a[*n])) {
		(*n)++;
		return false;
	}
	(*n)++;
	return true;
}

int trust_int_chain_check(struct trust *t, const char *what,
			  gnutls_x509_crt_t leaf, gnutls_x509_crt_t *pool,
			  size_t npool, const char *purpose, time_t when,
			  struct trust_cert **info_ret, size_t *ninfo_ret,
			  bool *complete_ret)
{
	gnutls_x509_crt_t chain[TRUST_MAX_CHAIN];
	gnutls_x509_crt_t root = NULL;
	size_t n = 1;
	int rc = TRUST_OK;
	chain[0] = leaf;
	*complete_ret = false;
	for (;;) {
		gnutls_x509_crt_t cur = chain[n - 1];
		if (gnutls_x509_trust_list_get_issuer(t->tl, cur, &root,
						      GNUTLS_TL_GET_COPY) == 0)
			break;
		root = NULL;
		char *cn = cn_of(cur);
		if (gnutls_x509_crt_check_issuer(cur, cur)) {
			rc = trust_int_error(t, TRUST_ERR_UNTRUSTED,
					     "%s: the chain ends at the root "
					     "'%s', which is not in the trust "
					     "store",
					     what, cn ? cn : "?");
			free(cn);
			break;
		}
		gnutls_x509_crt_t next = NULL;
		for (size_t i = 0; i < npool && next == NULL; i++) {
			bool used = false;
			for (size_t k = 0; k < n; k++)
				used |= gnutls_x509_crt_equals(chain[k],
							       pool[i]) != 0;
			if (!used && gnutls_x509_crt_check_issuer(cur, pool[i]))
				next = pool[i];
		}
		if (next == NULL || n == TRUST_MAX_CHAIN) {
			rc = trust_int_error(
				t, TRUST_ERR_UNTRUSTED,
				"%s: %s of '%s' is neither in the signature "
				"nor in the trust store",
				what,
				next ? "the chain is too long; the issuer"
				     : "the issuer",
				cn ? cn : "?");
			free(cn);
			break;
		}
		free(cn);
		chain[n++] = next;
	}
	/* Report what was found, trusted root last. */
	struct trust_cert *info = NULL;
	size_t ninfo = 0;
	bool mem = true;
	for (size_t i = 0; i < n && mem; i++)
		mem = add_info(&info, &ninfo, chain[i]);
	/* A trusted root at the end of the chain itself is reported once. */
	if (mem && root && !gnutls_x509_crt_equals(root, chain[n - 1]))
		mem = add_info(&info, &ninfo, root);
	*info_ret = info;
	*ninfo_ret = ninfo;
	if (!mem) {
		rc = trust_int_error(t, TRUST_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (rc)
		goto out;
	*complete_ret = true;

	gnutls_typed_vdata_st vd = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
				     .data = (unsigned char *)purpose };
	unsigned status = 0;
	int r = gnutls_x509_trust_list_verify_crt2(
		t->tl, chain, (unsigned)n, &vd, 1, VERIFY_FLAGS, &status, NULL);
	if (r < 0 || status) {
		gnutls_datum_t out = { NULL, 0 };
		if (r >= 0)
			gnutls_certificate_verification_status_print(
				status, GNUTLS_CRT_X509, &out, 0);
		rc = trust_int_error(t,
				     (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
					     ? TRUST_ERR_UNTRUSTED
					     : TRUST_ERR_CHAIN,
				     "%s: %s", what,
				     r < 0	? gnutls_strerror(r)
				     : out.data ? (const char *)out.data
						: "rejected");
		gnutls_free(out.data);
		goto out;
	}
	/* Every certificate, the root included, valid at @when. */
	for (size_t i = 0; i < ninfo; i++) {
		if (when >= info[i].not_before && when <= info[i].not_after)
			continue;
		char w[32], a[32], b[32];
		fmt_time(when, w, sizeof(w));
		fmt_time(info[i].not_before, a, sizeof(a));
		fmt_time(info[i].not_after, b, sizeof(b));
		rc = trust_int_error(t, TRUST_ERR_CHAIN,
				     "%s: certificate '%s' was not valid at "
				     "%s (valid %s to %s)",
				     what, info[i].cn, w, a, b);
		break;
	}
out:
	if (root)
		gnutls_x509_crt_deinit(root);
	return rc;
}

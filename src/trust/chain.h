/*
 * chain.h - chains to the trust store, judged at a given time.
 */
#ifndef HVO_TRUST_CHAIN_H
#define HVO_TRUST_CHAIN_H

#include "trust/internal.h"

/*
 * Builds the chain of @leaf from the certificates in @pool to a root of
 * @t's store, and verifies it for the key purpose @purpose (an OID) with
 * every certificate valid at @when.  @what names the chain in messages
 * ("signer", "timestamp").  The certificates found (leaf first, the
 * trusted root last when found) are described in a new array *@info_ret
 * of *@ninfo_ret (free with trust_int_cert_info_free), even on failure;
 * *@complete_ret says whether the chain reached a trusted root.  Returns
 * TRUST_OK, TRUST_ERR_UNTRUSTED, TRUST_ERR_CHAIN or TRUST_ERR_NOMEM, with
 * the message on @t.
 */
int trust_int_chain_check(struct trust *t, const char *what,
			  gnutls_x509_crt_t leaf, gnutls_x509_crt_t *pool,
			  size_t npool, const char *purpose, time_t when,
			  struct trust_cert **info_ret, size_t *ninfo_ret,
			  bool *complete_ret);

#endif /* HVO_TRUST_CHAIN_H */

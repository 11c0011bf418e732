/*
 * countersig.h - the PKCS#9 (Authenticode) countersignature.
 */
#ifndef HVO_TRUST_COUNTERSIG_H
#define HVO_TRUST_COUNTERSIG_H

#include "trust/p7.h"

/*
 * Verifies the countersignature SignerInfo @si (DER) of @outer's
 * SignerInfo: it covers the signature value, verifies with a certificate
 * of @outer, and that certificate chains to the store for time stamping
 * at its signing time.  Sets v->ts_time, ts_signer, ts_chain and
 * ts_verified.  Returns TRUST_OK or TRUST_ERR_TIMESTAMP (message on @t).
 */
int trust_int_countersig(struct trust *t, const struct trust_p7 *outer,
			 const gnutls_datum_t *si, struct trust_verdict *v);

/*
 * What both kinds of timestamp check of their signer: its certificate
 * (in @ts or @outer; @who names it in messages, "signer's"), @ts's
 * signature over @data (NULL: the content @ts embeds), and its chain for
 * time stamping at v->ts_time from the certificates of @ts and @outer.
 * Sets v->ts_signer, ts_chain and ts_verified.  Returns TRUST_OK or
 * TRUST_ERR_TIMESTAMP (message on @t).
 */
int trust_int_ts_signer_check(struct trust *t, const struct trust_p7 *ts,
			      const struct trust_p7 *outer,
			      const gnutls_datum_t *data, const char *who,
			      struct trust_verdict *v);

#endif /* HVO_TRUST_COUNTERSIG_H */

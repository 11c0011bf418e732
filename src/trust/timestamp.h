/*
 * timestamp.h - the countersignature that dates a signature.
 */
#ifndef HVO_TRUST_TIMESTAMP_H
#define HVO_TRUST_TIMESTAMP_H

#include "trust/p7.h"

/*
 * Finds and verifies the timestamp among the unsigned attributes of
 * @outer's SignerInfo.  Sets v->ts_kind (TRUST_TS_NONE without one),
 * ts_time, ts_signer, ts_chain and, when everything verified (the token
 * covers this signature, its signature, its chain to the store with the
 * time-stamping purpose at its own time), ts_verified.  Returns TRUST_OK
 * (also without a timestamp) or TRUST_ERR_TIMESTAMP / NOMEM, message on @t.
 */
int trust_int_timestamp(struct trust *t, const struct trust_p7 *outer,
			struct trust_verdict *v);

#endif /* HVO_TRUST_TIMESTAMP_H */

/*
 * internal.h - what the files of src/trust/ share.
 */
#ifndef HVO_TRUST_INTERNAL_H
#define HVO_TRUST_INTERNAL_H

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "trust/trust.h"

/* The largest signature blob we read: real integration-services
 * cabinets carry 8-12 KiB; a signature with many nested countersignatures
 * stays far below 1 MiB. */
#define TRUST_MAX_SIG_LEN (1u << 20)

/* The deepest chain we build (signer .. root).  Microsoft's are 3 deep. */
#define TRUST_MAX_CHAIN 8

/* The largest root file we read. */
#define TRUST_MAX_ROOT_FILE (1u << 20)

struct trust {
	gnutls_x509_trust_list_t tl;
	size_t nroots;
	char errmsg[1024];
};

/* Sets the handle's message (printf-style) and returns @err. */
int trust_int_error(struct trust *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Where the signature is, from the cabinet header's reserve. */
struct trust_cab_sig {
	size_t offset; /* of the PKCS#7 blob (== cbCabinet) */
	size_t size;   /* as recorded (DER plus padding) */
};

/*
 * Finds the signature of the cabinet in @buf.  Returns TRUST_OK,
 * TRUST_ERR_UNSIGNED (no 20-byte reserve, or it names no signature) or
 * TRUST_ERR_MALFORMED, with the message on @t.
 */
int trust_int_cab_locate(struct trust *t, const uint8_t *buf, size_t len,
			 struct trust_cab_sig *sig);

/*
 * The Authenticode digest of a signed cabinet with algorithm @alg into
 * @out (at least 64 bytes); *@out_len is set.  Returns TRUST_OK or
 * TRUST_ERR_MALFORMED (message on @t).
 */
int trust_int_cab_digest(struct trust *t, const uint8_t *buf, size_t len,
			 const struct trust_cab_sig *sig,
			 gnutls_digest_algorithm_t alg, uint8_t *out,
			 size_t *out_len);

/* Fills @c from @crt.  Returns false on out of memory. */
bool trust_int_cert_info(gnutls_x509_crt_t crt, struct trust_cert *c);

/* Frees what trust_int_cert_info allocated in @n certificates and the
 * array. */
void trust_int_cert_info_free(struct trust_cert *c, size_t n);

/* Lower-case hex of @n bytes into a new string (NULL on out of memory). */
char *trust_int_hex(const uint8_t *b, size_t n);

#endif /* HVO_TRUST_INTERNAL_H */

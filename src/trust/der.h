/*
 * der.h - a minimal, bounds-checked DER reader.
 *
 * GnuTLS parses the PKCS#7 SignedData and the certificates; what it hands
 * back opaque (the Authenticode SpcIndirectDataContent, the RFC 3161
 * TSTInfo) is read here.  Only definite lengths (DER, X.690 section 10.1),
 * at most four length bytes, and low tag numbers: anything else is
 * malformed, never guessed at.
 */
#ifndef HVO_TRUST_DER_H
#define HVO_TRUST_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Universal tags used by the structures we read. */
enum {
	DER_INTEGER = 0x02,
	DER_OCTET_STRING = 0x04,
	DER_NULL = 0x05,
	DER_OID = 0x06,
	DER_UTCTIME = 0x17,
	DER_GENERALIZEDTIME = 0x18,
	DER_SEQUENCE = 0x30,
	DER_SET = 0x31,
};

/* A cursor over @len bytes; never reads outside them. */
struct der {
	const uint8_t *p;
	size_t len;
};

/* One element: its tag, its contents, and the whole encoding. */
struct der_elem {
	uint8_t tag;
	const uint8_t *body;
	size_t body_len;
	const uint8_t *raw; /* tag and length included */
	size_t raw_len;
};

/* Reads the next element and advances.  Returns false at the end or on a
 * malformed encoding (then the cursor is left unchanged). */
bool trust_int_der_next(struct der *d, struct der_elem *e);

/* Reads the next element, which must have tag @tag. */
bool trust_int_der_expect(struct der *d, uint8_t tag, struct der_elem *e);

/* A cursor over an element's contents. */
struct der trust_int_der_enter(const struct der_elem *e);

/* Formats an OID's contents as dotted text into @buf (@size >= 16).
 * Returns false if malformed or too long for @buf. */
bool trust_int_der_oid_str(const struct der_elem *e, char *buf, size_t size);

/* Parses a GeneralizedTime (RFC 3161 genTime: YYYYMMDDhhmmss[.f...]Z) or
 * UTCTime into seconds since the epoch. */
bool trust_int_der_time(const struct der_elem *e, time_t *t_ret);

#endif /* HVO_TRUST_DER_H */

/*
 * trust.h - Authenticode signatures of Microsoft cabinets.
 *
 * A signed cabinet carries a PKCS#7 SignedData after its last byte
 * (cbCabinet); the 20-byte header reserve says where.  The signed content
 * is an Authenticode SpcIndirectDataContent holding the digest of the
 * cabinet as Windows defines it for CAB files (most header fields, the
 * CFFOLDER table, then every byte up to the signature).  Verifying a
 * cabinet here means, in order, each failure named:
 *
 *   digest     the cabinet's digest equals the signed one;
 *   signature  the SignerInfo verifies with the signer's certificate;
 *   timestamp  a countersignature (RFC 3161 token or Authenticode
 *              countersignature), if any, verifies and covers the
 *              signature; its time is when the chain is judged;
 *   chain      the signer's certificate chains to a root of the trust store
 *              with the code-signing purpose, every certificate valid at
 *              the timestamp (or now, without one), as Windows judges
 *              expired signing certificates.
 *
 * GnuTLS does the cryptography and the X.509/PKCS#7 parsing; nothing of
 * that is written here.
 *
 * Conventions: functions return 0 (TRUST_OK) or a positive enum
 * trust_error; the detailed message of the last error is kept on the
 * handle (trust_errmsg); free functions accept NULL; output parameters end
 * in _ret.  The library never prints.
 */
#ifndef HVOFFLINE_TRUST_H
#define HVOFFLINE_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hvoffline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes.  The values are fixed (they may be logged or stored). */
enum trust_error {
	TRUST_OK = 0,
	TRUST_ERR_NOMEM = 1,	 /* out of memory */
	TRUST_ERR_IO = 2,	 /* the cabinet or a root cannot be read */
	TRUST_ERR_STORE = 3,	 /* a trust-store file holds no certificate */
	TRUST_ERR_UNSIGNED = 4,	 /* the cabinet carries no signature */
	TRUST_ERR_MALFORMED = 5, /* header reserve or PKCS#7 malformed */
	TRUST_ERR_DIGEST = 6, /* the cabinet's digest is not the signed one */
	TRUST_ERR_SIGNATURE = 7,  /* the SignerInfo does not verify */
	TRUST_ERR_TIMESTAMP = 8,  /* the countersignature does not verify */
	TRUST_ERR_CHAIN = 9,	  /* a certificate of the chain is invalid */
	TRUST_ERR_UNTRUSTED = 10, /* the chain ends at no trusted root */
	TRUST_ERR_MAX = TRUST_ERR_UNTRUSTED,
};

/* A short static description of @err ("digest mismatch"). */
const char *trust_strerror(int err);

/* A one-word static name of @err for reports: "ok", "unsigned",
 * "malformed", "digest", "signature", "timestamp", "chain", "untrusted",
 * or "error". */
const char *trust_error_name(int err);

/*
 * The exit class of an error (SERVICING.md section 4): every verification
 * failure is corrupt input (HVO_EXIT_CORRUPT), except that with
 * @allow_unsigned an unsigned or untrusted cabinet is accepted
 * (HVO_EXIT_OK); NOMEM, IO and STORE are HVO_EXIT_FAILED.
 */
enum hvo_exit trust_exit_class(int err, bool allow_unsigned);

/* True if @allow_unsigned lets a cabinet with this result through. */
bool trust_error_allowable(int err);

/* ------------------------------------------------------------------ */
/* The trust store                                                     */
/* ------------------------------------------------------------------ */

struct trust; /* a trust store and the last error (opaque) */

/* Makes an empty store.  Returns 0 or TRUST_ERR_NOMEM (*ret NULL). */
int trust_new(struct trust **ret);

void trust_free(struct trust *t);

/* The detailed message of the last error ("" if none).  Valid until the
 * next call on @t. */
const char *trust_errmsg(const struct trust *t);

/* Adds every certificate of a PEM (or DER) file as a trusted root. */
int trust_add_root_file(struct trust *t, const char *path);

/* Adds every "*.pem" file of @dir (sorted by name) as trusted roots.
 * A directory without one is TRUST_ERR_STORE. */
int trust_add_root_dir(struct trust *t, const char *dir);

/* Number of roots added so far. */
size_t trust_root_count(const struct trust *t);

/*
 * The directory of the shipped roots: $HVOFFLINE_TRUST_DIR if set, else
 * the installed $(datadir)/hvoffline/trust if it exists, else data/trust
 * of the source tree this was built from (an uninstalled build).  Static.
 */
const char *trust_default_dir(void);

/* ------------------------------------------------------------------ */
/* Verifying a cabinet                                                 */
/* ------------------------------------------------------------------ */

/* One certificate of a chain, as reported. */
struct trust_cert {
	char *subject;	 /* RFC 4514 DN */
	char *issuer;	 /* RFC 4514 DN */
	char *cn;	 /* subject CN, or the subject DN without one */
	char *serial;	 /* hex */
	char sha256[65]; /* fingerprint of the DER, lower-case hex */
	time_t not_before, not_after;
};

enum trust_ts_kind {
	TRUST_TS_NONE = 0,	   /* no countersignature */
	TRUST_TS_RFC3161 = 1,	   /* 1.3.6.1.4.1.311.3.3.1 token */
	TRUST_TS_AUTHENTICODE = 2, /* PKCS#9 countersignature */
};

/* What was found and judged.  Fields are NULL/0 where verification
 * stopped before reaching them. */
struct trust_verdict {
	int status;		/* TRUST_OK or the first failure */
	char *message;		/* detailed message of the failure, or NULL */
	char *digest_algorithm; /* "SHA256" */
	char *digest_signed;	/* hex, from SpcIndirectDataContent */
	char *digest_computed;	/* hex, of the cabinet */
	uint64_t signature_offset; /* where the PKCS#7 blob starts */
	uint64_t signature_size;   /* its size in the header reserve */
	char *signer;		   /* the signer certificate's CN */
	struct trust_cert *chain;  /* signer first, trusted root last */
	size_t nchain;
	bool chain_complete; /* chain[nchain-1] is a trusted root */
	enum trust_ts_kind ts_kind;
	bool ts_verified;
	time_t ts_time;		     /* the countersigned time */
	char *ts_signer;	     /* the time-stamping authority's CN */
	struct trust_cert *ts_chain; /* the TSA's chain, root last */
	size_t nts_chain;
	time_t judged_at; /* when the chain's validity was judged */
};

void trust_verdict_free(struct trust_verdict *v);

/* A static word for a verdict: "trusted", "unsigned", "tampered" (digest,
 * signature or malformed), "bad-timestamp", "untrusted" (chain or root),
 * or "error". */
const char *trust_verdict_word(const struct trust_verdict *v);

/*
 * Verifies the Authenticode signature of the cabinet in @buf (@len bytes;
 * @name is used in messages).  Returns TRUST_OK or the failure, and in
 * every case but NOMEM a verdict in *@ret (caller frees with
 * trust_verdict_free) whose status is the return value.
 */
int trust_verify_cab_mem(struct trust *t, const uint8_t *buf, size_t len,
			 const char *name, struct trust_verdict **ret);

/* The same for a cabinet file. */
int trust_verify_cab_file(struct trust *t, const char *path,
			  struct trust_verdict **ret);

#ifdef __cplusplus
}
#endif

#endif /* HVOFFLINE_TRUST_H */

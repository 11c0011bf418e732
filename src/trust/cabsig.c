/*
 * cabsig.c - where a cabinet's Authenticode signature is, and the digest
 * Windows computes over a signed cabinet.
 *
 * A signed cabinet (signtool, makecab /signature) sets RESERVE_PRESENT
 * with a 20-byte header reserve (cbCFHeader = 20, cbCFFolder = cbCFData =
 * 0).  In that reserve, at cabinet offset 44, a u32 gives the offset of the
 * PKCS#7 blob and at 48 a u32 its size; the blob starts at cbCabinet,
 * padded to 8 bytes.  (The layout is undocumented by Microsoft; it is the
 * one signtool writes and osslsigncode reads.)
 *
 * The digest covers (Windows' CAB SIP, as osslsigncode reproduces it):
 *   "MSCF" (0-3); not reserved1 (4-7);
 *   cbCabinet, reserved2, coffFiles, reserved3, version, cFolders, cFiles,
 *   flags, setID (8-33);
 *   not iCabinet, cbCFHeader, cbCFFolder, cbCFData, nor the reserve's
 *   first 16 bytes (34-55, which hold the signature's offset and size);
 *   the reserve's last 4 bytes (56-59);
 *   the previous/next cabinet and disk names, if any;
 *   the CFFOLDER table (8 bytes each);
 *   then every byte from coffFiles up to the signature.
 */
#include <config.h>

#include <gnutls/crypto.h>
#include <string.h>

#include "trust/internal.h"
#include "util/bytes.h"

/* CFHEADER fields (MS-CAB 2.1). */
#define CFH_SIGNATURE	 0
#define CFH_CBCABINET	 8
#define CFH_COFFFILES	 16
#define CFH_CFOLDERS	 26
#define CFH_FLAGS	 30
#define CFH_CBCFHEADER	 36
#define CFH_CBCFFOLDER	 38
#define CFH_CBCFDATA	 39
#define CFH_RESERVE	 40
#define CFH_FIXED_LEN	 36 /* without the optional reserve sizes */

#define CFH_FLAG_PREV	 0x0001
#define CFH_FLAG_NEXT	 0x0002
#define CFH_FLAG_RESERVE 0x0004

/* The Authenticode reserve: 20 bytes, the signature's offset and size at
 * reserve offsets 4 and 8. */
#define SIG_RESERVE_LEN 20
#define SIG_RES_OFFSET	(CFH_RESERVE + 4)
#define SIG_RES_SIZE	(CFH_RESERVE + 8)
#define SIG_RES_TAIL	(CFH_RESERVE + 16)
#define SIG_HEADER_END	(CFH_RESERVE + SIG_RESERVE_LEN) /* 60 */

/* DER is padded to a multiple of 8 bytes in the file. */
#define SIG_PAD_ALIGN 8

#define CFFOLDER_LEN  8

int trust_int_cab_locate(struct trust *t, const uint8_t *buf, size_t len,
			 struct trust_cab_sig *sig)
{
	if (len < CFH_FIXED_LEN || memcmp(buf + CFH_SIGNATURE, "MSCF", 4) != 0)
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "not a cabinet (no MSCF header)");
	uint16_t flags = get_le16(buf + CFH_FLAGS);
	if (!(flags & CFH_FLAG_RESERVE) || len < SIG_HEADER_END ||
	    get_le16(buf + CFH_CBCFHEADER) != SIG_RESERVE_LEN)
		return trust_int_error(t, TRUST_ERR_UNSIGNED,
				       "no Authenticode signature (the header "
				       "has no 20-byte reserve)");
	uint32_t cb = get_le32(buf + CFH_CBCABINET);
	uint32_t off = get_le32(buf + SIG_RES_OFFSET);
	uint32_t size = get_le32(buf + SIG_RES_SIZE);
	if (off == 0 && size == 0)
		return trust_int_error(t, TRUST_ERR_UNSIGNED,
				       "no Authenticode signature (the header "
				       "reserve names none)");
	if (buf[CFH_CBCFFOLDER] != 0 || buf[CFH_CBCFDATA] != 0)
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "signature reserve: folder or data "
				       "reserves are not empty");
	/* The signature follows the cabinet exactly, and nothing follows
	 * the signature: bytes outside both would be covered by nothing. */
	if (off != cb)
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "signature offset %u is not the "
				       "cabinet size %u",
				       off, cb);
	if (size == 0 || size > TRUST_MAX_SIG_LEN || off > len ||
	    size > len - off)
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "signature of %u bytes at %u lies "
				       "outside the %zu-byte file",
				       size, off, len);
	if (len - off - size != 0)
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "%zu bytes follow the signature",
				       len - off - size);
	sig->offset = off;
	sig->size = size;
	return TRUST_OK;
}

/* Hashes a NUL-terminated name at *@idx (at most up to @end), as
 * Windows does: the terminator included. */
static bool hash_name(gnutls_hash_hd_t h, const uint8_t *buf, size_t *idx,
		      size_t end)
{
	size_t start = *idx;
	while (*idx < end && buf[*idx] != 0)
		(*idx)++;
	if (*idx >= end)
		return false;
	(*idx)++;
	gnutls_hash(h, buf + start, *idx - start);
	return true;
}

int trust_int_cab_digest(struct trust *t, const uint8_t *buf, size_t len,
			 const struct trust_cab_sig *sig,
			 gnutls_digest_algorithm_t alg, uint8_t *out,
			 size_t *out_len)
{
	size_t end = sig->offset;
	if (end > len || end < SIG_HEADER_END)
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "cabinet too short for its header");
	gnutls_hash_hd_t h;
	if (gnutls_hash_init(&h, alg) < 0)
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "digest algorithm %s unavailable",
				       gnutls_digest_get_name(alg));
	uint16_t flags = get_le16(buf + CFH_FLAGS);
	uint16_t nfolders = get_le16(buf + CFH_CFOLDERS);
	uint32_t coff_files = get_le32(buf + CFH_COFFFILES);
	gnutls_hash(h, buf + CFH_SIGNATURE, 4);
	gnutls_hash(h, buf + CFH_CBCABINET, 34 - CFH_CBCABINET);
	gnutls_hash(h, buf + SIG_RES_TAIL, 4);
	size_t idx = SIG_HEADER_END;
	bool ok = true;
	if (flags & CFH_FLAG_PREV)
		ok = hash_name(h, buf, &idx, end) &&
		     hash_name(h, buf, &idx, end);
	if (ok && (flags & CFH_FLAG_NEXT))
		ok = hash_name(h, buf, &idx, end) &&
		     hash_name(h, buf, &idx, end);
	if (ok && (size_t)nfolders * CFFOLDER_LEN > end - idx)
		ok = false;
	if (ok) {
		gnutls_hash(h, buf + idx, (size_t)nfolders * CFFOLDER_LEN);
		idx += (size_t)nfolders * CFFOLDER_LEN;
		/* The folder table must end where the files begin, or bytes
		 * between them would be covered by nothing. */
		ok = idx == coff_files;
	}
	if (!ok) {
		gnutls_hash_deinit(h, NULL);
		return trust_int_error(t, TRUST_ERR_MALFORMED,
				       "cabinet header: names or folder table "
				       "do not end at coffFiles (%u)",
				       coff_files);
	}
	gnutls_hash(h, buf + idx, end - idx);
	gnutls_hash_deinit(h, out);
	*out_len = gnutls_hash_get_len(alg);
	return TRUST_OK;
}

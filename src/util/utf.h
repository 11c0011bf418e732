/*
 * utf.h - UTF-8 / UTF-16LE conversion.
 *
 * Windows formats store text as UTF-16LE (VHDX parent locators, registry
 * values, INF files, PE version resources); we work in UTF-8.  Conversions
 * are strict in one direction and repairing in the other:
 *
 *   - UTF-16LE -> UTF-8 never fails on content: an unpaired surrogate
 *     becomes U+FFFD, as Windows itself displays it;
 *   - UTF-8 -> UTF-16LE refuses invalid UTF-8 (EILSEQ), because writing a
 *     guessed string into a guest is worse than stopping.
 */
#ifndef HVO_UTIL_UTF_H
#define HVO_UTIL_UTF_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length (1-4) of the valid UTF-8 sequence at @p, or 0 if the bytes at @p do
 * not start one (overlong forms, surrogates and values above U+10FFFF are
 * invalid).  @len is the number of bytes available.
 */
size_t hvo_int_utf8_valid_prefix(const unsigned char *p, size_t len);

/* Whether all @len bytes of @s are valid UTF-8. */
int hvo_int_utf8_valid(const char *s, size_t len);

/*
 * Converts @nbytes of UTF-16LE (an odd final byte is ignored) to a newly
 * allocated, NUL-terminated UTF-8 string in *@out_ret (caller frees); its
 * length without the NUL goes to *@len_ret if not NULL.  Conversion stops at
 * the first U+0000 if @stop_at_nul is set.  Returns 0 or ENOMEM.
 */
int hvo_int_utf16le_to_utf8(const uint8_t *in, size_t nbytes, int stop_at_nul,
			    char **out_ret, size_t *len_ret);

/*
 * Converts @len bytes of UTF-8 to newly allocated UTF-16LE in *@out_ret
 * (caller frees), followed by a two-byte NUL that is not counted in
 * *@nbytes_ret.  Returns 0, EILSEQ for invalid UTF-8, or ENOMEM.
 */
int hvo_int_utf8_to_utf16le(const char *in, size_t len, uint8_t **out_ret,
			    size_t *nbytes_ret);

/*
 * Decodes one code point from valid UTF-8 at *@p (advancing it).  The
 * caller has checked validity with hvo_int_utf8_valid_prefix().
 */
uint32_t hvo_int_utf8_decode(const unsigned char **p);

/* Encodes @cp into @buf (at least 4 bytes); returns the byte count. */
size_t hvo_int_utf8_encode(uint32_t cp, char *buf);

#endif /* HVO_UTIL_UTF_H */

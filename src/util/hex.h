/*
 * hex.h - hexadecimal digits, the one copy.
 *
 * Manifests, .reg files, GUIDs, SHA-256 digests and the CLI's byte
 * arguments all spell bytes as pairs of hex digits in either case.
 */
#ifndef HVO_UTIL_HEX_H
#define HVO_UTIL_HEX_H

/* Returns the value (0-15) of the hex digit @c in either case, or -1 when
 * @c is not one. */
static inline int hvo_int_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Returns the byte (0-255) spelt by the two hex digits at @s, or -1 when
 * either is not a hex digit.  Reads s[1] only when s[0] is a digit, so a
 * string that ends after one character is safe. */
static inline int hvo_int_hex_byte(const char *s)
{
	int hi = hvo_int_hex_digit((unsigned char)s[0]);
	if (hi < 0)
		return -1;
	int lo = hvo_int_hex_digit((unsigned char)s[1]);
	if (lo < 0)
		return -1;
	return hi << 4 | lo;
}

#endif /* HVO_UTIL_HEX_H */

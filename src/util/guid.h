/*
 * guid.h - GUIDs as Windows stores them, to and from text.
 *
 * On disk (VHDX headers and metadata, GPT entries, REG_BINARY values) a
 * GUID is Microsoft's mixed-endian form: Data1 (32 bits), Data2 and Data3
 * (16 bits each) little-endian, then Data4's eight bytes as written.  So
 * 2DC27766-F623-4200-9D64-115E9BFD4A08 is stored as
 * 66 77 C2 2D 23 F6 00 42 9D 64 11 5E 9B FD 4A 08.  Callers keep the stored
 * bytes and convert only to print or parse text.
 */
#ifndef HVO_UTIL_GUID_H
#define HVO_UTIL_GUID_H

#include <stdbool.h>
#include <stdint.h>

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and its terminating NUL. */
#define HVO_GUID_TEXT_SIZE 37

/* Formats the stored GUID @g as 36 hex digits and dashes into @out, lower
 * case unless @upper (GPT tools print upper case, VHDX tools lower). */
void hvo_int_guid_format(const uint8_t g[16], bool upper,
			 char out[HVO_GUID_TEXT_SIZE]);

/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", optionally in braces as
 * INF files and the registry write it, digits in either case, into the
 * stored form @out.  Returns false, leaving @out unchanged, for anything
 * else (including NULL). */
bool hvo_int_guid_parse(const char *s, uint8_t out[16]);

#endif /* HVO_UTIL_GUID_H */

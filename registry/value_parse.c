/*
 * value_parse.c - value data spelt as command-line words.
 *
 * `hvoffline reg set HIVE KEY NAME TYPE DATA...` gives the data as words:
 * a string as one UTF-8 word (stored as UTF-16LE with its terminator), a
 * multi-string as one word per string, a number as one decimal or 0x word,
 * and bytes of any other type as hex pairs ("01,02,ff", "0102ff", or split
 * over several words; ',', ' ' and ':' separate).  Kept beside the value
 * encoders so that every front end (the CLI, scripts through the library)
 * reads the same syntax, and fuzzed (fuzz/fuzz_reg_file.c).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/bytes.h"
#include "util/hex.h"

/* A whole word as an unsigned number up to @max (decimal or 0x-hex; no
 * sign, no trailing text). */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end != '\0' || errno || v > max)
		return -1;
	*out = v;
	return 0;
}

static int invalid(const char **why_ret, const char *why)
{
	if (why_ret)
		*why_ret = why;
	return REG_ERR_INVALID;
}

static int parse_number(uint32_t type, const char *const *words, size_t n,
			uint8_t **data_ret, size_t *len_ret,
			const char **why_ret)
{
	bool q = type == REG_TYPE_QWORD;
	uint64_t v;
	if (n != 1 || parse_u64(words[0], q ? UINT64_MAX : UINT32_MAX, &v))
		return invalid(why_ret, q ? "a QWORD takes one number "
					    "(decimal or 0x...)"
					  : "a DWORD takes one number below "
					    "2^32 (decimal or 0x...)");
	size_t len = q ? 8 : 4;
	uint8_t *b = malloc(len);
	if (b == NULL)
		return REG_ERR_NOMEM;
	if (q)
		put_le64(b, v);
	else if (type == REG_TYPE_DWORD_BE)
		put_le32(b, __builtin_bswap32((uint32_t)v));
	else
		put_le32(b, (uint32_t)v);
	*data_ret = b;
	*len_ret = len;
	return 0;
}

static int parse_bytes(const char *const *words, size_t n, uint8_t **data_ret,
		       size_t *len_ret, const char **why_ret)
{
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += strlen(words[i]) / 2;
	uint8_t *b = malloc(cap);
	if (b == NULL)
		return REG_ERR_NOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		for (const char *s = words[i]; *s;) {
			if (*s == ',' || *s == ' ' || *s == ':') {
				s++;
				continue;
			}
			int byte = hvo_int_hex_byte(s);
			if (byte < 0) {
				free(b);
				return invalid(why_ret,
					       "bad hex bytes (want '01,02,ff' "
					       "or '0102ff')");
			}
			b[k++] = (uint8_t)byte;
			s += 2;
		}
	}
	*data_ret = b;
	*len_ret = k;
	return 0;
}

int reg_value_parse(uint32_t type, const char *const *words, size_t n,
		    uint8_t **data_ret, size_t *len_ret, const char **why_ret)
{
	*data_ret = NULL;
	*len_ret = 0;
	if (why_ret)
		*why_ret = NULL;
	int rc;
	switch (type) {
	case REG_TYPE_SZ:
	case REG_TYPE_EXPAND_SZ:
	case REG_TYPE_LINK:
		if (n != 1)
			return invalid(why_ret,
				       "a string value takes one TEXT");
		rc = reg_encode_string(words[0], data_ret, len_ret);
		if (rc == REG_ERR_INVALID)
			return invalid(why_ret, "TEXT is not valid UTF-8");
		return rc;
	case REG_TYPE_MULTI_SZ:
		rc = reg_encode_multi(words, n, data_ret, len_ret);
		if (rc == REG_ERR_INVALID)
			return invalid(why_ret, "multi_sz strings must be "
						"valid UTF-8 and not empty");
		return rc;
	case REG_TYPE_DWORD:
	case REG_TYPE_DWORD_BE:
	case REG_TYPE_QWORD:
		return parse_number(type, words, n, data_ret, len_ret, why_ret);
	default:
		return parse_bytes(words, n, data_ret, len_ret, why_ret);
	}
}

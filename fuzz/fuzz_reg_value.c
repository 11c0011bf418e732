/*
 * fuzz_reg_value.c - value data spelt as words (reg_value_parse(), what
 * `hvoffline reg set` takes).
 *
 * Input: one byte of value type (0-11, or 12-255 for a type number
 * without a name), then the words separated by NUL bytes.  Invariants
 * (abort when broken): a parse succeeds or fails with REG_ERR_INVALID and
 * a reason; a parsed string decodes back to its word; a parsed DWORD or
 * QWORD has 4 or 8 bytes; hex bytes are at most half the words' length.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/reg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	uint32_t type = data[0];
	/* The words: NUL-separated, in a copy that ends with a NUL. */
	char *text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	size_t n = 0, cap = 8;
	const char **words = malloc(cap * sizeof(*words));
	size_t total = 0;
	for (char *p = text; words != NULL && p < text + size - 1;) {
		if (n == cap) {
			cap *= 2;
			const char **w = realloc(words, cap * sizeof(*w));
			if (w == NULL)
				break;
			words = w;
		}
		words[n++] = p;
		total += strlen(p);
		p += strlen(p) + 1;
	}
	if (words == NULL) {
		free(text);
		return 0;
	}
	uint8_t *out;
	size_t len;
	const char *why;
	int rc = reg_value_parse(type, words, n, &out, &len, &why);
	if (rc == REG_ERR_INVALID) {
		if (why == NULL || out != NULL)
			abort();
	} else if (rc == 0) {
		struct reg_value v = { .name = (char *)"",
				       .type = type,
				       .len = len,
				       .data = out };
		if (type == REG_TYPE_DWORD || type == REG_TYPE_DWORD_BE) {
			if (len != 4)
				abort();
		} else if (type == REG_TYPE_QWORD) {
			if (len != 8)
				abort();
		} else if (type == REG_TYPE_SZ || type == REG_TYPE_EXPAND_SZ ||
			   type == REG_TYPE_LINK) {
			/* reg_value_string() needs a NUL after the data. */
			uint8_t *z = calloc(len + 2, 1);
			char *s = NULL;
			if (z == NULL)
				abort();
			memcpy(z, out, len);
			v.data = z;
			if (reg_value_string(&v, &s) != 0 ||
			    (strlen(words[0]) == strlen(s) &&
			     strcmp(s, words[0]) != 0))
				abort();
			free(s);
			free(z);
		} else if (type != REG_TYPE_MULTI_SZ) {
			if (len > total / 2)
				abort();
		}
		free(out);
	} else if (rc != REG_ERR_NOMEM) {
		abort();
	}
	free(words);
	free(text);
	return 0;
}

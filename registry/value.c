/*
 * value.c - encoding and decoding value data of the common types.
 *
 * Strings in the registry are UTF-16LE.  REG_SZ and REG_EXPAND_SZ carry
 * their NUL terminator (libhivex stores bytes as given, so the encoder
 * adds it); REG_MULTI_SZ is a list of NUL-terminated strings ended by an
 * empty one.  Readers stop at the first NUL, as Windows' own readers do,
 * and turn unpaired surrogates into U+FFFD.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/bytes.h"
#include "util/utf.h"

int reg_encode_string(const char *utf8, uint8_t **data_ret, size_t *len_ret)
{
	uint8_t *out;
	size_t n;
	int e = hvo_int_utf8_to_utf16le(utf8, strlen(utf8), &out, &n);
	if (e != 0)
		return e == ENOMEM ? REG_ERR_NOMEM : REG_ERR_INVALID;
	*data_ret = out;
	*len_ret = n + 2; /* the terminator hvo_int_utf8_to_utf16le added */
	return 0;
}

int reg_encode_multi(const char *const *strs, size_t n, uint8_t **data_ret,
		     size_t *len_ret)
{
	size_t total = 2;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(strs[i]);
		if (l == 0 || !hvo_int_utf8_valid(strs[i], l))
			return REG_ERR_INVALID;
		total += 2 * l + 2;
	}
	uint8_t *out = malloc(total);
	if (out == NULL)
		return REG_ERR_NOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *u;
		size_t ul;
		if (hvo_int_utf8_to_utf16le(strs[i], strlen(strs[i]), &u,
					    &ul)) {
			free(out);
			return REG_ERR_NOMEM;
		}
		memcpy(out + o, u, ul + 2);
		o += ul + 2;
		free(u);
	}
	put_le16(out + o, 0);
	o += 2;
	*data_ret = out;
	*len_ret = o;
	return 0;
}

int reg_value_string(const struct reg_value *v, char **s_ret)
{
	if (v->type != REG_TYPE_SZ && v->type != REG_TYPE_EXPAND_SZ &&
	    v->type != REG_TYPE_LINK)
		return REG_ERR_INVALID;
	int e = hvo_int_utf16le_to_utf8(v->data, v->len, 1, s_ret, NULL);
	return e ? REG_ERR_NOMEM : 0;
}

int reg_value_multi(const struct reg_value *v, char ***strs_ret, size_t *n_ret)
{
	*strs_ret = NULL;
	*n_ret = 0;
	if (v->type != REG_TYPE_MULTI_SZ)
		return REG_ERR_INVALID;
	size_t units = v->len / 2, count = 0;
	char **out = calloc(units / 2 + 1, sizeof(*out));
	if (out == NULL)
		return REG_ERR_NOMEM;
	size_t i = 0;
	while (i < units) {
		size_t j = i;
		while (j < units && get_le16(v->data + 2 * j) != 0)
			j++;
		if (j == i)
			break; /* the empty string ends the list */
		if (hvo_int_utf16le_to_utf8(v->data + 2 * i, 2 * (j - i), 0,
					    &out[count], NULL) != 0) {
			reg_names_free(out, count);
			return REG_ERR_NOMEM;
		}
		count++;
		i = j + 1;
	}
	*strs_ret = out;
	*n_ret = count;
	return 0;
}

int reg_value_dword(const struct reg_value *v, uint32_t *ret)
{
	if (v->len != 4)
		return REG_ERR_INVALID;
	if (v->type == REG_TYPE_DWORD)
		*ret = get_le32(v->data);
	else if (v->type == REG_TYPE_DWORD_BE)
		*ret = (uint32_t)v->data[0] << 24 | (uint32_t)v->data[1] << 16 |
		       (uint32_t)v->data[2] << 8 | v->data[3];
	else
		return REG_ERR_INVALID;
	return 0;
}

int reg_value_qword(const struct reg_value *v, uint64_t *ret)
{
	if (v->type != REG_TYPE_QWORD || v->len != 8)
		return REG_ERR_INVALID;
	*ret = get_le64(v->data);
	return 0;
}

bool reg_value_is_exact(const struct reg_value *v)
{
	uint8_t *re = NULL;
	size_t relen = 0;
	char *s = NULL;
	char **strs = NULL;
	size_t n = 0;
	bool exact = false;
	switch (v->type) {
	case REG_TYPE_SZ:
	case REG_TYPE_EXPAND_SZ:
	case REG_TYPE_LINK:
		if (reg_value_string(v, &s) == 0 &&
		    reg_encode_string(s, &re, &relen) == 0)
			exact = relen == v->len &&
				memcmp(re, v->data, relen) == 0;
		break;
	case REG_TYPE_MULTI_SZ:
		if (reg_value_multi(v, &strs, &n) == 0 &&
		    reg_encode_multi((const char *const *)strs, n, &re,
				     &relen) == 0)
			exact = relen == v->len &&
				memcmp(re, v->data, relen) == 0;
		break;
	case REG_TYPE_DWORD:
	case REG_TYPE_DWORD_BE:
		exact = v->len == 4;
		break;
	case REG_TYPE_QWORD:
		exact = v->len == 8;
		break;
	default:
		break;
	}
	free(s);
	free(re);
	reg_names_free(strs, n);
	return exact;
}

void reg_names_free(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void reg_value_free(struct reg_value *v)
{
	if (v == NULL)
		return;
	free(v->name);
	free(v->data);
	free(v);
}

void reg_values_free(struct reg_value *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].data);
	}
	free(v);
}

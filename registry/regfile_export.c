/*
 * regfile_export.c - writing keys as a "Windows Registry Editor Version
 * 5.00" file, UTF-16LE with BOM and CRLF as regedit writes it, or UTF-8
 * with LF (which hivexregedit --merge reads).  Strings that survive a
 * round trip are written as "text", DWORDs as dword:, all else as hex.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/bytes.h"
#include "util/fileio.h"
#include "util/utf.h"

struct exporter {
	struct reg_hive *h;
	FILE *out; /* UTF-8 text (converted at the end if needed) */
	const char *nl;
};

static void put_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static bool has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* Whether REG_SZ data round-trips as "text": exact, and no line break
 * (the file is line-oriented). */
static bool sz_as_text(const struct reg_value *v)
{
	if (!reg_value_is_exact(v))
		return false;
	for (size_t i = 0; i + 1 < v->len; i += 2)
		if (get_le16(v->data + i) == '\r' ||
		    get_le16(v->data + i) == '\n')
			return false;
	return true;
}

static void put_hex(struct exporter *x, size_t col, const struct reg_value *v)
{
	if (v->type == REG_TYPE_BINARY)
		col += (size_t)fprintf(x->out, "hex:");
	else
		col += (size_t)fprintf(x->out, "hex(%x):", v->type);
	for (size_t i = 0; i < v->len; i++) {
		/* regedit's layout: lines under 80 columns, continued with
		 * ",\" and two spaces. */
		if (i > 0) {
			fputc(',', x->out);
			col++;
			if (col > 76) {
				fprintf(x->out, "\\%s  ", x->nl);
				col = 2;
			}
		}
		fprintf(x->out, "%02x", v->data[i]);
		col += 2;
	}
}

static int export_value(struct exporter *x, const char *key,
			const struct reg_value *v)
{
	if (has_line_break(v->name))
		return reg_int_fail(
			x->h, REG_ERR_UNSUPPORTED,
			"value name in '%s' contains a line break: a "
			".reg file cannot hold it",
			key);
	long start = ftell(x->out);
	if (*v->name == '\0')
		fputc('@', x->out);
	else
		put_escaped(x->out, v->name);
	fputc('=', x->out);
	size_t col = (size_t)(ftell(x->out) - start);
	if (v->type == REG_TYPE_SZ && sz_as_text(v)) {
		char *s;
		if (hvo_int_utf16le_to_utf8(v->data, v->len - 2, 0, &s, NULL))
			return reg_int_fail(x->h, REG_ERR_NOMEM,
					    "out of memory");
		put_escaped(x->out, s);
		free(s);
	} else if (v->type == REG_TYPE_DWORD && v->len == 4) {
		fprintf(x->out, "dword:%08x", get_le32(v->data));
	} else {
		put_hex(x, col, v);
	}
	fputs(x->nl, x->out);
	return 0;
}

static int export_key(struct exporter *x, const char *key, const char *shown,
		      unsigned depth)
{
	if (depth > REG_MAX_DEPTH)
		return reg_int_fail(x->h, REG_ERR_CORRUPT,
				    "keys nested too deep");
	if (has_line_break(shown))
		return reg_int_fail(
			x->h, REG_ERR_UNSUPPORTED,
			"key '%s' has a line break in its name: a .reg "
			"file cannot hold it",
			key);
	fprintf(x->out, "[%s]%s", shown, x->nl);
	struct reg_value *vals;
	size_t nv;
	int rc = reg_list_values(x->h, key, &vals, &nv);
	for (size_t i = 0; i < nv && rc == 0; i++)
		rc = export_value(x, key, &vals[i]);
	reg_values_free(vals, nv);
	if (rc)
		return rc;
	fputs(x->nl, x->out);
	char **kids;
	size_t nk;
	rc = reg_list_subkeys(x->h, key, &kids, &nk);
	for (size_t i = 0; i < nk && rc == 0; i++) {
		char *ck, *cs;
		if (asprintf(&ck, "%s%s%s", key, *key ? "\\" : "", kids[i]) < 0)
			ck = NULL;
		if (asprintf(&cs, "%s\\%s", shown, kids[i]) < 0)
			cs = NULL;
		if (ck == NULL || cs == NULL)
			rc = reg_int_fail(x->h, REG_ERR_NOMEM, "out of memory");
		else
			rc = export_key(x, ck, cs, depth + 1);
		free(ck);
		free(cs);
	}
	reg_names_free(kids, nk);
	return rc;
}

int reg_export(struct reg_hive *h, const char *key, const char *prefix,
	       unsigned flags, FILE *out)
{
	reg_int_err_clear(&h->err);
	char *own_pfx = NULL;
	if (prefix == NULL) {
		own_pfx = reg_int_default_prefix(h->path);
		if (own_pfx == NULL)
			return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
		prefix = own_pfx;
	}
	char *k = key ? strdup(key) : strdup("");
	char *text = NULL;
	size_t tlen = 0;
	FILE *mem = open_memstream(&text, &tlen);
	if (k == NULL || mem == NULL) {
		free(k);
		free(own_pfx);
		if (mem)
			fclose(mem);
		free(text);
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	}
	/* Normalise the start key and check that it exists. */
	hive_node_h node;
	int rc = reg_int_lookup(h, k, false, &node);
	struct exporter x = { .h = h,
			      .out = mem,
			      .nl = flags & REG_EXPORT_UTF8 ? "\n" : "\r\n" };
	char *shown = NULL;
	if (rc == 0) {
		char *nk = k;
		while (*nk == '\\')
			nk++;
		size_t l = strlen(nk);
		while (l > 0 && nk[l - 1] == '\\')
			nk[--l] = '\0';
		size_t pl = strlen(prefix);
		while (pl > 0 && prefix[pl - 1] == '\\')
			pl--;
		if (asprintf(&shown, "%.*s%s%s", (int)pl, prefix,
			     *nk ? "\\" : "", nk) < 0)
			shown = NULL;
		if (shown == NULL)
			rc = reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
		else {
			fprintf(mem, "Windows Registry Editor Version 5.00%s%s",
				x.nl, x.nl);
			rc = export_key(&x, nk, shown, 0);
		}
	}
	free(shown);
	free(k);
	free(own_pfx);
	if (fclose(mem) != 0 && rc == 0)
		rc = reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	if (rc == 0) {
		if (flags & REG_EXPORT_UTF8) {
			if (fwrite(text, 1, tlen, out) != tlen)
				rc = reg_int_fail(h, REG_ERR_IO,
						  "write error: %s",
						  strerror(errno));
		} else {
			uint8_t *u16;
			size_t n;
			if (hvo_int_utf8_to_utf16le(text, tlen, &u16, &n) !=
			    0) {
				rc = reg_int_fail(h, REG_ERR_NOMEM,
						  "out of memory");
			} else {
				static const uint8_t bom[2] = { 0xff, 0xfe };
				if (fwrite(bom, 1, 2, out) != 2 ||
				    fwrite(u16, 1, n, out) != n)
					rc = reg_int_fail(h, REG_ERR_IO,
							  "write error: %s",
							  strerror(errno));
				free(u16);
			}
		}
	}
	free(text);
	return rc;
}

int reg_export_file(struct reg_hive *h, const char *key, const char *prefix,
		    unsigned flags, const char *path)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *mem = open_memstream(&text, &tlen);
	if (mem == NULL)
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	int rc = reg_export(h, key, prefix, flags, mem);
	if (fclose(mem) != 0 && rc == 0)
		rc = reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	if (rc == 0) {
		/* Replaced atomically: a reader never sees half an export. */
		struct hvo_atomic_file af;
		int e = hvo_int_atomic_open(path, 0644, &af);
		if (e == 0) {
			e = hvo_int_write_all(af.fd, text, tlen);
			if (e)
				hvo_int_atomic_abort(&af);
			else
				e = hvo_int_atomic_commit(&af);
		}
		if (e)
			rc = reg_int_fail(h, REG_ERR_IO, "%s: cannot write: %s",
					  path, strerror(e));
	}
	free(text);
	return rc;
}

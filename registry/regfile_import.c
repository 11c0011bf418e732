/*
 * regfile_import.c - importing a .reg file: parse it whole, then apply
 * it as one batch.
 *
 * The format is regedit's: a header line ("Windows Registry Editor
 * Version 5.00", or "REGEDIT4" for the ANSI format of Windows 9x/NT 4),
 * then sections
 *
 *   [HKEY_LOCAL_MACHINE\SOFTWARE\Key]      create the key (and parents)
 *   [-HKEY_LOCAL_MACHINE\SOFTWARE\Key]     delete it with its subtree
 *   "Name"="text"                          REG_SZ (\\ and \" escaped)
 *   @="text"                               the default value
 *   "Name"=dword:0000000a                  REG_DWORD (1-8 hex digits)
 *   "Name"=hex:01,02                       REG_BINARY
 *   "Name"=hex(7):41,00,00,00,00,00        any type, given in hex
 *   "Name"=-                               delete the value
 *   "Name"=str(2):"text"                   Wine's typed strings
 *
 * with ';' comment lines and long hex lists continued over lines ending
 * in '\'.  In a 5.00 file string bytes in hex(1)/hex(2)/hex(7) are
 * UTF-16LE; in a REGEDIT4 file they are ANSI bytes, which regedit widens
 * to UTF-16 on import, and so do we.  Files come as UTF-16LE with a BOM
 * (what regedit writes), UTF-8 (what virt-win-reg and hivexregedit users
 * write), or, for REGEDIT4, Windows-1252.  As hivexregedit does, a file
 * may also start directly with a [key] section (libguestfs' recipes do).
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/internal.h"
#include "util/bytes.h"
#include "util/grow.h"
#include "util/hex.h"
#include "util/utf.h"

/* Largest .reg file we read: a full export of a large SOFTWARE hive is a
 * few hundred MiB of UTF-16. */
#define REGFILE_MAX_SIZE (1ull << 30)

/* ---- The parser ---- */

struct op_list {
	struct reg_op *ops;
	size_t n, cap;
	/* Owned strings and data of the ops. */
	void **owned;
	size_t nowned, owned_cap;
};

static int own(struct op_list *l, void *p)
{
	if (p == NULL)
		return REG_ERR_NOMEM;
	void **n = hvo_int_grow(l->owned, l->nowned, &l->owned_cap, sizeof(*n),
				64);
	if (n == NULL) {
		free(p);
		return REG_ERR_NOMEM;
	}
	l->owned = n;
	l->owned[l->nowned++] = p;
	return 0;
}

static int add_op(struct op_list *l, struct reg_op op)
{
	struct reg_op *n = hvo_int_grow(l->ops, l->n, &l->cap, sizeof(*n), 64);
	if (n == NULL)
		return REG_ERR_NOMEM;
	l->ops = n;
	l->ops[l->n++] = op;
	return 0;
}

static void op_list_free(struct op_list *l)
{
	for (size_t i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	free(l->owned);
	free(l->ops);
}

struct parser {
	struct reg_hive *h;
	const char *what;
	unsigned line; /* first physical line of the logical line */
	bool regedit4;
	char *prefix_hive; /* from the prefix, upper-case, or NULL */
	char *prefix_key;  /* resolved, no leading/trailing '\' */
	/* No --prefix and a file not named for a hive: the first
	 * HKLM\<hive> section names the hive the file stands for. */
	bool any_hive;
	const char *key; /* current section (owned by ops), or NULL */
	struct op_list ops;
};

static int syntax(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int syntax(struct parser *p, const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reg_int_fail(p->h, REG_ERR_SYNTAX, "%s: line %u: %s", p->what,
			    p->line, msg);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/*
 * Whether @prefix (already split) covers @comps: compares the first
 * components of @key with the prefix key's, case-insensitively.  Returns
 * the rest of @key (inside @key) or NULL.
 */
static const char *strip_prefix(const char *key, const char *prefix)
{
	if (*prefix == '\0')
		return key;
	const char *k = key, *p = prefix;
	while (*p) {
		const char *pe = strchr(p, '\\');
		const char *ke = strchr(k, '\\');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);
		size_t kl = ke ? (size_t)(ke - k) : strlen(k);
		char *a = strndup(p, pl), *b = strndup(k, kl);
		bool eq = a && b && reg_int_name_eq(a, b);
		free(a);
		free(b);
		if (!eq)
			return NULL;
		p += pl;
		k += kl;
		if (*p == '\\')
			p++;
		if (*p == '\0')
			break;
		if (*k != '\\')
			return NULL;
		k++;
	}
	if (*k == '\0')
		return k;
	if (*k != '\\')
		return NULL;
	return k + 1;
}

/*
 * Maps a section name to a key path inside the hive (caller frees): the
 * prefix is stripped (compared as written, case-insensitively), then a
 * first component CurrentControlSet is mapped to the current control set.
 */
static int map_key(struct parser *p, const char *name, char **key_ret)
{
	char *hive, *key;
	int rc = reg_path_split(name, &hive, &key);
	if (rc == REG_ERR_NOMEM)
		return reg_int_fail(p->h, rc, "out of memory");
	if (rc)
		return syntax(p, "invalid key name '%s'", name);
	if (p->any_hive && hive != NULL && p->prefix_hive == NULL) {
		p->prefix_hive = strdup(hive);
		if (p->prefix_hive == NULL) {
			free(hive);
			free(key);
			return reg_int_fail(p->h, REG_ERR_NOMEM,
					    "out of memory");
		}
	}
	bool same_hive =
		(hive == NULL && p->prefix_hive == NULL) ||
		(hive && p->prefix_hive && strcmp(hive, p->prefix_hive) == 0);
	free(hive);
	const char *rest = same_hive ? strip_prefix(key, p->prefix_key) : NULL;
	if (rest == NULL) {
		free(key);
		return syntax(p,
			      "key '%s' is outside %s%s%s, the key this hive "
			      "stands for (see --prefix)",
			      name,
			      p->prefix_hive ? "HKEY_LOCAL_MACHINE\\" : "",
			      p->prefix_hive ? p->prefix_hive : "",
			      *p->prefix_key ? "\\..." : "");
	}
	rc = reg_int_resolve_ccs(p->h, rest, key_ret);
	free(key);
	return rc;
}

/* Parses a quoted string at *@s (pointing at '"'); advances past it. */
static char *parse_quoted(char **s)
{
	char *in = *s + 1;
	char *out = malloc(strlen(in) + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (;;) {
		char c = *in;
		if (c == '\0') {
			free(out);
			errno = EINVAL;
			return NULL;
		}
		in++;
		if (c == '"')
			break;
		if (c == '\\' && (*in == '\\' || *in == '"')) {
			out[o++] = *in++;
			continue;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	*s = in;
	return out;
}

/* Parses "xx,xx,..." (whitespace allowed) into new bytes. */
static int parse_hex_bytes(struct parser *p, const char *s, uint8_t **out,
			   size_t *len)
{
	size_t cap = strlen(s) / 2 + 1;
	uint8_t *b = malloc(cap);
	if (b == NULL)
		return reg_int_fail(p->h, REG_ERR_NOMEM, "out of memory");
	size_t n = 0;
	bool need_comma = false;
	while (*s) {
		if (*s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		if (*s == ',') {
			if (!need_comma) {
				free(b);
				return syntax(p, "empty byte in hex list");
			}
			need_comma = false;
			s++;
			continue;
		}
		int byte = hvo_int_hex_byte(s);
		if (need_comma || byte < 0) {
			free(b);
			return syntax(p, "bad hex byte list near '%.12s'", s);
		}
		b[n++] = (uint8_t)byte;
		s += 2;
		need_comma = true;
	}
	*out = b;
	*len = n;
	return 0;
}

/* REGEDIT4: widen ANSI string bytes to UTF-16LE (regedit's import). */
static int widen_ansi(uint8_t **data, size_t *len)
{
	uint8_t *w = malloc(*len * 2 + 2);
	if (w == NULL)
		return REG_ERR_NOMEM;
	for (size_t i = 0; i < *len; i++)
		put_le16(w + 2 * i, (uint16_t)reg_int_cp1252((*data)[i]));
	free(*data);
	*data = w;
	*len *= 2;
	return 0;
}

/* An optional "(N)" type after hex or str (N in hex); *@t advances. */
static int parse_type_suffix(struct parser *p, const char **t, uint32_t *type,
			     const char *what)
{
	if (**t != '(')
		return 0;
	char *end;
	errno = 0;
	unsigned long v = strtoul(*t + 1, &end, 16);
	if (end == *t + 1 || *end != ')' || errno || v > UINT32_MAX ||
	    !isxdigit((unsigned char)(*t)[1]))
		return syntax(p, "bad type in %s(...)", what);
	*type = (uint32_t)v;
	*t = end + 1;
	return 0;
}

/* A quoted string ending the line, as UTF-16LE data with its NUL. */
static int parse_string_data(struct parser *p, char *s, uint8_t **data,
			     size_t *len)
{
	char *str = parse_quoted(&s);
	if (str == NULL)
		return errno == EINVAL ? syntax(p, "unterminated string")
				       : reg_int_fail(p->h, REG_ERR_NOMEM,
						      "out of memory");
	if (*trim(s) != '\0') {
		free(str);
		return syntax(p, "text after the closing quote");
	}
	int rc = reg_encode_string(str, data, len);
	free(str);
	return rc ? reg_int_fail(p->h, rc, "out of memory") : 0;
}

static int parse_value_line(struct parser *p, char *line)
{
	if (p->key == NULL)
		return syntax(p, "value outside a [key] section");
	char *s = line;
	char *name;
	if (*s == '@') {
		name = strdup("");
		s++;
	} else if (*s == '"') {
		name = parse_quoted(&s);
		if (name == NULL && errno == EINVAL)
			return syntax(p, "unterminated value name");
	} else {
		return syntax(p, "expected [key], \"name\"= or @=");
	}
	int rc = own(&p->ops, name);
	if (rc)
		return reg_int_fail(p->h, rc, "out of memory");
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '=')
		return syntax(p, "expected '=' after the value name");
	s = trim(s + 1);
	struct reg_op op = { .key = p->key, .name = name };
	if (strcmp(s, "-") == 0) {
		op.kind = REG_OP_DELETE_VALUE;
		rc = add_op(&p->ops, op);
		return rc ? reg_int_fail(p->h, rc, "out of memory") : 0;
	}
	op.kind = REG_OP_SET_VALUE;
	uint8_t *data = NULL;
	size_t len = 0;
	if (*s == '"') {
		rc = parse_string_data(p, s, &data, &len);
		if (rc)
			return rc;
		op.type = REG_TYPE_SZ;
	} else if (strncasecmp(s, "str", 3) == 0 &&
		   (s[3] == ':' || s[3] == '(')) {
		/* Wine's str:"text" and str(N):"text" (hivexregedit reads
		 * them, and libguestfs' recipes use them). */
		const char *t = s + 3;
		op.type = REG_TYPE_SZ;
		rc = parse_type_suffix(p, &t, &op.type, "str");
		if (rc)
			return rc;
		if (t[0] != ':' || t[1] != '"')
			return syntax(p, "expected a quoted string after str");
		rc = parse_string_data(p, (char *)t + 1, &data, &len);
		if (rc)
			return rc;
	} else if (strncasecmp(s, "dword:", 6) == 0) {
		const char *d = s + 6;
		size_t nd = strlen(d);
		if (nd == 0 || nd > 8 ||
		    strspn(d, "0123456789abcdefABCDEF") != nd)
			return syntax(p, "dword: needs 1 to 8 hex digits");
		uint32_t v = (uint32_t)strtoul(d, NULL, 16);
		data = malloc(4);
		if (data == NULL)
			return reg_int_fail(p->h, REG_ERR_NOMEM,
					    "out of memory");
		put_le32(data, v);
		len = 4;
		op.type = REG_TYPE_DWORD;
	} else if (strncasecmp(s, "hex", 3) == 0) {
		const char *t = s + 3;
		uint32_t type = REG_TYPE_BINARY;
		rc = parse_type_suffix(p, &t, &type, "hex");
		if (rc)
			return rc;
		if (*t != ':')
			return syntax(p, "expected ':' after hex");
		rc = parse_hex_bytes(p, t + 1, &data, &len);
		if (rc)
			return rc;
		if (p->regedit4 &&
		    (type == REG_TYPE_SZ || type == REG_TYPE_EXPAND_SZ ||
		     type == REG_TYPE_MULTI_SZ) &&
		    widen_ansi(&data, &len) != 0) {
			free(data);
			return reg_int_fail(p->h, REG_ERR_NOMEM,
					    "out of memory");
		}
		op.type = type;
	} else {
		return syntax(p, "unknown value data '%.20s'", s);
	}
	if (len > REG_MAX_VALUE_SIZE) {
		free(data);
		return syntax(p, "value data of %zu bytes is too large", len);
	}
	if (data == NULL) {
		data = malloc(1);
		if (data == NULL)
			return reg_int_fail(p->h, REG_ERR_NOMEM,
					    "out of memory");
	}
	rc = own(&p->ops, data);
	if (rc)
		return reg_int_fail(p->h, rc, "out of memory");
	op.data = data;
	op.len = len;
	rc = add_op(&p->ops, op);
	return rc ? reg_int_fail(p->h, rc, "out of memory") : 0;
}

static int parse_section(struct parser *p, char *line)
{
	char *close = strrchr(line, ']');
	if (close == NULL || *trim(close + 1) != '\0')
		return syntax(p, "key section without its closing ']'");
	*close = '\0';
	char *name = line + 1;
	bool del = *name == '-';
	if (del)
		name++;
	char *key;
	int rc = map_key(p, name, &key);
	if (rc)
		return rc;
	rc = own(&p->ops, key);
	if (rc)
		return reg_int_fail(p->h, rc, "out of memory");
	struct reg_op op = {
		.kind = del ? REG_OP_DELETE_KEY : REG_OP_CREATE_KEY,
		.key = key,
	};
	if (del && *key == '\0')
		return syntax(p, "the root of the hive cannot be deleted");
	p->key = del ? NULL : key;
	rc = add_op(&p->ops, op);
	return rc ? reg_int_fail(p->h, rc, "out of memory") : 0;
}

/* Whether a physical line continues on the next: it ends in '\' outside
 * a quoted string. */
static bool continues(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || s[len - 1] != '\\')
		return false;
	bool in_str = false;
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] == '"')
			in_str = !in_str;
		else if (in_str && s[i] == '\\')
			i++;
	}
	return !in_str;
}

static int parse_text(struct parser *p, char *text, size_t tlen)
{
	char *pos = text, *end = text + tlen;
	unsigned phys = 0;
	bool header = false;
	char *logical = NULL;
	size_t llen = 0;
	int rc = 0;
	while (pos < end && rc == 0) {
		char *nl = pos;
		while (nl < end && *nl != '\n' && *nl != '\r')
			nl++;
		size_t n = (size_t)(nl - pos);
		phys++;
		/* Skip one line break (\r\n, \n or \r). */
		char *next = nl;
		if (next < end && *next == '\r')
			next++;
		if (next < end && *next == '\n' &&
		    (next == nl || nl[0] == '\r'))
			next++;
		if (llen == 0)
			p->line = phys;
		bool cont = continues(pos, n);
		size_t take = n;
		const char *src = pos;
		if (llen > 0) {
			while (take > 0 && (*src == ' ' || *src == '\t')) {
				src++;
				take--;
			}
		}
		if (cont) {
			while (take > 0 &&
			       (src[take - 1] == ' ' || src[take - 1] == '\t'))
				take--;
			take--; /* the '\' */
		}
		char *nlog = realloc(logical, llen + take + 1);
		if (nlog == NULL) {
			rc = reg_int_fail(p->h, REG_ERR_NOMEM, "out of memory");
			break;
		}
		logical = nlog;
		memcpy(logical + llen, src, take);
		llen += take;
		logical[llen] = '\0';
		pos = next;
		if (cont && pos < end)
			continue;
		char *line = trim(logical);
		if (!header) {
			if (*line == '\0') {
				llen = 0;
				continue;
			}
			if (strcmp(line,
				   "Windows Registry Editor Version 5.00") ==
			    0) {
				header = true;
			} else if (strcmp(line, "REGEDIT4") == 0) {
				header = true;
				p->regedit4 = true;
			} else if (*line == '[') {
				/* No header, as in libguestfs' recipes that
				 * hivexregedit and virt-win-reg accept: read
				 * as version 5.00. */
				header = true;
				rc = parse_section(p, line);
			} else {
				rc = syntax(p,
					    "not a .reg file: the first line "
					    "must be 'Windows Registry "
					    "Editor Version 5.00' or "
					    "'REGEDIT4' or a [key]");
			}
		} else if (*line == '\0' || *line == ';') {
			/* blank or comment */
		} else if (*line == '[') {
			rc = parse_section(p, line);
		} else {
			rc = parse_value_line(p, line);
		}
		llen = 0;
	}
	free(logical);
	if (rc == 0 && !header)
		rc = syntax(p, "empty file: no .reg header");
	return rc;
}

/* Names of the machine hives Windows loads from files (config\, BCD). */
static bool hive_file_name(const char *path)
{
	static const char *const names[] = {
		"SYSTEM",     "SOFTWARE", "SAM",	 "SECURITY", "DEFAULT",
		"COMPONENTS", "DRIVERS",  "BCD00000000", "ELAM",     "BBI",
	};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(base, names[i]) == 0)
			return true;
	return false;
}

static int setup_prefix(struct parser *p, const char *prefix)
{
	char *own_pfx = NULL;
	if (prefix == NULL && !hive_file_name(p->h->path)) {
		/* A copy named otherwise ("system.hiv", "hive.dat"): keys
		 * are HKLM\<hive>\..., one hive per file (issue 18). */
		p->any_hive = true;
		p->prefix_key = strdup("");
		return p->prefix_key ? 0
				     : reg_int_fail(p->h, REG_ERR_NOMEM,
						    "out of memory");
	}
	if (prefix == NULL) {
		own_pfx = reg_int_default_prefix(p->h->path);
		if (own_pfx == NULL)
			return reg_int_fail(p->h, REG_ERR_NOMEM,
					    "out of memory");
		prefix = own_pfx;
	}
	int rc = reg_path_split(prefix, &p->prefix_hive, &p->prefix_key);
	if (rc)
		reg_int_fail(p->h, rc == REG_ERR_NOMEM ? rc : REG_ERR_INVALID,
			     "invalid prefix '%s'", prefix);
	free(own_pfx);
	return rc == REG_ERR_NOMEM || rc == 0 ? rc : REG_ERR_INVALID;
}

int reg_import_buffer(struct reg_hive *h, const uint8_t *buf, size_t len,
		      const char *what, const char *prefix, size_t *nops_ret)
{
	if (nops_ret)
		*nops_ret = 0;
	if (!h->writable)
		return reg_int_fail(h, REG_ERR_READ_ONLY,
				    "not opened for writing");
	struct parser p = { .h = h, .what = what ? what : "(.reg)" };
	char *text;
	size_t tlen;
	int rc = reg_int_regfile_decode(buf, len, &text, &tlen);
	if (rc == REG_ERR_UNSUPPORTED)
		return reg_int_fail(h, REG_ERR_SYNTAX,
				    "%s: UTF-16 big-endian .reg files are not "
				    "supported",
				    p.what);
	if (rc)
		return reg_int_fail(h, rc, "out of memory");
	rc = setup_prefix(&p, prefix);
	if (rc == 0)
		rc = parse_text(&p, text, tlen);
	free(text);
	size_t failed = 0;
	if (rc == 0) {
		rc = reg_apply(h, p.ops.ops, p.ops.n, &failed);
		if (rc) {
			/* Name the operation that failed. */
			char msg[sizeof(h->err.msg)];
			snprintf(msg, sizeof(msg), "%s", h->err.msg);
			reg_int_err_clear(&h->err);
			reg_int_fail(h, rc, "%s: applying key '%s': %s", p.what,
				     p.ops.ops[failed].key, msg);
		}
	}
	if (rc == 0 && nops_ret)
		*nops_ret = p.ops.n;
	op_list_free(&p.ops);
	free(p.prefix_hive);
	free(p.prefix_key);
	return rc;
}

int reg_import(struct reg_hive *h, const char *reg_file, const char *prefix,
	       size_t *nops_ret)
{
	uint8_t *buf;
	size_t len;
	int rc = reg_int_read_file(h, reg_file, REGFILE_MAX_SIZE, false, &buf,
				   &len, NULL);
	if (rc)
		return rc;
	rc = reg_import_buffer(h, buf, len, reg_file, prefix, nops_ret);
	free(buf);
	return rc;
}

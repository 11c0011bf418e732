/*
 * inf_parse.c - INF file syntax: encodings, lines, sections, strings.
 *
 * The rules are Microsoft's "General syntax rules for INF files" and "INF
 * Strings section" (driver docs):
 *
 *   - Unicode INF files are UTF-16LE with a byte-order mark (all the IC
 *     INFs are); others are ANSI.  We also take UTF-8 (with a BOM, or
 *     without one when the bytes are valid UTF-8), and read ANSI as
 *     Windows-1252, the code page of the systems these packages target.
 *   - ';' starts a comment, except inside a "quoted string".
 *   - '\' as the last non-blank character before the end of the line (or
 *     before a comment) continues the entry on the next line.
 *   - Inside quotes, "" is one quote; quotes never span lines (Windows'
 *     parser ends a quoted string at the line end; we call that an error,
 *     since it always is one in practice: an unterminated quote).
 *   - Entries are "key = value, value, ..." or "value, value, ...";
 *     values are separated by commas, blanks around them are dropped
 *     unless quoted.  In [Strings] sections commas are part of the value.
 *   - Section names, keys and directives are case-insensitive; a section
 *     that appears twice is one section with both bodies, in order.
 *   - A field holds at most 4095 characters before and after
 *     substitution.
 *   - %strkey% tokens are replaced from [Strings] (once: values are not
 *     substituted again) and "%%" is a literal percent sign.
 *
 * The result keeps each line's fields raw (quotes removed, %tokens% kept)
 * with its line number, so that every later error can name the line.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "package/internal.h"
#include "util/utf.h"

/* Most lines plus fields held for one INF: with PKG_INF_MAX_SIZE this
 * bounds the memory a hostile file can cost (about 64 bytes each). */
#define INF_MAX_ITEMS 2000000u

struct pkg_inf_index {
	struct pkg_int_map sections; /* name -> index + 1 */
	struct pkg_int_map strings;  /* key -> raw value */
};

/* Windows-1252 0x80-0x9F; 0 marks the five undefined bytes. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0,	0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,	0x017D, 0,
	0,	0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,	0x017E, 0x0178,
};

char *pkg_int_cp1252_to_utf8(const uint8_t *in, size_t len, size_t *len_ret)
{
	if (len > SIZE_MAX / 3 - 1)
		return NULL;
	char *out = malloc(len * 3 + 1);
	if (out == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		uint32_t cp = in[i];
		if (cp >= 0x80 && cp < 0xA0)
			cp = cp1252_high[cp - 0x80] ? cp1252_high[cp - 0x80]
						    : 0xFFFD;
		n += hvo_int_utf8_encode(cp, out + n);
	}
	out[n] = '\0';
	*len_ret = n;
	return out;
}

/* Decodes the file into UTF-8 (malloc'd) and names its encoding. */
static enum pkg_err decode(const uint8_t *b, size_t len, const char *file,
			   char **text_ret, size_t *len_ret,
			   const char **enc_ret, struct pkg_error *err)
{
	char *text = NULL;
	size_t n = 0;
	if (len >= 2 && b[0] == 0xFF && b[1] == 0xFE) {
		if (hvo_int_utf16le_to_utf8(b + 2, len - 2, 0, &text, &n) != 0)
			return pkg_int_fail(err, PKG_ERR_NOMEM, file, 0,
					    "out of memory");
		*enc_ret = "UTF-16LE";
	} else if (len >= 2 && b[0] == 0xFE && b[1] == 0xFF) {
		return pkg_int_fail(err, PKG_ERR_INF, file, 0,
				    "UTF-16 big-endian INF files are not "
				    "supported by Windows");
	} else if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
		if (!hvo_int_utf8_valid((const char *)b + 3, len - 3))
			return pkg_int_fail(err, PKG_ERR_INF, file, 0,
					    "invalid UTF-8 after a UTF-8 "
					    "byte-order mark");
		text = malloc(len - 3 + 1);
		if (text == NULL)
			return pkg_int_fail(err, PKG_ERR_NOMEM, file, 0,
					    "out of memory");
		memcpy(text, b + 3, len - 3);
		text[len - 3] = '\0';
		n = len - 3;
		*enc_ret = "UTF-8";
	} else {
		bool ascii = true;
		for (size_t i = 0; i < len && ascii; i++)
			ascii = b[i] < 0x80;
		if (!ascii && hvo_int_utf8_valid((const char *)b, len)) {
			text = malloc(len + 1);
			if (text) {
				memcpy(text, b, len);
				text[len] = '\0';
			}
			n = len;
			*enc_ret = "UTF-8";
		} else {
			text = pkg_int_cp1252_to_utf8(b, len, &n);
			*enc_ret = "ANSI";
		}
		if (text == NULL)
			return pkg_int_fail(err, PKG_ERR_NOMEM, file, 0,
					    "out of memory");
	}
	*text_ret = text;
	*len_ret = n;
	return PKG_OK;
}

/* ---- The line tokenizer ---- */

struct lexer {
	struct pkg_arena *arena;
	const char *file;
	struct pkg_error *err;
	size_t items;
	/* The logical line being built. */
	struct pkg_int_buf field;
	size_t protect;	   /* field bytes up to here are quoted: keep blanks */
	bool field_quoted; /* the field had a quoted part */
	struct pkg_int_vec fields;
	const char *key;
	bool has_key;
	bool any;      /* anything but blanks and comments seen */
	size_t length; /* characters in the logical line so far */
	unsigned first_line;
	/* Sections. */
	struct pkg_inf_index *index;
	struct pkg_int_vec sections; /* struct pkg_inf_section */
	struct pkg_int_vec
		*bodies; /* struct pkg_int_vec of lines, per section */
	size_t nbodies, capbodies;
	size_t cur; /* index of the current section + 1; 0 = none yet */
	bool strings_section;
};

static enum pkg_err nomem(struct lexer *lx)
{
	return pkg_int_fail(lx->err, PKG_ERR_NOMEM, lx->file, 0,
			    "out of memory");
}

static enum pkg_err end_field(struct lexer *lx, unsigned lineno)
{
	while (lx->field.len > lx->protect &&
	       (lx->field.s[lx->field.len - 1] == ' ' ||
		lx->field.s[lx->field.len - 1] == '\t'))
		lx->field.len--;
	if (lx->field.oom)
		return nomem(lx);
	if (lx->field.len > PKG_INF_MAX_FIELD)
		return pkg_int_fail(lx->err, PKG_ERR_INF, lx->file, lineno,
				    "field longer than %u characters",
				    PKG_INF_MAX_FIELD);
	const char **slot =
		pkg_int_vec_push(lx->arena, &lx->fields, sizeof(*slot));
	if (slot == NULL)
		return nomem(lx);
	*slot = pkg_int_strndup(lx->arena, lx->field.s ? lx->field.s : "",
				lx->field.len);
	if (*slot == NULL)
		return nomem(lx);
	if (lx->fields.n > PKG_INF_MAX_FIELDS)
		return pkg_int_fail(lx->err, PKG_ERR_INF, lx->file, lineno,
				    "more than %u fields on one line",
				    PKG_INF_MAX_FIELDS);
	if (++lx->items > INF_MAX_ITEMS)
		return pkg_int_fail(lx->err, PKG_ERR_LIMIT, lx->file, lineno,
				    "more than %u lines and fields",
				    INF_MAX_ITEMS);
	lx->field.len = 0;
	lx->protect = 0;
	lx->field_quoted = false;
	return PKG_OK;
}

static void reset_line(struct lexer *lx)
{
	lx->field.len = 0;
	lx->protect = 0;
	lx->field_quoted = false;
	lx->fields = (struct pkg_int_vec){ 0 };
	lx->key = NULL;
	lx->has_key = false;
	lx->any = false;
	lx->length = 0;
}

static enum pkg_err end_line(struct lexer *lx)
{
	if (!lx->any) {
		reset_line(lx);
		return PKG_OK;
	}
	enum pkg_err rc = end_field(lx, lx->first_line);
	if (rc)
		return rc;
	if (lx->cur == 0) {
		/* Entries before the first section belong to none; Windows'
		 * parser skips them. */
		reset_line(lx);
		return PKG_OK;
	}
	struct pkg_int_vec *body = &lx->bodies[lx->cur - 1];
	struct pkg_inf_line *ln =
		pkg_int_vec_push(lx->arena, body, sizeof(*ln));
	if (ln == NULL)
		return nomem(lx);
	ln->key = lx->key;
	ln->fields = lx->fields.items;
	ln->nfields = lx->fields.n;
	ln->lineno = lx->first_line;
	if (++lx->items > INF_MAX_ITEMS)
		return pkg_int_fail(
			lx->err, PKG_ERR_LIMIT, lx->file, lx->first_line,
			"more than %u lines and fields", INF_MAX_ITEMS);
	reset_line(lx);
	return PKG_OK;
}

static bool is_strings_name(const char *name)
{
	if (pkg_int_strncasecmp(name, "Strings", 7) != 0)
		return false;
	return name[7] == '\0' || name[7] == '.';
}

static enum pkg_err start_section(struct lexer *lx, const char *name,
				  size_t len, unsigned lineno)
{
	while (len > 0 && (name[0] == ' ' || name[0] == '\t')) {
		name++;
		len--;
	}
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	if (len > PKG_INF_MAX_SECTION_NAME)
		return pkg_int_fail(lx->err, PKG_ERR_INF, lx->file, lineno,
				    "section name longer than %u characters",
				    PKG_INF_MAX_SECTION_NAME);
	char *nm = pkg_int_strndup(lx->arena, name, len);
	if (nm == NULL)
		return nomem(lx);
	uintptr_t idx = (uintptr_t)pkg_int_map_get(&lx->index->sections, nm);
	if (idx == 0) {
		struct pkg_inf_section *s =
			pkg_int_vec_push(lx->arena, &lx->sections, sizeof(*s));
		if (s == NULL)
			return nomem(lx);
		s->name = nm;
		s->lineno = lineno;
		if (lx->nbodies == lx->capbodies) {
			size_t cap = lx->capbodies ? lx->capbodies * 2 : 64;
			struct pkg_int_vec *b =
				pkg_int_calloc(lx->arena, cap, sizeof(*b));
			if (b == NULL)
				return nomem(lx);
			if (lx->nbodies)
				memcpy(b, lx->bodies, lx->nbodies * sizeof(*b));
			lx->bodies = b;
			lx->capbodies = cap;
		}
		lx->nbodies++;
		idx = lx->sections.n;
		if (!pkg_int_map_put(lx->arena, &lx->index->sections, nm,
				     (void *)idx))
			return nomem(lx);
		if (++lx->items > INF_MAX_ITEMS)
			return pkg_int_fail(
				lx->err, PKG_ERR_LIMIT, lx->file, lineno,
				"more than %u lines and fields", INF_MAX_ITEMS);
	}
	lx->cur = idx;
	lx->strings_section = is_strings_name(nm);
	return PKG_OK;
}

/* True when only blanks, or blanks and a comment, follow @p up to @end. */
static bool rest_is_blank(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == ';')
			return true;
		if (*p != ' ' && *p != '\t')
			return false;
	}
	return true;
}

/*
 * Feeds one physical line [p, end) to the tokenizer.  Sets *@cont when
 * the line ends with a continuation.
 */
static enum pkg_err feed(struct lexer *lx, const char *p, const char *end,
			 unsigned lineno, bool *cont)
{
	*cont = false;
	if ((size_t)(end - p) > PKG_INF_MAX_LINE ||
	    lx->length + (size_t)(end - p) > PKG_INF_MAX_LINE)
		return pkg_int_fail(lx->err, PKG_ERR_INF, lx->file, lineno,
				    "line longer than %u characters",
				    PKG_INF_MAX_LINE);
	lx->length += (size_t)(end - p);
	if (!lx->any && lx->fields.n == 0 && !lx->has_key) {
		lx->first_line = lineno;
		/* A section header starts a logical line with '['. */
		const char *q = p;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && *q == '[') {
			const char *close =
				memchr(q + 1, ']', (size_t)(end - q - 1));
			if (close == NULL)
				return pkg_int_fail(lx->err, PKG_ERR_INF,
						    lx->file, lineno,
						    "section name without ']'");
			reset_line(lx);
			return start_section(lx, q + 1, (size_t)(close - q - 1),
					     lineno);
		}
	}
	bool in_quote = false;
	for (; p < end; p++) {
		char c = *p;
		if (in_quote) {
			if (c == '"') {
				if (p + 1 < end && p[1] == '"') {
					pkg_int_buf_putc(&lx->field, '"');
					p++;
				} else {
					in_quote = false;
					lx->protect = lx->field.len;
				}
			} else {
				pkg_int_buf_putc(&lx->field, c);
			}
			continue;
		}
		switch (c) {
		case ';':
			p = end - 1; /* comment: skip the rest */
			break;
		case '"':
			in_quote = true;
			lx->any = true;
			lx->field_quoted = true;
			break;
		case ',':
			if (lx->strings_section && lx->has_key) {
				pkg_int_buf_putc(&lx->field, c);
				break;
			}
			lx->any = true;
			{
				enum pkg_err rc = end_field(lx, lineno);
				if (rc)
					return rc;
			}
			break;
		case '=':
			if (!lx->has_key && lx->fields.n == 0) {
				lx->any = true;
				while (lx->field.len > lx->protect &&
				       (lx->field.s[lx->field.len - 1] == ' ' ||
					lx->field.s[lx->field.len - 1] == '\t'))
					lx->field.len--;
				if (lx->field.oom)
					return nomem(lx);
				lx->key = pkg_int_strndup(
					lx->arena,
					lx->field.s ? lx->field.s : "",
					lx->field.len);
				if (lx->key == NULL)
					return nomem(lx);
				lx->has_key = true;
				lx->field.len = 0;
				lx->protect = 0;
				lx->field_quoted = false;
			} else {
				pkg_int_buf_putc(&lx->field, c);
			}
			break;
		case '\\':
			if (rest_is_blank(p + 1, end)) {
				*cont = true;
				return PKG_OK;
			}
			lx->any = true;
			pkg_int_buf_putc(&lx->field, c);
			break;
		case ' ':
		case '\t':
			if (lx->field.len > 0)
				pkg_int_buf_putc(&lx->field, c);
			break;
		case '\0':
			return pkg_int_fail(lx->err, PKG_ERR_INF, lx->file,
					    lineno,
					    "NUL character in the text");
		default:
			lx->any = true;
			pkg_int_buf_putc(&lx->field, c);
			break;
		}
	}
	if (in_quote)
		return pkg_int_fail(lx->err, PKG_ERR_INF, lx->file, lineno,
				    "unterminated quoted string");
	if (lx->field.oom)
		return nomem(lx);
	return PKG_OK;
}

static enum pkg_err index_strings(struct pkg_inf *inf, struct pkg_arena *arena,
				  struct pkg_error *err)
{
	/* Offline there is no locale to choose a [Strings.LLLL] by, so the
	 * undecorated [Strings] is used (the INF Strings section docs: the
	 * fallback Windows itself uses), then US English, then any. */
	const struct pkg_inf_section *s = pkg_inf_section(inf, "Strings");
	if (s == NULL)
		s = pkg_inf_section(inf, "Strings.0409");
	for (size_t i = 0; s == NULL && i < inf->nsections; i++)
		if (is_strings_name(inf->sections[i].name))
			s = &inf->sections[i];
	if (s == NULL)
		return PKG_OK;
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		if (ln->key == NULL || ln->key[0] == '\0')
			continue;
		const char *v = ln->nfields ? ln->fields[0] : "";
		if (!pkg_int_map_put(arena, &inf->index->strings, ln->key,
				     (void *)v))
			return pkg_int_fail(err, PKG_ERR_NOMEM, inf->file, 0,
					    "out of memory");
	}
	return PKG_OK;
}

enum pkg_err pkg_inf_parse(struct pkg_arena *arena, const void *buf, size_t len,
			   const char *file, struct pkg_inf **inf_ret,
			   struct pkg_error *err)
{
	if (len > PKG_INF_MAX_SIZE)
		return pkg_int_fail(err, PKG_ERR_LIMIT, file, 0,
				    "INF file is %zu bytes; the limit is %u",
				    len, PKG_INF_MAX_SIZE);
	char *text = NULL;
	size_t tlen = 0;
	const char *enc = NULL;
	enum pkg_err rc = decode(buf, len, file, &text, &tlen, &enc, err);
	if (rc)
		return rc;

	struct pkg_inf *inf = pkg_int_alloc(arena, sizeof(*inf));
	struct pkg_inf_index *index = pkg_int_alloc(arena, sizeof(*index));
	if (inf == NULL || index == NULL ||
	    (inf->file = pkg_int_strdup(arena, file)) == NULL) {
		free(text);
		return pkg_int_fail(err, PKG_ERR_NOMEM, file, 0,
				    "out of memory");
	}
	inf->encoding = enc;
	inf->index = index;

	struct lexer lx = {
		.arena = arena, .file = file, .err = err, .index = index
	};
	const char *p = text, *end = text + tlen;
	unsigned lineno = 0;
	rc = PKG_OK;
	while (rc == PKG_OK && p < end) {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		lineno++;
		bool cont;
		rc = feed(&lx, p, eol, lineno, &cont);
		if (rc == PKG_OK && !cont)
			rc = end_line(&lx);
		/* CR LF, LF, or a lone CR end a line. */
		if (eol < end && *eol == '\r' && eol + 1 < end &&
		    eol[1] == '\n')
			eol++;
		p = eol < end ? eol + 1 : end;
	}
	if (rc == PKG_OK)
		rc = end_line(&lx); /* a continuation at the end of file */
	pkg_int_buf_free(&lx.field);
	free(text);
	if (rc)
		return rc;

	inf->sections = lx.sections.items;
	inf->nsections = lx.sections.n;
	for (size_t i = 0; i < inf->nsections; i++) {
		inf->sections[i].lines = lx.bodies[i].items;
		inf->sections[i].nlines = lx.bodies[i].n;
	}
	if ((rc = index_strings(inf, arena, err)))
		return rc;
	*inf_ret = inf;
	return PKG_OK;
}

const struct pkg_inf_section *pkg_inf_section(const struct pkg_inf *inf,
					      const char *name)
{
	uintptr_t idx = (uintptr_t)pkg_int_map_get(&inf->index->sections, name);
	return idx ? &inf->sections[idx - 1] : NULL;
}

const char *pkg_int_inf_string(const struct pkg_inf *inf, const char *key)
{
	return pkg_int_map_get(&inf->index->strings, key);
}

/* ---- Substitution ---- */

static bool all_digits(const char *s, size_t n)
{
	if (n > 0 && s[0] == '-') {
		s++;
		n--;
	}
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

char *pkg_int_inf_subst_mode(struct pkg_arena *arena, const struct pkg_inf *inf,
			     const char *raw, enum pkg_int_subst_mode mode,
			     unsigned lineno, struct pkg_error *err)
{
	bool tmpl = mode == PKGI_SUBST_TEMPLATE;
	struct pkg_int_buf b = { 0 };
	const char *p = raw;
	char key[PKG_INF_MAX_FIELD + 1];
	while (*p) {
		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			pkg_int_buf_put(&b, p, n);
			p += n;
			continue;
		}
		const char *close = strchr(p + 1, '%');
		if (close == NULL) { /* a lone percent sign */
			pkg_int_buf_puts(&b, tmpl ? "%%" : "%");
			p++;
			continue;
		}
		size_t klen = (size_t)(close - p - 1);
		if (klen == 0) { /* "%%" */
			pkg_int_buf_puts(&b, tmpl ? "%%" : "%");
			p = close + 1;
			continue;
		}
		if (klen > PKG_INF_MAX_FIELD)
			klen = PKG_INF_MAX_FIELD;
		memcpy(key, p + 1, klen);
		key[klen] = '\0';
		const char *v = pkg_int_inf_string(inf, key);
		if (v != NULL) {
			for (const char *s = v; *s; s++) {
				if (*s == '%' && tmpl)
					pkg_int_buf_puts(&b, "%%");
				else
					pkg_int_buf_putc(&b, *s);
			}
		} else if (all_digits(key, klen)) {
			pkg_int_buf_putc(&b, '%'); /* a DIRID, kept */
			pkg_int_buf_put(&b, key, klen);
			pkg_int_buf_putc(&b, '%');
		} else {
			/* Unknown: kept as written, e.g. %SystemRoot% in an
			 * expandable registry string. */
			pkg_int_buf_puts(&b, tmpl ? "%%" : "%");
			pkg_int_buf_put(&b, key, klen);
			pkg_int_buf_puts(&b, tmpl ? "%%" : "%");
		}
		p = close + 1;
		if (b.len > 4 * PKG_INF_MAX_FIELD)
			break;
	}
	char *out = NULL;
	if (b.oom) {
		pkg_int_fail(err, PKG_ERR_NOMEM, inf->file, lineno,
			     "out of memory");
	} else if (b.len > PKG_INF_MAX_FIELD * (tmpl ? 2u : 1u)) {
		/* Templates double their percent signs, hence the factor. */
		pkg_int_fail(err, PKG_ERR_INF, inf->file, lineno,
			     "string longer than %u characters after "
			     "substitution",
			     PKG_INF_MAX_FIELD);
	} else {
		out = pkg_int_strndup(arena, b.s ? b.s : "", b.len);
		if (out == NULL)
			pkg_int_fail(err, PKG_ERR_NOMEM, inf->file, lineno,
				     "out of memory");
	}
	pkg_int_buf_free(&b);
	return out;
}

char *pkg_inf_subst(struct pkg_arena *arena, const struct pkg_inf *inf,
		    const char *raw, unsigned lineno, struct pkg_error *err)
{
	return pkg_int_inf_subst_mode(arena, inf, raw, PKGI_SUBST_TEXT, lineno,
				      err);
}

/*
 * xml.c - the hardened XML reader behind every manifest.
 *
 * Manifests come from cabinets we did not make, so the XML layer assumes
 * hostility:
 *
 *   - Size is capped before libxml2 sees a byte (PKG_MANIFEST_MAX_SIZE).
 *   - No DTD at all.  A DOCTYPE is where billion-laughs expansions and
 *     external entities (file:///etc/passwd, http://...) are declared;
 *     manifests never have one.  The raw text is scanned for "<!DOCTYPE"
 *     and "<!ENTITY" before parsing (the document must be ASCII-compatible
 *     by then, so the bytes cannot hide in another encoding), and the
 *     reader refuses a document-type, entity or entity-reference node as a
 *     second line of defence.  libxml2 itself runs with XML_PARSE_NONET,
 *     without XML_PARSE_NOENT (no substitution), without DTDLOAD/DTDATTR
 *     and without XML_PARSE_HUGE (its own internal limits stay on).
 *   - libxml2's streaming reader is used, not its tree: our depth,
 *     element-count, attribute-count and value-length limits are checked
 *     as each node arrives, so a 10 000-deep document is refused at depth
 *     PKG_XML_MAX_DEPTH having built almost nothing.
 *   - Errors go to a structured handler (libxml2 would otherwise print to
 *     stderr), which keeps the first message and its line.
 *
 * The result is a small tree of our own (struct pkg_int_xnode) in the
 * caller's arena, which the manifest code walks.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>

#include "package/internal.h"
#include "util/utf.h"

struct xml_errors {
	bool have;
	int line;
	char msg[256];
};

static void on_error(void *arg, xmlErrorPtr e)
{
	struct xml_errors *x = arg;
	if (x->have || e == NULL)
		return;
	if (e->level == XML_ERR_WARNING)
		return;
	x->have = true;
	x->line = e->line;
	snprintf(x->msg, sizeof(x->msg), "%s", e->message ? e->message : "");
	/* libxml2 messages end with a newline. */
	size_t n = strlen(x->msg);
	while (n > 0 && (x->msg[n - 1] == '\n' || x->msg[n - 1] == '\r'))
		x->msg[--n] = '\0';
}

/* 1-based line of byte offset @off. */
static unsigned line_of(const char *s, size_t off)
{
	unsigned line = 1;
	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/* Finds @needle in @hay (binary-safe). */
static const char *find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; len >= n && i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/*
 * Brings the document to an ASCII-compatible byte form: strips a UTF-8
 * BOM and converts UTF-16 (with a BOM) to UTF-8.  *@owned_ret is set when
 * the returned text was allocated.
 */
static enum pkg_err normalise(const uint8_t *buf, size_t len, const char *file,
			      const char **text_ret, size_t *len_ret,
			      char **owned_ret, struct pkg_error *err)
{
	*owned_ret = NULL;
	if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) {
		*text_ret = (const char *)buf + 3;
		*len_ret = len - 3;
		return PKG_OK;
	}
	if (len >= 2 && ((buf[0] == 0xFF && buf[1] == 0xFE) ||
			 (buf[0] == 0xFE && buf[1] == 0xFF))) {
		size_t n = (len - 2) & ~(size_t)1;
		uint8_t *le = NULL;
		const uint8_t *src = buf + 2;
		if (buf[0] == 0xFE) { /* big-endian: swap to little */
			le = malloc(n ? n : 1);
			if (le == NULL)
				return pkg_int_fail(err, PKG_ERR_NOMEM, file, 0,
						    "out of memory");
			for (size_t i = 0; i < n; i += 2) {
				le[i] = buf[2 + i + 1];
				le[i + 1] = buf[2 + i];
			}
			src = le;
		}
		char *u8;
		size_t u8len;
		int rc = hvo_int_utf16le_to_utf8(src, n, 0, &u8, &u8len);
		free(le);
		if (rc != 0)
			return pkg_int_fail(err, PKG_ERR_NOMEM, file, 0,
					    "out of memory");
		*owned_ret = u8;
		*text_ret = u8;
		*len_ret = u8len;
		return PKG_OK;
	}
	*text_ret = (const char *)buf;
	*len_ret = len;
	return PKG_OK;
}

struct reader_state {
	struct pkg_arena *arena;
	const char *file;
	struct pkg_error *err;
	struct pkg_int_xnode *root, *cur;
	size_t nelements;
};

static enum pkg_err add_text(struct reader_state *st, xmlTextReaderPtr r)
{
	if (st->cur == NULL)
		return PKG_OK;
	const char *v = (const char *)xmlTextReaderConstValue(r);
	if (v == NULL)
		return PKG_OK;
	size_t add = strlen(v);
	size_t old = st->cur->text ? strlen(st->cur->text) : 0;
	if (add > PKG_XML_MAX_VALUE || old + add > PKG_XML_MAX_VALUE)
		return pkg_int_fail(st->err, PKG_ERR_LIMIT, st->file,
				    st->cur->line,
				    "text of <%s> is longer than %u characters",
				    st->cur->name, PKG_XML_MAX_VALUE);
	char *t = pkg_int_alloc(st->arena, old + add + 1);
	if (t == NULL)
		return pkg_int_fail(st->err, PKG_ERR_NOMEM, st->file, 0,
				    "out of memory");
	if (old)
		memcpy(t, st->cur->text, old);
	memcpy(t + old, v, add + 1);
	st->cur->text = t;
	return PKG_OK;
}

static enum pkg_err add_element(struct reader_state *st, xmlTextReaderPtr r)
{
	int depth = xmlTextReaderDepth(r);
	unsigned line = (unsigned)xmlTextReaderGetParserLineNumber(r);
	const char *name = (const char *)xmlTextReaderConstLocalName(r);
	if (depth < 0 || depth >= PKG_XML_MAX_DEPTH)
		return pkg_int_fail(st->err, PKG_ERR_LIMIT, st->file, line,
				    "elements nested deeper than %d levels",
				    PKG_XML_MAX_DEPTH);
	if (++st->nelements > PKG_XML_MAX_ELEMENTS)
		return pkg_int_fail(st->err, PKG_ERR_LIMIT, st->file, line,
				    "more than %u elements",
				    PKG_XML_MAX_ELEMENTS);
	struct pkg_int_xnode *n = pkg_int_alloc(st->arena, sizeof(*n));
	if (n == NULL)
		return pkg_int_fail(st->err, PKG_ERR_NOMEM, st->file, 0,
				    "out of memory");
	n->name = pkg_int_strdup(st->arena, name ? name : "");
	const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);
	n->ns = ns ? pkg_int_strdup(st->arena, ns) : NULL;
	n->line = line;
	if (n->name == NULL || (ns && n->ns == NULL))
		return pkg_int_fail(st->err, PKG_ERR_NOMEM, st->file, 0,
				    "out of memory");

	int nattr = xmlTextReaderAttributeCount(r);
	if (nattr < 0 || (unsigned)nattr > PKG_XML_MAX_ATTRS)
		return pkg_int_fail(st->err, PKG_ERR_LIMIT, st->file, line,
				    "<%s> has more than %u attributes", n->name,
				    PKG_XML_MAX_ATTRS);
	if (nattr > 0) {
		n->attrs = pkg_int_calloc(st->arena, (size_t)nattr,
					  sizeof(*n->attrs));
		if (n->attrs == NULL)
			return pkg_int_fail(st->err, PKG_ERR_NOMEM, st->file, 0,
					    "out of memory");
		while (xmlTextReaderMoveToNextAttribute(r) == 1) {
			if (xmlTextReaderIsNamespaceDecl(r) == 1)
				continue;
			const char *an =
				(const char *)xmlTextReaderConstLocalName(r);
			const char *av =
				(const char *)xmlTextReaderConstValue(r);
			if (av && strlen(av) > PKG_XML_MAX_VALUE)
				return pkg_int_fail(
					st->err, PKG_ERR_LIMIT, st->file, line,
					"attribute %s of <%s> is longer than "
					"%u characters",
					an ? an : "?", n->name,
					PKG_XML_MAX_VALUE);
			if (n->nattrs >= (size_t)nattr)
				break;
			struct pkg_int_xattr *a = &n->attrs[n->nattrs++];
			a->name = pkg_int_strdup(st->arena, an ? an : "");
			a->value = pkg_int_strdup(st->arena, av ? av : "");
			if (a->name == NULL || a->value == NULL)
				return pkg_int_fail(st->err, PKG_ERR_NOMEM,
						    st->file, 0,
						    "out of memory");
		}
		xmlTextReaderMoveToElement(r);
	}

	n->parent = st->cur;
	if (st->cur) {
		if (st->cur->last)
			st->cur->last->next = n;
		else
			st->cur->first = n;
		st->cur->last = n;
	} else if (st->root == NULL) {
		st->root = n;
	}
	if (!xmlTextReaderIsEmptyElement(r))
		st->cur = n;
	return PKG_OK;
}

enum pkg_err pkg_int_xml_read(struct pkg_arena *arena, const void *buf,
			      size_t len, const char *file,
			      struct pkg_int_xnode **root_ret,
			      struct pkg_error *err)
{
	const uint8_t *b = buf;
	if (len > PKG_MANIFEST_MAX_SIZE)
		return pkg_int_fail(err, PKG_ERR_LIMIT, file, 0,
				    "manifest is %zu bytes; the limit is %u",
				    len, PKG_MANIFEST_MAX_SIZE);
	if (len == 0)
		return pkg_int_fail(err, PKG_ERR_XML, file, 0,
				    "empty manifest");
	/* Windows 10 stores some manifests delta-compressed ("DCM\1"). */
	if (len >= 4 && memcmp(b, "DCM\x01", 4) == 0)
		return pkg_int_fail(err, PKG_ERR_UNSUPPORTED, file, 0,
				    "delta-compressed (DCM) manifest");

	const char *text = NULL;
	size_t tlen = 0;
	char *owned = NULL;
	enum pkg_err rc = normalise(b, len, file, &text, &tlen, &owned, err);
	if (rc != PKG_OK)
		return rc;

	/* ASCII-compatible from here: the first significant byte is '<' and
	 * there is no NUL (UTF-16/32 without a BOM, EBCDIC: refused). */
	size_t i = 0;
	while (i < tlen && (text[i] == ' ' || text[i] == '\t' ||
			    text[i] == '\r' || text[i] == '\n'))
		i++;
	if (i == tlen || text[i] != '<' || memchr(text, '\0', tlen) != NULL) {
		free(owned);
		return pkg_int_fail(err, PKG_ERR_XML, file, 0,
				    "not an XML document in UTF-8 or UTF-16 "
				    "with a byte-order mark");
	}
	const char *bad = find(text, tlen, "<!DOCTYPE");
	if (bad == NULL)
		bad = find(text, tlen, "<!ENTITY");
	if (bad != NULL) {
		unsigned line = line_of(text, (size_t)(bad - text));
		free(owned);
		return pkg_int_fail(err, PKG_ERR_HOSTILE, file, line,
				    "document type declaration refused "
				    "(manifests have none; DTDs carry entity "
				    "attacks)");
	}

	/* The text is parsed as UTF-8 whatever the declaration says: a
	 * declared encoding such as UTF-7 could otherwise spell "<!DOCTYPE"
	 * in bytes the scan above does not see.  Manifests are UTF-8 (or
	 * UTF-16, transcoded above); anything else fails as malformed. */
	xmlInitParser();
	int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT |
		      XML_PARSE_IGNORE_ENC;
	xmlTextReaderPtr r =
		xmlReaderForMemory(text, (int)tlen, NULL, "UTF-8", options);
	if (r == NULL) {
		free(owned);
		return pkg_int_fail(err, PKG_ERR_NOMEM, file, 0,
				    "cannot create an XML reader");
	}
	struct xml_errors xe = { 0 };
	xmlTextReaderSetStructuredErrorHandler(r, on_error, &xe);

	struct reader_state st = { .arena = arena, .file = file, .err = err };
	int ret;
	rc = PKG_OK;
	while (rc == PKG_OK && (ret = xmlTextReaderRead(r)) == 1) {
		switch (xmlTextReaderNodeType(r)) {
		case XML_READER_TYPE_ELEMENT:
			rc = add_element(&st, r);
			break;
		case XML_READER_TYPE_END_ELEMENT:
			if (st.cur)
				st.cur = st.cur->parent;
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
			rc = add_text(&st, r);
			break;
		case XML_READER_TYPE_DOCUMENT_TYPE:
		case XML_READER_TYPE_ENTITY:
		case XML_READER_TYPE_ENTITY_REFERENCE:
		case XML_READER_TYPE_NOTATION:
			rc = pkg_int_fail(
				err, PKG_ERR_HOSTILE, file,
				(unsigned)xmlTextReaderGetParserLineNumber(r),
				"DTD or entity reference refused");
			break;
		default:
			break;
		}
	}
	if (rc == PKG_OK && ret < 0) {
		if (xe.have)
			rc = pkg_int_fail(err, PKG_ERR_XML, file,
					  xe.line > 0 ? (unsigned)xe.line : 0,
					  "%s", xe.msg);
		else
			rc = pkg_int_fail(err, PKG_ERR_XML, file, 0,
					  "not well-formed XML");
	}
	xmlFreeTextReader(r);
	free(owned);
	if (rc != PKG_OK)
		return rc;
	if (st.root == NULL)
		return pkg_int_fail(err, PKG_ERR_XML, file, 0,
				    "no root element");
	*root_ret = st.root;
	return PKG_OK;
}

const char *pkg_int_xattr(const struct pkg_int_xnode *n, const char *name)
{
	for (size_t i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return n->attrs[i].value;
	return NULL;
}

struct pkg_int_xnode *pkg_int_xchild(const struct pkg_int_xnode *n,
				     const char *name)
{
	for (struct pkg_int_xnode *c = n->first; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

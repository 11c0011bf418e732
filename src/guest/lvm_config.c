/*
 * lvm_config.c - LVM's text format, as lib/config/config.c reads it (see
 * lvm.h): sections "name { ... }", assignments "key = value" where a
 * value is an integer, a float, a "string" (backslash escapes the next
 * character) or an array "[ v, v ]" of those; '#' starts a comment that
 * runs to the end of the line.  An unquoted word is everything up to a
 * blank or one of {}[]=,#" (VG names such as "vg-1.x+y" are keys).
 *
 * The text comes from the guest's disk: every length is bounded by the
 * text, nesting by LVM_CFG_MAX_DEPTH and the node count by
 * LVM_CFG_MAX_NODES, so a hostile text costs at most that much memory and
 * recursion.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/lvm.h"

enum tok {
	T_EOF = 0,
	T_WORD,	  /* unquoted */
	T_STRING, /* quoted, unescaped */
	T_LBRACE,
	T_RBRACE,
	T_LBRACKET,
	T_RBRACKET,
	T_EQ,
	T_COMMA,
	T_BAD,
};

struct parser {
	const char *p, *end;
	unsigned line;
	enum tok t;
	char *text; /* T_WORD, T_STRING: malloc'ed */
	size_t nodes;
	int err;
	char *why;
	size_t whysize;
};

static int fail(struct parser *ps, int err, const char *what)
{
	if (ps->err == LVM_OK) {
		ps->err = err;
		snprintf(ps->why, ps->whysize, "metadata line %u: %s", ps->line,
			 what);
	}
	return ps->err;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' ||
	       c == '}' || c == '[' || c == ']' || c == '=' || c == ',' ||
	       c == '#' || c == '"' || c == '\0';
}

/* The quoted string at ps->p (after its opening quote), unescaped. */
static void read_string(struct parser *ps)
{
	const char *s = ps->p;
	size_t n = 0;
	/* First pass: find the end and the unescaped length. */
	const char *q = s;
	while (q < ps->end && *q != '"') {
		if (*q == '\\' && q + 1 < ps->end)
			q++;
		if (*q == '\n')
			ps->line++;
		q++;
		n++;
	}
	if (q >= ps->end) {
		ps->t = T_BAD;
		fail(ps, LVM_E_CORRUPT, "unterminated string");
		return;
	}
	ps->text = malloc(n + 1);
	if (ps->text == NULL) {
		ps->t = T_BAD;
		fail(ps, LVM_E_NOMEM, "out of memory");
		return;
	}
	size_t o = 0;
	for (const char *c = s; c < q; c++) {
		if (*c == '\\' && c + 1 < q)
			c++;
		ps->text[o++] = *c;
	}
	ps->text[o] = '\0';
	ps->p = q + 1;
	ps->t = T_STRING;
}

static void next(struct parser *ps)
{
	free(ps->text);
	ps->text = NULL;
	for (;;) {
		while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
					   *ps->p == '\r' || *ps->p == '\n')) {
			if (*ps->p == '\n')
				ps->line++;
			ps->p++;
		}
		if (ps->p < ps->end && *ps->p == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
			continue;
		}
		break;
	}
	if (ps->p >= ps->end) {
		ps->t = T_EOF;
		return;
	}
	char c = *ps->p++;
	switch (c) {
	case '{':
		ps->t = T_LBRACE;
		return;
	case '}':
		ps->t = T_RBRACE;
		return;
	case '[':
		ps->t = T_LBRACKET;
		return;
	case ']':
		ps->t = T_RBRACKET;
		return;
	case '=':
		ps->t = T_EQ;
		return;
	case ',':
		ps->t = T_COMMA;
		return;
	case '"':
		read_string(ps);
		return;
	case '\0':
		ps->t = T_BAD;
		fail(ps, LVM_E_CORRUPT, "a NUL byte in the text");
		return;
	default:
		break;
	}
	const char *s = ps->p - 1;
	while (ps->p < ps->end && !is_sep(*ps->p))
		ps->p++;
	size_t n = (size_t)(ps->p - s);
	ps->text = malloc(n + 1);
	if (ps->text == NULL) {
		ps->t = T_BAD;
		fail(ps, LVM_E_NOMEM, "out of memory");
		return;
	}
	memcpy(ps->text, s, n);
	ps->text[n] = '\0';
	ps->t = T_WORD;
}

static struct lvm_cfg *new_node(struct parser *ps)
{
	if (ps->nodes >= LVM_CFG_MAX_NODES) {
		fail(ps, LVM_E_UNSUPPORTED, "more nodes than a VG has");
		return NULL;
	}
	struct lvm_cfg *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		fail(ps, LVM_E_NOMEM, "out of memory");
		return NULL;
	}
	ps->nodes++;
	return n;
}

/* An integer word: optional '-', then decimal digits, in range. */
static bool parse_int(const char *s, int64_t *v)
{
	const char *d = s + (*s == '-');
	if (*d < '0' || *d > '9')
		return false;
	errno = 0;
	char *e;
	long long x = strtoll(s, &e, 10);
	if (errno != 0 || *e != '\0')
		return false;
	*v = x;
	return true;
}

static bool is_float(const char *s)
{
	const char *d = s + (*s == '-');
	bool digit = false, dot = false;
	for (; *d; d++) {
		if (*d >= '0' && *d <= '9')
			digit = true;
		else if (*d == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digit && dot;
}

/* A scalar value from the current token into @n (ps->text taken). */
static int scalar(struct parser *ps, struct lvm_cfg *n)
{
	if (ps->t == T_STRING) {
		n->type = LVM_CFG_STRING;
		n->s = ps->text;
		ps->text = NULL;
	} else if (ps->t == T_WORD && parse_int(ps->text, &n->i)) {
		n->type = LVM_CFG_INT;
	} else if (ps->t == T_WORD && is_float(ps->text)) {
		n->type = LVM_CFG_FLOAT;
		n->s = ps->text;
		ps->text = NULL;
	} else {
		return fail(ps, LVM_E_CORRUPT, "a value expected");
	}
	next(ps);
	return ps->err;
}

static int array(struct parser *ps, struct lvm_cfg *n)
{
	n->type = LVM_CFG_ARRAY;
	struct lvm_cfg **tail = &n->child;
	next(ps); /* '[' */
	if (ps->t == T_RBRACKET) {
		next(ps);
		return ps->err;
	}
	for (;;) {
		struct lvm_cfg *v = new_node(ps);
		if (v == NULL)
			return ps->err;
		*tail = v;
		tail = &v->next;
		if (scalar(ps, v) != LVM_OK)
			return ps->err;
		if (ps->t == T_RBRACKET) {
			next(ps);
			return ps->err;
		}
		if (ps->t != T_COMMA)
			return fail(ps, LVM_E_CORRUPT, "',' or ']' expected");
		next(ps);
	}
}

/* Members of a section until '}' (or the end, at depth 0). */
static int members(struct parser *ps, struct lvm_cfg *sec, unsigned depth)
{
	struct lvm_cfg **tail = &sec->child;
	for (;;) {
		if (ps->err != LVM_OK)
			return ps->err;
		if (ps->t == T_EOF)
			return depth == 0 ? LVM_OK
					  : fail(ps, LVM_E_CORRUPT,
						 "'}' missing at the end");
		if (ps->t == T_RBRACE) {
			if (depth == 0)
				return fail(ps, LVM_E_CORRUPT,
					    "'}' without a section");
			next(ps);
			return ps->err;
		}
		if (ps->t != T_WORD)
			return fail(ps, LVM_E_CORRUPT, "a name expected");
		struct lvm_cfg *n = new_node(ps);
		if (n == NULL)
			return ps->err;
		*tail = n;
		tail = &n->next;
		n->key = ps->text;
		ps->text = NULL;
		next(ps);
		if (ps->t == T_LBRACE) {
			if (depth + 1 >= LVM_CFG_MAX_DEPTH)
				return fail(ps, LVM_E_UNSUPPORTED,
					    "sections nested too deep");
			n->type = LVM_CFG_SECTION;
			next(ps);
			if (members(ps, n, depth + 1) != LVM_OK)
				return ps->err;
			continue;
		}
		if (ps->t != T_EQ)
			return fail(ps, LVM_E_CORRUPT, "'=' or '{' expected");
		next(ps);
		if (ps->t == T_LBRACKET)
			array(ps, n);
		else
			scalar(ps, n);
	}
}

int lvm_cfg_parse(const char *text, size_t len, struct lvm_cfg **root_ret,
		  char *why, size_t whysize)
{
	*root_ret = NULL;
	struct parser ps = { .p = text,
			     .end = text + len,
			     .line = 1,
			     .why = why,
			     .whysize = whysize };
	struct lvm_cfg *root = new_node(&ps);
	if (root == NULL)
		return ps.err;
	next(&ps);
	members(&ps, root, 0);
	free(ps.text);
	if (ps.err != LVM_OK) {
		lvm_cfg_free(root);
		return ps.err;
	}
	*root_ret = root;
	return LVM_OK;
}

void lvm_cfg_free(struct lvm_cfg *n)
{
	/* Siblings iteratively; children recurse at most
	 * LVM_CFG_MAX_DEPTH deep. */
	while (n != NULL) {
		struct lvm_cfg *nx = n->next;
		lvm_cfg_free(n->child);
		free(n->key);
		free(n->s);
		free(n);
		n = nx;
	}
}

const struct lvm_cfg *lvm_cfg_get(const struct lvm_cfg *sec, const char *key)
{
	if (sec == NULL || sec->type != LVM_CFG_SECTION)
		return NULL;
	for (const struct lvm_cfg *c = sec->child; c != NULL; c = c->next)
		if (c->key != NULL && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

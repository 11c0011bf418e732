/*
 * sddl.c - SDDL to descriptor and back ([MS-DTYP] 2.5.1).
 *
 *   O:owner G:group D:flags(ace)(ace)... S:flags(ace)...
 *   ace = (type;flags;rights;object-guid;inherit-object-guid;sid)
 *
 * Whitespace between tokens is allowed, as ConvertStringSecurity
 * DescriptorToSecurityDescriptor allows it; manifests indent their SDDL.
 */
#include <config.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secdesc/internal.h"

static const struct {
	char code[3];
	uint8_t type;
} ace_types[] = {
	{ "A", SD_ACE_ALLOWED },	  { "D", SD_ACE_DENIED },
	{ "AU", SD_ACE_AUDIT },		  { "AL", SD_ACE_ALARM },
	{ "ML", SD_ACE_MANDATORY_LABEL }, { "SP", SD_ACE_SCOPED_POLICY },
};

static const struct {
	char code[3];
	uint8_t flag;
} ace_flags[] = {
	{ "OI", SD_OBJECT_INHERIT }, { "CI", SD_CONTAINER_INHERIT },
	{ "NP", SD_NO_PROPAGATE },   { "IO", SD_INHERIT_ONLY },
	{ "ID", SD_INHERITED },	     { "SA", SD_SUCCESSFUL_ACCESS },
	{ "FA", SD_FAILED_ACCESS },
};

/* [MS-DTYP] 2.5.1.1 access rights codes. */
static const struct {
	char code[3];
	uint32_t mask;
} rights[] = {
	{ "GA", 0x10000000 }, { "GR", 0x80000000 }, { "GW", 0x40000000 },
	{ "GX", 0x20000000 }, { "RC", 0x00020000 }, { "SD", 0x00010000 },
	{ "WD", 0x00040000 }, { "WO", 0x00080000 }, { "RP", 0x00000010 },
	{ "WP", 0x00000020 }, { "CC", 0x00000001 }, { "DC", 0x00000002 },
	{ "LC", 0x00000004 }, { "SW", 0x00000008 }, { "LO", 0x00000080 },
	{ "DT", 0x00000040 }, { "CR", 0x00000100 }, { "FA", 0x001f01ff },
	{ "FR", 0x00120089 }, { "FW", 0x00120116 }, { "FX", 0x001200a0 },
	{ "KA", 0x000f003f }, { "KR", 0x00020019 }, { "KW", 0x00020006 },
	{ "KX", 0x00020019 }, { "NR", 0x00000001 }, { "NW", 0x00000002 },
	{ "NX", 0x00000004 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void skip_ws(const char **p)
{
	while (**p && isspace((unsigned char)**p))
		(*p)++;
}

struct parser {
	const char *start;
	const char *p;
	struct sd_errinfo *ei;
};

#define POS(ps) ((size_t)((ps)->p - (ps)->start))

/* Up to the next ';' or ')', which is not consumed. */
static size_t field_len(const char *p)
{
	size_t n = 0;
	while (p[n] && p[n] != ';' && p[n] != ')')
		n++;
	return n;
}

static int parse_rights(struct parser *ps, uint32_t *mask)
{
	const char *s = ps->p;
	size_t n = field_len(s);
	*mask = 0;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		uint64_t v = 0;
		if (n == 2 || n > 10)
			return sd_int_fail(ps->ei, SD_ERR_SYNTAX, POS(ps),
					   "bad hex access mask");
		for (size_t i = 2; i < n; i++) {
			int c = tolower((unsigned char)s[i]);
			if (!isxdigit(c))
				return sd_int_fail(ps->ei, SD_ERR_SYNTAX,
						   POS(ps),
						   "bad hex access mask");
			v = v * 16 +
			    (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
		}
		*mask = (uint32_t)v;
	} else if (n > 0 && isdigit((unsigned char)s[0])) {
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++) {
			if (!isdigit((unsigned char)s[i]) || v > 0xffffffffULL)
				return sd_int_fail(ps->ei, SD_ERR_SYNTAX,
						   POS(ps), "bad access mask");
			v = v * 10 + (uint64_t)(s[i] - '0');
		}
		if (v > 0xffffffffULL)
			return sd_int_fail(ps->ei, SD_ERR_SYNTAX, POS(ps),
					   "access mask too large");
		*mask = (uint32_t)v;
	} else {
		if (n % 2)
			return sd_int_fail(ps->ei, SD_ERR_SYNTAX, POS(ps),
					   "bad access rights");
		for (size_t i = 0; i < n; i += 2) {
			size_t k;
			for (k = 0; k < N(rights); k++)
				if (s[i] == rights[k].code[0] &&
				    s[i + 1] == rights[k].code[1])
					break;
			if (k == N(rights))
				return sd_int_fail(
					ps->ei, SD_ERR_SYNTAX, POS(ps) + i,
					"unknown right '%c%c'", s[i], s[i + 1]);
			*mask |= rights[k].mask;
		}
	}
	ps->p += n;
	return SD_OK;
}

static int expect_semi(struct parser *ps)
{
	if (*ps->p != ';')
		return sd_int_fail(ps->ei, SD_ERR_SYNTAX, POS(ps),
				   "expected ';' in an ACE");
	ps->p++;
	return SD_OK;
}

static int parse_ace(struct parser *ps, struct sd_ace *ace)
{
	memset(ace, 0, sizeof(*ace));
	ps->p++; /* '(' */
	size_t n = field_len(ps->p);
	size_t k;
	for (k = 0; k < N(ace_types); k++)
		if (strlen(ace_types[k].code) == n &&
		    memcmp(ps->p, ace_types[k].code, n) == 0)
			break;
	if (k == N(ace_types)) {
		/* OA, OD, OU, OL, XA, XD, ... are valid SDDL. */
		bool known = n == 2 && strchr("OXZ", ps->p[0]) != NULL;
		return sd_int_fail(
			ps->ei, known ? SD_ERR_UNSUPPORTED : SD_ERR_SYNTAX,
			POS(ps), "%s ACE type '%.*s'",
			known ? "unsupported" : "unknown", (int)n, ps->p);
	}
	ace->type = ace_types[k].type;
	ps->p += n;
	int rc = expect_semi(ps);
	if (rc)
		return rc;
	n = field_len(ps->p);
	if (n % 2)
		return sd_int_fail(ps->ei, SD_ERR_SYNTAX, POS(ps),
				   "bad ACE flags");
	for (size_t i = 0; i < n; i += 2) {
		for (k = 0; k < N(ace_flags); k++)
			if (ps->p[i] == ace_flags[k].code[0] &&
			    ps->p[i + 1] == ace_flags[k].code[1])
				break;
		if (k == N(ace_flags))
			return sd_int_fail(ps->ei, SD_ERR_SYNTAX, POS(ps) + i,
					   "unknown ACE flag '%c%c'", ps->p[i],
					   ps->p[i + 1]);
		ace->flags |= ace_flags[k].flag;
	}
	ps->p += n;
	if ((rc = expect_semi(ps)) || (rc = parse_rights(ps, &ace->mask)) ||
	    (rc = expect_semi(ps)))
		return rc;
	/* Object GUIDs belong to object ACEs only. */
	for (int g = 0; g < 2; g++) {
		if (field_len(ps->p) != 0)
			return sd_int_fail(ps->ei, SD_ERR_UNSUPPORTED, POS(ps),
					   "object GUIDs are not supported");
		if ((rc = expect_semi(ps)))
			return rc;
	}
	rc = sd_int_sid_parse(&ps->p, &ace->sid, ps->start, ps->ei);
	if (rc)
		return rc;
	if (*ps->p == ';')
		return sd_int_fail(ps->ei, SD_ERR_UNSUPPORTED, POS(ps),
				   "resource attributes are not supported");
	if (*ps->p != ')')
		return sd_int_fail(ps->ei, SD_ERR_SYNTAX, POS(ps),
				   "expected ')' after the ACE's SID");
	ps->p++;
	return SD_OK;
}

/* D: or S: flags, then ACEs. */
static int parse_acl(struct parser *ps, struct sd *sd, bool dacl)
{
	struct sd_acl *acl = dacl ? &sd->dacl : &sd->sacl;
	sd->control |= dacl ? SD_DACL_PRESENT : SD_SACL_PRESENT;
	for (;;) {
		skip_ws(&ps->p);
		const char *s = ps->p;
		if (strncmp(s, "NO_ACCESS_CONTROL", 17) == 0) {
			/* A NULL ACL: present bit cleared. */
			sd->control &= (uint16_t) ~(dacl ? SD_DACL_PRESENT
							 : SD_SACL_PRESENT);
			ps->p += 17;
		} else if (strncmp(s, "AI", 2) == 0) {
			sd->control |= dacl ? SD_DACL_AUTO_INHERITED
					    : SD_SACL_AUTO_INHERITED;
			ps->p += 2;
		} else if (strncmp(s, "AR", 2) == 0) {
			sd->control |= dacl ? SD_DACL_AUTO_INHERIT_REQ
					    : SD_SACL_AUTO_INHERIT_REQ;
			ps->p += 2;
		} else if (s[0] == 'P' && s[1] != ':') {
			sd->control |=
				dacl ? SD_DACL_PROTECTED : SD_SACL_PROTECTED;
			ps->p += 1;
		} else {
			break;
		}
	}
	for (;;) {
		skip_ws(&ps->p);
		if (*ps->p != '(')
			return SD_OK;
		struct sd_ace ace;
		int rc = parse_ace(ps, &ace);
		if (rc)
			return rc;
		if ((rc = sd_int_acl_add(acl, &ace)))
			return sd_int_fail(ps->ei, rc, POS(ps),
					   rc == SD_ERR_LIMIT
						   ? "more than %d ACEs"
						   : "out of memory (%d)",
					   SD_MAX_ACES);
	}
}

int sd_from_sddl(const char *sddl, struct sd **ret, struct sd_errinfo *ei)
{
	*ret = NULL;
	struct sd *sd = calloc(1, sizeof(*sd));
	if (sd == NULL)
		return sd_int_fail(ei, SD_ERR_NOMEM, 0, "out of memory");
	struct parser ps = { sddl, sddl, ei };
	unsigned seen = 0;
	int rc = SD_OK;
	for (;;) {
		skip_ws(&ps.p);
		char c = *ps.p;
		if (c == 0)
			break;
		const char *which = strchr("OGDS", c);
		if (which == NULL || c == 0 || ps.p[1] != ':') {
			rc = sd_int_fail(ei, SD_ERR_SYNTAX, POS(&ps),
					 "expected O:, G:, D: or S:");
			break;
		}
		unsigned bit = 1u << (which - "OGDS");
		if (seen & bit) {
			rc = sd_int_fail(ei, SD_ERR_SYNTAX, POS(&ps),
					 "%c: given twice", c);
			break;
		}
		seen |= bit;
		ps.p += 2;
		skip_ws(&ps.p);
		if (c == 'O' || c == 'G') {
			rc = sd_int_sid_parse(
				&ps.p, c == 'O' ? &sd->owner : &sd->group, sddl,
				ei);
			if (c == 'O')
				sd->has_owner = true;
			else
				sd->has_group = true;
		} else {
			rc = parse_acl(&ps, sd, c == 'D');
		}
		if (rc)
			break;
	}
	if (rc) {
		sd_free(sd);
		return rc;
	}
	if (seen == 0) {
		sd_free(sd);
		return sd_int_fail(ei, SD_ERR_SYNTAX, 0, "empty SDDL");
	}
	sd->control |= SD_SELF_RELATIVE;
	*ret = sd;
	return SD_OK;
}

/* ---- formatting ---- */

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)n;
		char *s = realloc(b->s, cap);
		if (s == NULL) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

static void put_sid(struct buf *b, const struct sd_sid *sid)
{
	const char *a = sd_int_sid_alias(sid);
	if (a) {
		put(b, "%s", a);
	} else {
		char s[SD_SID_STR_MAX];
		sd_sid_format(sid, s);
		put(b, "%s", s);
	}
}

static void put_acl(struct buf *b, const struct sd *sd, bool dacl)
{
	uint16_t c = sd->control;
	put(b, "%s:", dacl ? "D" : "S");
	if (!(c & (dacl ? SD_DACL_PRESENT : SD_SACL_PRESENT))) {
		put(b, "NO_ACCESS_CONTROL");
		return;
	}
	if (c & (dacl ? SD_DACL_PROTECTED : SD_SACL_PROTECTED))
		put(b, "P");
	if (c & (dacl ? SD_DACL_AUTO_INHERIT_REQ : SD_SACL_AUTO_INHERIT_REQ))
		put(b, "AR");
	if (c & (dacl ? SD_DACL_AUTO_INHERITED : SD_SACL_AUTO_INHERITED))
		put(b, "AI");
	const struct sd_acl *acl = dacl ? &sd->dacl : &sd->sacl;
	for (size_t i = 0; i < acl->n; i++) {
		const struct sd_ace *a = &acl->aces[i];
		const char *t = "?";
		for (size_t k = 0; k < N(ace_types); k++)
			if (ace_types[k].type == a->type)
				t = ace_types[k].code;
		put(b, "(%s;", t);
		for (size_t k = 0; k < N(ace_flags); k++)
			if (a->flags & ace_flags[k].flag)
				put(b, "%s", ace_flags[k].code);
		put(b, ";0x%x;;;", (unsigned)a->mask);
		put_sid(b, &a->sid);
		put(b, ")");
	}
}

char *sd_to_sddl(const struct sd *sd)
{
	struct buf b = { malloc(128), 0, 128, false };
	if (b.s == NULL)
		return NULL;
	b.s[0] = 0;
	if (sd->has_owner) {
		put(&b, "O:");
		put_sid(&b, &sd->owner);
	}
	if (sd->has_group) {
		put(&b, "G:");
		put_sid(&b, &sd->group);
	}
	put_acl(&b, sd, true);
	if (sd->control & SD_SACL_PRESENT)
		put_acl(&b, sd, false);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

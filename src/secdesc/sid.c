/*
 * sid.c - SIDs: the string form, the SDDL two-letter aliases, equality.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secdesc/internal.h"

#define SID(auth, n, ...)                                                \
	{                                                                \
		.nsub = (n), .authority = (auth), .sub = { __VA_ARGS__ } \
	}

const struct sd_sid sd_int_creator_owner = SID(3, 1, 0);
const struct sd_sid sd_int_creator_group = SID(3, 1, 1);
const struct sd_sid sd_int_local_system = SID(5, 1, 18);
const struct sd_sid sd_int_administrators = SID(5, 2, 32, 544);

/* [MS-DTYP] 2.5.1.1 aliases that name a fixed SID (those relative to a
 * domain, such as DA or LA, need the domain's SID and are unsupported). */
static const struct {
	char alias[3];
	struct sd_sid sid;
} aliases[] = {
	{ "AN", SID(5, 1, 7) },	      /* anonymous */
	{ "AO", SID(5, 2, 32, 548) }, /* account operators */
	{ "AU", SID(5, 1, 11) },      /* authenticated users */
	{ "BA", SID(5, 2, 32, 544) }, /* builtin administrators */
	{ "BG", SID(5, 2, 32, 546) }, /* builtin guests */
	{ "BO", SID(5, 2, 32, 551) }, /* backup operators */
	{ "BU", SID(5, 2, 32, 545) }, /* builtin users */
	{ "CG", SID(3, 1, 1) },	      /* creator group */
	{ "CO", SID(3, 1, 0) },	      /* creator owner */
	{ "CY", SID(5, 2, 32, 569) }, /* crypto operators */
	{ "ED", SID(5, 1, 9) },	      /* enterprise domain controllers */
	{ "ER", SID(5, 2, 32, 573) }, /* event log readers */
	{ "HI", SID(16, 1, 12288) },  /* high integrity */
	{ "IS", SID(5, 2, 32, 568) }, /* IIS users */
	{ "IU", SID(5, 1, 4) },	      /* interactive */
	{ "LS", SID(5, 1, 19) },      /* local service */
	{ "LW", SID(16, 1, 4096) },   /* low integrity */
	{ "ME", SID(16, 1, 8192) },   /* medium integrity */
	{ "MU", SID(5, 2, 32, 558) }, /* performance monitor users */
	{ "NO", SID(5, 2, 32, 556) }, /* network configuration operators */
	{ "NS", SID(5, 1, 20) },      /* network service */
	{ "NU", SID(5, 1, 2) },	      /* network */
	{ "OW", SID(3, 1, 4) },	      /* owner rights */
	{ "PO", SID(5, 2, 32, 550) }, /* printer operators */
	{ "PS", SID(5, 1, 10) },      /* principal self */
	{ "PU", SID(5, 2, 32, 547) }, /* power users */
	{ "RC", SID(5, 1, 12) },      /* restricted code */
	{ "RD", SID(5, 2, 32, 555) }, /* remote desktop users */
	{ "RE", SID(5, 2, 32, 552) }, /* replicator */
	{ "RU", SID(5, 2, 32, 554) }, /* pre-Windows 2000 access */
	{ "SI", SID(16, 1, 16384) },  /* system integrity */
	{ "SO", SID(5, 2, 32, 549) }, /* server operators */
	{ "SU", SID(5, 1, 6) },	      /* service */
	{ "SY", SID(5, 1, 18) },      /* local system */
	{ "WD", SID(1, 1, 0) },	      /* everyone */
	{ "WR", SID(5, 1, 33) },      /* write restricted code */
	{ "AC", SID(15, 2, 2, 1) },   /* all application packages */
};

bool sd_sid_equal(const struct sd_sid *a, const struct sd_sid *b)
{
	if (a->nsub != b->nsub || a->authority != b->authority)
		return false;
	for (unsigned i = 0; i < a->nsub; i++)
		if (a->sub[i] != b->sub[i])
			return false;
	return true;
}

const char *sd_int_sid_alias(const struct sd_sid *sid)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (sd_sid_equal(sid, &aliases[i].sid))
			return aliases[i].alias;
	return NULL;
}

void sd_sid_format(const struct sd_sid *s, char *buf)
{
	/* [MS-DTYP] 2.4.2.1: authorities of 2^32 and above in hex. */
	int o;
	if (s->authority >> 32)
		o = snprintf(buf, SD_SID_STR_MAX, "S-1-0x%012" PRIX64,
			     s->authority);
	else
		o = snprintf(buf, SD_SID_STR_MAX, "S-1-%" PRIu64, s->authority);
	for (unsigned i = 0; i < s->nsub && o > 0 && o < SD_SID_STR_MAX; i++)
		o += snprintf(buf + o, SD_SID_STR_MAX - (size_t)o, "-%" PRIu32,
			      s->sub[i]);
}

static bool parse_u64(const char **p, uint64_t max, uint64_t *v)
{
	const char *s = *p;
	uint64_t r = 0;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	const char *start = s;
	for (;; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (r > (max - (uint64_t)d) / (uint64_t)base)
			return false;
		r = r * (uint64_t)base + (uint64_t)d;
	}
	if (s == start)
		return false;
	*p = s;
	*v = r;
	return true;
}

int sd_int_sid_parse(const char **p, struct sd_sid *sid, const char *start,
		     struct sd_errinfo *ei)
{
	const char *s = *p;
	memset(sid, 0, sizeof(*sid));
	if ((s[0] == 'S' || s[0] == 's') && s[1] == '-') {
		s += 2;
		uint64_t v;
		if (!parse_u64(&s, 255, &v) || v != 1 || *s != '-')
			return sd_int_fail(ei, SD_ERR_SYNTAX,
					   (size_t)(*p - start),
					   "a SID must start with S-1-");
		s++;
		if (!parse_u64(&s, 0xffffffffffffULL, &sid->authority))
			return sd_int_fail(ei, SD_ERR_SYNTAX,
					   (size_t)(s - start),
					   "bad SID authority");
		while (*s == '-') {
			if (sid->nsub == SD_MAX_SUBAUTH)
				return sd_int_fail(ei, SD_ERR_LIMIT,
						   (size_t)(s - start),
						   "more than %d "
						   "sub-authorities",
						   SD_MAX_SUBAUTH);
			s++;
			if (!parse_u64(&s, 0xffffffffULL, &v))
				return sd_int_fail(ei, SD_ERR_SYNTAX,
						   (size_t)(s - start),
						   "bad SID sub-authority");
			sid->sub[sid->nsub++] = (uint32_t)v;
		}
		*p = s;
		return SD_OK;
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (s[0] == aliases[i].alias[0] &&
		    s[1] == aliases[i].alias[1]) {
			*sid = aliases[i].sid;
			*p = s + 2;
			return SD_OK;
		}
	}
	if (s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z')
		return sd_int_fail(ei, SD_ERR_UNSUPPORTED, (size_t)(s - start),
				   "SID alias '%c%c' is unknown or needs a "
				   "domain",
				   s[0], s[1]);
	return sd_int_fail(ei, SD_ERR_SYNTAX, (size_t)(s - start),
			   "expected a SID");
}

/*
 * der.c - a minimal, bounds-checked DER reader (see der.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "trust/der.h"

/* Four length bytes cover 4 GiB, far beyond any signature we accept
 * (TRUST_MAX_SIG_LEN); longer length fields are malformed here. */
#define DER_MAX_LEN_BYTES 4

bool trust_int_der_next(struct der *d, struct der_elem *e)
{
	if (d->len < 2)
		return false;
	uint8_t tag = d->p[0];
	/* High tag numbers (low five bits all set) do not occur in the
	 * structures we read. */
	if ((tag & 0x1f) == 0x1f)
		return false;
	size_t hl = 2, len = d->p[1];
	if (len & 0x80) {
		size_t n = len & 0x7f;
		/* 0x80 is BER's indefinite length: not DER. */
		if (n == 0 || n > DER_MAX_LEN_BYTES || d->len < 2 + n)
			return false;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | d->p[2 + i];
		hl += n;
	}
	if (len > d->len - hl)
		return false;
	e->tag = tag;
	e->raw = d->p;
	e->raw_len = hl + len;
	e->body = d->p + hl;
	e->body_len = len;
	d->p += e->raw_len;
	d->len -= e->raw_len;
	return true;
}

bool trust_int_der_expect(struct der *d, uint8_t tag, struct der_elem *e)
{
	struct der save = *d;
	if (!trust_int_der_next(d, e))
		return false;
	if (e->tag != tag) {
		*d = save;
		return false;
	}
	return true;
}

struct der trust_int_der_enter(const struct der_elem *e)
{
	struct der d = { e->body, e->body_len };
	return d;
}

bool trust_int_der_oid_str(const struct der_elem *e, char *buf, size_t size)
{
	if (e->tag != DER_OID || e->body_len == 0 || size < 16)
		return false;
	size_t o = 0;
	uint64_t v = 0;
	bool first = true;
	for (size_t i = 0; i < e->body_len; i++) {
		/* 56 bits per arc is far more than any OID uses. */
		if (v >> 56)
			return false;
		v = v << 7 | (e->body[i] & 0x7f);
		if (e->body[i] & 0x80) {
			if (i + 1 == e->body_len)
				return false;
			continue;
		}
		int n;
		if (first) {
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
			n = snprintf(buf + o, size - o, "%u.%llu", a,
				     (unsigned long long)(v - 40 * a));
			first = false;
		} else {
			n = snprintf(buf + o, size - o, ".%llu",
				     (unsigned long long)v);
		}
		if (n < 0 || (size_t)n >= size - o)
			return false;
		o += (size_t)n;
		v = 0;
	}
	return true;
}

static bool digits(const uint8_t *p, size_t n, int *v)
{
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		r = r * 10 + (p[i] - '0');
	}
	*v = r;
	return true;
}

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool trust_int_der_time(const struct der_elem *e, time_t *t_ret)
{
	const uint8_t *p = e->body;
	size_t n = e->body_len;
	int y, mo, d, h, mi, s;
	size_t yl;
	if (e->tag == DER_GENERALIZEDTIME)
		yl = 4;
	else if (e->tag == DER_UTCTIME)
		yl = 2;
	else
		return false;
	if (n < yl + 11 || p[n - 1] != 'Z')
		return false;
	if (!digits(p, yl, &y) || !digits(p + yl, 2, &mo) ||
	    !digits(p + yl + 2, 2, &d) || !digits(p + yl + 4, 2, &h) ||
	    !digits(p + yl + 6, 2, &mi) || !digits(p + yl + 8, 2, &s))
		return false;
	/* Fractional seconds (RFC 3161 allows them) are ignored; nothing
	 * else may stand between the seconds and the 'Z'. */
	size_t rest = yl + 10;
	if (rest != n - 1) {
		if (p[rest] != '.' || e->tag != DER_GENERALIZEDTIME)
			return false;
		for (size_t i = rest + 1; i < n - 1; i++)
			if (p[i] < '0' || p[i] > '9')
				return false;
	}
	if (yl == 2) /* RFC 5280 4.1.2.5.1 */
		y += y < 50 ? 2000 : 1900;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return false;
	int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	*t_ret = (time_t)t;
	return true;
}

/*
 * identity.c - component keys and installed-package names.
 *
 * A component's manifest and payload folder are named by its key,
 *
 *   <arch>_<name>_<publicKeyToken>_<version>_<culture|none>_<hash>
 *
 * (reference/offline-ic.md 2.4).  The hash is the one Windows' servicing
 * stack computes over the identity's attributes; its algorithm was
 * reverse-engineered publicly (smx-smx/Winter, ComponentAppId.cs) and is
 * re-implemented here from that description:
 *
 *   - h(s): four 32-bit accumulators; the i-th character of lower-case s
 *     goes into accumulator i mod 4 as  acc = c + 0x1003F * acc  (mod 2^32);
 *     the result is  acc0*0x1E5FFFFFD27 + acc1*0xFFFFFFDC00000051 +
 *     acc2*0x1FFFFFFF7 + acc3  (mod 2^64).
 *   - each present attribute contributes  h(attr-name)*0x1FFFFFFF7 +
 *     h(value), chained as  hash = hash*0x1FFFFFFF7 + contribution,  in
 *     the order name, culture (omitted when neutral), type, version,
 *     publicKeyToken, processorArchitecture, versionScope.
 *
 * Characters are UTF-16 code units lower-cased as ASCII; identities are
 * ASCII in practice, and a non-ASCII one would show up as a key mismatch
 * (checked against every folder name of the cabinet), never silently.
 *
 * The tests check the result against every folder name of both real IC
 * cabinets (names read with cabextract).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "package/internal.h"
#include "util/utf.h"

#define HASH_PRIME 0x1003Fu
#define HASH_KEY   0x1FFFFFFF7ull

/* Name and culture parts of the key are shortened beyond these lengths
 * (first half-1 characters, "..", last half-1 characters). */
#define KEY_NAME_MAX	40
#define KEY_CULTURE_MAX 8

static uint64_t blob_hash(const char *s)
{
	uint32_t g[4] = { 0, 0, 0, 0 };
	size_t i = 0;
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	while (p < end) {
		uint32_t cp;
		size_t n = hvo_int_utf8_valid_prefix(p, (size_t)(end - p));
		if (n == 0) {
			cp = 0xFFFD;
			p++;
		} else {
			cp = hvo_int_utf8_decode(&p);
		}
		if (cp >= 'A' && cp <= 'Z')
			cp += 32;
		/* One UTF-16 code unit, or two for a supplementary one. */
		uint32_t units[2];
		int nunits = 1;
		if (cp >= 0x10000) {
			units[0] = 0xD800 + ((cp - 0x10000) >> 10);
			units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
			nunits = 2;
		} else {
			units[0] = cp;
		}
		for (int k = 0; k < nunits; k++, i++)
			g[i % 4] = units[k] + HASH_PRIME * g[i % 4];
	}
	return (uint64_t)g[0] * 0x1E5FFFFFD27ull +
	       (uint64_t)g[1] * 0xFFFFFFDC00000051ull +
	       (uint64_t)g[2] * 0x1FFFFFFF7ull + (uint64_t)g[3];
}

static void hash_attr(uint64_t *hash, const char *attr, const char *value)
{
	uint64_t c = blob_hash(attr) * HASH_KEY + blob_hash(value);
	*hash = *hash * HASH_KEY + c;
}

static bool present(const char *s)
{
	return s != NULL && *s != '\0';
}

static bool neutral(const char *lang)
{
	return !present(lang) || pkg_int_strcasecmp(lang, "neutral") == 0;
}

uint64_t pkg_identity_hash(const struct pkg_identity *id)
{
	uint64_t h = 0;
	if (present(id->name))
		hash_attr(&h, "name", id->name);
	if (!neutral(id->language))
		hash_attr(&h, "culture", id->language);
	if (present(id->type))
		hash_attr(&h, "type", id->type);
	if (present(id->version))
		hash_attr(&h, "version", id->version);
	if (present(id->public_key_token))
		hash_attr(&h, "publicKeyToken", id->public_key_token);
	if (present(id->arch))
		hash_attr(&h, "processorArchitecture", id->arch);
	if (present(id->version_scope))
		hash_attr(&h, "versionScope", id->version_scope);
	return h;
}

/* Lower-cases, drops ' ', '(' and ')', and shortens beyond @max. */
static void key_part(struct pkg_int_buf *b, const char *s, size_t max)
{
	struct pkg_int_buf t = { 0 };
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (c == ' ' || c == '(' || c == ')')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		pkg_int_buf_putc(&t, c);
	}
	if (t.oom) {
		b->oom = true;
	} else if (t.len > max) {
		size_t half = max / 2 - 1;
		pkg_int_buf_put(b, t.s, half);
		pkg_int_buf_puts(b, "..");
		pkg_int_buf_put(b, t.s + t.len - half, half);
	} else if (t.len) {
		pkg_int_buf_put(b, t.s, t.len);
	}
	pkg_int_buf_free(&t);
}

char *pkg_component_key(struct pkg_arena *arena, const struct pkg_identity *id)
{
	if (!present(id->name) || !present(id->arch) || !present(id->version))
		return NULL;
	struct pkg_int_buf b = { 0 };
	key_part(&b, id->arch, SIZE_MAX);
	pkg_int_buf_putc(&b, '_');
	key_part(&b, id->name, KEY_NAME_MAX);
	pkg_int_buf_putc(&b, '_');
	pkg_int_buf_puts(&b, present(id->public_key_token)
				     ? id->public_key_token
				     : "none");
	pkg_int_buf_putc(&b, '_');
	pkg_int_buf_puts(&b, id->version);
	pkg_int_buf_putc(&b, '_');
	key_part(&b, neutral(id->language) ? "none" : id->language,
		 KEY_CULTURE_MAX);
	char hex[24];
	snprintf(hex, sizeof(hex), "_%016llx",
		 (unsigned long long)pkg_identity_hash(id));
	pkg_int_buf_puts(&b, hex);
	char *key = b.oom ? NULL : pkg_int_strndup(arena, b.s, b.len);
	pkg_int_buf_free(&b);
	return key;
}

/* ---- Installed package names ---- */

bool pkg_installed_parse(struct pkg_arena *arena, const char *name,
			 struct pkg_installed *out)
{
	size_t len = strlen(name);
	if (len > 4 && pkg_int_strcasecmp(name + len - 4, ".mum") == 0)
		len -= 4;
	/* Name~token~arch~lang~version: exactly four '~'. */
	const char *f[5];
	size_t flen[5];
	size_t nf = 0;
	const char *start = name;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '~') {
			if (nf == 5)
				return false;
			f[nf] = start;
			flen[nf] = (size_t)(name + i - start);
			nf++;
			start = name + i + 1;
		}
	}
	if (nf != 5 || flen[0] == 0 || flen[2] == 0 || flen[4] == 0)
		return false;
	struct pkg_installed r;
	memset(&r, 0, sizeof(r));
	char *parts[5];
	for (size_t i = 0; i < 5; i++) {
		parts[i] = pkg_int_strndup(arena, f[i], flen[i]);
		if (parts[i] == NULL)
			return false;
	}
	if (!pkg_version_parse(parts[4], &r.ver))
		return false;
	r.name = parts[0];
	r.public_key_token = parts[1];
	r.arch = parts[2];
	r.language = parts[3];
	r.version = parts[4];
	*out = r;
	return true;
}

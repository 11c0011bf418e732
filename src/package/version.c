/*
 * version.c - four-part assembly versions ("6.3.9600.19456").
 *
 * Assembly versions are four 16-bit numbers (major.minor.build.revision);
 * manifests and installed-package names write them in decimal.  Missing
 * trailing parts compare as zero, so "6.3" equals "6.3.0.0".
 */
#include <config.h>

#include <string.h>

#include "package/internal.h"

bool pkg_version_parse(const char *s, struct pkg_version *out)
{
	struct pkg_version v = { { 0, 0, 0, 0 }, 0 };
	if (s == NULL || *s == '\0')
		return false;
	const char *p = s;
	for (;;) {
		if (v.nparts == 4)
			return false;
		uint32_t n = 0;
		size_t digits = 0;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (uint32_t)(*p - '0');
			if (n > 0xFFFF)
				return false;
			p++;
			digits++;
		}
		if (digits == 0)
			return false;
		v.part[v.nparts++] = (uint16_t)n;
		if (*p == '\0')
			break;
		if (*p != '.')
			return false;
		p++;
	}
	*out = v;
	return true;
}

int pkg_version_cmp(const struct pkg_version *a, const struct pkg_version *b)
{
	for (int i = 0; i < 4; i++)
		if (a->part[i] != b->part[i])
			return a->part[i] < b->part[i] ? -1 : 1;
	return 0;
}

int pkg_version_cmp_str(const char *a, const char *b)
{
	struct pkg_version va, vb;
	bool oka = pkg_version_parse(a, &va);
	bool okb = pkg_version_parse(b, &vb);
	if (oka && okb)
		return pkg_version_cmp(&va, &vb);
	if (oka != okb)
		return oka ? 1 : -1;
	int c = strcmp(a ? a : "", b ? b : "");
	return c < 0 ? -1 : c > 0;
}

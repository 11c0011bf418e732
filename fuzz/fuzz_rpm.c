/*
 * fuzz_rpm.c - libFuzzer target for a Linux guest's RPM database
 * (src/servicing/rpm_*.c): an RPM header blob, a Berkeley DB hash
 * "Packages" file, and an rpmdb.sqlite file (our handling of it; SQLite
 * itself is fuzzed upstream).
 *
 * Each input is given to the header parser, to the Berkeley DB walker
 * (every blob it yields to the header parser) and, when it starts as an
 * SQLite file does, to the SQLite reader.  Invariants: every field found
 * is a NUL-terminated string within its buffer; a blob the walker yields
 * lies in memory it may read (the sanitizers check the reads); a walk
 * yields no more blobs than the input has bytes.
 */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/rpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

#define TERMINATED(field) check(memchr(field, '\0', sizeof(field)) != NULL)

static void check_pkg(const struct svc_rpm_pkg *p)
{
	TERMINATED(p->name);
	TERMINATED(p->version);
	TERMINATED(p->release);
	TERMINATED(p->arch);
}

struct walk {
	size_t blobs, limit;
};

static int each(const uint8_t *blob, size_t len, void *opaque)
{
	struct walk *w = opaque;
	check(++w->blobs <= w->limit);
	/* Touch every byte: the sanitizers catch a blob out of bounds. */
	volatile uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum ^= blob[i];
	(void)sum;
	struct svc_rpm_pkg pkg;
	char why[128];
	if (svc_rpm_header_parse(blob, len, &pkg, why, sizeof(why)) == 0)
		check_pkg(&pkg);
	else
		TERMINATED(why);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svc_rpm_pkg pkg;
	char why[128];
	/* An exact-size copy, so that reading past the end is caught. */
	uint8_t *buf = size ? malloc(size) : NULL;
	if (size != 0 && buf == NULL)
		return 0;
	if (size != 0)
		memcpy(buf, data, size);
	if (svc_rpm_header_parse(buf, size, &pkg, why, sizeof(why)) == 0)
		check_pkg(&pkg);
	struct walk w = { 0, size + 1 };
	svc_rpm_bdb_foreach(buf, size, each, &w, why, sizeof(why));
	if (size >= 16 && memcmp(buf, "SQLite format 3", 16) == 0) {
		w.blobs = 0;
		svc_rpm_sqlite_foreach(buf, size, each, &w, why, sizeof(why));
	}
	static const char *const names[] = { "hyperv-daemons", "hypervkvpd" };
	size_t bad;
	if (svc_rpm_find(buf, size, SVC_RPM_BDB, names, 2, &pkg, &bad, why,
			 sizeof(why)) >= 0)
		check(strcmp(pkg.name, names[0]) == 0 ||
		      strcmp(pkg.name, names[1]) == 0);
	free(buf);
	return 0;
}

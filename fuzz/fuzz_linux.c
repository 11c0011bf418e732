/*
 * fuzz_linux.c - libFuzzer target for the parsers of a Linux guest's text
 * files (src/servicing/inspect_linux_parse.c): os-release, dpkg's status
 * file, modules.builtin, modules.dep and fstab.
 *
 * Each input is given to every parser.  Invariants: every field found is
 * a NUL-terminated string within its buffer; a module path found names
 * the module asked for.
 */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/inspect_linux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant stops the fuzzer where it broke. */
static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

#define TERMINATED(field) check(memchr(field, '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that reading past the end is caught. */
	char *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	struct svc_os_release os;
	svc_linux_parse_os_release(buf, size, &os);
	TERMINATED(os.id);
	TERMINATED(os.id_like);
	TERMINATED(os.name);
	TERMINATED(os.version_id);
	TERMINATED(os.version);
	TERMINATED(os.pretty_name);
	TERMINATED(os.codename);
	char version[64];
	if (svc_linux_dpkg_installed(buf, size, "hyperv-daemons", version,
				     sizeof(version)))
		TERMINATED(version);
	static const char *const names[] = { "hv_vmbus", "hv_utils",
					     "hv_netvsc", "hv_storvsc" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[192];
		if (svc_linux_builtin_find(buf, size, names[i], path,
					   sizeof(path))) {
			TERMINATED(path);
			/* Whole (not cut to the field): a module file. */
			check(strlen(path) == sizeof(path) - 1 ||
			      strstr(path, ".ko") != NULL);
		}
		if (svc_linux_dep_find(buf, size, names[i], path, sizeof(path)))
			TERMINATED(path);
	}
	struct svc_fstab_entry fstab[8];
	size_t nf = svc_linux_parse_fstab(buf, size, fstab, 8);
	check(nf <= 8);
	for (size_t i = 0; i < nf; i++) {
		TERMINATED(fstab[i].spec);
		TERMINATED(fstab[i].file);
		TERMINATED(fstab[i].vfstype);
	}
	/* The same with no input at all. */
	svc_linux_parse_os_release(buf, 0, &os);
	free(buf);
	return 0;
}

/*
 * fuzz_pe.c - the PE reader (src/guest/pe.c) on arbitrary bytes.
 *
 * Invariants: a failure always says why; on success the version strings
 * are terminated within their fields; the header-only reader agrees with
 * the full reader on the machine type.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "guest/pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_pe_info full, head;
	int r = guest_pe_read(data, size, &full);
	if (r != GUEST_PE_OK && full.error[0] == '\0')
		abort();
	if (r == GUEST_PE_OK &&
	    (memchr(full.file_version_str, 0, GUEST_PE_STRING_MAX) == NULL ||
	     memchr(full.product_version_str, 0, GUEST_PE_STRING_MAX) == NULL ||
	     memchr(full.original_filename, 0, GUEST_PE_STRING_MAX) == NULL))
		abort();
	int h = guest_pe_read_headers(data, size, &head);
	if ((r == GUEST_PE_OK || r == GUEST_PE_NO_VERSION) &&
	    (h != GUEST_PE_OK || head.machine != full.machine))
		abort();
	char v[32];
	guest_pe_version_format(&full.file_version, v, sizeof(v));
	guest_pe_machine_arch(full.machine);
	return 0;
}

/*
 * fuzz_ntfs.c - the raw-volume probes (src/guest/volume.c) on arbitrary
 * bytes: the first 512 bytes are a boot sector; when it parses, the next
 * record-size bytes are the $Volume record.  The whole input is also
 * classified as a hiberfil.sys header.
 *
 * Invariants: a parsed geometry is self-consistent (powers of two within
 * the named limits, the MFT inside the volume); a parsed record has a
 * terminated label.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "guest/volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sig[5];
	guest_hiber_unsafe(guest_hiber_classify(data, size, sig));
	if (strlen(sig) != 4)
		abort();
	guest_vol_is_bitlocker(data, size);

	struct guest_ntfs_geometry g;
	char why[128];
	if (guest_ntfs_parse_boot(data, size, &g, why, sizeof(why)) !=
	    GUEST_VOL_OK)
		return 0;
	if (!pow2(g.sector_size) || !pow2(g.cluster_size) ||
	    !pow2(g.record_size) || g.record_size > 4096 ||
	    g.mft_offset + 4ull * g.record_size > g.volume_size)
		abort();
	if (size < GUEST_VOL_BOOT_SIZE + g.record_size)
		return 0;
	uint8_t *rec = malloc(g.record_size);
	if (rec == NULL)
		return 0;
	memcpy(rec, data + GUEST_VOL_BOOT_SIZE, g.record_size);
	struct guest_ntfs_volinfo vi;
	if (guest_ntfs_parse_volume_record(rec, g.record_size, &vi, why,
					   sizeof(why)) == GUEST_VOL_OK &&
	    memchr(vi.label, 0, sizeof(vi.label)) == NULL)
		abort();
	free(rec);
	return 0;
}

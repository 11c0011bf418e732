/*
 * fuzz_authenticode.c - libFuzzer target for the Authenticode path of
 * src/trust/: the header reserve, the CAB digest, the PKCS#7 SignedData
 * and SpcIndirectDataContent, the RFC 3161 token and its TSTInfo, chain
 * building, and rendering of the verdict.
 *
 * An input that starts with "MSCF" is a whole cabinet (the corpus lists
 * the real signed ones).  Any other input is taken as a signature blob
 * and wrapped in a minimal signed-cabinet header built here, so that the
 * fuzzer reaches the DER and PKCS#7 parsers without first having to
 * discover the header layout.  The store holds the shipped roots.
 * Invariant: every input yields a verdict whose status is the result.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust/report.h"
#include "trust/trust.h"
#include "util/bytes.h"

/* Header plus one CFFOLDER, as in tests/trust/test_trust.c. */
#define WRAP_HEADER 68

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct trust *g_store;

static void init_store(void)
{
	if (g_store)
		return;
	if (trust_new(&g_store) != TRUST_OK)
		abort();
	/* Failing to load the roots only makes every chain untrusted: the
	 * parsers are still reached. */
	(void)trust_add_root_dir(g_store, HVO_ABS_TOP_SRCDIR "/data/trust");
}

static uint8_t *wrap(const uint8_t *sig, size_t n, size_t *len)
{
	/* Padded to 8 as signtool does. */
	size_t padded = (n + 7) & ~(size_t)7;
	uint8_t *b = calloc(1, WRAP_HEADER + padded + 1);
	if (b == NULL)
		abort();
	memcpy(b, "MSCF", 4);
	put_le32(b + 8, WRAP_HEADER);  /* cbCabinet */
	put_le32(b + 16, WRAP_HEADER); /* coffFiles */
	b[24] = 3;
	b[25] = 1;
	put_le16(b + 26, 1);	  /* cFolders */
	put_le16(b + 30, 0x0004); /* RESERVE_PRESENT */
	put_le16(b + 36, 20);	  /* cbCFHeader */
	put_le32(b + 40, 0x00100000);
	put_le32(b + 44, WRAP_HEADER);
	put_le32(b + 48, (uint32_t)padded);
	memcpy(b + WRAP_HEADER, sig, n);
	*len = WRAP_HEADER + padded;
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_store();
	uint8_t *owned = NULL;
	const uint8_t *buf = data;
	size_t len = size;
	if (size < 4 || memcmp(data, "MSCF", 4) != 0) {
		if (size == 0 || size > (1u << 20))
			return 0;
		owned = wrap(data, size, &len);
		buf = owned;
	}
	struct trust_verdict *v = NULL;
	int rc = trust_verify_cab_mem(g_store, buf, len, "fuzz", &v);
	if (v == NULL || v->status != rc)
		abort();
	/* Rendering walks every field of the verdict. */
	FILE *devnull = fopen("/dev/null", "w");
	if (devnull) {
		struct trust_opts o = { .allow_unsigned = true };
		trust_render_text(devnull, "", v, &o);
		struct json_writer w;
		hvo_int_json_init(&w, devnull, false);
		hvo_int_json_begin_object(&w);
		trust_render_json(&w, v, &o);
		hvo_int_json_end_object(&w);
		(void)hvo_int_json_finish(&w);
		fclose(devnull);
	}
	trust_verdict_free(v);
	free(owned);
	return 0;
}

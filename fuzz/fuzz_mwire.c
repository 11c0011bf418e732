/*
 * fuzz_mwire.c - what a managing command's sandboxed child sends its
 * parent (src/servicing/services_wire.c), on arbitrary bytes: a
 * compromised child may send anything, and the parent decodes it.
 *
 * The first byte picks the decoder (services, rollback, registry values
 * and names).  Invariants: decoding never reads past the bytes; a result
 * decoded whole encodes again to bytes that decode to the same counts.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/services_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes @p with decoder @k; the counts of what was decoded into @n
 * (three of them).  Whether the reader stayed good. */
static bool decode(int k, const char *p, size_t len, size_t n[3],
		   struct svc_mwire *again)
{
	struct svc_mread r = { p, len, false };
	memset(n, 0, 3 * sizeof(*n));
	if (k == 0) {
		struct svc_services_result res = { 0 };
		svc_int_mr_services(&r, &res);
		n[0] = res.list.n;
		n[1] = res.n;
		n[2] = res.nchanged;
		if (!r.bad && again != NULL)
			svc_int_mw_services(again, &res);
		svc_services_result_free(&res);
	} else if (k == 1) {
		struct svc_rollback_result res = { 0 };
		svc_int_mr_rollback(&r, &res);
		n[0] = res.n;
		n[1] = res.nchanged;
		n[2] = res.values_restored;
		if (!r.bad && again != NULL)
			svc_int_mw_rollback(again, &res);
		svc_rollback_result_free(&res);
	} else {
		struct reg_value *v = NULL;
		char **names = NULL;
		size_t nv = 0, nn = 0;
		svc_int_mr_values(&r, &v, &nv);
		svc_int_mr_names(&r, &names, &nn);
		n[0] = nv;
		n[1] = nn;
		if (!r.bad && again != NULL) {
			svc_int_mw_values(again, v, nv);
			svc_int_mw_names(again, names, nn);
		}
		reg_values_free(v, nv);
		reg_names_free(names, nn);
	}
	return !r.bad;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int k = data[0] % 3;
	/* A copy of exactly the bytes: a read past them is caught. */
	char *p = malloc(size - 1 ? size - 1 : 1);
	if (p == NULL)
		return 0;
	memcpy(p, data + 1, size - 1);
	size_t n[3], m[3];
	struct svc_mwire w = { 0 };
	if (decode(k, p, size - 1, n, &w)) {
		if (svc_int_mw_close(&w) != 0)
			abort();
		if (!decode(k, w.buf, w.len, m, NULL) ||
		    memcmp(n, m, sizeof(n)) != 0)
			abort();
	} else {
		svc_int_mw_close(&w);
	}
	free(w.buf);
	free(p);
	return 0;
}

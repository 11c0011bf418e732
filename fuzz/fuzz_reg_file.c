/*
 * fuzz_reg_file.c - the .reg parser (import) and its inverse (export).
 *
 * Each input is imported into a small hive built in memory.  Invariant
 * (abort when broken): what imported exports as text that imports into a
 * fresh hive and exports again identically (our export round-trips).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "tests/registry/regtest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char prefix[] = "HKEY_LOCAL_MACHINE\\SOFTWARE";

static struct reg_hive *fresh(void)
{
	static uint8_t hive[RT_HIVE_SIZE];
	rt_build_hive(hive, 1, 1, 5);
	struct reg_int_mem_input in = { .hive = hive, .len = sizeof(hive) };
	struct reg_hive *h;
	if (reg_int_open_mem(&in, REG_OPEN_WRITE, &h) != 0)
		abort();
	return h;
}

static char *export(struct reg_hive *h, size_t *len, int *rc)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (f == NULL)
		abort();
	*rc = reg_export(h, NULL, prefix, REG_EXPORT_UTF8, f);
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reg_hive *h = fresh();
	if (reg_import_buffer(h, data, size, "fuzz.reg", prefix, NULL) == 0) {
		size_t l1, l2;
		int rc;
		char *t1 = export(h, &l1, &rc);
		if (rc == 0) {
			struct reg_hive *h2 = fresh();
			if (reg_import_buffer(h2, (const uint8_t *)t1, l1,
					      "export", prefix, NULL) != 0)
				abort(); /* our export does not import */
			char *t2 = export(h2, &l2, &rc);
			if (rc != 0 || l1 != l2 || memcmp(t1, t2, l1) != 0)
				abort(); /* the round trip changed it */
			free(t2);
			reg_close(h2);
		}
		free(t1);
	}
	reg_close(h);
	return 0;
}

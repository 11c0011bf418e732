/*
 * crash_writer.c - write-backs in a loop, for the crash-safety test.
 *
 *   crash_writer HIVE
 *
 * Forever: open HIVE for writing, set Crash\Counter to the next number N,
 * Crash\Blob to 30000 bytes of N & 0xff (a big value: the big-data
 * conversion runs on every commit), create Crash\K<N % 7>, commit, and
 * print N on stdout once the commit returned.  tests/registry/
 * crash-safety.sh kills it with SIGKILL at random points and checks that
 * the hive always opens, holds a Counter and a Blob from the same commit,
 * and lost nothing else.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/reg.h"

#define BLOB_SIZE 30000

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: crash_writer HIVE\n");
		return 2;
	}
	static uint8_t blob[BLOB_SIZE];
	setvbuf(stdout, NULL, _IONBF, 0);
	for (;;) {
		struct reg_hive *h;
		struct reg_open_opts o = { .flags = REG_OPEN_WRITE };
		if (reg_open(argv[1], &o, &h) != 0) {
			fprintf(stderr, "crash_writer: %s: %s\n", argv[1],
				reg_errmsg(h));
			return 1;
		}
		uint32_t n = 1;
		struct reg_value *v;
		if (reg_get_value(h, "Crash", "Counter", &v) == 0) {
			uint32_t cur;
			if (reg_value_dword(v, &cur) == 0)
				n = cur + 1;
			reg_value_free(v);
		}
		memset(blob, (int)(n & 0xff), sizeof(blob));
		char key[32];
		snprintf(key, sizeof(key), "Crash\\K%u", n % 7);
		if (reg_set_dword(h, "Crash", "Counter", n) != 0 ||
		    reg_set_value(h, "Crash", "Blob", REG_TYPE_BINARY, blob,
				  sizeof(blob)) != 0 ||
		    reg_create_key(h, key) != 0 || reg_commit(h) != 0) {
			fprintf(stderr, "crash_writer: %s\n", reg_errmsg(h));
			reg_close(h);
			return 1;
		}
		reg_close(h);
		printf("%u\n", n);
	}
}

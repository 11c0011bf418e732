/*
 * fuzz_sddl.c - libFuzzer target for src/secdesc/.
 *
 * The first byte chooses the path: even, the rest is SDDL (parsed,
 * formatted, encoded self-relative and decoded again, which must give
 * back the same SDDL); odd, the rest is a self-relative descriptor
 * (decoded, and inherited into a file and a directory).
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secdesc/sd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inherit_both(const struct sd *p)
{
	for (int dir = 0; dir < 2; dir++) {
		struct sd *c;
		if (sd_inherit(p, NULL, dir, &c) == SD_OK) {
			char *s = sd_to_sddl(c);
			free(s);
			sd_free(c);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	struct sd *sd = NULL;
	if ((data[0] & 1) == 0) {
		char *s = malloc(size);
		if (s == NULL)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = 0;
		if (sd_from_sddl(s, &sd, NULL) == SD_OK) {
			char *out = sd_to_sddl(sd);
			uint8_t *b;
			size_t len;
			if (out && sd_to_self_relative(sd, &b, &len) == SD_OK) {
				struct sd *back;
				if (sd_from_self_relative(b, len, &back,
							  NULL) != SD_OK)
					abort();
				char *again = sd_to_sddl(back);
				if (again && strcmp(again, out) != 0)
					abort();
				free(again);
				sd_free(back);
				free(b);
			}
			free(out);
			inherit_both(sd);
		}
		free(s);
	} else if (sd_from_self_relative(data + 1, size - 1, &sd, NULL) ==
		   SD_OK) {
		inherit_both(sd);
	}
	sd_free(sd);
	return 0;
}

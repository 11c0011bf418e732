/*
 * regf_base.c - the base block: decode, checksum, seal.
 */
#include <config.h>

#include <string.h>

#include "registry/regf.h"
#include "util/bytes.h"

uint32_t reg_int_regf_checksum(const uint8_t *p)
{
	uint32_t c = 0;
	for (size_t i = 0; i < REGF_CHECKSUM_SPAN; i += 4)
		c ^= get_le32(p + i);
	/* "Base block", Notes 2: the values -1 and 0 are never stored. */
	if (c == 0xffffffffu)
		c = 0xfffffffeu;
	else if (c == 0)
		c = 1;
	return c;
}

void reg_int_regf_base_decode(const uint8_t *p, struct regf_base *b)
{
	b->signature_ok = memcmp(p + RB_SIGNATURE, "regf", 4) == 0;
	b->seq1 = get_le32(p + RB_SEQ1);
	b->seq2 = get_le32(p + RB_SEQ2);
	b->timestamp = get_le64(p + RB_TIMESTAMP);
	b->major = get_le32(p + RB_MAJOR);
	b->minor = get_le32(p + RB_MINOR);
	b->type = get_le32(p + RB_TYPE);
	b->format = get_le32(p + RB_FORMAT);
	b->root = get_le32(p + RB_ROOT);
	b->hbins_size = get_le32(p + RB_HBINS_SIZE);
	b->cluster = get_le32(p + RB_CLUSTER);
	b->flags = get_le32(p + RB_FLAGS);
	b->checksum = get_le32(p + RB_CHECKSUM);
	b->checksum_ok = b->checksum == reg_int_regf_checksum(p);
}

void reg_int_regf_base_seal(uint8_t *p)
{
	put_le32(p + RB_CHECKSUM, reg_int_regf_checksum(p));
}

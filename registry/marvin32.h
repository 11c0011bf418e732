/*
 * marvin32.h - the Marvin32 hash, as used by new-format transaction logs.
 *
 * Each HvLE log entry carries two Marvin32 hashes (regf spec, "Log
 * entries", Notes 1-3) computed with the fixed seed 0x82EF4D887A4E55C5.
 * The algorithm is Microsoft's published Marvin32 (two 32-bit lanes,
 * a four-round ARX block function, 0x80 padding, two final rounds);
 * written here from that description.
 */
#ifndef HVO_REGISTRY_MARVIN32_H
#define HVO_REGISTRY_MARVIN32_H

#include <stddef.h>
#include <stdint.h>

/* Seed of the registry's log-entry hashes: bytes 82 EF 4D 88 7A 4E 55 C5
 * read as one big-endian 64-bit number (low lane 0x7A4E55C5). */
#define MARVIN32_REGISTRY_SEED 0x82EF4D887A4E55C5ull

uint64_t reg_int_marvin32(const uint8_t *data, size_t len, uint64_t seed);

#endif /* HVO_REGISTRY_MARVIN32_H */

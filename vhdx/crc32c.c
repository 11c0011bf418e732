/*
 * crc32c.c - CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected
 * 0x82F63B78), the checksum of every VHDX header, region table and log
 * entry (MS-VHDX section 2).
 *
 * Slicing-by-8: eight 256-entry tables let the loop consume 8 bytes per
 * step.  The tables are computed once (pthread_once), so the library needs
 * no generated source.  A log scan checksums at most a few MiB per open,
 * so this is far from any bottleneck.
 */
#include <config.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "vhdx/internal.h"

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void make_tables(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32C_POLY_REFLECTED & (0u - (c & 1)));
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^
				      table[0][table[t - 1][i] & 0xff];
}

uint32_t vhdx_int_crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&table_once, make_tables);
	const uint8_t *p = buf;
	uint32_t c = ~crc;
	while (len >= 8) {
		uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		    table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		    table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^
		    table[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
	return ~c;
}

uint32_t vhdx_int_crc32c_with_hole(const uint8_t *buf, size_t len,
				   size_t csum_off)
{
	static const uint8_t zero[4];
	uint32_t c = vhdx_int_crc32c(0, buf, csum_off);
	c = vhdx_int_crc32c(c, zero, 4);
	return vhdx_int_crc32c(c, buf + csum_off + 4, len - csum_off - 4);
}

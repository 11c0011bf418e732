/*
 * regf.h - the regf on-disk format (internal to registry/).
 *
 * Offsets and constants of the primary file's base block, hive bins and
 * cells, and of the two transaction-log formats, as described by Maxim
 * Suhanov's "Windows registry file format specification" (msuhanov/regf,
 * copied in docs/reference/regf-spec.md; section names below refer to it).
 * Every field is read with get_le*() at these offsets, never through a cast
 * onto the file buffer (STYLE.md).
 */
#ifndef HVO_REGISTRY_REGF_H
#define HVO_REGISTRY_REGF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Base block ("Base block") ---- */

#define REGF_BASE_SIZE	      4096 /* the base block is one 4 KiB page */
#define REGF_LOG_BASE_SIZE    512  /* logs keep only its first sector */
#define REGF_CHECKSUM_SPAN    508  /* XOR-32 over the bytes before +508 */

#define RB_SIGNATURE	      0	  /* "regf" */
#define RB_SEQ1		      4	  /* primary sequence number */
#define RB_SEQ2		      8	  /* secondary sequence number */
#define RB_TIMESTAMP	      12  /* last written, FILETIME */
#define RB_MAJOR	      20  /* 1 */
#define RB_MINOR	      24  /* 3..6 */
#define RB_TYPE		      28  /* 0 primary, 1/2 old log, 6 new log */
#define RB_FORMAT	      32  /* 1 = direct memory load */
#define RB_ROOT		      36  /* root cell, relative to the hive bins */
#define RB_HBINS_SIZE	      40  /* size of the hive bins data */
#define RB_CLUSTER	      44  /* clustering factor */
#define RB_FILENAME	      48  /* 64 bytes of UTF-16LE, for debugging */
#define RB_FLAGS	      144 /* bit 0: KTM locked the hive */
#define RB_CHECKSUM	      508

#define REGF_TYPE_PRIMARY     0
#define REGF_TYPE_LOG_OLD     1 /* Windows XP .. 8 */
#define REGF_TYPE_LOG_OLD_NT5 2 /* Windows 2000 and earlier */
#define REGF_TYPE_LOG_NEW     6 /* Windows 8.1 and later */

/* Minor versions we read: 1.3 (NT 4) to 1.6 (Windows 10).  1.1 and 1.2
 * (NT 3.x) have another cell layout ("Very old versions of Windows"). */
#define REGF_MINOR_MIN 3
#define REGF_MINOR_MAX 6
/* Big data ("db") records exist from 1.4 on ("Big data"). */
#define REGF_MINOR_BIG_DATA 4

/* Decoded base block. */
struct regf_base {
	uint32_t seq1, seq2;
	uint64_t timestamp;
	uint32_t major, minor, type, format;
	uint32_t root, hbins_size, cluster, flags;
	uint32_t checksum; /* as stored */
	bool signature_ok; /* "regf" */
	bool checksum_ok;  /* stored checksum matches the computed one */
};

/* The XOR-32 checksum of the first 508 bytes at @p (Notes 2). */
uint32_t reg_int_regf_checksum(const uint8_t *p);

/* Decodes the first 512 bytes at @p (the caller has checked the length). */
void reg_int_regf_base_decode(const uint8_t *p, struct regf_base *b);

/* Recomputes and stores the checksum of the base block at @p. */
void reg_int_regf_base_seal(uint8_t *p);

/* ---- Hive bins and cells ("Hive bin", "Cell") ---- */

#define REGF_HBIN_HDR	 32
#define REGF_HBIN_ALIGN	 4096 /* bins are multiples of 4 KiB */
#define REGF_CELL_ALIGN	 8
#define HB_SIGNATURE	 0 /* "hbin" */
#define HB_OFFSET	 4 /* relative to the hive bins data */
#define HB_SIZE		 8
#define HB_TIMESTAMP	 20
#define REGF_OFFSET_NONE 0xffffffffu /* "doesn't point anywhere" */

/* nk: key node */
#define NK_SIG	     0
#define NK_FLAGS     2
#define NK_TIMESTAMP 4
#define NK_PARENT    16
#define NK_NSUBKEYS  20
#define NK_NVSUBKEYS 24
#define NK_SUBKEYS   28
#define NK_NVALUES   36
#define NK_VALUES    40
#define NK_SECURITY  44
#define NK_CLASS     48
#define NK_MAX_NAME  52
#define NK_NAME_LEN  72
#define NK_CLASS_LEN 74
#define NK_NAME	     76
#define NK_FLAG_ROOT 0x0004 /* KEY_HIVE_ENTRY */
#define NK_FLAG_COMP 0x0020 /* KEY_COMP_NAME: name is Latin-1 */

/* vk: key value */
#define VK_SIG	       0
#define VK_NAME_LEN    2
#define VK_DATA_SIZE   4
#define VK_DATA	       8
#define VK_TYPE	       12
#define VK_FLAGS       16
#define VK_NAME	       20
#define VK_FLAG_COMP   0x0001	   /* VALUE_COMP_NAME */
#define VK_SIZE_INLINE 0x80000000u /* data (<= 4 bytes) in VK_DATA */

/* Subkey lists: li, lf, lh (leaves) and ri (index root). */
#define LIST_SIG   0
#define LIST_COUNT 2
#define LIST_ITEMS 4

/* db: big data */
#define DB_SIG		 0
#define DB_NSEGMENTS	 2
#define DB_LIST		 4
#define REGF_BIG_SEGMENT 16344 /* largest data segment ("Data segment") */

/* ---- Transaction logs ("Format of transaction log files") ---- */

/* Old format: "DIRT" and a bitmap of 512-byte pages at +512. */
#define LOG_OLD_VECTOR 512
#define LOG_OLD_PAGE   512
/* New format: log entries from +512, each a multiple of 512 bytes. */
#define LOG_NEW_FIRST 512
#define LOG_NEW_ALIGN 512
#define LE_SIGNATURE  0 /* "HvLE" */
#define LE_SIZE	      4
#define LE_FLAGS      8
#define LE_SEQ	      12
#define LE_HBINS_SIZE 16
#define LE_NPAGES     20
#define LE_HASH1      24
#define LE_HASH2      32
#define LE_REFS	      40 /* page references: offset, size (8 bytes) */
#define LE_HASH2_SPAN 32 /* Hash-2 covers the first 32 bytes */

#endif /* HVO_REGISTRY_REGF_H */

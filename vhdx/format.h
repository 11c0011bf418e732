/*
 * format.h - on-disk layout of VHDX (MS-VHDX v20240423, section 2).
 *
 * Every field is read with get_le*() at one of these named offsets
 * (STYLE.md, On-disk formats); the section of the specification is given
 * with each group.  Signatures are compared as bytes, never as integers:
 * the specification writes some as byte strings and others as
 * little-endian integers.
 */
#ifndef HVO_VHDX_FORMAT_H
#define HVO_VHDX_FORMAT_H

#define VHDX_KiB 1024ULL
#define VHDX_MiB (1024ULL * 1024ULL)
#define VHDX_TiB (1024ULL * 1024ULL * 1024ULL * 1024ULL)

/* Every object after the header section is 1 MiB-aligned (2.1). */
#define VHDX_ALIGN VHDX_MiB
/* Log sectors, BAT pages and sector-bitmap pages are 4 KiB (2.3.1). */
#define VHDX_SECTOR 4096u

/* ---- 2.2 Header section: five 64 KiB items in the first 1 MiB ---- */
#define VHDX_HEADER_SECTION_SIZE VHDX_MiB
#define VHDX_FILE_ID_OFFSET	 0
#define VHDX_HEADER1_OFFSET	 (64 * VHDX_KiB)
#define VHDX_HEADER2_OFFSET	 (128 * VHDX_KiB)
#define VHDX_REGION1_OFFSET	 (192 * VHDX_KiB)
#define VHDX_REGION2_OFFSET	 (256 * VHDX_KiB)

/* 2.2.1 File type identifier. */
#define FILEID_SIGNATURE     0 /* "vhdxfile" */
#define FILEID_CREATOR	     8 /* 512 bytes of UTF-16LE, may be NUL-ended */
#define FILEID_CREATOR_BYTES 512

/* 2.2.2 Header: a 4 KiB structure, CRC-32C over all of it. */
#define VHDX_HEADER_SIZE    4096u
#define HDR_SIGNATURE	    0 /* "head" */
#define HDR_CHECKSUM	    4
#define HDR_SEQUENCE	    8
#define HDR_FILE_WRITE_GUID 16
#define HDR_DATA_WRITE_GUID 32
#define HDR_LOG_GUID	    48
#define HDR_LOG_VERSION	    64 /* MUST be 0 */
#define HDR_VERSION	    66 /* MUST be 1 */
#define HDR_LOG_LENGTH	    68 /* multiple of 1 MiB */
#define HDR_LOG_OFFSET	    72 /* multiple of 1 MiB */
#define HDR_RESERVED	    80 /* 4016 bytes */
#define VHDX_VERSION	    1
#define VHDX_LOG_VERSION    0

/* 2.2.3 Region table: 64 KiB, CRC-32C over all of it. */
#define VHDX_REGION_TABLE_SIZE (64 * VHDX_KiB)
#define RT_SIGNATURE	       0 /* "regi" */
#define RT_CHECKSUM	       4
#define RT_ENTRY_COUNT	       8
#define RT_RESERVED	       12
#define RT_ENTRIES	       16
#define RTE_SIZE	       32
#define RTE_GUID	       0
#define RTE_FILE_OFFSET	       16 /* multiple of 1 MiB, >= 1 MiB */
#define RTE_LENGTH	       24 /* multiple of 1 MiB */
#define RTE_REQUIRED	       28
/* "MUST be less than or equal to 2,047" (fits the 64 KiB table). */
#define VHDX_MAX_REGION_ENTRIES 2047u

/* ---- 2.3 Log ---- */
#define LE_HEADER_SIZE	    64
#define LE_SIGNATURE	    0  /* "loge" */
#define LE_CHECKSUM	    4  /* CRC-32C over EntryLength bytes */
#define LE_ENTRY_LENGTH	    8  /* multiple of 4 KiB */
#define LE_TAIL		    12 /* offset in the log of the sequence's tail */
#define LE_SEQUENCE	    16 /* > 0 */
#define LE_DESCRIPTOR_COUNT 24
#define LE_RESERVED	    28
#define LE_LOG_GUID	    32
#define LE_FLUSHED_OFFSET   48 /* multiple of 1 MiB */
#define LE_LAST_OFFSET	    56 /* multiple of 1 MiB */

/* Descriptors: 32 bytes; 126 in the first sector, 128 in the others. */
#define LD_SIZE		      32
#define LD_SIGNATURE	      0	 /* "zero" or "desc" */
#define LD_TRAILING_BYTES     4	 /* desc: bytes 4092..4095 of the sector */
#define LD_ZERO_RESERVED      4	 /* zero: MUST be 0 */
#define LD_LEADING_BYTES      8	 /* desc: bytes 0..7 of the sector */
#define LD_ZERO_LENGTH	      8	 /* zero: multiple of 4 KiB */
#define LD_FILE_OFFSET	      16 /* multiple of 4 KiB */
#define LD_SEQUENCE	      24 /* == the entry's */
#define LOG_DESC_FIRST_SECTOR 126u
#define LOG_DESC_PER_SECTOR   128u

/* 2.3.1.4 Data sector: bytes 8..4091 of the update. */
#define LDS_SIGNATURE	  0 /* "data" */
#define LDS_SEQUENCE_HIGH 4
#define LDS_DATA	  8
#define LDS_DATA_SIZE	  4084u
#define LDS_SEQUENCE_LOW  4092

/* ---- 2.5 BAT ---- */
#define BAT_STATE_MASK	  0x7ULL
#define BAT_RESERVED_MASK 0xFFFF8ULL		/* bits 3-19 */
#define BAT_OFFSET_MASK	  0xFFFFFFFFFFF00000ULL /* FileOffsetMB << 20 */
#define BAT_ENTRY_SIZE	  8u

/* 2.5.1.1 Payload block states. */
#define PAYLOAD_BLOCK_NOT_PRESENT 0
#define PAYLOAD_BLOCK_UNDEFINED	  1
#define PAYLOAD_BLOCK_ZERO	  2
#define PAYLOAD_BLOCK_UNMAPPED	  3
/* 5 was UNMAPPED in MS-VHDX v0.95; qemu (commit a9d1e9da) still reads it
 * as unmapped, and images written against the draft may carry it. */
#define PAYLOAD_BLOCK_UNMAPPED_V095	5
#define PAYLOAD_BLOCK_FULLY_PRESENT	6
#define PAYLOAD_BLOCK_PARTIALLY_PRESENT 7

/* 2.5.1.2 Sector-bitmap block states. */
#define SB_BLOCK_NOT_PRESENT 0
#define SB_BLOCK_PRESENT     6

/* 2.4: a sector-bitmap block is 1 MiB and describes 2^23 sectors. */
#define VHDX_SB_BLOCK_SIZE     VHDX_MiB
#define VHDX_SECTORS_PER_CHUNK (1ULL << 23)

/* ---- 2.6 Metadata region ---- */
#define VHDX_METADATA_TABLE_SIZE  (64 * VHDX_KiB)
#define MT_SIGNATURE		  0 /* "metadata" */
#define MT_RESERVED		  8
#define MT_ENTRY_COUNT		  10
#define MT_RESERVED2		  12 /* 20 bytes */
#define MT_ENTRIES		  32
#define MTE_SIZE		  32
#define MTE_ITEM_ID		  0
#define MTE_OFFSET		  16 /* >= 64 KiB, relative to the region */
#define MTE_LENGTH		  20 /* <= 1 MiB */
#define MTE_FLAGS		  24
#define MTE_RESERVED2		  28
#define MTE_FLAG_IS_USER	  0x1u
#define MTE_FLAG_IS_VIRTUAL_DISK  0x2u
#define MTE_FLAG_IS_REQUIRED	  0x4u
#define VHDX_MAX_METADATA_ENTRIES 2047u
#define VHDX_MAX_USER_METADATA	  1024u
#define VHDX_MAX_METADATA_ITEM	  VHDX_MiB

/* 2.6.2.1 File parameters. */
#define FP_BLOCK_SIZE		      0
#define FP_FLAGS		      4
#define FP_SIZE			      8
#define FP_FLAG_LEAVE_BLOCK_ALLOCATED 0x1u
#define FP_FLAG_HAS_PARENT	      0x2u
#define VHDX_MIN_BLOCK_SIZE	      VHDX_MiB
#define VHDX_MAX_BLOCK_SIZE	      (256 * VHDX_MiB)

/* 2.6.2.2 "MUST be at most 64 TB" (qemu reads it as 64 TiB, as do we). */
#define VHDX_MAX_VIRTUAL_SIZE (64 * VHDX_TiB)

/* 2.6.2.6 Parent locator. */
#define PL_LOCATOR_TYPE	   0
#define PL_RESERVED	   16
#define PL_KEY_VALUE_COUNT 18
#define PL_ENTRIES	   20
#define PLE_SIZE	   12
#define PLE_KEY_OFFSET	   0
#define PLE_VALUE_OFFSET   4
#define PLE_KEY_LENGTH	   8
#define PLE_VALUE_LENGTH   10

/*
 * Known GUIDs, as their on-disk bytes.  GUIDs are stored mixed-endian:
 * the first three groups little-endian, the last eight bytes as written.
 */
#define VHDX_GUID_BYTES(d1, d2, d3, b0, b1, b2, b3, b4, b5, b6, b7)           \
	{                                                                     \
		{                                                             \
			(d1) & 0xff, ((d1) >> 8) & 0xff, ((d1) >> 16) & 0xff, \
				((d1) >> 24) & 0xff, (d2)&0xff,               \
				((d2) >> 8) & 0xff, (d3)&0xff,                \
				((d3) >> 8) & 0xff, b0, b1, b2, b3, b4, b5,   \
				b6, b7                                        \
		}                                                             \
	}

/* 2.2.3.2 Known regions. */
#define GUID_REGION_BAT                                                     \
	VHDX_GUID_BYTES(0x2DC27766, 0xF623, 0x4200, 0x9D, 0x64, 0x11, 0x5E, \
			0x9B, 0xFD, 0x4A, 0x08)
#define GUID_REGION_METADATA                                                \
	VHDX_GUID_BYTES(0x8B7CA206, 0x4790, 0x4B9A, 0xB8, 0xFE, 0x57, 0x5F, \
			0x05, 0x0F, 0x88, 0x6E)
/* 2.6.2 Known metadata items. */
#define GUID_FILE_PARAMETERS                                                \
	VHDX_GUID_BYTES(0xCAA16737, 0xFA36, 0x4D43, 0xB3, 0xB6, 0x33, 0xF0, \
			0xAA, 0x44, 0xE7, 0x6B)
#define GUID_VIRTUAL_DISK_SIZE                                              \
	VHDX_GUID_BYTES(0x2FA54224, 0xCD1B, 0x4876, 0xB2, 0x11, 0x5D, 0xBE, \
			0xD8, 0x3B, 0xF4, 0xB8)
#define GUID_VIRTUAL_DISK_ID                                                \
	VHDX_GUID_BYTES(0xBECA12AB, 0xB2E6, 0x4523, 0x93, 0xEF, 0xC3, 0x09, \
			0xE0, 0x00, 0xC7, 0x46)
#define GUID_LOGICAL_SECTOR_SIZE                                            \
	VHDX_GUID_BYTES(0x8141BF1D, 0xA96F, 0x4709, 0xBA, 0x47, 0xF2, 0x33, \
			0xA8, 0xFA, 0xAB, 0x5F)
#define GUID_PHYSICAL_SECTOR_SIZE                                           \
	VHDX_GUID_BYTES(0xCDA348C7, 0x445D, 0x4471, 0x9C, 0xC9, 0xE9, 0x88, \
			0x52, 0x51, 0xC5, 0x56)
#define GUID_PARENT_LOCATOR                                                 \
	VHDX_GUID_BYTES(0xA8D35F2D, 0xB30B, 0x454D, 0xAB, 0xF7, 0xD3, 0xD8, \
			0x48, 0x34, 0xAB, 0x0C)
/* 2.6.2.6.3 The VHDX parent locator type. */
#define GUID_LOCATOR_TYPE_VHDX                                              \
	VHDX_GUID_BYTES(0xB04AEFB7, 0xD19E, 0x4A81, 0xB7, 0x89, 0x25, 0xB8, \
			0xE9, 0x44, 0x59, 0x13)

#endif /* HVO_VHDX_FORMAT_H */

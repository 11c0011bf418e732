/*
 * pe.h - the few facts we need from a Windows PE image (.exe, .sys, .dll).
 *
 * Inspection decides a guest's architecture from the COFF header of
 * System32\ntoskrnl.exe (or cmd.exe), and the installed integration-services
 * version from the VS_VERSIONINFO resource of System32\drivers\vmbus.sys.
 * This is our own small reader of exactly those structures: the MZ and PE
 * headers, the section table (to map RVAs to file offsets), the resource
 * directory down to RT_VERSION, and the version block (VS_FIXEDFILEINFO and
 * the StringFileInfo strings).  It reads a buffer that the caller got from
 * the guest, never trusts an offset from it, and never executes anything.
 *
 * Sources: Microsoft "PE Format" (learn.microsoft.com/windows/win32/debug/
 * pe-format), sections "MS-DOS Stub", "COFF File Header", "Optional Header
 * Data Directories", "Section Table" and "The .rsrc Section"; "VS_VERSIONINFO
 * structure", "VS_FIXEDFILEINFO structure", "StringFileInfo", "StringTable"
 * and "String" (learn.microsoft.com/windows/win32/menurc/).
 */
#ifndef HVO_GUEST_PE_H
#define HVO_GUEST_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed values: they appear in messages and tests. */
enum guest_pe_error {
	GUEST_PE_OK = 0,
	GUEST_PE_NOT_PE = 1,	 /* no MZ header or no PE signature */
	GUEST_PE_CORRUPT = 2,	 /* a header or table points outside the file */
	GUEST_PE_NO_VERSION = 3, /* a valid image without a version resource */
};

/* IMAGE_FILE_MACHINE_* values we name (PE Format, "Machine Types"). */
#define GUEST_PE_MACHINE_I386  0x014c
#define GUEST_PE_MACHINE_IA64  0x0200
#define GUEST_PE_MACHINE_AMD64 0x8664
#define GUEST_PE_MACHINE_ARMNT 0x01c4
#define GUEST_PE_MACHINE_ARM64 0xaa64

/* A four-part Windows version, e.g. 6.3.9600.19456. */
struct guest_pe_version {
	uint16_t part[4];
};

/* Room for the version strings we keep (UTF-8, truncated to fit). */
#define GUEST_PE_STRING_MAX 128

struct guest_pe_info {
	uint16_t machine;	  /* COFF Machine */
	uint16_t characteristics; /* COFF Characteristics */
	bool pe32plus;		  /* optional header magic 0x20b */
	uint16_t subsystem;	  /* optional header Subsystem */

	/* Only after guest_pe_read() returned GUEST_PE_OK: */
	struct guest_pe_version file_version;	 /* VS_FIXEDFILEINFO */
	struct guest_pe_version product_version; /* VS_FIXEDFILEINFO */
	/* From the first StringTable; "" when absent. */
	char file_version_str[GUEST_PE_STRING_MAX];
	char product_version_str[GUEST_PE_STRING_MAX];
	char original_filename[GUEST_PE_STRING_MAX];

	/* Why the last call failed, e.g. "section 2: raw data at 0x5000+0x200
	 * is outside the file (0x4800 bytes)". */
	char error[160];
};

/*
 * Reads the headers only (MZ, PE signature, COFF header, optional header
 * magic): enough for the architecture, so that a caller can pass just the
 * first few KiB of a large file.  Returns GUEST_PE_OK, GUEST_PE_NOT_PE or
 * GUEST_PE_CORRUPT (details in @info->error).
 */
int guest_pe_read_headers(const uint8_t *buf, size_t len,
			  struct guest_pe_info *info);

/*
 * Reads the headers and the version resource of a whole image in @buf.
 * Returns GUEST_PE_OK, GUEST_PE_NOT_PE, GUEST_PE_CORRUPT or
 * GUEST_PE_NO_VERSION (details in @info->error; the header fields are set
 * whenever the headers were valid).
 */
int guest_pe_read(const uint8_t *buf, size_t len, struct guest_pe_info *info);

/* The Windows architecture name of a COFF machine ("x86", "amd64", "arm64",
 * "ia64", "arm"), as CBS spells processorArchitecture, or NULL. */
const char *guest_pe_machine_arch(uint16_t machine);

/* Formats "a.b.c.d" into @buf (at least 24 bytes). */
void guest_pe_version_format(const struct guest_pe_version *v, char *buf,
			     size_t size);

/* A static description of an error code. */
const char *guest_pe_strerror(int err);

#endif /* HVO_GUEST_PE_H */

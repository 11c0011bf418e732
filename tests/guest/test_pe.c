/*
 * test_pe.c - the PE reader (src/guest/pe.c).
 *
 * Three sources of truth, none of them our own reader:
 *   - images built byte by byte here, one comment per field, valid and
 *     then broken field by field (hostile inputs);
 *   - stubs written by tests/fixtures/mkpe.py (an independent writer of
 *     the format), checked against exiftool;
 *   - Microsoft's own drivers and DLLs from the integration-services
 *     cabinets in ../shared/fixtures/ic (extracted at test time with
 *     cabextract, never kept), checked against exiftool.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest/pe.h"
#include "tests/lib/hvotest.h"
#include "util/bytes.h"

/* ------------------------------------------------------------------ */
/* A minimal PE32 image with a version resource, byte by byte.         */
/* ------------------------------------------------------------------ */

#define IMG_SIZE   0x800
#define LFANEW	   0x80
#define OPT	   (LFANEW + 4 + 20) /* optional header */
#define OPT_SIZE   224		     /* PE32 with 16 directories */
#define SECTIONS   (OPT + OPT_SIZE)
#define RSRC_RAW   0x400 /* file offset of .rsrc */
#define RSRC_RVA   0x2000
#define RSRC_SIZE  0x400
#define VS_OFF	   0x58 /* version block inside .rsrc */
#define DATA_ENTRY 0x48

/* Appends a UTF-16LE string with its NUL at @p; returns bytes written. */
static size_t put_utf16(uint8_t *p, const char *s)
{
	size_t n = 0;
	for (; *s; s++, n += 2)
		put_le16(p + n, (uint16_t)(unsigned char)*s);
	put_le16(p + n, 0);
	return n + 2;
}

static size_t align4(size_t v)
{
	return (v + 3) & ~(size_t)3;
}

/* A String node: wLength, wValueLength (WCHARs), wType 1, key, value. */
static size_t put_string(uint8_t *p, const char *key, const char *value)
{
	size_t o = 6;
	o += put_utf16(p + o, key);
	o = align4(o);
	size_t v = put_utf16(p + o, value);
	o += v;
	put_le16(p + 0, (uint16_t)o);	    /* wLength */
	put_le16(p + 2, (uint16_t)(v / 2)); /* wValueLength: WCHARs */
	put_le16(p + 4, 1);		    /* wType: text */
	return o;
}

/* The version block: VS_VERSIONINFO { VS_FIXEDFILEINFO, StringFileInfo {
 * StringTable "040904B0" { FileVersion, OriginalFilename } } }. */
static size_t put_version_block(uint8_t *p)
{
	size_t o = 6;
	o += put_utf16(p + o, "VS_VERSION_INFO"); /* szKey */
	o = align4(o);
	uint8_t *fixed = p + o;
	put_le32(fixed + 0, 0xfeef04bd);	     /* dwSignature */
	put_le32(fixed + 4, 0x00010000);	     /* dwStrucVersion */
	put_le32(fixed + 8, (6u << 16) | 3);	     /* dwFileVersionMS 6.3 */
	put_le32(fixed + 12, (9600u << 16) | 19456); /* dwFileVersionLS */
	put_le32(fixed + 16, (6u << 16) | 3);	     /* dwProductVersionMS */
	put_le32(fixed + 20, (9600u << 16) | 1);     /* dwProductVersionLS */
	o += 52; /* sizeof VS_FIXEDFILEINFO */
	o = align4(o);
	/* StringFileInfo */
	uint8_t *sfi = p + o;
	size_t so = 6;
	so += put_utf16(sfi + so, "StringFileInfo");
	so = align4(so);
	uint8_t *tab = sfi + so;
	size_t to = 6;
	to += put_utf16(tab + to, "040904B0");
	to = align4(to);
	to += put_string(tab + to, "FileVersion", "6.3.9600.19456 (test)");
	to = align4(to);
	to += put_string(tab + to, "OriginalFilename", "vmbus.sys");
	put_le16(tab + 0, (uint16_t)to); /* StringTable wLength */
	put_le16(tab + 2, 0);
	put_le16(tab + 4, 1);
	so += to;
	put_le16(sfi + 0, (uint16_t)so); /* StringFileInfo wLength */
	put_le16(sfi + 2, 0);
	put_le16(sfi + 4, 1);
	o += so;
	put_le16(p + 0, (uint16_t)o); /* VS_VERSIONINFO wLength */
	put_le16(p + 2, 52);	      /* wValueLength: the fixed info */
	put_le16(p + 4, 0);	      /* wType: binary */
	return o;
}

/* A resource directory with one ID entry. */
static void put_dir(uint8_t *p, uint32_t id, uint32_t target)
{
	memset(p, 0, 16);
	put_le16(p + 14, 1);	  /* NumberOfIdEntries */
	put_le32(p + 16, id);	  /* entry: Name (an ID) */
	put_le32(p + 20, target); /* entry: OffsetToData */
}

static uint8_t *make_image(size_t *len_ret)
{
	uint8_t *b = calloc(1, IMG_SIZE);
	assert_non_null(b);
	b[0] = 'M'; /* e_magic */
	b[1] = 'Z';
	put_le32(b + 0x3c, LFANEW); /* e_lfanew */
	memcpy(b + LFANEW, "PE\0\0", 4);
	uint8_t *coff = b + LFANEW + 4;
	put_le16(coff + 0, 0x014c);    /* Machine: i386 */
	put_le16(coff + 2, 1);	       /* NumberOfSections */
	put_le16(coff + 16, OPT_SIZE); /* SizeOfOptionalHeader */
	put_le16(coff + 18, 0x0102);   /* Characteristics */
	uint8_t *opt = b + OPT;
	put_le16(opt + 0, 0x10b);		   /* Magic: PE32 */
	put_le16(opt + 68, 1);			   /* Subsystem: native */
	put_le32(opt + 92, 16);			   /* NumberOfRvaAndSizes */
	put_le32(opt + 96 + 2 * 8, RSRC_RVA);	   /* DataDirectory[2].RVA */
	put_le32(opt + 96 + 2 * 8 + 4, RSRC_SIZE); /* DataDirectory[2].Size */
	uint8_t *sec = b + SECTIONS;
	memcpy(sec, ".rsrc\0\0\0", 8); /* Name */
	put_le32(sec + 8, RSRC_SIZE);  /* VirtualSize */
	put_le32(sec + 12, RSRC_RVA);  /* VirtualAddress */
	put_le32(sec + 16, RSRC_SIZE); /* SizeOfRawData */
	put_le32(sec + 20, RSRC_RAW);  /* PointerToRawData */
	uint8_t *rsrc = b + RSRC_RAW;
	put_dir(rsrc + 0x00, 16, 0x80000000u | 0x18); /* RT_VERSION */
	put_dir(rsrc + 0x18, 1, 0x80000000u | 0x30);  /* name 1 */
	put_dir(rsrc + 0x30, 0x409, DATA_ENTRY);      /* language */
	size_t vs = put_version_block(rsrc + VS_OFF);
	put_le32(rsrc + DATA_ENTRY + 0, RSRC_RVA + VS_OFF); /* OffsetToData */
	put_le32(rsrc + DATA_ENTRY + 4, (uint32_t)vs);	    /* Size */
	*len_ret = IMG_SIZE;
	return b;
}

static void test_valid_image(void **state)
{
	(void)state;
	size_t len;
	uint8_t *b = make_image(&len);
	struct guest_pe_info info;
	assert_int_equal(guest_pe_read(b, len, &info), GUEST_PE_OK);
	assert_int_equal(info.machine, GUEST_PE_MACHINE_I386);
	assert_string_equal(guest_pe_machine_arch(info.machine), "x86");
	assert_false(info.pe32plus);
	char v[32];
	guest_pe_version_format(&info.file_version, v, sizeof(v));
	assert_string_equal(v, "6.3.9600.19456");
	guest_pe_version_format(&info.product_version, v, sizeof(v));
	assert_string_equal(v, "6.3.9600.1");
	assert_string_equal(info.file_version_str, "6.3.9600.19456 (test)");
	assert_string_equal(info.original_filename, "vmbus.sys");
	/* Headers alone need only the first few hundred bytes. */
	assert_int_equal(guest_pe_read_headers(b, SECTIONS, &info),
			 GUEST_PE_OK);
	assert_int_equal(info.machine, GUEST_PE_MACHINE_I386);
	free(b);
}

/* Applies @mutate to a fresh valid image and checks the result. */
static void expect(void (*mutate)(uint8_t *b, size_t *len), int want,
		   const char *what)
{
	size_t len;
	uint8_t *b = make_image(&len);
	mutate(b, &len);
	/* An exact-size copy, so ASan sees any read past the end. */
	uint8_t *exact = malloc(len ? len : 1);
	assert_non_null(exact);
	memcpy(exact, b, len);
	struct guest_pe_info info;
	int got = guest_pe_read(exact, len, &info);
	if (got != want)
		fail_msg("%s: got %d (%s), want %d", what, got, info.error,
			 want);
	if (got != GUEST_PE_OK)
		assert_true(info.error[0] != '\0');
	free(exact);
	free(b);
}

static void no_mz(uint8_t *b, size_t *len)
{
	(void)len;
	b[0] = 'Z'; /* e_magic */
}
static void lfanew_outside(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + 0x3c, 0xfffffff0); /* e_lfanew near 4 GiB */
}
static void no_pe_signature(uint8_t *b, size_t *len)
{
	(void)len;
	memcpy(b + LFANEW, "NE\0\0", 4); /* a 16-bit image */
}
static void too_many_sections(uint8_t *b, size_t *len)
{
	(void)len;
	put_le16(b + LFANEW + 4 + 2, 97); /* NumberOfSections > 96 */
}
static void short_optional_header(uint8_t *b, size_t *len)
{
	(void)len;
	put_le16(b + LFANEW + 4 + 16, 8); /* SizeOfOptionalHeader */
}
static void bad_magic(uint8_t *b, size_t *len)
{
	(void)len;
	put_le16(b + OPT, 0x107); /* ROM image magic */
}
static void section_table_truncated(uint8_t *b, size_t *len)
{
	(void)b;
	*len = SECTIONS + 20; /* half a section header */
}
static void raw_data_outside(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + SECTIONS + 20, 0x7ffffff0); /* PointerToRawData */
}
static void resource_rva_in_no_section(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + OPT + 96 + 16, 0x9000); /* resource RVA */
}
static void resource_size_past_section(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + OPT + 96 + 20, RSRC_SIZE + 1); /* resource Size */
}
static void no_resource_directory(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + OPT + 96 + 16, 0); /* resource RVA = 0 */
	put_le32(b + OPT + 96 + 20, 0);
}
static void few_directories(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + OPT + 92, 2); /* NumberOfRvaAndSizes: no [2] */
}
static void no_rt_version(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + RSRC_RAW + 16, 3); /* type entry: RT_ICON */
}
static void huge_entry_count(uint8_t *b, size_t *len)
{
	(void)len;
	put_le16(b + RSRC_RAW + 14, 0xffff); /* NumberOfIdEntries */
}
static void dir_points_outside(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + RSRC_RAW + 20, 0x80000000u | 0x3ff0); /* subdir */
}
static void type_entry_is_data(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + RSRC_RAW + 20, 0x18); /* high bit clear: data */
}
static void language_is_subdir(uint8_t *b, size_t *len)
{
	(void)len;
	/* The language entry points back to the root: a loop. */
	put_le32(b + RSRC_RAW + 0x30 + 20, 0x80000000u);
}
static void data_entry_outside(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + RSRC_RAW + 0x30 + 20, 0x3fff); /* data entry offset */
}
static void data_rva_outside(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + RSRC_RAW + DATA_ENTRY, RSRC_RVA + RSRC_SIZE - 4);
}
static void vs_length_zero(uint8_t *b, size_t *len)
{
	(void)len;
	put_le16(b + RSRC_RAW + VS_OFF, 0); /* wLength */
}
static void vs_length_past_data(uint8_t *b, size_t *len)
{
	(void)len;
	put_le16(b + RSRC_RAW + VS_OFF, 0xfff0); /* wLength */
}
static void vs_wrong_key(uint8_t *b, size_t *len)
{
	(void)len;
	put_le16(b + RSRC_RAW + VS_OFF + 6, 'X'); /* "XS_VERSION_INFO" */
}
static void vs_unterminated_key(uint8_t *b, size_t *len)
{
	(void)len;
	put_le16(b + RSRC_RAW + VS_OFF, 12); /* ends inside the key */
}
static void vs_no_fixed_info(uint8_t *b, size_t *len)
{
	(void)len;
	put_le16(b + RSRC_RAW + VS_OFF + 2, 0); /* wValueLength */
}
static void vs_bad_signature(uint8_t *b, size_t *len)
{
	(void)len;
	put_le32(b + RSRC_RAW + VS_OFF + 40, 0xfeef04be); /* dwSignature */
}

static void test_hostile(void **state)
{
	(void)state;
	expect(no_mz, GUEST_PE_NOT_PE, "no MZ");
	expect(lfanew_outside, GUEST_PE_NOT_PE, "e_lfanew outside");
	expect(no_pe_signature, GUEST_PE_NOT_PE, "no PE signature");
	expect(too_many_sections, GUEST_PE_CORRUPT, "97 sections");
	expect(short_optional_header, GUEST_PE_CORRUPT, "short opt header");
	expect(bad_magic, GUEST_PE_CORRUPT, "optional header magic");
	expect(section_table_truncated, GUEST_PE_CORRUPT, "section table");
	expect(raw_data_outside, GUEST_PE_CORRUPT, "raw data outside");
	expect(resource_rva_in_no_section, GUEST_PE_CORRUPT, "resource RVA");
	expect(resource_size_past_section, GUEST_PE_CORRUPT, "resource size");
	expect(no_resource_directory, GUEST_PE_NO_VERSION, "no resources");
	expect(few_directories, GUEST_PE_NO_VERSION, "2 directories");
	expect(no_rt_version, GUEST_PE_NO_VERSION, "no RT_VERSION");
	expect(huge_entry_count, GUEST_PE_CORRUPT, "65535 entries");
	expect(dir_points_outside, GUEST_PE_CORRUPT, "subdir outside");
	expect(type_entry_is_data, GUEST_PE_CORRUPT, "type entry is data");
	expect(language_is_subdir, GUEST_PE_CORRUPT, "resource loop");
	expect(data_entry_outside, GUEST_PE_CORRUPT, "data entry outside");
	expect(data_rva_outside, GUEST_PE_CORRUPT, "data RVA outside");
	expect(vs_length_zero, GUEST_PE_CORRUPT, "wLength 0");
	expect(vs_length_past_data, GUEST_PE_CORRUPT, "wLength too big");
	expect(vs_wrong_key, GUEST_PE_CORRUPT, "wrong key");
	expect(vs_unterminated_key, GUEST_PE_CORRUPT, "unterminated key");
	expect(vs_no_fixed_info, GUEST_PE_NO_VERSION, "no fixed info");
	expect(vs_bad_signature, GUEST_PE_CORRUPT, "fixed signature");
}

/* Every truncation of a valid image: a clean error, never a read past
 * the end (the copies are exact-size, under ASan). */
static void test_truncations(void **state)
{
	(void)state;
	size_t len;
	uint8_t *b = make_image(&len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *exact = malloc(n ? n : 1);
		assert_non_null(exact);
		memcpy(exact, b, n);
		struct guest_pe_info info;
		int r = guest_pe_read(exact, n, &info);
		/* The version block ends well before the end of the
		 * padded section, so long prefixes still fail on the
		 * section's raw data running past the file. */
		assert_int_not_equal(r, GUEST_PE_OK);
		guest_pe_read_headers(exact, n, &info);
		free(exact);
	}
	free(b);
}

/* ------------------------------------------------------------------ */
/* Against exiftool: mkpe.py stubs and Microsoft's own files.          */
/* ------------------------------------------------------------------ */

/* Runs exiftool over @dir and checks every PE file in it against our
 * reader.  Returns the number of files compared. */
static int compare_with_exiftool(const char *dir)
{
	char *cmd, *out;
	if (asprintf(&cmd,
		     "exiftool -q -f -r -ext sys -ext dll -ext exe -p "
		     "'$Directory/$FileName|$FileVersionNumber|"
		     "$ProductVersionNumber|$MachineType#|$OriginalFileName' "
		     "'%s'",
		     dir) < 0)
		abort();
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	free(cmd);
	int n = 0;
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[5];
		int k = 0;
		for (char *p = line, *t; k < 5 && (t = strsep(&p, "|"));)
			f[k++] = t;
		assert_int_equal(k, 5);
		size_t len;
		uint8_t *buf = hvo_test_read_file(f[0], &len);
		struct guest_pe_info info;
		int r = guest_pe_read(buf, len, &info);
		char fv[32], pv[32];
		if (strcmp(f[1], "-") == 0) {
			/* exiftool found no version resource either. */
			if (r != GUEST_PE_NO_VERSION)
				fail_msg("%s: %d (%s)", f[0], r, info.error);
		} else {
			if (r != GUEST_PE_OK)
				fail_msg("%s: %s", f[0], info.error);
			guest_pe_version_format(&info.file_version, fv,
						sizeof(fv));
			guest_pe_version_format(&info.product_version, pv,
						sizeof(pv));
			assert_string_equal(fv, f[1]);
			assert_string_equal(pv, f[2]);
			if (strcmp(f[4], "-") != 0)
				assert_string_equal(info.original_filename,
						    f[4]);
		}
		assert_int_equal(info.machine, atoi(f[3]));
		free(buf);
		n++;
	}
	free(out);
	return n;
}

static void test_mkpe_stubs(void **state)
{
	(void)state;
	if (!hvo_test_have_program("python3") ||
	    !hvo_test_have_program("exiftool"))
		skip();
	char *dir = hvo_test_mkdtemp();
	char *cmd;
	if (asprintf(&cmd,
		     "set -e; p='%s/tests/fixtures/mkpe.py'; d='%s';"
		     "python3 \"$p\" --machine i386 --version 6.1.7601.17514 "
		     "--string OriginalFilename=ntkrnlpa.exe -o \"$d/a.exe\";"
		     "python3 \"$p\" --machine amd64 --version 10.0.16299.15 "
		     "--string OriginalFilename=vmbus.sys -o \"$d/b.sys\";"
		     "python3 \"$p\" --machine arm64 --version 1.2.3.4 "
		     "-o \"$d/c.dll\";"
		     "python3 \"$p\" --machine i386 -o \"$d/noversion.exe\"",
		     hvo_test_srcdir(), dir) < 0)
		abort();
	assert_int_equal(hvo_test_run(cmd, NULL), 0);
	free(cmd);
	assert_int_equal(compare_with_exiftool(dir), 4);

	char path[4096];
	snprintf(path, sizeof(path), "%s/b.sys", dir);
	size_t len;
	uint8_t *buf = hvo_test_read_file(path, &len);
	struct guest_pe_info info;
	assert_int_equal(guest_pe_read(buf, len, &info), GUEST_PE_OK);
	assert_true(info.pe32plus);
	assert_string_equal(guest_pe_machine_arch(info.machine), "amd64");
	free(buf);
	hvo_test_rmtree(dir);
	free(dir);
}

static void test_microsoft_files(void **state)
{
	(void)state;
	if (!hvo_test_have_program("cabextract") ||
	    !hvo_test_have_program("exiftool"))
		skip();
	static const char *const cabs[] = {
		"ic/Windows6.2-HyperVIntegrationServices-x64.cab",
		"ic/Windows6.x-HyperVIntegrationServices-x86.cab",
	};
	char *dir = hvo_test_mkdtemp();
	for (size_t i = 0; i < 2; i++) {
		char *cmd;
		if (asprintf(&cmd, "cabextract -q -d '%s/%zu' '%s' 2>/dev/null",
			     dir, i, hvo_fixture(cabs[i])) < 0)
			abort();
		assert_int_equal(hvo_test_run(cmd, NULL), 0);
		free(cmd);
	}
	/* Every driver and DLL of both packages agrees with exiftool. */
	int n = compare_with_exiftool(dir);
	assert_true(n >= 20);

	/* And the values PROVENANCE.md gives for vmbus.sys. */
	char *cmd, *out;
	if (asprintf(&cmd, "find '%s' -name vmbus.sys | sort", dir) < 0)
		abort();
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	free(cmd);
	int found = 0;
	char *save = NULL;
	for (char *p = strtok_r(out, "\n", &save); p != NULL;
	     p = strtok_r(NULL, "\n", &save)) {
		size_t len;
		uint8_t *buf = hvo_test_read_file(p, &len);
		struct guest_pe_info info;
		assert_int_equal(guest_pe_read(buf, len, &info), GUEST_PE_OK);
		char v[32];
		guest_pe_version_format(&info.file_version, v, sizeof(v));
		assert_string_equal(v, "6.3.9600.19456");
		assert_string_equal(guest_pe_machine_arch(info.machine),
				    strstr(p, "amd64_") ? "amd64" : "x86");
		free(buf);
		found++;
	}
	assert_int_equal(found, 2);
	free(out);
	hvo_test_rmtree(dir);
	free(dir);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(guest_pe_machine_arch(0x8664), "amd64");
	assert_string_equal(guest_pe_machine_arch(0xaa64), "arm64");
	assert_null(guest_pe_machine_arch(0x1234));
	assert_string_equal(guest_pe_strerror(GUEST_PE_CORRUPT),
			    "corrupt PE image");
	assert_string_equal(guest_pe_strerror(99), "unknown PE error");
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_image),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mkpe_stubs),
		cmocka_unit_test(test_microsoft_files),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * pe.c - PE headers and the VS_VERSIONINFO resource (see pe.h for sources).
 *
 * Every offset read from the image goes through one accessor, pe_span(),
 * which checks it against the buffer; RVAs go through rva_to_off(), which
 * maps them through the section table and checks the whole range against
 * the section's raw data.  Resource-directory offsets are relative to the
 * resource area and checked against it.  Nothing here allocates more than
 * the few version strings we keep.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/pe.h"
#include "util/bytes.h"
#include "util/utf.h"

/* MS-DOS header. */
#define MZ_MAGIC    0x00 /* "MZ" */
#define MZ_E_LFANEW 0x3c /* file offset of the PE signature */
#define MZ_SIZE	    0x40

/* COFF file header, after the 4-byte "PE\0\0" signature. */
#define COFF_MACHINE		0
#define COFF_NUMBER_OF_SECTIONS 2
#define COFF_SIZE_OF_OPT_HEADER 16
#define COFF_CHARACTERISTICS	18
#define COFF_SIZE		20

/* Optional header.  The field offsets that differ between PE32 and PE32+
 * are given for both. */
#define OPT_MAGIC	     0
#define OPT_MAGIC_PE32	     0x10b
#define OPT_MAGIC_PE32PLUS   0x20b
#define OPT_SUBSYSTEM	     68
#define OPT32_NUMBER_OF_RVA  92
#define OPT32_DATA_DIRECTORY 96
#define OPT64_NUMBER_OF_RVA  108
#define OPT64_DATA_DIRECTORY 112
#define DATA_DIR_SIZE	     8
#define DATA_DIR_RESOURCE    2

/* Section header. */
#define SEC_VIRTUAL_SIZE     8
#define SEC_VIRTUAL_ADDRESS  12
#define SEC_SIZE_OF_RAW_DATA 16
#define SEC_POINTER_TO_RAW   20
#define SEC_SIZE	     40

/* Resource directory table and its entries (The .rsrc Section). */
#define RES_DIR_NAMED_ENTRIES 12
#define RES_DIR_ID_ENTRIES    14
#define RES_DIR_SIZE	      16
#define RES_ENTRY_NAME	      0
#define RES_ENTRY_OFFSET      4
#define RES_ENTRY_SIZE	      8
#define RES_HIGH_BIT	      0x80000000u
#define RES_DATA_RVA	      0
#define RES_DATA_SIZE	      4
#define RES_DATA_ENTRY_SIZE   16
#define RT_VERSION	      16

/* VS_VERSIONINFO and its children: wLength, wValueLength, wType, szKey. */
#define VS_LENGTH	    0
#define VS_VALUE_LENGTH	    2
#define VS_TYPE		    4
#define VS_KEY		    6
#define VS_TYPE_TEXT	    1
#define VS_FIXED_SIGNATURE  0xfeef04bdu
#define VS_FIXED_SIZE	    52
#define VS_FIXED_FILE_MS    8
#define VS_FIXED_FILE_LS    12
#define VS_FIXED_PRODUCT_MS 16
#define VS_FIXED_PRODUCT_LS 20

/*
 * Limits.  The Windows loader accepts at most 96 sections (PE Format,
 * "NumberOfSections").  A version block is a few KiB in practice; 64 KiB is
 * the most its 16-bit wLength can describe.  The resource walk never goes
 * deeper than the three levels (type, name, language) of the format, and a
 * version block nests four levels (VS_VERSIONINFO, StringFileInfo,
 * StringTable, String).
 */
#define PE_MAX_SECTIONS	   96
#define VS_MAX_DEPTH	   4
#define VS_MAX_KEY_CHARS   64
#define RES_MAX_ENTRIES	   4096
#define VERSION_MAX_STRING 512

struct pe {
	const uint8_t *buf;
	size_t len;
	struct guest_pe_info *info;
	uint64_t opt_off;      /* file offset of the optional header */
	uint16_t opt_size;     /* its SizeOfOptionalHeader */
	uint64_t sections_off; /* file offset of the section table */
	unsigned nsections;
};

static int fail(struct pe *pe, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct pe *pe, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pe->info->error, sizeof(pe->info->error), fmt, ap);
	va_end(ap);
	return err;
}

/* The one accessor: @len bytes at @off, or NULL if they are not all in the
 * buffer. */
static const uint8_t *pe_span(const struct pe *pe, uint64_t off, uint64_t len)
{
	if (!hvo_in_bounds(off, len, pe->len))
		return NULL;
	return pe->buf + off;
}

static int read_headers(struct pe *pe)
{
	struct guest_pe_info *info = pe->info;
	const uint8_t *mz = pe_span(pe, 0, MZ_SIZE);
	if (mz == NULL || mz[MZ_MAGIC] != 'M' || mz[MZ_MAGIC + 1] != 'Z')
		return fail(pe, GUEST_PE_NOT_PE, "no MZ header");
	uint32_t lfanew = get_le32(mz + MZ_E_LFANEW);
	const uint8_t *sig = pe_span(pe, lfanew, 4 + COFF_SIZE);
	if (sig == NULL)
		return fail(pe, GUEST_PE_NOT_PE,
			    "PE header offset 0x%x is outside the file "
			    "(0x%zx bytes)",
			    lfanew, pe->len);
	if (memcmp(sig, "PE\0\0", 4) != 0)
		return fail(pe, GUEST_PE_NOT_PE,
			    "no PE signature at 0x%x (an MS-DOS or NE image)",
			    lfanew);
	const uint8_t *coff = sig + 4;
	info->machine = get_le16(coff + COFF_MACHINE);
	info->characteristics = get_le16(coff + COFF_CHARACTERISTICS);
	pe->nsections = get_le16(coff + COFF_NUMBER_OF_SECTIONS);
	uint16_t optsize = get_le16(coff + COFF_SIZE_OF_OPT_HEADER);
	if (pe->nsections > PE_MAX_SECTIONS)
		return fail(pe, GUEST_PE_CORRUPT,
			    "%u sections (the loader accepts at most %u)",
			    pe->nsections, PE_MAX_SECTIONS);

	uint64_t opt_off = (uint64_t)lfanew + 4 + COFF_SIZE;
	const uint8_t *opt = pe_span(pe, opt_off, optsize);
	if (opt == NULL || optsize < OPT_SUBSYSTEM + 2)
		return fail(pe, GUEST_PE_CORRUPT,
			    "optional header (%u bytes at 0x%llx) is too "
			    "short or outside the file",
			    optsize, (unsigned long long)opt_off);
	uint16_t magic = get_le16(opt + OPT_MAGIC);
	if (magic != OPT_MAGIC_PE32 && magic != OPT_MAGIC_PE32PLUS)
		return fail(pe, GUEST_PE_CORRUPT,
			    "optional header magic 0x%x is neither PE32 nor "
			    "PE32+",
			    magic);
	info->pe32plus = magic == OPT_MAGIC_PE32PLUS;
	info->subsystem = get_le16(opt + OPT_SUBSYSTEM);
	pe->opt_off = opt_off;
	pe->opt_size = optsize;
	pe->sections_off = opt_off + optsize;
	return GUEST_PE_OK;
}

/* Maps the range [@rva, @rva + @len) to a file offset through the section
 * that holds it entirely in its raw data. */
static int rva_to_off(struct pe *pe, uint32_t rva, uint32_t len,
		      uint64_t *off_ret)
{
	for (unsigned i = 0; i < pe->nsections; i++) {
		const uint8_t *s =
			pe_span(pe, pe->sections_off + (uint64_t)i * SEC_SIZE,
				SEC_SIZE);
		if (s == NULL)
			return fail(pe, GUEST_PE_CORRUPT,
				    "section table (%u entries) runs past the "
				    "end of the file",
				    pe->nsections);
		uint32_t va = get_le32(s + SEC_VIRTUAL_ADDRESS);
		uint32_t raw_size = get_le32(s + SEC_SIZE_OF_RAW_DATA);
		uint32_t raw_ptr = get_le32(s + SEC_POINTER_TO_RAW);
		if (rva < va || rva - va >= raw_size)
			continue;
		if ((uint64_t)(rva - va) + len > raw_size)
			return fail(pe, GUEST_PE_CORRUPT,
				    "RVA 0x%x+0x%x runs past the raw data of "
				    "section %u",
				    rva, len, i + 1);
		uint64_t off = (uint64_t)raw_ptr + (rva - va);
		if (pe_span(pe, off, len) == NULL)
			return fail(pe, GUEST_PE_CORRUPT,
				    "section %u: data at 0x%llx+0x%x is "
				    "outside the file (0x%zx bytes)",
				    i + 1, (unsigned long long)off, len,
				    pe->len);
		*off_ret = off;
		return GUEST_PE_OK;
	}
	return fail(pe, GUEST_PE_CORRUPT, "RVA 0x%x is in no section", rva);
}

/* ------------------------------------------------------------------ */
/* Resource directory.                                                 */
/* ------------------------------------------------------------------ */

struct res_area {
	const uint8_t *p; /* the resource area, checked against the file */
	uint32_t size;
	uint32_t rva;
};

/*
 * Finds, in the directory at @dir_off of the resource area, the entry whose
 * integer ID is @id, or the first entry when @id is -1.  Returns the
 * entry's OffsetToData field, or fails.
 */
static int res_find(struct pe *pe, const struct res_area *ra, uint32_t dir_off,
		    long id, const char *level, uint32_t *target_ret)
{
	if (!hvo_in_bounds(dir_off, RES_DIR_SIZE, ra->size))
		return fail(pe, GUEST_PE_CORRUPT,
			    "resource %s directory at 0x%x is outside the "
			    "resource area (0x%x bytes)",
			    level, dir_off, ra->size);
	const uint8_t *d = ra->p + dir_off;
	uint32_t named = get_le16(d + RES_DIR_NAMED_ENTRIES);
	uint32_t ids = get_le16(d + RES_DIR_ID_ENTRIES);
	uint32_t n = named + ids;
	if (n > RES_MAX_ENTRIES ||
	    !hvo_in_bounds((uint64_t)dir_off + RES_DIR_SIZE,
			   (uint64_t)n * RES_ENTRY_SIZE, ra->size))
		return fail(pe, GUEST_PE_CORRUPT,
			    "resource %s directory at 0x%x: %u entries run "
			    "past the resource area",
			    level, dir_off, n);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = d + RES_DIR_SIZE + i * RES_ENTRY_SIZE;
		uint32_t name = get_le32(e + RES_ENTRY_NAME);
		/* Named entries come first; an ID lookup skips them. */
		bool is_name = (name & RES_HIGH_BIT) != 0;
		if (id >= 0 && (is_name || name != (uint32_t)id))
			continue;
		*target_ret = get_le32(e + RES_ENTRY_OFFSET);
		return GUEST_PE_OK;
	}
	return fail(pe, GUEST_PE_NO_VERSION, "no %s entry in the resources",
		    level);
}

/* Locates the RT_VERSION resource's data: type 16, then the first name,
 * then the first language (the three levels of the format). */
static int find_version_resource(struct pe *pe, const uint8_t **data_ret,
				 uint32_t *size_ret)
{
	struct guest_pe_info *info = pe->info;
	uint64_t opt = pe->opt_off;
	uint64_t optsize = pe->opt_size;
	uint32_t nrva_at =
		info->pe32plus ? OPT64_NUMBER_OF_RVA : OPT32_NUMBER_OF_RVA;
	uint32_t dirs_at =
		info->pe32plus ? OPT64_DATA_DIRECTORY : OPT32_DATA_DIRECTORY;
	if (optsize < (uint64_t)nrva_at + 4)
		return fail(pe, GUEST_PE_NO_VERSION,
			    "no data directories in the optional header");
	uint32_t nrva = get_le32(pe->buf + opt + nrva_at);
	uint64_t res_dir_at =
		(uint64_t)dirs_at + (uint64_t)DATA_DIR_RESOURCE * DATA_DIR_SIZE;
	if (nrva <= DATA_DIR_RESOURCE || optsize < res_dir_at + DATA_DIR_SIZE)
		return fail(pe, GUEST_PE_NO_VERSION,
			    "no resource data directory");
	const uint8_t *dd = pe->buf + opt + res_dir_at;
	struct res_area ra = {
		.rva = get_le32(dd),
		.size = get_le32(dd + 4),
	};
	if (ra.rva == 0 || ra.size == 0)
		return fail(pe, GUEST_PE_NO_VERSION, "no resources");
	uint64_t ra_off;
	int r = rva_to_off(pe, ra.rva, ra.size, &ra_off);
	if (r != GUEST_PE_OK)
		return r;
	ra.p = pe->buf + ra_off;

	static const char *const levels[] = { "type", "name", "language" };
	uint32_t off = 0;
	for (int level = 0; level < 3; level++) {
		uint32_t target = 0;
		r = res_find(pe, &ra, off, level == 0 ? RT_VERSION : -1,
			     level == 0 ? "RT_VERSION" : levels[level],
			     &target);
		if (r != GUEST_PE_OK)
			return r;
		bool subdir = (target & RES_HIGH_BIT) != 0;
		off = target & ~RES_HIGH_BIT;
		if (level < 2 && !subdir)
			return fail(pe, GUEST_PE_CORRUPT,
				    "resource %s entry points to data, not to "
				    "a directory",
				    levels[level]);
		if (level == 2 && subdir)
			return fail(pe, GUEST_PE_CORRUPT,
				    "resource tree is deeper than three "
				    "levels");
	}
	if (!hvo_in_bounds(off, RES_DATA_ENTRY_SIZE, ra.size))
		return fail(pe, GUEST_PE_CORRUPT,
			    "version data entry at 0x%x is outside the "
			    "resource area",
			    off);
	uint32_t data_rva = get_le32(ra.p + off + RES_DATA_RVA);
	uint32_t data_size = get_le32(ra.p + off + RES_DATA_SIZE);
	uint64_t data_off;
	r = rva_to_off(pe, data_rva, data_size, &data_off);
	if (r != GUEST_PE_OK)
		return r;
	*data_ret = pe->buf + data_off;
	*size_ret = data_size;
	return GUEST_PE_OK;
}

/* ------------------------------------------------------------------ */
/* VS_VERSIONINFO.                                                     */
/* ------------------------------------------------------------------ */

/* A node of the version block: [start, end) within the block. */
struct vs_node {
	uint32_t start, end;
	uint16_t value_length, type;
	char key[VS_MAX_KEY_CHARS + 1]; /* ASCII; others become '?' */
	uint32_t value_off;		/* where the value starts */
	uint32_t children_off;		/* where the children start */
};

static uint32_t align4(uint32_t v)
{
	return (v + 3u) & ~3u;
}

/* Parses the node header at @off of the block (@p, @size), within @limit.
 * Returns false if it does not fit. */
static bool vs_node_read(const uint8_t *p, uint32_t size, uint32_t off,
			 uint32_t limit, struct vs_node *n)
{
	if (limit > size || !hvo_in_bounds(off, VS_KEY, limit))
		return false;
	uint16_t wlen = get_le16(p + off + VS_LENGTH);
	if (wlen < VS_KEY || !hvo_in_bounds(off, wlen, limit))
		return false;
	n->start = off;
	n->end = off + wlen;
	n->value_length = get_le16(p + off + VS_VALUE_LENGTH);
	n->type = get_le16(p + off + VS_TYPE);
	uint32_t k = off + VS_KEY;
	size_t nk = 0;
	for (;;) {
		if (k + 2 > n->end)
			return false; /* key not terminated inside the node */
		uint16_t c = get_le16(p + k);
		k += 2;
		if (c == 0)
			break;
		if (nk < VS_MAX_KEY_CHARS)
			n->key[nk++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	n->key[nk] = '\0';
	n->value_off = align4(k);
	uint32_t value_bytes = n->type == VS_TYPE_TEXT
				       ? (uint32_t)n->value_length * 2
				       : n->value_length;
	uint32_t vend = n->value_off + value_bytes;
	n->children_off = align4(vend);
	if (n->value_off > n->end)
		n->value_off = n->end;
	if (n->children_off > n->end)
		n->children_off = n->end;
	return true;
}

/* Copies the text value of a String node (UTF-16LE up to its NUL or the
 * node's end) into @out as UTF-8, truncated to fit. */
static void vs_text(const uint8_t *p, const struct vs_node *n, char *out,
		    size_t size)
{
	out[0] = '\0';
	uint32_t len = n->end - n->value_off;
	if (len > VERSION_MAX_STRING)
		len = VERSION_MAX_STRING;
	char *s;
	size_t slen;
	if (hvo_int_utf16le_to_utf8(p + n->value_off, len, 1, &s, &slen) != 0)
		return;
	/* Keep whole characters when truncating. */
	if (slen >= size) {
		slen = size - 1;
		while (slen > 0 && ((unsigned char)s[slen] & 0xc0) == 0x80)
			slen--;
	}
	memcpy(out, s, slen);
	out[slen] = '\0';
	free(s);
}

static void vs_strings(const uint8_t *p, uint32_t size,
		       const struct vs_node *table, struct guest_pe_info *info)
{
	struct vs_node s;
	for (uint32_t off = table->children_off; off < table->end;
	     off = align4(s.end)) {
		if (!vs_node_read(p, size, off, table->end, &s))
			return;
		char *dst = NULL;
		if (strcmp(s.key, "FileVersion") == 0)
			dst = info->file_version_str;
		else if (strcmp(s.key, "ProductVersion") == 0)
			dst = info->product_version_str;
		else if (strcmp(s.key, "OriginalFilename") == 0)
			dst = info->original_filename;
		if (dst != NULL && dst[0] == '\0')
			vs_text(p, &s, dst, GUEST_PE_STRING_MAX);
	}
}

static void split_version(uint32_t ms, uint32_t ls, struct guest_pe_version *v)
{
	v->part[0] = (uint16_t)(ms >> 16);
	v->part[1] = (uint16_t)ms;
	v->part[2] = (uint16_t)(ls >> 16);
	v->part[3] = (uint16_t)ls;
}

static int read_version_block(struct pe *pe, const uint8_t *p, uint32_t size)
{
	struct guest_pe_info *info = pe->info;
	struct vs_node root;
	if (!vs_node_read(p, size, 0, size, &root))
		return fail(pe, GUEST_PE_CORRUPT,
			    "version resource (%u bytes) has no valid "
			    "VS_VERSIONINFO header",
			    size);
	if (strcmp(root.key, "VS_VERSION_INFO") != 0)
		return fail(pe, GUEST_PE_CORRUPT,
			    "version resource key is '%s', not "
			    "VS_VERSION_INFO",
			    root.key);
	if (root.value_length < VS_FIXED_SIZE ||
	    !hvo_in_bounds(root.value_off, VS_FIXED_SIZE, root.end))
		return fail(pe, GUEST_PE_NO_VERSION,
			    "version resource has no VS_FIXEDFILEINFO");
	const uint8_t *fixed = p + root.value_off;
	if (get_le32(fixed) != VS_FIXED_SIGNATURE)
		return fail(pe, GUEST_PE_CORRUPT,
			    "VS_FIXEDFILEINFO signature is 0x%08x, not "
			    "0x%08x",
			    get_le32(fixed), VS_FIXED_SIGNATURE);
	split_version(get_le32(fixed + VS_FIXED_FILE_MS),
		      get_le32(fixed + VS_FIXED_FILE_LS), &info->file_version);
	split_version(get_le32(fixed + VS_FIXED_PRODUCT_MS),
		      get_le32(fixed + VS_FIXED_PRODUCT_LS),
		      &info->product_version);

	/* The strings are optional: take them from the first StringTable of
	 * the StringFileInfo child, if any.  The walk is bounded: each step
	 * moves forward by at least one node header, inside its parent. */
	struct vs_node child, table;
	for (uint32_t off = root.children_off; off < root.end;
	     off = align4(child.end)) {
		if (!vs_node_read(p, size, off, root.end, &child))
			break;
		if (strcmp(child.key, "StringFileInfo") != 0)
			continue;
		if (vs_node_read(p, size, child.children_off, child.end,
				 &table))
			vs_strings(p, size, &table, info);
		break;
	}
	return GUEST_PE_OK;
}

/* ------------------------------------------------------------------ */
/* Public functions.                                                   */
/* ------------------------------------------------------------------ */

int guest_pe_read_headers(const uint8_t *buf, size_t len,
			  struct guest_pe_info *info)
{
	memset(info, 0, sizeof(*info));
	struct pe pe = { .buf = buf, .len = len, .info = info };
	return read_headers(&pe);
}

int guest_pe_read(const uint8_t *buf, size_t len, struct guest_pe_info *info)
{
	memset(info, 0, sizeof(*info));
	struct pe pe = { .buf = buf, .len = len, .info = info };
	int r = read_headers(&pe);
	if (r != GUEST_PE_OK)
		return r;
	const uint8_t *data = NULL;
	uint32_t size = 0;
	r = find_version_resource(&pe, &data, &size);
	if (r != GUEST_PE_OK)
		return r;
	return read_version_block(&pe, data, size);
}

const char *guest_pe_machine_arch(uint16_t machine)
{
	switch (machine) {
	case GUEST_PE_MACHINE_I386:
		return "x86";
	case GUEST_PE_MACHINE_AMD64:
		return "amd64";
	case GUEST_PE_MACHINE_ARM64:
		return "arm64";
	case GUEST_PE_MACHINE_IA64:
		return "ia64";
	case GUEST_PE_MACHINE_ARMNT:
		return "arm";
	default:
		return NULL;
	}
}

void guest_pe_version_format(const struct guest_pe_version *v, char *buf,
			     size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", v->part[0], v->part[1], v->part[2],
		 v->part[3]);
}

const char *guest_pe_strerror(int err)
{
	static const char *const msgs[] = {
		[GUEST_PE_OK] = "success",
		[GUEST_PE_NOT_PE] = "not a PE image",
		[GUEST_PE_CORRUPT] = "corrupt PE image",
		[GUEST_PE_NO_VERSION] = "no version resource",
	};
	if (err < 0 || (size_t)err >= HVO_ARRAY_SIZE(msgs) || msgs[err] == NULL)
		return "unknown PE error";
	return msgs[err];
}

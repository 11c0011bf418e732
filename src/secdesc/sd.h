/*
 * sd.h - Windows security descriptors: SDDL, the self-relative binary
 * form NTFS stores (the system.ntfs_acl extended attribute of ntfs-3g
 * and libguestfs), and the inheritance rules Windows applies when it
 * creates a file or directory.
 *
 * Formats: SDDL as [MS-DTYP] 2.5.1 defines it (owner, group, DACL and SACL
 * with their flags, ACEs of the basic types, SID strings and the
 * well-known two-letter aliases, rights as hex or as two-letter codes);
 * the self-relative SECURITY_DESCRIPTOR of [MS-DTYP] 2.4.6.  Object ACEs,
 * conditional ACEs and domain-relative aliases (DA, EA, ...), which need
 * a domain SID, are refused as unsupported.
 *
 * Conventions: functions return 0 (SD_OK) or a positive enum sd_error;
 * parsing errors fill a struct sd_errinfo (message and byte position);
 * free functions accept NULL; output parameters end in _ret.  The library
 * never prints.
 */
#ifndef HVOFFLINE_SD_H
#define HVOFFLINE_SD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvoffline.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sd_error {
	SD_OK = 0,
	SD_ERR_NOMEM = 1,	/* out of memory */
	SD_ERR_SYNTAX = 2,	/* SDDL that does not parse */
	SD_ERR_UNSUPPORTED = 3, /* valid SDDL we do not convert */
	SD_ERR_MALFORMED = 4,	/* a binary descriptor that does not parse */
	SD_ERR_LIMIT = 5,	/* more ACEs or sub-authorities than allowed */
	SD_ERR_MAX = SD_ERR_LIMIT,
};

HVO_API const char *sd_strerror(int err);

/* SYNTAX, MALFORMED, UNSUPPORTED, LIMIT: corrupt input (a manifest's SDDL
 * or a guest's descriptor); NOMEM: failed. */
HVO_API enum hvo_exit sd_exit_class(int err);

/* Where and why parsing failed. */
struct sd_errinfo {
	size_t pos; /* byte offset in the input */
	char msg[160];
};

/* [MS-DTYP] 2.4.2: at most 15 sub-authorities. */
#define SD_MAX_SUBAUTH 15
/* At most this many ACEs per ACL: real descriptors hold a few dozen; an
 * ACL's 16-bit size caps it near 1800 anyway. */
#define SD_MAX_ACES 1024

struct sd_sid {
	uint8_t nsub;
	uint64_t authority; /* 48 bits */
	uint32_t sub[SD_MAX_SUBAUTH];
};

/* ACE types ([MS-DTYP] 2.4.4.1) we convert. */
enum {
	SD_ACE_ALLOWED = 0x00,
	SD_ACE_DENIED = 0x01,
	SD_ACE_AUDIT = 0x02,
	SD_ACE_ALARM = 0x03,
	SD_ACE_MANDATORY_LABEL = 0x11,
	SD_ACE_SCOPED_POLICY = 0x13,
};

/* ACE flags. */
enum {
	SD_OBJECT_INHERIT = 0x01,    /* OI */
	SD_CONTAINER_INHERIT = 0x02, /* CI */
	SD_NO_PROPAGATE = 0x04,	     /* NP */
	SD_INHERIT_ONLY = 0x08,	     /* IO */
	SD_INHERITED = 0x10,	     /* ID */
	SD_SUCCESSFUL_ACCESS = 0x40, /* SA */
	SD_FAILED_ACCESS = 0x80,     /* FA */
};

/* Control bits ([MS-DTYP] 2.4.6). */
enum {
	SD_OWNER_DEFAULTED = 0x0001,
	SD_GROUP_DEFAULTED = 0x0002,
	SD_DACL_PRESENT = 0x0004,
	SD_DACL_DEFAULTED = 0x0008,
	SD_SACL_PRESENT = 0x0010,
	SD_SACL_DEFAULTED = 0x0020,
	SD_DACL_AUTO_INHERIT_REQ = 0x0100,
	SD_SACL_AUTO_INHERIT_REQ = 0x0200,
	SD_DACL_AUTO_INHERITED = 0x0400,
	SD_SACL_AUTO_INHERITED = 0x0800,
	SD_DACL_PROTECTED = 0x1000,
	SD_SACL_PROTECTED = 0x2000,
	SD_SELF_RELATIVE = 0x8000,
};

struct sd_ace {
	uint8_t type;
	uint8_t flags;
	uint32_t mask;
	struct sd_sid sid;
};

struct sd_acl {
	struct sd_ace *aces;
	size_t n;
};

/* A descriptor.  An absent DACL (no SD_DACL_PRESENT) is a NULL DACL. */
struct sd {
	uint16_t control;
	bool has_owner, has_group;
	struct sd_sid owner, group;
	struct sd_acl dacl, sacl;
};

HVO_API void sd_free(struct sd *sd);

/* Parses SDDL.  On failure *@ret is NULL and @ei (if given) says where. */
HVO_API int sd_from_sddl(const char *sddl, struct sd **ret,
			 struct sd_errinfo *ei);

/* Formats @sd as SDDL (aliases where one exists, rights in hex) into a new
 * string (caller frees), or NULL on out of memory. */
HVO_API char *sd_to_sddl(const struct sd *sd);

/* Encodes @sd self-relative: header, SACL, DACL, owner, group (the order
 * Windows' RtlMakeSelfRelativeSD writes).  Caller frees *@buf_ret. */
HVO_API int sd_to_self_relative(const struct sd *sd, uint8_t **buf_ret,
				size_t *len_ret);

/* Decodes a self-relative descriptor of @len bytes. */
HVO_API int sd_from_self_relative(const uint8_t *buf, size_t len,
				  struct sd **ret, struct sd_errinfo *ei);

/*
 * The descriptor Windows gives a new file (@is_dir false) or directory
 * created in a directory whose descriptor is @parent, when the creator
 * supplies @explicit_sd (a manifest's SDDL) or NULL:
 *
 *  - ACEs of the parent's DACL (and SACL) that are inheritable to this
 *    kind of object (OI to files; CI, or OI as inherit-only, to
 *    directories) are inherited with INHERITED_ACE set; NP stops further
 *    propagation, IO is cleared where the ACE takes effect;
 *  - where an inherited ACE takes effect and names CREATOR OWNER/GROUP or
 *    carries generic rights, the effective copy names the owner/group and
 *    carries the mapped file rights, and a directory keeps an
 *    inherit-only copy as it was (Windows splits such ACEs in two);
 *  - an explicit DACL comes first, generic rights of the ACEs that take
 *    effect on the object mapped to file rights; a protected one (P)
 *    inherits nothing;
 *  - the owner and group are the explicit ones, else the parent's (the
 *    creator's, which Windows would use, is not known offline);
 *  - without any inheritable ACE and explicit DACL, the DACL is the
 *    default one: SYSTEM and Administrators full control.
 */
HVO_API int sd_inherit(const struct sd *parent, const struct sd *explicit_sd,
		       bool is_dir, struct sd **ret);

/*
 * The whole step servicing needs for one new file or directory: @parent
 * is the parent directory's self-relative descriptor (as read from
 * system.ntfs_acl), @sddl the manifest's SDDL or NULL; *@buf_ret gets the
 * new object's self-relative descriptor (caller frees).  Errors name the
 * input (parent descriptor or SDDL) in @ei.
 */
HVO_API int sd_inherit_bytes(const uint8_t *parent, size_t parent_len,
			     const char *sddl, bool is_dir, uint8_t **buf_ret,
			     size_t *len_ret, struct sd_errinfo *ei);

/* SID helpers. */
HVO_API bool sd_sid_equal(const struct sd_sid *a, const struct sd_sid *b);
/* "S-1-5-18"; @buf of at least SD_SID_STR_MAX bytes. */
#define SD_SID_STR_MAX 192
HVO_API void sd_sid_format(const struct sd_sid *s, char *buf);

#ifdef __cplusplus
}
#endif

#endif /* HVOFFLINE_SD_H */

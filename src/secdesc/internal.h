/*
 * internal.h - what the files of src/secdesc/ share.
 */
#ifndef HVO_SECDESC_INTERNAL_H
#define HVO_SECDESC_INTERNAL_H

#include "secdesc/sd.h"

/* Sets @ei (if any) and returns @err. */
int sd_int_fail(struct sd_errinfo *ei, int err, size_t pos, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

/* Parses a SID string ("S-1-5-32-544") or a two-letter alias at *@p;
 * advances *@p.  Returns SD_OK, SD_ERR_SYNTAX or SD_ERR_UNSUPPORTED. */
int sd_int_sid_parse(const char **p, struct sd_sid *sid, const char *start,
		     struct sd_errinfo *ei);

/* The two-letter alias of @sid, or NULL. */
const char *sd_int_sid_alias(const struct sd_sid *sid);

/* Size of a SID in binary form: 8 + 4 * nsub. */
static inline size_t sd_int_sid_size(const struct sd_sid *s)
{
	return 8 + 4 * (size_t)s->nsub;
}

/* Appends @ace to @acl.  Returns SD_OK, SD_ERR_NOMEM or SD_ERR_LIMIT. */
int sd_int_acl_add(struct sd_acl *acl, const struct sd_ace *ace);

/* Well-known SIDs the inheritance rules use. */
extern const struct sd_sid sd_int_creator_owner;  /* S-1-3-0 */
extern const struct sd_sid sd_int_creator_group;  /* S-1-3-1 */
extern const struct sd_sid sd_int_local_system;	  /* S-1-5-18 */
extern const struct sd_sid sd_int_administrators; /* S-1-5-32-544 */

#endif /* HVO_SECDESC_INTERNAL_H */

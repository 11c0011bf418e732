/*
 * binary.c - self-relative security descriptors ([MS-DTYP] 2.4.6), the
 * form NTFS stores and ntfs-3g exposes as the system.ntfs_acl attribute.
 *
 *   SECURITY_DESCRIPTOR_RELATIVE (20 bytes): Revision 1, Sbz1, Control,
 *     OffsetOwner, OffsetGroup, OffsetSacl, OffsetDacl (0 = absent)
 *   ACL (8 bytes): AclRevision 2, Sbz1, AclSize, AceCount, Sbz2; ACEs
 *   ACE: AceType, AceFlags, AceSize, Mask, SID (basic ACE types only)
 *   SID: Revision 1, SubAuthorityCount, IdentifierAuthority (6 bytes,
 *     big-endian), SubAuthority[] (little-endian)
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "secdesc/internal.h"
#include "util/bytes.h"

#define SDR_REVISION	   0
#define SDR_CONTROL	   2
#define SDR_OWNER	   4
#define SDR_GROUP	   8
#define SDR_SACL	   12
#define SDR_DACL	   16
#define SDR_LEN		   20

#define ACL_REVISION	   0
#define ACL_SIZE	   2
#define ACL_COUNT	   4
#define ACL_LEN		   8
#define ACL_REVISION_BASIC 2

#define ACE_TYPE	   0
#define ACE_FLAGS	   1
#define ACE_SIZE	   2
#define ACE_MASK	   4
#define ACE_SID		   8

/* ACL sizes are 16-bit. */
#define ACL_MAX_SIZE 0xffff

static void put_sid(uint8_t *p, const struct sd_sid *s)
{
	p[0] = 1;
	p[1] = s->nsub;
	for (int i = 0; i < 6; i++)
		p[2 + i] = (uint8_t)(s->authority >> (8 * (5 - i)));
	for (unsigned i = 0; i < s->nsub; i++)
		put_le32(p + 8 + 4 * i, s->sub[i]);
}

static size_t acl_size(const struct sd_acl *a)
{
	size_t n = ACL_LEN;
	for (size_t i = 0; i < a->n; i++)
		n += ACE_SID + sd_int_sid_size(&a->aces[i].sid);
	return n;
}

static void put_acl(uint8_t *p, const struct sd_acl *a, size_t size)
{
	p[ACL_REVISION] = ACL_REVISION_BASIC;
	p[1] = 0;
	put_le16(p + ACL_SIZE, (uint16_t)size);
	put_le16(p + ACL_COUNT, (uint16_t)a->n);
	put_le16(p + 6, 0);
	size_t o = ACL_LEN;
	for (size_t i = 0; i < a->n; i++) {
		const struct sd_ace *e = &a->aces[i];
		size_t sz = ACE_SID + sd_int_sid_size(&e->sid);
		p[o + ACE_TYPE] = e->type;
		p[o + ACE_FLAGS] = e->flags;
		put_le16(p + o + ACE_SIZE, (uint16_t)sz);
		put_le32(p + o + ACE_MASK, e->mask);
		put_sid(p + o + ACE_SID, &e->sid);
		o += sz;
	}
}

int sd_to_self_relative(const struct sd *sd, uint8_t **buf_ret, size_t *len_ret)
{
	*buf_ret = NULL;
	bool sacl = sd->control & SD_SACL_PRESENT;
	bool dacl = sd->control & SD_DACL_PRESENT;
	size_t ssz = sacl ? acl_size(&sd->sacl) : 0;
	size_t dsz = dacl ? acl_size(&sd->dacl) : 0;
	if (ssz > ACL_MAX_SIZE || dsz > ACL_MAX_SIZE)
		return SD_ERR_LIMIT;
	size_t osz = sd->has_owner ? sd_int_sid_size(&sd->owner) : 0;
	size_t gsz = sd->has_group ? sd_int_sid_size(&sd->group) : 0;
	size_t len = SDR_LEN + ssz + dsz + osz + gsz;
	uint8_t *b = calloc(1, len);
	if (b == NULL)
		return SD_ERR_NOMEM;
	b[SDR_REVISION] = 1;
	put_le16(b + SDR_CONTROL, (uint16_t)(sd->control | SD_SELF_RELATIVE));
	size_t o = SDR_LEN;
	if (sacl) {
		put_le32(b + SDR_SACL, (uint32_t)o);
		put_acl(b + o, &sd->sacl, ssz);
		o += ssz;
	}
	if (dacl) {
		put_le32(b + SDR_DACL, (uint32_t)o);
		put_acl(b + o, &sd->dacl, dsz);
		o += dsz;
	}
	if (sd->has_owner) {
		put_le32(b + SDR_OWNER, (uint32_t)o);
		put_sid(b + o, &sd->owner);
		o += osz;
	}
	if (sd->has_group) {
		put_le32(b + SDR_GROUP, (uint32_t)o);
		put_sid(b + o, &sd->group);
	}
	*buf_ret = b;
	*len_ret = len;
	return SD_OK;
}

/* A SID at @off of at most @avail bytes. */
static bool get_sid(const uint8_t *p, size_t avail, struct sd_sid *s,
		    size_t *size)
{
	if (avail < 8 || p[0] != 1 || p[1] > SD_MAX_SUBAUTH)
		return false;
	memset(s, 0, sizeof(*s));
	s->nsub = p[1];
	if (avail < 8 + 4 * (size_t)s->nsub)
		return false;
	for (int i = 0; i < 6; i++)
		s->authority = s->authority << 8 | p[2 + i];
	for (unsigned i = 0; i < s->nsub; i++)
		s->sub[i] = get_le32(p + 8 + 4 * i);
	*size = 8 + 4 * (size_t)s->nsub;
	return true;
}

static int get_acl(const uint8_t *buf, size_t len, uint32_t off,
		   struct sd_acl *acl, struct sd_errinfo *ei)
{
	if (off > len || len - off < ACL_LEN)
		return sd_int_fail(ei, SD_ERR_MALFORMED, off,
				   "ACL header outside the descriptor");
	const uint8_t *p = buf + off;
	uint16_t size = get_le16(p + ACL_SIZE);
	uint16_t count = get_le16(p + ACL_COUNT);
	if (p[ACL_REVISION] < 2 || p[ACL_REVISION] > 4 || size < ACL_LEN ||
	    size > len - off)
		return sd_int_fail(ei, SD_ERR_MALFORMED, off,
				   "bad ACL revision or size");
	size_t o = ACL_LEN;
	for (unsigned i = 0; i < count; i++) {
		if (size - o < ACE_SID)
			return sd_int_fail(ei, SD_ERR_MALFORMED, off + o,
					   "ACE %u outside its ACL", i);
		struct sd_ace ace = { .type = p[o + ACE_TYPE],
				      .flags = p[o + ACE_FLAGS],
				      .mask = get_le32(p + o + ACE_MASK) };
		uint16_t asz = get_le16(p + o + ACE_SIZE);
		if (asz < ACE_SID || asz > size - o)
			return sd_int_fail(ei, SD_ERR_MALFORMED, off + o,
					   "ACE %u: bad size", i);
		switch (ace.type) {
		case SD_ACE_ALLOWED:
		case SD_ACE_DENIED:
		case SD_ACE_AUDIT:
		case SD_ACE_ALARM:
		case SD_ACE_MANDATORY_LABEL:
		case SD_ACE_SCOPED_POLICY:
			break;
		default:
			return sd_int_fail(ei, SD_ERR_UNSUPPORTED, off + o,
					   "ACE %u: type %u", i, ace.type);
		}
		size_t ssz;
		if (!get_sid(p + o + ACE_SID, asz - ACE_SID, &ace.sid, &ssz))
			return sd_int_fail(ei, SD_ERR_MALFORMED, off + o,
					   "ACE %u: bad SID", i);
		int rc = sd_int_acl_add(acl, &ace);
		if (rc)
			return sd_int_fail(ei, rc, off + o, "ACE %u: %s", i,
					   sd_strerror(rc));
		o += asz;
	}
	return SD_OK;
}

int sd_from_self_relative(const uint8_t *buf, size_t len, struct sd **ret,
			  struct sd_errinfo *ei)
{
	*ret = NULL;
	if (len < SDR_LEN || buf[SDR_REVISION] != 1)
		return sd_int_fail(ei, SD_ERR_MALFORMED, 0,
				   "not a self-relative security descriptor");
	uint16_t control = get_le16(buf + SDR_CONTROL);
	if (!(control & SD_SELF_RELATIVE))
		return sd_int_fail(ei, SD_ERR_MALFORMED, SDR_CONTROL,
				   "SE_SELF_RELATIVE is not set");
	struct sd *sd = calloc(1, sizeof(*sd));
	if (sd == NULL)
		return SD_ERR_NOMEM;
	sd->control = control;
	int rc = SD_OK;
	uint32_t oo = get_le32(buf + SDR_OWNER), og = get_le32(buf + SDR_GROUP);
	uint32_t os = get_le32(buf + SDR_SACL), od = get_le32(buf + SDR_DACL);
	size_t sz;
	if (oo && (oo > len || !get_sid(buf + oo, len - oo, &sd->owner, &sz)))
		rc = sd_int_fail(ei, SD_ERR_MALFORMED, oo, "bad owner SID");
	sd->has_owner = oo != 0;
	if (!rc && og &&
	    (og > len || !get_sid(buf + og, len - og, &sd->group, &sz)))
		rc = sd_int_fail(ei, SD_ERR_MALFORMED, og, "bad group SID");
	sd->has_group = og != 0;
	/* A present flag with offset 0 is a NULL ACL; kept as not present. */
	if (!rc && (control & SD_SACL_PRESENT)) {
		if (os)
			rc = get_acl(buf, len, os, &sd->sacl, ei);
		else
			sd->control &= (uint16_t)~SD_SACL_PRESENT;
	}
	if (!rc && (control & SD_DACL_PRESENT)) {
		if (od)
			rc = get_acl(buf, len, od, &sd->dacl, ei);
		else
			sd->control &= (uint16_t)~SD_DACL_PRESENT;
	}
	if (rc) {
		sd_free(sd);
		return rc;
	}
	*ret = sd;
	return SD_OK;
}

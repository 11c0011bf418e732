/*
 * inherit.c - the descriptor Windows gives a new file or directory
 * (CreatePrivateObjectSecurityEx with auto-inheritance, as NTFS applies it;
 * see sd.h for the rules and "How Inheritance Works"/"ACE Inheritance
 * Rules" in Microsoft's access-control documentation).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secdesc/internal.h"

#define INHERIT_FLAGS                                                 \
	(SD_OBJECT_INHERIT | SD_CONTAINER_INHERIT | SD_NO_PROPAGATE | \
	 SD_INHERIT_ONLY)
#define AUDIT_FLAGS (SD_SUCCESSFUL_ACCESS | SD_FAILED_ACCESS)

/* Generic rights and the file rights they map to (FILE_GENERIC_*). */
#define GENERIC_READ	0x80000000u
#define GENERIC_WRITE	0x40000000u
#define GENERIC_EXECUTE 0x20000000u
#define GENERIC_ALL	0x10000000u
#define GENERIC_MASK \
	(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL)
#define FILE_GENERIC_READ    0x00120089u
#define FILE_GENERIC_WRITE   0x00120116u
#define FILE_GENERIC_EXECUTE 0x001200a0u
#define FILE_ALL_ACCESS	     0x001f01ffu

static uint32_t map_generic(uint32_t m)
{
	uint32_t r = m & ~GENERIC_MASK;
	if (m & GENERIC_READ)
		r |= FILE_GENERIC_READ;
	if (m & GENERIC_WRITE)
		r |= FILE_GENERIC_WRITE;
	if (m & GENERIC_EXECUTE)
		r |= FILE_GENERIC_EXECUTE;
	if (m & GENERIC_ALL)
		r |= FILE_ALL_ACCESS;
	return r;
}

static bool is_creator(const struct sd_sid *s)
{
	return sd_sid_equal(s, &sd_int_creator_owner) ||
	       sd_sid_equal(s, &sd_int_creator_group);
}

/* The copy of @a that takes effect on the new object. */
static struct sd_ace effective(const struct sd_ace *a,
			       const struct sd_sid *owner,
			       const struct sd_sid *group)
{
	struct sd_ace e = *a;
	e.flags = (uint8_t)((a->flags & AUDIT_FLAGS) | SD_INHERITED);
	e.mask = map_generic(a->mask);
	if (sd_sid_equal(&a->sid, &sd_int_creator_owner))
		e.sid = *owner;
	else if (sd_sid_equal(&a->sid, &sd_int_creator_group))
		e.sid = *group;
	return e;
}

static int inherit_acl(const struct sd_acl *p, bool is_dir,
		       const struct sd_sid *owner, const struct sd_sid *group,
		       struct sd_acl *out)
{
	int rc = SD_OK;
	for (size_t i = 0; i < p->n && rc == SD_OK; i++) {
		const struct sd_ace *a = &p->aces[i];
		uint8_t f = a->flags;
		if (!(f & (SD_OBJECT_INHERIT | SD_CONTAINER_INHERIT)))
			continue;
		if (!is_dir) {
			/* Files take OI ACEs, as effective ACEs only. */
			if (f & SD_OBJECT_INHERIT) {
				struct sd_ace e = effective(a, owner, group);
				rc = sd_int_acl_add(out, &e);
			}
			continue;
		}
		if (!(f & SD_CONTAINER_INHERIT)) {
			/* OI only: not for this directory, but for the files
			 * below it, unless NP stopped it at the parent. */
			if (f & SD_NO_PROPAGATE)
				continue;
			struct sd_ace e = *a;
			e.flags = (uint8_t)((f & AUDIT_FLAGS) |
					    SD_OBJECT_INHERIT |
					    SD_INHERIT_ONLY | SD_INHERITED);
			rc = sd_int_acl_add(out, &e);
			continue;
		}
		if (f & SD_NO_PROPAGATE) {
			/* CI with NP: effective here, inherited no further. */
			struct sd_ace e = effective(a, owner, group);
			rc = sd_int_acl_add(out, &e);
			continue;
		}
		struct sd_ace keep = *a;
		keep.flags = (uint8_t)((f & (AUDIT_FLAGS | SD_OBJECT_INHERIT |
					     SD_CONTAINER_INHERIT)) |
				       SD_INHERITED);
		if (is_creator(&a->sid) || (a->mask & GENERIC_MASK)) {
			/* Split: an effective ACE for this directory and an
			 * inherit-only one carrying the original on. */
			struct sd_ace e = effective(a, owner, group);
			keep.flags |= SD_INHERIT_ONLY;
			rc = sd_int_acl_add(out, &e);
			if (rc == SD_OK)
				rc = sd_int_acl_add(out, &keep);
		} else {
			rc = sd_int_acl_add(out, &keep);
		}
	}
	return rc;
}

/* The creator's explicit ACEs: those that take effect on a file, or
 * that a directory does not pass on, have their generic rights mapped to
 * file rights, as Windows does when it creates the object. */
static int copy_acl(const struct sd_acl *from, bool is_dir, struct sd_acl *to)
{
	for (size_t i = 0; i < from->n; i++) {
		struct sd_ace a = from->aces[i];
		bool passed_on =
			is_dir &&
			(a.flags & (SD_OBJECT_INHERIT | SD_CONTAINER_INHERIT));
		if (!passed_on && !(a.flags & SD_INHERIT_ONLY))
			a.mask = map_generic(a.mask);
		int rc = sd_int_acl_add(to, &a);
		if (rc)
			return rc;
	}
	return SD_OK;
}

/* One ACL (DACL or SACL) of the new descriptor. */
static int build_acl(const struct sd *parent, const struct sd *ex, bool is_dir,
		     bool dacl, struct sd *sd)
{
	uint16_t present = dacl ? SD_DACL_PRESENT : SD_SACL_PRESENT;
	uint16_t prot = dacl ? SD_DACL_PROTECTED : SD_SACL_PROTECTED;
	uint16_t ai = dacl ? SD_DACL_AUTO_INHERITED : SD_SACL_AUTO_INHERITED;
	struct sd_acl *out = dacl ? &sd->dacl : &sd->sacl;
	int rc = SD_OK;
	bool ex_has = ex && (ex->control & present);
	if (ex_has) {
		rc = copy_acl(dacl ? &ex->dacl : &ex->sacl, is_dir, out);
		sd->control |= present | (ex->control & prot);
		if (rc || (ex->control & prot))
			return rc;
	}
	if (parent && (parent->control & present)) {
		size_t before = out->n;
		rc = inherit_acl(dacl ? &parent->dacl : &parent->sacl, is_dir,
				 &sd->owner, &sd->group, out);
		if (out->n > before)
			sd->control |= present;
		if (parent->control & ai)
			sd->control |= ai;
	}
	return rc;
}

int sd_inherit(const struct sd *parent, const struct sd *ex, bool is_dir,
	       struct sd **ret)
{
	*ret = NULL;
	struct sd *sd = calloc(1, sizeof(*sd));
	if (sd == NULL)
		return SD_ERR_NOMEM;
	sd->control = SD_SELF_RELATIVE;
	sd->has_owner = sd->has_group = true;
	if (ex && ex->has_owner)
		sd->owner = ex->owner;
	else if (parent && parent->has_owner)
		sd->owner = parent->owner;
	else
		sd->owner = sd_int_administrators;
	if (ex && ex->has_group)
		sd->group = ex->group;
	else if (parent && parent->has_group)
		sd->group = parent->group;
	else
		sd->group = sd_int_local_system;
	int rc = build_acl(parent, ex, is_dir, true, sd);
	if (rc == SD_OK)
		rc = build_acl(parent, ex, is_dir, false, sd);
	if (rc == SD_OK && !(sd->control & SD_DACL_PRESENT)) {
		/* Nothing to inherit: the default DACL of a service's token
		 * (as TrustedInstaller/SYSTEM create files). */
		struct sd_ace sy = { SD_ACE_ALLOWED, 0, FILE_ALL_ACCESS,
				     sd_int_local_system };
		struct sd_ace ba = { SD_ACE_ALLOWED, 0, FILE_ALL_ACCESS,
				     sd_int_administrators };
		sd->control |= SD_DACL_PRESENT;
		rc = sd_int_acl_add(&sd->dacl, &sy);
		if (rc == SD_OK)
			rc = sd_int_acl_add(&sd->dacl, &ba);
	}
	if (rc) {
		sd_free(sd);
		return rc;
	}
	*ret = sd;
	return SD_OK;
}

int sd_inherit_bytes(const uint8_t *parent, size_t parent_len, const char *sddl,
		     bool is_dir, uint8_t **buf_ret, size_t *len_ret,
		     struct sd_errinfo *ei)
{
	*buf_ret = NULL;
	struct sd *p = NULL, *ex = NULL, *c = NULL;
	int rc = sd_from_self_relative(parent, parent_len, &p, ei);
	if (rc) {
		if (ei) {
			char m[sizeof(ei->msg)];
			memcpy(m, ei->msg, sizeof(m));
			snprintf(ei->msg, sizeof(ei->msg),
				 "parent descriptor: %.130s", m);
		}
		return rc;
	}
	if (sddl && (rc = sd_from_sddl(sddl, &ex, ei)) != SD_OK) {
		if (ei) {
			char m[sizeof(ei->msg)];
			memcpy(m, ei->msg, sizeof(m));
			snprintf(ei->msg, sizeof(ei->msg), "SDDL: %.150s", m);
		}
		sd_free(p);
		return rc;
	}
	rc = sd_inherit(p, ex, is_dir, &c);
	if (rc == SD_OK)
		rc = sd_to_self_relative(c, buf_ret, len_ret);
	sd_free(p);
	sd_free(ex);
	sd_free(c);
	return rc;
}

/*
 * model.c - what every file of src/secdesc/ builds on: the descriptor's
 * memory (ACLs that grow, sd_free) and parse errors.  It calls no other
 * file of the folder, so that none of them calls back up into another.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "secdesc/internal.h"

int sd_int_fail(struct sd_errinfo *ei, int err, size_t pos, const char *fmt,
		...)
{
	if (ei) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ei->msg, sizeof(ei->msg), fmt, ap);
		va_end(ap);
		ei->pos = pos;
	}
	return err;
}

int sd_int_acl_add(struct sd_acl *acl, const struct sd_ace *ace)
{
	if (acl->n >= SD_MAX_ACES)
		return SD_ERR_LIMIT;
	struct sd_ace *a = realloc(acl->aces, (acl->n + 1) * sizeof(*a));
	if (a == NULL)
		return SD_ERR_NOMEM;
	a[acl->n++] = *ace;
	acl->aces = a;
	return SD_OK;
}

void sd_free(struct sd *sd)
{
	if (sd == NULL)
		return;
	free(sd->dacl.aces);
	free(sd->sacl.aces);
	free(sd);
}

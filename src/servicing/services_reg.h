/*
 * services_reg.h - the guest's registry edited in place (`hvoffline reg
 * COMMAND --image IMAGE`): virt-win-reg --merge without its data loss on
 * dirty hives.
 *
 * Keys are full paths: HKLM\SOFTWARE\..., HKLM\SYSTEM\... (with
 * CurrentControlSet mapped to the current control set) and
 * HKU\.DEFAULT\... (HKEY_LOCAL_MACHINE and HKEY_USERS spelled out work
 * too).  A hive is copied out, recovered from its logs when dirty (refused
 * when dirty without usable logs), edited, and written back crash-safely
 * with a record in the guest (services_guest.h).  The record's undo data
 * holds each changed value as it was; where a change reaches beyond one
 * value (an import, a key deleted or created) it holds a copy of the
 * whole hive as it was, kept beside the record.
 */
#ifndef HVO_SERVICING_SERVICES_REG_H
#define HVO_SERVICING_SERVICES_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"
#include "hvoffline.h"
#include "servicing/error.h"
#include "servicing/services_guest.h"

enum svc_regop {
	SVC_REGOP_GET = 0,
	SVC_REGOP_SET,
	SVC_REGOP_DELETE,
	SVC_REGOP_IMPORT,
	SVC_REGOP_EXPORT,
};

struct svc_reg_image_opts {
	const char *image;	/* for the record */
	const char *systemroot; /* stored spelling, "Windows" */
	const char *tmpdir;	/* private host scratch directory */
	enum svc_regop op;
	const char *path;  /* full key path (not IMPORT) */
	const char *value; /* value name ("" default), or NULL: the key */
	uint32_t type;	   /* SET with a value */
	const void *data;
	size_t len;
	const char *reg_file; /* IMPORT: host path of the .reg file */
	bool dry_run;	      /* writers: check and report, write nothing */
};

struct svc_reg_image_result {
	enum hvo_exit exit;
	struct svc_error error; /* why it failed (the errmsg accessor) */
	/* The hive and key, still open for GET and EXPORT (read them, then
	 * free the result). */
	struct svc_ghive g;
	char *key;	  /* below the hive root */
	char *prefix;	  /* "HKEY_LOCAL_MACHINE\SYSTEM", for exports */
	size_t nops;	  /* IMPORT: operations applied */
	bool changed;	  /* the guest was written */
	char *record;	  /* guest path of the record */
	char *hive_saved; /* guest path of the hive copy kept for undo */
};

/* Splits @path into the hive ("SOFTWARE", "SYSTEM", "DEFAULT") and the
 * rest (caller frees *@rest_ret, "" for the hive root).  -1 if @path
 * names no hive of these. */
int svc_reg_image_split(const char *path, char hive[16], char **rest_ret);

enum hvo_exit svc_reg_image_run(struct guest_fs *fs,
				const struct svc_reg_image_opts *o,
				struct svc_reg_image_result *res);

void svc_reg_image_result_free(struct svc_reg_image_result *res);

/* Why the run failed ("" when it did not; owned by @res). */
const char *svc_reg_image_errmsg(const struct svc_reg_image_result *res);

#endif /* HVO_SERVICING_SERVICES_REG_H */

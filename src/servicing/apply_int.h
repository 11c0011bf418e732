/*
 * apply_int.h - what apply.c and verify.c share (internal).
 */
#ifndef HVO_SERVICING_APPLY_INT_H
#define HVO_SERVICING_APPLY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"
#include "servicing/error.h"
#include "servicing/plan.h"

/* "dir\.name.<suffix>" for "dir\name" (caller frees; NULL if out of
 * memory): staged and set-aside copies live beside their target. */
char *svc_int_sibling(const char *path, const char *suffix);

/* SHA-256 and size of a guest file; *@exists false (and GUEST_OK) when
 * there is none. */
int svc_int_guest_sha256(struct guest_fs *fs, const char *path, bool *exists,
			 uint8_t sha[32], uint64_t *size);

/*
 * Extracts the cabinet entries the plan names into host directory @dir;
 * (*@host_ret)[i] is the host path of plan file i (NULL for files of
 * other sources; caller frees the array and its strings).  Returns SVC_OK
 * or the error (SVC_ERR_CORRUPT for a corrupt cabinet) with @err set.
 */
enum svc_err svc_int_extract(const struct svc_plan *plan, const char *cab_path,
			     const char *dir, char ***host_ret,
			     struct svc_error *err);

/* Whether a ';'-separated path list holds @entry (ignoring case and
 * spaces around entries). */
bool svc_int_path_has(const char *list, const char *entry);

#endif /* HVO_SERVICING_APPLY_INT_H */

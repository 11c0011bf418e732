/*
 * inspect_int.h - what the files of inspection share (internal).
 *
 *   inspect_facts.c      the facts: init, free, lookups (calls none of
 *                        the others)
 *   inspect_preflight.c  step 1: the image file
 *   inspect.c            step 2: the guest
 *   inspect_verdict.c    step 3: the verdict
 */
#ifndef HVO_SERVICING_INSPECT_INT_H
#define HVO_SERVICING_INSPECT_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "servicing/inspect.h"

/* snprintf into a fixed field of the facts (truncated). */
void svc_int_set_text(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* HVO_SERVICING_INSPECT_INT_H */

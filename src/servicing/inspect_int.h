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

/* Sets the owned text field *@dst of the facts (freeing what it held);
 * "out of memory" when formatting fails. */
void svc_int_text(char **dst, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* @s, or @dflt when it is NULL (a text field of the facts not set). */
static inline const char *svc_int_text_or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

/* Frees what the facts of the disk hold (volumes, packages, the Linux
 * guest, its text fields), keeping the pre-flight's. */
void svc_int_facts_free_disk(struct svc_facts *f);

/* The owned text fields of @f, one by one (@i from 0; NULL past the
 * last): the pre-flight's first (SVC_INT_PREFLIGHT_TEXTS of them), then
 * the disk's.  svc_facts_free() frees them; the sandbox wire sends
 * them. */
#define SVC_INT_PREFLIGHT_TEXTS 5
char **svc_int_facts_text(struct svc_facts *f, size_t i);

/* snprintf into a fixed field of the facts (truncated). */
void svc_int_set_text(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Mounts volume @i of @disk read-only for inspection and records the
 * attempt in @vf (mount_tried, mounted, mount_error).  Returns the
 * filesystem, or NULL when it cannot be mounted (inspect_facts.c). */
struct guest_fs *svc_int_mount_ro(struct guest_disk *disk, size_t i,
				  struct svc_volume_facts *vf);

/* Adds a problem to @f and raises its verdict to @exit
 * (inspect_facts.c). */
void svc_int_add_problem(struct svc_facts *f, const char *code,
			 enum hvo_exit exit, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Whether the data @d (@len bytes) of a SYSTEM\MountedDevices
 * "\DosDevices\X:" value names volume @v of a disk with partition table
 * @ptable: on MBR the volume's byte offset (after the 4-byte disk
 * signature), on GPT "DMIO:ID:" and its unique partition GUID
 * (inspect.c). */
bool svc_int_mounted_device_is(const uint8_t *d, size_t len,
			       enum guest_ptable ptable,
			       const struct guest_volume *v);

#endif /* HVO_SERVICING_INSPECT_INT_H */

/*
 * inspect_hive.h - the few hive reads inspection needs (internal).
 *
 * One place for all hive access of inspection, so that the hive library
 * behind it can change without touching the detection code: values are
 * read through libhivex, read-only, from a copy of the hive on the host.
 * Dirty-state and log checks belong to registry/.
 */
#ifndef HVO_SERVICING_INSPECT_HIVE_H
#define HVO_SERVICING_INSPECT_HIVE_H

#include <stddef.h>
#include <stdint.h>

#include "servicing/inspect.h"

struct ihive;

/*
 * Opens a copy of a hive read-only, with its logs beside it (HIVE.LOG,
 * HIVE.LOG1, HIVE.LOG2), and fills the state fields of @hf: dirty or not,
 * sequence numbers, which logs exist and whether they would recover it,
 * corrupt.  *@h_ret is a handle for reads (of the hive as recovered, when
 * its logs recover it), or NULL when the hive cannot be read.
 */
void svc_int_hive_open(const char *path, struct svc_hive_facts *hf,
		       struct ihive **h_ret);
void svc_int_hive_close(struct ihive *h);

/*
 * Reads a value under @key (a path below the hive root, '\'-separated,
 * matched without regard to case).  Return 0 when found, 1 when the key or
 * value is absent or of another type, -1 on a hive error.
 */
int svc_int_hive_get_string(struct ihive *h, const char *key, const char *value,
			    char *out, size_t size);
int svc_int_hive_get_dword(struct ihive *h, const char *key, const char *value,
			   uint32_t *out);
/* A value's raw bytes, of any type, into @out (at most @size bytes: a
 * longer value counts as absent); its length in *@len_ret. */
int svc_int_hive_get_bytes(struct ihive *h, const char *key, const char *value,
			   uint8_t *out, size_t size, size_t *len_ret);
/* Whether @key exists (1), not (0), or -1 on error. */
int svc_int_hive_has_key(struct ihive *h, const char *key);

/* The names of @key's subkeys (free with svc_int_hive_names_free()).  Returns 0,
 * 1 if the key is absent, -1 on error. */
int svc_int_hive_subkeys(struct ihive *h, const char *key, char ***names_ret,
			 size_t *n_ret);
void svc_int_hive_names_free(char **names, size_t n);

#endif /* HVO_SERVICING_INSPECT_HIVE_H */

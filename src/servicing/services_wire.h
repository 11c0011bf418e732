/*
 * services_wire.h - the results of the managing commands (services, reg
 * --image, rollback) as bytes, from the sandboxed child that ran an
 * image's step to the parent (services_child.h).
 *
 * The format is session_wire.c's: numbers 64-bit in host order (the
 * child is a fork of the parent), a string as its length plus one (0:
 * NULL) then its bytes, a byte string as its length then its bytes.  The
 * parent reads them as it reads a file: every length is bounded by what
 * is left and by a named limit, every string is NUL-terminated again,
 * static sentences travel as an index into a table here, and a record
 * that does not add up marks the reader bad (the image then fails with
 * "the sandboxed child's result cannot be read").
 */
#ifndef HVO_SERVICING_SERVICES_WIRE_H
#define HVO_SERVICING_SERVICES_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "registry/reg.h"
#include "servicing/rollback.h"
#include "servicing/services_set.h"

/* The writer: an open_memstream() on @buf and @len, opened on first use. */
struct svc_mwire {
	FILE *f;
	char *buf;
	size_t len;
	bool failed;
};

/* The reader: what is left of the child's bytes. */
struct svc_mread {
	const char *p;
	size_t left;
	bool bad;
};

void svc_int_mw_put(struct svc_mwire *w, const void *p, size_t n);
void svc_int_mw_u(struct svc_mwire *w, uint64_t v);
void svc_int_mw_s(struct svc_mwire *w, const char *s);
void svc_int_mw_bytes(struct svc_mwire *w, const void *p, size_t n);
/* Closes the stream: 0, or -1 when anything failed (buf is then to be
 * freed all the same). */
int svc_int_mw_close(struct svc_mwire *w);

/* A number (0 and @r bad past the end). */
uint64_t svc_int_mr_u(struct svc_mread *r);
/* A number that must be at most @max (else 0 and @r bad). */
uint64_t svc_int_mr_max(struct svc_mread *r, uint64_t max);
/* A string, NULL allowed (caller frees; NULL and @r bad when it does not
 * add up or is longer than @max bytes). */
char *svc_int_mr_s(struct svc_mread *r, size_t max);
/* A string into @buf of @size bytes (truncated; "" when NULL). */
void svc_int_mr_buf(struct svc_mread *r, char *buf, size_t size);
/* A byte string of at most @max bytes (caller frees; NUL appended, not
 * counted). */
uint8_t *svc_int_mr_bytes(struct svc_mread *r, size_t max, size_t *len_ret);

/* The results of each command.  The decoders fill a zeroed result; on a
 * bad reader the caller frees what was filled with the command's own
 * free function. */
void svc_int_mw_services(struct svc_mwire *w,
			 const struct svc_services_result *res);
void svc_int_mr_services(struct svc_mread *r, struct svc_services_result *res);
void svc_int_mw_rollback(struct svc_mwire *w,
			 const struct svc_rollback_result *res);
void svc_int_mr_rollback(struct svc_mread *r, struct svc_rollback_result *res);
/* Registry values (reg get --image). */
void svc_int_mw_values(struct svc_mwire *w, const struct reg_value *v,
		       size_t n);
/* Caller frees with reg_values_free(*@v_ret, *@n_ret). */
void svc_int_mr_values(struct svc_mread *r, struct reg_value **v_ret,
		       size_t *n_ret);
/* A list of strings (subkey names; caller frees with reg_names_free). */
void svc_int_mw_names(struct svc_mwire *w, char *const *v, size_t n);
void svc_int_mr_names(struct svc_mread *r, char ***v_ret, size_t *n_ret);

#endif /* HVO_SERVICING_SERVICES_WIRE_H */

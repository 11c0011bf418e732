/*
 * services_undo.h - the undo data kept beside each in-guest record.
 *
 * The JSON record is for people and scripts (hvoffline writes JSON, it
 * never parses it).  What rollback needs back is kept beside it in a small
 * line format of our own, parsed strictly (fuzz/fuzz_undo.c):
 *
 *   hvoffline-undo 1
 *   command services
 *   time 2026-12-07T13:00:00Z
 *   value SYSTEM x<key> x<name> absent
 *   value SYSTEM x<key> x<name> <type> x<data>
 *   hive SYSTEM x<saved copy>
 *   after SYSTEM <SHA-256 of the hive as this change left it>
 *   file x<guest path> x<saved copy> <SHA-256 left by the change>
 *   dir x<guest path>
 *   sd x<guest path> <rule> <file|dir> x<data>
 *
 * one operation per line, in the order they were made; strings are hex
 * after an "x" (so that an empty name is "x" and no field holds a space).
 * A value line gives the value as it was before the change ("absent":
 * rollback deletes it); a hive line names a copy of the whole hive as it
 * was, kept in the guest beside the record (reg --image import and key
 * deletions, whose previous state is a whole subtree).  An sd line says by
 * which rule apply gave a file or directory its security descriptor
 * (apply_sd.c), so that `verify` can compute it again: "manifest" (data:
 * the manifest's SDDL), "previous" (data: the descriptor the file had,
 * self-relative), "inherited" or "store" (data empty).  Rollback ignores
 * sd lines: a restored file carries its own descriptor.
 */
#ifndef HVO_SERVICING_SERVICES_UNDO_H
#define HVO_SERVICING_SERVICES_UNDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "servicing/error.h"

#define SVC_UNDO_MAGIC "hvoffline-undo 1"
/* Limits: records hold a few values; the largest value is registry/'s. */
#define SVC_UNDO_MAX_OPS   100000
#define SVC_UNDO_MAX_BYTES (64u * 1024 * 1024)

enum svc_undo_kind {
	SVC_UNDO_VALUE = 0,
	SVC_UNDO_HIVE = 1,
	SVC_UNDO_AFTER = 2,
	SVC_UNDO_FILE = 3,
	SVC_UNDO_DIR = 4,
	SVC_UNDO_SD = 5,
};

/* The longest rule name of an sd line, with its NUL. */
#define SVC_UNDO_RULE_MAX 16

struct svc_undo_op {
	enum svc_undo_kind kind;
	char hive[16]; /* "SYSTEM", "SOFTWARE", "DEFAULT" */
	char *key;     /* VALUE: key below the hive root */
	char *name;    /* VALUE: "" for the default value */
	bool existed;  /* VALUE: false -> delete it on undo */
	uint32_t type;
	uint8_t *data;
	size_t len;
	char *saved;	    /* HIVE, FILE: guest path of the saved copy
			       (FILE: NULL when the file was new) */
	char *path;	    /* FILE, DIR: the guest path changed */
	bool has_sha256;    /* AFTER (always), FILE (when known) */
	uint8_t sha256[32]; /* what the change left */
	/* SD: the rule (path in @path, data in @data/@len), and whether
	 * the object is a directory. */
	char rule[SVC_UNDO_RULE_MAX];
	bool is_dir;
};

struct svc_undo {
	char command[32]; /* "services", "reg" */
	char time[32];
	size_t n;
	struct svc_undo_op *ops;
};

/* Appends an operation (copies its strings and data).  0 or -1 (out of
 * memory). */
int svc_undo_add_value(struct svc_undo *u, const char *hive, const char *key,
		       const char *name, bool existed, uint32_t type,
		       const void *data, size_t len);
int svc_undo_add_hive(struct svc_undo *u, const char *hive, const char *saved);
int svc_undo_add_after(struct svc_undo *u, const char *hive,
		       const uint8_t sha256[32]);
/* @saved NULL: the file was new; @sha256 NULL: unknown. */
int svc_undo_add_file(struct svc_undo *u, const char *path, const char *saved,
		      const uint8_t *sha256);
int svc_undo_add_dir(struct svc_undo *u, const char *path);
/* @rule: a lower-case word shorter than SVC_UNDO_RULE_MAX. */
int svc_undo_add_sd(struct svc_undo *u, const char *path, const char *rule,
		    bool is_dir, const void *data, size_t len);

/* The text form (caller frees), or NULL when out of memory. */
char *svc_undo_format(const struct svc_undo *u);

/* Parses @buf; SVC_OK, or SVC_ERR_CORRUPT with the message on @err (may
 * be NULL) naming the line and problem ("line 4: bad value line"); @u is
 * then empty. */
enum svc_err svc_undo_parse(const uint8_t *buf, size_t len, struct svc_undo *u,
			    struct svc_error *err);

void svc_undo_free(struct svc_undo *u);

#endif /* HVO_SERVICING_SERVICES_UNDO_H */

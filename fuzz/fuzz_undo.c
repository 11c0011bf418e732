/*
 * fuzz_undo.c - the undo-data parser (src/servicing/services_undo.c) on
 * arbitrary bytes.
 *
 * Invariants: a failure always says why and leaves no operations; what
 * parses formats back to text that parses to the same operations.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "servicing/services_undo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svc_undo u, v;
	struct svc_error err = { 0 };
	enum svc_err e = svc_undo_parse(data, size, &u, &err);
	if (e != SVC_OK) {
		if (e != SVC_ERR_CORRUPT || err.code != e || err.msg == NULL ||
		    err.msg[0] == '\0' || u.n != 0 || u.ops != NULL)
			abort();
		svc_int_error_clear(&err);
		return 0;
	}
	char *text = svc_undo_format(&u);
	if (text == NULL)
		abort();
	if (svc_undo_parse((const uint8_t *)text, strlen(text), &v, NULL) !=
		    SVC_OK ||
	    v.n != u.n)
		abort();
	for (size_t i = 0; i < u.n; i++) {
		const struct svc_undo_op *a = &u.ops[i], *b = &v.ops[i];
		if (a->kind != b->kind || strcmp(a->hive, b->hive) != 0 ||
		    a->existed != b->existed || a->len != b->len ||
		    a->has_sha256 != b->has_sha256 ||
		    (a->has_sha256 && memcmp(a->sha256, b->sha256, 32) != 0) ||
		    (a->path == NULL) != (b->path == NULL) ||
		    (a->path && strcmp(a->path, b->path) != 0) ||
		    (a->saved == NULL) != (b->saved == NULL) ||
		    (a->len && memcmp(a->data, b->data, a->len) != 0) ||
		    strcmp(a->rule, b->rule) != 0 || a->is_dir != b->is_dir)
			abort();
	}
	svc_undo_free(&v);
	svc_undo_free(&u);
	free(text);
	return 0;
}

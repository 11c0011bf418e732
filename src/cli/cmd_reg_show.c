/*
 * cmd_reg_show.c - how `hvoffline reg` shows values and hive checks, as
 * text and as JSON.  Rendering only: the values come decoded by
 * registry/ (reg_value_string() and friends).
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_reg.h"
#include "registry/reg.h"

static void hex_string(const struct reg_value *v, FILE *out, const char *sep)
{
	for (size_t i = 0; i < v->len; i++)
		fprintf(out, "%s%02x", i ? sep : "", v->data[i]);
}

void reg_cli_print_value(const struct reg_value *v)
{
	const char *tn = reg_type_name(v->type);
	char tbuf[32];
	if (tn == NULL) {
		snprintf(tbuf, sizeof(tbuf), "0x%x", v->type);
		tn = tbuf;
	}
	printf("    %s    %s    ", *v->name ? v->name : "(Default)", tn);
	char *s;
	char **strs;
	size_t n;
	uint32_t dw;
	uint64_t qw;
	if (reg_value_is_exact(v) && reg_value_string(v, &s) == 0) {
		fputs(s, stdout);
		free(s);
	} else if (reg_value_is_exact(v) &&
		   reg_value_multi(v, &strs, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s%s", i ? "\\0" : "", strs[i]);
		reg_names_free(strs, n);
	} else if (reg_value_dword(v, &dw) == 0) {
		printf("0x%" PRIx32, dw);
	} else if (reg_value_qword(v, &qw) == 0) {
		printf("0x%" PRIx64, qw);
	} else {
		hex_string(v, stdout, "");
	}
	putchar('\n');
}

void reg_cli_json_value(struct json_writer *w, const struct reg_value *v)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "name", v->name);
	hvo_int_json_kv_string(w, "type", reg_type_name(v->type));
	hvo_int_json_kv_uint(w, "type_number", v->type);
	hvo_int_json_kv_uint(w, "size", v->len);
	char *s;
	char **strs;
	size_t n;
	uint32_t dw;
	uint64_t qw;
	bool exact = reg_value_is_exact(v);
	if (exact && reg_value_string(v, &s) == 0) {
		hvo_int_json_kv_string(w, "data", s);
		free(s);
	} else if (exact && reg_value_multi(v, &strs, &n) == 0) {
		hvo_int_json_kv_strings(w, "data", strs, n);
		reg_names_free(strs, n);
	} else if (exact && reg_value_dword(v, &dw) == 0) {
		hvo_int_json_kv_uint(w, "data", dw);
	} else if (exact && reg_value_qword(v, &qw) == 0) {
		hvo_int_json_kv_uint(w, "data", qw);
	} else {
		/* Not representable exactly as text or a number: the bytes. */
		char *hex = malloc(v->len * 2 + 1);
		if (hex != NULL) {
			for (size_t i = 0; i < v->len; i++)
				snprintf(hex + 2 * i, 3, "%02x", v->data[i]);
			hex[2 * v->len] = '\0';
		}
		hvo_int_json_kv_string(w, "hex", hex ? hex : "");
		free(hex);
	}
	hvo_int_json_end_object(w);
}

/* ---- Whole keys as JSON ---- */

int reg_cli_json_key(struct json_export *je, const char *key, unsigned depth)
{
	if (depth > 512)
		return REG_ERR_CORRUPT;
	struct reg_value *vals;
	size_t nv;
	int rc = reg_list_values(je->h, key, &vals, &nv);
	if (rc)
		return rc;
	hvo_int_json_begin_object(je->w);
	hvo_int_json_kv_string(je->w, "key", key);
	hvo_int_json_key(je->w, "values");
	hvo_int_json_begin_array(je->w);
	for (size_t i = 0; i < nv; i++)
		reg_cli_json_value(je->w, &vals[i]);
	hvo_int_json_end_array(je->w);
	hvo_int_json_end_object(je->w);
	reg_values_free(vals, nv);
	char **kids;
	size_t nk;
	rc = reg_list_subkeys(je->h, key, &kids, &nk);
	for (size_t i = 0; i < nk && rc == 0; i++) {
		char *ck;
		if (asprintf(&ck, "%s%s%s", key, *key ? "\\" : "", kids[i]) < 0)
			rc = REG_ERR_NOMEM;
		else
			rc = reg_cli_json_key(je, ck, depth + 1);
		free(ck);
	}
	reg_names_free(kids, nk);
	return rc;
}

/* ---- reg check ---- */

/* Free space in whole percent of the hive bins (0 when not read). */
static unsigned free_percent(const struct reg_info *in)
{
	if (in->hbins_size == 0 || in->root_name == NULL)
		return 0;
	return (unsigned)(in->free_bytes * 100 / in->hbins_size);
}

enum hvo_exit reg_cli_show_check(struct cli_ctx *ctx, const char *path,
				 const struct reg_info *in, enum hvo_exit x)
{
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "hive", path);
		hvo_int_json_kv_string(&w, "state", reg_state_name(in->state));
		hvo_int_json_kv_bool(&w, "writable",
				     in->state == REG_STATE_CLEAN);
		hvo_int_json_kv_string(&w, "problem", in->problem);
		hvo_int_json_kv_uint(&w, "file_size", in->file_size);
		char ver[32];
		snprintf(ver, sizeof(ver), "%u.%u", in->major, in->minor);
		hvo_int_json_kv_string(&w, "version", ver);
		hvo_int_json_kv_uint(&w, "sequence1", in->seq1);
		hvo_int_json_kv_uint(&w, "sequence2", in->seq2);
		hvo_int_json_kv_bool(&w, "checksum_ok", in->checksum_ok);
		hvo_int_json_kv_uint(&w, "hbins_size", in->hbins_size);
		hvo_int_json_kv_string(&w, "root", in->root_name);
		hvo_int_json_kv_uint(&w, "keys", in->nkeys);
		hvo_int_json_kv_uint(&w, "values", in->nvalues);
		hvo_int_json_kv_uint(&w, "free_bytes", in->free_bytes);
		hvo_int_json_kv_uint(&w, "free_percent", free_percent(in));
		hvo_int_json_key(&w, "logs");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < in->nlogs; i++) {
			const struct reg_log_info *l = &in->logs[i];
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "path", l->path);
			hvo_int_json_kv_string(&w, "format",
					       reg_log_kind_name(l->kind));
			hvo_int_json_kv_uint(&w, "sequence", l->seq);
			hvo_int_json_kv_uint(&w, "entries", l->entries);
			hvo_int_json_kv_uint(&w, "first_sequence",
					     l->first_seq);
			hvo_int_json_kv_uint(&w, "last_sequence", l->last_seq);
			hvo_int_json_kv_uint(&w, "applied", l->applied);
			hvo_int_json_kv_string(&w, "problem", l->problem);
			hvo_int_json_end_object(&w);
		}
		hvo_int_json_end_array(&w);
		hvo_int_json_key(&w, "recovery");
		if (in->state == REG_STATE_DIRTY_RECOVERABLE) {
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "format",
					       in->recovery_new_format ? "new"
								       : "old");
			hvo_int_json_kv_uint(&w, "applied",
					     in->recovery_applied);
			hvo_int_json_kv_uint(&w, "last_sequence",
					     in->recovery_last_seq);
			hvo_int_json_kv_uint(&w, "result_sequence",
					     in->recovered_seq);
			hvo_int_json_end_object(&w);
		} else {
			hvo_int_json_null(&w);
		}
		hvo_int_json_end_object(&w);
		return cli_json_end(ctx, &w, x);
	}
	printf("hive:      %s\n", path);
	printf("state:     %s%s%s%s\n", reg_state_name(in->state),
	       in->problem ? " (" : "", in->problem ? in->problem : "",
	       in->problem ? ")" : "");
	printf("version:   %u.%u\n", in->major, in->minor);
	printf("sequence:  %u/%u\n", in->seq1, in->seq2);
	printf("checksum:  %s\n", in->checksum_ok ? "ok" : "wrong");
	if (in->root_name)
		printf("root:      %s\n", in->root_name);
	printf("keys:      %" PRIu64 "\nvalues:    %" PRIu64 "\n", in->nkeys,
	       in->nvalues);
	if (in->root_name)
		printf("free:      %" PRIu64
		       " bytes, %u%% of the hive bins%s\n",
		       in->free_bytes, free_percent(in),
		       free_percent(in) > REG_COMPACT_FREE_PERCENT &&
				       in->free_bytes > REG_COMPACT_MIN_FREE
			       ? " ('hvoffline reg compact' rewrites it "
				 "without)"
			       : "");
	for (size_t i = 0; i < in->nlogs; i++) {
		const struct reg_log_info *l = &in->logs[i];
		printf("log:       %s: %s", l->path,
		       reg_log_kind_name(l->kind));
		if (l->kind == REG_LOG_NEW)
			printf(", sequence %u, %u entries (%u..%u), %u applied",
			       l->seq, l->entries, l->first_seq, l->last_seq,
			       l->applied);
		else if (l->kind == REG_LOG_OLD)
			printf(", sequence %u, %u dirty pages, %u applied",
			       l->seq, l->entries, l->applied);
		if (l->problem)
			printf(" (%s)", l->problem);
		putchar('\n');
	}
	if (in->state == REG_STATE_DIRTY_RECOVERABLE)
		printf("recovery:  %u %s up to sequence %u; the result has "
		       "sequence %u\n",
		       in->recovery_applied,
		       in->recovery_new_format ? "log entries" : "dirty pages",
		       in->recovery_last_seq, in->recovered_seq);
	return x;
}

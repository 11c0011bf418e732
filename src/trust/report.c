/*
 * report.c - rendering a signature verdict, and the one-call check that
 * `cab test`, `package info` (and later `inspect`/`apply`) share.
 */
#include <config.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "trust/report.h"

bool trust_opts_add_root(struct trust_opts *o, const char *path)
{
	if (o->nroots == TRUST_MAX_EXTRA_ROOTS)
		return false;
	o->roots[o->nroots++] = path;
	return true;
}

bool trust_opts_parse(struct trust_opts *o, int c, const char *arg)
{
	if (c == TRUST_OPT_ALLOW_UNSIGNED) {
		o->allow_unsigned = true;
		return true;
	}
	/* More than TRUST_MAX_EXTRA_ROOTS: the caller's usage error. */
	return c == TRUST_OPT_TRUST && trust_opts_add_root(o, arg);
}

enum hvo_exit trust_check_cab(const struct trust_opts *o, const char *path,
			      struct trust_verdict **ret, char *msg,
			      size_t msgsize)
{
	return trust_check_cab_mem(o, NULL, 0, path, ret, msg, msgsize);
}

enum hvo_exit trust_check_cab_mem(const struct trust_opts *o,
				  const uint8_t *buf, size_t len,
				  const char *name, struct trust_verdict **ret,
				  char *msg, size_t msgsize)
{
	*ret = NULL;
	msg[0] = 0;
	struct trust *t;
	if (trust_new(&t) != TRUST_OK) {
		snprintf(msg, msgsize, "out of memory");
		return HVO_EXIT_FAILED;
	}
	int rc = trust_add_root_dir(t, o->dir ? o->dir : trust_default_dir());
	for (size_t i = 0; rc == TRUST_OK && i < o->nroots; i++)
		rc = trust_add_root_file(t, o->roots[i]);
	if (rc) {
		snprintf(msg, msgsize, "trust store: %s", trust_errmsg(t));
		trust_free(t);
		return HVO_EXIT_FAILED;
	}
	rc = buf != NULL ? trust_verify_cab_mem(t, buf, len, name, ret)
			 : trust_verify_cab_file(t, name, ret);
	if (rc)
		snprintf(msg, msgsize, "signature %s: %s",
			 trust_verdict_word(*ret), trust_errmsg(t));
	trust_free(t);
	return trust_exit_class(rc, o->allow_unsigned);
}

bool trust_verdict_waived(const struct trust_verdict *v,
			  const struct trust_opts *o)
{
	return v && v->status != TRUST_OK && o->allow_unsigned &&
	       trust_error_allowable(v->status);
}

static void fmt_time(time_t t, char *buf, size_t size)
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

static const char *ts_kind_name(enum trust_ts_kind k)
{
	switch (k) {
	case TRUST_TS_RFC3161:
		return "rfc3161";
	case TRUST_TS_AUTHENTICODE:
		return "authenticode";
	default:
		return "none";
	}
}

void trust_render_text(FILE *out, const char *indent,
		       const struct trust_verdict *v,
		       const struct trust_opts *o)
{
	if (v == NULL)
		return;
	char tb[32];
	fprintf(out, "%ssignature:  %s%s\n", indent, trust_verdict_word(v),
		trust_verdict_waived(v, o) ? " (ACCEPTED by --allow-unsigned)"
					   : "");
	if (v->status != TRUST_OK && v->message)
		fprintf(out, "%s  reason:   %s\n", indent, v->message);
	if (v->signer)
		fprintf(out, "%ssigner:     %s\n", indent, v->signer);
	if (v->digest_algorithm)
		fprintf(out, "%sdigest:     %s %s%s\n", indent,
			v->digest_algorithm,
			v->digest_computed ? v->digest_computed : "-",
			v->status == TRUST_ERR_DIGEST ? " (mismatch)" : "");
	for (size_t i = 0; i < v->nchain; i++)
		fprintf(out, "%s%s %s%s\n", indent,
			i == 0 ? "chain:     " : "           ", v->chain[i].cn,
			i + 1 == v->nchain && v->chain_complete
				? " (trusted root)"
				: "");
	if (v->ts_kind == TRUST_TS_NONE) {
		if (v->status == TRUST_OK || v->nchain)
			fprintf(out, "%stimestamp:  none\n", indent);
	} else {
		fmt_time(v->ts_time, tb, sizeof(tb));
		fprintf(out, "%stimestamp:  %s %s by %s, %s\n", indent,
			ts_kind_name(v->ts_kind), v->ts_time ? tb : "-",
			v->ts_signer ? v->ts_signer : "?",
			v->ts_verified ? "verified" : "NOT verified");
	}
	if (v->nchain && v->status == TRUST_OK) {
		fmt_time(v->judged_at, tb, sizeof(tb));
		fprintf(out, "%sjudged at:  %s\n", indent, tb);
	}
}

static void json_chain(struct json_writer *w, const char *key,
		       const struct trust_cert *c, size_t n)
{
	char a[32], b[32];
	hvo_int_json_key(w, key);
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < n; i++) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "subject", c[i].subject);
		hvo_int_json_kv_string(w, "cn", c[i].cn);
		hvo_int_json_kv_string(w, "issuer", c[i].issuer);
		hvo_int_json_kv_string(w, "serial", c[i].serial);
		hvo_int_json_kv_string(w, "sha256", c[i].sha256);
		fmt_time(c[i].not_before, a, sizeof(a));
		fmt_time(c[i].not_after, b, sizeof(b));
		hvo_int_json_kv_string(w, "not_before", a);
		hvo_int_json_kv_string(w, "not_after", b);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

void trust_render_json(struct json_writer *w, const struct trust_verdict *v,
		       const struct trust_opts *o)
{
	char tb[32];
	hvo_int_json_key(w, "signature");
	if (v == NULL) {
		hvo_int_json_null(w);
		return;
	}
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "verdict", trust_verdict_word(v));
	hvo_int_json_kv_string(w, "result", trust_error_name(v->status));
	hvo_int_json_kv_bool(w, "accepted",
			     v->status == TRUST_OK ||
				     trust_verdict_waived(v, o));
	hvo_int_json_kv_bool(w, "allow_unsigned", o->allow_unsigned);
	hvo_int_json_kv_string(w, "error", v->message);
	hvo_int_json_kv_string(w, "signer", v->signer);
	hvo_int_json_key(w, "digest");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "algorithm", v->digest_algorithm);
	hvo_int_json_kv_string(w, "signed", v->digest_signed);
	hvo_int_json_kv_string(w, "computed", v->digest_computed);
	hvo_int_json_kv_bool(
		w, "match",
		v->digest_signed && v->digest_computed &&
			strcmp(v->digest_signed, v->digest_computed) == 0);
	hvo_int_json_end_object(w);
	json_chain(w, "chain", v->chain, v->nchain);
	hvo_int_json_kv_bool(w, "chain_trusted",
			     v->chain_complete && v->status == TRUST_OK);
	hvo_int_json_kv_string(w, "root",
			       v->chain_complete && v->nchain
				       ? v->chain[v->nchain - 1].cn
				       : NULL);
	hvo_int_json_key(w, "timestamp");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "kind", ts_kind_name(v->ts_kind));
	hvo_int_json_kv_bool(w, "verified", v->ts_verified);
	if (v->ts_time) {
		fmt_time(v->ts_time, tb, sizeof(tb));
		hvo_int_json_kv_string(w, "time", tb);
	} else {
		hvo_int_json_kv_string(w, "time", NULL);
	}
	hvo_int_json_kv_string(w, "signer", v->ts_signer);
	json_chain(w, "chain", v->ts_chain, v->nts_chain);
	hvo_int_json_end_object(w);
	if (v->judged_at) {
		fmt_time(v->judged_at, tb, sizeof(tb));
		hvo_int_json_kv_string(w, "judged_at", tb);
	} else {
		hvo_int_json_kv_string(w, "judged_at", NULL);
	}
	hvo_int_json_end_object(w);
}

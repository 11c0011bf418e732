/*
 * verify.c - re-reading every planned item from a guest (SERVICING.md
 * section 3, step 9; `hvoffline verify`).
 *
 * Files are compared by SHA-256 with what the package gives (or, for the
 * few files no manifest describes, with the cabinet's own bytes); registry
 * operations by reading the hive back through registry/ from a copy: a
 * value's type and data, a key's existence, an entry of a list.  The
 * record of a run is named after its time and is not part of the check;
 * the first-boot step's own items (its script, Winlogon's hook) are gone
 * by design once it has run, which its log tells.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/reg.h"
#include "servicing/apply.h"
#include "servicing/apply_int.h"
#include "util/sha256.h"

static void sha_text(const uint8_t *sha, char *out)
{
	memcpy(out, "sha256 ", 7);
	hvo_int_sha256_hex(sha, out + 7);
}

/* Reads the first-boot log: whether the step ran, and its last line. */
static void read_firstboot(struct guest_fs *fs, const struct svc_plan *p,
			   struct svc_verify_result *res)
{
	uint8_t *buf;
	size_t len;
	if (p->firstboot_log == NULL ||
	    guest_fs_read(fs, p->firstboot_log, 1u << 20, &buf, &len) !=
		    GUEST_OK)
		return;
	char *s = (char *)buf;
	char *last = NULL;
	for (char *line = strtok(s, "\r\n"); line; line = strtok(NULL, "\r\n"))
		if (strstr(line, " done: ") != NULL)
			last = line;
	if (last != NULL) {
		res->firstboot_done = true;
		snprintf(res->firstboot_status, sizeof(res->firstboot_status),
			 "%s", last);
	}
	free(buf);
}

/* With progress asked for, the hashing goes in about this many batches:
 * a count between them, and few extra round trips on the appliance. */
#define HASH_BATCHES 16

/* The SHA-256 of every planned file, in batches, counted as it goes.  */
static bool hash_all(struct guest_fs *fs, const struct svc_plan *p,
		     const struct svc_verify_opts *o, const char **dests,
		     struct guest_digest *got_all)
{
	size_t n = p->nfiles;
	size_t step = n;
	if (o->count != NULL && n > HASH_BATCHES)
		step = (n + HASH_BATCHES - 1) / HASH_BATCHES;
	if (o->count != NULL)
		o->count(o->count_ctx, "hashing files", 0, n, false);
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		if (guest_fs_sha256_many(fs, dests + i, k, got_all + i) !=
		    GUEST_OK)
			return false;
		if (o->count != NULL)
			o->count(o->count_ctx, "hashing files", i + k, n,
				 false);
	}
	return true;
}

static void check_files(struct guest_fs *fs, const struct svc_plan *p,
			const struct svc_verify_opts *o, char **host,
			struct svc_verify_result *res)
{
	/* All at once where the backend can; one by one (so that each
	 * problem is reported with its file) where that fails. */
	const char **dests = calloc(p->nfiles ? p->nfiles : 1, sizeof(*dests));
	struct guest_digest *got_all =
		calloc(p->nfiles ? p->nfiles : 1, sizeof(*got_all));
	bool batch = dests != NULL && got_all != NULL;
	for (size_t i = 0; batch && i < p->nfiles; i++)
		dests[i] = p->files[i].dest;
	if (batch)
		batch = hash_all(fs, p, o, dests, got_all);
	free(dests);
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct svc_plan_file *f = &p->files[i];
		if (f->source == SVC_SRC_RECORD)
			continue;
		if (f->role == SVC_ROLE_FIRSTBOOT && res->firstboot_done)
			continue;
		char what[600], expected[80], found[80];
		snprintf(what, sizeof(what), "file %s", f->dest);
		uint8_t want[32], got[32];
		bool have_want = f->has_sha256;
		uint64_t size = 0;
		if (have_want)
			memcpy(want, f->sha256, 32);
		else if (host != NULL && host[i] != NULL)
			have_want =
				hvo_int_sha256_file(host[i], want, &size) == 0;
		bool exists = batch && got_all[i].exists;
		int e = GUEST_OK;
		if (batch)
			memcpy(got, got_all[i].sha256, 32);
		else
			e = svc_int_guest_sha256(fs, f->dest, &exists, got,
						 &size);
		res->nchecked++;
		if (e != GUEST_OK) {
			svc_int_verify_diff(res, what, "readable", "%s",
					    guest_fs_errmsg(fs)[0]
						    ? guest_fs_errmsg(fs)
						    : guest_strerror(e));
			continue;
		}
		if (!exists) {
			svc_int_verify_diff(res, what, "present", "absent");
			continue;
		}
		if (!have_want || f->source == SVC_SRC_GUEST_FILE)
			continue;
		if (memcmp(want, got, 32) != 0) {
			sha_text(want, expected);
			sha_text(got, found);
			svc_int_verify_diff(res, what, expected, "%s", found);
		}
	}
	free(got_all);
}

/* A value as text for a difference ("REG_DWORD 0x0", "absent"). */
static char *value_text(const struct reg_value *v)
{
	char *s = NULL;
	const char *tn = reg_type_name(v->type);
	uint32_t d;
	char *str;
	if (v->type == REG_TYPE_DWORD && reg_value_dword(v, &d) == REG_OK) {
		if (asprintf(&s, "%s 0x%x", tn, d) < 0)
			s = NULL;
	} else if ((v->type == REG_TYPE_SZ || v->type == REG_TYPE_EXPAND_SZ) &&
		   reg_value_string(v, &str) == REG_OK) {
		if (asprintf(&s, "%s \"%s\"", tn, str) < 0)
			s = NULL;
		free(str);
	} else if (asprintf(&s, "%s (%zu bytes)", tn ? tn : "REG_?", v->len) <
		   0) {
		s = NULL;
	}
	return s;
}

static void check_reg_item(struct reg_hive *h, const struct svc_plan_reg *r,
			   const char *what, struct svc_verify_result *res);

/* One registry operation of the plan, as the hive has it. */
static void check_reg(struct reg_hive *h, const struct svc_plan_reg *r,
		      struct svc_verify_result *res)
{
	char *desc = svc_plan_reg_describe(r);
	char *what;
	if (asprintf(&what, "registry %s", desc ? desc : r->key) < 0)
		what = NULL;
	free(desc);
	res->nchecked++;
	if (what != NULL)
		check_reg_item(h, r, what, res);
	free(what);
}

static void check_reg_item(struct reg_hive *h, const struct svc_plan_reg *r,
			   const char *what, struct svc_verify_result *res)
{
	if (r->kind == SVC_REG_KEY) {
		bool ex = false;
		if (reg_key_exists(h, r->key, &ex) != REG_OK || !ex)
			svc_int_verify_diff(res, what, "key present", "absent");
		return;
	}
	struct reg_value *v = NULL;
	int e = reg_get_value(h, r->key, r->name, &v);
	if (e != REG_OK && e != REG_ERR_NOT_FOUND) {
		svc_int_verify_diff(res, what, "readable", "%s", reg_errmsg(h));
		return;
	}
	switch (r->kind) {
	case SVC_REG_SET:
		if (v == NULL) {
			if (!r->only_existing)
				svc_int_verify_diff(res, what, "present",
						    "absent");
		} else if (!r->noclobber &&
			   (v->type != r->type || v->len != r->len ||
			    memcmp(v->data, r->data, r->len) != 0)) {
			char *t = value_text(v);
			svc_int_verify_diff(res, what, "as planned", "%s",
					    t ? t : "differs");
			free(t);
		}
		break;
	case SVC_REG_MULTI_ADD: {
		char **list = NULL;
		size_t n = 0;
		bool ok = false;
		if (v != NULL && v->type == REG_TYPE_MULTI_SZ &&
		    reg_value_multi(v, &list, &n) == REG_OK)
			for (size_t i = 0; i < n && !ok; i++)
				ok = strcasecmp(list[i], r->text) == 0;
		reg_names_free(list, n);
		if (!ok)
			svc_int_verify_diff(res, what, "listed", "%s",
					    v ? "not in the list" : "absent");
		break;
	}
	case SVC_REG_PATH_ADD: {
		char *s = NULL;
		if (v != NULL && reg_value_string(v, &s) != REG_OK)
			s = NULL;
		if (s == NULL || !svc_int_path_has(s, r->text))
			svc_int_verify_diff(res, what, "listed", "%s",
					    s ? s : "absent");
		free(s);
		break;
	}
	case SVC_REG_DELETE:
		if (v != NULL)
			svc_int_verify_diff(res, what, "absent", "present");
		break;
	default:
		break;
	}
	reg_value_free(v);
}

static void check_hive(struct guest_fs *fs, const struct svc_plan *p,
		       enum svc_hive which, const char *tmpdir,
		       struct svc_verify_result *res)
{
	const char *name = svc_hive_name(which);
	char *guest = NULL, *dir = NULL, *host = NULL;
	if (asprintf(&guest, "%s\\System32\\config\\%s", p->systemroot, name) <
		    0 ||
	    asprintf(&dir, "%s/verify-%s", tmpdir, name) < 0 ||
	    asprintf(&host, "%s/%s", dir, name) < 0) {
		svc_int_verify_diff(res, guest ? guest : name, "readable",
				    "out of memory");
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		svc_int_verify_diff(res, guest, "readable", "%s: %s", dir,
				    strerror(errno));
		goto out;
	}
	unlink(host);
	if (guest_fs_copy_out(fs, guest, host) != GUEST_OK) {
		svc_int_verify_diff(res, guest, "readable", "%s",
				    guest_fs_errmsg(fs));
		goto out;
	}
	/* With its logs, read-only: what Windows would load (a dirty hive
	 * is read as its logs recover it; a hive we wrote is clean). */
	for (int i = 0; i < 3; i++) {
		char *g = NULL, *hl = NULL;
		if (asprintf(&g, "%s%s", guest, svc_int_log_suffix[i]) >= 0 &&
		    asprintf(&hl, "%s%s", host, svc_int_log_suffix[i]) >= 0) {
			unlink(hl);
			struct guest_stat st;
			if (guest_fs_stat(fs, g, &st) == GUEST_OK &&
			    st.type == GUEST_FT_FILE)
				guest_fs_copy_out(fs, g, hl);
		}
		free(g);
		free(hl);
	}
	struct reg_hive *h;
	int e = reg_open(host, NULL, &h);
	if (e != REG_OK) {
		svc_int_verify_diff(res, guest, "a readable hive", "%s: %s",
				    reg_strerror(e), h ? reg_errmsg(h) : "");
		reg_close(h);
		goto out;
	}
	for (size_t i = 0; i < p->nregs; i++) {
		const struct svc_plan_reg *r = &p->regs[i];
		if (r->hive != which || (r->firstboot && res->firstboot_done))
			continue;
		check_reg(h, r, res);
	}
	reg_close(h);
	unlink(host);
out:
	free(guest);
	free(dir);
	free(host);
}

enum svc_err svc_verify(struct guest_fs *fs, const struct svc_plan *p,
			const struct svc_verify_opts *opts,
			struct svc_verify_result *res)
{
	memset(res, 0, sizeof(*res));
	if (p->firstboot != SVC_FIRSTBOOT_NONE)
		read_firstboot(fs, p, res);
	/* Files without a digest in the plan are compared with the
	 * cabinet's bytes. */
	bool need_cab = false;
	for (size_t i = 0; i < p->nfiles; i++)
		need_cab |= p->files[i].source == SVC_SRC_CAB_ENTRY &&
			    !p->files[i].has_sha256;
	char **host = NULL;
	if (need_cab && opts->pkg != NULL) {
		char dir[1100];
		struct svc_error err = { 0 };
		snprintf(dir, sizeof(dir), "%s/verify-package", opts->tmpdir);
		if ((mkdir(dir, 0700) == 0 || errno == EEXIST) &&
		    svc_int_extract(p, opts->pkg, dir, &host, &err) != SVC_OK)
			svc_int_verify_diff(res, opts->pkg->source, "readable",
					    "%s", svc_int_errtext(&err));
		svc_int_error_clear(&err);
	}
	check_files(fs, p, opts, host, res);
	for (size_t i = 0; host && i < p->nfiles; i++)
		free(host[i]);
	free(host);
	for (int hv = 0; hv < SVC_NHIVES; hv++) {
		bool need = false;
		for (size_t i = 0; i < p->nregs && !need; i++)
			need = p->regs[i].hive == (enum svc_hive)hv;
		if (need)
			check_hive(fs, p, (enum svc_hive)hv, opts->tmpdir, res);
	}
	svc_int_sd_verify(fs, p, opts, res);
	return SVC_OK;
}

void svc_verify_result_free(struct svc_verify_result *res)
{
	for (size_t i = 0; i < res->ndiffs; i++) {
		free(res->diffs[i].what);
		free(res->diffs[i].expected);
		free(res->diffs[i].found);
	}
	free(res->diffs);
	res->diffs = NULL;
	res->ndiffs = 0;
}

void svc_verify_result_json(const struct svc_verify_result *res,
			    struct json_writer *w)
{
	hvo_int_json_kv_uint(w, "checked", res->nchecked);
	hvo_int_json_kv_bool(w, "clean", res->ndiffs == 0);
	hvo_int_json_key(w, "differences");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < res->ndiffs; i++) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "what", res->diffs[i].what);
		hvo_int_json_kv_string(w, "expected", res->diffs[i].expected);
		hvo_int_json_kv_string(w, "found", res->diffs[i].found);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "firstboot");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_bool(w, "ran", res->firstboot_done);
	hvo_int_json_kv_string(w, "status",
			       res->firstboot_done ? res->firstboot_status
						   : NULL);
	hvo_int_json_end_object(w);
}

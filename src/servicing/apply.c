/*
 * apply.c - carrying out a plan (see apply.h for the three phases and why
 * they make a failure leave the guest as it was).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "cab/cab.h"
#include "registry/reg.h"
#include "servicing/apply.h"
#include "servicing/apply_int.h"
#include "util/sha256.h"

/* ------------------------------------------------------------------ */
/* Small helpers.                                                      */
/* ------------------------------------------------------------------ */

static enum svc_err fail(struct svc_apply_result *res, enum svc_err code,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum svc_err fail(struct svc_apply_result *res, enum svc_err code,
			 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	svc_int_vfail(&res->error, code, fmt, ap);
	va_end(ap);
	return code;
}

/* The servicing error of a guest-layer failure. */
static enum svc_err gerr(int e)
{
	return svc_int_err_of_exit(guest_exit_class(e), SVC_ERR_GUEST);
}

/* The servicing error of a registry failure. */
static enum svc_err rerr(int e)
{
	return svc_int_err_of_exit(reg_exit_class(e), SVC_ERR_IO);
}

const char *svc_apply_errmsg(const struct svc_apply_result *res)
{
	return res->error.code == SVC_OK ? "" : svc_int_errtext(&res->error);
}

static void progress(const struct svc_apply_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void progress(const struct svc_apply_opts *o, const char *fmt, ...)
{
	if (o->progress == NULL)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->progress(o->progress_ctx, msg);
}

static void warn(struct svc_apply_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(struct svc_apply_result *res, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	char **v = realloc(res->warnings,
			   (res->nwarnings + 1) * sizeof(*res->warnings));
	if (v == NULL) {
		free(s);
		return;
	}
	res->warnings = v;
	res->warnings[res->nwarnings++] = s;
}

char *svc_int_sibling(const char *path, const char *suffix)
{
	const char *slash = strrchr(path, '\\');
	char *s;
	int r = slash ? asprintf(&s, "%.*s\\.%s.%s", (int)(slash - path), path,
				 slash + 1, suffix)
		      : asprintf(&s, ".%s.%s", path, suffix);
	return r < 0 ? NULL : s;
}

int svc_int_guest_sha256(struct guest_fs *fs, const char *path, bool *exists,
			 uint8_t sha[32], uint64_t *size)
{
	struct guest_stat st;
	int e = guest_fs_stat(fs, path, &st);
	*exists = false;
	if (e == GUEST_E_NOENT)
		return GUEST_OK;
	if (e != GUEST_OK)
		return e;
	if (st.type != GUEST_FT_FILE)
		return GUEST_E_ISDIR;
	e = guest_fs_sha256(fs, path, sha, size);
	if (e != GUEST_OK)
		return e;
	*exists = true;
	return GUEST_OK;
}

/* ------------------------------------------------------------------ */
/* The package's files, on the host.                                   */
/* ------------------------------------------------------------------ */

enum svc_err svc_int_extract(const struct svc_plan *plan, const char *cab_path,
			     const char *dir, char ***host_ret,
			     struct svc_error *err)
{
	char **host = calloc(plan->nfiles ? plan->nfiles : 1, sizeof(*host));
	size_t *idx = calloc(plan->nfiles ? plan->nfiles : 1, sizeof(*idx));
	size_t nidx = 0;
	struct cab *cab = NULL;
	enum svc_err rc = SVC_ERR_NOMEM;
	*host_ret = host;
	if (host == NULL || idx == NULL) {
		rc = svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	int e = cab_open(cab_path, 0, &cab);
	if (e != 0) {
		rc = svc_int_fail(
			err, svc_int_err_of_exit(cab_exit_class(e), SVC_ERR_IO),
			"%s: %s", cab_path,
			cab ? cab_errmsg(cab) : cab_strerror(e));
		goto out;
	}
	for (size_t i = 0; i < plan->nfiles; i++) {
		const struct svc_plan_file *f = &plan->files[i];
		if (f->source != SVC_SRC_CAB_ENTRY)
			continue;
		size_t k;
		if (cab_find(cab, f->cab_entry, &k) != 0) {
			rc = svc_int_fail(err, SVC_ERR_CORRUPT,
					  "%s: no entry %s", cab_path,
					  f->cab_entry);
			goto out;
		}
		char *rel;
		const char *why;
		if (cab_safe_path(cab_entry_get(cab, k), &rel, &why) != 0) {
			rc = svc_int_fail(err, SVC_ERR_CORRUPT,
					  "%s: entry %s: %s", cab_path,
					  f->cab_entry, why);
			goto out;
		}
		if (asprintf(&host[i], "%s/%s", dir, rel) < 0) {
			host[i] = NULL;
			free(rel);
			rc = svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
			goto out;
		}
		free(rel);
		bool seen = false;
		for (size_t j = 0; j < nidx && !seen; j++)
			seen = idx[j] == k;
		if (!seen)
			idx[nidx++] = k;
	}
	struct cab_extract_opts xo = {
		.overwrite = true,
		.keep_mtime_now = true,
		.indices = idx,
		.nindices = nidx,
	};
	if (nidx > 0 && (e = cab_extract(cab, dir, &xo, NULL)) != 0) {
		rc = svc_int_fail(
			err, svc_int_err_of_exit(cab_exit_class(e), SVC_ERR_IO),
			"%s: %s", cab_path, cab_errmsg(cab));
		goto out;
	}
	rc = SVC_OK;
out:
	cab_close(cab);
	free(idx);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Hives.                                                              */
/* ------------------------------------------------------------------ */

struct hive_work {
	bool used;
	char guest[256];     /* Windows\System32\config\SYSTEM */
	char host_dir[1100]; /* copies of the hive and its logs */
	char host[1200];     /* the copy of the hive */
	char host_new[1200]; /* the edited hive */
	bool log_present[3]; /* .LOG, .LOG1, .LOG2 */
	struct reg_hive *h;
	size_t changes;
};

static const char *const log_suffix[3] = { ".LOG", ".LOG1", ".LOG2" };

/* Copies the hive and its logs out and opens it for editing, recovered
 * when dirty with usable logs. */
static enum svc_err hive_open(struct guest_fs *fs, const struct svc_plan *p,
			      enum svc_hive which, const char *tmpdir,
			      struct hive_work *hw,
			      struct svc_apply_result *res)
{
	const char *name = svc_hive_name(which);
	snprintf(hw->guest, sizeof(hw->guest), "%s\\System32\\config\\%s",
		 p->systemroot, name);
	snprintf(hw->host_dir, sizeof(hw->host_dir), "%s/hive-%s", tmpdir,
		 name);
	if (mkdir(hw->host_dir, 0700) != 0 && errno != EEXIST)
		return fail(res, SVC_ERR_GUEST, "%s: %s", hw->host_dir,
			    strerror(errno));
	snprintf(hw->host, sizeof(hw->host), "%s/%s", hw->host_dir, name);
	snprintf(hw->host_new, sizeof(hw->host_new), "%s/%s.new", hw->host_dir,
		 name);
	if (guest_fs_copy_out(fs, hw->guest, hw->host) != GUEST_OK)
		return fail(res, gerr(GUEST_E_IO), "%s: %s", hw->guest,
			    guest_fs_errmsg(fs));
	for (int i = 0; i < 3; i++) {
		char g[300], h[1300];
		snprintf(g, sizeof(g), "%s%s", hw->guest, log_suffix[i]);
		snprintf(h, sizeof(h), "%s%s", hw->host, log_suffix[i]);
		struct guest_stat st;
		if (guest_fs_stat(fs, g, &st) != GUEST_OK ||
		    st.type != GUEST_FT_FILE)
			continue;
		if (guest_fs_copy_out(fs, g, h) != GUEST_OK)
			return fail(res, SVC_ERR_GUEST, "%s: %s", g,
				    guest_fs_errmsg(fs));
		hw->log_present[i] = true;
	}
	struct reg_open_opts ro = { .flags =
					    REG_OPEN_WRITE | REG_OPEN_RECOVER };
	int e = reg_open(hw->host, &ro, &hw->h);
	if (e != REG_OK) {
		const char *why = hw->h ? reg_errmsg(hw->h) : "";
		return fail(res, rerr(e), "%s: %s%s%s", hw->guest,
			    reg_strerror(e), why[0] ? ": " : "", why);
	}
	const struct reg_info *in = reg_get_info(hw->h);
	res->hive_recovered[which] = in->state == REG_STATE_DIRTY_RECOVERABLE;
	hw->used = true;
	return SVC_OK;
}

static bool list_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return true;
	return false;
}

/* Whether a ';'-separated path list holds @entry (ignoring case). */
bool svc_int_path_has(const char *list, const char *entry)
{
	size_t n = strlen(entry);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ';');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && (*p == ' ')) {
			p++;
			len--;
		}
		while (len && p[len - 1] == ' ')
			len--;
		if (len == n && strncasecmp(p, entry, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* Default DevicePath of every Windows since NT 5. */
#define DEFAULT_DEVICE_PATH "%SystemRoot%\\inf"

static int set_multi_list(struct reg_hive *h, const struct svc_plan_reg *r,
			  const struct reg_value *prev)
{
	char **v = NULL;
	size_t n = 0;
	if (prev != NULL && prev->type == REG_TYPE_MULTI_SZ) {
		if (reg_value_multi(prev, &v, &n) != REG_OK)
			n = 0;
	} else if (prev != NULL && (prev->type == REG_TYPE_SZ ||
				    prev->type == REG_TYPE_EXPAND_SZ)) {
		char *s;
		if (reg_value_string(prev, &s) == REG_OK && s[0]) {
			v = malloc(sizeof(*v));
			if (v != NULL) {
				v[0] = s;
				n = 1;
			} else {
				free(s);
			}
		} else if (s != NULL) {
			free(s);
		}
	}
	const char **all = calloc(n + 1, sizeof(*all));
	if (all == NULL) {
		reg_names_free(v, n);
		return REG_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		all[i] = v[i];
	all[n] = r->text;
	int e = reg_set_multi(h, r->key, r->name, all, n + 1);
	free(all);
	reg_names_free(v, n);
	return e;
}

/*
 * Reads the previous state for one operation and carries it out on the
 * in-memory hive.  Returns 0 or a reg_error.
 */
static int reg_op(struct reg_hive *h, const struct svc_plan_reg *r,
		  struct svc_reg_change *c)
{
	c->reg = r;
	if (r->kind == SVC_REG_KEY) {
		bool ex;
		int e = reg_key_exists(h, r->key, &ex);
		if (e)
			return e;
		c->existed = ex;
		if (ex) {
			c->skip = "exists";
			return REG_OK;
		}
		c->changed = true;
		return reg_create_key(h, r->key);
	}
	struct reg_value *prev = NULL;
	int e = reg_get_value(h, r->key, r->name, &prev);
	if (e != REG_OK && e != REG_ERR_NOT_FOUND)
		return e;
	if (prev != NULL) {
		c->existed = true;
		c->prev_type = prev->type;
		c->prev_len = prev->len;
		c->prev_data = malloc(prev->len ? prev->len : 1);
		if (c->prev_data == NULL) {
			reg_value_free(prev);
			return REG_ERR_NOMEM;
		}
		memcpy(c->prev_data, prev->data, prev->len);
	}
	e = REG_OK;
	switch (r->kind) {
	case SVC_REG_SET:
		if (prev != NULL && r->noclobber) {
			c->skip = "exists (not replaced)";
		} else if (prev == NULL && r->only_existing) {
			c->skip = "absent (only replaced)";
		} else if (prev != NULL && prev->type == r->type &&
			   prev->len == r->len &&
			   memcmp(prev->data, r->data, r->len) == 0) {
			c->skip = "unchanged";
		} else {
			c->changed = true;
			e = reg_set_value(h, r->key, r->name, r->type, r->data,
					  r->len);
		}
		break;
	case SVC_REG_MULTI_ADD: {
		char **v = NULL;
		size_t n = 0;
		if (prev != NULL && prev->type == REG_TYPE_MULTI_SZ &&
		    reg_value_multi(prev, &v, &n) == REG_OK &&
		    list_has(v, n, r->text)) {
			c->skip = "already listed";
		} else {
			c->changed = true;
			e = set_multi_list(h, r, prev);
		}
		reg_names_free(v, n);
		break;
	}
	case SVC_REG_PATH_ADD: {
		char *s = NULL;
		if (prev != NULL && reg_value_string(prev, &s) != REG_OK)
			s = NULL;
		if (s != NULL && svc_int_path_has(s, r->text)) {
			c->skip = "already listed";
		} else {
			const char *base = s && s[0] ? s : DEFAULT_DEVICE_PATH;
			size_t bl = strlen(base);
			char *nv;
			if (asprintf(&nv, "%s%s%s", base,
				     bl && base[bl - 1] == ';' ? "" : ";",
				     r->text) < 0) {
				free(s);
				reg_value_free(prev);
				return REG_ERR_NOMEM;
			}
			uint32_t type =
				prev && (prev->type == REG_TYPE_SZ ||
					 prev->type == REG_TYPE_EXPAND_SZ)
					? prev->type
					: r->type;
			c->changed = true;
			e = reg_set_string(h, r->key, r->name, type, nv);
			free(nv);
		}
		free(s);
		break;
	}
	case SVC_REG_DELETE:
		if (prev == NULL) {
			c->skip = "absent";
		} else {
			c->changed = true;
			e = reg_delete_value(h, r->key, r->name);
		}
		break;
	default:
		break;
	}
	reg_value_free(prev);
	return e;
}

/* ------------------------------------------------------------------ */
/* The record.                                                         */
/* ------------------------------------------------------------------ */

static void json_hex(struct json_writer *w, const uint8_t *d, size_t len)
{
	char *s = malloc(len * 2 + 1);
	if (s == NULL) {
		hvo_int_json_null(w);
		return;
	}
	for (size_t i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", d[i]);
	s[2 * len] = '\0';
	hvo_int_json_string(w, s);
	free(s);
}

static void json_sha(struct json_writer *w, const char *key, const uint8_t *sha)
{
	char hex[HVO_SHA256_HEX_LEN + 1];
	hvo_int_json_key(w, key);
	if (sha == NULL) {
		hvo_int_json_null(w);
		return;
	}
	hvo_int_sha256_hex(sha, hex);
	hvo_int_json_string(w, hex);
}

/* The changes as JSON members (shared by the record and --json). */
static void changes_json(const struct svc_apply_result *res,
			 struct json_writer *w, bool all)
{
	hvo_int_json_key(w, "files");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < res->nfiles; i++) {
		const struct svc_file_change *c = &res->files[i];
		const struct svc_plan_file *f = c->file;
		if (!all && !c->written)
			continue;
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "path", f->dest);
		hvo_int_json_kv_string(w, "action",
				       !c->written  ? "unchanged"
				       : c->existed ? "replaced"
						    : "created");
		json_sha(w, "sha256", f->has_sha256 ? f->sha256 : NULL);
		json_sha(w, "previous_sha256",
			 c->existed ? c->prev_sha256 : NULL);
		if (c->existed)
			hvo_int_json_kv_uint(w, "previous_size", c->prev_size);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "registry");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < res->nregs; i++) {
		const struct svc_reg_change *c = &res->regs[i];
		const struct svc_plan_reg *r = c->reg;
		if (r == NULL || (!all && !c->changed))
			continue;
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "hive", svc_hive_name(r->hive));
		hvo_int_json_kv_string(w, "key", r->key);
		if (r->kind != SVC_REG_KEY)
			hvo_int_json_kv_string(w, "name", r->name);
		hvo_int_json_kv_string(w, "op", svc_reg_kind_name(r->kind));
		hvo_int_json_kv_string(w, "action",
				       c->changed ? "changed" : c->skip);
		if (r->kind == SVC_REG_SET) {
			hvo_int_json_kv_string(w, "type",
					       reg_type_name(r->type));
			hvo_int_json_key(w, "data");
			json_hex(w, r->data, r->len);
		} else if (r->kind != SVC_REG_KEY &&
			   r->kind != SVC_REG_DELETE) {
			hvo_int_json_kv_string(w, "entry", r->text);
		}
		hvo_int_json_key(w, "previous");
		if (c->existed && r->kind != SVC_REG_KEY) {
			hvo_int_json_begin_object(w);
			hvo_int_json_kv_string(w, "type",
					       reg_type_name(c->prev_type));
			hvo_int_json_key(w, "data");
			json_hex(w, c->prev_data, c->prev_len);
			hvo_int_json_end_object(w);
		} else {
			hvo_int_json_bool(w, c->existed);
		}
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

static char *make_record(const struct svc_plan *p,
			 const struct svc_apply_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m == NULL)
		return NULL;
	struct json_writer w;
	hvo_int_json_init(&w, m, true);
	hvo_int_json_begin_object(&w);
	hvo_int_json_kv_string(&w, "tool", "hvoffline");
	hvo_int_json_kv_string(&w, "tool_version", hvo_version());
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	hvo_int_json_kv_string(&w, "time", when);
	hvo_int_json_kv_string(&w, "image", p->image);
	hvo_int_json_kv_string(&w, "package", p->package_id);
	hvo_int_json_kv_string(&w, "identifier", p->identifier);
	hvo_int_json_kv_string(&w, "version", p->version);
	hvo_int_json_kv_string(&w, "staged_cabinet", p->staged_cab);
	hvo_int_json_kv_string(&w, "firstboot",
			       svc_firstboot_name(p->firstboot));
	hvo_int_json_key(&w, "hives_recovered_from_logs");
	hvo_int_json_begin_array(&w);
	for (int i = 0; i < SVC_NHIVES; i++)
		if (res->hive_recovered[i])
			hvo_int_json_string(&w,
					    svc_hive_name((enum svc_hive)i));
	hvo_int_json_end_array(&w);
	changes_json(res, &w, true);
	hvo_int_json_key(&w, "deferred");
	hvo_int_json_begin_array(&w);
	for (size_t i = 0; i < p->ndeferred; i++)
		hvo_int_json_string(&w, p->deferred[i].what);
	hvo_int_json_end_array(&w);
	hvo_int_json_end_object(&w);
	int e = hvo_int_json_finish(&w);
	fputc('\n', m);
	if (fclose(m) != 0 || e != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ------------------------------------------------------------------ */
/* Staging and switching.                                              */
/* ------------------------------------------------------------------ */

struct item {
	char *target, *tmp, *old;
	bool existed;
	bool staged, set_aside, switched;
	const char *host_path; /* content from a host file, or */
	const uint8_t *buf;    /* from memory */
	size_t len;
};

struct txn {
	struct guest_fs *fs;
	const struct svc_apply_opts *opts;
	struct item *items;
	size_t n;
	char *journal; /* the switch's journal, while it runs */
	char **dirs;   /* created, in order */
	size_t ndirs;
	unsigned stage_ops, switch_ops;
};

static int item_add(struct txn *t, const char *target, bool existed,
		    const char *host_path, const uint8_t *buf, size_t len)
{
	struct item *v = realloc(t->items, (t->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	t->items = v;
	struct item *it = &t->items[t->n];
	memset(it, 0, sizeof(*it));
	it->target = strdup(target);
	it->tmp = svc_int_sibling(target, "hvo-new");
	it->old = svc_int_sibling(target, "hvo-old");
	it->existed = existed;
	it->host_path = host_path;
	it->buf = buf;
	it->len = len;
	if (it->target == NULL || it->tmp == NULL || it->old == NULL) {
		free(it->target);
		free(it->tmp);
		free(it->old);
		return -1;
	}
	t->n++;
	return 0;
}

static void txn_free(struct txn *t)
{
	free(t->journal);
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i].target);
		free(t->items[i].tmp);
		free(t->items[i].old);
	}
	free(t->items);
	for (size_t i = 0; i < t->ndirs; i++)
		free(t->dirs[i]);
	free(t->dirs);
}

/* The injected failure of the tests: a full volume. */
static bool injected(unsigned *count, unsigned at)
{
	++*count;
	return at != 0 && *count == at;
}

/*
 * The journal of a switch, written with the staged files (and flushed
 * with them) before the first rename, and removed after the last
 * clean-up: if the run dies in between (killed, power cut), the next run
 * finds it and puts every target back in place (svc_apply_recover).
 * One line per item: target, staged name, set-aside name, separated by
 * tabs (guest paths never hold control characters).
 */
#define JOURNAL_MAGIC "hvoffline apply journal 1\n"

char *svc_apply_journal_path(const char *systemroot)
{
	char *s;
	return asprintf(&s, "%s\\hvoffline\\apply-in-progress.txt",
			systemroot) < 0
		       ? NULL
		       : s;
}

/* The journal's text (caller frees *@buf). */
static int journal_text(const struct txn *t, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	FILE *m = open_memstream(buf, len);
	if (m == NULL)
		return -1;
	fputs(JOURNAL_MAGIC, m);
	for (size_t i = 0; i < t->n; i++)
		fprintf(m, "%s\t%s\t%s\n", t->items[i].target, t->items[i].tmp,
			t->items[i].old);
	if (fclose(m) != 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

static void journal_remove(struct txn *t)
{
	/* Every caller flushes after. */
	if (t->journal != NULL && guest_fs_exists(t->fs, t->journal))
		guest_fs_remove(t->fs, t->journal);
}

/* Removes what was staged and the directories created, newest first. */
static void unstage(struct txn *t)
{
	for (size_t i = t->n; i-- > 0;)
		if (t->items[i].staged) {
			guest_fs_remove(t->fs, t->items[i].tmp);
			t->items[i].staged = false;
		}
	for (size_t i = t->ndirs; i-- > 0;)
		guest_fs_remove(t->fs, t->dirs[i]);
}

static enum svc_err stage(struct txn *t, const struct svc_plan *p,
			  struct svc_apply_result *res)
{
	char **dirs;
	size_t nd;
	if (svc_plan_dirs(p, &dirs, &nd) != 0)
		return fail(res, SVC_ERR_NOMEM, "out of memory");
	t->dirs = calloc(nd ? nd : 1, sizeof(*t->dirs));
	enum svc_err rc = t->dirs ? SVC_OK : SVC_ERR_NOMEM;
	for (size_t i = 0; i < nd && rc == SVC_OK; i++) {
		struct guest_stat st;
		int e = guest_fs_stat(t->fs, dirs[i], &st);
		if (e == GUEST_OK && st.type == GUEST_FT_DIR)
			continue;
		if (e == GUEST_OK) {
			rc = fail(res, SVC_ERR_GUEST,
				  "%s: a file is in the way of a directory",
				  dirs[i]);
			break;
		}
		if (injected(&t->stage_ops, t->opts->fail_stage_at))
			e = GUEST_E_IO, rc = fail(res, SVC_ERR_GUEST,
						  "%s: No space left on device "
						  "(injected)",
						  dirs[i]);
		else if ((e = guest_fs_mkdir_p(t->fs, dirs[i])) != GUEST_OK)
			rc = fail(res, gerr(e), "%s", guest_fs_errmsg(t->fs));
		if (e == GUEST_OK) {
			t->dirs[t->ndirs++] = dirs[i];
			dirs[i] = NULL;
			res->dirs_created++;
		}
	}
	for (size_t i = 0; i < nd; i++)
		free(dirs[i]);
	free(dirs);
	/* Every file in one guest_fs_put_many (as few round trips as the
	 * backend allows).  The staged names are ours alone, so they are
	 * written in place; one flush below makes them all durable before
	 * the switch begins.  A failure injected at item k stages the k-1
	 * before it. */
	size_t upto = t->n;
	bool inject = false;
	unsigned at = t->opts->fail_stage_at;
	if (rc == SVC_OK && at > t->stage_ops && at - t->stage_ops <= t->n) {
		upto = at - t->stage_ops - 1;
		inject = true;
	}
	/* The journal goes last, in the same batch and the same flush: the
	 * first rename only comes after that flush, so a journal that did
	 * not reach the disk whole means that nothing was switched. */
	char *journal = NULL;
	size_t jlen = 0;
	struct guest_put *puts = calloc(t->n + 1, sizeof(*puts));
	if (rc == SVC_OK &&
	    (puts == NULL || journal_text(t, &journal, &jlen) != 0))
		rc = fail(res, SVC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; rc == SVC_OK && i < upto; i++) {
		struct item *it = &t->items[i];
		/* Marked first: a failed write may leave a partial file. */
		it->staged = true;
		puts[i] = (struct guest_put){ .path = it->tmp,
					      .data = it->buf,
					      .len = it->len,
					      .host_path = it->host_path };
	}
	size_t nput = upto;
	if (rc == SVC_OK && !inject)
		puts[nput++] = (struct guest_put){ .path = t->journal,
						   .data = journal,
						   .len = jlen };
	if (rc == SVC_OK) {
		int e = guest_fs_put_many(t->fs, puts, nput);
		t->stage_ops += (unsigned)upto;
		if (e != GUEST_OK)
			rc = fail(res, gerr(e), "%s", guest_fs_errmsg(t->fs));
		else if (inject)
			rc = fail(res, SVC_ERR_GUEST,
				  "%s: No space left on device (injected)",
				  t->items[upto].tmp);
		else if ((e = guest_fs_sync(t->fs)) != GUEST_OK)
			rc = fail(res, gerr(e), "%s", guest_fs_errmsg(t->fs));
	}
	free(puts);
	free(journal);
	res->stage_ops = t->stage_ops;
	if (rc != SVC_OK) {
		journal_remove(t);
		unstage(t);
		guest_fs_sync(t->fs);
		res->rolled_back = true;
	}
	return rc;
}

enum svc_err svc_apply_recover(struct guest_fs *fs, const char *systemroot,
			       unsigned *restored_ret, struct svc_error *err)
{
	*restored_ret = 0;
	char *path = svc_apply_journal_path(systemroot);
	uint8_t *buf = NULL;
	size_t len;
	int e = path ? guest_fs_read(fs, path, 16u << 20, &buf, &len)
		     : GUEST_E_NOMEM;
	if (e == GUEST_E_NOENT || e == GUEST_E_NOTDIR) {
		free(path);
		return SVC_OK;
	}
	if (e != GUEST_OK) {
		svc_int_fail(err, SVC_ERR_GUEST, "%s: %s",
			     path ? path : "journal", guest_fs_errmsg(fs));
		free(path);
		return SVC_ERR_GUEST;
	}
	/* Without its first line the journal never reached the disk whole,
	 * so the run died before its first rename (the journal is flushed
	 * before it): there is nothing to put back.  Nor is there for a
	 * line cut short, and a cut path could name something else that
	 * exists (its directory): only lines that end in a newline are
	 * read. */
	enum svc_err rc = SVC_OK;
	char *save = NULL;
	bool whole = len >= strlen(JOURNAL_MAGIC) &&
		     memcmp(buf, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) == 0;
	char *last_nl = memrchr(buf, '\n', strnlen((char *)buf, len));
	if (last_nl != NULL)
		last_nl[1] = '\0';
	for (char *line = whole ? strtok_r((char *)buf + strlen(JOURNAL_MAGIC),
					   "\n", &save)
				: NULL;
	     line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *tmp = strchr(line, '\t');
		char *old = tmp ? strchr(tmp + 1, '\t') : NULL;
		if (old == NULL)
			continue; /* not a line we wrote */
		*tmp++ = '\0';
		*old++ = '\0';
		/* Between the two renames of an item its target is missing:
		 * the original goes back. */
		if (!guest_fs_exists(fs, line) && guest_fs_exists(fs, old)) {
			if (guest_fs_rename(fs, old, line) != GUEST_OK) {
				rc = svc_int_fail(err, SVC_ERR_GUEST, "%s: %s",
						  line, guest_fs_errmsg(fs));
				break;
			}
			++*restored_ret;
		}
		if (guest_fs_exists(fs, tmp))
			guest_fs_remove(fs, tmp);
		if (guest_fs_exists(fs, old))
			guest_fs_remove(fs, old);
	}
	if (rc == SVC_OK && guest_fs_remove(fs, path) != GUEST_OK)
		rc = svc_int_fail(err, SVC_ERR_GUEST, "%s: %s", path,
				  guest_fs_errmsg(fs));
	guest_fs_sync(fs);
	free(buf);
	free(path);
	return rc;
}

/* For tests: the run dies (no clean-up at all) before rename @k. */
static bool crash_before(const struct txn *t, const struct svc_apply_result *r)
{
	return t->opts->crash_switch_at != 0 &&
	       r->renames + 1 == t->opts->crash_switch_at;
}

/* Puts back everything switched so far, newest first. */
static void unswitch(struct txn *t)
{
	for (size_t i = t->n; i-- > 0;) {
		struct item *it = &t->items[i];
		if (it->switched) {
			guest_fs_rename(t->fs, it->target, it->tmp);
			it->switched = false;
		}
		if (it->set_aside) {
			guest_fs_rename(t->fs, it->old, it->target);
			it->set_aside = false;
		}
	}
}

static enum svc_err switch_all(struct txn *t, struct svc_apply_result *res)
{
	for (size_t i = 0; i < t->n; i++) {
		struct item *it = &t->items[i];
		int e = GUEST_OK;
		if (crash_before(t, res))
			return fail(res, SVC_ERR_GUEST, "killed (test)");
		if (it->existed) {
			if (injected(&t->switch_ops, t->opts->fail_switch_at))
				e = GUEST_E_IO;
			else
				e = guest_fs_rename(t->fs, it->target, it->old);
			if (e == GUEST_OK) {
				it->set_aside = true;
				res->renames++;
			}
		}
		if (e == GUEST_OK && crash_before(t, res))
			return fail(res, SVC_ERR_GUEST, "killed (test)");
		if (e == GUEST_OK) {
			if (injected(&t->switch_ops, t->opts->fail_switch_at))
				e = GUEST_E_IO;
			else
				e = guest_fs_rename(t->fs, it->tmp, it->target);
			if (e == GUEST_OK) {
				it->switched = true;
				res->renames++;
			}
		}
		if (e != GUEST_OK) {
			fail(res, SVC_ERR_GUEST, "%s: %s", it->target,
			     t->fs && guest_fs_errmsg(t->fs)[0]
				     ? guest_fs_errmsg(t->fs)
				     : "rename failed (injected)");
			unswitch(t);
			journal_remove(t);
			unstage(t);
			guest_fs_sync(t->fs);
			res->rolled_back = true;
			return res->error.code;
		}
	}
	/* One flush for the whole series of renames. */
	int e = guest_fs_sync(t->fs);
	if (e != GUEST_OK) {
		fail(res, gerr(e), "%s", guest_fs_errmsg(t->fs));
		unswitch(t);
		journal_remove(t);
		unstage(t);
		guest_fs_sync(t->fs);
		res->rolled_back = true;
		return res->error.code;
	}
	return SVC_OK;
}

/* ------------------------------------------------------------------ */
/* Apply.                                                              */
/* ------------------------------------------------------------------ */

enum svc_err svc_apply(struct guest_fs *fs, const struct svc_plan *p,
		       const struct svc_apply_opts *opts,
		       struct svc_apply_result *res)
{
	memset(res, 0, sizeof(*res));
	struct hive_work hives[SVC_NHIVES];
	memset(hives, 0, sizeof(hives));
	struct txn t = { .fs = fs, .opts = opts };
	char **host = NULL;
	uint8_t **guest_copies = NULL;
	size_t *guest_copy_len = NULL;
	struct guest_digest *prev = NULL;
	enum svc_err rc = SVC_OK;
	char dir[1100];

	res->nfiles = p->nfiles;
	res->files = calloc(p->nfiles ? p->nfiles : 1, sizeof(*res->files));
	res->nregs = p->nregs;
	res->regs = calloc(p->nregs ? p->nregs : 1, sizeof(*res->regs));
	guest_copies = calloc(p->nfiles ? p->nfiles : 1, sizeof(*guest_copies));
	guest_copy_len =
		calloc(p->nfiles ? p->nfiles : 1, sizeof(*guest_copy_len));
	if (res->files == NULL || res->regs == NULL || guest_copies == NULL ||
	    guest_copy_len == NULL) {
		rc = fail(res, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (guest_fs_readonly(fs)) {
		rc = fail(res, SVC_ERR_REFUSED,
			  "%s: the Windows volume is mounted read-only",
			  guest_fs_name(fs));
		goto out;
	}
	/* An earlier run that died while switching must be cleaned up
	 * first (svc_apply_recover(), which the session runs once, before
	 * it inspects the guest again): this plan was made from the facts
	 * of a whole guest. */
	if ((t.journal = svc_apply_journal_path(p->systemroot)) == NULL) {
		rc = fail(res, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (guest_fs_exists(fs, t.journal)) {
		rc = fail(res, SVC_ERR_REFUSED,
			  "%s: an interrupted earlier run needs cleaning up "
			  "first",
			  t.journal);
		goto out;
	}

	/* ---- 1. Prepare, on the host. ---- */
	progress(opts, "extracting the package");
	snprintf(dir, sizeof(dir), "%s/package", opts->tmpdir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = fail(res, SVC_ERR_IO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	rc = svc_int_extract(p, opts->cab_path, dir, &host, &res->error);
	if (rc != SVC_OK)
		goto out;
	progress(opts, "reading the files the package replaces");
	/* Every destination at once: what is there, and its SHA-256. */
	const char **dests = calloc(p->nfiles ? p->nfiles : 1, sizeof(*dests));
	prev = calloc(p->nfiles ? p->nfiles : 1, sizeof(*prev));
	if (dests == NULL || prev == NULL) {
		free(dests);
		rc = fail(res, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->nfiles; i++)
		dests[i] = p->files[i].dest;
	int pe = guest_fs_sha256_many(fs, dests, p->nfiles, prev);
	free(dests);
	if (pe != GUEST_OK) {
		rc = fail(res, gerr(pe), "%s",
			  guest_fs_errmsg(fs)[0] ? guest_fs_errmsg(fs)
						 : guest_strerror(pe));
		goto out;
	}
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct svc_plan_file *f = &p->files[i];
		struct svc_file_change *c = &res->files[i];
		c->file = f;
		uint8_t sha[32];
		uint64_t size = 0;
		if (f->source == SVC_SRC_CAB_ENTRY ||
		    f->source == SVC_SRC_CABINET) {
			const char *src = f->source == SVC_SRC_CABINET
						  ? opts->cab_path
						  : host[i];
			int e = hvo_int_sha256_file(src, sha, &size);
			if (e != 0) {
				rc = fail(res, SVC_ERR_GUEST, "%s: %s", src,
					  strerror(e));
				goto out;
			}
			if (f->has_sha256 && memcmp(sha, f->sha256, 32) != 0) {
				rc = fail(res, SVC_ERR_CORRUPT,
					  "%s: %s does not match the SHA-256 "
					  "the package gives",
					  opts->cab_path,
					  f->cab_entry ? f->cab_entry
						       : "the cabinet");
				goto out;
			}
		} else if (f->source == SVC_SRC_GUEST_FILE) {
			size_t len;
			int e = guest_fs_read(fs, f->from, GUEST_READ_MAX,
					      &guest_copies[i], &len);
			if (e != GUEST_OK) {
				rc = fail(res, gerr(e), "%s",
					  guest_fs_errmsg(fs));
				goto out;
			}
			hvo_int_sha256_buf(guest_copies[i], len, sha);
			size = guest_copy_len[i] = len;
		} else if (f->source == SVC_SRC_TEXT) {
			memcpy(sha, f->sha256, 32);
			size = f->text_len;
		}
		c->existed = prev[i].exists;
		c->prev_size = prev[i].size;
		memcpy(c->prev_sha256, prev[i].sha256, 32);
		/* The record is always new; the rest only when it differs. */
		c->written = f->source == SVC_SRC_RECORD || !c->existed ||
			     c->prev_size != size ||
			     memcmp(c->prev_sha256, sha, 32) != 0;
	}

	for (int hv = 0; hv < SVC_NHIVES; hv++) {
		bool need = false;
		for (size_t i = 0; i < p->nregs && !need; i++)
			need = p->regs[i].hive == (enum svc_hive)hv;
		if (!need)
			continue;
		progress(opts, "editing the %s hive",
			 svc_hive_name((enum svc_hive)hv));
		rc = hive_open(fs, p, (enum svc_hive)hv, opts->tmpdir,
			       &hives[hv], res);
		if (rc != SVC_OK)
			goto out;
		for (size_t i = 0; i < p->nregs; i++) {
			if (p->regs[i].hive != (enum svc_hive)hv)
				continue;
			int e = reg_op(hives[hv].h, &p->regs[i], &res->regs[i]);
			if (e != REG_OK) {
				char *d = svc_plan_reg_describe(&p->regs[i]);
				rc = fail(res, rerr(e), "%s: %s: %s",
					  hives[hv].guest, d ? d : "",
					  reg_errmsg(hives[hv].h));
				free(d);
				goto out;
			}
			if (res->regs[i].changed) {
				hives[hv].changes++;
				res->regs_changed++;
			}
		}
		if (hives[hv].changes == 0)
			continue;
		int e = reg_commit_to(hives[hv].h, hives[hv].host_new);
		if (e != REG_OK) {
			rc = fail(res, rerr(e), "%s: %s", hives[hv].guest,
				  reg_errmsg(hives[hv].h));
			goto out;
		}
	}

	char *record = make_record(p, res);
	if (record == NULL) {
		rc = fail(res, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	res->record_json = record;

	/* What goes into the guest, in switch order: files, then SOFTWARE,
	 * then SYSTEM (the hive Windows needs to boot comes last). */
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct svc_plan_file *f = &p->files[i];
		struct svc_file_change *c = &res->files[i];
		if (!c->written)
			continue;
		int e = 0;
		switch (f->source) {
		case SVC_SRC_CAB_ENTRY:
			e = item_add(&t, f->dest, c->existed, host[i], NULL, 0);
			break;
		case SVC_SRC_CABINET:
			e = item_add(&t, f->dest, c->existed, opts->cab_path,
				     NULL, 0);
			break;
		case SVC_SRC_TEXT:
			e = item_add(&t, f->dest, c->existed, NULL, f->text,
				     f->text_len);
			break;
		case SVC_SRC_GUEST_FILE:
			e = item_add(&t, f->dest, c->existed, NULL,
				     guest_copies[i], guest_copy_len[i]);
			break;
		case SVC_SRC_RECORD:
			e = item_add(&t, f->dest, c->existed, NULL,
				     (const uint8_t *)record, strlen(record));
			break;
		}
		if (e != 0) {
			rc = fail(res, SVC_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	for (int hv = SVC_HIVE_SOFTWARE; hv >= SVC_HIVE_SYSTEM; hv--) {
		if (!hives[hv].used || hives[hv].changes == 0)
			continue;
		if (item_add(&t, hives[hv].guest, true, hives[hv].host_new,
			     NULL, 0) != 0) {
			rc = fail(res, SVC_ERR_NOMEM, "out of memory");
			goto out;
		}
	}

	/* ---- 2. Stage, in the guest. ---- */
	progress(opts, "writing %zu files and %d hives under temporary names",
		 t.n, (hives[0].changes > 0) + (hives[1].changes > 0));
	rc = stage(&t, p, res);
	if (rc != SVC_OK)
		goto out;

	/* ---- 3. Switch. ---- */
	progress(opts, "switching %zu files into place", t.n);
	rc = switch_all(&t, res);
	if (rc != SVC_OK)
		goto out;
	res->guest_changed = true;
	for (size_t i = 0; i < p->nfiles; i++)
		res->files_written += res->files[i].written;
	for (int hv = 0; hv < SVC_NHIVES; hv++)
		res->hive_written[hv] = hives[hv].used && hives[hv].changes > 0;

	/* The set-aside originals go; a failure here changes nothing that
	 * matters (a hidden file remains) and is reported. */
	for (size_t i = 0; i < t.n; i++)
		if (t.items[i].set_aside &&
		    guest_fs_remove(fs, t.items[i].old) != GUEST_OK)
			warn(res, "%s: could not remove: %s", t.items[i].old,
			     guest_fs_errmsg(fs));
	journal_remove(&t);
	/* The clean-up needs no flush of its own (under TCG a flush costs
	 * half a second): everything that matters was flushed after the
	 * switch, a run that dies before the clean-up reaches the disk
	 * leaves its journal and the next run removes the leftovers, and
	 * unmounting flushes the rest (a failure then fails the run). */
	/* A hive recovered from its logs is now clean, with sequence
	 * numbers above every log entry: Windows ignores the logs of a
	 * clean hive, and they are emptied as registry/ does after an
	 * in-place recovery (reg_logs_after_commit). */
	for (int hv = 0; hv < SVC_NHIVES; hv++) {
		if (!res->hive_written[hv] || !res->hive_recovered[hv])
			continue;
		for (int k = 0; k < 3; k++) {
			if (!hives[hv].log_present[k])
				continue;
			char g[300];
			snprintf(g, sizeof(g), "%s%s", hives[hv].guest,
				 log_suffix[k]);
			if (guest_fs_write_atomic(fs, g, "", 0) != GUEST_OK)
				warn(res, "%s: could not empty the log: %s", g,
				     guest_fs_errmsg(fs));
		}
	}

	/* ---- Verify. ---- */
	progress(opts, "verifying");
	struct svc_verify_opts vo = { .tmpdir = opts->tmpdir,
				      .cab_path = opts->cab_path };
	if (svc_verify(fs, p, &vo, &res->verify) != SVC_OK ||
	    res->verify.ndiffs > 0)
		rc = fail(res, SVC_ERR_GUEST,
			  "verification found %zu difference%s after writing",
			  res->verify.ndiffs,
			  res->verify.ndiffs == 1 ? "" : "s");
out:
	for (int hv = 0; hv < SVC_NHIVES; hv++)
		reg_close(hives[hv].h);
	for (size_t i = 0; host && i < p->nfiles; i++)
		free(host[i]);
	free(host);
	for (size_t i = 0; guest_copies && i < p->nfiles; i++)
		free(guest_copies[i]);
	free(guest_copies);
	free(guest_copy_len);
	free(prev);
	txn_free(&t);
	return rc;
}

void svc_apply_result_free(struct svc_apply_result *res)
{
	for (size_t i = 0; res->regs && i < res->nregs; i++)
		free(res->regs[i].prev_data);
	free(res->regs);
	free(res->files);
	free(res->record_json);
	for (size_t i = 0; i < res->nwarnings; i++)
		free(res->warnings[i]);
	free(res->warnings);
	svc_verify_result_free(&res->verify);
	svc_int_error_clear(&res->error);
	memset(res, 0, sizeof(*res));
}

void svc_apply_result_json(const struct svc_apply_result *res,
			   struct json_writer *w)
{
	hvo_int_json_kv_bool(w, "guest_changed", res->guest_changed);
	hvo_int_json_kv_bool(w, "rolled_back", res->rolled_back);
	hvo_int_json_kv_uint(w, "files_written", res->files_written);
	hvo_int_json_kv_uint(w, "registry_changes", res->regs_changed);
	hvo_int_json_kv_uint(w, "directories_created",
			     res->guest_changed ? res->dirs_created : 0);
	hvo_int_json_key(w, "hives");
	hvo_int_json_begin_object(w);
	for (int i = 0; i < SVC_NHIVES; i++) {
		hvo_int_json_key(w, svc_hive_name((enum svc_hive)i));
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_bool(w, "written", res->hive_written[i]);
		hvo_int_json_kv_bool(w, "recovered_from_logs",
				     res->hive_recovered[i]);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_object(w);
	hvo_int_json_key(w, "changes");
	hvo_int_json_begin_object(w);
	changes_json(res, w, false);
	hvo_int_json_end_object(w);
	hvo_int_json_key(w, "warnings");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < res->nwarnings; i++)
		hvo_int_json_string(w, res->warnings[i]);
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "verify");
	hvo_int_json_begin_object(w);
	svc_verify_result_json(&res->verify, w);
	hvo_int_json_end_object(w);
}

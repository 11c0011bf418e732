/*
 * services_guest.c - a guest hive edited in place, and the record folder
 * (see services_guest.h for why the order of writes is safe).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "servicing/apply_int.h"
#include "servicing/services_guest.h"
#include "util/sha256.h"

static const char *const log_suffix[3] = { ".LOG", ".LOG1", ".LOG2" };

/* A path in a new string, or NULL when memory runs out. */
static char *path_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *path_printf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

static enum svc_err ghive_open(struct guest_fs *fs, const char *systemroot,
			       const char *name, const char *tmpdir, bool write,
			       struct svc_ghive *g, struct svc_error *err)
{
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->guest = path_printf("%s\\System32\\config\\%s", systemroot, name);
	g->host_dir = path_printf("%s/ghive-%s", tmpdir, name);
	if (g->host_dir != NULL) {
		g->host = path_printf("%s/%s", g->host_dir, name);
		g->host_new = path_printf("%s/%s.new", g->host_dir, name);
	}
	if (!g->guest || !g->host_dir || !g->host || !g->host_new)
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	if (mkdir(g->host_dir, 0700) != 0 && errno != EEXIST)
		return svc_int_fail(err, SVC_ERR_IO, "%s: %s", g->host_dir,
				    strerror(errno));
	int e = guest_fs_copy_out(fs, g->guest, g->host);
	if (e != GUEST_OK)
		return svc_int_fail_class(err, guest_exit_class(e),
					  SVC_ERR_GUEST, "%s: %s", g->guest,
					  guest_fs_errmsg(fs));
	for (int i = 0; i < 3; i++) {
		char gl[320], hl[1300];
		snprintf(gl, sizeof(gl), "%s%s", g->guest, log_suffix[i]);
		snprintf(hl, sizeof(hl), "%s%s", g->host, log_suffix[i]);
		struct guest_stat st;
		if (guest_fs_stat(fs, gl, &st) != GUEST_OK ||
		    st.type != GUEST_FT_FILE)
			continue;
		if ((e = guest_fs_copy_out(fs, gl, hl)) != GUEST_OK)
			return svc_int_guest_fail(err, fs, e, gl);
		g->log_present[i] = true;
	}
	struct reg_open_opts ro = {
		.flags = write ? REG_OPEN_WRITE | REG_OPEN_RECOVER : 0,
	};
	e = reg_open(g->host, &ro, &g->h);
	if (e != REG_OK) {
		const char *why = g->h ? reg_errmsg(g->h) : "";
		enum svc_err r = svc_int_fail_class(
			err, reg_exit_class(e), SVC_ERR_IO, "%s: %s%s%s",
			g->guest, reg_strerror(e), why[0] ? ": " : "", why);
		reg_close(g->h);
		g->h = NULL;
		return r;
	}
	g->recovered = reg_get_info(g->h)->state == REG_STATE_DIRTY_RECOVERABLE;
	g->writable = write;
	return SVC_OK;
}

enum svc_err svc_int_ghive_open(struct guest_fs *fs, const char *systemroot,
				const char *name, const char *tmpdir,
				bool write, struct svc_ghive *g,
				struct svc_error *err)
{
	memset(g, 0, sizeof(*g));
	enum svc_err r =
		ghive_open(fs, systemroot, name, tmpdir, write, g, err);
	if (r != SVC_OK)
		svc_int_ghive_close(g);
	return r;
}

enum svc_err svc_int_ghive_stage(struct svc_ghive *g, uint8_t sha256[32],
				 struct svc_error *err)
{
	int e = reg_commit_to(g->h, g->host_new);
	if (e != REG_OK)
		return svc_int_fail_class(err, reg_exit_class(e), SVC_ERR_IO,
					  "%s: %s", g->guest, reg_errmsg(g->h));
	uint64_t size;
	if ((e = hvo_int_sha256_file(g->host_new, sha256, &size)) != 0)
		return svc_int_fail(err, SVC_ERR_IO, "%s: %s", g->host_new,
				    strerror(e));
	return SVC_OK;
}

/*
 * Temporary name, flush, rename: the switch is one rename.  The new hive
 * keeps the descriptor of the one it replaces (SYSTEM and SOFTWARE are
 * SYSTEM's and Administrators' only, never a new file's default), set on
 * the staged copy before the rename, as apply does; a backend that has
 * no descriptors (or a hive without one) leaves the backend's default.
 */
int svc_int_ghive_stage_in(struct guest_fs *fs, struct svc_ghive *g,
			   char **tmp_ret)
{
	*tmp_ret = NULL;
	uint8_t *sd = NULL;
	size_t len = 0;
	int e = guest_fs_get_sd(fs, g->guest, &sd, &len);
	if (e != GUEST_OK && e != GUEST_E_UNSUPPORTED && e != GUEST_E_NOENT)
		return e;
	bool with_sd = e == GUEST_OK;
	char *tmp = svc_int_sibling(g->guest, "hvo-new");
	if (tmp == NULL) {
		free(sd);
		return GUEST_E_NOMEM;
	}
	if (guest_fs_exists(fs, tmp))
		(void)guest_fs_remove(fs, tmp); /* left by an interrupted run */
	e = guest_fs_copy_in(fs, g->host_new, tmp);
	if (e == GUEST_OK && with_sd)
		e = guest_fs_set_sd(fs, tmp, sd, len);
	free(sd);
	/* A failure leaves the staged copy (its error is the message); the
	 * next stage removes it first. */
	if (e != GUEST_OK) {
		free(tmp);
		return e;
	}
	*tmp_ret = tmp;
	return GUEST_OK;
}

static int switch_in(struct guest_fs *fs, struct svc_ghive *g)
{
	char *tmp;
	int e = svc_int_ghive_stage_in(fs, g, &tmp);
	if (e == GUEST_OK)
		e = guest_fs_sync(fs);
	if (e == GUEST_OK)
		e = guest_fs_rename(fs, tmp, g->guest);
	if (e == GUEST_OK)
		e = guest_fs_sync(fs);
	free(tmp);
	return e;
}

const char *svc_int_ghive_log_suffix(int i)
{
	return i >= 0 && i < 3 ? log_suffix[i] : NULL;
}

enum svc_err svc_int_ghive_switch(struct guest_fs *fs, struct svc_ghive *g,
				  struct svc_error *err)
{
	int e = switch_in(fs, g);
	if (e != GUEST_OK)
		return svc_int_fail_class(err, guest_exit_class(e),
					  SVC_ERR_GUEST, "%s: %s", g->guest,
					  guest_fs_errmsg(fs));
	/* The logs of a recovered hive are emptied once the new primary is
	 * in place, never before (registry/: reg_logs_after_commit). */
	if (g->recovered)
		for (int i = 0; i < 3; i++) {
			if (!g->log_present[i])
				continue;
			char gl[320];
			snprintf(gl, sizeof(gl), "%s%s", g->guest,
				 log_suffix[i]);
			if ((e = guest_fs_write_atomic(fs, gl, "", 0)) !=
			    GUEST_OK)
				return svc_int_fail_class(
					err, guest_exit_class(e), SVC_ERR_GUEST,
					"%s: could not empty the log: %s", gl,
					guest_fs_errmsg(fs));
		}
	return SVC_OK;
}

void svc_int_ghive_close(struct svc_ghive *g)
{
	reg_close(g->h);
	g->h = NULL;
	char **paths[] = { &g->guest, &g->host_dir, &g->host, &g->host_new };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		free(*paths[i]);
		*paths[i] = NULL;
	}
}

char *svc_int_record_dir(const char *systemroot)
{
	char *s;
	return asprintf(&s, "%s\\Logs\\hvoffline", systemroot) < 0 ? NULL : s;
}

void svc_int_now_iso(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int svc_int_record_begin(struct svc_record_json *r, const char *command,
			 const char *when, const char *image)
{
	r->buf = NULL;
	r->len = 0;
	if ((r->m = open_memstream(&r->buf, &r->len)) == NULL)
		return -1;
	hvo_int_json_init(&r->w, r->m, true);
	hvo_int_json_begin_object(&r->w);
	hvo_int_json_kv_string(&r->w, "tool", "hvoffline");
	hvo_int_json_kv_string(&r->w, "tool_version", hvo_version());
	char now[32];
	if (when == NULL) {
		svc_int_now_iso(now, sizeof(now));
		when = now;
	}
	hvo_int_json_kv_string(&r->w, "time", when);
	if (command != NULL)
		hvo_int_json_kv_string(&r->w, "command", command);
	hvo_int_json_kv_string(&r->w, "image", image);
	return 0;
}

char *svc_int_record_end(struct svc_record_json *r)
{
	hvo_int_json_end_object(&r->w);
	int e = hvo_int_json_finish(&r->w);
	fputc('\n', r->m);
	if (fclose(r->m) != 0 || e != 0) {
		free(r->buf);
		return NULL;
	}
	return r->buf;
}

enum svc_err svc_int_record_write(struct guest_fs *fs, const char *systemroot,
				  const char *command, const char *json,
				  const struct svc_undo *u, char **path_ret,
				  struct svc_error *err)
{
	if (path_ret != NULL)
		*path_ret = NULL;
	char *dir = svc_int_record_dir(systemroot);
	char *text = svc_undo_format(u);
	enum svc_err r = SVC_ERR_NOMEM;
	char *jpath = NULL, *upath = NULL;
	if (dir == NULL || text == NULL) {
		svc_int_fail(err, r, "out of memory");
		goto out;
	}
	int e = guest_fs_mkdir_p(fs, dir);
	if (e == GUEST_OK)
		e = svc_int_sd_store(fs, dir, true);
	if (e != GUEST_OK) {
		r = svc_int_guest_fail(err, fs, e, dir);
		goto out;
	}
	/* "<command>-YYYYmmddTHHMMSSZ-NNNNNN": NNNNNN counts every undo
	 * file ever written here (undone ones are renamed, never removed),
	 * so it orders the records even within one second. */
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	unsigned seq = 1;
	char **names = NULL;
	size_t nn = 0;
	if (guest_fs_list(fs, dir, &names, &nn) == GUEST_OK) {
		for (size_t i = 0; i < nn; i++) {
			unsigned s2 = svc_int_record_seq(names[i]);
			if (s2 >= seq)
				seq = s2 + 1;
		}
		guest_names_free(names, nn);
	}
	if (asprintf(&jpath, "%s\\%s-%s-%06u.json", dir, command, stamp, seq) <
	    0)
		jpath = NULL;
	if (asprintf(&upath, "%s\\%s-%s-%06u.undo", dir, command, stamp, seq) <
	    0)
		upath = NULL;
	if (jpath == NULL || upath == NULL) {
		svc_int_fail(err, r, "out of memory");
		goto out;
	}
	/* The undo data first: a JSON record always has its undo. */
	/* The folder and what is written in it get the store descriptor,
	 * SYSTEM and Administrators only (apply_sd.c), not the one ntfs-3g
	 * makes up: the undo data is what rollback writes back as SYSTEM.
	 * It is set right after each write: no Windows user exists while
	 * the guest is offline. */
	e = guest_fs_write_atomic(fs, upath, text, strlen(text));
	if (e == GUEST_OK)
		e = svc_int_sd_store(fs, upath, false);
	if (e == GUEST_OK && json != NULL)
		e = guest_fs_write_atomic(fs, jpath, json, strlen(json));
	if (e == GUEST_OK && json != NULL)
		e = svc_int_sd_store(fs, jpath, false);
	if (e != GUEST_OK) {
		r = svc_int_guest_fail(err, fs, e, jpath);
		goto out;
	}
	r = SVC_OK;
	if (path_ret != NULL) {
		*path_ret = jpath;
		jpath = NULL;
	}
out:
	free(dir);
	free(text);
	free(jpath);
	free(upath);
	return r;
}

unsigned svc_int_record_seq(const char *name)
{
	const char *b = strrchr(name, '\\');
	b = b ? b + 1 : name;
	const char *dot = strrchr(b, '.');
	if (dot == NULL ||
	    (strcmp(dot, ".undo") != 0 && strcmp(dot, ".undone") != 0))
		return 0;
	const char *p = dot;
	while (p > b && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == dot || dot - p > 9 || p == b || p[-1] != '-')
		return 0;
	return (unsigned)strtoul(p, NULL, 10);
}

static int cmp_seq(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	unsigned sx = svc_int_record_seq(x), sy = svc_int_record_seq(y);
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return strcmp(x, y);
}

int svc_int_record_list(struct guest_fs *fs, const char *systemroot,
			char ***paths_ret, size_t *n_ret)
{
	*paths_ret = NULL;
	*n_ret = 0;
	char *dir = svc_int_record_dir(systemroot);
	if (dir == NULL)
		return GUEST_E_NOMEM;
	char **names = NULL;
	size_t n = 0;
	int e = guest_fs_list(fs, dir, &names, &n);
	if (e == GUEST_E_NOENT) {
		free(dir);
		return GUEST_OK;
	}
	if (e != GUEST_OK) {
		free(dir);
		return e;
	}
	char **out = calloc(n ? n : 1, sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; out != NULL && i < n; i++) {
		size_t l = strlen(names[i]);
		if (l < 6 || strcmp(names[i] + l - 5, ".undo") != 0 ||
		    names[i][0] == '.')
			continue;
		if (asprintf(&out[k], "%s\\%s", dir, names[i]) < 0) {
			guest_names_free(out, k);
			out = NULL;
			break;
		}
		k++;
	}
	guest_names_free(names, n);
	free(dir);
	if (out == NULL)
		return GUEST_E_NOMEM;
	qsort(out, k, sizeof(*out), cmp_seq);
	*paths_ret = out;
	*n_ret = k;
	return GUEST_OK;
}

enum svc_err svc_int_record_commit(struct guest_fs *fs, const char *systemroot,
				   const char *command, char *json,
				   struct svc_undo *u, struct svc_ghive *g,
				   char **path_ret, struct svc_error *err)
{
	uint8_t after[32];
	enum svc_err r = svc_int_ghive_stage(g, after, err);
	if (r == SVC_OK &&
	    (json == NULL || svc_undo_add_after(u, g->name, after) != 0))
		r = svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	if (r == SVC_OK)
		r = svc_int_record_write(fs, systemroot, command, json, u,
					 path_ret, err);
	free(json);
	if (r == SVC_OK)
		r = svc_int_ghive_switch(fs, g, err);
	return r;
}

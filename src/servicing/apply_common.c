/*
 * apply_common.c - what apply and verify share: errors and progress of an apply,
 * guest digests, set-aside names, and the package's files extracted on the
 * host (see apply_int.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cab/cab.h"
#include "registry/reg.h"
#include "servicing/apply.h"
#include "servicing/apply_int.h"
#include "servicing/pkg_bytes.h"
#include "util/fileio.h"
#include "util/strv.h"

/* ------------------------------------------------------------------ */
/* Small helpers.                                                      */
/* ------------------------------------------------------------------ */

enum svc_err svc_int_apply_fail(struct svc_apply_result *res, enum svc_err code,
				const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum svc_err svc_int_apply_fail(struct svc_apply_result *res, enum svc_err code,
				const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	svc_int_vfail(&res->error, code, fmt, ap);
	va_end(ap);
	return code;
}

/* The servicing error of a guest-layer failure. */
enum svc_err svc_int_guest_err(int e)
{
	return svc_int_err_of_exit(guest_exit_class(e), SVC_ERR_GUEST);
}

enum svc_err svc_int_guest_fail(struct svc_error *err, struct guest_fs *fs,
				int e, const char *what)
{
	return svc_int_fail(err, svc_int_guest_err(e), "%s: %s", what,
			    guest_fs_errmsg(fs));
}

/* The servicing error of a registry failure. */
enum svc_err svc_int_reg_err(int e)
{
	return svc_int_err_of_exit(reg_exit_class(e), SVC_ERR_IO);
}

const char *svc_apply_errmsg(const struct svc_apply_result *res)
{
	return svc_int_errmsg_or_empty(&res->error);
}

void svc_int_apply_progress(const struct svc_apply_opts *o, const char *fmt,
			    ...) __attribute__((format(printf, 2, 3)));

void svc_int_apply_progress(const struct svc_apply_opts *o, const char *fmt,
			    ...)
{
	if (o->progress == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	svc_int_vemit(o->progress, o->progress_ctx, fmt, ap);
	va_end(ap);
}

void svc_int_apply_warn(struct svc_apply_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void svc_int_apply_warn(struct svc_apply_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hvo_int_strv_vappendf(&res->warnings, &res->nwarnings, fmt, ap);
	va_end(ap);
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

/* A package entry decoded by the parent (pkg_bytes.h) as the file
 * @path, its folders made as cab_extract makes them. */
static int write_entry(const char *path, const uint8_t *bytes, size_t len)
{
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(path, flags, 0600);
	if (fd < 0 && errno == ENOENT) {
		char *copy = strdup(path);
		char *slash = copy ? strrchr(copy, '/') : NULL;
		if (slash != NULL && slash != copy) {
			*slash = '\0';
			if (hvo_int_mkdir_p(copy, 0700) == 0)
				fd = open(path, flags, 0600);
		}
		free(copy);
	}
	if (fd < 0)
		return -1;
	int e = hvo_int_write_all(fd, bytes, len);
	if (close(fd) != 0 && e == 0)
		e = errno;
	errno = e;
	return e == 0 ? 0 : -1;
}

enum svc_err svc_int_extract(const struct svc_plan *plan,
			     const struct pkg_package *pkg, const char *dir,
			     char ***host_ret, struct svc_error *err)
{
	char **host = calloc(plan->nfiles ? plan->nfiles : 1, sizeof(*host));
	size_t *idx = calloc(plan->nfiles ? plan->nfiles : 1, sizeof(*idx));
	size_t *dec = calloc(plan->nfiles ? plan->nfiles : 1, sizeof(*dec));
	size_t nidx = 0, ndec = 0;
	struct cab *cab = pkg ? pkg->cab : NULL;
	const char *cab_path = pkg ? pkg->source : "";
	enum svc_err rc = SVC_ERR_NOMEM;
	*host_ret = host;
	if (host == NULL || idx == NULL || dec == NULL) {
		rc = svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
		goto out;
	}
	int e;
	for (size_t i = 0; i < plan->nfiles; i++) {
		const struct svc_plan_file *f = &plan->files[i];
		if (f->source != SVC_SRC_CAB_ENTRY)
			continue;
		if (cab == NULL) {
			rc = svc_int_fail(err, SVC_ERR_INVALID,
					  "%s: no package to extract it from",
					  f->cab_entry);
			goto out;
		}
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
		if (seen)
			continue;
		size_t len;
		const uint8_t *bytes = svc_int_pkg_bytes_get(pkg, k, &len);
		if (bytes != NULL && write_entry(host[i], bytes, len) != 0) {
			rc = svc_int_fail(err, SVC_ERR_IO, "%s: %s", host[i],
					  strerror(errno));
			goto out;
		}
		idx[nidx++] = k;
		if (bytes == NULL)
			dec[ndec++] = k; /* decoded below */
	}
	struct cab_extract_opts xo = {
		.overwrite = true,
		.keep_mtime_now = true,
		.indices = dec,
		.nindices = ndec,
	};
	if (ndec > 0 && (e = cab_extract(cab, dir, &xo, NULL)) != 0) {
		rc = svc_int_fail(
			err, svc_int_err_of_exit(cab_exit_class(e), SVC_ERR_IO),
			"%s: %s", cab_path, cab_errmsg(cab));
		goto out;
	}
	rc = SVC_OK;
out:
	free(idx);
	free(dec);
	return rc;
}

const char *const svc_int_log_suffix[3] = { ".LOG", ".LOG1", ".LOG2" };

/* A difference found by verify (verify.c, apply_sd.c). */
void svc_int_verify_diff(struct svc_verify_result *res, const char *what,
			 const char *expected, const char *fmt, ...)
{
	struct svc_difference *v =
		realloc(res->diffs, (res->ndiffs + 1) * sizeof(*v));
	if (v == NULL)
		return;
	res->diffs = v;
	struct svc_difference *d = &res->diffs[res->ndiffs];
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&d->found, fmt, ap) < 0)
		d->found = NULL;
	va_end(ap);
	d->what = strdup(what);
	d->expected = strdup(expected);
	res->ndiffs++;
}

void svc_int_verify_add(struct svc_verify_result *res, const char *what,
			const char *expected, const char *found)
{
	svc_int_verify_diff(res, what, expected, "%s", found);
}

/*
 * inspect_source.c - cabinets from a CAB, a directory or vmguest.iso (see
 * inspect_source.h).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/image.h"
#include "servicing/inspect_source.h"
#include "util/fileio.h"

static enum svc_err fail(struct svc_source *src, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum svc_err fail(struct svc_source *src, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	svc_int_vfail(&src->error, SVC_ERR_SOURCE, fmt, ap);
	va_end(ap);
	return SVC_ERR_SOURCE;
}

const char *svc_source_errmsg(const struct svc_source *src)
{
	return svc_int_errmsg_or_empty(&src->error);
}

const char *svc_source_kind_name(enum svc_source_kind k)
{
	switch (k) {
	case SVC_SOURCE_CAB:
		return "cab";
	case SVC_SOURCE_DIR:
		return "directory";
	case SVC_SOURCE_ISO:
		return "iso";
	default:
		return "unknown";
	}
}

/* Bytes enough to classify a file (guest_image_kind_of: an ISO's
 * descriptor is at 32769) and a VHD's footer. */
#define SNIFF_HEAD (64u << 10)
#define SNIFF_TAIL 512u

/* Classifies regular file @path; a cabinet is read whole with the same
 * descriptor (src->cab_data), so that nothing opens it again. */
static int sniff(struct svc_source *src, const char *path,
		 enum guest_image_kind *kind)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return e;
	}
	uint64_t size = (uint64_t)st.st_size;
	size_t hlen = size < SNIFF_HEAD ? (size_t)size : SNIFF_HEAD;
	uint8_t *head = malloc(hlen + SNIFF_TAIL + 1);
	int e = head == NULL ? ENOMEM : 0;
	ssize_t n = e ? -1 : hvo_int_pread_full(fd, head, hlen, 0);
	ssize_t t = -1;
	if (n >= 0 && size >= SNIFF_TAIL)
		t = hvo_int_pread_full(fd, head + hlen, SNIFF_TAIL,
				       size - SNIFF_TAIL);
	if (!e && n < 0)
		e = errno;
	if (!e) {
		*kind = guest_image_kind_of(head, (size_t)n,
					    t > 0 ? head + hlen : NULL,
					    t > 0 ? (size_t)t : 0);
		/* Too large, or unreadable now: the package read fails
		 * and says why. */
		if (*kind == GUEST_IMAGE_CAB && size <= PKG_MAX_CABINET_SIZE &&
		    (src->cab_data = malloc(size + 1)) != NULL &&
		    hvo_int_pread_full(fd, src->cab_data, size, 0) ==
			    (ssize_t)size)
			src->cab_len = size;
		else if (src->cab_data != NULL) {
			free(src->cab_data);
			src->cab_data = NULL;
		}
	}
	free(head);
	close(fd);
	return e;
}

enum svc_err svc_source_open(const char *path, struct svc_source *src)
{
	memset(src, 0, sizeof(*src));
	src->path = strdup(path);
	if (src->path == NULL)
		return svc_int_fail(&src->error, SVC_ERR_NOMEM,
				    "out of memory");
	struct stat st;
	if (stat(path, &st) != 0)
		return fail(src, "%s", strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		src->kind = SVC_SOURCE_DIR;
		return SVC_OK;
	}
	enum guest_image_kind kind;
	int e = sniff(src, path, &kind);
	if (e != 0)
		return fail(src, "%s", strerror(e));
	if (kind == GUEST_IMAGE_CAB)
		src->kind = SVC_SOURCE_CAB;
	else if (kind == GUEST_IMAGE_ISO)
		src->kind = SVC_SOURCE_ISO;
	else
		return fail(src, "is neither a cabinet (.cab), a directory of "
				 "cabinets, nor an ISO image (vmguest.iso)");
	return SVC_OK;
}

static bool has_cab_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcasecmp(name + n - 4, ".cab") == 0;
}

/* Adds a cabinet, taking its bytes (@data, malloc'd, or NULL). */
static enum svc_err add_cab_data(struct svc_source *src, const char *path,
				 const char *where, uint8_t *data, size_t len)
{
	if (src->ncabs == SVC_SOURCE_MAX_CABS) {
		free(data);
		return fail(src, "more than %d cabinets", SVC_SOURCE_MAX_CABS);
	}
	struct svc_source_cab *n =
		realloc(src->cabs, (src->ncabs + 1) * sizeof(*n));
	if (n == NULL) {
		free(data);
		return svc_int_fail(&src->error, SVC_ERR_NOMEM,
				    "out of memory");
	}
	src->cabs = n;
	struct svc_source_cab *c = &src->cabs[src->ncabs];
	c->path = strdup(path);
	c->where = strdup(where);
	c->data = data;
	c->len = len;
	if (c->path == NULL || c->where == NULL) {
		free(c->path);
		free(c->where);
		free(data);
		return fail(src, "out of memory");
	}
	src->ncabs++;
	return SVC_OK;
}

static enum svc_err add_cab(struct svc_source *src, const char *path,
			    const char *where)
{
	return add_cab_data(src, path, where, NULL, 0);
}

static int cmp_cab(const void *a, const void *b)
{
	return strcmp(((const struct svc_source_cab *)a)->where,
		      ((const struct svc_source_cab *)b)->where);
}

static enum svc_err collect_dir(struct svc_source *src)
{
	DIR *d = opendir(src->path);
	if (d == NULL)
		return fail(src, "%s", strerror(errno));
	struct dirent *de;
	enum svc_err r = SVC_OK;
	while (r == SVC_OK && (de = readdir(d)) != NULL) {
		if (!has_cab_suffix(de->d_name))
			continue;
		char *p;
		if (asprintf(&p, "%s/%s", src->path, de->d_name) < 0) {
			r = fail(src, "out of memory");
			break;
		}
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			r = add_cab(src, p, p);
		free(p);
	}
	closedir(d);
	return r;
}

/* vmguest.iso: support\<arch>\*.cab (ISO 9660 names may come in upper
 * case with Joliet absent; matching ignores case). */
static enum svc_err collect_iso(struct svc_source *src, struct guest_disk *disk,
				const char *tmpdir)
{
	if (disk == NULL)
		return fail(src, "the ISO image was not opened");
	const struct guest_disk_layout *l = guest_disk_layout(disk);
	struct guest_fs *fs = NULL;
	for (size_t i = 0; i < l->nvolumes && fs == NULL; i++)
		if (guest_disk_mount(disk, i, true, &fs) != GUEST_OK)
			fs = NULL;
	if (fs == NULL)
		return fail(src, "cannot mount the ISO image: %s",
			    guest_disk_errmsg(disk));
	char **archs;
	size_t narchs;
	if (guest_fs_list(fs, "support", &archs, &narchs) != GUEST_OK)
		return fail(src, "no support folder: not a vmguest.iso (%s)",
			    guest_fs_errmsg(fs));
	enum svc_err r = SVC_OK;
	for (size_t a = 0; a < narchs && r == SVC_OK; a++) {
		char *dir;
		if (asprintf(&dir, "support/%s", archs[a]) < 0) {
			r = svc_int_fail(&src->error, SVC_ERR_NOMEM,
					 "out of memory");
			break;
		}
		char **names;
		size_t n;
		if (guest_fs_list(fs, dir, &names, &n) != GUEST_OK) {
			free(dir);
			continue; /* a file, not an architecture folder */
		}
		for (size_t i = 0; i < n && r == SVC_OK; i++) {
			if (!has_cab_suffix(names[i]))
				continue;
			char *gpath = NULL, *host = NULL, *where = NULL;
			if (asprintf(&gpath, "%s/%s", dir, names[i]) < 0 ||
			    asprintf(&host, "%s/iso-%zu-%s", tmpdir, src->ncabs,
				     names[i]) < 0 ||
			    asprintf(&where, "%s:%s", src->path, gpath) < 0)
				r = svc_int_fail(&src->error, SVC_ERR_NOMEM,
						 "out of memory");
			else if (guest_fs_copy_out(fs, gpath, host) != GUEST_OK)
				r = fail(src, "%s: %s", gpath,
					 guest_fs_errmsg(fs));
			else
				r = add_cab(src, host, where);
			free(gpath);
			free(host);
			free(where);
		}
		guest_names_free(names, n);
		free(dir);
	}
	guest_names_free(archs, narchs);
	return r;
}

enum svc_err svc_source_collect(struct svc_source *src,
				struct guest_disk *iso_disk, const char *tmpdir)
{
	enum svc_err r;
	switch (src->kind) {
	case SVC_SOURCE_CAB:
		r = add_cab_data(src, src->path, src->path, src->cab_data,
				 src->cab_len);
		src->cab_data = NULL;
		break;
	case SVC_SOURCE_DIR:
		r = collect_dir(src);
		break;
	case SVC_SOURCE_ISO:
		r = collect_iso(src, iso_disk, tmpdir);
		break;
	default:
		r = fail(src, "unknown source kind");
		break;
	}
	if (r != 0)
		return r;
	if (src->ncabs == 0)
		return fail(src, "holds no cabinet (.cab)");
	qsort(src->cabs, src->ncabs, sizeof(*src->cabs), cmp_cab);
	return SVC_OK;
}

void svc_source_free(struct svc_source *src)
{
	for (size_t i = 0; i < src->ncabs; i++) {
		free(src->cabs[i].path);
		free(src->cabs[i].where);
		free(src->cabs[i].data);
	}
	free(src->cab_data);
	free(src->cabs);
	free(src->path);
	svc_int_error_clear(&src->error);
	memset(src, 0, sizeof(*src));
}

/* ------------------------------------------------------------------ */
/* The packages of the source.                                         */
/* ------------------------------------------------------------------ */

/* @data: the cabinet's bytes, already read (taken), or NULL. */
static enum svc_err package_load(const char *path, const char *where,
				 uint8_t *data, size_t len,
				 struct svc_source_package *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->path = path;
	sp->where = where;
	pkg_error_clear(&sp->error);
	enum pkg_err e = data != NULL
				 ? pkg_package_open_mem(path, data, len,
							&sp->pkg, &sp->error)
				 : pkg_package_open(path, &sp->pkg, &sp->error);
	if (e != PKG_OK) {
		/* Payload problems come with the package; a package that
		 * failed its digests is not one to use. */
		pkg_package_free(sp->pkg);
		sp->pkg = NULL;
		return svc_int_err_of_exit(pkg_exit_class(&sp->error),
					   SVC_ERR_IO);
	}
	return SVC_OK;
}

enum svc_err svc_source_package_load(const char *path, const char *where,
				     struct svc_source_package *sp)
{
	return package_load(path, where, NULL, 0, sp);
}

void svc_source_package_free(struct svc_source_package *sp)
{
	if (sp == NULL)
		return;
	pkg_package_free(sp->pkg);
	sp->pkg = NULL;
	svc_signature_free(&sp->sig);
}

enum svc_err svc_source_packages_load(struct svc_source *src,
				      struct svc_source_package **pkgs_ret,
				      size_t *n_ret)
{
	*pkgs_ret = NULL;
	*n_ret = 0;
	struct svc_source_package *p =
		calloc(src->ncabs ? src->ncabs : 1, sizeof(*p));
	if (p == NULL)
		return SVC_ERR_NOMEM;
	for (size_t i = 0; i < src->ncabs; i++) {
		/* The bytes read when the source was classified go to the
		 * package (a CAB source): the file is read once. */
		struct svc_source_cab *c = &src->cabs[i];
		enum svc_err e =
			package_load(c->path, c->where, c->data, c->len, &p[i]);
		c->data = NULL;
		if (e == SVC_ERR_NOMEM && p[i].pkg != NULL) {
			svc_source_packages_free(p, i + 1);
			return SVC_ERR_NOMEM;
		}
	}
	*pkgs_ret = p;
	*n_ret = src->ncabs;
	return SVC_OK;
}

void svc_source_packages_free(struct svc_source_package *pkgs, size_t n)
{
	if (pkgs == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		svc_source_package_free(&pkgs[i]);
	free(pkgs);
}

void svc_signature_free(struct svc_signature *s)
{
	free(s->signer);
	for (size_t i = 0; i < s->nchain && i < SVC_SIG_CHAIN_MAX; i++)
		free(s->chain[i]);
	memset(s, 0, sizeof(*s));
}

int svc_signature_copy(struct svc_signature *dst,
		       const struct svc_signature *src)
{
	*dst = *src;
	dst->signer = src->signer ? strdup(src->signer) : NULL;
	bool ok = src->signer == NULL || dst->signer != NULL;
	for (size_t i = 0; i < src->nchain && i < SVC_SIG_CHAIN_MAX; i++) {
		dst->chain[i] = strdup(src->chain[i] ? src->chain[i] : "?");
		ok = ok && dst->chain[i] != NULL;
	}
	if (!ok)
		svc_signature_free(dst);
	return ok ? 0 : -1;
}

void svc_signature_json(const struct svc_signature *s, struct json_writer *w)
{
	hvo_int_json_key(w, "signature");
	if (s->verdict == NULL) {
		hvo_int_json_null(w);
		return;
	}
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "verdict", s->verdict);
	hvo_int_json_kv_string(w, "signer",
			       s->signer && s->signer[0] ? s->signer : NULL);
	hvo_int_json_key(w, "chain");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < s->nchain && i < SVC_SIG_CHAIN_MAX; i++)
		hvo_int_json_string(w, s->chain[i]);
	hvo_int_json_end_array(w);
	hvo_int_json_kv_bool(w, "chain_complete", s->chain_complete);
	hvo_int_json_kv_string(w, "timestamp",
			       s->timestamp[0] ? s->timestamp : NULL);
	hvo_int_json_kv_bool(w, "allowed_unsigned", s->allowed_unsigned);
	hvo_int_json_end_object(w);
}

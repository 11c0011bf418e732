/*
 * inspect_source.c - cabinets from a CAB, a directory or vmguest.iso (see
 * inspect_source.h).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guest/image.h"
#include "servicing/inspect_source.h"

static int fail(struct svc_source *src, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct svc_source *src, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(src->error, sizeof(src->error), fmt, ap);
	va_end(ap);
	return -1;
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

int svc_source_open(const char *path, struct svc_source *src)
{
	memset(src, 0, sizeof(*src));
	src->path = strdup(path);
	if (src->path == NULL)
		return fail(src, "out of memory");
	struct stat st;
	if (stat(path, &st) != 0)
		return fail(src, "%s", strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		src->kind = SVC_SOURCE_DIR;
		return 0;
	}
	struct guest_image_info info;
	int e = guest_image_sniff(path, &info);
	if (e != 0)
		return fail(src, "%s", strerror(e));
	if (info.kind == GUEST_IMAGE_CAB)
		src->kind = SVC_SOURCE_CAB;
	else if (info.kind == GUEST_IMAGE_ISO)
		src->kind = SVC_SOURCE_ISO;
	else
		return fail(src, "is neither a cabinet (.cab), a directory of "
				 "cabinets, nor an ISO image (vmguest.iso)");
	return 0;
}

static bool has_cab_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcasecmp(name + n - 4, ".cab") == 0;
}

static int add_cab(struct svc_source *src, const char *path, const char *where)
{
	if (src->ncabs == SVC_SOURCE_MAX_CABS)
		return fail(src, "more than %d cabinets", SVC_SOURCE_MAX_CABS);
	struct svc_source_cab *n =
		realloc(src->cabs, (src->ncabs + 1) * sizeof(*n));
	if (n == NULL)
		return fail(src, "out of memory");
	src->cabs = n;
	struct svc_source_cab *c = &src->cabs[src->ncabs];
	c->path = strdup(path);
	c->where = strdup(where);
	if (c->path == NULL || c->where == NULL) {
		free(c->path);
		free(c->where);
		return fail(src, "out of memory");
	}
	src->ncabs++;
	return 0;
}

static int cmp_cab(const void *a, const void *b)
{
	return strcmp(((const struct svc_source_cab *)a)->where,
		      ((const struct svc_source_cab *)b)->where);
}

static int collect_dir(struct svc_source *src)
{
	DIR *d = opendir(src->path);
	if (d == NULL)
		return fail(src, "%s", strerror(errno));
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d)) != NULL) {
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
static int collect_iso(struct svc_source *src, struct guest_disk *disk,
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
	int r = 0;
	for (size_t a = 0; a < narchs && r == 0; a++) {
		char dir[300];
		snprintf(dir, sizeof(dir), "support/%s", archs[a]);
		char **names;
		size_t n;
		if (guest_fs_list(fs, dir, &names, &n) != GUEST_OK)
			continue; /* a file, not an architecture folder */
		for (size_t i = 0; i < n && r == 0; i++) {
			if (!has_cab_suffix(names[i]))
				continue;
			char gpath[600], host[1200], where[1200];
			snprintf(gpath, sizeof(gpath), "%s/%s", dir, names[i]);
			snprintf(host, sizeof(host), "%s/iso-%zu-%s", tmpdir,
				 src->ncabs, names[i]);
			snprintf(where, sizeof(where), "%s:%s", src->path,
				 gpath);
			if (guest_fs_copy_out(fs, gpath, host) != GUEST_OK)
				r = fail(src, "%s: %s", gpath,
					 guest_fs_errmsg(fs));
			else
				r = add_cab(src, host, where);
		}
		guest_names_free(names, n);
	}
	guest_names_free(archs, narchs);
	return r;
}

int svc_source_collect(struct svc_source *src, struct guest_disk *iso_disk,
		       const char *tmpdir)
{
	int r;
	switch (src->kind) {
	case SVC_SOURCE_CAB:
		r = add_cab(src, src->path, src->path);
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
	return 0;
}

void svc_source_free(struct svc_source *src)
{
	for (size_t i = 0; i < src->ncabs; i++) {
		free(src->cabs[i].path);
		free(src->cabs[i].where);
	}
	free(src->cabs);
	free(src->path);
	memset(src, 0, sizeof(*src));
}

/*
 * inspect_preflight.c - step 1 of inspection: the image file itself, natively,
 * before anything is launched (see inspect.h).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/image.h"
#include "vhdx/vhdx.h"
#include "servicing/inspect_int.h"
#include "util/bytes.h"

/* ------------------------------------------------------------------ */
/* Step 1: the image file.                                             */
/* ------------------------------------------------------------------ */

/*
 * The VHDX side of the pre-flight, through vhdx/: validate the file (a
 * corrupt VHDX is reported here, and never reaches qemu, where it would
 * fail the launch for every image), see whether it is a differencing disk,
 * whether its log holds changes never applied (qemu cannot open it
 * read-only then), and whether a differencing disk beside it uses it as
 * its parent (writing to a parent breaks the Hyper-V checkpoint chain).
 */

/* Directory entries looked at for children: a VM's folder holds a few
 * disks and checkpoints; a shared store of thousands is not scanned. */
#define MAX_SIBLINGS 4096

/* "{GUID}" or "GUID", any case, against our lower-case form. */
static bool guid_text_eq(const char *text, const char *want)
{
	if (*text == '{')
		text++;
	return strncasecmp(text, want, 36) == 0 &&
	       (text[36] == '\0' || text[36] == '}');
}

static const char *locator(struct vhdx_image *img, const char *key)
{
	const char *k, *v;
	for (size_t i = 0; vhdx_parent_locator(img, i, &k, &v); i++)
		if (strcasecmp(k, key) == 0)
			return v;
	return NULL;
}

static bool vhdx_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcasecmp(name + n - 5, ".vhdx") == 0) ||
	       (n > 6 && strcasecmp(name + n - 6, ".avhdx") == 0);
}

/* Longest chain of checkpoints followed (Hyper-V allows 50 per VM). */
#define MAX_CHAIN 64

/*
 * Looks in @path's directory for a differencing disk whose parent_linkage
 * is @dwg (the DataWriteGuid of @path, formatted).  On success copies its
 * path to @child and its own DataWriteGuid to @child_dwg.
 */
static bool find_child(const char *path, const char *dwg, char *child,
		       size_t size, char child_dwg[37])
{
	char *copy = strdup(path);
	if (copy == NULL)
		return false;
	char *slash = strrchr(copy, '/');
	const char *dir = ".";
	if (slash != NULL) {
		*slash = '\0';
		dir = copy[0] ? copy : "/";
	}
	bool found = false;
	struct stat self;
	DIR *d = stat(path, &self) == 0 ? opendir(dir) : NULL;
	struct dirent *de;
	for (int seen = 0; d != NULL && !found && seen < MAX_SIBLINGS &&
			   (de = readdir(d)) != NULL;
	     seen++) {
		if (!vhdx_name(de->d_name))
			continue;
		char sib[4200];
		snprintf(sib, sizeof(sib), "%s%s%s", slash ? dir : "",
			 slash ? "/" : "", de->d_name);
		struct stat st;
		if (stat(sib, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (st.st_dev == self.st_dev && st.st_ino == self.st_ino))
			continue;
		/* Looked at without a lock: a shared lock here, however
		 * brief, made a sibling being serviced at the same time (-j,
		 * a fleet in one folder) see its image "in use by another
		 * hvoffline process".  A checkpoint a writer holds may fail
		 * to open; then the image is in use anyway, which the lock
		 * check says. */
		struct vhdx_image *c;
		if (vhdx_open(sib, VHDX_OPEN_NO_PARENT | VHDX_OPEN_NO_LOCK,
			      NULL, &c, NULL) != VHDX_OK)
			continue;
		struct vhdx_info ci;
		vhdx_get_info(c, &ci);
		const char *link = locator(c, "parent_linkage");
		size_t len = strlen(sib);
		if (ci.has_parent && link != NULL && guid_text_eq(link, dwg) &&
		    len < size) {
			found = true;
			memcpy(child, sib, len + 1);
			vhdx_guid_format(&ci.data_write_guid, child_dwg);
		}
		vhdx_close(c, NULL);
	}
	if (d != NULL)
		closedir(d);
	free(copy);
	return found;
}

/* The parent a differencing disk's locator names, as a host path when it
 * resolves beside the child ("relative_path" is a Windows path relative
 * to the child: ".\\base.vhdx"), else as written. */
/* Longest checkpoint path followed (host paths). */
#define CHILD_PATH_MAX 1024

static void resolve_parent(struct vhdx_image *img, const char *path, char **out)
{
	const char *rel = locator(img, "relative_path");
	const char *abs = locator(img, "absolute_win32_path");
	if (rel != NULL) {
		char r[1024];
		snprintf(r, sizeof(r), "%s", rel);
		for (char *p = r; *p; p++)
			if (*p == '\\')
				*p = '/';
		const char *tail = strncmp(r, "./", 2) == 0 ? r + 2 : r;
		const char *slash = strrchr(path, '/');
		char host[2100];
		snprintf(host, sizeof(host), "%.*s%s",
			 slash ? (int)(slash - path + 1) : 0, path, tail);
		if (access(host, F_OK) == 0) {
			svc_int_text(out, "%s", host);
			return;
		}
	}
	if (rel != NULL || abs != NULL)
		svc_int_text(out, "%s", rel ? rel : abs);
}

static void preflight_vhdx(struct svc_facts *f, const char *path)
{
	struct vhdx_image *img;
	struct vhdx_error err;
	enum vhdx_err r =
		vhdx_open(path, VHDX_OPEN_NO_PARENT, NULL, &img, &err);
	if (r == VHDX_ERR_LOCKED) {
		f->in_use = true;
		svc_int_text(&f->in_use_by, "%s", err.msg);
		return;
	}
	if (r != VHDX_OK) {
		f->preflight_ok = false;
		f->preflight_corrupt = vhdx_exit_class(r) == HVO_EXIT_CORRUPT;
		svc_int_text(&f->preflight_error, "%s", err.msg);
		return;
	}
	struct vhdx_info info;
	vhdx_get_info(img, &info);
	if (info.has_parent) {
		f->differencing = true;
		resolve_parent(img, path, &f->parent);
	}
	f->vhdx_virtual_size = info.virtual_size;
	f->vhdx_log_dirty = info.log_state == VHDX_LOG_REPLAYED_MEMORY;
	f->vhdx_4k_sectors = info.logical_sector_size != 512;
	char dwg[37];
	vhdx_guid_format(&info.data_write_guid, dwg);
	vhdx_close(img, NULL);

	/* A checkpoint of this image, and the newest checkpoint of that
	 * chain: what the virtual machine runs on. */
	char cur[CHILD_PATH_MAX];
	snprintf(cur, sizeof(cur), "%s", path);
	for (int depth = 0; depth < MAX_CHAIN; depth++) {
		char next[CHILD_PATH_MAX], next_dwg[37];
		if (!find_child(cur, dwg, next, sizeof(next), next_dwg))
			break;
		f->parent_of_child = true;
		svc_int_text(&f->child, "%s", next);
		snprintf(cur, sizeof(cur), "%s", next);
		memcpy(dwg, next_dwg, sizeof(dwg));
	}
}

void svc_inspect_preflight(struct svc_facts *f, const char *path, bool writing)
{
	struct guest_image_info info;
	int e = guest_image_sniff(path, &info);
	if (e != 0) {
		svc_int_text(&f->preflight_error, "%s",
			     e == EISDIR ? "is a directory, not an image"
					 : strerror(e));
		return;
	}
	f->file_size = info.size;
	svc_int_set_text(f->format, sizeof(f->format), "%s",
			 guest_image_kind_name(info.kind));
	if (info.kind == GUEST_IMAGE_ISO || info.kind == GUEST_IMAGE_CAB) {
		svc_int_text(&f->preflight_error, "is %s, not a disk image",
			     info.kind == GUEST_IMAGE_ISO ? "an ISO image"
							  : "a cabinet");
		return;
	}
	/* In use by a running VM (qemu's image locks) or another hvoffline
	 * (flock): asked without taking anything that lasts.  A reading run
	 * shares the image with other readers (a read-only nbdkit export);
	 * a writing one with nobody. */
	bool busy = false;
	struct vhdx_error err;
	char by[SVC_TEXT_MAX] = "";
	if (vhdx_in_use_for(path, writing ? VHDX_OPEN_WRITE : 0, &busy, by,
			    sizeof(by), &err) != VHDX_OK) {
		svc_int_text(&f->preflight_error, "%s", err.msg);
		return;
	}
	f->preflight_ok = true;
	f->in_use = busy;
	if (busy)
		svc_int_text(&f->in_use_by, "%s", by);
	if (busy || info.kind != GUEST_IMAGE_VHDX)
		return;
	preflight_vhdx(f, path);
}

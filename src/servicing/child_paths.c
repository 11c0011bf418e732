/*
 * child_paths.c - the files a sandboxed child may open for its image
 * (see child_paths.h).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "guest/sandbox.h"
#include "servicing/child_paths.h"
#include "servicing/folder_probe.h"
#include "util/fileio.h"
#include "util/strv.h"
#include "vhdx/vhdx.h"

/* Levels of parents probed: Hyper-V allows far fewer checkpoints in a
 * chain (50), and each level costs a fork. */
#define CHAIN_MAX_DEPTH 64
/* Paths tried per level: the three locator keys and their file names. */
#define CHAIN_MAX_CANDIDATES 16
/* A probe's reply: the locator's entries, a few hundred bytes. */
#define PROBE_MAX_RESULT (256u << 10)

int svc_int_child_paths_add(struct svc_child_paths *p, const char *path)
{
	for (size_t i = 0; i < p->nread; i++)
		if (strcmp(p->read[i], path) == 0)
			return 0;
	return hvo_int_strv_appendf(&p->read, &p->nread, "%s", path);
}

void svc_int_child_paths_free(struct svc_child_paths *p)
{
	for (size_t i = 0; i < p->nread; i++)
		free(p->read[i]);
	free(p->read);
	free(p->folder);
	memset(p, 0, sizeof(*p));
}

/* In the probe child, allowed to read @opaque's file only: its parent
 * locator's entries, "key\0value\0" each. */
static int probe_main(void *opaque, int out)
{
	const char *path = opaque;
	struct vhdx_image *img;
	if (vhdx_open(path, VHDX_OPEN_NO_PARENT, NULL, &img, NULL) != VHDX_OK)
		return 1;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *k, *v;
	for (size_t i = 0; f != NULL && vhdx_parent_locator(img, i, &k, &v);
	     i++) {
		fputs(k, f);
		fputc('\0', f);
		fputs(v, f);
		fputc('\0', f);
	}
	vhdx_close(img, NULL);
	if (f == NULL || fclose(f) != 0)
		return 2;
	int e = hvo_int_write_all(out, buf, len);
	free(buf);
	return e ? 3 : 0;
}

/* The parents vhdx_open() would try for @path, whose locator has the
 * @n entries @keys and @values; those that exist as regular files go to
 * @p, the first one (the one vhdx_open() takes) to *@next.  0, or -1 out
 * of memory. */
static int grant_parents(const char *path, const char *const *keys,
			 const char *const *values, size_t n,
			 struct svc_child_paths *p, char **next)
{
	char *cand[CHAIN_MAX_CANDIDATES];
	size_t nc = vhdx_parent_candidates(path, keys, values, n, cand,
					   CHAIN_MAX_CANDIDATES);
	int r = 0;
	for (size_t i = 0; i < nc; i++) {
		struct stat sb;
		if (r == 0 && stat(cand[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			r = svc_int_child_paths_add(p, cand[i]);
			if (*next == NULL && r == 0)
				*next = strdup(cand[i]);
		}
		free(cand[i]);
	}
	return r;
}

/* The same from a probe child's reading of @path's locator (or from its
 * folder's table, when the run probed that folder). */
static int probe(const char *path, struct svc_child_paths *p, char **next)
{
	*next = NULL;
	char *copy = strdup(path);
	if (copy == NULL)
		return -1;
	const struct svc_folder_disk *fd =
		svc_int_folder_disk(svc_int_folder(dirname(copy), false), path);
	free(copy);
	if (fd != NULL)
		return fd->opened ? grant_parents(path, fd->keys, fd->values,
						  fd->nlocator, p, next)
				  : 0;
	const char *const rd[] = { path };
	struct guest_sandbox_opts o = {
		.max_result = PROBE_MAX_RESULT,
		.read_paths = { rd, 1 },
		.landlock_optional = true,
	};
	char *buf = NULL, why[256];
	size_t len = 0;
	int st = guest_sandbox_run(&o, probe_main, (void *)path, &buf, &len,
				   why, sizeof(why));
	if (st != GUEST_SANDBOX_OK) {
		free(buf);
		return 0; /* not a VHDX, or no parent: nothing more */
	}
	/* Untrusted: split on NULs, pairs only, no partial entry. */
	enum { MAX_ENTRIES = 256 };
	const char *keys[MAX_ENTRIES], *values[MAX_ENTRIES];
	size_t n = 0;
	for (size_t off = 0; off < len && n < MAX_ENTRIES;) {
		const char *key = buf + off;
		const char *z = memchr(key, '\0', len - off);
		if (z == NULL || (size_t)(z - buf) + 1 >= len)
			break;
		const char *val = z + 1;
		const char *z2 = memchr(val, '\0', len - (size_t)(val - buf));
		if (z2 == NULL)
			break;
		keys[n] = key;
		values[n++] = val;
		off = (size_t)(z2 - buf) + 1;
	}
	int r = grant_parents(path, keys, values, n, p, next);
	free(buf);
	return r;
}

int svc_int_child_paths(const char *image, struct svc_child_paths *p)
{
	memset(p, 0, sizeof(*p));
	char *copy = strdup(image);
	if (copy == NULL)
		return -1;
	p->folder = strdup(dirname(copy));
	free(copy);
	if (p->folder == NULL || svc_int_child_paths_add(p, image) != 0)
		goto fail;
	/* The disks beside the image, which its pre-flight reads to find
	 * checkpoints based on it: not when the run has a complete table of
	 * the folder (folder_probe.h: probed now, once for all its images),
	 * which the pre-flight reads instead. */
	const struct svc_folder *f = svc_int_folder(p->folder, true);
	DIR *d = f != NULL && f->complete ? NULL : opendir(p->folder);
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
		char *path;
		if (!svc_int_disk_name(e->d_name))
			continue;
		if (asprintf(&path, "%s/%s", p->folder, e->d_name) < 0) {
			closedir(d);
			goto fail;
		}
		int r = svc_int_child_paths_add(p, path);
		free(path);
		if (r != 0) {
			closedir(d);
			goto fail;
		}
	}
	if (d != NULL)
		closedir(d);
	/* The chain, wherever its parents are. */
	char *cur = strdup(image);
	int depth = 0, r = 0;
	while (r == 0 && cur != NULL && depth++ < CHAIN_MAX_DEPTH) {
		char *next = NULL;
		r = probe(cur, p, &next);
		free(cur);
		cur = next;
	}
	free(cur);
	if (r == 0)
		return 0;
fail:
	svc_int_child_paths_free(p);
	errno = ENOMEM;
	return -1;
}

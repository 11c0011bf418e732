/*
 * folder_probe.c - the virtual disks of a folder, read once per run by a
 * confined probe child (see folder_probe.h).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/sandbox.h"
#include "servicing/folder_probe.h"
#include "vhdx/vhdx.h"

/* Disks probed per folder: a VM's folder holds a few disks and
 * checkpoints, a shared store of hundreds of images more; past this the
 * table is incomplete and callers read the disks themselves. */
#define FOLDER_MAX_DISKS 4096
/* The probe's reply: per disk a few hundred bytes of locator. */
#define FOLDER_MAX_RESULT (16u << 20)
/* Locator entries kept per disk (vhdx/ accepts no more than this). */
#define FOLDER_MAX_LOCATOR 256

static struct svc_folder **folders; /* stable: handed out */
static size_t nfolders;
static unsigned depth;

bool svc_int_disk_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot != NULL && dot != name &&
	       (strcasecmp(dot, ".vhdx") == 0 ||
		strcasecmp(dot, ".avhdx") == 0 ||
		strcasecmp(dot, ".vhd") == 0 || strcasecmp(dot, ".avhd") == 0);
}

static void folder_free(struct svc_folder *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->disks[i].path);
		free(f->disks[i].keys); /* and values, in the same block */
	}
	free(f->disks);
	free(f->buf);
	free(f->path);
}

void svc_int_folders_begin(void)
{
	depth++;
}

void svc_int_folders_end(void)
{
	if (depth == 0 || --depth > 0)
		return;
	for (size_t i = 0; i < nfolders; i++) {
		folder_free(folders[i]);
		free(folders[i]);
	}
	free(folders);
	folders = NULL;
	nfolders = 0;
}

/* In the probe child, allowed to read the folder's disks only: per disk
 * that opens as a VHDX, "index\0flag\0dwg\0" then "key\0value\0" per
 * locator entry and an empty key, straight down the pipe. */
static int probe_main(void *opaque, int out)
{
	const struct svc_folder *f = opaque;
	int fd = dup(out);
	FILE *m = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (m == NULL)
		return 2;
	for (size_t i = 0; i < f->n; i++) {
		struct vhdx_image *img;
		if (vhdx_open(f->disks[i].path,
			      VHDX_OPEN_NO_PARENT | VHDX_OPEN_NO_LOCK, NULL,
			      &img, NULL) != VHDX_OK)
			continue;
		struct vhdx_info info;
		vhdx_get_info(img, &info);
		char dwg[37];
		vhdx_guid_format(&info.data_write_guid, dwg);
		fprintf(m, "%zu%c%c%c%s%c", i, 0, info.has_parent ? '1' : '0',
			0, dwg, 0);
		const char *k, *v;
		for (size_t e = 0; vhdx_parent_locator(img, e, &k, &v); e++)
			if (k[0] != '\0')
				fprintf(m, "%s%c%s%c", k, 0, v, 0);
		fputc(0, m);
		vhdx_close(img, NULL);
	}
	return fclose(m) == 0 ? 0 : 3;
}

/* The next NUL-terminated string of the reply at *@at, or NULL. */
static const char *next_str(const char *buf, size_t len, size_t *at)
{
	if (*at >= len)
		return NULL;
	const char *s = buf + *at;
	const char *z = memchr(s, '\0', len - *at);
	if (z == NULL)
		return NULL;
	*at = (size_t)(z - buf) + 1;
	return s;
}

/* Reads the probe's reply into @f's disks.  Untrusted: every string is
 * bounded by the reply, every index checked; a malformed record ends the
 * reading (the disks after it stay unopened). */
static void parse_reply(struct svc_folder *f)
{
	const char *b = f->buf;
	size_t len = f->len_reply, at = 0;
	const char *idx, *flag, *dwg;
	while ((idx = next_str(b, len, &at)) != NULL &&
	       (flag = next_str(b, len, &at)) != NULL &&
	       (dwg = next_str(b, len, &at)) != NULL) {
		char *end;
		errno = 0;
		unsigned long i = strtoul(idx, &end, 10);
		if (errno != 0 || *end != '\0' || end == idx || i >= f->n ||
		    f->disks[i].opened || strlen(dwg) != 36 ||
		    (strcmp(flag, "0") != 0 && strcmp(flag, "1") != 0))
			return;
		struct svc_folder_disk *d = &f->disks[i];
		const char *k, *v;
		while ((k = next_str(b, len, &at)) != NULL && k[0] != '\0') {
			if ((v = next_str(b, len, &at)) == NULL ||
			    d->nlocator >= FOLDER_MAX_LOCATOR)
				return;
			if (d->keys == NULL) {
				d->keys = calloc(2 * FOLDER_MAX_LOCATOR,
						 sizeof(*d->keys));
				if (d->keys == NULL)
					return;
				d->values = d->keys + FOLDER_MAX_LOCATOR;
			}
			d->keys[d->nlocator] = k;
			d->values[d->nlocator++] = v;
		}
		if (k == NULL)
			return; /* no terminator: cut short */
		d->has_parent = flag[0] == '1';
		memcpy(d->dwg, dwg, 37);
		d->opened = true;
	}
}

/* Lists @f->path's disks (regular files with a disk's name). */
static int list_disks(struct svc_folder *f)
{
	DIR *d = opendir(f->path);
	if (d == NULL)
		return -1;
	f->complete = true;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (!svc_int_disk_name(e->d_name))
			continue;
		if (f->n == FOLDER_MAX_DISKS) {
			f->complete = false;
			break;
		}
		char *path;
		struct stat st;
		if (asprintf(&path, "%s/%s", f->path, e->d_name) < 0) {
			closedir(d);
			return -1;
		}
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (f->n % 64 == 0) {
			struct svc_folder_disk *g = realloc(
				f->disks, (f->n + 64) * sizeof(*f->disks));
			if (g == NULL) {
				free(path);
				closedir(d);
				return -1;
			}
			f->disks = g;
		}
		f->disks[f->n++] = (struct svc_folder_disk){ .path = path,
							     .dev = st.st_dev,
							     .ino = st.st_ino };
	}
	closedir(d);
	return 0;
}

/* Probes folder @f (listed): one confined child reads every disk. */
static void probe(struct svc_folder *f)
{
	if (f->n == 0)
		return;
	const char **rd = calloc(f->n, sizeof(*rd));
	if (rd == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		rd[i] = f->disks[i].path;
	struct guest_sandbox_opts o = {
		.max_result = FOLDER_MAX_RESULT,
		.read_paths = { rd, f->n },
		.landlock_optional = true,
	};
	char why[256];
	int st = guest_sandbox_run(&o, probe_main, f, &f->buf, &f->len_reply,
				   why, sizeof(why));
	free(rd);
	/* A probe that did not finish (it could not start, or a hostile
	 * disk killed it) leaves what it sent before, complete records
	 * only; but then the table is not the whole folder: a checkpoint it
	 * never reached must not read as absent (that would let apply write
	 * a base that has children), so the image children scan the folder
	 * themselves, as without a table. */
	if (f->buf != NULL)
		parse_reply(f);
	if (st != GUEST_SANDBOX_OK)
		f->complete = false;
}

const struct svc_folder *svc_int_folder(const char *folder, bool do_probe)
{
	struct stat st;
	if (depth == 0 || stat(folder, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	for (size_t i = 0; i < nfolders; i++)
		if (folders[i]->dev == st.st_dev &&
		    folders[i]->ino == st.st_ino)
			return folders[i];
	if (!do_probe)
		return NULL;
	struct svc_folder **g = realloc(folders, (nfolders + 1) * sizeof(*g));
	if (g == NULL)
		return NULL;
	folders = g;
	struct svc_folder *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if ((f->path = strdup(folder)) == NULL || list_disks(f) != 0) {
		folder_free(f);
		free(f);
		return NULL;
	}
	probe(f);
	folders[nfolders++] = f;
	return f;
}

const struct svc_folder_disk *svc_int_folder_disk(const struct svc_folder *f,
						  const char *path)
{
	struct stat st;
	if (f == NULL || stat(path, &st) != 0)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		if (f->disks[i].dev == st.st_dev &&
		    f->disks[i].ino == st.st_ino)
			return &f->disks[i];
	return NULL;
}

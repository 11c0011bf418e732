/*
 * appliance_path.c - guest paths in the libguestfs backend: the directory
 * listings kept per mounted filesystem, and resolution of a guest path to
 * its appliance path.
 *
 * Guest paths are resolved as Windows does, case-insensitively, through
 * listings of the directories on the way: ntfs-3g exports NTFS names
 * case-sensitively.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/appliance_int.h"
#include "util/grow.h"

static char *lower_dup(const char *s, size_t n)
{
	char *k = strndup(s, n);
	for (char *p = k; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return k;
}

static void dir_free(struct app_dir *d)
{
	free(d->key);
	free(d->real);
	for (size_t i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
}

void guest_int_app_dirs_free(struct app_fs *a)
{
	for (size_t i = 0; i < a->ndirs; i++)
		dir_free(&a->dirs[i]);
	free(a->dirs);
	a->dirs = NULL;
	a->ndirs = a->capdirs = 0;
}

/* Forgets @path's listing and those below it (after it was renamed or
 * removed). */
void guest_int_app_dir_forget(struct app_fs *a, const char *path)
{
	char *k = lower_dup(path, strlen(path));
	size_t kl = k ? strlen(k) : 0, out = 0;
	for (size_t i = 0; i < a->ndirs; i++) {
		const char *dk = a->dirs[i].key;
		bool below = k == NULL || (strncmp(dk, k, kl) == 0 &&
					   (dk[kl] == '\0' || dk[kl] == '/'));
		if (below)
			dir_free(&a->dirs[i]);
		else
			a->dirs[out++] = a->dirs[i];
	}
	a->ndirs = out;
	free(k);
}

/* The index of @name in @d (matched as Windows does), or -1. */
static ssize_t dir_find(const struct app_dir *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (guest_name_eq(d->names[i], name))
			return (ssize_t)i;
	return -1;
}

static void dir_add(struct app_dir *d, const char *name)
{
	if (d == NULL || dir_find(d, name) >= 0)
		return;
	char **v = hvo_int_grow(d->names, d->n, &d->cap, sizeof(*v), 16);
	if (v == NULL)
		return; /* a later lookup lists the directory again */
	d->names = v;
	char *n = strdup(name);
	if (n != NULL)
		d->names[d->n++] = n;
}

static void dir_del(struct app_dir *d, const char *name)
{
	ssize_t i = d ? dir_find(d, name) : -1;
	if (i < 0)
		return;
	free(d->names[i]);
	d->names[i] = d->names[--d->n];
}

/* The kept listing of directory @path, if there is one (lists nothing). */
struct app_dir *guest_int_app_dir_cached(struct app_fs *a, const char *path)
{
	size_t len = strlen(path);
	for (size_t i = 0; i < a->ndirs; i++)
		if (strlen(a->dirs[i].key) == len &&
		    guest_name_eq(a->dirs[i].key, path))
			return &a->dirs[i];
	return NULL;
}

/* A zeroed slot at the end of the kept listings (not yet counted). */
static struct app_dir *dir_slot(struct app_fs *a)
{
	struct app_dir *v =
		hvo_int_grow(a->dirs, a->ndirs, &a->capdirs, sizeof(*v), 16);
	if (v == NULL)
		return NULL;
	a->dirs = v;
	struct app_dir *d = &a->dirs[a->ndirs];
	memset(d, 0, sizeof(*d));
	return d;
}

/*
 * The listing of directory @dir (a normalised guest path), made on first
 * use; NULL if it does not exist (or is not a directory).  @dir points
 * into a writable copy that is restored before returning.
 */
static struct app_dir *dir_get(struct app_fs *a, char *dir)
{
	struct app_dir *known = guest_int_app_dir_cached(a, dir);
	if (known != NULL)
		return known;
	size_t len = strlen(dir);
	char *real = NULL;
	if (len == 0) {
		real = strdup(a->mountpoint);
	} else {
		char *slash = strrchr(dir, '/');
		const char *base = slash ? slash + 1 : dir;
		if (slash)
			*slash = '\0';
		struct app_dir *parent = dir_get(a, slash ? dir : (char *)"");
		if (slash)
			*slash = '/';
		ssize_t k = parent ? dir_find(parent, base) : -1;
		if (k < 0 || asprintf(&real, "%s/%s", parent->real,
				      parent->names[k]) < 0)
			return NULL;
	}
	if (real == NULL)
		return NULL;
	char **list = guestfs_ls(a->s->g, real);
	if (list == NULL) {
		free(real);
		return NULL;
	}
	struct app_dir *d = dir_slot(a);
	if (d == NULL) {
		free(real);
		for (size_t i = 0; list[i] != NULL; i++)
			free(list[i]);
		free(list);
		return NULL;
	}
	d->key = lower_dup(dir, len);
	d->real = real;
	d->names = list;
	while (list[d->n] != NULL)
		d->n++;
	d->cap = d->n;
	if (d->key == NULL) {
		dir_free(d);
		return NULL;
	}
	a->ndirs++;
	return d;
}

/* A directory we just created: its listing is empty, no need to ask. */
void guest_int_app_dir_new_empty(struct app_fs *a, const char *path,
				 const char *real)
{
	struct app_dir *d = dir_slot(a);
	if (d == NULL)
		return; /* listed when first used */
	d->key = lower_dup(path, strlen(path));
	d->real = strdup(real);
	if (d->key == NULL || d->real == NULL) {
		dir_free(d);
		return;
	}
	a->ndirs++;
}

/*
 * Resolves a normalised guest path to its appliance path (*@full_ret,
 * caller frees), through the directory listings.  When @must_exist, a
 * missing path is GUEST_E_NOENT; *@exists_ret says whether it exists.
 * *@dir_ret (if not NULL) is the parent's listing, or NULL for the root.
 */
int guest_int_app_resolve_in(struct guest_fs *fs, const char *path,
			     bool must_exist, char **full_ret, bool *exists_ret,
			     struct app_dir **dir_ret)
{
	struct app_fs *a = A(fs);
	*full_ret = NULL;
	if (dir_ret)
		*dir_ret = NULL;
	if (path[0] == '\0') {
		*full_ret = strdup(a->mountpoint);
		if (exists_ret)
			*exists_ret = true;
		return *full_ret ? GUEST_OK
				 : guest_int_fs_fail(fs, GUEST_E_NOMEM,
						     "out of memory");
	}
	char *copy = strdup(path);
	if (copy == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
					 path);
	char *slash = strrchr(copy, '/');
	const char *base = slash ? slash + 1 : copy;
	if (slash)
		*slash = '\0';
	struct app_dir *d = dir_get(a, slash ? copy : (char *)"");
	if (d == NULL) {
		free(copy);
		return guest_int_fs_fail(fs, GUEST_E_NOENT,
					 "%s: no such file or directory", path);
	}
	ssize_t k = dir_find(d, base);
	if (must_exist && k < 0) {
		free(copy);
		return guest_int_fs_fail(fs, GUEST_E_NOENT,
					 "%s: no such file or directory", path);
	}
	int r = asprintf(full_ret, "%s/%s", d->real,
			 k >= 0 ? d->names[k] : base);
	free(copy);
	if (r < 0) {
		*full_ret = NULL;
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
					 path);
	}
	if (exists_ret)
		*exists_ret = k >= 0;
	if (dir_ret)
		*dir_ret = d;
	return GUEST_OK;
}

int guest_int_app_resolve_full(struct guest_fs *fs, const char *path,
			       bool must_exist, char **full_ret,
			       bool *exists_ret)
{
	return guest_int_app_resolve_in(fs, path, must_exist, full_ret,
					exists_ret, NULL);
}

/* The cached listing of @path's parent, if any (never lists anything),
 * and @path's last component in *@base_ret (points into *@copy_ret, which
 * the caller frees). */
struct app_dir *guest_int_app_cached_parent(struct app_fs *a, const char *path,
					    char **copy_ret,
					    const char **base_ret)
{
	char *copy = strdup(path);
	*copy_ret = copy;
	if (copy == NULL)
		return NULL;
	char *slash = strrchr(copy, '/');
	*base_ret = slash ? slash + 1 : copy;
	const char *dir = slash ? copy : "";
	if (slash)
		*slash = '\0';
	return guest_int_app_dir_cached(a, dir);
}

/* Keeps the listings current after we created (@added) or removed
 * @path. */
static void note(struct guest_fs *fs, const char *path, bool added)
{
	char *copy;
	const char *base;
	struct app_dir *d =
		guest_int_app_cached_parent(A(fs), path, &copy, &base);
	if (added)
		dir_add(d, base);
	else
		dir_del(d, base);
	free(copy);
	if (!added)
		guest_int_app_dir_forget(A(fs), path);
}

void guest_int_app_note_added(struct guest_fs *fs, const char *path)
{
	note(fs, path, true);
}

void guest_int_app_note_removed(struct guest_fs *fs, const char *path)
{
	note(fs, path, false);
}

enum guest_ftype guest_int_app_mode_type(int64_t mode)
{
	switch (mode & 0170000) {
	case 0100000:
		return GUEST_FT_FILE;
	case 0040000:
		return GUEST_FT_DIR;
	default:
		return GUEST_FT_OTHER;
	}
}

int guest_int_app_stat_full(struct guest_fs *fs, const char *path,
			    const char *full, struct guest_stat *st)
{
	guestfs_h *g = A(fs)->s->g;
	struct guestfs_statns *sn = guestfs_lstatns(g, full);
	if (sn == NULL)
		return guest_int_fs_fail(fs, g_class(g), "%s: %s", path,
					 g_msg(g));
	st->type = guest_int_app_mode_type(sn->st_mode);
	st->size = sn->st_size < 0 ? 0 : (uint64_t)sn->st_size;
	guestfs_free_statns(sn);
	return GUEST_OK;
}

/* Resolves an existing regular file. */
int guest_int_app_resolve_file(struct guest_fs *fs, const char *path,
			       char **full_ret, uint64_t *size_ret)
{
	int r = guest_int_app_resolve_full(fs, path, true, full_ret, NULL);
	if (r != GUEST_OK)
		return r;
	struct guest_stat st;
	r = guest_int_app_stat_full(fs, path, *full_ret, &st);
	if (r == GUEST_OK && st.type != GUEST_FT_FILE)
		r = guest_int_fs_fail(fs, GUEST_E_ISDIR,
				      "%s: not a regular file", path);
	if (r != GUEST_OK) {
		free(*full_ret);
		*full_ret = NULL;
		return r;
	}
	*size_ret = st.size;
	return GUEST_OK;
}

/*
 * native_path.c - names and paths on a libntfs-3g volume: UTF-8 and
 * UTF-16, directory listings, and the case-insensitive walk of a guest
 * path.
 *
 * libntfs-3g's own lookup (ntfs_inode_lookup_by_name) folds case only for
 * names in the Win32 namespace; names that ntfs-3g itself created (and so
 * every file the appliance ever wrote) are in the POSIX namespace and are
 * compared exactly.  Windows folds both.  So a component is found here in
 * the directory's listing, as hostdir.c does on the host: the exact
 * spelling wins, otherwise the first name equal without regard to case.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guest/native_int.h"

#include <ntfs-3g/reparse.h>

int native_int_to_utf16(const char *s, ntfschar **out_ret, int *len_ret)
{
	*out_ret = NULL;
	int n = ntfs_mbstoucs(s, out_ret);
	if (n < 0)
		return -1;
	/* NTFS names are at most 255 UTF-16 units (u8 name_len). */
	if (n > 255) {
		free(*out_ret);
		*out_ret = NULL;
		errno = ENAMETOOLONG;
		return -1;
	}
	*len_ret = n;
	return 0;
}

char *native_int_to_utf8(const ntfschar *s, int len)
{
	char *out = NULL;
	if (ntfs_ucstombs(s, len, &out, 0) < 0)
		return NULL;
	return out;
}

const char *native_int_why(int e)
{
	const char *m = native_int_ntfs_lastmsg();
	return m[0] != '\0' ? m : strerror(e);
}

bool native_int_is_dir(const ntfs_inode *ni)
{
	return (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0;
}

uint32_t native_int_reparse_tag(ntfs_inode *ni)
{
	if ((ni->flags & FILE_ATTR_REPARSE_POINT) == 0)
		return 0;
	REPARSE_POINT *rp = ntfs_get_reparse_point(ni);
	if (rp == NULL)
		return 0xffffffffu; /* a reparse point we cannot read */
	uint32_t tag = le32_to_cpu(rp->reparse_tag);
	free(rp);
	return tag;
}

/* ------------------------------------------------------------------ */
/* Directory listings.                                                 */
/* ------------------------------------------------------------------ */

static void dir_clear(struct native_dir *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->e[i].name);
	free(d->e);
	memset(d, 0, sizeof(*d));
}

struct fill_ctx {
	struct native_dir *d;
	u64 ino;
	int err;
};

static int fill(void *ctx, const ntfschar *name, const int name_len,
		const int name_type, const s64 pos, const MFT_REF mref,
		const unsigned dt_type)
{
	struct fill_ctx *c = ctx;
	struct native_dir *d = c->d;
	if (name_type == FILE_NAME_DOS)
		return 0; /* the 8.3 alias of a name listed anyway */
	/* The metadata files ($MFT, $Bitmap, ...) are records 0-15; the
	 * root lists itself as "." (record 5). */
	if (MREF(mref) < FILE_first_user)
		return 0;
	if (MREF(mref) == c->ino)
		return 0; /* "." */
	char *u = native_int_to_utf8(name, name_len);
	if (u == NULL) {
		c->err = errno ? errno : EILSEQ;
		return -1;
	}
	if (strcmp(u, ".") == 0 || strcmp(u, "..") == 0) {
		free(u);
		return 0;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct native_dent *e = realloc(d->e, cap * sizeof(*e));
		if (e == NULL) {
			free(u);
			c->err = ENOMEM;
			return -1;
		}
		d->e = e;
		d->cap = cap;
	}
	d->e[d->n].name = u;
	d->e[d->n].mref = mref;
	d->e[d->n].dt_type = dt_type;
	d->n++;
	return 0;
}

int native_int_dir_get(struct native_fs *nf, ntfs_inode *dir,
		       const struct native_dir **d_ret)
{
	for (size_t i = 0; i < NATIVE_DIRCACHE; i++) {
		if (nf->dirs[i].ino == dir->mft_no && dir->mft_no != 0) {
			*d_ret = &nf->dirs[i];
			return 0;
		}
	}
	struct native_dir *d = &nf->dirs[nf->next_slot];
	nf->next_slot = (nf->next_slot + 1) % NATIVE_DIRCACHE;
	dir_clear(d);
	struct fill_ctx c = { .d = d, .ino = dir->mft_no };
	s64 pos = 0;
	native_int_ntfs_lastmsg_clear();
	int r = ntfs_readdir(dir, &pos, &c, fill);
	if (r != 0 || c.err != 0) {
		int e = c.err ? c.err : errno ? errno : EIO;
		dir_clear(d);
		errno = e;
		return -1;
	}
	d->ino = dir->mft_no;
	*d_ret = d;
	return 0;
}

void native_int_dir_forget(struct native_fs *nf, u64 ino)
{
	for (size_t i = 0; i < NATIVE_DIRCACHE; i++)
		if (nf->dirs[i].ino == ino)
			dir_clear(&nf->dirs[i]);
}

void native_int_dircache_free(struct native_fs *nf)
{
	for (size_t i = 0; i < NATIVE_DIRCACHE; i++)
		dir_clear(&nf->dirs[i]);
}

int native_int_lookup(struct native_fs *nf, ntfs_inode *dir, const char *name,
		      MFT_REF *mref_ret, char **stored_ret)
{
	*mref_ret = 0;
	if (stored_ret != NULL)
		*stored_ret = NULL;
	const struct native_dir *d;
	if (native_int_dir_get(nf, dir, &d) != 0)
		return -1;
	const struct native_dent *best = NULL;
	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(d->e[i].name, name) == 0) {
			best = &d->e[i];
			break;
		}
		if (best == NULL && guest_name_eq(d->e[i].name, name))
			best = &d->e[i];
	}
	if (best == NULL)
		return 0;
	if (stored_ret != NULL) {
		*stored_ret = strdup(best->name);
		if (*stored_ret == NULL) {
			errno = ENOMEM;
			return -1;
		}
	}
	*mref_ret = best->mref;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Walking a path.                                                     */
/* ------------------------------------------------------------------ */

static int append(char **real, size_t *len, const char *name)
{
	size_t n = strlen(name);
	char *p = realloc(*real, *len + n + 2);
	if (p == NULL)
		return -1;
	if (*len > 0)
		p[(*len)++] = '/';
	memcpy(p + *len, name, n + 1);
	*len += n;
	*real = p;
	return 0;
}

int native_int_walk(struct native_fs *nf, const char *path, ntfs_inode **ni_ret,
		    char **real_ret)
{
	struct guest_fs *fs = &nf->base;
	*ni_ret = NULL;
	char *real = NULL;
	size_t rlen = 0;
	if (real_ret != NULL) {
		*real_ret = NULL;
		real = strdup("");
		if (real == NULL)
			return guest_int_fs_fail(fs, GUEST_E_NOMEM,
						 "out of memory");
	}
	ntfs_inode *ni = ntfs_inode_open(nf->vol, FILE_root);
	if (ni == NULL) {
		free(real);
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: root: %s",
					 fs->name, native_int_why(errno));
	}
	int r = GUEST_OK;
	const char *p = path;
	char comp[1024];
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n >= sizeof(comp)) {
			r = guest_int_fs_fail(fs, GUEST_E_PATH,
					      "%s: name too long", path);
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		if (*p == '/')
			p++;
		if (!native_int_is_dir(ni) || native_int_reparse_tag(ni) != 0) {
			/* A junction or symbolic link is not followed: a
			 * path never leaves the volume. */
			r = guest_int_fs_fail(fs, GUEST_E_NOTDIR,
					      "%s: not a directory", path);
			break;
		}
		MFT_REF mref;
		char *stored = NULL;
		if (native_int_lookup(nf, ni, comp, &mref,
				      real ? &stored : NULL) != 0) {
			int e = errno;
			r = guest_int_fs_fail(fs, guest_int_errno_class(e),
					      "%s: %s", path,
					      native_int_why(e));
			break;
		}
		if (mref == 0) {
			r = guest_int_fs_fail(fs, GUEST_E_NOENT,
					      "%s: no such file or directory",
					      path);
			break;
		}
		if (real != NULL && append(&real, &rlen, stored) != 0) {
			free(stored);
			r = guest_int_fs_fail(fs, GUEST_E_NOMEM,
					      "out of memory");
			break;
		}
		free(stored);
		ntfs_inode *child = ntfs_inode_open(nf->vol, mref);
		if (child == NULL) {
			int e = errno;
			r = guest_int_fs_fail(fs, GUEST_E_IO, "%s: %s", path,
					      native_int_why(e));
			break;
		}
		ntfs_inode_close(ni);
		ni = child;
	}
	if (r != GUEST_OK) {
		ntfs_inode_close(ni);
		free(real);
		return r;
	}
	*ni_ret = ni;
	if (real_ret != NULL)
		*real_ret = real;
	return GUEST_OK;
}

int native_int_walk_parent(struct native_fs *nf, const char *path,
			   struct native_parent *p)
{
	p->dir = NULL;
	const char *dir;
	int r = guest_int_path_split(path, &p->copy, &dir, &p->base);
	if (r != GUEST_OK)
		return guest_int_fs_fail(&nf->base, r, "out of memory");
	r = native_int_walk(nf, dir, &p->dir, NULL);
	if (r == GUEST_OK && !native_int_is_dir(p->dir))
		r = guest_int_fs_fail(&nf->base, GUEST_E_NOTDIR,
				      "%s: not a directory", dir);
	if (r != GUEST_OK)
		native_int_parent_close(p);
	return r;
}

void native_int_parent_close(struct native_parent *p)
{
	if (p->dir != NULL)
		ntfs_inode_close(p->dir);
	free(p->copy);
	p->dir = NULL;
	p->copy = NULL;
	p->base = NULL;
}

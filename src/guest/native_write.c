/*
 * native_write.c - the writing half of a guest_fs on libntfs-3g: new
 * files, atomic replacement, directories, rename, remove, sync.
 *
 * Inodes are opened by MFT number for each step and closed after it:
 * without libntfs-3g's inode cache, two open structures for one record
 * would overwrite each other's changes.  Names are created in the POSIX
 * namespace, as ntfs-3g's FUSE driver creates them (Windows reads them;
 * they only lack an 8.3 alias).
 *
 * Security descriptors: ntfs_create() with security id 0 gives a new file
 * an "Everyone: full control" descriptor.  Here a new file or directory
 * gets the descriptor it inherits from its parent directory
 * (ntfs_inherited_id), which is what Windows gives a file created there.
 *
 * Rename: libntfs-3g has none; as in the FUSE driver, an existing target
 * is deleted, the source gets a link under the new name, and the old name
 * is deleted.  A file stored with system compression (CompactOS, the
 * Windows Overlay Filter) is never replaced: the new content would land
 * in a stream Windows does not read while WOF still points at the old.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guest/native_int.h"

#define NATIVE_WCHUNK (1024u * 1024)

static int wfail(struct guest_fs *fs, int e, const char *path)
{
	return guest_int_fs_fail(fs, guest_int_errno_class(e), "%s: %s", path,
				 native_int_why(e));
}

int native_int_op_begin(struct native_fs *nf)
{
	if (native_int_dev_op_begin(nf->vol->dev) != 0)
		return guest_int_fs_fail(&nf->base, GUEST_E_IO, "%s",
					 native_int_dev_errmsg(nf->vol->dev));
	return GUEST_OK;
}

/* The security id a new object in @dir inherits (0: libntfs-3g's
 * default, for volumes without $Secure). */
static le32 inherited(struct native_fs *nf, ntfs_inode *dir, bool isdir)
{
	if (!nf->secure_open)
		return 0;
	return ntfs_inherited_id(&nf->scx, dir, isdir ? TRUE : FALSE);
}

/* A new file or (@isdir) directory @base in @dir, with the descriptor it
 * inherits: its open inode, or NULL with *@r set to the failure (@path
 * names it).  The directory's listing is forgotten either way. */
static ntfs_inode *create_in(struct native_fs *nf, ntfs_inode *dir,
			     const char *base, const char *path, bool isdir,
			     int *r)
{
	ntfschar *u;
	int ulen;
	if (native_int_to_utf16(base, &u, &ulen) != 0) {
		*r = wfail(&nf->base, errno, path);
		return NULL;
	}
	ntfs_inode *ni = ntfs_create(dir, inherited(nf, dir, isdir), u,
				     (u8)ulen, isdir ? S_IFDIR : S_IFREG);
	if (ni == NULL)
		*r = wfail(&nf->base, errno, path);
	free(u);
	native_int_dir_forget(nf, dir->mft_no);
	nf->dirty = true;
	return ni;
}

/* Whether @ni may have its content replaced; the reason on @fs if not. */
static int replaceable(struct guest_fs *fs, ntfs_inode *ni, const char *path)
{
	uint32_t tag = native_int_reparse_tag(ni);
	if (native_int_is_dir(ni))
		return guest_int_fs_fail(fs, GUEST_E_ISDIR,
					 "%s: is a directory", path);
	if (tag == NATIVE_REPARSE_TAG_WOF)
		return guest_int_fs_fail(fs, GUEST_E_SYSCOMPRESSED,
					 "%s: stored with Windows system "
					 "compression (CompactOS); refusing "
					 "to replace it",
					 path);
	if (tag != 0)
		return guest_int_fs_fail(fs, GUEST_E_UNSUPPORTED,
					 "%s: a reparse point (tag 0x%08x); "
					 "refusing to replace it",
					 path, tag);
	if (ni->flags & FILE_ATTR_ENCRYPTED)
		return guest_int_fs_fail(fs, GUEST_E_UNSUPPORTED,
					 "%s: encrypted (EFS); refusing to "
					 "replace it",
					 path);
	return GUEST_OK;
}

/* Writes @len bytes of @data, or all of host file @host_fd, to @na from
 * offset 0, then cuts it there. */
static int fill_data(struct guest_fs *fs, const char *path, ntfs_attr *na,
		     const void *data, size_t len, int host_fd)
{
	if (ntfs_attr_truncate(na, 0) != 0)
		return wfail(fs, errno, path);
	uint8_t *buf = NULL;
	if (host_fd >= 0) {
		buf = malloc(NATIVE_WCHUNK);
		if (buf == NULL)
			return guest_int_fs_fail(fs, GUEST_E_NOMEM,
						 "out of memory");
	}
	uint64_t off = 0;
	int r = GUEST_OK;
	/* Its data in clusters free before this operation go unlogged
	 * (native_int_dev_data): a large file still lands whole. */
	struct ntfs_device *dev = na->ni->vol->dev;
	native_int_dev_data(dev, na->ni->vol);
	for (;;) {
		const uint8_t *p;
		size_t n;
		if (host_fd >= 0) {
			ssize_t got = read(host_fd, buf, NATIVE_WCHUNK);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				r = guest_int_fs_fail(fs, GUEST_E_IO,
						      "%s: reading the host "
						      "file: %s",
						      path, strerror(errno));
				break;
			}
			p = buf;
			n = (size_t)got;
		} else {
			p = (const uint8_t *)data + off;
			n = len - (size_t)off;
			if (n > NATIVE_WCHUNK)
				n = NATIVE_WCHUNK;
		}
		if (n == 0)
			break;
		/* ntfs_attr_pwrite may write less than asked (compressed
		 * attributes); loop, as wimlib's ntfs_3g_full_pwrite. */
		size_t done = 0;
		while (done < n) {
			s64 w = ntfs_attr_pwrite(na, (s64)(off + done),
						 (s64)(n - done), p + done);
			if (w <= 0) {
				r = wfail(fs, w < 0 ? errno : EIO, path);
				break;
			}
			done += (size_t)w;
		}
		if (r != GUEST_OK)
			break;
		off += n;
	}
	native_int_dev_data(dev, NULL);
	free(buf);
	if (r == GUEST_OK && na->data_size != (s64)off &&
	    ntfs_attr_truncate(na, (s64)off) != 0)
		r = wfail(fs, errno, path);
	return r;
}

/*
 * Opens the file a directory entry names, checking the entry's sequence
 * number: an entry whose record was freed, or freed and reused for
 * another file, opens as ENOENT, never as that other file.
 */
static ntfs_inode *open_entry(struct native_fs *nf, MFT_REF mref)
{
	ntfs_inode *ni = ntfs_inode_open(nf->vol, MREF(mref));
	if (ni == NULL)
		return NULL;
	u16 seq = MSEQNO(mref);
	if (seq != 0 && seq != le16_to_cpu(ni->mrec->sequence_number)) {
		ntfs_inode_close(ni);
		errno = ENOENT;
		return NULL;
	}
	return ni;
}

/* Whether @name is one of our own temporary names (".X.hvo-..."). */
static bool our_temp_name(const char *name)
{
	return name[0] == '.' && strstr(name, ".hvo-") != NULL;
}

/*
 * Removes a dangling entry @stored of directory @dir: one that names a
 * file record that cannot be opened.  A run killed while staging leaves
 * such entries (libntfs-3g journals no metadata: the entry reached the
 * disk, the new file's record did not), and every later run would stop
 * on the name.  Only our own temporary names are repaired; the record
 * itself is left to chkdsk (at worst a record marked in use that nothing
 * names).
 */
static int drop_dangling(struct native_fs *nf, ntfs_inode *dir,
			 const char *stored)
{
	ntfschar *u;
	int ulen;
	if (native_int_to_utf16(stored, &u, &ulen) != 0)
		return -1;
	size_t klen = offsetof(FILE_NAME_ATTR, file_name) +
		      (size_t)ulen * sizeof(ntfschar);
	FILE_NAME_ATTR *fn = calloc(1, klen);
	if (fn == NULL) {
		free(u);
		errno = ENOMEM;
		return -1;
	}
	fn->parent_directory = MK_LE_MREF(
		dir->mft_no, le16_to_cpu(dir->mrec->sequence_number));
	fn->file_name_length = (u8)ulen;
	fn->file_name_type = FILE_NAME_POSIX;
	memcpy(fn->file_name, u, (size_t)ulen * sizeof(ntfschar));
	free(u);
	/* @dir stands for the entry's inode only if the entry claims to be
	 * a reparse point: then the removal is refused (EOPNOTSUPP). */
	int r = ntfs_index_remove(dir, dir, fn, (int)klen) == 0 ? 0 : -1;
	free(fn);
	native_int_dir_forget(nf, dir->mft_no);
	nf->dirty = true;
	return r;
}

/* Whether the unnamed data attribute of @ni opens. */
static bool data_readable(ntfs_inode *ni)
{
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (na == NULL)
		return false;
	ntfs_attr_close(na);
	return true;
}

/* Creates (or opens, to replace) file @base in directory @dir_no. */
static int open_target(struct native_fs *nf, const char *path, u64 dir_no,
		       const char *base, ntfs_inode **ni_ret)
{
	struct guest_fs *fs = &nf->base;
	*ni_ret = NULL;
	ntfs_inode *dir = ntfs_inode_open(nf->vol, dir_no);
	if (dir == NULL)
		return wfail(fs, errno, path);
	MFT_REF mref;
	char *stored = NULL;
	int r = GUEST_OK;
	if (native_int_lookup(nf, dir, base, &mref, &stored) != 0) {
		r = wfail(fs, errno, path);
	} else if (mref != 0) {
		ntfs_inode *ni = open_entry(nf, mref);
		if (ni != NULL && our_temp_name(stored) && !data_readable(ni)) {
			/* Torn by a killed run: its record is there, its
			 * data attribute does not read. */
			ntfs_inode_close(ni);
			ni = NULL;
		}
		if (ni == NULL && our_temp_name(stored) &&
		    drop_dangling(nf, dir, stored) == 0)
			mref = 0; /* gone: created afresh below */
		else if (ni == NULL)
			r = wfail(fs, errno, path);
		else if ((r = replaceable(fs, ni, path)) != GUEST_OK) {
			ntfs_inode_close(ni);
		} else {
			*ni_ret = ni;
		}
	}
	free(stored);
	if (r == GUEST_OK && mref == 0)
		*ni_ret = create_in(nf, dir, base, path, false, &r);
	ntfs_inode_close(dir);
	return r;
}

static int write_one_txn(struct native_fs *nf, const char *path,
			 const void *data, size_t len, const char *host_path)
{
	struct guest_fs *fs = &nf->base;
	int host_fd = -1;
	if (host_path != NULL) {
		host_fd = open(host_path, O_RDONLY | O_CLOEXEC);
		if (host_fd < 0)
			return guest_int_fs_fail(
				fs, guest_int_errno_class(errno), "%s: %s",
				host_path, strerror(errno));
	}
	struct native_parent pp;
	int r = native_int_walk_parent(nf, path, &pp);
	if (r == GUEST_OK) {
		u64 dir_no = pp.dir->mft_no;
		ntfs_inode_close(pp.dir);
		pp.dir = NULL;
		ntfs_inode *ni;
		r = open_target(nf, path, dir_no, pp.base, &ni);
		if (r == GUEST_OK) {
			nf->dirty = true;
			ntfs_attr *na =
				ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
			if (na == NULL) {
				r = wfail(fs, errno, path);
			} else {
				r = fill_data(fs, path, na, data, len, host_fd);
				ntfs_attr_close(na);
			}
			if (ntfs_inode_close(ni) != 0 && r == GUEST_OK)
				r = wfail(fs, errno, path);
		}
		native_int_parent_close(&pp);
	}
	if (host_fd >= 0)
		close(host_fd);
	return r;
}

/*
 * One file written whole, as one operation (native_int_op_begin): its
 * record, its directory entry and its data reach the image together, so
 * a kill leaves the file as it was or complete, whatever its size: its
 * data goes to clusters that were free when the operation began, which
 * are written unlogged (native_int_dev_data), so only its metadata is
 * held in the log (tests/guest/test_native_atomic).  Only data written
 * over clusters this same transaction freed (a file rewritten under the
 * name it has) is logged; when that outgrows half the log (vhdx.h), the
 * groups reach the image in libntfs-3g's order of writes, the record and
 * entry in the first, and a kill can leave a complete entry and record
 * with part of the data, which the next run replaces (the engine writes
 * new names: staged files, atomic replacement through a temporary name).
 */
static int write_one(struct native_fs *nf, const char *path, const void *data,
		     size_t len, const char *host_path)
{
	int r = native_int_op_begin(nf);
	if (r != GUEST_OK)
		return r;
	return write_one_txn(nf, path, data, len, host_path);
}

int native_int_fs_write_new(struct guest_fs *fs, const char *path,
			    const void *data, size_t len, const char *host_path)
{
	native_int_ntfs_lastmsg_clear();
	return write_one(native_int_fs(fs), path, data, len, host_path);
}

int native_int_fs_put_many(struct guest_fs *fs, const struct guest_put *items,
			   size_t n)
{
	native_int_ntfs_lastmsg_clear();
	for (size_t i = 0; i < n; i++) {
		int r = write_one(native_int_fs(fs), items[i].path,
				  items[i].data, items[i].len,
				  items[i].host_path);
		if (r != GUEST_OK)
			return r;
	}
	return GUEST_OK;
}

int native_int_fs_sync(struct guest_fs *fs)
{
	struct native_fs *nf = native_int_fs(fs);
	struct ntfs_device *dev = nf->vol->dev;
	/* Every inode was closed (and so written) after its operation;
	 * what is left is making the image durable. */
	NDevSetDirty(dev);
	if (dev->d_ops->sync(dev) != 0)
		return guest_int_fs_fail(fs, GUEST_E_IO, "%s: flush: %s",
					 fs->name, native_int_why(errno));
	nf->dirty = false;
	return GUEST_OK;
}

/* Deletes name @stored (UTF-8) of @ni_no in directory @dir_no. */
static int delete_name(struct native_fs *nf, const char *path, u64 ni_no,
		       ntfs_inode *ni, u64 dir_no, const char *stored)
{
	struct guest_fs *fs = &nf->base;
	ntfschar *u;
	int ulen;
	if (native_int_to_utf16(stored, &u, &ulen) != 0) {
		if (ni != NULL)
			ntfs_inode_close(ni);
		return wfail(fs, errno, path);
	}
	if (ni == NULL)
		ni = ntfs_inode_open(nf->vol, ni_no);
	if (ni == NULL && our_temp_name(stored)) {
		/* A dangling temporary name (see drop_dangling). */
		free(u);
		ntfs_inode *dir = ntfs_inode_open(nf->vol, dir_no);
		int r = dir != NULL && drop_dangling(nf, dir, stored) == 0
				? GUEST_OK
				: wfail(fs, errno, path);
		if (dir != NULL && ntfs_inode_close(dir) != 0 && r == GUEST_OK)
			r = wfail(fs, errno, path);
		return r;
	}
	ntfs_inode *dir = ni ? ntfs_inode_open(nf->vol, dir_no) : NULL;
	int r = GUEST_OK;
	if (ni == NULL || dir == NULL) {
		r = wfail(fs, errno, path);
		if (ni != NULL)
			ntfs_inode_close(ni);
	} else if (ntfs_delete(nf->vol, NULL, ni, dir, u, (u8)ulen) != 0) {
		/* ntfs_delete() closes both inodes, even on failure. */
		int e = errno;
		ntfs_inode *d = our_temp_name(stored)
					? ntfs_inode_open(nf->vol, dir_no)
					: NULL;
		/* A temporary name torn by a killed run: unlinked from its
		 * directory, its record left to chkdsk (see drop_dangling). */
		if (d != NULL && drop_dangling(nf, d, stored) == 0)
			r = ntfs_inode_close(d) == 0 ? GUEST_OK
						     : wfail(fs, errno, path);
		else {
			if (d != NULL)
				ntfs_inode_close(d);
			r = wfail(fs, e, path);
		}
	}
	free(u);
	native_int_dir_forget(nf, dir_no);
	nf->dirty = true;
	return r;
}

/* Where a path's last component is: the parent directory's number, the
 * name as that directory stores it (as asked when it is missing) and its
 * reference (0 when it is missing).  Freed with located_free(). */
struct located {
	u64 dir;
	MFT_REF ref;
	char *name;
};

static void located_free(struct located *l)
{
	free(l->name);
	l->name = NULL;
}

/* Fills @l for @path (rename, remove and the atomic replace open with
 * it); with @must_exist, a missing name is GUEST_E_NOENT. */
static int locate(struct native_fs *nf, const char *path, bool must_exist,
		  struct located *l)
{
	memset(l, 0, sizeof(*l));
	struct native_parent pp;
	int r = native_int_walk_parent(nf, path, &pp);
	if (r != GUEST_OK)
		return r;
	l->dir = pp.dir->mft_no;
	if (native_int_lookup(nf, pp.dir, pp.base, &l->ref, &l->name) != 0)
		r = wfail(&nf->base, errno, path);
	else if (l->ref == 0)
		l->name = strdup(pp.base);
	if (r == GUEST_OK && l->name == NULL)
		r = guest_int_fs_fail(&nf->base, GUEST_E_NOMEM,
				      "out of memory");
	native_int_parent_close(&pp);
	if (r == GUEST_OK && must_exist && l->ref == 0)
		r = guest_int_fs_fail(&nf->base, GUEST_E_NOENT,
				      "%s: no such file or directory", path);
	return r;
}

static int rename_txn(struct guest_fs *fs, const char *from, const char *to)
{
	struct native_fs *nf = native_int_fs(fs);
	native_int_ntfs_lastmsg_clear();
	struct located f, t = { 0 };
	int r = locate(nf, from, true, &f);
	if (r == GUEST_OK)
		r = locate(nf, to, false, &t);
	if (r != GUEST_OK)
		goto out;
	if (MREF(t.ref) == MREF(f.ref) && t.dir == f.dir &&
	    strcmp(f.name, t.name) == 0)
		goto out; /* the same name */
	if (t.ref != 0 && MREF(t.ref) != MREF(f.ref)) {
		ntfs_inode *tni = ntfs_inode_open(nf->vol, MREF(t.ref));
		if (tni == NULL) {
			r = wfail(fs, errno, to);
			goto out;
		}
		if (native_int_is_dir(tni)) {
			ntfs_inode_close(tni);
			r = guest_int_fs_fail(fs, GUEST_E_EXIST,
					      "%s: a directory is in the way",
					      to);
			goto out;
		}
		r = replaceable(fs, tni, to);
		if (r != GUEST_OK) {
			ntfs_inode_close(tni);
			goto out;
		}
		r = delete_name(nf, to, MREF(t.ref), tni, t.dir, t.name);
		if (r != GUEST_OK)
			goto out;
	}
	/* The new name: the one asked for, unless only its case differs
	 * from an existing name of the same file (then that is dropped
	 * below and this one takes its place). */
	const char *slash = strrchr(to, '/');
	const char *newname = slash ? slash + 1 : to;
	ntfschar *u;
	int ulen;
	if (native_int_to_utf16(newname, &u, &ulen) != 0) {
		r = wfail(fs, errno, to);
		goto out;
	}
	ntfs_inode *ni = ntfs_inode_open(nf->vol, MREF(f.ref));
	ntfs_inode *dir = ni ? ntfs_inode_open(nf->vol, t.dir) : NULL;
	if (ni == NULL || dir == NULL || ntfs_link(ni, dir, u, (u8)ulen) != 0)
		r = wfail(fs, errno, to);
	free(u);
	if (dir != NULL && ntfs_inode_close(dir) != 0 && r == GUEST_OK)
		r = wfail(fs, errno, to);
	native_int_dir_forget(nf, t.dir);
	nf->dirty = true;
	if (r != GUEST_OK) {
		if (ni != NULL)
			ntfs_inode_close(ni);
		goto out;
	}
	r = delete_name(nf, from, MREF(f.ref), ni, f.dir, f.name);
out:
	located_free(&f);
	located_free(&t);
	return r;
}

static int remove_txn(struct guest_fs *fs, const char *path)
{
	struct native_fs *nf = native_int_fs(fs);
	native_int_ntfs_lastmsg_clear();
	struct located l;
	int r = locate(nf, path, true, &l);
	if (r == GUEST_OK)
		r = delete_name(nf, path, MREF(l.ref), NULL, l.dir, l.name);
	located_free(&l);
	return r;
}

static int mkdir_txn(struct guest_fs *fs, const char *path)
{
	struct native_fs *nf = native_int_fs(fs);
	native_int_ntfs_lastmsg_clear();
	struct native_parent pp;
	int r = native_int_walk_parent(nf, path, &pp);
	if (r != GUEST_OK)
		return r;
	ntfs_inode *ni = create_in(nf, pp.dir, pp.base, path, true, &r);
	if (ni != NULL && ntfs_inode_close(ni) != 0)
		r = wfail(fs, errno, path);
	native_int_parent_close(&pp);
	return r;
}

/* rename, remove and mkdir, each one operation (native_int_op_begin). */
enum op_kind { OP_RENAME, OP_REMOVE, OP_MKDIR };

static int run_op(struct guest_fs *fs, enum op_kind kind, const char *a,
		  const char *b)
{
	struct native_fs *nf = native_int_fs(fs);
	int r = native_int_op_begin(nf);
	if (r != GUEST_OK)
		return r;
	switch (kind) {
	case OP_RENAME:
		r = rename_txn(fs, a, b);
		break;
	case OP_REMOVE:
		r = remove_txn(fs, a);
		break;
	case OP_MKDIR:
		r = mkdir_txn(fs, a);
		break;
	}
	return r;
}

int native_int_fs_rename(struct guest_fs *fs, const char *from, const char *to)
{
	return run_op(fs, OP_RENAME, from, to);
}

int native_int_fs_remove(struct guest_fs *fs, const char *path)
{
	return run_op(fs, OP_REMOVE, path, NULL);
}

int native_int_fs_mkdir(struct guest_fs *fs, const char *path)
{
	return run_op(fs, OP_MKDIR, path, NULL);
}

/* Writes @path through a temporary name beside it: content, flush,
 * rename.  A crash leaves the old file or the new one. */
static int replace_atomic(struct guest_fs *fs, const char *path,
			  const void *data, size_t len, const char *host_path)
{
	struct native_fs *nf = native_int_fs(fs);
	native_int_ntfs_lastmsg_clear();
	/* Refuse what cannot be replaced before writing anything. */
	struct located l;
	int r = locate(nf, path, false, &l);
	if (r == GUEST_OK && l.ref != 0) {
		ntfs_inode *ni = ntfs_inode_open(nf->vol, MREF(l.ref));
		if (ni == NULL) {
			r = wfail(fs, errno, path);
		} else {
			r = replaceable(fs, ni, path);
			ntfs_inode_close(ni);
		}
	}
	located_free(&l);
	if (r != GUEST_OK)
		return r;
	char *copy;
	const char *dname, *base;
	r = guest_int_path_split(path, &copy, &dname, &base);
	if (r != GUEST_OK)
		return guest_int_fs_fail(fs, r, "out of memory");
	char *tmp = guest_int_tmp_name(base);
	char *tmp_path = NULL;
	if (tmp == NULL || asprintf(&tmp_path, "%s%s%s", dname,
				    dname[0] ? "/" : "", tmp) < 0) {
		tmp_path = NULL;
		r = guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	}
	if (r == GUEST_OK)
		r = write_one(nf, tmp_path, data, len, host_path);
	/* The content before the rename: on a VHDX the two operations
	 * reach the image in their order (one transaction, or its groups
	 * in order), so no sync is needed between them; a raw file has no
	 * such order. */
	if (r == GUEST_OK && !native_int_dev_ordered(nf->vol->dev))
		r = native_int_fs_sync(fs);
	if (r == GUEST_OK)
		r = native_int_fs_rename(fs, tmp_path, path);
	if (r != GUEST_OK && tmp_path != NULL) {
		/* Keep the first error's message. */
		char keep[GUEST_ERROR_MAX];
		memcpy(keep, fs->error, sizeof(keep));
		native_int_fs_remove(fs, tmp_path);
		memcpy(fs->error, keep, sizeof(keep));
	}
	free(tmp_path);
	free(tmp);
	free(copy);
	return r;
}

int native_int_fs_write_atomic(struct guest_fs *fs, const char *path,
			       const void *data, size_t len)
{
	return replace_atomic(fs, path, data, len, NULL);
}

int native_int_fs_copy_in_atomic(struct guest_fs *fs, const char *host_path,
				 const char *path)
{
	return replace_atomic(fs, path, NULL, 0, host_path);
}

/*
 * native_ext.c - an ext2/3/4 volume as a read-only guest_fs, through
 * libext2fs with an io_manager of our own that reads the volume's byte
 * range of the image through native_io.c (see native_ext.h for why
 * libext2fs).
 *
 * The volume is opened without EXT2_FLAG_RW: libext2fs then writes
 * nothing (our io_manager would refuse it anyway), replays no journal,
 * and accepts read-only-compatible features it does not know.  A journal
 * that needs recovery (a guest that was not shut down cleanly) is not
 * replayed: what is read is the state of the main filesystem, which the
 * caller may report as possibly stale.
 *
 * Symbolic links: ext2fs_namei() follows links in the middle of a path
 * and ext2fs_namei_follow() the last one too, resolving an absolute
 * target from the root inode we pass it (EXT2_ROOT_INO), so a link never
 * leads out of the volume; it gives up after EXT2FS_MAX_NESTED_LINKS.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "guest/native_ext.h"
#include "guest/native_int.h"
#include "guest/native_ro.h"
#include "util/bytes.h"

/* Bytes moved per libext2fs call when streaming a file. */
#define EXT_CHUNK (256u * 1024)

/* Longest symbolic link target (PATH_MAX, which Linux also uses). */
#define EXT_MAX_LINK 4096u

/* ------------------------------------------------------------------ */
/* Probe.                                                              */
/* ------------------------------------------------------------------ */

/* Superblock fields (Documentation/filesystems/ext4/super.rst). */
#define SB_MAGIC	     0x38
#define SB_FEATURE_COMPAT    0x5c
#define SB_FEATURE_INCOMP    0x60
#define SB_FEATURE_RO	     0x64
#define EXT_MAGIC	     0xef53u
#define COMPAT_HAS_JOURNAL   0x4u
#define INCOMPAT_JOURNAL_DEV 0x8u
/* What ext3 knows: filetype, recover, meta_bg; sparse_super, large_file,
 * btree_dir.  Anything else makes it ext4 (libblkid's ext.c rule). */
#define EXT3_INCOMPAT_KNOWN 0x16u
#define EXT3_RO_KNOWN	    0x7u

const char *native_int_ext_probe(const uint8_t *sb, size_t len)
{
	if (len < SB_FEATURE_RO + 4 || get_le16(sb + SB_MAGIC) != EXT_MAGIC)
		return NULL;
	uint32_t compat = get_le32(sb + SB_FEATURE_COMPAT);
	uint32_t incompat = get_le32(sb + SB_FEATURE_INCOMP);
	uint32_t ro = get_le32(sb + SB_FEATURE_RO);
	if (incompat & INCOMPAT_JOURNAL_DEV)
		return "jbd";
	if ((incompat & ~EXT3_INCOMPAT_KNOWN) != 0 ||
	    (ro & ~EXT3_RO_KNOWN) != 0)
		return "ext4";
	if (compat & COMPAT_HAS_JOURNAL)
		return "ext3";
	return "ext2";
}

/* ------------------------------------------------------------------ */
/* The io_manager: a byte range of an image, read-only.                */
/* ------------------------------------------------------------------ */

struct ext_range {
	struct native_img *img;
	uint64_t start, size;
};

/* libext2fs passes the io_manager nothing but a name: ours carries the
 * address of the range ("hvo-ext:%p"), which only this file makes. */
#define EXT_NAME_PREFIX "hvo-ext:"

static struct struct_io_manager ext_io_manager;

static errcode_t io_open(const char *name, int flags, io_channel *channel)
{
	void *p = NULL;
	if (name == NULL ||
	    strncmp(name, EXT_NAME_PREFIX, strlen(EXT_NAME_PREFIX)) != 0 ||
	    sscanf(name + strlen(EXT_NAME_PREFIX), "%p", &p) != 1 || p == NULL)
		return EXT2_ET_BAD_DEVICE_NAME;
	if (flags & IO_FLAG_RW)
		return EROFS;
	io_channel ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return EXT2_ET_NO_MEMORY;
	ch->name = strdup(name);
	if (ch->name == NULL) {
		free(ch);
		return EXT2_ET_NO_MEMORY;
	}
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = &ext_io_manager;
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->private_data = p;
	*channel = ch;
	return 0;
}

static errcode_t io_close(io_channel ch)
{
	if (--ch->refcount > 0)
		return 0;
	free(ch->name);
	free(ch);
	return 0;
}

static errcode_t io_set_blksize(io_channel ch, int blksize)
{
	if (blksize <= 0)
		return EXT2_ET_INVALID_ARGUMENT;
	ch->block_size = blksize;
	return 0;
}

/* A negative @count is a byte count (ext2_io.h), else a block count. */
static errcode_t io_read64(io_channel ch, unsigned long long block, int count,
			   void *data)
{
	struct ext_range *r = ch->private_data;
	uint64_t len = count < 0 ? (uint64_t) - (int64_t)count
				 : (uint64_t)count * (uint64_t)ch->block_size;
	if (block > UINT64_MAX / (uint64_t)ch->block_size)
		return EXT2_ET_LLSEEK_FAILED;
	uint64_t off = block * (uint64_t)ch->block_size;
	if (off > r->size || len > r->size - off) {
		/* Past the end of the volume: never into the next one. */
		memset(data, 0, len);
		return EXT2_ET_SHORT_READ;
	}
	if (native_int_img_pread(r->img, data, (size_t)len, r->start + off) !=
	    0)
		return errno != 0 ? errno : EIO;
	return 0;
}

static errcode_t io_read(io_channel ch, unsigned long block, int count,
			 void *data)
{
	return io_read64(ch, block, count, data);
}

/* Parameters a callback must take and does not use. */
#define UNUSED __attribute__((unused))

/* Writes never reach the image: the volume is opened read-only. */
static errcode_t io_write(io_channel ch UNUSED, unsigned long block UNUSED,
			  int count UNUSED, const void *data UNUSED)
{
	return EROFS;
}

static errcode_t io_write64(io_channel ch UNUSED,
			    unsigned long long block UNUSED, int count UNUSED,
			    const void *data UNUSED)
{
	return EROFS;
}

static errcode_t io_write_byte(io_channel ch UNUSED,
			       unsigned long offset UNUSED, int count UNUSED,
			       const void *data UNUSED)
{
	return EROFS;
}

static errcode_t io_flush(io_channel ch UNUSED)
{
	return 0;
}

static errcode_t io_set_option(io_channel ch UNUSED, const char *option UNUSED,
			       const char *arg UNUSED)
{
	return EXT2_ET_INVALID_ARGUMENT;
}

static struct struct_io_manager ext_io_manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "hvoffline image range",
	.open = io_open,
	.close = io_close,
	.set_blksize = io_set_blksize,
	.read_blk = io_read,
	.write_blk = io_write,
	.flush = io_flush,
	.write_byte = io_write_byte,
	.set_option = io_set_option,
	.read_blk64 = io_read64,
	.write_blk64 = io_write64,
};

/* ------------------------------------------------------------------ */
/* The filesystem.                                                     */
/* ------------------------------------------------------------------ */

struct ext_fs {
	struct guest_fs base;
	ext2_filsys fs;
	struct ext_range range;
};

static struct ext_fs *EF(struct guest_fs *fs)
{
	return (struct ext_fs *)fs;
}

static const char *why_ext(errcode_t e)
{
	return error_message(e);
}

static int class_of(errcode_t e)
{
	switch (e) {
	case EXT2_ET_FILE_NOT_FOUND:
	case EXT2_ET_SYMLINK_LOOP:
		return GUEST_E_NOENT;
	case EXT2_ET_NO_DIRECTORY:
		return GUEST_E_NOTDIR;
	case EXT2_ET_NO_MEMORY:
		return GUEST_E_NOMEM;
	default:
		return GUEST_E_IO;
	}
}

/* The inode of @path ("" is the root), the last link followed when
 * @follow. */
static int lookup(struct ext_fs *ef, const char *path, bool follow,
		  ext2_ino_t *ino_ret, struct ext2_inode *inode)
{
	ext2_ino_t ino = EXT2_ROOT_INO;
	errcode_t e = 0;
	if (path[0] != '\0')
		e = follow ? ext2fs_namei_follow(ef->fs, EXT2_ROOT_INO,
						 EXT2_ROOT_INO, path, &ino)
			   : ext2fs_namei(ef->fs, EXT2_ROOT_INO, EXT2_ROOT_INO,
					  path, &ino);
	if (e == 0)
		e = ext2fs_read_inode(ef->fs, ino, inode);
	if (e != 0)
		return guest_int_fs_fail(&ef->base, class_of(e), "%s: %s", path,
					 why_ext(e));
	*ino_ret = ino;
	return GUEST_OK;
}

/* lookup() of a path that must be of type @type (LINUX_S_IFREG,
 * LINUX_S_IFDIR or LINUX_S_IFLNK). */
static int lookup_as(struct ext_fs *ef, const char *path, bool follow,
		     unsigned type, ext2_ino_t *ino_ret,
		     struct ext2_inode *inode)
{
	int r = lookup(ef, path, follow, ino_ret, inode);
	if (r != GUEST_OK || (inode->i_mode & LINUX_S_IFMT) == type)
		return r;
	if (type == LINUX_S_IFDIR)
		return guest_int_fs_fail(&ef->base, GUEST_E_NOTDIR,
					 "%s: not a directory", path);
	if (type == LINUX_S_IFREG && LINUX_S_ISDIR(inode->i_mode))
		return guest_int_fs_fail(&ef->base, GUEST_E_ISDIR,
					 "%s: is a directory", path);
	return guest_int_fs_fail(
		&ef->base, GUEST_E_UNSUPPORTED, "%s: not a %s", path,
		type == LINUX_S_IFLNK ? "symbolic link" : "regular file");
}

static int ext_resolve(struct guest_fs *fs, const char *path,
		       bool may_be_missing, char **real_ret)
{
	struct ext_fs *ef = EF(fs);
	ext2_ino_t ino;
	struct ext2_inode inode;
	*real_ret = NULL;
	int r = lookup(ef, path, false, &ino, &inode);
	if (r == GUEST_E_NOENT && may_be_missing) {
		/* The parent must be there. */
		char *copy;
		const char *dir, *base;
		if (guest_int_path_split(path, &copy, &dir, &base) != GUEST_OK)
			return guest_int_fs_fail(fs, GUEST_E_NOMEM,
						 "out of memory");
		r = lookup(ef, dir, true, &ino, &inode);
		free(copy);
		if (r == GUEST_OK && !LINUX_S_ISDIR(inode.i_mode))
			r = guest_int_fs_fail(fs, GUEST_E_NOTDIR,
					      "%s: not a directory", path);
	}
	if (r != GUEST_OK)
		return r;
	/* Names are case-sensitive: the stored spelling is the one asked. */
	*real_ret = strdup(path);
	return *real_ret
		       ? GUEST_OK
		       : guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
}

static int ext_stat(struct guest_fs *fs, const char *path,
		    struct guest_stat *st)
{
	ext2_ino_t ino;
	struct ext2_inode inode;
	int r = lookup(EF(fs), path, false, &ino, &inode);
	if (r != GUEST_OK)
		return r;
	st->type = LINUX_S_ISREG(inode.i_mode)	 ? GUEST_FT_FILE
		   : LINUX_S_ISDIR(inode.i_mode) ? GUEST_FT_DIR
						 : GUEST_FT_OTHER;
	st->size = EXT2_I_SIZE(&inode);
	return GUEST_OK;
}

/* Opens regular file @path (links followed) for reading. */
static int open_file(struct ext_fs *ef, const char *path, ext2_file_t *f_ret,
		     uint64_t *size_ret)
{
	ext2_ino_t ino;
	struct ext2_inode inode;
	int r = lookup_as(ef, path, true, LINUX_S_IFREG, &ino, &inode);
	if (r != GUEST_OK)
		return r;
	errcode_t e = ext2fs_file_open2(ef->fs, ino, &inode, 0, f_ret);
	if (e != 0)
		return guest_int_fs_fail(&ef->base, class_of(e), "%s: %s", path,
					 why_ext(e));
	*size_ret = EXT2_I_SIZE(&inode);
	return GUEST_OK;
}

/* Reads @len bytes at @off; *@got_ret is short at the end of the file. */
static int read_at(struct ext_fs *ef, const char *path, ext2_file_t file,
		   uint64_t off, size_t len, uint8_t *buf, size_t *got_ret)
{
	*got_ret = 0;
	errcode_t e = ext2fs_file_llseek(file, off, EXT2_SEEK_SET, NULL);
	while (e == 0 && *got_ret < len) {
		size_t want = len - *got_ret;
		unsigned int n = 0;
		e = ext2fs_file_read(
			file, buf + *got_ret,
			want > EXT_CHUNK ? EXT_CHUNK : (unsigned int)want, &n);
		if (e == 0 && n == 0)
			break;
		*got_ret += n;
	}
	if (e != 0)
		return guest_int_fs_fail(&ef->base, class_of(e), "%s: %s", path,
					 why_ext(e));
	return GUEST_OK;
}

/*
 * Reads regular file @path: into *@buf_io (@len bytes at @off) when it
 * is not NULL, else all of it (at most @max bytes) into a new buffer with
 * a NUL appended, returned in *@buf_io.  *@got_ret: the bytes read.
 */
static int read_file(struct ext_fs *ef, const char *path, uint64_t off,
		     size_t len, size_t max, uint8_t **buf_io, size_t *got_ret)
{
	ext2_file_t file;
	uint64_t size;
	int r = open_file(ef, path, &file, &size);
	if (r != GUEST_OK)
		return r;
	uint8_t *mine = NULL;
	if (*buf_io == NULL && size > max)
		r = guest_int_fs_fail(&ef->base, GUEST_E_TOO_BIG,
				      "%s: %llu bytes, more than %zu", path,
				      (unsigned long long)size, max);
	else if (*buf_io == NULL && (mine = malloc((size_t)size + 1)) == NULL)
		r = guest_int_fs_fail(&ef->base, GUEST_E_NOMEM,
				      "%s: out of memory", path);
	else if (mine != NULL)
		r = read_at(ef, path, file, 0, (size_t)size, mine, got_ret);
	else if (off < size)
		r = read_at(ef, path, file, off, len, *buf_io, got_ret);
	ext2fs_file_close(file);
	if (mine != NULL && r == GUEST_OK) {
		mine[*got_ret] = '\0';
		*buf_io = mine;
	} else {
		free(mine);
	}
	return r;
}

static int ext_read(struct guest_fs *fs, const char *path, size_t max,
		    uint8_t **buf_ret, size_t *len_ret)
{
	*buf_ret = NULL;
	return read_file(EF(fs), path, 0, 0, max, buf_ret, len_ret);
}

static int ext_pread(struct guest_fs *fs, const char *path, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got_ret)
{
	return read_file(EF(fs), path, off, len, 0, &buf, got_ret);
}

static int list_one(ext2_ino_t dir UNUSED, int entry UNUSED,
		    struct ext2_dir_entry *dirent, int offset UNUSED,
		    int blocksize UNUSED, char *buf UNUSED, void *priv)
{
	int len = ext2fs_dirent_name_len(dirent);
	if ((len == 1 && dirent->name[0] == '.') ||
	    (len == 2 && dirent->name[0] == '.' && dirent->name[1] == '.'))
		return 0;
	return native_int_ro_names_add(priv, dirent->name, (size_t)len)
		       ? 0
		       : DIRENT_ABORT;
}

static int ext_list(struct guest_fs *fs, const char *path, char ***names_ret,
		    size_t *n_ret)
{
	struct ext_fs *ef = EF(fs);
	ext2_ino_t ino;
	struct ext2_inode inode;
	int r = lookup_as(ef, path, true, LINUX_S_IFDIR, &ino, &inode);
	if (r != GUEST_OK)
		return r;
	struct native_ro_names l = { 0 };
	/* Flags 0: libext2fs then also lists a directory kept in its inode
	 * (inline_data) by itself; DIRENT_FLAG_INCLUDE_INLINE_DATA is its
	 * internal flag for that, and breaks block directories. */
	errcode_t e = ext2fs_dir_iterate2(ef->fs, ino, 0, NULL, list_one, &l);
	if (e != 0 || l.err != GUEST_OK) {
		guest_names_free(l.names, l.n);
		if (l.err != GUEST_OK)
			return guest_int_fs_fail(
				fs, l.err, "%s: %s", path,
				l.err == GUEST_E_TOO_BIG
					? "too many directory entries"
					: "out of memory");
		return guest_int_fs_fail(fs, class_of(e), "%s: %s", path,
					 why_ext(e));
	}
	*names_ret = l.names; /* fs.c sorts them */
	*n_ret = l.n;
	return GUEST_OK;
}

static int ext_readlink(struct guest_fs *fs, const char *path, char **target)
{
	struct ext_fs *ef = EF(fs);
	ext2_ino_t ino;
	struct ext2_inode inode;
	int r = lookup_as(ef, path, false, LINUX_S_IFLNK, &ino, &inode);
	if (r != GUEST_OK)
		return r;
	uint64_t size = EXT2_I_SIZE(&inode);
	if (size == 0 || size > EXT_MAX_LINK)
		return guest_int_fs_fail(fs, GUEST_E_IO,
					 "%s: a link target of %llu bytes",
					 path, (unsigned long long)size);
	char *buf = malloc((size_t)size + 1);
	if (buf == NULL)
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "out of memory");
	size_t got = 0;
	if (ext2fs_is_fast_symlink(&inode)) {
		/* The target is stored in the block map itself. */
		if (size > sizeof(inode.i_block)) {
			free(buf);
			return guest_int_fs_fail(fs, GUEST_E_IO,
						 "%s: damaged fast link", path);
		}
		memcpy(buf, inode.i_block, (size_t)size);
		got = (size_t)size;
	} else {
		/* A slow link (or inline data): read like a file. */
		ext2_file_t file;
		errcode_t e = ext2fs_file_open2(ef->fs, ino, &inode, 0, &file);
		if (e != 0) {
			free(buf);
			return guest_int_fs_fail(fs, class_of(e), "%s: %s",
						 path, why_ext(e));
		}
		r = read_at(ef, path, file, 0, (size_t)size, (uint8_t *)buf,
			    &got);
		ext2fs_file_close(file);
		if (r != GUEST_OK) {
			free(buf);
			return r;
		}
	}
	buf[got] = '\0';
	if (strlen(buf) != got) {
		free(buf);
		return guest_int_fs_fail(fs, GUEST_E_IO,
					 "%s: a NUL in the link target", path);
	}
	*target = buf;
	return GUEST_OK;
}

struct copy {
	struct ext_fs *ef;
	const char *path;
	ext2_file_t file;
};

static int copy_read(void *ctx, uint64_t off, size_t len, uint8_t *buf,
		     size_t *got)
{
	struct copy *c = ctx;
	return read_at(c->ef, c->path, c->file, off, len, buf, got);
}

static int ext_copy_out(struct guest_fs *fs, const char *path,
			const char *host_path)
{
	struct ext_fs *ef = EF(fs);
	struct copy c = { ef, path, NULL };
	uint64_t size;
	int r = open_file(ef, path, &c.file, &size);
	if (r != GUEST_OK)
		return r;
	r = native_int_ro_copy_out(fs, host_path, size, copy_read, &c);
	ext2fs_file_close(c.file);
	return r;
}

static const struct guest_fs_ops ext_fs_ops = {
	.resolve = ext_resolve,
	.stat = ext_stat,
	.read = ext_read,
	.pread = ext_pread,
	.write_atomic = native_int_ro_write_atomic,
	.mkdir = native_int_ro_mkdir,
	.list = ext_list,
	.rename = native_int_ro_rename,
	.remove = native_int_ro_remove,
	.copy_out = ext_copy_out,
	.copy_in_atomic = native_int_ro_copy_in_atomic,
	.close = native_int_ro_close,
	.readlink = ext_readlink,
};

int native_int_ext_open(struct native_img *img, uint64_t start, uint64_t size,
			const char *name, struct guest_fs **fs_ret, char *why,
			size_t whysize)
{
	*fs_ret = NULL;
	initialize_ext2_error_table();
	struct ext_fs *ef = calloc(1, sizeof(*ef));
	if (ef == NULL) {
		snprintf(why, whysize, "out of memory");
		return GUEST_E_NOMEM;
	}
	ef->range.img = img;
	ef->range.start = start;
	ef->range.size = size;
	char dev[64];
	snprintf(dev, sizeof(dev), EXT_NAME_PREFIX "%p", (void *)&ef->range);
	errcode_t e = ext2fs_open2(dev, NULL, EXT2_FLAG_64BITS, 0, 0,
				   &ext_io_manager, &ef->fs);
	if (e != 0) {
		snprintf(why, whysize, "%s: %s", name, why_ext(e));
		free(ef);
		return GUEST_E_MOUNT;
	}
	ef->base.ops = &ext_fs_ops;
	ef->base.readonly = true;
	ef->base.owned_by_disk = true;
	snprintf(ef->base.name, sizeof(ef->base.name), "%s", name);
	*fs_ret = &ef->base;
	return GUEST_OK;
}

void native_int_ext_close(struct guest_fs *fs)
{
	if (fs == NULL)
		return;
	struct ext_fs *ef = EF(fs);
	ext2fs_close_free(&ef->fs);
	free(ef);
}

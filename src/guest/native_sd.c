/*
 * native_sd.c - security descriptors on the native backend: the
 * self-relative bytes of ntfs-3g's system.ntfs_acl, read and written
 * through libntfs-3g's ntfs_get_ntfs_acl()/ntfs_set_ntfs_acl() (as
 * wimlib's ntfs-3g_apply.c does), which keep $Secure's shared
 * descriptors and the inode's security id consistent.
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "guest/native_int.h"

/* Opens @path's inode in *@ni_ret and gives the context libntfs-3g's
 * descriptor calls need: the volume's own when $Secure is open, else a
 * bare one over the volume in @local. */
static int open_inode(struct native_fs *nf, const char *path,
		      ntfs_inode **ni_ret, struct SECURITY_CONTEXT *local,
		      struct SECURITY_CONTEXT **scx_ret)
{
	native_int_ntfs_lastmsg_clear();
	memset(local, 0, sizeof(*local));
	local->vol = nf->vol;
	*scx_ret = nf->secure_open ? &nf->scx : local;
	return native_int_walk(nf, path, ni_ret, NULL);
}

int native_int_fs_get_sd(struct guest_fs *fs, const char *path,
			 uint8_t **sd_ret, size_t *len_ret)
{
	ntfs_inode *ni;
	struct SECURITY_CONTEXT local, *scx;
	int r = open_inode(native_int_fs(fs), path, &ni, &local, &scx);
	if (r != GUEST_OK)
		return r;
	/* The first call gives the size (or an error). */
	int need = ntfs_get_ntfs_acl(scx, ni, NULL, 0);
	char *buf = NULL;
	if (need > 0 && (buf = malloc((size_t)need)) == NULL) {
		ntfs_inode_close(ni);
		return guest_int_fs_fail(fs, GUEST_E_NOMEM, "%s: out of memory",
					 path);
	}
	int got =
		need > 0 ? ntfs_get_ntfs_acl(scx, ni, buf, (size_t)need) : need;
	int e = got < 0 ? -got : EIO;
	ntfs_inode_close(ni);
	if (got <= 0 || got > need) {
		free(buf);
		return guest_int_fs_fail(fs, GUEST_E_IO,
					 "%s: cannot read its security "
					 "descriptor: %s",
					 path, native_int_why(e));
	}
	*sd_ret = (uint8_t *)buf;
	*len_ret = (size_t)got;
	return GUEST_OK;
}

static int set_sd_txn(struct guest_fs *fs, const char *path, const uint8_t *sd,
		      size_t len)
{
	ntfs_inode *ni;
	struct SECURITY_CONTEXT local, *scx;
	int r = open_inode(native_int_fs(fs), path, &ni, &local, &scx);
	if (r != GUEST_OK)
		return r;
	int rc = ntfs_set_ntfs_acl(scx, ni, (const char *)sd, len, 0);
	int e = errno;
	if (ntfs_inode_close(ni) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	native_int_fs(fs)->dirty = true;
	if (rc != 0)
		return guest_int_fs_fail(fs,
					 e == EINVAL ? GUEST_E_PATH
						     : guest_int_errno_class(e),
					 "%s: cannot set its security "
					 "descriptor: %s",
					 path, native_int_why(e));
	return GUEST_OK;
}

/* As one operation (native_int_op_begin): the descriptor may
 * land in $Secure (its index and stream) and the file's record. */
int native_int_fs_set_sd(struct guest_fs *fs, const char *path,
			 const uint8_t *sd, size_t len)
{
	struct native_fs *nf = native_int_fs(fs);
	int r = native_int_op_begin(nf);
	if (r != GUEST_OK)
		return r;
	return set_sd_txn(fs, path, sd, len);
}

/*
 * native_disk.c - one image as a guest_disk on the native backend: the
 * partition table read by ptable.c from the image's own sectors, raw
 * volume reads, ntfs-3g's read-write probe, and mounting NTFS volumes
 * through libntfs-3g on a native_dev device; ext2/3/4 volumes (Linux
 * guests) are mounted read-only through native_ext.c, XFS volumes through
 * native_xfs.c.
 *
 * Mounts never pass NTFS_MNT_RECOVER (which empties $LogFile instead of
 * replaying it) or NTFS_MNT_IGNORE_HIBERFILE: libntfs-3g then refuses a
 * read-write mount of a hibernated or Fast-Startup volume (EPERM) and of
 * one not cleanly unmounted (EOPNOTSUPP), exactly the refusals
 * ntfs-3g.probe reports, and we report them with the same codes.  Without
 * NTFS_MNT_MAY_RDONLY there is no silent read-only fallback.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guest/native_ext.h"
#include "guest/native_int.h"
#include "guest/native_xfs.h"
#include "guest/ptable.h"
#include "guest/volume.h"

struct native_vol {
	struct native_fs *fs;
	struct guest_fs *ext; /* an ext volume, read-only (native_ext.c) */
	struct guest_fs *xfs; /* an XFS volume, read-only (native_xfs.c) */
	void *devpriv;	      /* the device's d_private, freed after umount */
	bool probed;
	int probe_code;
};

struct native_disk {
	struct guest_disk base;
	struct native_img *img;
	bool readonly;
	struct native_vol *vols;
};

static struct native_disk *NDK(struct guest_disk *d)
{
	return (struct native_disk *)d;
}

/* ------------------------------------------------------------------ */
/* Layout.                                                             */
/* ------------------------------------------------------------------ */

/*
 * ptable.c reads tables in 512-byte sectors.  On a disk with 4 KiB
 * logical sectors every LBA in the MBR and GPT counts 4 KiB units, so the
 * reader is shown a disk of 512-byte "sectors" each of which is the first
 * 512 bytes of a real sector: every read ptable.c makes starts on a
 * sector (LBA * 512) and continues contiguously from there (the GPT entry
 * array), which maps to LBA * 4096 onwards.  The extents it returns are
 * scaled back.
 */
struct table_reader {
	struct native_img *img;
	uint32_t scale; /* logical sector / 512 */
};

static int read_table(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	struct table_reader *t = ctx;
	uint64_t real =
		off / GUEST_PTABLE_SECTOR * GUEST_PTABLE_SECTOR * t->scale +
		off % GUEST_PTABLE_SECTOR;
	return native_int_img_pread(t->img, buf, len, real);
}

/* Linux volumes other than ext, named as blkid names them: XFS ("XFSB"
 * at 0, the RHEL default; read by native_xfs.c), and those the native
 * backend does not read, so that inspection can say what is there: btrfs ("_BHRfS_M" in the superblock at 64 KiB), an LVM
 * physical volume ("LABELONE" in sector 1, type "LVM2 001").  "" if
 * none. */
static const char *linux_fs(struct native_disk *nd,
			    const struct guest_volume *v, const uint8_t *boot)
{
	uint8_t b[32];
	if (native_int_xfs_probe(boot, GUEST_VOL_BOOT_SIZE) != NULL)
		return "xfs";
	if (v->size >= 0x10048 &&
	    native_int_img_pread(nd->img, b, 8, v->start + 0x10040) == 0 &&
	    memcmp(b, "_BHRfS_M", 8) == 0)
		return "btrfs";
	if (v->size >= 1024 &&
	    native_int_img_pread(nd->img, b, sizeof(b), v->start + 512) == 0 &&
	    memcmp(b, "LABELONE", 8) == 0 && memcmp(b + 24, "LVM2 001", 8) == 0)
		return "LVM2_member";
	return "";
}

/* What filesystem a volume holds, from its first bytes. */
static void probe_fs(struct native_disk *nd, struct guest_volume *v)
{
	if (strcmp(v->gpt_type, GUEST_GPT_TYPE_MSR) == 0)
		return;
	uint8_t boot[GUEST_VOL_BOOT_SIZE];
	if (v->size < sizeof(boot) ||
	    native_int_img_pread(nd->img, boot, sizeof(boot), v->start) != 0)
		return;
	struct guest_ntfs_geometry geo;
	char why[128];
	const char *t = "";
	if (guest_vol_is_bitlocker(boot, sizeof(boot)))
		t = "BitLocker";
	else if (guest_ntfs_parse_boot(boot, sizeof(boot), &geo, why,
				       sizeof(why)) == GUEST_VOL_OK)
		t = "ntfs";
	else if (guest_vol_is_fat(boot, sizeof(boot)))
		t = "vfat";
	uint8_t sb[NATIVE_EXT_SB_SIZE];
	const char *ext;
	if (t[0] == '\0' &&
	    v->size >= NATIVE_EXT_SB_OFFSET + NATIVE_EXT_SB_SIZE &&
	    native_int_img_pread(nd->img, sb, sizeof(sb),
				 v->start + NATIVE_EXT_SB_OFFSET) == 0 &&
	    (ext = native_int_ext_probe(sb, sizeof(sb))) != NULL)
		t = ext;
	if (t[0] == '\0' && v->size >= 0x8006) {
		/* ISO 9660: "CD001" in the primary volume descriptor at
		 * sector 16 (ECMA-119 8.4). */
		uint8_t id[5];
		if (native_int_img_pread(nd->img, id, sizeof(id),
					 v->start + 0x8001) == 0 &&
		    memcmp(id, "CD001", 5) == 0)
			t = "iso9660";
	}
	if (t[0] == '\0')
		t = linux_fs(nd, v, boot);
	snprintf(v->fstype, sizeof(v->fstype), "%s", t);
}

static int read_layout(struct native_disk *nd, const char *devname, char *why,
		       size_t whysize)
{
	struct guest_disk *d = &nd->base;
	uint64_t size = native_int_img_size(nd->img);
	uint32_t sector = native_int_img_sector(nd->img);
	struct table_reader t = { nd->img, sector / GUEST_PTABLE_SECTOR };
	enum guest_ptable type;
	struct guest_partition *parts = NULL;
	size_t n = 0;
	d->layout.size = size;
	int r = guest_ptable_read_ids(read_table, &t, size / t.scale, &type,
				      &parts, &n, d->layout.disk_guid,
				      d->layout.problem,
				      sizeof(d->layout.problem));
	if (r == GUEST_PTABLE_IO) {
		snprintf(why, whysize, "%s: %s", d->name,
			 native_int_img_errmsg(nd->img));
		free(parts);
		return GUEST_E_IO;
	}
	if (r != GUEST_PTABLE_OK) {
		/* Reported by inspection; the disk has no volumes. */
		d->layout.ptable = GUEST_PTABLE_OTHER;
		free(parts);
		return GUEST_OK;
	}
	d->layout.ptable = type;
	d->layout.problem[0] = '\0';
	if (type == GUEST_PTABLE_NONE) {
		/* A whole-disk filesystem (a bare NTFS volume, an ISO). */
		free(parts);
		parts = calloc(1, sizeof(*parts));
		if (parts == NULL)
			goto nomem;
		parts[0].size = size / t.scale;
		n = 1;
	}
	d->volumes = calloc(n ? n : 1, sizeof(*d->volumes));
	nd->vols = calloc(n ? n : 1, sizeof(*nd->vols));
	if (d->volumes == NULL || nd->vols == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct guest_volume *v = &d->volumes[i];
		v->partnum = parts[i].partnum;
		v->start = parts[i].start * t.scale;
		v->size = parts[i].size * t.scale;
		v->mbr_id = parts[i].mbr_id;
		snprintf(v->gpt_type, sizeof(v->gpt_type), "%s",
			 parts[i].gpt_type);
		snprintf(v->gpt_guid, sizeof(v->gpt_guid), "%s",
			 parts[i].gpt_guid);
		/* Named as the appliance names them, so that reports read
		 * the same on both backends. */
		if (v->partnum == 0)
			snprintf(v->device, sizeof(v->device), "%s", devname);
		else
			snprintf(v->device, sizeof(v->device), "%s%u", devname,
				 v->partnum);
		probe_fs(nd, v);
	}
	d->layout.volumes = d->volumes;
	d->layout.nvolumes = n;
	free(parts);
	return GUEST_OK;
nomem:
	free(parts);
	snprintf(why, whysize, "out of memory");
	return GUEST_E_NOMEM;
}

/* ------------------------------------------------------------------ */
/* Disk operations.                                                    */
/* ------------------------------------------------------------------ */

static int nd_pread(struct guest_disk *disk, size_t vol, uint64_t off,
		    size_t len, uint8_t *buf, size_t *got_ret)
{
	struct native_disk *nd = NDK(disk);
	const struct guest_volume *v = &disk->layout.volumes[vol];
	*got_ret = 0;
	if (off >= v->size)
		return GUEST_OK;
	size_t n = v->size - off < len ? (size_t)(v->size - off) : len;
	if (native_int_img_pread(nd->img, buf, n, v->start + off) != 0)
		return guest_int_disk_fail(disk, GUEST_E_IO, "%s: %s",
					   disk->name,
					   native_int_img_errmsg(nd->img));
	*got_ret = n;
	return GUEST_OK;
}

/* Mounts volume @vol on a new device; *@devpriv_ret is the device's
 * private part, for the caller to free after umount.  NULL and errno
 * set on failure. */
static ntfs_volume *mount_on(struct native_disk *nd, size_t vol,
			     enum native_dev_mode mode, void **devpriv_ret)
{
	const struct guest_volume *v = &nd->base.layout.volumes[vol];
	*devpriv_ret = NULL;
	struct ntfs_device *dev =
		native_int_dev_new(nd->img, v->start, v->size, mode, v->device);
	if (dev == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	native_int_ntfs_lastmsg_clear();
	ntfs_mount_flags flags =
		mode == NATIVE_DEV_RO ? NTFS_MNT_RDONLY : NTFS_MNT_NONE;
	ntfs_volume *nv = ntfs_device_mount(dev, flags);
	if (nv == NULL) {
		int e = errno;
		void *priv = dev->d_private;
		ntfs_device_free(dev);
		free(priv);
		errno = e;
		return NULL;
	}
	*devpriv_ret = dev->d_private;
	return nv;
}

static int nd_probe_rw(struct guest_disk *disk, size_t vol, int *code_ret)
{
	struct native_disk *nd = NDK(disk);
	const struct guest_volume *v = &disk->layout.volumes[vol];
	struct native_vol *nv = &nd->vols[vol];
	if (strcmp(v->fstype, "ntfs") != 0)
		return guest_int_disk_fail(disk, GUEST_E_UNSUPPORTED,
					   "%s: %s is not NTFS", disk->name,
					   v->device);
	if (!nv->probed) {
		/* A read-write mount whose writes are dropped: libntfs-3g
		 * runs every check of a real one (hibernation, Fast
		 * Startup, $LogFile), and the image is never written. */
		void *priv;
		ntfs_volume *vol_ =
			mount_on(nd, vol, NATIVE_DEV_DISCARD, &priv);
		if (vol_ == NULL) {
			nv->probe_code = ntfs_volume_error(errno);
		} else {
			nv->probe_code = 0;
			ntfs_umount(vol_, FALSE);
			free(priv);
		}
		nv->probed = true;
	}
	*code_ret = nv->probe_code;
	return GUEST_OK;
}

static int umount_vol(struct native_disk *nd, size_t vol, char *why,
		      size_t whysize)
{
	struct native_vol *nv = &nd->vols[vol];
	struct native_fs *nf = nv->fs;
	native_int_ext_close(nv->ext);
	nv->ext = NULL;
	native_int_xfs_close(nv->xfs);
	nv->xfs = NULL;
	if (nf == NULL)
		return GUEST_OK;
	int r = GUEST_OK;
	if (nf->secure_open) {
		ntfs_close_secure(nf->vol);
		ntfs_destroy_security_context(&nf->scx);
	}
	native_int_ntfs_lastmsg_clear();
	if (ntfs_umount(nf->vol, FALSE) != 0) {
		r = GUEST_E_IO;
		snprintf(why, whysize, "%s: %s: umount: %s", nd->base.name,
			 nf->base.name, native_int_why(errno));
	}
	native_int_dircache_free(nf);
	free(nv->devpriv);
	nv->devpriv = NULL;
	free(nf);
	nv->fs = NULL;
	return r;
}

static const struct guest_fs_ops native_fs_ops;

static bool is_ext(const char *fstype)
{
	return strcmp(fstype, "ext2") == 0 || strcmp(fstype, "ext3") == 0 ||
	       strcmp(fstype, "ext4") == 0;
}

/* A Linux guest's ext or XFS volume: read-only, for inspection. */
static int mount_linux(struct native_disk *nd, size_t vol, bool readonly,
		       struct guest_fs **fs_ret)
{
	struct guest_disk *disk = &nd->base;
	const struct guest_volume *v = &disk->layout.volumes[vol];
	struct native_vol *nv = &nd->vols[vol];
	bool xfs = strcmp(v->fstype, "xfs") == 0;
	struct guest_fs **slot = xfs ? &nv->xfs : &nv->ext;
	if (!readonly)
		return guest_int_disk_fail(disk, GUEST_E_ROFS,
					   "%s: %s: the native backend opens "
					   "%s volumes read-only",
					   disk->name, v->device, v->fstype);
	if (*slot == NULL) {
		char why[GUEST_ERROR_MAX];
		int r = (xfs ? native_int_xfs_open : native_int_ext_open)(
			nd->img, v->start, v->size, v->device, slot, why,
			sizeof(why));
		if (r != GUEST_OK)
			return guest_int_disk_fail(disk, r, "%s: %s",
						   disk->name, why);
	}
	*fs_ret = *slot;
	return GUEST_OK;
}

static int nd_mount(struct guest_disk *disk, size_t vol, bool readonly,
		    struct guest_fs **fs_ret)
{
	struct native_disk *nd = NDK(disk);
	const struct guest_volume *v = &disk->layout.volumes[vol];
	struct native_vol *nv = &nd->vols[vol];
	if (nv->fs != NULL && nv->fs->base.readonly == readonly) {
		*fs_ret = &nv->fs->base;
		return GUEST_OK;
	}
	if (!readonly && nd->readonly)
		return guest_int_disk_fail(disk, GUEST_E_ROFS,
					   "%s: the image was opened read-only",
					   disk->name);
	if (is_ext(v->fstype) || strcmp(v->fstype, "xfs") == 0)
		return mount_linux(nd, vol, readonly, fs_ret);
	if (strcmp(v->fstype, "ntfs") != 0)
		return guest_int_disk_fail(
			disk, GUEST_E_MOUNT,
			"%s: %s: the native backend mounts NTFS only "
			"(this is %s)",
			disk->name, v->device,
			v->fstype[0] ? v->fstype : "unknown");
	char why[GUEST_ERROR_MAX];
	if (umount_vol(nd, vol, why, sizeof(why)) != GUEST_OK)
		return guest_int_disk_fail(disk, GUEST_E_IO, "%s", why);
	struct native_fs *nf = calloc(1, sizeof(*nf));
	if (nf == NULL)
		return guest_int_disk_fail(disk, GUEST_E_NOMEM,
					   "out of memory");
	nf->vol = mount_on(nd, vol, readonly ? NATIVE_DEV_RO : NATIVE_DEV_RW,
			   &nv->devpriv);
	if (nf->vol == NULL) {
		int e = errno;
		free(nf);
		int code = ntfs_volume_error(e);
		if (!readonly && (code == NTFS_VOLUME_HIBERNATED ||
				  code == NTFS_VOLUME_UNCLEAN_UNMOUNT))
			return guest_int_disk_fail(
				disk, GUEST_E_ROFS,
				"%s: %s mounts only read-only (%s)", disk->name,
				v->device, guest_ntfs_probe_meaning(code));
		return guest_int_disk_fail(disk, GUEST_E_MOUNT, "%s: %s: %s",
					   disk->name, v->device,
					   native_int_why(e));
	}
	/* Names are looked up without regard to case by native_path.c;
	 * ntfs_set_ignore_case() is not used: it also makes libntfs-3g
	 * list some names in lower case. */
	if (ntfs_open_secure(nf->vol) == 0) {
		nf->scx.vol = nf->vol;
		/* libntfs-3g reads *pseccache unconditionally. */
		nf->scx.pseccache = &nf->seccache;
		nf->secure_open = true;
	}
	nf->base.ops = &native_fs_ops;
	nf->base.readonly = readonly;
	nf->base.owned_by_disk = true;
	snprintf(nf->base.name, sizeof(nf->base.name), "%s", v->device);
	nv->fs = nf;
	*fs_ret = &nf->base;
	return GUEST_OK;
}

int native_int_disk_shutdown(struct guest_disk *disk, char *why, size_t whysize)
{
	struct native_disk *nd = NDK(disk);
	int r = GUEST_OK;
	for (size_t i = 0; nd->vols && i < disk->layout.nvolumes; i++) {
		char w[GUEST_ERROR_MAX];
		if (umount_vol(nd, i, w, sizeof(w)) != GUEST_OK &&
		    r == GUEST_OK) {
			r = GUEST_E_IO;
			snprintf(why, whysize, "%s", w);
		}
	}
	if (nd->img != NULL) {
		char w[GUEST_ERROR_MAX];
		if (native_int_img_close(nd->img, w, sizeof(w)) != GUEST_OK &&
		    r == GUEST_OK) {
			r = GUEST_E_IO;
			snprintf(why, whysize, "%s", w);
		}
		nd->img = NULL;
	}
	return r;
}

void native_int_disk_free(struct guest_disk *disk)
{
	if (disk == NULL)
		return;
	struct native_disk *nd = NDK(disk);
	char why[GUEST_ERROR_MAX];
	native_int_disk_shutdown(disk, why, sizeof(why));
	free(nd->vols);
	free(disk->volumes);
	free(disk->name);
	free(nd);
}

static void nd_close(struct guest_disk *disk)
{
	native_int_disk_free(disk);
}

static const struct guest_disk_ops native_disk_ops = {
	.pread = nd_pread,
	.probe_rw = nd_probe_rw,
	.mount = nd_mount,
	.close = nd_close,
};

/* A filesystem belongs to its disk: closing it does nothing. */
static void nfs_close(struct guest_fs *fs)
{
	(void)fs;
}

static const struct guest_fs_ops native_fs_ops = {
	.resolve = native_int_fs_resolve,
	.stat = native_int_fs_stat,
	.read = native_int_fs_read,
	.pread = native_int_fs_pread,
	.write_atomic = native_int_fs_write_atomic,
	.mkdir = native_int_fs_mkdir,
	.list = native_int_fs_list,
	.rename = native_int_fs_rename,
	.remove = native_int_fs_remove,
	.copy_out = native_int_fs_copy_out,
	.copy_in_atomic = native_int_fs_copy_in_atomic,
	.close = nfs_close,
	.write_new = native_int_fs_write_new,
	.sync = native_int_fs_sync,
	.sha256_many = native_int_fs_sha256_many,
	.put_many = native_int_fs_put_many,
	.sha256 = native_int_fs_sha256,
	.get_sd = native_int_fs_get_sd,
	.set_sd = native_int_fs_set_sd,
};

int native_int_disk_open(const char *path, const char *format, bool readonly,
			 const char *name, const char *devname,
			 bool owned_by_session, struct guest_disk **disk_ret,
			 char *why, size_t whysize)
{
	*disk_ret = NULL;
	native_int_ntfs_log_init();
	struct native_disk *nd = calloc(1, sizeof(*nd));
	if (nd == NULL || (nd->base.name = strdup(name)) == NULL) {
		free(nd);
		snprintf(why, whysize, "out of memory");
		return GUEST_E_NOMEM;
	}
	nd->base.ops = &native_disk_ops;
	nd->base.owned_by_session = owned_by_session;
	nd->readonly = readonly;
	int r = native_int_img_open(path, format, readonly, &nd->img, why,
				    whysize);
	if (r == GUEST_OK)
		r = read_layout(nd, devname, why, whysize);
	if (r != GUEST_OK) {
		native_int_disk_free(&nd->base);
		return r;
	}
	*disk_ret = &nd->base;
	return GUEST_OK;
}

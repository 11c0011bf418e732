/*
 * appliance_disk.c - the guest_disk operations of the libguestfs backend
 * (raw reads, the ntfs-3g probe, mounts), and the discovery after launch:
 * every disk's partition table read natively from its raw sectors, the
 * filesystem of each volume, and one mount point per volume
 * ("/hvo-d<disk>-v<volume>") made before anything is mounted, which is
 * what lets unrelated filesystems of several images be mounted at once
 * (guestfs_mkmountpoint).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/appliance_int.h"
#include "guest/ptable.h"

static struct app_disk *AD(struct guest_disk *d)
{
	return (struct app_disk *)d;
}

static int appd_pread(struct guest_disk *disk, size_t vol, uint64_t off,
		      size_t len, uint8_t *buf, size_t *got_ret)
{
	guestfs_h *g = AD(disk)->s->g;
	const struct guest_volume *v = &disk->layout.volumes[vol];
	const struct app_vol *av = &AD(disk)->vols[vol];
	if (off < av->head_len && len <= av->head_len - off) {
		memcpy(buf, av->head + off, len);
		*got_ret = len;
		return GUEST_OK;
	}
	if (off >= av->rec_off && off - av->rec_off < av->rec_len &&
	    len <= av->rec_len - (off - av->rec_off)) {
		memcpy(buf, av->rec + (off - av->rec_off), len);
		*got_ret = len;
		return GUEST_OK;
	}
	size_t got = 0;
	while (got < len && off + got < v->size) {
		size_t want = len - got < APP_CHUNK ? len - got : APP_CHUNK;
		size_t n;
		char *p = guestfs_pread_device(g, v->device, (int)want,
					       (int64_t)(off + got), &n);
		if (p == NULL)
			return guest_int_disk_fail(disk, g_class(g),
						   "%s: %s: %s", disk->name,
						   v->device, g_msg(g));
		if (n > want)
			n = want;
		memcpy(buf + got, p, n);
		free(p);
		got += n;
		if (n == 0)
			break;
	}
	*got_ret = got;
	return GUEST_OK;
}

static int appd_probe_rw(struct guest_disk *disk, size_t vol, int *code_ret)
{
	struct app_disk *ad = AD(disk);
	guestfs_h *g = ad->s->g;
	const struct guest_volume *v = &disk->layout.volumes[vol];
	struct app_vol *av = &ad->vols[vol];
	if (strcmp(v->fstype, "ntfs") != 0)
		return guest_int_disk_fail(disk, GUEST_E_UNSUPPORTED,
					   "%s: %s is not NTFS", disk->name,
					   v->device);
	if (!av->probed) {
		/* A mounted volume answers "in use": probe before mounting. */
		if (av->fs != NULL)
			return guest_int_disk_fail(
				disk, GUEST_E_STATE,
				"%s: %s: probe before mounting", disk->name,
				v->device);
		int code = guestfs_ntfs_3g_probe(g, 1, v->device);
		if (code < 0)
			return guest_int_disk_fail(
				disk, g_class(g), "%s: %s: ntfs-3g probe: %s",
				disk->name, v->device, g_msg(g));
		av->probed = true;
		av->probe_code = code;
	}
	*code_ret = av->probe_code;
	return GUEST_OK;
}

int guest_int_app_disk_umount(struct app_disk *ad, size_t vol)
{
	struct app_vol *av = &ad->vols[vol];
	if (av->fs == NULL)
		return GUEST_OK;
	int r = GUEST_OK;
	if (guestfs_umount(ad->s->g, av->mountpoint) != 0)
		r = guest_int_disk_fail(&ad->base, GUEST_E_IO,
					"%s: umount %s: %s", ad->base.name,
					ad->base.layout.volumes[vol].device,
					g_msg(ad->s->g));
	guest_int_app_fs_close(&av->fs->base);
	av->fs = NULL;
	return r;
}

static int appd_mount(struct guest_disk *disk, size_t vol, bool readonly,
		      struct guest_fs **fs_ret)
{
	struct app_disk *ad = AD(disk);
	guestfs_h *g = ad->s->g;
	const struct guest_volume *v = &disk->layout.volumes[vol];
	struct app_vol *av = &ad->vols[vol];
	if (av->fs != NULL && av->fs->base.readonly == readonly) {
		*fs_ret = &av->fs->base;
		return GUEST_OK;
	}
	if (!readonly && ad->readonly)
		return guest_int_disk_fail(disk, GUEST_E_ROFS,
					   "%s: the image was opened read-only",
					   disk->name);
	int r = guest_int_app_disk_umount(ad, vol);
	if (r != GUEST_OK)
		return r;
	if (!readonly) {
		av->head_len = 0;
		free(av->rec);
		av->rec = NULL;
		av->rec_len = 0;
	}
	/* NTFS goes through ntfs-3g explicitly: its refusals and its
	 * read-only fallback are what the safety checks are built on. */
	bool ntfs = strcmp(v->fstype, "ntfs") == 0;
	/* Writable NTFS: big_writes lets a write reach ntfs-3g in pieces
	 * of up to 128 KiB instead of 4 KiB (a quarter less time for the
	 * staged files under TCG); noatime keeps our own reads from
	 * writing access times into the guest. */
	const char *opts = readonly ? "ro" : ntfs ? "big_writes,noatime" : "";
	int rc = guestfs_mount_vfs(g, opts, ntfs ? "ntfs-3g" : "", v->device,
				   av->mountpoint);
	if (rc != 0)
		return guest_int_disk_fail(disk, GUEST_E_MOUNT, "%s: %s: %s",
					   disk->name, v->device, g_msg(g));
	if (!readonly) {
		/* ntfs-3g mounts a hibernated or unclean volume read-only
		 * instead of failing: a write would fail later, or worse. */
		struct guestfs_statvfs *sv = guestfs_statvfs(g, av->mountpoint);
		bool ro = sv == NULL || (sv->flag & APP_ST_RDONLY) != 0;
		if (sv)
			guestfs_free_statvfs(sv);
		if (ro) {
			guestfs_umount(g, av->mountpoint);
			return guest_int_disk_fail(
				disk, GUEST_E_ROFS,
				"%s: %s mounts only read-only "
				"(hibernated, Fast Startup or "
				"not cleanly unmounted)",
				disk->name, v->device);
		}
	}
	struct app_fs *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		guestfs_umount(g, av->mountpoint);
		return guest_int_disk_fail(disk, GUEST_E_NOMEM,
					   "out of memory");
	}
	a->base.ops = &guest_int_app_fs_ops;
	a->base.readonly = readonly;
	a->base.owned_by_disk = true;
	snprintf(a->base.name, sizeof(a->base.name), "%s", v->device);
	a->s = ad->s;
	snprintf(a->mountpoint, sizeof(a->mountpoint), "%s", av->mountpoint);
	av->fs = a;
	*fs_ret = &a->base;
	return GUEST_OK;
}

void guest_int_app_disk_close(struct guest_disk *disk)
{
	struct app_disk *ad = AD(disk);
	for (size_t i = 0; i < disk->layout.nvolumes; i++) {
		if (ad->vols[i].fs != NULL)
			guest_int_app_fs_close(&ad->vols[i].fs->base);
		free(ad->vols[i].rec);
	}
	free(ad->vols);
	free(disk->volumes);
	free(disk->name);
	free(ad);
}

static const struct guest_disk_ops app_disk_ops = {
	.pread = appd_pread,
	.probe_rw = appd_probe_rw,
	.mount = appd_mount,
	.close = guest_int_app_disk_close,
};

static void copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Adds one volume to a disk's list. */
static int add_volume(struct app_disk *ad, const struct guest_volume *v,
		      const struct guest_vol_head *vh)
{
	struct guest_disk *d = &ad->base;
	size_t n = d->layout.nvolumes;
	struct guest_volume *nv = realloc(d->volumes, (n + 1) * sizeof(*nv));
	if (nv == NULL)
		return GUEST_E_NOMEM;
	d->volumes = nv;
	d->layout.volumes = d->volumes;
	struct app_vol *na = realloc(ad->vols, (n + 1) * sizeof(*na));
	if (na == NULL)
		return GUEST_E_NOMEM;
	ad->vols = na;
	memset(&na[n], 0, sizeof(na[n]));
	memcpy(na[n].head, vh->boot, vh->boot_len);
	na[n].head_len = vh->boot_len;
	if (vh->rec != NULL) {
		na[n].rec = malloc(vh->rec_len);
		if (na[n].rec == NULL)
			return GUEST_E_NOMEM;
		memcpy(na[n].rec, vh->rec, vh->rec_len);
		na[n].rec_len = vh->rec_len;
		na[n].rec_off = vh->rec_off;
	}
	d->volumes[n] = *v;
	d->layout.nvolumes = n + 1;
	return GUEST_OK;
}

/*
 * What filesystem a volume holds, from its boot sector (in @vh, read by
 * guest_disk_head_read).  Under TCG blkid costs about two tenths of a
 * second, so a boot sector our own parsers accept as NTFS or FAT, or
 * recognise as BitLocker's, names the filesystem, and a Microsoft
 * reserved partition holds none by definition; anything else is asked of
 * blkid.
 */
static void probe_fs(guestfs_h *g, struct guest_volume *v,
		     const struct guest_vol_head *vh)
{
	if (strcmp(v->gpt_type, GUEST_GPT_TYPE_MSR) == 0) {
		v->fstype[0] = '\0';
		return;
	}
	if (vh->boot_len != 0) {
		struct guest_ntfs_geometry geo;
		char why[128];
		if (guest_vol_is_bitlocker(vh->boot, vh->boot_len)) {
			copy_field(v->fstype, sizeof(v->fstype), "BitLocker");
			return;
		}
		if (guest_ntfs_parse_boot(vh->boot, vh->boot_len, &geo, why,
					  sizeof(why)) == GUEST_VOL_OK) {
			copy_field(v->fstype, sizeof(v->fstype), "ntfs");
			return;
		}
		if (guest_vol_is_fat(vh->boot, vh->boot_len)) {
			copy_field(v->fstype, sizeof(v->fstype), "vfat");
			return;
		}
	}
	char *t = guestfs_vfs_type(g, v->device);
	copy_field(v->fstype, sizeof(v->fstype), t);
	free(t);
}

/* What the partition table reader reads first: MBR, GPT header and
 * entries, for 512 and 4096-byte sectors alike. */
#define DEV_HEAD_SIZE (32u * 1024)

struct dev_reader {
	guestfs_h *g;
	const char *device;
	uint64_t size;
	uint8_t head[DEV_HEAD_SIZE]; /* the first bytes, read in one call */
	size_t head_len;
	bool head_tried;
};

/* guest_read_fn over a whole appliance device. */
static int read_device(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	struct dev_reader *r = ctx;
	if (!r->head_tried) {
		r->head_tried = true;
		size_t want = r->size < DEV_HEAD_SIZE ? (size_t)r->size
						      : DEV_HEAD_SIZE;
		size_t n = 0;
		char *p = want ? guestfs_pread_device(r->g, r->device,
						      (int)want, 0, &n)
			       : NULL;
		if (p != NULL && n == want) {
			memcpy(r->head, p, n);
			r->head_len = n;
		}
		free(p);
	}
	if (off < r->head_len && len <= r->head_len - off) {
		memcpy(buf, r->head + off, len);
		return 0;
	}
	size_t got = 0;
	while (got < len) {
		size_t want = len - got < APP_CHUNK ? len - got : APP_CHUNK;
		size_t n;
		char *p = guestfs_pread_device(r->g, r->device, (int)want,
					       (int64_t)(off + got), &n);
		if (p == NULL)
			return -1;
		if (n > want)
			n = want;
		memcpy(buf + got, p, n);
		free(p);
		if (n == 0)
			return -1;
		got += n;
	}
	return 0;
}

/* Finds @ad's volumes; @drv says what the caller already read. */
static int discover_disk(struct app_session *s, struct app_disk *ad,
			 const struct app_drive *drv)
{
	guestfs_h *g = s->g;
	struct guest_disk *d = &ad->base;
	/* A size the caller read from the image saves a blockdev process
	 * (about 0.2 s under TCG). */
	int64_t size = drv->size ? (int64_t)drv->size
				 : guestfs_blockdev_getsize64(g, ad->device);
	if (size < 0)
		return guest_int_session_fail(&s->base, GUEST_E_IO, "%s: %s",
					      d->name, g_msg(g));
	d->layout.size = (uint64_t)size;

	/* The partition table is read natively from the raw sectors: one
	 * read instead of a parted or sfdisk process per partition; on the
	 * host when the caller read it there. */
	struct guest_disk_head own;
	const struct guest_disk_head *h = drv->head;
	if (h == NULL) {
		struct dev_reader *rd = calloc(1, sizeof(*rd));
		if (rd == NULL)
			return guest_int_session_fail(&s->base, GUEST_E_NOMEM,
						      "out of memory");
		rd->g = g;
		rd->device = ad->device;
		rd->size = d->layout.size;
		/* A VHDX through nbdkit is attached with its logical
		 * sector size as the drive's block size. */
		uint32_t ss = drv->nbd.logical_sector_size;
		int e = guest_disk_head_read_sectors(
			read_device, rd, d->layout.size, ss ? ss : 512, &own);
		free(rd);
		if (e != GUEST_OK)
			return guest_int_session_fail(&s->base, e,
						      "out of memory");
		h = &own;
	}
	int r = GUEST_OK;
	if (h->result == GUEST_PTABLE_IO) {
		r = guest_int_session_fail(&s->base, GUEST_E_IO, "%s: %s",
					   d->name, h->why);
	} else if (h->result != GUEST_PTABLE_OK) {
		/* Reported by inspection; the disk has no volumes. */
		d->layout.ptable = GUEST_PTABLE_OTHER;
		copy_field(d->layout.problem, sizeof(d->layout.problem),
			   h->why);
	} else {
		/* No partition table is not an error: a whole-disk
		 * filesystem (an ISO, a bare NTFS volume) or an empty disk,
		 * one volume with partnum 0. */
		d->layout.ptable = h->type;
		d->layout.problem[0] = '\0';
		copy_field(d->layout.disk_guid, sizeof(d->layout.disk_guid),
			   h->disk_guid);
		for (size_t i = 0; i < h->nparts && r == GUEST_OK; i++) {
			const struct guest_partition *p = &h->parts[i];
			struct guest_volume v = {
				.partnum = p->partnum,
				.start = p->start,
				.size = p->size,
				.mbr_id = p->mbr_id,
			};
			copy_field(v.gpt_type, sizeof(v.gpt_type), p->gpt_type);
			/* The unique GUID from the entry read natively: what
			 * part_get_gpt_guid would answer, without a sgdisk
			 * process per partition. */
			copy_field(v.gpt_guid, sizeof(v.gpt_guid), p->gpt_guid);
			/* Partition devices of /dev/sdX are /dev/sdXN,
			 * numbered as guest_ptable_read() numbers them (the
			 * kernel's way). */
			if (p->partnum == 0)
				copy_field(v.device, sizeof(v.device),
					   ad->device);
			else
				snprintf(v.device, sizeof(v.device), "%s%u",
					 ad->device, p->partnum);
			probe_fs(g, &v, &h->vols[i]);
			if (add_volume(ad, &v, &h->vols[i]) != GUEST_OK)
				r = guest_int_session_fail(&s->base,
							   GUEST_E_NOMEM,
							   "out of memory");
		}
	}
	if (h == &own)
		guest_disk_head_free(&own);
	return r;
}

int guest_int_app_discover(struct app_session *s)
{
	guestfs_h *g = s->g;
	char **devs = guestfs_list_devices(g);
	if (devs == NULL)
		return guest_int_session_fail(&s->base, GUEST_E_IO,
					      "list devices: %s", g_msg(g));
	s->disks = calloc(s->ndrives ? s->ndrives : 1, sizeof(*s->disks));
	int r = s->disks ? GUEST_OK : GUEST_E_NOMEM;
	for (size_t i = 0; devs[i] != NULL && r == GUEST_OK; i++) {
		int idx = guestfs_device_index(g, devs[i]);
		if (idx < 0 || (size_t)idx >= s->ndrives ||
		    s->disks[idx] != NULL)
			continue;
		struct app_disk *ad = calloc(1, sizeof(*ad));
		if (ad == NULL) {
			r = GUEST_E_NOMEM;
			break;
		}
		s->disks[idx] = ad;
		ad->base.ops = &app_disk_ops;
		ad->base.owned_by_session = true;
		ad->base.name = strdup(s->drives[idx].name);
		ad->s = s;
		ad->readonly = s->drives[idx].readonly;
		copy_field(ad->device, sizeof(ad->device), devs[i]);
		if (ad->base.name == NULL)
			r = GUEST_E_NOMEM;
	}
	for (size_t i = 0; devs[i] != NULL; i++)
		free(devs[i]);
	free(devs);
	if (r != GUEST_OK)
		return guest_int_session_fail(&s->base, r, "out of memory");
	for (size_t i = 0; i < s->ndrives; i++) {
		if (s->disks[i] == NULL)
			return guest_int_session_fail(
				&s->base, GUEST_E_IO,
				"%s: the appliance does not show "
				"this disk",
				s->drives[i].name);
		r = discover_disk(s, s->disks[i], &s->drives[i]);
		if (r != GUEST_OK)
			return r;
	}
	/* Mount points for every volume, before the first mount. */
	for (size_t i = 0; i < s->ndrives; i++) {
		struct app_disk *ad = s->disks[i];
		size_t n = ad->base.layout.nvolumes;
		if (ad->vols == NULL) /* no volume */
			ad->vols = calloc(1, sizeof(*ad->vols));
		if (ad->vols == NULL)
			return guest_int_session_fail(&s->base, GUEST_E_NOMEM,
						      "out of memory");
		for (size_t j = 0; j < n; j++) {
			struct app_vol *av = &ad->vols[j];
			snprintf(av->mountpoint, sizeof(av->mountpoint),
				 "/hvo-d%zu-v%zu", i, j);
			if (guestfs_mkmountpoint(g, av->mountpoint) != 0)
				return guest_int_session_fail(
					&s->base, GUEST_E_IO,
					"mount point %s: %s", av->mountpoint,
					g_msg(g));
		}
	}
	return GUEST_OK;
}

/*
 * inspect_linux_view.c - a Linux guest's files as the guest sees them
 * once /etc/fstab's other volumes are mounted (see inspect_linux.h).
 *
 * A guest whose /usr or /boot is a volume of its own keeps there what
 * inspection reads (modules under /usr/lib/modules, the daemons under
 * /usr/sbin, their units under /usr/lib/systemd/system, the kernels under
 * /boot); its root's /lib is a link to usr/lib, its /etc/os-release one
 * to ../usr/lib/os-release (RHEL, Fedora, Debian 12).  So each path is
 * resolved here a component at a time across the mounts, as the kernel's
 * path walk does: the mount that holds the longest prefix of the path
 * answers for it, and a symbolic link met on the way is spliced into the
 * path and the walk restarted (at most SVC_LINUX_MAX_LINKS of them, the
 * kernel's limit, then ELOOP).  An absolute target starts at the guest's
 * root, never the host's.  With the root alone, paths go to it directly
 * (see LX_CALL for when they are resolved here too).
 *
 * /etc/fstab names a volume by UUID=, LABEL=, /dev/disk/by-uuid/,
 * /dev/disk/by-label/ (the ext superblock's s_uuid and s_volume_name,
 * XFS's sb_uuid and sb_fname), or
 * by a device name of the disk (/dev/sda3, /dev/vda3, /dev/xvda3,
 * /dev/nvme0n1p3: partition 3 of this disk).  /dev/mapper/VG-LV ('-'
 * in either name doubled) and /dev/VG/LV name LVM logical volumes, which
 * the native backend lists among the disk's volumes (lv_vg, lv_name).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guest/lvm.h"
#include "servicing/inspect_int.h"
#include "servicing/inspect_linux.h"
#include "util/bytes.h"

/* The kernel's limit on links followed in one path walk (MAXSYMLINKS). */
#define SVC_LINUX_MAX_LINKS 40
#define FSTAB_MAX	    (1024u * 1024)

/* Superblock fields (Documentation/filesystems/ext4/super.rst). */
#define SB_UUID	       0x68
#define SB_VOLUME_NAME 0x78
#define SB_LEN	       0x88

/* The mount that answers for @path ("usr/lib/x"), and @path inside it. */
static struct guest_fs *owner(const struct svc_linux_view *v, const char *path,
			      const char **rel)
{
	size_t best = 0, bestlen = 0;
	for (size_t i = 1; i < v->n; i++) {
		size_t n = strlen(v->dir[i]);
		if (n > bestlen && strncmp(path, v->dir[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/')) {
			best = i;
			bestlen = n;
		}
	}
	*rel = path + bestlen + (path[bestlen] == '/');
	return v->fs[best];
}

/* Appends component [@c, @c + @n) to @out (of @size); false if full. */
static bool push(char *out, size_t size, const char *c, size_t n)
{
	size_t len = strlen(out);
	if (len + (len ? 1 : 0) + n + 1 > size)
		return false;
	if (len)
		out[len++] = '/';
	memcpy(out + len, c, n);
	out[len + n] = '\0';
	return true;
}

/*
 * Resolves @path across the mounts into @out (no leading '/', no links
 * left but, unless @follow_last, the last component).  GUEST_E_NOENT for
 * a path too long or a link loop.
 */
static int resolve(struct svc_linux_view *v, const char *path, bool follow_last,
		   char *out, size_t size)
{
	char cur[1024];
	snprintf(cur, sizeof(cur), "%s", path);
	for (int links = 0;; links++) {
		out[0] = '\0';
		const char *p = cur;
		bool restarted = false;
		while (*p != '\0' && !restarted) {
			while (*p == '/')
				p++;
			const char *e = strchr(p, '/');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			const char *rest = p + n;
			while (*rest == '/')
				rest++;
			if (n == 0)
				break;
			if (n == 1 && p[0] == '.') {
				p = rest;
				continue;
			}
			if (n == 2 && p[0] == '.' && p[1] == '.') {
				char *slash = strrchr(out, '/');
				if (slash != NULL)
					*slash = '\0';
				else
					out[0] = '\0';
				p = rest;
				continue;
			}
			char prefix[1024];
			snprintf(prefix, sizeof(prefix), "%s", out);
			if (!push(out, size, p, n))
				return GUEST_E_NOENT;
			char *target = NULL;
			const char *rel;
			struct guest_fs *fs = owner(v, out, &rel);
			if ((*rest != '\0' || follow_last) &&
			    guest_fs_readlink(fs, rel, &target) == GUEST_OK) {
				if (links >= SVC_LINUX_MAX_LINKS) {
					free(target);
					return GUEST_E_NOENT;
				}
				char next[1024];
				int w = snprintf(next, sizeof(next),
						 "%s%s%s/%s",
						 target[0] == '/' ? "" : prefix,
						 target[0] == '/' ? "" : "/",
						 target, rest);
				free(target);
				if (w < 0 || (size_t)w >= sizeof(next))
					return GUEST_E_NOENT;
				snprintf(cur, sizeof(cur), "%s", next);
				restarted = true;
			}
			p = rest;
		}
		if (!restarted)
			return GUEST_OK;
	}
}

/* The filesystem and path inside it of @path, in @buf. */
static struct guest_fs *locate(struct svc_linux_view *v, const char *path,
			       bool follow_last, char *buf, size_t size,
			       const char **rel)
{
	if (v->n <= 1) {
		*rel = path;
		return v->fs[0];
	}
	if (resolve(v, path, follow_last, buf, size) != GUEST_OK)
		return NULL;
	return owner(v, buf, rel);
}

/*
 * Runs @call on the filesystem and path of @path.  With the root alone,
 * @path goes to it as it is, and only when that fails is it resolved here
 * and tried again: the appliance backend does not follow a link in the
 * last component (Debian's /etc/os-release), the native one does.
 */
#define LX_CALL(follow, call)                                           \
	char buf_[1024];                                                \
	const char *rel;                                                \
	struct guest_fs *fs =                                           \
		locate(v, path, follow, buf_, sizeof(buf_), &rel);      \
	v->last = fs;                                                   \
	if (fs == NULL)                                                 \
		return GUEST_E_NOENT;                                   \
	int r = call;                                                   \
	if (r != GUEST_OK && v->n == 1 &&                               \
	    resolve(v, path, follow, buf_, sizeof(buf_)) == GUEST_OK && \
	    strcmp(buf_, path) != 0) {                                  \
		rel = buf_;                                             \
		r = call;                                               \
	}                                                               \
	return r

int svc_int_lx_read(struct svc_linux_view *v, const char *path, size_t max,
		    uint8_t **buf, size_t *len)
{
	LX_CALL(true, guest_fs_read(fs, rel, max, buf, len));
}

int svc_int_lx_pread(struct svc_linux_view *v, const char *path, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got)
{
	LX_CALL(true, guest_fs_pread(fs, rel, off, len, buf, got));
}

int svc_int_lx_stat(struct svc_linux_view *v, const char *path,
		    struct guest_stat *st)
{
	LX_CALL(false, guest_fs_stat(fs, rel, st));
}

int svc_int_lx_list(struct svc_linux_view *v, const char *path, char ***names,
		    size_t *n)
{
	LX_CALL(true, guest_fs_list(fs, rel, names, n));
}

int svc_int_lx_readlink(struct svc_linux_view *v, const char *path,
			char **target)
{
	LX_CALL(false, guest_fs_readlink(fs, rel, target));
}

const char *svc_int_lx_errmsg(const struct svc_linux_view *v)
{
	return v->last ? guest_fs_errmsg(v->last) : "no such file or directory";
}

/* ------------------------------------------------------------------ */
/* /etc/fstab's volumes.                                               */
/* ------------------------------------------------------------------ */

/* XFS's superblock, the volume's first sector ("XFS Algorithms & Data
 * Structures", "Superblocks"): sb_magicnum, sb_uuid, sb_fname. */
#define XFS_SB_UUID  32
#define XFS_SB_FNAME 108
#define XFS_SB_LEN   120

/* The ext or XFS superblock's UUID ("8-4-4-4-12", lower case) and
 * label. */
static bool ext_ids(struct guest_disk *disk, size_t vol, char *uuid,
		    size_t usize, char *label, size_t lsize)
{
	uint8_t sb[SB_LEN], xsb[XFS_SB_LEN];
	size_t got;
	const uint8_t *u;
	if (guest_disk_pread(disk, vol, 0, sizeof(xsb), xsb, &got) ==
		    GUEST_OK &&
	    got == sizeof(xsb) && memcmp(xsb, "XFSB", 4) == 0) {
		u = xsb + XFS_SB_UUID;
		snprintf(label, lsize, "%.12s",
			 (const char *)xsb + XFS_SB_FNAME);
	} else if (guest_disk_pread(disk, vol, 1024, sizeof(sb), sb, &got) ==
			   GUEST_OK &&
		   got == sizeof(sb) && get_le16(sb + 0x38) == 0xef53) {
		u = sb + SB_UUID;
		snprintf(label, lsize, "%.16s",
			 (const char *)sb + SB_VOLUME_NAME);
	} else {
		return false;
	}
	snprintf(uuid, usize,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	return true;
}

/* The partition number a device name gives ("/dev/sda3" -> 3,
 * "/dev/nvme0n1p3" -> 3), or 0. */
static unsigned device_partition(const char *spec)
{
	static const char *const prefixes[] = { "/dev/sd", "/dev/vd", "/dev/hd",
						"/dev/xvd" };
	const char *p = NULL;
	for (size_t i = 0; i < HVO_ARRAY_SIZE(prefixes) && p == NULL; i++)
		if (strncmp(spec, prefixes[i], strlen(prefixes[i])) == 0 &&
		    spec[strlen(prefixes[i])] >= 'a' &&
		    spec[strlen(prefixes[i])] <= 'z')
			p = spec + strlen(prefixes[i]) + 1;
	if (p == NULL && strncmp(spec, "/dev/nvme", 9) == 0) {
		p = strchr(spec + 9, 'p');
		p = p ? p + 1 : NULL;
	}
	if (p == NULL || *p < '1' || *p > '9')
		return 0;
	unsigned n = 0;
	for (; *p >= '0' && *p <= '9' && n < 1000; p++)
		n = n * 10 + (unsigned)(*p - '0');
	return *p == '\0' ? n : 0;
}

/* Whether fstab's @spec names volume @i of the disk. */
static bool spec_is(struct guest_disk *disk, const struct svc_facts *f,
		    size_t i, const char *spec)
{
	char uuid[40], label[20];
	unsigned part = device_partition(spec);
	if (part != 0)
		return f->volumes[i].vol.partnum == part;
	if (!ext_ids(disk, i, uuid, sizeof(uuid), label, sizeof(label)))
		return false;
	if (strncmp(spec, "UUID=", 5) == 0)
		return strcasecmp(spec + 5, uuid) == 0;
	if (strncmp(spec, "/dev/disk/by-uuid/", 18) == 0)
		return strcasecmp(spec + 18, uuid) == 0;
	if (strncmp(spec, "LABEL=", 6) == 0)
		return label[0] && strcmp(spec + 6, label) == 0;
	if (strncmp(spec, "/dev/disk/by-label/", 19) == 0)
		return label[0] && strcmp(spec + 19, label) == 0;
	return false;
}

/* Whether fstab's LVM @spec names LV volume @v. */
static bool lv_is(const struct guest_volume *v, const char *spec)
{
	if (v->lv_name[0] == '\0')
		return false;
	char dm[2 * sizeof(v->lv_vg) + 2 * sizeof(v->lv_name)];
	lvm_dm_name(v->lv_vg, v->lv_name, dm, sizeof(dm));
	size_t n = strlen(v->lv_vg);
	if (strncmp(spec, "/dev/mapper/", 12) == 0)
		return strcmp(spec + 12, dm) == 0;
	return strncmp(spec + 5, v->lv_vg, n) == 0 && spec[5 + n] == '/' &&
	       strcmp(spec + 6 + n, v->lv_name) == 0;
}

static bool is_lvm_spec(const char *spec)
{
	return strncmp(spec, "/dev/mapper/", 12) == 0 ||
	       (strncmp(spec, "/dev/", 5) == 0 &&
		strncmp(spec, "/dev/disk/", 10) != 0 &&
		strchr(spec + 5, '/') != NULL);
}

/* What fstab's entry for @m->dir names, and, when it is a readable ext
 * or XFS volume of this disk, its filesystem added to the view. */
static void follow(struct guest_disk *disk, struct svc_facts *f,
		   struct svc_linux_view *v, struct svc_linux_mount *m)
{
	m->lvm = is_lvm_spec(m->spec);
	for (size_t i = 0; i < f->nvolumes && !m->found; i++) {
		if (i == f->linux_guest->volume ||
		    !(m->lvm ? lv_is(&f->volumes[i].vol, m->spec)
			     : spec_is(disk, f, i, m->spec)))
			continue;
		m->found = true;
		m->volume = i;
	}
	if (!m->found)
		return;
	struct svc_volume_facts *vf = &f->volumes[m->volume];
	const char *t = vf->vol.fstype;
	if (strcmp(t, "ext2") != 0 && strcmp(t, "ext3") != 0 &&
	    strcmp(t, "ext4") != 0 && strcmp(t, "xfs") != 0)
		return;
	struct guest_fs *fs = svc_int_mount_ro(disk, m->volume, vf);
	if (fs == NULL || v->n >= HVO_ARRAY_SIZE(v->fs))
		return;
	m->read = true;
	v->fs[v->n] = fs;
	snprintf(v->dir[v->n], sizeof(v->dir[v->n]), "%s", m->dir + 1);
	v->n++;
}

void svc_int_linux_mounts(struct guest_disk *disk, struct svc_facts *f,
			  struct svc_linux_view *v)
{
	struct svc_linux_facts *lf = f->linux_guest;
	uint8_t *buf;
	size_t len;
	/* /etc/fstab on the root itself: /etc is never a mount of its own
	 * (the kernel's initramfs mounts the root, then reads it). */
	if (guest_fs_read(v->fs[0], "etc/fstab", FSTAB_MAX, &buf, &len) !=
	    GUEST_OK)
		return;
	lf->fstab = true;
	struct svc_fstab_entry e[SVC_LINUX_MAX_MOUNTS * 4];
	size_t n = svc_linux_parse_fstab((const char *)buf, len, e,
					 HVO_ARRAY_SIZE(e));
	free(buf);
	for (size_t i = 0; i < n && lf->nmounts < SVC_LINUX_MAX_MOUNTS; i++) {
		/* What inspection reads lies under these; the ESP (vfat),
		 * swap, tmpfs and network mounts hold none of it. */
		static const char *const types[] = { "ext2", "ext3",  "ext4",
						     "xfs",  "btrfs", "auto" };
		bool wanted = false;
		for (size_t t = 0; t < HVO_ARRAY_SIZE(types); t++)
			wanted |= strcmp(e[i].vfstype, types[t]) == 0;
		if (!wanted || e[i].file[0] != '/' || e[i].file[1] == '\0')
			continue;
		struct svc_linux_mount *m = &lf->mounts[lf->nmounts++];
		snprintf(m->dir, sizeof(m->dir), "%s", e[i].file);
		snprintf(m->spec, sizeof(m->spec), "%s", e[i].spec);
		snprintf(m->vfstype, sizeof(m->vfstype), "%s", e[i].vfstype);
		follow(disk, f, v, m);
	}
}

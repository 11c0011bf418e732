/*
 * inspect_linux.c - the facts of a Linux guest, read through guest_fs from
 * its root volume, mounted read-only (see inspect_linux.h).
 *
 * The root volume is the ext2/3/4 volume that holds os-release(5)
 * (/etc/os-release, else /usr/lib/os-release).  Paths are read as Linux
 * has them, case-sensitively, with the volume's symbolic links followed
 * inside it (Debian 12's /lib is a link to usr/lib, /etc/os-release one to
 * ../usr/lib/os-release).
 *
 * Kernels are the directories under /lib/modules (the module trees that
 * depmod made).  In each, a Hyper-V driver is looked for where the kernel
 * tree puts it (kernel/drivers/hv/hv_vmbus.ko, ...), then where
 * modules.dep says (distributions move modules: updates/, extra/), then
 * in modules.builtin (built into the kernel image).  A module file counts
 * only if it starts with a module's magic: ELF, or the xz, zstd or gzip
 * magic of a compressed module (Debian 12 ships .ko, RHEL .ko.xz, Ubuntu
 * .ko.zst).
 *
 * Daemons are found by their programs (hv_kvp_daemon, or RHEL's
 * hypervkvpd ...) and their systemd units in the unit search path of
 * systemd.unit(5) (/etc/systemd/system, /lib/systemd/system,
 * /usr/lib/systemd/system); a unit is enabled when a link to it is in a
 * *.wants or *.requires directory of /etc/systemd/system, and masked when
 * /etc/systemd/system/<unit> is a link to /dev/null, which is what
 * `systemctl enable` and `systemctl mask` make.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/inspect_int.h"
#include "servicing/inspect_linux.h"
#include "util/bytes.h"

/* Bounds on what is read from the guest: os-release is a few hundred
 * bytes; modules.builtin and modules.dep under 1 MiB for a distribution
 * kernel. */
#define OS_RELEASE_MAX (64u * 1024)
#define MODULES_MAX    (16u * 1024 * 1024)

/* Where the kernel tree puts each driver (drivers/hv/Makefile,
 * drivers/net/hyperv/Makefile, drivers/scsi/Makefile). */
static const struct {
	const char *name;
	const char *dir; /* under kernel/ */
} modules[SVC_LINUX_NMODULES] = {
	[SVC_LINUX_HV_VMBUS] = { "hv_vmbus", "drivers/hv" },
	[SVC_LINUX_HV_UTILS] = { "hv_utils", "drivers/hv" },
	[SVC_LINUX_HV_NETVSC] = { "hv_netvsc", "drivers/net/hyperv" },
	[SVC_LINUX_HV_STORVSC] = { "hv_storvsc", "drivers/scsi" },
};

/* Program and unit names of the daemons: Debian and Ubuntu
 * (hyperv-daemons, linux-cloud-tools), RHEL and Fedora (hyperv-daemons:
 * hypervkvpd ...), SUSE (hyper-v), and the kernel's own tools/hv. */
static const struct {
	const char *name;
	const char *programs[3];
	const char *units[3];
} daemons[SVC_LINUX_NDAEMONS] = {
	[SVC_LINUX_KVP] = { "hv_kvp_daemon",
			    { "hv_kvp_daemon", "hypervkvpd", NULL },
			    { "hv-kvp-daemon.service", "hypervkvpd.service",
			      "hv_kvp_daemon.service" } },
	[SVC_LINUX_VSS] = { "hv_vss_daemon",
			    { "hv_vss_daemon", "hypervvssd", NULL },
			    { "hv-vss-daemon.service", "hypervvssd.service",
			      "hv_vss_daemon.service" } },
	[SVC_LINUX_FCOPY] = { "hv_fcopy_daemon",
			      { "hv_fcopy_daemon", "hypervfcopyd",
				"hv_fcopy_uio_daemon" },
			      { "hv-fcopy-daemon.service",
				"hypervfcopyd.service",
				"hv_fcopy_daemon.service" } },
};

static const char *const program_dirs[] = { "usr/sbin", "sbin", "usr/bin",
					    "usr/libexec/hypervkvpd" };

/* systemd.unit(5): the system unit search path, without /run (empty in
 * a stopped guest). */
static const char *const unit_dirs[] = { "etc/systemd/system",
					 "lib/systemd/system",
					 "usr/lib/systemd/system" };

const char *svc_linux_module_name(enum svc_linux_module m)
{
	return (unsigned)m < SVC_LINUX_NMODULES ? modules[m].name : "?";
}

const char *svc_linux_daemon_name(enum svc_linux_daemon_id d)
{
	return (unsigned)d < SVC_LINUX_NDAEMONS ? daemons[d].name : "?";
}

const char *svc_linux_modstate_name(enum svc_linux_modstate s)
{
	switch (s) {
	case SVC_MOD_FILE:
		return "module";
	case SVC_MOD_BUILTIN:
		return "built-in";
	case SVC_MOD_DAMAGED:
		return "damaged";
	default:
		return "missing";
	}
}

/* The Linux filesystems read: ext2/3/4 and XFS. */
static bool is_linux_fs(const char *fstype)
{
	return strcmp(fstype, "ext2") == 0 || strcmp(fstype, "ext3") == 0 ||
	       strcmp(fstype, "ext4") == 0 || strcmp(fstype, "xfs") == 0;
}

/* Whether a path is a file that can be read (links followed). */
static bool readable(struct svc_linux_view *v, const char *path)
{
	uint8_t b;
	size_t got;
	return svc_int_lx_pread(v, path, 0, 1, &b, &got) == GUEST_OK;
}

/* Whether the first bytes of a module file are its format's magic. */
static bool module_magic(const uint8_t *b, size_t n, const char *path)
{
	size_t len = strlen(path);
	bool xz = len > 3 && strcmp(path + len - 3, ".xz") == 0;
	bool zst = len > 4 && strcmp(path + len - 4, ".zst") == 0;
	bool gz = len > 3 && strcmp(path + len - 3, ".gz") == 0;
	if (xz)
		return n >= 6 && memcmp(b,
					"\xfd"
					"7zXZ\0",
					6) == 0;
	if (zst)
		return n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0;
	if (gz)
		return n >= 2 && b[0] == 0x1f && b[1] == 0x8b;
	return n >= 4 && memcmp(b,
				"\x7f"
				"ELF",
				4) == 0;
}

/* Checks module file @rel (relative to @moddir); true if it exists. */
static bool check_module_file(struct svc_linux_view *v, const char *moddir,
			      const char *rel, struct svc_linux_kernel *k,
			      enum svc_linux_module m)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", moddir, rel);
	uint8_t b[8];
	size_t got = 0;
	if (svc_int_lx_pread(v, path, 0, sizeof(b), b, &got) != GUEST_OK)
		return false;
	k->mod[m] = module_magic(b, got, rel) ? SVC_MOD_FILE : SVC_MOD_DAMAGED;
	svc_int_set_text(k->mod_path[m], sizeof(k->mod_path[m]), "/%s", path);
	return true;
}

static void read_kernel(struct svc_linux_view *v, const char *modroot,
			struct svc_linux_kernel *k)
{
	char moddir[256], path[512];
	snprintf(moddir, sizeof(moddir), "%s/%s", modroot, k->version);
	snprintf(path, sizeof(path), "boot/vmlinuz-%s", k->version);
	k->vmlinuz = readable(v, path);
	uint8_t *dep = NULL, *builtin = NULL;
	size_t deplen = 0, builtinlen = 0;
	snprintf(path, sizeof(path), "%s/modules.dep", moddir);
	svc_int_lx_read(v, path, MODULES_MAX, &dep, &deplen);
	snprintf(path, sizeof(path), "%s/modules.builtin", moddir);
	svc_int_lx_read(v, path, MODULES_MAX, &builtin, &builtinlen);
	static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst",
					    ".ko.gz" };
	for (int m = 0; m < SVC_LINUX_NMODULES; m++) {
		bool found = false;
		for (size_t e = 0; e < HVO_ARRAY_SIZE(exts) && !found; e++) {
			char rel[192];
			snprintf(rel, sizeof(rel), "kernel/%s/%s%s",
				 modules[m].dir, modules[m].name, exts[e]);
			found = check_module_file(v, moddir, rel, k, m);
		}
		char rel[192];
		if (!found && dep != NULL &&
		    svc_linux_dep_find((const char *)dep, deplen,
				       modules[m].name, rel, sizeof(rel)))
			found = check_module_file(v, moddir, rel, k, m);
		if (!found && builtin != NULL &&
		    svc_linux_builtin_find((const char *)builtin, builtinlen,
					   modules[m].name, rel, sizeof(rel))) {
			k->mod[m] = SVC_MOD_BUILTIN;
			svc_int_set_text(k->mod_path[m], sizeof(k->mod_path[m]),
					 "modules.builtin: %s", rel);
		}
	}
	free(dep);
	free(builtin);
}

/* A kernel version as a directory name: printable, no separators. */
static bool plausible_version(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof(((struct svc_linux_kernel *)0)->version))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == '\\' || s[i] == ':')
			return false;
	return true;
}

static void read_kernels(struct svc_linux_view *v, struct svc_linux_facts *lf)
{
	/* /lib/modules, or /usr/lib/modules where /lib is not merged into
	 * /usr but the modules moved there (newer Fedora and Arch). */
	static const char *const roots[] = { "lib/modules", "usr/lib/modules" };
	for (size_t r = 0; r < HVO_ARRAY_SIZE(roots) && lf->nkernels == 0;
	     r++) {
		char **names;
		size_t n;
		if (svc_int_lx_list(v, roots[r], &names, &n) != GUEST_OK)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (!plausible_version(names[i]))
				continue;
			char path[256];
			snprintf(path, sizeof(path), "%s/%s", roots[r],
				 names[i]);
			struct guest_stat st;
			if (svc_int_lx_stat(v, path, &st) != GUEST_OK ||
			    st.type != GUEST_FT_DIR)
				continue;
			if (lf->nkernels == SVC_LINUX_MAX_KERNELS) {
				lf->kernels_truncated = true;
				break;
			}
			struct svc_linux_kernel *k =
				&lf->kernels[lf->nkernels++];
			snprintf(k->version, sizeof(k->version), "%s",
				 names[i]);
			read_kernel(v, roots[r], k);
		}
		guest_names_free(names, n);
	}
}

/* Whether /etc/systemd/system/<unit> is a link to /dev/null. */
static bool masked(struct svc_linux_view *v, const char *unit)
{
	char path[160];
	snprintf(path, sizeof(path), "etc/systemd/system/%s", unit);
	char *target;
	if (svc_int_lx_readlink(v, path, &target) != GUEST_OK)
		return false;
	bool m = strcmp(target, "/dev/null") == 0;
	free(target);
	return m;
}

/* The target whose *.wants or *.requires directory links @unit. */
static bool enabled(struct svc_linux_view *v, const char *unit, char *target,
		    size_t size)
{
	char **names;
	size_t n;
	if (svc_int_lx_list(v, "etc/systemd/system", &names, &n) != GUEST_OK)
		return false;
	bool found = false;
	for (size_t i = 0; i < n && !found; i++) {
		size_t len = strlen(names[i]);
		size_t sfx =
			len > 6 && strcmp(names[i] + len - 6, ".wants") == 0 ? 6
			: len > 9 && strcmp(names[i] + len - 9, ".requires") ==
						0
				? 9
				: 0;
		if (sfx == 0)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "etc/systemd/system/%s/%s",
			 names[i], unit);
		struct guest_stat st;
		if (svc_int_lx_stat(v, path, &st) == GUEST_OK) {
			found = true;
			snprintf(target, size, "%.*s", (int)(len - sfx),
				 names[i]);
		}
	}
	guest_names_free(names, n);
	return found;
}

static void read_daemon(struct svc_linux_view *v, enum svc_linux_daemon_id id,
			struct svc_linux_daemon *d)
{
	for (size_t p = 0; p < 3 && d->binary[0] == '\0'; p++) {
		if (daemons[id].programs[p] == NULL)
			continue;
		for (size_t i = 0; i < HVO_ARRAY_SIZE(program_dirs); i++) {
			char path[128];
			snprintf(path, sizeof(path), "%s/%s", program_dirs[i],
				 daemons[id].programs[p]);
			if (readable(v, path)) {
				svc_int_set_text(d->binary, sizeof(d->binary),
						 "/%s", path);
				break;
			}
		}
	}
	for (size_t u = 0; u < 3 && d->unit[0] == '\0'; u++) {
		const char *unit = daemons[id].units[u];
		for (size_t i = 0; i < HVO_ARRAY_SIZE(unit_dirs); i++) {
			char path[128];
			snprintf(path, sizeof(path), "%s/%s", unit_dirs[i],
				 unit);
			struct guest_stat st;
			if (svc_int_lx_stat(v, path, &st) != GUEST_OK)
				continue;
			/* A masked unit is a link to /dev/null, which a
			 * stopped guest's image does not hold. */
			d->masked = masked(v, unit);
			if (!d->masked && !readable(v, path))
				continue;
			snprintf(d->unit, sizeof(d->unit), "%s", unit);
			svc_int_set_text(d->unit_path, sizeof(d->unit_path),
					 "/%s", path);
			d->enabled = enabled(v, unit, d->wanted_by,
					     sizeof(d->wanted_by));
			break;
		}
	}
}

/* The ext superblock's "needs recovery" flag (INCOMPAT_RECOVER, 0x4). */
static bool journal_dirty(struct guest_disk *disk, size_t vol)
{
	uint8_t sb[0x64];
	size_t got;
	if (guest_disk_pread(disk, vol, 1024, sizeof(sb), sb, &got) !=
		    GUEST_OK ||
	    got != sizeof(sb) || get_le16(sb + 0x38) != 0xef53)
		return false;
	return (get_le32(sb + 0x60) & 0x4) != 0;
}

static void read_linux(struct svc_linux_view *v, struct svc_linux_facts *lf)
{
	read_kernels(v, lf);
	struct guest_stat st;
	lf->systemd =
		svc_int_lx_stat(v, "lib/systemd/system", &st) == GUEST_OK ||
		svc_int_lx_stat(v, "usr/lib/systemd/system", &st) == GUEST_OK;
	for (int d = 0; d < SVC_LINUX_NDAEMONS; d++)
		read_daemon(v, d, &lf->daemons[d]);
	svc_int_linux_read_package(v, lf);
}

/* Whether @fs looks like a Linux root: os-release(5) in either place, or
 * /etc/fstab (a root whose /usr is another volume has only a dangling
 * /etc/os-release link to ../usr/lib/os-release). */
static bool is_root(struct guest_fs *fs)
{
	static const char *const marks[] = { "etc/os-release",
					     "usr/lib/os-release",
					     "etc/fstab" };
	struct guest_stat st;
	for (size_t k = 0; k < HVO_ARRAY_SIZE(marks); k++)
		if (guest_fs_stat(fs, marks[k], &st) == GUEST_OK)
			return true;
	return false;
}

static void read_os_release(struct svc_linux_view *v,
			    struct svc_linux_facts *lf)
{
	static const char *const os_release[] = { "etc/os-release",
						  "usr/lib/os-release" };
	for (size_t k = 0; k < HVO_ARRAY_SIZE(os_release); k++) {
		uint8_t *buf;
		size_t len;
		if (svc_int_lx_read(v, os_release[k], OS_RELEASE_MAX, &buf,
				    &len) != GUEST_OK)
			continue;
		snprintf(lf->os_release_path, sizeof(lf->os_release_path),
			 "/%s", os_release[k]);
		lf->os_release = svc_linux_parse_os_release((const char *)buf,
							    len, &lf->os);
		free(buf);
		return;
	}
}

void svc_int_inspect_linux(struct guest_disk *disk, struct svc_facts *f)
{
	for (size_t i = 0; i < f->nvolumes && f->linux_guest == NULL; i++) {
		struct svc_volume_facts *vf = &f->volumes[i];
		if (!is_linux_fs(vf->vol.fstype))
			continue;
		struct guest_fs *fs = svc_int_mount_ro(disk, i, vf);
		if (fs == NULL || !is_root(fs))
			continue;
		struct svc_linux_facts *lf = calloc(1, sizeof(*lf));
		if (lf == NULL)
			return;
		lf->volume = i;
		f->linux_guest = lf;
		struct svc_linux_view v = { .n = 1, .fs = { fs } };
		svc_int_linux_mounts(disk, f, &v);
		read_os_release(&v, lf);
		lf->journal_needs_recovery = journal_dirty(disk, i);
		read_linux(&v, lf);
	}
	/* A root the backend cannot read: say at least that it is there. */
	for (size_t i = 0; i < f->nvolumes && f->linux_guest == NULL; i++) {
		const struct svc_volume_facts *vf = &f->volumes[i];
		const char *t = vf->vol.fstype;
		bool failed = is_linux_fs(t) && vf->mount_tried && !vf->mounted;
		if (!failed && strcmp(t, "btrfs") != 0 &&
		    strcmp(t, "LVM2_member") != 0)
			continue;
		f->linux_guest = calloc(1, sizeof(*f->linux_guest));
		if (f->linux_guest == NULL)
			return;
		f->linux_guest->volume = i;
		f->linux_guest->unreadable = true;
	}
}

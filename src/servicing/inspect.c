/*
 * inspect.c - collecting the facts about a guest (see inspect.h).
 *
 * Windows is found by what a volume holds, not by its position: the
 * volume whose system root (a "Windows" or "WINNT" folder, any case) has
 * System32\config\SOFTWARE and SYSTEM.  Everything else is read from that
 * volume: version and edition from the SOFTWARE hive, the architecture from
 * the PE header of System32\ntoskrnl.exe (cmd.exe when the kernel is
 * missing, as libguestfs' inspection does), the current control set from
 * SYSTEM\Select, the integration-services version from the version
 * resource of System32\drivers\vmbus.sys, and the installed packages from
 * Windows\servicing\Packages and the CBS Packages key.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/image.h"
#include "package/package.h"
#include "vhdx/vhdx.h"
#include "servicing/inspect.h"
#include "servicing/inspect_hive.h"
#include "util/bytes.h"

#define KEY_CURRENT_VERSION "Microsoft\\Windows NT\\CurrentVersion"
#define KEY_CBS_PACKAGES                                                  \
	"Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\" \
	"Packages"
#define KEY_VM_AUTO "Microsoft\\Virtual Machine\\Auto"

/* The PE headers sit in the first page in practice; 64 KiB leaves room
 * for a long MS-DOS stub.  vmbus.sys is under 1 MiB; 32 MiB bounds a
 * hostile one. */
#define PE_HEADER_READ (64u * 1024)
#define VMBUS_MAX      (32u * 1024 * 1024)
/* The most installed packages we keep: a fully updated Windows 7 has a few
 * thousand; a hostile hive could claim millions. */
#define MAX_PACKAGES 20000

void svc_facts_init(struct svc_facts *f, const char *image)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->image, sizeof(f->image), "%s", image);
	f->esp_partnum = -1;
	f->verdict = HVO_EXIT_OK;
}

int svc_inspect_again(struct guest_disk *disk,
		      const struct svc_inspect_opts *opts, struct svc_facts *f)
{
	svc_facts_free(f);
	/* Everything after the pre-flight, which stays. */
	size_t keep = offsetof(struct svc_facts, disk_read);
	memset((char *)f + keep, 0, sizeof(*f) - keep);
	f->esp_partnum = -1;
	int r = svc_inspect_disk(disk, opts, f);
	svc_inspect_evaluate(f);
	return r;
}

void svc_facts_free(struct svc_facts *f)
{
	free(f->volumes);
	free(f->packages);
	f->volumes = NULL;
	f->packages = NULL;
	f->nvolumes = f->npackages = 0;
}

static void set_text(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_text(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Step 1: the image file.                                             */
/* ------------------------------------------------------------------ */

/*
 * The VHDX side of the pre-flight, through vhdx/: validate the file (a
 * corrupt VHDX is reported here, and never reaches qemu, where it would
 * fail the launch for every image), see whether it is a differencing disk,
 * whether its log holds changes never applied (qemu cannot open it
 * read-only then), and whether a differencing disk beside it uses it as
 * its parent (writing to a parent breaks the Hyper-V checkpoint chain).
 */

/* Directory entries looked at for children: a VM's folder holds a few
 * disks and checkpoints; a shared store of thousands is not scanned. */
#define MAX_SIBLINGS 4096

/* "{GUID}" or "GUID", any case, against our lower-case form. */
static bool guid_text_eq(const char *text, const char *want)
{
	if (*text == '{')
		text++;
	return strncasecmp(text, want, 36) == 0 &&
	       (text[36] == '\0' || text[36] == '}');
}

static const char *locator(struct vhdx_image *img, const char *key)
{
	const char *k, *v;
	for (size_t i = 0; vhdx_parent_locator(img, i, &k, &v); i++)
		if (strcasecmp(k, key) == 0)
			return v;
	return NULL;
}

static bool vhdx_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcasecmp(name + n - 5, ".vhdx") == 0) ||
	       (n > 6 && strcasecmp(name + n - 6, ".avhdx") == 0);
}

/* Longest chain of checkpoints followed (Hyper-V allows 50 per VM). */
#define MAX_CHAIN 64

/*
 * Looks in @path's directory for a differencing disk whose parent_linkage
 * is @dwg (the DataWriteGuid of @path, formatted).  On success copies its
 * path to @child and its own DataWriteGuid to @child_dwg.
 */
static bool find_child(const char *path, const char *dwg, char *child,
		       size_t size, char child_dwg[37])
{
	char *copy = strdup(path);
	if (copy == NULL)
		return false;
	char *slash = strrchr(copy, '/');
	const char *dir = ".";
	if (slash != NULL) {
		*slash = '\0';
		dir = copy[0] ? copy : "/";
	}
	bool found = false;
	struct stat self;
	DIR *d = stat(path, &self) == 0 ? opendir(dir) : NULL;
	struct dirent *de;
	for (int seen = 0; d != NULL && !found && seen < MAX_SIBLINGS &&
			   (de = readdir(d)) != NULL;
	     seen++) {
		if (!vhdx_name(de->d_name))
			continue;
		char sib[4200];
		snprintf(sib, sizeof(sib), "%s%s%s", slash ? dir : "",
			 slash ? "/" : "", de->d_name);
		struct stat st;
		if (stat(sib, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (st.st_dev == self.st_dev && st.st_ino == self.st_ino))
			continue;
		/* A checkpoint in use by a running VM cannot be opened; then
		 * the image is in use anyway, which the lock check says. */
		struct vhdx_image *c;
		if (vhdx_open(sib, VHDX_OPEN_NO_PARENT, NULL, &c, NULL) !=
		    VHDX_OK)
			continue;
		struct vhdx_info ci;
		vhdx_get_info(c, &ci);
		const char *link = locator(c, "parent_linkage");
		size_t len = strlen(sib);
		if (ci.has_parent && link != NULL && guid_text_eq(link, dwg) &&
		    len < size) {
			found = true;
			memcpy(child, sib, len + 1);
			vhdx_guid_format(&ci.data_write_guid, child_dwg);
		}
		vhdx_close(c, NULL);
	}
	if (d != NULL)
		closedir(d);
	free(copy);
	return found;
}

/* The parent a differencing disk's locator names, as a host path when it
 * resolves beside the child ("relative_path" is a Windows path relative
 * to the child: ".\\base.vhdx"), else as written. */
static void resolve_parent(struct vhdx_image *img, const char *path, char *out,
			   size_t size)
{
	const char *rel = locator(img, "relative_path");
	const char *abs = locator(img, "absolute_win32_path");
	out[0] = '\0';
	if (rel != NULL) {
		char r[1024];
		snprintf(r, sizeof(r), "%s", rel);
		for (char *p = r; *p; p++)
			if (*p == '\\')
				*p = '/';
		const char *tail = strncmp(r, "./", 2) == 0 ? r + 2 : r;
		const char *slash = strrchr(path, '/');
		char host[2100];
		snprintf(host, sizeof(host), "%.*s%s",
			 slash ? (int)(slash - path + 1) : 0, path, tail);
		size_t len = strlen(host);
		if (access(host, F_OK) == 0 && len < size) {
			memcpy(out, host, len + 1);
			return;
		}
	}
	snprintf(out, size, "%s", rel ? rel : abs ? abs : "");
}

static void preflight_vhdx(struct svc_facts *f, const char *path)
{
	struct vhdx_image *img;
	struct vhdx_error err;
	enum vhdx_err r =
		vhdx_open(path, VHDX_OPEN_NO_PARENT, NULL, &img, &err);
	if (r == VHDX_ERR_LOCKED) {
		f->in_use = true;
		set_text(f->in_use_by, sizeof(f->in_use_by), "%s", err.msg);
		return;
	}
	if (r != VHDX_OK) {
		f->preflight_ok = false;
		f->preflight_corrupt = vhdx_exit_class(r) == HVO_EXIT_CORRUPT;
		set_text(f->preflight_error, sizeof(f->preflight_error), "%s",
			 err.msg);
		return;
	}
	struct vhdx_info info;
	vhdx_get_info(img, &info);
	if (info.has_parent) {
		f->differencing = true;
		resolve_parent(img, path, f->parent, sizeof(f->parent));
	}
	f->vhdx_virtual_size = info.virtual_size;
	f->vhdx_log_dirty = info.log_state == VHDX_LOG_REPLAYED_MEMORY;
	f->vhdx_4k_sectors = info.logical_sector_size != 512;
	char dwg[37];
	vhdx_guid_format(&info.data_write_guid, dwg);
	vhdx_close(img, NULL);

	/* A checkpoint of this image, and the newest checkpoint of that
	 * chain: what the virtual machine runs on. */
	char cur[sizeof(f->child)];
	snprintf(cur, sizeof(cur), "%s", path);
	for (int depth = 0; depth < MAX_CHAIN; depth++) {
		char next[sizeof(f->child)], next_dwg[37];
		if (!find_child(cur, dwg, next, sizeof(next), next_dwg))
			break;
		f->parent_of_child = true;
		snprintf(f->child, sizeof(f->child), "%s", next);
		snprintf(cur, sizeof(cur), "%s", next);
		memcpy(dwg, next_dwg, sizeof(dwg));
	}
}

void svc_inspect_preflight(struct svc_facts *f, const char *path)
{
	struct guest_image_info info;
	int e = guest_image_sniff(path, &info);
	if (e != 0) {
		set_text(f->preflight_error, sizeof(f->preflight_error), "%s",
			 e == EISDIR ? "is a directory, not an image"
				     : strerror(e));
		return;
	}
	f->file_size = info.size;
	set_text(f->format, sizeof(f->format), "%s",
		 guest_image_kind_name(info.kind));
	if (info.kind == GUEST_IMAGE_ISO || info.kind == GUEST_IMAGE_CAB) {
		set_text(f->preflight_error, sizeof(f->preflight_error),
			 "is %s, not a disk image",
			 info.kind == GUEST_IMAGE_ISO ? "an ISO image"
						      : "a cabinet");
		return;
	}
	/* In use by a running VM (qemu's image locks) or another hvoffline
	 * (flock): asked without taking anything that lasts. */
	bool busy = false;
	struct vhdx_error err;
	if (vhdx_in_use(path, &busy, f->in_use_by, sizeof(f->in_use_by),
			&err) != VHDX_OK) {
		set_text(f->preflight_error, sizeof(f->preflight_error), "%s",
			 err.msg);
		return;
	}
	f->preflight_ok = true;
	f->in_use = busy;
	if (busy || info.kind != GUEST_IMAGE_VHDX)
		return;
	preflight_vhdx(f, path);
}

/* ------------------------------------------------------------------ */
/* Step 2: the guest.                                                  */
/* ------------------------------------------------------------------ */

static bool is_esp(const struct guest_volume *v)
{
	return strcmp(v->gpt_type, GUEST_GPT_TYPE_ESP) == 0 ||
	       v->mbr_id == GUEST_MBR_ID_ESP;
}

static bool is_recovery(const struct guest_volume *v)
{
	return strcmp(v->gpt_type, GUEST_GPT_TYPE_WINRE) == 0 ||
	       v->mbr_id == GUEST_MBR_ID_WINRE;
}

/* Filesystems Windows can be installed on. */
static bool windows_fs(const char *fstype)
{
	return strcmp(fstype, "ntfs") == 0 || strcmp(fstype, "vfat") == 0 ||
	       strcmp(fstype, "exfat") == 0;
}

/* Boot sector and $Volume record of an NTFS volume, read raw. */
static void probe_raw(struct guest_disk *disk, size_t i,
		      struct svc_volume_facts *vf)
{
	uint8_t boot[GUEST_VOL_BOOT_SIZE];
	size_t got;
	if (guest_disk_pread(disk, i, 0, sizeof(boot), boot, &got) !=
		    GUEST_OK ||
	    got < sizeof(boot))
		return;
	vf->bitlocker = guest_vol_is_bitlocker(boot, got) ||
			strcmp(vf->vol.fstype, "BitLocker") == 0;
	struct guest_ntfs_geometry geo;
	char why[128];
	int r = guest_ntfs_parse_boot(boot, got, &geo, why, sizeof(why));
	if (r == GUEST_VOL_NOT_NTFS)
		return;
	vf->ntfs = true;
	if (r != GUEST_VOL_OK) {
		set_text(vf->ntfs_problem, sizeof(vf->ntfs_problem),
			 "boot sector: %s", why);
		return;
	}
	uint8_t *rec = malloc(geo.record_size);
	if (rec == NULL)
		return;
	uint64_t off = geo.volrec_offset;
	if (guest_disk_pread(disk, i, off, geo.record_size, rec, &got) !=
		    GUEST_OK ||
	    got != geo.record_size) {
		set_text(vf->ntfs_problem, sizeof(vf->ntfs_problem),
			 "cannot read the $Volume record");
	} else if (guest_ntfs_parse_volume_record(rec, got, &vf->ntfs_info, why,
						  sizeof(why)) !=
		   GUEST_VOL_OK) {
		set_text(vf->ntfs_problem, sizeof(vf->ntfs_problem), "%s", why);
	} else {
		vf->ntfs_readable = true;
	}
	free(rec);
}

/* Finds a system root on a mounted volume: a folder named Windows or
 * WINNT (any case) holding both hives, or the journal of an apply that
 * died while switching them in (one hive may be set aside then). */
static bool find_systemroot(struct guest_fs *fs, char *out, size_t size)
{
	char **names;
	size_t n;
	if (guest_fs_list(fs, "", &names, &n) != GUEST_OK)
		return false;
	bool found = false;
	for (size_t i = 0; i < n && !found; i++) {
		if (!guest_name_eq(names[i], "Windows") &&
		    !guest_name_eq(names[i], "WINNT"))
			continue;
		char soft[300], sys[300];
		snprintf(soft, sizeof(soft), "%s/System32/config/SOFTWARE",
			 names[i]);
		snprintf(sys, sizeof(sys), "%s/System32/config/SYSTEM",
			 names[i]);
		char journal[300];
		snprintf(journal, sizeof(journal),
			 "%s/hvoffline/apply-in-progress.txt", names[i]);
		struct guest_stat a, b;
		if ((guest_fs_stat(fs, soft, &a) == GUEST_OK &&
		     a.type == GUEST_FT_FILE &&
		     guest_fs_stat(fs, sys, &b) == GUEST_OK &&
		     b.type == GUEST_FT_FILE) ||
		    guest_fs_exists(fs, journal)) {
			snprintf(out, size, "%s", names[i]);
			found = true;
		}
	}
	guest_names_free(names, n);
	return found;
}

/* An installed package's name ("Name~Token~Arch~Lang~Version", the CBS
 * key name and the .mum base name), parsed by src/package, into @p.
 * Returns false if it is not one. */
static bool parse_identity(const char *s, struct svc_installed_package *p)
{
	struct pkg_arena *arena = pkg_arena_new();
	struct pkg_installed in;
	bool ok = arena != NULL && pkg_installed_parse(arena, s, &in);
	if (ok) {
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", in.name);
		snprintf(p->token, sizeof(p->token), "%s",
			 in.public_key_token ? in.public_key_token : "");
		snprintf(p->arch, sizeof(p->arch), "%s", in.arch);
		snprintf(p->language, sizeof(p->language), "%s",
			 in.language ? in.language : "");
		snprintf(p->version, sizeof(p->version), "%s", in.version);
	}
	pkg_arena_free(arena);
	return ok;
}

static struct svc_installed_package *find_or_add(
	struct svc_facts *f, const struct svc_installed_package *p)
{
	for (size_t i = 0; i < f->npackages; i++) {
		struct svc_installed_package *q = &f->packages[i];
		if (guest_name_eq(q->name, p->name) &&
		    guest_name_eq(q->arch, p->arch) &&
		    guest_name_eq(q->language, p->language) &&
		    strcmp(q->version, p->version) == 0)
			return q;
	}
	if (f->npackages >= MAX_PACKAGES)
		return NULL;
	struct svc_installed_package *np =
		realloc(f->packages, (f->npackages + 1) * sizeof(*np));
	if (np == NULL)
		return NULL;
	f->packages = np;
	f->packages[f->npackages] = *p;
	return &f->packages[f->npackages++];
}

static void read_servicing_packages(struct guest_fs *fs, struct svc_facts *f)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/servicing/Packages", f->systemroot);
	char **names;
	size_t n;
	if (guest_fs_list(fs, dir, &names, &n) != GUEST_OK)
		return; /* XP and older have no CBS */
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		if (len < 5 || !guest_name_eq(names[i] + len - 4, ".mum"))
			continue;
		names[i][len - 4] = '\0';
		struct svc_installed_package p;
		if (!parse_identity(names[i], &p))
			continue;
		struct svc_installed_package *q = find_or_add(f, &p);
		if (q != NULL)
			q->in_servicing = true;
	}
	guest_names_free(names, n);
}

static void read_cbs_packages(struct ihive *soft, struct svc_facts *f)
{
	char **names;
	size_t n;
	if (svc_int_hive_subkeys(soft, KEY_CBS_PACKAGES, &names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct svc_installed_package p;
		if (!parse_identity(names[i], &p))
			continue;
		char key[700];
		snprintf(key, sizeof(key), "%s\\%s", KEY_CBS_PACKAGES,
			 names[i]);
		uint32_t state = 0;
		svc_int_hive_get_dword(soft, key, "CurrentState", &state);
		struct svc_installed_package *q = find_or_add(f, &p);
		if (q != NULL) {
			q->in_cbs = true;
			q->cbs_state = state;
		}
	}
	svc_int_hive_names_free(names, n);
}

/* "6.1" -> 6, 1. */
static void parse_major_minor(const char *s, unsigned *major, unsigned *minor)
{
	unsigned a = 0, b = 0;
	if (sscanf(s, "%u.%u", &a, &b) >= 1) {
		*major = a;
		*minor = b;
	}
}

static void read_software(struct ihive *h, struct svc_facts *f)
{
	const char *k = KEY_CURRENT_VERSION;
	svc_int_hive_get_string(h, k, "ProductName", f->product_name,
				sizeof(f->product_name));
	svc_int_hive_get_string(h, k, "EditionID", f->edition_id,
				sizeof(f->edition_id));
	svc_int_hive_get_string(h, k, "InstallationType", f->installation_type,
				sizeof(f->installation_type));
	svc_int_hive_get_string(h, k, "CurrentVersion", f->current_version,
				sizeof(f->current_version));
	svc_int_hive_get_string(h, k, "CSDVersion", f->csd_version,
				sizeof(f->csd_version));
	parse_major_minor(f->current_version, &f->nt_major, &f->nt_minor);
	/* Windows 10 and later keep "6.3" in CurrentVersion for old
	 * programs; the real version is in these two. */
	uint32_t major, minor;
	if (svc_int_hive_get_dword(h, k, "CurrentMajorVersionNumber", &major) ==
		    0 &&
	    svc_int_hive_get_dword(h, k, "CurrentMinorVersionNumber", &minor) ==
		    0) {
		f->nt_major = major;
		f->nt_minor = minor;
	}
	char build[32];
	if (svc_int_hive_get_string(h, k, "CurrentBuildNumber", build,
				    sizeof(build)) == 0 ||
	    svc_int_hive_get_string(h, k, "CurrentBuild", build,
				    sizeof(build)) == 0)
		f->build = (unsigned)strtoul(build, NULL, 10);
	svc_int_hive_get_string(h, KEY_VM_AUTO, "IntegrationServicesVersion",
				f->ic_registry_version,
				sizeof(f->ic_registry_version));
	/* Where Windows Setup is (Microsoft, "Windows Setup States"). */
	svc_int_hive_get_string(
		h, "Microsoft\\Windows\\CurrentVersion\\Setup\\State",
		"ImageState", f->image_state, sizeof(f->image_state));
	read_cbs_packages(h, f);
}

static void read_system(struct ihive *h, struct svc_facts *f)
{
	uint32_t current;
	if (svc_int_hive_get_dword(h, "Select", "Current", &current) != 0 ||
	    current == 0 || current > 999)
		return;
	f->current_control_set = current;
	/* Winlogon's setup hook, used by the first-boot step: a value
	 * absent is 0 / "". */
	svc_int_hive_get_dword(h, "Setup", "SetupType", &f->setup_type);
	svc_int_hive_get_string(h, "Setup", "CmdLine", f->setup_cmdline,
				sizeof(f->setup_cmdline));
	svc_int_hive_get_dword(h, "Setup", "SystemSetupInProgress",
			       &f->setup_in_progress);
	svc_int_hive_get_dword(h, "Setup", "OOBEInProgress",
			       &f->oobe_in_progress);
	char key[64];
	snprintf(key, sizeof(key), "ControlSet%03u", current);
	f->control_set_present = svc_int_hive_has_key(h, key) == 1;
	snprintf(key, sizeof(key), "ControlSet%03u\\Services\\vmbus", current);
	uint32_t start;
	if (svc_int_hive_has_key(h, key) == 1) {
		f->vmbus_service = true;
		if (svc_int_hive_get_dword(h, key, "Start", &start) == 0)
			f->vmbus_start = start;
	}
}

/*
 * Copies a hive and its logs out of the guest and reads what inspection
 * needs.  The copies are private to this run; the guest's files are only
 * read.
 */
static void read_hive(struct guest_fs *fs, struct svc_facts *f, const char *dir,
		      const char *name, struct svc_hive_facts *hf)
{
	char guest_path[160], host[4][1200];
	/* Windows 8.1 and later log to HIVE.LOG1/LOG2; XP to HIVE.LOG. */
	const char *suffix[4] = { "", ".LOG", ".LOG1", ".LOG2" };
	bool have = false;
	for (int i = 0; i < 4; i++) {
		snprintf(guest_path, sizeof(guest_path),
			 "%s/System32/config/%s%s", f->systemroot, name,
			 suffix[i]);
		snprintf(host[i], sizeof(host[i]), "%s/%s%s", dir, name,
			 suffix[i]);
		struct guest_stat st;
		if (guest_fs_stat(fs, guest_path, &st) != GUEST_OK ||
		    st.type != GUEST_FT_FILE)
			continue;
		if (i == 0)
			hf->size = st.size;
		if (guest_fs_copy_out(fs, guest_path, host[i]) != GUEST_OK) {
			if (i == 0)
				set_text(hf->problem, sizeof(hf->problem),
					 "cannot copy: %s",
					 guest_fs_errmsg(fs));
			continue;
		}
		if (i == 0)
			have = true;
	}
	hf->present = have;
	if (!have)
		return;
	struct ihive *h;
	svc_int_hive_open(host[0], hf, &h);
	if (h == NULL)
		return;
	if (hf == &f->software)
		read_software(h, f);
	else
		read_system(h, f);
	svc_int_hive_close(h);
}

/* Architecture from the COFF header of ntoskrnl.exe, else cmd.exe. */
static void read_arch(struct guest_fs *fs, struct svc_facts *f)
{
	static const char *const files[] = { "ntoskrnl.exe", "cmd.exe" };
	uint8_t *buf = malloc(PE_HEADER_READ);
	if (buf == NULL)
		return;
	for (size_t i = 0; i < HVO_ARRAY_SIZE(files); i++) {
		char path[160];
		snprintf(path, sizeof(path), "%s/System32/%s", f->systemroot,
			 files[i]);
		size_t got;
		if (guest_fs_pread(fs, path, 0, PE_HEADER_READ, buf, &got) !=
		    GUEST_OK)
			continue;
		struct guest_pe_info pe;
		if (guest_pe_read_headers(buf, got, &pe) != GUEST_PE_OK) {
			set_text(f->arch_problem, sizeof(f->arch_problem),
				 "%s: %s", files[i], pe.error);
			continue;
		}
		const char *arch = guest_pe_machine_arch(pe.machine);
		f->machine = pe.machine;
		if (arch == NULL) {
			set_text(f->arch_problem, sizeof(f->arch_problem),
				 "%s: unknown machine type 0x%04x", files[i],
				 pe.machine);
			continue;
		}
		snprintf(f->arch, sizeof(f->arch), "%s", arch);
		snprintf(f->arch_source, sizeof(f->arch_source), "%s",
			 files[i]);
		f->arch_problem[0] = '\0';
		break;
	}
	free(buf);
}

static void read_vmbus(struct guest_fs *fs, struct svc_facts *f)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/System32/drivers/vmbus.sys",
		 f->systemroot);
	uint8_t *buf;
	size_t len;
	int r = guest_fs_read(fs, path, VMBUS_MAX, &buf, &len);
	if (r == GUEST_E_NOENT)
		return;
	f->vmbus_present = true;
	if (r != GUEST_OK) {
		set_text(f->vmbus_problem, sizeof(f->vmbus_problem), "%s",
			 guest_fs_errmsg(fs));
		return;
	}
	struct guest_pe_info pe;
	if (guest_pe_read(buf, len, &pe) == GUEST_PE_OK) {
		f->vmbus_version_known = true;
		f->vmbus_version = pe.file_version;
		snprintf(f->vmbus_version_string,
			 sizeof(f->vmbus_version_string), "%s",
			 pe.file_version_str);
	} else {
		set_text(f->vmbus_problem, sizeof(f->vmbus_problem), "%s",
			 pe.error);
	}
	free(buf);
}

static void read_hiberfil(struct guest_fs *fs, struct svc_facts *f)
{
	uint8_t hdr[GUEST_HIBER_HEADER_SIZE];
	size_t got;
	if (guest_fs_pread(fs, "hiberfil.sys", 0, sizeof(hdr), hdr, &got) !=
	    GUEST_OK)
		return;
	f->hiberfil_present = true;
	f->hiber = guest_hiber_classify(hdr, got, f->hiber_signature);
}

static void read_windows(struct guest_fs *fs, struct svc_facts *f,
			 const struct svc_inspect_opts *opts)
{
	/* A directory of its own for this guest's hive copies: the logs
	 * found beside a copy must be this guest's. */
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/hives-XXXXXX", opts->tmpdir);
	if (mkdtemp(dir) == NULL) {
		set_text(f->software.problem, sizeof(f->software.problem),
			 "scratch directory: %s", strerror(errno));
		set_text(f->disk_error, sizeof(f->disk_error),
			 "cannot make a scratch directory in %s: %s",
			 opts->tmpdir, strerror(errno));
		return;
	}
	read_hive(fs, f, dir, "SOFTWARE", &f->software);
	read_hive(fs, f, dir, "SYSTEM", &f->system);
	read_servicing_packages(fs, f);
	read_arch(fs, f);
	read_vmbus(fs, f);
	read_hiberfil(fs, f);
	char sc[128];
	snprintf(sc, sizeof(sc), "%s/Setup/Scripts/SetupComplete.cmd",
		 f->systemroot);
	f->setupcomplete_present = guest_fs_exists(fs, sc);

	/* Our own wrapper (doc/firstboot.md) carries a marker line; it must
	 * never be kept as "the original" by a later run. */
	uint8_t head[1024];
	size_t got = 0;
	if (f->setupcomplete_present &&
	    guest_fs_pread(fs, sc, 0, sizeof(head) - 1, head, &got) ==
		    GUEST_OK) {
		head[got] = '\0';
		f->setupcomplete_ours =
			strstr((char *)head, SVC_FIRSTBOOT_MARKER) != NULL;
	}
	char journal[128];
	snprintf(journal, sizeof(journal), "%s/hvoffline/apply-in-progress.txt",
		 f->systemroot);
	f->apply_interrupted = guest_fs_exists(fs, journal);
}

int svc_inspect_disk(struct guest_disk *disk,
		     const struct svc_inspect_opts *opts, struct svc_facts *f)
{
	const struct guest_disk_layout *l = guest_disk_layout(disk);
	f->disk_read = true;
	f->ptable = l->ptable;
	f->disk_size = l->size;
	snprintf(f->ptable_problem, sizeof(f->ptable_problem), "%s",
		 l->problem);
	f->volumes = calloc(l->nvolumes ? l->nvolumes : 1, sizeof(*f->volumes));
	if (f->volumes == NULL) {
		set_text(f->disk_error, sizeof(f->disk_error), "out of memory");
		return GUEST_E_NOMEM;
	}
	f->nvolumes = l->nvolumes;
	bool esp = false;
	for (size_t i = 0; i < l->nvolumes; i++) {
		struct svc_volume_facts *vf = &f->volumes[i];
		vf->vol = l->volumes[i];
		vf->rw_probe = -1;
		vf->esp = is_esp(&vf->vol);
		vf->recovery = is_recovery(&vf->vol);
		if (vf->esp && f->esp_partnum < 0) {
			f->esp_partnum = (int)vf->vol.partnum;
			esp = true;
		}
		/* A Microsoft reserved partition holds no filesystem. */
		if (strcmp(vf->vol.gpt_type, GUEST_GPT_TYPE_MSR) != 0)
			probe_raw(disk, i, vf);
		/* Ask ntfs-3g before mounting: a mounted volume is busy.
		 * Only a volume that may hold Windows needs the answer. */
		int code;
		if (strcmp(vf->vol.fstype, "ntfs") == 0 && !vf->recovery &&
		    guest_disk_probe_rw(disk, i, &code) == GUEST_OK)
			vf->rw_probe = code;
	}
	/* Hyper-V boots generation 1 VMs from MBR disks through the BIOS,
	 * generation 2 VMs from GPT disks with an EFI system partition. */
	if (f->ptable == GUEST_PTABLE_MBR)
		f->generation = 1;
	else if (f->ptable == GUEST_PTABLE_GPT && esp)
		f->generation = 2;

	for (size_t i = 0; i < l->nvolumes; i++) {
		struct svc_volume_facts *vf = &f->volumes[i];
		/* The EFI system partition holds boot loaders and the
		 * recovery partition Windows RE, never a Windows
		 * installation: mounting one to look costs a second per
		 * image under TCG (probe, mount, unmount). */
		if (vf->bitlocker || vf->esp || vf->recovery ||
		    !windows_fs(vf->vol.fstype))
			continue;
		vf->mount_tried = true;
		struct guest_fs *fs;
		if (guest_disk_mount(disk, i, true, &fs) != GUEST_OK) {
			set_text(vf->mount_error, sizeof(vf->mount_error), "%s",
				 guest_disk_errmsg(disk));
			continue;
		}
		vf->mounted = true;
		if (!find_systemroot(fs, vf->systemroot,
				     sizeof(vf->systemroot)))
			continue;
		vf->windows = true;
		if (f->windows_count++ == 0) {
			f->windows_found = true;
			f->windows_volume = i;
			snprintf(f->systemroot, sizeof(f->systemroot), "%s",
				 vf->systemroot);
			read_windows(fs, f, opts);
		}
	}
	return GUEST_OK;
}

/* ------------------------------------------------------------------ */
/* Step 3: the verdict.                                                */
/* ------------------------------------------------------------------ */

static void add_problem(struct svc_facts *f, const char *code,
			enum hvo_exit exit, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_problem(struct svc_facts *f, const char *code,
			enum hvo_exit exit, const char *fmt, ...)
{
	f->verdict = hvo_exit_max(f->verdict, exit);
	if (f->nproblems == SVC_MAX_PROBLEMS)
		return;
	struct svc_problem *p = &f->problems[f->nproblems++];
	snprintf(p->code, sizeof(p->code), "%s", code);
	p->exit = exit;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
}

static void evaluate_hive(struct svc_facts *f, const char *name,
			  const struct svc_hive_facts *h)
{
	if (!h->present)
		return;
	if (h->corrupt) {
		add_problem(f, "hive-corrupt", HVO_EXIT_CORRUPT,
			    "the %s hive is corrupt: %s", name, h->problem);
		return;
	}
	if (!h->dirty)
		return;
	if (h->logs_checked && h->logs_usable) {
		add_problem(f, "hive-dirty-recoverable", HVO_EXIT_OK,
			    "the %s hive was not saved cleanly (sequence "
			    "numbers %u/%u); its transaction logs are valid "
			    "and will be replayed before any change",
			    name, h->seq1, h->seq2);
		return;
	}
	if (!h->log1 && !h->log2)
		add_problem(f, "hive-dirty-no-logs", HVO_EXIT_REFUSED,
			    "the %s hive was not saved cleanly (sequence "
			    "numbers %u/%u) and its transaction logs "
			    "(%s.LOG1, %s.LOG2) are missing: changes that "
			    "live only in the logs would be lost; boot the "
			    "guest and shut it down cleanly first",
			    name, h->seq1, h->seq2, name, name);
	else
		add_problem(f, "hive-dirty-bad-logs", HVO_EXIT_REFUSED,
			    "the %s hive was not saved cleanly (sequence "
			    "numbers %u/%u) and its transaction logs %s: "
			    "boot the guest and shut it down cleanly first",
			    name, h->seq1, h->seq2,
			    h->logs_checked ? "cannot recover it"
					    : "could not be checked");
}

void svc_inspect_evaluate(struct svc_facts *f)
{
	f->nproblems = 0;
	f->verdict = HVO_EXIT_OK;

	if (!f->preflight_ok) {
		add_problem(f,
			    f->preflight_corrupt ? "image-corrupt"
						 : "image-unreadable",
			    f->preflight_corrupt ? HVO_EXIT_CORRUPT
						 : HVO_EXIT_FAILED,
			    "%s", f->preflight_error);
		return;
	}
	/* Through nbdkit-hvoffline-plugin the appliance opens checkpoints,
	 * dirty logs (read-only: replayed in memory) and 4 KiB sectors. */
	bool via_nbd = guest_appliance_serves_vhdx();
	if (f->differencing && !via_nbd)
		add_problem(f, "differencing-disk", HVO_EXIT_REFUSED,
			    "this is a differencing disk (a Hyper-V "
			    "checkpoint) of %s, which the appliance cannot "
			    "open: merge it into its parent (Hyper-V: delete "
			    "the checkpoint, or Edit Disk > Merge) and service "
			    "the merged %s instead",
			    f->parent[0] ? f->parent : "a parent not recorded",
			    f->parent[0] ? f->parent : "disk");
	if (f->parent_of_child)
		add_problem(f, "parent-of-differencing-disk", HVO_EXIT_REFUSED,
			    "the checkpoint %s is based on this image, and "
			    "the virtual machine runs on it: writing to this "
			    "image would break the checkpoint chain; merge the "
			    "checkpoints and service the merged disk, not this "
			    "parent (service %s instead)",
			    f->child, f->child);
	if (f->in_use)
		add_problem(f, "in-use", HVO_EXIT_REFUSED,
			    "the image is in use: %s; stop the virtual "
			    "machine first",
			    f->in_use_by);
	if (f->vhdx_log_dirty && !via_nbd)
		add_problem(f, "vhdx-log-dirty", HVO_EXIT_REFUSED,
			    "the VHDX log holds changes that were never "
			    "applied (the image was not closed cleanly: still "
			    "in use, or its host crashed); the appliance "
			    "cannot open it read-only (hvoffline vhdx replay "
			    "applies the log)");
	if (f->vhdx_4k_sectors && !via_nbd)
		add_problem(f, "vhdx-4k-sectors", HVO_EXIT_FAILED,
			    "the image has 4 KiB logical sectors, which the "
			    "appliance (qemu) cannot open");
	if (!f->disk_read) {
		if (f->disk_error[0])
			add_problem(f, "guest-error", HVO_EXIT_FAILED, "%s",
				    f->disk_error);
		return;
	}
	if (f->disk_error[0])
		add_problem(f, "guest-error", HVO_EXIT_FAILED, "%s",
			    f->disk_error);

	if (f->ptable_problem[0]) {
		/* Nothing on the disk can be located: that is the whole
		 * story (not also "no Windows"). */
		add_problem(f, "partition-table-corrupt", HVO_EXIT_CORRUPT,
			    "the partition table is damaged: %s",
			    f->ptable_problem);
		return;
	}
	bool bitlocker = false;
	for (size_t i = 0; i < f->nvolumes; i++) {
		const struct svc_volume_facts *v = &f->volumes[i];
		if (!v->bitlocker)
			continue;
		bitlocker = true;
		add_problem(f, "bitlocker", HVO_EXIT_REFUSED,
			    "volume %u (%s) is BitLocker-encrypted: it "
			    "cannot be read or serviced offline; decrypt it "
			    "(manage-bde -off) or suspend protection and "
			    "service it from Windows",
			    v->vol.partnum, v->vol.device);
	}
	if (!f->windows_found) {
		add_problem(f, "no-windows", HVO_EXIT_OK,
			    "no Windows installation was found (no volume "
			    "holds Windows\\System32\\config\\SOFTWARE and "
			    "SYSTEM)%s",
			    bitlocker ? "; an encrypted volume may hold it"
				      : "");
		return;
	}
	if (f->apply_interrupted)
		add_problem(f, "apply-interrupted", HVO_EXIT_OK,
			    "an earlier hvoffline apply stopped while "
			    "switching files in (its journal "
			    "%s\\hvoffline\\apply-in-progress.txt is "
			    "there): apply again to complete it",
			    f->systemroot);
	if (f->windows_count > 1)
		add_problem(f, "several-windows", HVO_EXIT_REFUSED,
			    "%u Windows installations were found; "
			    "hvoffline services images with exactly one",
			    f->windows_count);

	const struct svc_volume_facts *w = &f->volumes[f->windows_volume];
	if (f->hiberfil_present && guest_hiber_unsafe(f->hiber))
		add_problem(f, "hibernated", HVO_EXIT_REFUSED,
			    "Windows is hibernated or was shut down with "
			    "Fast Startup (hiberfil.sys signature \"%s\", "
			    "%s): changes would be lost or corrupt the "
			    "volume when it resumes; start the guest and "
			    "shut it down fully (shutdown /s /t 0), or "
			    "disable Fast Startup (powercfg /h off)",
			    f->hiber_signature, guest_hiber_name(f->hiber));
	if (w->ntfs_readable &&
	    (w->ntfs_info.flags & GUEST_NTFS_VOLUME_DIRTY) != 0)
		add_problem(f, "ntfs-dirty", HVO_EXIT_REFUSED,
			    "the Windows volume is marked dirty (not "
			    "cleanly unmounted, or chkdsk is pending): run "
			    "chkdsk in the guest first");
	if (w->rw_probe > 0)
		add_problem(f, "read-only", HVO_EXIT_REFUSED,
			    "the Windows volume can only be mounted "
			    "read-only: ntfs-3g says it is %s (code %d)",
			    guest_ntfs_probe_meaning(w->rw_probe), w->rw_probe);
	if (w->ntfs && !w->ntfs_readable && w->ntfs_problem[0])
		add_problem(f, "ntfs-corrupt", HVO_EXIT_CORRUPT,
			    "the Windows volume's NTFS metadata is damaged: "
			    "%s",
			    w->ntfs_problem);
	evaluate_hive(f, "SOFTWARE", &f->software);
	evaluate_hive(f, "SYSTEM", &f->system);
	if (f->system.opened && f->current_control_set == 0)
		add_problem(f, "no-control-set", HVO_EXIT_CORRUPT,
			    "the SYSTEM hive has no valid Select\\Current");
	else if (f->system.opened && !f->control_set_present)
		add_problem(f, "no-control-set", HVO_EXIT_CORRUPT,
			    "the SYSTEM hive has no ControlSet%03u, which "
			    "Select\\Current names",
			    f->current_control_set);
	if (f->arch[0] == '\0')
		add_problem(f, "unknown-arch", HVO_EXIT_OK,
			    "the architecture could not be read from "
			    "ntoskrnl.exe or cmd.exe%s%s",
			    f->arch_problem[0] ? ": " : "", f->arch_problem);
	if (f->vmbus_version_known && f->ic_registry_version[0] != '\0') {
		char v[32];
		guest_pe_version_format(&f->vmbus_version, v, sizeof(v));
		if (pkg_version_cmp_str(v, f->ic_registry_version) != 0)
			add_problem(f, "ic-version-mismatch", HVO_EXIT_OK,
				    "vmbus.sys is version %s but "
				    "IntegrationServicesVersion says %s (the "
				    "running guest rewrites the value from the "
				    "driver; vmbus.sys is taken)",
				    v, f->ic_registry_version);
	}
	if (f->vmbus_present && !f->vmbus_version_known)
		add_problem(f, "vmbus-version-unknown", HVO_EXIT_OK,
			    "vmbus.sys has no readable version: %s",
			    f->vmbus_problem);
}

const struct svc_installed_package *svc_facts_find_package(
	const struct svc_facts *f, const char *name, const char *arch)
{
	const struct svc_installed_package *best = NULL;
	for (size_t i = 0; i < f->npackages; i++) {
		const struct svc_installed_package *p = &f->packages[i];
		if (!guest_name_eq(p->name, name) ||
		    (arch != NULL && !guest_name_eq(p->arch, arch)))
			continue;
		if (best == NULL ||
		    pkg_version_cmp_str(p->version, best->version) > 0)
			best = p;
	}
	return best;
}

bool svc_facts_has_problem(const struct svc_facts *f, const char *code)
{
	for (size_t i = 0; i < f->nproblems; i++)
		if (strcmp(f->problems[i].code, code) == 0)
			return true;
	return false;
}

const char *svc_facts_status(const struct svc_facts *f)
{
	switch (f->verdict) {
	case HVO_EXIT_OK:
		return f->windows_found ? "ok" : "no-windows";
	case HVO_EXIT_REFUSED:
		return "unsafe";
	case HVO_EXIT_CORRUPT:
		return "corrupt";
	default:
		return "error";
	}
}

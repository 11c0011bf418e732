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
#include "servicing/inspect_int.h"
#include "servicing/inspect_hive.h"
#include "servicing/inspect_linux.h"
#include "util/bytes.h"
#include "util/guid.h"

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

enum svc_err svc_inspect_again(struct guest_disk *disk,
			       const struct svc_inspect_opts *opts,
			       struct svc_facts *f)
{
	svc_int_facts_free_disk(f);
	/* Everything after the pre-flight, which stays. */
	size_t keep = offsetof(struct svc_facts, disk_read);
	memset((char *)f + keep, 0, sizeof(*f) - keep);
	f->esp_partnum = -1;
	enum svc_err r = svc_inspect_disk(disk, opts, f);
	svc_inspect_evaluate(f);
	return r;
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
		svc_int_set_text(vf->ntfs_problem, sizeof(vf->ntfs_problem),
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
		svc_int_set_text(vf->ntfs_problem, sizeof(vf->ntfs_problem),
				 "cannot read the $Volume record");
	} else if (guest_ntfs_parse_volume_record(rec, got, &vf->ntfs_info, why,
						  sizeof(why)) !=
		   GUEST_VOL_OK) {
		svc_int_set_text(vf->ntfs_problem, sizeof(vf->ntfs_problem),
				 "%s", why);
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

/*
 * The drive letter Windows gives its own volume, from the SystemRoot
 * value Setup writes ("C:\Windows", "D:\WINNT"): $(runtime.*) paths and
 * the registry values that hold full paths use it.  Taken only when the
 * value names the system root found on this volume; else left "" and the
 * plan uses C:.
 */
static void read_system_drive(struct ihive *h, struct svc_facts *f)
{
	char v[SVC_TEXT_MAX];
	if (svc_int_hive_get_string(h, KEY_CURRENT_VERSION, "SystemRoot", v,
				    sizeof(v)) != 0)
		return;
	svc_int_text(&f->systemroot_value, "%s", v);
	char c = v[0];
	bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
	if (letter && v[1] == ':' && v[2] == '\\' &&
	    guest_name_eq(v + 3, f->systemroot))
		snprintf(f->system_drive, sizeof(f->system_drive),
			 "%c:", c & ~0x20);
}

static void read_software(struct ihive *h, struct svc_facts *f)
{
	const char *k = KEY_CURRENT_VERSION;
	char product[SVC_TEXT_MAX];
	if (svc_int_hive_get_string(h, k, "ProductName", product,
				    sizeof(product)) == 0)
		svc_int_text(&f->product_name, "%s", product);
	svc_int_hive_get_string(h, k, "EditionID", f->edition_id,
				sizeof(f->edition_id));
	svc_int_hive_get_string(h, k, "InstallationType", f->installation_type,
				sizeof(f->installation_type));
	svc_int_hive_get_string(h, k, "CurrentVersion", f->current_version,
				sizeof(f->current_version));
	svc_int_hive_get_string(h, k, "CSDVersion", f->csd_version,
				sizeof(f->csd_version));
	read_system_drive(h, f);
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

/*
 * The drive letter from SYSTEM\MountedDevices, when SOFTWARE's SystemRoot
 * did not give one: the mount manager keeps "\DosDevices\X:" for each
 * letter, whose data on an MBR disk is the disk signature (4 bytes) and
 * the partition's byte offset (8, little-endian); on a GPT disk
 * "DMIO:ID:" and the partition's unique GUID (16 bytes, stored as the GPT
 * entry stores it: Data1, Data2 and Data3 little-endian) (Microsoft,
 * "MountedDevices"; KB 223188).  The letter taken is the one, and only
 * one, that names the Windows volume: its MBR offset, or its GPT
 * partition GUID.
 */
#define MD_MBR_SIZE   12
#define MD_GPT_PREFIX "DMIO:ID:"
#define MD_GPT_SIZE   (8 + 16)
#define MD_MAX_SIZE   64

bool svc_int_mounted_device_is(const uint8_t *d, size_t len,
			       enum guest_ptable ptable,
			       const struct guest_volume *v)
{
	if (ptable == GUEST_PTABLE_MBR && len == MD_MBR_SIZE)
		return get_le64(d + 4) == v->start;
	if (ptable == GUEST_PTABLE_GPT && len == MD_GPT_SIZE &&
	    memcmp(d, MD_GPT_PREFIX, 8) == 0 && v->gpt_guid[0] != '\0') {
		char g[HVO_GUID_TEXT_SIZE];
		hvo_int_guid_format(d + 8, true, g);
		return strcmp(g, v->gpt_guid) == 0;
	}
	return false;
}

static void read_mounted_devices(struct ihive *h, struct svc_facts *f)
{
	if (f->system_drive[0] != '\0' || !f->windows_found ||
	    (f->ptable != GUEST_PTABLE_MBR && f->ptable != GUEST_PTABLE_GPT) ||
	    f->volumes == NULL || f->windows_volume >= f->nvolumes)
		return;
	const struct guest_volume *v = &f->volumes[f->windows_volume].vol;
	char found = 0;
	int matches = 0;
	for (char c = 'C'; c <= 'Z'; c++) {
		char name[16];
		uint8_t d[MD_MAX_SIZE];
		size_t len;
		snprintf(name, sizeof(name), "\\DosDevices\\%c:", c);
		if (svc_int_hive_get_bytes(h, "MountedDevices", name, d,
					   sizeof(d), &len) != 0 ||
		    len > sizeof(d))
			continue;
		if (svc_int_mounted_device_is(d, len, f->ptable, v)) {
			found = c;
			matches++;
		}
	}
	if (matches == 1) {
		snprintf(f->system_drive, sizeof(f->system_drive),
			 "%c:", found);
		f->system_drive_from_mounted_devices = true;
	}
}

static void read_system(struct ihive *h, struct svc_facts *f)
{
	read_mounted_devices(h, f);
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
				svc_int_set_text(
					hf->problem, sizeof(hf->problem),
					"cannot copy: %s", guest_fs_errmsg(fs));
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
			svc_int_text(&f->arch_problem, "%s: %s", files[i],
				     pe.error);
			continue;
		}
		const char *arch = guest_pe_machine_arch(pe.machine);
		f->machine = pe.machine;
		if (arch == NULL) {
			svc_int_text(&f->arch_problem,
				     "%s: unknown machine type 0x%04x",
				     files[i], pe.machine);
			continue;
		}
		snprintf(f->arch, sizeof(f->arch), "%s", arch);
		snprintf(f->arch_source, sizeof(f->arch_source), "%s",
			 files[i]);
		free(f->arch_problem);
		f->arch_problem = NULL;
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
		svc_int_text(&f->vmbus_problem, "%s", guest_fs_errmsg(fs));
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
		svc_int_text(&f->vmbus_problem, "%s", pe.error);
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
		svc_int_set_text(f->software.problem,
				 sizeof(f->software.problem),
				 "scratch directory: %s", strerror(errno));
		svc_int_text(&f->disk_error,
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
	/* A rollback that died after its journal: finished first, too
	 * (svc_apply_recover; rollback_journal.h). */
	snprintf(journal, sizeof(journal),
		 "%s/Logs/hvoffline/rollback-journal.txt", f->systemroot);
	f->apply_interrupted |= guest_fs_exists(fs, journal);
	svc_int_read_pending(fs, f, dir);
}

enum svc_err svc_inspect_disk(struct guest_disk *disk,
			      const struct svc_inspect_opts *opts,
			      struct svc_facts *f)
{
	const struct guest_disk_layout *l = guest_disk_layout(disk);
	f->disk_read = true;
	f->ptable = l->ptable;
	snprintf(f->disk_guid, sizeof(f->disk_guid), "%s", l->disk_guid);
	f->disk_size = l->size;
	if (l->problem[0] != '\0')
		svc_int_text(&f->ptable_problem, "%s", l->problem);
	f->volumes = calloc(l->nvolumes ? l->nvolumes : 1, sizeof(*f->volumes));
	if (f->volumes == NULL) {
		svc_int_text(&f->disk_error, "out of memory");
		return SVC_ERR_NOMEM;
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
		struct guest_fs *fs = svc_int_mount_ro(disk, i, vf);
		if (fs == NULL)
			continue;
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
	if (!f->windows_found)
		svc_int_inspect_linux(disk, f);
	return SVC_OK;
}

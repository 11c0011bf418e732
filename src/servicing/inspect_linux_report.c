/*
 * inspect_linux_report.c - a Linux guest's facts as notes with what to do,
 * as JSON and as text (see inspect_linux.h).  Nothing here fails an
 * inspection: a Linux guest gets its integration services from its own
 * kernel and distribution, so every finding is a note (exit 0).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "servicing/inspect_int.h"
#include "servicing/inspect_linux.h"

static bool kernel_complete(const struct svc_linux_kernel *k)
{
	for (int m = 0; m < SVC_LINUX_NMODULES; m++)
		if (k->mod[m] != SVC_MOD_FILE && k->mod[m] != SVC_MOD_BUILTIN)
			return false;
	return true;
}

/* The modules a kernel lacks (or has damaged), "hv_netvsc, hv_storvsc". */
static void lacking(const struct svc_linux_kernel *k, char *out, size_t size)
{
	size_t o = 0;
	out[0] = '\0';
	for (int m = 0; m < SVC_LINUX_NMODULES; m++) {
		if (k->mod[m] == SVC_MOD_FILE || k->mod[m] == SVC_MOD_BUILTIN)
			continue;
		int n = snprintf(out + o, size - o, "%s%s%s", o ? ", " : "",
				 svc_linux_module_name(m),
				 k->mod[m] == SVC_MOD_DAMAGED ? " (damaged)"
							      : "");
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
	}
}

/* How reports name a volume: "volume 2", or an LVM logical volume's
 * device ("/dev/vg/root"). */
static const char *where(const struct guest_volume *v, char *buf, size_t size)
{
	if (v->lv_name[0] != '\0')
		snprintf(buf, size, "%s", v->device);
	else
		snprintf(buf, size, "volume %u", v->partnum);
	return buf;
}

static const char *distro(const struct svc_linux_facts *lf)
{
	if (lf->os.pretty_name[0])
		return lf->os.pretty_name;
	if (lf->os.name[0])
		return lf->os.name;
	return "an unknown distribution";
}

/* How to install the daemons, per distribution family. */
static const char *install_hint(const struct svc_linux_facts *lf)
{
	const char *id = lf->os.id, *like = lf->os.id_like;
	if (strcmp(id, "ubuntu") == 0)
		return "apt install linux-cloud-tools-virtual (or "
		       "hyperv-daemons)";
	if (strcmp(id, "debian") == 0 || strstr(like, "debian") != NULL ||
	    strcmp(lf->package_manager, "dpkg") == 0)
		return "apt install hyperv-daemons";
	if (strstr(id, "suse") != NULL || strstr(like, "suse") != NULL)
		return "zypper install hyper-v";
	if (strcmp(lf->package_manager, "rpm") == 0 ||
	    strstr(like, "rhel") != NULL || strstr(like, "fedora") != NULL)
		return "dnf install hyperv-daemons";
	return "install the distribution's Hyper-V daemons package "
	       "(hyperv-daemons on most)";
}

/* Notes on /etc/fstab's volumes that could not be followed. */
static void mounts_evaluate(struct svc_facts *f,
			    const struct svc_linux_facts *lf)
{
	for (size_t i = 0; i < lf->nmounts; i++) {
		const struct svc_linux_mount *m = &lf->mounts[i];
		if (m->read)
			continue;
		const struct guest_volume *lv = &f->volumes[m->volume].vol;
		if (m->lvm && m->found)
			svc_int_add_problem(
				f, "linux-mount-lvm", HVO_EXIT_OK,
				"/etc/fstab mounts %s from %s, an LVM logical "
				"volume (%s, %s) that is not read%s%s: what "
				"is under %s is not known",
				m->dir, m->spec, lv->lv_kind,
				lv->fstype[0] ? lv->fstype : "unknown",
				lv->problem[0] ? ": " : "", lv->problem,
				m->dir);
		else if (m->lvm)
			svc_int_add_problem(
				f, "linux-mount-lvm", HVO_EXIT_OK,
				"/etc/fstab mounts %s from %s, an LVM logical "
				"volume not found on this disk (its volume "
				"group is elsewhere, or its metadata could "
				"not be read): what is under %s is not known",
				m->dir, m->spec, m->dir);
		else if (!m->found)
			svc_int_add_problem(
				f, "linux-mount-missing", HVO_EXIT_OK,
				"/etc/fstab mounts %s from %s, which was not "
				"found among this disk's volumes (by UUID=, "
				"LABEL=, /dev/disk/by-uuid, by-label or a "
				"partition's device name): what is under %s "
				"is not known",
				m->dir, m->spec, m->dir);
		else
			svc_int_add_problem(
				f, "linux-mount-unreadable", HVO_EXIT_OK,
				"/etc/fstab mounts %s from volume %u (%s), "
				"which the native backend does not read: what "
				"is under %s is not known",
				m->dir, f->volumes[m->volume].vol.partnum,
				f->volumes[m->volume].vol.fstype, m->dir);
	}
}

/* A disk whose PVs hold no readable Linux root: why, from the PVs' and
 * LVs' problems. */
static void lvm_evaluate(struct svc_facts *f, unsigned part)
{
	char why[400] = "";
	size_t n = 0;
	for (size_t i = 0; i < f->nvolumes; i++) {
		const struct guest_volume *v = &f->volumes[i].vol;
		if (v->problem[0] == '\0' || n >= sizeof(why) - 1)
			continue;
		n += (size_t)snprintf(why + n, sizeof(why) - n, "%s%s: %s",
				      n ? "; " : "", v->device, v->problem);
	}
	svc_int_add_problem(
		f, "linux-lvm", HVO_EXIT_OK,
		"volume %u is an LVM physical volume, and no logical volume "
		"of this disk could be read as a Linux root (%s): the "
		"distribution, kernels and Hyper-V daemons are not known; "
		"try --backend appliance (device-mapper reads thin, RAID "
		"and cache volumes)",
		part, why[0] ? why : "no logical volume holds ext2/3/4");
}

void svc_int_linux_evaluate(struct svc_facts *f)
{
	const struct svc_linux_facts *lf = f->linux_guest;
	if (lf == NULL)
		return;
	unsigned part = f->volumes[lf->volume].vol.partnum;
	const struct svc_volume_facts *v = &f->volumes[lf->volume];
	if (lf->unreadable && v->mount_error != NULL && v->mount_error[0]) {
		svc_int_add_problem(f, "linux-unreadable", HVO_EXIT_OK,
				    "volume %u (%s) may hold a Linux system "
				    "but cannot be read: %s",
				    part, v->vol.fstype, v->mount_error);
		return;
	}
	if (lf->unreadable && strcmp(v->vol.fstype, "LVM2_member") == 0) {
		lvm_evaluate(f, part);
		return;
	}
	if (lf->unreadable) {
		svc_int_add_problem(
			f, "linux-unreadable", HVO_EXIT_OK,
			"volume %u holds %s, a Linux volume the native "
			"backend does not read (it reads ext2, ext3, ext4 "
			"and XFS): the distribution, kernels and Hyper-V "
			"daemons are not known; try --backend appliance",
			part, f->volumes[lf->volume].vol.fstype);
		return;
	}
	char vn[96];
	svc_int_add_problem(f, "linux-guest", HVO_EXIT_OK,
			    "a Linux guest (%s) on %s: Linux guests get "
			    "integration services from their kernel and the "
			    "distribution's Hyper-V daemons; there is nothing "
			    "for hvoffline to install",
			    distro(lf), where(&v->vol, vn, sizeof(vn)));
	mounts_evaluate(f, lf);
	if (lf->journal_needs_recovery)
		svc_int_add_problem(f, "linux-journal", HVO_EXIT_OK,
				    "the root filesystem's journal needs "
				    "recovery (the guest was not shut down "
				    "cleanly): what was read may be stale");
	if (lf->package_db_wal)
		svc_int_add_problem(f, "linux-rpmdb-wal", HVO_EXIT_OK,
				    "%s-wal holds changes rpm had not yet "
				    "written into %s (the guest stopped "
				    "without closing its database): they are "
				    "not read, the package found may be stale",
				    lf->package_db, lf->package_db);
	if (lf->nkernels == 0)
		svc_int_add_problem(f, "linux-no-kernel", HVO_EXIT_OK,
				    "no kernel module tree was found under "
				    "/lib/modules: the Hyper-V drivers cannot "
				    "be checked");
	for (size_t i = 0; i < lf->nkernels; i++) {
		const struct svc_linux_kernel *k = &lf->kernels[i];
		if (kernel_complete(k))
			continue;
		char miss[160];
		lacking(k, miss, sizeof(miss));
		svc_int_add_problem(
			f, "linux-hv-modules", HVO_EXIT_OK,
			"kernel %s lacks the Hyper-V drivers %s: boot it on "
			"Hyper-V only after installing a kernel built with "
			"them (CONFIG_HYPERV, CONFIG_HYPERV_UTILS, "
			"CONFIG_HYPERV_NET, CONFIG_HYPERV_STORAGE), such as "
			"the distribution's standard or cloud kernel",
			k->version, miss);
	}
	bool any = false, all = true;
	for (int d = 0; d < SVC_LINUX_NDAEMONS; d++) {
		const struct svc_linux_daemon *dm = &lf->daemons[d];
		if (dm->binary[0] || dm->unit[0])
			any = true;
		else
			all = false;
	}
	if (!any) {
		svc_int_add_problem(f, "linux-hv-daemons", HVO_EXIT_OK,
				    "the Hyper-V daemons (KVP, VSS, file "
				    "copy) are not installed: in the guest, "
				    "%s",
				    install_hint(lf));
		return;
	}
	for (int d = 0; d < SVC_LINUX_NDAEMONS; d++) {
		const struct svc_linux_daemon *dm = &lf->daemons[d];
		if (!all && !dm->binary[0] && !dm->unit[0])
			svc_int_add_problem(
				f, "linux-hv-daemon-missing", HVO_EXIT_OK,
				"%s is not installed: in the "
				"guest, %s",
				svc_linux_daemon_name(d), install_hint(lf));
		else if (dm->masked)
			svc_int_add_problem(f, "linux-hv-daemon-masked",
					    HVO_EXIT_OK,
					    "%s is masked: in the guest, "
					    "systemctl unmask %s",
					    svc_linux_daemon_name(d), dm->unit);
		else if (dm->unit[0] && !dm->enabled)
			svc_int_add_problem(f, "linux-hv-daemon-disabled",
					    HVO_EXIT_OK,
					    "%s is installed but not enabled: "
					    "in the guest, systemctl enable %s",
					    svc_linux_daemon_name(d), dm->unit);
		else if (dm->binary[0] && !dm->unit[0] && lf->systemd)
			svc_int_add_problem(
				f, "linux-hv-daemon-no-unit", HVO_EXIT_OK,
				"%s is installed (%s) but has no "
				"systemd unit: nothing starts it",
				svc_linux_daemon_name(d), dm->binary);
	}
}

void svc_int_linux_not_windows(const struct svc_facts *f, char *buf,
			       size_t size)
{
	const struct svc_linux_facts *lf = f->linux_guest;
	if (lf == NULL) {
		snprintf(buf, size, "no Windows installation was found");
		return;
	}
	const struct svc_volume_facts *v = &f->volumes[lf->volume];
	char what[288], vn[96];
	if (lf->unreadable)
		snprintf(what, sizeof(what), "a Linux volume (%s, not read)",
			 v->vol.fstype);
	else
		snprintf(what, sizeof(what), "%s", distro(lf));
	snprintf(buf, size,
		 "%s on %s is a Linux guest, not Windows: hvoffline "
		 "installs nothing in Linux guests, which get integration "
		 "services from their kernel (the hv_vmbus, hv_utils, "
		 "hv_netvsc and hv_storvsc drivers) and the distribution's "
		 "Hyper-V daemons (KVP, VSS, file copy; in the guest: %s); "
		 "`hvoffline inspect` tells which of these it has",
		 what, where(&v->vol, vn, sizeof(vn)), install_hint(lf));
}

static void kv_text(struct json_writer *w, const char *key, const char *s)
{
	hvo_int_json_kv_string(w, key, s != NULL && s[0] != '\0' ? s : NULL);
}

struct text_field {
	const char *key, *value;
};

static void kv_texts(struct json_writer *w, const struct text_field *t,
		     size_t n)
{
	for (size_t i = 0; i < n; i++)
		kv_text(w, t[i].key, t[i].value);
}

/* "key": { ... (closed by the caller). */
static void begin_keyed(struct json_writer *w, const char *key)
{
	hvo_int_json_key(w, key);
	hvo_int_json_begin_object(w);
}

/* "key": true/false, or null when it could not be told. */
static void kv_known_bool(struct json_writer *w, const char *key, bool known,
			  bool v)
{
	hvo_int_json_key(w, key);
	if (known)
		hvo_int_json_bool(w, v);
	else
		hvo_int_json_null(w);
}

static void kernel_json(struct json_writer *w, const struct svc_linux_kernel *k)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "version", k->version);
	hvo_int_json_kv_bool(w, "vmlinuz", k->vmlinuz);
	hvo_int_json_kv_bool(w, "hyperv", kernel_complete(k));
	begin_keyed(w, "modules");
	for (int m = 0; m < SVC_LINUX_NMODULES; m++) {
		begin_keyed(w, svc_linux_module_name(m));
		hvo_int_json_kv_string(w, "state",
				       svc_linux_modstate_name(k->mod[m]));
		kv_text(w, "path", k->mod_path[m]);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_object(w);
	hvo_int_json_end_object(w);
}

static void daemon_json(struct json_writer *w, enum svc_linux_daemon_id id,
			const struct svc_linux_daemon *d)
{
	const struct text_field text[] = { { "program", d->binary },
					   { "unit", d->unit },
					   { "unit_file", d->unit_path },
					   { "wanted_by", d->wanted_by } };
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "name", svc_linux_daemon_name(id));
	hvo_int_json_kv_bool(w, "installed", d->binary[0] || d->unit[0]);
	kv_texts(w, text, sizeof(text) / sizeof(text[0]));
	hvo_int_json_kv_bool(w, "enabled", d->enabled);
	hvo_int_json_kv_bool(w, "masked", d->masked);
	hvo_int_json_end_object(w);
}

/* /etc/fstab's mounts followed: where each is and whether it was read. */
static void mounts_json(const struct svc_facts *f, struct json_writer *w)
{
	const struct svc_linux_facts *lf = f->linux_guest;
	hvo_int_json_kv_bool(w, "fstab", lf->fstab);
	hvo_int_json_key(w, "mounts");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < lf->nmounts; i++) {
		const struct svc_linux_mount *m = &lf->mounts[i];
		const struct guest_volume *vol =
			m->found ? &f->volumes[m->volume].vol : NULL;
		const struct text_field text[] = {
			{ "mountpoint", m->dir },
			{ "spec", m->spec },
			{ "fstab_type", m->vfstype },
			{ "filesystem", vol ? vol->fstype : NULL },
		};
		hvo_int_json_begin_object(w);
		kv_texts(w, text, sizeof(text) / sizeof(text[0]));
		hvo_int_json_key(w, "partition");
		vol ? hvo_int_json_uint(w, vol->partnum) : hvo_int_json_null(w);
		kv_text(w, "device", vol ? vol->device : NULL);
		hvo_int_json_kv_bool(w, "lvm", m->lvm);
		hvo_int_json_kv_bool(w, "read", m->read);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

void svc_int_linux_json(const struct svc_facts *f, struct json_writer *w)
{
	const struct svc_linux_facts *lf = f->linux_guest;
	hvo_int_json_key(w, "linux");
	if (lf == NULL) {
		hvo_int_json_null(w);
		return;
	}
	const struct svc_volume_facts *v = &f->volumes[lf->volume];
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "partition", v->vol.partnum);
	hvo_int_json_kv_string(w, "device", v->vol.device);
	kv_text(w, "filesystem", v->vol.fstype);
	hvo_int_json_kv_bool(w, "readable", !lf->unreadable);
	hvo_int_json_kv_bool(w, "journal_needs_recovery",
			     lf->journal_needs_recovery);
	mounts_json(f, w);
	hvo_int_json_key(w, "distribution");
	const struct text_field os[] = {
		{ "os_release", lf->os_release_path },
		{ "id", lf->os.id },
		{ "id_like", lf->os.id_like },
		{ "name", lf->os.name },
		{ "version_id", lf->os.version_id },
		{ "version", lf->os.version },
		{ "codename", lf->os.codename },
		{ "pretty_name", lf->os.pretty_name },
	};
	hvo_int_json_begin_object(w);
	kv_texts(w, os, sizeof(os) / sizeof(os[0]));
	hvo_int_json_end_object(w);
	hvo_int_json_key(w, "kernels");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < lf->nkernels; i++)
		kernel_json(w, &lf->kernels[i]);
	hvo_int_json_end_array(w);
	hvo_int_json_kv_bool(w, "kernels_truncated", lf->kernels_truncated);
	hvo_int_json_kv_bool(w, "systemd", lf->systemd);
	begin_keyed(w, "package");
	kv_text(w, "manager", lf->package_manager);
	hvo_int_json_kv_bool(w, "database_read", lf->package_known);
	kv_text(w, "name", lf->package);
	kv_known_bool(w, "installed", lf->package_known, lf->package_installed);
	kv_text(w, "version", lf->package_version);
	kv_text(w, "arch", lf->package_arch);
	kv_text(w, "database", lf->package_db);
	hvo_int_json_kv_bool(w, "database_wal_not_read", lf->package_db_wal);
	hvo_int_json_kv_uint(w, "headers_skipped", lf->package_db_bad);
	hvo_int_json_end_object(w);
	hvo_int_json_key(w, "daemons");
	hvo_int_json_begin_array(w);
	for (int d = 0; d < SVC_LINUX_NDAEMONS; d++)
		daemon_json(w, d, &lf->daemons[d]);
	hvo_int_json_end_array(w);
	kv_text(w, "problem", lf->problem);
	hvo_int_json_end_object(w);
}

void svc_int_linux_text(const struct svc_facts *f, FILE *out)
{
	const struct svc_linux_facts *lf = f->linux_guest;
	if (lf == NULL)
		return;
	const struct svc_volume_facts *v = &f->volumes[lf->volume];
	char vn[96];
	fprintf(out, "  linux:         %s on %s (%s%s)\n",
		lf->unreadable ? "a Linux volume" : distro(lf),
		where(&v->vol, vn, sizeof(vn)), v->vol.fstype,
		lf->unreadable ? ", not read" : "");
	if (lf->unreadable)
		return;
	for (size_t i = 0; i < lf->nmounts; i++) {
		const struct svc_linux_mount *m = &lf->mounts[i];
		if (m->read)
			fprintf(out, "  mount:         %s on %s (%s, %s)\n",
				m->dir,
				where(&f->volumes[m->volume].vol, vn,
				      sizeof(vn)),
				f->volumes[m->volume].vol.fstype, m->spec);
		else
			fprintf(out,
				"  mount:         %s from %s, not read%s\n",
				m->dir, m->spec,
				m->found ? ""
				: m->lvm ? " (LVM, not on this disk)"
					 : " (not on this disk)");
	}
	if (lf->nkernels == 0)
		fprintf(out, "  kernel:        none under /lib/modules\n");
	for (size_t i = 0; i < lf->nkernels; i++) {
		const struct svc_linux_kernel *k = &lf->kernels[i];
		fprintf(out, "  kernel:        %s:", k->version);
		for (int m = 0; m < SVC_LINUX_NMODULES; m++)
			fprintf(out, "%s %s %s", m ? "," : "",
				svc_linux_module_name(m),
				svc_linux_modstate_name(k->mod[m]));
		fprintf(out, "\n");
	}
	if (!lf->package_known && lf->package_manager[0])
		fprintf(out, "  package:       not known (%s)\n",
			lf->problem[0] ? lf->problem
				       : "no package database was found");
	if (lf->package_known && lf->package_installed)
		fprintf(out, "  package:       %s %s%s%s (%s, %s)\n",
			lf->package, lf->package_version,
			lf->package_arch[0] ? "." : "", lf->package_arch,
			lf->package_manager, lf->package_db);
	else if (lf->package_known)
		fprintf(out,
			"  package:       no Hyper-V daemons package (%s, "
			"%s)\n",
			lf->package_manager, lf->package_db);
	for (int d = 0; d < SVC_LINUX_NDAEMONS; d++) {
		const struct svc_linux_daemon *dm = &lf->daemons[d];
		if (!dm->binary[0] && !dm->unit[0]) {
			fprintf(out, "  daemon:        %s not installed\n",
				svc_linux_daemon_name(d));
			continue;
		}
		fprintf(out, "  daemon:        %s %s, %s%s%s%s\n",
			svc_linux_daemon_name(d),
			dm->binary[0] ? dm->binary : "(no program)",
			dm->unit[0] ? dm->unit : "no systemd unit",
			dm->masked    ? " masked"
			: dm->enabled ? " enabled ("
			: dm->unit[0] ? " not enabled"
				      : "",
			dm->enabled && !dm->masked ? dm->wanted_by : "",
			dm->enabled && !dm->masked ? ")" : "");
	}
}

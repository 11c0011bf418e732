/*
 * inspect_report.c - the facts as JSON (for scripts) and as text.
 *
 * The JSON field names are an interface: scripts read them.  Absent facts
 * are null, never omitted, so that a filter such as .windows.arch always
 * has something to look at.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "servicing/inspect.h"
#include "servicing/inspect_linux.h"
#include "servicing/inspect_report.h"

static void kv_text(struct json_writer *w, const char *key, const char *s)
{
	hvo_int_json_kv_string(w, key, s != NULL && s[0] != '\0' ? s : NULL);
}

static bool is_ic_package(const struct svc_installed_package *p)
{
	return strcasestr(p->name, "Hyper-V-Integration-Services") != NULL;
}

static void hive_json(struct json_writer *w, const char *name,
		      const struct svc_hive_facts *h)
{
	hvo_int_json_key(w, name);
	if (!h->present) {
		hvo_int_json_null(w);
		return;
	}
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "size", h->size);
	hvo_int_json_kv_bool(w, "dirty", h->dirty);
	hvo_int_json_kv_uint(w, "sequence1", h->seq1);
	hvo_int_json_kv_uint(w, "sequence2", h->seq2);
	hvo_int_json_kv_bool(w, "log1", h->log1);
	hvo_int_json_kv_bool(w, "log2", h->log2);
	hvo_int_json_key(w, "logs_usable");
	if (h->dirty && h->logs_checked)
		hvo_int_json_bool(w, h->logs_usable);
	else
		hvo_int_json_null(w);
	hvo_int_json_kv_bool(w, "corrupt", h->corrupt);
	kv_text(w, "problem", h->problem);
	hvo_int_json_end_object(w);
}

static void volume_json(struct json_writer *w, const struct svc_volume_facts *v)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "partition", v->vol.partnum);
	hvo_int_json_kv_string(w, "device", v->vol.device);
	hvo_int_json_kv_uint(w, "start", v->vol.start);
	hvo_int_json_kv_uint(w, "size", v->vol.size);
	kv_text(w, "filesystem", v->vol.fstype);
	kv_text(w, "label", v->ntfs_readable ? v->ntfs_info.label : NULL);
	hvo_int_json_key(w, "mbr_type");
	if (v->vol.mbr_id != 0) {
		char id[8];
		snprintf(id, sizeof(id), "0x%02x", v->vol.mbr_id);
		hvo_int_json_string(w, id);
	} else {
		hvo_int_json_null(w);
	}
	kv_text(w, "gpt_type", v->vol.gpt_type);
	kv_text(w, "gpt_guid", v->vol.gpt_guid);
	hvo_int_json_kv_bool(w, "esp", v->esp);
	hvo_int_json_kv_bool(w, "recovery", v->recovery);
	hvo_int_json_kv_bool(w, "bitlocker", v->bitlocker);
	hvo_int_json_key(w, "ntfs");
	if (v->ntfs) {
		hvo_int_json_begin_object(w);
		hvo_int_json_key(w, "version");
		if (v->ntfs_readable) {
			char ver[16];
			snprintf(ver, sizeof(ver), "%u.%u", v->ntfs_info.major,
				 v->ntfs_info.minor);
			hvo_int_json_string(w, ver);
			hvo_int_json_kv_uint(w, "flags", v->ntfs_info.flags);
			hvo_int_json_kv_bool(w, "dirty",
					     (v->ntfs_info.flags &
					      GUEST_NTFS_VOLUME_DIRTY) != 0);
		} else {
			hvo_int_json_null(w);
		}
		kv_text(w, "problem", v->ntfs_problem);
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	hvo_int_json_key(w, "read_write_probe");
	if (v->rw_probe >= 0) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_int(w, "code", v->rw_probe);
		hvo_int_json_kv_string(w, "meaning",
				       guest_ntfs_probe_meaning(v->rw_probe));
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	hvo_int_json_kv_bool(w, "mounted", v->mounted);
	kv_text(w, "mount_error", v->mount_error);
	hvo_int_json_kv_bool(w, "windows", v->windows);
	kv_text(w, "systemroot", v->systemroot);
	hvo_int_json_end_object(w);
}

static void windows_json(struct json_writer *w, const struct svc_facts *f)
{
	hvo_int_json_key(w, "windows");
	if (!f->windows_found) {
		hvo_int_json_null(w);
		return;
	}
	const struct svc_volume_facts *v = &f->volumes[f->windows_volume];
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_uint(w, "partition", v->vol.partnum);
	hvo_int_json_kv_string(w, "device", v->vol.device);
	hvo_int_json_kv_string(w, "systemroot", f->systemroot);
	kv_text(w, "system_drive", f->system_drive);
	/* Where the letter came from: SYSTEM\MountedDevices, when
	 * SOFTWARE's SystemRoot gave none. */
	hvo_int_json_kv_bool(w, "system_drive_from_mounted_devices",
			     f->system_drive_from_mounted_devices);
	kv_text(w, "systemroot_value", f->systemroot_value);
	kv_text(w, "product_name", f->product_name);
	kv_text(w, "edition_id", f->edition_id);
	kv_text(w, "installation_type", f->installation_type);
	kv_text(w, "current_version", f->current_version);
	char ver[32];
	snprintf(ver, sizeof(ver), "%u.%u", f->nt_major, f->nt_minor);
	hvo_int_json_kv_string(w, "version",
			       f->current_version[0] ? ver : NULL);
	hvo_int_json_kv_uint(w, "major", f->nt_major);
	hvo_int_json_kv_uint(w, "minor", f->nt_minor);
	hvo_int_json_kv_uint(w, "build", f->build);
	kv_text(w, "service_pack", f->csd_version);
	kv_text(w, "arch", f->arch);
	kv_text(w, "arch_source", f->arch_source);
	hvo_int_json_key(w, "current_control_set");
	if (f->current_control_set != 0) {
		hvo_int_json_uint(w, f->current_control_set);
		char cs[32];
		snprintf(cs, sizeof(cs), "ControlSet%03u",
			 f->current_control_set);
		hvo_int_json_kv_string(w, "control_set", cs);
	} else {
		hvo_int_json_null(w);
		hvo_int_json_kv_string(w, "control_set", NULL);
	}
	hvo_int_json_end_object(w);
}

static void ic_json(struct json_writer *w, const struct svc_facts *f)
{
	hvo_int_json_key(w, "integration_services");
	if (!f->windows_found) {
		hvo_int_json_null(w);
		return;
	}
	hvo_int_json_begin_object(w);
	hvo_int_json_key(w, "vmbus_sys");
	if (f->vmbus_present) {
		hvo_int_json_begin_object(w);
		hvo_int_json_key(w, "file_version");
		if (f->vmbus_version_known) {
			char v[32];
			guest_pe_version_format(&f->vmbus_version, v,
						sizeof(v));
			hvo_int_json_string(w, v);
		} else {
			hvo_int_json_null(w);
		}
		kv_text(w, "version_string", f->vmbus_version_string);
		kv_text(w, "problem", f->vmbus_problem);
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	hvo_int_json_key(w, "vmbus_service_start");
	if (f->vmbus_service)
		hvo_int_json_uint(w, f->vmbus_start);
	else
		hvo_int_json_null(w);
	kv_text(w, "registry_version", f->ic_registry_version);
	hvo_int_json_key(w, "packages");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < f->npackages; i++) {
		const struct svc_installed_package *p = &f->packages[i];
		if (!is_ic_package(p))
			continue;
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "name", p->name);
		hvo_int_json_kv_string(w, "arch", p->arch);
		hvo_int_json_kv_string(w, "version", p->version);
		hvo_int_json_kv_bool(w, "servicing", p->in_servicing);
		hvo_int_json_kv_bool(w, "cbs", p->in_cbs);
		hvo_int_json_key(w, "cbs_state");
		if (p->in_cbs)
			hvo_int_json_uint(w, p->cbs_state);
		else
			hvo_int_json_null(w);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_kv_uint(w, "installed_packages", f->npackages);
	hvo_int_json_end_object(w);
}

static void safety_json(struct json_writer *w, const struct svc_facts *f)
{
	hvo_int_json_key(w, "safety");
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_bool(w, "safe", f->verdict == HVO_EXIT_OK);
	hvo_int_json_kv_bool(w, "in_use", f->in_use);
	hvo_int_json_kv_bool(w, "differencing", f->differencing);
	kv_text(w, "parent", f->parent);
	kv_text(w, "child", f->child);
	hvo_int_json_key(w, "hiberfil");
	if (f->hiberfil_present) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "signature", f->hiber_signature);
		hvo_int_json_kv_string(w, "state", guest_hiber_name(f->hiber));
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	hvo_int_json_key(w, "hives");
	hvo_int_json_begin_object(w);
	hive_json(w, "SOFTWARE", &f->software);
	hive_json(w, "SYSTEM", &f->system);
	hvo_int_json_end_object(w);
	hvo_int_json_end_object(w);
}

void svc_facts_json(const struct svc_facts *f, struct json_writer *w)
{
	hvo_int_json_kv_string(w, "image", f->image);
	hvo_int_json_kv_string(w, "status", svc_facts_status(f));
	hvo_int_json_kv_int(w, "exit_code", f->verdict);
	hvo_int_json_key(w, "file");
	hvo_int_json_begin_object(w);
	kv_text(w, "format", f->format);
	hvo_int_json_kv_uint(w, "size", f->file_size);
	hvo_int_json_end_object(w);

	hvo_int_json_key(w, "disk");
	if (f->disk_read) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "partition_table",
				       guest_ptable_name(f->ptable));
		kv_text(w, "disk_guid", f->disk_guid);
		hvo_int_json_kv_uint(w, "size", f->disk_size);
		hvo_int_json_key(w, "generation");
		if (f->generation != 0)
			hvo_int_json_uint(w, f->generation);
		else
			hvo_int_json_null(w);
		hvo_int_json_key(w, "esp_partition");
		if (f->esp_partnum >= 0)
			hvo_int_json_uint(w, (unsigned)f->esp_partnum);
		else
			hvo_int_json_null(w);
		hvo_int_json_key(w, "volumes");
		hvo_int_json_begin_array(w);
		for (size_t i = 0; i < f->nvolumes; i++)
			volume_json(w, &f->volumes[i]);
		hvo_int_json_end_array(w);
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	windows_json(w, f);
	ic_json(w, f);
	svc_int_linux_json(f, w);
	safety_json(w, f);
	hvo_int_json_key(w, "pending");
	if (f->pending.read)
		svc_pending_json(&f->pending, w);
	else
		hvo_int_json_null(w);
	svc_int_problems_json(f, w);
}

void svc_int_problems_json(const struct svc_facts *f, struct json_writer *w)
{
	hvo_int_json_key(w, "problems");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < f->nproblems; i++) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "code", f->problems[i].code);
		hvo_int_json_kv_int(w, "exit_code", f->problems[i].exit);
		hvo_int_json_kv_string(w, "message", f->problems[i].message);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

void svc_facts_text(const struct svc_facts *f, FILE *out)
{
	fprintf(out, "%s: %s\n", f->image, svc_facts_status(f));
	if (f->disk_read) {
		fprintf(out, "  disk:          %s, %llu bytes, %s%s\n",
			f->format, (unsigned long long)f->disk_size,
			guest_ptable_name(f->ptable),
			f->generation == 2   ? " with an EFI system partition "
					       "(Hyper-V generation 2)"
			: f->generation == 1 ? " (Hyper-V generation 1)"
					     : "");
		for (size_t i = 0; i < f->nvolumes; i++) {
			const struct svc_volume_facts *v = &f->volumes[i];
			fprintf(out, "  volume %u:      %s %s%s%s%s%s\n",
				v->vol.partnum, v->vol.device,
				v->vol.fstype[0] ? v->vol.fstype : "unknown",
				v->esp ? ", EFI system partition" : "",
				v->recovery ? ", recovery (Windows RE)" : "",
				v->bitlocker ? ", BitLocker" : "",
				v->windows ? ", Windows" : "");
		}
	}
	if (f->windows_found) {
		char ver[32] = "unknown";
		if (f->vmbus_version_known)
			guest_pe_version_format(&f->vmbus_version, ver,
						sizeof(ver));
		fprintf(out, "  windows:       %s (NT %u.%u build %u%s%s)\n",
			f->product_name && f->product_name[0] ? f->product_name
							      : "unknown",
			f->nt_major, f->nt_minor, f->build,
			f->csd_version[0] ? ", " : "", f->csd_version);
		fprintf(out, "  system root:   %s%s%s on volume %u\n",
			f->system_drive, f->system_drive[0] ? "\\" : "",
			f->systemroot,
			f->volumes[f->windows_volume].vol.partnum);
		fprintf(out, "  architecture:  %s%s%s%s\n",
			f->arch[0] ? f->arch : "unknown",
			f->arch_source[0] ? " (from " : "", f->arch_source,
			f->arch_source[0] ? ")" : "");
		if (f->current_control_set)
			fprintf(out, "  control set:   ControlSet%03u\n",
				f->current_control_set);
		fprintf(out, "  vmbus.sys:     %s\n",
			f->vmbus_present ? ver : "absent");
		fprintf(out, "  IC version:    %s (registry)\n",
			f->ic_registry_version[0] ? f->ic_registry_version
						  : "not set");
		for (size_t i = 0; i < f->npackages; i++)
			if (is_ic_package(&f->packages[i]))
				fprintf(out, "  IC package:    %s %s %s\n",
					f->packages[i].name,
					f->packages[i].arch,
					f->packages[i].version);
		svc_pending_text(&f->pending, out);
	}
	svc_int_linux_text(f, out);
	for (size_t i = 0; i < f->nproblems; i++)
		fprintf(out, "  %s %s\n",
			f->problems[i].exit == HVO_EXIT_OK ? "note:   "
							   : "problem:",
			f->problems[i].message);
}

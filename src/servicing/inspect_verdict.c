/*
 * inspect_verdict.c - step 3 of inspection (pure): the facts -> problems, each
 * with its exit class, and the verdict (see inspect.h).
 */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/package.h"
#include "servicing/inspect_int.h"
#include "servicing/inspect_linux.h"
#include "util/bytes.h"

/* ------------------------------------------------------------------ */
/* Step 3: the verdict.                                                */
/* ------------------------------------------------------------------ */

static void evaluate_hive(struct svc_facts *f, const char *name,
			  const struct svc_hive_facts *h)
{
	if (!h->present)
		return;
	if (h->corrupt) {
		svc_int_add_problem(f, "hive-corrupt", HVO_EXIT_CORRUPT,
				    "the %s hive is corrupt: %s", name,
				    svc_int_text_or(h->problem, "?"));
		return;
	}
	if (!h->dirty)
		return;
	if (h->logs_checked && h->logs_usable) {
		svc_int_add_problem(
			f, "hive-dirty-recoverable", HVO_EXIT_OK,
			"the %s hive was not saved cleanly (sequence "
			"numbers %u/%u); its transaction logs are valid "
			"and will be replayed before any change",
			name, h->seq1, h->seq2);
		return;
	}
	if (!h->log1 && !h->log2)
		svc_int_add_problem(
			f, "hive-dirty-no-logs", HVO_EXIT_REFUSED,
			"the %s hive was not saved cleanly (sequence "
			"numbers %u/%u) and its transaction logs "
			"(%s.LOG1, %s.LOG2) are missing: changes that "
			"live only in the logs would be lost; boot the "
			"guest and shut it down cleanly first",
			name, h->seq1, h->seq2, name, name);
	else
		svc_int_add_problem(
			f, "hive-dirty-bad-logs", HVO_EXIT_REFUSED,
			"the %s hive was not saved cleanly (sequence "
			"numbers %u/%u) and its transaction logs %s: "
			"boot the guest and shut it down cleanly first",
			name, h->seq1, h->seq2,
			h->logs_checked ? "cannot recover it"
					: "could not be checked");
}

void svc_inspect_evaluate(struct svc_facts *f)
{
	svc_int_problems_clear(f);
	f->verdict = HVO_EXIT_OK;

	if (!f->preflight_ok) {
		svc_int_add_problem(f,
				    f->preflight_corrupt ? "image-corrupt"
							 : "image-unreadable",
				    f->preflight_corrupt ? HVO_EXIT_CORRUPT
							 : HVO_EXIT_FAILED,
				    "%s",
				    svc_int_text_or(f->preflight_error, ""));
		return;
	}
	const char *child = svc_int_text_or(f->child, "?");
	if (f->differencing && !f->backend_opens_vhdx)
		svc_int_add_problem(
			f, "differencing-disk", HVO_EXIT_REFUSED,
			"this is a differencing disk (a Hyper-V "
			"checkpoint) of %s, which the appliance cannot "
			"open: merge it into its parent (Hyper-V: delete "
			"the checkpoint, or Edit Disk > Merge) and service "
			"the merged %s instead",
			svc_int_text_or(f->parent, "a parent not recorded"),
			svc_int_text_or(f->parent, "disk"));
	if (f->parent_of_child)
		svc_int_add_problem(
			f, "parent-of-differencing-disk", HVO_EXIT_REFUSED,
			"the checkpoint %s is based on this image, and "
			"the virtual machine runs on it: writing to this "
			"image would break the checkpoint chain; merge the "
			"checkpoints and service the merged disk, not this "
			"parent (service %s instead)",
			child, child);
	if (f->in_use)
		svc_int_add_problem(f, "in-use", HVO_EXIT_REFUSED,
				    "the image is in use: %s; stop the virtual "
				    "machine first",
				    svc_int_text_or(f->in_use_by, "locked"));
	if (f->vhdx_log_dirty && !f->backend_opens_vhdx)
		svc_int_add_problem(
			f, "vhdx-log-dirty", HVO_EXIT_REFUSED,
			"the VHDX log holds changes that were never "
			"applied (the image was not closed cleanly: still "
			"in use, or its host crashed); the appliance "
			"cannot open it read-only (hvoffline vhdx replay "
			"applies the log)");
	if (f->vhdx_4k_sectors && !f->backend_opens_vhdx)
		svc_int_add_problem(
			f, "vhdx-4k-sectors", HVO_EXIT_FAILED,
			"the image has 4 KiB logical sectors, which the "
			"appliance (qemu) cannot open");
	if (!f->disk_read) {
		if (f->disk_error != NULL)
			svc_int_add_problem(f, "guest-error", HVO_EXIT_FAILED,
					    "%s", f->disk_error);
		return;
	}
	if (f->disk_error != NULL)
		svc_int_add_problem(f, "guest-error", HVO_EXIT_FAILED, "%s",
				    f->disk_error);

	if (f->ptable_problem != NULL) {
		/* Nothing on the disk can be located: that is the whole
		 * story (not also "no Windows"). */
		svc_int_add_problem(f, "partition-table-corrupt",
				    HVO_EXIT_CORRUPT,
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
		svc_int_add_problem(
			f, "bitlocker", HVO_EXIT_REFUSED,
			"volume %u (%s) is BitLocker-encrypted: it "
			"cannot be read or serviced offline; decrypt it "
			"(manage-bde -off) or suspend protection and "
			"service it from Windows",
			v->vol.partnum, v->vol.device);
	}
	if (!f->windows_found && f->linux_guest != NULL) {
		svc_int_linux_evaluate(f);
		return;
	}
	if (!f->windows_found) {
		svc_int_add_problem(
			f, "no-windows", HVO_EXIT_OK,
			"no Windows installation was found (no volume "
			"holds Windows\\System32\\config\\SOFTWARE and "
			"SYSTEM)%s",
			bitlocker ? "; an encrypted volume may hold it" : "");
		return;
	}
	if (f->apply_interrupted)
		svc_int_add_problem(f, "apply-interrupted", HVO_EXIT_OK,
				    "an earlier hvoffline apply stopped while "
				    "switching files in (its journal "
				    "%s\\hvoffline\\apply-in-progress.txt is "
				    "there): apply again to complete it",
				    f->systemroot);
	if (f->windows_count > 1)
		svc_int_add_problem(
			f, "several-windows", HVO_EXIT_REFUSED,
			"%u Windows installations were found; "
			"hvoffline services images with exactly one",
			f->windows_count);

	const struct svc_volume_facts *w = &f->volumes[f->windows_volume];
	if (f->hiberfil_present && guest_hiber_unsafe(f->hiber))
		svc_int_add_problem(
			f, "hibernated", HVO_EXIT_REFUSED,
			"Windows is hibernated or was shut down with "
			"Fast Startup (hiberfil.sys signature \"%s\", "
			"%s): changes would be lost or corrupt the "
			"volume when it resumes; start the guest and "
			"shut it down fully (shutdown /s /t 0), or "
			"disable Fast Startup (powercfg /h off)",
			f->hiber_signature, guest_hiber_name(f->hiber));
	if (w->ntfs_readable &&
	    (w->ntfs_info.flags & GUEST_NTFS_VOLUME_DIRTY) != 0)
		svc_int_add_problem(
			f, "ntfs-dirty", HVO_EXIT_REFUSED,
			"the Windows volume is marked dirty (not "
			"cleanly unmounted, or chkdsk is pending): run "
			"chkdsk in the guest first");
	if (w->rw_probe > 0)
		svc_int_add_problem(
			f, "read-only", HVO_EXIT_REFUSED,
			"the Windows volume can only be mounted "
			"read-only: ntfs-3g says it is %s (code %d)",
			guest_ntfs_probe_meaning(w->rw_probe), w->rw_probe);
	if (w->ntfs && !w->ntfs_readable && w->ntfs_problem != NULL)
		svc_int_add_problem(
			f, "ntfs-corrupt", HVO_EXIT_CORRUPT,
			"the Windows volume's NTFS metadata is damaged: "
			"%s",
			w->ntfs_problem);
	evaluate_hive(f, "SOFTWARE", &f->software);
	evaluate_hive(f, "SYSTEM", &f->system);
	if (f->system.opened && f->current_control_set == 0)
		svc_int_add_problem(
			f, "no-control-set", HVO_EXIT_CORRUPT,
			"the SYSTEM hive has no valid Select\\Current");
	else if (f->system.opened && !f->control_set_present)
		svc_int_add_problem(
			f, "no-control-set", HVO_EXIT_CORRUPT,
			"the SYSTEM hive has no ControlSet%03u, which "
			"Select\\Current names",
			f->current_control_set);
	if (f->arch[0] == '\0')
		svc_int_add_problem(f, "unknown-arch", HVO_EXIT_OK,
				    "the architecture could not be read from "
				    "ntoskrnl.exe or cmd.exe%s%s",
				    f->arch_problem ? ": " : "",
				    svc_int_text_or(f->arch_problem, ""));
	if (f->vmbus_version_known && f->ic_registry_version[0] != '\0') {
		char v[32];
		guest_pe_version_format(&f->vmbus_version, v, sizeof(v));
		if (pkg_version_cmp_str(v, f->ic_registry_version) != 0)
			svc_int_add_problem(
				f, "ic-version-mismatch", HVO_EXIT_OK,
				"vmbus.sys is version %s but "
				"IntegrationServicesVersion says %s (the "
				"running guest rewrites the value from the "
				"driver; vmbus.sys is taken)",
				v, f->ic_registry_version);
	}
	if (f->vmbus_present && !f->vmbus_version_known)
		svc_int_add_problem(f, "vmbus-version-unknown", HVO_EXIT_OK,
				    "vmbus.sys has no readable version: %s",
				    svc_int_text_or(f->vmbus_problem, ""));
}

/*
 * inspect.h - what a guest image is, and whether touching it is safe
 * (SERVICING.md section 3, steps 1 to 5).
 *
 * Inspection runs in three steps, so that each can be used and tested on
 * its own:
 *
 *   svc_inspect_preflight()  the image file itself, natively, before any
 *                            appliance: format, in use, differencing disk
 *                            or parent of one.
 *   svc_inspect_disk()       the guest, through the guest layer (the
 *                            appliance, or a host directory in tests):
 *                            volumes, Windows, its version and
 *                            architecture, control set, integration
 *                            services, and the raw safety observations.
 *   svc_inspect_evaluate()   pure: the observations -> problems, each with
 *                            its exit class, and the verdict.
 *
 * The facts are plain data (no handles): once collected, the plan and the
 * reports read them without I/O.  Nothing in inspection writes to the
 * image: volumes are mounted read-only on read-only drives, and hives are
 * read from copies.
 */
#ifndef HVO_SERVICING_INSPECT_H
#define HVO_SERVICING_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"
#include "guest/pe.h"
#include "guest/volume.h"
#include "hvoffline.h"
#include "servicing/error.h"
#include "servicing/inspect_pending.h"

struct svc_linux_facts;

#define SVC_TEXT_MAX 256 /* registry strings we keep (truncated) */
#define SVC_NAME_MAX 128

/* An installed package: from Windows\servicing\Packages\*.mum, from the
 * CBS Packages key, or both. */
struct svc_installed_package {
	char name[SVC_NAME_MAX];
	char token[24]; /* publicKeyToken, 16 hex digits */
	char arch[16];
	char language[32]; /* "" for neutral */
	char version[32];
	bool in_servicing;  /* a .mum file in Windows\servicing\Packages */
	bool in_cbs;	    /* a key under CBS\Packages */
	uint32_t cbs_state; /* its CurrentState (0x70: installed); 0 if none */
};

/* What one hive file looks like (read from a copy on the host). */
struct svc_hive_facts {
	bool present;
	uint64_t size;
	bool opened; /* its values could be read */
	bool dirty;  /* base block: sequence numbers differ or bad sum */
	uint32_t seq1, seq2;
	bool log1, log2;   /* HIVE.LOG1 / HIVE.LOG2 beside it */
	bool logs_checked; /* the logs were validated (registry/) */
	bool logs_usable;  /* a replay would succeed */
	bool corrupt;	   /* not a usable hive */
	char problem[SVC_TEXT_MAX];
};

struct svc_volume_facts {
	struct guest_volume vol; /* layout as the guest layer reports it */
	bool esp;
	bool recovery; /* a Windows RE partition: not mounted, not probed */
	bool bitlocker;
	/* NTFS observations (from the boot sector and the $Volume record). */
	bool ntfs;
	bool ntfs_readable; /* boot sector and $Volume parsed */
	struct guest_ntfs_volinfo ntfs_info;
	char ntfs_problem[SVC_TEXT_MAX];
	int rw_probe; /* ntfs-3g.probe --readwrite exit code, -1: not run */
	/* Mounting (read-only). */
	bool mount_tried, mounted;
	char mount_error[SVC_TEXT_MAX];
	/* A Windows installation on this volume. */
	bool windows;
	char systemroot[64]; /* stored spelling, e.g. "Windows", "WINDOWS" */
};

/* The line that marks a script as written by hvoffline's first-boot
 * step (doc/firstboot.md). */
#define SVC_FIRSTBOOT_MARKER "rem hvoffline first-boot step"

/* One problem found: a stable code for scripts, its exit class, and a
 * sentence for people. */
struct svc_problem {
	char code[32];
	enum hvo_exit exit;
	char message[512];
};

#define SVC_MAX_PROBLEMS 32

struct svc_facts {
	/* ---- the image file (pre-flight) ---- */
	/* Text fields are owned strings (svc_facts_free), NULL when
	 * absent; the image is never NULL after svc_facts_init. */
	char *image;	 /* as the user named it */
	char format[16]; /* "vhdx", "raw", ... ; "" if unknown */
	uint64_t file_size;
	bool preflight_ok;     /* the file can be opened by the appliance */
	char *preflight_error; /* why the pre-flight failed, or NULL */
	bool preflight_corrupt;
	bool differencing;	    /* the image has a parent (.avhdx) */
	char *parent;		    /* its parent, as its locator says */
	bool parent_of_child;	    /* a differencing disk beside it uses it */
	char *child;		    /* that child */
	bool in_use;		    /* another process holds a lock */
	char *in_use_by;	    /* who holds it, or NULL */
	uint64_t vhdx_virtual_size; /* bytes; 0 unless a VHDX was read */
	bool vhdx_log_dirty;	    /* a VHDX log that needs a replay */
	/* The guest backend opens VHDX itself (native, or the appliance
	 * through nbdkit-hvoffline-plugin): a checkpoint, a dirty log or
	 * 4 KiB sectors are no problem.  Set by the caller. */
	bool backend_opens_vhdx;
	bool vhdx_4k_sectors; /* 4 KiB logical sectors (qemu: no) */

	/* ---- the disk ---- */
	bool disk_read;	  /* the guest layer opened the disk */
	char *disk_error; /* why the disk could not be read, or NULL */
	enum guest_ptable ptable;
	char disk_guid[40];   /* GPT: the disk GUID, upper case; else "" */
	char *ptable_problem; /* an unreadable partition table, or NULL */
	uint64_t disk_size;
	unsigned generation; /* Hyper-V generation 1 (MBR) or 2 (GPT + ESP);
				0 when it cannot be told */
	int esp_partnum;     /* EFI system partition, or -1 */
	size_t nvolumes;
	struct svc_volume_facts *volumes;

	/* ---- Windows ---- */
	bool windows_found;
	unsigned windows_count; /* installations found (1 normally) */
	size_t windows_volume;	/* index into volumes */
	char systemroot[64];
	/* The guest's own drive letter ("D:") and SystemRoot as its
	 * SOFTWARE hive says (CurrentVersion SystemRoot, "D:\WINNT"); ""
	 * when the value is absent or not "X:\<the system root found>". */
	char system_drive[4];
	/* system_drive came from SYSTEM\MountedDevices (SOFTWARE's
	 * SystemRoot was absent or named another folder). */
	bool system_drive_from_mounted_devices;
	char *systemroot_value; /* or NULL */
	char *product_name;	/* or NULL */
	char edition_id[64];
	char installation_type[64];
	char current_version[16]; /* the registry's CurrentVersion, "6.1" */
	char csd_version[64];	  /* "Service Pack 1", or "" */
	unsigned nt_major, nt_minor, build;
	char arch[16];	      /* "x86", "amd64", ... ; "" if unknown */
	char arch_source[32]; /* "ntoskrnl.exe" or "cmd.exe" */
	uint16_t machine;
	char *arch_problem;	      /* or NULL */
	unsigned current_control_set; /* Select\Current; 0 if unknown */
	bool control_set_present;     /* ControlSet00N exists */
	struct svc_hive_facts software, system;

	/* ---- integration services ---- */
	bool vmbus_present;
	bool vmbus_version_known;
	struct guest_pe_version vmbus_version; /* VS_FIXEDFILEINFO */
	char vmbus_version_string[GUEST_PE_STRING_MAX];
	char *vmbus_problem;	      /* or NULL */
	bool vmbus_service;	      /* Services\vmbus in the current set */
	uint32_t vmbus_start;	      /* its Start value */
	char ic_registry_version[64]; /* IntegrationServicesVersion, or "" */
	size_t npackages;	      /* every installed package */
	struct svc_installed_package *packages;

	/* ---- first-boot hooks (doc/firstboot.md) ---- */
	/* SYSTEM\Setup: Winlogon runs CmdLine before logon when SetupType
	 * is non-zero; Windows Setup and sysprep use it for their own
	 * passes.  ImageState from SOFTWARE\...\Setup\State. */
	uint32_t setup_type;
	char setup_cmdline[256];
	uint32_t setup_in_progress; /* SystemSetupInProgress */
	uint32_t oobe_in_progress;  /* OOBEInProgress */
	char image_state[64];	    /* "IMAGE_STATE_COMPLETE", or "" */
	bool setupcomplete_present; /* Setup\Scripts\SetupComplete.cmd */
	bool setupcomplete_ours;    /* ... is hvoffline's own wrapper */
	/* An apply that died while switching files in left its journal:
	 * the guest may hold part of a package (see apply.h). */
	bool apply_interrupted;
	/* What an earlier run left pending (inspect_pending.h). */
	struct svc_pending pending;

	/* ---- safety observations on the Windows volume ---- */
	bool hiberfil_present;
	enum guest_hiber_state hiber;
	char hiber_signature[5];

	/* ---- the outcome (svc_inspect_evaluate) ---- */
	size_t nproblems;
	struct svc_problem problems[SVC_MAX_PROBLEMS];
	enum hvo_exit verdict;

	/* ---- a Linux guest (inspect_linux.h), when no Windows ---- */
	struct svc_linux_facts *linux_guest; /* NULL unless found */
};

/* Initialises @f for image @image (as the user named it). */
void svc_facts_init(struct svc_facts *f, const char *image);

/* Frees what @f holds (not @f itself). */
void svc_facts_free(struct svc_facts *f);

/*
 * Step 1: the image file, natively, without launching anything.  Fills the
 * pre-flight fields; never writes to the file.  @writing: the run will
 * write the image, so any other user (readers too) makes it in use;
 * otherwise only a writer does.
 */
void svc_inspect_preflight(struct svc_facts *f, const char *path, bool writing);

struct svc_inspect_opts {
	/* A private host directory for hive copies (created by the caller,
	 * removed by the caller). */
	const char *tmpdir;
};

/*
 * Step 2: reads everything from @disk (any backend).  Volumes are mounted
 * read-only.  Returns SVC_OK, or the error that makes the facts incomplete
 * (its message in @f->disk_error; a volume that cannot be mounted is a
 * fact of that volume, not an error).
 */
enum svc_err svc_inspect_disk(struct guest_disk *disk,
			      const struct svc_inspect_opts *opts,
			      struct svc_facts *f);

/* Steps 2 and 3 again on a disk that has changed since (an interrupted
 * apply was cleaned up), keeping the pre-flight facts. */
enum svc_err svc_inspect_again(struct guest_disk *disk,
			       const struct svc_inspect_opts *opts,
			       struct svc_facts *f);

/* Step 3 (pure): derives the problems and the verdict from the facts. */
void svc_inspect_evaluate(struct svc_facts *f);

/* The installed package of @name and @arch with the highest version, or
 * NULL. */
const struct svc_installed_package *svc_facts_find_package(
	const struct svc_facts *f, const char *name, const char *arch);

/* Whether a problem with @code was found. */
bool svc_facts_has_problem(const struct svc_facts *f, const char *code);

/* "ok", "unsafe", "corrupt", "no-windows", "error". */
const char *svc_facts_status(const struct svc_facts *f);

#endif /* HVO_SERVICING_INSPECT_H */

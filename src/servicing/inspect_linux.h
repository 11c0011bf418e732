/*
 * inspect_linux.h - what inspection finds in a Linux guest: the
 * distribution, its kernels and whether each has the Hyper-V drivers, and
 * the Hyper-V daemons (KVP, VSS, file copy) with their systemd units.
 *
 * Linux guests get their integration services from the kernel (the
 * hv_vmbus, hv_utils, hv_netvsc and hv_storvsc drivers) and from the
 * distribution's daemons package (hyperv-daemons on Debian, Ubuntu's
 * linux-cloud-tools, RHEL and Fedora; hyper-v on SUSE), not from a
 * Microsoft package: hvoffline installs nothing in them, it reports what
 * is there and what to do (Microsoft, "Supported Linux and FreeBSD
 * virtual machines for Hyper-V on Windows").
 *
 *   inspect_linux_parse.c   pure parsers of the guest's text files
 *                           (os-release, dpkg status, modules.builtin,
 *                           modules.dep), fuzzed by fuzz/fuzz_linux.c
 *   inspect_linux.c         the facts, read through guest_fs
 *   inspect_linux_report.c  notes, JSON and text
 */
#ifndef HVO_SERVICING_INSPECT_LINUX_H
#define HVO_SERVICING_INSPECT_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "guest/guest.h"
#include "util/json.h"

struct svc_facts;

/* ------------------------------------------------------------------ */
/* Parsers (inspect_linux_parse.c): bounded, never trust the input.    */
/* ------------------------------------------------------------------ */

/* What os-release(5) says. */
struct svc_os_release {
	char id[64];
	char id_like[128];
	char name[128];
	char version_id[64];
	char version[128];
	char pretty_name[256];
	char codename[64]; /* VERSION_CODENAME */
};

/*
 * Parses an os-release file: KEY=VALUE lines, values unquoted as a shell
 * would ('...' literally, "..." with \\ \" \$ \` escapes), comments and
 * unknown keys ignored.  Returns whether any known key was found.
 */
bool svc_linux_parse_os_release(const char *buf, size_t len,
				struct svc_os_release *out);

/* Whether dpkg's status file lists package @name as installed ("Status:
 * install ok installed"); its Version in @version (may be NULL). */
bool svc_linux_dpkg_installed(const char *buf, size_t len, const char *name,
			      char *version, size_t vsize);

/* Whether modules.builtin (one "kernel/.../name.ko" a line) lists module
 * @name ('-' and '_' alike, as modprobe has them); its line in @path. */
bool svc_linux_builtin_find(const char *buf, size_t len, const char *name,
			    char *path, size_t psize);

/* Where modules.dep ("kernel/.../name.ko[.xz|.zst|.gz]: deps" lines)
 * puts module @name, relative to the kernel's module directory. */
bool svc_linux_dep_find(const char *buf, size_t len, const char *name,
			char *path, size_t psize);

/* ------------------------------------------------------------------ */
/* Facts.                                                              */
/* ------------------------------------------------------------------ */

/* The Hyper-V drivers looked for in each kernel, in this order. */
enum svc_linux_module {
	SVC_LINUX_HV_VMBUS = 0, /* the VMBus: everything else needs it */
	SVC_LINUX_HV_UTILS,	/* shutdown, time sync, heartbeat, KVP, VSS */
	SVC_LINUX_HV_NETVSC,	/* the synthetic network adapter */
	SVC_LINUX_HV_STORVSC,	/* the synthetic SCSI controller */
	SVC_LINUX_NMODULES
};

/* "hv_vmbus", ... */
const char *svc_linux_module_name(enum svc_linux_module m);

enum svc_linux_modstate {
	SVC_MOD_MISSING = 0,
	SVC_MOD_FILE,	 /* a module file with a module's magic */
	SVC_MOD_BUILTIN, /* listed in modules.builtin */
	SVC_MOD_DAMAGED, /* a file, but not an ELF (or compressed) one */
};

/* "missing", "module", "built-in", "damaged". */
const char *svc_linux_modstate_name(enum svc_linux_modstate s);

/* Distributions keep two or three; more are reported as truncated. */
#define SVC_LINUX_MAX_KERNELS 16

struct svc_linux_kernel {
	char version[128]; /* its directory under /lib/modules */
	bool vmlinuz;	   /* /boot/vmlinuz-<version> on the root volume */
	enum svc_linux_modstate mod[SVC_LINUX_NMODULES];
	char mod_path[SVC_LINUX_NMODULES][192]; /* where, or "" */
};

/* The Hyper-V daemons, in this order. */
enum svc_linux_daemon_id {
	SVC_LINUX_KVP = 0, /* key-value pair exchange */
	SVC_LINUX_VSS,	   /* volume shadow copy (backups) */
	SVC_LINUX_FCOPY,   /* guest services: file copy */
	SVC_LINUX_NDAEMONS
};

struct svc_linux_daemon {
	char binary[128]; /* "usr/sbin/hv_kvp_daemon", or "" */
	char unit[64];	  /* its systemd unit file's name, or "" */
	char unit_path[128];
	bool enabled;	    /* linked from a *.wants or *.requires dir */
	char wanted_by[64]; /* that target ("multi-user.target") */
	bool masked;	    /* /etc/systemd/system/<unit> -> /dev/null */
};

/* "hv_kvp_daemon", ... */
const char *svc_linux_daemon_name(enum svc_linux_daemon_id d);

struct svc_linux_facts {
	size_t volume; /* index into the facts' volumes */
	/* No readable root was found, but volume @volume holds a Linux
	 * filesystem this backend does not read (xfs, btrfs, LVM): only
	 * that is known. */
	bool unreadable;
	char os_release_path[32];
	bool os_release;
	struct svc_os_release os;
	bool journal_needs_recovery; /* ext: not shut down cleanly */
	/* Kernels: one per directory under /lib/modules. */
	size_t nkernels;
	bool kernels_truncated;
	struct svc_linux_kernel kernels[SVC_LINUX_MAX_KERNELS];
	/* The daemons and their package. */
	bool systemd; /* /lib/systemd/system or /usr/lib/systemd/system */
	struct svc_linux_daemon daemons[SVC_LINUX_NDAEMONS];
	char package_manager[8]; /* "dpkg", "rpm", or "" */
	bool package_known;	 /* the package database was read */
	bool package_installed;
	char package[48];
	char package_version[64];
	char problem[256]; /* what could not be read */
};

/*
 * Looks on @disk's ext2/3/4 volumes (mounted read-only) for a Linux root
 * filesystem (/etc/os-release, else /usr/lib/os-release) and, when one
 * is found, reads its facts into f->linux_guest (allocated; freed by
 * svc_facts_free()).  Called when no Windows was found.
 */
void svc_int_inspect_linux(struct guest_disk *disk, struct svc_facts *f);

/* Step 3 for a Linux guest: notes (exit 0) with what to do. */
void svc_int_linux_evaluate(struct svc_facts *f);

/* The "linux" member of inspect's JSON (null when not Linux). */
void svc_int_linux_json(const struct svc_facts *f, struct json_writer *w);

/* Lines of inspect's text report (nothing when not Linux). */
void svc_int_linux_text(const struct svc_facts *f, FILE *out);

#endif /* HVO_SERVICING_INSPECT_LINUX_H */

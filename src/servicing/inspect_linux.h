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
 *   inspect_linux_view.c    /etc/fstab's volumes, paths across them
 *   inspect_linux_pkg.c     the daemons' package: dpkg, rpm (rpm.h)
 *   inspect_linux_report.c  notes, JSON and text
 */
#ifndef HVO_SERVICING_INSPECT_LINUX_H
#define HVO_SERVICING_INSPECT_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* An /etc/fstab line (fstab(5)): its first three fields, \040-style
 * octal escapes decoded. */
struct svc_fstab_entry {
	char spec[128];	  /* "UUID=...", "LABEL=boot", "/dev/sda2" */
	char file[128];	  /* the mount point, "/usr" */
	char vfstype[16]; /* "ext4", "xfs", "swap", ... */
};

/* Parses fstab lines into at most @max entries; returns how many.
 * Comments, blank lines and lines of fewer than three fields are
 * skipped. */
size_t svc_linux_parse_fstab(const char *buf, size_t len,
			     struct svc_fstab_entry *out, size_t max);

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

/* Mounts of /etc/fstab followed (besides the root). */
#define SVC_LINUX_MAX_MOUNTS 8

struct svc_linux_mount {
	char dir[64];	/* "/usr", "/boot" */
	char spec[128]; /* as fstab names the volume */
	char vfstype[16];
	bool found;    /* a volume of this disk */
	size_t volume; /* which, when found */
	bool read;     /* mounted and part of what is read */
	bool lvm;      /* names an LVM logical volume */
};

struct svc_linux_facts {
	size_t volume; /* index into the facts' volumes */
	/* No readable root was found, but volume @volume holds a Linux
	 * filesystem this backend does not read (btrfs, LVM, a damaged ext
	 * or XFS volume): only
	 * that is known. */
	bool unreadable;
	bool fstab; /* /etc/fstab was read */
	size_t nmounts;
	struct svc_linux_mount mounts[SVC_LINUX_MAX_MOUNTS];
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
	char package_version[160]; /* dpkg's Version; rpm's [E:]V-R */
	char package_arch[32];	   /* rpm's ARCH, or "" */
	char package_db[128];	   /* "/var/lib/rpm/rpmdb.sqlite", ... */
	/* rpmdb.sqlite has a non-empty write-ahead log beside it (the guest
	 * stopped with rpm's last changes not checkpointed): not read. */
	bool package_db_wal;
	size_t package_db_bad; /* headers that did not parse, skipped */
	char problem[256];     /* what could not be read */
};

/*
 * Looks on @disk's ext2/3/4 volumes (mounted read-only) for a Linux root
 * filesystem (/etc/os-release, else /usr/lib/os-release) and, when one
 * is found, reads its facts into f->linux_guest (allocated; freed by
 * svc_facts_free()).  Called when no Windows was found.
 */
void svc_int_inspect_linux(struct guest_disk *disk, struct svc_facts *f);

/* The guest's files as it sees them: the root and the volumes of its
 * /etc/fstab, paths relative to "/" (inspect_linux_view.c). */
struct svc_linux_view {
	size_t n; /* fs[0] is the root */
	struct guest_fs *fs[1 + SVC_LINUX_MAX_MOUNTS];
	char dir[1 + SVC_LINUX_MAX_MOUNTS][64]; /* "usr", "boot"; "" */
	struct guest_fs *last; /* the one the last call went to */
};

/* Follows the root's /etc/fstab to the other ext volumes of @disk (into
 * f->linux_guest->mounts and @v). */
void svc_int_linux_mounts(struct guest_disk *disk, struct svc_facts *f,
			  struct svc_linux_view *v);

/* guest_fs_read(), _pread(), _stat(), _list() and _readlink() on the
 * view: symbolic links followed across its mounts (stat and readlink do
 * not follow the last). */
int svc_int_lx_stat(struct svc_linux_view *v, const char *path,
		    struct guest_stat *st);
int svc_int_lx_readlink(struct svc_linux_view *v, const char *path,
			char **target);
int svc_int_lx_list(struct svc_linux_view *v, const char *path, char ***names,
		    size_t *n);
int svc_int_lx_read(struct svc_linux_view *v, const char *path, size_t max,
		    uint8_t **buf, size_t *len);
int svc_int_lx_pread(struct svc_linux_view *v, const char *path, uint64_t off,
		     size_t len, uint8_t *buf, size_t *got);
const char *svc_int_lx_errmsg(const struct svc_linux_view *v);

/* The package that brings the daemons, from dpkg's status file or the
 * RPM database (inspect_linux_pkg.c). */
void svc_int_linux_read_package(struct svc_linux_view *v,
				struct svc_linux_facts *lf);

/* Step 3 for a Linux guest: notes (exit 0) with what to do. */
void svc_int_linux_evaluate(struct svc_facts *f);

/* What apply and services say of an image without Windows: for a Linux
 * guest, that it is one and what gives it integration services; else
 * "no Windows installation was found". */
void svc_int_linux_not_windows(const struct svc_facts *f, char *buf,
			       size_t size);

/* The "linux" member of inspect's JSON (null when not Linux). */
void svc_int_linux_json(const struct svc_facts *f, struct json_writer *w);

/* Lines of inspect's text report (nothing when not Linux). */
void svc_int_linux_text(const struct svc_facts *f, FILE *out);

#endif /* HVO_SERVICING_INSPECT_LINUX_H */

/*
 * inspect_linux_pkg.c - the package that brings a Linux guest's Hyper-V
 * daemons, from the guest's own package database (see inspect_linux.h):
 * dpkg's status file on Debian and Ubuntu, the RPM database on RHEL,
 * CentOS, Fedora and SUSE (rpm.h).
 *
 * The RPM database is where rpm's %_dbpath puts it: /var/lib/rpm, or
 * /usr/lib/sysimage/rpm (Fedora 36+, SUSE; /var/lib/rpm is then a link
 * to it).  Which file is there tells the format: rpmdb.sqlite (RHEL 9+,
 * Fedora 33+), Packages (Berkeley DB: RHEL 7 and 8), Packages.db (SUSE's
 * ndb, not read).  SQLite's file is tried first: a system upgraded from
 * Berkeley DB may keep the old Packages beside the live database.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/inspect_int.h"
#include "servicing/inspect_linux.h"
#include "servicing/rpm.h"
#include "util/bytes.h"

/* dpkg's status file is a few MiB on a full desktop; an RPM database of
 * a full RHEL 8 install one or two hundred MiB: both bounded by what
 * guest_fs reads at all. */
#define DPKG_STATUS_MAX (64u * 1024 * 1024)
#define RPMDB_MAX	GUEST_READ_MAX

/* The packages that bring the daemons, per package manager, best first:
 * Debian's and Ubuntu's; RHEL's and Fedora's (hyperv-daemons pulls in one
 * subpackage per daemon), SUSE's. */
static const char *const dpkg_packages[] = { "hyperv-daemons",
					     "linux-cloud-tools-common" };
static const char *const rpm_packages[] = { "hyperv-daemons", "hypervkvpd",
					    "hypervvssd", "hypervfcopyd",
					    "hyper-v" };

static const char *const rpm_dirs[] = { "var/lib/rpm", "usr/lib/sysimage/rpm" };

static const struct {
	const char *file;
	enum svc_rpm_format format;
} rpm_files[] = {
	{ "rpmdb.sqlite", SVC_RPM_SQLITE },
	{ "Packages", SVC_RPM_BDB },
};

static bool read_dpkg(struct svc_linux_view *v, struct svc_linux_facts *lf)
{
	uint8_t *buf;
	size_t len;
	int r = svc_int_lx_read(v, "var/lib/dpkg/status", DPKG_STATUS_MAX, &buf,
				&len);
	if (r == GUEST_E_NOENT)
		return false;
	snprintf(lf->package_manager, sizeof(lf->package_manager), "dpkg");
	snprintf(lf->package_db, sizeof(lf->package_db),
		 "/var/lib/dpkg/status");
	if (r != GUEST_OK) {
		svc_int_set_text(lf->problem, sizeof(lf->problem),
				 "dpkg status: %s", svc_int_lx_errmsg(v));
		return true;
	}
	lf->package_known = true;
	for (size_t i = 0; i < HVO_ARRAY_SIZE(dpkg_packages); i++) {
		if (!svc_linux_dpkg_installed(
			    (const char *)buf, len, dpkg_packages[i],
			    lf->package_version, sizeof(lf->package_version)))
			continue;
		lf->package_installed = true;
		snprintf(lf->package, sizeof(lf->package), "%s",
			 dpkg_packages[i]);
		break;
	}
	free(buf);
	return true;
}

/* Whether @path exists and is not empty. */
static bool nonempty(struct svc_linux_view *v, const char *path)
{
	struct guest_stat st;
	return svc_int_lx_stat(v, path, &st) == GUEST_OK && st.size > 0;
}

static void found_rpm(struct svc_linux_facts *lf, int which,
		      const struct svc_rpm_pkg *p)
{
	lf->package_installed = true;
	snprintf(lf->package, sizeof(lf->package), "%s", rpm_packages[which]);
	if (p->has_epoch && p->epoch != 0)
		snprintf(lf->package_version, sizeof(lf->package_version),
			 "%u:%s-%s", p->epoch, p->version, p->release);
	else
		snprintf(lf->package_version, sizeof(lf->package_version),
			 "%s-%s", p->version, p->release);
	snprintf(lf->package_arch, sizeof(lf->package_arch), "%s", p->arch);
}

/* Reads the RPM database file @dir/@file; whether it was there. */
static bool read_rpmdb(struct svc_linux_view *v, struct svc_linux_facts *lf,
		       const char *dir, const char *file,
		       enum svc_rpm_format format)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	uint8_t *buf;
	size_t len;
	int r = svc_int_lx_read(v, path, RPMDB_MAX, &buf, &len);
	if (r == GUEST_E_NOENT)
		return false;
	snprintf(lf->package_db, sizeof(lf->package_db), "/%s", path);
	if (r != GUEST_OK) {
		svc_int_set_text(lf->problem, sizeof(lf->problem), "/%s: %s",
				 path, svc_int_lx_errmsg(v));
		return true;
	}
	if (format == SVC_RPM_SQLITE) {
		snprintf(path, sizeof(path), "%s/%s-wal", dir, file);
		lf->package_db_wal = nonempty(v, path);
	}
	struct svc_rpm_pkg pkg;
	char why[160] = "";
	int which = svc_rpm_find(buf, len, format, rpm_packages,
				 HVO_ARRAY_SIZE(rpm_packages), &pkg,
				 &lf->package_db_bad, why, sizeof(why));
	free(buf);
	if (which == -2) {
		svc_int_set_text(lf->problem, sizeof(lf->problem), "%s: %s",
				 lf->package_db, why);
		return true;
	}
	lf->package_known = true;
	if (which >= 0)
		found_rpm(lf, which, &pkg);
	return true;
}

static void read_rpm(struct svc_linux_view *v, struct svc_linux_facts *lf)
{
	struct guest_stat st;
	for (size_t d = 0; d < HVO_ARRAY_SIZE(rpm_dirs); d++) {
		if (svc_int_lx_stat(v, rpm_dirs[d], &st) == GUEST_E_NOENT)
			continue;
		snprintf(lf->package_manager, sizeof(lf->package_manager),
			 "rpm");
		for (size_t f = 0; f < HVO_ARRAY_SIZE(rpm_files); f++)
			if (read_rpmdb(v, lf, rpm_dirs[d], rpm_files[f].file,
				       rpm_files[f].format))
				return;
	}
	for (size_t d = 0; d < HVO_ARRAY_SIZE(rpm_dirs); d++) {
		char path[96];
		snprintf(path, sizeof(path), "%s/Packages.db", rpm_dirs[d]);
		if (svc_int_lx_stat(v, path, &st) != GUEST_OK)
			continue;
		snprintf(lf->package_db, sizeof(lf->package_db), "/%s", path);
		svc_int_set_text(lf->problem, sizeof(lf->problem),
				 "/%s: rpm's ndb format is not read", path);
		return;
	}
}

void svc_int_linux_read_package(struct svc_linux_view *v,
				struct svc_linux_facts *lf)
{
	if (!read_dpkg(v, lf))
		read_rpm(v, lf);
}

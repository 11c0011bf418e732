/*
 * plan.c - from a package model and a guest's facts to the operations of
 * `apply` (see plan.h and SERVICING.md section 3, step 7).
 *
 * What the plan does with each part of a package, and why:
 *
 *   Drivers (<driver> updates).  The INF decides everything, for the
 *   guest's architecture and NT version (pkg_inf_resolve picks the
 *   decoration): CopyFiles to their DIRID directories; AddService to
 *   SYSTEM\ControlSet00N\Services\<name> with the service-install
 *   section's values and AddReg, and the event-log source; on NT 6.1 and
 *   older, CriticalDeviceDatabase entries for the hardware IDs of a
 *   boot-start function driver, so that the boot disk's controller binds
 *   before Plug and Play runs (virt-v2v does the same for virtio).  NT 6.2
 *   and later have the Hyper-V drivers inbox, and a partial DriverDatabase
 *   is known to break later upgrades (reference/offline-ic.md section 6.7),
 *   so nothing is written there.  The device's own keys (HKR of DDInstall,
 *   .HW sections) and co-installers only exist once Plug and Play meets
 *   the device: they are listed as deferred.  Every driver package is
 *   also staged whole under %SystemRoot%\hvoffline\Drivers, with the
 *   package's signed catalog under the name its INF expects, and that
 *   folder is added to DevicePath so that Plug and Play finds them for
 *   devices that appear at first boot.
 *
 *   Components (<component> updates and their install dependencies).
 *   Files to their $(runtime.*) destinations, <registryKeys>, services
 *   from <serviceData> (with triggers and failure actions stored as the
 *   service control manager stores them) and svchost group memberships.
 *   Security descriptors are recorded as deferred: Windows' servicing
 *   re-applies them when it completes the package at first boot.
 *
 *   Staging.  The cabinet with update.mum and update.cat goes to
 *   %SystemRoot%\hvoffline\Packages\<package>\ for the first-boot step,
 *   which runs DISM /Online /Add-Package on it (firstboot.c).
 *
 *   IntegrationServicesVersion under SOFTWARE\Microsoft\Virtual
 *   Machine\Auto, and the JSON record under %SystemRoot%\Logs\hvoffline.
 *
 * The guest's system drive is taken to be C:, as it is for every Windows
 * that boots from its own disk; paths in registry data that the package
 * writes expanded ($(runtime.system32) -> C:\Windows\System32) use it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "registry/reg.h"
#include "servicing/plan_int.h"

/* ------------------------------------------------------------------ */
/* The plan.                                                           */
/* ------------------------------------------------------------------ */

static uint32_t product_type(const struct svc_facts *f)
{
	if (strncasecmp(f->installation_type, "Server", 6) == 0)
		return VER_NT_SERVER;
	if (strcasecmp(f->installation_type, "Client") == 0)
		return VER_NT_WORKSTATION;
	return 0;
}

static enum svc_err fail_facts(struct svc_error *err, const char *what)
{
	return svc_int_fail(err, SVC_ERR_INVALID, "cannot plan: %s", what);
}

/* The cabinet's file name ("Windows6.2-...-x64.cab"), for staging. */
static const char *cab_name(const struct svc_source_package *sp)
{
	const char *w = sp->where ? sp->where : sp->path;
	const char *s = strrchr(w, '/');
	return s ? s + 1 : w;
}

static enum pkg_err build(struct plan_build *b)
{
	struct svc_plan *p = b->plan;
	const struct svc_facts *f = b->facts;
	const struct pkg_package *pkg = b->pkg;
	enum pkg_err r;

	for (size_t i = 0; i < pkg->nupdates; i++) {
		const struct pkg_update *u = &pkg->updates[i];
		if (u->kind == PKG_UPDATE_DRIVER) {
			r = svc_int_plan_driver(b, u);
			if (r != PKG_OK)
				return r;
		} else if (u->kind == PKG_UPDATE_COMPONENT) {
			for (size_t k = 0; k < u->nclosure; k++) {
				r = svc_int_plan_component(b, u->closure[k]);
				if (r != PKG_OK)
					return r;
			}
		} else {
			svc_int_plan_defer(b,
					   "nested packages are installed by "
					   "Windows' servicing at first boot",
					   "update %s (package %s)",
					   u->name ? u->name : "",
					   u->identity.name ? u->identity.name
							    : "");
		}
	}

	/* Plug and Play looks for drivers in DevicePath and its
	 * subdirectories. */
	char *origin = svc_int_plan_printf(b, "staged driver packages");
	svc_int_plan_add_list(b, SVC_REG_PATH_ADD, SVC_HIVE_SOFTWARE,
			      "Microsoft\\Windows\\CurrentVersion",
			      "DevicePath", PKG_REG_EXPAND_SZ,
			      "%SystemRoot%\\hvoffline\\Drivers", origin);

	/* The package, staged for Windows' servicing. */
	struct svc_plan_file cab = {
		.dest = svc_int_plan_join(b, p->package_dir, cab_name(b->sp)),
		.source = SVC_SRC_CABINET,
		.role = SVC_ROLE_STAGE,
		.has_sha256 = true,
		.size = b->sp->pkg->cab_size,
		.origin = svc_int_plan_strdup(
			b, "the package, for DISM at first boot"),
	};
	memcpy(cab.sha256, b->sp->pkg->cab_sha256, 32);
	p->staged_cab = cab.dest;
	if (!b->oom)
		svc_int_plan_add_file(b, &cab);
	r = svc_int_plan_cab_file(
		b, "update.mum",
		svc_int_plan_join(b, p->package_dir, "update.mum"),
		SVC_ROLE_STAGE, "the package manifest");
	if (r == PKG_OK)
		r = svc_int_plan_cab_file(
			b, "update.cat",
			svc_int_plan_join(b, p->package_dir, "update.cat"),
			SVC_ROLE_STAGE, "the package catalog");
	if (r != PKG_OK)
		return r;

	svc_int_plan_set_sz(b, SVC_HIVE_SOFTWARE,
			    "Microsoft\\Virtual Machine\\Auto",
			    "IntegrationServicesVersion", PKG_REG_SZ,
			    p->version, "the package version");

	r = svc_plan_firstboot(b);
	if (r != PKG_OK)
		return r;

	/* The record of the run, written by apply with the previous state
	 * of everything it changes. */
	struct tm tm;
	time_t t = (time_t)b->opts->now;
	char stamp[32];
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	p->record =
		svc_int_plan_printf(b, "%s\\apply-%s.json", p->log_dir, stamp);
	struct svc_plan_file rec = {
		.dest = p->record,
		.source = SVC_SRC_RECORD,
		.role = SVC_ROLE_RECORD,
		.origin = svc_int_plan_strdup(b, "the record of this run"),
	};
	if (!b->oom)
		svc_int_plan_add_file(b, &rec);

	svc_int_plan_merge_files(b);
	svc_int_plan_merge_regs(p);
	(void)f;
	return b->oom ? PKG_ERR_NOMEM : PKG_OK;
}

enum svc_err svc_plan_build(const struct svc_facts *f,
			    const struct svc_source_package *sp,
			    const struct svc_plan_opts *opts,
			    struct svc_plan **plan_ret, struct svc_error *err)
{
	*plan_ret = NULL;
	if (sp == NULL || sp->pkg == NULL)
		return fail_facts(err, "no package");
	const struct pkg_package *pkg = sp->pkg;
	if (!f->windows_found)
		return fail_facts(err, "no Windows installation");
	if (f->arch[0] == '\0')
		return fail_facts(err, "the guest's architecture is unknown");
	if (f->current_control_set == 0)
		return fail_facts(err, "the current control set is unknown");
	if (cab_name(sp)[0] == '\0' || strchr(cab_name(sp), '\\'))
		return fail_facts(err, "no cabinet file name");

	struct svc_plan *p = calloc(1, sizeof(*p));
	struct pkg_error perr;
	pkg_error_clear(&perr);
	struct plan_build b = { .plan = p,
				.facts = f,
				.pkg = pkg,
				.sp = sp,
				.opts = opts,
				.err = &perr };
	if (p == NULL || (p->arena = pkg_arena_new()) == NULL) {
		free(p);
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	}
	p->control_set = f->current_control_set;
	if (svc_signature_copy(&p->sig, &sp->sig) != 0) {
		svc_plan_free(p);
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	}
	p->systemroot = svc_int_plan_strdup(&b, f->systemroot);
	p->image = svc_int_plan_strdup(&b, f->image);
	p->package = svc_int_plan_strdup(&b, pkg->identity.name);
	p->version = svc_int_plan_strdup(&b, pkg->identity.version);
	p->identifier = svc_int_plan_strdup(&b, pkg->identifier);
	p->package_id = svc_int_plan_printf(
		&b, "%s~%s~%s~%s~%s", pkg->identity.name,
		pkg->identity.public_key_token ? pkg->identity.public_key_token
					       : "",
		pkg->identity.arch ? pkg->identity.arch : "",
		pkg->identity.language &&
				strcasecmp(pkg->identity.language, "neutral")
			? pkg->identity.language
			: "",
		pkg->identity.version);
	p->target.arch = svc_int_plan_strdup(&b, f->arch);
	p->target.nt_major = f->nt_major;
	p->target.nt_minor = f->nt_minor;
	p->target.build = f->build;
	p->target.product_type = product_type(f);
	/* The CriticalDeviceDatabase binds boot devices up to Windows 7 /
	 * 2008 R2; Windows 8 replaced it with the DriverDatabase. */
	p->cdd = f->nt_major < 6 || (f->nt_major == 6 && f->nt_minor <= 1);

	/* The guest's own drive letter (its SystemRoot value), never a
	 * fixed C: unless the guest does not say. */
	const char *drive = f->system_drive[0] ? f->system_drive : SYSTEM_DRIVE;
	b.paths.system_root =
		svc_int_plan_printf(&b, "%s\\%s", drive, f->systemroot);
	b.paths.system_drive = svc_int_plan_strdup(&b, drive);
	b.paths_wow = b.paths;
	b.paths_wow.wow64 = true;
	p->stage_dir = svc_int_plan_printf(&b, "%s\\hvoffline", f->systemroot);
	p->driver_dir = svc_int_plan_printf(&b, "%s\\Drivers", p->stage_dir);
	p->package_dir = svc_int_plan_printf(&b, "%s\\Packages\\%s",
					     p->stage_dir, p->package_id);
	p->log_dir =
		svc_int_plan_printf(&b, "%s\\Logs\\hvoffline", f->systemroot);

	enum pkg_err r = b.oom ? PKG_ERR_NOMEM : build(&b);
	if (r == PKG_OK && b.oom)
		r = PKG_ERR_NOMEM;
	/* Hand the pool to the plan. */
	p->pool = b.pool;
	p->npool = b.npool;
	if (r != PKG_OK) {
		svc_plan_free(p);
		if (r == PKG_ERR_NOMEM)
			return svc_int_fail(err, SVC_ERR_NOMEM,
					    "out of memory");
		/* The builder speaks the package layer's errors (it resolves
		 * DIRIDs and INF sections through src/package): graded and
		 * worded here, once. */
		if (perr.code == PKG_OK)
			perr.code = r;
		char msg[PKG_ERROR_MSG_MAX + 300]; /* file:line: message */
		enum svc_err code =
			r == PKG_ERR_UNSUPPORTED
				? SVC_ERR_UNSUPPORTED
				: svc_int_err_of_exit(pkg_exit_class(&perr),
						      SVC_ERR_IO);
		return svc_int_fail(err, code, "%s: %s", sp->where,
				    pkg_error_format(&perr, msg, sizeof(msg)));
	}
	*plan_ret = p;
	return SVC_OK;
}

void svc_plan_free(struct svc_plan *plan)
{
	if (plan == NULL)
		return;
	svc_signature_free(&plan->sig);
	for (size_t i = 0; i < plan->npool; i++)
		free(plan->pool[i]);
	free(plan->pool);
	free(plan->files);
	free(plan->regs);
	free(plan->deferred);
	free(plan->notes);
	pkg_arena_free(plan->arena);
	free(plan);
}

size_t svc_plan_count_files(const struct svc_plan *plan,
			    enum svc_file_role role)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->nfiles; i++)
		n += plan->files[i].role == role;
	return n;
}

size_t svc_plan_count_regs(const struct svc_plan *plan, enum svc_hive hive)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->nregs; i++)
		n += plan->regs[i].hive == hive;
	return n;
}

enum svc_err svc_plan_dirs(const struct svc_plan *plan, char ***dirs_ret,
			   size_t *n_ret)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	*dirs_ret = NULL;
	*n_ret = 0;
	for (size_t i = 0; i < plan->nfiles; i++) {
		const char *d = plan->files[i].dest;
		/* Every proper prefix ending before a '\'. */
		for (const char *s = strchr(d, '\\'); s;
		     s = strchr(s + 1, '\\')) {
			size_t len = (size_t)(s - d);
			bool seen = false;
			for (size_t k = 0; k < n && !seen; k++)
				seen = strlen(v[k]) == len &&
				       strncasecmp(v[k], d, len) == 0;
			if (seen)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				char **nv = realloc(v, cap * sizeof(*nv));
				if (nv == NULL)
					goto oom;
				v = nv;
			}
			if ((v[n] = strndup(d, len)) == NULL)
				goto oom;
			n++;
		}
	}
	*dirs_ret = v;
	*n_ret = n;
	return SVC_OK;
oom:
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	return SVC_ERR_NOMEM;
}

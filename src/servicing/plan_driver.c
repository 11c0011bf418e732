/*
 * plan_driver.c - the plan of a <driver> update: its INF decides
 * (CopyFiles, AddService, AddReg, CriticalDeviceDatabase on NT 6.1 and
 * older, the driver package staged for Plug and Play); see plan.c.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "registry/reg.h"
#include "servicing/plan_int.h"
#include "util/bytes.h"

/* ------------------------------------------------------------------ */
/* Drivers.                                                            */
/* ------------------------------------------------------------------ */

static const struct pkg_file *manifest_file(const struct pkg_manifest *m,
					    const char *name)
{
	/* The INF names sources by their path in the driver package; the
	 * component lists them by name. */
	const char *base = strrchr(name, '\\');
	base = base ? base + 1 : name;
	for (size_t i = 0; m != NULL && i < m->nfiles; i++)
		if (strcasecmp(m->files[i].name, base) == 0 ||
		    strcasecmp(m->files[i].name, name) == 0)
			return &m->files[i];
	return NULL;
}

char *svc_int_plan_service_key(struct plan_build *b, const char *name)
{
	return svc_int_plan_printf(b, "ControlSet%03u\\Services\\%s",
				   b->plan->control_set, name);
}

/*
 * Where an AddReg line goes: HKR is @hkr (NULL: the device's own key,
 * which does not exist before Plug and Play installs the device), HKLM
 * and HKCR map to SYSTEM and SOFTWARE.  false: not writable offline.
 */
static bool inf_reg_target(struct plan_build *b, const struct pkg_inf_reg *r,
			   const char *hkr, enum svc_hive *hive, char **key)
{
	const char *sub = r->subkey ? r->subkey : "";
	switch (r->root) {
	case PKG_INF_HKR:
		if (hkr == NULL)
			return false;
		*hive = SVC_HIVE_SYSTEM;
		*key = sub[0] ? svc_int_plan_join(b, hkr, sub)
			      : svc_int_plan_strdup(b, hkr);
		return true;
	case PKG_INF_HKLM: {
		char *full = svc_int_plan_printf(b, "HKLM\\%s", sub);
		return full != NULL &&
		       svc_int_plan_machine_key(b, full, hive, key);
	}
	case PKG_INF_HKCR: {
		char *full = svc_int_plan_printf(b, "HKCR\\%s", sub);
		return full != NULL &&
		       svc_int_plan_machine_key(b, full, hive, key);
	}
	default:
		return false;
	}
}

static const char *root_name(enum pkg_inf_root r)
{
	static const char *const n[] = { "HKR", "HKLM", "HKCR", "HKCU", "HKU" };
	return (size_t)r < HVO_ARRAY_SIZE(n) ? n[r] : "?";
}

static bool plan_inf_regs(struct plan_build *b, const struct pkg_inf *inf,
			  const struct pkg_inf_reg *regs, size_t n,
			  const char *hkr, const char *why_hkr)
{
	for (size_t i = 0; i < n; i++) {
		const struct pkg_inf_reg *r = &regs[i];
		enum svc_hive hive;
		char *key;
		if (!inf_reg_target(b, r, hkr, &hive, &key)) {
			svc_int_plan_defer(
				b,
				r->root == PKG_INF_HKR
					? why_hkr
					: "a per-user key, written when a "
					  "user logs on",
				"%s:%u [%s] AddReg %s\\%s%s%s", inf->file,
				r->line, r->section, root_name(r->root),
				r->subkey ? r->subkey : "",
				r->value_name ? " " : "",
				r->value_name ? r->value_name : "");
			continue;
		}
		if (key == NULL)
			return !b->oom;
		char *origin = svc_int_plan_printf(
			b, "%s:%u [%s] AddReg", inf->file, r->line, r->section);
		if (r->security != NULL)
			svc_int_plan_defer(
				b,
				"security descriptors are applied by "
				"Windows' servicing at first boot",
				"%s:%u [%s.security] on %s\\%s", inf->file,
				r->line, r->section, svc_hive_name(hive), key);
		if (r->flags & PKG_ADDREG_DELVAL) {
			struct svc_plan_reg d = {
				.kind = SVC_REG_DELETE,
				.hive = hive,
				.key = key,
				.name = svc_int_plan_strdup(
					b, r->value_name ? r->value_name : ""),
				.origin = origin,
			};
			if (!b->oom)
				svc_int_plan_add_reg(b, &d);
			continue;
		}
		if (r->value_name == NULL || (r->flags & PKG_ADDREG_KEYONLY)) {
			svc_int_plan_add_key(b, hive, key, origin);
			continue;
		}
		if ((r->flags & PKG_ADDREG_APPEND) &&
		    r->data.type == PKG_REG_MULTI_SZ && !r->data.raw) {
			for (size_t k = 0; k < r->data.nstrv; k++) {
				char *s = svc_int_plan_expand(b, EXPAND_INF,
							      r->data.strv[k],
							      &b->paths);
				if (s == NULL)
					return false;
				svc_int_plan_add_list(b, SVC_REG_MULTI_ADD,
						      hive, key, r->value_name,
						      PKG_REG_MULTI_SZ, s,
						      origin);
			}
			continue;
		}
		if (!svc_int_plan_value(b, hive, key, r->value_name, &r->data,
					EXPAND_INF, &b->paths, origin,
					(r->flags & PKG_ADDREG_NOCLOBBER) != 0,
					(r->flags & PKG_ADDREG_OVERWRITEONLY) !=
						0))
			return false;
	}
	return true;
}

/*
 * ImagePath of a service the INF installs.  Setup writes kernel drivers
 * under the Windows directory as "\SystemRoot\...", which the kernel
 * resolves before any drive letter exists, and Win32 services as
 * "%SystemRoot%\..." (REG_EXPAND_SZ); anything else as the full path.
 */
static char *image_path(struct plan_build *b, const struct pkg_inf_service *s)
{
	char *full = svc_int_plan_expand(b, EXPAND_INF, s->binary, &b->paths);
	if (full == NULL)
		return NULL;
	const char *root = b->paths.system_root;
	size_t n = strlen(root);
	if (strncasecmp(full, root, n) == 0 && full[n] == '\\') {
		bool driver = s->has_service_type &&
			      (s->service_type & SERVICE_DRIVER_MASK);
		return svc_int_plan_printf(
			b, "%s%s", driver ? "\\SystemRoot" : "%SystemRoot%",
			full + n);
	}
	return full;
}

/*
 * A service that svchost hosts ("...\svchost.exe -k Group") runs only if
 * it is listed in the group's REG_MULTI_SZ under Svchost.  Component
 * manifests say so explicitly (SvcHost category); INF-installed services
 * leave it to a co-installer (the 6.x package's IcCoinstall2.dll), which
 * cannot run offline, so the membership is derived from the ImagePath.
 */
static void svchost_member(struct plan_build *b, const char *image_path,
			   const char *service, const char *origin)
{
	const char *p = strcasestr(image_path, "svchost.exe");
	const char *k = p ? strstr(p, " -k ") : NULL;
	if (k == NULL)
		return;
	k += 4;
	while (*k == ' ')
		k++;
	size_t n = strcspn(k, " ");
	if (n == 0 || n > 128)
		return;
	char *group = svc_int_plan_printf(b, "%.*s", (int)n, k);
	if (group != NULL)
		svc_int_plan_add_list(
			b, SVC_REG_MULTI_ADD, SVC_HIVE_SOFTWARE,
			"Microsoft\\Windows NT\\CurrentVersion\\Svchost", group,
			PKG_REG_MULTI_SZ, service, origin);
}

static bool plan_inf_service(struct plan_build *b, const struct pkg_inf *inf,
			     const struct pkg_inf_service *s)
{
	if (s->name == NULL || s->name[0] == '\0')
		return true;
	char *key = svc_int_plan_service_key(b, s->name);
	char *origin = svc_int_plan_printf(
		b, "%s:%u AddService=%s,[%s]", inf->file, s->line, s->name,
		s->install_section ? s->install_section : "");
	if (key == NULL || origin == NULL)
		return !b->oom;
	enum svc_hive H = SVC_HIVE_SYSTEM;
	size_t first = b->plan->nregs;
	if (s->has_service_type)
		svc_int_plan_set_dword(b, H, key, "Type", s->service_type,
				       origin);
	if (s->has_start_type) {
		svc_int_plan_set_dword(b, H, key, "Start", s->start_type,
				       origin);
		if ((s->flags & SPSVCINST_NOCLOBBER_STARTTYPE) && !b->oom)
			b->plan->regs[b->plan->nregs - 1].noclobber = true;
	}
	if (s->has_error_control) {
		svc_int_plan_set_dword(b, H, key, "ErrorControl",
				       s->error_control, origin);
		if ((s->flags & SPSVCINST_NOCLOBBER_ERRORCONTROL) && !b->oom)
			b->plan->regs[b->plan->nregs - 1].noclobber = true;
	}
	if (s->binary != NULL) {
		char *ip = image_path(b, s);
		if (ip == NULL)
			return false;
		svc_int_plan_set_sz(b, H, key, "ImagePath", PKG_REG_EXPAND_SZ,
				    ip, origin);
		svchost_member(b, ip, s->name, origin);
	}
	if (s->load_order_group != NULL) {
		svc_int_plan_set_sz(b, H, key, "Group", PKG_REG_SZ,
				    s->load_order_group, origin);
		if ((s->flags & SPSVCINST_NOCLOBBER_LOADORDERGRP) && !b->oom)
			b->plan->regs[b->plan->nregs - 1].noclobber = true;
	}
	if (s->ndependencies > 0) {
		/* "+Group" names a load-order group (INF ServiceInstall
		 * section, Dependencies). */
		const char **svc = calloc(s->ndependencies, sizeof(*svc));
		const char **grp = calloc(s->ndependencies, sizeof(*grp));
		size_t ns = 0, ng = 0;
		if (svc == NULL || grp == NULL) {
			free(svc);
			free(grp);
			b->oom = true;
			return true;
		}
		for (size_t i = 0; i < s->ndependencies; i++) {
			const char *d = s->dependencies[i];
			if (d[0] == '+')
				grp[ng++] = d + 1;
			else
				svc[ns++] = d;
		}
		size_t mark = b->plan->nregs;
		if (ns)
			svc_int_plan_set_multi(b, H, key, "DependOnService",
					       svc, ns, origin);
		if (ng)
			svc_int_plan_set_multi(b, H, key, "DependOnGroup", grp,
					       ng, origin);
		free(svc);
		free(grp);
		for (size_t i = mark; i < b->plan->nregs; i++)
			if (s->flags & SPSVCINST_NOCLOBBER_DEPENDENCIES)
				b->plan->regs[i].noclobber = true;
	}
	if (s->display_name != NULL) {
		char *t = svc_int_plan_expand(b, EXPAND_INF, s->display_name,
					      &b->paths);
		if (t == NULL)
			return false;
		svc_int_plan_set_sz(b, H, key, "DisplayName", PKG_REG_SZ, t,
				    origin);
		if ((s->flags & SPSVCINST_NOCLOBBER_DISPLAYNAME) && !b->oom)
			b->plan->regs[b->plan->nregs - 1].noclobber = true;
	}
	if (s->description != NULL) {
		char *t = svc_int_plan_expand(b, EXPAND_INF, s->description,
					      &b->paths);
		if (t == NULL)
			return false;
		svc_int_plan_set_sz(b, H, key, "Description", PKG_REG_SZ, t,
				    origin);
		if ((s->flags & SPSVCINST_NOCLOBBER_DESCRIPTION) && !b->oom)
			b->plan->regs[b->plan->nregs - 1].noclobber = true;
	}
	if (s->start_name != NULL)
		svc_int_plan_set_sz(b, H, key, "ObjectName", PKG_REG_SZ,
				    s->start_name, origin);
	if (s->security != NULL)
		svc_int_plan_defer(
			b,
			"security descriptors are applied by Windows' "
			"servicing at first boot",
			"%s:%u service %s Security=%s", inf->file, s->line,
			s->name, s->security);
	(void)first;
	if (!plan_inf_regs(b, inf, s->regs, s->nregs, key,
			   "not reached: HKR is the service key"))
		return false;
	if (s->eventlog_section != NULL) {
		char *el = svc_int_plan_printf(
			b, "ControlSet%03u\\Services\\EventLog\\%s\\%s",
			b->plan->control_set,
			s->eventlog_type ? s->eventlog_type : "System",
			s->eventlog_name ? s->eventlog_name : s->name);
		if (el == NULL)
			return !b->oom;
		svc_int_plan_add_key(b, H, el, origin);
		if (!plan_inf_regs(b, inf, s->eventlog_regs, s->neventlog_regs,
				   el, "not reached: HKR is the log source"))
			return false;
	}
	return true;
}

/* "ACPI\VMBus" -> "acpi#vmbus": the key name Windows uses in the
 * CriticalDeviceDatabase (path separators are not allowed in key names). */
static char *cdd_name(struct plan_build *b, const char *hwid)
{
	char *s = svc_int_plan_strdup(b, hwid);
	for (char *p = s; p && *p; p++)
		*p = *p == '\\'
			     ? '#'
			     : (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	return s;
}

static bool plan_cdd(struct plan_build *b, const struct pkg_driver *drv)
{
	const char *cls = drv->version.class_guid;
	for (size_t i = 0; i < drv->nbindings; i++) {
		const struct pkg_inf_binding *bd = &drv->bindings[i];
		const struct pkg_inf_install *in = bd->install;
		for (size_t k = 0; in && k < in->nservices; k++) {
			const struct pkg_inf_service *s = &in->services[k];
			if (!(s->flags & SPSVCINST_ASSOCSERVICE) ||
			    !s->has_start_type || s->start_type != 0)
				continue;
			for (size_t h = 0; h < bd->device->nhwids; h++) {
				char *key = svc_int_plan_printf(
					b,
					"ControlSet%03u\\Control\\"
					"CriticalDeviceDatabase\\%s",
					b->plan->control_set,
					cdd_name(b, bd->device->hwids[h]));
				char *origin = svc_int_plan_printf(
					b, "%s: boot-start %s for %s",
					drv->inf->file, s->name,
					bd->device->hwids[h]);
				if (key == NULL || origin == NULL)
					return !b->oom;
				svc_int_plan_set_sz(b, SVC_HIVE_SYSTEM, key,
						    "Service", PKG_REG_SZ,
						    s->name, origin);
				if (cls != NULL)
					svc_int_plan_set_sz(b, SVC_HIVE_SYSTEM,
							    key, "ClassGUID",
							    PKG_REG_SZ, cls,
							    origin);
			}
		}
	}
	return true;
}

static char *inf_base(struct plan_build *b, const char *inf)
{
	char *s = svc_int_plan_strdup(b, inf);
	char *dot = s ? strrchr(s, '.') : NULL;
	if (dot != NULL && strcasecmp(dot, ".inf") == 0)
		*dot = '\0';
	return s;
}

enum pkg_err svc_int_plan_driver(struct plan_build *b,
				 const struct pkg_update *u)
{
	const struct pkg_inf *inf = u->inf_file;
	const struct pkg_manifest *man = u->manifest;
	if (inf == NULL || man == NULL) {
		pkg_error_clear(b->err);
		b->err->code = PKG_ERR_MISSING;
		snprintf(b->err->msg, sizeof(b->err->msg),
			 "driver %s: no INF or manifest in the package",
			 u->inf ? u->inf : "(unnamed)");
		return PKG_ERR_MISSING;
	}
	struct pkg_driver *drv;
	enum pkg_err r = pkg_inf_resolve(b->plan->arena, inf, &b->plan->target,
					 &drv, b->err);
	if (r != PKG_OK)
		return r;

	for (size_t i = 0; i < drv->ninstalls; i++) {
		const struct pkg_inf_install *in = &drv->installs[i];
		for (size_t k = 0; k < in->ncopies; k++) {
			const struct pkg_inf_copy *c = &in->copies[k];
			char *dir;
			r = pkg_dirid_path(b->plan->arena, c->dirid, &b->paths,
					   &dir, b->err);
			if (r != PKG_OK) {
				snprintf(b->err->file, sizeof(b->err->file),
					 "%s", inf->file);
				b->err->line = c->line;
				return r;
			}
			if (c->subdir && c->subdir[0])
				dir = svc_int_plan_join(b, dir, c->subdir);
			char *gdir =
				dir ? svc_int_plan_guest_path(b, dir) : NULL;
			if (gdir == NULL)
				return b->oom ? PKG_ERR_NOMEM : b->err->code;
			const struct pkg_file *pf = manifest_file(
				man, c->source_path ? c->source_path
						    : c->source_name);
			if (pf == NULL || pf->cab_name == NULL) {
				pkg_error_clear(b->err);
				b->err->code = PKG_ERR_MISSING;
				snprintf(b->err->file, sizeof(b->err->file),
					 "%s", inf->file);
				b->err->line = c->line;
				snprintf(b->err->msg, sizeof(b->err->msg),
					 "CopyFiles names %s, which the "
					 "driver's component does not carry",
					 c->source_name);
				return PKG_ERR_MISSING;
			}
			char *origin = svc_int_plan_printf(
				b, "%s:%u [%s] CopyFiles (DIRID %d)", inf->file,
				c->line, c->section ? c->section : in->section,
				(int)c->dirid);
			svc_int_plan_file(
				b, svc_int_plan_join(b, gdir, c->dest_name),
				SVC_ROLE_INSTALL, pf, origin);
		}
		for (size_t k = 0; k < in->nservices; k++)
			if (!plan_inf_service(b, inf, &in->services[k]))
				return b->err->code ? b->err->code
						    : PKG_ERR_NOMEM;
		if (!plan_inf_regs(b, inf, in->regs, in->nregs, NULL,
				   "the device's software key, created by "
				   "Plug and Play at first boot"))
			return b->err->code ? b->err->code : PKG_ERR_NOMEM;
		for (size_t k = 0; k < in->ndeferred; k++) {
			const struct pkg_inf_deferred *d = &in->deferred[k];
			svc_int_plan_defer(b, d->reason, "%s:%u [%s] %s=%s",
					   inf->file, d->line, d->section,
					   d->directive, d->value);
		}
	}
	if (b->plan->cdd && !plan_cdd(b, drv))
		return PKG_ERR_NOMEM;

	/* The whole driver package, staged for Plug and Play. */
	char *base = inf_base(b, inf->file);
	char *dir =
		base ? svc_int_plan_join(b, b->plan->driver_dir, base) : NULL;
	if (dir == NULL)
		return PKG_ERR_NOMEM;
	char *origin =
		svc_int_plan_printf(b,
				    "driver package %s, staged for Plug and "
				    "Play (DevicePath)",
				    inf->file);
	for (size_t i = 0; i < man->nfiles; i++)
		if (man->files[i].cab_name != NULL)
			svc_int_plan_file(
				b,
				svc_int_plan_join(b, dir, man->files[i].name),
				SVC_ROLE_STAGE, &man->files[i], origin);
	/* CBS signs driver components through the package catalog; the INF
	 * asks for a catalog of its own name, which the package catalog
	 * also covers (every file of the package is in it). */
	const char *cat = drv->version.catalog_file;
	if (cat != NULL && cat[0] != '\0' && manifest_file(man, cat) == NULL) {
		r = svc_int_plan_cab_file(b, "update.cat",
					  svc_int_plan_join(b, dir, cat),
					  SVC_ROLE_STAGE, origin);
		if (r != PKG_OK)
			return r;
	}
	return b->oom ? PKG_ERR_NOMEM : PKG_OK;
}

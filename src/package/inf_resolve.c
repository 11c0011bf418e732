/*
 * inf_resolve.c - what an INF installs on a given Windows.
 *
 * From the syntax (inf_parse.c) to the operations Windows would perform
 * for a device of the INF, following Microsoft's driver documentation:
 *
 *   [Manufacturer] -> models section (best TargetOSVersion decoration,
 *   "Combining platform extensions with operating system versions")
 *   -> DDInstall section (.NT<arch>, then .NT, then undecorated,
 *   "Creating INF files for multiple platforms and operating systems")
 *   -> CopyFiles (with [DestinationDirs]), AddReg, and
 *   DDInstall.Services -> AddService (service-install and event-log
 *   sections).
 *
 * Nothing is hard-coded about any driver: every name comes from the INF.
 * What cannot be done without a running Windows (co-installers, .HW
 * sections writing the device's hardware key, DLL registration, sections
 * of other INFs) is recorded as deferred, by section and directive, for
 * the report and the first-boot step.
 *
 * This file chooses the DDInstall section and collects what it installs;
 * the directives are resolved in inf_models.c, inf_addreg.c,
 * inf_copyfiles.c and inf_services.c, over the helpers of inf_rctx.c.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/inf_resolve.h"
#include "util/bytes.h"

static const struct {
	const char *suffix;
	const char *reason;
} deferred_sections[] = {
	{ ".HW", "writes the device's hardware key; Plug and Play does it "
		 "at first boot" },
	{ ".CoInstallers", "co-installers run only during device "
			   "installation, at first boot" },
	{ ".Interfaces", "device interfaces are registered by Plug and Play" },
	{ ".WMI", "WMI security is applied at device installation" },
	{ ".LogConfig", "resource configuration of a legacy device" },
	{ ".FactDef", "factory-default resources of a legacy device" },
	{ ".Wdf", "framework settings applied at device installation" },
	{ ".Components", "software components are installed by Plug and Play" },
	{ ".Software", "software is installed by Plug and Play" },
	{ ".Filters", "class filters are registered by Plug and Play" },
	{ ".Events", "event providers are registered at device installation" },
	{ ".GeneralConfigData", "device-class settings applied at device "
				"installation" },
	{ ".SoftwareSettings", "device-class settings applied at device "
			       "installation" },
};

static enum pkg_err install_section(struct rctx *r,
				    const struct pkg_inf_section *s,
				    struct install_acc *acc)
{
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		enum pkg_err rc;
		if (ln->key == NULL)
			rc = pkg_int_rctx_defer_line(r, acc, s, ln);
		else if (pkg_int_strcaseeq(ln->key, "CopyFiles"))
			rc = pkg_int_inf_copy_files(
				r, ln, s->name, &acc->copies, &acc->deferred);
		else if (pkg_int_strcaseeq(ln->key, "AddReg"))
			rc = pkg_int_inf_add_regs(r, ln, s->name,
						  PKG_REGCTX_DRIVER, &acc->regs,
						  &acc->deferred);
		else if (pkg_int_strcaseeq(ln->key, "Needs"))
			rc = pkg_int_rctx_needs(r, s, ln, acc, install_section);
		else
			rc = pkg_int_rctx_defer_line(r, acc, s, ln);
		if (rc)
			return rc;
	}
	return PKG_OK;
}

/* The DDInstall section Windows uses for @base on the target. */
static const struct pkg_inf_section *choose_install(struct rctx *r,
						    const char *base,
						    const char **name_ret)
{
	char *cands[3];
	cands[0] = r->t->arch ? pkg_int_printf(r->arena, "%s.NT%s", base,
					       r->t->arch)
			      : NULL;
	cands[1] = pkg_int_printf(r->arena, "%s.NT", base);
	cands[2] = (char *)base;
	for (size_t i = 0; i < 3; i++) {
		if (cands[i] == NULL)
			continue;
		const struct pkg_inf_section *s =
			pkg_inf_section(r->inf, cands[i]);
		if (s) {
			*name_ret = s->name;
			return s;
		}
	}
	*name_ret = base;
	return NULL;
}

static enum pkg_err build_install(struct rctx *r, struct pkg_inf_install *in)
{
	const struct pkg_inf_section *s =
		choose_install(r, in->base, &in->section);
	struct install_acc acc = { 0 };
	enum pkg_err rc;
	if (s) {
		r->depth = 0;
		if ((rc = pkg_int_rctx_push_needs(r, s, s->lineno)) ||
		    (rc = install_section(r, s, &acc)))
			return rc;
	}
	char *svc = pkg_int_printf(r->arena, "%s.Services", in->section);
	if (svc == NULL)
		return pkg_int_rctx_nomem(r);
	const struct pkg_inf_section *ss = pkg_inf_section(r->inf, svc);
	if (ss) {
		r->depth = 0;
		if ((rc = pkg_int_rctx_push_needs(r, ss, ss->lineno)) ||
		    (rc = pkg_int_inf_service_section(r, ss, &acc)))
			return rc;
	}
	for (size_t i = 0; i < HVO_ARRAY_SIZE(deferred_sections); i++) {
		char *nm = pkg_int_printf(r->arena, "%s%s", in->section,
					  deferred_sections[i].suffix);
		if (nm == NULL)
			return pkg_int_rctx_nomem(r);
		const struct pkg_inf_section *ds = pkg_inf_section(r->inf, nm);
		if (ds == NULL)
			continue;
		for (size_t k = 0; k < ds->nlines; k++) {
			const struct pkg_inf_line *ln = &ds->lines[k];
			rc = pkg_int_rctx_defer(r, &acc.deferred, ds->name,
						ln->key ? ln->key : "(entry)",
						ln,
						deferred_sections[i].reason);
			if (rc)
				return rc;
		}
	}
	in->copies = acc.copies.items;
	in->ncopies = acc.copies.n;
	in->regs = acc.regs.items;
	in->nregs = acc.regs.n;
	in->services = acc.services.items;
	in->nservices = acc.services.n;
	in->null_service = acc.null_service;
	in->deferred = acc.deferred.items;
	in->ndeferred = acc.deferred.n;
	return PKG_OK;
}

/* ---- [Version] ---- */

static enum pkg_err read_version(struct rctx *r, struct pkg_inf_version *v)
{
	const struct pkg_inf_section *s = pkg_inf_section(r->inf, "Version");
	if (s == NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, 0,
				    "no [Version] section");
	const char *catalog_arch = NULL, *catalog_nt = NULL, *catalog = NULL;
	char arch_key[32] = "";
	if (r->t->arch)
		snprintf(arch_key, sizeof(arch_key), "CatalogFile.NT%s",
			 r->t->arch);
	for (size_t i = 0; i < s->nlines; i++) {
		const struct pkg_inf_line *ln = &s->lines[i];
		if (ln->key == NULL)
			continue;
		const char **dst = NULL;
		const char *k = ln->key;
		if (pkg_int_strcaseeq(k, "Signature"))
			dst = &v->signature;
		else if (pkg_int_strcaseeq(k, "Class"))
			dst = &v->cls;
		else if (pkg_int_strcaseeq(k, "ClassGuid"))
			dst = &v->class_guid;
		else if (pkg_int_strcaseeq(k, "Provider"))
			dst = &v->provider;
		else if (arch_key[0] && pkg_int_strcaseeq(k, arch_key))
			dst = &catalog_arch;
		else if (pkg_int_strcaseeq(k, "CatalogFile.NT"))
			dst = &catalog_nt;
		else if (pkg_int_strcaseeq(k, "CatalogFile"))
			dst = &catalog;
		else if (pkg_int_strcaseeq(k, "DriverVer")) {
			v->driver_date = pkg_int_rctx_text(
				r, pkg_int_rctx_field(ln, 0), ln->lineno);
			v->driver_version = pkg_int_rctx_text(
				r, pkg_int_rctx_field(ln, 1), ln->lineno);
			if (v->driver_date == NULL || v->driver_version == NULL)
				return r->err->code;
			continue;
		}
		if (dst == NULL)
			continue;
		*dst = pkg_int_rctx_text(r, pkg_int_rctx_field(ln, 0),
					 ln->lineno);
		if (*dst == NULL)
			return r->err->code;
	}
	v->catalog_file = catalog_arch ? catalog_arch
			  : catalog_nt ? catalog_nt
				       : catalog;
	if (v->signature == NULL)
		return pkg_int_fail(r->err, PKG_ERR_INF, r->file, s->lineno,
				    "[Version] has no Signature");
	return PKG_OK;
}

enum pkg_err pkg_inf_resolve(struct pkg_arena *arena, const struct pkg_inf *inf,
			     const struct pkg_target *target,
			     struct pkg_driver **drv_ret, struct pkg_error *err)
{
	struct rctx r = { .arena = arena,
			  .inf = inf,
			  .t = target,
			  .err = err,
			  .file = inf->file };
	r.destdirs = pkg_inf_section(inf, "DestinationDirs");
	for (size_t i = 0; i < inf->nsections && !r.includes; i++)
		for (size_t k = 0; k < inf->sections[i].nlines; k++)
			if (inf->sections[i].lines[k].key &&
			    pkg_int_strcaseeq(inf->sections[i].lines[k].key,
					      "Include"))
				r.includes = true;
	struct pkg_driver *drv = pkg_int_alloc(arena, sizeof(*drv));
	if (drv == NULL)
		return pkg_int_rctx_nomem(&r);
	drv->inf = inf;
	drv->target = *target;
	enum pkg_err rc;
	if ((rc = read_version(&r, &drv->version)) ||
	    (rc = pkg_int_inf_read_manufacturers(&r, drv)))
		return rc;
	drv->chosen = pkg_int_calloc(arena, drv->nmanufacturers + 1,
				     sizeof(*drv->chosen));
	if (drv->chosen == NULL)
		return pkg_int_rctx_nomem(&r);
	struct pkg_int_vec binds = { 0 }, installs = { 0 };
	struct pkg_int_map by_name = { 0 }; /* install base -> index + 1 */
	for (size_t m = 0; m < drv->nmanufacturers; m++) {
		const struct pkg_inf_manufacturer *man = &drv->manufacturers[m];
		const struct pkg_inf_models *mo =
			pkg_inf_best_models(man, target);
		drv->chosen[m] = mo;
		for (size_t d = 0; mo && d < mo->ndevices; d++) {
			const struct pkg_inf_device *dev = &mo->devices[d];
			uintptr_t idx = (uintptr_t)pkg_int_map_get(
				&by_name, dev->install_section);
			if (idx == 0) {
				struct pkg_inf_install *in = pkg_int_vec_push(
					arena, &installs, sizeof(*in));
				if (in == NULL)
					return pkg_int_rctx_nomem(&r);
				in->base = dev->install_section;
				idx = installs.n;
				if (!pkg_int_map_put(arena, &by_name, in->base,
						     (void *)idx))
					return pkg_int_rctx_nomem(&r);
			}
			struct pkg_inf_binding *b =
				pkg_int_vec_push(arena, &binds, sizeof(*b));
			if (b == NULL)
				return pkg_int_rctx_nomem(&r);
			b->device = dev;
			b->manufacturer = man->name;
			b->install = (const void *)idx; /* fixed up below */
		}
	}
	struct pkg_inf_install *ins = installs.items;
	for (size_t i = 0; i < installs.n; i++)
		if ((rc = build_install(&r, &ins[i])))
			return rc;
	struct pkg_inf_binding *bs = binds.items;
	for (size_t i = 0; i < binds.n; i++)
		bs[i].install = &ins[(uintptr_t)bs[i].install - 1];
	drv->bindings = bs;
	drv->nbindings = binds.n;
	drv->installs = ins;
	drv->ninstalls = installs.n;
	*drv_ret = drv;
	return PKG_OK;
}

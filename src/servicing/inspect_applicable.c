/*
 * inspect_applicable.c - which package applies (see inspect_applicable.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/inspect_applicable.h"
#include "servicing/inspect_source.h"

/* CBS CurrentState values that mean "present in the image": install
 * pending (0x60; DISM leaves offline installs so until first boot),
 * installed (0x70) and permanent (0x80).  Superseded (0x50), staged (0x40)
 * and uninstall-pending (0x05) packages do not satisfy a parent. */
#define CBS_INSTALL_PENDING 0x60
#define CBS_INSTALLED	    0x70
#define CBS_PERMANENT	    0x80

/* Parent identities listed in a reason before "and N more". */
#define REASON_MAX_PARENTS 4

const char *svc_verdict_name(enum svc_verdict v)
{
	static const char *const names[] = {
		[SVC_APPLIES] = "applies",
		[SVC_NO_WINDOWS] = "no-windows",
		[SVC_UNREADABLE] = "unreadable",
		[SVC_ARCH] = "architecture",
		[SVC_ARCH_UNKNOWN] = "architecture-unknown",
		[SVC_PARENTS] = "parents",
		[SVC_SKIPPED] = "skipped",
	};
	if ((size_t)v >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[v];
}

bool svc_ic_package_name(const char *name)
{
	/* SERVICING.md section 1: NT 6.0/6.1, and NT 6.2/6.3. */
	return name != NULL &&
	       (strcmp(name,
		       "Microsoft-Hyper-V-Integration-Services-Package") == 0 ||
		strcmp(name,
		       "Microsoft-Hyper-V-Integration-Services-Package-2") ==
			0);
}

static bool counts_as_installed(const struct svc_installed_package *p)
{
	if (!p->in_cbs)
		return true; /* a .mum file alone: servicing knows it */
	return p->cbs_state == CBS_INSTALL_PENDING ||
	       p->cbs_state == CBS_INSTALLED || p->cbs_state == CBS_PERMANENT;
}

static bool is_ic_package(const char *name)
{
	return strcasecmp(name, "Microsoft-Hyper-V-Integration-Services-"
				"Package") == 0 ||
	       strcasecmp(name, "Microsoft-Hyper-V-Integration-Services-"
				"Package-2") == 0;
}

/* The installed integration-services version: vmbus.sys's file version
 * (what the running VMBus reports), else IntegrationServicesVersion, else
 * the newest installed integration-services package. */
static void installed_version(const struct svc_facts *f,
			      struct svc_applicability *a)
{
	if (f->vmbus_version_known) {
		guest_pe_version_format(&f->vmbus_version, a->installed,
					sizeof(a->installed));
		a->installed_from = "vmbus.sys";
		return;
	}
	if (f->ic_registry_version[0] != '\0') {
		snprintf(a->installed, sizeof(a->installed), "%s",
			 f->ic_registry_version);
		a->installed_from = "registry";
		return;
	}
	for (size_t i = 0; i < f->npackages; i++) {
		const struct svc_installed_package *p = &f->packages[i];
		if (!is_ic_package(p->name) || !counts_as_installed(p))
			continue;
		if (a->installed[0] == '\0' ||
		    pkg_version_cmp_str(p->version, a->installed) > 0) {
			snprintf(a->installed, sizeof(a->installed), "%s",
				 p->version);
			a->installed_from = "package";
		}
	}
}

/* Appends to a fixed buffer, truncating. */
static void append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* The first <parent> that no installed package satisfies, or NULL. */
static const struct pkg_parent *unsatisfied_parent(
	const struct pkg_package *pkg, const struct pkg_installed *inst,
	size_t n)
{
	for (size_t i = 0; i < pkg->nparents; i++) {
		const struct pkg_parent *pa = &pkg->parents[i];
		bool ok = false;
		for (size_t j = 0; j < pa->nids && !ok; j++)
			for (size_t k = 0; k < n && !ok; k++)
				ok = pkg_parent_satisfied_by(&pa->ids[j],
							     &inst[k]);
		if (!ok)
			return pa;
	}
	return NULL;
}

/* Whether identity version @v is of NT @major.@minor. */
static bool same_nt(const char *v, unsigned major, unsigned minor)
{
	struct pkg_version pv;
	return v != NULL && pkg_version_parse(v, &pv) && pv.part[0] == major &&
	       pv.part[1] == minor;
}

/* Appends "; it needs A or B or ... or N more" for @pa, the identities of
 * the guest's own NT version first: those are the ones that could be
 * there. */
static void list_parent(const struct svc_facts *f, const struct pkg_parent *pa,
			char *buf, size_t size)
{
	append(buf, size, "; it needs ");
	size_t listed = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < pa->nids; i++) {
			const struct pkg_identity *id = &pa->ids[i];
			bool mine =
				same_nt(id->version, f->nt_major, f->nt_minor);
			if ((pass == 0) != mine)
				continue;
			if (listed == REASON_MAX_PARENTS) {
				append(buf, size, " or %zu more",
				       pa->nids - listed);
				return;
			}
			append(buf, size, "%s%s %s (%s)", listed ? " or " : "",
			       id->name, id->version ? id->version : "?",
			       id->arch ? id->arch : "?");
			listed++;
		}
	}
}

static void evaluate(const struct svc_facts *f,
		     const struct pkg_installed *inst, size_t ninst,
		     struct svc_candidate *c)
{
	const struct pkg_package *pkg = c->sp->pkg;
	if (c->sp->skip != NULL) {
		c->verdict = SVC_SKIPPED;
		snprintf(c->reason, sizeof(c->reason), "%s", c->sp->skip);
		return;
	}
	if (!f->windows_found) {
		c->verdict = SVC_NO_WINDOWS;
		snprintf(c->reason, sizeof(c->reason),
			 "no Windows installation was found");
		return;
	}
	if (pkg == NULL) {
		char e[600];
		c->verdict = SVC_UNREADABLE;
		snprintf(c->reason, sizeof(c->reason),
			 "not a usable package: "
			 "%s",
			 pkg_error_format(&c->sp->error, e, sizeof(e)));
		return;
	}
	const char *parch = pkg->identity.arch ? pkg->identity.arch : "?";
	if (f->arch[0] == '\0') {
		c->verdict = SVC_ARCH_UNKNOWN;
		snprintf(c->reason, sizeof(c->reason),
			 "the guest's architecture is unknown; the package is "
			 "for %s",
			 parch);
		return;
	}
	if (!pkg_arch_matches(pkg->identity.arch, f->arch)) {
		c->verdict = SVC_ARCH;
		snprintf(c->reason, sizeof(c->reason),
			 "the package is for %s; the guest is %s", parch,
			 f->arch);
		return;
	}
	const struct pkg_installed *match = NULL;
	if (!pkg_parents_satisfied(pkg, inst, ninst, &match)) {
		c->verdict = SVC_PARENTS;
		const struct pkg_parent *pa =
			unsatisfied_parent(pkg, inst, ninst);
		snprintf(c->reason, sizeof(c->reason),
			 "none of the packages it requires is installed");
		if (ninst == 0)
			append(c->reason, sizeof(c->reason),
			       " (the guest has no component-based servicing "
			       "packages at all: NT %u.%u)",
			       f->nt_major, f->nt_minor);
		if (pa != NULL && pa->nids > 0)
			list_parent(f, pa, c->reason, sizeof(c->reason));
		return;
	}
	c->verdict = SVC_APPLIES;
	if (match != NULL) {
		snprintf(c->parent, sizeof(c->parent), "%s %s (%s)",
			 match->name, match->version, match->arch);
		snprintf(c->reason, sizeof(c->reason),
			 "architecture %s matches; its parent is installed: "
			 "%s",
			 parch, c->parent);
	} else {
		snprintf(c->reason, sizeof(c->reason),
			 "architecture %s matches; it requires no parent",
			 parch);
	}
}

enum svc_err svc_applicability(const struct svc_facts *f,
			       const struct svc_source_package *pkgs, size_t n,
			       struct svc_applicability *a)
{
	memset(a, 0, sizeof(*a));
	a->chosen = -1;
	a->candidates = calloc(n ? n : 1, sizeof(*a->candidates));
	struct pkg_installed *inst =
		calloc(f->npackages ? f->npackages : 1, sizeof(*inst));
	if (a->candidates == NULL || inst == NULL) {
		free(inst);
		free(a->candidates);
		a->candidates = NULL;
		return SVC_ERR_NOMEM;
	}
	a->ncandidates = n;
	installed_version(f, a);

	/* The installed packages as src/package compares them. */
	size_t ninst = 0;
	for (size_t i = 0; i < f->npackages; i++) {
		const struct svc_installed_package *p = &f->packages[i];
		if (!counts_as_installed(p) ||
		    !pkg_version_parse(p->version, &inst[ninst].ver))
			continue;
		inst[ninst].name = p->name;
		inst[ninst].public_key_token = p->token;
		inst[ninst].arch = p->arch;
		inst[ninst].language = p->language;
		inst[ninst].version = p->version;
		ninst++;
	}

	for (size_t i = 0; i < n; i++) {
		struct svc_candidate *c = &a->candidates[i];
		c->sp = &pkgs[i];
		evaluate(f, inst, ninst, c);
		if (c->verdict != SVC_APPLIES)
			continue;
		if (a->chosen < 0 ||
		    pkg_version_cmp_str(c->sp->pkg->identity.version,
					a->candidates[a->chosen]
						.sp->pkg->identity.version) > 0)
			a->chosen = (int)i;
	}
	free(inst);

	if (!f->windows_found) {
		snprintf(a->summary, sizeof(a->summary),
			 "no package applies: no Windows installation was "
			 "found");
	} else if (a->chosen < 0) {
		snprintf(a->summary, sizeof(a->summary),
			 "no package of the source applies to this guest");
		for (size_t i = 0; i < n; i++)
			append(a->summary, sizeof(a->summary), "; %s: %s",
			       a->candidates[i].sp->where,
			       a->candidates[i].reason);
	} else {
		const struct svc_candidate *c = &a->candidates[a->chosen];
		const char *ver = c->sp->pkg->identity.version;
		a->up_to_date = a->installed[0] != '\0' &&
				pkg_version_cmp_str(a->installed, ver) >= 0;
		snprintf(a->summary, sizeof(a->summary),
			 "%s %s applies (%.400s)", c->sp->pkg->identity.name,
			 ver, c->reason);
		if (a->installed[0] == '\0')
			append(a->summary, sizeof(a->summary),
			       "; no integration services are installed");
		else
			append(a->summary, sizeof(a->summary),
			       "; installed %s (%s) %s the package: %s",
			       a->installed, a->installed_from,
			       a->up_to_date ? "is not older than"
					     : "is older than",
			       a->up_to_date ? "up to date" : "would update");
		for (size_t i = 0; i < n; i++)
			if (a->candidates[i].verdict == SVC_SKIPPED)
				append(a->summary, sizeof(a->summary),
				       "; skipped %s: %s",
				       a->candidates[i].sp->where,
				       a->candidates[i].reason);
	}
	return SVC_OK;
}

void svc_applicability_free(struct svc_applicability *a)
{
	free(a->candidates);
	memset(a, 0, sizeof(*a));
	a->chosen = -1;
}

void svc_applicability_json(const struct svc_applicability *a,
			    struct json_writer *w)
{
	hvo_int_json_kv_string(w, "installed_version",
			       a->installed[0] ? a->installed : NULL);
	hvo_int_json_kv_string(w, "installed_from", a->installed_from);
	const struct svc_candidate *ch =
		a->chosen >= 0 ? &a->candidates[a->chosen] : NULL;
	hvo_int_json_kv_string(w, "applicable", ch ? ch->sp->where : NULL);
	hvo_int_json_kv_string(w, "name",
			       ch ? ch->sp->pkg->identity.name : NULL);
	hvo_int_json_kv_string(w, "version",
			       ch ? ch->sp->pkg->identity.version : NULL);
	hvo_int_json_key(w, "up_to_date");
	if (ch != NULL)
		hvo_int_json_bool(w, a->up_to_date);
	else
		hvo_int_json_null(w);
	hvo_int_json_kv_string(w, "summary", a->summary);
	hvo_int_json_key(w, "candidates");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < a->ncandidates; i++) {
		const struct svc_candidate *c = &a->candidates[i];
		const struct pkg_package *p = c->sp->pkg;
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "cabinet", c->sp->where);
		hvo_int_json_kv_string(w, "name", p ? p->identity.name : NULL);
		hvo_int_json_kv_string(w, "version",
				       p ? p->identity.version : NULL);
		hvo_int_json_kv_string(w, "arch", p ? p->identity.arch : NULL);
		hvo_int_json_kv_bool(w, "applies", c->verdict == SVC_APPLIES);
		hvo_int_json_kv_string(w, "verdict",
				       svc_verdict_name(c->verdict));
		hvo_int_json_kv_string(w, "parent",
				       c->parent[0] ? c->parent : NULL);
		hvo_int_json_kv_string(w, "reason", c->reason);
		svc_signature_json(&c->sp->sig, w);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

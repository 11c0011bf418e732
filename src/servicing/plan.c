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
#include "util/bytes.h"

/* SPSVCINST_* flags of AddService (setupapi.h). */
#define SPSVCINST_ASSOCSERVICE		 0x00000002u
#define SPSVCINST_NOCLOBBER_DISPLAYNAME	 0x00000100u
#define SPSVCINST_NOCLOBBER_STARTTYPE	 0x00000200u
#define SPSVCINST_NOCLOBBER_ERRORCONTROL 0x00000400u
#define SPSVCINST_NOCLOBBER_LOADORDERGRP 0x00000800u
#define SPSVCINST_NOCLOBBER_DEPENDENCIES 0x00001000u
#define SPSVCINST_NOCLOBBER_DESCRIPTION	 0x00002000u

/* Service types of kernel drivers (winnt.h SERVICE_KERNEL_DRIVER,
 * SERVICE_FILE_SYSTEM_DRIVER, SERVICE_RECOGNIZER_DRIVER). */
#define SERVICE_DRIVER_MASK 0x0000000bu

/* VER_NT_WORKSTATION / VER_NT_SERVER (winnt.h), for decorations. */
#define VER_NT_WORKSTATION 1u
#define VER_NT_SERVER	   3u

#define SYSTEM_DRIVE	   "C:"

const char *svc_hive_name(enum svc_hive h)
{
	return h == SVC_HIVE_SYSTEM ? "SYSTEM" : "SOFTWARE";
}

/* ------------------------------------------------------------------ */
/* The pool.                                                           */
/* ------------------------------------------------------------------ */

void *svc_int_plan_own(struct plan_build *b, void *p)
{
	if (p == NULL) {
		b->oom = true;
		return NULL;
	}
	if (b->npool == b->cap_pool) {
		size_t cap = b->cap_pool ? b->cap_pool * 2 : 256;
		void **n = realloc(b->pool, cap * sizeof(*n));
		if (n == NULL) {
			free(p);
			b->oom = true;
			return NULL;
		}
		b->pool = n;
		b->cap_pool = cap;
	}
	b->pool[b->npool++] = p;
	return p;
}

void *svc_int_plan_alloc(struct plan_build *b, size_t size)
{
	return svc_int_plan_own(b, calloc(1, size ? size : 1));
}

char *svc_int_plan_strdup(struct plan_build *b, const char *s)
{
	return s ? svc_int_plan_own(b, strdup(s)) : NULL;
}

char *svc_int_plan_printf(struct plan_build *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return svc_int_plan_own(b, r < 0 ? NULL : s);
}

static void *grow(struct plan_build *b, void *items, size_t n, size_t *cap,
		  size_t size)
{
	if (n < *cap)
		return items;
	size_t c = *cap ? *cap * 2 : 64;
	void *p = realloc(items, c * size);
	if (p == NULL) {
		b->oom = true;
		return NULL;
	}
	*cap = c;
	return p;
}

void svc_int_plan_add_file(struct plan_build *b, const struct svc_plan_file *f)
{
	struct svc_plan *p = b->plan;
	struct svc_plan_file *v =
		grow(b, p->files, p->nfiles, &b->cap_files, sizeof(*v));
	if (v == NULL)
		return;
	p->files = v;
	p->files[p->nfiles++] = *f;
}

void svc_int_plan_add_reg(struct plan_build *b, const struct svc_plan_reg *r)
{
	struct svc_plan *p = b->plan;
	struct svc_plan_reg *v =
		grow(b, p->regs, p->nregs, &b->cap_regs, sizeof(*v));
	if (v == NULL)
		return;
	p->regs = v;
	p->regs[p->nregs++] = *r;
}

void svc_int_plan_defer(struct plan_build *b, const char *reason,
			const char *fmt, ...)
{
	struct svc_plan *p = b->plan;
	va_list ap;
	char *what;
	va_start(ap, fmt);
	int r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (svc_int_plan_own(b, r < 0 ? NULL : what) == NULL)
		return;
	struct svc_plan_deferred *v = grow(b, p->deferred, p->ndeferred,
					   &b->cap_deferred, sizeof(*v));
	if (v == NULL)
		return;
	p->deferred = v;
	p->deferred[p->ndeferred].what = what;
	p->deferred[p->ndeferred++].reason = svc_int_plan_strdup(b, reason);
}

void svc_int_plan_note(struct plan_build *b, const char *fmt, ...)
{
	struct svc_plan *p = b->plan;
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (svc_int_plan_own(b, r < 0 ? NULL : s) == NULL)
		return;
	char **v = grow(b, p->notes, p->nnotes, &b->cap_notes, sizeof(*v));
	if (v == NULL)
		return;
	p->notes = v;
	p->notes[p->nnotes++] = s;
}

/* ------------------------------------------------------------------ */
/* Registry values.                                                    */
/* ------------------------------------------------------------------ */

static void add_set(struct plan_build *b, enum svc_hive hive, const char *key,
		    const char *name, uint32_t type, uint8_t *data, size_t len,
		    const char *text, const char *origin)
{
	struct svc_plan_reg r = {
		.kind = SVC_REG_SET,
		.hive = hive,
		.key = svc_int_plan_strdup(b, key),
		.name = svc_int_plan_strdup(b, name ? name : ""),
		.type = type,
		.data = svc_int_plan_own(b, data),
		.len = len,
		.text = svc_int_plan_strdup(b, text),
		.origin = svc_int_plan_strdup(b, origin),
	};
	if (!b->oom)
		svc_int_plan_add_reg(b, &r);
}

void svc_int_plan_set_sz(struct plan_build *b, enum svc_hive hive,
			 const char *key, const char *name, uint32_t type,
			 const char *text, const char *origin)
{
	uint8_t *d;
	size_t len;
	if (reg_encode_string(text, &d, &len) != REG_OK) {
		/* Not valid UTF-8: the package model never gives such text. */
		svc_int_plan_note(b, "%s\\%s: value %s not encodable, skipped",
				  key, name, text);
		return;
	}
	add_set(b, hive, key, name, type, d, len, text, origin);
}

void svc_int_plan_set_dword(struct plan_build *b, enum svc_hive hive,
			    const char *key, const char *name, uint32_t v,
			    const char *origin)
{
	uint8_t *d = malloc(4);
	if (d != NULL)
		put_le32(d, v);
	add_set(b, hive, key, name, PKG_REG_DWORD, d, 4, NULL, origin);
}

void svc_int_plan_set_multi(struct plan_build *b, enum svc_hive hive,
			    const char *key, const char *name,
			    const char *const *strs, size_t n,
			    const char *origin)
{
	/* Windows reads a REG_MULTI_SZ up to its first empty string: drop
	 * empty entries rather than cut the list short. */
	const char **v = calloc(n ? n : 1, sizeof(*v));
	size_t m = 0;
	if (v == NULL) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (strs[i] != NULL && strs[i][0] != '\0')
			v[m++] = strs[i];
	uint8_t *d;
	size_t len;
	int r = reg_encode_multi(v, m, &d, &len);
	free(v);
	if (r != REG_OK) {
		svc_int_plan_note(b, "%s\\%s: list not encodable, skipped", key,
				  name);
		return;
	}
	add_set(b, hive, key, name, PKG_REG_MULTI_SZ, d, len, NULL, origin);
}

void svc_int_plan_set_bin(struct plan_build *b, enum svc_hive hive,
			  const char *key, const char *name, uint32_t type,
			  const void *data, size_t len, const char *origin)
{
	uint8_t *d = malloc(len ? len : 1);
	if (d != NULL && len)
		memcpy(d, data, len);
	add_set(b, hive, key, name, type, d, len, NULL, origin);
}

static void add_key(struct plan_build *b, enum svc_hive hive, const char *key,
		    const char *origin)
{
	struct svc_plan_reg r = {
		.kind = SVC_REG_KEY,
		.hive = hive,
		.key = svc_int_plan_strdup(b, key),
		.name = svc_int_plan_strdup(b, ""),
		.origin = svc_int_plan_strdup(b, origin),
	};
	if (!b->oom)
		svc_int_plan_add_reg(b, &r);
}

static void add_list(struct plan_build *b, enum svc_reg_kind kind,
		     enum svc_hive hive, const char *key, const char *name,
		     uint32_t type, const char *entry, const char *origin)
{
	struct svc_plan_reg r = {
		.kind = kind,
		.hive = hive,
		.key = svc_int_plan_strdup(b, key),
		.name = svc_int_plan_strdup(b, name),
		.type = type,
		.text = svc_int_plan_strdup(b, entry),
		.origin = svc_int_plan_strdup(b, origin),
	};
	if (!b->oom)
		svc_int_plan_add_reg(b, &r);
}

/* "CurrentControlSet\..." -> "ControlSet00N\..." in a SYSTEM path. */
static char *map_control_set(struct plan_build *b, const char *path)
{
	static const char ccs[] = "CurrentControlSet";
	size_t n = sizeof(ccs) - 1;
	if (strncasecmp(path, ccs, n) == 0 &&
	    (path[n] == '\0' || path[n] == '\\'))
		return svc_int_plan_printf(b, "ControlSet%03u%s",
					   b->plan->control_set, path + n);
	return svc_int_plan_strdup(b, path);
}

static bool strip_prefix(const char **p, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncasecmp(*p, prefix, n) != 0 || ((*p)[n] != '\\' && (*p)[n]))
		return false;
	*p += n + ((*p)[n] == '\\');
	return true;
}

/*
 * A machine registry path ("HKEY_LOCAL_MACHINE\SYSTEM\...", "HKLM\...",
 * "HKEY_CLASSES_ROOT\...") to a hive and a key in it.  HKEY_CLASSES_ROOT
 * is SOFTWARE\Classes for machine-wide registrations.  false for keys
 * outside SYSTEM and SOFTWARE (user hives, SAM, ...).
 */
static bool machine_key(struct plan_build *b, const char *path,
			enum svc_hive *hive_ret, char **key_ret)
{
	const char *p = path;
	if (strip_prefix(&p, "HKEY_CLASSES_ROOT") || strip_prefix(&p, "HKCR")) {
		*hive_ret = SVC_HIVE_SOFTWARE;
		*key_ret = p[0] ? svc_int_plan_printf(b, "Classes\\%s", p)
				: svc_int_plan_strdup(b, "Classes");
		return true;
	}
	if (!strip_prefix(&p, "HKEY_LOCAL_MACHINE") &&
	    !strip_prefix(&p, "HKLM"))
		return false;
	if (strip_prefix(&p, "SYSTEM")) {
		*hive_ret = SVC_HIVE_SYSTEM;
		*key_ret = map_control_set(b, p);
		return true;
	}
	if (strip_prefix(&p, "SOFTWARE")) {
		*hive_ret = SVC_HIVE_SOFTWARE;
		*key_ret = svc_int_plan_strdup(b, p);
		return true;
	}
	return false;
}

/* Expands the strings of a value: $(runtime.*) for manifests, DIRIDs and
 * "%%" for INF templates. */
enum expand { EXPAND_RUNTIME, EXPAND_INF };

static char *expand(struct plan_build *b, enum expand how, const char *s,
		    const struct pkg_windows_paths *paths)
{
	char *out = NULL;
	enum pkg_err r = how == EXPAND_RUNTIME
				 ? pkg_runtime_expand(b->plan->arena, s, paths,
						      &out, b->err)
				 : pkg_inf_expand(b->plan->arena, s, paths,
						  &out, b->err);
	return r == PKG_OK ? out : NULL;
}

/* Plans one typed value.  Returns false after setting b->err. */
static bool plan_value(struct plan_build *b, enum svc_hive hive,
		       const char *key, const char *name,
		       const struct pkg_reg_data *d, enum expand how,
		       const struct pkg_windows_paths *paths,
		       const char *origin, bool noclobber, bool only_existing)
{
	size_t before = b->plan->nregs;
	if (d->raw ||
	    (d->type != PKG_REG_SZ && d->type != PKG_REG_EXPAND_SZ &&
	     d->type != PKG_REG_LINK && d->type != PKG_REG_MULTI_SZ &&
	     d->type != PKG_REG_DWORD && d->type != PKG_REG_DWORD_BIG_ENDIAN &&
	     d->type != PKG_REG_QWORD)) {
		svc_int_plan_set_bin(b, hive, key, name, d->type, d->bin,
				     d->nbin, origin);
	} else if (d->type == PKG_REG_MULTI_SZ) {
		const char **v = calloc(d->nstrv ? d->nstrv : 1, sizeof(*v));
		if (v == NULL) {
			b->oom = true;
			return true;
		}
		for (size_t i = 0; i < d->nstrv; i++) {
			v[i] = expand(b, how, d->strv[i], paths);
			if (v[i] == NULL) {
				free(v);
				return false;
			}
		}
		svc_int_plan_set_multi(b, hive, key, name, v, d->nstrv, origin);
		free(v);
	} else if (d->type == PKG_REG_DWORD) {
		svc_int_plan_set_dword(b, hive, key, name, (uint32_t)d->num,
				       origin);
	} else if (d->type == PKG_REG_DWORD_BIG_ENDIAN) {
		uint8_t be[4];
		uint32_t n = (uint32_t)d->num;
		be[0] = (uint8_t)(n >> 24);
		be[1] = (uint8_t)(n >> 16);
		be[2] = (uint8_t)(n >> 8);
		be[3] = (uint8_t)n;
		svc_int_plan_set_bin(b, hive, key, name, d->type, be, 4,
				     origin);
	} else if (d->type == PKG_REG_QWORD) {
		uint8_t q[8];
		put_le64(q, d->num);
		svc_int_plan_set_bin(b, hive, key, name, d->type, q, 8, origin);
	} else {
		const char *t = expand(b, how, d->str ? d->str : "", paths);
		if (t == NULL)
			return false;
		svc_int_plan_set_sz(b, hive, key, name, d->type, t, origin);
	}
	if (b->plan->nregs > before) {
		b->plan->regs[b->plan->nregs - 1].noclobber = noclobber;
		b->plan->regs[b->plan->nregs - 1].only_existing = only_existing;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Paths.                                                              */
/* ------------------------------------------------------------------ */

/* A Windows path on the system drive ("C:\Windows\System32") as a guest
 * path ("Windows\System32"); NULL (b->err set) for another drive. */
static char *guest_path(struct plan_build *b, const char *win)
{
	size_t n = strlen(SYSTEM_DRIVE);
	if (strncasecmp(win, SYSTEM_DRIVE, n) == 0 &&
	    (win[n] == '\\' || win[n] == '\0'))
		return svc_int_plan_strdup(b, win + n + (win[n] == '\\'));
	pkg_error_clear(b->err);
	b->err->code = PKG_ERR_UNSUPPORTED;
	snprintf(b->err->msg, sizeof(b->err->msg),
		 "%s is not on the system drive %s", win, SYSTEM_DRIVE);
	return NULL;
}

/* dir + "\" + name, without doubling separators. */
static char *join(struct plan_build *b, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	if (n == 0)
		return svc_int_plan_strdup(b, name);
	return svc_int_plan_printf(b, "%s%s%s", dir,
				   dir[n - 1] == '\\' ? "" : "\\", name);
}

static void plan_file(struct plan_build *b, const char *dest,
		      enum svc_file_role role, const struct pkg_file *pf,
		      const char *origin)
{
	struct svc_plan_file f = {
		.dest = svc_int_plan_strdup(b, dest),
		.source = SVC_SRC_CAB_ENTRY,
		.role = role,
		.cab_entry = svc_int_plan_strdup(b, pf->cab_name),
		.has_sha256 = pf->has_sha256,
		.size = pf->size,
		.origin = svc_int_plan_strdup(b, origin),
	};
	if (pf->has_sha256)
		memcpy(f.sha256, pf->sha256, 32);
	if (!b->oom)
		svc_int_plan_add_file(b, &f);
}

/* A file of the cabinet that no manifest describes (update.mum, .cat). */
static enum pkg_err plan_cab_file(struct plan_build *b, const char *entry,
				  const char *dest, enum svc_file_role role,
				  const char *origin)
{
	const struct pkg_package *pkg = b->pkg;
	const struct pkg_entry *e = NULL;
	for (size_t i = 0; i < pkg->nentries; i++)
		if (strcasecmp(pkg->entries[i].name, entry) == 0)
			e = &pkg->entries[i];
	if (e == NULL) {
		pkg_error_clear(b->err);
		b->err->code = PKG_ERR_MISSING;
		snprintf(b->err->file, sizeof(b->err->file), "%s", entry);
		snprintf(b->err->msg, sizeof(b->err->msg),
			 "the package has no %s", entry);
		return PKG_ERR_MISSING;
	}
	struct svc_plan_file f = {
		.dest = svc_int_plan_strdup(b, dest),
		.source = SVC_SRC_CAB_ENTRY,
		.role = role,
		.cab_entry = svc_int_plan_strdup(b, e->name),
		.size = e->size,
		.origin = svc_int_plan_strdup(b, origin),
	};
	const struct svc_entry_digest *d =
		svc_source_package_digest(b->sp, e->name);
	if (d != NULL) {
		f.has_sha256 = true;
		memcpy(f.sha256, d->sha256, 32);
		f.size = d->size;
	}
	if (!b->oom)
		svc_int_plan_add_file(b, &f);
	return PKG_OK;
}

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

static char *service_key(struct plan_build *b, const char *name)
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
		*key = sub[0] ? join(b, hkr, sub) : svc_int_plan_strdup(b, hkr);
		return true;
	case PKG_INF_HKLM: {
		char *full = svc_int_plan_printf(b, "HKLM\\%s", sub);
		return full != NULL && machine_key(b, full, hive, key);
	}
	case PKG_INF_HKCR: {
		char *full = svc_int_plan_printf(b, "HKCR\\%s", sub);
		return full != NULL && machine_key(b, full, hive, key);
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
			add_key(b, hive, key, origin);
			continue;
		}
		if ((r->flags & PKG_ADDREG_APPEND) &&
		    r->data.type == PKG_REG_MULTI_SZ && !r->data.raw) {
			for (size_t k = 0; k < r->data.nstrv; k++) {
				char *s = expand(b, EXPAND_INF, r->data.strv[k],
						 &b->paths);
				if (s == NULL)
					return false;
				add_list(b, SVC_REG_MULTI_ADD, hive, key,
					 r->value_name, PKG_REG_MULTI_SZ, s,
					 origin);
			}
			continue;
		}
		if (!plan_value(b, hive, key, r->value_name, &r->data,
				EXPAND_INF, &b->paths, origin,
				(r->flags & PKG_ADDREG_NOCLOBBER) != 0,
				(r->flags & PKG_ADDREG_OVERWRITEONLY) != 0))
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
	char *full = expand(b, EXPAND_INF, s->binary, &b->paths);
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
		add_list(b, SVC_REG_MULTI_ADD, SVC_HIVE_SOFTWARE,
			 "Microsoft\\Windows NT\\CurrentVersion\\Svchost",
			 group, PKG_REG_MULTI_SZ, service, origin);
}

static bool plan_inf_service(struct plan_build *b, const struct pkg_inf *inf,
			     const struct pkg_inf_service *s)
{
	if (s->name == NULL || s->name[0] == '\0')
		return true;
	char *key = service_key(b, s->name);
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
		char *t = expand(b, EXPAND_INF, s->display_name, &b->paths);
		if (t == NULL)
			return false;
		svc_int_plan_set_sz(b, H, key, "DisplayName", PKG_REG_SZ, t,
				    origin);
		if ((s->flags & SPSVCINST_NOCLOBBER_DISPLAYNAME) && !b->oom)
			b->plan->regs[b->plan->nregs - 1].noclobber = true;
	}
	if (s->description != NULL) {
		char *t = expand(b, EXPAND_INF, s->description, &b->paths);
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
		add_key(b, H, el, origin);
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

static enum pkg_err plan_driver(struct plan_build *b,
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
				dir = join(b, dir, c->subdir);
			char *gdir = dir ? guest_path(b, dir) : NULL;
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
			plan_file(b, join(b, gdir, c->dest_name),
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
	char *dir = base ? join(b, b->plan->driver_dir, base) : NULL;
	if (dir == NULL)
		return PKG_ERR_NOMEM;
	char *origin =
		svc_int_plan_printf(b,
				    "driver package %s, staged for Plug and "
				    "Play (DevicePath)",
				    inf->file);
	for (size_t i = 0; i < man->nfiles; i++)
		if (man->files[i].cab_name != NULL)
			plan_file(b, join(b, dir, man->files[i].name),
				  SVC_ROLE_STAGE, &man->files[i], origin);
	/* CBS signs driver components through the package catalog; the INF
	 * asks for a catalog of its own name, which the package catalog
	 * also covers (every file of the package is in it). */
	const char *cat = drv->version.catalog_file;
	if (cat != NULL && cat[0] != '\0' && manifest_file(man, cat) == NULL) {
		r = plan_cab_file(b, "update.cat", join(b, dir, cat),
				  SVC_ROLE_STAGE, origin);
		if (r != PKG_OK)
			return r;
	}
	return b->oom ? PKG_ERR_NOMEM : PKG_OK;
}

/* ------------------------------------------------------------------ */
/* Components.                                                         */
/* ------------------------------------------------------------------ */

/* SERVICE_TRIGGER_TYPE_* and SERVICE_TRIGGER_ACTION_* (winsvc.h). */
static uint32_t trigger_type(const char *t)
{
	static const struct {
		const char *name;
		uint32_t v;
	} map[] = {
		{ "DeviceInterfaceArrival", 1 },
		{ "IpAddressAvailability", 2 },
		{ "DomainJoin", 3 },
		{ "FirewallPortEvent", 4 },
		{ "GroupPolicy", 5 },
		{ "NetworkEndpoint", 6 },
		{ "Custom", 20 },
	};
	for (size_t i = 0; t && i < HVO_ARRAY_SIZE(map); i++)
		if (strcasecmp(map[i].name, t) == 0)
			return map[i].v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "{6bdd1fc6-810f-11d0-bec7-08002be2092f}" -> a GUID as stored (the
 * first three fields little-endian). */
static bool parse_guid(const char *s, uint8_t out[16])
{
	static const int order[16] = { 3, 2, 1,	 0,  5,	 4,  7,	 6,
				       8, 9, 10, 11, 12, 13, 14, 15 };
	if (s == NULL)
		return false;
	if (*s == '{')
		s++;
	uint8_t raw[16];
	for (int i = 0; i < 16; i++) {
		if (*s == '-')
			s++;
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
		if (hi < 0 || lo < 0)
			return false;
		raw[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (*s == '}')
		s++;
	if (*s != '\0')
		return false;
	for (int i = 0; i < 16; i++)
		out[i] = raw[order[i]];
	return true;
}

static uint32_t failure_action(const char *t)
{
	/* SC_ACTION_NONE, _RESTART, _REBOOT, _RUN_COMMAND. */
	if (t == NULL || strcasecmp(t, "none") == 0)
		return 0;
	if (strcasecmp(t, "restartService") == 0)
		return 1;
	if (strcasecmp(t, "reboot") == 0)
		return 2;
	return strcasecmp(t, "runCommand") == 0 ? 3 : 0;
}

static bool plan_service(struct plan_build *b, const struct pkg_manifest *m,
			 const struct pkg_service *s,
			 const struct pkg_windows_paths *paths)
{
	enum svc_hive H = SVC_HIVE_SYSTEM;
	char *key = service_key(b, s->name);
	char *origin = svc_int_plan_printf(b, "%s:%u serviceData %s", m->file,
					   s->line, s->name);
	if (key == NULL || origin == NULL)
		return !b->oom;
	if (s->display_name)
		svc_int_plan_set_sz(b, H, key, "DisplayName", PKG_REG_SZ,
				    s->display_name, origin);
	if (s->description)
		svc_int_plan_set_sz(b, H, key, "Description", PKG_REG_SZ,
				    s->description, origin);
	if (s->image_path) {
		char *ip = expand(b, EXPAND_RUNTIME, s->image_path, paths);
		if (ip == NULL)
			return false;
		svc_int_plan_set_sz(b, H, key, "ImagePath", PKG_REG_EXPAND_SZ,
				    ip, origin);
	}
	if (s->type_value)
		svc_int_plan_set_dword(b, H, key, "Type", s->type_value,
				       origin);
	if (s->start)
		svc_int_plan_set_dword(b, H, key, "Start", s->start_value,
				       origin);
	if (s->delayed_auto_start)
		svc_int_plan_set_dword(b, H, key, "DelayedAutostart", 1,
				       origin);
	if (s->error_control)
		svc_int_plan_set_dword(b, H, key, "ErrorControl",
				       s->error_control_value, origin);
	if (s->object_name)
		svc_int_plan_set_sz(b, H, key, "ObjectName", PKG_REG_SZ,
				    s->object_name, origin);
	if (s->group)
		svc_int_plan_set_sz(b, H, key, "Group", PKG_REG_SZ, s->group,
				    origin);
	if (s->ndepend_on_service)
		svc_int_plan_set_multi(b, H, key, "DependOnService",
				       s->depend_on_service,
				       s->ndepend_on_service, origin);
	if (s->ndepend_on_group)
		svc_int_plan_set_multi(b, H, key, "DependOnGroup",
				       s->depend_on_group, s->ndepend_on_group,
				       origin);
	if (s->nrequired_privileges)
		svc_int_plan_set_multi(b, H, key, "RequiredPrivileges",
				       s->required_privileges,
				       s->nrequired_privileges, origin);
	if (s->sid_type) {
		/* SERVICE_SID_TYPE_NONE, _UNRESTRICTED, _RESTRICTED. */
		uint32_t v = strcasecmp(s->sid_type, "unrestricted") == 0 ? 1
			     : strcasecmp(s->sid_type, "restricted") == 0 ? 3
									  : 0;
		svc_int_plan_set_dword(b, H, key, "ServiceSidType", v, origin);
	}
	if (s->nfailure_actions) {
		/* SERVICE_FAILURE_ACTIONS as the SCM stores it: reset
		 * period, two unused pointers, the count and a non-zero
		 * array marker, then {type, delay} per action. */
		size_t len = 20 + 8 * s->nfailure_actions;
		uint8_t *d = calloc(1, len);
		if (d == NULL) {
			b->oom = true;
			return true;
		}
		put_le32(d, s->failure_reset_period);
		put_le32(d + 12, (uint32_t)s->nfailure_actions);
		put_le32(d + 16, 20);
		for (size_t i = 0; i < s->nfailure_actions; i++) {
			put_le32(d + 20 + 8 * i,
				 failure_action(s->failure_actions[i].type));
			put_le32(d + 24 + 8 * i,
				 s->failure_actions[i].delay_ms);
		}
		svc_int_plan_set_bin(b, H, key, "FailureActions",
				     PKG_REG_BINARY, d, len, origin);
		free(d);
	}
	for (size_t i = 0; i < s->ntriggers; i++) {
		/* Triggers live in Services\<name>\TriggerInfo\<n>: Type,
		 * Action, the subtype GUID and the first data item. */
		const struct pkg_service_trigger *t = &s->triggers[i];
		uint32_t type = trigger_type(t->type);
		uint8_t guid[16];
		if (type == 0 || !parse_guid(t->subtype, guid)) {
			svc_int_plan_defer(
				b, "a trigger we cannot store offline",
				"%s:%u service %s trigger %s %s", m->file,
				s->line, s->name, t->type ? t->type : "",
				t->subtype ? t->subtype : "");
			continue;
		}
		char *tk =
			svc_int_plan_printf(b, "%s\\TriggerInfo\\%zu", key, i);
		if (tk == NULL)
			return !b->oom;
		svc_int_plan_set_dword(b, H, tk, "Type", type, origin);
		svc_int_plan_set_dword(
			b, H, tk, "Action",
			t->action && strcasecmp(t->action, "stop") == 0 ? 2 : 1,
			origin);
		svc_int_plan_set_bin(b, H, tk, "GUID", PKG_REG_BINARY, guid, 16,
				     origin);
		if (t->data_value != NULL) {
			/* SERVICE_TRIGGER_DATA_TYPE_STRING (2): a REG_SZ
			 * list as UTF-16 data. */
			svc_int_plan_set_dword(b, H, tk, "DataType0", 2,
					       origin);
			uint8_t *d;
			size_t dl;
			if (reg_encode_string(t->data_value, &d, &dl) ==
			    REG_OK) {
				svc_int_plan_set_bin(b, H, tk, "Data0",
						     PKG_REG_BINARY, d, dl,
						     origin);
				free(d);
			}
		}
	}
	if (s->security_descriptor)
		svc_int_plan_defer(
			b,
			"security descriptors are applied by Windows' "
			"servicing at first boot",
			"%s:%u service %s securityDescriptor %s", m->file,
			s->line, s->name, s->security_descriptor);
	return true;
}

static enum pkg_err plan_component(struct plan_build *b,
				   const struct pkg_manifest *m)
{
	bool wow =
		m->identity.arch && strcasecmp(m->identity.arch, "wow64") == 0;
	const struct pkg_windows_paths *paths = wow ? &b->paths_wow : &b->paths;
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct pkg_file *f = &m->files[i];
		if (f->destination_path == NULL) {
			svc_int_plan_defer(
				b, "a component file without destinationPath",
				"%s:%u file %s", m->file, f->line, f->name);
			continue;
		}
		char *dir =
			expand(b, EXPAND_RUNTIME, f->destination_path, paths);
		char *gdir = dir ? guest_path(b, dir) : NULL;
		if (gdir == NULL) {
			snprintf(b->err->file, sizeof(b->err->file), "%s",
				 m->file);
			b->err->line = f->line;
			return b->oom ? PKG_ERR_NOMEM : b->err->code;
		}
		if (f->cab_name == NULL) {
			pkg_error_clear(b->err);
			b->err->code = PKG_ERR_MISSING;
			snprintf(b->err->file, sizeof(b->err->file), "%s",
				 m->file);
			b->err->line = f->line;
			snprintf(b->err->msg, sizeof(b->err->msg),
				 "file %s is not in the cabinet", f->name);
			return PKG_ERR_MISSING;
		}
		char *origin =
			svc_int_plan_printf(b, "%s:%u component %s", m->file,
					    f->line, m->identity.name);
		plan_file(b, join(b, gdir, f->name), SVC_ROLE_INSTALL, f,
			  origin);
		if (f->security_descriptor)
			svc_int_plan_defer(
				b,
				"security descriptors are applied by "
				"Windows' servicing at first boot",
				"%s:%u file %s securityDescriptor %s", m->file,
				f->line, f->name, f->security_descriptor);
	}
	for (size_t i = 0; i < m->nreg_keys; i++) {
		const struct pkg_reg_key *k = &m->reg_keys[i];
		enum svc_hive hive;
		char *key;
		if (!machine_key(b, k->key_name, &hive, &key)) {
			svc_int_plan_defer(
				b, "not a key of the SYSTEM or SOFTWARE hive",
				"%s:%u registryKey %s", m->file, k->line,
				k->key_name);
			continue;
		}
		if (key == NULL)
			return PKG_ERR_NOMEM;
		char *origin = svc_int_plan_printf(b, "%s:%u registryKey",
						   m->file, k->line);
		add_key(b, hive, key, origin);
		if (k->security_descriptor)
			svc_int_plan_defer(
				b,
				"security descriptors are applied by "
				"Windows' servicing at first boot",
				"%s:%u registryKey %s securityDescriptor %s",
				m->file, k->line, k->key_name,
				k->security_descriptor);
		for (size_t v = 0; v < k->nvalues; v++) {
			const struct pkg_reg_value *rv = &k->values[v];
			char *vo = svc_int_plan_printf(b, "%s:%u registryValue",
						       m->file, rv->line);
			if (!plan_value(b, hive, key, rv->name, &rv->data,
					EXPAND_RUNTIME, paths, vo, false,
					false))
				return b->err->code ? b->err->code
						    : PKG_ERR_NOMEM;
		}
	}
	for (size_t i = 0; i < m->nservices; i++)
		if (!plan_service(b, m, &m->services[i], paths))
			return b->err->code ? b->err->code : PKG_ERR_NOMEM;
	for (size_t i = 0; i < m->nsvchost; i++) {
		const struct pkg_svchost_member *sv = &m->svchost[i];
		char *origin = svc_int_plan_printf(b, "%s:%u serviceGroup",
						   m->file, sv->line);
		add_list(b, SVC_REG_MULTI_ADD, SVC_HIVE_SOFTWARE,
			 "Microsoft\\Windows NT\\CurrentVersion\\Svchost",
			 sv->group, PKG_REG_MULTI_SZ, sv->service, origin);
	}
	for (size_t i = 0; i < m->nunmodelled; i++)
		svc_int_plan_defer(
			b,
			"not modelled; Windows' servicing does it at "
			"first boot",
			"%s:%u <%s>", m->file, m->unmodelled[i].line,
			m->unmodelled[i].element);
	return b->oom ? PKG_ERR_NOMEM : PKG_OK;
}

/* ------------------------------------------------------------------ */
/* Merging duplicates.                                                 */
/* ------------------------------------------------------------------ */

/* The same destination twice: identical files collapse into one; for
 * different ones the later wins, as it would when Windows copies them in
 * order, and a note says so. */
static void merge_files(struct plan_build *b)
{
	struct svc_plan *p = b->plan;
	size_t out = 0;
	for (size_t i = 0; i < p->nfiles; i++) {
		struct svc_plan_file *f = &p->files[i];
		bool dup = false;
		for (size_t j = i + 1; j < p->nfiles && !dup; j++) {
			struct svc_plan_file *g = &p->files[j];
			if (strcasecmp(f->dest, g->dest) != 0)
				continue;
			dup = true;
			if (!(f->has_sha256 && g->has_sha256 &&
			      memcmp(f->sha256, g->sha256, 32) == 0) &&
			    !(f->source == g->source && f->cab_entry &&
			      g->cab_entry &&
			      strcasecmp(f->cab_entry, g->cab_entry) == 0))
				svc_int_plan_note(
					b,
					"%s is written twice with "
					"different content (%s, then %s); "
					"the later one is kept",
					f->dest, f->origin, g->origin);
		}
		if (!dup)
			p->files[out++] = *f;
	}
	p->nfiles = out;
}

static bool same_reg_target(const struct svc_plan_reg *a,
			    const struct svc_plan_reg *c)
{
	return a->hive == c->hive && strcasecmp(a->key, c->key) == 0 &&
	       strcasecmp(a->name, c->name) == 0;
}

/* A value set twice keeps the later setting; keys created twice and
 * identical list additions collapse. */
static void merge_regs(struct svc_plan *p)
{
	size_t out = 0;
	for (size_t i = 0; i < p->nregs; i++) {
		struct svc_plan_reg *r = &p->regs[i];
		bool dup = false;
		for (size_t j = i + 1; j < p->nregs && !dup; j++) {
			struct svc_plan_reg *q = &p->regs[j];
			if (r->kind != q->kind)
				continue;
			if (r->kind == SVC_REG_KEY)
				dup = r->hive == q->hive &&
				      strcasecmp(r->key, q->key) == 0;
			else if (r->kind == SVC_REG_SET ||
				 r->kind == SVC_REG_DELETE)
				dup = same_reg_target(r, q);
			else
				dup = same_reg_target(r, q) &&
				      strcasecmp(r->text, q->text) == 0;
		}
		if (!dup)
			p->regs[out++] = *r;
	}
	p->nregs = out;
}

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
			r = plan_driver(b, u);
			if (r != PKG_OK)
				return r;
		} else if (u->kind == PKG_UPDATE_COMPONENT) {
			for (size_t k = 0; k < u->nclosure; k++) {
				r = plan_component(b, u->closure[k]);
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
	add_list(b, SVC_REG_PATH_ADD, SVC_HIVE_SOFTWARE,
		 "Microsoft\\Windows\\CurrentVersion", "DevicePath",
		 PKG_REG_EXPAND_SZ, "%SystemRoot%\\hvoffline\\Drivers", origin);

	/* The package, staged for Windows' servicing. */
	struct svc_plan_file cab = {
		.dest = join(b, p->package_dir, cab_name(b->sp)),
		.source = SVC_SRC_CABINET,
		.role = SVC_ROLE_STAGE,
		.has_sha256 = true,
		.size = b->sp->cab_size,
		.origin = svc_int_plan_strdup(
			b, "the package, for DISM at first boot"),
	};
	memcpy(cab.sha256, b->sp->cab_sha256, 32);
	p->staged_cab = cab.dest;
	if (!b->oom)
		svc_int_plan_add_file(b, &cab);
	r = plan_cab_file(b, "update.mum",
			  join(b, p->package_dir, "update.mum"), SVC_ROLE_STAGE,
			  "the package manifest");
	if (r == PKG_OK)
		r = plan_cab_file(b, "update.cat",
				  join(b, p->package_dir, "update.cat"),
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

	merge_files(b);
	merge_regs(p);
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

	b.paths.system_root =
		svc_int_plan_printf(&b, "%s\\%s", SYSTEM_DRIVE, f->systemroot);
	b.paths.system_drive = SYSTEM_DRIVE;
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

int svc_plan_dirs(const struct svc_plan *plan, char ***dirs_ret, size_t *n_ret)
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
	return 0;
oom:
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	return -1;
}

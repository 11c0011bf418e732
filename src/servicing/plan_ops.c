/*
 * plan_ops.c - the building blocks of a plan: registry values and
 * keys (with CurrentControlSet mapped), expansion, guest paths and files.
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

void svc_int_plan_add_key(struct plan_build *b, enum svc_hive hive,
			  const char *key, const char *origin)
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

void svc_int_plan_add_list(struct plan_build *b, enum svc_reg_kind kind,
			   enum svc_hive hive, const char *key,
			   const char *name, uint32_t type, const char *entry,
			   const char *origin)
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
bool svc_int_plan_machine_key(struct plan_build *b, const char *path,
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

char *svc_int_plan_expand(struct plan_build *b, enum expand how, const char *s,
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
bool svc_int_plan_value(struct plan_build *b, enum svc_hive hive,
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
			v[i] = svc_int_plan_expand(b, how, d->strv[i], paths);
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
		const char *t = svc_int_plan_expand(
			b, how, d->str ? d->str : "", paths);
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
char *svc_int_plan_guest_path(struct plan_build *b, const char *win)
{
	const char *drive = b->paths.system_drive;
	size_t n = strlen(drive);
	if (strncasecmp(win, drive, n) == 0 &&
	    (win[n] == '\\' || win[n] == '\0'))
		return svc_int_plan_strdup(b, win + n + (win[n] == '\\'));
	pkg_error_clear(b->err);
	b->err->code = PKG_ERR_UNSUPPORTED;
	snprintf(b->err->msg, sizeof(b->err->msg),
		 "%s is not on the system drive %s", win, drive);
	return NULL;
}

/* dir + "\" + name, without doubling separators. */
char *svc_int_plan_join(struct plan_build *b, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	if (n == 0)
		return svc_int_plan_strdup(b, name);
	return svc_int_plan_printf(b, "%s%s%s", dir,
				   dir[n - 1] == '\\' ? "" : "\\", name);
}

void svc_int_plan_file(struct plan_build *b, const char *dest,
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
enum pkg_err svc_int_plan_cab_file(struct plan_build *b, const char *entry,
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
	if (e->hashed) { /* from the package's one read of its cabinet */
		f.has_sha256 = true;
		memcpy(f.sha256, e->sha256, 32);
	}
	if (!b->oom)
		svc_int_plan_add_file(b, &f);
	return PKG_OK;
}

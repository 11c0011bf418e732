/*
 * paths.c - where things go in the guest: INF DIRIDs and the $(runtime.*)
 * variables of component manifests, as Windows paths.
 *
 * DIRIDs follow Microsoft's "Using Dirids" page (driver docs).  Only those
 * whose directory is fixed by the Windows installation are resolved; the
 * others name things that do not exist in an offline image (01: the
 * directory the INF was installed from; 13: the driver's own driver-store
 * folder, chosen when Windows imports the package) or depend on a user or
 * a print spooler configuration, and give PKG_ERR_UNSUPPORTED naming the
 * DIRID, so the plan can never guess.
 *
 * $(runtime.*) variables are the macros of component manifests; the list
 * of names is the one Microsoft documents for package authoring
 * (destinationDir "must start with" $(runtime.bootDrive) ...
 * $(runtime.programData)).  Their directories are the standard Windows
 * layout under %SystemRoot% and the system drive.  Per-user and
 * application folders (userProfile, startMenu, documentSettings, mui,
 * sharedData, apps, ...) are not resolved offline.
 */
#include <config.h>

#include <string.h>

#include "package/internal.h"
#include "util/bytes.h"

enum base { ROOT, DRIVE, ABSOLUTE };

struct dir {
	const char *name; /* runtime variable name (for DIRIDs: unused) */
	int32_t dirid;	  /* for DIRIDs */
	enum base base;
	const char *sub;     /* below the base */
	const char *sub_wow; /* below the base for wow64 components */
};

/* "Using Dirids" (Microsoft driver docs), the values with a fixed path. */
static const struct dir dirids[] = {
	{ NULL, 10, ROOT, "", NULL },		       /* Windows directory */
	{ NULL, 11, ROOT, "System32", NULL },	       /* system directory */
	{ NULL, 12, ROOT, "System32\\drivers", NULL }, /* drivers */
	{ NULL, 17, ROOT, "INF", NULL },	       /* INF file directory */
	{ NULL, 18, ROOT, "Help", NULL },	       /* Help directory */
	{ NULL, 20, ROOT, "Fonts", NULL },	       /* Fonts directory */
	{ NULL, 24, DRIVE, "", NULL },		       /* root of system disk */
	{ NULL, 50, ROOT, "System", NULL },	       /* %SystemRoot%\system */
	{ NULL, 16422, DRIVE, "Program Files", NULL },
	{ NULL, 16425, ROOT, "SysWOW64", NULL }, /* system32 under WOW64 */
	{ NULL, 16426, DRIVE, "Program Files (x86)", NULL },
	{ NULL, 16427, DRIVE, "Program Files\\Common Files", NULL },
	{ NULL, 16428, DRIVE, "Program Files (x86)\\Common Files", NULL },
	{ NULL, -1, ABSOLUTE, "", NULL },    /* absolute path */
	{ NULL, 65535, ABSOLUTE, "", NULL }, /* synonym of -1 */
};

static const struct dir runtime_vars[] = {
	{ "bootDrive", 0, DRIVE, "", NULL },
	{ "systemDrive", 0, DRIVE, "", NULL },
	{ "systemRoot", 0, ROOT, "", NULL },
	{ "windows", 0, ROOT, "", NULL },
	{ "system32", 0, ROOT, "System32", "SysWOW64" },
	{ "system", 0, ROOT, "System", NULL },
	{ "drivers", 0, ROOT, "System32\\drivers", NULL },
	{ "help", 0, ROOT, "Help", NULL },
	{ "inf", 0, ROOT, "INF", NULL },
	{ "fonts", 0, ROOT, "Fonts", NULL },
	{ "wbem", 0, ROOT, "System32\\wbem", "SysWOW64\\wbem" },
	{ "appPatch", 0, ROOT, "AppPatch", NULL },
	{ "sysWow64", 0, ROOT, "SysWOW64", NULL },
	{ "commonFiles", 0, DRIVE, "Program Files\\Common Files",
	  "Program Files (x86)\\Common Files" },
	{ "commonFilesX86", 0, DRIVE, "Program Files (x86)\\Common Files",
	  NULL },
	{ "programFiles", 0, DRIVE, "Program Files", "Program Files (x86)" },
	{ "programFilesX86", 0, DRIVE, "Program Files (x86)", NULL },
	{ "programData", 0, DRIVE, "ProgramData", NULL },
};

static void put_dir(struct pkg_int_buf *b, const struct dir *d,
		    const struct pkg_windows_paths *paths)
{
	const char *sub = paths->wow64 && d->sub_wow ? d->sub_wow : d->sub;
	if (d->base == ABSOLUTE)
		return;
	pkg_int_buf_puts(b, d->base == ROOT ? paths->system_root
					    : paths->system_drive);
	if (sub[0]) {
		pkg_int_buf_putc(b, '\\');
		pkg_int_buf_puts(b, sub);
	}
}

static enum pkg_err check_paths(const struct pkg_windows_paths *paths,
				struct pkg_error *err)
{
	if (paths == NULL || paths->system_root == NULL ||
	    paths->system_drive == NULL)
		return pkg_int_fail(err, PKG_ERR_INVALID_ARG, NULL, 0,
				    "guest paths not given");
	return PKG_OK;
}

static const struct dir *find_dirid(int32_t dirid)
{
	for (size_t i = 0; i < HVO_ARRAY_SIZE(dirids); i++)
		if (dirids[i].dirid == dirid)
			return &dirids[i];
	return NULL;
}

static enum pkg_err unsupported_dirid(struct pkg_error *err, int32_t dirid)
{
	const char *why = dirid == 1	? " (the directory the INF came from)"
			  : dirid == 13 ? " (the driver store folder Windows "
					  "picks at import)"
					: "";
	return pkg_int_fail(err, PKG_ERR_UNSUPPORTED, NULL, 0,
			    "DIRID %d%s cannot be resolved offline", (int)dirid,
			    why);
}

static enum pkg_err finish(struct pkg_arena *arena, struct pkg_int_buf *b,
			   char **out, struct pkg_error *err)
{
	*out = b->oom ? NULL : pkg_int_strndup(arena, b->s ? b->s : "", b->len);
	pkg_int_buf_free(b);
	if (*out == NULL)
		return pkg_int_fail(err, PKG_ERR_NOMEM, NULL, 0,
				    "out of memory");
	return PKG_OK;
}

enum pkg_err pkg_dirid_path(struct pkg_arena *arena, int32_t dirid,
			    const struct pkg_windows_paths *paths,
			    char **path_ret, struct pkg_error *err)
{
	enum pkg_err rc = check_paths(paths, err);
	if (rc)
		return rc;
	const struct dir *d = find_dirid(dirid);
	if (d == NULL)
		return unsupported_dirid(err, dirid);
	struct pkg_int_buf b = { 0 };
	put_dir(&b, d, paths);
	return finish(arena, &b, path_ret, err);
}

enum pkg_err pkg_inf_expand(struct pkg_arena *arena, const char *tmpl,
			    const struct pkg_windows_paths *paths,
			    char **text_ret, struct pkg_error *err)
{
	enum pkg_err rc = check_paths(paths, err);
	if (rc)
		return rc;
	struct pkg_int_buf b = { 0 };
	for (const char *p = tmpl; *p;) {
		if (*p != '%') {
			pkg_int_buf_putc(&b, *p++);
			continue;
		}
		if (p[1] == '%') {
			pkg_int_buf_putc(&b, '%');
			p += 2;
			continue;
		}
		const char *close = strchr(p + 1, '%');
		char num[16];
		size_t n = close ? (size_t)(close - p - 1) : 0;
		uint32_t v;
		if (close == NULL || n == 0 || n >= sizeof(num)) {
			pkg_int_buf_putc(&b, *p++);
			continue;
		}
		memcpy(num, p + 1, n);
		num[n] = '\0';
		if (!pkg_int_parse_u32(num, &v)) {
			pkg_int_buf_putc(&b, *p++);
			continue;
		}
		const struct dir *d = find_dirid((int32_t)v);
		if (d == NULL) {
			pkg_int_buf_free(&b);
			return unsupported_dirid(err, (int32_t)v);
		}
		put_dir(&b, d, paths);
		p = close + 1;
	}
	return finish(arena, &b, text_ret, err);
}

enum pkg_err pkg_runtime_expand(struct pkg_arena *arena, const char *s,
				const struct pkg_windows_paths *paths,
				char **text_ret, struct pkg_error *err)
{
	enum pkg_err rc = check_paths(paths, err);
	if (rc)
		return rc;
	struct pkg_int_buf b = { 0 };
	for (const char *p = s; *p;) {
		if (p[0] != '$' || p[1] != '(') {
			pkg_int_buf_putc(&b, *p++);
			continue;
		}
		const char *close = strchr(p + 2, ')');
		if (close == NULL) {
			pkg_int_buf_free(&b);
			return pkg_int_fail(err, PKG_ERR_MANIFEST, NULL, 0,
					    "unterminated $( in '%s'", s);
		}
		size_t n = (size_t)(close - p - 2);
		const char *name = p + 2;
		const struct dir *d = NULL;
		if (n > 8 && pkg_int_strncasecmp(name, "runtime.", 8) == 0)
			for (size_t i = 0; i < HVO_ARRAY_SIZE(runtime_vars);
			     i++)
				if (strlen(runtime_vars[i].name) == n - 8 &&
				    pkg_int_strncasecmp(name + 8,
							runtime_vars[i].name,
							n - 8) == 0)
					d = &runtime_vars[i];
		if (d == NULL) {
			pkg_int_buf_free(&b);
			return pkg_int_fail(
				err, PKG_ERR_UNSUPPORTED, NULL, 0,
				"variable $(%.*s) cannot be resolved "
				"offline",
				(int)(n > 64 ? 64 : n), name);
		}
		put_dir(&b, d, paths);
		p = close + 1;
	}
	return finish(arena, &b, text_ret, err);
}

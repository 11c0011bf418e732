/*
 * guestfs_lazy.c - load libguestfs only when a command needs it.
 *
 * libguestfs pulls in some sixty shared libraries (libvirt among them):
 * linking it costs every hvoffline process about 40 ms and 17 MB before
 * main() runs, although most commands (cab, vhdx, reg, package) never
 * launch an appliance.  So the hvoffline program does not link libguestfs;
 * it defines the guestfs_* functions it uses (guestfs_syms.def) as
 * trampolines (lazy.h).  libhvoffline.so and the tests link libguestfs
 * normally.
 *
 * If the library cannot be loaded, guestfs_create() fails like any
 * handle creation (NULL, errno set) after saying once why on stderr; no
 * other function can be reached without a handle.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>

#include <guestfs.h>

#include "cli/lazy.h"

/* The soname the Debian package ships (libguestfs0). */
static struct lazy_lib lib = LAZY_LIB_INIT("libguestfs.so.0", "libguestfs");

#define GFS_FN(ret, name, params, args) LAZY_FN(lib, ret, name, params, args)
#define GFS_VOID(name, params, args)	LAZY_VOID(lib, name, params, args)

/* Keep clang-format away from the macro-generated definitions. */
/* clang-format off */
#include "cli/guestfs_syms.def"
/* clang-format on */

/* ---- Handle creation: where a missing library shows up. ---- */

guestfs_h *guestfs_create(void)
{
	if (!lazy_loaded(&lib)) {
		errno = ELIBACC;
		return NULL;
	}
	guestfs_h *(*f)(void);
	LAZY_TARGET(lib, guestfs_create, f)
	return f();
}

guestfs_h *guestfs_create_flags(unsigned flags, ...)
{
	if (!lazy_loaded(&lib)) {
		errno = ELIBACC;
		return NULL;
	}
	/* The variadic part is reserved by libguestfs and unused. */
	guestfs_h *(*f)(unsigned, ...);
	LAZY_TARGET(lib, guestfs_create_flags, f)
	return f(flags);
}

/* ---- Variadic functions: forwarded to their va_list forms. ---- */

int guestfs_add_drive_opts(guestfs_h *g, const char *filename, ...)
{
	int (*f)(guestfs_h *, const char *, va_list);
	LAZY_TARGET(lib, guestfs_add_drive_opts_va, f)
	va_list ap;
	va_start(ap, filename);
	int r = f(g, filename, ap);
	va_end(ap);
	return r;
}

int guestfs_add_drive_scratch(guestfs_h *g, int64_t size, ...)
{
	int (*f)(guestfs_h *, int64_t, va_list);
	LAZY_TARGET(lib, guestfs_add_drive_scratch_va, f)
	va_list ap;
	va_start(ap, size);
	int r = f(g, size, ap);
	va_end(ap);
	return r;
}

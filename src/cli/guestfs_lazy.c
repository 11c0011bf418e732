/*
 * guestfs_lazy.c - load libguestfs only when a command needs it.
 *
 * libguestfs pulls in some sixty shared libraries (libvirt among them):
 * linking it costs every hvoffline process about 40 ms and 17 MB before
 * main() runs, although most commands (cab, vhdx, reg, package) never
 * launch an appliance.  So the hvoffline program does not link libguestfs;
 * it defines the guestfs_* functions it uses (guestfs_syms.def) as
 * trampolines that dlopen() the library on first use and jump to the real
 * function.  libhvoffline.so and the tests link libguestfs normally.
 *
 * If the library cannot be loaded, guestfs_create() fails like any
 * handle creation (NULL, errno set) after saying once why on stderr; no
 * other function can be reached without a handle.
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <guestfs.h>

/* The soname the Debian package ships (libguestfs0). */
#define GUESTFS_SONAME "libguestfs.so.0"

static void *lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void load_library(void)
{
	lib = dlopen(GUESTFS_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		fprintf(stderr, "hvoffline: %s: cannot load libguestfs: %s\n",
			GUESTFS_SONAME, dlerror());
}

static bool library_loaded(void)
{
	pthread_once(&lib_once, load_library);
	return lib != NULL;
}

/* The real function @name; aborts if it is missing from the library (a
 * libguestfs older than configure required). */
static void *real(const char *name)
{
	if (!library_loaded())
		abort(); /* unreachable: no handle without the library */
	void *fn = dlsym(lib, name);
	if (fn == NULL) {
		fprintf(stderr, "hvoffline: %s: no symbol %s: %s\n",
			GUESTFS_SONAME, name, dlerror());
		abort();
	}
	return fn;
}

/* Each trampoline resolves its target once.  The pointer is read and
 * written atomically, so concurrent first calls only resolve it twice. */
#define GFS_FN(ret, name, params, args)                                  \
	ret name params                                                  \
	{                                                                \
		static ret(*fn) params;                                  \
		ret(*f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
		if (f == NULL) {                                         \
			f = (ret(*) params)real(#name);                  \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE);      \
		}                                                        \
		return f args;                                           \
	}
#define GFS_VOID(name, params, args)                                      \
	void name params                                                  \
	{                                                                 \
		static void(*fn) params;                                  \
		void(*f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
		if (f == NULL) {                                          \
			f = (void(*) params)real(#name);                  \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE);       \
		}                                                         \
		f args;                                                   \
	}

/* Keep clang-format away from the macro-generated definitions. */
/* clang-format off */
#include "cli/guestfs_syms.def"
/* clang-format on */

/* ---- Handle creation: where a missing library shows up. ---- */

guestfs_h *guestfs_create(void)
{
	if (!library_loaded()) {
		errno = ELIBACC;
		return NULL;
	}
	guestfs_h *(*f)(void) = (guestfs_h * (*)(void)) real("guestfs_create");
	return f();
}

guestfs_h *guestfs_create_flags(unsigned flags, ...)
{
	if (!library_loaded()) {
		errno = ELIBACC;
		return NULL;
	}
	/* The variadic part is reserved by libguestfs and unused. */
	guestfs_h *(*f)(unsigned, ...) =
		(guestfs_h * (*)(unsigned, ...)) real("guestfs_create_flags");
	return f(flags);
}

/* ---- Variadic functions: forwarded to their va_list forms. ---- */

int guestfs_add_drive_opts(guestfs_h *g, const char *filename, ...)
{
	int (*f)(guestfs_h *, const char *, va_list) =
		(int (*)(guestfs_h *, const char *, va_list))real(
			"guestfs_add_drive_opts_va");
	va_list ap;
	va_start(ap, filename);
	int r = f(g, filename, ap);
	va_end(ap);
	return r;
}

int guestfs_add_drive_scratch(guestfs_h *g, int64_t size, ...)
{
	int (*f)(guestfs_h *, int64_t, va_list) =
		(int (*)(guestfs_h *, int64_t, va_list))real(
			"guestfs_add_drive_scratch_va");
	va_list ap;
	va_start(ap, size);
	int r = f(g, size, ap);
	va_end(ap);
	return r;
}

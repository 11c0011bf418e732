/*
 * lazy.h - shared libraries the hvoffline program loads on first use.
 *
 * Linking a library costs every process its loading, although most
 * commands never call it: libguestfs (some sixty libraries, ~40 ms) is
 * only needed to launch an appliance, libxml2 (with ICU and libstdc++,
 * ~2 ms) only to read manifests.  The program defines the functions it
 * calls as trampolines that dlopen() the library on first use and jump
 * to the real function (guestfs_lazy.c, xml_lazy.c).  libhvoffline.so and
 * the tests link the libraries normally.
 */
#ifndef HVO_CLI_LAZY_H
#define HVO_CLI_LAZY_H

#include <pthread.h>
#include <stdbool.h>

struct lazy_lib {
	const char *soname; /* as the Debian package ships it */
	const char *what;   /* for the message: "libguestfs" */
	pthread_mutex_t lock;
	bool tried;
	void *handle;
};

#define LAZY_LIB_INIT(soname, what)                                      \
	{                                                                \
		(soname), (what), PTHREAD_MUTEX_INITIALIZER, false, NULL \
	}

/* Loads @lib once; false (after saying why on stderr, once) if it
 * cannot be loaded. */
bool lazy_loaded(struct lazy_lib *lib);

/* The real function @name; aborts if the library or the symbol is
 * missing (a library older than configure required). */
void *lazy_real(struct lazy_lib *lib, const char *name);

/*
 * Sets the function pointer @ptr to @name from @lib, resolved once per
 * call site.  The cached pointer is read and written atomically, so
 * concurrent first calls only resolve it twice.  The names used here are
 * ones no parameter of a wrapped function takes.
 */
#define LAZY_TARGET(lib, name, ptr)                                   \
	static __typeof__(ptr) lazy_fn_;                              \
	(ptr) = __atomic_load_n(&lazy_fn_, __ATOMIC_ACQUIRE);         \
	if ((ptr) == NULL) {                                          \
		(ptr) = (__typeof__(ptr))lazy_real(&(lib), #name);    \
		__atomic_store_n(&lazy_fn_, (ptr), __ATOMIC_RELEASE); \
	}

/* A trampoline for function @name of @lib (the two kinds differ only in
 * whether they return what the real function returns). */
#define LAZY_FN(lib, ret, name, params, args)   \
	ret name params                         \
	{                                       \
		ret(*lazy_f_) params;           \
		LAZY_TARGET(lib, name, lazy_f_) \
		return lazy_f_ args;            \
	}
#define LAZY_VOID(lib, name, params, args)      \
	void name params                        \
	{                                       \
		void(*lazy_f_) params;          \
		LAZY_TARGET(lib, name, lazy_f_) \
		lazy_f_ args;                   \
	}

#endif /* HVO_CLI_LAZY_H */

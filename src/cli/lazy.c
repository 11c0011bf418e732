/*
 * lazy.c - load a shared library on first use (see lazy.h).
 */
#include <config.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/lazy.h"

bool lazy_loaded(struct lazy_lib *lib)
{
	pthread_mutex_lock(&lib->lock);
	if (!lib->tried) {
		lib->tried = true;
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (lib->handle == NULL)
			fprintf(stderr, "hvoffline: %s: cannot load %s: %s\n",
				lib->soname, lib->what, dlerror());
	}
	bool ok = lib->handle != NULL;
	pthread_mutex_unlock(&lib->lock);
	return ok;
}

void *lazy_real(struct lazy_lib *lib, const char *name)
{
	if (!lazy_loaded(lib))
		abort(); /* callers check lazy_loaded() where it can fail */
	void *fn = dlsym(lib->handle, name);
	if (fn == NULL) {
		fprintf(stderr, "hvoffline: %s: no symbol %s: %s\n",
			lib->soname, name, dlerror());
		abort();
	}
	return fn;
}

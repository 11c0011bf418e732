/*
 * xml_lazy.c - load libxml2 only when a command reads a manifest.
 *
 * libxml2 brings ICU and libstdc++ with it: about 2 ms of loading per
 * process, which every `hvoffline cab` or `vhdx` run paid without
 * parsing any XML (a quarter of a small cabinet's extraction time).  The
 * hvoffline program defines the functions it uses (xml_syms.def) as
 * trampolines (lazy.h); libhvoffline.so and the tests link libxml2.
 *
 * If the library cannot be loaded, xmlReaderForMemory() fails (NULL) after
 * saying once why on stderr, and the manifest is reported unreadable; no
 * other function can be reached without a reader.
 */
#include <config.h>

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include "cli/lazy.h"

/* The soname the Debian package ships (libxml2). */
static struct lazy_lib lib = LAZY_LIB_INIT("libxml2.so.2", "libxml2");

#define XML_FN(ret, name, params, args) LAZY_FN(lib, ret, name, params, args)
#define XML_VOID(name, params, args)	LAZY_VOID(lib, name, params, args)

/* Keep clang-format away from the macro-generated definitions. */
/* clang-format off */
#include "cli/xml_syms.def"
/* clang-format on */

/* The first calls: where a missing library shows up. */

void xmlInitParser(void)
{
	if (!lazy_loaded(&lib))
		return; /* xmlReaderForMemory() fails next */
	void (*f)(void);
	LAZY_TARGET(lib, xmlInitParser, f)
	f();
}

xmlTextReaderPtr xmlReaderForMemory(const char *buffer, int size,
				    const char *URL, const char *encoding,
				    int options)
{
	if (!lazy_loaded(&lib))
		return NULL;
	xmlTextReaderPtr (*f)(const char *, int, const char *, const char *,
			      int);
	LAZY_TARGET(lib, xmlReaderForMemory, f)
	return f(buffer, size, URL, encoding, options);
}

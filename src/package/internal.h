/*
 * internal.h - helpers shared by the files of src/package (not installed).
 *
 * Internal functions that cross files are prefixed pkgi_ so that the
 * shared library, which exports only ^pkg_, keeps them hidden.
 */
#ifndef HVO_PACKAGE_INTERNAL_H
#define HVO_PACKAGE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "package/package.h"

/* ---- Arena (arena.c) ---- */

/* @size bytes, zeroed, aligned for any object; NULL when out of memory or
 * when @size is absurd. */
void *pkg_int_alloc(struct pkg_arena *a, size_t size);
/* @n objects of @size bytes, with overflow check. */
void *pkg_int_calloc(struct pkg_arena *a, size_t n, size_t size);
char *pkg_int_strdup(struct pkg_arena *a, const char *s);
char *pkg_int_strndup(struct pkg_arena *a, const char *s, size_t n);
char *pkg_int_printf(struct pkg_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A growable array in an arena: grows by doubling (the old block stays in
 * the arena until it is freed; the waste is bounded by the final size).
 * pkg_int_vec_push returns a pointer to the new, zeroed slot, or NULL.
 */
struct pkg_int_vec {
	void *items;
	size_t n, cap;
};
void *pkg_int_vec_push(struct pkg_arena *a, struct pkg_int_vec *v, size_t size);

/* ---- Growable string buffer (malloc-backed, freed by caller) ---- */

struct pkg_int_buf {
	char *s;
	size_t len, cap;
	bool oom;
};
void pkg_int_buf_putc(struct pkg_int_buf *b, char c);
void pkg_int_buf_put(struct pkg_int_buf *b, const char *s, size_t n);
void pkg_int_buf_puts(struct pkg_int_buf *b, const char *s);
void pkg_int_buf_free(struct pkg_int_buf *b);

/* ---- Errors (error.c) ---- */

/* Sets @err (if not NULL) and returns @code.  @file may be NULL. */
enum pkg_err pkg_int_fail(struct pkg_error *err, enum pkg_err code,
			  const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- Case-insensitive ASCII helpers ---- */

int pkg_int_strcasecmp(const char *a, const char *b);
int pkg_int_strncasecmp(const char *a, const char *b, size_t n);
bool pkg_int_strcaseeq(const char *a, const char *b); /* NULL-safe */
char *pkg_int_lower(struct pkg_arena *a, const char *s);

/* ---- Case-insensitive string map (for INF sections, strings) ---- */

struct pkg_int_map {
	struct pkg_int_map_slot *slots;
	size_t cap, n;
};
/* The value for @key, or NULL. */
void *pkg_int_map_get(const struct pkg_int_map *m, const char *key);
/* Inserts or replaces; the key is not copied.  Tables are allocated in
 * @a.  Returns false when out of memory. */
bool pkg_int_map_put(struct pkg_arena *a, struct pkg_int_map *m,
		     const char *key, void *value);

/* ---- Parsing numbers ---- */

/* Parses an INF/manifest number: decimal, or hex with 0x, optionally
 * negative; whitespace around is allowed.  false if not a number or it
 * does not fit in 32 bits (as signed or unsigned). */
bool pkg_int_parse_u32(const char *s, uint32_t *out);
bool pkg_int_parse_u64(const char *s, uint64_t *out);

/* ---- Mini DOM built by the hardened XML reader (xml.c) ---- */

struct pkg_int_xattr {
	const char *name; /* local name */
	const char *value;
};

struct pkg_int_xnode {
	const char *name; /* local name */
	const char *ns;	  /* namespace URI, or NULL */
	struct pkg_int_xattr *attrs;
	size_t nattrs;
	const char *text; /* concatenated text content, or NULL */
	struct pkg_int_xnode *parent, *first, *last, *next;
	unsigned line;
};

/*
 * Reads an XML document from @buf into a tree in @arena, enforcing the
 * PKG_XML_* limits as it reads and refusing any DOCTYPE.  UTF-8 and
 * UTF-16 (with a byte-order mark) are accepted.  Returns the root element.
 */
enum pkg_err pkg_int_xml_read(struct pkg_arena *arena, const void *buf,
			      size_t len, const char *file,
			      struct pkg_int_xnode **root_ret,
			      struct pkg_error *err);

/* The value of attribute @name (exact local name), or NULL. */
const char *pkg_int_xattr(const struct pkg_int_xnode *n, const char *name);
/* The first child element named @name, or NULL. */
struct pkg_int_xnode *pkg_int_xchild(const struct pkg_int_xnode *n,
				     const char *name);

/* ---- INF internals (inf_parse.c, inf_resolve.c) ---- */

/* Looks up a [Strings] value (raw, as written), or NULL. */
const char *pkg_int_inf_string(const struct pkg_inf *inf, const char *key);

/*
 * Substitution modes: TEXT gives plain text ("%%" -> "%"), TEMPLATE keeps
 * "%%" for a literal percent and "%<n>%" for DIRIDs (see package.h).
 */
enum pkg_int_subst_mode { PKGI_SUBST_TEXT, PKGI_SUBST_TEMPLATE };
char *pkg_int_inf_subst_mode(struct pkg_arena *arena, const struct pkg_inf *inf,
			     const char *raw, enum pkg_int_subst_mode mode,
			     unsigned lineno, struct pkg_error *err);

/* Windows-1252 to UTF-8 (bytes 0x80-0x9F per the code page; the five
 * undefined ones map to U+FFFD).  Returns a malloc'd string or NULL. */
char *pkg_int_cp1252_to_utf8(const uint8_t *in, size_t len, size_t *len_ret);

/* Reads the registry data of an AddReg line (fields from index 4 on). */
enum pkg_err pkg_int_inf_reg_data(struct pkg_arena *arena,
				  const struct pkg_inf *inf,
				  const struct pkg_inf_line *ln, uint32_t flags,
				  struct pkg_reg_data *out,
				  struct pkg_error *err);

#endif /* HVO_PACKAGE_INTERNAL_H */

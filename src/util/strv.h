/*
 * strv.h - growing lists of malloc'd strings (warnings, "changed since"
 * lines), the one copy.
 */
#ifndef HVO_UTIL_STRV_H
#define HVO_UTIL_STRV_H

#include <stdarg.h>
#include <stddef.h>

/* Formats a string and appends it to the list *@v of *@n strings (both
 * updated).  Returns 0, or -1 when out of memory (the list unchanged). */
int hvo_int_strv_appendf(char ***v, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int hvo_int_strv_vappendf(char ***v, size_t *n, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif /* HVO_UTIL_STRV_H */

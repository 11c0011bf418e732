/*
 * strv.c - growing lists of malloc'd strings (see strv.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "util/strv.h"

int hvo_int_strv_vappendf(char ***v, size_t *n, const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		return -1;
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(s);
		return -1;
	}
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

int hvo_int_strv_appendf(char ***v, size_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = hvo_int_strv_vappendf(v, n, fmt, ap);
	va_end(ap);
	return r;
}

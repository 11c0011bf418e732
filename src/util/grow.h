/*
 * grow.h - room for one more element in a growing array, the one copy of
 * the doubling realloc every layer uses.
 */
#ifndef HVO_UTIL_GROW_H
#define HVO_UTIL_GROW_H

#include <stdlib.h>

/* The array @v of *@cap elements of @size bytes, @n of them used, with
 * room for one more: @v itself while there is, else reallocated to twice
 * its capacity (@first for an empty one) with *@cap updated.  NULL when
 * out of memory (@v and *@cap unchanged). */
static inline void *hvo_int_grow(void *v, size_t n, size_t *cap, size_t size,
				 size_t first)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? *cap * 2 : first;
	void *p = realloc(v, c * size);
	if (p != NULL)
		*cap = c;
	return p;
}

#endif /* HVO_UTIL_GROW_H */

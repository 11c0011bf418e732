/*
 * arena.c - the allocator of the package model.
 *
 * The model is plain data with one free function (the issue asks for it):
 * every object and string of a package lives in one arena, released at
 * once.  Parsers never have to unwind half-built structures on an error
 * path, which is where hand-written C parsers usually leak or double-free.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/internal.h"

/* Chunks are at least this big; bigger requests get a chunk of their own. */
#define ARENA_CHUNK (64u << 10)
/* No single allocation may exceed this: a guard against size arithmetic
 * driven by hostile input (the inputs themselves are capped far lower). */
#define ARENA_MAX_ALLOC ((size_t)1 << 31)

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct pkg_arena {
	struct chunk *head;
};

struct pkg_arena *pkg_arena_new(void)
{
	return calloc(1, sizeof(struct pkg_arena));
}

void pkg_arena_free(struct pkg_arena *arena)
{
	if (arena == NULL)
		return;
	struct chunk *c = arena->head;
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(arena);
}

void *pkg_int_alloc(struct pkg_arena *a, size_t size)
{
	if (a == NULL || size > ARENA_MAX_ALLOC)
		return NULL;
	size = (size + 15) & ~(size_t)15;
	if (size == 0)
		size = 16;
	struct chunk *c = a->head;
	if (c == NULL || c->size - c->used < size) {
		size_t csize = size > ARENA_CHUNK ? size : ARENA_CHUNK;
		struct chunk *n = malloc(sizeof(*n) + csize);
		if (n == NULL)
			return NULL;
		n->size = csize;
		n->used = 0;
		if (c != NULL && size > ARENA_CHUNK) {
			/* A big block: put it behind the current chunk so
			 * the current chunk's free space stays usable. */
			n->next = c->next;
			c->next = n;
		} else {
			n->next = c;
			a->head = n;
		}
		c = n;
	}
	void *p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

void *pkg_int_calloc(struct pkg_arena *a, size_t n, size_t size)
{
	if (size != 0 && n > ARENA_MAX_ALLOC / size)
		return NULL;
	return pkg_int_alloc(a, n * size);
}

char *pkg_int_strndup(struct pkg_arena *a, const char *s, size_t n)
{
	char *d = pkg_int_alloc(a, n + 1);
	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *pkg_int_strdup(struct pkg_arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	return pkg_int_strndup(a, s, strlen(s));
}

char *pkg_int_printf(struct pkg_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *d = pkg_int_alloc(a, (size_t)n + 1);
	if (d == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return d;
}

void *pkg_int_vec_push(struct pkg_arena *a, struct pkg_int_vec *v, size_t size)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		void *items = pkg_int_calloc(a, cap, size);
		if (items == NULL)
			return NULL;
		if (v->n)
			memcpy(items, v->items, v->n * size);
		v->items = items;
		v->cap = cap;
	}
	unsigned char *slot = (unsigned char *)v->items + v->n * size;
	v->n++;
	return slot; /* zeroed by pkg_int_calloc */
}

/* ---- pkg_int_buf ---- */

static bool buf_reserve(struct pkg_int_buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (extra > ARENA_MAX_ALLOC || b->len + extra + 1 > ARENA_MAX_ALLOC) {
		b->oom = true;
		return false;
	}
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (s == NULL) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void pkg_int_buf_put(struct pkg_int_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void pkg_int_buf_putc(struct pkg_int_buf *b, char c)
{
	pkg_int_buf_put(b, &c, 1);
}

void pkg_int_buf_puts(struct pkg_int_buf *b, const char *s)
{
	pkg_int_buf_put(b, s, strlen(s));
}

void pkg_int_buf_free(struct pkg_int_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

/*
 * json.h - a small streaming JSON writer.
 *
 * hvoffline only ever writes JSON (reports for scripts, the change record
 * kept in the guest); it never parses it.  A streaming writer of a few
 * hundred lines does that job without building a document tree, and keeps
 * the output stable (keys in the order the program emits them).
 *
 * The writer tracks nesting and commas itself, escapes strings, and
 * replaces invalid UTF-8 with U+FFFD so that a hostile file name can never
 * produce invalid JSON.  Errors are sticky: after the first misuse or write
 * error every call is a no-op and hvo_int_json_finish() reports it.
 */
#ifndef HVO_UTIL_JSON_H
#define HVO_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Deepest nesting accepted; our reports are a handful of levels deep. */
#define JSON_MAX_DEPTH 64

struct json_writer {
	FILE *out;
	bool pretty;
	int depth;
	/* Per level: 'o' object, 'a' array; and whether it has members. */
	char kind[JSON_MAX_DEPTH];
	bool has_member[JSON_MAX_DEPTH];
	bool key_pending; /* a key was written, its value is due */
	bool done;	  /* the top-level value is complete */
	int error;	  /* 0, or an errno value (EINVAL for misuse) */
};

/* Starts a document on @out; @pretty indents with two spaces. */
void hvo_int_json_init(struct json_writer *w, FILE *out, bool pretty);

void hvo_int_json_begin_object(struct json_writer *w);
void hvo_int_json_end_object(struct json_writer *w);
void hvo_int_json_begin_array(struct json_writer *w);
void hvo_int_json_end_array(struct json_writer *w);

/* Writes an object key; the next call must write its value. */
void hvo_int_json_key(struct json_writer *w, const char *key);

void hvo_int_json_string(struct json_writer *w,
			 const char *s); /* NULL -> null */
void hvo_int_json_string_len(struct json_writer *w, const char *s, size_t len);
void hvo_int_json_int(struct json_writer *w, int64_t v);
void hvo_int_json_uint(struct json_writer *w, uint64_t v);
/* A finite number with @decimals digits after the point (NaN/inf: null). */
void hvo_int_json_double(struct json_writer *w, double v, int decimals);
void hvo_int_json_bool(struct json_writer *w, bool v);
void hvo_int_json_null(struct json_writer *w);
/* "@key": [ the @n strings of @v ]; hvo_int_json_kv_strings() takes
 * either kind of list (char ** or const char **). */
void hvo_int_json_kv_strv(struct json_writer *w, const char *key,
			  const char *const *v, size_t n);
#define hvo_int_json_kv_strings(w, key, v, n) \
	hvo_int_json_kv_strv(                                            \
		(w), (key),                                              \
		_Generic((v), char **: (const char *const *)(v), default: (v)), \
		(n))
/* @len bytes as a string of lower-case hex digits ("0a1b"). */
void hvo_int_json_hex(struct json_writer *w, const uint8_t *d, size_t len);

/* Key and value in one call, for the common object member. */
void hvo_int_json_kv_string(struct json_writer *w, const char *key,
			    const char *s);
void hvo_int_json_kv_int(struct json_writer *w, const char *key, int64_t v);
void hvo_int_json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void hvo_int_json_kv_bool(struct json_writer *w, const char *key, bool v);

/*
 * Ends the document (writes the final newline) and returns 0, or the first
 * error: EINVAL for unbalanced or misplaced calls, or the errno of a
 * failed write.
 */
int hvo_int_json_finish(struct json_writer *w);

#endif /* HVO_UTIL_JSON_H */

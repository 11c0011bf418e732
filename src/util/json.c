/*
 * json.c - streaming JSON writer (see json.h for why we own one).
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/utf.h"

static void set_error(struct json_writer *w, int err)
{
	if (!w->error)
		w->error = err;
}

static void put(struct json_writer *w, const char *s, size_t len)
{
	if (w->error || len == 0)
		return;
	if (fwrite(s, 1, len, w->out) != len)
		set_error(w, errno ? errno : EIO);
}

static void puts_(struct json_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void newline_indent(struct json_writer *w)
{
	if (!w->pretty)
		return;
	put(w, "\n", 1);
	for (int i = 0; i < w->depth; i++)
		put(w, "  ", 2);
}

void hvo_int_json_init(struct json_writer *w, FILE *out, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->pretty = pretty;
}

/*
 * Called before every value: checks that a value is allowed here and
 * writes the separator that precedes it.
 */
static bool before_value(struct json_writer *w)
{
	if (w->error)
		return false;
	if (w->done) {
		set_error(w, EINVAL);
		return false;
	}
	if (w->depth == 0)
		return true;
	if (w->kind[w->depth - 1] == 'o') {
		/* Inside an object a value must follow its key. */
		if (!w->key_pending) {
			set_error(w, EINVAL);
			return false;
		}
		w->key_pending = false;
		return true;
	}
	if (w->has_member[w->depth - 1])
		put(w, ",", 1);
	w->has_member[w->depth - 1] = true;
	newline_indent(w);
	return true;
}

static void after_value(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = true;
}

static void begin(struct json_writer *w, char kind, const char *open)
{
	if (!before_value(w))
		return;
	if (w->depth >= JSON_MAX_DEPTH) {
		set_error(w, EINVAL);
		return;
	}
	puts_(w, open);
	w->kind[w->depth] = kind;
	w->has_member[w->depth] = false;
	w->depth++;
}

static void end(struct json_writer *w, char kind, const char *close)
{
	if (w->error)
		return;
	if (w->depth == 0 || w->kind[w->depth - 1] != kind || w->key_pending) {
		set_error(w, EINVAL);
		return;
	}
	bool had = w->has_member[w->depth - 1];
	w->depth--;
	if (had)
		newline_indent(w);
	puts_(w, close);
	after_value(w);
}

void hvo_int_json_begin_object(struct json_writer *w)
{
	begin(w, 'o', "{");
}

void hvo_int_json_end_object(struct json_writer *w)
{
	end(w, 'o', "}");
}

void hvo_int_json_begin_array(struct json_writer *w)
{
	begin(w, 'a', "[");
}

void hvo_int_json_end_array(struct json_writer *w)
{
	end(w, 'a', "]");
}

/* Writes @s as a JSON string literal, repairing invalid UTF-8. */
static void put_quoted(struct json_writer *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;

	put(w, "\"", 1);
	while (p < end && !w->error) {
		unsigned char c = *p;
		if (c >= 0x80) {
			size_t n =
				hvo_int_utf8_valid_prefix(p, (size_t)(end - p));
			if (n == 0) {
				/* One invalid byte becomes U+FFFD. */
				put(w, "\xef\xbf\xbd", 3);
				p++;
			} else {
				put(w, (const char *)p, n);
				p += n;
			}
			continue;
		}
		switch (c) {
		case '"':
			put(w, "\\\"", 2);
			break;
		case '\\':
			put(w, "\\\\", 2);
			break;
		case '\n':
			put(w, "\\n", 2);
			break;
		case '\r':
			put(w, "\\r", 2);
			break;
		case '\t':
			put(w, "\\t", 2);
			break;
		case '\b':
			put(w, "\\b", 2);
			break;
		case '\f':
			put(w, "\\f", 2);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char esc[6] = {
					'\\', 'u',	   '0',
					'0',  hex[c >> 4], hex[c & 15]
				};
				put(w, esc, sizeof(esc));
			} else {
				put(w, (const char *)p, 1);
			}
		}
		p++;
	}
	put(w, "\"", 1);
}

void hvo_int_json_key(struct json_writer *w, const char *key)
{
	if (w->error)
		return;
	if (w->depth == 0 || w->kind[w->depth - 1] != 'o' || w->key_pending ||
	    key == NULL) {
		set_error(w, EINVAL);
		return;
	}
	if (w->has_member[w->depth - 1])
		put(w, ",", 1);
	w->has_member[w->depth - 1] = true;
	newline_indent(w);
	put_quoted(w, key, strlen(key));
	put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->key_pending = true;
}

void hvo_int_json_string_len(struct json_writer *w, const char *s, size_t len)
{
	if (!before_value(w))
		return;
	put_quoted(w, s, len);
	after_value(w);
}

void hvo_int_json_string(struct json_writer *w, const char *s)
{
	if (s == NULL) {
		hvo_int_json_null(w);
		return;
	}
	hvo_int_json_string_len(w, s, strlen(s));
}

void hvo_int_json_int(struct json_writer *w, int64_t v)
{
	char buf[32];
	if (!before_value(w))
		return;
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
	put(w, buf, (size_t)n);
	after_value(w);
}

void hvo_int_json_uint(struct json_writer *w, uint64_t v)
{
	char buf[32];
	if (!before_value(w))
		return;
	int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
	put(w, buf, (size_t)n);
	after_value(w);
}

void hvo_int_json_double(struct json_writer *w, double v, int decimals)
{
	char buf[64];
	if (!isfinite(v)) {
		hvo_int_json_null(w);
		return;
	}
	if (decimals < 0 || decimals > 17)
		decimals = 6;
	if (!before_value(w))
		return;
	int n = snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		set_error(w, EINVAL);
		return;
	}
	put(w, buf, (size_t)n);
	after_value(w);
}

void hvo_int_json_bool(struct json_writer *w, bool v)
{
	if (!before_value(w))
		return;
	puts_(w, v ? "true" : "false");
	after_value(w);
}

void hvo_int_json_null(struct json_writer *w)
{
	if (!before_value(w))
		return;
	puts_(w, "null");
	after_value(w);
}

void hvo_int_json_hex(struct json_writer *w, const uint8_t *d, size_t len)
{
	char *s = malloc(len * 2 + 1);
	if (s == NULL) {
		hvo_int_json_null(w);
		return;
	}
	for (size_t i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", d[i]);
	s[2 * len] = '\0';
	hvo_int_json_string(w, s);
	free(s);
}

void hvo_int_json_kv_strv(struct json_writer *w, const char *key,
			  const char *const *v, size_t n)
{
	hvo_int_json_key(w, key);
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < n; i++)
		hvo_int_json_string(w, v[i]);
	hvo_int_json_end_array(w);
}

void hvo_int_json_kv_string(struct json_writer *w, const char *key,
			    const char *s)
{
	hvo_int_json_key(w, key);
	hvo_int_json_string(w, s);
}

void hvo_int_json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	hvo_int_json_key(w, key);
	hvo_int_json_int(w, v);
}

void hvo_int_json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
	hvo_int_json_key(w, key);
	hvo_int_json_uint(w, v);
}

void hvo_int_json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	hvo_int_json_key(w, key);
	hvo_int_json_bool(w, v);
}

int hvo_int_json_finish(struct json_writer *w)
{
	if (!w->error && (!w->done || w->depth != 0))
		set_error(w, EINVAL);
	if (!w->error)
		put(w, "\n", 1);
	if (!w->error && fflush(w->out) != 0)
		set_error(w, errno ? errno : EIO);
	return w->error;
}

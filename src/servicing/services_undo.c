/*
 * services_undo.c - the undo line format (see services_undo.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/services_undo.h"

static int grow(struct svc_undo *u)
{
	if (u->n >= SVC_UNDO_MAX_OPS)
		return -1;
	struct svc_undo_op *v = realloc(u->ops, (u->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	u->ops = v;
	memset(&u->ops[u->n], 0, sizeof(u->ops[u->n]));
	return 0;
}

int svc_undo_add_value(struct svc_undo *u, const char *hive, const char *key,
		       const char *name, bool existed, uint32_t type,
		       const void *data, size_t len)
{
	if (grow(u) != 0)
		return -1;
	struct svc_undo_op *o = &u->ops[u->n];
	o->kind = SVC_UNDO_VALUE;
	snprintf(o->hive, sizeof(o->hive), "%s", hive);
	o->key = strdup(key);
	o->name = strdup(name ? name : "");
	o->existed = existed;
	o->type = type;
	o->len = existed ? len : 0;
	o->data = malloc(o->len ? o->len : 1);
	if (o->key == NULL || o->name == NULL || o->data == NULL) {
		free(o->key);
		free(o->name);
		free(o->data);
		return -1;
	}
	if (o->len)
		memcpy(o->data, data, o->len);
	u->n++;
	return 0;
}

int svc_undo_add_hive(struct svc_undo *u, const char *hive, const char *saved)
{
	if (grow(u) != 0)
		return -1;
	struct svc_undo_op *o = &u->ops[u->n];
	o->kind = SVC_UNDO_HIVE;
	snprintf(o->hive, sizeof(o->hive), "%s", hive);
	if ((o->saved = strdup(saved)) == NULL)
		return -1;
	u->n++;
	return 0;
}

int svc_undo_add_after(struct svc_undo *u, const char *hive,
		       const uint8_t sha256[32])
{
	if (grow(u) != 0)
		return -1;
	struct svc_undo_op *o = &u->ops[u->n];
	o->kind = SVC_UNDO_AFTER;
	snprintf(o->hive, sizeof(o->hive), "%s", hive);
	memcpy(o->sha256, sha256, 32);
	o->has_sha256 = true;
	u->n++;
	return 0;
}

int svc_undo_add_file(struct svc_undo *u, const char *path, const char *saved,
		      const uint8_t *sha256)
{
	if (grow(u) != 0)
		return -1;
	struct svc_undo_op *o = &u->ops[u->n];
	o->kind = SVC_UNDO_FILE;
	o->path = strdup(path);
	o->saved = saved ? strdup(saved) : NULL;
	if (o->path == NULL || (saved != NULL && o->saved == NULL)) {
		free(o->path);
		free(o->saved);
		return -1;
	}
	if (sha256 != NULL) {
		memcpy(o->sha256, sha256, 32);
		o->has_sha256 = true;
	}
	u->n++;
	return 0;
}

int svc_undo_add_dir(struct svc_undo *u, const char *path)
{
	if (grow(u) != 0)
		return -1;
	struct svc_undo_op *o = &u->ops[u->n];
	o->kind = SVC_UNDO_DIR;
	if ((o->path = strdup(path)) == NULL)
		return -1;
	u->n++;
	return 0;
}

/* Whether @r (@len bytes) is a rule name: a-z and '-', not empty. */
static bool rule_ok(const char *r, size_t len)
{
	if (len == 0 || len >= SVC_UNDO_RULE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((r[i] < 'a' || r[i] > 'z') && r[i] != '-')
			return false;
	return true;
}

int svc_undo_add_sd(struct svc_undo *u, const char *path, const char *rule,
		    bool is_dir, const void *data, size_t len)
{
	if (!rule_ok(rule, strlen(rule)) || grow(u) != 0)
		return -1;
	struct svc_undo_op *o = &u->ops[u->n];
	o->kind = SVC_UNDO_SD;
	snprintf(o->rule, sizeof(o->rule), "%s", rule);
	o->is_dir = is_dir;
	o->path = strdup(path);
	o->len = len;
	o->data = malloc(len ? len : 1);
	if (o->path == NULL || o->data == NULL) {
		free(o->path);
		free(o->data);
		return -1;
	}
	if (len)
		memcpy(o->data, data, len);
	u->n++;
	return 0;
}

static void put_hex(FILE *m, const void *p, size_t len)
{
	const uint8_t *b = p;
	fputc('x', m);
	for (size_t i = 0; i < len; i++)
		fprintf(m, "%02x", b[i]);
}

char *svc_undo_format(const struct svc_undo *u)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m == NULL)
		return NULL;
	fprintf(m, "%s\ncommand %s\ntime %s\n", SVC_UNDO_MAGIC, u->command,
		u->time);
	for (size_t i = 0; i < u->n; i++) {
		const struct svc_undo_op *o = &u->ops[i];
		if (o->kind == SVC_UNDO_FILE || o->kind == SVC_UNDO_DIR) {
			fputs(o->kind == SVC_UNDO_FILE ? "file " : "dir ", m);
			put_hex(m, o->path, strlen(o->path));
			if (o->kind == SVC_UNDO_FILE) {
				fputc(' ', m);
				put_hex(m, o->saved ? o->saved : "",
					o->saved ? strlen(o->saved) : 0);
				fputc(' ', m);
				if (!o->has_sha256)
					fputc('-', m);
				for (int k = 0; o->has_sha256 && k < 32; k++)
					fprintf(m, "%02x", o->sha256[k]);
			}
			fputc('\n', m);
			continue;
		}
		if (o->kind == SVC_UNDO_SD) {
			fputs("sd ", m);
			put_hex(m, o->path, strlen(o->path));
			fprintf(m, " %s %s ", o->rule,
				o->is_dir ? "dir" : "file");
			put_hex(m, o->data, o->len);
			fputc('\n', m);
			continue;
		}
		if (o->kind == SVC_UNDO_AFTER) {
			fprintf(m, "after %s ", o->hive);
			for (int k = 0; k < 32; k++)
				fprintf(m, "%02x", o->sha256[k]);
			fputc('\n', m);
			continue;
		}
		if (o->kind == SVC_UNDO_HIVE) {
			fprintf(m, "hive %s ", o->hive);
			put_hex(m, o->saved, strlen(o->saved));
			fputc('\n', m);
			continue;
		}
		fprintf(m, "value %s ", o->hive);
		put_hex(m, o->key, strlen(o->key));
		fputc(' ', m);
		put_hex(m, o->name, strlen(o->name));
		if (!o->existed) {
			fputs(" absent\n", m);
			continue;
		}
		fprintf(m, " %u ", o->type);
		put_hex(m, o->data, o->len);
		fputc('\n', m);
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A hex field "x..." -> bytes (NUL appended); -1 if malformed. */
static int get_hex(const char *f, size_t flen, uint8_t **out, size_t *len)
{
	if (flen < 1 || f[0] != 'x' || (flen - 1) % 2 != 0)
		return -1;
	size_t n = (flen - 1) / 2;
	uint8_t *b = malloc(n + 1);
	if (b == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = f[1 + 2 * i + (size_t)k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else {
				free(b);
				return -1;
			}
		}
		b[i] = (uint8_t)v;
	}
	b[n] = 0;
	*out = b;
	*len = n;
	return 0;
}

/* A hex field that must be a string without NULs. */
static int get_str(const char *f, size_t flen, char **out)
{
	uint8_t *b;
	size_t n;
	if (get_hex(f, flen, &b, &n) != 0)
		return -1;
	if (memchr(b, 0, n) != NULL) {
		free(b);
		return -1;
	}
	*out = (char *)b;
	return 0;
}

#define MAX_FIELDS 6

/* Splits a line into at most MAX_FIELDS space-separated fields. */
static size_t split(const char *line, size_t len, const char **f, size_t *fl)
{
	size_t n = 0, i = 0;
	while (i <= len && n < MAX_FIELDS + 1) {
		size_t s = i;
		while (i < len && line[i] != ' ')
			i++;
		f[n] = line + s;
		fl[n] = i - s;
		n++;
		i++;
	}
	return n;
}

static bool field_is(const char *f, size_t fl, const char *s)
{
	return fl == strlen(s) && memcmp(f, s, fl) == 0;
}

static bool hive_name_ok(const char *f, size_t fl)
{
	return field_is(f, fl, "SYSTEM") || field_is(f, fl, "SOFTWARE") ||
	       field_is(f, fl, "DEFAULT");
}

/* "sd x<path> <rule> <file|dir> x<data>" (fields @f) into @o; false,
 * with nothing left allocated, when malformed. */
static bool parse_sd(struct svc_undo_op *o, const char *const *f,
		     const size_t *fl)
{
	o->kind = SVC_UNDO_SD;
	o->hive[0] = '\0';
	o->is_dir = field_is(f[3], fl[3], "dir");
	if (!rule_ok(f[2], fl[2]) ||
	    (!o->is_dir && !field_is(f[3], fl[3], "file")))
		return false;
	memcpy(o->rule, f[2], fl[2]);
	o->rule[fl[2]] = '\0';
	if (get_str(f[1], fl[1], &o->path) != 0)
		return false;
	if (o->path[0] != '\0' && get_hex(f[4], fl[4], &o->data, &o->len) == 0)
		return true;
	free(o->path);
	o->path = NULL;
	return false;
}

/* Records "line @lineno: @what" as the corrupt-input error on @err. */
static enum svc_err bad_line(struct svc_error *err, unsigned lineno,
			     const char *what)
{
	return svc_int_fail(err, SVC_ERR_CORRUPT, "line %u: %s", lineno, what);
}

enum svc_err svc_undo_parse(const uint8_t *buf, size_t len, struct svc_undo *u,
			    struct svc_error *err)
{
	memset(u, 0, sizeof(*u));
	if (len > SVC_UNDO_MAX_BYTES) {
		return svc_int_fail(err, SVC_ERR_CORRUPT,
				    "larger than %u bytes", SVC_UNDO_MAX_BYTES);
	}
	const char *p = (const char *)buf, *end = p + len;
	unsigned lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			bad_line(err, lineno + 1, "no line end");
			goto bad;
		}
		size_t ll = (size_t)(nl - p);
		const char *line = p;
		p = nl + 1;
		lineno++;
		if (memchr(line, '\0', ll) != NULL) {
			bad_line(err, lineno, "NUL byte");
			goto bad;
		}
		const char *f[MAX_FIELDS + 1];
		size_t fl[MAX_FIELDS + 1];
		size_t nf = split(line, ll, f, fl);
		if (lineno == 1) {
			if (!field_is(line, ll, SVC_UNDO_MAGIC)) {
				bad_line(err, 1, "not an hvoffline undo file");
				goto bad;
			}
			continue;
		}
		if (lineno == 2 || lineno == 3) {
			const char *want = lineno == 2 ? "command" : "time";
			char *dst = lineno == 2 ? u->command : u->time;
			size_t cap = lineno == 2 ? sizeof(u->command)
						 : sizeof(u->time);
			if (nf != 2 || !field_is(f[0], fl[0], want) ||
			    fl[1] == 0 || fl[1] >= cap) {
				svc_int_fail(err, SVC_ERR_CORRUPT,
					     "line %u: expected %s", lineno,
					     want);
				goto bad;
			}
			memcpy(dst, f[1], fl[1]);
			dst[fl[1]] = '\0';
			continue;
		}
		if (grow(u) != 0) {
			bad_line(err, lineno, "too many operations");
			goto bad;
		}
		struct svc_undo_op *o = &u->ops[u->n];
		if (nf >= 2 && hive_name_ok(f[1], fl[1])) {
			memcpy(o->hive, f[1], fl[1]);
			o->hive[fl[1]] = '\0';
		}
		if (nf == 3 && field_is(f[0], fl[0], "hive") && o->hive[0]) {
			o->kind = SVC_UNDO_HIVE;
			if (get_str(f[2], fl[2], &o->saved) != 0 ||
			    o->saved[0] == '\0') {
				free(o->saved);
				bad_line(err, lineno, "bad hive line");
				goto bad;
			}
			u->n++;
			continue;
		}
		if ((nf == 2 && field_is(f[0], fl[0], "dir")) ||
		    (nf == 4 && field_is(f[0], fl[0], "file"))) {
			o->kind = nf == 2 ? SVC_UNDO_DIR : SVC_UNDO_FILE;
			o->hive[0] = '\0';
			bool ok = get_str(f[1], fl[1], &o->path) == 0 &&
				  o->path[0] != '\0';
			if (ok && nf == 4) {
				ok = get_str(f[2], fl[2], &o->saved) == 0;
				if (ok && o->saved[0] == '\0') {
					free(o->saved);
					o->saved = NULL;
				}
				if (ok && !field_is(f[3], fl[3], "-")) {
					char hx[66] = "x";
					uint8_t *b = NULL;
					size_t bl;
					ok = fl[3] == 64;
					if (ok)
						memcpy(hx + 1, f[3], 64);
					ok = ok &&
					     get_hex(hx, 65, &b, &bl) == 0;
					if (ok)
						memcpy(o->sha256, b, 32);
					o->has_sha256 = ok;
					free(b);
				}
			}
			if (!ok) {
				free(o->path);
				free(o->saved);
				bad_line(err, lineno,
					 nf == 2 ? "bad dir line"
						 : "bad file line");
				goto bad;
			}
			u->n++;
			continue;
		}
		if (nf == 5 && field_is(f[0], fl[0], "sd")) {
			if (!parse_sd(o, f, fl)) {
				bad_line(err, lineno, "bad sd line");
				goto bad;
			}
			u->n++;
			continue;
		}
		if (nf == 3 && field_is(f[0], fl[0], "after") && o->hive[0] &&
		    fl[2] == 64) {
			char hx[66] = "x";
			memcpy(hx + 1, f[2], 64);
			uint8_t *b;
			size_t bl;
			if (get_hex(hx, 65, &b, &bl) != 0) {
				bad_line(err, lineno, "bad after line");
				goto bad;
			}
			o->kind = SVC_UNDO_AFTER;
			o->has_sha256 = true;
			memcpy(o->sha256, b, 32);
			free(b);
			u->n++;
			continue;
		}
		if ((nf == 5 || nf == 6) && field_is(f[0], fl[0], "value") &&
		    o->hive[0]) {
			o->kind = SVC_UNDO_VALUE;
			bool ok = get_str(f[2], fl[2], &o->key) == 0;
			ok = ok && get_str(f[3], fl[3], &o->name) == 0;
			if (ok && nf == 5) {
				ok = field_is(f[4], fl[4], "absent");
				o->data = calloc(1, 1);
				ok = ok && o->data != NULL;
			} else if (ok) {
				char num[12];
				char *e;
				ok = fl[4] > 0 && fl[4] < sizeof(num);
				if (ok) {
					memcpy(num, f[4], fl[4]);
					num[fl[4]] = '\0';
					unsigned long t = strtoul(num, &e, 10);
					ok = *e == '\0' && num[0] != '-' &&
					     t <= 0xffffffffUL;
					o->type = (uint32_t)t;
				}
				o->existed = true;
				ok = ok && get_hex(f[5], fl[5], &o->data,
						   &o->len) == 0;
			}
			if (!ok) {
				free(o->key);
				free(o->name);
				free(o->data);
				bad_line(err, lineno, "bad value line");
				goto bad;
			}
			u->n++;
			continue;
		}
		bad_line(err, lineno, "unknown line");
		goto bad;
	}
	if (lineno < 3) {
		svc_int_fail(err, SVC_ERR_CORRUPT, "truncated header");
		goto bad;
	}
	return SVC_OK;
bad:
	svc_undo_free(u);
	return SVC_ERR_CORRUPT;
}

void svc_undo_free(struct svc_undo *u)
{
	for (size_t i = 0; u->ops != NULL && i < u->n; i++) {
		free(u->ops[i].key);
		free(u->ops[i].name);
		free(u->ops[i].data);
		free(u->ops[i].saved);
		free(u->ops[i].path);
	}
	free(u->ops);
	memset(u, 0, sizeof(*u));
}

/*
 * services_wire.c - the managing commands' results as bytes and back
 * (see services_wire.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "servicing/services_wire.h"

/* Bounds on what a child may send: more integration services, records
 * or values than any guest has, and strings longer than any path or
 * sentence we write.  The whole result is bounded too (services_child.c). */
#define WIRE_MAX_ITEMS	(1u << 16)
#define WIRE_MAX_STRING (1u << 16)
/* A registry value: hives cap a big-data value at about 1 GiB; what a
 * child sends is bounded by its whole result first. */
#define WIRE_MAX_VALUE (64u << 20)

/* ---- writing (the child) ---- */

void svc_int_mw_put(struct svc_mwire *w, const void *p, size_t n)
{
	if (w->f == NULL && !w->failed &&
	    (w->f = open_memstream(&w->buf, &w->len)) == NULL)
		w->failed = true;
	if (!w->failed && n > 0 && fwrite(p, 1, n, w->f) != n)
		w->failed = true;
}

void svc_int_mw_u(struct svc_mwire *w, uint64_t v)
{
	svc_int_mw_put(w, &v, sizeof(v));
}

void svc_int_mw_s(struct svc_mwire *w, const char *s)
{
	svc_int_mw_u(w, s ? strlen(s) + 1 : 0);
	if (s != NULL)
		svc_int_mw_put(w, s, strlen(s));
}

void svc_int_mw_bytes(struct svc_mwire *w, const void *p, size_t n)
{
	svc_int_mw_u(w, n);
	svc_int_mw_put(w, p, n);
}

int svc_int_mw_close(struct svc_mwire *w)
{
	svc_int_mw_put(w, "", 0); /* opens an empty stream */
	if (w->f != NULL && fclose(w->f) != 0)
		w->failed = true;
	w->f = NULL;
	return w->failed ? -1 : 0;
}

/* ---- reading (the parent) ---- */

static const void *take(struct svc_mread *r, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	const void *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint64_t svc_int_mr_u(struct svc_mread *r)
{
	uint64_t v = 0;
	const void *p = take(r, sizeof(v));
	if (p != NULL)
		memcpy(&v, p, sizeof(v));
	return v;
}

uint64_t svc_int_mr_max(struct svc_mread *r, uint64_t max)
{
	uint64_t v = svc_int_mr_u(r);
	if (v > max) {
		r->bad = true;
		return 0;
	}
	return v;
}

char *svc_int_mr_s(struct svc_mread *r, size_t max)
{
	uint64_t n = svc_int_mr_max(r, (uint64_t)max + 1);
	if (n == 0)
		return NULL;
	const char *p = take(r, (size_t)n - 1);
	char *s = p ? malloc((size_t)n) : NULL;
	if (s == NULL) {
		r->bad = true;
		return NULL;
	}
	memcpy(s, p, (size_t)n - 1);
	s[n - 1] = '\0';
	return s;
}

void svc_int_mr_buf(struct svc_mread *r, char *buf, size_t size)
{
	char *s = svc_int_mr_s(r, WIRE_MAX_STRING);
	snprintf(buf, size, "%s", s ? s : "");
	free(s);
}

uint8_t *svc_int_mr_bytes(struct svc_mread *r, size_t max, size_t *len_ret)
{
	*len_ret = 0;
	size_t n = (size_t)svc_int_mr_max(r, max);
	const void *p = take(r, n);
	uint8_t *b = p ? malloc(n + 1) : NULL;
	if (b == NULL) {
		r->bad = true;
		return NULL;
	}
	memcpy(b, p, n);
	b[n] = 0;
	*len_ret = n;
	return b;
}

/* An error: its code and message. */
static void mw_error(struct svc_mwire *w, const struct svc_error *e)
{
	svc_int_mw_u(w, e->code);
	svc_int_mw_s(w, e->msg);
}

static void mr_error(struct svc_mread *r, struct svc_error *e)
{
	e->code = (enum svc_err)svc_int_mr_max(r, 255);
	e->msg = svc_int_mr_s(r, WIRE_MAX_STRING);
}

/* The exit class, bounded to the documented codes. */
static enum hvo_exit mr_exit(struct svc_mread *r)
{
	return (enum hvo_exit)svc_int_mr_max(r, HVO_EXIT_WARNING);
}

/* 1 + the index of @s in @table; 0 for NULL or none. */
static uint64_t str_index(const char *const *table, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(table[i], s) == 0)
			return i + 1;
	return 0;
}

static const char *mr_index(struct svc_mread *r, const char *const *table,
			    size_t n)
{
	uint64_t k = svc_int_mr_max(r, n);
	return k ? table[k - 1] : NULL;
}

/* ---- services ---- */

/* services_set.c's reasons, sent by index. */
static const char *const whys[] = {
	"already disabled", "disabled",	       "already enabled",
	"record",	    "package default",
};
#define NWHYS (sizeof(whys) / sizeof(whys[0]))

void svc_int_mw_services(struct svc_mwire *w,
			 const struct svc_services_result *res)
{
	svc_int_mw_u(w, res->exit);
	mw_error(w, &res->error);
	const struct svc_ic_list *l = &res->list;
	svc_int_mw_u(w, l->v != NULL);
	svc_int_mw_u(w, l->control_set);
	svc_int_mw_u(w, l->n);
	for (size_t i = 0; l->v != NULL && i < l->n; i++) {
		const struct svc_ic_service *s = &l->v[i];
		svc_int_mw_s(w, s->name);
		svc_int_mw_s(w, s->hyperv_name);
		svc_int_mw_s(w, s->display_raw);
		svc_int_mw_s(w, s->display_name);
		svc_int_mw_s(w, s->binary);
		svc_int_mw_s(w, s->binary_path);
		uint64_t bits = (uint64_t)s->driver |
				(uint64_t)s->display_unresolved << 1 |
				(uint64_t)s->start_known << 2 |
				(uint64_t)s->delayed_auto << 3 |
				(uint64_t)s->trigger << 4 |
				(uint64_t)s->binary_checked << 5 |
				(uint64_t)s->binary_present << 6;
		svc_int_mw_u(w, bits);
		svc_int_mw_u(w, s->type);
		svc_int_mw_u(w, s->start);
		svc_int_mw_u(w, s->package_start);
	}
	svc_int_mw_u(w, res->n);
	for (size_t i = 0; i < res->n; i++) {
		const struct svc_service_change *c = &res->v[i];
		svc_int_mw_s(w, c->service);
		svc_int_mw_s(w, c->hyperv_name);
		svc_int_mw_u(w, (uint64_t)c->enable |
					(uint64_t)c->prev_known << 1 |
					(uint64_t)c->changed << 2);
		svc_int_mw_u(w, c->prev_start);
		svc_int_mw_u(w, c->start);
		svc_int_mw_u(w, str_index(whys, NWHYS, c->why));
	}
	svc_int_mw_u(w, res->nchanged);
	svc_int_mw_u(w, res->hive_recovered);
	svc_int_mw_s(w, res->record);
}

void svc_int_mr_services(struct svc_mread *r, struct svc_services_result *res)
{
	res->exit = mr_exit(r);
	mr_error(r, &res->error);
	struct svc_ic_list *l = &res->list;
	bool have = svc_int_mr_max(r, 1) != 0;
	l->control_set = (unsigned)svc_int_mr_max(r, 999);
	size_t n = (size_t)svc_int_mr_max(r, WIRE_MAX_ITEMS);
	if (have && !r->bad) {
		l->v = calloc(n ? n : 1, sizeof(*l->v));
		if (l->v == NULL)
			r->bad = true;
	}
	for (size_t i = 0; l->v != NULL && i < n && !r->bad; i++) {
		struct svc_ic_service *s = &l->v[i];
		l->n = i + 1;
		s->name = svc_int_mr_s(r, WIRE_MAX_STRING);
		char *hv = svc_int_mr_s(r, WIRE_MAX_STRING);
		s->hyperv_name = svc_int_hyperv_name(hv);
		if (hv != NULL && s->hyperv_name == NULL)
			r->bad = true; /* not one of ours */
		free(hv);
		s->display_raw = svc_int_mr_s(r, WIRE_MAX_STRING);
		s->display_name = svc_int_mr_s(r, WIRE_MAX_STRING);
		s->binary = svc_int_mr_s(r, WIRE_MAX_STRING);
		s->binary_path = svc_int_mr_s(r, WIRE_MAX_STRING);
		uint64_t bits = svc_int_mr_max(r, 127);
		s->driver = bits & 1;
		s->display_unresolved = bits >> 1 & 1;
		s->start_known = bits >> 2 & 1;
		s->delayed_auto = bits >> 3 & 1;
		s->trigger = bits >> 4 & 1;
		s->binary_checked = bits >> 5 & 1;
		s->binary_present = bits >> 6 & 1;
		s->type = (uint32_t)svc_int_mr_max(r, UINT32_MAX);
		s->start = (uint32_t)svc_int_mr_max(r, UINT32_MAX);
		s->package_start = (uint32_t)svc_int_mr_max(r, UINT32_MAX);
		if (s->name == NULL)
			r->bad = true;
	}
	n = (size_t)svc_int_mr_max(r, WIRE_MAX_ITEMS);
	if (!r->bad && n > 0 && (res->v = calloc(n, sizeof(*res->v))) == NULL)
		r->bad = true;
	for (size_t i = 0; res->v != NULL && i < n && !r->bad; i++) {
		struct svc_service_change *c = &res->v[i];
		res->n = i + 1;
		c->service = svc_int_mr_s(r, WIRE_MAX_STRING);
		char *hv = svc_int_mr_s(r, WIRE_MAX_STRING);
		c->hyperv_name = svc_int_hyperv_name(hv);
		if (hv != NULL && c->hyperv_name == NULL)
			r->bad = true;
		free(hv);
		uint64_t bits = svc_int_mr_max(r, 7);
		c->enable = bits & 1;
		c->prev_known = bits >> 1 & 1;
		c->changed = bits >> 2 & 1;
		c->prev_start = (uint32_t)svc_int_mr_max(r, UINT32_MAX);
		c->start = (uint32_t)svc_int_mr_max(r, UINT32_MAX);
		c->why = mr_index(r, whys, NWHYS);
		if (c->service == NULL)
			r->bad = true;
	}
	res->nchanged = (size_t)svc_int_mr_max(r, res->n);
	res->hive_recovered = svc_int_mr_max(r, 1) != 0;
	res->record = svc_int_mr_s(r, WIRE_MAX_STRING);
}

/* ---- rollback ---- */

void svc_int_mw_rollback(struct svc_mwire *w,
			 const struct svc_rollback_result *res)
{
	svc_int_mw_u(w, res->exit);
	mw_error(w, &res->error);
	svc_int_mw_u(w, res->n);
	for (size_t i = 0; i < res->n; i++) {
		const struct svc_rollback_item *it = &res->v[i];
		svc_int_mw_s(w, it->undo);
		svc_int_mw_s(w, it->command);
		svc_int_mw_s(w, it->time);
		svc_int_mw_u(w, it->nops);
		svc_int_mw_u(w, it->undone);
	}
	svc_int_mw_names(w, res->changed, res->nchanged);
	const size_t counts[] = { res->values_restored, res->hives_restored,
				  res->files_restored, res->files_removed,
				  res->dirs_removed };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		svc_int_mw_u(w, counts[i]);
	svc_int_mw_s(w, res->record);
}

void svc_int_mr_rollback(struct svc_mread *r, struct svc_rollback_result *res)
{
	res->exit = mr_exit(r);
	mr_error(r, &res->error);
	size_t n = (size_t)svc_int_mr_max(r, WIRE_MAX_ITEMS);
	if (!r->bad && n > 0 && (res->v = calloc(n, sizeof(*res->v))) == NULL)
		r->bad = true;
	for (size_t i = 0; res->v != NULL && i < n && !r->bad; i++) {
		struct svc_rollback_item *it = &res->v[i];
		res->n = i + 1;
		it->undo = svc_int_mr_s(r, WIRE_MAX_STRING);
		svc_int_mr_buf(r, it->command, sizeof(it->command));
		svc_int_mr_buf(r, it->time, sizeof(it->time));
		it->nops = (size_t)svc_int_mr_max(r, SIZE_MAX);
		it->undone = svc_int_mr_max(r, 1) != 0;
	}
	svc_int_mr_names(r, &res->changed, &res->nchanged);
	size_t *counts[] = { &res->values_restored, &res->hives_restored,
			     &res->files_restored, &res->files_removed,
			     &res->dirs_removed };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		*counts[i] = (size_t)svc_int_mr_max(r, SIZE_MAX);
	res->record = svc_int_mr_s(r, WIRE_MAX_STRING);
}

/* ---- registry values and names ---- */

void svc_int_mw_values(struct svc_mwire *w, const struct reg_value *v, size_t n)
{
	svc_int_mw_u(w, n);
	for (size_t i = 0; i < n; i++) {
		svc_int_mw_s(w, v[i].name);
		svc_int_mw_u(w, v[i].type);
		svc_int_mw_bytes(w, v[i].data, v[i].len);
	}
}

void svc_int_mr_values(struct svc_mread *r, struct reg_value **v_ret,
		       size_t *n_ret)
{
	*v_ret = NULL;
	*n_ret = 0;
	size_t n = (size_t)svc_int_mr_max(r, WIRE_MAX_ITEMS);
	struct reg_value *v = r->bad ? NULL : calloc(n ? n : 1, sizeof(*v));
	if (v == NULL) {
		r->bad = true;
		return;
	}
	*v_ret = v;
	for (size_t i = 0; i < n && !r->bad; i++) {
		*n_ret = i + 1;
		v[i].name = svc_int_mr_s(r, WIRE_MAX_STRING);
		v[i].type = (uint32_t)svc_int_mr_max(r, UINT32_MAX);
		v[i].data = svc_int_mr_bytes(r, WIRE_MAX_VALUE, &v[i].len);
		if (v[i].name == NULL)
			r->bad = true;
	}
}

void svc_int_mw_names(struct svc_mwire *w, char *const *v, size_t n)
{
	svc_int_mw_u(w, n);
	for (size_t i = 0; i < n; i++)
		svc_int_mw_s(w, v[i]);
}

void svc_int_mr_names(struct svc_mread *r, char ***v_ret, size_t *n_ret)
{
	*v_ret = NULL;
	*n_ret = 0;
	size_t n = (size_t)svc_int_mr_max(r, WIRE_MAX_ITEMS);
	if (r->bad || n == 0)
		return;
	char **v = calloc(n, sizeof(*v));
	if (v == NULL) {
		r->bad = true;
		return;
	}
	*v_ret = v;
	for (size_t i = 0; i < n && !r->bad; i++) {
		*n_ret = i + 1;
		if ((v[i] = svc_int_mr_s(r, WIRE_MAX_STRING)) == NULL)
			r->bad = true;
	}
}

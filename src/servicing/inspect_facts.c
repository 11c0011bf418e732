/*
 * inspect_facts.c - the facts of a guest as data: initialised, freed, and
 * looked up (see inspect.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/package.h"
#include "servicing/inspect_int.h"
#include "util/bytes.h"

void svc_facts_init(struct svc_facts *f, const char *image)
{
	memset(f, 0, sizeof(*f));
	f->image = strdup(image ? image : "");
	f->esp_partnum = -1;
	f->verdict = HVO_EXIT_OK;
}

char **svc_int_facts_text(struct svc_facts *f, size_t i)
{
	char **t[] = { /* the pre-flight's (SVC_INT_PREFLIGHT_TEXTS) */
		       &f->image, &f->preflight_error, &f->parent, &f->child,
		       &f->in_use_by,
		       /* the disk's */
		       &f->disk_error, &f->ptable_problem, &f->systemroot_value,
		       &f->product_name, &f->arch_problem, &f->vmbus_problem,
		       &f->software.problem, &f->system.problem
	};
	size_t n = sizeof(t) / sizeof(t[0]);
	/* then the pending report's (the disk's too) */
	return i < n ? t[i] : svc_int_pending_text(&f->pending, i - n);
}

char **svc_int_volume_text(struct svc_volume_facts *v, size_t i)
{
	char **t[] = { &v->ntfs_problem, &v->mount_error };
	return i < sizeof(t) / sizeof(t[0]) ? t[i] : NULL;
}

char **svc_int_problem_text(struct svc_problem *p, size_t i)
{
	char **t[] = { &p->code, &p->message };
	return i < sizeof(t) / sizeof(t[0]) ? t[i] : NULL;
}

char **svc_int_package_text(struct svc_installed_package *p, size_t i)
{
	char **t[] = { &p->name, &p->token, &p->arch, &p->language,
		       &p->version };
	return i < sizeof(t) / sizeof(t[0]) ? t[i] : NULL;
}

char **svc_int_pending_text(struct svc_pending *p, size_t i)
{
	char **t[] = { &p->firstboot.last,
		       &p->firstboot.script_path,
		       &p->firstboot.log_path,
		       &p->record,
		       &p->package,
		       &p->version };
	size_t n = sizeof(t) / sizeof(t[0]);
	if (i < n)
		return t[i];
	i -= n;
	if (i < 2 * SVC_PENDING_MAX_STAGED)
		return i % 2 ? &p->staged[i / 2].version : &p->staged[i / 2].id;
	i -= 2 * SVC_PENDING_MAX_STAGED;
	return i < SVC_PENDING_MAX_NOTES ? &p->notes[i] : NULL;
}

void svc_int_pending_free(struct svc_pending *p)
{
	char **t;
	for (size_t i = 0; (t = svc_int_pending_text(p, i)) != NULL; i++)
		free(*t);
	memset(p, 0, sizeof(*p));
}

bool svc_int_firstboot_ran(const struct svc_firstboot_state *st)
{
	return st->log;
}

/* Frees every text that @text lists of the @n items of @size bytes at
 * @items. */
static void free_item_texts(void *items, size_t n, size_t size,
			    char **(*text)(void *item, size_t i))
{
	for (size_t k = 0; items != NULL && k < n; k++) {
		char **t;
		for (size_t i = 0; (t = text((char *)items + k * size, i));
		     i++) {
			free(*t);
			*t = NULL;
		}
	}
}

static char **volume_text(void *v, size_t i)
{
	return svc_int_volume_text(v, i);
}

static char **problem_text(void *p, size_t i)
{
	return svc_int_problem_text(p, i);
}

static char **package_text(void *p, size_t i)
{
	return svc_int_package_text(p, i);
}

void svc_int_package_free(struct svc_installed_package *p)
{
	free_item_texts(p, 1, sizeof(*p), package_text);
}

void svc_int_problems_clear(struct svc_facts *f)
{
	free_item_texts(f->problems, f->nproblems, sizeof(*f->problems),
			problem_text);
	f->nproblems = 0;
}

static void free_texts(struct svc_facts *f, size_t from)
{
	char **t;
	for (size_t i = from; (t = svc_int_facts_text(f, i)) != NULL; i++) {
		free(*t);
		*t = NULL;
	}
}

void svc_int_facts_free_disk(struct svc_facts *f)
{
	free_item_texts(f->volumes, f->nvolumes, sizeof(*f->volumes),
			volume_text);
	svc_int_problems_clear(f);
	free_item_texts(f->packages, f->npackages, sizeof(*f->packages),
			package_text);
	free(f->volumes);
	free(f->packages);
	free(f->linux_guest);
	free_texts(f, SVC_INT_PREFLIGHT_TEXTS);
	f->linux_guest = NULL;
	f->volumes = NULL;
	f->packages = NULL;
	f->nvolumes = f->npackages = 0;
}

void svc_facts_free(struct svc_facts *f)
{
	svc_int_facts_free_disk(f);
	free_texts(f, 0);
}

void svc_int_text(char **dst, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	free(*dst);
	*dst = r < 0 ? strdup("out of memory") : s;
}

void svc_int_set_text(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

struct guest_fs *svc_int_mount_ro(struct guest_disk *disk, size_t i,
				  struct svc_volume_facts *vf)
{
	vf->mount_tried = true;
	struct guest_fs *fs;
	if (guest_disk_mount(disk, i, true, &fs) != GUEST_OK) {
		svc_int_text(&vf->mount_error, "%s", guest_disk_errmsg(disk));
		return NULL;
	}
	vf->mounted = true;
	return fs;
}

const struct svc_installed_package *svc_facts_find_package(
	const struct svc_facts *f, const char *name, const char *arch)
{
	const struct svc_installed_package *best = NULL;
	for (size_t i = 0; i < f->npackages; i++) {
		const struct svc_installed_package *p = &f->packages[i];
		if (!guest_name_eq(p->name, name) ||
		    (arch != NULL && !guest_name_eq(p->arch, arch)))
			continue;
		if (best == NULL ||
		    pkg_version_cmp_str(p->version, best->version) > 0)
			best = p;
	}
	return best;
}

bool svc_facts_has_problem(const struct svc_facts *f, const char *code)
{
	for (size_t i = 0; i < f->nproblems; i++)
		if (strcmp(f->problems[i].code, code) == 0)
			return true;
	return false;
}

const char *svc_facts_status(const struct svc_facts *f)
{
	switch (f->verdict) {
	case HVO_EXIT_OK:
		return f->windows_found ? "ok" : "no-windows";
	case HVO_EXIT_REFUSED:
		return "unsafe";
	case HVO_EXIT_CORRUPT:
		return "corrupt";
	default:
		return "error";
	}
}

/* A problem found by a step of the inspection; the verdict is the
 * worst class. */
void svc_int_add_problem(struct svc_facts *f, const char *code,
			 enum hvo_exit exit, const char *fmt, ...)
{
	f->verdict = hvo_exit_max(f->verdict, exit);
	if (f->nproblems == SVC_MAX_PROBLEMS)
		return;
	struct svc_problem *p = &f->problems[f->nproblems++];
	svc_int_text(&p->code, "%s", code);
	p->exit = exit;
	va_list ap;
	va_start(ap, fmt);
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = strdup("out of memory");
	va_end(ap);
	free(p->message);
	p->message = msg;
}

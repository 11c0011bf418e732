/*
 * inspect_pending.c - what an earlier run left pending (see
 * inspect_pending.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "package/package.h"
#include "registry/reg.h"
#include "servicing/inspect.h"
#include "servicing/inspect_int.h"
#include "servicing/inspect_pending.h"
#include "servicing/services.h"
#include "servicing/services_guest.h"
#include "servicing/services_undo.h"
#include "util/bytes.h"

/* firstboot.log is a few lines; a hostile one is read no further. */
#define LOG_MAX (256u * 1024)

/* A text of the pending report: NULL (memory ran out, or a sandboxed
 * child sent none) is read as "". */
#define str(s) svc_int_text_or((s), "")

void svc_int_firstboot_state(struct guest_fs *fs, const char *systemroot,
			     struct svc_firstboot_state *st)
{
	memset(st, 0, sizeof(*st));
	svc_int_text(&st->script_path, "%s\\hvoffline\\firstboot.cmd",
		     systemroot);
	svc_int_text(&st->log_path, "%s\\Logs\\hvoffline\\firstboot.log",
		     systemroot);
	svc_int_text(&st->last, "%s", "");
	if (st->script_path == NULL || st->log_path == NULL)
		return;
	st->script = guest_fs_exists(fs, st->script_path);
	uint8_t *buf = NULL;
	size_t len = 0;
	if (guest_fs_read(fs, st->log_path, LOG_MAX, &buf, &len) != GUEST_OK)
		return;
	st->log = true;
	/* The last non-empty line; "done:" anywhere at a line start. */
	char *s = realloc(buf, len + 1), *last = NULL;
	if (s == NULL) {
		free(buf);
		return;
	}
	s[len] = '\0';
	for (char *line = strtok(s, "\r\n"); line != NULL;
	     line = strtok(NULL, "\r\n")) {
		if (strncmp(line, "done:", 5) == 0)
			st->done = true;
		if (*line != '\0')
			last = line;
	}
	if (last != NULL)
		svc_int_text(&st->last, "%s", last);
	free(s);
}

void svc_int_firstboot_state_free(struct svc_firstboot_state *st)
{
	free(st->last);
	free(st->script_path);
	free(st->log_path);
	memset(st, 0, sizeof(*st));
}

static void note(struct svc_pending *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct svc_pending *p, const char *fmt, ...)
{
	if (p->nnotes >= SVC_PENDING_MAX_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s;
	if (vasprintf(&s, fmt, ap) >= 0)
		p->notes[p->nnotes++] = s;
	va_end(ap);
}

/* Whether Windows has installed the package (its CBS state, or only a
 * .mum where the guest has no CBS key for it). */
static bool installed(const struct svc_facts *f, const struct pkg_installed *in)
{
	for (size_t i = 0; i < f->npackages; i++) {
		const struct svc_installed_package *q = &f->packages[i];
		if (strcasecmp(q->name, in->name) != 0 ||
		    strcasecmp(q->arch, in->arch) != 0 ||
		    pkg_version_cmp_str(q->version, in->version) < 0)
			continue;
		if (q->in_cbs ? q->cbs_state == 0x70 : q->in_servicing)
			return true;
	}
	return false;
}

static void read_staged(struct guest_fs *fs, const struct svc_facts *f,
			struct svc_pending *p)
{
	char dir[160];
	snprintf(dir, sizeof(dir), "%s\\hvoffline\\Packages", f->systemroot);
	char **names = NULL;
	size_t n = 0;
	if (guest_fs_list(fs, dir, &names, &n) != GUEST_OK)
		return;
	struct pkg_arena *arena = pkg_arena_new();
	for (size_t i = 0; arena && i < n; i++) {
		struct pkg_installed in;
		if (p->nstaged >= SVC_PENDING_MAX_STAGED ||
		    !pkg_installed_parse(arena, names[i], &in))
			continue;
		struct svc_staged_package *s = &p->staged[p->nstaged++];
		svc_int_text(&s->id, "%s", names[i]);
		svc_int_text(&s->version, "%s", in.version);
		s->installed = installed(f, &in);
		if (!s->installed)
			p->staged_pending++;
	}
	pkg_arena_free(arena);
	guest_names_free(names, n);
}

static void read_firstboot(struct guest_fs *fs, const struct svc_facts *f,
			   struct svc_pending *p)
{
	svc_int_firstboot_state(fs, f->systemroot, &p->firstboot);
	if (f->setup_type == 2 &&
	    strcasestr(f->setup_cmdline, "hvoffline\\firstboot.cmd") != NULL)
		snprintf(p->firstboot_hook, sizeof(p->firstboot_hook),
			 "setup-cmdline");
	else if (f->setupcomplete_ours)
		snprintf(p->firstboot_hook, sizeof(p->firstboot_hook),
			 "setupcomplete");
	p->firstboot_pending = p->firstboot.script &&
			       p->firstboot_hook[0] != '\0' &&
			       !p->firstboot.done;
	if (p->firstboot.script && p->firstboot_hook[0] == '\0')
		note(p, "%s is there but nothing runs it at boot",
		     str(p->firstboot.script_path));
}

/* The package an apply staged: the folder below hvoffline\Packages of
 * the files it wrote. */
static void apply_package(const struct svc_undo *u, struct svc_pending *p)
{
	static const char mark[] = "\\hvoffline\\Packages\\";
	for (size_t k = 0; k < u->n; k++) {
		const struct svc_undo_op *op = &u->ops[k];
		const char *s = op->kind == SVC_UNDO_FILE && op->path
					? strcasestr(op->path, mark)
					: NULL;
		if (s == NULL)
			continue;
		s += strlen(mark);
		size_t l = strcspn(s, "\\");
		if (l == 0 || s[l] != '\\')
			continue;
		svc_int_text(&p->package, "%.*s", (int)l, s);
		const char *v = strrchr(str(p->package), '~');
		svc_int_text(&p->version, "%s", v ? v + 1 : "");
		return;
	}
}

/* The service whose Start an undo value names, or NULL. */
static const char *start_of(const struct svc_undo_op *op)
{
	if (op->kind != SVC_UNDO_VALUE || strcasecmp(op->hive, "SYSTEM") ||
	    op->name == NULL || strcasecmp(op->name, "Start") != 0)
		return NULL;
	const char *s = strrchr(op->key, '\\');
	if (s == NULL || s - op->key < 9 ||
	    strncasecmp(s - 9, "\\Services", 9) != 0)
		return NULL;
	return s + 1;
}

/* The integration services against what the last apply left (see the
 * header).  @u[@a] is the newest apply, @u[@a+1 ..] the changes after. */
static void ic_state(struct guest_fs *fs, const struct svc_facts *f,
		     const char *hive_dir, struct svc_undo *u, size_t n,
		     size_t a, struct svc_pending *p)
{
	snprintf(p->ic_state, sizeof(p->ic_state), "unknown");
	/* The SYSTEM hive as the newest change touching it left it. */
	char sys[200];
	snprintf(sys, sizeof(sys), "%s\\System32\\config\\SYSTEM",
		 f->systemroot);
	const uint8_t *left = NULL;
	const struct svc_undo *by = NULL;
	for (size_t i = a; i < n; i++)
		for (size_t k = 0; k < u[i].n; k++) {
			const struct svc_undo_op *op = &u[i].ops[k];
			if ((op->kind == SVC_UNDO_AFTER &&
			     strcasecmp(op->hive, "SYSTEM") == 0) ||
			    (op->kind == SVC_UNDO_FILE && op->has_sha256 &&
			     strcasecmp(op->path, sys) == 0)) {
				left = op->sha256;
				by = &u[i];
			}
		}
	uint8_t sha[32];
	uint64_t size;
	if (left != NULL && (guest_fs_sha256(fs, sys, sha, &size) != GUEST_OK ||
			     memcmp(sha, left, 32) != 0)) {
		note(p, "%s was written since the %s of %s (Windows has run?)",
		     sys, by->command, by->time);
		return;
	}
	char host[1200];
	snprintf(host, sizeof(host), "%s/SYSTEM", hive_dir);
	struct reg_hive *h = NULL;
	struct svc_ic_list l = { 0 };
	if (reg_open(host, NULL, &h) != REG_OK ||
	    svc_ic_list_read(h, 0, f->systemroot, &l) != 0) {
		reg_close(h);
		return;
	}
	bool changed = false;
	for (size_t i = a + 1; i < n; i++)
		for (size_t k = 0; k < u[i].n; k++) {
			const struct svc_undo_op *op = &u[i].ops[k];
			if (op->kind == SVC_UNDO_HIVE &&
			    strcasecmp(op->hive, "SYSTEM") == 0) {
				changed = true;
				note(p,
				     "SYSTEM was edited whole by the %s of %s",
				     u[i].command, u[i].time);
				continue;
			}
			const char *name = start_of(op);
			struct svc_ic_service *s =
				name ? svc_ic_find(&l, name) : NULL;
			if (s == NULL)
				continue;
			/* The earliest change after the apply saw what the
			 * apply left. */
			bool earlier = false;
			for (size_t j = a + 1; j <= i && !earlier; j++)
				for (size_t m = 0; m < u[j].n; m++) {
					if (j == i && m == k)
						break;
					const char *o = start_of(&u[j].ops[m]);
					if (o && strcasecmp(o, name) == 0) {
						earlier = true;
						break;
					}
				}
			if (earlier)
				continue;
			uint32_t was = 0;
			bool had = op->existed && op->len == 4;
			if (had)
				memcpy(&was, op->data, 4);
			uint32_t now = s->start_known ? s->start : 0xffffffff;
			if (had && s->start_known && was == now)
				continue;
			changed = true;
			note(p, "%s: %s now, %s as apply left it (%s of %s)",
			     s->name, svc_start_name(now),
			     had ? svc_start_name(was) : "absent", u[i].command,
			     u[i].time);
		}
	snprintf(p->ic_state, sizeof(p->ic_state), "%s",
		 changed ? "changed" : "as-applied");
	svc_ic_list_free(&l);
	reg_close(h);
}

static void read_records(struct guest_fs *fs, const struct svc_facts *f,
			 const char *hive_dir, struct svc_pending *p)
{
	char **paths = NULL;
	size_t n = 0;
	if (svc_int_record_list(fs, f->systemroot, &paths, &n) != GUEST_OK ||
	    n == 0) {
		guest_names_free(paths, n);
		snprintf(p->ic_state, sizeof(p->ic_state), "unknown");
		return;
	}
	struct svc_undo *u = calloc(n, sizeof(*u));
	size_t got = 0;
	for (size_t i = 0; u != NULL && i < n; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		if (guest_fs_read(fs, paths[i], SVC_UNDO_MAX_BYTES, &buf,
				  &len) != GUEST_OK ||
		    svc_undo_parse(buf, len, &u[got], NULL) != SVC_OK) {
			note(p, "%s: unreadable record", paths[i]);
			free(buf);
			continue;
		}
		free(buf);
		svc_int_text(&p->record, "%s", paths[i]);
		got++;
	}
	p->records = got;
	if (got > 0) {
		const struct svc_undo *last = &u[got - 1];
		p->have_record = true;
		snprintf(p->record_command, sizeof(p->record_command), "%s",
			 last->command);
		snprintf(p->record_time, sizeof(p->record_time), "%s",
			 last->time);
		for (size_t k = 0; k < last->n; k++) {
			const struct svc_undo_op *op = &last->ops[k];
			if (op->kind == SVC_UNDO_FILE && op->saved)
				p->files_replaced++;
			else if (op->kind == SVC_UNDO_FILE)
				p->files_created++;
			else if (op->kind == SVC_UNDO_DIR)
				p->dirs_created++;
			else if (op->kind == SVC_UNDO_VALUE)
				p->values_changed++;
			else if (op->kind == SVC_UNDO_HIVE)
				p->hives_saved++;
		}
	}
	size_t a = got;
	for (size_t i = got; i-- > 0;)
		if (strcmp(u[i].command, "apply") == 0) {
			a = i;
			break;
		}
	if (a < got) {
		apply_package(&u[a], p);
		snprintf(p->apply_time, sizeof(p->apply_time), "%s", u[a].time);
		ic_state(fs, f, hive_dir, u, got, a, p);
	} else {
		snprintf(p->ic_state, sizeof(p->ic_state), "unknown");
	}
	for (size_t i = 0; i < got; i++)
		svc_undo_free(&u[i]);
	free(u);
	guest_names_free(paths, n);
}

void svc_int_read_pending(struct guest_fs *fs, struct svc_facts *f,
			  const char *hive_dir)
{
	struct svc_pending *p = &f->pending;
	svc_int_pending_free(p);
	p->read = true;
	read_staged(fs, f, p);
	read_firstboot(fs, f, p);
	read_records(fs, f, hive_dir, p);
	p->any = p->staged_pending > 0 || p->firstboot_pending;
}

/* Members of the JSON object @w has open, from tables: a string, or a
 * number when @s is NULL (@n), or a boolean when @s is NULL and @b. */
struct member {
	const char *key;
	const char *s;
	size_t n;
	bool is_bool;
};

static void members(struct json_writer *w, const struct member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].s != NULL)
			hvo_int_json_kv_string(w, m[i].key, m[i].s);
		else if (m[i].is_bool)
			hvo_int_json_kv_bool(w, m[i].key, m[i].n != 0);
		else
			hvo_int_json_kv_uint(w, m[i].key, m[i].n);
}

void svc_pending_json(const struct svc_pending *p, struct json_writer *w)
{
	const struct member top[] = {
		{ "any", NULL, p->any, true },
		{ "staged_not_installed", NULL, p->staged_pending, false },
	};
	hvo_int_json_begin_object(w);
	members(w, top, HVO_ARRAY_SIZE(top));
	hvo_int_json_key(w, "staged_packages");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < p->nstaged; i++) {
		const struct svc_staged_package *sp = &p->staged[i];
		const struct member m[] = {
			{ "package", str(sp->id), 0, false },
			{ "version", str(sp->version), 0, false },
			{ "installed", NULL, sp->installed, true },
			{ "pending", NULL, !sp->installed, true },
		};
		hvo_int_json_begin_object(w);
		members(w, m, HVO_ARRAY_SIZE(m));
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	const struct member fb[] = {
		{ "pending", NULL, p->firstboot_pending, true },
		{ "hook", p->firstboot_hook, 0, false },
		{ "script_present", NULL, p->firstboot.script, true },
		{ "script", str(p->firstboot.script_path), 0, false },
		{ "ran", NULL, svc_int_firstboot_ran(&p->firstboot), true },
		{ "log_last_line", str(p->firstboot.last), 0, false },
	};
	hvo_int_json_key(w, "firstboot");
	hvo_int_json_begin_object(w);
	members(w, fb, HVO_ARRAY_SIZE(fb));
	hvo_int_json_end_object(w);
	const struct member rec[] = {
		{ "command", p->record_command, 0, false },
		{ "time", p->record_time, 0, false },
		{ "undo_data", str(p->record), 0, false },
		{ "package", str(p->package), 0, false },
		{ "version", str(p->version), 0, false },
		{ "apply_time", p->apply_time, 0, false },
		{ "records", NULL, p->records, false },
	};
	const struct member changed[] = {
		{ "files_created", NULL, p->files_created, false },
		{ "files_replaced", NULL, p->files_replaced, false },
		{ "directories_created", NULL, p->dirs_created, false },
		{ "values_changed", NULL, p->values_changed, false },
		{ "hives_saved", NULL, p->hives_saved, false },
	};
	hvo_int_json_key(w, "last_record");
	if (p->have_record) {
		hvo_int_json_begin_object(w);
		members(w, rec, HVO_ARRAY_SIZE(rec));
		hvo_int_json_key(w, "changed");
		hvo_int_json_begin_object(w);
		members(w, changed, HVO_ARRAY_SIZE(changed));
		hvo_int_json_end_object(w);
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	hvo_int_json_key(w, "integration_services");
	hvo_int_json_begin_object(w);
	hvo_int_json_key(w, "notes");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < p->nnotes; i++)
		hvo_int_json_string(w, str(p->notes[i]));
	hvo_int_json_end_array(w);
	hvo_int_json_kv_string(w, "state", p->ic_state);
	hvo_int_json_end_object(w);
	hvo_int_json_end_object(w);
}

void svc_pending_text(const struct svc_pending *p, FILE *out)
{
	if (!p->read)
		return;
	if (p->any)
		fprintf(out, "  %-14s %s%zu staged package(s) not installed\n",
			"pending:",
			p->firstboot_pending ? "the first-boot step, " : "",
			p->staged_pending);
	else
		fprintf(out, "  %-14s nothing\n", "pending:");
	for (size_t i = 0; i < p->nstaged; i++)
		fprintf(out, "  %-14s %s%s\n",
			i ? "" : "staged:", str(p->staged[i].id),
			p->staged[i].installed ? " (installed by Windows)"
					       : " (pending: not installed "
						 "yet)");
	if (p->firstboot_pending)
		fprintf(out, "  %-14s pending: %s runs at the next boot (%s)\n",
			"first boot:", str(p->firstboot.script_path),
			p->firstboot_hook);
	else if (svc_int_firstboot_ran(&p->firstboot))
		fprintf(out, "  %-14s ran: %s\n", "first boot:",
			str(p->firstboot.last)[0] ? p->firstboot.last
						  : "(no log)");
	if (p->have_record) {
		fprintf(out, "  %-14s %s at %s",
			"last record:", p->record_command, p->record_time);
		if (str(p->package)[0])
			fprintf(out, "; last apply %s (%s) at %s", p->package,
				str(p->version), p->apply_time);
		fprintf(out,
			"\n  %-14s %zu file(s) created, %zu replaced, %zu "
			"dir(s), %zu value(s), %zu hive(s) saved\n",
			"", p->files_created, p->files_replaced,
			p->dirs_created, p->values_changed, p->hives_saved);
	}
	if (p->apply_time[0])
		fprintf(out, "  %-14s %s\n", "IC state:",
			strcmp(p->ic_state, "as-applied") == 0
				? "as the last apply "
				  "left them"
			: strcmp(p->ic_state, "changed") == 0
				? "changed since the last apply"
				: "unknown");
	for (size_t i = 0; i < p->nnotes; i++)
		fprintf(out, "  %-14s %s\n", "", str(p->notes[i]));
}

/*
 * session_wire.c - an image's result and notices as bytes, from a
 * sandboxed child to the parent (see session_int.h).
 *
 * Records, one after the other: 'N' a notice (kind, object, message),
 * 'R' the result (last).  Numbers are 64-bit in host order (the child is
 * a fork of the parent); a string is its length plus one (0: NULL) and
 * its bytes.  The facts travel as their fixed-size struct, then their
 * text fields that are owned strings (svc_int_facts_text) and those of
 * each problem, the volumes and the installed packages (each followed
 * by its owned strings); the applicability and the plan are
 * rebuilt by the parent from the facts and its own packages (the same
 * pure functions the child ran, at the same time of the run); the
 * apply's changes refer to the plan by index.
 *
 * The parent reads a child as it would read a file: every length is
 * bounded by what is left, every index by what it indexes, every text
 * field is NUL-terminated again, and a record that does not add up fails
 * the image ("the sandboxed child's result cannot be read").
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/inspect_int.h"
#include "servicing/inspect_linux.h"
#include "servicing/session_int.h"

/* ------------------------------------------------------------------ */
/* Writing (the child).                                                */
/* ------------------------------------------------------------------ */

static void put(struct svc_wire *w, const void *p, size_t n)
{
	if (w->f == NULL && !w->failed &&
	    (w->f = open_memstream(&w->buf, &w->len)) == NULL)
		w->failed = true;
	if (!w->failed && n > 0 && fwrite(p, 1, n, w->f) != n)
		w->failed = true;
}

static void put_u(struct svc_wire *w, uint64_t v)
{
	put(w, &v, sizeof(v));
}

static void put_s(struct svc_wire *w, const char *s)
{
	put_u(w, s ? strlen(s) + 1 : 0);
	if (s != NULL)
		put(w, s, strlen(s));
}

static void put_bytes(struct svc_wire *w, const void *p, size_t n)
{
	put_u(w, n);
	put(w, p, n);
}

static void put_verify(struct svc_wire *w, const struct svc_verify_result *v)
{
	put_u(w, v->nchecked);
	put_u(w, v->ndiffs);
	for (size_t i = 0; i < v->ndiffs; i++) {
		put_s(w, v->diffs[i].what);
		put_s(w, v->diffs[i].expected);
		put_s(w, v->diffs[i].found);
	}
	put_u(w, v->firstboot_done);
	put_s(w, v->firstboot_status);
}

/* Why a registry operation was left alone: apply_hive.c's static
 * sentences, sent by index. */
static const char *const skips[] = {
	"exists",    "exists (not replaced)", "absent (only replaced)",
	"unchanged", "already listed",	      "absent",
};
#define NSKIPS (sizeof(skips) / sizeof(skips[0]))

/* The rule apply_sd.c gave a file's descriptor by, sent by index. */
static const char *const sd_rules[] = { "manifest", "previous", "inherited" };
#define NRULES (sizeof(sd_rules) / sizeof(sd_rules[0]))

/* 1 + the index of @s in the @n strings of @table; 0 for NULL or none. */
static uint64_t str_index(const char *const *table, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(table[i], s) == 0)
			return i + 1;
	return 0;
}

/* A change's plan entry by index, or NO_ENTRY: an apply that failed
 * early (say, reading the files it replaces) leaves the changes it did
 * not reach with no entry, and the failure must still reach the
 * parent. */
#define NO_ENTRY UINT64_MAX

/* One file change: the plan's file by index, the rest as it was. */
struct wire_file {
	uint64_t index, prev_size;
	uint8_t prev_sha256[32];
	uint8_t existed, written;
};

static void put_apply(struct svc_wire *w, const struct svc_apply_result *a,
		      const struct svc_plan *plan)
{
	put_u(w, a->error.code);
	put_s(w, a->error.msg);
	put_u(w, a->guest_changed);
	put_u(w, a->rolled_back);
	put_u(w, a->nfiles);
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct svc_file_change *c = &a->files[i];
		struct wire_file f = {
			.index = c->file ? (uint64_t)(c->file - plan->files)
					 : NO_ENTRY,
			.prev_size = c->prev_size,
			.existed = c->existed,
			.written = c->written
		};
		memcpy(f.prev_sha256, c->prev_sha256, sizeof(f.prev_sha256));
		put(w, &f, sizeof(f));
		put_bytes(w, c->prev_sd, c->prev_sd ? c->prev_sd_len : 0);
		put_bytes(w, c->sd, c->sd ? c->sd_len : 0);
		put_u(w, str_index(sd_rules, NRULES, c->sd_rule));
	}
	put_u(w, a->nregs);
	for (size_t i = 0; i < a->nregs; i++) {
		const struct svc_reg_change *c = &a->regs[i];
		put_u(w, c->reg ? (uint64_t)(c->reg - plan->regs) : NO_ENTRY);
		put_u(w, c->existed);
		put_u(w, c->prev_type);
		put_bytes(w, c->prev_data, c->prev_data ? c->prev_len : 0);
		put_u(w, c->changed);
		put_u(w, str_index(skips, NSKIPS, c->skip));
	}
	put_u(w, a->files_written);
	put_u(w, a->regs_changed);
	put_u(w, a->dirs_created);
	put_u(w, a->stage_ops);
	put_u(w, a->renames);
	for (int i = 0; i < SVC_NHIVES; i++) {
		put_u(w, a->hive_written[i]);
		put_u(w, a->hive_recovered[i]);
	}
	put_s(w, a->record_json);
	put_u(w, a->sds_set);
	put_u(w, a->sds_skipped);
	put_s(w, a->sd_skip_reason);
	put_u(w, a->nwarnings);
	for (size_t i = 0; i < a->nwarnings; i++)
		put_s(w, a->warnings[i]);
	put_verify(w, &a->verify);
}

void svc_int_wire_notice(struct svc_wire *w, enum svc_notice kind,
			 const char *object, const char *msg)
{
	put(w, "N", 1);
	put_u(w, kind);
	put_s(w, object);
	put_s(w, msg);
}

/* The text fields of the facts that are owned strings travel after the
 * struct's bytes (the pointers there mean nothing to the parent). */
static void put_facts_texts(struct svc_wire *w, const struct svc_facts *f)
{
	char **t;
	for (size_t i = 0; (t = svc_int_facts_text((struct svc_facts *)f, i));
	     i++)
		put_s(w, *t);
	for (size_t k = 0; k < f->nproblems && k < SVC_MAX_PROBLEMS; k++)
		for (size_t i = 0;
		     (t = svc_int_problem_text(
			      (struct svc_problem *)&f->problems[k], i));
		     i++)
			put_s(w, *t);
}

static void put_volumes(struct svc_wire *w, const struct svc_facts *f)
{
	put_bytes(w, f->volumes, f->nvolumes * sizeof(*f->volumes));
	char **t;
	for (size_t k = 0; k < f->nvolumes; k++)
		for (size_t i = 0; (t = svc_int_volume_text(&f->volumes[k], i));
		     i++)
			put_s(w, *t);
	put_bytes(w, f->packages, f->npackages * sizeof(*f->packages));
	for (size_t k = 0; k < f->npackages; k++)
		for (size_t i = 0;
		     (t = svc_int_package_text(&f->packages[k], i)); i++)
			put_s(w, *t);
}

void svc_int_wire_result(struct svc_wire *w, const struct svc_image_result *r,
			 const struct svc_session *s)
{
	put(w, "R", 1);
	put_u(w, r->status);
	put_u(w, r->err);
	put_u(w, r->exit);
	put_s(w, r->message);
	put_s(w, r->installed);
	int64_t pkg = r->package ? r->package - s->pkgs : -1;
	put_u(w, (uint64_t)pkg);
	put_u(w, r->have_applicability);
	put_u(w, r->plan != NULL);
	put_u(w, r->applied && r->plan != NULL);
	put_u(w, r->verified);
	put_bytes(w, &r->facts, sizeof(r->facts));
	put_facts_texts(w, &r->facts);
	put_volumes(w, &r->facts);
	put_bytes(w, r->facts.linux_guest,
		  r->facts.linux_guest ? sizeof(*r->facts.linux_guest) : 0);
	if (r->verified)
		put_verify(w, &r->verify);
	if (r->applied && r->plan != NULL)
		put_apply(w, &r->apply, r->plan);
}

void svc_int_session_result_free(struct svc_image_result *r)
{
	svc_plan_free(r->plan);
	if (r->applied)
		svc_apply_result_free(&r->apply);
	if (r->verified)
		svc_verify_result_free(&r->verify);
	if (r->have_applicability)
		svc_applicability_free(&r->applicability);
	svc_facts_free(&r->facts);
	free(r->message);
	free(r->installed);
}

/* ------------------------------------------------------------------ */
/* Reading (the parent).                                               */
/* ------------------------------------------------------------------ */

struct rd {
	const char *p;
	size_t left;
	bool bad;
};

static void get(struct rd *r, void *dst, size_t n)
{
	if (n == 0)
		return;
	if (r->bad || n > r->left) {
		r->bad = true;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
}

static uint64_t get_u(struct rd *r)
{
	uint64_t v;
	get(r, &v, sizeof(v));
	return v;
}

/* A count of items of at least @size bytes each: no more than could
 * follow. */
static size_t get_n(struct rd *r, size_t size)
{
	uint64_t n = get_u(r);
	if (n > r->left / (size ? size : 1)) {
		r->bad = true;
		return 0;
	}
	return (size_t)n;
}

/* A malloc'd copy of a string, or NULL (also when it was NULL). */
static char *get_s(struct rd *r)
{
	uint64_t n = get_u(r);
	if (n == 0 || r->bad)
		return NULL;
	if (n - 1 > r->left) {
		r->bad = true;
		return NULL;
	}
	char *s = malloc(n);
	if (s == NULL) {
		r->bad = true;
		return NULL;
	}
	get(r, s, n - 1);
	s[n - 1] = '\0';
	return s;
}

static void *get_bytes(struct rd *r, size_t *n_ret)
{
	size_t n = get_n(r, 1);
	*n_ret = n;
	if (n == 0 || r->bad)
		return NULL;
	void *b = malloc(n);
	if (b == NULL)
		r->bad = true;
	else
		get(r, b, n);
	return b;
}

static void get_text(struct rd *r, char *dst, size_t size)
{
	char *s = get_s(r);
	snprintf(dst, size, "%s", s ? s : "");
	free(s);
}

#define Z(a) ((a)[sizeof(a) - 1] = '\0')

/* Every text field of the facts ends within its array again. */
static void facts_terminate(struct svc_facts *f)
{
	Z(f->format), Z(f->disk_guid);
	Z(f->systemroot), Z(f->edition_id);
	Z(f->installation_type), Z(f->current_version), Z(f->csd_version);
	Z(f->arch), Z(f->arch_source);
	Z(f->vmbus_version_string);
	Z(f->ic_registry_version), Z(f->setup_cmdline), Z(f->image_state);
	Z(f->hiber_signature);
	for (size_t i = 0; i < f->nvolumes; i++) {
		struct svc_volume_facts *v = &f->volumes[i];
		Z(v->vol.device), Z(v->vol.fstype), Z(v->vol.gpt_type);
		Z(v->vol.lv_vg), Z(v->vol.lv_name), Z(v->vol.lv_kind);
		Z(v->vol.problem);
		Z(v->vol.gpt_guid);
		Z(v->ntfs_info.label), Z(v->systemroot);
	}
	struct svc_pending *pd = &f->pending;
	if (pd->nstaged > SVC_PENDING_MAX_STAGED)
		pd->nstaged = SVC_PENDING_MAX_STAGED;
	if (pd->nnotes > SVC_PENDING_MAX_NOTES)
		pd->nnotes = SVC_PENDING_MAX_NOTES;
	/* Its owned texts came as strings (svc_int_pending_text). */
	Z(pd->firstboot_hook), Z(pd->record_command), Z(pd->record_time);
	Z(pd->apply_time), Z(pd->ic_state);
}

/* A Linux guest's facts: flat, so only ends and bounds to check. */
static void linux_terminate(struct svc_linux_facts *l, size_t nvolumes,
			    struct rd *r)
{
	struct svc_os_release *o = &l->os;
	Z(l->os_release_path), Z(l->package_manager), Z(l->package);
	Z(l->package_version), Z(l->problem);
	Z(o->id), Z(o->id_like), Z(o->name), Z(o->version_id);
	Z(o->version), Z(o->pretty_name), Z(o->codename);
	if (l->nkernels > SVC_LINUX_MAX_KERNELS)
		l->nkernels = SVC_LINUX_MAX_KERNELS, r->bad = true;
	if (l->volume >= nvolumes)
		r->bad = true;
	for (size_t k = 0; k < l->nkernels; k++) {
		struct svc_linux_kernel *kn = &l->kernels[k];
		Z(kn->version);
		for (size_t m = 0; m < SVC_LINUX_NMODULES; m++) {
			Z(kn->mod_path[m]);
			if ((unsigned)kn->mod[m] > SVC_MOD_DAMAGED)
				kn->mod[m] = SVC_MOD_MISSING, r->bad = true;
		}
	}
	for (size_t d = 0; d < SVC_LINUX_NDAEMONS; d++) {
		struct svc_linux_daemon *dm = &l->daemons[d];
		Z(dm->binary), Z(dm->unit), Z(dm->unit_path), Z(dm->wanted_by);
	}
	Z(l->package_arch), Z(l->package_db);
	if (l->nmounts > SVC_LINUX_MAX_MOUNTS)
		l->nmounts = SVC_LINUX_MAX_MOUNTS, r->bad = true;
	for (size_t i = 0; i < l->nmounts; i++) {
		struct svc_linux_mount *m = &l->mounts[i];
		Z(m->dir), Z(m->spec), Z(m->vfstype);
		/* Reports index the volumes with it. */
		if (m->found && m->volume >= nvolumes)
			m->found = m->read = false, r->bad = true;
	}
}

/* The owned strings: the child's pointers in the bytes mean nothing
 * here, each is the string that follows (or NULL). */
static void get_facts_texts(struct rd *r, struct svc_facts *f)
{
	char **t;
	for (size_t i = 0; (t = svc_int_facts_text(f, i)); i++)
		*t = get_s(r);
	if (f->image == NULL && (f->image = strdup("")) == NULL)
		r->bad = true;
	if (f->nproblems > SVC_MAX_PROBLEMS)
		f->nproblems = SVC_MAX_PROBLEMS, r->bad = true;
	for (size_t k = 0; k < SVC_MAX_PROBLEMS; k++)
		for (size_t i = 0;
		     (t = svc_int_problem_text(&f->problems[k], i)); i++) {
			*t = k < f->nproblems ? get_s(r) : NULL;
			/* A problem has its code and message. */
			if (k < f->nproblems && *t == NULL)
				r->bad = true;
		}
}

static void get_volume_texts(struct rd *r, struct svc_facts *f)
{
	char **t;
	for (size_t k = 0; k < f->nvolumes; k++)
		for (size_t i = 0; (t = svc_int_volume_text(&f->volumes[k], i));
		     i++)
			*t = get_s(r);
}

/* An installed package's texts are never NULL: "" stands for none. */
static void get_package_texts(struct rd *r, struct svc_facts *f)
{
	char **t;
	for (size_t k = 0; k < f->npackages; k++)
		for (size_t i = 0;
		     (t = svc_int_package_text(&f->packages[k], i)); i++)
			if ((*t = get_s(r)) == NULL &&
			    (*t = strdup("")) == NULL)
				r->bad = true;
}

/* A bool the child sent as a byte: 0 or 1 again (any other byte read as
 * a bool is undefined behaviour).  Read through unsigned char. */
#define B(x) ((x) = *(const unsigned char *)&(x) != 0)

static void hive_bools(struct svc_hive_facts *h)
{
	B(h->present), B(h->opened), B(h->dirty), B(h->log1), B(h->log2);
	B(h->logs_checked), B(h->logs_usable), B(h->corrupt);
}

/* Every bool of the facts (a field added to them is added here; the
 * fuzzer finds one that is not). */
static void facts_bools(struct svc_facts *f)
{
	B(f->preflight_ok), B(f->preflight_corrupt), B(f->differencing);
	B(f->parent_of_child), B(f->in_use), B(f->vhdx_log_dirty);
	B(f->backend_opens_vhdx), B(f->vhdx_4k_sectors), B(f->disk_read);
	B(f->windows_found), B(f->control_set_present), B(f->vmbus_present);
	B(f->vmbus_version_known), B(f->vmbus_service);
	B(f->setupcomplete_present), B(f->setupcomplete_ours);
	B(f->apply_interrupted), B(f->hiberfil_present);
	B(f->system_drive_from_mounted_devices);
	hive_bools(&f->software);
	hive_bools(&f->system);
	for (size_t i = 0; i < f->nvolumes; i++) {
		struct svc_volume_facts *v = &f->volumes[i];
		B(v->esp), B(v->recovery), B(v->bitlocker), B(v->ntfs);
		B(v->ntfs_readable), B(v->mount_tried), B(v->mounted);
		B(v->windows);
	}
	for (size_t i = 0; i < f->npackages; i++)
		B(f->packages[i].in_servicing), B(f->packages[i].in_cbs);
	struct svc_pending *pd = &f->pending;
	B(pd->read), B(pd->any), B(pd->firstboot_pending), B(pd->have_record);
	B(pd->firstboot.script), B(pd->firstboot.log), B(pd->firstboot.done);
	for (size_t i = 0; i < SVC_PENDING_MAX_STAGED; i++)
		B(pd->staged[i].installed);
	struct svc_linux_facts *l = f->linux_guest;
	if (l == NULL)
		return;
	B(l->unreadable), B(l->os_release), B(l->journal_needs_recovery);
	B(l->kernels_truncated), B(l->systemd), B(l->package_known);
	B(l->package_installed), B(l->fstab), B(l->package_db_wal);
	for (size_t k = 0; k < SVC_LINUX_MAX_MOUNTS; k++) {
		struct svc_linux_mount *m = &l->mounts[k];
		B(m->found), B(m->read), B(m->lvm);
	}
	for (size_t k = 0; k < SVC_LINUX_MAX_KERNELS; k++)
		B(l->kernels[k].vmlinuz);
	for (size_t d = 0; d < SVC_LINUX_NDAEMONS; d++)
		B(l->daemons[d].enabled), B(l->daemons[d].masked);
}

static void get_facts(struct rd *r, struct svc_facts *f)
{
	size_t n;
	void *b = get_bytes(r, &n);
	if (b == NULL || n != sizeof(*f)) {
		free(b);
		r->bad = true;
		return;
	}
	memcpy(f, b, sizeof(*f));
	free(b);
	get_facts_texts(r, f);
	size_t nv = f->nvolumes, np = f->npackages;
	f->volumes = get_bytes(r, &n);
	f->nvolumes = f->volumes ? n / sizeof(*f->volumes) : 0;
	if (n != nv * sizeof(*f->volumes))
		r->bad = true;
	get_volume_texts(r, f);
	f->packages = get_bytes(r, &n);
	f->npackages = f->packages ? n / sizeof(*f->packages) : 0;
	if (n != np * sizeof(*f->packages))
		r->bad = true;
	get_package_texts(r, f);
	/* The child's pointer says only whether a Linux guest was found. */
	bool had_linux = f->linux_guest != NULL;
	f->linux_guest = get_bytes(r, &n);
	if (f->linux_guest != NULL && n != sizeof(*f->linux_guest)) {
		free(f->linux_guest);
		f->linux_guest = NULL;
	}
	facts_bools(f);
	if (had_linux != (f->linux_guest != NULL))
		r->bad = true;
	else if (f->linux_guest != NULL)
		linux_terminate(f->linux_guest, f->nvolumes, r);
	if (f->windows_found && f->windows_volume >= f->nvolumes)
		r->bad = true;
	facts_terminate(f);
}

static void get_verify(struct rd *r, struct svc_verify_result *v)
{
	v->nchecked = (size_t)get_u(r);
	size_t n = get_n(r, 3 * sizeof(uint64_t));
	v->diffs = calloc(n ? n : 1, sizeof(*v->diffs));
	if (v->diffs == NULL) {
		r->bad = true;
		return;
	}
	for (size_t i = 0; i < n && !r->bad; i++, v->ndiffs++) {
		v->diffs[i].what = get_s(r);
		v->diffs[i].expected = get_s(r);
		v->diffs[i].found = get_s(r);
	}
	v->firstboot_done = get_u(r) != 0;
	get_text(r, v->firstboot_status, sizeof(v->firstboot_status));
}

static void get_apply(struct rd *r, struct svc_apply_result *a,
		      const struct svc_plan *plan)
{
	a->error.code = (enum svc_err)get_u(r);
	r->bad |= a->error.code > SVC_ERR_SHUTDOWN;
	a->error.msg = get_s(r);
	a->guest_changed = get_u(r) != 0;
	a->rolled_back = get_u(r) != 0;
	size_t n = get_n(r, sizeof(struct wire_file) + 3 * sizeof(uint64_t));
	a->files = calloc(n ? n : 1, sizeof(*a->files));
	for (size_t i = 0; a->files && i < n && !r->bad; i++, a->nfiles++) {
		struct svc_file_change *c = &a->files[i];
		struct wire_file f;
		get(r, &f, sizeof(f));
		r->bad |= f.index != NO_ENTRY && f.index >= plan->nfiles;
		c->file = r->bad || f.index == NO_ENTRY ? NULL
							: &plan->files[f.index];
		c->existed = f.existed != 0;
		memcpy(c->prev_sha256, f.prev_sha256, sizeof(c->prev_sha256));
		c->prev_size = f.prev_size;
		c->written = f.written != 0;
		c->prev_sd = get_bytes(r, &c->prev_sd_len);
		c->sd = get_bytes(r, &c->sd_len);
		uint64_t k = get_u(r);
		r->bad |= k > NRULES;
		c->sd_rule = k && k <= NRULES ? sd_rules[k - 1] : NULL;
	}
	n = get_n(r, 6 * sizeof(uint64_t));
	a->regs = calloc(n ? n : 1, sizeof(*a->regs));
	for (size_t i = 0; a->regs && i < n && !r->bad; i++, a->nregs++) {
		struct svc_reg_change *c = &a->regs[i];
		uint64_t k = get_u(r);
		r->bad |= k != NO_ENTRY && k >= plan->nregs;
		c->reg = r->bad || k == NO_ENTRY ? NULL : &plan->regs[k];
		c->existed = get_u(r) != 0;
		c->prev_type = (uint32_t)get_u(r);
		c->prev_data = get_bytes(r, &c->prev_len);
		c->changed = get_u(r) != 0;
		uint64_t sk = get_u(r);
		r->bad |= sk > NSKIPS;
		c->skip = sk && sk <= NSKIPS ? skips[sk - 1] : NULL;
	}
	r->bad |= a->files == NULL || a->regs == NULL;
	a->files_written = (size_t)get_u(r);
	a->regs_changed = (size_t)get_u(r);
	a->dirs_created = (size_t)get_u(r);
	a->stage_ops = (unsigned)get_u(r);
	a->renames = (unsigned)get_u(r);
	for (int i = 0; i < SVC_NHIVES; i++) {
		a->hive_written[i] = get_u(r) != 0;
		a->hive_recovered[i] = get_u(r) != 0;
	}
	a->record_json = get_s(r);
	a->sds_set = (size_t)get_u(r);
	a->sds_skipped = (size_t)get_u(r);
	a->sd_skip_reason = get_s(r);
	n = get_n(r, sizeof(uint64_t));
	a->warnings = calloc(n ? n : 1, sizeof(*a->warnings));
	for (size_t i = 0; a->warnings && i < n && !r->bad; i++)
		a->warnings[a->nwarnings++] = get_s(r);
	r->bad |= a->warnings == NULL;
	get_verify(r, &a->verify);
}

static int fail(char *why, size_t whysize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whysize, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	return -1;
}

/* The result record: the parent's own applicability and plan first, so
 * the apply's changes can point into the plan. */
static int get_result(struct svc_session *s, struct rd *rd,
		      struct svc_image_result *r, char *why, size_t whysize)
{
	r->status = (enum svc_status)get_u(rd);
	r->err = (enum svc_err)get_u(rd);
	r->exit = (enum hvo_exit)get_u(rd);
	r->message = get_s(rd);
	if (rd->bad || r->status > SVC_STATUS_FAILED ||
	    r->err > SVC_ERR_SHUTDOWN || r->exit > HVO_EXIT_WARNING) {
		/* Not even the child's own outcome can be told. */
		free(r->message);
		r->message = NULL;
		return fail(why, whysize, "a malformed result");
	}
	r->installed = get_s(rd);
	int64_t pkg = (int64_t)get_u(rd);
	bool appl = get_u(rd) != 0, plan = get_u(rd) != 0;
	bool applied = get_u(rd) != 0, verified = get_u(rd) != 0;
	get_facts(rd, &r->facts);
	if (rd->bad || pkg < -1 || pkg >= (int64_t)s->npkgs ||
	    (plan && pkg < 0) || (applied && !plan))
		return fail(why, whysize, "a malformed result");
	r->package = pkg >= 0 ? &s->pkgs[pkg] : NULL;
	if (appl) {
		if (svc_applicability(&r->facts, s->pkgs, s->npkgs,
				      &r->applicability) != SVC_OK)
			return fail(why, whysize, "out of memory");
		r->have_applicability = true;
	}
	if (plan) {
		struct svc_plan_opts po = { .firstboot = !s->opts.no_firstboot,
					    .now = s->opts.now };
		struct svc_error err = { 0 };
		enum svc_err e = svc_plan_build(&r->facts, r->package, &po,
						&r->plan, &err);
		svc_int_error_clear(&err);
		if (e != SVC_OK)
			return fail(why, whysize, "its plan cannot be rebuilt");
	}
	if (verified) {
		r->verified = true;
		get_verify(rd, &r->verify);
	}
	if (applied) {
		r->applied = true;
		get_apply(rd, &r->apply, r->plan);
	}
	if (rd->bad || rd->left != 0)
		return fail(why, whysize, "a malformed result");
	return 0;
}

int svc_int_unwire(struct svc_session *s, struct svc_image_result *r,
		   const char *buf, size_t len, char *why, size_t whysize)
{
	struct rd rd = { buf, len, false };
	while (rd.left > 0 && !rd.bad) {
		char tag;
		get(&rd, &tag, 1);
		if (tag == 'R')
			return get_result(s, &rd, r, why, whysize);
		if (tag != 'N')
			break;
		enum svc_notice kind = (enum svc_notice)get_u(&rd);
		char *object = get_s(&rd), *msg = get_s(&rd);
		if (!rd.bad && s->opts.notice != NULL &&
		    kind <= SVC_NOTICE_DEBUG)
			s->opts.notice(s->opts.notice_ctx, kind, object,
				       msg ? msg : "");
		free(object);
		free(msg);
	}
	return fail(why, whysize, "no result");
}

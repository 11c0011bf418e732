/*
 * test_session_sandbox_wire.c - a sandboxed child's result as bytes and
 * back (src/servicing/session_wire.c), for every kind of result the
 * child can send: every failure keeps its own status, error, exit code
 * and message.
 *
 *   - apply that failed before it reached any file or registry value
 *     (reading the files it replaces: a name torn by a killed run): the
 *     changes have no plan entry; this once read as "a malformed
 *     result", and the user saw that instead of the child's error;
 *   - apply that failed midway (some changes with their entries and
 *     security descriptors, the rest none), and one applied in full;
 *   - a plan that could not be made, every error code on its own;
 *   - inspect with pending work and with a Linux guest; verify with
 *     differences;
 *   - bytes cut short: the child's outcome is still told when its first
 *     fields were read, and nothing is made up when they were not.
 *
 * The session holds the real 6.2 x64 package, as in a run; the facts are
 * synthetic (tests/lib/fakeguest.h).
 */
#include <config.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "servicing/inspect_linux.h"
#include "servicing/session_int.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "tests/servicing/svctest.h"

static struct svc_session *s;
static const struct svc_source_package *pkg;

static int setup(void **state)
{
	(void)state;
	struct svc_session_opts o = { .command = SVC_COMMAND_APPLY,
				      .now = 1765000000 };
	if (svc_session_new(&o, &s) != SVC_OK ||
	    svc_session_set_source(s, hvo_fixture(CAB62)) != SVC_OK ||
	    svc_int_session_read_source(s) != HVO_EXIT_OK)
		return -1;
	for (size_t i = 0; i < s->npkgs; i++)
		if (s->pkgs[i].pkg != NULL)
			pkg = &s->pkgs[i];
	return pkg != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	svc_session_free(s);
	return 0;
}

static char *xdup(const char *text)
{
	char *p = strdup(text);
	assert_non_null(p);
	return p;
}

static uint8_t *bytes(size_t n, uint8_t fill)
{
	uint8_t *p = malloc(n);
	assert_non_null(p);
	memset(p, fill, n);
	return p;
}

/* Server 2012 x64 on its one NTFS volume, with pending work. */
static void windows_facts(struct svc_facts *f)
{
	svct_ws2012_facts(f);
	f->volumes = calloc(1, sizeof(*f->volumes));
	assert_non_null(f->volumes);
	f->nvolumes = 1;
	snprintf(f->volumes[0].vol.device, sizeof(f->volumes[0].vol.device),
		 "/dev/sda2");
	snprintf(f->volumes[0].vol.fstype, sizeof(f->volumes[0].vol.fstype),
		 "ntfs");
	struct svc_pending *p = &f->pending;
	p->read = p->any = true;
	p->nstaged = 2;
	/* The owned texts (svc_int_pending_text), one slot's left NULL. */
	p->staged[0].id =
		strdup("Package_for_KB1~31bf3856ad364e35~amd64~~6.2.1.0");
	p->staged[1].version = strdup("6.2.9200.1");
	p->staged_pending = 1;
	p->have_record = true;
	p->record = strdup("Windows\\hvoffline\\r.json");
	p->package = strdup("Package_for_KB1~31bf3856ad364e35~amd64~~6.2.1.0");
	p->version = strdup("6.2.1.0");
	p->firstboot.script_path = strdup("Windows\\hvoffline\\firstboot.cmd");
	p->firstboot.last = strdup("done: exit=0");
	snprintf(p->ic_state, sizeof(p->ic_state), "as-applied");
	p->nnotes = 1;
	p->notes[0] = strdup("a reboot is pending");
}

/* A result of the session's command on the Windows facts, the package
 * chosen and planned as the parent plans it. */
static void planned(struct svc_image_result *r)
{
	memset(r, 0, sizeof(*r));
	r->image = "child.vhdx";
	windows_facts(&r->facts);
	assert_int_equal(svc_applicability(&r->facts, s->pkgs, s->npkgs,
					   &r->applicability),
			 SVC_OK);
	r->have_applicability = true;
	r->package = pkg;
	r->installed = xdup("6.2.9200.16384");
	struct svc_plan_opts po = { .firstboot = !s->opts.no_firstboot,
				    .now = s->opts.now };
	struct svc_error err = { 0 };
	assert_int_equal(svc_plan_build(&r->facts, pkg, &po, &r->plan, &err),
			 SVC_OK);
	assert_true(r->plan->nfiles >= 2 && r->plan->nregs >= 2);
}

static void failed(struct svc_image_result *r, enum svc_status status,
		   enum svc_err err, const char *msg)
{
	r->status = status;
	r->err = err;
	r->exit = svc_exit_class(err);
	free(r->message);
	r->message = xdup(msg);
}

/* An apply result as svc_apply() leaves it when it stopped after the
 * first @reached files and registry operations (all: SIZE_MAX). */
static void applied(struct svc_image_result *r, size_t reached,
		    enum svc_err err, const char *msg)
{
	const struct svc_plan *p = r->plan;
	struct svc_apply_result *a = &r->apply;
	r->applied = true;
	a->nfiles = p->nfiles;
	a->files = calloc(p->nfiles, sizeof(*a->files));
	a->nregs = p->nregs;
	a->regs = calloc(p->nregs, sizeof(*a->regs));
	assert_true(a->files != NULL && a->regs != NULL);
	for (size_t i = 0; i < p->nfiles && i < reached; i++) {
		struct svc_file_change *c = &a->files[i];
		c->file = &p->files[i];
		c->existed = i % 2 == 0;
		c->prev_size = 1000 + i;
		memset(c->prev_sha256, (int)i, sizeof(c->prev_sha256));
		c->written = true;
		c->prev_sd = bytes(20 + i, 0x11);
		c->prev_sd_len = 20 + i;
		c->sd = bytes(40, 0x22);
		c->sd_len = 40;
		c->sd_rule = i % 2 ? "previous" : "manifest";
	}
	for (size_t i = 0; i < p->nregs && i < reached; i++) {
		struct svc_reg_change *c = &a->regs[i];
		c->reg = &p->regs[i];
		c->existed = true;
		c->prev_type = 4;
		c->prev_data = bytes(4, 0x33);
		c->prev_len = 4;
		c->changed = i % 2 == 0;
		c->skip = c->changed ? NULL : "unchanged";
	}
	a->files_written = reached < p->nfiles ? reached : p->nfiles;
	a->stage_ops = 7;
	a->hive_written[1] = true;
	a->sds_set = 3;
	a->sds_skipped = 1;
	a->sd_skip_reason = xdup("the backend sets no descriptors");
	a->warnings = calloc(1, sizeof(*a->warnings));
	assert_non_null(a->warnings);
	a->warnings[a->nwarnings++] = xdup("a leftover was removed");
	a->verify.diffs = calloc(1, sizeof(*a->verify.diffs));
	assert_non_null(a->verify.diffs);
	if (err != SVC_OK) {
		a->error.code = err;
		a->error.msg = xdup(msg);
		a->rolled_back = true;
		failed(r, SVC_STATUS_FAILED, err, msg);
	} else {
		a->guest_changed = true;
		a->record_json = xdup("{\"record\":1}");
		r->status = SVC_STATUS_APPLIED;
		r->message = xdup(msg);
	}
}

/* @r as the child sends it, read back by the parent into @out. */
static void roundtrip(const struct svc_image_result *r,
		      struct svc_image_result *out)
{
	struct svc_wire w = { 0 };
	svc_int_wire_notice(&w, SVC_NOTICE_PROGRESS, r->image, "applying");
	svc_int_wire_result(&w, r, s);
	assert_false(w.failed);
	assert_int_equal(fclose(w.f), 0);
	memset(out, 0, sizeof(*out));
	out->image = r->image;
	char why[200] = "";
	int rc = svc_int_unwire(s, out, w.buf, w.len, why, sizeof(why));
	free(w.buf);
	if (rc != 0)
		fail_msg("the parent cannot read the child's result: %s", why);
}

/* Both NULL, or equal. */
static void same_text(const char *a, const char *b)
{
	assert_int_equal(b == NULL, a == NULL);
	if (a != NULL)
		assert_string_equal(b, a);
}

/* The plan entry @y (in @ybase, the parent's plan) is at the place of
 * @x in @xbase (the child's), or both have none. */
static void same_entry(const void *x, const void *xbase, const void *y,
		       const void *ybase)
{
	assert_int_equal(y == NULL, x == NULL);
	if (x != NULL)
		assert_int_equal((const char *)y - (const char *)ybase,
				 (const char *)x - (const char *)xbase);
}

static void same_outcome(const struct svc_image_result *a,
			 const struct svc_image_result *b)
{
	assert_int_equal(b->status, a->status);
	assert_int_equal(b->err, a->err);
	assert_int_equal(b->exit, a->exit);
	same_text(a->message, b->message);
	assert_int_equal(b->facts.nvolumes, a->facts.nvolumes);
	assert_int_equal(b->facts.windows_found, a->facts.windows_found);
	assert_int_equal(b->have_applicability, a->have_applicability);
	assert_ptr_equal(b->package, a->package);
	assert_int_equal(b->plan != NULL, a->plan != NULL);
	same_text(a->installed, b->installed);
	if (a->plan != NULL) {
		assert_int_equal(b->plan->nfiles, a->plan->nfiles);
		assert_int_equal(b->plan->nregs, a->plan->nregs);
	}
}

static void same_apply(const struct svc_image_result *ra,
		       const struct svc_image_result *rb)
{
	const struct svc_apply_result *a = &ra->apply, *b = &rb->apply;
	assert_true(rb->applied);
	assert_int_equal(b->error.code, a->error.code);
	same_text(a->error.msg, b->error.msg);
	assert_string_equal(svc_apply_errmsg(b), svc_apply_errmsg(a));
	assert_int_equal(b->rolled_back, a->rolled_back);
	assert_int_equal(b->guest_changed, a->guest_changed);
	assert_int_equal(b->nfiles, a->nfiles);
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct svc_file_change *x = &a->files[i],
					     *y = &b->files[i];
		same_entry(x->file, ra->plan->files, y->file, rb->plan->files);
		assert_int_equal(y->existed, x->existed);
		assert_int_equal(y->prev_size, x->prev_size);
		assert_memory_equal(y->prev_sha256, x->prev_sha256, 32);
		assert_int_equal(y->prev_sd_len, x->prev_sd_len);
		assert_int_equal(y->sd_len, x->sd_len);
		if (x->sd_len)
			assert_memory_equal(y->sd, x->sd, x->sd_len);
		if (x->prev_sd_len)
			assert_memory_equal(y->prev_sd, x->prev_sd,
					    x->prev_sd_len);
		same_text(x->sd_rule, y->sd_rule);
	}
	assert_int_equal(b->nregs, a->nregs);
	for (size_t i = 0; i < a->nregs; i++) {
		const struct svc_reg_change *x = &a->regs[i], *y = &b->regs[i];
		same_entry(x->reg, ra->plan->regs, y->reg, rb->plan->regs);
		assert_int_equal(y->prev_len, x->prev_len);
		assert_int_equal(y->changed, x->changed);
		same_text(x->skip, y->skip);
	}
	assert_int_equal(b->files_written, a->files_written);
	assert_int_equal(b->stage_ops, a->stage_ops);
	assert_int_equal(b->hive_written[1], a->hive_written[1]);
	assert_int_equal(b->sds_set, a->sds_set);
	assert_int_equal(b->sds_skipped, a->sds_skipped);
	assert_string_equal(b->sd_skip_reason, a->sd_skip_reason);
	assert_int_equal(b->nwarnings, a->nwarnings);
	assert_string_equal(b->warnings[0], a->warnings[0]);
	assert_int_equal(b->record_json == NULL, a->record_json == NULL);
}

static void test_apply_failed_before_any_change(void **state)
{
	(void)state;
	struct svc_image_result r, out;
	planned(&r);
	applied(&r, 0, SVC_ERR_GUEST,
		"Windows\\System32\\drivers\\vmbus.sys: the file record "
		"cannot be read (a name torn by a killed run)");
	roundtrip(&r, &out);
	same_outcome(&r, &out);
	same_apply(&r, &out);
	assert_null(out.apply.files[0].file);
	assert_int_equal(out.exit, HVO_EXIT_FAILED);
	svc_int_session_result_free(&out);
	svc_int_session_result_free(&r);
}

static void test_apply_failed_midway(void **state)
{
	(void)state;
	static const enum svc_err errs[] = { SVC_ERR_IO, SVC_ERR_CORRUPT,
					     SVC_ERR_REFUSED,
					     SVC_ERR_UNSUPPORTED };
	for (size_t k = 0; k < sizeof(errs) / sizeof(errs[0]); k++) {
		struct svc_image_result r, out;
		planned(&r);
		char msg[100];
		snprintf(msg, sizeof(msg), "stopped midway (%s)",
			 svc_strerror(errs[k]));
		applied(&r, 1 + k, errs[k], msg);
		roundtrip(&r, &out);
		same_outcome(&r, &out);
		same_apply(&r, &out);
		assert_int_equal(out.exit, svc_exit_class(errs[k]));
		svc_int_session_result_free(&out);
		svc_int_session_result_free(&r);
	}
}

static void test_applied_in_full(void **state)
{
	(void)state;
	struct svc_image_result r, out;
	planned(&r);
	applied(&r, SIZE_MAX, SVC_OK, "installed");
	roundtrip(&r, &out);
	same_outcome(&r, &out);
	same_apply(&r, &out);
	assert_non_null(out.apply.files[r.plan->nfiles - 1].file);
	assert_string_equal(out.apply.record_json, "{\"record\":1}");
	svc_int_session_result_free(&out);
	svc_int_session_result_free(&r);
}

/* Every error on its own, with no plan (refused, not applicable, a plan
 * that could not be made, a backend that did not shut down...). */
static void test_every_failure_without_plan(void **state)
{
	(void)state;
	for (int e = SVC_ERR_NOMEM; e <= SVC_ERR_SHUTDOWN; e++) {
		struct svc_image_result r, out;
		memset(&r, 0, sizeof(r));
		r.image = "child.vhdx";
		windows_facts(&r.facts);
		char msg[100];
		snprintf(msg, sizeof(msg), "failure %d: %s", e,
			 svc_strerror((enum svc_err)e));
		failed(&r, SVC_STATUS_FAILED, (enum svc_err)e, msg);
		r.exit = e == SVC_ERR_REFUSED ? HVO_EXIT_REFUSED : r.exit;
		roundtrip(&r, &out);
		same_outcome(&r, &out);
		assert_false(out.applied);
		svc_int_session_result_free(&out);
		svc_int_session_result_free(&r);
	}
}

static void test_inspect_pending_and_linux(void **state)
{
	(void)state;
	struct svc_image_result r, out;
	memset(&r, 0, sizeof(r));
	r.image = "child.vhdx";
	windows_facts(&r.facts);
	r.status = SVC_STATUS_OK;
	roundtrip(&r, &out);
	same_outcome(&r, &out);
	/* The parent's texts are its own, read from the wire (in one
	 * process a pointer copied with the bytes would still read). */
	const struct svc_pending *p = &out.facts.pending;
	assert_ptr_not_equal(p->record, r.facts.pending.record);
	assert_ptr_not_equal(p->notes[0], r.facts.pending.notes[0]);
	assert_ptr_not_equal(p->firstboot.last, r.facts.pending.firstboot.last);
	svc_int_session_result_free(&r);
	assert_int_equal(p->nstaged, 2);
	assert_string_equal(p->staged[0].id,
			    "Package_for_KB1~31bf3856ad364e35~amd64~~6.2.1.0");
	assert_null(p->staged[1].id);
	assert_string_equal(p->staged[1].version, "6.2.9200.1");
	assert_string_equal(p->record, "Windows\\hvoffline\\r.json");
	assert_string_equal(p->package, p->staged[0].id);
	assert_string_equal(p->version, "6.2.1.0");
	assert_string_equal(p->firstboot.script_path,
			    "Windows\\hvoffline\\firstboot.cmd");
	assert_string_equal(p->firstboot.last, "done: exit=0");
	assert_null(p->firstboot.log_path);
	assert_string_equal(p->ic_state, "as-applied");
	assert_string_equal(p->notes[0], "a reboot is pending");
	assert_null(p->notes[1]);
	svc_int_session_result_free(&out);

	/* A Linux guest: no Windows, its facts by themselves. */
	memset(&r, 0, sizeof(r));
	r.image = "linux.vhdx";
	windows_facts(&r.facts);
	r.facts.windows_found = false;
	r.facts.linux_guest = calloc(1, sizeof(*r.facts.linux_guest));
	assert_non_null(r.facts.linux_guest);
	struct svc_linux_facts *l = r.facts.linux_guest;
	snprintf(l->os.id, sizeof(l->os.id), "debian");
	l->nkernels = 1;
	snprintf(l->kernels[0].version, sizeof(l->kernels[0].version),
		 "6.1.0-18-amd64");
	l->kernels[0].mod[0] = SVC_MOD_DAMAGED;
	failed(&r, SVC_STATUS_NO_WINDOWS, SVC_ERR_NOT_APPLICABLE,
	       "no Windows installation was found");
	roundtrip(&r, &out);
	same_outcome(&r, &out);
	assert_non_null(out.facts.linux_guest);
	assert_string_equal(out.facts.linux_guest->os.id, "debian");
	assert_string_equal(out.facts.linux_guest->kernels[0].version,
			    "6.1.0-18-amd64");
	assert_int_equal(out.facts.linux_guest->kernels[0].mod[0],
			 SVC_MOD_DAMAGED);
	svc_int_session_result_free(&out);
	svc_int_session_result_free(&r);
}

static void test_verify_differences(void **state)
{
	(void)state;
	struct svc_image_result r, out;
	planned(&r);
	r.verified = true;
	r.verify.nchecked = 12;
	r.verify.ndiffs = 1;
	r.verify.diffs = calloc(1, sizeof(*r.verify.diffs));
	assert_non_null(r.verify.diffs);
	r.verify.diffs[0].what = xdup("vmbus.sys");
	r.verify.diffs[0].expected = xdup("aa");
	r.verify.diffs[0].found = NULL;
	failed(&r, SVC_STATUS_DIFFERENCES, SVC_ERR_DIFFERENCES,
	       "1 of 12 items differ");
	roundtrip(&r, &out);
	same_outcome(&r, &out);
	assert_true(out.verified);
	assert_int_equal(out.verify.nchecked, 12);
	assert_int_equal(out.verify.ndiffs, 1);
	assert_string_equal(out.verify.diffs[0].what, "vmbus.sys");
	assert_null(out.verify.diffs[0].found);
	svc_int_session_result_free(&out);
	svc_int_session_result_free(&r);
}

/* Bytes cut short: the child's own outcome when its first fields came
 * through, else none. */
static void test_cut_short(void **state)
{
	(void)state;
	struct svc_image_result r;
	planned(&r);
	applied(&r, 1, SVC_ERR_CORRUPT, "the cabinet is damaged");
	struct svc_wire w = { 0 };
	svc_int_wire_result(&w, &r, s);
	assert_int_equal(fclose(w.f), 0);
	/* 'R', status, err, exit, the message's length and bytes. */
	size_t head = 1 + 4 * 8 + strlen(r.message);
	for (size_t cut = 0; cut < w.len; cut += cut < head + 16 ? 1 : 97) {
		struct svc_image_result out = { .image = "child.vhdx" };
		char why[200] = "";
		assert_int_equal(
			svc_int_unwire(s, &out, w.buf, cut, why, sizeof(why)),
			-1);
		assert_true(why[0] != '\0');
		if (cut >= head) {
			assert_string_equal(out.message, r.message);
			assert_int_equal(out.exit, HVO_EXIT_CORRUPT);
			assert_int_equal(out.err, SVC_ERR_CORRUPT);
		} else {
			assert_null(out.message);
		}
		svc_int_session_result_free(&out);
	}
	/* An exit code no child can have is not believed. */
	uint64_t bad = 99;
	memcpy(w.buf + 1 + 2 * 8, &bad, sizeof(bad));
	struct svc_image_result out = { .image = "child.vhdx" };
	char why[200] = "";
	assert_int_equal(
		svc_int_unwire(s, &out, w.buf, w.len, why, sizeof(why)), -1);
	assert_null(out.message);
	svc_int_session_result_free(&out);
	free(w.buf);
	svc_int_session_result_free(&r);
}

/* fuzz_wire's seeds are real results of the current layout
 * (fuzz/corpus/wire-seeds.sh; regress-* aside): each decodes in full, or the replay and
 * the fuzzer would start from bytes refused at once. */
static void test_fuzz_seeds_decode(void **state)
{
	(void)state;
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus/wire", hvo_test_srcdir());
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		/* Inputs the fuzzer found are not results. */
		if (e->d_name[0] == '.' ||
		    strncmp(e->d_name, "regress-", 8) == 0)
			continue;
		char path[4500];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		size_t len;
		uint8_t *b = hvo_test_read_file(path, &len);
		struct svc_image_result out = { .image = e->d_name };
		char why[200] = "";
		if (svc_int_unwire(s, &out, (const char *)b, len, why,
				   sizeof(why)) != 0)
			fail_msg("%s: %s (run fuzz/corpus/wire-seeds.sh)", path,
				 why);
		svc_int_session_result_free(&out);
		free(b);
		n++;
	}
	closedir(d);
	assert_true(n >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_failed_before_any_change),
		cmocka_unit_test(test_apply_failed_midway),
		cmocka_unit_test(test_applied_in_full),
		cmocka_unit_test(test_every_failure_without_plan),
		cmocka_unit_test(test_inspect_pending_and_linux),
		cmocka_unit_test(test_verify_differences),
		cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_fuzz_seeds_decode),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_manage_children.c - the managing commands' sandboxed child per
 * image (src/servicing/services_child.c, child_paths.c), on the project's
 * test images (`make fixture-images`), native backend:
 *
 *   - -j 2 on three images: each child lists its image's integration
 *     services; the results come back over the wire in the order given,
 *     each the one of its image (ws2012: control set 2, vmbus boot start;
 *     win7: its own list), as a read in this process gives them;
 *   - a child that makes a forbidden system call (the sandbox's test
 *     hook), one that crashes and one whose bytes do not add up each
 *     fail their image alone, with a sentence that says so;
 *   - a checkpoint whose parent is in another folder opens in its child
 *     (its chain is granted; Landlock would otherwise refuse the parent),
 *     and the parent stays byte-identical.
 */
#include <config.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/sandbox.h"
#include "servicing/services_child.h"
#include "servicing/services_set.h"
#include "tests/lib/hvotest.h"
#include "vhdx/vhdx.h"

#define NIMG 3

static char img[NIMG][4200];

static int find_images(void **state)
{
	(void)state;
	static const char *const names[NIMG] = { "ws2012-x64.vhdx",
						 "win7-x86.vhdx",
						 "ws2012-4k.vhdx" };
	const char *dir = hvo_test_builddir();
	int missing = 0;
	for (int i = 0; i < NIMG; i++) {
		snprintf(img[i], sizeof(img[i]), "%s/tests/fixtures/images/%s",
			 dir, names[i]);
		missing += access(img[i], R_OK) != 0;
	}
	if (missing > 0)
		fprintf(stderr,
			"%d of the test images not built in %s "
			"(make fixture-images)\n",
			missing, dir);
	return missing > 0 ? -1 : 0;
}

/* One run: per image, what its step found and what came back. */
enum misbehave { BEHAVE = 0, CRASH, GARBAGE };

struct run {
	enum misbehave how[NIMG];
	/* child side */
	enum hvo_exit exit[NIMG];
	struct svc_services_result res[NIMG];
	/* parent side */
	bool got[NIMG];
	char why[NIMG][512];
	struct svc_services_result back[NIMG];
	size_t order[NIMG], norder;
};

static void step(void *opaque, size_t i, struct svc_manage *m, bool opened,
		 const char *dir)
{
	struct run *r = opaque;
	if (r->how[i] == CRASH)
		raise(SIGSEGV);
	struct guest_fs *fs = NULL;
	struct svc_error err = { 0 };
	if (!opened) {
		r->exit[i] = HVO_EXIT_FAILED;
		return;
	}
	r->exit[i] = svc_exit_class(svc_manage_fs(m, 0, false, &fs, &err));
	if (r->exit[i] != HVO_EXIT_OK) {
		fprintf(stderr, "image %zu: %s\n", i, svc_int_errtext(&err));
		svc_int_error_clear(&err);
		return;
	}
	struct svc_services_opts so = { .image = img[i],
					.systemroot = m->facts[0].systemroot,
					.tmpdir = dir };
	r->exit[i] = svc_services_run(fs, &so, &r->res[i]);
}

static void put(void *opaque, size_t i, bool closed_ok, struct svc_mwire *w)
{
	struct run *r = opaque;
	assert_true(closed_ok);
	if (r->how[i] == GARBAGE) {
		svc_int_mw_u(w, 1);
		svc_int_mw_u(w, UINT64_MAX); /* a length past the end */
		return;
	}
	svc_int_mw_u(w, r->exit[i]);
	svc_int_mw_services(w, &r->res[i]);
}

static void get(void *opaque, size_t i, struct svc_mread *rd, const char *why)
{
	struct run *r = opaque;
	/* A result handed over that does not add up comes back with its
	 * reason: one image, twice in a row. */
	if (r->norder == 0 || r->order[r->norder - 1] != i)
		r->order[r->norder++] = i;
	svc_services_result_free(&r->back[i]);
	if (rd == NULL) {
		r->got[i] = false;
		snprintf(r->why[i], sizeof(r->why[i]), "%s", why);
		return;
	}
	r->got[i] = true;
	r->exit[i] = (enum hvo_exit)svc_int_mr_max(rd, HVO_EXIT_WARNING);
	svc_int_mr_services(rd, &r->back[i]);
}

static void run_images(struct run *r, const char *const *images, size_t n,
		       unsigned jobs, long forbidden)
{
	char *tmp = hvo_test_mkdtemp();
	struct svc_run_opts ro = { .guest = { .backend = "native" } };
	const struct svc_manage_jobs j = {
		.ro = &ro,
		.images = images,
		.n = n,
		.jobs = jobs,
		.tmpdir = tmp,
		.step = step,
		.put = put,
		.get = get,
		.opaque = r,
		.test_forbidden_call = forbidden,
	};
	assert_int_equal(svc_manage_children(&j), 0);
	hvo_test_rmtree(tmp);
	free(tmp);
	/* Collected in the order given, once each. */
	assert_int_equal(r->norder, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(r->order[i], i);
}

static void run_free(struct run *r)
{
	for (int i = 0; i < NIMG; i++)
		svc_services_result_free(&r->back[i]);
}

/* The service named @name in @l, or NULL. */
static const struct svc_ic_service *find(const struct svc_ic_list *l,
					 const char *name)
{
	return svc_ic_find(l, name);
}

/* Both NULL or the same text. */
static bool same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void test_jobs2_three_images_in_order(void **state)
{
	(void)state;
	struct run r = { 0 };
	const char *const images[NIMG] = { img[0], img[1], img[2] };
	run_images(&r, images, NIMG, 2, -1);
	for (int i = 0; i < NIMG; i++) {
		assert_true(r.got[i]);
		assert_int_equal(r.exit[i], HVO_EXIT_OK);
		assert_non_null(r.back[i].list.v);
		assert_true(r.back[i].list.n > 0);
	}
	/* ws2012-x64 and its 4 KiB copy: current control set 2 (the
	 * recipe's Select\Current), vmbus boot start, binary present. */
	for (int i = 0; i < NIMG; i += 2) {
		assert_int_equal(r.back[i].list.control_set, 2);
		const struct svc_ic_service *s = find(&r.back[i].list, "vmbus");
		assert_non_null(s);
		assert_true(s->driver && s->start_known);
		assert_int_equal(s->start, 0);
		assert_true(s->binary_checked && s->binary_present);
	}
	/* The same list as a read in this process gives: the child's
	 * result, carried over whole. */
	for (int i = 0; i < NIMG; i++) {
		char *tmp = hvo_test_mkdtemp();
		struct svc_run_opts ro = { .guest = { .backend = "native" },
					   .tmpdir = tmp };
		const char *const one[1] = { img[i] };
		struct svc_manage m;
		assert_int_equal(svc_manage_open(&ro, false, one, 1, &m), 0);
		struct guest_fs *fs;
		assert_int_equal(svc_manage_fs(&m, 0, false, &fs, NULL),
				 SVC_OK);
		struct svc_services_opts so = { .image = img[i],
						.systemroot =
							m.facts[0].systemroot,
						.tmpdir = tmp };
		struct svc_services_result here = { 0 };
		assert_int_equal(svc_services_run(fs, &so, &here), HVO_EXIT_OK);
		const struct svc_ic_list *a = &r.back[i].list, *b = &here.list;
		assert_int_equal(a->control_set, b->control_set);
		assert_int_equal(a->n, b->n);
		for (size_t k = 0; k < a->n; k++) {
			assert_string_equal(a->v[k].name, b->v[k].name);
			assert_ptr_equal(a->v[k].hyperv_name,
					 b->v[k].hyperv_name);
			assert_true(same(a->v[k].display_name,
					 b->v[k].display_name));
			assert_true(same(a->v[k].binary, b->v[k].binary));
			assert_int_equal(a->v[k].start, b->v[k].start);
			assert_int_equal(a->v[k].trigger, b->v[k].trigger);
			assert_int_equal(a->v[k].binary_present,
					 b->v[k].binary_present);
		}
		svc_services_result_free(&here);
		svc_manage_close(&m);
		hvo_test_rmtree(tmp);
		free(tmp);
	}
	run_free(&r);
}

static void test_failing_children_fail_their_image_only(void **state)
{
	(void)state;
	/* A forbidden call (image 0), a crash (image 1), bytes that do not
	 * add up (image 2), each in a run of its own with a good image. */
	for (int bad = 0; bad < NIMG; bad++) {
		struct run r = { 0 };
		const char *const images[2] = { img[bad == 0 ? 0 : 1],
						img[bad == 0 ? 1 : 0] };
		size_t badi = bad == 0 ? 0 : 1;
		if (bad == 1)
			r.how[badi] = CRASH;
		if (bad == 2)
			r.how[badi] = GARBAGE;
		run_images(&r, images, 2, 2, bad == 0 ? 0 : -1);
		size_t good = 1 - badi;
		assert_true(r.got[good]);
		assert_int_equal(r.exit[good], HVO_EXIT_OK);
		assert_non_null(r.back[good].list.v);
		if (bad == 2) {
			/* It was handed to get(), then failed: the runner
			 * calls get() again with the reason. */
			assert_false(r.got[badi]);
			assert_non_null(strstr(r.why[badi], "cannot be read"));
		} else {
			assert_false(r.got[badi]);
			assert_non_null(strstr(
				r.why[badi], bad == 0 ? "SIGSYS" : "SIGSEGV"));
		}
		run_free(&r);
	}
}

static void test_checkpoint_parent_in_another_folder(void **state)
{
	(void)state;
	if (guest_sandbox_landlock() == 0) {
		/* Without Landlock nothing confines the paths: the test
		 * cannot tell the fix from its absence. */
		fprintf(stderr, "no Landlock on this kernel\n");
		skip();
	}
	char *tmp = hvo_test_mkdtemp();
	char base_dir[4300], snap_dir[4300], base[4400], snap[4400];
	snprintf(base_dir, sizeof(base_dir), "%s/base", tmp);
	snprintf(snap_dir, sizeof(snap_dir), "%s/snaps", tmp);
	assert_int_equal(mkdir(base_dir, 0700), 0);
	assert_int_equal(mkdir(snap_dir, 0700), 0);
	snprintf(base, sizeof(base), "%s/base.vhdx", base_dir);
	snprintf(snap, sizeof(snap), "%s/snap.avhdx", snap_dir);
	char cmd[9000];
	snprintf(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s'", img[0],
		 base);
	assert_int_equal(system(cmd), 0);
	struct vhdx_create_opts co = { .type = VHDX_TYPE_DIFFERENCING,
				       .parent_path = base };
	assert_int_equal(vhdx_create(snap, &co, NULL), VHDX_OK);
	char before[65];
	hvo_test_sha256_file(base, before);

	struct run r = { 0 };
	const char *const images[1] = { snap };
	run_images(&r, images, 1, 1, -1);
	assert_true(r.got[0]);
	assert_int_equal(r.exit[0], HVO_EXIT_OK);
	assert_int_equal(r.back[0].list.control_set, 2);
	assert_non_null(find(&r.back[0].list, "vmbus"));
	hvo_test_expect_sha256(base, before);
	run_free(&r);
	hvo_test_rmtree(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobs2_three_images_in_order),
		cmocka_unit_test(test_failing_children_fail_their_image_only),
		cmocka_unit_test(test_checkpoint_parent_in_another_folder),
	};
	return cmocka_run_group_tests(tests, find_images, NULL);
}

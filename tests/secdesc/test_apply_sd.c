/*
 * test_apply_sd.c - the security descriptors apply gives what it creates
 * or replaces (src/servicing/apply_sd.c), on the host-directory backend,
 * whose descriptors live in a user extended attribute.
 *
 * A synthetic plan writes into a tree whose folders carry Windows-like
 * descriptors; each rule is checked against descriptors written out by
 * hand here (Windows' inheritance as icacls shows it on a real system),
 * not against our inheritance code:
 *
 *   manifest   a file with a manifest SDDL carries that SDDL;
 *   previous   a replaced file keeps its descriptor, byte for byte;
 *   inherited  a new file, and each new directory, inherit from their
 *              parent (OI/CI/IO/ID, CREATOR OWNER, generic rights mapped,
 *              non-inheritable ACEs left behind);
 *
 * then verify finds a changed descriptor, the record keeps the previous
 * one, and a tree without descriptors is reported as skipped.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "secdesc/sd.h"
#include "servicing/apply.h"
#include "servicing/plan.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "util/sha256.h"

#define TI "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

/* Windows: CREATOR OWNER and Users pass generic rights down, SYSTEM
 * full control everywhere, Users' own read not inheritable. */
#define SD_WINDOWS                                                           \
	"O:" TI "G:SYD:PAI(A;OICIIO;GA;;;CO)(A;OICI;FA;;;SY)(A;;0x1200a9;;;" \
	"BU)(A;OICIIO;GXGR;;;BU)"
/* A new folder in it (effective ACE, then the inherit-only copy). */
#define SD_NEWDIR                              \
	"O:" TI "G:SYD:AI(A;ID;FA;;;" TI       \
	")(A;OICIIOID;GA;;;CO)(A;OICIID;FA;;;" \
	"SY)(A;ID;0x1200a9;;;BU)(A;OICIIOID;GXGR;;;BU)"
/* A new file in such a new folder. */
#define SD_NEWDIR_FILE \
	"O:" TI "G:SYD:AI(A;ID;FA;;;" TI ")(A;ID;FA;;;SY)(A;ID;0x1200a9;;;BU)"
/* System32\drivers as the issue describes it. */
#define SD_DRIVERS                                                             \
	"O:" TI "G:SYD:PAI(A;;FA;;;" TI ")(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;" \
	"OICI;0x1200a9;;;BU)"
/* A new file in it: the inheritable ACEs only, marked inherited. */
#define SD_DRIVERS_FILE \
	"O:" TI "G:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)"
/* A file as Windows' servicing leaves it: TrustedInstaller's. */
#define SD_OLD                                                               \
	"O:" TI "G:SYD:PAI(A;;FA;;;" TI ")(A;;0x1200a9;;;SY)(A;;0x1200a9;;;" \
	"BA)(A;;0x1200a9;;;BU)"
/* The manifest's (protected: nothing inherited). */
#define SD_MANIFEST "O:BAG:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)"
/* hvoffline's record folder and the files in it: SYSTEM and
 * Administrators only, protected, whatever Logs passes on. */
#define SD_STORE_DIR  "O:BAG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
#define SD_STORE_FILE "O:BAG:SYD:P(A;;FA;;;SY)(A;;FA;;;BA)"

/* The guest of one test: the tree, mounted read-write. */
struct guest {
	struct guest_disk *disk;
	struct guest_fs *fs;
};

static int setup(void **state)
{
	hvo_fg_begin();
	hvo_fg_sh("mkdir -p vol/Windows/System32/drivers vol/Windows/Logs "
		  "vol/Windows/hvoffline && "
		  "printf old >vol/Windows/System32/drivers/old.sys");
	/* Skipped where the test directory's filesystem has no user
	 * extended attributes. */
	char probe[4200];
	snprintf(probe, sizeof(probe),
		 "setfattr -n user.hvo.probe -v 1 '%s' 2>/dev/null",
		 hvo_fg_at("vol"));
	if (!hvo_test_have_program("setfattr") || system(probe) != 0) {
		hvo_fg_end();
		skip();
	}
	static struct guest g;
	memset(&g, 0, sizeof(g));
	hvo_fg_disk_open("vol", &g.disk);
	assert_int_equal(guest_disk_mount(g.disk, 0, false, &g.fs), GUEST_OK);
	*state = &g;
	return 0;
}

static int teardown(void **state)
{
	struct guest *g = *state;
	guest_disk_close(g->disk);
	hvo_fg_end();
	return 0;
}

/* Gives @path the descriptor of @sddl. */
static void set_sddl(struct guest_fs *fs, const char *path, const char *sddl)
{
	struct sd *d;
	uint8_t *b;
	size_t len;
	assert_int_equal(sd_from_sddl(sddl, &d, NULL), SD_OK);
	assert_int_equal(sd_to_self_relative(d, &b, &len), SD_OK);
	assert_int_equal(guest_fs_set_sd(fs, path, b, len), GUEST_OK);
	sd_free(d);
	free(b);
}

/* Asserts that @path's descriptor says what @sddl says. */
static void check_sddl(struct guest_fs *fs, const char *path, const char *sddl)
{
	uint8_t *got, *want;
	size_t glen, wlen;
	struct sd *g, *w;
	assert_int_equal(guest_fs_get_sd(fs, path, &got, &glen), GUEST_OK);
	assert_int_equal(sd_from_self_relative(got, glen, &g, NULL), SD_OK);
	assert_int_equal(sd_from_sddl(sddl, &w, NULL), SD_OK);
	uint8_t *ge;
	size_t gelen;
	assert_int_equal(sd_to_self_relative(g, &ge, &gelen), SD_OK);
	assert_int_equal(sd_to_self_relative(w, &want, &wlen), SD_OK);
	if (gelen != wlen || memcmp(ge, want, wlen) != 0) {
		char *gs = sd_to_sddl(g), *ws = sd_to_sddl(w);
		fail_msg("%s:\n  got  %s\n  want %s", path, gs, ws);
	}
	free(got);
	free(ge);
	free(want);
	sd_free(g);
	sd_free(w);
}

/* Asserts that SDDL text @text (a verify difference) says what @sddl
 * says. */
static void expect_sddl_text(const char *text, const char *sddl)
{
	struct sd *a, *b;
	uint8_t *ab, *bb;
	size_t al, bl;
	if (sd_from_sddl(text, &a, NULL) != SD_OK)
		fail_msg("not SDDL: %s", text);
	assert_int_equal(sd_from_sddl(sddl, &b, NULL), SD_OK);
	assert_int_equal(sd_to_self_relative(a, &ab, &al), SD_OK);
	assert_int_equal(sd_to_self_relative(b, &bb, &bl), SD_OK);
	if (al != bl || memcmp(ab, bb, al) != 0)
		fail_msg("got  %s\n  want %s", text, sddl);
	free(ab);
	free(bb);
	sd_free(a);
	sd_free(b);
}

/* The plan: four files from text, and the record. */
struct test_plan {
	struct svc_plan p;
	struct svc_plan_file f[5];
};

static void text_file(struct svc_plan_file *f, const char *dest,
		      const char *text, const char *sddl)
{
	memset(f, 0, sizeof(*f));
	f->dest = (char *)dest;
	f->source = SVC_SRC_TEXT;
	f->role = SVC_ROLE_INSTALL;
	f->text = (uint8_t *)text;
	f->text_len = strlen(text);
	f->has_sha256 = true;
	hvo_int_sha256_buf(f->text, f->text_len, f->sha256);
	f->size = f->text_len;
	f->origin = (char *)"test";
	f->sddl = (char *)sddl;
}

/* The SDDL own.dll's manifest gives (a bad one for test_bad_sddl). */
static const char *bad_sddl;

static void make_plan(struct test_plan *t)
{
	memset(t, 0, sizeof(*t));
	t->p.image = (char *)"guest.vhdx";
	t->p.package = (char *)"Test-Package";
	t->p.version = (char *)"1.0";
	t->p.package_id = (char *)"Test-Package~31bf3856ad364e35~amd64~~1.0";
	t->p.systemroot = (char *)"Windows";
	t->p.record = (char *)"Windows\\Logs\\hvoffline\\apply-test.json";
	text_file(&t->f[0], "Windows\\System32\\drivers\\new.sys", "new", NULL);
	text_file(&t->f[1], "Windows\\System32\\drivers\\old.sys", "newer",
		  NULL);
	text_file(&t->f[2], "Windows\\System32\\drivers\\own.dll", "own",
		  bad_sddl ? bad_sddl : SD_MANIFEST);
	text_file(&t->f[3], "Windows\\NewDir\\Sub\\x.txt", "x", NULL);
	t->f[4] = (struct svc_plan_file){ .dest = t->p.record,
					  .source = SVC_SRC_RECORD,
					  .role = SVC_ROLE_RECORD,
					  .origin = (char *)"record" };
	t->p.files = t->f;
	t->p.nfiles = 5;
}

/* Applies the test plan (made in @t) to @g; the apply must end with
 * @want. */
static void run_apply(struct guest *g, struct test_plan *t,
		      struct svc_apply_result *r, enum svc_err want)
{
	make_plan(t);
	hvo_fg_sh("rm -rf work; mkdir work");
	/* Text files and the record: no package to extract from. */
	struct svc_apply_opts ao = { .tmpdir = hvo_fg_at("work") };
	enum svc_err e = svc_apply(g->fs, &t->p, &ao, r);
	if (e != want)
		fail_msg("apply: %d, wanted %d: %s", e, want,
			 svc_apply_errmsg(r));
}

static void test_rules(void **state)
{
	struct guest *g = *state;
	set_sddl(g->fs, "", "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)");
	set_sddl(g->fs, "Windows", SD_WINDOWS);
	set_sddl(g->fs, "Windows\\Logs", SD_WINDOWS);
	set_sddl(g->fs, "Windows\\System32", SD_WINDOWS);
	set_sddl(g->fs, "Windows\\System32\\drivers", SD_DRIVERS);
	set_sddl(g->fs, "Windows\\System32\\drivers\\old.sys", SD_OLD);
	uint8_t *old_bytes;
	size_t old_len;
	assert_int_equal(guest_fs_get_sd(g->fs,
					 "Windows\\System32\\drivers\\old.sys",
					 &old_bytes, &old_len),
			 GUEST_OK);

	struct test_plan t;
	struct svc_apply_result r;
	run_apply(g, &t, &r, SVC_OK);
	assert_int_equal(r.verify.ndiffs, 0);
	assert_int_equal(r.sds_skipped, 0);
	assert_null(r.sd_skip_reason);
	/* 5 files, 3 directories (Logs\hvoffline, NewDir, NewDir\Sub). */
	assert_int_equal(r.dirs_created, 3);
	assert_int_equal(r.sds_set, 8);

	check_sddl(g->fs, "Windows\\System32\\drivers\\new.sys",
		   SD_DRIVERS_FILE);
	assert_string_equal(r.files[0].sd_rule, "inherited");
	/* Replaced: the very bytes it had. */
	uint8_t *b;
	size_t len;
	assert_int_equal(guest_fs_get_sd(g->fs,
					 "Windows\\System32\\drivers\\old.sys",
					 &b, &len),
			 GUEST_OK);
	assert_int_equal(len, old_len);
	assert_memory_equal(b, old_bytes, len);
	free(b);
	assert_string_equal(r.files[1].sd_rule, "previous");
	assert_non_null(r.files[1].prev_sd);
	assert_memory_equal(r.files[1].prev_sd, old_bytes, old_len);
	check_sddl(g->fs, "Windows\\System32\\drivers\\own.dll", SD_MANIFEST);
	assert_string_equal(r.files[2].sd_rule, "manifest");
	check_sddl(g->fs, "Windows\\NewDir", SD_NEWDIR);
	check_sddl(g->fs, "Windows\\NewDir\\Sub", SD_NEWDIR);
	check_sddl(g->fs, "Windows\\NewDir\\Sub\\x.txt", SD_NEWDIR_FILE);
	/* The record folder, the record and the undo data: the store's. */
	check_sddl(g->fs, "Windows\\Logs\\hvoffline", SD_STORE_DIR);
	check_sddl(g->fs, "Windows\\Logs\\hvoffline\\apply-test.json",
		   SD_STORE_FILE);
	assert_string_equal(r.files[4].sd_rule, "store");
	char *undo = hvo_fg_line("cd vol/Windows/Logs/hvoffline && ls *.undo");
	char upath[300];
	snprintf(upath, sizeof(upath), "Windows\\Logs\\hvoffline\\%s", undo);
	check_sddl(g->fs, upath, SD_STORE_FILE);
	/* The undo data names each rule (the record's folder, the two new
	 * directories, the four files and the record). */
	char *rules = hvo_fg_out(
		"cd vol/Windows/Logs/hvoffline && grep '^sd ' %s | "
		"cut -d' ' -f3,4 | LC_ALL=C sort | uniq -c | tr -s ' '",
		undo);
	assert_string_equal(rules, " 2 inherited dir\n 2 inherited file\n"
				   " 1 manifest file\n 1 previous file\n"
				   " 1 store dir\n 1 store file\n");
	free(rules);
	free(undo);
	/* The record keeps the replaced file's previous descriptor. */
	assert_non_null(
		strstr(r.record_json, "\"previous_security_descriptor\""));
	char *sddl_old = NULL;
	struct sd *d;
	assert_int_equal(sd_from_self_relative(old_bytes, old_len, &d, NULL),
			 SD_OK);
	sddl_old = sd_to_sddl(d);
	assert_non_null(strstr(r.record_json, sddl_old));
	free(sddl_old);
	sd_free(d);

	/* verify, as apply ran it, finds a descriptor changed since. */
	set_sddl(g->fs, "Windows\\System32\\drivers\\new.sys",
		 "O:BAG:BAD:(A;;FA;;;WD)");
	struct svc_verify_opts vo = { .tmpdir = hvo_fg_at("work"),
				      .changes = r.files };
	struct svc_verify_result vr;
	assert_int_equal(svc_verify(g->fs, &t.p, &vo, &vr), SVC_OK);
	assert_int_equal(vr.ndiffs, 1);
	assert_string_equal(vr.diffs[0].what, "security descriptor of "
					      "Windows\\System32\\drivers\\"
					      "new.sys");
	assert_non_null(strstr(vr.diffs[0].found, "WD"));
	svc_verify_result_free(&vr);
	/* verify on its own computes every descriptor again by the rule
	 * the undo data names: the inherited new.sys is found changed,
	 * with the SDDL expected and found. */
	vo.changes = NULL;
	vo.manifest_sds = true;
	assert_int_equal(svc_verify(g->fs, &t.p, &vo, &vr), SVC_OK);
	assert_int_equal(vr.ndiffs, 1);
	assert_string_equal(vr.diffs[0].what, "security descriptor of "
					      "Windows\\System32\\drivers\\"
					      "new.sys");
	expect_sddl_text(vr.diffs[0].expected, SD_DRIVERS_FILE);
	expect_sddl_text(vr.diffs[0].found, "O:BAG:BAD:(A;;FA;;;WD)");
	svc_verify_result_free(&vr);
	/* Each rule: previous (old.sys), manifest (own.dll), inherited by
	 * a directory (NewDir\Sub), store (the record). */
	set_sddl(g->fs, "Windows\\System32\\drivers\\new.sys", SD_DRIVERS_FILE);
	set_sddl(g->fs, "Windows\\System32\\drivers\\old.sys", SD_DRIVERS_FILE);
	set_sddl(g->fs, "Windows\\System32\\drivers\\own.dll",
		 "O:BAG:BAD:(A;;FA;;;BU)");
	set_sddl(g->fs, "Windows\\NewDir\\Sub", SD_WINDOWS);
	set_sddl(g->fs, "Windows\\Logs\\hvoffline\\apply-test.json",
		 SD_NEWDIR_FILE);
	assert_int_equal(svc_verify(g->fs, &t.p, &vo, &vr), SVC_OK);
	assert_int_equal(vr.ndiffs, 4);
	static const struct {
		const char *path, *want;
	} four[] = {
		{ "Windows\\NewDir\\Sub", SD_NEWDIR },
		{ "Windows\\System32\\drivers\\old.sys", SD_OLD },
		{ "Windows\\System32\\drivers\\own.dll", SD_MANIFEST },
		{ "Windows\\Logs\\hvoffline\\apply-test.json", SD_STORE_FILE },
	};
	for (size_t k = 0; k < 4; k++) {
		char what[300];
		snprintf(what, sizeof(what), "security descriptor of %s",
			 four[k].path);
		size_t j = 0;
		while (j < vr.ndiffs && strcmp(vr.diffs[j].what, what) != 0)
			j++;
		if (j == vr.ndiffs)
			fail_msg("no difference for %s", four[k].path);
		expect_sddl_text(vr.diffs[j].expected, four[k].want);
	}
	svc_verify_result_free(&vr);
	/* Put back, clean again. */
	set_sddl(g->fs, "Windows\\System32\\drivers\\old.sys", SD_OLD);
	set_sddl(g->fs, "Windows\\System32\\drivers\\own.dll", SD_MANIFEST);
	set_sddl(g->fs, "Windows\\NewDir\\Sub", SD_NEWDIR);
	set_sddl(g->fs, "Windows\\Logs\\hvoffline\\apply-test.json",
		 SD_STORE_FILE);
	assert_int_equal(svc_verify(g->fs, &t.p, &vo, &vr), SVC_OK);
	assert_int_equal(vr.ndiffs, 0);
	svc_verify_result_free(&vr);
	/* Without undo data (a guest serviced before the rules were
	 * recorded), the manifest's SDDL is still checked. */
	hvo_fg_sh("rm vol/Windows/Logs/hvoffline/*.undo");
	set_sddl(g->fs, "Windows\\System32\\drivers\\own.dll",
		 "O:BAG:BAD:(A;;FA;;;BU)");
	set_sddl(g->fs, "Windows\\System32\\drivers\\new.sys",
		 "O:BAG:BAD:(A;;FA;;;WD)");
	assert_int_equal(svc_verify(g->fs, &t.p, &vo, &vr), SVC_OK);
	assert_int_equal(vr.ndiffs, 1);
	assert_non_null(strstr(vr.diffs[0].what, "own.dll"));
	svc_verify_result_free(&vr);
	vo.manifest_sds = false;
	assert_int_equal(svc_verify(g->fs, &t.p, &vo, &vr), SVC_OK);
	assert_int_equal(vr.ndiffs, 0);
	svc_verify_result_free(&vr);

	free(old_bytes);
	svc_apply_result_free(&r);
}

/* No descriptor anywhere: apply succeeds and says what it skipped. */
static void test_skipped(void **state)
{
	struct guest *g = *state;
	struct test_plan t;
	struct svc_apply_result r;
	run_apply(g, &t, &r, SVC_OK);
	/* The manifest's SDDL and the store's (the record's folder and
	 * the record) are still given. */
	assert_int_equal(r.sds_set, 3);
	assert_int_equal(r.sds_skipped, 5);
	assert_string_equal(r.files[2].sd_rule, "manifest");
	assert_non_null(r.sd_skip_reason);
	assert_non_null(strstr(r.sd_skip_reason, "no security descriptor"));
	assert_null(r.files[0].sd_rule);
	svc_apply_result_free(&r);
}

/* A manifest SDDL that does not parse fails the apply, which leaves
 * the tree as it was. */
static void test_bad_sddl(void **state)
{
	struct guest *g = *state;
	set_sddl(g->fs, "Windows\\System32\\drivers", SD_DRIVERS);
	char *before = hvo_fg_out("cd vol && find . | LC_ALL=C sort");
	struct test_plan t;
	struct svc_apply_result r;
	bad_sddl = "D:(A;;FA;;;NOTASID)";
	run_apply(g, &t, &r, SVC_ERR_CORRUPT);
	bad_sddl = NULL;
	assert_non_null(strstr(svc_apply_errmsg(&r), "own.dll"));
	assert_true(r.rolled_back);
	char *after = hvo_fg_out("cd vol && find . | LC_ALL=C sort");
	assert_string_equal(before, after);
	free(before);
	free(after);
	svc_apply_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sddl, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

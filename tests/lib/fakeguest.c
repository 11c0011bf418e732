/*
 * fakeguest.c - fake guests for the servicing tests (see fakeguest.h).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "guest/guest.h"
#include "servicing/services_set.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"

static char *dir; /* the current test's directory */

const char *hvo_fg_begin(void)
{
	dir = hvo_test_mkdtemp();
	hvo_fg_sh("mkdir -p scratch");
	return dir;
}

void hvo_fg_end(void)
{
	hvo_test_rmtree(dir);
	free(dir);
	dir = NULL;
}

int hvo_fg_setup(void **state)
{
	const char *const *programs = *state;
	for (size_t i = 0; programs && programs[i]; i++)
		if (!hvo_test_have_program(programs[i]))
			skip();
	hvo_fg_begin();
	return 0;
}

int hvo_fg_teardown(void **state)
{
	(void)state;
	hvo_fg_end();
	return 0;
}

char *hvo_fg_at(const char *rel)
{
	static char buf[8][4096];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, rel);
	return buf[i];
}

static char *run(bool capture, const char *fmt, va_list ap)
{
	char *cmd, *full, *o = NULL;
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	if (asprintf(&full, "set -e; cd '%s'; %s", dir, cmd) < 0)
		abort();
	int r = hvo_test_run(full, capture ? &o : NULL);
	if (r != 0)
		fail_msg("command failed (%d): %s", r, cmd);
	free(full);
	free(cmd);
	return o;
}

void hvo_fg_sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	run(false, fmt, ap);
	va_end(ap);
}

char *hvo_fg_out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *o = run(true, fmt, ap);
	va_end(ap);
	return o;
}

void hvo_fg_expect(const char *want, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *o = run(true, fmt, ap);
	va_end(ap);
	static char got[4096]; /* outlives the test's failure message */
	snprintf(got, sizeof(got), "%s", o);
	free(o);
	assert_string_equal(got, want);
}

char *hvo_fg_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *o = run(true, fmt, ap);
	va_end(ap);
	size_t n = strlen(o);
	while (n > 0 && o[n - 1] == '\n')
		o[--n] = '\0';
	return o;
}

void hvo_fg_merge(const char *hive, const char *root, const char *reg)
{
	hvo_test_write_file(hvo_fg_at("merge.reg"), reg, strlen(reg));
	hvo_fg_sh("hivexregedit --merge '%s' --prefix 'HKEY_LOCAL_MACHINE\\%s' "
		  "merge.reg; rm -f merge.reg",
		  hive, root);
}

char *hvo_fg_hivexget(const char *hive, const char *key, const char *value)
{
	return hvo_fg_line("hivexget '%s' '%s' '%s'", hive, key, value);
}

void hvo_fg_hive(const char *recipe, const char *dest)
{
	const char *prefix = strstr(recipe, "software") ? "SOFTWARE" : "SYSTEM";
	hvo_fg_sh("cp '%s' '%s'; chmod u+w '%s';"
		  "hivexregedit --merge '%s' --prefix 'HKEY_LOCAL_MACHINE\\%s' "
		  "'%s/tests/fixtures/reg/%s.reg'",
		  hvo_fixture("hive/hivex/minimal"), dest, dest, dest, prefix,
		  hvo_test_srcdir(), recipe);
}

void hvo_fg_pe(const char *machine, const char *version, const char *dest)
{
	if (version != NULL)
		hvo_fg_sh("python3 '%s/tests/fixtures/mkpe.py' --machine %s "
			  "--version %s --string FileVersion=%s -o '%s'",
			  hvo_test_srcdir(), machine, version, version, dest);
	else
		hvo_fg_sh("python3 '%s/tests/fixtures/mkpe.py' --machine %s "
			  "-o '%s'",
			  hvo_test_srcdir(), machine, dest);
}

void hvo_fg_windows(const char *vol, const char *root, const char *name,
		    const char *machine, const char *kernel_version,
		    const char *vmbus)
{
	hvo_fg_sh("mkdir -p '%s/%s/System32/config' '%s/%s/System32/drivers' "
		  "'%s/%s/servicing/Packages'",
		  vol, root, vol, root, vol, root);
	char dst[512], rec[128];
	snprintf(dst, sizeof(dst), "%s/%s/System32/config/SOFTWARE", vol, root);
	snprintf(rec, sizeof(rec), "%s-software", name);
	hvo_fg_hive(rec, dst);
	snprintf(dst, sizeof(dst), "%s/%s/System32/config/SYSTEM", vol, root);
	snprintf(rec, sizeof(rec), "%s-system", name);
	hvo_fg_hive(rec, dst);
	snprintf(dst, sizeof(dst), "%s/%s/System32/ntoskrnl.exe", vol, root);
	hvo_fg_pe(machine, kernel_version, dst);
	if (vmbus != NULL) {
		snprintf(dst, sizeof(dst), "%s/%s/System32/drivers/vmbus.sys",
			 vol, root);
		hvo_fg_pe(machine, vmbus, dst);
	}
}

void hvo_fg_packages(const char *const *packages)
{
	for (size_t i = 0; packages && packages[i]; i++)
		hvo_fg_sh("touch 'vol/Windows/servicing/Packages/%s.mum'",
			  packages[i]);
}

void hvo_fg_ws2012(void)
{
	static const char *const packages[] = {
		"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~"
		"6.2.9200.16384",
		"Microsoft-Hyper-V-Guest-Integration-Drivers-Package~"
		"31bf3856ad364e35~amd64~~6.2.9200.16384",
		NULL
	};
	hvo_fg_windows("vol", "Windows", "ws2012-x64", "amd64",
		       "6.2.9200.16384", "6.2.9200.16384");
	hvo_fg_packages(packages);
}

void hvo_fg_dirty_system(const char *vol)
{
	if (hvo_test_fixtures() == NULL)
		skip();
	hvo_fg_sh("mkdir -p '%s/Windows/System32/config'", vol);
	static const char *const parts[][2] = {
		{ "SYSTEM_B.xz", "SYSTEM" },
		{ "SYSTEM_B.LOG1.xz", "SYSTEM.LOG1" },
		{ "SYSTEM_B.LOG2.xz", "SYSTEM.LOG2" },
	};
	for (size_t i = 0; i < 3; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "hive/regipy/%s", parts[i][0]);
		/* hvo_fixture() returns a static buffer: one call a command. */
		hvo_fg_sh("xz -dc '%s' > '%s/Windows/System32/config/%s'",
			  hvo_fixture(rel), vol, parts[i][1]);
	}
}

struct guest_fs *hvo_fg_fs(const char *vol)
{
	struct guest_fs *fs;
	assert_int_equal(guest_hostdir_fs_open(hvo_fg_at(vol), false, &fs),
			 GUEST_OK);
	hvo_fg_sh("rm -rf scratch; mkdir scratch");
	return fs;
}

enum hvo_exit hvo_fg_rollback(bool force, struct svc_rollback_result *r)
{
	struct guest_fs *fs = hvo_fg_fs("vol");
	struct svc_rollback_opts o = { .image = "guest.vhdx",
				       .systemroot = "Windows",
				       .tmpdir = hvo_fg_at("scratch"),
				       .force = force };
	enum hvo_exit x = svc_rollback(fs, &o, r);
	guest_fs_close(fs);
	return x;
}

size_t hvo_fg_disable(const char *name)
{
	struct guest_fs *fs = hvo_fg_fs("vol");
	const char *dis[] = { name };
	struct svc_services_opts so = { .image = "g",
					.systemroot = "Windows",
					.tmpdir = hvo_fg_at("scratch"),
					.disable = dis,
					.ndisable = 1 };
	struct svc_services_result sr;
	assert_int_equal(svc_services_run(fs, &so, &sr), HVO_EXIT_OK);
	size_t n = sr.nchanged;
	svc_services_result_free(&sr);
	guest_fs_close(fs);
	return n;
}

/* ---- The servicing pipeline ---- */

struct guest_hostdir_disk hvo_fg_disk(struct guest_hostdir_volume *v,
				      const char *vol)
{
	*v = (struct guest_hostdir_volume){ .root = hvo_fg_at(vol),
					    .partnum = 1,
					    .size = 64 << 20,
					    .fstype = "ntfs",
					    .mbr_id = 0x07 };
	return (struct guest_hostdir_disk){ "guest.vhdx", GUEST_PTABLE_MBR,
					    64 << 20, 1, v };
}

struct guest_disk *hvo_fg_inspect(const struct guest_hostdir_disk *spec,
				  struct svc_facts *f)
{
	struct guest_disk *d;
	assert_int_equal(guest_hostdir_disk_open(spec, &d), GUEST_OK);
	svc_facts_init(f, spec->name);
	f->preflight_ok = true; /* the file checks are not under test */
	struct svc_inspect_opts o = { .tmpdir = hvo_fg_at("scratch") };
	assert_int_equal(svc_inspect_disk(d, &o, f), SVC_OK);
	svc_inspect_evaluate(f);
	return d;
}

void hvo_fg_guest_open(struct hvo_fg_guest *g, const char *cab, bool firstboot)
{
	memset(g, 0, sizeof(*g));
	struct guest_hostdir_volume vol;
	struct guest_hostdir_disk spec = hvo_fg_disk(&vol, "vol");
	g->disk = hvo_fg_inspect(&spec, &g->f);
	for (size_t i = 0; i < g->f.nproblems; i++)
		if (g->f.problems[i].exit != HVO_EXIT_OK)
			fail_msg("%s: %s", g->f.problems[i].code,
				 g->f.problems[i].message);
	assert_int_equal(g->f.verdict, HVO_EXIT_OK);
	snprintf(g->cab, sizeof(g->cab), "%s", hvo_fixture(cab));
	assert_int_equal(svc_source_package_load(g->cab, g->cab, &g->sp),
			 SVC_OK);
	/* The applicability decision apply makes. */
	struct svc_applicability a;
	assert_int_equal(svc_applicability(&g->f, &g->sp, 1, &a), SVC_OK);
	if (a.chosen != 0)
		fail_msg("not applicable: %s", a.summary);
	g->up_to_date = a.up_to_date;
	svc_applicability_free(&a);
	struct svc_plan_opts po = {
		.firstboot = firstboot,
		.now = 1764748800, /* 2025-12-03T08:00:00Z */
	};
	struct svc_error err = { 0 };
	if (svc_plan_build(&g->f, &g->sp, &po, &g->plan, &err) != SVC_OK)
		fail_msg("plan: %s", svc_int_errtext(&err));
	assert_int_equal(guest_disk_mount(g->disk, 0, false, &g->fs), GUEST_OK);
}

void hvo_fg_guest_close(struct hvo_fg_guest *g)
{
	svc_plan_free(g->plan);
	svc_source_package_free(&g->sp);
	svc_facts_free(&g->f);
	guest_disk_close(g->disk);
}

enum hvo_exit hvo_fg_guest_apply(struct hvo_fg_guest *g, unsigned fail_stage,
				 unsigned fail_switch,
				 struct svc_apply_result *r)
{
	hvo_fg_sh("rm -rf work; mkdir work");
	struct svc_apply_opts ao = { .tmpdir = hvo_fg_at("work"),
				     .pkg = g->sp.pkg,
				     .fail_stage_at = fail_stage,
				     .fail_switch_at = fail_switch };
	return svc_exit_class(svc_apply(g->fs, g->plan, &ao, r));
}

const struct svc_plan_reg *hvo_fg_plan_reg(const struct svc_plan *p,
					   enum svc_hive hive, const char *key,
					   const char *name)
{
	for (size_t i = 0; i < p->nregs; i++)
		if (p->regs[i].hive == hive &&
		    strcasecmp(p->regs[i].key, key) == 0 &&
		    strcasecmp(p->regs[i].name, name) == 0)
			return &p->regs[i];
	return NULL;
}

const struct svc_plan_file *hvo_fg_plan_file(const struct svc_plan *p,
					     const char *dest)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcasecmp(p->files[i].dest, dest) == 0)
			return &p->files[i];
	return NULL;
}

void hvo_fg_facts(struct svc_facts *f, const char *arch, unsigned major,
		  unsigned minor, unsigned build)
{
	svc_facts_init(f, "synthetic.vhdx");
	snprintf(f->format, sizeof(f->format), "vhdx");
	f->preflight_ok = true;
	f->disk_read = true;
	f->windows_found = true;
	f->windows_count = 1;
	f->windows_volume = 0;
	snprintf(f->systemroot, sizeof(f->systemroot), "Windows");
	f->product_name = strdup("Windows Server");
	snprintf(f->installation_type, sizeof(f->installation_type), "Server");
	snprintf(f->current_version, sizeof(f->current_version), "%u.%u", major,
		 minor);
	f->nt_major = major;
	f->nt_minor = minor;
	f->build = build;
	snprintf(f->arch, sizeof(f->arch), "%s", arch);
	f->current_control_set = 1;
	f->control_set_present = true;
	f->verdict = HVO_EXIT_OK;
}

void hvo_fg_facts_package(struct svc_facts *f, const char *name,
			  const char *arch, const char *version)
{
	struct svc_installed_package *v =
		realloc(f->packages, (f->npackages + 1) * sizeof(*v));
	if (v == NULL)
		abort();
	f->packages = v;
	struct svc_installed_package *p = &v[f->npackages++];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	p->token = strdup("31bf3856ad364e35");
	p->arch = strdup(arch);
	p->language = strdup("");
	p->version = strdup(version);
	if (!p->name || !p->token || !p->arch || !p->language || !p->version)
		abort();
	p->in_servicing = true;
	p->in_cbs = true;
	p->cbs_state = 0x70; /* installed */
}

void hvo_fg_facts_vmbus(struct svc_facts *f, const char *version)
{
	unsigned a, b, c, d;
	if (sscanf(version, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		fail_msg("bad version %s", version);
	f->vmbus_present = true;
	f->vmbus_version_known = true;
	f->vmbus_version.part[0] = (uint16_t)a;
	f->vmbus_version.part[1] = (uint16_t)b;
	f->vmbus_version.part[2] = (uint16_t)c;
	f->vmbus_version.part[3] = (uint16_t)d;
	snprintf(f->vmbus_version_string, sizeof(f->vmbus_version_string), "%s",
		 version);
}

void hvo_fg_disk_open(const char *vol, struct guest_disk **disk_ret)
{
	struct guest_hostdir_volume v;
	struct guest_hostdir_disk spec = hvo_fg_disk(&v, vol);
	assert_int_equal(guest_hostdir_disk_open(&spec, disk_ret), GUEST_OK);
}

struct guest_disk *hvo_fg_inspect_root(const char *root, const char *name,
				       struct svc_facts *f)
{
	struct guest_hostdir_volume vol = { .root = root,
					    .partnum = 1,
					    .size = 64 << 20,
					    .fstype = "ntfs",
					    .mbr_id = 0x07 };
	struct guest_hostdir_disk spec = { name, GUEST_PTABLE_MBR, 64 << 20, 1,
					   &vol };
	struct guest_disk *d;
	assert_int_equal(guest_hostdir_disk_open(&spec, &d), GUEST_OK);
	svc_facts_init(f, name);
	f->preflight_ok = true;
	hvo_fg_sh("rm -rf scratch && mkdir scratch");
	struct svc_inspect_opts io = { .tmpdir = hvo_fg_at("scratch") };
	svc_inspect_disk(d, &io, f);
	svc_inspect_evaluate(f);
	return d;
}

char *hvo_fg_plan_text(struct svc_plan *plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	assert_non_null(m);
	svc_plan_text(plan, m);
	assert_int_equal(fclose(m), 0);
	svc_plan_free(plan);
	return text;
}

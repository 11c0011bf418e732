/*
 * svctest.c - helpers shared by the unit tests of tests/servicing/ (see
 * svctest.h).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "servicing/inspect_report.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "tests/servicing/svctest.h"

/* ---- Host-directory guests ---- */

int svct_setup(void **state)
{
	static const char *const programs[] = { "hivexregedit", "hivexsh",
						"cabextract", "python3", NULL };
	*state = (void *)programs;
	return hvo_fg_setup(state);
}

int svct_setup_inspect(void **state)
{
	static const char *const programs[] = { "hivexregedit", "python3",
						NULL };
	*state = (void *)programs;
	return hvo_fg_setup(state);
}

void svct_win7(void)
{
	static const char *const packages[] = {
		"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~x86~~6."
		"1.7601.17514",
		NULL
	};
	hvo_fg_windows("vol", "Windows", "win7-x86", "i386", "6.2.9200.16384",
		       "6.2.9200.16433");
	hvo_fg_packages(packages);
}

void svct_windows(const char *vol, const char *root, const char *name,
		  const char *machine, const char *vmbus)
{
	hvo_fg_windows(vol, root, name, machine, "6.0.0.1", vmbus);
}

void svct_inspect(const struct guest_hostdir_disk *spec, struct svc_facts *f)
{
	guest_disk_close(hvo_fg_inspect(spec, f));
}

void svct_check_json_parses(const struct svc_facts *f)
{
	char *path = hvo_fg_at("report.json");
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	struct json_writer w;
	hvo_int_json_init(&w, out, true);
	hvo_int_json_begin_object(&w);
	svc_facts_json(f, &w);
	hvo_int_json_end_object(&w);
	assert_int_equal(hvo_int_json_finish(&w), 0);
	fclose(out);
	if (hvo_test_have_program("jq")) {
		char *cmd;
		if (asprintf(&cmd, "jq -e .status '%s' >/dev/null", path) < 0)
			abort();
		assert_int_equal(hvo_test_run(cmd, NULL), 0);
		free(cmd);
	}
}

struct guest_hostdir_volume svct_volume(const char *dir, unsigned partnum,
					uint64_t size)
{
	return (struct guest_hostdir_volume){
		.root = dir ? hvo_fg_at(dir) : NULL,
		.partnum = partnum,
		.size = size,
		.fstype = "ntfs",
		.mbr_id = 0x07,
	};
}

struct guest_hostdir_disk svct_one_volume(struct guest_hostdir_volume *v,
					  const char *name)
{
	v->partnum = 1;
	v->size = 8 << 20;
	if (v->fstype == NULL)
		v->fstype = "ntfs";
	v->mbr_id = 0x07;
	struct guest_hostdir_disk d = { name, GUEST_PTABLE_MBR, 8 << 20, 1, v };
	return d;
}

void svct_inspect_dir(const char *dir, const char *image, struct svc_facts *f)
{
	struct guest_hostdir_volume v = { .root = hvo_fg_at(dir) };
	struct guest_hostdir_disk spec = svct_one_volume(&v, image);
	svct_inspect(&spec, f);
}

char *svct_listing(void)
{
	return hvo_fg_out("cd vol && find . | LC_ALL=C sort && find . -type f "
			  "-print0 | LC_ALL=C sort -z | xargs -0 sha256sum");
}

char *svct_listing_but_records(void)
{
	return hvo_fg_out(
		"cd vol && find . -type f ! -name 'apply-*.json' -print0 "
		"| LC_ALL=C sort -z | xargs -0 sha256sum");
}

char *svct_hivexsh(const char *hive_rel, const char *script)
{
	return hvo_fg_out("printf '%s' | hivexsh '%s'", script, hive_rel);
}

/* ---- Synthetic facts and the real packages ---- */

struct svc_source_package svct_x64, svct_x86;
char svct_cab62[4096];
static char cab6x[4096];

int svct_load_packages(void **state)
{
	(void)state;
	snprintf(svct_cab62, sizeof(svct_cab62), "%s", hvo_fixture(CAB62));
	snprintf(cab6x, sizeof(cab6x), "%s", hvo_fixture(CAB6X));
	if (svc_source_package_load(svct_cab62, svct_cab62, &svct_x64) !=
		    SVC_OK ||
	    svc_source_package_load(cab6x, cab6x, &svct_x86) != SVC_OK)
		return -1;
	return 0;
}

int svct_free_packages(void **state)
{
	(void)state;
	svc_source_package_free(&svct_x64);
	svc_source_package_free(&svct_x86);
	return 0;
}

void svct_ws2012_facts(struct svc_facts *f)
{
	hvo_fg_facts(f, "amd64", 6, 2, 9200);
	hvo_fg_facts_package(f,
			     "Microsoft-Hyper-V-Guest-Integration-Drivers-"
			     "Package",
			     "amd64", "6.2.9200.16384");
}

void svct_win7_facts(struct svc_facts *f)
{
	hvo_fg_facts(f, "x86", 6, 1, 7601);
	hvo_fg_facts_package(f, "Microsoft-Windows-Foundation-Package", "x86",
			     "6.1.7601.17514");
}

struct svc_plan *svct_plan_opts(const struct svc_facts *f,
				const struct svc_source_package *sp,
				bool firstboot)
{
	struct svc_plan_opts po = { .firstboot = firstboot,
				    .now = 1764748800 }; /* 2025-12-03 08:00Z */
	struct svc_plan *p = NULL;
	struct svc_error err = { 0 };
	if (svc_plan_build(f, sp, &po, &p, &err) != SVC_OK)
		fail_msg("plan: %s", svc_int_errtext(&err));
	return p;
}

struct svc_plan *svct_plan(const struct svc_facts *f,
			   const struct svc_source_package *sp)
{
	return svct_plan_opts(f, sp, true);
}

enum svc_verdict svct_verdict(const struct svc_facts *f,
			      const struct svc_source_package *sp,
			      struct svc_applicability *a)
{
	assert_int_equal(svc_applicability(f, sp, 1, a), SVC_OK);
	assert_int_equal(a->ncandidates, 1);
	return a->candidates[0].verdict;
}

size_t svct_count_keys_with(const struct svc_plan *p, const char *part)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nregs; i++)
		n += strstr(p->regs[i].key, part) != NULL;
	return n;
}

void svct_expect_boot_drivers_bound(const struct svc_plan *p)
{
	assert_true(p->cdd);
	const struct svc_plan_reg *r = hvo_fg_plan_reg(
		p, SVC_HIVE_SYSTEM,
		"ControlSet001\\Control\\CriticalDeviceDatabase\\"
		"vmbus#{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}",
		"Service");
	assert_non_null(r);
	assert_string_equal(r->text, "storvsc");
	assert_non_null(hvo_fg_plan_reg(p, SVC_HIVE_SYSTEM,
					"ControlSet001\\Control\\"
					"CriticalDeviceDatabase\\acpi#vmbus",
					"Service"));
}

void svct_expect_no_demand_start_cdd(const struct svc_plan *p)
{
	for (size_t k = 0; k < p->nregs; k++)
		if (strstr(p->regs[k].key, "CriticalDeviceDatabase") &&
		    strcmp(p->regs[k].name, "Service") == 0)
			assert_true(strcmp(p->regs[k].text, "vmbus") == 0 ||
				    strcmp(p->regs[k].text, "storvsc") == 0 ||
				    strcmp(p->regs[k].text, "storflt") == 0);
}

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

#include <cmocka.h>

#include "guest/guest.h"
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
	snprintf(f->product_name, sizeof(f->product_name), "Windows Server");
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
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->token, sizeof(p->token), "31bf3856ad364e35");
	snprintf(p->arch, sizeof(p->arch), "%s", arch);
	snprintf(p->version, sizeof(p->version), "%s", version);
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

struct guest_disk *hvo_fg_inspect(const char *root, const char *name,
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

/*
 * test_ic.c - the buffer-level parsers on the two real IC packages.
 *
 * The cabinets are unpacked with cabextract; expected values come from
 * that listing, from xmllint queries on the manifests, from iconv + grep on
 * the INF files, and from PROVENANCE.md, never from our own output.
 * (Reading the package through cab/ is tested in test_package_open.c.)
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "package/package.h"
#include "tests/lib/hvotest.h"
#include "tests/package/pkgtest.h"
#include "util/sha256.h"

struct ic {
	const char *cab;
	char *dir;
	char **files; /* every file, relative */
	size_t nfiles;
	struct pkg_arena *arena;
	struct pkg_package *pkg;
};

static struct ic ic62 = { .cab = IC62_CAB }, ic6x = { .cab = IC6X_CAB };

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Parses every manifest of the unpacked package and links them. */
static void load(struct ic *ic)
{
	ic->dir = pkgtest_extract(ic->cab);
	ic->files = pkgtest_list(ic->dir, &ic->nfiles);
	ic->arena = pkg_arena_new();
	assert_non_null(ic->arena);
	struct pkg_error e = { 0 };
	size_t len;
	uint8_t *b = pkgtest_read(ic->dir, "update.mum", &len);
	if (pkg_mum_parse(ic->arena, b, len, "update.mum", &ic->pkg, &e))
		pkgtest_fail_err(&e);
	free(b);
	size_t n = 0;
	for (size_t i = 0; i < ic->nfiles; i++)
		n += ends_with(ic->files[i], ".manifest");
	ic->pkg->manifests = calloc(n, sizeof(struct pkg_manifest));
	assert_non_null(ic->pkg->manifests);
	for (size_t i = 0; i < ic->nfiles; i++) {
		if (!ends_with(ic->files[i], ".manifest"))
			continue;
		struct pkg_manifest *m;
		b = pkgtest_read(ic->dir, ic->files[i], &len);
		if (pkg_manifest_parse(ic->arena, b, len, ic->files[i], &m, &e))
			pkgtest_fail_err(&e);
		free(b);
		ic->pkg->manifests[ic->pkg->nmanifests++] = *m;
	}
	if (pkg_package_link(ic->arena, ic->pkg, &e))
		pkgtest_fail_err(&e);
}

static void unload(struct ic *ic)
{
	free(ic->pkg->manifests);
	pkg_arena_free(ic->arena);
	pkgtest_free_list(ic->files);
	hvo_test_rmtree(ic->dir);
	free(ic->dir);
}

static int setup(void **state)
{
	(void)state;
	load(&ic62);
	load(&ic6x);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unload(&ic62);
	unload(&ic6x);
	return 0;
}

/* The extracted file for payload @name of component @key, matched without
 * regard to case (cabinet names are lower case, manifests mixed). */
static const char *payload_path(const struct ic *ic, const char *key,
				const char *name)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < ic->nfiles; i++) {
		const char *f = ic->files[i];
		if (strncasecmp(f, key, kl) == 0 && f[kl] == '/' &&
		    strcasecmp(f + kl + 1, name) == 0)
			return f;
	}
	return NULL;
}

/* Every computed component key equals its manifest's file name, and every
 * payload folder is the key of a manifest. */
static void check_keys(const struct ic *ic, size_t want_manifests)
{
	const struct pkg_package *p = ic->pkg;
	assert_int_equal(p->nmanifests, want_manifests);
	for (size_t i = 0; i < p->nmanifests; i++) {
		const struct pkg_manifest *m = &p->manifests[i];
		char name[512];
		snprintf(name, sizeof(name), "%s.manifest", m->key);
		assert_string_equal(name, m->file);
	}
	for (size_t i = 0; i < ic->nfiles; i++) {
		const char *slash = strchr(ic->files[i], '/');
		if (slash == NULL)
			continue;
		char key[512];
		snprintf(key, sizeof(key), "%.*s", (int)(slash - ic->files[i]),
			 ic->files[i]);
		assert_non_null(pkg_package_manifest(p, key));
	}
}

static void test_keys_62(void **state)
{
	(void)state;
	/* 16 drivers + Deployment + Integration-Services + RDV-Core, as in
	 * the cabextract listing (19 *.manifest files). */
	check_keys(&ic62, 19);
}

static void test_keys_6x(void **state)
{
	(void)state;
	check_keys(&ic6x, 15);
}

/* Every file of the cabinet is update.mum, update.cat, a manifest or a
 * payload a manifest names; the counts are PROVENANCE.md's. */
static void check_accounted(const struct ic *ic, size_t want_files)
{
	assert_int_equal(ic->nfiles, want_files);
	for (size_t i = 0; i < ic->nfiles; i++) {
		const char *f = ic->files[i];
		if (strcmp(f, "update.mum") == 0 ||
		    strcmp(f, "update.cat") == 0 || ends_with(f, ".manifest"))
			continue;
		const char *slash = strchr(f, '/');
		assert_non_null(slash);
		char key[512];
		snprintf(key, sizeof(key), "%.*s", (int)(slash - f), f);
		const struct pkg_manifest *m =
			pkg_package_manifest(ic->pkg, key);
		assert_non_null(m);
		bool named = false;
		for (size_t k = 0; k < m->nfiles && !named; k++)
			named = strcasecmp(m->files[k].source_name,
					   slash + 1) == 0;
		if (!named)
			fail_msg("%s is named by no manifest", f);
	}
}

static void test_accounted_62(void **state)
{
	(void)state;
	check_accounted(&ic62, 73);
}

static void test_accounted_6x(void **state)
{
	(void)state;
	check_accounted(&ic6x, 64);
}

/*
 * Every payload's SHA-256 (of the file cabextract wrote) equals the digest
 * our parser read from the manifest, and that digest equals the
 * DigestValue xmllint reads for the same file.
 */
static void check_digests(const struct ic *ic)
{
	static const char *const need[] = { "xmllint", NULL };
	pkgtest_require(need);
	size_t nfiles = 0;
	for (size_t i = 0; i < ic->pkg->nmanifests; i++) {
		const struct pkg_manifest *m = &ic->pkg->manifests[i];
		for (size_t k = 0; k < m->nfiles; k++) {
			const struct pkg_file *f = &m->files[k];
			assert_true(f->has_sha256);
			const char *rel =
				payload_path(ic, m->key, f->source_name);
			if (rel == NULL)
				fail_msg("%s: payload %s not in the cabinet",
					 m->file, f->source_name);
			char *path;
			assert_true(asprintf(&path, "%s/%s", ic->dir, rel) > 0);
			uint8_t d[32];
			assert_int_equal(hvo_int_sha256_file(path, d, NULL), 0);
			free(path);
			assert_memory_equal(d, f->sha256, 32);
			char *want = pkgtest_sh(
				"xmllint --xpath \"string(//*[local-name()="
				"'file'][@name='%s']//*[local-name()="
				"'DigestValue'])\" '%s/%s'",
				f->name, ic->dir, m->file);
			uint8_t w[32];
			assert_int_equal(
				hvo_int_base64_decode(want, w, sizeof(w)), 32);
			assert_memory_equal(w, d, 32);
			free(want);
			nfiles++;
		}
	}
	/* Payloads = all files minus update.mum, update.cat, manifests. */
	assert_int_equal(nfiles, ic->nfiles - 2 - ic->pkg->nmanifests);
}

static void test_digests_62(void **state)
{
	(void)state;
	check_digests(&ic62);
}

static void test_digests_6x(void **state)
{
	(void)state;
	check_digests(&ic6x);
}

/* Values of an attribute, in document order, as xmllint lists them. */
static char **xml_values(const char *dir, const char *file, const char *xpath,
			 size_t *n)
{
	char *out = pkgtest_sh("xmllint --xpath '%s' '%s/%s' | sed -n "
			       "'s/^ *[A-Za-z]*=\"\\(.*\\)\"$/\\1/p'",
			       xpath, dir, file);
	char **v = pkgtest_lines(out, n);
	free(out);
	return v;
}

static void test_package_62(void **state)
{
	(void)state;
	static const char *const need[] = { "xmllint", NULL };
	pkgtest_require(need);
	const struct pkg_package *p = ic62.pkg;
	/* PROVENANCE.md */
	assert_string_equal(p->identity.name,
			    "Microsoft-Hyper-V-Integration-Services-Package-2");
	assert_string_equal(p->identity.version, "6.3.9600.19456");
	assert_string_equal(p->identity.arch, "amd64");
	char *s = pkgtest_sh("xmllint --xpath 'string(//*[local-name()="
			     "\"package\"]/@identifier)' '%s/update.mum'",
			     ic62.dir);
	assert_string_equal(p->identifier, s);
	free(s);
	s = pkgtest_sh("xmllint --xpath 'string(//*[local-name()=\"package\"]"
		       "/@restart)' '%s/update.mum'",
		       ic62.dir);
	assert_string_equal(p->restart, s);
	free(s);

	/* Parents: the four identities xmllint lists. */
	size_t n;
	char **names = xml_values(ic62.dir, "update.mum",
				  "//*[local-name()=\"parent\"]/*/@name", &n);
	assert_int_equal(p->nparents, 1);
	assert_int_equal(p->parents[0].nids, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(p->parents[0].ids[i].name, names[i]);
	pkgtest_free_list(names);

	/* 16 driver updates, synth3dvsc ... wvpcinull, as xmllint lists. */
	char **infs = xml_values(ic62.dir, "update.mum",
				 "//*[local-name()=\"driver\"]/@inf", &n);
	assert_int_equal(n, 16);
	size_t ndrivers = 0, ncomponents = 0;
	const struct pkg_update *comp = NULL;
	for (size_t i = 0; i < p->nupdates; i++) {
		const struct pkg_update *u = &p->updates[i];
		if (u->kind == PKG_UPDATE_DRIVER) {
			assert_true(pkgtest_in_list(infs, u->inf));
			assert_non_null(u->manifest);
			assert_true(u->manifest->is_driver);
			ndrivers++;
		} else if (u->kind == PKG_UPDATE_COMPONENT) {
			comp = u;
			ncomponents++;
		}
	}
	assert_int_equal(ndrivers, 16);
	assert_true(pkgtest_in_list(infs, "synth3dvsc.inf"));
	assert_true(pkgtest_in_list(infs, "wvpcinull.inf"));
	pkgtest_free_list(infs);

	/* The component closure: Deployment -> Integration-Services +
	 * RDV-Core, the names in Deployment's dependency list. */
	assert_int_equal(ncomponents, 1);
	assert_string_equal(
		comp->identity.name,
		"Microsoft-Hyper-V-Integration-Services-Deployment");
	assert_int_equal(comp->nclosure, 3);
	assert_ptr_equal(comp->closure[0], comp->manifest);
	char **deps = xml_values(ic62.dir, comp->manifest->file,
				 "//*[local-name()=\"dependentAssembly\"]/*/"
				 "@name",
				 &n);
	assert_int_equal(n, 2);
	assert_string_equal(deps[0], "Microsoft-Hyper-V-Integration-Services");
	assert_string_equal(deps[1], "Microsoft-Hyper-V-Integration-RDV-Core");
	for (size_t i = 0; i < n; i++)
		assert_string_equal(comp->closure[i + 1]->identity.name,
				    deps[i]);
	pkgtest_free_list(deps);

	/* The seven vmic* services and their svchost groups, paired in
	 * document order as xmllint reads them. */
	const struct pkg_manifest *svc = comp->closure[1];
	char **sn = xml_values(ic62.dir, svc->file,
			       "//*[local-name()=\"serviceData\"]/@name", &n);
	assert_int_equal(n, 7);
	assert_int_equal(svc->nservices, 7);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(svc->services[i].name, sn[i]);
		assert_int_equal(strncmp(sn[i], "vmic", 4), 0);
		/* start="demand" and a DeviceInterfaceArrival trigger */
		assert_int_equal(svc->services[i].start_value, 3);
		assert_int_equal(svc->services[i].ntriggers, 1);
		assert_string_equal(svc->services[i].triggers[0].type,
				    "DeviceInterfaceArrival");
	}
	char **gm = xml_values(ic62.dir, svc->file,
			       "//*[local-name()=\"serviceGroup\"]/"
			       "@serviceName",
			       &n);
	char **gg = xml_values(ic62.dir, svc->file,
			       "//*[local-name()=\"serviceGroup\"]/../"
			       "@subcategory",
			       &n);
	assert_int_equal(n, 7);
	assert_int_equal(svc->nsvchost, 7);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(svc->svchost[i].service, gm[i]);
		assert_string_equal(svc->svchost[i].group, gg[i]);
		assert_true(pkgtest_in_list(sn, gm[i]));
	}
	pkgtest_free_list(sn);
	pkgtest_free_list(gm);
	pkgtest_free_list(gg);

	/* Registry values with types and $(runtime.*): every registryValue
	 * xmllint finds is in the model. */
	s = pkgtest_sh("xmllint --xpath 'count(//*[local-name()="
		       "\"registryValue\"])' '%s/%s'",
		       ic62.dir, svc->file);
	size_t nvals = 0;
	bool runtime = false;
	for (size_t i = 0; i < svc->nreg_keys; i++) {
		nvals += svc->reg_keys[i].nvalues;
		for (size_t k = 0; k < svc->reg_keys[i].nvalues; k++) {
			const struct pkg_reg_value *v =
				&svc->reg_keys[i].values[k];
			if (v->data.type == PKG_REG_SZ &&
			    strstr(v->data.str, "$(runtime.system32)"))
				runtime = true;
			if (strcmp(v->name, "ServiceDllUnloadOnStop") == 0) {
				assert_int_equal(v->data.type, PKG_REG_DWORD);
				assert_int_equal(v->data.num, 1);
			}
		}
	}
	assert_int_equal(nvals, strtoul(s, NULL, 10));
	assert_true(runtime);
	free(s);
	/* Security descriptors recorded, by name, with their SDDL. */
	assert_int_equal(svc->nsds, 4);
	assert_non_null(svc->files[0].security_descriptor);
}

static void test_package_6x(void **state)
{
	(void)state;
	static const char *const need[] = { "xmllint", NULL };
	pkgtest_require(need);
	const struct pkg_package *p = ic6x.pkg;
	assert_string_equal(p->identity.name,
			    "Microsoft-Hyper-V-Integration-Services-Package");
	assert_string_equal(p->identity.arch, "x86");
	size_t n;
	char **infs = xml_values(ic6x.dir, "update.mum",
				 "//*[local-name()=\"driver\"]/@inf", &n);
	/* mum2:driverExtended deviceInstallRequired="true" (not on all) */
	size_t nreq;
	char **req = xml_values(ic6x.dir, "update.mum",
				"//*[local-name()=\"driver\"][*[local-name()="
				"\"driverExtended\"]/@deviceInstallRequired="
				"\"true\"]/@inf",
				&nreq);
	assert_int_equal(p->nupdates, n); /* drivers only */
	size_t nreq_model = 0;
	for (size_t i = 0; i < p->nupdates; i++) {
		assert_int_equal(p->updates[i].kind, PKG_UPDATE_DRIVER);
		assert_string_equal(p->updates[i].inf, infs[i]);
		assert_int_equal(p->updates[i].device_install_required,
				 pkgtest_in_list(req, infs[i]));
		nreq_model += p->updates[i].device_install_required;
	}
	assert_int_equal(nreq_model, nreq);
	assert_true(nreq > 0 && nreq < n);
	pkgtest_free_list(infs);
	pkgtest_free_list(req);
	char **names = xml_values(ic6x.dir, "update.mum",
				  "//*[local-name()=\"parent\"]/*/@name", &n);
	assert_int_equal(p->parents[0].nids, n);
	pkgtest_free_list(names);
	/* <packageExtended performDeviceInstallsPriorToReboot="true"/> */
	assert_int_equal(p->nextended, 2);
	assert_string_equal(p->extended[0],
			    "performDeviceInstallsPriorToReboot");
	assert_string_equal(p->extended[1], "true");
}

/* ---- INF files ---- */

static const struct pkg_inf *inf_of(struct ic *ic, const char *name)
{
	for (size_t i = 0; i < ic->pkg->nupdates; i++) {
		struct pkg_update *u = &ic->pkg->updates[i];
		if (u->kind != PKG_UPDATE_DRIVER || strcmp(u->inf, name) != 0)
			continue;
		const char *rel = payload_path(ic, u->manifest->key, u->inf);
		assert_non_null(rel);
		size_t len;
		uint8_t *b = pkgtest_read(ic->dir, rel, &len);
		struct pkg_inf *inf;
		struct pkg_error e = { 0 };
		if (pkg_inf_parse(ic->arena, b, len, u->inf, &inf, &e))
			pkgtest_fail_err(&e);
		free(b);
		return inf;
	}
	fail_msg("no driver %s", name);
	return NULL;
}

/* iconv + grep over an INF of the unpacked package. */
static char *inf_grep(struct ic *ic, const char *inf, const char *pattern)
{
	return pkgtest_sh("iconv -f UTF-16LE -t UTF-8 \"$(ls '%s'/*/%s)\" | "
			  "tr -d '\\r' | grep -E '%s'",
			  ic->dir, inf, pattern);
}

static void test_wvmbus(void **state)
{
	(void)state;
	static const char *const need[] = { "iconv", "grep", NULL };
	pkgtest_require(need);
	const struct pkg_inf *inf = inf_of(&ic62, "wvmbus.inf");
	assert_string_equal(inf->encoding, "UTF-16LE");
	/* The INF text itself, read with iconv: */
	char *s = inf_grep(&ic62, "wvmbus.inf",
			   "^(StartType|LoadOrderGroup|ServiceBinary) ");
	assert_non_null(strstr(s, "StartType      = 0"));
	assert_non_null(strstr(s, "LoadOrderGroup = System Bus Extender"));
	assert_non_null(strstr(s, "ServiceBinary  = %12%\\vmbus.sys"));
	free(s);
	s = inf_grep(&ic62, "wvmbus.inf", "^%StdMfg%=");
	assert_string_equal(s, "%StdMfg%=Standard,NTamd64.5.1,NTamd64.6.2");
	free(s);

	/* NT 6.2 picks NTamd64.6.2; NT 6.1 picks NTamd64.5.1. */
	const struct pkg_driver *d62 =
		pkgtest_resolve(ic62.arena, inf, "amd64", 6, 2);
	const struct pkg_driver *d61 =
		pkgtest_resolve(ic62.arena, inf, "amd64", 6, 1);
	assert_int_equal(d62->nmanufacturers, 1);
	assert_string_equal(d62->chosen[0]->decoration.text, "NTamd64.6.2");
	assert_string_equal(d61->chosen[0]->decoration.text, "NTamd64.5.1");

	for (int round = 0; round < 2; round++) {
		const struct pkg_driver *d = round ? d61 : d62;
		const struct pkg_inf_service *vmbus = NULL;
		for (size_t i = 0; i < d->ninstalls; i++)
			for (size_t k = 0; k < d->installs[i].nservices; k++)
				if (strcmp(d->installs[i].services[k].name,
					   "vmbus") == 0)
					vmbus = &d->installs[i].services[k];
		assert_non_null(vmbus);
		assert_int_equal(vmbus->start_type, 0);
		assert_int_equal(vmbus->service_type, 1);
		assert_int_equal(vmbus->error_control, 1);
		assert_string_equal(vmbus->load_order_group,
				    "System Bus Extender");
		assert_int_equal(vmbus->binary_dirid, 12);
		assert_string_equal(vmbus->binary_rest, "vmbus.sys");
		assert_string_equal(vmbus->eventlog_type, "System");
		assert_int_equal(vmbus->neventlog_regs, 2);
		/* "%%SystemRoot%%" in the INF: a literal percent sign. */
		struct pkg_windows_paths wp = { "C:\\Windows", "C:", false };
		char *ev;
		struct pkg_error e = { 0 };
		assert_int_equal(
			pkg_inf_expand(ic62.arena,
				       vmbus->eventlog_regs[0].data.str, &wp,
				       &ev, &e),
			PKG_OK);
		assert_string_equal(ev, "%SystemRoot%\\System32\\IoLogMsg.dll;"
					"%SystemRoot%\\System32\\vmbusres.dll");
	}
	/* Hardware IDs per decoration: ACPI\VMBus in both. */
	for (size_t k = 1; k < d62->manufacturers[0].ndecorated; k++) {
		const struct pkg_inf_models *mo =
			&d62->manufacturers[0].decorated[k];
		assert_true(mo->present);
		assert_string_equal(mo->devices[0].hwids[0], "ACPI\\VMBus");
	}
	/* The .HW section and the co-installer (NT 5.1 path) are deferred,
	 * by name. */
	bool hw = false, coinst = false;
	for (size_t i = 0; i < d61->ninstalls; i++)
		for (size_t k = 0; k < d61->installs[i].ndeferred; k++) {
			const char *sec = d61->installs[i].deferred[k].section;
			hw |= strcmp(sec, "VMBus_Device_Child.NT.HW") == 0;
			coinst |= strcasecmp(sec, "VMBus_Device_Child.NT."
						  "CoInstallers") == 0;
		}
	assert_true(hw);
	assert_true(coinst);
}

static void test_wstorvsc(void **state)
{
	(void)state;
	static const char *const need[] = { "iconv", "grep", NULL };
	pkgtest_require(need);
	const struct pkg_inf *inf = inf_of(&ic62, "wstorvsc.inf");
	char *s = inf_grep(&ic62, "wstorvsc.inf", "^%DeviceDesc% ");
	assert_non_null(strstr(s, "VMBUS\\{ba6163d9-04a1-4d29-b605-"
				  "72e2ffb1dc7f}"));
	free(s);
	const struct pkg_driver *d =
		pkgtest_resolve(ic62.arena, inf, "amd64", 6, 2);
	assert_int_equal(d->nbindings, 1);
	assert_string_equal(d->bindings[0].device->hwids[0],
			    "VMBUS\\{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}");
	const struct pkg_inf_install *in = d->bindings[0].install;
	assert_int_equal(in->nservices, 1);
	assert_string_equal(in->services[0].name, "storvsc");
	assert_int_equal(in->services[0].start_type, 0);
	assert_string_equal(in->services[0].load_order_group, "Base");
	assert_int_equal(in->ncopies, 1);
	assert_string_equal(in->copies[0].dest_name, "storvsc.sys");
	assert_int_equal(in->copies[0].dirid, 12);
}

/* Every INF of both packages parses and resolves for the Windows versions
 * the package is for, and every copied file is in the component. */
static void check_all_infs(struct ic *ic, const char *arch,
			   const unsigned (*vers)[2], size_t nvers)
{
	for (size_t i = 0; i < ic->pkg->nupdates; i++) {
		struct pkg_update *u = &ic->pkg->updates[i];
		if (u->kind != PKG_UPDATE_DRIVER)
			continue;
		const struct pkg_inf *inf = inf_of(ic, u->inf);
		for (size_t v = 0; v < nvers; v++) {
			const struct pkg_driver *d = pkgtest_resolve(
				ic->arena, inf, arch, vers[v][0], vers[v][1]);
			for (size_t k = 0; k < d->ninstalls; k++)
				for (size_t c = 0; c < d->installs[k].ncopies;
				     c++) {
					const struct pkg_inf_copy *cp =
						&d->installs[k].copies[c];
					/* Listed in [SourceDisksFiles], at the
					 * top of the package. */
					assert_true(cp->source_listed);
					assert_string_equal(cp->source_path,
							    cp->source_name);
					assert_non_null(payload_path(
						ic, u->manifest->key,
						cp->source_path));
				}
		}
	}
}

static void test_all_infs(void **state)
{
	(void)state;
	static const unsigned v62[][2] = { { 6, 2 }, { 6, 3 } };
	static const unsigned v6x[][2] = { { 6, 0 }, { 6, 1 } };
	check_all_infs(&ic62, "amd64", v62, 2);
	check_all_infs(&ic6x, "x86", v6x, 2);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_62),
		cmocka_unit_test(test_keys_6x),
		cmocka_unit_test(test_accounted_62),
		cmocka_unit_test(test_accounted_6x),
		cmocka_unit_test(test_digests_62),
		cmocka_unit_test(test_digests_6x),
		cmocka_unit_test(test_package_62),
		cmocka_unit_test(test_package_6x),
		cmocka_unit_test(test_wvmbus),
		cmocka_unit_test(test_wstorvsc),
		cmocka_unit_test(test_all_infs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

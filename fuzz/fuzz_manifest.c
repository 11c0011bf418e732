/*
 * fuzz_manifest.c - libFuzzer target for the manifest parsers.
 *
 * Each input is read as a component manifest and as update.mum; a package
 * that parses is linked against the component (if that parsed too) and
 * its parents evaluated.  Invariants are checked, not just "no crash":
 * a success yields a complete model, a failure a coded, non-empty message
 * naming the file.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "package/package.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                          \
	do {                              \
		if (!(x))                 \
			__builtin_trap(); \
	} while (0)

static void check_error(const struct pkg_error *e, enum pkg_err rc,
			const char *file)
{
	CHECK(rc != PKG_OK && e->code == rc);
	CHECK(e->msg[0] != '\0');
	CHECK(file == NULL || e->file[0] == '\0' || strcmp(e->file, file) == 0);
	CHECK(pkg_exit_class(e) != HVO_EXIT_OK);
}

static void exercise_manifest(struct pkg_arena *a, const struct pkg_manifest *m)
{
	static const struct pkg_windows_paths paths = { "C:\\Windows",
							"C:", false };
	CHECK(m->key != NULL && m->identity.name != NULL);
	CHECK(strcmp(pkg_component_key(a, &m->identity), m->key) == 0);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct pkg_file *f = &m->files[i];
		CHECK(f->name && f->source_name);
		CHECK(strchr(f->source_name, '\\') == NULL);
		if (f->destination_path) {
			char *out;
			struct pkg_error e = { 0 };
			enum pkg_err rc = pkg_runtime_expand(
				a, f->destination_path, &paths, &out, &e);
			CHECK(rc == PKG_OK || e.code == rc);
		}
	}
	for (size_t i = 0; i < m->nservices; i++) {
		CHECK(m->services[i].start_value <= 4);
		CHECK(m->services[i].error_control_value <= 3);
	}
	for (size_t i = 0; i < m->nreg_keys; i++)
		for (size_t k = 0; k < m->reg_keys[i].nvalues; k++) {
			const struct pkg_reg_data *d =
				&m->reg_keys[i].values[k].data;
			if (d->type == PKG_REG_SZ && d->str) {
				char *out;
				struct pkg_error e = { 0 };
				(void)pkg_runtime_expand(a, d->str, &paths,
							 &out, &e);
			}
			if (d->type == PKG_REG_MULTI_SZ)
				for (size_t s = 0; s < d->nstrv; s++)
					CHECK(d->strv[s] != NULL);
		}
	for (size_t i = 0; i < m->nsvchost; i++)
		CHECK(m->svchost[i].group && m->svchost[i].service);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkg_arena *a = pkg_arena_new();
	if (a == NULL)
		return 0;
	struct pkg_error e = { 0 };
	struct pkg_manifest *m = NULL;
	enum pkg_err rc =
		pkg_manifest_parse(a, data, size, "f.manifest", &m, &e);
	if (rc == PKG_OK)
		exercise_manifest(a, m);
	else
		check_error(&e, rc, "f.manifest");

	pkg_error_clear(&e);
	struct pkg_package *p = NULL;
	rc = pkg_mum_parse(a, data, size, "update.mum", &p, &e);
	if (rc != PKG_OK) {
		check_error(&e, rc, "update.mum");
		pkg_arena_free(a);
		return 0;
	}
	for (size_t i = 0; i < p->nparents; i++)
		CHECK(p->parents[i].nids > 0);
	for (size_t i = 0; i < p->nupdates; i++)
		CHECK(p->updates[i].kind != PKG_UPDATE_DRIVER ||
		      p->updates[i].inf != NULL);
	struct pkg_installed in[2];
	if (pkg_installed_parse(a,
				"Microsoft-Windows-Foundation-Package~"
				"31bf3856ad364e35~amd64~~6.1.7601.17514",
				&in[0]) &&
	    pkg_installed_parse(
		    a,
		    "Microsoft-Hyper-V-Guest-Integration-Drivers-"
		    "Package~31bf3856ad364e35~amd64~~6.2.9200.16384",
		    &in[1])) {
		const struct pkg_installed *hit = NULL;
		bool ok = pkg_parents_satisfied(p, in, 2, &hit);
		CHECK(!ok || p->nparents == 0 || hit != NULL);
	}
	if (m != NULL) {
		p->manifests = m;
		p->nmanifests = 1;
		pkg_error_clear(&e);
		rc = pkg_package_link(a, p, &e);
		if (rc != PKG_OK)
			check_error(&e, rc, NULL);
		else
			for (size_t i = 0; i < p->nupdates; i++)
				CHECK(p->updates[i].manifest == m);
	}
	pkg_arena_free(a);
	return 0;
}

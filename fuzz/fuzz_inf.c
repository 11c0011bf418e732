/*
 * fuzz_inf.c - libFuzzer target for the INF parser and resolver.
 *
 * Each input is parsed as an INF file, then resolved for several targets
 * (amd64 6.2, amd64 6.1, x86 5.1, arm64 10.0), and every template the
 * model holds is expanded with guest paths.  Invariants: a success gives
 * bindings that point at installs; a failure a coded, non-empty message
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

static const struct pkg_windows_paths paths = { "C:\\Windows", "C:", false };

static void expand(struct pkg_arena *a, const char *tmpl)
{
	if (tmpl == NULL)
		return;
	char *out;
	struct pkg_error e = { 0 };
	enum pkg_err rc = pkg_inf_expand(a, tmpl, &paths, &out, &e);
	CHECK(rc == PKG_OK ? out != NULL : rc == PKG_ERR_UNSUPPORTED);
}

static void expand_regs(struct pkg_arena *a, const struct pkg_inf_reg *r,
			size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].value_name == NULL || r[i].data.raw)
			continue;
		if (r[i].data.type == PKG_REG_SZ ||
		    r[i].data.type == PKG_REG_EXPAND_SZ)
			expand(a, r[i].data.str);
		if (r[i].data.type == PKG_REG_MULTI_SZ)
			for (size_t k = 0; k < r[i].data.nstrv; k++)
				expand(a, r[i].data.strv[k]);
	}
}

static void resolve(struct pkg_arena *a, const struct pkg_inf *inf,
		    const char *arch, unsigned major, unsigned minor)
{
	struct pkg_target t = { .arch = arch,
				.nt_major = major,
				.nt_minor = minor };
	struct pkg_driver *d;
	struct pkg_error e = { 0 };
	enum pkg_err rc = pkg_inf_resolve(a, inf, &t, &d, &e);
	if (rc != PKG_OK) {
		CHECK(e.code == rc && e.msg[0]);
		CHECK(e.file[0] == '\0' || strcmp(e.file, "f.inf") == 0);
		return;
	}
	for (size_t i = 0; i < d->nbindings; i++)
		CHECK(d->bindings[i].install >= d->installs &&
		      d->bindings[i].install < d->installs + d->ninstalls);
	for (size_t m = 0; m < d->nmanufacturers; m++)
		CHECK(d->chosen[m] == NULL ||
		      (d->chosen[m] >= d->manufacturers[m].decorated &&
		       d->chosen[m] < d->manufacturers[m].decorated +
					      d->manufacturers[m].ndecorated));
	for (size_t i = 0; i < d->ninstalls; i++) {
		const struct pkg_inf_install *in = &d->installs[i];
		expand_regs(a, in->regs, in->nregs);
		for (size_t c = 0; c < in->ncopies; c++) {
			CHECK(strchr(in->copies[c].dest_name, '\\') == NULL);
			char *dir;
			struct pkg_error pe = { 0 };
			(void)pkg_dirid_path(a, in->copies[c].dirid, &paths,
					     &dir, &pe);
		}
		for (size_t s = 0; s < in->nservices; s++) {
			const struct pkg_inf_service *sv = &in->services[s];
			CHECK(sv->binary != NULL && sv->name[0]);
			expand(a, sv->binary);
			expand(a, sv->display_name);
			expand(a, sv->description);
			expand_regs(a, sv->regs, sv->nregs);
			expand_regs(a, sv->eventlog_regs, sv->neventlog_regs);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkg_arena *a = pkg_arena_new();
	if (a == NULL)
		return 0;
	struct pkg_inf *inf;
	struct pkg_error e = { 0 };
	enum pkg_err rc = pkg_inf_parse(a, data, size, "f.inf", &inf, &e);
	if (rc != PKG_OK) {
		CHECK(e.code == rc && e.msg[0]);
		CHECK(pkg_exit_class(&e) != HVO_EXIT_OK);
		pkg_arena_free(a);
		return 0;
	}
	for (size_t i = 0; i < inf->nsections; i++) {
		const struct pkg_inf_section *s = &inf->sections[i];
		CHECK(pkg_inf_section(inf, s->name) == s);
		for (size_t k = 0; k < s->nlines && k < 64; k++)
			for (size_t f = 0; f < s->lines[k].nfields; f++) {
				struct pkg_error se = { 0 };
				char *t = pkg_inf_subst(
					a, inf, s->lines[k].fields[f],
					s->lines[k].lineno, &se);
				CHECK(t != NULL || se.code != PKG_OK);
			}
	}
	resolve(a, inf, "amd64", 6, 2);
	resolve(a, inf, "amd64", 6, 1);
	resolve(a, inf, "x86", 5, 1);
	resolve(a, inf, "arm64", 10, 0);
	pkg_arena_free(a);
	return 0;
}

/*
 * test_applicability.c - versions, installed-package names, architecture
 * and <parent> evaluation.
 *
 * The parent lists are the real ones of both IC packages (unpacked with
 * cabextract); the installed packages are names of the form Windows uses
 * in Windows\servicing\Packages and the CBS Packages key
 * (Name~token~arch~lang~version), written here for each kind of guest.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "package/package.h"
#include "tests/lib/hvotest.h"
#include "tests/package/pkgtest.h"

static void test_versions(void **state)
{
	(void)state;
	struct pkg_version a, b;
	assert_true(pkg_version_parse("6.3.9600.19456", &a));
	assert_int_equal(a.nparts, 4);
	assert_int_equal(a.part[2], 9600);
	assert_true(pkg_version_parse("6.3", &b));
	assert_int_equal(b.nparts, 2);
	assert_true(pkg_version_cmp(&a, &b) > 0);
	assert_true(pkg_version_parse("6.3.0.0", &a));
	assert_int_equal(pkg_version_cmp(&a, &b), 0);
	assert_true(pkg_version_parse("65535.0.0.1", &a));
	static const char *const bad[] = { "",	      "6.",    ".6",
					   "6..3",    "6.3.a", "1.2.3.4.5",
					   "65536.0", "-1.0",  "6.3 ",
					   "6,3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(pkg_version_parse(bad[i], &a));
	/* Numeric, not lexical. */
	assert_true(pkg_version_cmp_str("6.10", "6.9") > 0);
	assert_true(pkg_version_cmp_str("6.2.9200.16384", "6.2.9200.16433") <
		    0);
	assert_int_equal(pkg_version_cmp_str("1.0", "1.0.0.0"), 0);
	/* An invalid version sorts before every valid one. */
	assert_true(pkg_version_cmp_str("x", "0.0") < 0);
	assert_true(pkg_version_cmp_str("0", "x") > 0);
}

static void test_installed_names(void **state)
{
	(void)state;
	struct pkg_arena *a = pkg_arena_new();
	struct pkg_installed in;
	assert_true(pkg_installed_parse(
		a,
		"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~"
		"6.1.7601.17514.mum",
		&in));
	assert_string_equal(in.name, "Microsoft-Windows-Foundation-Package");
	assert_string_equal(in.public_key_token, "31bf3856ad364e35");
	assert_string_equal(in.arch, "amd64");
	assert_string_equal(in.language, "");
	assert_string_equal(in.version, "6.1.7601.17514");
	assert_int_equal(in.ver.part[3], 17514);
	assert_true(pkg_installed_parse(
		a, "Package_for_KB1~31bf3856ad364e35~x86~en-US~6.1.1.0", &in));
	assert_string_equal(in.language, "en-US");
	static const char *const bad[] = {
		"Name~31bf3856ad364e35~amd64~6.1.0.0",
		"Name~31bf3856ad364e35~amd64~~6.1.0.0~extra",
		"~31bf3856ad364e35~amd64~~6.1.0.0",
		"Name~31bf3856ad364e35~~~6.1.0.0",
		"Name~31bf3856ad364e35~amd64~~six",
		"Name.mum",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(pkg_installed_parse(a, bad[i], &in));
	pkg_arena_free(a);
}

static void test_arch(void **state)
{
	(void)state;
	assert_true(pkg_arch_matches("amd64", "amd64"));
	assert_true(pkg_arch_matches("AMD64", "amd64"));
	assert_false(pkg_arch_matches("x86", "amd64"));
	assert_false(pkg_arch_matches("amd64", "x86"));
	assert_true(pkg_arch_matches("neutral", "arm64"));
	assert_false(pkg_arch_matches("amd64", NULL));
}

static struct pkg_package *load_mum(struct pkg_arena *a, const char *cab,
				    char **dir_ret)
{
	char *dir = pkgtest_extract(cab);
	size_t len;
	uint8_t *b = pkgtest_read(dir, "update.mum", &len);
	struct pkg_package *p;
	struct pkg_error e = { 0 };
	assert_int_equal(pkg_mum_parse(a, b, len, "update.mum", &p, &e),
			 PKG_OK);
	free(b);
	*dir_ret = dir;
	return p;
}

/* Whether @pkg applies given installed package names @names. */
static bool applies(struct pkg_arena *a, const struct pkg_package *pkg,
		    const char *guest_arch, const char *const *names,
		    const char **matched)
{
	size_t n = 0;
	while (names[n])
		n++;
	struct pkg_installed *in = calloc(n + 1, sizeof(*in));
	for (size_t i = 0; i < n; i++)
		assert_true(pkg_installed_parse(a, names[i], &in[i]));
	const struct pkg_installed *hit = NULL;
	bool ok = pkg_arch_matches(pkg->identity.arch, guest_arch) &&
		  pkg_parents_satisfied(pkg, in, n, &hit);
	if (matched)
		*matched = hit ? hit->version : NULL;
	free(in);
	return ok;
}

static void test_ic_parents(void **state)
{
	(void)state;
	struct pkg_arena *a = pkg_arena_new();
	char *d62, *d6x;
	const struct pkg_package *p62 = load_mum(a, IC62_CAB, &d62);
	const struct pkg_package *p6x = load_mum(a, IC6X_CAB, &d6x);
	const char *v;

	/* Windows 8 / 2012: the inbox guest drivers package, 6.2. */
	static const char *const win8[] = {
		"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~"
		"6.2.9200.16384",
		"Microsoft-Hyper-V-Guest-Integration-Drivers-Package~"
		"31bf3856ad364e35~amd64~~6.2.9200.16384",
		NULL
	};
	assert_true(applies(a, p62, "amd64", win8, &v));
	assert_string_equal(v, "6.2.9200.16384");
	assert_false(applies(a, p6x, "x86", win8, NULL));

	/* 8.1 / 2012 R2: the 6.3.0.0 parents. */
	static const char *const win81[] = {
		"Microsoft-Hyper-V-WinPE-Drivers-Package~31bf3856ad364e35~"
		"amd64~~6.3.9600.16384",
		NULL
	};
	assert_true(applies(a, p62, "amd64", win81, &v));

	/* A 6.2 parent is not satisfied by 6.4 (another major.minor), nor
	 * by an older 6.2 build, nor by another architecture. */
	static const char *const other[] = {
		"Microsoft-Hyper-V-Guest-Integration-Drivers-Package~"
		"31bf3856ad364e35~amd64~~6.4.9200.16384",
		"Microsoft-Hyper-V-Guest-Integration-Drivers-Package~"
		"31bf3856ad364e35~amd64~~6.2.9100.0",
		"Microsoft-Hyper-V-Guest-Integration-Drivers-Package~"
		"31bf3856ad364e35~x86~~6.2.9200.16384",
		"Microsoft-Hyper-V-Guest-Integration-Drivers-Package~"
		"0000000000000000~amd64~~6.2.9200.16384",
		NULL
	};
	assert_false(applies(a, p62, "amd64", other, NULL));

	/* Windows 7 SP1 x86: Foundation 6.1.7601 satisfies the 6.1.7600
	 * parent of the 6.x package; not the 6.2 one; amd64 guest: no. */
	static const char *const win7[] = {
		"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~x86~~"
		"6.1.7601.17514",
		NULL
	};
	assert_true(applies(a, p6x, "x86", win7, &v));
	assert_string_equal(v, "6.1.7601.17514");
	assert_false(applies(a, p62, "x86", win7, NULL));
	assert_false(applies(a, p6x, "amd64", win7, NULL));
	/* Vista RTM Ultimate: the 6.0.6000 edition parent. */
	static const char *const vista[] = {
		"Microsoft-Windows-UltimateEdition~31bf3856ad364e35~x86~~"
		"6.0.6000.16386",
		NULL
	};
	assert_true(applies(a, p6x, "x86", vista, NULL));
	static const char *const none[] = { NULL };
	assert_false(applies(a, p62, "amd64", none, NULL));

	hvo_test_rmtree(d62);
	hvo_test_rmtree(d6x);
	free(d62);
	free(d6x);
	pkg_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_installed_names),
		cmocka_unit_test(test_arch),
		cmocka_unit_test(test_ic_parents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

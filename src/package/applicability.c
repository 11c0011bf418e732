/*
 * applicability.c - does a package apply to a guest?
 *
 * DISM refuses a package that does not apply (0x800f081e) and leaves the
 * image untouched.  A package applies when its architecture matches the
 * guest's and its <parent> list is satisfied by the packages installed in
 * the guest (SERVICING.md section 3 step 4).  The installed identities come
 * from the guest (Windows\servicing\Packages\*.mum and the CBS Packages key
 * names, parsed by pkg_installed_parse()).
 *
 * The rule for one parent follows SERVICING.md: an installed package of the
 * same name and architecture whose version is at least the parent's within
 * the same major.minor.  The IC packages list the same parent at 6.2 and
 * 6.3 precisely because a 6.3 package does not satisfy a 6.2 parent.
 */
#include <config.h>

#include <string.h>

#include "package/internal.h"

static bool is_neutral_arch(const char *a)
{
	return a == NULL || *a == '\0' ||
	       pkg_int_strcasecmp(a, "neutral") == 0 || strcmp(a, "*") == 0;
}

bool pkg_arch_matches(const char *pkg_arch, const char *guest_arch)
{
	if (is_neutral_arch(pkg_arch))
		return true;
	if (guest_arch == NULL)
		return false;
	return pkg_int_strcasecmp(pkg_arch, guest_arch) == 0;
}

static bool lang_matches(const char *want, const char *have)
{
	bool want_neutral = want == NULL || *want == '\0' ||
			    pkg_int_strcasecmp(want, "neutral") == 0 ||
			    strcmp(want, "*") == 0;
	if (want_neutral)
		return true;
	return have != NULL && pkg_int_strcasecmp(want, have) == 0;
}

bool pkg_parent_satisfied_by(const struct pkg_identity *want,
			     const struct pkg_installed *have)
{
	if (want->name == NULL || !pkg_int_strcaseeq(want->name, have->name))
		return false;
	if (!is_neutral_arch(want->arch) &&
	    !pkg_int_strcaseeq(want->arch, have->arch))
		return false;
	if (want->public_key_token && *want->public_key_token &&
	    have->public_key_token && *have->public_key_token &&
	    pkg_int_strcasecmp(want->public_key_token,
			       have->public_key_token) != 0)
		return false;
	if (!lang_matches(want->language, have->language))
		return false;
	struct pkg_version wv;
	if (want->version == NULL || !pkg_version_parse(want->version, &wv))
		return false;
	if (wv.part[0] != have->ver.part[0] || wv.part[1] != have->ver.part[1])
		return false;
	return pkg_version_cmp(&have->ver, &wv) >= 0;
}

bool pkg_parents_satisfied(const struct pkg_package *pkg,
			   const struct pkg_installed *installed,
			   size_t ninstalled,
			   const struct pkg_installed **match_ret)
{
	const struct pkg_installed *first = NULL;
	bool all = true;
	for (size_t p = 0; p < pkg->nparents; p++) {
		const struct pkg_parent *par = &pkg->parents[p];
		const struct pkg_installed *hit = NULL;
		for (size_t i = 0; i < par->nids && hit == NULL; i++)
			for (size_t k = 0; k < ninstalled && hit == NULL; k++)
				if (pkg_parent_satisfied_by(&par->ids[i],
							    &installed[k]))
					hit = &installed[k];
		if (hit == NULL)
			all = false;
		else if (first == NULL)
			first = hit;
	}
	if (match_ret)
		*match_ret = first;
	return all;
}

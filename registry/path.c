/*
 * path.c - machine registry paths and control sets.
 *
 * A registry path as users and manifests write it names a hive and a key
 * in it: HKLM\SOFTWARE\... is the SOFTWARE hive, HKLM\SYSTEM\... the
 * SYSTEM hive.  HKLM\SYSTEM\CurrentControlSet does not exist in the file:
 * Windows makes it a link to ControlSet00N at boot, N being
 * SYSTEM\Select\Current (control sets need not be 001: Windows XP images
 * have 001 and 003).
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/internal.h"
#include "util/utf.h"

/* Prefixes naming HKEY_LOCAL_MACHINE, longest first. */
static const char *const machine_prefixes[] = {
	"HKEY_LOCAL_MACHINE\\",
	"\\REGISTRY\\MACHINE\\",
	"REGISTRY\\MACHINE\\",
	"HKLM\\",
};

static bool prefix_ci(const char *s, const char *prefix, size_t *len_ret)
{
	size_t n = strlen(prefix);
	if (strncasecmp(s, prefix, n) != 0)
		return false;
	*len_ret = n;
	return true;
}

int reg_path_split(const char *path, char **hive_ret, char **key_ret)
{
	*hive_ret = NULL;
	*key_ret = NULL;
	if (path == NULL || !hvo_int_utf8_valid(path, strlen(path)))
		return REG_ERR_INVALID;
	const char *rest = path;
	bool machine = false;
	for (size_t i = 0;
	     i < sizeof(machine_prefixes) / sizeof(machine_prefixes[0]); i++) {
		size_t n;
		if (prefix_ci(path, machine_prefixes[i], &n)) {
			rest = path + n;
			machine = true;
			break;
		}
	}
	if (!machine && (strcasecmp(path, "HKLM") == 0 ||
			 strcasecmp(path, "HKEY_LOCAL_MACHINE") == 0))
		return REG_ERR_INVALID; /* the machine root is no hive */
	if (machine && *rest == '\\')
		return REG_ERR_INVALID; /* HKLM\\X: an empty component */
	while (*rest == '\\')
		rest++;
	size_t len = strlen(rest);
	while (len > 0 && rest[len - 1] == '\\')
		len--;
	/* No empty components. */
	for (size_t i = 0; i + 1 < len; i++)
		if (rest[i] == '\\' && rest[i + 1] == '\\')
			return REG_ERR_INVALID;
	const char *key = rest;
	size_t key_len = len;
	char *hive = NULL;
	if (machine) {
		const char *sep = memchr(rest, '\\', len);
		size_t hlen = sep ? (size_t)(sep - rest) : len;
		if (hlen == 0)
			return REG_ERR_INVALID;
		hive = strndup(rest, hlen);
		if (hive == NULL)
			return REG_ERR_NOMEM;
		for (char *c = hive; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		key = sep ? sep + 1 : rest + len;
		key_len = sep ? len - hlen - 1 : 0;
	}
	char *k = strndup(key, key_len);
	if (k == NULL) {
		free(hive);
		return REG_ERR_NOMEM;
	}
	*hive_ret = hive;
	*key_ret = k;
	return 0;
}

int reg_current_control_set(struct reg_hive *h, unsigned *n_ret)
{
	struct reg_value *v;
	int rc = reg_get_value(h, "Select", "Current", &v);
	if (rc)
		reg_int_err_clear(&h->err); /* replaced by a clearer message */
	if (rc)
		return reg_int_fail(
			h, rc == REG_ERR_NOT_FOUND ? REG_ERR_NOT_FOUND : rc,
			"no Select\\Current: not a SYSTEM hive?");
	uint32_t n;
	rc = reg_value_dword(v, &n);
	reg_value_free(v);
	if (rc || n == 0 || n > 999)
		return reg_int_fail(h, REG_ERR_CORRUPT,
				    "Select\\Current is not a control set "
				    "number");
	*n_ret = n;
	return 0;
}

int reg_int_resolve_ccs(struct reg_hive *h, const char *key, char **key_ret)
{
	*key_ret = NULL;
	static const char ccs[] = "CurrentControlSet";
	size_t n = sizeof(ccs) - 1;
	if (strncasecmp(key, ccs, n) != 0 ||
	    (key[n] != '\0' && key[n] != '\\')) {
		*key_ret = strdup(key);
		return *key_ret ? 0
				: reg_int_fail(h, REG_ERR_NOMEM,
					       "out of memory");
	}
	unsigned cs;
	int rc = reg_current_control_set(h, &cs);
	if (rc)
		return rc;
	if (asprintf(key_ret, "ControlSet%03u%s", cs, key + n) < 0) {
		*key_ret = NULL;
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	}
	return 0;
}

int reg_resolve_path(struct reg_hive *h, const char *path, char **key_ret)
{
	*key_ret = NULL;
	char *hive, *key;
	int rc = reg_path_split(path, &hive, &key);
	if (rc)
		return reg_int_fail(h, rc, "invalid registry path '%s'", path);
	free(hive);
	rc = reg_int_resolve_ccs(h, key, key_ret);
	free(key);
	return rc;
}

/* The default prefix: HKEY_LOCAL_MACHINE\<FILE NAME>. */
char *reg_int_default_prefix(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char *pfx;
	if (asprintf(&pfx, "HKEY_LOCAL_MACHINE\\%s", base) < 0)
		return NULL;
	return pfx;
}

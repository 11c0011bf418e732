/*
 * inspect_linux_parse.c - the text files of a Linux guest that inspection
 * reads, parsed from a bounded buffer (see inspect_linux.h).  Every input
 * is the guest's and untrusted: lines may be of any length, contain NULs
 * or lack a final newline; values are truncated to their fields.
 */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "servicing/inspect_linux.h"

/* The next line of [*@p, @end): its start and length (without '\n'); false
 * at the end. */
static bool next_line(const char **p, const char *end, const char **line,
		      size_t *len)
{
	if (*p >= end)
		return false;
	const char *s = *p;
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	*line = s;
	*len = (size_t)(e - s);
	if (*len > 0 && s[*len - 1] == '\r')
		(*len)--;
	return true;
}

static void copy_field(char *dst, size_t size, const char *s, size_t n)
{
	if (size == 0)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	/* A NUL inside ends the value where a C string would. */
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* ------------------------------------------------------------------ */
/* os-release(5).                                                      */
/* ------------------------------------------------------------------ */

/*
 * Unquotes a value as os-release(5) asks: shell-compatible quoting, a
 * value in "..." may escape \ " $ ` with a backslash, one in '...' is
 * literal, an unquoted one may escape any character.  Stops at the
 * closing quote (what follows is ignored).
 */
static void unquote(const char *v, size_t n, char *out, size_t size)
{
	size_t o = 0;
	char quote = 0;
	size_t i = 0;
	if (n > 0 && (v[0] == '"' || v[0] == '\'')) {
		quote = v[0];
		i = 1;
	}
	for (; i < n && o + 1 < size; i++) {
		char c = v[i];
		if (quote != 0 && c == quote)
			break;
		if (c == '\\' && quote != '\'' && i + 1 < n) {
			char d = v[i + 1];
			if (quote == 0 || d == '\\' || d == '"' || d == '$' ||
			    d == '`') {
				c = d;
				i++;
			}
		}
		if (c == '\0')
			break;
		out[o++] = c;
	}
	/* Trailing blanks of an unquoted value are not part of it. */
	while (quote == 0 && o > 0 && is_space(out[o - 1]))
		o--;
	out[o] = '\0';
}

bool svc_linux_parse_os_release(const char *buf, size_t len,
				struct svc_os_release *out)
{
	static const struct {
		const char *key;
		size_t off, size;
	} keys[] = {
#define K(k, f)                                  \
	{ k, offsetof(struct svc_os_release, f), \
	  sizeof(((struct svc_os_release *)0)->f) }
		K("ID", id),
		K("ID_LIKE", id_like),
		K("NAME", name),
		K("VERSION_ID", version_id),
		K("VERSION", version),
		K("PRETTY_NAME", pretty_name),
		K("VERSION_CODENAME", codename),
#undef K
	};
	memset(out, 0, sizeof(*out));
	bool any = false;
	const char *p = buf, *end = buf + len, *line;
	size_t n;
	while (next_line(&p, end, &line, &n)) {
		while (n > 0 && is_space(*line)) {
			line++;
			n--;
		}
		if (n == 0 || line[0] == '#')
			continue;
		const char *eq = memchr(line, '=', n);
		if (eq == NULL)
			continue;
		size_t klen = (size_t)(eq - line);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (strlen(keys[k].key) != klen ||
			    memcmp(keys[k].key, line, klen) != 0)
				continue;
			unquote(eq + 1, n - klen - 1, (char *)out + keys[k].off,
				keys[k].size);
			any = true;
		}
	}
	return any;
}

/* ------------------------------------------------------------------ */
/* dpkg's status file (deb-control(5) stanzas).                        */
/* ------------------------------------------------------------------ */

/* The value of field line @line if it is field @name ("Package"). */
static bool field(const char *line, size_t n, const char *name,
		  const char **val, size_t *vlen)
{
	size_t k = strlen(name);
	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return false;
	const char *v = line + k + 1;
	size_t m = n - k - 1;
	while (m > 0 && is_space(*v)) {
		v++;
		m--;
	}
	while (m > 0 && is_space(v[m - 1]))
		m--;
	*val = v;
	*vlen = m;
	return true;
}

bool svc_linux_dpkg_installed(const char *buf, size_t len, const char *name,
			      char *version, size_t vsize)
{
	const char *p = buf, *end = buf + len, *line, *v;
	size_t n, vn;
	bool is_it = false, installed = false, found = false;
	char ver[128] = "";
	for (;;) {
		bool more = next_line(&p, end, &line, &n);
		if (!more || n == 0) {
			/* The end of a stanza. */
			if (is_it && installed) {
				found = true;
				break;
			}
			is_it = installed = false;
			ver[0] = '\0';
			if (!more)
				break;
			continue;
		}
		if (is_space(line[0]))
			continue; /* a continuation line */
		if (field(line, n, "Package", &v, &vn))
			is_it = vn == strlen(name) && memcmp(v, name, vn) == 0;
		else if (field(line, n, "Status", &v, &vn))
			/* "want flag status": only "installed" counts
			 * (not config-files, half-installed, ...). */
			installed = vn >= 10 &&
				    memcmp(v + vn - 10, " installed", 10) == 0;
		else if (field(line, n, "Version", &v, &vn))
			copy_field(ver, sizeof(ver), v, vn);
	}
	if (found && version != NULL)
		snprintf(version, vsize, "%s", ver);
	return found;
}

/* ------------------------------------------------------------------ */
/* modules.builtin and modules.dep (depmod(8), modules.dep(5)).        */
/* ------------------------------------------------------------------ */

/* Whether the base name of module path [@s, @s + @n) is module @name
 * ("hv_vmbus") followed by ".ko" and at most a compression suffix. */
static bool module_is(const char *s, size_t n, const char *name)
{
	const char *slash = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/')
			slash = s + i;
	const char *b = slash ? slash + 1 : s;
	size_t bn = n - (size_t)(b - s);
	size_t k = strlen(name);
	if (bn < k + 3)
		return false;
	for (size_t i = 0; i < k; i++) {
		char a = b[i] == '-' ? '_' : b[i];
		char c = name[i] == '-' ? '_' : name[i];
		if (a != c)
			return false;
	}
	const char *ext = b + k;
	size_t en = bn - k;
	static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst",
					    ".ko.gz" };
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (en == strlen(exts[i]) && memcmp(ext, exts[i], en) == 0)
			return true;
	return false;
}

bool svc_linux_builtin_find(const char *buf, size_t len, const char *name,
			    char *path, size_t psize)
{
	const char *p = buf, *end = buf + len, *line;
	size_t n;
	while (next_line(&p, end, &line, &n)) {
		while (n > 0 && is_space(line[n - 1]))
			n--;
		if (module_is(line, n, name)) {
			copy_field(path, psize, line, n);
			return true;
		}
	}
	return false;
}

bool svc_linux_dep_find(const char *buf, size_t len, const char *name,
			char *path, size_t psize)
{
	const char *p = buf, *end = buf + len, *line;
	size_t n;
	while (next_line(&p, end, &line, &n)) {
		const char *colon = memchr(line, ':', n);
		if (colon == NULL)
			continue;
		size_t k = (size_t)(colon - line);
		if (module_is(line, k, name)) {
			copy_field(path, psize, line, k);
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* fstab(5).                                                           */
/* ------------------------------------------------------------------ */

/* Copies field [@s, @s + @n) into @out, decoding fstab's octal escapes
 * ("\040" for a space, as getmntent(3) does). */
static void fstab_field(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		char c = s[i];
		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') << 6 |
				   (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 3;
		}
		if (c == '\0')
			break;
		out[o++] = c;
	}
	out[o] = '\0';
}

size_t svc_linux_parse_fstab(const char *buf, size_t len,
			     struct svc_fstab_entry *out, size_t max)
{
	const char *p = buf, *end = buf + len, *line;
	size_t n, count = 0;
	while (count < max && next_line(&p, end, &line, &n)) {
		const char *f[3];
		size_t fl[3], nf = 0, i = 0;
		while (nf < 3) {
			while (i < n && is_space(line[i]))
				i++;
			if (i == n || (nf == 0 && line[i] == '#'))
				break;
			f[nf] = line + i;
			while (i < n && !is_space(line[i]))
				i++;
			fl[nf] = (size_t)(line + i - f[nf]);
			nf++;
		}
		if (nf < 3)
			continue;
		struct svc_fstab_entry *e = &out[count++];
		fstab_field(f[0], fl[0], e->spec, sizeof(e->spec));
		fstab_field(f[1], fl[1], e->file, sizeof(e->file));
		fstab_field(f[2], fl[2], e->vfstype, sizeof(e->vfstype));
	}
	return count;
}

/*
 * inspect_hive.c - hive reads for inspection (see inspect_hive.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hivex.h>

#include "servicing/inspect_hive.h"
#include "util/bytes.h"
#include "util/fileio.h"

struct ihive {
	hive_h *h;
};

void ihive_close(struct ihive *h)
{
	if (h == NULL)
		return;
	hivex_close(h->h);
	free(h);
}

/* Walks @key from the root; returns the node, 0 if absent (errno 0), or 0
 * with errno set on a hive error. */
static hive_node_h walk(struct ihive *ih, const char *key)
{
	hive_node_h node = hivex_root(ih->h);
	if (node == 0)
		return 0;
	char *copy = strdup(key);
	if (copy == NULL)
		return 0;
	char *save = NULL;
	for (char *c = strtok_r(copy, "\\", &save); c != NULL && node != 0;
	     c = strtok_r(NULL, "\\", &save)) {
		errno = 0;
		node = hivex_node_get_child(ih->h, node, c);
	}
	free(copy);
	return node;
}

static hive_value_h find_value(struct ihive *ih, const char *key,
			       const char *value, int *rc)
{
	errno = 0;
	hive_node_h node = walk(ih, key);
	if (node == 0) {
		*rc = errno != 0 ? -1 : 1;
		return 0;
	}
	errno = 0;
	hive_value_h v = hivex_node_get_value(ih->h, node, value);
	if (v == 0) {
		*rc = errno != 0 ? -1 : 1;
		return 0;
	}
	*rc = 0;
	return v;
}

int ihive_get_string(struct ihive *h, const char *key, const char *value,
		     char *out, size_t size)
{
	int rc;
	out[0] = '\0';
	hive_value_h v = find_value(h, key, value, &rc);
	if (v == 0)
		return rc;
	hive_type t;
	size_t len;
	if (hivex_value_type(h->h, v, &t, &len) != 0)
		return -1;
	if (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ)
		return 1;
	char *s = hivex_value_string(h->h, v);
	if (s == NULL)
		return -1;
	snprintf(out, size, "%s", s);
	free(s);
	return 0;
}

int ihive_get_dword(struct ihive *h, const char *key, const char *value,
		    uint32_t *out)
{
	int rc;
	hive_value_h v = find_value(h, key, value, &rc);
	if (v == 0)
		return rc;
	hive_type t;
	size_t len;
	if (hivex_value_type(h->h, v, &t, &len) != 0)
		return -1;
	if (t != hive_t_REG_DWORD || len < 4)
		return 1;
	errno = 0;
	int32_t d = hivex_value_dword(h->h, v);
	if (d == -1 && errno != 0)
		return -1;
	*out = (uint32_t)d;
	return 0;
}

int ihive_has_key(struct ihive *h, const char *key)
{
	errno = 0;
	hive_node_h node = walk(h, key);
	if (node != 0)
		return 1;
	return errno != 0 ? -1 : 0;
}

int ihive_subkeys(struct ihive *h, const char *key, char ***names_ret,
		  size_t *n_ret)
{
	*names_ret = NULL;
	*n_ret = 0;
	errno = 0;
	hive_node_h node = walk(h, key);
	if (node == 0)
		return errno != 0 ? -1 : 1;
	hive_node_h *kids = hivex_node_children(h->h, node);
	if (kids == NULL)
		return -1;
	size_t n = 0;
	while (kids[n] != 0)
		n++;
	char **names = calloc(n + 1, sizeof(*names));
	if (names == NULL) {
		free(kids);
		return -1;
	}
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		char *name = hivex_node_name(h->h, kids[i]);
		if (name != NULL)
			names[got++] = name;
	}
	free(kids);
	*names_ret = names;
	*n_ret = got;
	return 0;
}

void ihive_names_free(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Base block (regf spec, "Base block"): signature, the two sequence
 * numbers, and the XOR checksum of the first 508 bytes at 0x1fc. */
#define REGF_SEQ1	4
#define REGF_SEQ2	8
#define REGF_CHECKSUM	0x1fc
#define REGF_BASE_BLOCK 4096

static bool log_exists(const char *path, const char *suffix)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return access(p, F_OK) == 0;
}

void ihive_open(const char *path, struct svc_hive_facts *hf,
		struct ihive **h_ret)
{
	*h_ret = NULL;
	hf->log1 = log_exists(path, ".LOG1");
	hf->log2 = log_exists(path, ".LOG2");
	uint8_t base[REGF_BASE_BLOCK];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? hvo_pread_full(fd, base, sizeof(base), 0) : -1;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(base) || memcmp(base, "regf", 4) != 0) {
		hf->corrupt = true;
		snprintf(hf->problem, sizeof(hf->problem),
			 "no regf base block");
		return;
	}
	hf->seq1 = get_le32(base + REGF_SEQ1);
	hf->seq2 = get_le32(base + REGF_SEQ2);
	uint32_t sum = 0;
	for (size_t i = 0; i < REGF_CHECKSUM; i += 4)
		sum ^= get_le32(base + i);
	bool sum_ok = sum == get_le32(base + REGF_CHECKSUM);
	hf->dirty = hf->seq1 != hf->seq2 || !sum_ok;
	/* Whether the logs would recover the hive is registry/'s call; until
	 * it answers, a dirty hive's logs count as unchecked. */
	hf->logs_checked = false;
	hf->logs_usable = false;

	hive_h *h = hivex_open(path, 0);
	if (h == NULL) {
		hf->corrupt = true;
		snprintf(hf->problem, sizeof(hf->problem),
			 "not a readable hive: %s", strerror(errno));
		return;
	}
	struct ihive *ih = calloc(1, sizeof(*ih));
	if (ih == NULL) {
		hivex_close(h);
		snprintf(hf->problem, sizeof(hf->problem), "out of memory");
		return;
	}
	ih->h = h;
	hf->opened = true;
	*h_ret = ih;
}

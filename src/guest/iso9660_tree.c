/*
 * iso9660_tree.c - the ISO 9660 reader's tree once read and checked by
 * iso9660.c: lookups, names, file reads, error texts (see iso9660.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/iso9660_int.h"

const char *guest_iso_strerror(int err)
{
	static const char *const msg[] = {
		[GUEST_ISO_OK] = "success",
		[GUEST_ISO_NOT_ISO] = "not an ISO 9660 image",
		[GUEST_ISO_CORRUPT] = "corrupt ISO 9660 image",
		[GUEST_ISO_UNSUPPORTED] = "unsupported ISO 9660 image",
		[GUEST_ISO_IO] = "I/O error",
		[GUEST_ISO_NOMEM] = "out of memory",
	};
	if (err < 0 || (size_t)err >= sizeof(msg) / sizeof(msg[0]))
		return "unknown error";
	return msg[err];
}

enum hvo_exit guest_iso_exit_class(int err)
{
	switch (err) {
	case GUEST_ISO_OK:
		return HVO_EXIT_OK;
	case GUEST_ISO_NOT_ISO:
	case GUEST_ISO_CORRUPT:
	case GUEST_ISO_UNSUPPORTED:
		return HVO_EXIT_CORRUPT;
	default:
		return HVO_EXIT_FAILED;
	}
}

const char *guest_iso_names_name(enum guest_iso_names n)
{
	switch (n) {
	case GUEST_ISO_NAMES_JOLIET:
		return "joliet";
	case GUEST_ISO_NAMES_ROCK_RIDGE:
		return "rock-ridge";
	default:
		return "primary";
	}
}

void guest_iso_free(struct guest_iso *iso)
{
	if (iso == NULL)
		return;
	for (uint32_t i = 0; i < iso->nnodes; i++)
		free(iso->nodes[i].name);
	free(iso->nodes);
	free(iso->ext);
	free(iso->dirmap);
	free(iso);
}

/* ------------------------------------------------------------------ */
/* Lookups and reads.                                                  */
/* ------------------------------------------------------------------ */

enum guest_iso_names guest_iso_names_used(const struct guest_iso *iso)
{
	return iso->names;
}

size_t guest_iso_nnodes(const struct guest_iso *iso)
{
	return iso->nnodes;
}

const char *guest_iso_name(const struct guest_iso *iso, uint32_t node)
{
	return iso->nodes[node].name;
}

bool guest_iso_is_dir(const struct guest_iso *iso, uint32_t node)
{
	return iso->nodes[node].dir;
}

uint64_t guest_iso_size(const struct guest_iso *iso, uint32_t node)
{
	return iso->nodes[node].dir ? 0 : iso->nodes[node].size;
}

uint32_t guest_iso_nchildren(const struct guest_iso *iso, uint32_t node)
{
	return iso->nodes[node].dir ? iso->nodes[node].count : 0;
}

uint32_t guest_iso_child(const struct guest_iso *iso, uint32_t node, uint32_t k)
{
	return iso->nodes[node].first + k;
}

int guest_iso_lookup(const struct guest_iso *iso, const char *path,
		     uint32_t *node_ret)
{
	uint32_t cur = GUEST_ISO_ROOT;
	const char *p = path;
	char comp[ISO_UTF8_MAX + ISO_NAME_MAX + 1];
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		if (!iso->nodes[cur].dir)
			return GUEST_E_NOTDIR;
		if (n >= sizeof(comp))
			return GUEST_E_NOENT;
		memcpy(comp, p, n);
		comp[n] = '\0';
		const struct iso_node *d = &iso->nodes[cur];
		uint32_t k;
		for (k = 0; k < d->count; k++)
			if (guest_name_eq(iso->nodes[d->first + k].name, comp))
				break;
		if (k == d->count)
			return GUEST_E_NOENT;
		cur = d->first + k;
		p += n;
		if (*p == '/')
			p++;
	}
	*node_ret = cur;
	return GUEST_OK;
}

int guest_iso_pread(const struct guest_iso *iso, uint32_t node, uint64_t off,
		    size_t len, uint8_t *buf, size_t *got_ret)
{
	const struct iso_node *n = &iso->nodes[node];
	*got_ret = 0;
	if (n->dir || off >= n->size)
		return GUEST_ISO_OK;
	if (len > n->size - off)
		len = (size_t)(n->size - off);
	uint64_t base = 0; /* the file offset where extent k starts */
	for (uint32_t k = 0; k < n->count && *got_ret < len; k++) {
		const struct iso_extent *e = &iso->ext[n->first + k];
		uint64_t at = off + *got_ret;
		if (at >= base + e->len) {
			base += e->len;
			continue;
		}
		uint64_t in = at - base;
		size_t chunk = (size_t)(e->len - in);
		if (chunk > len - *got_ret)
			chunk = len - *got_ret;
		if (iso->rd(iso->ctx, e->off + in, chunk, buf + *got_ret) != 0)
			return GUEST_ISO_IO;
		*got_ret += chunk;
		base += e->len;
	}
	return GUEST_ISO_OK;
}

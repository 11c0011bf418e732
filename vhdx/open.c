/*
 * open.c - opening an image and its parent chain, closing, information.
 *
 * Order of the open (2.3.3: nothing but the headers and the log may be
 * read before a dirty log is replayed): file identifier and headers, the
 * log, region tables, metadata, BAT; then, for a differencing image, its
 * parent, found through the parent locator and accepted only if its
 * DataWriteGuid is the one the child recorded.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/bytes.h"
#include "vhdx/internal.h"

void vhdx_int_image_free(struct vhdx_image *img)
{
	while (img) {
		struct vhdx_image *parent = img->parent;
		vhdx_int_lock_release(img);
		if (img->fd >= 0)
			close(img->fd);
		if (img->dfd >= 0)
			close(img->dfd);
		vhdx_int_bat_free(img);
		vhdx_int_overlay_free(&img->overlay);
		vhdx_int_txn_free(img);
		vhdx_int_free_metadata(img);
		free(img->creator);
		free(img->path);
		free(img);
		img = parent;
	}
}

/* The chain being opened, to refuse a parent loop. */
struct chain {
	dev_t dev[VHDX_INT_MAX_CHAIN_DEPTH + 1];
	ino_t ino[VHDX_INT_MAX_CHAIN_DEPTH + 1];
	unsigned n;
};

static enum vhdx_err open_one(const char *path, unsigned flags,
			      const struct vhdx_open_opts *opts, unsigned depth,
			      struct chain *chain, struct vhdx_image **img_ret,
			      struct vhdx_error *err);

/* @dir/@rel, without the "./" noise of "." and ".\\x" paths. */
static char *join(const char *dir, const char *rel)
{
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	char *out;
	if (strcmp(dir, ".") == 0)
		return strdup(rel);
	if (asprintf(&out, "%s/%s", dir, rel) < 0)
		return NULL;
	return out;
}

/* Candidate parent paths, in the order 2.6.2.6.3 gives: relative_path,
 * volume_path, absolute_win32_path.  Windows paths become host paths:
 * relative_path is taken relative to the child's directory with '\' as
 * the separator; volume and drive-letter paths cannot name a host file
 * unless they are host paths already (a leading '/').  Last, as a
 * fallback for images copied off their Hyper-V host, the file name of
 * each path is looked up beside the child. */
size_t vhdx_parent_candidates(const char *child_path, const char *const *lkeys,
			      const char *const *lvalues, size_t nlocator,
			      char **out, size_t max)
{
	static const char *const keys[] = { "relative_path", "volume_path",
					    "absolute_win32_path" };
	char *copy = strdup(child_path);
	if (copy == NULL)
		return 0;
	const char *dir = dirname(copy);
	size_t n = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < HVO_ARRAY_SIZE(keys); k++) {
			for (size_t i = 0; i < nlocator && n < max; i++) {
				if (strcmp(lkeys[i], keys[k]) != 0)
					continue;
				char *v = strdup(lvalues[i]);
				if (v == NULL)
					continue;
				for (char *p = v; *p; p++)
					if (*p == '\\')
						*p = '/';
				char *cand = NULL;
				if (pass == 1) {
					const char *base = strrchr(v, '/');
					base = base ? base + 1 : v;
					if (*base)
						cand = join(dir, base);
				} else if (k == 0) {
					cand = join(dir, v);
				} else if (v[0] == '/' && v[1] != '/') {
					cand = strdup(v);
				}
				free(v);
				if (cand == NULL)
					continue;
				bool dup = false;
				for (size_t j = 0; j < n; j++)
					if (strcmp(out[j], cand) == 0)
						dup = true;
				if (dup)
					free(cand);
				else
					out[n++] = cand;
			}
		}
	}
	free(copy);
	return n;
}

static size_t parent_candidates(const struct vhdx_image *img, char **out,
				size_t max)
{
	size_t n = img->nlocator;
	const char **k = calloc(n ? n : 1, sizeof(*k));
	const char **v = calloc(n ? n : 1, sizeof(*v));
	size_t r = 0;
	if (k != NULL && v != NULL) {
		for (size_t i = 0; i < n; i++) {
			k[i] = img->locator[i].key;
			v[i] = img->locator[i].value;
		}
		r = vhdx_parent_candidates(img->path, k, v, n, out, max);
	}
	free(k);
	free(v);
	return r;
}

static bool linkage_matches(const struct vhdx_image *child,
			    const struct vhdx_image *parent)
{
	return vhdx_int_guid_eq(&parent->data_write_guid,
				&child->parent_linkage) ||
	       (child->has_linkage2 &&
		vhdx_int_guid_eq(&parent->data_write_guid,
				 &child->parent_linkage2));
}

static enum vhdx_err open_parent(struct vhdx_image *img,
				 const struct vhdx_open_opts *opts,
				 struct chain *chain)
{
	enum { MAX_CANDIDATES = 16 };
	char *cand[MAX_CANDIDATES];
	size_t n = 0;
	if (img->depth == 0 && opts && opts->parent_path)
		cand[n++] = strdup(opts->parent_path);
	else
		n = parent_candidates(img, cand, MAX_CANDIDATES);
	char linkage[37];
	vhdx_guid_format(&img->parent_linkage, linkage);
	enum vhdx_err r = VHDX_ERR_PARENT_MISSING;
	char mismatch[VHDX_ERRMSG_MAX] = "";
	char tried[VHDX_ERRMSG_MAX] = "";
	for (size_t i = 0; i < n && r == VHDX_ERR_PARENT_MISSING; i++) {
		if (cand[i] == NULL) {
			r = vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
			break;
		}
		struct stat st;
		if (stat(cand[i], &st) != 0) {
			size_t l = strlen(tried);
			snprintf(tried + l, sizeof(tried) - l, "%s%s",
				 l ? ", " : "", cand[i]);
			continue;
		}
		for (unsigned k = 0; k < chain->n; k++)
			if (chain->dev[k] == st.st_dev &&
			    chain->ino[k] == st.st_ino) {
				r = vhdx_int_fail(
					img, VHDX_ERR_CORRUPT,
					"parent %s: the parent chain loops "
					"back to an image already in it",
					cand[i]);
				break;
			}
		if (r != VHDX_ERR_PARENT_MISSING)
			break;
		struct vhdx_image *p;
		struct vhdx_error perr = { 0 };
		unsigned chain_n = chain->n;
		enum vhdx_err pr =
			open_one(cand[i], img->flags & ~VHDX_OPEN_WRITE, opts,
				 img->depth + 1, chain, &p, &perr);
		if (pr != VHDX_OK) {
			r = vhdx_int_fail(img, pr, "parent %s: %s", cand[i],
					  perr.msg);
			break;
		}
		if (!linkage_matches(img, p)) {
			char dw[37];
			vhdx_guid_format(&p->data_write_guid, dw);
			snprintf(mismatch, sizeof(mismatch),
				 "parent %s has DataWriteGuid {%s}, but the "
				 "child was made from {%s}: the parent changed "
				 "after the child was created (or is another "
				 "image)",
				 cand[i], dw, linkage);
			vhdx_int_image_free(p);
			chain->n = chain_n;
			continue;
		}
		if (p->lss != img->lss) {
			r = vhdx_int_fail(
				img, VHDX_ERR_PARENT_MISMATCH,
				"parent %s: logical sector size %u, child %u",
				cand[i], p->lss, img->lss);
			vhdx_int_image_free(p);
			break;
		}
		img->parent = p;
		r = VHDX_OK;
	}
	for (size_t i = 0; i < n; i++)
		free(cand[i]);
	if (r == VHDX_ERR_PARENT_MISSING) {
		if (mismatch[0])
			return vhdx_int_fail(img, VHDX_ERR_PARENT_MISMATCH,
					     "%s", mismatch);
		return vhdx_int_fail(
			img, VHDX_ERR_PARENT_MISSING,
			"parent {%s} not found (tried: %s)", linkage,
			tried[0] ? tried : "no usable locator path");
	}
	return r;
}

static enum vhdx_err open_one(const char *path, unsigned flags,
			      const struct vhdx_open_opts *opts, unsigned depth,
			      struct chain *chain, struct vhdx_image **img_ret,
			      struct vhdx_error *err)
{
	if (depth > VHDX_INT_MAX_CHAIN_DEPTH)
		return vhdx_int_seterr(
			err, VHDX_ERR_UNSUPPORTED,
			"the parent chain is more than %u images deep",
			VHDX_INT_MAX_CHAIN_DEPTH);
	struct vhdx_image *img = calloc(1, sizeof(*img));
	if (img == NULL)
		return vhdx_int_seterr(err, VHDX_ERR_NOMEM, "out of memory");
	img->fd = -1;
	img->dfd = -1;
	img->flags = flags;
	img->depth = depth;
	img->writable = flags & VHDX_OPEN_WRITE;
	img->path = strdup(path);
	enum vhdx_err r = VHDX_OK;
	if (img->path == NULL) {
		r = vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
		goto fail;
	}
	img->fd = open(path, (img->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (img->fd < 0) {
		r = vhdx_int_fail_errno(img, errno, "open");
		goto fail;
	}
	struct stat st;
	if (fstat(img->fd, &st) != 0) {
		r = vhdx_int_fail_errno(img, errno, "stat");
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = vhdx_int_fail(img, VHDX_ERR_INVALID, "not a regular file");
		goto fail;
	}
	img->dev = st.st_dev;
	img->ino = st.st_ino;
	chain->dev[chain->n] = st.st_dev;
	chain->ino[chain->n] = st.st_ino;
	chain->n++;
	img->file_size = (uint64_t)st.st_size;
	img->eff_size = img->file_size;

	if (!(flags & VHDX_OPEN_NO_LOCK))
		r = vhdx_int_lock_acquire(img, img->writable);
	if (r == VHDX_OK)
		r = vhdx_int_read_headers(img);
	if (r == VHDX_OK && img->writable && img->log_length == 0)
		r = vhdx_int_fail(
			img, VHDX_ERR_UNSUPPORTED,
			"the image has no log, so it cannot be written "
			"safely");
	if (r == VHDX_OK)
		r = vhdx_int_log_open(img);
	if (r == VHDX_OK)
		r = vhdx_int_read_region_tables(img);
	if (r == VHDX_OK)
		r = vhdx_int_read_metadata(img);
	if (r == VHDX_OK) {
		img->max_batch = vhdx_int_log_max_batch(img->log_length);
		r = vhdx_int_bat_init(img);
	}
	if (r == VHDX_OK && img->has_parent && !(flags & VHDX_OPEN_NO_PARENT))
		r = open_parent(img, opts, chain);
	if (r == VHDX_OK && img->writable)
		vhdx_int_open_direct(img);
	if (r != VHDX_OK)
		goto fail;
	*img_ret = img;
	return VHDX_OK;
fail:
	if (err) {
		err->code = r;
		memcpy(err->msg, img->err.msg, sizeof(err->msg));
	}
	vhdx_int_image_free(img);
	return r;
}

enum vhdx_err vhdx_open(const char *path, unsigned flags,
			const struct vhdx_open_opts *opts,
			struct vhdx_image **img_ret, struct vhdx_error *err)
{
	*img_ret = NULL;
	if (path == NULL ||
	    (flags &
	     ~(VHDX_OPEN_WRITE | VHDX_OPEN_NO_PARENT | VHDX_OPEN_NO_LOCK)) ||
	    ((flags & VHDX_OPEN_WRITE) && (flags & VHDX_OPEN_NO_LOCK)))
		return vhdx_int_seterr(err, VHDX_ERR_INVALID,
				       "invalid arguments");
	struct chain *chain = calloc(1, sizeof(*chain));
	if (chain == NULL)
		return vhdx_int_seterr(err, VHDX_ERR_NOMEM, "out of memory");
	enum vhdx_err r = open_one(path, flags, opts, 0, chain, img_ret, err);
	free(chain);
	return r;
}

enum vhdx_err vhdx_close(struct vhdx_image *img, struct vhdx_error *err)
{
	if (img == NULL)
		return VHDX_OK;
	enum vhdx_err r = VHDX_OK;
	if (img->writable && img->state == VHDX_INT_STATE_OPEN) {
		/* An open transaction is committed (txn.c). */
		if (img->txn.depth > 0) {
			img->txn.depth = 1;
			r = vhdx_txn_commit(img, NULL);
		}
		if (r == VHDX_OK)
			r = vhdx_int_log_commit(img);
		if (r == VHDX_OK)
			r = vhdx_int_log_clear(img);
		/* The last header copy written (header.c). */
		if (r == VHDX_OK && img->header_unsynced)
			r = vhdx_int_sync(img);
		if (r != VHDX_OK && err) {
			err->code = r;
			memcpy(err->msg, img->err.msg, sizeof(err->msg));
		}
	}
	vhdx_int_image_free(img);
	return r;
}

void vhdx_get_info(const struct vhdx_image *img, struct vhdx_info *info)
{
	memset(info, 0, sizeof(*info));
	info->type = img->has_parent	    ? VHDX_TYPE_DIFFERENCING
		     : img->leave_allocated ? VHDX_TYPE_FIXED
					    : VHDX_TYPE_DYNAMIC;
	info->virtual_size = img->virtual_size;
	info->block_size = img->block_size;
	info->logical_sector_size = img->lss;
	info->physical_sector_size = img->pss;
	info->chunk_ratio = img->chunk_ratio;
	info->payload_blocks = img->nblocks;
	info->leave_block_allocated = img->leave_allocated;
	info->has_parent = img->has_parent;
	info->virtual_disk_id = img->disk_id;
	info->current_header = img->cur_header + 1;
	info->header_sequence = img->sequence;
	info->file_write_guid = img->file_write_guid;
	info->data_write_guid = img->data_write_guid;
	info->log_guid = img->log_guid;
	info->log_offset = img->log_offset;
	info->log_length = img->log_length;
	info->log_state = img->log_state;
	info->log_entries_replayed = img->log_entries_replayed;
	info->log_head_sequence = img->log_head_seq;
	info->bat_offset = img->bat_offset;
	info->bat_length = img->bat_length;
	info->metadata_offset = img->meta_offset;
	info->metadata_length = img->meta_length;
	info->file_size = img->file_size;
	info->creator = img->creator ? img->creator : "";
	info->depth = img->depth;
}

const char *vhdx_path(const struct vhdx_image *img)
{
	return img->path;
}

struct vhdx_image *vhdx_parent(const struct vhdx_image *img)
{
	return img->parent;
}

bool vhdx_parent_locator(const struct vhdx_image *img, size_t index,
			 const char **key_ret, const char **value_ret)
{
	if (index >= img->nlocator)
		return false;
	*key_ret = img->locator[index].key;
	*value_ret = img->locator[index].value;
	return true;
}

/*
 * commit.c - writing an edited hive back, crash-safely.
 *
 * The order is what makes a crash at any instant harmless:
 *
 *   1. libhivex writes its image into private memory (a memfd), never
 *      over the hive: its own commit truncates and rewrites in place;
 *   2. the fix-ups (fixup.c) make that image what Windows expects and
 *      seal the base block: both sequence numbers equal, one above
 *      everything the hive and its logs have seen;
 *   3. the image goes to a temporary file beside the target (same
 *      directory, so the rename is atomic), which is flushed;
 *   4. that file is re-opened from disk as a new hive: its whole
 *      structure must check and every edit of the session must read back;
 *   5. it is renamed over the target and the directory flushed.
 *
 * Until step 5 the target is untouched; after it, it is the complete new
 * hive.  A kill at any point leaves one or the other (tests/registry's
 * crash test kills write-backs at random points to show it).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/bytes.h"
#include "util/fileio.h"

/* Lets libhivex commit into a scratch file and reads the result. */
static int hivex_image(struct reg_hive *h, uint8_t **buf_ret, size_t *len_ret)
{
	*buf_ret = NULL;
	int fd = reg_int_scratch_fd();
	if (fd < 0)
		return reg_int_fail(h, REG_ERR_IO,
				    "cannot create a scratch file: %s",
				    strerror(errno));
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	errno = 0;
	int rc = 0;
	if (hivex_commit(h->hx, fdpath, 0) != 0) {
		rc = reg_int_fail(h, REG_ERR_HIVEX,
				  "libhivex commit failed: %s",
				  strerror(errno ? errno : EIO));
	} else {
		struct stat st;
		if (fstat(fd, &st) != 0 ||
		    (uint64_t)st.st_size > REG_MAX_HIVE_SIZE) {
			rc = reg_int_fail(h, REG_ERR_IO,
					  "cannot read the image");
		} else {
			size_t len = (size_t)st.st_size;
			uint8_t *buf = malloc(len ? len : 1);
			if (buf == NULL) {
				rc = reg_int_fail(h, REG_ERR_NOMEM,
						  "out of memory");
			} else if (hvo_int_pread_full(fd, buf, len, 0) !=
				   (ssize_t)len) {
				free(buf);
				rc = reg_int_fail(h, REG_ERR_IO,
						  "cannot read the image");
			} else {
				*buf_ret = buf;
				*len_ret = len;
			}
		}
	}
	close(fd);
	return rc;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Lays the image out again (compact.c, layout.c), once: reusing free space
 * (the cells libhivex appended after the @keep bytes of bins it opened
 * move into the free cells below), or compactly (a fresh layout) when it
 * has more than REG_COMPACT_FREE_PERCENT free or reg_compact() asked (and
 * the result is no larger), or when that is at least a page smaller.
 * The new image must hold the same tree as the old one, read through
 * libhivex side by side (readback.c): every key, value name, type and
 * byte.
 */
static int relayout(struct reg_hive *h, uint8_t **buf, size_t *len,
		    uint32_t keep)
{
	h->compacted = false;
	struct regf_base b;
	reg_int_regf_base_decode(*buf, &b);
	struct hive_image im = {
		.buf = *buf,
		.len = *len,
		.hbins_size = b.hbins_size,
		.minor = b.minor,
		.root = b.root,
	};
	struct reg_err e = { 0 };
	int rc = reg_int_himg_map(&im, &e);
	uint64_t free_bytes = rc ? 0 : reg_int_himg_free_bytes(&im);
	reg_int_himg_free(&im);
	if (rc)
		return reg_int_fail(h, REG_ERR_HIVEX,
				    "the image libhivex wrote is unusable: %s",
				    e.msg);
	h->free_bytes = free_bytes;
	struct reg_relayout_choice ch = {
		.want_pack =
			h->compact_always ||
			(free_bytes > REG_COMPACT_MIN_FREE &&
			 free_bytes * 100 > (uint64_t)b.hbins_size *
						    REG_COMPACT_FREE_PERCENT),
	};
	uint8_t *nbuf;
	size_t nlen;
	rc = reg_int_relayout_best(*buf, *len, free_bytes > 0 ? keep : 0, &ch,
				   &nbuf, &nlen, &e);
	if (rc)
		return reg_int_fail(h, rc, "cannot rewrite the hive %s: %s",
				    ch.want_pack ? "compactly"
						 : "in its free space",
				    e.msg);
	if (nbuf == NULL)
		return 0;
	char why[256] = "";
	rc = reg_int_same_tree(*buf, *len, nbuf, nlen, why, sizeof(why));
	if (rc == REG_ERR_HIVEX) {
		/* libhivex cannot read its own image somewhere (a name it
		 * cannot decode): nothing judges the rewrite, so the image
		 * libhivex wrote is kept as it is. */
		free(nbuf);
		return 0;
	}
	if (rc) {
		free(nbuf);
		return reg_int_fail(h, rc,
				    "the %s rewrite does not read back "
				    "as the hive: %s",
				    ch.packed ? "compact" : "space-reusing",
				    why);
	}
	struct hive_image nim = {
		.buf = nbuf,
		.len = nlen,
		.hbins_size = (uint32_t)(nlen - REGF_BASE_SIZE),
	};
	if (reg_int_himg_map(&nim, &e) == 0)
		h->free_bytes = reg_int_himg_free_bytes(&nim);
	reg_int_himg_free(&nim);
	free(*buf);
	*buf = nbuf;
	*len = nlen;
	h->compacted = ch.packed;
	return 0;
}

int reg_compact(struct reg_hive *h)
{
	h->compact_always = true;
	int rc = reg_commit(h);
	h->compact_always = false;
	return rc;
}

bool reg_was_compacted(const struct reg_hive *h)
{
	return h->compacted;
}

int reg_commit_to(struct reg_hive *h, const char *path)
{
	if (!h->writable)
		return reg_int_fail(h, REG_ERR_READ_ONLY,
				    "not opened for writing");
	reg_int_err_clear(&h->err);
	/* Each staged key's values in one hivex_node_set_values(). */
	int rc = reg_int_pending_flush(h);
	if (rc)
		return rc;
	uint8_t *buf;
	size_t len;
	rc = hivex_image(h, &buf, &len);
	if (rc)
		return rc;
	/* Above every sequence number the hive and its logs have seen, so
	 * that no stale log entry can ever follow it. */
	uint32_t seq = get_le32(buf + RB_SEQ1);
	uint32_t floor = h->max_log_seq;
	if (h->base.seq1 > floor)
		floor = h->base.seq1;
	if (h->base.seq2 > floor)
		floor = h->base.seq2;
	if (floor == UINT32_MAX || seq == UINT32_MAX) {
		free(buf);
		return reg_int_fail(h, REG_ERR_UNSUPPORTED,
				    "sequence number 0xffffffff cannot be "
				    "followed");
	}
	if (seq <= floor)
		seq = floor + 1;
	struct reg_err e = { 0 };
	rc = reg_int_fixup_image(h, &buf, &len, seq, &e);
	if (rc) {
		free(buf);
		return reg_int_fail(
			h, rc == REG_ERR_CORRUPT ? REG_ERR_HIVEX : rc,
			"the image libhivex wrote is unusable: %s", e.msg);
	}
	/* libhivex kept the bins of the image it opened as they were. */
	uint32_t keep = h->image_len > REGF_BASE_SIZE
				? get_le32(h->image + RB_HBINS_SIZE)
				: 0;
	rc = relayout(h, &buf, &len, keep);
	if (rc) {
		free(buf);
		return rc;
	}
	bool in_place = same_file(path, h->path);
	rc = reg_int_write_checked(h, path, buf, len, true);
	if (rc) {
		free(buf);
		return rc;
	}
	if (h->recovered && in_place)
		h->committed_recovery = true;
	/* The handle now describes the committed file. */
	free(h->image);
	h->image = buf;
	h->image_len = len;
	reg_int_regf_base_decode(buf, &h->base);
	reg_int_session_reset(h);
	return reg_int_attach_hivex(h, h->image, h->image_len);
}

int reg_commit(struct reg_hive *h)
{
	if (h->in_memory)
		return reg_int_fail(h, REG_ERR_INVALID,
				    "a hive opened from memory has no file to "
				    "write back to");
	return reg_commit_to(h, h->path);
}

int reg_int_write_checked(struct reg_hive *h, const char *path,
			  const uint8_t *img, size_t len, bool verify_journal)
{
	struct stat st;
	mode_t mode = 0644;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	/* Temporary files of writers killed before their rename go first. */
	int rc = reg_int_temp_sweep(h, path);
	if (rc)
		return rc;
	struct hvo_atomic_file af;
	int e = hvo_int_atomic_open(path, mode, &af);
	if (e)
		return reg_int_fail(h, REG_ERR_IO,
				    "%s: cannot create a temporary "
				    "file beside it: %s",
				    path, strerror(e));
	/* A scratch copy is not flushed (REG_OPEN_SCRATCH). */
	af.no_sync = (h->flags & REG_OPEN_SCRATCH) != 0;
	e = hvo_int_pwrite_all(af.fd, img, len, 0);
	if (e == 0 && !af.no_sync && fsync(af.fd) != 0)
		e = errno;
	if (e) {
		hvo_int_atomic_abort(&af);
		return reg_int_fail(h, REG_ERR_IO, "%s: cannot write: %s", path,
				    strerror(e));
	}
	struct reg_hive *w;
	rc = reg_open(af.tmp_path,
		      &(struct reg_open_opts){ .flags = REG_OPEN_NO_LOGS }, &w);
	if (rc == 0 && w->info.state != REG_STATE_CLEAN)
		rc = REG_ERR_VERIFY;
	if (rc) {
		reg_int_fail(h, REG_ERR_VERIFY,
			     "%s: the written hive does not check: %s", path,
			     w ? reg_errmsg(w) : "out of memory");
		reg_close(w);
		hvo_int_atomic_abort(&af);
		return REG_ERR_VERIFY;
	}
	if (verify_journal) {
		rc = reg_int_journal_verify(h, w);
		if (rc) {
			reg_close(w);
			hvo_int_atomic_abort(&af);
			return rc;
		}
	}
	reg_close(w);
	e = hvo_int_atomic_commit(&af);
	if (e)
		return reg_int_fail(h, REG_ERR_IO, "%s: cannot replace: %s",
				    path, strerror(e));
	return 0;
}

int reg_write_recovered(struct reg_hive *h, const char *out_path)
{
	if (h->info.state == REG_STATE_CLEAN)
		return reg_int_fail(h, REG_ERR_NOT_DIRTY,
				    "the hive is clean: nothing to recover");
	if (!h->recovered)
		return reg_int_fail(h, REG_ERR_NO_LOGS, "cannot recover: %s",
				    h->info.problem ? h->info.problem
						    : "no logs");
	bool in_place = same_file(out_path, h->path);
	int rc = reg_int_write_checked(h, out_path, h->image, h->image_len,
				       false);
	if (rc)
		return rc;
	if (in_place)
		h->committed_recovery = true;
	return 0;
}

enum reg_logs_action reg_logs_after_commit(const struct reg_hive *h)
{
	return h->committed_recovery ? REG_LOGS_RESET : REG_LOGS_KEEP;
}

int reg_reset_logs(struct reg_hive *h)
{
	for (size_t i = 0; i < h->nlogs; i++) {
		struct txlog *lg = &h->logs[i];
		if (!lg->present || lg->len == 0)
			continue;
		int fd = open(lg->path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return reg_int_fail(h, REG_ERR_IO,
					    "%s: cannot open: %s", lg->path,
					    strerror(errno));
		int e = 0;
		if (ftruncate(fd, 0) != 0 || fsync(fd) != 0)
			e = errno;
		if (close(fd) != 0 && e == 0)
			e = errno;
		if (e)
			return reg_int_fail(h, REG_ERR_IO,
					    "%s: cannot empty the log: %s",
					    lg->path, strerror(e));
		lg->len = 0;
		hvo_int_fsync_parent_dir(lg->path);
	}
	return 0;
}

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

int reg_commit_to(struct reg_hive *h, const char *path)
{
	if (!h->writable)
		return reg_int_fail(h, REG_ERR_READ_ONLY,
				    "not opened for writing");
	reg_int_err_clear(&h->err);
	uint8_t *buf;
	size_t len;
	int rc = hivex_image(h, &buf, &len);
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
	reg_int_journal_free(h);
	h->ntouched = h->ncreated = 0;
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

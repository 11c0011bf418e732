/*
 * lock.c - who may use an image at the same time.
 *
 * The scheme has two independent layers, because the product holds an
 * image across two programs: `apply` opens it through vhdx/ (pre-flight:
 * validate, replay the log, confirm nobody else uses it) and then hands
 * the file to the libguestfs appliance, whose qemu opens it read-write
 * itself.
 *
 * 1. flock() on the image: LOCK_EX for a writable handle, LOCK_SH for a
 *    read-only one, both non-blocking.  This is how hvoffline processes
 *    see each other, and it is held for the handle's whole life, including
 *    after vhdx_handover().  On Linux flock() locks and fcntl() record
 *    locks are independent (except on NFS, where flock is emulated with
 *    record locks), so this layer never disturbs qemu's.
 *
 * 2. qemu's own image locks, which qemu's file-posix driver
 *    (raw_apply_lock_bytes / raw_check_lock_bytes in block/file-posix.c)
 *    takes as shared OFD record locks (F_OFD_SETLK, F_RDLCK) on single
 *    bytes: byte 100 + i for each permission i it holds, byte 200 + i for
 *    each permission it does not share with others.  Permissions are bits
 *    0 consistent-read, 1 write, 2 write-unchanged, 3 resize (and 4, the
 *    "graph-mod" permission that qemu 6.1 and older still lock).  Before
 *    using an image qemu tests, with F_OFD_GETLK for an exclusive lock,
 *    that nobody locked 200 + i for a permission i it wants and nobody
 *    locked 100 + i for a permission i it will not share.  We do exactly
 *    the same, so each side refuses the other:
 *      - a writable handle holds every permission and shares none (bytes
 *        100-103 and 200-204): qemu-img info, qemu-io and qemu-nbd refuse
 *        the image ("Failed to get shared "write" lock"), and we refuse an
 *        image that any qemu holds;
 *      - a read-only handle holds consistent-read and does not share write
 *        or resize (bytes 100, 201, 203), as a read-only qemu does: other
 *        readers may come, writers may not.
 *    OFD locks belong to the open file description, so they also work
 *    between handles of one process.
 *
 * vhdx_in_use_for() is the pre-flight question "would this open be
 * refused because someone else uses the image?", asked without taking
 * anything that lasts.  For a writer (VHDX_OPEN_WRITE) anyone counts: it
 * probes the flock with a momentary LOCK_EX and tests every qemu lock
 * byte (vhdx_in_use() asks this).  For a reader only writers count, as
 * vhdx_open() itself decides: a momentary LOCK_SH (refused only by an
 * exclusive holder) and the qemu bytes a read-only open tests (someone
 * holding write or resize, or not sharing consistent read).  So readers
 * share an image: a read-only nbdkit export and `inspect` run side by
 * side, while `apply` is refused.
 * vhdx_handover() drops layer 2 and keeps layer 1, so the appliance's
 * qemu can open the image while other hvoffline runs still cannot.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "vhdx/internal.h"

#define QEMU_LOCK_PERM_BASE   100
#define QEMU_LOCK_SHARED_BASE 200
/* Bytes past both ranges are never locked by qemu; testing a few more
 * than qemu uses today costs nothing and covers new permissions. */
#define QEMU_LOCK_SPAN	     64

#define PERM_CONSISTENT_READ 0x01u
#define PERM_WRITE	     0x02u
#define PERM_WRITE_UNCHANGED 0x04u
#define PERM_RESIZE	     0x08u
#define PERM_GRAPH_MOD	     0x10u /* qemu <= 6.1 */
#define PERM_ALL	     0x1fu
#define PERM_BITS	     5

/* What a writable and a read-only handle hold, and what they share. */
#define PERM_WRITER \
	(PERM_CONSISTENT_READ | PERM_WRITE | PERM_WRITE_UNCHANGED | PERM_RESIZE)
#define SHARED_WRITER 0u
#define PERM_READER   PERM_CONSISTENT_READ
#define SHARED_READER (PERM_ALL & ~(PERM_WRITE | PERM_RESIZE))

static const char *const perm_names[PERM_BITS] = { "consistent read", "write",
						   "write unchanged", "resize",
						   "change children" };

static int ofd_lock(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type,
			    .l_whence = SEEK_SET,
			    .l_start = start,
			    .l_len = len };
	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* Whether another open file description holds a lock that conflicts with
 * an exclusive lock on [start, start + len); the first such byte goes to
 * *@at. */
static int ofd_test(int fd, off_t start, off_t len, bool *locked, off_t *at)
{
	struct flock fl = { .l_type = F_WRLCK,
			    .l_whence = SEEK_SET,
			    .l_start = start,
			    .l_len = len };
	if (fcntl(fd, F_OFD_GETLK, &fl) != 0)
		return errno;
	*locked = fl.l_type != F_UNLCK;
	if (*locked && at)
		*at = fl.l_start > start ? fl.l_start : start;
	return 0;
}

static void describe_byte(off_t at, char *who, size_t len)
{
	if (at >= QEMU_LOCK_SHARED_BASE &&
	    at < QEMU_LOCK_SHARED_BASE + PERM_BITS)
		snprintf(who, len,
			 "another program (qemu?) does not share the \"%s\" "
			 "permission (lock byte %lld)",
			 perm_names[at - QEMU_LOCK_SHARED_BASE], (long long)at);
	else if (at >= QEMU_LOCK_PERM_BASE &&
		 at < QEMU_LOCK_PERM_BASE + PERM_BITS)
		snprintf(who, len,
			 "another program (qemu?) holds the \"%s\" permission "
			 "(lock byte %lld)",
			 perm_names[at - QEMU_LOCK_PERM_BASE], (long long)at);
	else
		snprintf(who, len, "another program holds lock byte %lld",
			 (long long)at);
}

/* qemu's raw_check_lock_bytes() for the permissions @perm, sharing
 * @shared: whether another open file description's lock byte conflicts
 * (the first such byte goes to *@at).  Returns 0 or an errno value. */
static int qemu_conflict(int fd, unsigned perm, unsigned shared, bool *locked,
			 off_t *at)
{
	*locked = false;
	for (unsigned i = 0; i < PERM_BITS && !*locked; i++) {
		int e = 0;
		if (perm & 1u << i)
			e = ofd_test(fd, QEMU_LOCK_SHARED_BASE + i, 1, locked,
				     at);
		if (e == 0 && !*locked && !(shared & 1u << i))
			e = ofd_test(fd, QEMU_LOCK_PERM_BASE + i, 1, locked,
				     at);
		if (e != 0)
			return e;
	}
	return 0;
}

static enum vhdx_err check_qemu(struct vhdx_image *img, unsigned perm,
				unsigned shared)
{
	bool locked;
	off_t at = 0;
	int e = qemu_conflict(img->fd, perm, shared, &locked, &at);
	if (e != 0)
		return vhdx_int_fail_errno(img, e, "test image locks");
	if (locked) {
		char who[160];
		describe_byte(at, who, sizeof(who));
		return vhdx_int_fail(img, VHDX_ERR_LOCKED, "image in use: %s",
				     who);
	}
	return VHDX_OK;
}

/*
 * flock(@fd, @op | LOCK_NB), retried for a moment when an exclusive lock
 * meets another hvoffline handle: a run that looks for the checkpoints
 * of an image in the same folder opens each sibling read-only for a few
 * milliseconds (servicing/inspect_preflight.c), which several images
 * serviced at once (--jobs) meet all the time.  A handle held for a
 * whole run still refuses: it outlasts the retries.  The retries spin on
 * the clock rather than sleep: the sandboxed child's seccomp filter
 * allows reading the clock, not sleeping.
 */
#define LOCK_RETRY_NSEC 1000000000LL /* 1 s */
static int flock_brief(int fd, int op)
{
	struct timespec t0, t;
	if (flock(fd, op | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK || op != LOCK_EX ||
	    clock_gettime(CLOCK_MONOTONIC, &t0) != 0)
		return -1;
	for (;;) {
		if (flock(fd, op | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK ||
		    clock_gettime(CLOCK_MONOTONIC, &t) != 0)
			return -1;
		if ((t.tv_sec - t0.tv_sec) * 1000000000LL +
			    (t.tv_nsec - t0.tv_nsec) >=
		    LOCK_RETRY_NSEC) {
			errno = EWOULDBLOCK;
			return -1;
		}
	}
}

enum vhdx_err vhdx_int_lock_acquire(struct vhdx_image *img, bool exclusive)
{
	if (flock_brief(img->fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
		if (errno == EWOULDBLOCK)
			return vhdx_int_fail(
				img, VHDX_ERR_LOCKED,
				"image in use: another hvoffline process "
				"has it open%s",
				exclusive ? "" : " for writing");
		return vhdx_int_fail_errno(img, errno, "lock the image");
	}
	img->lock.flocked = true;

	unsigned perm = exclusive ? PERM_WRITER : PERM_READER;
	unsigned shared = exclusive ? SHARED_WRITER : SHARED_READER;
	/* Lock first, then test, as qemu does: two openers racing each see
	 * the other's bytes. */
	for (unsigned i = 0; i < PERM_BITS; i++) {
		if ((perm & 1u << i) &&
		    ofd_lock(img->fd, F_RDLCK, QEMU_LOCK_PERM_BASE + i, 1) == 0)
			img->lock.perm_locked |= 1u << i;
		if (!(shared & 1u << i) &&
		    ofd_lock(img->fd, F_RDLCK, QEMU_LOCK_SHARED_BASE + i, 1) ==
			    0)
			img->lock.shared_locked |= 1u << i;
	}
	if (img->lock.perm_locked != perm ||
	    img->lock.shared_locked != (PERM_ALL & ~shared)) {
		/* Only a conflicting exclusive lock makes a shared one fail;
		 * qemu takes none, but some other tool might. */
		off_t at = QEMU_LOCK_PERM_BASE;
		bool locked = false;
		ofd_test(img->fd, QEMU_LOCK_PERM_BASE,
			 QEMU_LOCK_SHARED_BASE + QEMU_LOCK_SPAN -
				 QEMU_LOCK_PERM_BASE,
			 &locked, &at);
		char who[160];
		describe_byte(at, who, sizeof(who));
		return vhdx_int_fail(img, VHDX_ERR_LOCKED, "image in use: %s",
				     who);
	}
	return check_qemu(img, perm, shared);
}

void vhdx_int_lock_release_qemu(struct vhdx_image *img)
{
	if (img->fd < 0)
		return;
	if (img->lock.perm_locked)
		ofd_lock(img->fd, F_UNLCK, QEMU_LOCK_PERM_BASE, PERM_BITS);
	if (img->lock.shared_locked)
		ofd_lock(img->fd, F_UNLCK, QEMU_LOCK_SHARED_BASE, PERM_BITS);
	img->lock.perm_locked = 0;
	img->lock.shared_locked = 0;
}

void vhdx_int_lock_release(struct vhdx_image *img)
{
	vhdx_int_lock_release_qemu(img);
	if (img->fd >= 0 && img->lock.flocked)
		flock(img->fd, LOCK_UN);
	img->lock.flocked = false;
}

enum vhdx_err vhdx_in_use_for(const char *path, unsigned flags,
			      bool *in_use_ret, char *who, size_t who_len,
			      struct vhdx_error *err)
{
	char dummy[8];
	bool writing = (flags & VHDX_OPEN_WRITE) != 0;
	if (who == NULL) {
		who = dummy;
		who_len = sizeof(dummy);
	}
	if (who_len)
		who[0] = '\0';
	*in_use_ret = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vhdx_int_seterr(err, VHDX_ERR_IO, "%s: %s", path,
				       strerror(errno));
	/* A momentary flock: LOCK_EX fails if any hvoffline handle, reader
	 * or writer, is open; LOCK_SH only if a writer is. */
	if (flock_brief(fd, writing ? LOCK_EX : LOCK_SH) != 0) {
		if (errno != EWOULDBLOCK) {
			int e = errno;
			close(fd);
			return vhdx_int_seterr(err, VHDX_ERR_IO, "%s: lock: %s",
					       path, strerror(e));
		}
		*in_use_ret = true;
		snprintf(who, who_len,
			 "another hvoffline process has it open%s",
			 writing ? "" : " for writing");
		close(fd);
		return VHDX_OK;
	}
	flock(fd, LOCK_UN);
	bool locked = false;
	off_t at = 0;
	int e = writing ? ofd_test(fd, QEMU_LOCK_PERM_BASE,
				   QEMU_LOCK_SHARED_BASE + QEMU_LOCK_SPAN -
					   QEMU_LOCK_PERM_BASE,
				   &locked, &at)
			: qemu_conflict(fd, PERM_READER, SHARED_READER, &locked,
					&at);
	close(fd);
	if (e != 0)
		return vhdx_int_seterr(err, VHDX_ERR_IO, "%s: test locks: %s",
				       path, strerror(e));
	if (locked) {
		*in_use_ret = true;
		describe_byte(at, who, who_len);
	}
	return VHDX_OK;
}

enum vhdx_err vhdx_in_use(const char *path, bool *in_use_ret, char *who,
			  size_t who_len, struct vhdx_error *err)
{
	return vhdx_in_use_for(path, VHDX_OPEN_WRITE, in_use_ret, who, who_len,
			       err);
}

enum vhdx_err vhdx_handover(struct vhdx_image *img)
{
	if (img->state == VHDX_INT_STATE_HANDED_OVER)
		return VHDX_OK;
	if (img->state == VHDX_INT_STATE_FAILED)
		return vhdx_int_fail(
			img, VHDX_ERR_STATE,
			"an earlier write failed; close and reopen the "
			"image (the log makes it consistent)");
	if (img->writable) {
		enum vhdx_err r = VHDX_OK;
		if (img->txn.depth > 0) {
			img->txn.depth = 1;
			r = vhdx_txn_commit(img, NULL);
		}
		if (r == VHDX_OK)
			r = vhdx_int_log_commit(img);
		if (r == VHDX_OK)
			r = vhdx_int_log_clear(img);
		if (r != VHDX_OK) {
			img->state = VHDX_INT_STATE_FAILED;
			return r;
		}
	}
	/* Parents are read-only: release their bytes too, so the appliance
	 * may open the whole chain.  Their flocks stay. */
	for (struct vhdx_image *p = img; p; p = p->parent)
		vhdx_int_lock_release_qemu(p);
	for (struct vhdx_image *p = img; p; p = p->parent)
		p->state = VHDX_INT_STATE_HANDED_OVER;
	return VHDX_OK;
}

/*
 * test_vhdx_crash.c - crash safety of allocating writes.
 *
 * Each trial forks a writer that makes allocating (and in-place) writes
 * through the library, with flushes at random intervals, and kills it with
 * SIGKILL: either after a random delay, or from inside the library at a
 * chosen point of the write path (vhdx_int_crash_hook: after the payload, after
 * the log entry, between the two header copies, while the BAT pages are
 * being applied, ...).  Before each write the writer records what it is
 * about to write, and after each flush that the flush completed; the page
 * cache keeps those records across the kill, as it keeps the image's
 * bytes.
 *
 * Then the image must open (read-only, replaying the log in memory), and
 * every sector must hold either its content as of the last completed flush
 * or the content of a write issued after it: never anything else.  A
 * writable open (replay in place) must then give the same bytes, and qemu
 * must find the result consistent (qemu-img check) and equal (qemu-img
 * compare).  Half the trials use a differencing image over a fixed parent,
 * where new blocks are partially present and the sector bitmaps go through
 * the log too.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/lib/hvotest.h"
#include "tests/vhdx/vhdxtest.h"
#include "util/bytes.h"
#include "vhdx/internal.h"

#define MiB    (1u << 20)
#define VSIZE  (16 * MiB)
#define SECTOR 512u
/* Writes are whole sectors, up to this long (often several blocks). */
#define MAX_WRITE (MiB + 512 * 37)

enum { REC_WRITE = 1, REC_FLUSH = 2, REC_READY = 3, REC_FLUSH_BEGIN = 4 };

struct rec {
	uint32_t kind;
	uint32_t op;
	uint64_t off;
	uint64_t len;
	uint64_t seed;
};

static char *tmp;
static int trials_replayed;

/* ---- the writer (child) ---- */

static const char *hook_point;
static int hook_count;

static void hook(const char *point)
{
	if (hook_point && strcmp(point, hook_point) == 0 && --hook_count == 0)
		raise(SIGKILL);
}

static void put_rec(int fd, uint32_t kind, uint32_t op, uint64_t off,
		    uint64_t len, uint64_t seed)
{
	struct rec r = { kind, op, off, len, seed };
	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(90);
}

static uint64_t rnd(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 17;
}

/* Never returns: writes until killed (or gives up after many ops). */
static void writer(const char *image, const char *records, int ready_fd,
		   uint64_t seed, bool arm_early)
{
	int rfd = open(records, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (rfd < 0)
		_exit(91);
	if (arm_early)
		vhdx_int_crash_hook = hook;
	struct vhdx_image *img;
	struct vhdx_error err;
	if (vhdx_open(image, VHDX_OPEN_WRITE, NULL, &img, &err) != VHDX_OK)
		_exit(92);
	/* Page-aligned: the aligned writes below take the O_DIRECT path. */
	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, 4096, MAX_WRITE) != 0)
		_exit(96);
	uint64_t x = seed;
	uint32_t op = 0;
	int until_flush = 1;
	for (;;) {
		uint64_t len = (1 + rnd(&x) % (MAX_WRITE / SECTOR)) * SECTOR;
		if (rnd(&x) % 3 == 0)
			len = (1 + rnd(&x) % 16) * SECTOR; /* small ones too */
		uint64_t off = rnd(&x) % ((VSIZE - len) / SECTOR + 1) * SECTOR;
		if (rnd(&x) % 4 == 0) { /* large and 4 KiB-aligned: direct */
			len = (64 + rnd(&x) % 192) * 4096;
			off = rnd(&x) % ((VSIZE - len) / 4096 + 1) * 4096;
		}
		uint64_t dseed = seed * 100003 + op;
		vt_fill(buf, len, dseed);
		put_rec(rfd, REC_WRITE, op, off, len, dseed);
		if (vhdx_pwrite(img, buf, len, off) != VHDX_OK)
			_exit(93);
		op++;
		if (--until_flush == 0) {
			put_rec(rfd, REC_FLUSH_BEGIN, op, 0, 0, 0);
			if (vhdx_flush(img) != VHDX_OK)
				_exit(94);
			put_rec(rfd, REC_FLUSH, op, 0, 0, 0);
			until_flush = 1 + (int)(rnd(&x) % 6);
		}
		if (op == 1) {
			/* The log is active now: from here on every crash
			 * leaves something to replay. */
			put_rec(rfd, REC_READY, op, 0, 0, 0);
			if (!arm_early)
				vhdx_int_crash_hook = hook;
			if (write(ready_fd, "r", 1) != 1)
				_exit(95);
		}
		if (op > 150)
			_exit(3); /* never killed: the trial is void */
	}
}

/* ---- the judge (parent) ---- */

struct trial {
	const char *image;
	const uint8_t *initial; /* content before the trial */
	bool differencing;
};

/*
 * Runs one trial; returns false if the writer was not killed (a hook point
 * never reached), so the caller can count only real crashes.
 */
static bool run_trial(const struct trial *t, int n, uint64_t seed,
		      const char *point, int count, unsigned delay_us,
		      bool arm_early)
{
	char *records;
	if (asprintf(&records, "%s/records", tmp) < 0)
		abort();
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		hook_point = point;
		hook_count = count;
		writer(t->image, records, pipefd[1], seed, arm_early);
	}
	close(pipefd[1]);
	char c;
	bool ready = read(pipefd[0], &c, 1) == 1;
	close(pipefd[0]);
	if (point == NULL) {
		assert_true(ready);
		usleep(delay_us);
		kill(pid, SIGKILL);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status)) {
		/* Exit 3: ran out of ops without reaching the point. */
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
		free(records);
		return false;
	}
	assert_int_equal(WTERMSIG(status), SIGKILL);

	/* Records: the ops and the last completed flush. */
	size_t rlen;
	uint8_t *raw = hvo_test_read_file(records, &rlen);
	size_t nrec = rlen / sizeof(struct rec);
	struct rec *recs = (struct rec *)raw;
	size_t nops = 0, durable = 0, flush_begun = 0;
	bool was_ready = false, in_flush = false;
	for (size_t i = 0; i < nrec; i++) {
		if (recs[i].kind == REC_WRITE) {
			nops++;
		} else if (recs[i].kind == REC_FLUSH) {
			durable = recs[i].op; /* ops [0, op) are durable */
			in_flush = false;
		} else if (recs[i].kind == REC_FLUSH_BEGIN) {
			flush_begun = recs[i].op;
			in_flush = true;
		} else if (recs[i].kind == REC_READY) {
			was_ready = true;
		}
	}
	/* Killed inside a commit once its log entry was written: the entry
	 * is in the file (the page cache survives a kill), so the replay
	 * must bring back every write issued before that flush, even though
	 * the flush never returned.  The first commit of a session counts
	 * only once the header names the new log (write.c). */
	static const char *const committed[] = { "header", "apply", "applied",
						 "log-written", "log-synced" };
	size_t ncommitted = was_ready ? 5 : 3;
	for (size_t i = 0; point && in_flush && i < ncommitted; i++)
		if (strcmp(point, committed[i]) == 0)
			durable = flush_begun;
	struct rec *ops = calloc(nops + 1, sizeof(*ops));
	size_t k = 0;
	for (size_t i = 0; i < nrec; i++)
		if (recs[i].kind == REC_WRITE)
			ops[k++] = recs[i];

	/* The content as of the last completed flush. */
	uint8_t *old = malloc(VSIZE);
	memcpy(old, t->initial, VSIZE);
	uint8_t *buf = malloc(MAX_WRITE);
	for (size_t i = 0; i < durable; i++) {
		vt_fill(buf, ops[i].len, ops[i].seed);
		memcpy(old + ops[i].off, buf, ops[i].len);
	}

	/* Open read-only: the log replays in memory. */
	struct vhdx_image *img;
	struct vhdx_error err = { 0 };
	enum vhdx_err r = vhdx_open(t->image, 0, NULL, &img, &err);
	if (r != VHDX_OK)
		fprintf(stderr, "trial %d (%s %d, %u us): %s\n", n,
			point ? point : "timer", count, delay_us, err.msg);
	assert_int_equal(r, VHDX_OK);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	if (was_ready)
		assert_int_equal(in.log_state, VHDX_LOG_REPLAYED_MEMORY);
	if (in.log_state == VHDX_LOG_REPLAYED_MEMORY)
		trials_replayed++;
	uint8_t *now = malloc(VSIZE);
	assert_int_equal(vhdx_pread(img, now, VSIZE, 0), VHDX_OK);
	vhdx_close(img, NULL);

	/* Every sector: old, or the data of a write issued after the flush.
	 * Mark the sectors each later write explains, then look for any
	 * changed sector that none explains. */
	uint8_t *explained = calloc(VSIZE / SECTOR, 1);
	for (size_t i = durable; i < nops; i++) {
		vt_fill(buf, ops[i].len, ops[i].seed);
		for (uint64_t s = ops[i].off; s < ops[i].off + ops[i].len;
		     s += SECTOR)
			if (memcmp(now + s, buf + (s - ops[i].off), SECTOR) ==
			    0)
				explained[s / SECTOR] = 1;
	}
	for (uint64_t s = 0; s < VSIZE; s += SECTOR) {
		bool ok = explained[s / SECTOR] ||
			  memcmp(now + s, old + s, SECTOR) == 0;
		if (!ok)
			fprintf(stderr,
				"trial %d (%s %d, %u us): sector %llu holds "
				"neither its old nor a new content\n",
				n, point ? point : "timer", count, delay_us,
				(unsigned long long)(s / SECTOR));
		assert_true(ok);
	}
	free(explained);

	/* A writable open replays in place: the same bytes. */
	r = vhdx_open(t->image, VHDX_OPEN_WRITE, NULL, &img, &err);
	assert_int_equal(r, VHDX_OK);
	vhdx_get_info(img, &in);
	if (was_ready)
		assert_int_equal(in.log_state, VHDX_LOG_REPLAYED_FILE);
	assert_int_equal(vhdx_close(img, NULL), VHDX_OK);
	assert_int_equal(vhdx_open(t->image, 0, NULL, &img, &err), VHDX_OK);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_CLEAN);
	uint8_t *again = malloc(VSIZE);
	assert_int_equal(vhdx_pread(img, again, VSIZE, 0), VHDX_OK);
	assert_memory_equal(again, now, VSIZE);
	struct vhdx_check_report rep;
	assert_int_equal(vhdx_check(img, &rep), VHDX_OK);
	assert_int_equal(rep.nproblems, 0);
	vhdx_check_report_free(&rep);
	vhdx_close(img, NULL);

	/* qemu's verdict (it cannot open differencing images). */
	if (!t->differencing) {
		char *rawp;
		if (asprintf(&rawp, "%s/now.raw", tmp) < 0)
			abort();
		hvo_test_write_file(rawp, now, VSIZE);
		assert_int_equal(
			vt_sh("qemu-img check '%s' >/dev/null 2>&1", t->image),
			0);
		assert_int_equal(vt_sh("qemu-img compare -f vhdx -F raw '%s' "
				       "'%s' >/dev/null 2>&1",
				       t->image, rawp),
				 0);
		unlink(rawp);
		free(rawp);
	}
	free(raw);
	free(ops);
	free(old);
	free(buf);
	free(now);
	free(again);
	free(records);
	return true;
}

static const char *const points[] = { "payload",    "log-written",
				      "log-synced", "header-half",
				      "header",	    "apply",
				      "applied" };

static void trials(bool differencing, int nrandom, int nhook)
{
	char *base = NULL, *image, *parent_raw = NULL;
	if (asprintf(&image, "%s/crash.%s", tmp,
		     differencing ? "avhdx" : "vhdx") < 0)
		abort();
	uint8_t *initial = calloc(1, VSIZE);
	struct vhdx_error err;
	if (differencing) {
		/* A fixed parent with content, 4 MiB blocks; the child has
		 * 1 MiB blocks, so its writes are partial blocks. */
		if (asprintf(&base, "%s/crash-base.vhdx", tmp) < 0)
			abort();
		unlink(base);
		struct vhdx_create_opts o = { .type = VHDX_TYPE_FIXED,
					      .virtual_size = VSIZE,
					      .block_size = 4 * MiB };
		assert_int_equal(vhdx_create(base, &o, &err), VHDX_OK);
		struct vhdx_image *img;
		assert_int_equal(
			vhdx_open(base, VHDX_OPEN_WRITE, NULL, &img, &err),
			VHDX_OK);
		vt_fill(initial, VSIZE, 4242);
		assert_int_equal(vhdx_pwrite(img, initial, VSIZE, 0), VHDX_OK);
		assert_int_equal(vhdx_close(img, NULL), VHDX_OK);
	}
	int n = 0, done = 0, attempts = 0;
	while (done < nrandom + nhook) {
		assert_true(++attempts < 4 * (nrandom + nhook));
		unlink(image);
		struct vhdx_create_opts o = {
			.type = differencing ? VHDX_TYPE_DIFFERENCING
					     : VHDX_TYPE_DYNAMIC,
			.virtual_size = VSIZE,
			.block_size = MiB,
			.parent_path = base,
		};
		assert_int_equal(vhdx_create(image, &o, &err), VHDX_OK);
		struct trial t = { image, initial, differencing };
		uint64_t seed = (uint64_t)attempts * 7777 + differencing;
		bool killed;
		if (done < nrandom) {
			unsigned delay = (unsigned)(seed * 2654435761u % 60000);
			killed = run_trial(&t, n, seed, NULL, 0, delay, false);
		} else {
			const char *p = points[seed % HVO_ARRAY_SIZE(points)];
			/* The header points come twice per session (the first
			 * write, the first commit); the others often. */
			bool hdr = strncmp(p, "header", 6) == 0;
			int count = 1 + (int)(seed / 3 % (hdr ? 2 : 4));
			/* Some trials arm the hook before the first commit,
			 * so the header-update points are reached too. */
			bool early = seed % 4 == 0 || hdr;
			killed = run_trial(&t, n, seed, p, count, 0, early);
		}
		n++;
		done += killed;
		if (getenv("VT_CRASH_VERBOSE"))
			fprintf(stderr, "trial %d killed=%d t=%ld\n", n, killed,
				(long)time(NULL));
	}
	if (base)
		unlink(base);
	unlink(image);
	free(base);
	free(image);
	free(parent_raw);
	free(initial);
}

static void test_crash_dynamic(void **state)
{
	(void)state;
	trials(false, 25, 25);
}

static void test_crash_differencing(void **state)
{
	(void)state;
	trials(true, 15, 15);
	/* Most crashes land with entries in the log to replay. */
	assert_true(trials_replayed >= 60);
}

int main(void)
{
	vt_require_qemu();
	/* A kill -9 test depends on the order of the writes the process
	 * made, not on the disk: memory-backed files keep it quick (an
	 * fdatasync on a busy shared disk can take seconds). */
	if (access("/dev/shm", W_OK) == 0) {
		tmp = strdup("/dev/shm/hvotest-crash-XXXXXX");
		if (tmp == NULL || mkdtemp(tmp) == NULL)
			abort();
	} else {
		tmp = hvo_test_mkdtemp();
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_dynamic),
		cmocka_unit_test(test_crash_differencing),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	printf("trials with a log replayed: %d\n", trials_replayed);
	hvo_test_rmtree(tmp);
	free(tmp);
	return rc;
}

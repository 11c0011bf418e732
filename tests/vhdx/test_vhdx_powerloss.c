/*
 * test_vhdx_powerloss.c - crash consistency against power loss, not only
 * kill -9 (issue 19), in the style of ALICE and CrashMonkey.
 *
 * A kill -9 keeps the page cache, so it cannot show that the flush
 * ordering survives a power cut.  Here the library's I/O hook
 * (vhdx_int_io_hook) records every change a write session makes to the
 * image file (writes, zeroed ranges, size changes) and every fdatasync.
 * A power cut after event k leaves: everything up to the last fdatasync
 * before k, plus any subset of the changes issued since (in any order,
 * and a write torn at 4 KiB pages).  For every crash point the harness
 * rebuilds such states from a snapshot of the file before the session:
 * the durable prefix alone, all pending changes, each one alone, all but
 * each one, and random subsets with torn, reordered writes.
 *
 * Each state must then: open (read-only, the log replayed in memory);
 * pass vhdx_check() with no problem; and hold in every sector of the
 * virtual disk either its old content or the content of a write of the
 * session, and the new content for every write that a completed
 * vhdx_flush() made durable before the cut.  Every Nth state is also
 * opened for writing (replayed in place), read again, and judged by
 * qemu-img check.
 *
 * Three sessions are cut: a write session (in-place overwrites, new full
 * and partial blocks over a reclaimed leaked tail, two flushes, close),
 * the in-place log replay of a writable open of the first state of it
 * that needs replay, and a write transaction committed as a sequence of
 * several log entries (all old or all new at every cut).
 *
 * Usage: test_vhdx_powerloss [RANDOM_PER_POINT [QEMU_EVERY]]
 * (defaults: 4 and 0 under make check, i.e. no qemu-img; bench/crash.sh
 * runs it with larger numbers).  Prints the number of states tried.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/hvotest.h"
#include "vhdx/internal.h"

#define MiB	 (1u << 20)
#define VSIZE	 (8 * MiB)
#define SECTOR	 512u
#define NSECT	 (VSIZE / SECTOR)
#define PAGE	 4096u
#define MAX_FILE (64 * MiB)

/* The session's I/O, as recorded. */
enum { EV_FLUSHED = 100 }; /* marker: a vhdx_flush() returned */
struct event {
	int kind;
	uint64_t off, len;
	uint8_t *data; /* WRITE only */
};
static struct event *evs;
static size_t nev, cap;

static void record(int kind, const void *buf, uint64_t len, uint64_t off)
{
	if (nev == cap) {
		cap = cap ? cap * 2 : 256;
		evs = realloc(evs, cap * sizeof(*evs));
		if (evs == NULL)
			abort();
	}
	struct event *e = &evs[nev++];
	e->kind = kind;
	e->off = off;
	e->len = len;
	e->data = NULL;
	if (kind == VHDX_INT_IO_WRITE) {
		e->data = malloc(len);
		if (e->data == NULL)
			abort();
		memcpy(e->data, buf, len);
	}
}

static void hook(enum vhdx_int_io kind, const void *buf, uint64_t len,
		 uint64_t off)
{
	record((int)kind, buf, len, off);
}

/* Sector s holds old[s] before the session; writes of the session set
 * owner[s] (the write's number, 1-based; the writes do not overlap) and
 * new content.  durable_after[w] is the event index of the first
 * EV_FLUSHED that follows write w. */
static uint8_t *oldv, *newv;
static uint16_t owner[NSECT];
#define MAX_WRITES 16
static size_t flushed_at[MAX_WRITES + 1];

/* Scenario 3: writes [txn_first, txn_last] form one transaction, whose
 * commit returned at event txn_done (SIZE_MAX: not yet); they must read
 * all old or all new. */
static unsigned txn_first, txn_last;
static size_t txn_done = SIZE_MAX;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(uint8_t *p, size_t n, unsigned tag)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(tag * 37 + i / SECTOR * 11 + 1);
}

static void die(const char *what)
{
	fprintf(stderr, "test_vhdx_powerloss: %s\n", what);
	exit(1);
}

static char dir[4096], img_path[4200], state_path[4200];
static uint8_t *base; /* the file before the session */
static size_t base_len;
static uint8_t *st; /* the state being built */
static size_t st_len;

static void apply_write(const struct event *e, uint64_t from, uint64_t to)
{
	/* Bytes [from, to) of the write (a torn write keeps some pages). */
	uint64_t end = e->off + to;
	if (end > MAX_FILE)
		die("state larger than MAX_FILE");
	if (end > st_len) {
		memset(st + st_len, 0, end - st_len);
		st_len = end;
	}
	memcpy(st + e->off + from, e->data + from, to - from);
}

static void apply(const struct event *e, bool torn)
{
	switch (e->kind) {
	case VHDX_INT_IO_WRITE:
		if (!torn) {
			apply_write(e, 0, e->len);
			break;
		}
		for (uint64_t p = 0; p < e->len; p += PAGE) {
			uint64_t q = p + PAGE < e->len ? p + PAGE : e->len;
			if (next_rand() & 1)
				apply_write(e, p, q);
		}
		break;
	case VHDX_INT_IO_ZERO:
		if (e->off < st_len)
			memset(st + e->off, 0,
			       e->off + e->len <= st_len ? e->len
							 : st_len - e->off);
		break;
	case VHDX_INT_IO_SIZE:
		if (e->off > MAX_FILE)
			die("size past MAX_FILE");
		if (e->off > st_len)
			memset(st + st_len, 0, e->off - st_len);
		st_len = e->off;
		break;
	default:
		break;
	}
}

static unsigned states, failures, qemu_runs;
static unsigned qemu_every;

static void fail(size_t k, const char *how, const char *why)
{
	failures++;
	if (failures <= 20)
		fprintf(stderr, "FAIL: cut after event %zu (%s): %s\n", k, how,
			why);
}

/* The transaction's sectors in @buf: all old, or all new (and new once
 * its commit returned before the cut @k). */
static bool check_txn(const uint8_t *buf, size_t k, const char *how)
{
	size_t nold = 0, nnew = 0;
	for (size_t s = 0; s < NSECT; s++) {
		if (owner[s] < txn_first || owner[s] > txn_last)
			continue;
		if (memcmp(buf + s * SECTOR, newv + s * SECTOR, SECTOR) == 0)
			nnew++;
		else
			nold++;
	}
	char msg[128];
	if (nold && nnew) {
		snprintf(msg, sizeof(msg),
			 "transaction torn: %zu sectors new, %zu old", nnew,
			 nold);
		fail(k, how, msg);
		return false;
	}
	if (nold && txn_done < k) {
		fail(k, how, "a committed transaction was lost");
		return false;
	}
	return true;
}

/* Checks every sector of @img against old/new; @k the cut point. */
static bool check_sectors(struct vhdx_image *img, size_t k, const char *how)
{
	static uint8_t buf[VSIZE];
	if (vhdx_pread(img, buf, VSIZE, 0) != VHDX_OK) {
		fail(k, how, vhdx_errmsg(img));
		return false;
	}
	for (size_t s = 0; s < NSECT; s++) {
		const uint8_t *got = buf + s * SECTOR;
		bool is_old = memcmp(got, oldv + s * SECTOR, SECTOR) == 0;
		bool is_new = memcmp(got, newv + s * SECTOR, SECTOR) == 0;
		char msg[128];
		if (!is_old && !is_new) {
			snprintf(msg, sizeof(msg),
				 "sector %zu is neither old nor new", s);
			fail(k, how, msg);
			return false;
		}
		if (owner[s] && !is_new && flushed_at[owner[s]] < k) {
			snprintf(msg, sizeof(msg),
				 "sector %zu lost a flushed write", s);
			fail(k, how, msg);
			return false;
		}
	}
	return txn_first == 0 || check_txn(buf, k, how);
}

static void judge(size_t k, const char *how)
{
	states++;
	int fd = open(state_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pwrite(fd, st, st_len, 0) != (ssize_t)st_len)
		die("write the state file");
	close(fd);
	struct vhdx_image *img;
	struct vhdx_error err;
	if (vhdx_open(state_path, 0, NULL, &img, &err) != VHDX_OK) {
		fail(k, how, err.msg);
		return;
	}
	struct vhdx_check_report rep;
	if (vhdx_check(img, &rep) != VHDX_OK)
		fail(k, how, vhdx_errmsg(img));
	else if (rep.nproblems)
		fail(k, how, rep.problems[0]);
	vhdx_check_report_free(&rep);
	bool ok = check_sectors(img, k, how);
	vhdx_close(img, NULL);
	if (!ok || qemu_every == 0 || states % qemu_every != 0)
		return;
	/* Replay in place, read again, and let qemu judge. */
	if (vhdx_open(state_path, VHDX_OPEN_WRITE, NULL, &img, &err) !=
	    VHDX_OK) {
		fail(k, how, err.msg);
		return;
	}
	ok = check_sectors(img, k, how);
	if (vhdx_close(img, &err) != VHDX_OK)
		fail(k, how, err.msg);
	char cmd[4400];
	snprintf(cmd, sizeof(cmd), "qemu-img check -q -f vhdx '%s'",
		 state_path);
	qemu_runs++;
	if (ok && system(cmd) != 0)
		fail(k, how, "qemu-img check");
}

/* Builds the states of a cut after event k (events [0, k) issued). */
static void cut_at(size_t k, unsigned nrandom)
{
	size_t last_sync = 0; /* events [0, last_sync) are durable */
	for (size_t i = 0; i < k; i++)
		if (evs[i].kind == VHDX_INT_IO_SYNC)
			last_sync = i + 1;
	size_t pend[4096], m = 0;
	for (size_t i = last_sync; i < k && m < 4096; i++)
		if (evs[i].kind != VHDX_INT_IO_SYNC &&
		    evs[i].kind != EV_FLUSHED)
			pend[m++] = i;
	/* Variants: -1 none, -2 all, 0..m-1 only i, m..2m-1 all but i,
	 * then random subsets (torn, reordered). */
	long nvar = 2 + (m > 1 ? 2 * (long)m : 0) + (m ? nrandom : 0);
	for (long v = 0; v < nvar; v++) {
		memcpy(st, base, base_len);
		st_len = base_len;
		for (size_t i = 0; i < last_sync; i++)
			apply(&evs[i], false);
		const char *how;
		if (v == 0) {
			how = "durable prefix only";
		} else if (v == 1) {
			how = "every pending change";
			for (size_t j = 0; j < m; j++)
				apply(&evs[pend[j]], false);
		} else if (v < 2 + (long)m) {
			how = "one pending change";
			apply(&evs[pend[v - 2]], false);
		} else if (v < 2 + 2 * (long)m) {
			how = "all but one pending change";
			for (size_t j = 0; j < m; j++)
				if ((long)j != v - 2 - (long)m)
					apply(&evs[pend[j]], false);
		} else {
			how = "random subset, torn and reordered";
			size_t order[4096];
			for (size_t j = 0; j < m; j++)
				order[j] = pend[j];
			for (size_t j = m; j > 1; j--) {
				size_t r = (size_t)(next_rand() % j);
				size_t t = order[j - 1];
				order[j - 1] = order[r];
				order[r] = t;
			}
			for (size_t j = 0; j < m; j++)
				if (next_rand() % 3)
					apply(&evs[order[j]], true);
		}
		judge(k, how);
	}
}

/* Cuts the recorded session at every point and prints its numbers. */
static void report(const char *name, unsigned nrandom)
{
	unsigned states0 = states, failures0 = failures, qemu0 = qemu_runs;
	size_t nsync = 0, nwrite = 0;
	for (size_t i = 0; i < nev; i++) {
		nsync += evs[i].kind == VHDX_INT_IO_SYNC;
		nwrite += evs[i].kind != VHDX_INT_IO_SYNC &&
			  evs[i].kind != EV_FLUSHED;
	}
	for (size_t k = 0; k <= nev; k++)
		cut_at(k, nrandom);
	printf("power-loss states (%s): %u tried, %u failed (%zu recorded "
	       "changes, %zu flush barriers, %zu cut points, %u random "
	       "subsets per point, %u qemu-img checks)\n",
	       name, states - states0, failures - failures0, nwrite, nsync,
	       nev + 1, nrandom, qemu_runs - qemu0);
}

static void vwrite(struct vhdx_image *img, unsigned n, uint64_t off,
		   uint64_t len)
{
	uint8_t *b = malloc(len);
	if (b == NULL)
		die("out of memory");
	fill(b, len, 100 + n);
	memcpy(newv + off, b, len);
	for (uint64_t s = off / SECTOR; s < (off + len) / SECTOR; s++)
		owner[s] = (uint16_t)n;
	if (vhdx_pwrite(img, b, len, off) != VHDX_OK)
		die(vhdx_errmsg(img));
	free(b);
	flushed_at[n] = SIZE_MAX;
}

static void vflush(struct vhdx_image *img, unsigned upto)
{
	if (vhdx_flush(img) != VHDX_OK)
		die(vhdx_errmsg(img));
	record(EV_FLUSHED, NULL, 0, 0);
	for (unsigned w = 1; w <= upto; w++)
		if (flushed_at[w] == SIZE_MAX)
			flushed_at[w] = nev - 1;
}

/* The image file as it is now becomes the session's starting point (its
 * virtual disk: oldv); then a recorded writable session on it begins. */
static struct vhdx_image *start_session(void)
{
	memcpy(newv, oldv, VSIZE);
	free(base);
	size_t blen;
	base = hvo_test_read_file(img_path, &blen);
	base_len = blen;
	vhdx_int_io_hook = hook;
	struct vhdx_image *img;
	struct vhdx_error err;
	if (vhdx_open(img_path, VHDX_OPEN_WRITE, NULL, &img, &err) != VHDX_OK)
		die(err.msg);
	return img;
}

/*
 * qemu replays our multi-entry sequence too: the state of a cut right
 * after the header named the transaction's log (its pages not yet written
 * in place) is repaired by `qemu-img check -r all` (which replays the
 * log), and `qemu-img convert` must then read the transaction's content.
 * Skipped without qemu-img.
 */
static void qemu_replays_txn(void)
{
	if (system("qemu-img --version >/dev/null 2>&1") != 0)
		return;
	size_t k = 0;
	for (size_t i = 0; i < txn_done; i++)
		if (evs[i].kind == VHDX_INT_IO_WRITE &&
		    (evs[i].off == 64 * 1024 || evs[i].off == 128 * 1024))
			k = i;
	/* Up to the last header write (the second copy: its own flush
	 * comes later, vhdx/header.c, and the state keeps it as written);
	 * the pages come after. */
	k += 1;
	if (k >= txn_done)
		die("no cut between the transaction's header and its pages");
	memcpy(st, base, base_len);
	st_len = base_len;
	for (size_t i = 0; i < k; i++)
		apply(&evs[i], false);
	int fd = open(state_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pwrite(fd, st, st_len, 0) != (ssize_t)st_len)
		die("write the state file");
	close(fd);
	char cmd[13000];
	snprintf(cmd, sizeof(cmd),
		 "qemu-img check -q -r all -f vhdx '%s' >/dev/null 2>&1; "
		 "qemu-img convert -f vhdx -O raw '%s' '%s.raw'",
		 state_path, state_path, state_path);
	qemu_runs++;
	if (system(cmd) != 0)
		die("qemu-img could not replay the transaction's log");
	char raw[4300];
	snprintf(raw, sizeof(raw), "%s.raw", state_path);
	size_t len;
	uint8_t *got = hvo_test_read_file(raw, &len);
	unlink(raw);
	bool ok = len == VSIZE;
	for (size_t s = 0; ok && s < NSECT; s++)
		if (owner[s] >= 1 && owner[s] <= 5)
			ok = memcmp(got + s * SECTOR, newv + s * SECTOR,
				    SECTOR) == 0;
	free(got);
	if (!ok) {
		failures++;
		fprintf(stderr, "FAIL: qemu-img's replay of the transaction's "
				"log does not read its content\n");
	}
	printf("qemu-img replayed the transaction's log sequence: %s\n",
	       ok ? "ok" : "FAILED");
}

/*
 * Scenario 3: a write transaction (vhdx_txn_begin/commit) of more pages
 * than one log entry carries, so that its commit is a sequence of
 * several entries: overwrites in blocks mapped before it (held, some of
 * them partial pages), a write to a block it allocates, then a write
 * after the commit.  Every cut must leave the transaction all old or all
 * new.  Then a transaction larger than the log: committed in groups,
 * whose count and final content are checked.
 */
static void transaction(unsigned nrandom)
{
	for (size_t i = 0; i < nev; i++)
		free(evs[i].data);
	nev = 0;
	memset(owner, 0, sizeof(owner));
	memset(flushed_at, 0, sizeof(flushed_at));
	unlink(img_path);
	struct vhdx_create_opts co = { .type = VHDX_TYPE_DYNAMIC,
				       .virtual_size = VSIZE,
				       .block_size = MiB };
	struct vhdx_error err;
	struct vhdx_image *img;
	if (vhdx_create(img_path, &co, &err) != VHDX_OK ||
	    vhdx_open(img_path, VHDX_OPEN_WRITE, NULL, &img, &err) != VHDX_OK)
		die(err.msg);
	uint8_t *b = malloc(3 * MiB);
	fill(b, 3 * MiB, 9);
	if (vhdx_pwrite(img, b, 3 * MiB, 0) != VHDX_OK)
		die(vhdx_errmsg(img));
	memset(oldv, 0, VSIZE);
	memcpy(oldv, b, 3 * MiB);
	free(b);
	if (vhdx_close(img, &err) != VHDX_OK)
		die(err.msg);
	img = start_session();
	uint32_t tcap = vhdx_txn_capacity(img);
	if (vhdx_txn_begin(img) != VHDX_OK)
		die(vhdx_errmsg(img));
	txn_first = 1;
	txn_last = 5;
	txn_done = SIZE_MAX;
	vwrite(img, 1, 16 * 1024, 64 * 1024);	       /* block 0: 16 pages */
	vwrite(img, 2, MiB + 8192, 75 * 4096);	       /* block 1: 75 pages */
	vwrite(img, 3, 2 * MiB + 1000 * 512, 512);     /* a partial page */
	vwrite(img, 4, 2 * MiB + 1543 * 512, 3 * 512); /* across two pages */
	vwrite(img, 5, 5 * MiB, 64 * 1024);	       /* new block 5 */
	unsigned groups;
	if (vhdx_txn_commit(img, &groups) != VHDX_OK)
		die(vhdx_errmsg(img));
	if (groups != 1)
		die("a transaction within capacity took several groups");
	record(EV_FLUSHED, NULL, 0, 0);
	txn_done = nev - 1;
	for (unsigned w = 1; w <= 5; w++)
		flushed_at[w] = nev - 1;
	vwrite(img, 6, 2 * MiB + 64 * 1024, 8192); /* after it, in place */
	if (vhdx_close(img, &err) != VHDX_OK)
		die(err.msg);
	record(EV_FLUSHED, NULL, 0, 0);
	flushed_at[6] = nev - 1;
	vhdx_int_io_hook = NULL;
	size_t nentries = 0;
	for (size_t i = 0; i < nev; i++)
		if (evs[i].kind == VHDX_INT_IO_WRITE && evs[i].len >= 4096 &&
		    memcmp(evs[i].data, "loge", 4) == 0)
			nentries++;
	if (nentries < 2)
		die("the transaction was not a multi-entry sequence");
	report("transaction of several log entries", nrandom);
	txn_first = 0;
	qemu_replays_txn();

	/* Larger than the log: groups, in order; the content at the end. */
	if (vhdx_open(img_path, VHDX_OPEN_WRITE, NULL, &img, &err) != VHDX_OK)
		die(err.msg);
	size_t big = ((size_t)tcap + 40) * 4096;
	if (big > 3 * MiB)
		die("the capacity is larger than the test's old data");
	b = malloc(big);
	fill(b, big, 11);
	if (vhdx_txn_begin(img) != VHDX_OK ||
	    vhdx_pwrite(img, b, big, 0) != VHDX_OK ||
	    vhdx_txn_commit(img, &groups) != VHDX_OK)
		die(vhdx_errmsg(img));
	if (vhdx_close(img, &err) != VHDX_OK)
		die(err.msg);
	if (groups < 2)
		die("a transaction past capacity was not split into groups");
	uint8_t *got = malloc(big);
	if (vhdx_open(img_path, 0, NULL, &img, &err) != VHDX_OK)
		die(err.msg);
	if (vhdx_pread(img, got, big, 0) != VHDX_OK || memcmp(got, b, big))
		die("a transaction past capacity lost data");
	vhdx_close(img, NULL);
	printf("transaction past capacity (%u pages): %u groups\n", tcap,
	       groups);
	free(got);
	free(b);
}

int main(int argc, char **argv)
{
	unsigned nrandom = argc > 1 ? (unsigned)atoi(argv[1]) : 4;
	qemu_every = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	char *d = hvo_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s", d);
	free(d);
	snprintf(img_path, sizeof(img_path), "%s/disk.vhdx", dir);
	snprintf(state_path, sizeof(state_path), "%s/state.vhdx", dir);
	oldv = calloc(1, VSIZE);
	newv = calloc(1, VSIZE);
	st = malloc(MAX_FILE);
	if (!oldv || !newv || !st)
		die("out of memory");

	/* The image before the session: 1 MiB blocks, three of them
	 * holding old data, plus a leaked tail as a killed writer leaves
	 * (reclaimed by the session's first allocation). */
	struct vhdx_create_opts co = { .type = VHDX_TYPE_DYNAMIC,
				       .virtual_size = VSIZE,
				       .block_size = MiB };
	struct vhdx_error err;
	if (vhdx_create(img_path, &co, &err) != VHDX_OK)
		die(err.msg);
	struct vhdx_image *img;
	if (vhdx_open(img_path, VHDX_OPEN_WRITE, NULL, &img, &err) != VHDX_OK)
		die(err.msg);
	uint8_t *b = malloc(3 * MiB);
	fill(b, 3 * MiB, 7);
	if (vhdx_pwrite(img, b, 3 * MiB, 0) != VHDX_OK)
		die(vhdx_errmsg(img));
	memcpy(oldv, b, 3 * MiB);
	free(b);
	if (vhdx_close(img, &err) != VHDX_OK)
		die(err.msg);
	/* The leaked tail holds what the killed writer wrote (not zeros),
	 * so that a reused block that is not zeroed shows. */
	struct stat sb;
	if (stat(img_path, &sb) != 0)
		die("stat");
	uint8_t *junk = malloc(2 * MiB);
	memset(junk, 0xa5, 2 * MiB);
	int jfd = open(img_path, O_WRONLY);
	if (jfd < 0 || pwrite(jfd, junk, 2 * MiB, sb.st_size) != 2 * MiB)
		die("write the leaked tail");
	close(jfd);
	free(junk);
	/* The session, recorded: in-place overwrites, new full and partial
	 * blocks, a write across a block boundary, two flushes, close. */
	img = start_session();
	vwrite(img, 1, 64 * 1024, 64 * 1024); /* in place, block 0 */
	/* The first allocation is partial: the rest of its block, on the
	 * reclaimed tail, must read as zeros. */
	vwrite(img, 2, 6 * MiB + 4096, 100 * 1024); /* new partial block 6 */
	vflush(img, 2);
	vwrite(img, 3, 4 * MiB, MiB);	       /* new full block 4 */
	vwrite(img, 4, MiB + 512, 8 * 1024);   /* in place, block 1 */
	vwrite(img, 5, 7 * MiB - 8192, 16384); /* across blocks 6/7 */
	vflush(img, 5);
	vwrite(img, 6, 5 * MiB, 3 * 4096); /* new block 5 */
	if (vhdx_close(img, &err) != VHDX_OK)
		die(err.msg);
	record(EV_FLUSHED, NULL, 0, 0);
	flushed_at[6] = nev - 1;
	vhdx_int_io_hook = NULL;

	report("write session", nrandom);

	/* Scenario 2: a power cut while a writable open replays a dirty
	 * log in place.  The starting file is the durable state right after
	 * the first log entry of scenario 1 was flushed (the BAT not yet
	 * updated); every state of its replay must read like the log-replayed
	 * view of that file. */
	struct vhdx_info in;
	if (vhdx_open(img_path, 0, NULL, &img, &err) != VHDX_OK)
		die(err.msg);
	vhdx_get_info(img, &in);
	vhdx_close(img, NULL);
	/* The first flush barrier after a log entry where the file needs
	 * replay (the header names the log only after the entry is durable;
	 * see write.c). */
	bool seen_log = false, dirty = false;
	for (size_t i = 0; i < nev && !dirty; i++) {
		if (evs[i].kind == VHDX_INT_IO_WRITE &&
		    evs[i].off >= in.log_offset &&
		    evs[i].off < in.log_offset + in.log_length)
			seen_log = true;
		if (!seen_log || evs[i].kind != VHDX_INT_IO_SYNC)
			continue;
		memcpy(st, base, base_len);
		st_len = base_len;
		for (size_t j = 0; j <= i; j++)
			apply(&evs[j], false);
		int dfd = open(state_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (dfd < 0 || pwrite(dfd, st, st_len, 0) != (ssize_t)st_len)
			die("write the dirty image");
		close(dfd);
		if (vhdx_open(state_path, 0, NULL, &img, &err) != VHDX_OK)
			die(err.msg);
		vhdx_get_info(img, &in);
		dirty = in.log_state == VHDX_LOG_REPLAYED_MEMORY;
		vhdx_close(img, NULL);
	}
	if (!dirty)
		die("no state of the recording needs log replay");
	for (size_t i = 0; i < nev; i++)
		free(evs[i].data);
	nev = 0;
	free(base);
	base = malloc(st_len);
	if (base == NULL)
		die("out of memory");
	memcpy(base, st, st_len);
	base_len = st_len;
	if (rename(state_path, img_path) != 0)
		die("rename the dirty image");
	if (vhdx_open(img_path, 0, NULL, &img, &err) != VHDX_OK)
		die(err.msg);
	if (vhdx_pread(img, oldv, VSIZE, 0) != VHDX_OK)
		die(vhdx_errmsg(img));
	vhdx_close(img, NULL);
	memcpy(newv, oldv, VSIZE);
	memset(owner, 0, sizeof(owner));
	vhdx_int_io_hook = hook;
	if (vhdx_open(img_path, VHDX_OPEN_WRITE, NULL, &img, &err) != VHDX_OK)
		die(err.msg);
	if (vhdx_close(img, &err) != VHDX_OK)
		die(err.msg);
	vhdx_int_io_hook = NULL;
	report("log replay in place", nrandom);
	transaction(nrandom);
	printf("power-loss states: %u tried, %u failed in all\n", states,
	       failures);

	for (size_t i = 0; i < nev; i++)
		free(evs[i].data);
	free(evs);
	free(base);
	free(st);
	free(oldv);
	free(newv);
	hvo_test_rmtree(dir);
	return failures ? 1 : 0;
}

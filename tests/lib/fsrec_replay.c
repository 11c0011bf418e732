/*
 * fsrec_replay.c - rebuilding the states a power cut could leave from the
 * recording of fsrec.c, and judging them (fsrec.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/fsrec.h"
#include "tests/lib/fsrec_int.h"

#define PAGE 4096u

/* ---- Rebuilding states ---- */

static uint64_t rng;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The replayed tree: which path each inode has now. */
static struct ent *map;
static size_t nmap;
static char state[PATH_MAX];

static void map_drop(const char *path)
{
	for (size_t i = 0; i < nmap; i++)
		if (map[i].path && strcmp(map[i].path, path) == 0) {
			free(map[i].path);
			map[i].path = NULL;
		}
}

static const char *map_find(unsigned long ino)
{
	for (size_t i = nmap; i-- > 0;)
		if (map[i].ino == ino)
			return map[i].path;
	return NULL;
}

static void map_set(unsigned long ino, const char *path)
{
	for (size_t i = 0; i < nmap; i++)
		if (map[i].ino == ino) {
			free(map[i].path);
			map[i].path = fsrec_int_xstrdup(path);
			return;
		}
	map = fsrec_int_xrealloc(map, (nmap + 1) * sizeof(*map));
	map[nmap].ino = ino;
	map[nmap].path = fsrec_int_xstrdup(path);
	nmap++;
}

static void at(char *buf, const char *rel)
{
	fsrec_int_join(buf, state, rel);
}

static void replay_name(const struct op *o)
{
	char p1[PATH_MAX], p2[PATH_MAX];
	at(p1, o->path);
	switch (o->kind) {
	case K_CREATE: {
		unlink(p1);
		map_drop(o->path);
		int fd = open(p1, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			break; /* its directory is not there */
		close(fd);
		map_set(o->ino, o->path);
		break;
	}
	case K_MKDIR:
		mkdir(p1, 0755);
		break;
	case K_RENAME: {
		at(p2, o->path2);
		if (rename(p1, p2) != 0)
			break;
		map_drop(o->path2);
		size_t l = strlen(o->path);
		for (size_t i = 0; i < nmap; i++) {
			char *p = map[i].path;
			if (p == NULL || strncmp(p, o->path, l) != 0 ||
			    (p[l] != '\0' && p[l] != '/'))
				continue;
			char *n;
			if (asprintf(&n, "%s%s", o->path2, p + l) < 0)
				fsrec_int_die("out of memory");
			free(p);
			map[i].path = n;
		}
		break;
	}
	case K_UNLINK:
		if (unlink(p1) == 0)
			map_drop(o->path);
		break;
	case K_RMDIR:
		rmdir(p1);
		break;
	default:
		break;
	}
}

static void replay_data(const struct op *o, bool torn)
{
	const char *rel = map_find(o->ino);
	if (rel == NULL)
		return; /* not (or no longer) linked in the tree */
	char p[PATH_MAX];
	at(p, rel);
	int fd = open(p, O_WRONLY);
	if (fd < 0)
		fsrec_int_die(p);
	if (o->kind == K_TRUNC) {
		if (ftruncate(fd, (off_t)o->off) != 0)
			fsrec_int_die(p);
	} else {
		for (uint64_t a = 0; a < o->len; a += PAGE) {
			uint64_t b = a + PAGE < o->len ? a + PAGE : o->len;
			if (torn && !(next_rand() & 1))
				continue;
			if (pwrite(fd, o->data + a, b - a,
				   (off_t)(o->off + a)) != (ssize_t)(b - a))
				fsrec_int_die(p);
		}
	}
	close(fd);
}

/* ---- Copying trees in process (a fork per state is slow) ---- */

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP ? rmdir(path) : unlink(path))
		fsrec_int_die(path);
	return 0;
}

static const char *copy_from, *copy_to;

static int copy_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)ftw;
	char dst[PATH_MAX];
	const char *rest = path + strlen(copy_from);
	if (rest[0] == '\0')
		snprintf(dst, sizeof(dst), "%s", copy_to);
	else
		fsrec_int_join(dst, copy_to, rest + 1);
	if (type == FTW_D) {
		if (mkdir(dst, st->st_mode & 07777) != 0)
			fsrec_int_die(dst);
		return 0;
	}
	if (!S_ISREG(st->st_mode))
		return 0;
	int in = open(path, O_RDONLY);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & 07777);
	if (in < 0 || out < 0)
		fsrec_int_die(dst);
	static uint8_t buf[1 << 16];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			fsrec_int_die(dst);
	close(in);
	close(out);
	return 0;
}

/* rm -rf @to; cp -r @from @to (modes kept; the recorder is off). */
static void copy_tree(const char *from, const char *to)
{
	struct stat st;
	if (lstat(to, &st) == 0 &&
	    nftw(to, rm_one, 32, FTW_DEPTH | FTW_PHYS) != 0)
		fsrec_int_die(to);
	copy_from = from;
	copy_to = to;
	if (nftw(from, copy_one, 32, FTW_PHYS) != 0)
		fsrec_int_die(from);
}

/* Operation i of the first k is followed by a flush of its data. */
static bool data_durable(size_t i, size_t k)
{
	for (size_t j = i + 1; j < k; j++)
		if (fsrec_int_ops[j].kind == K_SYNC ||
		    (fsrec_int_ops[j].kind == K_FSYNC &&
		     fsrec_int_ops[j].ino == fsrec_int_ops[i].ino))
			return true;
	return false;
}

/*
 * One state of a cut after @k operations: the durable ones, the first
 * @meta pending name operations, and the pending data changes @pick
 * (indexes into @pend, in that order; torn when @torn).
 */
static void build(size_t k, size_t meta, const size_t *pick, size_t npick,
		  bool torn)
{
	copy_tree(fsrec_int_snap, state);
	for (size_t i = 0; i < nmap; i++)
		free(map[i].path);
	free(map);
	map = fsrec_int_xrealloc(NULL, fsrec_int_nbase * sizeof(*map));
	nmap = fsrec_int_nbase;
	for (size_t i = 0; i < fsrec_int_nbase; i++) {
		map[i].ino = fsrec_int_base[i].ino;
		map[i].path = fsrec_int_xstrdup(fsrec_int_base[i].path);
	}
	size_t barrier = 0; /* name operations before it are durable */
	for (size_t i = 0; i < k; i++)
		if (fsrec_int_ops[i].kind == K_FSYNC_DIR ||
		    fsrec_int_ops[i].kind == K_SYNC)
			barrier = i;
	size_t seen = 0;
	for (size_t i = 0; i < k; i++) {
		const struct op *o = &fsrec_int_ops[i];
		if (o->kind < K_WRITE) {
			if (i < barrier || seen++ < meta)
				replay_name(o);
		} else if (o->kind <= K_TRUNC && data_durable(i, k)) {
			replay_data(o, false);
		}
	}
	for (size_t j = 0; j < npick; j++)
		replay_data(&fsrec_int_ops[pick[j]], torn);
}

/* Whether the states of a cut after @k operations are explored. */
static bool chosen(size_t k, unsigned every, size_t *nbarrier)
{
	if (every <= 1 || k == fsrec_int_nops)
		return every == 1 || k == fsrec_int_nops ||
		       fsrec_int_ops[k].kind >= K_FSYNC;
	if (fsrec_int_ops[k].kind < K_FSYNC)
		return false;
	return (*nbarrier)++ % every == 0;
}

unsigned fsrec_explore(const char *work, unsigned nrandom, unsigned every,
		       unsigned seed, fsrec_judge_fn judge, void *ctx,
		       unsigned *failed_ret)
{
	size_t nbarrier = 0;
	fsrec_stop();
	rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed * 0x100000001b3ull);
	fsrec_int_join(state, work, "state");
	unsigned states = 0, failed = 0;
	size_t *pend =
		fsrec_int_xrealloc(NULL, (fsrec_int_nops + 1) * sizeof(*pend));
	size_t *pick =
		fsrec_int_xrealloc(NULL, (fsrec_int_nops + 1) * sizeof(*pick));
	for (size_t k = 0; k <= fsrec_int_nops; k++) {
		if (!chosen(k, every, &nbarrier))
			continue;
		size_t barrier = 0, q = 0, m = 0;
		for (size_t i = 0; i < k; i++)
			if (fsrec_int_ops[i].kind == K_FSYNC_DIR ||
			    fsrec_int_ops[i].kind == K_SYNC)
				barrier = i;
		for (size_t i = 0; i < k; i++) {
			if (fsrec_int_ops[i].kind < K_WRITE && i >= barrier)
				q++;
			else if (fsrec_int_ops[i].kind >= K_WRITE &&
				 fsrec_int_ops[i].kind <= K_TRUNC &&
				 !data_durable(i, k))
				pend[m++] = i;
		}
		/* Variants: none; all; each name prefix; all data but one
		 * and one alone; random. */
		size_t nvar = 2 + (q > 1 ? q - 1 : 0) + (m > 1 ? 2 * m : 0) +
			      ((q || m) ? nrandom : 0);
		for (size_t v = 0; v < nvar; v++) {
			const char *how;
			size_t meta = q, np = 0;
			bool torn = false;
			size_t v2 = v;
			if (v2 == 0) {
				how = "durable operations only";
				meta = 0;
			} else if (v2 == 1) {
				how = "every pending operation";
				memcpy(pick, pend, m * sizeof(*pick));
				np = m;
			} else if ((v2 -= 2) < (q > 1 ? q - 1 : 0)) {
				how = "a prefix of the pending name operations";
				meta = v2 + 1;
				memcpy(pick, pend, m * sizeof(*pick));
				np = m;
			} else if ((v2 -= (q > 1 ? q - 1 : 0)) < 2 * m &&
				   m > 1) {
				if (v2 < m) {
					how = "all pending data but one";
					for (size_t j = 0; j < m; j++)
						if (j != v2)
							pick[np++] = pend[j];
				} else {
					how = "one pending data change alone";
					pick[np++] = pend[v2 - m];
				}
			} else {
				how = "random: name prefix, data torn and "
				      "reordered";
				meta = q ? (size_t)(next_rand() % (q + 1)) : 0;
				for (size_t j = 0; j < m; j++)
					if (next_rand() % 3)
						pick[np++] = pend[j];
				for (size_t j = np; j > 1; j--) {
					size_t r = (size_t)(next_rand() % j);
					size_t t = pick[j - 1];
					pick[j - 1] = pick[r];
					pick[r] = t;
				}
				torn = true;
			}
			build(k, meta, pick, np, torn);
			states++;
			if (!judge(ctx, state, k, fsrec_int_nops, how))
				failed++;
		}
	}
	free(pend);
	free(pick);
	*failed_ret = failed;
	return states;
}

/*
 * fsrec.h - power-loss crash states of a directory tree (issue 19), in the
 * style of ALICE and CrashMonkey, for operations that write many files:
 * `reg import` (a hive write-back) and `apply` on the host-directory
 * backend.
 *
 * A program that links fsrec.c interposes the file system calls of its
 * own process (open/openat with O_CREAT or O_TRUNC, write, pwrite,
 * ftruncate, fsync, fdatasync, sync, syncfs, rename, unlink, unlinkat,
 * mkdir, rmdir): while recording, every one that touches a file under the
 * watched root is logged with its data, by inode.  Files created inside
 * libc (mkostemp) are logged when first written, renamed or flushed.
 *
 * A power cut after operation k leaves (the persistence model):
 *   - file data (writes, truncations) of an inode: durable once an fsync
 *     or fdatasync of that inode, or a sync, followed; the rest any
 *     subset, a write torn at 4 KiB pages, in any order;
 *   - name operations (create, mkdir, rename, unlink, rmdir): ordered, as
 *     a journalling file system commits them; durable up to the last one
 *     followed by an fsync of a directory or a sync; of the rest, a
 *     prefix.
 * For every cut point fsrec_explore() rebuilds, from the snapshot taken
 * when recording began: the durable state alone, every pending change,
 * each pending data change alone and all but it, each prefix of the
 * pending name operations, and NRANDOM random combinations (torn,
 * reordered).  Each state is handed to the caller's judge.
 */
#ifndef HVO_TESTS_FSREC_H
#define HVO_TESTS_FSREC_H

#include <stdbool.h>
#include <stddef.h>

/* Snapshots @root (absolute, existing directory) into @snapshot (a new
 * directory) and starts recording what this process does under @root. */
void fsrec_start(const char *root, const char *snapshot);

/* Stops recording (the log is kept for fsrec_explore). */
void fsrec_stop(void);

/* Forgets the log (before a new recording). */
void fsrec_reset(void);

/* Recorded operations: all, data changes, flush barriers (either of the
 * last two may be NULL; a recording may be counted while it goes on). */
void fsrec_counts(size_t *ops, size_t *changes, size_t *barriers);

/*
 * The judge of one state: the tree at @state (a directory fsrec_explore
 * made; the judge may change it).  @cut is the number of operations
 * issued before the power cut (of @nops), @how names the variant.
 * Returns true when the state is good; false counts a failure (the judge
 * says why on stderr).
 */
typedef bool (*fsrec_judge_fn)(void *ctx, const char *state, size_t cut,
			       size_t nops, const char *how);

/*
 * Rebuilds the crash states of the recording (see above) under @work
 * (a scratch directory) and judges each.  The cut points: with @every 1,
 * after each operation; with @every 0, right before each flush barrier
 * (where the most is pending: every earlier cut since the last barrier
 * leaves a subset of it, and the name-operation prefixes and data subsets
 * explored there cover those) and at the end; with @every N > 1, before
 * every Nth barrier and at the end.  Returns the number of states;
 * *@failed_ret gets the number the judge refused.  Deterministic for a
 * given @seed.
 */
unsigned fsrec_explore(const char *work, unsigned nrandom, unsigned every,
		       unsigned seed, fsrec_judge_fn judge, void *ctx,
		       unsigned *failed_ret);

#endif /* HVO_TESTS_FSREC_H */

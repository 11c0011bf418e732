/*
 * apply.h - carrying out a plan on a guest filesystem, and checking it
 * (SERVICING.md section 3, steps 7 to 9).
 *
 * svc_apply() works in three phases, so that a failure anywhere before the
 * last rename leaves the guest exactly as it was:
 *
 *   1. Prepare, on the host: the package's files are extracted from the
 *      cabinet and checked against the plan's SHA-256; the hives (and
 *      their logs) are copied out, recovered through registry/ when dirty
 *      with usable logs, edited in one batch each, written to new host
 *      files and read back (reg_commit_to); the previous state of every
 *      file and value is read for the record.  Nothing in the guest has
 *      changed yet.
 *   2. Stage, in the guest: missing directories are created and every new
 *      file and hive is written under a temporary name beside its target.
 *      A failure (a full volume, an I/O error) removes what was staged.
 *   3. Switch: each target is renamed aside (".name.hvo-old") and its new
 *      version renamed in; files first, hives last.  A failed rename puts
 *      back everything switched so far.  Then the set-aside copies are
 *      removed, and the logs of a hive that was recovered are emptied.
 *
 * Then svc_verify() re-reads every planned item from the guest.
 */
#ifndef HVO_SERVICING_APPLY_H
#define HVO_SERVICING_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"
#include "hvoffline.h"
#include "package/package.h"
#include "servicing/error.h"
#include "servicing/plan.h"
#include "util/json.h"

/* Progress of long steps, one sentence each. */
typedef void (*svc_progress_fn)(void *ctx, const char *msg);
/* Progress within a long step: @done of @total bytes (@bytes) or items
 * of @step.  Called with 0 when the step begins and @total when it
 * ends. */
typedef void (*svc_step_count_fn)(void *ctx, const char *step, uint64_t done,
				  uint64_t total, bool bytes);

struct svc_apply_opts {
	const char *tmpdir; /* private host scratch directory */
	/* The package the plan was built from, opened (pkg_package_open):
	 * its cabinet's entries are extracted from, and the cabinet staged
	 * from, the bytes read then; the path is not opened again. */
	const struct pkg_package *pkg;
	svc_progress_fn progress;
	void *progress_ctx;
	/* For tests: the Nth change to the guest while staging (1-based:
	 * directories and files) fails as if the volume were full, or the
	 * Nth rename while switching fails; 0: never. */
	unsigned fail_stage_at;
	unsigned fail_switch_at;
	/* For tests: the run stops dead before the Nth rename, with no
	 * clean-up, as if it were killed; 0: never. */
	unsigned crash_switch_at;
	/* For tests: the run stops dead once everything is switched in,
	 * before the set-aside originals are kept for rollback (1) or after
	 * N-1 of them were (N); 0: never (rollback_keep.c). */
	unsigned crash_keep_at;
	/* Progress within long steps (staging the files, writing the
	 * hives back; then verify's hashing); NULL: none. */
	svc_step_count_fn count;
	void *count_ctx;
};

/* One file of the plan as found and as left. */
struct svc_file_change {
	const struct svc_plan_file *file;
	bool existed;
	uint8_t prev_sha256[32];
	uint64_t prev_size;
	bool written; /* false: already identical */
	/* Security descriptors (self-relative, malloc'd; NULL: none):
	 * what the file had, and what apply gave it by @sd_rule
	 * ("manifest", "previous", "inherited"; NULL: not set). */
	uint8_t *prev_sd;
	size_t prev_sd_len;
	uint8_t *sd;
	size_t sd_len;
	const char *sd_rule;
};

/* One registry operation as found and as left. */
struct svc_reg_change {
	const struct svc_plan_reg *reg;
	bool existed; /* the value (or key) was there */
	uint32_t prev_type;
	uint8_t *prev_data;
	size_t prev_len;
	bool changed;	  /* the operation changed the hive */
	const char *skip; /* why it was left alone, or NULL */
};

struct svc_difference {
	char *what;	/* "file Windows\System32\drivers\vmbus.sys" */
	char *expected; /* "sha256 ab12..." */
	char *found;	/* "absent", "sha256 cd34..." */
};

struct svc_verify_result {
	size_t nchecked;
	size_t ndiffs;
	struct svc_difference *diffs;
	/* The first-boot step already ran (its log says "done"): its own
	 * items are gone by design and are not checked. */
	bool firstboot_done;
	char firstboot_status[256]; /* its last log line, if it ran */
};

struct svc_apply_result {
	struct svc_error error; /* why it failed (svc_apply_errmsg) */
	bool guest_changed;	/* the switch completed */
	bool rolled_back;	/* staged or switched items were undone */
	size_t nfiles;
	struct svc_file_change *files;
	size_t nregs;
	struct svc_reg_change *regs;
	size_t files_written, regs_changed, dirs_created;
	/* Guest changes made while staging (directories and files) and
	 * renames while switching: where a failure can strike. */
	unsigned stage_ops, renames;
	bool hive_written[SVC_NHIVES];
	bool hive_recovered[SVC_NHIVES]; /* replayed from its logs first */
	char *record_json;		 /* the record written to the guest */
	/* Security descriptors given to what apply created or replaced
	 * (files, directories, hives), and those left as the backend made
	 * them, with the first reason (malloc'd, or NULL). */
	size_t sds_set, sds_skipped;
	char *sd_skip_reason;
	/* Cleanup after the switch that failed, and files an interrupted
	 * earlier run left in the guest that this one removed. */
	char **warnings;
	size_t nwarnings;
	struct svc_verify_result verify;
};

/*
 * Applies @plan to @fs (the guest's Windows volume, mounted read-write).
 * A journal left by an interrupted run makes it refuse (SVC_ERR_REFUSED):
 * svc_apply_recover() first.  Returns SVC_OK or the error, whose message
 * svc_apply_errmsg() gives.  @res is filled in either case; free it with
 * svc_apply_result_free().
 */
enum svc_err svc_apply(struct guest_fs *fs, const struct svc_plan *plan,
		       const struct svc_apply_opts *opts,
		       struct svc_apply_result *res);

/* The message of a failed svc_apply() ("" after success; owned by @res). */
const char *svc_apply_errmsg(const struct svc_apply_result *res);

void svc_apply_result_free(struct svc_apply_result *res);

/*
 * The journal a switch keeps in the guest while it runs
 * ("<systemroot>\hvoffline\apply-in-progress.txt"; caller frees).  Its
 * presence means a run died between its first and last rename.
 */
char *svc_apply_journal_path(const char *systemroot);

/*
 * Cleans up after a run that died while switching: every target that is
 * missing gets its set-aside original back, staged and set-aside copies go,
 * and the journal is removed.  Files already switched keep their new
 * content (a later apply brings the rest).  Returns SVC_OK (nothing to do,
 * or done; *@restored_ret counts the originals put back) or SVC_ERR_GUEST
 * with the message in @err.
 */
enum svc_err svc_apply_recover(struct guest_fs *fs, const char *systemroot,
			       unsigned *restored_ret, struct svc_error *err);

struct svc_verify_opts {
	const char *tmpdir; /* private host scratch directory */
	/* The package (as in svc_apply_opts), for digests the plan does
	 * not carry; NULL: those files are not compared. */
	const struct pkg_package *pkg;
	/* Apply's changes (plan->nfiles of them), whose descriptors are
	 * checked; else, with @manifest_sds, the descriptors the manifests
	 * define (on for `hvoffline verify`). */
	const struct svc_file_change *changes;
	bool manifest_sds;
	/* Progress of the hashing, in files; NULL: none. */
	svc_step_count_fn count;
	void *count_ctx;
};

/*
 * Re-reads every planned item from @fs and records each difference: a
 * file's SHA-256, a value's type and data, a key, a list entry.  Items of
 * the first-boot step are skipped once that step has run.  Returns SVC_OK
 * (differences are data, in @res), or the error when the guest could not
 * be read at all (@res->diffs says why).
 */
enum svc_err svc_verify(struct guest_fs *fs, const struct svc_plan *plan,
			const struct svc_verify_opts *opts,
			struct svc_verify_result *res);

void svc_verify_result_free(struct svc_verify_result *res);

/* The result as the members of the JSON object @w has open. */
void svc_apply_result_json(const struct svc_apply_result *res,
			   struct json_writer *w);
void svc_verify_result_json(const struct svc_verify_result *res,
			    struct json_writer *w);

#endif /* HVO_SERVICING_APPLY_H */

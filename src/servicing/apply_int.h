/*
 * apply_int.h - what the files of apply and verify share (internal).
 *
 *   apply_common.c  errors and progress of an apply, guest digests,
 *                   set-aside names, the package's files on the host
 *                   (used by all the others; calls none of them)
 *   apply_hive.c    the hives: copied out, recovered, edited
 *   apply_switch.c  staging, the journal, the switch, recovery
 *   apply_record.c  the record kept in the guest, the result as JSON
 *   apply.c         svc_apply(): the three phases in order
 *   verify.c        svc_verify()
 *   apply_sd.c      security descriptors (apply's rules)
 *   verify_sd.c     their check in verify
 */
#ifndef HVO_SERVICING_APPLY_INT_H
#define HVO_SERVICING_APPLY_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"
#include "registry/reg.h"
#include "servicing/apply.h"
#include "servicing/error.h"
#include "servicing/plan.h"

/* "dir\.name.<suffix>" for "dir\name" (caller frees; NULL if out of
 * memory): staged and set-aside copies live beside their target. */
char *svc_int_sibling(const char *path, const char *suffix);

/* SHA-256 and size of a guest file; *@exists false (and GUEST_OK) when
 * there is none. */
int svc_int_guest_sha256(struct guest_fs *fs, const char *path, bool *exists,
			 uint8_t sha[32], uint64_t *size);

/*
 * Extracts the cabinet entries the plan names from @pkg's cabinet (open
 * since pkg_package_open read it) into host directory @dir;
 * (*@host_ret)[i] is the host path of plan file i (NULL for files of
 * other sources; caller frees the array and its strings).  Returns SVC_OK
 * or the error (SVC_ERR_CORRUPT for a corrupt cabinet) with @err set.
 */
enum svc_err svc_int_extract(const struct svc_plan *plan,
			     const struct pkg_package *pkg, const char *dir,
			     char ***host_ret, struct svc_error *err);

/* Whether a ';'-separated path list holds @entry (ignoring case and
 * spaces around entries). */
bool svc_int_path_has(const char *list, const char *entry);

/* ---- apply_common.c ---- */

/* Records the error of an apply in @res and returns @code. */
enum svc_err svc_int_apply_fail(struct svc_apply_result *res, enum svc_err code,
				const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One sentence of progress, when the caller asked for it. */
void svc_int_apply_progress(const struct svc_apply_opts *o, const char *fmt,
			    ...) __attribute__((format(printf, 2, 3)));

/* A warning kept in @res (cleanup after the switch that failed). */
void svc_int_apply_warn(struct svc_apply_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Adds a difference to @res (apply_common.c; used by verify.c,
 * apply_sd.c and rollback_state.c). */
void svc_int_verify_diff(struct svc_verify_result *res, const char *what,
			 const char *expected, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The servicing error of a guest-layer (GUEST_E_*) or registry (REG_E_*)
 * failure, graded by their *_exit_class(). */
enum svc_err svc_int_guest_err(int e);
enum svc_err svc_int_reg_err(int e);

/* Records the guest-layer failure @e of @fs on @what in @err ("<what>:
 * <the guest's message>", graded as svc_int_guest_err) and returns it. */
enum svc_err svc_int_guest_fail(struct svc_error *err, struct guest_fs *fs,
				int e, const char *what);

/* The suffixes of a hive's logs. */
extern const char *const svc_int_log_suffix[3];

/* ---- apply_hive.c ---- */

/* One hive being edited (paths malloc'd; svc_int_apply_hive_close). */
struct hive_work {
	bool used;
	char *guest;	     /* Windows\System32\config\SYSTEM */
	char *host_dir;	     /* copies of the hive and its logs */
	char *host;	     /* the copy of the hive */
	char *host_new;	     /* the edited hive */
	bool log_present[3]; /* .LOG, .LOG1, .LOG2 */
	struct reg_hive *h;
	size_t changes;
};

/* Copies the hive and its logs out into @tmpdir and opens it for
 * editing, recovered when dirty with usable logs. */
enum svc_err svc_int_apply_hive_open(struct guest_fs *fs,
				     const struct svc_plan *p,
				     enum svc_hive which, const char *tmpdir,
				     struct hive_work *hw,
				     struct svc_apply_result *res);

/* Closes the hive and frees @hw's paths. */
void svc_int_apply_hive_close(struct hive_work *hw);

/* Carries out one registry operation, recording the previous state in
 * @c.  Returns REG_OK or a registry error. */
int svc_int_reg_op(struct reg_hive *h, const struct svc_plan_reg *r,
		   struct svc_reg_change *c);

/* ---- apply_record.c ---- */

/* The JSON record of the run (caller frees; NULL if out of memory). */
char *svc_int_make_record(const struct svc_plan *p,
			  const struct svc_apply_result *res);

/* ---- apply_switch.c ---- */

/* A file or hive going into the guest. */
struct item {
	char *target, *tmp, *old;
	bool existed;
	bool staged, set_aside, switched;
	const char *host_path; /* content from a host file, or */
	const uint8_t *buf;    /* from memory */
	size_t len;
	/* The plan file's change (NULL for a hive) and its manifest SDDL,
	 * for the item's security descriptor (apply_sd.c). */
	struct svc_file_change *change;
	const char *sddl;
};

/* The items of one apply, in switch order. */
struct txn {
	struct guest_fs *fs;
	const struct svc_apply_opts *opts;
	struct item *items;
	size_t n;
	char *journal; /* the switch's journal, while it runs */
	char **dirs;   /* created, in order */
	size_t ndirs;
	unsigned stage_ops, switch_ops;
};

/* Adds an item (content from @host_path, or @buf).  0, or -1 when out of
 * memory. */
int svc_int_item_add(struct txn *t, const char *target, bool existed,
		     const char *host_path, const uint8_t *buf, size_t len);
void svc_int_txn_free(struct txn *t);

/* Removes the journal (the caller flushes). */
void svc_int_journal_remove(struct txn *t);

/* Phase 2: the directories and every item under its temporary name, and
 * the journal, flushed; undone on failure. */
enum svc_err svc_int_stage(struct txn *t, const struct svc_plan *p,
			   struct svc_apply_result *res);

/* Phase 3: every item renamed in, its original set aside; undone on
 * failure. */
enum svc_err svc_int_switch_all(struct txn *t, struct svc_apply_result *res);

/* ---- apply_sd.c: security descriptors ---- */

/* Phase 1: the descriptors of the files about to be replaced
 * (res->files[i].prev_sd), for the record and to keep them. */
enum svc_err svc_int_sd_previous(struct guest_fs *fs, const struct svc_plan *p,
				 struct svc_apply_result *res);

/* Phase 2: the descriptor of directory @dir, just created (inherited
 * from its parent), and those of the staged items, before the flush. */
enum svc_err svc_int_sd_dir(struct txn *t, const char *dir,
			    struct svc_apply_result *res);
enum svc_err svc_int_sd_items(struct txn *t, size_t n,
			      struct svc_apply_result *res);

/* The rule by which apply gives plan file @f (found as @c) its
 * descriptor: "store", "manifest", "previous" or "inherited" (static
 * text; see apply_sd.c). */
const char *svc_int_sd_rule(const struct svc_plan_file *f,
			    const struct svc_file_change *c);

/* The descriptor of hvoffline's record folder (@is_dir) or of a file in
 * it: SYSTEM and Administrators only.  svc_int_sd_store_bytes: 0, or -1
 * when out of memory (caller frees *@sd_ret).  svc_int_sd_store sets it
 * on @path: GUEST_OK (also on a backend that keeps no descriptors) or
 * the GUEST_E_* error, with guest_fs_errmsg(). */
int svc_int_sd_store_bytes(bool is_dir, uint8_t **sd_ret, size_t *len_ret);
int svc_int_sd_store(struct guest_fs *fs, const char *path, bool is_dir);

/* Adds to @u an sd line per directory @t created and per file whose
 * descriptor apply set, with its rule (services_undo.h).  0 or -1 (out
 * of memory). */
struct svc_undo;
int svc_int_sd_undo(const struct txn *t, struct svc_undo *u);

/* Whether two descriptors say the same (in our own encoding, so that the
 * order of their parts does not matter). */
bool svc_int_sd_same(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen);

/* The parent directory of guest path @path ("" for the root; caller
 * frees; NULL if out of memory). */
char *svc_int_parent_of(const char *path);

/* One parent's descriptor, kept while the next object is in the same
 * directory (apply writes most files into a few). */
struct parent_cache {
	char *dir;
	uint8_t *sd;
	size_t len;
	int e; /* guest_fs_get_sd's result */
	char why[512];
};
void svc_int_parent_cache_free(struct parent_cache *pc);

/* The descriptor of @path's parent in @pc (GUEST_OK), or the error. */
int svc_int_parent_sd(struct guest_fs *fs, const char *path,
		      struct parent_cache *pc);

/*
 * The descriptor that rule @rule gives @path (a directory when @is_dir),
 * computed again as apply did: @data/@len is the sd line's data (the
 * manifest's SDDL, the previous descriptor).  0 with *@sd_ret (caller
 * frees); 1 when the rule gives none here (no parent descriptor to
 * inherit, no previous one); -1 with @why.
 */
int svc_int_sd_expected(struct guest_fs *fs, const char *path, const char *rule,
			bool is_dir, const uint8_t *data, size_t len,
			struct parent_cache *pc, uint8_t **sd_ret,
			size_t *len_ret, char *why, size_t whylen);

/* ---- verify_sd.c ---- */

/* Verify: a difference per file or directory whose descriptor is not the
 * one expected: apply's (@o->changes); else, with @o->manifest_sds, the
 * one each rule recorded in the newest apply's undo data gives, and the
 * manifest's for files no such record covers. */
void svc_int_sd_verify(struct guest_fs *fs, const struct svc_plan *p,
		       const struct svc_verify_opts *o,
		       struct svc_verify_result *res);

/* A descriptor as SDDL, for people (caller frees; NULL if out of
 * memory); "(malformed, N bytes)" when it does not parse. */
char *svc_int_sd_text(const uint8_t *sd, size_t len);

/* apply_common.c: adds a difference. */
void svc_int_verify_add(struct svc_verify_result *res, const char *what,
			const char *expected, const char *found);

#endif /* HVO_SERVICING_APPLY_INT_H */

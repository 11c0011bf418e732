/*
 * services_guest.h - one guest hive edited in place, and the records of
 * changes made after apply (internal to services, reg --image, rollback).
 *
 * A hive is copied out with its logs, opened through registry/ (a dirty
 * hive with valid logs is recovered first; one without is refused, exit
 * 4), edited in memory, committed to a new host file that registry/
 * checks and reads back, and copied into the guest under a temporary name
 * that is then renamed over the hive (guest_fs_copy_in_atomic): a crash
 * leaves the old hive or the new one.  Only after the new primary is in
 * place are the logs of a recovered hive emptied (reg_logs_after_commit):
 * the new primary is clean with sequence numbers above every log entry, so
 * Windows ignores its logs in the meantime.
 *
 * The record of a change goes into the guest before the hive is switched:
 * a crash in between leaves a record whose undo restores values that are
 * already there, which is harmless; the other order could lose the only
 * copy of the previous values.
 */
#ifndef HVO_SERVICING_SERVICES_GUEST_H
#define HVO_SERVICING_SERVICES_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guest/guest.h"
#include "hvoffline.h"
#include "registry/reg.h"
#include "servicing/error.h"
#include "servicing/services_undo.h"
#include "util/json.h"

/* Its paths are owned strings (svc_int_ghive_close frees them). */
struct svc_ghive {
	char name[16];	/* "SYSTEM", "SOFTWARE", "DEFAULT" (kept on failure) */
	char *guest;	/* Windows\System32\config\SYSTEM */
	char *host_dir; /* copies of the hive and its logs */
	char *host;
	char *host_new;
	bool log_present[3]; /* .LOG, .LOG1, .LOG2 */
	struct reg_hive *h;
	bool recovered; /* read as replayed from its logs */
	bool writable;
};

/*
 * Copies hive @name of the guest (below @systemroot\System32\config) and
 * its logs into @tmpdir and opens it, for writing when @write (recovering
 * a dirty hive with usable logs; refusing one without).  Returns SVC_OK
 * or the error, its message recorded on @err (the caller's handle; @g
 * then holds no path nor hive, only its name: closing it again is
 * harmless).  Like every function here that takes an svc_error: the
 * error graded from the failing layer's exit class (svc_exit_class()
 * gives it back).
 */
enum svc_err svc_int_ghive_open(struct guest_fs *fs, const char *systemroot,
				const char *name, const char *tmpdir,
				bool write, struct svc_ghive *g,
				struct svc_error *err);

/* Writes the edited hive to a new host file, checked and read back by
 * registry/, and gives its SHA-256 (for the record's after line). */
enum svc_err svc_int_ghive_stage(struct svc_ghive *g, uint8_t sha256[32],
				 struct svc_error *err);

/* Copies the staged hive into the guest beside the hive (its sibling
 * ".NAME.hvo-new", *@tmp_ret, caller frees) with the hive's security
 * descriptor, not flushed: for a caller that renames it in later
 * (rollback_journal.h).  Returns a guest_error. */
int svc_int_ghive_stage_in(struct guest_fs *fs, struct svc_ghive *g,
			   char **tmp_ret);

/* ".LOG", ".LOG1", ".LOG2" for @i 0 to 2 (log_present's order). */
const char *svc_int_ghive_log_suffix(int i);

/* Switches the staged hive into the guest, crash-safely (see above). */
enum svc_err svc_int_ghive_switch(struct guest_fs *fs, struct svc_ghive *g,
				  struct svc_error *err);

void svc_int_ghive_close(struct svc_ghive *g);

/*
 * Before any change: an apply that died while switching files leaves its
 * journal; its originals are put back first (svc_apply_recover) so that
 * nothing is decided from a half-switched guest (a read-only volume is
 * refused).  Returns SVC_OK or the error recorded on @err.
 */
enum svc_err svc_int_guest_prepare(struct guest_fs *fs, const char *systemroot,
				   struct svc_error *err);

/* "<systemroot>\Logs\hvoffline" (caller frees). */
char *svc_int_record_dir(const char *systemroot);

/*
 * Writes the JSON record @json and the undo data @u of a change into the
 * guest's record folder as "<command>-<stamp>-<seq>.json" and ".undo"
 * (seq: one above every undo file there), each atomically; @json NULL:
 * only the undo data (apply writes its own record).  *@path_ret (may be
 * NULL) receives the JSON record's guest path (caller frees).  Returns
 * SVC_OK or the error recorded on @err.
 */
enum svc_err svc_int_record_write(struct guest_fs *fs, const char *systemroot,
				  const char *command, const char *json,
				  const struct svc_undo *u, char **path_ret,
				  struct svc_error *err);

/*
 * Commits the change made to @g: stages it (svc_int_ghive_stage), adds
 * its SHA-256 to @u as the hive's after line, writes the record @json
 * (freed here; NULL stands for out of memory) and @u as
 * svc_int_record_write() does, then switches the staged hive in (the
 * record first, see above).  Returns SVC_OK or the error recorded on
 * @err.
 */
enum svc_err svc_int_record_commit(struct guest_fs *fs, const char *systemroot,
				   const char *command, char *json,
				   struct svc_undo *u, struct svc_ghive *g,
				   char **path_ret, struct svc_error *err);

/* The sequence number in an undo file's name ("...-000012.undo" or
 * ".undone"), or 0 for any other name. */
unsigned svc_int_record_seq(const char *name);

/* The undo files of the record folder, oldest first (guest paths; free
 * with guest_names_free()).  None is not an error. */
int svc_int_record_list(struct guest_fs *fs, const char *systemroot,
			char ***paths_ret, size_t *n_ret);

/* A change record's JSON, written into memory. */
struct svc_record_json {
	FILE *m;
	char *buf;
	size_t len;
	struct json_writer w;
};

/*
 * Starts a record with the members every record begins with: tool,
 * tool_version, time (@when; NULL: now), command (left out when NULL:
 * apply's record has none) and image.  -1 when out of memory.
 */
int svc_int_record_begin(struct svc_record_json *r, const char *command,
			 const char *when, const char *image);

/* Closes the record's object: its text (caller frees), or NULL. */
char *svc_int_record_end(struct svc_record_json *r);

/* The current time as "YYYY-MM-DDTHH:MM:SSZ" into @buf (>= 32 bytes). */
void svc_int_now_iso(char *buf, size_t size);

#endif /* HVO_SERVICING_SERVICES_GUEST_H */

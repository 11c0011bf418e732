/*
 * inspect_pending.h - what an earlier hvoffline run left pending in a
 * guest (issue 18: `inspect` shows what is pending).
 *
 * Read from the guest as it is, with no JSON parsing: the staged
 * packages (%SystemRoot%\hvoffline\Packages\<identity>) that Windows has
 * not installed yet, the first-boot step (doc/firstboot.md: its script,
 * the hook that runs it, and its log), the newest in-guest record (its
 * undo data, services_undo.h) and whether the integration services are
 * still in the state the last apply left them: every Start value a later
 * `services` or `reg --image` change touched is compared with the one it
 * replaced, and the SYSTEM hive with the SHA-256 the newest change left
 * (a hive written since means Windows has run, and nothing can be said).
 */
#ifndef HVO_SERVICING_INSPECT_PENDING_H
#define HVO_SERVICING_INSPECT_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "guest/guest.h"
#include "util/json.h"

#define SVC_PENDING_MAX_STAGED 8
#define SVC_PENDING_MAX_NOTES  8

/* The first-boot step's own markers (doc/firstboot.md).  The texts are
 * owned (malloc'd; NULL only when memory ran out or nothing was read):
 * free with svc_int_firstboot_state_free(). */
struct svc_firstboot_state {
	bool script; /* %SystemRoot%\hvoffline\firstboot.cmd exists */
	bool log;    /* Logs\hvoffline\firstboot.log exists */
	bool done;   /* ... and holds a "done:" line */
	char *last;  /* its last line, or "" */
	char *script_path;
	char *log_path;
};

/* Reads the markers of the guest whose system root is @systemroot
 * (@st is overwritten: free an earlier one first). */
void svc_int_firstboot_state(struct guest_fs *fs, const char *systemroot,
			     struct svc_firstboot_state *st);

void svc_int_firstboot_state_free(struct svc_firstboot_state *st);

/* Whether the markers say the step has run (or started to). */
bool svc_int_firstboot_ran(const struct svc_firstboot_state *st);

struct svc_staged_package {
	char *id; /* the folder's name, Name~Token~Arch~Lang~Version */
	char *version;
	bool installed; /* Windows has it installed (CBS) */
};

struct svc_pending {
	bool read; /* Windows was found and this was filled */
	bool any;  /* something is pending */
	size_t nstaged;
	struct svc_staged_package staged[SVC_PENDING_MAX_STAGED];
	size_t staged_pending; /* staged and not installed */
	/* The first-boot step: "setup-cmdline", "setupcomplete" or "" (a
	 * fixed vocabulary: the array bounds it). */
	char firstboot_hook[24];
	struct svc_firstboot_state firstboot;
	bool firstboot_pending; /* its script waits for the next boot */
	/* The newest record. */
	bool have_record;
	char *record; /* guest path of its undo data */
	/* A record's command and time, bounded by the undo format: its
	 * parser refuses either at 32 bytes or more (services_undo.c,
	 * struct svc_undo's arrays of the same size). */
	char record_command[32];
	char record_time[32];
	char *package; /* the newest apply's package, or "" */
	char *version;
	char apply_time[32]; /* as record_time */
	size_t records;	     /* records not undone */
	size_t files_created, files_replaced, dirs_created, values_changed,
		hives_saved;
	/* The integration services against the last apply: "as-applied",
	 * "changed", "unknown" (no apply recorded, or Windows has run): a
	 * fixed vocabulary, the array bounds it. */
	char ic_state[16];
	size_t nnotes;
	char *notes[SVC_PENDING_MAX_NOTES];
};

/*
 * The owned texts of @p (the char * fields above, of every slot of
 * staged[] and notes[] whether used or not) by index, NULL past the
 * last: svc_int_pending_free() frees them and the sandbox wire sends
 * them after the facts' bytes (svc_int_facts_text lists them among the
 * facts').  A text of a used slot may be NULL (memory ran out, or a
 * child sent none): readers take NULL as "".  (Both are defined in
 * inspect_facts.c, with the facts' own.)
 */
char **svc_int_pending_text(struct svc_pending *p, size_t i);

/* Frees the texts of @p and zeroes it. */
void svc_int_pending_free(struct svc_pending *p);

struct svc_facts;

/*
 * Fills @f->pending from the guest's Windows volume @fs.  @hive_dir is
 * the host directory holding inspection's copy of the SYSTEM hive (with
 * its logs).  Reads only.
 */
void svc_int_read_pending(struct guest_fs *fs, struct svc_facts *f,
			  const char *hive_dir);

/* The "pending" object (@w has its key written). */
void svc_pending_json(const struct svc_pending *p, struct json_writer *w);

/* The "pending" lines of the text report. */
void svc_pending_text(const struct svc_pending *p, FILE *out);

#endif /* HVO_SERVICING_INSPECT_PENDING_H */

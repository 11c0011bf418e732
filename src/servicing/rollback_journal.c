/*
 * rollback_journal.c - a rollback's switch, carried out from a journal
 * (see rollback_journal.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "servicing/apply_int.h"
#include "servicing/rollback_journal.h"
#include "servicing/rollback_recover.h"
#include "servicing/services_guest.h"
#include "util/strv.h"

#define RJ_MAGIC "hvoffline rollback journal 1\n"
/* The prefix of a rollback's staged record and state (rollback.c). */
#define STAGED_ROLLBACK "staged-rollback-"
/* A journal names every file a rollback touches: far below this. */
#define RJ_MAX_BYTES (16u << 20)

char *svc_int_rjournal_path(const char *systemroot)
{
	char *dir = svc_int_record_dir(systemroot), *s = NULL;
	if (dir != NULL && asprintf(&s, "%s\\rollback-journal.txt", dir) < 0)
		s = NULL;
	free(dir);
	return s;
}

int svc_int_rj_step(struct svc_rjournal *j, char op, const char *a,
		    const char *b)
{
	if (j->m == NULL && (j->m = open_memstream(&j->text, &j->len)) == NULL)
		return -1;
	/* Guest paths hold no tabs or newlines (Windows forbids control
	 * characters in names); one that did would split the line. */
	if (strpbrk(a, "\t\n") != NULL || (b && strpbrk(b, "\t\n") != NULL))
		return -1;
	if (fprintf(j->m, "%c\t%s%s%s\n", op, a, b ? "\t" : "", b ? b : "") < 0)
		return -1;
	j->nsteps++;
	return 0;
}

int svc_int_rj_staged(struct svc_rjournal *j, const char *path)
{
	return hvo_int_strv_appendf(&j->staged, &j->nstaged, "%s", path);
}

void svc_int_rj_abort(struct guest_fs *fs, struct svc_rjournal *j)
{
	for (size_t i = 0; i < j->nstaged; i++)
		if (guest_fs_exists(fs, j->staged[i]))
			guest_fs_remove(fs, j->staged[i]);
}

void svc_int_rj_free(struct svc_rjournal *j)
{
	if (j->m != NULL)
		fclose(j->m);
	free(j->text);
	for (size_t i = 0; i < j->nstaged; i++)
		free(j->staged[i]);
	free(j->staged);
	memset(j, 0, sizeof(*j));
}

/* Carries out one step unless it is done.  0, or -1 with @err set. */
static int step(struct guest_fs *fs, char *line, char *err, size_t errlen)
{
	char *a = strchr(line, '\t');
	if (a == NULL || a != line + 1)
		return 0; /* not a line we wrote */
	*a++ = '\0';
	char *b = strchr(a, '\t');
	if (b != NULL)
		*b++ = '\0';
	int e = GUEST_OK;
	const char *what = a;
	switch (line[0]) {
	case 'R':
		if (b != NULL && guest_fs_exists(fs, a))
			e = guest_fs_rename(fs, a, b);
		break;
	case 'D':
		if (guest_fs_exists(fs, a))
			e = guest_fs_remove(fs, a);
		break;
	case 'd':
		/* A directory the change created goes only if it is
		 * empty: what Windows put there since stays. */
		if (guest_fs_exists(fs, a))
			guest_fs_remove(fs, a);
		break;
	case 'E':
		e = guest_fs_write_atomic(fs, a, "", 0);
		break;
	default:
		break;
	}
	if (e != GUEST_OK) {
		snprintf(err, errlen, "%s: %s", what, guest_fs_errmsg(fs));
		return -1;
	}
	return 0;
}

/* Carries out every step of @text (the journal without its first line),
 * dying after @crash_after steps when a test asks.  0, 1 (died), or -1. */
static int replay(struct guest_fs *fs, char *text, unsigned crash_after,
		  char *err, size_t errlen)
{
	unsigned n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (step(fs, line, err, errlen) != 0)
			return -1;
		if (crash_after != 0 && ++n == crash_after)
			return 1;
	}
	return 0;
}

enum hvo_exit svc_int_rj_commit(struct guest_fs *fs, const char *systemroot,
				struct svc_rjournal *j, char *err,
				size_t errlen)
{
	char *path = svc_int_rjournal_path(systemroot);
	if (path == NULL || j->m == NULL || fflush(j->m) != 0) {
		free(path);
		snprintf(err, errlen, "out of memory");
		return HVO_EXIT_FAILED;
	}
	size_t ml = strlen(RJ_MAGIC);
	char *text = malloc(ml + j->len + 1);
	if (text == NULL) {
		free(path);
		snprintf(err, errlen, "out of memory");
		return HVO_EXIT_FAILED;
	}
	memcpy(text, RJ_MAGIC, ml);
	memcpy(text + ml, j->text, j->len);
	text[ml + j->len] = '\0';
	/* The staged files, then the journal, durable before any step. */
	int e = guest_fs_sync(fs);
	if (e == GUEST_OK)
		e = guest_fs_write_atomic(fs, path, text, ml + j->len);
	if (e == GUEST_OK) /* the record folder's (apply_sd.c) */
		e = svc_int_sd_store(fs, path, false);
	if (e == GUEST_OK)
		e = guest_fs_sync(fs);
	if (e != GUEST_OK) {
		snprintf(err, errlen, "%s: %s", path, guest_fs_errmsg(fs));
		free(text);
		free(path);
		return guest_exit_class(e);
	}
	int r = replay(fs, text + ml, j->crash_after, err, errlen);
	free(text);
	if (r == 1) {
		snprintf(err, errlen, "killed (test)");
		free(path);
		return HVO_EXIT_FAILED;
	}
	if (r == 0 && (e = guest_fs_sync(fs)) == GUEST_OK)
		e = guest_fs_remove(fs, path);
	if (r == 0 && e == GUEST_OK)
		e = guest_fs_sync(fs);
	if (r == 0 && e != GUEST_OK)
		snprintf(err, errlen, "%s: %s", path, guest_fs_errmsg(fs));
	free(path);
	return r != 0	       ? HVO_EXIT_FAILED
	       : e != GUEST_OK ? guest_exit_class(e)
			       : HVO_EXIT_OK;
}

/* Finishes the journal, if there is one (*@finished then set).  0, or
 * -1 with @err set. */
static int finish_journal(struct guest_fs *fs, const char *systemroot,
			  bool *finished, char *err, size_t errlen)
{
	*finished = false;
	char *path = svc_int_rjournal_path(systemroot);
	uint8_t *buf = NULL;
	size_t len = 0;
	int e = path ? guest_fs_read(fs, path, RJ_MAX_BYTES, &buf, &len)
		     : GUEST_E_NOMEM;
	if (e == GUEST_E_NOENT || e == GUEST_E_NOTDIR) {
		free(path);
		return 0;
	}
	if (e != GUEST_OK) {
		snprintf(err, errlen, "%s: %s", path ? path : "journal",
			 path ? guest_fs_errmsg(fs) : "out of memory");
		free(path);
		return -1;
	}
	/* Written atomically after everything it names was staged and
	 * flushed: whole, or absent.  Only lines ending in a newline are
	 * read all the same. */
	size_t ml = strlen(RJ_MAGIC);
	int r = 0;
	char *text = realloc(buf, len + 1);
	if (text == NULL) {
		free(buf);
		free(path);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	text[len] = '\0';
	char *last = strrchr(text, '\n');
	if (last != NULL)
		last[1] = '\0';
	if (len >= ml && memcmp(text, RJ_MAGIC, ml) == 0)
		r = replay(fs, text + ml, 0, err, errlen);
	if (r == 0 && (e = guest_fs_sync(fs)) == GUEST_OK &&
	    (e = guest_fs_remove(fs, path)) == GUEST_OK)
		e = guest_fs_sync(fs);
	if (r == 0 && e != GUEST_OK) {
		snprintf(err, errlen, "%s: %s", path, guest_fs_errmsg(fs));
		r = -1;
	}
	*finished = r == 0;
	free(text);
	free(path);
	return r;
}

/* Removes @path, noting it with @why.  0, or -1 with @err set. */
static int remove_noted(struct guest_fs *fs, const char *path, const char *why,
			struct svc_recovery *rec, char *err, size_t errlen)
{
	if (guest_fs_remove(fs, path) != GUEST_OK) {
		snprintf(err, errlen, "%s: %s", path, guest_fs_errmsg(fs));
		return -1;
	}
	rec->removed++;
	if (hvo_int_strv_appendf(&rec->notes, &rec->nnotes,
				 "removed %s, left in the guest by %s", path,
				 why) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * What no journal names (the journal was finished first): a rollback's
 * staged record and state in the record folder, and a hive staged beside
 * SYSTEM, SOFTWARE or DEFAULT but never renamed in.
 */
static int sweep(struct guest_fs *fs, const char *systemroot,
		 struct svc_recovery *rec, char *err, size_t errlen)
{
	static const char *const hives[] = { "SYSTEM", "SOFTWARE", "DEFAULT" };
	char *dir = svc_int_record_dir(systemroot);
	char **names = NULL;
	size_t nn = 0;
	int e = dir ? guest_fs_list(fs, dir, &names, &nn) : GUEST_E_NOMEM;
	if (e != GUEST_OK && e != GUEST_E_NOENT && e != GUEST_E_NOTDIR) {
		snprintf(err, errlen, "%s: %s", dir ? dir : "record folder",
			 dir ? guest_fs_errmsg(fs) : "out of memory");
		free(dir);
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < nn && r == 0; i++) {
		if (strncasecmp(names[i], STAGED_ROLLBACK,
				strlen(STAGED_ROLLBACK)) != 0)
			continue;
		char *path;
		if (asprintf(&path, "%s\\%s", dir, names[i]) < 0) {
			snprintf(err, errlen, "out of memory");
			r = -1;
			break;
		}
		r = remove_noted(fs, path,
				 "a rollback interrupted before its journal "
				 "was written (nothing of it had been done)",
				 rec, err, errlen);
		free(path);
	}
	guest_names_free(names, nn);
	free(dir);
	for (size_t i = 0; i < sizeof(hives) / sizeof(hives[0]) && r == 0;
	     i++) {
		char *hive = NULL, *tmp = NULL;
		if (asprintf(&hive, "%s\\System32\\config\\%s", systemroot,
			     hives[i]) < 0)
			hive = NULL;
		tmp = hive != NULL ? svc_int_sibling(hive, "hvo-new") : NULL;
		free(hive);
		if (tmp == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (guest_fs_exists(fs, tmp))
			r = remove_noted(fs, tmp,
					 "an interrupted run (a copy of the "
					 "hive staged, never switched in)",
					 rec, err, errlen);
		free(tmp);
	}
	return r;
}

int svc_int_rollback_recover_noted(struct guest_fs *fs, const char *systemroot,
				   struct svc_recovery *rec, char *err,
				   size_t errlen)
{
	struct svc_recovery mine;
	memset(&mine, 0, sizeof(mine));
	struct svc_recovery *r = rec != NULL ? rec : &mine;
	bool finished;
	int rc = finish_journal(fs, systemroot, &finished, err, errlen);
	if (rc == 0 && finished) {
		r->rollback_finished = true;
		char *path = svc_int_rjournal_path(systemroot);
		if (path == NULL ||
		    hvo_int_strv_appendf(
			    &r->notes, &r->nnotes,
			    "an earlier rollback was interrupted after its "
			    "journal %s was written: finished it (every step "
			    "left was carried out)",
			    path) != 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
		free(path);
	}
	size_t before = r->removed;
	if (rc == 0)
		rc = sweep(fs, systemroot, r, err, errlen);
	if (rc == 0 && r->removed > before && guest_fs_sync(fs) != GUEST_OK) {
		snprintf(err, errlen, "%s", guest_fs_errmsg(fs));
		rc = -1;
	}
	if (r == &mine)
		svc_int_recovery_free(&mine);
	return rc;
}

int svc_int_rollback_recover(struct guest_fs *fs, const char *systemroot,
			     char *err, size_t errlen)
{
	return svc_int_rollback_recover_noted(fs, systemroot, NULL, err,
					      errlen);
}

void svc_int_recovery_free(struct svc_recovery *rec)
{
	for (size_t i = 0; i < rec->nnotes; i++)
		free(rec->notes[i]);
	free(rec->notes);
	memset(rec, 0, sizeof(*rec));
}

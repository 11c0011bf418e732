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

/* Carries out one step unless it is done.  SVC_OK, or the error (@err). */
static enum svc_err step(struct guest_fs *fs, char *line, struct svc_error *err)
{
	char *a = strchr(line, '\t');
	if (a == NULL || a != line + 1)
		return SVC_OK; /* not a line we wrote */
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
	/* A step that fails is a failure (exit class 1) whatever the guest
	 * said: the journal is left for the next run to finish. */
	if (e != GUEST_OK)
		return svc_int_fail(err, SVC_ERR_GUEST, "%s: %s", what,
				    guest_fs_errmsg(fs));
	return SVC_OK;
}

/* Carries out every step of @text (the journal without its first line),
 * dying after @crash_after steps when a test asks ("killed (test)").
 * SVC_OK, or the error (@err). */
static enum svc_err replay(struct guest_fs *fs, char *text,
			   unsigned crash_after, struct svc_error *err)
{
	unsigned n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		enum svc_err r = step(fs, line, err);
		if (r != SVC_OK)
			return r;
		if (crash_after != 0 && ++n == crash_after)
			return svc_int_fail(err, SVC_ERR_GUEST,
					    "killed (test)");
	}
	return SVC_OK;
}

enum svc_err svc_int_rj_commit(struct guest_fs *fs, const char *systemroot,
			       struct svc_rjournal *j, struct svc_error *err)
{
	char *path = svc_int_rjournal_path(systemroot);
	if (path == NULL || j->m == NULL || fflush(j->m) != 0) {
		free(path);
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	}
	size_t ml = strlen(RJ_MAGIC);
	char *text = malloc(ml + j->len + 1);
	if (text == NULL) {
		free(path);
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
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
		enum svc_err code = svc_int_guest_fail(err, fs, e, path);
		free(text);
		free(path);
		return code;
	}
	enum svc_err r = replay(fs, text + ml, j->crash_after, err);
	free(text);
	if (r == SVC_OK && (e = guest_fs_sync(fs)) == GUEST_OK)
		e = guest_fs_remove(fs, path);
	if (r == SVC_OK && e == GUEST_OK)
		e = guest_fs_sync(fs);
	if (r == SVC_OK && e != GUEST_OK)
		r = svc_int_guest_fail(err, fs, e, path);
	free(path);
	return r;
}

/* Finishes the journal, if there is one (*@finished then set).  SVC_OK,
 * or the error (@err). */
static enum svc_err finish_journal(struct guest_fs *fs, const char *systemroot,
				   bool *finished, struct svc_error *err)
{
	*finished = false;
	char *path = svc_int_rjournal_path(systemroot);
	uint8_t *buf = NULL;
	size_t len = 0;
	int e = path ? guest_fs_read(fs, path, RJ_MAX_BYTES, &buf, &len)
		     : GUEST_E_NOMEM;
	if (e == GUEST_E_NOENT || e == GUEST_E_NOTDIR) {
		free(path);
		return SVC_OK;
	}
	if (path == NULL)
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	if (e != GUEST_OK) {
		enum svc_err code = svc_int_guest_fail(err, fs, e, path);
		free(path);
		return code;
	}
	/* Written atomically after everything it names was staged and
	 * flushed: whole, or absent.  Only lines ending in a newline are
	 * read all the same. */
	size_t ml = strlen(RJ_MAGIC);
	enum svc_err r = SVC_OK;
	char *text = realloc(buf, len + 1);
	if (text == NULL) {
		free(buf);
		free(path);
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	}
	text[len] = '\0';
	char *last = strrchr(text, '\n');
	if (last != NULL)
		last[1] = '\0';
	if (len >= ml && memcmp(text, RJ_MAGIC, ml) == 0)
		r = replay(fs, text + ml, 0, err);
	if (r == SVC_OK && (e = guest_fs_sync(fs)) == GUEST_OK &&
	    (e = guest_fs_remove(fs, path)) == GUEST_OK)
		e = guest_fs_sync(fs);
	if (r == SVC_OK && e != GUEST_OK)
		r = svc_int_guest_fail(err, fs, e, path);
	*finished = r == SVC_OK;
	free(text);
	free(path);
	return r;
}

/* Removes @path, noting it with @why.  SVC_OK, or the error (@err). */
static enum svc_err remove_noted(struct guest_fs *fs, const char *path,
				 const char *why, struct svc_recovery *rec,
				 struct svc_error *err)
{
	int e = guest_fs_remove(fs, path);
	if (e != GUEST_OK)
		return svc_int_guest_fail(err, fs, e, path);
	rec->removed++;
	if (hvo_int_strv_appendf(&rec->notes, &rec->nnotes,
				 "removed %s, left in the guest by %s", path,
				 why) != 0)
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	return SVC_OK;
}

/*
 * What no journal names (the journal was finished first): a rollback's
 * staged record and state in the record folder, and a hive staged beside
 * SYSTEM, SOFTWARE or DEFAULT but never renamed in.
 */
static enum svc_err sweep(struct guest_fs *fs, const char *systemroot,
			  struct svc_recovery *rec, struct svc_error *err)
{
	static const char *const hives[] = { "SYSTEM", "SOFTWARE", "DEFAULT" };
	char *dir = svc_int_record_dir(systemroot);
	char **names = NULL;
	size_t nn = 0;
	if (dir == NULL)
		return svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
	int e = guest_fs_list(fs, dir, &names, &nn);
	if (e != GUEST_OK && e != GUEST_E_NOENT && e != GUEST_E_NOTDIR) {
		enum svc_err code = svc_int_guest_fail(err, fs, e, dir);
		free(dir);
		return code;
	}
	enum svc_err r = SVC_OK;
	for (size_t i = 0; i < nn && r == SVC_OK; i++) {
		if (strncasecmp(names[i], STAGED_ROLLBACK,
				strlen(STAGED_ROLLBACK)) != 0)
			continue;
		char *path;
		if (asprintf(&path, "%s\\%s", dir, names[i]) < 0) {
			r = svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
			break;
		}
		r = remove_noted(fs, path,
				 "a rollback interrupted before its journal "
				 "was written (nothing of it had been done)",
				 rec, err);
		free(path);
	}
	guest_names_free(names, nn);
	free(dir);
	for (size_t i = 0; i < sizeof(hives) / sizeof(hives[0]) && r == SVC_OK;
	     i++) {
		char *hive = NULL, *tmp = NULL;
		if (asprintf(&hive, "%s\\System32\\config\\%s", systemroot,
			     hives[i]) < 0)
			hive = NULL;
		tmp = hive != NULL ? svc_int_sibling(hive, "hvo-new") : NULL;
		free(hive);
		if (tmp == NULL)
			return svc_int_fail(err, SVC_ERR_NOMEM,
					    "out of memory");
		if (guest_fs_exists(fs, tmp))
			r = remove_noted(fs, tmp,
					 "an interrupted run (a copy of the "
					 "hive staged, never switched in)",
					 rec, err);
		free(tmp);
	}
	return r;
}

static enum svc_err recover(struct guest_fs *fs, const char *systemroot,
			    struct svc_recovery *rec, struct svc_error *err)
{
	struct svc_recovery mine;
	memset(&mine, 0, sizeof(mine));
	struct svc_recovery *r = rec != NULL ? rec : &mine;
	bool finished;
	enum svc_err rc = finish_journal(fs, systemroot, &finished, err);
	if (rc == SVC_OK && finished) {
		r->rollback_finished = true;
		char *path = svc_int_rjournal_path(systemroot);
		if (path == NULL ||
		    hvo_int_strv_appendf(
			    &r->notes, &r->nnotes,
			    "an earlier rollback was interrupted after its "
			    "journal %s was written: finished it (every step "
			    "left was carried out)",
			    path) != 0)
			rc = svc_int_fail(err, SVC_ERR_NOMEM, "out of memory");
		free(path);
	}
	size_t before = r->removed;
	int e;
	if (rc == SVC_OK)
		rc = sweep(fs, systemroot, r, err);
	if (rc == SVC_OK && r->removed > before &&
	    (e = guest_fs_sync(fs)) != GUEST_OK)
		rc = svc_int_fail_class(err, guest_exit_class(e), SVC_ERR_GUEST,
					"%s", guest_fs_errmsg(fs));
	if (r == &mine)
		svc_int_recovery_free(&mine);
	return rc;
}

enum svc_err svc_int_rollback_recover_noted(struct guest_fs *fs,
					    const char *systemroot,
					    struct svc_recovery *rec,
					    struct svc_error *err)
{
	struct svc_error mine = { 0 }; /* @err may be NULL */
	struct svc_error *e = err != NULL ? err : &mine;
	if (recover(fs, systemroot, rec, e) == SVC_OK)
		return SVC_OK;
	/* Graded a guest failure whatever the cause, as it always was. */
	svc_int_fail(e, SVC_ERR_GUEST, "finishing an interrupted rollback: %s",
		     svc_int_errtext(e));
	svc_int_error_clear(&mine);
	return SVC_ERR_GUEST;
}

enum svc_err svc_int_rollback_recover(struct guest_fs *fs,
				      const char *systemroot,
				      struct svc_error *err)
{
	return svc_int_rollback_recover_noted(fs, systemroot, NULL, err);
}

void svc_int_recovery_free(struct svc_recovery *rec)
{
	for (size_t i = 0; i < rec->nnotes; i++)
		free(rec->notes[i]);
	free(rec->notes);
	memset(rec, 0, sizeof(*rec));
}

/*
 * apply_switch.c - staging the new files beside their targets, the journal, the
 * switch, and the recovery of a switch that died (see apply.h, phases 2
 * and 3).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "servicing/apply.h"
#include "servicing/apply_int.h"
#include "servicing/rollback_journal.h"
#include "servicing/rollback_keep.h"
#include "util/tmpname.h"

/* ------------------------------------------------------------------ */
/* Staging and switching.                                              */
/* ------------------------------------------------------------------ */

int svc_int_item_add(struct txn *t, const char *target, bool existed,
		     const char *host_path, const uint8_t *buf, size_t len)
{
	struct item *v = realloc(t->items, (t->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	t->items = v;
	struct item *it = &t->items[t->n];
	memset(it, 0, sizeof(*it));
	it->target = strdup(target);
	it->tmp = svc_int_sibling(target, "hvo-new");
	it->old = svc_int_sibling(target, "hvo-old");
	it->existed = existed;
	it->host_path = host_path;
	it->buf = buf;
	it->len = len;
	if (it->target == NULL || it->tmp == NULL || it->old == NULL) {
		free(it->target);
		free(it->tmp);
		free(it->old);
		return -1;
	}
	t->n++;
	return 0;
}

void svc_int_txn_free(struct txn *t)
{
	free(t->journal);
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i].target);
		free(t->items[i].tmp);
		free(t->items[i].old);
	}
	free(t->items);
	for (size_t i = 0; i < t->ndirs; i++)
		free(t->dirs[i]);
	free(t->dirs);
}

/* The injected failure of the tests: a full volume. */
static bool injected(unsigned *count, unsigned at)
{
	++*count;
	return at != 0 && *count == at;
}

/*
 * The journal of a switch, written with the staged files (and flushed
 * with them) before the first rename, and removed after the last
 * clean-up: if the run dies in between (killed, power cut), the next run
 * finds it and puts every target back in place (svc_apply_recover).
 * One line per item: target, staged name, set-aside name, separated by
 * tabs (guest paths never hold control characters).
 */
#define JOURNAL_MAGIC "hvoffline apply journal 1\n"

char *svc_apply_journal_path(const char *systemroot)
{
	char *s;
	return asprintf(&s, "%s\\hvoffline\\apply-in-progress.txt",
			systemroot) < 0
		       ? NULL
		       : s;
}

/* The journal's text (caller frees *@buf). */
static int journal_text(const struct txn *t, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	FILE *m = open_memstream(buf, len);
	if (m == NULL)
		return -1;
	fputs(JOURNAL_MAGIC, m);
	for (size_t i = 0; i < t->n; i++)
		fprintf(m, "%s\t%s\t%s\n", t->items[i].target, t->items[i].tmp,
			t->items[i].old);
	/* The directories the run created, for the undo data a recovery
	 * writes (rollback_keep.h); one tab: the loop below skips them. */
	for (size_t i = 0; i < t->ndirs; i++)
		fprintf(m, "D\t%s\n", t->dirs[i]);
	if (fclose(m) != 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

void svc_int_journal_remove(struct txn *t)
{
	/* Every caller flushes after. */
	if (t->journal != NULL && guest_fs_exists(t->fs, t->journal))
		guest_fs_remove(t->fs, t->journal);
}

/* Removes what was staged and the directories created, newest first. */
static void unstage(struct txn *t)
{
	for (size_t i = t->n; i-- > 0;)
		if (t->items[i].staged) {
			guest_fs_remove(t->fs, t->items[i].tmp);
			t->items[i].staged = false;
		}
	for (size_t i = t->ndirs; i-- > 0;)
		guest_fs_remove(t->fs, t->dirs[i]);
}

/*
 * Whether @name is one servicing gives its own files in the guest:
 * ".<name>.hvo-new" (staged), ".<name>.hvo-old" (set aside) or
 * ".<name>.hvo-<pid>-<n>" (a replace through a temporary file), not of
 * this process; or "staged-rollback-*" (a rollback's, in the record
 * folder).
 */
/* A rollback's staged record or state that no journal names
 * (rollback_recover.h): only in the record folder (%SystemRoot%\Logs\
 * hvoffline, @dir ends with it), only of the shapes rollback gives them. */
static bool staged_rollback_name(const char *dir, const char *name)
{
	static const char rec[] = "\\Logs\\hvoffline";
	size_t dl = strlen(dir), n = strlen(name), rl = sizeof(rec) - 1;
	return dl >= rl && strcasecmp(dir + dl - rl, rec) == 0 &&
	       strncasecmp(name, "staged-rollback-", 16) == 0 &&
	       ((n > 21 && strcasecmp(name + n - 5, ".json") == 0) ||
		(n > 22 && strcasecmp(name + n - 6, ".state") == 0));
}

static bool leftover_name(const char *name)
{
	size_t n = strlen(name);
	if (name[0] != '.' || n < 10)
		return false;
	if (strcmp(name + n - 8, ".hvo-new") == 0 ||
	    strcmp(name + n - 8, ".hvo-old") == 0)
		return true;
	pid_t pid;
	return hvo_int_tmp_parse(name, NULL, &pid) && pid != getpid();
}

/* Whether @name is the staged name of one of this run's items (staging
 * writes it again: it is not removed first, which on the native backend
 * made the write that follows fail with ENOENT). */
static bool staged_here(const struct txn *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *s = strrchr(t->items[i].tmp, '\\');
		if (strcasecmp(s ? s + 1 : t->items[i].tmp, name) == 0)
			return true;
	}
	return false;
}

/*
 * A run killed (or cut by a power loss) while staging, before its journal
 * was whole, leaves staged files that no journal names; one killed inside
 * a replace leaves its temporary file.  No run is writing the guest but
 * this one (the image is locked, and a journal would have been recovered
 * first), so such names in the directories this run writes to are
 * removed, and each removal is reported (a warning of the result).
 */
static void sweep_leftovers(struct txn *t, struct svc_apply_result *res)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *target = t->items[i].target;
		const char *slash = strrchr(target, '\\');
		size_t dl = slash ? (size_t)(slash - target) : 0;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			const char *o = t->items[j].target;
			const char *os = strrchr(o, '\\');
			seen = (os ? (size_t)(os - o) : 0) == dl &&
			       strncasecmp(o, target, dl) == 0;
		}
		char *dir = strndup(target, dl);
		char **names = NULL;
		size_t nn = 0;
		if (seen || dir == NULL ||
		    guest_fs_list(t->fs, dir, &names, &nn) != GUEST_OK) {
			free(dir);
			continue;
		}
		for (size_t k = 0; k < nn; k++) {
			char *path;
			if ((!leftover_name(names[k]) &&
			     !staged_rollback_name(dir, names[k])) ||
			    staged_here(t, names[k]) ||
			    asprintf(&path, "%s%s%s", dir, dl ? "\\" : "",
				     names[k]) < 0)
				continue;
			if (guest_fs_remove(t->fs, path) == GUEST_OK)
				svc_int_apply_warn(
					res,
					"removed %s, left in the "
					"guest by an interrupted run",
					path);
			free(path);
		}
		guest_names_free(names, nn);
		free(dir);
	}
}

/* With progress asked for, the staged files go to the guest in batches of
 * about this many bytes, counted between them: a few more round trips on
 * the appliance, none at all for a package smaller than one batch. */
#define STAGE_BATCH_BYTES (1u << 20)

static uint64_t put_size(const struct guest_put *g)
{
	struct stat st;
	if (g->host_path == NULL)
		return g->len;
	return stat(g->host_path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* guest_fs_put_many() of @puts, in batches counted in bytes when the
 * caller asked for progress.  The order is kept, so the journal (last)
 * goes in the last batch, and the one flush after it still comes before
 * any rename. */
static int put_counted(struct txn *t, const struct guest_put *puts, size_t n)
{
	const struct svc_apply_opts *o = t->opts;
	if (o->count == NULL)
		return guest_fs_put_many(t->fs, puts, n);
	static const char step[] = "staging files";
	uint64_t total = 0, done = 0;
	for (size_t i = 0; i < n; i++)
		total += put_size(&puts[i]);
	o->count(o->count_ctx, step, 0, total, true);
	for (size_t i = 0; i < n;) {
		size_t k = 0;
		uint64_t bytes = 0;
		while (i + k < n && (k == 0 || bytes < STAGE_BATCH_BYTES))
			bytes += put_size(&puts[i + k++]);
		int e = guest_fs_put_many(t->fs, puts + i, k);
		if (e != GUEST_OK)
			return e;
		i += k;
		done += bytes;
		o->count(o->count_ctx, step, done < total ? done : total, total,
			 true);
	}
	return GUEST_OK;
}

enum svc_err svc_int_stage(struct txn *t, const struct svc_plan *p,
			   struct svc_apply_result *res)
{
	sweep_leftovers(t, res);
	char **dirs;
	size_t nd;
	if (svc_plan_dirs(p, &dirs, &nd) != SVC_OK)
		return svc_int_apply_fail(res, SVC_ERR_NOMEM, "out of memory");
	t->dirs = calloc(nd ? nd : 1, sizeof(*t->dirs));
	enum svc_err rc = t->dirs ? SVC_OK : SVC_ERR_NOMEM;
	for (size_t i = 0; i < nd && rc == SVC_OK; i++) {
		struct guest_stat st;
		int e = guest_fs_stat(t->fs, dirs[i], &st);
		if (e == GUEST_OK && st.type == GUEST_FT_DIR)
			continue;
		if (e == GUEST_OK) {
			rc = svc_int_apply_fail(
				res, SVC_ERR_GUEST,
				"%s: a file is in the way of a directory",
				dirs[i]);
			break;
		}
		if (injected(&t->stage_ops, t->opts->fail_stage_at))
			e = GUEST_E_IO,
			rc = svc_int_apply_fail(res, SVC_ERR_GUEST,
						"%s: No space left on device "
						"(injected)",
						dirs[i]);
		else if ((e = guest_fs_mkdir_p(t->fs, dirs[i])) != GUEST_OK)
			rc = svc_int_apply_fail(res, svc_int_guest_err(e), "%s",
						guest_fs_errmsg(t->fs));
		if (e == GUEST_OK) {
			t->dirs[t->ndirs++] = dirs[i];
			dirs[i] = NULL;
			res->dirs_created++;
			rc = svc_int_sd_dir(t, t->dirs[t->ndirs - 1], res);
		}
	}
	for (size_t i = 0; i < nd; i++)
		free(dirs[i]);
	free(dirs);
	/* Every file in one guest_fs_put_many (as few round trips as the
	 * backend allows).  The staged names are ours alone, so they are
	 * written in place; one flush below makes them all durable before
	 * the switch begins.  A failure injected at item k stages the k-1
	 * before it. */
	size_t upto = t->n;
	bool inject = false;
	unsigned at = t->opts->fail_stage_at;
	if (rc == SVC_OK && at > t->stage_ops && at - t->stage_ops <= t->n) {
		upto = at - t->stage_ops - 1;
		inject = true;
	}
	/* The journal goes last, in the same batch and the same flush: the
	 * first rename only comes after that flush, so a journal that did
	 * not reach the disk whole means that nothing was switched. */
	char *journal = NULL;
	size_t jlen = 0;
	struct guest_put *puts = calloc(t->n + 1, sizeof(*puts));
	if (rc == SVC_OK &&
	    (puts == NULL || journal_text(t, &journal, &jlen) != 0))
		rc = svc_int_apply_fail(res, SVC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; rc == SVC_OK && i < upto; i++) {
		struct item *it = &t->items[i];
		/* Marked first: a failed write may leave a partial file. */
		it->staged = true;
		puts[i] = (struct guest_put){ .path = it->tmp,
					      .data = it->buf,
					      .len = it->len,
					      .host_path = it->host_path };
	}
	size_t nput = upto;
	if (rc == SVC_OK && !inject)
		puts[nput++] = (struct guest_put){ .path = t->journal,
						   .data = journal,
						   .len = jlen };
	if (rc == SVC_OK) {
		int e = put_counted(t, puts, nput);
		t->stage_ops += (unsigned)upto;
		if (e != GUEST_OK)
			rc = svc_int_apply_fail(res, svc_int_guest_err(e), "%s",
						guest_fs_errmsg(t->fs));
		else if (inject)
			rc = svc_int_apply_fail(
				res, SVC_ERR_GUEST,
				"%s: No space left on device (injected)",
				t->items[upto].tmp);
		else if ((rc = svc_int_sd_items(t, upto, res)) != SVC_OK)
			;
		else if ((e = guest_fs_sync(t->fs)) != GUEST_OK)
			rc = svc_int_apply_fail(res, svc_int_guest_err(e), "%s",
						guest_fs_errmsg(t->fs));
	}
	free(puts);
	free(journal);
	res->stage_ops = t->stage_ops;
	if (rc != SVC_OK) {
		svc_int_journal_remove(t);
		unstage(t);
		guest_fs_sync(t->fs);
		res->rolled_back = true;
	}
	return rc;
}

enum svc_err svc_apply_recover(struct guest_fs *fs, const char *systemroot,
			       unsigned *restored_ret, struct svc_error *err)
{
	*restored_ret = 0;
	/* A rollback that died after its journal is finished first. */
	enum svc_err r = svc_int_rollback_recover(fs, systemroot, err);
	if (r != SVC_OK)
		return r;
	char *path = svc_apply_journal_path(systemroot);
	uint8_t *buf = NULL;
	size_t len;
	int e = path ? guest_fs_read(fs, path, 16u << 20, &buf, &len)
		     : GUEST_E_NOMEM;
	if (e == GUEST_E_NOENT || e == GUEST_E_NOTDIR) {
		free(path);
		return SVC_OK;
	}
	if (e != GUEST_OK) {
		svc_int_fail(err, SVC_ERR_GUEST, "%s: %s",
			     path ? path : "journal", guest_fs_errmsg(fs));
		free(path);
		return SVC_ERR_GUEST;
	}
	/* Without its first line the journal never reached the disk whole,
	 * so the run died before its first rename (the journal is flushed
	 * before it): there is nothing to put back.  Nor is there for a
	 * line cut short, and a cut path could name something else that
	 * exists (its directory): only lines that end in a newline are
	 * read. */
	enum svc_err rc = SVC_OK;
	char *save = NULL;
	bool whole = len >= strlen(JOURNAL_MAGIC) &&
		     memcmp(buf, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) == 0;
	char *last_nl = memrchr(buf, '\n', strnlen((char *)buf, len));
	if (last_nl != NULL)
		last_nl[1] = '\0';
	/* A switch that completed before the run died: the originals are
	 * kept for rollback, with the undo data (rollback_keep.h). */
	if (whole && last_nl != NULL)
		svc_int_rollback_keep_recover(
			fs, systemroot, (char *)buf + strlen(JOURNAL_MAGIC));
	for (char *line = whole ? strtok_r((char *)buf + strlen(JOURNAL_MAGIC),
					   "\n", &save)
				: NULL;
	     line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *tmp = strchr(line, '\t');
		char *old = tmp ? strchr(tmp + 1, '\t') : NULL;
		if (old == NULL)
			continue; /* not a line we wrote */
		*tmp++ = '\0';
		*old++ = '\0';
		/* Between the two renames of an item its target is missing:
		 * the original goes back. */
		if (!guest_fs_exists(fs, line) && guest_fs_exists(fs, old)) {
			if (guest_fs_rename(fs, old, line) != GUEST_OK) {
				rc = svc_int_fail(err, SVC_ERR_GUEST, "%s: %s",
						  line, guest_fs_errmsg(fs));
				break;
			}
			++*restored_ret;
		}
		if (guest_fs_exists(fs, tmp))
			guest_fs_remove(fs, tmp);
		if (guest_fs_exists(fs, old))
			guest_fs_remove(fs, old);
	}
	if (rc == SVC_OK && guest_fs_remove(fs, path) != GUEST_OK)
		rc = svc_int_fail(err, SVC_ERR_GUEST, "%s: %s", path,
				  guest_fs_errmsg(fs));
	guest_fs_sync(fs);
	free(buf);
	free(path);
	return rc;
}

/* For tests: the run dies (no clean-up at all) before rename @k. */
static bool crash_before(const struct txn *t, const struct svc_apply_result *r)
{
	return t->opts->crash_switch_at != 0 &&
	       r->renames + 1 == t->opts->crash_switch_at;
}

/* Puts back everything switched so far, newest first. */
static void unswitch(struct txn *t)
{
	for (size_t i = t->n; i-- > 0;) {
		struct item *it = &t->items[i];
		if (it->switched) {
			guest_fs_rename(t->fs, it->target, it->tmp);
			it->switched = false;
		}
		if (it->set_aside) {
			guest_fs_rename(t->fs, it->old, it->target);
			it->set_aside = false;
		}
	}
}

/* One rename of the switch (failing where a test injects it); sets
 * *@done and counts it when it succeeds. */
/* After a failed switch (its error on @res): the originals back, the
 * journal and the staged files removed, flushed.  Returns the error. */
static enum svc_err roll_back(struct txn *t, struct svc_apply_result *res)
{
	unswitch(t);
	svc_int_journal_remove(t);
	unstage(t);
	guest_fs_sync(t->fs);
	res->rolled_back = true;
	return res->error.code;
}

static int switch_rename(struct txn *t, const char *from, const char *to,
			 bool *done, struct svc_apply_result *res)
{
	int e = injected(&t->switch_ops, t->opts->fail_switch_at)
			? GUEST_E_IO
			: guest_fs_rename(t->fs, from, to);
	if (e == GUEST_OK) {
		*done = true;
		res->renames++;
	}
	return e;
}

enum svc_err svc_int_switch_all(struct txn *t, struct svc_apply_result *res)
{
	for (size_t i = 0; i < t->n; i++) {
		struct item *it = &t->items[i];
		int e = GUEST_OK;
		if (crash_before(t, res))
			return svc_int_apply_fail(res, SVC_ERR_GUEST,
						  "killed (test)");
		if (it->existed)
			e = switch_rename(t, it->target, it->old,
					  &it->set_aside, res);
		if (e == GUEST_OK && crash_before(t, res))
			return svc_int_apply_fail(res, SVC_ERR_GUEST,
						  "killed (test)");
		if (e == GUEST_OK)
			e = switch_rename(t, it->tmp, it->target, &it->switched,
					  res);
		if (e != GUEST_OK) {
			svc_int_apply_fail(
				res, SVC_ERR_GUEST, "%s: %s", it->target,
				t->fs && guest_fs_errmsg(t->fs)[0]
					? guest_fs_errmsg(t->fs)
					: "rename failed (injected)");
			return roll_back(t, res);
		}
	}
	/* One flush for the whole series of renames. */
	int e = guest_fs_sync(t->fs);
	if (e != GUEST_OK) {
		svc_int_apply_fail(res, svc_int_guest_err(e), "%s",
				   guest_fs_errmsg(t->fs));
		return roll_back(t, res);
	}
	return SVC_OK;
}

/*
 * tempfile.c - the temporary files of hive write-backs that killed writers
 * left behind.
 *
 * A write-back goes to a temporary file beside the hive, renamed over it
 * (commit.c), through util/fileio.h's hvo_int_atomic_open/commit: the one
 * implementation of writer-named temporary files (util/tmpname.h),
 *
 *     .<hive name>.hvo-<pid>-XXXXXX
 *
 * locked by its writer until renamed or removed.  Every failure path
 * removes it; only a writer killed between its creation and the rename
 * (kill -9, power loss) leaves one.  The next writer of the same hive
 * removes those whose writer is gone (the rule is in tmpname.h) and keeps
 * their names in reg_info.stale_removed, which the CLI reports.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/tmpname.h"

struct sweep_ctx {
	struct reg_hive *h;
	bool nomem;
};

static void note_removed(void *ctx, const char *full)
{
	struct sweep_ctx *c = ctx;
	struct reg_info *in = &c->h->info;
	char *copy = strdup(full);
	char **p = copy ? realloc(in->stale_removed,
				  (in->nstale_removed + 1) * sizeof(*p))
			: NULL;
	if (p == NULL) {
		free(copy);
		c->nomem = true;
		return;
	}
	in->stale_removed = p;
	p[in->nstale_removed++] = copy;
}

int reg_int_temp_sweep(struct reg_hive *h, const char *path)
{
	struct sweep_ctx c = { h, false };
	hvo_int_tmp_sweep_each(path, note_removed, &c);
	return c.nomem ? reg_int_fail(h, REG_ERR_NOMEM, "out of memory") : 0;
}

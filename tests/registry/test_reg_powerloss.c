/*
 * test_reg_powerloss.c - `reg import` against power loss (issue 19).
 *
 * tests/lib/fsrec records the file system calls of an import as the CLI
 * runs it (reg_open for writing, reg_import, reg_commit, and the logs
 * emptied when they were replayed into the new primary) and rebuilds
 * every state a power cut could leave (see fsrec.h for the model).  Each
 * state must:
 *   - open (reg_open with the logs beside it) clean or recoverable from
 *     its logs, never dirty without usable logs or corrupt;
 *   - read (reg_export, through its logs when dirty) exactly like the
 *     hive before the import or after it: all old or all new;
 *   - read new once the import returned (every operation durable);
 *   - and, every HIVEX_EVERY-th state, hivexregedit (an independent
 *     reader) must export its primary file like the old or the new
 *     primary.
 *
 * Scenarios: three imports in a row of a 2,000-value .reg into a clean
 * hive with empty logs (the bloat case of the issue), and an import with
 * --recover into a real dirty hive (yarp's NewDirtyHive, Windows 10,
 * with LOG1/LOG2), whose logs are replayed into the new primary and then
 * emptied.
 *
 * Two controls show that the harness can fail: a hive rewritten in place,
 * and one renamed over the old without its data flushed, must each give
 * failing states (reported as such, not counted as failures).
 *
 * Usage: test_reg_powerloss [RANDOM_PER_POINT [HIVEX_EVERY]]
 * (defaults 2 and 50 under make check; bench/crash.sh runs more).
 */
#include <config.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/reg.h"
#include "tests/lib/fsrec.h"
#include "tests/lib/hvotest.h"

static char dir[4096], vol[4200], snapd[4200], work[4200], hive[4300];
static char regfile[4300], exp_path[4300];
static char old_export[65], new_export[65];
static char old_hivex[65], new_hivex[65];
static unsigned hivex_every, hivex_runs, nstate;
static bool in_control; /* judging a control writer */

static void die(const char *what)
{
	fprintf(stderr, "test_reg_powerloss: %s\n", what);
	exit(99);
}

/* reg_export of @path (through its logs), hashed; false when it does not
 * open or is neither clean nor recoverable. */
static bool export_hash(const char *path, char hex[65], const char **why)
{
	static char msg[512];
	struct reg_hive *h;
	int rc = reg_open(path, NULL, &h);
	if (rc) {
		snprintf(msg, sizeof(msg), "%s",
			 h ? reg_errmsg(h) : "reg_open failed");
		*why = msg;
		reg_close(h);
		return false;
	}
	const struct reg_info *in = reg_get_info(h);
	if (in->state != REG_STATE_CLEAN &&
	    in->state != REG_STATE_DIRTY_RECOVERABLE) {
		*why = "dirty without usable logs, or corrupt";
		reg_close(h);
		return false;
	}
	FILE *f = fopen(exp_path, "w");
	if (f == NULL)
		die("open the export file");
	rc = reg_export(h, NULL, "HKEY_LOCAL_MACHINE\\SYSTEM", REG_EXPORT_UTF8,
			f);
	fclose(f);
	if (rc) {
		snprintf(msg, sizeof(msg), "%s", reg_errmsg(h));
		*why = msg;
		reg_close(h);
		return false;
	}
	reg_close(h);
	hvo_test_sha256_file(exp_path, hex);
	return true;
}

/* hivexregedit's export of the primary file alone, hashed. */
static void hivex_hash(const char *path, char hex[65])
{
	char cmd[9000], *out = NULL;
	snprintf(
		cmd, sizeof(cmd),
		"hivexregedit --export '%s' '\\' 2>&1 | sha256sum | cut -c1-64",
		path);
	if (hvo_test_run(cmd, &out) != 0 || out == NULL)
		die("hivexregedit");
	snprintf(hex, 65, "%.64s", out);
	free(out);
}

static bool judge(void *ctx, const char *state, size_t cut, size_t nops,
		  const char *how)
{
	(void)ctx;
	char path[4400], hex[65];
	const char *why = NULL;
	snprintf(path, sizeof(path), "%s/SYSTEM", state);
	nstate++;
	bool ok = export_hash(path, hex, &why);
	if (ok && strcmp(hex, old_export) != 0 && strcmp(hex, new_export) != 0)
		ok = false, why = "neither the old nor the new hive";
	if (ok && cut == nops && strcmp(how, "durable operations only") == 0 &&
	    strcmp(hex, new_export) != 0)
		ok = false, why = "the import returned but is not durable";
	if (ok && hivex_every && nstate % hivex_every == 0) {
		hivex_runs++;
		hivex_hash(path, hex);
		if (strcmp(hex, old_hivex) != 0 && strcmp(hex, new_hivex) != 0)
			ok = false,
			why = "hivexregedit reads neither old nor new primary";
	}
	if (!ok)
		fprintf(stderr,
			"%s: cut after %zu of %zu operations (%s): %s\n",
			in_control ? "control, caught" : "FAIL", cut, nops, how,
			why);
	return ok;
}

/* One import as `hvoffline reg import [--recover] SYSTEM FILE` runs it. */
static void import(bool recover)
{
	struct reg_hive *h;
	struct reg_open_opts o = { .flags = REG_OPEN_WRITE |
					    (recover ? REG_OPEN_RECOVER : 0) };
	if (reg_open(hive, &o, &h) != 0)
		die(h ? reg_errmsg(h) : "reg_open");
	if (reg_import(h, regfile, "HKEY_LOCAL_MACHINE\\SYSTEM", NULL) != 0 ||
	    reg_commit(h) != 0)
		die(reg_errmsg(h));
	if (reg_logs_after_commit(h) == REG_LOGS_RESET &&
	    reg_reset_logs(h) != 0)
		die(reg_errmsg(h));
	reg_close(h);
}

/*
 * The controls: writers the harness must catch.  Each replaces the hive
 * with the bytes of @img (the new hive of the last import), wrongly:
 * rewritten in place, or renamed over it without flushing its data.
 */
static const uint8_t *ctl_img;
static size_t ctl_len;

static void naive_in_place(bool recover)
{
	(void)recover;
	int fd = open(hive, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, ctl_img, ctl_len) != (ssize_t)ctl_len)
		die("the in-place control");
	fsync(fd);
	close(fd);
}

static void naive_rename(bool recover)
{
	(void)recover;
	char tmp[4400];
	snprintf(tmp, sizeof(tmp), "%s.new", hive);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, ctl_img, ctl_len) != (ssize_t)ctl_len)
		die("the rename control");
	close(fd);
	if (rename(tmp, hive) != 0)
		die("the rename control");
	fd = open(vol, O_RDONLY | O_DIRECTORY);
	fsync(fd);
	close(fd);
}

/* Records one import (or a control) and explores its crash states. */
static void scenario(const char *name, void (*writer)(bool), bool recover,
		     unsigned nrandom, unsigned *states, unsigned *failed)
{
	const char *why = "?";
	if (!export_hash(hive, old_export, &why))
		die(why);
	hivex_hash(hive, old_hivex);
	fsrec_start(vol, snapd);
	writer(recover);
	fsrec_stop();
	if (!export_hash(hive, new_export, &why))
		die(why);
	hivex_hash(hive, new_hivex);
	if (strcmp(old_export, new_export) == 0)
		die("the import changed nothing");
	size_t n, changes, barriers;
	fsrec_counts(&n, &changes, &barriers);
	unsigned bad;
	unsigned s =
		fsrec_explore(work, nrandom, 1, *states + 1, judge, NULL, &bad);
	printf("power-loss states (%s, %s): %u tried, %u failed "
	       "(%zu operations, %zu changes, %zu flush barriers, %u random "
	       "per point)\n",
	       writer == import ? "reg import" : "control", name, s, bad, n,
	       changes, barriers, nrandom);
	*states += s;
	*failed += bad;
}

static void write_reg(unsigned round)
{
	FILE *f = fopen(regfile, "w");
	if (f == NULL)
		die("write the .reg file");
	fprintf(f, "Windows Registry Editor Version 5.00\n\n"
		   "[HKEY_LOCAL_MACHINE\\SYSTEM\\Bulk]\n");
	for (unsigned k = 0; k < 20; k++) {
		fprintf(f, "\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Bulk\\Key%02u]\n",
			k);
		for (unsigned v = 0; v < 100; v++)
			fprintf(f,
				"\"Value%03u\"=\"round %u: data %u of key "
				"%u\"\n",
				v, round, v, k);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	unsigned nrandom = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
	hivex_every = argc > 2 ? (unsigned)atoi(argv[2]) : 50;
	if (!hvo_test_have_program("hivexregedit")) {
		printf("hivexregedit missing: skipped\n");
		return 77;
	}
	const char *fx = hvo_test_fixtures_or_exit();
	char *d = hvo_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s", d);
	free(d);
	snprintf(vol, sizeof(vol), "%s/config", dir);
	snprintf(snapd, sizeof(snapd), "%s/snapshot", dir);
	snprintf(work, sizeof(work), "%s", dir);
	snprintf(hive, sizeof(hive), "%s/SYSTEM", vol);
	snprintf(regfile, sizeof(regfile), "%s/bulk.reg", dir);
	snprintf(exp_path, sizeof(exp_path), "%s/export.reg", dir);
	unsigned states = 0, failed = 0;

	/* A clean hive with empty logs, imported into three times. */
	static char cmd[40000];
	snprintf(cmd, sizeof(cmd),
		 "mkdir '%s' && cp '%s/hive/hivex/minimal' '%s' && "
		 "chmod u+w '%s' && : >'%s.LOG1' && : >'%s.LOG2'",
		 vol, fx, hive, hive, hive, hive);
	if (system(cmd) != 0)
		die(cmd);
	for (unsigned round = 1; round <= 3; round++) {
		char name[64];
		snprintf(name, sizeof(name), "clean hive, import %u of 3",
			 round);
		write_reg(round);
		scenario(name, import, false, nrandom, &states, &failed);
	}

	/* The controls, from the hive before the last import: a harness
	 * that finds nothing wrong with them could not find anything. */
	size_t len;
	uint8_t *img = hvo_test_read_file(hive, &len);
	ctl_img = img;
	ctl_len = len;
	unsigned cstates = 0, cfailed = 0, c1;
	snprintf(cmd, sizeof(cmd), "cp -a '%s/SYSTEM' '%s'", snapd, hive);
	if (system(cmd) != 0)
		die(cmd);
	in_control = true;
	scenario("rewritten in place", naive_in_place, false, 1, &cstates,
		 &cfailed);
	c1 = cfailed;
	if (system(cmd) != 0)
		die(cmd);
	scenario("renamed over it unflushed", naive_rename, false, 1, &cstates,
		 &cfailed);
	free(img);
	in_control = false;
	if (c1 == 0 || cfailed == c1) {
		fprintf(stderr, "the harness finds no fault in a control "
				"writer: it cannot fail\n");
		failed++;
	}

	/* A real dirty hive whose logs are replayed, then emptied. */
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s' && mkdir '%s' && y='%s/hive/yarp/NewDirtyHive1' "
		 "&& cp \"$y/NewDirtyHive\" '%s' && "
		 "cp \"$y/NewDirtyHive.LOG1\" '%s.LOG1' && "
		 "cp \"$y/NewDirtyHive.LOG2\" '%s.LOG2' && chmod u+w '%s'*",
		 vol, vol, fx, hive, hive, hive, hive);
	if (system(cmd) != 0)
		die(cmd);
	write_reg(4);
	scenario("dirty hive, --recover, logs emptied", import, true, nrandom,
		 &states, &failed);

	printf("power-loss states (reg import): %u tried, %u failed in all, "
	       "%u hivexregedit checks\n",
	       states, failed, hivex_runs);
	hvo_test_rmtree(dir);
	return failed ? 1 : 0;
}

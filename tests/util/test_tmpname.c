/*
 * test_tmpname.c - writer-named temporary files: the name, the flock, the
 * sweep of what a killed writer left, and atomic writes that leave nothing.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/lib/hvotest.h"
#include "util/fileio.h"
#include "util/tmpname.h"

static unsigned notices;
static void count_notice(void *ctx, const char *msg)
{
	(void)ctx;
	assert_non_null(strstr(msg, "removed stale temporary file"));
	notices++;
}

static void test_parse(void **state)
{
	(void)state;
	pid_t pid = 0;
	assert_true(
		hvo_int_tmp_parse(".SYSTEM.hvo-1234-AbC123", "SYSTEM", &pid));
	assert_int_equal(pid, 1234);
	assert_true(hvo_int_tmp_parse(".a.hvo-b.hvo-77-x", "a.hvo-b", &pid));
	assert_int_equal(pid, 77);
	assert_true(hvo_int_tmp_parse(".disk.vhdx.hvo-9-q", NULL, &pid));
	/* Another base, the old pid-less form, no suffix, pid 0. */
	assert_false(hvo_int_tmp_parse(".SYSTEM.hvo-1234-x", "SOFTWARE", &pid));
	assert_false(hvo_int_tmp_parse(".SYSTEM.hvo-Ab12cd", "SYSTEM", &pid));
	assert_false(hvo_int_tmp_parse(".SYSTEM.hvo-1234-", "SYSTEM", &pid));
	assert_false(hvo_int_tmp_parse(".SYSTEM.hvo-0-x", "SYSTEM", &pid));
	assert_false(hvo_int_tmp_parse("SYSTEM.hvo-12-x", "SYSTEM", &pid));
}

static void test_create_names_and_locks(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char path[4096], want[4200];
	snprintf(path, sizeof(path), "%s/SYSTEM", dir);
	char *tmp = NULL;
	int fd = hvo_int_tmp_create(path, &tmp);
	assert_true(fd >= 0);
	snprintf(want, sizeof(want), "%s/.SYSTEM.hvo-%ld-", dir,
		 (long)getpid());
	assert_memory_equal(tmp, want, strlen(want));
	/* The writer holds the flock: another open file cannot take it. */
	int fd2 = open(tmp, O_RDONLY);
	assert_true(fd2 >= 0);
	assert_int_equal(flock(fd2, LOCK_EX | LOCK_NB), -1);
	close(fd2);
	/* Our own live temporary is never swept. */
	assert_int_equal(hvo_int_tmp_sweep(path), 0);
	close(fd);
	hvo_int_tmp_remove(tmp);
	free(tmp);
	assert_int_equal(hvo_test_dir_count(dir, "."), 0);
	hvo_test_rmtree(dir);
	free(dir);
}

/* A writer killed with SIGKILL leaves its temporary; the sweep removes it
 * and says so.  A live writer's (flock held) stays. */
static void test_sweep_killed_writer(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char path[4096];
	snprintf(path, sizeof(path), "%s/disk.vhdx", dir);
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t live = fork();
	assert_true(live >= 0);
	if (live == 0) {
		char *t;
		if (hvo_int_tmp_create(path, &t) < 0)
			_exit(1);
		char c = 1;
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0); /* leaves it, like a kill -9 */
	}
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	pid_t dead = fork();
	assert_true(dead >= 0);
	if (dead == 0) {
		char *t;
		if (hvo_int_tmp_create(path, &t) < 0)
			_exit(1);
		raise(SIGKILL);
		_exit(1);
	}
	int st;
	assert_int_equal(waitpid(dead, &st, 0), dead);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(hvo_test_dir_count(dir, "."), 2);

	notices = 0;
	hvo_int_tmp_set_notice(count_notice, NULL);
	assert_int_equal(hvo_int_tmp_sweep(path), 1); /* only the dead one */
	assert_int_equal(notices, 1);
	assert_int_equal(hvo_test_dir_count(dir, "."), 1);

	/* The live writer finishes without cleaning up: now it is gone. */
	assert_int_equal(write(go[1], &c, 1), 1);
	assert_int_equal(waitpid(live, &st, 0), live);
	assert_int_equal(hvo_int_tmp_sweep(path), 1);
	assert_int_equal(hvo_test_dir_count(dir, "."), 0);
	hvo_int_tmp_set_notice(NULL, NULL);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	hvo_test_rmtree(dir);
	free(dir);
}

/* A pid that is alive but no longer writes the file (reused, here
 * simulated with our parent's pid): removed once the file is old and its
 * flock is free; kept while it is fresh. */
static void test_sweep_reused_pid(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/SOFTWARE", dir);
	snprintf(tmp, sizeof(tmp), "%s/.SOFTWARE.hvo-%ld-abcdef", dir,
		 (long)getppid());
	hvo_test_write_file(tmp, "x", 1);
	assert_int_equal(hvo_int_tmp_sweep(path), 0); /* fresh: kept */
	struct timespec old[2] = { { .tv_sec = 1000000 },
				   { .tv_sec = 1000000 } };
	assert_int_equal(utimensat(AT_FDCWD, tmp, old, 0), 0);
	/* Other bases and unrelated dot files are not touched. */
	char other[4200];
	snprintf(other, sizeof(other), "%s/.SYSTEM.hvo-%ld-abcdef", dir,
		 (long)getppid());
	hvo_test_write_file(other, "x", 1);
	assert_int_equal(utimensat(AT_FDCWD, other, old, 0), 0);
	assert_int_equal(hvo_int_tmp_sweep(path), 1);
	assert_int_equal(hvo_test_dir_count(dir, "."), 1);
	hvo_test_rmtree(dir);
	free(dir);
}

/* Atomic writes: commit and abort leave no temporary; the open sweeps a
 * dead writer's leftovers. */
static void test_atomic_leaves_nothing(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char path[4096];
	snprintf(path, sizeof(path), "%s/out.bin", dir);
	pid_t dead = fork();
	assert_true(dead >= 0);
	if (dead == 0) {
		struct hvo_atomic_file af;
		if (hvo_int_atomic_open(path, 0644, &af) != 0)
			_exit(1);
		raise(SIGKILL);
		_exit(1);
	}
	int st;
	assert_int_equal(waitpid(dead, &st, 0), dead);
	assert_int_equal(hvo_test_dir_count(dir, "."), 1);

	struct hvo_atomic_file af;
	assert_int_equal(hvo_int_atomic_open(path, 0644, &af), 0);
	assert_int_equal(hvo_test_dir_count(dir, "."), 1); /* only ours */
	assert_int_equal(hvo_int_write_all(af.fd, "new", 3), 0);
	assert_int_equal(hvo_int_atomic_commit(&af), 0);
	assert_int_equal(hvo_test_dir_count(dir, "."), 0);
	assert_int_equal(hvo_int_atomic_open(path, 0644, &af), 0);
	hvo_int_atomic_abort(&af);
	assert_int_equal(hvo_test_dir_count(dir, "."), 0);
	hvo_test_rmtree(dir);
	free(dir);
}

/* SIGTERM during a write: the installed cleanup unlinks the temporary
 * before the process dies of the signal. */
static void test_signal_cleanup(void **state)
{
	(void)state;
	char *dir = hvo_test_mkdtemp();
	char path[4096];
	snprintf(path, sizeof(path), "%s/HIVE", dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		hvo_int_tmp_cleanup_on_signal();
		struct hvo_atomic_file af;
		if (hvo_int_atomic_open(path, 0644, &af) != 0)
			_exit(1);
		raise(SIGTERM);
		_exit(1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	assert_int_equal(hvo_test_dir_count(dir, "."), 0);
	hvo_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_create_names_and_locks),
		cmocka_unit_test(test_sweep_killed_writer),
		cmocka_unit_test(test_sweep_reused_pid),
		cmocka_unit_test(test_atomic_leaves_nothing),
		cmocka_unit_test(test_signal_cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * sandbox.c - a confined child per unit of untrusted work (see sandbox.h).
 *
 * Order in the child: close the read end of the pipe, no-new-privileges
 * (seccomp filter mode requires it of an unprivileged process, and it
 * keeps set-uid programs from gaining rights: seccomp(2)), resource
 * limits, then the filter, whose default action kills the whole process
 * (SCMP_ACT_KILL_PROCESS, Linux 4.14).  The child ends with _exit(): no
 * atexit handlers (LeakSanitizer's would stop the world with ptrace, which
 * the filter forbids).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "guest/sandbox.h"

#define DEFAULT_CPU	   600u
#define DEFAULT_MEMORY	   (4ull << 30)
#define DEFAULT_FSIZE	   (1ull << 40)
#define DEFAULT_RESULT_MAX (1u << 20)

/* Calls allowed without conditions: I/O on descriptors already held,
 * memory, time, signals to itself (abort), exit. */
static const int allowed[] = {
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(lseek),
	SCMP_SYS(close),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(ftruncate),
	SCMP_SYS(fallocate),
	SCMP_SYS(flock),
	SCMP_SYS(fcntl),
	SCMP_SYS(brk),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(madvise),
	SCMP_SYS(futex),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(tgkill),
	SCMP_SYS(sched_yield),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(memfd_create), /* anonymous memory as a file (hive copies) */
	/* glibc's qsort() asks for the machine's memory size before sorting
	 * a large array (the hive layout sorts every cell): read-only, it
	 * tells memory, load and uptime, nothing of any file. */
	SCMP_SYS(sysinfo),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
};

/* Calls on paths, allowed only when Landlock confines them (or the
 * caller accepted a kernel without it). */
static const int file_calls[] = {
	SCMP_SYS(openat),    SCMP_SYS(open),	   SCMP_SYS(mkdirat),
	SCMP_SYS(mkdir),     SCMP_SYS(unlinkat),   SCMP_SYS(unlink),
	SCMP_SYS(rmdir),     SCMP_SYS(renameat),   SCMP_SYS(renameat2),
	SCMP_SYS(rename),    SCMP_SYS(getdents64), SCMP_SYS(statx),
	SCMP_SYS(stat),	     SCMP_SYS(lstat),	   SCMP_SYS(fstatfs),
	SCMP_SYS(statfs),    SCMP_SYS(faccessat),  SCMP_SYS(faccessat2),
	SCMP_SYS(access),    SCMP_SYS(readlinkat), SCMP_SYS(readlink),
	SCMP_SYS(fchmod),    SCMP_SYS(utimensat),  SCMP_SYS(getcwd),
	SCMP_SYS(dup),	     SCMP_SYS(dup2),	   SCMP_SYS(dup3),
	SCMP_SYS(fadvise64),
};

static int install_filter(bool files)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return -1;
	int r = 0;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && r == 0;
	     i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	for (size_t i = 0;
	     files && i < sizeof(file_calls) / sizeof(file_calls[0]) && r == 0;
	     i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, file_calls[i], 0);
	/* Memory, but never executable: no code can be loaded. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* isatty(), and the sanitizers' PR_GET_DUMPABLE, nothing more. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, TCGETS));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				     SCMP_A0(SCMP_CMP_EQ, PR_GET_DUMPABLE));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r == 0 ? 0 : -1;
}

static int set_limit(int resource, uint64_t v)
{
	struct rlimit rl = { .rlim_cur = v, .rlim_max = v };
	return setrlimit(resource, &rl);
}

int guest_sandbox_landlock(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	return abi > 0 ? (int)abi : 0;
}

/* Landlock ABI 3 (Linux 6.2); older headers lack it. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define LL_FILE (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE)
#define LL_V1	((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)

/* Adds a rule granting @access beneath @path (a file gets only the
 * file rights among them).  A path that does not exist grants nothing
 * (and the child then fails to open it, as it would have). */
static int ll_rule(int rfd, const char *path, uint64_t access)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		access &= LL_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	access &= ~(uint64_t)LANDLOCK_ACCESS_FS_EXECUTE;
	struct landlock_path_beneath_attr pb = { .allowed_access = access,
						 .parent_fd = fd };
	long r = syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
			 &pb, 0);
	close(fd);
	return r == 0 ? 0 : -1;
}

/* Confines the paths the child may open (see sandbox.h).  0, or -1 (a
 * kernel without Landlock counts as failure unless it was accepted). */
static int landlock(const struct guest_sandbox_opts *o)
{
	int abi = guest_sandbox_landlock();
	if (abi == 0)
		return o->landlock_optional ? 0 : -1;
	uint64_t all = LL_V1;
	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	struct landlock_ruleset_attr ra = { .handled_access_fs = all };
	int rfd = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (rfd < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < o->list_paths.n && r == 0; i++)
		r = ll_rule(rfd, o->list_paths.v[i],
			    LANDLOCK_ACCESS_FS_READ_DIR);
	for (size_t i = 0; i < o->read_paths.n && r == 0; i++)
		r = ll_rule(rfd, o->read_paths.v[i],
			    LANDLOCK_ACCESS_FS_READ_FILE |
				    LANDLOCK_ACCESS_FS_READ_DIR);
	/* Everything but executing and making device, socket and pipe
	 * nodes (a file: reading, writing, truncating). */
	for (size_t i = 0; i < o->write_paths.n && r == 0; i++)
		r = ll_rule(rfd, o->write_paths.v[i],
			    all & ~(LANDLOCK_ACCESS_FS_EXECUTE |
				    LANDLOCK_ACCESS_FS_MAKE_CHAR |
				    LANDLOCK_ACCESS_FS_MAKE_BLOCK |
				    LANDLOCK_ACCESS_FS_MAKE_SOCK |
				    LANDLOCK_ACCESS_FS_MAKE_FIFO));
	if (r == 0 && syscall(SYS_landlock_restrict_self, rfd, 0) != 0)
		r = -1;
	close(rfd);
	return r;
}

/* Code the child would load lazily, loaded now: iconv's conversion
 * modules (hivex converts Latin-1 and UTF-16 registry strings), which
 * glibc opens and maps executable on first use, both forbidden once
 * confined.  The descriptors stay open so the modules stay loaded. */
static void preload(void)
{
	static const char *const pairs[][2] = {
		{ "UTF-8", "LATIN1" },	   { "LATIN1", "UTF-8" },
		{ "UTF-8", "UTF-16LE" },   { "UTF-16LE", "UTF-8" },
		{ "UTF-8", "ISO-8859-1" },
	};
	static iconv_t keep[sizeof(pairs) / sizeof(pairs[0])];
	tzset(); /* localtime() reads /etc/localtime once */
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (keep[i] == NULL)
			keep[i] = iconv_open(pairs[i][0], pairs[i][1]);
}

int guest_sandbox_enter(const struct guest_sandbox_opts *opts)
{
	struct guest_sandbox_opts o = { 0 };
	if (opts != NULL)
		o = *opts;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	/* CPU: the soft limit sends SIGXCPU, the hard one a second later
	 * SIGKILL. */
	unsigned cpu = o.cpu_seconds ? o.cpu_seconds : DEFAULT_CPU;
	struct rlimit rl = { .rlim_cur = cpu, .rlim_max = cpu + 1 };
	if (setrlimit(RLIMIT_CPU, &rl) != 0 ||
	    set_limit(RLIMIT_FSIZE,
		      o.max_fsize ? o.max_fsize : DEFAULT_FSIZE) != 0 ||
	    set_limit(RLIMIT_CORE, 0) != 0 || set_limit(RLIMIT_NPROC, 0) != 0)
		return -1;
#if !defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer reserves terabytes of address space up front. */
	if (set_limit(RLIMIT_AS,
		      o.max_memory ? o.max_memory : DEFAULT_MEMORY) != 0)
		return -1;
#endif
	preload();
	bool files = o.read_paths.n + o.list_paths.n + o.write_paths.n > 0;
	if (files && landlock(&o) != 0)
		return -1;
	return install_filter(files);
}

static int sb_fail(char *why, size_t whysize, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int sb_fail(char *why, size_t whysize, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	return status;
}

/* Reads the child's result: at most @max bytes kept, the rest drained.
 * Returns -1 on a read error. */
static int collect(int fd, size_t max, char **buf_ret, size_t *len_ret,
		   bool *too_big)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	if (buf == NULL)
		return -1;
	*too_big = false;
	for (;;) {
		char tmp[8192];
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		if (len + (size_t)n > max) {
			*too_big = true;
			continue;
		}
		if (len + (size_t)n > cap) {
			while (len + (size_t)n > cap)
				cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		memcpy(buf + len, tmp, (size_t)n);
		len += (size_t)n;
	}
	buf[len] = '\0';
	*buf_ret = buf;
	*len_ret = len;
	return 0;
}

int guest_sandbox_start(const struct guest_sandbox_opts *opts,
			guest_sandbox_fn fn, void *ctx,
			struct guest_sandbox_child *child, char *why,
			size_t whysize)
{
	struct guest_sandbox_opts o = { 0 };
	if (opts != NULL)
		o = *opts;
	child->pid = -1;
	child->fd = -1;
	child->max_result = o.max_result ? o.max_result : DEFAULT_RESULT_MAX;
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return sb_fail(why, whysize, GUEST_SANDBOX_SETUP, "pipe: %s",
			       strerror(errno));
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return sb_fail(why, whysize, GUEST_SANDBOX_SETUP, "fork: %s",
			       strerror(e));
	}
	if (pid == 0) {
		close(p[0]);
		/* The parent's handlers (a test framework's, which would
		 * carry on running the parent's code here) do not apply: a
		 * fault ends the child. */
		static const int fatal[] = { SIGABRT, SIGSEGV, SIGBUS,
					     SIGILL,  SIGFPE,  SIGSYS };
		for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
			signal(fatal[i], SIG_DFL);
		/* A parent killed (kill -9 of hvoffline) takes its children
		 * with it: none goes on writing an image nobody waits for. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
		    getppid() != parent)
			_exit(125);
		if (guest_sandbox_enter(&o) != 0)
			_exit(125);
		if (o.test_forbidden_call)
			(void)socket(AF_INET, SOCK_STREAM, 0);
		int code = fn(ctx, p[1]);
		close(p[1]);
		_exit(code & 0x7f);
	}
	close(p[1]);
	child->pid = pid;
	child->fd = p[0];
	why[0] = '\0';
	return GUEST_SANDBOX_OK;
}

int guest_sandbox_wait(struct guest_sandbox_child *child, char **result_ret,
		       size_t *len_ret, char *why, size_t whysize)
{
	*result_ret = NULL;
	*len_ret = 0;
	char *buf = NULL;
	size_t len = 0;
	bool too_big = false;
	int rr = collect(child->fd, child->max_result, &buf, &len, &too_big);
	int rerr = errno;
	close(child->fd);
	child->fd = -1;
	int st;
	while (waitpid(child->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			free(buf);
			return sb_fail(why, whysize, GUEST_SANDBOX_SETUP,
				       "waitpid: %s", strerror(errno));
		}
	}
	*result_ret = buf;
	*len_ret = len;
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		const char *name = sigabbrev_np(sig);
		if (sig == SIGSYS)
			return sb_fail(why, whysize, GUEST_SANDBOX_FILTERED,
				       "the sandboxed child was killed by "
				       "signal SIGSYS (its seccomp filter: a "
				       "forbidden system call)");
		if (sig == SIGXCPU || sig == SIGXFSZ || sig == SIGKILL)
			return sb_fail(why, whysize, GUEST_SANDBOX_LIMIT,
				       "the sandboxed child was killed by "
				       "signal SIG%s (%s: a resource limit, or "
				       "killed from outside)",
				       name ? name : "?", strsignal(sig));
		return sb_fail(why, whysize, GUEST_SANDBOX_CRASHED,
			       "the sandboxed child was killed by signal "
			       "SIG%s (%s)",
			       name ? name : "?", strsignal(sig));
	}
	if (rr != 0)
		return sb_fail(why, whysize, GUEST_SANDBOX_SETUP,
			       "reading the child's result: %s",
			       strerror(rerr));
	if (too_big)
		return sb_fail(why, whysize, GUEST_SANDBOX_TOO_BIG,
			       "the sandboxed child's result is larger than "
			       "%zu bytes",
			       child->max_result);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	if (code == 125)
		return sb_fail(why, whysize, GUEST_SANDBOX_SETUP,
			       "the sandboxed child could not confine itself "
			       "(no-new-privileges, limits, Landlock or "
			       "seccomp)");
	if (code != 0)
		return sb_fail(why, whysize, GUEST_SANDBOX_FAILED,
			       "the sandboxed child failed (exit %d)", code);
	why[0] = '\0';
	return GUEST_SANDBOX_OK;
}

int guest_sandbox_run(const struct guest_sandbox_opts *opts,
		      guest_sandbox_fn fn, void *ctx, char **result_ret,
		      size_t *len_ret, char *why, size_t whysize)
{
	*result_ret = NULL;
	*len_ret = 0;
	struct guest_sandbox_child c;
	int st = guest_sandbox_start(opts, fn, ctx, &c, why, whysize);
	if (st != GUEST_SANDBOX_OK)
		return st;
	return guest_sandbox_wait(&c, result_ret, len_ret, why, whysize);
}

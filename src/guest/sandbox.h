/*
 * sandbox.h - run a function in a confined child process: fork, then,
 * before the function sees a byte of untrusted input, no-new-privileges,
 * resource limits and a seccomp-bpf allow-list (libseccomp).  The child's
 * result comes back as bytes (JSON by convention) over a pipe; the parent
 * treats them as untrusted: bounded in size, never executed.
 *
 * What the child may do: read and write (and pread/pwrite, fsync) on
 * descriptors it already holds, manage memory (mmap and mprotect never
 * with PROT_EXEC), ask the time, and exit.  It may not create sockets,
 * execute programs, trace, fork, or change its limits: those calls kill
 * it (SIGSYS).  Descriptors opened before the fork stay usable.
 *
 * Files: with no paths in the options the child may not open anything
 * (open, mkdir, unlink, rename kill it).  With paths, those calls are let
 * through the seccomp filter and Landlock (Linux 5.13) confines them:
 * reading only beneath @read_paths, listing (not reading) the
 * directories of @list_paths, and besides writing the files and creating,
 * writing and removing beneath the directories of @write_paths.  Where the kernel has no Landlock
 * the child refuses to start unless @landlock_optional is set (then file
 * calls are allowed unconfined; guest_sandbox_landlock() tells which).
 * doc/security.md states the whole policy.
 */
#ifndef HVO_GUEST_SANDBOX_H
#define HVO_GUEST_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the child ended. */
enum guest_sandbox_status {
	GUEST_SANDBOX_OK = 0,	    /* exited 0 with a result */
	GUEST_SANDBOX_FAILED = 1,   /* exited non-zero */
	GUEST_SANDBOX_FILTERED = 2, /* killed by its seccomp filter */
	GUEST_SANDBOX_LIMIT = 3,    /* killed by a resource limit */
	GUEST_SANDBOX_CRASHED = 4,  /* killed by another signal */
	GUEST_SANDBOX_TOO_BIG = 5,  /* its result exceeded the bound */
	GUEST_SANDBOX_SETUP = 6,    /* fork, pipe or the filter failed */
};

struct guest_sandbox_opts {
	unsigned cpu_seconds; /* RLIMIT_CPU; 0: 600 */
	uint64_t max_memory;  /* RLIMIT_AS in bytes; 0: 4 GiB */
	uint64_t max_fsize;   /* RLIMIT_FSIZE in bytes; 0: 1 TiB (images) */
	size_t max_result;    /* bytes of result accepted; 0: 1 MiB */
	/* Test hook: the child calls socket(2) once the filter is in
	 * place, which must kill it (GUEST_SANDBOX_FILTERED). */
	bool test_forbidden_call;
	/* What the child may read, list and change (Landlock; see above).
	 * All empty: no file may be opened. */
	struct guest_sandbox_paths {
		const char *const *v;
		size_t n;
	} read_paths, list_paths, write_paths;
	bool landlock_optional;
};

/* A child started by guest_sandbox_start(). */
struct guest_sandbox_child {
	int pid;
	int fd; /* read end of the result pipe */
	size_t max_result;
};

/* The child's work: writes its result to @out_fd, returns its exit code
 * (0: success). */
typedef int (*guest_sandbox_fn)(void *ctx, int out_fd);

/*
 * Runs @fn(@ctx) in a confined child and waits for it.  *@result_ret
 * (caller frees; NUL-terminated, not counted in *@len_ret) receives what
 * the child wrote, whatever its end.  Returns a guest_sandbox_status; @why
 * gets a sentence for the user ("the sandboxed child was killed by signal
 * SIGSYS (its seccomp filter: a forbidden system call)").  @opts may be
 * NULL.
 */
int guest_sandbox_run(const struct guest_sandbox_opts *opts,
		      guest_sandbox_fn fn, void *ctx, char **result_ret,
		      size_t *len_ret, char *why, size_t whysize);

/* The same in two steps, for several children at once: start one (a
 * guest_sandbox_status: GUEST_SANDBOX_OK or GUEST_SANDBOX_SETUP), then
 * collect its result and wait for it (what guest_sandbox_run returns). */
int guest_sandbox_start(const struct guest_sandbox_opts *opts,
			guest_sandbox_fn fn, void *ctx,
			struct guest_sandbox_child *child, char *why,
			size_t whysize);
int guest_sandbox_wait(struct guest_sandbox_child *child, char **result_ret,
		       size_t *len_ret, char *why, size_t whysize);

/* The Landlock ABI version of the running kernel, or 0 without it. */
int guest_sandbox_landlock(void);

/* Enters the confinement in the calling process (what the child does
 * first); 0 or -1.  For tests and for callers that fork themselves. */
int guest_sandbox_enter(const struct guest_sandbox_opts *opts);

#endif /* HVO_GUEST_SANDBOX_H */

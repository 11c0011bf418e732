/*
 * launch.c - appliance launch with a watchdog and KVM -> TCG fallback.
 *
 * The decision (see launch.h) is:
 *   1. If the user forced TCG through LIBGUESTFS_BACKEND_SETTINGS, or /dev/kvm
 *      cannot be opened, launch once; libguestfs picks TCG itself.
 *   2. If the cache says KVM failed on this host (same kernel, same
 *      libguestfs), launch once with TCG.
 *   3. Otherwise launch with KVM under a short watchdog; if that fails or
 *      hangs, close the handle, make a new one and launch with TCG.  When
 *      TCG then works, record that in the cache.
 *
 * The watchdog cannot use libguestfs calls from another thread (a handle
 * serialises its calls, so launch would block them).  Instead it watches
 * for the qemu process that the direct backend forks as our child and
 * kills it when the attempt overruns; guestfs_launch() then returns an
 * error.  The clock starts when qemu appears, so building the supermin
 * appliance on a first run is not counted as a hang.
 */
#include <config.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "guest/launch.h"
#include "util/fileio.h"

const char *guest_accel_name(enum guest_accel a)
{
	switch (a) {
	case GUEST_ACCEL_KVM:
		return "kvm";
	case GUEST_ACCEL_TCG:
		return "tcg";
	default:
		return "unknown";
	}
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Cache: one small key=value file.                                    */
/* ------------------------------------------------------------------ */

char *guest_launch_cache_path(const struct guest_launch_opts *opts)
{
	const char *dir = opts ? opts->cache_dir : NULL;
	char *path = NULL;
	if (dir != NULL) {
		if (asprintf(&path, "%s/launch.conf", dir) < 0)
			return NULL;
		return path;
	}
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&path, "%s/hvoffline/launch.conf", xdg) < 0)
			return NULL;
	} else if (home != NULL && home[0] == '/') {
		if (asprintf(&path, "%s/.cache/hvoffline/launch.conf", home) <
		    0)
			return NULL;
	}
	return path;
}

/*
 * The host fingerprint under which a cached decision holds: KVM breakage
 * is a property of the host kernel and of the qemu that libguestfs runs, so
 * a kernel or libguestfs upgrade makes us try KVM again.
 */
static void host_fingerprint(char *buf, size_t size)
{
	struct utsname u;
	const char *rel = uname(&u) == 0 ? u.release : "unknown";
	guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
	struct guestfs_version *v = NULL;
	if (g != NULL) {
		guestfs_set_error_handler(g, NULL, NULL);
		v = guestfs_version(g);
	}
	snprintf(buf, size, "kernel=%s libguestfs=%lld.%lld.%lld", rel,
		 v ? (long long)v->major : 0LL, v ? (long long)v->minor : 0LL,
		 v ? (long long)v->release : 0LL);
	if (v)
		guestfs_free_version(v);
	if (g)
		guestfs_close(g);
}

/* Returns true if the cache says: use TCG on this host. */
static bool cache_says_tcg(const char *path, const char *fingerprint)
{
	uint8_t *buf;
	size_t len;
	if (path == NULL || hvo_int_read_file(path, 4096, &buf, &len) != 0)
		return false;
	char want[600];
	snprintf(want, sizeof(want), "host %s\n", fingerprint);
	bool tcg = strstr((char *)buf, want) != NULL &&
		   strstr((char *)buf, "accel tcg\n") != NULL;
	free(buf);
	return tcg;
}

static int mkdir_p(const char *dir)
{
	char *copy = strdup(dir);
	if (copy == NULL)
		return ENOMEM;
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
			int e = errno;
			free(copy);
			return e;
		}
		*p = '/';
	}
	int e = 0;
	if (mkdir(copy, 0700) != 0 && errno != EEXIST)
		e = errno;
	free(copy);
	return e;
}

static void cache_write_tcg(const char *path, const char *fingerprint,
			    const char *why)
{
	if (path == NULL)
		return;
	char *dir = strdup(path);
	if (dir == NULL)
		return;
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir_p(dir);
	}
	free(dir);

	struct hvo_atomic_file af;
	if (hvo_int_atomic_open(path, 0644, &af) != 0)
		return; /* the cache is an optimisation; never fail for it */
	char text[2048];
	/* Keep the reason on one line, and short. */
	char reason[512];
	size_t i = 0;
	for (; why[i] != '\0' && i < sizeof(reason) - 1; i++)
		reason[i] = (why[i] == '\n' || why[i] == '\r') ? ' ' : why[i];
	reason[i] = '\0';
	int n = snprintf(text, sizeof(text),
			 "# hvoffline: KVM appliance launches fail on this "
			 "host; delete this file to try KVM again.\n"
			 "host %s\naccel tcg\nkvm-error %s\n",
			 fingerprint, reason);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    hvo_int_write_all(af.fd, text, (size_t)n) != 0) {
		hvo_int_atomic_abort(&af);
		return;
	}
	hvo_int_atomic_commit(&af);
}

/* ------------------------------------------------------------------ */
/* Watchdog.                                                           */
/* ------------------------------------------------------------------ */

struct watchdog {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	bool fired;
	unsigned timeout_s;
};

/* Lists our children whose command name starts with "qemu". */
static int find_qemu_children(pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	pid_t self = getpid();
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < max) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "pid (comm) state ppid ..."; comm may hold spaces. */
		char *open_paren = strchr(buf, '(');
		char *close_paren = strrchr(buf, ')');
		if (open_paren == NULL || close_paren == NULL ||
		    close_paren < open_paren)
			continue;
		char state;
		int ppid;
		if (sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2)
			continue;
		if (ppid != self || strncmp(open_paren + 1, "qemu", 4) != 0)
			continue;
		pids[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return n;
}

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	double qemu_seen = 0;

	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->cond, &w->lock, &ts);
		if (w->done)
			break;

		pid_t pids[8];
		int n = find_qemu_children(pids, 8);
		if (n == 0)
			continue;
		if (qemu_seen == 0)
			qemu_seen = now_seconds();
		if (now_seconds() - qemu_seen < (double)w->timeout_s)
			continue;
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		w->fired = true;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int watchdog_start(struct watchdog *w, unsigned timeout_s)
{
	memset(w, 0, sizeof(*w));
	w->timeout_s = timeout_s;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	return pthread_create(&w->thread, NULL, watchdog_main, w);
}

static bool watchdog_stop(struct watchdog *w)
{
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	return w->fired;
}

/* ------------------------------------------------------------------ */
/* One attempt.                                                        */
/* ------------------------------------------------------------------ */

/*
 * libguestfs reports a failed launch as several errors, the last of which
 * ("guestfs_launch failed.") says nothing; the useful ones ("qemu killed
 * by signal 6") come first.  Collect the first line of each.
 */
struct error_collector {
	char text[1024];
};

static void collect_error(guestfs_h *g, void *opaque, const char *msg)
{
	(void)g;
	struct error_collector *ec = opaque;
	if (msg == NULL || strncmp(msg, "guestfs_launch failed", 21) == 0)
		return;
	size_t len = strlen(ec->text);
	size_t first_line = strcspn(msg, "\n");
	if (len + 3 >= sizeof(ec->text))
		return;
	if (len > 0) {
		memcpy(ec->text + len, "; ", 2);
		len += 2;
	}
	size_t room = sizeof(ec->text) - len - 1;
	if (first_line > room)
		first_line = room;
	memcpy(ec->text + len, msg, first_line);
	ec->text[len + first_line] = '\0';
}

static bool user_forced_tcg(void)
{
	const char *s = getenv("LIBGUESTFS_BACKEND_SETTINGS");
	return s != NULL && strstr(s, "force_tcg") != NULL;
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* How attempt() reports that not even a handle could be made. */
#define NO_HANDLE "cannot create a libguestfs handle: "

/*
 * Creates a handle, runs @setup and launches under a watchdog of
 * @timeout_s.  Returns the launched handle, or NULL with @err filled.
 */
static guestfs_h *attempt(const struct guest_launch_opts *opts,
			  guest_setup_fn setup, void *setup_ctx, bool tcg,
			  unsigned timeout_s, char *err, size_t errsize)
{
	guestfs_h *g = guestfs_create();
	if (g == NULL) {
		snprintf(err, errsize, NO_HANDLE "%s", strerror(errno));
		return NULL;
	}
	struct error_collector ec = { .text = "" };
	guestfs_set_error_handler(g, collect_error, &ec);
	if (opts->trace)
		guestfs_set_verbose(g, 1);
	/* The watchdog needs qemu as our own child: the direct backend.
	 * A backend the user chose explicitly is respected. */
	if (getenv("LIBGUESTFS_BACKEND") == NULL)
		guestfs_set_backend(g, "direct");
	if (tcg && guestfs_set_backend_setting(g, "force_tcg", "1") != 0) {
		snprintf(err, errsize, "cannot select TCG: %s",
			 guestfs_last_error(g));
		guestfs_close(g);
		return NULL;
	}
	/* Two virtual CPUs when the host has two: the appliance's udev
	 * probes its disks in parallel at boot.  With eight images under TCG
	 * the launch took 17.3-20.0 s against 20.5-22.9 s with one (four
	 * runs each, guestfish set-smp); later calls cost the same. */
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2 && guestfs_set_smp(g, 2) != 0) {
		snprintf(err, errsize, "cannot set two CPUs: %s",
			 guestfs_last_error(g));
		guestfs_close(g);
		return NULL;
	}
	if (setup != NULL && setup(g, setup_ctx) != 0) {
		snprintf(err, errsize, "%s",
			 ec.text[0] ? ec.text : "appliance setup failed");
		guestfs_close(g);
		return NULL;
	}

	struct watchdog w;
	bool have_watchdog = watchdog_start(&w, timeout_s) == 0;
	int r = guestfs_launch(g);
	bool fired = have_watchdog ? watchdog_stop(&w) : false;
	if (r == 0 && !fired) {
		/* From here on errors belong to the caller's calls, which
		 * read them with guestfs_last_error(); nothing is printed. */
		guestfs_set_error_handler(g, NULL, NULL);
		return g;
	}

	if (fired)
		snprintf(err, errsize,
			 "the appliance did not start within %u s (hung)",
			 timeout_s);
	else if (ec.text[0] != '\0')
		snprintf(err, errsize, "%s", ec.text);
	else
		snprintf(err, errsize, "launch failed");
	guestfs_close(g);
	return NULL;
}

int guest_launch(const struct guest_launch_opts *opts, guest_setup_fn setup,
		 void *setup_ctx, guestfs_h **g_ret,
		 struct guest_launch_result *res)
{
	struct guest_launch_opts defaults = { 0 };
	if (opts == NULL)
		opts = &defaults;
	memset(res, 0, sizeof(*res));
	*g_ret = NULL;

	unsigned kvm_timeout = opts->kvm_timeout_s ? opts->kvm_timeout_s
						   : GUEST_KVM_TIMEOUT_DEFAULT;
	unsigned tcg_timeout = opts->tcg_timeout_s ? opts->tcg_timeout_s
						   : GUEST_TCG_TIMEOUT_DEFAULT;

	char fingerprint[512];
	host_fingerprint(fingerprint, sizeof(fingerprint));
	char *cache = opts->no_cache ? NULL : guest_launch_cache_path(opts);

	bool try_kvm = !user_forced_tcg() && kvm_usable();
	if (try_kvm && cache_says_tcg(cache, fingerprint)) {
		try_kvm = false;
		res->from_cache = true;
	}

	guestfs_h *g;
	double t0 = now_seconds();
	if (try_kvm) {
		char kvm_err[sizeof(res->error)];
		g = attempt(opts, setup, setup_ctx, false, kvm_timeout, kvm_err,
			    sizeof(kvm_err));
		/* No handle at all (libguestfs could not be loaded) is not
		 * a KVM failure: TCG would fail the same way. */
		if (g == NULL &&
		    strncmp(kvm_err, NO_HANDLE, strlen(NO_HANDLE)) == 0) {
			snprintf(res->error, sizeof(res->error), "%s", kvm_err);
			free(cache);
			return -1;
		}
		if (g != NULL) {
			res->accel = GUEST_ACCEL_KVM;
			res->seconds = now_seconds() - t0;
			*g_ret = g;
			free(cache);
			return 0;
		}
		res->fell_back = true;
		if (opts->notice) {
			char msg[sizeof(kvm_err) + 128];
			/* First line only: libguestfs appends advice. */
			char *nl = strchr(kvm_err, '\n');
			if (nl)
				*nl = '\0';
			snprintf(msg, sizeof(msg),
				 "KVM appliance launch failed (%s); retrying "
				 "with TCG software emulation (slower)",
				 kvm_err);
			opts->notice(opts->notice_ctx, msg);
		}
		t0 = now_seconds();
		g = attempt(opts, setup, setup_ctx, true, tcg_timeout,
			    res->error, sizeof(res->error));
		if (g != NULL)
			cache_write_tcg(cache, fingerprint, kvm_err);
	} else {
		bool tcg = res->from_cache;
		g = attempt(opts, setup, setup_ctx, tcg, tcg_timeout,
			    res->error, sizeof(res->error));
	}
	free(cache);
	if (g == NULL)
		return -1;
	res->accel = (res->fell_back || res->from_cache || user_forced_tcg() ||
		      !kvm_usable())
			     ? GUEST_ACCEL_TCG
			     : GUEST_ACCEL_KVM;
	res->seconds = now_seconds() - t0;
	res->error[0] = '\0';
	*g_ret = g;
	return 0;
}

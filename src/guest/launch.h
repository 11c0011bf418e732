/*
 * launch.h - launching the libguestfs appliance reliably.
 *
 * On nested-virtualisation hosts /dev/kvm may exist while KVM is broken:
 * qemu aborts on an MSR, or hangs after the BIOS.  guestfs_launch() then
 * fails, or waits for the appliance for twenty minutes.  guest_launch()
 * bounds each attempt with a watchdog, retries a failed or hung KVM launch
 * once with TCG (software emulation), reports that once through the notice
 * callback, and remembers the outcome in the user's cache directory so
 * that later runs go straight to what works.
 */
#ifndef HVO_GUEST_LAUNCH_H
#define HVO_GUEST_LAUNCH_H

#include <stdbool.h>

#include <guestfs.h>

enum guest_accel {
	GUEST_ACCEL_UNKNOWN = 0,
	GUEST_ACCEL_KVM,
	GUEST_ACCEL_TCG,
};

/* Defaults for the per-attempt bounds.  A KVM launch takes seconds when it
 * works, so one that has not finished in a minute is treated as hung.  A
 * TCG launch takes about 20 s on two cores; fifteen minutes allows for a
 * heavily loaded machine while still ending a hang. */
#define GUEST_KVM_TIMEOUT_DEFAULT 60
#define GUEST_TCG_TIMEOUT_DEFAULT 900

/* Called for user-visible notices (the fallback, once per run). */
typedef void (*guest_notice_fn)(void *ctx, const char *msg);

/*
 * Configures a freshly created handle before launch: add drives, set
 * options.  It may be called twice (a second time on a new handle for the
 * TCG retry), so it must not consume its inputs.  Returns 0, or -1 with the
 * handle's error set.
 */
typedef int (*guest_setup_fn)(guestfs_h *g, void *ctx);

struct guest_launch_opts {
	unsigned kvm_timeout_s; /* 0: GUEST_KVM_TIMEOUT_DEFAULT */
	unsigned tcg_timeout_s; /* 0: GUEST_TCG_TIMEOUT_DEFAULT */
	/* Where the outcome is remembered; NULL: $XDG_CACHE_HOME/hvoffline,
	 * else $HOME/.cache/hvoffline. */
	const char *cache_dir;
	bool no_cache; /* neither read nor write the cache */
	bool trace;    /* libguestfs verbose output (to stderr) */
	guest_notice_fn notice;
	void *notice_ctx;
};

struct guest_launch_result {
	enum guest_accel accel; /* what the running appliance uses */
	bool fell_back;		/* KVM was tried here and failed */
	bool from_cache;	/* TCG was chosen from the cache */
	double seconds;		/* wall time of the successful attempt */
	char error[1024];	/* why the launch failed, when it did */
};

/*
 * Creates a handle, calls @setup on it and launches the appliance, with the
 * fallback and bounds described above.  On success *@g_ret is a launched
 * handle (caller closes it with guestfs_close) and 0 is returned; on
 * failure -1 is returned, *@g_ret is NULL and @res->error says why.  The
 * handle's default error handler is disabled: libraries never print.
 */
int guest_launch(const struct guest_launch_opts *opts, guest_setup_fn setup,
		 void *setup_ctx, guestfs_h **g_ret,
		 struct guest_launch_result *res);

/* Name of an accelerator ("kvm", "tcg", "unknown"). */
const char *guest_accel_name(enum guest_accel a);

/*
 * The cache file path for @opts (caller frees), or NULL if no cache
 * directory can be determined.
 */
char *guest_launch_cache_path(const struct guest_launch_opts *opts);

#endif /* HVO_GUEST_LAUNCH_H */

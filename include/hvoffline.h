/*
 * hvoffline.h - public interface of libhvoffline.
 *
 * libhvoffline services stopped Hyper-V virtual machines' disks: it reads
 * and writes VHDX images, Microsoft cabinets and registry hives, models CBS
 * packages and installs the Hyper-V integration-services package into an
 * offline Windows guest.  Each layer has its own header under
 * <hvoffline/...>; this header holds what they share.
 */
#ifndef HVOFFLINE_H
#define HVOFFLINE_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * HVO_API marks what libhvoffline exports.  The library is built with
 * -fvisibility=hidden, so a function is visible to programs linking
 * libhvoffline.so only when an installed header declares it with this
 * macro (wimlib's WIMLIBAPI pattern); everything else stays internal.
 */
#ifndef HVO_API
#define HVO_API __attribute__((visibility("default")))
#endif

/*
 * Outcome classes, which are also the exit codes of the hvoffline program
 * (SERVICING.md section 4).  Every library's error enum maps onto these
 * through its own *_exit_class() function, so that scripts can tell a
 * corrupt input from a refusal from a plain failure.
 */
enum hvo_exit {
	HVO_EXIT_OK = 0,	     /* applied, or already up to date */
	HVO_EXIT_FAILED = 1,	     /* I/O, guest tool failure, internal */
	HVO_EXIT_USAGE = 2,	     /* bad usage */
	HVO_EXIT_NOT_APPLICABLE = 3, /* no package applies to this guest */
	HVO_EXIT_REFUSED = 4,	     /* in use, or unsafe state */
	HVO_EXIT_CORRUPT = 5,	     /* corrupt input */
	/* Done, with something to tidy that is not an error (vhdx check:
	 * leaked space).  Ranks between 0 and 1 in hvo_exit_max(). */
	HVO_EXIT_WARNING = 6,
};

/* Returns the library version, e.g. "0.1.0".  The string is static. */
HVO_API const char *hvo_version(void);

/* Returns a short description of an exit class ("corrupt input").
 * The string is static. */
HVO_API const char *hvo_exit_describe(enum hvo_exit code);

/* Returns the larger (more severe) of two exit classes.  Batch runs report
 * the highest code of their images (SERVICING.md section 4). */
HVO_API enum hvo_exit hvo_exit_max(enum hvo_exit a, enum hvo_exit b);

#ifdef __cplusplus
}
#endif

#endif /* HVOFFLINE_H */

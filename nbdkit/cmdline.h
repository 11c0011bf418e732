/*
 * cmdline.h - what nbdkit's own command line says, where the plugin API
 * does not tell in time.
 */
#ifndef HVO_NBDKIT_CMDLINE_H
#define HVO_NBDKIT_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether the argument vector @argv (@argc entries, argv[0] the program)
 * asks nbdkit for a read-only server: -r, --readonly, --read-only, or -r
 * in a cluster of short flags.  Arguments of options that take one are
 * skipped; scanning stops at "--".
 */
bool hvo_nbd_int_argv_read_only(int argc, char *const *argv);

/*
 * The same question for the running process, from /proc/self/cmdline.
 * nbdkit passes its -r flag to plugins only per connection (.open), but
 * the image must be opened, and its lock taken, before the first one
 * (.get_ready): a writable open replays a dirty log into the file, which a
 * read-only server must never do.  Returns false when it cannot tell.
 */
bool hvo_nbd_int_cmdline_read_only(void);

#endif /* HVO_NBDKIT_CMDLINE_H */

/*
 * manage.h - what the managing commands (services, reg --image, rollback)
 * share: their option parsing (the launch options and --help) and the run
 * over their images (a scratch directory, the session, each image's
 * Windows volume, the shutdown, the errors).
 */
#ifndef HVO_CLI_MANAGE_H
#define HVO_CLI_MANAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"
#include "guest/guest.h"
#include "servicing/inspect_run.h"

/* The session options of a managing command: its launch events go to the
 * CLI's notices and debug output. */
void cli_manage_opts_init(struct cli_ctx *ctx, struct svc_run_opts *ro);

/*
 * Takes an option @c that no managing command handles itself: -h prints
 * @help, a launch option goes into @ro.  Returns 1 when the caller is to
 * go on parsing, 0 after the help (the command ends with exit 0), -1
 * after a usage error (exit 2).
 */
int cli_manage_option(struct cli_ctx *ctx, int c, const char *help,
		      struct svc_run_opts *ro);

/* The exit class of a cli_manage_option() that stopped the parsing. */
#define CLI_MANAGE_OPTION_EXIT(r) ((r) == 0 ? HVO_EXIT_OK : HVO_EXIT_USAGE)

/* One image of the run: its exit class and why it failed ("" when the
 * step reported the failure itself). */
struct cli_manage_image {
	enum hvo_exit exit;
	char error[1200];
};

/* An image ready for the command's work. */
struct cli_manage_target {
	const char *image;
	struct guest_fs *fs;	/* its Windows volume */
	const char *systemroot; /* where Windows is on it */
	const char *tmpdir;	/* a private host scratch directory */
};

/* The members every managing command's servicing options start with
 * (image, systemroot, tmpdir), from target @t, for a designated
 * initializer. */
#define CLI_MANAGE_TARGET_OPTS(t)                           \
	.image = (t)->image, .systemroot = (t)->systemroot, \
	.tmpdir = (t)->tmpdir

/* The command's work on image @i.  Returns the exit class; on a failure
 * *@errmsg (NULL when the step reported it itself) is kept as the image's
 * error. */
typedef enum hvo_exit (*cli_manage_step)(void *opaque, size_t i,
					 const struct cli_manage_target *t,
					 const char **errmsg);

/*
 * Opens @n images (read-write when @write) with @ro, runs @step on each
 * whose Windows volume could be mounted, shuts down (an unclean shutdown
 * fails every written image), then reports each failure as an error.
 * @what names the scratch directory ("services"); @doing is the notice
 * before each image's step ("rolling back").  @st has @n entries.
 * Returns the highest exit class.
 */
enum hvo_exit cli_manage_run(struct cli_ctx *ctx, const char *what,
			     const char *doing, struct svc_run_opts *ro,
			     bool write, const char *const *images, size_t n,
			     struct cli_manage_image *st, cli_manage_step step,
			     void *opaque);

/*
 * The --json report of a managing command: opens the object with
 * "command", "exit_code", "dry_run" and the "images" array (closed by the
 * caller), then, per image, its object with "image", "exit_code" and
 * "error" (the caller adds its members and closes it).
 */
void cli_manage_json_begin(struct cli_ctx *ctx, struct json_writer *w,
			   const char *command, enum hvo_exit rc, bool dry_run);
void cli_manage_json_image(struct json_writer *w, const char *image,
			   const struct cli_manage_image *st);

#endif /* HVO_CLI_MANAGE_H */

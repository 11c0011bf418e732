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
#include "cli/output.h"
#include "guest/guest.h"
#include "servicing/inspect_run.h"
#include "servicing/services_wire.h"

/* The options of a managing command: the backend's, and how many images
 * run at once in sandboxed children on the native backend. */
struct cli_manage_opts {
	struct svc_run_opts ro;
	unsigned jobs;
};

/* The options of a managing command: its launch events go to the CLI's
 * notices and debug output. */
void cli_manage_opts_init(struct cli_ctx *ctx, struct cli_manage_opts *mo);

/*
 * Takes an option @c that no managing command handles itself: -h prints
 * @help, --backend, -j/--jobs and a launch option go into @mo.  Returns 1
 * when the caller is to go on parsing, 0 after the help (the command ends
 * with exit 0), -1 after a usage error (exit 2).
 */
int cli_manage_option(struct cli_ctx *ctx, int c, const char *help,
		      struct cli_manage_opts *mo);

/* The short options (-j N) and long options (--backend, --jobs and the
 * launch options) of every managing command, and their help lines. */
#define CLI_MANAGE_SHORTOPTS "j:"
#define CLI_MANAGE_LONGOPTS  CLI_BACKEND_LONGOPT, CLI_LAUNCH_LONGOPTS
#define CLI_MANAGE_HELP	     CLI_BACKEND_HELP CLI_LAUNCH_HELP

/* The exit class of a cli_manage_option() that stopped the parsing. */
#define CLI_MANAGE_OPTION_EXIT(r) ((r) == 0 ? HVO_EXIT_OK : HVO_EXIT_USAGE)

/* One image of the run: its exit class and why it failed ("" when the
 * step reported the failure itself). */
struct cli_manage_image {
	enum hvo_exit exit;
	char error[1200];
	/* What the write-open cleaned up after an interrupted earlier run
	 * (rollback_recover.h): shown as warnings and freed by
	 * cli_manage_run. */
	char **notes;
	size_t nnotes;
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
 * error.  On the native backend it runs in image @i's sandboxed child:
 * it must not print; what the command shows comes from its result,
 * carried back by @put and @get. */
typedef enum hvo_exit (*cli_manage_step)(void *opaque, size_t i,
					 const struct cli_manage_target *t,
					 const char **errmsg);

/* A managing command's run. */
struct cli_manage_cmd {
	const char *what;  /* names the scratch directory ("services") */
	const char *doing; /* the progress step ("rolling back") */
	bool write;	   /* images read-write */
	cli_manage_step step;
	/* In the child: image @i's result (what @step left in @opaque) as
	 * bytes (services_wire.h). */
	void (*put)(void *opaque, size_t i, struct svc_mwire *w);
	/* In the parent: image @i's result back from @r into @opaque; with
	 * @r NULL, its child failed: free what a decode may have left. */
	void (*get)(void *opaque, size_t i, struct svc_mread *r);
	void *opaque;
	/* Host files the step reads (reg import's .reg file). */
	const char *const *read_extra;
	size_t nread_extra;
};

/*
 * Runs @cmd on @n images with @mo: on the native backend each image in a
 * sandboxed child (services_child.h), --jobs at once; on the appliance in
 * one launch.  Opens each image (read-write when @cmd->write), runs the
 * step on each whose Windows volume could be mounted (when writing,
 * after finishing or removing what an interrupted earlier run left,
 * svc_int_recover), shuts down (an unclean shutdown fails every written
 * image), then reports what was cleaned up as warnings and each failure
 * as an error.  @st has @n entries.  Returns the highest exit class.
 */
enum hvo_exit cli_manage_run(struct cli_ctx *ctx,
			     const struct cli_manage_cmd *cmd,
			     struct cli_manage_opts *mo,
			     const char *const *images, size_t n,
			     struct cli_manage_image *st);

/*
 * The per-image arrays of a command's run: its @n results of @size bytes
 * (returned, zeroed) and *@st.  NULL after saying "out of memory"
 * (nothing is left allocated).
 */
void *cli_manage_alloc(struct cli_ctx *ctx, size_t n, size_t size,
		       struct cli_manage_image **st);

/*
 * In a command's get: reads whether the step produced a result (*@ran;
 * false when @r is NULL: the child failed).  True when that result
 * follows in @r, for the command to decode.
 */
bool cli_manage_get_ran(struct svc_mread *r, bool *ran);

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

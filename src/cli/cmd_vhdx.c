/*
 * cmd_vhdx.c - `hvoffline vhdx info|check|replay|create|read|write`: the
 * native VHDX library from the command line.
 *
 * These are the tools an image pipeline needs around the servicing job:
 * look at an image (including Hyper-V checkpoints, .avhdx, which qemu
 * cannot open), verify it, replay a dirty log, make images, and stream a
 * virtual disk out or in.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "util/fileio.h"
#include "util/tmpname.h"
#include "vhdx/report.h"
#include "vhdx/vhdx.h"

const char cmd_vhdx_help[] =
	"Usage: hvoffline vhdx COMMAND [OPTIONS] IMAGE\n"
	"\n"
	"Native VHDX tools: fixed, dynamic and differencing images (Hyper-V\n"
	"checkpoints, .avhdx), 512 and 4096-byte sectors, and images whose "
	"log\n"
	"needs replay (replayed in memory when only reading).\n";

/* ---- helpers ---- */

/* The opening of a subcommand's --json object: "image" and "status". */
static void json_open(struct cli_ctx *ctx, struct json_writer *w,
		      const char *path, const char *status)
{
	cli_json_begin(ctx, w);
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "image", path);
	hvo_int_json_kv_string(w, "status", status);
}

static enum hvo_exit fail_vhdx(struct cli_ctx *ctx, const char *image,
			       enum vhdx_err code, const char *msg)
{
	cli_error(ctx, image, "%s", msg && *msg ? msg : vhdx_strerror(code));
	return vhdx_exit_class(code);
}

/* "1G", "512M", "4096", "64T": binary multiples. */
static bool parse_size(struct cli_ctx *ctx, const char *opt, const char *s,
		       uint64_t *out)
{
	char *end;
	errno = 0;
	if (s == NULL || *s < '0' || *s > '9')
		goto bad;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
	if (errno != 0)
		goto bad;
	unsigned shift = 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		goto bad;
	}
	if (shift) {
		end++;
		if (strcmp(end, "iB") == 0)
			end += 2;
		else if (*end == 'B')
			end++;
	}
	if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
		goto bad;
	*out = (uint64_t)v << shift;
	return true;
bad:
	cli_usage(ctx,
		  "%s: '%s' is not a size (a decimal or 0x number, "
		  "optionally with K, M, G or T)",
		  opt, s ? s : "");
	return false;
}

/* Options shared by the commands that open an image. */
struct open_args {
	const char *parent;
	bool no_parent;
};

enum {
	OPT_PARENT = 0x100,
	OPT_NO_PARENT,
	OPT_OFFSET,
	OPT_LENGTH,
	OPT_TYPE,
	OPT_SIZE,
	OPT_BLOCK_SIZE,
	OPT_LSS,
	OPT_PSS,
	OPT_REPAIR,
};

static enum hvo_exit open_image(struct cli_ctx *ctx, const char *path,
				unsigned flags, const struct open_args *oa,
				struct vhdx_image **img)
{
	struct vhdx_open_opts opts = { .parent_path = oa->parent };
	struct vhdx_error err = { 0 };
	if (oa->no_parent)
		flags |= VHDX_OPEN_NO_PARENT;
	enum vhdx_err r = vhdx_open(path, flags, &opts, img, &err);
	if (r != VHDX_OK)
		return fail_vhdx(ctx, path, r, err.msg);
	return HVO_EXIT_OK;
}

/* Closes @img; a failure of the final flush is reported and returned. */
static enum hvo_exit close_image(struct cli_ctx *ctx, struct vhdx_image *img,
				 const char *path, enum hvo_exit rc)
{
	struct vhdx_error err = { 0 };
	enum vhdx_err r = vhdx_close(img, &err);
	if (r != VHDX_OK)
		rc = hvo_exit_max(rc, fail_vhdx(ctx, path, r, err.msg));
	return rc;
}

/* Parses the options of a command that takes one IMAGE (plus @extra
 * option handling through @handle).  Returns -1 to go on, or an exit. */
typedef int (*opt_handler)(struct cli_ctx *ctx, int c, const char *arg,
			   void *state);

static int parse_common(struct cli_ctx *ctx, int argc, char **argv,
			const char *help, const char *shortopts,
			const struct option *longopts, struct open_args *oa,
			opt_handler handle, void *state)
{
	int c;
	while ((c = cli_getopt(ctx, argc, argv, shortopts, longopts)) != -1) {
		switch (c) {
		case OPT_PARENT:
			oa->parent = optarg;
			break;
		case OPT_NO_PARENT:
			oa->no_parent = true;
			break;
		case 'h':
			fputs(help, stdout);
			return HVO_EXIT_OK;
		case '?':
			return HVO_EXIT_USAGE;
		default:
			if (handle == NULL)
				return HVO_EXIT_USAGE;
			int rc = handle(ctx, c, optarg, state);
			if (rc >= 0)
				return rc;
			break;
		}
	}
	return -1;
}

/* ---- info ---- */

const char cmd_vhdx_info_help[] =
	"Usage: hvoffline vhdx info [--parent FILE | --no-parent] IMAGE\n"
	"\n"
	"Validate IMAGE and show its format: type, sizes, GUIDs, log state\n"
	"and, for a differencing image, its parent chain.  A log that needs\n"
	"replay is replayed in memory; the file is not changed.\n"
	"\n"
	"Options:\n"
	"  --parent FILE   use FILE as the parent (still checked against the\n"
	"                  child's parent_linkage)\n"
	"  --no-parent     do not open the parent chain\n"
	"  --json          JSON output\n";

static enum hvo_exit cmd_vhdx_info(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ "no-parent", no_argument, NULL, OPT_NO_PARENT },
		{ NULL, 0, NULL, 0 },
	};
	struct open_args oa = { 0 };
	int rc = parse_common(ctx, argc, argv, cmd_vhdx_info_help, "", longopts,
			      &oa, NULL, NULL);
	if (rc >= 0)
		return (enum hvo_exit)rc;
	if (optind + 1 != argc)
		return cli_usage(ctx, "expected one IMAGE");
	const char *path = argv[optind];
	struct vhdx_image *img;
	enum hvo_exit ex = open_image(ctx, path, 0, &oa, &img);
	if (ex != HVO_EXIT_OK)
		return ex;
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "status", "ok");
		hvo_int_json_key(&w, "image");
		vhdx_int_report_info_json(&w, img);
		hvo_int_json_key(&w, "chain");
		hvo_int_json_begin_array(&w);
		for (const struct vhdx_image *p = vhdx_parent(img); p;
		     p = vhdx_parent(p))
			vhdx_int_report_info_json(&w, p);
		hvo_int_json_end_array(&w);
		hvo_int_json_end_object(&w);
		ex = cli_json_end(ctx, &w, HVO_EXIT_OK);
	} else {
		vhdx_int_report_info_text(stdout, img);
		for (const struct vhdx_image *p = vhdx_parent(img); p;
		     p = vhdx_parent(p)) {
			printf("parent:\n");
			vhdx_int_report_info_text(stdout, p);
		}
	}
	return close_image(ctx, img, path, ex);
}

/* ---- check ---- */

const char cmd_vhdx_check_help[] =
	"Usage: hvoffline vhdx check [--repair] [--parent FILE | --no-parent]\n"
	"                            IMAGE\n"
	"\n"
	"Check IMAGE completely: headers, region tables, metadata, the log,\n"
	"every BAT entry (state, bounds, overlap), sector bitmaps and the\n"
	"parent chain, and space past the last referenced region (leaked by\n"
	"an interrupted write).  Read-only: a log that needs replay is\n"
	"replayed in memory.  Exit status 5 if the image is corrupt, 6 if it\n"
	"is sound but leaks space.\n"
	"\n"
	"Options:\n"
	"  --repair        open IMAGE for writing (a dirty log is replayed)\n"
	"                  and truncate the leaked space (crash-safe)\n"
	"  --parent FILE   use FILE as the parent\n"
	"  --no-parent     do not open the parent chain\n"
	"  --json          JSON report\n";

static int check_opt(struct cli_ctx *ctx, int c, const char *arg, void *st)
{
	(void)ctx;
	(void)arg;
	if (c != OPT_REPAIR)
		return HVO_EXIT_USAGE;
	*(bool *)st = true;
	return -1;
}

static enum hvo_exit cmd_vhdx_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ "no-parent", no_argument, NULL, OPT_NO_PARENT },
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ NULL, 0, NULL, 0 },
	};
	struct open_args oa = { 0 };
	bool repair = false;
	int rc = parse_common(ctx, argc, argv, cmd_vhdx_check_help, "",
			      longopts, &oa, check_opt, &repair);
	if (rc >= 0)
		return (enum hvo_exit)rc;
	if (optind + 1 != argc)
		return cli_usage(ctx, "expected one IMAGE");
	const char *path = argv[optind];
	struct vhdx_open_opts opts = { .parent_path = oa.parent };
	struct vhdx_error err = { 0 };
	struct vhdx_image *img;
	unsigned flags = (oa.no_parent ? VHDX_OPEN_NO_PARENT : 0) |
			 (repair ? VHDX_OPEN_WRITE : 0);
	enum vhdx_err r = vhdx_open(path, flags, &opts, &img, &err);
	struct vhdx_check_report rep = { 0 };
	enum hvo_exit ex = HVO_EXIT_OK;
	uint64_t repaired = 0;
	if (r == VHDX_OK) {
		r = vhdx_check(img, &rep);
		/* Only a sound image is repaired: truncating on the word of
		 * a corrupt BAT could cut blocks it fails to describe. */
		if (r == VHDX_OK && repair && rep.nproblems == 0 &&
		    rep.leaked_bytes > 0)
			r = vhdx_reclaim(img, &repaired);
		if (r != VHDX_OK)
			snprintf(err.msg, sizeof(err.msg), "%s",
				 vhdx_errmsg(img));
	}
	/* A structure open refuses is a check result (exit 5), reported like
	 * any other problem; I/O and locking failures are not. */
	if (r != VHDX_OK) {
		ex = vhdx_exit_class(r);
		cli_error(ctx, path, "%s", err.msg);
	} else if (rep.nproblems) {
		ex = HVO_EXIT_CORRUPT;
	} else if (rep.leaked_bytes > repaired) {
		ex = HVO_EXIT_WARNING;
	}
	if (ctx->json && (r == VHDX_OK || ex == HVO_EXIT_CORRUPT)) {
		struct json_writer w;
		json_open(ctx, &w, path,
			  ex == HVO_EXIT_OK	   ? "ok"
			  : ex == HVO_EXIT_WARNING ? "leaked"
						   : "corrupt");
		if (r != VHDX_OK) {
			hvo_int_json_key(&w, "problems");
			hvo_int_json_begin_array(&w);
			hvo_int_json_string(&w, err.msg);
			hvo_int_json_end_array(&w);
			hvo_int_json_key(&w, "warnings");
			hvo_int_json_begin_array(&w);
			hvo_int_json_end_array(&w);
		} else {
			vhdx_int_report_check_json(&w, img, &rep);
			hvo_int_json_kv_uint(&w, "repaired_bytes", repaired);
		}
		hvo_int_json_end_object(&w);
		ex = cli_json_end(ctx, &w, ex);
	} else if (r == VHDX_OK) {
		vhdx_int_report_check_text(stdout, path, &rep, repaired);
	}
	vhdx_check_report_free(&rep);
	if (r == VHDX_OK)
		ex = close_image(ctx, img, path, ex);
	return ex;
}

/* ---- replay ---- */

const char cmd_vhdx_replay_help[] =
	"Usage: hvoffline vhdx replay [--parent FILE | --no-parent] IMAGE\n"
	"\n"
	"Open IMAGE for writing: a log that needs replay is replayed into the\n"
	"file and cleared (as a writable open by Hyper-V or qemu would).  An\n"
	"image with a clean log is left unchanged.\n";

static enum hvo_exit cmd_vhdx_replay(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ "no-parent", no_argument, NULL, OPT_NO_PARENT },
		{ NULL, 0, NULL, 0 },
	};
	struct open_args oa = { 0 };
	int rc = parse_common(ctx, argc, argv, cmd_vhdx_replay_help, "",
			      longopts, &oa, NULL, NULL);
	if (rc >= 0)
		return (enum hvo_exit)rc;
	if (optind + 1 != argc)
		return cli_usage(ctx, "expected one IMAGE");
	const char *path = argv[optind];
	struct vhdx_image *img;
	enum hvo_exit ex = open_image(ctx, path, VHDX_OPEN_WRITE, &oa, &img);
	if (ex != HVO_EXIT_OK)
		return ex;
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	ex = close_image(ctx, img, path, HVO_EXIT_OK);
	if (ex != HVO_EXIT_OK)
		return ex;
	bool replayed = in.log_state == VHDX_LOG_REPLAYED_FILE;
	if (ctx->json) {
		struct json_writer w;
		json_open(ctx, &w, path, "ok");
		hvo_int_json_kv_string(&w, "log",
				       vhdx_int_log_state_name(in.log_state));
		hvo_int_json_kv_uint(&w, "entries_replayed",
				     in.log_entries_replayed);
		hvo_int_json_kv_uint(&w, "head_sequence", in.log_head_sequence);
		hvo_int_json_end_object(&w);
		return cli_json_end(ctx, &w, HVO_EXIT_OK);
	}
	if (replayed)
		printf("%s: replayed %" PRIu32
		       " log entries (head sequence %" PRIu64
		       ") and cleared the log\n",
		       path, in.log_entries_replayed, in.log_head_sequence);
	else if (in.log_state == VHDX_LOG_EMPTY_GUID)
		printf("%s: the log held no valid entry; cleared it\n", path);
	else
		printf("%s: the log is clean; nothing to replay\n", path);
	return HVO_EXIT_OK;
}

/* ---- create ---- */

const char cmd_vhdx_create_help[] =
	"Usage: hvoffline vhdx create [--type fixed|dynamic] --size SIZE\n"
	"                             [--block-size SIZE]\n"
	"                             [--logical-sector-size 512|4096]\n"
	"                             [--physical-sector-size 512|4096] IMAGE\n"
	"       hvoffline vhdx create --parent FILE [--block-size SIZE] IMAGE\n"
	"\n"
	"Create a new VHDX image (never overwrites a file).  With --parent,\n"
	"a differencing image (a checkpoint) of FILE: same size and sector\n"
	"sizes, linked to FILE's current DataWriteGuid, located through a\n"
	"path relative to IMAGE.  SIZE takes K, M, G, T suffixes (binary).\n"
	"\n"
	"Options:\n"
	"  --type TYPE                  fixed or dynamic (default dynamic)\n"
	"  --size SIZE                  virtual disk size\n"
	"  --block-size SIZE            1M to 256M, a power of two (default\n"
	"                               32M; 2M for differencing)\n"
	"  --logical-sector-size N      512 (default) or 4096\n"
	"  --physical-sector-size N     512 or 4096 (default)\n"
	"  --parent FILE                make a differencing image of FILE\n";

struct create_state {
	struct vhdx_create_opts o;
	bool have_size;
	bool have_type;
};

static int create_opt(struct cli_ctx *ctx, int c, const char *arg, void *st)
{
	struct create_state *cs = st;
	uint64_t v;
	switch (c) {
	case OPT_TYPE:
		cs->have_type = true;
		if (strcmp(arg, "fixed") == 0)
			cs->o.type = VHDX_TYPE_FIXED;
		else if (strcmp(arg, "dynamic") == 0)
			cs->o.type = VHDX_TYPE_DYNAMIC;
		else if (strcmp(arg, "differencing") == 0)
			cs->o.type = VHDX_TYPE_DIFFERENCING;
		else
			return cli_usage(ctx,
					 "--type: '%s' is not fixed, "
					 "dynamic or differencing",
					 arg);
		return -1;
	case OPT_SIZE:
		if (!parse_size(ctx, "--size", arg, &cs->o.virtual_size))
			return HVO_EXIT_USAGE;
		cs->have_size = true;
		return -1;
	case OPT_BLOCK_SIZE:
		if (!parse_size(ctx, "--block-size", arg, &v))
			return HVO_EXIT_USAGE;
		if (v > UINT32_MAX)
			return cli_usage(ctx, "--block-size: too large");
		cs->o.block_size = (uint32_t)v;
		return -1;
	case OPT_LSS:
	case OPT_PSS:
		if (!parse_size(ctx,
				c == OPT_LSS ? "--logical-sector-size"
					     : "--physical-sector-size",
				arg, &v))
			return HVO_EXIT_USAGE;
		if (v != 512 && v != 4096)
			return cli_usage(ctx, "sector sizes are 512 or 4096");
		if (c == OPT_LSS)
			cs->o.logical_sector_size = (uint32_t)v;
		else
			cs->o.physical_sector_size = (uint32_t)v;
		return -1;
	}
	return HVO_EXIT_USAGE;
}

static void tmp_notice(void *ctx, const char *msg)
{
	cli_info(ctx, "%s", msg);
}

static enum hvo_exit cmd_vhdx_create(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE },
		{ "logical-sector-size", required_argument, NULL, OPT_LSS },
		{ "physical-sector-size", required_argument, NULL, OPT_PSS },
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ NULL, 0, NULL, 0 },
	};
	struct create_state cs = { .o.type = VHDX_TYPE_DYNAMIC };
	struct open_args oa = { 0 };
	int rc = parse_common(ctx, argc, argv, cmd_vhdx_create_help, "",
			      longopts, &oa, create_opt, &cs);
	if (rc >= 0)
		return (enum hvo_exit)rc;
	if (optind + 1 != argc)
		return cli_usage(ctx, "expected one IMAGE");
	const char *path = argv[optind];
	if (oa.parent) {
		if (cs.have_type && cs.o.type != VHDX_TYPE_DIFFERENCING)
			return cli_usage(ctx, "--parent makes a differencing "
					      "image");
		if (cs.have_size)
			return cli_usage(ctx, "a differencing image has its "
					      "parent's size");
		cs.o.type = VHDX_TYPE_DIFFERENCING;
		cs.o.parent_path = oa.parent;
	} else if (cs.o.type == VHDX_TYPE_DIFFERENCING) {
		return cli_usage(ctx, "a differencing image needs --parent");
	} else if (!cs.have_size) {
		return cli_usage(ctx, "--size is required");
	}
	/* The image is built under a temporary name: say when a killed
	 * earlier create's one is swept, remove ours on SIGINT/SIGTERM. */
	hvo_int_tmp_set_notice(tmp_notice, ctx);
	hvo_int_tmp_cleanup_on_signal();
	struct vhdx_error err = { 0 };
	enum vhdx_err r = vhdx_create(path, &cs.o, &err);
	hvo_int_tmp_set_notice(NULL, NULL);
	if (r != VHDX_OK)
		return fail_vhdx(ctx, path, r, err.msg);
	if (ctx->json) {
		struct json_writer w;
		json_open(ctx, &w, path, "created");
		hvo_int_json_kv_string(&w, "type",
				       vhdx_int_type_name(cs.o.type));
		hvo_int_json_end_object(&w);
		return cli_json_end(ctx, &w, HVO_EXIT_OK);
	}
	cli_info(ctx, "%s: created (%s)", path, vhdx_int_type_name(cs.o.type));
	return HVO_EXIT_OK;
}

/* ---- read ---- */

const char cmd_vhdx_read_help[] =
	"Usage: hvoffline vhdx read [--offset N] [--length N] [-o FILE]\n"
	"                           [--parent FILE | --no-parent] IMAGE\n"
	"\n"
	"Write the virtual disk of IMAGE (or LENGTH bytes from OFFSET) to\n"
	"standard output, or to FILE.  A regular output file is written\n"
	"sparse: ranges that read as zeros become holes.  A log that needs\n"
	"replay is replayed in memory; IMAGE is not changed.\n"
	"\n"
	"Options:\n"
	"  --offset N      start at byte N of the virtual disk (K/M/G/T)\n"
	"  --length N      at most N bytes (default: to the end)\n"
	"  -o FILE         write to FILE (created or truncated)\n"
	"  --parent FILE   use FILE as the parent\n"
	"  --no-parent     do not open the parent chain (reading sectors\n"
	"                  that live in the parent fails)\n";

struct range_state {
	uint64_t offset, length;
	bool have_length;
	const char *out;
};

static int range_opt(struct cli_ctx *ctx, int c, const char *arg, void *st)
{
	struct range_state *rs = st;
	switch (c) {
	case OPT_OFFSET:
		return parse_size(ctx, "--offset", arg, &rs->offset)
			       ? -1
			       : HVO_EXIT_USAGE;
	case OPT_LENGTH:
		rs->have_length = true;
		return parse_size(ctx, "--length", arg, &rs->length)
			       ? -1
			       : HVO_EXIT_USAGE;
	case 'o':
		rs->out = arg;
		return -1;
	}
	return HVO_EXIT_USAGE;
}

static enum hvo_exit cmd_vhdx_read(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "length", required_argument, NULL, OPT_LENGTH },
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ "no-parent", no_argument, NULL, OPT_NO_PARENT },
		{ NULL, 0, NULL, 0 },
	};
	struct range_state rs = { 0 };
	struct open_args oa = { 0 };
	int rc = parse_common(ctx, argc, argv, cmd_vhdx_read_help,
			      "o:", longopts, &oa, range_opt, &rs);
	if (rc >= 0)
		return (enum hvo_exit)rc;
	if (optind + 1 != argc)
		return cli_usage(ctx, "expected one IMAGE");
	if (ctx->json && rs.out == NULL) /* stdout carries the disk */
		return cli_usage(ctx, "--json needs -o FILE");
	const char *path = argv[optind];
	struct vhdx_image *img;
	enum hvo_exit ex = open_image(ctx, path, 0, &oa, &img);
	if (ex != HVO_EXIT_OK)
		return ex;
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	if (rs.offset > in.virtual_size) {
		vhdx_close(img, NULL);
		return cli_usage(ctx,
				 "--offset %" PRIu64
				 " is past the end of the %" PRIu64
				 "-byte disk",
				 rs.offset, in.virtual_size);
	}
	uint64_t len = rs.have_length ? rs.length : UINT64_MAX;

	int out = STDOUT_FILENO;
	const char *out_name = "standard output";
	struct stat ost;
	if (rs.out && stat(rs.out, &ost) == 0) {
		/* -o naming the image (or a parent) would truncate it. */
		for (const struct vhdx_image *p = img; p; p = vhdx_parent(p)) {
			struct stat ist;
			if (fstat(vhdx_fd(p), &ist) == 0 &&
			    ist.st_dev == ost.st_dev &&
			    ist.st_ino == ost.st_ino) {
				vhdx_close(img, NULL);
				return cli_usage(
					ctx,
					"-o %s is the image itself (or "
					"one of its parents)",
					rs.out);
			}
		}
	}
	if (rs.out) {
		out = open(rs.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0644);
		out_name = rs.out;
		if (out < 0) {
			cli_error(ctx, rs.out, "cannot create: %s",
				  strerror(errno));
			vhdx_close(img, NULL);
			return HVO_EXIT_FAILED;
		}
	} else {
		fflush(stdout);
	}
	int werr = 0;
	enum vhdx_err r = vhdx_copy_to_fd(img, rs.offset, len, out, &werr);
	if (werr != 0)
		cli_error(ctx, out_name, "write error: %s", strerror(werr));
	else if (r != VHDX_OK)
		ex = fail_vhdx(ctx, path, r, vhdx_errmsg(img));
	if (rs.out && close(out) != 0 && werr == 0) {
		werr = errno;
		cli_error(ctx, out_name, "write error: %s", strerror(werr));
	}
	if (werr != 0)
		ex = hvo_exit_max(ex, HVO_EXIT_FAILED);
	ex = close_image(ctx, img, path, ex);
	if (ex == HVO_EXIT_OK && ctx->json) {
		uint64_t avail = in.virtual_size - rs.offset;
		struct json_writer w;
		json_open(ctx, &w, path, "ok");
		hvo_int_json_kv_string(&w, "output", rs.out);
		hvo_int_json_kv_uint(&w, "offset", rs.offset);
		hvo_int_json_kv_uint(&w, "bytes_read",
				     len < avail ? len : avail);
		hvo_int_json_end_object(&w);
		return cli_json_end(ctx, &w, ex);
	}
	return ex;
}

/* ---- write ---- */

const char cmd_vhdx_write_help[] =
	"Usage: hvoffline vhdx write [--offset N] [--length N]\n"
	"                            [--parent FILE] IMAGE [INPUT]\n"
	"\n"
	"Write the bytes of INPUT (a file, or standard input when INPUT is\n"
	"omitted or '-') into the virtual disk of IMAGE at OFFSET, in 1 MiB\n"
	"writes, and make them durable.  Blocks are allocated as needed and\n"
	"the BAT is updated through the VHDX log; a crash at any moment\n"
	"leaves every sector with its old or its new content.\n"
	"\n"
	"Options:\n"
	"  --offset N      start at byte N of the virtual disk (K/M/G/T)\n"
	"  --length N      write at most N bytes of INPUT\n"
	"  --parent FILE   use FILE as the parent (differencing images)\n";

static enum hvo_exit cmd_vhdx_write(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "length", required_argument, NULL, OPT_LENGTH },
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ NULL, 0, NULL, 0 },
	};
	struct range_state rs = { 0 };
	struct open_args oa = { 0 };
	int rc = parse_common(ctx, argc, argv, cmd_vhdx_write_help, "",
			      longopts, &oa, range_opt, &rs);
	if (rc >= 0)
		return (enum hvo_exit)rc;
	if (optind + 1 != argc && optind + 2 != argc)
		return cli_usage(ctx, "expected IMAGE [INPUT]");
	const char *path = argv[optind];
	const char *input = optind + 1 < argc ? argv[optind + 1] : "-";
	int in = STDIN_FILENO;
	if (strcmp(input, "-") != 0) {
		in = open(input, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			cli_error(ctx, input, "cannot open: %s",
				  strerror(errno));
			return HVO_EXIT_FAILED;
		}
	}
	/* A killed `vhdx create` of this name left its temporary file:
	 * removed (and said, util/tmpname.h) before the image is written. */
	hvo_int_tmp_sweep(path);
	struct vhdx_image *img;
	enum hvo_exit ex = open_image(ctx, path, VHDX_OPEN_WRITE, &oa, &img);
	if (ex != HVO_EXIT_OK) {
		if (in != STDIN_FILENO)
			close(in);
		return ex;
	}
	uint64_t total = 0;
	int rerr = 0;
	enum vhdx_err r = vhdx_write_from_fd(
		img, rs.offset, in, rs.have_length ? rs.length : UINT64_MAX,
		&total, &rerr);
	if (rerr != 0) {
		cli_error(ctx, input, "read error: %s", strerror(rerr));
		ex = HVO_EXIT_FAILED;
	} else if (r != VHDX_OK) {
		ex = fail_vhdx(ctx, path, r, vhdx_errmsg(img));
	}
	if (in != STDIN_FILENO)
		close(in);
	ex = close_image(ctx, img, path, ex);
	if (ex == HVO_EXIT_OK) {
		if (ctx->json) {
			struct json_writer w;
			json_open(ctx, &w, path, "ok");
			hvo_int_json_kv_uint(&w, "offset", rs.offset);
			hvo_int_json_kv_uint(&w, "bytes_written", total);
			hvo_int_json_end_object(&w);
			return cli_json_end(ctx, &w, ex);
		}
		cli_info(ctx, "%s: wrote %" PRIu64 " bytes at offset %" PRIu64,
			 path, total, rs.offset);
	}
	return ex;
}

/* ---- the group ---- */

const struct cli_command cmd_vhdx_subcommands[] = {
	{ .name = "info",
	  .summary = "validate an image and show its format",
	  .help = cmd_vhdx_info_help,
	  .run = cmd_vhdx_info },
	{ .name = "check",
	  .summary = "check every structure of an image",
	  .help = cmd_vhdx_check_help,
	  .run = cmd_vhdx_check },
	{ .name = "replay",
	  .summary = "replay and clear the log of an image",
	  .help = cmd_vhdx_replay_help,
	  .run = cmd_vhdx_replay },
	{ .name = "create",
	  .summary = "create a fixed, dynamic or differencing image",
	  .help = cmd_vhdx_create_help,
	  .run = cmd_vhdx_create },
	{ .name = "read",
	  .summary = "write the virtual disk (or a range) to a file or stdout",
	  .help = cmd_vhdx_read_help,
	  .run = cmd_vhdx_read },
	{ .name = "write",
	  .summary = "write a file or stdin into the virtual disk",
	  .help = cmd_vhdx_write_help,
	  .run = cmd_vhdx_write },
	{ 0 },
};

/*
 * cmd_reg.c - `hvoffline reg`: check, recover, read and edit hive files.
 *
 * These commands work on hive files on the host (copied out of a guest,
 * with their .LOG/.LOG1/.LOG2 transaction logs beside them), through
 * registry/.  Writes are crash-safe (temporary file, flush, read back,
 * rename) and refused on a dirty hive unless --recover replays its logs
 * first.  Exit codes follow SERVICING.md: a dirty hive without usable
 * logs is refused with 4, a corrupt one is 5.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cmd_reg.h"
#include "cli/commands.h"
#include "registry/reg.h"
#include "util/fileio.h"

/* Options shared by the reg commands (each accepts the ones it uses). */
struct reg_cli {
	const char *txlog, *txlog1, *txlog2;
	bool no_txlogs;
	bool recover;  /* writers: replay the logs of a dirty hive first */
	bool in_place; /* recover */
	bool utf8;     /* export */
	const char *prefix;
	const char *output;
};

enum {
	OPT_TXLOG = 0x100,
	OPT_TXLOG1,
	OPT_TXLOG2,
	OPT_NO_TXLOGS,
	OPT_RECOVER,
	OPT_IN_PLACE,
	OPT_UTF8,
	OPT_PREFIX,
};

/* Which options a command accepts. */
#define RO_LOGS	    0x1
#define RO_RECOVER  0x2
#define RO_PREFIX   0x4
#define RO_OUTPUT   0x8
#define RO_IN_PLACE 0x10
#define RO_UTF8	    0x20

/* Parses the options; returns -1 to go on, else the exit status. */
static int parse_opts(struct cli_ctx *ctx, int argc, char **argv,
		      unsigned allowed, const char *help, struct reg_cli *o)
{
	static const struct option longopts[] = {
		{ "txlog", required_argument, NULL, OPT_TXLOG },
		{ "txlog1", required_argument, NULL, OPT_TXLOG1 },
		{ "txlog2", required_argument, NULL, OPT_TXLOG2 },
		{ "no-txlogs", no_argument, NULL, OPT_NO_TXLOGS },
		{ "recover", no_argument, NULL, OPT_RECOVER },
		{ "in-place", no_argument, NULL, OPT_IN_PLACE },
		{ "utf8", no_argument, NULL, OPT_UTF8 },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof(*o));
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "o:", longopts)) != -1) {
		unsigned need = 0;
		switch (c) {
		case OPT_TXLOG:
			o->txlog = optarg;
			need = RO_LOGS;
			break;
		case OPT_TXLOG1:
			o->txlog1 = optarg;
			need = RO_LOGS;
			break;
		case OPT_TXLOG2:
			o->txlog2 = optarg;
			need = RO_LOGS;
			break;
		case OPT_NO_TXLOGS:
			o->no_txlogs = true;
			need = RO_LOGS;
			break;
		case OPT_RECOVER:
			o->recover = true;
			need = RO_RECOVER;
			break;
		case OPT_IN_PLACE:
			o->in_place = true;
			need = RO_IN_PLACE;
			break;
		case OPT_UTF8:
			o->utf8 = true;
			need = RO_UTF8;
			break;
		case OPT_PREFIX:
			o->prefix = optarg;
			need = RO_PREFIX;
			break;
		case 'o':
			o->output = optarg;
			need = RO_OUTPUT;
			break;
		case 'h':
			fputs(help, stdout);
			return HVO_EXIT_OK;
		default:
			return HVO_EXIT_USAGE;
		}
		if (!(allowed & need))
			return cli_usage(ctx, "option '%s' does not apply here",
					 argv[optind - 1]);
	}
	return -1;
}

static enum hvo_exit fail(struct cli_ctx *ctx, const char *object,
			  struct reg_hive *h, int rc)
{
	cli_error(ctx, object, "%s",
		  h && *reg_errmsg(h) ? reg_errmsg(h) : reg_strerror(rc));
	return reg_exit_class(rc);
}

/* Says which temporary files of killed writers were removed (once). */
static void report_stale(struct cli_ctx *ctx, struct reg_hive *h)
{
	const struct reg_info *in = reg_get_info(h);
	static size_t reported;
	for (; reported < in->nstale_removed; reported++)
		cli_info(ctx,
			 "removed %s, the temporary file of a writer that "
			 "was killed",
			 in->stale_removed[reported]);
}

/* Opens @path; on failure reports it and returns the exit status. */
static enum hvo_exit open_hive(struct cli_ctx *ctx, const char *path,
			       const struct reg_cli *o, unsigned flags,
			       struct reg_hive **h_ret)
{
	struct reg_open_opts opts = {
		.flags = flags | (o->no_txlogs ? REG_OPEN_NO_LOGS : 0) |
			 (o->recover ? REG_OPEN_RECOVER : 0),
		.log = o->txlog,
		.log1 = o->txlog1,
		.log2 = o->txlog2,
	};
	int rc = reg_open(path, &opts, h_ret);
	if (rc) {
		enum hvo_exit x = fail(ctx, path, *h_ret, rc);
		if (rc == REG_ERR_DIRTY)
			cli_info(ctx, "its logs are usable: use --recover, or "
				      "'hvoffline reg recover'");
		reg_close(*h_ret);
		*h_ret = NULL;
		return x;
	}
	const struct reg_info *in = reg_get_info(*h_ret);
	report_stale(ctx, *h_ret);
	if (in->state == REG_STATE_DIRTY_NO_LOGS)
		cli_warn(ctx, path,
			 "%s; reading the primary file as it is (recent "
			 "changes may be missing)",
			 in->problem);
	else if (in->state == REG_STATE_DIRTY_RECOVERABLE)
		cli_info(ctx,
			 "%s: dirty; reading it as recovered from its "
			 "logs",
			 path);
	return HVO_EXIT_OK;
}

/* After the primary was replaced: empty logs that were replayed into it
 * (reg_logs_after_commit(), registry/reg.h). */
static enum hvo_exit settle_logs(struct cli_ctx *ctx, const char *path,
				 struct reg_hive *h)
{
	int rc;
	if (reg_logs_after_commit(h) == REG_LOGS_RESET) {
		rc = reg_reset_logs(h);
		if (rc) {
			cli_error(ctx, path,
				  "written, but its replayed logs could not be "
				  "emptied: %s",
				  reg_errmsg(h));
			return HVO_EXIT_FAILED;
		}
		cli_info(ctx, "%s: its logs were replayed into it and emptied",
			 path);
	}
	return HVO_EXIT_OK;
}

/* Commits an edited hive in place and deals with its logs. */
static enum hvo_exit write_back(struct cli_ctx *ctx, const char *path,
				struct reg_hive *h)
{
	int rc = reg_commit(h);
	report_stale(ctx, h);
	if (rc)
		return fail(ctx, path, h, rc);
	if (reg_was_compacted(h))
		cli_info(ctx,
			 "%s: rewritten compactly (a fresh layout: more than "
			 "%d%% of it was free, or it saves space)",
			 path, REG_COMPACT_FREE_PERCENT);
	return settle_logs(ctx, path, h);
}

/*
 * Ends a writing command: the edit's result @rc, then the write-back, the
 * --json report ({hive, status, key, value}) and the handle's release.
 */
static enum hvo_exit finish_edit(struct cli_ctx *ctx, const char *path,
				 struct reg_hive *h, int rc, const char *key,
				 const char *value)
{
	enum hvo_exit x =
		rc ? fail(ctx, path, h, rc) : write_back(ctx, path, h);
	if (x == HVO_EXIT_OK && ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "hive", path);
		hvo_int_json_kv_string(&w, "status", "ok");
		hvo_int_json_kv_string(&w, "key", key);
		hvo_int_json_kv_string(&w, "value", value);
		hvo_int_json_end_object(&w);
		x = cli_json_end(ctx, &w, x);
	}
	reg_close(h);
	return x;
}

/* The key path for this hive; reports a bad path. */
static char *resolve(struct cli_ctx *ctx, const char *hive, struct reg_hive *h,
		     const char *path, enum hvo_exit *rc)
{
	char *key;
	int r = reg_resolve_path(h, path, &key);
	if (r) {
		*rc = fail(ctx, hive, h, r);
		return NULL;
	}
	return key;
}

/* "@" names the default value, as in .reg files. */
static const char *value_name(const char *s)
{
	return strcmp(s, "@") == 0 ? "" : s;
}

/* ---- reg check ---- */

static enum hvo_exit cmd_reg_check(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *help = cmd_reg_check_help;
	struct reg_cli o;
	int p = parse_opts(ctx, argc, argv, RO_LOGS, help, &o);
	if (p >= 0)
		return p;
	if (argc - optind != 1)
		return cli_usage(ctx, "reg check needs one HIVE");
	const char *path = argv[optind];
	struct reg_hive *h;
	struct reg_open_opts opts = {
		.flags = o.no_txlogs ? REG_OPEN_NO_LOGS : 0,
		.log = o.txlog,
		.log1 = o.txlog1,
		.log2 = o.txlog2,
	};
	int rc = reg_open(path, &opts, &h);
	if (h == NULL)
		return fail(ctx, path, NULL, rc);
	const struct reg_info *in = reg_get_info(h);
	enum hvo_exit x = HVO_EXIT_OK;
	if (rc)
		x = reg_exit_class(rc);
	else if (in->state == REG_STATE_DIRTY_NO_LOGS)
		x = HVO_EXIT_REFUSED;
	if (x != HVO_EXIT_OK)
		cli_error(ctx, path, "%s", rc ? reg_errmsg(h) : in->problem);
	x = reg_cli_show_check(ctx, path, in, x);
	reg_close(h);
	return x;
}

/* ---- reg recover ---- */

static enum hvo_exit cmd_reg_recover(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *help = cmd_reg_recover_help;
	struct reg_cli o;
	int p = parse_opts(ctx, argc, argv, RO_LOGS | RO_OUTPUT | RO_IN_PLACE,
			   help, &o);
	if (p >= 0)
		return p;
	if (argc - optind != 1)
		return cli_usage(ctx, "reg recover needs one HIVE");
	if ((o.output != NULL) == o.in_place)
		return cli_usage(ctx, "reg recover needs -o OUT or --in-place");
	const char *path = argv[optind];
	struct reg_hive *h;
	enum hvo_exit x = open_hive(ctx, path, &o, 0, &h);
	if (x != HVO_EXIT_OK)
		return x;
	const struct reg_info *in = reg_get_info(h);
	const char *status;
	if (in->state == REG_STATE_CLEAN) {
		status = "clean";
		cli_info(ctx, "%s: clean: nothing to recover", path);
	} else {
		int rc = reg_write_recovered(h, o.in_place ? path : o.output);
		if (rc) {
			x = fail(ctx, path, h, rc);
			reg_close(h);
			return x;
		}
		status = "recovered";
		if (o.in_place)
			x = settle_logs(ctx, path, h);
	}
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "hive", path);
		hvo_int_json_kv_string(&w, "status", status);
		hvo_int_json_kv_string(
			&w, "output",
			strcmp(status, "clean") == 0
				? NULL
				: (o.in_place ? path : o.output));
		hvo_int_json_kv_uint(&w, "applied", in->recovery_applied);
		hvo_int_json_kv_uint(&w, "last_sequence",
				     in->recovery_last_seq);
		hvo_int_json_kv_uint(&w, "result_sequence", in->recovered_seq);
		hvo_int_json_kv_bool(&w, "logs_emptied",
				     reg_logs_after_commit(h) ==
					     REG_LOGS_RESET);
		hvo_int_json_end_object(&w);
		reg_close(h);
		return cli_json_end(ctx, &w, x);
	}
	if (strcmp(status, "recovered") == 0)
		printf("%s: recovered %u %s (last sequence %u) into %s\n", path,
		       in->recovery_applied,
		       in->recovery_new_format ? "log entries" : "dirty pages",
		       in->recovery_last_seq, o.in_place ? path : o.output);
	else
		printf("%s: clean: nothing to recover\n", path);
	reg_close(h);
	return x;
}

/* ---- reg get ---- */

static enum hvo_exit cmd_reg_get(struct cli_ctx *ctx, int argc, char **argv)
{
	CMD_REG_IMAGE_HOOK(ctx, "get", argc, argv);
	const char *help = cmd_reg_get_help;
	struct reg_cli o;
	int p = parse_opts(ctx, argc, argv, RO_LOGS, help, &o);
	if (p >= 0)
		return p;
	int nargs = argc - optind;
	if (nargs < 2 || nargs > 3)
		return cli_usage(ctx, "reg get needs HIVE KEY [VALUE]");
	const char *path = argv[optind];
	struct reg_hive *h;
	enum hvo_exit x = open_hive(ctx, path, &o, 0, &h);
	if (x != HVO_EXIT_OK)
		return x;
	char *key = resolve(ctx, path, h, argv[optind + 1], &x);
	if (key == NULL) {
		reg_close(h);
		return x;
	}
	struct json_writer w;
	if (nargs == 3) {
		struct reg_value *v;
		int rc =
			reg_get_value(h, key, value_name(argv[optind + 2]), &v);
		if (rc) {
			x = fail(ctx, path, h, rc);
		} else if (ctx->json) {
			cli_json_begin(ctx, &w);
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "hive", path);
			hvo_int_json_kv_string(&w, "key", key);
			hvo_int_json_key(&w, "value");
			reg_cli_json_value(&w, v);
			hvo_int_json_end_object(&w);
			x = cli_json_end(ctx, &w, HVO_EXIT_OK);
		} else {
			reg_cli_print_value(v);
		}
		reg_value_free(v);
		free(key);
		reg_close(h);
		return x;
	}
	struct reg_value *vals = NULL;
	size_t nv = 0, nk = 0;
	char **kids = NULL;
	int rc = reg_list_values(h, key, &vals, &nv);
	if (rc == 0)
		rc = reg_list_subkeys(h, key, &kids, &nk);
	if (rc) {
		x = fail(ctx, path, h, rc);
	} else if (ctx->json) {
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "hive", path);
		hvo_int_json_kv_string(&w, "key", key);
		hvo_int_json_key(&w, "values");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < nv; i++)
			reg_cli_json_value(&w, &vals[i]);
		hvo_int_json_end_array(&w);
		hvo_int_json_kv_strings(&w, "subkeys", kids, nk);
		hvo_int_json_end_object(&w);
		x = cli_json_end(ctx, &w, HVO_EXIT_OK);
	} else {
		printf("%s\n", *key ? key : "\\");
		for (size_t i = 0; i < nv; i++)
			reg_cli_print_value(&vals[i]);
		for (size_t i = 0; i < nk; i++)
			printf("%s%s%s\n", key, *key ? "\\" : "", kids[i]);
	}
	reg_values_free(vals, nv);
	reg_names_free(kids, nk);
	free(key);
	reg_close(h);
	return x;
}

/* ---- reg set ---- */

static enum hvo_exit cmd_reg_set(struct cli_ctx *ctx, int argc, char **argv)
{
	CMD_REG_IMAGE_HOOK(ctx, "set", argc, argv);
	const char *help = cmd_reg_set_help;
	struct reg_cli o;
	int p = parse_opts(ctx, argc, argv, RO_LOGS | RO_RECOVER, help, &o);
	if (p >= 0)
		return p;
	int nargs = argc - optind;
	if (nargs != 2 && nargs < 4)
		return cli_usage(ctx, "reg set needs HIVE KEY [VALUE TYPE "
				      "DATA...]");
	char **a = argv + optind;
	uint32_t type = 0;
	uint8_t *data = NULL;
	size_t len = 0;
	if (nargs >= 4) {
		if (reg_type_parse(a[3], &type) != 0)
			return cli_usage(ctx, "unknown value type '%s'", a[3]);
		const char *why;
		int r = reg_value_parse(type, (const char *const *)(a + 4),
					(size_t)(nargs - 4), &data, &len, &why);
		if (r == REG_ERR_INVALID)
			return cli_usage(ctx, "value data: %s", why);
		if (r)
			return fail(ctx, a[0], NULL, r);
	}
	struct reg_hive *h;
	enum hvo_exit x = open_hive(ctx, a[0], &o, REG_OPEN_WRITE, &h);
	if (x != HVO_EXIT_OK) {
		free(data);
		return x;
	}
	char *key = resolve(ctx, a[0], h, a[1], &x);
	if (key == NULL) {
		free(data);
		reg_close(h);
		return x;
	}
	int rc = nargs >= 4 ? reg_set_value(h, key, value_name(a[2]), type,
					    data, len)
			    : reg_create_key(h, key);
	x = finish_edit(ctx, a[0], h, rc, key, nargs >= 4 ? a[2] : NULL);
	free(key);
	free(data);
	return x;
}

/* ---- reg delete ---- */

static enum hvo_exit cmd_reg_delete(struct cli_ctx *ctx, int argc, char **argv)
{
	CMD_REG_IMAGE_HOOK(ctx, "delete", argc, argv);
	const char *help = cmd_reg_delete_help;
	struct reg_cli o;
	int p = parse_opts(ctx, argc, argv, RO_LOGS | RO_RECOVER, help, &o);
	if (p >= 0)
		return p;
	int nargs = argc - optind;
	if (nargs < 2 || nargs > 3)
		return cli_usage(ctx, "reg delete needs HIVE KEY [VALUE]");
	char **a = argv + optind;
	struct reg_hive *h;
	enum hvo_exit x = open_hive(ctx, a[0], &o, REG_OPEN_WRITE, &h);
	if (x != HVO_EXIT_OK)
		return x;
	char *key = resolve(ctx, a[0], h, a[1], &x);
	if (key == NULL) {
		reg_close(h);
		return x;
	}
	int rc = nargs == 3 ? reg_delete_value(h, key, value_name(a[2]))
			    : reg_delete_key(h, key);
	x = finish_edit(ctx, a[0], h, rc, key, nargs == 3 ? a[2] : NULL);
	free(key);
	return x;
}

/* ---- reg import ---- */

static enum hvo_exit cmd_reg_import(struct cli_ctx *ctx, int argc, char **argv)
{
	CMD_REG_IMAGE_HOOK(ctx, "import", argc, argv);
	const char *help = cmd_reg_import_help;
	struct reg_cli o;
	int p = parse_opts(ctx, argc, argv, RO_LOGS | RO_RECOVER | RO_PREFIX,
			   help, &o);
	if (p >= 0)
		return p;
	if (argc - optind != 2)
		return cli_usage(ctx, "reg import needs HIVE FILE.reg");
	char **a = argv + optind;
	struct reg_hive *h;
	enum hvo_exit x = open_hive(ctx, a[0], &o, REG_OPEN_WRITE, &h);
	if (x != HVO_EXIT_OK)
		return x;
	size_t nops = 0;
	int rc = reg_import(h, a[1], o.prefix, &nops);
	x = rc ? fail(ctx, a[0], h, rc) : write_back(ctx, a[0], h);
	if (x == HVO_EXIT_OK) {
		if (ctx->json) {
			struct json_writer w;
			cli_json_begin(ctx, &w);
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "hive", a[0]);
			hvo_int_json_kv_string(&w, "status", "ok");
			hvo_int_json_kv_string(&w, "file", a[1]);
			hvo_int_json_kv_uint(&w, "operations", nops);
			hvo_int_json_end_object(&w);
			x = cli_json_end(ctx, &w, x);
		} else {
			cli_info(ctx, "%s: %zu operations from %s applied",
				 a[0], nops, a[1]);
		}
	}
	reg_close(h);
	return x;
}

/* ---- reg export ---- */

static enum hvo_exit cmd_reg_export(struct cli_ctx *ctx, int argc, char **argv)
{
	CMD_REG_IMAGE_HOOK(ctx, "export", argc, argv);
	const char *help = cmd_reg_export_help;
	struct reg_cli o;
	int p = parse_opts(ctx, argc, argv,
			   RO_LOGS | RO_PREFIX | RO_UTF8 | RO_OUTPUT, help, &o);
	if (p >= 0)
		return p;
	int nargs = argc - optind;
	if (nargs < 1 || nargs > 2)
		return cli_usage(ctx, "reg export needs HIVE [KEY]");
	if (ctx->json && (o.output || o.utf8 || o.prefix))
		return cli_usage(ctx, "--json writes JSON to standard output: "
				      "no -o, --utf8 or --prefix");
	char **a = argv + optind;
	struct reg_hive *h;
	enum hvo_exit x = open_hive(ctx, a[0], &o, 0, &h);
	if (x != HVO_EXIT_OK)
		return x;
	char *key = nargs == 2 ? resolve(ctx, a[0], h, a[1], &x) : strdup("");
	if (key == NULL) {
		reg_close(h);
		return x == HVO_EXIT_OK ? HVO_EXIT_FAILED : x;
	}
	int rc;
	if (ctx->json) {
		char **kids;
		size_t nk;
		rc = reg_list_subkeys(h, key, &kids, &nk); /* KEY exists? */
		reg_names_free(kids, nk);
		if (rc) {
			x = fail(ctx, a[0], h, rc);
		} else {
			struct json_writer w;
			cli_json_begin(ctx, &w);
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "hive", a[0]);
			hvo_int_json_key(&w, "keys");
			hvo_int_json_begin_array(&w);
			struct json_export je = { .h = h, .w = &w };
			rc = reg_cli_json_key(&je, key, 0);
			hvo_int_json_end_array(&w);
			hvo_int_json_end_object(&w);
			if (rc)
				x = fail(ctx, a[0], h, rc);
			x = cli_json_end(ctx, &w, x);
		}
		free(key);
		reg_close(h);
		return x;
	}
	unsigned flags = o.utf8 ? REG_EXPORT_UTF8 : 0;
	if (o.output == NULL) {
		rc = reg_export(h, key, o.prefix, flags, stdout);
		if (rc)
			x = fail(ctx, a[0], h, rc);
	} else {
		rc = reg_export_file(h, key, o.prefix, flags, o.output);
		if (rc)
			x = fail(ctx, o.output, h, rc);
	}
	free(key);
	reg_close(h);
	return x;
}

/* ---- reg compact ---- */

static enum hvo_exit cmd_reg_compact(struct cli_ctx *ctx, int argc, char **argv)
{
	struct reg_cli o;
	int p = parse_opts(ctx, argc, argv, RO_LOGS | RO_RECOVER,
			   cmd_reg_compact_help, &o);
	if (p >= 0)
		return p;
	if (argc - optind != 1)
		return cli_usage(ctx, "reg compact needs one HIVE");
	const char *path = argv[optind];
	struct reg_hive *h;
	enum hvo_exit x = open_hive(ctx, path, &o, REG_OPEN_WRITE, &h);
	if (x != HVO_EXIT_OK)
		return x;
	uint64_t before = reg_get_info(h)->file_size;
	int rc = reg_compact(h);
	x = rc ? fail(ctx, path, h, rc) : settle_logs(ctx, path, h);
	if (x == HVO_EXIT_OK) {
		uint64_t after = reg_get_info(h)->hbins_size;
		struct stat st;
		if (stat(path, &st) == 0)
			after = (uint64_t)st.st_size;
		if (ctx->json) {
			struct json_writer w;
			cli_json_begin(ctx, &w);
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "hive", path);
			hvo_int_json_kv_string(&w, "status", "compacted");
			hvo_int_json_kv_uint(&w, "size_before", before);
			hvo_int_json_kv_uint(&w, "size_after", after);
			hvo_int_json_end_object(&w);
			x = cli_json_end(ctx, &w, x);
		} else {
			printf("%s: compacted: %" PRIu64 " -> %" PRIu64
			       " bytes\n",
			       path, before, after);
		}
	}
	reg_close(h);
	return x;
}

/* ---- The group ---- */

const char cmd_reg_help[] =
	"Usage: hvoffline reg COMMAND [OPTIONS] HIVE ...\n"
	"\n"
	"Check, recover, read and edit registry hive files (SYSTEM, SOFTWARE,\n"
	"...) on the host, with their .LOG/.LOG1/.LOG2 transaction logs\n"
	"beside them.\n";

const struct cli_command cmd_reg_subcommands[] = {
	{ .name = "check",
	  .summary = "check a hive and its logs (clean, dirty, corrupt)",
	  .help = cmd_reg_check_help,
	  .run = cmd_reg_check },
	{ .name = "recover",
	  .summary = "replay a dirty hive's logs into a clean hive",
	  .help = cmd_reg_recover_help,
	  .run = cmd_reg_recover },
	{ .name = "get",
	  .summary = "show a value, or a key's values and subkeys",
	  .help = cmd_reg_get_help,
	  .run = cmd_reg_get },
	{ .name = "set",
	  .summary = "set a value or create a key",
	  .help = cmd_reg_set_help,
	  .run = cmd_reg_set },
	{ .name = "delete",
	  .summary = "delete a value or a key",
	  .help = cmd_reg_delete_help,
	  .run = cmd_reg_delete },
	{ .name = "import",
	  .summary = "merge a .reg file",
	  .help = cmd_reg_import_help,
	  .run = cmd_reg_import },
	{ .name = "compact",
	  .summary = "rewrite a hive without its free space",
	  .help = cmd_reg_compact_help,
	  .run = cmd_reg_compact },
	{ .name = "export",
	  .summary = "write keys as a .reg file (or JSON)",
	  .help = cmd_reg_export_help,
	  .run = cmd_reg_export },
	{ 0 },
};

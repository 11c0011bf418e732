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

#include "cli/cli.h"
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

#define LOGS_HELP                                                          \
	"  --txlog FILE      the hive's .LOG (default: found beside it,\n" \
	"                    whatever the case of its name)\n"             \
	"  --txlog1 FILE     its .LOG1 (default: found beside it)\n"       \
	"  --txlog2 FILE     its .LOG2 (default: found beside it)\n"       \
	"  --no-txlogs       do not look for logs beside the hive\n"

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
	if (rc)
		return fail(ctx, path, h, rc);
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

/* ---- Output of values ---- */

static void hex_string(const struct reg_value *v, FILE *out, const char *sep)
{
	for (size_t i = 0; i < v->len; i++)
		fprintf(out, "%s%02x", i ? sep : "", v->data[i]);
}

static void print_value(const struct reg_value *v)
{
	const char *tn = reg_type_name(v->type);
	char tbuf[32];
	if (tn == NULL) {
		snprintf(tbuf, sizeof(tbuf), "0x%x", v->type);
		tn = tbuf;
	}
	printf("    %s    %s    ", *v->name ? v->name : "(Default)", tn);
	char *s;
	char **strs;
	size_t n;
	uint32_t dw;
	uint64_t qw;
	if (reg_value_is_exact(v) && reg_value_string(v, &s) == 0) {
		fputs(s, stdout);
		free(s);
	} else if (reg_value_is_exact(v) &&
		   reg_value_multi(v, &strs, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s%s", i ? "\\0" : "", strs[i]);
		reg_names_free(strs, n);
	} else if (reg_value_dword(v, &dw) == 0) {
		printf("0x%" PRIx32, dw);
	} else if (reg_value_qword(v, &qw) == 0) {
		printf("0x%" PRIx64, qw);
	} else {
		hex_string(v, stdout, "");
	}
	putchar('\n');
}

static void json_value(struct json_writer *w, const struct reg_value *v)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "name", v->name);
	hvo_int_json_kv_string(w, "type", reg_type_name(v->type));
	hvo_int_json_kv_uint(w, "type_number", v->type);
	hvo_int_json_kv_uint(w, "size", v->len);
	char *s;
	char **strs;
	size_t n;
	uint32_t dw;
	uint64_t qw;
	bool exact = reg_value_is_exact(v);
	if (exact && reg_value_string(v, &s) == 0) {
		hvo_int_json_kv_string(w, "data", s);
		free(s);
	} else if (exact && reg_value_multi(v, &strs, &n) == 0) {
		hvo_int_json_key(w, "data");
		hvo_int_json_begin_array(w);
		for (size_t i = 0; i < n; i++)
			hvo_int_json_string(w, strs[i]);
		hvo_int_json_end_array(w);
		reg_names_free(strs, n);
	} else if (exact && reg_value_dword(v, &dw) == 0) {
		hvo_int_json_kv_uint(w, "data", dw);
	} else if (exact && reg_value_qword(v, &qw) == 0) {
		hvo_int_json_kv_uint(w, "data", qw);
	} else {
		/* Not representable exactly as text or a number: the bytes. */
		char *hex = malloc(v->len * 2 + 1);
		if (hex != NULL) {
			for (size_t i = 0; i < v->len; i++)
				snprintf(hex + 2 * i, 3, "%02x", v->data[i]);
			hex[2 * v->len] = '\0';
		}
		hvo_int_json_kv_string(w, "hex", hex ? hex : "");
		free(hex);
	}
	hvo_int_json_end_object(w);
}

/* ---- reg check ---- */

const char cmd_reg_check_help[] =
	"Usage: hvoffline reg check [OPTIONS] HIVE\n"
	"\n"
	"Check a hive file and its transaction logs: the base block, every\n"
	"key and value reachable from the root, whether the hive is clean or\n"
	"dirty, and whether its logs recover it.\n"
	"\n"
	"Exit status: 0 clean or recoverable from its logs, 4 dirty without\n"
	"usable logs, 5 corrupt.\n"
	"\n"
	"Options:\n" LOGS_HELP;

static enum hvo_exit reg_check(struct cli_ctx *ctx, int argc, char **argv)
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
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "hive", path);
		hvo_int_json_kv_string(&w, "state", reg_state_name(in->state));
		hvo_int_json_kv_bool(&w, "writable",
				     in->state == REG_STATE_CLEAN);
		hvo_int_json_kv_string(&w, "problem", in->problem);
		hvo_int_json_kv_uint(&w, "file_size", in->file_size);
		char ver[32];
		snprintf(ver, sizeof(ver), "%u.%u", in->major, in->minor);
		hvo_int_json_kv_string(&w, "version", ver);
		hvo_int_json_kv_uint(&w, "sequence1", in->seq1);
		hvo_int_json_kv_uint(&w, "sequence2", in->seq2);
		hvo_int_json_kv_bool(&w, "checksum_ok", in->checksum_ok);
		hvo_int_json_kv_uint(&w, "hbins_size", in->hbins_size);
		hvo_int_json_kv_string(&w, "root", in->root_name);
		hvo_int_json_kv_uint(&w, "keys", in->nkeys);
		hvo_int_json_kv_uint(&w, "values", in->nvalues);
		hvo_int_json_key(&w, "logs");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < in->nlogs; i++) {
			const struct reg_log_info *l = &in->logs[i];
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "path", l->path);
			hvo_int_json_kv_string(&w, "format",
					       reg_log_kind_name(l->kind));
			hvo_int_json_kv_uint(&w, "sequence", l->seq);
			hvo_int_json_kv_uint(&w, "entries", l->entries);
			hvo_int_json_kv_uint(&w, "first_sequence",
					     l->first_seq);
			hvo_int_json_kv_uint(&w, "last_sequence", l->last_seq);
			hvo_int_json_kv_uint(&w, "applied", l->applied);
			hvo_int_json_kv_string(&w, "problem", l->problem);
			hvo_int_json_end_object(&w);
		}
		hvo_int_json_end_array(&w);
		hvo_int_json_key(&w, "recovery");
		if (in->state == REG_STATE_DIRTY_RECOVERABLE) {
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "format",
					       in->recovery_new_format ? "new"
								       : "old");
			hvo_int_json_kv_uint(&w, "applied",
					     in->recovery_applied);
			hvo_int_json_kv_uint(&w, "last_sequence",
					     in->recovery_last_seq);
			hvo_int_json_kv_uint(&w, "result_sequence",
					     in->recovered_seq);
			hvo_int_json_end_object(&w);
		} else {
			hvo_int_json_null(&w);
		}
		hvo_int_json_end_object(&w);
		reg_close(h);
		return cli_json_end(ctx, &w, x);
	}
	printf("hive:      %s\n", path);
	printf("state:     %s%s%s%s\n", reg_state_name(in->state),
	       in->problem ? " (" : "", in->problem ? in->problem : "",
	       in->problem ? ")" : "");
	printf("version:   %u.%u\n", in->major, in->minor);
	printf("sequence:  %u/%u\n", in->seq1, in->seq2);
	printf("checksum:  %s\n", in->checksum_ok ? "ok" : "wrong");
	if (in->root_name)
		printf("root:      %s\n", in->root_name);
	printf("keys:      %" PRIu64 "\nvalues:    %" PRIu64 "\n", in->nkeys,
	       in->nvalues);
	for (size_t i = 0; i < in->nlogs; i++) {
		const struct reg_log_info *l = &in->logs[i];
		printf("log:       %s: %s", l->path,
		       reg_log_kind_name(l->kind));
		if (l->kind == REG_LOG_NEW)
			printf(", sequence %u, %u entries (%u..%u), %u applied",
			       l->seq, l->entries, l->first_seq, l->last_seq,
			       l->applied);
		else if (l->kind == REG_LOG_OLD)
			printf(", sequence %u, %u dirty pages, %u applied",
			       l->seq, l->entries, l->applied);
		if (l->problem)
			printf(" (%s)", l->problem);
		putchar('\n');
	}
	if (in->state == REG_STATE_DIRTY_RECOVERABLE)
		printf("recovery:  %u %s up to sequence %u; the result has "
		       "sequence %u\n",
		       in->recovery_applied,
		       in->recovery_new_format ? "log entries" : "dirty pages",
		       in->recovery_last_seq, in->recovered_seq);
	reg_close(h);
	return x;
}

/* ---- reg recover ---- */

const char cmd_reg_recover_help[] =
	"Usage: hvoffline reg recover [OPTIONS] HIVE (-o OUT | --in-place)\n"
	"\n"
	"Replay a dirty hive's transaction logs, as Windows does at boot, and\n"
	"write the result as a new clean hive: to OUT, or over HIVE with\n"
	"--in-place (which then empties the logs it replayed, so that Windows\n"
	"never replays stale data).  A clean hive is left alone (exit 0).\n"
	"Missing or corrupt logs are refused (exit 4).\n"
	"\n"
	"Options:\n"
	"  -o, --output OUT  write the recovered hive to OUT\n"
	"  --in-place        replace HIVE itself\n" LOGS_HELP;

static enum hvo_exit reg_recover(struct cli_ctx *ctx, int argc, char **argv)
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

const char cmd_reg_get_help[] =
	"Usage: hvoffline reg get [OPTIONS] HIVE KEY [VALUE]\n"
	"\n"
	"Show value VALUE of KEY ('@' is the default value), or all values "
	"and\n"
	"subkeys of KEY.  KEY is a path inside the hive ('Microsoft\\Windows\n"
	"NT\\CurrentVersion'), or a machine path (HKLM\\SOFTWARE\\..., or\n"
	"HKLM\\SYSTEM\\CurrentControlSet\\..., which maps to the current "
	"control\n"
	"set).  Names match case-insensitively, as in Windows.  A dirty hive\n"
	"is read as recovered from its logs, or as it is when it has none.\n"
	"\n"
	"Options:\n" LOGS_HELP;

static enum hvo_exit reg_get(struct cli_ctx *ctx, int argc, char **argv)
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
			json_value(&w, v);
			hvo_int_json_end_object(&w);
			x = cli_json_end(ctx, &w, HVO_EXIT_OK);
		} else {
			print_value(v);
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
			json_value(&w, &vals[i]);
		hvo_int_json_end_array(&w);
		hvo_int_json_key(&w, "subkeys");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < nk; i++)
			hvo_int_json_string(&w, kids[i]);
		hvo_int_json_end_array(&w);
		hvo_int_json_end_object(&w);
		x = cli_json_end(ctx, &w, HVO_EXIT_OK);
	} else {
		printf("%s\n", *key ? key : "\\");
		for (size_t i = 0; i < nv; i++)
			print_value(&vals[i]);
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

const char cmd_reg_set_help[] =
	"Usage: hvoffline reg set [OPTIONS] HIVE KEY [VALUE TYPE DATA...]\n"
	"\n"
	"Set value VALUE of KEY ('@' is the default value), creating KEY and\n"
	"its missing parents; with KEY alone, just create the key.  TYPE and\n"
	"DATA:\n"
	"  sz TEXT, expand_sz TEXT, link TEXT   a string (UTF-8 in, UTF-16 "
	"stored)\n"
	"  multi_sz TEXT...                     a list of strings\n"
	"  dword N, dword_be N, qword N         numbers (decimal or 0x...)\n"
	"  binary HEX, none [HEX], N HEX        bytes: '01,02,ff' or '0102ff'\n"
	"The hive is written back crash-safely and read back before it\n"
	"replaces the original.  A dirty hive is refused (exit 4) unless\n"
	"--recover replays its logs first.\n"
	"\n"
	"Options:\n"
	"  --recover         recover a dirty hive from its logs "
	"first\n" LOGS_HELP;

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (*s == '\0' || *s == '-' || *s == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end != '\0' || errno || v > max)
		return -1;
	*out = v;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses the DATA arguments for @type into new bytes. */
static int parse_data(struct cli_ctx *ctx, uint32_t type, int n, char **args,
		      uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	uint64_t v;
	switch (type) {
	case REG_TYPE_SZ:
	case REG_TYPE_EXPAND_SZ:
	case REG_TYPE_LINK:
		if (n != 1)
			return cli_usage(ctx, "a string value takes one TEXT");
		if (reg_encode_string(args[0], data, len))
			return cli_usage(ctx, "TEXT is not valid UTF-8");
		return 0;
	case REG_TYPE_MULTI_SZ:
		if (reg_encode_multi((const char *const *)args, (size_t)n, data,
				     len))
			return cli_usage(ctx, "multi_sz strings must be valid "
					      "UTF-8 and not empty");
		return 0;
	case REG_TYPE_DWORD:
	case REG_TYPE_DWORD_BE:
	case REG_TYPE_QWORD: {
		bool q = type == REG_TYPE_QWORD;
		if (n != 1 ||
		    parse_u64(args[0], q ? UINT64_MAX : UINT32_MAX, &v) != 0)
			return cli_usage(ctx, "%s takes one number%s",
					 reg_type_name(type),
					 q ? "" : " below 2^32");
		*len = q ? 8 : 4;
		*data = malloc(*len);
		if (*data == NULL)
			return HVO_EXIT_FAILED;
		for (size_t i = 0; i < *len; i++)
			(*data)[type == REG_TYPE_DWORD_BE ? 3 - i : i] =
				(uint8_t)(v >> (8 * i));
		return 0;
	}
	default:
		break;
	}
	/* Bytes, in any number of arguments. */
	size_t cap = 1;
	for (int i = 0; i < n; i++)
		cap += strlen(args[i]) / 2;
	uint8_t *b = malloc(cap);
	if (b == NULL)
		return HVO_EXIT_FAILED;
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		const char *s = args[i];
		while (*s) {
			if (*s == ',' || *s == ' ' || *s == ':') {
				s++;
				continue;
			}
			int hi = hexval((unsigned char)s[0]);
			int lo = hi >= 0 ? hexval((unsigned char)s[1]) : -1;
			if (lo < 0) {
				free(b);
				return cli_usage(ctx,
						 "bad hex bytes '%s' (want "
						 "'01,02,ff' or '0102ff')",
						 args[i]);
			}
			b[k++] = (uint8_t)(hi << 4 | lo);
			s += 2;
		}
	}
	*data = b;
	*len = k;
	return 0;
}

static enum hvo_exit reg_set(struct cli_ctx *ctx, int argc, char **argv)
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
		int r = parse_data(ctx, type, nargs - 4, a + 4, &data, &len);
		if (r)
			return r;
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

const char cmd_reg_delete_help[] =
	"Usage: hvoffline reg delete [OPTIONS] HIVE KEY [VALUE]\n"
	"\n"
	"Delete value VALUE of KEY ('@' is the default value), or KEY with\n"
	"all its subkeys and values.  Deleting what does not exist is an "
	"error\n"
	"(exit 1).  Written back crash-safely; a dirty hive is refused unless\n"
	"--recover.\n"
	"\n"
	"Options:\n"
	"  --recover         recover a dirty hive from its logs "
	"first\n" LOGS_HELP;

static enum hvo_exit reg_delete(struct cli_ctx *ctx, int argc, char **argv)
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

const char cmd_reg_import_help[] =
	"Usage: hvoffline reg import [OPTIONS] HIVE FILE.reg\n"
	"\n"
	"Merge a .reg file into the hive in one batch and one write, as\n"
	"'virt-win-reg --merge' or 'regedit /s' would: REGEDIT4 or version\n"
	"5.00, UTF-16LE with BOM or UTF-8; [key], [-key], \"name\"=..., "
	"@=...,\n"
	"dword:, hex:, hex(N):, \"name\"=-.  Keys must lie under PREFIX, the "
	"key\n"
	"the hive stands for (default HKEY_LOCAL_MACHINE\\<HIVE's file "
	"name>);\n"
	"CurrentControlSet maps to the current control set.  A syntax error\n"
	"changes nothing (exit 5).\n"
	"\n"
	"Options:\n"
	"  --prefix PREFIX   e.g. 'HKEY_LOCAL_MACHINE\\SOFTWARE'\n"
	"  --recover         recover a dirty hive from its logs "
	"first\n" LOGS_HELP;

static enum hvo_exit reg_import_cmd(struct cli_ctx *ctx, int argc, char **argv)
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

const char cmd_reg_export_help[] =
	"Usage: hvoffline reg export [OPTIONS] HIVE [KEY]\n"
	"\n"
	"Write KEY (default: the whole hive) and everything below it as a\n"
	"'Windows Registry Editor Version 5.00' file, UTF-16LE with BOM as\n"
	"regedit writes it (--utf8: UTF-8, which hivexregedit --merge reads),\n"
	"to standard output or -o FILE.  It imports back unchanged.  With\n"
	"--json: the keys and their decoded values as JSON.\n"
	"\n"
	"Options:\n"
	"  --prefix PREFIX   key names start with PREFIX (default\n"
	"                    HKEY_LOCAL_MACHINE\\<HIVE's file name>)\n"
	"  --utf8            UTF-8 with LF line ends\n"
	"  -o, --output FILE write to FILE (replaced atomically)\n" LOGS_HELP;

struct json_export {
	struct reg_hive *h;
	struct json_writer *w;
};

static int json_export_key(struct json_export *je, const char *key,
			   unsigned depth)
{
	if (depth > 512)
		return REG_ERR_CORRUPT;
	struct reg_value *vals;
	size_t nv;
	int rc = reg_list_values(je->h, key, &vals, &nv);
	if (rc)
		return rc;
	hvo_int_json_begin_object(je->w);
	hvo_int_json_kv_string(je->w, "key", key);
	hvo_int_json_key(je->w, "values");
	hvo_int_json_begin_array(je->w);
	for (size_t i = 0; i < nv; i++)
		json_value(je->w, &vals[i]);
	hvo_int_json_end_array(je->w);
	hvo_int_json_end_object(je->w);
	reg_values_free(vals, nv);
	char **kids;
	size_t nk;
	rc = reg_list_subkeys(je->h, key, &kids, &nk);
	for (size_t i = 0; i < nk && rc == 0; i++) {
		char *ck;
		if (asprintf(&ck, "%s%s%s", key, *key ? "\\" : "", kids[i]) < 0)
			rc = REG_ERR_NOMEM;
		else
			rc = json_export_key(je, ck, depth + 1);
		free(ck);
	}
	reg_names_free(kids, nk);
	return rc;
}

static enum hvo_exit reg_export_cmd(struct cli_ctx *ctx, int argc, char **argv)
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
			rc = json_export_key(&je, key, 0);
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
		char *text = NULL;
		size_t tlen = 0;
		FILE *mem = open_memstream(&text, &tlen);
		rc = mem ? reg_export(h, key, o.prefix, flags, mem)
			 : REG_ERR_NOMEM;
		if (mem != NULL && fclose(mem) != 0 && rc == 0)
			rc = REG_ERR_NOMEM;
		if (rc) {
			x = fail(ctx, a[0], h, rc);
		} else {
			struct hvo_atomic_file af;
			int e = hvo_int_atomic_open(o.output, 0644, &af);
			if (e == 0) {
				e = hvo_int_write_all(af.fd, text, tlen);
				if (e)
					hvo_int_atomic_abort(&af);
				else
					e = hvo_int_atomic_commit(&af);
			}
			if (e) {
				cli_error(ctx, o.output, "cannot write: %s",
					  strerror(e));
				x = HVO_EXIT_FAILED;
			}
		}
		free(text);
	}
	free(key);
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
	  .run = reg_check },
	{ .name = "recover",
	  .summary = "replay a dirty hive's logs into a clean hive",
	  .help = cmd_reg_recover_help,
	  .run = reg_recover },
	{ .name = "get",
	  .summary = "show a value, or a key's values and subkeys",
	  .help = cmd_reg_get_help,
	  .run = reg_get },
	{ .name = "set",
	  .summary = "set a value or create a key",
	  .help = cmd_reg_set_help,
	  .run = reg_set },
	{ .name = "delete",
	  .summary = "delete a value or a key",
	  .help = cmd_reg_delete_help,
	  .run = reg_delete },
	{ .name = "import",
	  .summary = "merge a .reg file",
	  .help = cmd_reg_import_help,
	  .run = reg_import_cmd },
	{ .name = "export",
	  .summary = "write keys as a .reg file (or JSON)",
	  .help = cmd_reg_export_help,
	  .run = reg_export_cmd },
	{ 0 },
};

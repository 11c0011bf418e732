/*
 * cmd_cab.c - `hvoffline cab list|test|extract|create`.
 *
 * A front end to cab/: list a cabinet (or a whole set, from any part),
 * verify every member, extract safely with caps, and make cabinets
 * (stored or MSZIP).  Corrupt input exits 5, refusals (unsafe names, caps,
 * existing files, no space) exit 4.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cab/cab.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "trust/report.h"
#include "util/fileio.h"
#include "util/sha256.h"

#define CAB_COMMON_OPTIONS                                                     \
	"  --ignore-checksums  decode blocks whose CFDATA checksum is wrong\n" \
	"  --no-set            do not follow the previous/next cabinets of a " \
	"set\n"                                                                \
	"  --search            find a cabinet inside another file (e.g. an "   \
	"SFX .exe)\n"

const char cmd_cab_help[] =
	"Usage: hvoffline cab list|test|extract|create [options] ...\n"
	"\n"
	"Read, verify, extract and make Microsoft cabinet files (stored, "
	"MSZIP,\n"
	"LZX, Quantum; cabinet sets).  See `hvoffline cab COMMAND --help`.\n";

const char cmd_cab_list_help[] =
	"Usage: hvoffline cab list [--json] [options] CABINET\n"
	"\n"
	"List the members of a cabinet.  When the cabinet is part of a set, "
	"the\n"
	"previous and next cabinets named in its header are opened from the "
	"same\n"
	"directory and the whole set is listed.  Names are shown as stored, "
	"with\n"
	"'\\' separators; names without the UTF-8 flag are shown as "
	"ISO-8859-1.\n"
	"\n"
	"Options:\n" CAB_COMMON_OPTIONS;

const char cmd_cab_test_help[] =
	"Usage: hvoffline cab test [--json] [options] CABINET\n"
	"\n"
	"Verify the cabinet's Authenticode signature (digest, signature,\n"
	"timestamp, chain to a trusted root), then decode every member and\n"
	"verify the CFDATA checksums, printing the SHA-256 of each member.\n"
	"Exits 5 if any member is corrupt, or the cabinet is tampered,\n"
	"unsigned or untrusted.\n"
	"\n"
	"Options:\n" CAB_COMMON_OPTIONS TRUST_OPTIONS_HELP;

const char cmd_cab_extract_help[] =
	"Usage: hvoffline cab extract [options] CABINET [MEMBER...]\n"
	"\n"
	"Extract members (all, or those named; '\\' and '/' are the same and "
	"case\n"
	"is ignored) under a directory.  Unsafe names (absolute paths, '..', "
	"drive\n"
	"letters, device names, control characters) are refused, never "
	"rewritten;\n"
	"symlinks are never followed or created; each file is written under "
	"a\n"
	"temporary name and renamed when complete.  The caps and the free "
	"space\n"
	"are checked against the listed sizes before anything is written.\n"
	"\n"
	"Options:\n"
	"  -d, --directory DIR  extract under DIR (default: .)\n"
	"  --max-size BYTES     refuse more than BYTES of output in total\n"
	"                       (default 4294967296 = 4 GiB)\n"
	"  --max-files N        refuse more than N files (default 100000)\n"
	"  --overwrite          replace existing regular files\n"
	"  --no-space-check     skip the free-space check\n" CAB_COMMON_OPTIONS;

const char cmd_cab_create_help[] =
	"Usage: hvoffline cab create [options] OUTPUT.cab PATH...\n"
	"\n"
	"Make a cabinet from files (directories are added recursively).  "
	"Member\n"
	"names are the paths as given (relative to -C DIR if given), with "
	"'\\'\n"
	"separators.  The cabinet is written under a temporary name and "
	"renamed\n"
	"when complete.\n"
	"\n"
	"Options:\n"
	"  -m, --method none|mszip  compression (default: mszip)\n"
	"  -C DIR                   take PATHs relative to DIR\n";

static unsigned parse_common(int c, unsigned *flags)
{
	switch (c) {
	case 0x200:
		*flags |= CAB_OPEN_IGNORE_CHECKSUMS;
		return 1;
	case 0x201:
		*flags |= CAB_OPEN_NO_SET;
		return 1;
	case 0x202:
		*flags |= CAB_OPEN_SEARCH;
		return 1;
	default:
		return 0;
	}
}

#define COMMON_LONGOPTS                                   \
	{ "ignore-checksums", no_argument, NULL, 0x200 }, \
		{ "no-set", no_argument, NULL, 0x201 },   \
	{                                                 \
		"search", no_argument, NULL, 0x202        \
	}

/* Reports a library error as "hvoffline: <file>: <message>" (the
 * library's message may start with the file name already). */
static enum hvo_exit report(struct cli_ctx *ctx, const char *path,
			    const struct cab *cab, int err)
{
	const char *msg = cab ? cab_errmsg(cab) : cab_strerror(err);
	size_t pl = strlen(path);
	if (strncmp(msg, path, pl) == 0 && msg[pl] == ':' && msg[pl + 1] == ' ')
		msg += pl + 2;
	cli_error(ctx, path, "%s", msg[0] ? msg : cab_strerror(err));
	return cab_exit_class(err);
}

static enum hvo_exit open_cab(struct cli_ctx *ctx, const char *path,
			      unsigned flags, struct cab **cab_ret)
{
	int err = cab_open(path, flags, cab_ret);
	if (err) {
		enum hvo_exit rc = report(ctx, path, *cab_ret, err);
		cab_close(*cab_ret);
		*cab_ret = NULL;
		return rc;
	}
	return HVO_EXIT_OK;
}

static void format_date(const struct cab_entry *e, char *buf, size_t size)
{
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", e->year, e->month,
		 e->day, e->hour, e->minute, e->second);
}

static void json_cabinets(struct json_writer *w, const struct cab *cab)
{
	hvo_int_json_key(w, "cabinets");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < cab_cabinet_count(cab); i++) {
		const struct cab_cabinet_info *c = cab_cabinet_get(cab, i);
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "path", c->path);
		hvo_int_json_kv_uint(w, "size", c->size);
		hvo_int_json_kv_uint(w, "file_size", c->file_size);
		hvo_int_json_kv_uint(w, "set_id", c->set_id);
		hvo_int_json_kv_uint(w, "index", c->index);
		hvo_int_json_kv_uint(w, "flags", c->flags);
		hvo_int_json_kv_string(w, "previous", c->prev_name);
		hvo_int_json_kv_string(w, "next", c->next_name);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "folders");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < cab_folder_count(cab); i++) {
		const struct cab_folder_info *f = cab_folder_get(cab, i);
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "method",
				       cab_folder_method_name(cab, i));
		hvo_int_json_kv_uint(w, "blocks", f->blocks);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

static void json_entry(struct json_writer *w, const struct cab_entry *e)
{
	char date[32];
	format_date(e, date, sizeof(date));
	hvo_int_json_kv_string(w, "name", e->name);
	hvo_int_json_kv_uint(w, "size", e->size);
	hvo_int_json_kv_string(w, "date", date);
	hvo_int_json_kv_uint(w, "attributes", e->attribs);
	hvo_int_json_kv_bool(w, "utf8_name",
			     (e->attribs & CAB_ATTR_UTF_NAME) != 0);
	hvo_int_json_kv_uint(w, "folder", e->folder);
	hvo_int_json_kv_uint(w, "offset", e->offset);
}

/* Parses the common options (and, with @to, --trust and --allow-unsigned);
 * returns -1 to go on, or an exit code. */
static int common_args(struct cli_ctx *ctx, int argc, char **argv,
		       const char *help, unsigned *flags, struct trust_opts *to)
{
	static const struct option longopts[] = { COMMON_LONGOPTS,
						  TRUST_LONGOPTS,
						  { NULL, 0, NULL, 0 } };
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longopts)) != -1) {
		if (parse_common(c, flags))
			continue;
		if (to && trust_opts_parse(to, c, optarg))
			continue;
		if (c == 'h') {
			fputs(help, stdout);
			return HVO_EXIT_OK;
		}
		return HVO_EXIT_USAGE;
	}
	if (optind + 1 != argc)
		return cli_usage(ctx, "expected one CABINET argument");
	return -1;
}

enum hvo_exit cmd_cab_list(struct cli_ctx *ctx, int argc, char **argv)
{
	unsigned flags = 0;
	int r = common_args(ctx, argc, argv, cmd_cab_list_help, &flags, NULL);
	if (r >= 0)
		return (enum hvo_exit)r;
	const char *path = argv[optind];
	struct cab *cab;
	enum hvo_exit rc = open_cab(ctx, path, flags, &cab);
	if (rc)
		return rc;
	size_t n = cab_entry_count(cab);
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "cabinet", path);
		json_cabinets(&w, cab);
		hvo_int_json_key(&w, "files");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < n; i++) {
			hvo_int_json_begin_object(&w);
			json_entry(&w, cab_entry_get(cab, i));
			hvo_int_json_end_object(&w);
		}
		hvo_int_json_end_array(&w);
		hvo_int_json_end_object(&w);
		cab_close(cab);
		return cli_json_end(ctx, &w, HVO_EXIT_OK);
	}
	printf(" File size | Date       Time     | Name\n");
	printf("-----------+---------------------+-------------\n");
	for (size_t i = 0; i < n; i++) {
		const struct cab_entry *e = cab_entry_get(cab, i);
		printf("%10u | %04d-%02d-%02d %02d:%02d:%02d | %s\n", e->size,
		       e->year, e->month, e->day, e->hour, e->minute, e->second,
		       e->name);
	}
	cab_close(cab);
	return HVO_EXIT_OK;
}

/* One member's outcome, kept so that results print in listing order
 * while the members are decoded in folder order. */
struct test_result {
	int err;
	char *msg;
	char hex[HVO_SHA256_HEX_LEN + 1];
};

struct test_ctx {
	struct cab *cab;
	struct hvo_sha256 sha;
	struct test_result *res;
};

static int test_begin(void *c, size_t i, const struct cab_entry *e)
{
	(void)i;
	(void)e;
	hvo_int_sha256_init(&((struct test_ctx *)c)->sha);
	return 0;
}

static int test_write(void *c, const void *buf, size_t len)
{
	hvo_int_sha256_update(&((struct test_ctx *)c)->sha, buf, len);
	return 0;
}

static int test_end(void *c, size_t i, int err)
{
	struct test_ctx *t = c;
	uint8_t d[HVO_SHA256_LEN];
	hvo_int_sha256_final(&t->sha, d);
	hvo_int_sha256_hex(d, t->res[i].hex);
	t->res[i].err = err;
	if (err)
		t->res[i].msg = strdup(cab_errmsg(t->cab));
	return 0; /* go on: every member is reported */
}

enum hvo_exit cmd_cab_test(struct cli_ctx *ctx, int argc, char **argv)
{
	unsigned flags = 0;
	struct trust_opts to = { 0 };
	int r = common_args(ctx, argc, argv, cmd_cab_test_help, &flags, &to);
	if (r >= 0)
		return (enum hvo_exit)r;
	const char *path = argv[optind];
	struct cab *cab;
	enum hvo_exit rc = open_cab(ctx, path, flags, &cab);
	if (rc)
		return rc;
	struct trust_verdict *sig = NULL;
	rc = cli_trust_check(ctx, &to, path, path, true, &sig);
	size_t n = cab_entry_count(cab);
	struct json_writer w;
	if (ctx->json) {
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "cabinet", path);
		json_cabinets(&w, cab);
		trust_render_json(&w, sig, &to);
		hvo_int_json_key(&w, "files");
		hvo_int_json_begin_array(&w);
	} else {
		trust_render_text(stdout, "", sig, &to);
	}
	trust_verdict_free(sig);
	size_t ok = 0, bad = 0;
	/* Every member in one pass in folder order: each folder is decoded
	 * once. */
	struct test_ctx tc = { .cab = cab,
			       .res = calloc(n ? n : 1, sizeof(*tc.res)) };
	if (tc.res == NULL) {
		cab_close(cab);
		cli_error(ctx, path, "out of memory");
		return HVO_EXIT_FAILED;
	}
	struct cab_visitor v = { test_begin, test_write, test_end };
	cab_read_entries(cab, NULL, 0, &v, &tc);
	for (size_t i = 0; i < n; i++) {
		const struct cab_entry *e = cab_entry_get(cab, i);
		struct test_result *t = &tc.res[i];
		const char *msg = t->msg ? t->msg : cab_strerror(t->err);
		if (t->err) {
			bad++;
			rc = hvo_exit_max(rc, cab_exit_class(t->err));
			if (!ctx->json)
				cli_error(ctx, path, "%s", msg);
		} else {
			ok++;
		}
		if (ctx->json) {
			hvo_int_json_begin_object(&w);
			json_entry(&w, e);
			hvo_int_json_kv_string(&w, "status",
					       t->err ? "error" : "ok");
			hvo_int_json_kv_string(&w, "sha256",
					       t->err ? NULL : t->hex);
			hvo_int_json_kv_string(&w, "error",
					       t->err ? msg : NULL);
			hvo_int_json_end_object(&w);
		} else if (!t->err) {
			printf("OK  %s  %s\n", t->hex, e->name);
		} else {
			printf("BAD %-64s  %s\n", "", e->name);
		}
		free(t->msg);
	}
	free(tc.res);
	if (ctx->json) {
		hvo_int_json_end_array(&w);
		hvo_int_json_kv_uint(&w, "ok", ok);
		hvo_int_json_kv_uint(&w, "failed", bad);
		hvo_int_json_kv_string(&w, "status", rc ? "error" : "ok");
		hvo_int_json_end_object(&w);
		cab_close(cab);
		return cli_json_end(ctx, &w, rc);
	}
	printf("%zu ok, %zu failed\n", ok, bad);
	cab_close(cab);
	return rc;
}

static int x_progress(void *c, size_t i, const char *p, uint64_t done,
		      uint64_t total)
{
	(void)i;
	(void)done;
	(void)total;
	cli_debug(c, 1, "extracted %s", p);
	return 0;
}

enum hvo_exit cmd_cab_extract(struct cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_MAX_SIZE = 0x100, OPT_MAX_FILES, OPT_OVERWRITE, OPT_NOSPC };
	static const struct option longopts[] = {
		{ "directory", required_argument, NULL, 'd' },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "max-files", required_argument, NULL, OPT_MAX_FILES },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "no-space-check", no_argument, NULL, OPT_NOSPC },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	unsigned flags = 0;
	const char *dir = ".";
	struct cab_extract_opts opts = { .progress = x_progress,
					 .progress_ctx = ctx };
	unsigned long long v;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "d:", longopts)) != -1) {
		if (parse_common(c, &flags))
			continue;
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case OPT_MAX_SIZE:
			if (!cli_parse_uint(ctx, "--max-size", optarg, 1,
					    UINT64_MAX, &v))
				return HVO_EXIT_USAGE;
			opts.max_total = v;
			break;
		case OPT_MAX_FILES:
			if (!cli_parse_uint(ctx, "--max-files", optarg, 1,
					    UINT64_MAX, &v))
				return HVO_EXIT_USAGE;
			opts.max_files = v;
			break;
		case OPT_OVERWRITE:
			opts.overwrite = true;
			break;
		case OPT_NOSPC:
			opts.no_space_check = true;
			break;
		case 'h':
			fputs(cmd_cab_extract_help, stdout);
			return HVO_EXIT_OK;
		default:
			return HVO_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "expected a CABINET argument");
	const char *path = argv[optind++];
	struct cab *cab;
	enum hvo_exit rc = open_cab(ctx, path, flags, &cab);
	if (rc)
		return rc;
	size_t *sel = NULL;
	if (optind < argc) {
		size_t k = (size_t)(argc - optind);
		sel = calloc(k, sizeof(*sel));
		if (sel == NULL) {
			cab_close(cab);
			cli_error(ctx, path, "out of memory");
			return HVO_EXIT_FAILED;
		}
		for (size_t i = 0; i < k; i++) {
			if (cab_find(cab, argv[optind + (int)i], &sel[i]) !=
			    0) {
				cli_error(ctx, path, "%s: no such member",
					  argv[optind + (int)i]);
				free(sel);
				cab_close(cab);
				return HVO_EXIT_FAILED;
			}
		}
		opts.indices = sel;
		opts.nindices = k;
	}
	/* Like cabextract, -d DIR is made when missing (with its parents). */
	if (strcmp(dir, ".") != 0 && hvo_int_mkdir_p(dir, 0755) != 0) {
		cli_error(ctx, dir, "cannot create the directory: %s",
			  strerror(errno));
		free(sel);
		cab_close(cab);
		return HVO_EXIT_FAILED;
	}
	struct cab_extract_stats st;
	int err = cab_extract(cab, dir, &opts, &st);
	if (err)
		rc = report(ctx, path, cab, err);
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "cabinet", path);
		hvo_int_json_kv_string(&w, "directory", dir);
		hvo_int_json_kv_uint(&w, "files", st.files);
		hvo_int_json_kv_uint(&w, "bytes", st.bytes);
		hvo_int_json_kv_string(&w, "status", err ? "error" : "ok");
		hvo_int_json_kv_string(&w, "error",
				       err ? cab_errmsg(cab) : NULL);
		hvo_int_json_end_object(&w);
		rc = cli_json_end(ctx, &w, rc);
	} else if (!err) {
		cli_info(ctx, "%s: extracted %llu files, %llu bytes", path,
			 (unsigned long long)st.files,
			 (unsigned long long)st.bytes);
	}
	free(sel);
	cab_close(cab);
	return rc;
}

struct create_ctx {
	struct cli_ctx *ctx;
	struct cab_writer *w;
	const char *out;
	int err;
};

/* Adds @rel (relative to @base, or as given) and, for a directory, what
 * it holds (sorted, so cabinets are reproducible).  Symlinks and special
 * files are refused: a cabinet holds regular files. */
static int add_path(struct create_ctx *c, const char *base, const char *rel)
{
	char *full = NULL;
	if (base ? asprintf(&full, "%s/%s", base, rel) < 0
		 : (full = strdup(rel)) == NULL)
		return -1;
	struct stat st;
	int rc = 0;
	if (lstat(full, &st) != 0) {
		cli_error(c->ctx, full, "%s", strerror(errno));
		rc = -1;
	} else if (S_ISDIR(st.st_mode)) {
		struct dirent **names;
		int n = scandir(full, &names, NULL, alphasort);
		if (n < 0) {
			cli_error(c->ctx, full, "%s", strerror(errno));
			rc = -1;
		}
		for (int i = 0; i < n; i++) {
			const char *nm = names[i]->d_name;
			if (rc == 0 && strcmp(nm, ".") && strcmp(nm, "..")) {
				char *sub;
				if (asprintf(&sub, "%s/%s", rel, nm) < 0) {
					rc = -1;
				} else {
					rc = add_path(c, base, sub);
					free(sub);
				}
			}
			free(names[i]);
		}
		if (n >= 0)
			free(names);
	} else if (S_ISREG(st.st_mode)) {
		/* The member name: the path as given, without "./". */
		const char *name = rel;
		while (strncmp(name, "./", 2) == 0)
			name += 2;
		int err = cab_writer_add_file(c->w, name, full);
		if (err) {
			cli_error(c->ctx, c->out, "%s",
				  cab_writer_errmsg(c->w));
			c->err = err;
			rc = -1;
		}
	} else {
		cli_error(c->ctx, full, "not a regular file or directory");
		rc = -1;
	}
	free(full);
	return rc;
}

enum hvo_exit cmd_cab_create(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	enum cab_write_method method = CAB_WRITE_MSZIP;
	const char *base = NULL;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "m:C:", longopts)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "none") == 0)
				method = CAB_WRITE_NONE;
			else if (strcmp(optarg, "mszip") == 0)
				method = CAB_WRITE_MSZIP;
			else
				return cli_usage(ctx,
						 "--method: 'none' or 'mszip', "
						 "not '%s'",
						 optarg);
			break;
		case 'C':
			base = optarg;
			break;
		case 'h':
			fputs(cmd_cab_create_help, stdout);
			return HVO_EXIT_OK;
		default:
			return HVO_EXIT_USAGE;
		}
	}
	if (argc - optind < 2)
		return cli_usage(ctx,
				 "expected OUTPUT.cab and at least one PATH");
	const char *out = argv[optind++];
	struct create_ctx cc = { .ctx = ctx, .out = out };
	int err = cab_writer_open(out, method, &cc.w);
	if (err) {
		cli_error(ctx, out, "%s", cab_writer_errmsg(cc.w));
		cab_writer_free(cc.w);
		return cab_exit_class(err);
	}
	for (int i = optind; i < argc; i++) {
		if (add_path(&cc, base, argv[i]) != 0) {
			cab_writer_free(cc.w);
			return cc.err ? cab_exit_class(cc.err)
				      : HVO_EXIT_FAILED;
		}
	}
	err = cab_writer_finish(cc.w);
	if (err) {
		cli_error(ctx, out, "%s", cab_writer_errmsg(cc.w));
		cab_writer_free(cc.w);
		return cab_exit_class(err);
	}
	cab_writer_free(cc.w);
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "cabinet", out);
		hvo_int_json_kv_string(&w, "method",
				       method == CAB_WRITE_MSZIP ? "MSZIP"
								 : "none");
		hvo_int_json_kv_string(&w, "status", "ok");
		hvo_int_json_end_object(&w);
		return cli_json_end(ctx, &w, HVO_EXIT_OK);
	}
	return HVO_EXIT_OK;
}

const struct cli_command cmd_cab_subcommands[] = {
	{ .name = "list",
	  .summary = "list the members of a cabinet (or set)",
	  .help = cmd_cab_list_help,
	  .run = cmd_cab_list },
	{ .name = "test",
	  .summary = "decode and verify every member",
	  .help = cmd_cab_test_help,
	  .run = cmd_cab_test },
	{ .name = "extract",
	  .summary = "extract members safely into a directory",
	  .help = cmd_cab_extract_help,
	  .run = cmd_cab_extract },
	{ .name = "create",
	  .summary = "make a cabinet (stored or MSZIP)",
	  .help = cmd_cab_create_help,
	  .run = cmd_cab_create },
	{ 0 },
};

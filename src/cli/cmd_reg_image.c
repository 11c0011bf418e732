/*
 * cmd_reg_image.c - `hvoffline reg COMMAND --image IMAGE ...`: get, set,
 * delete, import and export on a guest's hives in place.
 *
 * cmd_reg.c hands a command over here when --image is on its line
 * (CMD_REG_IMAGE_HOOK); the host-file commands stay as they are.  The
 * image is opened as inspect and apply open it; the work is
 * svc_reg_image_run() (src/servicing/services_reg.c).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/manage.h"
#include "registry/reg.h"
#include "servicing/services_reg.h"
#include "util/fileio.h"

bool cmd_reg_image_requested(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--image") == 0 ||
		    strncmp(argv[i], "--image=", 8) == 0)
			return true;
	}
	return false;
}

const char cmd_reg_image_help[] =
	"Usage: hvoffline reg get    --image IMAGE KEY [VALUE]\n"
	"       hvoffline reg set    --image IMAGE KEY [VALUE TYPE DATA...]\n"
	"       hvoffline reg delete --image IMAGE KEY [VALUE]\n"
	"       hvoffline reg import --image IMAGE FILE.reg\n"
	"       hvoffline reg export --image IMAGE KEY [-o FILE] [--utf8]\n"
	"\n"
	"The same commands on the guest's own hives, in place: KEY is "
	"HKLM\\SOFTWARE\\...,\n"
	"HKLM\\SYSTEM\\... (CurrentControlSet is the current control set) or\n"
	"HKU\\.DEFAULT\\...; '@' is the default value.  A dirty hive whose "
	"logs are\n"
	"valid is recovered first (one without them is refused, exit 4); "
	"writes\n"
	"are crash-safe and leave a record in %SystemRoot%\\Logs\\hvoffline "
	"that\n"
	"`hvoffline rollback` undoes.  --dry-run checks a write without "
	"making it.\n";

/* How a value is shown. */
static void print_value(const struct reg_value *v)
{
	const char *tn = reg_type_name(v->type);
	printf("%s (%s): ", v->name[0] ? v->name : "@", tn ? tn : "?");
	char *s = NULL;
	char **m = NULL;
	size_t n = 0;
	uint32_t d;
	uint64_t q;
	if (reg_value_string(v, &s) == REG_OK) {
		printf("%s\n", s);
		free(s);
	} else if (v->type == REG_TYPE_MULTI_SZ &&
		   reg_value_multi(v, &m, &n) == REG_OK) {
		for (size_t i = 0; i < n; i++)
			printf("%s%s", i ? " | " : "", m[i]);
		putchar('\n');
		reg_names_free(m, n);
	} else if (reg_value_dword(v, &d) == REG_OK) {
		printf("%u (0x%x)\n", d, d);
	} else if (reg_value_qword(v, &q) == REG_OK) {
		printf("%llu\n", (unsigned long long)q);
	} else {
		for (size_t i = 0; i < v->len; i++)
			printf("%s%02x", i ? "," : "", v->data[i]);
		putchar('\n');
	}
}

static void json_value(struct json_writer *w, const struct reg_value *v)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "name", v->name);
	hvo_int_json_kv_string(w, "type", reg_type_name(v->type));
	char *hex = malloc(v->len * 2 + 1);
	if (hex != NULL) {
		for (size_t i = 0; i < v->len; i++)
			sprintf(hex + 2 * i, "%02x", v->data[i]);
		hex[2 * v->len] = '\0';
	}
	hvo_int_json_kv_string(w, "data_hex", hex);
	free(hex);
	char *s = NULL;
	uint32_t d;
	hvo_int_json_key(w, "data");
	if (reg_value_string(v, &s) == REG_OK)
		hvo_int_json_string(w, s);
	else if (reg_value_dword(v, &d) == REG_OK)
		hvo_int_json_uint(w, d);
	else
		hvo_int_json_null(w);
	free(s);
	hvo_int_json_end_object(w);
}

/* TYPE DATA... as reg set takes them on a hive file (reg_value_parse). */
static enum hvo_exit parse_data(struct cli_ctx *ctx, const char *tname, int n,
				char **args, uint32_t *type, uint8_t **data,
				size_t *len)
{
	*data = NULL;
	*len = 0;
	if (reg_type_parse(tname, type) != 0)
		return cli_usage(ctx, "unknown value type '%s'", tname);
	const char *why;
	int r = reg_value_parse(*type, (const char *const *)args, (size_t)n,
				data, len, &why);
	if (r == REG_ERR_INVALID)
		return cli_usage(ctx, "value data: %s", why);
	if (r != REG_OK) {
		cli_error(ctx, NULL, "%s", reg_strerror(r));
		return reg_exit_class(r);
	}
	return HVO_EXIT_OK;
}

/* What the run did and what get and export show, read from the hive in
 * the step (in the sandboxed child on the native backend) and shown by
 * the command. */
struct reg_image_run {
	struct svc_reg_image_opts *so;
	bool changed;
	char *record;
	size_t nops;
	char hive[16];
	char *key, *prefix;
	/* get: one value (@single) or the key's values and subkeys */
	bool single;
	struct reg_value *vals;
	size_t nv;
	char **kids;
	size_t nk;
	/* export: the .reg text */
	char *text;
	size_t tlen;
	char error[1200];
};

static void run_clear(struct reg_image_run *rr)
{
	free(rr->record);
	free(rr->key);
	free(rr->prefix);
	reg_values_free(rr->vals, rr->nv);
	reg_names_free(rr->kids, rr->nk);
	free(rr->text);
	struct svc_reg_image_opts *so = rr->so;
	memset(rr, 0, sizeof(*rr));
	rr->so = so;
}

/* Reads what get and export show from the open hive into @rr.  Returns
 * the exit class, with @rr->error set on a failure. */
static enum hvo_exit collect(struct reg_image_run *rr,
			     struct svc_reg_image_result *r, bool utf8)
{
	const struct svc_reg_image_opts *so = rr->so;
	struct reg_hive *h = r->g.h;
	int e = REG_OK;
	if (so->op == SVC_REGOP_EXPORT) {
		FILE *mem = open_memstream(&rr->text, &rr->tlen);
		if (mem == NULL)
			return HVO_EXIT_FAILED;
		e = reg_export(h, r->key, r->prefix, utf8 ? REG_EXPORT_UTF8 : 0,
			       mem);
		if (fclose(mem) != 0 && e == REG_OK)
			e = REG_ERR_NOMEM;
		if (e != REG_OK)
			snprintf(rr->error, sizeof(rr->error), "%s: %s",
				 so->path, reg_errmsg(h));
	} else if (so->value != NULL) {
		struct reg_value *v = NULL;
		e = reg_get_value(h, r->key, so->value, &v);
		if (e != REG_OK)
			snprintf(rr->error, sizeof(rr->error), "%s: %s: %s",
				 so->path, so->value[0] ? so->value : "@",
				 reg_strerror(e));
		if (v != NULL) {
			/* One value as an array of one. */
			rr->vals = calloc(1, sizeof(*rr->vals));
			if (rr->vals == NULL) {
				reg_value_free(v);
				return HVO_EXIT_FAILED;
			}
			rr->vals[0] = *v;
			free(v);
			rr->nv = 1;
		}
		rr->single = true;
	} else {
		e = reg_list_values(h, r->key, &rr->vals, &rr->nv);
		if (e == REG_OK)
			e = reg_list_subkeys(h, r->key, &rr->kids, &rr->nk);
		if (e != REG_OK)
			snprintf(rr->error, sizeof(rr->error), "%s: %s",
				 so->path, reg_errmsg(h));
	}
	return e == REG_OK ? HVO_EXIT_OK : reg_exit_class(e);
}

/* Shows what collect() read. */
static enum hvo_exit show(struct cli_ctx *ctx, const char *image,
			  const struct reg_image_run *rr, const char *output)
{
	if (rr->so->op == SVC_REGOP_EXPORT) {
		if (output == NULL) {
			fwrite(rr->text, 1, rr->tlen, stdout);
			return HVO_EXIT_OK;
		}
		struct hvo_atomic_file af;
		int w = hvo_int_atomic_open(output, 0644, &af);
		if (w == 0) {
			w = hvo_int_write_all(af.fd, rr->text, rr->tlen);
			if (w)
				hvo_int_atomic_abort(&af);
			else
				w = hvo_int_atomic_commit(&af);
		}
		if (w) {
			cli_error(ctx, output, "cannot write: %s", strerror(w));
			return HVO_EXIT_FAILED;
		}
		return HVO_EXIT_OK;
	}
	if (rr->single && rr->nv != 1)
		return HVO_EXIT_FAILED;
	if (!ctx->json) {
		if (rr->single) {
			print_value(&rr->vals[0]);
			return HVO_EXIT_OK;
		}
		printf("%s\\%s\n", rr->prefix, rr->key);
		for (size_t i = 0; i < rr->nv; i++)
			print_value(&rr->vals[i]);
		for (size_t i = 0; i < rr->nk; i++)
			printf("%s\\%s%s%s\n", rr->prefix, rr->key,
			       rr->key[0] ? "\\" : "", rr->kids[i]);
		return HVO_EXIT_OK;
	}
	struct json_writer w;
	cli_json_begin(ctx, &w);
	hvo_int_json_begin_object(&w);
	hvo_int_json_kv_string(&w, "image", image);
	hvo_int_json_kv_string(&w, "hive", rr->hive);
	hvo_int_json_kv_string(&w, "key", rr->key);
	if (rr->single) {
		hvo_int_json_key(&w, "value");
		json_value(&w, &rr->vals[0]);
	} else {
		hvo_int_json_key(&w, "values");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < rr->nv; i++)
			json_value(&w, &rr->vals[i]);
		hvo_int_json_end_array(&w);
		hvo_int_json_kv_strings(&w, "subkeys", rr->kids, rr->nk);
	}
	hvo_int_json_end_object(&w);
	return cli_json_end(ctx, &w, HVO_EXIT_OK);
}

struct reg_image_cmd {
	struct reg_image_run run;
	bool utf8;
};

static enum hvo_exit reg_image_step(void *opaque, size_t i,
				    const struct cli_manage_target *t,
				    const char **errmsg)
{
	struct reg_image_cmd *rc_ = opaque;
	struct reg_image_run *rr = &rc_->run;
	struct svc_reg_image_opts *so = rr->so;
	(void)i;
	so->systemroot = t->systemroot;
	so->tmpdir = t->tmpdir;
	struct svc_reg_image_result r;
	memset(&r, 0, sizeof(r));
	enum hvo_exit rc = svc_reg_image_run(t->fs, so, &r);
	if (rc != HVO_EXIT_OK) {
		snprintf(rr->error, sizeof(rr->error), "%s",
			 svc_reg_image_errmsg(&r));
	} else if (so->op == SVC_REGOP_GET || so->op == SVC_REGOP_EXPORT) {
		rc = collect(rr, &r, rc_->utf8);
		rr->key = r.key ? strdup(r.key) : NULL;
		rr->prefix = r.prefix ? strdup(r.prefix) : NULL;
		if (rc == HVO_EXIT_OK &&
		    (rr->key == NULL || rr->prefix == NULL))
			rc = HVO_EXIT_FAILED;
	}
	if (rc != HVO_EXIT_OK)
		*errmsg = rr->error;
	rr->changed = r.changed;
	rr->record = r.record ? strdup(r.record) : NULL;
	rr->nops = r.nops;
	snprintf(rr->hive, sizeof(rr->hive), "%s", r.g.name);
	svc_reg_image_result_free(&r);
	return rc;
}

/* The run's result, from the sandboxed child to the parent. */
static void reg_image_put(void *opaque, size_t i, struct svc_mwire *w)
{
	const struct reg_image_run *rr = &((struct reg_image_cmd *)opaque)->run;
	(void)i;
	svc_int_mw_u(w, rr->changed);
	svc_int_mw_s(w, rr->record);
	svc_int_mw_u(w, rr->nops);
	svc_int_mw_s(w, rr->hive);
	svc_int_mw_s(w, rr->key);
	svc_int_mw_s(w, rr->prefix);
	svc_int_mw_u(w, rr->single);
	svc_int_mw_values(w, rr->vals, rr->nv);
	svc_int_mw_names(w, rr->kids, rr->nk);
	svc_int_mw_bytes(w, rr->text, rr->tlen);
}

static void reg_image_get(void *opaque, size_t i, struct svc_mread *r)
{
	struct reg_image_run *rr = &((struct reg_image_cmd *)opaque)->run;
	(void)i;
	run_clear(rr);
	if (r == NULL)
		return;
	rr->changed = svc_int_mr_max(r, 1) != 0;
	rr->record = svc_int_mr_s(r, 4096);
	rr->nops = (size_t)svc_int_mr_u(r);
	svc_int_mr_buf(r, rr->hive, sizeof(rr->hive));
	rr->key = svc_int_mr_s(r, 1u << 16);
	rr->prefix = svc_int_mr_s(r, 4096);
	rr->single = svc_int_mr_max(r, 1) != 0;
	svc_int_mr_values(r, &rr->vals, &rr->nv);
	svc_int_mr_names(r, &rr->kids, &rr->nk);
	size_t len;
	uint8_t *text = svc_int_mr_bytes(r, SIZE_MAX, &len);
	rr->text = (char *)text;
	rr->tlen = len;
}

enum hvo_exit cmd_reg_image(struct cli_ctx *ctx, const char *sub, int argc,
			    char **argv)
{
	enum {
		OPT_IMAGE = 0x100,
		OPT_DRY_RUN,
		OPT_UTF8,
	};
	static const struct option longopts[] = {
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "utf8", no_argument, NULL, OPT_UTF8 },
		{ "output", required_argument, NULL, 'o' },
		CLI_MANAGE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_manage_opts mo;
	cli_manage_opts_init(ctx, &mo);
	struct svc_reg_image_opts so = { 0 };
	const char *image = NULL, *output = NULL;
	bool utf8 = false;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "o:" CLI_MANAGE_SHORTOPTS,
			       longopts)) != -1) {
		switch (c) {
		case OPT_IMAGE:
			if (image != NULL)
				return cli_usage(ctx, "one --image at a time");
			image = optarg;
			continue;
		case OPT_DRY_RUN:
			so.dry_run = true;
			continue;
		case OPT_UTF8:
			utf8 = true;
			continue;
		case 'o':
			output = optarg;
			continue;
		default:
			if ((c = cli_manage_option(ctx, c, cmd_reg_image_help,
						   &mo)) == 1)
				continue;
			return CLI_MANAGE_OPTION_EXIT(c);
		}
	}
	int nargs = argc - optind;
	char **a = argv + optind;
	uint8_t *data = NULL;
	if (image == NULL)
		return cli_usage(ctx, "--image needs an image");
	if (strcmp(sub, "get") == 0 || strcmp(sub, "delete") == 0) {
		if (nargs < 1 || nargs > 2)
			return cli_usage(
				ctx, "reg %s --image needs KEY [VALUE]", sub);
		so.op = sub[0] == 'g' ? SVC_REGOP_GET : SVC_REGOP_DELETE;
	} else if (strcmp(sub, "set") == 0) {
		if (nargs != 1 && nargs < 3)
			return cli_usage(ctx, "reg set --image needs KEY "
					      "[VALUE TYPE DATA...]");
		so.op = SVC_REGOP_SET;
		if (nargs >= 3) {
			enum hvo_exit x =
				parse_data(ctx, a[2], nargs - 3, a + 3,
					   &so.type, &data, &so.len);
			if (x != HVO_EXIT_OK)
				return x;
			so.data = data;
		}
	} else if (strcmp(sub, "import") == 0) {
		if (nargs != 1)
			return cli_usage(ctx, "reg import --image needs "
					      "FILE.reg");
		so.op = SVC_REGOP_IMPORT;
		so.reg_file = a[0];
	} else if (strcmp(sub, "export") == 0) {
		if (nargs != 1)
			return cli_usage(ctx, "reg export --image needs KEY");
		so.op = SVC_REGOP_EXPORT;
	} else {
		return cli_usage(ctx, "reg %s does not take --image", sub);
	}
	if (so.op != SVC_REGOP_IMPORT) {
		so.path = a[0];
		if (nargs >= 2)
			so.value = strcmp(a[1], "@") == 0 ? "" : a[1];
	}
	bool write = (so.op == SVC_REGOP_SET || so.op == SVC_REGOP_DELETE ||
		      so.op == SVC_REGOP_IMPORT) &&
		     !so.dry_run;
	so.image = image;
	const char *const images[] = { image };
	struct cli_manage_image st = { 0 };
	struct reg_image_cmd rc_ = { .run = { .so = &so }, .utf8 = utf8 };
	struct reg_image_run *rr = &rc_.run;
	const char *const extra[] = { so.reg_file };
	const struct cli_manage_cmd cmd = {
		.what = "reg-image",
		.doing = sub,
		.write = write,
		.step = reg_image_step,
		.put = reg_image_put,
		.get = reg_image_get,
		.opaque = &rc_,
		.read_extra = extra,
		.nread_extra = so.reg_file != NULL,
	};
	enum hvo_exit rc = cli_manage_run(ctx, &cmd, &mo, images, 1, &st);
	if (rc == HVO_EXIT_OK &&
	    (so.op == SVC_REGOP_GET || so.op == SVC_REGOP_EXPORT))
		rc = show(ctx, image, rr, output);
	bool changed = rr->changed;
	const char *record = rr->record;
	size_t nops = rr->nops;
	const char *hive = rr->hive;
	if (so.op != SVC_REGOP_GET && so.op != SVC_REGOP_EXPORT) {
		if (ctx->json) {
			struct json_writer w;
			cli_json_begin(ctx, &w);
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "image", image);
			hvo_int_json_kv_string(&w, "operation", sub);
			hvo_int_json_kv_int(&w, "exit_code", rc);
			hvo_int_json_kv_string(&w, "hive",
					       hive[0] ? hive : NULL);
			hvo_int_json_kv_bool(&w, "changed", changed);
			hvo_int_json_kv_bool(&w, "dry_run", so.dry_run);
			hvo_int_json_kv_uint(&w, "operations", nops);
			hvo_int_json_kv_string(&w, "record", record);
			hvo_int_json_end_object(&w);
			rc = cli_json_end(ctx, &w, rc);
		} else if (rc == HVO_EXIT_OK) {
			cli_info(ctx, "%s: %s", image,
				 changed      ? "written"
				 : so.dry_run ? "dry run: nothing written"
					      : "already so: nothing written");
			if (record != NULL)
				cli_info(ctx, "%s: record %s", image, record);
		}
	}
	run_clear(rr);
	free(data);
	return rc;
}

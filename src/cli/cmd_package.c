/*
 * cmd_package.c - `hvoffline package info`: what a CBS package contains.
 *
 * Reads the package through src/package (which reads the cabinet through
 * cab/ and checks every payload's SHA-256) and shows everything an
 * installation would do: identity, KB, restart, parents, each update (a
 * driver INF with its services, start types, hardware IDs per decoration,
 * files and their destinations; or a component closure with its files,
 * registry values, services and svchost groups), the directives deferred
 * to first boot, and the digest check of every file.
 *
 * INF decorations depend on the Windows version; by default the package's
 * own architecture and the lowest NT version among its parents are used
 * (the oldest Windows it applies to), --arch and --nt choose another.
 *
 * Exit codes: 0; 5 for a malformed manifest or INF (the message names the
 * file and line), a missing payload or a digest mismatch; others from the
 * cabinet (SERVICING.md section 4).
 *
 * `hvoffline package key` prints the component key of an identity given
 * on the command line, with the same function that names manifests when
 * a package is read (pkg_component_key), so that packages made by the
 * project (tests/fixtures/icpkg) name their manifests and payload folders
 * exactly as the reader will look for them.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "package/package.h"
#include "package/report.h"
#include "trust/report.h"
#include "util/fileio.h"

const char cmd_package_help[] =
	"Usage: hvoffline package info [--json] [--arch ARCH] [--nt X.Y] "
	"CABINET\n"
	"       hvoffline package key [--json] --name N --version V --arch A "
	"...\n"
	"\n"
	"Read a CBS package (update.mum, component manifests, driver INF "
	"files)\n"
	"and show what installing it does, or print the component key of an\n"
	"assembly identity.  See `hvoffline package COMMAND --help`.\n";

const char cmd_package_info_help[] =
	"Usage: hvoffline package info [--json] [--arch ARCH] [--nt X.Y] "
	"CABINET\n"
	"\n"
	"Show a CBS package: identity, KB, restart, parents; each driver "
	"update\n"
	"(its INF's services, start types, hardware IDs per decoration, files "
	"and\n"
	"destinations) and each component update (the dependency closure "
	"with\n"
	"files, registry values, services and svchost groups); the "
	"directives\n"
	"deferred to first boot; and the SHA-256 check of every file.\n"
	"\n"
	"INF decorations are chosen for ARCH and Windows NT version X.Y "
	"(default:\n"
	"the package's architecture and the lowest NT version among its "
	"parents).\n"
	"\n"
	"Exits 5 when a manifest or INF is malformed, a payload is missing "
	"or a\n"
	"digest does not match, or the cabinet's Authenticode signature is\n"
	"tampered, missing or untrusted.\n"
	"\n"
	"Options:\n"
	"  --arch ARCH  target architecture (amd64, x86, arm64)\n"
	"  --nt X.Y     target Windows NT version, e.g. "
	"6.1\n" TRUST_OPTIONS_HELP;

/* Resolves every driver update for @t; NULL on error (reported). */
static struct pkg_driver **resolve_all(struct cli_ctx *ctx, const char *path,
				       struct pkg_package *p,
				       const struct pkg_target *t,
				       enum hvo_exit *rc)
{
	struct pkg_driver **drv = calloc(p->nupdates + 1, sizeof(*drv));
	if (drv == NULL)
		abort();
	for (size_t i = 0; i < p->nupdates; i++) {
		const struct pkg_update *u = &p->updates[i];
		if (u->kind != PKG_UPDATE_DRIVER || u->inf_file == NULL)
			continue;
		struct pkg_error e = { 0 };
		if (pkg_inf_resolve(p->arena, u->inf_file, t, &drv[i], &e)) {
			char msg[PKG_ERROR_MSG_MAX + 300];
			cli_error(ctx, path, "%s",
				  pkg_errmsg(&e, msg, sizeof(msg)));
			*rc = pkg_exit_class(&e);
			free(drv);
			return NULL;
		}
	}
	return drv;
}

static enum hvo_exit emit_json(struct cli_ctx *ctx, const char *path,
			       const struct pkg_package *p,
			       const struct pkg_target *t,
			       struct pkg_driver **drv, enum hvo_exit rc,
			       const struct trust_verdict *sig,
			       const struct trust_opts *to)
{
	struct json_writer w;
	cli_json_begin(ctx, &w);
	hvo_int_json_begin_object(&w);
	hvo_int_json_kv_string(&w, "status",
			       rc == HVO_EXIT_OK ? "ok" : "error");
	hvo_int_json_kv_string(&w, "cabinet", path);
	trust_render_json(&w, sig, to);
	pkg_int_report_json(&w, p, t, drv);
	hvo_int_json_end_object(&w);
	return cli_json_end(ctx, &w, rc);
}

enum hvo_exit cmd_package_info(struct cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_ARCH = 0x100, OPT_NT };
	static const struct option longopts[] = {
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ "nt", required_argument, NULL, OPT_NT },
		TRUST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *arch = NULL, *nt = NULL;
	struct trust_opts to = { 0 };
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longopts)) != -1) {
		if (trust_opts_parse(&to, c, optarg))
			continue;
		switch (c) {
		case OPT_ARCH:
			arch = optarg;
			break;
		case OPT_NT:
			nt = optarg;
			break;
		case 'h':
			fputs(cmd_package_info_help, stdout);
			return HVO_EXIT_OK;
		default:
			return HVO_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_usage(ctx, "expected one CABINET argument");
	struct pkg_version ntv = { { 0, 0, 0, 0 }, 0 };
	if (nt && (!pkg_version_parse(nt, &ntv) || ntv.nparts != 2))
		return cli_usage(ctx, "--nt: '%s' is not a version like 6.1",
				 nt);
	const char *path = argv[optind];
	/* The cabinet is read once: the signature check and the package
	 * both use these bytes (like inspect and apply's sources). */
	uint8_t *data;
	size_t len;
	int e = hvo_int_read_file(path, PKG_MAX_CABINET_SIZE, &data, &len);
	if (e == EFBIG) {
		cli_error(ctx, path, "larger than %u bytes",
			  PKG_MAX_CABINET_SIZE);
		return HVO_EXIT_FAILED;
	}
	if (e) {
		cli_error(ctx, path, "%s", strerror(e));
		return HVO_EXIT_FAILED;
	}
	/* The signature first: a refused package is not read further. */
	struct trust_verdict *sig = NULL;
	enum hvo_exit trc =
		cli_trust_check_mem(ctx, &to, data, len, path, true, &sig);
	if (trc) {
		free(data);
		if (ctx->json) {
			struct json_writer w;
			cli_json_begin(ctx, &w);
			hvo_int_json_begin_object(&w);
			hvo_int_json_kv_string(&w, "status", "error");
			hvo_int_json_kv_string(&w, "cabinet", path);
			trust_render_json(&w, sig, &to);
			hvo_int_json_end_object(&w);
			trc = cli_json_end(ctx, &w, trc);
		} else {
			trust_render_text(stdout, "", sig, &to);
		}
		trust_verdict_free(sig);
		return trc;
	}

	struct pkg_package *p;
	struct pkg_error pe = { 0 };
	/* The package takes @data. */
	enum pkg_err perr = pkg_package_open_mem(path, data, len, &p, &pe);
	char msg[PKG_ERROR_MSG_MAX + 300];
	enum hvo_exit rc = HVO_EXIT_OK;
	if (perr != PKG_OK) {
		cli_error(ctx, path, "%s", pkg_errmsg(&pe, msg, sizeof(msg)));
		rc = pkg_exit_class(&pe);
		if (p == NULL) {
			trust_verdict_free(sig);
			return rc;
		}
	}
	if (p->unaccounted)
		cli_warn(ctx, path,
			 "%zu file(s) of the cabinet are named by no manifest",
			 p->unaccounted);
	struct pkg_target t = { 0 };
	pkg_int_default_target(p, &t);
	if (arch)
		t.arch = arch;
	if (nt) {
		t.nt_major = ntv.part[0];
		t.nt_minor = ntv.part[1];
	}
	enum hvo_exit rrc = HVO_EXIT_OK;
	struct pkg_driver **drv = resolve_all(ctx, path, p, &t, &rrc);
	if (drv == NULL) {
		trust_verdict_free(sig);
		pkg_package_free(p);
		return hvo_exit_max(rc, rrc);
	}
	if (ctx->json) {
		rc = emit_json(ctx, path, p, &t, drv, rc, sig, &to);
	} else {
		pkg_int_report_text(stdout, p, &t, drv);
		trust_render_text(stdout, "", sig, &to);
	}
	trust_verdict_free(sig);
	free(drv);
	pkg_package_free(p);
	return rc;
}

/* ---- package key ---- */

static const char cmd_package_key_help[] =
	"Usage: hvoffline package key [--json] --name NAME --version A.B.C.D "
	"--arch ARCH\n"
	"                             [--token TOKEN] [--language LANG] "
	"[--type TYPE]\n"
	"                             [--version-scope SCOPE]\n"
	"\n"
	"Print the component key of an assembly identity, the name of its\n"
	"<key>.manifest and payload folder in a CBS cabinet:\n"
	"\n"
	"  <arch>_<name>_<publicKeyToken>_<version>_<culture|none>_<hash>\n"
	"\n"
	"The options are the attributes of <assemblyIdentity>; those that "
	"feed the\n"
	"hash are exactly these (buildType does not).\n"
	"\n"
	"Options:\n"
	"  --name NAME            name\n"
	"  --version A.B.C.D      version (four parts)\n"
	"  --arch ARCH            processorArchitecture (amd64, x86, wow64, "
	"msil, ...)\n"
	"  --token TOKEN          publicKeyToken, 16 hex digits (default: "
	"none)\n"
	"  --language LANG        language (culture); 'neutral' (the "
	"default) gives\n"
	"                         \"none\".  --culture is the same option\n"
	"  --type TYPE            type, e.g. driverUpdate (driver components)\n"
	"  --version-scope SCOPE  versionScope, e.g. nonSxS\n";

/* A publicKeyToken is 8 bytes written as 16 hex digits; anything else
 * would make a key no cabinet uses, so it is refused rather than hashed. */
static bool is_token(const char *s)
{
	if (strlen(s) != 16)
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789abcdefABCDEF", *p))
			return false;
	return true;
}

static enum hvo_exit cmd_package_key(struct cli_ctx *ctx, int argc, char **argv)
{
	enum {
		OPT_NAME = 0x100,
		OPT_VERSION,
		OPT_ARCH,
		OPT_TOKEN,
		OPT_LANGUAGE,
		OPT_TYPE,
		OPT_SCOPE
	};
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "version", required_argument, NULL, OPT_VERSION },
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "language", required_argument, NULL, OPT_LANGUAGE },
		{ "culture", required_argument, NULL, OPT_LANGUAGE },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "version-scope", required_argument, NULL, OPT_SCOPE },
		{ NULL, 0, NULL, 0 },
	};
	struct pkg_identity id = { 0 };
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longopts)) != -1) {
		switch (c) {
		case OPT_NAME:
			id.name = optarg;
			break;
		case OPT_VERSION:
			id.version = optarg;
			break;
		case OPT_ARCH:
			id.arch = optarg;
			break;
		case OPT_TOKEN:
			id.public_key_token = optarg;
			break;
		case OPT_LANGUAGE:
			id.language = optarg;
			break;
		case OPT_TYPE:
			id.type = optarg;
			break;
		case OPT_SCOPE:
			id.version_scope = optarg;
			break;
		case 'h':
			fputs(cmd_package_key_help, stdout);
			return HVO_EXIT_OK;
		default:
			return HVO_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage(ctx, "unexpected argument '%s'", argv[optind]);
	if (id.name == NULL || id.name[0] == '\0')
		return cli_usage(ctx, "--name is required");
	if (id.arch == NULL || id.arch[0] == '\0')
		return cli_usage(ctx, "--arch is required");
	/* Keys carry the version as written, so only the four-part form
	 * that every manifest uses is accepted. */
	struct pkg_version v;
	if (id.version == NULL || !pkg_version_parse(id.version, &v) ||
	    v.nparts != 4)
		return cli_usage(ctx,
				 "--version: '%s' is not a version like "
				 "6.3.9600.19456",
				 id.version ? id.version : "");
	if (id.public_key_token && !is_token(id.public_key_token))
		return cli_usage(ctx, "--token: '%s' is not 16 hex digits",
				 id.public_key_token);

	struct pkg_arena *arena = pkg_arena_new();
	char *key = arena ? pkg_component_key(arena, &id) : NULL;
	if (key == NULL) {
		pkg_arena_free(arena);
		cli_error(ctx, NULL, "out of memory");
		return HVO_EXIT_FAILED;
	}
	enum hvo_exit rc = HVO_EXIT_OK;
	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "key", key);
		hvo_int_json_end_object(&w);
		rc = cli_json_end(ctx, &w, rc);
	} else {
		printf("%s\n", key);
	}
	pkg_arena_free(arena);
	return rc;
}

const struct cli_command cmd_package_subcommands[] = {
	{ .name = "info",
	  .summary = "show a CBS package and check every file's SHA-256",
	  .help = cmd_package_info_help,
	  .run = cmd_package_info },
	{ .name = "key",
	  .summary = "print the component key of an assembly identity",
	  .help = cmd_package_key_help,
	  .run = cmd_package_key },
	{ 0 },
};

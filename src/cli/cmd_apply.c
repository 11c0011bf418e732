/*
 * cmd_apply.c - `hvoffline apply` and `hvoffline verify`: install the
 * integration-services package into offline images the way DISM's
 * offline Add-Package does, and check an image against the package.
 *
 * Both commands open every image (and a vmguest.iso source) in one
 * appliance launch, inspect each one (SERVICING.md section 3, steps 1 to
 * 5), choose the package that applies, compute the plan (step 6) and then
 * carry it out (apply, steps 7 to 9) or re-read it (verify).  Each image
 * gets its own result; the exit code is the highest of them.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cab/cab.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "servicing/apply.h"
#include "servicing/inspect_applicable.h"
#include "servicing/inspect_report.h"
#include "servicing/inspect_run.h"
#include "servicing/inspect_source.h"
#include "trust/report.h"
#include "servicing/plan.h"
#include "util/sha256.h"
#include "util/tmpdir.h"

const char cmd_apply_help[] =
	"Usage: hvoffline apply IMAGE... --source CAB|DIR|ISO [--dry-run] "
	"[--force]\n"
	"                       [--no-firstboot] [--json] [launch options]\n"
	"\n"
	"Install the Hyper-V integration-services package into each offline "
	"image,\n"
	"as DISM /Image:... /Add-Package does: drivers from their INFs "
	"(files,\n"
	"services, CriticalDeviceDatabase on NT 6.1 and older), components "
	"(files,\n"
	"registry, services, svchost groups), the package staged for "
	"Windows'\n"
	"servicing with a first-boot step that completes it through DISM, "
	"and\n"
	"IntegrationServicesVersion.  A record of every change is kept in the\n"
	"guest under %SystemRoot%\\Logs\\hvoffline.  Unsafe images "
	"(hibernated,\n"
	"BitLocker, dirty hives without logs, in use, checkpoints) are "
	"refused\n"
	"untouched; any failure before the final renames leaves the guest as "
	"it was.\n"
	"\n"
	"Options:\n"
	"  --source S        the package: a CAB, a directory of CABs, or "
	"vmguest.iso\n"
	"  --dry-run         print the plan and change nothing\n"
	"  --force           apply even when the guest is already up to date\n"
	"  --no-firstboot    do not arrange the first-boot DISM "
	"step\n" TRUST_OPTIONS_HELP CLI_LAUNCH_HELP "\n"
	"Exit status: 0 applied or up to date, 1 failed, 3 no package applies,"
	"\n"
	"4 refused (unsafe or in use), 5 corrupt input; with several images, "
	"the\n"
	"highest.\n";

const char cmd_verify_help[] =
	"Usage: hvoffline verify IMAGE... --source CAB|DIR|ISO "
	"[--no-firstboot] [--json]\n"
	"                        [launch options]\n"
	"\n"
	"Re-read from each image every item that `apply` plans for the "
	"package of\n"
	"the source that applies to it (files by SHA-256, registry values, "
	"keys and\n"
	"list entries) and report each difference.  Nothing is written.  "
	"Once the\n"
	"first-boot step has run, its own items are gone by design and are "
	"not\n"
	"checked.\n"
	"\n"
	"Options: --source, --no-firstboot and the launch options of apply.\n"
	"\n"
	"Exit status: 0 no differences, 1 differences or failure, 3 no "
	"package\n"
	"applies, 4 unsafe, 5 corrupt input; with several images, the "
	"highest.\n";

enum mode { MODE_APPLY, MODE_VERIFY };

struct image_result {
	const char *status;
	enum hvo_exit exit;
	char message[1200];
	const struct svc_source_package *pkg; /* the package chosen */
	char installed[64];
	struct svc_plan *plan;
	bool applied, verified;
	struct svc_apply_result ar;
	struct svc_verify_result vr;
};

struct opts {
	enum mode mode;
	bool dry_run, force, no_firstboot;
};

static void on_event(void *opaque, const char *what, const char *msg)
{
	struct cli_ctx *ctx = opaque;
	if (strcmp(what, "notice") == 0)
		cli_info(ctx, "appliance: %s", msg);
	else
		cli_debug(ctx, 1, "appliance: %s", msg);
}

struct progress_ctx {
	struct cli_ctx *ctx;
	const char *image;
};

static void on_progress(void *opaque, const char *msg)
{
	struct progress_ctx *p = opaque;
	cli_info(p->ctx, "%s: %s", p->image, msg);
}

/* The SHA-256 and size of a cabinet entry, for the plan's staged files
 * that no manifest describes. */
static bool entry_digest(void *opaque, const char *name, uint8_t sha[32],
			 uint64_t *size_ret)
{
	struct hvo_sha256 h;
	struct cab *cab;
	size_t idx;
	bool ok = false;
	if (cab_open((const char *)opaque, 0, &cab) != 0) {
		cab_close(cab);
		return false;
	}
	uint8_t *buf;
	size_t len;
	/* update.mum and update.cat: a few hundred KB at most. */
	if (cab_find(cab, name, &idx) == 0 &&
	    cab_read_entry_alloc(cab, idx, 64u << 20, &buf, &len) == 0) {
		hvo_int_sha256_init(&h);
		hvo_int_sha256_update(&h, buf, len);
		hvo_int_sha256_final(&h, sha);
		*size_ret = len;
		free(buf);
		ok = true;
	}
	cab_close(cab);
	return ok;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void result_set(struct image_result *r, const char *status,
		       enum hvo_exit code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void result_set(struct image_result *r, const char *status,
		       enum hvo_exit code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	r->status = status;
	r->exit = code;
}

/* Why an image cannot be serviced, from its inspection problems. */
static void refuse(struct image_result *r, const struct svc_facts *f)
{
	const char *status = f->verdict == HVO_EXIT_CORRUPT   ? "corrupt"
			     : f->verdict == HVO_EXIT_REFUSED ? "refused"
							      : "failed";
	for (size_t i = 0; i < f->nproblems; i++)
		if (f->problems[i].exit == f->verdict) {
			result_set(r, status, f->verdict, "%s: %s",
				   f->problems[i].code, f->problems[i].message);
			return;
		}
	result_set(r, status, f->verdict, "%s",
		   f->preflight_error[0] ? f->preflight_error
		   : f->disk_error[0]	 ? f->disk_error
					 : "cannot inspect");
}

/*
 * An earlier apply died while switching files in: put every original back
 * and inspect the guest again, before anything is decided from facts that
 * describe a half-switched guest (its SYSTEM hive may even be set aside).
 */
static void recover_interrupted(struct cli_ctx *ctx, struct svc_run *run,
				size_t i, struct svc_facts *f,
				const char *tmpdir, struct image_result *r)
{
	struct guest_disk *disk =
		guest_session_disk(run->session, (size_t)run->image_disk[i]);
	struct guest_fs *fs;
	int e;
	if (disk == NULL || (e = guest_disk_mount(disk, f->windows_volume,
						  false, &fs)) != GUEST_OK) {
		result_set(r, "failed", HVO_EXIT_FAILED,
			   "an interrupted earlier run needs cleaning up, but "
			   "the volume cannot be mounted: %s",
			   disk ? guest_disk_errmsg(disk) : "no disk");
		return;
	}
	unsigned restored;
	char err[600];
	if (svc_apply_recover(fs, f->systemroot, &restored, err, sizeof(err)) !=
	    0) {
		result_set(r, "failed", HVO_EXIT_FAILED,
			   "cleaning up an interrupted earlier run: %s", err);
		return;
	}
	cli_warn(ctx, f->image,
		 "an earlier apply was interrupted while switching files in; "
		 "%u original%s put back, applying again",
		 restored, restored == 1 ? "" : "s");
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/reinspect-%zu", tmpdir, i);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		result_set(r, "failed", HVO_EXIT_FAILED, "%s: %s", dir,
			   strerror(errno));
		return;
	}
	struct svc_inspect_opts io = { .tmpdir = dir };
	svc_inspect_again(disk, &io, f);
	/* Applied again below, whatever the versions say now. */
	f->apply_interrupted = true;
}

static void service_image(struct cli_ctx *ctx, const struct opts *o,
			  struct svc_run *run, size_t i, struct svc_facts *f,
			  const struct svc_source_package *pkgs, size_t npkgs,
			  const char *tmpdir, struct image_result *r)
{
	if (f->apply_interrupted && o->mode == MODE_APPLY && !o->dry_run &&
	    run->image_disk[i] >= 0 && f->windows_found) {
		recover_interrupted(ctx, run, i, f, tmpdir, r);
		if (r->status != NULL)
			return;
	}
	if (f->verdict != HVO_EXIT_OK) {
		refuse(r, f);
		return;
	}
	if (!f->windows_found) {
		result_set(r, "not-applicable", HVO_EXIT_NOT_APPLICABLE,
			   "no Windows installation was found");
		return;
	}
	struct svc_applicability a;
	if (svc_applicability(f, pkgs, npkgs, &a) != 0) {
		result_set(r, "failed", HVO_EXIT_FAILED, "out of memory");
		return;
	}
	snprintf(r->installed, sizeof(r->installed), "%s", a.installed);
	if (a.chosen < 0) {
		result_set(r, "not-applicable", HVO_EXIT_NOT_APPLICABLE, "%s",
			   a.summary);
		svc_applicability_free(&a);
		return;
	}
	r->pkg = a.candidates[a.chosen].sp;
	bool up_to_date = a.up_to_date;
	svc_applicability_free(&a);
	const struct pkg_package *pkg = r->pkg->pkg;
	/* After an interrupted run the versions say little: apply again. */
	if (o->mode == MODE_APPLY && up_to_date && !o->force &&
	    !f->apply_interrupted) {
		result_set(r, "up-to-date", HVO_EXIT_OK,
			   "integration services %s are installed; the package "
			   "is %s (--force applies it anyway)",
			   r->installed, pkg->identity.version);
		return;
	}

	/* The plan. */
	uint8_t cab_sha[32];
	uint64_t cab_size = 0;
	const char *cab_path = pkg->source;
	int e = hvo_int_sha256_file(cab_path, cab_sha, &cab_size);
	if (e != 0) {
		result_set(r, "failed", HVO_EXIT_FAILED, "%s: %s", cab_path,
			   strerror(e));
		return;
	}
	struct svc_plan_opts po = {
		.firstboot = !o->no_firstboot,
		.now = (int64_t)time(NULL),
		.cab_name = base_name(r->pkg->where),
		.cab_sha256 = cab_sha,
		.cab_size = cab_size,
		.entry_digest = entry_digest,
		.entry_digest_ctx = (void *)cab_path,
	};
	struct pkg_error perr;
	if (svc_plan_build(f, pkg, &po, &r->plan, &perr) != PKG_OK) {
		char msg[800];
		result_set(r, "failed", pkg_exit_class(&perr), "%s: %s",
			   r->pkg->where,
			   pkg_error_format(&perr, msg, sizeof(msg)));
		return;
	}
	if (o->mode == MODE_APPLY && o->dry_run) {
		result_set(r, "dry-run", HVO_EXIT_OK,
			   "would install %s %s: %zu files, %zu registry "
			   "operations",
			   r->plan->package, r->plan->version, r->plan->nfiles,
			   r->plan->nregs);
		return;
	}

	struct guest_disk *disk =
		guest_session_disk(run->session, (size_t)run->image_disk[i]);
	struct guest_fs *fs;
	if (disk == NULL ||
	    (e = guest_disk_mount(disk, f->windows_volume,
				  o->mode == MODE_VERIFY, &fs)) != GUEST_OK) {
		result_set(r, e == GUEST_E_ROFS ? "refused" : "failed",
			   e == GUEST_E_ROFS ? HVO_EXIT_REFUSED
					     : HVO_EXIT_FAILED,
			   "%s", disk ? guest_disk_errmsg(disk) : "no disk");
		return;
	}
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/image-%zu", tmpdir, i);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		result_set(r, "failed", HVO_EXIT_FAILED, "%s: %s", dir,
			   strerror(errno));
		return;
	}
	struct progress_ctx pc = { ctx, f->image };
	if (o->mode == MODE_VERIFY) {
		struct svc_verify_opts vo = { .tmpdir = dir,
					      .cab_path = cab_path };
		on_progress(&pc, "verifying");
		svc_verify(fs, r->plan, &vo, &r->vr);
		r->verified = true;
		if (r->vr.ndiffs)
			result_set(r, "differences", HVO_EXIT_FAILED,
				   "%zu of %zu items differ from %s %s",
				   r->vr.ndiffs, r->vr.nchecked,
				   r->plan->package, r->plan->version);
		else
			result_set(r, "verified", HVO_EXIT_OK,
				   "all %zu items match %s %s", r->vr.nchecked,
				   r->plan->package, r->plan->version);
		return;
	}
	struct svc_apply_opts ao = {
		.tmpdir = dir,
		.cab_path = cab_path,
		.progress = on_progress,
		.progress_ctx = &pc,
	};
	enum hvo_exit x = svc_apply(fs, r->plan, &ao, &r->ar);
	r->applied = true;
	if (x != HVO_EXIT_OK) {
		result_set(r, "failed", x, "%s%s", r->ar.error,
			   r->ar.rolled_back ? " (the guest was left as it "
					       "was)"
					     : "");
		return;
	}
	result_set(r, "applied", HVO_EXIT_OK,
		   "%s %s installed: %zu files written, %zu registry changes%s",
		   r->plan->package, r->plan->version, r->ar.files_written,
		   r->ar.regs_changed,
		   r->plan->firstboot != SVC_FIRSTBOOT_NONE
			   ? "; DISM completes it at first boot"
			   : "");
}

static void image_json(const struct opts *o, const struct svc_facts *f,
		       const struct image_result *r, struct json_writer *w)
{
	hvo_int_json_begin_object(w);
	hvo_int_json_kv_string(w, "image", f->image);
	hvo_int_json_kv_string(w, "status", r->status);
	hvo_int_json_kv_int(w, "exit_code", r->exit);
	hvo_int_json_kv_string(w, "message", r->message);
	hvo_int_json_key(w, "windows");
	if (f->windows_found) {
		char v[32];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "product_name", f->product_name);
		snprintf(v, sizeof(v), "%u.%u", f->nt_major, f->nt_minor);
		hvo_int_json_kv_string(w, "version", v);
		hvo_int_json_kv_uint(w, "build", f->build);
		hvo_int_json_kv_string(w, "arch", f->arch);
		hvo_int_json_kv_uint(w, "current_control_set",
				     f->current_control_set);
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	hvo_int_json_key(w, "problems");
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < f->nproblems; i++) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "code", f->problems[i].code);
		hvo_int_json_kv_int(w, "exit_code", f->problems[i].exit);
		hvo_int_json_kv_string(w, "message", f->problems[i].message);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
	hvo_int_json_key(w, "package");
	if (r->pkg != NULL) {
		const struct pkg_package *p = r->pkg->pkg;
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "name", p->identity.name);
		hvo_int_json_kv_string(w, "version", p->identity.version);
		hvo_int_json_kv_string(w, "arch", p->identity.arch);
		hvo_int_json_kv_string(w, "identifier", p->identifier);
		hvo_int_json_kv_string(w, "cabinet", r->pkg->where);
		hvo_int_json_kv_string(w, "installed_version",
				       r->installed[0] ? r->installed : NULL);
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	hvo_int_json_key(w, "plan");
	if (r->plan != NULL && (o->dry_run || o->mode == MODE_VERIFY)) {
		hvo_int_json_begin_object(w);
		svc_plan_json(r->plan, w);
		hvo_int_json_end_object(w);
	} else if (r->plan != NULL) {
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_uint(w, "files", r->plan->nfiles);
		hvo_int_json_kv_uint(w, "registry_operations", r->plan->nregs);
		hvo_int_json_kv_uint(w, "deferred", r->plan->ndeferred);
		hvo_int_json_kv_string(w, "record", r->plan->record);
		hvo_int_json_kv_string(w, "staged_cabinet",
				       r->plan->staged_cab);
		hvo_int_json_kv_string(w, "firstboot",
				       svc_firstboot_name(r->plan->firstboot));
		hvo_int_json_kv_string(w, "firstboot_script",
				       r->plan->firstboot_script);
		hvo_int_json_end_object(w);
	} else {
		hvo_int_json_null(w);
	}
	if (o->mode == MODE_APPLY) {
		hvo_int_json_key(w, "result");
		if (r->applied) {
			hvo_int_json_begin_object(w);
			svc_apply_result_json(&r->ar, w);
			hvo_int_json_end_object(w);
		} else {
			hvo_int_json_null(w);
		}
	} else {
		hvo_int_json_key(w, "verify");
		if (r->verified) {
			hvo_int_json_begin_object(w);
			svc_verify_result_json(&r->vr, w);
			hvo_int_json_end_object(w);
		} else {
			hvo_int_json_null(w);
		}
	}
	hvo_int_json_end_object(w);
}

static void image_text(const struct opts *o, const struct svc_facts *f,
		       const struct image_result *r)
{
	printf("%s: %s: %s\n", f->image, r->status, r->message);
	if (r->plan != NULL && o->dry_run)
		svc_plan_text(r->plan, stdout);
	if (r->applied) {
		if (r->ar.guest_changed)
			printf("  record: %s\n", r->plan->record);
		for (size_t k = 0; k < r->ar.nwarnings; k++)
			printf("  warning: %s\n", r->ar.warnings[k]);
		for (size_t k = 0; k < r->ar.verify.ndiffs; k++)
			printf("  differs: %s: expected %s, found %s\n",
			       r->ar.verify.diffs[k].what,
			       r->ar.verify.diffs[k].expected,
			       r->ar.verify.diffs[k].found);
	}
	if (r->verified) {
		for (size_t k = 0; k < r->vr.ndiffs; k++)
			printf("  differs: %s: expected %s, found %s\n",
			       r->vr.diffs[k].what, r->vr.diffs[k].expected,
			       r->vr.diffs[k].found);
		if (r->vr.firstboot_done)
			printf("  first boot ran: %s\n",
			       r->vr.firstboot_status);
	}
}

/* Verifies the signature of the source cabinet at @path (shown as
 * @where): a refusal is an error naming the failure, a waived one
 * (--allow-unsigned) a loud warning. */
static enum hvo_exit cli_trust_check(struct cli_ctx *ctx,
				     const struct trust_opts *to,
				     const char *path, const char *where)
{
	char msg[1200];
	struct trust_verdict *v = NULL;
	enum hvo_exit rc = trust_check_cab(to, path, &v, msg, sizeof(msg));
	if (rc)
		cli_error(ctx, where, "%s", msg);
	else if (trust_verdict_waived(v, to))
		cli_warn(ctx, where,
			 "%s; ACCEPTED only because of "
			 "--allow-unsigned",
			 msg);
	else if (v)
		cli_debug(ctx, 1, "%s: signature trusted, signer %s", where,
			  v->signer ? v->signer : "?");
	trust_verdict_free(v);
	return rc;
}

/* Reads the source's cabinets as packages.  A cabinet that cannot be
 * read, or whose signature is refused (tampered, unsigned or untrusted,
 * unless --allow-unsigned), makes the whole source unusable (its exit
 * class is returned). */
static enum hvo_exit load_source(struct cli_ctx *ctx, struct svc_source *src,
				 struct guest_disk *iso, const char *tmpdir,
				 const struct trust_opts *to,
				 struct svc_source_package **pkgs_ret,
				 size_t *npkgs_ret)
{
	enum hvo_exit rc = HVO_EXIT_OK;
	if (svc_source_collect(src, iso, tmpdir) != 0) {
		cli_error(ctx, src->path, "%s", src->error);
		return HVO_EXIT_FAILED;
	}
	if (src->ncabs == 0) {
		cli_error(ctx, src->path, "no cabinet found");
		return HVO_EXIT_NOT_APPLICABLE;
	}
	if (svc_source_packages_load(src, pkgs_ret, npkgs_ret) != 0) {
		cli_error(ctx, src->path, "out of memory");
		return HVO_EXIT_FAILED;
	}
	for (size_t i = 0; i < *npkgs_ret; i++) {
		struct svc_source_package *p = &(*pkgs_ret)[i];
		if (p->pkg != NULL) {
			rc = hvo_exit_max(rc, cli_trust_check(ctx, to,
							      src->cabs[i].path,
							      p->where));
			continue;
		}
		char msg[700];
		cli_error(ctx, p->where, "%s",
			  pkg_error_format(&p->error, msg, sizeof(msg)));
		rc = hvo_exit_max(rc, pkg_exit_class(&p->error));
	}
	return rc;
}

static enum hvo_exit run_command(struct cli_ctx *ctx, int argc, char **argv,
				 enum mode mode)
{
	enum {
		OPT_SOURCE = 0x100,
		OPT_DRY_RUN,
		OPT_FORCE,
		OPT_NO_FIRSTBOOT,
	};
	static const struct option apply_opts[] = {
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "no-firstboot", no_argument, NULL, OPT_NO_FIRSTBOOT },
		CLI_LAUNCH_LONGOPTS,
		TRUST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct option verify_opts[] = {
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "no-firstboot", no_argument, NULL, OPT_NO_FIRSTBOOT },
		CLI_LAUNCH_LONGOPTS,
		TRUST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .mode = mode };
	struct svc_run_opts ro = {
		.guest = { .event = on_event, .event_ctx = ctx },
	};
	const char *source = NULL;
	struct trust_opts to = { 0 };
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "",
			       mode == MODE_APPLY ? apply_opts
						  : verify_opts)) != -1) {
		if (trust_opts_parse(&to, c, optarg))
			continue;
		switch (c) {
		case OPT_SOURCE:
			source = optarg;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case OPT_NO_FIRSTBOOT:
			o.no_firstboot = true;
			break;
		case 'h':
			fputs(mode == MODE_APPLY ? cmd_apply_help
						 : cmd_verify_help,
			      stdout);
			return HVO_EXIT_OK;
		default:
			switch (cli_launch_option(ctx, c, optarg,
						  &ro.guest.launch)) {
			case 1:
				continue;
			case -1:
				return HVO_EXIT_USAGE;
			}
			return HVO_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no image given");
	if (source == NULL)
		return cli_usage(ctx, "--source is required");

	struct svc_source src = { 0 };
	if (svc_source_open(source, &src) != 0) {
		cli_error(ctx, source, "%s", src.error);
		svc_source_free(&src);
		return HVO_EXIT_FAILED;
	}
	if (src.kind == SVC_SOURCE_ISO) {
		ro.isos = (const char *const *)&src.path;
		ro.nisos = 1;
	}
	size_t n = (size_t)(argc - optind);
	const char *const *images = (const char *const *)argv + optind;
	struct svc_facts *facts = calloc(n, sizeof(*facts));
	struct image_result *res = calloc(n, sizeof(*res));
	char *tmpdir = NULL;
	int e = facts && res ? hvo_int_tmpdir_create(
				       mode == MODE_APPLY ? "apply" : "verify",
				       &tmpdir)
			     : ENOMEM;
	if (e != 0) {
		free(facts);
		free(res);
		svc_source_free(&src);
		cli_error(ctx, NULL, "cannot make a scratch directory: %s",
			  strerror(e));
		return HVO_EXIT_FAILED;
	}
	ro.tmpdir = tmpdir;
	ro.writable = mode == MODE_APPLY && !o.dry_run;

	/* A cabinet or a directory is read before anything is launched: a
	 * source that cannot be used stops the run with every image
	 * untouched.  vmguest.iso is read inside the launch. */
	enum hvo_exit source_rc = HVO_EXIT_OK;
	struct svc_source_package *pkgs = NULL;
	size_t npkgs = 0;
	bool source_read = false;
	if (src.kind != SVC_SOURCE_ISO) {
		source_rc = load_source(ctx, &src, NULL, tmpdir, &to, &pkgs,
					&npkgs);
		source_read = true;
	}

	cli_info(ctx, "%s %zu image%s",
		 mode == MODE_APPLY ? "servicing" : "verifying", n,
		 n == 1 ? "" : "s");
	struct svc_run run = { 0 };
	int r = 0;
	enum hvo_exit rc = HVO_EXIT_OK;
	if (source_rc == HVO_EXIT_OK) {
		r = svc_inspect_images(&ro, images, n, facts, &run);
		if (r != 0) {
			cli_error(ctx, "appliance", "launch failed: %s",
				  run.error);
			rc = HVO_EXIT_FAILED;
		}
	} else {
		for (size_t i = 0; i < n; i++)
			svc_facts_init(&facts[i], images[i]);
	}
	const struct guest_launch_result *lr =
		run.session ? guest_session_launch_result(run.session) : NULL;
	unsigned launches =
		run.session ? guest_session_launches(run.session) : 0;
	const char *accel = lr && launches ? guest_accel_name(lr->accel) : NULL;
	bool fell_back = lr && lr->fell_back;

	if (r == 0 && source_rc == HVO_EXIT_OK && !source_read) {
		struct guest_disk *iso = guest_session_disk(
			run.session, (size_t)run.iso_disk[0]);
		source_rc =
			load_source(ctx, &src, iso, tmpdir, &to, &pkgs, &npkgs);
	}

	for (size_t i = 0; i < n; i++) {
		struct image_result *ir = &res[i];
		if (source_rc != HVO_EXIT_OK) {
			/* A source that cannot be read fully is not used at
			 * all: the images stay untouched. */
			result_set(ir, "failed", source_rc,
				   "the source %s cannot be used", source);
		} else if (r != 0) {
			result_set(ir, "failed", HVO_EXIT_FAILED,
				   "the appliance did not start: %s",
				   run.error);
		} else {
			service_image(ctx, &o, &run, i, &facts[i], pkgs, npkgs,
				      tmpdir, ir);
		}
		if (ir->exit != HVO_EXIT_OK)
			cli_error(ctx, facts[i].image, "%s: %s", ir->status,
				  ir->message);
		else
			cli_log(ctx, "INFO", "%s: %s: %s", facts[i].image,
				ir->status, ir->message);
	}

	if (svc_run_close(&run) != 0) {
		/* After writes, an unclean shutdown may have lost them. */
		cli_error(ctx, "appliance", "did not shut down cleanly");
		for (size_t i = 0; i < n; i++)
			if (res[i].applied && res[i].ar.guest_changed)
				result_set(&res[i], "failed", HVO_EXIT_FAILED,
					   "the appliance did not shut down "
					   "cleanly after writing");
	}
	for (size_t i = 0; i < n; i++)
		rc = hvo_exit_max(rc, res[i].exit);

	if (ctx->json) {
		struct json_writer w;
		cli_json_begin(ctx, &w);
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "command",
				       mode == MODE_APPLY ? "apply" : "verify");
		hvo_int_json_kv_string(&w, "status",
				       rc == HVO_EXIT_OK ? "ok" : "problems");
		hvo_int_json_kv_int(&w, "exit_code", rc);
		hvo_int_json_kv_bool(&w, "dry_run", o.dry_run);
		hvo_int_json_key(&w, "appliance");
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_uint(&w, "launches", launches);
		hvo_int_json_kv_string(&w, "accelerator", accel);
		hvo_int_json_kv_bool(&w, "fell_back", fell_back);
		hvo_int_json_end_object(&w);
		hvo_int_json_key(&w, "source");
		hvo_int_json_begin_object(&w);
		hvo_int_json_kv_string(&w, "path", source);
		hvo_int_json_kv_string(&w, "kind",
				       svc_source_kind_name(src.kind));
		hvo_int_json_key(&w, "cabinets");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < src.ncabs; i++)
			hvo_int_json_string(&w, src.cabs[i].where);
		hvo_int_json_end_array(&w);
		hvo_int_json_end_object(&w);
		hvo_int_json_key(&w, "images");
		hvo_int_json_begin_array(&w);
		for (size_t i = 0; i < n; i++)
			image_json(&o, &facts[i], &res[i], &w);
		hvo_int_json_end_array(&w);
		hvo_int_json_end_object(&w);
		rc = cli_json_end(ctx, &w, rc);
	} else {
		for (size_t i = 0; i < n; i++)
			image_text(&o, &facts[i], &res[i]);
	}

	for (size_t i = 0; i < n; i++) {
		svc_plan_free(res[i].plan);
		if (res[i].applied)
			svc_apply_result_free(&res[i].ar);
		if (res[i].verified)
			svc_verify_result_free(&res[i].vr);
		svc_facts_free(&facts[i]);
	}
	free(res);
	free(facts);
	svc_source_packages_free(pkgs, npkgs);
	svc_source_free(&src);
	hvo_int_tmpdir_remove(tmpdir);
	free(tmpdir);
	return rc;
}

enum hvo_exit cmd_apply(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_command(ctx, argc, argv, MODE_APPLY);
}

enum hvo_exit cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_command(ctx, argc, argv, MODE_VERIFY);
}

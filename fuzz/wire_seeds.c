/*
 * wire_seeds.c - fuzz_wire's seeds from real runs: runs one session
 * command on real images with the native backend, a sandboxed child per
 * image, and keeps each child's bytes as they reached the parent
 * (session_child.c is built into this program with HVO_TEST_HOOKS, whose
 * HVOFFLINE_TEST_WIRE_DUMP writes them to PREFIX-N).
 *
 *   wire_seeds PREFIX inspect|apply|dry-run|verify [CABINET] IMAGE...
 *
 * The time of the run is fuzz_wire's (the parent rebuilds the plan from
 * the facts, the package and the time), and so is the package: the 6.2
 * x64 cabinet of the fixtures.  fuzz/corpus/wire-seeds.sh runs it over
 * the scenarios of the corpus.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/session.h"

#define FUZZ_WIRE_NOW 1765000000

static void on_notice(void *ctx, enum svc_notice kind, const char *object,
		      const char *msg)
{
	(void)ctx;
	if (kind == SVC_NOTICE_ERROR || kind == SVC_NOTICE_RESULT)
		fprintf(stderr, "  %s: %s\n", object ? object : "-", msg);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
			"usage: %s PREFIX inspect|apply|dry-run|verify "
			"[CABINET] IMAGE...\n",
			argv[0]);
		return 2;
	}
	const char *cmd = argv[2];
	struct svc_session_opts o = { .backend = "native",
				      .jobs = 1,
				      .now = FUZZ_WIRE_NOW,
				      .notice = on_notice };
	int first = 4;
	if (strcmp(cmd, "inspect") == 0) {
		o.command = SVC_COMMAND_INSPECT;
		first = 3;
	} else if (strcmp(cmd, "apply") == 0) {
		o.command = SVC_COMMAND_APPLY;
	} else if (strcmp(cmd, "dry-run") == 0) {
		o.command = SVC_COMMAND_APPLY;
		o.dry_run = true;
	} else if (strcmp(cmd, "verify") == 0) {
		o.command = SVC_COMMAND_VERIFY;
	} else {
		fprintf(stderr, "%s: unknown command %s\n", argv[0], cmd);
		return 2;
	}
	if (setenv("HVOFFLINE_TEST_WIRE_DUMP", argv[1], 1) != 0)
		return 1;
	struct svc_session *s = NULL;
	if (svc_session_new(&o, &s) != SVC_OK)
		return 1;
	if (first == 4 &&
	    (argc < 5 || svc_session_set_source(s, argv[3]) != SVC_OK)) {
		fprintf(stderr, "%s: a cabinet and an image are needed\n",
			argv[0]);
		svc_session_free(s);
		return 2;
	}
	for (int i = first; i < argc; i++)
		if (svc_session_add_image(s, argv[i]) != SVC_OK) {
			svc_session_free(s);
			return 1;
		}
	enum svc_err e =
		o.command == SVC_COMMAND_INSPECT ? svc_session_inspect(s)
		: o.command == SVC_COMMAND_APPLY ? svc_session_apply(s)
						 : svc_session_verify(s);
	int rc = e == SVC_OK ? (int)svc_session_exit(s) : 1;
	for (int i = first; i < argc; i++) {
		const struct svc_image_result *r =
			svc_session_image(s, (size_t)(i - first));
		printf("%s-%d %s %s exit %d\n", argv[1], i - first, cmd,
		       svc_status_name(r->status), r->exit);
	}
	svc_session_free(s);
	return rc;
}

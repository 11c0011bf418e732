/*
 * fuzz_wire.c - what a sandboxed child sends its parent
 * (src/servicing/session_wire.c), on arbitrary bytes: a compromised child
 * may send anything, and the parent decodes it.
 *
 * The parent holds the real 6.2 x64 package (as the seeds did: their
 * results refer to it by index, and their plans are rebuilt from it).
 * Invariants: decoding either gives a result or says why; a decoded
 * result encodes again to bytes that decode to the same result.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicing/session_int.h"
#include "tests/lib/hvotest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct svc_image_result *a,
		 const struct svc_image_result *b)
{
	if (a->status != b->status || a->exit != b->exit ||
	    a->verified != b->verified ||
	    a->facts.nvolumes != b->facts.nvolumes ||
	    a->facts.npackages != b->facts.npackages ||
	    a->facts.nproblems != b->facts.nproblems ||
	    strcmp(a->facts.image, b->facts.image) != 0 ||
	    (a->message == NULL) != (b->message == NULL) ||
	    (a->message && strcmp(a->message, b->message) != 0) ||
	    (a->verified && a->verify.ndiffs != b->verify.ndiffs) ||
	    a->applied != b->applied ||
	    (a->applied && (a->apply.nfiles != b->apply.nfiles ||
			    a->apply.nregs != b->apply.nregs)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct svc_session *s;
	if (s == NULL) {
		struct svc_session_opts o = { .command = SVC_COMMAND_VERIFY,
					      .now = 1765000000 };
		if (svc_session_new(&o, &s) != SVC_OK ||
		    svc_session_set_source(
			    s, hvo_fixture("ic/Windows6.2-HyperVIntegration"
					   "Services-x64.cab")) != SVC_OK ||
		    svc_int_session_read_source(s) != HVO_EXIT_OK)
			abort();
	}
	struct svc_image_result r = { .image = "fuzz.vhdx" };
	char why[200] = "";
	if (svc_int_unwire(s, &r, (const char *)data, size, why, sizeof(why)) !=
	    0) {
		if (why[0] == '\0')
			abort();
	} else {
		struct svc_wire w = { 0 };
		svc_int_wire_result(&w, &r, s);
		if (w.failed || fclose(w.f) != 0)
			abort();
		struct svc_image_result r2 = { .image = "fuzz.vhdx" };
		if (svc_int_unwire(s, &r2, w.buf, w.len, why, sizeof(why)) != 0)
			abort();
		same(&r, &r2);
		svc_int_session_result_free(&r2);
		free(w.buf);
	}
	svc_int_session_result_free(&r);
	return 0;
}

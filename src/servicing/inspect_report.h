/*
 * inspect_report.h - inspection facts as JSON and as text.
 */
#ifndef HVO_SERVICING_INSPECT_REPORT_H
#define HVO_SERVICING_INSPECT_REPORT_H

#include <stdio.h>

#include "servicing/inspect.h"
#include "util/json.h"

/* Writes the members of one image's report into the object @w has open. */
void svc_facts_json(const struct svc_facts *f, struct json_writer *w);

/* Internal: the "problems" member (code, exit_code, message of each). */
void svc_int_problems_json(const struct svc_facts *f, struct json_writer *w);

/* Writes a human-readable summary. */
void svc_facts_text(const struct svc_facts *f, FILE *out);

#endif /* HVO_SERVICING_INSPECT_REPORT_H */

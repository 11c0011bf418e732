/*
 * report.h - rendering of the VHDX model for the CLI: the format of an
 * image (`vhdx info`) and a check report (`vhdx check`), as text or JSON.
 *
 * Not installed: it uses the project's JSON writer (util/json.h).  The
 * library never prints on its own; these write where the caller says.
 */
#ifndef HVO_VHDX_REPORT_H
#define HVO_VHDX_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "util/json.h"
#include "vhdx/vhdx.h"

/* "fixed", "dynamic", "differencing" (static). */
const char *vhdx_int_type_name(enum vhdx_type t);
/* "clean", "replayed-in-memory", "replayed", "empty" (static). */
const char *vhdx_int_log_state_name(enum vhdx_log_state s);

/* One image of a chain as a JSON object / as indented text lines. */
void vhdx_int_report_info_json(struct json_writer *w,
			       const struct vhdx_image *img);
void vhdx_int_report_info_text(FILE *out, const struct vhdx_image *img);

/* The members of a check report inside the caller's JSON object
 * (problems, warnings, blocks, leak, log, parents). */
void vhdx_int_report_check_json(struct json_writer *w,
				const struct vhdx_image *img,
				const struct vhdx_check_report *rep);
/* The report as text lines, ending with "<path>: <verdict>"; @repaired
 * is what vhdx_reclaim() truncated (0 without --repair). */
void vhdx_int_report_check_text(FILE *out, const char *path,
				const struct vhdx_check_report *rep,
				uint64_t repaired);

#endif /* HVO_VHDX_REPORT_H */

/*
 * report.h - a CBS package rendered for people and scripts (internal: the
 * CLI's `package info` calls it; the JSON writer is util/json.h).
 *
 *   report_driver.c  a driver update: INF version, models, install
 *                    sections, registry data
 *   report.c         the package, its updates and files (calls the above)
 */
#ifndef HVO_PACKAGE_REPORT_H
#define HVO_PACKAGE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "package/package.h"
#include "util/json.h"

/* report.c */

/* The target a report uses by default: the package's architecture and the
 * lowest NT version among its parents (the oldest Windows it applies
 * to); NT 10.0 for a package without parents. */
void pkg_int_default_target(const struct pkg_package *p, struct pkg_target *t);

/* The package's members ("package", "identifier", ..., "updates",
 * "files") into the JSON object open in @w.  @drv[i] is update i's
 * resolved driver, or NULL (as is @drv). */
void pkg_int_report_json(struct json_writer *w, const struct pkg_package *p,
			 const struct pkg_target *t,
			 struct pkg_driver *const *drv);

/* The same as text, to @out. */
void pkg_int_report_text(FILE *out, const struct pkg_package *p,
			 const struct pkg_target *t,
			 struct pkg_driver *const *drv);

/* Members "name", "version", ... of an identity. */
void pkg_int_report_identity_json(struct json_writer *w,
				  const struct pkg_identity *id);

/* report_driver.c */

/* A registry value's data: type and value (@inf: as an INF spells it). */
void pkg_int_report_reg_data_json(struct json_writer *w,
				  const struct pkg_reg_data *d, bool inf);
void pkg_int_report_reg_data_text(FILE *out, const struct pkg_reg_data *d,
				  bool inf);

/* A resolved driver: member "driver" of the open object, or text. */
void pkg_int_report_driver_json(struct json_writer *w,
				const struct pkg_driver *d);
void pkg_int_report_driver_text(FILE *out, const struct pkg_driver *d);

#endif /* HVO_PACKAGE_REPORT_H */

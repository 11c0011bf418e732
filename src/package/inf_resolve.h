/*
 * inf_resolve.h - what the files of INF resolution share (internal to
 * src/package; see inf_resolve.c).
 *
 * Files, each calling only those listed before it:
 *   inf_rctx.c        helpers, deferral, Needs=
 *   inf_models.c      [Manufacturer], models, decorations
 *   inf_addreg.c      AddReg
 *   inf_copyfiles.c   CopyFiles, [DestinationDirs]
 *   inf_services.c    AddService
 *   inf_resolve.c     DDInstall, [Version], pkg_inf_resolve()
 */
#ifndef HVO_PACKAGE_INF_RESOLVE_H
#define HVO_PACKAGE_INF_RESOLVE_H

#include "package/internal.h"

struct rctx {
	struct pkg_arena *arena;
	const struct pkg_inf *inf;
	const struct pkg_target *t;
	struct pkg_error *err;
	const char *file;
	const struct pkg_inf_section *destdirs;
	/* The INF has Include= entries: a section it names that is not in
	 * this file may be in an included one, so it is deferred, not an
	 * error. */
	bool includes;
	/* Sections being expanded through Needs=, to catch cycles. */
	const struct pkg_inf_section *stack[PKG_INF_MAX_NEEDS_DEPTH + 1];
	size_t depth;
};

/* What an install section's directives are collected into. */
struct install_acc {
	struct pkg_int_vec copies, regs, services, deferred;
	bool null_service;
};

/* inf_rctx.c */
enum pkg_err pkg_int_rctx_nomem(struct rctx *r);
/* @raw with %strkey% substituted, as text or as a template. */
char *pkg_int_rctx_text(struct rctx *r, const char *raw, unsigned line);
char *pkg_int_rctx_tmpl(struct rctx *r, const char *raw, unsigned line);
/* The fields of a list directive (AddReg=, CopyFiles=, Needs=), each
 * substituted, the empty ones dropped, in an arena array. */
struct rctx_names {
	char **v;
	size_t n;
};
enum pkg_err pkg_int_rctx_names(struct rctx *r, const struct pkg_inf_line *ln,
				struct rctx_names *out);
/* Field @i of @ln, or "". */
const char *pkg_int_rctx_field(const struct pkg_inf_line *ln, size_t i);
/* A numeric field after substitution ("%SERVICE_BOOT_START%" -> 0). */
enum pkg_err pkg_int_rctx_number(struct rctx *r, const char *raw, unsigned line,
				 const char *what, uint32_t *out);
/* Records in @v that @directive of @section is not executed offline. */
enum pkg_err pkg_int_rctx_defer(struct rctx *r, struct pkg_int_vec *v,
				const char *section, const char *directive,
				const struct pkg_inf_line *ln,
				const char *reason);
/* Defers a line we do not execute, with the reason for its directive. */
enum pkg_err pkg_int_rctx_defer_line(struct rctx *r, struct install_acc *acc,
				     const struct pkg_inf_section *s,
				     const struct pkg_inf_line *ln);
/* Enters section @s through Needs=, refusing cycles and deep nesting. */
enum pkg_err pkg_int_rctx_push_needs(struct rctx *r,
				     const struct pkg_inf_section *s,
				     unsigned line);
/* Needs=a,b: each section of this INF processed with @fn. */
enum pkg_err pkg_int_rctx_needs(
	struct rctx *r, const struct pkg_inf_section *s,
	const struct pkg_inf_line *ln, struct install_acc *acc,
	enum pkg_err (*fn)(struct rctx *, const struct pkg_inf_section *,
			   struct install_acc *));

/* inf_models.c: the driver's manufacturers and their models. */
enum pkg_err pkg_int_inf_read_manufacturers(struct rctx *r,
					    struct pkg_driver *drv);

/* inf_addreg.c: AddReg=a,b of section @section into @regs. */
enum pkg_err pkg_int_inf_add_regs(struct rctx *r, const struct pkg_inf_line *ln,
				  const char *section,
				  enum pkg_inf_regctx context,
				  struct pkg_int_vec *regs,
				  struct pkg_int_vec *deferred);

/* inf_copyfiles.c: CopyFiles=... of section @section into @out. */
enum pkg_err pkg_int_inf_copy_files(struct rctx *r,
				    const struct pkg_inf_line *ln,
				    const char *section,
				    struct pkg_int_vec *out,
				    struct pkg_int_vec *deferred);

/* inf_services.c: a DDInstall.Services section into @acc. */
enum pkg_err pkg_int_inf_service_section(struct rctx *r,
					 const struct pkg_inf_section *s,
					 struct install_acc *acc);

#endif /* HVO_PACKAGE_INF_RESOLVE_H */

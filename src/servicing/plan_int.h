/*
 * plan_int.h - what the files of the planner share (internal).
 *
 * Every string and buffer of a plan is allocated through the plan's own
 * pool (pl_*), which svc_plan_free() releases in one go; an allocation
 * that fails marks the plan and the builder reports PKG_ERR_NOMEM once at
 * the end, so the code that builds operations stays linear.
 */
#ifndef HVO_SERVICING_PLAN_INT_H
#define HVO_SERVICING_PLAN_INT_H

#include <stdarg.h>

#include "servicing/plan.h"

struct plan_build {
	struct svc_plan *plan;
	const struct svc_facts *facts;
	const struct pkg_package *pkg;
	const struct svc_source_package *sp;
	const struct svc_plan_opts *opts;
	struct pkg_windows_paths paths;	    /* "C:\Windows" */
	struct pkg_windows_paths paths_wow; /* for wow64 components */
	size_t cap_files, cap_regs, cap_deferred, cap_notes;
	void **pool;
	size_t npool, cap_pool;
	bool oom;
	struct pkg_error *err;
};

void *svc_int_plan_alloc(struct plan_build *b, size_t size);
char *svc_int_plan_strdup(struct plan_build *b, const char *s);
char *svc_int_plan_printf(struct plan_build *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Takes ownership of a malloc'd block (freed with the plan). */
void *svc_int_plan_own(struct plan_build *b, void *p);

/* Appends operations (copied; strings must already be pool-owned). */
void svc_int_plan_add_file(struct plan_build *b, const struct svc_plan_file *f);
void svc_int_plan_add_reg(struct plan_build *b, const struct svc_plan_reg *r);
void svc_int_plan_defer(struct plan_build *b, const char *reason,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void svc_int_plan_note(struct plan_build *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Registry operations built from typed values. */
void svc_int_plan_set_sz(struct plan_build *b, enum svc_hive hive,
			 const char *key, const char *name, uint32_t type,
			 const char *text, const char *origin);
void svc_int_plan_set_dword(struct plan_build *b, enum svc_hive hive,
			    const char *key, const char *name, uint32_t v,
			    const char *origin);
void svc_int_plan_set_multi(struct plan_build *b, enum svc_hive hive,
			    const char *key, const char *name,
			    const char *const *strs, size_t n,
			    const char *origin);
void svc_int_plan_set_bin(struct plan_build *b, enum svc_hive hive,
			  const char *key, const char *name, uint32_t type,
			  const void *data, size_t len, const char *origin);

/* The first-boot step (firstboot.c). */
enum pkg_err svc_plan_firstboot(struct plan_build *b);

/* The text of the first-boot script for a plan (firstboot.c; caller
 * frees).  Exposed for the tests. */
char *svc_firstboot_script(const struct svc_plan *plan,
			   enum svc_firstboot_kind kind);

#endif /* HVO_SERVICING_PLAN_INT_H */

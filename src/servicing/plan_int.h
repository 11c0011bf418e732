/*
 * plan_int.h - what the files of the planner share (internal).
 *
 *   plan_pool.c       the pool and the operation lists (calls none of the
 *                     others)
 *   plan_ops.c        registry values, keys, expansion, guest paths, files
 *   plan_driver.c     <driver> updates
 *   plan_component.c  <component> updates
 *   plan_merge.c      duplicates merged
 *   firstboot.c       the first-boot step
 *   plan.c            svc_plan_build() and the plan's accessors
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

/* SPSVCINST_* flags of AddService (setupapi.h). */
#define SPSVCINST_ASSOCSERVICE		 0x00000002u
#define SPSVCINST_NOCLOBBER_DISPLAYNAME	 0x00000100u
#define SPSVCINST_NOCLOBBER_STARTTYPE	 0x00000200u
#define SPSVCINST_NOCLOBBER_ERRORCONTROL 0x00000400u
#define SPSVCINST_NOCLOBBER_LOADORDERGRP 0x00000800u
#define SPSVCINST_NOCLOBBER_DEPENDENCIES 0x00001000u
#define SPSVCINST_NOCLOBBER_DESCRIPTION	 0x00002000u

/* Service types of kernel drivers (winnt.h SERVICE_KERNEL_DRIVER,
 * SERVICE_FILE_SYSTEM_DRIVER, SERVICE_RECOGNIZER_DRIVER). */
#define SERVICE_DRIVER_MASK 0x0000000bu

/* VER_NT_WORKSTATION / VER_NT_SERVER (winnt.h), for decorations. */
#define VER_NT_WORKSTATION 1u
#define VER_NT_SERVER	   3u

#define SYSTEM_DRIVE	   "C:"

/* Expands the strings of a value: $(runtime.*) for manifests, DIRIDs and
 * "%%" for INF templates. */
enum expand { EXPAND_RUNTIME, EXPAND_INF };

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

/* ---- plan_ops.c ---- */

enum pkg_err svc_int_plan_component(struct plan_build *b,
				    const struct pkg_manifest *m);
char *svc_int_plan_service_key(struct plan_build *b, const char *name);
enum pkg_err svc_int_plan_driver(struct plan_build *b,
				 const struct pkg_update *u);
void svc_int_plan_merge_files(struct plan_build *b);
void svc_int_plan_merge_regs(struct svc_plan *p);
bool svc_int_plan_machine_key(struct plan_build *b, const char *path,
			      enum svc_hive *hive_ret, char **key_ret);
bool svc_int_plan_value(struct plan_build *b, enum svc_hive hive,
			const char *key, const char *name,
			const struct pkg_reg_data *d, enum expand how,
			const struct pkg_windows_paths *paths,
			const char *origin, bool noclobber, bool only_existing);
char *svc_int_plan_expand(struct plan_build *b, enum expand how, const char *s,
			  const struct pkg_windows_paths *paths);
char *svc_int_plan_guest_path(struct plan_build *b, const char *win);
char *svc_int_plan_join(struct plan_build *b, const char *dir,
			const char *name);
enum pkg_err svc_int_plan_cab_file(struct plan_build *b, const char *entry,
				   const char *dest, enum svc_file_role role,
				   const char *origin);
void svc_int_plan_add_key(struct plan_build *b, enum svc_hive hive,
			  const char *key, const char *origin);
void svc_int_plan_add_list(struct plan_build *b, enum svc_reg_kind kind,
			   enum svc_hive hive, const char *key,
			   const char *name, uint32_t type, const char *entry,
			   const char *origin);
void svc_int_plan_file(struct plan_build *b, const char *dest,
		       enum svc_file_role role, const struct pkg_file *pf,
		       const char *origin);

/* The first-boot step (firstboot.c). */
enum pkg_err svc_plan_firstboot(struct plan_build *b);

/* The text of the first-boot script for a plan (firstboot.c; caller
 * frees).  Exposed for the tests. */
char *svc_firstboot_script(const struct svc_plan *plan,
			   enum svc_firstboot_kind kind);

#endif /* HVO_SERVICING_PLAN_INT_H */

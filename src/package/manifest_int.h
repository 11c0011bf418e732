/*
 * manifest_int.h - what the readers of assembly manifests share (internal
 * to src/package; see manifest.c).
 *
 * Files, each calling only those listed before it:
 *   manifest_xml.c       elements, attributes, identities, ->unmodelled
 *   manifest_registry.c  <registryKeys>
 *   manifest.c           component manifests, pkg_manifest_parse()
 *   mum.c                update.mum, pkg_mum_parse()
 */
#ifndef HVO_PACKAGE_MANIFEST_INT_H
#define HVO_PACKAGE_MANIFEST_INT_H

#include "package/internal.h"

struct ctx {
	struct pkg_arena *arena;
	const char *file;
	struct pkg_error *err;
	struct pkg_int_vec unmodelled;
};

#define NOMEM(c) \
	pkg_int_fail((c)->err, PKG_ERR_NOMEM, (c)->file, 0, "out of memory")

/* manifest_xml.c */

/* Whether element @n is <@name> (local name). */
bool pkg_int_mf_is(const struct pkg_int_xnode *n, const char *name);
/* Records element @n (and what is below it) as not modelled. */
enum pkg_err pkg_int_mf_unmodelled(struct ctx *c,
				   const struct pkg_int_xnode *n);
/* Attribute @name of @n, or NULL. */
const char *pkg_int_mf_attr(struct ctx *c, const struct pkg_int_xnode *n,
			    const char *name);
/* An <assemblyIdentity> into @id (its version required if @need_version). */
enum pkg_err pkg_int_mf_read_identity(struct ctx *c,
				      const struct pkg_int_xnode *n,
				      struct pkg_identity *id,
				      bool need_version);
/* The <assemblyIdentity> child of @n into @id, required. */
enum pkg_err pkg_int_mf_child_identity(struct ctx *c,
				       const struct pkg_int_xnode *n,
				       struct pkg_identity *id);
/* Splits "a,b,c" (spaces trimmed, empty items dropped) into the arena. */
enum pkg_err pkg_int_mf_split_list(struct ctx *c, const char *s,
				   const char *const **v_ret, size_t *n_ret);
/*
 * The start that update.mum and component manifests share: sets up @c,
 * parses @buf (hardened XML), checks the root is <assembly> and allocates
 * the (zeroed) model object of @size in the arena.
 */
enum pkg_err pkg_int_mf_begin(struct ctx *c, struct pkg_arena *arena,
			      const void *buf, size_t len, const char *file,
			      struct pkg_error *err, size_t size,
			      struct pkg_int_xnode **root_ret, void **obj_ret);

/* manifest_registry.c: a <registryKeys> element into @man. */
enum pkg_err pkg_int_mf_read_reg_keys(struct ctx *c,
				      const struct pkg_int_xnode *n,
				      struct pkg_int_vec *keys);

#endif /* HVO_PACKAGE_MANIFEST_INT_H */

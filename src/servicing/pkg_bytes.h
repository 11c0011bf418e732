/*
 * pkg_bytes.h - the source packages' entries decoded once per run, in
 * the parent, before it forks the sandboxed children: each child that
 * extracts the package (apply) writes those bytes, inherited, instead of
 * decoding the cabinet again (LZX: the bulk of an extraction's CPU).
 *
 * Held only up to a total (SVC_PKG_BYTES_MAX): a package larger than that
 * (a cumulative update of gigabytes) is decoded by each child, as before,
 * and never costs the parent or the children that much memory.
 */
#ifndef HVO_SERVICING_PKG_BYTES_H
#define HVO_SERVICING_PKG_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "package/package.h"

/* The most decoded bytes held, all packages together. */
#define SVC_PKG_BYTES_MAX (256ull << 20)

/*
 * Decodes every entry of @pkg's cabinet into memory, unless it is held
 * already or would take the total held past SVC_PKG_BYTES_MAX.  True when
 * @pkg's entries are held afterwards; false (nothing held for it) when
 * they are not: too large, out of memory, or a decoding error (which the
 * child's own extraction then reports as it always did).
 */
bool svc_int_pkg_bytes_load(const struct pkg_package *pkg);

/* Entry @index of @pkg, if held: its bytes and length. */
const uint8_t *svc_int_pkg_bytes_get(const struct pkg_package *pkg,
				     size_t index, size_t *len_ret);

/* Drops everything held. */
void svc_int_pkg_bytes_free(void);

#endif

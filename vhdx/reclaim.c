/*
 * reclaim.c - space past the last referenced region: what an interrupted
 * allocation leaves, and how it comes back.
 *
 * A new block is allocated at the end of the file and becomes visible
 * only when its BAT entry is committed through the log (write.c).  A
 * writer killed (or a machine that lost power) between the two leaves
 * the file longer than anything in it refers to.  Nothing is wrong with
 * such a file, but the space is lost for good if later writes allocate
 * after it, so:
 *
 *   - the first allocation of a write session starts from the end of the
 *     last referenced region (header section, log, BAT, metadata, every
 *     block and sector bitmap the BAT maps, and what this session
 *     allocated), truncating the file there first; and
 *   - vhdx_reclaim() (`vhdx check --repair`) truncates it on demand.
 *
 * Why truncating is crash-safe: a writable open has replayed the log in
 * place, so the BAT on disk is the whole truth, and every block this
 * session allocated is claimed in the in-memory bitmap before a byte of
 * it is written.  What lies past the end of the claims is referenced by
 * nothing durable or pending, so the file with or without it is the same
 * image; a crash on either side of the truncation leaves a valid file.
 * The truncation also makes the reused range read as zeros again, which
 * a new block relies on (its unwritten sectors must read as zeros).
 *
 * Space between referenced regions (other writers leave such gaps: the
 * Hyper-V fixture has 30 MiB of them) is not touched: it is counted by
 * vhdx_check() as unreferenced, not leaked.
 */
#include <config.h>

#include <errno.h>
#include <unistd.h>

#include "vhdx/internal.h"

enum vhdx_err vhdx_int_referenced_end(struct vhdx_image *img, uint64_t *end_ret)
{
	/* Every block's claim is made when its BAT page is validated. */
	enum vhdx_err r = vhdx_int_bat_validate_all(img);
	if (r != VHDX_OK)
		return r;
	uint64_t u = img->used_mb_bits;
	while (u > 0 && !vhdx_int_claimed(img, (u - 1) * VHDX_MiB))
		u--;
	*end_ret = u * VHDX_MiB;
	return VHDX_OK;
}

enum vhdx_err vhdx_int_reclaim_tail(struct vhdx_image *img, uint64_t *freed_ret)
{
	*freed_ret = 0;
	img->tail_checked = true;
	uint64_t end;
	enum vhdx_err r = vhdx_int_referenced_end(img, &end);
	if (r != VHDX_OK || img->file_size <= end)
		return r;
	if (ftruncate(img->fd, (off_t)end) != 0)
		return vhdx_int_fail_errno(img, errno,
					   "truncate the unreferenced space "
					   "past %#llx",
					   (unsigned long long)end);
	VHDX_INT_IO(VHDX_INT_IO_SIZE, NULL, 0, end);
	*freed_ret = img->file_size - end;
	img->file_size = end;
	img->eff_size = end;
	img->unsynced = true;
	return VHDX_OK;
}

/*
 * plugin.c - nbdkit-hvoffline-plugin: any VHDX, Hyper-V checkpoints
 * (differencing .avhdx with their parent chain), 4 KiB logical sectors and
 * dirty logs included, as an NBD export, through vhdx/.
 *
 *   nbdkit hvoffline file=vm.avhdx [parent=base.vhdx] [readonly=true]
 *
 * One image per server.  It is opened in .get_ready, before nbdkit forks
 * or serves anything, and closed in .cleanup/.unload: the image lock of
 * vhdx/ (flock, plus qemu's OFD lock bytes; see vhdx/lock.c) is held for
 * the whole life of the export, so a second writer (qemu, qemu-nbd,
 * another hvoffline or nbdkit) is refused while it runs.  Both lock kinds
 * belong to the open file description, which nbdkit's fork hands to the
 * serving process.
 *
 * What the export does (all through vhdx/, never around it):
 *   - reads follow the chain: sectors a differencing image does not hold
 *     come from its parent;
 *   - writes, zeroing and trimming touch the leaf only (parents are opened
 *     read-only by vhdx/), payload first and the BAT through the log
 *     (vhdx/write.c); flush commits the log and fdatasyncs, so a kill -9 of
 *     nbdkit leaves every sector old or new;
 *   - a read-only export (readonly=true, or nbdkit -r) opens the image
 *     read-only: a dirty log is replayed in memory and the file is never
 *     written;
 *   - the logical sector size is the NBD minimum block size (.block_size),
 *     so a 4 KiB-sector image is seen with 4 KiB sectors.
 *
 * Thread model: NBDKIT_THREAD_MODEL_PARALLEL with one mutex.  A vhdx/
 * handle is not thread-safe, so every vhdx/ call (map, read through the
 * log overlay, write, flush) runs under the mutex.  The bulk of a read,
 * however, is a plain pread(2) of a "direct" extent (bytes that are
 * exactly the host file's, see vhdx_map()), which runs outside the mutex:
 * requests from several connections and threads copy data in parallel.
 * This is safe because vhdx/ never moves or frees allocated payload (new
 * blocks go past the end of the file, nothing is deallocated), and parents
 * are never written; a read racing a write to the same sectors may see old
 * or new data, which NBD allows for overlapping requests in flight.  A
 * write completes (its BAT change is in the handle) before it is
 * acknowledged, so any later read maps it.  Because every connection
 * shares the one handle, a flush on one connection makes every
 * connection's completed writes durable: the export advertises multi-conn.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "nbdkit/cmdline.h"
#include "vhdx/vhdx.h"

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

/* The NBD maximum block size we advertise: requests up to this size are
 * served in one piece.  nbdkit itself caps a request at 64 MiB; 32 MiB
 * is Hyper-V's default payload block, the largest contiguous run in most
 * images. */
#define HVO_NBD_MAX_BLOCK (32u << 20)

/* The preferred block size of a read-only connection.  A read costs the
 * same per request whatever its size (one map under the mutex, one
 * pread per contiguous run), so clients that size their requests by it
 * (nbdcopy: max(256 KiB, preferred)) should ask for large ones: nbdcopy
 * to a pipe reads synchronously, one read and one block-status round
 * trip per request: 1 MiB requests make a quarter of the round trips
 * of 256 KiB ones (2 GiB to a pipe, 5 runs each, medians: CPU 3.3 s ->
 * 1.7 s, wall 7.1 s -> 4.6 s; nbdcopy to null: 1.1 s CPU either way;
 * 4 MiB was no better to the pipe and cost more CPU to null).  A
 * writable connection keeps the sector-based size: NBD clients may
 * read-modify-write to the preferred size, which a VHDX write does not
 * need. */
#define HVO_NBD_READ_PREFERRED (1u << 20)

/* Zeroing writes this many zero bytes per vhdx_pwrite(). */
#define HVO_NBD_ZERO_CHUNK (1u << 20)

/* ---- configuration (set before any connection, then read-only) ---- */

static char *cfg_file;	      /* absolute path (nbdkit chdirs to / later) */
static char *cfg_parent;      /* absolute path, or NULL */
static int cfg_readonly = -1; /* -1: not given (follow nbdkit -r) */

/* ---- the export ---- */

static pthread_mutex_t img_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vhdx_image *img;	  /* guarded by img_lock once serving */
static struct vhdx_info img_info; /* constant after .get_ready */
static bool img_writable;	  /* constant after .get_ready */

/* Per connection: only whether nbdkit was started with -r. */
struct hvo_conn {
	bool readonly;
};

static int errno_of(enum vhdx_err e)
{
	switch (e) {
	case VHDX_OK:
		return 0;
	case VHDX_ERR_NOMEM:
		return ENOMEM;
	case VHDX_ERR_READ_ONLY:
		return EROFS;
	case VHDX_ERR_RANGE:
	case VHDX_ERR_INVALID:
		return EINVAL;
	case VHDX_ERR_LOCKED:
		return EBUSY;
	default:
		return EIO;
	}
}

/* Reports the handle's last error; call with img_lock held.  Returns -1
 * for the callback to return. */
static int fail_img(const char *what)
{
	enum vhdx_err e = vhdx_errcode(img);
	nbdkit_error("%s: %s: %s", cfg_file, what, vhdx_errmsg(img));
	nbdkit_set_error(errno_of(e));
	return -1;
}

static void hvo_unload(void)
{
	if (img != NULL) {
		struct vhdx_error err;
		if (vhdx_close(img, &err) != VHDX_OK)
			nbdkit_error("%s: close: %s", cfg_file, err.msg);
		img = NULL;
	}
	free(cfg_file);
	cfg_file = NULL;
	free(cfg_parent);
	cfg_parent = NULL;
}

static void hvo_cleanup(void)
{
	/* The server closed every connection: flush, clear the log and
	 * release the lock now rather than at unload. */
	if (img != NULL) {
		struct vhdx_error err;
		if (vhdx_close(img, &err) != VHDX_OK)
			nbdkit_error("%s: close: %s", cfg_file, err.msg);
		img = NULL;
	}
}

static int hvo_config(const char *key, const char *value)
{
	if (strcmp(key, "file") == 0 || strcmp(key, "parent") == 0) {
		char **dst = key[0] == 'f' ? &cfg_file : &cfg_parent;
		if (*dst != NULL) {
			nbdkit_error("%s= given twice", key);
			return -1;
		}
		*dst = nbdkit_absolute_path(value);
		return *dst == NULL ? -1 : 0;
	}
	if (strcmp(key, "readonly") == 0) {
		int b = nbdkit_parse_bool(value);
		if (b < 0)
			return -1;
		cfg_readonly = b;
		return 0;
	}
	nbdkit_error("unknown parameter '%s' (see nbdkit-hvoffline-plugin(1))",
		     key);
	return -1;
}

static int hvo_config_complete(void)
{
	if (cfg_file == NULL) {
		nbdkit_error("file=IMAGE is required");
		return -1;
	}
	return 0;
}

#define hvo_config_help                                                       \
	"file=<IMAGE>      (required) the VHDX or AVHDX to export; its "      \
	"parent\n"                                                            \
	"                  chain is followed.\n"                              \
	"parent=<FILE>     use FILE as the first parent instead of the "      \
	"parent\n"                                                            \
	"                  locator's paths (its DataWriteGuid must match).\n" \
	"readonly=<BOOL>   open the image read-only (default: writable "      \
	"unless\n"                                                            \
	"                  nbdkit -r); a dirty log is replayed in memory."

static int hvo_get_ready(void)
{
	bool ro = cfg_readonly == 1 ||
		  (cfg_readonly == -1 && hvo_nbd_int_cmdline_read_only());
	struct vhdx_open_opts opts = { .parent_path = cfg_parent };
	struct vhdx_error err;
	enum vhdx_err r = vhdx_open(cfg_file, ro ? 0 : VHDX_OPEN_WRITE, &opts,
				    &img, &err);
	if (r != VHDX_OK) {
		nbdkit_error("%s: %s", cfg_file, err.msg);
		return -1;
	}
	vhdx_get_info(img, &img_info);
	img_writable = !ro;
	nbdkit_debug("%s: %s, %" PRIu64 " bytes, %" PRIu32
		     "-byte logical sectors, log %d, %s",
		     cfg_file,
		     img_info.type == VHDX_TYPE_DIFFERENCING ? "differencing"
		     : img_info.type == VHDX_TYPE_DYNAMIC    ? "dynamic"
							     : "fixed",
		     img_info.virtual_size, img_info.logical_sector_size,
		     (int)img_info.log_state, ro ? "read-only" : "read-write");
	return 0;
}

static void hvo_dump_plugin(void)
{
	printf("hvoffline_version=%s\n", PACKAGE_VERSION);
	printf("hvoffline_thread_model=parallel (one mutex per image; "
	       "payload reads outside it)\n");
}

static void *hvo_open(int readonly)
{
	struct hvo_conn *c = malloc(sizeof(*c));
	if (c == NULL) {
		nbdkit_error("out of memory");
		return NULL;
	}
	c->readonly = readonly != 0;
	return c;
}

static void hvo_close(void *handle)
{
	free(handle);
}

static int64_t hvo_get_size(void *handle)
{
	return (int64_t)img_info.virtual_size;
}

static int hvo_can_write(void *handle)
{
	const struct hvo_conn *c = handle;
	return img_writable && !c->readonly;
}

static int hvo_block_size(void *handle, uint32_t *minimum, uint32_t *preferred,
			  uint32_t *maximum)
{
	uint32_t lss = img_info.logical_sector_size;
	uint32_t pss = img_info.physical_sector_size;
	*minimum = lss;
	/* A write smaller than the physical sector costs a read-modify-
	 * write on the host; smaller than 4 KiB, one in the page cache. */
	*preferred = pss > lss ? pss : lss;
	if (*preferred < 4096)
		*preferred = 4096;
	if (!hvo_can_write(handle) && *preferred < HVO_NBD_READ_PREFERRED)
		*preferred = HVO_NBD_READ_PREFERRED;
	*maximum = HVO_NBD_MAX_BLOCK;
	return 0;
}

static int hvo_can_flush(void *handle)
{
	return 1;
}

static int hvo_can_trim(void *handle)
{
	return hvo_can_write(handle);
}

static int hvo_can_zero(void *handle)
{
	return hvo_can_write(handle);
}

static int hvo_can_fast_zero(void *handle)
{
	return 1;
}

static int hvo_can_fua(void *handle)
{
	return NBDKIT_FUA_NATIVE;
}

static int hvo_can_multi_conn(void *handle)
{
	return 1;
}

static int hvo_can_extents(void *handle)
{
	return 1;
}

static int hvo_can_cache(void *handle)
{
	return NBDKIT_CACHE_NATIVE;
}

static int hvo_is_rotational(void *handle)
{
	return 0;
}

static const char *hvo_export_description(void *handle)
{
	return cfg_file;
}

/* pread(2) of all of @len bytes; a short file is an I/O error. */
static int pread_full(int fd, uint8_t *buf, uint64_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			nbdkit_error("%s: read at file offset %" PRIu64 ": %s",
				     cfg_file, off,
				     n < 0 ? strerror(e)
					   : "unexpected end "
					     "of file");
			nbdkit_set_error(e);
			return -1;
		}
		buf += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int hvo_pread(void *handle, void *buf, uint32_t count, uint64_t offset,
		     uint32_t flags)
{
	uint8_t *p = buf;
	while (count > 0) {
		struct vhdx_extent x;
		pthread_mutex_lock(&img_lock);
		if (vhdx_map(img, offset, count, &x) != VHDX_OK) {
			int rc = fail_img("map");
			pthread_mutex_unlock(&img_lock);
			return rc;
		}
		uint32_t n = x.length < count ? (uint32_t)x.length : count;
		if (x.kind == VHDX_EXTENT_ZERO) {
			pthread_mutex_unlock(&img_lock);
			memset(p, 0, n);
		} else if (x.direct) {
			/* The image (a parent, maybe) lives as long as the
			 * export; its fd and these bytes stay put. */
			int fd = vhdx_fd(x.image);
			pthread_mutex_unlock(&img_lock);
			if (pread_full(fd, p, n, x.file_offset) < 0)
				return -1;
		} else {
			/* Covered by a log replayed in memory, or in a
			 * parent that was not opened: vhdx/ knows. */
			enum vhdx_err r = vhdx_pread(img, p, n, offset);
			int rc = r == VHDX_OK ? 0 : fail_img("read");
			pthread_mutex_unlock(&img_lock);
			if (rc < 0)
				return rc;
		}
		p += n;
		offset += n;
		count -= n;
	}
	return 0;
}

static int hvo_flush(void *handle, uint32_t flags)
{
	pthread_mutex_lock(&img_lock);
	int rc = vhdx_flush(img) == VHDX_OK ? 0 : fail_img("flush");
	pthread_mutex_unlock(&img_lock);
	return rc;
}

static int hvo_pwrite(void *handle, const void *buf, uint32_t count,
		      uint64_t offset, uint32_t flags)
{
	pthread_mutex_lock(&img_lock);
	int rc = vhdx_pwrite(img, buf, count, offset) == VHDX_OK
			 ? 0
			 : fail_img("write");
	if (rc == 0 && (flags & NBDKIT_FLAG_FUA))
		rc = vhdx_flush(img) == VHDX_OK ? 0 : fail_img("flush");
	pthread_mutex_unlock(&img_lock);
	return rc;
}

/*
 * Writes zeros over [offset, +count), skipping extents that read as zeros
 * already (through the whole chain).  vhdx/ has no zero-block primitive,
 * so anything else is an ordinary write of zeros: with FAST_ZERO that is
 * refused up front (ENOTSUP), before anything changes.
 */
static int hvo_zero(void *handle, uint32_t count, uint64_t offset,
		    uint32_t flags)
{
	static const uint8_t zeros[HVO_NBD_ZERO_CHUNK];
	int rc = 0;
	pthread_mutex_lock(&img_lock);
	if (flags & NBDKIT_FLAG_FAST_ZERO) {
		uint64_t o = offset, left = count;
		while (left > 0) {
			struct vhdx_extent x;
			if (vhdx_map(img, o, left, &x) != VHDX_OK) {
				rc = fail_img("map");
				goto out;
			}
			if (x.kind != VHDX_EXTENT_ZERO) {
				nbdkit_set_error(ENOTSUP);
				rc = -1;
				goto out;
			}
			o += x.length;
			left -= x.length < left ? x.length : left;
		}
		goto out;
	}
	while (count > 0) {
		struct vhdx_extent x;
		if (vhdx_map(img, offset, count, &x) != VHDX_OK) {
			rc = fail_img("map");
			goto out;
		}
		uint32_t n = x.length < count ? (uint32_t)x.length : count;
		if (x.kind != VHDX_EXTENT_ZERO) {
			for (uint32_t done = 0; done < n;) {
				uint32_t k = n - done < HVO_NBD_ZERO_CHUNK
						     ? n - done
						     : HVO_NBD_ZERO_CHUNK;
				if (vhdx_pwrite(img, zeros, k, offset + done) !=
				    VHDX_OK) {
					rc = fail_img("write zeros");
					goto out;
				}
				done += k;
			}
		}
		offset += n;
		count -= n;
	}
	if (flags & NBDKIT_FLAG_FUA)
		rc = vhdx_flush(img) == VHDX_OK ? 0 : fail_img("flush");
out:
	pthread_mutex_unlock(&img_lock);
	return rc;
}

/*
 * A trim is advisory in NBD: after it the sectors may read as anything.
 * vhdx/ does not deallocate blocks (and in a differencing image a trimmed
 * sector would have to keep reading as what it held, not the parent's),
 * so the trim is accepted and nothing changes.  FUA still means durable.
 */
static int hvo_trim(void *handle, uint32_t count, uint64_t offset,
		    uint32_t flags)
{
	if (!(flags & NBDKIT_FLAG_FUA))
		return 0;
	return hvo_flush(handle, 0);
}

static int hvo_extents(void *handle, uint32_t count, uint64_t offset,
		       uint32_t flags, struct nbdkit_extents *extents)
{
	int rc = 0;
	pthread_mutex_lock(&img_lock);
	while (count > 0) {
		struct vhdx_extent x;
		if (vhdx_map(img, offset, count, &x) != VHDX_OK) {
			rc = fail_img("map");
			break;
		}
		uint32_t n = x.length < count ? (uint32_t)x.length : count;
		uint32_t type =
			x.kind == VHDX_EXTENT_ZERO
				? NBDKIT_EXTENT_HOLE | NBDKIT_EXTENT_ZERO
				: 0;
		if (nbdkit_add_extent(extents, offset, n, type) < 0) {
			rc = -1;
			break;
		}
		if (flags & NBDKIT_FLAG_REQ_ONE)
			break;
		offset += n;
		count -= n;
	}
	pthread_mutex_unlock(&img_lock);
	return rc;
}

/* A prefetch hint: ask the kernel to read the host bytes ahead. */
static int hvo_cache(void *handle, uint32_t count, uint64_t offset,
		     uint32_t flags)
{
	if (flags != 0) {
		nbdkit_error("cache: unknown flags 0x%" PRIx32, flags);
		nbdkit_set_error(EINVAL);
		return -1;
	}
	pthread_mutex_lock(&img_lock);
	while (count > 0) {
		struct vhdx_extent x;
		if (vhdx_map(img, offset, count, &x) != VHDX_OK)
			break; /* a hint: nothing to report */
		uint32_t n = x.length < count ? (uint32_t)x.length : count;
		if (x.kind == VHDX_EXTENT_DATA && x.direct)
			(void)posix_fadvise(vhdx_fd(x.image),
					    (off_t)x.file_offset, (off_t)n,
					    POSIX_FADV_WILLNEED);
		offset += n;
		count -= n;
	}
	pthread_mutex_unlock(&img_lock);
	return 0;
}

static struct nbdkit_plugin plugin = {
	.name = "hvoffline",
	.longname = "nbdkit hvoffline plugin (Hyper-V VHDX and AVHDX)",
	.version = PACKAGE_VERSION,
	.description = "Serves a VHDX image, Hyper-V checkpoints (.avhdx) "
		       "with their parent chain, 4 KiB sectors and dirty "
		       "logs included, through hvoffline's vhdx/ library.",
	.unload = hvo_unload,
	.config = hvo_config,
	.config_complete = hvo_config_complete,
	.config_help = hvo_config_help,
	.magic_config_key = "file",
	.get_ready = hvo_get_ready,
	.cleanup = hvo_cleanup,
	.dump_plugin = hvo_dump_plugin,
	.open = hvo_open,
	.close = hvo_close,
	.get_size = hvo_get_size,
	.block_size = hvo_block_size,
	.can_write = hvo_can_write,
	.can_flush = hvo_can_flush,
	.can_trim = hvo_can_trim,
	.can_zero = hvo_can_zero,
	.can_fast_zero = hvo_can_fast_zero,
	.can_fua = hvo_can_fua,
	.can_multi_conn = hvo_can_multi_conn,
	.can_extents = hvo_can_extents,
	.can_cache = hvo_can_cache,
	.is_rotational = hvo_is_rotational,
	.export_description = hvo_export_description,
	.pread = hvo_pread,
	.pwrite = hvo_pwrite,
	.flush = hvo_flush,
	.zero = hvo_zero,
	.trim = hvo_trim,
	.extents = hvo_extents,
	.cache = hvo_cache,
	.errno_is_preserved = 0,
};

NBDKIT_REGISTER_PLUGIN(plugin)

/*
 * native_xfs_core.c - the XFS superblock, inodes, extent maps and file
 * bytes (see native_xfs.h).  Section names are those of "XFS Algorithms
 * & Data Structures" (xfs-documentation, design/XFS_Filesystem_Structure).
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/guest.h"
#include "guest/native_int.h"
#include "guest/native_xfs_int.h"
#include "util/bytes.h"

int xfs_int_fail(struct xfs_vol *v, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	return err;
}

/* "Metadata Checksumming": CRC-32C (Castagnoli, reflected polynomial
 * 0x82f63b78), seed ~0, inverted, stored little-endian, computed with the
 * field itself as zero.  A byte at a time through a table made once. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
		crc_table[n] = c;
	}
}

bool xfs_int_crc_ok(const uint8_t *buf, size_t len, size_t crc_off)
{
	if (crc_off + 4 > len)
		return false;
	pthread_once(&crc_once, crc_init);
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = (i >= crc_off && i < crc_off + 4) ? 0 : buf[i];
		c = (c >> 8) ^ crc_table[(c ^ b) & 0xffu];
	}
	c = ~c;
	const uint8_t *s = buf + crc_off;
	return c == ((uint32_t)s[0] | (uint32_t)s[1] << 8 |
		     (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24);
}

/* Reads @len bytes at byte @off of the volume, never past its end. */
static int vol_read(struct xfs_vol *v, uint64_t off, size_t len, void *buf)
{
	if (!hvo_in_bounds(off, len, v->size))
		return xfs_int_fail(v, GUEST_E_IO,
				    "a read at byte %llu past the end of the "
				    "volume",
				    (unsigned long long)off);
	if (native_int_img_pread(v->img, buf, len, v->start + off) != 0)
		return xfs_int_fail(v, GUEST_E_IO, "read at byte %llu: %s",
				    (unsigned long long)off,
				    strerror(errno ? errno : EIO));
	return GUEST_OK;
}

/* The byte offset of @count blocks from filesystem block @fsb, which
 * must lie in one allocation group ("Allocation Groups": an fsb is the
 * AG number above sb_agblklog bits of AG block number). */
static int fsb_offset(struct xfs_vol *v, uint64_t fsb, uint64_t count,
		      uint64_t *off)
{
	uint64_t agno = fsb >> v->agblklog;
	uint64_t agbno = fsb & ((1ull << v->agblklog) - 1);
	if (agno >= v->agcount || agbno >= v->agblocks ||
	    count > v->agblocks - agbno)
		return xfs_int_fail(v, GUEST_E_IO,
				    "block %llu (+%llu) is not in the volume",
				    (unsigned long long)fsb,
				    (unsigned long long)count);
	uint64_t block = agno * v->agblocks + agbno;
	if (block + count > v->dblocks)
		return xfs_int_fail(
			v, GUEST_E_IO, "block %llu (+%llu) is past the end",
			(unsigned long long)fsb, (unsigned long long)count);
	*off = block << v->blocklog;
	return GUEST_OK;
}

/* ------------------------------------------------------------------ */
/* "Superblocks" (struct xfs_dsb).                                     */
/* ------------------------------------------------------------------ */

#define SB_MAGIC	     0x58465342u /* "XFSB" */
#define SB_BLOCKSIZE	     4
#define SB_DBLOCKS	     8
#define SB_UUID		     32
#define SB_ROOTINO	     56
#define SB_AGBLOCKS	     84
#define SB_AGCOUNT	     88
#define SB_VERSIONNUM	     100
#define SB_SECTSIZE	     102
#define SB_INODESIZE	     104
#define SB_INOPBLOCK	     106
#define SB_BLOCKLOG	     120
#define SB_INODELOG	     122
#define SB_INOPBLOG	     123
#define SB_AGBLKLOG	     124
#define SB_INPROGRESS	     126
#define SB_DIRBLKLOG	     192
#define SB_FEATURES2	     200
#define SB_FEAT_INCOMPAT     216
#define SB_CRC		     224
#define SB_META_UUID	     248
#define SB_V5_SIZE	     264
#define VERSION_NUMBITS	     0x000fu
#define VERSION_MOREBITS     0x8000u
#define VERSION2_FTYPE	     0x0200u
#define INCOMPAT_FTYPE	     0x01u
#define INCOMPAT_SPINODES    0x02u
#define INCOMPAT_META_UUID   0x04u
#define INCOMPAT_BIGTIME     0x08u
#define INCOMPAT_NEEDSREPAIR 0x10u
#define INCOMPAT_NREXT64     0x20u
/* What changes nothing this reader reads, or what it reads. */
#define INCOMPAT_KNOWN                                             \
	(INCOMPAT_FTYPE | INCOMPAT_SPINODES | INCOMPAT_META_UUID | \
	 INCOMPAT_BIGTIME | INCOMPAT_NREXT64)

static bool pow2_log(uint64_t x, unsigned log)
{
	return log < 32 && x == (1ull << log);
}

static unsigned log2_ceil(uint64_t x)
{
	unsigned l = 0;
	while (l < 63 && (1ull << l) < x)
		l++;
	return l;
}

int xfs_int_mount(struct xfs_vol *v, struct native_img *img, uint64_t start,
		  uint64_t size)
{
	memset(v, 0, sizeof(*v));
	v->img = img;
	v->start = start;
	v->size = size;
	uint8_t sb[32768];
	if (size < 512)
		return xfs_int_fail(v, GUEST_E_MOUNT, "too small for XFS");
	int r = vol_read(v, 0, 512, sb);
	if (r != GUEST_OK)
		return r;
	if (xfs_be32(sb) != SB_MAGIC)
		return xfs_int_fail(v, GUEST_E_MOUNT, "no XFS superblock");
	unsigned version = xfs_be16(sb + SB_VERSIONNUM) & VERSION_NUMBITS;
	uint32_t sectsize = xfs_be16(sb + SB_SECTSIZE);
	if (version != 4 && version != 5)
		return xfs_int_fail(v, GUEST_E_MOUNT,
				    "XFS superblock version %u", version);
	if (sectsize < 512 || sectsize > sizeof(sb) ||
	    (sectsize & (sectsize - 1)) != 0 || sectsize > size)
		return xfs_int_fail(v, GUEST_E_MOUNT, "XFS sector size %u",
				    sectsize);
	if (sectsize > 512 && (r = vol_read(v, 0, sectsize, sb)) != GUEST_OK)
		return r;
	v->v5 = version == 5;
	/* "Metadata Checksumming": the CRC covers the whole sector. */
	if (v->v5 && !xfs_int_crc_ok(sb, sectsize, SB_CRC))
		return xfs_int_fail(v, GUEST_E_MOUNT,
				    "XFS superblock checksum mismatch");
	v->blocksize = xfs_be32(sb + SB_BLOCKSIZE);
	v->blocklog = sb[SB_BLOCKLOG];
	v->dblocks = xfs_be64(sb + SB_DBLOCKS);
	v->rootino = xfs_be64(sb + SB_ROOTINO);
	v->agblocks = xfs_be32(sb + SB_AGBLOCKS);
	v->agcount = xfs_be32(sb + SB_AGCOUNT);
	v->agblklog = sb[SB_AGBLKLOG];
	v->inopblog = sb[SB_INOPBLOG];
	v->inodesize = xfs_be16(sb + SB_INODESIZE);
	v->dirblklog = sb[SB_DIRBLKLOG];
	uint32_t inopblock = xfs_be16(sb + SB_INOPBLOCK);
	if (!pow2_log(v->blocksize, v->blocklog) || v->blocksize < 512 ||
	    v->blocksize > 65536 || !pow2_log(v->inodesize, sb[SB_INODELOG]) ||
	    v->inodesize < 256 || v->inodesize > 2048 ||
	    v->inodesize > v->blocksize ||
	    inopblock != v->blocksize / v->inodesize ||
	    !pow2_log(inopblock, v->inopblog) || v->agblocks == 0 ||
	    v->agcount == 0 || v->agblklog != log2_ceil(v->agblocks) ||
	    v->dirblklog > 16 - v->blocklog || v->dblocks == 0 ||
	    v->dblocks > (uint64_t)v->agcount * v->agblocks ||
	    v->dblocks <= (uint64_t)(v->agcount - 1) * v->agblocks)
		return xfs_int_fail(v, GUEST_E_MOUNT,
				    "XFS superblock geometry is damaged");
	v->dirblksize = v->blocksize << v->dirblklog;
	if (v->dblocks > (size >> v->blocklog))
		return xfs_int_fail(
			v, GUEST_E_MOUNT,
			"XFS volume of %llu blocks in %llu bytes: truncated",
			(unsigned long long)v->dblocks,
			(unsigned long long)size);
	if (sb[SB_INPROGRESS] != 0)
		return xfs_int_fail(
			v, GUEST_E_MOUNT,
			"XFS volume still being made (sb_inprogress)");
	memcpy(v->uuid, sb + SB_UUID, 16);
	if (v->v5) {
		uint32_t incompat = xfs_be32(sb + SB_FEAT_INCOMPAT);
		if (incompat & INCOMPAT_NEEDSREPAIR)
			return xfs_int_fail(v, GUEST_E_MOUNT,
					    "XFS volume needs xfs_repair");
		if (incompat & ~INCOMPAT_KNOWN)
			return xfs_int_fail(v, GUEST_E_MOUNT,
					    "XFS incompatible features 0x%x "
					    "not known",
					    incompat & ~INCOMPAT_KNOWN);
		v->ftype = (incompat & INCOMPAT_FTYPE) != 0;
		if (incompat & INCOMPAT_META_UUID)
			memcpy(v->uuid, sb + SB_META_UUID, 16);
	} else {
		v->ftype = (xfs_be16(sb + SB_VERSIONNUM) & VERSION_MOREBITS) &&
			   (xfs_be32(sb + SB_FEATURES2) & VERSION2_FTYPE);
	}
	struct xfs_inode root;
	r = xfs_int_inode(v, v->rootino, &root);
	if (r != GUEST_OK) {
		char why[sizeof(v->why)];
		memcpy(why, v->why, sizeof(why));
		return xfs_int_fail(v, GUEST_E_MOUNT, "root inode: %s", why);
	}
	if ((root.mode & XFS_INT_IFMT) != XFS_INT_IFDIR)
		return xfs_int_fail(v, GUEST_E_MOUNT,
				    "the root inode is not a directory");
	return GUEST_OK;
}

/* ------------------------------------------------------------------ */
/* "On-disk Inode" (struct xfs_dinode).                                */
/* ------------------------------------------------------------------ */

#define DI_MAGIC	0x494eu /* "IN" */
#define DI_MODE		2
#define DI_VERSION	4
#define DI_FORMAT	5
#define DI_BIG_NEXTENTS 24
#define DI_SIZE		56
#define DI_NEXTENTS	76
#define DI_FORKOFF	82
#define DI_V2_SIZE	100
#define DI_CRC		100
#define DI_FLAGS2	120
#define DI_INO		152
#define DI_UUID		160
#define DI_V3_SIZE	176
#define DIFLAG2_NREXT64 0x10u

int xfs_int_inode(struct xfs_vol *v, uint64_t ino, struct xfs_inode *ip)
{
	/* "Inode Numbers": AG number, AG block, index in the block. */
	unsigned agino_log = v->agblklog + v->inopblog;
	uint64_t fsb = (ino >> agino_log) << v->agblklog |
		       ((ino >> v->inopblog) & ((1ull << v->agblklog) - 1));
	uint64_t index = ino & ((1ull << v->inopblog) - 1);
	uint64_t off;
	if (agino_log >= 64 || (ino >> agino_log) >= v->agcount ||
	    fsb_offset(v, fsb, 1, &off) != GUEST_OK)
		return xfs_int_fail(v, GUEST_E_IO,
				    "inode %llu is not in the volume",
				    (unsigned long long)ino);
	uint8_t raw[2048];
	int r = vol_read(v, off + index * v->inodesize, v->inodesize, raw);
	if (r != GUEST_OK)
		return r;
	unsigned version = raw[DI_VERSION];
	if (xfs_be16(raw) != DI_MAGIC || (version != 2 && version != 3) ||
	    (v->v5 && version != 3))
		return xfs_int_fail(v, GUEST_E_IO, "inode %llu is damaged",
				    (unsigned long long)ino);
	uint32_t core = version == 3 ? DI_V3_SIZE : DI_V2_SIZE;
	uint64_t flags2 = 0;
	if (version == 3) {
		if (!xfs_int_crc_ok(raw, v->inodesize, DI_CRC))
			return xfs_int_fail(v, GUEST_E_IO,
					    "inode %llu: checksum mismatch",
					    (unsigned long long)ino);
		if (xfs_be64(raw + DI_INO) != ino ||
		    memcmp(raw + DI_UUID, v->uuid, 16) != 0)
			return xfs_int_fail(v, GUEST_E_IO,
					    "inode %llu: not this volume's",
					    (unsigned long long)ino);
		flags2 = xfs_be64(raw + DI_FLAGS2);
	}
	ip->ino = ino;
	ip->mode = xfs_be16(raw + DI_MODE);
	ip->format = raw[DI_FORMAT];
	ip->size = xfs_be64(raw + DI_SIZE);
	ip->nextents = (flags2 & DIFLAG2_NREXT64)
			       ? xfs_be64(raw + DI_BIG_NEXTENTS)
			       : xfs_be32(raw + DI_NEXTENTS);
	/* "Inode Forks": di_forkoff, in 8-byte units, starts the
	 * attribute fork; without one the data fork takes it all. */
	uint32_t lit = v->inodesize - core;
	uint32_t forkoff = (uint32_t)raw[DI_FORKOFF] * 8;
	if (forkoff > lit)
		return xfs_int_fail(v, GUEST_E_IO,
				    "inode %llu: fork offset %u past the inode",
				    (unsigned long long)ino, forkoff);
	ip->forksize = forkoff ? forkoff : lit;
	memcpy(ip->fork, raw + core, ip->forksize);
	if (ip->size > (uint64_t)INT64_MAX)
		return xfs_int_fail(v, GUEST_E_IO, "inode %llu: size damaged",
				    (unsigned long long)ino);
	return GUEST_OK;
}

/* ------------------------------------------------------------------ */
/* "Data Extents" and "B+tree Extent List".                            */
/* ------------------------------------------------------------------ */

/* The bmbt record, 128 bits: 1 bit unwritten, 54 file offset, 52 block,
 * 21 count ("Data Extents", xfs_bmbt_rec). */
static void unpack(const uint8_t *rec, struct xfs_ext *e)
{
	uint64_t l0 = xfs_be64(rec), l1 = xfs_be64(rec + 8);
	e->unwritten = (l0 >> 63) != 0;
	e->off = (l0 & ((1ull << 63) - 1)) >> 9;
	e->fsb = ((l0 & 0x1ffull) << 43) | (l1 >> 21);
	e->len = l1 & ((1ull << 21) - 1);
}

struct extmap {
	struct xfs_ext *e;
	size_t n, cap, max;
	size_t nodes; /* btree blocks read, bounded */
};

static int push_recs(struct xfs_vol *v, struct extmap *m, const uint8_t *recs,
		     size_t n)
{
	if (n > m->max - m->n)
		return xfs_int_fail(v, GUEST_E_IO,
				    "more extents than the inode says");
	if (m->n + n > m->cap) {
		size_t cap = m->cap ? m->cap : 16;
		while (cap < m->n + n)
			cap *= 2;
		struct xfs_ext *e = realloc(m->e, cap * sizeof(*e));
		if (e == NULL)
			return xfs_int_fail(v, GUEST_E_NOMEM, "out of memory");
		m->e = e;
		m->cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		unpack(recs + i * 16, &m->e[m->n++]);
	return GUEST_OK;
}

/* Long-format btree block headers ("Long Format B+trees"): magic,
 * level, numrecs, left and right siblings; v5 adds blkno, lsn, uuid,
 * owner and the CRC. */
#define BMAP_MAGIC     0x424d4150u /* "BMAP" */
#define BMA3_MAGIC     0x424d4133u /* "BMA3" */
#define LBT_HDR_V4     24
#define LBT_HDR_V5     72
#define LBT_BLKNO      24
#define LBT_UUID       40
#define LBT_OWNER      56
#define LBT_CRC	       64
#define BMBT_MAXLEVELS 9

static int walk_bmbt(struct xfs_vol *v, const struct xfs_inode *ip,
		     struct extmap *m, uint64_t fsb, unsigned level,
		     uint8_t *blk);

/* Follows the @n pointers at @ptrs to children of @level. */
static int walk_ptrs(struct xfs_vol *v, const struct xfs_inode *ip,
		     struct extmap *m, const uint8_t *ptrs, size_t n,
		     unsigned level)
{
	uint8_t *blk = malloc(v->blocksize);
	if (blk == NULL)
		return xfs_int_fail(v, GUEST_E_NOMEM, "out of memory");
	int r = GUEST_OK;
	for (size_t i = 0; i < n && r == GUEST_OK; i++)
		r = walk_bmbt(v, ip, m, xfs_be64(ptrs + i * 8), level, blk);
	free(blk);
	return r;
}

static int walk_bmbt(struct xfs_vol *v, const struct xfs_inode *ip,
		     struct extmap *m, uint64_t fsb, unsigned level,
		     uint8_t *blk)
{
	uint64_t off;
	/* Every block once at most: a cycle of pointers ends here. */
	if (++m->nodes > v->dblocks || m->nodes > XFS_INT_MAX_EXTENTS)
		return xfs_int_fail(v, GUEST_E_IO,
				    "inode %llu: extent btree loops",
				    (unsigned long long)ip->ino);
	int r = fsb_offset(v, fsb, 1, &off);
	if (r == GUEST_OK)
		r = vol_read(v, off, v->blocksize, blk);
	if (r != GUEST_OK)
		return r;
	uint32_t hdr = v->v5 ? LBT_HDR_V5 : LBT_HDR_V4;
	if (xfs_be32(blk) != (v->v5 ? BMA3_MAGIC : BMAP_MAGIC) ||
	    xfs_be16(blk + 4) != level)
		return xfs_int_fail(v, GUEST_E_IO,
				    "inode %llu: damaged extent btree block "
				    "%llu",
				    (unsigned long long)ip->ino,
				    (unsigned long long)fsb);
	if (v->v5 && (!xfs_int_crc_ok(blk, v->blocksize, LBT_CRC) ||
		      xfs_be64(blk + LBT_OWNER) != ip->ino ||
		      memcmp(blk + LBT_UUID, v->uuid, 16) != 0 ||
		      xfs_be64(blk + LBT_BLKNO) != off >> 9))
		return xfs_int_fail(v, GUEST_E_IO,
				    "inode %llu: extent btree block %llu: "
				    "checksum or owner mismatch",
				    (unsigned long long)ip->ino,
				    (unsigned long long)fsb);
	size_t numrecs = xfs_be16(blk + 6);
	if (level == 0) {
		if (numrecs > (v->blocksize - hdr) / 16)
			return xfs_int_fail(v, GUEST_E_IO,
					    "inode %llu: too many records",
					    (unsigned long long)ip->ino);
		return push_recs(v, m, blk + hdr, numrecs);
	}
	/* Nodes: keys, then pointers after the largest key array. */
	size_t maxrecs = (v->blocksize - hdr) / 16;
	if (numrecs == 0 || numrecs > maxrecs)
		return xfs_int_fail(v, GUEST_E_IO,
				    "inode %llu: damaged extent btree node",
				    (unsigned long long)ip->ino);
	uint8_t *copy = malloc(numrecs * 8);
	if (copy == NULL)
		return xfs_int_fail(v, GUEST_E_NOMEM, "out of memory");
	memcpy(copy, blk + hdr + maxrecs * 8, numrecs * 8);
	r = walk_ptrs(v, ip, m, copy, numrecs, level - 1);
	free(copy);
	return r;
}

static int cmp_ext(const void *a, const void *b)
{
	const struct xfs_ext *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

int xfs_int_extents(struct xfs_vol *v, const struct xfs_inode *ip,
		    struct xfs_ext **ext_ret, size_t *n_ret)
{
	*ext_ret = NULL;
	*n_ret = 0;
	struct extmap m = { .max = XFS_INT_MAX_EXTENTS };
	if (ip->nextents < m.max)
		m.max = (size_t)ip->nextents;
	int r = GUEST_OK;
	if (ip->format == XFS_INT_FMT_EXTENTS) {
		if (ip->nextents > ip->forksize / 16)
			return xfs_int_fail(v, GUEST_E_IO,
					    "inode %llu: %llu extents do not "
					    "fit in the inode",
					    (unsigned long long)ip->ino,
					    (unsigned long long)ip->nextents);
		r = push_recs(v, &m, ip->fork, (size_t)ip->nextents);
	} else if (ip->format == XFS_INT_FMT_BTREE) {
		/* The root in the inode (xfs_bmdr_block): level, numrecs,
		 * keys and pointers sized to the fork ("B+tree Extent
		 * List"). */
		unsigned level = xfs_be16(ip->fork);
		size_t numrecs = xfs_be16(ip->fork + 2);
		size_t maxrecs = (ip->forksize - 4) / 16;
		if (level == 0 || level > BMBT_MAXLEVELS || numrecs == 0 ||
		    numrecs > maxrecs)
			return xfs_int_fail(v, GUEST_E_IO,
					    "inode %llu: damaged extent btree "
					    "root",
					    (unsigned long long)ip->ino);
		r = walk_ptrs(v, ip, &m, ip->fork + 4 + maxrecs * 8, numrecs,
			      level - 1);
	} else {
		return xfs_int_fail(v, GUEST_E_IO,
				    "inode %llu: data fork format %u has no "
				    "extents",
				    (unsigned long long)ip->ino, ip->format);
	}
	if (r == GUEST_OK && m.n != ip->nextents)
		r = xfs_int_fail(v, GUEST_E_IO,
				 "inode %llu: %zu extents, the inode says %llu",
				 (unsigned long long)ip->ino, m.n,
				 (unsigned long long)ip->nextents);
	if (r == GUEST_OK && m.n > 1)
		qsort(m.e, m.n, sizeof(*m.e), cmp_ext);
	for (size_t i = 0; r == GUEST_OK && i < m.n; i++) {
		uint64_t off;
		const struct xfs_ext *e = &m.e[i];
		if (e->len == 0 ||
		    e->off + e->len > (UINT64_MAX >> 1) >> v->blocklog ||
		    (i > 0 && m.e[i - 1].off + m.e[i - 1].len > e->off) ||
		    fsb_offset(v, e->fsb, e->len, &off) != GUEST_OK)
			r = xfs_int_fail(v, GUEST_E_IO,
					 "inode %llu: damaged extent %zu",
					 (unsigned long long)ip->ino, i);
	}
	if (r != GUEST_OK) {
		free(m.e);
		return r;
	}
	*ext_ret = m.e;
	*n_ret = m.n;
	return GUEST_OK;
}

int xfs_int_read_mapped(struct xfs_vol *v, const struct xfs_ext *ext, size_t n,
			uint64_t off, size_t len, uint8_t *buf)
{
	/* The first extent that ends past @off (they are sorted). */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((ext[mid].off + ext[mid].len) << v->blocklog <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (len > 0) {
		const struct xfs_ext *e = lo < n ? &ext[lo] : NULL;
		uint64_t estart = e ? e->off << v->blocklog : UINT64_MAX;
		uint64_t eend = e ? (e->off + e->len) << v->blocklog : 0;
		size_t piece;
		if (e == NULL || off < estart) {
			/* A hole: zeros up to the next extent. */
			uint64_t gap = e ? estart - off : len;
			piece = gap < len ? (size_t)gap : len;
			memset(buf, 0, piece);
		} else {
			uint64_t left = eend - off;
			piece = left < len ? (size_t)left : len;
			uint64_t at;
			int r = fsb_offset(v, e->fsb, e->len, &at);
			if (e->unwritten)
				memset(buf, 0, piece);
			else if (r == GUEST_OK)
				r = vol_read(v, at + (off - estart), piece,
					     buf);
			if (r != GUEST_OK)
				return r;
			if (off + piece == eend)
				lo++;
		}
		buf += piece;
		off += piece;
		len -= piece;
	}
	return GUEST_OK;
}

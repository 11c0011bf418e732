/*
 * log.c - the VHDX log (MS-VHDX 2.3): finding the active sequence,
 * replaying it (in place, or in memory for a read-only open), and writing
 * new entries.
 *
 * Reading.  An entry is valid when its header, every descriptor, every
 * data sector and the CRC-32C over the whole entry check out and its
 * LogGuid is the header's (2.3.1, 2.3.2).  Entries are streamed one 4 KiB
 * sector at a time, so an entry of any length is checked in constant
 * memory.  The active sequence is searched exactly as 2.3.3 describes
 * (steps 1-7).  Descriptors may not target the header section (only the
 * header protocol writes there, 2.2.1-2.2.2) or the log itself, and may
 * not reach past the entry's LastFileOffset: such an entry is invalid, so
 * a hostile log cannot make replay overwrite what identifies the file or
 * grow it without bound.
 *
 * Leniency.  Entries with another LogGuid are stale (Hyper-V and qemu
 * leave them behind) and ignored.  A header whose LogGuid is set while no
 * valid entry carries it is, strictly, a corrupt file; qemu writes its
 * header before its first log entry and leaves exactly that state when
 * interrupted between the two, and reads such files as clean, so we do
 * too (vhdx_check() reports it).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/bytes.h"
#include "vhdx/internal.h"

struct log_reader {
	struct vhdx_image *img;
	uint8_t *mem; /* the whole log, when small enough */
	uint8_t scratch[VHDX_SECTOR];
	uint32_t len;
};

struct entry_info {
	uint32_t pos;
	uint32_t length;
	uint32_t tail;
	uint64_t seq;
	uint64_t flushed;
	uint64_t last;
	uint32_t ndesc;
	uint32_t desc_sectors;
	struct vhdx_guid guid;
};

static uint32_t desc_sectors_for(uint32_t ndesc)
{
	if (ndesc <= LOG_DESC_FIRST_SECTOR)
		return 1;
	return 1 + (ndesc - LOG_DESC_FIRST_SECTOR + LOG_DESC_PER_SECTOR - 1) /
			   LOG_DESC_PER_SECTOR;
}

/* Position of descriptor @i inside the entry: sector, byte offset. */
static void desc_location(uint32_t i, uint32_t *sector, uint32_t *off)
{
	if (i < LOG_DESC_FIRST_SECTOR) {
		*sector = 0;
		*off = LE_HEADER_SIZE + i * LD_SIZE;
	} else {
		i -= LOG_DESC_FIRST_SECTOR;
		*sector = 1 + i / LOG_DESC_PER_SECTOR;
		*off = (i % LOG_DESC_PER_SECTOR) * LD_SIZE;
	}
}

/* The 4 KiB sector at @pos of the ring (wrapping). */
static enum vhdx_err log_sector(struct log_reader *lr, uint64_t pos,
				const uint8_t **p)
{
	pos %= lr->len;
	if (lr->mem) {
		*p = lr->mem + pos;
		return VHDX_OK;
	}
	enum vhdx_err r = vhdx_int_read(lr->img, lr->scratch, VHDX_SECTOR,
					lr->img->log_offset + pos, "log");
	*p = lr->scratch;
	return r;
}

static bool in_header_or_log(const struct vhdx_image *img, uint64_t off,
			     uint64_t len)
{
	if (off < VHDX_HEADER_SECTION_SIZE)
		return true;
	return off < img->log_offset + img->log_length &&
	       img->log_offset < off + len;
}

/* Checks descriptor @d of an entry; true if valid. */
static bool desc_valid(const struct vhdx_image *img, const uint8_t *d,
		       const struct entry_info *ei, bool *is_data)
{
	uint64_t off = get_le64(d + LD_FILE_OFFSET);
	uint64_t len;
	if (memcmp(d + LD_SIGNATURE, "desc", 4) == 0) {
		*is_data = true;
		len = VHDX_SECTOR;
	} else if (memcmp(d + LD_SIGNATURE, "zero", 4) == 0) {
		*is_data = false;
		len = get_le64(d + LD_ZERO_LENGTH);
		if (len % VHDX_SECTOR != 0)
			return false;
	} else {
		return false;
	}
	if (get_le64(d + LD_SEQUENCE) != ei->seq || off % VHDX_SECTOR != 0)
		return false;
	if (!hvo_in_bounds(off, len, ei->last) ||
	    in_header_or_log(img, off, len))
		return false;
	return true;
}

/*
 * Reads and checks the entry at @pos.  Returns 1 if valid (filling @ei),
 * 0 if not, or -1 on an I/O error (message set).  @want, if not NULL, is
 * the LogGuid the entry must carry.
 */
static int read_entry(struct log_reader *lr, uint32_t pos,
		      const struct vhdx_guid *want, struct entry_info *ei)
{
	struct vhdx_image *img = lr->img;
	const uint8_t *s;
	if (log_sector(lr, pos, &s) != VHDX_OK)
		return -1;
	if (memcmp(s + LE_SIGNATURE, "loge", 4) != 0)
		return 0;
	ei->pos = pos;
	ei->length = get_le32(s + LE_ENTRY_LENGTH);
	ei->tail = get_le32(s + LE_TAIL);
	ei->seq = get_le64(s + LE_SEQUENCE);
	ei->ndesc = get_le32(s + LE_DESCRIPTOR_COUNT);
	ei->flushed = get_le64(s + LE_FLUSHED_OFFSET);
	ei->last = get_le64(s + LE_LAST_OFFSET);
	memcpy(ei->guid.b, s + LE_LOG_GUID, 16);
	uint32_t csum = get_le32(s + LE_CHECKSUM);
	if (ei->length == 0 || ei->length % VHDX_SECTOR != 0 ||
	    ei->length > lr->len || ei->tail % VHDX_SECTOR != 0 ||
	    ei->tail >= lr->len || ei->seq == 0 ||
	    ei->last > VHDX_INT_MAX_FILE_SIZE)
		return 0;
	if (want && !vhdx_int_guid_eq(&ei->guid, want))
		return 0;
	uint32_t nsect = ei->length / VHDX_SECTOR;
	ei->desc_sectors = desc_sectors_for(ei->ndesc);
	if (ei->ndesc > nsect * LOG_DESC_PER_SECTOR || ei->desc_sectors > nsect)
		return 0;

	/* One pass over the entry: CRC, descriptors, data sectors. */
	uint32_t crc = 0, ndata = 0, data_seen = 0;
	for (uint32_t k = 0; k < nsect; k++) {
		if (log_sector(lr, (uint64_t)pos + (uint64_t)k * VHDX_SECTOR,
			       &s) != VHDX_OK)
			return -1;
		if (k == 0)
			crc = vhdx_int_crc32c_with_hole(s, VHDX_SECTOR,
							LE_CHECKSUM);
		else
			crc = vhdx_int_crc32c(crc, s, VHDX_SECTOR);
		if (k < ei->desc_sectors) {
			uint32_t first =
				k == 0 ? 0
				       : LOG_DESC_FIRST_SECTOR +
						 (k - 1) * LOG_DESC_PER_SECTOR;
			for (uint32_t i = first; i < ei->ndesc; i++) {
				uint32_t sec, off;
				desc_location(i, &sec, &off);
				if (sec != k)
					break;
				bool is_data;
				if (!desc_valid(img, s + off, ei, &is_data))
					return 0;
				ndata += is_data;
			}
			if (k + 1 == ei->desc_sectors &&
			    ei->desc_sectors + ndata > nsect)
				return 0;
		} else if (data_seen < ndata) {
			/* 2.3.1.4: the sequence number is split over both
			 * ends of the sector, so a torn write shows. */
			if (memcmp(s + LDS_SIGNATURE, "data", 4) != 0 ||
			    get_le32(s + LDS_SEQUENCE_HIGH) !=
				    (uint32_t)(ei->seq >> 32) ||
			    get_le32(s + LDS_SEQUENCE_LOW) != (uint32_t)ei->seq)
				return 0;
			data_seen++;
		}
	}
	return crc == csum ? 1 : 0;
}

struct sequence {
	uint32_t tail_pos; /* first entry to replay */
	uint32_t count;	   /* entries from the tail to the head */
	struct entry_info head;
	bool found;
};

/* 2.3.3 steps 1-7. */
static enum vhdx_err find_active(struct log_reader *lr, struct sequence *act)
{
	struct vhdx_image *img = lr->img;
	uint32_t cap = lr->len / VHDX_SECTOR;
	uint32_t *starts = malloc(cap * sizeof(*starts));
	if (starts == NULL)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	memset(act, 0, sizeof(*act));
	uint32_t cur_tail = 0, old_tail = 0;
	enum vhdx_err r = VHDX_OK;
	for (;;) {
		/* Step 3: extend the current sequence while entries are
		 * valid and consecutive. */
		uint32_t n = 0, pos = cur_tail;
		uint64_t span = 0;
		struct entry_info e, head;
		for (;;) {
			int v = read_entry(lr, pos, &img->log_guid, &e);
			if (v < 0) {
				r = VHDX_ERR_IO;
				goto out;
			}
			if (v == 0 || (n > 0 && e.seq != head.seq + 1) ||
			    span + e.length > lr->len)
				break;
			starts[n++] = pos;
			span += e.length;
			head = e;
			pos = (uint32_t)(((uint64_t)pos + e.length) % lr->len);
		}
		/* Step 4: valid if the head's tail is one of its entries. */
		bool valid = false;
		uint32_t from = 0;
		for (uint32_t i = 0; i < n; i++)
			if (starts[i] == head.tail) {
				valid = true;
				from = i;
				break;
			}
		/* Step 5. */
		if (valid && (!act->found || head.seq > act->head.seq)) {
			act->found = true;
			act->tail_pos = starts[from];
			act->count = n - from;
			act->head = head;
		}
		/* Step 6. */
		if (n == 0 || !valid)
			cur_tail =
				(uint32_t)(((uint64_t)cur_tail + VHDX_SECTOR) %
					   lr->len);
		else
			cur_tail = pos;
		/* Step 7. */
		if (cur_tail <= old_tail)
			break;
		old_tail = cur_tail;
	}
out:
	free(starts);
	return r;
}

static enum vhdx_err zero_range(struct vhdx_image *img, uint64_t off,
				uint64_t len)
{
	/* Only the part inside the file needs zeroing: extending the file
	 * (below) gives zeros. */
	if (off >= img->file_size || len == 0)
		return VHDX_OK;
	if (off + len > img->file_size)
		len = img->file_size - off;
#ifdef FALLOC_FL_ZERO_RANGE
	if (fallocate(img->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0) {
		VHDX_INT_IO(VHDX_INT_IO_ZERO, NULL, len, off);
		return VHDX_OK;
	}
#endif
	static const uint8_t zeros[64 * 1024];
	while (len > 0) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		enum vhdx_err r =
			vhdx_int_write(img, zeros, n, off, "log replay");
		if (r != VHDX_OK)
			return r;
		off += n;
		len -= n;
	}
	return VHDX_OK;
}

/* Replays one (valid) entry: in place, or into the in-memory overlay. */
static enum vhdx_err replay_entry(struct log_reader *lr,
				  const struct entry_info *ei, bool in_place)
{
	struct vhdx_image *img = lr->img;
	uint8_t sector[VHDX_SECTOR];
	uint32_t data_index = 0;
	for (uint32_t i = 0; i < ei->ndesc; i++) {
		uint32_t sec, off;
		desc_location(i, &sec, &off);
		const uint8_t *s;
		enum vhdx_err r = log_sector(
			lr, (uint64_t)ei->pos + (uint64_t)sec * VHDX_SECTOR,
			&s);
		if (r != VHDX_OK)
			return r;
		uint8_t d[LD_SIZE];
		memcpy(d, s + off, LD_SIZE);
		uint64_t foff = get_le64(d + LD_FILE_OFFSET);
		if (memcmp(d + LD_SIGNATURE, "zero", 4) == 0) {
			uint64_t zlen = get_le64(d + LD_ZERO_LENGTH);
			r = in_place ? zero_range(img, foff, zlen)
				     : vhdx_int_overlay_add(img, foff, zlen,
							    NULL);
			if (r != VHDX_OK)
				return r;
			continue;
		}
		/* A data descriptor: bytes 0-7 and 4092-4095 of the update
		 * live in the descriptor, the rest in its data sector. */
		r = log_sector(lr,
			       (uint64_t)ei->pos + (uint64_t)(ei->desc_sectors +
							      data_index) *
							   VHDX_SECTOR,
			       &s);
		if (r != VHDX_OK)
			return r;
		data_index++;
		memcpy(sector, d + LD_LEADING_BYTES, 8);
		memcpy(sector + 8, s + LDS_DATA, LDS_DATA_SIZE);
		memcpy(sector + VHDX_SECTOR - 4, d + LD_TRAILING_BYTES, 4);
		r = in_place ? vhdx_int_write(img, sector, VHDX_SECTOR, foff,
					      "log replay")
			     : vhdx_int_overlay_add(img, foff, VHDX_SECTOR,
						    sector);
		if (r != VHDX_OK)
			return r;
	}
	return VHDX_OK;
}

static enum vhdx_err reader_init(struct vhdx_image *img, struct log_reader *lr)
{
	memset(lr, 0, sizeof(*lr));
	lr->img = img;
	lr->len = img->log_length;
	if (lr->len <= VHDX_INT_LOG_INMEM_MAX) {
		lr->mem = malloc(lr->len);
		if (lr->mem == NULL)
			return vhdx_int_fail(img, VHDX_ERR_NOMEM,
					     "out of memory");
		enum vhdx_err r = vhdx_int_read(img, lr->mem, lr->len,
						img->log_offset, "log");
		if (r != VHDX_OK) {
			free(lr->mem);
			lr->mem = NULL;
			return r;
		}
	}
	return VHDX_OK;
}

enum vhdx_err vhdx_int_log_open(struct vhdx_image *img)
{
	static const struct vhdx_guid zero;
	img->log_state = VHDX_LOG_CLEAN;
	if (vhdx_int_guid_is_zero(&img->log_guid))
		return VHDX_OK;
	struct log_reader lr;
	enum vhdx_err r = reader_init(img, &lr);
	if (r != VHDX_OK)
		return r;
	struct sequence act;
	r = find_active(&lr, &act);
	if (r != VHDX_OK)
		goto out;
	if (!act.found) {
		img->log_state = VHDX_LOG_EMPTY_GUID;
		if (img->writable)
			r = vhdx_int_update_headers(img, false, &zero);
		goto out;
	}
	if (img->file_size < act.head.flushed) {
		r = vhdx_int_fail(
			img, VHDX_ERR_TRUNCATED,
			"log: the file is %#llx bytes but the log entry "
			"(sequence %llu) says %#llx bytes were flushed: "
			"the file was truncated",
			(unsigned long long)img->file_size,
			(unsigned long long)act.head.seq,
			(unsigned long long)act.head.flushed);
		goto out;
	}
	if (img->writable) {
		/* FileWriteGuid changes before the first modification,
		 * including log playback (2.2.2); the log GUID stays until the
		 * replay is durable. */
		r = vhdx_int_update_headers(img, false, &img->log_guid);
		if (r != VHDX_OK)
			goto out;
	}
	uint32_t pos = act.tail_pos;
	for (uint32_t i = 0; i < act.count; i++) {
		struct entry_info e;
		int v = read_entry(&lr, pos, &img->log_guid, &e);
		if (v <= 0) {
			r = v < 0 ? VHDX_ERR_IO
				  : vhdx_int_fail(
					    img, VHDX_ERR_CORRUPT,
					    "log: entry at %#x changed during "
					    "replay",
					    pos);
			goto out;
		}
		r = replay_entry(&lr, &e, img->writable);
		if (r != VHDX_OK)
			goto out;
		pos = (uint32_t)(((uint64_t)pos + e.length) % lr.len);
	}
	/* "expand the file size to be at least as large as the
	 * LastFileOffset field of the head entry" (2.3.3). */
	if (img->writable) {
		r = vhdx_int_extend(img, act.head.last);
		if (r == VHDX_OK)
			r = vhdx_int_sync(img);
		if (r == VHDX_OK)
			r = vhdx_int_update_headers(img, false, &zero);
		if (r != VHDX_OK)
			goto out;
		img->log_state = VHDX_LOG_REPLAYED_FILE;
	} else {
		if (act.head.last > img->eff_size)
			img->eff_size = act.head.last;
		img->log_state = VHDX_LOG_REPLAYED_MEMORY;
	}
	img->log_entries_replayed = act.count;
	img->log_head_seq = act.head.seq;
out:
	free(lr.mem);
	return r;
}

unsigned vhdx_int_log_count_stale(struct vhdx_image *img)
{
	if (img->log_length == 0)
		return 0;
	struct log_reader lr;
	if (reader_init(img, &lr) != VHDX_OK)
		return 0;
	unsigned n = 0;
	for (uint32_t pos = 0; pos < lr.len;) {
		struct entry_info e;
		int v = read_entry(&lr, pos, NULL, &e);
		if (v < 0)
			break;
		if (v == 1 && !vhdx_int_guid_eq(&e.guid, &img->log_guid)) {
			n++;
			if ((uint64_t)pos + e.length >= lr.len)
				break;
			pos += e.length;
		} else {
			pos += VHDX_SECTOR;
		}
	}
	free(lr.mem);
	return n;
}

/* ---- Writing ---- */

uint32_t vhdx_int_log_max_batch(uint32_t log_length)
{
	/* An entry takes at most a quarter of the log, so that the next one,
	 * even after wrapping to the start, never overwrites the entry just
	 * written (the only one a replay may need: our tail is always the
	 * head itself). */
	uint32_t limit = log_length / VHDX_SECTOR / 4;
	uint32_t n = 0;
	while (n + 1 + desc_sectors_for(n + 1) <= limit &&
	       n + 1 <= VHDX_INT_CACHE_PAGES / 2)
		n++;
	return n;
}

static int cmp_slot(const void *a, const void *b, void *arg)
{
	const struct vhdx_int_page *pages = arg;
	uint64_t ka = pages[*(const uint32_t *)a].key;
	uint64_t kb = pages[*(const uint32_t *)b].key;
	return ka < kb ? -1 : ka > kb;
}

uint32_t vhdx_int_log_entry_size(uint32_t n)
{
	return (desc_sectors_for(n) + n) * VHDX_SECTOR;
}

/* Writes (without flushing) one entry carrying @n pages at ring position
 * @pos, with tail @tail, sequence number @seq and log GUID @guid. */
enum vhdx_err vhdx_int_log_write_entry(struct vhdx_image *img,
				       const struct vhdx_int_lpage *lp,
				       uint32_t n, uint32_t pos, uint32_t tail,
				       uint64_t seq,
				       const struct vhdx_guid *guid)
{
	uint32_t dsect = desc_sectors_for(n);
	uint32_t size = vhdx_int_log_entry_size(n);
	uint8_t *e = calloc(1, size);
	if (e == NULL)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	memcpy(e + LE_SIGNATURE, "loge", 4);
	put_le32(e + LE_ENTRY_LENGTH, size);
	put_le32(e + LE_TAIL, tail);
	put_le64(e + LE_SEQUENCE, seq);
	put_le32(e + LE_DESCRIPTOR_COUNT, n);
	memcpy(e + LE_LOG_GUID, guid->b, 16);
	put_le64(e + LE_FLUSHED_OFFSET,
		 img->file_size / VHDX_ALIGN * VHDX_ALIGN);
	put_le64(e + LE_LAST_OFFSET,
		 vhdx_int_round_up(img->file_size, VHDX_ALIGN));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t sec, off;
		desc_location(i, &sec, &off);
		uint8_t *d = e + (size_t)sec * VHDX_SECTOR + off;
		memcpy(d + LD_SIGNATURE, "desc", 4);
		memcpy(d + LD_TRAILING_BYTES, lp[i].data + VHDX_SECTOR - 4, 4);
		memcpy(d + LD_LEADING_BYTES, lp[i].data, 8);
		put_le64(d + LD_FILE_OFFSET, lp[i].key);
		put_le64(d + LD_SEQUENCE, seq);
		uint8_t *s = e + (size_t)(dsect + i) * VHDX_SECTOR;
		memcpy(s + LDS_SIGNATURE, "data", 4);
		put_le32(s + LDS_SEQUENCE_HIGH, (uint32_t)(seq >> 32));
		memcpy(s + LDS_DATA, lp[i].data + 8, LDS_DATA_SIZE);
		put_le32(s + LDS_SEQUENCE_LOW, (uint32_t)seq);
	}
	put_le32(e + LE_CHECKSUM, vhdx_int_crc32c(0, e, size));
	enum vhdx_err r =
		vhdx_int_write(img, e, size, img->log_offset + pos, "log");
	free(e);
	return r;
}

/*
 * Where the next @size bytes of entries go: at the write position, or at
 * the start of the ring when they do not fit before its end.  They must
 * not overwrite the sequence a replay would need now (the header's
 * LogGuid, from its tail at log_live_pos to log_pos): if they would, the
 * log is cleared first (its updates are applied; the fdatasync of the
 * clear makes them durable) and a new log GUID begins.
 */
enum vhdx_err vhdx_int_log_place(struct vhdx_image *img, uint32_t size,
				 uint32_t *pos_ret)
{
	uint32_t p = img->log_pos + (uint64_t)size <= img->log_length
			     ? img->log_pos
			     : 0;
	if (img->log_active && p < img->log_pos &&
	    img->log_live_pos < p + size) {
		enum vhdx_err r = vhdx_int_log_clear(img);
		if (r != VHDX_OK)
			return r;
		int err = vhdx_int_guid_random(&img->session_log_guid);
		if (err != 0)
			return vhdx_int_fail_errno(img, err, "new log GUID");
		img->log_seq = 1;
		p = 0;
	}
	*pos_ret = p;
	return VHDX_OK;
}

/* One entry carrying @n dirty pages (slots @slots). */
static enum vhdx_err commit_pages(struct vhdx_image *img, const uint32_t *slots,
				  uint32_t n)
{
	struct vhdx_int_cache *c = &img->cache;
	uint32_t size = vhdx_int_log_entry_size(n);
	struct vhdx_int_lpage *lp = malloc(n * sizeof(*lp));
	if (lp == NULL)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++)
		lp[i] = (struct vhdx_int_lpage){ c->pages[slots[i]].key,
						 c->pages[slots[i]].data };
	uint32_t pos;
	enum vhdx_err r = vhdx_int_log_place(img, size, &pos);
	uint64_t seq = img->log_seq;
	/* Every entry is its own tail: the previous entry's updates were
	 * applied before, and the fdatasync() that preceded this entry made
	 * them durable. */
	if (r == VHDX_OK)
		r = vhdx_int_log_write_entry(img, lp, n, pos, pos, seq,
					     &img->session_log_guid);
	free(lp);
	VHDX_INT_CRASH_POINT("log-written");
	if (r == VHDX_OK)
		r = vhdx_int_sync(img);
	VHDX_INT_CRASH_POINT("log-synced");
	if (r == VHDX_OK && !img->log_active) {
		/* The header names the new log only now that an entry carrying
		 * its GUID is durable.  See write.c for why this order, and
		 * not the reverse, is the crash-safe one. */
		r = vhdx_int_update_headers(img, false, &img->session_log_guid);
		if (r == VHDX_OK)
			img->log_active = true;
		VHDX_INT_CRASH_POINT("header");
	}
	for (uint32_t i = 0; i < n && r == VHDX_OK; i++) {
		struct vhdx_int_page *pg = &c->pages[slots[i]];
		r = vhdx_int_write(img, pg->data, VHDX_SECTOR, pg->key, "BAT");
		if (r == VHDX_OK) {
			pg->dirty = false;
			c->ndirty--;
		}
		VHDX_INT_CRASH_POINT("apply");
	}
	VHDX_INT_CRASH_POINT("applied");
	img->unsynced = true;
	if (r != VHDX_OK)
		return r;
	img->log_head_pos = pos;
	img->log_head_len = size;
	img->log_has_head = true;
	img->log_live_pos = pos;
	img->log_pos = pos + size;
	img->log_seq++;
	return VHDX_OK;
}

uint32_t vhdx_int_log_seq_capacity(uint32_t log_length, uint32_t max_batch)
{
	/* Entries of max_batch pages, one after the other from the start of
	 * the ring, until the ring is full. */
	uint32_t n = 0;
	uint64_t used = 0;
	if (max_batch == 0)
		return 0;
	for (;;) {
		uint32_t k = 1;
		if (used + vhdx_int_log_entry_size(k) > log_length)
			break;
		while (k < max_batch &&
		       used + vhdx_int_log_entry_size(k + 1) <= log_length)
			k++;
		n += k;
		used += vhdx_int_log_entry_size(k);
		if (k < max_batch)
			break;
	}
	return n;
}

enum vhdx_err vhdx_int_log_commit(struct vhdx_image *img)
{
	struct vhdx_int_cache *c = &img->cache;
	if (c->ndirty == 0)
		return img->unsynced ? vhdx_int_sync(img) : VHDX_OK;
	if (img->log_length == 0 || img->max_batch == 0)
		return vhdx_int_fail(
			img, VHDX_ERR_UNSUPPORTED,
			"log: the image has no log (or one too small) "
			"to update its BAT through");
	if (vhdx_int_guid_is_zero(&img->session_log_guid)) {
		int err = vhdx_int_guid_random(&img->session_log_guid);
		if (err != 0)
			return vhdx_int_fail_errno(img, err, "new log GUID");
		img->log_seq = 1;
		img->log_pos = 0;
	}
	uint32_t *slots = malloc(c->ndirty * sizeof(*slots));
	if (slots == NULL)
		return vhdx_int_fail(img, VHDX_ERR_NOMEM, "out of memory");
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->npages; i++)
		if (c->pages[i].used && c->pages[i].dirty)
			slots[n++] = i;
	qsort_r(slots, n, sizeof(*slots), cmp_slot, c->pages);
	/* The payload (and the previous entry's in-place updates) must be
	 * durable before an entry that makes the BAT point at it. */
	enum vhdx_err r = vhdx_int_sync(img);
	for (uint32_t done = 0; done < n && r == VHDX_OK;) {
		uint32_t k =
			n - done < img->max_batch ? n - done : img->max_batch;
		if (done > 0)
			r = vhdx_int_sync(img);
		if (r == VHDX_OK)
			r = commit_pages(img, slots + done, k);
		done += k;
	}
	free(slots);
	return r;
}

enum vhdx_err vhdx_int_log_clear(struct vhdx_image *img)
{
	static const struct vhdx_guid zero;
	if (!img->log_active)
		return VHDX_OK;
	/* The applied updates must be durable before the header says there
	 * is nothing to replay. */
	enum vhdx_err r = vhdx_int_sync(img);
	VHDX_INT_CRASH_POINT("clear");
	if (r == VHDX_OK)
		r = vhdx_int_update_headers(img, false, &zero);
	if (r != VHDX_OK)
		return r;
	img->log_active = false;
	img->session_log_guid = zero;
	img->log_has_head = false;
	img->log_live_pos = 0;
	img->log_pos = 0;
	return VHDX_OK;
}

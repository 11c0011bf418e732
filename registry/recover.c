/*
 * recover.c - recovering a dirty hive from its transaction logs.
 *
 * The rules follow the regf specification ("Format of transaction log
 * files", "Dirty state of a hive", "Multiple transaction log files") and
 * were checked against hives Windows recovered itself (yarp's
 * NewDirtyHive1 -> RecoveredHive_Windows10 is byte-identical from offset
 * 4096 on).
 *
 * New format (HvLE), primary base block valid:
 *   - logs are taken in the order of their base blocks' sequence numbers
 *     (LOG1 and LOG2 swap roles; LOG1 is not necessarily older);
 *   - a log whose base block sequence number is below the primary's
 *     secondary sequence number holds only entries already in the
 *     primary: skipped (yarp NewDirtyHive2: LOG1 skipped, LOG2 applied);
 *   - the first entry applied must carry its log's base block sequence
 *     number; each following one, the previous plus one, across logs
 *     ("Notes 5, 7"); the first that does not, ends that log;
 *   - each entry grows the hive to its hive bins size and overwrites the
 *     pages it carries; the base block takes the entry's hive bins size
 *     and bit 0 of its flags ("Notes 9, 11").
 * New format, primary base block invalid (bad checksum): the base block
 * comes from the log with the latest entries, and only that log is
 * applied ("New format", last paragraph; "Notes 6").
 *
 * Old format (DIRT): one log is applied: LOG1 if its base block is valid
 * and its last-written timestamp matches the primary's; else LOG2 if valid
 * and more recent than LOG1 (the Windows 8 rule, also in Windows 7 since
 * KB3140410); else a single-log .LOG with a matching timestamp.  When the
 * primary's base block is invalid its timestamp cannot be trusted: the
 * valid log whose timestamp matches the first bin's, else the most recent
 * valid log, is used, and its base block copy replaces the primary's
 * (yarp BadBaseBlockHive).  Every set bit of the dirty vector puts the
 * next stored 512-byte page at 4096 + 512 * bit.
 *
 * The result is a clean hive: both sequence numbers are set one above the
 * highest sequence number found in the primary or any log (Windows'
 * NewDirtyHive1 result: entries up to 5, hive 6/6), so no stale log entry
 * can ever count as "subsequent" to it.  Windows further repairs dirty
 * bins with dummy bins; we do not guess: the caller checks the result's
 * whole structure and refuses it if anything is invalid.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/bytes.h"

/* The working image: grows as entries need. */
struct work {
	uint8_t *buf;
	size_t len;
	/* Growth bound: every byte a recovery adds to the hive comes from a
	 * page in the logs (new bins are dirty, hence logged), so the result
	 * is never larger than the primary and its logs together.  This
	 * keeps a hostile hive-bins size from making us allocate gigabytes. */
	uint64_t limit;
};

static int grow(struct work *w, uint64_t need)
{
	if (need <= w->len)
		return 0;
	if (need > REG_MAX_HIVE_SIZE || need > w->limit)
		return REG_ERR_TOO_BIG;
	uint8_t *n = realloc(w->buf, (size_t)need);
	if (n == NULL)
		return REG_ERR_NOMEM;
	memset(n + w->len, 0, (size_t)need - w->len);
	w->buf = n;
	w->len = (size_t)need;
	return 0;
}

static uint32_t max_seq_of(const struct regf_base *base, bool base_valid,
			   const struct txlog *logs, size_t nlogs)
{
	uint32_t m = 0;
	if (base_valid) {
		m = base->seq1 > base->seq2 ? base->seq1 : base->seq2;
	}
	for (size_t i = 0; i < nlogs; i++)
		if (logs[i].kind == REG_LOG_NEW || logs[i].kind == REG_LOG_OLD)
			if (logs[i].max_seq > m)
				m = logs[i].max_seq;
	return m;
}

/* Applies one HvLE entry to the image. */
static int apply_entry(struct work *w, const struct txlog *lg,
		       const struct reg_int_txlog_entry *ent)
{
	int rc = grow(w, (uint64_t)REGF_BASE_SIZE + ent->hbins_size);
	if (rc)
		return rc;
	const uint8_t *p = lg->buf + ent->off;
	size_t data = LE_REFS + (size_t)ent->npages * 8;
	for (uint32_t i = 0; i < ent->npages; i++) {
		uint32_t poff = get_le32(p + LE_REFS + 8 * i);
		uint32_t psize = get_le32(p + LE_REFS + 8 * i + 4);
		/* reg_int_txlog_parse() checked both bounds. */
		memcpy(w->buf + REGF_BASE_SIZE + poff, p + data, psize);
		data += psize;
	}
	put_le32(w->buf + RB_HBINS_SIZE, ent->hbins_size);
	uint32_t flags = get_le32(w->buf + RB_FLAGS);
	put_le32(w->buf + RB_FLAGS, (flags & ~1u) | (ent->flags & 1u));
	return 0;
}

/* Applies entries of @lg in sequence; *@expected is 0 before the first
 * entry of the whole recovery. */
static int apply_log(struct work *w, struct txlog *lg, uint32_t *expected,
		     uint32_t *applied, uint32_t *last_seq)
{
	for (size_t i = 0; i < lg->nentries; i++) {
		const struct reg_int_txlog_entry *ent = &lg->entries[i];
		uint32_t want = *expected ? *expected : lg->base.seq1;
		if (ent->seq != want) {
			if (lg->problem[0] == '\0')
				snprintf(lg->problem, sizeof(lg->problem),
					 "entry at offset %zu has sequence "
					 "number %u, %u expected: later "
					 "entries not applied",
					 ent->off, ent->seq, want);
			break;
		}
		int rc = apply_entry(w, lg, ent);
		if (rc)
			return rc;
		lg->applied++;
		(*applied)++;
		*last_seq = ent->seq;
		if (ent->seq == UINT32_MAX)
			break;
		*expected = ent->seq + 1;
	}
	return 0;
}

static int cmp_log_seq(const void *a, const void *b)
{
	const struct txlog *x = *(struct txlog *const *)a;
	const struct txlog *y = *(struct txlog *const *)b;
	return x->base.seq1 < y->base.seq1 ? -1 : x->base.seq1 > y->base.seq1;
}

static int recover_new(struct work *w, const struct regf_base *base,
		       bool base_valid, struct txlog *logs, size_t nlogs,
		       struct recovery *res, struct reg_err *e)
{
	struct txlog *order[REG_MAX_LOGS];
	size_t n = 0;
	for (size_t i = 0; i < nlogs && n < REG_MAX_LOGS; i++)
		if (logs[i].kind == REG_LOG_NEW)
			order[n++] = &logs[i];
	qsort(order, n, sizeof(order[0]), cmp_log_seq);

	uint32_t expected = 0;
	if (!base_valid) {
		/* Only the log with the latest entries; its base block
		 * copy becomes the primary's. */
		struct txlog *lg = order[n - 1];
		memset(w->buf, 0, REGF_BASE_SIZE);
		memcpy(w->buf, lg->buf, REGF_LOG_BASE_SIZE);
		put_le32(w->buf + RB_TYPE, REGF_TYPE_PRIMARY);
		int rc = apply_log(w, lg, &expected, &res->applied,
				   &res->last_seq);
		if (rc)
			return rc;
	} else {
		for (size_t i = 0; i < n; i++) {
			struct txlog *lg = order[i];
			if (lg->base.seq1 < base->seq2) {
				snprintf(lg->problem, sizeof(lg->problem),
					 "stale: its entries start at "
					 "sequence number %u, the hive is at "
					 "%u",
					 lg->base.seq1, base->seq2);
				continue;
			}
			int rc = apply_log(w, lg, &expected, &res->applied,
					   &res->last_seq);
			if (rc)
				return rc;
		}
	}
	if (res->applied == 0)
		return reg_int_err_set(
			e, REG_ERR_NO_LOGS,
			"no log entry follows the hive's sequence "
			"number %u",
			base->seq2);
	res->new_format = true;
	return 0;
}

/* Old format: which log applies (see the header comment). */
static struct txlog *pick_old(const uint8_t *prim, size_t prim_len,
			      const struct regf_base *base, bool base_valid,
			      struct txlog *logs, size_t nlogs)
{
	/* logs[] is in .LOG, .LOG1, .LOG2 order. */
	struct txlog *single = nlogs > 0 ? &logs[0] : NULL;
	struct txlog *l1 = nlogs > 1 ? &logs[1] : NULL;
	struct txlog *l2 = nlogs > 2 ? &logs[2] : NULL;
#define OLD_OK(l) ((l) != NULL && (l)->kind == REG_LOG_OLD)
	if (base_valid) {
		uint64_t ts = base->timestamp;
		if (OLD_OK(l1) && l1->base.timestamp == ts)
			return l1;
		if (OLD_OK(l2) &&
		    (!OLD_OK(l1) || l2->base.timestamp > l1->base.timestamp))
			return l2;
		if (OLD_OK(single) && single->base.timestamp == ts)
			return single;
		return NULL;
	}
	uint64_t bin_ts = 0;
	if (prim_len >= REGF_BASE_SIZE + REGF_HBIN_HDR)
		bin_ts = get_le64(prim + REGF_BASE_SIZE + HB_TIMESTAMP);
	struct txlog *best = NULL;
	struct txlog *cands[3] = { l1, l2, single };
	for (int i = 0; i < 3; i++)
		if (OLD_OK(cands[i]) && cands[i]->base.timestamp == bin_ts)
			return cands[i];
	for (int i = 0; i < 3; i++)
		if (OLD_OK(cands[i]) &&
		    (best == NULL ||
		     cands[i]->base.timestamp > best->base.timestamp))
			best = cands[i];
#undef OLD_OK
	return best;
}

static int recover_old(struct work *w, const uint8_t *prim, size_t prim_len,
		       const struct regf_base *base, bool base_valid,
		       struct txlog *logs, size_t nlogs, struct recovery *res,
		       struct reg_err *e)
{
	struct txlog *lg =
		pick_old(prim, prim_len, base, base_valid, logs, nlogs);
	if (lg == NULL)
		return reg_int_err_set(e, REG_ERR_NO_LOGS,
				       "no old-format log matches the hive's "
				       "last-written timestamp");
	uint32_t hbs = lg->base.hbins_size;
	int rc = grow(w, (uint64_t)REGF_BASE_SIZE + hbs);
	if (rc)
		return rc;
	if (!base_valid) {
		memset(w->buf, 0, REGF_BASE_SIZE);
		memcpy(w->buf, lg->buf, REGF_LOG_BASE_SIZE);
		put_le32(w->buf + RB_TYPE, REGF_TYPE_PRIMARY);
	}
	put_le32(w->buf + RB_HBINS_SIZE, hbs);
	const uint8_t *page = lg->buf + lg->pages_off;
	for (uint32_t i = 0; i < lg->npages_bits; i++) {
		if (!(lg->bitmap[i >> 3] >> (i & 7) & 1))
			continue;
		/* reg_int_txlog_parse() checked that every page is in the file;
		 * the bitmap covers exactly the hive bins. */
		memcpy(w->buf + REGF_BASE_SIZE + (size_t)i * LOG_OLD_PAGE, page,
		       LOG_OLD_PAGE);
		page += LOG_OLD_PAGE;
		lg->applied++;
	}
	res->applied = lg->applied;
	res->last_seq = lg->base.seq1;
	res->new_format = false;
	return 0;
}

int reg_int_recover(const uint8_t *prim, size_t prim_len,
		    const struct regf_base *base, struct txlog *logs,
		    size_t nlogs, struct recovery *res, struct reg_err *e)
{
	memset(res, 0, sizeof(*res));
	bool base_valid = base->signature_ok && base->checksum_ok;
	bool any_new = false, any_old = false;
	for (size_t i = 0; i < nlogs; i++) {
		any_new |= logs[i].kind == REG_LOG_NEW;
		any_old |= logs[i].kind == REG_LOG_OLD;
	}
	if (!any_new && !any_old)
		return reg_int_err_set(e, REG_ERR_NO_LOGS,
				       "no valid transaction log");
	uint32_t top = max_seq_of(base, base_valid, logs, nlogs);
	if (top == UINT32_MAX)
		return reg_int_err_set(e, REG_ERR_UNSUPPORTED,
				       "sequence number 0xffffffff cannot be "
				       "followed");

	struct work w = { .buf = NULL, .len = 0, .limit = prim_len };
	for (size_t i = 0; i < nlogs; i++)
		w.limit += logs[i].len;
	if (w.limit < REGF_BASE_SIZE)
		w.limit = REGF_BASE_SIZE;
	int rc =
		grow(&w, prim_len > REGF_BASE_SIZE ? prim_len : REGF_BASE_SIZE);
	if (rc)
		return rc == REG_ERR_NOMEM
			       ? reg_int_err_set(e, rc, "out of memory")
			       : reg_int_err_set(e, rc, "hive too large");
	memcpy(w.buf, prim, prim_len);
	if (any_new)
		rc = recover_new(&w, base, base_valid, logs, nlogs, res, e);
	else
		rc = recover_old(&w, prim, prim_len, base, base_valid, logs,
				 nlogs, res, e);
	if (rc) {
		free(w.buf);
		if (rc == REG_ERR_NOMEM)
			return reg_int_err_set(e, rc, "out of memory");
		if (rc == REG_ERR_TOO_BIG)
			return reg_int_err_set(
				e, REG_ERR_NO_LOGS,
				"a log grows the hive beyond what "
				"its logs can fill");
		return rc;
	}
	res->seq = top + 1;
	put_le32(w.buf + RB_SEQ1, res->seq);
	put_le32(w.buf + RB_SEQ2, res->seq);
	reg_int_regf_base_seal(w.buf);
	res->image = w.buf;
	res->len = w.len;
	return 0;
}

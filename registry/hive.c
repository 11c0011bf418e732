/*
 * hive.c - opening a hive: read, check, classify, recover, attach libhivex.
 *
 * reg_open() reads the hive and its logs completely and decides its state
 * before libhivex sees a byte (see reg.h).  libhivex is then opened on a
 * private in-memory copy of exactly the bytes we checked (a memfd), never
 * on the original path: what was validated is what gets edited, and a
 * recovered hive can be read and edited without writing anything first.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/bytes.h"
#include "util/fileio.h"

const struct reg_info *reg_get_info(const struct reg_hive *h)
{
	return &h->info;
}

const char *reg_path(const struct reg_hive *h)
{
	return h->path;
}

int reg_int_read_file(struct reg_hive *h, const char *path, uint64_t max,
		      bool may_be_absent, uint8_t **buf_ret, size_t *len_ret,
		      bool *present_ret)
{
	*buf_ret = NULL;
	*len_ret = 0;
	if (present_ret)
		*present_ret = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && may_be_absent)
			return 0;
		return reg_int_fail(h, REG_ERR_IO, "cannot open %s: %s", path,
				    strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return reg_int_fail(h, REG_ERR_IO, "cannot read %s: %s", path,
				    strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return reg_int_fail(h, REG_ERR_IO, "%s is not a regular file",
				    path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return reg_int_fail(
			h, REG_ERR_TOO_BIG,
			"%s is %lld bytes, more than the %llu we read", path,
			(long long)st.st_size, (unsigned long long)max);
	}
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL) {
		close(fd);
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	}
	ssize_t n = hvo_int_pread_full(fd, buf, len, 0);
	int e = errno;
	close(fd);
	if (n < 0 || (size_t)n != len) {
		free(buf);
		return reg_int_fail(h, REG_ERR_IO, "cannot read %s: %s", path,
				    n < 0 ? strerror(e) : "file shrank");
	}
	*buf_ret = buf;
	*len_ret = len;
	if (present_ret)
		*present_ret = true;
	return 0;
}

/*
 * The log beside @hive named <base><suffix>, matched case-insensitively
 * (NTFS names are case-insensitive; copies on a Linux host keep whatever
 * case the guest used).  An exact match wins; otherwise the first match in
 * byte order, so the choice is stable.  Returns a new path or NULL.
 */
static char *find_log(const char *hive, const char *suffix)
{
	char *dcopy = strdup(hive), *bcopy = strdup(hive);
	char *want = NULL, *found = NULL, *result = NULL;
	if (dcopy == NULL || bcopy == NULL)
		goto out;
	const char *dir = dirname(dcopy);
	const char *base = basename(bcopy);
	if (asprintf(&want, "%s%s", base, suffix) < 0) {
		want = NULL;
		goto out;
	}
	DIR *d = opendir(dir);
	if (d == NULL)
		goto out;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcasecmp(de->d_name, want) != 0)
			continue;
		if (strcmp(de->d_name, want) == 0) {
			free(found);
			found = strdup(de->d_name);
			break;
		}
		if (found == NULL || strcmp(de->d_name, found) < 0) {
			free(found);
			found = strdup(de->d_name);
		}
	}
	closedir(d);
	if (found != NULL && asprintf(&result, "%s/%s", dir, found) < 0)
		result = NULL;
out:
	free(dcopy);
	free(bcopy);
	free(want);
	free(found);
	return result;
}

static int load_logs(struct reg_hive *h, const struct reg_open_opts *opts,
		     const struct reg_int_mem_input *mem)
{
	static const char *const suffixes[REG_MAX_LOGS] = { ".LOG", ".LOG1",
							    ".LOG2" };
	const char *given[REG_MAX_LOGS] = { opts->log, opts->log1, opts->log2 };
	for (size_t i = 0; i < REG_MAX_LOGS; i++) {
		struct txlog *lg = &h->logs[i];
		h->nlogs = i + 1;
		if (mem != NULL) {
			if (mem->log[i] == NULL)
				continue;
			if (asprintf(&lg->path, "(memory %s)", suffixes[i]) <
			    0) {
				lg->path = NULL;
				return reg_int_fail(h, REG_ERR_NOMEM,
						    "out of memory");
			}
			lg->buf = malloc(mem->loglen[i] ? mem->loglen[i] : 1);
			if (lg->buf == NULL)
				return reg_int_fail(h, REG_ERR_NOMEM,
						    "out of memory");
			memcpy(lg->buf, mem->log[i], mem->loglen[i]);
			lg->len = mem->loglen[i];
			lg->present = true;
		} else if (given[i] != NULL)
			lg->path = strdup(given[i]);
		else if (!(opts->flags & REG_OPEN_NO_LOGS))
			lg->path = find_log(h->path, suffixes[i]);
		if (lg->path == NULL)
			continue;
		if (mem == NULL) {
			int rc = reg_int_read_file(
				h, lg->path, REG_MAX_LOG_SIZE, given[i] == NULL,
				&lg->buf, &lg->len, &lg->present);
			if (rc)
				return rc;
		}
		if (reg_int_txlog_parse(lg) != 0)
			return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
		if ((lg->kind == REG_LOG_NEW || lg->kind == REG_LOG_OLD) &&
		    lg->max_seq > h->max_log_seq)
			h->max_log_seq = lg->max_seq;
	}
	return 0;
}

static void fill_log_info(struct reg_hive *h)
{
	h->info.nlogs = 0;
	for (size_t i = 0; i < h->nlogs; i++) {
		struct txlog *lg = &h->logs[i];
		struct reg_log_info *li = &h->info.logs[h->info.nlogs];
		if (lg->path == NULL)
			continue;
		h->info.nlogs++;
		free(li->path);
		free(li->problem);
		memset(li, 0, sizeof(*li));
		li->path = strdup(lg->path);
		li->kind = lg->kind;
		if (lg->kind == REG_LOG_NEW || lg->kind == REG_LOG_OLD ||
		    (lg->kind == REG_LOG_INVALID && lg->base.signature_ok))
			li->seq = lg->base.seq1;
		if (lg->kind == REG_LOG_NEW) {
			li->entries = (uint32_t)lg->nentries;
			if (lg->nentries > 0) {
				li->first_seq = lg->entries[0].seq;
				li->last_seq =
					lg->entries[lg->nentries - 1].seq;
			}
		} else if (lg->kind == REG_LOG_OLD) {
			li->entries = lg->ndirty;
		}
		li->applied = lg->applied;
		if (lg->problem[0] != '\0')
			li->problem = strdup(lg->problem);
	}
}

/* Checks the structure of a hive image; fills the counts in h->info. */
static int check_image(struct reg_hive *h, uint8_t *img, size_t len,
		       struct reg_err *e)
{
	struct regf_base b;
	reg_int_regf_base_decode(img, &b);
	if (b.major != 1)
		return reg_int_err_set(e, REG_ERR_UNSUPPORTED,
				       "hive format version %u.%u (only 1.x "
				       "exists)",
				       b.major, b.minor);
	if (b.minor < REGF_MINOR_MIN || b.minor > REGF_MINOR_MAX)
		return reg_int_err_set(
			e, REG_ERR_UNSUPPORTED,
			"hive format version 1.%u (we read 1.3 to "
			"1.6)",
			b.minor);
	if (b.format != 1)
		return reg_int_err_set(e, REG_ERR_UNSUPPORTED,
				       "file format %u (1 expected)", b.format);
	struct hive_image im = {
		.buf = img,
		.len = len,
		.hbins_size = b.hbins_size,
		.minor = b.minor,
		.root = b.root,
	};
	struct reg_int_himg_stats st;
	int rc = reg_int_himg_map(&im, e);
	if (rc == 0)
		rc = reg_int_himg_check(&im, NULL, &st, e);
	if (rc == 0) {
		h->info.nkeys = st.nkeys;
		h->info.nvalues = st.nvalues;
		h->info.free_bytes = reg_int_himg_free_bytes(&im);
		uint32_t size;
		const uint8_t *root = reg_int_himg_cell(&im, b.root, &size);
		uint16_t nlen = get_le16(root + NK_NAME_LEN);
		free(h->info.root_name);
		h->info.root_name = reg_int_himg_name_utf8(
			root + NK_NAME, nlen,
			get_le16(root + NK_FLAGS) & NK_FLAG_COMP);
	}
	reg_int_himg_free(&im);
	return rc;
}

static void set_problem(struct reg_hive *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_problem(struct reg_hive *h, const char *fmt, ...)
{
	free(h->info.problem);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&h->info.problem, fmt, ap) < 0)
		h->info.problem = NULL;
	va_end(ap);
}

int reg_int_scratch_fd(void)
{
#ifdef MFD_CLOEXEC
	int fd = memfd_create("hvoffline-hive", MFD_CLOEXEC);
	if (fd >= 0)
		return fd;
#endif
	const char *tmp = getenv("TMPDIR");
	char *path;
	if (asprintf(&path, "%s/hvoffline-hive-XXXXXX",
		     tmp && *tmp ? tmp : "/tmp") < 0)
		return -1;
	int fd2 = mkostemp(path, O_CLOEXEC);
	if (fd2 >= 0)
		unlink(path);
	free(path);
	return fd2;
}

int reg_int_attach_hivex(struct reg_hive *h, const uint8_t *image, size_t len)
{
	reg_int_detach_hivex(h);
	int fd = reg_int_scratch_fd();
	if (fd < 0)
		return reg_int_fail(
			h, REG_ERR_IO,
			"cannot make a private copy of the hive: %s",
			strerror(errno));
	int e = hvo_int_pwrite_all(fd, image, len, 0);
	if (e != 0) {
		close(fd);
		return reg_int_fail(
			h, REG_ERR_IO,
			"cannot make a private copy of the hive: %s",
			strerror(e));
	}
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	h->hx = hivex_open(fdpath, h->writable ? HIVEX_OPEN_WRITE : 0);
	if (h->hx == NULL) {
		e = errno;
		close(fd);
		return reg_int_fail(h, REG_ERR_HIVEX,
				    "libhivex cannot open it: %s", strerror(e));
	}
	h->hx_fd = fd;
	return 0;
}

void reg_int_detach_hivex(struct reg_hive *h)
{
	if (h->hx != NULL)
		hivex_close(h->hx);
	h->hx = NULL;
	if (h->hx_fd >= 0)
		close(h->hx_fd);
	h->hx_fd = -1;
}

/* Classifies the hive; sets h->info.state, h->image and the problem. */
static int classify(struct reg_hive *h, uint8_t *file, size_t len,
		    const struct reg_open_opts *opts,
		    const struct reg_int_mem_input *mem)
{
	struct reg_info *in = &h->info;
	struct reg_err e = { 0 };
	struct regf_base *b = &h->base;
	reg_int_regf_base_decode(file, b);
	in->seq1 = b->seq1;
	in->seq2 = b->seq2;
	in->major = b->major;
	in->minor = b->minor;
	in->hbins_size = b->hbins_size;
	in->last_written = b->timestamp;
	in->checksum_ok = b->checksum_ok;
	bool dirty = !b->checksum_ok || b->seq1 != b->seq2;

	if (!dirty) {
		int rc = check_image(h, file, len, &e);
		if (rc) {
			free(file);
			in->state = REG_STATE_CORRUPT;
			set_problem(h, "%s", e.msg);
			return reg_int_fail(h, rc, "%s", e.msg);
		}
		in->state = REG_STATE_CLEAN;
		h->image = file;
		h->image_len = len;
		/* Windows ignores a clean hive's logs, but a commit must still
		 * get a sequence number above every entry in them. */
		rc = load_logs(h, opts, mem);
		if (rc)
			return rc;
		fill_log_info(h);
		return 0;
	}

	/* Dirty ("Dirty state of a hive"): try the logs. */
	char why_dirty[128];
	if (!b->checksum_ok)
		snprintf(why_dirty, sizeof(why_dirty),
			 "base block checksum is wrong (0x%08x, computed "
			 "0x%08x)",
			 b->checksum, reg_int_regf_checksum(file));
	else
		snprintf(why_dirty, sizeof(why_dirty),
			 "sequence numbers differ (%u/%u): its last write did "
			 "not finish",
			 b->seq1, b->seq2);
	int rc = load_logs(h, opts, mem);
	if (rc)
		return rc;
	struct recovery res;
	struct reg_err re = { 0 };
	size_t present = 0;
	for (size_t i = 0; i < h->nlogs; i++)
		present += h->logs[i].present && h->logs[i].len > 0;
	if (present == 0)
		rc = reg_int_err_set(
			&re, REG_ERR_NO_LOGS,
			"no transaction log beside it (or all empty)");
	else
		rc = reg_int_recover(file, len, b, h->logs, h->nlogs, &res,
				     &re);
	if (rc == REG_ERR_NOMEM)
		return reg_int_fail(h, rc, "out of memory");
	if (rc == 0) {
		struct reg_err ce = { 0 };
		int crc = check_image(h, res.image, res.len, &ce);
		if (crc == 0) {
			fill_log_info(h);
			in->state = REG_STATE_DIRTY_RECOVERABLE;
			set_problem(h, "dirty: %s; its logs recover it",
				    why_dirty);
			in->recovery_new_format = res.new_format;
			in->recovery_applied = res.applied;
			in->recovery_last_seq = res.last_seq;
			in->recovered_seq = res.seq;
			free(file);
			h->image = res.image;
			h->image_len = res.len;
			h->recovered = true;
			return 0;
		}
		free(res.image);
		reg_int_err_set(&re, crc,
				"replaying the logs gives an invalid "
				"hive: %s",
				ce.msg);
	}
	fill_log_info(h);
	/* No usable logs: is the primary itself readable?  (Read-only:
	 * libhivex wants a valid checksum, so a copy is sealed in memory.) */
	in->state = REG_STATE_DIRTY_NO_LOGS;
	set_problem(h, "dirty: %s; no usable transaction log: %s", why_dirty,
		    re.msg[0] ? re.msg : "none found");
	if (b->signature_ok)
		reg_int_regf_base_seal(file);
	struct reg_err pe = { 0 };
	int prc = check_image(h, file, len, &pe);
	if (prc) {
		in->state = REG_STATE_CORRUPT;
		set_problem(h,
			    "dirty: %s; no usable transaction log (%s); "
			    "and the primary file itself is damaged: %s",
			    why_dirty, re.msg[0] ? re.msg : "none found",
			    pe.msg);
		free(file);
		return reg_int_fail(h, prc, "%s", h->info.problem);
	}
	h->image = file;
	h->image_len = len;
	return 0;
}

static struct reg_hive *new_handle(const char *path, unsigned flags)
{
	struct reg_hive *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->hx_fd = -1;
	h->flags = flags;
	h->path = strdup(path);
	if (h->path == NULL) {
		free(h);
		return NULL;
	}
	h->info.state = REG_STATE_CORRUPT;
	return h;
}

/* Everything after the hive's bytes are in memory (@file, owned). */
static int open_image(struct reg_hive *h, uint8_t *file, size_t len,
		      const struct reg_open_opts *opts,
		      const struct reg_int_mem_input *mem)
{
	int rc;
	h->info.file_size = len;
	if (len < 4 || memcmp(file, "regf", 4) != 0) {
		free(file);
		set_problem(h, "no 'regf' signature");
		return reg_int_fail(h, REG_ERR_NOT_HIVE,
				    "not a registry hive (no 'regf' "
				    "signature)");
	}
	if (len < REGF_BASE_SIZE) {
		free(file);
		set_problem(h, "%zu bytes: shorter than the base block", len);
		return reg_int_fail(h, REG_ERR_TRUNCATED,
				    "truncated: %zu bytes, shorter than the "
				    "4096-byte base block",
				    len);
	}
	struct regf_base b;
	reg_int_regf_base_decode(file, &b);
	if (b.checksum_ok && b.type != REGF_TYPE_PRIMARY) {
		free(file);
		set_problem(h, "file type %u: a transaction log, not a hive",
			    b.type);
		return reg_int_fail(h, REG_ERR_NOT_HIVE,
				    "this is a transaction log (file type %u), "
				    "not a primary hive file",
				    b.type);
	}
	rc = classify(h, file, len, opts, mem);
	if (rc)
		return rc;

	bool want_write = opts->flags & REG_OPEN_WRITE;
	if (want_write) {
		if (h->info.state == REG_STATE_DIRTY_NO_LOGS)
			return reg_int_fail(h, REG_ERR_NO_LOGS,
					    "refused for writing: %s",
					    h->info.problem);
		if (h->info.state == REG_STATE_DIRTY_RECOVERABLE &&
		    !(opts->flags & REG_OPEN_RECOVER))
			return reg_int_fail(h, REG_ERR_DIRTY,
					    "refused for writing: %s (recover "
					    "it first)",
					    h->info.problem);
		h->writable = true;
	}
	return reg_int_attach_hivex(h, h->image, h->image_len);
}

int reg_open(const char *path, const struct reg_open_opts *opts,
	     struct reg_hive **hive_ret)
{
	static const struct reg_open_opts defaults = { 0 };
	if (opts == NULL)
		opts = &defaults;
	struct reg_hive *h = *hive_ret = new_handle(path, opts->flags);
	if (h == NULL)
		return REG_ERR_NOMEM;
	uint8_t *file;
	size_t len;
	int rc = 0;
	if (opts->flags & REG_OPEN_WRITE)
		rc = reg_int_temp_sweep(h, path);
	if (rc == 0)
		rc = reg_int_read_file(h, path, REG_MAX_HIVE_SIZE, false, &file,
				       &len, NULL);
	if (rc)
		return rc;
	return open_image(h, file, len, opts, NULL);
}

int reg_int_open_mem(const struct reg_int_mem_input *in, unsigned flags,
		     struct reg_hive **hive_ret)
{
	struct reg_open_opts opts = { .flags = flags };
	struct reg_hive *h = *hive_ret = new_handle("(memory)", flags);
	if (h == NULL)
		return REG_ERR_NOMEM;
	h->in_memory = true;
	uint8_t *file = malloc(in->len ? in->len : 1);
	if (file == NULL)
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	memcpy(file, in->hive, in->len);
	return open_image(h, file, in->len, &opts, in);
}

void reg_close(struct reg_hive *h)
{
	if (h == NULL)
		return;
	reg_int_detach_hivex(h);
	for (size_t i = 0; i < REG_MAX_LOGS; i++) {
		reg_int_txlog_free(&h->logs[i]);
		free(h->info.logs[i].path);
		free(h->info.logs[i].problem);
	}
	free(h->info.problem);
	free(h->info.root_name);
	for (size_t i = 0; i < h->info.nstale_removed; i++)
		free(h->info.stale_removed[i]);
	free(h->info.stale_removed);
	reg_int_session_free(h);
	reg_int_pending_free(h);
	free(h->image);
	free(h->path);
	free(h);
}

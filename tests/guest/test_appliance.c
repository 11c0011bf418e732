/*
 * test_appliance.c - the libguestfs backend of the guest interface on real
 * NTFS, in one appliance launch: the operations the servicing engine
 * writes with (atomic replace, mkdir -p, rename, remove, copy in and out)
 * on a writable copy of a test image, and the refusals that protect
 * images (a read-only image, a hibernated volume that ntfs-3g would only
 * mount read-only).  Afterwards guestfish, an independent reader, checks
 * what reached the image.  One image is added twice, once with its
 * partition table and boot sectors read on the host, to show that both
 * ways find the same.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/guest.h"
#include "guest/image.h"
#include "guest/ptable.h"
#include "secdesc/sd.h"
#include "tests/lib/fakeguest.h"
#include "tests/lib/hvotest.h"
#include "util/sha256.h"
#include "vhdx/vhdx.h"

static char image_dir[4096];

static unsigned events;

static void on_event(void *ctx, const char *what, const char *msg)
{
	(void)ctx;
	(void)msg;
	if (strcmp(what, "launch-done") == 0)
		events++;
}

/*
 * Many files written and hashed in few calls: a tree that holds only
 * wanted files, enough of them to be hashed whole (70, in a folder below
 * it), a directory that also holds a file nobody asked for (hashed file
 * by file), a name asked for in another case, and a missing one.  Every
 * digest is checked against the host's hash of the same bytes.
 */
static void check_put_and_hash(struct guest_fs *fs)
{
	static const char *const named[] = {
		"Windows/hvo-t/a.txt",		"Windows/hvo-t/b.txt",
		"Windows/hvo-t/sub/c.txt",	"Windows/hvo-t/sub/deep/d.txt",
		"Windows/hvo-t/sub/deep/e.txt", "Windows/hvo-u/x.txt",
		"Windows/hvo-u/y.txt",		"Windows/hvo-u/z.txt",
	};
	enum { NN = sizeof(named) / sizeof(named[0]), NMANY = 70 };
	enum { NF = NN + NMANY + 1 }; /* and hvo-u/extra.txt, last */
	char files[NF][64], data[NF][96];
	struct guest_put puts[NF];
	assert_int_equal(guest_fs_mkdir_p(fs, "Windows/hvo-t/sub/deep"),
			 GUEST_OK);
	assert_int_equal(guest_fs_mkdir_p(fs, "Windows/hvo-t/many"), GUEST_OK);
	assert_int_equal(guest_fs_mkdir_p(fs, "Windows/hvo-u"), GUEST_OK);
	for (size_t i = 0; i < NF; i++) {
		if (i < NN)
			snprintf(files[i], sizeof(files[i]), "%s", named[i]);
		else if (i < NN + NMANY)
			snprintf(files[i], sizeof(files[i]),
				 "Windows/hvo-t/many/f%02zu.bin", i - NN);
		else
			snprintf(files[i], sizeof(files[i]),
				 "Windows/hvo-u/extra.txt");
		snprintf(data[i], sizeof(data[i]), "content %zu of %s", i,
			 files[i]);
		puts[i] = (struct guest_put){ .path = files[i],
					      .data = data[i],
					      .len = strlen(data[i]) };
	}
	assert_int_equal(guest_fs_put_many(fs, puts, NF), GUEST_OK);
	/* Everything but extra.txt is asked for; one name in upper case. */
	const char *ask[NF];
	for (size_t i = 0; i + 1 < NF; i++)
		ask[i] = files[i];
	ask[2] = "WINDOWS/HVO-T/SUB/C.TXT";
	ask[NF - 1] = "Windows/hvo-t/sub/missing.txt";
	struct guest_digest dg[NF];
	assert_int_equal(guest_fs_sha256_many(fs, ask, NF, dg), GUEST_OK);
	for (size_t i = 0; i + 1 < NF; i++) {
		uint8_t want[32];
		hvo_int_sha256_buf(data[i], strlen(data[i]), want);
		if (!dg[i].exists || memcmp(want, dg[i].sha256, 32) != 0 ||
		    dg[i].size != strlen(data[i]))
			fail_msg("%s: exists %d, size %llu, digest %s", ask[i],
				 dg[i].exists, (unsigned long long)dg[i].size,
				 memcmp(want, dg[i].sha256, 32) ? "differs"
								: "same");
	}
	assert_false(dg[NF - 1].exists);
}

/*
 * Sizes at the edges of the 2 MiB pieces files are written and read in:
 * empty, exactly one piece, one piece and a byte (from memory and from a
 * host file), each written by guest_fs_put_many, hashed back with
 * guest_fs_sha256_many and read back with guest_fs_read.
 */
/*
 * Security descriptors set on names the appliance's setfattr must quote
 * (app_set_sd hands it to the daemon's sh as one string): an apostrophe,
 * runs of spaces, non-ASCII, shell metacharacters, and command
 * substitutions that would create "pwned" if the quoting broke, in a
 * folder whose own name holds an apostrophe and a substitution.  Each
 * gets a descriptor of its own (a SID ending in its index), read back
 * here and, after the shutdown, by ntfssecaudit (check_sd_names_after).
 */
#define SD_DIR "Windows/hvo sd 'q' $(touch pwned)"
static const char *const sd_names[] = {
	"it's",
	"two  spaces",
	"\xc3\xbc"
	"n\xc3\xaf c\xc3\xb8"
	"d\xc3\xa9 \xe2\x82\xac \xe6\x97\xa5",
	"$(touch pwned)`touch pwned`;&!#~{}[]%^=+,@",
	"''",
};
enum { NSD = sizeof(sd_names) / sizeof(sd_names[0]) };

static void sd_of(size_t i, uint8_t **b, size_t *len)
{
	char sddl[200];
	struct sd *d;
	snprintf(sddl, sizeof(sddl),
		 "O:BAG:SYD:P(A;;FA;;;SY)(A;;FR;;;S-1-5-21-1-2-3-%zu)", i);
	assert_int_equal(sd_from_sddl(sddl, &d, NULL), SD_OK);
	assert_int_equal(sd_to_self_relative(d, b, len), SD_OK);
	sd_free(d);
}

static void check_sd_names(struct guest_fs *fs)
{
	assert_int_equal(guest_fs_mkdir_p(fs, SD_DIR), GUEST_OK);
	for (size_t i = 0; i <= NSD; i++) {
		/* i == NSD: the folder itself. */
		char path[300];
		if (i < NSD) {
			snprintf(path, sizeof(path), "%s/%s", SD_DIR,
				 sd_names[i]);
			assert_int_equal(
				guest_fs_write_atomic(fs, path, "x", 1),
				GUEST_OK);
		} else {
			snprintf(path, sizeof(path), "%s", SD_DIR);
		}
		uint8_t *want, *got;
		size_t wlen, glen;
		sd_of(i, &want, &wlen);
		if (guest_fs_set_sd(fs, path, want, wlen) != GUEST_OK)
			fail_msg("set_sd %s: %s", path, guest_fs_errmsg(fs));
		assert_int_equal(guest_fs_get_sd(fs, path, &got, &glen),
				 GUEST_OK);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		free(want);
		free(got);
	}
	char **names;
	size_t n;
	assert_int_equal(guest_fs_list(fs, SD_DIR, &names, &n), GUEST_OK);
	assert_int_equal(n, NSD); /* and no "pwned" */
	guest_names_free(names, n);
	assert_false(guest_fs_exists(fs, "pwned"));
	assert_false(guest_fs_exists(fs, "Windows/pwned"));
}

/* After the shutdown: the same, read from the raw volume by ntfsls and
 * ntfssecaudit (ntfs-3g's tools, not the appliance). */
static void check_sd_names_after(const char *vhdx)
{
	FILE *f = fopen(hvo_fg_at("sd-names"), "w");
	assert_non_null(f);
	for (size_t i = 0; i < NSD; i++)
		fprintf(f, "%s\n", sd_names[i]);
	fclose(f);
	hvo_fg_sh("qemu-img convert -f vhdx -O raw '%s' rw.raw && "
		  "start=$(sfdisk --json rw.raw | "
		  "jq '.partitiontable.partitions[1].start') && "
		  "size=$(sfdisk --json rw.raw | "
		  "jq '.partitiontable.partitions[1].size') && "
		  "dd if=rw.raw of=rw.vol bs=512 skip=$start count=$size "
		  "status=none && rm rw.raw",
		  vhdx);
	/* Every name, as written, and nothing else. */
	hvo_fg_sh("export LC_ALL=C.UTF-8; sort sd-names >want && "
		  "ntfsls -p \"/%s\" rw.vol | grep -v '^[.][.]*$' | "
		  "sort >got && cmp want got && "
		  "! ntfsls -p /Windows rw.vol | grep -qx pwned",
		  "Windows/hvo sd 'q' \\$(touch pwned)");
	char sdtool[4200];
	snprintf(sdtool, sizeof(sdtool), "python3 '%s/tests/secdesc/sdtool.py'",
		 hvo_test_srcdir());
	hvo_fg_sh("export LC_ALL=C.UTF-8; i=0; while IFS= read -r n; do "
		  "ntfssecaudit -v rw.vol \"/%s/$n\" 2>/dev/null | %s show | "
		  "grep -q \"S-1-5-21-1-2-3-$i\\b\" || "
		  "{ echo \"no descriptor of its own: $n\" >&2; exit 1; }; "
		  "i=$((i + 1)); done <sd-names && "
		  "ntfssecaudit -v rw.vol \"/%s\" 2>/dev/null | %s show | "
		  "grep -q 'S-1-5-21-1-2-3-%d\\b'",
		  "Windows/hvo sd 'q' \\$(touch pwned)", sdtool,
		  "Windows/hvo sd 'q' \\$(touch pwned)", sdtool, (int)NSD);
}

static void check_put_sizes(struct guest_fs *fs)
{
	static const size_t sizes[] = { 0, 2u << 20, (2u << 20) + 1,
					(2u << 20) + 1 };
	static const char *const names[] = { "Windows/hvo-s/empty.bin",
					     "Windows/hvo-s/one.bin",
					     "Windows/hvo-s/more.bin",
					     "Windows/hvo-s/host.bin" };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	uint8_t *buf = malloc((2u << 20) + 1);
	assert_non_null(buf);
	for (size_t i = 0; i < (2u << 20) + 1; i++)
		buf[i] = (uint8_t)(i * 13 + i / 65536);
	hvo_test_write_file(hvo_fg_at("host.bin"), buf, sizes[N - 1]);
	assert_int_equal(guest_fs_mkdir_p(fs, "Windows/hvo-s"), GUEST_OK);
	struct guest_put puts[N];
	for (size_t i = 0; i < N; i++)
		puts[i] = (struct guest_put){ .path = names[i],
					      .data = buf,
					      .len = sizes[i] };
	puts[N - 1].data = NULL;
	puts[N - 1].host_path = hvo_fg_at("host.bin");
	assert_int_equal(guest_fs_put_many(fs, puts, N), GUEST_OK);
	struct guest_digest dg[N];
	assert_int_equal(guest_fs_sha256_many(fs, names, N, dg), GUEST_OK);
	for (size_t i = 0; i < N; i++) {
		uint8_t want[32];
		hvo_int_sha256_buf(buf, sizes[i], want);
		if (!dg[i].exists || dg[i].size != sizes[i] ||
		    memcmp(dg[i].sha256, want, 32) != 0)
			fail_msg("%s: exists %d, size %llu (want %zu), digest "
				 "%s",
				 names[i], dg[i].exists,
				 (unsigned long long)dg[i].size, sizes[i],
				 memcmp(dg[i].sha256, want, 32) ? "differs"
								: "same");
		uint8_t *back;
		size_t len;
		assert_int_equal(
			guest_fs_read(fs, names[i], sizes[i], &back, &len),
			GUEST_OK);
		assert_int_equal(len, sizes[i]);
		if (sizes[i] != 0)
			assert_memory_equal(back, buf, sizes[i]);
		free(back);
	}
	free(buf);

	/* Host-side failures name the host file: a source that is not
	 * there, a copy out into a folder that is not there. */
	struct guest_put missing = { .path = "Windows/hvo-s/gone.bin",
				     .host_path = hvo_fg_at("no-such-file") };
	assert_int_equal(guest_fs_put_many(fs, &missing, 1), GUEST_E_IO);
	assert_non_null(strstr(guest_fs_errmsg(fs), "no-such-file"));
	assert_int_equal(guest_fs_copy_out(fs, names[2],
					   hvo_fg_at("no-such-dir/more.bin")),
			 GUEST_E_IO);
	assert_non_null(strstr(guest_fs_errmsg(fs), "no-such-dir"));
}

static int read_vhdx(void *ctx, uint64_t off, size_t len, uint8_t *buf)
{
	return vhdx_pread(ctx, buf, len, off) == VHDX_OK ? 0 : -1;
}

/*
 * The same image added twice: once with its partition table and boot
 * sectors read here through vhdx/ (guest_session_set_head), once read by
 * the appliance.  Both give the same layout and the same bytes, and the
 * first really comes from the head given: in it, the first byte of
 * volume @rec_vol's $Volume record (at @rec_off) was changed
 * (changed_head), and a read of the record returns the changed byte.
 */
static void check_head(struct guest_disk *given, struct guest_disk *read,
		       size_t rec_vol, uint64_t rec_off)
{
	const struct guest_disk_layout *a = guest_disk_layout(given);
	const struct guest_disk_layout *b = guest_disk_layout(read);
	assert_int_equal(a->ptable, b->ptable);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->nvolumes, b->nvolumes);
	assert_string_equal(a->disk_guid, b->disk_guid);
	for (size_t i = 0; i < a->nvolumes; i++) {
		const struct guest_volume *va = &a->volumes[i],
					  *vb = &b->volumes[i];
		assert_int_equal(va->partnum, vb->partnum);
		assert_int_equal(va->start, vb->start);
		assert_int_equal(va->size, vb->size);
		assert_string_equal(va->fstype, vb->fstype);
		assert_string_equal(va->gpt_type, vb->gpt_type);
		assert_string_equal(va->gpt_guid, vb->gpt_guid);
		uint8_t x[512], y[512];
		size_t gx, gy;
		assert_int_equal(guest_disk_pread(given, i, 0, 512, x, &gx),
				 GUEST_OK);
		assert_int_equal(guest_disk_pread(read, i, 0, 512, y, &gy),
				 GUEST_OK);
		assert_int_equal(gx, 512);
		assert_int_equal(gy, 512);
		assert_memory_equal(x, y, 512);
		if (i != rec_vol)
			continue;
		assert_int_equal(
			guest_disk_pread(given, i, rec_off, 16, x, &gx),
			GUEST_OK);
		assert_int_equal(guest_disk_pread(read, i, rec_off, 16, y, &gy),
				 GUEST_OK);
		assert_int_equal(x[0], (uint8_t)('F' ^ 0x5a));
		assert_int_equal(y[0], 'F');
		x[0] = y[0];
		assert_memory_equal(x, y, 16);
	}
}

/* @path's head, read through vhdx/, with the first byte ('F' of "FILE")
 * of volume @vol's $Volume record changed; *@size_ret is the disk's size.
 * Returns the record's offset in the volume. */
static uint64_t changed_head(const char *path, size_t vol,
			     struct guest_disk_head *h, uint64_t *size_ret)
{
	struct vhdx_image *vx;
	assert_int_equal(vhdx_open(path, 0, NULL, &vx, NULL), VHDX_OK);
	struct vhdx_info info;
	vhdx_get_info(vx, &info);
	*size_ret = info.virtual_size;
	assert_int_equal(
		guest_disk_head_read(read_vhdx, vx, info.virtual_size, h),
		GUEST_OK);
	vhdx_close(vx, NULL);
	assert_true(vol < h->nparts);
	assert_non_null(h->vols[vol].rec);
	assert_int_equal(h->vols[vol].rec[0], 'F');
	h->vols[vol].rec[0] ^= 0x5a;
	return h->vols[vol].rec_off;
}

static void test_session(void **state)
{
	(void)state;
	hvo_fg_sh("cp '%s/win7-x86.vhdx' rw.vhdx && "
		  "cp '%s/hibernated.vhdx' hib.vhdx && "
		  "cp '%s/ws2012-x64.vhdx' ro.vhdx",
		  image_dir, image_dir, image_dir);
	char ro_sum[65], ro_after[65];
	hvo_test_sha256_file(hvo_fg_at("ro.vhdx"), ro_sum);

	/* The appliance by name: native is the default (session.c). */
	struct guest_session_opts o = { .event = on_event,
					.backend = "appliance" };
	struct guest_session *s = guest_session_new(&o);
	assert_non_null(s);
	/* The format is always given; no format is refused. */
	assert_int_equal(
		guest_session_add(s, hvo_fg_at("rw.vhdx"), NULL, false, NULL),
		-1);
	assert_int_equal(guest_session_add(s, hvo_fg_at("rw.vhdx"), "vhdx",
					   false, "rw.vhdx"),
			 0);
	assert_int_equal(guest_session_add(s, hvo_fg_at("hib.vhdx"), "vhdx",
					   false, "hib.vhdx"),
			 1);
	assert_int_equal(guest_session_add(s, hvo_fg_at("ro.vhdx"), "vhdx",
					   true, "ro.vhdx"),
			 2);
	/* ro.vhdx's size as its VHDX metadata gives it (16 MiB);
	 * hib.vhdx's is asked of the appliance. */
	assert_int_equal(guest_session_set_size(s, 4, 1 << 20), GUEST_E_STATE);
	assert_int_equal(guest_session_set_size(s, 2, 16u << 20), GUEST_OK);
	/* ro.vhdx again, as disk 3: its head read here (see check_head). */
	assert_int_equal(guest_session_add(s, hvo_fg_at("ro.vhdx"), "vhdx",
					   true, "ro2.vhdx"),
			 3);
	struct guest_disk_head head, rw_head;
	uint64_t size;
	uint64_t rec_off = changed_head(hvo_fg_at("ro.vhdx"), 2, &head, &size);
	assert_int_equal(size, 16u << 20);
	assert_int_equal(head.nparts, 3);
	/* A head needs the size it was read with, and a disk. */
	assert_int_equal(guest_session_set_head(s, 3, &head), GUEST_E_STATE);
	assert_int_equal(guest_session_set_head(s, 4, &head), GUEST_E_STATE);
	assert_int_equal(guest_session_set_size(s, 3, size + 512), GUEST_OK);
	assert_int_equal(guest_session_set_head(s, 3, &head), GUEST_E_STATE);
	assert_int_equal(guest_session_set_size(s, 3, size), GUEST_OK);
	assert_int_equal(guest_session_set_head(s, 3, &head), GUEST_OK);
	/* The writable rw.vhdx too: its Windows volume's record comes from
	 * the head until the volume is mounted for writing. */
	uint64_t rw_rec_off =
		changed_head(hvo_fg_at("rw.vhdx"), 1, &rw_head, &size);
	assert_int_equal(guest_session_set_size(s, 0, size), GUEST_OK);
	assert_int_equal(guest_session_set_head(s, 0, &rw_head), GUEST_OK);
	assert_null(guest_session_disk(s, 0)); /* not launched yet */
	if (guest_session_launch(s) != GUEST_OK)
		fail_msg("launch: %s", guest_session_errmsg(s));
	assert_int_equal(guest_session_set_size(s, 2, 16u << 20),
			 GUEST_E_STATE);
	assert_int_equal(guest_session_set_head(s, 3, &head), GUEST_E_STATE);
	/* Not used after the launch: they may go before the reads. */
	guest_disk_head_free(&head);
	guest_disk_head_free(&rw_head);
	check_head(guest_session_disk(s, 3), guest_session_disk(s, 2), 2,
		   rec_off);
	{
		const struct guest_disk_layout *lr =
			guest_disk_layout(guest_session_disk(s, 2));
		const struct guest_disk_layout *lh =
			guest_disk_layout(guest_session_disk(s, 1));
		assert_int_equal(lr->size, 16u << 20);
		assert_int_equal(lr->ptable, GUEST_PTABLE_GPT);
		assert_int_equal(lr->nvolumes, 3);
		/* hib.vhdx is made with the same size, asked of blockdev. */
		assert_int_equal(lh->size, 16u << 20);
	}
	assert_int_equal(guest_session_launches(s), 1);
	assert_int_equal(events, 1);
	assert_int_equal(guest_session_ndisks(s), 4);
	assert_int_equal(
		guest_session_add(s, hvo_fg_at("x"), "raw", true, NULL), -1);

	/* ---- writes on the writable copy ---- */
	struct guest_disk *d = guest_session_disk(s, 0);
	assert_string_equal(guest_disk_name(d), "rw.vhdx");
	const struct guest_disk_layout *l = guest_disk_layout(d);
	assert_int_equal(l->ptable, GUEST_PTABLE_MBR);
	assert_int_equal(l->nvolumes, 2);
	int code;
	assert_int_equal(guest_disk_probe_rw(d, 1, &code), GUEST_OK);
	assert_int_equal(code, 0);
	uint8_t magic[4];
	size_t got_magic;
	assert_int_equal(
		guest_disk_pread(d, 1, rw_rec_off, 4, magic, &got_magic),
		GUEST_OK);
	assert_int_equal(magic[0], 'F' ^ 0x5a);
	struct guest_fs *fs;
	if (guest_disk_mount(d, 1, false, &fs) != GUEST_OK)
		fail_msg("mount: %s", guest_disk_errmsg(d));
	assert_false(guest_fs_readonly(fs));
	/* Mounted for writing, the volume may change: read from the disk. */
	assert_int_equal(
		guest_disk_pread(d, 1, rw_rec_off, 4, magic, &got_magic),
		GUEST_OK);
	assert_memory_equal(magic, "FILE", 4);
	/* A mounted volume is busy: ntfs-3g cannot be asked again, but the
	 * answer from before the mount is kept. */
	assert_int_equal(guest_disk_probe_rw(d, 1, &code), GUEST_OK);

	char *real;
	assert_int_equal(guest_fs_resolve(fs,
					  "WINDOWS\\system32\\CONFIG\\"
					  "software",
					  false, &real),
			 GUEST_OK);
	assert_string_equal(real, "Windows/System32/config/SOFTWARE");
	free(real);

	/* Replace a file through another spelling: the stored one changes,
	 * no second name appears, no temporary file remains. */
	static const char text[] = "replaced by the test";
	assert_int_equal(guest_fs_write_atomic(fs,
					       "windows/SYSTEM32/drivers/"
					       "VMBUS.SYS",
					       text, sizeof(text) - 1),
			 GUEST_OK);
	char **names;
	size_t n;
	assert_int_equal(
		guest_fs_list(fs, "Windows/System32/drivers", &names, &n),
		GUEST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "vmbus.sys");
	guest_names_free(names, n);

	assert_int_equal(guest_fs_mkdir_p(fs, "windows\\Logs\\hvoffline"),
			 GUEST_OK);
	assert_int_equal(guest_fs_mkdir_p(fs, "WINDOWS\\LOGS"), GUEST_OK);
	assert_int_equal(guest_fs_write_atomic(fs,
					       "Windows/Logs/hvoffline/"
					       "a.txt",
					       "A", 1),
			 GUEST_OK);
	assert_int_equal(guest_fs_rename(fs, "windows/logs/HVOFFLINE/A.TXT",
					 "Windows/Logs/hvoffline/b.txt"),
			 GUEST_OK);
	assert_false(guest_fs_exists(fs, "Windows/Logs/hvoffline/a.txt"));
	/* A large file: more than one protocol message. */
	size_t big = 5u * 1024 * 1024 + 123;
	uint8_t *bigbuf = malloc(big);
	for (size_t i = 0; i < big; i++)
		bigbuf[i] = (uint8_t)(i * 7 + i / 4096);
	hvo_test_write_file(hvo_fg_at("big.bin"), bigbuf, big);
	assert_int_equal(guest_fs_copy_in_atomic(fs, hvo_fg_at("big.bin"),
						 "Users/Public/big.bin"),
			 GUEST_OK);
	uint8_t *back;
	size_t len;
	assert_int_equal(
		guest_fs_read(fs, "users/public/BIG.BIN", big, &back, &len),
		GUEST_OK);
	assert_int_equal(len, big);
	assert_memory_equal(back, bigbuf, big);
	free(back);
	uint8_t piece[16];
	size_t got;
	assert_int_equal(guest_fs_pread(fs, "Users/Public/big.bin",
					(uint64_t)big - 10, sizeof(piece),
					piece, &got),
			 GUEST_OK);
	assert_int_equal(got, 10);
	assert_memory_equal(piece, bigbuf + big - 10, 10);
	assert_int_equal(guest_fs_copy_out(fs, "Users/Public/big.bin",
					   hvo_fg_at("big.out")),
			 GUEST_OK);
	char a[65], b[65];
	hvo_test_sha256_file(hvo_fg_at("big.bin"), a);
	hvo_test_sha256_file(hvo_fg_at("big.out"), b);
	assert_string_equal(a, b);
	free(bigbuf);
	assert_int_equal(
		guest_fs_read(fs, "Users/Public/big.bin", 100, &back, &len),
		GUEST_E_TOO_BIG);
	assert_int_equal(guest_fs_write_atomic(fs, "Windows", "x", 1),
			 GUEST_E_ISDIR);
	assert_int_equal(guest_fs_write_atomic(fs, "NoSuchDir/x", "x", 1),
			 GUEST_E_NOENT);
	assert_int_equal(guest_fs_remove(fs, "Users/Public/big.bin"), GUEST_OK);
	assert_false(guest_fs_exists(fs, "users/public/big.bin"));
	struct guest_stat st;
	assert_int_equal(guest_fs_stat(fs, "hiberfil.sys", &st), GUEST_E_NOENT);
	check_put_and_hash(fs);
	check_put_sizes(fs);
	check_sd_names(fs);

	/* ---- refusals ---- */
	/* Hibernated: ntfs-3g refuses a read-write mount or falls back to
	 * read-only; either way the disk refuses. */
	struct guest_disk *h = guest_session_disk(s, 1);
	assert_int_equal(guest_disk_probe_rw(h, 2, &code), GUEST_OK);
	assert_int_equal(code, 14);
	struct guest_fs *hfs;
	int r = guest_disk_mount(h, 2, false, &hfs);
	if (r != GUEST_E_ROFS && r != GUEST_E_MOUNT)
		fail_msg("hibernated rw mount: %d (%s)", r,
			 guest_disk_errmsg(h));
	assert_int_equal(guest_disk_mount(h, 2, true, &hfs), GUEST_OK);
	assert_true(guest_fs_readonly(hfs));
	assert_int_equal(guest_fs_write_atomic(hfs, "x", "x", 1), GUEST_E_ROFS);

	/* An image added read-only cannot be mounted for writing. */
	struct guest_disk *ro = guest_session_disk(s, 2);
	assert_int_equal(guest_disk_mount(ro, 2, false, &hfs), GUEST_E_ROFS);
	assert_int_equal(guest_disk_mount(ro, 2, true, &hfs), GUEST_OK);

	assert_int_equal(guest_session_shutdown(s), GUEST_OK);
	guest_session_close(s);

	hvo_test_sha256_file(hvo_fg_at("ro.vhdx"), ro_after);
	assert_string_equal(ro_sum, ro_after);

	/* ---- what reached the image, read by guestfish ---- */
	char *cmd;
	if (asprintf(&cmd,
		     "LIBGUESTFS_BACKEND=direct "
		     "LIBGUESTFS_BACKEND_SETTINGS=force_tcg guestfish --ro "
		     "--format=vhdx -a '%s' -m /dev/sda2 <<'EOF'\n"
		     "cat /Windows/System32/drivers/vmbus.sys\n"
		     "echo --\n"
		     "ls /Windows/Logs/hvoffline\n"
		     "echo --\n"
		     "ls /Windows/System32/drivers\n"
		     "echo --\n"
		     "ls /Users/Public\n"
		     "EOF",
		     hvo_fg_at("rw.vhdx")) < 0)
		abort();
	char *out;
	assert_int_equal(hvo_test_run(cmd, &out), 0);
	free(cmd);
	assert_string_equal(out, "replaced by the test\n--\nb.txt\n--\n"
				 "vmbus.sys\n--\n");
	free(out);
	check_sd_names_after(hvo_fg_at("rw.vhdx"));
}

int main(void)
{
	snprintf(image_dir, sizeof(image_dir), "%s/tests/fixtures/images",
		 hvo_test_builddir());
	if (access(image_dir, R_OK) != 0) {
		fprintf(stderr, "FAIL: test images not built in %s\n",
			image_dir);
		return HVO_TEST_HARD_ERROR;
	}
	if (!hvo_test_have_program("guestfish"))
		return HVO_TEST_SKIP;
	hvo_fg_begin();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	hvo_fg_end();
	return r;
}

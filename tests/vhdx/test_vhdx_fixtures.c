/*
 * test_vhdx_fixtures.c - the real images of ../shared/fixtures/vhdx.
 *
 * Expected values come from PROVENANCE.md (structure values and SHA-256
 * of each virtual disk) and from qemu-img run here: the virtual disk we
 * read must hash like qemu-img's raw conversion (for the dirty image,
 * after qemu's own replay on a writable copy).  Images are decompressed
 * into a temporary directory; the fixtures themselves are never opened.
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

#include "tests/lib/hvotest.h"
#include "tests/vhdx/vhdxtest.h"
#include "vhdx/vhdx.h"

static char *tmp;

#define DYNAMIC_SHA \
	"d3d112d8dab7fd360609f7d5a7b769904b7a2a7d7b6b8c535f65a23293c05478"
#define DIRTY_SHA \
	"179cefe8b0587f123393eedf2aa7aa8d25798591178e6bc3950a09762f38f96f"
#define D2V_SHA \
	"96d964042be9b58dda1725567abfb0cf9fd8380e2118754afa979c2ad445938a"
#define DYNAMIC_FILE_SHA \
	"a4fb24fa51fb4852d5a6bdc2b390a91b0a4e19b47696edc5a00c816067257402"
#define DIRTY_FILE_SHA \
	"511daba998dba208ffc57a7814194d5dd3afb7c314731b904ff1682e3fb4951a"

static void guid_is(const struct vhdx_guid *g, const char *want)
{
	char s[37];
	vhdx_guid_format(g, s);
	assert_string_equal(s, want);
}

/* A byte of the virtual disk. */
static uint8_t byte_at(struct vhdx_image *img, uint64_t off)
{
	uint8_t b;
	assert_int_equal(vhdx_pread(img, &b, 1, off), VHDX_OK);
	return b;
}

/* Offset of the first byte in [from, to) that is not @v, or @to. */
static uint64_t run_end(struct vhdx_image *img, uint64_t from, uint64_t to,
			uint8_t v)
{
	uint8_t *buf = malloc(1 << 20);
	assert_non_null(buf);
	for (uint64_t off = from; off < to; off += 1 << 20) {
		size_t n = to - off < (1 << 20) ? (size_t)(to - off) : 1 << 20;
		assert_int_equal(vhdx_pread(img, buf, n, off), VHDX_OK);
		for (size_t i = 0; i < n; i++)
			if (buf[i] != v) {
				free(buf);
				return off + i;
			}
	}
	free(buf);
	return to;
}

static void test_hyperv_dynamic(void **state)
{
	(void)state;
	char *path = vt_fixture(tmp, "iotest-dynamic-1G.vhdx");
	char hex[65];
	hvo_test_sha256_file(path, hex);
	assert_string_equal(hex, DYNAMIC_FILE_SHA);

	struct vhdx_image *img = vt_open(path, 0, NULL);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	/* PROVENANCE section 1. */
	assert_int_equal(in.type, VHDX_TYPE_DYNAMIC);
	assert_int_equal(in.virtual_size, 1073741824);
	assert_int_equal(in.block_size, 32 << 20);
	assert_int_equal(in.logical_sector_size, 512);
	assert_int_equal(in.physical_sector_size, 4096);
	assert_int_equal(in.chunk_ratio, 128);
	assert_int_equal(in.payload_blocks, 32);
	assert_int_equal(in.current_header, 2);
	assert_int_equal(in.header_sequence, 15);
	assert_int_equal(in.log_state, VHDX_LOG_CLEAN);
	assert_int_equal(in.log_offset, 1 << 20);
	assert_int_equal(in.metadata_offset, 0x200000);
	assert_int_equal(in.bat_offset, 0x300000);
	assert_string_equal(in.creator, "Microsoft Windows 6.2.9200.16384");
	guid_is(&in.virtual_disk_id, "fc7209f1-f6eb-4616-9b77-e994e3017ddd");
	/* qemu-iotests 064: 0xa5 to 33 MiB, 0x96 to 66 MiB, then zeros. */
	assert_int_equal(run_end(img, 0, 40 << 20, 0xa5), 33 << 20);
	assert_int_equal(run_end(img, 33 << 20, 70 << 20, 0x96), 66 << 20);
	assert_int_equal(byte_at(img, (1ULL << 30) - 1), 0);

	vt_sha256_virtual(img, hex);
	assert_string_equal(hex, DYNAMIC_SHA);

	/* The stale Hyper-V log entries must not be replayed, and check
	 * sees them as stale. */
	struct vhdx_check_report rep;
	assert_int_equal(vhdx_check(img, &rep), VHDX_OK);
	assert_int_equal(rep.nproblems, 0);
	assert_int_equal(rep.stale_log_entries, 2);
	assert_int_equal(rep.blocks_fully_present, 3);
	assert_int_equal(rep.blocks_zero, 29);
	vhdx_check_report_free(&rep);
	assert_int_equal(vhdx_close(img, NULL), VHDX_OK);

	assert_true(vt_qemu_sha256(path, tmp, hex));
	assert_string_equal(hex, DYNAMIC_SHA);
	hvo_test_sha256_file(path, hex);
	assert_string_equal(hex, DYNAMIC_FILE_SHA);
	free(path);
}

static void test_dirty_log_read_only(void **state)
{
	(void)state;
	char *path = vt_fixture(tmp, "iotest-dirtylog-10G-4M.vhdx");
	char hex[65];
	hvo_test_sha256_file(path, hex);
	assert_string_equal(hex, DIRTY_FILE_SHA);

	/* qemu refuses this read-only (its iotest 070); we replay in memory. */
	assert_int_not_equal(vt_sh("qemu-io -r -c 'read 0 512' '%s' >/dev/null "
				   "2>&1",
				   path),
			     0);
	struct vhdx_image *img = vt_open(path, 0, NULL);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_REPLAYED_MEMORY);
	assert_int_equal(in.log_entries_replayed, 1);
	assert_int_equal(in.log_head_sequence, 7);
	assert_int_equal(in.block_size, 1 << 20);
	assert_int_equal(in.virtual_size, 10ULL << 30);
	assert_int_equal(in.header_sequence, 932638741);
	guid_is(&in.log_guid, "c82755bc-427f-1245-b72c-da70aaabe031");
	assert_string_equal(in.creator, "QEMU v1.6.50");
	/* Replay maps block 17: the 0xa5 run ends at 18 MiB, not 17. */
	assert_int_equal(run_end(img, 0, 20 << 20, 0xa5), 0x1200000);
	assert_int_equal(run_end(img, 0x1200000, 40 << 20, 0), 40 << 20);
	vt_sha256_virtual(img, hex);
	assert_string_equal(hex, DIRTY_SHA);
	assert_int_equal(vhdx_close(img, NULL), VHDX_OK);
	/* The read-only open did not touch the file. */
	hvo_test_sha256_file(path, hex);
	assert_string_equal(hex, DIRTY_FILE_SHA);

	/* qemu's own replay (on a writable copy) gives the same disk. */
	char *copy = vt_copy(path, tmp, "dirty-qemu.vhdx");
	assert_int_equal(
		vt_sh("qemu-img check -r all '%s' >/dev/null 2>&1", copy), 0);
	assert_true(vt_qemu_sha256(copy, tmp, hex));
	assert_string_equal(hex, DIRTY_SHA);
	unlink(copy);
	free(copy);
	unlink(path);
	free(path);
}

static void test_dirty_log_in_place(void **state)
{
	(void)state;
	char *path = vt_fixture(tmp, "iotest-dirtylog-10G-4M.vhdx");
	struct vhdx_image *img = vt_open(path, VHDX_OPEN_WRITE, NULL);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_REPLAYED_FILE);
	assert_int_equal(in.log_entries_replayed, 1);
	/* Cleared through the header protocol: two more header writes for
	 * the FileWriteGuid, two for LogGuid = 0. */
	char g[37];
	vhdx_guid_format(&in.log_guid, g);
	assert_string_equal(g, "00000000-0000-0000-0000-000000000000");
	assert_int_equal(vhdx_close(img, NULL), VHDX_OK);

	/* Now clean: qemu opens it read-only and sees 18 MiB of 0xa5. */
	assert_int_equal(vt_sh("qemu-io -r -f vhdx -c 'read -P 0xa5 0 18M' "
			       "-c 'read -P 0 18M 1M' '%s' 2>&1 | grep -q "
			       "'read 1048576/1048576'",
			       path),
			 0);
	assert_int_equal(vt_sh("qemu-img check '%s' >/dev/null 2>&1", path), 0);
	char hex[65];
	assert_true(vt_qemu_sha256(path, tmp, hex));
	assert_string_equal(hex, DIRTY_SHA);
	img = vt_open(path, 0, NULL);
	vhdx_get_info(img, &in);
	assert_int_equal(in.log_state, VHDX_LOG_CLEAN);
	vt_sha256_virtual(img, hex);
	assert_string_equal(hex, DIRTY_SHA);
	vhdx_close(img, NULL);
	unlink(path);
	free(path);
}

static void test_disk2vhd(void **state)
{
	(void)state;
	char *path = vt_fixture(tmp, "test-disk2vhd.vhdx");
	/* Both headers identical with sequence 1: accepted. */
	struct vhdx_image *img = vt_open(path, 0, NULL);
	struct vhdx_info in;
	vhdx_get_info(img, &in);
	assert_int_equal(in.header_sequence, 1);
	assert_int_equal(in.block_size, 2 << 20);
	assert_int_equal(in.virtual_size, 268435456);
	assert_int_equal(in.metadata_offset, 0x200000);
	assert_int_equal(in.bat_offset, 0x300000);
	assert_string_equal(in.creator, "d2v");
	/* An MBR: disk signature 0x192a32ad, one partition of type 6. */
	uint8_t mbr[512];
	assert_int_equal(vhdx_pread(img, mbr, 512, 0), VHDX_OK);
	assert_int_equal(mbr[0x1b8] | mbr[0x1b9] << 8 | mbr[0x1ba] << 16 |
				 (uint32_t)mbr[0x1bb] << 24,
			 0x192a32ad);
	assert_int_equal(mbr[0x1c2], 0x06);
	assert_int_equal(mbr[510], 0x55);
	char hex[65];
	vt_sha256_virtual(img, hex);
	assert_string_equal(hex, D2V_SHA);
	struct vhdx_check_report rep;
	assert_int_equal(vhdx_check(img, &rep), VHDX_OK);
	assert_int_equal(rep.nproblems, 0);
	assert_int_equal(rep.blocks_fully_present, 128);
	vhdx_check_report_free(&rep);
	vhdx_close(img, NULL);
	assert_true(vt_qemu_sha256(path, tmp, hex));
	assert_string_equal(hex, D2V_SHA);
	unlink(path);
	free(path);
}

int main(void)
{
	hvo_test_fixtures_or_exit();
	vt_require_qemu();
	if (!hvo_test_have_program("bzip2")) {
		fprintf(stderr, "SKIP: bzip2 not installed\n");
		return HVO_TEST_SKIP;
	}
	tmp = hvo_test_mkdtemp();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hyperv_dynamic),
		cmocka_unit_test(test_dirty_log_read_only),
		cmocka_unit_test(test_dirty_log_in_place),
		cmocka_unit_test(test_disk2vhd),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	hvo_test_rmtree(tmp);
	free(tmp);
	return rc;
}

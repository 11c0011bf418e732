/*
 * fuzz_xfs.c - the native backend's XFS reader (src/guest/native_xfs*.c)
 * on mutated small XFS volumes (seeds: fuzz/corpus/xfs-seeds.sh, which
 * makes them with mkfs.xfs -p: v5 and v4, short-form, block and leaf
 * directories, files, local and remote symbolic links, a loop).
 *
 * A 16 MiB volume is mostly zeros, so an input holds only its parts
 * that are not: a header of two big-endian 32-bit numbers, the offset
 * BASE of the second part and the length HEAD of the first, then HEAD
 * bytes for the start of the volume (superblock, AG headers) and the
 * rest of the input at BASE (inodes, directories, files).  The volume is
 * a memfd of 16 MiB with both written in; the disk is opened raw, its
 * whole-disk volume probed, mounted read-only and walked as inspection
 * walks a guest: every directory listed, every entry stat'ed, files read
 * and hashed, links read, paths through links resolved.
 *
 * Invariants: no crash, leak, hang or sanitizer report in our code;
 * every call returns a guest_error; a listing returns no name with a
 * '/' or an empty one.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest/native_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VOLUME_SIZE (16u * 1024 * 1024)

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void walk(struct guest_fs *fs, const char *dir, int depth,
		 unsigned *budget)
{
	char **names;
	size_t n;
	if (depth > 4 || *budget == 0 ||
	    guest_fs_list(fs, dir, &names, &n) != GUEST_OK)
		return;
	for (size_t i = 0; i<n && * budget> 0; i++, (*budget)--) {
		check(names[i][0] != '\0' && strchr(names[i], '/') == NULL);
		char path[1024];
		snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "",
			 names[i]);
		struct guest_stat st;
		char *target;
		if (guest_fs_stat(fs, path, &st) != GUEST_OK)
			continue;
		if (st.type == GUEST_FT_DIR) {
			walk(fs, path, depth + 1, budget);
		} else if (st.type == GUEST_FT_FILE) {
			uint8_t *buf;
			size_t len;
			if (guest_fs_read(fs, path, 1u << 20, &buf, &len) ==
			    GUEST_OK) {
				check(len == st.size);
				free(buf);
			}
			uint8_t sha[32];
			uint64_t sz;
			guest_fs_sha256(fs, path, sha, &sz);
		} else if (guest_fs_readlink(fs, path, &target) == GUEST_OK) {
			check(strlen(target) > 0);
			free(target);
		}
	}
	guest_names_free(names, n);
}

static void read_side(struct guest_disk *d)
{
	struct guest_fs *fs;
	if (guest_disk_mount(d, 0, true, &fs) != GUEST_OK)
		return;
	unsigned budget = 300;
	walk(fs, "", 0, &budget);
	static const char *const paths[] = {
		"sf/up", "abs/up", "mid", "loop",
		"leaf/entry-with-a-longer-name-7"
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *real;
		uint8_t b[16];
		size_t got;
		if (guest_fs_resolve(fs, paths[i], true, &real) == GUEST_OK)
			free(real);
		guest_fs_pread(fs, paths[i], 3, sizeof(b), b, &got);
	}
	/* The volume is read-only: writes are refused, never tried. */
	check(guest_fs_write_atomic(fs, "hello", "x", 1) != GUEST_OK);
}

static uint32_t input_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8 + 512)
		return 0;
	uint32_t base = input_u32(data), head = input_u32(data + 4);
	if (head < 512 || head > size - 8 || base < head ||
	    base > VOLUME_SIZE || size - 8 - head > VOLUME_SIZE - base)
		return 0;
	int fd = memfd_create("fuzz_xfs", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (ftruncate(fd, VOLUME_SIZE) != 0 ||
	    pwrite(fd, data + 8, head, 0) != (ssize_t)head ||
	    pwrite(fd, data + 8 + head, size - 8 - head, base) !=
		    (ssize_t)(size - 8 - head)) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct guest_disk *d;
	char why[GUEST_ERROR_MAX];
	if (native_int_disk_open(path, "raw", true, "fuzz", "/dev/sda", false,
				 &d, why, sizeof(why)) == GUEST_OK) {
		const struct guest_disk_layout *l = guest_disk_layout(d);
		if (l->nvolumes > 0 && strcmp(l->volumes[0].fstype, "xfs") == 0)
			read_side(d);
		guest_disk_close(d);
	}
	close(fd);
	return 0;
}

/*
 * fuzz_native.c - the native backend's filesystem layer (native_*.c over
 * libntfs-3g) on mutated NTFS volumes: the input is a whole-disk volume
 * (seeds: small mkntfs volumes, fuzz/corpus/native/).  It is opened as a
 * raw image in memory (a memfd, so writes stay in this run), probed,
 * mounted read-only and walked the way inspection walks a guest, then
 * mounted read-write and written the way apply writes.
 *
 * Invariants: no crash, leak or hang in our code; every call returns a
 * guest_error; a file read back after a successful atomic write has the
 * content written.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest/native_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libntfs-3g needs at least a boot sector; bigger inputs only slow the
 * fuzzer down. */
#define MAX_INPUT (8u * 1024 * 1024)

static void walk(struct guest_fs *fs, const char *dir, int depth)
{
	char **names;
	size_t n;
	if (depth > 3 || guest_fs_list(fs, dir, &names, &n) != GUEST_OK)
		return;
	for (size_t i = 0; i < n && i < 32; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "",
			 names[i]);
		struct guest_stat st;
		if (guest_fs_stat(fs, path, &st) != GUEST_OK)
			continue;
		if (st.type == GUEST_FT_DIR) {
			walk(fs, path, depth + 1);
		} else if (st.type == GUEST_FT_FILE) {
			uint8_t *buf;
			size_t len;
			if (guest_fs_read(fs, path, 1u << 20, &buf, &len) ==
			    GUEST_OK)
				free(buf);
			uint8_t sha[32];
			uint64_t sz;
			guest_fs_sha256(fs, path, sha, &sz);
		}
	}
	guest_names_free(names, n);
}

static void read_side(struct guest_disk *d)
{
	int code;
	guest_disk_probe_rw(d, 0, &code);
	struct guest_fs *fs;
	if (guest_disk_mount(d, 0, true, &fs) != GUEST_OK)
		return;
	char *real;
	if (guest_fs_resolve(fs, "windows/system32/config/SYSTEM", true,
			     &real) == GUEST_OK)
		free(real);
	walk(fs, "", 0);
	const char *paths[] = { "hello.txt", "Windows/System32/ntoskrnl.exe",
				"nope" };
	struct guest_digest dg[3];
	guest_fs_sha256_many(fs, paths, 3, dg);
}

static void write_side(struct guest_disk *d)
{
	struct guest_fs *fs;
	if (guest_disk_mount(d, 0, false, &fs) != GUEST_OK)
		return;
	static const char text[] = "hvoffline fuzz";
	if (guest_fs_mkdir_p(fs, "Windows/hvo/sub") == GUEST_OK &&
	    guest_fs_write_atomic(fs, "Windows/hvo/a.txt", text,
				  sizeof(text)) == GUEST_OK) {
		uint8_t *buf;
		size_t len;
		if (guest_fs_read(fs, "windows/HVO/A.TXT", 4096, &buf, &len) ==
		    GUEST_OK) {
			if (len != sizeof(text) || memcmp(buf, text, len) != 0)
				abort();
			free(buf);
		}
	}
	guest_fs_write_new(fs, "hello.txt", text, 5);
	guest_fs_rename(fs, "hello.txt", "Windows/hvo/sub/b.txt");
	guest_fs_remove(fs, "Windows/hvo/sub/b.txt");
	guest_fs_sync(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 512 || size > MAX_INPUT)
		return 0;
	int fd = memfd_create("fuzz_native", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0) {
			close(fd);
			return 0;
		}
		done += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int pass = 0; pass < 2; pass++) {
		struct guest_disk *d;
		char why[GUEST_ERROR_MAX];
		if (native_int_disk_open(path, "raw", pass == 0, "fuzz",
					 "/dev/sda", false, &d, why,
					 sizeof(why)) != GUEST_OK)
			break;
		const struct guest_disk_layout *l = guest_disk_layout(d);
		if (l->nvolumes > 0 &&
		    strcmp(l->volumes[0].fstype, "ntfs") == 0) {
			if (pass == 0)
				read_side(d);
			else
				write_side(d);
		}
		guest_disk_close(d);
	}
	close(fd);
	return 0;
}

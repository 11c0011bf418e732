/*
 * xfs_walk.c - prints what the native backend's XFS reader sees in an
 * image, for tests/linux/xfs-reader.sh to compare with xfs_db and with
 * the files the image was made from.
 *
 *   xfs_walk IMAGE             every entry under the root, sorted:
 *                                d PATH
 *                                f PATH SIZE SHA256
 *                                l PATH TARGET
 *                                o PATH        (anything else)
 *   xfs_walk IMAGE read PATH   SIZE SHA256 of PATH, links followed
 *   xfs_walk IMAGE list PATH   the names in directory PATH, links followed
 *
 * IMAGE is raw (a bare volume or a partitioned disk) or, by its suffix,
 * a .vhdx; the first XFS volume is read.  Exit 0; 1 with the reader's
 * message when a call fails; 2 when there is no XFS volume or it does
 * not open.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/native_int.h"

static int failures;

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void walk(struct guest_fs *fs, const char *dir, unsigned depth)
{
	char **names;
	size_t n;
	if (depth > 64 || guest_fs_list(fs, dir, &names, &n) != GUEST_OK) {
		fprintf(stderr, "xfs_walk: list %s: %s\n", dir,
			guest_fs_errmsg(fs));
		failures++;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "",
			 names[i]);
		struct guest_stat st;
		char *target;
		uint8_t sha[32];
		char hx[65];
		uint64_t size;
		if (guest_fs_stat(fs, path, &st) != GUEST_OK) {
			fprintf(stderr, "xfs_walk: stat %s: %s\n", path,
				guest_fs_errmsg(fs));
			failures++;
		} else if (st.type == GUEST_FT_DIR) {
			printf("d %s\n", path);
			walk(fs, path, depth + 1);
		} else if (st.type == GUEST_FT_FILE) {
			if (guest_fs_sha256(fs, path, sha, &size) != GUEST_OK) {
				fprintf(stderr, "xfs_walk: read %s: %s\n", path,
					guest_fs_errmsg(fs));
				failures++;
				continue;
			}
			hex(sha, 32, hx);
			printf("f %s %llu %s\n", path, (unsigned long long)size,
			       hx);
		} else if (guest_fs_readlink(fs, path, &target) == GUEST_OK) {
			printf("l %s %s\n", path, target);
			free(target);
		} else {
			printf("o %s\n", path);
		}
	}
	guest_names_free(names, n);
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: xfs_walk IMAGE [read|list PATH]\n");
		return 2;
	}
	const char *img = argv[1];
	size_t len = strlen(img);
	bool vhdx = len > 5 && strcmp(img + len - 5, ".vhdx") == 0;
	struct guest_disk *d;
	char why[GUEST_ERROR_MAX];
	if (native_int_disk_open(img, vhdx ? "vhdx" : "raw", true, "walk",
				 "/dev/sda", false, &d, why,
				 sizeof(why)) != GUEST_OK) {
		fprintf(stderr, "xfs_walk: %s\n", why);
		return 2;
	}
	const struct guest_disk_layout *l = guest_disk_layout(d);
	size_t vol = 0;
	while (vol < l->nvolumes && strcmp(l->volumes[vol].fstype, "xfs") != 0)
		vol++;
	struct guest_fs *fs;
	if (vol == l->nvolumes) {
		fprintf(stderr, "xfs_walk: %s: no XFS volume\n", img);
		guest_disk_close(d);
		return 2;
	}
	if (guest_disk_mount(d, vol, true, &fs) != GUEST_OK) {
		fprintf(stderr, "xfs_walk: %s\n", guest_disk_errmsg(d));
		guest_disk_close(d);
		return 2;
	}
	if (argc == 2) {
		walk(fs, "", 0);
	} else if (strcmp(argv[2], "read") == 0) {
		uint8_t sha[32];
		char hx[65];
		uint64_t size;
		if (guest_fs_sha256(fs, argv[3], sha, &size) != GUEST_OK) {
			fprintf(stderr, "xfs_walk: %s\n", guest_fs_errmsg(fs));
			failures++;
		} else {
			hex(sha, 32, hx);
			printf("%llu %s\n", (unsigned long long)size, hx);
		}
	} else {
		char **names;
		size_t n;
		if (guest_fs_list(fs, argv[3], &names, &n) != GUEST_OK) {
			fprintf(stderr, "xfs_walk: %s\n", guest_fs_errmsg(fs));
			failures++;
		} else {
			for (size_t i = 0; i < n; i++)
				printf("%s\n", names[i]);
			guest_names_free(names, n);
		}
	}
	guest_disk_close(d);
	return failures ? 1 : 0;
}

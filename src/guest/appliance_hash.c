/*
 * appliance_hash.c - whole files of the libguestfs backend read in pieces,
 * and their SHA-256: one file, or many at once with as few round trips to
 * the appliance as the listings allow.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/appliance_int.h"

/*
 * Reads the whole of the appliance file @full, in pieces of APP_CHUNK,
 * into @sink.  A short piece is the end of the file, so a file shorter
 * than a piece costs one call.  pread runs in the daemon itself: under
 * TCG a call is a few milliseconds plus the bytes, where download (a
 * chunked upload protocol) costs about 0.15 s and checksum (a sha256sum
 * process) about 0.06 s for a small file; for files of a few MB pread is
 * still the fastest of the three.  Returns 0, or -1 for a failed call
 * (its message is the handle's), or the sink's nonzero answer.
 */
int guest_int_app_read_pieces(guestfs_h *g, const char *full,
			      int (*sink)(void *ctx, const void *p, size_t n),
			      void *ctx, uint64_t *total_ret)
{
	uint64_t off = 0;
	for (;;) {
		size_t n;
		char *p = guestfs_pread(g, full, (int)APP_CHUNK, (int64_t)off,
					&n);
		if (p == NULL)
			return -1;
		if (n > APP_CHUNK)
			n = APP_CHUNK;
		int e = n ? sink(ctx, p, n) : 0;
		free(p);
		if (e != 0)
			return e;
		off += n;
		if (n < APP_CHUNK)
			break;
	}
	if (total_ret)
		*total_ret = off;
	return 0;
}

static int sink_sha256(void *ctx, const void *p, size_t n)
{
	hvo_int_sha256_update(ctx, p, n);
	return 0;
}

/* SHA-256 of an appliance file, hashed here from its bytes. */
int guest_int_app_hash_full(guestfs_h *g, const char *full, uint8_t out[32],
			    uint64_t *size_ret)
{
	struct hvo_sha256 ctx;
	hvo_int_sha256_init(&ctx);
	if (guest_int_app_read_pieces(g, full, sink_sha256, &ctx, size_ret) !=
	    0)
		return -1;
	hvo_int_sha256_final(&ctx, out);
	return 0;
}

/* Hashed here from pread pieces: cheaper under TCG than a sha256sum
 * process in the appliance (guest_int_app_read_pieces). */
int guest_int_app_sha256(struct guest_fs *fs, const char *path, uint8_t out[32],
			 uint64_t *size_ret)
{
	char *full;
	uint64_t size;
	int r = guest_int_app_resolve_file(fs, path, &full, &size);
	if (r != GUEST_OK)
		return r;
	guestfs_h *g = A(fs)->s->g;
	if (guest_int_app_hash_full(g, full, out, size_ret) != 0)
		r = guest_int_fs_fail(fs, g_class(g), "%s: read: %s", path,
				      g_msg(g));
	free(full);
	return r;
}

/* SHA-256 sums of whole trees, each from one checksums-out. */
struct tree_sum {
	char *full; /* appliance path */
	uint8_t sha256[HVO_SHA256_LEN];
};

struct tree_sums {
	struct tree_sum *v;
	size_t n, cap;
};

static void tree_sums_free(struct tree_sums *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].full);
	free(t->v);
}

/* The digest of appliance path @full, or NULL if the trees hashed did
 * not hold it. */
static const uint8_t *tree_sums_find(const struct tree_sums *t,
				     const char *full)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].full, full) == 0)
			return t->v[i].sha256;
	return NULL;
}

/*
 * Adds to @t the SHA-256 of every regular file below the directory at
 * appliance path @root, in one call (checksums-out, which prints as
 * sha256sum does: "<hex>  ./<relative path>").  A failed call adds
 * nothing: each file is then hashed by itself.
 */
static void tree_sums_add(guestfs_h *g, const char *root, struct tree_sums *t)
{
	const char *tmp = getenv("TMPDIR");
	char path[4200];
	snprintf(path, sizeof(path), "%s/hvoffline-sums-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return;
	close(fd);
	FILE *f = guestfs_checksums_out(g, "sha256", root, path) == 0
			  ? fopen(path, "r")
			  : NULL;
	char line[4400];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		size_t len = strcspn(line, "\n");
		line[len] = '\0';
		struct tree_sum ts;
		if (len < 64 + 4 || memcmp(line + 64, "  ./", 4) != 0 ||
		    !hvo_int_sha256_from_hex(line, ts.sha256))
			continue;
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct tree_sum *v = realloc(t->v, cap * sizeof(*v));
			if (v == NULL)
				break;
			t->v = v;
			t->cap = cap;
		}
		if (asprintf(&ts.full, "%s/%s", root, line + 68) < 0)
			break;
		t->v[t->n++] = ts;
	}
	if (f != NULL)
		fclose(f);
	unlink(path);
}

/* Whether @path (normalised) is one of @paths[0..n). */
static bool path_wanted(const char *path, const char *const *paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (guest_name_eq(paths[i], path))
			return true;
	return false;
}

/*
 * Whether the listed directory @d holds nothing but wanted files and
 * listed directories that do the same (a folder of ours, a staged driver
 * package): hashing the whole tree then costs one call and hashes nothing
 * unwanted.  Adds the wanted files found to *@nfiles.
 */
static bool tree_all_wanted(struct app_fs *a, const struct app_dir *d,
			    const char *const *paths, size_t n, size_t *nfiles,
			    int depth)
{
	if (depth > 32)
		return false;
	for (size_t i = 0; i < d->n; i++) {
		char *child;
		if (asprintf(&child, "%s%s%s", d->key, d->key[0] ? "/" : "",
			     d->names[i]) < 0)
			return false;
		struct app_dir *sub = guest_int_app_dir_cached(a, child);
		bool ok = sub != NULL ? tree_all_wanted(a, sub, paths, n,
							nfiles, depth + 1)
				      : path_wanted(child, paths, n);
		if (sub == NULL && ok)
			++*nfiles;
		free(child);
		if (!ok)
			return false;
	}
	return true;
}

/*
 * Hashes into @t, one call per tree, every highest listed directory that
 * tree_all_wanted() accepts and that holds at least APP_TREE_MIN_FILES
 * wanted files: checksums-out starts find and sha256sum processes, where
 * a file read with pread costs a call.  Under TCG, the 51 files (2.8 MB)
 * of a staged package took 0.57 s by checksums-out and about 0.45 s by
 * pread (7.7 ms a file plus the bytes).
 */
static void hash_wanted_trees(struct app_fs *a, const char *const *paths,
			      size_t n, struct tree_sums *t)
{
	char **roots = calloc(n ? n : 1, sizeof(*roots));
	size_t nroots = 0;
	for (size_t i = 0; roots != NULL && i < n; i++) {
		bool covered = false;
		for (size_t r = 0; r < nroots && !covered; r++) {
			size_t rl = strlen(roots[r]);
			covered = strlen(paths[i]) > rl &&
				  paths[i][rl] == '/' &&
				  strncasecmp(paths[i], roots[r], rl) == 0;
		}
		if (covered)
			continue;
		/* Up from the parent while the tree is still all wanted. */
		char *dir = strdup(paths[i]);
		struct app_dir *best = NULL;
		size_t best_files = 0;
		char *slash;
		while (dir != NULL && (slash = strrchr(dir, '/')) != NULL) {
			*slash = '\0';
			struct app_dir *d = guest_int_app_dir_cached(a, dir);
			size_t files = 0;
			if (d == NULL ||
			    !tree_all_wanted(a, d, paths, n, &files, 0))
				break;
			best = d;
			best_files = files;
		}
		free(dir);
		if (best == NULL || best_files < APP_TREE_MIN_FILES)
			continue;
		roots[nroots] = strdup(best->key);
		if (roots[nroots] == NULL)
			break;
		nroots++;
		tree_sums_add(a->s->g, best->real, t);
	}
	for (size_t r = 0; r < nroots; r++)
		free(roots[r]);
	free(roots);
}

/*
 * SHA-256 of many files with fewer round trips: existence comes from the
 * cached listings, types and sizes from one lstatnslist per directory,
 * hashes from one call per large tree of nothing but wanted files, and
 * the other files read with pread and hashed here (libguestfs has no
 * batch hash short of hashing whole trees, and its shell commands run
 * chrooted in the guest, which has no shell).  Anything unexpected
 * returns an error and fs.c asks path by path, so that the error names
 * the path.
 */
int guest_int_app_sha256_many(struct guest_fs *fs, const char *const *paths,
			      size_t n, struct guest_digest *out)
{
	guestfs_h *g = A(fs)->s->g;
	int r = GUEST_OK;
	struct tree_sums sums = { 0 };
	/* Every parent listed first, so that whole trees of wanted files
	 * are seen and hashed in one call each. */
	for (size_t i = 0; i < n; i++) {
		char *full = NULL;
		if (guest_int_app_resolve_in(fs, paths[i], false, &full, NULL,
					     NULL) == GUEST_OK)
			free(full);
	}
	hash_wanted_trees(A(fs), paths, n, &sums);
	for (size_t i = 0; i < n && r == GUEST_OK; i++) {
		char *full = NULL;
		bool exists = false;
		if (out[i].exists)
			continue; /* done with an earlier path's directory */
		r = guest_int_app_resolve_in(fs, paths[i], false, &full,
					     &exists, NULL);
		if (r == GUEST_E_NOENT)
			r = GUEST_OK; /* the parent is missing */
		if (r != GUEST_OK || !exists) {
			free(full);
			continue;
		}
		/* Type and size of every wanted name of this directory. */
		const char *slash = strrchr(full, '/');
		char *dir = strndup(full, (size_t)(slash - full));
		size_t k = 0;
		const char **names = calloc(n - i + 1, sizeof(*names));
		size_t *which = calloc(n - i + 1, sizeof(*which));
		char **fulls = calloc(n - i + 1, sizeof(*fulls));
		if (dir == NULL || names == NULL || which == NULL ||
		    fulls == NULL) {
			r = GUEST_E_NOMEM;
		} else {
			fulls[k] = full;
			names[k] = slash + 1;
			which[k++] = i;
			full = NULL;
			for (size_t j = i + 1; j < n; j++) {
				char *fj;
				bool ej;
				if (out[j].exists ||
				    guest_int_app_resolve_in(fs, paths[j],
							     false, &fj, &ej,
							     NULL) != GUEST_OK)
					continue;
				const char *sj = strrchr(fj, '/');
				if (ej && (size_t)(sj - fj) == strlen(dir) &&
				    strncmp(fj, dir, strlen(dir)) == 0) {
					fulls[k] = fj;
					names[k] = sj + 1;
					which[k++] = j;
				} else {
					free(fj);
				}
			}
			struct guestfs_statns_list *st = guestfs_lstatnslist(
				g, dir, (char *const *)names);
			if (st == NULL || st->len != k)
				r = GUEST_E_IO;
			for (size_t q = 0; q < k && r == GUEST_OK; q++)
				if (guest_int_app_mode_type(
					    st->val[q].st_mode) !=
				    GUEST_FT_FILE)
					r = GUEST_E_ISDIR;
			for (size_t q = 0; q < k && r == GUEST_OK; q++) {
				struct guest_digest *d = &out[which[q]];
				const uint8_t *known =
					tree_sums_find(&sums, fulls[q]);
				if (known != NULL) {
					memcpy(d->sha256, known, 32);
				} else {
					if (guest_int_app_hash_full(
						    g, fulls[q], d->sha256,
						    NULL) != 0) {
						r = GUEST_E_IO;
						break;
					}
				}
				d->exists = true;
				d->size =
					st->val[q].st_size < 0
						? 0
						: (uint64_t)st->val[q].st_size;
			}
			if (st != NULL)
				guestfs_free_statns_list(st);
		}
		for (size_t q = 0; fulls && q < k; q++)
			free(fulls[q]);
		free(full);
		free(fulls);
		free(names);
		free(which);
		free(dir);
	}
	tree_sums_free(&sums);
	return r;
}

/*
 * tmpdir.c - a private scratch directory on the host (see tmpdir.h).
 */
#include <config.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/tmpdir.h"

int hvo_int_tmpdir_create(const char *what, char **path_ret)
{
	*path_ret = NULL;
	const char *base = getenv("TMPDIR");
	if (base == NULL || base[0] != '/')
		base = "/tmp";
	char *path;
	if (asprintf(&path, "%s/hvoffline-%s-XXXXXX", base, what) < 0)
		return ENOMEM;
	if (mkdtemp(path) == NULL) {
		int e = errno;
		free(path);
		return e;
	}
	*path_ret = path;
	return 0;
}

static int first_error;

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
	if (rc != 0 && first_error == 0)
		first_error = errno;
	return 0;
}

int hvo_int_tmpdir_remove(const char *path)
{
	if (path == NULL)
		return 0;
	first_error = 0;
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 &&
	    first_error == 0)
		first_error = errno;
	return first_error;
}

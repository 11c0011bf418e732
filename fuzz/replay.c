/*
 * replay.c - runs a libFuzzer target over its corpus without libFuzzer.
 *
 * Every fuzz target (fuzz/fuzz_<name>.c, defining LLVMFuzzerTestOneInput)
 * is also linked with this driver as fuzz/fuzz_<name>_replay, which `make
 * check` runs: it feeds every file of fuzz/corpus/<name>/ to the target,
 * plus, when fuzz/corpus/<name>.fixtures exists, every fixture file it
 * lists (paths relative to ../shared/fixtures, read in place, never copied).
 * Arguments, when given, replace the default inputs (files or directories).
 * A crash or sanitizer report fails the test; so does an empty corpus.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/lib/hvotest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t ninputs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (buf == NULL)
			abort();
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
	}
	fclose(f);
	/* An exact-size copy, so ASan catches any read past the input. */
	uint8_t *exact = malloc(len ? len : 1);
	if (exact == NULL)
		abort();
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	ninputs++;
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		if (nm[0] != '.') {
			char *child;
			if (asprintf(&child, "%s/%s", path, nm) < 0)
				abort();
			if (run_path(child) != 0)
				rc = -1;
			free(child);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* "fuzz_cab_replay" -> "cab" */
static char *target_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	if (strncmp(base, "fuzz_", 5) == 0)
		base += 5;
	char *name = strdup(base);
	if (name == NULL)
		abort();
	char *suffix = strstr(name, "_replay");
	if (suffix)
		*suffix = '\0';
	return name;
}

static int run_fixture_list(const char *list)
{
	FILE *f = fopen(list, "r");
	if (f == NULL)
		return 0;
	const char *fixtures = hvo_test_fixtures_or_exit();
	char line[4096];
	int rc = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *path;
		if (asprintf(&path, "%s/%s", fixtures, line) < 0)
			abort();
		if (run_path(path) != 0)
			rc = -1;
		free(path);
	}
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (run_path(argv[i]) != 0)
				rc = 1;
	} else {
		char *name = target_name(argv[0]);
		char *dir, *list;
		if (asprintf(&dir, "%s/fuzz/corpus/%s", hvo_test_srcdir(),
			     name) < 0 ||
		    asprintf(&list, "%s/fuzz/corpus/%s.fixtures",
			     hvo_test_srcdir(), name) < 0)
			abort();
		if (run_path(dir) != 0)
			rc = 1;
		if (run_fixture_list(list) != 0)
			rc = 1;
		free(dir);
		free(list);
		free(name);
	}
	printf("replay: %zu inputs\n", ninputs);
	if (ninputs == 0) {
		fprintf(stderr, "replay: no inputs: the corpus is empty\n");
		rc = 1;
	}
	return rc;
}

/*
 * cmdline.c - nbdkit's -r flag, read from the process's command line.
 *
 * The option table follows nbdkit 1.32's server/options.h: the short
 * options that take an argument are "D:e:g:i:P:p:t:U:u:", the long ones
 * listed in long_with_arg[] below.  Long options may also be written
 * "--name=value".  getopt permutes, so options may follow the plugin name;
 * every argument is looked at, up to "--".
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbdkit/cmdline.h"

/* Short options of nbdkit that take an argument. */
#define NBDKIT_SHORT_WITH_ARG "DegiPptUu"

/* /proc/self/cmdline is at most a few pages for any sane nbdkit call;
 * past this we stop reading and answer from what we have. */
#define CMDLINE_MAX	 (256u * 1024u)
#define CMDLINE_MAX_ARGS 4096

static const char *const long_with_arg[] = {
	"debug",	  "export",   "export-name",
	"exportname",	  "filter",   "group",
	"ip-addr",	  "ipaddr",   "log",
	"mask-handshake", "pid-file", "pidfile",
	"port",		  "run",      "selinux-label",
	"threads",	  "tls",      "tls-certificates",
	"tls-psk",	  "unix",     "user",
};

static bool long_takes_arg(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(long_with_arg) / sizeof(long_with_arg[0]);
	     i++)
		if (strlen(long_with_arg[i]) == len &&
		    memcmp(long_with_arg[i], name, len) == 0)
			return true;
	return false;
}

bool hvo_nbd_int_argv_read_only(int argc, char *const *argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '\0')
			continue; /* the plugin, key=value, or "-" */
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			if ((len == 8 && memcmp(name, "readonly", 8) == 0) ||
			    (len == 9 && memcmp(name, "read-only", 9) == 0))
				return true;
			if (eq == NULL && long_takes_arg(name, len))
				i++;
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			if (*c == 'r')
				return true;
			if (strchr(NBDKIT_SHORT_WITH_ARG, *c)) {
				if (c[1] == '\0')
					i++; /* the next word is its value */
				break;
			}
		}
	}
	return false;
}

bool hvo_nbd_int_cmdline_read_only(void)
{
	FILE *f = fopen("/proc/self/cmdline", "re");
	if (f == NULL)
		return false;
	char *buf = malloc(CMDLINE_MAX + 1);
	char **argv = malloc(CMDLINE_MAX_ARGS * sizeof(*argv));
	bool ro = false;
	if (buf != NULL && argv != NULL) {
		size_t n = fread(buf, 1, CMDLINE_MAX, f);
		buf[n] = '\0';
		int argc = 0;
		for (size_t p = 0; p < n && argc < CMDLINE_MAX_ARGS;
		     p += strlen(buf + p) + 1)
			argv[argc++] = buf + p;
		ro = hvo_nbd_int_argv_read_only(argc, argv);
	}
	free(argv);
	free(buf);
	fclose(f);
	return ro;
}

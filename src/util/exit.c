/*
 * exit.c - library version and the shared outcome classes.
 */
#include <config.h>

#include "hvoffline.h"

const char *hvo_version(void)
{
	return PACKAGE_VERSION;
}

static const char *const exit_text[] = {
	[HVO_EXIT_OK] = "success",
	[HVO_EXIT_FAILED] = "failed",
	[HVO_EXIT_USAGE] = "bad usage",
	[HVO_EXIT_NOT_APPLICABLE] = "no package applies",
	[HVO_EXIT_REFUSED] = "refused: in use or unsafe",
	[HVO_EXIT_CORRUPT] = "corrupt input",
	[HVO_EXIT_WARNING] = "success, with a warning",
};

const char *hvo_exit_describe(enum hvo_exit code)
{
	if ((unsigned)code < sizeof(exit_text) / sizeof(exit_text[0]))
		return exit_text[code];
	return "unknown";
}

/* Severity order: a warning is above success, below every failure. */
static int severity(enum hvo_exit code)
{
	return code == HVO_EXIT_WARNING ? 1
	       : code == HVO_EXIT_OK	? 0
					: 1 + (int)code;
}

enum hvo_exit hvo_exit_max(enum hvo_exit a, enum hvo_exit b)
{
	return severity(a) >= severity(b) ? a : b;
}

/*
 * error.c - security-descriptor errors.
 */
#include <config.h>

#include "secdesc/internal.h"

static const char *const messages[] = {
	[SD_OK] = "success",
	[SD_ERR_NOMEM] = "out of memory",
	[SD_ERR_SYNTAX] = "SDDL syntax error",
	[SD_ERR_UNSUPPORTED] = "unsupported SDDL",
	[SD_ERR_MALFORMED] = "malformed security descriptor",
	[SD_ERR_LIMIT] = "security descriptor too large",
};

const char *sd_strerror(int err)
{
	if (err < 0 || err > SD_ERR_MAX)
		return "unknown error";
	return messages[err];
}

enum hvo_exit sd_exit_class(int err)
{
	switch (err) {
	case SD_OK:
		return HVO_EXIT_OK;
	case SD_ERR_SYNTAX:
	case SD_ERR_UNSUPPORTED:
	case SD_ERR_MALFORMED:
	case SD_ERR_LIMIT:
		return HVO_EXIT_CORRUPT;
	default:
		return HVO_EXIT_FAILED;
	}
}

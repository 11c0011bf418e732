/*
 * commands.c - the table of hvoffline commands.
 *
 * Each command lives in its own cmd_*.c file; this table is the only place
 * that lists them, in the order `hvoffline --help` shows.
 */
#include <config.h>

#include "cli/cli.h"
#include "cli/commands.h"

/* One entry per line (clang-format would pack them). */
/* clang-format off */
const struct cli_command cli_commands[] = {
	CLI_DOCTOR_COMMAND,
	CLI_CAB_COMMAND,
	CLI_PACKAGE_COMMAND,
	CLI_REG_COMMAND,
	CLI_VHDX_COMMAND,
	CLI_INSPECT_COMMAND,
	CLI_APPLY_COMMAND,
	CLI_VERIFY_COMMAND,
	CLI_SERVICES_COMMAND,
	CLI_ROLLBACK_COMMAND,
	{ 0 },
};
/* clang-format on */

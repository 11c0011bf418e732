/*
 * commands.c - the table of hvoffline commands.
 *
 * Each command lives in its own cmd_*.c file; this table is the only place
 * that lists them, in the order `hvoffline --help` shows.
 */
#include <config.h>

#include "cli/cli.h"
#include "cli/commands.h"

const struct cli_command cli_commands[] = {
	CLI_DOCTOR_COMMAND,  /* cmd_doctor.c */
	CLI_CAB_COMMAND,     /* cmd_cab.c */
	CLI_PACKAGE_COMMAND, /* cmd_package.c */
	CLI_VHDX_COMMAND,    /* cmd_vhdx.c */
	{ 0 },
};

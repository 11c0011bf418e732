/*
 * commands.h - table entries of the commands (one macro per cmd_*.c).
 */
#ifndef HVO_CLI_COMMANDS_H
#define HVO_CLI_COMMANDS_H

#include "cli/cli.h"

enum hvo_exit cmd_doctor(struct cli_ctx *ctx, int argc, char **argv);
extern const char cmd_doctor_help[];
#define CLI_DOCTOR_COMMAND                                                 \
	{                                                                  \
		.name = "doctor",                                          \
		.summary = "check that the guest appliance launches here", \
		.help = cmd_doctor_help, .run = cmd_doctor,                \
	}

extern const char cmd_reg_help[];
extern const struct cli_command cmd_reg_subcommands[];
#define CLI_REG_COMMAND                                                    \
	{                                                                  \
		.name = "reg",                                             \
		.summary = "check, recover, read and edit registry hives", \
		.help = cmd_reg_help, .subcommands = cmd_reg_subcommands,  \
	}

#endif /* HVO_CLI_COMMANDS_H */

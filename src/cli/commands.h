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

extern const char cmd_vhdx_help[];
extern const struct cli_command cmd_vhdx_subcommands[];
#define CLI_VHDX_COMMAND                                                     \
	{                                                                    \
		.name = "vhdx",                                              \
		.summary = "inspect, check, replay, create, read and write " \
			   "VHDX images",                                    \
		.help = cmd_vhdx_help, .subcommands = cmd_vhdx_subcommands,  \
	}

#endif /* HVO_CLI_COMMANDS_H */

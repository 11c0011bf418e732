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

extern const char cmd_cab_help[];
extern const struct cli_command cmd_cab_subcommands[];
enum hvo_exit cmd_cab_list(struct cli_ctx *ctx, int argc, char **argv);
enum hvo_exit cmd_cab_test(struct cli_ctx *ctx, int argc, char **argv);
enum hvo_exit cmd_cab_extract(struct cli_ctx *ctx, int argc, char **argv);
enum hvo_exit cmd_cab_create(struct cli_ctx *ctx, int argc, char **argv);
#define CLI_CAB_COMMAND                                                    \
	{                                                                  \
		.name = "cab",                                             \
		.summary = "list, verify, extract and make cabinet files", \
		.help = cmd_cab_help, .run = NULL,                         \
		.subcommands = cmd_cab_subcommands,                        \
	}

extern const char cmd_package_help[];
extern const struct cli_command cmd_package_subcommands[];
enum hvo_exit cmd_package_info(struct cli_ctx *ctx, int argc, char **argv);
#define CLI_PACKAGE_COMMAND                                                   \
	{                                                                     \
		.name = "package",                                            \
		.summary = "read CBS packages (update.mum, manifests, INFs)", \
		.help = cmd_package_help, .run = NULL,                        \
		.subcommands = cmd_package_subcommands,                       \
	}

extern const char cmd_reg_help[];
extern const struct cli_command cmd_reg_subcommands[];
#define CLI_REG_COMMAND                                                    \
	{                                                                  \
		.name = "reg",                                             \
		.summary = "check, recover, read and edit registry hives", \
		.help = cmd_reg_help, .subcommands = cmd_reg_subcommands,  \
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

enum hvo_exit cmd_inspect(struct cli_ctx *ctx, int argc, char **argv);
extern const char cmd_inspect_help[];
#define CLI_INSPECT_COMMAND                                                  \
	{                                                                    \
		.name = "inspect",                                           \
		.summary =                                                   \
			"report what an image holds and whether it is safe " \
			"to service",                                        \
		.help = cmd_inspect_help, .run = cmd_inspect,                \
	}

enum hvo_exit cmd_apply(struct cli_ctx *ctx, int argc, char **argv);
extern const char cmd_apply_help[];
#define CLI_APPLY_COMMAND                                                   \
	{                                                                   \
		.name = "apply",                                            \
		.summary = "install the integration-services package into " \
			   "offline images",                                \
		.help = cmd_apply_help, .run = cmd_apply,                   \
	}

enum hvo_exit cmd_verify(struct cli_ctx *ctx, int argc, char **argv);
extern const char cmd_verify_help[];
#define CLI_VERIFY_COMMAND                                               \
	{                                                                \
		.name = "verify",                                        \
		.summary = "check an image against what apply installs", \
		.help = cmd_verify_help, .run = cmd_verify,              \
	}

enum hvo_exit cmd_services(struct cli_ctx *ctx, int argc, char **argv);
extern const char cmd_services_help[];
#define CLI_SERVICES_COMMAND                                       \
	{                                                          \
		.name = "services",                                \
		.summary = "list, enable and disable the guest's " \
			   "integration services",                 \
		.help = cmd_services_help, .run = cmd_services,    \
	}

enum hvo_exit cmd_rollback(struct cli_ctx *ctx, int argc, char **argv);
extern const char cmd_rollback_help[];
#define CLI_ROLLBACK_COMMAND                                               \
	{                                                                  \
		.name = "rollback",                                        \
		.summary = "undo the last apply and the changes recorded " \
			   "after it",                                     \
		.help = cmd_rollback_help, .run = cmd_rollback,            \
	}

/* `reg COMMAND --image IMAGE`: the guest's hives in place
 * (cmd_reg_image.c); cmd_reg.c's handlers hand such lines over. */
bool cmd_reg_image_requested(int argc, char **argv);
enum hvo_exit cmd_reg_image(struct cli_ctx *ctx, const char *sub, int argc,
			    char **argv);
#define CMD_REG_IMAGE_HOOK(ctx, sub, argc, argv)                    \
	do {                                                        \
		if (cmd_reg_image_requested(argc, argv))            \
			return cmd_reg_image(ctx, sub, argc, argv); \
	} while (0)

#endif /* HVO_CLI_COMMANDS_H */

/*
 * cmd_reg.h - between cmd_reg.c (options, handlers) and cmd_reg_show.c
 * (rendering).
 */
#ifndef HVO_CLI_CMD_REG_H
#define HVO_CLI_CMD_REG_H

#include "cli/cli.h"
#include "registry/reg.h"

/* One value as a `reg get` line. */
void reg_cli_print_value(const struct reg_value *v);
/* One value as a JSON object {name, type, type_number, size, data|hex}. */
void reg_cli_json_value(struct json_writer *w, const struct reg_value *v);

struct json_export {
	struct reg_hive *h;
	struct json_writer *w;
};
/* @key and everything below it as JSON objects {key, values}. */
int reg_cli_json_key(struct json_export *je, const char *key, unsigned depth);

/* What `reg check` found, as text or JSON; returns the exit status @x
 * (or a failure to write). */
enum hvo_exit reg_cli_show_check(struct cli_ctx *ctx, const char *path,
				 const struct reg_info *in, enum hvo_exit x);

/* Help texts (cmd_reg_help.c). */
extern const char cmd_reg_check_help[];
extern const char cmd_reg_recover_help[];
extern const char cmd_reg_get_help[];
extern const char cmd_reg_set_help[];
extern const char cmd_reg_delete_help[];
extern const char cmd_reg_import_help[];
extern const char cmd_reg_export_help[];
extern const char cmd_reg_compact_help[];

#endif /* HVO_CLI_CMD_REG_H */

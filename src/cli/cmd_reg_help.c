/*
 * cmd_reg_help.c - the help texts of `hvoffline reg` and its commands.
 */
#include <config.h>

#include "cli/cmd_reg.h"

#define LOGS_HELP                                                          \
	"  --txlog FILE      the hive's .LOG (default: found beside it,\n" \
	"                    whatever the case of its name)\n"             \
	"  --txlog1 FILE     its .LOG1 (default: found beside it)\n"       \
	"  --txlog2 FILE     its .LOG2 (default: found beside it)\n"       \
	"  --no-txlogs       do not look for logs beside the hive\n"

const char cmd_reg_check_help[] =
	"Usage: hvoffline reg check [OPTIONS] HIVE\n"
	"\n"
	"Check a hive file and its transaction logs: the base block, every\n"
	"key and value reachable from the root, whether the hive is clean or\n"
	"dirty, and whether its logs recover it.\n"
	"\n"
	"Exit status: 0 clean or recoverable from its logs, 4 dirty without\n"
	"usable logs, 5 corrupt.\n"
	"\n"
	"Options:\n" LOGS_HELP;

const char cmd_reg_recover_help[] =
	"Usage: hvoffline reg recover [OPTIONS] HIVE (-o OUT | --in-place)\n"
	"\n"
	"Replay a dirty hive's transaction logs, as Windows does at boot, and\n"
	"write the result as a new clean hive: to OUT, or over HIVE with\n"
	"--in-place (which then empties the logs it replayed, so that Windows\n"
	"never replays stale data).  A clean hive is left alone (exit 0).\n"
	"Missing or corrupt logs are refused (exit 4).\n"
	"\n"
	"Options:\n"
	"  -o, --output OUT  write the recovered hive to OUT\n"
	"  --in-place        replace HIVE itself\n" LOGS_HELP;

const char cmd_reg_get_help[] =
	"Usage: hvoffline reg get [OPTIONS] HIVE KEY [VALUE]\n"
	"\n"
	"Show value VALUE of KEY ('@' is the default value), or all values "
	"and\n"
	"subkeys of KEY.  KEY is a path inside the hive ('Microsoft\\Windows\n"
	"NT\\CurrentVersion'), or a machine path (HKLM\\SOFTWARE\\..., or\n"
	"HKLM\\SYSTEM\\CurrentControlSet\\..., which maps to the current "
	"control\n"
	"set).  Names match case-insensitively, as in Windows.  A dirty hive\n"
	"is read as recovered from its logs, or as it is when it has none.\n"
	"\n"
	"Options:\n" LOGS_HELP;

const char cmd_reg_set_help[] =
	"Usage: hvoffline reg set [OPTIONS] HIVE KEY [VALUE TYPE DATA...]\n"
	"\n"
	"Set value VALUE of KEY ('@' is the default value), creating KEY and\n"
	"its missing parents; with KEY alone, just create the key.  TYPE and\n"
	"DATA:\n"
	"  sz TEXT, expand_sz TEXT, link TEXT   a string (UTF-8 in, UTF-16 "
	"stored)\n"
	"  multi_sz TEXT...                     a list of strings\n"
	"  dword N, dword_be N, qword N         numbers (decimal or 0x...)\n"
	"  binary HEX, none [HEX], N HEX        bytes: '01,02,ff' or '0102ff'\n"
	"The hive is written back crash-safely and read back before it\n"
	"replaces the original.  A dirty hive is refused (exit 4) unless\n"
	"--recover replays its logs first.\n"
	"\n"
	"Options:\n"
	"  --recover         recover a dirty hive from its logs "
	"first\n" LOGS_HELP;

const char cmd_reg_delete_help[] =
	"Usage: hvoffline reg delete [OPTIONS] HIVE KEY [VALUE]\n"
	"\n"
	"Delete value VALUE of KEY ('@' is the default value), or KEY with\n"
	"all its subkeys and values.  Deleting what does not exist is an "
	"error\n"
	"(exit 1).  Written back crash-safely; a dirty hive is refused unless\n"
	"--recover.\n"
	"\n"
	"Options:\n"
	"  --recover         recover a dirty hive from its logs "
	"first\n" LOGS_HELP;

const char cmd_reg_import_help[] =
	"Usage: hvoffline reg import [OPTIONS] HIVE FILE.reg\n"
	"\n"
	"Merge a .reg file into the hive in one batch and one write, as\n"
	"'virt-win-reg --merge' or 'regedit /s' would: REGEDIT4 or version\n"
	"5.00, UTF-16LE with BOM or UTF-8; [key], [-key], \"name\"=..., "
	"@=...,\n"
	"dword:, hex:, hex(N):, \"name\"=-.  Keys must lie under PREFIX, the "
	"key\n"
	"the hive stands for (default HKEY_LOCAL_MACHINE\\<HIVE's file "
	"name>\n"
	"for a file named SYSTEM, SOFTWARE, ...; for another name, the hive\n"
	"its first HKEY_LOCAL_MACHINE\\<hive> key names);\n"
	"CurrentControlSet maps to the current control set.  A syntax error\n"
	"changes nothing (exit 5).\n"
	"\n"
	"Options:\n"
	"  --prefix PREFIX   e.g. 'HKEY_LOCAL_MACHINE\\SOFTWARE'\n"
	"  --recover         recover a dirty hive from its logs "
	"first\n" LOGS_HELP;

const char cmd_reg_export_help[] =
	"Usage: hvoffline reg export [OPTIONS] HIVE [KEY]\n"
	"\n"
	"Write KEY (default: the whole hive) and everything below it as a\n"
	"'Windows Registry Editor Version 5.00' file, UTF-16LE with BOM as\n"
	"regedit writes it (--utf8: UTF-8, which hivexregedit --merge reads),\n"
	"to standard output or -o FILE.  It imports back unchanged.  With\n"
	"--json: the keys and their decoded values as JSON.\n"
	"\n"
	"Options:\n"
	"  --prefix PREFIX   key names start with PREFIX (default\n"
	"                    HKEY_LOCAL_MACHINE\\<HIVE's file name>)\n"
	"  --utf8            UTF-8 with LF line ends\n"
	"  -o, --output FILE write to FILE (replaced atomically)\n" LOGS_HELP;

const char cmd_reg_compact_help[] =
	"Usage: hvoffline reg compact [OPTIONS] HIVE\n"
	"\n"
	"Rewrite HIVE without its free space: a new hive built from its tree,\n"
	"as Windows reorganises a hive.  Edits do this by themselves when "
	"they\n"
	"would leave more than 25% of the hive free.  The new hive must read\n"
	"back key for key and value for value before it replaces HIVE\n"
	"(crash-safely, like every write).  A dirty hive is refused unless\n"
	"--recover.\n"
	"\n"
	"Options:\n"
	"  --recover         recover a dirty hive from its logs "
	"first\n" LOGS_HELP;

/*
 * errors.c - error codes, their messages and exit classes; enum names.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/internal.h"

static const char *const messages[] = {
	[REG_OK] = "success",
	[REG_ERR_NOMEM] = "out of memory",
	[REG_ERR_IO] = "input/output error",
	[REG_ERR_NOT_HIVE] = "not a registry hive",
	[REG_ERR_CORRUPT] = "corrupt hive",
	[REG_ERR_TRUNCATED] = "truncated hive",
	[REG_ERR_UNSUPPORTED] = "unsupported hive",
	[REG_ERR_DIRTY] = "hive is dirty",
	[REG_ERR_NO_LOGS] = "hive is dirty and has no usable transaction log",
	[REG_ERR_NOT_DIRTY] = "hive is clean: nothing to recover",
	[REG_ERR_NOT_FOUND] = "not found",
	[REG_ERR_INVALID] = "invalid argument",
	[REG_ERR_READ_ONLY] = "hive not opened for writing",
	[REG_ERR_VERIFY] = "written hive does not read back as edited",
	[REG_ERR_SYNTAX] = ".reg file syntax error",
	[REG_ERR_HIVEX] = "libhivex failed",
	[REG_ERR_TOO_BIG] = "too large",
};

const char *reg_strerror(int err)
{
	if (err < 0 || (size_t)err >= sizeof(messages) / sizeof(messages[0]) ||
	    messages[err] == NULL)
		return "unknown error";
	return messages[err];
}

enum hvo_exit reg_exit_class(int err)
{
	switch (err) {
	case REG_OK:
		return HVO_EXIT_OK;
	case REG_ERR_NOT_HIVE:
	case REG_ERR_CORRUPT:
	case REG_ERR_TRUNCATED:
	case REG_ERR_UNSUPPORTED:
	case REG_ERR_SYNTAX:
		return HVO_EXIT_CORRUPT;
	case REG_ERR_DIRTY:
	case REG_ERR_NO_LOGS:
		return HVO_EXIT_REFUSED;
	case REG_ERR_INVALID:
		return HVO_EXIT_USAGE;
	default:
		return HVO_EXIT_FAILED;
	}
}

int reg_int_err_set(struct reg_err *e, int code, const char *fmt, ...)
{
	if (e->code != 0)
		return code;
	e->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void reg_int_err_clear(struct reg_err *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}

const char *reg_state_name(enum reg_state s)
{
	switch (s) {
	case REG_STATE_CLEAN:
		return "clean";
	case REG_STATE_DIRTY_RECOVERABLE:
		return "dirty-recoverable";
	case REG_STATE_DIRTY_NO_LOGS:
		return "dirty-no-logs";
	case REG_STATE_CORRUPT:
		return "corrupt";
	}
	return "unknown";
}

const char *reg_log_kind_name(enum reg_log_kind k)
{
	switch (k) {
	case REG_LOG_ABSENT:
		return "absent";
	case REG_LOG_EMPTY:
		return "empty";
	case REG_LOG_INVALID:
		return "invalid";
	case REG_LOG_OLD:
		return "old";
	case REG_LOG_NEW:
		return "new";
	}
	return "unknown";
}

static const char *const type_names[] = {
	[REG_TYPE_NONE] = "REG_NONE",
	[REG_TYPE_SZ] = "REG_SZ",
	[REG_TYPE_EXPAND_SZ] = "REG_EXPAND_SZ",
	[REG_TYPE_BINARY] = "REG_BINARY",
	[REG_TYPE_DWORD] = "REG_DWORD",
	[REG_TYPE_DWORD_BE] = "REG_DWORD_BIG_ENDIAN",
	[REG_TYPE_LINK] = "REG_LINK",
	[REG_TYPE_MULTI_SZ] = "REG_MULTI_SZ",
	[REG_TYPE_RESOURCE_LIST] = "REG_RESOURCE_LIST",
	[REG_TYPE_FULL_RESOURCE_DESCRIPTOR] = "REG_FULL_RESOURCE_DESCRIPTOR",
	[REG_TYPE_RESOURCE_REQUIREMENTS_LIST] =
		"REG_RESOURCE_REQUIREMENTS_LIST",
	[REG_TYPE_QWORD] = "REG_QWORD",
};

const char *reg_type_name(uint32_t type)
{
	if (type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

int reg_type_parse(const char *s, uint32_t *type_ret)
{
	if (s == NULL || *s == '\0')
		return REG_ERR_INVALID;
	const char *name = s;
	if (strncasecmp(name, "REG_", 4) == 0)
		name += 4;
	static const struct {
		const char *name;
		uint32_t type;
	} aliases[] = {
		{ "DWORD_LITTLE_ENDIAN", REG_TYPE_DWORD },
		{ "QWORD_LITTLE_ENDIAN", REG_TYPE_QWORD },
		{ "DWORD_BE", REG_TYPE_DWORD_BE },
	};
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(name, aliases[i].name) == 0) {
			*type_ret = aliases[i].type;
			return 0;
		}
	for (uint32_t t = 0; t < sizeof(type_names) / sizeof(type_names[0]);
	     t++)
		if (strcasecmp(name, type_names[t] + 4) == 0) {
			*type_ret = t;
			return 0;
		}
	/* A number: decimal or 0x-hex. */
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end == '\0' && s[0] != '-' && v <= UINT32_MAX) {
		*type_ret = (uint32_t)v;
		return 0;
	}
	return REG_ERR_INVALID;
}

int reg_int_fail(struct reg_hive *h, int code, const char *fmt, ...)
{
	if (h->err.code != 0)
		return code;
	h->err.code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->err.msg, sizeof(h->err.msg), fmt, ap);
	va_end(ap);
	return code;
}

int reg_errno(const struct reg_hive *h)
{
	return h ? h->err.code : REG_ERR_NOMEM;
}

const char *reg_errmsg(const struct reg_hive *h)
{
	if (h == NULL)
		return "out of memory";
	return h->err.msg;
}

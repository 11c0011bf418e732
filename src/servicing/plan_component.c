/*
 * plan_component.c - the plan of a <component> update and its
 * install dependencies: files, registry keys, services with triggers and
 * failure actions, svchost groups; see plan.c.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "registry/reg.h"
#include "servicing/plan_int.h"
#include "util/bytes.h"
#include "util/guid.h"

/* ------------------------------------------------------------------ */
/* Components.                                                         */
/* ------------------------------------------------------------------ */

/* SERVICE_TRIGGER_TYPE_* and SERVICE_TRIGGER_ACTION_* (winsvc.h). */
static uint32_t trigger_type(const char *t)
{
	static const struct {
		const char *name;
		uint32_t v;
	} map[] = {
		{ "DeviceInterfaceArrival", 1 },
		{ "IpAddressAvailability", 2 },
		{ "DomainJoin", 3 },
		{ "FirewallPortEvent", 4 },
		{ "GroupPolicy", 5 },
		{ "NetworkEndpoint", 6 },
		{ "Custom", 20 },
	};
	for (size_t i = 0; t && i < HVO_ARRAY_SIZE(map); i++)
		if (strcasecmp(map[i].name, t) == 0)
			return map[i].v;
	return 0;
}

static uint32_t failure_action(const char *t)
{
	/* SC_ACTION_NONE, _RESTART, _REBOOT, _RUN_COMMAND. */
	if (t == NULL || strcasecmp(t, "none") == 0)
		return 0;
	if (strcasecmp(t, "restartService") == 0)
		return 1;
	if (strcasecmp(t, "reboot") == 0)
		return 2;
	return strcasecmp(t, "runCommand") == 0 ? 3 : 0;
}

static bool plan_service(struct plan_build *b, const struct pkg_manifest *m,
			 const struct pkg_service *s,
			 const struct pkg_windows_paths *paths)
{
	enum svc_hive H = SVC_HIVE_SYSTEM;
	char *key = svc_int_plan_service_key(b, s->name);
	char *origin = svc_int_plan_printf(b, "%s:%u serviceData %s", m->file,
					   s->line, s->name);
	if (key == NULL || origin == NULL)
		return !b->oom;
	if (s->display_name)
		svc_int_plan_set_sz(b, H, key, "DisplayName", PKG_REG_SZ,
				    s->display_name, origin);
	if (s->description)
		svc_int_plan_set_sz(b, H, key, "Description", PKG_REG_SZ,
				    s->description, origin);
	if (s->image_path) {
		char *ip = svc_int_plan_expand(b, EXPAND_RUNTIME, s->image_path,
					       paths);
		if (ip == NULL)
			return false;
		svc_int_plan_set_sz(b, H, key, "ImagePath", PKG_REG_EXPAND_SZ,
				    ip, origin);
	}
	if (s->type_value)
		svc_int_plan_set_dword(b, H, key, "Type", s->type_value,
				       origin);
	if (s->start)
		svc_int_plan_set_dword(b, H, key, "Start", s->start_value,
				       origin);
	if (s->delayed_auto_start)
		svc_int_plan_set_dword(b, H, key, "DelayedAutostart", 1,
				       origin);
	if (s->error_control)
		svc_int_plan_set_dword(b, H, key, "ErrorControl",
				       s->error_control_value, origin);
	if (s->object_name)
		svc_int_plan_set_sz(b, H, key, "ObjectName", PKG_REG_SZ,
				    s->object_name, origin);
	if (s->group)
		svc_int_plan_set_sz(b, H, key, "Group", PKG_REG_SZ, s->group,
				    origin);
	if (s->ndepend_on_service)
		svc_int_plan_set_multi(b, H, key, "DependOnService",
				       s->depend_on_service,
				       s->ndepend_on_service, origin);
	if (s->ndepend_on_group)
		svc_int_plan_set_multi(b, H, key, "DependOnGroup",
				       s->depend_on_group, s->ndepend_on_group,
				       origin);
	if (s->nrequired_privileges)
		svc_int_plan_set_multi(b, H, key, "RequiredPrivileges",
				       s->required_privileges,
				       s->nrequired_privileges, origin);
	if (s->sid_type) {
		/* SERVICE_SID_TYPE_NONE, _UNRESTRICTED, _RESTRICTED. */
		uint32_t v = strcasecmp(s->sid_type, "unrestricted") == 0 ? 1
			     : strcasecmp(s->sid_type, "restricted") == 0 ? 3
									  : 0;
		svc_int_plan_set_dword(b, H, key, "ServiceSidType", v, origin);
	}
	if (s->nfailure_actions) {
		/* SERVICE_FAILURE_ACTIONS as the SCM stores it: reset
		 * period, two unused pointers, the count and a non-zero
		 * array marker, then {type, delay} per action. */
		size_t len = 20 + 8 * s->nfailure_actions;
		uint8_t *d = calloc(1, len);
		if (d == NULL) {
			b->oom = true;
			return true;
		}
		put_le32(d, s->failure_reset_period);
		put_le32(d + 12, (uint32_t)s->nfailure_actions);
		put_le32(d + 16, 20);
		for (size_t i = 0; i < s->nfailure_actions; i++) {
			put_le32(d + 20 + 8 * i,
				 failure_action(s->failure_actions[i].type));
			put_le32(d + 24 + 8 * i,
				 s->failure_actions[i].delay_ms);
		}
		svc_int_plan_set_bin(b, H, key, "FailureActions",
				     PKG_REG_BINARY, d, len, origin);
		free(d);
	}
	for (size_t i = 0; i < s->ntriggers; i++) {
		/* Triggers live in Services\<name>\TriggerInfo\<n>: Type,
		 * Action, the subtype GUID and the first data item. */
		const struct pkg_service_trigger *t = &s->triggers[i];
		uint32_t type = trigger_type(t->type);
		uint8_t guid[16];
		if (type == 0 || !hvo_int_guid_parse(t->subtype, guid)) {
			svc_int_plan_defer(
				b, "a trigger we cannot store offline",
				"%s:%u service %s trigger %s %s", m->file,
				s->line, s->name, t->type ? t->type : "",
				t->subtype ? t->subtype : "");
			continue;
		}
		char *tk =
			svc_int_plan_printf(b, "%s\\TriggerInfo\\%zu", key, i);
		if (tk == NULL)
			return !b->oom;
		svc_int_plan_set_dword(b, H, tk, "Type", type, origin);
		svc_int_plan_set_dword(
			b, H, tk, "Action",
			t->action && strcasecmp(t->action, "stop") == 0 ? 2 : 1,
			origin);
		svc_int_plan_set_bin(b, H, tk, "GUID", PKG_REG_BINARY, guid, 16,
				     origin);
		if (t->data_value != NULL) {
			/* SERVICE_TRIGGER_DATA_TYPE_STRING (2): a REG_SZ
			 * list as UTF-16 data. */
			svc_int_plan_set_dword(b, H, tk, "DataType0", 2,
					       origin);
			uint8_t *d;
			size_t dl;
			if (reg_encode_string(t->data_value, &d, &dl) ==
			    REG_OK) {
				svc_int_plan_set_bin(b, H, tk, "Data0",
						     PKG_REG_BINARY, d, dl,
						     origin);
				free(d);
			}
		}
	}
	if (s->security_descriptor)
		svc_int_plan_defer(
			b,
			"security descriptors are applied by Windows' "
			"servicing at first boot",
			"%s:%u service %s securityDescriptor %s", m->file,
			s->line, s->name, s->security_descriptor);
	return true;
}

/* The SDDL a component file's securityDescriptor names (trustInfo's
 * securityDescriptorDefinition), given to the file just planned; apply
 * writes it.  A name without a definition is left to Windows. */
static void file_sddl(struct plan_build *b, const struct pkg_manifest *m,
		      const struct pkg_file *f)
{
	for (size_t k = 0; k < m->nsds; k++)
		if (strcasecmp(m->sds[k].name, f->security_descriptor) == 0) {
			b->plan->files[b->plan->nfiles - 1].sddl =
				svc_int_plan_strdup(b, m->sds[k].sddl);
			return;
		}
	svc_int_plan_defer(b,
			   "a securityDescriptor without its definition in "
			   "trustInfo",
			   "%s:%u file %s securityDescriptor %s", m->file,
			   f->line, f->name, f->security_descriptor);
}

enum pkg_err svc_int_plan_component(struct plan_build *b,
				    const struct pkg_manifest *m)
{
	bool wow =
		m->identity.arch && strcasecmp(m->identity.arch, "wow64") == 0;
	const struct pkg_windows_paths *paths = wow ? &b->paths_wow : &b->paths;
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct pkg_file *f = &m->files[i];
		if (f->destination_path == NULL) {
			svc_int_plan_defer(
				b, "a component file without destinationPath",
				"%s:%u file %s", m->file, f->line, f->name);
			continue;
		}
		char *dir = svc_int_plan_expand(b, EXPAND_RUNTIME,
						f->destination_path, paths);
		char *gdir = dir ? svc_int_plan_guest_path(b, dir) : NULL;
		if (gdir == NULL) {
			snprintf(b->err->file, sizeof(b->err->file), "%s",
				 m->file);
			b->err->line = f->line;
			return b->oom ? PKG_ERR_NOMEM : b->err->code;
		}
		if (f->cab_name == NULL) {
			pkg_error_clear(b->err);
			b->err->code = PKG_ERR_MISSING;
			snprintf(b->err->file, sizeof(b->err->file), "%s",
				 m->file);
			b->err->line = f->line;
			snprintf(b->err->msg, sizeof(b->err->msg),
				 "file %s is not in the cabinet", f->name);
			return PKG_ERR_MISSING;
		}
		char *origin =
			svc_int_plan_printf(b, "%s:%u component %s", m->file,
					    f->line, m->identity.name);
		svc_int_plan_file(b, svc_int_plan_join(b, gdir, f->name),
				  SVC_ROLE_INSTALL, f, origin);
		if (f->security_descriptor && !b->oom)
			file_sddl(b, m, f);
	}
	for (size_t i = 0; i < m->nreg_keys; i++) {
		const struct pkg_reg_key *k = &m->reg_keys[i];
		enum svc_hive hive;
		char *key;
		if (!svc_int_plan_machine_key(b, k->key_name, &hive, &key)) {
			svc_int_plan_defer(
				b, "not a key of the SYSTEM or SOFTWARE hive",
				"%s:%u registryKey %s", m->file, k->line,
				k->key_name);
			continue;
		}
		if (key == NULL)
			return PKG_ERR_NOMEM;
		char *origin = svc_int_plan_printf(b, "%s:%u registryKey",
						   m->file, k->line);
		svc_int_plan_add_key(b, hive, key, origin);
		if (k->security_descriptor)
			svc_int_plan_defer(
				b,
				"security descriptors are applied by "
				"Windows' servicing at first boot",
				"%s:%u registryKey %s securityDescriptor %s",
				m->file, k->line, k->key_name,
				k->security_descriptor);
		for (size_t v = 0; v < k->nvalues; v++) {
			const struct pkg_reg_value *rv = &k->values[v];
			char *vo = svc_int_plan_printf(b, "%s:%u registryValue",
						       m->file, rv->line);
			if (!svc_int_plan_value(b, hive, key, rv->name,
						&rv->data, EXPAND_RUNTIME,
						paths, vo, false, false))
				return b->err->code ? b->err->code
						    : PKG_ERR_NOMEM;
		}
	}
	for (size_t i = 0; i < m->nservices; i++)
		if (!plan_service(b, m, &m->services[i], paths))
			return b->err->code ? b->err->code : PKG_ERR_NOMEM;
	for (size_t i = 0; i < m->nsvchost; i++) {
		const struct pkg_svchost_member *sv = &m->svchost[i];
		char *origin = svc_int_plan_printf(b, "%s:%u serviceGroup",
						   m->file, sv->line);
		svc_int_plan_add_list(
			b, SVC_REG_MULTI_ADD, SVC_HIVE_SOFTWARE,
			"Microsoft\\Windows NT\\CurrentVersion\\Svchost",
			sv->group, PKG_REG_MULTI_SZ, sv->service, origin);
	}
	for (size_t i = 0; i < m->nunmodelled; i++)
		svc_int_plan_defer(
			b,
			"not modelled; Windows' servicing does it at "
			"first boot",
			"%s:%u <%s>", m->file, m->unmodelled[i].line,
			m->unmodelled[i].element);
	return b->oom ? PKG_ERR_NOMEM : PKG_OK;
}

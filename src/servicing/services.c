/*
 * services.c - finding and describing the guest's integration services
 * (see services.h for how a service is recognised).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "servicing/services.h"

/* Hostile hives could hold millions of service keys; real systems have a
 * few hundred to about a thousand. */
#define SVC_IC_MAX_SERVICES 20000

const char *svc_start_name(uint32_t start)
{
	static const char *const names[] = {
		[SVC_START_BOOT] = "boot",
		[SVC_START_SYSTEM] = "system",
		[SVC_START_AUTO] = "automatic",
		[SVC_START_MANUAL] = "manual",
		[SVC_START_DISABLED] = "disabled",
	};
	return start < sizeof(names) / sizeof(names[0]) ? names[start]
							: "unknown";
}

/*
 * The Hyper-V names of the user-mode services (Get-VMIntegrationService),
 * by the ServiceMain entry point icsvc.dll exports for each (the 6.2
 * component manifest's Parameters\ServiceMain) and by the service name
 * (the 6.x wvmic.inf services run vmicsvc.exe without a ServiceMain).
 */
static const struct {
	const char *service_main, *service, *hyperv;
} hyperv_names[] = {
	{ "GuestInterfaceServiceMain", "vmicguestinterface",
	  "Guest Service Interface" },
	{ "HeartbeatServiceMain", "vmicheartbeat", "Heartbeat" },
	{ "KvpexchangeServiceMain", "vmickvpexchange",
	  "Key-Value Pair Exchange" },
	{ "ShutdownServiceMain", "vmicshutdown", "Shutdown" },
	{ "TimesyncServiceMain", "vmictimesync", "Time Synchronization" },
	{ "VssServiceMain", "vmicvss", "VSS" },
	{ "VMSessionServiceMain", "vmicvmsession", "PowerShell Direct" },
	{ "RdvServiceMain", "vmicrdv", "Remote Desktop Virtualization" },
};

/* The static Hyper-V name spelled @name (exactly), or NULL: for results
 * rebuilt from a sandboxed child's bytes (services_wire.c). */
const char *svc_int_hyperv_name(const char *name)
{
	for (size_t i = 0;
	     name != NULL && i < sizeof(hyperv_names) / sizeof(hyperv_names[0]);
	     i++)
		if (strcmp(name, hyperv_names[i].hyperv) == 0)
			return hyperv_names[i].hyperv;
	return NULL;
}

/*
 * The kernel-driver binaries of the integration-services packages (the
 * ServiceBinary of every AddService in the 6.x and 6.2 INFs, and the
 * drivers Windows 10 ships for the same devices), with the Start their
 * INF gives: the boot-critical bus, storage and filter drivers are boot
 * start, the rest on demand.
 */
static const struct {
	const char *binary;
	uint32_t start;
} ic_drivers[] = {
	{ "vmbus.sys", 0 },	   { "winhv.sys", 0 },
	{ "vmbusr.sys", 3 },	   { "storvsc.sys", 0 },
	{ "vmstorfl.sys", 0 },	   { "netvsc.sys", 3 },
	{ "netvsc50.sys", 3 },	   { "netvsc60.sys", 3 },
	{ "netvsc63.sys", 3 },	   { "hyperkbd.sys", 3 },
	{ "vmbushid.sys", 3 },	   { "vmbusvideom.sys", 3 },
	{ "hypervideo.sys", 3 },   { "synthvid.sys", 3 },
	{ "dmvsc.sys", 3 },	   { "fcvsc.sys", 3 },
	{ "vmgencounter.sys", 3 }, { "vms3cap.sys", 3 },
	{ "vmgid.sys", 3 },	   { "synth3dvsc.sys", 3 },
};

/* A name matched against a prefix and suffix, ignoring case. */
static bool name_like(const char *name, const char *prefix, const char *suffix)
{
	size_t n = strlen(name), p = strlen(prefix), s = strlen(suffix);
	return n >= p + s && strncasecmp(name, prefix, p) == 0 &&
	       strcasecmp(name + n - s, suffix) == 0;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '\\');
	const char *f = strrchr(path, '/');
	if (f != NULL && (b == NULL || f > b))
		b = f;
	return b ? b + 1 : path;
}

/* The binary part of a command line: up to the first ".exe", ".sys" or
 * ".dll", without quotes (caller frees). */
static char *binary_of(const char *cmd)
{
	while (*cmd == ' ' || *cmd == '"')
		cmd++;
	size_t len = strlen(cmd);
	for (size_t i = 0; i + 4 <= len; i++) {
		if (strncasecmp(cmd + i, ".exe", 4) == 0 ||
		    strncasecmp(cmd + i, ".sys", 4) == 0 ||
		    strncasecmp(cmd + i, ".dll", 4) == 0) {
			len = i + 4;
			break;
		}
	}
	while (len > 0 && (cmd[len - 1] == ' ' || cmd[len - 1] == '"'))
		len--;
	return strndup(cmd, len);
}

static bool strip_prefix(const char **s, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncasecmp(*s, prefix, n) != 0)
		return false;
	*s += n;
	return true;
}

char *svc_int_binary_guest_path(const char *stored, const char *systemroot)
{
	char *bin = binary_of(stored);
	if (bin == NULL)
		return NULL;
	const char *s = bin;
	const char *root = "";
	char *out = NULL;
	if (strip_prefix(&s, "%SystemRoot%\\") ||
	    strip_prefix(&s, "%windir%\\") ||
	    strip_prefix(&s, "\\SystemRoot\\")) {
		root = systemroot;
	} else {
		strip_prefix(&s, "\\??\\");
		/* A drive letter: the system drive is the volume that holds
		 * the system root, which is the one we have. */
		if (((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z') &&
		    s[1] == ':' && s[2] == '\\') {
			s += 3;
		} else if (s[0] == '\\' || strchr(s, ':') != NULL ||
			   strchr(s, '%') != NULL) {
			free(bin);
			return NULL; /* another device or variable */
		} else {
			/* Relative to the system root, as the service
			 * control manager reads "system32\drivers\x.sys". */
			root = systemroot;
		}
	}
	if (s[0] == '\0' ||
	    asprintf(&out, "%s%s%s", root, root[0] ? "\\" : "", s) < 0)
		out = NULL;
	free(bin);
	return out;
}

/* Reads a string value; NULL when absent or not a string. */
static char *get_string(struct reg_hive *h, const char *key, const char *name)
{
	struct reg_value *v = NULL;
	char *s = NULL;
	if (reg_get_value(h, key, name, &v) == REG_OK &&
	    reg_value_string(v, &s) != REG_OK)
		s = NULL;
	reg_value_free(v);
	return s;
}

static bool get_dword(struct reg_hive *h, const char *key, const char *name,
		      uint32_t *out)
{
	struct reg_value *v = NULL;
	bool ok = reg_get_value(h, key, name, &v) == REG_OK &&
		  reg_value_dword(v, out) == REG_OK;
	reg_value_free(v);
	return ok;
}

/* Windows shows "@res,-N;Fallback" (and "@inf,%key%;Fallback") as the
 * fallback text when it cannot load the resource; a bare "@file,-N" needs
 * the DLL's string table, which is not read offline. */
static void set_display(struct svc_ic_service *s, char *raw)
{
	s->display_raw = raw;
	if (raw == NULL)
		return;
	if (raw[0] != '@') {
		s->display_name = strdup(raw);
		return;
	}
	const char *semi = strrchr(raw, ';');
	if (semi != NULL && semi[1] != '\0') {
		s->display_name = strdup(semi + 1);
	} else {
		s->display_name = strdup(raw);
		s->display_unresolved = true;
	}
}

/* Whether service @name of @key is an integration service; fills @s. */
static int classify(struct reg_hive *h, const char *key, const char *name,
		    const char *systemroot, struct svc_ic_service *s,
		    bool *is_ic)
{
	*is_ic = false;
	char *params;
	if (asprintf(&params, "%s\\Parameters", key) < 0)
		return REG_ERR_NOMEM;
	char *dll = get_string(h, params, "ServiceDll");
	if (dll == NULL)
		dll = get_string(h, key, "ServiceDll");
	char *image = get_string(h, key, "ImagePath");
	uint32_t type = 0;
	get_dword(h, key, "Type", &type);
	bool driver = (type & 0x3) != 0;
	const char *hyperv = NULL;
	uint32_t package_start = SVC_START_MANUAL;
	bool ic = false;
	if (dll != NULL) {
		char *b = binary_of(dll);
		const char *bn = b ? base_name(b) : "";
		ic = name_like(bn, "icsvc", ".dll") ||
		     name_like(bn, "vmic", ".dll");
		free(b);
	}
	if (!ic && image != NULL) {
		char *b = binary_of(image);
		const char *bn = b ? base_name(b) : "";
		if (name_like(bn, "vmicsvc", ".exe")) {
			ic = true;
		} else if (driver) {
			for (size_t i = 0;
			     i < sizeof(ic_drivers) / sizeof(ic_drivers[0]);
			     i++) {
				if (strcasecmp(bn, ic_drivers[i].binary) == 0) {
					ic = true;
					package_start = ic_drivers[i].start;
				}
			}
		}
		free(b);
	}
	if (!ic) {
		free(dll);
		free(image);
		free(params);
		return REG_OK;
	}
	if (!driver) {
		char *main = get_string(h, params, "ServiceMain");
		for (size_t i = 0;
		     i < sizeof(hyperv_names) / sizeof(hyperv_names[0]); i++) {
			if ((main != NULL &&
			     strcasecmp(main, hyperv_names[i].service_main) ==
				     0) ||
			    strcasecmp(name, hyperv_names[i].service) == 0)
				hyperv = hyperv_names[i].hyperv;
		}
		free(main);
	}
	free(params);
	*is_ic = true;
	s->name = strdup(name);
	s->hyperv_name = hyperv;
	s->driver = driver;
	s->type = type;
	set_display(s, get_string(h, key, "DisplayName"));
	s->start_known = get_dword(h, key, "Start", &s->start);
	uint32_t delayed = 0;
	s->delayed_auto =
		get_dword(h, key, "DelayedAutostart", &delayed) && delayed == 1;
	char *trig;
	bool ex = false;
	if (asprintf(&trig, "%s\\TriggerInfo", key) < 0) {
		free(dll);
		free(image);
		return REG_ERR_NOMEM;
	}
	reg_key_exists(h, trig, &ex);
	free(trig);
	s->trigger = ex;
	/* Without a record, enable restores what the packages define: the
	 * 6.2 manifest makes every user-mode IC demand start with a device
	 * trigger, the 6.x wvmic.inf automatic; drivers per their INF. */
	if (!driver)
		package_start = s->trigger ? SVC_START_MANUAL : SVC_START_AUTO;
	s->package_start = package_start;
	if (dll != NULL) {
		s->binary = dll;
		free(image);
	} else if (image != NULL) {
		s->binary = image;
	}
	if (s->binary != NULL)
		s->binary_path =
			svc_int_binary_guest_path(s->binary, systemroot);
	return s->name ? REG_OK : REG_ERR_NOMEM;
}

static int cmp_service(const void *a, const void *b)
{
	const struct svc_ic_service *x = a, *y = b;
	if (x->driver != y->driver)
		return x->driver ? 1 : -1;
	if ((x->hyperv_name == NULL) != (y->hyperv_name == NULL))
		return x->hyperv_name ? -1 : 1;
	if (x->hyperv_name != NULL) {
		int c = strcasecmp(x->hyperv_name, y->hyperv_name);
		if (c != 0)
			return c;
	}
	return strcasecmp(x->name, y->name);
}

int svc_ic_list_read(struct reg_hive *h, unsigned control_set,
		     const char *systemroot, struct svc_ic_list *out)
{
	memset(out, 0, sizeof(*out));
	int e;
	if (control_set == 0 &&
	    (e = reg_current_control_set(h, &control_set)) != REG_OK)
		return e;
	out->control_set = control_set;
	char services[64];
	snprintf(services, sizeof(services), "ControlSet%03u\\Services",
		 control_set);
	char **names = NULL;
	size_t n = 0;
	e = reg_list_subkeys(h, services, &names, &n);
	if (e != REG_OK)
		return e;
	if (n > SVC_IC_MAX_SERVICES)
		n = SVC_IC_MAX_SERVICES;
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (out->v == NULL) {
		reg_names_free(names, n);
		return REG_ERR_NOMEM;
	}
	for (size_t i = 0; i < n && e == REG_OK; i++) {
		char *key;
		if (asprintf(&key, "%s\\%s", services, names[i]) < 0) {
			e = REG_ERR_NOMEM;
			break;
		}
		bool ic;
		struct svc_ic_service *s = &out->v[out->n];
		e = classify(h, key, names[i], systemroot, s, &ic);
		free(key);
		if (ic)
			out->n++;
	}
	reg_names_free(names, n);
	if (e == REG_OK)
		qsort(out->v, out->n, sizeof(*out->v), cmp_service);
	return e;
}

int svc_ic_list_check_binaries(struct guest_fs *fs, struct svc_ic_list *l)
{
	int first = GUEST_OK;
	for (size_t i = 0; i < l->n; i++) {
		struct svc_ic_service *s = &l->v[i];
		if (s->binary_path == NULL)
			continue;
		struct guest_stat st;
		int e = guest_fs_stat(fs, s->binary_path, &st);
		if (e == GUEST_OK || e == GUEST_E_NOENT ||
		    e == GUEST_E_NOTDIR) {
			s->binary_checked = true;
			s->binary_present =
				e == GUEST_OK && st.type == GUEST_FT_FILE;
		} else if (first == GUEST_OK) {
			first = e;
		}
	}
	return first;
}

void svc_ic_list_free(struct svc_ic_list *l)
{
	for (size_t i = 0; l->v != NULL && i < l->n; i++) {
		struct svc_ic_service *s = &l->v[i];
		free(s->name);
		free(s->display_raw);
		free(s->display_name);
		free(s->binary);
		free(s->binary_path);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct svc_ic_service *svc_ic_find(const struct svc_ic_list *l,
				   const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].name, name) == 0 ||
		    (l->v[i].hyperv_name != NULL &&
		     strcasecmp(l->v[i].hyperv_name, name) == 0))
			return &l->v[i];
	return NULL;
}

void svc_ic_list_json(const struct svc_ic_list *l, struct json_writer *w)
{
	hvo_int_json_begin_array(w);
	for (size_t i = 0; i < l->n; i++) {
		const struct svc_ic_service *s = &l->v[i];
		hvo_int_json_begin_object(w);
		hvo_int_json_kv_string(w, "hyperv_name", s->hyperv_name);
		hvo_int_json_kv_string(w, "service", s->name);
		hvo_int_json_kv_string(w, "kind",
				       s->driver ? "driver" : "service");
		hvo_int_json_kv_string(w, "display_name",
				       s->display_unresolved ? NULL
							     : s->display_name);
		hvo_int_json_kv_string(w, "display_name_raw", s->display_raw);
		hvo_int_json_kv_bool(w, "display_name_unresolved",
				     s->display_unresolved);
		hvo_int_json_key(w, "start");
		if (s->start_known)
			hvo_int_json_uint(w, s->start);
		else
			hvo_int_json_null(w);
		hvo_int_json_kv_string(w, "start_type",
				       s->start_known ? svc_start_name(s->start)
						      : NULL);
		hvo_int_json_kv_bool(w, "delayed_auto_start", s->delayed_auto);
		hvo_int_json_kv_bool(w, "trigger_start", s->trigger);
		hvo_int_json_kv_string(w, "binary", s->binary);
		hvo_int_json_kv_string(w, "binary_path", s->binary_path);
		hvo_int_json_key(w, "binary_present");
		if (s->binary_checked)
			hvo_int_json_bool(w, s->binary_present);
		else
			hvo_int_json_null(w);
		hvo_int_json_end_object(w);
	}
	hvo_int_json_end_array(w);
}

void svc_ic_list_text(const struct svc_ic_list *l, FILE *out)
{
	fprintf(out, "  %-30s %-20s %-22s %-7s %s\n", "Hyper-V name", "service",
		"start", "binary", "display name");
	for (size_t i = 0; i < l->n; i++) {
		const struct svc_ic_service *s = &l->v[i];
		char start[64];
		snprintf(start, sizeof(start), "%s%s%s",
			 s->start_known ? svc_start_name(s->start) : "unknown",
			 s->delayed_auto ? " (delayed)" : "",
			 s->trigger ? " (trigger)" : "");
		const char *bin = !s->binary_checked  ? "?"
				  : s->binary_present ? "present"
						      : "MISSING";
		fprintf(out, "  %-30s %-20s %-22s %-7s %s%s\n",
			s->hyperv_name ? s->hyperv_name
			: s->driver    ? "(driver)"
				       : "(service)",
			s->name, start, bin,
			s->display_unresolved ? "unresolved: " : "",
			s->display_name ? s->display_name : "");
	}
	if (l->n == 0)
		fprintf(out, "  (no integration services found)\n");
}

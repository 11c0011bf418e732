/*
 * services.h - the guest's integration services: list them, turn them on
 * or off (issue 18; SERVICING.md section 5).
 *
 * The offline `Get-Service vm*`: every service of the current control set
 * whose binary is an integration-services binary is one.  User-mode
 * services are found by their ServiceDll (or ImagePath), icsvc*.dll,
 * vmic*.dll or vmicsvc*.exe: the 6.2 component manifest and the 6.x
 * wvmic.inf put every user-mode IC into those.  Kernel drivers are found by
 * the driver binaries the packages' INFs install (vmbus.sys,
 * storvsc.sys, ...; reference/offline-ic.md section 4.2), never by a name
 * pattern such as vm*.sys, which also matches VMware's drivers (vmci.sys,
 * vmmouse.sys) in guests converted from VMware.
 *
 * Reading works on any opened SYSTEM hive (registry/); the binaries are
 * looked up through any guest filesystem (guest/), so that the same code
 * runs on the appliance, the native backend and host directories.
 */
#ifndef HVO_SERVICING_SERVICES_H
#define HVO_SERVICING_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guest/guest.h"
#include "registry/reg.h"
#include "util/json.h"

/* Start values (Services\<name>\Start). */
enum svc_start {
	SVC_START_BOOT = 0,
	SVC_START_SYSTEM = 1,
	SVC_START_AUTO = 2,
	SVC_START_MANUAL = 3,
	SVC_START_DISABLED = 4,
};

/* "boot", "system", "automatic", "manual", "disabled"; "unknown" else. */
const char *svc_start_name(uint32_t start);

struct svc_ic_service {
	char *name;		 /* the service key's name, "vmictimesync" */
	const char *hyperv_name; /* "Time Synchronization"; NULL for a
				    driver the host does not list */
	bool driver;		 /* a kernel driver (Type 1 or 2) */
	uint32_t type;		 /* Type value, 0 if absent */
	/* DisplayName as stored, the text shown for it, and whether that
	 * text is only the raw indirect string (an "@file.dll,-N" resource
	 * that needs the DLL's string table, not read offline). */
	char *display_raw;
	char *display_name;
	bool display_unresolved;
	bool start_known;
	uint32_t start;
	bool delayed_auto; /* DelayedAutostart = 1 */
	bool trigger;	   /* a TriggerInfo key: trigger start */
	char *binary;	   /* ServiceDll, else ImagePath, as stored */
	char *binary_path; /* the binary as a guest path, or NULL */
	bool binary_checked, binary_present;
	/* Start value the packages define for it (enable without a
	 * record): see services.c. */
	uint32_t package_start;
};

struct svc_ic_list {
	unsigned control_set; /* ControlSet00N read */
	size_t n;
	struct svc_ic_service *v;
};

/*
 * Reads every integration service of control set @control_set (0: the
 * current one, from Select\Current) of SYSTEM hive @h into @out, sorted by
 * Hyper-V name then service name.  @systemroot is the guest's stored
 * system root ("Windows") for binary paths.  Returns 0 or a reg_error
 * (message on @h).
 */
int svc_ic_list_read(struct reg_hive *h, unsigned control_set,
		     const char *systemroot, struct svc_ic_list *out);

/* Looks up each binary_path in @fs (binary_checked, binary_present).
 * Returns 0 or the first guest_error other than "absent". */
int svc_ic_list_check_binaries(struct guest_fs *fs, struct svc_ic_list *l);

void svc_ic_list_free(struct svc_ic_list *l);

/* The service @name names: its service name or Hyper-V name, any case;
 * NULL if none. */
struct svc_ic_service *svc_ic_find(const struct svc_ic_list *l,
				   const char *name);

/* The list as a JSON array (@w has a key pending or is in an array). */
void svc_ic_list_json(const struct svc_ic_list *l, struct json_writer *w);
/* The list as a table, for people. */
void svc_ic_list_text(const struct svc_ic_list *l, FILE *out);

/* "%SystemRoot%\System32\icsvc.dll", "\SystemRoot\System32\drivers\x.sys",
 * "system32\DRIVERS\x.sys", "C:\Windows\..." -> a guest path below the
 * volume root ("Windows\System32\icsvc.dll"; caller frees), or NULL when it
 * is not on the system volume or not understood.  Pure. */
char *svc_int_binary_guest_path(const char *stored, const char *systemroot);

/* The static Hyper-V name equal to @name ("Heartbeat"), or NULL when
 * @name is none of them. */
const char *svc_int_hyperv_name(const char *name);

#endif /* HVO_SERVICING_SERVICES_H */

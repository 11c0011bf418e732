/*
 * package_inf.h - the model of INF files: their syntax (sections, lines)
 * and what an INF installs on a target (models, DDInstall sections,
 * CopyFiles, AddReg, services, deferred directives).
 *
 * A part of <hvoffline/package.h>, which includes it; include that
 * instead.  The functions that read and resolve INF files are declared
 * there.
 */
#ifndef HVO_PACKAGE_INF_H
#define HVO_PACKAGE_INF_H

#ifndef HVO_PACKAGE_H_INSIDE
#error "include package.h, not package_inf.h"
#endif

/* ------------------------------------------------------------------ */
/* INF files                                                           */
/* ------------------------------------------------------------------ */

/* One line of an INF section: optional key, then comma-separated fields
 * (quotes removed, "" condensed; %strkey% not yet substituted). */
struct pkg_inf_line {
	const char *key; /* NULL for a line without '=' */
	const char *const *fields;
	size_t nfields;
	unsigned lineno;
};

struct pkg_inf_section {
	const char *name; /* as first written */
	struct pkg_inf_line *lines;
	size_t nlines;
	unsigned lineno; /* of the first header */
};

/* A parsed INF file (syntax only; see pkg_inf_resolve for meaning). */
struct pkg_inf {
	const char *file;     /* name for messages, e.g. "wvmbus.inf" */
	const char *encoding; /* "UTF-16LE", "UTF-8" or "ANSI" */
	struct pkg_inf_section *sections;
	size_t nsections;
	struct pkg_inf_index *index; /* lookup tables (internal) */
};

/*
 * A TargetOSVersion decoration: nt[Architecture][.[OSMajorVersion]
 * [.[OSMinorVersion][.[ProductType][.[SuiteMask][.[BuildNumber]]]]]]
 * ("Combining platform extensions with operating system versions",
 * Microsoft driver docs).  Fields not given are 0 with has_* false.
 */
struct pkg_inf_decoration {
	const char *text; /* as written, e.g. "NTamd64.6.2"; "" undecorated */
	const char *arch; /* "amd64", "x86", ...; NULL = any platform */
	bool has_version;
	uint32_t major, minor;
	uint32_t product_type; /* 0 = any */
	uint32_t suite_mask;   /* 0 = any */
	uint32_t build;	       /* 0 = any */
};

/* One device of a models section: a description and its hardware IDs
 * (first the hardware ID, then compatible IDs). */
struct pkg_inf_device {
	const char *description;
	const char *install_section; /* undecorated DDInstall name */
	const char *const *hwids;
	size_t nhwids;
	unsigned line;
};

/* A models section of one manufacturer, for one decoration. */
struct pkg_inf_models {
	struct pkg_inf_decoration decoration;
	const char *section; /* "Standard.NTamd64.6.2" */
	bool present;	     /* the section exists in the INF */
	struct pkg_inf_device *devices;
	size_t ndevices;
};

struct pkg_inf_manufacturer {
	const char *name;		  /* substituted manufacturer name */
	const char *models;		  /* models-section base name */
	struct pkg_inf_models *decorated; /* [0] is undecorated */
	size_t ndecorated;
	unsigned line;
};

/* What the target Windows is, for choosing decorations. */
struct pkg_target {
	const char *arch; /* "amd64", "x86", "arm64" */
	uint32_t nt_major, nt_minor;
	uint32_t product_type; /* VER_NT_*; 0 = unknown (matches no
				  decoration that requires one) */
	uint32_t suite_mask;
	uint32_t build;
};

/* Registry roots of INF AddReg lines. */
enum pkg_inf_root {
	PKG_INF_HKR = 0,
	PKG_INF_HKLM,
	PKG_INF_HKCR,
	PKG_INF_HKCU,
	PKG_INF_HKU,
};

/* Which key HKR stands for, by the section that referenced the AddReg. */
enum pkg_inf_regctx {
	PKG_REGCTX_DRIVER = 0, /* DDInstall: the device's software key */
	PKG_REGCTX_SERVICE,    /* service-install: Services\<name> */
	PKG_REGCTX_EVENTLOG,   /* event-log-install: EventLog\<log>\<src> */
	PKG_REGCTX_HARDWARE,   /* DDInstall.HW: the device's hardware key */
};

/* AddReg flags (FLG_ADDREG_*, setupapi.h). */
#define PKG_ADDREG_BINVALUETYPE	  0x00000001u
#define PKG_ADDREG_NOCLOBBER	  0x00000002u
#define PKG_ADDREG_DELVAL	  0x00000004u
#define PKG_ADDREG_APPEND	  0x00000008u
#define PKG_ADDREG_KEYONLY	  0x00000010u
#define PKG_ADDREG_OVERWRITEONLY  0x00000020u
#define PKG_ADDREG_64BITKEY	  0x00001000u
#define PKG_ADDREG_KEYONLY_COMMON 0x00002000u
#define PKG_ADDREG_32BITKEY	  0x00004000u
#define PKG_ADDREG_TYPE_MASK	  (0xFFFF0000u | PKG_ADDREG_BINVALUETYPE)

/*
 * One AddReg line.  String data (str, strv) are INF templates: "%%" is a
 * literal percent sign and "%<n>%" a DIRID; turn them into text with
 * pkg_inf_expand().  A line with KEYONLY (or without a value name and
 * value) only creates the key; DELVAL deletes the value.
 */
struct pkg_inf_reg {
	enum pkg_inf_root root;
	enum pkg_inf_regctx context;
	const char *subkey;	/* "" for the root key itself */
	const char *value_name; /* NULL: only the key; "" default value */
	uint32_t flags;
	struct pkg_reg_data data; /* valid when value_name != NULL and
				     !(flags & (KEYONLY|DELVAL)) */
	const char *security;	  /* SDDL of <section>.security, or NULL */
	const char *section;
	unsigned line;
};

/* One file of a CopyFiles list with its destination directory. */
struct pkg_inf_copy {
	const char *dest_name;	 /* name in the destination directory */
	const char *source_name; /* name in the driver package */
	/* Its path in the driver package, from [SourceDisksFiles] and
	 * [SourceDisksNames] (disk path, subdirectory, name; '\'-separated),
	 * or the bare name when the INF does not list it. */
	const char *source_path;
	bool source_listed;  /* found in [SourceDisksFiles] */
	uint32_t flags;	     /* COPYFLG_* */
	int32_t dirid;	     /* from [DestinationDirs] */
	const char *subdir;  /* "" when none */
	const char *section; /* the file-list section, or NULL for
				    the @file form */
	unsigned line;
};

/* An AddService directive and its service-install section. */
struct pkg_inf_service {
	const char *name;
	uint32_t flags; /* SPSVCINST_* */
	const char *install_section;
	const char *display_name; /* template, or NULL */
	const char *description;  /* template, or NULL */
	bool has_service_type, has_start_type, has_error_control;
	uint32_t service_type, start_type, error_control;
	const char *binary; /* ServiceBinary template, e.g. "%12%\vmbus.sys" */
	int32_t binary_dirid;	 /* DIRID the binary path starts with, or 0 */
	const char *binary_rest; /* the path after the DIRID ("vmbus.sys") */
	const char *load_order_group;	 /* or NULL */
	const char *const *dependencies; /* Dependencies=, in order */
	size_t ndependencies;
	const char *start_name;	  /* account, or NULL */
	const char *security;	  /* Security= SDDL, or NULL */
	struct pkg_inf_reg *regs; /* AddReg of the install section */
	size_t nregs;
	/* Event log source, when AddService names an event-log section. */
	const char *eventlog_section;
	const char *eventlog_type; /* "System" by default */
	const char *eventlog_name; /* the service name by default */
	struct pkg_inf_reg *eventlog_regs;
	size_t neventlog_regs;
	unsigned line;
};

/* A directive we do not execute offline: reported by name. */
struct pkg_inf_deferred {
	const char *section;
	const char *directive; /* "CoInstallers", "RegisterDlls", "Needs" */
	const char *value;     /* its fields joined with ",", or "" */
	const char *reason;
	unsigned line;
};

/* The chosen DDInstall section of a device and all it leads to. */
struct pkg_inf_install {
	const char *base;    /* undecorated name from the models section */
	const char *section; /* decorated name used ("X.NTamd64", "X.NT") */
	struct pkg_inf_copy *copies;
	size_t ncopies;
	struct pkg_inf_reg *regs; /* DDInstall AddReg (context DRIVER) */
	size_t nregs;
	struct pkg_inf_service *services; /* from <section>.Services */
	size_t nservices;
	bool null_service; /* AddService with no name and ASSOCSERVICE */
	struct pkg_inf_deferred *deferred;
	size_t ndeferred;
};

/* A device bound through the chosen models section. */
struct pkg_inf_binding {
	const struct pkg_inf_device *device;
	const struct pkg_inf_install *install;
	const char *manufacturer;
};

/* The [Version] section. */
struct pkg_inf_version {
	const char *signature, *cls, *class_guid, *provider, *catalog_file;
	const char *driver_date;    /* "06/21/2006" */
	const char *driver_version; /* "6.3.9600.19456" */
};

/* An INF interpreted for one target: what Windows would install. */
struct pkg_driver {
	const struct pkg_inf *inf;
	struct pkg_target target;
	struct pkg_inf_version version;
	struct pkg_inf_manufacturer *manufacturers;
	size_t nmanufacturers;
	/* Per manufacturer, the chosen models entry (NULL: none applies). */
	const struct pkg_inf_models **chosen;
	struct pkg_inf_binding *bindings;
	size_t nbindings;
	struct pkg_inf_install *installs; /* one per distinct DDInstall */
	size_t ninstalls;
};

#endif /* HVO_PACKAGE_INF_H */

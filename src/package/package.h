/*
 * package.h - CBS packages: the model of a Microsoft servicing package.
 *
 * A CBS package (SERVICING.md section 2) is a cabinet holding update.mum
 * (the package manifest), update.cat (its signed catalog), one
 * <key>.manifest per component and each component's payload in a folder
 * named after the same key.  Driver components carry an INF file that
 * decides where their files go and which services exist.
 *
 * This header gives:
 *   - the package model: plain data, every object allocated in one arena
 *     owned by the package and released by pkg_package_free();
 *   - pkg_package_open(): reads a whole package from a cabinet (the only
 *     I/O in this module, through cab/) and checks every payload's SHA-256;
 *   - the buffer-level parsers it is built from (manifests, INF files),
 *     hardened against hostile input, with limits named below;
 *   - component keys, version comparison, applicability (architecture and
 *     <parent> evaluation against installed package identities), and the
 *     expansion of $(runtime.*) variables and INF DIRIDs into guest paths.
 *
 * Errors: every function that can fail returns an enum pkg_err and fills a
 * caller-provided struct pkg_error with the file, line and a detailed
 * message ("wvmbus.inf:123: unterminated quoted string").  Nothing here
 * prints.  pkg_exit_class() maps an error onto the program's exit codes.
 *
 * Strings in the model are UTF-8 and NUL-terminated.  Unless a comment says
 * otherwise, a string is never NULL when its owning object exists; optional
 * ones are NULL when absent from the input.
 */
#ifndef HVO_PACKAGE_H
#define HVO_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvoffline.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cab; /* cab/cab.h: the package's cabinet, open */

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* Fixed values: they appear in JSON reports and logs. */
enum pkg_err {
	PKG_OK = 0,
	PKG_ERR_NOMEM = 1,	  /* out of memory */
	PKG_ERR_IO = 2,		  /* reading the cabinet failed */
	PKG_ERR_NOT_PACKAGE = 3,  /* no update.mum: not a CBS package */
	PKG_ERR_XML = 4,	  /* a manifest is not well-formed XML */
	PKG_ERR_MANIFEST = 5,	  /* well-formed, but not a valid manifest */
	PKG_ERR_INF = 6,	  /* an INF file is malformed */
	PKG_ERR_LIMIT = 7,	  /* input exceeds a named limit */
	PKG_ERR_HOSTILE = 8,	  /* DTD/entities: refused on principle */
	PKG_ERR_UNSUPPORTED = 9,  /* valid, but not something we can do */
	PKG_ERR_MISSING = 10,	  /* a referenced file is not in the cab */
	PKG_ERR_DIGEST = 11,	  /* a payload's SHA-256 does not match */
	PKG_ERR_KEY = 12,	  /* a component key does not match its name */
	PKG_ERR_CAB = 13,	  /* the cabinet itself is unreadable */
	PKG_ERR_INVALID_ARG = 14, /* caller error */
};

/* Longest detail message kept (longer ones are truncated). */
#define PKG_ERROR_MSG_MAX 512

struct pkg_error {
	enum pkg_err code;
	char file[256];		  /* the file inside the package, or "" */
	unsigned line;		  /* 1-based line in that file, or 0 */
	enum hvo_exit exit_class; /* set for PKG_ERR_CAB from cab/'s grading */
	char msg[PKG_ERROR_MSG_MAX];
};

/* Static text for a code ("malformed INF file"). */
HVO_API const char *pkg_strerror(enum pkg_err code);

/* Exit class of an error (corrupt input -> HVO_EXIT_CORRUPT, ...). */
HVO_API enum hvo_exit pkg_exit_class(const struct pkg_error *err);

/*
 * The error's message: formats "file:line: message" (or "file: message",
 * or "message") into @buf; returns @buf.  (The package layer keeps its
 * error in a struct pkg_error, not on a handle.)
 */
HVO_API const char *pkg_errmsg(const struct pkg_error *err, char *buf,
			       size_t size);
/* The former name, until every caller has moved to pkg_errmsg(). */
#define pkg_error_format pkg_errmsg

/* Resets @err to PKG_OK with empty fields. */
HVO_API void pkg_error_clear(struct pkg_error *err);

/* ------------------------------------------------------------------ */
/* Arena: every model object lives in one                             */
/* ------------------------------------------------------------------ */

struct pkg_arena;

/* A new empty arena, or NULL when out of memory.  Free with
 * pkg_arena_free(), which releases everything allocated in it. */
HVO_API struct pkg_arena *pkg_arena_new(void);
HVO_API void pkg_arena_free(struct pkg_arena *arena); /* accepts NULL */

/* ------------------------------------------------------------------ */
/* Versions and identities                                             */
/* ------------------------------------------------------------------ */

/* A four-part assembly version "a.b.c.d"; missing parts are 0. */
struct pkg_version {
	uint16_t part[4];
	unsigned nparts; /* as written (1..4) */
};

/* Parses "6.3.9600.19456" (1 to 4 decimal parts, each 0..65535).
 * Returns false for anything else. */
HVO_API bool pkg_version_parse(const char *s, struct pkg_version *out);

/* <0, 0, >0 as @a is older, equal, newer than @b (missing parts = 0). */
HVO_API int pkg_version_cmp(const struct pkg_version *a,
			    const struct pkg_version *b);

/* Compares two dotted version strings; a string that does not parse sorts
 * before every valid one, and two invalid ones compare with strcmp(). */
HVO_API int pkg_version_cmp_str(const char *a, const char *b);

/*
 * An assembly identity, as written in an <assemblyIdentity> element.
 * Optional attributes are NULL when absent.
 */
struct pkg_identity {
	const char *name;
	const char *version;
	const char *arch;	      /* processorArchitecture */
	const char *language;	      /* "neutral", "en-US", "*" or NULL */
	const char *public_key_token; /* 16 hex digits or NULL */
	const char *build_type;	      /* "release" */
	const char *version_scope;    /* "nonSxS" */
	const char *type;	      /* "driverUpdate", "win32" */
};

/*
 * The component key of an identity, the name of its manifest and payload
 * folder in the cabinet (and in WinSxS):
 *
 *   <arch>_<name>_<publicKeyToken>_<version>_<culture|none>_<hash>
 *
 * with the name lower-cased, stripped of spaces and parentheses and, when
 * longer than 40 characters, shortened to its first 19 + ".." + last 19
 * (reference/offline-ic.md section 2.4).  Allocated in @arena; NULL when
 * out of memory or when the identity lacks name, arch or version.
 */
HVO_API char *pkg_component_key(struct pkg_arena *arena,
				const struct pkg_identity *id);

/* The 64-bit identity hash that ends a component key (see identity.c). */
HVO_API uint64_t pkg_identity_hash(const struct pkg_identity *id);

/*
 * An installed package, from a name as found in the guest:
 * "Name~31bf3856ad364e35~amd64~~6.1.7601.17514" (the CBS Packages key
 * names) or the same with ".mum" (Windows\servicing\Packages\*.mum).
 * The language field is empty for neutral packages.
 */
struct pkg_installed {
	const char *name;
	const char *public_key_token;
	const char *arch;
	const char *language; /* "" for neutral */
	const char *version;
	struct pkg_version ver;
};

/* Parses one installed-package name into @out (strings in @arena).
 * Returns false when the name does not have that form. */
HVO_API bool pkg_installed_parse(struct pkg_arena *arena, const char *name,
				 struct pkg_installed *out);

/* ------------------------------------------------------------------ */
/* Registry data (manifests and INF AddReg)                            */
/* ------------------------------------------------------------------ */

/* Windows registry value types (winnt.h numbers). */
enum {
	PKG_REG_NONE = 0,
	PKG_REG_SZ = 1,
	PKG_REG_EXPAND_SZ = 2,
	PKG_REG_BINARY = 3,
	PKG_REG_DWORD = 4,
	PKG_REG_DWORD_BIG_ENDIAN = 5,
	PKG_REG_LINK = 6,
	PKG_REG_MULTI_SZ = 7,
	PKG_REG_QWORD = 11,
};

/* "REG_SZ" for 1, ...; NULL for an unnamed type. */
HVO_API const char *pkg_reg_type_name(uint32_t type);

/*
 * A typed registry value.  Which member holds the data depends on @type
 * and @raw:
 *   SZ, EXPAND_SZ, LINK:         str
 *   MULTI_SZ:                    strv[0..nstrv)
 *   DWORD, DWORD_BIG_ENDIAN, QWORD: num
 *   anything else, or @raw:      bin[0..nbin) (bytes as stored)
 */
struct pkg_reg_data {
	uint32_t type;
	bool raw;
	const char *str;
	const char *const *strv;
	size_t nstrv;
	uint64_t num;
	const uint8_t *bin;
	size_t nbin;
};

/* ------------------------------------------------------------------ */
/* Component manifests                                                 */
/* ------------------------------------------------------------------ */

enum pkg_digest_state {
	PKG_DIGEST_UNCHECKED = 0, /* not verified (buffer-level parse) */
	PKG_DIGEST_OK = 1,
	PKG_DIGEST_MISMATCH = 2,
	PKG_DIGEST_NONE = 3,	/* the manifest gives no SHA-256 for it */
	PKG_DIGEST_MISSING = 4, /* the payload is not in the cabinet */
};

/* A <file> of a component manifest. */
struct pkg_file {
	const char *name;	      /* destination file name */
	const char *source_name;      /* payload name in the component folder */
	const char *source_path;      /* sourcePath, or NULL */
	const char *destination_path; /* "$(runtime.system32)\", or NULL
					 (driver components: the INF decides) */
	const char *security_descriptor; /* named SD, or NULL */
	bool inf;			 /* has <infFile/> */
	bool has_sha256;
	uint8_t sha256[32];
	unsigned line;
	/* Filled by pkg_package_open(): */
	const char *cab_name; /* the payload's name in the cabinet */
	uint64_t size;
	enum pkg_digest_state digest;
	uint8_t actual_sha256[32]; /* valid when digest is OK or MISMATCH */
};

struct pkg_reg_value {
	const char *name; /* "" for the key's default value */
	struct pkg_reg_data data;
	const char *value_text;	    /* the value attribute as written */
	const char *operation_hint; /* or NULL */
	bool owner;
	unsigned line;
};

/* A <registryKey>: keyName as written ("HKEY_LOCAL_MACHINE\SYSTEM\..."). */
struct pkg_reg_key {
	const char *key_name;
	const char *security_descriptor; /* named SD, or NULL */
	bool owner;
	struct pkg_reg_value *values;
	size_t nvalues;
	unsigned line;
};

struct pkg_service_trigger {
	const char *action;		    /* "start" */
	const char *type;		    /* "DeviceInterfaceArrival" */
	const char *subtype;		    /* a GUID or a name */
	const char *data_type, *data_value; /* first <triggerData>, or NULL */
};

struct pkg_failure_action {
	const char *type; /* "restartService", "none", ... */
	uint32_t delay_ms;
};

/* A <serviceData> of a Services category membership. */
struct pkg_service {
	const char *name;
	const char *display_name;
	const char *description;
	const char *image_path;
	const char *type;	   /* as written: "win32ShareProcess" */
	uint32_t type_value;	   /* SERVICE_* value, 0 if unknown */
	const char *start;	   /* "demand", "auto", "boot", ... */
	uint32_t start_value;	   /* 0..4; delayed auto start is 2 */
	bool delayed_auto_start;   /* start="delayedAuto" */
	const char *error_control; /* "normal" ... */
	uint32_t error_control_value;
	const char *object_name; /* account, or NULL */
	const char *group;	 /* load order group, or NULL */
	const char *sid_type;	 /* or NULL */
	const char *const *required_privileges;
	size_t nrequired_privileges;
	const char *const *depend_on_service;
	size_t ndepend_on_service;
	const char *const *depend_on_group;
	size_t ndepend_on_group;
	struct pkg_service_trigger *triggers;
	size_t ntriggers;
	uint32_t failure_reset_period; /* seconds; 0 if no failureActions */
	struct pkg_failure_action *failure_actions;
	size_t nfailure_actions;
	const char *security_descriptor; /* named SD, or NULL */
	unsigned line;
};

/* A <serviceGroup> of an SvcHost category membership: @service belongs
 * to the svchost group @group (Svchost\<group>, REG_MULTI_SZ). */
struct pkg_svchost_member {
	const char *group;
	const char *service;
	const char *position; /* "last", or NULL */
	unsigned line;
};

/* A <securityDescriptorDefinition> of <trustInfo>. */
struct pkg_sd_definition {
	const char *name;
	const char *sddl;
	const char *operation_hint; /* or NULL */
	unsigned line;
};

/* A <dependency><dependentAssembly> of a component. */
struct pkg_dependency {
	struct pkg_identity identity;
	const char *dependency_type; /* "install", "prerequisite" or NULL */
	const char *resource_type;   /* "Resources" (language packs), or NULL */
	bool discoverable;
	unsigned line;
};

/* An element of a manifest that the model does not describe: listed so
 * that nothing is dropped silently. */
struct pkg_unmodelled {
	const char *element; /* its path, e.g. "assembly/taskScheduler" */
	unsigned line;
};

/* A component manifest (<key>.manifest). */
struct pkg_manifest {
	const char *file; /* "<key>.manifest", or the name given */
	struct pkg_identity identity;
	const char *key; /* computed from the identity */
	bool is_driver;	 /* identity type "driverUpdate" */
	struct pkg_file *files;
	size_t nfiles;
	struct pkg_reg_key *reg_keys;
	size_t nreg_keys;
	struct pkg_service *services;
	size_t nservices;
	struct pkg_svchost_member *svchost;
	size_t nsvchost;
	struct pkg_sd_definition *sds;
	size_t nsds;
	struct pkg_dependency *deps;
	size_t ndeps;
	struct pkg_unmodelled *unmodelled;
	size_t nunmodelled;
	/* Filled by pkg_package_open() for a driver component: its INF. */
	const struct pkg_inf *inf;
};

/* INF files: the syntax and what an INF installs (package_inf.h). */
#define HVO_PACKAGE_H_INSIDE
#include "package_inf.h"
#undef HVO_PACKAGE_H_INSIDE

/* ------------------------------------------------------------------ */
/* Packages                                                            */
/* ------------------------------------------------------------------ */

/* A <parent> element: the package applies when any identity of the list
 * is installed (see pkg_parents_satisfied). */
struct pkg_parent {
	const char *integrate; /* "delegate", or NULL */
	struct pkg_identity *ids;
	size_t nids;
	unsigned line;
};

enum pkg_update_kind {
	PKG_UPDATE_DRIVER = 1,	  /* <driver inf=...> */
	PKG_UPDATE_COMPONENT = 2, /* <component> */
	PKG_UPDATE_PACKAGE = 3,	  /* <package> (a nested package) */
};

struct pkg_update {
	enum pkg_update_kind kind;
	const char *name, *display_name, *description, *restart;
	struct pkg_identity identity; /* of the driver/component/package */
	const char *inf;	      /* driver: the INF file name */
	const char *ranking;	      /* driver: "normal", "force" */
	bool device_install_required; /* driver: mum2:driverExtended */
	unsigned line;
	/* Filled by pkg_package_open(): */
	struct pkg_manifest *manifest;	/* the component's manifest */
	const struct pkg_inf *inf_file; /* driver: the parsed INF */
	/* Component: the dependency closure, the update's own component
	 * first, then its dependencies depth-first (each once). */
	struct pkg_manifest **closure;
	size_t nclosure;
};

/* What a file of the cabinet is, in the package. */
enum pkg_entry_role {
	PKG_ENTRY_UNACCOUNTED = 0,
	PKG_ENTRY_PACKAGE_MANIFEST = 1, /* update.mum */
	PKG_ENTRY_CATALOG = 2,		/* update.cat */
	PKG_ENTRY_MANIFEST = 3,		/* <key>.manifest */
	PKG_ENTRY_PAYLOAD = 4,		/* <key>\<file> named by a manifest */
};

struct pkg_entry {
	const char *name; /* as stored in the cabinet */
	uint64_t size;
	/* The SHA-256 of its bytes, from the one pass pkg_package_open()
	 * makes over the cabinet (every entry, payload or not: the plan
	 * stages update.mum and update.cat with theirs). */
	bool hashed;
	uint8_t sha256[32];
	enum pkg_entry_role role;
	struct pkg_manifest *manifest; /* MANIFEST, PAYLOAD */
	struct pkg_file *file;	       /* PAYLOAD */
};

struct pkg_package {
	struct pkg_arena *arena;
	const char *source; /* the cabinet path as given */
	struct pkg_identity identity;
	const char *description;	 /* "Fix for KB4072650" */
	const char *support_information; /* URL, or NULL */
	const char *identifier;		 /* <package identifier="KB..."> */
	const char *release_type;	 /* "Update" */
	const char *restart;		 /* "required", "possible", ... */
	const char *manifest_version;
	struct pkg_parent *parents;
	size_t nparents;
	struct pkg_update *updates;
	size_t nupdates;
	/* <packageExtended> attributes, name/value pairs. */
	const char *const *extended;
	size_t nextended;
	struct pkg_unmodelled *unmodelled;
	size_t nunmodelled;
	/* Filled by pkg_package_open(): */
	struct pkg_manifest *manifests; /* every <key>.manifest */
	size_t nmanifests;
	struct pkg_inf *infs; /* every INF of a driver component */
	size_t ninfs;
	struct pkg_entry *entries; /* every file of the cabinet */
	size_t nentries;
	/* Counts from the digest check. */
	size_t digests_ok, digests_bad, digests_none, payloads_missing;
	size_t unaccounted;
	/* The cabinet, read once by pkg_package_open(): its size and
	 * SHA-256 (servicing stages it in the guest as it is), its bytes,
	 * and the cabinet opened on them for extracting entries later
	 * (cab_extract).  Owned by the package. */
	uint64_t cab_size;
	uint8_t cab_sha256[32];
	const uint8_t *cab_data;
	struct cab *cab;
};

/* ------------------------------------------------------------------ */
/* Limits                                                              */
/* ------------------------------------------------------------------ */

/* Largest manifest accepted (update.mum and components).  The largest in
 * the IC packages is 29 KB; Windows' own component manifests stay well
 * under a megabyte.  The cap bounds the memory a hostile one can cost. */
#define PKG_MANIFEST_MAX_SIZE (8u << 20)
/* Deepest element nesting (real manifests: under 10 levels). */
#define PKG_XML_MAX_DEPTH 64
/* Longest attribute value or text node (the longest real ones are SDDL
 * strings and firewall rules of a few hundred characters). */
#define PKG_XML_MAX_VALUE (64u << 10)
/* Most elements in one manifest. */
#define PKG_XML_MAX_ELEMENTS 200000u
/* Most attributes on one element. */
#define PKG_XML_MAX_ATTRS 256u

/* Largest INF file (the IC ones are under 170 KB; big vendor INFs a few
 * MB). */
#define PKG_INF_MAX_SIZE (16u << 20)
/* Longest logical line, after continuations, in characters. */
#define PKG_INF_MAX_LINE 65536u
/* Longest field, before and after string substitution, in characters:
 * 4096 including the NUL ("General syntax rules for INF files"). */
#define PKG_INF_MAX_FIELD 4095u
/* Most fields on one line. */
#define PKG_INF_MAX_FIELDS 4096u
/* Longest section name ("General syntax rules": 255 characters). */
#define PKG_INF_MAX_SECTION_NAME 255u
/* Deepest chain of Needs= references followed within one INF. */
#define PKG_INF_MAX_NEEDS_DEPTH 8u

/* Largest cabinet read as a package: it is held in memory for the run
 * (read once: parsed, hashed, signature-checked and extracted from the
 * same bytes).  The IC packages are under 1 MB; the cap is trust/'s
 * (TRUST_MAX_CAB_FILE), so that any cabinet it can check is accepted. */
#define PKG_MAX_CABINET_SIZE (1u << 30)
/* Most files in one package's cabinet (one cabinet lists at most 65535). */
#define PKG_MAX_ENTRIES 65536u
/* Most bytes of update.mum, manifests and INF files read for one package,
 * all together: each is capped alone, and this bounds the model a hostile
 * cabinet full of maximal manifests could build (the IC packages read
 * about 1 MB). */
#define PKG_MAX_TEXT_TOTAL (128u << 20)

/* ------------------------------------------------------------------ */
/* Parsing from memory                                                 */
/* ------------------------------------------------------------------ */

/*
 * Parses a package manifest (update.mum) from @buf.  @file names it in
 * messages.  The result and its strings live in @arena, which stays the
 * caller's (pkg->arena is NULL, pkg_package_free() does nothing).
 * Returns PKG_OK and sets *@pkg_ret, or an error in @err.
 *
 * The XML parser never touches the network or the filesystem: a document
 * with a DOCTYPE (and so any entity declaration) is refused outright, and
 * the limits above are enforced while reading, before anything is built.
 */
HVO_API enum pkg_err pkg_mum_parse(struct pkg_arena *arena, const void *buf,
				   size_t len, const char *file,
				   struct pkg_package **pkg_ret,
				   struct pkg_error *err);

/* Parses a component manifest likewise (the key is computed from the
 * identity; comparing it with the file name is the caller's business). */
HVO_API enum pkg_err pkg_manifest_parse(struct pkg_arena *arena,
					const void *buf, size_t len,
					const char *file,
					struct pkg_manifest **man_ret,
					struct pkg_error *err);

/*
 * Parses an INF file: UTF-16LE with BOM, UTF-8 (with or without BOM), or
 * ANSI (Windows-1252).  Comments, quoting, line continuations and
 * repeated sections (merged) are handled here; [Strings] substitution,
 * decorations and directives by pkg_inf_resolve() and friends.
 */
HVO_API enum pkg_err pkg_inf_parse(struct pkg_arena *arena, const void *buf,
				   size_t len, const char *file,
				   struct pkg_inf **inf_ret,
				   struct pkg_error *err);

/* A section by name (case-insensitive), or NULL. */
HVO_API const struct pkg_inf_section *pkg_inf_section(const struct pkg_inf *inf,
						      const char *name);

/*
 * Substitutes %strkey% tokens in @raw from the INF's [Strings] section
 * (one pass: values are not substituted again, so a string that names
 * itself cannot loop) and returns plain text: "%%" becomes "%", DIRID
 * tokens like "%12%" and unknown tokens stay as written.  Allocated in
 * @arena; NULL with @err set if the result is too long or memory ran out.
 */
HVO_API char *pkg_inf_subst(struct pkg_arena *arena, const struct pkg_inf *inf,
			    const char *raw, unsigned lineno,
			    struct pkg_error *err);

/* Parses a decoration ("NTamd64.6.2"); false if it is not one. */
HVO_API bool pkg_inf_decoration_parse(struct pkg_arena *arena, const char *text,
				      struct pkg_inf_decoration *out);

/* Whether @d applies to @t (architecture, version, product, suite). */
HVO_API bool pkg_inf_decoration_applies(const struct pkg_inf_decoration *d,
					const struct pkg_target *t);

/*
 * The best models entry of @m for @t, or NULL: among the decorations that
 * apply, the one with the highest OS version wins, then one with a
 * product type, a suite mask, a build number, then an architecture-specific
 * one over "nt" alone; when none applies, the undecorated section, but
 * only for x86 targets (since Windows Server 2003 SP1, INF Manufacturer
 * section: models for other platforms must be decorated).
 */
HVO_API const struct pkg_inf_models *pkg_inf_best_models(
	const struct pkg_inf_manufacturer *m, const struct pkg_target *t);

/*
 * Interprets @inf for @target: [Version], every manufacturer with every
 * decorated models section (hardware IDs per decoration), the chosen
 * models section per manufacturer, and for each device the DDInstall
 * section Windows would use (.NT<arch>, then .NT, then undecorated) with
 * its CopyFiles (section and @file forms, with [DestinationDirs]),
 * AddReg, <section>.Services AddService (service-install and event-log
 * sections) and the directives deferred to first boot.  Needs= naming a
 * section of this INF is followed (cycles are an error); Include= of
 * other INFs is deferred.
 */
HVO_API enum pkg_err pkg_inf_resolve(struct pkg_arena *arena,
				     const struct pkg_inf *inf,
				     const struct pkg_target *target,
				     struct pkg_driver **drv_ret,
				     struct pkg_error *err);

/* ------------------------------------------------------------------ */
/* Guest paths: $(runtime.*) and DIRIDs                                */
/* ------------------------------------------------------------------ */

/* Where Windows lives in the guest, as Windows paths. */
struct pkg_windows_paths {
	const char *system_root;  /* "C:\Windows" */
	const char *system_drive; /* "C:" */
	bool wow64;		  /* a wow64_ component: system32 is SysWOW64 */
};

/*
 * The directory of DIRID @dirid under @paths, newly allocated in @arena,
 * per "Using Dirids" (Microsoft driver docs).  DIRIDs that name something
 * that does not exist offline (01 source, 13 driver store, per-user
 * folders, ...) give PKG_ERR_UNSUPPORTED.  -1 and 65535 (absolute path)
 * give "".
 */
HVO_API enum pkg_err pkg_dirid_path(struct pkg_arena *arena, int32_t dirid,
				    const struct pkg_windows_paths *paths,
				    char **path_ret, struct pkg_error *err);

/* Expands an INF template ("%%" -> "%", "%<dirid>%" -> its directory). */
HVO_API enum pkg_err pkg_inf_expand(struct pkg_arena *arena, const char *tmpl,
				    const struct pkg_windows_paths *paths,
				    char **text_ret, struct pkg_error *err);

/*
 * Expands every $(runtime.<name>) variable of a component manifest value
 * (destinationPath, registry data): runtime.windows and systemRoot ->
 * system_root, system32 -> System32 (SysWOW64 for wow64), drivers,
 * inf, help, fonts, wbem, ... (table in paths.c).  Names are matched
 * without regard to case; an unknown one gives PKG_ERR_UNSUPPORTED.
 */
HVO_API enum pkg_err pkg_runtime_expand(struct pkg_arena *arena, const char *s,
					const struct pkg_windows_paths *paths,
					char **text_ret, struct pkg_error *err);

/* ------------------------------------------------------------------ */
/* Applicability                                                       */
/* ------------------------------------------------------------------ */

/* Whether a package of architecture @pkg_arch installs on a guest of
 * architecture @guest_arch ("amd64"/"x86"/...; "neutral" fits any). */
HVO_API bool pkg_arch_matches(const char *pkg_arch, const char *guest_arch);

/*
 * Whether identity @want is satisfied by installed package @have: same
 * name (case-insensitive), same architecture and public key token, and a
 * version at least @want's within the same major.minor (SERVICING.md 4).
 */
HVO_API bool pkg_parent_satisfied_by(const struct pkg_identity *want,
				     const struct pkg_installed *have);

/*
 * Evaluates every <parent> of @pkg against @installed: each <parent> is
 * satisfied when any of its identities is satisfied by an installed
 * package; the package applies when all its <parent> elements are
 * satisfied (a package with none applies everywhere).  When @match_ret is
 * not NULL it receives, for the first <parent> that is satisfied, the
 * installed package that satisfied it (or NULL).
 */
HVO_API bool pkg_parents_satisfied(const struct pkg_package *pkg,
				   const struct pkg_installed *installed,
				   size_t ninstalled,
				   const struct pkg_installed **match_ret);

/* ------------------------------------------------------------------ */
/* Reading a package from a cabinet                                    */
/* ------------------------------------------------------------------ */

/*
 * Reads the package in cabinet @path through cab/: update.mum, every
 * <key>.manifest (its key checked against the name), every driver INF,
 * and the SHA-256 of every entry, in one streaming pass.  The file is
 * read once (at most PKG_MAX_CABINET_SIZE bytes), and the package keeps
 * it with its digest and the cabinet open on it (pkg->cab_data,
 * pkg->cab), so that nothing later opens the file again.  Every file of
 * the cabinet is classified (pkg->entries).
 *
 * A malformed manifest or INF, a missing payload, a key that does not
 * match or a digest mismatch is an error naming the file (and line).
 * Returns PKG_OK and *@pkg_ret (free with pkg_package_free()).  When the
 * only problems are payloads (PKG_ERR_MISSING or PKG_ERR_DIGEST after the
 * digest pass), *@pkg_ret is set all the same, every file's state in it,
 * so that the caller can report them all; otherwise it is NULL.
 */
HVO_API enum pkg_err pkg_package_open(const char *path,
				      struct pkg_package **pkg_ret,
				      struct pkg_error *err);

/* The same for a cabinet already read (@len bytes at @data, malloc'd;
 * @path names it): the package takes @data, which it frees (on failure
 * too). */
HVO_API enum pkg_err pkg_package_open_mem(const char *path, void *data,
					  size_t len,
					  struct pkg_package **pkg_ret,
					  struct pkg_error *err);

/*
 * Links the updates of @pkg to its manifests (pkg->manifests, set by the
 * caller): each update's manifest (by the key of its identity), the INF
 * of a driver (the manifest's ->inf, when parsed; the manifest must list
 * the INF file), and each component's dependency closure: "install"
 * dependencies followed depth-first, each component once; prerequisites
 * (such as language resources, absent from the cabinet) are not.  A
 * manifest that an update or install dependency needs and the package
 * lacks is PKG_ERR_MISSING; nested packages are PKG_ERR_UNSUPPORTED.
 */
HVO_API enum pkg_err pkg_package_link(struct pkg_arena *arena,
				      struct pkg_package *pkg,
				      struct pkg_error *err);

/* Releases a package and everything in it; accepts NULL. */
HVO_API void pkg_package_free(struct pkg_package *pkg);

/* The manifest whose key is @key (case-insensitive), or NULL. */
HVO_API struct pkg_manifest *pkg_package_manifest(const struct pkg_package *pkg,
						  const char *key);

/* The manifest of identity @id (by computed key), or NULL. */
HVO_API struct pkg_manifest *pkg_package_find(const struct pkg_package *pkg,
					      const struct pkg_identity *id);

#ifdef __cplusplus
}
#endif

#endif /* HVO_PACKAGE_H */

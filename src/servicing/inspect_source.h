/*
 * inspect_source.h - the --source of a command: a cabinet, a directory of
 * cabinets, or vmguest.iso.
 *
 * Microsoft ships the integration-services packages as cabinets in
 * vmguest.iso (support\amd64\ and support\x86\) and in KB3071740.  A source
 * is classified natively from its bytes; an ISO is added to the command's
 * one appliance launch (never loop-mounted on the host), and its cabinets
 * are copied into the command's private scratch directory.
 */
#ifndef HVO_SERVICING_INSPECT_SOURCE_H
#define HVO_SERVICING_INSPECT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"
#include "package/package.h"
#include "servicing/error.h"
#include "util/json.h"

/* What the signature check (the session's check_cabinet, src/trust)
 * said of a cabinet, for the reports and the in-guest record.  The names
 * are owned strings (svc_signature_free; a plan keeps its own copy,
 * svc_signature_copy).  A NULL verdict: not checked. */
#define SVC_SIG_CHAIN_MAX 8
struct svc_signature {
	/* trust_verdict_word() ("trusted", "unsigned", ...) or "error": a
	 * static word, not owned. */
	const char *verdict;
	char *signer; /* the signer certificate's CN, or NULL */
	char *chain[SVC_SIG_CHAIN_MAX]; /* CNs, signer first */
	size_t nchain;
	bool chain_complete; /* the last one is a trusted root */
	/* The verified countersigned time, or "": bounded by its format. */
	char timestamp[sizeof("YYYY-MM-DDTHH:MM:SSZ")];
	bool allowed_unsigned; /* accepted only by --allow-unsigned */
};

/* Frees the names @s holds; @s is "not checked" again. */
void svc_signature_free(struct svc_signature *s);

/* @dst (not holding anything) becomes a copy of @src with names of its
 * own.  0, or -1 when out of memory (@dst then holds nothing). */
int svc_signature_copy(struct svc_signature *dst,
		       const struct svc_signature *src);

/* The "signature" member of the JSON object @w has open (null when @s
 * was not checked). */
void svc_signature_json(const struct svc_signature *s, struct json_writer *w);

enum svc_source_kind {
	SVC_SOURCE_CAB = 1,
	SVC_SOURCE_DIR,
	SVC_SOURCE_ISO,
};

/* The most cabinets a source may offer: vmguest.iso has four (two per
 * architecture on older ISOs); a directory of a few hundred updates is
 * still a mistake worth stopping at. */
#define SVC_SOURCE_MAX_CABS 256

struct svc_source_cab {
	char *path;  /* host path (in the scratch directory for an ISO) */
	char *where; /* as shown to the user: "vmguest.iso:support/x86/..." */
	/* Its bytes when they are already read (a CAB source, read while
	 * it was classified), or NULL; svc_source_packages_load hands them
	 * to the package, so that the file is read once. */
	uint8_t *data;
	size_t len;
};

struct svc_source {
	char *path; /* as the user gave it */
	enum svc_source_kind kind;
	uint8_t *cab_data; /* a CAB source: its bytes, read with its kind */
	size_t cab_len;
	size_t ncabs;
	struct svc_source_cab *cabs;
	struct svc_error error; /* the last failure (svc_source_errmsg) */
};

/* Classifies @path (a cabinet is read whole then, once: its bytes are
 * kept for the package).  Returns SVC_OK, or SVC_ERR_SOURCE (a missing
 * file, a file that is neither a cabinet nor an ISO image) or
 * SVC_ERR_NOMEM with the message on @src. */
enum svc_err svc_source_open(const char *path, struct svc_source *src);

/* The message of @src's last failure ("" if none; owned by @src). */
const char *svc_source_errmsg(const struct svc_source *src);

/*
 * Lists the cabinets: for a CAB itself, for a directory its *.cab files
 * (any case; not recursive), for an ISO the *.cab files under support\ on
 * @iso_disk (mounted read-only), copied to @tmpdir.  Returns SVC_OK, or
 * SVC_ERR_SOURCE (or SVC_ERR_NOMEM) with the message on @src.
 */
enum svc_err svc_source_collect(struct svc_source *src,
				struct guest_disk *iso_disk,
				const char *tmpdir);

/* "cab", "directory", "iso". */
const char *svc_source_kind_name(enum svc_source_kind k);

void svc_source_free(struct svc_source *src);

/*
 * One package of the source, read (or not) from its cabinet: the package
 * model (src/package), which carries what servicing needs from the one
 * read of the cabinet: the SHA-256 of every entry (pkg->entries), the
 * cabinet's own SHA-256, size and bytes, and the cabinet open on them
 * (pkg->cab) for the signature check and apply's extraction.  The plan
 * is built from this alone; nothing opens the path again.
 */
struct svc_source_package {
	const char *where;	 /* the cabinet, as shown to the user */
	const char *path;	 /* its host path */
	struct pkg_package *pkg; /* NULL when it could not be read */
	struct pkg_error error;	 /* why, when pkg is NULL */
	/* Why the session passed this cabinet over (a directory or ISO
	 * source; static text): "unsigned", "untrusted", "not an
	 * integration-services package".  NULL: it is a candidate. */
	const char *skip;
	/* One of several (a directory or ISO source): a refusal skips it
	 * (a notice), where a single cabinet's is the source's error. */
	bool optional;
	/* Its signature, as check_cabinet found it. */
	struct svc_signature sig;
};

/*
 * Reads cabinet @path (shown as @where; both must outlive @sp) into @sp,
 * once (pkg_package_open): the package, every entry's SHA-256 and the
 * cabinet's.  A cabinet that cannot be read leaves @sp->pkg NULL with
 * @sp->error set; the return value is then the error's class
 * (SVC_ERR_CORRUPT, SVC_ERR_IO...).  Free with svc_source_package_free().
 */
enum svc_err svc_source_package_load(const char *path, const char *where,
				     struct svc_source_package *sp);
void svc_source_package_free(struct svc_source_package *sp);

/*
 * Reads every cabinet of @src as a package (svc_source_package_load; a
 * cabinet whose bytes the source holds is not read again: they move to
 * its package).  A cabinet that cannot be read is kept with its error.
 * *@pkgs_ret (free with svc_source_packages_free()) refers to @src, which
 * must outlive it.  Returns SVC_OK, or SVC_ERR_NOMEM.
 */
enum svc_err svc_source_packages_load(struct svc_source *src,
				      struct svc_source_package **pkgs_ret,
				      size_t *n_ret);
void svc_source_packages_free(struct svc_source_package *pkgs, size_t n);

#endif /* HVO_SERVICING_INSPECT_SOURCE_H */

/*
 * rpm.h - what inspection reads of a Linux guest's RPM database: the
 * name, version, release and architecture of the packages it asks for
 * (the Hyper-V daemons: hyperv-daemons on RHEL, CentOS and Fedora), from
 * the database as the guest's rpm left it.
 *
 * The database holds one header blob per installed package (rpm's
 * lib/header.c: an index of tag/type/offset/count entries and a data
 * store, all big-endian), in one of three containers:
 *
 *   rpmdb.sqlite   RHEL 9+, Fedora 33+ (/var/lib/rpm or
 *                  /usr/lib/sysimage/rpm): the Packages table's blob
 *                  column, read with libsqlite3 (rpm_sqlite.c).  SQLite
 *                  is the format's own reference implementation and the
 *                  well-kept standard library for it (Debian:
 *                  libsqlite3-dev); a reader of our own would repeat its
 *                  b-tree, overflow and freelist rules for nothing.
 *   Packages       RHEL 7 and 8, CentOS: a Berkeley DB hash database
 *                  (key: the header number, data: the blob).  Berkeley
 *                  DB's library is no longer packaged for this use (rpm
 *                  itself reads it with its own bdb_ro.c since 4.16), so
 *                  the hash pages are walked here (rpm_bdb.c), read-only
 *                  and bounded.
 *   Packages.db    SUSE's ndb: recognised, not read.
 *
 * Every byte is the guest's and untrusted: offsets and lengths are
 * checked against the buffer before use, and every limit is named.
 */
#ifndef HVO_SERVICING_RPM_H
#define HVO_SERVICING_RPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* rpm's own bounds on a header (lib/header_internal.h): at most 0xffff
 * index entries and a data store under 256 MiB. */
#define SVC_RPM_HEADER_TAGS_MAX 0xffffu
#define SVC_RPM_HEADER_DATA_MAX 0x0fffffffu

/* What is kept of a package's header. */
struct svc_rpm_pkg {
	char name[64];
	char version[64];
	char release[64];
	char arch[32];
	bool has_epoch;
	uint32_t epoch;
};

/*
 * Parses a header blob as the database stores it (no lead, no magic:
 * il, dl, il index entries, dl bytes of data) into @out.  Checks what
 * rpm's hdrblobVerifyInfo() checks of the entries it reads (type,
 * offset inside the data, alignment, strings ended inside the data).
 * Returns 0, or -1 with the reason in @why (@why may be NULL).
 */
int svc_rpm_header_parse(const uint8_t *blob, size_t len,
			 struct svc_rpm_pkg *out, char *why, size_t whysize);

/* Called with each header blob of a database; nonzero stops the walk
 * (and is returned by the walker). */
typedef int (*svc_rpm_blob_fn)(const uint8_t *blob, size_t len, void *ctx);

/*
 * Walks a Berkeley DB hash "Packages" file held in [@db, @db + @len):
 * every data item of every hash page (an overflow chain assembled), the
 * header-number counter under key 0 skipped.  Returns 0 when walked,
 * @fn's nonzero value when it stopped the walk, or -1 with the reason in
 * @why when the file is not a hash database or is corrupt.
 */
int svc_rpm_bdb_foreach(const uint8_t *db, size_t len, svc_rpm_blob_fn fn,
			void *ctx, char *why, size_t whysize);

/*
 * The same for an rpmdb.sqlite file held in [@db, @db + @len): each row
 * of its Packages table, read with libsqlite3 from a private in-memory
 * copy opened read-only (nothing is written, no file is opened).
 */
int svc_rpm_sqlite_foreach(const uint8_t *db, size_t len, svc_rpm_blob_fn fn,
			   void *ctx, char *why, size_t whysize);

/* The containers svc_rpm_find() reads. */
enum svc_rpm_format {
	SVC_RPM_SQLITE,
	SVC_RPM_BDB,
};

/*
 * Looks in the database held in [@db, @db + @len) for the first of
 * @names (in the order given) that is installed; its header in @out.
 * Returns the index into @names of the package found, -1 when none is
 * installed, -2 with the reason in @why when the database cannot be
 * read.  Headers that do not parse are counted in *@bad (may be NULL)
 * and otherwise skipped, as rpm skips them.
 */
int svc_rpm_find(const uint8_t *db, size_t len, enum svc_rpm_format format,
		 const char *const *names, size_t nnames,
		 struct svc_rpm_pkg *out, size_t *bad, char *why,
		 size_t whysize);

#endif /* HVO_SERVICING_RPM_H */

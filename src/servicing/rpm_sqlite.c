/*
 * rpm_sqlite.c - rpmdb.sqlite (RHEL 9+, Fedora 33+) read with libsqlite3
 * (see rpm.h for why the library): rpm's lib/backend/sqlite.c keeps one
 * row per package in "Packages (hnum INTEGER PRIMARY KEY, blob BLOB)".
 *
 * The file is the guest's, read into memory through guest_fs, so it is
 * handed to SQLite with sqlite3_deserialize() on a private copy, opened
 * read-only: SQLite opens no file, writes nothing and takes no lock.
 * rpm keeps the database in WAL mode (bytes 18 and 19 of the header are
 * 2); the in-memory copy is marked as a rollback-journal database (1)
 * instead, which changes nothing of its pages, because the in-memory VFS
 * has no shared memory for a WAL index.  What a WAL file beside it holds
 * (committed but not yet checkpointed by a guest that stopped without
 * closing rpm) is not read: the caller says so.
 *
 * The database is untrusted: SQLite is told so (SQLITE_DBCONFIG_DEFENSIVE,
 * no trusted schema, cell_size_check), the query is fixed and read-only
 * (query_only), and what it returns goes to the bounded header parser.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "servicing/rpm.h"

/* SQLite's header: "SQLite format 3\0", and the read and write versions
 * (1 legacy, 2 WAL) at 18 and 19. */
#define SQLITE_MAGIC	    "SQLite format 3"
#define SQLITE_HDR_SIZE	    100
#define SQLITE_HDR_WRITEVER 18
#define SQLITE_HDR_READVER  19

static int fail(char *why, size_t whysize, const char *what, sqlite3 *db)
{
	if (why != NULL && whysize > 0)
		snprintf(why, whysize, "%s%s%s", what, db ? ": " : "",
			 db ? sqlite3_errmsg(db) : "");
	return -1;
}

int svc_rpm_sqlite_foreach(const uint8_t *db, size_t len, svc_rpm_blob_fn fn,
			   void *ctx, char *why, size_t whysize)
{
	if (len < SQLITE_HDR_SIZE ||
	    memcmp(db, SQLITE_MAGIC, sizeof(SQLITE_MAGIC)) != 0)
		return fail(why, whysize, "not an SQLite database", NULL);
	sqlite3 *s = NULL;
	if (sqlite3_open_v2(":memory:", &s,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_PRIVATECACHE,
			    NULL) != SQLITE_OK) {
		int r = fail(why, whysize, "sqlite3_open", s);
		sqlite3_close(s);
		return r;
	}
	sqlite3_db_config(s, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(s, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(s, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	/* SQLite owns the copy from here (FREEONCLOSE), on success or not. */
	unsigned char *copy = sqlite3_malloc64(len);
	if (copy == NULL) {
		sqlite3_close(s);
		return fail(why, whysize, "out of memory", NULL);
	}
	memcpy(copy, db, len);
	if (copy[SQLITE_HDR_WRITEVER] == 2)
		copy[SQLITE_HDR_WRITEVER] = 1;
	if (copy[SQLITE_HDR_READVER] == 2)
		copy[SQLITE_HDR_READVER] = 1;
	int r = -1;
	sqlite3_stmt *st = NULL;
	if (sqlite3_deserialize(
		    s, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
		    SQLITE_DESERIALIZE_READONLY |
			    SQLITE_DESERIALIZE_FREEONCLOSE) != SQLITE_OK) {
		r = fail(why, whysize, "sqlite3_deserialize", s);
		goto out;
	}
	/* temp_store=MEMORY: SQLite never opens a temporary file (which the
	 * sandboxed child may not), whatever the query plan needs. */
	if (sqlite3_exec(s,
			 "PRAGMA query_only=1; PRAGMA cell_size_check=1; "
			 "PRAGMA temp_store=MEMORY",
			 NULL, NULL, NULL) != SQLITE_OK) {
		r = fail(why, whysize, "PRAGMA", s);
		goto out;
	}
	if (sqlite3_prepare_v2(s, "SELECT blob FROM Packages", -1, &st, NULL) !=
	    SQLITE_OK) {
		r = fail(why, whysize, "no Packages table", s);
		goto out;
	}
	int rc;
	r = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		if (blob == NULL || n <= 0)
			continue;
		r = fn(blob, (size_t)n, ctx);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = fail(why, whysize, "reading Packages", s);
out:
	sqlite3_finalize(st);
	sqlite3_close(s);
	return r;
}

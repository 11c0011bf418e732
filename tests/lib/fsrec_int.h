/*
 * fsrec_int.h - what the recorder (fsrec.c) and the rebuilder of states
 * (fsrec_replay.c) share.  See fsrec.h.
 */
#ifndef HVO_TESTS_FSREC_INT_H
#define HVO_TESTS_FSREC_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum kind {
	K_CREATE,
	K_MKDIR,
	K_RENAME,
	K_UNLINK,
	K_RMDIR, /* name operations: < K_WRITE */
	K_WRITE,
	K_TRUNC, /* data */
	K_FSYNC,
	K_FSYNC_DIR,
	K_SYNC /* barriers */
};

struct op {
	enum kind kind;
	unsigned long ino, ino2; /* ino2: a rename's victim */
	char *path, *path2;
	uint64_t off, len;
	uint8_t *data;
};

struct ent {
	unsigned long ino;
	char *path;
};

/* The recording: operations in order, the snapshot's files by inode. */
extern struct op *fsrec_int_ops;
extern size_t fsrec_int_nops;
extern struct ent *fsrec_int_base;
extern size_t fsrec_int_nbase;
extern char fsrec_int_snap[PATH_MAX];

/* Reports @what with errno and aborts. */
void fsrec_int_die(const char *what) __attribute__((noreturn));
void *fsrec_int_xrealloc(void *p, size_t n);
char *fsrec_int_xstrdup(const char *s);
/* "@a/@b" into @out (PATH_MAX); aborts when too long. */
void fsrec_int_join(char *out, const char *a, const char *b);

#endif /* HVO_TESTS_FSREC_INT_H */

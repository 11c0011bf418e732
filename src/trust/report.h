/*
 * report.h - rendering a signature verdict (text and JSON), and the
 * one-call check the commands share.
 */
#ifndef HVO_TRUST_REPORT_H
#define HVO_TRUST_REPORT_H

#include <getopt.h>
#include <stdio.h>

#include "trust/trust.h"
#include "util/json.h"

/* What the commands take from --trust and --allow-unsigned. */
/* At most this many --trust roots: a command needs one or two. */
#define TRUST_MAX_EXTRA_ROOTS 16

struct trust_opts {
	const char *roots[TRUST_MAX_EXTRA_ROOTS]; /* --trust files, borrowed */
	size_t nroots;
	bool allow_unsigned; /* accept unsigned/untrusted, loudly */
	const char *dir;     /* shipped roots; NULL: trust_default_dir() */
};

/* getopt long options for the commands that verify signatures (values
 * 0x2f0 and 0x2f1, outside every command's own range), their --help
 * text, and their parser: trust_opts_parse returns true if it took @c. */
#define TRUST_OPT_TRUST		 0x2f0
#define TRUST_OPT_ALLOW_UNSIGNED 0x2f1
#define TRUST_LONGOPTS                                                        \
	{ "trust", required_argument, NULL, TRUST_OPT_TRUST },                \
	{                                                                     \
		"allow-unsigned", no_argument, NULL, TRUST_OPT_ALLOW_UNSIGNED \
	}
#define TRUST_OPTIONS_HELP                                               \
	"  --trust CERT.pem    also trust this root certificate\n"       \
	"  --allow-unsigned    accept an unsigned or untrusted cabinet " \
	"(loudly)\n"
bool trust_opts_parse(struct trust_opts *o, int c, const char *arg);

/* Adds @path to @o's roots.  Returns false when they are full. */
bool trust_opts_add_root(struct trust_opts *o, const char *path);

/*
 * Loads the store of @o and verifies the cabinet at @path.  Returns the
 * exit class (trust_exit_class with o->allow_unsigned; HVO_EXIT_FAILED if
 * the store cannot be loaded), a verdict in *@ret (caller frees; NULL only
 * if the store failed or memory ran out), and the message of a failure
 * (store or verification) in @msg.
 */
enum hvo_exit trust_check_cab(const struct trust_opts *o, const char *path,
			      struct trust_verdict **ret, char *msg,
			      size_t msgsize);

/* The same for a cabinet already read: its @len bytes at @buf (@name in
 * messages); a NULL @buf reads the file @name. */
enum hvo_exit trust_check_cab_mem(const struct trust_opts *o,
				  const uint8_t *buf, size_t len,
				  const char *name, struct trust_verdict **ret,
				  char *msg, size_t msgsize);

/* True if the verdict was let through by --allow-unsigned only. */
bool trust_verdict_waived(const struct trust_verdict *v,
			  const struct trust_opts *o);

/* Text lines ("signature:  trusted", signer, chain, timestamp), each
 * starting with @indent. */
void trust_render_text(FILE *out, const char *indent,
		       const struct trust_verdict *v,
		       const struct trust_opts *o);

/* A "signature" object member of the object being written. */
void trust_render_json(struct json_writer *w, const struct trust_verdict *v,
		       const struct trust_opts *o);

#endif /* HVO_TRUST_REPORT_H */

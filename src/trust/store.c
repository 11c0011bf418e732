/*
 * store.c - the trust store: the roots a signature must chain to.
 *
 * The default store is the two Microsoft roots shipped in data/trust/
 * (installed under $(datadir)/hvoffline/trust); --trust adds more.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trust/internal.h"
#include "util/fileio.h"

int trust_new(struct trust **ret)
{
	*ret = NULL;
	struct trust *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return TRUST_ERR_NOMEM;
	if (gnutls_x509_trust_list_init(&t->tl, 0) < 0) {
		free(t);
		return TRUST_ERR_NOMEM;
	}
	*ret = t;
	return TRUST_OK;
}

void trust_free(struct trust *t)
{
	if (t == NULL)
		return;
	gnutls_x509_trust_list_deinit(t->tl, 1);
	free(t);
}

size_t trust_root_count(const struct trust *t)
{
	return t->nroots;
}

int trust_add_root_file(struct trust *t, const char *path)
{
	uint8_t *buf;
	size_t len;
	int e = hvo_int_read_file(path, TRUST_MAX_ROOT_FILE, &buf, &len);
	if (e)
		return trust_int_error(t, TRUST_ERR_IO, "%s: %s", path,
				       e == EFBIG ? "file too large"
						  : strerror(e));
	gnutls_datum_t d = { buf, (unsigned)len };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int r = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM,
					     0);
	if (r < 0 || n == 0) {
		crts = NULL;
		n = 0;
		r = gnutls_x509_crt_list_import2(&crts, &n, &d,
						 GNUTLS_X509_FMT_DER, 0);
	}
	free(buf);
	if (r < 0 || n == 0)
		return trust_int_error(t, TRUST_ERR_STORE,
				       "%s: no X.509 certificate (%s)", path,
				       r < 0 ? gnutls_strerror(r) : "empty");
	/* The list takes the certificates (freed by its deinit); the array
	 * is ours. */
	r = gnutls_x509_trust_list_add_cas(t->tl, crts, n, 0);
	gnutls_free(crts);
	if (r < 0)
		return trust_int_error(t, TRUST_ERR_STORE, "%s: %s", path,
				       gnutls_strerror(r));
	t->nroots += (size_t)r;
	return TRUST_OK;
}

static int pem_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return d->d_name[0] != '.' && n > 4 &&
	       strcmp(d->d_name + n - 4, ".pem") == 0;
}

int trust_add_root_dir(struct trust *t, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, pem_filter, alphasort);
	if (n < 0)
		return trust_int_error(t, TRUST_ERR_IO, "%s: %s", dir,
				       strerror(errno));
	int rc = n == 0 ? trust_int_error(t, TRUST_ERR_STORE,
					  "%s: no *.pem root certificate", dir)
			: TRUST_OK;
	for (int i = 0; i < n; i++) {
		if (rc == TRUST_OK) {
			char *p;
			if (asprintf(&p, "%s/%s", dir, names[i]->d_name) < 0) {
				rc = TRUST_ERR_NOMEM;
			} else {
				rc = trust_add_root_file(t, p);
				free(p);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

const char *trust_default_dir(void)
{
	const char *env = getenv("HVOFFLINE_TRUST_DIR");
	if (env && env[0])
		return env;
	if (access(HVO_TRUST_DIR, R_OK | X_OK) == 0)
		return HVO_TRUST_DIR;
	return HVO_ABS_TOP_SRCDIR "/data/trust";
}

static char *dn_of(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t d = { NULL, 0 };
	int r = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0)
		       : gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (r < 0)
		return strdup("");
	char *s = strdup((const char *)d.data);
	gnutls_free(d.data);
	return s;
}

bool trust_int_cert_info(gnutls_x509_crt_t crt, struct trust_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->subject = dn_of(crt, false);
	c->issuer = dn_of(crt, true);
	char cn[256];
	size_t cnl = sizeof(cn);
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					  0, cn, &cnl) == 0)
		c->cn = strdup(cn);
	else
		c->cn = c->subject ? strdup(c->subject) : NULL;
	uint8_t serial[64];
	size_t sl = sizeof(serial);
	if (gnutls_x509_crt_get_serial(crt, serial, &sl) < 0)
		sl = 0;
	c->serial = trust_int_hex(serial, sl);
	uint8_t fp[32];
	size_t fl = sizeof(fp);
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fl) ==
	    0) {
		for (size_t i = 0; i < fl && i < 32; i++)
			snprintf(c->sha256 + 2 * i, 3, "%02x", fp[i]);
	}
	c->not_before = gnutls_x509_crt_get_activation_time(crt);
	c->not_after = gnutls_x509_crt_get_expiration_time(crt);
	return c->subject && c->issuer && c->cn && c->serial;
}

void trust_int_cert_info_free(struct trust_cert *c, size_t n)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].subject);
		free(c[i].issuer);
		free(c[i].cn);
		free(c[i].serial);
	}
	free(c);
}

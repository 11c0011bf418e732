# src/trust: Authenticode signatures of cabinets -- the signature in the
# header reserve, the CAB digest, PKCS#7 and chains through GnuTLS, the
# timestamp, the trust store (data/trust/, installed under
# $(pkgdatadir)/trust), and rendering verdicts.
libhvo_internal_la_SOURCES += \
	%reldir%/trust.h %reldir%/internal.h \
	%reldir%/error.c \
	%reldir%/der.c %reldir%/der.h \
	%reldir%/cabsig.c \
	%reldir%/store.c \
	%reldir%/p7.c %reldir%/p7.h \
	%reldir%/chain.c %reldir%/chain.h \
	%reldir%/timestamp.c %reldir%/timestamp.h \
	%reldir%/verify.c \
	%reldir%/report.c %reldir%/report.h
pkginclude_HEADERS += %reldir%/trust.h
AM_CPPFLAGS += -DHVO_TRUST_DIR='"$(pkgdatadir)/trust"'
hvoffline_LDADD += $(GNUTLS_LIBS)

# The shipped roots (their fingerprints are checked by
# tests/trust/test_trust_store against the published ones).
trustdir = $(pkgdatadir)/trust
dist_trust_DATA = data/trust/microsoft-root-ca-2010.pem \
	data/trust/microsoft-root-ca-2001.pem

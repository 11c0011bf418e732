# src/package: the CBS package model (update.mum, component manifests, INF
# files, applicability) and reading a package from a cabinet through cab/.
libhvo_internal_la_SOURCES += \
	%reldir%/package.h \
	%reldir%/internal.h \
	%reldir%/applicability.c \
	%reldir%/arena.c \
	%reldir%/error.c \
	%reldir%/identity.c \
	%reldir%/inf_parse.c \
	%reldir%/inf_resolve.c \
	%reldir%/link.c \
	%reldir%/manifest.c \
	%reldir%/open.c \
	%reldir%/paths.c \
	%reldir%/strmap.c \
	%reldir%/version.c \
	%reldir%/xml.c
pkginclude_HEADERS += %reldir%/package.h


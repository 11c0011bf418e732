# src/package: the CBS package model (update.mum, component manifests, INF
# files, applicability) and reading a package from a cabinet through cab/.
libhvo_internal_la_SOURCES += \
	%reldir%/package.h %reldir%/package_inf.h \
	%reldir%/internal.h \
	%reldir%/applicability.c \
	%reldir%/arena.c \
	%reldir%/error.c \
	%reldir%/identity.c \
	%reldir%/inf_parse.c \
	%reldir%/inf_resolve.c %reldir%/inf_resolve.h \
	%reldir%/inf_rctx.c \
	%reldir%/inf_models.c \
	%reldir%/inf_addreg.c \
	%reldir%/inf_copyfiles.c \
	%reldir%/inf_services.c \
	%reldir%/link.c \
	%reldir%/manifest.c %reldir%/manifest_int.h \
	%reldir%/manifest_xml.c \
	%reldir%/manifest_registry.c \
	%reldir%/mum.c \
	%reldir%/open.c \
	%reldir%/paths.c \
	%reldir%/report.c %reldir%/report.h \
	%reldir%/report_driver.c \
	%reldir%/strmap.c \
	%reldir%/version.c \
	%reldir%/xml.c
pkginclude_HEADERS += %reldir%/package.h %reldir%/package_inf.h


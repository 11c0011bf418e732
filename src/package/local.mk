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

# Fuzz targets of the manifest and INF parsers (fuzz/local.mk pattern):
# make check replays fuzz/corpus/{manifest,inf}/.
check_PROGRAMS += fuzz/fuzz_manifest_replay fuzz/fuzz_inf_replay
TESTS += fuzz/fuzz_manifest_replay fuzz/fuzz_inf_replay
fuzz_fuzz_manifest_replay_SOURCES = fuzz/fuzz_manifest.c fuzz/replay.c
fuzz_fuzz_manifest_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_manifest_replay_LDADD = $(TEST_LDADD)
fuzz_fuzz_inf_replay_SOURCES = fuzz/fuzz_inf.c fuzz/replay.c
fuzz_fuzz_inf_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_inf_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_manifest fuzz/fuzz_inf
fuzz_fuzz_manifest_SOURCES = fuzz/fuzz_manifest.c
fuzz_fuzz_manifest_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_manifest_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_manifest_LDADD = $(TEST_LDADD)
fuzz_fuzz_inf_SOURCES = fuzz/fuzz_inf.c
fuzz_fuzz_inf_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_inf_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_inf_LDADD = $(TEST_LDADD)
endif

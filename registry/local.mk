# registry/: offline registry hives: base block and structural checks,
# transaction-log recovery (old DIRT and new HvLE formats), editing through
# libhivex, crash-safe write-back, registry paths, .reg import/export.
libhvo_internal_la_SOURCES += \
	%reldir%/reg.h \
	%reldir%/internal.h \
	%reldir%/regf.h \
	%reldir%/regf_base.c \
	%reldir%/marvin32.c %reldir%/marvin32.h \
	%reldir%/hiveimg.c \
	%reldir%/txlog.c \
	%reldir%/recover.c \
	%reldir%/upcase.c %reldir%/upcase-table.h \
	%reldir%/errors.c \
	%reldir%/hive.c \
	%reldir%/edit.c \
	%reldir%/journal.c \
	%reldir%/pending.c \
	%reldir%/compact.c \
	%reldir%/layout.c %reldir%/layout.h \
	%reldir%/verify.c \
	%reldir%/readback.c \
	%reldir%/value.c \
	%reldir%/value_parse.c \
	%reldir%/path.c \
	%reldir%/fixup.c \
	%reldir%/commit.c \
	%reldir%/tempfile.c \
	%reldir%/regfile_text.c \
	%reldir%/regfile_import.c \
	%reldir%/regfile_export.c
pkginclude_HEADERS += %reldir%/reg.h
EXTRA_DIST += %reldir%/gen-upcase.py
BENCH_SCRIPTS += bench/registry.sh

# vhdx/: the native VHDX library (libc only; see vhdx/vhdx.h).
libhvo_internal_la_SOURCES += \
	%reldir%/vhdx.h \
	%reldir%/format.h \
	%reldir%/internal.h \
	%reldir%/bat.c \
	%reldir%/check.c \
	%reldir%/crc32c.c \
	%reldir%/create.c \
	%reldir%/error.c \
	%reldir%/file.c \
	%reldir%/guid.c \
	%reldir%/header.c \
	%reldir%/io.c \
	%reldir%/lock.c \
	%reldir%/log.c \
	%reldir%/metadata.c \
	%reldir%/open.c \
	%reldir%/reclaim.c \
	%reldir%/report.c %reldir%/report.h \
	%reldir%/stream.c \
	%reldir%/txn.c \
	%reldir%/write.c
pkginclude_HEADERS += %reldir%/vhdx.h

# Benchmark against qemu-img (make bench; not part of make check).
BENCH_SCRIPTS += bench/vhdx.sh bench/crash.sh
EXTRA_DIST += bench/vhdx.sh bench/crash.sh

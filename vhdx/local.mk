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
	%reldir%/write.c
pkginclude_HEADERS += %reldir%/vhdx.h

# The libFuzzer target (fuzz/README.md); `make check` replays its corpus,
# fuzz/corpus/vhdx/ (seeds made by fuzz/corpus/vhdx-seeds.py).
check_PROGRAMS += fuzz/fuzz_vhdx_replay
TESTS += fuzz/fuzz_vhdx_replay
fuzz_fuzz_vhdx_replay_SOURCES = fuzz/fuzz_vhdx.c fuzz/replay.c
fuzz_fuzz_vhdx_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_vhdx_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_vhdx
fuzz_fuzz_vhdx_SOURCES = fuzz/fuzz_vhdx.c
fuzz_fuzz_vhdx_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_vhdx_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_vhdx_LDADD = $(TEST_LDADD)
endif
EXTRA_DIST += fuzz/corpus/vhdx-seeds.py

# Benchmark against qemu-img (make bench; not part of make check).
BENCH_SCRIPTS += bench/vhdx.sh
EXTRA_DIST += bench/vhdx.sh

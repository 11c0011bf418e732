# cab/: Microsoft cabinets -- container, checksums, cabinet sets, the
# stored/MSZIP/LZX/Quantum decoders, safe extraction and the writer.
# Depends on zlib only (MSZIP inflate/deflate).
pkginclude_HEADERS += %reldir%/cab.h
libhvo_internal_la_SOURCES += \
	%reldir%/cab.h %reldir%/cab_internal.h \
	%reldir%/error.c \
	%reldir%/open.c \
	%reldir%/name.c \
	%reldir%/stream.c \
	%reldir%/read.c \
	%reldir%/extract.c \
	%reldir%/huffman.c %reldir%/huffman.h \
	%reldir%/mszip.c \
	%reldir%/lzx.c \
	%reldir%/quantum.c \
	%reldir%/writer.c

# The libFuzzer target (fuzz/README.md); `make check` replays its corpus.
check_PROGRAMS += fuzz/fuzz_cab_replay
TESTS += fuzz/fuzz_cab_replay
fuzz_fuzz_cab_replay_SOURCES = fuzz/fuzz_cab.c fuzz/replay.c
fuzz_fuzz_cab_replay_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_cab_replay_LDADD = $(TEST_LDADD)
if FUZZING
noinst_PROGRAMS += fuzz/fuzz_cab
fuzz_fuzz_cab_SOURCES = fuzz/fuzz_cab.c
fuzz_fuzz_cab_CFLAGS = $(TEST_CFLAGS)
fuzz_fuzz_cab_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_cab_LDADD = $(TEST_LDADD)
endif

# Benchmark against cabextract (`make bench`, never `make check`).
BENCH_SCRIPTS += bench/cab.sh
EXTRA_DIST += bench/cab.sh

# cab/: Microsoft cabinets -- container, checksums, cabinet sets, the
# stored/MSZIP/LZX/Quantum decoders, safe extraction and the writer.
# Depends on zlib only (MSZIP inflate/deflate).
pkginclude_HEADERS += %reldir%/cab.h
libhvo_internal_la_SOURCES += \
	%reldir%/cab.h %reldir%/cab_internal.h \
	%reldir%/error.c \
	%reldir%/open.c \
	%reldir%/parse.c %reldir%/parse.h \
	%reldir%/part.c \
	%reldir%/name.c \
	%reldir%/stream.c \
	%reldir%/read.c \
	%reldir%/extract.c \
	%reldir%/huffman.c %reldir%/huffman.h \
	%reldir%/mszip.c \
	%reldir%/lzx.c \
	%reldir%/quantum.c \
	%reldir%/writer.c

# Benchmark against cabextract (`make bench`, never `make check`).
BENCH_SCRIPTS += bench/cab.sh
EXTRA_DIST += bench/cab.sh

# src/util: small shared helpers (byte order, JSON writer, UTF-16,
# SHA-256 via nettle, careful host file I/O).  Used by every layer, so it
# depends on nothing of ours.
libhvo_internal_la_SOURCES += \
	%reldir%/bytes.h \
	%reldir%/exit.c \
	%reldir%/fileio.c %reldir%/fileio.h \
	%reldir%/grow.h \
	%reldir%/guid.c %reldir%/guid.h \
	%reldir%/hex.h \
	%reldir%/json.c %reldir%/json.h \
	%reldir%/sha256.c %reldir%/sha256.h \
	%reldir%/strv.c %reldir%/strv.h \
	%reldir%/tmpdir.c %reldir%/tmpdir.h \
	%reldir%/tmpname.c %reldir%/tmpname.h \
	%reldir%/utf.c %reldir%/utf.h

# cab/: Microsoft cabinets -- container, checksums, cabinet sets, the
# stored/MSZIP/LZX/Quantum decoders, safe extraction and the writer.
# Depends on zlib only (MSZIP inflate/deflate).
pkginclude_HEADERS += %reldir%/cab.h

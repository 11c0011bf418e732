#!/bin/sh
# What libhvoffline.so exports is exactly what its installed headers
# declare (STYLE.md, Names and exports): the library is built with
# -fvisibility=hidden and the public API is marked HVO_API.  Nothing
# internal is exported, and nothing declared is missing.
#
# The headers and the library are the ones `make install` installs; the
# exported names are read with nm -D --defined-only (names starting with
# '_' belong to the toolchain and are left out).
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools nm python3

dest="$T_TMP/inst"
prefix=$(sed -n 's/^prefix = //p' "$HVO_TOP_BUILDDIR/Makefile")
run make -s -C "$HVO_TOP_BUILDDIR" install DESTDIR="$dest"
expect_rc 0 "make install"
root="$dest$prefix"

# Function (and data) names declared at file scope by the headers.
python3 - "$root/include" >"$T_TMP/declared" <<'EOP'
import os, re, sys
names = set()
for dirpath, _d, files in os.walk(sys.argv[1]):
    for f in files:
        if not f.endswith(".h"):
            continue
        s = open(os.path.join(dirpath, f), encoding="utf-8").read()
        s = re.sub(r"/\*.*?\*/", " ", s, flags=re.S)
        s = re.sub(r"//[^\n]*", " ", s)
        s = re.sub(r"^\s*#.*?(?<!\\)$", " ", s, flags=re.M | re.S)
        s = s.replace('extern "C" {', " ")
        s = re.sub(r'"(\\.|[^"\\])*"', '""', s)
        prev = None
        while prev != s:  # struct, union and enum bodies
            prev = s
            s = re.sub(r"\{[^{}]*\}", " ", s)
        s = s.replace("}", " ")
        for stmt in s.split(";"):
            stmt = " ".join(stmt.split())
            if not stmt or stmt.startswith("typedef"):
                continue
            m = re.search(r"\b([A-Za-z_]\w*)\s*\(", stmt)
            if m and not re.search(r"\(\s*\*\s*$", stmt[:m.start()]):
                names.add(m.group(1))
            elif stmt.startswith("extern ") or stmt.startswith("HVO_API "):
                m = re.search(r"([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*$", stmt)
                if m:
                    names.add(m.group(1))
for n in sorted(names):
    if n not in ("__attribute__", "HVO_API"):
        print(n)
EOP
expect_nonempty "$T_TMP/declared" \
    "the installed headers declare $(wc -l <"$T_TMP/declared") functions" \
    "no declarations found in $root/include"

nm -D --defined-only "$root/lib/libhvoffline.so" | awk '{print $NF}' |
    grep -v '^_' | sort -u >"$T_TMP/exported"
expect_nonempty "$T_TMP/exported" \
    "libhvoffline.so exports $(wc -l <"$T_TMP/exported") symbols" \
    "nm -D found nothing in libhvoffline.so"

comm -23 "$T_TMP/exported" "$T_TMP/declared" >"$T_TMP/undeclared"
expect_empty "$T_TMP/undeclared" \
    "nothing exported that the installed headers do not declare" \
    "exported but declared by no installed header"

comm -13 "$T_TMP/exported" "$T_TMP/declared" >"$T_TMP/missing"
expect_empty "$T_TMP/missing" \
    "everything the installed headers declare is exported" \
    "declared but not exported"

t_finish

#!/bin/sh
# The structure rules of STYLE.md (tools/check-structure.py): no source
# file over 800 lines, no file-to-file call cycle (read from the objects of
# this build), no lower folder including a higher one.  Files still being
# split are listed in tools/structure-allow.txt.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

if ! command -v python3 >/dev/null 2>&1 || ! command -v nm >/dev/null 2>&1
then
    if [ "${CI:-}" = true ]; then
        echo "FATAL: python3 or nm is missing and CI=true" >&2
        exit 99
    fi
    echo "SKIP: python3 or nm is not installed" >&2
    exit 77
fi

exec python3 "$HVO_TOP_SRCDIR/tools/check-structure.py" \
    --srcdir "$HVO_TOP_SRCDIR" --objdir "$HVO_TOP_BUILDDIR" \
    --allow "$HVO_TOP_SRCDIR/tools/structure-allow.txt"

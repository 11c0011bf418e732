#!/bin/sh
# The man page is kept current: it builds, and every command that
# `hvoffline --help` lists has a section in doc/hvoffline.pod.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

pod="$HVO_TOP_SRCDIR/doc/hvoffline.pod"
run podchecker "$pod"
expect_rc 0 "podchecker accepts the man page source"

run "$HVOFFLINE" --help
for cmd in $(sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' "$T_TMP/out"); do
    expect_grep "$pod" "^=head2 $cmd\$" "man page documents '$cmd'"
done

man1="$HVO_TOP_BUILDDIR/doc/hvoffline.1"
T_COUNT=$((T_COUNT + 1))
if [ -s "$man1" ] && grep -q '^\.TH HVOFFLINE 1' "$man1"; then
    t_pass "doc/hvoffline.1 is built"
else
    t_fail "doc/hvoffline.1 is missing or not a man page"
fi

t_finish

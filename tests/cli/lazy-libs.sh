#!/bin/sh
# The program loads libxml2 and libguestfs only when a command needs them
# (src/cli/lazy.h).  A directory on LD_LIBRARY_PATH holds broken files
# under both sonames, so that the dynamic loader finds them first: a
# command that needs neither library still works (neither is linked), and
# one that needs it fails cleanly (exit 1), says which library could not
# be loaded, and does not mistake it for a KVM failure.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
FX=$(fixtures_dir)
CAB=$FX/ic/Windows6.x-HyperVIntegrationServices-x86.cab

mkdir "$T_TMP/lib" "$T_TMP/home"
echo "not a library" >"$T_TMP/lib/libxml2.so.2"
echo "not a library" >"$T_TMP/lib/libguestfs.so.0"
broken() { LD_LIBRARY_PATH="$T_TMP/lib" HOME="$T_TMP/home" "$@"; }

run broken "$HVOFFLINE" --json cab list "$CAB"
expect_rc 0 "cab list without libxml2 or libguestfs"
expect_json '.files | length == 64' "cab list lists all 64 members"

run "$HVOFFLINE" vhdx create --size 64M "$T_TMP/empty.vhdx"
expect_rc 0 "vhdx create without either library"

run broken "$HVOFFLINE" package info "$CAB"
expect_rc 1 "package info without libxml2"
expect_grep "$T_TMP/err" "libxml2.so.2: cannot load libxml2" \
    "package info names the library it cannot load"
expect_grep "$T_TMP/err" "update.mum: cannot create an XML reader" \
    "package info names the manifest it could not read"

# The appliance by name: the native backend (the default) never loads
# libguestfs.
run broken "$HVOFFLINE" inspect --backend appliance "$T_TMP/empty.vhdx"
expect_rc 1 "inspect --backend appliance without libguestfs"
expect_grep "$T_TMP/err" "libguestfs.so.0: cannot load libguestfs" \
    "inspect names the library it cannot load"
expect_no_grep "$T_TMP/err" "retrying with TCG" \
    "a missing libguestfs is not taken for a KVM failure"
expect_eq "$(find "$T_TMP/home" -type f | wc -l)" 0 \
    "nothing is cached about the accelerator"

# The same commands with the libraries in place.
run "$HVOFFLINE" package info "$CAB"
expect_rc 0 "package info with libxml2"

t_finish

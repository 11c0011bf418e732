#!/bin/sh
# The source cabinet is read once per run (issue 15): `inspect --source`,
# `apply`, `verify` and `package info` each open it one time, counted
# with strace (native backend: no appliance).  Its kind, the package,
# every entry's SHA-256, the cabinet's own, the signature check and
# apply's extraction all come from the bytes read then, and the
# sandboxed child is not allowed to open it at all (doc/security.md).
# Before this, a run opened it 5 (inspect, verify) or 9 (apply) times,
# and `package info` twice (its signature check, then the package).
#
# What apply staged is judged by tools that are not ours: the cabinet in
# the guest (ntfscat, through guest_files) must be the source's bytes, and
# the staged update.mum must be what cabextract finds in it.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools strace jq cabextract qemu-img sfdisk ntfscat
fx=$(fixtures_dir)
need_images ws2012-x64

cab="$T_TMP/ic.cab"
cp "$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab" "$cab"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/a.vhdx"
# LeakSanitizer cannot run under ptrace.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
HVOFFLINE_BACKEND=native
export ASAN_OPTIONS HVOFFLINE_BACKEND

# traced ARGS...: runs hvoffline ARGS under strace -f (the sandboxed
# children too), like run; $opens is how many times any process opened
# the cabinet, whatever the flags (O_PATH included).
traced() {
    T_RC=0
    strace -f -qq -e trace=open,openat,openat2,creat -o "$T_TMP/trace" \
        "$HVOFFLINE" "$@" >"$T_TMP/out" 2>"$T_TMP/err" || T_RC=$?
    opens=$(grep -c '"[^"]*/ic\.cab"' "$T_TMP/trace")
}

traced --json package info "$cab"
expect_rc 0 "package info"
expect_json '.status == "ok" and .signature.accepted == true and .files.digests_mismatch == 0' \
    "package info: the signature and every payload were checked"
expect_eq "$opens" 1 "package info: the cabinet is opened once"

traced --json inspect --source "$cab" "$T_TMP/a.vhdx"
expect_rc 0 "inspect --source"
expect_json '.source.cabinets == ["'"$cab"'"] and .appliance.launches == 0' \
    "inspect: the source is the cabinet, nothing launched"
expect_json '.images[0].packages.applicable == "'"$cab"'" and .images[0].packages.up_to_date == false' \
    "inspect: the package read applies to the image"
expect_eq "$opens" 1 "inspect --source: the cabinet is opened once"

traced --json apply --source "$cab" "$T_TMP/a.vhdx"
expect_rc 0 "apply"
expect_json '.images[0].status == "applied"' "apply: applied"
expect_eq "$opens" 1 "apply: the cabinet is opened once"

staged=$(jq -r '.images[0].plan.staged_cabinet' "$T_TMP/out" | tr '\\' /)
dir=${staged%/*}
if guest_files "$T_TMP/a.vhdx" "/$staged" "$T_TMP/staged.cab" \
    "/$dir/update.mum" "$T_TMP/staged.mum"; then
    expect_eq "$(sha256sum <"$T_TMP/staged.cab")" "$(sha256sum <"$cab")" \
        "apply staged the cabinet's own bytes (ntfscat)"
    cabextract -q -p -F update.mum "$cab" >"$T_TMP/cab.mum" 2>/dev/null
    expect_eq "$(sha256sum <"$T_TMP/staged.mum")" \
        "$(sha256sum <"$T_TMP/cab.mum")" \
        "the staged update.mum is the cabinet's (cabextract)"
else
    T_COUNT=$((T_COUNT + 1))
    t_fail "the staged package could not be read from the image"
fi

traced --json verify --source "$cab" "$T_TMP/a.vhdx"
expect_rc 0 "verify"
expect_json '.images[0].status == "verified"' "verify: verified"
expect_eq "$opens" 1 "verify: the cabinet is opened once"

t_finish
